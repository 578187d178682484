/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ntlmssp.h - NTLMSSP message codecs (MS-NLMP 2.2) and the SPNEGO token codecs that carry them
 * (RFC 4178, MS-SPNG 2.2), part of the wire layer.
 *
 * Pure functions: libc + util only. Decoders never allocate and never trust a length or offset; they return
 * views (pointer + length) into the caller's buffer, valid as long as that buffer. Encoders append to a wbuf
 * and report the wbuf's sticky error. Returns: 0 on success, -EBADMSG for malformed input, -EINVAL for bad
 * arguments to an encoder, a wbuf error (-ENOMEM, -EMSGSIZE, -EILSEQ) otherwise. Out-structures are cleared
 * on entry and meaningful only on success.
 * Thread: no shared state.
 */
#ifndef SMBFUSE_NTLMSSP_H
#define SMBFUSE_NTLMSSP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "smbfuse/cursor.h"

/* ---- NTLMSSP (MS-NLMP 2.2) ---- */

#define NTLMSSP_SIGNATURE "NTLMSSP" /* 8 bytes with its NUL */
#define NTLMSSP_NEGOTIATE 1
#define NTLMSSP_CHALLENGE 2
#define NTLMSSP_AUTH 3

/* NEGOTIATE flags (MS-NLMP 2.2.2.5) */
#define NTLMSSP_NEGOTIATE_UNICODE 0x00000001u
#define NTLMSSP_NEGOTIATE_OEM 0x00000002u
#define NTLMSSP_REQUEST_TARGET 0x00000004u
#define NTLMSSP_NEGOTIATE_SIGN 0x00000010u
#define NTLMSSP_NEGOTIATE_SEAL 0x00000020u
#define NTLMSSP_NEGOTIATE_LM_KEY 0x00000080u
#define NTLMSSP_NEGOTIATE_NTLM 0x00000200u
#define NTLMSSP_ANONYMOUS 0x00000800u
#define NTLMSSP_NEGOTIATE_OEM_DOMAIN_SUPPLIED 0x00001000u
#define NTLMSSP_NEGOTIATE_OEM_WORKSTATION_SUPPLIED 0x00002000u
#define NTLMSSP_NEGOTIATE_ALWAYS_SIGN 0x00008000u
#define NTLMSSP_TARGET_TYPE_DOMAIN 0x00010000u
#define NTLMSSP_TARGET_TYPE_SERVER 0x00020000u
#define NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY 0x00080000u
#define NTLMSSP_NEGOTIATE_IDENTIFY 0x00100000u
#define NTLMSSP_REQUEST_NON_NT_SESSION_KEY 0x00400000u
#define NTLMSSP_NEGOTIATE_TARGET_INFO 0x00800000u
#define NTLMSSP_NEGOTIATE_VERSION 0x02000000u
#define NTLMSSP_NEGOTIATE_128 0x20000000u
#define NTLMSSP_NEGOTIATE_KEY_EXCH 0x40000000u
#define NTLMSSP_NEGOTIATE_56 0x80000000u

/* AV_PAIR ids (MS-NLMP 2.2.2.1) */
enum ntlm_av_id {
	MSV_AV_EOL = 0,
	MSV_AV_NB_COMPUTER_NAME = 1,
	MSV_AV_NB_DOMAIN_NAME = 2,
	MSV_AV_DNS_COMPUTER_NAME = 3,
	MSV_AV_DNS_DOMAIN_NAME = 4,
	MSV_AV_DNS_TREE_NAME = 5,
	MSV_AV_FLAGS = 6,
	MSV_AV_TIMESTAMP = 7,
	MSV_AV_SINGLE_HOST = 8,
	MSV_AV_TARGET_NAME = 9,
	MSV_AV_CHANNEL_BINDINGS = 10,
};
#define MSV_AV_FLAG_MIC_PRESENT 0x00000002u /* MsvAvFlags bit: the AUTHENTICATE carries a MIC */

/* VERSION (MS-NLMP 2.2.2.10); NTLMSSP revision 15 is the only one defined. */
struct ntlm_version {
	uint8_t major, minor;
	uint16_t build;
	uint8_t revision;
};
#define NTLMSSP_REVISION_W2K3 0x0F

/* Encode a NEGOTIATE_MESSAGE with no domain/workstation (the OEM_*_SUPPLIED flags must be clear: -EINVAL).
 * ver may be NULL: the Version field is then zero (it is only meaningful with NTLMSSP_NEGOTIATE_VERSION). */
int ntlm_negotiate_encode(struct wbuf *w, uint32_t flags, const struct ntlm_version *ver);

/* CHALLENGE_MESSAGE (MS-NLMP 2.2.1.2). Views into the decoded buffer. */
struct ntlm_challenge {
	uint32_t flags;
	uint8_t server_challenge[8];
	const uint8_t *target_name; /* UTF-16LE when flags has UNICODE, else OEM */
	size_t target_name_len;
	const uint8_t *target_info; /* AV_PAIR list, validated to be well-formed and EOL-terminated */
	size_t target_info_len;
	bool has_version;           /* the message is long enough for Version and NEGOTIATE_VERSION is set */
	struct ntlm_version version;
};
int ntlm_challenge_decode(const uint8_t *p, size_t n, struct ntlm_challenge *out);

/* One AV_PAIR: id and a view of its value. */
struct ntlm_av {
	uint16_t id;
	const uint8_t *val;
	size_t len;
};
struct ntlm_av_iter {
	struct cur c;
	bool done;
};
void ntlm_av_iter_init(struct ntlm_av_iter *it, const uint8_t *p, size_t n);
/* 1: *av holds the next pair; 0: MsvAvEOL reached (not returned as a pair); -EBADMSG: truncated list, a pair
 * running past the end, or no MsvAvEOL. */
