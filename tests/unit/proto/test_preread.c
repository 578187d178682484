/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Small files read with their open (src/proto/smb2_pre.c), against the scripted server of psrv.h: the READ
 * goes in the CREATE's compound and answers the first read without a request of its own; a READ in the
 * compound that fails (a status, a body cut short) or a connection dropped under it leaves the open
 * working and the reads going to the server; a failed CREATE fails the open with its errno; cache=none
 * never reads with the open; a write by this client, or a truncate, voids what was read.
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

static char buf[8192];

struct fx {
	struct psrv s;
	struct smb_client *cl;
	const struct smb_ops *ops;
};

static bool up(struct fx *f, bool cache, bool lease)
{
	memset(f, 0, sizeof(*f));
	psrv_start(&f->s);
	f->s.grant_lease = lease;
	f->s.reconnect = true;
	if (psrv_client(&f->s, cache, 2000, &f->cl) < 0)
		return false;
	f->ops = smb_client_ops(f->cl);
	return true;
}

static long long reads(struct fx *f)
{
	long long n = psrv_stat(f->cl, "requests.READ");
	return n < 0 ? 0 : n;
}

static int open_pre(struct fx *f, struct smb_fh **fh)
{
	return f->ops->open(f->cl, "d/f", O_RDONLY | SMB_O_PREREAD, 0, fh, NULL);
}

/* One READ, in the open's compound; the first reads (and one at the end of what came) send none. */
static void test_read_with_open(bool lease)
{
	struct fx f;
	struct smb_fh *fh = NULL;
	CHECK(up(&f, true, lease));
	unsigned before = psrv_served(&f.s);
	CHECK(open_pre(&f, &fh) == 0);
	CHECK(psrv_served(&f.s) - before == 2); /* CREATE + READ, one frame */
	CHECK(reads(&f) == 1);
	CHECK(psrv_stat(f.cl, "reads.with_open") == 1);
	CHECK(f.ops->read(f.cl, fh, buf, sizeof(buf), 0) == (ssize_t)sizeof(buf));
	CHECK(f.ops->read(f.cl, fh, buf, 100, SMB_PREREAD_MAX - 100) == 100);
	CHECK(reads(&f) == 1);
	CHECK(psrv_stat(f.cl, "reads.with_open_hits") == 2);
	/* psrv answers all 64 KiB asked for: the file may go on, so past them the server is asked. */
	CHECK(f.ops->read(f.cl, fh, buf, 100, SMB_PREREAD_MAX) == 100);
	CHECK(reads(&f) == 2);
	CHECK(f.ops->close(f.cl, fh) == 0);
	psrv_client_down(&f.s, f.cl);
}

/* A fault on the compound's READ (a status, a body cut short, the connection dropped: the compound is then
 * sent again on the new one) leaves the open standing, its handle the one closed at close, and the read
 * going to the server (or answered from the resent compound); a refused CREATE fails the open with its
 * errno (the READ fails with it, as servers do) and leaves no handle. */
static void test_fault(int cmd, enum psrv_fault fault, int open_rc)
{
	struct fx f;
	struct smb_fh *fh = NULL;
	CHECK(up(&f, true, true));
	psrv_arm(&f.s, cmd, 0, fault, STATUS_ACCESS_DENIED);
	CHECK(open_pre(&f, &fh) == open_rc);
	CHECK(psrv_fired(&f.s) == 1);
	if (open_rc == 0) {
		CHECK(f.ops->read(f.cl, fh, buf, sizeof(buf), 0) == (ssize_t)sizeof(buf));
		CHECK(f.ops->close(f.cl, fh) == 0);
	} else {
		CHECK(fh == NULL);
	}
	if (fault != PSRV_DROP)
		CHECK(reads(&f) == (open_rc == 0 ? 2 : 1));
	psrv_client_down(&f.s, f.cl);
}

/* cache=none: no READ with the open, every read is the server's. */
static void test_cache_none(void)
{
	struct fx f;
	struct smb_fh *fh = NULL;
	CHECK(up(&f, false, false));
	CHECK(open_pre(&f, &fh) == 0);
	CHECK(reads(&f) == 0);
	CHECK(f.ops->read(f.cl, fh, buf, sizeof(buf), 0) == (ssize_t)sizeof(buf));
	CHECK(reads(&f) == 1);
	CHECK(f.ops->close(f.cl, fh) == 0);
	psrv_client_down(&f.s, f.cl);
}

/* A write through another handle of this client, or a truncate by path, after the open: the data read
 * with it may be old, so the read goes to the server. */
static void test_voided(bool truncate)
{
	struct fx f;
	struct smb_fh *fh = NULL, *w = NULL;
	CHECK(up(&f, true, true));
	CHECK(open_pre(&f, &fh) == 0);
	if (truncate) {
		struct smb_setattr sa = {.valid = SMB_SET_SIZE, .size = 0};
		CHECK(f.ops->setattr(f.cl, "d/f", NULL, &sa, NULL) == 0);
	} else {
		CHECK(f.ops->open(f.cl, "d/f", O_RDWR | O_SYNC, 0, &w, NULL) == 0);
		CHECK(f.ops->write(f.cl, w, "x", 1, 0) == 1);
		CHECK(f.ops->close(f.cl, w) == 0);
	}
	CHECK(f.ops->read(f.cl, fh, buf, 100, 0) == 100);
	CHECK(reads(&f) == 2);
	CHECK(psrv_stat(f.cl, "reads.with_open_hits") == 0);
	CHECK(f.ops->close(f.cl, fh) == 0);
	psrv_client_down(&f.s, f.cl);
}

int main(void)
{
	log_set_level(getenv("OPSFAIL_DEBUG") ? LOG_LVL_DEBUG : LOG_LVL_ERR);
	test_read_with_open(true);
	test_read_with_open(false);
	test_fault(SMB2_READ, PSRV_STATUS, 0);
	test_fault(SMB2_READ, PSRV_MALFORMED, 0);
	test_fault(SMB2_READ, PSRV_DROP, 0);
	test_fault(SMB2_CREATE, PSRV_STATUS, -EACCES);
	test_cache_none();
	test_voided(false);
	test_voided(true);
	return tap_done();
}
