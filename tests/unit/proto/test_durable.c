/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Durable handles across a connection loss, against the scripted server of psrv.h (dialect 2.1: DHnQ and
 * DHnC): a WRITE lost with the connection is resent through the handle taken back; a refused reconnect
 * reopens by path and fails the lost WRITE with EIO; a refused resent WRITE fails the write; a gathered
 * WRITE (wb.c) is resent or reported the same way; and a handle
 * used after a reconnect never reaches the server with its old FileId (which the server answers
 * FILE_CLOSED, EBADF to the application).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "psrv.h"
#include "smbfuse/err.h"
#include "smbfuse/log.h"
#include "smbfuse/smb2.h"

static char big[100000];

struct fx {
	struct psrv s;
	struct smb_client *cl;
	const struct smb_ops *ops;
	struct smb_fh *fh;
};

/* A server granting durable handles (when durable), a client with the cache (so opens ask for a lease and
 * a durable handle) and d/f open for writing. */
static bool up(struct fx *f, bool durable)
{
	psrv_start(&f->s);
	f->s.durable = durable;
	f->s.reconnect = true;
	if (psrv_client(&f->s, true, 2000, &f->cl) < 0)
		return false;
	f->ops = smb_client_ops(f->cl);
	return f->ops->open(f->cl, "d/f", O_RDWR, 0644, &f->fh, NULL) == 0;
}

static void down(struct fx *f)
{
	if (f->fh)
		f->ops->close(f->cl, f->fh);
	smb_client_free(f->cl);
	psrv_stop(&f->s);
}

/* The connection drops instead of answering the second WRITE: it goes again through the handle taken
 * back with DHnC, and the write succeeds whole. */
static void test_write_replayed(void)
{
	struct fx f;
	CHECK(up(&f, true));
	CHECK(psrv_stat(f.cl, "handles.durable") == 1);
	psrv_arm(&f.s, SMB2_WRITE, 1, PSRV_DROP, 0);
	CHECK(f.ops->write(f.cl, f.fh, big, sizeof(big), 0) == (ssize_t)sizeof(big));
	CHECK(psrv_fired(&f.s) == 1);
	CHECK(f.s.dh_reconnects == 1);
	CHECK(psrv_stat(f.cl, "handles.reconnected") == 1 && psrv_stat(f.cl, "handles.reopened") == 0);
	CHECK(psrv_stat(f.cl, "writes.replayed") >= 1 && psrv_stat(f.cl, "writes.lost") == 0);
	down(&f);
}

/* The server did not keep the open (reconnect refused): reopened by path, the lost WRITE fails the write
 * with EIO (never silently lost), and the descriptor goes on working. */
static void test_reconnect_refused(void)
{
	struct fx f;
	CHECK(up(&f, true));
	f.s.reconnect_status = STATUS_OBJECT_NAME_NOT_FOUND;
	psrv_arm(&f.s, SMB2_WRITE, 1, PSRV_DROP, 0);
	ssize_t w = f.ops->write(f.cl, f.fh, big, sizeof(big), 0);
	if (w != -EIO)
		printf("# write: %zd\n", w);
	CHECK(w == -EIO);
	CHECK(f.s.dh_reconnects == 1);
	CHECK(psrv_stat(f.cl, "handles.reconnected") == 0 && psrv_stat(f.cl, "handles.reopened") == 1);
	CHECK(psrv_stat(f.cl, "writes.lost") == 1 && psrv_stat(f.cl, "writes.replayed") == 0);
	CHECK(f.ops->write(f.cl, f.fh, big, sizeof(big), 0) == (ssize_t)sizeof(big));
	down(&f);
}

/* The resent WRITE is refused: the write fails with the server's answer, not with success. */
static void test_replay_refused(void)
{
	struct fx f;
	CHECK(up(&f, true));
	f.s.replay_status = STATUS_ACCESS_DENIED;
	psrv_arm(&f.s, SMB2_WRITE, 1, PSRV_DROP, 0);
	CHECK(f.ops->write(f.cl, f.fh, big, sizeof(big), 0) == -EACCES);
	CHECK(psrv_stat(f.cl, "handles.reconnected") == 1 && psrv_stat(f.cl, "writes.replayed") >= 1);
	down(&f);
}

