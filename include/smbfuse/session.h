/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * session.h - connection + authenticated session + tree connect, rebuilt after a loss (DESIGN B3); further
 * trees on the same session with sess_tree_new (src/session/trees.c).
 *
 * A struct sess owns one struct conn at a time. sess_call() stamps SessionId/TreeId, signs when the
 * session signs, and sends through the connection. When the connection has died, the next sess_call()
 * reconnects (one thread does it; the others wait for it), renegotiates, re-authenticates and reconnects
 * the tree, then bumps the generation so the proto layer knows its open FileIds are stale and must be
 * reopened (MS-SMB2 3.2.4.1.x: FileIds do not survive a new session without durable handles).
 *
 * Who uses it: the proto layer (src/proto). It knows nothing of files or FUSE.
 * Locking: sess.lock guards the state, the conn pointer and the generation; it is never held across a
 * round trip except by the one thread rebuilding the session, which other callers wait for on a
 * condition variable.
 */
#ifndef SMBFUSE_SESSION_H
#define SMBFUSE_SESSION_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "smbfuse/xport.h"

struct sess_cfg {
	const char *host;
	uint16_t port;
	const char *share;
	const char *user;
	const uint8_t *nt_hash; /* 16 bytes (auth.h ntlm_nt_hash); NULL: the empty password. Kept, never a password */
	const char *domain;
	const char *workstation;
	bool guest;
	bool sign;	      /* sign even when the server does not require it */
	uint16_t min_dialect; /* 0: 0x0202 */
	uint16_t max_dialect; /* 0: 0x0311 */
	int connect_timeout_ms;
	int request_timeout_ms;
	int echo_interval_ms; /* keepalive: 0 means 60 s (mount.cifs echo_interval) */
	bool hard;	      /* wait for an unreachable server instead of failing (mount.cifs hard) */
	bool seal;	      /* encrypt every request (SMB 3.x) even if the server does not require it */
	const char *addr;     /* connect here instead of resolving host (mount.cifs ip=); NULL: host */
	uint32_t rsize, wsize; /* caps on READ/WRITE sizes (mount.cifs rsize=, wsize=); 0: the server's */
	const char *nb_called;	/* NetBIOS session service (conn_cfg): NULL for Direct TCP */
	const char *nb_calling;
	/* Open the first connection with the multi-protocol SMB1 NEGOTIATE (MS-SMB2 3.2.4.2.1) and go on in
	 * SMB2 if the server picks it; if it picks NT LM 0.12, sess_new fails with SESS_E_SMB1. A server that
	 * closes the connection on it is asked again with an SMB2 NEGOTIATE alone. Reconnects never use it. */
	bool multi_protocol;
	bool posix; /* offer the SMB 3.1.1 POSIX extensions (negotiate context) */
	uint16_t ciphers[4]; /* SMB 3.1.1 ciphers to offer in order (nciphers of them); nciphers 0: the default */
	int nciphers;
	bool ipc;   /* share is a named-pipe share (IPC$, for RPC such as share listing), not a disk share */
	bool krb5;  /* Kerberos logon (smb_client_cfg krb5); every SESSION_SETUP acquires the ticket anew */
	const char *krb5_ccache, *krb5_keytab;
};

/* sess_new with multi_protocol: the server speaks SMB1 only (it chose NT LM 0.12); log on with SMB1. */
#define SESS_E_SMB1 (-EPROTOTYPE)

/* What negotiate and tree connect decided; stable for one generation. */
struct sess_info {
	uint16_t dialect;
	uint32_t capabilities; /* server's SMB2_GLOBAL_CAP_* */
	uint32_t max_read, max_write, max_transact;
	bool signing;
	bool encrypted;
	uint16_t sign_algo; /* SMB2_SIGNING_* id (MS-SMB2 2.2.3.1.7) of the negotiated signing, when signing */
	uint16_t cipher;    /* SMB2_ENCRYPTION_* id the negotiate chose (0: none), used when encrypted */
	bool guest;
	uint32_t share_flags;
	uint32_t share_caps;
	uint32_t maximal_access;
	bool posix; /* 3.1.1 with the POSIX extensions: the server answered their negotiate context */
	int request_timeout_ms; /* the deadline of a request (cfg's, or its default) */
	uint64_t reauths;	/* re-authentications in place (an expiring Kerberos logon renewed) */
};

