/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * file.c - the FUSE callbacks of open files: open, create, read, write, flush, fsync, release, and the
 * table of open and closing files that renames and unlinks consult (fs.c says how opens decide caching).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fs_i.h"
#include "smbfuse/log.h"
#include "smbfuse/util.h"

/* Flags for ops->open from the kernel's open flags. */
static int open_flags(const struct fs *fs, int kflags)
{
	int flags = kflags & (O_ACCMODE | O_CREAT | O_EXCL | O_TRUNC | O_SYNC | O_DSYNC | SMB_O_PREREAD);
	/* cache=none: every write goes to the server before write(2) returns, lease or not. */
	if (fs->cfg.cache == FS_CACHE_NONE)
		flags |= O_SYNC;
	/* With the writeback cache the kernel reads to fill partial pages, even on a write-only file. */
	if (fs->cfg.writeback && (flags & O_ACCMODE) == O_WRONLY)
		flags = (flags & ~O_ACCMODE) | O_RDWR;
	return flags;
}

static bool writes(int kflags)
{
	return (kflags & O_ACCMODE) != O_RDONLY || (kflags & O_TRUNC);
}

/* Open path; retry write-only if the O_RDWR we asked for (writeback) is refused. */
static int do_open(struct fs *fs, const char *path, int kflags, mode_t mode, struct smb_fh **fh, struct smb_attr *a)
{
	int flags = open_flags(fs, kflags);
	int r = CALL(fs, open, path, flags, mode, fh, a);
	if (r == -EACCES && (flags & O_ACCMODE) != (kflags & O_ACCMODE))
		r = CALL(fs, open, path, (flags & ~O_ACCMODE) | (kflags & O_ACCMODE), mode, fh, a);
	return r;
}

/* Wrap fh into fi and decide the caching of this open; see the essay in fs.c. */
static void list_add_locked(struct fs_file **head, struct fs_file *f)
{
	f->prev = NULL;
	f->next = *head;
	if (*head)
		(*head)->prev = f;
	*head = f;
}

static void list_del_locked(struct fs_file **head, struct fs_file *f)
{
	if (f->prev)
		f->prev->next = f->next;
	else
		*head = f->next;
	if (f->next)
		f->next->prev = f->prev;
	f->prev = f->next = NULL;
}

void fs_file_put(struct fs *fs, struct fs_file *f)
{
	pthread_mutex_lock(&fs->files_lock);
	bool last = --f->refs == 0;
	if (last)
		list_add_locked(&fs->closing, f); /* unlisted from files by fs_file_drop before the last put */
	pthread_mutex_unlock(&fs->files_lock);
	if (!last)
		return;
	fs_ra_file_gone(fs, f);
	int r = CALL(fs, close, f->fh);
	if (r < 0)
		log_dbg("close: %s", strerror(-r));
	pthread_mutex_lock(&fs->files_lock);
	list_del_locked(&fs->closing, f);
	fs->closes_done++;
	pthread_cond_broadcast(&fs->files_cond);
	pthread_mutex_unlock(&fs->files_lock);
	free(f);
}

void fs_file_drop(struct fs *fs, struct fs_file *f)
{
	pthread_mutex_lock(&fs->files_lock);
	if (f->listed) {
		list_del_locked(&fs->files, f);
		f->listed = false;
	}
	pthread_mutex_unlock(&fs->files_lock);
	fs_file_put(fs, f);
}

static bool has_open_file_locked(struct fs *fs, fuse_ino_t ino)
{
	for (struct fs_file *f = fs->files; f; f = f->next)
		if (f->ino == ino)
			return true;
	for (struct fs_file *f = fs->closing; f; f = f->next)
		if (f->ino == ino)
			return true;
	return false;
}

bool fs_files_wait_released(struct fs *fs, fuse_ino_t ino, int timeout_ms)
{
	struct timespec ts;
	mono_deadline(&ts, timeout_ms);
	pthread_mutex_lock(&fs->files_lock);
	bool busy;
	while ((busy = has_open_file_locked(fs, ino)) &&
	       pthread_cond_timedwait(&fs->files_cond, &fs->files_lock, &ts) == 0)
		;
	busy = has_open_file_locked(fs, ino);
	pthread_mutex_unlock(&fs->files_lock);
	return !busy;
}

