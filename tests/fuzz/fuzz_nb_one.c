/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness for one NetBIOS/SMB1 decoder of decoders_nb.c, chosen at build time (-DFZ_NAME). */
#include <stdlib.h>

#include "decoders_nb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct fz_decoder *d;
	if (!d && !(d = fz_nb_find(FZ_NAME)))
		abort();
	(void)d->fn(data, size);
	return 0;
}
