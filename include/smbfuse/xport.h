/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xport.h - one SMB2 connection: framing, MessageId table, credits, PENDING, compounds, signing hooks.
 *
 * Two parts (DESIGN B3):
 *   - struct xeng (src/xport/engine.c) is I/O-free: requests in -> bytes to send; bytes received in ->
 *     completed requests. It never blocks and never touches a socket, so tests drive it with a scripted
 *     in-memory server (tests/xport/).
 *   - struct conn (src/xport/conn.c, sock.c) owns the TCP socket and one receive thread, and wraps the
 *     engine with locking. Many threads may call conn_call() at once; each waits only for its own replies.
 *
 * Who uses it: the session layer (src/session) only. It knows nothing of FUSE or of files.
 *
 * Threads and locks: conn has one mutex (guards the engine, the credit ledger and the request table) and
 * one send mutex (serialises writes to the socket; taken after the state mutex is released, never held
 * while waiting for a reply). The two are never held together. Completion callbacks (done, on_unsolicited,
 * on_dead) run on the receive thread with no lock held; they must not block, and must not call
 * conn_call(), conn_submit(), conn_cancel() or conn_free(). They may call conn_async_put(), conn_alive()
 * and conn_credits().
 *
 * Rules for callers:
 *   - Any number of threads may use conn_call/conn_submit/conn_cancel/conn_set_* at once.
 *   - conn_free() is called once, by a thread that is not the receive thread, and no call may *start*
 *     on c once conn_free() has started (the session layer must stop new callers first, e.g. by taking
 *     its own reference count to zero). Calls already inside return -ECONNRESET or -ENOTCONN, and
 *     conn_free() waits for them to leave before freeing.
 *   - A dead conn stays dead: conn_call returns -ENOTCONN at once. Reconnecting means a new conn.
 *
 * Errors: 0 means a response arrived (its NTSTATUS is in rsp_hdr.status, not an error here). Negative
 * errno means no response: -ETIMEDOUT (deadline passed; the request is abandoned and a late reply is
 * dropped, after its credits are counted), -ECONNRESET (connection lost after sending, or while sending;
 * the request may or may not have run on the server; also what every outstanding request gets when the
 * server sends something malformed and the connection is reset), -ENOTCONN (the connection was already
 * dead, or died while the request waited for credits; the request was never sent), -EACCES (the response
 * failed signature verification, or was unsigned though require_signed_rsp is on; it is discarded),
 * -ENOBUFS (the request needs more credits than the server has granted and none are in flight to bring
 * more; send smaller I/O), -EPROTO (the server left no credit at all with nothing in flight: logged), -ENOKEY (CONN_F_SIGN without a signer), -EINVAL, -EMSGSIZE, -ENOMEM.
 */
#ifndef SMBFUSE_XPORT_H
#define SMBFUSE_XPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "smbfuse/smb2.h"

/* Hard cap on one frame from the server: 8 MiB max read + headers + slack. Larger frames reset the
 * connection rather than allocating what a hostile server asks for. */
#define XPORT_MAX_FRAME (16u * 1024 * 1024 + 4096)

/*
 * Message signing and verification, installed by the session layer once keys exist (MS-SMB2 3.1.4.1).
 * iov[0] starts with the 64-byte SMB2 header; the signer computes over all of iov with the Signature
 * field treated as zero and writes 16 bytes to sig. verify returns 0 if the message's signature is good.
 * Called with the conn mutex released, possibly from several threads at once: must be thread-safe.
 */
struct xport_signer {
	int (*sign)(void *ctx, const struct iovec *iov, int iovcnt, uint8_t sig[16]);
	int (*verify)(void *ctx, const uint8_t *msg, size_t n);
	void *ctx;
};

/*
 * Encryption (MS-SMB2 3.1.4.3, 3.2.4.1.8), installed by the session layer once it has keys. seal turns the
 * plaintext of a whole frame (iov: every message of a compound, without the 4-byte transport prefix) into a
 * TRANSFORM_HEADER message appended to out; unseal turns one received transform message (in, n bytes)
 * into plaintext in a new malloc'd buffer (*out, *out_len) or fails with -EBADMSG. Thread-safe, like the
 * signer.
 */
struct xport_transform {
	int (*seal)(void *ctx, const struct iovec *iov, int iovcnt, struct wbuf *out);
	int (*unseal)(void *ctx, const uint8_t *in, size_t n, uint8_t **out, size_t *out_len);
	void *ctx;
};

