/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * smb2_cache.c - SMB2's half of the cache (struct cache_io, proto_i.h): the lease create context and its
 * answer (MS-SMB2 2.2.13.2.8, 2.2.14.2.10), oplock levels (2.2.14), break notifications and their
 * acknowledgments (2.2.23, 2.2.24), WRITEs sent without waiting, CHANGE_NOTIFY (2.2.35). The policy, the
 * state and the workers are cache.c's and wb.c's, shared with SMB1.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto_i.h"
#include "smb2_proto_i.h"
#include "smbfuse/err.h"
#include "smbfuse/log.h"
#include "smbfuse/util.h"

#define NOTIFY_BUF 65536u

/* The lease context version this session uses; 0 when it has no leasing (2.0.2, or a 3.x server
 * without SMB2_GLOBAL_CAP_LEASING): then opens ask for batch oplocks. */
static int lease_version(struct smb_client *cl)
{
	struct sess_info si;
	sess_get_info(cl->sess, &si);
	if (si.dialect >= SMB2_DIALECT_300)
		return (si.capabilities & SMB2_GLOBAL_CAP_LEASING) ? 2 : 0;
	return si.dialect == SMB2_DIALECT_210 ? 1 : 0;
}

static bool smb2_leasing(struct smb_client *cl)
{
	return lease_version(cl) != 0;
}

int smb2_lease_ctx(struct smb_client *cl, struct lease *l, struct wbuf *ctx, size_t *prev)
{
	uint8_t key[16];
	uint16_t epoch;
	if (lease_is_oplock(l))
		return 0;
	lease_key_epoch(cl, l, key, &epoch);
	uint32_t want = SMB2_LEASE_READ_CACHING | SMB2_LEASE_HANDLE_CACHING | SMB2_LEASE_WRITE_CACHING;
	uint8_t parent[16];
	bool has_parent = lease_version(cl) == 2 && pcache_parent_lease_key(cl, l, parent);
	if (has_parent)
		stat_add(&cl->st.dirlease_parented, 1);
	return smb2_create_ctx_add_lease(ctx, prev, key, want, has_parent ? parent : NULL, epoch, lease_version(cl));
}

/* What an SMB2 oplock level lets us cache, in lease bits (MS-SMB2 2.2.14: batch stands in for R+W+H). */
static uint32_t oplock_state(uint8_t level)
{
	switch (level) {
	case SMB2_OPLOCK_LEVEL_BATCH:
		return SMB2_LEASE_READ_CACHING | SMB2_LEASE_WRITE_CACHING | SMB2_LEASE_HANDLE_CACHING;
	case SMB2_OPLOCK_LEVEL_EXCLUSIVE:
		return SMB2_LEASE_READ_CACHING | SMB2_LEASE_WRITE_CACHING;
	case SMB2_OPLOCK_LEVEL_II:
		return SMB2_LEASE_READ_CACHING;
	default:
		return 0;
	}
}

void smb2_lease_granted(struct smb_client *cl, struct lease *l, const struct smb2_create_rsp *r, uint64_t gen)
{
	if (lease_is_oplock(l)) {
		oplock_granted(cl, l, oplock_state(r->oplock_level), r->fid.volatile_, gen);
		return;
	}
	struct smb2_lease_rsp lr;
	uint8_t key[16];
	uint16_t epoch;
	const uint8_t *d;
	uint32_t dl;
	lease_key_epoch(cl, l, key, &epoch);
	bool ok = r->oplock_level == SMB2_OPLOCK_LEVEL_LEASE &&
		  smb2_create_ctx_find(r->contexts, r->contexts_len, SMB2_CREATE_REQUEST_LEASE, &d, &dl) == 0 &&
		  smb2_lease_rsp_decode(d, dl, &lr) == 0 && memcmp(lr.key, key, 16) == 0;
	if (ok)
		lease_granted(cl, l, true, lr.state, lr.epoch, lr.version, gen);
	else
		lease_granted(cl, l, false, 0, 0, 0, gen);
}

/* ---- breaks ---- */

