/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fs_i.h - private to src/fs: the fs object, the inode tree (inode.c) and the callbacks (ops.c).
 *
 * Locking convention: a function named *_locked expects fs->lock held by its caller.
 * Lock order (outermost first): fs_file.lock / fs_dir.lock -> fs->append_lock -> fs->lock.
 * fs->lock is never held across an ops-> call (ops.h forbids it: calls block on the network).
 */
#ifndef SMBFUSE_FS_I_H
#define SMBFUSE_FS_I_H

#define FUSE_USE_VERSION 312

#include <fuse_lowlevel.h>
#include <glib.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "smbfuse/fs.h"
#include "smbfuse/ops.h"

/*
 * One node of the tree the kernel knows. A node is named by (parent, name), so renaming a directory moves
 * one node and every descendant's path follows; a path is built by walking parents. Nodeids come from a
 * 64-bit counter and are never reused, so generation is constant.
 */
struct fs_inode {
	fuse_ino_t nodeid; /* immutable */
	/* Everything below is guarded by fs->lock. */
	struct fs_inode *parent; /* holds one ref on it; NULL for the root */
	char *name;		 /* component in parent; "" for the root */
	uint64_t nlookup;	 /* lookup count of the kernel (libfuse rules) */
	unsigned refs;		 /* one per child node (the child's parent pointer) and one for the root */
	bool hashed;		 /* in fs->by_name; false once unlinked or replaced by a rename */
	struct smb_attr attr;	 /* last attributes seen from the server */
	bool has_attr;		 /* attr has been set: its file_id is fixed from then on (keep_file_id_locked) */
	uint64_t attr_ms;	 /* when attr came from the server (fs_inode_set_attr) with no change known since;
				  * 0 once we changed the file or an event invalidated it (fs_inode_fresh_attr) */
	uint64_t fid;		 /* the first FileId a reply carried (attr.file_id may have stayed 0); by_fid key */
	/* Directories only (cache.c): the last listing, trusted while the directory's watch holds. dir_epoch
	 * counts invalidations, so a listing fetched across one is not stored (sshfs cache_add_attr). */
	GPtrArray *list;      /* struct fs_dirent *, shared (g_ptr_array_ref) with open fs_dir handles */
	GHashTable *list_idx; /* case-folded name -> struct fs_dirent * of list */
	/* Case-folded names changed since the listing (ours, or notified): it answers nothing about them,
	 * and serves no readdir; it still says which other names are absent. NULL: none. */
	GHashTable *list_dirty;
	uint64_t list_ms;     /* when list was fetched */
	bool list_listed;     /* list came from a readdir (not only for lookups: listing.c) */
	bool made_here;	      /* this mount made the directory: a listing for lookups in it is as a readdir's */
	bool list_self;	      /* list_mtime and list_ctime are the directory's as the listing began */
	struct timespec list_mtime, list_ctime;
	uint64_t dir_epoch;
	/* listing.c: when the last lookup miss in it came (0: none since a fetch), and a fetch for lookups
	 * is under way (the other lookups meanwhile go to the server) */
	uint64_t miss_ms;
	bool list_fetching;
	uint64_t fetch_ms;   /* when the last listing for lookups was fetched */
	unsigned fetch_hits; /* lookups the listing answered since */
	/* cache=strict: size and mtime at the last open, to decide keep_cache on the next one. */
	bool opened;
	uint64_t open_size;
	struct timespec open_mtime;
	/* When this mount last wrote the file; zero when the server's mtime has caught up (see
	 * fs_inode_set_attr). */
	struct timespec wrote;
	/* Non-directories only: the node's other names (hard links the kernel knows), struct fs_alias *. */
	GSList *aliases;
};

/*
 * A second name of a node: two names of one server file (same FileId, NumberOfLinks > 1) share one nodeid,
 * as two links share an inode on a local disk, so the kernel keeps one page cache and one set of
 * attributes for both. Paths are built from the node's primary name (parent, name); when that name goes, an
 * alias takes its place. In fs->by_alias; guarded by fs->lock.
 */
