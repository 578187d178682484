/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dfs.c - MS-DFSC referral request and response codecs (contract: include/smbfuse/dfs.h).
 *
 * A response is a header (PathConsumed, NumberOfReferrals, ReferralHeaderFlags) and NumberOfReferrals
 * entries, each found from the previous one by its Size (3.1.5.4), followed by a string buffer. String
 * offsets are relative to the start of their own entry (2.2.5.2-2.2.5.4), so they may point past the
 * entry into the string buffer but never before the entry or past the end of the message. Windows puts
 * the strings after all entries; Samba (source3/smbd/msdfs.c) does the same, with the 16-byte
 * ServiceSiteGuid left out of v3 entries (Size 18 instead of 34), which 2.2.5.3 allows.
 */
#include <errno.h>
#include <string.h>

#include "smbfuse/dfs.h"

#define RSP_HDR_LEN 8
#define V1_FIXED 8	/* VersionNumber, Size, ServerType, ReferralEntryFlags */
#define V2_FIXED 22	/* + Proximity, TimeToLive, three offsets */
#define V3_FIXED 18	/* + TimeToLive, three offsets (ServiceSiteGuid optional) */

int dfs_referral_req_encode(struct wbuf *w, uint16_t max_level, const char *path, size_t n)
{
	if (!n || max_level < 1 || max_level > 4)
		return -EINVAL;
	wbuf_u16(w, max_level);
	wbuf_utf16(w, path, n);
	wbuf_u16(w, 0);
	return wbuf_err(w);
}

/* The NUL-terminated UTF-16 string at p[off..n): its length without the terminator, or -1. */
static long str_at(const uint8_t *p, size_t n, size_t off)
{
	if (off >= n)
		return -1;
	for (size_t i = off; i + 2 <= n; i += 2)
		if (p[i] == 0 && p[i + 1] == 0)
			return (long)(i - off);
	return -1;
}

/* A string at an entry-relative offset: off 0 is "none" only where allow0 (the alternate path); else it
 * must lie past the entry's fixed part, which is never a name. */
static int rel_str(const uint8_t *p, size_t n, size_t entry, size_t fixed, uint16_t off, bool allow0,
		   const uint8_t **s, size_t *len)
{
	*s = NULL;
	*len = 0;
	if (off == 0 && allow0)
		return 0;
	if (off < fixed)
		return -EBADMSG;
	long l = str_at(p, n, entry + off);
	if (l < 0)
		return -EBADMSG;
	*s = p + entry + off;
	*len = (size_t)l;
	return 0;
}

static int entry_decode(const uint8_t *p, size_t n, size_t at, struct dfs_referral_entry *e, uint16_t *size)
{
	struct cur c;
	cur_init(&c, p, n);
	cur_seek(&c, at);
	memset(e, 0, sizeof(*e));
	e->version = cur_u16(&c);
	*size = cur_u16(&c);
	e->server_type = cur_u16(&c);
	e->flags = cur_u16(&c);
	if (cur_err(&c) || e->version < 1 || e->version > 4 || !range_ok(n, at, *size))
		return -EBADMSG;
	if (e->version == 1) {
		/* ShareName follows the fixed part inside the entry. */
		if (*size < V1_FIXED + 2)
			return -EBADMSG;
		long l = str_at(p, at + *size, at + V1_FIXED);
		if (l < 0)
			return -EBADMSG;
		e->target = p + at + V1_FIXED;
		e->target_len = (size_t)l;
		return 0;
	}
	size_t fixed = e->version == 2 ? V2_FIXED : V3_FIXED;
	if (*size < fixed)
		return -EBADMSG;
	if (e->version == 2)
		cur_u32(&c); /* Proximity: reserved */
	e->ttl = cur_u32(&c);
	uint16_t o1 = cur_u16(&c), o2 = cur_u16(&c), o3 = cur_u16(&c);
	if (cur_err(&c))
		return -EBADMSG;
	if (e->version >= 3 && (e->flags & DFS_ENTRY_NAME_LIST)) {
		/* SpecialNameOffset, NumberOfExpandedNames, ExpandedNameOffset (2.2.5.3.2) */
		e->nexpanded = o2;
		if (rel_str(p, n, at, fixed, o1, false, &e->special, &e->special_len) < 0)
			return -EBADMSG;
		if (!o2)
			return 0;
		if (o3 < V3_FIXED || at + o3 >= n)
			return -EBADMSG;
		e->expanded = p + at + o3;
		e->expanded_len = n - (at + o3);
		size_t off = 0, len, k = 0;
		const uint8_t *name;
		int r;
		while (k < o2 && (r = dfs_next_name(e->expanded, e->expanded_len, &off, &name, &len)) == 1)
			k++;
		if (k < o2)
			return -EBADMSG;
		e->expanded_len = off;
		return 0;
	}
	if (rel_str(p, n, at, fixed, o1, false, &e->dfs_path, &e->dfs_path_len) < 0 ||
	    rel_str(p, n, at, fixed, o2, true, &e->alt_path, &e->alt_path_len) < 0 ||
	    rel_str(p, n, at, fixed, o3, false, &e->target, &e->target_len) < 0)
		return -EBADMSG;
	return 0;
}

int dfs_referral_rsp_decode(const uint8_t *p, size_t n, struct dfs_referral_rsp *out, struct dfs_referral_entry *e,
			    size_t max)
{
	struct cur c;
	struct dfs_referral_rsp h;
	cur_init(&c, p, n);
	h.path_consumed = cur_u16(&c);
	h.count = cur_u16(&c);
	h.flags = cur_u32(&c);
	if (cur_err(&c) || h.count > DFS_MAX_ENTRIES || (h.path_consumed & 1))
		return -EBADMSG;
	size_t at = RSP_HDR_LEN;
	uint16_t version = 0;
	for (uint16_t i = 0; i < h.count; i++) {
		struct dfs_referral_entry tmp, *d = e && i < max ? &e[i] : &tmp;
		uint16_t size;
		if (entry_decode(p, n, at, d, &size) < 0 || (i && d->version != version))
			return -EBADMSG;
		version = d->version;
		at += size;
	}
	*out = h;
	return 0;
}

int dfs_next_name(const uint8_t *list, size_t list_len, size_t *off, const uint8_t **name, size_t *len)
{
	if (*off >= list_len)
		return 0;
	long l = str_at(list, list_len, *off);
	if (l < 0)
		return -EBADMSG;
	*name = list + *off;
	*len = (size_t)l;
	*off += (size_t)l + 2;
	return 1;
}
