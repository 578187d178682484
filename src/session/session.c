/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Session layer: NEGOTIATE (MS-SMB2 3.2.4.2.1), SESSION_SETUP (3.2.4.2.3), TREE_CONNECT (3.2.4.2.4), signing
 * keys (3.2.5.3), and rebuilding all of it after the connection dies.
 *
 * Rebuilding. A connection can die under many threads at once. Each struct link pairs a connection with
 * what was negotiated on it (session id, tree id, keys) and counts the threads using it. The current link is
 * replaced as a whole: one thread (the first to notice) builds a new link with the sess lock released,
 * while the others wait on the condition variable; then the generation is bumped. An old link is freed
 * only when its last user leaves, so a thread still inside conn_call() on a dead connection never touches
 * freed memory. Bumping the generation is how the proto layer learns that its FileIds are gone.
 *
 * What callers do while the server is unreachable (backoff, soft and hard) is reconnect.c's, shared with SMB1.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "smbfuse/cancel.h"
#include "smbfuse/auth.h"
#include "smbfuse/err.h"
#include "smbfuse/log.h"
#include "smbfuse/secret.h"
#include "smbfuse/session.h"
#include "smbfuse/smb1.h"
#include "smbfuse/util.h"

#include "session_i.h"
/* Error text for the one-line mount error; errbuf may be NULL. */
void sess_set_err(char *errbuf, size_t errlen, const char *fmt, ...)
{
	if (!errbuf || !errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(errbuf, errlen, fmt, ap);
	va_end(ap);
}

static int link_sign(void *ctx, const struct iovec *iov, int iovcnt, uint8_t sig[16])
{
	struct link *l = ctx;
	return smb2_sign(l->sign_algo, l->sign_key, iov, iovcnt, sig);
}

static int link_verify(void *ctx, const uint8_t *msg, size_t n)
{
	struct link *l = ctx;
	return smb2_verify(l->sign_algo, l->sign_key, msg, n);
}

static void link_free(struct link *l)
{
	if (!l)
		return;
	if (l->conn)
		conn_free(l->conn);
	secret_free(l); /* wipes the keys */
}

int sess_link_call1(struct link *l, uint16_t cmd, const struct wbuf *body, bool sign, struct conn_msg *m,
		      uint8_t **req_copy, size_t *req_len, int timeout_ms)
{
	memset(m, 0, sizeof(*m));
	m->hdr.command = cmd;
	m->hdr.session_id = l->session_id;
	m->hdr.tree_id = l->tree_id;
	m->hdr.credit_charge = 1;
	m->body = body->p;
	m->body_len = body->len;
	/* Setup stages and echoes keep their deadline after a STATUS_PENDING interim: nothing else would end
	 * the wait of a server that answers PENDING and then nothing (found by fuzz_rx). */
	unsigned flags = CONN_F_DEADLINE | (sign ? CONN_F_SIGN : 0) | (req_copy ? CONN_F_KEEP_REQ : 0);
	return conn_call(l->conn, m, 1, flags, timeout_ms, req_copy, req_len);
}

/* Decide on signing, check the signed final SESSION_SETUP reply, install the signer. */
static int setup_signing(struct sess *s, struct link *l, const struct neg_state *ns, const struct conn_msg *final,
			 char *errbuf, size_t errlen)
{
	bool required = (ns->rsp.security_mode & SMB2_NEGOTIATE_SIGNING_REQUIRED) || s->cfg.sign;
	if (l->info.guest || (s->cfg.guest && (!s->cfg.user || !*s->cfg.user))) {
		if (s->cfg.sign) {
			sess_set_err(errbuf, errlen, "signing was requested but a guest session has no key to sign with");
			return -EACCES;
		}
		return 0;
	}
	/* 3.1.1 servers sign the final SESSION_SETUP reply; checking it proves both sides hold the same key
	 * and that nobody altered the negotiate exchange (the preauth hash is in the key). */
	if ((final->rsp_hdr.flags & SMB2_FLAGS_SIGNED) &&
	    smb2_verify(l->sign_algo, l->sign_key, final->rsp, final->rsp_len) < 0) {
		sess_set_err(errbuf, errlen, "the server's signature on the session setup reply is wrong");
		return -EBADMSG;
	}
	/* The signer goes in whenever there is a key: 3.1.1 signs TREE_CONNECT even when nothing else is. */
	l->signer = (struct xport_signer){.sign = link_sign, .verify = link_verify, .ctx = l};
	conn_set_signer(l->conn, &l->signer);
	l->has_key = true;
	if (required) {
		conn_set_require_signed_rsp(l->conn, true);
		l->info.signing = true;
	}
	return 0;
}

static int link_seal(void *ctx, const struct iovec *iov, int iovcnt, struct wbuf *out)
{
	struct link *l = ctx;
	uint8_t nonce[16] = {0};
	size_t nl = smb2_cipher_nonce_len(l->cipher);
	uint64_t ctr = atomic_fetch_add(&l->nonce_ctr, 1);
	memcpy(nonce, l->nonce_salt, nl - 8);
	put_le64(nonce + nl - 8, ctr);
	return smb2_seal(l->cipher, l->enc_key, nonce, l->session_id, iov, iovcnt, out);
}

static int link_unseal(void *ctx, const uint8_t *in, size_t n, uint8_t **out, size_t *out_len)
{
	struct link *l = ctx;
	uint64_t sid;
	struct wbuf w;
	if (smb2_transform_session_id(in, n, &sid) < 0 || sid != l->session_id)
		return -EBADMSG;
	wbuf_init(&w, XPORT_MAX_FRAME);
	int rc = smb2_unseal(l->cipher, l->dec_key, in, n, &w);
	*out = rc == 0 ? wbuf_steal(&w, out_len) : NULL;
	wbuf_free(&w);
	return rc < 0 ? rc : (*out ? 0 : -ENOMEM);
}

/* Encrypt everything on this link from now on (MS-SMB2 3.2.4.1.8). */
int sess_start_encryption(struct sess *s, struct link *l, const char *why, char *errbuf, size_t errlen)
{
	if (!l->has_key) {
		sess_set_err(errbuf, errlen, "encryption is needed (%s) but a guest session has no key to encrypt with", why);
		return -EACCES;
	}
	if (!l->cipher || !smb2_cipher_nonce_len(l->cipher)) {
		sess_set_err(errbuf, errlen, "encryption is needed (%s) but %s offers no cipher for SMB %s", why, s->cfg.host,
			smb2_dialect_name(l->info.dialect));
		return -EPROTONOSUPPORT;
	}
	if (getrandom(l->nonce_salt, sizeof(l->nonce_salt), 0) != (ssize_t)sizeof(l->nonce_salt))
		return -EIO;
	l->xf = (struct xport_transform){.seal = link_seal, .unseal = link_unseal, .ctx = l};
	conn_set_transform(l->conn, &l->xf);
	l->info.encrypted = true;
	return 0;
}

static int connect_error(struct sess *s, int rc, const char *why, char *errbuf, size_t errlen)
{
	if (why && *why && (rc == -EMSGSIZE || rc == -EPROTO)) {
		/* Connected, but the answer to the negotiate broke the framing: say how, not "cannot connect". */
		sess_set_err(errbuf, errlen, "%s port %u answered the negotiate with a broken frame (%s): not an SMB "
			     "server, or a broken one", s->cfg.host, s->cfg.port, why);
		return rc;
	}
	switch (rc) {
	case -ECONNREFUSED:
		sess_set_err(errbuf, errlen, "connection refused by %s port %u", s->cfg.host, s->cfg.port);
		break;
	case -ETIMEDOUT:
		sess_set_err(errbuf, errlen, "no answer from %s port %u within %d s", s->cfg.host, s->cfg.port,
			s->cfg.connect_timeout_ms / 1000);
		break;
	case -ENOENT:
		sess_set_err(errbuf, errlen, "cannot resolve host name \"%s\"", s->cfg.host);
		break;
	default:
		sess_set_err(errbuf, errlen, "cannot connect to %s port %u: %s", s->cfg.host, s->cfg.port, strerror(-rc));
	}
	return rc;
}

static void sess_unsolicited(void *arg, const uint8_t *msg, size_t n)
{
	struct sess *s = arg;
	if (s->hooks_set && s->hooks.on_unsolicited)
		s->hooks.on_unsolicited(s->hooks.arg, msg, n);
	sess_trees_unsolicited(s, msg, n);
}

void sess_set_hooks(struct sess *s, const struct sess_hooks *h)
{
	s->hooks = *h;
	s->hooks_set = true;
}

/* Build a complete link: connect, negotiate (mp: multi-protocol first), authenticate, sign, connect the tree.
 * *mp_refused: the server closed the connection on the multi-protocol negotiate (or answered garbage). */
static int link_try(struct sess *s, struct link **out, bool mp, bool *mp_refused, char *errbuf, size_t errlen)
{
	*out = NULL;
	struct link *l = secret_alloc(sizeof(*l));
	if (!l)
		return -ENOMEM;
	struct conn_cfg cc = {
		.host = s->cfg.addr ? s->cfg.addr : s->cfg.host,
		.port = s->cfg.port,
		.connect_timeout_ms = s->cfg.connect_timeout_ms,
		.request_timeout_ms = s->cfg.request_timeout_ms,
		.on_unsolicited = sess_unsolicited,
		.arg = s,
		.nb_called = s->cfg.nb_called,
		.nb_calling = s->cfg.nb_calling,
	};
	char why[160] = "";
	cc.why = why;
	cc.why_len = sizeof(why);
	struct neg_state ns;
	struct conn_msg final;
	struct wbuf mpreq;
	bool again = true;
	memset(&ns, 0, sizeof(ns));
	memset(&final, 0, sizeof(final));
	wbuf_init(&mpreq, 0);
	if (mp && smb_mp_negotiate_req_encode(&mpreq) == 0) {
		cc.first_req = mpreq.p;
		cc.first_req_len = mpreq.len;
	}
	int rc = conn_new(&cc, &l->conn);
	wbuf_free(&mpreq);
	*mp_refused = mp && (rc == -ECONNRESET || rc == -EPROTO);
	if (rc < 0) {
		connect_error(s, rc, why, errbuf, errlen);
		goto out;
	}
	if (mp)
		rc = sess_mp_answer(s, l, &ns, &again, errbuf, errlen);
	if (rc == 0 && again)
		rc = sess_negotiate(s, l, &ns, errbuf, errlen);
	long life = 0;
	if (rc == 0)
		rc = sess_session_setup(s, l, &ns, &final, false, &life, errbuf, errlen);
	if (rc == 0)
		sess_link_set_lifetime(l, life);
	if (rc == 0)
		rc = setup_signing(s, l, &ns, &final, errbuf, errlen);
	if (rc == 0 && (s->cfg.seal || l->session_encrypt))
		rc = sess_start_encryption(s, l, s->cfg.seal ? "seal" : "the server requires it", errbuf, errlen);
	struct tree_slot tree = {0};
	if (rc == 0)
		rc = sess_tree_connect(s, l, s->unc, s->cfg.share, s->cfg.ipc, true, &tree, errbuf, errlen);
	if (rc == 0) {
		l->tree_id = tree.tree_id;
		l->info.share_flags = tree.share_flags;
		l->info.share_caps = tree.share_caps;
		l->info.maximal_access = tree.maximal_access;
	}
	/* Connected, then no answer: the serving process may be hung (see rebuild_locked). */
	s->peer_hung = rc == -ETIMEDOUT;
out:
	free(ns.m.rsp);
	free(final.rsp);
	if (rc < 0) {
		link_free(l);
		return rc;
	}
	log_info("connected to %s: SMB %s%s%s%s", s->unc, smb2_dialect_name(l->info.dialect),
		 l->info.encrypted ? ", encrypted" : "", l->info.signing ? ", signed" : "", l->info.guest ? ", guest" : "");
	*out = l;
	return 0;
}

static int link_build(struct sess *s, struct link **out, char *errbuf, size_t errlen)
{
	bool mp_refused = false;
	int rc = link_try(s, out, s->cfg.multi_protocol, &mp_refused, errbuf, errlen);
	if (mp_refused) {
		log_info("%s closed the connection on a multi-protocol negotiate; negotiating SMB2 alone", s->cfg.host);
		rc = link_try(s, out, false, &mp_refused, errbuf, errlen);
	}
	if (rc == 0)
		s->cfg.multi_protocol = false; /* it speaks SMB2: reconnects need not ask again */
	return rc;
}

static char *xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void cfg_free(struct sess_cfg *c)
{
	secret_free((void *)c->nt_hash);
	free((char *)c->host);
	free((char *)c->share);
	free((char *)c->user);
	free((char *)c->domain);
	free((char *)c->workstation);
	free((char *)c->addr);
	free((char *)c->krb5_ccache);
	free((char *)c->krb5_keytab);
	free((char *)c->nb_called);
	free((char *)c->nb_calling);
}

int sess_new(const struct sess_cfg *cfg, struct sess **out, char *errbuf, size_t errlen)
{
	*out = NULL;
	struct sess *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->cfg = *cfg;
	s->cfg.host = xstrdup(cfg->host);
	s->cfg.share = xstrdup(cfg->share);
	s->cfg.user = xstrdup(cfg->user);
	s->cfg.nt_hash = cfg->nt_hash ? secret_memdup(cfg->nt_hash, 16) : NULL;
	s->cfg.domain = xstrdup(cfg->domain);
	s->cfg.workstation = xstrdup(cfg->workstation);
	s->cfg.addr = xstrdup(cfg->addr);
	s->cfg.krb5_ccache = xstrdup(cfg->krb5_ccache);
	s->cfg.krb5_keytab = xstrdup(cfg->krb5_keytab);
	s->cfg.nb_called = xstrdup(cfg->nb_called);
	s->cfg.nb_calling = xstrdup(cfg->nb_calling);
	if (!s->cfg.port)
		s->cfg.port = 445;
	if (s->cfg.connect_timeout_ms <= 0)
		s->cfg.connect_timeout_ms = 10000;
	/* Twice the setup deadline, as smbclient's 20 s: a request that waits longer without even an interim
	 * response (which lifts the deadline) has met a server that is not answering. */
	if (s->cfg.request_timeout_ms <= 0)
		s->cfg.request_timeout_ms = 2 * s->cfg.connect_timeout_ms;
	if (s->cfg.echo_interval_ms <= 0)
		s->cfg.echo_interval_ms = 60000;
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->trees_mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cond, &ca);
	pthread_cond_init(&s->stop_cond, &ca);
	pthread_condattr_destroy(&ca);
	int rc = -ENOMEM;
	if (!s->cfg.host || !s->cfg.share || (cfg->nt_hash && !s->cfg.nt_hash) ||
	    (cfg->krb5_ccache && !s->cfg.krb5_ccache) || (cfg->krb5_keytab && !s->cfg.krb5_keytab) || asprintf(&s->unc, "\\\\%s\\%s", cfg->host, cfg->share) < 0) {
		s->unc = NULL;
		goto fail;
	}
	sess_outage_init(&s->outage, s->cfg.host, s->unc, s->cfg.hard);
	s->has_outage = true;
	if (getrandom(s->client_guid, sizeof(s->client_guid), 0) != (ssize_t)sizeof(s->client_guid)) {
		rc = -EIO;
		goto fail;
	}
	rc = link_build(s, &s->cur, errbuf, errlen);
	if (rc < 0)
		goto fail;
	s->gen = 1;
	s->state = SESS_UP;
	rc = -pthread_create(&s->watchdog, NULL, sess_watchdog_main, s);
	if (rc < 0)
		goto fail;
	s->has_watchdog = true;
	*out = s;
	return 0;
fail:
	sess_free(s);
	return rc;
}

