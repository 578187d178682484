/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * park.c - the handle cache (contract: cache_i.h, proto_i.h; why: cache.c, "Handle cache"): a handle
 * closed under a Handle lease is parked for PARK_MS, and an open of the same path with the same access
 * takes it back without a round trip. Expiry runs on cache.c's worker; our own namespace operations close
 * parked handles under their path first (nscache.c).
 */
#include <fcntl.h>
#include <string.h>

#include <glib.h>

#include "cache_i.h"
#include "smbfuse/util.h"

bool pcache_park(struct smb_client *cl, struct smb_fh *fh)
{
	struct pcache *pc = pc_of(cl);
	struct smb_fh *victim = NULL;
	/* A handle that wrote is closed at once: Samba sets the file's last write time when that handle
	 * closes, which would overwrite an mtime set meanwhile by path (rsync: write, close, utime, rename). */
	if (!pc || !fh->lease || fh->wrote)
		return false;
	/* A handle that held byte-range locks is closed too: its CLOSE is what releases them (plock.c). */
	if (atomic_load(&fh->locked))
		return false;
	/* A parked handle stands for its name, and only the directory's watch tells us when another client
	 * renames a file over that name or removes it (a Handle lease is not broken for that): no watch, no
	 * parking. */
	char *dir = g_path_get_dirname(fh->path);
	bool watched = pcache_watch(cl, strcmp(dir, ".") ? dir : "") == 1;
	g_free(dir);
	if (!watched)
		return false;
	uint64_t gen = gen_of(cl);
	pthread_mutex_lock(&pc->lock);
	bool ok = !pc->stopping && fh->gen == gen && fh->lease->gen == gen && !fh->lease->gone &&
		  (fh->lease->state & SMB2_LEASE_HANDLE_CACHING);
	if (ok) {
		/* One parked handle per file, the newest: Samba 4.22 lets another client's directory rename go
		 * on once the first of a file's handles closes after its break, and refuses it if the file has
		 * another open left (watch.c, "A break closes one handle"). */
		GList *same = pc->parked.head;
		while (same && ((struct smb_fh *)same->data)->lease != fh->lease)
			same = same->next;
		if (same) {
			victim = same->data;
			g_queue_delete_link(&pc->parked, same);
		}
		if (!victim && g_queue_get_length(&pc->parked) >= PARK_MAX)
			victim = g_queue_pop_head(&pc->parked);
		fh->parked_ms = now_ms() ?: 1;
		g_queue_push_tail(&pc->parked, fh);
		pthread_cond_signal(&pc->cond);
	}
	pthread_mutex_unlock(&pc->lock);
	if (ok)
		stat_add(&cl->st.handles_parked, 1);
	if (victim)
		cl->cio->fh_destroy(cl, victim);
	return ok;
}

/* A parked handle of path opened with this access and options, or NULL. */
static struct smb_fh *pcache_unpark(struct smb_client *cl, const char *path, uint32_t access, uint32_t options,
				    struct smb_attr *attr)
{
	struct pcache *pc = pc_of(cl);
	struct smb_fh *fh = NULL;
	if (!pc)
		return NULL;
	uint64_t gen = gen_of(cl);
	pthread_mutex_lock(&pc->lock);
	struct lease *l = g_hash_table_lookup(pc->by_path, path);
	bool usable = l && l->gen == gen && (l->state & SMB2_LEASE_HANDLE_CACHING) &&
		      (l->state & SMB2_LEASE_READ_CACHING) && l->attr_valid;
	for (GList *e = usable ? pc->parked.head : NULL; e; e = e->next) {
		struct smb_fh *f = e->data;
		if (f->lease == l && f->access == access && f->options == options && f->gen == gen) {
			g_queue_delete_link(&pc->parked, e);
			f->parked_ms = 0;
			*attr = l->attr;
			fh = f;
			break;
		}
	}
	pthread_mutex_unlock(&pc->lock);
	stat_add(fh ? &cl->st.handle_hits : &cl->st.handle_misses, 1);
	return fh;
}

struct smb_fh *pcache_open_begin(struct smb_client *cl, const char *path, int flags, uint32_t access, uint32_t options,
				 struct smb_attr *attr)
{
	if (pc_of(cl))
		watch_note_own(pc_of(cl), path);
	/* Gathered writes of another handle are older than this open's truncation. */
	if (flags & O_TRUNC)
		pcache_writeback(cl, path, false);
	if ((flags & (O_TRUNC | O_EXCL)) || (flags & O_DIRECTORY))
		return NULL;
	return pcache_unpark(cl, path, access, options, attr);
}

/* Take parked handles matching (path, or all when path is NULL; or only those older than cutoff_ms). */
GSList *pc_unpark_matching_locked(struct pcache *pc, const char *path, uint64_t cutoff_ms)
{
	GSList *out = NULL;
	GList *e = pc->parked.head;
	while (e) {
		GList *next = e->next;
		struct smb_fh *f = e->data;
		bool take = path ? pc_path_under(f->path, path) : f->parked_ms <= cutoff_ms;
		if (take) {
			g_queue_delete_link(&pc->parked, e);
			out = g_slist_prepend(out, f);
		} else if (!path) {
			break; /* oldest first: the rest are younger */
		}
		e = next;
	}
	return out;
}

void pc_destroy_all(struct smb_client *cl, GSList *l)
{
	for (GSList *e = l; e; e = e->next)
		cl->cio->fh_destroy(cl, e->data);
	g_slist_free(l);
}
