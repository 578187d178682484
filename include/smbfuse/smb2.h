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
/* "2.0.2", "2.1", "3.0", "3.0.2", "3.1.1"; "unknown" otherwise. */
const char *smb2_dialect_name(uint16_t dialect);

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

/*
 * Conventions below: sizes are in bytes; every const pointer in a *_req is borrowed for the duration of the
 * encode call only; every pointer in a *_rsp is a view into the decoded message. Info-class decoders
 * (smb2_file_*_decode, smb2_fs_*_decode) take the output buffer of a QUERY_INFO response, not a message.
 */

/* 2.2.3 NEGOTIATE: dialects, capabilities, security mode */
#define SMB2_DIALECT_202 0x0202
#define SMB2_DIALECT_210 0x0210
#define SMB2_DIALECT_300 0x0300
#define SMB2_DIALECT_302 0x0302
#define SMB2_DIALECT_311 0x0311
#define SMB2_DIALECT_WILDCARD 0x02FF /* reply to a multi-protocol SMB1 negotiate */

#define SMB2_GLOBAL_CAP_DFS 0x00000001u
#define SMB2_GLOBAL_CAP_LEASING 0x00000002u
#define SMB2_GLOBAL_CAP_LARGE_MTU 0x00000004u
#define SMB2_GLOBAL_CAP_MULTI_CHANNEL 0x00000008u
#define SMB2_GLOBAL_CAP_PERSISTENT_HANDLES 0x00000010u
#define SMB2_GLOBAL_CAP_DIRECTORY_LEASING 0x00000020u
#define SMB2_GLOBAL_CAP_ENCRYPTION 0x00000040u
#define SMB2_GLOBAL_CAP_NOTIFICATIONS 0x00000080u

#define SMB2_NEGOTIATE_SIGNING_ENABLED 0x0001
#define SMB2_NEGOTIATE_SIGNING_REQUIRED 0x0002

/* 2.2.3.1 negotiate contexts (3.1.1) */
#define SMB2_PREAUTH_INTEGRITY_CAPABILITIES 0x0001
#define SMB2_ENCRYPTION_CAPABILITIES 0x0002
#define SMB2_COMPRESSION_CAPABILITIES 0x0003
#define SMB2_NETNAME_NEGOTIATE_CONTEXT_ID 0x0005
#define SMB2_TRANSPORT_CAPABILITIES 0x0006
#define SMB2_RDMA_TRANSFORM_CAPABILITIES 0x0007
#define SMB2_SIGNING_CAPABILITIES 0x0008
#define SMB2_POSIX_EXTENSIONS_AVAILABLE 0x0100 /* Samba wiki "SMB3 POSIX Extensions"; data: smb2_posix_tag */

#define SMB2_PREAUTH_INTEGRITY_SHA512 0x0001
#define SMB2_ENCRYPTION_AES128_CCM 0x0001
#define SMB2_ENCRYPTION_AES128_GCM 0x0002
#define SMB2_ENCRYPTION_AES256_CCM 0x0003
#define SMB2_ENCRYPTION_AES256_GCM 0x0004
#define SMB2_SIGNING_HMAC_SHA256 0x0000
#define SMB2_SIGNING_AES_CMAC 0x0001
#define SMB2_SIGNING_AES_GMAC 0x0002

#define SMB2_PREAUTH_SALT_SIZE 32
#define SMB2_MAX_DIALECTS 16
#define SMB2_MAX_NEG_ALGOS 8

/*
 * 2.2.3 NEGOTIATE Request. Dialects are sent in the given order. The three 3.1.1 contexts (preauth with
 * SHA-512 and salt, encryption when nciphers > 0, signing when nsign_algos > 0) are sent only when
 * SMB2_DIALECT_311 is among the dialects. -EINVAL for 0 or more than SMB2_MAX_DIALECTS dialects.
 */
struct smb2_negotiate_req {
	uint16_t security_mode;
	uint32_t capabilities;
	uint8_t client_guid[16];
	const uint16_t *dialects;
	int ndialects;
	/* 3.1.1 contexts, sent only when 0x0311 is offered: */
	uint8_t salt[32];
	const uint16_t *ciphers;
	int nciphers;
	const uint16_t *sign_algos;
	int nsign_algos;
	bool posix; /* send SMB2_POSIX_EXTENSIONS_AVAILABLE */
};
int smb2_negotiate_req_encode(struct wbuf *w, const struct smb2_negotiate_req *in);

