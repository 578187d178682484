/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ops.c - the FUSE low-level callbacks: each turns one kernel request into ops-> calls.
 *
 * Blocking by design, for now: every callback calls the (synchronous) smb_ops on its FUSE worker thread
 * and replies before returning. Many workers run at once (fs_loop starts up to cfg.max_threads with
 * clone_fd), so a slow request only holds its own thread. When the proto layer grows completions, the
 * callbacks can reply after return without changing this file's shape: each copies what it needs (path,
 * handle) before the call and touches no kernel-owned memory after it.
 *
 * Errors: negative errno inside; the sign flips only in reply_err().
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>

#include "fs_i.h"
#include "smbfuse/log.h"
#include "smbfuse/util.h"
#include "smbfuse/util.h"


void fs_attr_to_stat(const struct fs *fs, fuse_ino_t ino, const struct smb_attr *a, struct stat *st)
{
	bool dir = smb_attr_is_dir(a);
	memset(st, 0, sizeof(*st));
	st->st_ino = a->file_id && !(fs->cfg.noserverino && ino) ? a->file_id : ino;
	st->st_mode = dir ? S_IFDIR | (fs->cfg.dir_mode & 07777) : S_IFREG | (fs->cfg.file_mode & 07777);
	if (a->symlink && !dir)
		st->st_mode = S_IFLNK | 0777; /* a link's own mode means nothing on Linux */
	/* READONLY on a directory means "customised folder" to Windows Explorer, not "no writes". */
	if (!dir && (a->attrs & SMB_ATTR_READONLY))
		st->st_mode &= ~(mode_t)0222;
	if (a->mode) /* the POSIX extensions' mode; a type the server did not name stays the attribute's */
		st->st_mode = (a->mode & S_IFMT ? a->mode & S_IFMT : st->st_mode & S_IFMT) | (a->mode & 07777);
	if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode))
		st->st_rdev = makedev(a->dev_major, a->dev_minor);
	st->st_nlink = a->nlink ? a->nlink : dir ? 2 : 1;
	st->st_uid = a->has_uid && !fs->cfg.force_uid ? a->uid : fs->cfg.uid;
	st->st_gid = a->has_gid && !fs->cfg.force_gid ? a->gid : fs->cfg.gid;
	st->st_size = (off_t)a->size;
	st->st_blocks = (blkcnt_t)((a->alloc_size + 511) / 512);
	st->st_blksize = 1 << 20; /* cifs's default bsize: invites 1 MiB I/O, which the proto layer pipelines */
	st->st_atim = a->atime;
	st->st_mtim = a->mtime;
	st->st_ctim = a->ctime;
}

static void fill_entry_to(struct fs *fs, struct fuse_entry_param *e, fuse_ino_t ino, const struct smb_attr *a,
			  double attr_to)
{
	memset(e, 0, sizeof(*e));
	e->ino = ino;
	e->generation = 1; /* nodeids are never reused */
	fs_attr_to_stat(fs, ino, a, &e->attr);
	e->attr_timeout = attr_to;
	e->entry_timeout = fs->cfg.entry_timeout;
}

void fs_fill_entry(struct fs *fs, struct fuse_entry_param *e, fuse_ino_t ino, const struct smb_attr *a)
{
	fill_entry_to(fs, e, ino, a, fs->cfg.attr_timeout);
}

/* Take a reference on (parent, name) and send the entry; if the kernel never gets it, give it back. path
 * (may be NULL) lets a lease lengthen the attribute timeout. */
static void reply_new_entry_path(fuse_req_t req, fuse_ino_t parent, const char *name, const struct smb_attr *a,
				 const char *path)
{
	struct fs *fs = fuse_req_userdata(req); /* a reply: the request began in its callback */
	struct fuse_entry_param e;
	struct smb_attr merged = *a;
	fuse_ino_t ino = fs_inode_link(fs, parent, name, &merged);
	if (!ino) {
		reply_err(req, -ESTALE);
		return;
	}
	fill_entry_to(fs, &e, ino, &merged, fs_cache_attr_timeout(fs, ino, path));
	if (fuse_reply_entry(req, &e) != 0)
		fs_inode_forget(fs, ino, 1);
}

