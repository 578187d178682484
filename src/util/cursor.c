/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Bounded reader and growing writer; see include/smbfuse/cursor.h for the contract. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "smbfuse/cursor.h"
#include "smbfuse/util.h"

void cur_init(struct cur *c, const void *p, size_t n)
{
	c->base = p;
	c->len = p ? n : 0;
	c->pos = 0;
	c->err = 0;
}

/* The one place a read is bounds-checked: everything else goes through it. */
static const uint8_t *take(struct cur *c, size_t n)
{
	if (c->err)
		return NULL;
	if (!range_ok(c->len, c->pos, n)) {
		c->err = -EBADMSG;
		return NULL;
	}
	if (!c->base) /* only reachable with n == 0; NULL + 0 is still undefined */
		return (const uint8_t *)"";
	const uint8_t *p = c->base + c->pos;
	c->pos += n;
	return p;
}

uint8_t cur_u8(struct cur *c)
{
	const uint8_t *p = take(c, 1);
	return p ? p[0] : 0;
}

uint16_t cur_u16(struct cur *c)
{
	const uint8_t *p = take(c, 2);
	return p ? get_le16(p) : 0;
}

uint32_t cur_u32(struct cur *c)
{
	const uint8_t *p = take(c, 4);
	return p ? get_le32(p) : 0;
}

uint64_t cur_u64(struct cur *c)
{
	const uint8_t *p = take(c, 8);
	return p ? get_le64(p) : 0;
}

uint16_t cur_be16(struct cur *c)
{
	const uint8_t *p = take(c, 2);
	return p ? (uint16_t)(p[0] << 8 | p[1]) : 0;
}

uint32_t cur_be32(struct cur *c)
{
	const uint8_t *p = take(c, 4);
	return p ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3] : 0;
}

const uint8_t *cur_bytes(struct cur *c, size_t n)
{
	return take(c, n);
}

void cur_copy(struct cur *c, void *dst, size_t n)
{
	const uint8_t *p = take(c, n);
	if (p)
		memcpy(dst, p, n);
	else if (n)
		memset(dst, 0, n);
}

void cur_skip(struct cur *c, size_t n)
{
	(void)take(c, n);
}

void cur_seek(struct cur *c, size_t off)
{
	if (c->err)
		return;
	if (off > c->len)
		c->err = -EBADMSG;
	else
		c->pos = off;
}

size_t cur_left(const struct cur *c)
{
	return c->err ? 0 : c->len - c->pos;
}

int cur_err(const struct cur *c)
{
	return c->err;
}

void cur_fail(struct cur *c)
{
	c->err = -EBADMSG;
}

void cur_sub(struct cur *c, size_t off, size_t n, struct cur *sub)
{
	if (!c->err && !range_ok(c->len, off, n))
		c->err = -EBADMSG;
	if (c->err) {
		cur_init(sub, NULL, 0);
		sub->err = c->err;
		return;
	}
	cur_init(sub, c->base + off, n);
}

void wbuf_init(struct wbuf *w, size_t max)
{
	memset(w, 0, sizeof(*w));
	w->max = max ? max : WBUF_DEFAULT_MAX;
}

void wbuf_free(struct wbuf *w)
{
	free(w->p);
	w->p = NULL;
	w->len = w->cap = 0;
}

void wbuf_reset(struct wbuf *w)
{
	w->len = 0;
	w->err = 0;
}

/* Make room for n more bytes and return where they go, or NULL with err set. */
static uint8_t *grow(struct wbuf *w, size_t n)
{
	if (w->err)
		return NULL;
	if (n > w->max || w->len > w->max - n) {
		w->err = -EMSGSIZE;
		return NULL;
	}
	if (w->len + n > w->cap) {
		size_t cap = w->cap ? w->cap : 256;
		while (cap < w->len + n)
			cap *= 2;
		uint8_t *p = realloc(w->p, cap);
		if (!p) {
			w->err = -ENOMEM;
			return NULL;
		}
		w->p = p;
		w->cap = cap;
	}
	uint8_t *p = w->p + w->len;
	w->len += n;
	return p;
}

void wbuf_u8(struct wbuf *w, uint8_t v)
{
	uint8_t *p = grow(w, 1);
	if (p)
		p[0] = v;
}

void wbuf_u16(struct wbuf *w, uint16_t v)
{
	uint8_t *p = grow(w, 2);
	if (p)
		put_le16(p, v);
}

void wbuf_u32(struct wbuf *w, uint32_t v)
{
	uint8_t *p = grow(w, 4);
	if (p)
		put_le32(p, v);
}

void wbuf_u64(struct wbuf *w, uint64_t v)
{
	uint8_t *p = grow(w, 8);
	if (p)
		put_le64(p, v);
}

void wbuf_be16(struct wbuf *w, uint16_t v)
{
	uint8_t *p = grow(w, 2);
	if (p) {
		p[0] = (uint8_t)(v >> 8);
		p[1] = (uint8_t)v;
	}
}

void wbuf_be32(struct wbuf *w, uint32_t v)
{
	size_t off = wbuf_reserve(w, 4);
	wbuf_set_be32(w, off, v);
}

void wbuf_bytes(struct wbuf *w, const void *src, size_t n)
{
	uint8_t *p = grow(w, n);
	if (p && n)
		memcpy(p, src, n);
}

void wbuf_zero(struct wbuf *w, size_t n)
{
	uint8_t *p = grow(w, n);
	if (p && n)
		memset(p, 0, n);
}

void wbuf_align(struct wbuf *w, size_t from, size_t a)
{
	if (w->err || from > w->len)
		return;
	size_t rem = (w->len - from) & (a - 1);
	if (rem)
		wbuf_zero(w, a - rem);
}

size_t wbuf_reserve(struct wbuf *w, size_t n)
{
	size_t off = w->len;
	wbuf_zero(w, n);
	return off;
}

void wbuf_set_u16(struct wbuf *w, size_t off, uint16_t v)
{
	if (!w->err && range_ok(w->len, off, 2))
		put_le16(w->p + off, v);
}

void wbuf_set_u32(struct wbuf *w, size_t off, uint32_t v)
{
	if (!w->err && range_ok(w->len, off, 4))
		put_le32(w->p + off, v);
}

void wbuf_set_be32(struct wbuf *w, size_t off, uint32_t v)
{
	if (w->err || !range_ok(w->len, off, 4))
		return;
	w->p[off] = (uint8_t)(v >> 24);
	w->p[off + 1] = (uint8_t)(v >> 16);
	w->p[off + 2] = (uint8_t)(v >> 8);
	w->p[off + 3] = (uint8_t)v;
}

void wbuf_utf16(struct wbuf *w, const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && !w->err) {
		uint32_t cp;
		int used = utf8_decode(s + i, n - i, &cp);
		if (used < 0) {
			w->err = -EILSEQ;
			return;
		}
		i += (size_t)used;
		if (cp >= 0x10000) {
			cp -= 0x10000;
			wbuf_u16(w, (uint16_t)(0xD800 | (cp >> 10)));
			wbuf_u16(w, (uint16_t)(0xDC00 | (cp & 0x3FF)));
		} else {
			wbuf_u16(w, (uint16_t)cp);
		}
	}
}

int wbuf_err(const struct wbuf *w)
{
	return w->err;
}

uint8_t *wbuf_steal(struct wbuf *w, size_t *len)
{
	if (w->err) {
		*len = 0;
		return NULL;
	}
	uint8_t *p = w->p;
	*len = w->len;
	w->p = NULL;
	w->len = w->cap = 0;
	return p;
}