/*
 * 2.2.4 NEGOTIATE Response. For dialect 3.1.1 the contexts are parsed: a response without the preauth
 * context, or with a context naming more than one algorithm, is -EPROTO. cipher 0 = no encryption context.
 */
struct smb2_negotiate_rsp {
	uint16_t security_mode;
	uint16_t dialect; /* DialectRevision */
	uint8_t server_guid[16];
	uint32_t capabilities;
	uint32_t max_transact_size, max_read_size, max_write_size;
	uint64_t system_time;	    /* FILETIME */
	uint64_t server_start_time; /* FILETIME, 0 in practice */
	const uint8_t *security_blob;
	uint16_t security_blob_len;
	uint16_t negotiate_context_count;
	uint16_t preauth_hash_id; /* SMB2_PREAUTH_INTEGRITY_SHA512 or 0 before 3.1.1 */
	const uint8_t *preauth_salt;
	uint16_t preauth_salt_len;
	uint16_t cipher; /* SMB2_ENCRYPTION_*; 0 if none was chosen */
	uint16_t sign_algo;
	bool has_sign_algo;
	bool posix; /* the server offered SMB2_POSIX_EXTENSIONS_AVAILABLE with the POSIX tag */
};
int smb2_negotiate_rsp_decode(const uint8_t *msg, size_t n, struct smb2_negotiate_rsp *out);

/* 2.2.5 / 2.2.6 SESSION_SETUP */
#define SMB2_SESSION_FLAG_BINDING 0x01 /* request Flags */
#define SMB2_SESSION_FLAG_IS_GUEST 0x0001
#define SMB2_SESSION_FLAG_IS_NULL 0x0002
#define SMB2_SESSION_FLAG_ENCRYPT_DATA 0x0004

struct smb2_sess_setup_req {
	uint8_t flags;
	uint8_t security_mode;
	uint32_t capabilities;
	uint64_t previous_session_id;
	const uint8_t *blob;
	uint16_t blob_len;
};
int smb2_sess_setup_req_encode(struct wbuf *w, const struct smb2_sess_setup_req *in);

struct smb2_sess_setup_rsp {
	uint16_t session_flags;
	const uint8_t *blob;
	uint16_t blob_len;
};
/* Also the body of a STATUS_MORE_PROCESSING_REQUIRED reply. */
int smb2_sess_setup_rsp_decode(const uint8_t *msg, size_t n, struct smb2_sess_setup_rsp *out);

/* 2.2.7 / 2.2.8 LOGOFF */
int smb2_logoff_req_encode(struct wbuf *w);
int smb2_logoff_rsp_decode(const uint8_t *msg, size_t n);

/* 2.2.9 / 2.2.10 TREE_CONNECT, 2.2.11 / 2.2.12 TREE_DISCONNECT */
#define SMB2_TREE_CONNECT_FLAG_CLUSTER_RECONNECT 0x0001
#define SMB2_TREE_CONNECT_FLAG_REDIRECT_TO_OWNER 0x0002
#define SMB2_TREE_CONNECT_FLAG_EXTENSION_PRESENT 0x0004

#define SMB2_SHARE_TYPE_DISK 0x01
#define SMB2_SHARE_TYPE_PIPE 0x02
#define SMB2_SHARE_TYPE_PRINT 0x03

#define SMB2_SHAREFLAG_MANUAL_CACHING 0x00000000u
#define SMB2_SHAREFLAG_AUTO_CACHING 0x00000010u
#define SMB2_SHAREFLAG_VDO_CACHING 0x00000020u
#define SMB2_SHAREFLAG_NO_CACHING 0x00000030u
#define SMB2_SHAREFLAG_CACHING_MASK 0x00000030u
#define SMB2_SHAREFLAG_DFS 0x00000001u
#define SMB2_SHAREFLAG_DFS_ROOT 0x00000002u
#define SMB2_SHAREFLAG_RESTRICT_EXCLUSIVE_OPENS 0x00000100u
#define SMB2_SHAREFLAG_FORCE_SHARED_DELETE 0x00000200u
#define SMB2_SHAREFLAG_ALLOW_NAMESPACE_CACHING 0x00000400u
#define SMB2_SHAREFLAG_ACCESS_BASED_DIRECTORY_ENUM 0x00000800u
#define SMB2_SHAREFLAG_FORCE_LEVELII_OPLOCK 0x00001000u
#define SMB2_SHAREFLAG_ENABLE_HASH_V1 0x00002000u
#define SMB2_SHAREFLAG_ENABLE_HASH_V2 0x00004000u
#define SMB2_SHAREFLAG_ENCRYPT_DATA 0x00008000u
#define SMB2_SHAREFLAG_IDENTITY_REMOTING 0x00040000u
#define SMB2_SHAREFLAG_COMPRESS_DATA 0x00100000u

