/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * inode.c - the nodeid -> fs_inode table, kept as a tree of (parent, name).
 *
 * Lifetime: a node lives while the kernel holds a lookup reference (nlookup > 0) or a child node points
 * at it (refs > 0). The kernel guarantees a nodeid stays valid for the duration of any request that names
 * it, so callbacks need no pins of their own: they copy the path out under fs->lock and call the server
 * without it. A forget that races with a lookup of the same name is settled by fs->lock: the lookup
 * either finds the node before it is freed and takes a reference, or creates a fresh one (libfuse
 * passthrough_hp.cc re-looks-up by key for the same reason).
 *
 * Hard links: a node of a file the server counts more than one link for (NumberOfLinks > 1) is found by its
 * FileId when the kernel meets another of its names, and that name becomes an alias of the node (fs_i.h).
 * Without a FileId, or while the count is unknown (listings carry none), each name is its own node, as
 * before. A FileId the server reuses for a new file after the old one went is harmless: only named nodes
 * are in by_fid, and a count above 1 is asked of the new file itself.
 *
 * All functions take fs->lock themselves except the *_locked helpers.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "fs_i.h"
#include "smbfuse/log.h"
#include "smbfuse/util.h"

static guint key_hash(const struct fs_inode *parent, const char *name)
{
	return g_str_hash(name) ^ (guint)(parent->nodeid * 0x9E3779B97F4A7C15ull >> 32);
}

static gboolean key_equal(const struct fs_inode *p1, const char *n1, const struct fs_inode *p2, const char *n2)
{
	return p1 == p2 && strcmp(n1, n2) == 0;
}

/* by_name holds nodes, by_alias aliases: both keyed by (parent, name). */
#define NAME_KEY(T, x) ((const T *)(x))->parent, ((const T *)(x))->name

static guint name_hash(gconstpointer p)
{
	return key_hash(NAME_KEY(struct fs_inode, p));
}

static gboolean name_equal(gconstpointer a, gconstpointer b)
{
	return key_equal(NAME_KEY(struct fs_inode, a), NAME_KEY(struct fs_inode, b));
}

static guint alias_hash(gconstpointer p)
{
	return key_hash(NAME_KEY(struct fs_alias, p));
}

static gboolean alias_equal(gconstpointer a, gconstpointer b)
{
	return key_equal(NAME_KEY(struct fs_alias, a), NAME_KEY(struct fs_alias, b));
}

static struct fs_inode *by_id_locked(struct fs *fs, fuse_ino_t ino)
{
	uint64_t key = ino;
	return g_hash_table_lookup(fs->by_id, &key);
}

static struct fs_inode *by_name_locked(struct fs *fs, struct fs_inode *parent, const char *name)
{
	struct fs_inode probe = {.parent = parent, .name = (char *)name};
	return g_hash_table_lookup(fs->by_name, &probe);
}

/* The node named (parent, name), by its primary name or an alias (then *al is that alias). */
static struct fs_inode *named_locked(struct fs *fs, struct fs_inode *parent, const char *name, struct fs_alias **al)
{
	struct fs_inode *n = by_name_locked(fs, parent, name);
	struct fs_alias probe = {.parent = parent, .name = (char *)name};
	*al = n ? NULL : g_hash_table_lookup(fs->by_alias, &probe);
	return n ? n : *al ? (*al)->node : NULL;
}

struct fs_inode *fs_inode_named_locked(struct fs *fs, struct fs_inode *parent, const char *name)
{
	struct fs_alias *al;
	return named_locked(fs, parent, name, &al);
}

static void fid_del_locked(struct fs *fs, struct fs_inode *n)
{
	if (n->fid && g_hash_table_lookup(fs->by_fid, &n->fid) == n)
		g_hash_table_remove(fs->by_fid, &n->fid);
}

static void unhash_locked(struct fs *fs, struct fs_inode *n)
{
	if (n->hashed) {
		g_hash_table_remove(fs->by_name, n);
		fid_del_locked(fs, n);
		n->hashed = false;
	}
}

static void maybe_free_locked(struct fs *fs, struct fs_inode *n);

