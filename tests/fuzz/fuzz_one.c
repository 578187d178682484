/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness for one SMB2 decoder, chosen at build time (-DFZ_NAME="negotiate"): meson builds one
 * executable per entry of decoders.c, so each fuzzer explores a single decoder.
 */
#include <stdlib.h>

#include "decoders.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct fz_decoder *d;
	if (!d && !(d = fz_find(FZ_NAME)))
		abort();
	(void)d->fn(data, size);
	return 0;
}
