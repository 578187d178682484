/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * wb.c - write caching under a Write lease (MS-SMB2 3.2.4.3.8: SMB2_LEASE_WRITE_CACHING) or an exclusive or
 * batch oplock (SMB 2.0.2 and SMB1): small writes gathered into large WRITEs (WRITE_ANDX over SMB1) and sent
 * behind the writer's back, written back on flush (close), fsync, a break that takes Write caching away,
 * and before anything that must see the server's copy (read, stat). The dialect sends each WRITE
 * (cache_io.write_async); everything else here is the same for both.
 *
 * Why here, and not the kernel's writeback cache. Three ways were on the table: (a) FUSE's writeback cache
 * per mount, (b) a dirty buffer per file in the daemon, (c) write-behind in the daemon with several WRITEs
 * in flight and errors reported later, as NFS does. (a) is the fastest on paper, but FUSE turns it on for
 * the whole mount at INIT and from then on the kernel owns the size and mtime of every regular file
 * (fuse_get_cache_mask): attributes from the server no longer change i_size, so a file another client grew
 * reads short even after a lease break, and only evicting the inode would fix it, which the daemon cannot
 * force. Coherence would hang on a promise the kernel does not let us keep. (b) alone does not fix the
 * measured bottleneck: the kernel already hands us 1 MiB writes, one at a time, and waits for each; what
 * smbclient does better is keep several WRITEs in flight. So this is (b) + (c): writes are copied into a
 * per-file buffer of one WRITE's size (gathering small writes), a full buffer is sent without waiting (up
 * to WB_MAX_INFLIGHT WRITEs in flight per file), and the FUSE reply goes back at once, so the kernel sends
 * the next write while the previous ones are on the wire. The kernel's page cache still holds what was
 * written (FUSE without writeback cache copies write(2) data into it), so reads through the mount see it;
 * reads that reach us, stat, setattr and listings write back first, so the server's answer includes it.
 *
 * Only under Write caching: nobody else may read or write the file while it holds (the server breaks it
 * first), so data that sits here for a while is invisible to no one. A file without a lease, a handle
 * opened O_SYNC (cache=none opens every handle so) and an open the server granted no exclusive or batch
 * oplock write through as before.
 *
 * Errors. A gathered write returns success to write(2) before the server has seen it. A failed WRITE
 * (ENOSPC; EIO after a connection loss that the handle did not survive, see Replays) is kept and reported
 * once: at the next write, flush (close(2)) or fsync of the file, whichever comes first, as NFS and Linux's
 * errseq do. close(2) therefore reports it at the latest, because FUSE's FLUSH is synchronous with close.
 *
 * Breaks. The break worker (cache.c) first records the new lease state, then calls wb_writeback, then
 * acknowledges. Writers check Write caching while holding wb.submit, and the writeback takes wb.submit
 * too, so once it returns no write can still slip into the buffer: later writers see the lease without W
 * and write through. The writeback waits only for WRITE replies, which complete on the receive thread, and
 * for wb.submit, whose holders wait only for credits and WRITE replies (also the receive thread) or for a
 * reopen after a reconnect (when there is no lease left to break). No FUSE request and no kernel lock is
 * ever waited for, so the worker cannot deadlock with FUSE threads on the same file or connection, and
 * each WRITE has the request deadline, so a writeback ends well inside Samba's 35 s break timeout unless
 * the server itself stalls, and then it ends with the request timeout and the data's error kept.
 *
 * Ordering. WRITEs of one file leave in the order the data was written (wb.submit), but Samba may run
 * WRITEs in flight in any order (async I/O), so a WRITE that overlaps one in flight waits for it first.
 *
 * Locking. Lock order: wb.submit -> smb_fh.lock -> pcache.lock. wb.lock is a leaf, taken on the receive
 * thread by wb_done; it is never held across a send or a wait other than its own condition variable.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "proto_i.h"
#include "smbfuse/cancel.h"
#include "smbfuse/err.h"
#include "smbfuse/log.h"
#include "smbfuse/util.h"

#define WB_MAX_INFLIGHT 16 /* WRITEs in flight per file: 16 MiB at Samba's sizes, bounded again by credits */

#define POOL_MAX 20 /* spare buffers kept: a little more than one file's WRITEs in flight */

/*
 * Spare gather buffers. Each buffer is several MiB; freed back to glibc it is trimmed from the heap and
 * the next one page-faults in again, 1024 faults per 4 MiB, which measured as the largest single cost of a
 * sequential write on a virtual machine. So buffers of the current size are kept for reuse.
 */
