/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dfs_router.c - DFS links below the mounted directory (contract: dfs_i.h; design: doc/DFS.md).
 *
 * A mount of a DFS share (its tree connect says SMB2_SHAREFLAG_DFS, or SMB1's SMB_SHARE_IS_IN_DFS) gets a router in front of its client:
 * an smb_client of its own whose ops (dfs_ops.c) send each path to the tree a route names, with the path
 * rewritten. The routes form a table (dfs_path.c): the root's ("" to the mount's own tree, forever), and
 * one per link found, outer (the link in mount terms) to inner (the target directory on a target share's
 * tree). Links are found when a tree answers STATUS_PATH_NOT_COVERED (-EREMOTE): the router asks that
 * tree's server for the referral of the path (MS-DFSC 3.1.4.2; smb2_dfs.c on a session to its IPC$ kept
 * for the mount's life), takes the link from PathConsumed, and binds it to the first target that answers
 * a stat of its directory, in the server's order (MS-DFSC 3.1.5.2 target failover; a target that is
 * itself a link is followed, at most DFS_DEPTH_MAX referrals deep, else -ELOOP). The op is then sent
 * again. The kernel looks up each directory of a path before it uses the path, so a link is found by the
 * lookup of the link itself, one referral per link and TTL. A bound link whose target becomes unreachable
 * is looked up again at once and bound to another target (dfs_failover), whatever its TTL left.
 *
 * Trees: one smb_client per target share, shared by all links to it, owned by the pool here until the
 * router is freed (open handles keep their tree after a route changes). Each tree's events (leases,
 * watches, a rebuilt session) are mapped back to mount paths through the routes that lead to it.
 *
 * Locks: resolve_mu (one resolution at a time: referrals, connects, stats of targets) is taken before
 * lock, which guards the table, the trees array and ev; no network call and no call into a tree is made
 * under lock. Event sinks take lock only.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "dfs_i.h"
#include "proto_i.h"
#include "smbfuse/log.h"
#include "smbfuse/secret.h"
#include "smbfuse/session.h"
#include "smbfuse/smb2.h"


#define DFS_TREES_MAX 64 /* target shares one mount connects (the tag is 8 bits) */
#define DFS_TTL_MIN 5	 /* a shorter TTL would let the route expire before the op sent again uses it */
#define SINK_PATHS 8	 /* routes one event maps to before it becomes SMB_EV_ALL */

struct dfs_tree {
	struct smb_client *cl; /* owned */
	char *host, *share;
	unsigned tag;
	struct dfs_router *r; /* the event sink's way back */
};

struct dfs_router {
	struct smb_client *outer; /* the client the glue holds; owns this router */
	struct smb_ops ops;	  /* what the glue sees (dfs_ops.c) */
	struct smb_client_cfg cfg;/* the mount's, strings copied: it connects the targets */
	pthread_mutex_t resolve_mu;
	pthread_mutex_t lock;
	struct dfs_table table;			/* lock */
	struct dfs_tree *trees[DFS_TREES_MAX];	/* lock to change, resolve_mu held too; [0] the mount's */
	unsigned ntrees;
	struct { char *host; struct dfs_ipc *ipc; } ipcs[DFS_TREES_MAX]; /* resolve_mu */
	unsigned nipcs;
	struct smb_events ev; /* lock */
	_Atomic uint64_t referrals, failovers;
	uint32_t ttl_max; /* dfsttl=: a cap on the servers' TTLs, 0 none */
	bool browse;	  /* trees[0] is a browse root (browse.c): routes are its shares, never referrals */
	struct smb_ops base; /* browse: the optional ops the shares' clients have */
};

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- the mount's configuration, kept ---- */