/* The connection dies while the handle is idle; its next uses (fstat, read, write) take it back first
 * instead of sending the old FileId on the new session. Without durable handles too (reopened). */
static void test_no_stale_fid(bool durable)
{
	struct fx f;
	CHECK(up(&f, durable));
	struct smb_attr a;
	CHECK(f.ops->fstat(f.cl, f.fh, &a) == 0);
	psrv_hangup(&f.s);
	CHECK(f.ops->fstat(f.cl, f.fh, &a) == 0);
	psrv_hangup(&f.s);
	CHECK(f.ops->read(f.cl, f.fh, big, 100, 0) == 100);
	/* A WRITE that may have gone out on the dying connection is resent only through a durable handle. */
	psrv_hangup(&f.s);
	ssize_t w = f.ops->write(f.cl, f.fh, big, 100, 0);
	CHECK(w == 100 || (!durable && w == -EIO));
	CHECK(f.ops->fstat(f.cl, f.fh, &a) == 0); /* an EIO'd write may have left the refresh to this */
	CHECK(psrv_stat(f.cl, durable ? "handles.reconnected" : "handles.reopened") == 3);
	down(&f);
}

/* Under a Write lease the write is gathered; the connection drops instead of answering its WRITE at the
 * flush: the WRITE goes again through the handle taken back (flush succeeds), or, when the server did not
 * keep it, the flush reports EIO. */
static void test_gathered_write(bool kept)
{
	struct fx f;
	psrv_start(&f.s);
	f.s.durable = true;
	f.s.reconnect = true;
	f.s.grant_lease = true;
	f.s.reconnect_status = kept ? 0 : STATUS_OBJECT_NAME_NOT_FOUND;
	CHECK(psrv_client(&f.s, true, 2000, &f.cl) == 0);
	f.ops = smb_client_ops(f.cl);
	CHECK(f.ops->open(f.cl, "d/f", O_RDWR, 0644, &f.fh, NULL) == 0);
	CHECK(f.ops->write(f.cl, f.fh, big, 10, 0) == 10);
	CHECK(psrv_stat(f.cl, "requests.WRITE") <= 0); /* gathered */
	psrv_arm(&f.s, SMB2_WRITE, 0, PSRV_DROP, 0);
	CHECK(f.ops->flush(f.cl, f.fh) == (kept ? 0 : -EIO));
	CHECK(psrv_fired(&f.s) == 1);
	CHECK(psrv_stat(f.cl, "writes.replayed") == (kept ? 1 : 0));
	CHECK(psrv_stat(f.cl, "writes.lost") == (kept ? 0 : 1));
	down(&f);
}

/* After a lost connection the server is slow to answer the SESSION_SETUP that names the old session (Samba
 * first ends it: src/session/setup.c), longer than a stage's deadline: the rebuild waits for it under the
 * same ClientGuid and takes the handle back, instead of giving up the handles as for a hung server. */
static void test_slow_previous_session(void)
{
	struct fx f;
	CHECK(up(&f, true));
	psrv_hangup(&f.s);
	f.s.late_ms = 2500; /* psrv_client's connect_timeout_ms is 2000 */
	psrv_arm(&f.s, SMB2_SESSION_SETUP, 0, PSRV_LATE, 0);
	CHECK(f.ops->write(f.cl, f.fh, big, 100, 0) == 100);
	CHECK(psrv_fired(&f.s) == 1);
	pthread_mutex_lock(&f.s.mu);
	unsigned changes = f.s.guid_changes, negs = f.s.negotiates;
	pthread_mutex_unlock(&f.s.mu);
	if (changes)
		printf("# %u NEGOTIATEs, %u with another ClientGuid\n", negs, changes);
	CHECK(negs == 2 && changes == 0);
	CHECK(psrv_stat(f.cl, "handles.reconnected") == 1 && psrv_stat(f.cl, "handles.reopened") == 0);
	down(&f);
}

int main(void)
{
	log_set_level(getenv("OPSFAIL_DEBUG") ? LOG_LVL_DEBUG : LOG_LVL_ERR);
	test_write_replayed();
	test_reconnect_refused();
	test_replay_refused();
	test_no_stale_fid(true);
	test_no_stale_fid(false);
	test_gathered_write(true);
	test_gathered_write(false);
	test_slow_previous_session();
	return tap_done();
}
