/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * plock.c - what the two dialects share of byte-range locks (ops->lock, ops->unlock; doc/locks.md).
 *
 * SMB locks belong to the handle (MS-SMB2 3.3.5.14, MS-CIFS 3.3.5.33): the server knows nothing of the
 * POSIX owner, which the FUSE glue maps onto handles (src/fs/lock.c). What the proto layer owes the glue is
 * that a lock it reported held stays held or is reported lost:
 *   - a handle that ever held a lock is never parked in the handle cache (cache.c): closing it must release
 *     its locks at once, as the server does when the handle closes;
 *   - a reconnect loses every lock with the session. The handle is reopened at its next use, and its locks
 *     are taken again then, never waiting (another client may have taken the range meanwhile). One that is
 *     refused marks the handle lost: every later use fails with -EIO and the log says which file, so an
 *     application never goes on writing under a lock it no longer holds.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto_i.h"
#include "smbfuse/cancel.h"
#include "smbfuse/log.h"

static int add_locked(struct smb_fh *fh, uint64_t off, uint64_t len, bool excl)
{
	if (fh->nlocks == fh->locks_cap) {
		unsigned cap = fh->locks_cap ? fh->locks_cap * 2 : 4;
		struct plock *v = realloc(fh->locks, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		fh->locks = v;
		fh->locks_cap = cap;
	}
	fh->locks[fh->nlocks++] = (struct plock){off, len, excl};
	return 0;
}

static void del_locked(struct smb_fh *fh, uint64_t off, uint64_t len)
{
	for (unsigned i = fh->nlocks; i-- > 0;)
		if (fh->locks[i].off == off && fh->locks[i].len == len) {
			fh->locks[i] = fh->locks[--fh->nlocks];
			return;
		}
}

int plock_lost(struct smb_fh *fh)
{
	pthread_mutex_lock(&fh->lock);
	bool lost = fh->locks_lost;
	pthread_mutex_unlock(&fh->lock);
	return lost ? -EIO : 0;
}

int plock_run(struct smb_client *cl, struct smb_fh *fh, uint64_t off, uint64_t len, unsigned flags, bool unlock,
	      plock_send_fn send)
{
	/* The last byte a lock may cover is 2^64 - 2: Samba refuses a range whose end wraps. */
	if (len == 0 || off + len < off)
		return -EINVAL;
	int rc = plock_lost(fh);
	if (rc < 0)
		return rc;
	if (!unlock) {
		/* Before the LOCK goes out: a close racing with the grant must not park the handle. */
		atomic_store(&fh->locked, true);
		pthread_mutex_lock(&fh->lock);
		rc = add_locked(fh, off, len, flags & SMB_LOCK_EXCL); /* room first: a grant is never forgotten */
		if (rc == 0)
			del_locked(fh, off, len);
		pthread_mutex_unlock(&fh->lock);
		if (rc < 0)
			return rc;
	}
	rc = send(cl, fh, off, len, flags, unlock);
	pthread_mutex_lock(&fh->lock);
	/* An unlock that failed leaves nothing to take again after a reconnect either: the lock is not held,
	 * or went with the connection. */
	if (unlock)
		del_locked(fh, off, len);
	else if (!unlock && rc == 0)
		add_locked(fh, off, len, flags & SMB_LOCK_EXCL); /* cannot fail: room was made above */
	pthread_mutex_unlock(&fh->lock);
	return rc;
}

int plock_reacquire_locked(struct smb_client *cl, struct smb_fh *fh, plock_relock_fn relock, void *ctx)
{
	for (unsigned i = 0; i < fh->nlocks && !fh->locks_lost; i++) {
		int rc = relock(cl, ctx, &fh->locks[i]);
		if (rc < 0) {
			log_err("the byte-range lock at %llu (+%llu) of \"%s\" could not be taken again after the "
				  "reconnect (%s): its file now fails with EIO",
				  (unsigned long long)fh->locks[i].off, (unsigned long long)fh->locks[i].len, fh->path,
				  strerror(-rc));
			fh->locks_lost = true;
		}
	}
	return fh->locks_lost ? -EIO : 0;
}

void plock_free(struct smb_fh *fh)
{
	free(fh->locks);
	fh->locks = NULL;
	fh->nlocks = fh->locks_cap = 0;
}

/*
 * Waiting for a LOCK. Every LOCK and unlock goes out asynchronously and its answer is always waited for:
 * a request abandoned on an interrupt (what conn_call does) could have been granted, leaving a lock at the
 * server that nobody knows of. Only a lock that waits at the server (SMB_LOCK_WAIT) waits interruptibly;
 * when interrupted, the dialect cancels it and waits for the final answer, which is the grant itself if
 * the grant crossed the cancel, and then unlocks (uninterruptibly: the interrupt has fired for the rest of
 * this FUSE request, cancel.h).
 */
void plock_wait_init(struct plock_wait *w)
{
	smb_cancel_cond_init(&w->cv);
	pthread_mutex_init(&w->mu, NULL);
	w->done = false;
}

void plock_wait_destroy(struct plock_wait *w)
{
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
}

void plock_wait_done(struct plock_wait *w)
{
	pthread_mutex_lock(&w->mu);
	w->done = true;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

int plock_wait(struct plock_wait *w, bool interruptible)
{
	int rc = 0;
	pthread_mutex_lock(&w->mu);
	while (!w->done && rc == 0) {
		if (interruptible)
			rc = smb_cancel_wait(&w->cv, &w->mu, NULL);
		else
			pthread_cond_wait(&w->cv, &w->mu);
	}
	rc = w->done ? 0 : rc;
	pthread_mutex_unlock(&w->mu);
	return rc;
}
