/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The Kerberos mechanism behind SPNEGO (RFC 4121 through GSSAPI, MS-KILE as Windows and Samba accept it).
 *
 * Why GSSAPI and not libkrb5 directly: it is what every Linux Kerberos client uses, and it finds the
 * credential cache (FILE, DIR, KEYRING, KCM), the KDC (krb5.conf or DNS) and the service ticket for us; a
 * client keytab gets fresh tickets by itself. We ask for the service "cifs@HOST" (HOST: the name in the mount
 * source, never a reverse lookup of the address, so ip= may point elsewhere), with mutual authentication: the
 * AP-REP proves the server knows the service key, and a context that did not authenticate the server is
 * refused.
 *
 * The SMB session key is the context's session key (GSS_C_INQ_SSPI_SESSION_KEY: the acceptor subkey when
 * there is one), its first 16 bytes, zero-padded if shorter (MS-SMB2 3.2.5.3). Signing and encryption keys
 * derive from it as for NTLM.
 *
 * Credentials are acquired once per context, that is once per SESSION_SETUP: a reconnect or a session the
 * server expired (STATUS_NETWORK_SESSION_EXPIRED) reads the cache again, so a new kinit is picked up, and a
 * keytab mount gets a new ticket.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <krb5.h>

#include "auth_i.h"
#include "krb5_i.h"
#include "smbfuse/log.h"
#include "smbfuse/ntlmssp.h"

static OM_uint32 inquire_by_oid(OM_uint32 *min, const gss_ctx_id_t ctx, const gss_OID oid, gss_buffer_set_t *set)
{
	return gss_inquire_sec_context_by_oid(min, ctx, oid, set);
}

/* One initializer for both: ISO C (and clang) take no const object as a static initializer. */
#define GSS_REAL                                                                                           \
	{                                                                                                  \
	    .acquire_cred_from = gss_acquire_cred_from,                                                    \
	    .init_sec_context = gss_init_sec_context,                                                      \
	    .inquire_sec_context_by_oid = inquire_by_oid,                                                  \
	    .get_mic = gss_get_mic,                                                                        \
	    .verify_mic = gss_verify_mic,                                                                  \
	    .delete_sec_context = gss_delete_sec_context,                                                  \
	    .release_cred = gss_release_cred,                                                              \
	}
static const struct auth_gss_fns gss_real = GSS_REAL;
struct auth_gss_fns auth_gss = GSS_REAL;

void auth_gss_reset(void)
{
	auth_gss = gss_real;
}

static gss_OID_desc oid_krb5 = {sizeof(spnego_oid_krb5), (void *)spnego_oid_krb5};

struct krb5_st {
	gss_ctx_id_t ctx;
	gss_name_t target;
	gss_cred_id_t cred;
	char spn[300];	   /* "cifs/HOST", for messages */
	char memcc[64];	   /* keytab mounts: a private MEMORY: cache, destroyed with the context */
	char *errbuf;
	size_t errlen;
	OM_uint32 time_rec; /* seconds the established context (the service ticket) stays valid */
	bool done;
};

bool auth_krb5_available(void)
{
	return true;
}

/* GSSAPI's text for a status (major and minor), for the log: it names no key material. */
static void status_text(OM_uint32 maj, OM_uint32 min, char *buf, size_t n)
{
	size_t used = 0;
	buf[0] = '\0';
	for (int pass = 0; pass < 2; pass++) {
		OM_uint32 ctx = 0, m;
		do {
			gss_buffer_desc t = GSS_C_EMPTY_BUFFER;
			if (GSS_ERROR(gss_display_status(&m, pass ? min : maj, pass ? GSS_C_MECH_CODE : GSS_C_GSS_CODE,
							 &oid_krb5, &ctx, &t)))
				break;
			if (t.length && used + 3 < n) {
				int w = snprintf(buf + used, n - used, "%s%.*s", used ? "; " : "", (int)t.length,
						 (const char *)t.value);
				used += w > 0 ? (size_t)w : 0;
				if (used >= n)
					used = n - 1;
			}
			gss_release_buffer(&m, &t);
		} while (ctx);
		if (pass == 0 && (!min || maj == GSS_S_COMPLETE))
			break;
	}
}

/*
 * A failure as one line the user can act on, and an errno. The minor (libkrb5) code says what happened
 * far more precisely than the GSS major code, which is the fallback.
 */
