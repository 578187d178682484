/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * smb2_copy.c - ops->copy_range: server-side copy (MS-SMB2 2.2.31.1, 3.2.4.20.1, 3.3.5.15.6).
 *
 * FSCTL_SRV_REQUEST_RESUME_KEY on the source gives a key that names it; FSCTL_SRV_COPYCHUNK_WRITE on the
 * destination (which needs write access only, where FSCTL_SRV_COPYCHUNK would also need read access) then
 * lists chunks of source offset, destination offset and length, and the server copies them itself: no data
 * crosses the connection. A request may hold at most so many chunks, of so many bytes, and so many bytes in
 * all; a server answers a request over its limits with STATUS_INVALID_PARAMETER and its limits in the
 * SRV_COPYCHUNK_RESPONSE (3.3.5.15.6), which are kept for the mount and the request sent again within them.
 * Samba 4.17 and Windows both allow 256 chunks of 1 MiB and 16 MiB per request; the defaults here are 16
 * chunks of 1 MiB, within every server's documented limits (Windows' defaults, 3.3.3.1).
 *
 * Several requests are in flight at once (CC_INFLIGHT), each for the next contiguous span, through the batch
 * machinery READ and WRITE use (io_run, smb2_io.c): the server has the next span as soon as it is done with
 * one, instead of idling a round trip per request (more so with a network or a disk between). A batch is
 * awaited whole (never a buffer freed while the server may answer) and its answers read in order: the copy
 * counts the contiguous prefix the server reports, and stops at the first short answer (source end of file,
 * disk full) or failure; bytes a later span copied past such a gap are not counted. A refusal with limits
 * (above) learns them and sends that span and those after it again within them. A connection lost under a
 * batch (-ECONNRESET, -ESTALE) keeps what was answered and goes on from there with the handles taken back
 * (a fresh resume key: the source's handle may be a new open), at most STALE_TRIES times in a row; a COPYCHUNK sent
 * again copies the same bytes to the same place, so one the server did run before the loss does no harm.
 * Two ranges of one file that overlap go one request at a time: in flight together, their order would be
 * the server's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "smb2_proto_i.h"
#include "smbfuse/err.h"
#include "smbfuse/log.h"
#include "smbfuse/smb2.h"
#include "smbfuse/util.h"

#define CC_CHUNKS 16
#define CC_CHUNK_BYTES (1u << 20)
#define CC_TOTAL (16u << 20)
#define CC_OUT 12
/* COPYCHUNK_WRITE requests in flight per copy. Each costs one credit (its input is far below 64 KiB) and
 * asks the server for up to CC_TOTAL bytes: 4 leave the server a span queued while it copies one, as the
 * read-ahead's 4 READs do, yet one copy holds at most 4 of the session's credits and 64 MiB of the server's
 * work, so other requests on the connection still go out, and wait behind at most that much (on loopback
 * no gain over 1 is measurable: doc/PERFORMANCE.md). */
#define CC_INFLIGHT 4
#define CC_LEARN_MAX 4 /* refusals with ever lower limits one copy learns from before it gives up (EINVAL) */
#define RESUME_KEY_OUT 32 /* the key, ContextLength and a 4-byte Context (Samba, Windows) */

struct cc_limits {
	uint32_t chunks, chunk_bytes, total;
};

static struct cc_limits limits(struct smb_client *cl)
{
	struct cc_limits l = {atomic_load(&cl->cc_chunks), atomic_load(&cl->cc_chunk_bytes),
			      atomic_load(&cl->cc_total)};
	return (struct cc_limits){l.chunks ?: CC_CHUNKS, l.chunk_bytes ?: CC_CHUNK_BYTES, l.total ?: CC_TOTAL};
}

/* The limits in a STATUS_INVALID_PARAMETER answer, if they are usable (and lower than what was sent). */
static bool learn_limits(struct smb_client *cl, const struct conn_msg *m, const struct cc_limits *sent)
{
	struct smb2_ioctl_rsp rsp;
	struct smb2_copychunk_rsp r;
	if (!m->rsp || smb2_ioctl_rsp_decode(m->rsp, m->rsp_len, &rsp) < 0 ||
	    smb2_copychunk_rsp_decode(rsp.output, rsp.output_len, &r) < 0)
		return false;
	struct cc_limits l = {MIN(r.chunks_written, SMB2_COPYCHUNK_MAX), r.chunk_bytes_written, r.total_bytes_written};
	if (!l.chunks || l.chunk_bytes < 4096 || l.total < l.chunk_bytes ||
	    (l.chunks >= sent->chunks && l.chunk_bytes >= sent->chunk_bytes && l.total >= sent->total))
		return false;
	log_info("server-side copy: the server allows %u chunks of %u bytes, %u bytes per request", l.chunks,
		 l.chunk_bytes, l.total);
	atomic_store(&cl->cc_chunks, l.chunks);
	atomic_store(&cl->cc_chunk_bytes, l.chunk_bytes);
	atomic_store(&cl->cc_total, l.total);
	return true;
}

static int resume_key(struct smb_client *cl, struct smb_fh *src, uint8_t key[SMB2_RESUME_KEY_SIZE])
{
	struct wbuf in;
	struct cmp c;
	wbuf_init(&in, 0);
	int rc = smb2_fsctl(cl, src, FSCTL_SRV_REQUEST_RESUME_KEY, &in, RESUME_KEY_OUT, &c);
	wbuf_free(&in);
	if (rc == 0) {
		struct smb2_ioctl_rsp rsp;
		if (smb2_ioctl_rsp_decode(c.m[0].rsp, c.m[0].rsp_len, &rsp) < 0 ||
		    smb2_resume_key_decode(rsp.output, rsp.output_len, key) < 0) {
			log_warn("server reply: FSCTL_SRV_REQUEST_RESUME_KEY answer malformed");
			rc = -EIO;
		}
	}
	cmp_free(&c);
	return rc;
}

/* p: one COPYCHUNK_WRITE on fid of the next span within l: of up to len bytes at off into the copy. */
static void span_encode(struct io_piece *p, const uint8_t *key, struct smb2_fid fid, uint64_t soff, uint64_t doff,
			uint64_t off, uint64_t len, const struct cc_limits *l)
{
	struct smb2_chunk ch[SMB2_COPYCHUNK_MAX];
	uint64_t want = MIN(len, (uint64_t)l->total), o = 0;
	int n = 0;
	for (; o < want && n < (int)l->chunks; n++) {
		uint32_t k = (uint32_t)MIN(want - o, (uint64_t)l->chunk_bytes);
		ch[n] = (struct smb2_chunk){soff + off + o, doff + off + o, k};
		o += k;
	}
	struct wbuf in;
	wbuf_init(&in, 0);
	smb2_copychunk_req_encode(&in, key, ch, n);
	struct smb2_ioctl_req req = {.ctl_code = FSCTL_SRV_COPYCHUNK_WRITE,
				     .fid = fid,
				     .input = in.p,
				     .input_len = (uint32_t)in.len,
				     .max_output_response = CC_OUT,
				     .flags = SMB2_0_IOCTL_IS_FSCTL};
	wbuf_init(&p->w, 0);
	int rc = wbuf_err(&in) ?: smb2_ioctl_req_encode(&p->w, &req);
	if (rc < 0 && !p->w.err)
		p->w.err = rc;
	wbuf_free(&in);
	p->m.hdr.command = SMB2_IOCTL;
	p->m.hdr.credit_charge = 1; /* the input is a few hundred bytes, the output 12 (3.1.5.2) */
	p->off = (size_t)off;
	p->len = (uint32_t)o;
}

/* The bytes the server copied for one answered span, or its error. */
static ssize_t span_result(const struct io_piece *p)
{
	int rc = piece_errno(p);
	if (rc < 0)
		return rc;
	struct smb2_ioctl_rsp rsp;
	struct smb2_copychunk_rsp r;
	if (smb2_ioctl_rsp_decode(p->m.rsp, p->m.rsp_len, &rsp) < 0 ||
	    smb2_copychunk_rsp_decode(rsp.output, rsp.output_len, &r) < 0 || r.total_bytes_written > p->len) {
		log_warn("server reply: FSCTL_SRV_COPYCHUNK_WRITE answer malformed");
		return -EIO;
	}
	return (ssize_t)r.total_bytes_written;
}

/* What one batch's answers, read in order, make of the copy. */
enum cc_next { CC_GO, CC_STOP, CC_AGAIN, CC_LEARNED };

static enum cc_next batch_result(struct smb_client *cl, const struct io_piece *p, int n, const struct cc_limits *l,
				 bool may_learn, uint64_t *done, ssize_t *err)
{
	for (int i = 0; i < n; i++) {
		int e = p[i].m.err;
		if (e == -ESTALE || e == -ECONNRESET || e == -ENOTCONN)
			return CC_AGAIN;
		ssize_t k = span_result(&p[i]);
		if (k == -EINVAL && may_learn && learn_limits(cl, &p[i].m, l))
			return CC_LEARNED;
		if (k < 0) {
			*err = k;
			return CC_STOP;
		}
		*done += (uint64_t)k;
		if ((uint64_t)k < p[i].len)
			return CC_STOP;
	}
	return CC_GO;
}

/* The copy of len bytes, CC_INFLIGHT (or inflight) spans at a time: the contiguous prefix copied, or the error
 * that stopped it first (*err). */
static uint64_t copy_spans(struct smb_client *cl, uint8_t *key, struct smb_fh *src, uint64_t soff,
			   struct smb_fh *dst, uint64_t doff, uint64_t len, int inflight, ssize_t *err)
{
	uint64_t done = 0;
	int stale = 0, learned = 0;
	while (done < len && !*err) {
		struct smb2_fid fid;
		uint64_t gen;
		int rc = smb2_fh_fid(cl, dst, &fid, &gen);
		struct io_piece *p = rc < 0 ? NULL : calloc((size_t)inflight, sizeof(*p));
		if (!p) {
			*err = rc < 0 ? rc : -ENOMEM;
			break;
		}
		struct cc_limits l = limits(cl);
		int n = 0;
		for (uint64_t o = done; n < inflight && o < len; o += p[n++].len)
			span_encode(&p[n], key, fid, soff, doff, o, len - o, &l);
		if ((rc = io_run(cl, p, n, gen, &cl->st.copy_inflight)) < 0) {
			*err = rc; /* timed out or interrupted: the batch is the answers' now */
			break;
		}
		uint64_t before = done;
		enum cc_next next = batch_result(cl, p, n, &l, learned < CC_LEARN_MAX, &done, err);
		io_free(p, n);
		if (next == CC_STOP)
			break;
		if (next == CC_LEARNED)
			learned++;
		if (done > before)
			stale = 0; /* losses in a row fail the copy, not losses spread over a long one */
		if (next == CC_AGAIN && (++stale == STALE_TRIES || (rc = resume_key(cl, src, key)) < 0))
			*err = rc < 0 ? rc : -EIO;
	}
	return done;
}

ssize_t smb2_copy_range(struct smb_client *cl, struct smb_fh *src, uint64_t src_off, struct smb_fh *dst,
			uint64_t dst_off, uint64_t len)
{
	struct smb_attr a;
	uint8_t key[SMB2_RESUME_KEY_SIZE];
	if (src_off > INT64_MAX || dst_off > INT64_MAX)
		return -EINVAL;
	/* The source's gathered writes are part of what is copied; the destination's would land over the copy. */
	int rc = pcache_flush(cl, src);
	if (rc == 0)
		rc = pcache_flush(cl, dst);
	if (rc == 0)
		rc = smb2_fstat(cl, src, &a);
	if (rc < 0)
		return rc;
	if (src_off >= a.size)
		return 0;
	len = MIN(len, a.size - src_off);
	len = MIN(len, (uint64_t)INT64_MAX - dst_off);
	rc = resume_key(cl, src, key);
	if (rc < 0) {
		if (rc == -EOPNOTSUPP || rc == -EINVAL || rc == -EACCES) {
			log_info(
			    "\"%s\": the server refused FSCTL_SRV_REQUEST_RESUME_KEY (%s): copying by read and write",
			    src->path, strerror(-rc));
			stat_add(&cl->st.copies_refused, 1);
			rc = -EOPNOTSUPP;
		}
		return rc;
	}
	bool overlap = (src == dst || strcmp(src->wpath, dst->wpath) == 0) && src_off < dst_off + len &&
		       dst_off < src_off + len;
	ssize_t n = 0;
	uint64_t done = copy_spans(cl, key, src, src_off, dst, dst_off, len, overlap ? 1 : CC_INFLIGHT, &n);
	if (done)
		pcache_wrote(cl, dst);
	stat_add(&cl->st.bytes_copied, done);
	if (n < 0 && !done) {
		if (n == -EOPNOTSUPP || n == -EINVAL || n == -EACCES) {
			log_info("\"%s\": the server refused FSCTL_SRV_COPYCHUNK_WRITE (%s): copying by read and write",
				 dst->path, strerror((int)-n));
			stat_add(&cl->st.copies_refused, 1);
			return -EOPNOTSUPP;
		}
		return n;
	}
	return (ssize_t)done;
}
