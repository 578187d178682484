/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * opts.h - the smbfuse command line: mount.cifs option names on top of fuse_opt_parse (src/opts.c).
 *
 *   smbfuse //server/share[/subdir] MOUNTPOINT [-o opt[,opt...]] [-f] [-d] [-h] [-V]
 *   smbfuse smb://[domain;]user[:password]@server[:port]/share[/subdir] MOUNTPOINT ...
 *
 * Where a credential comes from, first match wins: -o username=/password=/domain=, then the smb:// URL,
 * then credentials=FILE, then the PASSWD and USER environment variables (mount.cifs does the same with
 * USER). Passwords are wiped from argv and the environment block as soon as they are copied, so
 * /proc/PID/cmdline and /proc/PID/environ do not show them. The one copy kept is in secret memory
 * (secret.h), until opt_hash_password replaces it with the NT hash (src/creds.c).
 * No function here touches FUSE sessions or the network, so all of it is unit tested.
 * Returns: 0 or negative errno; on error a one-line explanation is written to err (no "smbfuse:" prefix).
 */
#ifndef SMBFUSE_OPTS_H
#define SMBFUSE_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <fuse_opt.h>

#include "smbfuse/fs.h"
#include "smbfuse/ops.h"

/* Exit statuses (mount(8) conventions, as mount.cifs uses them). */
#define OPT_EX_USAGE 1 /* bad command line, unknown option, missing mount point */
#define OPT_EX_FAIL 32 /* the mount itself failed: connection, logon, share */

struct opts {
	/* Raw strings as fuse_opt_parse stores them (strdup'ed; opt_free frees). */
	char *source, *mountpoint;
	char *user, *domain, *credentials;
	char *password;	  /* in secret memory, whatever its source; NULL after opt_hash_password */
	uint8_t *nt_hash; /* 16 bytes in secret memory, from opt_hash_password; NULL for guest */
	int dumpable;	  /* -o dumpable: allow core dumps and ptrace (debugging); they can show the hash */
	char *port_s, *uid_s, *gid_s, *file_mode_s, *dir_mode_s, *vers, *actimeo_s, *cache_s, *timeout_s, *echo_interval_s;
	int ntlmv1; /* sec=ntlm with vers=1.0 */
	int sign, guest, ro, writeback, foreground, debug, show_help, show_version;
	/* mount.cifs options that map onto existing behaviour or FUSE options (see mount.smbfuse(8)). */
	char *rsize_s, *wsize_s, *addr;
	char *rasize_s; /* rasize=BYTES: read-ahead of sequential readers (fs_cfg.rasize) */
	int forceuid, forcegid, seal, noserverino, nocreate_intent, mapchars, nomapposix, hard, perm, mfsymlinks;
	int nodfs; /* nodfs: follow no DFS referral (dfs_mount.c, dfs_router.c) */
	int browse_hidden; /* a browse mount (//server) lists the '$' disk shares too (browse.c) */
	char *dfsttl_s; /* dfsttl=SECONDS: keep a referral at most this long */
	unsigned dfs_ttl_max;
	int noposix, noperm; /* nounix/noposix: no SMB 3.1.1 POSIX extensions; noperm: no local mode checks */
	int nouser_xattr;    /* no user.* extended attributes (mount.cifs nouser_xattr) */
	/* SMB1 and NetBIOS names, kept for the dialect code that uses them (sec= is also checked here). */
	char *sec, *netbiosname, *servern;
	/* mount(8) helper flags: -s sloppy (drop unknown options with a warning), -f fake, -v verbose. */
	int sloppy, fake, verbose;
	char *nbns_s; /* nbns=ADDR[:PORT] */
	char *snapshot_s; /* snapshot=@GMT-YYYY.MM.DD-HH.MM.SS or NT time */
	char *ciphers_s;  /* ciphers=aes-256-gcm:aes-128-gcm:... */
	int netbios;  /* NetBIOS session service on any port, not only 139 */
	/* Kerberos (sec=krb5, krb5i): cruid= names whose cache a root mount uses, keytab= a client keytab. */
	char *cruid_s, *keytab;
	int krb5;
	char *krb5_ccache; /* from cruid=: that uid's cache name (auth_krb5_ccache_for_uid); NULL: the default */
	int list;     /* --list //server: print the server's shares; no mount point, the share is optional */

