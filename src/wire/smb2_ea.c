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

/*
 * The entry at e, with fixed bytes before its Flags(1) NameLength(1) ValueLength(2) at e + hdr - 4 and
 * left bytes from e on: its size, or 0 when it is malformed (see the top of the file). out gets the views.
 */
static uint32_t entry(const uint8_t *e, uint32_t left, uint32_t hdr, struct smb2_ea *out)
{
	if (left < hdr)
		return 0;
	uint8_t name_len = e[hdr - 3];
	uint16_t value_len = get_le16(e + hdr - 2);
	uint32_t size = hdr + name_len + 1u + value_len;
	if (name_len == 0 || size > left || e[hdr + name_len] != 0)
		return 0;
	for (uint32_t i = 0; i < name_len; i++)
		if (e[hdr + i] < 0x20 || e[hdr + i] == 0x7f)
			return 0;
	out->flags = e[hdr - 4];
	out->name = (const char *)e + hdr;
	out->name_len = name_len;
	out->value = e + hdr + name_len + 1;
	out->value_len = value_len;
	return size;
}

int smb2_ea_next(struct smb2_notify_iter *it, struct smb2_ea *out)
{
	memset(out, 0, sizeof(*out));
	if (it->err)
		return it->err;
	if (it->done)
		return 0;
	uint32_t left = it->len - it->off;
	const uint8_t *e = it->buf + it->off;
	uint32_t size = entry(e, left, EA_FIXED, out);
	uint32_t next = size ? get_le32(e) : 0;
	if (!size || (next && (next < size || next > left - 1))) {
		memset(out, 0, sizeof(*out));
		return it->err = -EBADMSG;
	}
	if (next)
		it->off += next;
	else
		it->done = true;
	return 1;
}

/* MS-CIFS 2.2.1.2.2.1 SMB_FEA_LIST: SizeOfListInBytes (itself included), then SMB_FEAs packed back to back:
 * Flags(1) NameLength(1) ValueLength(2) Name NUL Value. Samba answers a file without EAs with the size 4. */
int smb1_fea_list_init(struct smb2_notify_iter *it, const uint8_t *buf, uint32_t len)
{
	smb2_notify_iter_init(it, NULL, 0);
	if (!buf || len < 4 || get_le32(buf) < 4 || get_le32(buf) > len)
		return it->err = -EBADMSG;
	smb2_notify_iter_init(it, buf + 4, get_le32(buf) - 4);
	return 0;
}

int smb1_fea_next(struct smb2_notify_iter *it, struct smb2_ea *out)
{
	memset(out, 0, sizeof(*out));
	if (it->err || it->done)
		return it->err;
	uint32_t size = entry(it->buf + it->off, it->len - it->off, 4, out);
	if (!size) {
		memset(out, 0, sizeof(*out));
		return it->err = -EBADMSG;
	}
	it->off += size;
	it->done = it->off == it->len;
	return 1;
}

int smb1_fea_list_encode(struct wbuf *w, const char *name, size_t name_len, const void *value, size_t value_len)
{
	size_t at = w->len;
	wbuf_u32(w, 0);
	int r = smb2_full_ea_encode(w, name, name_len, value, value_len);
	if (r < 0) {
		if (!wbuf_err(w))
			w->len = at;
		return r;
	}
	/* The same entry without NextEntryOffset: drop those 4 bytes, then say the list's size. */
	memmove(w->p + at + 4, w->p + at + 8, w->len - at - 8);
	w->len -= 4;
	put_le32(w->p + at, (uint32_t)(w->len - at));
	return wbuf_err(w);
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
