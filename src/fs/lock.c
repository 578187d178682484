/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lock.c - fcntl (POSIX and OFD) and flock locks: FUSE getlk, setlk and flock onto ops->lock (doc/locks.md).
 *
 * Two models meet here. POSIX locks belong to an owner (the kernel's lock_owner: a process for fcntl
 * locks, an open file description for OFD locks and flock), never conflict with their owner's other
 * locks, and a new lock replaces whatever the owner held in its range: unlocking a sub-range splits a
 * lock, adjacent locks of one kind merge, a lock changes kind in place. SMB locks belong to the handle,
 * stack (a range locked twice needs two unlocks, of exactly that range), and an exclusive lock even
 * conflicts with its own handle's. So the glue keeps the POSIX view per inode (records: owner, open file,
 * range, kind), decides local conflicts there as a local filesystem would, and holds at the server, per
 * open file (handle), the union of its records' ranges, each stretch shared or exclusive. A change
 * recomputes that union where it changed and sends the difference: new stretches are locked first where
 * they cannot collide with what is being given up (a shared lock may stack on the handle's own exclusive
 * one, so a downgrade never lets go of the range), then the old ones are unlocked, then the rest locked
 * (a split, an upgrade: the one moment another client may step in, documented). A lock that fails undoes
 * what was done, so the server holds what the records say.
 *
 * flock is a lock of the whole file by its open file description (as NFS and the kernel's cifs do it), so
 * it conflicts with fcntl locks of other owners, unlike on a local disk.
 *
 * Concurrency. One mutex (locks_mu) guards every inode's tables; no round trip is made with it held. A change
 * reserves its span (everything its recomputation may touch) while its requests are out; another change
 * or probe overlapping that span waits for it, so the server sees each stretch change in one order. A
 * lock that waits at the server keeps its span reserved: F_SETLK on an overlapping range then fails at
 * once (someone is queued there), F_SETLKW queues behind it. Local waits end with EINTR on an interrupt.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>

#include "fs_i.h"
#include "smbfuse/cancel.h"
#include "smbfuse/log.h"

#define END_MAX ((uint64_t)INT64_MAX) /* the kernel's OFFSET_MAX: POSIX's "to the end of the file" */

struct rec {
	uint64_t owner;
	struct fs_file *f;
	uint64_t start, end; /* inclusive, end <= END_MAX */
	bool excl;
	pid_t pid;
};

struct held {
	struct fs_file *f;
	uint64_t start, end;
	bool excl;
};

struct span {
	uint64_t start, end;
	bool waiting; /* a lock of it waits at the server */
};

struct ilock {
	GArray *recs; /* struct rec */
	GArray *held; /* struct held: what the server holds for this inode, per handle */
	GArray *busy; /* struct span: changes in flight */
};

static bool overlap(uint64_t s1, uint64_t e1, uint64_t s2, uint64_t e2)
{
	return s1 <= e2 && s2 <= e1;
}

static bool touch(uint64_t s1, uint64_t e1, uint64_t s2, uint64_t e2)
{
	return overlap(s1, e1 == END_MAX ? e1 : e1 + 1, s2, e2 == END_MAX ? e2 : e2 + 1);
}

void fs_locks_init(struct fs *fs)
{
	pthread_mutex_init(&fs->locks_mu, NULL);
	smb_cancel_cond_init(&fs->locks_cv);
	fs->locks = g_hash_table_new(g_int64_hash, g_int64_equal);
}

static void ilock_free(struct ilock *il)
{
	g_array_free(il->recs, true);
	g_array_free(il->held, true);
	g_array_free(il->busy, true);
	g_free(il);
}

void fs_locks_free(struct fs *fs)
{
	GHashTableIter it;
	gpointer k, v;
	g_hash_table_iter_init(&it, fs->locks);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		g_free(k);
		ilock_free(v);
	}
	g_hash_table_destroy(fs->locks);
	pthread_cond_destroy(&fs->locks_cv);
	pthread_mutex_destroy(&fs->locks_mu);
}

