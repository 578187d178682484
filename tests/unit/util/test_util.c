/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of the util layer: cursor bounds, writer caps, UTF-8/16 strictness, FILETIME. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "smbfuse/cursor.h"
#include "smbfuse/util.h"

static void test_cursor_reads(void)
{
	const uint8_t b[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09};
	struct cur c;
	cur_init(&c, b, sizeof(b));
	CHECK(cur_u8(&c) == 0x01);
	CHECK(cur_u16(&c) == 0x0302);
	CHECK(cur_u32(&c) == 0x07060504);
	CHECK(cur_left(&c) == 2);
	CHECK(cur_u32(&c) == 0); /* only 2 left: fails */
	CHECK(cur_err(&c) == -EBADMSG);
	CHECK(cur_u8(&c) == 0); /* sticky */
	CHECK(cur_left(&c) == 0);

	cur_init(&c, b, sizeof(b));
	cur_seek(&c, 9);
	CHECK(cur_err(&c) == 0 && cur_left(&c) == 0);
	cur_seek(&c, 10);
	CHECK(cur_err(&c) == -EBADMSG);

	cur_init(&c, b, sizeof(b));
	CHECK(cur_be16(&c) == 0x0102 && cur_be32(&c) == 0x03040506);
}

static void test_cursor_sub_overflow(void)
{
	const uint8_t b[16] = {0};
	struct cur c, s;
	cur_init(&c, b, sizeof(b));
	cur_sub(&c, 8, 8, &s);
	CHECK(cur_err(&c) == 0 && cur_left(&s) == 8);
	cur_sub(&c, 8, SIZE_MAX, &s); /* off + n wraps: must be refused, not accepted */
	CHECK(cur_err(&c) == -EBADMSG && cur_err(&s) == -EBADMSG && cur_left(&s) == 0);
	CHECK(!range_ok(16, 17, 0) && range_ok(16, 16, 0) && !range_ok(16, 1, SIZE_MAX));

	cur_init(&c, NULL, 0);
	CHECK(cur_bytes(&c, 0) != NULL && cur_err(&c) == 0);
	CHECK(cur_bytes(&c, 1) == NULL && cur_err(&c) == -EBADMSG);
}

static void test_wbuf(void)
{
	struct wbuf w;
	wbuf_init(&w, 16);
	wbuf_u32(&w, 0x11223344);
	size_t off = wbuf_reserve(&w, 2);
	wbuf_set_u16(&w, off, 0xBEEF);
	wbuf_u8(&w, 1);
	wbuf_align(&w, 0, 8);
	CHECK(w.len == 8 && wbuf_err(&w) == 0);
	const uint8_t want[] = {0x44, 0x33, 0x22, 0x11, 0xEF, 0xBE, 0x01, 0x00};
	CHECK_MEM(w.p, want, 8);
	wbuf_zero(&w, 9); /* 17 > max 16 */
	CHECK(wbuf_err(&w) == -EMSGSIZE);
	size_t n;
	CHECK(wbuf_steal(&w, &n) == NULL && n == 0);
	wbuf_free(&w);
}

static void test_utf16_roundtrip(void)
{
	const char *s = "Grüße-日本-😀";
	struct wbuf w;
	wbuf_init(&w, 0);
	wbuf_utf16(&w, s, strlen(s));
	CHECK(wbuf_err(&w) == 0);
	CHECK((long)w.len == utf16_len_of_utf8(s, strlen(s)));
	char *back;
	int n = utf16le_to_utf8(w.p, w.len, &back);
	CHECK(n == (int)strlen(s) && back && strcmp(back, s) == 0);
	free(back);
	wbuf_free(&w);
}

static void test_utf_refusals(void)
{
	uint32_t cp;
	CHECK(utf8_decode("\xC0\xAF", 2, &cp) == -EILSEQ);	   /* overlong '/' */
	CHECK(utf8_decode("\xED\xA0\x80", 3, &cp) == -EILSEQ); /* encoded surrogate */
	CHECK(utf8_decode("\xF4\x90\x80\x80", 4, &cp) == -EILSEQ);
	CHECK(utf8_decode("\xE2\x82", 2, &cp) == -EILSEQ); /* truncated */
	char *out;
	const uint8_t lone_hi[] = {0x00, 0xD8, 0x41, 0x00};
	CHECK(utf16le_to_utf8(lone_hi, sizeof(lone_hi), &out) == -EILSEQ && out == NULL);
	const uint8_t odd[] = {0x41, 0x00, 0x42};
	CHECK(utf16le_to_utf8(odd, sizeof(odd), &out) == -EILSEQ);
	const uint8_t nul[] = {0x41, 0x00, 0x00, 0x00};
	CHECK(utf16le_to_utf8(nul, sizeof(nul), &out) == -EILSEQ);
	CHECK(utf16le_to_utf8(NULL, 0, &out) == 0 && out && out[0] == '\0');
	free(out);
}

static void test_filetime(void)
{
	/* 2000-01-01T00:00:00Z = 946684800 s = 125911584000000000 ticks (MS-DTYP 2.3.3 epoch 1601). */
	struct timespec ts = filetime_to_timespec(125911584000000000ULL + 1234567);
	CHECK(ts.tv_sec == 946684800 && ts.tv_nsec == 123456700);
	CHECK(timespec_to_filetime(ts) == 125911584000000000ULL + 1234567);
	struct timespec before = {.tv_sec = -1, .tv_nsec = 999999900};
	CHECK(filetime_to_timespec(timespec_to_filetime(before)).tv_sec == -1);
	CHECK(filetime_to_timespec(timespec_to_filetime(before)).tv_nsec == 999999900);
	struct timespec ancient = {.tv_sec = -20000000000LL, .tv_nsec = 0};
	CHECK(timespec_to_filetime(ancient) == 1);
}

int main(void)
{
	test_cursor_reads();
	test_cursor_sub_overflow();
	test_wbuf();
	test_utf16_roundtrip();
	test_utf_refusals();
	test_filetime();
	return tap_done();
}
