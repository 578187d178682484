/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * helper.c - smbfuse as mount(8)'s helper, and the interactive password prompt (contract: opts.h).
 *
 * One binary, two names. mount(8) runs /sbin/mount.TYPE with its own small flag set, in which -f means
 * "fake" and -v "verbose"; everything else (the -o list, credentials, the daemon) is smbfuse's. So the
 * helper only rewrites its flags into smbfuse's long options and then takes the normal path: a second
 * program would have to duplicate the option table, the argv wiping and the daemon start-up.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "smbfuse/opts.h"
#include "smbfuse/secret.h"

static int helper_fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int helper_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

bool opt_is_helper(const char *argv0)
{
	const char *base = strrchr(argv0, '/');
	base = base ? base + 1 : argv0;
	return strcmp(base, "mount.smbfuse") == 0 || strcmp(base, "mount.fuse.smbfuse") == 0;
}

/* One cluster of single-letter mount(8) flags ("-sv"); appends their translations to out. */
static int helper_flags(const char *arg, char **out, int *n, char *err, size_t errlen)
{
	static char sloppy[] = "--sloppy", fake[] = "--fake", verbose[] = "--verbose";
	static char ro[] = "-oro", rw[] = "-orw";
	for (const char *p = arg + 1; *p; p++) {
		switch (*p) {
		case 's':
			out[(*n)++] = sloppy;
			break;
		case 'f':
			out[(*n)++] = fake;
			break;
		case 'v':
			out[(*n)++] = verbose;
			break;
		case 'r':
			out[(*n)++] = ro;
			break;
		case 'w':
			out[(*n)++] = rw;
			break;
		case 'n': /* no mtab: there is none to write */
			break;
		default:
			return helper_fail(err, errlen, "mount.smbfuse: unknown flag '-%c'", *p);
		}
	}
	return 0;
}

int opt_helper_argv(int argc, char *argv[], int *out_argc, char ***out, char *err, size_t errlen)
{
	/* Each argument becomes at most 5 (a flag cluster "-sfvrw"); one more for argv[0], one for NULL. */
	char **v = calloc((size_t)argc * 5 + 2, sizeof(*v));
	int n = 0, r = 0;

	*out = NULL;
	if (!v)
		return -ENOMEM;
	v[n++] = argv[0];
	/* The sloppy flag must act before the -o list is parsed, so the flags go first. */
	for (int i = 1; i < argc && r == 0; i++) {
		const char *a = argv[i];
		if (strcmp(a, "-o") == 0 || strcmp(a, "-t") == 0)
			i++;
		else if (a[0] == '-' && a[1] == 'N')
			r = helper_fail(err, errlen, "mount.smbfuse: -N (another mount namespace) is not supported");
		else if (a[0] == '-' && a[1] && a[1] != '-' && a[1] != 'o' && a[1] != 't' && a[1] != 'h' && a[1] != 'V')
			r = helper_flags(a, v, &n, err, errlen);
	}
	for (int i = 1; i < argc && r == 0; i++) {
		const char *a = argv[i];
		if (strcmp(a, "-o") == 0 || strcmp(a, "-t") == 0) {
			if (i + 1 >= argc)
				r = helper_fail(err, errlen, "mount.smbfuse: %s needs an argument", a);
			else if (a[1] == 'o')
				v[n++] = argv[i], v[n++] = argv[i + 1];
			i++; /* -t TYPE: mount(8) names the subtype; we know what we are */
		} else if (strncmp(a, "-o", 2) == 0) {
			v[n++] = argv[i];
		} else if (a[0] != '-' || strcmp(a, "--help") == 0 || strcmp(a, "--version") == 0 ||
			   strcmp(a, "-h") == 0 || strcmp(a, "-V") == 0) {
			v[n++] = argv[i];
		}
	}
	if (r < 0) {
		free(v);
		return r;
	}
	v[n] = NULL;
	*out_argc = n;
	*out = v;
	return 0;
}

/* Read one line from fd into buf (NUL-terminated, newline dropped). */
static int read_line(int fd, char *buf, size_t len)
{
	size_t n = 0;
	for (;;) {
		char ch;
		ssize_t r = read(fd, &ch, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return n ? 0 : -EIO;
		if (ch == '\n' || ch == '\r')
			break;
		if (n + 1 < len)
			buf[n++] = ch;
	}
	buf[n] = 0;
	return 0;
}

int opt_prompt_password(struct opts *o, char *err, size_t errlen)
{
	struct termios old, quiet;
	char buf[512], prompt[600];
	int fd, r;

	if (o->password || o->guest || o->krb5 || !isatty(STDIN_FILENO))
		return 0;
	/* The terminal itself, not stdin: that is where the person is, even with stdin redirected later. */
	fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (tcgetattr(fd, &old) < 0) {
		close(fd);
		return 0;
	}
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	snprintf(prompt, sizeof(prompt), "Password for %s@//%s/%s: ", o->user ? o->user : "", o->host, o->share);
	/* Echo off (and type-ahead flushed) before the prompt shows, or an answer typed right after it is lost. */
	if (tcsetattr(fd, TCSAFLUSH, &quiet) < 0 || write(fd, prompt, strlen(prompt)) < 0) {
		tcsetattr(fd, TCSANOW, &old);
		close(fd);
		return helper_fail(err, errlen, "cannot prompt for a password on /dev/tty: %s", strerror(errno));
	}
	r = read_line(fd, buf, sizeof(buf));
	tcsetattr(fd, TCSAFLUSH, &old);
	if (write(fd, "\n", 1) < 0) {
		/* The echo of the newline is cosmetic. */
	}
	close(fd);
	if (r == 0 && !(o->password = secret_strdup(buf)))
		r = -ENOMEM;
	explicit_bzero(buf, sizeof(buf));
	if (r == -EIO)
		return helper_fail(err, errlen, "no password entered");
	return r;
}
