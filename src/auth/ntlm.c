/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NTLM mechanism (MS-NLMP): NTLMv2 responses (3.3.2), key exchange (3.4.5.1), the AUTHENTICATE MIC (3.1.5.1.2),
 * and the signing/sealing keys that protect the SPNEGO mechListMIC (3.4.4.2, 3.4.5.2, 3.4.5.3). Messages are
 * encoded by src/wire/ntlmssp.c; this file does the math with OpenSSL (HMAC-MD5, MD5) plus md4rc4.c.
 *
 * Choices:
 * - The MIC and MsvAvFlags=MIC_PRESENT are sent when the server's TargetInfo has MsvAvTimestamp, which is when
 *   MS-NLMP 3.1.5.1.2 asks for them; every server since Windows 7 / Samba 4 sends one. Without a timestamp we
 *   send the LMv2 response; with one, Z(24), again as 3.1.5.1.2 says.
 * - MsvAvTargetName "cifs/<host>" is added only when the caller names the host (auth_creds.target_host).
 * - Anonymous (3.2.5.1.2): LM response Z(1), empty NT response, no key exchange, no MIC; there is no session
 *   key, so no signing and no mechListMIC.
 * - SEAL is not requested: SMB2 uses its own encryption, and we never GSS_Wrap.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wctype.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "auth_i.h"
#include "smbfuse/ntlmssp.h"
#include "smbfuse/secret.h"
#include "smbfuse/util.h"

#define CLIENT_FLAGS                                                                                                   \
	(NTLMSSP_NEGOTIATE_UNICODE | NTLMSSP_REQUEST_TARGET | NTLMSSP_NEGOTIATE_SIGN | NTLMSSP_NEGOTIATE_NTLM |        \
	 NTLMSSP_NEGOTIATE_ALWAYS_SIGN | NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY | NTLMSSP_NEGOTIATE_TARGET_INFO |  \
	 NTLMSSP_NEGOTIATE_VERSION | NTLMSSP_NEGOTIATE_128 | NTLMSSP_NEGOTIATE_KEY_EXCH | NTLMSSP_NEGOTIATE_56)

/* What we claim to be in VERSION: the values are informational only (MS-NLMP 2.2.2.10). */
static const struct ntlm_version client_version = {6, 1, 7601, NTLMSSP_REVISION_W2K3};

enum ntlm_phase { NTLM_START, NTLM_SENT_NEGOTIATE, NTLM_DONE };

/* In secret memory (secret.h): it holds the NT hash and every key. */
struct ntlm_st {
	char *user, *domain, *workstation, *target_host;
	uint8_t nt_hash[16];
	bool anonymous;
	enum ntlm_phase phase;
	uint8_t *negotiate; /* our NEGOTIATE_MESSAGE, kept for the MIC */
	size_t negotiate_len;
	uint32_t flags; /* negotiated */
	uint8_t exported_key[16];
	bool have_key;
	uint8_t sign_c2s[16], sign_s2c[16];
	struct rc4 seal_c2s, seal_s2c;
	uint32_t seq_c2s, seq_s2c;
	bool fixed; /* test hook: deterministic randoms */
	uint8_t fixed_cchal[8], fixed_key[16];
	uint64_t fixed_time; /* used when fixed and the server sent no MsvAvTimestamp */
};

/* ---- primitives ---- */

static int hmac_md5(const uint8_t key[16], const struct iovec *iov, int iovcnt, uint8_t out[16])
{
	int rc = auth_hmac("MD5", key, 16, iov, iovcnt, out, 16);
	return rc < 0 ? rc : 0;
}

int ntlm_nt_hash(const char *password, uint8_t out[16])
{
	uint8_t *u;
	size_t n;
	int rc = auth_utf16(password, false, &u, &n);
	if (rc)
		return rc;
	md4_digest(u, n, out);
	OPENSSL_cleanse(u, n);
	free(u);
	return 0;
}

