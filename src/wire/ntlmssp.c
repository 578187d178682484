/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NTLMSSP message codecs, MS-NLMP 2.2.1 (NEGOTIATE, CHALLENGE, AUTHENTICATE) and 2.2.2.1 (AV_PAIR).
 * Contract: include/smbfuse/ntlmssp.h.
 *
 * Every variable field is a (Len, MaxLen, BufferOffset) triple relative to the message start. We read Len
 * and BufferOffset only (MaxLen is advisory, MS-NLMP 2.2.1.2) and check the range against the message with
 * cur_sub. An empty field's offset is not checked: Samba and Windows put arbitrary offsets there.
 */
#include <errno.h>
#include <string.h>

#include "smbfuse/cursor.h"
#include "smbfuse/ntlmssp.h"
#include "smbfuse/util.h"

#define NEG_HDR_LEN 40
#define CHAL_MIN_LEN 32       /* through ServerChallenge: what NT4-era servers sent */
#define CHAL_TINFO_LEN 48     /* through TargetInfoFields */
#define CHAL_VERSION_LEN 56   /* through Version */
#define AUTH_HDR_LEN 72       /* through Version */
#define AUTH_HDR_MIC_LEN 88   /* through MIC */
#define AUTH_MIC_OFF 72

static const uint8_t sig[8] = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0};

/* Read a (Len, MaxLen, Offset) triple and return a view of the field; empty fields yield a NULL view. */
static void field(struct cur *c, const uint8_t *msg, size_t n, const uint8_t **p, size_t *len)
{
	uint16_t l = cur_u16(c);
	(void)cur_u16(c);
	uint32_t off = cur_u32(c);
	*p = NULL;
	*len = 0;
	if (cur_err(c) || l == 0)
		return;
	if (!range_ok(n, off, l)) {
		cur_fail(c);
		return;
	}
	*p = msg + off;
	*len = l;
}

static void version_get(struct cur *c, struct ntlm_version *v)
{
	v->major = cur_u8(c);
	v->minor = cur_u8(c);
	v->build = cur_u16(c);
	cur_skip(c, 3);
	v->revision = cur_u8(c);
}

static void version_put(struct wbuf *w, const struct ntlm_version *v)
{
	if (!v) {
		wbuf_zero(w, 8);
		return;
	}
	wbuf_u8(w, v->major);
	wbuf_u8(w, v->minor);
	wbuf_u16(w, v->build);
	wbuf_zero(w, 3);
	wbuf_u8(w, v->revision);
}

int ntlm_negotiate_encode(struct wbuf *w, uint32_t flags, const struct ntlm_version *ver)
{
	if (flags & (NTLMSSP_NEGOTIATE_OEM_DOMAIN_SUPPLIED | NTLMSSP_NEGOTIATE_OEM_WORKSTATION_SUPPLIED))
		return -EINVAL;
	wbuf_bytes(w, sig, sizeof(sig));
	wbuf_u32(w, NTLMSSP_NEGOTIATE);
	wbuf_u32(w, flags);
	for (int i = 0; i < 2; i++) { /* DomainNameFields, WorkstationFields: empty */
		wbuf_u16(w, 0);
		wbuf_u16(w, 0);
		wbuf_u32(w, NEG_HDR_LEN);
	}
	version_put(w, ver);
	return wbuf_err(w);
}

static int check_sig(struct cur *c, uint32_t type)
{
	const uint8_t *s = cur_bytes(c, sizeof(sig));
	uint32_t t = cur_u32(c);
	if (cur_err(c) || memcmp(s, sig, sizeof(sig)) != 0 || t != type)
		return -EBADMSG;
	return 0;
}

int ntlm_challenge_decode(const uint8_t *p, size_t n, struct ntlm_challenge *out)
{
	struct ntlm_challenge ch;
	struct cur c;

	memset(out, 0, sizeof(*out));
	memset(&ch, 0, sizeof(ch));
	if (n < CHAL_MIN_LEN)
		return -EBADMSG;
	cur_init(&c, p, n);
	if (check_sig(&c, NTLMSSP_CHALLENGE))
		return -EBADMSG;
	field(&c, p, n, &ch.target_name, &ch.target_name_len);
	ch.flags = cur_u32(&c);
	cur_copy(&c, ch.server_challenge, 8);
	if (n >= CHAL_TINFO_LEN) {
		cur_skip(&c, 8); /* Reserved */
		field(&c, p, n, &ch.target_info, &ch.target_info_len);
	}
	if (n >= CHAL_VERSION_LEN && (ch.flags & NTLMSSP_NEGOTIATE_VERSION)) {
		version_get(&c, &ch.version);
		ch.has_version = true;
	}
	if (cur_err(&c))
		return -EBADMSG;
	if (ch.target_info_len && ntlm_av_validate(ch.target_info, ch.target_info_len))
		return -EBADMSG;
	*out = ch;
	return 0;
}

void ntlm_av_iter_init(struct ntlm_av_iter *it, const uint8_t *p, size_t n)
{
	cur_init(&it->c, p, n);
	it->done = false;
}

int ntlm_av_next(struct ntlm_av_iter *it, struct ntlm_av *av)
{
	if (it->done)
		return 0;
	uint16_t id = cur_u16(&it->c);
	uint16_t len = cur_u16(&it->c);
	const uint8_t *val = cur_bytes(&it->c, len);
	if (cur_err(&it->c))
		return -EBADMSG;
	if (id == MSV_AV_EOL) {
		it->done = true;
		return 0;
	}
	av->id = id;
	av->val = val;
	av->len = len;
	return 1;
}