/* Receive thread: decode and queue; the server times out a break we cannot read. */
static void on_unsolicited(void *arg, const uint8_t *msg, size_t n)
{
	struct smb_client *cl = arg;
	struct smb2_break b;
	if (smb2_break_decode(msg, n, &b) < 0) {
		log_warn("ignoring a malformed break notification");
		return;
	}
	if (b.is_lease && b.lease_key[PROTO_LEASE_TAG_BYTE] != proto_lease_tag(cl))
		return; /* another tree's of this session: it acknowledges, after its own write-back */
	struct cache_break cb = {
	    .is_lease = b.is_lease,
	    .new_state = b.is_lease ? b.new_state : oplock_state(b.oplock_level),
	    .new_epoch = b.new_epoch,
	    .ack_required = !b.is_lease || (b.flags & SMB2_NOTIFY_BREAK_LEASE_FLAG_ACK_REQUIRED),
	    .fid_key = b.fid.volatile_,
	    .fid_persistent = b.fid.persistent,
	    .level = b.oplock_level,
	    .gen = sess_generation(cl->sess),
	};
	memcpy(cb.lease_key, b.lease_key, 16);
	pcache_break_queue(cl, &cb);
}

static void on_rebuilt(void *arg, uint64_t gen)
{
	pcache_rebuilt(arg);
}

void smb2_cache_hooks(struct smb_client *cl)
{
	struct sess_hooks h = {.on_unsolicited = on_unsolicited, .on_rebuilt = on_rebuilt, .arg = cl};
	sess_set_hooks(cl->sess, &h);
}

static int smb2_ack(struct smb_client *cl, const struct cache_break *b)
{
	struct wbuf w;
	struct conn_msg m;
	wbuf_init(&w, 0);
	int rc;
	if (b->is_lease) {
		struct smb2_lease_break_ack a = {.lease_state = b->new_state};
		memcpy(a.lease_key, b->lease_key, 16);
		rc = smb2_lease_break_ack_encode(&w, &a);
	} else {
		struct smb2_oplock_break_ack a = {.oplock_level = b->level, .fid = {b->fid_persistent, b->fid_key}};
		rc = smb2_oplock_break_ack_encode(&w, &a);
	}
	memset(&m, 0, sizeof(m));
	m.hdr.command = SMB2_OPLOCK_BREAK;
	m.hdr.credit_charge = 1;
	m.body = w.p;
	m.body_len = w.len;
	if (rc == 0) {
		stat_cmd(cl, SMB2_OPLOCK_BREAK);
		rc = sess_call(cl->sess, &m, 1, NULL);
	}
	/* An error answer: the server timed the break out before our ack came (we were stopped), and took
	 * the lease or oplock altogether (Samba downgrades it to none): the caller must not keep the state
	 * the break offered (break.c, timed_out). */
	if (rc == 0 && m.rsp_hdr.status != STATUS_SUCCESS) {
		log_dbg("break acknowledgment: %s", ntstatus_name(m.rsp_hdr.status));
		rc = -ESTALE;
	}
	free(m.rsp);
	wbuf_free(&w);
	return rc;
}

/* ---- WRITEs without a waiter ---- */

struct awrite {
	struct conn_msg m;
	struct wbuf w;
	cache_write_done done;
	void *arg;
	_Atomic int refs; /* the submitter's and the completion's: sess_submit may return after the reply */
};

static void awrite_put(struct awrite *a)
{
	if (atomic_fetch_sub(&a->refs, 1) != 1)
		return;
	free(a->m.rsp);
	wbuf_free(&a->w);
	free(a);
}

/* Receive thread. */
static void awrite_done(void *arg, struct conn_msg *m)
{
	struct awrite *a = arg;
	struct smb2_write_rsp wr = {0};
	int err = m->err < 0 ? m->err : !m->rsp ? -EIO : 0;
	if (err == 0 && m->rsp_hdr.status == STATUS_SUCCESS && smb2_write_rsp_decode(m->rsp, m->rsp_len, &wr) < 0)
		err = -EBADMSG;
	a->done(a->arg, err, err ? 0 : m->rsp_hdr.status, wr.count);
	awrite_put(a);
}

static int write_async_once(struct smb_client *cl, struct smb2_fid fid, uint64_t gen, const uint8_t *data,
			    uint32_t len, uint64_t off, bool replay, cache_write_done done, void *arg);

/* sent: 0 for a first send, else the generation a replayed WRITE was first sent under. */
static int write_async_gen(struct smb_client *cl, struct smb_fh *fh, const uint8_t *data, uint32_t len,
			   uint64_t off, uint64_t sent, cache_write_done done, void *arg)
{
	struct smb2_fid fid;
	uint64_t gen;
	int rc, tries = 0;
	/* -ESTALE: the session was rebuilt between taking the FileId and sending; nothing went out. */
	do {
		rc = smb2_fh_fid(cl, fh, &fid, &gen);
		if (rc == 0 && sent && !smb2_fh_kept(fh, sent)) {
			stat_add(&cl->st.writes_lost, 1);
			log_warn("a gathered WRITE to \"%s\" was in flight when the connection was lost and the server "
				 "did not keep the handle: the data is lost, reported as EIO", fh->wpath);
			return -EIO;
		}
		if (rc == 0)
			rc = write_async_once(cl, fid, gen, data, len, off, sent != 0, done, arg);
	} while (rc == -ESTALE && ++tries < 3);
	if (rc == 0 && sent)
		stat_add(&cl->st.writes_replayed, 1);
	return rc;
}

