/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NTLM: MS-NLMP 4.2.4 (NTLMv2) and 4.2.2 (legacy NTLMv1) byte for byte, the whole initiator against a 4.2.4
 * CHALLENGE, anonymous, refusals, and a cross-check of random exchanges with an independent Python NTLMv2
 * (ntlm_ref.py, run with /usr/bin/python3).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "../tap.h"
#include "../../../src/auth/auth_i.h"
#include "smbfuse/auth.h"
#include "smbfuse/ntlmssp.h"
#include "smbfuse/util.h"

static const uint8_t schal[8] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};

/* MS-NLMP 4.2.4 TargetInfo: NbDomainName "Domain", NbComputerName "Server", EOL. */
static void tinfo_424(struct wbuf *w)
{
	wbuf_u16(w, MSV_AV_NB_DOMAIN_NAME), wbuf_u16(w, 12), wbuf_utf16(w, "Domain", 6);
	wbuf_u16(w, MSV_AV_NB_COMPUTER_NAME), wbuf_u16(w, 12), wbuf_utf16(w, "Server", 6);
	wbuf_u32(w, 0);
}

static void test_v2_primitives(void)
{
	size_t n;
	uint8_t *v = tap_load_hex("ntlm_v2_4_2_4.hex", &n), rk[16], sbk[16], lm[24];
	struct wbuf ti, nt;
	uint8_t cchal[8];
	memset(cchal, 0xaa, 8);
	wbuf_init(&ti, 0);
	wbuf_init(&nt, 0);
	tinfo_424(&ti);
	CHECK(ntlm_ntowfv2("Password", "User", "Domain", rk) == 0);
	CHECK_MEM(rk, v, 16);
	CHECK(ntlm_v2_response(rk, schal, cchal, 0, ti.p, ti.len, &nt, sbk) == 0);
	CHECK_MEM(nt.p, v + 16, 16);
	CHECK_MEM(sbk, v + 32, 16);
	CHECK(nt.len == n - 64);
	CHECK_MEM(nt.p, v + 64, n - 64);
	size_t ln;
	uint8_t *lmv = tap_load_hex("ntlm_lmv2_4_2_4.hex", &ln);
	CHECK(ntlm_lmv2_response(rk, schal, cchal, lm) == 0);
	CHECK_MEM(lm, lmv, 24);
	wbuf_free(&ti), wbuf_free(&nt), free(v), free(lmv);
}

static void test_v1_legacy(void)
{
	size_t n;
	uint8_t *v = tap_load_hex("ntlm_v1_4_2_2.hex", &n), h[16], lmh[16], r[24];
	CHECK(n == 16 * 3 + 24 * 2);
	CHECK(ntlm_nt_hash("Password", h) == 0);
	CHECK_MEM(h, v, 16);
	CHECK(ntlm_legacy_lm_hash("Password", lmh) == 0);
	CHECK_MEM(lmh, v + 16, 16);
	CHECK(ntlm_legacy_v1_session_key(h, r) == 0);
	CHECK_MEM(r, v + 32, 16);
	CHECK(ntlm_legacy_v1_response(h, schal, r) == 0);
	CHECK_MEM(r, v + 48, 24);
	CHECK(ntlm_legacy_v1_response(lmh, schal, r) == 0);
	CHECK_MEM(r, v + 72, 24);
	CHECK(ntlm_legacy_lm_hash("123456789012345", lmh) == -E2BIG);
	free(v);
}

