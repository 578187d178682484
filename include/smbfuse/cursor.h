/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cursor.h - bounded reader (struct cur) and growing writer (struct wbuf)
 *
 * Contract of the util layer for every wire codec. Both carry a *sticky* error: after the first failure
 * every further get/put is a no-op that returns zero, so a decoder may chain many reads and check
 * cur_err() once at the end (as OpenSSH chains sshbuf_get_*). Nothing here trusts a length: every read is
 * checked against the bytes actually present, and offsets are checked without integer overflow.
 *
 * Ownership: a cur never owns memory; views it returns live as long as the buffer it was given.
 * A wbuf owns its buffer (malloc); free it with wbuf_free() or take it with wbuf_steal().
 * Thread: neither object is shared between threads.
 * All multi-byte integers are little-endian, as on the SMB wire.
 */
#ifndef SMBFUSE_CURSOR_H
#define SMBFUSE_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cur {
	const uint8_t *base;
	size_t len;
	size_t pos;
	int err; /* 0 or -EBADMSG, sticky */
};

void cur_init(struct cur *c, const void *p, size_t n);
uint8_t cur_u8(struct cur *c);
uint16_t cur_u16(struct cur *c);
uint32_t cur_u32(struct cur *c);
uint64_t cur_u64(struct cur *c);
/* Big-endian reads, for NetBIOS and ASN.1 framing. */
uint16_t cur_be16(struct cur *c);
uint32_t cur_be32(struct cur *c);
/* A view of the next n bytes, or NULL (and the error set) if fewer remain. n == 0 returns a valid pointer. */
const uint8_t *cur_bytes(struct cur *c, size_t n);
/* Copy n bytes out; on failure dst is zero-filled. */
void cur_copy(struct cur *c, void *dst, size_t n);
void cur_skip(struct cur *c, size_t n);
/* Move to an absolute offset; offset == len is allowed (empty tail). */
void cur_seek(struct cur *c, size_t off);
size_t cur_left(const struct cur *c);
int cur_err(const struct cur *c);
/* Set the error by hand, e.g. when a decoded field has an impossible value. */
void cur_fail(struct cur *c);
/*
 * A sub-cursor over [off, off+n) of c's buffer, checked against c's length. Used for a wire
 * (offset, length) pair: on a bad range the parent's error is set and sub is empty-and-failed.
 */
void cur_sub(struct cur *c, size_t off, size_t n, struct cur *sub);

/* True if [off, off+n) lies within len, without overflow. */
static inline bool range_ok(size_t len, size_t off, size_t n)
{
	return off <= len && n <= len - off;
}

struct wbuf {
	uint8_t *p;
	size_t len;
	size_t cap;
	size_t max; /* hard cap on len; exceeding it sets err */
	int err;    /* 0, -ENOMEM or -EMSGSIZE, sticky */
};

#define WBUF_DEFAULT_MAX (16u * 1024 * 1024 + 65536)

void wbuf_init(struct wbuf *w, size_t max);
void wbuf_free(struct wbuf *w);
void wbuf_reset(struct wbuf *w); /* len = 0, keeps storage, clears err */
void wbuf_u8(struct wbuf *w, uint8_t v);
void wbuf_u16(struct wbuf *w, uint16_t v);
void wbuf_u32(struct wbuf *w, uint32_t v);
void wbuf_u64(struct wbuf *w, uint64_t v);
void wbuf_be16(struct wbuf *w, uint16_t v);
void wbuf_be32(struct wbuf *w, uint32_t v);
void wbuf_bytes(struct wbuf *w, const void *p, size_t n);
void wbuf_zero(struct wbuf *w, size_t n);
/* Pad with zeros until (len - from) is a multiple of a (a power of two). */
void wbuf_align(struct wbuf *w, size_t from, size_t a);
/* Reserve n zero bytes and return their offset, for fields patched later (lengths, offsets). */
size_t wbuf_reserve(struct wbuf *w, size_t n);
void wbuf_set_u16(struct wbuf *w, size_t off, uint16_t v);
void wbuf_set_u32(struct wbuf *w, size_t off, uint32_t v);
void wbuf_set_be32(struct wbuf *w, size_t off, uint32_t v);
/* Append s (UTF-8, n bytes) as UTF-16LE without terminator. Invalid UTF-8 sets err to -EILSEQ. */
void wbuf_utf16(struct wbuf *w, const char *s, size_t n);
int wbuf_err(const struct wbuf *w);
/* Hand the buffer to the caller (free() it); w is left empty. NULL if w has an error. */
uint8_t *wbuf_steal(struct wbuf *w, size_t *len);

#endif
