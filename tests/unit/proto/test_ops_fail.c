/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Every op of the SMB2 table down its failure paths: the real client, session and transport against the
 * scripted server of psrv.h, which fails the op's request with an error status, answers it with a body cut
 * short, drops the connection instead of answering, or never answers. Each op must return the errno the
 * status means (EIO for what does not decode, ECONNRESET or the soft mount's EHOSTDOWN for a lost
 * connection, ETIMEDOUT within the request timeout), free all it allocated (LeakSanitizer runs at exit) and
 * leave the client usable for closing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../tap.h"
#include "psrv.h"
#include "smbfuse/err.h"
#include "smbfuse/log.h"
#include "smbfuse/smb2.h"

#define TIMEOUT_MS 250
#define NA 1 /* want_malformed: the op does not decode that body, nothing to check */

#define STATUS_DISK_FULL 0xC000007Fu

struct fx {
	struct psrv s;
	struct smb_client *cl;
	const struct smb_ops *ops;
	struct smb_fh *fh;
};

static int count_entry(void *arg, const char *name, const struct smb_attr *a)
{
	(*(int *)arg)++;
	return 0;
}

static char big[100000];

static int run_stat(struct fx *f)
{
	struct smb_attr a;
	return f->ops->stat(f->cl, "d/f", &a);
}

static int run_open(struct fx *f)
{
	struct smb_fh *fh = NULL;
	struct smb_attr a;
	int rc = f->ops->open(f->cl, "d/g", O_RDONLY, 0644, &fh, &a);
	if (rc == 0)
		f->ops->close(f->cl, fh);
	return rc;
}

static int run_create(struct fx *f)
{
	struct smb_fh *fh = NULL;
	int rc = f->ops->open(f->cl, "d/new", O_WRONLY | O_CREAT | O_EXCL, 0644, &fh, NULL);
	if (rc == 0)
		f->ops->close(f->cl, fh);
	return rc;
}

static int run_close(struct fx *f)
{
	int rc = f->ops->close(f->cl, f->fh);
	f->fh = NULL; /* freed whatever the outcome */
	return rc;
}

static int run_read(struct fx *f)
{
	return (int)f->ops->read(f->cl, f->fh, big, 100, 0);
}

/* Two pieces: what the first brought counts, the second's failure is not data. */
static int run_read2(struct fx *f)
{
	return (int)f->ops->read(f->cl, f->fh, big, sizeof(big), 0);
}

static int run_write(struct fx *f)
{
	return (int)f->ops->write(f->cl, f->fh, big, sizeof(big), 0);
}

/* Under a Write lease the write is only gathered; the flush sends it and reports its failure. */
static int run_flush(struct fx *f)
{
	ssize_t n = f->ops->write(f->cl, f->fh, big, 10, 0);
	if (n != 10)
		return n < 0 ? (int)n : -EPROTO;
	return f->ops->flush(f->cl, f->fh);
}

static int run_fsync(struct fx *f)
{
	return f->ops->fsync(f->cl, f->fh);
}

static int run_fstat(struct fx *f)
{
	struct smb_attr a;
	return f->ops->fstat(f->cl, f->fh, &a);
}

static int run_setattr_path(struct fx *f)
{
	struct smb_setattr sa = {.valid = SMB_SET_SIZE, .size = 5};
	struct smb_attr a;
	return f->ops->setattr(f->cl, "d/f", NULL, &sa, &a);
}

static int run_setattr_fh(struct fx *f)
{
	struct smb_setattr sa = {.valid = SMB_SET_MTIME | SMB_SET_ATTRS, .mtime = {1, 0}, .attrs = SMB_ATTR_READONLY};
	struct smb_attr a;
	return f->ops->setattr(f->cl, NULL, f->fh, &sa, &a);
}

static int run_readdir(struct fx *f)
{
	int n = 0;
	int rc = f->ops->readdir(f->cl, "d", count_entry, &n);
	return rc == 0 && n != 2 ? -EPROTO : rc;
}

static int run_mkdir(struct fx *f)
{
	struct smb_attr a;
	return f->ops->mkdir(f->cl, "d/e", &a);
}

static int run_rmdir(struct fx *f)
{
	return f->ops->rmdir(f->cl, "d/e");
}

static int run_unlink(struct fx *f)
{
	return f->ops->unlink(f->cl, "d/f", 0);
}

/* Still open in the glue: POSIX delete semantics (psrv offers them). */
static int run_unlink_open(struct fx *f)
{
	return f->ops->unlink(f->cl, "d/f", SMB_UNLINK_OPEN);
}

static int run_rename(struct fx *f)
{
	return f->ops->rename(f->cl, "d/f", "d/g", SMB_RENAME_NOREPLACE);
}

static int run_statfs(struct fx *f)
{
	struct smb_statfs st;
	return f->ops->statfs(f->cl, &st);
}

