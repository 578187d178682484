/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SMB1 logon (smb1_session.h): NEGOTIATE "NT LM 0.12" (MS-CIFS 3.2.4.2.2), SESSION_SETUP_ANDX with
 * extended security (MS-SMB 3.2.4.2.4) or the plain challenge/response (MS-CIFS 3.2.4.2.4), signing from
 * the session setup that establishes the key (MS-CIFS 3.2.4.1.1: that request is sequence 0, its response
 * 1, so the next request is 2), TREE_CONNECT_ANDX (MS-CIFS 3.2.4.5).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "smbfuse/auth.h"
#include "smbfuse/err.h"
#include "smbfuse/log.h"
#include "smbfuse/secret.h"
#include "smbfuse/smb1.h"
#include "smbfuse/smb1_session.h"
#include "smbfuse/smb1_xport.h"
#include "session_i.h"

#define SMB1_MAX_SETUP_ROUNDS 8
#define SMB1_MAX_MPX 50 /* Samba and Windows offer 50; more is never needed */
#define SMB1_CLIENT_BUFFER 0xFFFF
#define SMB1_CLIENT_CAPS                                                                                               \
	(SMB1_CAP_UNICODE | SMB1_CAP_LARGE_FILES | SMB1_CAP_NT_SMBS | SMB1_CAP_STATUS32 | SMB1_CAP_LEVEL_II_OPLOCKS |  \
	 SMB1_CAP_NT_FIND | SMB1_CAP_LARGE_READX | SMB1_CAP_LARGE_WRITEX)
#define SMB1_NEEDED_CAPS (SMB1_CAP_UNICODE | SMB1_CAP_NT_SMBS | SMB1_CAP_STATUS32)

/* In secret memory (secret.h): mac_key is the signing key. */
struct smb1_sess {
	struct sess_cfg cfg; /* strings and hash borrowed during smb1_sess_new only */
	uint8_t *final_rsp;  /* the successful SESSION_SETUP response, until its signature is checked */
	size_t final_rsp_len;
	char *host;
	struct smb1_sess_opts opts;
	struct smb1_conn *conn;
	struct smb1_sess_info info;
	uint8_t mac_key[16 + 512];
	size_t mac_key_len;
	uint8_t challenge[8];
	uint8_t domain16[256];
	size_t domain16_len;
	uint16_t pid;
	/* TREE_CONNECT_ANDX chained to the session setup legs that follow the server's challenge (MS-CIFS
	 * 2.2.4.53: SESSION_SETUP_ANDX may be followed by TREE_CONNECT_ANDX), saving the round trip of a separate
	 * tree connect. tc_state and tc_status say how the chained one went (SMB1_CHAIN_*). */
	char *tcon_path;
	bool chain;
	bool chain_refused; /* the server failed the chained request as such: log on again without chaining */
	int tc_state;
	uint32_t tc_status;
	struct smb1_tree_connect_rsp tc;
	uint16_t tc_tid;
	/* The keepalive (watchdog_main); wd_mu guards wd_stop. */
	pthread_t wd;
	bool has_wd;
	bool wd_stop;
	pthread_mutex_t wd_mu;
	pthread_cond_t wd_cv; /* CLOCK_MONOTONIC; smb1_sess_free wakes the watchdog */
};

/*
 * The statuses with which a server refuses an AndX chain it does not implement: STATUS_NOT_SUPPORTED, or a DOS
 * error that is not a file error (smb1_sess_call maps those to STATUS_UNSUCCESSFUL), such as ERRSRV/ERRerror.
 * Samba and Windows accept this chain (Windows NT clients sent it); the refusal path is for minimal embedded
 * SMB1 servers (NAS and printer firmware) that parse only the first command. No such server was available: the
 * integration test puts a proxy that answers the chain with either error (tests/integration/smb1_chain_proxy.py)
 * before smbd.
 */
static bool chain_refusal(uint32_t st)
{
	return st == 0xC00000BBu /* STATUS_NOT_SUPPORTED */ || st == 0xC0000001u /* STATUS_UNSUCCESSFUL */;
}

static uint16_t req_flags2(const struct smb1_sess *s)
{
	return SMB1_FLAGS2_LONG_NAMES | SMB1_FLAGS2_IS_LONG_NAME | SMB1_FLAGS2_NT_STATUS | SMB1_FLAGS2_UNICODE |
	       (s->info.extended_security || !s->opts.no_ext_sec ? SMB1_FLAGS2_EXTENDED_SECURITY : 0);
}

