/* SPDX-License-Identifier: GPL-2.0-or-later */
/* smbfuse-memfs has no network layers: --lookup is never requested there (src/lookup.h). */
#include <stdio.h>

#include "../../../src/lookup.h"

bool lookup_requested(int argc, char *argv[])
{
	return false;
}

int lookup_main(int argc, char *argv[])
{
	fprintf(stderr, "smbfuse-memfs: no NetBIOS lookups\n");
	return 1;
}
