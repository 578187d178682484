/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Trees: TREE_CONNECT (MS-SMB2 3.2.4.2.4) of the session's own share, and further trees on the same session
 * (sess_tree_new), for a mount that uses several shares of one server over one connection.
 *
 * A further tree is a struct sess whose root is the session: every call goes through the root's current
 * link and carries the tree's TreeId from that link's slot. A slot is filled when the tree is first used
 * on a link, so after a reconnect each tree is connected again by its first request on the new
 * connection, without the rebuild having to know which trees still exist. A definite refusal is kept for
 * the link (the next requests fail alike without asking again); anything else is tried again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smbfuse/cancel.h"
#include "smbfuse/err.h"
#include "smbfuse/log.h"
#include "smbfuse/session.h"
#include "smbfuse/smb2.h"

#include "session_i.h"

/* MS-SMB2 3.2.4.1.1: with 3.1.1 a TREE_CONNECT is signed whenever the session has a key, so a man in the
 * middle cannot redirect the tree even where signing is otherwise off. */
static bool tree_connect_signed(const struct link *l)
{
	return l->info.signing || (l->has_key && l->info.dialect == SMB2_DIALECT_311);
}

int sess_tree_connect(struct sess *s, struct link *l, const char *unc, const char *share, bool ipc, bool start_enc,
		      struct tree_slot *out, char *errbuf, size_t errlen)
{
	struct smb2_tree_connect_req req = {.path = unc};
	struct wbuf w;
	struct conn_msg m;
	memset(&m, 0, sizeof(m));
	wbuf_init(&w, 0);
	int rc = smb2_tree_connect_req_encode(&w, &req);
	if (rc == 0) {
		/* TreeId 0: the request names no tree yet (MS-SMB2 2.2.1.2). */
		m.hdr.command = SMB2_TREE_CONNECT;
		m.hdr.session_id = l->session_id;
		m.hdr.credit_charge = 1;
		m.body = w.p;
		m.body_len = w.len;
		rc = conn_call(l->conn, &m, 1, CONN_F_DEADLINE | (tree_connect_signed(l) ? CONN_F_SIGN : 0),
			       s->cfg.connect_timeout_ms, NULL, NULL);
	}
	wbuf_free(&w);
	if (rc < 0) {
		sess_set_err(errbuf, errlen, "tree connect to %s: %s", unc, strerror(-rc));
		return rc;
	}
	struct smb2_tree_connect_rsp rsp;
	uint32_t st = m.rsp_hdr.status;
	if (st == STATUS_BAD_NETWORK_NAME) {
		sess_set_err(errbuf, errlen, "share \"%s\" not found on %s", share, s->cfg.host);
		rc = -ENOENT;
	} else if (st == STATUS_ACCESS_DENIED) {
		sess_set_err(errbuf, errlen, "access to share \"%s\" denied", share);
		rc = -EACCES;
	} else if (st != STATUS_SUCCESS) {
		sess_set_err(errbuf, errlen, "tree connect to %s: %s", unc, ntstatus_name(st));
		rc = ntstatus_to_errno(st) ?: -EPROTO;
	} else if ((rc = smb2_tree_connect_rsp_decode(m.rsp, m.rsp_len, &rsp)) < 0) {
		sess_set_err(errbuf, errlen, "invalid tree connect reply");
	} else if (rsp.share_type != (ipc ? SMB2_SHARE_TYPE_PIPE : SMB2_SHARE_TYPE_DISK)) {
		sess_set_err(errbuf, errlen, "\"%s\" is not a %s share", share, ipc ? "pipe" : "disk");
		rc = -ENOTDIR;
	} else if ((rsp.share_flags & SMB2_SHAREFLAG_ENCRYPT_DATA) && !l->info.encrypted && !start_enc) {
		/* Encryption is switched on for a whole connection before it carries anything; a published one
		 * carries other trees' requests already. */
		sess_set_err(errbuf, errlen, "share \"%s\" requires encryption: mount with seal", share);
		rc = -EPERM;
	} else if ((rsp.share_flags & SMB2_SHAREFLAG_ENCRYPT_DATA) && !l->info.encrypted &&
		   (rc = sess_start_encryption(s, l, "the share requires it", errbuf, errlen)) < 0) {
		/* sess_start_encryption said why */
	} else {
		*out = (struct tree_slot){.state = TREE_UP,
					  .tree_id = m.rsp_hdr.tree_id,
					  .share_flags = rsp.share_flags,
					  .share_caps = rsp.capabilities,
					  .maximal_access = rsp.maximal_access};
	}
	free(m.rsp);
	return rc;
}

/* Refusals that asking again on the same connection would not change. */
static bool definite(int rc)
{
	return rc == -ENOENT || rc == -EACCES || rc == -ENOTDIR || rc == -EPERM;
}