static void link_logoff(struct sess *s, struct link *l)
{
	struct wbuf w;
	struct conn_msg m;
	wbuf_init(&w, 0);
	if (smb2_tree_disconnect_req_encode(&w) == 0 &&
	    sess_link_call1(l, SMB2_TREE_DISCONNECT, &w, l->info.signing, &m, NULL, NULL, 2000) == 0)
		free(m.rsp);
	wbuf_reset(&w);
	if (smb2_logoff_req_encode(&w) == 0 && sess_link_call1(l, SMB2_LOGOFF, &w, l->info.signing, &m, NULL, NULL, 2000) == 0)
		free(m.rsp);
	wbuf_free(&w);
}

void sess_free(struct sess *s)
{
	if (!s)
		return;
	if (s->root) {
		sess_tree_free(s);
		return;
	}
	if (s->has_watchdog) {
		pthread_mutex_lock(&s->lock);
		s->stopping = true;
		pthread_cond_broadcast(&s->stop_cond);
		pthread_mutex_unlock(&s->lock);
		pthread_join(s->watchdog, NULL);
	}
	if (s->cur && conn_alive(s->cur->conn))
		link_logoff(s, s->cur);
	link_free(s->cur);
	cfg_free(&s->cfg);
	free(s->unc);
	pthread_mutex_destroy(&s->lock);
	pthread_mutex_destroy(&s->trees_mu);
	pthread_cond_destroy(&s->cond);
	pthread_cond_destroy(&s->stop_cond);
	if (s->has_outage)
		sess_outage_destroy(&s->outage);
	free(s);
}