static struct {
	pthread_mutex_t lock; /* guards the fields below; a leaf */
	size_t size;
	unsigned n;
	void *buf[POOL_MAX];
} pool = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void *buf_get(size_t size)
{
	void *p = NULL;
	pthread_mutex_lock(&pool.lock);
	if (pool.n && pool.size == size)
		p = pool.buf[--pool.n];
	pthread_mutex_unlock(&pool.lock);
	return p ? p : malloc(size);
}

static void buf_put(void *p, size_t size)
{
	if (!p)
		return;
	pthread_mutex_lock(&pool.lock);
	if (pool.size != size) {
		while (pool.n)
			free(pool.buf[--pool.n]);
		pool.size = size;
	}
	if (pool.n < POOL_MAX) {
		pool.buf[pool.n++] = p;
		p = NULL;
	}
	pthread_mutex_unlock(&pool.lock);
	free(p);
}

/* At exit, so that leak checkers see nothing. */
__attribute__((destructor)) static void pool_free(void)
{
	while (pool.n)
		free(pool.buf[--pool.n]);
}

struct wb_flight {
	uint64_t off, end; /* end == off: slot free */
};

struct wb {
	pthread_mutex_t submit; /* outermost: see the lock order above */
	/* submit: */
	uint8_t *buf; /* the gathered range, cap bytes allocated */
	size_t cap;
	uint64_t off;
	size_t len;
	struct smb_fh *owner; /* the handle the gathered data came through; its FileId sends it */
	pthread_mutex_t lock;
	pthread_cond_t cond; /* a WRITE completed */
	/* lock: */
	bool buffered; /* len > 0, readable without submit */
	unsigned inflight;
	struct wb_flight fl[WB_MAX_INFLIGHT];
	int err; /* first failure not yet reported */
	struct wb_req *redo; /* WRITEs lost with a connection, to resend (still in flight: slot and count) */
	bool orphan; /* wb_free came while WRITEs were in flight: the last completion frees it */
};

struct wb_req {
	struct smb_client *cl;
	struct wb *wb;
	const uint8_t *data; /* owned when cap > 0 (cap bytes, the pool's); else the writer's, until submitted */
	size_t cap;
	uint32_t len;
	int slot;
	/* for a resend (redo_locked): the handle, the offset, the generation it was sent under, sends so far */
	struct smb_fh *fh;
	uint64_t off, gen;
	int tries;
	struct wb_req *next; /* wb.redo, under wb.lock */
	/* The submitter's and the completion's: the transport may read data until write_async returns, which
	 * can be after the reply has been handled. */
	_Atomic int refs;
};

static void req_put(struct wb_req *r)
{
	if (atomic_fetch_sub(&r->refs, 1) != 1)
		return;
	if (r->cap)
		buf_put((void *)r->data, r->cap);
	free(r);
}

struct wb *wb_new(void)
{
	struct wb *wb = calloc(1, sizeof(*wb));
	if (!wb)
		return NULL;
	pthread_mutex_init(&wb->submit, NULL);
	pthread_mutex_init(&wb->lock, NULL);
	pthread_condattr_t ca; /* smb_cancel_wait's clock */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&wb->cond, &ca);
	pthread_condattr_destroy(&ca);
	return wb;
}

static void wb_destroy(struct wb *wb)
{
	buf_put(wb->buf, wb->cap);
	pthread_mutex_destroy(&wb->submit);
	pthread_mutex_destroy(&wb->lock);
	pthread_cond_destroy(&wb->cond);
	free(wb);
}

static void drain_locked(struct wb *wb);

/* An interrupted flush leaves its WRITEs going on (they keep their error for the next report); if the last
 * handle goes meanwhile, the completions still need the structure, so the last of them frees it. */
void wb_free(struct wb *wb)
{
	if (!wb)
		return;
	if (wb->len)
		log_warn("write cache freed with %zu bytes unsent", wb->len);
	pthread_mutex_lock(&wb->lock);
	drain_locked(wb);
	bool later = wb->inflight > 0;
	wb->orphan = later;
	pthread_mutex_unlock(&wb->lock);
	if (!later)
		wb_destroy(wb);
}

bool wb_busy(struct wb *wb)
{
	if (!wb)
		return false;
	pthread_mutex_lock(&wb->lock);
	bool busy = wb->buffered || wb->inflight;
	pthread_mutex_unlock(&wb->lock);
	return busy;
}

