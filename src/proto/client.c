/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * smb_client: one mounted share. Picks the dialect table after negotiate.
 *
 * Dialect selection. vers=1.0 (min = max = SMB_DIALECT_SMB1) logs on with SMB1 alone. vers=2.0 and later
 * send an SMB2 NEGOTIATE and speak SMB2/3 alone. With no vers=, the first connection opens with the
 * multi-protocol SMB1 NEGOTIATE offering "NT LM 0.12", "SMB 2.002" and "SMB 2.???" (MS-SMB2 3.2.4.2.1), as
 * Windows and pysmb do: the server itself says which family it speaks best, on one connection, so an
 * SMB1-only server is neither sent an SMB2 frame it may silently drop nor costs a second connection. A
 * server that picks SMB2 costs one more round trip (it answers "SMB 2.???", then the SMB2 NEGOTIATE runs
 * as MessageId 1, and 3.1.1's preauth hash starts there); one that picks NT LM 0.12 gets an SMB1 logon on a
 * new connection, with a warning. A server that closes the connection on an SMB1 frame is asked again
 * with an SMB2 NEGOTIATE alone (session.c). An attacker on the path can force SMB1 by rewriting the
 * answer, as with any negotiate that allows it: vers=2.0 or later prevents it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfs_i.h"
#include "proto_i.h"
#include "smbfuse/log.h"
#include "smbfuse/namemap.h"
#include "smbfuse/smb2.h"
#include "smbfuse/nbt.h"
#include "smbfuse/smb1_session.h"
#include "smbfuse/util.h"

/* prefix joined with the '/'-separated components of path, each in wire form (namemap.h), by sep. Empty
 * components go: a leading or trailing separator, or "a//b", would make the server read another name. */
static int wire_join(enum name_map m, char sep, const char *prefix, const char *path, char **out)
{
	*out = NULL;
	size_t pl = strlen(prefix), l = strlen(path);
	char *s = malloc(pl + 1 + NAME_MAP_WIRE_MAX(l));
	if (!s)
		return -ENOMEM;
	memcpy(s, prefix, pl);
	size_t o = pl;
	for (const char *p = path; *p; p += *p == '/') {
		size_t n = strcspn(p, "/");
		if (n) {
			if (o)
				s[o++] = sep;
			long w = name_map_to_wire(m, p, n, s + o);
			if (w < 0) {
				free(s);
				return (int)w;
			}
			o += (size_t)w;
		}
		p += n;
	}
	s[o] = '\0';
	*out = s;
	return 0;
}

/* SMB1: a token anywhere names that version of the rest of the path (as over SMB2); Samba reads it only
 * at the front, so it moves there. */
static int smb1_snap_front(char **wpath)
{
	char *plain = NULL, tok[SMB_GMT_TOKEN_LEN + 1], *s;
	uint64_t twrp;
	int rc = proto_snap_split(*wpath, '\\', &plain, &twrp);
	if (rc <= 0 || *wpath[0] == '@' || gmt_token_format(twrp, tok) < 0) {
		free(plain);
		return rc < 0 ? rc : 0;
	}
	rc = asprintf(&s, "%s%s%s", tok, *plain ? "\\" : "", plain) < 0 ? -ENOMEM : 0;
	free(plain);
	if (rc == 0) {
		free(*wpath);
		*wpath = s;
	}
	return rc;
}

bool proto_smb1_snap_path(const struct smb_client *cl, const char *wpath)
{
	uint64_t twrp;
	if (!wpath || strlen(wpath) < SMB_GMT_TOKEN_LEN)
		return false;
	char end = wpath[SMB_GMT_TOKEN_LEN];
	return (!end || end == '\\') && gmt_token_parse(wpath, SMB_GMT_TOKEN_LEN, &twrp) == 0 && twrp != cl->snapshot;
}

int proto_wire_path(const struct smb_client *cl, const char *path, char **out)
{
	*out = NULL;
	if (proto_path_hidden(path))
		return -ENOENT; /* a file unlinked while open (hidden.c): gone, as far as the glue knows */
	/* POSIX paths (SMB 3.1.1 POSIX extensions) are '/'-separated: Samba then reads '\\' as a name's byte. */
	int rc = wire_join(cl->map, cl->posix ? '/' : '\\', cl->prefix, path, out);
	return rc == 0 && cl->smb1 ? smb1_snap_front(out) : rc;
}

uint32_t proto_open_access(int flags)
{
	uint32_t rd = FILE_READ_DATA | FILE_READ_ATTRIBUTES | FILE_READ_EA | READ_CONTROL | SYNCHRONIZE;
	uint32_t wr = FILE_WRITE_DATA | FILE_APPEND_DATA | FILE_WRITE_ATTRIBUTES | FILE_WRITE_EA;
	/* Read access even for O_WRONLY: with the kernel's writeback cache, partial-page writes make the kernel
	 * read the rest of the page through the same handle. */
	return (flags & O_ACCMODE) == O_RDONLY ? rd : rd | wr;
}

uint32_t proto_open_disposition(int flags)
{
	if ((flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL))
		return FILE_CREATE;
	if (flags & O_CREAT)
		return (flags & O_TRUNC) ? FILE_OVERWRITE_IF : FILE_OPEN_IF;
	return (flags & O_TRUNC) ? FILE_OVERWRITE : FILE_OPEN;
}

uint32_t proto_open_options(int flags)
{
	if (flags & O_DIRECTORY)
		return FILE_DIRECTORY_FILE;
	return (flags & O_CREAT) ? FILE_NON_DIRECTORY_FILE : 0;
}

void proto_fh_free(struct smb_client *cl, struct smb_fh *fh)
{
	lease_put(cl, fh->lease);
	free(fh->path);
	free(fh->wpath);
	plock_free(fh);
	free(fh);
}

int proto_fh_begin(struct smb_client *cl, const char *path, int flags, struct smb_attr *a, struct smb_fh **out,
		   bool *cached)
{
	uint32_t options = proto_open_options(flags);
	*out = pcache_open_begin(cl, path, flags, proto_open_access(flags), options, a);
	*cached = *out != NULL;
	if (*cached)
		return 0;
	struct smb_fh *fh = calloc(1, sizeof(*fh));
	if (!fh)
		return -ENOMEM;
	int rc = proto_wire_path(cl, path, &fh->wpath);
	if (rc < 0 || !(fh->path = strdup(path))) {
		proto_fh_free(cl, fh);
		return rc < 0 ? rc : -ENOMEM;
	}
	fh->access = proto_open_access(flags);
	fh->options = options;
	if (!(flags & O_DIRECTORY))
		fh->lease = lease_get(cl, path);
	*out = fh;
	return 0;
}

bool proto_open_narrow(struct smb_fh *fh, int flags, int rc)
{
	if (rc != -EACCES || (flags & O_ACCMODE) != O_WRONLY)
		return false;
	fh->access &= ~(uint32_t)(FILE_READ_DATA | FILE_READ_EA | READ_CONTROL);
	return true;
}

void proto_fh_end(struct smb_client *cl, struct smb_fh *fh, int flags, bool cached, const struct smb_attr *a,
		  struct smb_attr *attr_out)
{
	if (!cached) {
		pthread_mutex_init(&fh->lock, NULL);
		pcache_note_attr(cl, fh, a);
	}
	fh->sync = flags & O_DSYNC; /* O_SYNC includes O_DSYNC */
	if (attr_out)
		*attr_out = *a;
}

/* One log line naming a refused name by its bytes: it may hold anything, even terminal escapes. */
static void log_refused_name(const uint8_t *p, size_t n, const char *why)
{
	char hex[3 * 32 + 8];
	size_t o = 0;
	for (size_t i = 0; i < n && i < 32; i++)
		o += (size_t)snprintf(hex + o, sizeof(hex) - o, "%s%02x", i ? " " : "", p[i]);
	if (n > 32)
		snprintf(hex + o, sizeof(hex) - o, " ...");
	log_warn("skipping a name from the server that %s (UTF-16LE %s)", why, n ? hex : "empty");
}

int proto_snap_split(const char *wpath, char sep, char **out, uint64_t *twrp)
{
	*out = NULL;
	for (const char *p = wpath; *p;) {
		const char *end = strchr(p, sep);
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (gmt_token_parse(p, len, twrp) == 0) {
			/* Drop the component and one separator next to it. */
			size_t head = (size_t)(p - wpath), skip = len + (end ? 1 : 0);
			if (!end && head)
				head--;
			if (!(*out = malloc(strlen(wpath) + 1)))
				return -ENOMEM;
			memcpy(*out, wpath, head);
			strcpy(*out + head, wpath + (size_t)(p - wpath) + skip);
			return 1;
		}
		p = end ? end + 1 : p + len;
	}
	return 0;
}

int proto_snap_refuse(const char *path, const char *to)
{
	for (int i = 0; i < 2; i++) {
		const char *p = i ? to : path;
		char *plain = NULL;
		uint64_t twrp;
		if (p && proto_snap_split(p, '/', &plain, &twrp) == 1) {
			free(plain);
			log_warn("%s: a previous version (@GMT) is read-only", p);
			return -EROFS;
		}
		free(plain);
	}
	return 0;
}

bool proto_snap_writes(uint32_t access, uint32_t disposition, uint32_t options)
{
	uint32_t w = FILE_WRITE_DATA | FILE_APPEND_DATA | FILE_WRITE_EA | FILE_WRITE_ATTRIBUTES | DELETE | WRITE_DAC |
		     WRITE_OWNER | GENERIC_WRITE | GENERIC_ALL | MAXIMUM_ALLOWED;
	return (access & w) || disposition != FILE_OPEN || (options & FILE_DELETE_ON_CLOSE);
}

int proto_check_leaf(const char *wpath, const uint8_t *name16, size_t len16)
{
	const char *want = strrchr(wpath, '\\');
	want = want ? want + 1 : wpath;
	char *got;
	uint64_t twrp;
	if (!*want || len16 == 0 || gmt_token_parse(want, strlen(want), &twrp) == 0 ||
	    utf16le_to_utf8(name16, len16, &got) < 0)
		return 0; /* the root (of the share or of a snapshot), or nothing to compare with: trust the server */
	const char *leaf = strrchr(got, '\\');
	leaf = leaf ? leaf + 1 : got;
	int rc = !*leaf || strcmp(leaf, want) == 0 ? 0 : -ENOENT;
	if (rc < 0)
		log_dbg("\"%s\" is stored as \"%s\": not that name", want, leaf);
	free(got);
	return rc;
}

int proto_listed_name(const struct smb_client *cl, const uint8_t *p, size_t n, char **out)
{
	char *s;
	int rc = utf16le_to_utf8(p, n, &s);
	*out = NULL;
	if (rc == -ENOMEM)
		return rc;
	if (rc < 0) {
		log_refused_name(p, n, "is not valid UTF-16 or holds a NUL");
		return -EILSEQ;
	}
	if (!s[0] || !strcmp(s, ".") || !strcmp(s, "..")) {
		free(s);
		return 0;
	}
	/* Checked before the mapping: U+F026 is a backslash we may show, a real one is a separator. */
	if (strpbrk(s, "/\\")) {
		free(s);
		log_refused_name(p, n, "holds '/' or '\\'");
		return -EILSEQ;
	}
	name_map_from_wire(cl->map, s);
	*out = s;
	return 1;
}

/* The subdir of the mount source ('/' or '\\' separated) in wire form, mapped like any path. */
static int subdir_prefix(const char *subdir, enum name_map m, char **out)
{
	char *p = strdup(subdir ? subdir : "");
	if (!p)
		return -ENOMEM;
	for (char *q = p; *q; q++)
		if (*q == '\\')
			*q = '/';
	int rc = wire_join(m, '\\', "", p, out);
	free(p);
	return rc;
}

/* With nbns=, a name DNS does not know is looked up as a NetBIOS file server name (name<20>). */
static int nbns_resolve_host(const struct smb_client_cfg *cfg, struct nb_setup *nb, char *errbuf, size_t errlen)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
	if (getaddrinfo(cfg->host, NULL, &hints, &ai) == 0) {
		freeaddrinfo(ai);
		return 0;
	}
	struct nbns_cfg nc = {.server = cfg->nbns, .port = cfg->nbns_port};
	struct nbns_name_rsp r;
	int rc = nbns_query_name(&nc, cfg->host, NB_SUFFIX_SERVER, &r);
	if (rc < 0) {
		if (errbuf)
			snprintf(errbuf, errlen, "cannot resolve \"%s\" by DNS or by NetBIOS name server %s: %s", cfg->host,
				 cfg->nbns, rc == -ENOENT ? "no such name" : strerror(-rc));
		return rc;
	}
	inet_ntop(AF_INET, r.addrs[0].ip, nb->addr, sizeof(nb->addr));
	log_info("NetBIOS name %s is %s (NBNS %s)", cfg->host, nb->addr, cfg->nbns);
	return 0;
}

