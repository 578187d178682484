/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * MD4 (RFC 1320) and RC4, the two primitives NTLM needs that OpenSSL 3 keeps only in its legacy provider.
 *
 * Why our own rather than OSSL_PROVIDER_load(libctx, "legacy"): the provider is a separate module found via
 * OPENSSL_MODULES or the compiled-in path; distributions ship it (Debian's libssl3 has ossl-modules/legacy.so)
 * but containers, static builds and FIPS-configured systems may not, and a mount must not fail because of
 * where a module sits. Both algorithms are tiny and fully specified, and here they carry no security weight
 * beyond what NTLM itself gives them (MD4 hashes the password once; RC4 wraps the random session key and the
 * mechListMIC checksum). Written from RFC 1320 and the RC4 description; checked against RFC 1320 A.5 and
 * against an independent Python implementation in the unit tests.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "auth_i.h"
#include "smbfuse/util.h"

static inline uint32_t rotl(uint32_t x, unsigned s)
{
	return x << s | x >> (32 - s);
}

#define F(x, y, z) (((x) & (y)) | (~(x) & (z)))
#define G(x, y, z) (((x) & (y)) | ((x) & (z)) | ((y) & (z)))
#define H(x, y, z) ((x) ^ (y) ^ (z))

static void md4_block(uint32_t h[4], const uint8_t blk[64])
{
	static const uint8_t r2[16] = {0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15};
	static const uint8_t r3[16] = {0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15};
	static const uint8_t s1[4] = {3, 7, 11, 19}, s2[4] = {3, 5, 9, 13}, s3[4] = {3, 9, 11, 15};
	uint32_t x[16], a = h[0], b = h[1], c = h[2], d = h[3], t;

	for (int i = 0; i < 16; i++)
		x[i] = get_le32(blk + 4 * i);
	/* Each round rotates (a, b, c, d) -> (d, a', b, c), which is RFC 1320's operation table unrolled. */
	for (int i = 0; i < 16; i++) {
		t = rotl(a + F(b, c, d) + x[i], s1[i % 4]);
		a = d, d = c, c = b, b = t;
	}
	for (int i = 0; i < 16; i++) {
		t = rotl(a + G(b, c, d) + x[r2[i]] + 0x5A827999u, s2[i % 4]);
		a = d, d = c, c = b, b = t;
	}
	for (int i = 0; i < 16; i++) {
		t = rotl(a + H(b, c, d) + x[r3[i]] + 0x6ED9EBA1u, s3[i % 4]);
		a = d, d = c, c = b, b = t;
	}
	h[0] += a, h[1] += b, h[2] += c, h[3] += d;
	OPENSSL_cleanse(x, sizeof(x));
}

void md4_digest(const void *p, size_t n, uint8_t out[16])
{
	uint32_t h[4] = {0x67452301u, 0xEFCDAB89u, 0x98BADCFEu, 0x10325476u};
	const uint8_t *s = p;
	uint8_t tail[128];
	size_t full = n & ~(size_t)63, rem = n - full;

	for (size_t off = 0; off < full; off += 64)
		md4_block(h, s + off);
	memset(tail, 0, sizeof(tail));
	if (rem)
		memcpy(tail, s + full, rem);
	tail[rem] = 0x80;
	size_t tl = rem < 56 ? 64 : 128;
	put_le64(tail + tl - 8, (uint64_t)n * 8);
	md4_block(h, tail);
	if (tl == 128)
		md4_block(h, tail + 64);
	for (int i = 0; i < 4; i++)
		put_le32(out + 4 * i, h[i]);
	OPENSSL_cleanse(tail, sizeof(tail));
	OPENSSL_cleanse(h, sizeof(h));
}

void rc4_init(struct rc4 *r, const uint8_t *key, size_t n)
{
	uint8_t j = 0;
	for (int i = 0; i < 256; i++)
		r->s[i] = (uint8_t)i;
	for (int i = 0; i < 256; i++) {
		j = (uint8_t)(j + r->s[i] + key[i % n]);
		uint8_t t = r->s[i];
		r->s[i] = r->s[j];
		r->s[j] = t;
	}
	r->i = r->j = 0;
}

void rc4_crypt(struct rc4 *r, const uint8_t *in, uint8_t *out, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		r->i = (uint8_t)(r->i + 1);
		r->j = (uint8_t)(r->j + r->s[r->i]);
		uint8_t t = r->s[r->i];
		r->s[r->i] = r->s[r->j];
		r->s[r->j] = t;
		out[k] = in[k] ^ r->s[(uint8_t)(r->s[r->i] + r->s[r->j])];
	}
}

void rc4_wipe(struct rc4 *r)
{
	OPENSSL_cleanse(r, sizeof(*r));
}