#define SMB2_SHARE_CAP_DFS 0x00000008u
#define SMB2_SHARE_CAP_CONTINUOUS_AVAILABILITY 0x00000010u
#define SMB2_SHARE_CAP_SCALEOUT 0x00000020u
#define SMB2_SHARE_CAP_CLUSTER 0x00000040u
#define SMB2_SHARE_CAP_ASYMMETRIC 0x00000080u
#define SMB2_SHARE_CAP_REDIRECT_TO_OWNER 0x00000100u

struct smb2_tree_connect_req {
	uint16_t flags;
	const char *path; /* UTF-8 "\\\\server\\share", NUL-terminated; encoder converts to UTF-16LE */
};
int smb2_tree_connect_req_encode(struct wbuf *w, const struct smb2_tree_connect_req *in);

struct smb2_tree_connect_rsp {
	uint8_t share_type;
	uint32_t share_flags;
	uint32_t capabilities;
	uint32_t maximal_access;
};
int smb2_tree_connect_rsp_decode(const uint8_t *msg, size_t n, struct smb2_tree_connect_rsp *out);
int smb2_tree_disconnect_req_encode(struct wbuf *w);
int smb2_tree_disconnect_rsp_decode(const uint8_t *msg, size_t n);

/* 2.2.13 CREATE: access masks (2.2.13.1), attributes (MS-FSCC 2.6), share access, dispositions, options */
#define FILE_READ_DATA 0x00000001u
#define FILE_LIST_DIRECTORY 0x00000001u
#define FILE_WRITE_DATA 0x00000002u
#define FILE_ADD_FILE 0x00000002u
#define FILE_APPEND_DATA 0x00000004u
#define FILE_ADD_SUBDIRECTORY 0x00000004u
#define FILE_READ_EA 0x00000008u
#define FILE_WRITE_EA 0x00000010u
#define FILE_EXECUTE 0x00000020u
#define FILE_TRAVERSE 0x00000020u
#define FILE_DELETE_CHILD 0x00000040u
#define FILE_READ_ATTRIBUTES 0x00000080u
#define FILE_WRITE_ATTRIBUTES 0x00000100u
#define DELETE 0x00010000u
#define READ_CONTROL 0x00020000u
#define WRITE_DAC 0x00040000u
#define WRITE_OWNER 0x00080000u
#define SYNCHRONIZE 0x00100000u
#define ACCESS_SYSTEM_SECURITY 0x01000000u
#define MAXIMUM_ALLOWED 0x02000000u
#define GENERIC_ALL 0x10000000u
#define GENERIC_EXECUTE 0x20000000u
#define GENERIC_WRITE 0x40000000u
#define GENERIC_READ 0x80000000u

#define FILE_ATTRIBUTE_READONLY 0x00000001u
#define FILE_ATTRIBUTE_HIDDEN 0x00000002u
#define FILE_ATTRIBUTE_SYSTEM 0x00000004u
#define FILE_ATTRIBUTE_DIRECTORY 0x00000010u
#define FILE_ATTRIBUTE_ARCHIVE 0x00000020u
#define FILE_ATTRIBUTE_NORMAL 0x00000080u
#define FILE_ATTRIBUTE_TEMPORARY 0x00000100u
#define FILE_ATTRIBUTE_SPARSE_FILE 0x00000200u
#define FILE_ATTRIBUTE_REPARSE_POINT 0x00000400u
#define FILE_ATTRIBUTE_COMPRESSED 0x00000800u
#define FILE_ATTRIBUTE_OFFLINE 0x00001000u
#define FILE_ATTRIBUTE_NOT_CONTENT_INDEXED 0x00002000u
#define FILE_ATTRIBUTE_ENCRYPTED 0x00004000u
#define FILE_ATTRIBUTE_INTEGRITY_STREAM 0x00008000u
#define FILE_ATTRIBUTE_NO_SCRUB_DATA 0x00020000u

