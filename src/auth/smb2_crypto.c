/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SMB2 signing (MS-SMB2 3.1.4.1, 3.1.5.1), key derivation (3.1.4.2, 3.2.5.3.1), the pre-authentication
 * integrity hash (3.2.5.2), and TRANSFORM encryption (2.2.41, 3.1.4.3), all on OpenSSL 3 EVP / EVP_MAC.
 * Contract: include/smbfuse/auth.h.
 *
 * The MAC algorithms are fetched once (pthread_once) and shared: EVP_MAC objects are immutable after fetch,
 * each call makes its own EVP_MAC_CTX, so every function here is safe to call from any thread.
 * GMAC is AES-GCM with the whole message as AAD and no plaintext (RFC 4543), so it needs no MAC object.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "auth_i.h"
#include "smbfuse/util.h"

#define SMB2_HDR_LEN 64
#define SMB2_SIG_OFF 48
#define SMB2_FLAGS_OFF 16
#define SMB2_CMD_OFF 12
#define SMB2_MID_OFF 24
#define SMB2_FLAGS_SERVER_TO_REDIR 0x00000001u
#define SMB2_CANCEL_CMD 0x000C

static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;
static EVP_MAC *mac_hmac, *mac_cmac;

static void fetch_macs(void)
{
	mac_hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	mac_cmac = EVP_MAC_fetch(NULL, "CMAC", NULL);
}

static int mac_iov(EVP_MAC *mac, const OSSL_PARAM *params, const uint8_t *key, size_t klen,
		   const struct iovec *iov, int iovcnt, uint8_t *out, size_t outsz)
{
	EVP_MAC_CTX *ctx;
	size_t outl = 0;
	int rc = -EIO;

	if (!mac)
		return -ENOTSUP;
	ctx = EVP_MAC_CTX_new(mac);
	if (!ctx)
		return -ENOMEM;
	if (EVP_MAC_init(ctx, key, klen, params) != 1)
		goto out;
	for (int i = 0; i < iovcnt; i++)
		if (iov[i].iov_len && EVP_MAC_update(ctx, iov[i].iov_base, iov[i].iov_len) != 1)
			goto out;
	if (EVP_MAC_final(ctx, out, &outl, outsz) != 1)
		goto out;
	rc = (int)outl;
out:
	EVP_MAC_CTX_free(ctx);
	return rc;
}

int auth_hmac(const char *digest, const uint8_t *key, size_t klen, const struct iovec *iov, int iovcnt,
	      uint8_t *out, size_t outsz)
{
	OSSL_PARAM p[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)digest, 0),
			  OSSL_PARAM_construct_end()};
	pthread_once(&fetch_once, fetch_macs);
	return mac_iov(mac_hmac, p, key, klen, iov, iovcnt, out, outsz);
}

int auth_cmac_aes128(const uint8_t key[16], const struct iovec *iov, int iovcnt, uint8_t out[16])
{
	OSSL_PARAM p[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, "AES-128-CBC", 0),
			  OSSL_PARAM_construct_end()};
	pthread_once(&fetch_once, fetch_macs);
	int rc = mac_iov(mac_cmac, p, key, 16, iov, iovcnt, out, 16);
	return rc < 0 ? rc : rc == 16 ? 0 : -EIO;
}

static int digest_iov(const EVP_MD *md, const struct iovec *iov, int iovcnt, uint8_t *out)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int rc = -EIO;
	if (!ctx)
		return -ENOMEM;
	if (EVP_DigestInit_ex(ctx, md, NULL) != 1)
		goto out;
	for (int i = 0; i < iovcnt; i++)
		if (EVP_DigestUpdate(ctx, iov[i].iov_base, iov[i].iov_len) != 1)
			goto out;
	if (EVP_DigestFinal_ex(ctx, out, NULL) == 1)
		rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

int auth_md5(const struct iovec *iov, int iovcnt, uint8_t out[16])
{
	return digest_iov(EVP_md5(), iov, iovcnt, out);
}

/* ---- signing ---- */

enum smb2_sign_algo smb2_default_sign_algo(uint16_t dialect)
{
	return dialect < 0x0300 ? SMB2_SIGN_HMAC_SHA256 : SMB2_SIGN_AES_CMAC;
}

/* GMAC (MS-SMB2 3.1.4.1): nonce = MessageId || 4 bytes whose bit 0 says "sent by the server" and bit 1
 * "this is a CANCEL", because a CANCEL reuses its target's MessageId and a reply shares its request's. */
