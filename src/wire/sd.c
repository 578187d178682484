/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * MS-DTYP 2.4.6 SECURITY_DESCRIPTOR in self-relative form, the payload of QUERY_INFO / SET_INFO of
 * SMB2_0_INFO_SECURITY, with its SIDs (2.4.2.2) and ACLs (2.4.5) of ACEs (2.4.4). Only checked, never
 * rebuilt: the bytes a user hands to system.cifs_acl go to the server as they are, and the server's go
 * back to the user, so what matters is that every offset and length lies inside the buffer (programs such
 * as getcifsacl parse what we pass them, and a server parses what we send).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
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

/* ---- SDDL (MS-DTYP 2.5.1), for smbfuse --acl ---- */

struct out {
	char *p;
	size_t len, cap;
	bool full;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)k >= o->cap - o->len)
		o->full = true;
	else
		o->len += (size_t)k;
}

/* S-1-AUTHORITY-SUB...: the authority is a 48-bit big-endian number, in hex from 2^32 (MS-DTYP 2.4.2.1). */
static void put_sid(struct out *o, const uint8_t *s)
{
	uint64_t auth = 0;
	for (int i = 2; i < 8; i++)
		auth = auth << 8 | s[i];
	put(o, auth >> 32 ? "S-%u-0x%012llx" : "S-%u-%llu", s[0], (unsigned long long)auth);
	for (unsigned i = 0; i < s[1]; i++)
		put(o, "-%u", get_le32(s + 8 + 4 * i));
}

static void put_acl(struct out *o, const uint8_t *a)
{
	static const char *const types[] = {"A", "D", "AU", "AL"};
	static const struct {
		uint8_t bit;
		const char *s;
	} flags[] = {{0x01, "OI"}, {0x02, "CI"}, {0x04, "NP"}, {0x08, "IO"}, {0x10, "ID"}, {0x40, "SA"}, {0x80, "FA"}};
	uint16_t count = get_le16(a + 4);
	size_t off = ACL_FIXED;
	for (unsigned i = 0; i < count; i++) {
		const uint8_t *e = a + off;
		off += get_le16(e + 2);
		/* Only the ACEs of a mask and a SID; object and callback ACEs carry GUIDs and conditions that
		 * this printer does not spell out. */
		if (e[0] > 3 && e[0] != 0x11) {
			put(o, "(XX;;;;;unshown ACE type 0x%02x)", e[0]);
			continue;
		}
		put(o, "(%s;", e[0] == 0x11 ? "ML" : types[e[0]]);
		for (size_t k = 0; k < sizeof(flags) / sizeof(flags[0]); k++)
			if (e[1] & flags[k].bit)
				put(o, "%s", flags[k].s);
		put(o, ";0x%08x;;;", get_le32(e + 4));
		put_sid(o, e + 8);
		put(o, ")");
	}
}

int smb_sd_to_sddl(const uint8_t *p, size_t n, char *out, size_t outlen)
{
	if (!out || outlen == 0)
		return -EINVAL;
	out[0] = '\0';
	int r = smb_sd_check(p, n, NULL);
	if (r < 0)
		return r;
	struct out o = {.p = out, .cap = outlen};
	uint16_t ctl = get_le16(p + 2);
	uint32_t owner = get_le32(p + 4), group = get_le32(p + 8), sacl = get_le32(p + 12), dacl = get_le32(p + 16);
	if (owner) {
		put(&o, "O:");
		put_sid(&o, p + owner);
	}
	if (group) {
		put(&o, "G:");
		put_sid(&o, p + group);
	}
	/* SE_DACL_PRESENT 0x0004 without a DACL is the NULL DACL: everyone may do anything. */
	if (dacl || (ctl & 0x0004)) {
		put(&o, "D:%s%s%s", ctl & 0x1000 ? "P" : "", ctl & 0x0100 ? "AR" : "", ctl & 0x0400 ? "AI" : "");
		if (dacl)
			put_acl(&o, p + dacl);
		else
			put(&o, "NO_ACCESS_CONTROL");
	}
	if (sacl) {
		put(&o, "S:%s%s%s", ctl & 0x2000 ? "P" : "", ctl & 0x0200 ? "AR" : "", ctl & 0x0800 ? "AI" : "");
		put_acl(&o, p + sacl);
	}
	if (o.full) {
		out[0] = '\0';
		return -ENOSPC;
	}
	return (int)o.len;
}
