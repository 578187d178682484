/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fs.c - session life cycle: fs_new, fs_mount, fs_loop, fs_free (contract: include/smbfuse/fs.h).
 *
 * Caching, and why the writeback cache is off by default.
 *
 * Another client may change any file at any time. Without a lease all we have is time-outs, so the
 * defaults are close-to-open, as NFS and cifs cache=strict do:
 *  - writes are write-through: each write(2) is a WRITE to the server before it returns, so a second
 *    client sees it at once. Under a Write lease nobody else can look, and the proto layer gathers writes
 *    instead (src/proto/wb.c), sending them on close (FLUSH), fsync, or when the lease breaks; the
 *    glue only passes FLUSH on and marks cache=none opens O_SYNC so that they write through;
 *  - attributes and names are trusted for actimeo seconds (1 by default), then asked again;
 *  - the page cache survives an open only if the file's size and mtime are what they were at the previous
 *    open (keep_cache); otherwise the kernel drops it. FUSE_CAP_AUTO_INVAL_DATA drops it too whenever a
 *    getattr shows a changed size or mtime.
 * FUSE_CAP_WRITEBACK_CACHE makes small writes fast, but it makes the kernel the owner of every cached
 * regular file's size and mtime: it stops taking them from the server (fuse_change_attributes keeps its own
 * i_size). A file grown by another client then reads short, and an O_APPEND write lands at the stale end,
 * over the other client's data. That is acceptable only when nobody else writes the share, so it is an
 * option (-o writeback_cache), off by default. A lease does not make it safe: the capability is per mount
 * and fixed at INIT, and no notification makes the kernel take a size from us again for a cached inode;
 * that is why write caching lives in the daemon (wb.c has the comparison). Shared writable mmap works either way:
 * without writeback the kernel writes dirty pages back with FUSE_WRITE (fi->writepage) through any writable handle.
 *
 * O_APPEND. Without the writeback cache the kernel computes an append's offset from its cached i_size, which
 * may be stale. So an O_APPEND open is served with direct_io (its data must not enter the page cache at the
 * kernel's offset) and each of its writes goes to the end of file that the server reports right then
 * (fstat, then WRITE at that offset, under fs->append_lock). After any write the kernel invalidates its
 * cached size, so the next stat asks the server. Across clients this is still a race between the query and
 * the write; SMB's atomic append (WRITE at offset 0xFFFFFFFFFFFFFFFF) needs an op that ops.h lacks yet.
 * With the writeback cache on, the kernel appends at its own end of file.
 *
 * cache=none sets both timeouts to 0 and never keeps the page cache across opens; it does not use
 * direct_io, so mmap keeps working.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Sequential-read readahead for the mount, in KiB (see raise_readahead). */
#define FS_READAHEAD_KB 1024

#include "fs_i.h"
#include "smbfuse/cancel.h"
#include "smbfuse/log.h"

int fs_new(struct smb_client *cl, const struct smb_ops *ops, const struct fs_cfg *cfg, struct fuse_args *args,
	   struct fs **out)
{
	struct fs *fs = calloc(1, sizeof(*fs));
	*out = NULL;
	if (!fs)
		return -ENOMEM;
	fs->cl = cl;
	fs->ops = ops;
	fs->cfg = *cfg;
	if (fs->cfg.cache == FS_CACHE_NONE)
		fs->cfg.attr_timeout = fs->cfg.entry_timeout = 0;
	if (!fs->cfg.max_threads)
		fs->cfg.max_threads = 64;
	fs->mi_fd = fs->stop_fd = -1;
	pthread_mutex_init(&fs->lock, NULL);
	pthread_mutex_init(&fs->append_lock, NULL);
	pthread_mutex_init(&fs->files_lock, NULL);
	smb_cancel_cond_init(&fs->files_cond);
	fs_locks_init(fs);
	if (fs_inodes_init(fs) < 0) {
		fs_free(fs);
		return -ENOMEM;
	}
	/* Real modes (SMB 3.1.1 POSIX extensions): the kernel checks them as on a local disk, so another local
	 * user gets EACCES before anything is sent; the server still decides for the mounting user. */
	fs->posix = smb_client_posix(cl);
	if (fs->posix && !cfg->noperm && fuse_opt_add_arg(args, "-odefault_permissions") < 0) {
		fs_free(fs);
		return -ENOMEM;
	}
	/* Whether the kernel checks modes itself (however the option came: ours, perm, or the user's): an
	 * open(O_CREAT) answered "absent" is then checked against the directory (intent.c). */
	for (int i = 0; i < args->argc; i++)
		if (strstr(args->argv[i], "default_permissions"))
			fs->kernel_perms = true;
	fs->se = fuse_session_new(args, &fs_ll_ops, sizeof(fs_ll_ops), fs);
	if (!fs->se) {
		fs_free(fs);
		return -EINVAL; /* libfuse has printed why (a bad FUSE option) */
	}
	fs_cache_init(fs);
	fs_absent_init(fs);
	if (fs_ra_init(fs) < 0 || fs_intent_init(fs) < 0) {
		fs_free(fs);
		return -ENOMEM;
	}
	*out = fs;
	return 0;
}

/* FUSE INIT: what the mount asks of the kernel. */
void fs_init(void *userdata, struct fuse_conn_info *conn)
{
	struct fs *fs = userdata;
	/* O_TRUNC travels with the open (one CREATE with overwrite disposition instead of open + setattr). */
	if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC)
		conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
	/* Always readdirplus: the listing carries the attributes, so "ls -l" needs no request per file. */
	conn->want &= ~FUSE_CAP_READDIRPLUS_AUTO;
	if (fs->cfg.writeback && (conn->capable & FUSE_CAP_WRITEBACK_CACHE))
		conn->want |= FUSE_CAP_WRITEBACK_CACHE;
	else
		conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
	/* cache=none: drop cached pages whenever the server's size or mtime moves, too. */
	if (conn->capable & FUSE_CAP_AUTO_INVAL_DATA)
		conn->want |= FUSE_CAP_AUTO_INVAL_DATA;
	/* With async DIO the kernel waits for an O_DIRECT request uninterruptibly and never sends INTERRUPT:
	 * kill -9 could not end a reader blocked on an absent server. The proto layer splits and pipelines
	 * large reads itself, so little is lost. */
	conn->want &= ~FUSE_CAP_ASYNC_DIO;
}

