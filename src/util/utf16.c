/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * UTF-8 <-> UTF-16LE. Written by hand rather than with iconv or glib because wire/ must stay libc-only
 * and because we want strict refusal (not replacement) of anything that would not round-trip.
 */
#include <errno.h>
#include <stdlib.h>

#include "smbfuse/util.h"

int utf8_decode(const char *str, size_t n, uint32_t *cp)
{
	const unsigned char *s = (const unsigned char *)str;
	if (n == 0)
		return -EILSEQ;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	int len;
	uint32_t v, min;
	if ((s[0] & 0xE0) == 0xC0) {
		len = 2, v = s[0] & 0x1F, min = 0x80;
	} else if ((s[0] & 0xF0) == 0xE0) {
		len = 3, v = s[0] & 0x0F, min = 0x800;
	} else if ((s[0] & 0xF8) == 0xF0) {
		len = 4, v = s[0] & 0x07, min = 0x10000;
	} else {
		return -EILSEQ;
	}
	if ((size_t)len > n)
		return -EILSEQ;
	for (int i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return -EILSEQ;
		v = v << 6 | (s[i] & 0x3F);
	}
	if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return -EILSEQ;
	*cp = v;
	return len;
}

long utf16_len_of_utf8(const char *s, size_t n)
{
	long out = 0;
	size_t i = 0;
	while (i < n) {
		uint32_t cp;
		int used = utf8_decode(s + i, n - i, &cp);
		if (used < 0)
			return used;
		i += (size_t)used;
		out += cp >= 0x10000 ? 4 : 2;
	}
	return out;
}

/* Read one code point from UTF-16LE at p[*i..n); advances *i. Returns 0 or -EILSEQ. */
static int utf16_next(const uint8_t *p, size_t n, size_t *i, uint32_t *cp)
{
	if (n - *i < 2)
		return -EILSEQ;
	uint32_t hi = get_le16(p + *i);
	*i += 2;
	if (hi < 0xD800 || hi > 0xDFFF) {
		*cp = hi;
		return 0;
	}
	if (hi > 0xDBFF || n - *i < 2)
		return -EILSEQ;
	uint32_t lo = get_le16(p + *i);
	if (lo < 0xDC00 || lo > 0xDFFF)
		return -EILSEQ;
	*i += 2;
	*cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
	return 0;
}

static size_t utf8_put(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xC0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xE0 | cp >> 12);
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		o[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | cp >> 18);
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	o[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

int utf16le_to_utf8(const uint8_t *p, size_t n, char **out)
{
	*out = NULL;
	/* Each UTF-16 unit (2 bytes) yields at most 3 UTF-8 bytes; a surrogate pair (4) yields 4. */
	if (n > (size_t)1 << 28)
		return -EILSEQ;
	char *buf = malloc(n / 2 * 3 + 1);
	if (!buf)
		return -ENOMEM;
	size_t i = 0, o = 0;
	while (i < n) {
		uint32_t cp;
		if (utf16_next(p, n, &i, &cp) < 0 || cp == 0) {
			free(buf);
			return -EILSEQ;
		}
		o += utf8_put(buf + o, cp);
	}
	buf[o] = '\0';
	*out = buf;
	return (int)o;
}
