/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * opts.c - command line and credentials for smbfuse (contract: include/smbfuse/opts.h).
 *
 * Option names follow mount.cifs so fstab lines carry over; the table, with the --help text, is in
 * opts_table.c. fuse_opt_parse does the splitting (it honours '\' escapes inside -o lists); every value is
 * taken as a string and converted here, so a bad value gets our own one-line message instead of libfuse's. fstab noise is accepted and dropped explicitly: the
 * kernel once broke fstab mounts by dropping "auto" from its table (DESIGN.md B3, cli).
 */
#include <ctype.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <sys/stat.h>
#include <unistd.h>

#include "smbfuse/auth.h"
#include "smbfuse/namemap.h"
#include "smbfuse/opts.h"
#include "smbfuse/secret.h"
#include "opts_i.h"

int opt_fail(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;
	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

static int unknown_opt(struct opts *o, const char *arg)
{
	/* An empty item ("a,,b", or a unit's empty ${OPTIONS} after a comma) means nothing. */
	if (!*arg || strncmp(arg, "x-", 2) == 0)
		return 0;
	for (size_t i = 0; i < opt_nrefused; i++) {
		const char *n = opt_refused[i].name;
		size_t len = strlen(n);
		if (n[len - 1] == '=' ? strncmp(arg, n, len) == 0 : strcmp(arg, n) == 0)
			return opt_fail(o->err, o->errlen, -1, "mount option '%s' is not supported: %s", arg,
				    opt_refused[i].why);
	}
	if (arg[0] == '-')
		return opt_fail(o->err, o->errlen, -1, "unknown option '%s'", arg);
	/* Name the option but never echo its value: a misspelt "pasword=" would print the password. */
	int n = (int)strcspn(arg, "=");
	if (o->sloppy) {
		fprintf(stderr, "smbfuse: warning: ignoring unknown mount option '%.*s'\n", n, arg);
		return 0;
	}
	return opt_fail(o->err, o->errlen, -1, "unknown mount option '%.*s'", n, arg);
}

static int opt_proc(void *data, const char *arg, int key, struct fuse_args *outargs)
{
	struct opts *o = data;

	switch (key) {
	case FUSE_OPT_KEY_NONOPT:
		if (!o->source)
			return (o->source = strdup(arg)) ? 0 : -1;
		if (!o->mountpoint)
			return (o->mountpoint = strdup(arg)) ? 0 : -1;
		return opt_fail(o->err, o->errlen, -1, "unexpected argument '%s'", arg);
	case KEY_FOREGROUND:
		o->foreground = 1;
		return 0;
	case KEY_DEBUG:
		o->debug = 1;
		o->foreground = 1;
		return 0;
	case KEY_HELP:
		o->show_help = 1;
		return 0;
	case KEY_VERSION:
		o->show_version = 1;
		return 0;
	case KEY_IGNORE:
		return 0;
	case KEY_FUSE:
		return 1;
	case KEY_IOCHARSET:
		/* Names are always UTF-8 on our side; any other charset would be silently wrong. */
		if (strcasecmp(arg + 10, "utf8") == 0 || strcasecmp(arg + 10, "utf-8") == 0)
			return 0;
		return opt_fail(o->err, o->errlen, -1, "%s: smbfuse always uses UTF-8 (iocharset=utf8)", arg);
	case KEY_PERM:
		/* mount.cifs "perm": the client checks mode bits, which is FUSE's default_permissions. */
		return fuse_opt_add_arg(outargs, "-odefault_permissions") < 0 ? -1 : 0;
	case FUSE_OPT_KEY_OPT:
		return unknown_opt(o, arg);
	}
	return opt_fail(o->err, o->errlen, -1, "cannot parse '%s'", arg);
}

/* Decode %XX escapes (when decode) of n bytes of s into out, which has room for n + 1. */
static int parse_id(const char *s, bool is_uid, unsigned *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (*s && !*end && !errno && v < UINT_MAX) {
		*out = (unsigned)v;
		return 0;
	}
	if (is_uid) {
		struct passwd *pw = getpwnam(s);
		if (pw) {
			*out = pw->pw_uid;
			return 0;
		}
	} else {
		struct group *gr = getgrnam(s);
		if (gr) {
			*out = gr->gr_gid;
			return 0;
		}
	}
	return -EINVAL;
}

static int parse_ulong(const char *s, int base, unsigned long max, unsigned long *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, base);
	if (!*s || *end || errno || v > max || *s == '-')
		return -EINVAL;
	*out = v;
	return 0;
}

static int convert_netbios(struct opts *o, char *err, size_t errlen);

static int convert_numbers(struct opts *o, char *err, size_t errlen)
{
	unsigned long v;
	unsigned id;

	if (o->port_s) {
		if (parse_ulong(o->port_s, 10, 65535, &v) < 0 || v == 0)
			return opt_fail(err, errlen, -EINVAL, "bad port=%s", o->port_s);
		o->port = (uint16_t)v;
	}
	if (o->uid_s) {
		if (parse_id(o->uid_s, true, &id) < 0)
			return opt_fail(err, errlen, -EINVAL, "bad uid=%s (not a number or a user name)", o->uid_s);
		o->fs.uid = id;
	}
	if (o->gid_s) {
		if (parse_id(o->gid_s, false, &id) < 0)
			return opt_fail(err, errlen, -EINVAL, "bad gid=%s (not a number or a group name)", o->gid_s);
		o->fs.gid = id;
	}
	if (o->file_mode_s) {
		if (parse_ulong(o->file_mode_s, 8, 07777, &v) < 0)
			return opt_fail(err, errlen, -EINVAL, "bad file_mode=%s (octal, e.g. 0644)", o->file_mode_s);
		o->fs.file_mode = (mode_t)v;
	}
	if (o->dir_mode_s) {
		if (parse_ulong(o->dir_mode_s, 8, 07777, &v) < 0)
			return opt_fail(err, errlen, -EINVAL, "bad dir_mode=%s (octal, e.g. 0755)", o->dir_mode_s);
		o->fs.dir_mode = (mode_t)v;
	}
	if (o->actimeo_s) {
		char *end;
		double t = strtod(o->actimeo_s, &end);
		if (!*o->actimeo_s || *end || !(t >= 0 && t <= 86400 * 365))
			return opt_fail(err, errlen, -EINVAL, "bad actimeo=%s (seconds)", o->actimeo_s);
		o->fs.attr_timeout = o->fs.entry_timeout = t;
	}
	if (o->timeout_s) {
		if (parse_ulong(o->timeout_s, 10, 3600, &v) < 0 || v == 0)
			return opt_fail(err, errlen, -EINVAL, "bad timeout=%s (seconds, 1 to 3600)", o->timeout_s);
		o->connect_timeout_ms = (int)v * 1000;
	}
	if (o->echo_interval_s) {
		/* mount.cifs allows 1 to 600 seconds */
		if (parse_ulong(o->echo_interval_s, 10, 600, &v) < 0 || v == 0)
			return opt_fail(err, errlen, -EINVAL, "bad echo_interval=%s (seconds, 1 to 600)",
				    o->echo_interval_s);
		o->echo_interval_ms = (int)v * 1000;
	}
	if (o->dfsttl_s) {
		if (parse_ulong(o->dfsttl_s, 10, 86400, &v) < 0 || v < 5)
			return opt_fail(err, errlen, -EINVAL, "bad dfsttl=%s (seconds, 5 to 86400)", o->dfsttl_s);
		o->dfs_ttl_max = (unsigned)v;
	}
	return convert_netbios(o, err, errlen);
}

/* servern=, netbiosname= (at most 15 bytes, RFC 1001 14) and nbns=IPV4[:PORT]. */
static int convert_netbios(struct opts *o, char *err, size_t errlen)
{
	unsigned long v;
	if (o->servern && (!*o->servern || strlen(o->servern) > 15))
		return opt_fail(err, errlen, -EINVAL, "bad servern=%s (a NetBIOS name of 1 to 15 characters)", o->servern);
	if (o->netbiosname && (!*o->netbiosname || strlen(o->netbiosname) > 15))
		return opt_fail(err, errlen, -EINVAL, "bad netbiosname=%s (a NetBIOS name of 1 to 15 characters)",
			    o->netbiosname);
	if (!o->nbns_s)
		return 0;
	o->nbns_addr = strdup(o->nbns_s);
	if (!o->nbns_addr)
		return opt_fail(err, errlen, -ENOMEM, "out of memory");
	char *colon = strchr(o->nbns_addr, ':');
	if (colon) {
		*colon = 0;
		if (parse_ulong(colon + 1, 10, 65535, &v) < 0 || v == 0)
			return opt_fail(err, errlen, -EINVAL, "bad nbns=%s (IPV4[:PORT])", o->nbns_s);
		o->nbns_port = (uint16_t)v;
	}
	struct in_addr a;
	if (inet_pton(AF_INET, o->nbns_addr, &a) != 1)
		return opt_fail(err, errlen, -EINVAL, "bad nbns=%s (an IPv4 address of a NetBIOS name server)", o->nbns_s);
	return 0;
}

static int convert_modes(struct opts *o, char *err, size_t errlen)
{
	if (o->vers) {
		int r = opt_parse_vers(o->vers, &o->min_dialect, &o->max_dialect);
		if (r < 0)
			return opt_fail(err, errlen, r, "unknown vers=%s (use 1.0, 2.0, 2.1, 3, 3.0, 3.02, 3.1.1 or default)",
				    o->vers);
	}
	if (o->cache_s) {
		if (strcmp(o->cache_s, "strict") == 0)
			o->fs.cache = FS_CACHE_STRICT;
		else if (strcmp(o->cache_s, "loose") == 0)
			o->fs.cache = FS_CACHE_LOOSE;
		else if (strcmp(o->cache_s, "none") == 0)
			o->fs.cache = FS_CACHE_NONE;
		else
			return opt_fail(err, errlen, -EINVAL, "unknown cache=%s (use strict, loose or none)", o->cache_s);
	}
	if (o->fs.cache == FS_CACHE_NONE)
		o->fs.attr_timeout = o->fs.entry_timeout = 0;
	o->fs.ro = o->ro;
	o->fs.writeback = o->writeback;
	return 0;
}

/* sec=krb5, krb5i: Kerberos only. cruid= picks another user's cache for a root mount, keytab= a client
 * keytab; the password options mean nothing then, and USER is not a principal (opt_from_environment). */
static int convert_krb5(struct opts *o, char *err, size_t errlen)
{
	if (!auth_krb5_available())
		return opt_fail(err, errlen, -EOPNOTSUPP, "sec=%s: smbfuse was built without Kerberos (libkrb5-dev)", o->sec);
	if (o->guest)
		return opt_fail(err, errlen, -EINVAL, "sec=%s and guest: a guest has no Kerberos ticket", o->sec);
	if (o->cruid_s && o->keytab)
		return opt_fail(err, errlen, -EINVAL, "cruid= and keytab= exclude each other (a cache or a keytab)");
	o->krb5 = 1;
	o->sign |= o->sec[4] == 'i';
	if (o->cruid_s) {
		char *end, name[4096];
		errno = 0;
		unsigned long uid = strtoul(o->cruid_s, &end, 10);
		if (!*o->cruid_s || *end || errno || uid > 0xfffffffeul || o->cruid_s[0] == '-')
			return opt_fail(err, errlen, -EINVAL, "bad cruid=%s (a numeric uid)", o->cruid_s);
		int r = auth_krb5_ccache_for_uid((unsigned)uid, name, sizeof(name));
		if (r == -ENOENT)
			return opt_fail(err, errlen, -ENOKEY, "cruid=%lu: no Kerberos credential cache %s: run kinit as that user",
				    uid, name);
		if (r < 0)
			return opt_fail(err, errlen, r, "cruid=%lu: cannot name that user's credential cache: %s", uid,
				    strerror(-r));
		if (!(o->krb5_ccache = strdup(name)))
			return -ENOMEM;
	}
	return 0;
}

/* sec= of mount.cifs: NTLMSSP (NTLMv2) and Kerberos; the "i" forms also require signing. */
static int convert_sec(struct opts *o, char *err, size_t errlen)
{
	const char *s = o->sec;
	if ((o->cruid_s || o->keytab) && (!s || strncmp(s, "krb5", 4) != 0))
		return opt_fail(err, errlen, -EINVAL, "%s is for Kerberos: add sec=krb5", o->cruid_s ? "cruid=" : "keytab=");
	if (!s || strcmp(s, "ntlmssp") == 0 || strcmp(s, "ntlmv2") == 0)
		return 0;
	if (strcmp(s, "ntlmsspi") == 0 || strcmp(s, "ntlmv2i") == 0) {
		o->sign = 1;
		return 0;
	}
	if (strcmp(s, "none") == 0) {
		o->guest = 1;
		return 0;
	}
	if (strcmp(s, "krb5") == 0 || strcmp(s, "krb5i") == 0)
		return convert_krb5(o, err, errlen);
	if (strncmp(s, "krb5", 4) == 0)
		return opt_fail(err, errlen, -EINVAL, "unknown sec=%s (use krb5 or krb5i)", s);
	/* NTLMv1 is broken enough that SMB2 servers refuse it; it is offered for old SMB1 servers only, and
	 * never chosen without being asked for. Runs after convert_modes, so vers= is known. */
	if (strcmp(s, "ntlm") == 0 || strcmp(s, "ntlmi") == 0) {
		if (o->min_dialect != SMB_DIALECT_SMB1)
			return opt_fail(err, errlen, -EOPNOTSUPP, "sec=%s: NTLMv1 logons are offered only with vers=1.0 (SMB1)",
				    s);
		o->ntlmv1 = 1;
		o->sign |= s[4] == 'i';
		return 0;
	}
	if (strcmp(s, "lanman") == 0)
		return opt_fail(err, errlen, -EOPNOTSUPP, "sec=lanman: LANMAN logons are not supported");
	return opt_fail(err, errlen, -EINVAL, "unknown sec=%s (use ntlmssp, ntlmsspi, ntlmv2, ntlmv2i, krb5, krb5i or none)", s);
}

/* mount.cifs options that map onto smbfuse behaviour, and the ones it must refuse rather than fake. */
/* ciphers=A:B:...: the SMB 3.1.1 encryption algorithms to offer, in that order (':' since ',' separates
 * options), named as smbstatus and Samba's "smb3 encryption algorithms" name them. */
static int convert_ciphers(struct opts *o, char *err, size_t errlen)
{
	static const char *const names[] = {"aes-128-ccm", "aes-128-gcm", "aes-256-ccm", "aes-256-gcm"};
	char *copy = strdup(o->ciphers_s), *save = NULL;
	if (!copy)
		return -ENOMEM;
	o->nciphers = 0;
	for (char *t = strtok_r(copy, ":", &save); t; t = strtok_r(NULL, ":", &save)) {
		uint16_t id = 0;
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strcasecmp(t, names[i]) == 0)
				id = (uint16_t)(i + 1); /* MS-SMB2 2.2.3.1.2 ids follow this order */
		for (int i = 0; i < o->nciphers; i++)
			if (o->ciphers[i] == id)
				id = 0; /* named twice */
		if (!id || o->nciphers == 4) {
			free(copy);
			return opt_fail(err, errlen, -EINVAL, "bad ciphers=%s (':'-separated, each once: aes-128-gcm, "
				    "aes-128-ccm, aes-256-gcm, aes-256-ccm)", o->ciphers_s);
		}
		o->ciphers[o->nciphers++] = id;
	}
	free(copy);
	if (!o->nciphers)
		return opt_fail(err, errlen, -EINVAL, "empty ciphers=");
	return 0;
}