struct fs_alias {
	struct fs_inode *parent; /* holds one ref on it */
	char *name;
	struct fs_inode *node;
};

struct fs {
	struct smb_client *cl;	   /* immutable after fs_new */
	const struct smb_ops *ops; /* immutable */
	struct fs_cfg cfg;	   /* immutable */
	bool posix;		   /* smb_client_posix: modes and owners are the server's; immutable */
	bool kernel_perms;	   /* FUSE default_permissions: the kernel checks mode bits; immutable */
	struct fuse_session *se;
	bool mounted, signals;

	/* Guards by_id, by_name, next_id, live and every mutable field of every fs_inode. A leaf lock. */
	pthread_mutex_t lock;
	GHashTable *by_id;   /* &nodeid -> fs_inode; owns the inodes */
	GHashTable *by_name; /* fs_inode -> fs_inode, keyed by (parent nodeid, name) */
	GHashTable *by_alias; /* fs_alias -> fs_alias, keyed by (parent nodeid, name) */
	GHashTable *by_fid;  /* &fid -> a named non-directory node with that FileId */
	fuse_ino_t next_id;
	size_t live; /* inodes with nlookup > 0 */

	/* Resolved mount point, for raising the readahead once INIT is done (fs_raise_readahead). */
	char *real_mountpoint; /* immutable after fs_mount; NULL for a /dev/fd/N mount */
	bool fd_mount;	       /* mounted by whoever handed us /dev/fd/N (fs_mount) */
	_Atomic bool readahead_done;

	/* Open files not yet released, so an exit before the kernel's RELEASE (a signal right after a
	 * close) still closes them on the server and frees them. A leaf lock. */
	pthread_mutex_t files_lock;
	pthread_cond_t files_cond; /* an open file was closed on the server (fs_file_put) */
	struct fs_file *files; /* files_lock */
	/* files_lock: released files whose CLOSE is on its way. Until it has been answered the server still
	 * has the file open and refuses to replace it, so a rename waits for these too. */
	struct fs_file *closing;
	uint64_t closes_done; /* files_lock: CLOSEs of released files answered so far */
	/* files_lock: open directory handles not yet released (RELEASEDIR can be lost at unmount too). */
	struct fs_dir *dirs;

	/* The end of the mount (ending.c): the mount table watcher and what it needs. */
	pthread_t loop_thread; /* runs fs_loop; woken with SIGTERM */
	pthread_t watcher;
	bool watching;
	int mi_fd, stop_fd;   /* /proc/self/mountinfo (POLLPRI on change); eventfd that stops the watcher */
	char devno[64];	      /* our mount's "major:minor" */
	_Atomic bool detached; /* the watcher found the mount gone (umount -l): the mount point is not ours */

	/* Serializes O_APPEND writes of this mount (query end of file, then write there). */
	pthread_mutex_t append_lock;

	/* Byte-range locks (lock.c): ino -> its POSIX records and what the server holds. A leaf lock. */
	pthread_mutex_t locks_mu;
	pthread_cond_t locks_cv; /* a lock changed or a change ended */
	GHashTable *locks;