static struct ilock *ilock_get_locked(struct fs *fs, fuse_ino_t ino, bool create)
{
	uint64_t key = ino;
	struct ilock *il = g_hash_table_lookup(fs->locks, &key);
	if (il || !create)
		return il;
	il = g_new0(struct ilock, 1);
	il->recs = g_array_new(false, false, sizeof(struct rec));
	il->held = g_array_new(false, false, sizeof(struct held));
	il->busy = g_array_new(false, false, sizeof(struct span));
	uint64_t *k = g_new(uint64_t, 1);
	*k = ino;
	g_hash_table_insert(fs->locks, k, il);
	return il;
}

static void ilock_maybe_drop_locked(struct fs *fs, fuse_ino_t ino, struct ilock *il)
{
	if (il->recs->len || il->held->len || il->busy->len)
		return;
	uint64_t key = ino;
	gpointer k, v;
	if (g_hash_table_lookup_extended(fs->locks, &key, &k, &v)) {
		g_hash_table_remove(fs->locks, &key);
		g_free(k);
		ilock_free(il);
	}
}

/* A record of another owner that conflicts with (owner, start..end, excl), or NULL. */
static const struct rec *conflict_locked(struct ilock *il, uint64_t owner, uint64_t start, uint64_t end, bool excl)
{
	for (guint i = 0; i < il->recs->len; i++) {
		const struct rec *r = &g_array_index(il->recs, struct rec, i);
		if (r->owner != owner && (excl || r->excl) && overlap(r->start, r->end, start, end))
			return r;
	}
	return NULL;
}

static const struct span *busy_locked(struct ilock *il, uint64_t start, uint64_t end)
{
	for (guint i = 0; i < il->busy->len; i++) {
		const struct span *s = &g_array_index(il->busy, struct span, i);
		if (overlap(s->start, s->end, start, end))
			return s;
	}
	return NULL;
}

/* Grow start..end until it holds every server lock it overlaps and every record of owner it touches: all
 * that recomputing the union for owner's change of start..end may alter. */
static void span_close_locked(struct ilock *il, uint64_t owner, uint64_t *start, uint64_t *end)
{
	for (bool grew = true; grew;) {
		grew = false;
		for (guint i = 0; i < il->held->len; i++) {
			const struct held *h = &g_array_index(il->held, struct held, i);
			if (overlap(h->start, h->end, *start, *end) && (h->start < *start || h->end > *end)) {
				*start = MIN(*start, h->start);
				*end = MAX(*end, h->end);
				grew = true;
			}
		}
		for (guint i = 0; i < il->recs->len; i++) {
			const struct rec *r = &g_array_index(il->recs, struct rec, i);
			if (r->owner == owner && touch(r->start, r->end, *start, *end) &&
			    (r->start < *start || r->end > *end)) {
				*start = MIN(*start, r->start);
				*end = MAX(*end, r->end);
				grew = true;
			}
		}
	}
}

/* POSIX: owner's records after it sets start..end to type (F_UNLCK, F_RDLCK, F_WRLCK) through f. Records of
 * the owner in the range are cut out (split where they stick out); a new one merges with the owner's
 * touching records of the same kind through the same open file. */