void smb1_sess_req_init(struct smb1_sess *s, struct wbuf *w, uint8_t command)
{
	struct smb1_hdr h = {.command = command,
			     .flags = SMB1_FLAGS_CASE_INSENSITIVE | SMB1_FLAGS_CANONICALIZED_PATHS,
			     .flags2 = req_flags2(s),
			     .tid = s->info.tid,
			     .uid = s->info.uid,
			     .pid_low = s->pid};
	wbuf_init(w, 0);
	smb1_hdr_encode(w, &h);
}

uint16_t smb1_sess_pid(const struct smb1_sess *s)
{
	return s->pid;
}

int smb1_sess_submit(struct smb1_sess *s, struct wbuf *w, const uint8_t *data, size_t data_len, struct smb1_pending **p)
{
	*p = NULL;
	int rc = wbuf_err(w);
	return rc ? rc : smb1_conn_submit(s->conn, w->p, w->len, data, data_len, 0, p);
}

uint32_t smb1_rsp_status(const uint8_t *rsp, size_t n)
{
	struct smb1_hdr h;
	if (smb1_hdr_decode(rsp, n, &h) < 0)
		return 0xC00000C3u; /* STATUS_INVALID_NETWORK_RESPONSE */
	/* Without NT status codes the server has not honoured CAP_STATUS32 for this answer (some do so for a
	 * few commands): a missing file must still read as ENOENT, not EIO, or nothing could be created. */
	if (!(h.flags2 & SMB1_FLAGS2_NT_STATUS) && h.status)
		return smb1_dos_status(h.status);
	return h.status;
}

int smb1_sess_wait(struct smb1_sess *s, struct smb1_pending *p, uint8_t **rsp, size_t *rsp_len, uint32_t *status)
{
	*status = 0;
	int rc = smb1_conn_wait(s->conn, p, rsp, rsp_len);
	if (rc == 0)
		*status = smb1_rsp_status(*rsp, *rsp_len);
	return rc;
}

int smb1_sess_call(struct smb1_sess *s, struct wbuf *w, const uint8_t *data, size_t data_len, uint8_t **rsp,
		   size_t *rsp_len, uint32_t *status)
{
	*status = 0;
	int rc = wbuf_err(w);
	if (rc == 0)
		rc = smb1_conn_call(s->conn, w->p, w->len, data, data_len, 0, rsp, rsp_len);
	if (rc == 0)
		*status = smb1_rsp_status(*rsp, *rsp_len);
	return rc;
}

int smb1_sess_submit_cb(struct smb1_sess *s, struct wbuf *w, const uint8_t *data, size_t data_len, smb1_done_fn done,
			void *arg)
{
	int rc = wbuf_err(w);
	return rc ? rc : smb1_conn_submit_cb(s->conn, w->p, w->len, data, data_len, done, arg);
}

int smb1_sess_send(struct smb1_sess *s, struct wbuf *w)
{
	int rc = wbuf_err(w);
	return rc ? rc : smb1_conn_send(s->conn, w->p, w->len);
}

/* ---- negotiate ---- */

static int check_negotiate(struct smb1_sess *s, const struct smb1_negotiate_rsp *r, char *errbuf, size_t errlen)
{
	if (r->dialect_index != 0) {
		sess_set_err(errbuf, errlen,
			     "%s refused SMB1 (NT LM 0.12): the server speaks only SMB2 or later; "
			     "mount without vers=1.0",
			     s->host);
		return -EPROTONOSUPPORT;
	}
	if ((r->capabilities & SMB1_NEEDED_CAPS) != SMB1_NEEDED_CAPS) {
		sess_set_err(errbuf, errlen, "%s speaks SMB1 without Unicode, NT commands or NT status codes", s->host);
		return -EPROTONOSUPPORT;
	}
	if (!(r->security_mode & SMB1_NEG_USER_SECURITY) || !(r->security_mode & SMB1_NEG_ENCRYPT_PASSWORDS)) {
		sess_set_err(errbuf, errlen, "%s wants share-level or plain-text passwords, which smbfuse refuses",
			     s->host);
		return -EPROTONOSUPPORT;
	}
	if (!r->extended_security && r->challenge_len != 8) {
		sess_set_err(errbuf, errlen, "%s sent no 8-byte challenge", s->host);
		return -EPROTO;
	}
	return 0;
}