static int gmac(const uint8_t key[16], const uint8_t *hdr, const struct iovec *iov, int iovcnt, uint8_t out[16])
{
	uint8_t nonce[12] = {0};
	int outl, rc = -EIO;
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();

	memcpy(nonce, hdr + SMB2_MID_OFF, 8);
	if (get_le32(hdr + SMB2_FLAGS_OFF) & SMB2_FLAGS_SERVER_TO_REDIR)
		nonce[8] |= 1;
	if (get_le16(hdr + SMB2_CMD_OFF) == SMB2_CANCEL_CMD)
		nonce[8] |= 2;
	if (!ctx)
		return -ENOMEM;
	if (EVP_EncryptInit_ex(ctx, EVP_aes_128_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) != 1 ||
	    EVP_EncryptInit_ex(ctx, NULL, NULL, key, nonce) != 1)
		goto out;
	for (int i = 0; i < iovcnt; i++)
		if (iov[i].iov_len > INT_MAX ||
		    EVP_EncryptUpdate(ctx, NULL, &outl, iov[i].iov_base, (int)iov[i].iov_len) != 1)
			goto out;
	if (EVP_EncryptFinal_ex(ctx, NULL, &outl) == 1 &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, out) == 1)
		rc = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

#define SIGN_MAX_IOV 64

int smb2_sign(enum smb2_sign_algo alg, const uint8_t key[16], const struct iovec *iov, int iovcnt, uint8_t sig[16])
{
	struct iovec v[SIGN_MAX_IOV + 1];
	uint8_t hdr[SMB2_HDR_LEN], h[32];
	int rc;

	if (iovcnt < 1 || iovcnt > SIGN_MAX_IOV || iov[0].iov_len < SMB2_HDR_LEN)
		return -EINVAL;
	/* The signature field is hashed as zeros; copy the header rather than write to the caller's buffer. */
	memcpy(hdr, iov[0].iov_base, SMB2_HDR_LEN);
	memset(hdr + SMB2_SIG_OFF, 0, 16);
	v[0] = (struct iovec){hdr, SMB2_HDR_LEN};
	v[1] = (struct iovec){(uint8_t *)iov[0].iov_base + SMB2_HDR_LEN, iov[0].iov_len - SMB2_HDR_LEN};
	for (int i = 1; i < iovcnt; i++)
		v[i + 1] = iov[i];
	switch (alg) {
	case SMB2_SIGN_HMAC_SHA256:
		rc = auth_hmac("SHA256", key, 16, v, iovcnt + 1, h, sizeof(h));
		if (rc == 32) {
			memcpy(sig, h, 16);
			rc = 0;
		} else if (rc >= 0) {
			rc = -EIO;
		}
		return rc;
	case SMB2_SIGN_AES_CMAC:
		return auth_cmac_aes128(key, v, iovcnt + 1, sig);
	case SMB2_SIGN_AES_GMAC:
		return gmac(key, hdr, v, iovcnt + 1, sig);
	}
	return -EINVAL;
}

int smb2_verify(enum smb2_sign_algo alg, const uint8_t key[16], const uint8_t *msg, size_t n)
{
	uint8_t sig[16];
	struct iovec v = {(void *)msg, n};
	if (n < SMB2_HDR_LEN)
		return -EBADMSG;
	int rc = smb2_sign(alg, key, &v, 1, sig);
	if (rc)
		return rc == -EINVAL ? -EINVAL : rc;
	return CRYPTO_memcmp(sig, msg + SMB2_SIG_OFF, 16) ? -EBADMSG : 0;
}

/* ---- key derivation: SP800-108 counter mode, PRF = HMAC-SHA256, r = 32, one iteration (L <= 256) ---- */

static int kdf(const uint8_t key[16], const char *label, size_t label_len, const uint8_t *ctx, size_t ctx_len,
	       unsigned bits, uint8_t *out)
{
	uint8_t i[4] = {0, 0, 0, 1}, zero = 0, l[4], h[32];
	put_le32(l, 0);
	l[0] = (uint8_t)(bits >> 24), l[1] = (uint8_t)(bits >> 16), l[2] = (uint8_t)(bits >> 8), l[3] = (uint8_t)bits;
	struct iovec v[5] = {{i, 4}, {(void *)label, label_len}, {&zero, 1}, {(void *)ctx, ctx_len}, {l, 4}};
	int rc = auth_hmac("SHA256", key, 16, v, 5, h, sizeof(h));
	if (rc == 32) {
		memcpy(out, h, bits / 8);
		rc = 0;
	} else if (rc >= 0) {
		rc = -EIO;
	}
	OPENSSL_cleanse(h, sizeof(h));
	return rc;
}