#define JUST_CLOSED_MS 1000 /* a FLUSH this recent may be a close(2) whose RELEASE is on its way */
#define RELEASE_WAIT_MS 200

bool fs_files_wait_just_closed(struct fs *fs, fuse_ino_t ino)
{
	uint64_t now = now_ms();
	bool all = true;
	pthread_mutex_lock(&fs->files_lock);
	for (struct fs_file *f = fs->files; f && all; f = f->next) {
		uint64_t t = atomic_load(&f->flushed_ms);
		all = f->ino != ino || (t && now - t < JUST_CLOSED_MS);
	}
	pthread_mutex_unlock(&fs->files_lock);
	return all && fs_files_wait_released(fs, ino, RELEASE_WAIT_MS);
}

bool fs_files_wait_closes(struct fs *fs, int timeout_ms)
{
	struct timespec ts;
	mono_deadline(&ts, timeout_ms);
	pthread_mutex_lock(&fs->files_lock);
	bool had = fs->closing != NULL;
	while (fs->closing && pthread_cond_timedwait(&fs->files_cond, &fs->files_lock, &ts) == 0)
		;
	bool done = had && !fs->closing;
	pthread_mutex_unlock(&fs->files_lock);
	return done;
}

uint64_t fs_files_closes_done(struct fs *fs)
{
	pthread_mutex_lock(&fs->files_lock);
	uint64_t n = fs->closes_done;
	pthread_mutex_unlock(&fs->files_lock);
	return n;
}

/* Whether a file at or below directory top is open or closing here. Snapshots the inode numbers under
 * files_lock and checks their ancestry under fs->lock afterwards: the two locks are never nested. */
static bool open_below(struct fs *fs, fuse_ino_t top)
{
	fuse_ino_t inos[64];
	size_t n = 0;
	pthread_mutex_lock(&fs->files_lock);
	for (struct fs_file *f = fs->files; f && n < 64; f = f->next)
		inos[n++] = f->ino;
	for (struct fs_file *f = fs->closing; f && n < 64; f = f->next)
		inos[n++] = f->ino;
	pthread_mutex_unlock(&fs->files_lock);
	for (size_t i = 0; i < n; i++)
		if (fs_inode_below(fs, inos[i], top))
			return true;
	return false;
}

bool fs_files_wait_released_below(struct fs *fs, fuse_ino_t top, int timeout_ms)
{
	struct timespec ts;
	mono_deadline(&ts, timeout_ms);
	if (!open_below(fs, top))
		return false;
	bool busy = true;
	pthread_mutex_lock(&fs->files_lock);
	while (busy) {
		int w = pthread_cond_timedwait(&fs->files_cond, &fs->files_lock, &ts);
		pthread_mutex_unlock(&fs->files_lock);
		busy = open_below(fs, top);
		pthread_mutex_lock(&fs->files_lock);
		if (w != 0)
			break;
	}
	pthread_mutex_unlock(&fs->files_lock);
	return !busy;
}

bool fs_file_fresh(struct fs *fs, struct fs_file *f, uint64_t within_ms)
{
	uint64_t t = atomic_load(&f->created_ms);
	if (!t || now_ms() - t >= within_ms)
		return false;
	/* Another open of the same file here (a second descriptor, or one closing) may have changed it. */
	bool alone = true;
	pthread_mutex_lock(&fs->files_lock);
	for (struct fs_file *o = fs->files; o && alone; o = o->next)
		alone = o == f || o->ino != f->ino;
	for (struct fs_file *o = fs->closing; o && alone; o = o->next)
		alone = o->ino != f->ino;
	pthread_mutex_unlock(&fs->files_lock);
	return alone;
}

void fs_files_changed(struct fs *fs, fuse_ino_t ino)
{
	pthread_mutex_lock(&fs->files_lock);
	for (struct fs_file *f = fs->files; f; f = f->next)
		if (f->ino == ino)
			atomic_store(&f->created_ms, 0);
	pthread_mutex_unlock(&fs->files_lock);
}

