/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * links.c - the FUSE callbacks that make names other than files and directories: hard links, symbolic
 * links and special files (fifos, sockets, devices), and readlink. What the server can keep decides: the
 * proto layer offers an op for each kind it can store (ops.h), and a missing one is EPERM with a line saying
 * what would make it work.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "fs_i.h"
#include "smbfuse/log.h"

/* Hard link: the reply names the source's node when the server says both names are one file (inode.c). */
void fs_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
	struct fs *fs = fs_of(req);
	char *from = NULL, *to = NULL;
	struct smb_attr a;
	int r = fs->cfg.ro ? -EROFS : fs_inode_path(fs, ino, NULL, &from);
	if (r == 0 && (r = fs_inode_path(fs, newparent, newname, &to)) == 0)
		r = CALL(fs, link, from, to, &a);
	if (r == -EOPNOTSUPP) {
		log_info("link \"%s\": this server offers no hard links", to);
		r = -EPERM;
	}
	fs_cache_name_changed(fs, newparent, newname);
	fs_files_changed(fs, ino);
	fs_cache_changed(fs, ino, false);
	if (r == 0) {
		struct smb_attr src = a; /* set_attr may replace the FileId, which the new name is found by */
		fs_inode_set_attr(fs, ino, &src);
	}
	g_free(from);
	g_free(to);
	if (r < 0)
		reply_err(req, r);
	else
		fs_reply_new_entry(req, newparent, newname, &a);
}

/* Why a symlink or special file cannot be made here: one line, and EPERM as a local file system without
 * them says (today's kernel client answers EOPNOTSUPP's cousin ENOSYS, which confuses cp -a and tar). */
static int refuse_special(const char *what, const char *name)
{
	log_warn("%s \"%s\": this mount keeps no %s (mount with mfsymlinks for symlinks stored as Minshall+French "
		 "files; special files need SMB 3.1.1 POSIX extensions)", what, name,
		 strcmp(what, "symlink") == 0 ? "symbolic links" : "special files");
	return -EPERM;
}

/* The end of making a name: path (if any: the request reached the server) is freed and its directory's
 * listing dropped; the entry or the error goes back. */
static void reply_made(fuse_req_t req, fuse_ino_t parent, const char *name, char *path, int r, const struct smb_attr *a)
{
	if (path)
		fs_cache_name_changed(fuse_req_userdata(req), parent, name);
	g_free(path);
	if (r < 0)
		reply_err(req, r);
	else
		fs_reply_new_entry(req, parent, name, a);
}

void fs_symlink(fuse_req_t req, const char *target, fuse_ino_t parent, const char *name)
{
	struct fs *fs = fs_of(req);
	struct smb_attr a;
	char *path = NULL;
	int r = fs->cfg.ro ? -EROFS : !OP(fs, symlink) ? refuse_special("symlink", name) : 0;
	if (r == 0 && (r = fs_inode_path(fs, parent, name, &path)) == 0)
		r = CALL(fs, symlink, target, path, &a);
	reply_made(req, parent, name, path, r, &a);
}

void fs_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct fs *fs = fs_of(req);
	char *path, *target = NULL;
	int r = fs_inode_path(fs, ino, NULL, &path);
	if (r == 0)
		r = CALL(fs, readlink, path, &target);
	g_free(path);
	if (r < 0)
		reply_err(req, r == -EOPNOTSUPP ? -EINVAL : r);
	else
		fuse_reply_readlink(req, target);
	free(target);
}

/* mknod(2) of a regular file is a create; fifos, sockets and devices are made where the dialect keeps
 * them (ops->mknod: the POSIX extensions), else refused with EPERM, as the kernel client does. */
void fs_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev)
{
	struct fs *fs = fs_of(req);
	struct smb_attr a;
	struct smb_fh *fh = NULL;
	char *path = NULL;
	bool special = !S_ISREG(mode);
	int r = fs->cfg.ro ? -EROFS : special && !OP(fs, mknod) ? refuse_special("mknod", name) : 0;
	if (r == 0 && (r = fs_inode_path(fs, parent, name, &path)) == 0) {
		if (special) {
			r = CALL(fs, mknod, path, mode, major(rdev), minor(rdev), &a);
		} else {
			r = CALL(fs, open, path, O_WRONLY | O_CREAT | O_EXCL, mode, &fh, &a);
			if (r == 0)
				CALL(fs, close, fh);
		}
	}
	reply_made(req, parent, name, path, r, &a);
}