/*
 * Replays. A WRITE whose connection died under it may have been written or not. Through a durable handle
 * that the server keeps (SMB2: cache_io.write_replay), it is resent as a replay once the handle is taken
 * back: wb_done parks it on wb.redo, still in flight, and whoever holds wb.submit next and must wait (a
 * writer for a slot, a writeback for the last reply) sends it first, from its own thread, since taking
 * the handle back is a round trip the receive thread must never wait for. Only gathered buffers can be
 * resent (the data of a write straight from the writer's buffer is gone), so a replayable handle gathers
 * every write (one copy per write). A lost WRITE that cannot be resent is the EIO it always was.
 */
#define WB_REPLAY_MAX 3

/* Receive thread: record the result; never blocks beyond wb.lock. */
static void wb_done(void *arg, int err, uint32_t status, uint32_t count)
{
	struct wb_req *r = arg;
	struct wb *wb = r->wb;
	if (err == -ECONNRESET && r->cap && r->tries < WB_REPLAY_MAX && r->cl->cio->write_replay) {
		pthread_mutex_lock(&wb->lock);
		bool keep = !wb->orphan;
		if (keep) {
			r->next = wb->redo;
			wb->redo = r;
			pthread_cond_broadcast(&wb->cond);
		}
		pthread_mutex_unlock(&wb->lock);
		if (keep)
			return; /* the completion's reference goes with it */
	}
	int e = err < 0 ? -EIO : 0; /* the connection died under it: the data is lost */
	if (e == 0 && status != STATUS_SUCCESS)
		e = ntstatus_to_errno(status) ?: -EIO;
	if (e == 0 && count != r->len)
		e = count < r->len ? -ENOSPC : -EIO;
	if (e == 0)
		stat_add(&r->cl->st.bytes_written, r->len);
	else
		log_dbg("gathered WRITE of %u bytes failed: %s", r->len, strerror(-e));
	pthread_mutex_lock(&wb->lock);
	if (e < 0 && !wb->err)
		wb->err = e;
	wb->fl[r->slot].end = wb->fl[r->slot].off;
	wb->inflight--;
	bool last = wb->orphan && wb->inflight == 0;
	pthread_cond_broadcast(&wb->cond);
	pthread_mutex_unlock(&wb->lock);
	req_put(r);
	if (last)
		wb_destroy(wb);
}

/* Resend what wb.redo holds; wb.submit and wb.lock are held, wb.lock is released while sending. */
static void redo_locked(struct wb *wb)
{
	while (wb->redo) {
		struct wb_req *r = wb->redo;
		wb->redo = r->next;
		r->next = NULL;
		pthread_mutex_unlock(&wb->lock);
		r->tries++;
		atomic_fetch_add(&r->refs, 1); /* the sender's, as in send_range_locked */
		int rc = r->cl->cio->write_replay(r->cl, r->fh, r->data, r->len, r->off, r->gen, wb_done, r);
		if (rc < 0)
			wb_done(r, rc == -ECONNRESET ? -EIO : rc, 0, 0);
		req_put(r);
		pthread_mutex_lock(&wb->lock);
	}
}

/* No one will resend what wb.redo holds (an interrupted writeback, the cache's end): lost, EIO. */
static void drain_locked(struct wb *wb)
{
	while (wb->redo) {
		struct wb_req *r = wb->redo;
		wb->redo = r->next;
		if (!wb->err)
			wb->err = -EIO;
		wb->fl[r->slot].end = wb->fl[r->slot].off;
		wb->inflight--;
		req_put(r);
	}
	pthread_cond_broadcast(&wb->cond);
}

static bool overlaps_locked(struct wb *wb, uint64_t off, uint64_t end)
{
	for (int i = 0; i < WB_MAX_INFLIGHT; i++)
		if (wb->fl[i].end > wb->fl[i].off && off < wb->fl[i].end && wb->fl[i].off < end)
			return true;
	return false;
}

/*
 * Send len bytes at off through fh without waiting for the reply; the caller holds wb.submit. With cap > 0
 * data is the gathered buffer and the request takes it over; with cap 0 it is the writer's own buffer,
 * which the transport has written to the socket when write_async returns (both transports send
 * synchronously), so a full-sized write goes out without a copy. A failure becomes the deferred error, like a failed
 * reply.
 */
