/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * engine_i.h - the I/O-free SMB2 transport engine (struct xeng), private to src/xport and its tests.
 *
 * The engine turns requests into frame bytes and frame bytes into completed requests. It never blocks,
 * never sleeps, never touches a socket and never calls back into its owner: completed calls are queued
 * on a done list that the owner drains with xeng_take_done() after dropping its own lock, and so are
 * unsolicited messages (xeng_take_unsol()). That is what lets conn.c run every completion with no lock
 * held, and what lets the tests drive it with a scripted server in memory.
 *
 * Thread: an xeng is not thread-safe; conn.c guards it with its state mutex. The pure helpers (xout_*,
 * xframe_*) touch only their arguments and run without any lock.
 *
 * Returns: 0 or a negative errno, as everywhere.
 */
#ifndef SMBFUSE_XPORT_ENGINE_I_H
#define SMBFUSE_XPORT_ENGINE_I_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "smbfuse/cursor.h"
#include "smbfuse/smb2.h"
#include "smbfuse/xport.h"

/* Most messages in one compound we build, and in one frame we accept (responses mirror requests). */
#define XENG_MAX_CHAIN 16
#define XENG_MAX_FRAME_MSGS 64
/* 16 MiB of payload in 64 KiB credits (MS-SMB2 3.1.5.2); a larger charge is a caller bug. */
#define XENG_MAX_CHARGE 256
/* Credits we try to hold (granted + in flight): enough for several 8 MiB I/Os in flight. */
#define XENG_CREDIT_TARGET 512
/* Direct TCP carries a 24-bit length (MS-SMB2 2.1). */
#define XENG_MAX_TCP_LEN 0xFFFFFFu
/*
 * Longest frame before NEGOTIATE has set the limit (conn_set_max_frame): a NEGOTIATE or SESSION_SETUP
 * response is a header, a fixed part, a security buffer of at most 65535 bytes (16-bit length) and, for
 * NEGOTIATE, contexts of a few hundred bytes; twice that is generous.
 */
#define XENG_SETUP_MAX_FRAME (128u * 1024)

/* One message of a call: one entry of the MessageId table while outstanding. */
struct xmsg {
	struct xcall *call;
	uint64_t mid;	   /* first MessageId of this message's range; the table key */
	uint64_t async_id; /* from the STATUS_PENDING interim response, valid if async */
	uint64_t session_id;
	uint32_t tree_id;
	uint16_t charge;     /* MessageIds and credits consumed (>= 1) */
	uint16_t credit_req; /* CreditRequest still unanswered (0 after the first response) */
	uint16_t command;
	bool async;
	bool signed_req;
	bool done;
	/* Result, owned by the xcall until the owner takes it. */
	uint8_t *rsp;
	size_t rsp_len;
	struct smb2_hdr rsp_hdr;
	int err;
};

/*
 * One request chain. The owner allocates and keeps it; the engine references it from a successful
 * xeng_submit() until it is handed back by xeng_take_done() (exactly once), and never frees it.
 */
struct xcall {
	struct xmsg *m;
	int n;
	int remaining; /* messages without a final response */
	unsigned flags;
	bool in_engine;
	struct xcall *done_next;
	void *owner; /* the owner's back pointer */
};

int xcall_init(struct xcall *x, int n);
/* Some message of x is still waiting after a STATUS_PENDING interim response: the server has it in hand. */
bool xcall_pending_async(const struct xcall *x);
/* Free the message array and every result the owner has not taken. */
void xcall_fini(struct xcall *x);

/* ---- Outgoing frames ---- */

/* One iovec to be: a range of the owned buffer, or an external pointer (WRITE data, never copied). */
struct xseg {
	const uint8_t *ext;
	size_t off;
	size_t len;
};

#define XOUT_MAX_SEG (1 + 3 * XENG_MAX_CHAIN)

