/* SPDX-License-Identifier: GPL-2.0-or-later */
/* smbfuse-memfs has no network layers: --lookup and --list are never served there (src/lookup.h, src/list.h). */
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

/* Nor share listing (src/list.h). */
#include "../../../src/list.h"

int list_main(struct opts *o)
{
	(void)o;
	fprintf(stderr, "smbfuse-memfs: no share listing\n");
	return OPT_EX_FAIL;
}
