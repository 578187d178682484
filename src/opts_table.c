/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * opts_table.c - every option smbfuse accepts, with its --help text: one table from which the parser's
 * fuse_opt table and the --help text are both made, so the two cannot drift apart. tests/unit/fs/test_opts.c
 * checks that every name in it is also in the man pages (doc/smbfuse.8.scd, doc/mount.smbfuse.8.scd).
 */
#include <stdio.h>
#include <string.h>

#include "smbfuse/opts.h"
#include "opts_i.h"

#define OPT(t, f, v, a, h) {{t, offsetof(struct opts, f), v}, a, h}
#define KEY(t, k, a, h) {FUSE_OPT_KEY(t, k), a, h}
/* An alias, or a second field set by the same name: listed on the line of the entry before it. */
#define ALIAS(t, f, v) OPT(t, f, v, NULL, NULL)
#define ALIAS_KEY(t, k) KEY(t, k, NULL, NULL)
#define HEAD(h) {{NULL, 0, 0}, NULL, h}

const struct opt_spec opt_specs[] = {
    HEAD("logon"),
    OPT("username=%s", user, 0, "NAME", "user to log on as; DOMAIN\\user and user%pass too (default: USER)"),
    ALIAS("user=%s", user, 0),
    OPT("password=%s", password, 0, "PASS", "password (better: the PASSWD variable or credentials=)"),
    ALIAS("pass=%s", password, 0),
    OPT("domain=%s", domain, 0, "NAME", "domain or workgroup of the user"),
    ALIAS("dom=%s", domain, 0),
    ALIAS("workgroup=%s", domain, 0),
    OPT("credentials=%s", credentials, 0, "FILE",
	"username=, password=, domain= lines; refused unless only its owner may read it (chmod 600)"),
    ALIAS("cred=%s", credentials, 0),
    OPT("guest", guest, 1, NULL, "log on as guest, without a password"),
    OPT("sec=%s", sec, 0, "MODE",
	"ntlmssp or ntlmv2 (default); ntlmsspi, ntlmv2i (also sign); krb5, krb5i (Kerberos only; i: also sign); "
	"none (guest); ntlm, ntlmi (NTLMv1, vers=1.0 only)"),
    OPT("cruid=%s", cruid_s, 0, "UID", "sec=krb5: use the Kerberos credential cache of this user (root mounts: fstab, systemd)"),
    OPT("keytab=%s", keytab, 0, "FILE",
	"sec=krb5: get tickets from this client keytab, for the principal username= or its first entry"),

    HEAD("connection"),
    OPT("port=%s", port_s, 0, "N", "TCP port of the server (445; 139 is a NetBIOS session)"),
    OPT("ip=%s", addr, 0, "ADDR", "connect to this address; the source still names the server"),
    ALIAS("addr=%s", addr, 0),
    OPT("vers=%s", vers, 0, "V",
	"1.0 (SMB1, insecure), 2.0, 2.1, 3 (any 3.x), 3.0, 3.02, 3.1.1, or default (the highest both speak)"),
    OPT("sign", sign, 1, NULL, "sign every message even when the server does not require it"),
    OPT("seal", seal, 1, NULL, "encrypt every message (SMB 3.x; refused on 2.x)"),
    OPT("timeout=%s", timeout_s, 0, "SECONDS", "deadline of each setup stage; each request gets twice it (10)"),
    OPT("echo_interval=%s", echo_interval_s, 0, "SECONDS",
	"keepalive: a server silent about twice this long is dropped and reconnected (60)"),
    OPT("snapshot=%s", snapshot_s, 0, "@GMT-YYYY.MM.DD-HH.MM.SS", "mount the previous version of that time (UTC, or an NT time), read-only"),
    OPT("ciphers=%s", ciphers_s, 0, "A:B", "SMB 3.1.1 ciphers to offer, in order (aes-128-gcm:aes-128-ccm:aes-256-gcm:aes-256-ccm)"),
    OPT("soft", hard, 0, NULL, "while the server is unreachable, requests fail at once (default)"),
    OPT("hard", hard, 1, NULL, "while the server is unreachable, requests wait for it (kill -9 always works)"),
    OPT("rsize=%s", rsize_s, 0, "BYTES", "largest READ request (4096 to 16777216; default: the server's)"),
    OPT("wsize=%s", wsize_s, 0, "BYTES", "largest WRITE request (4096 to 16777216; default: the server's)"),

    HEAD("NetBIOS"),
    OPT("netbios", netbios, 1, NULL, "NetBIOS session service on any port= (implied by port=139)"),
    OPT("servern=%s", servern, 0, "NAME", "the server's NetBIOS name (default: the host's first label)"),
    ALIAS("servernetbiosname=%s", servern, 0),
    OPT("netbiosname=%s", netbiosname, 0, "NAME", "our NetBIOS name (default: this host's first label)"),
    OPT("nbns=%s", nbns_s, 0, "ADDR[:PORT]", "resolve server names that DNS does not know through this name server"),

    HEAD("files"),
    OPT("uid=%s", uid_s, 0, "ID", "owner shown for every file (default: the mounting user)"),
    OPT("gid=%s", gid_s, 0, "ID", "group shown for every file (default: the mounting user's)"),
    OPT("forceuid", forceuid, 1, NULL, "with POSIX extensions: show uid= instead of the server's owner (implied by uid=)"),
    OPT("noforceuid", forceuid, 0, NULL, "with POSIX extensions: keep the server's owner even with uid="),
    OPT("forcegid", forcegid, 1, NULL, "as forceuid, for the group"),
    OPT("noforcegid", forcegid, 0, NULL, "as noforceuid, for the group"),
    OPT("file_mode=%s", file_mode_s, 0, "MODE", "permission bits shown for files without POSIX extensions (0755)"),
    OPT("dir_mode=%s", dir_mode_s, 0, "MODE", "permission bits shown for directories without POSIX extensions (0755)"),
    OPT("posix", noposix, 0, NULL, "use the SMB 3.1.1 POSIX extensions when the server offers them (default)"),
    ALIAS("unix", noposix, 0),
    ALIAS("linux", noposix, 0),
    OPT("noposix", noposix, 1, NULL, "do not use the SMB 3.1.1 POSIX extensions"),
    ALIAS("nounix", noposix, 1),
    ALIAS("nolinux", noposix, 1),
    KEY("perm", KEY_PERM, NULL, "the kernel checks mode bits (FUSE default_permissions)"),
    OPT("noperm", noperm, 1, NULL, "no local mode checks, even with the POSIX extensions"),
    OPT("user_xattr", nouser_xattr, 0, NULL, "user.* extended attributes are the server's EAs (default)"),
    OPT("nouser_xattr", nouser_xattr, 1, NULL, "no user.* extended attributes (EOPNOTSUPP)"),
    OPT("serverino", noserverino, 0, NULL, "inode numbers are the server's file ids (default)"),
    OPT("noserverino", noserverino, 1, NULL, "inode numbers from smbfuse instead of the server's file ids"),
    OPT("ro", ro, 1, NULL, "read-only (writes fail with EROFS)"),
    OPT("rw", ro, 0, NULL, "read-write (default)"),
    /* Two flags, as in cifs: mapposix (SFM, on unless nomapposix) wins over mapchars (SFU), and each turns
     * the other off. fuse_opt applies every entry that matches, so one name can set both fields. */
    OPT("mapposix", nomapposix, 0, NULL,
	"store : ? * \" < > | \\ and a trailing . or space as private-use characters, the SFM way (default)"),
    ALIAS("mapposix", mapchars, 0),
    OPT("nomapposix", nomapposix, 1, NULL, "no such mapping: those names fail with EINVAL"),
    OPT("mapchars", mapchars, 1, NULL, "the older SFU mapping instead of mapposix"),
    ALIAS("mapchars", nomapposix, 1),
    OPT("nomapchars", mapchars, 0, NULL, "turn mapchars off"),
    OPT("mfsymlinks", mfsymlinks, 1, NULL, "keep symbolic links as Minshall+French files (as mount.cifs does)"),
    OPT("nomfsymlinks", mfsymlinks, 0, NULL, "no symbolic links: ln -s fails with EPERM (default)"),
    OPT("nodfs", nodfs, 1, NULL, "do not follow DFS referrals: a DFS link fails as the server presents it"),
    OPT("dfs", nodfs, 0, NULL, "follow DFS referrals, of the mount source and of links below it (default)"),
    OPT("browse_hidden", browse_hidden, 1, NULL, "a mount of //server (no share) shows the shares ending in $ too"),
    OPT("dfsttl=%s", dfsttl_s, 0, "SECONDS", "keep a DFS referral at most this long (5 to 86400; default: the server's TTL)"),
    KEY("iocharset=", KEY_IOCHARSET, "utf8", "names are always UTF-8; any other charset is refused"),

    HEAD("caching"),
    OPT("cache=%s", cache_s, 0, "strict|loose|none", "caching mode (strict); none: every access goes to the server"),
    OPT("actimeo=%s", actimeo_s, 0, "SECONDS", "attribute and name cache time without a lease or watch (1)"),
    OPT("rasize=%s", rasize_s, 0, "BYTES",
	"read ahead of a sequential reader under a lease or cache=loose, in MiB steps (4194304; 0: off; at most 16777216)"),
    OPT("create_intent", nocreate_intent, 0, NULL, "an open(O_CREAT) of a new name costs one CREATE, no lookup first (default)"),
    OPT("nocreate_intent", nocreate_intent, 1, NULL, "the kernel's lookup before each create asks the server too"),
    OPT("writeback_cache", writeback, 1, NULL, "let the kernel buffer writes (one client per share only)"),
    OPT("no_writeback_cache", writeback, 0, NULL, "the daemon gathers writes under a lease instead (default)"),

    HEAD("running"),
    KEY("-f", KEY_FOREGROUND, NULL, "stay in the foreground, log to stderr"),
    KEY("-d", KEY_DEBUG, NULL, "debug: a protocol trace and FUSE's own (implies -f)"),
    ALIAS_KEY("debug", KEY_DEBUG),
    OPT("dumpable", dumpable, 1, NULL, "allow core dumps and debuggers (off: they could read the password hash)"),
    KEY("-h", KEY_HELP, NULL, "this help"),
    ALIAS_KEY("--help", KEY_HELP),
    KEY("-V", KEY_VERSION, NULL, "version and licence"),
    ALIAS_KEY("--version", KEY_VERSION),
    /* mount(8) helper flags, as opt_helper_argv rewrites them; usable directly too. */
    OPT("--fake", fake, 1, NULL, "check the source and every option, mount nothing (mount -f)"),
    OPT("--list", list, 1, NULL, "print the shares of the server named by the source (smbfuse --list //server)"),
    OPT("--sloppy", sloppy, 1, NULL, "warn about unknown options and ignore them (mount -s)"),
    ALIAS("sloppy", sloppy, 1),
    OPT("--verbose", verbose, 1, NULL, "log the connection (mount -v)"),

    HEAD("FUSE and kernel mount options (handed to the kernel)"),
    KEY("allow_other", KEY_FUSE, NULL, "let other users use the mount (non-root: user_allow_other in /etc/fuse.conf)"),
    KEY("allow_root", KEY_FUSE, NULL, "let root use the mount"),
    KEY("default_permissions", KEY_FUSE, NULL, "the kernel checks mode bits"),
    KEY("auto_unmount", KEY_FUSE, NULL, "unmount when the daemon dies"),
    KEY("fsname=", KEY_FUSE, "NAME", "the source shown by mount(8) (default: //server/share)"),
    KEY("subtype=", KEY_FUSE, "NAME", "the type shown by mount(8) (default: smbfuse)"),
    KEY("max_read=", KEY_FUSE, "BYTES", "largest read the kernel asks for"),
    /* VFS mount flags: mount(8) adds nosuid,nodev,noexec for fstab "user" mounts; libfuse applies them. */
    KEY("suid", KEY_FUSE, NULL, "VFS mount flags, as for any filesystem"),
    ALIAS_KEY("nosuid", KEY_FUSE),
    ALIAS_KEY("dev", KEY_FUSE),
    ALIAS_KEY("nodev", KEY_FUSE),
    ALIAS_KEY("exec", KEY_FUSE),
    ALIAS_KEY("noexec", KEY_FUSE),
    ALIAS_KEY("async", KEY_FUSE),
    ALIAS_KEY("sync", KEY_FUSE),
    ALIAS_KEY("dirsync", KEY_FUSE),
    ALIAS_KEY("atime", KEY_FUSE),
    ALIAS_KEY("noatime", KEY_FUSE),
    ALIAS_KEY("relatime", KEY_FUSE),
    ALIAS_KEY("norelatime", KEY_FUSE),
    ALIAS_KEY("strictatime", KEY_FUSE),
    ALIAS_KEY("nodiratime", KEY_FUSE),

    HEAD("accepted and dropped"),
    /* Already what smbfuse does: no set-uid files, server locks always (nobrl is moot: cifs's local-only
     * locks would break other clients), no POSIX ACLs, one connection per mount, intr a no-op in cifs. */
    KEY("nosetuids", KEY_IGNORE, NULL, "mount.cifs options that describe what smbfuse always does"),
    ALIAS_KEY("nobrl", KEY_IGNORE),
    ALIAS_KEY("noacl", KEY_IGNORE),
    ALIAS_KEY("nosharesock", KEY_IGNORE),
    ALIAS_KEY("intr", KEY_IGNORE),
    ALIAS_KEY("nointr", KEY_IGNORE),
    /* fstab keywords meaningful to mount(8) or systemd only. */
    KEY("auto", KEY_IGNORE, NULL, "fstab keywords for mount(8) and systemd, as are x-* options"),
    ALIAS_KEY("noauto", KEY_IGNORE),
    ALIAS_KEY("user", KEY_IGNORE),
    ALIAS_KEY("nouser", KEY_IGNORE),
    ALIAS_KEY("users", KEY_IGNORE),
    ALIAS_KEY("nofail", KEY_IGNORE),
    ALIAS_KEY("_netdev", KEY_IGNORE),
    ALIAS_KEY("defaults", KEY_IGNORE),
    ALIAS_KEY("comment=", KEY_IGNORE),
};
const size_t opt_nspecs = sizeof(opt_specs) / sizeof(opt_specs[0]);

