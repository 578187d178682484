/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * auth.h - authentication (SPNEGO over NTLMSSP or Kerberos, mechanisms behind a table) and SMB2 cryptography
 * (signing, key derivation, pre-authentication integrity hash, TRANSFORM encryption).
 *
 * Contract of the auth layer; used by session/ (auth_*) and xport/ (signing and sealing).
 * Returns: 0 on success, negative errno on failure, as everywhere (err.h). Out-parameters are written only
 * on success.
 * Secrets: no password is kept, only its NT hash; that and every key live in secret memory (secret.h), are
 * wiped when freed and never logged. Keys handed to the caller (auth_session_key, struct smb2_keys) are the
 * caller's to wipe: use smb2_keys_wipe().
 * Thread: an auth_ctx belongs to one session setup at a time and is not locked. The smb2_* crypto functions
 * are stateless and may be called from any thread concurrently.
 *
 * Token flow for an SMB2 SESSION_SETUP (MS-SMB2 3.2.4.2.3, 3.2.5.3; MS-SPNG 3.2.5):
 *
 *	auth_new(&creds, &a);
 *	rc = auth_step(a, negotiate_rsp_security_buffer, its_len, &out);   // may be NULL/0
 *	while (rc > 0 || out.len > 0) {                  // something to send
 *		send SESSION_SETUP with SecurityBuffer = out (update the preauth hash with request and response);
 *		receive status and the response's SecurityBuffer (buf, len);
 *		if (status != STATUS_SUCCESS && (status != STATUS_MORE_PROCESSING_REQUIRED || rc == 0))
 *			fail (map status; LOGON_FAILURE -> -EACCES);
 *		wbuf_reset(&out);
 *		rc = auth_step(a, buf, len, &out);         // verifies the server's final token / mechListMIC
 *		if (rc < 0) fail;
 *		if (status == STATUS_SUCCESS) { if (rc != 0) fail -EPROTO; break; }
 *	}
 *	if (!auth_is_anonymous(a)) auth_session_key(a, key);
 *	smb2_derive_keys(dialect, cipher, key, preauth.hash, &keys);
 *
 * With NTLMSSP: auth_step(hint) -> 1, out = NegTokenInit(NEGOTIATE_MESSAGE); server: MORE_PROCESSING +
 * NegTokenResp(CHALLENGE); auth_step(it) -> 1, out = NegTokenResp(AUTHENTICATE, mechListMIC); server: SUCCESS +
 * NegTokenResp(accept-completed, mechListMIC); auth_step(it) -> 0, out empty. Once done, auth_step accepts one
 * more server token (or NULL/0, when the server sent no final token) and returns 0 without output.
 * With Kerberos (mech AUTH_KRB5): auth_step(hint) -> 1, out = NegTokenInit(AP-REQ); server: SUCCESS +
 * NegTokenResp(accept-completed, AP-REP, maybe mechListMIC); auth_step(it) -> 0 (mutual authentication checked).
 */
#ifndef SMBFUSE_AUTH_H
#define SMBFUSE_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "smbfuse/cursor.h"

/* ---- authentication ---- */

/*
 * Credentials. Strings are UTF-8 and NUL-terminated; NULL means empty. anonymous = true ignores user and
 * password (MS-NLMP 3.2.5.1.2 anonymous: empty NT response, one-zero-byte LM response, no session key).
 * workstation NULL: the local host name is not sent (an empty Workstation field), which servers accept.
 * nt_hash (16 bytes, ntlm_nt_hash of the password), when not NULL, is used instead of password: every NTLM
 * variant needs only it, so a caller can drop the password as soon as it has been read.
 */
/* The one mechanism SPNEGO offers (mount.cifs sec=): NTLMSSP, or Kerberos only (sec=krb5, krb5i). */
enum auth_mech_id { AUTH_MECH_NTLMSSP = 0, AUTH_MECH_KRB5 = 1 };

struct auth_creds {
	const char *user, *password, *domain, *workstation;
	const uint8_t *nt_hash;
	bool anonymous;
	/* Optional, additive: the server's host name, for MsvAvTargetName "cifs/<host>" (MS-NLMP 2.2.2.1) and
	 * the Kerberos service "cifs@<host>" (GSS_C_NT_HOSTBASED_SERVICE). */
	const char *target_host;
	enum auth_mech_id mech;
	/* Kerberos: the credential cache (gss_acquire_cred_from "ccache", e.g. "FILE:/tmp/krb5cc_1000"; NULL:
	 * libkrb5's default, KRB5CCNAME) or a client keytab to get tickets from (krb5_keytab, with the principal
	 * user, or the keytab's first entry when user is NULL). NTLM fields are ignored. */
	const char *krb5_ccache, *krb5_keytab;
	/* Where a mechanism writes a one-line reason when it fails ("no Kerberos ticket for cifs/HOST: run
	 * kinit"); may be NULL. Kept by the context: must outlive it. */
	char *errbuf;
	size_t errlen;
};

