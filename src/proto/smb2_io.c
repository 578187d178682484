/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SMB2 READ and WRITE (MS-SMB2 2.2.19, 2.2.21), and FLUSH and QUERY_INFO on an open handle.
 *
 * Large I/O. READ and WRITE are split at the negotiated maximum (Samba offers 8 MiB) and the pieces are all
 * sent before any reply is awaited, so a large request keeps several in flight; credits bound how many
 * (xport). CreditCharge is one credit per 64 KiB (3.1.5.2). Pieces are sent together and awaited together.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "smbfuse/cancel.h"
#include "smb2_proto_i.h"
#include "smbfuse/err.h"
#include "smbfuse/smb2.h"
#include "smbfuse/log.h"
#include "smbfuse/util.h"

#define IO_CHUNK_MAX (1024u * 1024)
#define WB_CHUNK_MAX (1024u * 1024) /* gathered WRITEs: measured faster than 4 MiB against Samba 4.17 here */

/*
 * The pieces of one read or write in flight. Replies come without a deadline (conn_submit), so the caller
 * waits only up to the request timeout, as for every other request; then it gives up (abandoned) and the
 * batch, pieces included, belongs to the replies still due: the last one frees it (the connection's death
 * completes them all, at the latest when the client is freed).
 */
struct io_batch {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int pending;	/* pieces whose done has not run; guarded by lock */
	bool abandoned; /* guarded by lock */
	struct io_piece *p;
	int n;
	struct io_gauge *g; /* requests of this kind in flight (a counter of cl->st); NULL: not counted */
};

void io_free(struct io_piece *p, int n)
{
	for (int i = 0; i < n; i++) {
		wbuf_free(&p[i].w);
		free(p[i].m.rsp);
	}
	free(p);
}

static void batch_free(struct io_batch *b)
{
	pthread_mutex_destroy(&b->lock);
	pthread_cond_destroy(&b->cond);
	free(b);
}

static void io_done(void *arg, struct conn_msg *m)
{
	struct io_batch *b = arg;
	if (b->g)
		atomic_fetch_sub(&b->g->cur, 1);
	pthread_mutex_lock(&b->lock);
	bool last = --b->pending == 0, orphan = b->abandoned;
	if (last)
		pthread_cond_signal(&b->cond);
	pthread_mutex_unlock(&b->lock);
	if (last && orphan) {
		io_free(b->p, b->n);
		batch_free(b);
	}
}

static uint32_t io_chunk_max(struct smb_client *cl, bool write, uint32_t cap)
{
	struct sess_info si;
	sess_get_info(cl->sess, &si);
	uint32_t max = write ? si.max_write : si.max_read;
	/* 2.0.2 has no multi-credit requests: one credit carries at most 64 KiB. */
	if (si.dialect == SMB2_DIALECT_202 || !(si.capabilities & SMB2_GLOBAL_CAP_LARGE_MTU))
		max = MIN(max, 65536u);
	return MAX(4096u, MIN(max, cap));
}

static uint32_t io_chunk(struct smb_client *cl, bool write)
{
	return io_chunk_max(cl, write, IO_CHUNK_MAX);
}

/* One more request in flight on g, and its high-water mark. */
static void gauge_up(struct io_gauge *g)
{
	uint64_t now = atomic_fetch_add(&g->cur, 1) + 1, max = atomic_load(&g->max);
	while (now > max && !atomic_compare_exchange_weak(&g->max, &max, now))
		;
}