int ntlm_ntowfv2_hash(const uint8_t nt_hash[16], const char *user, const char *domain, uint8_t out[16])
{
	uint8_t *u = NULL, *d = NULL;
	size_t un = 0, dn = 0;
	int rc = auth_utf16(user, true, &u, &un);
	if (!rc)
		rc = auth_utf16(domain, false, &d, &dn);
	if (!rc) {
		struct iovec iov[2] = {{u, un}, {d, dn}};
		rc = hmac_md5(nt_hash, iov, 2, out);
	}
	free(u);
	free(d);
	return rc;
}

int ntlm_ntowfv2(const char *password, const char *user, const char *domain, uint8_t out[16])
{
	uint8_t nt[16];
	int rc = ntlm_nt_hash(password, nt);
	if (!rc)
		rc = ntlm_ntowfv2_hash(nt, user, domain, out);
	OPENSSL_cleanse(nt, sizeof(nt));
	return rc;
}

int auth_creds_nt_hash(const struct auth_creds *cr, uint8_t out[16])
{
	if (cr->nt_hash) {
		memcpy(out, cr->nt_hash, 16);
		return 0;
	}
	return ntlm_nt_hash(cr->password ? cr->password : "", out);
}

int ntlm_v2_response(const uint8_t response_key[16], const uint8_t server_challenge[8],
		     const uint8_t client_challenge[8], uint64_t timestamp, const uint8_t *target_info,
		     size_t target_info_len, struct wbuf *nt_response, uint8_t session_base_key[16])
{
	uint8_t proof[16];
	size_t start = nt_response->len;

	/* NTProofStr || temp, where temp is the NTLMv2_CLIENT_CHALLENGE (MS-NLMP 2.2.2.7) and a 4-byte Z. */
	wbuf_zero(nt_response, 16);
	wbuf_u8(nt_response, 1); /* RespType */
	wbuf_u8(nt_response, 1); /* HiRespType */
	wbuf_zero(nt_response, 6);
	wbuf_u64(nt_response, timestamp);
	wbuf_bytes(nt_response, client_challenge, 8);
	wbuf_zero(nt_response, 4);
	wbuf_bytes(nt_response, target_info, target_info_len);
	wbuf_zero(nt_response, 4);
	if (wbuf_err(nt_response))
		return wbuf_err(nt_response);
	uint8_t *temp = nt_response->p + start + 16;
	struct iovec iov[2] = {{(void *)server_challenge, 8}, {temp, nt_response->len - start - 16}};
	int rc = hmac_md5(response_key, iov, 2, proof);
	if (rc)
		return rc;
	memcpy(nt_response->p + start, proof, 16);
	struct iovec iov2 = {proof, 16};
	return hmac_md5(response_key, &iov2, 1, session_base_key);
}

int ntlm_lmv2_response(const uint8_t response_key[16], const uint8_t server_challenge[8],
		       const uint8_t client_challenge[8], uint8_t out[24])
{
	struct iovec iov[2] = {{(void *)server_challenge, 8}, {(void *)client_challenge, 8}};
	int rc = hmac_md5(response_key, iov, 2, out);
	if (!rc)
		memcpy(out + 16, client_challenge, 8);
	return rc;
}

/* ---- the mechanism ---- */

static char *dup_or_empty(const char *s)
{
	return strdup(s ? s : "");
}

