/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * decoders_nb.h - fuzz entry points for the NetBIOS (and later SMB1) decoders, kept apart from the SMB2
 * table of decoders.h so the two grow without touching each other. Same contract: decode, read every
 * byte of every view, abort() on an inconsistency.
 */
#ifndef SMBFUSE_FUZZ_DECODERS_NB_H
#define SMBFUSE_FUZZ_DECODERS_NB_H

#include "decoders.h"

extern const struct fz_decoder fz_nb_decoders[];
extern const unsigned fz_nb_ndecoders;
const struct fz_decoder *fz_nb_find(const char *name);

#endif
