/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SESSION_SETUP (MS-SMB2 3.2.4.2.3): the SPNEGO rounds of auth.h on a new link, the preauth hash (3.1.1) and
 * the keys; PreviousSessionId names the session a reconnect replaces (session.c). A re-authentication
 * (MS-SMB2 3.2.4.2.3: the same rounds on the live session, signed with its key) keeps the keys.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smbfuse/auth.h"
#include "smbfuse/err.h"
#include "smbfuse/log.h"
#include "smbfuse/session.h"
#include "smbfuse/util.h"

#include "session_i.h"

/* The least a SESSION_SETUP round naming PreviousSessionId waits for its answer (setup_round). */
#define PREVIOUS_SESSION_MIN_MS 10000

static int setup_error(struct sess *s, uint32_t status, char *errbuf, size_t errlen)
{
	switch (status) {
	case STATUS_LOGON_FAILURE:
		if (s->cfg.krb5) { /* the ticket was fine for the KDC, so the server refused it */
			sess_set_err(errbuf, errlen, "logon failure: %s refused the Kerberos ticket for cifs/%s",
				     s->cfg.host, s->cfg.host);
			return -EACCES;
		}
		sess_set_err(errbuf, errlen, "logon failure: wrong user name or password for %s",
			s->cfg.guest ? "guest" : (s->cfg.user ? s->cfg.user : ""));
		return -EACCES;
	case 0xC0000418u: /* STATUS_NTLM_BLOCKED: "ntlm auth = disabled", Windows "Restrict NTLM" */
		sess_set_err(errbuf, errlen, "logon refused: %s does not accept NTLM (STATUS_NTLM_BLOCKED): mount with sec=krb5",
			     s->cfg.host);
		return -EACCES;
	case 0xC0000072u: /* STATUS_ACCOUNT_DISABLED */
	case 0xC0000193u: /* STATUS_ACCOUNT_EXPIRED */
	case 0xC0000234u: /* STATUS_ACCOUNT_LOCKED_OUT */
	case 0xC0000071u: /* STATUS_PASSWORD_EXPIRED */
		sess_set_err(errbuf, errlen, "logon refused: %s", ntstatus_name(status));
		return -EACCES;
	}
	sess_set_err(errbuf, errlen, "session setup failed: %s", ntstatus_name(status));
	int e = ntstatus_to_errno(status);
	return e ? e : -EPROTO;
}

/* One SESSION_SETUP round: send tok, leave the reply in m. Updates the preauth hash (3.1.1). */
static int setup_round(struct sess *s, struct link *l, struct neg_state *ns, const struct wbuf *tok,
		       bool reauth, struct conn_msg *m)
{
	struct smb2_sess_setup_req req = {
		.security_mode = SMB2_NEGOTIATE_SIGNING_ENABLED | (s->cfg.sign ? SMB2_NEGOTIATE_SIGNING_REQUIRED : 0),
		.blob = tok->p,
		.blob_len = (uint16_t)tok->len,
		.previous_session_id = reauth ? 0 : s->prev_session_id,
	};
	if (tok->len > UINT16_MAX)
		return -EMSGSIZE;
	struct wbuf w;
	wbuf_init(&w, 0);
	int rc = smb2_sess_setup_req_encode(&w, &req);
	uint8_t *sent = NULL;
	size_t sent_len = 0;
	/*
	 * A round naming PreviousSessionId waits for the server to end that session: Samba's
	 * smb2srv_session_close_previous waits until each of its requests still in progress has been
	 * answered and written to the old connection, and for Handle lease breaks. Under load that outlasts
	 * one stage's deadline, and a timeout here makes the rebuild give up the durable handles (a new
	 * ClientGuid: session.c, peer_hung), losing the WRITEs in flight. A hung server process fails at
	 * NEGOTIATE already (it is the one that answers it), so the longer wait costs that case nothing.
	 */
	int timeout = req.previous_session_id ? MAX(s->cfg.request_timeout_ms, PREVIOUS_SESSION_MIN_MS)
					      : s->cfg.connect_timeout_ms;
	if (rc == 0)
		rc = sess_link_call1(l, SMB2_SESSION_SETUP, &w, reauth && l->has_key, m, &sent, &sent_len, timeout);
	wbuf_free(&w);
	if (rc == 0 && l->info.dialect == SMB2_DIALECT_311) {
		smb2_preauth_update(&ns->preauth, sent, sent_len);
		if (m->rsp_hdr.status == STATUS_MORE_PROCESSING_REQUIRED)
			smb2_preauth_update(&ns->preauth, m->rsp, m->rsp_len);
	}
	free(sent);
	if (rc == 0 && l->session_id == 0)
		l->session_id = m->rsp_hdr.session_id;
	return rc;
}

