/* SPDX-License-Identifier: GPL-2.0-or-later */
/* psrv_dlease.c - the scripted server's directory leases (psrv.h): grants, spoiled grants, breaks, acks;
 * and the wait for one of its counters. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../xport/srv.h"
#include "psrv.h"
#include "smbfuse/err.h"
#include "smbfuse/smb2.h"
#include "smbfuse/util.h"

void psrv_dlease_created(struct psrv *s, bool dir, struct wbuf *ctx)
{
	const uint8_t *d;
	uint32_t dl;
	if (!dir || smb2_create_ctx_find(ctx->p, ctx->len, SMB2_CREATE_REQUEST_LEASE, &d, &dl) < 0 || dl < 16)
		return;
	pthread_mutex_lock(&s->mu);
	int how = s->dir_lease_answer;
	memcpy(s->dir_key, d, 16);
	s->have_dir_key = true;
	pthread_mutex_unlock(&s->mu);
	if (how == 1) {
		((uint8_t *)ctx->p)[d - ctx->p] ^= 0xFF; /* the first byte of the key */
	} else if (how == 2) {
		uint8_t cut[20];
		memcpy(cut, d, sizeof(cut));
		size_t prev = SIZE_MAX;
		wbuf_free(ctx);
		wbuf_init(ctx, 0);
		smb2_create_ctx_add(ctx, &prev, SMB2_CREATE_REQUEST_LEASE, cut, sizeof(cut));
	}
}

/* MS-SMB2 2.2.23.2: a Lease Break Notification of dir_key from Read+Handle to none, ack required. */
void psrv_dlease_break(struct psrv *s, int fd)
{
	pthread_mutex_lock(&s->mu);
	bool go = s->break_dir && s->have_dir_key;
	uint8_t key[16];
	memcpy(key, s->dir_key, 16);
	s->break_dir = false;
	pthread_mutex_unlock(&s->mu);
	if (!go)
		return;
	struct wbuf b;
	wbuf_init(&b, 0);
	wbuf_u16(&b, 44);
	wbuf_u16(&b, 2); /* NewEpoch */
	wbuf_u32(&b, SMB2_NOTIFY_BREAK_LEASE_FLAG_ACK_REQUIRED);
	wbuf_bytes(&b, key, 16);
	wbuf_u32(&b, SMB2_LEASE_READ_CACHING | SMB2_LEASE_HANDLE_CACHING);
	wbuf_u32(&b, 0);
	wbuf_zero(&b, 12); /* BreakReason, AccessMaskHint, ShareMaskHint */
	psrv_send_late(s, fd, UINT64_MAX, SMB2_OPLOCK_BREAK, STATUS_SUCCESS, 0, &b);
	wbuf_free(&b);
}

/* MS-SMB2 2.2.25.2: the answer to a Lease Break Acknowledgment, counted. */
void psrv_dlease_ack(struct psrv *s, const struct srv_req *q, struct wbuf *b)
{
	pthread_mutex_lock(&s->mu);
	s->lease_acks++;
	s->closes_at_ack = s->dir_closes;
	pthread_mutex_unlock(&s->mu);
	wbuf_u16(b, 36);
	wbuf_u16(b, 0);
	wbuf_u32(b, 0);
	if (q->body_len >= 28)
		wbuf_bytes(b, q->body + 8, 20); /* LeaseKey, LeaseState */
	else
		wbuf_zero(b, 20);
	wbuf_u64(b, 0);
}

long long psrv_stat(struct smb_client *cl, const char *name)
{
	char buf[8192];
	smb_client_ops(cl)->stats(cl, buf, sizeof(buf));
	size_t n = strlen(name);
	for (char *l = buf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (strncmp(l, name, n) == 0 && l[n] == ' ')
			return atoll(l + n + 1);
	return -1;
}

bool psrv_wait_count(struct psrv *s, const unsigned *count, unsigned n)
{
	for (int i = 0; i < 500; i++) {
		pthread_mutex_lock(&s->mu);
		bool ok = *count >= n;
		pthread_mutex_unlock(&s->mu);
		if (ok)
			return true;
		struct timespec ts = {0, 10 * 1000000};
		nanosleep(&ts, NULL);
	}
	return false;
}
