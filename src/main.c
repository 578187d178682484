/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * main.c - smbfuse: parse the command line, connect, mount, serve.
 *
 * Order matters. The smb_client starts threads (the connection thread), and threads do not survive
 * fork(), so the daemon forks *before* connecting, unlike sshfs, whose connection is a child process. The
 * parent waits on a pipe until the child has connected and mounted, and exits with the child's status:
 * errors are still reported synchronously, on the terminal that ran the command, and a successful
 * background mount prints nothing. The child then detaches (setsid, stdio to /dev/null) and logs to syslog.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>
#include <sys/stat.h>
#include <unistd.h>

#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>

#include "smbfuse/fs.h"
#include "smbfuse/log.h"
#include "smbfuse/notify.h"
#include "smbfuse/ops.h"
#include "smbfuse/opts.h"
#include "smbfuse/secret.h"
#include "smbfuse/smb2.h"
#include "list.h"
#include "lookup.h"

/* Fork; the parent waits for the child's one status byte and exits with it. Returns the write end of the
 * pipe in the child, or -1 on failure. */
static int daemon_start(void)
{
	int p[2];
	unsigned char status;
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid > 0) {
		close(p[1]);
		ssize_t n;
		do
			n = read(p[0], &status, 1);
		while (n < 0 && errno == EINTR);
		/* No byte: the child died before it could say; that is a failure too. */
		_exit(n == 1 ? status : OPT_EX_FAIL);
	}
	close(p[0]);
	return p[1];
}

/* In the child: report status to the waiting parent; on success detach from the terminal first. */
static void daemon_ready(int fd, unsigned char status)
{
	if (fd < 0)
		return;
	if (status == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (setsid() < 0)
			log_warn("setsid: %s", strerror(errno));
		if (null >= 0) {
			dup2(null, STDIN_FILENO);
			dup2(null, STDOUT_FILENO);
			dup2(null, STDERR_FILENO);
			if (null > STDERR_FILENO)
				close(null);
		}
		log_use_syslog("smbfuse");
	}
	if (write(fd, &status, 1) != 1) {
		/* The parent is gone; nobody is left to tell. */
	}
	close(fd);
}

/* "/dev/fd/N" (libfuse's convention): N must be an open character device, the /dev/fuse descriptor that
 * a privileged helper opened, mounted and passed to us. */
static int check_fd_mountpoint(const char *mp)
{
	char *end;
	struct stat st;
	long fd = strtol(mp + 8, &end, 10);
	if (!mp[8] || *end || fd < 0 || fd > INT_MAX || fstat((int)fd, &st) < 0 || !S_ISCHR(st.st_mode)) {
		fprintf(stderr, "smbfuse: mount point %s: not an open /dev/fuse descriptor handed over by a helper\n", mp);
		return -1;
	}
	return 0;
}

