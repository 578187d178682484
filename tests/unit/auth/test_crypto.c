/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Known-answer tests of the auth layer's primitives: MD4 (RFC 1320), HMAC-SHA256 (RFC 4231), AES-CMAC
 * (RFC 4493), AES-128/256-GCM (McGrew-Viega test cases, the GMAC engine), AES-256-CCM, SMB 3.x key derivation,
 * encryption round
 * trips, and a whole real SMB 3.1.1 exchange with Samba: preauth hash -> keys -> AES-GMAC signatures.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "../../../src/auth/auth_i.h"
#include "smbfuse/auth.h"
#include "smbfuse/ntlmssp.h"
#include "smbfuse/util.h"

static uint8_t *H(const char *hex)
{
	size_t n;
	return tap_hex(hex, &n);
}

static void test_md4(void)
{
	static const struct {
		const char *in, *out;
	} v[] = {
		{"", "31d6cfe0d16ae931b73c59d7e0c089c0"},
		{"a", "bde52cb31de33e46245e05fbdbd6fb24"},
		{"abc", "a448017aaf21d8525fc10ae87aa6729d"},
		{"message digest", "d9130a8164549fe818874806e1c7014b"},
		{"12345678901234567890123456789012345678901234567890123456789012345678901234567890",
		 "e33b4ddc9c38f2199c3e7b164fcc0536"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
		uint8_t d[16], *want = H(v[i].out);
		md4_digest(v[i].in, strlen(v[i].in), d);
		CHECK_MEM(d, want, 16);
		free(want);
	}
}

static void test_rc4(void)
{
	/* Key "Key", plaintext "Plaintext" -> bbf316e8d940af0ad3 (the classic published example). */
	struct rc4 r;
	uint8_t out[9], *want = H("bbf316e8d940af0ad3");
	rc4_init(&r, (const uint8_t *)"Key", 3);
	rc4_crypt(&r, (const uint8_t *)"Plaintext", out, 9);
	CHECK_MEM(out, want, 9);
	free(want);
}

static void test_hmac_sha256(void)
{
	/* RFC 4231 test cases 1 and 2. */
	uint8_t k1[20], mac[32];
	memset(k1, 0x0b, sizeof(k1));
	struct iovec v1 = {(void *)"Hi There", 8};
	uint8_t *w1 = H("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	CHECK(auth_hmac("SHA256", k1, 20, &v1, 1, mac, 32) == 32);
	CHECK_MEM(mac, w1, 32);
	struct iovec v2[2] = {{(void *)"what do ya want ", 16}, {(void *)"for nothing?", 12}};
	uint8_t *w2 = H("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	CHECK(auth_hmac("SHA256", (const uint8_t *)"Jefe", 4, v2, 2, mac, 32) == 32);
	CHECK_MEM(mac, w2, 32);
	free(w1);
	free(w2);
}

static void test_cmac(void)
{
	/* RFC 4493 4: AES-128 key, messages of 0, 16, 40 and 64 bytes. */
	uint8_t *key = H("2b7e151628aed2a6abf7158809cf4f3c");
	uint8_t *m = H("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
		       "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710");
	static const struct {
		size_t n;
		const char *t;
	} v[] = {{0, "bb1d6929e95937287fa37d129b756746"},
		 {16, "070a16b46b4d4144f79bdd9dd04a287c"},
		 {40, "dfa66747de9ae63030ca32611497c827"},
		 {64, "51f0bebf7e3b9d92fc49741779363cfe"}};
	for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
		uint8_t t[16], *want = H(v[i].t);
		struct iovec io[2] = {{m, v[i].n / 2}, {m + v[i].n / 2, v[i].n - v[i].n / 2}};
		CHECK(auth_cmac_aes128(key, io, 2, t) == 0);
		CHECK_MEM(t, want, 16);
		free(want);
	}
	free(key);
	free(m);
}

static void test_gcm(void)
{
	/* McGrew-Viega GCM test cases 1, 2 and 4 (AES-128, 96-bit IV). */
	uint8_t zk[16] = {0}, zn[12] = {0}, tag[16], out[64];
	uint8_t *t1 = H("58e2fccefa7e3061367f1d57a4e7455a");
	CHECK(smb2_encrypt(SMB2_ENCRYPTION_AES128_GCM, zk, zn, NULL, 0, NULL, 0, out, tag) == 0);
	CHECK_MEM(tag, t1, 16);
	uint8_t zp[16] = {0};
	struct iovec io = {zp, 16};
	uint8_t *c2 = H("0388dace60b6a392f328c2b971b2fe78"), *t2 = H("ab6e47d42cec13bdf53a67b21257bddf");
	CHECK(smb2_encrypt(SMB2_ENCRYPTION_AES128_GCM, zk, zn, NULL, 0, &io, 1, out, tag) == 0);
	CHECK_MEM(out, c2, 16);
	CHECK_MEM(tag, t2, 16);

	uint8_t *k = H("feffe9928665731c6d6a8f9467308308"), *iv = H("cafebabefacedbaddecaf888");
	uint8_t *a = H("feedfacedeadbeeffeedfacedeadbeefabaddad2");
	uint8_t *p = H("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
		       "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39");
	uint8_t *c = H("42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
		       "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091");
	uint8_t *t4 = H("5bc94fbc3221a5db94fae95ae7121a47");
	struct iovec pio[2] = {{p, 20}, {p + 20, 40}};
	CHECK(smb2_encrypt(SMB2_ENCRYPTION_AES128_GCM, k, iv, a, 20, pio, 2, out, tag) == 0);
	CHECK_MEM(out, c, 60);
	CHECK_MEM(tag, t4, 16);
	uint8_t back[60];
	CHECK(smb2_decrypt(SMB2_ENCRYPTION_AES128_GCM, k, iv, a, 20, c, 60, t4, back) == 0);
	CHECK_MEM(back, p, 60);
	t4[0] ^= 1;
	CHECK(smb2_decrypt(SMB2_ENCRYPTION_AES128_GCM, k, iv, a, 20, c, 60, t4, back) == -EBADMSG);
	free(t1), free(c2), free(t2), free(k), free(iv), free(a), free(p), free(c), free(t4);
}

static void test_aes256(void)
{
	/* McGrew-Viega GCM test cases 13, 14 and 16: AES-256, 96-bit IV. */
	uint8_t zk[32] = {0}, zn[12] = {0}, zp[16] = {0}, tag[16], out[64], back[64];
	uint8_t *t13 = H("530f8afbc74536b9a963b4f1c4cb738b");
	CHECK(smb2_encrypt(SMB2_ENCRYPTION_AES256_GCM, zk, zn, NULL, 0, NULL, 0, out, tag) == 0);
	CHECK_MEM(tag, t13, 16);
	struct iovec zio = {zp, 16};
	uint8_t *c14 = H("cea7403d4d606b6e074ec5d3baf39d18"), *t14 = H("d0d1c8a799996bf0265b98b5d48ab919");
	CHECK(smb2_encrypt(SMB2_ENCRYPTION_AES256_GCM, zk, zn, NULL, 0, &zio, 1, out, tag) == 0);
	CHECK_MEM(out, c14, 16);
	CHECK_MEM(tag, t14, 16);
	uint8_t *k = H("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308");
	uint8_t *iv = H("cafebabefacedbaddecaf888"), *a = H("feedfacedeadbeeffeedfacedeadbeefabaddad2");
	uint8_t *p = H("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
		       "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39");
	uint8_t *c = H("522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
		       "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662");
	uint8_t *t16 = H("76fc6ece0f4e1768cddf8853bb2d551b");
	struct iovec pio = {p, 60};
	CHECK(smb2_encrypt(SMB2_ENCRYPTION_AES256_GCM, k, iv, a, 20, &pio, 1, out, tag) == 0);
	CHECK_MEM(out, c, 60);
	CHECK_MEM(tag, t16, 16);
	CHECK(smb2_decrypt(SMB2_ENCRYPTION_AES256_GCM, k, iv, a, 20, c, 60, t16, back) == 0);
	CHECK_MEM(back, p, 60);
	/* A 128-bit cipher must not accept the 256-bit answer (the key length is the cipher's, not the caller's). */
	CHECK(smb2_decrypt(SMB2_ENCRYPTION_AES128_GCM, k, iv, a, 20, c, 60, t16, back) == -EBADMSG);

	/* AES-256-CCM with SMB's 11-byte nonce and 32-byte AAD (the TRANSFORM header's shape). No published
	 * vector uses these sizes; computed with python3-cryptography 38 (AESCCM, tag 16). */
	uint8_t ck[32], cn[11], caad[32];
	for (int i = 0; i < 32; i++)
		ck[i] = (uint8_t)(0x40 + i), caad[i] = (uint8_t)i;
	for (int i = 0; i < 11; i++)
		cn[i] = (uint8_t)(0xb0 + i);
	static const char msg[] = "smbfuse AES-256-CCM known answer";
	uint8_t *cc = H("a14e1df6b9283a6ec11bc4fb623bf05b5d6323980b419e995f998790d4468263");
	uint8_t *ct = H("76187449b1f3f196d4fbe009ca3de3b3");
	struct iovec mio = {(void *)msg, 32};
	CHECK(smb2_encrypt(SMB2_ENCRYPTION_AES256_CCM, ck, cn, caad, 32, &mio, 1, out, tag) == 0);
	CHECK_MEM(out, cc, 32);
	CHECK_MEM(tag, ct, 16);
	CHECK(smb2_decrypt(SMB2_ENCRYPTION_AES256_CCM, ck, cn, caad, 32, cc, 32, ct, back) == 0);
	CHECK_MEM(back, msg, 32);
	ct[15] ^= 1;
	CHECK(smb2_decrypt(SMB2_ENCRYPTION_AES256_CCM, ck, cn, caad, 32, cc, 32, ct, back) == -EBADMSG);

	CHECK(strcmp(smb2_cipher_name(SMB2_ENCRYPTION_AES256_GCM), "AES-256-GCM") == 0 &&
	      strcmp(smb2_cipher_name(SMB2_ENCRYPTION_AES256_CCM), "AES-256-CCM") == 0 &&
	      strcmp(smb2_cipher_name(0), "none") == 0 && strcmp(smb2_cipher_name(5), "unknown") == 0);
	CHECK(strcmp(smb2_sign_algo_name(SMB2_SIGN_AES_GMAC), "AES-128-GMAC") == 0 &&
	      strcmp(smb2_sign_algo_name((enum smb2_sign_algo)7), "unknown") == 0);
	free(t13), free(c14), free(t14), free(k), free(iv), free(a), free(p), free(c), free(t16), free(cc), free(ct);
}

static void test_seal_roundtrip(void)
{
	static const uint16_t ciphers[] = {SMB2_ENCRYPTION_AES128_CCM, SMB2_ENCRYPTION_AES128_GCM,
					   SMB2_ENCRYPTION_AES256_CCM, SMB2_ENCRYPTION_AES256_GCM};
	uint8_t key[32], nonce[16], msg[200];
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i * 3);
	for (size_t i = 0; i < sizeof(nonce); i++)
		nonce[i] = (uint8_t)(0xA0 + i);
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i ^ 0x5a);
	msg[0] = 0xFE, msg[1] = 'S', msg[2] = 'M', msg[3] = 'B';
	for (size_t c = 0; c < ARRAY_SIZE(ciphers); c++) {
		struct wbuf w, back;
		struct iovec io[2] = {{msg, 64}, {msg + 64, sizeof(msg) - 64}};
		uint64_t sid = 0;
		wbuf_init(&w, 0);
		wbuf_init(&back, 0);
		CHECK(smb2_seal(ciphers[c], key, nonce, 0x1122334455667788ull, io, 2, &w) == 0);
		CHECK(w.len == SMB2_TRANSFORM_HDR_LEN + sizeof(msg));
		CHECK(smb2_transform_session_id(w.p, w.len, &sid) == 0 && sid == 0x1122334455667788ull);
		CHECK(smb2_unseal(ciphers[c], key, w.p, w.len, &back) == 0);
		CHECK(back.len == sizeof(msg) && memcmp(back.p, msg, sizeof(msg)) == 0);
		/* Any bit flipped in the AAD, tag or ciphertext must be refused. */
		int bad = 0;
		for (size_t off = 4; off < w.len; off += 7) {
			if (off >= 36 && off < 44) /* OriginalMessageSize / Flags: refused before decryption */
				continue;
			w.p[off] ^= 0x10;
			wbuf_reset(&back);
			bad += smb2_unseal(ciphers[c], key, w.p, w.len, &back) == -EBADMSG;
			w.p[off] ^= 0x10;
			bad -= 1;
		}
		CHECK(bad == 0);
		CHECK(smb2_unseal(ciphers[c], key, w.p, w.len - 1, &back) == -EBADMSG);
		wbuf_free(&w);
		wbuf_free(&back);
	}
	CHECK(smb2_cipher_key_len(9) == 0 && smb2_cipher_nonce_len(9) == 0);
}