void fs_reply_new_entry(fuse_req_t req, fuse_ino_t parent, const char *name, const struct smb_attr *a)
{
	reply_new_entry_path(req, parent, name, a, NULL);
}

static void fs_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fs *fs = fs_of(req);
	atomic_fetch_add_explicit(&fs->fuse_lookups, 1, memory_order_relaxed);
	struct smb_attr a;
	char *path;
	/* The path first: a name or path too long is that whatever the cached listing says. */
	int r = fs_inode_path(fs, parent, name, &path);
	/* A previous version's token ("@GMT-...", issue 15) names no entry: no listing holds it. */
	uint64_t twrp;
	bool listed = r == 0 && gmt_token_parse(name, strlen(name), &twrp) < 0;
	int cached = listed ? fs_cache_lookup(fs, parent, name, &a) : -EAGAIN;
	if (cached == -EAGAIN && listed)
		cached = fs_listing_lookup(fs, parent, name, &a);
	if (cached >= 0) {
		/* From the watched directory's listing: absent (0), or present and fresh (1). */
		if (cached == 0)
			reply_err(req, -ENOENT);
		else
			fs_reply_new_entry(req, parent, name, &a);
		g_free(path);
		return;
	}
	/* The look before an open(O_CREAT): its exclusive CREATE asks the server instead (intent.c). */
	if (r == 0 && listed && fs_intent_lookup(fs, req, parent, name)) {
		reply_err(req, -ENOENT);
		g_free(path);
		return;
	}
	if (r == 0)
		r = CALL(fs, stat, path, &a);
	if (r < 0)
		reply_err(req, r);
	else
		reply_new_entry_path(req, parent, name, &a, path);
	g_free(path);
}

static void fs_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	fs_inode_forget(fs_of(req), ino, nlookup);
	fuse_reply_none(req);
}

static void fs_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	struct fs *fs = fs_of(req);
	for (size_t i = 0; i < count; i++)
		fs_inode_forget(fs, forgets[i].ino, forgets[i].nlookup);
	fuse_reply_none(req);
}

/* Current attributes, by handle when there is one. An unlinked node that is still open reports its last
 * attributes with nlink 0, as POSIX has it. */
static int get_attr(struct fs *fs, fuse_ino_t ino, struct fuse_file_info *fi, struct smb_attr *a)
{
	char *path;
	int r;
	if (fi && fi->fh && OP(fs, fstat) && (r = CALL(fs, fstat, file_of(fi)->fh, a)) != -EOPNOTSUPP)
		goto out;
	if (fs->cfg.cache != FS_CACHE_NONE && fs_cache_dir_attr(fs, ino, a))
		return 0;
	r = fs_inode_path(fs, ino, NULL, &path);
	if (r == -ESTALE && fs_inode_get_attr(fs, ino, a) == 0) {
		a->nlink = 0;
		return 0;
	}
	if (r == 0)
		r = CALL(fs, stat, path, a);
	g_free(path);
out:
	if (r == 0)
		fs_inode_set_attr(fs, ino, a);
	return r;
}

static void reply_attr(fuse_req_t req, fuse_ino_t ino, const struct smb_attr *a)
{
	struct fs *fs = fuse_req_userdata(req);
	struct stat st;
	char *path = NULL;
	fs_attr_to_stat(fs, ino, a, &st);
	/* An unlinked node still open has no name left, whatever the server counts (it may keep the file
	 * under another name until the last close). */
	if (fs_inode_path(fs, ino, NULL, &path) == -ESTALE && ino != FUSE_ROOT_ID)
		st.st_nlink = 0;
	fuse_reply_attr(req, &st, fs_cache_attr_timeout(fs, ino, path));
	g_free(path);
}

static bool open_here(struct fs *fs, fuse_ino_t ino)
{
	struct fs_file *f = fs_file_get_by_ino(fs, ino);
	if (f)
		fs_file_put(fs, f);
	return f != NULL;
}