static int do_negotiate(struct smb1_sess *s, uint8_t **rsp, size_t *rsp_len, struct smb1_negotiate_rsp *r, char *errbuf,
			size_t errlen)
{
	/* NT LM 0.12 alone: the default's multi-protocol negotiate (session.c) has already found an SMB1-only
	 * server, and vers=1.0 asks for SMB1 whatever else the server speaks. */
	static const char *const dialects[] = {SMB1_DIALECT_NT_LM};
	struct wbuf w;
	uint32_t st;
	smb1_sess_req_init(s, &w, SMB1_COM_NEGOTIATE);
	smb1_negotiate_req_encode(&w, dialects, 1);
	int rc = smb1_sess_call(s, &w, NULL, 0, rsp, rsp_len, &st);
	wbuf_free(&w);
	if (rc == 0 && smb_proto_version(*rsp, *rsp_len) == 2)
		rc = -EPROTONOSUPPORT;
	else if (rc == 0)
		rc = smb1_negotiate_rsp_decode(*rsp, *rsp_len, r);
	/* Samba without SMB1 drops the connection at an SMB1 negotiate; one that spoke it before went away. */
	if ((rc == -ECONNRESET && !s->opts.spoke_smb1) || rc == -EPROTONOSUPPORT) {
		sess_set_err(errbuf, errlen,
			     "%s refused SMB1 (NT LM 0.12): the server speaks only SMB2 or later; "
			     "mount without vers=1.0",
			     s->host);
		return -EPROTONOSUPPORT;
	}
	if (rc < 0) {
		sess_set_err(errbuf, errlen, "no SMB1 negotiate reply from %s: %s", s->host, strerror(-rc));
		return rc;
	}
	rc = check_negotiate(s, r, errbuf, errlen);
	if (rc)
		return rc;
	s->info.capabilities = r->capabilities;
	s->info.max_buffer_size = r->max_buffer_size;
	s->info.max_mpx = r->max_mpx_count ? r->max_mpx_count : 1;
	s->info.extended_security = r->extended_security;
	s->info.signing = (r->security_mode & SMB1_NEG_SIGNATURES_REQUIRED) || s->cfg.sign;
	if (s->cfg.sign && !(r->security_mode & SMB1_NEG_SIGNATURES_ENABLED)) {
		sess_set_err(errbuf, errlen, "signing was asked for, but %s does not sign", s->host);
		return -EPROTONOSUPPORT;
	}
	if (!r->extended_security) {
		memcpy(s->challenge, r->challenge, 8);
		s->domain16_len = r->domain_name_len < sizeof(s->domain16) ? r->domain_name_len : 0;
		memcpy(s->domain16, r->domain_name, s->domain16_len);
	}
	smb1_conn_set_max_mpx(s->conn, s->info.max_mpx < SMB1_MAX_MPX ? s->info.max_mpx : SMB1_MAX_MPX);
	return 0;
}

/* ---- session setup ---- */

static int setup_error(struct smb1_sess *s, uint32_t st, char *errbuf, size_t errlen)
{
	if (st == STATUS_LOGON_FAILURE) {
		sess_set_err(errbuf, errlen, "logon failure: wrong user name or password for %s",
			     s->cfg.user ? s->cfg.user : "");
		return -EACCES;
	}
	sess_set_err(errbuf, errlen, "session setup failed: %s", ntstatus_name(st));
	int e = ntstatus_to_errno(st);
	return e ? e : -EPROTO;
}

/*
 * Read the chained tree connect's outcome from a session setup response. A tree connect that failed leaves
 * the status to the caller only when it was the session setup's: *st becomes STATUS_SUCCESS when the session
 * setup succeeded and only the tree connect failed (kept in tc_status for do_tree_connect).
 */
static void chain_result(struct smb1_sess *s, const uint8_t *rsp, size_t rlen, uint32_t *st)
{
	struct smb1_sess_setup_rsp ss;
	struct smb1_hdr h;
	int rc = smb1_sess_setup_tcon_rsp_decode(rsp, rlen, &ss, &s->tc, &s->tc_state);
	if (rc == -EPROTO && chain_refusal(*st))
		s->chain_refused = true;
	if (rc < 0 || smb1_hdr_decode(rsp, rlen, &h) < 0) {
		s->tc_state = SMB1_CHAIN_NOT_RUN;
		return;
	}
	if (s->tc_state == SMB1_CHAIN_DONE) {
		s->tc_tid = h.tid;
	} else if (s->tc_state == SMB1_CHAIN_FAILED) {
		s->tc_status = *st;
		*st = STATUS_SUCCESS;
	}
}

/* One SESSION_SETUP_ANDX, with TREE_CONNECT_ANDX chained if asked; the UID the server assigns arrives in the
 * first response's header. */