static int convert_compat(struct opts *o, char *err, size_t errlen)
{
	struct {
		const char *name;
		const char *s;
		uint32_t *v;
	} sizes[] = {{"rsize", o->rsize_s, &o->rsize}, {"wsize", o->wsize_s, &o->wsize}};
	unsigned long v;

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		if (!sizes[i].s)
			continue;
		/* Below 4 KiB nothing useful is left; above 16 MiB no server offers more. */
		if (parse_ulong(sizes[i].s, 10, 16u << 20, &v) < 0 || v < 4096)
			return opt_fail(err, errlen, -EINVAL, "bad %s=%s (bytes, 4096 to 16777216)", sizes[i].name,
				    sizes[i].s);
		*sizes[i].v = (uint32_t)v;
	}
	if (o->rasize_s) {
		if (parse_ulong(o->rasize_s, 10, FS_RASIZE_MAX, &v) < 0)
			return opt_fail(err, errlen, -EINVAL, "bad rasize=%s (bytes, 0 to %u)", o->rasize_s,
					FS_RASIZE_MAX);
		/* Read ahead in whole READs of 1 MiB, the size the kernel asks for (src/fs/ra.c). */
		o->fs.rasize = (unsigned)(v & ~((1ul << 20) - 1));
	}
	if (o->addr && !*o->addr)
		return opt_fail(err, errlen, -EINVAL, "empty ip= (the server's address)");
	int rc = o->ciphers_s ? convert_ciphers(o, err, errlen) : 0;
	if (rc < 0)
		return rc;
	if (o->snapshot_s) {
		if (opt_parse_snapshot(o->snapshot_s, &o->snapshot) < 0)
			return opt_fail(err, errlen, -EINVAL,
					"bad snapshot=%s (@GMT-YYYY.MM.DD-HH.MM.SS, or 100 ns units since 1601)",
					o->snapshot_s);
		o->ro = 1; /* a previous version cannot be changed (MS-SMB2 3.3.5.9.7) */
	}
	o->fs.noserverino = o->noserverino;
	o->fs.no_create_intent = o->nocreate_intent;
	return convert_sec(o, err, errlen);
}