/*
 * A GETATTR of a file open here whose attributes the server gave within actimeo, with nothing changed since:
 * the kernel asks although its own cache would still hold them when it must recompute a mode before a chown
 * (fuse_setattr's ATTR_KILL_SUID, every fchown of tar and cp -p; libfuse 3.14 never passes
 * FUSE_HANDLE_KILLPRIV on to the kernel, which would spare the question). What we know is as fresh as what
 * the kernel's cache would have answered.
 */
static int getattr_attr(struct fs *fs, fuse_ino_t ino, struct fuse_file_info *fi, struct smb_attr *a)
{
	if (open_here(fs, ino) && fs_inode_fresh_attr(fs, ino, a) && !smb_attr_is_dir(a))
		return 0;
	return get_attr(fs, ino, fi, a);
}

static void fs_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct smb_attr a;
	atomic_fetch_add_explicit(&fs_of(req)->fuse_getattrs, 1, memory_order_relaxed);
	int r = getattr_attr(fs_of(req), ino, fi, &a);
	if (r < 0)
		reply_err(req, r);
	else
		reply_attr(req, ino, &a);
}

/*
 * For a setattr that changes nothing the server keeps (chown to the mount's owner, chmod keeping the
 * write bits: tar and cp -p do both after setting a file's times) or must know the READONLY bit first: the
 * attributes the server gave within actimeo with nothing changed since, else a stat. The kernel would have
 * served those from its own cache for as long; two round trips per file of an untar are saved.
 */
static int known_attr(struct fs *fs, fuse_ino_t ino, struct fuse_file_info *fi, struct smb_attr *a)
{
	return fs_inode_fresh_attr(fs, ino, a) ? 0 : get_attr(fs, ino, fi, a);
}

/* chmod: SMB keeps one permission bit, FILE_ATTRIBUTE_READONLY. Removing every write bit sets it, adding
 * any clears it; the other bits are the mount's file_mode and do not change. */
static uint32_t attrs_for_mode(uint32_t attrs, mode_t mode)
{
	if (mode & 0222)
		attrs &= ~SMB_ATTR_READONLY;
	else
		attrs |= SMB_ATTR_READONLY;
	/* NORMAL is valid only alone, and 0 means "do not change" in FILE_BASIC_INFORMATION. */
	attrs &= ~SMB_ATTR_NORMAL;
	return attrs ? attrs : SMB_ATTR_NORMAL;
}

static struct timespec time_of(const struct timespec *t, bool now)
{
	return now ? (struct timespec){0, UTIME_NOW} : *t;
}

/* chmod, chown and chgrp with the POSIX extensions: the server keeps them (and refuses with EPERM). */
static void build_setattr_posix(struct stat *attr, int to_set, struct smb_setattr *sa)
{
	if (to_set & FUSE_SET_ATTR_MODE) {
		sa->valid |= SMB_SET_MODE;
		sa->mode = attr->st_mode & 07777;
	}
	if (to_set & FUSE_SET_ATTR_UID) {
		sa->valid |= SMB_SET_UID;
		sa->uid = attr->st_uid;
	}
	if (to_set & FUSE_SET_ATTR_GID) {
		sa->valid |= SMB_SET_GID;
		sa->gid = attr->st_gid;
	}
}