static int setup_round(struct smb1_sess *s, const struct smb1_sess_setup_req *in, bool chain, uint8_t **rsp,
		       size_t *rsp_len, uint32_t *st)
{
	struct wbuf w;
	smb1_sess_req_init(s, &w, SMB1_COM_SESSION_SETUP_ANDX);
	int rc = smb1_sess_setup_req_encode(&w, in);
	/* Not on a signed session: the server starts signing with the response to this request (MS-CIFS
	 * 3.3.5.3), after it ran the chained tree connect, and smbd then counts that tree as unsigned (smbstatus
	 * shows the session as "partial(HMAC-MD5)"). The round trip is saved only where nothing is signed. */
	chain = chain && s->chain && !s->info.signing;
	if (rc == 0 && chain)
		rc = smb1_andx_link(&w, SMB1_HDR_SIZE, SMB1_COM_TREE_CONNECT_ANDX);
	if (rc == 0 && chain)
		rc = smb1_tree_connect_req_encode(&w, SMB1_TREE_CONNECT_EXTENDED_RESPONSE, s->tcon_path);
	if (rc == 0)
		rc = smb1_sess_call(s, &w, NULL, 0, rsp, rsp_len, st);
	wbuf_free(&w);
	struct smb1_hdr h;
	if (rc == 0 && smb1_hdr_decode(*rsp, *rsp_len, &h) == 0 && h.uid)
		s->info.uid = h.uid;
	if (rc == 0 && chain)
		chain_result(s, *rsp, *rsp_len, st);
	return rc;
}

static void setup_base(struct smb1_sess_setup_req *in)
{
	memset(in, 0, sizeof(*in));
	in->max_buffer_size = SMB1_CLIENT_BUFFER;
	in->max_mpx_count = SMB1_MAX_MPX;
	in->capabilities = SMB1_CLIENT_CAPS;
}

static int setup_extended(struct smb1_sess *s, const struct smb1_negotiate_rsp *neg, const struct auth_creds *cr,
			  char *errbuf, size_t errlen)
{
	struct auth_ctx *a = NULL;
	struct wbuf out;
	struct smb1_sess_setup_req in;
	wbuf_init(&out, 0);
	int rc = auth_new(cr, &a);
	if (rc == 0)
		rc = auth_step(a, neg->security_blob, neg->security_blob_len, &out);
	for (int round = 0; rc >= 0 && round < SMB1_MAX_SETUP_ROUNDS; round++) {
		int more = rc;
		uint8_t *rsp = NULL;
		size_t rlen = 0;
		uint32_t st = 0;
		struct smb1_sess_setup_rsp r;
		setup_base(&in);
		in.capabilities |= SMB1_CAP_EXTENDED_SECURITY;
		in.blob = out.p ? out.p : (const uint8_t *)"";
		in.blob_len = out.len;
		/* The legs after the server's challenge may be the last: chain the tree connect to them. */
		rc = setup_round(s, &in, round > 0, &rsp, &rlen, &st);
		if (rc == 0 && st != STATUS_SUCCESS && (st != STATUS_MORE_PROCESSING_REQUIRED || !more))
			rc = setup_error(s, st, errbuf, errlen);
		else if (rc < 0)
			sess_set_err(errbuf, errlen, "session setup: %s", strerror(-rc));
		if (rc == 0 && (rc = smb1_sess_setup_rsp_decode(rsp, rlen, &r)) == 0) {
			s->info.guest = r.action & 1;
			wbuf_reset(&out);
			rc = auth_step(a, r.blob, r.blob_len, &out);
			if (rc < 0)
				sess_set_err(errbuf, errlen, "authentication failed: %s", strerror(-rc));
		}
		if (rc >= 0 && st == STATUS_SUCCESS) {
			s->final_rsp = rsp;
			s->final_rsp_len = rlen;
			rc = rc == 0 ? 0 : -EPROTO;
			break;
		}
		free(rsp);
		if (rc >= 0)
			rc = more ? 1 : -EPROTO;
	}
	if (rc > 0)
		rc = -EPROTO;
	/* SMB1 signs with the whole key (MS-SMB 3.2.5.3): Kerberos' may be 32 bytes. */
	size_t klen = 0;
	if (rc == 0 && !cr->anonymous && !s->info.guest && auth_session_key_full(a, s->mac_key, 32, &klen) == 0)
		s->mac_key_len = klen;
	auth_free(a);
	wbuf_free(&out);
	return rc;
}