/* Forget alias a (its name went, or its node is freed); its parent may go with it. */
static void alias_free_locked(struct fs *fs, struct fs_alias *a)
{
	struct fs_inode *parent = a->parent;
	g_hash_table_remove(fs->by_alias, a);
	a->node->aliases = g_slist_remove(a->node->aliases, a);
	free(a->name);
	free(a);
	parent->refs--;
	maybe_free_locked(fs, parent);
}

/* Free n if nothing holds it any more, then walk up: the parent may have been held only by n. */
static void maybe_free_locked(struct fs *fs, struct fs_inode *n)
{
	while (n && n->nlookup == 0 && n->refs == 0) {
		struct fs_inode *parent = n->parent;
		unhash_locked(fs, n);
		while (n->aliases)
			alias_free_locked(fs, n->aliases->data);
		g_hash_table_remove(fs->by_id, &n->nodeid);
		fs_cache_drop_locked(n);
		free(n->name);
		free(n);
		if (!parent)
			break;
		parent->refs--;
		n = parent;
	}
}

/*
 * The name (parent, name) of n no longer exists on the server (al: that name is an alias of n). When n's
 * primary name goes and n has another, that one becomes primary, so n keeps a path.
 */
static void name_gone_locked(struct fs *fs, struct fs_inode *n, struct fs_alias *al)
{
	if (al) {
		alias_free_locked(fs, al);
		return;
	}
	if (!n->aliases || !n->hashed) {
		unhash_locked(fs, n);
		return;
	}
	struct fs_alias *a = n->aliases->data;
	struct fs_inode *old = n->parent;
	n->aliases = g_slist_remove(n->aliases, a);
	g_hash_table_remove(fs->by_alias, a);
	g_hash_table_remove(fs->by_name, n);
	free(n->name);
	n->name = a->name;
	n->parent = a->parent; /* a's reference on its parent becomes n's */
	g_hash_table_add(fs->by_name, n);
	free(a);
	old->refs--;
	maybe_free_locked(fs, old);
}

int fs_inodes_init(struct fs *fs)
{
	struct fs_inode *root = calloc(1, sizeof(*root));
	if (!root || !(root->name = strdup(""))) {
		free(root);
		return -ENOMEM;
	}
	fs->by_id = g_hash_table_new(g_int64_hash, g_int64_equal);
	fs->by_name = g_hash_table_new(name_hash, name_equal);
	fs->by_alias = g_hash_table_new(alias_hash, alias_equal);
	fs->by_fid = g_hash_table_new(g_int64_hash, g_int64_equal);
	root->nodeid = FUSE_ROOT_ID;
	root->refs = 1; /* the fs holds the root for its whole life */
	root->nlookup = 1;
	root->attr.attrs = SMB_ATTR_DIRECTORY;
	g_hash_table_insert(fs->by_id, &root->nodeid, root);
	fs->next_id = FUSE_ROOT_ID + 1;
	fs->live = 1;
	return 0;
}

void fs_inodes_free(struct fs *fs)
{
	GHashTableIter it;
	gpointer k, v;
	if (!fs->by_id)
		return;
	g_hash_table_iter_init(&it, fs->by_id);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		struct fs_inode *n = v;
		fs_cache_drop_locked(n);
		for (GSList *l = n->aliases; l; l = l->next) {
			struct fs_alias *a = l->data;
			free(a->name);
			free(a);
		}
		g_slist_free(n->aliases);
		free(n->name);
		free(n);
	}
	g_hash_table_destroy(fs->by_id);
	g_hash_table_destroy(fs->by_name);
	g_hash_table_destroy(fs->by_alias);
	g_hash_table_destroy(fs->by_fid);
	fs->by_id = fs->by_name = fs->by_alias = fs->by_fid = NULL;
}

/* Length of n's path, or -ESTALE if n or an ancestor is no longer reachable. */
static long path_len_locked(const struct fs_inode *n)
{
	long len = 0;
	for (; n->parent; n = n->parent) {
		if (!n->hashed)
			return -ESTALE;
		len += (long)strlen(n->name) + 1;
	}
	return len;
}