/* The string fields of smb_client_cfg, which the router copies. */
static const size_t cfg_strs[] = {
    offsetof(struct smb_client_cfg, host),	      offsetof(struct smb_client_cfg, share),
    offsetof(struct smb_client_cfg, subdir),	      offsetof(struct smb_client_cfg, user),
    offsetof(struct smb_client_cfg, domain),	      offsetof(struct smb_client_cfg, workstation),
    offsetof(struct smb_client_cfg, addr),	      offsetof(struct smb_client_cfg, netbios_called),
    offsetof(struct smb_client_cfg, netbios_calling), offsetof(struct smb_client_cfg, nbns),
    offsetof(struct smb_client_cfg, krb5_ccache),     offsetof(struct smb_client_cfg, krb5_keytab),
};
#define NCFG_STRS (sizeof(cfg_strs) / sizeof(cfg_strs[0]))
#define CFG_STR(c, off) (*(const char **)((char *)(c) + (off)))

static void cfg_free(struct smb_client_cfg *c)
{
	for (size_t i = 0; i < NCFG_STRS; i++)
		free((char *)CFG_STR(c, cfg_strs[i]));
	secret_free((void *)c->nt_hash);
	memset(c, 0, sizeof(*c));
}

static int cfg_copy(struct smb_client_cfg *dst, const struct smb_client_cfg *src)
{
	*dst = *src;
	bool ok = true;
	for (size_t i = 0; i < NCFG_STRS; i++) {
		const char *s = CFG_STR(src, cfg_strs[i]);
		CFG_STR(dst, cfg_strs[i]) = s ? strdup(s) : NULL;
		ok = ok && (!s || CFG_STR(dst, cfg_strs[i]));
	}
	dst->nt_hash = src->nt_hash ? secret_memdup(src->nt_hash, 16) : NULL;
	if (!ok || (src->nt_hash && !dst->nt_hash)) {
		cfg_free(dst);
		return -ENOMEM;
	}
	return 0;
}

/* cfg for host's server: ip= named the mount's server only. */
static struct smb_client_cfg cfg_for(const struct dfs_router *r, const char *host, const char *share)
{
	struct smb_client_cfg c = r->cfg;
	if (strcasecmp(host, r->cfg.host) != 0)
		c.addr = NULL;
	c.host = host;
	c.share = share;
	c.subdir = NULL;
	c.nodfs = true; /* a share root is never a link: the router, not proto_client_new, follows them */
	return c;
}

/* ---- events of the trees, mapped back to mount paths ---- */

static void sink_event(void *arg, enum smb_event_kind kind, const char *path, const char *name)
{
	struct dfs_tree *t = arg;
	struct dfs_router *r = t->r;
	char *outs[SINK_PATHS];
	unsigned n = 0;
	bool all = kind == SMB_EV_ALL;
	pthread_mutex_lock(&r->lock);
	struct smb_events ev = r->ev;
	for (unsigned i = 0; i < r->table.n && !all; i++) {
		const struct dfs_link *l = r->table.v[i];
		const char *rest = l->cl == t->cl ? dfs_path_under(path, l->inner) : NULL;
		if (!rest)
			continue;
		if (n == SINK_PATHS || !(outs[n] = dfs_path_join(l->outer, rest)))
			all = true; /* too many routes to say which: everything may have changed */
		else
			n++;
	}
	pthread_mutex_unlock(&r->lock);
	if (ev.event && all)
		ev.event(ev.arg, SMB_EV_ALL, "", NULL);
	for (unsigned i = 0; i < n; i++) {
		if (ev.event && !all)
			ev.event(ev.arg, kind, outs[i], name);
		free(outs[i]);
	}
}

static void tree_set_events(struct dfs_tree *t, const struct smb_events *ev)
{
	struct smb_events mine = {.event = ev->event ? sink_event : NULL, .arg = t};
	if (t->cl->ops->set_events)
		t->cl->ops->set_events(t->cl, &mine);
}

void dfs_router_set_events(struct dfs_router *r, const struct smb_events *ev)
{
	pthread_mutex_lock(&r->resolve_mu); /* no tree is added meanwhile */
	pthread_mutex_lock(&r->lock);
	r->ev = *ev;
	unsigned n = r->ntrees;
	pthread_mutex_unlock(&r->lock);
	/* Outside lock: unregistering waits for a running event, which takes lock. */
	for (unsigned i = 0; i < n; i++)
		tree_set_events(r->trees[i], ev);
	pthread_mutex_unlock(&r->resolve_mu);
}