/* Fill sc's NetBIOS fields from cfg; strings live in nb. */
static int netbios_setup(const struct smb_client_cfg *cfg, struct sess_cfg *sc, struct nb_setup *nb, char *errbuf,
			 size_t errlen)
{
	memset(nb, 0, sizeof(*nb));
	/* An explicit address (ip=) wins; otherwise a name DNS does not know is asked of the NBNS. The host name
	 * stays the server's name for the UNC path. */
	if (cfg->nbns && !cfg->addr) {
		int rc = nbns_resolve_host(cfg, nb, errbuf, errlen);
		if (rc < 0)
			return rc;
		if (nb->addr[0])
			sc->addr = nb->addr;
	}
	if (!cfg->netbios && cfg->port != 139)
		return 0;
	if (cfg->netbios_called)
		snprintf(nb->called, sizeof(nb->called), "%s", cfg->netbios_called);
	else
		nbt_called_name(cfg->host, nb->called);
	if (cfg->netbios_calling)
		snprintf(nb->calling, sizeof(nb->calling), "%s", cfg->netbios_calling);
	else
		nbt_calling_name(nb->calling);
	if (!sc->port)
		sc->port = 139;
	sc->nb_called = nb->called;
	sc->nb_calling = nb->calling;
	return 0;
}

