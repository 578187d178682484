/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers shared by the SMB2 codec tests: message building and the truncation / bit-flip sweep. */
#ifndef SMBFUSE_WIRE_TEST_H
#define SMBFUSE_WIRE_TEST_H

#include <stddef.h>
#include <stdint.h>

#include "smbfuse/cursor.h"

/* A response message: a 64-byte header for cmd (status given) followed by body; malloc'd, caller frees. */
uint8_t *wt_msg(uint16_t cmd, uint32_t status, const uint8_t *body, size_t blen, size_t *n);
/* The same from a wbuf holding an encoded body. */
uint8_t *wt_msg_w(uint16_t cmd, const struct wbuf *w, size_t *n);
/*
 * Run the named decoder of tests/fuzz/decoders.c over every truncation and every single-bit flip of
 * p[0..n), each in a buffer of exactly its size; a bad read is caught by ASan, an inconsistent result by
 * the decoder wrapper's abort(). Records one CHECK per sweep.
 */
void wt_sweep(const char *decoder, const uint8_t *p, size_t n);

#endif
