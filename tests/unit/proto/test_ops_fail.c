/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Every op of the SMB2 table down its failure paths: the real client, session and transport against the
 * scripted server of psrv.h, which fails the op's request with an error status, answers it with a body cut
 * short, drops the connection instead of answering, or never answers (what each must do: opsfail.h).
 */
#include <errno.h>

#include "opsfail.h"
#include "smbfuse/err.h"
#include "smbfuse/smb2.h"

#define STATUS_DISK_FULL 0xC000007Fu

static const struct op_case cases[] = {
    {"stat", run_stat, false, false, SMB2_QUERY_INFO, 0, STATUS_OBJECT_NAME_NOT_FOUND, -ENOENT, -EIO, -EHOSTDOWN, 0,
     false, 0, 0, 0, false},
    {"stat/create", run_stat, false, false, SMB2_CREATE, 0, STATUS_OBJECT_PATH_NOT_FOUND, -ENOENT, NA, -EHOSTDOWN, 0,
     false, 0, 0, 0, false},
    {"open", run_open, false, false, SMB2_CREATE, 0, STATUS_ACCESS_DENIED, -EACCES, -EIO, -EHOSTDOWN, 0, false, 0, 0, 0,
     false},
    {"open/create", run_create, false, false, SMB2_CREATE, 0, STATUS_OBJECT_NAME_COLLISION, -EEXIST, -EIO, -ECONNRESET,
     0, false, 0, 0, 0, false},
    {"close", run_close, true, false, SMB2_CLOSE, 0, STATUS_FILE_CLOSED, -EBADF, NA, -ECONNRESET, 0, false, 0, 0, 0,
     false},
    /* A read lost with the connection goes again after the reconnect (refused here: EHOSTDOWN); one that
     * timed out drops the connection and goes again on a new one (served: 100). */
    {"read", run_read, true, false, SMB2_READ, 0, STATUS_ACCESS_DENIED, -EACCES, -EIO, -EHOSTDOWN, 100, false, 100, 0,
     0, false},
    {"read/2nd", run_read2, true, false, SMB2_READ, 1, STATUS_ACCESS_DENIED, 65536, 65536, 65536, (int)sizeof(big),
     false, 65536, 0, 0, false},
    /* A WRITE in flight when the connection went, through a handle that is not durable: EIO, never lost
     * silently (test_durable.c: the durable case). */
    {"write", run_write, true, false, SMB2_WRITE, 1, STATUS_DISK_FULL, -ENOSPC, -EIO, -EIO, (int)sizeof(big),
     false, -EIO, 0, 0, false},
    {"flush", run_flush, true, true, SMB2_WRITE, 0, STATUS_DISK_FULL, -ENOSPC, -EIO, -EIO, 0, true, 0, 0, 0, false},
    {"fsync", run_fsync, true, false, SMB2_FLUSH, 0, STATUS_DISK_FULL, -ENOSPC, NA, -EHOSTDOWN, 0, false, 0, 0, 0,
     false},
    {"fstat", run_fstat, true, false, SMB2_QUERY_INFO, 0, STATUS_ACCESS_DENIED, -EACCES, -EIO, -EHOSTDOWN, 0, false, 0,
     0, 0, false},
    {"setattr/path", run_setattr_path, false, false, SMB2_SET_INFO, 0, STATUS_DISK_FULL, -ENOSPC, NA, -ECONNRESET, 0,
     false, 0, 0, 0, false},
    {"setattr/path query", run_setattr_path, false, false, SMB2_QUERY_INFO, 0, STATUS_ACCESS_DENIED, -EACCES, -EIO,
     -ECONNRESET, 0, false, 0, 0, 0, false},
    {"setattr/fh", run_setattr_fh, true, false, SMB2_SET_INFO, 0, STATUS_ACCESS_DENIED, -EACCES, NA, -ECONNRESET, 0,
     false, 0, 0, 0, false},
    {"setattr/fh query", run_setattr_fh, true, false, SMB2_QUERY_INFO, 0, STATUS_ACCESS_DENIED, -EACCES, -EIO,
     -ECONNRESET, 0, false, 0, 0, 0, false},
    {"readdir/open", run_readdir, false, false, SMB2_CREATE, 0, STATUS_OBJECT_NAME_NOT_FOUND, -ENOENT, -EIO, -EHOSTDOWN,
     0, false, 0, 0, 0, false},
    {"readdir/first", run_readdir, false, false, SMB2_QUERY_DIRECTORY, 0, STATUS_ACCESS_DENIED, -EACCES, -EIO,
     -EHOSTDOWN, 0, false, 0, 0, 0, false},
    {"readdir/next", run_readdir, false, false, SMB2_QUERY_DIRECTORY, 1, STATUS_ACCESS_DENIED, -EACCES, NA, -EHOSTDOWN,
     0, false, 0, 0, 0, false},
    {"mkdir", run_mkdir, false, false, SMB2_CREATE, 0, STATUS_OBJECT_NAME_COLLISION, -EEXIST, NA, -ECONNRESET, 0, false,
     0, 0, 0, false},
    {"mkdir/query", run_mkdir, false, false, SMB2_QUERY_INFO, 0, STATUS_ACCESS_DENIED, -EACCES, -EIO, -ECONNRESET, 0,
     false, 0, 0, 0, false},
    {"rmdir", run_rmdir, false, false, SMB2_SET_INFO, 0, STATUS_DIRECTORY_NOT_EMPTY, -ENOTEMPTY, NA, -ECONNRESET, 0,
     false, 0, 0, 0, false},
    {"unlink", run_unlink, false, false, SMB2_CREATE, 0, STATUS_OBJECT_NAME_NOT_FOUND, -ENOENT, NA, -ECONNRESET, 0,
     false, 0, 0, 0, false},
    {"unlink/denied", run_unlink, false, false, SMB2_SET_INFO, 0, STATUS_ACCESS_DENIED, -EACCES, NA, -ECONNRESET, 0,
     false, 0, 0, 0, false},
    {"unlink/open", run_unlink_open, true, false, SMB2_SET_INFO, 0, STATUS_ACCESS_DENIED, -EACCES, NA, -ECONNRESET, 0,
     false, 0, 0, 0, false},
    {"rename", run_rename, false, false, SMB2_SET_INFO, 0, STATUS_OBJECT_NAME_COLLISION, -EEXIST, NA, -ECONNRESET, 0,
     false, 0, 0, 0, false},
    {"link", run_link, false, false, SMB2_SET_INFO, 0, STATUS_OBJECT_NAME_COLLISION, -EEXIST, NA, -ECONNRESET, 0, false,
     0, 0, 0, false},
    {"link/dir", run_link, false, false, SMB2_SET_INFO, 0, STATUS_FILE_IS_A_DIRECTORY, -EPERM, NA, -ECONNRESET, 0,
     false, 0, 0, 0, false},
    {"link/query", run_link, false, false, SMB2_QUERY_INFO, 0, STATUS_ACCESS_DENIED, -EACCES, -EIO, -ECONNRESET, 0,
     false, 0, 0, 0, false},
    {"statfs", run_statfs, false, false, SMB2_QUERY_INFO, 0, STATUS_ACCESS_DENIED, -EACCES, -EIO, -EHOSTDOWN, 0, false,
     0, 0, 0, false},
    {"list_eas", run_list_eas, false, false, SMB2_QUERY_INFO, 0, STATUS_ACCESS_DENIED, -EACCES, -EIO, -EHOSTDOWN, 0,
     false, 0, 0, 0, false},
    {"list_eas/open", run_list_eas, false, false, SMB2_CREATE, 0, STATUS_OBJECT_NAME_NOT_FOUND, -ENOENT, NA,
     -EHOSTDOWN, 0, false, 0, 0, 0, false},
    {"set_ea", run_set_ea, false, false, SMB2_SET_INFO, 0, STATUS_DISK_FULL, -ENOSPC, NA, -ECONNRESET, 0, false, 0,
     0, 0, false},
    {"get_sd", run_get_sd, false, false, SMB2_QUERY_INFO, 0, STATUS_ACCESS_DENIED, -EACCES, -EIO, -EHOSTDOWN, 0,
     false, 0, 0, 0, false},
    {"set_sd", run_set_sd, false, false, SMB2_SET_INFO, 0, STATUS_ACCESS_DENIED, -EACCES, NA, -ECONNRESET, 0, false,
     0, 0, 0, false},
    {"watch", run_watch, false, false, SMB2_CREATE, 0, STATUS_ACCESS_DENIED, -EACCES, -EIO, -EHOSTDOWN, 1, false, 0, 0,
     0, false},
};

int main(void)
{
	return opsfail_main(cases, sizeof(cases) / sizeof(cases[0]), OPSFAIL_SMB2);
}
