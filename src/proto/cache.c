/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cache.c - leases (MS-SMB2 3.2.4.3.8, 3.2.5.19.2), oplocks (SMB 2.0.2, MS-SMB2 3.2.5.19.1; SMB1, MS-CIFS
 * 3.2.4.1.x and 3.2.5.42), the handle cache, directory watches (CHANGE_NOTIFY, MS-SMB2 3.2.4.14) and the
 * worker threads that serve them. The glue (src/fs) hears of it only through struct smb_events (ops.h).
 *
 * One cache for every dialect. Nothing here builds or parses a message: what differs between SMB2 and
 * SMB1 (closing a handle, acknowledging a break, sending a WRITE or a change notification request, the
 * current session generation) is asked of the dialect's struct cache_io (proto_i.h), and breaks arrive
 * already decoded into a struct cache_break. State is kept in SMB2 lease bits; an oplock level, of either
 * dialect, is one combination of them.
 *
 * Leases. Every open of a path asks for a Read+Handle+Write lease under the same 16-byte key, so the server
 * sees one lease per file for this client and never breaks us against ourselves. A struct lease lives while
 * a handle (in use or parked) holds it; when the last one goes the server forgets the lease too, and the
 * glue is told (SMB_EV_FILE) so that the long attribute timeouts it gave under the lease end at once. While
 * the lease holds Write caching, writes are gathered (wb.c); a break that takes W away writes them
 * back before anything else, so the other client's open, which the server holds until our ack, finds them.
 *
 * Breaks. A break notification arrives on the connection's receive thread, which must never block, so
 * the dialect decodes it there and pcache_break_queue only copies it into the job queue (an SMB1 break is
 * a LOCKING_ANDX request from the server, MID 0xFFFF, MS-CIFS 3.2.5.42). The worker then, in this order: (0) writes
 * back what was gathered if Write caching is lost (wb.c says why that cannot deadlock); (1) closes parked handles if
 * Handle caching is lost (the server is often waiting exactly for those closes: another client's open that wants to
 * delete or rename); (2) tells the glue, which invalidates the kernel's attributes and page cache for the file
 * (fuse_lowlevel_notify_inval_inode) if Read caching is lost; (3) acknowledges when the server asked for it, with the
 * state it offered (an oplock break from level II to none is never acknowledged, MS-SMB2 2.2.24.1 and MS-CIFS 3.3.4.2;
 * nor is a break that arrived on a connection that has since been replaced: its handles, and the server's wait for us,
 * died with it). The order matters: after the ack the server lets the other client write, so our kernel must have
 * dropped its pages before. None of these steps waits for a FUSE request: invalidation waits at most for page locks of
 * reads already in flight, and those complete on the receive thread, which is never blocked by us. FUSE threads waiting
 * on the same connection or inode therefore cannot deadlock the worker, and the server's 35 s break timeout is met by a
 * margin of round trips. If we never answer (the daemon is stopped), the server times the break out itself and gives
 * the other client its open; our next request then finds the lease state gone, which is why every ack failure is only
 * logged.
 *
 * Handle cache. A handle closed while its lease has Handle caching is parked instead of closed, for
 * PARK_MS, and a later open of the same path with the same access takes it back without a round trip. Our
 * own unlink, rmdir and rename close parked handles under the path first: Samba would otherwise leave a
 * deleted file delete-pending, or break our own lease and make us wait for our own worker.
 *
 * Parking and taking back: park.c. Watches: watch.c.
 *
 * Two workers. Breaks have a worker of their own. The other worker invalidates directory entries
 * (fuse_lowlevel_notify_inval_entry), which takes the kernel's lock on the directory; a FUSE unlink in that
 * directory holds the same lock while its DELETE open waits at the server for a break of one of our own
 * leases. Were the break queued behind the entry invalidation, that would be a deadlock until the server's
 * break timeout. The break worker only invalidates inodes (page locks, released by reads that complete on
 * the receive thread) and sends CLOSEs and acks, so it never waits for a FUSE request.
 *
 * Reconnects. A new session voids every lease, oplock and watch: pcache_rebuilt queues one job that drops
 * all lease state and tells the glue SMB_EV_ALL; the watches end by themselves as their requests fail.
 *
 * Locking. pcache.lock guards the tables, the queues and the mutable fields named below. It is a leaf: it
 * is never held across a round trip, a session call or an event callback. Lock order: smb_fh.lock ->
 * pcache.lock (fh_fid reopens, never the reverse).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <glib.h>

