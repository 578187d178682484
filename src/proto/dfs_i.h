/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Private to src/proto: DFS (MS-DFSC). A mount source inside a DFS namespace is resolved to a target share
 * at mount time (dfs_mount.c), through referrals asked of a struct dfs_ipc; dfs_mount.c never sees a wire
 * message. Design note: doc/DFS.md.
 */
#ifndef SMBFUSE_DFS_I_H
#define SMBFUSE_DFS_I_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "smbfuse/ops.h"

#define DFS_DEPTH_MAX 4 /* referrals followed for one path (a link to a link ...), then -ELOOP */
#define DFS_REF_MAX 8 /* targets of one referral we keep (a namespace rarely has more than a few) */

/* One referral, as the router uses it. Paths are UTF-8 with '\\' separators and one leading '\\'. */
struct dfs_ref {
	size_t consumed; /* bytes of the requested path the referral covers: whole components */
	uint32_t ttl;	 /* seconds the referral may be cached */
	bool root;	 /* ReferralServers: the targets are namespace roots, not storage */
	unsigned n;
	char *targets[DFS_REF_MAX]; /* "\\server\\share[\\path]", in the server's order of preference */
};
void dfs_ref_free(struct dfs_ref *r);

/*
 * dfs_ref.c: the referral of a RESP_GET_DFS_REFERRAL p[0..n) answering a request for path (UTF-8),
 * whichever dialect carried it. -EPROTO (logged) for an answer that does not decode, covers no whole
 * component of path, or has no usable target; -EOPNOTSUPP for a domain or DC referral (name lists: a
 * domain-based namespace, which needs its domain controllers).
 */
int dfs_ref_from_rsp(const char *path, const uint8_t *p, size_t n, struct dfs_ref *out);
/* A decoder of a referral answer, as the transports take it: dfs_ref_decode is dfs_ref_from_rsp,
 * dfs_dcs_decode dfs_dcs_from_rsp (out their struct). */
typedef int dfs_decode_fn(const char *path, const uint8_t *p, size_t n, void *out);
dfs_decode_fn dfs_ref_decode, dfs_dcs_decode;

/* A server's referral service: a session on its IPC$ (smb2_dfs.c), opened once and kept; SMB1 when the
 * mount says vers=1.0 or the server speaks nothing else. */
struct dfs_ipc;
struct sess;
/* cfg names the server (host, port, address) and the credentials; errors as smb_client_new's. */
int dfs_ipc_open(const struct smb_client_cfg *cfg, struct dfs_ipc **out, char *errbuf, size_t errlen);
void dfs_ipc_free(struct dfs_ipc *ipc);
/* FSCTL_DFS_GET_REFERRALS (SMB1: TRANS2_GET_DFS_REFERRAL) for path ("\\server\\share\\..."): 0 and *out filled (dfs_ref_free), or a
 * negative errno (-ENOENT: the server has no referral for it). Thread-safe. */
int dfs_ipc_referral(struct dfs_ipc *ipc, const char *path, struct dfs_ref *out);

/* smb1_dfs.c: TRANS2_GET_DFS_REFERRAL for path on s, an SMB1 session on IPC$, as dfs_ipc_referral (-EIO,
 * logged, for an answer whose TRANS2 framing does not decode); whether SMB1 client cl's tree is a DFS share. */
struct smb1_sess;
int smb1_dfs_referral(struct smb1_sess *s, const char *path, struct dfs_ref *out);
/* The DC referral of domain ("\\DOMAIN") on s, as dfs_ipc_dcs (declared below). */
struct dfs_dcs;
int smb1_dfs_dcs(struct smb1_sess *s, const char *domain, struct dfs_dcs *out);
bool smb1_client_in_dfs(struct smb_client *cl);

/* ---- domain-based namespaces (dfs_dom.c): \\DOMAIN\namespace through the domain's DCs ---- */

/* A DC referral (MS-DFSC 2.2.5.3.2 with NameListReferral): the domain's controllers, in the server's
 * order, as host names (no backslash). */
struct dfs_dcs {
	uint32_t ttl;
	unsigned n;
	char *names[DFS_REF_MAX];
};
void dfs_dcs_free(struct dfs_dcs *d);
/* dfs_dom.c: the DC list of a RESP_GET_DFS_REFERRAL p[0..n) answering the request domain ("\\DOMAIN").
 * -ENOENT when the answer is no DC referral for it (a server, not a domain: no name list entry naming the
 * domain), -EPROTO (logged) when it does not decode or lists no usable name. */
int dfs_dcs_from_rsp(const char *domain, const uint8_t *p, size_t n, struct dfs_dcs *out);
/* smb2_dfs.c: the DC referral of domain ("\\DOMAIN"), over SMB1 too: 0 and *out (dfs_dcs_free), or a
 * negative errno (the server's refusal, -ENOENT, -EPROTO as dfs_dcs_from_rsp). */
