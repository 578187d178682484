/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The truncation / bit-flip sweep every codec test runs, over any fuzz decoder table's entry. */
#ifndef SMBFUSE_SWEEP_H
#define SMBFUSE_SWEEP_H

#include <stddef.h>
#include <stdint.h>

#include "../../fuzz/decoders.h"

/*
 * Run d over every truncation and every single-bit flip of p[0..n), each in a buffer of exactly its size:
 * a bad read is caught by ASan, an inconsistent result by the decoder wrapper's abort(). d may be NULL (a
 * name that was not found): that is recorded as a failed CHECK. Records two CHECKs per sweep (the decoder exists; the sweep finished).
 */
void sweep_decoder(const struct fz_decoder *d, const uint8_t *p, size_t n);

#endif
