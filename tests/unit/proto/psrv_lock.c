/* SPDX-License-Identifier: GPL-2.0-or-later */
/* psrv_lock.c - psrv's LOCK requests: granted at once, or pending (interim answer) until a final status or a
 * CANCEL (psrv.lock_pending, lock_hold, lock_final, lock_cancel_status). Server thread only. */
#include <pthread.h>

#include "psrv.h"
#include "smbfuse/err.h"
#include "smbfuse/smb2.h"
#include "smbfuse/util.h"
#include "../../xport/srv.h"

/* A LOCK's answer with status (final or interim, async when async_id is not 0). */
static void lock_rsp(struct psrv *s, int fd, uint64_t mid, uint64_t async_id, uint32_t status)
{
	struct wbuf b;
	wbuf_init(&b, 0);
	if (status == STATUS_SUCCESS) {
		wbuf_u16(&b, 4);
		wbuf_u16(&b, 0);
	} else {
		psrv_error_body(&b);
	}
	psrv_send_late(s, fd, mid, SMB2_LOCK, status, async_id, &b);
	wbuf_free(&b);
}

/* false: answered here (or later, at a CANCEL). */
bool psrv_lock_answer(struct psrv *s, int fd, const struct srv_req *q, struct wbuf *b)
{
	uint32_t flags = q->body_len >= 44 ? get_le32(q->body + 40) : 0;
	pthread_mutex_lock(&s->mu);
	s->last_lock_flags = flags;
	bool unlock = flags & SMB2_LOCKFLAG_UNLOCK;
	if (unlock)
		s->unlocks++;
	else
		s->locks++;
	bool pend = !unlock && s->lock_pending;
	uint32_t final = s->lock_final;
	bool hold = s->lock_hold;
	if (pend) {
		s->lock_pending = false;
		if (hold) {
			s->lock_mid = q->h.message_id;
			s->lock_async = 0x7700 + q->h.message_id;
		}
	}
	pthread_mutex_unlock(&s->mu);
	if (!pend) {
		wbuf_u16(b, 4);
		wbuf_u16(b, 0);
		return true;
	}
	lock_rsp(s, fd, q->h.message_id, 0x7700 + q->h.message_id, STATUS_PENDING);
	if (!hold)
		lock_rsp(s, fd, q->h.message_id, 0x7700 + q->h.message_id, final);
	return false;
}

/* A CANCEL of the lock waiting for one (by AsyncId or MessageId): its final answer. */
void psrv_lock_cancel(struct psrv *s, int fd, const struct srv_req *q)
{
	pthread_mutex_lock(&s->mu);
	bool hit = s->lock_mid && ((q->h.flags & SMB2_FLAGS_ASYNC_COMMAND) ? q->h.async_id == s->lock_async
									    : q->h.message_id == s->lock_mid);
	uint64_t mid = s->lock_mid, async = s->lock_async;
	uint32_t st = s->lock_cancel_status;
	if (hit) {
		s->cancels++;
		s->lock_mid = s->lock_async = 0;
	}
	pthread_mutex_unlock(&s->mu);
	if (hit)
		lock_rsp(s, fd, mid, async, st);
}