/* A CHALLENGE_MESSAGE as in MS-NLMP 4.2.4.3: flags e28a8233, TargetName "Server", the 4.2.4 TargetInfo. */
static void challenge_424(struct wbuf *w, const struct wbuf *ti)
{
	wbuf_bytes(w, "NTLMSSP", 8);
	wbuf_u32(w, NTLMSSP_CHALLENGE);
	wbuf_u16(w, 12), wbuf_u16(w, 12), wbuf_u32(w, 56);
	wbuf_u32(w, 0xe28a8233);
	wbuf_bytes(w, schal, 8);
	wbuf_zero(w, 8);
	wbuf_u16(w, (uint16_t)ti->len), wbuf_u16(w, (uint16_t)ti->len), wbuf_u32(w, 68);
	wbuf_u8(w, 6), wbuf_u8(w, 0), wbuf_u16(w, 6000), wbuf_zero(w, 3), wbuf_u8(w, 15);
	wbuf_utf16(w, "Server", 6);
	wbuf_bytes(w, ti->p, ti->len);
}

/* Run our initiator up to its AUTHENTICATE; returns the NTLMSSP token view inside *out. */
static int run_to_auth(struct auth_ctx *a, const uint8_t *chal, size_t chal_len, struct wbuf *out,
		       struct ntlm_authenticate_view *av)
{
	struct wbuf tok;
	struct spnego_resp r;
	wbuf_init(&tok, 0);
	wbuf_reset(out);
	if (auth_step(a, NULL, 0, out) != 1)
		return -1;
	spnego_resp_encode(&tok, SPNEGO_ACCEPT_INCOMPLETE, chal, chal_len, NULL, 0);
	wbuf_reset(out);
	int rc = auth_step(a, tok.p, tok.len, out);
	wbuf_free(&tok);
	if (rc != 1)
		return rc;
	if (spnego_resp_decode(out->p, out->len, &r) || !r.response_token)
		return -2;
	return ntlm_authenticate_decode(r.response_token, r.response_token_len, av);
}

static void test_initiator_424(void)
{
	size_t n;
	uint8_t *v = tap_load_hex("ntlm_v2_4_2_4.hex", &n), *lm = tap_load_hex("ntlm_lmv2_4_2_4.hex", &n);
	struct wbuf ti, ch, out;
	struct ntlm_authenticate_view av;
	struct auth_ctx *a;
	uint8_t cchal[8], key[16], k[16];
	memset(cchal, 0xaa, 8);
	memset(key, 0x55, 16);
	wbuf_init(&ti, 0), wbuf_init(&ch, 0), wbuf_init(&out, 0);
	tinfo_424(&ti);
	challenge_424(&ch, &ti);
	struct auth_creds cr = {.user = "User", .password = "Password", .domain = "Domain", .workstation = "COMPUTER"};
	CHECK(auth_new(&cr, &a) == 0);
	ntlm_test_fix_randoms(a, cchal, key);
	CHECK(run_to_auth(a, ch.p, ch.len, &out, &av) == 0);
	size_t vn;
	free(v);
	v = tap_load_hex("ntlm_v2_4_2_4.hex", &vn);
	CHECK(av.nt_response_len == vn - 64);
	CHECK_MEM(av.nt_response, v + 64, vn - 64);
	CHECK(av.lm_response_len == 24);
	CHECK_MEM(av.lm_response, lm, 24);
	CHECK(av.enc_session_key_len == 16);
	CHECK_MEM(av.enc_session_key, v + 48, 16);
	CHECK(av.mic == NULL); /* no MsvAvTimestamp in 4.2.4: no MIC */
	CHECK(av.flags & NTLMSSP_NEGOTIATE_KEY_EXCH);
	CHECK(auth_session_key(a, k) == 0);
	CHECK_MEM(k, key, 16);
	CHECK(!auth_is_anonymous(a));
	auth_free(a);
	wbuf_free(&ti), wbuf_free(&ch), wbuf_free(&out), free(v), free(lm);
}