	/* Counters of the daemon's own caches (cache.c, user.smbfuse.stats). Relaxed atomics. */
	_Atomic uint64_t lookup_hits, lookup_neg_hits, lookup_misses;
	_Atomic uint64_t list_hits, list_misses;
	_Atomic uint64_t list_for_lookups; /* listings fetched on a second lookup miss (listing.c) */
	_Atomic uint64_t list_checks, list_stale; /* cache=strict readdir reuses checked; found changed */
	_Atomic uint64_t inval_inodes, inval_entries;
	/* FUSE requests answered (each callback's fs_req), so a test can bound what a warm `ls -l` costs; of
	 * them LOOKUPs and GETATTRs, which readdirplus is there to spare. */
	_Atomic uint64_t fuse_requests, fuse_lookups, fuse_getattrs;
	_Atomic uint64_t times_of_create; /* touch's UTIME_NOW answered by its CREATE's times (ops.c) */
	/* Read-ahead (ra.c; NULL: none) and its counters: ops->read calls in progress and the most at once,
	 * chunks issued, reads answered from a window or not, windows emptied, chunk reads that failed. */
	struct fs_ra *ra;
	_Atomic uint64_t reads_inflight, reads_inflight_max;
	struct fs_absent *absent; /* absent.c: expires names a fetched listing lacks; NULL: none */
	/* intent.c: LOOKUPs of an open(O_CREAT) answered absent, whose CREATE is exclusive; NULL: none. Of
	 * them, CREATEs that found the name and asked the kernel to walk again (ESTALE). */
	struct fs_intent *intent;
	_Atomic uint64_t create_intents, create_intent_retries;
	_Atomic uint64_t ra_issued, ra_hits, ra_misses, ra_dropped, ra_errors;
};

/* An open file: fi->fh. */
/* Raise the mount's readahead; called on the first open, after the kernel has processed INIT. */
void fs_raise_readahead(struct fs *fs);
/* The "major:minor" of the mount at path (the last one stacked there), from /proc/self/mountinfo. */
int fs_mount_devno(const char *path, char *out, size_t outlen);

/* ending.c. Every callback's first call: the fs of req, whose INTERRUPT now cancels this thread's waits. */
struct fs *fs_req(fuse_req_t req);

/* The glue's calls into the ops table; a NULL op means the dialect cannot do it (ops.h). */
#define OP(fs, name) ((fs)->ops->name)
#define CALL(fs, name, ...) (OP(fs, name) ? OP(fs, name)((fs)->cl, __VA_ARGS__) : -EOPNOTSUPP)

static inline struct fs *fs_of(fuse_req_t req)
{
	return fs_req(req);
}

/* The sign flips here only: negative inside, positive for fuse_reply_err. */
static inline void reply_err(fuse_req_t req, int neg)
{
	fuse_reply_err(req, neg < 0 ? -neg : neg);
}

static inline struct fs_file *file_of(const struct fuse_file_info *fi)
{
	return (struct fs_file *)(uintptr_t)fi->fh;
}

/* ops.c: an entry for ino with attributes a and the configured timeouts. */
void fs_fill_entry(struct fs *fs, struct fuse_entry_param *e, fuse_ino_t ino, const struct smb_attr *a);
/* Reply the entry of a name just made in parent (a reference on it taken, given back if the kernel never
 * gets it). */
void fs_reply_new_entry(fuse_req_t req, fuse_ino_t parent, const char *name, const struct smb_attr *a);
/* links.c: hard and symbolic links, special files. */
void fs_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname);
void fs_symlink(fuse_req_t req, const char *target, fuse_ino_t parent, const char *name);
void fs_readlink(fuse_req_t req, fuse_ino_t ino);
void fs_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev);
/* file.c: the open-file callbacks of fs_ll_ops. */
void fs_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void fs_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, struct fuse_file_info *fi);
void fs_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi);
void fs_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off, struct fuse_file_info *fi);
void fs_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void fs_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi);
void fs_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
/* alloc.c: fallocate(2), lseek(2) SEEK_DATA / SEEK_HOLE, copy_file_range(2). */
void fs_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t off, off_t len, struct fuse_file_info *fi);
void fs_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence, struct fuse_file_info *fi);
void fs_copy_file_range(fuse_req_t req, fuse_ino_t ino_in, off_t off_in, struct fuse_file_info *fi_in,
			fuse_ino_t ino_out, off_t off_out, struct fuse_file_info *fi_out, size_t len, int flags);
