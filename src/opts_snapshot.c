/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * opts_snapshot.c - the snapshot= value, in the two forms mount.cifs takes: the @GMT token that Windows'
 * "Previous Versions" and Samba's shadow_copy2 name snapshots by (UTC), or the raw NT time (100 ns units
 * since 1601), which is what the SMB2_CREATE_TIMEWARP_TOKEN context carries (MS-SMB2 2.2.13.2.7).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "opts_i.h"
#include "smbfuse/util.h"

int opt_parse_snapshot(const char *s, uint64_t *out)
{
	if (strncmp(s, "@GMT-", 5) == 0)
		return gmt_token_parse(s, strlen(s), out);
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (!*s || *s == '-' || *end || errno || v == 0)
		return -EINVAL;
	*out = v;
	return 0;
}
