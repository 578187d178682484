/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * session_i.h - the SMB2 session's private state, shared by session.c (setup, calls, rebuilding) and
 * negotiate.c (NEGOTIATE and the multi-protocol answer). Locking as described in session.c.
 */
#ifndef SMBFUSE_SESSION_I_H
#define SMBFUSE_SESSION_I_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "smbfuse/auth.h"
#include "smbfuse/session.h"
#include "smbfuse/smb2.h"
#include "smbfuse/xport.h"

#define SESS_MAX_SETUP_ROUNDS 8

/* Trees beyond the first on one session (sess_tree_new): their slots in every link (trees.c). */
#define SESS_MAX_TREES 32

enum tree_state { TREE_NONE, TREE_CONNECTING, TREE_UP, TREE_FAILED };

/* One extra tree on one link: connected on the link when first used on it. Guarded by sess.lock. */
struct tree_slot {
	enum tree_state state;
	int err; /* TREE_FAILED: what the server's refusal maps to (-ENOENT, -EACCES, ...) */
	uint32_t tree_id;
	uint32_t share_flags, share_caps, maximal_access;
};

/* One connection and what was negotiated on it. Immutable once published, except users (sess.lock). In secret
 * memory (secret.h): it holds the signing and encryption keys. */
struct link {
	struct conn *conn;
	struct sess_info info;
	uint64_t session_id;
	uint32_t tree_id;
	enum smb2_sign_algo sign_algo;
	uint8_t sign_key[16];
	struct xport_signer signer;
	bool has_key; /* a signing key exists (not guest or anonymous) */
	/* Encryption (MS-SMB2 3.1.4.3): cipher 0 means the server offered none. */
	uint16_t cipher;
	bool session_encrypt; /* the server set SMB2_SESSION_FLAG_ENCRYPT_DATA */
	uint8_t enc_key[32], dec_key[32];
	uint8_t nonce_salt[8];
	_Atomic uint64_t nonce_ctr; /* nonces are salt || counter: never reused under one key */
	struct xport_transform xf;
	int users; /* threads inside a call on this link; guarded by sess.lock */
	/* ChannelSequence of 3.x requests on this link (MS-SMB2 2.2.1.2, 3.2.4.1.x): the number of rebuilds
	 * before it, so that a request after a reconnect (a replay included) is newer, to the server, than
	 * any sent before the loss. Set before the link is current; immutable after. */
	uint16_t chan_seq;
	/* CLOCK_MONOTONIC ms when the logon ends at the server, and when to re-authenticate before that (0:
	 * never; NTLM). Guarded by sess.lock (re-authentication changes them on the published link). */
	int64_t expires_ms, reauth_at_ms;
	struct tree_slot trees[SESS_MAX_TREES]; /* the extra trees on this link (sess.lock) */
};

enum sess_state { SESS_UP, SESS_DOWN, SESS_REBUILDING };

struct sess {
	/* A tree of another session (sess_tree_new): root is that session, which every call goes through,
	 * and tree the slot in root's links; only cfg.share, cfg.ipc, unc and hooks are its own. NULL: a
	 * session of its own (the root), whose trees[] lists the trees on it. */
	struct sess *root;
	int tree;
	pthread_mutex_t trees_mu; /* root: guards trees[]; never held across a round trip or with lock */
	struct sess *trees[SESS_MAX_TREES];

	struct sess_cfg cfg; /* strings owned, immutable */
	char *unc;	     /* "\\\\host\\share", immutable */
	uint8_t client_guid[16];
	/* SessionId of the link being replaced, sent as PreviousSessionId (MS-SMB2 3.2.4.2.3) so the server
	 * ends the old session and keeps its durable opens for us to reconnect; only the rebuilder writes it. */
	uint64_t prev_session_id;
	_Atomic int durable; /* durable handles open (sess_hold_durable): reconnects keep the ClientGuid */
	bool peer_hung;	     /* the last rebuild connected and then timed out; only the rebuilder uses it */

	pthread_mutex_t lock; /* guards everything below; never held across a round trip */
	pthread_cond_t cond;  /* state left SESS_REBUILDING, or an old link lost its last user */
	pthread_cond_t stop_cond; /* CLOCK_MONOTONIC; sess_free wakes the watchdog */
	enum sess_state state;
	struct link *cur;
	uint64_t gen;
	struct sess_outage outage; /* backoff and hard waits (reconnect.c) */
	bool stopping;		   /* sess_free has started: the watchdog leaves */
	uint64_t reauths;	   /* re-authentications in place (watchdog.c) */
	bool reauth_warned;	   /* said that no newer ticket is in the cache */

