/* SPDX-License-Identifier: GPL-2.0-or-later */
/* psrv_ioctl.c - psrv's answers to SMB2 IOCTL (psrv.h): recorded, scripted, or a tiny server-side copy model. */
#include <stdlib.h>
#include <string.h>

#include "../../xport/srv.h"
#include "psrv.h"
#include "smbfuse/err.h"
#include "smbfuse/smb2.h"
#include "smbfuse/util.h"

/* IOCTL: record the control code and input, answer with s->ioctl_out under s->ioctl_status. */
uint32_t psrv_ioctl_body(struct psrv *s, const struct srv_req *q, struct wbuf *b)
{
	uint32_t code = q->body_len >= 8 ? get_le32(q->body + 4) : 0;
	uint32_t in_off = q->body_len >= 32 ? get_le32(q->body + 24) : 0,
		 in_len = q->body_len >= 32 ? get_le32(q->body + 28) : 0;
	pthread_mutex_lock(&s->mu);
	s->ioctls++;
	s->last_ioctl = code;
	s->last_ioctl_in_len = 0;
	if (in_off >= SMB2_HDR_SIZE && in_len <= sizeof(s->last_ioctl_in) &&
	    in_off - SMB2_HDR_SIZE + in_len <= q->body_len) {
		memcpy(s->last_ioctl_in, q->body + (in_off - SMB2_HDR_SIZE), in_len);
		s->last_ioctl_in_len = in_len;
	}
	const uint8_t *out = s->ioctl_out;
	size_t out_len = s->ioctl_out_len;
	uint32_t st = s->ioctl_status;
	if (s->ioctls <= s->ioctl_seq_n && s->ioctls <= 4) {
		out = s->ioctl_seq[s->ioctls - 1].out;
		out_len = s->ioctl_seq[s->ioctls - 1].len;
		st = s->ioctl_seq[s->ioctls - 1].status;
	}
	uint8_t cc[32] = {0};
	if (!out && st == STATUS_SUCCESS && code == FSCTL_SRV_REQUEST_RESUME_KEY) {
		memset(cc, 0x4B, 24);
		out = cc;
		out_len = 32;
	} else if (!out && st == STATUS_SUCCESS && code == FSCTL_SRV_COPYCHUNK_WRITE && in_len >= 32 &&
		   in_off >= SMB2_HDR_SIZE && in_off - SMB2_HDR_SIZE + in_len <= q->body_len) {
		/* A copy within cc_max_chunks chunks copies all; more is refused with the limits. */
		const uint8_t *in = q->body + (in_off - SMB2_HDR_SIZE);
		uint32_t n = get_le32(in + 24), total = 0;
		for (uint32_t i = 0; i < n && 32 + 24 * (i + 1) <= in_len; i++)
			total += get_le32(in + 32 + 24 * i + 16);
		unsigned nth = ++s->cc_requests;
		s->cc_last_chunks = n;
		bool over = s->cc_max_chunks && n > s->cc_max_chunks && nth >= s->cc_limit_from;
		bool half = nth == s->cc_short_at;
		put_le32(cc, over ? s->cc_max_chunks : half ? n / 2 : n);
		put_le32(cc + 4, over ? 1u << 20 : 0);
		put_le32(cc + 8, over ? s->cc_max_chunks << 20 : half ? total / 2 : total);
		st = over ? STATUS_INVALID_PARAMETER : nth == s->cc_fail_at ? s->cc_fail_status : STATUS_SUCCESS;
		out = cc;
		out_len = 12;
	}
	pthread_mutex_unlock(&s->mu);
	wbuf_u16(b, 49);
	wbuf_u16(b, 0);
	wbuf_u32(b, code);
	wbuf_bytes(b, q->body + 8, 16);
	wbuf_u32(b, 0);
	wbuf_u32(b, 0);
	wbuf_u32(b, out_len ? SMB2_HDR_SIZE + 48 : 0);
	wbuf_u32(b, (uint32_t)out_len);
	wbuf_u32(b, 0);
	wbuf_u32(b, 0);
	wbuf_bytes(b, out, out_len);
	return st;
}

struct psrv_held {
	uint64_t mid;
	uint32_t status;
	struct wbuf b;
};

#define HELD_MAX 16

bool psrv_cc_hold(struct psrv *s, int fd, const struct srv_req *q, uint32_t st, struct wbuf *b)
{
	pthread_mutex_lock(&s->mu);
	unsigned hold = MIN(s->cc_hold, HELD_MAX);
	pthread_mutex_unlock(&s->mu);
	if (!hold || q->body_len < 8 || get_le32(q->body + 4) != FSCTL_SRV_COPYCHUNK_WRITE)
		return false;
	if (!s->held && !(s->held = calloc(HELD_MAX, sizeof(*s->held))))
		return false;
	s->held[s->nheld++] = (struct psrv_held){q->h.message_id, st, *b};
	wbuf_init(b, 0);
	pthread_mutex_lock(&s->mu);
	s->cc_held_max = MAX(s->cc_held_max, s->nheld);
	pthread_mutex_unlock(&s->mu);
	if (s->nheld >= hold)
		psrv_cc_flush(s, fd);
	return true;
}

void psrv_cc_flush(struct psrv *s, int fd)
{
	while (s->nheld) {
		struct psrv_held *h = &s->held[--s->nheld]; /* last first */
		if (fd >= 0)
			psrv_send_late(s, fd, h->mid, SMB2_IOCTL, h->status, 0, &h->b);
		wbuf_free(&h->b);
	}
	if (fd < 0) {
		free(s->held);
		s->held = NULL;
	}
}

void psrv_cc_forget(struct psrv *s, uint64_t mid)
{
	for (unsigned i = 0; i < s->nheld; i++) {
		if (s->held[i].mid == mid) {
			wbuf_free(&s->held[i].b);
			memmove(&s->held[i], &s->held[i + 1], (s->nheld - i - 1) * sizeof(*s->held));
			s->nheld--;
			return;
		}
	}
}
