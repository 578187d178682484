/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * smb1_xport.h - one SMB1 connection: framing, requests multiplexed by MID, MaxMpxCount, signing with
 * sequence numbers, oplock breaks (src/xport/smb1_conn.c).
 *
 * Why not the SMB2 engine: SMB1 has no credits, no compounds and no async ids, but numbers requests by a
 * 16-bit MID that the client may reuse once answered, bounds them by the server's MaxMpxCount, and signs
 * with a sequence number that both sides count per message (MS-CIFS 3.2.4.1.1). A connection of its own is
 * smaller than generalising engine.c and leaves the SMB2 path untouched.
 *
 * Who uses it: the SMB1 session layer (src/session/smb1_session.c).
 * Threads and locks: mu guards the call list, the MID allocator, the in-flight count and the death state;
 * send_mu serialises writes and the sequence counter, so sequence numbers follow the order of the bytes on
 * the wire. mu may be taken inside send_mu, never the reverse. One receive thread completes calls; the
 * callbacks (on_unsolicited, on_dead) run on it with no lock held and must not call smb1_conn_call.
 * Errors: as xport.h: 0 means a response arrived (its status is in its header); -ETIMEDOUT, -ECONNRESET,
 * -ENOTCONN, -EACCES (bad signature), -EINVAL, -EMSGSIZE, -ENOMEM.
 */
#ifndef SMBFUSE_SMB1_XPORT_H
#define SMBFUSE_SMB1_XPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

struct smb1_conn;

struct smb1_conn_cfg {
	const char *host;
	uint16_t port;
	const char *nb_called; /* NetBIOS session first (nbt.h) when not NULL */
	const char *nb_calling;
	int connect_timeout_ms;
	int request_timeout_ms;
	/* Added to request_timeout_ms for an open, delete or rename, which a server holds silently while another
	 * client's oplock break is answered or times out (SMB1 has no interim responses); 0: none. */
	int break_wait_ms;
	/* Oplock breaks (a LOCKING_ANDX request from the server, MS-CIFS 3.2.5.42); msg valid during the call. */
	void (*on_unsolicited)(void *arg, const uint8_t *msg, size_t n);
	void (*on_dead)(void *arg, int err);
	void *arg;
};

int smb1_conn_new(const struct smb1_conn_cfg *cfg, struct smb1_conn **out);
/* Fails every waiting call with -ECONNRESET, joins the receive thread, frees. No call may start after. */
void smb1_conn_free(struct smb1_conn *c);

/* The server's MaxMpxCount (at least 1). Until set, one request at a time. */
void smb1_conn_set_max_mpx(struct smb1_conn *c, unsigned n);
/* Signing (MS-CIFS 3.2.4.1.1) arrives as a hook, so xport/ does not depend on auth/: sign computes the 8-byte
 * signature of iov (iov[0] starts with the header) for sequence number seq; verify returns 0 for a good one.
 * Called with send_mu or no lock held, from several threads: must be thread-safe. */
struct smb1_signer {
	int (*sign)(void *ctx, uint32_t seq, const struct iovec *iov, int iovcnt, uint8_t sig[8]);
	int (*verify)(void *ctx, uint32_t seq, const uint8_t *msg, size_t n);
	void *ctx;
};
/* Sign every request and verify every response from now on; the next request gets sequence number
 * next_seq (2 after the SESSION_SETUP that established the key). *s is copied; ctx must outlive c. */
void smb1_conn_start_signing(struct smb1_conn *c, const struct smb1_signer *s, uint32_t next_seq);

/*
 * Send req (a whole message from its header; the MID, the SMB_FLAGS2_SMB_SECURITY_SIGNATURE bit and the
 * signature are filled in here, so req is modified) followed by data (may be NULL), and wait for the
 * response with the same MID. *rsp (malloc'd, the caller frees) is the whole response message.
 * timeout_ms <= 0: the configured request timeout.
 */
int smb1_conn_call(struct smb1_conn *c, uint8_t *req, size_t req_len, const uint8_t *data, size_t data_len,
		   int timeout_ms, uint8_t **rsp, size_t *rsp_len);
/*
 * smb1_conn_call in two halves, so that one thread keeps several requests in flight (MS-CIFS 3.2.4.1.2:
 * up to MaxMpxCount): submit sends (waiting for a slot if all are taken) and returns a pending call in *p,
 * or -ENOMEM and no call; wait collects its response or error as smb1_conn_call would, and frees *p. Every
 * submitted call must be waited for: it holds its slot until then. The timeout counts from submit.
 */
struct smb1_pending;
int smb1_conn_submit(struct smb1_conn *c, uint8_t *req, size_t req_len, const uint8_t *data, size_t data_len,
		     int timeout_ms, struct smb1_pending **p);
int smb1_conn_wait(struct smb1_conn *c, struct smb1_pending *p, uint8_t **rsp, size_t *rsp_len);
/*
 * Send without a waiter: done(arg, err, rsp, rsp_len) runs exactly once, on the receive thread (or on the
 * thread that ends the connection), with no lock held, and takes rsp (malloc'd, NULL on error; err as for
 * smb1_conn_wait, -ECONNRESET when the connection ended first). It may run before this returns, so
 * nothing that done frees may be used after the call; req and data may be freed once it returns. Waits for
 * a MaxMpxCount slot up to the request timeout, but the answer has no deadline: a silent server is the
 * keepalive's to drop (smb1_session.h). Returns 0 (done will run), or a negative errno when nothing was
 * sent (done never runs).
 */
typedef void (*smb1_done_fn)(void *arg, int err, uint8_t *rsp, size_t rsp_len);
int smb1_conn_submit_cb(struct smb1_conn *c, uint8_t *req, size_t req_len, const uint8_t *data, size_t data_len,
			smb1_done_fn done, void *arg);
/* Send a request that has no answer (an oplock break acknowledgement); it still takes two signing sequence
 * numbers, as smbd counts them. */
int smb1_conn_send(struct smb1_conn *c, uint8_t *req, size_t req_len);

bool smb1_conn_alive(struct smb1_conn *c);
/* How many SMB1 messages have been written (requests and unsolicited sends), for counting round trips. */
uint64_t smb1_conn_sent(struct smb1_conn *c);
/* Milliseconds since the last frame arrived (or since the connection was made). */
uint64_t smb1_conn_idle_ms(struct smb1_conn *c);
void smb1_conn_kill(struct smb1_conn *c, int err);

#endif
