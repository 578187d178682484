/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * creds.c - the password's way in, and out (contract: include/smbfuse/opts.h).
 *
 * The password arrives in argv (-o password=, username=user%pass, an smb:// URL), a credentials file, the
 * PASSWD variable or the terminal. Each copy is made in secret memory (secret.h) and every other one is
 * wiped where it was found, before anything can copy it further: fuse_opt_parse strdups each -o list and
 * frees it unwiped, so -o values are taken out of argv before it runs (opt_take_argv_secrets), and the
 * credentials file is read with read(2) into secret memory, not through a stdio buffer. Then
 * opt_hash_password turns the password into the NT hash, which is all NTLM needs, and frees the password.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "smbfuse/auth.h"
#include "smbfuse/opts.h"
#include "smbfuse/secret.h"

#define CRED_FILE_MAX 65536


/* ---- argv ---- */

/* The value of one -o item up to the next unescaped ',', unescaped as fuse_opt does (\NNN octal, \c).
 * The result is in secret memory. */
static char *take_value(const char *v)
{
	size_t n = 0;
	char *out = secret_alloc(strlen(v) + 1);
	if (!out)
		return NULL;
	for (; *v && *v != ','; v++) {
		if (*v == '\\' && v[1]) {
			v++;
			if (v[0] >= '0' && v[0] <= '3' && v[1] >= '0' && v[1] <= '7' && v[2] >= '0' && v[2] <= '7') {
				out[n++] = (char)((v[0] - '0') * 64 + (v[1] - '0') * 8 + (v[2] - '0'));
				v += 2;
				continue;
			}
		}
		out[n++] = *v;
	}
	return out;
}

/* Overwrite an option value in place up to the next unescaped ','. */
static void wipe_value(char *v)
{
	for (; *v && *v != ','; v++) {
		if (*v == '\\' && v[1]) {
			*v++ = 'x';
		}
		*v = 'x';
	}
}

static void replace(char **dst, char *s)
{
	secret_free(*dst);
	*dst = s;
}

/* The '%' of "user=name%pass" outside escapes, or NULL. */
static char *user_pct(char *v)
{
	for (; *v && *v != ','; v += (*v == '\\' && v[1]) ? 2 : 1)
		if (*v == '%')
			return v;
	return NULL;
}

/* One -o list: take (when t) and wipe every password=/pass= value and the password part of username=. */
static int list_secrets(char *s, struct argv_secrets *t)
{
	for (char *p = s; *p;) {
		char *v = strncmp(p, "password=", 9) == 0 ? p + 9 : strncmp(p, "pass=", 5) == 0 ? p + 5 : NULL;
		char *u = strncmp(p, "username=", 9) == 0 ? p + 9 : strncmp(p, "user=", 5) == 0 ? p + 5 : NULL;
		char *pct = u ? user_pct(u) : NULL;
		if (t && v) {
			replace(&t->password, take_value(v));
			if (!t->password)
				return -ENOMEM;
		}
		if (t && pct) {
			replace(&t->user_password, take_value(pct + 1));
			if (!t->user_password)
				return -ENOMEM;
		}
		if (v)
			wipe_value(v);
		if (pct)
			wipe_value(pct + 1);
		/* Skip to the start of the next option, honouring '\' escapes as fuse_opt does. */
		while (*p && *p != ',')
			p += (*p == '\\' && p[1]) ? 2 : 1;
		if (*p == ',')
			p++;
	}
	return 0;
}

void opt_wipe_url(char *s)
{
	if (!s || strncmp(s, "smb://", 6) != 0)
		return;
	char *rest = s + 6, *slash = rest + strcspn(rest, "/");
	char *at = memrchr(rest, '@', (size_t)(slash - rest));
	if (!at)
		return;
	char *semi = memchr(rest, ';', (size_t)(at - rest));
	char *user = semi ? semi + 1 : rest;
	char *colon = memchr(user, ':', (size_t)(at - user));
	if (colon)
		memset(colon + 1, 'x', (size_t)(at - colon - 1));
}

static int argv_secrets(int argc, char *argv[], struct argv_secrets *t, bool urls)
{
	int r = 0;
	for (int i = 1; i < argc && r == 0; i++) {
		if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
			r = list_secrets(argv[++i], t);
		else if (strncmp(argv[i], "-o", 2) == 0)
			r = list_secrets(argv[i] + 2, t);
		else if (urls)
			opt_wipe_url(argv[i]);
	}
	return r;
}

int opt_take_argv_secrets(int argc, char *argv[], struct argv_secrets *t)
{
	memset(t, 0, sizeof(*t));
	/* URLs stay: fuse_opt hands them to us without copying, and opt_parse_source needs the password. */
	int r = argv_secrets(argc, argv, t, false);
	if (r < 0) {
		opt_argv_secrets_free(t);
		opt_wipe_argv(argc, argv);
	}
	return r;
}

void opt_argv_secrets_free(struct argv_secrets *t)
{
	replace(&t->password, NULL);
	replace(&t->user_password, NULL);
}

void opt_wipe_argv(int argc, char *argv[])
{
	argv_secrets(argc, argv, NULL, true);
}

/* ---- environment ---- */

int opt_from_environment(struct opts *o)
{
	char *pw = getenv("PASSWD");
	if (pw) {
		if (!o->password && !(o->password = secret_strdup(pw)))
			return -ENOMEM;
		/* The bytes in the environment block are what /proc/PID/environ shows; unsetenv only drops the
		 * pointer to them. */
		explicit_bzero(pw, strlen(pw));
		unsetenv("PASSWD");
	}
	const char *user = getenv("USER");
	bool krb5 = o->sec && strncmp(o->sec, "krb5", 4) == 0; /* USER names no Kerberos principal */
	if (!o->user && !o->guest && !krb5 && user && *user && !(o->user = strdup(user)))
		return -ENOMEM;
	return 0;
}

/* ---- credentials file ---- */

/* The value of "key=value" when key is one of names (a NULL-terminated list), else NULL. */
static const char *cred_value(const char *line, const char *const *names)
{
	for (; *names; names++) {
		size_t n = strlen(*names);
		if (strncmp(line, *names, n) == 0 && line[n] == '=')
			return line + n + 1;
	}
	return NULL;
}

/* Parse the file's bytes (NUL-terminated, in secret memory) line by line; the buffer is modified. */
static int parse_credentials(struct opts *o, char *buf)
{
	static const char *const user_keys[] = {"username", "user", NULL};
	static const char *const pass_keys[] = {"password", "pass", NULL};
	static const char *const dom_keys[] = {"domain", "dom", "workgroup", NULL};
	const char *user = NULL, *pass = NULL, *dom = NULL;
	for (char *line = buf, *next; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		size_t n = strlen(line);
		while (n && line[n - 1] == '\r')
			line[--n] = 0;
		const char *p = line + strspn(line, " \t"), *v;
		if ((v = cred_value(p, user_keys)))
			user = v;
		else if ((v = cred_value(p, pass_keys)))
			pass = v;
		else if ((v = cred_value(p, dom_keys)))
			dom = v;
	}
	if (!o->user && user && !(o->user = strdup(user)))
		return -ENOMEM;
	if (!o->password && pass && !(o->password = secret_strdup(pass)))
		return -ENOMEM;
	if (!o->domain && dom && !(o->domain = strdup(dom)))
		return -ENOMEM;
	return 0;
}

int opt_read_credentials(struct opts *o, const char *path, char *err, size_t errlen)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return opt_fail(err, errlen, -errno, "cannot open credentials file %s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return opt_fail(err, errlen, -EINVAL, "credentials file %s is not a regular file", path);
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		close(fd);
		return opt_fail(err, errlen, -EPERM, "credentials file %s is accessible by group or others; run: chmod 600 %s",
			    path, path);
	}
	if (st.st_size > CRED_FILE_MAX) {
		close(fd);
		return opt_fail(err, errlen, -EFBIG, "credentials file %s is larger than 64 KiB", path);
	}
	char *buf = secret_alloc(CRED_FILE_MAX + 1);
	size_t n = 0;
	int r = buf ? 0 : -ENOMEM;
	while (r == 0 && n < CRED_FILE_MAX) {
		ssize_t k = read(fd, buf + n, CRED_FILE_MAX - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			r = opt_fail(err, errlen, -errno, "cannot read credentials file %s: %s", path, strerror(errno));
		if (k <= 0)
			break;
		n += (size_t)k;
	}
	close(fd);
	if (r == 0)
		r = parse_credentials(o, buf);
	secret_free(buf);
	return r;
}

/* ---- the hash ---- */

int opt_hash_password(struct opts *o, char *err, size_t errlen)
{
	if (o->guest || o->nt_hash || o->krb5) { /* Kerberos needs no password: the ticket is the secret */
		replace(&o->password, NULL);
		return 0;
	}
	o->nt_hash = secret_alloc(16);
	int r = o->nt_hash ? ntlm_nt_hash(o->password ? o->password : "", o->nt_hash) : -ENOMEM;
	replace(&o->password, NULL);
	if (r == -EILSEQ)
		return opt_fail(err, errlen, r, "the password is not valid UTF-8");
	return r;
}
