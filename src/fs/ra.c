/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ra.c - read-ahead for sequential readers (issue 16): rasize= bytes of READs kept in flight ahead of an
 * open file that is read sequentially, and the kernel's reads answered from them.
 *
 * Why. The kernel keeps at most two 1 MiB reads in flight for a sequential reader (its readahead window is
 * the 1 MiB fs.c sets, and a FUSE request carries at most max_pages_limit = 256 pages), so on a fast link
 * the daemon waits for the kernel and the server for the daemon. A window of chunks read ahead keeps the
 * connection busy instead.
 *
 * Why here, in the glue. This is where a handle's offsets, the cache mode, our own writes and truncates
 * (fs_cache_changed), the sizes the server reports (fs_inode_set_attr) and the lease and oplock events
 * (cache.c) all meet, for every dialect alike: SMB1 gets the same window through ops->read, and the proto
 * layer stays a set of round trips. The price is threads: ops->read blocks, so RA_THREADS workers issue
 * the chunks (one READ each at the usual 1 MiB rsize), a few stacks per mount.
 *
 * When. Only while the file's data may be cached: cache=loose, or cache=strict while a lease or oplock
 * grants Read caching (ops->cached); never with cache=none. RA_SEQ_MIN reads in a row that continue each
 * other start it (up to RA_BEHIND behind or a chunk ahead: the kernel's requests arrive in any order); a
 * read elsewhere empties the window.
 *
 * Never an outcome of its own. A window is emptied, and its generation bumped, by whatever may change
 * what the file holds: our write, truncate, fallocate or copy into it (fs_cache_changed), a size from the
 * server that differs from the last (fs_inode_set_attr), a lease break or the lease's end (SMB_EV_FILE),
 * a reconnect (SMB_EV_ALL), and a byte-range lock taken without Write caching (lock.c after_lock, which
 * drops the kernel's pages for the same reason: another client's break may still be on its way when its
 * writer has unlocked and we have locked; sqlite on two mounts lost transactions without it). A reader serves a chunk only while the generation it took before checking the
 * lease is still the window's, so a chunk read before a change is never served after it, and a break
 * between the check and the read shows as a new generation. A chunk whose READ failed is never reported:
 * the reader's own read misses the window and goes to the server, which reports what it finds.
 *
 * Memory. A chunk is RA_CHUNK bytes of its own mmap, reused while any window exists (buf_get_locked) and
 * returned to the system with the last window, so the RSS falls back once the readers are done; all
 * windows together hold at most RA_TOTAL_MAX bytes (and RA_POOL free buffers), and a chunk is freed one
 * chunk after the reader has passed it.
 *
 * Copies. A chunk is answered in place (fuse_reply_iov over the one or two chunks a request spans), so
 * this path copies as often as the direct one: the READ's reply into the chunk (ops->read), the chunk
 * into the kernel (writev on /dev/fuse).
 *
 * Locking. ra.lock guards the windows, their chunks, fs_file.ra and the job queue. A leaf lock (after
 * fs->lock and files_lock, never held with either), never held across ops->read or a reply.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "fs_i.h"
#include "smbfuse/cancel.h"
#include "smbfuse/log.h"
#include "smbfuse/util.h"

#define RA_CHUNK (1024u * 1024)
#define RA_MASK ((uint64_t)RA_CHUNK - 1)
#define RA_THREADS 4
#define RA_SEQ_MIN 2
#define RA_TOTAL_MAX (32u * RA_CHUNK) /* every window together */
#define RA_DEPTH_MAX (FS_RASIZE_MAX / RA_CHUNK)
#define RA_SLOTS (RA_DEPTH_MAX + 2) /* one behind the reader, its own, rasize ahead */
#define RA_IOV 3		    /* chunks one request may span: 1 MiB requests span two */
#define RA_BEHIND (4 * (uint64_t)RA_CHUNK) /* measured up to 2 MiB out of order with a 1 MiB window */
#define RA_POOL 8		    /* free chunk buffers kept while a window exists */

enum ra_state { RA_FLIGHT, RA_READY, RA_FAILED };

struct ra_chunk {
	uint64_t off;	     /* immutable */
	uint8_t *buf;	     /* immutable; RA_CHUNK bytes */
	struct ra_win *w;    /* immutable; valid while this chunk's job counts in w->jobs */
	enum ra_state state; /* ra.lock */
	size_t len;	     /* ra.lock; RA_READY: bytes read, < RA_CHUNK at the end of the file */
	unsigned refs;	     /* ra.lock: the window while it lists it, its job, each reader serving from it */
};

/* One open file's window (fs_file.ra); everything under ra.lock. */
struct ra_win {
	struct ra_win *prev, *next; /* fs_ra.wins */
	fuse_ino_t ino;
	struct smb_fh *fh;
	uint64_t gen;	   /* bumped by every emptying */
	uint64_t next_off; /* end of the last read */
	unsigned seq;	   /* reads in a row that continued each other */
	struct ra_chunk *c[RA_SLOTS]; /* by offset */
	unsigned nc;
	unsigned jobs; /* chunks queued or being read */
};

struct fs_ra {
	pthread_mutex_t lock;
	pthread_cond_t job_cv;	/* a job was queued, or stopping */
	pthread_cond_t done_cv; /* a chunk was read, or failed */
	GQueue jobs;		/* struct ra_chunk *, each holding a reference */
	struct ra_win *wins;
	size_t bytes; /* chunk memory of every window */
	uint8_t *pool[RA_POOL]; /* free chunk buffers, their pages already faulted in */
	unsigned npool;
	bool stopping;
	unsigned depth; /* chunks ahead of a reader; immutable */
	pthread_t th[RA_THREADS];
	unsigned nth;
	struct fs *fs;
};

#define CNT(x) atomic_fetch_add_explicit(&(x), 1, memory_order_relaxed)

ssize_t fs_read_op(struct fs *fs, struct smb_fh *fh, void *buf, size_t size, uint64_t off)
{
	if (!OP(fs, read))
		return -EOPNOTSUPP;
	uint64_t now = atomic_fetch_add(&fs->reads_inflight, 1) + 1;
	uint64_t max = atomic_load(&fs->reads_inflight_max);
	while (now > max && !atomic_compare_exchange_weak(&fs->reads_inflight_max, &max, now))
		;
	ssize_t n = OP(fs, read)(fs->cl, fh, buf, size, off);
	atomic_fetch_sub(&fs->reads_inflight, 1);
	return n;
}

/*
 * Chunk buffers are reused while a window exists: a fresh mapping costs 256 page faults, each zeroing a
 * page, and an munmap, which profiled at a fifth of the daemon's time in a sequential read (perf, 1 GiB;
 * doc/PERFORMANCE.md). The pool goes back to the system when the last window does.
 */
static uint8_t *buf_get_locked(struct fs_ra *ra)
{
	if (ra->npool)
		return ra->pool[--ra->npool];
	void *b = mmap(NULL, RA_CHUNK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return b == MAP_FAILED ? NULL : b;
}

static void pool_drain_locked(struct fs_ra *ra)
{
	while (ra->npool)
		munmap(ra->pool[--ra->npool], RA_CHUNK);
}

static void chunk_put_locked(struct fs_ra *ra, struct ra_chunk *c)
{
	if (--c->refs)
		return;
	if (ra->wins && ra->npool < RA_POOL)
		ra->pool[ra->npool++] = c->buf;
	else
		munmap(c->buf, RA_CHUNK);
	ra->bytes -= RA_CHUNK;
	free(c);
}

/* Take the queued jobs of w (not started yet) off the queue. */
static void cancel_jobs_locked(struct fs_ra *ra, struct ra_win *w)
{
	for (GList *l = ra->jobs.head; l;) {
		GList *nx = l->next;
		struct ra_chunk *c = l->data;
		if (c->w == w) {
			g_queue_delete_link(&ra->jobs, l);
			w->jobs--;
			chunk_put_locked(ra, c);
		}
		l = nx;
	}
}

static void empty_locked(struct fs_ra *ra, struct ra_win *w, bool count)
{
	w->gen++;
	cancel_jobs_locked(ra, w);
	if (!w->nc)
		return;
	if (count)
		CNT(ra->fs->ra_dropped);
	for (unsigned i = 0; i < w->nc; i++)
		chunk_put_locked(ra, w->c[i]);
	w->nc = 0;
}

/* Free the chunks the reader at off has passed by more than one chunk. */
static void trim_locked(struct fs_ra *ra, struct ra_win *w, uint64_t off)
{
	unsigned k = 0;
	while (k < w->nc && w->c[k]->off + 2 * (uint64_t)RA_CHUNK <= off)
		chunk_put_locked(ra, w->c[k++]);
	memmove(w->c, w->c + k, (w->nc - k) * sizeof(w->c[0]));
	w->nc -= k;
}

static struct ra_chunk *find_locked(struct ra_win *w, uint64_t off)
{
	for (unsigned i = 0; i < w->nc; i++)
		if (w->c[i]->off == off)
			return w->c[i];
	return NULL;
}

/* The chunk of w at off, new and queued; NULL when no memory or room is left. */
static struct ra_chunk *issue_locked(struct fs_ra *ra, struct ra_win *w, uint64_t off)
{
	if (w->nc == RA_SLOTS || ra->bytes + RA_CHUNK > RA_TOTAL_MAX)
		return NULL;
	struct ra_chunk *c = calloc(1, sizeof(*c));
	uint8_t *buf = c ? buf_get_locked(ra) : NULL;
	if (!buf) {
		free(c);
		return NULL;
	}
	c->off = off;
	c->buf = buf;
	c->w = w;
	c->refs = 2; /* the window's, the job's */
	ra->bytes += RA_CHUNK;
	unsigned i = w->nc;
	while (i > 0 && w->c[i - 1]->off > off) {
		w->c[i] = w->c[i - 1];
		i--;
	}
	w->c[i] = c;
	w->nc++;
	w->jobs++;
	g_queue_push_tail(&ra->jobs, c);
	pthread_cond_signal(&ra->job_cv);
	CNT(ra->fs->ra_issued);
	return c;
}

/* Keep the chunk of off and depth chunks after it in the window, short of the end of file (size). */
static void topup_locked(struct fs_ra *ra, struct ra_win *w, uint64_t off, uint64_t size)
{
	uint64_t start = off & ~RA_MASK;
	for (unsigned k = 0; k <= ra->depth; k++) {
		uint64_t o = start + (uint64_t)k * RA_CHUNK;
		if (o >= size)
			break;
		struct ra_chunk *c = find_locked(w, o);
		if (c && c->state == RA_READY && c->len < RA_CHUNK)
			break; /* the file ended there when it was read */
		if (!c && !issue_locked(ra, w, o))
			break;
	}
}

/* Read a whole chunk: ops->read may return less than asked only at the end of the file, or on an error
 * after some data (then the chunk fails: its tail is unknown). */
static ssize_t read_chunk(struct fs *fs, struct smb_fh *fh, uint8_t *buf, uint64_t off)
{
	size_t got = 0;
	while (got < RA_CHUNK) {
		ssize_t n = fs_read_op(fs, fh, buf + got, RA_CHUNK - got, off + got);
		if (n < 0)
			return n;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

static void *ra_main(void *arg)
{
	struct fs_ra *ra = arg;
	pthread_mutex_lock(&ra->lock);
	while (!ra->stopping) {
		struct ra_chunk *c = g_queue_pop_head(&ra->jobs);
		if (!c) {
			pthread_cond_wait(&ra->job_cv, &ra->lock);
			continue;
		}
		struct smb_fh *fh = c->w->fh;
		pthread_mutex_unlock(&ra->lock);
		ssize_t n = read_chunk(ra->fs, fh, c->buf, c->off);
		pthread_mutex_lock(&ra->lock);
		if (n < 0) {
			/* Not reported: nobody asked for these bytes. The reader's own READ will say what it is. */
			log_dbg("read-ahead of %zu bytes at %llu failed (%s); the reader will ask itself",
				(size_t)RA_CHUNK, (unsigned long long)c->off, strerror((int)-n));
			CNT(ra->fs->ra_errors);
			c->state = RA_FAILED;
		} else {
			c->state = RA_READY;
			c->len = (size_t)n;
		}
		c->w->jobs--;
		chunk_put_locked(ra, c);
		pthread_cond_broadcast(&ra->done_cv);
	}
	pthread_mutex_unlock(&ra->lock);
	return NULL;
}

int fs_ra_init(struct fs *fs)
{
	if (!fs->cfg.rasize || fs->cfg.cache == FS_CACHE_NONE)
		return 0;
	struct fs_ra *ra = calloc(1, sizeof(*ra));
	if (!ra)
		return -ENOMEM;
	ra->fs = fs;
	ra->depth = MAX(1u, MIN(fs->cfg.rasize / RA_CHUNK, (unsigned)RA_DEPTH_MAX));
	pthread_mutex_init(&ra->lock, NULL);
	pthread_cond_init(&ra->job_cv, NULL);
	smb_cancel_cond_init(&ra->done_cv);
	g_queue_init(&ra->jobs);
	for (; ra->nth < RA_THREADS; ra->nth++) {
		int e = pthread_create(&ra->th[ra->nth], NULL, ra_main, ra);
		if (e) {
			log_warn("read-ahead: cannot start a thread (%s); %u of %u running", strerror(e), ra->nth,
				 RA_THREADS);
			break;
		}
	}
	fs->ra = ra;
	if (!ra->nth)
		fs_ra_free(fs);
	return 0;
}

void fs_ra_free(struct fs *fs)
{
	struct fs_ra *ra = fs->ra;
	if (!ra)
		return;
	pthread_mutex_lock(&ra->lock);
	ra->stopping = true;
	pthread_cond_broadcast(&ra->job_cv);
	pthread_mutex_unlock(&ra->lock);
	for (unsigned i = 0; i < ra->nth; i++)
		pthread_join(ra->th[i], NULL);
	pool_drain_locked(ra);
	/* fs_free released every file first, and each took its window and jobs with it. */
	pthread_mutex_destroy(&ra->lock);
	pthread_cond_destroy(&ra->job_cv);
	pthread_cond_destroy(&ra->done_cv);
	free(ra);
	fs->ra = NULL;
}

void fs_ra_drop(struct fs *fs, fuse_ino_t ino)
{
	struct fs_ra *ra = fs->ra;
	if (!ra)
		return;
	pthread_mutex_lock(&ra->lock);
	for (struct ra_win *w = ra->wins; w; w = w->next)
		if (ino == 0 || w->ino == ino)
			empty_locked(ra, w, true);
	pthread_mutex_unlock(&ra->lock);
}

void fs_ra_file_gone(struct fs *fs, struct fs_file *f)
{
	struct fs_ra *ra = fs->ra;
	if (!ra)
		return;
	pthread_mutex_lock(&ra->lock);
	struct ra_win *w = f->ra;
	f->ra = NULL;
	if (w) {
		empty_locked(ra, w, false);
		/* Reads in progress use w->fh, which the caller closes next. */
		while (w->jobs)
			pthread_cond_wait(&ra->done_cv, &ra->lock);
		if (w->prev)
			w->prev->next = w->next;
		else
			ra->wins = w->next;
		if (w->next)
			w->next->prev = w->prev;
	}
	if (!ra->wins)
		pool_drain_locked(ra);
	pthread_mutex_unlock(&ra->lock);
	free(w);
}

/* Whether the data of ino may be served from memory now: the cache mode, and under cache=strict the
 * lease or oplock. */
static bool may_cache(struct fs *fs, fuse_ino_t ino)
{
	if (fs->cfg.cache == FS_CACHE_LOOSE)
		return true;
	char *path;
	if (fs->cfg.cache != FS_CACHE_STRICT || !OP(fs, cached) || fs_inode_path(fs, ino, NULL, &path) < 0)
		return false;
	bool r = OP(fs, cached)(fs->cl, path) & SMB_CACHE_READ;
	g_free(path);
	return r;
}

/* Note a read of f at off; the window, and whether it reads sequentially enough for read-ahead. */
static struct ra_win *note_read_locked(struct fs_ra *ra, struct fs_file *f, size_t size, uint64_t off)
{
	struct ra_win *w = f->ra;
	if (!w) {
		if (!(w = calloc(1, sizeof(*w))))
			return NULL;
		w->ino = f->ino;
		w->fh = f->fh;
		w->next = ra->wins;
		if (ra->wins)
			ra->wins->prev = w;
		ra->wins = w;
		f->ra = w;
	}
	/* The kernel's requests of one window arrive in any order: one up to RA_BEHIND behind the furthest
	 * seen still continues the stream. */
	bool cont = off + RA_BEHIND >= w->next_off && off <= w->next_off + RA_CHUNK;
	if (cont) {
		w->seq++;
		w->next_off = MAX(w->next_off, off + size);
	} else {
		w->seq = 0;
		w->next_off = off + size;
		empty_locked(ra, w, true);
	}
	trim_locked(ra, w, off);
	return w;
}

/* Collect the chunks that answer [off, off + size) into iov (references in hold), waiting for those in
 * flight. Returns how many, or -1 when the window cannot answer (gen moved, a chunk failed or is absent). */
static int collect_locked(struct fs_ra *ra, struct ra_win *w, uint64_t gen, size_t size, uint64_t off,
			  struct iovec *iov, struct ra_chunk **hold)
{
	int nh = 0;
	uint64_t o = off, end = off + size;
	while (o < end && nh < RA_IOV) {
		struct ra_chunk *c = find_locked(w, o & ~RA_MASK);
		if (!c)
			break;
		c->refs++;
		hold[nh] = c;
		/* An interrupted reader stops waiting here too; its own read then ends with -EINTR. */
		int e = 0;
		while (c->state == RA_FLIGHT && w->gen == gen && e == 0)
			e = smb_cancel_wait(&ra->done_cv, &ra->lock, NULL);
		if (w->gen != gen || c->state != RA_READY) {
			chunk_put_locked(ra, c);
			break;
		}
		size_t in = (size_t)(o - c->off);
		size_t take = in < c->len ? MIN((size_t)(end - o), c->len - in) : 0;
		iov[nh].iov_base = c->buf + in;
		iov[nh++].iov_len = take;
		o += take;
		if (c->len < RA_CHUNK) {
			o = end; /* the end of the file, as it was when this generation read it */
			break;
		}
	}
	if (o >= end)
		return nh;
	while (nh > 0)
		chunk_put_locked(ra, hold[--nh]);
	return -1;
}

bool fs_ra_read(struct fs *fs, fuse_req_t req, struct fs_file *f, size_t size, uint64_t off)
{
	struct fs_ra *ra = fs->ra;
	if (!ra || size == 0 || size > RA_CHUNK * (RA_IOV - 1))
		return false;
	pthread_mutex_lock(&ra->lock);
	struct ra_win *w = note_read_locked(ra, f, size, off);
	bool seq = w && w->seq >= RA_SEQ_MIN;
	uint64_t gen = w ? w->gen : 0;
	pthread_mutex_unlock(&ra->lock);
	if (!seq)
		return false;
	/* Taken after gen: an emptying from here on shows as a new generation. */
	struct smb_attr a;
	bool ok = may_cache(fs, f->ino) && fs_inode_get_attr(fs, f->ino, &a) == 0;
	struct iovec iov[RA_IOV];
	struct ra_chunk *hold[RA_IOV];
	int nh = -1;
	pthread_mutex_lock(&ra->lock);
	if (!ok)
		empty_locked(ra, w, true); /* the lease is gone: what it covered may be changed by now */
	else if (w->gen == gen) {
		topup_locked(ra, w, off, a.size);
		nh = collect_locked(ra, w, gen, size, off, iov, hold);
	}
	pthread_mutex_unlock(&ra->lock);
	if (nh < 0) {
		CNT(fs->ra_misses);
		return false;
	}
	CNT(fs->ra_hits);
	fuse_reply_iov(req, iov, nh);
	pthread_mutex_lock(&ra->lock);
	while (nh > 0)
		chunk_put_locked(ra, hold[--nh]);
	pthread_mutex_unlock(&ra->lock);
	return true;
}