#define FILE_SHARE_READ 0x00000001u
#define FILE_SHARE_WRITE 0x00000002u
#define FILE_SHARE_DELETE 0x00000004u

#define FILE_SUPERSEDE 0x00000000u
#define FILE_OPEN 0x00000001u
#define FILE_CREATE 0x00000002u
#define FILE_OPEN_IF 0x00000003u
#define FILE_OVERWRITE 0x00000004u
#define FILE_OVERWRITE_IF 0x00000005u

#define FILE_DIRECTORY_FILE 0x00000001u
#define FILE_WRITE_THROUGH 0x00000002u
#define FILE_SEQUENTIAL_ONLY 0x00000004u
#define FILE_NO_INTERMEDIATE_BUFFERING 0x00000008u
#define FILE_SYNCHRONOUS_IO_ALERT 0x00000010u
#define FILE_SYNCHRONOUS_IO_NONALERT 0x00000020u
#define FILE_NON_DIRECTORY_FILE 0x00000040u
#define FILE_COMPLETE_IF_OPLOCKED 0x00000100u
#define FILE_NO_EA_KNOWLEDGE 0x00000200u
#define FILE_OPEN_REMOTE_INSTANCE 0x00000400u
#define FILE_RANDOM_ACCESS 0x00000800u
#define FILE_DELETE_ON_CLOSE 0x00001000u
#define FILE_OPEN_BY_FILE_ID 0x00002000u
#define FILE_OPEN_FOR_BACKUP_INTENT 0x00004000u
#define FILE_NO_COMPRESSION 0x00008000u
#define FILE_OPEN_REQUIRING_OPLOCK 0x00010000u
#define FILE_DISALLOW_EXCLUSIVE 0x00020000u
#define FILE_RESERVE_OPFILTER 0x00100000u
#define FILE_OPEN_REPARSE_POINT 0x00200000u
#define FILE_OPEN_NO_RECALL 0x00400000u
#define FILE_OPEN_FOR_FREE_SPACE_QUERY 0x00800000u

#define SMB2_IMPERSONATION_ANONYMOUS 0x00000000u
#define SMB2_IMPERSONATION_IDENTIFICATION 0x00000001u
#define SMB2_IMPERSONATION_IMPERSONATION 0x00000002u
#define SMB2_IMPERSONATION_DELEGATE 0x00000003u

/* CreateAction */
#define FILE_SUPERSEDED 0x00000000u
#define FILE_OPENED 0x00000001u
#define FILE_CREATED 0x00000002u
#define FILE_OVERWRITTEN 0x00000003u

#define SMB2_CREATE_FLAG_REPARSEPOINT 0x01 /* response Flags, 3.1.1 */

#define SMB2_OPLOCK_LEVEL_NONE 0x00
#define SMB2_OPLOCK_LEVEL_II 0x01
#define SMB2_OPLOCK_LEVEL_EXCLUSIVE 0x08
#define SMB2_OPLOCK_LEVEL_BATCH 0x09
#define SMB2_OPLOCK_LEVEL_LEASE 0xFF

#define SMB2_LEASE_NONE 0x00000000u
#define SMB2_LEASE_READ_CACHING 0x00000001u
#define SMB2_LEASE_HANDLE_CACHING 0x00000002u
#define SMB2_LEASE_WRITE_CACHING 0x00000004u
#define SMB2_LEASE_FLAG_BREAK_IN_PROGRESS 0x00000002u /* lease response Flags */
#define SMB2_LEASE_FLAG_PARENT_LEASE_KEY_SET 0x00000004u

struct smb2_fid {
	uint64_t persistent;
	uint64_t volatile_;
};

struct smb2_create_req {
	uint8_t oplock_level;	 /* RequestedOplockLevel */
	uint32_t impersonation; /* ImpersonationLevel */
	uint32_t desired_access;
	uint32_t file_attributes;
	uint32_t share_access;
	uint32_t disposition; /* CreateDisposition */
	uint32_t options;     /* CreateOptions */
	const char *name;     /* UTF-8, already with '\\' separators, no leading '\\'; "" = share root */
	size_t name_len;
	const uint8_t *contexts; /* pre-built chain (smb2_create_ctx_add), or NULL */
	uint32_t contexts_len;
};
/*
 * The name buffer is always present: an empty name is sent as NameLength 0 with NameOffset at the (zeroed)
 * buffer, as Windows and the Linux client do and as Samba and Windows servers expect.
 */