/* ---- the pool of trees and referral sessions (resolve_mu held) ---- */

static int tree_add_locked(struct dfs_router *r, struct smb_client *cl, const char *host, const char *share,
			   struct dfs_tree **out)
{
	struct dfs_tree *t = calloc(1, sizeof(*t));
	if (!t || !(t->host = strdup(host)) || !(t->share = strdup(share))) {
		if (t)
			free(t->host);
		free(t);
		return -ENOMEM;
	}
	t->cl = cl;
	t->r = r;
	pthread_mutex_lock(&r->lock);
	t->tag = r->ntrees;
	r->trees[r->ntrees++] = t;
	struct smb_events ev = r->ev;
	pthread_mutex_unlock(&r->lock);
	if (ev.event)
		tree_set_events(t, &ev);
	*out = t;
	return 0;
}

static int tree_get(struct dfs_router *r, const char *host, const char *share, struct dfs_tree **out)
{
	for (unsigned i = 0; i < r->ntrees; i++) {
		struct dfs_tree *t = r->trees[i];
		if (!strcasecmp(t->host, host) && !strcasecmp(t->share, share) && !*t->cl->prefix) {
			*out = t;
			return 0;
		}
	}
	if (r->ntrees == DFS_TREES_MAX) {
		log_warn("DFS: not connecting \\\\%s\\%s: this mount already has %d target shares", host, share,
			 DFS_TREES_MAX);
		return -EMFILE;
	}
	struct smb_client_cfg c = cfg_for(r, host, share);
	struct smb_client *cl;
	char err[256] = "";
	int rc = proto_client_new(&c, 0, &cl, err, sizeof(err));
	if (rc < 0) {
		log_warn("DFS: cannot connect target share \\\\%s\\%s: %s", host, share, *err ? err : strerror(-rc));
		return rc;
	}
	log_info("DFS: connected target share \\\\%s\\%s: %s", host, share, cl->desc);
	rc = tree_add_locked(r, cl, host, share, out);
	if (rc < 0)
		smb_client_free(cl);
	return rc;
}

static int ipc_get(struct dfs_router *r, const char *host, struct dfs_ipc **out)
{
	for (unsigned i = 0; i < r->nipcs; i++)
		if (!strcasecmp(r->ipcs[i].host, host)) {
			*out = r->ipcs[i].ipc;
			return 0;
		}
	if (r->nipcs == DFS_TREES_MAX)
		return -EMFILE;
	struct smb_client_cfg c = cfg_for(r, host, "IPC$");
	char err[256] = "";
	char *h = strdup(host);
	int rc = h ? dfs_ipc_open(&c, out, err, sizeof(err)) : -ENOMEM;
	if (rc < 0) {
		log_warn("DFS: cannot reach the referral service of %s: %s", host, *err ? err : strerror(-rc));
		free(h);
		return rc;
	}
	r->ipcs[r->nipcs].host = h;
	r->ipcs[r->nipcs++].ipc = *out;
	return 0;
}

/* ---- routes ---- */

void dfs_route_done(struct dfs_route *rt)
{
	free(rt->ipath);
	free(rt->outer);
	free(rt->inner);
	memset(rt, 0, sizeof(*rt));
}

int dfs_route_get(struct dfs_router *r, const char *path, struct dfs_route *rt)
{
	memset(rt, 0, sizeof(*rt));
	pthread_mutex_lock(&r->lock);
	const struct dfs_link *l = dfs_table_match(&r->table, path, now_ms());
	const char *rest = dfs_path_under(path, l->outer); /* the root's entry covers every path */
	rt->cl = l->cl;
	rt->tag = l->tag;
	rt->at_link = *l->outer && !*rest;
	rt->ipath = dfs_path_join(l->inner, rest);
	rt->outer = strdup(l->outer);
	rt->inner = strdup(l->inner);
	pthread_mutex_unlock(&r->lock);
	if (!rt->ipath || !rt->outer || !rt->inner) {
		dfs_route_done(rt);
		return -ENOMEM;
	}
	return 0;
}