#include "cache_i.h"
#include "smbfuse/cancel.h"
#include "smbfuse/err.h"
#include "smbfuse/log.h"
#include "smbfuse/util.h"

void pc_job_push_locked(struct pcache *pc, struct job *j)
{
	if (j->kind == JOB_BREAK) {
		pc->break_ms = now_ms();
		g_queue_push_tail(&pc->bjobs, j);
		pthread_cond_signal(&pc->bcond);
		return;
	}
	g_queue_push_tail(&pc->jobs, j);
	pthread_cond_signal(&pc->cond);
}

void pc_job_push(struct pcache *pc, struct job *j)
{
	pthread_mutex_lock(&pc->lock);
	pc_job_push_locked(pc, j);
	pthread_mutex_unlock(&pc->lock);
}

void pc_queue_event(struct pcache *pc, enum smb_event_kind kind, const char *path)
{
	struct job *j = calloc(1, sizeof(*j));
	if (!j || !(j->path = strdup(path))) {
		free(j);
		log_warn("out of memory: a cache invalidation for \"%s\" is lost", path);
		return;
	}
	j->kind = JOB_EVENT;
	j->ev = kind;
	pc_job_push(pc, j);
}

/* Worker only. */
void pc_emit(struct pcache *pc, enum smb_event_kind kind, const char *path, const char *name)
{
	pthread_rwlock_rdlock(&pc->ev_lock);
	if (pc->ev.event)
		pc->ev.event(pc->ev.arg, kind, path, name);
	pthread_rwlock_unlock(&pc->ev_lock);
}

bool pc_path_under(const char *p, const char *top)
{
	size_t n = strlen(top);
	return n == 0 || (strncmp(p, top, n) == 0 && (p[n] == 0 || p[n] == '/'));
}


/* ---- leases ---- */

struct lease *lease_get(struct smb_client *cl, const char *path)
{
	struct pcache *pc = pc_of(cl);
	if (!pc)
		return NULL;
	bool oplock = !cl->cio->leasing(cl);
	pthread_mutex_lock(&pc->lock);
	struct lease *l = g_hash_table_lookup(pc->by_path, path);
	if (!l) {
		l = calloc(1, sizeof(*l));
		if (!l || !(l->path = strdup(path)) || !(l->wb = wb_new()) ||
		    getrandom(l->key, sizeof(l->key), 0) != (ssize_t)sizeof(l->key)) {
			if (l) {
				free(l->path);
				wb_free(l->wb);
			}
			free(l);
			pthread_mutex_unlock(&pc->lock);
			return NULL;
		}
		l->key[PROTO_LEASE_TAG_BYTE] = proto_lease_tag(cl);
		memcpy(&l->id, l->key, sizeof(l->id));
		l->oplock = oplock;
		l->hashed = true;
		g_hash_table_insert(pc->by_path, l->path, l);
		g_hash_table_insert(pc->by_id, &l->id, l);
	}
	l->refs++;
	pthread_mutex_unlock(&pc->lock);
	return l;
}

bool lease_is_oplock(struct lease *l)
{
	return l->oplock;
}

void lease_key_epoch(struct smb_client *cl, struct lease *l, uint8_t key[16], uint16_t *epoch)
{
	struct pcache *pc = pc_of(cl);
	memcpy(key, l->key, 16);
	pthread_mutex_lock(&pc->lock);
	*epoch = l->epoch;
	pthread_mutex_unlock(&pc->lock);
}

