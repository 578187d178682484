/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ops->lock and ops->unlock over SMB2 against the scripted server of psrv.h: what goes on the wire, a
 * refused lock, a lock that waits (STATUS_PENDING) and then fails or is granted, an interrupted wait (SMB2
 * CANCEL) with and without the grant crossing the cancel, and locks taken again, or reported lost, after a
 * reconnect.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../tap.h"
#include "psrv.h"
#include "smbfuse/cancel.h"
#include "smbfuse/err.h"
#include "smbfuse/log.h"
#include "smbfuse/smb1.h"
#include "smbfuse/smb2.h"

#define STATUS_LOCK_NOT_GRANTED 0xC0000055u
#define STATUS_FILE_LOCK_CONFLICT 0xC0000054u

static struct psrv srv;
static struct smb_client *cl;
static const struct smb_ops *ops;

static unsigned counter(unsigned *c)
{
	pthread_mutex_lock(&srv.mu);
	unsigned v = *c;
	pthread_mutex_unlock(&srv.mu);
	return v;
}

static uint32_t last_flags(void)
{
	return counter(&srv.last_lock_flags);
}

/* Wait (5 s at most) until the server holds a lock waiting for a CANCEL. */
static bool lock_waiting(void)
{
	for (int i = 0; i < 5000; i++) {
		pthread_mutex_lock(&srv.mu);
		bool w = srv.lock_mid != 0;
		pthread_mutex_unlock(&srv.mu);
		if (w)
			return true;
		nanosleep(&(struct timespec){0, 1000000}, NULL);
	}
	return false;
}