/* "\\host\\share\\wire path" of ipath on tree t, for a referral request; *skip: components of the tree's
 * own root in it (host, share, subdir). */
static int ref_path(const struct dfs_tree *t, const char *ipath, char **out, size_t *skip)
{
	char *w;
	*out = NULL;
	int rc = proto_wire_path(t->cl, ipath, &w);
	if (rc < 0)
		return rc;
	size_t n = strlen(t->host) + strlen(t->share) + strlen(w) + 4;
	if ((*out = malloc(n)))
		snprintf(*out, n, "\\%s\\%s%s%s", t->host, t->share, *w ? "\\" : "", w);
	free(w);
	if (!*out)
		return -ENOMEM;
	for (char *q = *out; *q; q++)
		if (*q == '/') /* a POSIX tree's separator; a referral path has '\\' */
			*q = '\\';
	*skip = 2 + dfs_path_ncomp(t->cl->prefix, t->cl->posix ? '/' : '\\');
	return 0;
}

static struct dfs_tree *tree_of(struct dfs_router *r, const struct smb_client *cl)
{
	for (unsigned i = 0; i < r->ntrees; i++)
		if (r->trees[i]->cl == cl)
			return r->trees[i];
	return NULL;
}

/* The referral of ipath on tree t (one more for the counters). */
static int referral(struct dfs_router *r, const struct dfs_tree *t, const char *req, struct dfs_ref *ref)
{
	struct dfs_ipc *ipc;
	int rc = ipc_get(r, t->host, &ipc);
	if (rc == 0)
		rc = dfs_ipc_referral(ipc, req, ref);
	r->referrals++;
	if (rc < 0)
		log_warn("DFS: the referral for %s failed: %s", req, rc == -EOPNOTSUPP ?
			 "a domain-based namespace (not supported)" : strerror(-rc));
	return rc;
}

/*
 * Bind a link to the first of ref's targets whose directory (the target's path and suffix, '/'-separated)
 * answers, into out (cl, tag, inner, attr; expires is the smallest TTL seen). A target that is itself a
 * link costs one more referral, depth of them at most.
 */
