/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * alloc.c - fallocate(2), lseek(2) SEEK_DATA / SEEK_HOLE and copy_file_range(2) (issue 12): FUSE's
 * fallocate, lseek and copy_file_range callbacks onto ops->fallocate, ops->seek and ops->copy_range.
 *
 * The kernel has already written back and dropped its cached pages of a punched or zeroed range
 * (fuse_file_fallocate) and updates the file's size itself; what the daemon caches of the file (its
 * directory's listing, with sizes) is dropped here. For lseek the kernel asks only for SEEK_DATA and
 * SEEK_HOLE, and ENOSYS makes it answer them itself from then on (the whole file is data): that is the
 * answer for a dialect without the op.
 *
 * copy_file_range: the kernel has written back both files' dirty pages before it asks, and drops the
 * destination's cached pages of the range and its attributes after. EOPNOTSUPP (a server that refuses)
 * makes it copy by splice through read and write, for this call; ENOSYS (a dialect without server-side
 * copy) for every later one too. Both files are of this mount, so of one share: the kernel sends no
 * FUSE_COPY_FILE_RANGE across mounts (cp then reads and writes).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <unistd.h>

#include "fs_i.h"
#include "smbfuse/log.h"
#include "smbfuse/util.h"

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
	fs_files_changed(fs, ino);
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

/* The kernel's FUSE answer carries a 32-bit count: stay well below it, cp asks again for the rest. */
#define COPY_MAX (1ull << 30)

void fs_copy_file_range(fuse_req_t req, fuse_ino_t ino_in, off_t off_in, struct fuse_file_info *fi_in,
			fuse_ino_t ino_out, off_t off_out, struct fuse_file_info *fi_out, size_t len, int flags)
{
	struct fs *fs = fs_of(req);
	if (!OP(fs, copy_range)) {
		reply_err(req, -ENOSYS);
		return;
	}
	if (flags || off_in < 0 || off_out < 0) {
		reply_err(req, -EINVAL);
		return;
	}
	ssize_t n = OP(fs, copy_range)(fs->cl, file_of(fi_in)->fh, (uint64_t)off_in, file_of(fi_out)->fh,
				       (uint64_t)off_out, MIN((uint64_t)len, COPY_MAX));
	if (n > 0) {
		fs_files_changed(fs, ino_out);
		fs_cache_changed(fs, ino_out, false);
		fs_inode_note_write(fs, ino_out, true);
	}
	if (n < 0)
		reply_err(req, (int)n);
	else
		fuse_reply_write(req, (size_t)n);
}