int smb2_create_req_encode(struct wbuf *w, const struct smb2_create_req *in);

struct smb2_create_rsp {
	uint8_t oplock_level;
	uint8_t flags;
	uint32_t create_action;
	uint64_t creation_time, last_access_time, last_write_time, change_time, allocation_size, end_of_file;
	uint32_t file_attributes;
	struct smb2_fid fid;
	const uint8_t *contexts; /* walk with smb2_create_ctx_find */
	uint32_t contexts_len;
};
int smb2_create_rsp_decode(const uint8_t *msg, size_t n, struct smb2_create_rsp *out);

/* 2.2.13.2 create contexts */
#define SMB2_CREATE_EA_BUFFER "ExtA"
#define SMB2_CREATE_SD_BUFFER "SecD"
#define SMB2_CREATE_DURABLE_HANDLE_REQUEST "DHnQ"
#define SMB2_CREATE_DURABLE_HANDLE_RECONNECT "DHnC"
#define SMB2_CREATE_ALLOCATION_SIZE "AlSi"
#define SMB2_CREATE_QUERY_MAXIMAL_ACCESS_REQUEST "MxAc"
#define SMB2_CREATE_TIMEWARP_TOKEN "TWrp"
#define SMB2_CREATE_QUERY_ON_DISK_ID "QFid"
#define SMB2_CREATE_REQUEST_LEASE "RqLs"
#define SMB2_CREATE_DURABLE_HANDLE_REQUEST_V2 "DH2Q"
#define SMB2_CREATE_DURABLE_HANDLE_RECONNECT_V2 "DH2C"

/*
 * Append one create context (name = the 4-byte tag) to the chain in w, 8-byte aligned, and link it from the
 * previous element. *prev_off must be SIZE_MAX before the first call; it is updated to the new element's
 * offset in w. The chain must start at an 8-aligned offset of w (the create encoder places it so).
 */
int smb2_create_ctx_add(struct wbuf *w, size_t *prev_off, const char tag[4], const void *data, size_t len);
/* The same with a name of any length (the POSIX context's is a 16-byte GUID). */
int smb2_create_ctx_add_name(struct wbuf *w, size_t *prev_off, const void *name, uint16_t name_len, const void *data,
			     size_t len);
/*
 * Find the first context named tag in a chain (a view from smb2_create_rsp). 0 and a view of its data;
 * -ENOENT if absent; -EBADMSG if the chain is malformed (each Next 8-aligned and inside the chain, name and
 * data inside their element).
 */
int smb2_create_ctx_find(const uint8_t *ctx, uint32_t len, const char tag[4], const uint8_t **data,
			 uint32_t *data_len);
int smb2_create_ctx_find_name(const uint8_t *ctx, uint32_t len, const void *name, uint16_t name_len,
			      const uint8_t **data, uint32_t *data_len);

/*
 * Lease request data (2.2.13.2.8 v1, 32 bytes; 2.2.13.2.10 v2, 52 bytes): appends the context *data* only,
 * to be wrapped by smb2_create_ctx_add(.., "RqLs", ..), or use smb2_create_ctx_add_lease() for both.
 * version is 1 or 2 (-EINVAL otherwise); v1 ignores parent_key_or_null and epoch.
 */
int smb2_lease_req_encode(struct wbuf *w, const uint8_t key[16], uint32_t state, const uint8_t *parent_key_or_null,
			  uint16_t epoch, int version);
int smb2_create_ctx_add_lease(struct wbuf *w, size_t *prev_off, const uint8_t key[16], uint32_t state,
			      const uint8_t *parent_key_or_null, uint16_t epoch, int version);

/* RqLs response data; version 1 or 2 by data length (32 / 52). parent_key valid if version 2. */
struct smb2_lease_rsp {
	uint8_t key[16];
	uint32_t state;
	uint32_t flags;
	uint64_t duration;
	uint8_t parent_key[16];
	uint16_t epoch;
	int version;
};
int smb2_lease_rsp_decode(const uint8_t *data, uint32_t len, struct smb2_lease_rsp *out);

