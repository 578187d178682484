/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * MS-SMB2 2.2.37 / 2.2.38 QUERY_INFO and 2.2.39 / 2.2.40 SET_INFO, with the information classes we use:
 * MS-FSCC 2.4.2 FileAllInformation, 2.4.7 Basic, 2.4.11 Disposition, 2.4.13 EndOfFile, 2.4.4 Allocation,
 * 2.4.22 Internal, 2.4.29 NetworkOpen, 2.4.41 Standard, 2.4.42 Rename (the SMB2 form, and the SMB1 one that
 * SMB1 pass-through levels carry);
 * 2.5.1 FileFsAttributeInformation, 2.5.4 FileFsFullSizeInformation, 2.5.8 FileFsSizeInformation.
 *
 * The info decoders take the OutputBuffer of a QUERY_INFO response and accept trailing bytes: servers
 * may grow a class (and Windows pads to 8).
 */
#include <errno.h>
#include <string.h>

#include "smbfuse/smb2.h"
#include "smbfuse/util.h"
#include "smb2_i.h"

#define QI_REQ_SIZE 41
#define QI_REQ_FIXED 40
#define QI_RSP_SIZE 9
#define QI_RSP_FIXED 8
#define SI_REQ_SIZE 33
#define SI_REQ_FIXED 32
#define SI_RSP_SIZE 2

#define BASIC_LEN 40
#define STANDARD_LEN 24
#define NETOPEN_LEN 56
#define ALL_FIXED 100

int smb2_query_info_req_encode(struct wbuf *w, const struct smb2_query_info_req *in)
{
	if (in->input_len && !in->input)
		return -EINVAL;
	wbuf_u16(w, QI_REQ_SIZE);
	wbuf_u8(w, in->info_type);
	wbuf_u8(w, in->file_info_class);
	wbuf_u32(w, in->output_buffer_length);
	wbuf_u16(w, in->input_len ? SMB2_HDR_SIZE + QI_REQ_FIXED : 0);
	wbuf_u16(w, 0);
	wbuf_u32(w, in->input_len);
	wbuf_u32(w, in->additional_information);
	wbuf_u32(w, in->flags);
	wbuf_u64(w, in->fid.persistent);
	wbuf_u64(w, in->fid.volatile_);
	wbuf_bytes(w, in->input, in->input_len);
	smb2_pad_empty(w, in->input_len);
	return wbuf_err(w);
}

int smb2_query_info_rsp_decode(const uint8_t *msg, size_t n, struct smb2_query_info_rsp *out)
{
	struct cur c;
	memset(out, 0, sizeof(*out));
	int r = smb2_body_start(&c, msg, n, SMB2_QUERY_INFO, QI_RSP_SIZE);
	if (r)
		return r;
	uint16_t off = cur_u16(&c);
	uint32_t len = cur_u32(&c);
	r = cur_err(&c);
	if (!r)
		r = smb2_view(msg, n, off, len, SMB2_HDR_SIZE + QI_RSP_FIXED, &out->buf);
	if (r) {
		memset(out, 0, sizeof(*out));
		return r;
	}
	out->len = len;
	return 0;
}

int smb2_file_basic_info_decode(const uint8_t *buf, size_t len, struct smb2_file_basic_info *out)
{
	memset(out, 0, sizeof(*out));
	if (!buf || len < BASIC_LEN)
		return -EBADMSG;
	out->creation_time = get_le64(buf);
	out->last_access_time = get_le64(buf + 8);
	out->last_write_time = get_le64(buf + 16);
	out->change_time = get_le64(buf + 24);
	out->attributes = get_le32(buf + 32);
	return 0;
}

int smb2_file_standard_info_decode(const uint8_t *buf, size_t len, struct smb2_file_standard_info *out)
{
	memset(out, 0, sizeof(*out));
	if (!buf || len < STANDARD_LEN)
		return -EBADMSG;
	out->allocation_size = get_le64(buf);
	out->end_of_file = get_le64(buf + 8);
	out->number_of_links = get_le32(buf + 16);
	out->delete_pending = buf[20] != 0;
	out->directory = buf[21] != 0;
	return 0;
}