/* Translate a FUSE setattr into smb_setattr; returns 0, or -EPERM for an ownership change. */
static int build_setattr(struct fs *fs, fuse_ino_t ino, struct stat *attr, int to_set, struct fuse_file_info *fi,
			 struct smb_setattr *sa)
{
	memset(sa, 0, sizeof(*sa));
	if (fs->posix) {
		build_setattr_posix(attr, to_set, sa);
		to_set &= ~(FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID);
	}
	/* Every file is owned by uid=/gid=; "changing" it to the same ids is a no-op (cp -p, tar). */
	if (((to_set & FUSE_SET_ATTR_UID) && attr->st_uid != fs->cfg.uid) ||
	    ((to_set & FUSE_SET_ATTR_GID) && attr->st_gid != fs->cfg.gid))
		return -EPERM;
	if (to_set & FUSE_SET_ATTR_SIZE) {
		sa->valid |= SMB_SET_SIZE;
		sa->size = (uint64_t)attr->st_size;
	}
	if (to_set & FUSE_SET_ATTR_ATIME) {
		sa->valid |= SMB_SET_ATIME;
		sa->atime = time_of(&attr->st_atim, to_set & FUSE_SET_ATTR_ATIME_NOW);
	}
	if (to_set & FUSE_SET_ATTR_MTIME) {
		sa->valid |= SMB_SET_MTIME;
		sa->mtime = time_of(&attr->st_mtim, to_set & FUSE_SET_ATTR_MTIME_NOW);
	}
	if (to_set & FUSE_SET_ATTR_MODE) {
		struct smb_attr cur;
		int r = known_attr(fs, ino, fi, &cur);
		if (r < 0)
			return r;
		uint32_t want = attrs_for_mode(cur.attrs, attr->st_mode);
		if (!smb_attr_is_dir(&cur) && want != cur.attrs) {
			sa->valid |= SMB_SET_ATTRS;
			sa->attrs = want;
		}
	}
	return 0;
}

/*
 * A size the server refused for want of space (STATUS_DISK_FULL, which Samba also says for the backing
 * filesystem's EFBIG): beyond the whole volume it can never fit, and a local filesystem says EFBIG.
 */
static int size_errno(struct fs *fs, uint64_t size)
{
	struct smb_statfs s;
	if (CALL(fs, statfs, &s) == 0 && s.block_size && s.total_blocks <= UINT64_MAX / s.block_size &&
	    size > s.total_blocks * s.block_size)
		return -EFBIG;
	return -ENOSPC;
}

/*
 * touch of a new file: open(O_CREAT) and then futimens(UTIME_NOW). When our own CREATE made the file a
 * moment ago and nothing has changed it since, its times are already "now": the server's clock at the
 * CREATE, as UTIME_NOW means for a network filesystem (NFS sends SET_TO_SERVER_TIME; ours would send the
 * client's clock, which differs from the server's by more than that moment anyway). The SET_INFO, its
 * QUERY_INFO and the change notification it causes then change nothing but those few microseconds. Not
 * for a file opened that existed (CreateAction FILE_OPENED), written, resized or changed since, open
 * twice here, with the writeback cache (the kernel keeps mtime itself and writes later), nor under
 * cache=none (every operation is the server's); and only within min(actimeo, 1 s) of the CREATE, the
 * precision to which the mount already promises times to a stat.
 */
static bool times_are_now(struct fs *fs, fuse_ino_t ino, int to_set, struct fuse_file_info *fi,
			  const struct smb_setattr *sa, struct smb_attr *a)
{
	const int now = FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_ATIME_NOW | FUSE_SET_ATTR_MTIME_NOW;
	if (fs->cfg.cache == FS_CACHE_NONE || fs->cfg.writeback || sa->valid != (SMB_SET_ATIME | SMB_SET_MTIME) ||
	    (to_set & now) != now)
		return false;
	struct fs_file *f = fi && fi->fh ? file_of(fi) : fs_file_get_by_ino(fs, ino);
	double window = MIN(fs->cfg.attr_timeout, 1.0);
	bool fresh = f && fs_file_fresh(fs, f, (uint64_t)(window * 1000)) && fs_inode_get_attr(fs, ino, a) == 0;
	if (f && !(fi && fi->fh))
		fs_file_put(fs, f);
	if (fresh)
		atomic_fetch_add_explicit(&fs->times_of_create, 1, memory_order_relaxed);
	return fresh;
}