/* Built with Kerberos (-Dkerberos): else AUTH_MECH_KRB5 makes auth_new fail with -EPROTONOSUPPORT. */
bool auth_krb5_available(void);
/*
 * The credential cache name a root mount uses for uid (mount.cifs cruid=), as cifs.upcall finds it: the
 * krb5.conf default_ccache_name with %{uid}/%{euid} as uid, else FILE:/tmp/krb5cc_UID. -ENOENT when
 * it names no cache that exists (a FILE: or DIR: path missing); -EPROTONOSUPPORT without Kerberos.
 */
int auth_krb5_ccache_for_uid(unsigned uid, char *buf, size_t n);

struct auth_ctx;

/* Copies what it keeps: the NT hash (computed here from password when nt_hash is NULL), never the password.
 * -EINVAL for a NULL cr, -ENOMEM; Kerberos: -ENOKEY when there is no usable ticket (cr->errbuf says why). */
int auth_new(const struct auth_creds *cr, struct auth_ctx **out);

/*
 * Feed the server's token (NULL/0 at the start; on the first call it may also be the NEGOTIATE response's
 * SPNEGO hint blob) and get the next token to send, SPNEGO-wrapped, appended to out.
 * Returns 1: send out and expect another server token; 0: done (out may hold a final token, possibly empty;
 * the final server token, if any, is verified: its mechListMIC when present); negative errno: -EACCES for a
 * refused/unsupported mechanism (or a server that rejected us: negState reject), -EBADMSG for a malformed
 * token or a bad mechListMIC, -ENOMEM, and whatever wbuf_err(out) reports. After a negative return the
 * context is dead: every further auth_step returns -EPROTO.
 */
int auth_step(struct auth_ctx *a, const uint8_t *in, size_t in_len, struct wbuf *out);

/* ExportedSessionKey (MS-NLMP 3.1.5.1). Available as soon as auth_step has produced the client's last token
 * (so the final, signed SESSION_SETUP response can be checked); -EAGAIN before, -ENOKEY when anonymous. */
int auth_session_key(const struct auth_ctx *a, uint8_t key[16]);
bool auth_is_anonymous(const struct auth_ctx *a);
/* The session key at its own length (*len; NTLM 16, Kerberos that of its cipher), for SMB1 signing, which
 * uses it whole (MS-SMB 3.2.5.3); -ENOBUFS when cap is too small. Otherwise as auth_session_key. */
int auth_session_key_full(const struct auth_ctx *a, uint8_t *key, size_t cap, size_t *len);
/* Seconds the finished logon stays valid (Kerberos: the service ticket's remaining life), 0 when it has no
 * known end (NTLM). The server expires the session then (STATUS_NETWORK_SESSION_EXPIRED). */
long auth_lifetime(const struct auth_ctx *a);
/* NULL is fine. Wipes the hash and every key. */
void auth_free(struct auth_ctx *a);

/* ---- SMB2 signing and keys (MS-SMB2 3.1.4.1, 3.1.4.2, 3.2.5.3.1) ---- */

enum smb2_sign_algo { SMB2_SIGN_HMAC_SHA256 = 0, SMB2_SIGN_AES_CMAC = 1, SMB2_SIGN_AES_GMAC = 2 };

/* Cipher ids of the SMB2_ENCRYPTION_CAPABILITIES context (MS-SMB2 2.2.3.1.2); 0 = no encryption. */
#define SMB2_ENCRYPTION_AES128_CCM 0x0001
#define SMB2_ENCRYPTION_AES128_GCM 0x0002
#define SMB2_ENCRYPTION_AES256_CCM 0x0003
#define SMB2_ENCRYPTION_AES256_GCM 0x0004

struct smb2_keys {
	uint8_t signing[16];
	uint8_t enc_c2s[32]; /* EncryptionKey: client -> server */
	uint8_t dec_s2c[32]; /* DecryptionKey: server -> client */
	size_t enc_key_len;  /* 16 or 32; 0 when the dialect has no encryption (2.x) */
};

