/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * browse.c - the browse mount of //server (no share; design: doc/SHARES.md "Browse mount"). One session,
 * whose own tree is IPC$, lists the server's disk shares (srvsvc, shares.c) as the directories of a
 * synthetic root; entering one connects its tree on that session (sess_tree_new) under a client of its
 * own, and the DFS router (dfs_router.c) sends each path below it there, with the router's handles,
 * events and inode tags. This file is the root: a client whose ops answer for "" and the share
 * directories only; a path inside a share it has not entered yet is -EREMOTE, which makes the router bind
 * the share (browse_tree) and send the op again.
 *
 * The top level is the server's share list, which only its administrator changes: mkdir, rmdir, unlink,
 * rename and setattr there fail with EPERM (not EROFS: the shares below are writable). A share that
 * refuses our tree connect (valid users, a missing share) stays in the listing as a directory that stats
 * like the others, while anything inside it fails with the refusal (EACCES, ENOENT) for BROWSE_TTL_MS,
 * as a directory of mode 0 would; then it is asked again.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "dfs_i.h"
#include "ipc_i.h"
#include "smbfuse/log.h"
#include "smbfuse/session.h"
#include "smbfuse/smb1.h"
#include "smbfuse/smb2.h"
#include "smbfuse/util.h"

#define BROWSE_TTL_MS 30000 /* the share list, and a share's refusal, are asked again after this */
#define BROWSE_REFUSED_MAX 64
#define STYPE_DISKTREE 0u
#define STYPE_MASK 0xFFu /* the type proper; 0x80000000 (STYPE_SPECIAL) marks an administrative share */

struct browse {
	struct sess *sess; /* the mount's one session, on IPC$; every share's tree is one of it */
	bool hidden;	   /* browse_hidden: '$' shares too */
	struct smb_attr dir;
	pthread_mutex_t list_mu; /* one listing at a time; taken before mu */
	pthread_mutex_t mu;	 /* guards the rest */
	struct smb_share *shares;
	size_t n;
	uint64_t listed; /* CLOCK_MONOTONIC ms of the listing; 0: none */
	struct { char *name; int err; uint64_t at; } refused[BROWSE_REFUSED_MAX];
};

static bool visible(const struct browse *b, const struct smb_share *s)
{
	size_t len = strlen(s->name);
	/* A name the server lists is its to choose: none that would not be one directory entry here. */
	if ((s->type & STYPE_MASK) != STYPE_DISKTREE || !len || strpbrk(s->name, "/\\") || !strcmp(s->name, ".") ||
	    !strcmp(s->name, ".."))
		return false;
	return b->hidden || s->name[len - 1] != '$';
}

/* The share list, asked again when older than the TTL; on failure the old one stays (logged; the reason
 * into errbuf too when not NULL). */
static int refresh_err(struct smb_client *cl, char *errbuf, size_t errlen)
{
	struct browse *b = cl->browse;
	pthread_mutex_lock(&b->list_mu);
	pthread_mutex_lock(&b->mu);
	bool fresh = b->listed && now_ms() - b->listed < BROWSE_TTL_MS;
	pthread_mutex_unlock(&b->mu);
	int rc = 0;
	if (!fresh) {
		struct smb_share *v;
		size_t n;
		char err[256] = "";
		rc = proto_list_shares_on(b->sess, cl->host, &v, &n, err, sizeof(err));
		if (rc < 0) {
			log_warn("listing the shares of %s: %s", cl->host, *err ? err : strerror(-rc));
			if (errbuf)
				snprintf(errbuf, errlen, "listing the shares of %s: %s", cl->host, *err ? err : strerror(-rc));
		} else {
			pthread_mutex_lock(&b->mu);
			smb_shares_free(b->shares, b->n);
			b->shares = v;
			b->n = n;
			b->listed = now_ms();
			pthread_mutex_unlock(&b->mu);
		}
	}
	pthread_mutex_unlock(&b->list_mu);
	pthread_mutex_lock(&b->mu);
	rc = b->shares ? 0 : rc; /* an old list beats none */
	pthread_mutex_unlock(&b->mu);
	return rc;
}

static int refresh(struct smb_client *cl)
{
	return refresh_err(cl, NULL, 0);
}

/* The share the first component of path names (its name as the server spells it, into name), or -ENOENT;
 * *refused: the error of its refusal, while it is remembered (else 0). */