/* "DOMAIN\user", "DOMAIN/user" and "user%password" as mount.cifs accepts them in username=. The password
 * of a -o username= was taken from argv (t) before fuse_opt saw it; o->user holds x's in its place. */
static int split_username(struct opts *o, struct argv_secrets *t)
{
	char *sep, *pct;
	int r;
	if (!o->user)
		return 0;
	if ((pct = strchr(o->user, '%'))) {
		if (!o->password && t->user_password) {
			o->password = t->user_password;
			t->user_password = NULL;
		} else if (!o->password && (r = opt_set_secret(&o->password, pct + 1, strlen(pct + 1), false)) < 0) {
			return r;
		}
		explicit_bzero(pct, strlen(pct));
	}
	if ((sep = strpbrk(o->user, "\\/"))) {
		if (!o->domain && (r = opt_set_str(&o->domain, o->user, (size_t)(sep - o->user), false)) < 0)
			return r;
		memmove(o->user, sep + 1, strlen(sep + 1) + 1);
	}
	return 0;
}

static int add_fsname(struct opts *o)
{
	/* fuse_opt splits -o lists at ',', so escape it (and '\') in the name shown by mount(8). */
	const char *prefix = "-osubtype=smbfuse,fsname=";
	size_t n = strlen(o->host) + strlen(o->share) + (o->subdir ? strlen(o->subdir) : 0) + 8;
	char *name = malloc(n), *arg = malloc(strlen(prefix) + 2 * n + 1);
	int r = -ENOMEM;
	if (name && arg) {
		snprintf(name, n, "//%s/%s%s%s", o->host, o->share, o->subdir ? "/" : "", o->subdir ? o->subdir : "");
		char *p = stpcpy(arg, prefix);
		for (const char *s = name; *s; s++) {
			if (*s == ',' || *s == '\\')
				*p++ = '\\';
			*p++ = *s;
		}
		*p = 0;
		r = fuse_opt_add_arg(&o->fuse_args, arg) < 0 ? -ENOMEM : 0;
	}
	free(name);
	free(arg);
	return r;
}

