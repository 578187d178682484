/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dfs_ops.c - the ops table of a DFS router (dfs_router.c; contract: ops.h, dfs_i.h). Each path op goes to
 * the tree its route names, with the path rewritten, and is sent again after a referral when the tree
 * answers -EREMOTE (STATUS_PATH_NOT_COVERED). Handles belong to the tree that opened them: the glue gets
 * a struct dfs_fh cast to struct smb_fh (never dereferenced as one), which names the tree, its handle and
 * the route it was opened through, so that a route changed by a TTL leaves open files where they are.
 *
 * File ids: a tree's ids (its server's) are xor'ed with its tag << 56 (0 for the mount's own tree, 1, 2,
 * ... for target shares in the order they were connected), so st_ino of files behind a link does not
 * collide with the root's: ids are disjoint whenever the servers leave the top byte zero (inode numbers
 * of Linux file systems, as Samba gives them); otherwise two ids collide only if they differ by exactly
 * a tag in that byte. Within one tree the map is one to one.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dfs_i.h"
#include "proto_i.h"
#include "smbfuse/log.h"

struct dfs_fh {
	struct smb_client *cl; /* the tree (the router's pool owns it) */
	struct smb_fh *fh;     /* the tree's handle, owned */
	unsigned tag;
	char *outer, *inner;   /* the route it was opened through */
};

#define R(cl) ((cl)->dfs)
#define W(fh) ((struct dfs_fh *)(fh))
/* Op name of tree c, -EOPNOTSUPP when its table has none. */
#define CALL(c, name, ...) ((c)->ops->name ? (c)->ops->name((c), __VA_ARGS__) : -EOPNOTSUPP)
/* call, sent to the tree path routes to (rt.cl, rt.ipath), and again after each referral; rt is to be done
 * by the caller. */
#define ROUTED(cl, path, rt, call)                                                                           \
	({                                                                                                   \
		int rc_ = dfs_route_get(R(cl), (path), &(rt));                                               \
		if (rc_ == 0)                                                                                \
			do                                                                                   \
				rc_ = (call);                                                                \
			while (dfs_route_again(R(cl), (path), &(rt), &rc_));                                 \
		rc_;                                                                                         \
	})

static void retag(unsigned tag, struct smb_attr *a)
{
	if (a && tag && a->file_id)
		a->file_id ^= (uint64_t)tag << 56;
}

/* The link itself is the target's directory: removing or moving it would act on the target share. A browse
 * mount's share directory likewise, and EPERM as for the rest of its top level (browse.c). */
static int refuse_link_of(struct smb_client *cl, const char *op, const char *path)
{
	if (dfs_router_is_browse(R(cl))) {
		log_info("%s /%s: a share of the server, which only its administrator can change (EPERM)", op, path);
		return -EPERM;
	}
	log_info("%s /%s: a DFS link, which only its namespace's administrator can change (EBUSY)", op, path);
	return -EBUSY;
}
#define refuse_link(op, path) refuse_link_of(cl, op, path)

static int d_stat(struct smb_client *cl, const char *path, struct smb_attr *out)
{
	struct dfs_route rt;
	int rc = ROUTED(cl, path, rt, CALL(rt.cl, stat, rt.ipath, out));
	if (rc == 0)
		retag(rt.tag, out);
	dfs_route_done(&rt);
	return rc;
}

static int d_open(struct smb_client *cl, const char *path, int flags, mode_t mode, struct smb_fh **out,
		  struct smb_attr *attr_out)
{
	struct dfs_route rt;
	struct smb_fh *fh = NULL;
	*out = NULL;
	int rc = ROUTED(cl, path, rt, CALL(rt.cl, open, rt.ipath, flags, mode, &fh, attr_out));
	if (rc == 0) {
		struct dfs_fh *w = calloc(1, sizeof(*w));
		if (!w) {
			rt.cl->ops->close(rt.cl, fh);
			rc = -ENOMEM;
		} else {
			*w = (struct dfs_fh){.cl = rt.cl, .fh = fh, .tag = rt.tag, .outer = rt.outer, .inner = rt.inner};
			rt.outer = rt.inner = NULL; /* moved */
			retag(w->tag, attr_out);
			*out = (struct smb_fh *)w;
		}
	}
	dfs_route_done(&rt);
	return rc;
}

static int d_close(struct smb_client *cl, struct smb_fh *fh)
{
	(void)cl;
	struct dfs_fh *w = W(fh);
	int rc = w->cl->ops->close(w->cl, w->fh);
	free(w->outer);
	free(w->inner);
	free(w);
	return rc;
}

