/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nscache.c - what the cache does for namespace operations: before our own rename, rmdir or unlink, close
 * everything we hold open at or below the path and forget its leases (a cache never changes the outcome
 * of an operation; watch.c says why for watches); and the short wait of an rmdir whose last entries
 * another client still holds open.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache_i.h"
#include "smbfuse/cancel.h"
#include "smbfuse/util.h"

void pcache_flush_path(struct smb_client *cl, const char *path)
{
	struct pcache *pc = pc_of(cl);
	if (!pc)
		return;
	pc_forget_path(pc, path);
	watch_close_under(pc, path);
}

void pc_forget_path(struct pcache *pc, const char *path)
{
	pthread_mutex_lock(&pc->lock);
	GSList *l = pc_unpark_matching_locked(pc, path, 0);
	GHashTableIter it;
	gpointer k, v;
	g_hash_table_iter_init(&it, pc->by_path);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		struct lease *le = v;
		if (pc_path_under(le->path, path)) {
			le->hashed = false;
			g_hash_table_iter_remove(&it);
		}
	}
	pthread_mutex_unlock(&pc->lock);
	pc_destroy_all(pc->cl, l);
}

/* ---- deletes left pending by other clients ---- */

/*
 * A delete that another client's open handle left pending (its watch of a directory, a file it has open)
 * keeps the name until that client closes it; smbfuse's own watches let go within a round trip (watch.c).
 * rm -rf then finds the parent not empty a moment too early. So a delete that had to share records its
 * directory, and an rmdir of that directory that finds it not empty within PENDING_MS tries again, a few
 * times with growing pauses, for at most RMDIR_WAIT_MS; an rmdir of a directory that really is not empty
 * answers at once.
 */
#define PENDING_MS 10000
#define PENDING_MAX 64
#define RMDIR_WAIT_MS 3000

void pcache_note_pending(struct smb_client *cl, const char *path)
{
	struct pcache *pc = pc_of(cl);
	if (!pc)
		return;
	const char *slash = strrchr(path, '/');
	char *dir = g_strndup(path, slash ? (size_t)(slash - path) : 0);
	uint64_t *t = g_new(uint64_t, 1);
	*t = now_ms();
	pthread_mutex_lock(&pc->lock);
	if (g_hash_table_size(pc->pending) >= PENDING_MAX)
		g_hash_table_remove_all(pc->pending);
	g_hash_table_replace(pc->pending, dir, t);
	pthread_mutex_unlock(&pc->lock);
}

static bool pending_in_locked(struct pcache *pc, const char *dir)
{
	uint64_t *t = g_hash_table_lookup(pc->pending, dir);
	if (t && *t + PENDING_MS < now_ms()) {
		g_hash_table_remove(pc->pending, dir);
		t = NULL;
	}
	return t != NULL;
}

int pcache_rmdir(struct smb_client *cl, const char *path, int (*once)(struct smb_client *, const char *))
{
	struct pcache *pc = pc_of(cl);
	int rc = once(cl, path);
	uint64_t start = now_ms();
	unsigned pause_ms = 10;
	while (rc == -ENOTEMPTY && pc && now_ms() - start < RMDIR_WAIT_MS) {
		pthread_mutex_lock(&pc->lock);
		bool wait = pending_in_locked(pc, path);
		pthread_mutex_unlock(&pc->lock);
		if (!wait)
			break;
		int c = smb_cancel_check(); /* an interrupted caller stops waiting (pauses are at most 200 ms) */
		if (c < 0)
			return c;
		struct timespec ts = {0, (long)pause_ms * 1000000};
		nanosleep(&ts, NULL);
		pause_ms = MIN(pause_ms * 2, 200u);
		rc = once(cl, path);
	}
	if (rc == 0 && pc) {
		pthread_mutex_lock(&pc->lock);
		g_hash_table_remove(pc->pending, path);
		pthread_mutex_unlock(&pc->lock);
	}
	return rc;
}