static int share_of(struct smb_client *cl, const char *path, char name[256], int *refused)
{
	struct browse *b = cl->browse;
	size_t len = strcspn(path, "/");
	int rc = refresh(cl);
	if (rc < 0)
		return rc;
	rc = -ENOENT;
	*refused = 0;
	pthread_mutex_lock(&b->mu);
	for (size_t i = 0; i < b->n && rc < 0; i++)
		if (visible(b, &b->shares[i]) && strlen(b->shares[i].name) == len && len < 256 &&
		    !strncasecmp(b->shares[i].name, path, len)) {
			memcpy(name, b->shares[i].name, len + 1);
			rc = 0;
		}
	for (unsigned i = 0; rc == 0 && i < BROWSE_REFUSED_MAX; i++)
		if (b->refused[i].name && !strcasecmp(b->refused[i].name, name) &&
		    now_ms() - b->refused[i].at < BROWSE_TTL_MS)
			*refused = b->refused[i].err;
	pthread_mutex_unlock(&b->mu);
	return rc;
}

/* What the root answers for path: 0 for the root and a refused share's own directory (shown as b->dir),
 * -EREMOTE inside a share (the router binds it), else the error. */
static int classify(struct smb_client *cl, const char *path)
{
	if (!*path)
		return 0;
	char name[256];
	int refused;
	int rc = share_of(cl, path, name, &refused);
	if (rc < 0)
		return rc;
	if (!refused)
		return -EREMOTE;
	return path[strcspn(path, "/")] ? refused : 0;
}

/* The ops that would change the top level: EPERM there, the router's business below. */
static int top_change(struct smb_client *cl, const char *path)
{
	int rc = classify(cl, path);
	if (rc == -EREMOTE && path[strcspn(path, "/")])
		return rc;
	if (!strchr(path, '/')) {
		log_info("/%s: the top level of a browse mount is the server's share list, not changed here (EPERM)", path);
		return -EPERM;
	}
	return rc;
}

static int b_stat(struct smb_client *cl, const char *path, struct smb_attr *out)
{
	int rc = classify(cl, path);
	if (rc == 0)
		*out = cl->browse->dir;
	return rc;
}

static int b_readdir(struct smb_client *cl, const char *path, smb_dirent_fn fn, void *arg, struct smb_attr *self)
{
	if (self)
		memset(self, 0, sizeof(*self)); /* the list of shares changes without a time of its own */
	struct browse *b = cl->browse;
	char name[256];
	int rc = classify(cl, path), refused = 0;
	if (rc == 0 && *path) /* a refused share's directory: its refusal */
		return share_of(cl, path, name, &refused) ?: refused;
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&b->mu);
	size_t n = b->n;
	char **names = calloc(n ? n : 1, sizeof(*names));
	for (size_t i = 0; names && i < n; i++)
		if (visible(b, &b->shares[i]))
			names[i] = strdup(b->shares[i].name);
	pthread_mutex_unlock(&b->mu);
	if (!names)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (names[i] && rc == 0)
			rc = fn(arg, names[i], &b->dir) ? 1 : 0;
		free(names[i]);
	}
	free(names);
	return 0;
}

static int b_open(struct smb_client *cl, const char *path, int flags, mode_t mode, struct smb_fh **out,
		  struct smb_attr *attr_out)
{
	(void)mode, (void)attr_out;
	*out = NULL;
	int rc = classify(cl, path);
	if (rc == -ENOENT && (flags & O_CREAT) && !strchr(path, '/'))
		return top_change(cl, path);
	return rc == 0 ? -EISDIR : rc;
}

static int b_mkdir(struct smb_client *cl, const char *path, mode_t mode, struct smb_attr *attr_out)
{
	(void)mode, (void)attr_out;
	return top_change(cl, path);
}

static int b_rmdir(struct smb_client *cl, const char *path)
{
	return top_change(cl, path);
}

static int b_unlink(struct smb_client *cl, const char *path, unsigned flags)
{
	(void)flags;
	return top_change(cl, path);
}

static int b_rename(struct smb_client *cl, const char *from, const char *to, unsigned flags)
{
	(void)flags;
	return top_change(cl, from) ?: top_change(cl, to);
}

static int b_setattr(struct smb_client *cl, const char *path, struct smb_fh *fh, const struct smb_setattr *sa,
		     struct smb_attr *attr_out)
{
	(void)fh, (void)sa, (void)attr_out;
	return top_change(cl, path);
}

static int b_statfs(struct smb_client *cl, struct smb_statfs *out)
{
	(void)cl;
	*out = (struct smb_statfs){.block_size = 4096, .name_max = 255}; /* the shares' own are theirs */
	return 0;
}

static int b_close(struct smb_client *cl, struct smb_fh *fh)
{
	(void)cl, (void)fh;
	return 0; /* never opened: b_open makes no handle */
}

static const struct smb_ops browse_ops = {
    .stat = b_stat,
    .open = b_open,
    .close = b_close,
    .readdir = b_readdir,
    .mkdir = b_mkdir,
    .rmdir = b_rmdir,
    .unlink = b_unlink,
    .rename = b_rename,
    .setattr = b_setattr,
    .statfs = b_statfs,
};