int smb2_file_internal_info_decode(const uint8_t *buf, size_t len, struct smb2_file_internal_info *out)
{
	memset(out, 0, sizeof(*out));
	if (!buf || len < 8)
		return -EBADMSG;
	out->index_number = get_le64(buf);
	return 0;
}

int smb2_file_network_open_info_decode(const uint8_t *buf, size_t len, struct smb2_file_network_open_info *out)
{
	memset(out, 0, sizeof(*out));
	if (!buf || len < NETOPEN_LEN)
		return -EBADMSG;
	out->creation_time = get_le64(buf);
	out->last_access_time = get_le64(buf + 8);
	out->last_write_time = get_le64(buf + 16);
	out->change_time = get_le64(buf + 24);
	out->allocation_size = get_le64(buf + 32);
	out->end_of_file = get_le64(buf + 40);
	out->attributes = get_le32(buf + 48);
	return 0;
}

/*
 * Basic(40) Standard(24) Internal(8) Ea(4) Access(4) Position(8) Mode(4) Alignment(4) NameLength(4) Name.
 * Samba answers STATUS_BUFFER_OVERFLOW with the name cut at the output buffer's end, keeping the full
 * FileNameLength; we then view what is there (rounded down to whole UTF-16 units) and say so.
 */
int smb2_file_all_info_decode(const uint8_t *buf, size_t len, struct smb2_file_all_info *out)
{
	struct smb2_file_basic_info b;
	struct smb2_file_standard_info s;
	memset(out, 0, sizeof(*out));
	if (!buf || len < ALL_FIXED)
		return -EBADMSG;
	smb2_file_basic_info_decode(buf, BASIC_LEN, &b);
	smb2_file_standard_info_decode(buf + BASIC_LEN, STANDARD_LEN, &s);
	out->creation_time = b.creation_time;
	out->last_access_time = b.last_access_time;
	out->last_write_time = b.last_write_time;
	out->change_time = b.change_time;
	out->attributes = b.attributes;
	out->allocation_size = s.allocation_size;
	out->end_of_file = s.end_of_file;
	out->number_of_links = s.number_of_links;
	out->delete_pending = s.delete_pending;
	out->directory = s.directory;
	out->index_number = get_le64(buf + 64);
	out->ea_size = get_le32(buf + 72);
	out->access_flags = get_le32(buf + 76);
	out->current_byte_offset = get_le64(buf + 80);
	out->mode = get_le32(buf + 88);
	out->alignment_requirement = get_le32(buf + 92);
	uint32_t name_len = get_le32(buf + 96);
	size_t avail = len - ALL_FIXED;
	out->name = buf + ALL_FIXED;
	if (name_len > avail) {
		out->name_len = (uint32_t)(avail & ~(size_t)1);
		out->name_truncated = true;
	} else {
		out->name_len = name_len & ~1u;
	}
	return 0;
}

int smb2_fs_full_size_info_decode(const uint8_t *buf, size_t len, struct smb2_fs_full_size_info *out)
{
	memset(out, 0, sizeof(*out));
	if (!buf || len < 32)
		return -EBADMSG;
	out->total_alloc_units = get_le64(buf);
	out->caller_avail_units = get_le64(buf + 8);
	out->actual_avail_units = get_le64(buf + 16);
	out->sectors_per_unit = get_le32(buf + 24);
	out->bytes_per_sector = get_le32(buf + 28);
	return 0;
}

int smb2_fs_size_info_decode(const uint8_t *buf, size_t len, struct smb2_fs_full_size_info *out)
{
	memset(out, 0, sizeof(*out));
	if (!buf || len < 24)
		return -EBADMSG;
	out->total_alloc_units = get_le64(buf);
	out->caller_avail_units = out->actual_avail_units = get_le64(buf + 8);
	out->sectors_per_unit = get_le32(buf + 16);
	out->bytes_per_sector = get_le32(buf + 20);
	return 0;
}

