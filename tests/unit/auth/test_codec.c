/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SPNEGO and NTLMSSP codecs: real Samba tokens decode as expected, round trips, DER edge cases, and every
 * truncation and single-bit flip of every vector is rejected or decoded with all views inside the buffer
 * (run under ASan/UBSan, so an out-of-bounds read fails the test).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "smbfuse/ntlmssp.h"

static const char *vectors[] = {"spnego_samba_negotiate_hint.hex", "spnego_samba_client_init.hex",
				"spnego_samba_challenge.hex", "spnego_samba_client_auth.hex",
				"spnego_samba_final.hex"};

static bool in(const uint8_t *b, size_t n, const uint8_t *p, size_t len)
{
	return !p || (p >= b && len <= n && (size_t)(p - b) <= n - len);
}

/* Decode with every decoder; returns false if any success yields a view outside [b, b+n). */
static bool decode_all(const uint8_t *b, size_t n)
{
	struct spnego_init si;
	struct spnego_resp r;
	struct ntlm_challenge ch;
	struct ntlm_authenticate_view av;
	bool ok = true;
	if (spnego_init_decode(b, n, &si) == 0) {
		ok &= in(b, n, si.mech_types, si.mech_types_len) && in(b, n, si.mech_token, si.mech_token_len);
		(void)spnego_init_offers(&si, spnego_oid_ntlmssp, sizeof(spnego_oid_ntlmssp));
	}
	if (spnego_resp_decode(b, n, &r) == 0) {
		ok &= in(b, n, r.response_token, r.response_token_len) && in(b, n, r.mech_list_mic, r.mech_list_mic_len);
		ok &= in(b, n, r.supported_mech, r.supported_mech_len);
		if (r.response_token && ntlm_challenge_decode(r.response_token, r.response_token_len, &ch) == 0) {
			ok &= in(b, n, ch.target_info, ch.target_info_len) && in(b, n, ch.target_name, ch.target_name_len);
			struct ntlm_av a;
			(void)ntlm_av_find(ch.target_info, ch.target_info_len, MSV_AV_TIMESTAMP, &a);
		}
		if (r.response_token && ntlm_authenticate_decode(r.response_token, r.response_token_len, &av) == 0)
			ok &= in(b, n, av.nt_response, av.nt_response_len) && in(b, n, av.user, av.user_len) &&
			      in(b, n, av.mic, av.mic ? 16 : 0);
	}
	if (ntlm_challenge_decode(b, n, &ch) == 0)
		ok &= in(b, n, ch.target_info, ch.target_info_len);
	return ok;
}

static void test_samba_tokens(void)
{
	size_t n;
	uint8_t *b = tap_load_hex("spnego_samba_negotiate_hint.hex", &n);
	struct spnego_init si;
	struct spnego_resp r;
	struct ntlm_challenge ch;
	struct ntlm_av a;
	CHECK(spnego_init_decode(b, n, &si) == 0 && si.mech_token == NULL);
	CHECK(spnego_init_offers(&si, spnego_oid_ntlmssp, sizeof(spnego_oid_ntlmssp)) == 1);
	free(b);
	b = tap_load_hex("spnego_samba_client_init.hex", &n);
	CHECK(spnego_init_decode(b, n, &si) == 0 && si.mech_token_len >= 32);
	CHECK(si.mech_token && memcmp(si.mech_token, "NTLMSSP\0\1", 9) == 0);
	free(b);
	b = tap_load_hex("spnego_samba_challenge.hex", &n);
	CHECK(spnego_resp_decode(b, n, &r) == 0 && r.neg_state == SPNEGO_ACCEPT_INCOMPLETE);
	CHECK(r.supported_mech_len == sizeof(spnego_oid_ntlmssp));
	CHECK(ntlm_challenge_decode(r.response_token, r.response_token_len, &ch) == 0);
	CHECK((ch.flags & NTLMSSP_NEGOTIATE_UNICODE) && ch.target_name_len == 14 && ch.has_version);
	CHECK(ntlm_av_find(ch.target_info, ch.target_info_len, MSV_AV_TIMESTAMP, &a) == 0 && a.len == 8);
	CHECK(ntlm_av_find(ch.target_info, ch.target_info_len, MSV_AV_NB_COMPUTER_NAME, &a) == 0);
	CHECK(ntlm_av_find(ch.target_info, ch.target_info_len, MSV_AV_TARGET_NAME, &a) == -ENOENT);
	free(b);
	b = tap_load_hex("spnego_samba_final.hex", &n);
	CHECK(spnego_resp_decode(b, n, &r) == 0 && r.neg_state == SPNEGO_ACCEPT_COMPLETED);
	CHECK(r.mech_list_mic_len == 16 && r.response_token == NULL);
	free(b);
}