static void set_defaults(struct opts *o)
{
	/* mount.cifs defaults: both modes 0755 (cifs fs_context.c), owner is the mounting user. */
	o->fs.uid = getuid();
	o->fs.gid = getgid();
	o->forceuid = o->forcegid = -1; /* unset: uid= and gid= imply them (as in the kernel since 5.x) */
	o->fs.file_mode = 0755;
	o->fs.dir_mode = 0755;
	o->fs.attr_timeout = o->fs.entry_timeout = 1.0;
	o->fs.rasize = FS_RASIZE_DEFAULT;
	o->fs.cache = FS_CACHE_STRICT;
}

static int finish(struct opts *o, struct argv_secrets *t, char *err, size_t errlen)
{
	int r;
	if (!o->source)
		return opt_fail(err, errlen, -EINVAL, o->list ? "no server given (expected --list //server)"
							  : "no source given (expected //server/share MOUNTPOINT)");
	if (!o->mountpoint && !o->list)
		return opt_fail(err, errlen, -EINVAL, "no mount point given");
	if (o->mountpoint && o->list)
		return opt_fail(err, errlen, -EINVAL, "--list takes a server (//server), not a mount point");
	r = opt_parse_source(o, o->source, err, errlen);
	opt_wipe_url(o->source); /* our copy of argv's; argv itself is wiped by opt_parse */
	if (r < 0)
		return r;
	if ((r = convert_numbers(o, err, errlen)) < 0 || (r = convert_modes(o, err, errlen)) < 0 ||
	    (r = convert_compat(o, err, errlen)) < 0)
		return r;
	if ((r = split_username(o, t)) < 0)
		return r;
	if (o->credentials && (r = opt_read_credentials(o, o->credentials, err, errlen)) < 0)
		return r;
	if ((r = opt_from_environment(o)) < 0)
		return r;
	/* Owners from the server (POSIX extensions) are shown unless uid=/gid= or forceuid/forcegid say. */
	o->fs.force_uid = o->forceuid == 1 || (o->forceuid < 0 && o->uid_s);
	o->fs.force_gid = o->forcegid == 1 || (o->forcegid < 0 && o->gid_s);
	o->fs.noperm = o->noperm;
	o->fs.no_xattr = o->nouser_xattr == 1;
	if (o->ro && fuse_opt_add_arg(&o->fuse_args, "-oro") < 0)
		return -ENOMEM;
	if (o->debug && fuse_opt_add_arg(&o->fuse_args, "-odebug") < 0)
		return -ENOMEM;
	return o->list ? 0 : add_fsname(o);
}