static int run_watch(struct fx *f)
{
	return f->ops->watch(f->cl, "d");
}

struct op_case {
	const char *name;
	int (*run)(struct fx *);
	bool fh;       /* an open handle of d/f first */
	bool lease;    /* the server grants leases */
	int cmd;       /* the request faulted */
	unsigned skip; /* after this many of its kind */
	uint32_t status;
	int want_status;    /* the op's result for that status */
	int want_malformed; /* for a body cut short; NA: not decoded */
	int want_drop;	    /* for a dropped connection: -ECONNRESET if not resent, -EHOSTDOWN if resent */
	int ok;		    /* the op's success value (a byte count) */
	/* A gathered WRITE has no deadline of its own yet: a server that answers echoes but never the WRITE
	 * holds the flush until the keepalive drops the connection. Not checked. */
	bool no_silent;
};

static const struct op_case cases[] = {
    {"stat", run_stat, false, false, SMB2_QUERY_INFO, 0, STATUS_OBJECT_NAME_NOT_FOUND, -ENOENT, -EIO, -EHOSTDOWN, 0,
     false},
    {"stat/create", run_stat, false, false, SMB2_CREATE, 0, STATUS_OBJECT_PATH_NOT_FOUND, -ENOENT, NA, -EHOSTDOWN, 0,
     false},
    {"open", run_open, false, false, SMB2_CREATE, 0, STATUS_ACCESS_DENIED, -EACCES, -EIO, -EHOSTDOWN, 0, false},
    {"open/create", run_create, false, false, SMB2_CREATE, 0, STATUS_OBJECT_NAME_COLLISION, -EEXIST, -EIO, -ECONNRESET,
     0, false},
    {"close", run_close, true, false, SMB2_CLOSE, 0, STATUS_FILE_CLOSED, -EBADF, NA, -ECONNRESET, 0, false},
    {"read", run_read, true, false, SMB2_READ, 0, STATUS_ACCESS_DENIED, -EACCES, -EIO, -ECONNRESET, 100, false},
    {"read/2nd", run_read2, true, false, SMB2_READ, 1, STATUS_ACCESS_DENIED, 65536, 65536, 65536, (int)sizeof(big),
     false},
    {"write", run_write, true, false, SMB2_WRITE, 1, STATUS_DISK_FULL, -ENOSPC, -EIO, -ECONNRESET, (int)sizeof(big),
     false},
    {"flush", run_flush, true, true, SMB2_WRITE, 0, STATUS_DISK_FULL, -ENOSPC, -EIO, -EIO, 0, true},
    {"fsync", run_fsync, true, false, SMB2_FLUSH, 0, STATUS_DISK_FULL, -ENOSPC, NA, -EHOSTDOWN, 0, false},
    {"fstat", run_fstat, true, false, SMB2_QUERY_INFO, 0, STATUS_ACCESS_DENIED, -EACCES, -EIO, -EHOSTDOWN, 0, false},
    {"setattr/path", run_setattr_path, false, false, SMB2_SET_INFO, 0, STATUS_DISK_FULL, -ENOSPC, NA, -ECONNRESET, 0,
     false},
    {"setattr/path query", run_setattr_path, false, false, SMB2_QUERY_INFO, 0, STATUS_ACCESS_DENIED, -EACCES, -EIO,
     -ECONNRESET, 0, false},
    {"setattr/fh", run_setattr_fh, true, false, SMB2_SET_INFO, 0, STATUS_ACCESS_DENIED, -EACCES, NA, -ECONNRESET, 0,
     false},
    {"setattr/fh query", run_setattr_fh, true, false, SMB2_QUERY_INFO, 0, STATUS_ACCESS_DENIED, -EACCES, -EIO,
     -ECONNRESET, 0, false},
    {"readdir/open", run_readdir, false, false, SMB2_CREATE, 0, STATUS_OBJECT_NAME_NOT_FOUND, -ENOENT, -EIO, -EHOSTDOWN,
     0, false},
    {"readdir/first", run_readdir, false, false, SMB2_QUERY_DIRECTORY, 0, STATUS_ACCESS_DENIED, -EACCES, -EIO,
     -EHOSTDOWN, 0, false},
    {"readdir/next", run_readdir, false, false, SMB2_QUERY_DIRECTORY, 1, STATUS_ACCESS_DENIED, -EACCES, NA, -EHOSTDOWN,
     0, false},
    {"mkdir", run_mkdir, false, false, SMB2_CREATE, 0, STATUS_OBJECT_NAME_COLLISION, -EEXIST, NA, -ECONNRESET, 0,
     false},
    {"mkdir/query", run_mkdir, false, false, SMB2_QUERY_INFO, 0, STATUS_ACCESS_DENIED, -EACCES, -EIO, -ECONNRESET, 0,
     false},
    {"rmdir", run_rmdir, false, false, SMB2_SET_INFO, 0, STATUS_DIRECTORY_NOT_EMPTY, -ENOTEMPTY, NA, -ECONNRESET, 0,
     false},
    {"unlink", run_unlink, false, false, SMB2_CREATE, 0, STATUS_OBJECT_NAME_NOT_FOUND, -ENOENT, NA, -ECONNRESET, 0,
     false},
    {"unlink/denied", run_unlink, false, false, SMB2_SET_INFO, 0, STATUS_ACCESS_DENIED, -EACCES, NA, -ECONNRESET, 0,
     false},
    {"unlink/open", run_unlink_open, true, false, SMB2_SET_INFO, 0, STATUS_ACCESS_DENIED, -EACCES, NA, -ECONNRESET, 0,
     false},
    {"rename", run_rename, false, false, SMB2_SET_INFO, 0, STATUS_OBJECT_NAME_COLLISION, -EEXIST, NA, -ECONNRESET, 0,
     false},
    {"statfs", run_statfs, false, false, SMB2_QUERY_INFO, 0, STATUS_ACCESS_DENIED, -EACCES, -EIO, -EHOSTDOWN, 0, false},
    {"watch", run_watch, false, false, SMB2_CREATE, 0, STATUS_ACCESS_DENIED, -EACCES, -EIO, -EHOSTDOWN, 1, false},
};

