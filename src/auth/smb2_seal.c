/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SMB 3.x encryption: AES-128/256 in CCM and GCM over a message behind the 52-byte TRANSFORM_HEADER
 * (MS-SMB2 2.2.41, 3.1.4.3, 3.2.5.1.1.1). Contract: include/smbfuse/auth.h.
 *
 * OpenSSL's CCM takes the AAD and the text each in exactly one call and needs the text length before the AAD,
 * so the plaintext is first gathered into the output buffer and encrypted in place; GCM is driven the same
 * way for one code path.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "auth_i.h"
#include "smbfuse/util.h"

static const EVP_CIPHER *cipher_of(uint16_t c, bool *ccm)
{
	*ccm = c == SMB2_ENCRYPTION_AES128_CCM || c == SMB2_ENCRYPTION_AES256_CCM;
	switch (c) {
	case SMB2_ENCRYPTION_AES128_CCM:
		return EVP_aes_128_ccm();
	case SMB2_ENCRYPTION_AES128_GCM:
		return EVP_aes_128_gcm();
	case SMB2_ENCRYPTION_AES256_CCM:
		return EVP_aes_256_ccm();
	case SMB2_ENCRYPTION_AES256_GCM:
		return EVP_aes_256_gcm();
	}
	return NULL;
}

/* Set up ctx for cipher with key and nonce; for CCM also announce the text length and tag (decrypt side). */
static int aead_init(EVP_CIPHER_CTX *ctx, uint16_t cipher, bool enc, const uint8_t *key, const uint8_t *nonce,
		     size_t n, const uint8_t *tag)
{
	bool ccm;
	const EVP_CIPHER *c = cipher_of(cipher, &ccm);
	int outl;

	if (!c)
		return -EINVAL;
	if (n > INT_MAX)
		return -EMSGSIZE;
	if (EVP_CipherInit_ex(ctx, c, NULL, NULL, NULL, enc) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, (int)smb2_cipher_nonce_len(cipher), NULL) != 1)
		return -EIO;
	if (ccm && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, 16, enc ? NULL : (void *)tag) != 1)
		return -EIO;
	if (EVP_CipherInit_ex(ctx, NULL, NULL, key, nonce, enc) != 1)
		return -EIO;
	if (ccm && EVP_CipherUpdate(ctx, NULL, &outl, NULL, (int)n) != 1)
		return -EIO;
	return 0;
}

static int aead_aad(EVP_CIPHER_CTX *ctx, const uint8_t *aad, size_t aad_len)
{
	int outl;
	if (aad_len > INT_MAX)
		return -EMSGSIZE;
	if (aad_len && EVP_CipherUpdate(ctx, NULL, &outl, aad, (int)aad_len) != 1)
		return -EIO;
	return 0;
}

int smb2_encrypt(uint16_t cipher, const uint8_t *key, const uint8_t *nonce, const uint8_t *aad, size_t aad_len,
		 const struct iovec *iov, int iovcnt, uint8_t *out, uint8_t tag[16])
{
	size_t n = 0;
	int outl, rc;
	EVP_CIPHER_CTX *ctx;

	for (int i = 0; i < iovcnt; i++) {
		if (iov[i].iov_base != out + n)
			memmove(out + n, iov[i].iov_base, iov[i].iov_len);
		n += iov[i].iov_len;
	}
	if (!(ctx = EVP_CIPHER_CTX_new()))
		return -ENOMEM;
	rc = aead_init(ctx, cipher, true, key, nonce, n, NULL);
	if (!rc)
		rc = aead_aad(ctx, aad, aad_len);
	if (!rc && (EVP_CipherUpdate(ctx, out, &outl, out, (int)n) != 1 || EVP_CipherFinal_ex(ctx, out + n, &outl) != 1 ||
		    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, tag) != 1))
		rc = -EIO;
	EVP_CIPHER_CTX_free(ctx);
	if (rc)
		OPENSSL_cleanse(out, n);
	return rc;
}

