/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * smb1.h - SMB1 ("NT LM 0.12") message codecs: the header, the parameter and data blocks with AndX
 * chaining, and the commands that log on (NEGOTIATE, SESSION_SETUP_ANDX, TREE_CONNECT_ANDX, their
 * disconnects, ECHO). MS-CIFS is the base, MS-SMB the extensions (extended security, the larger tree
 * connect response).
 *
 * Part of the wire layer, like smb2.h: encoders append a command's blocks (from WordCount on) to a wbuf,
 * decoders read a received message and
 * return views into it (valid as long as the buffer). Every decoder checks WordCount against the
 * command's fixed size, every length and offset against the bytes present, and AndX offsets for strictly
 * forward progress, so a hostile server can neither read out of bounds nor loop. Out-parameters are
 * cleared on entry and set only on success.
 * Returns: 0, -EBADMSG (malformed), -EPROTO (well-formed but not this command, not a response, or not
 * SMB1), -EINVAL (bad argument), or the writer's sticky error.
 * Request encoders append to a wbuf that holds the message from its header (offset 0 is the 0xFF): Unicode
 * strings are 2-aligned (MS-CIFS 2.2.1.1) and DataOffset / ParameterOffset fields are computed from w->len.
 * (Encoders without such offsets only need the wbuf to start at an even offset of the message.)
 * Integers on the wire are little-endian. Strings are UTF-16LE when FLAGS2_UNICODE is set (always, from
 * this client: it requires CAP_UNICODE).
 */
#ifndef SMBFUSE_SMB1_H
#define SMBFUSE_SMB1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "smbfuse/cursor.h"

#define SMB1_HDR_SIZE 32

/* Commands (MS-CIFS 2.2.2.1) */
#define SMB1_COM_CREATE_DIRECTORY 0x00
#define SMB1_COM_DELETE_DIRECTORY 0x01
#define SMB1_COM_CLOSE 0x04
#define SMB1_COM_FLUSH 0x05
#define SMB1_COM_DELETE 0x06
#define SMB1_COM_RENAME 0x07
#define SMB1_COM_LOCKING_ANDX 0x24
#define SMB1_COM_ECHO 0x2B
#define SMB1_COM_READ_ANDX 0x2E
#define SMB1_COM_WRITE_ANDX 0x2F
#define SMB1_COM_TRANSACTION 0x25
#define SMB1_COM_TRANSACTION2 0x32
#define SMB1_COM_FIND_CLOSE2 0x34
#define SMB1_COM_TREE_DISCONNECT 0x71
#define SMB1_COM_NEGOTIATE 0x72
#define SMB1_COM_SESSION_SETUP_ANDX 0x73
#define SMB1_COM_LOGOFF_ANDX 0x74
#define SMB1_COM_TREE_CONNECT_ANDX 0x75
#define SMB1_COM_NT_TRANSACT 0xA0
#define SMB1_COM_NT_CREATE_ANDX 0xA2
#define SMB1_COM_NT_RENAME 0xA5
#define SMB1_COM_NO_ANDX_COMMAND 0xFF

/* The command's name for logs and counters ("NT_CREATE_ANDX"); "UNKNOWN" for one this client never sends. */
const char *smb1_command_name(uint8_t cmd);

/* Flags and Flags2 (MS-CIFS 2.2.3.1) */
#define SMB1_FLAGS_CASE_INSENSITIVE 0x08
#define SMB1_FLAGS_CANONICALIZED_PATHS 0x10
#define SMB1_FLAGS_REPLY 0x80
#define SMB1_FLAGS2_LONG_NAMES 0x0001
#define SMB1_FLAGS2_EAS 0x0002
#define SMB1_FLAGS2_SMB_SECURITY_SIGNATURE 0x0004
#define SMB1_FLAGS2_IS_LONG_NAME 0x0040
#define SMB1_FLAGS2_REPARSE_PATH 0x0400 /* the path holds an @GMT token (MS-SMB 2.2.3.1) */
#define SMB1_FLAGS2_EXTENDED_SECURITY 0x0800
#define SMB1_FLAGS2_DFS 0x1000
#define SMB1_FLAGS2_NT_STATUS 0x4000
#define SMB1_FLAGS2_UNICODE 0x8000