static void test_kdf(void)
{
	size_t n;
	uint8_t *v = tap_load_hex("crypto_smb3_kdf.hex", &n), sk[16], ph[64];
	struct smb2_keys k;
	CHECK(n == 6 * 16 + 2 * 32);
	for (int i = 0; i < 16; i++)
		sk[i] = (uint8_t)(0x10 + i);
	for (int i = 0; i < 64; i++)
		ph[i] = (uint8_t)((7 * i + 3) & 0xff);
	CHECK(smb2_derive_keys(0x0300, SMB2_ENCRYPTION_AES128_CCM, sk, NULL, &k) == 0 && k.enc_key_len == 16);
	CHECK_MEM(k.signing, v, 16);
	CHECK_MEM(k.enc_c2s, v + 16, 16);
	CHECK_MEM(k.dec_s2c, v + 32, 16);
	CHECK(smb2_derive_keys(0x0311, SMB2_ENCRYPTION_AES128_GCM, sk, ph, &k) == 0 && k.enc_key_len == 16);
	CHECK_MEM(k.signing, v + 48, 16);
	CHECK_MEM(k.enc_c2s, v + 64, 16);
	CHECK_MEM(k.dec_s2c, v + 80, 16);
	CHECK(smb2_derive_keys(0x0311, SMB2_ENCRYPTION_AES256_GCM, sk, ph, &k) == 0 && k.enc_key_len == 32);
	CHECK_MEM(k.signing, v + 48, 16);
	CHECK_MEM(k.enc_c2s, v + 96, 32);
	CHECK_MEM(k.dec_s2c, v + 128, 32);
	CHECK(smb2_derive_keys(0x0210, 0, sk, NULL, &k) == 0 && k.enc_key_len == 0);
	CHECK_MEM(k.signing, sk, 16);
	CHECK(smb2_derive_keys(0x0311, 0, sk, NULL, &k) == -EINVAL);
	CHECK(smb2_derive_keys(0x0300, SMB2_ENCRYPTION_AES256_GCM, sk, NULL, &k) == -EINVAL);
	CHECK(smb2_derive_keys(0x0400, 0, sk, NULL, &k) == -EINVAL);
	smb2_keys_wipe(&k);
	free(v);
}