/* QFid response data (2.2.14.2.9): 32 bytes. */
struct smb2_qfid_rsp {
	uint64_t disk_file_id;
	uint64_t volume_id;
};
int smb2_qfid_rsp_decode(const uint8_t *data, uint32_t len, struct smb2_qfid_rsp *out);

/* MxAc response data (2.2.14.2.5): 8 bytes. */
struct smb2_mxac_rsp {
	uint32_t query_status;
	uint32_t maximal_access;
};
int smb2_mxac_rsp_decode(const uint8_t *data, uint32_t len, struct smb2_mxac_rsp *out);

/*
 * Durable handles (2.2.13.2.3/.4 v1, 2.2.13.2.11/.12 v2). smb2_create_ctx_add_durable appends a request:
 * version 2 "DH2Q" (Timeout 0 = the server's default, no persistent flag, create_guid), version 1 "DHnQ"
 * (create_guid unused). smb2_create_ctx_add_reconnect appends "DH2C" (fid, create_guid, no flags) or
 * "DHnC" (fid). -EINVAL for another version.
 */
int smb2_create_ctx_add_durable(struct wbuf *w, size_t *prev_off, int version, const uint8_t create_guid[16]);
int smb2_create_ctx_add_reconnect(struct wbuf *w, size_t *prev_off, int version, struct smb2_fid fid,
				  const uint8_t create_guid[16]);

/* DH2Q response data (2.2.14.2.12): Timeout and Flags, 8 bytes; DHnQ response (2.2.14.2.3): 8 reserved
 * bytes (timeout and flags 0). -EBADMSG when shorter. */
#define SMB2_DHANDLE_FLAG_PERSISTENT 0x00000002u
struct smb2_durable_rsp {
	uint32_t timeout_ms;
	uint32_t flags;
};
int smb2_durable_rsp_decode(const uint8_t *data, uint32_t len, int version, struct smb2_durable_rsp *out);

/* 2.2.15 / 2.2.16 CLOSE, 2.2.17 / 2.2.18 FLUSH */
#define SMB2_CLOSE_FLAG_POSTQUERY_ATTRIB 0x0001

struct smb2_close_req {
	uint16_t flags;
	struct smb2_fid fid;
};
int smb2_close_req_encode(struct wbuf *w, const struct smb2_close_req *in);

/* Attribute fields are zero unless the request asked for SMB2_CLOSE_FLAG_POSTQUERY_ATTRIB. */
struct smb2_close_rsp {
	uint16_t flags;
	uint64_t creation_time, last_access_time, last_write_time, change_time, allocation_size, end_of_file;
	uint32_t file_attributes;
};
int smb2_close_rsp_decode(const uint8_t *msg, size_t n, struct smb2_close_rsp *out);

struct smb2_flush_req {
	struct smb2_fid fid;
};
int smb2_flush_req_encode(struct wbuf *w, const struct smb2_flush_req *in);
int smb2_flush_rsp_decode(const uint8_t *msg, size_t n);

/* 2.2.19 / 2.2.20 READ */
#define SMB2_READFLAG_READ_UNBUFFERED 0x01
#define SMB2_READFLAG_REQUEST_COMPRESSED 0x02
#define SMB2_CHANNEL_NONE 0x00000000u

struct smb2_read_req {
	uint8_t flags;
	uint32_t length;
	uint64_t offset;
	struct smb2_fid fid;
	uint32_t minimum_count;
};
/* 49 bytes: the 48 fixed ones and the one-byte Buffer that Windows servers insist on. */
int smb2_read_req_encode(struct wbuf *w, const struct smb2_read_req *in);

struct smb2_read_rsp {
	const uint8_t *data;
	uint32_t data_len;
	uint32_t data_remaining;
};
int smb2_read_rsp_decode(const uint8_t *msg, size_t n, struct smb2_read_rsp *out);

/* 2.2.21 / 2.2.22 WRITE */
#define SMB2_WRITEFLAG_WRITE_THROUGH 0x00000001u
#define SMB2_WRITEFLAG_WRITE_UNBUFFERED 0x00000002u
#define SMB2_WRITE_DATA_OFFSET 0x70 /* header 64 + fixed body 48 */

struct smb2_write_req {
	uint32_t length;
	uint64_t offset;
	struct smb2_fid fid;
	uint32_t flags;
};
/* Writes the 48 fixed bytes only; the caller appends `length` data bytes right after them. */
int smb2_write_req_encode(struct wbuf *w, const struct smb2_write_req *in);