static int smb2_write_async(struct smb_client *cl, struct smb_fh *fh, const uint8_t *data, uint32_t len, uint64_t off,
			    cache_write_done done, void *arg)
{
	return write_async_gen(cl, fh, data, len, off, 0, done, arg);
}

static int smb2_write_replay(struct smb_client *cl, struct smb_fh *fh, const uint8_t *data, uint32_t len,
			     uint64_t off, uint64_t gen, cache_write_done done, void *arg)
{
	return write_async_gen(cl, fh, data, len, off, gen ? gen : 1, done, arg);
}

static bool smb2_replayable(struct smb_client *cl, struct smb_fh *fh)
{
	return smb2_fh_kept(fh, sess_generation(cl->sess));
}

static int write_async_once(struct smb_client *cl, struct smb2_fid fid, uint64_t gen, const uint8_t *data,
			    uint32_t len, uint64_t off, bool replay, cache_write_done done, void *arg)
{
	int rc;
	struct awrite *a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->done = done;
	a->arg = arg;
	atomic_init(&a->refs, 2);
	wbuf_init(&a->w, 0);
	struct smb2_write_req req = {.length = len, .offset = off, .fid = fid};
	rc = smb2_write_req_encode(&a->w, &req) ?: wbuf_err(&a->w);
	a->m.hdr.command = SMB2_WRITE;
	struct sess_info si;
	sess_get_info(cl->sess, &si);
	if (replay && si.dialect >= SMB2_DIALECT_300) /* the flag exists from 3.0 on */
		a->m.hdr.flags = SMB2_FLAGS_REPLAY_OPERATION;
	a->m.hdr.credit_charge = (uint16_t)((len + 65535) / 65536);
	a->m.body = a->w.p;
	a->m.body_len = a->w.len;
	a->m.data = data;
	a->m.data_len = len;
	if (rc == 0) {
		stat_cmd(cl, SMB2_WRITE);
		rc = sess_submit(cl->sess, &a->m, awrite_done, a, &gen);
	}
	if (rc < 0)
		awrite_put(a); /* the completion's: it never runs */
	awrite_put(a);
	return rc;
}

/* ---- CHANGE_NOTIFY ---- */

struct swatch {
	struct smb2_fid fid;
	uint64_t gen;
	struct conn_msg m; /* the CHANGE_NOTIFY; the transport's while in flight */
	cache_notify_done done;
	void *arg;
};

/* Directory leases (MS-SMB2 3.2.4.3.8): 3.x only, and only where the server says it grants them
 * (SMB2_GLOBAL_CAP_DIRECTORY_LEASING: Samba 4.22 with "smb3 directory leases", Windows Server 2012+). */
static bool dir_leasing(struct smb_client *cl)
{
	struct sess_info si;
	sess_get_info(cl->sess, &si);
	uint32_t need = SMB2_GLOBAL_CAP_LEASING | SMB2_GLOBAL_CAP_DIRECTORY_LEASING;
	return si.dialect >= SMB2_DIALECT_300 && (si.capabilities & need) == need;
}

/* What the CREATE's answer granted under key: Read and Handle bits only, 0 for no lease or another key. */
static uint32_t dir_lease_granted(const struct smb2_create_rsp *r, const uint8_t *key)
{
	const uint8_t *d;
	uint32_t dl;
	struct smb2_lease_rsp lr;
	if (r->oplock_level != SMB2_OPLOCK_LEVEL_LEASE ||
	    smb2_create_ctx_find(r->contexts, r->contexts_len, SMB2_CREATE_REQUEST_LEASE, &d, &dl) < 0)
		return 0;
	if (smb2_lease_rsp_decode(d, dl, &lr) < 0 || memcmp(lr.key, key, 16) != 0) {
		log_warn("server reply: directory lease context unreadable or for another key; not leased");
		return 0;
	}
	return lr.state & (SMB2_LEASE_READ_CACHING | SMB2_LEASE_HANDLE_CACHING);
}