/* Drop a link reference; the last user of a retired link frees it. Called with s->lock held. */
void sess_link_put_locked(struct sess *s, struct link *l)
{
	if (--l->users == 0 && l != s->cur)
		link_free(l);
}

static void new_client_guid(struct sess *s)
{
	if (getrandom(s->client_guid, sizeof(s->client_guid), 0) != (ssize_t)sizeof(s->client_guid))
		log_dbg("getrandom failed; keeping the old ClientGuid");
}

/* Replace a dead current link. Called with s->lock held; releases it while building. */
int sess_rebuild_locked(struct sess *s)
{
	int rc = sess_outage_backoff_locked(&s->outage);
	if (rc < 0)
		return rc;
	/* Not when a forgotten session (mark_down) is why: the connection itself is fine. */
	if (s->state == SESS_UP)
		sess_outage_lost_locked(&s->outage);
	s->state = SESS_REBUILDING;
	/*
	 * A new ClientGuid for the new connection, unless durable handles are open. Samba (4.17, multichannel)
	 * hands a connection whose ClientGuid it knows to the smbd process already serving that client; when
	 * that process is the reason we lost the connection (hung, paused), the reconnect would hang on it
	 * too. But a durable handle with a lease reconnects only under the ClientGuid it was opened with
	 * (MS-SMB2 3.3.5.9.12; Samba checks it): so it is kept, until an attempt connects and then gets no
	 * answer (peer_hung): then the same rebuild tries again at once with a new one, giving up on the
	 * handles (they are then reopened by path). Attempts that cannot connect at all (a network cut) keep
	 * it. Only the rebuilder writes it.
	 */
	bool keep = atomic_load(&s->durable) > 0 && !s->peer_hung;
	if (!keep)
		new_client_guid(s);
	/* Likewise PreviousSessionId: Samba then waits for the old process to end the old session, which is
	 * what frees the durable opens for us, but a hung process never answers. */
	s->prev_session_id = keep && s->cur ? s->cur->session_id : 0;
	pthread_mutex_unlock(&s->lock);
	struct link *l = NULL;
	char why[256] = "";
	rc = link_build(s, &l, why, sizeof(why));
	if (rc < 0 && keep && s->peer_hung) {
		/* The process that holds our handles took the connection and hangs: give up on them now. */
		log_warn("reconnect to %s under the same ClientGuid got no answer (%s); trying as a new client, "
			 "open files will be reopened by path", s->unc, why);
		new_client_guid(s);
		s->prev_session_id = 0;
		rc = link_build(s, &l, why, sizeof(why));
	}
	pthread_mutex_lock(&s->lock);
	if (rc < 0) {
		s->state = SESS_DOWN;
		pthread_cond_broadcast(&s->cond);
		return sess_outage_failed_locked(&s->outage, rc, why);
	}
	struct link *old = s->cur;
	l->chan_seq = (uint16_t)s->gen; /* gen starts at 1: the first link sends 0 */
	s->cur = l;
	s->gen++;
	s->state = SESS_UP;
	if (old && old->users == 0)
		link_free(old);
	sess_outage_over_locked(&s->outage, s->gen);
	pthread_cond_broadcast(&s->cond);
	if (s->hooks_set && s->hooks.on_rebuilt) {
		uint64_t gen = s->gen;
		pthread_mutex_unlock(&s->lock);
		s->hooks.on_rebuilt(s->hooks.arg, gen);
		pthread_mutex_lock(&s->lock);
	}
	uint64_t gen = s->gen;
	pthread_mutex_unlock(&s->lock);
	sess_trees_rebuilt(s, gen);
	pthread_mutex_lock(&s->lock);
	return 0;
}