struct fs_file *fs_file_get_by_ino(struct fs *fs, fuse_ino_t ino)
{
	pthread_mutex_lock(&fs->files_lock);
	struct fs_file *f = fs->files;
	while (f && f->ino != ino)
		f = f->next;
	if (f)
		f->refs++;
	pthread_mutex_unlock(&fs->files_lock);
	return f;
}

static int setup_file(struct fs *fs, fuse_ino_t ino, struct fuse_file_info *fi, struct smb_fh *fh,
		      const struct smb_attr *a)
{
	struct fs_file *f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->fh = fh;
	f->ino = ino;
	f->refs = 1;
	f->listed = true;
	f->append = (fi->flags & O_APPEND) && !fs->cfg.writeback;
	pthread_mutex_lock(&fs->files_lock);
	list_add_locked(&fs->files, f);
	pthread_mutex_unlock(&fs->files_lock);
	fi->fh = (uintptr_t)f;
	fi->direct_io = f->append;
	f->no_ra = f->append || (fi->flags & O_DIRECT);
	bool same = fs_inode_unchanged_since_open(fs, ino, a);
	fi->keep_cache = fs->cfg.cache == FS_CACHE_LOOSE || (fs->cfg.cache == FS_CACHE_STRICT && same);
	return 0;
}

/* SMB_O_PREREAD (ops.h) for a read-only open of a regular file small by the attributes we have: its first
 * read then needs no round trip of its own. Never with cache=none, where every read goes to the server. */
static int preread_flag(struct fs *fs, fuse_ino_t ino, int kflags)
{
	struct smb_attr a;
	if (fs->cfg.cache == FS_CACHE_NONE || (kflags & (O_ACCMODE | O_TRUNC)) != O_RDONLY ||
	    fs_inode_get_attr(fs, ino, &a) < 0)
		return 0;
	return !smb_attr_is_dir(&a) && !a.symlink && a.size <= SMB_PREREAD_MAX ? SMB_O_PREREAD : 0;
}

void fs_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fs *fs = fs_of(req);
	fs_raise_readahead(fs);
	struct smb_fh *fh = NULL;
	struct smb_attr a;
	char *path;
	int r = fs->cfg.ro && writes(fi->flags) ? -EROFS : fs_inode_path(fs, ino, NULL, &path);
	if (r == 0) {
		r = do_open(fs, path, (fi->flags & ~O_CREAT) | preread_flag(fs, ino, fi->flags), 0, &fh, &a);
		g_free(path);
		if (fi->flags & O_TRUNC)
			fs_cache_changed(fs, ino, false);
		/* Another client removed the file the kernel's entry still names (sqlite's journals, deleted
		 * and recreated by every writer). ESTALE makes the kernel look the name up again and retry
		 * once, so open(O_CREAT) creates it as on a local disk instead of failing with ENOENT (the
		 * kernel strips O_CREAT from an OPEN of a name it believes exists). */
		if (r == -ENOENT) {
			fs_cache_changed(fs, ino, false);
			r = -ESTALE;
		}
	}
	if (r == 0 && (r = setup_file(fs, ino, fi, fh, &a)) < 0)
		CALL(fs, close, fh);
	if (r < 0) {
		reply_err(req, r);
		return;
	}
	fs_inode_set_attr(fs, ino, &a);
	if (fuse_reply_open(req, fi) != 0)
		fs_file_drop(fs, file_of(fi));
}

