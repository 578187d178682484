/* SPDX-License-Identifier: GPL-2.0-or-later */
/* opts_i.h - what opts.c and opts_source.c share. */
#ifndef SMBFUSE_OPTS_I_H
#define SMBFUSE_OPTS_I_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* *dst = the n bytes at s (percent-decoded when decode), replacing what it held; opt_set_secret keeps it in
 * secret memory (secret.h). 0 or -ENOMEM / -EINVAL. */
int opt_set_str(char **dst, const char *s, size_t n, bool decode);
int opt_set_secret(char **dst, const char *s, size_t n, bool decode);

/* snapshot=: "@GMT-YYYY.MM.DD-HH.MM.SS" (UTC) or a decimal NT time, into *out as NT time. -EINVAL when
 * neither (impossible dates included). opts_snapshot.c. */
int opt_parse_snapshot(const char *s, uint64_t *out);

#endif