int sess_link_get(struct sess *t, struct link **out, uint64_t *gen, uint32_t *tid, char *errbuf, size_t errlen)
{
	int rc = 0;
	struct sess *s = sess_top(t);
	pthread_mutex_lock(&s->lock);
	for (;;) {
		/* Behind another caller's rebuild (up to a connect timeout): still interruptible. */
		while (s->state == SESS_REBUILDING && (rc = smb_cancel_wait(&s->cond, &s->lock, NULL)) == 0)
			;
		if (rc < 0)
			break;
		if (s->state == SESS_UP && conn_alive(s->cur->conn))
			break;
		rc = sess_rebuild_locked(s);
		if (rc < 0 && (rc = sess_outage_wait_locked(&s->outage, &s->lock, rc)) < 0)
			break;
		rc = 0; /* rebuilt, or waited (hard): look again */
	}
	if (rc == 0) {
		struct link *l = s->cur;
		l->users++;
		*tid = l->tree_id;
		if (gen)
			*gen = s->gen;
		if (t != s && (rc = sess_tree_ready_locked(s, l, t, tid, errbuf, errlen)) < 0)
			sess_link_put_locked(s, l);
		else
			*out = l;
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

void sess_link_put(struct sess *s, struct link *l)
{
	s = sess_top(s);
	pthread_mutex_lock(&s->lock);
	sess_link_put_locked(s, l);
	pthread_mutex_unlock(&s->lock);
}

/* A session the server forgot (expiry, admin action) is rebuilt like a lost connection. */
static bool session_gone(uint32_t status)
{
	return status == STATUS_USER_SESSION_DELETED || status == STATUS_NETWORK_SESSION_EXPIRED ||
	       status == STATUS_NETWORK_NAME_DELETED;
}

/* The session is gone (session_gone): rebuilt by the next request. A tree's NETWORK_NAME_DELETED (its
 * tree disconnected, the session fine) only has that tree connected again on the link. */
static void mark_down(struct sess *t, struct link *l, uint32_t status, uint32_t tid)
{
	struct sess *s = sess_top(t);
	pthread_mutex_lock(&s->lock);
	if (t != s && status == STATUS_NETWORK_NAME_DELETED) {
		if (l->trees[t->tree].state == TREE_UP && l->trees[t->tree].tree_id == tid)
			l->trees[t->tree].state = TREE_NONE;
	} else if (s->cur == l && s->state == SESS_UP) {
		s->state = SESS_DOWN;
	}
	pthread_mutex_unlock(&s->lock);
}

/* What the link puts in every request's header: its session, the tree and (3.x) ChannelSequence. */
static void stamp(const struct link *l, uint32_t tid, struct conn_msg *m)
{
	m->hdr.session_id = l->session_id;
	m->hdr.tree_id = tid;
	m->hdr.status = l->info.dialect >= SMB2_DIALECT_300 ? l->chan_seq : 0;
}

/* The session a generation-bound call (*gen non-zero) was meant for is gone: send nothing. */
static bool stale_gen(struct sess *s, struct link *l, uint64_t want, const uint64_t *gen)
{
	if (!want || !gen || *gen == want)
		return false;
	sess_link_put(s, l);
	return true;
}

int sess_call(struct sess *t, struct conn_msg *msgs, int n, uint64_t *gen)
{
	struct sess *s = sess_top(t);
	uint64_t want = gen ? *gen : 0;
	for (int attempt = 0;; attempt++) {
		struct link *l = NULL;
		uint32_t tid;
		int rc = sess_link_get(t, &l, gen, &tid, NULL, 0);
		if (rc < 0)
			return rc;
		if (stale_gen(s, l, want, gen))
			return -ESTALE;
		for (int i = 0; i < n; i++)
			stamp(l, tid, &msgs[i]);
		uint64_t reauths = sess_reauth_count(s);
		rc = conn_call(l->conn, msgs, n, l->info.signing ? CONN_F_SIGN : 0, s->cfg.request_timeout_ms, NULL,
			       NULL);
		/* No answer in time: later requests on this connection would wait as long, so drop it; the next
		 * one reconnects (soft) and finds out whether the server is back. */
		if (rc == -ETIMEDOUT) {
			log_warn("no reply to %s from %s within %.1f s; dropping the connection",
				 smb2_command_name(msgs[0].hdr.command), s->cfg.host, s->cfg.request_timeout_ms / 1000.0);
			conn_kill(l->conn, -ETIMEDOUT);
		}
		/* An expired logon is renewed on the same connection, keeping locks and handles (watchdog.c). */
		bool renewed = rc == 0 && msgs[0].rsp_hdr.status == STATUS_NETWORK_SESSION_EXPIRED && attempt == 0 &&
			       sess_reauth_expired(s, l, reauths) == 0;
		bool gone = !renewed && rc == 0 && session_gone(msgs[0].rsp_hdr.status);
		if (gone)
			mark_down(t, l, msgs[0].rsp_hdr.status, tid);
		sess_link_put(s, l);
		/* -ENOTCONN: never sent, so resending cannot run anything twice. A forgotten or expired session
		 * likewise never ran the request. Anything else is the caller's to judge. */
		if ((rc == -ENOTCONN || gone || renewed) && attempt == 0) {
			for (int i = 0; i < n; i++) {
				free(msgs[i].rsp);
				msgs[i].rsp = NULL;
			}
			continue;
		}
		return rc;
	}
}

/* One request on the current link without waiting; extra adds CONN_F_* flags (no deadline). */
static int submit_on_link(struct sess *s, struct conn_msg *msg, unsigned extra, conn_done_fn done, void *arg,
			  uint64_t *gen, struct conn_async **out)
{
	struct link *l = NULL;
	uint64_t want = gen ? *gen : 0;
	uint32_t tid;
	int rc = sess_link_get(s, &l, gen, &tid, NULL, 0);
	if (rc < 0)
		return rc;
	if (stale_gen(s, l, want, gen))
		return -ESTALE;
	stamp(l, tid, msg);
	rc = conn_submit(l->conn, msg, (l->info.signing ? CONN_F_SIGN : 0) | extra, done, arg, out);
	sess_link_put(s, l);
	return rc;
}

int sess_submit(struct sess *s, struct conn_msg *msg, conn_done_fn done, void *arg, uint64_t *gen)
{
	return submit_on_link(s, msg, 0, done, arg, gen, NULL);
}

int sess_submit_long(struct sess *s, struct conn_msg *msg, conn_done_fn done, void *arg, uint64_t *gen,
		     struct conn_async **out)
{
	return submit_on_link(s, msg, CONN_F_NO_TIMEOUT, done, arg, gen, out);
}

/* A reference on the current link if gen is still current (link_put it), else NULL. */
static struct link *link_of_gen(struct sess *s, uint64_t gen)
{
	s = sess_top(s);
	pthread_mutex_lock(&s->lock);
	struct link *l = s->state == SESS_UP && s->gen == gen ? s->cur : NULL;
	if (l)
		l->users++;
	pthread_mutex_unlock(&s->lock);
	return l;
}

void sess_cancel(struct sess *s, struct conn_async *a, uint64_t gen)
{
	struct link *l = link_of_gen(s, gen);
	if (!l)
		return;
	conn_cancel(l->conn, a);
	sess_link_put(s, l);
}

void sess_drop(struct sess *s, uint64_t gen, const char *what)
{
	s = sess_top(s);
	struct link *l = link_of_gen(s, gen);
	if (!l)
		return;
	log_warn("no reply to %s from %s within %.1f s; dropping the connection", what, s->cfg.host,
		 s->cfg.request_timeout_ms / 1000.0);
	conn_kill(l->conn, -ETIMEDOUT);
	sess_link_put(s, l);
}

void sess_hold_durable(struct sess *s, int delta)
{
	s = sess_top(s);
	atomic_fetch_add(&s->durable, delta);
}

uint64_t sess_generation(struct sess *s)
{
	s = sess_top(s);
	pthread_mutex_lock(&s->lock);
	uint64_t g = s->gen;
	pthread_mutex_unlock(&s->lock);
	return g;
}

void sess_get_info(struct sess *t, struct sess_info *out)
{
	struct sess *s = sess_top(t);
	pthread_mutex_lock(&s->lock);
	*out = s->cur ? s->cur->info : (struct sess_info){0};
	const struct tree_slot *ts = s->cur && t != s ? &s->cur->trees[t->tree] : NULL;
	if (ts) { /* a tree's own share; all zero until it is connected on this link */
		out->share_flags = ts->share_flags;
		out->share_caps = ts->share_caps;
		out->maximal_access = ts->maximal_access;
	}
	out->reauths = s->reauths;
	out->request_timeout_ms = s->cfg.request_timeout_ms;
	pthread_mutex_unlock(&s->lock);
}
