/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ending.c - how a request or the whole mount stops waiting (doc/interrupt.md).
 *
 * Requests. Every callback starts with fs_req(): the worker's cancellation token (cancel.h) now serves
 * req, and libfuse's INTERRUPT for req fires it. The kernel sends INTERRUPT when the caller got a signal,
 * kill -9 included, and then waits for our answer however long it takes: without one a killed process
 * stays in D state. Whatever the request was waiting for (a reply, credits, a reconnect) then ends with
 * -EINTR, which the callback answers.
 *
 * The mount. A lazy unmount (umount -l, fusermount3 -uz) detaches the mount at once, but FUSE's session
 * ends (/dev/fuse gives ENODEV) only when the last reference goes, and a process blocked in a request
 * holds one: it would wait for as long as the server stays away. So a thread watches the mount table
 * (/proc/self/mountinfo signals every change with POLLPRI) and, once our mount is gone, ends the session:
 * every waiting request fails with -ESHUTDOWN, libfuse's loop is woken with SIGTERM (its handler sets
 * the exit flag; nothing else wakes the loop's semaphore) and the daemon exits, which aborts the
 * connection for whatever still held the detached mount.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "fs_i.h"
#include "smbfuse/cancel.h"
#include "smbfuse/log.h"

static void interrupted(fuse_req_t req, void *tok)
{
	smb_cancel_fire(tok, req);
}

/* Safe to call again within one request: registering runs the callback at once if req was interrupted. */
struct fs *fs_req(fuse_req_t req)
{
	struct smb_cancel *t = smb_cancel_begin(req);
	if (t)
		fuse_req_interrupt_func(req, interrupted, t);
	struct fs *fs = fuse_req_userdata(req);
	atomic_fetch_add_explicit(&fs->fuse_requests, 1, memory_order_relaxed);
	return fs;
}

static bool session_exited(void *fs)
{
	return fuse_session_exited(((struct fs *)fs)->se);
}

/* Is a mount with device number dev ("major:minor", field 3 of mountinfo) still in our mount table? */
static bool still_mounted(const char *dev)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096], d[64];
	bool found = false;
	if (!f)
		return true;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%*s %*s %63s", d) == 1 && strcmp(d, dev) == 0;
	fclose(f);
	return found;
}

static void *watch_main(void *arg)
{
	struct fs *fs = arg;
	for (;;) {
		struct pollfd p[2] = {{.fd = fs->mi_fd, .events = POLLPRI}, {.fd = fs->stop_fd, .events = POLLIN}};
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (!(p[0].revents & (POLLPRI | POLLERR)) || still_mounted(fs->devno))
			continue;
		log_info("%s was unmounted; ending", fs->real_mountpoint);
		atomic_store(&fs->detached, true);
		fuse_session_exit(fs->se);
		pthread_kill(fs->loop_thread, SIGTERM);
		break;
	}
	return NULL;
}

int fs_ending_start(struct fs *fs)
{
	smb_cancel_set_end_check(session_exited, fs);
	fs->loop_thread = pthread_self();
	if (!fs->real_mountpoint || fs_mount_devno(fs->real_mountpoint, fs->devno, sizeof(fs->devno)) < 0)
		return 0; /* not in our mount table (another namespace): only ENODEV ends the session */
	fs->mi_fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
	fs->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (fs->mi_fd < 0 || fs->stop_fd < 0 || !still_mounted(fs->devno) ||
	    pthread_create(&fs->watcher, NULL, watch_main, fs) != 0) {
		log_warn("cannot watch the mount table; a lazy unmount will wait for blocked requests");
		return 0;
	}
	fs->watching = true;
	return 0;
}

void fs_ending_stop(struct fs *fs)
{
	if (fs->watching) {
		uint64_t one = 1;
		if (write(fs->stop_fd, &one, sizeof(one)) < 0)
			log_dbg("eventfd: %s", strerror(errno));
		pthread_join(fs->watcher, NULL);
		fs->watching = false;
	}
	if (fs->mi_fd >= 0)
		close(fs->mi_fd);
	if (fs->stop_fd >= 0)
		close(fs->stop_fd);
	fs->mi_fd = fs->stop_fd = -1;
}

/*
 * After umount -l the mount point names something else (the directory below, or a new mount made there
 * since), and fuse_session_unmount would unmount that by path unless the device already reports the
 * connection gone (POLLERR). So the device is swapped for a descriptor that does, a pipe without a reader:
 * closing /dev/fuse is the unmount, and libfuse only closes and frees.
 */
void fs_ending_release_device(struct fs *fs)
{
	int p[2];
	int fd = fuse_session_fd(fs->se);
	if (fd < 0 || pipe2(p, O_CLOEXEC) < 0)
		return;
	close(p[0]);
	if (dup2(p[1], fd) < 0)
		log_dbg("dup2: %s", strerror(errno));
	close(p[1]);
}