static int setup_plain(struct smb1_sess *s, const struct auth_creds *cr, char *errbuf, size_t errlen)
{
	struct smb1_plain_auth pa;
	struct smb1_sess_setup_req in;
	uint8_t *rsp = NULL;
	size_t rlen = 0;
	uint32_t st = 0;
	int rc = smb1_plain_auth(cr, s->opts.ntlmv1, s->challenge, s->domain16, s->domain16_len, &pa);
	if (rc < 0) {
		sess_set_err(errbuf, errlen, "cannot compute the %s response: %s", s->opts.ntlmv1 ? "NTLMv1" : "NTLMv2",
			     strerror(-rc));
		return rc;
	}
	setup_base(&in);
	in.oem_password = pa.lm;
	in.oem_password_len = sizeof(pa.lm);
	in.unicode_password = pa.nt;
	in.unicode_password_len = pa.nt_len;
	in.account = cr->user;
	in.domain = cr->domain;
	rc = setup_round(s, &in, true, &rsp, &rlen, &st);
	if (rc == 0 && st != STATUS_SUCCESS)
		rc = setup_error(s, st, errbuf, errlen);
	else if (rc < 0)
		sess_set_err(errbuf, errlen, "session setup: %s", strerror(-rc));
	struct smb1_sess_setup_rsp r;
	if (rc == 0 && (rc = smb1_sess_setup_rsp_decode(rsp, rlen, &r)) == 0)
		s->info.guest = r.action & 1;
	if (rc == 0) {
		memcpy(s->mac_key, pa.mac_key, pa.mac_key_len);
		s->mac_key_len = pa.mac_key_len;
		s->final_rsp = rsp;
		s->final_rsp_len = rlen;
	} else {
		free(rsp);
	}
	OPENSSL_cleanse(&pa, sizeof(pa));
	return rc;
}

static int sign_hook(void *ctx, uint32_t seq, const struct iovec *iov, int iovcnt, uint8_t sig[8])
{
	struct smb1_sess *s = ctx;
	return smb1_sign(s->mac_key, s->mac_key_len, seq, iov, iovcnt, sig);
}

static int verify_hook(void *ctx, uint32_t seq, const uint8_t *msg, size_t n)
{
	struct smb1_sess *s = ctx;
	return smb1_verify(s->mac_key, s->mac_key_len, seq, msg, n);
}

static int start_signing(struct smb1_sess *s, const struct smb1_negotiate_rsp *neg, char *errbuf, size_t errlen);

static int do_session_setup(struct smb1_sess *s, const struct smb1_negotiate_rsp *neg, char *errbuf, size_t errlen)
{
	struct auth_creds cr = {.user = s->cfg.user,
				.nt_hash = s->cfg.nt_hash,
				.domain = s->cfg.domain,
				.workstation = s->cfg.workstation,
				.anonymous = s->cfg.guest && (!s->cfg.user || !*s->cfg.user),
				.target_host = s->cfg.host,
				.mech = s->cfg.krb5 ? AUTH_MECH_KRB5 : AUTH_MECH_NTLMSSP,
				.krb5_ccache = s->cfg.krb5_ccache,
				.krb5_keytab = s->cfg.krb5_keytab};
	/* The mechanism's own reason (no ticket, clock skew...) beats the errno's text. */
	char why[512] = "";
	cr.errbuf = why;
	cr.errlen = sizeof(why);
	if (s->cfg.krb5 && !neg->extended_security) {
		sess_set_err(errbuf, errlen, "sec=krb5 needs extended security (SPNEGO), which %s does not offer",
			     s->host);
		return -EPROTONOSUPPORT;
	}
	if (s->opts.ntlmv1 && neg->extended_security) {
		sess_set_err(errbuf, errlen, "sec=ntlm needs a server without extended security");
		return -EPROTONOSUPPORT;
	}
	int rc =
	    neg->extended_security ? setup_extended(s, neg, &cr, errbuf, errlen) : setup_plain(s, &cr, errbuf, errlen);
	if (rc < 0 && why[0])
		sess_set_err(errbuf, errlen, "%s", why);
	if (rc == 0)
		rc = start_signing(s, neg, errbuf, errlen);
	free(s->final_rsp);
	s->final_rsp = NULL;
	return rc;
}

