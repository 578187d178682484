/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Replay driver: runs LLVMFuzzerTestOneInput over corpus files (hex vectors as in tests/vectors, '#'
 * lines skipped) and every truncation of each, so a normal (gcc) build exercises the fuzz harnesses.
 * Exit status 0 unless a file cannot be read; a decoder bug aborts.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int hexval(int c)
{
	return isdigit(c) ? c - '0' : tolower(c) - 'a' + 10;
}

static uint8_t *load(const char *path, size_t *n)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	size_t cap = 4096, len = 0;
	uint8_t *b = malloc(cap);
	char line[4096];
	int hi = -1;
	while (b && fgets(line, sizeof(line), f)) {
		if (line[0] == '#')
			continue;
		for (char *s = line; *s; s++) {
			if (!isxdigit((unsigned char)*s))
				continue;
			if (hi < 0) {
				hi = hexval(*s);
				continue;
			}
			if (len == cap) {
				uint8_t *nb = realloc(b, cap *= 2);
				if (!nb) {
					free(b);
					b = NULL;
					break;
				}
				b = nb;
			}
			b[len++] = (uint8_t)(hi << 4 | hexval(*s));
			hi = -1;
		}
	}
	fclose(f);
	*n = len;
	return b;
}

int main(int argc, char **argv)
{
	int runs = 0;
	for (int i = 1; i < argc; i++) {
		size_t n;
		uint8_t *b = load(argv[i], &n);
		if (!b) {
			fprintf(stderr, "cannot read %s\n", argv[i]);
			return 1;
		}
		for (size_t k = 0; k <= n; k++) {
			/* a fresh copy of exactly k bytes, so ASan sees any read past the end */
			uint8_t *t = malloc(k ? k : 1);
			memcpy(t, b, k);
			LLVMFuzzerTestOneInput(t, k);
			free(t);
			runs++;
		}
		free(b);
	}
	printf("replayed %d inputs from %d files\n", runs, argc - 1);
	return 0;
}
