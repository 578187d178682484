/* SPDX-License-Identifier: GPL-2.0-or-later */
/* lookup.h - `smbfuse --lookup NAME` and `smbfuse --lookup-address ADDRESS` (src/lookup.c). */
#ifndef SMBFUSE_LOOKUP_H
#define SMBFUSE_LOOKUP_H

#include <stdbool.h>

/* True if argv asks for a lookup rather than a mount. */
bool lookup_requested(int argc, char *argv[]);
/* Run the lookup; returns the exit status (0 found, 1 usage, 2 not found or no answer). */
int lookup_main(int argc, char *argv[]);

#endif
