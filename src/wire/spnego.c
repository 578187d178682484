/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SPNEGO tokens (RFC 4178 4.2, MS-SPNG 2.2) in DER, wrapped as RFC 2743 3.1 InitialContextToken where the
 * initiator's first token requires it. Contract: include/smbfuse/ntlmssp.h.
 *
 * The DER reader is deliberately small: one-byte tags only (SPNEGO uses no tag above 30), definite lengths in
 * short form or long form of up to 4 octets, every length checked against the bytes that enclose it. It is
 * driven by the fixed shape of the two token types, so nesting is bounded by the code (at most five levels)
 * and nothing recurses on peer input. Indefinite lengths (BER, 0x80) are refused: DER forbids them and no
 * server sends them. Non-minimal long-form lengths are tolerated, as BER decoders in Windows and Samba do.
 * Inside NegTokenInit/NegTokenResp, context tags must strictly increase (DER SEQUENCE order); unknown
 * higher tags are skipped so NegTokenInit2's negHints ([3]) and mechListMIC ([4]) pass.
 */
#include <errno.h>
#include <string.h>

#include "smbfuse/cursor.h"
#include "smbfuse/ntlmssp.h"

const uint8_t spnego_oid_spnego[6] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x02};
const uint8_t spnego_oid_ntlmssp[10] = {0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a};
const uint8_t spnego_oid_krb5[9] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02};
const uint8_t spnego_oid_ms_krb5[9] = {0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01, 0x02, 0x02};

#define DER_SEQUENCE 0x30
#define DER_OID 0x06
#define DER_OCTET_STRING 0x04
#define DER_ENUMERATED 0x0a
#define DER_APP0 0x60
#define DER_CTX(n) (0xa0 | (n))

/* Read one TLV from c: its tag and a cursor over its contents. */
static int der_get(struct cur *c, uint8_t *tag, struct cur *content)
{
	uint8_t t = cur_u8(c), l0 = cur_u8(c);
	size_t len = l0;

	if (cur_err(c) || (t & 0x1f) == 0x1f)
		return -EBADMSG;
	if (l0 & 0x80) {
		unsigned nb = l0 & 0x7f;
		if (nb == 0 || nb > 4) /* indefinite, or beyond any token we accept */
			return -EBADMSG;
		len = 0;
		for (unsigned i = 0; i < nb; i++)
			len = len << 8 | cur_u8(c);
	}
	const uint8_t *p = cur_bytes(c, len);
	if (!p)
		return -EBADMSG;
	*tag = t;
	cur_init(content, p, len);
	return 0;
}

static int der_expect(struct cur *c, uint8_t want, struct cur *content)
{
	uint8_t tag;
	if (der_get(c, &tag, content) || tag != want)
		return -EBADMSG;
	return 0;
}

/* The remaining bytes of a cursor as a view. */
static const uint8_t *rest(struct cur *c, size_t *n)
{
	*n = cur_left(c);
	return cur_bytes(c, *n);
}

/* An element [k] EXPLICIT holding exactly one TLV of tag want. */
static int der_explicit(struct cur *ctx, uint8_t want, struct cur *content)
{
	if (der_expect(ctx, want, content) || cur_left(ctx) != 0)
		return -EBADMSG;
	return 0;
}

/* ---- encoding ---- */

static size_t der_hdr_len(size_t n)
{
	if (n < 0x80)
		return 2;
	/* tag, 0x80|count, then every significant byte of n: 0x136 needs two, not one */
	size_t l = 2;
	for (size_t v = n; v; v >>= 8)
		l++;
	return l;
}

static void der_hdr(struct wbuf *w, uint8_t tag, size_t n)
{
	wbuf_u8(w, tag);
	if (n < 0x80) {
		wbuf_u8(w, (uint8_t)n);
		return;
	}
	unsigned nb = (unsigned)der_hdr_len(n) - 2;
	wbuf_u8(w, (uint8_t)(0x80 | nb));
	while (nb--)
		wbuf_u8(w, (uint8_t)(n >> (8 * nb)));
}

/* Size of a TLV whose contents are n bytes. */
static size_t tlv(size_t n)
{
	return der_hdr_len(n) + n;
}

