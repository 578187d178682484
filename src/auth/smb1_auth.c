/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SMB1 message signing (MS-CIFS 3.1.4.1: MD5 over the MAC key and the message whose SecuritySignature holds
 * the sequence number) and the challenge/response of a SESSION_SETUP_ANDX without extended security
 * (MS-CIFS 3.2.4.2.4, MS-NLMP 3.3.1/3.3.2).
 *
 * Why the MAC key has the NT response appended: without extended security the signing key is the session
 * key followed by the response that proved it (MS-CIFS 3.2.5.3, "SigningChallengeResponse"); Samba's
 * srv_set_signing and the Linux client agree. With extended security it is the 16-byte exported key alone.
 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "auth_i.h"
#include "smbfuse/auth.h"

#define SMB1_SIG_OFF 14 /* SecuritySignature in the SMB1 header (MS-CIFS 2.2.3.1) */
#define SMB1_SIG_LEN 8
#define AV_EOL 0
#define AV_NB_DOMAIN 2
#define FILETIME_UNIX_EPOCH 116444736000000000ull

static int mac(const uint8_t *key, size_t key_len, uint32_t seq, const struct iovec *iov, int iovcnt, uint8_t sig[8])
{
	uint8_t seqbuf[SMB1_SIG_LEN] = {(uint8_t)seq, (uint8_t)(seq >> 8), (uint8_t)(seq >> 16), (uint8_t)(seq >> 24)};
	uint8_t md[16];
	unsigned mdl = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = ctx && EVP_DigestInit_ex(ctx, EVP_md5(), NULL) == 1 && EVP_DigestUpdate(ctx, key, key_len) == 1;
	for (int i = 0; ok && i < iovcnt; i++) {
		const uint8_t *p = iov[i].iov_base;
		size_t n = iov[i].iov_len;
		/* The first piece carries the header: its signature field is replaced by the sequence number. */
		if (i == 0) {
			ok = n >= SMB1_SIG_OFF + SMB1_SIG_LEN && EVP_DigestUpdate(ctx, p, SMB1_SIG_OFF) == 1 &&
			     EVP_DigestUpdate(ctx, seqbuf, SMB1_SIG_LEN) == 1;
			p += SMB1_SIG_OFF + SMB1_SIG_LEN;
			n -= ok ? SMB1_SIG_OFF + SMB1_SIG_LEN : n;
		}
		ok = ok && EVP_DigestUpdate(ctx, p, n) == 1;
	}
	ok = ok && EVP_DigestFinal_ex(ctx, md, &mdl) == 1 && mdl == 16;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return -EINVAL;
	memcpy(sig, md, SMB1_SIG_LEN);
	OPENSSL_cleanse(md, sizeof(md));
	return 0;
}

int smb1_sign(const uint8_t *key, size_t key_len, uint32_t seq, const struct iovec *iov, int iovcnt, uint8_t sig[8])
{
	return mac(key, key_len, seq, iov, iovcnt, sig);
}

int smb1_verify(const uint8_t *key, size_t key_len, uint32_t seq, const uint8_t *msg, size_t n)
{
	uint8_t sig[SMB1_SIG_LEN];
	struct iovec iov = {.iov_base = (void *)msg, .iov_len = n};
	int r = mac(key, key_len, seq, &iov, 1, sig);
	if (r)
		return r;
	return CRYPTO_memcmp(sig, msg + SMB1_SIG_OFF, SMB1_SIG_LEN) == 0 ? 0 : -EACCES;
}

/* NTLMv1 (sec=ntlm only): the NT response by DESL, session key MD4(NT hash) (MS-NLMP 3.3.1). The LM field
 * repeats the NT response, as Windows sends it with LM hashes disabled: the LM hash is too weak to send. */
static int plain_v1(const struct auth_creds *cr, const uint8_t challenge[8], struct smb1_plain_auth *out)
{
	uint8_t nt_hash[16];
	int r = auth_creds_nt_hash(cr, nt_hash);
	if (!r)
		r = ntlm_legacy_v1_response(nt_hash, challenge, out->nt);
	if (!r)
		r = ntlm_legacy_v1_session_key(nt_hash, out->mac_key);
	memcpy(out->lm, out->nt, 24);
	out->nt_len = 24;
	OPENSSL_cleanse(nt_hash, sizeof(nt_hash));
	return r;
}

/* The NTLMv2 blob's AV pairs: the server's NetBIOS domain from the negotiate response, as the Linux client. */
static void av_pairs(struct wbuf *w, const uint8_t *domain16, size_t domain16_len)
{
	if (domain16_len) {
		wbuf_u16(w, AV_NB_DOMAIN);
		wbuf_u16(w, (uint16_t)domain16_len);
		wbuf_bytes(w, domain16, domain16_len);
	}
	wbuf_u16(w, AV_EOL);
	wbuf_u16(w, 0);
}

static uint64_t filetime_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 10000000u + (uint64_t)ts.tv_nsec / 100u + FILETIME_UNIX_EPOCH;
}

static int plain_v2(const struct auth_creds *cr, const uint8_t challenge[8], const uint8_t *domain16,
		    size_t domain16_len, struct smb1_plain_auth *out)
{
	uint8_t key[16], cc[8];
	struct wbuf av, nt;
	wbuf_init(&av, 4096);
	wbuf_init(&nt, sizeof(out->nt));
	av_pairs(&av, domain16, domain16_len > 1024 ? 0 : domain16_len);
	uint8_t nt_hash[16];
	int r = auth_creds_nt_hash(cr, nt_hash);
	if (!r)
		r = ntlm_ntowfv2_hash(nt_hash, cr->user ? cr->user : "", cr->domain ? cr->domain : "", key);
	OPENSSL_cleanse(nt_hash, sizeof(nt_hash));
	if (!r && getrandom(cc, sizeof(cc), 0) != (ssize_t)sizeof(cc))
		r = -EIO;
	if (!r)
		r = wbuf_err(&av)
			? wbuf_err(&av)
			: ntlm_v2_response(key, challenge, cc, filetime_now(), av.p, av.len, &nt, out->mac_key);
	if (!r)
		r = ntlm_lmv2_response(key, challenge, cc, out->lm);
	if (!r && nt.len <= sizeof(out->nt)) {
		memcpy(out->nt, nt.p, nt.len);
		out->nt_len = nt.len;
	} else if (!r) {
		r = -EMSGSIZE;
	}
	OPENSSL_cleanse(key, sizeof(key));
	wbuf_free(&av);
	if (nt.p)
		OPENSSL_cleanse(nt.p, nt.cap);
	wbuf_free(&nt);
	return r;
}

int smb1_plain_auth(const struct auth_creds *cr, bool ntlmv1, const uint8_t challenge[8], const uint8_t *domain16,
		    size_t domain16_len, struct smb1_plain_auth *out)
{
	struct smb1_plain_auth a;
	memset(&a, 0, sizeof(a));
	if (!cr || cr->anonymous)
		return -EINVAL;
	int r = ntlmv1 ? plain_v1(cr, challenge, &a) : plain_v2(cr, challenge, domain16, domain16_len, &a);
	if (r == 0) {
		/* MAC key = session key || NT response. */
		memcpy(a.mac_key + 16, a.nt, a.nt_len);
		a.mac_key_len = 16 + a.nt_len;
		*out = a;
	}
	OPENSSL_cleanse(&a, sizeof(a));
	return r;
}