/* SecurityMode of the negotiate response (MS-CIFS 2.2.4.52.2) */
#define SMB1_NEG_USER_SECURITY 0x01
#define SMB1_NEG_ENCRYPT_PASSWORDS 0x02
#define SMB1_NEG_SIGNATURES_ENABLED 0x04
#define SMB1_NEG_SIGNATURES_REQUIRED 0x08

/* Capabilities (MS-CIFS 2.2.4.52.2, MS-SMB 2.2.4.5.2) */
#define SMB1_CAP_RAW_MODE 0x00000001u
#define SMB1_CAP_MPX_MODE 0x00000002u
#define SMB1_CAP_UNICODE 0x00000004u
#define SMB1_CAP_LARGE_FILES 0x00000008u
#define SMB1_CAP_NT_SMBS 0x00000010u
#define SMB1_CAP_RPC_REMOTE_APIS 0x00000020u
#define SMB1_CAP_STATUS32 0x00000040u
#define SMB1_CAP_LEVEL_II_OPLOCKS 0x00000080u
#define SMB1_CAP_LOCK_AND_READ 0x00000100u
#define SMB1_CAP_NT_FIND 0x00000200u
#define SMB1_CAP_DFS 0x00001000u
#define SMB1_CAP_INFOLEVEL_PASSTHRU 0x00002000u
#define SMB1_CAP_LARGE_READX 0x00004000u
#define SMB1_CAP_LARGE_WRITEX 0x00008000u
#define SMB1_CAP_UNIX 0x00800000u
#define SMB1_CAP_EXTENDED_SECURITY 0x80000000u

/* The dialect this client speaks, and the SMB2 dialects a multi-protocol negotiate adds (MS-SMB2 3.2.4.2.1). */
#define SMB1_DIALECT_NT_LM "NT LM 0.12"
#define SMB1_DIALECT_SMB2_002 "SMB 2.002"
#define SMB1_DIALECT_SMB2_WILDCARD "SMB 2.???"

struct smb1_hdr {
	uint8_t command;
	uint32_t status; /* NTSTATUS (FLAGS2_NT_STATUS), else ErrorClass | ErrorCode << 16 as on the wire */
	uint8_t flags;
	uint16_t flags2;
	uint16_t pid_high;
	uint8_t signature[8]; /* SecuritySignature */
	uint16_t tid;
	uint16_t pid_low;
	uint16_t uid;
	uint16_t mid;
};

/* Append the 32-byte header. */
int smb1_hdr_encode(struct wbuf *w, const struct smb1_hdr *h);
/* Decode the header of a message (n >= 32, protocol 0xFF 'SMB'). -EPROTO for an SMB2 header. */
int smb1_hdr_decode(const uint8_t *p, size_t n, struct smb1_hdr *out);
/* The NT status of a DOS error (header status without FLAGS2_NT_STATUS: ErrorClass | ErrorCode << 16): the
 * common file errors map to their NT form, anything else to STATUS_UNSUCCESSFUL. */
uint32_t smb1_dos_status(uint32_t dos);
/* 1 for an SMB1 message, 2 for SMB2/3 (0xFE 'SMB' or a transform header), 0 otherwise. */
int smb_proto_version(const uint8_t *p, size_t n);

/*
 * One command's blocks (MS-CIFS 2.2.3.2, 2.2.3.3): WordCount and Words, ByteCount and Bytes, starting at
 * offset off of msg (32 for the first command, AndXOffset for the next). For an AndX command, andx_command
 * and andx_offset are its AndX header (MS-CIFS 2.2.4.x: the first two words); andx_offset is checked to
 * point past this block and inside the message, else -EBADMSG.
 */
