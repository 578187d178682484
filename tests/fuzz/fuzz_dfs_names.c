/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness for the proto layer's reading of referrals (src/proto/dfs_dom.c, dfs_ref.c): the input
 * as a RESP_GET_DFS_REFERRAL answering a DC referral of "\\SMBFUSE.TEST" and a root referral of
 * "\\SMBFUSE.TEST\\sysvol\\x". Properties, checked with abort(): on success every DC name is a host name
 * (1 to 255 bytes, valid UTF-8, no '\\', '/' or control character) and every target a "\\server\\share"
 * path, at most DFS_REF_MAX of each, the root referral consuming whole components; on failure nothing is
 * kept.
 */
#include <stdlib.h>
#include <string.h>

#include "../../src/proto/dfs_i.h"
#include "smbfuse/log.h"
#include "smbfuse/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_utf8(const char *s)
{
	size_t n = strlen(s), o = 0;
	while (o < n) {
		uint32_t cp;
		int k = utf8_decode(s + o, n - o, &cp);
		if (k <= 0)
			abort();
		o += (size_t)k;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int quiet;
	if (!quiet++)
		log_set_level(LOG_LVL_ERR);
	struct dfs_dcs d;
	if (dfs_dcs_from_rsp("\\SMBFUSE.TEST", data, size, &d) == 0) {
		if (d.n == 0 || d.n > DFS_REF_MAX)
			abort();
		for (unsigned i = 0; i < d.n; i++) {
			size_t n = strlen(d.names[i]);
			if (n == 0 || n > 255 || strpbrk(d.names[i], "\\/"))
				abort();
			for (size_t j = 0; j < n; j++)
				if ((unsigned char)d.names[i][j] < 0x20)
					abort();
			check_utf8(d.names[i]);
		}
		dfs_dcs_free(&d);
	} else if (d.n) {
		abort();
	}
	const char *path = "\\SMBFUSE.TEST\\sysvol\\x";
	struct dfs_ref r;
	if (dfs_ref_from_rsp(path, data, size, &r) == 0) {
		if (r.n == 0 || r.n > DFS_REF_MAX || r.consumed == 0 || r.consumed > strlen(path) ||
		    (path[r.consumed] && path[r.consumed] != '\\'))
			abort();
		for (unsigned i = 0; i < r.n; i++) {
			if (r.targets[i][0] != '\\' || !strchr(r.targets[i] + 1, '\\'))
				abort();
			check_utf8(r.targets[i]);
		}
		dfs_ref_free(&r);
	} else if (r.n) {
		abort();
	}
	return 0;
}