/* lock.c: the FUSE lock callbacks; what close(2) (FLUSH: the owner's POSIX locks) and RELEASE (every lock
 * through the open file) end. */
void fs_locks_init(struct fs *fs);
void fs_locks_free(struct fs *fs);
void fs_getlk(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi, struct flock *lock);
void fs_setlk(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi, struct flock *lock, int sleep);
void fs_flock(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi, int op);
struct fs_file;
void fs_locks_owner_gone(struct fs *fs, fuse_ino_t ino, struct fuse_file_info *fi);
void fs_locks_file_gone(struct fs *fs, fuse_ino_t ino, struct fs_file *f);
/* After mounting, on the thread that will run fs_loop: end waits with the session, watch for umount -l. */
int fs_ending_start(struct fs *fs);
/* Stop the watcher (before the signal handlers go: it may send SIGTERM). */
void fs_ending_stop(struct fs *fs);
/* After umount -l: make fuse_session_unmount close /dev/fuse without unmounting by path. */
void fs_ending_release_device(struct fs *fs);

struct fs_file {
	struct smb_fh *fh; /* immutable between open and release */
	bool append;	   /* opened O_APPEND without the writeback cache: writes go to the server's EOF */
	bool no_ra;	   /* O_DIRECT or direct_io: the reader asked for the server's bytes, none read ahead */
	fuse_ino_t ino;		     /* immutable */
	struct fs_file *prev, *next; /* fs.files_lock */
	unsigned refs;		     /* fs.files_lock: the kernel's (until RELEASE) and each borrower's */
	bool listed;		     /* fs.files_lock: in fs->files (not released); else in fs->closing */
	struct ra_win *ra;	     /* fs_ra.lock: its read-ahead window (ra.c), created by the first read */
	_Atomic uint64_t flushed_ms; /* when a close(2) of one of its descriptors last reached us (FLUSH) */
	_Atomic uint64_t created_ms; /* when its CREATE made the file, until anything changes it (fs_file_fresh) */
};

/* ra.c: read-ahead for sequential readers (the essay is there). fs_ra_init: start it when cfg.rasize and
 * the cache mode allow (0, or -ENOMEM); fs_ra_free: stop it, after every file is gone. */
int fs_ra_init(struct fs *fs);
void fs_ra_free(struct fs *fs);
/* Answer a read of f from its window: true when replied, false when the caller must read itself. */
bool fs_ra_read(struct fs *fs, fuse_req_t req, struct fs_file *f, size_t size, uint64_t off);
/* The data of ino (0: of every file) may have changed: empty its windows. Any thread, no lock held. */
void fs_ra_drop(struct fs *fs, fuse_ino_t ino);
/* f is about to be closed: drop its window and wait for its reads in progress. */
void fs_ra_file_gone(struct fs *fs, struct fs_file *f);
/* ops->read, counted in reads_inflight (read.inflight_max). */
ssize_t fs_read_op(struct fs *fs, struct smb_fh *fh, void *buf, size_t size, uint64_t off);

/* Unlink f from fs->files and drop the kernel's reference: the last reference closes and frees it. */
void fs_file_drop(struct fs *fs, struct fs_file *f);
/* An open file of inode ino with a reference taken, or NULL; give it back with fs_file_put. */
struct fs_file *fs_file_get_by_ino(struct fs *fs, fuse_ino_t ino);
/* Whether f's CREATE made its file less than within_ms ago and nothing has changed it since (ops.c,
 * times_are_now); fs_files_changed forgets that for every open file of ino. */
bool fs_file_fresh(struct fs *fs, struct fs_file *f, uint64_t within_ms);
void fs_files_changed(struct fs *fs, fuse_ino_t ino);
void fs_file_put(struct fs *fs, struct fs_file *f);
/* Wait up to timeout_ms until no open file of inode ino is left. True if none is. */
bool fs_files_wait_released(struct fs *fs, fuse_ino_t ino, int timeout_ms);
/* When every open file of ino has just been flushed by a close(2), wait a moment for the RELEASE that
 * follows (the kernel sends it after close(2) has returned). True if none is open now. */