/*
 * A frame ready to send: 4-byte Direct TCP prefix, then each message as [header+body][data][padding].
 * External segments point into the caller's buffers, which must live until the frame is written.
 */
struct xout {
	struct wbuf buf;
	struct xseg seg[XOUT_MAX_SEG];
	int nseg;
	struct {
		int seg0;
		int nseg;
		size_t hdr_off;
		bool sign;
	} msg[XENG_MAX_CHAIN];
	int nmsg;
	size_t total; /* bytes after the 4-byte prefix */
	struct iovec iov[XOUT_MAX_SEG];
	int iovcnt;
};

/* Segments of o: the owned buffer from off to its end, or n external bytes at p. */
static inline void xout_seg_own(struct xout *o, size_t off)
{
	if (o->buf.len > off)
		o->seg[o->nseg++] = (struct xseg){.off = off, .len = o->buf.len - off};
}

static inline void xout_seg_ext(struct xout *o, const uint8_t *p, size_t n)
{
	if (n)
		o->seg[o->nseg++] = (struct xseg){.ext = p, .len = n};
}

static inline struct iovec seg_iov(const struct xout *o, const struct xseg *s)
{
	const uint8_t *p = s->ext ? s->ext : o->buf.p + s->off;
	return (struct iovec){.iov_base = (void *)p, .iov_len = s->len};
}

void xout_init(struct xout *o);
void xout_free(struct xout *o);
/* Sign every message marked for signing (MS-SMB2 3.1.4.1) over the same segments that are sent. */
int xout_sign(struct xout *o, const struct xport_signer *s);
/* Resolve segments to o->iov / o->iovcnt; valid until o changes. */
void xout_iov(struct xout *o);
/* Copy the whole frame (prefix included) to w, for tests and CONN_F_KEEP_REQ. */
int xout_flatten(struct xout *o, struct wbuf *w);
/* Bytes of message i (header + body + data, without padding) into a new malloc'd buffer. */
int xout_copy_msg(struct xout *o, int i, uint8_t **out, size_t *len);

/* ---- Incoming frames ---- */

/*
 * Check a 4-byte Direct TCP prefix (MS-SMB2 2.1). Returns 0 and the payload length for an SMB frame, 1 and
 * the length of what to skip for a NetBIOS keepalive (0x85, RFC 1002 4.3.7) or an empty session message
 * (length 0, which servers send as a keepalive too), -EBADMSG for any other type, -EMSGSIZE for a frame
 * longer than max (*len is the length claimed, for the log).
 */
int xframe_prefix(const uint8_t p[4], size_t max, size_t *len);
/*
 * Why the first n bytes of a frame payload (n >= 4 to be conclusive) cannot start an SMB2 frame, as a phrase
 * for the log ("ProtocolId fe 53 4d 42 is ..."), or NULL if they can. sealed_ok: 0xFD 'SMB' is acceptable.
 */
const char *xframe_protocol_error(const uint8_t *p, size_t n, bool sealed_ok);

/* One message inside a received frame. */
struct xview {
	size_t off;
	size_t len; /* up to NextCommand, padding included (it is covered by the signature) */
	struct smb2_hdr hdr;
	int sig; /* 0 not checked, 1 verified, -1 verification failed */
};

/*
 * Split a frame payload into messages (MS-SMB2 3.2.5.1.9): every header must decode, carry
 * SERVER_TO_REDIR, and every NextCommand must be 8-aligned, inside the frame and leave room for a header.
 * -EBADMSG otherwise (fatal for the connection).
 */
int xframe_split(const uint8_t *f, size_t n, struct xview *v, int max, int *count);
/* Whether view v needs a signature check (3.2.5.1.3: not unsolicited, not interim, has SIGNED). */
bool xframe_needs_verify(const struct xview *v);
/* Run s->verify on every view that needs it, recording the verdict in v->sig. */
void xframe_verify(const uint8_t *f, struct xview *v, int count, const struct xport_signer *s);