/*
 * Oplocks (SMB 2.0.2, 3.x servers without leasing, and SMB1). An oplock belongs to one open, not to the file,
 * so the file's state is what the latest grant or break said: a second open of ours makes the server break
 * the first one's batch oplock to level II before it grants the second level II, and both events land
 * here in that order. Batch reads as Read+Write+Handle, exclusive as Read+Write, level II as Read. The
 * break names the open, hence by_fid, which also keeps each open's own level: whether a break needs an
 * acknowledgment depends on it (not on a level II, MS-CIFS 3.3.4.2), and another open's grant may have
 * changed the file's state in between.
 *
 * A break can overtake its grant: the server sends it right after the open's answer, the receive thread
 * queues it, and the break worker may handle it before the thread that opened records the grant. The break
 * then finds no open in by_fid and waits in early; oplock_granted queues it again, and the break worker
 * handles it as any other (write back, invalidate, acknowledge). A break for an open we have closed
 * meanwhile also waits there, unanswered (the close released the oplock), until pcache_fid_gone, a
 * reconnect, or a later open that the server gave the same FID, which it then merely downgrades.
 */
#define EARLY_MAX 256

void pc_early_note_locked(struct pcache *pc, const struct cache_break *b)
{
	if (g_hash_table_size(pc->early) >= EARLY_MAX)
		g_hash_table_remove_all(pc->early); /* only races land here; never let a server grow it */
	uint64_t *key = g_new(uint64_t, 1);
	*key = b->fid_key;
	g_hash_table_replace(pc->early, key, g_memdup2(b, sizeof(*b)));
}

void oplock_granted(struct smb_client *cl, struct lease *l, uint32_t state, uint64_t fid_key, uint64_t gen)
{
	struct pcache *pc = pc_of(cl);
	uint64_t *key = g_new(uint64_t, 1);
	*key = fid_key;
	struct oplock *o = g_new(struct oplock, 1);
	*o = (struct oplock){l, state};
	struct job *j = calloc(1, sizeof(*j));
	pthread_mutex_lock(&pc->lock);
	l->state = state;
	l->gen = gen;
	g_hash_table_replace(pc->by_fid, key, o);
	struct cache_break *early = g_hash_table_lookup(pc->early, &fid_key);
	if (early && j && early->gen == gen) {
		j->kind = JOB_BREAK;
		j->brk = *early;
		pc_job_push_locked(pc, j);
		j = NULL;
	}
	g_hash_table_remove(pc->early, &fid_key);
	pthread_mutex_unlock(&pc->lock);
	free(j);
	if (state)
		stat_add(&cl->st.leases_granted, 1);
}

void pcache_fid_gone(struct smb_client *cl, struct lease *l, uint64_t fid_key)
{
	struct pcache *pc = pc_of(cl);
	if (!pc || !l || !l->oplock)
		return;
	pthread_mutex_lock(&pc->lock);
	struct oplock *o = g_hash_table_lookup(pc->by_fid, &fid_key);
	if (o && o->l == l)
		g_hash_table_remove(pc->by_fid, &fid_key);
	g_hash_table_remove(pc->early, &fid_key);
	pthread_mutex_unlock(&pc->lock);
}

void lease_granted(struct smb_client *cl, struct lease *l, bool ok, uint32_t state, uint16_t epoch, int version,
		   uint64_t gen)
{
	struct pcache *pc = pc_of(cl);
	pthread_mutex_lock(&pc->lock);
	if (ok) {
		/* An older epoch is a reply that crossed a break: the break's state is the newer truth. */
		if (version == 1 || l->gen != gen || (int16_t)(epoch - l->epoch) >= 0 || !l->state) {
			l->state = state;
			l->epoch = epoch;
		}
		l->gen = gen;
	} else if (l->gen != gen) {
		l->state = 0;
	}
	pthread_mutex_unlock(&pc->lock);
	if (ok)
		stat_add(&cl->st.leases_granted, 1);
}

static void lease_free(struct lease *l)
{
	wb_free(l->wb);
	free(l->path);
	free(l);
}

static void lease_unhash_locked(struct pcache *pc, struct lease *l)
{
	if (l->hashed && g_hash_table_lookup(pc->by_path, l->path) == l)
		g_hash_table_remove(pc->by_path, l->path);
	l->hashed = false;
}

