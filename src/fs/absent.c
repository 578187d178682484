/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * absent.c - names the kernel holds in a directory that a listing just fetched from the server lacks.
 *
 * Why. The kernel trusts a dentry for entry_timeout (actimeo) unless we expire it. When another client
 * removes d/b, the notification of our watch expires it (cache.c, SMB_EV_ENTRY), but a readdir may fetch
 * the new listing first (cache=strict checks a kept listing's times, listing.c), or no notification may
 * come at all (a server without change notify). The listing then says b is gone while the kernel still
 * holds b, as a directory say, and an open(O_CREAT) of b fails with EISDIR in the VFS, before we are asked
 * (the randomized two-mount test, seed 9). So every fetched listing is compared with the names we gave
 * the kernel under that directory, and those it lacks are expired and their attributes dropped.
 *
 * Why a thread. The listing is fetched inside readdir (or a lookup), where the kernel holds the
 * directory's lock; the kernel takes the same lock to expire an entry, so a notification written from
 * that callback would wait for the callback's own end. One thread does the writes; the callback only
 * queues them. So the expiry follows the listing by the time that thread takes to get the directory's
 * lock: a process that opens the name within that moment still finds the old entry (as it does before
 * a notification arrives). At the mount's end what is queued is dropped.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "fs_i.h"
#include "smbfuse/log.h"

struct fs_absent {
	GThreadPool *pool;
	_Atomic bool ending; /* the mount ends: what is queued is only freed */
};

struct absent {
	fuse_ino_t parent;
	char *name;
};

static void expire_one(gpointer data, gpointer user)
{
	struct absent *a = data;
	struct fs *fs = user;
	int r = -ESHUTDOWN;
	if (!atomic_load(&fs->absent->ending) && fs->mounted)
		r = fs_expire_entry(fs, a->parent, a->name);
	if (r == 0)
		atomic_fetch_add_explicit(&fs->inval_entries, 1, memory_order_relaxed);
	log_dbg("\"%s\" in %llu: not in the server's listing; expired: %s", a->name, (unsigned long long)a->parent,
		r == 0 ? "yes" : strerror(-r));
	g_free(a->name);
	free(a);
}

void fs_absent_init(struct fs *fs)
{
	struct fs_absent *ab = calloc(1, sizeof(*ab));
	if (ab)
		ab->pool = g_thread_pool_new(expire_one, fs, 1, FALSE, NULL);
	if (!ab || !ab->pool) {
		log_warn("no thread for expiring names a listing lacks: they are trusted until actimeo");
		free(ab);
		return;
	}
	fs->absent = ab;
}

void fs_absent_free(struct fs *fs)
{
	struct fs_absent *ab = fs->absent;
	if (!ab)
		return;
	atomic_store(&ab->ending, true);
	g_thread_pool_free(ab->pool, FALSE, TRUE); /* not immediate: each queued item is freed */
	free(ab);
	fs->absent = NULL;
}

/* Queue an expiry of name in parent; under fs->lock (the pool's lock is a leaf). If it cannot be queued
 * the name is trusted until actimeo, as before. */
static void queue_locked(struct fs *fs, fuse_ino_t parent, const char *name)
{
	struct absent *a = malloc(sizeof(*a));
	if (!a || !(a->name = g_strdup(name))) {
		free(a);
		return;
	}
	a->parent = parent;
	if (!g_thread_pool_push(fs->absent->pool, a, NULL)) {
		g_free(a->name);
		free(a);
	}
}

static bool listed(GHashTable *names, const char *name)
{
	char *fold = g_utf8_casefold(name, -1);
	bool in = g_hash_table_contains(names, fold);
	g_free(fold);
	return in;
}

void fs_absent_check(struct fs *fs, fuse_ino_t ino, const GPtrArray *ents)
{
	if (!fs->absent)
		return;
	GHashTable *names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	for (guint i = 0; i < ents->len; i++) {
		const struct fs_dirent *d = g_ptr_array_index(ents, i);
		g_hash_table_add(names, g_utf8_casefold(d->name, -1));
	}
	GHashTableIter it;
	gpointer k, v;
	pthread_mutex_lock(&fs->lock);
	g_hash_table_iter_init(&it, fs->by_id);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		struct fs_inode *c = v;
		if (c->parent && c->parent->nodeid == ino && c->hashed && c->nlookup && !listed(names, c->name)) {
			fs_inode_attr_changed_locked(c);
			queue_locked(fs, ino, c->name);
		}
	}
	g_hash_table_iter_init(&it, fs->by_alias);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		struct fs_alias *a = v;
		if (a->parent->nodeid == ino && !listed(names, a->name))
			queue_locked(fs, ino, a->name);
	}
	pthread_mutex_unlock(&fs->lock);
	g_hash_table_destroy(names);
}
