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
 * Requests go one after the other: the server copies at its disk's speed either way, and a short answer
 * (source end of file, disk full) must stop the copy where it stopped.
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
static bool learn_limits(struct smb_client *cl, const struct cmp *c, const struct cc_limits *sent)
{
	struct smb2_ioctl_rsp rsp;
	struct smb2_copychunk_rsp r;
	if (!c->m[0].rsp || smb2_ioctl_rsp_decode(c->m[0].rsp, c->m[0].rsp_len, &rsp) < 0 ||
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

/* One COPYCHUNK_WRITE of up to len bytes; returns the bytes the server copied. */
static ssize_t copy_once(struct smb_client *cl, const uint8_t *key, uint64_t soff, struct smb_fh *dst, uint64_t doff,
			 uint64_t len)
{
	struct smb2_chunk ch[SMB2_COPYCHUNK_MAX];
	for (int tries = 0;; tries++) {
		struct cc_limits l = limits(cl);
		uint64_t want = MIN(len, (uint64_t)l.total);
		int n = 0;
		for (uint64_t o = 0; o < want && n < (int)l.chunks; n++) {
			uint32_t k = (uint32_t)MIN(want - o, (uint64_t)l.chunk_bytes);
			ch[n] = (struct smb2_chunk){soff + o, doff + o, k};
			o += k;
		}
		want = 0;
		for (int i = 0; i < n; i++)
			want += ch[i].len;
		struct wbuf in;
		struct cmp c;
		wbuf_init(&in, 0);
		smb2_copychunk_req_encode(&in, key, ch, n);
		int rc = smb2_fsctl(cl, dst, FSCTL_SRV_COPYCHUNK_WRITE, &in, CC_OUT, &c);
		wbuf_free(&in);
		ssize_t out = rc;
		if (rc == -EINVAL && tries == 0 && learn_limits(cl, &c, &l)) {
			cmp_free(&c);
			continue;
		}
		if (rc == 0) {
			struct smb2_ioctl_rsp rsp;
			struct smb2_copychunk_rsp r;
			if (smb2_ioctl_rsp_decode(c.m[0].rsp, c.m[0].rsp_len, &rsp) < 0 ||
			    smb2_copychunk_rsp_decode(rsp.output, rsp.output_len, &r) < 0 ||
			    r.total_bytes_written > want) {
				log_warn("server reply: FSCTL_SRV_COPYCHUNK_WRITE answer malformed");
				out = -EIO;
			} else {
				out = (ssize_t)r.total_bytes_written;
			}
		}
		cmp_free(&c);
		return out;
	}
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
	uint64_t done = 0;
	ssize_t n = 0;
	while (done < len) {
		n = copy_once(cl, key, src_off + done, dst, dst_off + done, len - done);
		if (n <= 0)
			break;
		done += (uint64_t)n;
	}
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
