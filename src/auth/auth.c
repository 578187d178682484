/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SPNEGO initiator (RFC 4178, MS-SPNG 3.1.5) over a table of mechanisms. Contract: include/smbfuse/auth.h.
 *
 * The table holds NTLMSSP and Kerberos; the credentials name the one to offer (sec=), and only that one is
 * in mechTypes, so the acceptor cannot steer us to another (a downgrade from Kerberos to NTLM needs the
 * caller's consent: sec=ntlmssp). A mechanism sees raw tokens and knows nothing of SPNEGO; this file wraps
 * them, checks what the acceptor says (negState, supportedMech), and protects the mechanism list with
 * mechListMIC (RFC 4178 5): we send one with our last token whenever the mechanism can sign, and verify the
 * acceptor's when it sends one. Callers never see which mechanism ran.
 *
 * Kerberos finishes differently from NTLMSSP: our one token (AP-REQ) is answered by accept-completed with
 * the AP-REP, so the MECH phase may end with the acceptor's last token (step_mech hands it to the mechanism,
 * which must finish on it).
 *
 * Phases: START -(NegTokenInit sent)-> MECH -(last mechanism token sent)-> FINAL -(acceptor's last token)->
 * DONE. Any error moves to DEAD, after which every call fails with -EPROTO: a half-finished exchange cannot be
 * resumed, only restarted with a new context.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "auth_i.h"
#include "smbfuse/ntlmssp.h"

static const struct auth_mech *const mech_table[] = {[AUTH_MECH_NTLMSSP] = &auth_mech_ntlmssp,
						     [AUTH_MECH_KRB5] = &auth_mech_krb5};

enum auth_phase { AUTH_START, AUTH_MECH, AUTH_FINAL, AUTH_DONE, AUTH_DEAD };

struct auth_ctx {
	const struct auth_mech *mech;
	void *st;
	enum auth_phase phase;
	bool anonymous;
	bool final_seen;         /* the acceptor's last token was checked */
	struct wbuf mech_types;  /* DER MechTypeList as sent: what the mechListMIC covers */
};

int auth_new(const struct auth_creds *cr, struct auth_ctx **out)
{
	struct auth_ctx *a;
	int rc;

	*out = NULL;
	if (!cr)
		return -EINVAL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	wbuf_init(&a->mech_types, 4096);
	a->anonymous = cr->anonymous;
	if ((unsigned)cr->mech >= sizeof(mech_table) / sizeof(mech_table[0])) {
		free(a);
		return -EINVAL;
	}
	a->mech = mech_table[cr->mech];
	if ((rc = a->mech->create(cr, &a->st))) {
		wbuf_free(&a->mech_types);
		free(a);
		return rc;
	}
	*out = a;
	return 0;
}

void auth_free(struct auth_ctx *a)
{
	if (!a)
		return;
	if (a->st)
		a->mech->destroy(a->st);
	wbuf_free(&a->mech_types);
	OPENSSL_cleanse(a, sizeof(*a));
	free(a);
}

bool auth_is_anonymous(const struct auth_ctx *a)
{
	return a->anonymous;
}

int auth_session_key(const struct auth_ctx *a, uint8_t key[16])
{
	if (a->phase == AUTH_DEAD)
		return -EPROTO;
	return a->mech->session_key(a->st, key);
}

int auth_session_key_full(const struct auth_ctx *a, uint8_t *key, size_t cap, size_t *len)
{
	if (a->phase == AUTH_DEAD)
		return -EPROTO;
	if (a->mech->session_key_full)
		return a->mech->session_key_full(a->st, key, cap, len);
	if (cap < 16)
		return -ENOBUFS;
	*len = 16;
	return a->mech->session_key(a->st, key);
}

long auth_lifetime(const struct auth_ctx *a)
{
	if (a->phase == AUTH_DEAD || !a->mech->lifetime)
		return 0;
	return a->mech->lifetime(a->st);
}

void *auth_mech_state(struct auth_ctx *a)
{
	return a->st;
}

/* The server's hint (the SMB2 NEGOTIATE response's security buffer) must offer our mechanism, if given. */
static int check_hint(const struct auth_ctx *a, const uint8_t *in, size_t n)
{
	struct spnego_init init;
	if (!in || !n)
		return 0;
	if (spnego_init_decode(in, n, &init))
		return -EBADMSG;
	int rc = spnego_init_offers(&init, a->mech->oid, a->mech->oid_len);
	if (rc == 0 && a->mech->alt_oid)
		rc = spnego_init_offers(&init, a->mech->alt_oid, a->mech->alt_oid_len);
	return rc < 0 ? -EBADMSG : rc ? 0 : -EACCES;
}

static bool is_our_oid(const struct auth_mech *m, const uint8_t *oid, size_t n)
{
	return (n == m->oid_len && memcmp(oid, m->oid, n) == 0) ||
	       (m->alt_oid && n == m->alt_oid_len && memcmp(oid, m->alt_oid, n) == 0);
}

static int step_start(struct auth_ctx *a, const uint8_t *in, size_t n, struct wbuf *out)
{
	struct wbuf tok;
	int rc = check_hint(a, in, n);
	if (rc)
		return rc;
	wbuf_init(&tok, 0);
	rc = a->mech->step(a->st, NULL, 0, &tok);
	if (rc >= 0) {
		int e = spnego_init_encode(out, a->mech->oid, a->mech->oid_len, tok.p, tok.len, &a->mech_types);
		a->phase = rc ? AUTH_MECH : AUTH_FINAL;
		rc = e ? e : 1;
	}
	wbuf_free(&tok);
	return rc;
}

/* Read a NegTokenResp and apply the checks common to every phase. */
static int read_resp(const struct auth_ctx *a, const uint8_t *in, size_t n, struct spnego_resp *r)
{
	if (!in || !n || spnego_resp_decode(in, n, r))
		return -EBADMSG;
	if (r->neg_state == SPNEGO_REJECT)
		return -EACCES;
	if (r->supported_mech && !is_our_oid(a->mech, r->supported_mech, r->supported_mech_len))
		return -EACCES;
	return 0;
}

static int check_mic(struct auth_ctx *a, const struct spnego_resp *r)
{
	if (!r->mech_list_mic)
		return 0;
	int rc = a->mech->verify_mic(a->st, a->mech_types.p, a->mech_types.len, r->mech_list_mic,
				     r->mech_list_mic_len);
	return rc == -ENOTSUP ? 0 : rc;
}

/* The acceptor finished with its last token (Kerberos AP-REP): our mechanism must finish on it, saying
 * nothing more, and the mechListMIC, if any, must match. */
static int step_last(struct auth_ctx *a, const struct spnego_resp *r)
{
	struct wbuf tok;
	wbuf_init(&tok, 0);
	int rc = a->mech->step(a->st, r->response_token, r->response_token_len, &tok);
	if (rc > 0 || (rc == 0 && tok.len))
		rc = -EPROTO; /* the acceptor cannot be done before our mechanism is */
	wbuf_free(&tok);
	if (rc == 0)
		rc = check_mic(a, r);
	if (rc == 0) {
		a->phase = AUTH_DONE;
		a->final_seen = true;
	}
	return rc;
}

static int step_mech(struct auth_ctx *a, const uint8_t *in, size_t n, struct wbuf *out)
{
	struct spnego_resp r;
	struct wbuf tok, mic;
	int rc = read_resp(a, in, n, &r);
	if (rc)
		return rc;
	if (!r.response_token)
		return -EPROTO;
	if (r.neg_state == SPNEGO_ACCEPT_COMPLETED)
		return step_last(a, &r);
	wbuf_init(&tok, 0);
	wbuf_init(&mic, 0);
	rc = a->mech->step(a->st, r.response_token, r.response_token_len, &tok);
	if (rc == 0) { /* our last token: protect the mechanism list if the mechanism can sign */
		int m = a->mech->get_mic(a->st, a->mech_types.p, a->mech_types.len, &mic);
		if (m && m != -ENOTSUP)
			rc = m;
		a->phase = AUTH_FINAL;
	}
	if (rc >= 0) {
		int e = spnego_resp_encode(out, SPNEGO_ABSENT, tok.p, tok.len, mic.len ? mic.p : NULL, mic.len);
		rc = e ? e : 1;
	}
	wbuf_free(&tok);
	wbuf_free(&mic);
	return rc;
}

static int step_final(struct auth_ctx *a, const uint8_t *in, size_t n)
{
	struct spnego_resp r;
	int rc;

	if (!in || !n) { /* SMB2 SUCCESS with an empty buffer: nothing to verify */
		a->phase = AUTH_DONE;
		return 0;
	}
	if ((rc = read_resp(a, in, n, &r)))
		return rc;
	if (r.neg_state != SPNEGO_ACCEPT_COMPLETED && r.neg_state != SPNEGO_ABSENT)
		return -EPROTO;
	if (r.response_token && r.response_token_len) /* NTLMSSP has no fourth token */
		return -EPROTO;
	if ((rc = check_mic(a, &r)))
		return rc;
	a->phase = AUTH_DONE;
	a->final_seen = true;
	return 0;
}

int auth_step(struct auth_ctx *a, const uint8_t *in, size_t in_len, struct wbuf *out)
{
	int rc;

	switch (a->phase) {
	case AUTH_START:
		rc = step_start(a, in, in_len, out);
		break;
	case AUTH_MECH:
		rc = step_mech(a, in, in_len, out);
		break;
	case AUTH_FINAL:
		rc = step_final(a, in, in_len);
		break;
	case AUTH_DONE:
		/* One more call is allowed: with nothing, or with the acceptor's token if none was seen yet. */
		rc = !in || !in_len ? 0 : a->final_seen ? -EPROTO : step_final(a, in, in_len);
		break;
	default:
		return -EPROTO;
	}
	if (rc < 0)
		a->phase = AUTH_DEAD;
	return rc;
}