static int watch_open(struct smb_client *cl, const char *path, const uint8_t *dir_key, void **h, uint64_t *gen,
		      uint32_t *lease_state)
{
	char *wpath;
	int rc = proto_wire_path(cl, path, &wpath);
	if (rc < 0)
		return rc;
	struct swatch *w = calloc(1, sizeof(*w));
	if (!w) {
		free(wpath);
		return -ENOMEM;
	}
	struct cmp c;
	cmp_init(&c, cl);
	if (dir_key && dir_leasing(cl))
		c.dir_lease_key = dir_key;
	add_create_lease(cl, &c, wpath, FILE_LIST_DIRECTORY | FILE_READ_ATTRIBUTES | SYNCHRONIZE, FILE_OPEN,
			 FILE_DIRECTORY_FILE, false, NULL);
	rc = cmp_send(cl, &c, true) ?: cmp_errno(&c, NULL);
	struct smb2_create_rsp r;
	if (rc == 0 && smb2_create_rsp_decode(c.m[0].rsp, c.m[0].rsp_len, &r) < 0)
		rc = -EIO;
	if (rc == 0) {
		w->fid = r.fid;
		w->gen = c.gen;
		*lease_state = c.dir_lease_key ? dir_lease_granted(&r, dir_key) : 0;
		*h = w;
		*gen = w->gen;
	}
	cmp_free(&c);
	free(wpath);
	if (rc < 0)
		free(w);
	return rc;
}

/* Receive thread: hand the answer over. */
static void notify_done(void *arg, struct conn_msg *m)
{
	struct swatch *w = arg;
	uint8_t *rsp = m->rsp;
	m->rsp = NULL;
	w->done(w->arg, m->err, rsp ? m->rsp_hdr.status : 0, rsp, m->rsp_len);
}

static int watch_arm(struct smb_client *cl, void *h, cache_notify_done done, void *arg)
{
	struct swatch *w = h;
	struct wbuf b;
	struct smb2_change_notify_req req = {
	    .output_buffer_length = NOTIFY_BUF, .fid = w->fid, .completion_filter = PROTO_NOTIFY_FILTER};
	wbuf_init(&b, 0);
	int rc = smb2_change_notify_req_encode(&b, &req);
	memset(&w->m, 0, sizeof(w->m));
	w->m.hdr.command = SMB2_CHANGE_NOTIFY;
	w->m.hdr.credit_charge = 1;
	w->m.body = b.p;
	w->m.body_len = b.len;
	w->done = done;
	w->arg = arg;
	if (rc == 0) {
		stat_cmd(cl, SMB2_CHANGE_NOTIFY);
		rc = sess_submit_long(cl->sess, &w->m, notify_done, w, NULL, NULL);
	}
	wbuf_free(&b);
	return rc;
}

static int watch_changes(const uint8_t *rsp, size_t n, const uint8_t **buf, uint32_t *len)
{
	struct smb2_change_notify_rsp r;
	int rc = smb2_change_notify_rsp_decode(rsp, n, &r);
	if (rc == 0) {
		*buf = r.buf;
		*len = r.len;
	}
	return rc;
}

static void watch_close(struct smb_client *cl, void *h)
{
	struct swatch *w = h;
	if (w->gen == sess_generation(cl->sess))
		smb2_close_fid(cl, w->fid);
}

static int watch_deleting(struct smb_client *cl, void *h, const char *path)
{
	struct swatch *w = h;
	if (w->gen != sess_generation(cl->sess))
		return 0;
	struct cmp c;
	int rc = path_compound(cl, path, FILE_READ_ATTRIBUTES | SYNCHRONIZE, FILE_OPEN, FILE_DIRECTORY_FILE, NULL,
			       NULL, true, &c);
	cmp_free(&c);
	return rc == -ENOENT ? 1 : rc; /* STATUS_DELETE_PENDING, or the name gone (renamed away) */
}

static void watch_free(void *h)
{
	struct swatch *w = h;
	free(w->m.rsp);
	free(w);
}

/* ---- the table ---- */

static uint64_t smb2_generation(struct smb_client *cl)
{
	return sess_generation(cl->sess);
}

static const char *command_name(unsigned cmd)
{
	return smb2_command_name((uint16_t)cmd);
}

const struct cache_io smb2_cache_io = {
    .generation = smb2_generation,
    .leasing = smb2_leasing,
    .command_name = command_name,
    .fh_destroy = smb2_fh_destroy,
    .ack = smb2_ack,
    .write_async = smb2_write_async,
    .write_replay = smb2_write_replay,
    .replayable = smb2_replayable,
    .watch_open = watch_open,
    .watch_arm = watch_arm,
    .watch_changes = watch_changes,
    .watch_close = watch_close,
    .watch_deleting = watch_deleting,
    .listing_answers = true,
    .watch_free = watch_free,
    .reclaim = smb2_reclaim,
};