int io_run(struct smb_client *cl, struct io_piece *p, int n, uint64_t gen, struct io_gauge *g)
{
	struct io_batch *b = calloc(1, sizeof(*b));
	if (!b) {
		io_free(p, n);
		return -ENOMEM;
	}
	b->pending = n;
	b->p = p;
	b->n = n;
	b->g = g;
	pthread_mutex_init(&b->lock, NULL);
	smb_cancel_cond_init(&b->cond);
	struct sess_info si;
	sess_get_info(cl->sess, &si);
	uint64_t logons = sess_reauth_count(cl->sess);
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t ns = (uint64_t)ts.tv_nsec + (uint64_t)si.request_timeout_ms * 1000000;
	ts.tv_sec += (time_t)(ns / 1000000000);
	ts.tv_nsec = (long)(ns % 1000000000);
	for (int i = 0; i < n; i++) {
		p[i].m.body = p[i].w.p;
		p[i].m.body_len = p[i].w.len;
		stat_cmd(cl, p[i].m.hdr.command);
		uint64_t sg = gen; /* bound to the FileId's session: -ESTALE, never sent, if it was rebuilt */
		if (g)
			gauge_up(g); /* before the submit: the answer may come before it returns */
		int rc = wbuf_err(&p[i].w) ?: sess_submit(cl->sess, &p[i].m, io_done, b, &sg);
		if (rc < 0) {
			p[i].m.err = rc;
			io_done(b, &p[i].m);
		}
	}
	int rc = 0;
	pthread_mutex_lock(&b->lock);
	while (b->pending > 0 && rc == 0)
		rc = smb_cancel_wait(&b->cond, &b->lock, &ts); /* interrupted: abandoned as on a timeout */
	if (rc == -ETIMEDOUT && b->pending > 0) {
		/* As sess_call does: a server this late is dropped. Every piece then ends with -ECONNRESET at
		 * once, which the caller can judge (a write resent through a durable handle) instead of a bare
		 * timeout with WRITEs of unknown fate. */
		pthread_mutex_unlock(&b->lock);
		sess_drop(cl->sess, gen, smb2_command_name(p[0].m.hdr.command));
		mono_deadline(&ts, 1000);
		pthread_mutex_lock(&b->lock);
		rc = 0;
		while (b->pending > 0 && rc == 0)
			rc = smb_cancel_wait(&b->cond, &b->lock, &ts);
	}
	bool orphan = b->pending > 0;
	b->abandoned = orphan;
	pthread_mutex_unlock(&b->lock);
	if (orphan)
		return rc;
	batch_free(b);
	/* An expired logon ran none of these: renewed in place, they are sent again as never sent. */
	bool expired = false;
	for (int i = 0; i < n; i++) {
		if (p[i].m.rsp && p[i].m.rsp_hdr.status == STATUS_NETWORK_SESSION_EXPIRED) {
			free(p[i].m.rsp);
			p[i].m.rsp = NULL;
			p[i].m.err = -ENOTCONN;
			expired = true;
		}
	}
	if (expired)
		sess_renew(cl->sess, logons);
	return 0;
}

static struct io_piece *io_split(size_t size, uint32_t chunk, int *n)
{
	*n = (int)((size + chunk - 1) / chunk);
	struct io_piece *p = calloc((size_t)*n, sizeof(*p));
	for (int i = 0; p && i < *n; i++) {
		p[i].off = (size_t)i * chunk;
		p[i].len = (uint32_t)MIN((size_t)chunk, size - p[i].off);
		wbuf_init(&p[i].w, 0);
		p[i].m.hdr.credit_charge = (uint16_t)((p[i].len + 65535) / 65536);
	}
	return p;
}

int piece_errno(const struct io_piece *p)
{
	if (p->m.err == -ESTALE)
		return -EIO; /* reconnects in a row kept it from ever being sent */
	if (p->m.err < 0)
		return p->m.err;
	if (!p->m.rsp)
		return -EIO;
	uint32_t st = p->m.rsp_hdr.status;
	return st == STATUS_SUCCESS ? 0 : (ntstatus_to_errno(st) ?: -EIO);
}

ssize_t smb2_read(struct smb_client *cl, struct smb_fh *fh, void *buf, size_t size, uint64_t off)
{
	pcache_fh_writeback(cl, fh);
	struct smb2_fid fid;
	uint64_t gen;
	int rc, n, tries = 0;
	struct io_piece *p;
	/* A read is harmless to repeat: sent again when the session went (or was rebuilt) under it. */
	for (;;) {
		if ((rc = smb2_fh_fid(cl, fh, &fid, &gen)) < 0 || size == 0)
			return rc;
		if (!(p = io_split(size, io_chunk(cl, false), &n)))
			return -ENOMEM;
		for (int i = 0; i < n; i++) {
			struct smb2_read_req req = {.length = p[i].len, .offset = off + p[i].off, .fid = fid};
			p[i].m.hdr.command = SMB2_READ;
			smb2_read_req_encode(&p[i].w, &req);
		}
		if ((rc = io_run(cl, p, n, gen, NULL)) < 0)
			return rc;
		/* Only when nothing came: data before the failed piece is a short read, as for other errors. */
		int e = p[0].m.err;
		bool again = e == -ESTALE || e == -ECONNRESET || e == -ENOTCONN;
		if (!again || ++tries == STALE_TRIES)
			break;
		io_free(p, n);
	}
	/* Data counts only up to the first short or failed piece: bytes after a gap are not contiguous. */
	ssize_t total = 0;
	for (int i = 0; i < n; i++) {
		if (p[i].m.rsp && p[i].m.rsp_hdr.status == STATUS_END_OF_FILE)
			break;
		rc = piece_errno(&p[i]);
		struct smb2_read_rsp r;
		if (rc == 0 && smb2_read_rsp_decode(p[i].m.rsp, p[i].m.rsp_len, &r) < 0) {
			log_warn("server reply: READ DataOffset %u + DataLength %u exceed the %zu-byte reply",
				 p[i].m.rsp_len > 66 ? p[i].m.rsp[66] : 0u,
				 p[i].m.rsp_len >= 72 ? get_le32(p[i].m.rsp + 68) : 0u, p[i].m.rsp_len);
			rc = -EIO;
		}
		if (rc == 0 && r.data_len > p[i].len) {
			log_warn("server reply: READ DataLength %u exceeds the %zu bytes asked for", r.data_len,
				 (size_t)p[i].len);
			rc = -EIO; /* more than asked: a confused or hostile server */
		}
		if (rc < 0) {
			if (total == 0)
				total = rc;
			break;
		}
		memcpy((uint8_t *)buf + p[i].off, r.data, r.data_len);
		total += r.data_len;
		if (r.data_len < p[i].len)
			break;
	}
	io_free(p, n);
	if (total > 0)
		stat_add(&cl->st.bytes_read, (uint64_t)total);
	return total;
}