void lease_put(struct smb_client *cl, struct lease *l)
{
	struct pcache *pc = pc_of(cl);
	if (!l)
		return;
	pthread_mutex_lock(&pc->lock);
	if (--l->refs > 0) {
		pthread_mutex_unlock(&pc->lock);
		return;
	}
	lease_unhash_locked(pc, l);
	g_hash_table_remove(pc->by_id, &l->id);
	bool had_read = l->state & SMB2_LEASE_READ_CACHING;
	pthread_mutex_unlock(&pc->lock);
	/* The server dropped the lease with our last handle: the glue's lease-long timeouts must end. */
	if (had_read)
		pc_queue_event(pc, SMB_EV_FILE, l->path);
	lease_free(l);
}

struct wb *lease_wb(struct lease *l)
{
	return l ? l->wb : NULL;
}

static bool lease_has(struct smb_client *cl, struct lease *l, uint32_t bit)
{
	struct pcache *pc = pc_of(cl);
	if (!pc || !l)
		return false;
	uint64_t gen = gen_of(cl);
	pthread_mutex_lock(&pc->lock);
	bool w = l->gen == gen && (l->state & bit) && !pc->stopping;
	pthread_mutex_unlock(&pc->lock);
	return w;
}

bool lease_write_cached(struct smb_client *cl, struct lease *l)
{
	return lease_has(cl, l, SMB2_LEASE_WRITE_CACHING);
}

bool lease_read_cached(struct smb_client *cl, struct lease *l)
{
	return lease_has(cl, l, SMB2_LEASE_READ_CACHING);
}

void pcache_writeback(struct smb_client *cl, const char *path, bool under)
{
	struct pcache *pc = pc_of(cl);
	GSList *todo = NULL;
	if (!pc)
		return;
	pthread_mutex_lock(&pc->lock);
	if (!under) {
		struct lease *l = g_hash_table_lookup(pc->by_path, path);
		if (l && wb_busy(l->wb)) {
			l->refs++;
			todo = g_slist_prepend(todo, l);
		}
	} else {
		GHashTableIter it;
		gpointer k, v;
		g_hash_table_iter_init(&it, pc->by_id);
		while (g_hash_table_iter_next(&it, &k, &v)) {
			struct lease *l = v;
			if (pc_path_under(l->path, path) && wb_busy(l->wb)) {
				l->refs++;
				todo = g_slist_prepend(todo, l);
			}
		}
	}
	pthread_mutex_unlock(&pc->lock);
	for (GSList *e = todo; e; e = e->next) {
		wb_writeback(cl, lease_wb(e->data), false);
		lease_put(cl, e->data);
	}
	g_slist_free(todo);
}

unsigned pcache_cached(struct smb_client *cl, const char *path)
{
	struct pcache *pc = pc_of(cl);
	unsigned out = 0;
	if (!pc)
		return 0;
	uint64_t gen = gen_of(cl);
	pthread_mutex_lock(&pc->lock);
	struct lease *l = g_hash_table_lookup(pc->by_path, path);
	if (l && l->gen == gen) {
		out |= (l->state & SMB2_LEASE_READ_CACHING) ? SMB_CACHE_READ : 0;
		out |= (l->state & SMB2_LEASE_HANDLE_CACHING) ? SMB_CACHE_HANDLE : 0;
		out |= (l->state & SMB2_LEASE_WRITE_CACHING) ? SMB_CACHE_WRITE : 0;
	}
	out |= watch_vouches_locked(pc, path, gen) ? SMB_CACHE_LISTING : 0;
	out |= watch_leased_locked(pc, path, gen) ? SMB_CACHE_DIRLEASE : 0;
	pthread_mutex_unlock(&pc->lock);
	return out;
}

void pcache_note_attr(struct smb_client *cl, struct smb_fh *fh, const struct smb_attr *a)
{
	struct pcache *pc = pc_of(cl);
	if (!pc || !fh->lease)
		return;
	pthread_mutex_lock(&pc->lock);
	fh->lease->attr_valid = a != NULL;
	if (a)
		fh->lease->attr = *a;
	pthread_mutex_unlock(&pc->lock);
}

/* ---- what the dialects' handles do about the cache ---- */