int ntlm_av_next(struct ntlm_av_iter *it, struct ntlm_av *av);
/* 0 and *av on the first pair with id; -ENOENT if absent; -EBADMSG if the list is malformed before it. */
int ntlm_av_find(const uint8_t *p, size_t n, uint16_t id, struct ntlm_av *av);
/* 0 if the whole list is well-formed and ends in MsvAvEOL (trailing bytes after it are tolerated: Windows
 * pads), else -EBADMSG. */
int ntlm_av_validate(const uint8_t *p, size_t n);
/* Append one AV_PAIR (len <= 65535, else -EINVAL). */
int ntlm_av_put(struct wbuf *w, uint16_t id, const void *val, size_t len);

/* AUTHENTICATE_MESSAGE (MS-NLMP 2.2.1.3). Strings are UTF-8 (NULL = empty), sent as UTF-16LE, so flags must
 * include NTLMSSP_NEGOTIATE_UNICODE (-EINVAL otherwise). */
struct ntlm_authenticate {
	uint32_t flags;
	const uint8_t *lm_response;
	size_t lm_response_len;
	const uint8_t *nt_response;
	size_t nt_response_len;
	const char *domain, *user, *workstation;
	const uint8_t *enc_session_key; /* EncryptedRandomSessionKey, or NULL */
	size_t enc_session_key_len;
	const struct ntlm_version *version; /* NULL: zeros */
	bool with_mic;                      /* reserve a 16-byte MIC field */
};
/*
 * Append the message to w. With with_mic, *mic_off receives the MIC field's offset from the start of w's
 * buffer (not of the message) so the caller can compute the MIC over the whole exchange and patch it in;
 * without it *mic_off is set to 0. The Version field is always present (it is required before the MIC
 * and harmless otherwise), so the payload starts at offset 88 (with MIC) or 72.
 */
int ntlm_authenticate_encode(struct wbuf *w, const struct ntlm_authenticate *in, size_t *mic_off);

/* Decoded AUTHENTICATE (for tests and fuzzing: a client never receives one). String fields are UTF-16LE views. */
struct ntlm_authenticate_view {
	uint32_t flags;
	const uint8_t *lm_response, *nt_response, *domain, *user, *workstation, *enc_session_key;
	size_t lm_response_len, nt_response_len, domain_len, user_len, workstation_len, enc_session_key_len;
	const uint8_t *mic; /* 16 bytes, or NULL when the payload begins before offset 88 */
};
int ntlm_authenticate_decode(const uint8_t *p, size_t n, struct ntlm_authenticate_view *out);

/* ---- SPNEGO (RFC 4178, MS-SPNG) ---- */

/* DER contents (without tag and length) of the OIDs we name. */
extern const uint8_t spnego_oid_spnego[6];  /* 1.3.6.1.5.5.2 */
extern const uint8_t spnego_oid_ntlmssp[10]; /* 1.3.6.1.4.1.311.2.2.10 */
extern const uint8_t spnego_oid_krb5[9];     /* 1.2.840.113554.1.2.2 (RFC 4121) */
extern const uint8_t spnego_oid_ms_krb5[9];  /* 1.2.840.48018.1.2.2, what Windows servers also list */

/* NegState (RFC 4178 4.2.2) */
enum spnego_neg_state {
	SPNEGO_ABSENT = -1,
	SPNEGO_ACCEPT_COMPLETED = 0,
	SPNEGO_ACCEPT_INCOMPLETE = 1,
	SPNEGO_REJECT = 2,
	SPNEGO_REQUEST_MIC = 3,
};

/*
 * Append a GSS-API InitialContextToken (RFC 2743 3.1) holding NegTokenInit with mechTypes = [mech_oid] and
 * mechToken = token. mech_oid is OID contents (e.g. spnego_oid_ntlmssp). The DER of mechTypes (what the
 * mechListMIC covers, RFC 4178 5) is also written to mech_types if that is non-NULL.
 */
int spnego_init_encode(struct wbuf *w, const uint8_t *mech_oid, size_t oid_len, const uint8_t *token, size_t n,
		       struct wbuf *mech_types);

/* The server's NegTokenInit / NegTokenInit2 (MS-SPNG 2.2.1), as found in the SMB2 NEGOTIATE response. */
struct spnego_init {
	const uint8_t *mech_types; /* contents of the MechTypeList SEQUENCE (a run of OID TLVs) */
	size_t mech_types_len;
	const uint8_t *mech_token; /* OCTET STRING contents, or NULL */
	size_t mech_token_len;
};
/* Accepts the GSS-wrapped form (0x60 ...) and a bare [0] NegTokenInit. */
int spnego_init_decode(const uint8_t *p, size_t n, struct spnego_init *out);
/* 1 if the OID (contents) is in the decoded mech_types list, else 0; -EBADMSG if the list is malformed. */
int spnego_init_offers(const struct spnego_init *in, const uint8_t *oid, size_t oid_len);

/* NegTokenResp (RFC 4178 4.2.2). Views; absent fields are NULL/0 (neg_state SPNEGO_ABSENT). */
struct spnego_resp {
	int neg_state;
	const uint8_t *supported_mech; /* OID contents */
	size_t supported_mech_len;
	const uint8_t *response_token;
	size_t response_token_len;
	const uint8_t *mech_list_mic;
	size_t mech_list_mic_len;
};
int spnego_resp_decode(const uint8_t *p, size_t n, struct spnego_resp *out);
/* Append a NegTokenResp with optional negState (SPNEGO_ABSENT to omit), responseToken and mechListMIC (NULL to
 * omit each). */
int spnego_resp_encode(struct wbuf *w, int neg_state, const uint8_t *token, size_t n, const uint8_t *mic,
		       size_t mic_len);

#endif
