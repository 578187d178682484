/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dfs_ref.c - a decoded RESP_GET_DFS_REFERRAL (wire/dfs.c) turned into what the router keeps (dfs_i.h).
 *
 * PathConsumed counts bytes of the request's UTF-16 form (MS-DFSC 2.2.4; Samba: strlen_m * 2 in
 * vfs_default.c), so it is mapped back onto the UTF-8 request code point by code point, and must end at a
 * component boundary: a server may not make "\\srv\\dfs\\li" stand for "\\srv\\dfs\\link". The TTL is the
 * smallest of the entries'. Entries of a name list (domain and DC referrals) are refused: following them
 * means asking the domain's DCs, which is not done here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dfs_i.h"
#include "smbfuse/dfs.h"
#include "smbfuse/log.h"
#include "smbfuse/util.h"

void dfs_ref_free(struct dfs_ref *r)
{
	for (unsigned i = 0; i < r->n; i++)
		free(r->targets[i]);
	memset(r, 0, sizeof(*r));
}

/* The UTF-8 length of the prefix of path whose UTF-16 form is units16 bytes, or -1. */
static long utf8_prefix(const char *path, size_t units16)
{
	size_t n = strlen(path), o = 0, u = 0;
	while (u < units16 && o < n) {
		uint32_t cp;
		int k = utf8_decode(path + o, n - o, &cp);
		if (k < 0)
			return -1;
		o += (size_t)k;
		u += cp >= 0x10000 ? 4 : 2;
	}
	return u == units16 ? (long)o : -1;
}

/* A target must look like "\\server\\share[\\...]": anything else would name no share we can reach. */
static bool target_ok(const char *t)
{
	if (t[0] != '\\' || !t[1] || t[1] == '\\')
		return false;
	const char *sh = strchr(t + 1, '\\');
	return sh && sh[1] && sh[1] != '\\';
}

int dfs_ref_from_rsp(const char *path, const uint8_t *p, size_t n, struct dfs_ref *out)
{
	struct dfs_referral_rsp h;
	struct dfs_referral_entry e[DFS_REF_MAX];
	memset(out, 0, sizeof(*out));
	if (dfs_referral_rsp_decode(p, n, &h, e, DFS_REF_MAX) < 0) {
		log_info("server reply: a DFS referral of %zu bytes for %s does not decode", n, path);
		return -EPROTO;
	}
	long c = utf8_prefix(path, h.path_consumed);
	if (h.count == 0 || c <= 0 || (path[c] && path[c] != '\\')) {
		log_info("server reply: a DFS referral for %s with %u entries consuming %u bytes: not a whole path "
			 "prefix", path, h.count, h.path_consumed);
		return -EPROTO;
	}
	out->consumed = (size_t)c;
	out->root = h.flags & DFS_HDR_REFERRAL_SERVERS;
	out->ttl = UINT32_MAX;
	unsigned m = h.count < DFS_REF_MAX ? h.count : DFS_REF_MAX;
	for (unsigned i = 0; i < m; i++) {
		char *t;
		if (e[i].version >= 3 && (e[i].flags & DFS_ENTRY_NAME_LIST)) {
			dfs_ref_free(out);
			log_warn("%s is a domain-based DFS namespace (its referral lists domain controllers): not "
				 "supported, mount a target share directly", path);
			return -EOPNOTSUPP;
		}
		if (utf16le_to_utf8(e[i].target, e[i].target_len, &t) < 0 || !target_ok(t)) {
			log_info("server reply: skipping DFS target %u of %s that is no \\\\server\\share path", i, path);
			free(t);
			continue;
		}
		out->targets[out->n++] = t;
		if (e[i].version >= 2 && e[i].ttl < out->ttl)
			out->ttl = e[i].ttl;
	}
	if (!out->n) {
		log_info("server reply: a DFS referral for %s without a usable target", path);
		return -EPROTO;
	}
	if (out->ttl == UINT32_MAX)
		out->ttl = 300; /* v1 has no TTL: the 5 minutes Windows uses by default */
	return 0;
}

int dfs_ref_decode(const char *path, const uint8_t *p, size_t n, void *out)
{
	return dfs_ref_from_rsp(path, p, n, out);
}