int fs_inode_path(struct fs *fs, fuse_ino_t ino, const char *name, char **out)
{
	size_t extra = name ? strlen(name) + 1 : 0;
	int r = extra > NAME_MAX + 1 ? -ENAMETOOLONG : 0;
	*out = NULL;
	if (r < 0)
		return r;
	pthread_mutex_lock(&fs->lock);
	struct fs_inode *n = by_id_locked(fs, ino);
	long len = n ? path_len_locked(n) : -ESTALE;
	/* Relative paths (openat) reach deeper than a path string can name; the share path stays within one.
	 * len + extra counts a leading '/' the path does not have. */
	if (len >= 0 && (size_t)len + extra > PATH_MAX)
		len = -ENAMETOOLONG;
	if (len < 0) {
		r = (int)len;
		goto out;
	}
	/* Build right to left: the walk up visits the last component first. */
	char *buf = g_malloc((size_t)len + extra + 1), *p = buf + len + extra;
	*p = 0;
	if (name) {
		p -= extra - 1;
		memcpy(p, name, extra - 1);
		*--p = '/';
	}
	for (; n->parent; n = n->parent) {
		size_t l = strlen(n->name);
		p -= l;
		memcpy(p, n->name, l);
		*--p = '/';
	}
	/* Paths in ops.h have no leading '/', and the root is "". */
	memmove(buf, buf + 1, (size_t)len + extra);
	if (!len && !extra)
		buf[0] = 0;
	*out = buf;
out:
	pthread_mutex_unlock(&fs->lock);
	return r;
}

static bool ts_before(struct timespec a, struct timespec b)
{
	return a.tv_sec < b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec < b.tv_nsec);
}

/* Apply a pending write time to fresh server attributes, or retire it once the server has caught up. */
static void merge_wrote_locked(struct fs_inode *n, struct smb_attr *attr)
{
	if (!n->wrote.tv_sec && !n->wrote.tv_nsec)
		return;
	if (!ts_before(attr->mtime, n->wrote)) {
		n->wrote = (struct timespec){0, 0};
		return;
	}
	attr->mtime = n->wrote;
	if (ts_before(attr->ctime, n->wrote))
		attr->ctime = n->wrote;
}

fuse_ino_t fs_inode_child(struct fs *fs, fuse_ino_t parent, const char *name)
{
	fuse_ino_t ino = 0;
	pthread_mutex_lock(&fs->lock);
	struct fs_inode *p = by_id_locked(fs, parent);
	struct fs_alias *al;
	struct fs_inode *n = p ? named_locked(fs, p, name, &al) : NULL;
	if (n)
		ino = n->nodeid;
	pthread_mutex_unlock(&fs->lock);
	return ino;
}

/*
 * st_ino comes from the file id, and the kernel takes st_ino from every attribute reply, so an inode's
 * file id must not change while it lives: a program that compares fstat(fd) with stat(path) (SQLite does,
 * and opens read-only when they differ) would see its file replaced. Some replies carry no id (SMB1's
 * NT_CREATE_ANDX) and later ones do; the first one this inode was given stays.
 */
static void keep_file_id_locked(struct fs *fs, struct fs_inode *n, struct smb_attr *attr)
{
	if (!n->fid && attr->file_id && !smb_attr_is_dir(attr) && n->hashed) {
		n->fid = attr->file_id;
		if (!g_hash_table_contains(fs->by_fid, &n->fid))
			g_hash_table_insert(fs->by_fid, &n->fid, n);
	}
	if (n->has_attr) {
		attr->file_id = n->attr.file_id;
		/* A listing carries no link count: keep the last one a stat gave (nlink 0 is "unknown"). */
		if (!attr->nlink)
			attr->nlink = n->attr.nlink;
	}
	n->has_attr = true;
	n->attr = *attr;
}

/* A named node of the file attr describes, when the server counts more than one link for it. */
static struct fs_inode *other_link_locked(struct fs *fs, const struct smb_attr *attr)
{
	if (!attr->file_id || smb_attr_is_dir(attr))
		return NULL;
	struct fs_inode *n = g_hash_table_lookup(fs->by_fid, &attr->file_id);
	return n && (attr->nlink ? attr->nlink : n->attr.nlink) > 1 ? n : NULL;
}

static struct fs_inode *alias_new_locked(struct fs *fs, struct fs_inode *n, struct fs_inode *parent, const char *name)
{
	struct fs_alias *a = calloc(1, sizeof(*a));
	if (!a || !(a->name = strdup(name))) {
		free(a);
		return NULL;
	}
	a->parent = parent;
	parent->refs++;
	a->node = n;
	n->aliases = g_slist_prepend(n->aliases, a);
	g_hash_table_add(fs->by_alias, a);
	return n;
}