struct smb1_block {
	uint8_t word_count;
	const uint8_t *words; /* 2 * word_count bytes */
	uint16_t byte_count;
	const uint8_t *bytes;
	size_t bytes_off;     /* offset of bytes from the start of the message, for alignment */
	uint8_t andx_command; /* SMB1_COM_NO_ANDX_COMMAND when there is none */
	uint16_t andx_offset;
};
int smb1_block_decode(const uint8_t *msg, size_t n, size_t off, bool andx, struct smb1_block *out);
/*
 * Chain another command after the AndX block whose WordCount is at block_off of w (MS-CIFS 2.2.3.4): pad w to
 * 4 bytes and point that block's AndXCommand and AndXOffset at w->len, where the caller then encodes the next
 * command's blocks. -EINVAL if there is no AndX block at block_off.
 */
int smb1_andx_link(struct wbuf *w, size_t block_off, uint8_t next_command);
/* Emit WordCount and reserve words; returns the offset of the first word in w (for patching). */
size_t smb1_words_begin(struct wbuf *w, uint8_t word_count);
/* Reserve ByteCount; returns its offset. smb1_bytes_end patches it with the bytes written since. */
size_t smb1_bytes_begin(struct wbuf *w);
int smb1_bytes_end(struct wbuf *w, size_t bcc_off);

/* NEGOTIATE (MS-CIFS 2.2.4.52.1): the dialect strings in order; the response's index refers to them. */
int smb1_negotiate_req_encode(struct wbuf *w, const char *const *dialects, int n);

struct smb1_negotiate_rsp {
	uint16_t dialect_index; /* 0xFFFF: none of ours */
	uint8_t security_mode;	/* SMB1_NEG_* */
	uint16_t max_mpx_count;
	uint16_t max_vcs;
	uint32_t max_buffer_size;
	uint32_t max_raw_size;
	uint32_t session_key;
	uint32_t capabilities;
	uint64_t system_time;
	int16_t server_time_zone;
	bool extended_security;	  /* FLAGS2_EXTENDED_SECURITY and CAP_EXTENDED_SECURITY: guid and blob */
	const uint8_t *challenge; /* non-extended: the 8-byte challenge (MS-CIFS 2.2.4.52.2) */
	uint8_t challenge_len;
	const uint8_t *server_guid; /* extended: 16 bytes (MS-SMB 2.2.4.5.2.1) */
	const uint8_t *security_blob;
	size_t security_blob_len;
	const uint8_t *domain_name; /* non-extended, UTF-16LE without its terminator, may be empty */
	size_t domain_name_len;
};
int smb1_negotiate_rsp_decode(const uint8_t *msg, size_t n, struct smb1_negotiate_rsp *out);

/*
 * The multi-protocol negotiate (MS-SMB2 3.2.4.2.1, 3.2.5.2): one SMB1 NEGOTIATE offering NT LM 0.12,
 * SMB 2.002 and SMB 2.??? that lets the server say which family it speaks. The request is a whole message
 * (header included, MID 0). The reply is an SMB1 NEGOTIATE response choosing NT LM 0.12, or an SMB2
 * NEGOTIATE response (MessageId 0) with dialect 0x0202 (SMB 2.0.2, negotiated already) or 0x02FF (send an
 * SMB2 NEGOTIATE next, as MessageId 1). credits is that reply's CreditResponse (0 for SMB1).
 * -EPROTO for a reply that chose none of ours or carries an error status; -EBADMSG if malformed.
 */
enum smb_mp_choice {
	SMB_MP_SMB1 = 1,
	SMB_MP_SMB2_002,      /* the reply is the whole SMB2 negotiate */
	SMB_MP_SMB2_WILDCARD, /* negotiate again in SMB2 */
};
int smb_mp_negotiate_req_encode(struct wbuf *w);
int smb_mp_negotiate_rsp_decode(const uint8_t *msg, size_t n, enum smb_mp_choice *choice, uint16_t *credits);

/* SESSION_SETUP_ANDX. Extended security (MS-SMB 2.2.4.6.1) when blob is set, else the NT LM 0.12 form
 * with case-insensitive (OEM) and case-sensitive (Unicode) responses (MS-CIFS 2.2.4.53.1). */
struct smb1_sess_setup_req {
	uint16_t max_buffer_size;
	uint16_t max_mpx_count;
	uint16_t vc_number;
	uint32_t session_key;
	uint32_t capabilities;
	const uint8_t *blob; /* extended security: the SPNEGO token */
	size_t blob_len;
	const uint8_t *oem_password; /* LM / LMv2 response */
	size_t oem_password_len;
	const uint8_t *unicode_password; /* NT / NTLMv2 response */
	size_t unicode_password_len;
	const char *account; /* UTF-8 */
	const char *domain;
};
int smb1_sess_setup_req_encode(struct wbuf *w, const struct smb1_sess_setup_req *in);