const struct opt_refused opt_refused[] = {
    {"multiuser", "one smbfuse mount is one SMB session of one user"},
    {"sfu", "no Services for Unix special files"},
    {"fsc", "no FS-Cache"},
    {"rdma", "no SMB Direct"},
    {"multichannel", "one connection per mount"},
    {"setuids", "set-uid bits are never honoured"},
    {"acl", "no POSIX ACLs"},
    {"cifsacl", "no mode mapping from ACLs"},
    {"nocase", "names keep the server's case rules"},
    {"prefixpath=", "give the path in the source: //server/share/path"},
    {"unc=", "give the share as the source argument"},
};
const size_t opt_nrefused = sizeof(opt_refused) / sizeof(opt_refused[0]);

const struct fuse_opt *opt_fuse_table(void)
{
	/* One slot per spec is more than enough (headings are skipped), plus FUSE_OPT_END. Rebuilt on each
	 * call with the same content: opt_parse runs before any thread exists. */
	static struct fuse_opt table[sizeof(opt_specs) / sizeof(opt_specs[0]) + 1];
	size_t n = 0;
	for (size_t i = 0; i < opt_nspecs; i++)
		if (opt_specs[i].o.templ)
			table[n++] = opt_specs[i].o;
	table[n] = (struct fuse_opt)FUSE_OPT_END;
	return table;
}

