/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * smb2_fsctl.h - the FSCTL payloads of sparse files and allocated ranges (MS-FSCC 2.3) and of server-side
 * copy (MS-SMB2 2.2.31.1, 2.2.32.1, 2.2.32.3), carried by SMB2 IOCTL (smb2.h). Included by smb2.h, which defines struct
 * wbuf: include smbfuse/smb2.h, not this file.
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

/* MS-SMB2 2.2.32.3 SRV_REQUEST_RESUME_KEY Response: the 24-byte ResumeKey that names the source of a copy
 * (the rest, a context length and context, is ignored). -EBADMSG when shorter. */
#define SMB2_RESUME_KEY_SIZE 24
int smb2_resume_key_decode(const uint8_t *data, uint32_t len, uint8_t key[SMB2_RESUME_KEY_SIZE]);

/* MS-SMB2 2.2.31.1 SRV_COPYCHUNK_COPY with n (1 to SMB2_COPYCHUNK_MAX) 2.2.31.1.1 SRV_COPYCHUNK entries. */
#define SMB2_COPYCHUNK_MAX 256
struct smb2_chunk {
	uint64_t src_off, dst_off;
	uint32_t len;
};
int smb2_copychunk_req_encode(struct wbuf *w, const uint8_t key[SMB2_RESUME_KEY_SIZE], const struct smb2_chunk *c,
			      int n);
/* MS-SMB2 2.2.32.1 SRV_COPYCHUNK_RESPONSE (12 bytes): on success what was copied; with
 * STATUS_INVALID_PARAMETER the server's limits (chunks per request, bytes per chunk, bytes per request). */
struct smb2_copychunk_rsp {
	uint32_t chunks_written;      /* ChunksWritten */
	uint32_t chunk_bytes_written; /* ChunkBytesWritten */
	uint32_t total_bytes_written; /* TotalBytesWritten */
};
int smb2_copychunk_rsp_decode(const uint8_t *data, uint32_t len, struct smb2_copychunk_rsp *out);

/* Reparse points of symbolic links (MS-FSCC 2.1.2.4, 2.1.2.6), the payload of FSCTL_GET/SET_REPARSE_POINT. */
#define IO_REPARSE_TAG_SYMLINK 0xA000000Cu
#define IO_REPARSE_TAG_NFS 0x80000014u
#define SYMLINK_FLAG_RELATIVE 0x00000001u
#define NFS_SPECFILE_LNK 0x00000000014B4E4CULL /* "LNK" */
#define NFS_SPECFILE_CHR 0x0000000000524843ULL /* "CHR" */
#define NFS_SPECFILE_BLK 0x00000000004B4C42ULL /* "BLK" */
#define NFS_SPECFILE_FIFO 0x000000004F464946ULL /* "FIFO" */
#define NFS_SPECFILE_SOCK 0x000000004B434F53ULL /* "SOCK" */
/*
 * The target of a symlink reparse buffer (len bytes at data) in a new string (*target, free()):
 * IO_REPARSE_TAG_SYMLINK's substitute name (its print name when that is empty) or an NFS LNK's data, with
 * Windows' backslashes made slashes when the target has no slash. -EINVAL for another tag or NFS type (not
 * a link), -EBADMSG for a buffer whose names do not fit or do not decode.
 */
int smb2_reparse_link_decode(const uint8_t *data, uint32_t len, char **target);
/* An IO_REPARSE_TAG_SYMLINK buffer naming target (both names; relative unless it starts with '/').
 * -EINVAL for an empty or non-UTF-8 target, -ENAMETOOLONG when it does not fit 16-bit lengths. */
int smb2_reparse_symlink_encode(struct wbuf *w, const char *target);

/* A special file as an IO_REPARSE_TAG_NFS buffer (MS-FSCC 2.1.2.6): type is S_IFIFO, S_IFSOCK, S_IFCHR or
 * S_IFBLK; major and minor only for the two devices (0 otherwise). */
struct smb2_nfs_special {
	uint32_t type;
	uint32_t major, minor;
};
/* -EINVAL for another tag, an NFS LNK or an unknown NFS type (not a special file); -EBADMSG for a buffer
 * shorter than its lengths say, or a device without its 8 bytes of numbers. out is zeroed on failure. */
int smb2_reparse_nfs_decode(const uint8_t *data, uint32_t len, struct smb2_nfs_special *out);
/* -EINVAL for any other type. */
int smb2_reparse_nfs_encode(struct wbuf *w, const struct smb2_nfs_special *in);

#endif
