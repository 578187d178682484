/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * MS-SMB2 2.2.33 / 2.2.34 QUERY_DIRECTORY Request and Response, 2.2.35 / 2.2.36 CHANGE_NOTIFY Request and
 * Response; the entry formats are MS-FSCC 2.4.10 / .14 / .17 / .18 / .26 / .34 (directory classes) and
 * MS-FSCC 2.7.1 FILE_NOTIFY_INFORMATION; the POSIX level (FilePosixInformation, SMB3 POSIX extensions:
 * NextEntryOffset, FileIndex, the 68-byte head of the info class, the create-context part with its two
 * variable-length SIDs, then FileNameLength and the name).
 *
 * Both walks follow NextEntryOffset. A peer controls every offset, so each entry's fixed part and name
 * must lie inside the buffer, and a non-zero NextEntryOffset must step past the current entry's name:
 * that forbids loops, backward steps and overlapping entries, and bounds the walk by len / fixed size.
 * MS-FSCC asks for 8-byte aligned entries; Samba and Windows comply, but we do not require it since
 * nothing here depends on alignment.
 */
#include <errno.h>
#include <string.h>

#include "smbfuse/smb2.h"
#include "smbfuse/util.h"
#include "smb2_i.h"

#define QD_REQ_SIZE 33
#define QD_REQ_FIXED 32
#define QD_RSP_SIZE 9
#define QD_RSP_FIXED 8
#define CN_REQ_SIZE 32

int smb2_query_dir_req_encode(struct wbuf *w, const struct smb2_query_dir_req *in)
{
	if (in->pattern_len && !in->pattern)
		return -EINVAL;
	long ulen = smb2_utf16_len16(in->pattern, in->pattern_len);
	if (ulen < 0)
		return (int)ulen;
	wbuf_u16(w, QD_REQ_SIZE);
	wbuf_u8(w, in->info_class);
	wbuf_u8(w, in->flags);
	wbuf_u32(w, in->file_index);
	wbuf_u64(w, in->fid.persistent);
	wbuf_u64(w, in->fid.volatile_);
	wbuf_u16(w, ulen ? SMB2_HDR_SIZE + QD_REQ_FIXED : 0);
	wbuf_u16(w, (uint16_t)ulen);
	wbuf_u32(w, in->output_buffer_length);
	wbuf_utf16(w, in->pattern, in->pattern_len);
	smb2_pad_empty(w, (size_t)ulen);
	return wbuf_err(w);
}

/* QUERY_DIRECTORY and CHANGE_NOTIFY responses share one shape: OutputBufferOffset(2), Length(4). */
static int out_buffer_decode(const uint8_t *msg, size_t n, uint16_t cmd, const uint8_t **buf, uint32_t *len)
{
	struct cur c;
	*buf = NULL;
	*len = 0;
	int r = smb2_body_start(&c, msg, n, cmd, QD_RSP_SIZE);
	if (r)
		return r;
	uint16_t off = cur_u16(&c);
	uint32_t l = cur_u32(&c);
	r = cur_err(&c);
	if (!r)
		r = smb2_view(msg, n, off, l, SMB2_HDR_SIZE + QD_RSP_FIXED, buf);
	if (r) {
		*buf = NULL;
		return r;
	}
	*len = l;
	return 0;
}

int smb2_query_dir_rsp_decode(const uint8_t *msg, size_t n, struct smb2_query_dir_rsp *out)
{
	return out_buffer_decode(msg, n, SMB2_QUERY_DIRECTORY, &out->buf, &out->len);
}

/* Fixed size of each supported class's entry, up to its FileName; 0 if unsupported. */
static uint32_t dirent_fixed(uint8_t cls)
{
	switch (cls) {
	case FileDirectoryInformation:
		return 64;
	case FileFullDirectoryInformation:
		return 68;
	case FileBothDirectoryInformation:
		return 94;
	case FileIdBothDirectoryInformation:
		return 104;
	case FileIdFullDirectoryInformation:
		return 80;
	case FileNamesInformation:
		return 12;
	default:
		return 0;
	}
}

void smb2_dir_iter_init(struct smb2_dir_iter *it, uint8_t info_class, const uint8_t *buf, uint32_t len)
{
	memset(it, 0, sizeof(*it));
	it->buf = buf;
	it->len = buf ? len : 0;
	it->info_class = info_class;
	it->done = it->len == 0;
}

/* Fields after FileNameLength, by class; e points at an entry whose fixed part is known to be present. */
static int dirent_tail(uint8_t cls, const uint8_t *e, struct smb2_dirent *out)
{
	if (cls == FileDirectoryInformation)
		return 0;
	out->ea_size = get_le32(e + 64);
	if (cls == FileIdFullDirectoryInformation) {
		out->file_id = get_le64(e + 72);
	} else if (cls == FileBothDirectoryInformation || cls == FileIdBothDirectoryInformation) {
		out->short_name_len = e[68];
		out->short_name = e + 70;
		if (out->short_name_len > 24 || out->short_name_len % 2)
			return -EBADMSG;
		if (cls == FileIdBothDirectoryInformation)
			out->file_id = get_le64(e + 96);
	}
	return 0;
}