static void fs_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set, struct fuse_file_info *fi)
{
	struct fs *fs = fs_of(req);
	struct smb_setattr sa;
	struct smb_attr a;
	char *path = NULL;
	int r;

	if (fs->cfg.ro && (to_set & (FUSE_SET_ATTR_SIZE | FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME |
				     FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID))) {
		reply_err(req, -EROFS);
		return;
	}
	r = build_setattr(fs, ino, attr, to_set, fi, &sa);
	if (r < 0)
		goto out;
	if (!sa.valid) {
		r = known_attr(fs, ino, fi, &a);
		goto out;
	}
	if (times_are_now(fs, ino, to_set, fi, &sa, &a))
		goto out;
	fs_files_changed(fs, ino);
	struct smb_fh *fh = fi && fi->fh ? file_of(fi)->fh : NULL;
	/*
	 * utime() and truncate() by path come without a handle. If the file is open here, change it
	 * through that handle anyway: Samba stamps the close time over LastWriteTime when a handle that
	 * wrote is closed, unless the time was set through that same handle, and our CLOSE follows the
	 * kernel's RELEASE, which may come after this call (touch -d after cat >, make's timestamps).
	 */
	struct fs_file *borrowed = fh ? NULL : fs_file_get_by_ino(fs, ino);
	if (borrowed)
		fh = borrowed->fh;
	/* Released but its CLOSE still on the way: that close would stamp its own time over ours. */
	if (!fh && (sa.valid & (SMB_SET_MTIME | SMB_SET_ATIME)))
		fs_files_wait_released(fs, ino, 2000);
	r = fs_inode_path(fs, ino, NULL, &path);
	if (r < 0 && !fh)
		goto out;
	r = CALL(fs, setattr, path, fh, &sa, &a);
	fs_cache_changed(fs, ino, false);
	if (borrowed) {
		fs_file_put(fs, borrowed);
		if (r == -EACCES && path) /* opened read-only: no FILE_WRITE_ATTRIBUTES on that handle */
			r = CALL(fs, setattr, path, NULL, &sa, &a);
	}
	if (r == -ENOSPC && (sa.valid & SMB_SET_SIZE))
		r = size_errno(fs, sa.size);
	if (r == 0 && (sa.valid & SMB_SET_MTIME))
		fs_inode_note_write(fs, ino, false); /* an explicit mtime wins over our last write */
	if (r == 0)
		fs_inode_set_attr(fs, ino, &a);
out:
	g_free(path);
	if (r < 0)
		reply_err(req, r);
	else
		reply_attr(req, ino, &a);
}

/* ---- directories ---- */

static void dir_unlist(struct fs *fs, struct fs_dir *d)
{
	pthread_mutex_lock(&fs->files_lock);
	if (d->prev)
		d->prev->next = d->next;
	else
		fs->dirs = d->next;
	if (d->next)
		d->next->prev = d->prev;
	pthread_mutex_unlock(&fs->files_lock);
}

void fs_dir_drop(struct fs *fs, struct fs_dir *d)
{
	dir_unlist(fs, d);
	if (d->ents)
		g_ptr_array_unref(d->ents);
	pthread_mutex_destroy(&d->lock);
	free(d);
}

static void fs_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fs *fs = fs_of(req);
	struct fs_dir *d = calloc(1, sizeof(*d));
	if (!d) {
		reply_err(req, -ENOMEM);
		return;
	}
	pthread_mutex_init(&d->lock, NULL);
	pthread_mutex_lock(&fs->files_lock);
	d->next = fs->dirs;
	if (fs->dirs)
		fs->dirs->prev = d;
	fs->dirs = d;
	pthread_mutex_unlock(&fs->files_lock);
	fi->fh = (uintptr_t)d;
	if (fuse_reply_open(req, fi) != 0)
		fs_dir_drop(fs, d);
}

/* Take the snapshot: on the first read of a handle and at every rewind to offset 0. */
static int list_dir_locked(struct fs *fs, fuse_ino_t ino, struct fs_dir *d)
{
	char *path;
	bool watched;
	GPtrArray *ents;
	int r = fs_inode_path(fs, ino, NULL, &path);
	if (r < 0)
		return r;
	r = fs_listing_fetch(fs, ino, path, true, &watched, &ents);
	g_free(path);
	if (r < 0)
		return r;
	if (d->ents)
		g_ptr_array_unref(d->ents);
	d->ents = ents;
	d->listed = true;
	return 0;
}

