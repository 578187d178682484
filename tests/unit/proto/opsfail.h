/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * opsfail.h - the harness of the ops tables' failure-path tests (test_ops_fail.c for SMB2,
 * test_smb1_ops_fail.c for SMB1): a fixture of a psrv server and a client of it, one driver per op, and a
 * table of cases run under each fault kind. Each op must return the errno the status means (EIO for what
 * does not decode, ECONNRESET or the soft mount's EHOSTDOWN for a lost connection, ETIMEDOUT within the
 * request timeout), free all it allocated (LeakSanitizer runs at exit) and leave the client usable for
 * closing.
 */
#ifndef SMBFUSE_TEST_OPSFAIL_H
#define SMBFUSE_TEST_OPSFAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "psrv.h"

#define TIMEOUT_MS 250
#define NA 1 /* want_malformed: the op does not decode that body, nothing to check */

/* What the drivers read and write: run_read2 and run_write move all of it. */
extern char big[100000];

struct fx {
	struct psrv s;
	struct smb_client *cl;
	const struct smb_ops *ops;
	struct smb_fh *fh;
};

/* The drivers: d/f is a file (the handle of an fh case), d a directory. 0 or the op's result. */
int run_stat(struct fx *f);
int run_open(struct fx *f);
int run_create(struct fx *f);
int run_close(struct fx *f);
int run_read(struct fx *f);
int run_read2(struct fx *f);
int run_write(struct fx *f);
int run_flush(struct fx *f);
int run_fsync(struct fx *f);
int run_fstat(struct fx *f);
int run_setattr_path(struct fx *f);
int run_setattr_fh(struct fx *f);
int run_readdir(struct fx *f);
int run_mkdir(struct fx *f);
int run_rmdir(struct fx *f);
int run_unlink(struct fx *f);
int run_unlink_open(struct fx *f);
int run_rename(struct fx *f);
int run_link(struct fx *f);
int run_statfs(struct fx *f);
int run_watch(struct fx *f);
int run_list_eas(struct fx *f);
int run_set_ea(struct fx *f);
int run_get_sd(struct fx *f);
int run_set_sd(struct fx *f);

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
	int want_silent; /* for no answer: 0 means -ETIMEDOUT */
	/* SMB1 only: */
	uint32_t dos;	  /* a DOS error (class | code << 16) to answer with as well; 0: none */
	int want_dos;	  /* the op's result for it */
	bool no_passthru; /* the server lacks CAP_INFOLEVEL_PASSTHRU */
};

/* The server the cases run against: SMB2, SMB1, or 3.1.1 with the POSIX extensions (psrv_posix.c). */
enum opsfail_server { OPSFAIL_SMB2, OPSFAIL_SMB1, OPSFAIL_POSIX };

/* Run every case, unfaulted and then under each fault, against that server; the TAP result. */
int opsfail_main(const struct op_case *cases, size_t n, enum opsfail_server srv);

#endif