	struct sess_hooks hooks; /* set once by sess_set_hooks; read without the lock after hooks_set */
	_Atomic bool hooks_set;

	pthread_t watchdog; /* keepalive thread; see watchdog_main */
	bool has_watchdog;  /* immutable after sess_new */
	bool has_outage;    /* outage initialised; immutable after sess_new */
};

/* The negotiate response with its message, kept while session setup needs the security blob. */
struct neg_state {
	struct conn_msg m;
	struct smb2_negotiate_rsp rsp;
	struct smb2_preauth preauth;
};

/* The session a tree's calls go through. */
static inline struct sess *sess_top(struct sess *s)
{
	return s->root ? s->root : s;
}

/* Error text for the one-line mount error; errbuf may be NULL. */
void sess_set_err(char *errbuf, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* One request on a link during setup (no session yet, or this link's session). */
int sess_link_call1(struct link *l, uint16_t cmd, const struct wbuf *body, bool sign, struct conn_msg *m,
		    uint8_t **req_copy, size_t *req_len, int timeout_ms);

/* setup.c: SESSION_SETUP on l until the session is up; on success the keys are derived and *final holds
 * the last reply (the caller frees final->rsp). errbuf as for sess_new. */
int sess_session_setup(struct sess *s, struct link *l, struct neg_state *ns, struct conn_msg *final, bool reauth,
		       long *lifetime, char *errbuf, size_t errlen);

/* negotiate.c: SMB2 NEGOTIATE on l, or the answer to the multi-protocol one conn_new sent (*again: an SMB2
 * NEGOTIATE must follow). On success the link's sizes, signing and cipher are set and the transport's
 * frame limit raised to what they allow. errbuf names what the server sent when it fails. */
int sess_negotiate(struct sess *s, struct link *l, struct neg_state *ns, char *errbuf, size_t errlen);
int sess_mp_answer(struct sess *s, struct link *l, struct neg_state *ns, bool *again, char *errbuf, size_t errlen);

/* trees.c: TREE_CONNECT of unc (share, for the messages; ipc: a pipe share) on l into *out, starting
 * encryption on l when the share requires it and start_enc (only while l is not yet published). */
int sess_tree_connect(struct sess *s, struct link *l, const char *unc, const char *share, bool ipc, bool start_enc,
		      struct tree_slot *out, char *errbuf, size_t errlen);
/* trees.c: with s->lock held and a reference on l (s the root): make tree t usable on l (connect it
 * there if it is not yet), its id in *tid; errbuf as for sess_new. */
int sess_tree_ready_locked(struct sess *s, struct link *l, struct sess *t, uint32_t *tid, char *errbuf,
			   size_t errlen);
/* trees.c: the hooks of the session and of each of its trees, for an unsolicited message or a rebuild. */
void sess_trees_unsolicited(struct sess *s, const uint8_t *msg, size_t n);
void sess_trees_rebuilt(struct sess *s, uint64_t gen);
/* session.c, for trees.c: a reference on the live current link of s's session (rebuilt if it died) and
 * the TreeId of s on it (a tree: connected there if it is not yet; errbuf says why it failed); and its
 * release. *gen as for sess_call. */
int sess_link_get(struct sess *s, struct link **out, uint64_t *gen, uint32_t *tid, char *errbuf, size_t errlen);
void sess_link_put(struct sess *s, struct link *l);
/* trees.c: sess_free of a tree. */
void sess_tree_free(struct sess *t);
/* session.c, for trees.c: encryption from now on, on a link not yet published. */
int sess_start_encryption(struct sess *s, struct link *l, const char *why, char *errbuf, size_t errlen);

/* session.c, for watchdog.c: called with s->lock held. */
int sess_rebuild_locked(struct sess *s);
void sess_link_put_locked(struct sess *s, struct link *l);

/* watchdog.c: the keepalive thread; a logon's end (auth_lifetime) on a link; re-authentication of l after
 * a request met STATUS_NETWORK_SESSION_EXPIRED, unless the count (sess_reauth_count when it was sent)
 * moved on since: 0 when the request may be sent again. */
void *sess_watchdog_main(void *arg);
void sess_link_set_lifetime(struct link *l, long life_s);
int sess_reauth_expired(struct sess *s, struct link *l, uint64_t seen);

#endif
