/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * smb2_fsctl.h - the FSCTL payloads of sparse files and allocated ranges (MS-FSCC 2.3), carried by SMB2
 * IOCTL (smb2.h). Included by smb2.h, which defines struct wbuf: include smbfuse/smb2.h, not this file.
 */
#ifndef SMBFUSE_SMB2_FSCTL_H
#define SMBFUSE_SMB2_FSCTL_H

#include <stdbool.h>
#include <stdint.h>

#define FSCTL_QUERY_ALLOCATED_RANGES 0x000940CFu

/* MS-FSCC 2.3.64 FSCTL_SET_SPARSE input: FILE_SET_SPARSE_BUFFER, one SetSparse byte. */
int smb2_set_sparse_encode(struct wbuf *w, bool sparse);
/* MS-FSCC 2.3.67 FILE_ZERO_DATA_INFORMATION: zero [off, beyond); -EINVAL unless off <= beyond <= INT64_MAX. */
int smb2_zero_data_encode(struct wbuf *w, uint64_t off, uint64_t beyond);

/* MS-FSCC 2.3.45 FILE_ALLOCATED_RANGE_BUFFER: the query's input and each range of its output. */
struct smb2_range {
	uint64_t off, len;
};
#define SMB2_RANGE_SIZE 16
/* The query of [off, off + len); -EINVAL past INT64_MAX (the fields are signed on the wire). */
int smb2_alloc_ranges_req_encode(struct wbuf *w, uint64_t off, uint64_t len);
/*
 * The output of FSCTL_QUERY_ALLOCATED_RANGES (len bytes at data, from smb2_ioctl_rsp_decode) into out[0..max):
 * returns the number of ranges. -EBADMSG for a length that is not a multiple of 16, more than max ranges, a
 * negative offset or length, a range that ends past INT64_MAX, or ranges out of order or overlapping (MS-FSCC
 * 2.3.46: sorted by offset, disjoint), so a caller may walk them as given. Empty ranges are kept.
 */
int smb2_alloc_ranges_decode(const uint8_t *data, uint32_t len, struct smb2_range *out, int max);

#endif
