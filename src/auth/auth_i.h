/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * auth_i.h - private to src/auth: the mechanism table entry, NTLM building blocks the unit tests reach,
 * and our own MD4/RC4 (see md4rc4.c for why they are not OpenSSL's).
 */
#ifndef SMBFUSE_AUTH_I_H
#define SMBFUSE_AUTH_I_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "smbfuse/auth.h"
#include "smbfuse/cursor.h"

/* MD4 (RFC 1320) over n bytes. */
void md4_digest(const void *p, size_t n, uint8_t out[16]);

struct rc4 {
	uint8_t s[256];
	uint8_t i, j;
};
void rc4_init(struct rc4 *r, const uint8_t *key, size_t n);
/* in and out may be the same buffer. */
void rc4_crypt(struct rc4 *r, const uint8_t *in, uint8_t *out, size_t n);
void rc4_wipe(struct rc4 *r);

/* OpenSSL glue (smb2_crypto.c): HMAC over an iovec list with the named digest ("MD5", "SHA256"). Returns the
 * MAC length or a negative errno. */
int auth_hmac(const char *digest, const uint8_t *key, size_t klen, const struct iovec *iov, int iovcnt,
	      uint8_t *out, size_t outsz);
int auth_cmac_aes128(const uint8_t key[16], const struct iovec *iov, int iovcnt, uint8_t out[16]);

/* UTF-8 -> UTF-16LE into an exactly-sized malloc'd buffer, so no realloc leaves a copy of a secret behind.
 * upper: map to upper case first (NTOWFv2's UPPER(User)). *out is OPENSSL_cleanse'd and freed by the caller. */
int auth_utf16(const char *s, bool upper, uint8_t **out, size_t *n);

/* cr->nt_hash, or the NT hash of cr->password. */
int auth_creds_nt_hash(const struct auth_creds *cr, uint8_t out[16]);

/*
 * One authentication mechanism behind SPNEGO. step() sees raw mechanism tokens (in == NULL first) and
 * appends its reply to out: 1 = more server tokens needed by the mechanism, 0 = mechanism finished (out holds
 * its last token, possibly empty). A mechanism whose acceptor finishes with its last token (Kerberos: the
 * AP-REP of mutual authentication comes with accept-completed) returns 0 with no output for that token.
 * get_mic/verify_mic implement GSS_GetMIC/GSS_VerifyMIC for the SPNEGO mechListMIC (RFC 4178 5); -ENOTSUP
 * when the mechanism has no integrity (anonymous). alt_oid: another OID the acceptor may name for the same
 * mechanism in its hint or supportedMech (Windows lists MS-KRB5 beside KRB5).
 */
struct auth_mech {
	const char *name;
	const uint8_t *oid;
	size_t oid_len;
	const uint8_t *alt_oid;
	size_t alt_oid_len;
	int (*create)(const struct auth_creds *cr, void **st);
	int (*step)(void *st, const uint8_t *in, size_t n, struct wbuf *out);
	int (*session_key)(const void *st, uint8_t key[16]);
	/* optional: the whole key (Kerberos: 32 bytes for AES-256), *len its length; cap must hold it */
	int (*session_key_full)(const void *st, uint8_t *key, size_t cap, size_t *len);
	long (*lifetime)(const void *st); /* optional: seconds the logon stays valid, 0 = no end known */
	int (*get_mic)(void *st, const uint8_t *msg, size_t n, struct wbuf *out);
	int (*verify_mic)(void *st, const uint8_t *msg, size_t n, const uint8_t *mic, size_t mic_len);
	void (*destroy)(void *st);
};
extern const struct auth_mech auth_mech_ntlmssp;
extern const struct auth_mech auth_mech_krb5; /* krb5.c, or krb5_none.c: create fails -EPROTONOSUPPORT */

/* NTLMv2 pieces (MS-NLMP 3.3.2), exposed for the known-answer tests. */
int ntlm_v2_response(const uint8_t response_key[16], const uint8_t server_challenge[8],
		     const uint8_t client_challenge[8], uint64_t timestamp, const uint8_t *target_info,
		     size_t target_info_len, struct wbuf *nt_response, uint8_t session_base_key[16]);
int ntlm_lmv2_response(const uint8_t response_key[16], const uint8_t server_challenge[8],
		       const uint8_t client_challenge[8], uint8_t out[24]);
/* Test hook: replace the random client challenge and exported session key of an NTLM state (the one
 * inside auth_ctx a, which must use NTLMSSP), and use Time = 0 when the server sends no MsvAvTimestamp. */
void ntlm_test_fix_randoms(struct auth_ctx *a, const uint8_t client_challenge[8], const uint8_t session_key[16]);
void *auth_mech_state(struct auth_ctx *a);

#endif