fuse_ino_t fs_inode_link(struct fs *fs, fuse_ino_t parent, const char *name, struct smb_attr *attr)
{
	fuse_ino_t ino = 0;
	pthread_mutex_lock(&fs->lock);
	struct fs_inode *p = by_id_locked(fs, parent);
	if (!p)
		goto out;
	struct fs_alias *al;
	struct fs_inode *n = named_locked(fs, p, name, &al);
	if (n && (smb_attr_is_dir(&n->attr) != smb_attr_is_dir(attr) || n->attr.symlink != attr->symlink ||
		  (n->attr.file_id && attr->file_id && n->attr.file_id != attr->file_id))) {
		/* Replaced on the server by another object: the kernel must see a new inode. */
		name_gone_locked(fs, n, al);
		n = NULL;
	}
	if (!n && (n = other_link_locked(fs, attr)) && !alias_new_locked(fs, n, p, name))
		goto out;
	if (!n) {
		n = calloc(1, sizeof(*n));
		if (!n || !(n->name = strdup(name))) {
			free(n);
			goto out;
		}
		n->nodeid = fs->next_id++;
		n->parent = p;
		p->refs++;
		n->hashed = true;
		g_hash_table_insert(fs->by_id, &n->nodeid, n);
		g_hash_table_add(fs->by_name, n);
	}
	if (n->nlookup++ == 0)
		fs->live++;
	merge_wrote_locked(n, attr);
	keep_file_id_locked(fs, n, attr);
	ino = n->nodeid;
out:
	pthread_mutex_unlock(&fs->lock);
	return ino;
}

void fs_inode_forget(struct fs *fs, fuse_ino_t ino, uint64_t count)
{
	pthread_mutex_lock(&fs->lock);
	struct fs_inode *n = by_id_locked(fs, ino);
	if (n && ino != FUSE_ROOT_ID) {
		if (count > n->nlookup) {
			log_warn("forget of %llu by %llu exceeds its lookup count %llu", (unsigned long long)ino,
				 (unsigned long long)count, (unsigned long long)n->nlookup);
			count = n->nlookup;
		}
		n->nlookup -= count;
		if (count && n->nlookup == 0) {
			fs->live--;
			/* The tests wait for this line to prove that lookups and forgets balance. */
			log_dbg("inode %llu forgotten, %zu live", (unsigned long long)ino, fs->live);
			maybe_free_locked(fs, n);
		}
	}
	pthread_mutex_unlock(&fs->lock);
}

void fs_inode_unhash(struct fs *fs, fuse_ino_t parent, const char *name)
{
	pthread_mutex_lock(&fs->lock);
	struct fs_inode *p = by_id_locked(fs, parent), *n;
	struct fs_alias *al;
	if (p && (n = named_locked(fs, p, name, &al))) {
		name_gone_locked(fs, n, al);
		fs_inode_attr_changed_locked(n); /* its link count and ChangeTime moved */
		/* The file lives on under another name, with one link less. */
		if (n->hashed && n->attr.nlink > 1)
			n->attr.nlink--;
	}
	pthread_mutex_unlock(&fs->lock);
}

void fs_inode_move(struct fs *fs, fuse_ino_t parent, const char *name, fuse_ino_t newparent, const char *newname)
{
	pthread_mutex_lock(&fs->lock);
	struct fs_inode *p = by_id_locked(fs, parent), *np = by_id_locked(fs, newparent), *n, *victim;
	struct fs_alias *al;
	char *copy = strdup(newname);
	if (!p || !np || !copy) {
		free(copy);
		goto out;
	}
	if ((victim = named_locked(fs, np, newname, &al))) {
		name_gone_locked(fs, victim, al);
		fs_inode_attr_changed_locked(victim);
	}
	n = named_locked(fs, p, name, &al);
	if (n)
		fs_inode_attr_changed_locked(n); /* a rename moves ChangeTime */
	if (!n) {
		/* The kernel never looked the source up through us (or forgot it): nothing to move. */
		free(copy);
		goto out;
	}
	np->refs++;
	if (al) {
		/* One of the names of a hard-linked file moves; the node keeps its primary name. */
		g_hash_table_remove(fs->by_alias, al);
		free(al->name);
		al->name = copy;
		al->parent = np;
		g_hash_table_add(fs->by_alias, al);
	} else {
		if (n->hashed)
			g_hash_table_remove(fs->by_name, n);
		free(n->name);
		n->name = copy;
		n->parent = np;
		n->hashed = true;
		g_hash_table_add(fs->by_name, n);
	}
	p->refs--;
	maybe_free_locked(fs, p);
out:
	pthread_mutex_unlock(&fs->lock);
}

