/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tap.h - a minimal TAP producer for unit tests (meson test protocol: 'tap').
 * Each CHECK prints "ok N" or "not ok N - file:line: expr"; tap_done() prints the plan and returns the
 * exit status. Tests load vectors with tap_load_hex() from tests/vectors (SMBFUSE_VECTORS env or the
 * compiled-in source path).
 */
#ifndef SMBFUSE_TAP_H
#define SMBFUSE_TAP_H

#include <stddef.h>
#include <stdint.h>

void tap_check(int ok, const char *file, int line, const char *expr);
int tap_done(void);
int tap_failures(void);
/* Compare bytes; on mismatch print both as hex. */
void tap_check_mem(const void *got, const void *want, size_t n, const char *file, int line, const char *expr);
/*
 * Read tests/vectors/<name>: lines starting with '#' are comments (the provenance line), the rest is hex
 * with any whitespace. Returns a malloc'd buffer (caller frees) and its length in *n; aborts the test
 * program if the file is missing, since a missing vector must fail, not skip.
 */
uint8_t *tap_load_hex(const char *name, size_t *n);
/* Parse a hex string into a malloc'd buffer. */
uint8_t *tap_hex(const char *hex, size_t *n);

#define CHECK(e) tap_check(!!(e), __FILE__, __LINE__, #e)
#define CHECK_MEM(got, want, n) tap_check_mem((got), (want), (n), __FILE__, __LINE__, #got " == " #want)

#endif