void pcache_fh_writeback(struct smb_client *cl, struct smb_fh *fh)
{
	if (fh->lease && wb_busy(lease_wb(fh->lease)))
		wb_writeback(cl, lease_wb(fh->lease), false);
}

int pcache_fh_hand_over(struct smb_client *cl, struct smb_fh *fh, struct wb_handed *h)
{
	memset(h, 0, sizeof(*h));
	if (!fh->lease || !wb_busy(lease_wb(fh->lease)))
		return 0;
	return wb_hand_over(cl, lease_wb(fh->lease), fh, h);
}

void pcache_fh_handed(struct smb_client *cl, struct smb_fh *fh, struct wb_handed *h, int err, uint32_t count)
{
	wb_handed_done(cl, lease_wb(fh->lease), h, err, count);
}

ssize_t pcache_write(struct smb_client *cl, struct smb_fh *fh, const void *buf, size_t size, uint64_t off, size_t cap)
{
	if (fh->lease && !fh->sync && size > 0) {
		ssize_t g = wb_write(cl, fh, buf, size, off, cap);
		if (g != -EAGAIN) {
			if (g > 0)
				pcache_wrote(cl, fh);
			return g;
		}
	}
	/* Write-through: after what was gathered, and reporting its error if it failed. */
	if (fh->lease && wb_busy(lease_wb(fh->lease))) {
		int e = wb_writeback(cl, lease_wb(fh->lease), true);
		if (e < 0)
			return e;
	}
	return -EAGAIN;
}

void pcache_wrote(struct smb_client *cl, struct smb_fh *fh)
{
	atomic_fetch_add(&cl->pre_epoch, 1);
	fh->wrote = true;
	pcache_note_attr(cl, fh, NULL);
}

int pcache_flush(struct smb_client *cl, struct smb_fh *fh)
{
	return fh->lease ? wb_writeback(cl, lease_wb(fh->lease), true) : 0;
}

void pcache_fh_closing(struct smb_client *cl, struct smb_fh *fh, uint64_t fid_key)
{
	if (pc_of(cl))
		watch_note_own(pc_of(cl), fh->path);
	/* Gathered data may be this handle's to send, and WRITEs in flight may use its handle. */
	pcache_fh_writeback(cl, fh);
	pcache_fid_gone(cl, fh->lease, fid_key);
}

/* ---- the handle cache (the rest: park.c) ---- */

void pcache_unlinked(struct smb_client *cl, const char *path)
{
	struct pcache *pc = pc_of(cl);
	if (!pc)
		return;
	watch_note_own(pc, path);
	pthread_mutex_lock(&pc->lock);
	/* pcache_flush_path has already unhashed the file's lease: find it among all of them. */
	GHashTableIter it;
	gpointer k, v;
	g_hash_table_iter_init(&it, pc->by_id);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		struct lease *l = v;
		if (strcmp(l->path, path) == 0) {
			l->gone = true;
			lease_unhash_locked(pc, l);
		}
	}
	GSList *old = NULL;
	for (GList *e = pc->parked.head, *next; e; e = next) {
		next = e->next;
		struct smb_fh *f = e->data;
		if (f->lease && f->lease->gone) {
			old = g_slist_prepend(old, f);
			g_queue_delete_link(&pc->parked, e);
		}
	}
	pthread_mutex_unlock(&pc->lock);
	pc_destroy_all(cl, old);
}

/* ---- the worker ---- */

void pcache_rebuilt(struct smb_client *cl)
{
	struct job *j = calloc(1, sizeof(*j));
	stat_add(&cl->st.reconnects, 1);
	atomic_fetch_add(&cl->pre_epoch, 1);
	if (!j || !pc_of(cl)) {
		free(j);
		return;
	}
	j->kind = JOB_REBUILT;
	pc_job_push(pc_of(cl), j);
}