void fs_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, struct fuse_file_info *fi)
{
	struct fs *fs = fs_of(req);
	struct fuse_entry_param e;
	struct smb_fh *fh = NULL;
	struct smb_attr a;
	fuse_ino_t ino = 0;
	char *path;
	int r = fs->cfg.ro ? -EROFS : fs_inode_path(fs, parent, name, &path);

	if (r == 0) {
		/* After a LOOKUP answered without the server (intent.c) only a new file will do: a name that
		 * exists after all makes the kernel walk again (ESTALE), and this time the LOOKUP asks. */
		bool blind = fs_intent_take(fs, parent, name);
		/* The umask is ours to apply only when the kernel sends it (FUSE_CAP_DONT_MASK); else it is 0. */
		r = do_open(fs, path, fi->flags | O_CREAT | (blind ? O_EXCL : 0), mode & ~fuse_req_ctx(req)->umask,
			    &fh, &a);
		g_free(path);
		if (r == -EEXIST && blind && !(fi->flags & O_EXCL)) {
			fs_intent_taken(fs, parent, name);
			r = -ESTALE;
		}
		fs_cache_name_changed(fs, parent, name);
	}
	if (r == 0 && !(ino = fs_inode_link(fs, parent, name, &a)))
		r = -ESTALE;
	if (r == 0 && (r = setup_file(fs, ino, fi, fh, &a)) < 0)
		fs_inode_forget(fs, ino, 1);
	if (r == 0 && a.created)
		atomic_store(&file_of(fi)->created_ms, now_ms());
	if (r < 0) {
		if (fh)
			CALL(fs, close, fh);
		reply_err(req, r);
		return;
	}
	fs_fill_entry(fs, &e, ino, &a);
	if (fuse_reply_create(req, &e, fi) != 0) {
		fs_inode_forget(fs, ino, 1);
		fs_file_drop(fs, file_of(fi));
	}
}

void fs_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	struct fs *fs = fs_of(req);
	if (!file_of(fi)->no_ra && fs_ra_read(fs, req, file_of(fi), size, (uint64_t)off))
		return;
	char *buf = malloc(size ? size : 1);
	size_t got = 0;
	ssize_t n = buf ? 0 : -ENOMEM;

	/* FUSE wants a full buffer unless at end of file (no direct_io), so loop over short reads. */
	while (buf && got < size) {
		n = fs_read_op(fs, file_of(fi)->fh, buf + got, size - got, (uint64_t)off + got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (n < 0 && got == 0)
		reply_err(req, (int)n);
	else
		fuse_reply_buf(req, buf, got);
	free(buf);
}

/* O_APPEND without the writeback cache: write at the server's end of file, not the kernel's idea of it,
 * so appends land after what another client added. append_lock orders our own appenders. */
static ssize_t append_write(struct fs *fs, struct fs_file *f, const char *buf, size_t size, off_t off)
{
	struct smb_attr a;
	ssize_t n;
	pthread_mutex_lock(&fs->append_lock);
	int r = CALL(fs, fstat, f->fh, &a);
	uint64_t at = r == 0 ? a.size : (uint64_t)off;
	n = OP(fs, write) ? OP(fs, write)(fs->cl, f->fh, buf, size, at) : -EOPNOTSUPP;
	pthread_mutex_unlock(&fs->append_lock);
	return n;
}

void fs_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
	struct fs *fs = fs_of(req);
	struct fs_file *f = file_of(fi);
	ssize_t n;

	if (f->append && !fi->writepage)
		n = append_write(fs, f, buf, size, off);
	else
		n = OP(fs, write) ? OP(fs, write)(fs->cl, f->fh, buf, size, (uint64_t)off) : -EOPNOTSUPP;
	fs_files_changed(fs, ino);
	fs_cache_changed(fs, ino, false);
	if (n < 0) {
		reply_err(req, (int)n);
		return;
	}
	if (n > 0)
		fs_inode_note_write(fs, ino, true);
	fuse_reply_write(req, (size_t)n);
}

/* close(2): writes gathered under a Write lease go out now, and an error of any of them is close's (the
 * kernel's writeback cache, when on, is flushed by the kernel before FLUSH). Durability is fsync's job. */
void fs_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fs *fs = fs_of(req);
	int r = OP(fs, flush) ? CALL(fs, flush, file_of(fi)->fh) : 0;
	atomic_store(&file_of(fi)->flushed_ms, now_ms());
	fs_locks_owner_gone(fs, ino, fi);
	reply_err(req, r);
}

void fs_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	struct fs *fs = fs_of(req);
	reply_err(req, CALL(fs, fsync, file_of(fi)->fh));
}

void fs_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fs *fs = fs_of(req);
	fs_locks_file_gone(fs, ino, file_of(fi));
	fs_file_drop(fs, file_of(fi));
	reply_err(req, 0);
}