/* Labels and contexts include their terminating NUL (MS-SMB2 3.1.4.2: "SMB2AESCMAC" is 12 bytes). */
#define LBL(s) s, sizeof(s)

size_t smb2_cipher_key_len(uint16_t cipher)
{
	switch (cipher) {
	case SMB2_ENCRYPTION_AES128_CCM:
	case SMB2_ENCRYPTION_AES128_GCM:
		return 16;
	case SMB2_ENCRYPTION_AES256_CCM:
	case SMB2_ENCRYPTION_AES256_GCM:
		return 32;
	}
	return 0;
}

const char *smb2_cipher_name(uint16_t cipher)
{
	static const char *const names[] = {"none", "AES-128-CCM", "AES-128-GCM", "AES-256-CCM", "AES-256-GCM"};
	return cipher < ARRAY_SIZE(names) ? names[cipher] : "unknown";
}

const char *smb2_sign_algo_name(enum smb2_sign_algo alg)
{
	static const char *const names[] = {"HMAC-SHA256", "AES-128-CMAC", "AES-128-GMAC"};
	return (unsigned)alg < ARRAY_SIZE(names) ? names[alg] : "unknown";
}

size_t smb2_cipher_nonce_len(uint16_t cipher)
{
	switch (cipher) {
	case SMB2_ENCRYPTION_AES128_CCM:
	case SMB2_ENCRYPTION_AES256_CCM:
		return 11;
	case SMB2_ENCRYPTION_AES128_GCM:
	case SMB2_ENCRYPTION_AES256_GCM:
		return 12;
	}
	return 0;
}

int smb2_derive_keys(uint16_t dialect, uint16_t cipher, const uint8_t session_key[16], const uint8_t preauth_hash[64],
		     struct smb2_keys *out)
{
	struct smb2_keys k;
	int rc = 0;

	memset(&k, 0, sizeof(k));
	if (cipher && !smb2_cipher_key_len(cipher))
		return -EINVAL;
	switch (dialect) {
	case 0x0202:
	case 0x0210:
		if (cipher)
			return -EINVAL;
		memcpy(k.signing, session_key, 16);
		break;
	case 0x0300:
	case 0x0302:
		if (cipher && cipher != SMB2_ENCRYPTION_AES128_CCM)
			return -EINVAL; /* 3.0.x knows only AES-128-CCM */
		k.enc_key_len = 16;
		if (!rc)
			rc = kdf(session_key, LBL("SMB2AESCMAC"), (const uint8_t *)"SmbSign", 8, 128, k.signing);
		if (!rc)
			rc = kdf(session_key, LBL("SMB2AESCCM"), (const uint8_t *)"ServerIn ", 10, 128, k.enc_c2s);
		if (!rc)
			rc = kdf(session_key, LBL("SMB2AESCCM"), (const uint8_t *)"ServerOut", 10, 128, k.dec_s2c);
		break;
	case 0x0311: {
		if (!preauth_hash)
			return -EINVAL;
		unsigned bits = smb2_cipher_key_len(cipher) == 32 ? 256 : 128;
		k.enc_key_len = bits / 8;
		rc = kdf(session_key, LBL("SMBSigningKey"), preauth_hash, 64, 128, k.signing);
		if (!rc)
			rc = kdf(session_key, LBL("SMBC2SCipherKey"), preauth_hash, 64, bits, k.enc_c2s);
		if (!rc)
			rc = kdf(session_key, LBL("SMBS2CCipherKey"), preauth_hash, 64, bits, k.dec_s2c);
		break;
	}
	default:
		return -EINVAL;
	}
	if (!rc)
		*out = k;
	OPENSSL_cleanse(&k, sizeof(k));
	return rc;
}

void smb2_keys_wipe(struct smb2_keys *k)
{
	OPENSSL_cleanse(k, sizeof(*k));
}

/* ---- pre-authentication integrity ---- */

void smb2_preauth_init(struct smb2_preauth *p)
{
	memset(p->hash, 0, sizeof(p->hash));
}

int smb2_preauth_update(struct smb2_preauth *p, const uint8_t *msg, size_t n)
{
	uint8_t h[64];
	struct iovec v[2] = {{p->hash, 64}, {(void *)msg, n}};
	int rc = digest_iov(EVP_sha512(), v, 2, h);
	if (!rc)
		memcpy(p->hash, h, 64);
	return rc;
}