int sess_tree_ready_locked(struct sess *s, struct link *l, struct sess *t, uint32_t *tid, char *errbuf,
			   size_t errlen)
{
	struct tree_slot *ts = &l->trees[t->tree];
	int rc = 0;
	while (ts->state == TREE_CONNECTING && (rc = smb_cancel_wait(&s->cond, &s->lock, NULL)) == 0)
		;
	if (rc < 0)
		return rc;
	if (ts->state == TREE_FAILED) {
		sess_set_err(errbuf, errlen, "share \"%s\": %s", t->cfg.share, strerror(-ts->err));
		return ts->err;
	}
	if (ts->state == TREE_NONE) {
		ts->state = TREE_CONNECTING;
		pthread_mutex_unlock(&s->lock);
		struct tree_slot got = {0};
		char why[256] = "";
		rc = sess_tree_connect(s, l, t->unc, t->cfg.share, t->cfg.ipc, false, &got, why, sizeof(why));
		if (rc < 0)
			log_warn("%s", why);
		else
			log_dbg("tree %s connected (tree id %#x)", t->unc, got.tree_id);
		sess_set_err(errbuf, errlen, "%s", why);
		pthread_mutex_lock(&s->lock);
		if (rc == 0)
			*ts = got;
		else
			*ts = (struct tree_slot){.state = definite(rc) ? TREE_FAILED : TREE_NONE, .err = rc};
		pthread_cond_broadcast(&s->cond);
		if (rc < 0)
			return rc;
	}
	*tid = ts->tree_id;
	return 0;
}

int sess_tree_new(struct sess *s, const char *share, bool ipc, struct sess **out, char *errbuf, size_t errlen)
{
	*out = NULL;
	s = sess_top(s);
	struct sess *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->root = s;
	t->tree = -1;
	t->cfg.ipc = ipc;
	if (!(t->cfg.share = strdup(share)) || asprintf(&t->unc, "\\\\%s\\%s", s->cfg.host, share) < 0) {
		free((char *)t->cfg.share);
		free(t);
		return -ENOMEM;
	}
	pthread_mutex_lock(&s->trees_mu);
	for (int i = 0; i < SESS_MAX_TREES && t->tree < 0; i++)
		if (!s->trees[i])
			s->trees[t->tree = i] = t;
	pthread_mutex_unlock(&s->trees_mu);
	if (t->tree < 0) {
		sess_set_err(errbuf, errlen, "more than %d shares in use on one session to %s", SESS_MAX_TREES,
			     s->cfg.host);
		sess_free(t);
		return -EMFILE;
	}
	/* Connected now, so that a share that refuses us says so here. */
	struct link *l;
	uint32_t tid;
	int rc = sess_link_get(t, &l, NULL, &tid, errbuf, errlen);
	if (rc < 0) {
		sess_free(t);
		return rc;
	}
	sess_link_put(s, l);
	*out = t;
	return 0;
}

void sess_tree_free(struct sess *t)
{
	struct sess *s = t->root;
	if (t->tree >= 0) {
		pthread_mutex_lock(&s->trees_mu);
		s->trees[t->tree] = NULL; /* no hook of t runs after this */
		pthread_mutex_unlock(&s->trees_mu);
		pthread_mutex_lock(&s->lock);
		struct link *l = s->state == SESS_UP ? s->cur : NULL;
		struct tree_slot ts = {0};
		if (l) {
			ts = l->trees[t->tree];
			l->trees[t->tree] = (struct tree_slot){0}; /* the slot's next tree connects afresh */
			l->users++;
		}
		pthread_mutex_unlock(&s->lock);
		if (l && ts.state == TREE_UP && conn_alive(l->conn)) {
			struct wbuf w;
			struct conn_msg m = {0};
			wbuf_init(&w, 0);
			if (smb2_tree_disconnect_req_encode(&w) == 0) {
				m.hdr.command = SMB2_TREE_DISCONNECT;
				m.hdr.session_id = l->session_id;
				m.hdr.tree_id = ts.tree_id;
				m.hdr.credit_charge = 1;
				m.body = w.p;
				m.body_len = w.len;
				if (conn_call(l->conn, &m, 1, CONN_F_DEADLINE | (l->info.signing ? CONN_F_SIGN : 0), 2000,
					      NULL, NULL) == 0)
					free(m.rsp);
			}
			wbuf_free(&w);
		}
		if (l)
			sess_link_put(s, l);
	}
	free((char *)t->cfg.share);
	free(t->unc);
	free(t);
}

unsigned sess_tree_tag(const struct sess *s)
{
	return s->root ? (unsigned)s->tree + 1 : 0;
}

void sess_trees_unsolicited(struct sess *s, const uint8_t *msg, size_t n)
{
	/* A break names a FileId or a lease key, not a tree: each tree's cache takes what is its own. */
	pthread_mutex_lock(&s->trees_mu);
	for (int i = 0; i < SESS_MAX_TREES; i++) {
		struct sess *t = s->trees[i];
		if (t && t->hooks_set && t->hooks.on_unsolicited)
			t->hooks.on_unsolicited(t->hooks.arg, msg, n);
	}
	pthread_mutex_unlock(&s->trees_mu);
}

void sess_trees_rebuilt(struct sess *s, uint64_t gen)
{
	pthread_mutex_lock(&s->trees_mu);
	for (int i = 0; i < SESS_MAX_TREES; i++) {
		struct sess *t = s->trees[i];
		if (t && t->hooks_set && t->hooks.on_rebuilt)
			t->hooks.on_rebuilt(t->hooks.arg, gen);
	}
	pthread_mutex_unlock(&s->trees_mu);
}