static void test_anonymous(void)
{
	struct wbuf ti, ch, out;
	struct ntlm_authenticate_view av;
	struct auth_ctx *a;
	uint8_t k[16];
	wbuf_init(&ti, 0), wbuf_init(&ch, 0), wbuf_init(&out, 0);
	tinfo_424(&ti);
	challenge_424(&ch, &ti);
	struct auth_creds cr = {.anonymous = true, .user = "ignored", .password = "ignored"};
	CHECK(auth_new(&cr, &a) == 0 && auth_is_anonymous(a));
	CHECK(run_to_auth(a, ch.p, ch.len, &out, &av) == 0);
	CHECK(av.lm_response_len == 1 && av.lm_response[0] == 0);
	CHECK(av.nt_response_len == 0 && av.user_len == 0 && av.enc_session_key_len == 0);
	CHECK(av.flags & NTLMSSP_ANONYMOUS);
	CHECK(auth_session_key(a, k) == -ENOKEY);
	struct spnego_resp r;
	CHECK(spnego_resp_decode(out.p, out.len, &r) == 0 && r.mech_list_mic == NULL);
	wbuf_reset(&out);
	CHECK(auth_step(a, NULL, 0, &out) == 0);
	auth_free(a);
	wbuf_free(&ti), wbuf_free(&ch), wbuf_free(&out);
}

static void test_refusals(void)
{
	struct auth_creds cr = {.user = "u", .password = "p"};
	struct auth_ctx *a;
	struct wbuf out, tok;
	wbuf_init(&out, 0), wbuf_init(&tok, 0);
	/* A hint offering only Kerberos (1.2.840.113554.1.2.2). */
	static const uint8_t krb[9] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02};
	spnego_init_encode(&tok, krb, sizeof(krb), NULL, 0, NULL);
	CHECK(auth_new(&cr, &a) == 0);
	CHECK(auth_step(a, tok.p, tok.len, &out) == -EACCES);
	CHECK(auth_step(a, NULL, 0, &out) == -EPROTO);
	auth_free(a);
	CHECK(auth_new(&cr, &a) == 0);
	CHECK(auth_step(a, (const uint8_t *)"\x60\x80", 2, &out) == -EBADMSG);
	auth_free(a);
	/* The acceptor rejects. */
	CHECK(auth_new(&cr, &a) == 0);
	CHECK(auth_step(a, NULL, 0, &out) == 1);
	wbuf_reset(&tok);
	spnego_resp_encode(&tok, SPNEGO_REJECT, NULL, 0, NULL, 0);
	CHECK(auth_step(a, tok.p, tok.len, &out) == -EACCES);
	auth_free(a);
	/* A CHALLENGE that is not one. */
	CHECK(auth_new(&cr, &a) == 0);
	CHECK(auth_step(a, NULL, 0, &out) == 1);
	wbuf_reset(&tok);
	spnego_resp_encode(&tok, SPNEGO_ACCEPT_INCOMPLETE, (const uint8_t *)"NTLMSSP\0\x03", 9, NULL, 0);
	CHECK(auth_step(a, tok.p, tok.len, &out) == -EBADMSG);
	auth_free(a);
	CHECK(auth_new(NULL, &a) == -EINVAL && a == NULL);
	wbuf_free(&out), wbuf_free(&tok);
}

static void hex(char *dst, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sprintf(dst + 2 * i, "%02x", p[i]);
	dst[2 * n] = 0;
}

/* Random user/domain/password/challenge/TargetInfo (with a timestamp, so MIC + MsvAvFlags are exercised):
 * our AUTHENTICATE's NTProofStr, SessionBaseKey-derived encrypted key and MIC must match Python's. */
