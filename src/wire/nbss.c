/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NetBIOS names (RFC 1001 14.1 first-level encoding, RFC 1002 4.1 label format) and the session service
 * frames of RFC 1002 4.3, which carry SMB1 and SMB2 on port 139 (MS-CIFS 2.1.1.2, MS-SMB2 2.1).
 */
#include <errno.h>
#include <string.h>

#include "smbfuse/netbios.h"

#define NB_ENCODED_LEN 32 /* 16 bytes, two half-ASCII characters each */
#define NB_PTR_MASK 0xC0
#define NB_MAX_SCOPE 255 /* RFC 1002 4.1: a whole name is at most 255 bytes */

/* The 16 raw bytes of a name: upper-cased, padded with spaces ("*" with NULs), suffix last. */
static int nb_name_raw(const char *name, uint8_t suffix, uint8_t raw[16])
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0 || n > NB_NAME_MAX)
		return -EINVAL;
	bool wildcard = strcmp(name, "*") == 0;
	memset(raw, wildcard ? 0 : ' ', 16);
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)name[i];
		if (ch < 0x20 || ch == 0x7f)
			return -EINVAL;
		raw[i] = ch >= 'a' && ch <= 'z' ? (uint8_t)(ch - 'a' + 'A') : ch;
	}
	raw[15] = wildcard ? 0 : suffix;
	return 0;
}

int nb_name_encode(struct wbuf *w, const char *name, uint8_t suffix)
{
	uint8_t raw[16];
	int r = nb_name_raw(name, suffix, raw);
	if (r)
		return r;
	wbuf_u8(w, NB_ENCODED_LEN);
	for (int i = 0; i < 16; i++) {
		wbuf_u8(w, (uint8_t)('A' + (raw[i] >> 4)));
		wbuf_u8(w, (uint8_t)('A' + (raw[i] & 0xf)));
	}
	wbuf_u8(w, 0);
	return wbuf_err(w);
}

/* The 32-character label at c (its length byte already read) into a printable name and suffix. */
static void nb_label_decode(struct cur *c, char name[NB_NAME_MAX + 1], uint8_t *suffix)
{
	const uint8_t *p = cur_bytes(c, NB_ENCODED_LEN);
	uint8_t raw[16];
	if (!p)
		return;
	for (int i = 0; i < 16; i++) {
		uint8_t hi = (uint8_t)(p[2 * i] - 'A'), lo = (uint8_t)(p[2 * i + 1] - 'A');
		if (hi > 15 || lo > 15) {
			cur_fail(c);
			return;
		}
		raw[i] = (uint8_t)(hi << 4 | lo);
	}
	size_t len = NB_NAME_MAX;
	while (len && (raw[len - 1] == ' ' || raw[len - 1] == 0))
		len--;
	memcpy(name, raw, len);
	name[len] = 0;
	*suffix = raw[15];
}

/* A plain (uncompressed) name: the label, then scope labels up to the terminating zero. */
static void nb_plain_decode(struct cur *c, char name[NB_NAME_MAX + 1], uint8_t *suffix)
{
	if (cur_u8(c) != NB_ENCODED_LEN) {
		cur_fail(c);
		return;
	}
	nb_label_decode(c, name, suffix);
	size_t total = 1 + NB_ENCODED_LEN;
	for (;;) {
		uint8_t l = cur_u8(c);
		if (cur_err(c) || l == 0)
			return;
		total += 1u + l;
		if ((l & NB_PTR_MASK) || total > NB_MAX_SCOPE) {
			cur_fail(c);
			return;
		}
		cur_skip(c, l);
	}
}

int nb_name_decode(struct cur *c, char name[NB_NAME_MAX + 1], uint8_t *suffix)
{
	char tmp[NB_NAME_MAX + 1] = "";
	uint8_t sfx = 0;
	size_t start = c->pos;
	uint8_t first = cur_u8(c);
	if (!cur_err(c) && (first & NB_PTR_MASK) == NB_PTR_MASK) {
		size_t off = (size_t)(first & 0x3f) << 8 | cur_u8(c);
		/* Only backwards, and to a plain name: no loops, no chains. */
		if (cur_err(c) || off >= start)
			return cur_fail(c), -EBADMSG;
		struct cur t;
		cur_sub(c, off, start - off, &t);
		nb_plain_decode(&t, tmp, &sfx);
		if (cur_err(&t))
			return cur_fail(c), -EBADMSG;
	} else if (!cur_err(c)) {
		c->pos = start;
		nb_plain_decode(c, tmp, &sfx);
	}
	if (cur_err(c))
		return -EBADMSG;
	memcpy(name, tmp, sizeof(tmp));
	*suffix = sfx;
	return 0;
}

static void nbss_hdr_encode(struct wbuf *w, uint8_t type, uint32_t len)
{
	wbuf_u8(w, type);
	wbuf_u8(w, (uint8_t)(len >> 16 & 1));
	wbuf_be16(w, (uint16_t)len);
}

int nbss_session_req_encode(struct wbuf *w, const char *called, const char *calling)
{
	uint8_t raw[16];
	if (nb_name_raw(called, NB_SUFFIX_SERVER, raw) || nb_name_raw(calling, NB_SUFFIX_WORKSTATION, raw))
		return -EINVAL;
	nbss_hdr_encode(w, NBSS_SESSION_REQUEST, 2 * (2 + NB_ENCODED_LEN));
	int r = nb_name_encode(w, called, NB_SUFFIX_SERVER);
	return r ? r : nb_name_encode(w, calling, NB_SUFFIX_WORKSTATION);
}

int nbss_keepalive_encode(struct wbuf *w)
{
	nbss_hdr_encode(w, NBSS_KEEPALIVE, 0);
	return wbuf_err(w);
}

int nbss_hdr_decode(const uint8_t *p, size_t n, uint8_t *type, uint32_t *len)
{
	struct cur c;
	cur_init(&c, p, n);
	uint8_t t = cur_u8(&c), flags = cur_u8(&c);
	uint16_t l = cur_be16(&c);
	/* RFC 1002 4.3.1: only the E bit of FLAGS is defined; the rest must be zero. */
	if (cur_err(&c) || (flags & 0xfe))
		return -EBADMSG;
	*type = t;
	*len = (uint32_t)(flags & 1) << 16 | l;
	return 0;
}

int nbss_session_rsp_decode(const uint8_t *p, size_t n, struct nbss_session_rsp *out)
{
	uint8_t type;
	uint32_t len;
	memset(out, 0, sizeof(*out));
	if (nbss_hdr_decode(p, n, &type, &len) || len != n - NBSS_HDR_SIZE)
		return -EBADMSG;
	struct cur c;
	cur_init(&c, p + NBSS_HDR_SIZE, len);
	struct nbss_session_rsp r = {.type = type};
	switch (type) {
	case NBSS_POSITIVE_RSP:
		break;
	case NBSS_NEGATIVE_RSP:
		r.error = cur_u8(&c);
		break;
	case NBSS_RETARGET_RSP:
		cur_copy(&c, r.retarget_ip, 4);
		r.retarget_port = cur_be16(&c);
		break;
	default:
		return -EBADMSG;
	}
	if (cur_err(&c) || cur_left(&c))
		return -EBADMSG;
	*out = r;
	return 0;
}