static int krb5_fail(struct krb5_st *st, const char *what, OM_uint32 maj, OM_uint32 min)
{
	char detail[384];
	const char *pre, *post;
	int rc;

	status_text(maj, min, detail, sizeof(detail));
	log_dbg("Kerberos %s for %s: %s (major 0x%x, minor %ld)", what, st->spn, detail, (unsigned)maj,
		(long)(krb5_error_code)min);
	switch ((krb5_error_code)min) {
	case KRB5_FCC_NOFILE:
	case KRB5_CC_NOTFOUND:
	case KRB5_CC_END:
	case KRB5_CC_BADNAME:
		pre = "no Kerberos ticket for ", post = ": run kinit", rc = -ENOKEY;
		break;
	case KRB5KRB_AP_ERR_TKT_EXPIRED:
	case KRB5KDC_ERR_TGT_REVOKED:
	case KRB5KDC_ERR_KEY_EXP:
		pre = "the Kerberos ticket for ", post = " has expired: run kinit", rc = -EKEYEXPIRED;
		break;
	case KRB5KRB_AP_ERR_SKEW:
		pre = "clock skew too great for ";
		post = ": this host's clock and the KDC's or server's differ by more than krb5.conf clockskew "
		       "(5 minutes); synchronise them (NTP)";
		rc = -EKEYREJECTED;
		break;
	case KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN:
		pre = "unknown service principal ";
		post = ": the KDC has no such server; name the server as its SPN does (its DNS name, e.g. "
		       "//fs01.corp.example.com/share) and give the address with ip=";
		rc = -ENOENT;
		break;
	case KRB5_KDC_UNREACH:
	case KRB5_REALM_CANT_RESOLVE:
	case KRB5_REALM_UNKNOWN:
		pre = "cannot reach a Kerberos KDC for ";
		post = ": check krb5.conf (the realm's kdc) and the network";
		rc = -EHOSTUNREACH;
		break;
	case KRB5KRB_AP_ERR_MODIFIED:
	case KRB5KRB_AP_ERR_BAD_INTEGRITY:
		pre = "the server's Kerberos answer for ", post = " does not verify (wrong service key?)", rc = -EACCES;
		break;
	default:
		if (GSS_ROUTINE_ERROR(maj) == GSS_S_NO_CRED) {
			pre = "no Kerberos ticket for ", post = ": run kinit", rc = -ENOKEY;
		} else if (GSS_ROUTINE_ERROR(maj) == GSS_S_CREDENTIALS_EXPIRED) {
			pre = "the Kerberos ticket for ", post = " has expired: run kinit", rc = -EKEYEXPIRED;
		} else {
			if (st->errbuf && st->errlen)
				snprintf(st->errbuf, st->errlen, "Kerberos %s for %s failed: %s", what, st->spn, detail);
			return -EACCES;
		}
	}
	if (st->errbuf && st->errlen)
		snprintf(st->errbuf, st->errlen, "%s%s%s", pre, st->spn, post);
	return rc;
}

static void set_err(struct krb5_st *st, const char *pre, const char *post)
{
	if (st->errbuf && st->errlen)
		snprintf(st->errbuf, st->errlen, "%s%s%s", pre, st->spn, post);
}

static void k_destroy(void *p)
{
	struct krb5_st *st = p;
	OM_uint32 min;
	if (st->ctx != GSS_C_NO_CONTEXT)
		auth_gss.delete_sec_context(&min, &st->ctx, GSS_C_NO_BUFFER);
	if (st->cred != GSS_C_NO_CREDENTIAL)
		auth_gss.release_cred(&min, &st->cred);
	if (st->target != GSS_C_NO_NAME)
		gss_release_name(&min, &st->target);
	if (st->memcc[0]) { /* the keytab's tickets: gone with the context */
		krb5_context kc;
		krb5_ccache cc;
		if (krb5_init_context(&kc) == 0) {
			if (krb5_cc_resolve(kc, st->memcc, &cc) == 0)
				krb5_cc_destroy(kc, cc);
			krb5_free_context(kc);
		}
	}
	explicit_bzero(st, sizeof(*st));
	free(st);
}

/* The initiator credential: from the named cache, from a client keytab (through a private cache), or the
 * default cache (KRB5CCNAME). */