struct waiter {
	struct smb_fh *fh;
	struct smb_cancel *tok;
	bool ready;
	int rc;
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

static void *wait_lock(void *arg)
{
	struct waiter *w = arg;
	pthread_mutex_lock(&w->mu);
	w->tok = smb_cancel_begin(w);
	w->ready = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	w->rc = ops->lock(cl, w->fh, 10, 5, SMB_LOCK_EXCL | SMB_LOCK_WAIT);
	return NULL;
}

/* A waiting lock interrupted once the server has it waiting; cancel_status answers the CANCEL. */
static int interrupted_lock(struct smb_fh *fh, uint32_t cancel_status)
{
	struct waiter w = {.fh = fh, .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
	pthread_mutex_lock(&srv.mu);
	srv.lock_pending = true;
	srv.lock_hold = true;
	srv.lock_cancel_status = cancel_status;
	pthread_mutex_unlock(&srv.mu);
	pthread_t th;
	pthread_create(&th, NULL, wait_lock, &w);
	pthread_mutex_lock(&w.mu);
	while (!w.ready)
		pthread_cond_wait(&w.cv, &w.mu);
	pthread_mutex_unlock(&w.mu);
	CHECK(lock_waiting());
	smb_cancel_fire(w.tok, &w);
	pthread_join(th, NULL);
	pthread_mutex_lock(&srv.mu);
	srv.lock_hold = false;
	pthread_mutex_unlock(&srv.mu);
	return w.rc;
}

/* The same over SMB1 (LOCKING_ANDX): what goes on the wire, refused, interrupted with and without the grant
 * crossing the cancel (LOCKING_ANDX_CANCEL_LOCK). */
static void smb1_cases(void)
{
	memset(&srv, 0, sizeof(srv));
	psrv_start_smb1(&srv);
	CHECK(psrv_client(&srv, false, 2000, &cl) == 0);
	ops = smb_client_ops(cl);
	struct smb_fh *fh = NULL;
	CHECK(ops->open(cl, "f", O_RDWR, 0, &fh, NULL) == 0);
	CHECK(ops->lock(cl, fh, 1, UINT64_MAX - 1, SMB_LOCK_EXCL) == 0);
	CHECK(last_flags() == SMB1_LOCKING_LARGE_FILES && counter(&srv.last_lock_timeout) == 0);
	CHECK(ops->unlock(cl, fh, 1, UINT64_MAX - 1) == 0);
	CHECK(last_flags() == (0x100u | SMB1_LOCKING_LARGE_FILES));
	CHECK(ops->lock(cl, fh, 0, 10, SMB_LOCK_WAIT) == 0);
	CHECK(last_flags() == (SMB1_LOCKING_SHARED | SMB1_LOCKING_LARGE_FILES));
	CHECK(counter(&srv.last_lock_timeout) == 0xFFFFFFFFu);
	CHECK(ops->unlock(cl, fh, 0, 10) == 0);
	psrv_arm(&srv, SMB1_COM_LOCKING_ANDX, 0, PSRV_STATUS, STATUS_LOCK_NOT_GRANTED);
	CHECK(ops->lock(cl, fh, 0, 10, SMB_LOCK_EXCL) == -EAGAIN);
	unsigned unlocks = counter(&srv.unlocks);
	CHECK(interrupted_lock(fh, STATUS_FILE_LOCK_CONFLICT) == -EINTR);
	CHECK(counter(&srv.cancels) == 1 && counter(&srv.unlocks) == unlocks);
	CHECK(interrupted_lock(fh, STATUS_SUCCESS) == -EINTR);
	CHECK(counter(&srv.cancels) == 2 && counter(&srv.unlocks) == unlocks + 1);
	CHECK(ops->close(cl, fh) == 0);
	smb_client_free(cl);
	psrv_stop(&srv);
}

int main(void)
{
	if (getenv("LOCKS_DEBUG"))
		log_set_level(LOG_LVL_DEBUG);
	psrv_start(&srv);
	srv.reconnect = true;
	CHECK(psrv_client(&srv, false, 2000, &cl) == 0);
	ops = smb_client_ops(cl);
	CHECK(ops->lock && ops->unlock);
	struct smb_fh *fh = NULL;
	CHECK(ops->open(cl, "f", O_RDWR, 0, &fh, NULL) == 0);

	/* What goes on the wire: a lock that must not wait fails at once at the server. */
	CHECK(ops->lock(cl, fh, 0, 10, SMB_LOCK_EXCL) == 0);
	CHECK(last_flags() == (SMB2_LOCKFLAG_EXCLUSIVE_LOCK | SMB2_LOCKFLAG_FAIL_IMMEDIATELY));
	CHECK(ops->unlock(cl, fh, 0, 10) == 0);
	CHECK(last_flags() == SMB2_LOCKFLAG_UNLOCK);
	CHECK(ops->lock(cl, fh, 0, 10, SMB_LOCK_WAIT) == 0);
	CHECK(last_flags() == SMB2_LOCKFLAG_SHARED_LOCK);
	CHECK(ops->unlock(cl, fh, 0, 10) == 0);
	CHECK(counter(&srv.locks) == 2 && counter(&srv.unlocks) == 2);

	/* Ranges: empty, or ending past 2^64 - 1, never reach the server. */
	CHECK(ops->lock(cl, fh, 0, 0, 0) == -EINVAL);
	CHECK(ops->lock(cl, fh, UINT64_MAX - 4, 5, 0) == -EINVAL);
	CHECK(ops->lock(cl, fh, 1, UINT64_MAX - 1, 0) == 0);
	CHECK(ops->unlock(cl, fh, 1, UINT64_MAX - 1) == 0);
	CHECK(counter(&srv.locks) == 3);

	/* Refused: another holder (both statuses Samba uses) is EAGAIN. */
	psrv_arm(&srv, SMB2_LOCK, 0, PSRV_STATUS, STATUS_LOCK_NOT_GRANTED);
	CHECK(ops->lock(cl, fh, 0, 10, SMB_LOCK_EXCL) == -EAGAIN);
	psrv_arm(&srv, SMB2_LOCK, 0, PSRV_STATUS, STATUS_FILE_LOCK_CONFLICT);
	CHECK(ops->lock(cl, fh, 0, 10, 0) == -EAGAIN);
	/* An unlock the server does not know of. */
	psrv_arm(&srv, SMB2_LOCK, 0, PSRV_STATUS, 0xC000007Eu /* STATUS_RANGE_NOT_LOCKED */);
	CHECK(ops->unlock(cl, fh, 0, 10) == -ENOLCK);

	/* Pending, then the final answer: an error, or the grant. */
	pthread_mutex_lock(&srv.mu);
	srv.lock_pending = true;
	srv.lock_final = STATUS_LOCK_NOT_GRANTED;
	pthread_mutex_unlock(&srv.mu);
	CHECK(ops->lock(cl, fh, 0, 10, SMB_LOCK_EXCL | SMB_LOCK_WAIT) == -EAGAIN);
	pthread_mutex_lock(&srv.mu);
	srv.lock_pending = true;
	srv.lock_final = STATUS_SUCCESS;
	pthread_mutex_unlock(&srv.mu);
	CHECK(ops->lock(cl, fh, 0, 10, SMB_LOCK_EXCL | SMB_LOCK_WAIT) == 0);
	CHECK(ops->unlock(cl, fh, 0, 10) == 0);

	/* Interrupted while the server waits: CANCEL goes out, the caller gets EINTR, nothing stays held. */
	unsigned unlocks = counter(&srv.unlocks);
	CHECK(interrupted_lock(fh, STATUS_CANCELLED) == -EINTR);
	CHECK(counter(&srv.cancels) == 1);
	CHECK(counter(&srv.unlocks) == unlocks);
	/* The grant crossed the cancel: it is unlocked before EINTR goes back. */
	CHECK(interrupted_lock(fh, STATUS_SUCCESS) == -EINTR);
	CHECK(counter(&srv.cancels) == 2);
	CHECK(counter(&srv.unlocks) == unlocks + 1);
	CHECK(last_flags() == SMB2_LOCKFLAG_UNLOCK);
	char buf[16];
	struct smb_attr a;
	CHECK(ops->read(cl, fh, buf, sizeof(buf), 0) == (ssize_t)sizeof(buf));

	/* A reconnect: the handle is reopened at its next use and its locks taken again, never waiting. */
	CHECK(ops->lock(cl, fh, 100, 10, SMB_LOCK_EXCL) == 0);
	unsigned locks = counter(&srv.locks);
	/* The READ lost with the connection is sent again once the handle is reopened (not durable here). */
	psrv_arm(&srv, SMB2_READ, 0, PSRV_DROP, 0);
	CHECK(ops->read(cl, fh, buf, sizeof(buf), 0) == (ssize_t)sizeof(buf));
	CHECK(counter(&srv.locks) == locks + 1);
	CHECK(last_flags() == (SMB2_LOCKFLAG_EXCLUSIVE_LOCK | SMB2_LOCKFLAG_FAIL_IMMEDIATELY));
	/* ...and when another client took the range meanwhile, the file is lost: EIO from then on. */
	psrv_hangup(&srv);
	CHECK(ops->stat(cl, "x", &a) == 0); /* the session is rebuilt; fh is reopened at its next use */
	psrv_arm(&srv, SMB2_LOCK, 0, PSRV_STATUS, STATUS_LOCK_NOT_GRANTED);
	CHECK(ops->read(cl, fh, buf, sizeof(buf), 0) == -EIO);
	CHECK(ops->write(cl, fh, buf, sizeof(buf), 0) == -EIO);
	CHECK(ops->lock(cl, fh, 0, 1, 0) == -EIO);
	CHECK(ops->close(cl, fh) == 0);

	/* An unlocked handle after all this still works. */
	CHECK(ops->open(cl, "g", O_RDWR, 0, &fh, NULL) == 0);
	CHECK(ops->read(cl, fh, buf, sizeof(buf), 0) == (ssize_t)sizeof(buf));
	CHECK(ops->close(cl, fh) == 0);

	smb_client_free(cl);
	psrv_stop(&srv);
	smb1_cases();
	return tap_done();
}
