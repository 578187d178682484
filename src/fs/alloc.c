/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * alloc.c - fallocate(2) and lseek(2) SEEK_DATA / SEEK_HOLE (issue 12): FUSE's fallocate and lseek
 * callbacks onto ops->fallocate and ops->seek.
 *
 * The kernel has already written back and dropped its cached pages of a punched or zeroed range
 * (fuse_file_fallocate) and updates the file's size itself; what the daemon caches of the file (its
 * directory's listing, with sizes) is dropped here. For lseek the kernel asks only for SEEK_DATA and
 * SEEK_HOLE, and ENOSYS makes it answer them itself from then on (the whole file is data): that is the
 * answer for a dialect without the op.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <unistd.h>

#include "fs_i.h"
#include "smbfuse/log.h"

#define FALLOC_KNOWN (FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE)

void fs_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t off, off_t len, struct fuse_file_info *fi)
{
	struct fs *fs = fs_of(req);
	if (mode & ~FALLOC_KNOWN) {
		/* COLLAPSE_RANGE, INSERT_RANGE, UNSHARE_RANGE: SMB has nothing that moves data within a file. */
		log_info("fallocate mode 0x%x: SMB cannot do it: EOPNOTSUPP", (unsigned)mode);
		reply_err(req, -EOPNOTSUPP);
		return;
	}
	if (off < 0 || len <= 0) {
		reply_err(req, -EINVAL);
		return;
	}
	unsigned m = ((mode & FALLOC_FL_KEEP_SIZE) ? SMB_FALLOC_KEEP_SIZE : 0) |
		     ((mode & FALLOC_FL_PUNCH_HOLE) ? SMB_FALLOC_PUNCH : 0) |
		     ((mode & FALLOC_FL_ZERO_RANGE) ? SMB_FALLOC_ZERO : 0);
	int r = CALL(fs, fallocate, file_of(fi)->fh, m, (uint64_t)off, (uint64_t)len);
	if (r == -EOPNOTSUPP && !OP(fs, fallocate))
		log_info("fallocate: this dialect has no preallocation or sparse files (SMB1): EOPNOTSUPP");
	fs_cache_changed(fs, ino, false);
	if (r == 0)
		fs_inode_note_write(fs, ino, true);
	reply_err(req, r);
}

void fs_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence, struct fuse_file_info *fi)
{
	struct fs *fs = fs_of(req);
	if (!OP(fs, seek)) {
		reply_err(req, -ENOSYS);
		return;
	}
	if (off < 0 || (whence != SEEK_DATA && whence != SEEK_HOLE)) {
		reply_err(req, -EINVAL);
		return;
	}
	uint64_t at = 0;
	int r = CALL(fs, seek, file_of(fi)->fh, (uint64_t)off, whence, &at);
	if (r < 0)
		reply_err(req, r);
	else
		fuse_reply_lseek(req, (off_t)at);
}