	/* Results of opt_parse, valid when it returned 0. */
	char *host, *share, *subdir; /* subdir NULL when the source names the share root */
	uint16_t port;		     /* 0: default (445) */
	uint16_t min_dialect, max_dialect;
	int connect_timeout_ms;
	int echo_interval_ms;
	uint32_t rsize, wsize; /* 0: the server's */
	char *nbns_addr; /* nbns= without the port */
	uint64_t snapshot; /* snapshot=: the previous version's time (FILETIME, UTC); 0: the live share */
	uint16_t ciphers[4]; /* ciphers=: SMB2_ENCRYPTION_* ids in the order to offer; nciphers 0: the default */
	int nciphers;
	uint16_t nbns_port;
	struct fs_cfg fs;
	struct fuse_args fuse_args; /* what fs_new gets: argv[0] plus FUSE's own -o options */

	/* Where opt_parse's callback writes its message (fuse_opt_parse passes only this struct). */
	char *err;
	size_t errlen;
};

/*
 * Parse argc/argv (argv[0] is the program name) into o, then wipe every password found in argv.
 * Reads the credentials file if one is named and the PASSWD/USER environment variables. On success
 * o->show_help/show_version may be set, in which case the other results are not filled in.
 * Free o with opt_free in every case.
 */
/* Format a one-line error into err (errlen bytes; both may be 0/NULL) and return ret: the options code's
 * failure path (opts.c, creds.c). */
int opt_fail(char *err, size_t errlen, int ret, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int opt_parse(struct opts *o, int argc, char *argv[], char *err, size_t errlen);
void opt_free(struct opts *o);

/* Pieces of opt_parse, exposed for tests. */
/* "//server/share/sub", "\\\\server\\share" or "smb://dom;user:pass@server:port/share/sub" into o. */
int opt_parse_source(struct opts *o, const char *src, char *err, size_t errlen);
/* mount.cifs vers= value to SMB dialect numbers (0 = no limit). -EINVAL for unknown versions,
 * -EOPNOTSUPP for SMB1 ("1.0"), which is not implemented yet. */
int opt_parse_vers(const char *vers, uint16_t *min_dialect, uint16_t *max_dialect);
/* Read a cifs-utils credentials file (username=, password=, domain= lines); fills only fields of o
 * that are still NULL. Refuses a file that group or others may read or write. */
int opt_read_credentials(struct opts *o, const char *path, char *err, size_t errlen);
/* Overwrite with 'x' the value of every password=/pass= option, the pass of username=user%pass and the
 * password of smb:// URLs. */
void opt_wipe_argv(int argc, char *argv[]);
/* The password part of an smb:// URL, in place (s may be NULL or not a URL). */
void opt_wipe_url(char *s);
/*
 * Before fuse_opt_parse (which copies each -o list to the heap and frees it unwiped): copy the last
 * password=/pass= value and the pass of the last username=user%pass into t (secret memory), unescaped as
 * fuse_opt would, and overwrite them in argv. URLs are left for opt_wipe_argv. Free t with
 * opt_argv_secrets_free.
 */
struct argv_secrets {
	char *password, *user_password;
};
int opt_take_argv_secrets(int argc, char *argv[], struct argv_secrets *t);
void opt_argv_secrets_free(struct argv_secrets *t);
/* PASSWD and USER, the mount.cifs fallbacks, for fields still NULL; PASSWD is wiped and unset. */
int opt_from_environment(struct opts *o);
/* Replace o->password with its NT hash (o->nt_hash) and free the password; guest: just free it.
 * -EILSEQ (with err) for a password that is not UTF-8. */
int opt_hash_password(struct opts *o, char *err, size_t errlen);

/* Fill an smb_client_cfg from parsed options; strings are borrowed from o. */
void opt_client_cfg(const struct opts *o, struct smb_client_cfg *cfg);

/*
 * mount(8) calls helpers as "mount.TYPE SOURCE DIR [-sfnvrw] [-N NS] [-o OPTS] [-t TYPE]", where -f means
 * "fake", not "foreground". Rewrite such an argv into smbfuse's own form (-f to --fake, -s to --sloppy,
 * -v to --verbose, -r/-w to -o ro/rw; -n and -t dropped) in *out, a new NULL-terminated array of pointers
 * into argv (free only the array), so that opt_wipe_argv still wipes the original strings.
 */
int opt_helper_argv(int argc, char *argv[], int *out_argc, char ***out, char *err, size_t errlen);
/* True when argv0's last component is "mount.smbfuse" (or "mount.fuse.smbfuse"). */
bool opt_is_helper(const char *argv0);
/*
 * Ask for the password on /dev/tty with echo off, when stdin is a terminal and nothing else gave one
 * (not for guest). Sets o->password. Returns 0 when no prompt was due too.
 */
int opt_prompt_password(struct opts *o, char *err, size_t errlen);

/* The usage text for -h, made from the option table (src/opts_table.c). */
void opt_usage(FILE *f, const char *prog);

#endif