static int bind_link(struct dfs_router *r, const struct dfs_ref *ref, const char *suffix, int depth,
		     const struct smb_client *avoid, struct dfs_link *out)
{
	int rc = -EHOSTDOWN;
	uint32_t ttl = ref->ttl < DFS_TTL_MIN ? DFS_TTL_MIN : ref->ttl;
	if (r->ttl_max && ttl > r->ttl_max)
		ttl = r->ttl_max < DFS_TTL_MIN ? DFS_TTL_MIN : r->ttl_max;
	for (unsigned i = 0; i < ref->n; i++) {
		struct dfs_target tg;
		struct dfs_tree *t = NULL;
		char *tpath = NULL;
		rc = dfs_target_split(ref->targets[i], &tg);
		if (rc == 0)
			rc = (tpath = dfs_path_join(tg.path, suffix)) ? tree_get(r, tg.host, tg.share, &t) : -ENOMEM;
		/* The tree a failover leaves: asking it again would wait for it again (dfs_failover counts it). */
		bool left = rc == 0 && t->cl == avoid;
		if (left)
			rc = -EHOSTDOWN;
		struct smb_attr a = {0};
		if (rc == 0 && (rc = t->cl->ops->stat(t->cl, tpath, &a)) == 0 && !smb_attr_is_dir(&a))
			rc = -ENOTDIR;
		if (rc == -EREMOTE) {
			/* The target crosses a link itself: follow it, the rest of its path as the new suffix. */
			struct dfs_ref sub;
			char *req = NULL;
			size_t skip;
			rc = depth + 1 >= DFS_DEPTH_MAX ? -ELOOP : ref_path(t, tpath, &req, &skip);
			if (rc == -ELOOP)
				log_warn("DFS target %s: more than %d DFS referrals in a row (a loop?)", ref->targets[i],
					 DFS_DEPTH_MAX);
			if (rc == 0 && (rc = referral(r, t, req, &sub)) == 0) {
				size_t k = dfs_path_ncomp(req + 0, '\\'), c = 0;
				char *head = strndup(req, sub.consumed);
				c = head ? dfs_path_ncomp(head, '\\') : 0;
				free(head);
				/* Within the target's path and below its share root, else the server loops or lies. */
				if (c <= skip || c > k) {
					log_warn("DFS: the referral for %s covers %zu of its %zu components", req, c, k);
					rc = -EPROTO;
				} else {
					const char *s2 = tpath;
					for (size_t j = skip; j < c; j++) {
						s2 += strspn(s2, "/");
						s2 += strcspn(s2, "/");
					}
					rc = bind_link(r, &sub, s2, depth + 1, avoid, out);
				}
				dfs_ref_free(&sub);
			}
			free(req);
		} else if (rc == 0) {
			out->cl = t->cl;
			out->tag = t->tag;
			out->inner = tpath;
			tpath = NULL;
			out->attr = a;
			out->has_attr = true;
		}
		free(tpath);
		dfs_target_free(&tg);
		if (rc == 0) {
			uint64_t e = now_ms() + (uint64_t)ttl * 1000;
			if (!out->expires || e < out->expires)
				out->expires = e;
			return 0;
		}
		if (rc == -ENOMEM || rc == -ELOOP)
			return rc;
		if (i + 1 < ref->n && !left) {
			r->failovers++;
			log_warn("DFS target %s failed (%s): trying %s", ref->targets[i], strerror(-rc), ref->targets[i + 1]);
		}
	}
	return rc;
}

/* A browse mount: bind the share path's first component names to a client on a tree of the mount's
 * session (a route of outer = the share, inner ""). resolve_mu held. */
static int browse_bind(struct dfs_router *r, const char *path, const struct dfs_route *via)
{
	struct smb_client *root = r->trees[0]->cl;
	if (via->cl != root) {
		log_warn("//%s/%s crosses a DFS link, which a browse mount does not follow", r->cfg.host, path);
		return -EIO;
	}
	char name[256];
	struct sess *ts;
	int rc = browse_tree(root, path, name, &ts);
	if (rc != 0)
		return rc > 0 ? 0 : rc; /* refused: the root now answers for it */
	if (r->ntrees == DFS_TREES_MAX) {
		log_warn("//%s/%s: this mount already has %d shares in use", r->cfg.host, name, DFS_TREES_MAX - 1);
		sess_free(ts);
		return -EMFILE;
	}
	struct smb_client_cfg c = cfg_for(r, r->cfg.host, name);
	struct smb_client *cl;
	struct dfs_tree *t;
	char err[256] = "";
	struct smb_attr a = {0};
	struct dfs_link *l = calloc(1, sizeof(*l));
	rc = l ? proto_client_on_tree(&c, ts, &cl, err, sizeof(err)) : -ENOMEM;
	if (!l)
		sess_free(ts);
	if (rc < 0) {
		log_warn("//%s/%s: %s", r->cfg.host, name, *err ? err : strerror(-rc));
		free(l);
		return rc == -EREMOTE ? -EIO : rc;
	}
	if ((rc = cl->ops->stat(cl, "", &a)) < 0 || (rc = tree_add_locked(r, cl, r->cfg.host, name, &t)) < 0) {
		smb_client_free(cl);
		free(l);
		return rc == -EREMOTE ? -EIO : rc;
	}
	log_info("share %s entered: %s", name, cl->desc);
	*l = (struct dfs_link){.outer = strdup(name), .inner = strdup(""), .cl = cl, .tag = t->tag, .has_attr = true,
			       .attr = a};
	pthread_mutex_lock(&r->lock);
	rc = l->outer && l->inner ? dfs_table_put(&r->table, l) : (dfs_link_free(l), -ENOMEM);
	pthread_mutex_unlock(&r->lock);
	return rc;
}

