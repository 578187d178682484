/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * util.h - small pure helpers shared by every layer: little-endian access, UTF-8/UTF-16 conversion,
 * Windows FILETIME <-> Unix time. libc only; no allocation except where a function says so.
 */
#ifndef SMBFUSE_UTIL_H
#define SMBFUSE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
/* sys/param.h defines the same two; take whichever came first. */
#ifndef MIN
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#endif
#ifndef MAX
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#endif

static inline uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t get_le64(const uint8_t *p)
{
	return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

static inline void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void put_le32(uint8_t *p, uint32_t v)
{
	put_le16(p, (uint16_t)v);
	put_le16(p + 2, (uint16_t)(v >> 16));
}

static inline void put_le64(uint8_t *p, uint64_t v)
{
	put_le32(p, (uint32_t)v);
	put_le32(p + 4, (uint32_t)(v >> 32));
}

/*
 * Decode one UTF-8 code point from s (n bytes available). Returns the number of bytes used (1..4) or
 * -EILSEQ for malformed, overlong, surrogate or out-of-range sequences.
 */
int utf8_decode(const char *s, size_t n, uint32_t *cp);

/*
 * Convert n bytes of UTF-16LE (n may be odd: the last byte is then an error) to a NUL-terminated UTF-8
 * string in a new malloc'd buffer, stored in *out (caller frees). Unpaired surrogates and embedded NULs
 * are refused with -EILSEQ, because a name containing them cannot be represented on Linux faithfully.
 * Returns the UTF-8 length, or -EILSEQ / -ENOMEM; *out is NULL on failure.
 */
int utf16le_to_utf8(const uint8_t *p, size_t n, char **out);

/* Number of bytes s (UTF-8, n bytes) takes as UTF-16LE, or -EILSEQ. */
long utf16_len_of_utf8(const char *s, size_t n);

/* Windows FILETIME (100 ns ticks since 1601-01-01 UTC) <-> struct timespec. 0 maps to the epoch. */
struct timespec filetime_to_timespec(uint64_t ft);
uint64_t timespec_to_filetime(struct timespec ts);
/* The time (FILETIME) of a previous-version token "@GMT-YYYY.MM.DD-HH.MM.SS" (UTC), as Windows' "Previous
 * Versions" and Samba's shadow_copy2 name snapshots, in the len bytes at s; -EINVAL for anything else (a
 * date that does not exist, a byte more or less). */
#define SMB_GMT_TOKEN_LEN 24
int gmt_token_parse(const char *s, size_t len, uint64_t *out);
/* The token of FILETIME ft (whole seconds), for a dialect that names a version by path (SMB1). */
int gmt_token_format(uint64_t ft, char out[SMB_GMT_TOKEN_LEN + 1]);

/* Monotonic clock in milliseconds, for deadlines. */
uint64_t now_ms(void);
/* *ts = CLOCK_MONOTONIC now + ms, for pthread_cond_timedwait on a condition using that clock. */
void mono_deadline(struct timespec *ts, int ms);

/* Whether host is an IPv4 or IPv6 address literal rather than a name (host.c). */
bool host_is_address(const char *host);

#endif