static void put_mech_types(struct wbuf *w, const uint8_t *oid, size_t oid_len)
{
	der_hdr(w, DER_SEQUENCE, tlv(oid_len));
	der_hdr(w, DER_OID, oid_len);
	wbuf_bytes(w, oid, oid_len);
}

int spnego_init_encode(struct wbuf *w, const uint8_t *mech_oid, size_t oid_len, const uint8_t *token, size_t n,
		       struct wbuf *mech_types)
{
	if (!mech_oid || oid_len == 0 || oid_len > 127 || (n && !token) || n > (1u << 24))
		return -EINVAL;
	size_t mt = tlv(tlv(oid_len));          /* MechTypeList */
	size_t a0 = tlv(mt);                    /* [0] mechTypes */
	size_t a2 = n || token ? tlv(tlv(n)) : 0; /* [2] mechToken */
	size_t seq = tlv(a0 + a2);              /* NegTokenInit SEQUENCE */
	size_t neg = tlv(seq);                  /* [0] NegotiationToken choice */
	size_t app = tlv(sizeof(spnego_oid_spnego)) + neg;

	der_hdr(w, DER_APP0, app);
	der_hdr(w, DER_OID, sizeof(spnego_oid_spnego));
	wbuf_bytes(w, spnego_oid_spnego, sizeof(spnego_oid_spnego));
	der_hdr(w, DER_CTX(0), seq);
	der_hdr(w, DER_SEQUENCE, a0 + a2);
	der_hdr(w, DER_CTX(0), mt);
	put_mech_types(w, mech_oid, oid_len);
	if (a2) {
		der_hdr(w, DER_CTX(2), tlv(n));
		der_hdr(w, DER_OCTET_STRING, n);
		wbuf_bytes(w, token, n);
	}
	if (mech_types) {
		put_mech_types(mech_types, mech_oid, oid_len);
		if (wbuf_err(mech_types))
			return wbuf_err(mech_types);
	}
	return wbuf_err(w);
}

int spnego_resp_encode(struct wbuf *w, int neg_state, const uint8_t *token, size_t n, const uint8_t *mic,
		       size_t mic_len)
{
	if (neg_state < SPNEGO_ABSENT || neg_state > SPNEGO_REQUEST_MIC || n > (1u << 24) || mic_len > (1u << 24))
		return -EINVAL;
	size_t a0 = neg_state != SPNEGO_ABSENT ? tlv(tlv(1)) : 0;
	size_t a2 = token ? tlv(tlv(n)) : 0;
	size_t a3 = mic ? tlv(tlv(mic_len)) : 0;
	size_t seq = a0 + a2 + a3;

	der_hdr(w, DER_CTX(1), tlv(seq));
	der_hdr(w, DER_SEQUENCE, seq);
	if (a0) {
		der_hdr(w, DER_CTX(0), tlv(1));
		der_hdr(w, DER_ENUMERATED, 1);
		wbuf_u8(w, (uint8_t)neg_state);
	}
	if (a2) {
		der_hdr(w, DER_CTX(2), tlv(n));
		der_hdr(w, DER_OCTET_STRING, n);
		wbuf_bytes(w, token, n);
	}
	if (a3) {
		der_hdr(w, DER_CTX(3), tlv(mic_len));
		der_hdr(w, DER_OCTET_STRING, mic_len);
		wbuf_bytes(w, mic, mic_len);
	}
	return wbuf_err(w);
}

/* ---- decoding ---- */

/*
 * Walk the context-tagged elements of a SEQUENCE, in strictly increasing tag order, calling fn for each.
 * fn returns 0 or -EBADMSG.
 */
typedef int (*elem_fn)(unsigned k, struct cur *content, void *arg);

static int walk_seq(struct cur *seq, elem_fn fn, void *arg)
{
	int last = -1;
	while (cur_left(seq)) {
		uint8_t tag;
		struct cur content;
		if (der_get(seq, &tag, &content) || (tag & 0xe0) != 0xa0)
			return -EBADMSG;
		int k = tag & 0x1f;
		if (k <= last || fn((unsigned)k, &content, arg))
			return -EBADMSG;
		last = k;
	}
	return cur_err(seq) ? -EBADMSG : 0;
}