/*
 * Add entry i (0 ".", 1 "..", then the snapshot) to buf. For readdirplus every entry except "." and ".."
 * carries a nodeid and so costs one lookup reference (fuse_lowlevel.h, readdirplus), taken here and given
 * back if the entry does not fit; *ino_out gets the referenced nodeid or 0. Returns the size the entry
 * needs, which is more than rem when it did not fit.
 */
static size_t add_entry(fuse_req_t req, fuse_ino_t dir, struct fs_dir *d, size_t i, bool plus, char *buf, size_t rem,
			fuse_ino_t *ino_out)
{
	struct fs *fs = fuse_req_userdata(req); /* not fs_of: the callback has begun the request already */
	const struct fs_dirent *ent = i >= 2 ? g_ptr_array_index(d->ents, i - 2) : NULL;
	const char *name = ent ? ent->name : i == 0 ? "." : "..";
	off_t next = (off_t)i + 1;
	struct fuse_entry_param e;
	size_t need;

	*ino_out = 0;
	memset(&e, 0, sizeof(e));
	if (!ent) {
		e.attr.st_ino = i == 0 ? dir : 1;
		e.attr.st_mode = S_IFDIR;
	} else {
		fs_attr_to_stat(fs, 0, &ent->attr, &e.attr);
		if (!e.attr.st_ino)
			e.attr.st_ino = (ino_t)i + 1; /* no file id: d_ino must still not be 0 */
	}
	if (!plus)
		return fuse_add_direntry(req, buf, rem, name, &e.attr, next);
	if (ent) {
		struct smb_attr a = ent->attr;
		fuse_ino_t ino = fs_inode_link(fs, dir, name, &a);
		if (!ino)
			return 0;
		fs_fill_entry(fs, &e, ino, &a);
		*ino_out = ino;
	}
	need = fuse_add_direntry_plus(req, buf, rem, name, &e, next);
	if (need > rem && *ino_out) {
		fs_inode_forget(fs, *ino_out, 1);
		*ino_out = 0;
	}
	return need;
}

static void do_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi, bool plus)
{
	struct fs *fs = fs_of(req);
	struct fs_dir *d = (struct fs_dir *)(uintptr_t)fi->fh;
	GArray *refs = g_array_new(false, false, sizeof(fuse_ino_t));
	char *buf = malloc(size);
	size_t pos = 0;
	int r = buf ? 0 : -ENOMEM;

	pthread_mutex_lock(&d->lock);
	if (r == 0 && (!d->listed || off == 0))
		r = list_dir_locked(fs, ino, d);
	for (size_t i = (size_t)off; r == 0 && i < d->ents->len + 2; i++) {
		fuse_ino_t ref;
		size_t need = add_entry(req, ino, d, i, plus, buf + pos, size - pos, &ref);
		if (need == 0 && plus) {
			r = pos ? 0 : -ENOMEM;
			break;
		}
		if (need > size - pos)
			break;
		pos += need;
		if (ref)
			g_array_append_val(refs, ref);
	}
	pthread_mutex_unlock(&d->lock);
	if (r < 0) {
		reply_err(req, r);
	} else if (fuse_reply_buf(req, buf, pos) != 0) {
		/* The kernel never saw these entries, so it will never forget them. */
		for (guint k = 0; k < refs->len; k++)
			fs_inode_forget(fs, g_array_index(refs, fuse_ino_t, k), 1);
	}
	g_array_free(refs, true);
	free(buf);
}

static void fs_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	do_readdir(req, ino, size, off, fi, false);
}

static void fs_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	do_readdir(req, ino, size, off, fi, true);
}

static void fs_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	fs_dir_drop(fs_of(req), (struct fs_dir *)(uintptr_t)fi->fh);
	reply_err(req, 0);
}