struct smb1_sess_setup_rsp {
	uint16_t action; /* bit 0: logged on as guest */
	const uint8_t *blob;
	size_t blob_len;
};
/* Both forms (WordCount 4 with a blob, or 3); WordCount 0 is an error response: -EPROTO. */
int smb1_sess_setup_rsp_decode(const uint8_t *msg, size_t n, struct smb1_sess_setup_rsp *out);

/* TREE_CONNECT_ANDX (MS-CIFS 2.2.4.55, MS-SMB 2.2.4.7): path is "\\\\server\\share" (UTF-8). */
#define SMB1_TREE_CONNECT_EXTENDED_SIGNATURES 0x0004
#define SMB1_TREE_CONNECT_EXTENDED_RESPONSE 0x0008
#define SMB1_SHARE_IS_IN_DFS 0x0002 /* OptionalSupport: the share is in a DFS namespace (MS-CIFS 2.2.4.55.2) */
int smb1_tree_connect_req_encode(struct wbuf *w, uint16_t flags, const char *path);
struct smb1_tree_connect_rsp {
	uint16_t optional_support;
	uint32_t maximal_access; /* 0 when the server sent the short (MS-CIFS) response */
	bool is_disk;		 /* Service is "A:" */
};
int smb1_tree_connect_rsp_decode(const uint8_t *msg, size_t n, struct smb1_tree_connect_rsp *out);

/*
 * A SESSION_SETUP_ANDX response with a chained TREE_CONNECT_ANDX (MS-CIFS 2.2.4.53.2, 3.3.5.2.2). The server
 * runs a chain until a command fails, and the header's status is then that command's error, so:
 * -EPROTO when the session setup itself failed (WordCount 0); else ss is set, and *tc_state is SMB1_CHAIN_DONE
 * (tc set; the TID is in the header), SMB1_CHAIN_FAILED (the header's status is the tree connect's error) or
 * SMB1_CHAIN_NOT_RUN (the server stopped after the session setup, e.g. STATUS_MORE_PROCESSING_REQUIRED).
 */
#define SMB1_CHAIN_NOT_RUN 0
#define SMB1_CHAIN_FAILED 1
#define SMB1_CHAIN_DONE 2
int smb1_sess_setup_tcon_rsp_decode(const uint8_t *msg, size_t n, struct smb1_sess_setup_rsp *ss,
				    struct smb1_tree_connect_rsp *tc, int *tc_state);

/* Commands with no parameters and no data either way (TREE_DISCONNECT, plain responses). */
int smb1_empty_req_encode(struct wbuf *w);
int smb1_empty_rsp_decode(const uint8_t *msg, size_t n, uint8_t command);
/* LOGOFF_ANDX (MS-CIFS 2.2.4.54): an AndX block with nothing else. */
int smb1_logoff_req_encode(struct wbuf *w);
/* ECHO (MS-CIFS 2.2.4.39): one echo of data. */
int smb1_echo_req_encode(struct wbuf *w, uint16_t count, const uint8_t *data, size_t len);
int smb1_echo_rsp_decode(const uint8_t *msg, size_t n, const uint8_t **data, size_t *len);

/* ---- files (smb1_file.c) ---- */

/* NT_CREATE_ANDX (MS-CIFS 2.2.4.64; the extended response of MS-SMB 2.2.4.9). Access, share, disposition
 * and options take the MS-SMB2/MS-FSCC values (smb2.h), which SMB1 shares. */
