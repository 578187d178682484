/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The private-use name mapping (smbfuse/namemap.h): every mapped character, both ways, and its edges. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "smbfuse/namemap.h"

/* Wire form of s under m, in a static buffer; "<EINVAL>" when refused. */
static const char *wire(enum name_map m, const char *s)
{
	static char out[NAME_MAP_WIRE_MAX(256)];
	size_t n = strlen(s);
	if (n > 256)
		return "<too long>";
	long l = name_map_to_wire(m, s, n, out);
	if (l == -EINVAL)
		return "<EINVAL>";
	if (l != (long)strlen(out))
		return "<bad length>";
	return out;
}

/* s mapped back under m, in a static buffer. */
static const char *back(enum name_map m, const char *s)
{
	static char out[1024];
	snprintf(out, sizeof(out), "%s", s);
	name_map_from_wire(m, out);
	return out;
}

static void check_pair(enum name_map m, const char *linux_name, const char *wire_name, int line)
{
	tap_check(strcmp(wire(m, linux_name), wire_name) == 0, __FILE__, line, "to wire");
	tap_check(strcmp(back(m, wire_name), linux_name) == 0, __FILE__, line, "from wire");
}
#define PAIR(m, l, w) check_pair(m, l, w, __LINE__)

static void test_sfm_every_character(void)
{
	PAIR(NAME_MAP_SFM, "\"", "\uF020");
	PAIR(NAME_MAP_SFM, "*", "\uF021");
	PAIR(NAME_MAP_SFM, ":", "\uF022");
	PAIR(NAME_MAP_SFM, "<", "\uF023");
	PAIR(NAME_MAP_SFM, ">", "\uF024");
	PAIR(NAME_MAP_SFM, "?", "\uF025");
	PAIR(NAME_MAP_SFM, "\\", "\uF026");
	PAIR(NAME_MAP_SFM, "|", "\uF027");
	PAIR(NAME_MAP_SFM, "a ", "a\uF028");
	PAIR(NAME_MAP_SFM, "a.", "a\uF029");
	/* 0x01-0x1F, each one */
	for (int c = 1; c <= 0x1F; c++) {
		char l[2] = {(char)c, 0}, w[4] = {(char)0xEF, (char)0x80, (char)(0x80 | c), 0};
		check_pair(NAME_MAP_SFM, l, w, __LINE__);
	}
}

static void test_sfm_trailing_and_mixed(void)
{
	PAIR(NAME_MAP_SFM, "backup:2026", "backup\uF0222026");
	PAIR(NAME_MAP_SFM, "Makefile?", "Makefile\uF025");
	PAIR(NAME_MAP_SFM, "<t>", "\uF023t\uF024");
	PAIR(NAME_MAP_SFM, "a*b\"c|d\\e", "a\uF021b\uF020c\uF027d\uF026e");
	PAIR(NAME_MAP_SFM, "x.y z", "x.y z");  /* only the last character is trailing */
	PAIR(NAME_MAP_SFM, "a..", "a.\uF029"); /* one mapped period is enough: the name no longer ends in one */
	PAIR(NAME_MAP_SFM, "a. ", "a.\uF028");
	PAIR(NAME_MAP_SFM, "...", "..\uF029");
	PAIR(NAME_MAP_SFM, " ", "\uF028");
	PAIR(NAME_MAP_SFM, "Grüße日本:", "Grüße日本\uF022");
	PAIR(NAME_MAP_SFM, "plain", "plain");
	/* special names stay themselves */
	CHECK(strcmp(wire(NAME_MAP_SFM, "."), ".") == 0);
	CHECK(strcmp(wire(NAME_MAP_SFM, ".."), "..") == 0);
	CHECK(strcmp(wire(NAME_MAP_SFM, ""), "") == 0);
}