/* The SPNEGO loop of auth.h. On success the keys are derived and *final holds the last reply. */
int sess_session_setup(struct sess *s, struct link *l, struct neg_state *ns, struct conn_msg *final, bool reauth,
		       long *lifetime, char *errbuf, size_t errlen)
{
	struct auth_creds cr = {
		.user = s->cfg.user,
		.nt_hash = s->cfg.nt_hash,
		.domain = s->cfg.domain,
		.workstation = s->cfg.workstation,
		.anonymous = s->cfg.guest && (!s->cfg.user || !*s->cfg.user),
		.target_host = s->cfg.host,
		.mech = s->cfg.krb5 ? AUTH_MECH_KRB5 : AUTH_MECH_NTLMSSP,
		.krb5_ccache = s->cfg.krb5_ccache,
		.krb5_keytab = s->cfg.krb5_keytab,
	};
	/* The mechanism's own reason (no ticket, clock skew...) beats the errno's text. */
	char why[512] = "";
	cr.errbuf = why;
	cr.errlen = sizeof(why);
	struct auth_ctx *a = NULL;
	struct wbuf out;
	wbuf_init(&out, 0);
	memset(final, 0, sizeof(*final));
	int rc = auth_new(&cr, &a);
	if (rc == 0)
		rc = auth_step(a, ns->rsp.security_blob, ns->rsp.security_blob_len, &out);
	if (rc == -EACCES && !why[0] && cr.mech == AUTH_MECH_KRB5)
		snprintf(why, sizeof(why), "%s does not offer Kerberos (its SPNEGO hint lists no krb5 mechanism)",
			 s->cfg.host);
	else if (rc == -EACCES && !why[0])
		snprintf(why, sizeof(why), "%s does not offer NTLMSSP (Kerberos only? mount with sec=krb5)", s->cfg.host);
	if (rc < 0)
		sess_set_err(errbuf, errlen, "%s", why[0] ? why : strerror(-rc));
	for (int round = 0; rc >= 0 && round < SESS_MAX_SETUP_ROUNDS; round++) {
		int more = rc;
		free(final->rsp);
		rc = setup_round(s, l, ns, &out, reauth, final);
		if (rc < 0) {
			sess_set_err(errbuf, errlen, "session setup: %s", strerror(-rc));
			break;
		}
		uint32_t st = final->rsp_hdr.status;
		if (st != STATUS_SUCCESS && (st != STATUS_MORE_PROCESSING_REQUIRED || !more)) {
			rc = setup_error(s, st, errbuf, errlen);
			break;
		}
		struct smb2_sess_setup_rsp rsp;
		rc = smb2_sess_setup_rsp_decode(final->rsp, final->rsp_len, &rsp);
		if (rc == 0) {
			wbuf_reset(&out);
			rc = auth_step(a, rsp.blob, rsp.blob_len, &out);
		}
		if (rc < 0) {
			if (why[0])
				sess_set_err(errbuf, errlen, "%s", why);
			else
				sess_set_err(errbuf, errlen, "authentication failed: %s", strerror(-rc));
			break;
		}
		if (st == STATUS_SUCCESS && reauth) {
			rc = rc == 0 ? 0 : -EPROTO; /* the published link's flags and keys stay as they are */
			break;
		} else if (st == STATUS_SUCCESS) {
			l->info.guest = rsp.session_flags & (SMB2_SESSION_FLAG_IS_GUEST | SMB2_SESSION_FLAG_IS_NULL);
			l->session_encrypt = rsp.session_flags & SMB2_SESSION_FLAG_ENCRYPT_DATA;
			rc = rc == 0 ? 0 : -EPROTO;
			break;
		}
		rc = more ? 1 : -EPROTO;
	}
	if (rc > 0) {
		sess_set_err(errbuf, errlen, "session setup did not finish in %d rounds", SESS_MAX_SETUP_ROUNDS);
		rc = -EPROTO;
	}
	*lifetime = rc == 0 ? auth_lifetime(a) : 0;
	uint8_t key[16];
	int krc = reauth ? -ENOKEY : rc == 0 && !auth_is_anonymous(a) && !l->info.guest ? auth_session_key(a, key) : -ENOKEY;
	if (krc < 0 && rc == 0 && !reauth && cr.mech == AUTH_MECH_KRB5 && !l->info.guest) {
		/* NTLM without a key is the anonymous case; a Kerberos logon always has one, or it cannot sign */
		sess_set_err(errbuf, errlen, "%s", why[0] ? why : "Kerberos gave no session key");
		rc = krc;
	}
	if (krc == 0) {
		struct smb2_keys keys;
		rc = smb2_derive_keys(l->info.dialect, l->cipher, key, ns->preauth.hash, &keys);
		if (rc == 0) {
			memcpy(l->sign_key, keys.signing, 16);
			memcpy(l->enc_key, keys.enc_c2s, sizeof(l->enc_key));
			memcpy(l->dec_key, keys.dec_s2c, sizeof(l->dec_key));
		}
		smb2_keys_wipe(&keys);
		explicit_bzero(key, sizeof(key));
	}
	wbuf_free(&out);
	auth_free(a);
	return rc;
}