int browse_tree(struct smb_client *root, const char *path, char name[256], struct sess **out)
{
	struct browse *b = root->browse;
	int refused = 0;
	*out = NULL;
	int rc = share_of(root, path, name, &refused);
	if (rc < 0 || refused)
		return rc < 0 ? rc : 1;
	char err[256] = "";
	rc = sess_tree_new(b->sess, name, false, out, err, sizeof(err));
	if (rc == -EACCES || rc == -ENOENT || rc == -EPERM || rc == -ENOTDIR) {
		log_warn("//%s/%s: %s", root->host, name, err);
		pthread_mutex_lock(&b->mu);
		unsigned k = 0; /* its old entry, a free or expired one, or the oldest */
		for (unsigned i = 0; i < BROWSE_REFUSED_MAX; i++) {
			if (b->refused[i].name && !strcasecmp(b->refused[i].name, name)) {
				k = i;
				break;
			}
			if (!b->refused[i].name || b->refused[i].at < b->refused[k].at)
				k = i;
		}
		free(b->refused[k].name);
		b->refused[k].name = strdup(name);
		b->refused[k].err = rc;
		b->refused[k].at = now_ms();
		pthread_mutex_unlock(&b->mu);
		return 1;
	}
	if (rc < 0)
		log_warn("//%s/%s: %s", root->host, name, *err ? err : strerror(-rc));
	return rc;
}

void browse_free(struct browse *b)
{
	if (!b)
		return;
	sess_free(b->sess);
	smb_shares_free(b->shares, b->n);
	for (unsigned i = 0; i < BROWSE_REFUSED_MAX; i++)
		free(b->refused[i].name);
	pthread_mutex_destroy(&b->mu);
	pthread_mutex_destroy(&b->list_mu);
	free(b);
}

int browse_new(const struct smb_client_cfg *cfg, struct smb_client **out, char *errbuf, size_t errlen)
{
	char dummy[8];
	*out = NULL;
	if (!errbuf || !errlen)
		errbuf = dummy, errlen = sizeof(dummy);
	if (cfg->min_dialect == SMB_DIALECT_SMB1 && cfg->max_dialect == SMB_DIALECT_SMB1) {
		snprintf(errbuf, errlen, "a browse mount (//%s without a share) needs SMB2 or later, not vers=1.0",
			 cfg->host);
		return -EOPNOTSUPP;
	}
	struct smb_client *cl = calloc(1, sizeof(*cl));
	struct browse *b = calloc(1, sizeof(*b));
	if (!cl || !b || !(cl->host = strdup(cfg->host)) || !(cl->share = strdup("")) || !(cl->prefix = strdup(""))) {
		if (cl) {
			free(cl->host);
			free(cl->share);
		}
		free(cl);
		free(b);
		return -ENOMEM;
	}
	pthread_mutex_init(&b->mu, NULL);
	pthread_mutex_init(&b->list_mu, NULL);
	cl->browse = b;
	cl->ops = &browse_ops;
	b->hidden = cfg->browse_hidden;
	b->dir = (struct smb_attr){.attrs = SMB_ATTR_DIRECTORY, .nlink = 2};
	clock_gettime(CLOCK_REALTIME, &b->dir.mtime);
	b->dir.atime = b->dir.ctime = b->dir.btime = b->dir.mtime;
	struct sess_cfg sc;
	struct nb_setup nb;
	int rc = client_sess_cfg(cfg, &sc, &nb, errbuf, errlen);
	if (rc == 0) {
		sc.share = "IPC$";
		sc.ipc = true;
		sc.multi_protocol = !cfg->min_dialect && !cfg->max_dialect; /* to say so when SMB1 is all it has */
		rc = sess_new(&sc, &b->sess, errbuf, errlen);
	}
	if (rc == SESS_E_SMB1) {
		snprintf(errbuf, errlen, "%s speaks only SMB1: a browse mount (//%s without a share) needs SMB2 or later",
			 cfg->host, cfg->host);
		rc = -EPROTONOSUPPORT;
	}
	if (rc == 0)
		rc = refresh_err(cl, errbuf, errlen);
	if (rc < 0 && !*errbuf)
		snprintf(errbuf, errlen, "listing the shares of %s: %s", cfg->host, strerror(-rc));
	if (rc < 0) {
		smb_client_free(cl);
		return rc;
	}
	struct sess_info si;
	sess_get_info(b->sess, &si);
	cl->posix = si.posix;
	snprintf(cl->desc, sizeof(cl->desc), "SMB %s%s%s%s, the shares of %s", smb2_dialect_name(si.dialect),
		 si.encrypted ? ", encrypted" : "", si.signing ? ", signed" : "", si.guest ? ", guest" : "", cfg->host);
	*out = cl;
	return dfs_router_browse(cfg, out, errbuf, errlen);
}