#define SMB1_NT_CREATE_REQUEST_OPLOCK 0x02
#define SMB1_NT_CREATE_REQUEST_OPBATCH 0x04
#define SMB1_NT_CREATE_OPEN_TARGET_DIR 0x08
#define SMB1_NT_CREATE_REQUEST_EXTENDED_RESPONSE 0x10
struct smb1_nt_create_req {
	uint32_t flags;
	uint32_t desired_access;
	uint32_t file_attributes;
	uint32_t share_access;
	uint32_t create_disposition;
	uint32_t create_options;
	uint32_t impersonation; /* 2: SECURITY_IMPERSONATION */
	const char *path;	/* UTF-8, '\'-separated, relative to the share; "" for its root */
};
int smb1_nt_create_req_encode(struct wbuf *w, const struct smb1_nt_create_req *in);
struct smb1_nt_create_rsp {
	uint8_t oplock_level;
	uint16_t fid;
	uint32_t create_action;
	uint64_t creation_time, last_access_time, last_write_time, change_time; /* FILETIME */
	uint32_t attributes;
	uint64_t allocation_size, end_of_file;
	uint16_t resource_type;
	bool directory;
	uint64_t file_id; /* extended response only, else 0 */
};
int smb1_nt_create_rsp_decode(const uint8_t *msg, size_t n, struct smb1_nt_create_rsp *out);

/* READ_ANDX (MS-CIFS 2.2.4.42, MS-SMB 2.2.4.2 for reads over 64 KiB with CAP_LARGE_READX). */
int smb1_read_req_encode(struct wbuf *w, uint16_t fid, uint64_t offset, uint32_t count);
/* data points into msg at DataOffset (from the header), checked to lie inside it. */
int smb1_read_rsp_decode(const uint8_t *msg, size_t n, const uint8_t **data, uint32_t *len);

/* WRITE_ANDX (MS-CIFS 2.2.4.43, MS-SMB 2.2.4.3). Only the words and the pad are encoded; the caller sends
 * len bytes of data right after them (DataOffset says where, counted from the header). */
int smb1_write_req_encode(struct wbuf *w, uint16_t fid, uint64_t offset, uint32_t len, bool write_through);
int smb1_write_rsp_decode(const uint8_t *msg, size_t n, uint32_t *count);

/* CLOSE (MS-CIFS 2.2.4.5; LastTimeModified left to the server), FLUSH (2.2.4.6). */
int smb1_close_req_encode(struct wbuf *w, uint16_t fid);
int smb1_flush_req_encode(struct wbuf *w, uint16_t fid);

/* Commands on one path: DELETE (MS-CIFS 2.2.4.7, with SearchAttributes), CREATE_DIRECTORY (2.2.4.1),
 * DELETE_DIRECTORY (2.2.4.2). */
#define SMB1_ATTR_SEARCH_HIDDEN_SYSTEM 0x0006
int smb1_path_req_encode(struct wbuf *w, uint8_t command, const char *path);
/* RENAME (MS-CIFS 2.2.4.8): fails if to exists; replacing goes through SET_FILE_INFORMATION. */
int smb1_rename_req_encode(struct wbuf *w, const char *from, const char *to);
/* NT_RENAME (MS-CIFS 2.2.4.66): level SMB1_NT_RENAME_SET_LINK_INFO makes to a hard link of from. */
#define SMB1_NT_RENAME_SET_LINK_INFO 0x0103
int smb1_nt_rename_req_encode(struct wbuf *w, uint16_t level, const char *from, const char *to);

/* OplockLevel of the NT_CREATE_ANDX response (MS-CIFS 2.2.4.64.2). */
#define SMB1_OPLOCK_NONE 0
#define SMB1_OPLOCK_EXCLUSIVE 1
#define SMB1_OPLOCK_BATCH 2
#define SMB1_OPLOCK_LEVEL_II 3
/* NewOplockLevel of a break and its acknowledgement (MS-CIFS 2.2.4.32.1). */
#define SMB1_BREAK_TO_NONE 0
#define SMB1_BREAK_TO_LEVEL_II 1

/* LOCKING_ANDX (MS-CIFS 2.2.4.32) as an oplock break acknowledgement (no ranges). */
#define SMB1_LOCKING_OPLOCK_RELEASE 0x02
int smb1_oplock_ack_encode(struct wbuf *w, uint16_t fid, uint8_t new_level);
/* LOCKING_ANDX with one 64-bit range (MS-CIFS 2.2.4.32.1, LOCKING_ANDX_RANGE64): a lock (shared with
 * SMB1_LOCKING_SHARED), an unlock, or with SMB1_LOCKING_CANCEL the cancel of a lock still waiting for that
 * range. timeout_ms: how long the server may wait for a conflicting lock to go (0: fail at once,
 * 0xFFFFFFFF: forever). pid must be the same for a lock and its unlock. */
