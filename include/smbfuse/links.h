/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * links.h - the on-disk and on-the-wire forms of symbolic links that are not SMB objects of their own:
 * Minshall+French symlink files (mfsymlinks). Pure codecs (src/wire/mfsym.c): no allocation, views into
 * the caller's buffer. MD5 is the caller's (the wire layer has no crypto).
 */
#ifndef SMBFUSE_LINKS_H
#define SMBFUSE_LINKS_H

#include <stddef.h>
#include <stdint.h>

/*
 * A Minshall+French symlink is a regular file of exactly MFSYM_SIZE bytes, as the Linux kernel client
 * writes it (fs/smb/client/link.c): "XSym\n", the target's length in 4 decimal digits and "\n", the MD5 of
 * the target in 32 lower-case hex digits and "\n", the target, "\n", then spaces up to MFSYM_SIZE.
 */
#define MFSYM_SIZE 1067
#define MFSYM_TARGET_MAX 1024

struct mfsym {
	const char *target; /* view into the buffer, not NUL-terminated */
	size_t target_len;  /* 1..MFSYM_TARGET_MAX */
	const char *md5_hex; /* view: the 32 hex digits stored, for the caller to compare with MD5(target) */
};

/* 0 when buf (n bytes) has the form above (the MD5 itself unchecked), else -EINVAL. */
int mfsym_decode(const uint8_t *buf, size_t n, struct mfsym *out);
/* Fill out with the file for target (len bytes, no NUL inside) whose MD5 is md5. -ENAMETOOLONG beyond
 * MFSYM_TARGET_MAX, -EINVAL for an empty target or one with a NUL. */
int mfsym_encode(uint8_t out[MFSYM_SIZE], const char *target, size_t len, const uint8_t md5[16]);
/* The 32 lower-case hex digits of md5 (no NUL). */
void mfsym_md5_hex(const uint8_t md5[16], char out[32]);

#endif
