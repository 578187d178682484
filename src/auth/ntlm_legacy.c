/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * LEGACY: NTLMv1 and LM (MS-NLMP 3.3.1), kept only for the SMB1 port (sec=ntlm against old servers). These
 * responses are cryptographically weak; nothing in the SMB2 path calls them.
 *
 * DES comes from OpenSSL's default provider as DES-EDE3-ECB with K1 = K2 = K3, which is single DES
 * (E(K, D(K, E(K, x))) = E(K, x)): plain DES-ECB lives in the legacy provider, which we do not load (see
 * md4rc4.c).
 */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "auth_i.h"

/* Spread 56 key bits over 8 bytes, 7 per byte, low bit left for parity (MS-NLMP 6, DES()). */
static void des_key56(const uint8_t k7[7], uint8_t k8[8])
{
	k8[0] = k7[0];
	for (int i = 1; i < 7; i++)
		k8[i] = (uint8_t)(k7[i - 1] << (8 - i) | k7[i] >> i);
	k8[7] = (uint8_t)(k7[6] << 1);
	for (int i = 0; i < 8; i++) {
		uint8_t b = k8[i] & 0xFE, p = 1;
		for (int j = 1; j < 8; j++)
			p ^= (b >> j) & 1;
		k8[i] = b | p;
	}
}

static int des_block(const uint8_t k7[7], const uint8_t in[8], uint8_t out[8])
{
	uint8_t k8[8], k24[24];
	int outl = 0, rc = -EIO;
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();

	des_key56(k7, k8);
	for (int i = 0; i < 3; i++)
		memcpy(k24 + 8 * i, k8, 8);
	if (ctx && EVP_EncryptInit_ex(ctx, EVP_des_ede3_ecb(), NULL, k24, NULL) == 1 &&
	    EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 && EVP_EncryptUpdate(ctx, out, &outl, in, 8) == 1 && outl == 8)
		rc = 0;
	EVP_CIPHER_CTX_free(ctx);
	OPENSSL_cleanse(k8, sizeof(k8));
	OPENSSL_cleanse(k24, sizeof(k24));
	return rc;
}

int ntlm_legacy_lm_hash(const char *password, uint8_t out[16])
{
	static const uint8_t magic[8] = {'K', 'G', 'S', '!', '@', '#', '$', '%'};
	uint8_t pw[14] = {0};
	size_t n = password ? strlen(password) : 0;
	int rc;

	if (n > 14) /* LMOWFv1 is undefined beyond 14 characters (MS-NLMP 3.3.1) */
		return -E2BIG;
	for (size_t i = 0; i < n; i++)
		pw[i] = (uint8_t)toupper((unsigned char)password[i]);
	rc = des_block(pw, magic, out);
	if (!rc)
		rc = des_block(pw + 7, magic, out + 8);
	OPENSSL_cleanse(pw, sizeof(pw));
	return rc;
}

int ntlm_legacy_v1_response(const uint8_t hash[16], const uint8_t challenge[8], uint8_t out[24])
{
	uint8_t k3[7] = {hash[14], hash[15], 0, 0, 0, 0, 0};
	int rc = des_block(hash, challenge, out); /* DESL(K, D), MS-NLMP 6 */
	if (!rc)
		rc = des_block(hash + 7, challenge, out + 8);
	if (!rc)
		rc = des_block(k3, challenge, out + 16);
	OPENSSL_cleanse(k3, sizeof(k3));
	return rc;
}

int ntlm_legacy_v1_session_key(const uint8_t nt_hash[16], uint8_t out[16])
{
	md4_digest(nt_hash, 16, out);
	return 0;
}
