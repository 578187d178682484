/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Re-authentication in place (src/session/watchdog.c) against the scripted server of psrv.h: a request
 * answered STATUS_NETWORK_SESSION_EXPIRED (the logon's end at the server) renews the logon on the same
 * connection and is sent again, from the synchronous path (a stat) and from the path with several
 * requests in flight (a READ, a WRITE); the open handle stays, nothing reconnects, the caller sees success.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "psrv.h"
#include "smbfuse/err.h"
#include "smbfuse/log.h"
#include "smbfuse/smb2.h"

static char buf[200000];

struct fx {
	struct psrv s;
	struct smb_client *cl;
	const struct smb_ops *ops;
	struct smb_fh *fh;
};

static bool up(struct fx *f, bool cache)
{
	memset(f, 0, sizeof(*f));
	psrv_start(&f->s);
	if (psrv_client(&f->s, cache, 2000, &f->cl) < 0)
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

static void renewed(struct fx *f, long long reauths)
{
	CHECK(psrv_fired(&f->s) == 1);
	CHECK(psrv_stat(f->cl, "session.reauthentications") == reauths);
	CHECK(psrv_stat(f->cl, "session.reconnects") == 0);
	CHECK(psrv_stat(f->cl, "handles.reopened") == 0);
}

static void test_sync_path(bool cache)
{
	struct fx f;
	CHECK(up(&f, cache));
	struct smb_attr a;
	psrv_arm(&f.s, SMB2_CREATE, 0, PSRV_STATUS, STATUS_NETWORK_SESSION_EXPIRED);
	CHECK(f.ops->stat(f.cl, "d/g", &a) == 0);
	renewed(&f, 1);
	down(&f);
}

static void test_read_in_flight(void)
{
	struct fx f;
	CHECK(up(&f, false));
	f.s.file_size = sizeof(buf);
	/* The second of several READs of one call: the renewed logon sends the rest again. */
	psrv_arm(&f.s, SMB2_READ, 1, PSRV_STATUS, STATUS_NETWORK_SESSION_EXPIRED);
	ssize_t n = f.ops->read(f.cl, f.fh, buf, sizeof(buf), 0);
	CHECK(n > 0);
	renewed(&f, 1);
	CHECK(f.ops->read(f.cl, f.fh, buf, 4096, 0) == 4096); /* the same handle, after */
	down(&f);
}

static void test_write_in_flight(void)
{
	struct fx f;
	CHECK(up(&f, false));
	psrv_arm(&f.s, SMB2_WRITE, 0, PSRV_STATUS, STATUS_NETWORK_SESSION_EXPIRED);
	CHECK(f.ops->write(f.cl, f.fh, buf, sizeof(buf), 0) == (ssize_t)sizeof(buf));
	renewed(&f, 1);
	CHECK(psrv_stat(f.cl, "writes.lost") == 0);
	down(&f);
}

int main(void)
{
	log_set_level(getenv("OPSFAIL_DEBUG") ? LOG_LVL_DEBUG : LOG_LVL_ERR);
	test_sync_path(false);
	test_sync_path(true);
	test_read_in_flight();
	test_write_in_flight();
	return tap_done();
}