static int start_signing(struct smb1_sess *s, const struct smb1_negotiate_rsp *neg, char *errbuf, size_t errlen)
{
	if (s->info.signing && !s->mac_key_len) {
		sess_set_err(errbuf, errlen, "signing is required, but a guest or anonymous logon has no key");
		return -EACCES;
	}
	/* The response that completes the logon is the first signed message, sequence 1 (MS-CIFS 3.2.5.3). A
	 * server that leaves it unsigned has not started signing, and going on would accept forged answers.
	 * smbd does this after a logon outside SPNEGO, for which it derives no signing key. */
	if (s->info.signing && smb1_verify(s->mac_key, s->mac_key_len, 1, s->final_rsp, s->final_rsp_len) < 0) {
		sess_set_err(errbuf, errlen, "%s did not sign its logon response%s; signing cannot be established",
			     s->host, neg->extended_security ? "" : " (to a logon without extended security)");
		return -EACCES;
	}
	if (s->info.signing) {
		struct smb1_signer sg = {.sign = sign_hook, .verify = verify_hook, .ctx = s};
		smb1_conn_start_signing(s->conn, &sg, 2);
	}
	return 0;
}

/* ---- tree connect ---- */

static int tcon_error(struct smb1_sess *s, uint32_t st, char *errbuf, size_t errlen)
{
	int rc = ntstatus_to_errno(st);
	if (st == 0xC00000CCu)
		sess_set_err(errbuf, errlen, "share \"%s\" not found", s->cfg.share);
	else
		sess_set_err(errbuf, errlen, "tree connect to \"%s\": %s", s->cfg.share, ntstatus_name(st));
	return rc ? rc : -EIO;
}

static int tcon_done(struct smb1_sess *s, const struct smb1_tree_connect_rsp *t, uint16_t tid, char *errbuf,
		     size_t errlen)
{
	s->info.tid = tid;
	s->info.optional_support = t->optional_support;
	if (t->is_disk == s->cfg.ipc) {
		sess_set_err(errbuf, errlen, "\"%s\" is not a %s share", s->cfg.share, s->cfg.ipc ? "pipe" : "disk");
		return -ENOTDIR;
	}
	return 0;
}

/* Finish the tree connect chained to the logon, or send it on its own when it was not chained, not run, or
 * refused as part of a chain. */
static int do_tree_connect(struct smb1_sess *s, char *errbuf, size_t errlen)
{
	struct wbuf w;
	uint8_t *rsp = NULL;
	size_t rlen = 0;
	uint32_t st = 0;
	if (s->tc_state == SMB1_CHAIN_DONE)
		return tcon_done(s, &s->tc, s->tc_tid, errbuf, errlen);
	if (s->tc_state == SMB1_CHAIN_FAILED && !chain_refusal(s->tc_status))
		return tcon_error(s, s->tc_status, errbuf, errlen);
	smb1_sess_req_init(s, &w, SMB1_COM_TREE_CONNECT_ANDX);
	smb1_tree_connect_req_encode(&w, SMB1_TREE_CONNECT_EXTENDED_RESPONSE, s->tcon_path);
	int rc = smb1_sess_call(s, &w, NULL, 0, &rsp, &rlen, &st);
	wbuf_free(&w);
	struct smb1_tree_connect_rsp t;
	struct smb1_hdr h;
	if (rc == 0 && st != STATUS_SUCCESS) {
		rc = tcon_error(s, st, errbuf, errlen);
	} else if (rc == 0 && (rc = smb1_tree_connect_rsp_decode(rsp, rlen, &t)) == 0) {
		smb1_hdr_decode(rsp, rlen, &h);
		rc = tcon_done(s, &t, h.tid, errbuf, errlen);
	} else if (rc < 0) {
		sess_set_err(errbuf, errlen, "tree connect: %s", strerror(-rc));
	}
	free(rsp);
	return rc;
}

/* ---- echo and keepalive ---- */

static int echo_within(struct smb1_sess *s, int timeout_ms);

int smb1_sess_echo(struct smb1_sess *s)
{
	return echo_within(s, 0);
}

/*
 * Keepalive, as the SMB2 session's (session.c, the kernel client's echo_interval). A server that stops
 * answering without closing the connection would leave every request waiting for its full deadline. Every
 * half interval, if nothing has arrived for a whole one, an ECHO (MS-CIFS 2.2.4.39, 3.2.6.2) goes out with
 * the interval as its deadline; if it does not come back, the connection is killed, waiters fail as on any
 * loss, and the next request (src/proto/smb1_link.c) builds a new session (smb1_sess_alive is false).
 */
