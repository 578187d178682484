/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cache.c - what the daemon caches itself, and how the proto layer's coherence events reach the kernel.
 *
 * The cache model. Most caching is the kernel's: attributes and names (FUSE entry/attr timeouts) and file
 * data (the page cache, keep_cache). The daemon decides how long the kernel may trust them and takes them
 * back with fuse_lowlevel_notify_inval_inode/_entry when the server says they changed:
 *  - with no lease, attributes and names live actimeo seconds (1 by default), as before;
 *  - while a lease grants read caching on a file (ops->cached), its attributes live FS_LEASE_TIMEOUT; a
 *    break or the lease's end (SMB_EV_FILE) invalidates its attributes and pages at once;
 *  - a directory the kernel lists gets a watch (ops->watch, CHANGE_NOTIFY). While it holds, the daemon
 *    keeps the listing (so a second `ls -l` costs no request), answers lookups of names that are not in it
 *    with ENOENT (negative cache), answers lookups of names that are from it while the listing is younger
 *    than actimeo, and gives names in it FS_WATCH_TIMEOUT. A change notification for a name
 *    (SMB_EV_ENTRY) takes that name out of what the listing answers (list_dirty; our own change of a
 *    name does the same under a directory lease, and drops the listing without one) and drops that name's dentry and attributes; an overflow or the watch's end
 *    (SMB_EV_DIR) drops the listing and every dentry below the directory;
 *  - a reconnect (SMB_EV_ALL) drops everything.
 * cache=none turns all of it off: zero timeouts, no listing, no lease-backed timeouts.
 * Listings are bounded by the number of watches the proto layer allows (a listing is kept only while its
 * directory is watched).
 *
 * Threads. Events arrive on the proto layer's workers, never inside a FUSE callback, which is what
 * fuse_lowlevel.h requires of notify_inval_* (the kernel may hold locks of the inode while it waits for the
 * callback's reply). fs->lock is released before each notify call.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "fs_i.h"
#include "smbfuse/log.h"
#include "smbfuse/util.h"

#define DIRTY_MAX 4096	      /* names a listing may have lost track of before it goes */
#define FETCH_BACKOFF_MS 5000 /* listing.c: no listing for lookups after one that did not pay, for this long */
#define CNT(x) atomic_fetch_add_explicit(&(x), 1, memory_order_relaxed)
#define LOAD(x) ((unsigned long long)atomic_load_explicit(&(x), memory_order_relaxed))

static struct fs_inode *ino_locked(struct fs *fs, fuse_ino_t ino)
{
	uint64_t key = ino;
	return g_hash_table_lookup(fs->by_id, &key);
}

static struct fs_inode *child_locked(struct fs *fs, struct fs_inode *p, const char *name)
{
	return fs_inode_named_locked(fs, p, name);
}

/* The node of a share-relative path, or NULL if the kernel does not know it. */
static struct fs_inode *find_locked(struct fs *fs, const char *path)
{
	struct fs_inode *n = ino_locked(fs, FUSE_ROOT_ID);
	char *copy = g_strdup(path), *save = NULL;
	for (char *c = strtok_r(copy, "/", &save); n && c; c = strtok_r(NULL, "/", &save))
		n = child_locked(fs, n, c);
	g_free(copy);
	return n;
}

void fs_cache_drop_locked(struct fs_inode *n)
{
	if (n->list)
		g_ptr_array_unref(n->list);
	if (n->list_idx)
		g_hash_table_destroy(n->list_idx);
	if (n->list_dirty)
		g_hash_table_destroy(n->list_dirty);
	n->list = NULL;
	n->list_idx = NULL;
	n->list_dirty = NULL;
	n->dir_epoch++;
}

/* The listing of directory n no longer knows name; the other names keep what it says of them, as a change
 * of one name is notified by itself (a `touch` of 2,000 new names in a listed directory: each lookup of the
 * next name is answered absent without a request). dir_epoch moves, so a listing being fetched across the
 * change is not stored. */
static void forget_name_locked(struct fs_inode *n, const char *name)
{
	if (!n->list || !name || (n->list_dirty && g_hash_table_size(n->list_dirty) >= DIRTY_MAX)) {
		fs_cache_drop_locked(n);
		return;
	}
	if (!n->list_dirty)
		n->list_dirty = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_hash_table_add(n->list_dirty, g_utf8_casefold(name, -1));
	n->dir_epoch++;
}

/* A listing that still answers for every name in it. */
static bool list_whole_locked(const struct fs_inode *n)
{
	return n->list && !n->list_dirty;
}

bool fs_cache_dir_attr(struct fs *fs, fuse_ino_t ino, struct smb_attr *a)
{
	bool hit = false;
	pthread_mutex_lock(&fs->lock);
	struct fs_inode *n = ino_locked(fs, ino);
	if (n && list_whole_locked(n) && smb_attr_is_dir(&n->attr)) {
		*a = n->attr;
		hit = true;
	}
	pthread_mutex_unlock(&fs->lock);
	if (hit)
		CNT(fs->lookup_hits);
	return hit;
}

static unsigned listing_vouched(struct fs *fs, fuse_ino_t ino);

/* Whether our own change of a name in directory dir may leave the rest of its listing standing: under a
 * directory lease, or in a directory this mount made (fs_cache_made_dir). A watch alone tells of another
 * client's change only after that change, so a listing kept past our own change would answer "absent"
 * for a name another client made just after it; dropping it lets the next lookup ask, as it always has
 * (test_mount.py, test_cache_modes). Under the lease, that client's CREATE breaks it first, and our own
 * creates name its key (ParentLeaseKey); a directory made here is the bargain of fs_cache_made_dir. */
static bool own_change_keeps(struct fs *fs, fuse_ino_t dir)
{
	return dir && (fs_cache_made_here(fs, dir) || (listing_vouched(fs, dir) & SMB_CACHE_DIRLEASE));
}

static void name_changed_locked(struct fs_inode *dir, const char *name, bool keep)
{
	if (keep)
		forget_name_locked(dir, name);
	else
		fs_cache_drop_locked(dir);
}

static fuse_ino_t parent_of(struct fs *fs, fuse_ino_t ino)
{
	pthread_mutex_lock(&fs->lock);
	struct fs_inode *n = ino_locked(fs, ino);
	fuse_ino_t p = n && n->parent ? n->parent->nodeid : 0;
	pthread_mutex_unlock(&fs->lock);
	return p;
}

void fs_cache_changed(struct fs *fs, fuse_ino_t ino, bool dir)
{
	if (!dir)
		fs_ra_drop(fs, ino);
	fuse_ino_t parent = dir ? 0 : parent_of(fs, ino);
	bool keep = own_change_keeps(fs, parent);
	pthread_mutex_lock(&fs->lock);
	struct fs_inode *n = ino_locked(fs, ino);
	/* Every directory naming a hard-linked file lists its size and times. */
	for (GSList *l = n && !dir ? n->aliases : NULL; l; l = l->next)
		fs_cache_drop_locked(((struct fs_alias *)l->data)->parent);
	if (n)
		fs_inode_attr_changed_locked(n);
	if (n && dir)
		fs_cache_drop_locked(n);
	else if (n && n->parent)
		name_changed_locked(n->parent, n->name, keep && n->parent->nodeid == parent);
	pthread_mutex_unlock(&fs->lock);
}

void fs_cache_name_changed(struct fs *fs, fuse_ino_t parent, const char *name)
{
	bool keep = own_change_keeps(fs, parent);
	pthread_mutex_lock(&fs->lock);
	struct fs_inode *n = ino_locked(fs, parent);
	if (n) {
		fs_inode_attr_changed_locked(n);
		name_changed_locked(n, name, keep);
	}
	pthread_mutex_unlock(&fs->lock);
}

/* tar -x, cp -r, unzip, git checkout: files made in directories just made. Each new name's lookup would
 * cost a round trip, as a listing fetched for lookups alone answers no absent name (fs_cache_lookup). In
 * a directory of our own making, it does, as after a readdir: the same bargain (another client's new name
 * is seen once notified), in a directory nobody else had a reason to fill. */
void fs_cache_made_dir(struct fs *fs, fuse_ino_t parent, const char *name)
{
	pthread_mutex_lock(&fs->lock);
	struct fs_inode *p = ino_locked(fs, parent);
	struct fs_inode *n = p ? child_locked(fs, p, name) : NULL;
	if (n)
		n->made_here = true;
	pthread_mutex_unlock(&fs->lock);
}

bool fs_cache_made_here(struct fs *fs, fuse_ino_t ino)
{
	pthread_mutex_lock(&fs->lock);
	struct fs_inode *n = ino_locked(fs, ino);
	bool made = n && n->made_here;
	pthread_mutex_unlock(&fs->lock);
	return made;
}

bool fs_cache_watch(struct fs *fs, const char *path)
{
	if (fs->cfg.cache == FS_CACHE_NONE || !fs->ops->watch)
		return false;
	return fs->ops->watch(fs->cl, path) == 1;
}

/* Whether the proto layer still vouches for directory ino's listing. A directory lease break marks it
 * at once, on the receive thread; the listing itself goes only when the SMB_EV_DIR that follows the
 * break worker's CLOSE arrives, and meanwhile another client's new name would be answered ENOENT.
 * Returns the SMB_CACHE_LISTING and SMB_CACHE_DIRLEASE bits of ops->cached. */
static unsigned listing_vouched(struct fs *fs, fuse_ino_t ino)
{
	char *path;
	if (!fs->ops->cached || fs_inode_path(fs, ino, NULL, &path) < 0)
		return 0;
	unsigned how = fs->ops->cached(fs->cl, path) & (SMB_CACHE_LISTING | SMB_CACHE_DIRLEASE);
	g_free(path);
	return how & SMB_CACHE_LISTING ? how : 0;
}

GPtrArray *fs_cache_listing(struct fs *fs, fuse_ino_t ino, bool listed, uint64_t *epoch, struct fs_list_check *check)
{
	GPtrArray *out = NULL;
	/* A listing fetched for lookups alone is not a readdir's to reuse without a directory lease: a name
	 * another client made since may not be notified yet (fs_cache_lookup), and ls would miss it. Nor,
	 * in cache=strict, one a watch alone vouches for: its notification of another client's change
	 * travels after that change, so the readdir first compares the directory's times (listing.c). */
	bool leased = listed && (listing_vouched(fs, ino) & SMB_CACHE_DIRLEASE);
	memset(check, 0, sizeof(*check));
	pthread_mutex_lock(&fs->lock);
	struct fs_inode *n = ino_locked(fs, ino);
	if (n && list_whole_locked(n) && (!listed || n->list_listed || leased)) {
		out = g_ptr_array_ref(n->list);
		if (listed && !leased && fs->cfg.cache == FS_CACHE_STRICT && n->list_self) {
			check->needed = true;
			check->mtime = n->list_mtime;
			check->ctime = n->list_ctime;
		}
	}
	*epoch = n ? n->dir_epoch : 0;
	pthread_mutex_unlock(&fs->lock);
	if (out)
		CNT(fs->list_hits);
	else
		CNT(fs->list_misses);
	return out;
}

uint64_t fs_cache_listing_stale(struct fs *fs, fuse_ino_t ino)
{
	CNT(fs->list_stale);
	pthread_mutex_lock(&fs->lock);
	struct fs_inode *n = ino_locked(fs, ino);
	if (n)
		fs_cache_drop_locked(n);
	uint64_t epoch = n ? n->dir_epoch : 0;
	pthread_mutex_unlock(&fs->lock);
	return epoch;
}

void fs_cache_store(struct fs *fs, fuse_ino_t ino, uint64_t epoch, GPtrArray *ents, bool listed,
		    const struct smb_attr *self)
{
	GHashTable *idx = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	for (guint i = 0; i < ents->len; i++) {
		struct fs_dirent *d = g_ptr_array_index(ents, i);
		g_hash_table_insert(idx, g_utf8_casefold(d->name, -1), d);
	}
	pthread_mutex_lock(&fs->lock);
	struct fs_inode *n = ino_locked(fs, ino);
	/* An invalidation during the fetch means the listing may predate a change: do not keep it. */
	if (n && (n->hashed || n->nodeid == FUSE_ROOT_ID) && n->dir_epoch == epoch) {
		fs_cache_drop_locked(n);
		n->list = g_ptr_array_ref(ents);
		n->list_idx = idx;
		n->list_ms = now_ms();
		n->list_listed = listed;
		/* A server that gave no times for the directory (zero) leaves nothing to compare with. */
		n->list_self = self && (self->mtime.tv_sec || self->mtime.tv_nsec);
		if (n->list_self) {
			n->list_mtime = self->mtime;
			n->list_ctime = self->ctime;
		}
		idx = NULL;
	}
	pthread_mutex_unlock(&fs->lock);
	if (idx)
		g_hash_table_destroy(idx);
}

bool fs_cache_second_miss(struct fs *fs, fuse_ino_t parent, unsigned within_ms)
{
	bool want = false;
	uint64_t now = now_ms();
	pthread_mutex_lock(&fs->lock);
	struct fs_inode *n = ino_locked(fs, parent);
	/* A listing older than actimeo answers no positive lookup (fs_cache_lookup): fetch it again. Not if
	 * the last one was dropped before it answered a second lookup (creates of new names, each of which
	 * drops it: `touch a b c`), for a while. */
	bool paid = !n || !n->fetch_ms || now - n->fetch_ms >= FETCH_BACKOFF_MS || n->fetch_hits >= 2;
	if (n && paid && !n->list_fetching &&
	    (!n->list || now - n->list_ms >= (uint64_t)(fs->cfg.attr_timeout * 1000))) {
		want = n->miss_ms && now - n->miss_ms < within_ms;
		n->miss_ms = now;
		n->list_fetching = want;
	}
	pthread_mutex_unlock(&fs->lock);
	return want;
}

void fs_cache_fetched(struct fs *fs, fuse_ino_t parent)
{
	pthread_mutex_lock(&fs->lock);
	struct fs_inode *n = ino_locked(fs, parent);
	if (n) {
		n->list_fetching = false;
		n->miss_ms = 0;
		n->fetch_ms = now_ms();
		n->fetch_hits = 0;
	}
	pthread_mutex_unlock(&fs->lock);
}

int fs_cache_lookup(struct fs *fs, fuse_ino_t parent, const char *name, struct smb_attr *a)
{
	int r = -EAGAIN;
	if (fs->cfg.cache == FS_CACHE_NONE)
		return r;
	unsigned how = listing_vouched(fs, parent);
	if (!how) {
		CNT(fs->lookup_misses);
		return r;
	}
	char *fold = g_utf8_casefold(name, -1);
	pthread_mutex_lock(&fs->lock);
	struct fs_inode *p = ino_locked(fs, parent);
	if (p && p->list_idx) {
		struct fs_dirent *d = g_hash_table_lookup(p->list_idx, fold);
		bool dirty = p->list_dirty && g_hash_table_contains(p->list_dirty, fold);
		/* Not even a case-insensitive match: the server would say ENOENT too, unless another client
		 * made the name since and the watch has not told yet. That is the bargain of a listing the
		 * user asked for; one fetched for lookups alone answers absent names only under a directory
		 * lease, whose break comes before the other client's CREATE completes. */
		if (dirty) {
			/* changed since the listing: the server says */
		} else if (!d) {
			if (p->list_listed || (how & SMB_CACHE_DIRLEASE))
				r = 0;
		} else if (strcmp(d->name, name) == 0 && now_ms() - p->list_ms < (uint64_t)(fs->cfg.attr_timeout * 1000)) {
			*a = d->attr;
			r = 1;
		}
		if (r >= 0)
			p->fetch_hits++; /* the listing paid (fs_cache_second_miss) */
	}
	pthread_mutex_unlock(&fs->lock);
	g_free(fold);
	if (r == 0)
		CNT(fs->lookup_neg_hits);
	else if (r == 1)
		CNT(fs->lookup_hits);
	else
		CNT(fs->lookup_misses);
	return r;
}

bool fs_cache_listing_names(struct fs *fs, fuse_ino_t parent, const char *name)
{
	char *fold = g_utf8_casefold(name, -1);
	pthread_mutex_lock(&fs->lock);
	struct fs_inode *p = ino_locked(fs, parent);
	bool has = p && p->list_idx && g_hash_table_contains(p->list_idx, fold);
	pthread_mutex_unlock(&fs->lock);
	g_free(fold);
	return has;
}

double fs_cache_attr_timeout(struct fs *fs, fuse_ino_t ino, const char *path)
{
	if (fs->cfg.cache == FS_CACHE_NONE)
		return fs->cfg.attr_timeout;
	/* A watched directory: any change of an entry changes its mtime, and is notified (SMB_EV_ENTRY). */
	pthread_mutex_lock(&fs->lock);
	struct fs_inode *n = ino ? ino_locked(fs, ino) : NULL;
	bool watched = n && list_whole_locked(n);
	pthread_mutex_unlock(&fs->lock);
	if (watched)
		return FS_WATCH_TIMEOUT;
	if (!fs->ops->cached || !path)
		return fs->cfg.attr_timeout;
	return (fs->ops->cached(fs->cl, path) & SMB_CACHE_READ) ? FS_LEASE_TIMEOUT : fs->cfg.attr_timeout;
}

/* ---- events (proto workers) ---- */

struct inval {
	fuse_ino_t ino;	   /* inode to invalidate, or 0 */
	fuse_ino_t parent; /* with name: dentry to invalidate */
	char *name;
};

static void inval_add(GArray *a, fuse_ino_t ino, fuse_ino_t parent, const char *name)
{
	struct inval v = {ino, parent, name ? g_strdup(name) : NULL};
	g_array_append_val(a, v);
}

/* Collect what an event invalidates, under fs->lock. */
static void collect_locked(struct fs *fs, enum smb_event_kind kind, const char *path, const char *name, GArray *out)
{
	struct fs_inode *n = kind == SMB_EV_ALL ? NULL : find_locked(fs, path);
	GHashTableIter it;
	gpointer k, v;
	switch (kind) {
	case SMB_EV_FILE:
		if (n) {
			fs_inode_attr_changed_locked(n);
			inval_add(out, n->nodeid, 0, NULL);
		}
		break;
	case SMB_EV_ENTRY:
		if (!n)
			break;
		forget_name_locked(n, name);
		fs_inode_attr_changed_locked(n);
		inval_add(out, n->nodeid, 0, NULL); /* its mtime moved */
		inval_add(out, 0, n->nodeid, name);
		struct fs_inode *ch = child_locked(fs, n, name);
		if (ch) {
			fs_inode_attr_changed_locked(ch);
			inval_add(out, ch->nodeid, 0, NULL);
		}
		break;
	case SMB_EV_DIR:
	case SMB_EV_ALL:
		g_hash_table_iter_init(&it, fs->by_id);
		while (g_hash_table_iter_next(&it, &k, &v)) {
			struct fs_inode *c = v;
			if (kind == SMB_EV_ALL || c == n || c->parent == n)
				fs_inode_attr_changed_locked(c);
			if (kind == SMB_EV_ALL || c == n)
				fs_cache_drop_locked(c);
			if (kind == SMB_EV_ALL && c->nodeid != FUSE_ROOT_ID)
				inval_add(out, c->nodeid, 0, NULL);
			if (c->parent && c->hashed && (kind == SMB_EV_ALL || c->parent == n))
				inval_add(out, 0, c->parent->nodeid, c->name);
		}
		g_hash_table_iter_init(&it, fs->by_alias);
		while (g_hash_table_iter_next(&it, &k, &v)) {
			struct fs_alias *a = v;
			if (kind == SMB_EV_ALL || a->parent == n) {
				fs_inode_attr_changed_locked(a->node);
				inval_add(out, 0, a->parent->nodeid, a->name);
			}
		}
		if (n)
			inval_add(out, n->nodeid, 0, NULL);
		break;
	}
}

static void fs_on_event(void *arg, enum smb_event_kind kind, const char *path, const char *name)
{
	struct fs *fs = arg;
	GArray *todo = g_array_new(false, false, sizeof(struct inval));
	pthread_mutex_lock(&fs->lock);
	collect_locked(fs, kind, path, name, todo);
	pthread_mutex_unlock(&fs->lock);
	if (kind == SMB_EV_ALL)
		fs_ra_drop(fs, 0);
	log_dbg("cache event %d \"%s\"%s%s: %u invalidations", kind, path, name ? " " : "", name ? name : "",
		todo->len);
	for (guint i = 0; i < todo->len; i++) {
		struct inval *v = &g_array_index(todo, struct inval, i);
		/* -ENOENT: the kernel has already forgotten it, which is as good. */
		if (v->ino)
			fs_ra_drop(fs, v->ino); /* before the ack that lets another client write */
		if (fs->mounted && v->ino) {
			fuse_lowlevel_notify_inval_inode(fs->se, v->ino, 0, 0);
			CNT(fs->inval_inodes);
		} else if (fs->mounted && v->name) {
			fs_expire_entry(fs, v->parent, v->name); /* never unhash: a cwd may be below (expire.c) */
			CNT(fs->inval_entries);
		}
		g_free(v->name);
	}
	g_array_free(todo, true);
}

void fs_cache_init(struct fs *fs)
{
	if (fs->ops->set_events) {
		struct smb_events ev = {.event = fs_on_event, .arg = fs};
		fs->ops->set_events(fs->cl, &ev);
	}
}

void fs_cache_fini(struct fs *fs)
{
	if (fs->ops->set_events) {
		struct smb_events ev = {.event = NULL, .arg = NULL};
		fs->ops->set_events(fs->cl, &ev);
	}
}

/* ---- user.smbfuse.stats ---- */

size_t fs_stats(struct fs *fs, char *buf, size_t len)
{
	int n = snprintf(buf, len,
			 "cache.lookup_hits %llu\ncache.lookup_negative_hits %llu\ncache.lookup_misses %llu\n"
			 "cache.listing_hits %llu\ncache.listing_misses %llu\ncache.listings_for_lookups %llu\n"
			 "cache.listing_checks %llu\ncache.listing_stale %llu\n"
			 "cache.invalidated_inodes %llu\ncache.invalidated_entries %llu\nfuse.requests %llu\n"
			 "fuse.lookups %llu\nfuse.getattrs %llu\nfuse.setattr_times_of_create %llu\n"
			 "fuse.lookups_for_create %llu\nfuse.create_retries %llu\n"
			 "read.inflight_max %llu\nreadahead.issued %llu\nreadahead.hits %llu\nreadahead.misses %llu\n"
			 "readahead.dropped %llu\nreadahead.errors %llu\n",
			 LOAD(fs->lookup_hits), LOAD(fs->lookup_neg_hits), LOAD(fs->lookup_misses),
			 LOAD(fs->list_hits), LOAD(fs->list_misses), LOAD(fs->list_for_lookups),
			 LOAD(fs->list_checks), LOAD(fs->list_stale), LOAD(fs->inval_inodes),
			 LOAD(fs->inval_entries),
			 LOAD(fs->fuse_requests), LOAD(fs->fuse_lookups), LOAD(fs->fuse_getattrs), LOAD(fs->times_of_create),
			 LOAD(fs->create_intents), LOAD(fs->create_intent_retries),
			 LOAD(fs->reads_inflight_max), LOAD(fs->ra_issued), LOAD(fs->ra_hits), LOAD(fs->ra_misses),
			 LOAD(fs->ra_dropped), LOAD(fs->ra_errors));
	size_t o = n < 0 ? 0 : MIN((size_t)n, len - 1);
	/* Whether a core or a debugger may see the password hash (secret.c; the dumpable option): nothing
	 * outside the process shows the flag to root. */
	n = snprintf(buf + o, len - o, "process.dumpable %d\n", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
	o += n < 0 ? 0 : MIN((size_t)n, len - o - 1);
	if (fs->ops->stats)
		o += fs->ops->stats(fs->cl, buf + o, len - o);
	return o;
}