int smb2_decrypt(uint16_t cipher, const uint8_t *key, const uint8_t *nonce, const uint8_t *aad, size_t aad_len,
		 const uint8_t *in, size_t n, const uint8_t tag[16], uint8_t *out)
{
	bool ccm;
	int outl, rc;
	EVP_CIPHER_CTX *ctx;

	if (!cipher_of(cipher, &ccm))
		return -EINVAL;
	if (!(ctx = EVP_CIPHER_CTX_new()))
		return -ENOMEM;
	rc = aead_init(ctx, cipher, false, key, nonce, n, tag);
	if (!rc)
		rc = aead_aad(ctx, aad, aad_len);
	if (!rc) {
		/* CCM checks the tag inside Update; GCM in Final, after the tag is set. */
		if (EVP_CipherUpdate(ctx, out, &outl, in, (int)n) != 1)
			rc = -EBADMSG;
		else if (!ccm && (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, 16, (void *)tag) != 1 ||
				  EVP_CipherFinal_ex(ctx, out + n, &outl) != 1))
			rc = -EBADMSG;
	}
	EVP_CIPHER_CTX_free(ctx);
	if (rc)
		OPENSSL_cleanse(out, n);
	return rc;
}

#define TF_SIG 4
#define TF_NONCE 20
#define TF_SIZE 36
#define TF_FLAGS 42
#define TF_SESSION 44
#define TF_ENCRYPTED 0x0001

int smb2_seal(uint16_t cipher, const uint8_t *key, const uint8_t *nonce, uint64_t session_id, const struct iovec *iov,
	      int iovcnt, struct wbuf *out)
{
	size_t n = 0, nl = smb2_cipher_nonce_len(cipher);
	uint8_t tag[16];

	if (!nl)
		return -EINVAL;
	for (int i = 0; i < iovcnt; i++)
		n += iov[i].iov_len;
	if (n == 0 || n > UINT32_MAX)
		return -EINVAL;
	size_t base = wbuf_reserve(out, SMB2_TRANSFORM_HDR_LEN);
	size_t body = wbuf_reserve(out, n);
	if (wbuf_err(out))
		return wbuf_err(out);
	uint8_t *h = out->p + base;
	h[0] = 0xFD, h[1] = 'S', h[2] = 'M', h[3] = 'B';
	memcpy(h + TF_NONCE, nonce, nl);
	put_le32(h + TF_SIZE, (uint32_t)n);
	put_le16(h + TF_FLAGS, TF_ENCRYPTED);
	put_le64(h + TF_SESSION, session_id);
	int rc = smb2_encrypt(cipher, key, h + TF_NONCE, h + SMB2_TRANSFORM_AAD_OFF, SMB2_TRANSFORM_AAD_LEN, iov, iovcnt,
			      out->p + body, tag);
	if (rc)
		return rc;
	memcpy(h + TF_SIG, tag, 16);
	return 0;
}

int smb2_transform_session_id(const uint8_t *msg, size_t n, uint64_t *session_id)
{
	if (n < SMB2_TRANSFORM_HDR_LEN || msg[0] != 0xFD || msg[1] != 'S' || msg[2] != 'M' || msg[3] != 'B')
		return -EBADMSG;
	*session_id = get_le64(msg + TF_SESSION);
	return 0;
}

int smb2_unseal(uint16_t cipher, const uint8_t *key, const uint8_t *msg, size_t n, struct wbuf *out)
{
	uint64_t sid;
	size_t nl = smb2_cipher_nonce_len(cipher);

	if (!nl)
		return -EINVAL;
	if (smb2_transform_session_id(msg, n, &sid))
		return -EBADMSG;
	size_t len = get_le32(msg + TF_SIZE);
	/* MS-SMB2 3.2.5.1.1.1: the flags must say "encrypted" and the size must match what follows the header. */
	if (get_le16(msg + TF_FLAGS) != TF_ENCRYPTED || len == 0 || len != n - SMB2_TRANSFORM_HDR_LEN)
		return -EBADMSG;
	size_t at = wbuf_reserve(out, len);
	if (wbuf_err(out))
		return wbuf_err(out);
	int rc = smb2_decrypt(cipher, key, msg + TF_NONCE, msg + SMB2_TRANSFORM_AAD_OFF, SMB2_TRANSFORM_AAD_LEN,
			      msg + SMB2_TRANSFORM_HDR_LEN, len, msg + TF_SIG, out->p + at);
	if (rc)
		out->len = at;
	return rc;
}