/* The pieces p[0..n) of a write of buf at off, through fid; with replay marked as resent (3.x). */
static void write_encode(struct smb_client *cl, struct io_piece *p, int n, const void *buf, uint64_t off,
			 struct smb2_fid fid, bool replay)
{
	struct sess_info si;
	sess_get_info(cl->sess, &si);
	for (int i = 0; i < n; i++) {
		struct smb2_write_req req = {.length = p[i].len, .offset = off + p[i].off, .fid = fid};
		wbuf_free(&p[i].w);
		free(p[i].m.rsp);
		uint16_t charge = p[i].m.hdr.credit_charge;
		memset(&p[i].m, 0, sizeof(p[i].m));
		wbuf_init(&p[i].w, 0);
		p[i].m.hdr.credit_charge = charge;
		p[i].m.hdr.command = SMB2_WRITE;
		if (replay && si.dialect >= SMB2_DIALECT_300)
			p[i].m.hdr.flags = SMB2_FLAGS_REPLAY_OPERATION;
		p[i].m.data = (const uint8_t *)buf + p[i].off;
		p[i].m.data_len = p[i].len;
		smb2_write_req_encode(&p[i].w, &req);
	}
}

/* A WRITE that may have reached an open the server no longer has: lost with it, and the caller is told. */
static int write_lost(struct smb_client *cl, struct smb_fh *fh)
{
	stat_add(&cl->st.writes_lost, 1);
	log_warn("a WRITE to \"%s\" was in flight when the connection was lost and the server did not keep the "
		 "handle: failing the write (EIO)", fh->wpath);
	return -EIO;
}

/*
 * The pieces of p that did not reach an answer, in a new array (*out, *nout), marked for replay when some
 * may have reached the server (-ECONNRESET); 0 when there are none. A piece that may have been written
 * through an open the server has since lost (reopened by path) is not resent: -EIO, the data is lost
 * with that open, and the caller must hear of it.
 */
static int write_leftovers(struct smb_client *cl, struct smb_fh *fh, struct io_piece *p, int n, uint64_t gen,
			   struct io_piece **out, int *nout, bool *replay)
{
	int k = 0;
	*replay = false;
	*out = NULL;
	for (int i = 0; i < n; i++) {
		int e = p[i].m.err;
		if (e != -ESTALE && e != -ENOTCONN && e != -ECONNRESET)
			continue;
		uint64_t risk = p[i].risk_gen ? p[i].risk_gen : e == -ECONNRESET ? gen : 0;
		if (risk && !smb2_fh_kept(fh, risk)) {
			write_lost(cl, fh);
			free(*out);
			*out = NULL;
			return -EIO;
		}
		if (!*out && !(*out = calloc((size_t)n, sizeof(**out))))
			return -ENOMEM;
		(*out)[k].off = p[i].off;
		(*out)[k].len = p[i].len;
		(*out)[k].m.hdr.credit_charge = p[i].m.hdr.credit_charge;
		(*out)[k].risk_gen = risk;
		wbuf_init(&(*out)[k].w, 0);
		*replay |= risk != 0;
		k++;
	}
	*nout = k;
	return 0;
}

/* Bytes written by the answered pieces, or the first error. */
static ssize_t write_total(const struct io_piece *p, int n)
{
	ssize_t total = 0;
	for (int i = 0; i < n; i++) {
		int rc = piece_errno(&p[i]);
		struct smb2_write_rsp r;
		if (rc == 0 && smb2_write_rsp_decode(p[i].m.rsp, p[i].m.rsp_len, &r) < 0)
			rc = -EIO;
		/* A write that was not done in full is an error: callers must not see data silently dropped. */
		if (rc == 0 && r.count != p[i].len)
			rc = r.count < p[i].len ? -ENOSPC : -EIO;
		if (rc < 0)
			return rc;
		total += r.count;
	}
	return total;
}