static int acquire(struct krb5_st *st, const struct auth_creds *cr)
{
	gss_key_value_element_desc el[2];
	gss_key_value_set_desc store = {0, el};
	gss_OID_set_desc mechs = {1, &oid_krb5};
	gss_name_t who = GSS_C_NO_NAME;
	OM_uint32 maj, min = 0;

	if (cr->krb5_keytab) {
		snprintf(st->memcc, sizeof(st->memcc), "MEMORY:smbfuse-%p", (void *)st);
		el[store.count++] = (gss_key_value_element_desc){"client_keytab", cr->krb5_keytab};
		el[store.count++] = (gss_key_value_element_desc){"ccache", st->memcc};
		if (cr->user && *cr->user) {
			gss_buffer_desc u = {strlen(cr->user), (void *)cr->user};
			maj = gss_import_name(&min, &u, GSS_C_NT_USER_NAME, &who);
			if (GSS_ERROR(maj))
				return krb5_fail(st, "principal name", maj, min);
		}
	} else if (cr->krb5_ccache) {
		el[store.count++] = (gss_key_value_element_desc){"ccache", cr->krb5_ccache};
	}
	maj = auth_gss.acquire_cred_from(&min, who, GSS_C_INDEFINITE, &mechs, GSS_C_INITIATE,
					 store.count ? &store : GSS_C_NO_CRED_STORE, &st->cred, NULL, NULL);
	if (who != GSS_C_NO_NAME) {
		OM_uint32 m2;
		gss_release_name(&m2, &who);
	}
	if (GSS_ERROR(maj)) {
		st->cred = GSS_C_NO_CREDENTIAL;
		if (cr->krb5_keytab && (krb5_error_code)min != KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN &&
		    (krb5_error_code)min != KRB5_KDC_UNREACH) {
			char detail[384];
			status_text(maj, min, detail, sizeof(detail));
			if (st->errbuf && st->errlen)
				snprintf(st->errbuf, st->errlen, "no Kerberos credentials from keytab %s: %s", cr->krb5_keytab,
					 detail);
			return -ENOKEY;
		}
		return krb5_fail(st, "credentials", maj, min);
	}
	return 0;
}

static int k_create(const struct auth_creds *cr, void **out)
{
	*out = NULL;
	if (!cr->target_host || !*cr->target_host)
		return -EINVAL;
	struct krb5_st *st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->errbuf = cr->errbuf;
	st->errlen = cr->errlen;
	st->ctx = GSS_C_NO_CONTEXT;
	st->cred = GSS_C_NO_CREDENTIAL;
	st->target = GSS_C_NO_NAME;
	snprintf(st->spn, sizeof(st->spn), "cifs/%s", cr->target_host);

	char svc[300];
	snprintf(svc, sizeof(svc), "cifs@%s", cr->target_host);
	gss_buffer_desc b = {strlen(svc), svc};
	OM_uint32 min = 0, maj = gss_import_name(&min, &b, GSS_C_NT_HOSTBASED_SERVICE, &st->target);
	int rc = GSS_ERROR(maj) ? krb5_fail(st, "service name", maj, min) : acquire(st, cr);
	if (rc) {
		k_destroy(st);
		return rc;
	}
	*out = st;
	return 0;
}

static int k_step(void *p, const uint8_t *in, size_t n, struct wbuf *out)
{
	struct krb5_st *st = p;
	gss_buffer_desc ib = {n, (void *)in}, ob = GSS_C_EMPTY_BUFFER;
	OM_uint32 min = 0, flags = 0, m2;

	if (st->done || (!in) != (st->ctx == GSS_C_NO_CONTEXT))
		return -EPROTO;
	OM_uint32 maj = auth_gss.init_sec_context(&min, st->cred, &st->ctx, st->target, &oid_krb5,
						  GSS_C_MUTUAL_FLAG | GSS_C_INTEG_FLAG, 0, GSS_C_NO_CHANNEL_BINDINGS,
						  in ? &ib : GSS_C_NO_BUFFER, NULL, &ob, &flags, &st->time_rec);
	if (GSS_ERROR(maj)) {
		gss_release_buffer(&m2, &ob);
		return krb5_fail(st, in ? "mutual authentication" : "ticket", maj, min);
	}
	if (ob.length)
		wbuf_bytes(out, ob.value, ob.length);
	gss_release_buffer(&m2, &ob);
	if (maj & GSS_S_CONTINUE_NEEDED)
		return wbuf_err(out) ? wbuf_err(out) : 1;
	if (!(flags & GSS_C_MUTUAL_FLAG)) { /* the server never proved who it is */
		set_err(st, "the server ", " did not authenticate itself (no Kerberos mutual authentication)");
		return -EACCES;
	}
	st->done = true;
	return wbuf_err(out);
}