/*
 * dialect 0x0202/0x0210: signing key = session key; 0x0300/0x0302: SP800-108 with "SMB2AESCMAC"/"SmbSign"
 * etc.; 0x0311: "SMBSigningKey" with the preauth hash as context; cipher decides the encryption key length
 * (AES-256 ciphers: 32-byte keys derived with L = 256, MS-SMB2 3.2.5.3.1). preauth_hash is read only for
 * 0x0311 (may be NULL otherwise). -EINVAL for an unknown dialect or cipher.
 */
int smb2_derive_keys(uint16_t dialect, uint16_t cipher, const uint8_t session_key[16], const uint8_t preauth_hash[64],
		     struct smb2_keys *out);
void smb2_keys_wipe(struct smb2_keys *k);

/* The signing algorithm a dialect uses when SMB2_SIGNING_CAPABILITIES did not choose one (MS-SMB2 3.1.4.1). */
enum smb2_sign_algo smb2_default_sign_algo(uint16_t dialect);

/*
 * iov[0] begins with the 64-byte SMB2 header; the Signature field (offset 48) is treated as zero; GMAC takes its
 * nonce from MessageId and the header flags as MS-SMB2 3.1.4.1 says. The caller stores sig at offset 48 and
 * sets SMB2_FLAGS_SIGNED before calling (the flag is covered by the signature). -EINVAL if iov[0] is shorter
 * than 64 bytes.
 */
int smb2_sign(enum smb2_sign_algo alg, const uint8_t key[16], const struct iovec *iov, int iovcnt, uint8_t sig[16]);
/* One whole message (one element of a compound, up to its NextCommand). 0 if good, -EBADMSG if not. */
int smb2_verify(enum smb2_sign_algo alg, const uint8_t key[16], const uint8_t *msg, size_t n);

/*
 * Pre-authentication integrity hash (MS-SMB2 3.2.5.2, 3.2.5.3.1): the connection hash starts zero and takes the
 * NEGOTIATE request and response; each session copies it and takes every SESSION_SETUP request and response
 * except the final (STATUS_SUCCESS) response. msg is the whole SMB2 message without the 4-byte transport header.
 */
struct smb2_preauth {
	uint8_t hash[64];
};
void smb2_preauth_init(struct smb2_preauth *p); /* all zero */
int smb2_preauth_update(struct smb2_preauth *p, const uint8_t *msg, size_t n); /* H = SHA-512(H || msg) */

/* ---- SMB2 encryption (MS-SMB2 2.2.41, 3.1.4.3) ---- */

/*
 * The SMB2 TRANSFORM_HEADER is 52 bytes: ProtocolId 0xFD 'S' 'M' 'B', Signature[16], Nonce[16],
 * OriginalMessageSize, Reserved, Flags (1 = encrypted), SessionId. The AAD is its last 32 bytes (Nonce through
 * SessionId); the Signature is the AEAD tag.
 */
#define SMB2_TRANSFORM_HDR_LEN 52
#define SMB2_TRANSFORM_AAD_OFF 20
#define SMB2_TRANSFORM_AAD_LEN 32

/* Bytes of the 16-byte Nonce field the cipher uses: 11 for CCM, 12 for GCM; 0 for an unknown cipher. */
size_t smb2_cipher_nonce_len(uint16_t cipher);
/* 16 or 32; 0 for an unknown cipher. */
size_t smb2_cipher_key_len(uint16_t cipher);
/* Names as smbstatus prints them ("AES-256-GCM", "AES-128-GMAC"), for logs; "none" for cipher 0, "unknown" for
 * an id this build does not know. Static strings. */
const char *smb2_cipher_name(uint16_t cipher);
const char *smb2_sign_algo_name(enum smb2_sign_algo alg);

/*
 * Encrypt the plaintext gathered from iov into out (exactly the plaintext's length, caller-sized) and produce the
 * 16-byte tag. key has smb2_cipher_key_len(cipher) bytes, nonce smb2_cipher_nonce_len(cipher) bytes (the caller
 * guarantees nonces are unique per key: a counter for GCM). -EINVAL for an unknown cipher.
 */
int smb2_encrypt(uint16_t cipher, const uint8_t *key, const uint8_t *nonce, const uint8_t *aad, size_t aad_len,
		 const struct iovec *iov, int iovcnt, uint8_t *out, uint8_t tag[16]);
