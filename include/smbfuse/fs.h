/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fs.h - the FUSE glue (src/fs): serves one smb_client through the libfuse low-level API.
 *
 * The glue sees SMB only through a struct smb_ops table (ops.h); it never calls smb_client_*, so its tests
 * link an in-memory mock. A NULL op answers -EOPNOTSUPP.
 *
 * Life cycle, all on the main thread:  fs_new -> fs_mount -> (daemonize) -> fs_loop -> fs_free.
 * The caller connects the smb_client before fs_new, so connection errors are reported before anything is
 * mounted, and frees it after fs_free.
 * Returns: 0 or negative errno. Nothing here logs a password.
 */
#ifndef SMBFUSE_FS_H
#define SMBFUSE_FS_H

#include <stdbool.h>
#include <sys/types.h>

struct smb_client;
struct smb_ops;
struct fuse_args;

/* How the kernel may cache (mount.cifs cache=). */
enum fs_cache_mode {
	FS_CACHE_STRICT = 0, /* close-to-open: page cache kept across opens only if size and mtime are unchanged */
	FS_CACHE_LOOSE,	     /* page cache always kept across opens */
	FS_CACHE_NONE,	     /* zero attribute/entry timeouts, page cache dropped at every open */
};

struct fs_cfg {
	uid_t uid; /* owner shown for every file (mount.cifs uid=) */
	gid_t gid;
	mode_t file_mode; /* permission bits of files; write bits removed for FILE_ATTRIBUTE_READONLY */
	mode_t dir_mode;
	double attr_timeout; /* seconds (actimeo=); forced to 0 by FS_CACHE_NONE */
	double entry_timeout;
	enum fs_cache_mode cache;
	bool ro;	      /* refuse every change with EROFS (the kernel is also told: -o ro) */
	bool writeback;	      /* FUSE_CAP_WRITEBACK_CACHE: see the essay in src/fs/fs.c before turning it on */
	unsigned max_threads; /* FUSE worker threads at most; 0: 64 */
	bool noserverino;     /* st_ino is our node id, not the server's file id (mount.cifs noserverino) */
	/* With the SMB 3.1.1 POSIX extensions files show the server's owner and group, unless these are set
	 * (uid=/gid=, forceuid/forcegid), and the kernel checks their modes (default_permissions) unless
	 * noperm. Without the extensions uid/gid always apply. */
	bool force_uid, force_gid;
	bool noperm;
	bool no_xattr; /* nouser_xattr: no user.* attributes (EOPNOTSUPP, empty listings) */
	/* rasize=: bytes read ahead of a sequential reader while its data may be cached (src/fs/ra.c), a
	 * multiple of 1 MiB up to FS_RASIZE_MAX; 0: none. Never with FS_CACHE_NONE. */
	unsigned rasize;
	/* nocreate_intent: the kernel's LOOKUP before an open(O_CREAT) asks the server too (src/fs/intent.c) */
	bool no_create_intent;
};

#define FS_RASIZE_DEFAULT (4u << 20)
#define FS_RASIZE_MAX (16u << 20)

struct fs;

/*
 * Create the FUSE session. args are the FUSE options (e.g. "-oallow_other", "-odebug"); fs_new consumes
 * them (fuse_session_new) but the caller still frees them with fuse_opt_free_args. cl and ops are
 * borrowed until fs_free. *out is NULL on failure.
 */
int fs_new(struct smb_client *cl, const struct smb_ops *ops, const struct fs_cfg *cfg, struct fuse_args *args,
	   struct fs **out);
/* Mount on mountpoint (must exist) and install SIGTERM/SIGINT/SIGHUP handlers that end fs_loop. */
int fs_mount(struct fs *fs, const char *mountpoint);
/* Serve requests until unmounted (umount -l included, even with requests blocked) or signalled. Returns 0
 * on a clean end (signal or external unmount). */
int fs_loop(struct fs *fs);
/* Unmount if mounted, remove the signal handlers, free everything. NULL is a no-op. */
void fs_free(struct fs *fs);

/* Inodes the kernel still holds a lookup reference on, the root included (for diagnostics and tests). */
size_t fs_inode_count(struct fs *fs);

#endif
