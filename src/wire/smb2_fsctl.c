/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The FSCTL payloads of sparse files: MS-FSCC 2.3.64 FSCTL_SET_SPARSE (FILE_SET_SPARSE_BUFFER), 2.3.67
 * FSCTL_SET_ZERO_DATA (FILE_ZERO_DATA_INFORMATION), 2.3.45 / 2.3.46 FSCTL_QUERY_ALLOCATED_RANGES
 * (FILE_ALLOCATED_RANGE_BUFFER in and out). The offsets and lengths are LONGLONG: signed on the wire.
 * Server-side copy: MS-SMB2 2.2.32.3 SRV_REQUEST_RESUME_KEY Response, 2.2.31.1 SRV_COPYCHUNK_COPY, 2.2.32.1
 * SRV_COPYCHUNK_RESPONSE.
 */
#include <errno.h>
#include <string.h>

#include "smbfuse/smb2.h"
#include "smbfuse/util.h"

#define OFF_MAX ((uint64_t)INT64_MAX)

int smb2_set_sparse_encode(struct wbuf *w, bool sparse)
{
	wbuf_u8(w, sparse ? 1 : 0);
	return wbuf_err(w);
}

int smb2_zero_data_encode(struct wbuf *w, uint64_t off, uint64_t beyond)
{
	if (off > beyond || beyond > OFF_MAX)
		return -EINVAL;
	wbuf_u64(w, off);
	wbuf_u64(w, beyond);
	return wbuf_err(w);
}

int smb2_alloc_ranges_req_encode(struct wbuf *w, uint64_t off, uint64_t len)
{
	if (off > OFF_MAX || len > OFF_MAX - off)
		return -EINVAL;
	wbuf_u64(w, off);
	wbuf_u64(w, len);
	return wbuf_err(w);
}

int smb2_alloc_ranges_decode(const uint8_t *data, uint32_t len, struct smb2_range *out, int max)
{
	if (len % SMB2_RANGE_SIZE || (len && !data) || max < 0 || len / SMB2_RANGE_SIZE > (uint32_t)max)
		return -EBADMSG;
	int n = (int)(len / SMB2_RANGE_SIZE);
	uint64_t end = 0;
	for (int i = 0; i < n; i++) {
		uint64_t off = get_le64(data + SMB2_RANGE_SIZE * i), l = get_le64(data + SMB2_RANGE_SIZE * i + 8);
		if (off > OFF_MAX || l > OFF_MAX - off || off < end) {
			memset(out, 0, sizeof(*out) * (size_t)i);
			return -EBADMSG;
		}
		end = off + l;
		out[i] = (struct smb2_range){off, l};
	}
	return n;
}

int smb2_resume_key_decode(const uint8_t *data, uint32_t len, uint8_t key[SMB2_RESUME_KEY_SIZE])
{
	if (!data || len < SMB2_RESUME_KEY_SIZE)
		return -EBADMSG;
	memcpy(key, data, SMB2_RESUME_KEY_SIZE);
	return 0;
}

int smb2_copychunk_req_encode(struct wbuf *w, const uint8_t key[SMB2_RESUME_KEY_SIZE], const struct smb2_chunk *c,
			      int n)
{
	if (n < 1 || n > SMB2_COPYCHUNK_MAX || !c)
		return -EINVAL;
	for (int i = 0; i < n; i++)
		if (c[i].src_off > OFF_MAX - c[i].len || c[i].dst_off > OFF_MAX - c[i].len)
			return -EINVAL;
	wbuf_bytes(w, key, SMB2_RESUME_KEY_SIZE);
	wbuf_u32(w, (uint32_t)n);
	wbuf_u32(w, 0);
	for (int i = 0; i < n; i++) {
		wbuf_u64(w, c[i].src_off);
		wbuf_u64(w, c[i].dst_off);
		wbuf_u32(w, c[i].len);
		wbuf_u32(w, 0);
	}
	return wbuf_err(w);
}

int smb2_copychunk_rsp_decode(const uint8_t *data, uint32_t len, struct smb2_copychunk_rsp *out)
{
	memset(out, 0, sizeof(*out));
	if (!data || len < 12)
		return -EBADMSG;
	out->chunks_written = get_le32(data);
	out->chunk_bytes_written = get_le32(data + 4);
	out->total_bytes_written = get_le32(data + 8);
	return 0;
}