/*
 * Write through. Pieces the connection's loss left without an answer go again once the handle is taken
 * back (smb2_fh_fid): those never sent as they were, those that may have reached the server flagged as
 * replays (MS-SMB2 3.2.4.1.x, 3.x), which the server matches to the open's ChannelSequence; the session
 * sends a higher one after every reconnect. Only through a handle the server kept: see write_leftovers.
 */
ssize_t smb2_write(struct smb_client *cl, struct smb_fh *fh, const void *buf, size_t size, uint64_t off)
{
	struct smb2_fid fid;
	uint64_t gen;
	ssize_t g = pcache_write(cl, fh, buf, size, off, io_chunk_max(cl, true, WB_CHUNK_MAX));
	if (g != -EAGAIN)
		return g;
	int rc = smb2_fh_fid(cl, fh, &fid, &gen);
	if (rc < 0 || size == 0)
		return rc;
	int n;
	struct io_piece *p = io_split(size, io_chunk(cl, true), &n);
	if (!p)
		return -ENOMEM;
	write_encode(cl, p, n, buf, off, fid, false);
	ssize_t total = 0;
	for (int tries = 0;; tries++) {
		if ((rc = io_run(cl, p, n, gen, NULL)) < 0) {
			pcache_wrote(cl, fh); /* some of it may have been written */
			return rc;
		}
		for (int i = 0; i < n; i++)
			if (p[i].risk_gen && p[i].m.err == 0)
				stat_add(&cl->st.writes_replayed, 1); /* resent, and answered */
		struct io_piece *left;
		int nleft = 0;
		bool replay;
		rc = write_leftovers(cl, fh, p, n, gen, &left, &nleft, &replay);
		if (rc == 0 && !left) {
			ssize_t t = write_total(p, n);
			total = t < 0 ? t : total + t;
			break;
		}
		/* Answered pieces count now; their errors win over what the others become. */
		for (int i = 0; rc == 0 && i < n; i++)
			if (p[i].m.err == 0 && (rc = (int)MIN(write_total(&p[i], 1), 0)) == 0)
				total += p[i].len;
		io_free(p, n);
		p = left;
		n = nleft;
		if (rc == 0 && tries + 1 == STALE_TRIES)
			rc = -EIO;
		if (rc == 0)
			rc = smb2_fh_fid(cl, fh, &fid, &gen);
		for (int i = 0; rc == 0 && i < n; i++)
			if (p[i].risk_gen && !smb2_fh_kept(fh, p[i].risk_gen))
				rc = write_lost(cl, fh); /* reopened by path just now: a replay would reach a new open */
		if (rc < 0) {
			io_free(p, n);
			pcache_wrote(cl, fh);
			return rc;
		}
		write_encode(cl, p, n, buf, off, fid, replay);
	}
	io_free(p, n);
	pcache_wrote(cl, fh);
	if (total > 0)
		stat_add(&cl->st.bytes_written, (uint64_t)total);
	return total;
}

int fid_simple(struct smb_client *cl, struct smb_fh *fh, fid_add_fn add, const void *arg, struct cmp *c)
{
	struct smb2_fid fid;
	uint64_t gen;
	int rc;
	cmp_init(c, cl);
	for (int tries = 0; tries < STALE_TRIES; tries++) {
		cmp_free(c);
		if ((rc = smb2_fh_fid(cl, fh, &fid, &gen)) < 0)
			return rc;
		add(c, fid, fh, arg);
		c->want_gen = gen;
		if ((rc = cmp_send(cl, c, true)) != -ESTALE && rc != -ECONNRESET)
			return rc < 0 ? rc : cmp_errno(c, NULL);
	}
	return -EIO;
}

static void add_flush(struct cmp *c, struct smb2_fid fid, const struct smb_fh *fh, const void *arg)
{
	struct smb2_flush_req req = {.fid = fid};
	smb2_flush_req_encode(cmp_add(c, SMB2_FLUSH, 0), &req);
}

int smb2_fsync(struct smb_client *cl, struct smb_fh *fh)
{
	struct cmp c;
	int e = pcache_flush(cl, fh);
	int rc = fid_simple(cl, fh, add_flush, NULL, &c);
	cmp_free(&c);
	return e ?: rc;
}

static void add_fh_query_all(struct cmp *c, struct smb2_fid fid, const struct smb_fh *fh, const void *arg)
{
	add_query_all(c, fid, strlen(fh->wpath));
}

int smb2_fstat(struct smb_client *cl, struct smb_fh *fh, struct smb_attr *out)
{
	pcache_fh_writeback(cl, fh);
	struct cmp c;
	int rc = fid_simple(cl, fh, add_fh_query_all, NULL, &c);
	c.snap = fh->snap;
	if (rc == 0)
		rc = attr_from_all_info(&c, 0, out);
	if (rc == 0)
		pcache_note_attr(cl, fh, out);
	cmp_free(&c);
	return rc;
}