#define SMB1_LOCKING_SHARED 0x01
#define SMB1_LOCKING_CANCEL 0x08
#define SMB1_LOCKING_LARGE_FILES 0x10
struct smb1_lock_req {
	uint16_t fid;
	uint8_t type; /* SMB1_LOCKING_SHARED, SMB1_LOCKING_CANCEL; LARGE_FILES is always added */
	bool unlock;
	uint32_t timeout_ms;
	uint16_t pid;
	uint64_t off, len;
};
int smb1_lock_req_encode(struct wbuf *w, const struct smb1_lock_req *in);
/* An oplock break the server sends as a LOCKING_ANDX *request* (MS-CIFS 3.2.5.42): its FID and level. */
int smb1_oplock_break_decode(const uint8_t *msg, size_t n, uint16_t *fid, uint8_t *level);

/* ---- NT_TRANSACT (smb1_nt_trans.c, MS-CIFS 2.2.4.62) ---- */

/* NT_TRANSACT_NOTIFY_CHANGE (2.2.7.4) on directory fid: filter is MS-FSCC's CompletionFilter
 * (FILE_NOTIFY_CHANGE_*, smb2.h), tree watches the whole subtree, max_param bounds the changes returned. */
int smb1_notify_req_encode(struct wbuf *w, uint16_t fid, uint32_t filter, bool tree, uint32_t max_param);
/* NT_TRANSACT_QUERY_SECURITY_DESC (2.2.7.6) of the secinfo parts (SECURITY_INFORMATION, MS-DTYP 2.4.7) of
 * fid: the answer's data is the self-relative descriptor, at most max_data bytes; a larger one is refused
 * with STATUS_BUFFER_TOO_SMALL and the size it needs in the 4-byte parameter LengthNeeded. */
int smb1_query_sd_req_encode(struct wbuf *w, uint16_t fid, uint32_t secinfo, uint32_t max_data);
/* NT_TRANSACT_IOCTL (2.2.7.2): FSCTL ctl_code on fid without input, at most max_data bytes of output. */
int smb1_fsctl_req_encode(struct wbuf *w, uint16_t fid, uint32_t ctl_code, uint32_t max_data);
/* NT_TRANSACT_SET_SECURITY_DESC (2.2.7.3): the secinfo parts of the len-byte descriptor sd onto fid, in one
 * message (the caller keeps it within the server's MaxBufferSize). */
int smb1_set_sd_req_encode(struct wbuf *w, uint16_t fid, uint32_t secinfo, const void *sd, uint32_t len);
struct smb1_nt_trans_rsp {
	uint32_t total_param_count, total_data_count;
	const uint8_t *params; /* this piece's parameters, at params_disp of the whole */
	uint32_t params_len, params_disp;
	const uint8_t *data;
	uint32_t data_len, data_disp;
};
/* One response piece (a NOTIFY_CHANGE answer's parameters are FILE_NOTIFY_INFORMATION entries). */
int smb1_nt_trans_rsp_decode(const uint8_t *msg, size_t n, struct smb1_nt_trans_rsp *out);

/* ---- TRANS2 (smb1_trans2.c, MS-CIFS 2.2.4.46) ---- */
#define SMB1_TRANS2_FIND_FIRST2 0x0001
#define SMB1_TRANS2_FIND_NEXT2 0x0002
#define SMB1_TRANS2_QUERY_FS_INFORMATION 0x0003
#define SMB1_TRANS2_QUERY_PATH_INFORMATION 0x0005
#define SMB1_TRANS2_SET_PATH_INFORMATION 0x0006
#define SMB1_TRANS2_QUERY_FILE_INFORMATION 0x0007
#define SMB1_TRANS2_SET_FILE_INFORMATION 0x0008
#define SMB1_TRANS2_GET_DFS_REFERRAL 0x0010
/* With CAP_INFOLEVEL_PASSTHRU an MS-FSCC class c is asked for as level c + 1000 (MS-SMB 2.2.2.3.5), so the
 * answers decode with the MS-FSCC decoders of smb2.h. */