static ssize_t d_read(struct smb_client *cl, struct smb_fh *fh, void *buf, size_t size, uint64_t off)
{
	(void)cl;
	return W(fh)->cl->ops->read(W(fh)->cl, W(fh)->fh, buf, size, off);
}

static ssize_t d_write(struct smb_client *cl, struct smb_fh *fh, const void *buf, size_t size, uint64_t off)
{
	(void)cl;
	return W(fh)->cl->ops->write(W(fh)->cl, W(fh)->fh, buf, size, off);
}

static int d_flush(struct smb_client *cl, struct smb_fh *fh)
{
	(void)cl;
	struct dfs_fh *w = W(fh);
	return w->cl->ops->flush ? w->cl->ops->flush(w->cl, w->fh) : 0;
}

static int d_fsync(struct smb_client *cl, struct smb_fh *fh)
{
	(void)cl;
	return CALL(W(fh)->cl, fsync, W(fh)->fh);
}

static int d_fstat(struct smb_client *cl, struct smb_fh *fh, struct smb_attr *out)
{
	(void)cl;
	int rc = CALL(W(fh)->cl, fstat, W(fh)->fh, out);
	if (rc == 0)
		retag(W(fh)->tag, out);
	return rc;
}

static int d_setattr(struct smb_client *cl, const char *path, struct smb_fh *fh, const struct smb_setattr *sa,
		     struct smb_attr *attr_out)
{
	struct dfs_route rt;
	int rc;
	if (fh) { /* by handle: on its tree, the path through the route it was opened by */
		struct dfs_fh *w = W(fh);
		const char *rest = dfs_path_under(path, w->outer);
		char *ip = rest ? dfs_path_join(w->inner, rest) : strdup(path);
		rc = ip ? CALL(w->cl, setattr, ip, w->fh, sa, attr_out) : -ENOMEM;
		free(ip);
		if (rc == 0)
			retag(w->tag, attr_out);
		return rc;
	}
	rc = ROUTED(cl, path, rt, CALL(rt.cl, setattr, rt.ipath, NULL, sa, attr_out));
	if (rc == 0)
		retag(rt.tag, attr_out);
	dfs_route_done(&rt);
	return rc;
}

/* A listing of one tree's directory, as the mount sees it: ids retagged, and a link known right below it
 * shown with its target directory's attributes (what a lookup of it gives), not the server's entry. */
#define LIST_LINKS 16
struct list_arg {
	smb_dirent_fn fn;
	void *arg;
	unsigned tag;
	unsigned nlinks;
	struct dfs_child links[LIST_LINKS];
};

static int list_one(void *arg, const char *name, const struct smb_attr *attr)
{
	struct list_arg *la = arg;
	struct smb_attr a = *attr;
	retag(la->tag, &a);
	for (unsigned i = 0; i < la->nlinks; i++)
		if (!strcasecmp(name, la->links[i].name)) {
			a = la->links[i].attr;
			retag(la->links[i].tag, &a);
		}
	return la->fn(la->arg, name, &a);
}

static int d_readdir(struct smb_client *cl, const char *path, smb_dirent_fn fn, void *arg, struct smb_attr *self)
{
	struct dfs_route rt;
	struct list_arg *la = calloc(1, sizeof(*la));
	if (!la)
		return -ENOMEM;
	la->fn = fn;
	la->arg = arg;
	la->nlinks = dfs_router_children(R(cl), path, la->links, LIST_LINKS);
	int rc = ROUTED(cl, path, rt, (la->tag = rt.tag, CALL(rt.cl, readdir, rt.ipath, list_one, la, self)));
	if (rc == 0 && self)
		retag(la->tag, self);
	dfs_route_done(&rt);
	free(la);
	return rc;
}

static int d_mkdir(struct smb_client *cl, const char *path, mode_t mode, struct smb_attr *attr_out)
{
	struct dfs_route rt;
	int rc = ROUTED(cl, path, rt, CALL(rt.cl, mkdir, rt.ipath, mode, attr_out));
	if (rc == 0)
		retag(rt.tag, attr_out);
	dfs_route_done(&rt);
	return rc;
}

static int d_rmdir(struct smb_client *cl, const char *path)
{
	struct dfs_route rt;
	int rc = ROUTED(cl, path, rt, rt.at_link ? refuse_link("rmdir", path) : CALL(rt.cl, rmdir, rt.ipath));
	dfs_route_done(&rt);
	return rc;
}