void opt_spec_name(const struct opt_spec *s, char *buf, size_t len)
{
	const char *t = s->o.templ;
	size_t n = strlen(t);
	if (n >= 2 && strcmp(t + n - 2, "%s") == 0)
		n -= 2;
	snprintf(buf, len, "%.*s", (int)n, t);
}

/* --help lines: names from column 2, their text from NAMECOL, wrapped at WIDTH. */
enum { WIDTH = 100, NAMECOL = 30 };

static void put_wrapped(FILE *f, int col, const char *text)
{
	const char *p = text;
	while (*p) {
		size_t w = strcspn(p, " ");
		if (col > NAMECOL && col + 1 + (int)w > WIDTH) {
			fprintf(f, "\n%*s", NAMECOL, "");
			col = NAMECOL;
		} else if (col > NAMECOL) {
			fputc(' ', f);
			col++;
		}
		fprintf(f, "%.*s", (int)w, p);
		col += (int)w;
		p += w;
		while (*p == ' ')
			p++;
	}
	fputc('\n', f);
}

/* The names of spec i and of the aliases after it, "username=NAME, user=NAME"; returns the next index. */
static size_t put_names(FILE *f, size_t i, int *col)
{
	char name[64], prev[64] = "";
	size_t j = i;
	*col = 2;
	fputs("  ", f);
	do {
		opt_spec_name(&opt_specs[j], name, sizeof(name));
		if (strcmp(name, prev) != 0) { /* mapposix sets two fields: one name */
			const char *arg = opt_specs[i].arg && strchr(name, '=') ? opt_specs[i].arg : "";
			int w = (int)(strlen(name) + strlen(arg));
			if (j > i) {
				fputc(',', f);
				if (*col + 2 + w > WIDTH) {
					fputs("\n ", f);
					*col = 0;
				}
				fputc(' ', f);
				*col += 2;
			}
			*col += fprintf(f, "%s%s", name, arg);
		}
		snprintf(prev, sizeof(prev), "%s", name);
		j++;
	} while (j < opt_nspecs && opt_specs[j].o.templ && !opt_specs[j].help);
	return j;
}

