/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Every op of the SMB1 table (vers=1.0, NT LM 0.12) down its failure paths: the real client, SMB1 session
 * and transport against psrv's SMB1 server (psrv1.c), which fails the op's request with an NT status or a
 * DOS error, answers it cut short, drops the connection instead of answering, or never answers (what each
 * must do: opsfail.h). The SMB1 table differs from SMB2's where SMB1 does: no compounds (a stat is a TRANS2
 * query alone), a close on a lost connection succeeds (the FID died with it), deletes go by handle.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <time.h>

#include "../tap.h"
#include "opsfail.h"
#include "smbfuse/err.h"
#include "smbfuse/log.h"
#include "smbfuse/namemap.h"
#include "smbfuse/smb1.h"
#include "smbfuse/smb2.h"

#define STATUS_DISK_FULL 0xC000007Fu
#define DOS_BADFILE 0x00020001u	  /* ERRDOS/ERRbadfile */
#define DOS_NOACCESS 0x00050001u  /* ERRDOS/ERRnoaccess */
#define DOS_FILEXISTS 0x00500001u /* ERRDOS/ERRfilexists */

#define T2(sub) PSRV1_T2(SMB1_TRANS2_##sub)

/* Designated: the SMB1-only fields stay unnamed where unused. One case a line. */
/* clang-format off */
static const struct op_case cases[] = {
    {.name = "stat", .run = run_stat, .cmd = T2(QUERY_PATH_INFORMATION), .status = STATUS_OBJECT_NAME_NOT_FOUND, .want_status = -ENOENT, .want_malformed = -EIO, .want_drop = -EHOSTDOWN, .dos = DOS_BADFILE, .want_dos = -ENOENT},
    {.name = "open", .run = run_open, .cmd = SMB1_COM_NT_CREATE_ANDX, .status = STATUS_ACCESS_DENIED, .want_status = -EACCES, .want_malformed = -EIO, .want_drop = -EHOSTDOWN, .dos = DOS_NOACCESS, .want_dos = -EACCES},
    {.name = "open/create", .run = run_create, .cmd = SMB1_COM_NT_CREATE_ANDX, .status = STATUS_OBJECT_NAME_COLLISION, .want_status = -EEXIST, .want_malformed = -EIO, .want_drop = -ECONNRESET, .dos = DOS_FILEXISTS, .want_dos = -EEXIST},
    {.name = "close", .run = run_close, .fh = true, .cmd = SMB1_COM_CLOSE, .status = STATUS_FILE_CLOSED, .want_status = -EBADF, .want_malformed = NA, .want_drop = 0},
    {.name = "read", .run = run_read, .fh = true, .cmd = SMB1_COM_READ_ANDX, .status = STATUS_ACCESS_DENIED, .want_status = -EACCES, .want_malformed = -EIO, .want_drop = -EHOSTDOWN, .ok = 100},
    {.name = "read/2nd", .run = run_read2, .fh = true, .cmd = SMB1_COM_READ_ANDX, .skip = 1, .status = STATUS_ACCESS_DENIED, .want_status = 61440, .want_malformed = 61440, .want_drop = 61440, .ok = 100000, .want_silent = 61440},
    {.name = "write", .run = run_write, .fh = true, .cmd = SMB1_COM_WRITE_ANDX, .skip = 1, .status = STATUS_DISK_FULL, .want_status = -ENOSPC, .want_malformed = -EIO, .want_drop = -EHOSTDOWN, .ok = 100000},
    {.name = "flush", .run = run_flush, .fh = true, .lease = true, .cmd = SMB1_COM_WRITE_ANDX, .status = STATUS_DISK_FULL, .want_status = -ENOSPC, .want_malformed = -EIO, .want_drop = -EIO, .no_silent = true},
    {.name = "fsync", .run = run_fsync, .fh = true, .cmd = SMB1_COM_FLUSH, .status = STATUS_DISK_FULL, .want_status = -ENOSPC, .want_malformed = NA, .want_drop = -EHOSTDOWN},
    {.name = "fstat", .run = run_fstat, .fh = true, .cmd = T2(QUERY_FILE_INFORMATION), .status = STATUS_ACCESS_DENIED, .want_status = -EACCES, .want_malformed = -EIO, .want_drop = -EHOSTDOWN},
    {.name = "setattr/path", .run = run_setattr_path, .cmd = T2(SET_PATH_INFORMATION), .status = STATUS_DISK_FULL, .want_status = -ENOSPC, .want_malformed = -EIO, .want_drop = -EHOSTDOWN},
    {.name = "setattr/path query", .run = run_setattr_path, .cmd = T2(QUERY_PATH_INFORMATION), .status = STATUS_ACCESS_DENIED, .want_status = -EACCES, .want_malformed = -EIO, .want_drop = -EHOSTDOWN},
    {.name = "setattr/fh", .run = run_setattr_fh, .fh = true, .cmd = T2(SET_FILE_INFORMATION), .status = STATUS_ACCESS_DENIED, .want_status = -EACCES, .want_malformed = -EIO, .want_drop = -EHOSTDOWN},
    {.name = "setattr/fh query", .run = run_setattr_fh, .fh = true, .cmd = T2(QUERY_FILE_INFORMATION), .status = STATUS_ACCESS_DENIED, .want_status = -EACCES, .want_malformed = -EIO, .want_drop = -EHOSTDOWN},
    {.name = "readdir/first", .run = run_readdir, .cmd = T2(FIND_FIRST2), .status = STATUS_ACCESS_DENIED, .want_status = -EACCES, .want_malformed = -EIO, .want_drop = -ECONNRESET},
    {.name = "readdir/next", .run = run_readdir, .cmd = T2(FIND_NEXT2), .status = STATUS_ACCESS_DENIED, .want_status = -EACCES, .want_malformed = -EIO, .want_drop = -ECONNRESET},
    {.name = "mkdir", .run = run_mkdir, .cmd = SMB1_COM_CREATE_DIRECTORY, .status = STATUS_OBJECT_NAME_COLLISION, .want_status = -EEXIST, .want_malformed = NA, .want_drop = -ECONNRESET},
    {.name = "mkdir/query", .run = run_mkdir, .cmd = T2(QUERY_PATH_INFORMATION), .status = STATUS_ACCESS_DENIED, .want_status = -EACCES, .want_malformed = -EIO, .want_drop = -ECONNRESET},
    {.name = "rmdir", .run = run_rmdir, .cmd = T2(SET_FILE_INFORMATION), .status = STATUS_DIRECTORY_NOT_EMPTY, .want_status = -ENOTEMPTY, .want_malformed = -EIO, .want_drop = -ECONNRESET},
    {.name = "rmdir/open", .run = run_rmdir, .cmd = SMB1_COM_NT_CREATE_ANDX, .status = STATUS_ACCESS_DENIED, .want_status = -EACCES, .want_malformed = -EIO, .want_drop = -ECONNRESET},
    {.name = "rmdir/plain", .run = run_rmdir, .cmd = SMB1_COM_DELETE_DIRECTORY, .status = STATUS_DIRECTORY_NOT_EMPTY, .want_status = -ENOTEMPTY, .want_malformed = NA, .want_drop = -ECONNRESET, .no_passthru = true},
    {.name = "unlink", .run = run_unlink, .cmd = SMB1_COM_DELETE, .status = STATUS_OBJECT_NAME_NOT_FOUND, .want_status = -ENOENT, .want_malformed = NA, .want_drop = -ECONNRESET, .dos = DOS_BADFILE, .want_dos = -ENOENT},
    {.name = "unlink/denied", .run = run_unlink, .cmd = SMB1_COM_DELETE, .status = STATUS_ACCESS_DENIED, .want_status = -EACCES, .want_malformed = NA, .want_drop = -ECONNRESET},
    {.name = "unlink/open", .run = run_unlink_open, .fh = true, .cmd = SMB1_COM_RENAME, .status = STATUS_ACCESS_DENIED, .want_status = -EACCES, .want_malformed = NA, .want_drop = -ECONNRESET},
    {.name = "rename", .run = run_rename, .cmd = SMB1_COM_RENAME, .status = STATUS_OBJECT_NAME_COLLISION, .want_status = -EEXIST, .want_malformed = NA, .want_drop = -ECONNRESET, .dos = DOS_FILEXISTS, .want_dos = -EEXIST},
    {.name = "link", .run = run_link, .cmd = SMB1_COM_NT_RENAME, .status = STATUS_OBJECT_NAME_COLLISION, .want_status = -EEXIST, .want_malformed = NA, .want_drop = -ECONNRESET, .dos = DOS_FILEXISTS, .want_dos = -EEXIST},
    {.name = "link/query", .run = run_link, .cmd = T2(QUERY_PATH_INFORMATION), .status = STATUS_ACCESS_DENIED, .want_status = -EACCES, .want_malformed = -EIO, .want_drop = -ECONNRESET},
    {.name = "statfs", .run = run_statfs, .cmd = T2(QUERY_FS_INFORMATION), .status = STATUS_ACCESS_DENIED, .want_status = -EACCES, .want_malformed = -EIO, .want_drop = -EHOSTDOWN},
    {.name = "list_eas", .run = run_list_eas, .cmd = T2(QUERY_PATH_INFORMATION), .status = STATUS_ACCESS_DENIED, .want_status = -EACCES, .want_malformed = -EIO, .want_drop = -EHOSTDOWN, .dos = DOS_NOACCESS, .want_dos = -EACCES},
    {.name = "set_ea", .run = run_set_ea, .cmd = T2(SET_PATH_INFORMATION), .status = STATUS_DISK_FULL, .want_status = -ENOSPC, .want_malformed = NA, .want_drop = -ECONNRESET},
    {.name = "get_sd", .run = run_get_sd, .cmd = SMB1_COM_NT_TRANSACT, .status = STATUS_ACCESS_DENIED, .want_status = -EACCES, .want_malformed = -EIO, .want_drop = -EHOSTDOWN, .dos = DOS_NOACCESS, .want_dos = -EACCES},
    {.name = "get_sd/open", .run = run_get_sd, .cmd = SMB1_COM_NT_CREATE_ANDX, .status = STATUS_ACCESS_DENIED, .want_status = -EACCES, .want_malformed = -EIO, .want_drop = -EHOSTDOWN},
    {.name = "set_sd", .run = run_set_sd, .cmd = SMB1_COM_NT_TRANSACT, .status = STATUS_ACCESS_DENIED, .want_status = -EACCES, .want_malformed = NA, .want_drop = -EHOSTDOWN},
    {.name = "watch", .run = run_watch, .cmd = SMB1_COM_NT_CREATE_ANDX, .status = STATUS_ACCESS_DENIED, .want_status = -EACCES, .want_malformed = -EIO, .want_drop = -EHOSTDOWN, .ok = 1},
};
/* clang-format on */