bool dfs_router_is_browse(const struct dfs_router *r)
{
	return r->browse;
}

/* Whether path's route is no longer via (another thread changed it meanwhile: try the new one); -ENOMEM.
 * resolve_mu held. */
static int route_moved(struct dfs_router *r, const char *path, const struct dfs_route *via)
{
	struct dfs_route now;
	int rc = dfs_route_get(r, path, &now);
	if (rc == 0)
		rc = now.cl != via->cl || strcmp(now.outer, via->outer) || strcmp(now.inner, via->inner);
	dfs_route_done(&now);
	return rc;
}

/* Ask via's tree for the link path crosses and bind it, no target on tree avoid. resolve_mu held. */
static int resolve_locked(struct dfs_router *r, const char *path, const struct dfs_route *via,
			  const struct smb_client *avoid)
{
	int rc = 0;
	struct dfs_tree *t = tree_of(r, via->cl);
	char *req = NULL, *link = NULL;
	size_t skip;
	struct dfs_ref ref = {0};
	struct dfs_link *l = calloc(1, sizeof(*l));
	if (rc == 0)
		rc = l && t ? ref_path(t, via->ipath, &req, &skip) : -ENOMEM;
	if (rc == 0)
		rc = referral(r, t, req, &ref);
	if (rc == 0 && (rc = dfs_link_of_ref(path, via->outer, via->inner, skip, req, ref.consumed, &link)) < 0)
		log_warn("DFS: the referral for %s names %.*s, which is not below the route \"%s\" it came through",
			 req, (int)ref.consumed, req, via->outer);
	if (rc == 0)
		rc = bind_link(r, &ref, "", 0, avoid, l);
	if (rc == 0) {
		l->outer = link;
		link = NULL;
		log_info("DFS: /%s -> \\\\%s\\%s%s%s (TTL %u s)", l->outer, tree_of(r, l->cl)->host,
			 tree_of(r, l->cl)->share, *l->inner ? "\\" : "", l->inner, ref.ttl);
		pthread_mutex_lock(&r->lock);
		rc = dfs_table_put(&r->table, l);
		pthread_mutex_unlock(&r->lock);
		l = NULL;
		if (rc < 0) {
			log_warn("DFS: more than %d links in use: %s not followed", DFS_LINKS_MAX, path);
			rc = -EMFILE;
		}
	}
	if (rc == -EREMOTE)
		rc = -EIO; /* never again the answer that brought us here: that would loop */
	dfs_link_free(l);
	free(link);
	free(req);
	dfs_ref_free(&ref);
	return rc;
}

int dfs_resolve(struct dfs_router *r, const char *path, const struct dfs_route *via)
{
	pthread_mutex_lock(&r->resolve_mu);
	int rc = route_moved(r, path, via);
	if (rc == 0)
		rc = r->browse ? browse_bind(r, path, via) : resolve_locked(r, path, via, NULL);
	pthread_mutex_unlock(&r->resolve_mu);
	return rc < 0 ? rc : 0;
}

/*
 * Errors that say via's tree cannot be reached (the connection is gone and its rebuild failed: reconnect.c
 * gives -EHOSTDOWN; a connect gives the others), as opposed to the server's answer about the path. Not
 * -ECONNRESET: the request may have run, and must not run a second time on another target.
 */
static bool unreachable(int rc)
{
	return rc == -EHOSTDOWN || rc == -ECONNREFUSED || rc == -ETIMEDOUT || rc == -ENOTCONN || rc == -EHOSTUNREACH ||
	       rc == -ENETUNREACH;
}

/*
 * MS-DFSC 3.1.5.2: via's target is down: drop its route (expired, so that path goes to the tree above it
 * again), ask that tree for the referral anew and bind the link to the next target that answers, never one
 * on the dead tree. 0 when path has a new route to try.
 */