static void fs_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	struct fs *fs = fs_of(req);
	struct smb_attr a;
	char *path;
	int r = fs->cfg.ro ? -EROFS : fs_inode_path(fs, parent, name, &path);
	if (r == 0) {
		r = CALL(fs, mkdir, path, mode & ~fuse_req_ctx(req)->umask, &a);
		g_free(path);
		fs_cache_name_changed(fs, parent, name);
	}
	if (r < 0) {
		reply_err(req, r);
	} else {
		fs_reply_new_entry(req, parent, name, &a);
		fs_cache_made_dir(fs, parent, name);
	}
}

/*
 * What ops->unlink must know: whether the file is still open here (SMB_UNLINK_OPEN). A file already
 * released whose CLOSE is in flight is not: its CLOSE is waited for (bounded), or the server would keep the
 * name delete-pending until it lands. Nor is one whose every descriptor has just been closed: the
 * kernel's RELEASE comes after close(2) has returned, and `echo x > f; rm f` must not leave a hidden name
 * on the server (hidden.c) until it does.
 */
static unsigned unlink_flags(struct fs *fs, fuse_ino_t parent, const char *name)
{
	fuse_ino_t ino = fs_inode_child(fs, parent, name);
	struct fs_file *f = ino ? fs_file_get_by_ino(fs, ino) : NULL;
	if (f) {
		fs_file_put(fs, f);
		return fs_files_wait_just_closed(fs, ino) ? 0 : SMB_UNLINK_OPEN;
	}
	if (ino)
		fs_files_wait_released(fs, ino, 2000);
	return 0;
}

/* rmdir and unlink: the name goes away on success. */
static void remove_name(fuse_req_t req, fuse_ino_t parent, const char *name, bool dir)
{
	struct fs *fs = fs_of(req);
	char *path;
	int r = fs->cfg.ro ? -EROFS : fs_inode_path(fs, parent, name, &path);
	if (r == 0) {
		r = dir ? CALL(fs, rmdir, path) : CALL(fs, unlink, path, unlink_flags(fs, parent, name));
		g_free(path);
		fs_cache_name_changed(fs, parent, name);
	}
	if (r == 0)
		fs_inode_unhash(fs, parent, name);
	reply_err(req, r);
}

static void fs_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	remove_name(req, parent, name, true);
}

static void fs_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	remove_name(req, parent, name, false);
}

/*
 * SMB refuses to replace a file that is still open (ACCESS_DENIED), and the kernel sends RELEASE, which
 * closes our handle, only after close(2) has returned: "write b; rename a over b" can reach the server
 * before b's CLOSE does. The same holds for renaming a directory while a file inside it is being closed.
 * So after a refusal: when the target still has open files here, wait for their release; when files
 * below the source directory are open or closing here, wait for those; otherwise, when CLOSEs of ours
 * are in flight, wait for them; then try once more. A CLOSE that ended between the attempt and the look
 * counts too (a release parking a handle below opens the directory's watch on the way, so it can hold a
 * handle the rename meets without being in the table when the rename looked). Both waits are bounded: a file an
 * application really keeps open stays a refusal, as on every SMB client.
 */
