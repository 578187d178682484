/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * smb2_lock.c - ops->lock and ops->unlock over SMB2 LOCK (MS-SMB2 2.2.26, 3.2.4.19; plock.c has what both
 * dialects share, doc/locks.md the design).
 *
 * A lock that may wait (SMB_LOCK_WAIT) goes without SMB2_LOCKFLAG_FAIL_IMMEDIATELY: the server answers
 * STATUS_PENDING at once (the transport absorbs that interim answer and keeps the request by its AsyncId,
 * MS-SMB2 3.2.5.1.5) and the final answer when the lock is granted. An interrupted caller sends SMB2 CANCEL
 * by AsyncId (3.2.4.24) and waits for the final answer: STATUS_CANCELLED, or the grant if it crossed the
 * cancel, which is then unlocked before -EINTR goes back.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "smb2_proto_i.h"
#include "smbfuse/err.h"
#include "smbfuse/log.h"
#include "smbfuse/smb2.h"

struct lock_call {
	struct plock_wait w;
	struct conn_msg m;
};

static void lock_done(void *arg, struct conn_msg *m)
{
	struct lock_call *k = arg;
	plock_wait_done(&k->w);
}

static int lock_errno(const struct conn_msg *m)
{
	if (m->err < 0)
		return m->err;
	if (!m->rsp || smb2_lock_rsp_decode(m->rsp, m->rsp_len) < 0) {
		if (m->rsp && m->rsp_hdr.status != STATUS_SUCCESS)
			return ntstatus_to_errno(m->rsp_hdr.status) ?: -EIO;
		log_warn("server reply: LOCK answer malformed");
		return -EIO;
	}
	return 0;
}

/* One LOCK of e on fid, its answer always waited for (plock.c); wait: the lock may wait at the server and the
 * caller may be interrupted. */
static int lock_one(struct smb_client *cl, struct smb2_fid fid, struct smb2_lock_element e, bool wait)
{
	struct smb2_lock_req req = {.fid = fid, .locks = &e, .nlocks = 1};
	struct lock_call k = {.m.hdr.command = SMB2_LOCK};
	struct wbuf b;
	wbuf_init(&b, 0);
	int rc = smb2_lock_req_encode(&b, &req);
	if (rc < 0) {
		wbuf_free(&b);
		return rc;
	}
	k.m.body = b.p;
	k.m.body_len = b.len;
	plock_wait_init(&k.w);
	struct conn_async *a = NULL;
	uint64_t gen = 0;
	stat_cmd(cl, SMB2_LOCK);
	rc = wait ? sess_submit_long(cl->sess, &k.m, lock_done, &k, &gen, &a)
		  : sess_submit(cl->sess, &k.m, lock_done, &k, &gen);
	wbuf_free(&b);
	if (rc < 0) {
		plock_wait_destroy(&k.w);
		return rc;
	}
	int intr = plock_wait(&k.w, wait);
	if (intr < 0) {
		sess_cancel(cl->sess, a, gen);
		plock_wait(&k.w, false);
	}
	if (a)
		conn_async_put(a);
	rc = lock_errno(&k.m);
	free(k.m.rsp);
	plock_wait_destroy(&k.w);
	if (intr < 0 && rc == 0 && !(e.flags & SMB2_LOCKFLAG_UNLOCK)) {
		/* Granted as the cancel crossed it: nobody waits for this lock any more. */
		log_dbg("LOCK granted after its cancel: unlocking");
		e.flags = SMB2_LOCKFLAG_UNLOCK;
		int u = lock_one(cl, fid, e, false);
		if (u < 0)
			log_warn("a lock granted after its caller was interrupted stays until the file is closed: %s",
				 strerror(-u));
	}
	return intr < 0 ? intr : rc == -ECANCELED ? -EINTR : rc;
}

static int smb2_lock_send(struct smb_client *cl, struct smb_fh *fh, uint64_t off, uint64_t len, unsigned flags,
			  bool unlock)
{
	struct smb2_fid fid;
	int rc = smb2_fh_fid(cl, fh, &fid, NULL);
	if (rc < 0)
		return rc;
	struct smb2_lock_element e = {.offset = off, .length = len};
	if (unlock)
		e.flags = SMB2_LOCKFLAG_UNLOCK;
	else
		e.flags = ((flags & SMB_LOCK_EXCL) ? SMB2_LOCKFLAG_EXCLUSIVE_LOCK : SMB2_LOCKFLAG_SHARED_LOCK) |
			  ((flags & SMB_LOCK_WAIT) ? 0 : SMB2_LOCKFLAG_FAIL_IMMEDIATELY);
	return lock_one(cl, fid, e, !unlock && (flags & SMB_LOCK_WAIT));
}

int smb2_lock(struct smb_client *cl, struct smb_fh *fh, uint64_t off, uint64_t len, unsigned flags)
{
	return plock_run(cl, fh, off, len, flags, false, smb2_lock_send);
}

int smb2_unlock(struct smb_client *cl, struct smb_fh *fh, uint64_t off, uint64_t len)
{
	return plock_run(cl, fh, off, len, 0, true, smb2_lock_send);
}

int smb2_relock(struct smb_client *cl, void *ctx, const struct plock *l)
{
	struct smb2_lock_element e = {
	    .offset = l->off,
	    .length = l->len,
	    .flags = (l->excl ? SMB2_LOCKFLAG_EXCLUSIVE_LOCK : SMB2_LOCKFLAG_SHARED_LOCK) |
		     SMB2_LOCKFLAG_FAIL_IMMEDIATELY,
	};
	return lock_one(cl, *(const struct smb2_fid *)ctx, e, false);
}