static void watchdog_probe(struct smb1_sess *s)
{
	if (!smb1_conn_alive(s->conn) || smb1_conn_idle_ms(s->conn) < (uint64_t)s->cfg.echo_interval_ms)
		return;
	int rc = echo_within(s, s->cfg.echo_interval_ms);
	if (rc == -ETIMEDOUT) {
		log_warn("%s did not answer an echo within %d s; dropping the connection", s->host,
			 s->cfg.echo_interval_ms / 1000);
		smb1_conn_kill(s->conn, -ETIMEDOUT);
	}
}

static void *watchdog_main(void *arg)
{
	struct smb1_sess *s = arg;
	pthread_mutex_lock(&s->wd_mu);
	while (!s->wd_stop) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		uint64_t ns = (uint64_t)ts.tv_nsec + (uint64_t)s->cfg.echo_interval_ms / 2 * 1000000;
		ts.tv_sec += (time_t)(ns / 1000000000);
		ts.tv_nsec = (long)(ns % 1000000000);
		pthread_cond_timedwait(&s->wd_cv, &s->wd_mu, &ts);
		if (s->wd_stop)
			break;
		pthread_mutex_unlock(&s->wd_mu);
		watchdog_probe(s);
		pthread_mutex_lock(&s->wd_mu);
	}
	pthread_mutex_unlock(&s->wd_mu);
	return NULL;
}

static int watchdog_start(struct smb1_sess *s)
{
	pthread_condattr_t ca;
	if (s->cfg.echo_interval_ms <= 0)
		s->cfg.echo_interval_ms = 60000;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->wd_cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&s->wd_mu, NULL);
	int rc = -pthread_create(&s->wd, NULL, watchdog_main, s);
	if (rc < 0) {
		pthread_cond_destroy(&s->wd_cv);
		pthread_mutex_destroy(&s->wd_mu);
		return rc;
	}
	s->has_wd = true;
	return 0;
}

static void watchdog_stop(struct smb1_sess *s)
{
	if (!s->has_wd)
		return;
	pthread_mutex_lock(&s->wd_mu);
	s->wd_stop = true;
	pthread_cond_broadcast(&s->wd_cv);
	pthread_mutex_unlock(&s->wd_mu);
	pthread_join(s->wd, NULL);
	pthread_cond_destroy(&s->wd_cv);
	pthread_mutex_destroy(&s->wd_mu);
	s->has_wd = false;
}

static int echo_within(struct smb1_sess *s, int timeout_ms)
{
	static const uint8_t probe[4] = {'s', 'm', 'b', '1'};
	struct wbuf w;
	uint8_t *rsp = NULL;
	size_t rlen = 0;
	uint32_t st = 0;
	const uint8_t *d;
	size_t dl;
	smb1_sess_req_init(s, &w, SMB1_COM_ECHO);
	smb1_echo_req_encode(&w, 1, probe, sizeof(probe));
	int rc = wbuf_err(&w);
	if (rc == 0)
		rc = smb1_conn_call(s->conn, w.p, w.len, NULL, 0, timeout_ms, &rsp, &rlen);
	if (rc == 0)
		st = smb1_rsp_status(rsp, rlen);
	wbuf_free(&w);
	if (rc == 0 && st)
		rc = ntstatus_to_errno(st);
	if (rc == 0 && (rc = smb1_echo_rsp_decode(rsp, rlen, &d, &dl)) == 0 &&
	    (dl != sizeof(probe) || memcmp(d, probe, dl) != 0))
		rc = -EPROTO;
	free(rsp);
	return rc;
}

/* ---- lifetime ---- */

/* Connect, negotiate, log on and connect the tree, with the tree connect chained unless s->chain is off. */
static int logon(struct smb1_sess *s, const struct smb1_conn_cfg *cc, char *errbuf, size_t errlen)
{
	struct smb1_negotiate_rsp neg;
	uint8_t *negbuf = NULL;
	size_t neglen = 0;
	int rc = smb1_conn_new(cc, &s->conn);
	if (rc < 0)
		sess_set_err(errbuf, errlen, "cannot connect to %s port %u: %s", s->cfg.host, cc->port, strerror(-rc));
	if (rc == 0)
		rc = do_negotiate(s, &negbuf, &neglen, &neg, errbuf, errlen);
	if (rc == 0)
		rc = do_session_setup(s, &neg, errbuf, errlen);
	free(negbuf);
	if (rc == 0)
		rc = do_tree_connect(s, errbuf, errlen);
	return rc;
}