struct smb2_write_rsp {
	uint32_t count;
};
int smb2_write_rsp_decode(const uint8_t *msg, size_t n, struct smb2_write_rsp *out);

/* 2.2.26 / 2.2.27 LOCK */
#define SMB2_LOCKFLAG_SHARED_LOCK 0x00000001u
#define SMB2_LOCKFLAG_EXCLUSIVE_LOCK 0x00000002u
#define SMB2_LOCKFLAG_UNLOCK 0x00000004u
#define SMB2_LOCKFLAG_FAIL_IMMEDIATELY 0x00000010u
#define SMB2_MAX_LOCK_ELEMENTS 64

struct smb2_lock_element {
	uint64_t offset;
	uint64_t length;
	uint32_t flags;
};
struct smb2_lock_req {
	uint32_t lock_sequence; /* LockSequenceNumber (4 bits) | LockSequenceIndex (28 bits) */
	struct smb2_fid fid;
	const struct smb2_lock_element *locks;
	int nlocks; /* 1..SMB2_MAX_LOCK_ELEMENTS, else -EINVAL */
};
int smb2_lock_req_encode(struct wbuf *w, const struct smb2_lock_req *in);
int smb2_lock_rsp_decode(const uint8_t *msg, size_t n);

/* 2.2.28 / 2.2.29 ECHO, 2.2.30 CANCEL (no response) */
int smb2_echo_req_encode(struct wbuf *w);
int smb2_echo_rsp_decode(const uint8_t *msg, size_t n);
int smb2_cancel_req_encode(struct wbuf *w);

/* 2.2.31 / 2.2.32 IOCTL */
#define SMB2_0_IOCTL_IS_FSCTL 0x00000001u
#define FSCTL_DFS_GET_REFERRALS 0x00060194u
#define FSCTL_PIPE_TRANSCEIVE 0x0011C017u
#define FSCTL_SRV_REQUEST_RESUME_KEY 0x00140078u
#define FSCTL_SRV_ENUMERATE_SNAPSHOTS 0x00144064u
#define FSCTL_QUERY_NETWORK_INTERFACE_INFO 0x001401FCu
#define FSCTL_VALIDATE_NEGOTIATE_INFO 0x00140204u
#define FSCTL_SRV_COPYCHUNK 0x001440F2u
#define FSCTL_SRV_COPYCHUNK_WRITE 0x001480F2u
#define FSCTL_SET_REPARSE_POINT 0x000900A4u
#define FSCTL_GET_REPARSE_POINT 0x000900A8u
#define FSCTL_SET_SPARSE 0x000900C4u
#define FSCTL_SET_ZERO_DATA 0x000980C8u

struct smb2_ioctl_req {
	uint32_t ctl_code;
	struct smb2_fid fid; /* all-ones for FSCTL_VALIDATE_NEGOTIATE_INFO and other non-file controls */
	const uint8_t *input;
	uint32_t input_len;
	uint32_t max_input_response;
	uint32_t max_output_response;
	uint32_t flags; /* SMB2_0_IOCTL_IS_FSCTL */
};
int smb2_ioctl_req_encode(struct wbuf *w, const struct smb2_ioctl_req *in);

struct smb2_ioctl_rsp {
	uint32_t ctl_code;
	struct smb2_fid fid;
	const uint8_t *input;
	uint32_t input_len;
	const uint8_t *output;
	uint32_t output_len;
	uint32_t flags;
};
int smb2_ioctl_rsp_decode(const uint8_t *msg, size_t n, struct smb2_ioctl_rsp *out);

/* 2.2.32.2 SRV_SNAPSHOT_ARRAY: the @GMT tokens of a file's previous versions. tokens is a view of the
 * returned ones (UTF-16LE, each NUL-terminated), walked with smb2_snapshot_next. */
struct smb2_snapshot_array {
	uint32_t count;	   /* NumberOfSnapShots */
	uint32_t returned; /* NumberOfSnapShotsReturned (0 when the output buffer was too small) */
	const uint8_t *tokens;
	size_t tokens_len;
};
int smb2_snapshot_array_decode(const uint8_t *p, size_t n, struct smb2_snapshot_array *out);
/* The token at *off (without its NUL; *off moves past it): 1, or 0 at the end (an empty string or the end
 * of the view), or -EBADMSG for a token without its NUL. */