bool fs_files_wait_just_closed(struct fs *fs, fuse_ino_t ino);
/* Wait until no CLOSE of ours is in flight; true if one was and all ended within timeout_ms. */
bool fs_files_wait_closes(struct fs *fs, int timeout_ms);
/* How many CLOSEs of released files have been answered: a refusal met while one was on its way is worth
 * one more try even when it has ended by the time the refusal is seen. */
uint64_t fs_files_closes_done(struct fs *fs);
/* Wait (at most timeout_ms) until no file at or below directory top is open or closing here; true when
 * some were and none is now. fs_inode_below: ino is top or lies below it. */
bool fs_files_wait_released_below(struct fs *fs, fuse_ino_t top, int timeout_ms);
bool fs_inode_below(struct fs *fs, fuse_ino_t ino, fuse_ino_t top);

struct fs_dirent {
	char *name;
	struct smb_attr attr;
};

/* An open directory: fi->fh. The listing is taken once per opendir (and again at a rewind to offset 0),
 * so offsets stay stable while the server's directory changes underneath. */
struct fs_dir {
	struct fs_dir *prev, *next; /* fs.files_lock */
	pthread_mutex_t lock;	    /* guards everything below */
	bool listed;
	GPtrArray *ents; /* struct fs_dirent * */
};

/* ops.c: free a directory handle the kernel never released (at exit). */
void fs_dir_drop(struct fs *fs, struct fs_dir *d);

/* inode.c */
int fs_inodes_init(struct fs *fs);
void fs_inodes_free(struct fs *fs);
/* Path of ino, plus "/name" when name is not NULL, in a new string (g_free). -ESTALE when the node was
 * unlinked or is unknown; -ENAMETOOLONG for a name over NAME_MAX bytes or a path over PATH_MAX - 1, as a
 * local filesystem says before touching anything. */
int fs_inode_path(struct fs *fs, fuse_ino_t ino, const char *name, char **out);
/* Find or create the node (parent, name), take one kernel reference and remember attr. Returns the nodeid,
 * or 0 when the parent is gone (-ESTALE) or on allocation failure. */
/* attr is in/out: a pending local write time replaces an older server mtime (see fs_inode_set_attr). */
fuse_ino_t fs_inode_link(struct fs *fs, fuse_ino_t parent, const char *name, struct smb_attr *attr);
void fs_inode_forget(struct fs *fs, fuse_ino_t ino, uint64_t n);
/* The name (parent, name) no longer exists on the server. */
void fs_inode_unhash(struct fs *fs, fuse_ino_t parent, const char *name);
/* A rename succeeded: move the node, unhashing whatever it replaced. */
/* The node of (parent, name), under either of its names; NULL if the kernel does not know it. */
struct fs_inode *fs_inode_named_locked(struct fs *fs, struct fs_inode *parent, const char *name);
/* The nodeid of (parent, name) if the kernel knows it, else 0. */
fuse_ino_t fs_inode_child(struct fs *fs, fuse_ino_t parent, const char *name);
void fs_inode_move(struct fs *fs, fuse_ino_t parent, const char *name, fuse_ino_t newparent, const char *newname);
/*
 * Store fresh server attributes. attr is in/out: while the server still reports an mtime older than this
 * mount's last write to the file, the write time replaces it (Samba delays LastWriteTime while a handle
 * that wrote is open, MS-FSCC 2.4.7 and its "delayed write time"; our CLOSE comes with the kernel's
 * asynchronous RELEASE, after close(2) has returned, so a stat right after close would see the old time).
 */