static int d_unlink(struct smb_client *cl, const char *path, unsigned flags)
{
	struct dfs_route rt;
	int rc = ROUTED(cl, path, rt, rt.at_link ? refuse_link("unlink", path) : CALL(rt.cl, unlink, rt.ipath, flags));
	dfs_route_done(&rt);
	return rc;
}

/* An op on two paths (rename, link): both must go to one tree, else -EXDEV (mv then copies). */
enum two_op { TWO_RENAME, TWO_LINK };

static int two_paths(struct smb_client *cl, enum two_op op, const char *from, const char *to, unsigned flags,
		     struct smb_attr *attr_out)
{
	const char *name = op == TWO_RENAME ? "rename" : "link";
	int rc = 0;
	for (int hop = 0;; hop++) {
		struct dfs_route a, b = {0};
		rc = dfs_route_get(R(cl), from, &a) ?: dfs_route_get(R(cl), to, &b);
		if (rc == 0 && (a.at_link || b.at_link))
			rc = refuse_link(name, a.at_link ? from : to);
		else if (rc == 0 && a.cl != b.cl) {
			log_info("%s /%s to /%s: they lie on different DFS targets (EXDEV)", name, from, to);
			rc = -EXDEV;
		} else if (rc == 0)
			rc = op == TWO_RENAME ? CALL(a.cl, rename, a.ipath, b.ipath, flags)
					      : CALL(a.cl, link, a.ipath, b.ipath, attr_out);
		if (rc == 0 && op == TWO_LINK)
			retag(a.tag, attr_out);
		/* Either path may cross a link its route does not know yet. */
		if (rc == -EREMOTE && hop < 4) {
			int e = dfs_resolve(R(cl), from, &a);
			if (e < 0)
				e = dfs_resolve(R(cl), to, &b);
			if (e < 0)
				rc = e;
		}
		dfs_route_done(&a);
		dfs_route_done(&b);
		if (rc != -EREMOTE || hop >= 4)
			return rc;
	}
}

static int d_rename(struct smb_client *cl, const char *from, const char *to, unsigned flags)
{
	return two_paths(cl, TWO_RENAME, from, to, flags, NULL);
}

static int d_link(struct smb_client *cl, const char *from, const char *to, struct smb_attr *attr_out)
{
	return two_paths(cl, TWO_LINK, from, to, 0, attr_out);
}

static int d_statfs(struct smb_client *cl, struct smb_statfs *out)
{
	struct smb_client *root = dfs_router_root(R(cl));
	return root->ops->statfs(root, out);
}

static int d_snapshots(struct smb_client *cl, const char *path, char **out)
{
	struct dfs_route rt;
	int rc = ROUTED(cl, path, rt, CALL(rt.cl, snapshots, rt.ipath, out));
	dfs_route_done(&rt);
	return rc;
}

static int d_symlink(struct smb_client *cl, const char *target, const char *path, struct smb_attr *attr_out)
{
	struct dfs_route rt;
	int rc = ROUTED(cl, path, rt, rt.cl->ops->symlink ? rt.cl->ops->symlink(rt.cl, target, rt.ipath, attr_out)
							  : -EOPNOTSUPP);
	if (rc == 0)
		retag(rt.tag, attr_out);
	dfs_route_done(&rt);
	return rc;
}

static int d_readlink(struct smb_client *cl, const char *path, char **out)
{
	struct dfs_route rt;
	int rc = ROUTED(cl, path, rt, CALL(rt.cl, readlink, rt.ipath, out));
	dfs_route_done(&rt);
	return rc;
}

static void d_set_events(struct smb_client *cl, const struct smb_events *ev)
{
	dfs_router_set_events(R(cl), ev);
}

static unsigned d_cached(struct smb_client *cl, const char *path)
{
	struct dfs_route rt;
	if (dfs_route_get(R(cl), path, &rt) < 0)
		return 0;
	unsigned c = rt.cl->ops->cached ? rt.cl->ops->cached(rt.cl, rt.ipath) : 0;
	dfs_route_done(&rt);
	return c;
}

static int d_watch(struct smb_client *cl, const char *path)
{
	struct dfs_route rt;
	int rc = ROUTED(cl, path, rt, rt.cl->ops->watch ? rt.cl->ops->watch(rt.cl, rt.ipath) : 0);
	dfs_route_done(&rt);
	return rc;
}

static size_t d_stats(struct smb_client *cl, char *buf, size_t len)
{
	return dfs_router_stats(R(cl), buf, len);
}

static int d_lock(struct smb_client *cl, struct smb_fh *fh, uint64_t off, uint64_t len, unsigned flags)
{
	(void)cl;
	return CALL(W(fh)->cl, lock, W(fh)->fh, off, len, flags);
}

