/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * smb1_session.h - an SMB1 (NT LM 0.12) logon: connection, NEGOTIATE, SESSION_SETUP_ANDX, TREE_CONNECT_ANDX,
 * and calls on the resulting UID and TID (src/session/smb1_session.c).
 *
 * Authentication: extended security (SPNEGO/NTLMSSP through auth_step, MS-SMB 3.2.4.2.4) whenever the server
 * offers it; otherwise the NT LM 0.12 challenge/response with NTLMv2 (MS-CIFS 3.2.4.2.4), or NTLMv1 only when
 * cfg.ntlmv1 (sec=ntlm). Signing (MD5, MS-CIFS 3.1.4.1) when the server requires it or cfg.sign asks.
 * A session does not reconnect itself: a dead connection fails calls with -ENOTCONN, and the SMB1 operations
 * table (src/proto/smb1_ops.c) builds a new session when smb1_sess_alive() turns false.
 * Threads: smb1_sess_call may be called from many threads at once; new and free from one.
 */
#ifndef SMBFUSE_SMB1_SESSION_H
#define SMBFUSE_SMB1_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "smbfuse/session.h"
#include "smbfuse/smb1_xport.h"

struct smb1_sess;

struct smb1_sess_opts {
	bool ntlmv1;	 /* sec=ntlm: NTLMv1, never chosen otherwise */
	bool no_ext_sec; /* do not offer extended security (tests the plain challenge/response) */
	/* Send TREE_CONNECT_ANDX on its own rather than chained to the last SESSION_SETUP_ANDX. */
	bool no_chain;
	/* The server spoke SMB1 to this mount before (a reconnect): a connection reset before the negotiate
	 * reply is then the server going away, not its refusal of SMB1. */
	bool spoke_smb1;
	/* Oplock breaks (smb1_conn_cfg.on_unsolicited: the receive thread, no blocking); NULL: dropped. */
	void (*on_unsolicited)(void *arg, const uint8_t *msg, size_t n);
	void *arg;
};

struct smb1_sess_info {
	uint32_t capabilities; /* the server's SMB1_CAP_* */
	uint32_t max_buffer_size;
	uint16_t max_mpx;
	bool extended_security;
	bool signing;
	bool guest;
	uint16_t uid, tid;
	uint16_t optional_support; /* the tree connect's (SMB1_SHARE_IS_IN_DFS: a DFS share) */
};

int smb1_sess_new(const struct sess_cfg *cfg, const struct smb1_sess_opts *o, struct smb1_sess **out, char *errbuf,
		  size_t errlen);
/* TREE_DISCONNECT and LOGOFF_ANDX (best effort), then close. */
void smb1_sess_free(struct smb1_sess *s);
void smb1_sess_get_info(struct smb1_sess *s, struct smb1_sess_info *out);
/* False once the connection has died (the caller then builds a new session). */
bool smb1_sess_alive(struct smb1_sess *s);
/* SMB1 messages sent on this session's connection so far (a test's count of round trips). */
uint64_t smb1_sess_sent(struct smb1_sess *s);

/*
 * Start a request in w: the header for command with this session's UID and TID, flags for Unicode, NT
 * status codes and long names. Append the command's blocks with the smb1.h encoders, then smb1_sess_call.
 */
void smb1_sess_req_init(struct smb1_sess *s, struct wbuf *w, uint8_t command);
/* The PID every request of this session carries (LOCKING_ANDX ranges must name the same one, MS-CIFS
 * 2.2.4.32.1, or the server takes our own reads and writes for another holder's). */
uint16_t smb1_sess_pid(const struct smb1_sess *s);
/* As smb1_conn_call; *status receives the response's NTSTATUS. */
int smb1_sess_call(struct smb1_sess *s, struct wbuf *w, const uint8_t *data, size_t data_len, uint8_t **rsp,
		   size_t *rsp_len, uint32_t *status);
/* smb1_sess_call in two halves (smb1_conn_submit, smb1_conn_wait), for several requests in flight from one
 * thread. w may be freed once submit returns; every submitted call must be waited for. */
struct smb1_pending;
int smb1_sess_submit(struct smb1_sess *s, struct wbuf *w, const uint8_t *data, size_t data_len,
		     struct smb1_pending **p);
int smb1_sess_wait(struct smb1_sess *s, struct smb1_pending *p, uint8_t **rsp, size_t *rsp_len, uint32_t *status);
/* smb1_conn_submit_cb on this session: done gets the whole response (smb1_rsp_status reads its status). */
int smb1_sess_submit_cb(struct smb1_sess *s, struct wbuf *w, const uint8_t *data, size_t data_len, smb1_done_fn done,
			void *arg);
/* Send a request that has no response (an oplock break acknowledgement, MS-CIFS 2.2.4.32.2). */
int smb1_sess_send(struct smb1_sess *s, struct wbuf *w);
/* The NTSTATUS of a response: a DOS error (the server ignored CAP_STATUS32) reads as STATUS_UNSUCCESSFUL, an
 * undecodable header as STATUS_INVALID_NETWORK_RESPONSE. */
uint32_t smb1_rsp_status(const uint8_t *rsp, size_t n);
/* SMB_COM_ECHO with a few bytes, checked to come back (keepalive, tests). */
int smb1_sess_echo(struct smb1_sess *s);

#endif
