/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The FSCTL payloads of sparse files: MS-FSCC 2.3.64 FSCTL_SET_SPARSE (FILE_SET_SPARSE_BUFFER), 2.3.67
 * FSCTL_SET_ZERO_DATA (FILE_ZERO_DATA_INFORMATION), 2.3.45 / 2.3.46 FSCTL_QUERY_ALLOCATED_RANGES
 * (FILE_ALLOCATED_RANGE_BUFFER in and out). The offsets and lengths are LONGLONG: signed on the wire.
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