static int check_mountpoint(const char *mp)
{
	struct stat st;
	if (strncmp(mp, "/dev/fd/", 8) == 0)
		return check_fd_mountpoint(mp);
	if (stat(mp, &st) < 0) {
		fprintf(stderr, "smbfuse: mount point %s: %s\n", mp, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		fprintf(stderr, "smbfuse: mount point %s is not a directory\n", mp);
		return -1;
	}
	return 0;
}

/* Connect and mount; on success *cl and *fs are set. Errors are printed here, once. */
static int connect_and_mount(struct opts *o, struct smb_client **cl, struct fs **fs)
{
	struct smb_client_cfg cfg;
	char err[256] = "";
	int r;

	opt_client_cfg(o, &cfg);
	r = smb_client_new(&cfg, cl, err, sizeof(err));
	/* Reconnects log on with the client's copy of the hash. */
	secret_free(o->nt_hash);
	o->nt_hash = NULL;
	if (r < 0) {
		fprintf(stderr, "smbfuse: mount error: %s/%s: %s\n", o->host, o->share, err[0] ? err : strerror(-r));
		return r;
	}
	log_info("connected to //%s/%s: %s", o->host, o->share, smb_client_describe(*cl));
	r = fs_new(*cl, smb_client_ops(*cl), &o->fs, &o->fuse_args, fs);
	if (r == 0)
		r = fs_mount(*fs, o->mountpoint);
	if (r < 0)
		fprintf(stderr, "smbfuse: cannot mount on %s\n", o->mountpoint);
	return r;
}

/* smbfuse's own command line, or mount(8)'s helper convention when called as mount.smbfuse. */
static int parse_command_line(struct opts *o, int argc, char *argv[], char *err, size_t errlen)
{
	char **hv;
	int hc, r;
	if (!opt_is_helper(argv[0]))
		return opt_parse(o, argc, argv, err, errlen);
	r = opt_helper_argv(argc, argv, &hc, &hv, err, errlen);
	if (r < 0) {
		memset(o, 0, sizeof(*o));
		opt_wipe_argv(argc, argv);
		return r;
	}
	/* hv points into argv, so opt_parse wipes the passwords in the strings /proc shows. */
	r = opt_parse(o, hc, hv, err, errlen);
	free(hv);
	return r;
}

/* smbfuse --stats MOUNTPOINT: print the mount's counters (the user.smbfuse.stats xattr of its root). */
static int print_stats(const char *mountpoint)
{
	char buf[16384];
	ssize_t n = getxattr(mountpoint, "user.smbfuse.stats", buf, sizeof(buf));
	if (n < 0) {
		fprintf(stderr, "smbfuse: %s: no statistics (%s); is it an smbfuse mount?\n", mountpoint,
			strerror(errno));
		return OPT_EX_USAGE;
	}
	fwrite(buf, 1, (size_t)n, stdout);
	return 0;
}

/* smbfuse --acl PATH: print a file's security descriptor (system.cifs_acl) in SDDL, for people without
 * cifs-utils. */
static int print_acl(const char *path)
{
	ssize_t n = getxattr(path, "system.cifs_acl", NULL, 0);
	uint8_t *sd = n > 0 ? malloc((size_t)n) : NULL;
	if (sd)
		n = getxattr(path, "system.cifs_acl", sd, (size_t)n);
	if (n <= 0 || !sd) {
		fprintf(stderr, "smbfuse: %s: no security descriptor (%s); is it on an smbfuse mount of SMB2 or 3?\n",
			path, n < 0 ? strerror(errno) : "empty");
		free(sd);
		return OPT_EX_USAGE;
	}
	size_t cap = 16 * (size_t)n + 256;
	char *text = malloc(cap);
	int r = text ? smb_sd_to_sddl(sd, (size_t)n, text, cap) : -ENOMEM;
	if (r >= 0)
		printf("%s\n", text);
	else
		fprintf(stderr, "smbfuse: %s: the server's security descriptor does not decode (%s)\n", path,
			strerror(-r));
	free(text);
	free(sd);
	return r >= 0 ? 0 : 1;
}

/* smbfuse --snapshots PATH: the previous versions of a file or directory on a mount (its
 * user.smbfuse.snapshots xattr), one @GMT token a line, newest first as the server gives them. */
static int print_snapshots(const char *path)
{
	char buf[65536];
	ssize_t n = getxattr(path, "user.smbfuse.snapshots", buf, sizeof(buf));
	if (n < 0) {
		fprintf(stderr, "smbfuse: %s: no list of previous versions (%s)%s\n", path, strerror(errno),
			errno == ENODATA || errno == ENOTSUP ? "; is it on an smbfuse mount?" : "");
		return errno == ENODATA || errno == ENOTSUP ? OPT_EX_USAGE : OPT_EX_FAIL;
	}
	fwrite(buf, 1, (size_t)n, stdout);
	return 0;
}

int main(int argc, char *argv[])
{
	struct smb_client *cl = NULL;
	struct fs *fs = NULL;
	struct opts o;
	char err[512];
	int status = 0, fd = -1;

	/*
	 * Replies of up to several MiB are allocated on the receive thread and freed on FUSE workers. With
	 * glibc's defaults each one is an mmap/munmap pair: page faults to fill it and a TLB shootdown across
	 * every thread to free it. Keeping them on the heap tripled sequential read throughput here
	 * (measured against Samba on loopback, doc/DESIGN.md, "Allocator").
	 */
	/* Before the password is read: no core, no ptrace by the same user, /proc/PID/mem closed to it.
	 * -o dumpable undoes it below, for debugging. */
	if (secret_set_dumpable(false) < 0)
		fprintf(stderr, "smbfuse: warning: cannot make the process non-dumpable: %s\n", strerror(errno));
	if (argc == 3 && strcmp(argv[1], "--stats") == 0)
		return print_stats(argv[2]);
	if (argc == 3 && strcmp(argv[1], "--acl") == 0)
		return print_acl(argv[2]);
	if (argc == 3 && strcmp(argv[1], "--snapshots") == 0)
		return print_snapshots(argv[2]);
	mallopt(M_MMAP_THRESHOLD, 64 * 1024 * 1024);
	mallopt(M_TRIM_THRESHOLD, 256 * 1024 * 1024);

	if (lookup_requested(argc, argv))
		return lookup_main(argc, argv);

	if (parse_command_line(&o, argc, argv, err, sizeof(err)) < 0) {
		fprintf(stderr, "smbfuse: %s\n", err);
		status = OPT_EX_USAGE;
		goto out;
	}
	if (o.show_help || o.show_version) {
		if (o.show_help)
			opt_usage(stdout, argv[0]);
		else
			printf("smbfuse version %s\nFUSE library version %s\n"
			       "License GPL-2.0-or-later: GNU GPL version 2 or later <https://gnu.org/licenses/gpl-2.0.html>\n"
			       "This is free software; there is NO WARRANTY, to the extent permitted by law.\n",
			       SMBFUSE_VERSION, fuse_pkgversion());
		goto out;
	}
	if (o.dumpable)
		secret_set_dumpable(true);
	if (o.debug)
		log_set_level(LOG_LVL_DEBUG);
	else if (o.verbose)
		log_set_level(LOG_LVL_INFO);
	if (o.fake)
		goto out; /* mount -f: everything was checked, nothing is mounted */
	/* Hashed before the fork, so neither the waiting parent nor the daemon holds the password. */
	if (opt_prompt_password(&o, err, sizeof(err)) < 0 || opt_hash_password(&o, err, sizeof(err)) < 0) {
		fprintf(stderr, "smbfuse: %s\n", err);
		status = OPT_EX_USAGE;
		goto out;
	}
	if (o.list) {
		status = list_main(&o);
		goto out;
	}
	notify_init(); /* before the fork and any thread; Type=notify units use -f, so we are the main PID */
	if (check_mountpoint(o.mountpoint) < 0) {
		status = OPT_EX_USAGE;
		goto out;
	}
	if (!o.foreground && (fd = daemon_start()) < 0) {
		fprintf(stderr, "smbfuse: cannot start the daemon: %s\n", strerror(errno));
		status = OPT_EX_FAIL;
		goto out;
	}
	if (connect_and_mount(&o, &cl, &fs) < 0) {
		status = OPT_EX_FAIL;
		daemon_ready(fd, (unsigned char)status);
		goto out;
	}
	if (chdir("/") < 0)
		log_warn("chdir /: %s", strerror(errno));
	daemon_ready(fd, 0);
	notify_send("READY=1\nSTATUS=//%s/%s mounted on %s", o.host, o.share, o.mountpoint);
	if (fs_loop(fs) < 0)
		status = OPT_EX_FAIL;
	/* The loop ends at SIGTERM (or an unmount); what follows is closing files and logging off. */
	notify_send("STOPPING=1");
out:
	fs_free(fs);
	if (cl)
		smb_client_free(cl);
	opt_free(&o);
	return status;
}