static void send_range_locked(struct smb_client *cl, struct wb *wb, struct smb_fh *fh, const uint8_t *data, size_t cap,
			      uint64_t off, size_t len)
{
	struct wb_req *r = calloc(1, sizeof(*r));
	uint64_t end = off + len;
	pthread_mutex_lock(&wb->lock);
	int slot = -1;
	while (r) {
		for (int i = 0; i < WB_MAX_INFLIGHT && slot < 0; i++)
			if (wb->fl[i].end == wb->fl[i].off)
				slot = i;
		if (slot >= 0 && !overlaps_locked(wb, off, end))
			break;
		slot = -1;
		if (wb->redo)
			redo_locked(wb);
		else
			pthread_cond_wait(&wb->cond, &wb->lock);
	}
	if (!r) {
		if (!wb->err)
			wb->err = -ENOMEM;
		pthread_mutex_unlock(&wb->lock);
		if (cap)
			buf_put((void *)data, cap);
		return;
	}
	wb->fl[slot] = (struct wb_flight){off, end};
	wb->inflight++;
	pthread_mutex_unlock(&wb->lock);
	r->cl = cl;
	r->wb = wb;
	atomic_init(&r->refs, 2);
	r->slot = slot;
	r->data = data;
	r->cap = cap;
	r->len = (uint32_t)len;
	r->fh = fh;
	r->off = off;
	r->gen = cl->cio->generation(cl); /* at most the one it goes out under: a resend is judged strictly */
	int rc = cl->cio->write_async(cl, fh, r->data, r->len, off, wb_done, r);
	if (rc < 0)
		wb_done(r, rc, 0, 0);
	req_put(r);
}

/* Send the gathered range; the caller holds wb.submit. */
static void send_locked(struct smb_client *cl, struct wb *wb)
{
	if (!wb->len)
		return;
	uint8_t *data = wb->buf;
	size_t cap = wb->cap, len = wb->len;
	struct smb_fh *fh = wb->owner;
	wb->buf = NULL;
	wb->len = 0;
	wb->owner = NULL;
	pthread_mutex_lock(&wb->lock);
	wb->buffered = false;
	pthread_mutex_unlock(&wb->lock);
	send_range_locked(cl, wb, fh, data, cap, wb->off, len);
}

/* Take the deferred error, if any. */
static int take_err(struct wb *wb)
{
	pthread_mutex_lock(&wb->lock);
	int e = wb->err;
	wb->err = 0;
	pthread_mutex_unlock(&wb->lock);
	return e;
}

ssize_t wb_write(struct smb_client *cl, struct smb_fh *fh, const void *buf, size_t size, uint64_t off, size_t cap)
{
	struct wb *wb = lease_wb(fh->lease);
	if (!wb)
		return -EAGAIN;
	pthread_mutex_lock(&wb->submit);
	if (!lease_write_cached(cl, fh->lease)) {
		pthread_mutex_unlock(&wb->submit);
		return -EAGAIN;
	}
	pthread_mutex_lock(&wb->lock);
	redo_locked(wb); /* lost WRITEs go again before new ones */
	pthread_mutex_unlock(&wb->lock);
	int e = take_err(wb);
	if (e < 0) {
		pthread_mutex_unlock(&wb->submit);
		return e;
	}
	for (size_t done = 0; done < size;) {
		uint64_t o = off + done;
		size_t n = MIN(size - done, cap);
		if (wb->len && (fh != wb->owner || o < wb->off || o > wb->off + wb->len || o + n > wb->off + wb->cap))
			send_locked(cl, wb);
		bool replayable = cl->cio->replayable && cl->cio->replayable(cl, fh);
		if (!wb->len && n == cap && !replayable) {
			send_range_locked(cl, wb, fh, (const uint8_t *)buf + done, 0, o, n);
			done += n;
			continue;
		}
		if (!wb->len) {
			if (!wb->buf || wb->cap != cap) {
				buf_put(wb->buf, wb->cap);
				wb->buf = buf_get(cap);
				wb->cap = wb->buf ? cap : 0;
			}
			if (!wb->buf) {
				pthread_mutex_unlock(&wb->submit);
				return done ? (ssize_t)done : -ENOMEM;
			}
			wb->off = o;
			wb->owner = fh;
		}
		memcpy(wb->buf + (o - wb->off), (const uint8_t *)buf + done, n);
		wb->len = MAX(wb->len, (size_t)(o + n - wb->off));
		pthread_mutex_lock(&wb->lock);
		wb->buffered = true;
		pthread_mutex_unlock(&wb->lock);
		if (wb->len == wb->cap)
			send_locked(cl, wb);
		done += n;
	}
	pthread_mutex_unlock(&wb->submit);
	return (ssize_t)size;
}