static void test_sign_local(void)
{
	uint8_t key[16], msg[100], sig[16];
	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 13);
	for (int alg = 0; alg <= 2; alg++) {
		struct iovec io[3] = {{msg, 64}, {msg + 64, 10}, {msg + 74, 26}};
		CHECK(smb2_sign(alg, key, io, 3, sig) == 0);
		memcpy(msg + 48, sig, 16);
		CHECK(smb2_verify(alg, key, msg, sizeof(msg)) == 0);
		msg[99] ^= 1;
		CHECK(smb2_verify(alg, key, msg, sizeof(msg)) == -EBADMSG);
		msg[99] ^= 1;
	}
	struct iovec shortv = {msg, 63};
	CHECK(smb2_sign(SMB2_SIGN_AES_CMAC, key, &shortv, 1, sig) == -EINVAL);
	CHECK(smb2_verify(SMB2_SIGN_AES_CMAC, key, msg, 10) == -EBADMSG);
	CHECK(smb2_default_sign_algo(0x0210) == SMB2_SIGN_HMAC_SHA256 &&
	      smb2_default_sign_algo(0x0302) == SMB2_SIGN_AES_CMAC);
}

/* The SecurityBuffer of an SMB2 SESSION_SETUP request (72-byte header+body) or response. */
static void sec_buf(const uint8_t *m, size_t n, bool req, const uint8_t **p, size_t *len)
{
	size_t off_at = req ? 64 + 12 : 64 + 4;
	*p = m + get_le16(m + off_at);
	*len = get_le16(m + off_at + 2);
	(void)n;
}