/* Field 3 of mountinfo is the device, field 5 the mount point. */
int fs_mount_devno(const char *path, char *out, size_t outlen)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	char line[4096];
	int rc = -ENOENT;
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char dev[64], mnt[4096];
		if (sscanf(line, "%*s %*s %63s %*s %4095s", dev, mnt) == 2 && strcmp(mnt, path) == 0 &&
		    strlen(dev) < outlen) {
			strcpy(out, dev);
			rc = 0; /* keep the last match: a mount stacked on the same point hides earlier ones */
		}
	}
	fclose(f);
	return rc;
}

static void raise_readahead(const char *real, unsigned kb);

void fs_raise_readahead(struct fs *fs)
{
	if (fs->readahead_done || !fs->real_mountpoint)
		return;
	fs->readahead_done = true;
	raise_readahead(fs->real_mountpoint, FS_READAHEAD_KB);
}

/*
 * FUSE starts every mount with the kernel's 128 KiB readahead and lets init only lower it, so sequential
 * reads would go out as 128 KiB requests, one round trip each. The INIT reply sets it to min(current,
max_readahead) and max_readahead cannot exceed the kernel's 128 KiB offer, so this runs after INIT. Raising the mount's BDI readahead to 1 MiB
 * lets the kernel send 1 MiB reads, several at once: measured 2.3x faster against Samba on loopback (doc/DESIGN.md, "Large I/O").
 * Only root may write the sysfs file; for others this silently keeps the default. The device number comes
 * from mountinfo because a stat() of our own mount point would wait for this not-yet-running daemon.
 */