static void test_roundtrips(void)
{
	struct wbuf w, mt;
	struct spnego_init si;
	struct spnego_resp r;
	uint8_t big[70000];
	memset(big, 0x42, sizeof(big));
	wbuf_init(&w, 0);
	wbuf_init(&mt, 0);
	size_t sizes[] = {0, 1, 127, 128, 255, 256, 65535, 65536, sizeof(big)};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		wbuf_reset(&w), wbuf_reset(&mt);
		CHECK(spnego_init_encode(&w, spnego_oid_ntlmssp, 10, big, sizes[i], &mt) == 0);
		CHECK(spnego_init_decode(w.p, w.len, &si) == 0 && si.mech_token_len == sizes[i]);
		CHECK(mt.len == 14 && si.mech_types_len == 12);
		wbuf_reset(&w);
		CHECK(spnego_resp_encode(&w, SPNEGO_ACCEPT_INCOMPLETE, big, sizes[i], big, 16) == 0);
		CHECK(spnego_resp_decode(w.p, w.len, &r) == 0 && r.response_token_len == sizes[i] &&
		      r.mech_list_mic_len == 16 && r.neg_state == 1);
	}
	/* DER edge cases: indefinite length, 5-byte length, length beyond the buffer, trailing bytes. */
	CHECK(spnego_resp_decode((const uint8_t *)"\xa1\x80\x30\x00\x00\x00", 6, &r) == -EBADMSG);
	CHECK(spnego_resp_decode((const uint8_t *)"\xa1\x85\x00\x00\x00\x00\x02\x30\x00", 9, &r) == -EBADMSG);
	CHECK(spnego_resp_decode((const uint8_t *)"\xa1\x03\x30\x00", 4, &r) == -EBADMSG);
	CHECK(spnego_resp_decode((const uint8_t *)"\xa1\x02\x30\x00\x00", 5, &r) == -EBADMSG);
	CHECK(spnego_resp_decode((const uint8_t *)"\xa1\x02\x30\x00", 4, &r) == 0 && r.neg_state == SPNEGO_ABSENT);
	CHECK(spnego_resp_decode((const uint8_t *)"\xa1\x81\x02\x30\x00", 5, &r) == 0); /* non-minimal: tolerated */
	/* Out-of-order context tags. */
	CHECK(spnego_resp_decode((const uint8_t *)"\xa1\x0c\x30\x0a\xa2\x03\x04\x01\x00\xa0\x03\x0a\x01\x00", 14,
				 &r) == -EBADMSG);

	/* NTLMSSP: NEGOTIATE bytes and AUTHENTICATE round trip. */
	wbuf_reset(&w);
	CHECK(ntlm_negotiate_encode(&w, 0x62088215, NULL) == 0 && w.len == 40);
	CHECK(memcmp(w.p, "NTLMSSP\0\1\0\0\0\x15\x82\x08\x62", 16) == 0);
	CHECK(ntlm_negotiate_encode(&w, NTLMSSP_NEGOTIATE_OEM_DOMAIN_SUPPLIED, NULL) == -EINVAL);
	wbuf_reset(&w);
	wbuf_u32(&w, 0xdeadbeef); /* the MIC offset is reported from the start of the buffer */
	struct ntlm_authenticate am = {.flags = NTLMSSP_NEGOTIATE_UNICODE, .lm_response = big, .lm_response_len = 24,
				       .nt_response = big, .nt_response_len = 100, .domain = "D", .user = "üser",
				       .workstation = "WS", .enc_session_key = big, .enc_session_key_len = 16,
				       .with_mic = true};
	size_t mic_off;
	struct ntlm_authenticate_view av;
	CHECK(ntlm_authenticate_encode(&w, &am, &mic_off) == 0 && mic_off == 4 + 72);
	CHECK(ntlm_authenticate_decode(w.p + 4, w.len - 4, &av) == 0);
	CHECK(av.mic == w.p + 4 + 72 && av.nt_response_len == 100 && av.user_len == 8 && av.domain_len == 2);
	am.flags = 0;
	CHECK(ntlm_authenticate_encode(&w, &am, &mic_off) == -EINVAL);
	wbuf_free(&w), wbuf_free(&mt);

	/* AV_PAIR lists: missing EOL, a pair running past the end. */
	CHECK(ntlm_av_validate((const uint8_t *)"\x01\x00\x02\x00\x41\x00", 6) == -EBADMSG);
	CHECK(ntlm_av_validate((const uint8_t *)"\x01\x00\x08\x00\x41\x00\x00\x00", 8) == -EBADMSG);
	CHECK(ntlm_av_validate((const uint8_t *)"\x01\x00\x02\x00\x41\x00\x00\x00\x00\x00", 10) == 0);
}

static void test_mutations(void)
{
	for (size_t v = 0; v < sizeof(vectors) / sizeof(vectors[0]); v++) {
		size_t n;
		uint8_t *b = tap_load_hex(vectors[v], &n);
		bool ok = decode_all(b, n);
		for (size_t t = 0; t < n; t++) { /* truncations, in a buffer of exactly that size */
			uint8_t *c = malloc(t ? t : 1);
			memcpy(c, b, t);
			ok &= decode_all(c, t);
			free(c);
		}
		for (size_t i = 0; i < n * 8; i++) {
			b[i / 8] ^= (uint8_t)(1u << (i % 8));
			ok &= decode_all(b, n);
			b[i / 8] ^= (uint8_t)(1u << (i % 8));
		}
		CHECK(ok);
		free(b);
	}
}

int main(void)
{
	test_samba_tokens();
	test_roundtrips();
	test_mutations();
	return tap_done();
}
