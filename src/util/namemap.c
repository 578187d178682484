/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Private-use mapping of the characters SMB cannot store (contract and tables: smbfuse/namemap.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "smbfuse/namemap.h"

static const char sfm_chars[] = "\"*:<>?\\|"; /* U+F020 + index */
static const char sfu_chars[] = ":*?<>|\\";  /* 0xF000 | c */
static const char unstorable[] = "\\*?\"<>|:";

static bool in(const char *set, unsigned char c)
{
	return c && strchr(set, c);
}

/* The code point c travels as, or 0 for itself. */
static uint32_t map_char(enum name_map m, unsigned char c, bool last)
{
	if (m == NAME_MAP_SFM) {
		if (c >= 0x01 && c <= 0x1F)
			return 0xF000u + c;
		if (in(sfm_chars, c))
			return 0xF020u + (uint32_t)(strchr(sfm_chars, c) - sfm_chars);
		if (last && (c == ' ' || c == '.'))
			return c == ' ' ? 0xF028u : 0xF029u;
	} else if (m == NAME_MAP_SFU && in(sfu_chars, c)) {
		return 0xF000u | c;
	}
	return 0;
}

/* The character code point cp (U+F000-U+F07F) stands for, or 0. */
static char unmap_char(enum name_map m, uint32_t cp, bool last)
{
	if (m == NAME_MAP_SFM) {
		if (cp >= 0xF001 && cp <= 0xF01F)
			return (char)(cp - 0xF000);
		if (cp >= 0xF020 && cp < 0xF020 + sizeof(sfm_chars) - 1)
			return sfm_chars[cp - 0xF020];
		if (last && (cp == 0xF028 || cp == 0xF029))
			return cp == 0xF028 ? ' ' : '.';
	} else if (m == NAME_MAP_SFU && cp >= 0xF000 && in(sfu_chars, (unsigned char)(cp - 0xF000))) {
		return (char)(cp - 0xF000);
	}
	return 0;
}

long name_map_to_wire(enum name_map m, const char *s, size_t n, char *out)
{
	/* "." and ".." are names of their own, not a name with a trailing period. */
	bool dots = (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.');
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		uint32_t cp = dots ? 0 : map_char(m, c, i + 1 == n);
		if (cp) {
			/* U+F001-U+F07F in UTF-8: EF 80..81 80..BF */
			out[o++] = (char)0xEF;
			out[o++] = (char)(0x80 | (cp >> 6 & 0x3F));
			out[o++] = (char)(0x80 | (cp & 0x3F));
		} else if (in(unstorable, c) || (!dots && i + 1 == n && (c == '.' || c == ' '))) {
			return -EINVAL;
		} else {
			out[o++] = (char)c;
		}
	}
	out[o] = '\0';
	return (long)o;
}

void name_map_from_wire(enum name_map m, char *s)
{
	size_t o = 0;
	for (size_t i = 0; s[i];) {
		const unsigned char *u = (const unsigned char *)s + i;
		char c = 0;
		/* Short-circuit order keeps every read inside the NUL-terminated string. */
		if (u[0] == 0xEF && (u[1] == 0x80 || u[1] == 0x81) && u[2] >= 0x80 && u[2] <= 0xBF) {
			uint32_t cp = 0xF000u | (uint32_t)(u[1] & 0x3F) << 6 | (u[2] & 0x3Fu);
			c = unmap_char(m, cp, u[3] == '\0');
			/* Never turn a name into "." or "..": those the kernel cannot be given. */
			if (c == '.' && (o == 0 || (o == 1 && s[0] == '.')))
				c = 0;
		}
		if (c) {
			s[o++] = c;
			i += 3;
		} else {
			s[o++] = s[i++];
		}
	}
	s[o] = '\0';
}
