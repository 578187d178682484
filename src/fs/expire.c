/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * expire.c - telling the kernel that a name must be looked up again, without unhashing its dentry.
 *
 * A change notification for a name (SMB_EV_ENTRY) or a whole directory (SMB_EV_DIR) arrives for our own
 * creates too. fuse_lowlevel_notify_inval_entry makes the kernel d_invalidate the dentry: a directory that
 * is a process's working directory is then unhashed, and getcwd(3) fails with ENOENT although the
 * directory is still there (`git init repo`: mkdir, chdir, getcwd, and the notification of the mkdir in
 * between). FUSE_EXPIRE_ONLY (kernel 6.2, FUSE 7.38) only expires the entry: the next walk through it
 * asks us again, and the kernel drops it then if the answer is another inode or none, as a local disk
 * would. libfuse 3.14 (Debian 12) has no call for it (fuse_lowlevel_notify_expire_entry came in 3.16), so
 * the message is written here as the kernel defines it; a kernel before 6.2 reads the flag as padding and
 * invalidates as before.
 */
#include <errno.h>
#include <linux/fuse.h>
#include <string.h>
#include <sys/uio.h>

#include "fs_i.h"

#ifndef FUSE_EXPIRE_ONLY
#define FUSE_EXPIRE_ONLY (1 << 0)
#endif

int fs_expire_entry(struct fs *fs, fuse_ino_t parent, const char *name)
{
	size_t len = strlen(name);
	struct fuse_notify_inval_entry_out arg = {.parent = parent, .namelen = (uint32_t)len,
						  .flags = FUSE_EXPIRE_ONLY};
	struct fuse_out_header out = {.error = FUSE_NOTIFY_INVAL_ENTRY, .unique = 0};
	struct iovec iov[3] = {{&out, sizeof(out)}, {&arg, sizeof(arg)}, {(void *)name, len + 1}};
	out.len = (uint32_t)(sizeof(out) + sizeof(arg) + len + 1);
	int fd = fuse_session_fd(fs->se);
	if (fd < 0)
		return -EBADF;
	ssize_t n = writev(fd, iov, 3);
	if (n < 0)
		return -errno; /* -ENOENT: the kernel had forgotten it already */
	return n == (ssize_t)out.len ? 0 : -EIO;
}
