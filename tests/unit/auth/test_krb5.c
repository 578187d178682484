/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The Kerberos mechanism's failure paths. A unit test has no KDC, so the GSSAPI calls are scripted
 * (krb5_i.h's table) for what only a server can cause: an acceptor that rejects us, an AP-REP that does
 * not verify, no mutual authentication, no session key, a bad mechListMIC. The missing ticket goes
 * through the real libkrb5 with a private krb5.conf and an absent cache. And a server that offers only
 * Kerberos to an NTLM logon is refused.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <krb5.h>

#include "../tap.h"
#include "../../../src/auth/auth_i.h"
#include "../../../src/auth/krb5_i.h"
#include "smbfuse/auth.h"
#include "smbfuse/ntlmssp.h"

static int fake_ctx;
static struct {
	OM_uint32 maj2, min2;  /* what init_sec_context says to the AP-REP */
	OM_uint32 flags;       /* ret_flags once complete */
	OM_uint32 inq_maj;     /* inquire_sec_context_by_oid */
	OM_uint32 vmic_maj;    /* verify_mic */
	OM_uint32 time_rec;    /* the context's lifetime once complete */
} sc;

static OM_uint32 s_acquire(OM_uint32 *min, gss_name_t n, OM_uint32 t, gss_OID_set m, gss_cred_usage_t u,
			   gss_const_key_value_set_t st, gss_cred_id_t *out, gss_OID_set *am, OM_uint32 *tr)
{
	*min = 0;
	*out = GSS_C_NO_CREDENTIAL;
	return GSS_S_COMPLETE;
}

static OM_uint32 s_init(OM_uint32 *min, gss_cred_id_t c, gss_ctx_id_t *ctx, gss_name_t t, gss_OID m, OM_uint32 f,
			OM_uint32 tr, gss_channel_bindings_t cb, gss_buffer_t in, gss_OID *am, gss_buffer_t out,
			OM_uint32 *rf, OM_uint32 *tt)
{
	*min = 0;
	out->length = 0;
	out->value = NULL;
	if (in == GSS_C_NO_BUFFER) { /* the AP-REQ */
		*ctx = (gss_ctx_id_t)&fake_ctx;
		out->value = strdup("AP-REQ");
		out->length = 6;
		return GSS_S_CONTINUE_NEEDED;
	}
	*min = sc.min2;
	if (rf)
		*rf = sc.flags;
	if (tt)
		*tt = sc.time_rec;
	return sc.maj2;
}

static OM_uint32 s_inquire(OM_uint32 *min, const gss_ctx_id_t c, const gss_OID o, gss_buffer_set_t *set)
{
	*min = 0;
	if (GSS_ERROR(sc.inq_maj))
		return sc.inq_maj;
	OM_uint32 m;
	gss_create_empty_buffer_set(&m, set);
	gss_buffer_desc k = {8, "\x01\x02\x03\x04\x05\x06\x07\x08"}; /* shorter than 16: zero-padded */
	gss_add_buffer_set_member(&m, &k, set);
	return GSS_S_COMPLETE;
}

static OM_uint32 s_vmic(OM_uint32 *min, gss_ctx_id_t c, gss_buffer_t msg, gss_buffer_t tok, gss_qop_t *q)
{
	*min = 0;
	return sc.vmic_maj;
}

static OM_uint32 s_delete(OM_uint32 *min, gss_ctx_id_t *c, gss_buffer_t o)
{
	*c = GSS_C_NO_CONTEXT;
	return GSS_S_COMPLETE;
}

static OM_uint32 s_release(OM_uint32 *min, gss_cred_id_t *c)
{
	return GSS_S_COMPLETE;
}

static void script(void)
{
	auth_gss.acquire_cred_from = s_acquire;
	auth_gss.init_sec_context = s_init;
	auth_gss.inquire_sec_context_by_oid = s_inquire;
	auth_gss.verify_mic = s_vmic;
	auth_gss.delete_sec_context = s_delete;
	auth_gss.release_cred = s_release;
	sc.maj2 = GSS_S_COMPLETE;
	sc.min2 = 0;
	sc.flags = GSS_C_MUTUAL_FLAG | GSS_C_INTEG_FLAG;
	sc.inq_maj = GSS_S_COMPLETE;
	sc.vmic_maj = GSS_S_COMPLETE;
	sc.time_rec = GSS_C_INDEFINITE;
}

static char err[512];

/* A Kerberos context past its AP-REQ; the acceptor's answer (negState, AP-REP, MIC) is then fed. */
static struct auth_ctx *started(void)
{
	struct auth_creds cr = {.mech = AUTH_MECH_KRB5, .target_host = "fs.example", .errbuf = err,
				.errlen = sizeof(err)};
	struct auth_ctx *a = NULL;
	struct wbuf out;
	err[0] = '\0';
	wbuf_init(&out, 0);
	CHECK(auth_new(&cr, &a) == 0);
	CHECK(a && auth_step(a, NULL, 0, &out) == 1 && out.len > 6);
	wbuf_free(&out);
	return a;
}

static int answer(struct auth_ctx *a, int neg_state, bool with_mic)
{
	struct wbuf in, out;
	wbuf_init(&in, 0);
	wbuf_init(&out, 0);
	spnego_resp_encode(&in, neg_state, (const uint8_t *)"AP-REP", 6, with_mic ? (const uint8_t *)"MIC" : NULL,
			   with_mic ? 3 : 0);
	int rc = auth_step(a, in.p, in.len, &out);
	CHECK(out.len == 0);
	wbuf_free(&in);
	wbuf_free(&out);
	return rc;
}

static void test_success_and_key(void)
{
	script();
	struct auth_ctx *a = started();
	uint8_t key[16];
	CHECK(auth_session_key(a, key) == -EAGAIN); /* not before the AP-REP */
	CHECK(answer(a, SPNEGO_ACCEPT_COMPLETED, true) == 0);
	CHECK(auth_session_key(a, key) == 0);
	CHECK_MEM(key, "\x01\x02\x03\x04\x05\x06\x07\x08\0\0\0\0\0\0\0\0", 16);
	/* SMB1 signs with the key at its own length; a buffer too small for it is refused, not cut */
	uint8_t full[32];
	size_t n = 0;
	CHECK(auth_session_key_full(a, full, sizeof(full), &n) == 0 && n == 8);
	CHECK_MEM(full, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	CHECK(auth_session_key_full(a, full, 4, &n) == -ENOBUFS);
	auth_free(a);
}

/* The ticket's remaining life is what the session will get from the server; unknown before the AP-REP. */
static void test_lifetime(void)
{
	script();
	sc.time_rec = 36000;
	struct auth_ctx *a = started();
	CHECK(auth_lifetime(a) == 0);
	CHECK(answer(a, SPNEGO_ACCEPT_COMPLETED, true) == 0);
	CHECK(auth_lifetime(a) == 36000);
	auth_free(a);
	script(); /* GSS_C_INDEFINITE: no end */
	a = started();
	CHECK(answer(a, SPNEGO_ACCEPT_COMPLETED, true) == 0);
	CHECK(auth_lifetime(a) == 0);
	auth_free(a);
}

static void test_acceptor_rejects(void)
{
	script();
	struct auth_ctx *a = started();
	CHECK(answer(a, SPNEGO_REJECT, false) == -EACCES);
	auth_free(a);
	/* an AP-REP that fails its integrity check */
	script();
	a = started();
	sc.maj2 = GSS_S_DEFECTIVE_TOKEN;
	sc.min2 = (OM_uint32)KRB5KRB_AP_ERR_MODIFIED;
	CHECK(answer(a, SPNEGO_ACCEPT_COMPLETED, false) == -EACCES);
	CHECK(strstr(err, "cifs/fs.example") && strstr(err, "does not verify"));
	auth_free(a);
	/* clock skew, as the KDC or the acceptor reports it */
	script();
	a = started();
	sc.maj2 = GSS_S_FAILURE;
	sc.min2 = (OM_uint32)KRB5KRB_AP_ERR_SKEW;
	CHECK(answer(a, SPNEGO_ACCEPT_COMPLETED, false) == -EKEYREJECTED);
	CHECK(strncmp(err, "clock skew too great for cifs/fs.example", 40) == 0);
	auth_free(a);
}

static void test_no_mutual_auth(void)
{
	script();
	struct auth_ctx *a = started();
	sc.flags = GSS_C_INTEG_FLAG;
	CHECK(answer(a, SPNEGO_ACCEPT_COMPLETED, false) == -EACCES);
	CHECK(strstr(err, "did not authenticate itself") != NULL);
	auth_free(a);
}

static void test_missing_session_key(void)
{
	script();
	struct auth_ctx *a = started();
	sc.inq_maj = GSS_S_UNAVAILABLE;
	CHECK(answer(a, SPNEGO_ACCEPT_COMPLETED, false) == 0);
	uint8_t key[16];
	CHECK(auth_session_key(a, key) == -ENOKEY);
	CHECK(strstr(err, "no session key") != NULL);
	auth_free(a);
}

static void test_bad_mic(void)
{
	script();
	struct auth_ctx *a = started();
	sc.vmic_maj = GSS_S_BAD_SIG;
	CHECK(answer(a, SPNEGO_ACCEPT_COMPLETED, true) == -EBADMSG);
	auth_free(a);
}

/* A server whose NEGOTIATE hint lists only Kerberos: an NTLM logon (sec=ntlmssp) is refused, not tried. */
static void test_only_kerberos_offered(void)
{
	struct wbuf hint, out;
	struct auth_ctx *a = NULL;
	uint8_t h[16] = {0};
	struct auth_creds cr = {.user = "u", .nt_hash = h, .mech = AUTH_MECH_NTLMSSP};
	wbuf_init(&hint, 0);
	wbuf_init(&out, 0);
	spnego_init_encode(&hint, spnego_oid_ms_krb5, sizeof(spnego_oid_ms_krb5), NULL, 0, NULL);
	CHECK(auth_new(&cr, &a) == 0);
	CHECK(auth_step(a, hint.p, hint.len, &out) == -EACCES && out.len == 0);
	auth_free(a);
	/* and Kerberos takes the MS-KRB5 OID Windows lists for it */
	script();
	struct auth_creds kc = {.mech = AUTH_MECH_KRB5, .target_host = "fs.example"};
	CHECK(auth_new(&kc, &a) == 0);
	CHECK(auth_step(a, hint.p, hint.len, &out) == 1);
	auth_free(a);
	wbuf_free(&hint);
	wbuf_free(&out);
}

/* The real libkrb5: a cache that does not exist is "no ticket ... run kinit" at auth_new. */
static void test_no_ticket_real(void)
{
	auth_gss_reset();
	char conf[] = "/tmp/smbfuse-krb5-test-XXXXXX";
	int fd = mkstemp(conf);
	CHECK(fd >= 0);
	const char *txt = "[libdefaults]\n default_realm = EXAMPLE.TEST\n dns_lookup_kdc = false\n";
	CHECK(write(fd, txt, strlen(txt)) == (ssize_t)strlen(txt));
	close(fd);
	setenv("KRB5_CONFIG", conf, 1);
	struct auth_creds cr = {.mech = AUTH_MECH_KRB5, .target_host = "fs.example", .errbuf = err,
				.errlen = sizeof(err), .krb5_ccache = "FILE:/nonexistent/smbfuse-test-cc"};
	struct auth_ctx *a = NULL;
	struct wbuf out;
	wbuf_init(&out, 0);
	int rc = auth_new(&cr, &a);
	if (rc == 0) /* some libkrb5 versions wait for init_sec_context to look at the cache */
		rc = auth_step(a, NULL, 0, &out);
	CHECK(rc == -ENOKEY);
	CHECK(strcmp(err, "no Kerberos ticket for cifs/fs.example: run kinit") == 0);
	auth_free(a);
	wbuf_free(&out);
	unlink(conf);
}

int main(void)
{
	test_success_and_key();
	test_lifetime();
	test_acceptor_rejects();
	test_no_mutual_auth();
	test_missing_session_key();
	test_bad_mic();
	test_only_kerberos_offered();
	test_no_ticket_real();
	auth_gss_reset();
	return tap_done();
}