static int d_unlock(struct smb_client *cl, struct smb_fh *fh, uint64_t off, uint64_t len)
{
	(void)cl;
	return CALL(W(fh)->cl, unlock, W(fh)->fh, off, len);
}

static int d_fallocate(struct smb_client *cl, struct smb_fh *fh, unsigned mode, uint64_t off, uint64_t len)
{
	(void)cl;
	return CALL(W(fh)->cl, fallocate, W(fh)->fh, mode, off, len);
}

static int d_seek(struct smb_client *cl, struct smb_fh *fh, uint64_t off, int whence, uint64_t *out)
{
	(void)cl;
	return CALL(W(fh)->cl, seek, W(fh)->fh, off, whence, out);
}

static ssize_t d_copy_range(struct smb_client *cl, struct smb_fh *src, uint64_t src_off, struct smb_fh *dst,
			    uint64_t dst_off, uint64_t len)
{
	(void)cl;
	struct dfs_fh *s = W(src), *d = W(dst);
	if (s->cl != d->cl) {
		log_dbg("copy_file_range across two DFS targets: the server cannot copy it (EOPNOTSUPP)");
		return -EOPNOTSUPP; /* the kernel copies with read and write */
	}
	return s->cl->ops->copy_range ? s->cl->ops->copy_range(s->cl, s->fh, src_off, d->fh, dst_off, len)
				      : -EOPNOTSUPP;
}

static int d_list_eas(struct smb_client *cl, const char *path, smb_ea_fn fn, void *arg)
{
	struct dfs_route rt;
	int rc = ROUTED(cl, path, rt, CALL(rt.cl, list_eas, rt.ipath, fn, arg));
	dfs_route_done(&rt);
	return rc;
}

static int d_set_ea(struct smb_client *cl, const char *path, const char *name, const void *value, size_t len)
{
	struct dfs_route rt;
	int rc = ROUTED(cl, path, rt, CALL(rt.cl, set_ea, rt.ipath, name, value, len));
	dfs_route_done(&rt);
	return rc;
}

static int d_get_sd(struct smb_client *cl, const char *path, uint32_t secinfo, void **out, size_t *len)
{
	struct dfs_route rt;
	int rc = ROUTED(cl, path, rt, CALL(rt.cl, get_sd, rt.ipath, secinfo, out, len));
	dfs_route_done(&rt);
	return rc;
}

static int d_set_sd(struct smb_client *cl, const char *path, uint32_t secinfo, const void *sd, size_t len)
{
	struct dfs_route rt;
	int rc = ROUTED(cl, path, rt, CALL(rt.cl, set_sd, rt.ipath, secinfo, sd, len));
	dfs_route_done(&rt);
	return rc;
}

static const struct smb_ops dfs_ops = {
    .stat = d_stat,
    .open = d_open,
    .close = d_close,
    .read = d_read,
    .write = d_write,
    .flush = d_flush,
    .fsync = d_fsync,
    .fstat = d_fstat,
    .setattr = d_setattr,
    .readdir = d_readdir,
    .mkdir = d_mkdir,
    .rmdir = d_rmdir,
    .unlink = d_unlink,
    .rename = d_rename,
    .statfs = d_statfs,
    .snapshots = d_snapshots,
    .link = d_link,
    .symlink = d_symlink,
    .readlink = d_readlink,
    .set_events = d_set_events,
    .cached = d_cached,
    .watch = d_watch,
    .stats = d_stats,
    .lock = d_lock,
    .unlock = d_unlock,
    .fallocate = d_fallocate,
    .seek = d_seek,
    .copy_range = d_copy_range,
    .list_eas = d_list_eas,
    .set_ea = d_set_ea,
    .get_sd = d_get_sd,
    .set_sd = d_set_sd,
};

void dfs_ops_fill(struct smb_ops *o, const struct smb_ops *base)
{
	*o = dfs_ops;
	/* The glue reads a NULL op as "this mount has none" (symlinks, EAs, ...): keep the mount's own. */
#define KEEP(name)                                                                                           \
	if (!base->name)                                                                                     \
		o->name = NULL;
	KEEP(flush) KEEP(snapshots) KEEP(link) KEEP(symlink) KEEP(readlink) KEEP(set_events) KEEP(cached)
	KEEP(watch) KEEP(lock) KEEP(unlock) KEEP(fallocate) KEEP(seek) KEEP(copy_range) KEEP(list_eas)
	KEEP(set_ea) KEEP(get_sd) KEEP(set_sd)
#undef KEEP
}