int smb2_fs_attribute_info_decode(const uint8_t *buf, size_t len, struct smb2_fs_attribute_info *out)
{
	memset(out, 0, sizeof(*out));
	if (!buf || len < 12)
		return -EBADMSG;
	uint32_t name_len = get_le32(buf + 8);
	if (name_len > len - 12 || name_len % 2)
		return -EBADMSG;
	out->attributes = get_le32(buf);
	out->max_name_len = (int32_t)get_le32(buf + 4);
	out->name = buf + 12;
	out->name_len = name_len;
	return 0;
}

int smb2_set_info_req_encode(struct wbuf *w, const struct smb2_set_info_req *in)
{
	if (in->len && !in->buf)
		return -EINVAL;
	wbuf_u16(w, SI_REQ_SIZE);
	wbuf_u8(w, in->info_type);
	wbuf_u8(w, in->file_info_class);
	wbuf_u32(w, in->len);
	wbuf_u16(w, SMB2_HDR_SIZE + SI_REQ_FIXED);
	wbuf_u16(w, 0);
	wbuf_u32(w, in->additional_information);
	wbuf_u64(w, in->fid.persistent);
	wbuf_u64(w, in->fid.volatile_);
	wbuf_bytes(w, in->buf, in->len);
	smb2_pad_empty(w, in->len);
	return wbuf_err(w);
}

int smb2_set_info_rsp_decode(const uint8_t *msg, size_t n)
{
	return smb2_empty_rsp_decode(msg, n, SMB2_SET_INFO, SI_RSP_SIZE);
}

int smb2_file_basic_info_encode(struct wbuf *w, uint64_t creation, uint64_t access, uint64_t write, uint64_t change,
				uint32_t attrs)
{
	wbuf_u64(w, creation);
	wbuf_u64(w, access);
	wbuf_u64(w, write);
	wbuf_u64(w, change);
	wbuf_u32(w, attrs);
	wbuf_u32(w, 0);
	return wbuf_err(w);
}

int smb2_file_eof_info_encode(struct wbuf *w, uint64_t eof)
{
	wbuf_u64(w, eof);
	return wbuf_err(w);
}

int smb2_file_allocation_info_encode(struct wbuf *w, uint64_t size)
{
	wbuf_u64(w, size);
	return wbuf_err(w);
}

/*
 * A UTF-16 NUL follows the name, outside FileNameLength, as the Linux client sends it: Windows refuses a
 * buffer shorter than its 24-byte FILE_RENAME_INFORMATION, which a one-character name would otherwise be.
 */
/* The two forms differ only in the width of RootDirectory (and the alignment before it): 4 bytes in TYPE_1
 * (SMB1), 8 in TYPE_2 (SMB2). RootDirectory is always 0 on the network. */
static int rename_info_encode(struct wbuf *w, bool replace, size_t root_len, const char *utf8_name, size_t len)
{
	if (len && !utf8_name)
		return -EINVAL;
	long ulen = utf16_len_of_utf8(utf8_name, len);
	if (ulen < 0)
		return -EILSEQ;
	if (ulen == 0 || ulen > 0xFFFF)
		return ulen ? -ENAMETOOLONG : -EINVAL;
	wbuf_u8(w, replace ? 1 : 0);
	wbuf_zero(w, root_len - 1);
	wbuf_zero(w, root_len);
	wbuf_u32(w, (uint32_t)ulen);
	wbuf_utf16(w, utf8_name, len);
	wbuf_u16(w, 0);
	return wbuf_err(w);
}

int smb2_file_rename_info_encode(struct wbuf *w, bool replace, const char *utf8_name, size_t len)
{
	return rename_info_encode(w, replace, 8, utf8_name, len);
}

int smb1_file_rename_info_encode(struct wbuf *w, bool replace, const char *utf8_name, size_t len)
{
	return rename_info_encode(w, replace, 4, utf8_name, len);
}

int smb2_file_disposition_info_encode(struct wbuf *w, bool del)
{
	wbuf_u8(w, del ? 1 : 0);
	return wbuf_err(w);
}