void fs_inode_set_attr(struct fs *fs, fuse_ino_t ino, struct smb_attr *attr)
{
	pthread_mutex_lock(&fs->lock);
	struct fs_inode *n = by_id_locked(fs, ino);
	bool resized = n && n->has_attr && n->attr.size != attr->size;
	if (n) {
		merge_wrote_locked(n, attr);
		keep_file_id_locked(fs, n, attr);
		n->attr_ms = now_ms();
	}
	pthread_mutex_unlock(&fs->lock);
	if (resized)
		fs_ra_drop(fs, ino); /* another client's change, seen by a stat: what was read ahead may predate it */
}

void fs_inode_note_write(struct fs *fs, fuse_ino_t ino, bool wrote)
{
	struct timespec now = {0, 0};
	if (wrote)
		clock_gettime(CLOCK_REALTIME, &now);
	pthread_mutex_lock(&fs->lock);
	struct fs_inode *n = by_id_locked(fs, ino);
	if (n)
		n->wrote = now;
	pthread_mutex_unlock(&fs->lock);
}

int fs_inode_get_attr(struct fs *fs, fuse_ino_t ino, struct smb_attr *out)
{
	int r = -ESTALE;
	pthread_mutex_lock(&fs->lock);
	struct fs_inode *n = by_id_locked(fs, ino);
	if (n) {
		*out = n->attr;
		r = 0;
	}
	pthread_mutex_unlock(&fs->lock);
	return r;
}

bool fs_inode_fresh_attr(struct fs *fs, fuse_ino_t ino, struct smb_attr *out)
{
	bool fresh = false;
	if (fs->cfg.cache == FS_CACHE_NONE)
		return false;
	uint64_t now = now_ms();
	pthread_mutex_lock(&fs->lock);
	struct fs_inode *n = by_id_locked(fs, ino);
	if (n && n->attr_ms && now - n->attr_ms < (uint64_t)(fs->cfg.attr_timeout * 1000)) {
		*out = n->attr;
		fresh = true;
	}
	pthread_mutex_unlock(&fs->lock);
	return fresh;
}

void fs_inode_attr_changed_locked(struct fs_inode *n)
{
	n->attr_ms = 0;
}

bool fs_inode_unchanged_since_open(struct fs *fs, fuse_ino_t ino, const struct smb_attr *attr)
{
	bool same = false;
	pthread_mutex_lock(&fs->lock);
	struct fs_inode *n = by_id_locked(fs, ino);
	if (n) {
		/* Another file under the same name (renamed over it by another client) is never the same, even
		 * with the same size and a timestamp of the same clock tick. */
		bool same_file = !n->attr.file_id || !attr->file_id || n->attr.file_id == attr->file_id;
		same = same_file && n->opened && n->open_size == attr->size &&
		       n->open_mtime.tv_sec == attr->mtime.tv_sec && n->open_mtime.tv_nsec == attr->mtime.tv_nsec;
		n->opened = true;
		n->open_size = attr->size;
		n->open_mtime = attr->mtime;
	}
	pthread_mutex_unlock(&fs->lock);
	return same;
}

size_t fs_inode_count(struct fs *fs)
{
	pthread_mutex_lock(&fs->lock);
	size_t n = fs->live;
	pthread_mutex_unlock(&fs->lock);
	return n;
}

bool fs_inode_below(struct fs *fs, fuse_ino_t ino, fuse_ino_t top)
{
	pthread_mutex_lock(&fs->lock);
	struct fs_inode *n = by_id_locked(fs, ino);
	while (n && n->nodeid != top)
		n = n->parent;
	pthread_mutex_unlock(&fs->lock);
	return n != NULL;
}