/* One message of a request chain (a chain of 1 is a plain request). */
struct conn_msg {
	/* In. hdr.command, hdr.tree_id, hdr.session_id, hdr.status (ChannelSequence), hdr.credit_charge
	 * (0 means 1; ignored and sent as 0 until conn_set_multicredit(true); more than 256 is -EINVAL) and
	 * hdr.flags (SMB2_FLAGS_RELATED_OPERATIONS for compound members after the first; PRIORITY, DFS and
	 * REPLAY bits pass through, all other bits are the transport's) are the caller's. MessageId,
	 * CreditRequest, NextCommand, AsyncId and the signature are filled in by the transport. */
	struct smb2_hdr hdr;
	const uint8_t *body; /* body after the 64-byte header, not owned */
	size_t body_len;
	const uint8_t *data; /* optional payload appended after body without copying (WRITE data) */
	size_t data_len;
	/* Out: the whole response message (header + body; for a compound member, up to NextCommand,
	 * padding included), malloc'd; the caller frees rsp. Cleared on entry. */
	uint8_t *rsp;
	size_t rsp_len;
	struct smb2_hdr rsp_hdr;
	int err; /* per-message transport result, as the return code convention above */
};

/* Flags for conn_call / conn_submit */
#define CONN_F_SIGN 0x1       /* sign these messages (session-bound requests when signing is on) */
#define CONN_F_NO_TIMEOUT 0x2 /* wait without deadline (CHANGE_NOTIFY); still ends on connection loss */
#define CONN_F_KEEP_REQ 0x4   /* keep a copy of the exact request bytes in req_copy (preauth hash) */
/* The deadline holds even after an interim (STATUS_PENDING) response: for the setup stages and echoes,
 * which no keepalive watches and which a server has no reason to keep waiting. */
#define CONN_F_DEADLINE 0x8

struct conn;

struct conn_cfg {
	const char *host; /* name or address; resolved with getaddrinfo */
	uint16_t port;
	int connect_timeout_ms;
	int request_timeout_ms; /* default deadline for conn_call */
	/* Unsolicited messages (oplock/lease break notifications, MessageId 0xFFFF...FFFF), on the receive
	 * thread with no lock held. msg is valid only during the call. May be NULL. */
	void (*on_unsolicited)(void *arg, const uint8_t *msg, size_t n);
	/* Called once, on the receive thread, when the connection dies (err < 0). May be NULL. */
	void (*on_dead)(void *arg, int err);
	void *arg;
	/* NetBIOS session service (port 139, RFC 1002): if nb_called is not NULL, conn_new opens a NetBIOS
	 * session with these names before any SMB traffic, retrying with "*SMBSERVER" (nbt.h). Only read
	 * during conn_new. */
	const char *nb_called;
	const char *nb_calling;
	/* One exchange on the new connection before SMB2 starts: the multi-protocol SMB1 NEGOTIATE (MS-SMB2
	 * 3.2.4.2.1). If first_req is not NULL, conn_new sends it (a whole message, without the 4-byte prefix)
	 * and waits, within connect_timeout_ms, for one message back, which conn_take_first_reply() hands
	 * over. conn_new fails with the connection's error (-ECONNRESET when the server closes on it). */
	const uint8_t *first_req;
	size_t first_req_len;
	/* If not NULL: when the first exchange fails because the server broke the framing, one line saying
	 * how (the field, its value and the limit), for the mount's error message. */
	char *why;
	size_t why_len;
};

/*
 * Connect (honouring connect_timeout_ms) and start the receive thread. On failure *out is NULL and the
 * return is -ETIMEDOUT, -ECONNREFUSED, -EHOSTUNREACH, -ENOENT (name does not resolve) or another errno.
 * request_timeout_ms also bounds a blocked socket write (a server that stops reading kills the conn).
 */
int conn_new(const struct conn_cfg *cfg, struct conn **out);
/* Close the socket, complete every waiting request with -ECONNRESET (running their done callbacks and
 * on_dead on the receive thread), join the thread, wait for callers still inside, free. See the rules
 * above: no call may start after conn_free() has. */
void conn_free(struct conn *c);

/* The reply to conn_cfg.first_req (malloc'd, the caller frees it), once; NULL without first_req. */
void conn_take_first_reply(struct conn *c, uint8_t **msg, size_t *len);
/* The server answered first_req in SMB2 (MessageId 0, granting credits): SMB2 goes on from MessageId 1.
 * Call before any other request. */