void fs_inode_set_attr(struct fs *fs, fuse_ino_t ino, struct smb_attr *attr);
/* The file was just written through this mount / its mtime was set explicitly (drop the write time). */
void fs_inode_note_write(struct fs *fs, fuse_ino_t ino, bool wrote);
/* Cached attributes; -ESTALE if ino is unknown. */
int fs_inode_get_attr(struct fs *fs, fuse_ino_t ino, struct smb_attr *out);
/* The attributes the server gave last, if younger than actimeo and nothing we know of changed the file since
 * (our own change, a write, an invalidation): what the kernel would have answered a stat from its own cache
 * for as long. Never with cache=none. */
bool fs_inode_fresh_attr(struct fs *fs, fuse_ino_t ino, struct smb_attr *out);
/* Our own change of ino (or an event's news of one): its attributes are no longer known fresh. */
void fs_inode_attr_changed_locked(struct fs_inode *n);
/* cache=strict: true when size and mtime equal those at the previous open; records them for the next. */
bool fs_inode_unchanged_since_open(struct fs *fs, fuse_ino_t ino, const struct smb_attr *attr);

/* cache.c: the daemon's directory cache, coherence events from the proto layer, the stats xattr.
 * Lease-backed timeouts: while a lease grants read caching the kernel may keep attributes this long; the
 * lease's end or break invalidates them. Names in a watched directory likewise. */
#define FS_LEASE_TIMEOUT 60.0
#define FS_WATCH_TIMEOUT 60.0
#define FS_STATS_XATTR "user.smbfuse.stats"
#define FS_SNAPSHOTS_XATTR "user.smbfuse.snapshots"
void fs_cache_init(struct fs *fs);
/* Make the kernel look name up again in parent at its next walk, keeping the dentry hashed (expire.c). */
int fs_expire_entry(struct fs *fs, fuse_ino_t parent, const char *name);
/* Unregister from the proto layer; no event runs after it returns. */
void fs_cache_fini(struct fs *fs);
/* The inode is freed: drop its listing. Called with fs->lock held. */
void fs_cache_drop_locked(struct fs_inode *n);
/* We changed directory ino (dir) or the file ino: its attributes and its (parent's) listing are out of
 * date (of a file: for its names; of a directory: all of it). */
void fs_cache_changed(struct fs *fs, fuse_ino_t ino, bool dir);
/* We made, removed or renamed name in directory parent (or tried: the outcome may be unknown): the
 * directory's attributes and what its listing says of that name are out of date. */
void fs_cache_name_changed(struct fs *fs, fuse_ino_t parent, const char *name);
/* The directory name in parent was made by this mount (mkdir); whether directory ino was. */
void fs_cache_made_dir(struct fs *fs, fuse_ino_t parent, const char *name);
bool fs_cache_made_here(struct fs *fs, fuse_ino_t ino);
/* A watched directory's attributes, trusted while its listing is (no change notified since). */
bool fs_cache_dir_attr(struct fs *fs, fuse_ino_t ino, struct smb_attr *a);
/* Whether the proto layer watches directory path (starting a watch if it can). */
bool fs_cache_watch(struct fs *fs, const char *path);
/* What a readdir must check before it reuses a cached listing (listing.c): needed, and the directory's
 * times when the listing began. */
struct fs_list_check {
	bool needed;
	struct timespec mtime, ctime;
};
/* The cached listing of directory ino if trustworthy (a new reference), else NULL and *epoch is the
 * epoch to hand to fs_cache_store after fetching. listed: for a readdir, which reuses a listing fetched
 * for lookups alone only under a directory lease, and in cache=strict without one only once the
 * directory's times are found unchanged (*check). */
GPtrArray *fs_cache_listing(struct fs *fs, fuse_ino_t ino, bool listed, uint64_t *epoch, struct fs_list_check *check);
/* The listing of ino was found out of date by its check: drop it; the epoch for the next fs_cache_store. */
uint64_t fs_cache_listing_stale(struct fs *fs, fuse_ino_t ino);
/* self: the directory's attributes as the listing began (ops->readdir), or NULL. */
void fs_cache_store(struct fs *fs, fuse_ino_t ino, uint64_t epoch, GPtrArray *ents, bool listed,
		    const struct smb_attr *self);
