/* SPDX-License-Identifier: GPL-2.0-or-later */
/* opts_i.h - what opts.c and opts_source.c share. */
#ifndef SMBFUSE_OPTS_I_H
#define SMBFUSE_OPTS_I_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <fuse_opt.h>

/* *dst = the n bytes at s (percent-decoded when decode), replacing what it held; opt_set_secret keeps it in
 * secret memory (secret.h). 0 or -ENOMEM / -EINVAL. */
int opt_set_str(char **dst, const char *s, size_t n, bool decode);
int opt_set_secret(char **dst, const char *s, size_t n, bool decode);

/* fuse_opt keys of the option table (opts_table.c) that opts.c's callback handles. */
enum {
	KEY_FOREGROUND,
	KEY_DEBUG,
	KEY_HELP,
	KEY_VERSION,
	KEY_IGNORE,
	KEY_FUSE,
	KEY_IOCHARSET,
	KEY_PERM,
};

/*
 * One accepted option: what fuse_opt_parse matches, and its --help text. o.templ NULL: a heading (help is its
 * title). help NULL: the same option as the entry before under another name, or a second field that name
 * sets; --help lists it on that entry's line. arg: the value's placeholder in --help ("NAME"), or NULL.
 */
struct opt_spec {
	struct fuse_opt o;
	const char *arg, *help;
};
extern const struct opt_spec opt_specs[];
extern const size_t opt_nspecs;
/* mount.cifs options smbfuse knowingly does not implement; refused with why. A name ending in '='
 * matches any value. */
struct opt_refused {
	const char *name, *why;
};
extern const struct opt_refused opt_refused[];
extern const size_t opt_nrefused;
/* opt_specs as fuse_opt_parse wants it (headings left out, FUSE_OPT_END last). */
const struct fuse_opt *opt_fuse_table(void);
/* The option's name as a user types it: the template without "%s" ("username=", "-f"). */
void opt_spec_name(const struct opt_spec *s, char *buf, size_t len);
/* snapshot=: "@GMT-YYYY.MM.DD-HH.MM.SS" (UTC) or a decimal NT time, into *out as NT time. -EINVAL when
 * neither (impossible dates included). opts_snapshot.c. */
int opt_parse_snapshot(const char *s, uint64_t *out);

#endif
