/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * engine.c - the I/O-free SMB2 transport engine: MessageIds, credits, PENDING, compounds, framing.
 *
 * Why no I/O. Everything subtle about an SMB2 connection is bookkeeping: which MessageIds are in use,
 * how many credits remain, which reply belongs to whom. Keeping that in a state machine that only
 * consumes and produces bytes (as OpenSSH's ssh_api does for its packet layer) means the threaded part,
 * conn.c, is reduced to "lock, call the engine, unlock, write", and the tests can play a server in
 * memory and reach every corner - a reply split across frames, a reply to nothing, a frame cut short -
 * without sockets or timing. The engine never calls its owner back: finished calls are queued and the
 * owner drains them after dropping its lock, so no callback can ever run under a lock.
 *
 * Credits and MessageIds (MS-SMB2 3.1.5.2, 3.2.4.1.3, 3.2.5.1.4). The server starts us with one credit
 * (3.3.1.2), enough for NEGOTIATE. Each credit lets us consume one MessageId; MessageIds are handed out
 * in strictly increasing order and never reused or skipped, because the server tracks a sliding window
 * and a hole at its low edge would eventually wedge it (Samba's window only slides over consumed ids).
 * That is why xeng_submit() does every check and allocation that can fail *before* it consumes an id:
 * once a MessageId is allocated the frame must go out or the connection must die. Every response,
 * including a STATUS_PENDING interim one, may grant credits in CreditResponse and we add them all. A
 * request of CreditCharge N consumes N credits and N consecutive MessageIds (3.2.4.1.5); the response
 * carries the first of them, which is the table key. Before multi-credit is enabled (dialect 2.0.2, or
 * before NEGOTIATE) the charge is 1 and CreditCharge is sent as 0.
 *   We ask for more credits than we spend until we hold about XENG_CREDIT_TARGET: "held" is what we would
 * have if every outstanding CreditRequest were granted in full (credits + asked), so concurrent senders
 * do not each ask for the whole deficit, and a server that grants less simply gets asked again later.
 *   A request that does not fit waits (-EAGAIN to the owner, which sleeps until input brings credits). If
 * nothing is in flight, no credits can ever arrive, so that case fails with -ENOBUFS instead of hanging.
 *
 * PENDING (3.2.5.1.5). A response with SMB2_FLAGS_ASYNC_COMMAND and STATUS_PENDING is interim: we take its
 * credits and its AsyncId and keep waiting for the final response with the same MessageId. Interim
 * responses are not signed (3.2.5.1.3), so they are exempt from verification and from require_signed.
 *
 * Cancel (3.2.4.24). SMB2 CANCEL reuses the MessageId of its target, carries the AsyncId once known,
 * consumes no MessageId and no credit, and has no response of its own: the target still completes
 * exactly once, normally with STATUS_CANCELLED.
 *
 * Compounds (3.2.4.1.4, 3.2.5.1.9). A chain goes out as one frame; every message but the last is padded
 * to 8 bytes and NextCommand points to the next header. Each member has its own MessageId and its own
 * response, and a server may answer members in separate frames (an element that goes async is answered
 * later), so completion is per message and the call finishes when its last member does. Signatures cover
 * each message including its padding. Incoming NextCommand offsets must be 8-aligned, stay inside the
 * frame and leave room for a header; anything else is a malformed frame.
 *
 * Malformed input and responses to nothing. A bad frame prefix, a frame over the limit (xeng_set_max_frame), a bad
 * header, a bad NextCommand or a response whose command differs from its request kill the engine: the
 * stream can no longer be trusted, so every outstanding call fails. A response to an unknown MessageId is
 * logged and dropped once - a late duplicate is plausible - but two in a row mean we and the server
 * disagree about the window, and that is fatal too. Abandoned requests (the waiter timed out) stay in
 * the table, so their late replies are matched, their credits counted, and they are not "unknown".
 *
 * Exactly once. A call leaves the engine through one door, the done list, when its last message has a
 * final response or when xeng_fail_all() fails what is left. Both paths clear in_engine; nothing else
 * completes a call.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine_i.h"
#include "smbfuse/err.h"
#include "smbfuse/log.h"
#include "smbfuse/util.h"

/* After util.h: glib #undefs and redefines MIN/MAX identically. */
#include <glib.h>

#define XENG_CREDIT_MAX 65535u /* more than any server grants; keeps the ledger small */

void *(*xeng_malloc_hook)(size_t n) = malloc;

struct xeng {
	GHashTable *table; /* &xmsg.mid -> struct xmsg *, outstanding messages */
	uint64_t next_mid;
	uint32_t credits;	  /* granted and not consumed */
	uint32_t asked;		  /* CreditRequest of outstanding messages not yet answered */
	uint32_t inflight_charge; /* charge of outstanding messages */
	unsigned nout;		  /* outstanding messages */
	unsigned unknown_streak;
	bool multicredit;
	bool require_signed;
	bool dead;
	struct xport_signer signer;
	bool has_signer;
	struct xport_transform xf;
	bool has_xf;
	struct xcall *done_head, *done_tail;
	struct xunsol *unsol_head, *unsol_tail;
	/* Stream reassembly for xeng_input(). */
	uint8_t rx_pfx[4];
	size_t rx_pfx_have;
	uint8_t *rx_frame;
	size_t rx_need, rx_have;
	bool rx_skip; /* discarding a keepalive body */
	size_t max_frame; /* longest frame accepted, see xeng_set_max_frame */
};

/* ---- calls ---- */

int xcall_init(struct xcall *x, int n)
{
	memset(x, 0, sizeof(*x));
	if (n < 1 || n > XENG_MAX_CHAIN)
		return -EINVAL;
	x->m = xeng_malloc_hook(sizeof(*x->m) * (size_t)n);
	if (!x->m)
		return -ENOMEM;
	memset(x->m, 0, sizeof(*x->m) * (size_t)n);
	x->n = n;
	for (int i = 0; i < n; i++)
		x->m[i].call = x;
	return 0;
}

void xcall_fini(struct xcall *x)
{
	for (int i = 0; x->m && i < x->n; i++)
		free(x->m[i].rsp);
	free(x->m);
	x->m = NULL;
	x->n = 0;
}

/* ---- outgoing frames ---- */

bool xcall_pending_async(const struct xcall *x)
{
	for (int i = 0; i < x->n; i++)
		if (x->m[i].async && !x->m[i].done)
			return true;
	return false;
}

/* ---- the engine object ---- */

struct xeng *xeng_new(void)
{
	struct xeng *e = xeng_malloc_hook(sizeof(*e));
	if (!e)
		return NULL;
	memset(e, 0, sizeof(*e));
	e->table = g_hash_table_new(g_int64_hash, g_int64_equal);
	e->credits = 1; /* 3.3.1.2: one credit when the connection is established */
	e->max_frame = XENG_SETUP_MAX_FRAME;
	return e;
}

void xeng_set_max_frame(struct xeng *e, size_t max)
{
	e->max_frame = MIN(MAX(max, (size_t)XENG_SETUP_MAX_FRAME), (size_t)XPORT_MAX_FRAME);
}

size_t xeng_max_frame(const struct xeng *e)
{
	return e->max_frame;
}

void xeng_free(struct xeng *e)
{
	if (!e)
		return;
	xeng_fail_all(e, -ECONNRESET);
	xeng_take_done(e);
	struct xunsol *u = xeng_take_unsol(e);
	while (u) {
		struct xunsol *next = u->next;
		free(u);
		u = next;
	}
	g_hash_table_destroy(e->table);
	free(e->rx_frame);
	free(e);
}

void xeng_set_multicredit(struct xeng *e, bool on)
{
	e->multicredit = on;
}

void xeng_set_require_signed(struct xeng *e, bool on)
{
	e->require_signed = on;
}

void xeng_set_signer(struct xeng *e, const struct xport_signer *s)
{
	e->has_signer = s != NULL;
	if (s)
		e->signer = *s;
}

void xeng_set_transform(struct xeng *e, const struct xport_transform *t)
{
	e->has_xf = t != NULL;
	if (t)
		e->xf = *t;
}

bool xeng_dead(const struct xeng *e)
{
	return e->dead;
}

unsigned xeng_credits(const struct xeng *e)
{
	return e->credits;
}

unsigned xeng_inflight(const struct xeng *e)
{
	return e->nout;
}

uint64_t xeng_next_mid(const struct xeng *e)
{
	return e->next_mid;
}

static void done_push(struct xeng *e, struct xcall *x)
{
	x->in_engine = false;
	x->done_next = NULL;
	if (e->done_tail)
		e->done_tail->done_next = x;
	else
		e->done_head = x;
	e->done_tail = x;
}

struct xcall *xeng_take_done(struct xeng *e)
{
	struct xcall *x = e->done_head;
	e->done_head = e->done_tail = NULL;
	return x;
}

struct xunsol *xeng_take_unsol(struct xeng *e)
{
	struct xunsol *u = e->unsol_head;
	e->unsol_head = e->unsol_tail = NULL;
	return u;
}

/* Remove a message from the table and settle the ledger; completes the call if it was the last. */
static void msg_finish(struct xeng *e, struct xmsg *m, int err)
{
	g_hash_table_remove(e->table, &m->mid);
	e->inflight_charge -= m->charge;
	e->asked -= m->credit_req;
	m->credit_req = 0;
	e->nout--;
	m->err = err;
	m->done = true;
	if (--m->call->remaining == 0)
		done_push(e, m->call);
}

void xeng_fail_all(struct xeng *e, int err)
{
	e->dead = true;
	GHashTableIter it;
	gpointer k, v;
	/* Collect first: msg_finish() removes from the table we would be iterating. */
	GPtrArray *all = g_ptr_array_new();
	g_hash_table_iter_init(&it, e->table);
	while (g_hash_table_iter_next(&it, &k, &v))
		g_ptr_array_add(all, v);
	for (guint i = 0; i < all->len; i++)
		msg_finish(e, g_ptr_array_index(all, i), err);
	g_ptr_array_free(all, TRUE);
	free(e->rx_frame);
	e->rx_frame = NULL;
}

/* ---- submit ---- */

static uint16_t msg_charge(const struct xeng *e, const struct conn_msg *m)
{
	if (!e->multicredit)
		return 1;
	return m->hdr.credit_charge ? m->hdr.credit_charge : 1;
}

static size_t align8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

/* Validate a chain; sets *charge and *frame_len. */
static int chain_check(const struct xeng *e, const struct conn_msg *msgs, int n, uint32_t *charge,
		       size_t *frame_len)
{
	uint64_t total = 0, len = 0;
	if (n < 1 || n > XENG_MAX_CHAIN)
		return -EINVAL;
	for (int i = 0; i < n; i++) {
		const struct conn_msg *m = &msgs[i];
		uint16_t c = msg_charge(e, m);
		if (c > XENG_MAX_CHARGE || m->hdr.command == SMB2_CANCEL || m->hdr.command >= SMB2_NCOMMANDS)
			return -EINVAL;
		if ((m->body_len && !m->body) || (m->data_len && !m->data))
			return -EINVAL;
		total += c;
		len += SMB2_HDR_SIZE + (uint64_t)m->body_len + m->data_len;
		if (i + 1 < n)
			len = align8(len);
		if (len > XENG_MAX_TCP_LEN)
			return -EMSGSIZE;
	}
	*charge = (uint32_t)total;
	*frame_len = (size_t)len;
	return 0;
}

/* The extra credits to ask for on top of what this chain spends (see the essay). */
static uint16_t credit_extra(const struct xeng *e)
{
	uint64_t held = (uint64_t)e->credits + e->asked;
	return held >= XENG_CREDIT_TARGET ? 0 : (uint16_t)(XENG_CREDIT_TARGET - held);
}

static void build_msg(struct xeng *e, struct xout *o, const struct conn_msg *m, struct smb2_hdr *h, bool last,
		      bool sign)
{
	int i = o->nmsg++;
	size_t start = o->buf.len;
	o->msg[i].seg0 = o->nseg;
	o->msg[i].hdr_off = start;
	o->msg[i].sign = sign;
	smb2_hdr_encode(&o->buf, h);
	wbuf_bytes(&o->buf, m->body, m->body_len);
	xout_seg_own(o, start);
	xout_seg_ext(o, m->data, m->data_len);
	if (!last) {
		size_t mlen = SMB2_HDR_SIZE + m->body_len + m->data_len;
		size_t pad_at = o->buf.len;
		wbuf_zero(&o->buf, align8(mlen) - mlen);
		xout_seg_own(o, pad_at);
	}
	o->msg[i].nseg = o->nseg - o->msg[i].seg0;
}

/* Caller flags we pass through; the transport owns the rest (2.2.1.2). */
#define HDR_CALLER_FLAGS                                                                                     \
	(SMB2_FLAGS_RELATED_OPERATIONS | SMB2_FLAGS_PRIORITY_MASK | SMB2_FLAGS_DFS_OPERATIONS |               \
	 SMB2_FLAGS_REPLAY_OPERATION)

static int build_chain(struct xeng *e, const struct conn_msg *msgs, int n, unsigned flags, struct xout *o,
		       uint16_t *req)
{
	uint64_t mid = e->next_mid;
	size_t pfx = o->buf.len;
	wbuf_be32(&o->buf, 0); /* patched below */
	xout_seg_own(o, pfx);
	for (int i = 0; i < n; i++) {
		const struct conn_msg *m = &msgs[i];
		uint16_t c = msg_charge(e, m);
		struct smb2_hdr h = m->hdr;
		size_t mlen = SMB2_HDR_SIZE + m->body_len + m->data_len;
		h.credit_charge = e->multicredit ? c : 0;
		h.credits = req[i];
		h.flags = (m->hdr.flags & HDR_CALLER_FLAGS) | ((flags & CONN_F_SIGN) ? SMB2_FLAGS_SIGNED : 0);
		h.next_command = i + 1 < n ? (uint32_t)align8(mlen) : 0;
		h.message_id = mid;
		h.async_id = 0;
		memset(h.signature, 0, sizeof(h.signature));
		build_msg(e, o, m, &h, i + 1 == n, flags & CONN_F_SIGN);
		mid += c;
	}
	o->total = o->buf.len - pfx - 4;
	for (int i = 0; i < n; i++)
		o->total += msgs[i].data_len;
	wbuf_set_be32(&o->buf, pfx, (uint32_t)o->total);
	return wbuf_err(&o->buf) ? -ENOMEM : 0;
}

int xeng_submit(struct xeng *e, struct xcall *x, const struct conn_msg *msgs, int n, unsigned flags,
		struct xout *out)
{
	uint32_t charge;
	size_t len;
	if (e->dead)
		return -ENOTCONN;
	if (!x->m || x->n != n || x->in_engine)
		return -EINVAL;
	int rc = chain_check(e, msgs, n, &charge, &len);
	if (rc < 0)
		return rc;
	if (charge > e->credits && e->nout)
		return -EAGAIN;
	/* Nothing in flight can bring credits. With none left the server broke the protocol (3.3.1.2: it
	 * must keep the client able to send); with some, the request is too big for what it granted. */
	if (charge > e->credits && e->credits == 0) {
		log_info("server reply: CreditResponse left 0 credits with no request outstanding; "
			 "nothing can be sent on this connection");
		return -EPROTO;
	}
	if (charge > e->credits)
		return -ENOBUFS;
	uint16_t req[XENG_MAX_CHAIN];
	uint32_t asked = 0;
	for (int i = 0; i < n; i++)
		req[i] = msg_charge(e, &msgs[i]);
	req[n - 1] += credit_extra(e);
	for (int i = 0; i < n; i++)
		asked += req[i];
	rc = build_chain(e, msgs, n, flags, out, req);
	if (rc < 0)
		return rc;
	/* Nothing below can fail: the MessageIds are now spent. */
	for (int i = 0; i < n; i++) {
		struct xmsg *m = &x->m[i];
		m->mid = e->next_mid;
		m->charge = msg_charge(e, &msgs[i]);
		m->credit_req = req[i];
		m->command = msgs[i].hdr.command;
		m->session_id = msgs[i].hdr.session_id;
		m->signed_req = flags & CONN_F_SIGN;
		m->tree_id = msgs[i].hdr.tree_id;
		e->next_mid += m->charge;
		g_hash_table_insert(e->table, &m->mid, m);
	}
	e->credits -= charge;
	e->inflight_charge += charge;
	e->asked += asked;
	e->nout += (unsigned)n;
	x->remaining = n;
	x->flags = flags;
	x->in_engine = true;
	return 0;
}

int xeng_cancel(struct xeng *e, struct xcall *x, struct xout *o)
{
	static const uint8_t body[4] = {4, 0, 0, 0}; /* 2.2.30: StructureSize 4, Reserved */
	struct xmsg *m = NULL;
	if (e->dead)
		return -ENOTCONN;
	if (!x->in_engine)
		return -ENOENT;
	/* Prefer the element that went async: it is the one the server is holding. */
	for (int i = 0; i < x->n; i++) {
		if (!x->m[i].done && (!m || (x->m[i].async && !m->async)))
			m = &x->m[i];
	}
	if (!m)
		return -ENOENT;
	struct smb2_hdr h = {
		.command = SMB2_CANCEL,
		.message_id = m->mid,
		.session_id = m->session_id,
		.tree_id = m->tree_id,
	};
	if (m->async) {
		h.flags |= SMB2_FLAGS_ASYNC_COMMAND;
		h.async_id = m->async_id;
	}
	if (m->signed_req)
		h.flags |= SMB2_FLAGS_SIGNED;
	struct conn_msg cm = {.body = body, .body_len = sizeof(body)};
	size_t pfx = o->buf.len;
	wbuf_be32(&o->buf, SMB2_HDR_SIZE + sizeof(body));
	xout_seg_own(o, pfx);
	build_msg(e, o, &cm, &h, true, m->signed_req);
	o->total = SMB2_HDR_SIZE + sizeof(body);
	return wbuf_err(&o->buf) ? -ENOMEM : 0;
}

/* ---- incoming frames ---- */

static void unsol_push(struct xeng *e, const uint8_t *p, size_t n)
{
	struct xunsol *u = xeng_malloc_hook(sizeof(*u) + n);
	if (!u) {
		log_warn("dropping a break notification: out of memory");
		return;
	}
	u->next = NULL;
	u->len = n;
	memcpy(u->msg, p, n);
	if (e->unsol_tail)
		e->unsol_tail->next = u;
	else
		e->unsol_head = u;
	e->unsol_tail = u;
}

void xeng_skip_first(struct xeng *e, uint16_t credits)
{
	if (e->next_mid != 0)
		return;
	e->next_mid = 1;
	/* The request used the connection's first credit; a server that grants none would leave us unable
	 * to send at all, so one is assumed (Windows and Samba grant one). */
	e->credits = credits ? credits : 1;
}

static void credits_add(struct xeng *e, uint16_t n)
{
	e->credits = MIN(e->credits + n, XENG_CREDIT_MAX);
}

/* 3.2.5.1.3 and require_signed: -EACCES if a final response may not be trusted. */
static int final_sig_check(const struct xeng *e, const struct xmsg *m, const struct xview *v)
{
	if (v->sig < 0)
		return -EACCES;
	if (e->require_signed && m->signed_req && v->sig != 1)
		return -EACCES;
	return 0;
}

/* A final response for m: take the bytes (stealing a single-message frame) and finish. */
static void deliver_final(struct xeng *e, struct xmsg *m, uint8_t **frame, const struct xview *v, bool whole)
{
	int err = final_sig_check(e, m, v);
	if (err == 0 && whole) {
		m->rsp = *frame;
		*frame = NULL;
	} else if (err == 0) {
		m->rsp = xeng_malloc_hook(v->len);
		if (m->rsp)
			memcpy(m->rsp, *frame + v->off, v->len);
		else
			err = -ENOMEM;
	}
	if (err == -EACCES)
		log_warn("%s response mid %llu fails signature check; dropped", smb2_command_name(m->command),
			 (unsigned long long)m->mid);
	m->rsp_len = m->rsp ? v->len : 0;
	m->rsp_hdr = v->hdr;
	msg_finish(e, m, err);
}

static int deliver_one(struct xeng *e, uint8_t **frame, const struct xview *v, bool whole)
{
	const struct smb2_hdr *h = &v->hdr;
	if (h->message_id == SMB2_UNSOLICITED_MID) {
		credits_add(e, h->credits);
		if (h->command == SMB2_OPLOCK_BREAK)
			unsol_push(e, *frame + v->off, v->len);
		else
			log_warn("unsolicited %s ignored", smb2_command_name(h->command));
		return 0;
	}
	struct xmsg *m = g_hash_table_lookup(e->table, &h->message_id);
	if (!m) {
		log_warn("response %s to unknown mid %llu dropped", smb2_command_name(h->command),
			 (unsigned long long)h->message_id);
		return ++e->unknown_streak >= 2 ? -EBADMSG : 0;
	}
	e->unknown_streak = 0;
	if (h->command != m->command) {
		log_info("mid %llu: %s response to a %s request", (unsigned long long)h->message_id,
			smb2_command_name(h->command), smb2_command_name(m->command));
		return -EBADMSG;
	}
	credits_add(e, h->credits);
	e->asked -= m->credit_req;
	m->credit_req = 0;
	if ((h->flags & SMB2_FLAGS_ASYNC_COMMAND) && h->status == STATUS_PENDING) {
		m->async = true;
		m->async_id = h->async_id;
		return 0;
	}
	deliver_final(e, m, frame, v, whole);
	return 0;
}

int xeng_deliver(struct xeng *e, uint8_t **frame, size_t n, struct xview *v, int count)
{
	if (e->dead)
		return -ENOTCONN;
	for (int i = 0; i < count; i++) {
		bool whole = count == 1 && v[i].off == 0 && v[i].len == n;
		int rc = deliver_one(e, frame, &v[i], whole);
		if (rc < 0) {
			xeng_fail_all(e, -ECONNRESET);
			return rc;
		}
	}
	return 0;
}

/* Returns the plaintext frame (possibly the same buffer), or NULL with *rc set (frame freed). */
static uint8_t *unwrap(struct xeng *e, uint8_t *frame, size_t *n, bool *sealed, int *rc)
{
	uint32_t magic = *n >= 4 ? get_le32(frame) : 0;
	*sealed = false;
	if (magic != SMB2_TRANSFORM_MAGIC)
		return frame;
	uint8_t *plain = NULL;
	size_t plen = 0;
	*rc = e->has_xf && e->xf.unseal ? e->xf.unseal(e->xf.ctx, frame, *n, &plain, &plen) : -EBADMSG;
	free(frame);
	if (*rc < 0)
		return NULL;
	*sealed = true;
	*n = plen;
	return plain;
}

int xeng_input_frame(struct xeng *e, uint8_t *frame, size_t n)
{
	struct xview v[XENG_MAX_FRAME_MSGS];
	int count, rc = 0;
	bool sealed;
	if (e->dead) {
		free(frame);
		return -ENOTCONN;
	}
	frame = unwrap(e, frame, &n, &sealed, &rc);
	if (frame)
		rc = xframe_split(frame, n, v, XENG_MAX_FRAME_MSGS, &count);
	if (rc < 0) {
		log_info("malformed frame from server (%zu bytes); resetting", n);
		free(frame);
		xeng_fail_all(e, -ECONNRESET);
		return -EBADMSG;
	}
	/* A message that decrypted is authentic already (3.2.5.1.3). */
	for (int i = 0; sealed && i < count; i++)
		v[i].sig = 1;
	if (!sealed)
		xframe_verify(frame, v, count, e->has_signer ? &e->signer : NULL);
	rc = xeng_deliver(e, &frame, n, v, count);
	free(frame);
	return rc;
}

/* Consume bytes for the current frame; returns bytes used, or a negative errno. */
static long rx_step(struct xeng *e, const uint8_t *p, size_t n)
{
	if (e->rx_need == 0 && !e->rx_skip && !e->rx_frame) {
		size_t k = MIN(n, 4 - e->rx_pfx_have);
		memcpy(e->rx_pfx + e->rx_pfx_have, p, k);
		e->rx_pfx_have += k;
		if (e->rx_pfx_have < 4)
			return (long)k;
		e->rx_pfx_have = 0;
		size_t len;
		int rc = xframe_prefix(e->rx_pfx, e->max_frame, &len);
		if (rc == -EMSGSIZE)
			log_info("server frame: length %zu exceeds the %zu-byte limit", len, e->max_frame);
		if (rc < 0)
			return rc;
		e->rx_skip = rc == 1;
		e->rx_need = len;
		e->rx_have = 0;
		if (!e->rx_skip) {
			e->rx_frame = xeng_malloc_hook(len ? len : 1);
			if (!e->rx_frame)
				return -ENOMEM;
		}
		return (long)k;
	}
	size_t k = MIN(n, e->rx_need - e->rx_have);
	if (!e->rx_skip)
		memcpy(e->rx_frame + e->rx_have, p, k);
	e->rx_have += k;
	return (long)k;
}

int xeng_input(struct xeng *e, const uint8_t *p, size_t n)
{
	while (n || (e->rx_have == e->rx_need && (e->rx_frame || e->rx_skip))) {
		if (e->dead)
			return -ENOTCONN;
		if (e->rx_have == e->rx_need && (e->rx_frame || e->rx_skip)) {
			uint8_t *f = e->rx_frame;
			size_t len = e->rx_need;
			bool skip = e->rx_skip;
			e->rx_frame = NULL;
			e->rx_skip = false;
			e->rx_need = e->rx_have = 0;
			if (skip)
				continue;
			int rc = xeng_input_frame(e, f, len);
			if (rc < 0)
				return rc;
			continue;
		}
		long k = rx_step(e, p, n);
		if (k < 0) {
			if (k == -EBADMSG)
				log_info("server frame: prefix type 0x%02x is not a session message (0x00) or a "
					 "keepalive (0x85); resetting", e->rx_pfx[0]);
			xeng_fail_all(e, -ECONNRESET);
			return (int)k == -ENOMEM ? -ENOMEM : -EBADMSG;
		}
		p += k;
		n -= (size_t)k;
	}
	return 0;
}