void conn_first_was_smb2(struct conn *c, uint16_t credits);

/*
 * After NEGOTIATE: the longest frame the server may send from now on (its MaxRead/Write/TransactSize plus
 * room for headers and a compound). Until then the limit is what a NEGOTIATE or SESSION_SETUP answer can
 * need (128 KiB); a frame that claims more is refused at its length prefix and the connection dropped.
 */
void conn_set_max_frame(struct conn *c, size_t max);
/* After NEGOTIATE: multi-credit requests (CreditCharge > 1) are legal from SMB 2.1 on. */
void conn_set_multicredit(struct conn *c, bool on);
/* Install or remove (NULL) the signer used for CONN_F_SIGN and for verifying signed responses. */
void conn_set_signer(struct conn *c, const struct xport_signer *s);
/*
 * Encrypt every request from now on (a session or share that requires it, or the seal option): signing is
 * then skipped, since the AEAD authenticates each message, and encrypted responses count as verified.
 * Responses that arrive encrypted are decrypted whether or not requests are. Install before the first
 * request that must be encrypted; it is never removed from a connection.
 */
void conn_set_transform(struct conn *c, const struct xport_transform *t);
/* If true, every response to a signed request must carry a valid signature (server signing required). */
void conn_set_require_signed_rsp(struct conn *c, bool on);

/*
 * Send msgs[0..n) as one compound (n > 1) or a single request, and wait for every response. Waits for
 * credits first (never sends beyond what the server granted). STATUS_PENDING interim responses are
 * absorbed: the wait continues for the final response. Returns 0 if every message got a response
 * (check each msgs[i].rsp_hdr.status), otherwise the first negative msgs[i].err. msgs[i].rsp is set for
 * every message that got a response, even when the call as a whole fails.
 * With CONN_F_KEEP_REQ, *req_copy receives a malloc'd copy of the exact bytes sent for msgs[0] (header +
 * body + data) and *req_copy_len its length; pass NULL otherwise.
 */
/* timeout_ms <= 0 means cfg.request_timeout_ms (itself <= 0: no deadline). At most 16 messages. The
 * deadline covers the wait for credits too. */
int conn_call(struct conn *c, struct conn_msg *msgs, int n, unsigned flags, int timeout_ms, uint8_t **req_copy,
	      size_t *req_copy_len);

/*
 * Asynchronous form for long-lived requests (CHANGE_NOTIFY): done runs on the receive thread, exactly
 * once, with msg (the caller's) filled as conn_call would (msg->err < 0 means no response). There is no
 * deadline. done may run before conn_submit returns. msg must stay valid until done has run; body and
 * data only until conn_submit returns. Returns 0 (done will run) or a negative errno (done will not run).
 * If out is not NULL, *out receives a reference to the request, valid for conn_cancel() until the caller
 * drops it with conn_async_put() (exactly once; allowed inside done, and after conn_free()).
 */
struct conn_async;
typedef void (*conn_done_fn)(void *arg, struct conn_msg *msg);
int conn_submit(struct conn *c, struct conn_msg *msg, unsigned flags, conn_done_fn done, void *arg,
		struct conn_async **out);
/* Send SMB2 CANCEL for a submitted request (MS-SMB2 3.2.4.24); its done callback still runs exactly once,
 * normally with STATUS_CANCELLED. A no-op if the request has already finished or the conn is dead. */
void conn_cancel(struct conn *c, struct conn_async *a);
/* Drop the reference conn_submit gave through *out. */
void conn_async_put(struct conn_async *a);

/* Milliseconds since the last frame arrived (since connect if none has): for keepalive decisions. */
uint64_t conn_idle_ms(struct conn *c);
/* Kill the connection from any thread (no lock held): every waiter fails as on a loss, on_dead runs with
 * err. Used when the server has stopped answering (keepalive). conn_free is still needed afterwards. */
void conn_kill(struct conn *c, int err);

/* True until the connection has died. */
bool conn_alive(struct conn *c);
/* Credits the server has granted and not yet consumed, for tests and statistics. */
unsigned conn_credits(struct conn *c);

/* Bytes this process has sent on its SMB connections so far (every connection of every mount of the
 * process; a daemon serves one mount), prefixes and encryption included: ops->stats' connection.bytes_sent. */
uint64_t xport_bytes_sent(void);

#endif