#define SMB1_INFO_PASSTHROUGH 1000
#define SMB1_FIND_FILE_BOTH_DIRECTORY_INFO 0x0104 /* MS-CIFS 2.2.8.1.7 = FileBothDirectoryInformation */
#define SMB1_FIND_CLOSE_AT_EOS 0x0002
#define SMB1_FIND_RETURN_RESUME_KEYS 0x0004
#define SMB1_FIND_CONTINUE_FROM_LAST 0x0008

struct smb1_trans2_req {
	uint16_t subcommand;
	const uint8_t *params;
	uint16_t params_len;
	const uint8_t *data;
	uint16_t data_len;
	uint16_t max_param_count;
	uint16_t max_data_count;
};
/* The whole request, parameters and data inline (4-aligned from the header). */
int smb1_trans2_req_encode(struct wbuf *w, const struct smb1_trans2_req *in);
struct smb1_trans2_rsp {
	uint16_t total_param_count, total_data_count;
	const uint8_t *params; /* this piece's parameters, at params_disp of the whole */
	uint16_t params_len, params_disp;
	const uint8_t *data;
	uint16_t data_len, data_disp;
};
/* One response piece; a multi-piece answer (total > this piece) is reassembled by the caller. */
int smb1_trans2_rsp_decode(const uint8_t *msg, size_t n, struct smb1_trans2_rsp *out);
/* SMB_COM_TRANSACTION TRANS_TRANSACT_NMPIPE (MS-CIFS 2.2.5.6) on the named pipe fid: write the len bytes of
 * pdu and read one message of at most max_data bytes back, in one exchange (Name \PIPE\). Its
 * response has TRANS2's layout: smb1_trans_rsp_decode, the message in data. */
int smb1_transact_nmpipe_req_encode(struct wbuf *w, uint16_t fid, const void *pdu, uint16_t len, uint16_t max_data);
int smb1_trans_rsp_decode(const uint8_t *msg, size_t n, struct smb1_trans2_rsp *out);

/* TRANS2_GET_DFS_REFERRAL (smb1_dfs.c, MS-CIFS 2.2.6.16) for path ("\\server\\share\\...", UTF-8) at
 * MaxReferralLevel max_level, with SMB_FLAGS2_DFS; errors as dfs_referral_req_encode's. The answer's data is
 * a RESP_GET_DFS_REFERRAL (dfs.h), a view into msg; an answer in pieces or without data is -EBADMSG. */
int smb1_dfs_referral_req_encode(struct wbuf *w, uint16_t max_level, const char *path, uint16_t max_data);
int smb1_dfs_referral_rsp_decode(const uint8_t *msg, size_t n, const uint8_t **data, size_t *len);

/* TRANS2 parameter blocks (MS-CIFS 2.2.6.x); pattern/path are UTF-8 and encoded UTF-16LE. */
int smb1_find_first2_params_encode(struct wbuf *w, uint16_t search_attrs, uint16_t count, uint16_t flags,
				   uint16_t level, const char *pattern);
int smb1_find_next2_params_encode(struct wbuf *w, uint16_t sid, uint16_t count, uint16_t level, uint16_t flags,
				  const char *last_name);
struct smb1_find_rsp_params {
	uint16_t sid; /* FIND_FIRST2 only */
	uint16_t search_count;
	bool end_of_search;
	uint16_t last_name_offset;
};
int smb1_find_rsp_params_decode(const uint8_t *p, size_t n, bool first, struct smb1_find_rsp_params *out);
/* QUERY_PATH_INFORMATION / SET_PATH_INFORMATION parameters: level, reserved, path. */
int smb1_path_info_params_encode(struct wbuf *w, uint16_t level, const char *path);
/* QUERY_FILE_INFORMATION / SET_FILE_INFORMATION parameters: fid, level (and reserved for SET). */
int smb1_file_info_params_encode(struct wbuf *w, uint16_t fid, uint16_t level, bool set);

#endif
