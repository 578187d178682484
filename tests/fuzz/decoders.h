/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * decoders.h - one entry point per SMB2 decoder for fuzzing: decode, then read every byte of every view
 * the decoder returned and check that each view lies inside the input. An inconsistency abort()s, so
 * libFuzzer, the replay driver and the unit tests' bit-flip loops all catch it; ASan catches the rest.
 */
#ifndef SMBFUSE_FUZZ_DECODERS_H
#define SMBFUSE_FUZZ_DECODERS_H

#include <stddef.h>
#include <stdint.h>

struct fz_decoder {
	const char *name;
	int (*fn)(const uint8_t *p, size_t n); /* the decoder's return value */
};

extern const struct fz_decoder fz_decoders[];
extern const unsigned fz_ndecoders;
const struct fz_decoder *fz_find(const char *name);

#endif
