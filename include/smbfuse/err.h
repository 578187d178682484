/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * err.h - NTSTATUS values we name in code, and the one NTSTATUS -> errno table (DESIGN B5).
 *
 * Return convention everywhere: 0 on success, negative errno on failure, non-negative only for counts.
 * Codec errors: -EBADMSG malformed, -EPROTO legal but unexpected.
 * Context-dependent overrides (e.g. a rename's "not empty") happen in the op that knows the context.
 */
#ifndef SMBFUSE_ERR_H
#define SMBFUSE_ERR_H

#include <stdint.h>

/* Generated table: src/wire/ntstatus.c (tools/gen_ntstatus.py). Sorted by code for bsearch. */
struct ntstatus_entry {
	uint32_t code;
	int err; /* positive errno */
	const char *name;
};
extern const struct ntstatus_entry ntstatus_table[];
extern const unsigned ntstatus_table_len;

/* Negative errno for an NTSTATUS; 0 for success codes; -EIO for an unknown error code. */
int ntstatus_to_errno(uint32_t status);
/* "STATUS_ACCESS_DENIED", or "0xC00000XX" formatted into a static per-thread buffer when unknown. */
const char *ntstatus_name(uint32_t status);

/* A side channel for logs: what the server said, about which request. */
struct smb_err {
	uint32_t status;
	uint16_t command;
	uint64_t message_id;
};

#define STATUS_SUCCESS 0x00000000u
#define STATUS_PENDING 0x00000103u
#define STATUS_NOTIFY_ENUM_DIR 0x0000010Cu
#define STATUS_BUFFER_OVERFLOW 0x80000005u
#define STATUS_NO_MORE_FILES 0x80000006u
#define STATUS_INVALID_INFO_CLASS 0xC0000003u
#define STATUS_INFO_LENGTH_MISMATCH 0xC0000004u
#define STATUS_INVALID_PARAMETER 0xC000000Du
#define STATUS_NO_SUCH_FILE 0xC000000Fu
#define STATUS_END_OF_FILE 0xC0000011u
#define STATUS_MORE_PROCESSING_REQUIRED 0xC0000016u
#define STATUS_ACCESS_DENIED 0xC0000022u
#define STATUS_BUFFER_TOO_SMALL 0xC0000023u
#define STATUS_OBJECT_NAME_INVALID 0xC0000033u
#define STATUS_OBJECT_NAME_NOT_FOUND 0xC0000034u
#define STATUS_OBJECT_NAME_COLLISION 0xC0000035u
#define STATUS_OBJECT_PATH_NOT_FOUND 0xC000003Au
#define STATUS_SHARING_VIOLATION 0xC0000043u
#define STATUS_NO_EAS_ON_FILE 0xC0000052u
#define STATUS_DELETE_PENDING 0xC0000056u
#define STATUS_LOGON_FAILURE 0xC000006Du
#define STATUS_FILE_IS_A_DIRECTORY 0xC00000BAu
#define STATUS_NOT_SUPPORTED 0xC00000BBu
#define STATUS_NETWORK_NAME_DELETED 0xC00000C9u
#define STATUS_BAD_NETWORK_NAME 0xC00000CCu
#define STATUS_DIRECTORY_NOT_EMPTY 0xC0000101u
#define STATUS_NOT_A_DIRECTORY 0xC0000103u
#define STATUS_CANCELLED 0xC0000120u
#define STATUS_FILE_CLOSED 0xC0000128u
#define STATUS_INVALID_LEVEL 0xC0000148u
#define STATUS_USER_SESSION_DELETED 0xC0000203u
#define STATUS_NETWORK_SESSION_EXPIRED 0xC000035Cu
#define STATUS_FS_DRIVER_REQUIRED 0xC000019Cu
#define STATUS_INVALID_DEVICE_REQUEST 0xC0000010u

#endif