int client_sess_cfg(const struct smb_client_cfg *cfg, struct sess_cfg *sc, struct nb_setup *nb, char *errbuf,
		    size_t errlen)
{
	*sc = (struct sess_cfg){
		.host = cfg->host,
		.port = cfg->port,
		.share = cfg->share,
		.user = cfg->user,
		.nt_hash = cfg->nt_hash,
		.domain = cfg->domain,
		.workstation = cfg->workstation,
		.guest = cfg->guest,
		.sign = cfg->sign,
		.min_dialect = cfg->min_dialect,
		.max_dialect = cfg->max_dialect,
		.connect_timeout_ms = cfg->connect_timeout_ms,
		.request_timeout_ms = cfg->request_timeout_ms,
		.echo_interval_ms = cfg->echo_interval_ms,
		.hard = cfg->hard,
		.seal = cfg->seal,
		.addr = cfg->addr,
		.rsize = cfg->rsize,
		.wsize = cfg->wsize,
		.posix = !cfg->noposix,
		.nciphers = cfg->nciphers,
		.krb5 = cfg->krb5,
		.krb5_ccache = cfg->krb5_ccache,
		.krb5_keytab = cfg->krb5_keytab,
	};
	memcpy(sc->ciphers, cfg->ciphers, sizeof(sc->ciphers));
	return netbios_setup(cfg, sc, nb, errbuf, errlen);
}