static int init_elem(unsigned k, struct cur *ctx, void *arg)
{
	struct spnego_init *in = arg;
	struct cur v;

	switch (k) {
	case 0: /* mechTypes: SEQUENCE OF OID, checked when walked */
		if (der_explicit(ctx, DER_SEQUENCE, &v))
			return -EBADMSG;
		in->mech_types = rest(&v, &in->mech_types_len);
		return spnego_init_offers(in, spnego_oid_ntlmssp, sizeof(spnego_oid_ntlmssp)) < 0 ? -EBADMSG : 0;
	case 2: /* mechToken */
		if (der_explicit(ctx, DER_OCTET_STRING, &v))
			return -EBADMSG;
		in->mech_token = rest(&v, &in->mech_token_len);
		return 0;
	default: /* reqFlags, negHints, mechListMIC: not used by an initiator reading a hint */
		return 0;
	}
}

int spnego_init_decode(const uint8_t *p, size_t n, struct spnego_init *out)
{
	struct spnego_init in;
	struct cur c, app, oid, neg, seq;
	uint8_t tag;
	size_t oid_len;

	memset(out, 0, sizeof(*out));
	memset(&in, 0, sizeof(in));
	cur_init(&c, p, n);
	if (n && p[0] == DER_APP0) {
		if (der_expect(&c, DER_APP0, &app) || der_expect(&app, DER_OID, &oid))
			return -EBADMSG;
		const uint8_t *o = rest(&oid, &oid_len);
		if (oid_len != sizeof(spnego_oid_spnego) || memcmp(o, spnego_oid_spnego, oid_len) != 0)
			return -EBADMSG;
		if (der_get(&app, &tag, &neg) || tag != DER_CTX(0) || cur_left(&app))
			return -EBADMSG;
	} else if (der_expect(&c, DER_CTX(0), &neg)) {
		return -EBADMSG;
	}
	if (cur_left(&c) || der_explicit(&neg, DER_SEQUENCE, &seq) || walk_seq(&seq, init_elem, &in))
		return -EBADMSG;
	if (!in.mech_types)
		return -EBADMSG;
	*out = in;
	return 0;
}

int spnego_init_offers(const struct spnego_init *in, const uint8_t *oid, size_t oid_len)
{
	struct cur c, o;
	int found = 0;

	cur_init(&c, in->mech_types, in->mech_types_len);
	while (cur_left(&c)) {
		size_t len;
		if (der_expect(&c, DER_OID, &o))
			return -EBADMSG;
		const uint8_t *v = rest(&o, &len);
		if (len == oid_len && memcmp(v, oid, len) == 0)
			found = 1;
	}
	return found;
}

static int resp_elem(unsigned k, struct cur *ctx, void *arg)
{
	struct spnego_resp *r = arg;
	struct cur v;
	size_t len;

	switch (k) {
	case 0: {
		if (der_explicit(ctx, DER_ENUMERATED, &v) || cur_left(&v) != 1)
			return -EBADMSG;
		uint8_t st = cur_u8(&v);
		if (st > SPNEGO_REQUEST_MIC)
			return -EBADMSG;
		r->neg_state = st;
		return 0;
	}
	case 1:
		if (der_explicit(ctx, DER_OID, &v))
			return -EBADMSG;
		r->supported_mech = rest(&v, &r->supported_mech_len);
		return 0;
	case 2:
		if (der_explicit(ctx, DER_OCTET_STRING, &v))
			return -EBADMSG;
		r->response_token = rest(&v, &r->response_token_len);
		return 0;
	case 3:
		if (der_explicit(ctx, DER_OCTET_STRING, &v))
			return -EBADMSG;
		r->mech_list_mic = rest(&v, &len);
		r->mech_list_mic_len = len;
		return 0;
	default: /* NegTokenResp has no further fields; an unknown one is malformed */
		return -EBADMSG;
	}
}

int spnego_resp_decode(const uint8_t *p, size_t n, struct spnego_resp *out)
{
	struct spnego_resp r;
	struct cur c, neg, seq;

	memset(out, 0, sizeof(*out));
	memset(&r, 0, sizeof(r));
	r.neg_state = SPNEGO_ABSENT;
	cur_init(&c, p, n);
	if (der_expect(&c, DER_CTX(1), &neg) || cur_left(&c))
		return -EBADMSG;
	if (der_explicit(&neg, DER_SEQUENCE, &seq) || walk_seq(&seq, resp_elem, &r))
		return -EBADMSG;
	*out = r;
	return 0;
}
