/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * MS-FSCC 2.4.15 FILE_FULL_EA_INFORMATION: the extended attributes of a file, as SMB2 QUERY_INFO returns
 * and SET_INFO takes them (class FileFullEaInformation).
 *
 * Each entry is NextEntryOffset(4) Flags(1) EaNameLength(1) EaValueLength(2) EaName (OEM/ASCII, then a
 * NUL that EaNameLength does not count) EaValue. A peer controls every length and offset: an entry must lie
 * inside the buffer, its name must be NUL-terminated, non-empty and free of control characters (the glue
 * hands names on as C strings), and a non-zero NextEntryOffset must step past the entry's value, which
 * forbids loops and overlaps and bounds the walk by len / 9. MS-FSCC asks for 4-byte aligned entries;
 * Samba complies (fill_ea_chained_buffer pads), but nothing here depends on it, so it is not required.
 */
#include <errno.h>
#include <string.h>

#include "smbfuse/smb2.h"
#include "smbfuse/util.h"
#include "smb2_i.h"

#define EA_FIXED 8

int smb2_ea_next(struct smb2_notify_iter *it, struct smb2_ea *out)
{
	memset(out, 0, sizeof(*out));
	if (it->err)
		return it->err;
	if (it->done)
		return 0;
	uint32_t left = it->len - it->off;
	if (left < EA_FIXED)
		return it->err = -EBADMSG;
	const uint8_t *e = it->buf + it->off;
	uint32_t next = get_le32(e);
	uint8_t name_len = e[5];
	uint16_t value_len = get_le16(e + 6);
	uint32_t size = EA_FIXED + name_len + 1u + value_len;
	if (name_len == 0 || size > left || e[EA_FIXED + name_len] != 0)
		return it->err = -EBADMSG;
	for (uint32_t i = 0; i < name_len; i++)
		if (e[EA_FIXED + i] < 0x20 || e[EA_FIXED + i] == 0x7f)
			return it->err = -EBADMSG;
	if (next && (next < size || next > left - 1))
		return it->err = -EBADMSG;
	out->flags = e[4];
	out->name = (const char *)e + EA_FIXED;
	out->name_len = name_len;
	out->value = e + EA_FIXED + name_len + 1;
	out->value_len = value_len;
	if (next)
		it->off += next;
	else
		it->done = true;
	return 1;
}

int smb2_full_ea_encode(struct wbuf *w, const char *name, size_t name_len, const void *value, size_t value_len)
{
	if (!name || name_len == 0 || (value_len && !value))
		return -EINVAL;
	if (name_len > SMB_EA_NAME_MAX || value_len > SMB_EA_VALUE_MAX)
		return name_len > SMB_EA_NAME_MAX ? -ENAMETOOLONG : -E2BIG;
	for (size_t i = 0; i < name_len; i++)
		if ((uint8_t)name[i] < 0x20 || (uint8_t)name[i] > 0x7e)
			return -EINVAL;
	wbuf_u32(w, 0);
	wbuf_u8(w, 0);
	wbuf_u8(w, (uint8_t)name_len);
	wbuf_u16(w, (uint16_t)value_len);
	wbuf_bytes(w, name, name_len);
	wbuf_u8(w, 0);
	wbuf_bytes(w, value, value_len);
	return wbuf_err(w);
}