static bool smb1_only(const struct smb_client_cfg *cfg)
{
	return cfg->min_dialect == SMB_DIALECT_SMB1 && cfg->max_dialect == SMB_DIALECT_SMB1;
}

/* Log on with SMB2/3 or SMB1, as the top of this file says. */
static int logon(struct smb_client *cl, const struct smb_client_cfg *cfg, struct sess_cfg *sc, char *errbuf,
		 size_t errlen)
{
	/* NTLMv1 exists only in the plain NT LM 0.12 logon, so sec=ntlm does not offer extended security. */
	struct smb1_sess_opts o = {.ntlmv1 = cfg->ntlmv1, .no_ext_sec = cfg->ntlmv1};
	if (smb1_only(cfg)) {
		cl->ops = &smb1_ops;
		cl->cio = &smb1_cache_io;
		return smb1_client_start(cl, sc, &o, errbuf, errlen);
	}
	sc->multi_protocol = !cfg->min_dialect && !cfg->max_dialect;
	int rc = sess_new(sc, &cl->sess, errbuf, errlen);
	if (rc != SESS_E_SMB1)
		return rc;
	log_warn("%s speaks only SMB1: using it (mount with vers=2.0 or later to forbid this)", cfg->host);
	if (errbuf && errlen)
		errbuf[0] = '\0';
	cl->ops = &smb1_ops;
	cl->cio = &smb1_cache_io;
	return smb1_client_start(cl, sc, &o, errbuf, errlen);
}

/* SMB1 names a previous version with an @GMT path component (and SMB_FLAGS2_REPARSE_PATH, smb1_link.c), not
 * with a create context: the token leads every path of a snapshot= mount. */
