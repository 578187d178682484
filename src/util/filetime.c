/* SPDX-License-Identifier: GPL-2.0-or-later */
/* FILETIME is MS-DTYP 2.3.3: 100 ns intervals since 1601-01-01 00:00 UTC. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "smbfuse/util.h"

#define FT_UNIX_EPOCH 116444736000000000ULL /* 1970-01-01 as FILETIME */
#define FT_PER_SEC 10000000ULL

struct timespec filetime_to_timespec(uint64_t ft)
{
	struct timespec ts = {0, 0};
	if (ft >= FT_UNIX_EPOCH) {
		uint64_t d = ft - FT_UNIX_EPOCH;
		ts.tv_sec = (time_t)(d / FT_PER_SEC);
		ts.tv_nsec = (long)(d % FT_PER_SEC) * 100;
	} else if (ft != 0) {
		uint64_t d = FT_UNIX_EPOCH - ft;
		ts.tv_sec = -(time_t)((d + FT_PER_SEC - 1) / FT_PER_SEC);
		ts.tv_nsec = (long)((FT_PER_SEC - d % FT_PER_SEC) % FT_PER_SEC) * 100;
	}
	return ts;
}

uint64_t timespec_to_filetime(struct timespec ts)
{
	/* Dates before 1601 have no FILETIME; clamp to 1 so 0 keeps meaning "do not change". */
	__int128 v = (__int128)ts.tv_sec * FT_PER_SEC + ts.tv_nsec / 100 + FT_UNIX_EPOCH;
	if (v < 1)
		return 1;
	if (v > (__int128)INT64_MAX)
		return INT64_MAX;
	return (uint64_t)v;
}

uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void mono_deadline(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

int gmt_token_format(uint64_t ft, char out[SMB_GMT_TOKEN_LEN + 1])
{
	struct timespec ts = filetime_to_timespec(ft);
	struct tm tm;
	if (!gmtime_r(&ts.tv_sec, &tm) || tm.tm_year + 1900 > 9999 ||
	    strftime(out, SMB_GMT_TOKEN_LEN + 1, "@GMT-%Y.%m.%d-%H.%M.%S", &tm) != SMB_GMT_TOKEN_LEN)
		return -EINVAL;
	return 0;
}

int gmt_token_parse(const char *s, size_t len, uint64_t *out)
{
	struct tm tm = {0};
	char buf[SMB_GMT_TOKEN_LEN + 1], tail;
	if (len != SMB_GMT_TOKEN_LEN || strncmp(s, "@GMT-", 5) != 0)
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	/* Digits exactly where the shape has them (%2d alone would also take " 1" or "+1"). */
	static const char shape[] = "@GMT-dddd.dd.dd-dd.dd.dd";
	for (size_t i = 5; i < len; i++)
		if (shape[i] == 'd' ? buf[i] < '0' || buf[i] > '9' : buf[i] != shape[i])
			return -EINVAL;
	if (sscanf(buf + 5, "%4d.%2d.%2d-%2d.%2d.%2d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
		   &tm.tm_min, &tm.tm_sec, &tail) != 6)
		return -EINVAL;
	struct tm want = tm;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	time_t t = timegm(&tm);
	/* timegm normalises 2024.02.30 into March: a date that moved was not a date. */
	if (t < 0 || tm.tm_year + 1900 != want.tm_year || tm.tm_mon + 1 != want.tm_mon || tm.tm_mday != want.tm_mday ||
	    tm.tm_hour != want.tm_hour || tm.tm_min != want.tm_min || tm.tm_sec != want.tm_sec)
		return -EINVAL;
	*out = (uint64_t)t * FT_PER_SEC + FT_UNIX_EPOCH;
	return 0;
}