/*
 * Validate the entry at *off (fixed size `fixed`, name length at name_len_at) and advance *off; shared by
 * the directory and notify walks. Returns 0 with the entry's offset in *at, or -EBADMSG.
 */
static int step(const uint8_t *buf, uint32_t len, uint32_t *off, bool *done, uint32_t fixed, uint32_t name_len_at,
		uint32_t *at)
{
	if (!range_ok(len, *off, fixed))
		return -EBADMSG;
	const uint8_t *e = buf + *off;
	uint32_t next = get_le32(e);
	uint32_t name_len = get_le32(e + name_len_at);
	if (name_len % 2 || name_len > len - *off - fixed)
		return -EBADMSG;
	if (next && (next < fixed + name_len || next > len - *off))
		return -EBADMSG;
	*at = *off;
	if (next == 0 || next == len - *off)
		*done = true;
	else
		*off += next;
	return 0;
}

#define POSIX_DIR_HEAD 76 /* up to the create-context part */

/* Times, sizes and attributes: at 8..60 in every class that has them, the POSIX level included. */
static void dirent_common(const uint8_t *e, struct smb2_dirent *out)
{
	out->creation_time = get_le64(e + 8);
	out->last_access_time = get_le64(e + 16);
	out->last_write_time = get_le64(e + 24);
	out->change_time = get_le64(e + 32);
	out->end_of_file = get_le64(e + 40);
	out->allocation_size = get_le64(e + 48);
	out->attributes = get_le32(e + 56);
}

/* A FilePosixInformation entry: its SIDs say where FileNameLength is, so the fixed size is per entry. */
static int posix_next(struct smb2_dir_iter *it, struct smb2_dirent *out)
{
	uint32_t at = 0, used = 0;
	if (!range_ok(it->len, it->off, POSIX_DIR_HEAD))
		return it->err = -EBADMSG;
	const uint8_t *e = it->buf + it->off;
	int r = smb2_posix_cc_decode(e + POSIX_DIR_HEAD, it->len - it->off - POSIX_DIR_HEAD, &out->posix, &used);
	uint32_t nl_at = POSIX_DIR_HEAD + used;
	if (!r)
		r = step(it->buf, it->len, &it->off, &it->done, nl_at + 4, nl_at, &at);
	if (r) {
		memset(out, 0, sizeof(*out));
		return it->err = r;
	}
	out->file_index = get_le32(e + 4);
	dirent_common(e, out);
	out->file_id = get_le64(e + 60);
	out->name_len = get_le32(e + nl_at);
	out->name = e + nl_at + 4;
	return 1;
}

int smb2_dir_next(struct smb2_dir_iter *it, struct smb2_dirent *out)
{
	memset(out, 0, sizeof(*out));
	if (it->err)
		return it->err;
	if (it->done)
		return 0;
	if (it->info_class == FilePosixInformation)
		return posix_next(it, out);
	uint8_t cls = it->info_class;
	uint32_t fixed = dirent_fixed(cls), at = 0;
	if (!fixed)
		return it->err = -EPROTO;
	uint32_t nl_at = cls == FileNamesInformation ? 8 : 60;
	int r = step(it->buf, it->len, &it->off, &it->done, fixed, nl_at, &at);
	const uint8_t *e = it->buf + at;
	if (!r && cls != FileNamesInformation) {
		dirent_common(e, out);
		r = dirent_tail(cls, e, out);
	}
	if (r) {
		memset(out, 0, sizeof(*out));
		return it->err = r;
	}
	out->file_index = get_le32(e + 4);
	out->name = e + fixed;
	out->name_len = get_le32(e + nl_at);
	return 1;
}

int smb2_change_notify_req_encode(struct wbuf *w, const struct smb2_change_notify_req *in)
{
	wbuf_u16(w, CN_REQ_SIZE);
	wbuf_u16(w, in->flags);
	wbuf_u32(w, in->output_buffer_length);
	wbuf_u64(w, in->fid.persistent);
	wbuf_u64(w, in->fid.volatile_);
	wbuf_u32(w, in->completion_filter);
	wbuf_u32(w, 0);
	return wbuf_err(w);
}

int smb2_change_notify_rsp_decode(const uint8_t *msg, size_t n, struct smb2_change_notify_rsp *out)
{
	return out_buffer_decode(msg, n, SMB2_CHANGE_NOTIFY, &out->buf, &out->len);
}

void smb2_notify_iter_init(struct smb2_notify_iter *it, const uint8_t *buf, uint32_t len)
{
	memset(it, 0, sizeof(*it));
	it->buf = buf;
	it->len = buf ? len : 0;
	it->done = it->len == 0;
}

int smb2_notify_next(struct smb2_notify_iter *it, struct smb2_notify_entry *out)
{
	uint32_t at;
	memset(out, 0, sizeof(*out));
	if (it->err)
		return it->err;
	if (it->done)
		return 0;
	int r = step(it->buf, it->len, &it->off, &it->done, 12, 8, &at);
	if (r)
		return it->err = r;
	const uint8_t *e = it->buf + at;
	out->action = get_le32(e + 4);
	out->name_len = get_le32(e + 8);
	out->name = e + 12;
	return 1;
}