int ntlm_av_find(const uint8_t *p, size_t n, uint16_t id, struct ntlm_av *av)
{
	struct ntlm_av_iter it;
	struct ntlm_av a;
	int rc;

	ntlm_av_iter_init(&it, p, n);
	while ((rc = ntlm_av_next(&it, &a)) > 0) {
		if (a.id == id) {
			*av = a;
			return 0;
		}
	}
	return rc < 0 ? rc : -ENOENT;
}

int ntlm_av_validate(const uint8_t *p, size_t n)
{
	struct ntlm_av_iter it;
	struct ntlm_av a;
	int rc;

	ntlm_av_iter_init(&it, p, n);
	while ((rc = ntlm_av_next(&it, &a)) > 0)
		;
	return rc;
}

int ntlm_av_put(struct wbuf *w, uint16_t id, const void *val, size_t len)
{
	if (len > UINT16_MAX)
		return -EINVAL;
	wbuf_u16(w, id);
	wbuf_u16(w, (uint16_t)len);
	wbuf_bytes(w, val, len);
	return wbuf_err(w);
}

/* Append a payload field and patch its triple at hdr (relative to base). */
static void put_payload(struct wbuf *w, size_t base, size_t hdr, const void *p, size_t n)
{
	size_t off = w->len - base;
	if (n > UINT16_MAX || off > UINT32_MAX) {
		w->err = w->err ? w->err : -EMSGSIZE;
		return;
	}
	wbuf_bytes(w, p, n);
	if (wbuf_err(w))
		return;
	wbuf_set_u16(w, base + hdr, (uint16_t)n);
	wbuf_set_u16(w, base + hdr + 2, (uint16_t)n);
	wbuf_set_u32(w, base + hdr + 4, (uint32_t)off);
}

static void put_utf16(struct wbuf *w, size_t base, size_t hdr, const char *s)
{
	size_t start = w->len, off = w->len - base;
	if (s)
		wbuf_utf16(w, s, strlen(s));
	if (wbuf_err(w))
		return;
	size_t n = w->len - start;
	if (n > UINT16_MAX) {
		w->err = -EMSGSIZE;
		return;
	}
	wbuf_set_u16(w, base + hdr, (uint16_t)n);
	wbuf_set_u16(w, base + hdr + 2, (uint16_t)n);
	wbuf_set_u32(w, base + hdr + 4, (uint32_t)off);
}

int ntlm_authenticate_encode(struct wbuf *w, const struct ntlm_authenticate *in, size_t *mic_off)
{
	size_t base = w->len;

	*mic_off = 0;
	if (!(in->flags & NTLMSSP_NEGOTIATE_UNICODE))
		return -EINVAL;
	wbuf_bytes(w, sig, sizeof(sig));
	wbuf_u32(w, NTLMSSP_AUTH);
	wbuf_zero(w, 6 * 8); /* six field triples, patched below */
	wbuf_u32(w, in->flags);
	version_put(w, in->version);
	if (in->with_mic)
		wbuf_zero(w, 16);
	if (wbuf_err(w))
		return wbuf_err(w);
	/* Payload order as Windows sends it: domain, user, workstation, LM, NT, session key. */
	put_utf16(w, base, 28, in->domain);
	put_utf16(w, base, 36, in->user);
	put_utf16(w, base, 44, in->workstation);
	put_payload(w, base, 12, in->lm_response, in->lm_response_len);
	put_payload(w, base, 20, in->nt_response, in->nt_response_len);
	put_payload(w, base, 52, in->enc_session_key, in->enc_session_key_len);
	if (wbuf_err(w))
		return wbuf_err(w);
	if (in->with_mic)
		*mic_off = base + AUTH_MIC_OFF;
	return 0;
}

int ntlm_authenticate_decode(const uint8_t *p, size_t n, struct ntlm_authenticate_view *out)
{
	struct ntlm_authenticate_view v;
	struct cur c;

	memset(out, 0, sizeof(*out));
	memset(&v, 0, sizeof(v));
	if (n < AUTH_HDR_LEN - 8) /* Version is optional for a peer without NEGOTIATE_VERSION */
		return -EBADMSG;
	cur_init(&c, p, n);
	if (check_sig(&c, NTLMSSP_AUTH))
		return -EBADMSG;
	field(&c, p, n, &v.lm_response, &v.lm_response_len);
	field(&c, p, n, &v.nt_response, &v.nt_response_len);
	field(&c, p, n, &v.domain, &v.domain_len);
	field(&c, p, n, &v.user, &v.user_len);
	field(&c, p, n, &v.workstation, &v.workstation_len);
	field(&c, p, n, &v.enc_session_key, &v.enc_session_key_len);
	v.flags = cur_u32(&c);
	if (cur_err(&c))
		return -EBADMSG;
	/* The MIC is there when no payload field starts before its end (MS-NLMP 2.2.1.3 MIC note). */
	size_t first = n;
	const uint8_t *f[] = {v.lm_response, v.nt_response, v.domain, v.user, v.workstation, v.enc_session_key};
	for (size_t i = 0; i < ARRAY_SIZE(f); i++)
		if (f[i] && (size_t)(f[i] - p) < first)
			first = (size_t)(f[i] - p);
	if (first >= AUTH_HDR_MIC_LEN && n >= AUTH_HDR_MIC_LEN)
		v.mic = p + AUTH_MIC_OFF;
	*out = v;
	return 0;
}
