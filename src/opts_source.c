/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * opts_source.c - the share a mount names: //[user[:password]@]host[:port]/share[/subdir] (smb:// URLs
 * percent-decoded), and vers=. The option table and the conversions are opts.c's.
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "smbfuse/opts.h"
#include "smbfuse/secret.h"
#include "opts_i.h"

static void pct_decode_into(const char *s, size_t n, bool decode, char *out)
{
	char *p = out;
	for (size_t i = 0; i < n; i++) {
		if (decode && s[i] == '%' && i + 2 < n && isxdigit((unsigned char)s[i + 1]) &&
		    isxdigit((unsigned char)s[i + 2])) {
			char hex[3] = {s[i + 1], s[i + 2], 0};
			*p++ = (char)strtol(hex, NULL, 16);
			i += 2;
		} else {
			*p++ = s[i];
		}
	}
	*p = 0;
}

/* Decode %XX escapes of a URL component into a new string. */
static char *pct_decode(const char *s, size_t n)
{
	char *out = malloc(n + 1);
	if (out)
		pct_decode_into(s, n, true, out);
	return out;
}

int opt_set_str(char **dst, const char *s, size_t n, bool decode)
{
	free(*dst);
	*dst = decode ? pct_decode(s, n) : strndup(s, n);
	return *dst ? 0 : -ENOMEM;
}

/* The same for o->password, which lives in secret memory (its decoded form is never on the heap). */
int opt_set_secret(char **dst, const char *s, size_t n, bool decode)
{
	secret_free(*dst);
	*dst = secret_alloc(n + 1);
	if (*dst)
		pct_decode_into(s, n, decode, *dst);
	return *dst ? 0 : -ENOMEM;
}

/* "server/share/sub/dir" (separators already '/') into host, share, subdir. */
static int split_unc(struct opts *o, const char *p, bool decode, char *err, size_t errlen)
{
	const char *host_end, *share, *share_end;
	int r;

	if (*p == '[') {
		host_end = strchr(p, ']');
		if (!host_end)
			return opt_fail(err, errlen, -EINVAL, "unterminated '[' in server address");
		if ((r = opt_set_str(&o->host, p + 1, (size_t)(host_end - p - 1), false)) < 0)
			return r;
		host_end++;
	} else {
		host_end = p + strcspn(p, "/:");
		if ((r = opt_set_str(&o->host, p, (size_t)(host_end - p), decode)) < 0)
			return r;
	}
	if (*host_end == ':') {
		char *end;
		unsigned long port = strtoul(host_end + 1, &end, 10);
		if (end == host_end + 1 || port == 0 || port > 65535 || (*end && *end != '/'))
			return opt_fail(err, errlen, -EINVAL, "bad port in source");
		o->port = (uint16_t)port;
		host_end = end;
	}
	if (!*o->host)
		return opt_fail(err, errlen, -EINVAL, "no server name in source");
	share = host_end + strspn(host_end, "/");
	share_end = share + strcspn(share, "/");
	if (share == share_end && o->list)
		return 0; /* --list //server */
	if (share == share_end) /* //server: the browse mount, its shares as directories */
		return opt_set_str(&o->share, "", 0, false);
	if ((r = opt_set_str(&o->share, share, (size_t)(share_end - share), decode)) < 0)
		return r;

	/* Normalise the subdirectory: no empty components, no leading or trailing '/'. */
	free(o->subdir);
	o->subdir = NULL;
	const char *s = share_end;
	char *sub = calloc(1, strlen(s) + 1);
	if (!sub)
		return -ENOMEM;
	while (*s) {
		s += strspn(s, "/");
		size_t n = strcspn(s, "/");
		if (!n)
			break;
		char *comp = decode ? pct_decode(s, n) : strndup(s, n);
		if (!comp) {
			free(sub);
			return -ENOMEM;
		}
		if (strcmp(comp, ".") == 0 || strcmp(comp, "..") == 0) {
			free(comp);
			free(sub);
			return opt_fail(err, errlen, -EINVAL, "'.' or '..' in source path");
		}
		if (*sub)
			strcat(sub, "/");
		strcat(sub, comp);
		free(comp);
		s += n;
	}
	if (*sub)
		o->subdir = sub;
	else
		free(sub);
	return 0;
}

/* "[domain;]user[:password]" of an smb:// URL; explicit -o values win. */
static int parse_userinfo(struct opts *o, const char *ui, size_t n)
{
	const char *semi = memchr(ui, ';', n), *user = ui;
	int r;
	if (semi) {
		if (!o->domain && (r = opt_set_str(&o->domain, ui, (size_t)(semi - ui), true)) < 0)
			return r;
		user = semi + 1;
	}
	size_t un = n - (size_t)(user - ui);
	const char *colon = memchr(user, ':', un);
	if (colon) {
		if (!o->password && (r = opt_set_secret(&o->password, colon + 1, un - (size_t)(colon + 1 - user), true)) < 0)
			return r;
		un = (size_t)(colon - user);
	}
	if (!o->user && un && (r = opt_set_str(&o->user, user, un, true)) < 0)
		return r;
	return 0;
}

int opt_parse_source(struct opts *o, const char *src, char *err, size_t errlen)
{
	if (strncmp(src, "smb://", 6) == 0) {
		const char *rest = src + 6, *slash = rest + strcspn(rest, "/");
		const char *at = memrchr(rest, '@', (size_t)(slash - rest));
		int r;
		if (at) {
			if ((r = parse_userinfo(o, rest, (size_t)(at - rest))) < 0)
				return r;
			rest = at + 1;
		}
		return split_unc(o, rest, true, err, errlen);
	}
	if ((src[0] == '/' && src[1] == '/') || (src[0] == '\\' && src[1] == '\\')) {
		char *copy = strdup(src + 2);
		if (!copy)
			return -ENOMEM;
		for (char *p = copy; *p; p++)
			if (*p == '\\')
				*p = '/';
		int r = strchr(copy, ':') && copy[0] != '[' && strchr(copy, ':') < copy + strcspn(copy, "/")
			    ? opt_fail(err, errlen, -EINVAL, "use port= (or an smb:// URL) to give a port")
			    : split_unc(o, copy, false, err, errlen);
		free(copy);
		return r;
	}
	return opt_fail(err, errlen, -EINVAL, "bad source '%s' (expected //server/share[/path] or smb://server/share)",
		    src);
}

int opt_parse_vers(const char *vers, uint16_t *min_dialect, uint16_t *max_dialect)
{
	static const struct {
		const char *name;
		uint16_t min, max;
	} table[] = {
	    {"2.0", 0x0202, 0x0202},  {"2.02", 0x0202, 0x0202}, {"2.1", 0x0210, 0x0210},   {"3", 0x0300, 0},
	    {"3.0", 0x0300, 0x0300},  {"3.02", 0x0302, 0x0302}, {"3.0.2", 0x0302, 0x0302}, {"3.1.1", 0x0311, 0x0311},
	    {"3.11", 0x0311, 0x0311}, {"default", 0, 0},
	};
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		if (strcmp(vers, table[i].name) == 0) {
			*min_dialect = table[i].min;
			*max_dialect = table[i].max;
			return 0;
		}
	}
	if (strcmp(vers, "1.0") == 0 || strcmp(vers, "1") == 0) {
		*min_dialect = *max_dialect = SMB_DIALECT_SMB1;
		return 0;
	}
	return -EINVAL;
}