struct sess;

/*
 * Connect, negotiate, authenticate and connect the tree. On failure returns a negative errno and writes a
 * one-line explanation into errbuf (if not NULL); *out is NULL. Strings in cfg are copied.
 */
int sess_new(const struct sess_cfg *cfg, struct sess **out, char *errbuf, size_t errlen);
/* Log off, disconnect the tree, close the connection, free. No sess_call may be in progress. On a tree
 * from sess_tree_new: disconnect that tree only. The trees of a session are freed before it. */
void sess_free(struct sess *s);

/*
 * Another tree on the session of s (same connection, same logon, its own TreeId), for a mount that uses
 * several shares of one server. share (ipc: a pipe share) is connected now; on failure the one-line reason
 * is in errbuf and the error is -ENOENT (no such share), -EACCES (access denied), -ENOTDIR (not a share of
 * that type), -EPERM (it requires encryption the session was not set up with: mount with seal) or the
 * transport's. *out takes every sess_* call: its requests carry its TreeId and sess_get_info gives its
 * share flags, while the connection, generation, reconnects, durable count and re-authentication are the
 * session's. After a reconnect the tree is connected again on the new connection by the first request
 * that uses it; a share that refuses us then fails that request (and the next ones on that connection)
 * with the error above. Up to 32 trees per session (-EMFILE beyond).
 */
int sess_tree_new(struct sess *s, const char *share, bool ipc, struct sess **out, char *errbuf, size_t errlen);
/* A number naming s among the trees of its session: 0 for the session's own, 1 to 32 for sess_tree_new's.
 * A lease break names no tree (MS-SMB2 2.2.23.2) and reaches every tree's on_unsolicited hook; the proto
 * layer puts this number in the lease keys it makes so that each tree takes only its own. */
unsigned sess_tree_tag(const struct sess *s);

/*
 * Send msgs[0..n) (a compound when n > 1) on the current session and tree and wait for every reply.
 * Fills hdr.session_id and hdr.tree_id; signs when the session signs. If the connection is dead it is
 * rebuilt first (once per call). Returns as conn_call(); -ECONNRESET means the request may have reached
 * the server before the connection was lost. *gen, if not NULL, receives the generation used. A non-zero
 * *gen on entry binds the call to that generation (the messages carry FileIds of it): when the session is
 * another one, or must be rebuilt first, nothing is sent and the call returns -ESTALE (*gen: the current).
 */
int sess_call(struct sess *s, struct conn_msg *msgs, int n, uint64_t *gen);
/* A request of generation gen (what: its command, for the log) got no answer within the request timeout:
 * drop that connection, as sess_call does, so that everything in flight on it ends (-ECONNRESET) and the
 * next request reconnects. Nothing when gen is no longer current. */
void sess_drop(struct sess *s, uint64_t gen, const char *what);
/* The proto layer holds one more (delta 1) or one fewer (-1) durable handle: while it holds any, a rebuild
 * keeps the ClientGuid they were opened under (the server reconnects them only under it). */
void sess_hold_durable(struct sess *s, int delta);
/* Current generation: starts at 1 and is bumped on every rebuild. */
uint64_t sess_generation(struct sess *s);
/* A copy of the current session's parameters. */
void sess_get_info(struct sess *s, struct sess_info *out);

/*
 * Hooks for the proto layer's caches. on_unsolicited receives oplock/lease break notifications on the
 * receive thread (conn_cfg.on_unsolicited rules: no blocking, no calls into the session); on_rebuilt runs
 * on the thread that rebuilt the session, after the generation was bumped, with no lock held, and must
 * not block either: every lease and watch of the old session is void. Set once, before any lease exists;
 * messages arriving before that are dropped.
 */