/* Every lease of the old session is gone: parked handles are useless, state is void. */
static void do_rebuilt(struct pcache *pc)
{
	pthread_mutex_lock(&pc->lock);
	GSList *l = pc_unpark_matching_locked(pc, "", 0);
	GHashTableIter it;
	gpointer k, v;
	uint64_t gen = gen_of(pc->cl);
	g_hash_table_iter_init(&it, pc->by_id);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		struct lease *le = v;
		/* A durable handle taken back on the new session (smb2_ops.c) brought its lease with it. */
		if (le->gen == gen)
			continue;
		le->state = 0;
		le->attr_valid = false;
	}
	g_hash_table_remove_all(pc->by_fid);
	g_hash_table_remove_all(pc->early);
	pthread_mutex_unlock(&pc->lock);
	pc_destroy_all(pc->cl, l);
	pc_emit(pc, SMB_EV_ALL, "", NULL);
	if (pc->cl->cio->reclaim)
		pc->cl->cio->reclaim(pc->cl);
}

static void job_free(struct pcache *pc, struct job *j)
{
	free(j->rsp);
	free(j->path);
	free(j);
}

static void do_job(struct pcache *pc, struct job *j)
{
	switch (j->kind) {
	case JOB_BREAK:
		break_serve(pc, &j->brk);
		break;
	case JOB_NOTIFY:
		watch_notify_job(pc, j);
		break;
	case JOB_END_WATCH:
		watch_end(pc, j->w);
		break;
	case JOB_CHECK_WATCH:
		watch_check_job(pc, j->w);
		break;
	case JOB_REARM:
		watch_rearm_job(pc, j);
		break;
	case JOB_REBUILT:
		do_rebuilt(pc);
		break;
	case JOB_EVENT:
		pc_emit(pc, j->ev, j->path, NULL);
		break;
	}
	if (j->w) {
		pthread_mutex_lock(&pc->lock);
		watch_put_locked(pc, j->w);
		pthread_mutex_unlock(&pc->lock);
	}
	job_free(pc, j);
}

/* Wait for a job, a delayed job's time or for the oldest parked handle to expire; returns expired handles
 * in *expired. */
static struct job *next_job_locked(struct pcache *pc, GSList **expired)
{
	*expired = NULL;
	while (!pc->stopping && g_queue_is_empty(&pc->jobs)) {
		struct smb_fh *oldest = g_queue_peek_head(&pc->parked);
		struct job *later = g_queue_peek_head(&pc->delayed);
		uint64_t now = now_ms();
		if (later && later->due_ms <= now)
			return g_queue_pop_head(&pc->delayed);
		/* No expiry while the server is breaking leases: it may be sweeping Handle leases below a
		 * directory another client renames, and a handle it listed that we close before its turn stalls
		 * that rename for 35 s (watch.c, "A break closes one handle"). */
		uint64_t due = oldest ? MAX(oldest->parked_ms + PARK_MS, pc->break_ms + PARK_CALM_MS) : 0;
		if (oldest && due <= now) {
			*expired = pc_unpark_matching_locked(pc, NULL, now - PARK_MS);
			return NULL;
		}
		if (later && (!oldest || later->due_ms < due))
			due = later->due_ms;
		if (!oldest && !later) {
			pthread_cond_wait(&pc->cond, &pc->lock);
			continue;
		}
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		uint64_t ns = (uint64_t)ts.tv_nsec + (due - now) * 1000000;
		ts.tv_sec += (time_t)(ns / 1000000000);
		ts.tv_nsec = (long)(ns % 1000000000);
		pthread_cond_timedwait(&pc->cond, &pc->lock, &ts);
	}
	return g_queue_pop_head(&pc->jobs);
}

static void *bworker_main(void *arg)
{
	struct pcache *pc = arg;
	pthread_mutex_lock(&pc->lock);
	while (!pc->stopping) {
		struct job *j = g_queue_pop_head(&pc->bjobs);
		if (!j) {
			pthread_cond_wait(&pc->bcond, &pc->lock);
			continue;
		}
		pthread_mutex_unlock(&pc->lock);
		do_job(pc, j);
		pthread_mutex_lock(&pc->lock);
	}
	pthread_mutex_unlock(&pc->lock);
	return NULL;
}

