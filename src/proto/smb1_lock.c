/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * smb1_lock.c - ops->lock and ops->unlock over LOCKING_ANDX with 64-bit ranges (MS-CIFS 2.2.4.32,
 * 3.2.4.26; plock.c has what both dialects share, doc/locks.md the design).
 *
 * A lock that may wait goes with Timeout 0xFFFFFFFF: the server answers when the lock is granted. SMB1 has
 * no interim answer; an interrupted caller sends a second LOCKING_ANDX with LOCKING_ANDX_CANCEL_LOCK for
 * the same range (Samba then ends the waiting one with STATUS_FILE_LOCK_CONFLICT) and waits for the first
 * one's answer, unlocking when it was the grant.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "smb1_proto_i.h"
#include "smbfuse/err.h"
#include "smbfuse/log.h"

#define WAIT_FOREVER 0xFFFFFFFFu

struct lock_call {
	struct plock_wait w;
	int err;
	uint32_t status;
};

static void lock_done(void *arg, int err, uint8_t *rsp, size_t rsp_len)
{
	struct lock_call *k = arg;
	k->err = err;
	k->status = err < 0 ? 0 : smb1_rsp_status(rsp, rsp_len);
	free(rsp);
	plock_wait_done(&k->w);
}

static int submit(struct s1link *l, const struct smb1_lock_req *req, struct lock_call *k)
{
	struct wbuf w;
	smb1_sess_req_init(l->s, &w, SMB1_COM_LOCKING_ANDX);
	int rc = smb1_lock_req_encode(&w, req);
	if (rc == 0) {
		stat_cmd(l->cl, SMB1_COM_LOCKING_ANDX);
		rc = smb1_sess_submit_cb(l->s, &w, NULL, 0, lock_done, k);
	}
	wbuf_free(&w);
	return rc;
}

/* One LOCKING_ANDX, its answer always waited for (plock.c); interruptible only when the server may wait. */
static int lock_one(struct s1link *l, struct smb1_lock_req req)
{
	struct lock_call k = {0};
	plock_wait_init(&k.w);
	req.pid = smb1_sess_pid(l->s);
	int rc = submit(l, &req, &k);
	if (rc < 0) {
		plock_wait_destroy(&k.w);
		return rc;
	}
	bool wait = !req.unlock && req.timeout_ms != 0;
	int intr = plock_wait(&k.w, wait);
	if (intr < 0) {
		struct lock_call c = {0};
		struct smb1_lock_req cancel = req;
		cancel.type |= SMB1_LOCKING_CANCEL;
		plock_wait_init(&c.w);
		if (submit(l, &cancel, &c) == 0)
			plock_wait(&c.w, false);
		plock_wait_destroy(&c.w);
		plock_wait(&k.w, false);
	}
	plock_wait_destroy(&k.w);
	rc = k.err < 0 ? k.err : k.status == STATUS_SUCCESS ? 0 : (ntstatus_to_errno(k.status) ?: -EIO);
	if (intr < 0 && rc == 0) {
		/* Granted as the cancel crossed it: nobody waits for this lock any more. */
		struct smb1_lock_req un = req;
		un.unlock = true;
		un.timeout_ms = 0;
		int u = lock_one(l, un);
		if (u < 0)
			log_warn("a lock granted after its caller was interrupted stays until the file is closed: %s",
				 strerror(-u));
	}
	return intr < 0 ? intr : rc;
}

struct lock_args {
	struct smb1_lock_req req;
};

static int op_lock(struct s1link *l, uint16_t fid, void *arg)
{
	struct lock_args *a = arg;
	a->req.fid = fid;
	return lock_one(l, a->req);
}

static int smb1_lock_send(struct smb_client *cl, struct smb_fh *fh, uint64_t off, uint64_t len, unsigned flags,
			  bool unlock)
{
	struct lock_args a = {.req = {.off = off,
				      .len = len,
				      .unlock = unlock,
				      .type = (flags & SMB_LOCK_EXCL) || unlock ? 0 : SMB1_LOCKING_SHARED,
				      .timeout_ms = !unlock && (flags & SMB_LOCK_WAIT) ? WAIT_FOREVER : 0}};
	/* Not run again on a new link: the lock (or unlock) went with the old one's handles. */
	return on_fid(cl, fh, op_lock, &a, false);
}

int smb1_lock(struct smb_client *cl, struct smb_fh *fh, uint64_t off, uint64_t len, unsigned flags)
{
	return plock_run(cl, fh, off, len, flags, false, smb1_lock_send);
}

int smb1_unlock(struct smb_client *cl, struct smb_fh *fh, uint64_t off, uint64_t len)
{
	return plock_run(cl, fh, off, len, 0, true, smb1_lock_send);
}

int smb1_relock(struct smb_client *cl, void *ctx, const struct plock *p)
{
	const struct smb1_relock_ctx *c = ctx;
	struct smb1_lock_req req = {.fid = c->fid, .off = p->off, .len = p->len, .type = p->excl ? 0 : SMB1_LOCKING_SHARED};
	return lock_one(c->l, req);
}
