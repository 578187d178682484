/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * smb2_pre.c - small files read with their open (issue 16): `cat` of a small file in one round trip.
 *
 * When the glue opens a file read-only that it believes small (SMB_O_PREREAD, ops.h), the open's CREATE
 * carries a related READ of its first SMB_PREREAD_MAX bytes on FileId 0xFFFF...FFFF (MS-SMB2 3.2.4.1.4),
 * and the data is kept with the handle to answer the first reads. The READ is worth its bytes only for a
 * small file, which is why the glue asks by the size it has: a file that grew is read as before past
 * what came with the open.
 *
 * Coherence. The data is what the server had when it answered the open, so it is served only while
 * nothing can have changed it since:
 *  - no change by this client to any file's data, no lease or oplock break of any file and no new session
 *    since the compound was sent (cl->pre_epoch: writes bump it in pcache_wrote, truncates in setattr,
 *    breaks before their ack, reconnects in pcache_rebuilt);
 *  - and either the file's lease still holds Read caching (nobody else can write while it does: the
 *    server breaks it first, which bumps the epoch), or, without one, the read comes within PRE_BARE_MS
 *    of the open. That last case is the close-to-open guarantee a reader has without a lease anyway: data
 *    as of its open, which is what a READ sent right after the open would find unless a writer raced it,
 *    and a race without a lease has no order to keep.
 * cache=none has no cache (cl->cache NULL) and never reads with the open: every read goes to the server
 * as before. A failed READ costs nothing more than it did: the open stands and reads go to the server.
 *
 * The data is dropped when the handle is closed or parked (a later open that takes the handle back does
 * not inherit it), and all of it is bounded by PRE_BUDGET bytes for the client.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "smb2_proto_i.h"
#include "smbfuse/err.h"
#include "smbfuse/log.h"
#include "smbfuse/ops.h"
#include "smbfuse/smb2.h"
#include "smbfuse/util.h"

#define PRE_BARE_MS 100
#define PRE_BUDGET (16u << 20) /* bytes kept at most for the handles of one client */

struct smb2_pre {
	uint8_t *data;
	uint32_t len;
	bool eof;	   /* the READ ended at the end of the file: nothing follows len */
	uint64_t epoch;	   /* cl->pre_epoch when the compound was sent */
	uint64_t open_ms;  /* when the open was answered */
};

bool smb2_pre_add(struct smb_client *cl, struct cmp *c, uint64_t *epoch)
{
	if (!cl->cache || atomic_load(&cl->pre_bytes) + SMB_PREREAD_MAX > PRE_BUDGET)
		return false;
	struct smb2_read_req req = {.length = SMB_PREREAD_MAX, .offset = 0, .fid = FID_RELATED};
	smb2_read_req_encode(cmp_add(c, SMB2_READ, SMB_PREREAD_MAX), &req);
	/* Taken before sending: a break that crosses the compound voids the data. */
	*epoch = atomic_load(&cl->pre_epoch);
	return true;
}

struct smb2_pre *smb2_pre_take(struct smb_client *cl, const struct conn_msg *m, uint64_t epoch)
{
	stat_add(&cl->st.prereads, 1);
	uint32_t st = m->rsp_hdr.status;
	struct smb2_read_rsp r = {0};
	if (st == STATUS_END_OF_FILE) {
		r.data_len = 0; /* an empty file: its read needs no round trip either */
	} else if (st != STATUS_SUCCESS) {
		log_dbg("READ with the open: %s; reads go to the server", ntstatus_name(st));
		return NULL;
	} else if (smb2_read_rsp_decode(m->rsp, m->rsp_len, &r) < 0 || r.data_len > SMB_PREREAD_MAX) {
		log_warn("server reply: READ with the open of %zu bytes does not decode; reads go to the server",
			 m->rsp_len);
		return NULL;
	}
	struct smb2_pre *p = calloc(1, sizeof(*p));
	if (!p || !(p->data = malloc(r.data_len ? r.data_len : 1))) {
		free(p);
		return NULL;
	}
	if (r.data_len)
		memcpy(p->data, r.data, r.data_len);
	p->len = r.data_len;
	p->eof = r.data_len < SMB_PREREAD_MAX;
	p->epoch = epoch;
	p->open_ms = now_ms();
	atomic_fetch_add(&cl->pre_bytes, p->len);
	return p;
}

static void pre_free(struct smb_client *cl, struct smb2_pre *p)
{
	if (!p)
		return;
	atomic_fetch_sub(&cl->pre_bytes, p->len);
	free(p->data);
	free(p);
}

void smb2_pre_drop(struct smb_client *cl, struct smb_fh *fh)
{
	pthread_mutex_lock(&fh->lock);
	struct smb2_pre *p = fh->pre;
	fh->pre = NULL;
	pthread_mutex_unlock(&fh->lock);
	pre_free(cl, p);
}

/* Whether p may still answer a read; fh->lock is held. */
static bool pre_valid_locked(struct smb_client *cl, const struct smb_fh *fh, const struct smb2_pre *p)
{
	if (atomic_load(&cl->pre_epoch) != p->epoch)
		return false;
	return lease_read_cached(cl, fh->lease) || now_ms() - p->open_ms <= PRE_BARE_MS;
}

ssize_t smb2_pre_read(struct smb_client *cl, struct smb_fh *fh, void *buf, size_t size, uint64_t off)
{
	struct smb2_pre *drop = NULL;
	ssize_t n = -EAGAIN;
	pthread_mutex_lock(&fh->lock);
	struct smb2_pre *p = fh->pre;
	if (p && !pre_valid_locked(cl, fh, p)) {
		drop = p;
		fh->pre = NULL;
	} else if (p && (off < p->len || (off >= p->len && p->eof))) {
		n = off < p->len ? (ssize_t)MIN(size, (size_t)(p->len - off)) : 0;
		if (n > 0)
			memcpy(buf, p->data + off, (size_t)n);
	}
	pthread_mutex_unlock(&fh->lock);
	pre_free(cl, drop);
	if (n >= 0)
		stat_add(&cl->st.preread_hits, 1);
	return n;
}

ssize_t smb2_pre_or_read(struct smb_client *cl, struct smb_fh *fh, void *buf, size_t size, uint64_t off)
{
	ssize_t n = smb2_pre_read(cl, fh, buf, size, off);
	return n == -EAGAIN ? smb2_read(cl, fh, buf, size, off) : n;
}
