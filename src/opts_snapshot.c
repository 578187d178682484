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

#define NT_EPOCH_DIFF 11644473600ull /* seconds from 1601-01-01 to 1970-01-01 */

int opt_parse_snapshot(const char *s, uint64_t *out)
{
	struct tm tm = {0};
	char tail;
	if (strncmp(s, "@GMT-", 5) == 0) {
		if (strlen(s) != 24 || sscanf(s + 5, "%4d.%2d.%2d-%2d.%2d.%2d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
					      &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &tail) != 6)
			return -EINVAL;
		struct tm want = tm;
		tm.tm_year -= 1900;
		tm.tm_mon -= 1;
		time_t t = timegm(&tm);
		/* timegm normalises 2024.02.30 into March: a date that moved was not a date. */
		if (t < 0 || tm.tm_year + 1900 != want.tm_year || tm.tm_mon + 1 != want.tm_mon ||
		    tm.tm_mday != want.tm_mday || tm.tm_hour != want.tm_hour || tm.tm_min != want.tm_min ||
		    tm.tm_sec != want.tm_sec)
			return -EINVAL;
		*out = ((uint64_t)t + NT_EPOCH_DIFF) * 10000000ull;
		return 0;
	}
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (!*s || *s == '-' || *end || errno || v == 0)
		return -EINVAL;
	*out = v;
	return 0;
}