static int smb1_snapshot_prefix(struct smb_client *cl, char *errbuf, size_t errlen)
{
	char tok[SMB_GMT_TOKEN_LEN + 1], *p;
	if (gmt_token_format(cl->snapshot, tok) < 0) {
		if (errbuf)
			snprintf(errbuf, errlen, "snapshot=: over SMB1 a version is named by whole seconds of 1970-9999");
		return -EINVAL;
	}
	if (asprintf(&p, "%s%s%s", tok, *cl->prefix ? "\\" : "", cl->prefix) < 0)
		return -ENOMEM;
	free(cl->prefix);
	cl->prefix = p;
	return 0;
}

static int client_new(const struct smb_client_cfg *cfg, int dfs_depth, struct sess *tree, struct smb_client **out,
		      char *errbuf, size_t errlen);

int smb_client_new(const struct smb_client_cfg *cfg, struct smb_client **out, char *errbuf, size_t errlen)
{
	if (!cfg->share || !*cfg->share) /* //server: its shares as directories */
		return browse_new(cfg, out, errbuf, errlen);
	/* //DOMAIN/namespace: through the domain's DCs (dfs_dom.c). A domain already known from an earlier
	 * answer goes there at once; otherwise the share is mounted on the host and the mount's own session
	 * asks whether the host names a domain. A domain's namespace need not be a share of the server its
	 * name resolves to: when that share is missing, the host is asked on a session of its own, and the
	 * first error stands if it is no domain. */
	int rc = dfs_domain_resolve(cfg, false, out, errbuf, errlen);
	if (rc == 1) {
		rc = proto_client_new(cfg, 0, out, errbuf, errlen);
		if (rc == 0) {
			rc = dfs_domain_check(cfg, (*out)->smb1 ? NULL : (*out)->sess, out, errbuf, errlen);
		} else if (rc == -ENOENT) {
			char *first = errbuf && errlen ? strndup(errbuf, errlen) : NULL;
			int d = dfs_domain_resolve(cfg, true, out, errbuf, errlen);
			if (d != 1)
				rc = d;
			else if (first)
				snprintf(errbuf, errlen, "%s", first);
			free(first);
		}
	}
	/* A DFS share: links below the mounted directory are followed (dfs_router.c). */
	if (rc == 0 && !cfg->nodfs)
		rc = dfs_router_wrap(cfg, out, errbuf, errlen);
	return rc;
}

int proto_client_new(const struct smb_client_cfg *cfg, int dfs_depth, struct smb_client **out, char *errbuf,
		     size_t errlen)
{
	return client_new(cfg, dfs_depth, NULL, out, errbuf, errlen);
}

int proto_client_on_tree(const struct smb_client_cfg *cfg, struct sess *tree, struct smb_client **out,
			 char *errbuf, size_t errlen)
{
	return client_new(cfg, 0, tree, out, errbuf, errlen);
}