int opt_parse(struct opts *o, int argc, char *argv[], char *err, size_t errlen)
{
	struct fuse_args in = FUSE_ARGS_INIT(argc, argv);
	struct argv_secrets t;
	int r;

	memset(o, 0, sizeof(*o));
	set_defaults(o);
	o->err = err;
	o->errlen = errlen;
	if (err && errlen)
		err[0] = 0;
	if (opt_take_argv_secrets(argc, argv, &t) < 0)
		return opt_fail(err, errlen, -ENOMEM, "out of memory");
	r = fuse_opt_parse(&in, o, opt_fuse_table(), opt_proc);
	/* fuse_opt_parse copied what it kept; wipe argv (the URLs) before anything else can fail. */
	opt_wipe_argv(argc, argv);
	/* fuse_opt stored the x's that replaced a password= value; the value itself is in t. */
	if (o->password) {
		free(o->password);
		o->password = t.password;
		t.password = NULL;
	}
	if (r < 0) {
		opt_argv_secrets_free(&t);
		fuse_opt_free_args(&in);
		if (err && errlen && !err[0])
			opt_fail(err, errlen, 0, "bad command line");
		return -EINVAL;
	}
	o->fuse_args = in; /* argv[0] and the KEY_FUSE options */
	if (o->show_help || o->show_version) {
		opt_argv_secrets_free(&t);
		return 0;
	}
	r = finish(o, &t, err, errlen);
	opt_argv_secrets_free(&t);
	if (r == -ENOMEM)
		opt_fail(err, errlen, r, "out of memory");
	return r;
}

