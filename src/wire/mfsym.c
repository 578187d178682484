/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mfsym.c - Minshall+French symlink files (links.h), byte for byte as the Linux kernel client's
 * format_mf_symlink writes them and parse_mf_symlink reads them. The kernel compares only the first 16
 * hex digits of the MD5; we compare all 32 (the caller does), which every file it writes passes.
 */
#include <errno.h>
#include <string.h>

#include "smbfuse/links.h"

#define LEN_OFF 5   /* after "XSym\n" */
#define MD5_OFF 10  /* after "NNNN\n" */
#define LINK_OFF 43 /* after 32 hex digits and "\n" */

int mfsym_decode(const uint8_t *buf, size_t n, struct mfsym *out)
{
	memset(out, 0, sizeof(*out));
	if (!buf || n != MFSYM_SIZE || memcmp(buf, "XSym\n", LEN_OFF) != 0 || buf[MD5_OFF - 1] != '\n' ||
	    buf[LINK_OFF - 1] != '\n')
		return -EINVAL;
	size_t len = 0;
	for (int i = LEN_OFF; i < MD5_OFF - 1; i++) {
		if (buf[i] < '0' || buf[i] > '9')
			return -EINVAL;
		len = len * 10 + (size_t)(buf[i] - '0');
	}
	if (len == 0 || len > MFSYM_TARGET_MAX || memchr(buf + LINK_OFF, 0, len))
		return -EINVAL;
	for (int i = MD5_OFF; i < LINK_OFF - 1; i++)
		if (!((buf[i] >= '0' && buf[i] <= '9') || (buf[i] >= 'a' && buf[i] <= 'f')))
			return -EINVAL;
	out->target = (const char *)buf + LINK_OFF;
	out->target_len = len;
	out->md5_hex = (const char *)buf + MD5_OFF;
	return 0;
}

void mfsym_md5_hex(const uint8_t md5[16], char out[32])
{
	static const char hex[] = "0123456789abcdef";
	for (int i = 0; i < 16; i++) {
		out[2 * i] = hex[md5[i] >> 4];
		out[2 * i + 1] = hex[md5[i] & 15];
	}
}

int mfsym_encode(uint8_t out[MFSYM_SIZE], const char *target, size_t len, const uint8_t md5[16])
{
	if (len > MFSYM_TARGET_MAX)
		return -ENAMETOOLONG;
	if (!len || memchr(target, 0, len))
		return -EINVAL;
	memcpy(out, "XSym\n", LEN_OFF);
	for (int i = MD5_OFF - 2, v = (int)len; i >= LEN_OFF; i--, v /= 10)
		out[i] = (uint8_t)('0' + v % 10);
	out[MD5_OFF - 1] = '\n';
	mfsym_md5_hex(md5, (char *)out + MD5_OFF);
	out[LINK_OFF - 1] = '\n';
	memcpy(out + LINK_OFF, target, len);
	size_t o = LINK_OFF + len;
	if (o < MFSYM_SIZE)
		out[o++] = '\n';
	memset(out + o, ' ', MFSYM_SIZE - o);
	return 0;
}