/* Wait for every WRITE in flight, resending lost ones; wb.submit and wb.lock are held. Returns what an
 * interrupted wait returns (cancel.h), the WRITEs going on: an error of theirs is kept for the next
 * report. */
static int wait_inflight_locked(struct wb *wb)
{
	int c = 0;
	while (wb->inflight > 0 && c == 0) {
		if (wb->redo)
			redo_locked(wb);
		else
			c = smb_cancel_wait(&wb->cond, &wb->lock, NULL);
	}
	if (c < 0)
		drain_locked(wb);
	return c;
}

int wb_writeback(struct smb_client *cl, struct wb *wb, bool report)
{
	if (!wb)
		return 0;
	pthread_mutex_lock(&wb->submit);
	send_locked(cl, wb);
	pthread_mutex_lock(&wb->lock);
	int c = wait_inflight_locked(wb);
	int e = c < 0 ? c : report ? wb->err : 0;
	if (report && c == 0)
		wb->err = 0;
	pthread_mutex_unlock(&wb->lock);
	pthread_mutex_unlock(&wb->submit);
	return e;
}

/*
 * A setattr after a small write (tar -x: write, then futimens) need not wait a round trip for the WRITE
 * before its SET_INFO: what is gathered through fh goes in the same compound, ahead of it, once the
 * WRITEs before it are answered (their order on the server is the writer's). The compound's WRITE has
 * no wb_req to be resent from: if the connection dies under it and the handle's lost WRITEs are resent
 * (a durable handle), the data goes back into the buffer, to be written again at the next writeback
 * (the same bytes at the same place, under the same lease); else it is lost, EIO, as a gathered WRITE's.
 */
int wb_hand_over(struct smb_client *cl, struct wb *wb, struct smb_fh *fh, struct wb_handed *h)
{
	memset(h, 0, sizeof(*h));
	if (!wb)
		return 0;
	pthread_mutex_lock(&wb->submit);
	if (!wb->len || wb->owner != fh) {
		pthread_mutex_unlock(&wb->submit);
		wb_writeback(cl, wb, false);
		return 0;
	}
	pthread_mutex_lock(&wb->lock);
	int c = wait_inflight_locked(wb);
	if (c == 0)
		wb->buffered = false;
	pthread_mutex_unlock(&wb->lock);
	if (c < 0) {
		pthread_mutex_unlock(&wb->submit);
		return c;
	}
	h->data = wb->buf;
	h->cap = wb->cap;
	h->off = wb->off;
	h->len = wb->len;
	h->fh = fh;
	h->replayable = cl->cio->replayable && cl->cio->replayable(cl, fh);
	wb->buf = NULL;
	wb->len = 0;
	wb->owner = NULL;
	return 1; /* wb.submit stays held: no write slips in ahead of the compound's */
}

void wb_handed_done(struct smb_client *cl, struct wb *wb, struct wb_handed *h, int err, uint32_t count)
{
	if ((err == -ESTALE || (err == -ECONNRESET && h->replayable)) && !wb->len) {
		/* Nothing went out (a reconnect came first), or it is to be resent: gathered again, as it was. */
		buf_put(wb->buf, wb->cap);
		wb->buf = h->data;
		wb->cap = h->cap;
		wb->off = h->off;
		wb->len = h->len;
		wb->owner = h->fh;
		pthread_mutex_lock(&wb->lock);
		wb->buffered = true;
		pthread_mutex_unlock(&wb->lock);
		pthread_mutex_unlock(&wb->submit);
		return;
	}
	int e = err == -ESTALE || err == -ECONNRESET ? -EIO : err;
	if (e == 0 && count != h->len)
		e = count < h->len ? -ENOSPC : -EIO;
	if (e == 0)
		stat_add(&cl->st.bytes_written, h->len);
	else
		log_dbg("WRITE of %zu bytes before a setattr failed: %s", h->len, strerror(-e));
	pthread_mutex_lock(&wb->lock);
	if (e < 0 && !wb->err)
		wb->err = e;
	pthread_mutex_unlock(&wb->lock);
	buf_put(h->data, h->cap);
	pthread_mutex_unlock(&wb->submit);
}