int dfs_failover(struct dfs_router *r, const char *path, const struct dfs_route *via)
{
	pthread_mutex_lock(&r->resolve_mu);
	int rc = route_moved(r, path, via);
	if (rc == 0) {
		pthread_mutex_lock(&r->lock);
		for (unsigned i = 0; i < r->table.n; i++) {
			struct dfs_link *l = r->table.v[i];
			if (l->cl == via->cl && !strcmp(l->outer, via->outer) && !strcmp(l->inner, via->inner))
				l->expires = 1;
		}
		pthread_mutex_unlock(&r->lock);
		struct dfs_route up;
		rc = dfs_route_get(r, path, &up);
		if (rc == 0)
			log_warn("DFS: the target of /%s is unreachable: asking the referral again", via->outer);
		if (rc == 0 && (rc = resolve_locked(r, path, &up, via->cl)) == 0)
			r->failovers++;
		dfs_route_done(&up);
	}
	pthread_mutex_unlock(&r->resolve_mu);
	return rc < 0 ? rc : 0;
}

bool dfs_route_again(struct dfs_router *r, const char *path, struct dfs_route *rt, int *rc)
{
	/* One failover per op: a second dead target is the op's error, not a reason to go round again. */
	bool down = unreachable(*rc) && *rt->outer && !rt->failed_over && !r->browse;
	if (*rc != -EREMOTE && !down)
		return false;
	if (++rt->hops > DFS_DEPTH_MAX) {
		log_warn("DFS: %s still crosses a link after %d referrals", path, DFS_DEPTH_MAX);
		*rc = -ELOOP;
		return false;
	}
	int hops = rt->hops;
	bool failed_over = rt->failed_over || down;
	int e = down ? dfs_failover(r, path, rt) : dfs_resolve(r, path, rt);
	if (down && e < 0)
		return false; /* no other target answers: the op's own error stands */
	dfs_route_done(rt);
	if (e == 0)
		e = dfs_route_get(r, path, rt);
	rt->hops = hops;
	rt->failed_over = failed_over;
	if (e < 0) {
		*rc = e;
		return false;
	}
	return true;
}

unsigned dfs_router_children(struct dfs_router *r, const char *dir, struct dfs_child *out, unsigned max)
{
	unsigned n = 0;
	pthread_mutex_lock(&r->lock);
	uint64_t now = now_ms();
	for (unsigned i = 0; i < r->table.n && n < max; i++) {
		const struct dfs_link *l = r->table.v[i];
		const char *rest = *l->outer ? dfs_path_under(l->outer, dir) : NULL;
		if (!rest || !l->has_attr || (l->expires && l->expires <= now))
			continue;
		rest += *rest == '/';
		if (!*rest || strchr(rest, '/') || strlen(rest) >= sizeof(out[n].name))
			continue;
		strcpy(out[n].name, rest);
		out[n].attr = l->attr;
		out[n].tag = l->tag;
		n++;
	}
	pthread_mutex_unlock(&r->lock);
	return n;
}

struct smb_client *dfs_router_root(const struct dfs_router *r)
{
	return r->trees[0]->cl;
}

size_t dfs_router_stats(struct dfs_router *r, char *buf, size_t len)
{
	struct smb_client *root = dfs_router_root(r);
	size_t o = root->ops->stats ? root->ops->stats(root, buf, len) : 0;
	pthread_mutex_lock(&r->lock);
	unsigned links = r->table.n - 1, trees = r->ntrees;
	pthread_mutex_unlock(&r->lock);
	if (o < len) {
		int k = snprintf(buf + o, len - o, "dfs_referrals %llu\ndfs_failovers %llu\ndfs_links %u\ndfs_trees %u\n",
				 (unsigned long long)r->referrals, (unsigned long long)r->failovers, links, trees);
		o += k < 0 ? 0 : (size_t)k < len - o ? (size_t)k : len - o - 1;
	}
	return o;
}

/* ---- life ---- */