/* Lookup from the cached listing of parent: 1 and *a when name is there and fresh, 0 when the listing
 * proves it absent (-ENOENT answer), -EAGAIN when the server must be asked. */
int fs_cache_lookup(struct fs *fs, fuse_ino_t parent, const char *name, struct smb_attr *a);
/* listing.c's bookkeeping of lookup misses in directory parent: true when this miss is the second within
 * within_ms and parent's listing is worth fetching for lookups (then the caller fetches it and calls
 * fs_cache_fetched, whatever the outcome). */
bool fs_cache_second_miss(struct fs *fs, fuse_ino_t parent, unsigned within_ms);
void fs_cache_fetched(struct fs *fs, fuse_ino_t parent);
/* listing.c: the listing of directory ino at path into *out (a new reference), after asking for its watch
 * (*watched: one holds, and the listing is kept for later lookups and readdirs). listed: for a readdir,
 * not only for lookups (which then answer no absent name from it without a directory lease). */
int fs_listing_fetch(struct fs *fs, fuse_ino_t ino, const char *path, bool listed, bool *watched,
		     GPtrArray **out);
/* A lookup miss of name in parent: on the second in a short time, parent's listing is fetched and the
 * lookup answered from it as fs_cache_lookup answers (0 absent, 1 present in *a); -EAGAIN: ask the server. */
int fs_listing_lookup(struct fs *fs, fuse_ino_t parent, const char *name, struct smb_attr *a);
/* absent.c: expire, from a thread of its own, the names of directory ino the kernel holds and a listing
 * just fetched from the server (ents, struct fs_dirent *) lacks. init never fails (without its thread
 * nothing is expired). */
void fs_absent_init(struct fs *fs);
void fs_absent_free(struct fs *fs);
/* intent.c: whether the LOOKUP of name in parent is the kernel's look before an open(O_CREAT) of it that
 * may be answered "absent" (recorded for fs_intent_take); whether the CREATE of (parent, name) follows such
 * an answer (and must be exclusive); and that such a CREATE found the name (ask the server next time). */
int fs_intent_init(struct fs *fs);
void fs_intent_free(struct fs *fs);
bool fs_intent_lookup(struct fs *fs, fuse_req_t req, fuse_ino_t parent, const char *name);
bool fs_intent_take(struct fs *fs, fuse_ino_t parent, const char *name);
void fs_intent_taken(struct fs *fs, fuse_ino_t parent, const char *name);
/* cache.c: whether a listing of parent, however old, has name (case-insensitively). */
bool fs_cache_listing_names(struct fs *fs, fuse_ino_t parent, const char *name);
void fs_absent_check(struct fs *fs, fuse_ino_t ino, const GPtrArray *ents);
/* Attribute and entry timeouts for path (lease- or watch-backed when possible). */
double fs_cache_attr_timeout(struct fs *fs, fuse_ino_t ino, const char *path);
/* The "name value" lines of user.smbfuse.stats into buf (NUL-terminated); returns their length. */
size_t fs_stats(struct fs *fs, char *buf, size_t len);
/* xattr.c: user.* attributes as SMB EAs, and the stats attribute of the root. */
void fs_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size);
void fs_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size);
void fs_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value, size_t size, int flags);
void fs_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name);

/* ops.c */
extern const struct fuse_lowlevel_ops fs_ll_ops;
/* fs.c: the INIT callback of fs_ll_ops. */
void fs_init(void *userdata, struct fuse_conn_info *conn);
void fs_attr_to_stat(const struct fs *fs, fuse_ino_t ino, const struct smb_attr *a, struct stat *st);

#endif