static GArray *apply(const GArray *recs, uint64_t owner, struct fs_file *f, uint64_t start, uint64_t end, int type,
		     pid_t pid)
{
	GArray *out = g_array_new(false, false, sizeof(struct rec));
	struct rec n = {owner, f, start, end, type == F_WRLCK, pid};
	for (guint i = 0; i < recs->len; i++) {
		struct rec r = g_array_index(recs, struct rec, i);
		if (r.owner != owner) {
			g_array_append_val(out, r);
			continue;
		}
		if (type != F_UNLCK && r.f == f && r.excl == n.excl && touch(r.start, r.end, start, end)) {
			n.start = MIN(n.start, r.start);
			n.end = MAX(n.end, r.end);
			continue;
		}
		if (!overlap(r.start, r.end, start, end)) {
			g_array_append_val(out, r);
			continue;
		}
		if (r.start < start) {
			struct rec a = r;
			a.end = start - 1;
			g_array_append_val(out, a);
		}
		if (r.end > end) {
			struct rec b = r;
			b.start = end + 1;
			g_array_append_val(out, b);
		}
	}
	if (type != F_UNLCK)
		g_array_append_val(out, n);
	return out;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int cmp_start(const void *a, const void *b)
{
	const struct held *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* What the server must hold for f within start..end: disjoint stretches (struct held), merged by kind. */
static GArray *coverage(const GArray *recs, struct fs_file *f, uint64_t start, uint64_t end)
{
	GArray *pts = g_array_new(false, false, sizeof(uint64_t));
	uint64_t p = start;
	g_array_append_val(pts, p);
	for (guint i = 0; i < recs->len; i++) {
		const struct rec *r = &g_array_index(recs, struct rec, i);
		if (r->f != f || !overlap(r->start, r->end, start, end))
			continue;
		p = MAX(r->start, start);
		g_array_append_val(pts, p);
		if (r->end < end) {
			p = r->end + 1;
			g_array_append_val(pts, p);
		}
	}
	g_array_sort(pts, cmp_u64);
	GArray *out = g_array_new(false, false, sizeof(struct held));
	for (guint i = 0; i < pts->len; i++) {
		uint64_t s = g_array_index(pts, uint64_t, i);
		if (i > 0 && s == g_array_index(pts, uint64_t, i - 1))
			continue;
		uint64_t e = end;
		for (guint j = i + 1; j < pts->len; j++)
			if (g_array_index(pts, uint64_t, j) > s) {
				e = g_array_index(pts, uint64_t, j) - 1;
				break;
			}
		int mode = 0;
		for (guint k = 0; k < recs->len; k++) {
			const struct rec *r = &g_array_index(recs, struct rec, k);
			if (r->f == f && r->start <= s && s <= r->end)
				mode = MAX(mode, r->excl ? 2 : 1);
		}
		if (!mode)
			continue;
		struct held *last = out->len ? &g_array_index(out, struct held, out->len - 1) : NULL;
		if (last && last->end + 1 == s && last->excl == (mode == 2)) {
			last->end = e;
		} else {
			struct held h = {f, s, e, mode == 2};
			g_array_append_val(out, h);
		}
	}
	g_array_free(pts, true);
	return out;
}

/* One request of a change: lock or unlock a stretch of one handle. */
struct step {
	struct held h;
	bool unlock;
	bool wait; /* may wait at the server: the lock asked for */
	bool done;
};

static bool in_files(GPtrArray *files, struct fs_file *f)
{
	for (guint i = 0; i < files->len; i++)
		if (g_ptr_array_index(files, i) == f)
			return true;
	return false;
}

/* The requests that turn what the server holds within span into the union of recs there. */
static GArray *plan_locked(struct ilock *il, const GArray *recs, uint64_t start, uint64_t end)
{
	GPtrArray *files = g_ptr_array_new();
	for (guint i = 0; i < il->held->len; i++) {
		const struct held *h = &g_array_index(il->held, struct held, i);
		if (overlap(h->start, h->end, start, end) && !in_files(files, h->f))
			g_ptr_array_add(files, h->f);
	}
	for (guint i = 0; i < recs->len; i++) {
		const struct rec *r = &g_array_index(recs, struct rec, i);
		if (overlap(r->start, r->end, start, end) && !in_files(files, r->f))
			g_ptr_array_add(files, r->f);
	}
	GArray *steps = g_array_new(false, false, sizeof(struct step));
	for (guint fi = 0; fi < files->len; fi++) {
		struct fs_file *f = g_ptr_array_index(files, fi);
		GArray *cov = coverage(recs, f, start, end);
		GArray *kept = g_array_new(false, false, sizeof(struct held));
		for (guint i = 0; i < il->held->len; i++) {
			const struct held *h = &g_array_index(il->held, struct held, i);
			if (h->f != f || !overlap(h->start, h->end, start, end))
				continue;
			bool keep = false;
			for (guint j = 0; j < cov->len && !keep; j++) {
				const struct held *c = &g_array_index(cov, struct held, j);
				keep = c->start <= h->start && h->end <= c->end && c->excl == h->excl;
			}
			if (keep) {
				g_array_append_val(kept, *h);
			} else {
				struct step s = {.h = *h, .unlock = true};
				g_array_append_val(steps, s);
			}
		}
		/* Each stretch minus what is kept of it (kept locks lie inside one stretch of their kind). */
		g_array_sort(kept, cmp_start);
		for (guint j = 0; j < cov->len; j++) {
			const struct held *c = &g_array_index(cov, struct held, j);
			uint64_t at = c->start;
			for (guint k = 0; k < kept->len; k++) {
				const struct held *h = &g_array_index(kept, struct held, k);
				if (h->excl != c->excl || h->start < c->start || h->end > c->end)
					continue;
				if (h->start > at) {
					struct step st = {.h = {f, at, h->start - 1, c->excl}};
					g_array_append_val(steps, st);
				}
				at = MAX(at, h->end + 1);
			}
			if (at <= c->end) {
				struct step st = {.h = {f, at, c->end, c->excl}};
				g_array_append_val(steps, st);
			}
		}
		g_array_free(kept, true);
		g_array_free(cov, true);
	}
	g_ptr_array_free(files, true);
	return steps;
}

static uint64_t smb_len(const struct held *h)
{
	/* To the end of the file: every byte another client could lock (2^64 - 1 is never a lock's). */
	return h->end == END_MAX ? UINT64_MAX - h->start : h->end - h->start + 1;
}

static int run_step(struct fs *fs, struct step *s)
{
	int rc = s->unlock ? CALL(fs, unlock, s->h.f->fh, s->h.start, smb_len(&s->h))
			   : CALL(fs, lock, s->h.f->fh, s->h.start, smb_len(&s->h),
				  (s->h.excl ? SMB_LOCK_EXCL : 0) | (s->wait ? SMB_LOCK_WAIT : 0));
	if (s->unlock && rc < 0) {
		/* Not held (any more) at the server: nothing is lost by forgetting it. */
		log_dbg("unlock %llu+%llu: %s", (unsigned long long)s->h.start, (unsigned long long)smb_len(&s->h),
			strerror(-rc));
		rc = 0;
	}
	s->done = rc == 0;
	return rc;
}

/* Whether lock step a may go before the unlocks: it cannot collide with a stretch being given up. */
static bool goes_first(const GArray *steps, const struct step *a)
{
	for (guint i = 0; i < steps->len; i++) {
		const struct step *u = &g_array_index(steps, struct step, i);
		if (!u->unlock || !overlap(u->h.start, u->h.end, a->h.start, a->h.end))
			continue;
		if (a->h.excl || u->h.f != a->h.f)
			return false;
	}
	return true;
}

/* Undo the lock steps done; take the unlocked stretches back (logged when another client got them). */
static void undo(struct fs *fs, GArray *steps)
{
	for (guint i = 0; i < steps->len; i++) {
		struct step *s = &g_array_index(steps, struct step, i);
		if (!s->done)
			continue;
		struct step r = {.h = s->h, .unlock = !s->unlock};
		int rc = run_step(fs, &r);
		if (rc < 0)
			log_warn("a byte-range lock at %llu (+%llu) could not be taken back after a failed change: "
				 "another client may now hold it (%s)",
				 (unsigned long long)s->h.start, (unsigned long long)smb_len(&s->h), strerror(-rc));
		s->done = rc < 0; /* still applied */
	}
}

/* Send steps in the order of the essay; on failure undo and return the error. */
static int execute(struct fs *fs, GArray *steps)
{
	int rc = 0;
	for (int phase = 0; phase < 3 && rc == 0; phase++)
		for (guint i = 0; i < steps->len && rc == 0; i++) {
			struct step *s = &g_array_index(steps, struct step, i);
			bool mine = phase == 1 ? s->unlock : !s->unlock && goes_first(steps, s) == (phase == 0);
			if (mine && !s->done)
				rc = run_step(fs, s);
		}
	if (rc < 0)
		undo(fs, steps);
	return rc;
}

/* The steps' effect on il->held (done ones only). */
static void commit_held_locked(struct ilock *il, const GArray *steps)
{
	for (guint i = 0; i < steps->len; i++) {
		const struct step *s = &g_array_index(steps, struct step, i);
		if (!s->done)
			continue;
		if (!s->unlock) {
			g_array_append_val(il->held, s->h);
			continue;
		}
		for (guint k = 0; k < il->held->len; k++) {
			const struct held *h = &g_array_index(il->held, struct held, k);
			if (h->f == s->h.f && h->start == s->h.start && h->end == s->h.end && h->excl == s->h.excl) {
				g_array_remove_index_fast(il->held, k);
				break;
			}
		}
	}
}

static void unspan_locked(struct ilock *il, uint64_t start, uint64_t end)
{
	for (guint i = 0; i < il->busy->len; i++) {
		const struct span *s = &g_array_index(il->busy, struct span, i);
		if (s->start == start && s->end == end) {
			g_array_remove_index_fast(il->busy, i);
			return;
		}
	}
}

/* Set owner's lock on start..end to type through f: the whole of setlk and flock. */
static int set_lock(struct fs *fs, fuse_ino_t ino, struct fs_file *f, uint64_t owner, pid_t pid, uint64_t start,
		    uint64_t end, int type, bool sleep)
{
	int rc = 0;
	uint64_t s, e;
	pthread_mutex_lock(&fs->locks_mu);
	struct ilock *il = ilock_get_locked(fs, ino, true);
	for (;;) {
		const struct rec *c = type != F_UNLCK ? conflict_locked(il, owner, start, end, type == F_WRLCK) : NULL;
		s = start;
		e = end;
		span_close_locked(il, owner, &s, &e);
		const struct span *b = c ? NULL : busy_locked(il, s, e);
		if (!c && !b)
			break;
		if (!sleep && (c || b->waiting)) {
			rc = -EAGAIN;
			break;
		}
		if ((rc = smb_cancel_wait(&fs->locks_cv, &fs->locks_mu, NULL)) < 0)
			break;
	}
	if (rc < 0) {
		ilock_maybe_drop_locked(fs, ino, il);
		pthread_mutex_unlock(&fs->locks_mu);
		return rc;
	}
	GArray *recs = apply(il->recs, owner, f, start, end, type, pid);
	GArray *steps = plan_locked(il, recs, s, e);
	g_array_free(recs, true);
	bool waits = false;
	for (guint i = 0; i < steps->len; i++) {
		struct step *st = &g_array_index(steps, struct step, i);
		st->wait = sleep && !st->unlock && overlap(st->h.start, st->h.end, start, end);
		waits |= st->wait;
	}
	struct span sp = {s, e, waits};
	g_array_append_val(il->busy, sp);
	pthread_mutex_unlock(&fs->locks_mu);

	rc = execute(fs, steps);

	pthread_mutex_lock(&fs->locks_mu);
	commit_held_locked(il, steps);
	if (rc == 0) {
		/* Again on the records as they are now: others changed them meanwhile, outside this span. */
		recs = apply(il->recs, owner, f, start, end, type, pid);
		g_array_free(il->recs, true);
		il->recs = recs;
	}
	unspan_locked(il, s, e);
	ilock_maybe_drop_locked(fs, ino, il);
	pthread_cond_broadcast(&fs->locks_cv);
	pthread_mutex_unlock(&fs->locks_mu);
	g_array_free(steps, true);
	return rc;
}

/* Data written under a lock reaches the server before the lock goes; data cached before a lock was taken
 * is not trusted after it, unless a Write lease says nobody else has the file open. A Read lease is not
 * enough: its break (another client wrote) is not acknowledged, so it may still be on its way while the
 * writer has already unlocked and we have locked. */
static void before_unlock(struct fs *fs, fuse_ino_t ino, struct fs_file *f)
{
	if (fs->cfg.writeback)
		fuse_lowlevel_notify_inval_inode(fs->se, ino, 0, 0);
	if (OP(fs, flush)) {
		int r = CALL(fs, flush, f->fh);
		if (r < 0)
			log_warn("writing back before an unlock: %s", strerror(-r));
	}
}

static void after_lock(struct fs *fs, fuse_ino_t ino)
{
	char *path = NULL;
	unsigned c = 0;
	if (OP(fs, cached) && fs_inode_path(fs, ino, NULL, &path) == 0)
		c = OP(fs, cached)(fs->cl, path);
	g_free(path);
	if (!(c & SMB_CACHE_WRITE) && fs->cfg.cache != FS_CACHE_NONE) {
		fs_ra_drop(fs, ino); /* what was read ahead before the lock, as the kernel's pages */
		fuse_lowlevel_notify_inval_inode(fs->se, ino, 0, 0);
	}
}

static int range_of(const struct flock *l, uint64_t *start, uint64_t *end)
{
	/* libfuse hands the kernel's absolute range: l_start from 0, l_len 0 for "to the end". */
	if (l->l_start < 0 || l->l_len < 0)
		return -EINVAL;
	*start = (uint64_t)l->l_start;
	*end = l->l_len == 0 || (uint64_t)l->l_len - 1 > END_MAX - *start ? END_MAX : *start + (uint64_t)l->l_len - 1;
	return 0;
}

static int lock_op(struct fs *fs, fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi, uint64_t start,
		   uint64_t end, int type, bool sleep)
{
	if (!OP(fs, lock))
		return -ENOLCK;
	struct fs_file *f = file_of(fi);
	if (type == F_UNLCK || type == F_RDLCK)
		before_unlock(fs, ino, f); /* a downgrade lets others read */
	int rc = set_lock(fs, ino, f, fi->lock_owner, fuse_req_ctx(req)->pid, start, end, type, sleep);
	if (rc == 0 && type != F_UNLCK)
		after_lock(fs, ino);
	if (rc < 0 && rc != -EAGAIN && rc != -EINTR)
		log_dbg("lock of inode %llu: %s", (unsigned long long)ino, strerror(-rc));
	return rc;
}

void fs_setlk(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi, struct flock *lock, int sleep)
{
	struct fs *fs = fs_of(req);
	uint64_t start, end;
	int rc = range_of(lock, &start, &end);
	if (rc == 0 && lock->l_type != F_RDLCK && lock->l_type != F_WRLCK && lock->l_type != F_UNLCK)
		rc = -EINVAL;
	if (rc == 0)
		rc = lock_op(fs, req, ino, fi, start, end, lock->l_type, sleep);
	reply_err(req, rc);
}

void fs_flock(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi, int op)
{
	struct fs *fs = fs_of(req);
	int how = op & (LOCK_SH | LOCK_EX | LOCK_UN);
	int type = how == LOCK_SH ? F_RDLCK : how == LOCK_EX ? F_WRLCK : how == LOCK_UN ? F_UNLCK : -1;
	int rc = type < 0 ? -EINVAL : lock_op(fs, req, ino, fi, 0, END_MAX, type, !(op & LOCK_NB));
	reply_err(req, rc == -EAGAIN ? -EWOULDBLOCK : rc);
}

/* Whether the server lets f lock start..end with this kind: 1 yes, 0 no, or an error. */
static int probe(struct fs *fs, struct fs_file *f, const struct held *h)
{
	int rc = CALL(fs, lock, f->fh, h->start, smb_len(h), h->excl ? SMB_LOCK_EXCL : 0);
	if (rc == 0) {
		CALL(fs, unlock, f->fh, h->start, smb_len(h));
		return 1;
	}
	return rc == -EAGAIN ? 0 : rc;
}

/* F_GETLK: a local conflict as a local disk reports it; else, when this mount holds nothing there, the
 * server is asked by locking and unlocking at once (another client's lock: l_pid 0, its kind guessed from
 * which probe fails, and the range asked about, since SMB does not tell). */
void fs_getlk(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi, struct flock *lock)
{
	struct fs *fs = fs_of(req);
	uint64_t start, end;
	int rc = range_of(lock, &start, &end);
	if (rc < 0 || (lock->l_type != F_RDLCK && lock->l_type != F_WRLCK)) {
		reply_err(req, rc < 0 ? rc : -EINVAL);
		return;
	}
	bool excl = lock->l_type == F_WRLCK;
	struct flock out = *lock;
	bool ask = false;
	pthread_mutex_lock(&fs->locks_mu);
	struct ilock *il = ilock_get_locked(fs, ino, true);
	for (;;) {
		const struct rec *c = conflict_locked(il, fi->lock_owner, start, end, excl);
		if (c) {
			out.l_type = c->excl ? F_WRLCK : F_RDLCK;
			out.l_start = (off_t)c->start;
			out.l_len = c->end == END_MAX ? 0 : (off_t)(c->end - c->start + 1);
			out.l_pid = c->pid;
			break;
		}
		out.l_type = F_UNLCK;
		bool mine = false;
		for (guint i = 0; i < il->recs->len && !mine; i++) {
			const struct rec *r = &g_array_index(il->recs, struct rec, i);
			mine = overlap(r->start, r->end, start, end);
		}
		if (mine || !OP(fs, lock))
			break;
		if (!busy_locked(il, start, end)) {
			struct span sp = {start, end, false};
			g_array_append_val(il->busy, sp);
			ask = true;
			break;
		}
		if ((rc = smb_cancel_wait(&fs->locks_cv, &fs->locks_mu, NULL)) < 0)
			break;
	}
	pthread_mutex_unlock(&fs->locks_mu);
	if (ask) {
		struct held h = {file_of(fi), start, end, excl};
		int p = probe(fs, file_of(fi), &h);
		if (p == 0) {
			h.excl = false;
			int q = excl ? probe(fs, file_of(fi), &h) : 0;
			out.l_type = q == 1 ? F_RDLCK : F_WRLCK;
			out.l_pid = 0;
		} else if (p < 0) {
			rc = p;
		}
		pthread_mutex_lock(&fs->locks_mu);
		unspan_locked(il, start, end);
		pthread_cond_broadcast(&fs->locks_cv);
		pthread_mutex_unlock(&fs->locks_mu);
	}
	pthread_mutex_lock(&fs->locks_mu);
	if ((il = ilock_get_locked(fs, ino, false)))
		ilock_maybe_drop_locked(fs, ino, il);
	pthread_mutex_unlock(&fs->locks_mu);
	if (rc < 0)
		reply_err(req, rc);
	else
		fuse_reply_lock(req, &out);
}

void fs_locks_owner_gone(struct fs *fs, fuse_ino_t ino, struct fuse_file_info *fi)
{
	/* close(2) of any descriptor ends the process's POSIX locks on the file (FLUSH names the process). The
	 * caller has written back already. One record at a time, so that only its own span is reserved. */
	for (;;) {
		uint64_t start = 0, end = 0;
		bool has = false;
		pthread_mutex_lock(&fs->locks_mu);
		struct ilock *il = ilock_get_locked(fs, ino, false);
		for (guint i = 0; il && i < il->recs->len && !has; i++) {
			const struct rec *r = &g_array_index(il->recs, struct rec, i);
			if ((has = r->owner == fi->lock_owner)) {
				start = r->start;
				end = r->end;
			}
		}
		pthread_mutex_unlock(&fs->locks_mu);
		if (!has)
			return;
		int rc = set_lock(fs, ino, file_of(fi), fi->lock_owner, 0, start, end, F_UNLCK, true);
		if (rc < 0) {
			/* Interrupted or the mount ends: the handle's CLOSE releases what is left. */
			log_warn("releasing the locks of a closing file: %s", strerror(-rc));
			return;
		}
	}
}

void fs_locks_file_gone(struct fs *fs, fuse_ino_t ino, struct fs_file *f)
{
	pthread_mutex_lock(&fs->locks_mu);
	struct ilock *il = ilock_get_locked(fs, ino, false);
	GArray *gone = g_array_new(false, false, sizeof(struct held));
	for (guint i = 0; il && i < il->recs->len;) {
		if (g_array_index(il->recs, struct rec, i).f == f)
			g_array_remove_index_fast(il->recs, i);
		else
			i++;
	}
	for (guint i = 0; il && i < il->held->len;) {
		if (g_array_index(il->held, struct held, i).f == f) {
			g_array_append_val(gone, g_array_index(il->held, struct held, i));
			g_array_remove_index_fast(il->held, i);
		} else {
			i++;
		}
	}
	if (il)
		ilock_maybe_drop_locked(fs, ino, il);
	pthread_cond_broadcast(&fs->locks_cv);
	pthread_mutex_unlock(&fs->locks_mu);
	/* The CLOSE that follows would release them too, but a borrower may keep the handle open a while. */
	for (guint i = 0; i < gone->len; i++) {
		const struct held *h = &g_array_index(gone, struct held, i);
		CALL(fs, unlock, f->fh, h->start, smb_len(h));
	}
	g_array_free(gone, true);
}