int dfs_ipc_dcs(struct dfs_ipc *ipc, const char *domain, struct dfs_dcs *out);
/* The same on a further IPC$ tree of session s (sess_tree_new), disconnected afterwards. */
int dfs_sess_dcs(struct sess *s, const char *domain, struct dfs_dcs *out);
/* dfs_dom.c: when cfg->host names a domain (its DC referral lists DCs), mount cfg's namespace through
 * them: 0 and *out as smb_client_new, or a negative errno with errbuf; 1 when cfg->host is no domain
 * (the caller connects it as a server). With cfg->nodfs a domain is refused (-EREMOTE). ask: false
 * consults the DC lists cached from earlier answers, then the DC locator (DNS SRV records of the host's
 * name) and the DC referral of the DCs it names, by their host names; true consults the cache and asks
 * the host itself on an IPC$ session of its own. */
int dfs_domain_resolve(const struct smb_client_cfg *cfg, bool ask, struct smb_client **out, char *errbuf,
		       size_t errlen);
/* dfs_dom.c: *cl is the mount of cfg's share on cfg->host and s its SMB2 session (NULL over SMB1); when that
 * host names a domain (asked on s), *cl is freed and replaced by the mount through the domain's DCs, as
 * dfs_domain_resolve. 0 with *cl the mount, or a negative errno with errbuf (*cl NULL). */
int dfs_domain_check(const struct smb_client_cfg *cfg, struct sess *s, struct smb_client **cl, char *errbuf,
		     size_t errlen);
/* dfs_dom.c: forget the cached DC lists (tests). */
void dfs_dcs_cache_clear(void);

/* dfs_mount.c: connect the first of ref's targets that answers, with rest (the unconsumed tail of the
 * request, "" or "\\...") below it; what names the source in warnings. Returns as smb_client_new. */
int dfs_mount_targets(const struct smb_client_cfg *cfg, const struct dfs_ref *ref, const char *what,
		      const char *rest, int depth, struct smb_client **out, char *errbuf, size_t errlen);

/* dfs_mount.c: cfg's share root or subdir answered STATUS_PATH_NOT_COVERED (-EREMOTE): resolve the
 * source through referrals and connect the first target that answers (depth: referrals followed so far).
 * Returns as smb_client_new. */
int dfs_mount_resolve(const struct smb_client_cfg *cfg, int depth, struct smb_client **out, char *errbuf,
		      size_t errlen);

/* client.c: smb_client_new, dfs_depth referrals deep. */
int proto_client_new(const struct smb_client_cfg *cfg, int dfs_depth, struct smb_client **out, char *errbuf,
		     size_t errlen);

/* client.c: a client of cfg's share over tree, a tree of an existing session (sess_tree_new), which it
 * takes (freed with it, also on failure); no logon. SMB2/3. */
struct sess;
int proto_client_on_tree(const struct smb_client_cfg *cfg, struct sess *tree, struct smb_client **out,
			 char *errbuf, size_t errlen);

/* browse.c: the browse mount of cfg->host (no share): a root client listing the disk shares, behind a
 * router that enters each (dfs_router_browse). Returns as smb_client_new. */
int browse_new(const struct smb_client_cfg *cfg, struct smb_client **out, char *errbuf, size_t errlen);
struct browse;
void browse_free(struct browse *b);
/* The share path's first component names on browse root root (its name as the server spells it, into
 * name) connected as a tree of the mount's session in *out; 1 (*out NULL) when the share refuses us (the
 * root then answers for it, with the refusal, for a while); else a negative errno. */
int browse_tree(struct smb_client *root, const char *path, char name[256], struct sess **out);

/* ---- the router: DFS links below the mounted directory (dfs_path.c, dfs_router.c, dfs_ops.c) ---- */

/* A referral target taken apart (dfs_target_split): host, share, and path below the share ('/'-separated,
 * "" for its root). */
struct dfs_target {
	char *host, *share, *path;
};
/* -EPROTO for "\\server\\share[\\path]" that is malformed or holds a "." or ".." component or a '/'. */
int dfs_target_split(const char *t, struct dfs_target *out);
void dfs_target_free(struct dfs_target *t);

/* Components of p separated by sep, empty ones not counted. */
size_t dfs_path_ncomp(const char *p, char sep);
/* path is link or below it: the rest of path ("" or "/..."), a view into path; else NULL. "" covers all. */
const char *dfs_path_under(const char *path, const char *link);
/* a and rest ("" or "/...") joined with one '/', in a new string (NULL without memory). */
char *dfs_path_join(const char *a, const char *rest);
/*
 * The link a referral names, in mount terms. path (mount terms) was sent as inner + its rest below outer
 * (a route: outer maps to inner on a tree whose root is skip components deep in the request, "\\host\\share"
 * and the tree's subdir), and the request req's first consumed bytes are the link. 0 and the link in *out
 * (malloc'd); -EPROTO when consumed does not end at a component, ends at or above inner (the server
 * contradicts the route, or loops) or beyond path.
 */