static int rename_replacing(struct fs *fs, const char *from, const char *to, fuse_ino_t source, fuse_ino_t target,
			    unsigned flags)
{
	unsigned f = (flags & RENAME_NOREPLACE) ? SMB_RENAME_NOREPLACE : 0;
	uint64_t closes = fs_files_closes_done(fs);
	int r = CALL(fs, rename, from, to, f);
	if (r != -EACCES && r != -EBUSY)
		return r;
	bool again;
	struct fs_file *held = target && !(flags & RENAME_NOREPLACE) ? fs_file_get_by_ino(fs, target) : NULL;
	if (held) {
		fs_file_put(fs, held);
		if (fs_files_wait_just_closed(fs, target)) /* as unlink_flags: its descriptors were closed */
			return CALL(fs, rename, from, to, f);
		/* An application holds the target open (tail -f of a log being replaced): as on a local disk,
		 * the name is replaced and the descriptor keeps the old file. Unlink it as an open file first
		 * (it goes to a hidden name, deleted at its last close), then rename over the free name. */
		r = CALL(fs, unlink, to, SMB_UNLINK_OPEN);
		if (r < 0)
			return r == -ENOENT ? CALL(fs, rename, from, to, f) : r;
		r = CALL(fs, rename, from, to, f);
		if (r < 0)
			log_warn("rename \"%s\" over \"%s\", which is open: the open file was unlinked but the rename "
				 "failed: %s", from, to, strerror(-r));
		return r;
	}
	if (target && !(flags & RENAME_NOREPLACE) && !fs_files_wait_released(fs, target, 0))
		again = fs_files_wait_released(fs, target, 2000);
	else if (source && fs_files_wait_released_below(fs, source, 2000))
		again = true; /* a file below a directory being renamed was closed by its application just now */
	else
		again = fs_files_wait_closes(fs, 2000) || fs_files_closes_done(fs) != closes;
	return again ? CALL(fs, rename, from, to, f) : r;
}

static void fs_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent, const char *newname,
		      unsigned int flags)
{
	struct fs *fs = fs_of(req);
	char *from = NULL, *to = NULL;
	int r;

	/* SMB has no atomic exchange; RENAME_WHITEOUT is for overlay filesystems. */
	if (flags & ~(unsigned)RENAME_NOREPLACE)
		r = -EINVAL;
	else if (fs->cfg.ro)
		r = -EROFS;
	else if ((r = fs_inode_path(fs, parent, name, &from)) == 0 &&
		 (r = fs_inode_path(fs, newparent, newname, &to)) == 0)
		r = rename_replacing(fs, from, to, fs_inode_child(fs, parent, name), fs_inode_child(fs, newparent, newname),
				     flags);
	fs_cache_name_changed(fs, parent, name);
	fs_cache_name_changed(fs, newparent, newname);
	if (r == 0)
		fs_inode_move(fs, parent, name, newparent, newname);
	g_free(from);
	g_free(to);
	reply_err(req, r);
}

static void fs_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct fs *fs = fs_of(req);
	struct smb_statfs s;
	struct statvfs st;
	int r = CALL(fs, statfs, &s);
	if (r < 0) {
		reply_err(req, r);
		return;
	}
	memset(&st, 0, sizeof(st));
	st.f_bsize = st.f_frsize = s.block_size ? s.block_size : 4096;
	st.f_blocks = s.total_blocks;
	st.f_bfree = st.f_bavail = s.free_blocks;
	st.f_namemax = s.name_max ? s.name_max : 255;
	fuse_reply_statfs(req, &st);
}

const struct fuse_lowlevel_ops fs_ll_ops = {
    .init = fs_init,
    .lookup = fs_lookup,
    .forget = fs_forget,
    .forget_multi = fs_forget_multi,
    .getattr = fs_getattr,
    .setattr = fs_setattr,
    .opendir = fs_opendir,
    .readdir = fs_readdir,
    .readdirplus = fs_readdirplus,
    .releasedir = fs_releasedir,
    .mkdir = fs_mkdir,
    .rmdir = fs_rmdir,
    .unlink = fs_unlink,
    .rename = fs_rename,
    .link = fs_link,
    .symlink = fs_symlink,
    .readlink = fs_readlink,
    .mknod = fs_mknod,
    .statfs = fs_statfs,
    .open = fs_open,
    .create = fs_create,
    .read = fs_read,
    .write = fs_write,
    .flush = fs_flush,
    .fsync = fs_fsync,
    .release = fs_release,
    .getlk = fs_getlk,
    .setlk = fs_setlk,
    .flock = fs_flock,
    .fallocate = fs_fallocate,
    .lseek = fs_lseek,
    .copy_file_range = fs_copy_file_range,
    .getxattr = fs_getxattr,
    .listxattr = fs_listxattr,
    .setxattr = fs_setxattr,
    .removexattr = fs_removexattr,
};