enum kind { K_STATUS, K_MALFORMED, K_DROP, K_SILENT, K_NKINDS };
static const char *const kind_name[] = {"status", "malformed", "drop", "silent"};

static void __attribute__((noinline)) dirty_stack(void)
{
	volatile unsigned char junk[16384];
	memset((void *)junk, 0xA5, sizeof(junk));
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static bool fx_up(struct fx *f, const struct op_case *c)
{
	memset(f, 0, sizeof(*f));
	psrv_start(&f->s);
	f->s.grant_lease = c->lease;
	if (psrv_client(&f->s, true, TIMEOUT_MS, &f->cl) < 0) {
		psrv_stop(&f->s);
		return false;
	}
	f->ops = smb_client_ops(f->cl);
	if (c->fh && f->ops->open(f->cl, "d/f", O_RDWR, 0644, &f->fh, NULL) < 0) {
		smb_client_free(f->cl);
		psrv_stop(&f->s);
		return false;
	}
	return true;
}

static void fx_down(struct fx *f)
{
	psrv_arm(&f->s, -1, 0, PSRV_NONE, 0);
	if (f->fh)
		f->ops->close(f->cl, f->fh);
	smb_client_free(f->cl);
	psrv_stop(&f->s);
}

static int run_case(const struct op_case *c, enum kind k, unsigned *fired)
{
	struct fx f;
	if (!fx_up(&f, c))
		return -EPROTO - 1000;
	static const enum psrv_fault fault_of[] = {PSRV_STATUS, PSRV_MALFORMED, PSRV_DROP, PSRV_SILENT};
	psrv_arm(&f.s, c->cmd, c->skip, fault_of[k], c->status);
	dirty_stack();
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int rc = c->run(&f);
	long ms = ms_since(&t0);
	*fired = psrv_fired(&f.s);
	/* No hang: a silent server costs one request timeout, anything else next to nothing. */
	if (ms > (k == K_SILENT ? 3 * TIMEOUT_MS + 500 : 2000)) {
		printf("# %s/%s took %ld ms\n", c->name, kind_name[k], ms);
		rc = -EPROTO - 2000;
	}
	fx_down(&f);
	return rc;
}

int main(void)
{
	log_set_level(LOG_LVL_ERR);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct op_case *c = &cases[i];
		unsigned fired;
		/* The harness itself: unfaulted, the op succeeds. */
		struct fx f;
		bool up = fx_up(&f, c);
		CHECK(up);
		if (!up)
			break;
		int rc = c->run(&f);
		if (rc != c->ok)
			printf("# %s: unfaulted rc %d\n", c->name, rc);
		CHECK(rc == c->ok);
		fx_down(&f);
		for (enum kind k = 0; k < K_NKINDS; k++) {
			int want = k == K_STATUS      ? c->want_status
				   : k == K_MALFORMED ? c->want_malformed
				   : k == K_DROP      ? c->want_drop
						      : -ETIMEDOUT;
			if (want == NA || (k == K_SILENT && c->no_silent))
				continue;
			rc = run_case(c, k, &fired);
			if (rc != want || fired != 1)
				printf("# %s/%s: rc %d (%s), want %d, fault fired %u\n", c->name, kind_name[k], rc,
				       strerror(rc < 0 ? -rc : 0), want, fired);
			tap_check(rc == want && fired == 1, __FILE__, __LINE__, c->name);
		}
	}
	return tap_done();
}