static void wipe_free_str(char *s)
{
	if (s) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

static void ntlm_destroy(void *p)
{
	struct ntlm_st *st = p;
	if (!st)
		return;
	wipe_free_str(st->user);
	wipe_free_str(st->domain);
	wipe_free_str(st->workstation);
	wipe_free_str(st->target_host);
	free(st->negotiate);
	secret_free(st);
}

static int ntlm_create(const struct auth_creds *cr, void **out)
{
	struct ntlm_st *st = secret_alloc(sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->anonymous = cr->anonymous;
	/* The hash right away: the password itself is not needed again, so it is not kept. */
	int rc = cr->anonymous ? 0 : auth_creds_nt_hash(cr, st->nt_hash);
	st->user = dup_or_empty(cr->anonymous ? NULL : cr->user);
	st->domain = dup_or_empty(cr->anonymous ? NULL : cr->domain);
	st->workstation = dup_or_empty(cr->workstation);
	st->target_host = cr->target_host ? strdup(cr->target_host) : NULL;
	if (rc == 0 && (!st->user || !st->domain || !st->workstation || (cr->target_host && !st->target_host)))
		rc = -ENOMEM;
	if (rc) {
		ntlm_destroy(st);
		return rc;
	}
	*out = st;
	return 0;
}

static int ntlm_send_negotiate(struct ntlm_st *st, struct wbuf *out)
{
	size_t start = out->len;
	uint32_t flags = CLIENT_FLAGS | (st->anonymous ? NTLMSSP_ANONYMOUS : 0);
	int rc = ntlm_negotiate_encode(out, flags, &client_version);
	if (rc)
		return rc;
	st->negotiate_len = out->len - start;
	st->negotiate = malloc(st->negotiate_len);
	if (!st->negotiate)
		return -ENOMEM;
	memcpy(st->negotiate, out->p + start, st->negotiate_len);
	st->phase = NTLM_SENT_NEGOTIATE;
	return 1;
}

/*
 * The TargetInfo we return inside the NTLMv2 response: the server's pairs, with MsvAvFlags gaining
 * MIC_PRESENT when we send a MIC and MsvAvTargetName set to cifs/<host> when we know the host
 * (MS-NLMP 3.1.5.1.2). Without either change the server's list is copied unchanged.
 */
static int build_target_info(const struct ntlm_st *st, const struct ntlm_challenge *ch, bool mic, struct wbuf *ti)
{
	struct ntlm_av_iter it;
	struct ntlm_av av;
	uint32_t avflags = 0;
	int rc;

	if (!mic && !st->target_host) {
		wbuf_bytes(ti, ch->target_info, ch->target_info_len);
		return wbuf_err(ti);
	}
	ntlm_av_iter_init(&it, ch->target_info, ch->target_info_len);
	while ((rc = ntlm_av_next(&it, &av)) > 0) {
		if (av.id == MSV_AV_FLAGS && av.len == 4) {
			avflags = get_le32(av.val);
			continue;
		}
		if (av.id == MSV_AV_TARGET_NAME && st->target_host)
			continue;
		if ((rc = ntlm_av_put(ti, av.id, av.val, av.len)))
			return rc;
	}
	if (rc < 0)
		return rc;
	if (mic)
		avflags |= MSV_AV_FLAG_MIC_PRESENT;
	if (avflags) {
		uint8_t v[4];
		put_le32(v, avflags);
		ntlm_av_put(ti, MSV_AV_FLAGS, v, 4);
	}
	if (st->target_host) {
		size_t hdr = ti->len;
		wbuf_u16(ti, MSV_AV_TARGET_NAME);
		wbuf_u16(ti, 0);
		wbuf_utf16(ti, "cifs/", 5);
		wbuf_utf16(ti, st->target_host, strlen(st->target_host));
		if (!wbuf_err(ti) && ti->len - hdr - 4 <= UINT16_MAX)
			wbuf_set_u16(ti, hdr + 2, (uint16_t)(ti->len - hdr - 4));
		else if (!wbuf_err(ti))
			return -EINVAL;
	}
	ntlm_av_put(ti, MSV_AV_EOL, NULL, 0);
	return wbuf_err(ti);
}

/* Signing and sealing keys for the mechListMIC, MS-NLMP 3.4.5.2 SIGNKEY and 3.4.5.3 SEALKEY. */
static int derive_sign_seal(struct ntlm_st *st)
{
	static const char sc2s[] = "session key to client-to-server signing key magic constant";
	static const char ss2c[] = "session key to server-to-client signing key magic constant";
	static const char kc2s[] = "session key to client-to-server sealing key magic constant";
	static const char ks2c[] = "session key to server-to-client sealing key magic constant";
	size_t seal_len = (st->flags & NTLMSSP_NEGOTIATE_128) ? 16 : (st->flags & NTLMSSP_NEGOTIATE_56) ? 7 : 5;
	uint8_t k[16];
	int rc;

	/* sizeof includes the NUL, which the magic constants carry on the wire. */
	struct iovec a[2] = {{st->exported_key, 16}, {(void *)sc2s, sizeof(sc2s)}};
	if ((rc = auth_md5(a, 2, st->sign_c2s)))
		return rc;
	a[1] = (struct iovec){(void *)ss2c, sizeof(ss2c)};
	if ((rc = auth_md5(a, 2, st->sign_s2c)))
		return rc;
	a[0].iov_len = seal_len;
	a[1] = (struct iovec){(void *)kc2s, sizeof(kc2s)};
	if ((rc = auth_md5(a, 2, k)))
		return rc;
	rc4_init(&st->seal_c2s, k, 16);
	a[1] = (struct iovec){(void *)ks2c, sizeof(ks2c)};
	if (!(rc = auth_md5(a, 2, k)))
		rc4_init(&st->seal_s2c, k, 16);
	OPENSSL_cleanse(k, sizeof(k));
	return rc;
}

static uint64_t now_filetime(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return timespec_to_filetime(ts);
}

/* Everything the AUTHENTICATE carries, computed from the CHALLENGE. Secrets are wiped by the caller. */
struct auth_parts {
	uint8_t response_key[16], cchal[8], sbk[16], enc_key[16], lm[24];
	struct wbuf ti, nt;
	bool mic;
	uint64_t ts;
};

static int compute_responses(struct ntlm_st *st, const struct ntlm_challenge *ch, struct auth_parts *ap)
{
	struct ntlm_av av;
	int rc;

	ap->mic = ntlm_av_find(ch->target_info, ch->target_info_len, MSV_AV_TIMESTAMP, &av) == 0 && av.len == 8;
	ap->ts = ap->mic ? get_le64(av.val) : st->fixed ? st->fixed_time : now_filetime();
	if (st->fixed)
		memcpy(ap->cchal, st->fixed_cchal, 8);
	else if (RAND_bytes(ap->cchal, 8) != 1)
		return -EIO;
	if ((rc = ntlm_ntowfv2_hash(st->nt_hash, st->user, st->domain, ap->response_key)))
		return rc;
	if ((rc = build_target_info(st, ch, ap->mic, &ap->ti)))
		return rc;
	if ((rc = ntlm_v2_response(ap->response_key, ch->server_challenge, ap->cchal, ap->ts, ap->ti.p, ap->ti.len,
				   &ap->nt, ap->sbk)))
		return rc;
	if (ap->mic)
		memset(ap->lm, 0, sizeof(ap->lm));
	else if ((rc = ntlm_lmv2_response(ap->response_key, ch->server_challenge, ap->cchal, ap->lm)))
		return rc;
	/* KXKEY for NTLMv2 is the SessionBaseKey (3.4.5.1); KEY_EXCH sends a fresh key under RC4 (3.1.5.1.2). */
	if (st->flags & NTLMSSP_NEGOTIATE_KEY_EXCH) {
		struct rc4 r;
		if (st->fixed)
			memcpy(st->exported_key, st->fixed_key, 16);
		else if (RAND_bytes(st->exported_key, 16) != 1)
			return -EIO;
		rc4_init(&r, ap->sbk, 16);
		rc4_crypt(&r, st->exported_key, ap->enc_key, 16);
		rc4_wipe(&r);
	} else {
		memcpy(st->exported_key, ap->sbk, 16);
	}
	return 0;
}

static int patch_mic(struct ntlm_st *st, const uint8_t *chal, size_t chal_len, struct wbuf *out, size_t start,
		     size_t mic_off)
{
	struct iovec iov[3] = {
		{st->negotiate, st->negotiate_len}, {(void *)chal, chal_len}, {out->p + start, out->len - start}};
	uint8_t mic[16];
	int rc = hmac_md5(st->exported_key, iov, 3, mic);
	if (!rc)
		memcpy(out->p + mic_off, mic, 16);
	return rc;
}

static int ntlm_send_authenticate(struct ntlm_st *st, const uint8_t *in, size_t n, struct wbuf *out)
{
	static const uint8_t z1[1] = {0};
	struct ntlm_challenge ch;
	struct auth_parts ap;
	struct ntlm_authenticate am;
	size_t start = out->len, mic_off;
	int rc;

	if (ntlm_challenge_decode(in, n, &ch))
		return -EBADMSG;
	if (!(ch.flags & NTLMSSP_NEGOTIATE_UNICODE)) /* OEM strings: not supported */
		return -EACCES;
	st->flags = (CLIENT_FLAGS & ch.flags) | NTLMSSP_NEGOTIATE_UNICODE;
	memset(&ap, 0, sizeof(ap));
	memset(&am, 0, sizeof(am));
	wbuf_init(&ap.ti, 65536);
	wbuf_init(&ap.nt, 65536 + 64);
	am.version = &client_version;
	am.workstation = st->workstation;
	if (st->anonymous) {
		st->flags = (st->flags & ~NTLMSSP_NEGOTIATE_KEY_EXCH) | NTLMSSP_ANONYMOUS;
		am.lm_response = z1;
		am.lm_response_len = 1;
	} else {
		if ((rc = compute_responses(st, &ch, &ap)))
			goto out;
		am.lm_response = ap.lm;
		am.lm_response_len = sizeof(ap.lm);
		am.nt_response = ap.nt.p;
		am.nt_response_len = ap.nt.len;
		am.domain = st->domain;
		am.user = st->user;
		am.with_mic = ap.mic;
		if (st->flags & NTLMSSP_NEGOTIATE_KEY_EXCH) {
			am.enc_session_key = ap.enc_key;
			am.enc_session_key_len = 16;
		}
	}
	am.flags = st->flags;
	if ((rc = ntlm_authenticate_encode(out, &am, &mic_off)))
		goto out;
	if (am.with_mic && (rc = patch_mic(st, in, n, out, start, mic_off)))
		goto out;
	if (!st->anonymous) {
		st->have_key = true;
		if ((st->flags & NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY) && (rc = derive_sign_seal(st)))
			goto out;
	}
	st->phase = NTLM_DONE;
	rc = 0;
out:
	if (ap.nt.p)
		OPENSSL_cleanse(ap.nt.p, ap.nt.cap);
	wbuf_free(&ap.nt);
	wbuf_free(&ap.ti);
	OPENSSL_cleanse(&ap, sizeof(ap));
	return rc;
}

static int ntlm_step(void *p, const uint8_t *in, size_t n, struct wbuf *out)
{
	struct ntlm_st *st = p;
	switch (st->phase) {
	case NTLM_START:
		return ntlm_send_negotiate(st, out); /* a hint token in `in` carries nothing for NTLM */
	case NTLM_SENT_NEGOTIATE:
		if (!in || !n)
			return -EBADMSG;
		return ntlm_send_authenticate(st, in, n, out);
	default:
		return -EPROTO;
	}
}

static int ntlm_session_key(const void *p, uint8_t key[16])
{
	const struct ntlm_st *st = p;
	if (st->anonymous)
		return -ENOKEY;
	if (!st->have_key)
		return -EAGAIN;
	memcpy(key, st->exported_key, 16);
	return 0;
}

/* NTLMSSP_MESSAGE_SIGNATURE with extended session security, MS-NLMP 3.4.4.2 and 2.2.2.9.1. */
static int ntlm_mac(const uint8_t sign_key[16], struct rc4 *seal, bool key_exch, uint32_t seq, const uint8_t *msg,
		    size_t n, uint8_t out[16])
{
	uint8_t seqb[4], h[16];
	put_le32(seqb, seq);
	struct iovec iov[2] = {{seqb, 4}, {(void *)msg, n}};
	int rc = hmac_md5(sign_key, iov, 2, h);
	if (rc)
		return rc;
	put_le32(out, 1);
	if (key_exch)
		rc4_crypt(seal, h, out + 4, 8);
	else
		memcpy(out + 4, h, 8);
	memcpy(out + 12, seqb, 4);
	return 0;
}

static bool can_mic(const struct ntlm_st *st)
{
	return st->have_key && (st->flags & NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY);
}

static int ntlm_get_mic(void *p, const uint8_t *msg, size_t n, struct wbuf *out)
{
	struct ntlm_st *st = p;
	uint8_t mac[16];
	if (!can_mic(st))
		return -ENOTSUP;
	int rc = ntlm_mac(st->sign_c2s, &st->seal_c2s, st->flags & NTLMSSP_NEGOTIATE_KEY_EXCH, st->seq_c2s++, msg, n,
			  mac);
	if (rc)
		return rc;
	wbuf_bytes(out, mac, 16);
	return wbuf_err(out);
}

static int ntlm_verify_mic(void *p, const uint8_t *msg, size_t n, const uint8_t *mic, size_t mic_len)
{
	struct ntlm_st *st = p;
	uint8_t mac[16];
	if (!can_mic(st))
		return -ENOTSUP;
	if (mic_len != 16)
		return -EBADMSG;
	int rc = ntlm_mac(st->sign_s2c, &st->seal_s2c, st->flags & NTLMSSP_NEGOTIATE_KEY_EXCH, st->seq_s2c++, msg, n,
			  mac);
	if (rc)
		return rc;
	return CRYPTO_memcmp(mac, mic, 16) ? -EBADMSG : 0;
}

const struct auth_mech auth_mech_ntlmssp = {
	.name = "NTLMSSP",
	.oid = spnego_oid_ntlmssp,
	.oid_len = sizeof(spnego_oid_ntlmssp),
	.create = ntlm_create,
	.step = ntlm_step,
	.session_key = ntlm_session_key,
	.get_mic = ntlm_get_mic,
	.verify_mic = ntlm_verify_mic,
	.destroy = ntlm_destroy,
};

void ntlm_test_fix_randoms(struct auth_ctx *a, const uint8_t client_challenge[8], const uint8_t session_key[16])
{
	struct ntlm_st *st = auth_mech_state(a);
	st->fixed = true;
	st->fixed_time = 0; /* MS-NLMP 4.2.4 uses Time = 0 */
	memcpy(st->fixed_cchal, client_challenge, 8);
	memcpy(st->fixed_key, session_key, 16);
}

/* ---- UTF-16 for secrets ---- */

/*
 * UPPER() of NTOWFv2 follows Windows' upcase table, not the process locale (a daemon usually runs in "C",
 * where towupper maps ASCII only). The common alphabets are mapped here; the rest falls back to towupper.
 * Results stay in the BMP so the size computed from the UTF-8 input still holds.
 */
static uint32_t upcase(uint32_t c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 0xE0 && c <= 0xFE && c != 0xF7) || (c >= 0x3B1 && c <= 0x3CB && c != 0x3C2) ||
	    (c >= 0x430 && c <= 0x44F))
		return c - 0x20;
	if (c == 0xFF)
		return 0x178;
	if (c >= 0x450 && c <= 0x45F)
		return c - 0x50;
	if (((c >= 0x100 && c <= 0x137) || (c >= 0x14A && c <= 0x177)) && (c & 1))
		return c - 1;
	if (((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) && !(c & 1))
		return c - 1;
	if (c < 0x80 || c >= 0x10000)
		return c;
	uint32_t u = (uint32_t)towupper((wint_t)c);
	return u < 0x10000 ? u : c;
}

int auth_utf16(const char *s, bool upper, uint8_t **out, size_t *n)
{
	size_t len = s ? strlen(s) : 0;
	long need = utf16_len_of_utf8(s ? s : "", len);
	*out = NULL;
	*n = 0;
	if (need < 0)
		return (int)need;
	uint8_t *b = malloc(need ? (size_t)need : 1);
	if (!b)
		return -ENOMEM;
	size_t o = 0;
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		int k = utf8_decode(s + i, len - i, &cp);
		if (k < 0) {
			OPENSSL_cleanse(b, (size_t)need);
			free(b);
			return k;
		}
		i += (size_t)k;
		/* towupper maps what the C library's locale knows; Windows' RtlUpcaseUnicodeString covers more of
		 * the BMP, so a non-ASCII user name may need to be given in upper case. */
		if (upper)
			cp = upcase(cp);
		if (cp >= 0x10000) {
			cp -= 0x10000;
			put_le16(b + o, (uint16_t)(0xD800 | cp >> 10));
			put_le16(b + o + 2, (uint16_t)(0xDC00 | (cp & 0x3FF)));
			o += 4;
		} else {
			put_le16(b + o, (uint16_t)cp);
			o += 2;
		}
	}
	*out = b;
	*n = o;
	return 0;
}