static int k_session_key_full(const void *p, uint8_t *key, size_t cap, size_t *len)
{
	const struct krb5_st *st = p;
	gss_buffer_set_t set = GSS_C_NO_BUFFER_SET;
	OM_uint32 min = 0, m2;

	if (!st->done)
		return -EAGAIN;
	OM_uint32 maj = auth_gss.inquire_sec_context_by_oid(&min, st->ctx, GSS_C_INQ_SSPI_SESSION_KEY, &set);
	if (GSS_ERROR(maj) || set == GSS_C_NO_BUFFER_SET || set->count < 1 || set->elements[0].length == 0) {
		if (set != GSS_C_NO_BUFFER_SET)
			gss_release_buffer_set(&m2, &set);
		log_warn("Kerberos context for %s has no session key: cannot sign or encrypt", st->spn);
		set_err((struct krb5_st *)st, "Kerberos gave no session key for ", "");
		return -ENOKEY;
	}
	size_t n = set->elements[0].length;
	int rc = n <= cap ? 0 : -ENOBUFS;
	if (rc == 0) {
		memcpy(key, set->elements[0].value, n);
		*len = n;
	}
	explicit_bzero(set->elements[0].value, set->elements[0].length);
	gss_release_buffer_set(&m2, &set);
	return rc;
}

/* SMB2 takes the first 16 bytes, zero-padded (MS-SMB2 3.2.5.3.1). */
static int k_session_key(const void *p, uint8_t key[16])
{
	uint8_t full[64];
	size_t n = 0;
	int rc = k_session_key_full(p, full, sizeof(full), &n);
	if (rc == 0) {
		memset(key, 0, 16);
		memcpy(key, full, n < 16 ? n : 16);
	}
	explicit_bzero(full, sizeof(full));
	return rc;
}

/* The server ends the session when the ticket does (Samba: gensec_expire_time; MS-SMB2 3.3.5.5.3). */
static long k_lifetime(const void *p)
{
	const struct krb5_st *st = p;
	return st->done && st->time_rec != GSS_C_INDEFINITE ? (long)st->time_rec : 0;
}

static int k_get_mic(void *p, const uint8_t *msg, size_t n, struct wbuf *out)
{
	struct krb5_st *st = p;
	gss_buffer_desc mb = {n, (void *)msg}, tok = GSS_C_EMPTY_BUFFER;
	OM_uint32 min = 0, m2;
	if (!st->done)
		return -ENOTSUP; /* our only token goes before the context is complete: no MIC to send with it */
	OM_uint32 maj = auth_gss.get_mic(&min, st->ctx, GSS_C_QOP_DEFAULT, &mb, &tok);
	if (GSS_ERROR(maj))
		return krb5_fail(st, "mechListMIC", maj, min);
	wbuf_bytes(out, tok.value, tok.length);
	gss_release_buffer(&m2, &tok);
	return wbuf_err(out);
}

static int k_verify_mic(void *p, const uint8_t *msg, size_t n, const uint8_t *mic, size_t mic_len)
{
	struct krb5_st *st = p;
	gss_buffer_desc mb = {n, (void *)msg}, tb = {mic_len, (void *)mic};
	OM_uint32 min = 0;
	if (!st->done)
		return -EPROTO;
	OM_uint32 maj = auth_gss.verify_mic(&min, st->ctx, &mb, &tb, NULL);
	if (GSS_ERROR(maj)) {
		set_err(st, "the server's SPNEGO mechListMIC for ", " does not verify (a downgrade?)");
		return -EBADMSG;
	}
	return 0;
}

const struct auth_mech auth_mech_krb5 = {
	.name = "Kerberos",
	.oid = spnego_oid_krb5,
	.oid_len = sizeof(spnego_oid_krb5),
	.alt_oid = spnego_oid_ms_krb5,
	.alt_oid_len = sizeof(spnego_oid_ms_krb5),
	.create = k_create,
	.step = k_step,
	.session_key = k_session_key,
	.session_key_full = k_session_key_full,
	.lifetime = k_lifetime,
	.get_mic = k_get_mic,
	.verify_mic = k_verify_mic,
	.destroy = k_destroy,
};
