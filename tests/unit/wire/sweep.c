/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>
#include <string.h>

#include "sweep.h"
#include "../tap.h"

static void run(const struct fz_decoder *d, const uint8_t *p, size_t n)
{
	uint8_t *t = malloc(n ? n : 1);
	memcpy(t, p, n);
	(void)d->fn(t, n);
	free(t);
}

void sweep_decoder(const struct fz_decoder *d, const uint8_t *p, size_t n)
{
	CHECK(d != NULL);
	if (!d)
		return;
	for (size_t k = 0; k < n; k++)
		run(d, p, k);
	uint8_t *t = malloc(n ? n : 1);
	memcpy(t, p, n);
	for (size_t i = 0; i < n * 8; i++) {
		t[i / 8] ^= (uint8_t)(1u << (i % 8));
		(void)d->fn(t, n);
		t[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
	free(t);
	CHECK(1); /* reaching here means no abort and no sanitizer report */
}