struct sess_hooks {
	void (*on_unsolicited)(void *arg, const uint8_t *msg, size_t n);
	void (*on_rebuilt)(void *arg, uint64_t gen);
	void *arg;
};
void sess_set_hooks(struct sess *s, const struct sess_hooks *h);

/* Re-authentications so far; and, for a caller whose request (sent when the count was seen) met
 * STATUS_NETWORK_SESSION_EXPIRED, renew the logon in place unless that happened since (on failure the
 * session is rebuilt by the next request, which reports why). */
uint64_t sess_reauth_count(struct sess *s);
void sess_renew(struct sess *s, uint64_t seen);

/* Asynchronous submit on the current session (for several READs/WRITEs in flight from one thread); gen
 * as for sess_call. */
int sess_submit(struct sess *s, struct conn_msg *msg, conn_done_fn done, void *arg, uint64_t *gen);
/* sess_submit for a long-lived request (CHANGE_NOTIFY): no deadline; *out gets a reference for
 * sess_cancel, dropped with conn_async_put. */
int sess_submit_long(struct sess *s, struct conn_msg *msg, conn_done_fn done, void *arg, uint64_t *gen,
		     struct conn_async **out);
/* Cancel a request from sess_submit_long if the session it went out on is still the current one. */
void sess_cancel(struct sess *s, struct conn_async *a, uint64_t gen);

/*
 * What a caller does when the connection is dead and rebuilding it fails: one policy for the SMB2 session and
 * the SMB1 link (src/proto/smb1_link.c), in src/session/reconnect.c. soft: the caller gets -EHOSTDOWN (-EACCES
 * for a refused logon), and callers within SESS_RECONNECT_BACKOFF_MS of a failed attempt get it without
 * another attempt. hard (sess_cfg.hard): the caller waits and tries again every SESS_RECONNECT_BACKOFF_MS
 * until the server answers, the request is interrupted or the mount is ending (cancel.h). Each step logs
 * the line the user sees ("connection to ... lost", "reconnect to ... failed", "... is not responding;
 * still trying (hard mount)", "... is responding again", "reconnected to ...").
 * Locking: the owner's lock guards every field; every function is called with it held (_locked).
 */
#define SESS_RECONNECT_BACKOFF_MS 1000

struct sess_outage {
	const char *host, *unc; /* for the log lines; borrowed from the owner, which outlives this */
	bool hard;
	int last_err;	       /* error of the last failed rebuild; 0 when the link is up */
	uint64_t last_fail_ms; /* when it failed, for the backoff */
	bool warned;	       /* "not responding" was logged for the current outage */
	pthread_cond_t cond;   /* a hard wait sleeps on it (lock released); only an interrupt wakes it early */
};

void sess_outage_init(struct sess_outage *o, const char *host, const char *unc, bool hard);
void sess_outage_destroy(struct sess_outage *o);
/* 0 when a rebuild may be tried now; otherwise the last failure's error, while its backoff runs. */
int sess_outage_backoff_locked(const struct sess_outage *o);
/* The current connection was found dead: logged once per outage. */
void sess_outage_lost_locked(struct sess_outage *o);
/* A rebuild failed with rc (why: the builder's one-line reason, or NULL); returns the error for callers. */
int sess_outage_failed_locked(struct sess_outage *o, int rc, const char *why);
/* A rebuild succeeded; gen is the new generation, for the log. */
void sess_outage_over_locked(struct sess_outage *o, uint64_t gen);
/* After a rebuild failed with rc: on a hard mount, wait one interval with lock released and return 0 (try
 * again); otherwise, or when the request is interrupted or the mount ending (cancel.h), return the error to
 * fail the request with (rc, -EINTR or -ESHUTDOWN). */
int sess_outage_wait_locked(struct sess_outage *o, pthread_mutex_t *lock, int rc);

#endif