/* A name the wire form refuses (a backslash, unmapped) fails every path op with EINVAL before any request. */
static void bad_names(void)
{
	struct fx f = {0};
	struct smb_attr a;
	struct smb_fh *fh = NULL;
	struct smb_setattr sa = {.valid = SMB_SET_ATTRS};
	const char *bad = "d/a\\b";
	log_set_level(LOG_LVL_ERR);
	psrv_start_smb1(&f.s);
	f.s.name_map = NAME_MAP_NONE;
	bool up = psrv_client(&f.s, true, TIMEOUT_MS, &f.cl) == 0;
	CHECK(up);
	if (!up) {
		psrv_stop(&f.s);
		return;
	}
	f.ops = smb_client_ops(f.cl);
	unsigned before = psrv_served(&f.s);
	CHECK(f.ops->stat(f.cl, bad, &a) == -EINVAL);
	CHECK(f.ops->open(f.cl, bad, O_RDONLY, 0644, &fh, &a) == -EINVAL && !fh);
	CHECK(f.ops->open(f.cl, bad, O_RDWR | O_CREAT, 0644, &fh, &a) == -EINVAL && !fh);
	CHECK(f.ops->setattr(f.cl, bad, NULL, &sa, &a) == -EINVAL);
	CHECK(f.ops->readdir(f.cl, bad, NULL, NULL, NULL) == -EINVAL);
	CHECK(f.ops->mkdir(f.cl, bad, 0755, &a) == -EINVAL);
	CHECK(f.ops->rmdir(f.cl, bad) == -EINVAL);
	CHECK(f.ops->unlink(f.cl, bad, 0) == -EINVAL);
	CHECK(f.ops->unlink(f.cl, bad, SMB_UNLINK_OPEN) == -EINVAL);
	CHECK(f.ops->rename(f.cl, bad, "d/c", 0) == -EINVAL);
	CHECK(f.ops->rename(f.cl, "d/c", bad, 0) == -EINVAL);
	CHECK(f.ops->watch(f.cl, bad) == -EINVAL);
	CHECK(psrv_served(&f.s) == before);
	smb_client_free(f.cl);
	psrv_stop(&f.s);
}