void opt_free(struct opts *o)
{
	char **strs[] = {&o->source,	  &o->mountpoint, &o->user,  &o->domain,    &o->credentials, &o->port_s,
			 &o->uid_s,	  &o->gid_s,	  &o->vers,  &o->actimeo_s, &o->rasize_s, &o->cache_s,     &o->timeout_s,
			 &o->file_mode_s, &o->host,	  &o->share, &o->subdir,    &o->dir_mode_s, &o->echo_interval_s,
			 &o->rsize_s,	  &o->wsize_s,	  &o->addr,  &o->sec,	    &o->netbiosname, &o->servern,
			 &o->nbns_s,	  &o->nbns_addr,  &o->snapshot_s, &o->ciphers_s,
			 &o->cruid_s,	  &o->keytab,	  &o->krb5_ccache, &o->dfsttl_s};
	secret_free(o->password);
	secret_free(o->nt_hash);
	o->password = NULL;
	o->nt_hash = NULL;
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		free(*strs[i]);
		*strs[i] = NULL;
	}
	fuse_opt_free_args(&o->fuse_args);
}

void opt_client_cfg(const struct opts *o, struct smb_client_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->host = o->host;
	cfg->port = o->port;
	cfg->share = o->share;
	cfg->subdir = o->subdir;
	cfg->user = o->guest ? NULL : o->user;
	cfg->nt_hash = o->guest ? NULL : o->nt_hash;
	cfg->domain = o->domain;
	cfg->guest = o->guest;
	cfg->sign = o->sign;
	cfg->min_dialect = o->min_dialect;
	cfg->max_dialect = o->max_dialect;
	cfg->ntlmv1 = o->ntlmv1;
	cfg->connect_timeout_ms = o->connect_timeout_ms;
	cfg->echo_interval_ms = o->echo_interval_ms;
	cfg->hard = o->hard;
	cfg->seal = o->seal;
	cfg->no_leases = o->fs.cache == FS_CACHE_NONE;
	cfg->mfsymlinks = o->mfsymlinks;
	cfg->addr = o->addr;
	cfg->name_map = !o->nomapposix ? NAME_MAP_SFM : o->mapchars ? NAME_MAP_SFU : NAME_MAP_NONE;
	cfg->rsize = o->rsize;
	cfg->wsize = o->wsize;
	cfg->netbios = o->netbios;
	cfg->netbios_called = o->servern;
	cfg->netbios_calling = o->netbiosname;
	cfg->nbns = o->nbns_addr;
	cfg->nbns_port = o->nbns_port;
	cfg->noposix = o->noposix;
	cfg->nodfs = o->nodfs;
	cfg->browse_hidden = o->browse_hidden;
	cfg->dfs_ttl_max = o->dfs_ttl_max;
	cfg->snapshot = o->snapshot;
	memcpy(cfg->ciphers, o->ciphers, sizeof(cfg->ciphers));
	cfg->nciphers = o->nciphers;
	cfg->krb5 = o->krb5;
	cfg->krb5_ccache = o->krb5_ccache;
	cfg->krb5_keytab = o->keytab;
	if (o->krb5) /* Kerberos: the principal is the cache's; only a keytab mount names one */
		cfg->user = o->keytab ? o->user : NULL;
}