static void *worker_main(void *arg)
{
	struct pcache *pc = arg;
	pthread_mutex_lock(&pc->lock);
	while (!pc->stopping) {
		GSList *expired;
		struct job *j = next_job_locked(pc, &expired);
		pthread_mutex_unlock(&pc->lock);
		pc_destroy_all(pc->cl, expired);
		if (j)
			do_job(pc, j);
		pthread_mutex_lock(&pc->lock);
	}
	pthread_mutex_unlock(&pc->lock);
	return NULL;
}

int pcache_new(struct smb_client *cl)
{
	struct pcache *pc = calloc(1, sizeof(*pc));
	if (!pc)
		return -ENOMEM;
	pc->cl = cl;
	pthread_mutex_init(&pc->lock, NULL);
	pthread_rwlock_init(&pc->ev_lock, NULL);
	smb_cancel_cond_init(&pc->cond);
	smb_cancel_cond_init(&pc->closing_cv);
	pthread_cond_init(&pc->bcond, NULL);
	g_queue_init(&pc->bjobs);
	pc->by_path = g_hash_table_new(g_str_hash, g_str_equal);
	pc->by_id = g_hash_table_new(g_int64_hash, g_int64_equal);
	pc->by_fid = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
	pc->early = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
	pc->pending = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	pc->watches = g_hash_table_new(g_str_hash, g_str_equal);
	pc->dleases = g_hash_table_new(g_int64_hash, g_int64_equal);
	g_queue_init(&pc->parked);
	g_queue_init(&pc->jobs);
	g_queue_init(&pc->delayed);
	cl->cache = pc;
	int rc = -pthread_create(&pc->worker, NULL, worker_main, pc);
	if (rc < 0)
		return rc; /* pcache_free cleans up */
	pc->has_worker = true;
	rc = -pthread_create(&pc->bworker, NULL, bworker_main, pc);
	if (rc < 0)
		return rc;
	pc->has_bworker = true;
	return 0;
}

void pcache_set_events(struct smb_client *cl, const struct smb_events *ev)
{
	struct pcache *pc = pc_of(cl);
	if (!pc)
		return;
	pthread_rwlock_wrlock(&pc->ev_lock);
	pc->ev = *ev;
	pthread_rwlock_unlock(&pc->ev_lock);
}

void pcache_stop(struct smb_client *cl)
{
	struct pcache *pc = pc_of(cl);
	if (!pc)
		return;
	pthread_mutex_lock(&pc->lock);
	pc->stopping = true;
	pthread_cond_broadcast(&pc->cond);
	pthread_cond_broadcast(&pc->bcond);
	pthread_mutex_unlock(&pc->lock);
	if (pc->has_worker)
		pthread_join(pc->worker, NULL);
	if (pc->has_bworker)
		pthread_join(pc->bworker, NULL);
	pc->has_worker = pc->has_bworker = false;
	pthread_mutex_lock(&pc->lock);
	GSList *l = pc_unpark_matching_locked(pc, "", 0);
	pthread_mutex_unlock(&pc->lock);
	pc_destroy_all(cl, l);
	/* Completes each pending request; its job waits in the queue for pcache_free. */
	watch_close_under(pc, "");
}

void pcache_free(struct smb_client *cl)
{
	struct pcache *pc = pc_of(cl);
	if (!pc)
		return;
	/* The session is gone, so every done callback has run: the queue holds the last references. */
	struct job *j;
	while ((j = g_queue_pop_head(&pc->bjobs)))
		job_free(pc, j);
	while ((j = g_queue_pop_head(&pc->jobs)) || (j = g_queue_pop_head(&pc->delayed))) {
		if (j->w)
			watch_put_locked(pc, j->w);
		job_free(pc, j);
	}
	watch_free_all(pc);
	g_hash_table_destroy(pc->by_path);
	g_hash_table_destroy(pc->by_id);
	g_hash_table_destroy(pc->by_fid);
	g_hash_table_destroy(pc->early);
	g_hash_table_destroy(pc->pending);
	pthread_mutex_destroy(&pc->lock);
	pthread_rwlock_destroy(&pc->ev_lock);
	pthread_cond_destroy(&pc->cond);
	pthread_cond_destroy(&pc->closing_cv);
	pthread_cond_destroy(&pc->bcond);
	free(pc);
	cl->cache = NULL;
}