static void test_python_crosscheck(void)
{
	static const char *names[] = {"alice", "Bob.Smith", "üser", "x"};
	for (int round = 0; round < 4; round++) {
		uint8_t sc[8], ts[8], cchal[8], key[16], rnd[24];
		RAND_bytes(sc, 8), RAND_bytes(ts, 8), RAND_bytes(cchal, 8), RAND_bytes(key, 16), RAND_bytes(rnd, 24);
		struct wbuf ti, ch, out;
		wbuf_init(&ti, 0), wbuf_init(&ch, 0), wbuf_init(&out, 0);
		wbuf_u16(&ti, MSV_AV_NB_DOMAIN_NAME), wbuf_u16(&ti, 8), wbuf_utf16(&ti, "DOM1", 4);
		wbuf_u16(&ti, MSV_AV_DNS_COMPUTER_NAME), wbuf_u16(&ti, 24), wbuf_bytes(&ti, rnd, 24);
		wbuf_u16(&ti, MSV_AV_TIMESTAMP), wbuf_u16(&ti, 8), wbuf_bytes(&ti, ts, 8);
		wbuf_u32(&ti, 0);
		challenge_424(&ch, &ti);
		memcpy(ch.p + 24, sc, 8);
		char pw[32];
		snprintf(pw, sizeof(pw), "pw%02x%02x!", rnd[0], rnd[1]);
		struct auth_creds cr = {.user = names[round], .password = pw, .domain = "Dom", .target_host = "srv"};
		struct auth_ctx *a;
		struct ntlm_authenticate_view av;
		CHECK(auth_new(&cr, &a) == 0);
		ntlm_test_fix_randoms(a, cchal, key);
		CHECK(run_to_auth(a, ch.p, ch.len, &out, &av) == 0);
		CHECK(av.mic != NULL && av.nt_response_len > 44);
		static const uint8_t z24[24];
		CHECK(av.lm_response_len == 24 && memcmp(av.lm_response, z24, 24) == 0);
		/* The TargetInfo we sent: server pairs, MsvAvFlags with MIC_PRESENT, cifs/srv, EOL. */
		const uint8_t *sent = av.nt_response + 44;
		size_t sent_len = av.nt_response_len - 44 - 4;
		struct ntlm_av f;
		CHECK(ntlm_av_find(sent, sent_len, MSV_AV_FLAGS, &f) == 0 && f.len == 4 &&
		      (get_le32(f.val) & MSV_AV_FLAG_MIC_PRESENT));
		CHECK(ntlm_av_find(sent, sent_len, MSV_AV_TARGET_NAME, &f) == 0 && f.len == 16);
		CHECK(ntlm_av_find(sent, sent_len, MSV_AV_TIMESTAMP, &f) == 0 && memcmp(f.val, ts, 8) == 0);
		CHECK(get_le64(av.nt_response + 24) == get_le64(ts));

		char cmd[4096], h_sc[17], h_cc[17], h_ts[17], h_key[33], *h_ti = malloc(2 * sent_len + 1);
		if (!h_ti)
			abort();
		hex(h_sc, sc, 8), hex(h_cc, cchal, 8), hex(h_ts, ts, 8), hex(h_key, key, 16), hex(h_ti, sent, sent_len);
		snprintf(cmd, sizeof(cmd), "/usr/bin/python3 %s/ntlm_ref.py v2 '%s' Dom '%s' %s %s %s %s %s",
			 SMBFUSE_AUTH_TESTDIR, names[round], pw, h_sc, h_cc, h_ts, h_ti, h_key);
		FILE *p = popen(cmd, "r");
		char line[4][2100] = {{0}};
		for (int i = 0; p && i < 4; i++)
			if (!fgets(line[i], sizeof(line[i]), p))
				line[i][0] = 0;
		CHECK(p && pclose(p) == 0);
		char got[2100];
		hex(got, av.nt_response, 16);
		CHECK(strncmp(line[0], got, 32) == 0);
		hex(got, av.nt_response, av.nt_response_len);
		CHECK(strncmp(line[1], got, strlen(got)) == 0);
		hex(got, av.enc_session_key, 16);
		CHECK(strncmp(line[3], got, 32) == 0);
		free(h_ti);
		auth_free(a);
		wbuf_free(&ti), wbuf_free(&ch), wbuf_free(&out);
	}
}

int main(void)
{
	test_v2_primitives();
	test_v1_legacy();
	test_initiator_424();
	test_anonymous();
	test_refusals();
	test_python_crosscheck();
	return tap_done();
}