void opt_usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s //server/share[/path] MOUNTPOINT [-o option[,option...]] [-f] [-d]\n"
		"       %s smb://[domain;]user@server[:port]/share[/path] MOUNTPOINT [...]\n"
		"       %s --stats MOUNTPOINT       the mount's counters\n"
		"       %s --acl PATH               a file's security descriptor in SDDL\n"
		"       %s --list //server [-o option[,option...]]   print the server's shares\n"
		"       %s --snapshots PATH         the previous versions of a file on a mount\n"
		"       %s --lookup NAME [--nbns ADDR | --broadcast ADDR] [--type N] [--port N] [--timeout MS]\n"
		"       %s --lookup-address ADDR    NetBIOS name and node status queries\n"
		"Option names follow mount.cifs; smbfuse(8) and mount.smbfuse(8) say more.\n",
		prog, prog, prog, prog, prog, prog, prog, prog);
	for (size_t i = 0; i < opt_nspecs;) {
		const struct opt_spec *s = &opt_specs[i];
		if (!s->o.templ) {
			fprintf(f, "\n%s:\n", s->help);
			i++;
			continue;
		}
		int col;
		i = put_names(f, i, &col);
		if (col < NAMECOL - 1) /* at least two spaces between names and text */
			fprintf(f, "%*s", NAMECOL - col, "");
		else
			fprintf(f, "\n%*s", NAMECOL, "");
		put_wrapped(f, NAMECOL, s->help);
	}
	fputs("\nmount.cifs options refused with a reason:\n", f);
	int col = 0;
	for (size_t i = 0; i < opt_nrefused; i++) {
		const char *n = opt_refused[i].name;
		if (col + (int)strlen(n) + 2 > WIDTH) {
			fputc('\n', f);
			col = 0;
		}
		col += fprintf(f, "%s%s%s", col ? " " : "  ", n, i + 1 < opt_nrefused ? "," : "\n");
	}
}