int smb2_snapshot_next(const struct smb2_snapshot_array *a, size_t *off, const uint8_t **tok, size_t *len);

/* 2.2.31.4 VALIDATE_NEGOTIATE_INFO input (appended to w) and 2.2.32.6 output (24 bytes). */
struct smb2_validate_negotiate_req {
	uint32_t capabilities;
	uint8_t guid[16];
	uint16_t security_mode;
	const uint16_t *dialects;
	int ndialects;
};
int smb2_validate_negotiate_req_encode(struct wbuf *w, const struct smb2_validate_negotiate_req *in);
struct smb2_validate_negotiate_rsp {
	uint32_t capabilities;
	uint8_t guid[16];
	uint16_t security_mode;
	uint16_t dialect;
};
int smb2_validate_negotiate_rsp_decode(const uint8_t *data, uint32_t len, struct smb2_validate_negotiate_rsp *out);

/* QUERY_DIRECTORY, CHANGE_NOTIFY, QUERY_INFO, SET_INFO and the information classes they carry. */
#include "smbfuse/smb2_info.h"
/* The FSCTL payloads of sparse files (SET_SPARSE, SET_ZERO_DATA, QUERY_ALLOCATED_RANGES). */
#include "smbfuse/smb2_fsctl.h"

/* 2.2.23 / 2.2.24 / 2.2.25 OPLOCK_BREAK: notifications, acknowledgments and responses */
#define SMB2_NOTIFY_BREAK_LEASE_FLAG_ACK_REQUIRED 0x00000001u

/* An oplock break notification (StructureSize 24) or a lease break notification (44). */
struct smb2_break {
	bool is_lease;
	/* oplock break: */
	uint8_t oplock_level;
	struct smb2_fid fid;
	/* lease break: */
	uint16_t new_epoch;
	uint32_t flags;
	uint8_t lease_key[16];
	uint32_t current_state, new_state;
	uint32_t break_reason, access_mask_hint, share_mask_hint;
};
int smb2_break_decode(const uint8_t *msg, size_t n, struct smb2_break *out);

struct smb2_oplock_break_ack {
	uint8_t oplock_level;
	struct smb2_fid fid;
};
int smb2_oplock_break_ack_encode(struct wbuf *w, const struct smb2_oplock_break_ack *in); /* 24 bytes */

struct smb2_lease_break_ack {
	uint32_t flags;
	uint8_t lease_key[16];
	uint32_t lease_state;
};
int smb2_lease_break_ack_encode(struct wbuf *w, const struct smb2_lease_break_ack *in); /* 36 bytes */

/* The server's answer to an acknowledgment: oplock break response (24) or lease break response (36). */
struct smb2_break_rsp {
	bool is_lease;
	uint8_t oplock_level;
	struct smb2_fid fid;
	uint32_t flags;
	uint8_t lease_key[16];
	uint32_t lease_state;
};
int smb2_break_rsp_decode(const uint8_t *msg, size_t n, struct smb2_break_rsp *out);

/* 2.2.41 SMB2 TRANSFORM_HEADER (codec only; the AEAD is in xport/seal.c) */
#define SMB2_TRANSFORM_HDR_SIZE 52
#define SMB2_TRANSFORM_FLAG_ENCRYPTED 0x0001
/* Bytes of the transform header covered by the AEAD as associated data: everything after Signature. */
#define SMB2_TRANSFORM_AAD_OFF 20
#define SMB2_TRANSFORM_AAD_LEN 32

struct smb2_transform_hdr {
	uint8_t signature[16];
	uint8_t nonce[16]; /* 11 bytes used for CCM, 12 for GCM; the rest zero */
	uint32_t original_message_size;
	uint16_t flags; /* Flags (3.1.1) / EncryptionAlgorithm (3.0.x): 0x0001 either way */
	uint64_t session_id;
};
/* Appends exactly 52 bytes. */
int smb2_transform_hdr_encode(struct wbuf *w, const struct smb2_transform_hdr *h);
/*
 * p is a whole transformed message (header + ciphertext, n bytes). -EBADMSG if short, bad magic, or
 * OriginalMessageSize differs from the ciphertext length; -EPROTO if Flags is not ENCRYPTED.
 */
int smb2_transform_hdr_decode(const uint8_t *p, size_t n, struct smb2_transform_hdr *out);


#endif