static void test_sfm_private_use_from_server(void)
{
	/* Not what we would have sent: shown as it is. */
	CHECK(strcmp(back(NAME_MAP_SFM, "a\uF028b"), "a\uF028b") == 0);
	CHECK(strcmp(back(NAME_MAP_SFM, "\uF029x"), "\uF029x") == 0);
	CHECK(strcmp(back(NAME_MAP_SFM, "\uF000"), "\uF000") == 0);
	CHECK(strcmp(back(NAME_MAP_SFM, "\uF02A\uF030\uF07F\uE000"), "\uF02A\uF030\uF07F\uE000") == 0);
	/* Would become "." or "..": kept, the kernel cannot be given those. */
	CHECK(strcmp(back(NAME_MAP_SFM, "\uF029"), "\uF029") == 0);
	CHECK(strcmp(back(NAME_MAP_SFM, ".\uF029"), ".\uF029") == 0);
	CHECK(strcmp(back(NAME_MAP_SFM, "..\uF029"), "...") == 0);
	/* A literal U+F021 we are asked to create stays U+F021 on the wire (and lists back as '*': the
	 * documented ambiguity, as with the kernel). */
	CHECK(strcmp(wire(NAME_MAP_SFM, "a\uF021"), "a\uF021") == 0);
	CHECK(strcmp(back(NAME_MAP_SFM, "a\uF021"), "a*") == 0);
	/* Truncated or foreign sequences are left alone. */
	CHECK(strcmp(back(NAME_MAP_SFM, "\xEF\x80"), "\xEF\x80") == 0);
	CHECK(strcmp(back(NAME_MAP_SFM, "\xEF"), "\xEF") == 0);
	CHECK(strcmp(back(NAME_MAP_SFM, "\xEF\x82\x80"), "\xEF\x82\x80") == 0);
}

static void test_sfu(void)
{
	PAIR(NAME_MAP_SFU, ":", "\uF03A");
	PAIR(NAME_MAP_SFU, "*", "\uF02A");
	PAIR(NAME_MAP_SFU, "?", "\uF03F");
	PAIR(NAME_MAP_SFU, "<", "\uF03C");
	PAIR(NAME_MAP_SFU, ">", "\uF03E");
	PAIR(NAME_MAP_SFU, "|", "\uF07C");
	PAIR(NAME_MAP_SFU, "\\", "\uF05C");
	CHECK(strcmp(wire(NAME_MAP_SFU, "a."), "<EINVAL>") == 0); /* no trailing mapping in SFU */
	CHECK(strcmp(wire(NAME_MAP_SFU, "a "), "<EINVAL>") == 0);
	CHECK(strcmp(wire(NAME_MAP_SFU, ".."), "..") == 0);
	PAIR(NAME_MAP_SFU, "\x01", "\x01");
	CHECK(strcmp(wire(NAME_MAP_SFU, "x\"y"), "<EINVAL>") == 0);
	CHECK(strcmp(back(NAME_MAP_SFU, "\uF022\uF021"), "\uF022\uF021") == 0); /* SFM code points: not ours */
}

static void test_none_and_refusals(void)
{
	const char *bad = "\\*?\"<>|:";
	for (enum name_map m = NAME_MAP_SFM; m <= NAME_MAP_NONE; m++)
		CHECK(strcmp(wire(m, "ok name. x"), "ok name. x") == 0);
	for (const char *p = bad; *p; p++) {
		char s[4] = {'a', *p, 'b', 0};
		CHECK(strcmp(wire(NAME_MAP_NONE, s), "<EINVAL>") == 0);
		CHECK(strcmp(wire(NAME_MAP_SFM, s), "<EINVAL>") != 0);
	}
	CHECK(strcmp(back(NAME_MAP_NONE, "a\uF021 \uF029"), "a\uF021 \uF029") == 0);
	CHECK(strcmp(wire(NAME_MAP_NONE, "a."), "<EINVAL>") == 0);
	CHECK(strcmp(wire(NAME_MAP_NONE, "a "), "<EINVAL>") == 0);
	CHECK(strcmp(wire(NAME_MAP_NONE, "."), ".") == 0 && strcmp(wire(NAME_MAP_NONE, ".."), "..") == 0);
	/* Invalid UTF-8 is copied for the encoder to refuse; a length excludes bytes after it. */
	CHECK(strcmp(wire(NAME_MAP_SFM, "\xff:"), "\xff\uF022") == 0);
	char out[NAME_MAP_WIRE_MAX(3)];
	CHECK(name_map_to_wire(NAME_MAP_SFM, "ab?", 2, out) == 2 && strcmp(out, "ab") == 0);
	/* Worst case fits the documented room. */
	char big[86];
	memset(big, '*', 85);
	big[85] = 0;
	char wbig[NAME_MAP_WIRE_MAX(85)];
	CHECK(name_map_to_wire(NAME_MAP_SFM, big, 85, wbig) == 255);
}

int main(void)
{
	test_sfm_every_character();
	test_sfm_trailing_and_mixed();
	test_sfm_private_use_from_server();
	test_sfu();
	test_none_and_refusals();
	return tap_done();
}
