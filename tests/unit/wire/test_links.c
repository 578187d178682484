/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Minshall+French symlink files (links.h) against the form the Linux kernel client writes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "sweep.h"
#include "wire_test.h"
#include "smbfuse/links.h"

#define TARGET "../lib/libfoo.so.1"

/* MD5("../lib/libfoo.so.1"), the digest the vector carries (computed apart, with Python's hashlib). */
static const char md5_hex[] = "d0b75f8bc129f669f78aad3537913c57";

static void md5_bytes(uint8_t out[16])
{
	for (int i = 0; i < 16; i++) {
		char b[3] = {md5_hex[2 * i], md5_hex[2 * i + 1], 0};
		out[i] = (uint8_t)strtoul(b, NULL, 16);
	}
}

static void test_encode_matches_kernel_form(void)
{
	size_t n;
	uint8_t *v = tap_load_hex("mfsym_kernel_format.hex", &n), md5[16], buf[MFSYM_SIZE];
	md5_bytes(md5);
	CHECK(n == MFSYM_SIZE);
	CHECK(mfsym_encode(buf, TARGET, strlen(TARGET), md5) == 0);
	CHECK_MEM(buf, v, MFSYM_SIZE);
	free(v);
}

static void test_decode(void)
{
	size_t n;
	uint8_t *v = tap_load_hex("mfsym_kernel_format.hex", &n);
	struct mfsym m;
	CHECK(mfsym_decode(v, n, &m) == 0);
	CHECK(m.target_len == strlen(TARGET) && memcmp(m.target, TARGET, m.target_len) == 0);
	CHECK(memcmp(m.md5_hex, md5_hex, 32) == 0);
	/* One byte short or long, another magic, a length that is not 4 digits, zero, or past 1024. */
	CHECK(mfsym_decode(v, n - 1, &m) == -EINVAL && !m.target);
	uint8_t *w = malloc(n + 1);
	memcpy(w, v, n);
	w[n] = ' ';
	CHECK(mfsym_decode(w, n + 1, &m) == -EINVAL);
	memcpy(w, "XSyn", 4);
	CHECK(mfsym_decode(w, n, &m) == -EINVAL);
	memcpy(w, v, n);
	memcpy(w + 5, "00x8", 4);
	CHECK(mfsym_decode(w, n, &m) == -EINVAL);
	memcpy(w + 5, "0000", 4);
	CHECK(mfsym_decode(w, n, &m) == -EINVAL);
	memcpy(w + 5, "1025", 4);
	CHECK(mfsym_decode(w, n, &m) == -EINVAL);
	memcpy(w, v, n);
	w[43 + 3] = 0; /* a NUL in the target */
	CHECK(mfsym_decode(w, n, &m) == -EINVAL);
	memcpy(w, v, n);
	w[10] = 'G'; /* not a hex digit */
	CHECK(mfsym_decode(w, n, &m) == -EINVAL);
	CHECK(mfsym_decode(NULL, 0, &m) == -EINVAL);
	sweep_decoder(fz_find("mfsym"), v, n);
	free(w);
	free(v);
}

static void test_encode_limits(void)
{
	uint8_t buf[MFSYM_SIZE], md5[16] = {0};
	char longest[MFSYM_TARGET_MAX + 1];
	memset(longest, 'a', sizeof(longest));
	/* 1024 bytes fill the file exactly: no "\n" after the target. */
	CHECK(mfsym_encode(buf, longest, MFSYM_TARGET_MAX, md5) == 0);
	CHECK(memcmp(buf, "XSym\n1024\n", 10) == 0 && buf[MFSYM_SIZE - 1] == 'a');
	struct mfsym m;
	CHECK(mfsym_decode(buf, sizeof(buf), &m) == 0 && m.target_len == MFSYM_TARGET_MAX);
	CHECK(mfsym_encode(buf, longest, MFSYM_TARGET_MAX + 1, md5) == -ENAMETOOLONG);
	CHECK(mfsym_encode(buf, "", 0, md5) == -EINVAL);
	CHECK(mfsym_encode(buf, "a\0b", 3, md5) == -EINVAL);
}

int main(void)
{
	test_encode_matches_kernel_form();
	test_decode();
	test_encode_limits();
	return tap_done();
}
