/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * smb2.h - SMB2/3 wire codecs (MS-SMB2 section 2.2). Contract of src/wire/smb2_*.c.
 *
 * Pure functions: no sockets, no threads, no allocation, libc + util only.
 *   int smb2_<cmd>_req_encode(struct wbuf *w, const struct smb2_<cmd>_req *in);
 *       appends the request *body* (StructureSize onward, with its variable part) to w; the 64-byte header
 *       is written separately by the transport. Offsets inside the body are relative to the start of the
 *       SMB2 header, so encoders assume the body begins at header offset 64.
 *       Returns 0 or a negative errno (the wbuf's error).
 *   int smb2_<cmd>_rsp_decode(const uint8_t *msg, size_t n, struct smb2_<cmd>_rsp *out);
 *       msg is the *whole* SMB2 message (header + body, n bytes, not including the next compounded
 *       message); every pointer in *out is a view into msg and lives as long as msg does. The
 *       StructureSize is checked first; every offset/length pair is checked against n.
 *       Returns 0, -EBADMSG (malformed) or -EPROTO (legal but unexpected). *out is cleared on entry.
 */
#ifndef SMBFUSE_SMB2_H
#define SMBFUSE_SMB2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "smbfuse/cursor.h"

/* 2.2.1 SMB2 Packet Header */
#define SMB2_HDR_SIZE 64
#define SMB2_PROTO_MAGIC 0x424D53FEu	   /* 0xFE 'S' 'M' 'B' read as LE u32 */
#define SMB2_TRANSFORM_MAGIC 0x424D53FDu   /* 0xFD 'S' 'M' 'B' */
#define SMB2_COMPRESSION_MAGIC 0x424D53FCu /* 0xFC 'S' 'M' 'B' */
#define SMB1_PROTO_MAGIC 0x424D53FFu	   /* 0xFF 'S' 'M' 'B' */

enum smb2_command {
	SMB2_NEGOTIATE = 0x0000,
	SMB2_SESSION_SETUP = 0x0001,
	SMB2_LOGOFF = 0x0002,
	SMB2_TREE_CONNECT = 0x0003,
	SMB2_TREE_DISCONNECT = 0x0004,
	SMB2_CREATE = 0x0005,
	SMB2_CLOSE = 0x0006,
	SMB2_FLUSH = 0x0007,
	SMB2_READ = 0x0008,
	SMB2_WRITE = 0x0009,
	SMB2_LOCK = 0x000A,
	SMB2_IOCTL = 0x000B,
	SMB2_CANCEL = 0x000C,
	SMB2_ECHO = 0x000D,
	SMB2_QUERY_DIRECTORY = 0x000E,
	SMB2_CHANGE_NOTIFY = 0x000F,
	SMB2_QUERY_INFO = 0x0010,
	SMB2_SET_INFO = 0x0011,
	SMB2_OPLOCK_BREAK = 0x0012,
	SMB2_NCOMMANDS = 0x0013,
};

/* Name for logs; "UNKNOWN" for out-of-range values. */
const char *smb2_command_name(uint16_t cmd);

#define SMB2_FLAGS_SERVER_TO_REDIR 0x00000001u
#define SMB2_FLAGS_ASYNC_COMMAND 0x00000002u
#define SMB2_FLAGS_RELATED_OPERATIONS 0x00000004u
#define SMB2_FLAGS_SIGNED 0x00000008u
#define SMB2_FLAGS_PRIORITY_MASK 0x00000070u
#define SMB2_FLAGS_DFS_OPERATIONS 0x10000000u
#define SMB2_FLAGS_REPLAY_OPERATION 0x20000000u

/* MessageId of unsolicited oplock/lease break notifications (3.2.5.19). */
#define SMB2_UNSOLICITED_MID 0xFFFFFFFFFFFFFFFFull
/* FileId value that means "the file opened earlier in this compound" (3.2.4.1.4). */
#define SMB2_FID_RELATED 0xFFFFFFFFFFFFFFFFull

struct smb2_hdr {
	uint16_t credit_charge;
	uint32_t status; /* ChannelSequence/Reserved in requests (3.x); Status in responses */
	uint16_t command;
	uint16_t credits; /* CreditRequest / CreditResponse */
	uint32_t flags;
	uint32_t next_command;
	uint64_t message_id;
	uint64_t async_id; /* valid when flags & SMB2_FLAGS_ASYNC_COMMAND */
	uint32_t tree_id;  /* valid when not async */
	uint64_t session_id;
	uint8_t signature[16];
};

/* Append exactly 64 bytes. */
void smb2_hdr_encode(struct wbuf *w, const struct smb2_hdr *h);
/* Decode the 64-byte header at the start of p (n bytes available). -EBADMSG if short or bad magic or
 * StructureSize != 64. */
int smb2_hdr_decode(const uint8_t *p, size_t n, struct smb2_hdr *out);

/* Offset of the Signature field in the header, for signers. */
#define SMB2_HDR_SIGNATURE_OFF 48

/* 2.2.2 SMB2 ERROR Response: ErrorData view (may be empty). */
struct smb2_error_rsp {
	uint8_t error_context_count;
	const uint8_t *data;
	uint32_t data_len;
};
int smb2_error_rsp_decode(const uint8_t *msg, size_t n, struct smb2_error_rsp *out);

/* ---- The command codecs (negotiate, session setup, tree connect, create, ...) follow. ---- */

#endif
