/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * watch.c - directory watches: CHANGE_NOTIFY (MS-SMB2 3.2.4.14) and SMB1's NT_TRANSACT_NOTIFY_CHANGE
 * (MS-CIFS 2.2.7.4), through the dialect's struct cache_io, feeding the glue's listing cache.
 *
 * A directory the glue lists gets a CHANGE_NOTIFY (Samba 4.17 grants no directory leases). The
 * request has no deadline; its completion runs on the receive thread, moves the reply into a job, and the
 * worker turns it into SMB_EV_ENTRY events (SMB_EV_DIR for STATUS_NOTIFY_ENUM_DIR, the server's overflow)
 * and sends the next request. At most WATCH_MAX directories are watched (fewer where the dialect says so:
 * over SMB1 each pending request holds one of the server's MaxMpxCount slots); the least recently used is
 * dropped by closing its handle, which completes its request (STATUS_NOTIFY_CLEANUP) and so ends the watch
 * through the same path as any failure: one SMB_EV_DIR, after which the glue stops trusting that listing.
 * Cancel is not used, so no reference to an in-flight request is ever shared between threads.
 *
 * Namespace operations. A watch is a handle we hold open on a directory, and a server refuses to rename a
 * directory with handles open below it (Samba: ACCESS_DENIED) and leaves one it deleted delete-pending while
 * a handle is open on it (the next rmdir of its parent then finds it and says NOT_EMPTY). So before our own
 * rename, rmdir or unlink of a path, watch_close_under closes every watch at or below it, deepest first, and
 * waits for the CLOSEs: a cache never changes the outcome of an operation. The glue hears SMB_EV_DIR for
 * each and watches again the next time it lists the directory. Another client's handles are that client's
 * business: Samba, with its default "strict rename = no", checks only the process serving us; Windows
 * refuses the rename while any client holds a handle below.
 *
 * Removed by another client. Our watch handle keeps a directory that another client deletes
 * delete-pending, on the server and for everyone, until we close it. Samba ends a pending change
 * notification on it with DELETE_PENDING, and the watch then ends; but between an answer and our next
 * request there is none pending, and that news is lost. So after each answer the next request goes out
 * first and then we ask whether the directory is delete-pending: the server serves the two in order, so
 * either the request was pending when the delete came, or the question sees it. The question is an open
 * of the directory by its name (STATUS_DELETE_PENDING), not a query of our handle: Samba sets the delete
 * under the file's share-mode lock and sends the other handles' processes their news (which ends their
 * pending notifications) before it stores the record and lets go of the lock, and a query reads the
 * record without that lock, so it can still say "not pending" after our request came too late for the
 * news (seen under load: the other client's rm -rf then found the parent not empty for 3 s, and the
 * directory stayed until we unmounted). An open waits for the lock. The same holds between our open and
 * the first request, so a new watch asks too, from the worker, so that the listing that started it waits
 * for no further round trip. Over SMB2 that listing's own open of the directory by name (smb2_readdir,
 * sent after the first request) is the same question (pcache_listing_begin): the worker waits a moment
 * and asks only if no listing answered, and `find` over new directories costs no open and close each.
 * A watch with a Handle lease is not asked: the server breaks the lease, and waits for us, before
 * it deletes. Nor after an answer in which no name went: the server keeps the changes that come while no
 * request is pending and answers the next request with them
 * at once (MS-FSA 2.1.5.10, Samba's notify_fsp), and a directory deleted meanwhile had to be emptied
 * first, so a name's removal is in this answer or in the next; the question comes after that one. So
 * `tar -x` or `touch` in a watched directory, whose answers only add and modify, ask nothing
 * (notify.delete_checks).
 *
 * Our own changes. Each CREATE, WRITE, SET_INFO and CLOSE of ours in a watched directory completes the
 * pending change notification at once, and sending the next one is another request: about three answers
 * per file of a `tar -x`, each a trip through Samba's notifyd and two context switches here, telling us
 * what we already know. So while this mount has opened, closed or unlinked a name in the directory within
 * WATCH_OWN_MS (watch_note_own), the next request goes out WATCH_REARM_MS after the answer (a JOB_REARM
 * on pcache.delayed). The server keeps the changes that come meanwhile and answers that request at once
 * with all of them, so none is lost; another client's change in that directory reaches us up to
 * WATCH_REARM_MS later than it would have. A directory we do not change is asked again at once.
 *
 * Directory leases (MS-SMB2 3.2.4.3.8; Samba 4.22 "smb3 directory leases", Windows). Where the session
 * grants them, the watch's open also asks for a Read+Handle lease under a key of its own (new at each open,
 * so no grant ever meets a break still in progress on an old one), and the CHANGE_NOTIFY goes on beside it
 * for its per-name news. The server breaks the lease, to none, for any change in the directory (a create,
 * delete, rename, attribute change or a written file's close) and for another client's rename or delete of
 * the directory or of one above it: Samba 4.22 sends the break as it makes the change, where a notification
 * travels through notifyd after it, and for a rename or delete it waits until we let go of the Handle lease
 * (with directory leases on, Samba checks every client's opens below a renamed directory: "strict rename";
 * a watch handle without a Handle lease there would make the other client's rename fail). So: the receive
 * thread marks the watch broken at once (pcache_watch then no longer vouches for the listing); the break
 * worker closes the handle, forgets the names, queues SMB_EV_DIR for the other worker (entry invalidation
 * must never run on the break worker: cache.c, "Two workers") and only then acknowledges. The next listing
 * opens the directory again, with a new lease. Our own creates name the directory's key as their
 * ParentLeaseKey (MS-SMB2 2.2.13.2.10), so they do not break it; opens without a lease (mkdir, unlink,
 * rename) do, which costs one listing.
 *
 * A break closes one handle. Before another client's rename of a directory, Samba 4.22 lists every open
 * below it that holds a Handle lease, then breaks them one file at a time, each time waiting for that
 * file's share-mode record to change (the close) before it sends the next break
 * (source3/smbd/smb2_oplock.c, delay_for_handle_lease_break_below_send_breaks and _below_done). A handle
 * it listed that we close before its turn comes (a parked file below a directory whose own lease break
 * came first) is then gone when its break is sent: the break finds no open ("allowing break to succeed"),
 * the record never changes again, and the rename waits out OPLOCK_BREAK_TIMEOUT (35 s) and fails. So the
 * break of a directory's lease closes the directory's handle and nothing below it; each file below keeps
 * its own lease, and its own break (which Samba sends for it) closes it. doc/CACHING.md has the case.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "cache_i.h"
#include "smbfuse/cancel.h"
#include "smbfuse/err.h"
#include "smbfuse/log.h"
#include "smbfuse/util.h"

void watch_put_locked(struct pcache *pc, struct watch *w)
{
	if (--w->refs > 0)
		return;
	if (w->h)
		pc->cl->cio->watch_free(w->h);
	free(w->path);
	free(w);
}

/* Receive thread: move the reply into a job for the worker. */
static void notify_done(void *arg, int err, uint32_t status, uint8_t *rsp, size_t rsp_len)
{
	struct watch *w = arg;
	struct job *j = calloc(1, sizeof(*j));
	if (!j) {
		/* Cannot happen often; the watch then stays silent until evicted, so end it the slow way. */
		log_warn("out of memory in a change notification");
		free(rsp);
		return;
	}
	j->kind = JOB_NOTIFY;
	j->w = w; /* takes over the in-flight reference */
	j->err = err;
	j->status = status;
	j->rsp = rsp;
	j->rsp_len = rsp_len;
	pc_job_push(w->pc, j);
}

/* Send the next change notification request of w; on failure the watch ends. Not on the receive thread. */
static int watch_submit(struct pcache *pc, struct watch *w)
{
	struct smb_client *cl = pc->cl;
	pthread_mutex_lock(&pc->lock);
	w->refs++; /* the request's */
	pthread_mutex_unlock(&pc->lock);
	if (w->gen != gen_of(cl)) {
		/* The session was rebuilt in between: the handle is stale, the request would fail. */
		log_dbg("watch of \"%s\" outlived its session", w->path);
	}
	int rc = cl->cio->watch_arm(cl, w->h, notify_done, w);
	if (rc < 0) {
		pthread_mutex_lock(&pc->lock);
		w->refs--;
		pthread_mutex_unlock(&pc->lock);
	}
	return rc;
}

static void dlease_unhash_locked(struct pcache *pc, struct watch *w)
{
	if (w->in_dleases && g_hash_table_lookup(pc->dleases, &w->key_id) == w) {
		g_hash_table_remove(pc->dleases, &w->key_id);
		w->refs--; /* the table's */
	}
	w->in_dleases = false;
}

/* The CLOSE of w's handle, by whichever thread set w->closed (under the lock, with closing_begin_locked). */
static void closing_begin_locked(struct pcache *pc, struct watch *w)
{
	pc->closing = g_slist_prepend(pc->closing, w);
}

static void watch_close_now(struct pcache *pc, struct watch *w)
{
	pc->cl->cio->watch_close(pc->cl, w->h);
	pthread_mutex_lock(&pc->lock);
	pc->closing = g_slist_remove(pc->closing, w);
	pthread_cond_broadcast(&pc->closing_cv);
	pthread_mutex_unlock(&pc->lock);
}

static bool closing_under_locked(const struct pcache *pc, const char *path)
{
	for (const GSList *e = pc->closing; e; e = e->next)
		if (pc_path_under(((const struct watch *)e->data)->path, path))
			return true;
	return false;
}

/* Close w's handle once and forget it; the glue stops trusting the directory, told now (the worker) or,
 * for a lease break, by the other worker (the break worker must not invalidate entries). A lease break
 * closes this handle only, nothing else below it: see "A break closes one handle" above. */
static void watch_end_how(struct pcache *pc, struct watch *w, bool lease_break)
{
	pthread_mutex_lock(&pc->lock);
	bool close = !w->closed;
	w->closed = true;
	if (close)
		closing_begin_locked(pc, w);
	if (!w->ending)
		pc->nwatch--;
	w->ending = true;
	if (w->hashed && g_hash_table_lookup(pc->watches, w->path) == w) {
		g_hash_table_remove(pc->watches, w->path);
		w->refs--; /* the table's */
	}
	w->hashed = false;
	dlease_unhash_locked(pc, w);
	pthread_mutex_unlock(&pc->lock);
	if (close) {
		watch_close_now(pc, w);
		/* Names in it are no longer covered: what we cached by name under it is forgotten. Not after a
		 * lease break: the files below keep their own leases, which the server breaks one by one. Their
		 * leases stay findable by name too: a later open under a new key would be a second open of the
		 * file, which Samba's sweep finds left after the first one's CLOSE (EACCES). */
		if (!lease_break)
			pc_forget_path(pc, w->path);
		if (lease_break)
			pc_queue_event(pc, SMB_EV_DIR, w->path);
		else
			pc_emit(pc, SMB_EV_DIR, w->path, NULL);
	}
}

void watch_end(struct pcache *pc, struct watch *w)
{
	watch_end_how(pc, w, false);
}

/* The live watch whose directory lease b names, or NULL. */
static struct watch *dlease_find_locked(struct pcache *pc, const struct cache_break *b)
{
	uint64_t id;
	memcpy(&id, b->lease_key, sizeof(id));
	struct watch *w = g_hash_table_lookup(pc->dleases, &id);
	if (!w || memcmp(w->key, b->lease_key, 16) != 0 || w->gen != b->gen)
		return NULL;
	return w;
}

void watch_lease_broken(struct pcache *pc, const struct cache_break *b)
{
	pthread_mutex_lock(&pc->lock);
	struct watch *w = dlease_find_locked(pc, b);
	if (w)
		w->broken = true;
	pthread_mutex_unlock(&pc->lock);
}

bool watch_vouches_locked(struct pcache *pc, const char *path, uint64_t gen)
{
	const struct watch *w = g_hash_table_lookup(pc->watches, path);
	return w && !w->ending && !w->broken && w->gen == gen;
}

bool watch_leased_locked(struct pcache *pc, const char *path, uint64_t gen)
{
	const struct watch *w = g_hash_table_lookup(pc->watches, path);
	return watch_vouches_locked(pc, path, gen) && (w->lstate & SMB2_LEASE_READ_CACHING);
}

bool watch_lease_break(struct pcache *pc, const struct cache_break *b, void (*before_close)(void))
{
	pthread_mutex_lock(&pc->lock);
	struct watch *w = dlease_find_locked(pc, b);
	if (w) {
		w->broken = true;
		w->refs++; /* ours */
	}
	pthread_mutex_unlock(&pc->lock);
	if (!w)
		return false;
	stat_add(&pc->cl->st.dirlease_breaks, 1);
	log_dbg("directory lease break \"%s\": 0x%x -> 0x%x", w->path, w->lstate, b->new_state);
	before_close();
	watch_end_how(pc, w, true);
	pthread_mutex_lock(&pc->lock);
	watch_put_locked(pc, w);
	pthread_mutex_unlock(&pc->lock);
	return true;
}

bool pcache_parent_lease_key(struct smb_client *cl, struct lease *l, uint8_t key[16])
{
	struct pcache *pc = pc_of(cl);
	bool found = false;
	if (!pc || !l)
		return false;
	uint64_t gen = gen_of(cl);
	pthread_mutex_lock(&pc->lock);
	const char *slash = strrchr(l->path, '/');
	char *dir = g_strndup(l->path, slash ? (size_t)(slash - l->path) : 0);
	struct watch *w = g_hash_table_lookup(pc->watches, dir);
	if (w && w->lstate && !w->ending && !w->broken && w->gen == gen) {
		memcpy(key, w->key, 16);
		found = true;
	}
	pthread_mutex_unlock(&pc->lock);
	g_free(dir);
	return found;
}

/* Actions after which the name may stand for another file, or none: another client removed it, renamed
 * it away, or renamed something over it. A rename over a name from another directory is notified as
 * ADDED alone (Samba sends no REMOVED for the file it replaced), so ADDED counts too: whatever we held
 * under that name was another file. */
static bool name_gone(uint32_t action)
{
	return action == FILE_ACTION_REMOVED || action == FILE_ACTION_RENAMED_OLD_NAME ||
	       action == FILE_ACTION_RENAMED_NEW_NAME || action == FILE_ACTION_REMOVED_BY_DELETE ||
	       action == FILE_ACTION_ADDED;
}

/* A directory renamed away keeps our watches on it and below, now on other names: they end too. */
static void forget_child(struct pcache *pc, const char *dir, const char *name)
{
	char *p = g_strconcat(dir, *dir ? "/" : "", name, NULL);
	pc_forget_path(pc, p);
	watch_close_under(pc, p);
	g_free(p);
}

/* A name left the directory: it may be empty now. */
static bool name_left(uint32_t action)
{
	return action == FILE_ACTION_REMOVED || action == FILE_ACTION_RENAMED_OLD_NAME ||
	       action == FILE_ACTION_REMOVED_BY_DELETE;
}

/* Emit an answer's changes; true if a name went (or the answer did not say): the directory may be empty
 * now, and deleted next (watch_notify_job). */
static bool notify_emit(struct pcache *pc, struct watch *w, const uint8_t *rsp, size_t n)
{
	struct smb2_notify_iter it;
	struct smb2_notify_entry e;
	const uint8_t *buf;
	uint32_t len;
	bool gone = false;
	if (pc->cl->cio->watch_changes(rsp, n, &buf, &len) < 0) {
		pc_emit(pc, SMB_EV_DIR, w->path, NULL);
		return true;
	}
	smb2_notify_iter_init(&it, buf, len);
	int rc;
	while ((rc = smb2_notify_next(&it, &e)) > 0) {
		char *name;
		/* WATCH_TREE is off, so a name is one component; proto_listed_name is strict anyway. Our hidden
		 * names (hidden.c) are never the glue's business. */
		gone = gone || name_left(e.action);
		if (proto_listed_name(pc->cl, e.name, e.name_len, &name) <= 0)
			continue;
		if (!proto_hidden_name(name)) {
			if (name_gone(e.action))
				forget_child(pc, w->path, name);
			pc_emit(pc, SMB_EV_ENTRY, w->path, name);
		}
		free(name);
	}
	if (rc < 0 || len == 0) {
		pc_emit(pc, SMB_EV_DIR, w->path, NULL); /* unreadable or empty: assume anything changed */
		gone = true;
	}
	return gone;
}

/* Whether another client deleted w's directory (see "Removed by another client" above). A watch with a
 * Handle lease is not asked: the server breaks that lease, and waits for us, before the delete. */
static bool dir_deleting(struct pcache *pc, struct watch *w)
{
	struct smb_client *cl = pc->cl;
	if ((w->lstate & SMB2_LEASE_HANDLE_CACHING) || !cl->cio->watch_deleting)
		return false;
	stat_add(&cl->st.delete_checks, 1);
	return cl->cio->watch_deleting(cl, w->h, w->path) == 1;
}

/* A job of kind for the worker, holding a reference to w; NULL if out of memory. pcache.lock held. */
static struct job *watch_job_locked(struct watch *w, enum job_kind kind)
{
	struct job *j = calloc(1, sizeof(*j));
	if (j) {
		j->kind = kind;
		j->w = w;
		w->refs++;
	}
	return j;
}

/* Send w's next request (again: it is still wanted), or end it; then, after an answer in which a name
 * left (gone), ask whether the directory is being deleted. */
static void rearm(struct pcache *pc, struct watch *w, bool again, bool gone)
{
	if (!again || watch_submit(pc, w) < 0)
		watch_end(pc, w);
	else if (gone && dir_deleting(pc, w))
		watch_end(pc, w); /* see "Removed by another client" above */
}

void watch_notify_job(struct pcache *pc, struct job *j)
{
	struct smb_client *cl = pc->cl;
	struct watch *w = j->w;
	bool ok = j->err == 0 && (j->status == STATUS_SUCCESS || j->status == STATUS_NOTIFY_ENUM_DIR);
	bool gone = true;
	if (ok) {
		stat_add(&cl->st.notifications, 1);
		if (j->status == STATUS_NOTIFY_ENUM_DIR) {
			stat_add(&cl->st.notify_overflows, 1);
			pc_forget_path(pc, w->path); /* any name in it may now stand for another file */
			pc_emit(pc, SMB_EV_DIR, w->path, NULL);
		} else {
			gone = notify_emit(pc, w, j->rsp, j->rsp_len);
		}
	}
	pthread_mutex_lock(&pc->lock);
	bool again = ok && !w->ending && !pc->stopping && w->gen == gen_of(cl);
	uint64_t now = now_ms();
	struct job *later = again && now - w->own_ms < WATCH_OWN_MS ? watch_job_locked(w, JOB_REARM) : NULL;
	if (later) {
		/* See "Our own changes" above. */
		later->due_ms = now + WATCH_REARM_MS;
		later->gone = gone;
		g_queue_push_tail(&pc->delayed, later);
		stat_add(&cl->st.rearms_delayed, 1);
	}
	pthread_mutex_unlock(&pc->lock);
	if (!later)
		rearm(pc, w, again, gone);
}

void watch_rearm_job(struct pcache *pc, struct job *j)
{
	struct watch *w = j->w;
	pthread_mutex_lock(&pc->lock);
	bool again = !w->ending && !pc->stopping && w->gen == gen_of(pc->cl);
	pthread_mutex_unlock(&pc->lock);
	rearm(pc, w, again, j->gone);
}

void watch_note_own(struct pcache *pc, const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash ? (size_t)(slash - path) : 0;
	char dir[256];
	if (n >= sizeof(dir))
		return; /* a deep path: its directory's answers just come at once */
	memcpy(dir, path, n);
	dir[n] = '\0';
	pthread_mutex_lock(&pc->lock);
	struct watch *w = g_hash_table_size(pc->watches) ? g_hash_table_lookup(pc->watches, dir) : NULL;
	if (w)
		w->own_ms = now_ms();
	pthread_mutex_unlock(&pc->lock);
}

/* Have the worker end w (not a FUSE thread: the glue's invalidation takes the kernel's directory locks);
 * from now on it vouches for nothing. False if out of memory. */
static bool end_later_locked(struct pcache *pc, struct watch *w)
{
	struct job *j = watch_job_locked(w, JOB_END_WATCH);
	if (!j)
		return false;
	if (!w->ending)
		pc->nwatch--;
	w->ending = true;
	pc_job_push_locked(pc, j);
	return true;
}

/* Have the worker ask whether w's directory is being deleted (watch_check_job): WATCH_REARM_MS from now
 * where the dialect's listing answers that question (by then the listing that started the watch usually
 * has), else at once. False if out of memory. */
static bool check_later_locked(struct pcache *pc, struct watch *w)
{
	struct job *j = watch_job_locked(w, JOB_CHECK_WATCH);
	if (!j)
		return false;
	if (!pc->cl->cio->listing_answers) {
		pc_job_push_locked(pc, j);
		return true;
	}
	j->due_ms = now_ms() + WATCH_REARM_MS;
	g_queue_push_tail(&pc->delayed, j); /* every delay is the same: the queue stays oldest first */
	pthread_cond_signal(&pc->cond);
	return true;
}

/* FUSE thread. Open the directory and start watching it. */
static int watch_start(struct pcache *pc, const char *path)
{
	struct smb_client *cl = pc->cl;
	struct watch *w = calloc(1, sizeof(*w));
	if (!w || !(w->path = strdup(path))) {
		free(w);
		return -ENOMEM;
	}
	w->pc = pc;
	bool keyed = getrandom(w->key, sizeof(w->key), 0) == (ssize_t)sizeof(w->key);
	w->key[PROTO_LEASE_TAG_BYTE] = proto_lease_tag(pc->cl);
	memcpy(&w->key_id, w->key, sizeof(w->key_id));
	int rc = cl->cio->watch_open(cl, path, keyed ? w->key : NULL, &w->h, &w->gen, &w->lstate);
	if (rc < 0) {
		free(w->path);
		free(w);
		return rc;
	}
	pthread_mutex_lock(&pc->lock);
	struct watch *other = g_hash_table_lookup(pc->watches, path);
	/* A broken one is still being closed by the break worker: the next listing tries again. */
	bool lost = pc->stopping || (other && (!other->ending || other->broken));
	if (!lost) {
		if (other) {
			other->hashed = false;
			g_hash_table_remove(pc->watches, path);
			watch_put_locked(pc, other);
		}
		/* The table's, and ours: from the unlock on, another thread may end w (evicted, closed under a
		 * rename, stopping) and drop the table's. */
		w->refs = 2;
		w->hashed = true;
		w->used_ms = now_ms();
		g_hash_table_insert(pc->watches, w->path, w);
		pc->nwatch++;
		if (w->lstate && !g_hash_table_contains(pc->dleases, &w->key_id)) {
			w->refs++; /* pcache.dleases' */
			w->in_dleases = true;
			g_hash_table_insert(pc->dleases, &w->key_id, w);
		}
	}
	pthread_mutex_unlock(&pc->lock);
	if (lost) {
		/* Another thread started the same watch meanwhile (or we are unmounting). */
		cl->cio->watch_close(cl, w->h);
		cl->cio->watch_free(w->h);
		free(w->path);
		free(w);
		return pc->stopping ? 0 : 1;
	}
	stat_add(&cl->st.watches_started, 1);
	if (w->lstate)
		stat_add(&cl->st.dirleases_granted, 1);
	/* The first request fails when the connection went after the open (no done will run): the watch
	 * ends, and the table's reference with it; ours frees it. */
	rc = watch_submit(pc, w) < 0 ? 0 : 1;
	if (rc == 0) {
		watch_end(pc, w);
	} else {
		/* Another client may have deleted the directory between our open and this first request (see
		 * "Removed by another client" above). The worker asks, so that the listing that started the
		 * watch waits for no further round trip; should it find the directory gone, ending the watch
		 * takes back what it vouched for meanwhile, as a notification of the delete would. */
		pthread_mutex_lock(&pc->lock);
		bool queued = w->unasked = check_later_locked(pc, w);
		if (queued)
			stat_add(&cl->st.questions_open, 1);
		pthread_mutex_unlock(&pc->lock);
		if (!queued && dir_deleting(pc, w)) {
			pthread_mutex_lock(&pc->lock);
			queued = end_later_locked(pc, w);
			pthread_mutex_unlock(&pc->lock);
			if (!queued)
				watch_end(pc, w);
			rc = 0;
		}
	}
	pthread_mutex_lock(&pc->lock);
	watch_put_locked(pc, w);
	pthread_mutex_unlock(&pc->lock);
	return rc;
}

void watch_check_job(struct pcache *pc, struct watch *w)
{
	pthread_mutex_lock(&pc->lock);
	bool live = !w->ending && !pc->stopping, ask = w->unasked;
	if (ask && live && w->listings > 0 && check_later_locked(pc, w)) {
		pthread_mutex_unlock(&pc->lock); /* a listing's open is on its way: it answers, or the next turn asks */
		return;
	}
	w->unasked = false;
	pthread_mutex_unlock(&pc->lock);
	if (ask && live && dir_deleting(pc, w))
		watch_end(pc, w);
	if (ask)
		stat_add(&pc->cl->st.questions_open, (uint64_t)-1); /* a gauge: one question fewer */
}

struct watch *pcache_listing_begin(struct smb_client *cl, const char *path)
{
	struct pcache *pc = pc_of(cl);
	if (!pc)
		return NULL;
	pthread_mutex_lock(&pc->lock);
	struct watch *w = g_hash_table_lookup(pc->watches, path);
	if (w && w->unasked && !w->ending) {
		w->listings++;
		w->refs++;
	} else {
		w = NULL;
	}
	pthread_mutex_unlock(&pc->lock);
	return w;
}

void pcache_listing_opened(struct smb_client *cl, struct watch *w, bool open_ok)
{
	struct pcache *pc = pc_of(cl);
	if (!w)
		return;
	pthread_mutex_lock(&pc->lock);
	w->listings--;
	if (open_ok && w->unasked) {
		w->unasked = false; /* opened by name after the first request: not being deleted before it */
		stat_add(&cl->st.listing_answers, 1);
		stat_add(&cl->st.questions_open, (uint64_t)-1);
	}
	watch_put_locked(pc, w);
	pthread_mutex_unlock(&pc->lock);
}

/* The least recently used live watch, to make room; NULL if none. */
static struct watch *lru_watch_locked(struct pcache *pc)
{
	GHashTableIter it;
	gpointer k, v;
	struct watch *best = NULL;
	g_hash_table_iter_init(&it, pc->watches);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		struct watch *w = v;
		if (!w->ending && (!best || w->used_ms < best->used_ms))
			best = w;
	}
	return best;
}

int pcache_watch(struct smb_client *cl, const char *path)
{
	struct pcache *pc = pc_of(cl);
	if (!pc || !cl->cio->watch_open)
		return 0;
	uint64_t gen = gen_of(cl);
	unsigned max = cl->cio->watch_max ? cl->cio->watch_max(cl) : WATCH_MAX;
	if (max == 0)
		return 0;
	pthread_mutex_lock(&pc->lock);
	struct watch *w = g_hash_table_lookup(pc->watches, path);
	if (w && w->broken) {
		pthread_mutex_unlock(&pc->lock);
		return 0; /* its break is being served; nothing vouches for the listing until then */
	}
	if (w && !w->ending && w->gen == gen) {
		w->used_ms = now_ms();
		pthread_mutex_unlock(&pc->lock);
		return 1;
	}
	if (pc->nwatch >= max) {
		struct watch *old = lru_watch_locked(pc);
		if (old)
			end_later_locked(pc, old);
	}
	pthread_mutex_unlock(&pc->lock);
	return watch_start(pc, path);
}

/* Deepest first, so a directory's handle closes after those below it. */
static gint deeper_first(gconstpointer a, gconstpointer b)
{
	size_t la = strlen(((const struct watch *)a)->path), lb = strlen(((const struct watch *)b)->path);
	return la < lb ? 1 : la > lb ? -1 : 0;
}

void watch_close_under(struct pcache *pc, const char *path)
{
	GSList *ws = NULL;
	pthread_mutex_lock(&pc->lock);
	GHashTableIter it;
	gpointer k, v;
	g_hash_table_iter_init(&it, pc->watches);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		struct watch *w = v;
		if (!pc_path_under(w->path, path))
			continue;
		if (!w->ending)
			pc->nwatch--;
		w->ending = true;
		w->hashed = false;
		g_hash_table_iter_remove(&it); /* the table's reference becomes ours */
		dlease_unhash_locked(pc, w);
		if (w->closed) {
			watch_put_locked(pc, w);
			continue;
		}
		w->closed = true;
		closing_begin_locked(pc, w);
		ws = g_slist_prepend(ws, w);
	}
	pthread_mutex_unlock(&pc->lock);
	ws = g_slist_sort(ws, deeper_first);
	for (GSList *e = ws; e; e = e->next) {
		struct watch *w = e->data;
		/* Completes the request in flight (NOTIFY_CLEANUP); its job finds the watch closed and ending. */
		watch_close_now(pc, w);
		pc_queue_event(pc, SMB_EV_DIR, w->path);
	}
	pthread_mutex_lock(&pc->lock);
	for (GSList *e = ws; e; e = e->next)
		watch_put_locked(pc, e->data);
	/* A watch below path that another thread is closing (evicted, broken, another rename's) still holds
	 * its handle until that CLOSE is answered: the server would refuse our rename for it. Each CLOSE has
	 * its deadline; an interrupt ends the wait (the operation then meets the server's refusal). */
	while (closing_under_locked(pc, path) && smb_cancel_wait(&pc->closing_cv, &pc->lock, NULL) == 0)
		;
	pthread_mutex_unlock(&pc->lock);
	g_slist_free(ws);
}

void watch_free_all(struct pcache *pc)
{
	GHashTableIter it;
	gpointer k, v;
	g_hash_table_iter_init(&it, pc->dleases);
	while (g_hash_table_iter_next(&it, &k, &v))
		watch_put_locked(pc, v); /* one in both tables is freed by the second */
	g_hash_table_destroy(pc->dleases);
	pc->dleases = NULL;
	g_hash_table_iter_init(&it, pc->watches);
	while (g_hash_table_iter_next(&it, &k, &v))
		watch_put_locked(pc, v);
	g_hash_table_destroy(pc->watches);
	pc->watches = NULL;
}