int smb1_sess_new(const struct sess_cfg *cfg, const struct smb1_sess_opts *o, struct smb1_sess **out, char *errbuf,
		  size_t errlen)
{
	*out = NULL;
	struct smb1_sess *s = secret_alloc(sizeof(*s));
	if (!s || !(s->host = strdup(cfg->host))) {
		secret_free(s);
		return -ENOMEM;
	}
	s->cfg = *cfg;
	s->opts = o ? *o : (struct smb1_sess_opts){0};
	s->pid = (uint16_t)getpid();
	s->chain = !s->opts.no_chain;
	/* The deadlines SMB2 has (session.c): timeout= for the connect, twice that for each request. */
	int connect_ms = cfg->connect_timeout_ms > 0 ? cfg->connect_timeout_ms : 10000;
	struct smb1_conn_cfg cc = {.host = cfg->addr ? cfg->addr : cfg->host,
				   .port = cfg->port ? cfg->port : 445,
				   .nb_called = cfg->nb_called,
				   .nb_calling = cfg->nb_calling,
				   .connect_timeout_ms = connect_ms,
				   .request_timeout_ms =
				       cfg->request_timeout_ms > 0 ? cfg->request_timeout_ms : 2 * connect_ms,
				   /* Samba's and Windows' oplock break timeout, 35 s, unless a request deadline was
				    * given outright (then it is the caller's bound, as in the failure-path tests). */
				   .break_wait_ms = cfg->request_timeout_ms > 0 ? 0 : 35000,
				   .on_unsolicited = s->opts.on_unsolicited,
				   .arg = s->opts.arg};
	int rc = 0;
	if (asprintf(&s->tcon_path, "\\\\%s\\%s", s->host, cfg->share) < 0) {
		s->tcon_path = NULL;
		rc = -ENOMEM;
	}
	if (rc == 0)
		rc = logon(s, &cc, errbuf, errlen);
	if (rc < 0 && s->chain_refused) {
		/* The chained logon failed as a chain: start again on a new connection, one command at a time. */
		log_info("%s refused SESSION_SETUP_ANDX chained with TREE_CONNECT_ANDX; logging on without it",
			 s->host);
		smb1_conn_free(s->conn);
		s->conn = NULL;
		memset(&s->info, 0, sizeof(s->info));
		OPENSSL_cleanse(s->mac_key, sizeof(s->mac_key));
		s->mac_key_len = 0;
		s->chain = false;
		s->tc_state = SMB1_CHAIN_NOT_RUN;
		if (errbuf && errlen)
			errbuf[0] = '\0';
		rc = logon(s, &cc, errbuf, errlen);
	}
	/* The strings of cfg are the caller's: nothing after this point may use them. */
	s->cfg.user = s->cfg.domain = s->cfg.workstation = NULL;
	s->cfg.nt_hash = NULL;
	s->cfg.share = s->cfg.nb_called = s->cfg.nb_calling = NULL;
	s->cfg.host = s->host;
	if (rc == 0)
		rc = watchdog_start(s);
	if (rc < 0) {
		smb1_sess_free(s);
		return rc;
	}
	log_warn("connected to %s with SMB1 (NT LM 0.12%s): SMB1 is insecure and obsolete; use SMB2 or later "
		 "where the server allows it",
		 s->host, s->info.signing ? ", signed" : "");
	*out = s;
	return 0;
}

static void call_quietly(struct smb1_sess *s, uint8_t command)
{
	struct wbuf w;
	uint8_t *rsp = NULL;
	size_t rlen;
	uint32_t st;
	smb1_sess_req_init(s, &w, command);
	if (command == SMB1_COM_LOGOFF_ANDX)
		smb1_logoff_req_encode(&w);
	else
		smb1_empty_req_encode(&w);
	if (smb1_conn_alive(s->conn))
		(void)smb1_sess_call(s, &w, NULL, 0, &rsp, &rlen, &st);
	wbuf_free(&w);
	free(rsp);
}

void smb1_sess_free(struct smb1_sess *s)
{
	if (!s)
		return;
	watchdog_stop(s);
	if (s->conn && s->info.tid)
		call_quietly(s, SMB1_COM_TREE_DISCONNECT);
	if (s->conn && s->info.uid)
		call_quietly(s, SMB1_COM_LOGOFF_ANDX);
	smb1_conn_free(s->conn);
	free(s->tcon_path);
	free(s->host);
	secret_free(s); /* wipes mac_key */
}

void smb1_sess_get_info(struct smb1_sess *s, struct smb1_sess_info *out)
{
	*out = s->info;
}

uint64_t smb1_sess_sent(struct smb1_sess *s)
{
	return smb1_conn_sent(s->conn);
}

bool smb1_sess_alive(struct smb1_sess *s)
{
	return smb1_conn_alive(s->conn);
}
