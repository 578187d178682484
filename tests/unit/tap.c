/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

static int n_tests, n_fail;

void tap_check(int ok, const char *file, int line, const char *expr)
{
	n_tests++;
	if (ok) {
		printf("ok %d\n", n_tests);
	} else {
		n_fail++;
		printf("not ok %d - %s:%d: %s\n", n_tests, file, line, expr);
	}
	fflush(stdout);
}

void tap_check_mem(const void *got, const void *want, size_t n, const char *file, int line, const char *expr)
{
	int ok = got && want && memcmp(got, want, n) == 0;
	tap_check(ok, file, line, expr);
	if (ok || !got || !want)
		return;
	const uint8_t *g = got, *w = want;
	printf("# got : ");
	for (size_t i = 0; i < n; i++)
		printf("%02x", g[i]);
	printf("\n# want: ");
	for (size_t i = 0; i < n; i++)
		printf("%02x", w[i]);
	printf("\n");
}

int tap_failures(void)
{
	return n_fail;
}

int tap_done(void)
{
	printf("1..%d\n", n_tests);
	return n_fail ? 1 : 0;
}

uint8_t *tap_hex(const char *hex, size_t *n)
{
	size_t cap = strlen(hex) / 2 + 1, len = 0;
	uint8_t *out = malloc(cap);
	int hi = -1;
	for (const char *s = hex; *s; s++) {
		if (isspace((unsigned char)*s))
			continue;
		int v = isdigit((unsigned char)*s) ? *s - '0' : (tolower((unsigned char)*s) - 'a' + 10);
		if (!isxdigit((unsigned char)*s)) {
			fprintf(stderr, "bad hex character '%c'\n", *s);
			abort();
		}
		if (hi < 0) {
			hi = v;
		} else {
			out[len++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	if (hi >= 0) {
		fprintf(stderr, "odd number of hex digits\n");
		abort();
	}
	*n = len;
	return out;
}

uint8_t *tap_load_hex(const char *name, size_t *n)
{
	const char *dir = getenv("SMBFUSE_VECTORS");
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir ? dir : SMBFUSE_VECTORS_DIR, name);
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "missing vector %s\n", path);
		abort();
	}
	size_t cap = 4096, len = 0;
	char *text = malloc(cap), line[8192];
	text[0] = '\0';
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#')
			continue;
		size_t l = strlen(line);
		while (len + l + 1 > cap)
			text = realloc(text, cap *= 2);
		memcpy(text + len, line, l + 1);
		len += l;
	}
	fclose(f);
	uint8_t *out = tap_hex(text, n);
	free(text);
	return out;
}
