/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * MS-DTYP 2.4.6 SECURITY_DESCRIPTOR in self-relative form, the payload of QUERY_INFO / SET_INFO of
 * SMB2_0_INFO_SECURITY, with its SIDs (2.4.2.2) and ACLs (2.4.5) of ACEs (2.4.4). Only checked, never
 * rebuilt: the bytes a user hands to system.cifs_acl go to the server as they are, and the server's go
 * back to the user, so what matters is that every offset and length lies inside the buffer (programs such
 * as getcifsacl parse what we pass them, and a server parses what we send).
 */
#include <errno.h>
#include <string.h>

#include "smbfuse/smb2.h"
#include "smbfuse/util.h"

#define SD_FIXED 20
#define ACL_FIXED 8
#define ACE_HDR 4

/* A SID of at most 15 sub-authorities at p, within n bytes; its size, or 0 when it does not fit. */
static size_t sid_size(const uint8_t *p, size_t n)
{
	if (n < 8 || p[0] != 1 || p[1] > 15 || n < 8 + 4u * p[1])
		return 0;
	return 8 + 4u * p[1];
}

static int acl_check(const uint8_t *p, size_t n)
{
	if (n < ACL_FIXED || (p[0] != 2 && p[0] != 4))
		return -EBADMSG;
	uint16_t size = get_le16(p + 2), count = get_le16(p + 4);
	if (size < ACL_FIXED || size > n)
		return -EBADMSG;
	size_t off = ACL_FIXED;
	for (unsigned i = 0; i < count; i++) {
		if (size - off < ACE_HDR)
			return -EBADMSG;
		uint8_t type = p[off];
		uint16_t ace = get_le16(p + off + 2);
		if (ace < ACE_HDR || ace > size - off)
			return -EBADMSG;
		/* ACCESS_ALLOWED, ACCESS_DENIED, SYSTEM_AUDIT, SYSTEM_ALARM: Mask then one SID. */
		if (type <= 3 && (ace < ACE_HDR + 4 || !sid_size(p + off + 8, ace - 8u)))
			return -EBADMSG;
		off += ace;
	}
	return 0;
}

int smb_sd_check(const uint8_t *p, size_t n, uint32_t *parts)
{
	if (parts)
		*parts = 0;
	if (!p || n < SD_FIXED || p[0] != 1 || !(get_le16(p + 2) & SE_SELF_RELATIVE))
		return -EBADMSG;
	static const uint32_t bit[4] = {OWNER_SECURITY_INFORMATION, GROUP_SECURITY_INFORMATION,
					SACL_SECURITY_INFORMATION, DACL_SECURITY_INFORMATION};
	uint32_t have = 0;
	for (int i = 0; i < 4; i++) {
		uint32_t off = get_le32(p + 4 + 4 * i);
		if (!off)
			continue;
		if (off < SD_FIXED || off >= n)
			return -EBADMSG;
		if (i < 2 ? !sid_size(p + off, n - off) : acl_check(p + off, n - off) < 0)
			return -EBADMSG;
		have |= bit[i];
	}
	if (parts)
		*parts = have;
	return 0;
}
