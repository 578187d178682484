/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * listing.c - fetching a directory's listing for the glue: for readdir (ops.c) and, on the second lookup
 * miss in a directory in a short time, for lookups (issue 16, "stats by name").
 *
 * `stat a b c ...`, `cat *.c` after the shell's glob, `make` checking its sources: a program that names
 * many files of one directory makes the kernel look each name up, one round trip each (a CREATE +
 * QUERY_INFO + CLOSE compound). A listing of the directory answers them all, and costs one series of
 * QUERY_DIRECTORY requests. The second miss in the same directory within MISS_MS is taken as the sign
 * that more will follow: one miss alone (an open of a single file) never lists. The listing is fetched
 * as readdir fetches it, after the directory's watch is in place (so that a change after it is notified,
 * cache.c), and is kept only while the watch holds; without a watch (cache=none, or no watch to be had)
 * nothing is listed for lookups, and every lookup is a stat as before. Lookups are then answered from the
 * kept listing under its rules (fs_cache_lookup): a name absent from it is ENOENT, a present one is
 * trusted while the listing is younger than actimeo. The cost: a directory of very many entries is listed
 * whole for the second name looked up in it.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "fs_i.h"
#include "smbfuse/util.h"

#define MISS_MS 1000

static void dirent_free(gpointer p)
{
	struct fs_dirent *d = p;
	free(d->name);
	free(d);
}

static int collect_dirent(void *arg, const char *name, const struct smb_attr *attr)
{
	GPtrArray *ents = arg;
	struct fs_dirent *d;
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return 0;
	d = malloc(sizeof(*d));
	if (!d || !(d->name = strdup(name))) {
		free(d);
		return -ENOMEM;
	}
	d->attr = *attr;
	g_ptr_array_add(ents, d);
	return 0;
}

static bool same_time(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

/* Whether directory path still has the times it had when its listing began: one stat (a CREATE +
 * QUERY_INFO + CLOSE compound, or QUERY_PATH_INFORMATION), where a new listing is a series of requests. */
static bool listing_unchanged(struct fs *fs, const char *path, const struct fs_list_check *c)
{
	struct smb_attr now;
	atomic_fetch_add_explicit(&fs->list_checks, 1, memory_order_relaxed);
	return CALL(fs, stat, path, &now) == 0 && same_time(&now.mtime, &c->mtime) && same_time(&now.ctime, &c->ctime);
}

int fs_listing_fetch(struct fs *fs, fuse_ino_t ino, const char *path, bool listed, bool *watched,
		     GPtrArray **out)
{
	uint64_t epoch;
	struct fs_list_check check;
	*out = NULL;
	/* Watch first, then list: a change after the listing is then sure to be notified. */
	*watched = fs_cache_watch(fs, path);
	GPtrArray *ents = *watched ? fs_cache_listing(fs, ino, listed, &epoch, &check) : NULL;
	if (ents && check.needed && !listing_unchanged(fs, path, &check)) {
		g_ptr_array_unref(ents);
		ents = NULL;
		epoch = fs_cache_listing_stale(fs, ino);
	}
	if (!ents) {
		struct smb_attr self;
		ents = g_ptr_array_new_with_free_func(dirent_free);
		int r = CALL(fs, readdir, path, collect_dirent, ents, &self);
		if (r < 0) {
			g_ptr_array_unref(ents);
			return r;
		}
		fs_absent_check(fs, ino, ents);
		if (*watched)
			fs_cache_store(fs, ino, epoch, ents, listed, &self);
	}
	*out = ents;
	return 0;
}

int fs_listing_lookup(struct fs *fs, fuse_ino_t parent, const char *name, struct smb_attr *a)
{
	char *path;
	if (fs->cfg.cache == FS_CACHE_NONE || !fs_cache_second_miss(fs, parent, MISS_MS))
		return -EAGAIN;
	int r = fs_inode_path(fs, parent, NULL, &path);
	if (r == 0) {
		bool watched;
		GPtrArray *ents;
		if (fs_listing_fetch(fs, parent, path, fs_cache_made_here(fs, parent), &watched, &ents) == 0)
			g_ptr_array_unref(ents);
		g_free(path);
		atomic_fetch_add_explicit(&fs->list_for_lookups, 1, memory_order_relaxed);
	}
	fs_cache_fetched(fs, parent);
	return r == 0 ? fs_cache_lookup(fs, parent, name, a) : -EAGAIN;
}