int dfs_link_of_ref(const char *path, const char *outer, const char *inner, size_t skip, const char *req,
		    size_t consumed, char **out);

#define DFS_LINKS_MAX 256 /* links one mount keeps at once (the root's entry included) */
/* A route: paths at or below outer (mount terms) go to cl with outer replaced by inner. */
struct dfs_link {
	char *outer, *inner;
	struct smb_client *cl; /* a tree of the router's pool, which owns it */
	unsigned tag;	       /* the tree's: file ids of its attributes are xor'ed with tag << 56 */
	uint64_t expires;      /* CLOCK_MONOTONIC ms when the referral's TTL ends; 0: never (the root) */
	bool has_attr;	       /* attr: the target directory's, for the link's entry in its parent's listing */
	struct smb_attr attr;
};
void dfs_link_free(struct dfs_link *l);
struct dfs_table {
	struct dfs_link *v[DFS_LINKS_MAX];
	unsigned n;
};
/* The entry path goes through at time now (see dfs_path.c), NULL if none covers it. */
const struct dfs_link *dfs_table_match(const struct dfs_table *t, const char *path, uint64_t now);
/* Add l (the table owns it, also on failure), replacing the entry of its outer and every entry below it;
 * -ENOSPC when the table is full (l freed). */
int dfs_table_put(struct dfs_table *t, struct dfs_link *l);
void dfs_table_clear(struct dfs_table *t);

/* dfs_router.c: after smb_client_new made *cl, put a router in front of it when its tree is a DFS share
 * (SMB2_SHAREFLAG_DFS; SMB1: SMB_SHARE_IS_IN_DFS), so that links below the mounted directory are followed. cfg is the
 * mount's (copied: its credentials connect the targets). On failure *cl is freed and NULL. */
int dfs_router_wrap(const struct smb_client_cfg *cfg, struct smb_client **cl, char *errbuf, size_t errlen);
struct dfs_router;
void dfs_router_free(struct dfs_router *r);
/* dfs_router.c: a router in front of the browse root *cl (browse.c): a path inside a share the root has
 * not entered (-EREMOTE) binds that share (browse_tree) instead of asking for a referral. */
int dfs_router_browse(const struct smb_client_cfg *cfg, struct smb_client **cl, char *errbuf, size_t errlen);
bool dfs_router_is_browse(const struct dfs_router *r);

/* Where a path goes now: tree cl, path ipath on it (malloc'd), and the route taken (copies of its outer and
 * inner). at_link: path is a link itself, which rmdir, unlink, rename and link refuse (-EBUSY, as for a
 * mount point). dfs_route_get fails only with -ENOMEM (then *rt is empty); dfs_route_done frees. */
struct dfs_route {
	struct smb_client *cl;
	char *ipath, *outer, *inner;
	unsigned tag;
	bool at_link;
	int hops; /* referrals this op has followed */
	bool failed_over; /* this op has left a dead target once (dfs_failover) */
};
int dfs_route_get(struct dfs_router *r, const char *path, struct dfs_route *rt);
void dfs_route_done(struct dfs_route *rt);
/* via's tree answered -EREMOTE for path: find the link (a referral) and bind it. 0 when a new route for
 * path exists (found here or by another thread meanwhile), else a negative errno (logged). */
int dfs_resolve(struct dfs_router *r, const char *path, const struct dfs_route *via);
/* via's target tree is unreachable: bind path's link to the next target of a fresh referral that answers.
 * 0 when a new route for path exists, else a negative errno (logged). */
int dfs_failover(struct dfs_router *r, const char *path, const struct dfs_route *via);
/* After an op on rt returned *rc: true when *rc is -EREMOTE and the link was found, or *rc says rt's target
 * is unreachable and the link failed over (once per op) (*rt is the new route: send again), false otherwise
 * (*rc the error to return, *rt still to be done). */
bool dfs_route_again(struct dfs_router *r, const char *path, struct dfs_route *rt, int *rc);
/* Links known right below mount directory dir, with their target directories' attributes (for the
 * listing of dir); returns how many were put into out[0..max). */
struct dfs_child {
	char name[256];
	struct smb_attr attr;
	unsigned tag;
};
unsigned dfs_router_children(struct dfs_router *r, const char *dir, struct dfs_child *out, unsigned max);
struct smb_client *dfs_router_root(const struct dfs_router *r);
void dfs_router_set_events(struct dfs_router *r, const struct smb_events *ev);
size_t dfs_router_stats(struct dfs_router *r, char *buf, size_t len);
/* dfs_ops.c: the glue's table for a router over a tree whose table is base (optional ops as base has). */
void dfs_ops_fill(struct smb_ops *o, const struct smb_ops *base);

#endif