/* tree: a session (sess_tree_new) to take instead of logging on; freed with the client, also on failure. */
static int client_new(const struct smb_client_cfg *cfg, int dfs_depth, struct sess *tree, struct smb_client **out,
		      char *errbuf, size_t errlen)
{
	*out = NULL;
	struct smb_client *cl = calloc(1, sizeof(*cl));
	if (!cl)
		return -ENOMEM;
	cl->ops = &smb2_ops;
	cl->cio = &smb2_cache_io;
	cl->map = cfg->name_map;
	pthread_mutex_init(&cl->durable_mu, NULL);
	cl->snapshot = cfg->snapshot;
	int rc = subdir_prefix(cfg->subdir, cl->map, &cl->prefix);
	if (rc == 0 && (!(cl->host = strdup(cfg->host)) || !(cl->share = strdup(cfg->share))))
		rc = -ENOMEM;
	if (rc < 0) {
		sess_free(tree);
		if (errbuf && rc == -EINVAL)
			snprintf(errbuf, errlen, "subdirectory \"%s\": a name holds a character SMB cannot store "
				 "unmapped (: ? * \" < > | \\)", cfg->subdir);
		pthread_mutex_destroy(&cl->durable_mu);
		free(cl->host);
		free(cl->share);
		free(cl->prefix);
		free(cl);
		return rc;
	}
	struct sess_cfg sc;
	struct nb_setup nb;
	cl->sess = tree; /* the client's now: freed with it */
	rc = tree ? 0 : client_sess_cfg(cfg, &sc, &nb, errbuf, errlen);
	if (rc < 0)
		goto fail;
	/* Before logon: an SMB1 link delivers breaks to the cache from its first connection on. cache=none
	 * starts none: no lease, oplock, parked handle or watch. */
	rc = cfg->no_leases ? 0 : pcache_new(cl);
	if (rc < 0)
		goto fail;
	rc = tree ? 0 : logon(cl, cfg, &sc, errbuf, errlen);
	if (rc < 0)
		goto fail;
	if (cl->sess && cl->cache)
		smb2_cache_hooks(cl);
	if (cl->sess) {
		struct sess_info pi;
		sess_get_info(cl->sess, &pi);
		cl->posix = pi.posix;
		for (char *q = cl->prefix; pi.posix && *q; q++)
			if (*q == '\\')
				*q = '/';
		if (pi.posix) {
			log_info("SMB 3.1.1 POSIX extensions negotiated: Unix modes, owners, case-sensitive names");
			cl->posix_ops = smb2_ops;
			cl->posix_ops.symlink = smb2_symlink;
			cl->posix_ops.mknod = smb2_mknod;
			cl->ops = &cl->posix_ops;
		}
		else if (!cfg->noposix && pi.dialect == SMB2_DIALECT_311)
			log_dbg("the server does not offer the SMB 3.1.1 POSIX extensions");
	}
	if (cl->smb1 && cfg->snapshot && (rc = smb1_snapshot_prefix(cl, errbuf, errlen)) < 0)
		goto fail;
	if (cfg->mfsymlinks)
		mfsym_install(cl);
	/* A subdir that is not there would otherwise mount fine and fail on every access. */
	struct smb_attr a;
	rc = cl->ops->stat(cl, "", &a);
	if (rc == 0 && !smb_attr_is_dir(&a))
		rc = -ENOTDIR;
	if (rc == -EREMOTE && !cfg->nodfs) {
		/* STATUS_PATH_NOT_COVERED: the source crosses a DFS link (dfs_mount.c). */
		smb_client_free(cl);
		return dfs_mount_resolve(cfg, dfs_depth, out, errbuf, errlen);
	}
	if (rc == -EREMOTE && errbuf) {
		snprintf(errbuf, errlen, "\\\\%s\\%s%s%s is a DFS link (STATUS_PATH_NOT_COVERED), not followed with "
			 "nodfs", cfg->host, cfg->share, cfg->subdir ? "\\" : "", cfg->subdir ? cfg->subdir : "");
		goto fail;
	}
	if (rc < 0) {
		if (errbuf)
			snprintf(errbuf, errlen, "%s \"%s\" on share \"%s\": %s", *cl->prefix ? "subdirectory" : "root of",
				 cfg->subdir ? cfg->subdir : "", cfg->share, strerror(-rc));
		goto fail;
	}
	if (cl->smb1) {
		smb1_client_describe(cl, cl->desc, sizeof(cl->desc));
		*out = cl;
		return 0;
	}
	struct sess_info si;
	sess_get_info(cl->sess, &si);
	snprintf(cl->desc, sizeof(cl->desc), "SMB %s%s%s%s%s", smb2_dialect_name(si.dialect),
		 si.encrypted ? ", encrypted" : "", si.signing ? ", signed" : "",
		 si.guest ? ", guest" : "", cl->posix ? ", POSIX extensions" : "");
	*out = cl;
	return 0;
fail:
	smb_client_free(cl);
	return rc;
}

void smb_client_free(struct smb_client *cl)
{
	if (!cl)
		return;
	if (cl->dfs) { /* a router: its trees are the clients */
		dfs_router_free(cl->dfs);
		free(cl);
		return;
	}
	if (cl->browse) { /* a browse root: no cache, one session (freed after its trees' clients) */
		browse_free(cl->browse);
		free(cl->prefix);
		free(cl->host);
		free(cl->share);
		free(cl);
		return;
	}
	pcache_stop(cl);
	sess_free(cl->sess);
	smb1_client_stop(cl);
	pcache_free(cl);
	free(cl->prefix);
	free(cl->host);
	free(cl->share);
	free(cl->durable);
	pthread_mutex_destroy(&cl->durable_mu);
	free(cl);
}

const struct smb_ops *smb_client_ops(const struct smb_client *cl)
{
	return cl->ops;
}

const char *smb_client_describe(const struct smb_client *cl)
{
	return cl->desc;
}

bool smb_client_posix(const struct smb_client *cl)
{
	return cl->posix;
}
