/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dfs.h - MS-DFSC referral messages (wire layer): REQ_GET_DFS_REFERRAL (2.2.2) and RESP_GET_DFS_REFERRAL
 * (2.2.4) with referral entries of versions 1 to 4 (2.2.5.1-2.2.5.4). The same bytes travel in SMB2 IOCTL
 * FSCTL_DFS_GET_REFERRALS (MS-SMB2 2.2.31) and SMB1 TRANS2_GET_DFS_REFERRAL (MS-CIFS 2.2.6.16).
 *
 * Pure functions: no allocation, no I/O. Decoded strings are views into the caller's buffer (UTF-16LE, the
 * terminator excluded) and live as long as it. Every offset and count from the server is checked.
 */
#ifndef SMBFUSE_DFS_H
#define SMBFUSE_DFS_H

#include <stddef.h>
#include <stdint.h>

#include "smbfuse/cursor.h"

/* ReferralHeaderFlags (2.2.4) */
#define DFS_HDR_REFERRAL_SERVERS 0x1u /* R: the targets are DFS root servers (a root referral) */
#define DFS_HDR_STORAGE_SERVERS 0x2u  /* S: the targets hold the data (a link or a root's own share) */
#define DFS_HDR_TARGET_FAILBACK 0x4u  /* T */

/* ReferralEntryFlags (2.2.5.3) */
#define DFS_ENTRY_NAME_LIST 0x0002u	     /* a domain or DC referral: SpecialName + expanded names */
#define DFS_ENTRY_TARGET_SET_BOUNDARY 0x0004u /* v4: the first target of a new priority set */

/* ServerType (2.2.5.x) */
#define DFS_SERVER_NON_ROOT 0
#define DFS_SERVER_ROOT 1

/* Referral entries one answer may hold: more is refused (-EBADMSG), no namespace has that many targets. */
#define DFS_MAX_ENTRIES 64

/*
 * REQ_GET_DFS_REFERRAL: MaxReferralLevel, then path (UTF-8, n bytes, "\\server\\share\\..." with one
 * leading backslash as 3.1.4.2 asks) as NUL-terminated UTF-16LE. -EILSEQ for invalid UTF-8, -EINVAL for
 * an empty path or level outside 1..4; else wbuf_err.
 */
int dfs_referral_req_encode(struct wbuf *w, uint16_t max_level, const char *path, size_t n);

struct dfs_referral_entry {
	uint16_t version;     /* 1 to 4 */
	uint16_t server_type; /* DFS_SERVER_* */
	uint16_t flags;	      /* DFS_ENTRY_* */
	uint32_t ttl;	      /* seconds (v2: TimeToLive; v3/v4: TimeToLive); 0 for v1 */
	/* DFSPath (the prefix of the request this entry resolves; v2-v4 normal entries), its alternate (8.3)
	 * form, and the target, NetworkAddress ("\\server\\share[\\path]"), which for v1 is ShareName. */
	const uint8_t *dfs_path;
	size_t dfs_path_len;
	const uint8_t *alt_path;
	size_t alt_path_len;
	const uint8_t *target;
	size_t target_len;
	/* Name list entries (flags & DFS_ENTRY_NAME_LIST, v3/v4): SpecialName and NumberOfExpandedNames
	 * NUL-terminated names in expanded[0..expanded_len) (each terminator kept, for dfs_next_name). */
	const uint8_t *special;
	size_t special_len;
	uint16_t nexpanded;
	const uint8_t *expanded;
	size_t expanded_len;
};

struct dfs_referral_rsp {
	uint16_t path_consumed; /* bytes (not characters) of the request path's UTF-16 form this answer covers */
	uint16_t count;		/* NumberOfReferrals */
	uint32_t flags;		/* DFS_HDR_* */
};

/*
 * Decode RESP_GET_DFS_REFERRAL p[0..n): the header into *out and the first max entries into e[] (e may be
 * NULL with max 0 to read the header alone; entries beyond max are checked all the same). Every entry must
 * have a version 1 to 4 and the same version as the first (3.1.5.4), a Size that holds its fixed part and
 * stays inside the buffer, and each string an offset (relative to its entry) inside the buffer with a
 * terminator before the end. Returns 0, or -EBADMSG (nothing in *out, e[] undefined).
 */
int dfs_referral_rsp_decode(const uint8_t *p, size_t n, struct dfs_referral_rsp *out, struct dfs_referral_entry *e,
			    size_t max);

/* The next name of a name list (expanded, expanded_len) from *off: 1 with the view in *name and *len, 0 at
 * the end, -EBADMSG for a name without terminator. */
int dfs_next_name(const uint8_t *list, size_t list_len, size_t *off, const uint8_t **name, size_t *len);

#endif