static int router_new(const struct smb_client_cfg *cfg, struct smb_client **clp, bool browse, char *errbuf,
		      size_t errlen);

int dfs_router_wrap(const struct smb_client_cfg *cfg, struct smb_client **clp, char *errbuf, size_t errlen)
{
	struct smb_client *in = *clp;
	struct sess_info si;
	if (in->smb1)
		return smb1_client_in_dfs(in) ? router_new(cfg, clp, false, errbuf, errlen) : 0;
	if (!in->sess)
		return 0;
	sess_get_info(in->sess, &si);
	if (!(si.share_flags & (SMB2_SHAREFLAG_DFS | SMB2_SHAREFLAG_DFS_ROOT)) && !(si.share_caps & SMB2_SHARE_CAP_DFS))
		return 0;
	return router_new(cfg, clp, false, errbuf, errlen);
}

int dfs_router_browse(const struct smb_client_cfg *cfg, struct smb_client **clp, char *errbuf, size_t errlen)
{
	return router_new(cfg, clp, true, errbuf, errlen);
}

static int router_new(const struct smb_client_cfg *cfg, struct smb_client **clp, bool browse, char *errbuf,
		      size_t errlen)
{
	struct smb_client *in = *clp;
	struct smb_client *o = calloc(1, sizeof(*o));
	struct dfs_router *r = calloc(1, sizeof(*r));
	struct dfs_link *root = calloc(1, sizeof(*root));
	struct dfs_tree *t;
	int rc = o && r && root ? cfg_copy(&r->cfg, cfg) : -ENOMEM;
	if (rc < 0) {
		free(o);
		free(r);
		free(root);
		goto fail;
	}
	pthread_mutex_init(&r->resolve_mu, NULL);
	pthread_mutex_init(&r->lock, NULL);
	r->outer = o;
	r->ttl_max = cfg->dfs_ttl_max;
	r->browse = browse;
	o->dfs = r;
	/* A browse root has no share: the optional ops are those its shares' clients will have. */
	r->base = smb2_ops;
	if (in->posix || cfg->mfsymlinks)
		r->base.symlink = smb2_symlink;
	dfs_ops_fill(&r->ops, browse ? &r->base : in->ops);
	o->ops = &r->ops;
	o->posix = in->posix;
	snprintf(o->desc, sizeof(o->desc), browse ? "%.150s" : "%.120s, DFS links followed", in->desc);
	if ((rc = tree_add_locked(r, in, in->host, in->share, &t)) < 0) {
		free(root);
		smb_client_free(o);
		goto fail;
	}
	root->cl = in;
	if (!(root->outer = strdup("")) || !(root->inner = strdup(""))) {
		dfs_link_free(root);
		smb_client_free(o); /* frees in, the tree */
		*clp = NULL;
		return -ENOMEM;
	}
	dfs_table_put(&r->table, root);
	if (!browse)
		log_dbg("\\\\%s\\%s is a DFS share: links below the mount are followed", in->host, in->share);
	*clp = o;
	return 0;
fail:
	if (errbuf)
		snprintf(errbuf, errlen, "DFS router: %s", strerror(-rc));
	smb_client_free(in);
	*clp = NULL;
	return rc;
}

void dfs_router_free(struct dfs_router *r)
{
	if (!r)
		return;
	dfs_table_clear(&r->table);
	/* Last in, first out: a browse root's session outlives the trees of it the share clients hold. */
	for (unsigned i = r->ntrees; i-- > 0;) {
		smb_client_free(r->trees[i]->cl);
		free(r->trees[i]->host);
		free(r->trees[i]->share);
		free(r->trees[i]);
	}
	for (unsigned i = 0; i < r->nipcs; i++) {
		dfs_ipc_free(r->ipcs[i].ipc);
		free(r->ipcs[i].host);
	}
	cfg_free(&r->cfg);
	pthread_mutex_destroy(&r->lock);
	pthread_mutex_destroy(&r->resolve_mu);
	free(r);
}