static void raise_readahead(const char *real, unsigned kb)
{
	char dev[64], file[128];
	if (fs_mount_devno(real, dev, sizeof(dev)) < 0)
		return;
	snprintf(file, sizeof(file), "/sys/class/bdi/%s/read_ahead_kb", dev);
	FILE *f = fopen(file, "w");
	if (!f)
		return;
	fprintf(f, "%u\n", kb);
	if (fclose(f) != 0)
		log_dbg("could not set %s: %s", file, strerror(errno));
}

int fs_mount(struct fs *fs, const char *mountpoint)
{
	/* "/dev/fd/N": a privileged helper (a FUSE CSI driver's fusermount3 proxy, say) opened /dev/fuse and
	 * mounted it; libfuse serves that descriptor. There is no mount point of ours to resolve or watch. */
	fs->fd_mount = strncmp(mountpoint, "/dev/fd/", 8) == 0;
	/* Resolved before mounting: afterwards any lookup of the mount point would wait on ourselves. */
	fs->real_mountpoint = fs->fd_mount ? NULL : realpath(mountpoint, NULL);
	if (fuse_set_signal_handlers(fs->se) != 0)
		return -EIO;
	fs->signals = true;
	if (fuse_session_mount(fs->se, mountpoint) != 0)
		return -EIO; /* libfuse has printed why */
	fs->mounted = true;
	return fs_ending_start(fs);
}

int fs_loop(struct fs *fs)
{
	struct fuse_loop_config *lc = fuse_loop_cfg_create();
	int r;
	if (!lc)
		return -ENOMEM;
	/* Ops block their worker for a round trip (ops.c); enough workers keep slow requests from starving
	 * the others, and clone_fd gives each worker its own /dev/fuse queue. */
	fuse_loop_cfg_set_max_threads(lc, fs->cfg.max_threads);
	/* Not for a /dev/fd/N mount: cloning reopens /dev/fuse, which an unprivileged container lacks. */
	fuse_loop_cfg_set_clone_fd(lc, !fs->fd_mount);
	r = fuse_session_loop_mt(fs->se, lc);
	fuse_loop_cfg_destroy(lc);
	/* Closing what is open and logging off is polite, but a server that stopped answering must not keep
	 * the daemon alive after its mount: the teardown gets two seconds (cancel.h). */
	smb_cancel_end_within(2000);
	/* libfuse returns the signal number after SIGTERM/SIGINT/SIGHUP (its handler stores it in se->error)
	 * and 0 after an external umount: both are a clean end. Only a negative value is an error. */
	return r < 0 ? r : 0;
}

void fs_free(struct fs *fs)
{
	if (!fs)
		return;
	fs_ending_stop(fs);
	if (fs->se)
		fs_cache_fini(fs);
	fs_absent_free(fs); /* before the session goes: its thread writes to /dev/fuse */
	fs_intent_free(fs);
	if (fs->se) {
		if (fs->detached)
			fs_ending_release_device(fs);
		if (fs->mounted)
			fuse_session_unmount(fs->se);
		if (fs->signals)
			fuse_remove_signal_handlers(fs->se);
		fuse_session_destroy(fs->se);
	}
	/* The kernel sends RELEASE after close() returns; a signal in between leaves the file to us. */
	while (fs->files)
		fs_file_drop(fs, fs->files);
	while (fs->dirs)
		fs_dir_drop(fs, fs->dirs);
	fs_ra_free(fs);
	log_dbg("%zu inodes still referenced at exit", fs->live);
	free(fs->real_mountpoint);
	fs_inodes_free(fs);
	fs_locks_free(fs);
	pthread_mutex_destroy(&fs->append_lock);
	pthread_mutex_destroy(&fs->files_lock);
	pthread_cond_destroy(&fs->files_cond);
	pthread_mutex_destroy(&fs->lock);
	free(fs);
}