/* ---- The engine ---- */

struct xeng;

struct xeng *xeng_new(void);
/* Frees the engine only: calls still outstanding are failed first and dropped from the done list, so
 * the owner must have drained them (xeng_fail_all + xeng_take_done) if it cares. */
void xeng_free(struct xeng *e);

void xeng_set_multicredit(struct xeng *e, bool on);
/* The longest frame the server may send from now on (after NEGOTIATE: its maxima plus room for headers),
 * kept between XENG_SETUP_MAX_FRAME (the limit until then) and XPORT_MAX_FRAME. */
void xeng_set_max_frame(struct xeng *e, size_t max);
size_t xeng_max_frame(const struct xeng *e);
/* MessageId 0 went out before the engine ran (a multi-protocol SMB1 NEGOTIATE answered in SMB2 with
 * these credits): start at 1. */
void xeng_skip_first(struct xeng *e, uint16_t credits);
void xeng_set_require_signed(struct xeng *e, bool on);
/* Used by xeng_input*() only; conn.c verifies outside its lock with xframe_verify(). */
void xeng_set_signer(struct xeng *e, const struct xport_signer *s);
void xeng_set_transform(struct xeng *e, const struct xport_transform *t);

/*
 * Assign MessageIds and credits to msgs[0..n) and build one frame into out (initialised by the caller).
 * Returns 0 (x is now in the table), -EAGAIN (too few credits now; nothing changed, retry after input),
 * -ENOBUFS (the charge exceeds all credits held and nothing is in flight to bring more), -EPROTO (the
 * server left us no credit at all with nothing in flight: a protocol violation, logged),
 * -EINVAL (bad chain), -EMSGSIZE (frame too long), -ENOMEM, -ENOTCONN (engine dead).
 * Every failure happens before a MessageId is consumed, so the server's window never gets a hole.
 */
int xeng_submit(struct xeng *e, struct xcall *x, const struct conn_msg *msgs, int n, unsigned flags,
		struct xout *out);
/* Build SMB2 CANCEL for every unanswered message of x (MS-SMB2 3.2.4.24). -ENOENT if none is left. */
int xeng_cancel(struct xeng *e, struct xcall *x, struct xout *out);

/*
 * Apply a split, verified frame. *frame is the malloc'd payload; the engine may keep it as the response
 * buffer of a single-message frame and then sets *frame to NULL; otherwise the caller frees it.
 * Returns 0, or a negative errno after which the engine is dead (every call failed, see xeng_fail_all).
 */
int xeng_deliver(struct xeng *e, uint8_t **frame, size_t n, struct xview *v, int count);
/* Split, verify with the engine's signer, deliver. Takes ownership of frame. */
int xeng_input_frame(struct xeng *e, uint8_t *frame, size_t n);
/* Stream input: any byte split; frames are reassembled (capped at XPORT_MAX_FRAME). */
int xeng_input(struct xeng *e, const uint8_t *p, size_t n);

/* Mark the engine dead and complete every outstanding call with err (once each). Idempotent. */
void xeng_fail_all(struct xeng *e, int err);
bool xeng_dead(const struct xeng *e);

/* Take the list of completed calls (linked by done_next, oldest first); the engine forgets them. */
struct xcall *xeng_take_done(struct xeng *e);

/* Unsolicited messages, copied; linked oldest first; free each with free(). */
struct xunsol {
	struct xunsol *next;
	size_t len;
	uint8_t msg[];
};
struct xunsol *xeng_take_unsol(struct xeng *e);

unsigned xeng_credits(const struct xeng *e);
unsigned xeng_inflight(const struct xeng *e); /* outstanding messages, abandoned ones included */
uint64_t xeng_next_mid(const struct xeng *e);

/* Allocation hook for fault-injection tests: every allocation of the engine goes through it. */
extern void *(*xeng_malloc_hook)(size_t n);

#endif