/*
 * Samba 4.17 and smbclient negotiated 3.1.1 with AES-128-GMAC signing. Knowing the password, recompute the
 * exported session key from smbclient's AUTHENTICATE, then: the preauth hash over NEGOTIATE and the
 * SESSION_SETUPs, the 3.1.1 signing key, and the server's GMAC signature on the final SESSION_SETUP response
 * and the client's on the first TREE_CONNECT must all check out.
 */
static void test_samba_311(void)
{
	static const int fr[] = {4, 6, 8, 9, 10, 11, 12};
	uint8_t *m[7];
	size_t n[7];
	char name[64];
	for (int i = 0; i < 7; i++) {
		snprintf(name, sizeof(name), "crypto_samba311_frame%02d.hex", fr[i]);
		m[i] = tap_load_hex(name, &n[i]);
	}
	const uint8_t *b9, *b10;
	size_t l9, l10;
	struct spnego_resp r9, r10;
	struct ntlm_challenge ch;
	struct ntlm_authenticate_view av;
	sec_buf(m[3], n[3], false, &b9, &l9);
	sec_buf(m[4], n[4], true, &b10, &l10);
	CHECK(spnego_resp_decode(b9, l9, &r9) == 0 && spnego_resp_decode(b10, l10, &r10) == 0);
	CHECK(ntlm_challenge_decode(r9.response_token, r9.response_token_len, &ch) == 0);
	CHECK(ntlm_authenticate_decode(r10.response_token, r10.response_token_len, &av) == 0);
	CHECK(av.nt_response_len > 16 && av.enc_session_key_len == 16);

	uint8_t rk[16], proof[16], sbk[16], ek[16];
	CHECK(ntlm_ntowfv2("S3cret!pw", "smbauthtest", "WORKGROUP", rk) == 0);
	struct iovec pv[2] = {{ch.server_challenge, 8}, {(void *)(av.nt_response + 16), av.nt_response_len - 16}};
	CHECK(auth_hmac("MD5", rk, 16, pv, 2, proof, 16) == 16);
	CHECK_MEM(proof, av.nt_response, 16); /* our NTLMv2 math agrees with a real client */
	struct iovec sv = {proof, 16};
	CHECK(auth_hmac("MD5", rk, 16, &sv, 1, sbk, 16) == 16);
	struct rc4 r;
	rc4_init(&r, sbk, 16);
	rc4_crypt(&r, av.enc_session_key, ek, 16);

	struct smb2_preauth pa;
	smb2_preauth_init(&pa);
	for (int i = 0; i < 5; i++) /* NEGOTIATE req/rsp, SESSION_SETUP req, rsp (MORE_PROCESSING), req */
		CHECK(smb2_preauth_update(&pa, m[i], n[i]) == 0);
	struct smb2_keys k;
	CHECK(smb2_derive_keys(0x0311, SMB2_ENCRYPTION_AES128_GCM, ek, pa.hash, &k) == 0);
	CHECK(smb2_verify(SMB2_SIGN_AES_GMAC, k.signing, m[5], n[5]) == 0);
	CHECK(smb2_verify(SMB2_SIGN_AES_GMAC, k.signing, m[6], n[6]) == 0);
	CHECK(smb2_verify(SMB2_SIGN_AES_CMAC, k.signing, m[5], n[5]) == -EBADMSG);
	m[5][n[5] - 1] ^= 0x80;
	CHECK(smb2_verify(SMB2_SIGN_AES_GMAC, k.signing, m[5], n[5]) == -EBADMSG);
	m[5][n[5] - 1] ^= 0x80;

	/* Our SPNEGO/NTLM initiator, fed the same server tokens with smbclient's randoms, must produce the same
	 * mechListMIC as smbclient and accept Samba's. */
	const uint8_t *b6, *b11;
	size_t l6, l11;
	sec_buf(m[1], n[1], false, &b6, &l6);
	b6 = m[1] + get_le16(m[1] + 64 + 56);
	l6 = get_le16(m[1] + 64 + 58);
	sec_buf(m[5], n[5], false, &b11, &l11);
	struct auth_creds cr = {.user = "smbauthtest", .password = "S3cret!pw", .domain = "WORKGROUP"};
	struct auth_ctx *a;
	struct wbuf out;
	uint8_t key[16];
	wbuf_init(&out, 0);
	CHECK(auth_new(&cr, &a) == 0);
	ntlm_test_fix_randoms(a, av.nt_response + 32, ek);
	CHECK(auth_step(a, b6, l6, &out) == 1);
	CHECK(auth_session_key(a, key) == -EAGAIN);
	wbuf_reset(&out);
	CHECK(auth_step(a, b9, l9, &out) == 1);
	struct spnego_resp mine;
	CHECK(spnego_resp_decode(out.p, out.len, &mine) == 0);
	CHECK(mine.mech_list_mic_len == 16 && r10.mech_list_mic_len == 16);
	CHECK_MEM(mine.mech_list_mic, r10.mech_list_mic, 16);
	CHECK(auth_session_key(a, key) == 0);
	CHECK_MEM(key, ek, 16);
	wbuf_reset(&out);
	CHECK(auth_step(a, b11, l11, &out) == 0 && out.len == 0);
	CHECK(auth_step(a, NULL, 0, &out) == 0);
	auth_free(a);

	/* The same exchange with Samba's mechListMIC damaged must fail. */
	uint8_t *bad = malloc(l11);
	memcpy(bad, b11, l11);
	bad[l11 - 1] ^= 1;
	CHECK(auth_new(&cr, &a) == 0);
	ntlm_test_fix_randoms(a, av.nt_response + 32, ek);
	wbuf_reset(&out);
	CHECK(auth_step(a, b6, l6, &out) == 1);
	wbuf_reset(&out);
	CHECK(auth_step(a, b9, l9, &out) == 1);
	CHECK(auth_step(a, bad, l11, &out) == -EBADMSG);
	CHECK(auth_step(a, NULL, 0, &out) == -EPROTO);
	auth_free(a);
	free(bad);
	wbuf_free(&out);
	smb2_keys_wipe(&k);
	for (int i = 0; i < 7; i++)
		free(m[i]);
}

int main(void)
{
	test_md4();
	test_rc4();
	test_hmac_sha256();
	test_cmac();
	test_gcm();
	test_aes256();
	test_seal_roundtrip();
	test_kdf();
	test_sign_local();
	test_samba_311();
	return tap_done();
}