/* Decrypt n bytes of in into out (n bytes) and check the tag: -EBADMSG if it does not match (out is wiped). */
int smb2_decrypt(uint16_t cipher, const uint8_t *key, const uint8_t *nonce, const uint8_t *aad, size_t aad_len,
		 const uint8_t *in, size_t n, const uint8_t tag[16], uint8_t *out);

/*
 * Convenience over the two above: seal a whole SMB2 message (iov) into out as TRANSFORM header + ciphertext,
 * with the given nonce (smb2_cipher_nonce_len bytes; the rest of the Nonce field is zero) and SessionId.
 * smb2_unseal takes a whole transform message (header included), checks ProtocolId, Flags and the tag, and
 * decrypts into out (appended; OriginalMessageSize bytes). *session_id receives the header's SessionId so the
 * caller can pick the key first with smb2_transform_session_id().
 */
int smb2_seal(uint16_t cipher, const uint8_t *key, const uint8_t *nonce, uint64_t session_id, const struct iovec *iov,
	      int iovcnt, struct wbuf *out);
int smb2_transform_session_id(const uint8_t *msg, size_t n, uint64_t *session_id);
int smb2_unseal(uint16_t cipher, const uint8_t *key, const uint8_t *msg, size_t n, struct wbuf *out);

/* ---- NTLM primitives (MS-NLMP 3.3) ---- */

/* NT hash = MD4(UTF-16LE(password)). -EILSEQ for invalid UTF-8. */
int ntlm_nt_hash(const char *password, uint8_t out[16]);
/* NTOWFv2 = HMAC-MD5(NT hash, UTF-16LE(UPPER(user) || domain)) (MS-NLMP 3.3.2). */
int ntlm_ntowfv2(const char *password, const char *user, const char *domain, uint8_t out[16]);
/* The same from the NT hash. */
int ntlm_ntowfv2_hash(const uint8_t nt_hash[16], const char *user, const char *domain, uint8_t out[16]);

/*
 * LEGACY - for the SMB1 port only (sec=ntlm, MS-NLMP 3.3.1 NTLMv1 without extended session security).
 * NTLMv1 is weak (DES of a 56-bit-per-third key); never use it for SMB2.
 */
int ntlm_legacy_lm_hash(const char *password, uint8_t out[16]);               /* LMOWFv1 (ASCII upper, 14 max) */
int ntlm_legacy_v1_response(const uint8_t hash[16], const uint8_t challenge[8], uint8_t out[24]); /* DESL */
/* SessionBaseKey for NTLMv1 = MD4(NT hash). */
int ntlm_legacy_v1_session_key(const uint8_t nt_hash[16], uint8_t out[16]);

/* MD5 of the iovec list (not for security: the mfsymlinks file format, links.h). 0 or -EIO. */
int auth_md5(const struct iovec *iov, int iovcnt, uint8_t out[16]);

/* ---- SMB1 (src/auth/smb1_auth.c) ---- */

/*
 * SMB1 signing (MS-CIFS 3.1.4.1): the first 8 bytes of MD5(key || message), the message's
 * SecuritySignature replaced by seq (little-endian, then 4 zero bytes). iov[0] starts with the 32-byte
 * header. verify: 0, or -EACCES for a bad signature. Stateless, thread-safe.
 */
int smb1_sign(const uint8_t *key, size_t key_len, uint32_t seq, const struct iovec *iov, int iovcnt, uint8_t sig[8]);
int smb1_verify(const uint8_t *key, size_t key_len, uint32_t seq, const uint8_t *msg, size_t n);

/* The responses of a SESSION_SETUP_ANDX without extended security, and the signing key they yield. */
struct smb1_plain_auth {
	uint8_t lm[24];	 /* LMv2 (or LMv1 with ntlmv1) */
	uint8_t nt[512]; /* NTLMv2 response with its blob (or the 24-byte NTLMv1 response) */
	size_t nt_len;
	uint8_t mac_key[16 + 512]; /* session key || NT response (MS-CIFS 3.2.5.3) */
	size_t mac_key_len;
};
/*
 * NTLMv2 by default; NTLMv1 only when ntlmv1 (sec=ntlm). challenge is the negotiate response's; domain16
 * its DomainName (UTF-16LE, may be empty), put in the NTLMv2 blob. The caller wipes out when done
 * (OPENSSL_cleanse or explicit_bzero). -EINVAL for anonymous credentials.
 */
int smb1_plain_auth(const struct auth_creds *cr, bool ntlmv1, const uint8_t challenge[8], const uint8_t *domain16,
		    size_t domain16_len, struct smb1_plain_auth *out);

#endif
