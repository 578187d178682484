/* SPDX-License-Identifier: GPL-2.0-or-later */
/* list.h - `smbfuse --list //server [-o options]` (src/list.c). */
#ifndef SMBFUSE_LIST_H
#define SMBFUSE_LIST_H

#include "smbfuse/opts.h"

/* Print the server's shares (o parsed with --list, password already hashed); returns the exit status. */
int list_main(struct opts *o);

#endif