/* With no request timeout given (the mount options give only timeout=, the connect timeout), an SMB1 request
 * that is never answered fails after twice the connect timeout, as over SMB2: not after a fixed 60 s. */
static void default_deadline(void)
{
	struct psrv s;
	struct smb_client *cl;
	struct smb_attr a;
	psrv_start_smb1(&s);
	struct smb_client_cfg cfg = {.host = "127.0.0.1",
				     .port = s.port,
				     .share = "t",
				     .guest = true,
				     .workstation = "PSRV",
				     .min_dialect = SMB_DIALECT_SMB1,
				     .max_dialect = SMB_DIALECT_SMB1,
				     .connect_timeout_ms = 300,
				     .no_leases = true};
	char err[256] = "";
	bool up = smb_client_new(&cfg, &cl, err, sizeof(err)) == 0;
	CHECK(up);
	if (up) {
		psrv_arm(&s, T2(QUERY_PATH_INFORMATION), 0, PSRV_SILENT, 0);
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		int rc = smb_client_ops(cl)->stat(cl, "a", &a);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
		CHECK(rc == -ETIMEDOUT);
		CHECK(ms >= 500 && ms < 2500);
		if (rc != -ETIMEDOUT || ms < 500 || ms >= 2500)
			printf("# stat of a silent SMB1 server: %d after %ld ms (want -ETIMEDOUT after about 600 ms)\n",
			       rc, ms);
		smb_client_free(cl);
	}
	psrv_stop(&s);
}

int main(void)
{
	bad_names();
	default_deadline();
	return opsfail_main(cases, sizeof(cases) / sizeof(cases[0]), OPSFAIL_SMB1);
}
