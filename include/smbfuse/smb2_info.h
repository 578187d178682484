/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * smb2_info.h - SMB2's directory and information commands (MS-SMB2 2.2.33 to 2.2.40: QUERY_DIRECTORY,
 * CHANGE_NOTIFY, QUERY_INFO, SET_INFO) and the MS-FSCC information classes they carry. Part of smb2.h,
 * which includes it where its types are defined: include smbfuse/smb2.h, not this file.
 */
#ifndef SMBFUSE_SMB2_INFO_H
#define SMBFUSE_SMB2_INFO_H

#include "smbfuse/smb2.h"

/* 2.2.33 / 2.2.34 QUERY_DIRECTORY; entries are MS-FSCC 2.4 information classes */
#define SMB2_RESTART_SCANS 0x01
#define SMB2_RETURN_SINGLE_ENTRY 0x02
#define SMB2_INDEX_SPECIFIED 0x04
#define SMB2_REOPEN 0x10

/* MS-FSCC 2.4 file information classes */
#define FileDirectoryInformation 1
#define FileFullDirectoryInformation 2
#define FileBothDirectoryInformation 3
#define FileBasicInformation 4
#define FileStandardInformation 5
#define FileInternalInformation 6
#define FileEaInformation 7
#define FileAccessInformation 8
#define FileNameInformation 9
#define FileRenameInformation 10
#define FileLinkInformation 11
#define FileNamesInformation 12
#define FileDispositionInformation 13
#define FileDispositionInformationEx 64 /* MS-FSCC 2.4.11.2: a 4-byte Flags word */
#define FILE_DISPOSITION_DELETE 0x00000001u
#define FILE_DISPOSITION_POSIX_SEMANTICS 0x00000002u
#define FilePositionInformation 14
#define FileFullEaInformation 15
#define FileModeInformation 16
#define FileAlignmentInformation 17
#define FileAllInformation 18
#define FileAllocationInformation 19
#define FileEndOfFileInformation 20
#define FileAlternateNameInformation 21
#define FileStreamInformation 22
#define FileCompressionInformation 28
#define FileNetworkOpenInformation 34
#define FileAttributeTagInformation 35
#define FileIdBothDirectoryInformation 37
#define FileIdFullDirectoryInformation 38
#define FileNormalizedNameInformation 48

/* MS-FSCC 2.5 file system information classes */
#define FileFsVolumeInformation 1
#define FileFsLabelInformation 2
#define FileFsSizeInformation 3
#define FileFsDeviceInformation 4
#define FileFsAttributeInformation 5
#define FileFsControlInformation 6
#define FileFsFullSizeInformation 7
#define FileFsObjectIdInformation 8
#define FileFsSectorSizeInformation 11

struct smb2_query_dir_req {
	uint8_t info_class; /* FileInformationClass */
	uint8_t flags;
	uint32_t file_index;
	struct smb2_fid fid;
	const char *pattern; /* UTF-8, e.g. "*"; encoder converts */
	size_t pattern_len;
	uint32_t output_buffer_length;
};
int smb2_query_dir_req_encode(struct wbuf *w, const struct smb2_query_dir_req *in);

struct smb2_query_dir_rsp {
	const uint8_t *buf;
	uint32_t len;
};
int smb2_query_dir_rsp_decode(const uint8_t *msg, size_t n, struct smb2_query_dir_rsp *out);

/*
 * SMB 3.1.1 POSIX extensions (smb2_posix.c; Samba librpc/idl/smb3posix.idl). The wire mode is the Unix
 * permission bits (07777) with the file type 0-6 (regular, dir, symlink, chr, blk, fifo, socket) in bits
 * 12-14; the functions below convert to and from a st_mode.
 */
#define FilePosixInformation 100 /* QUERY_INFO class and QUERY_DIRECTORY level */
extern const uint8_t smb2_posix_tag[16];
uint32_t smb2_posix_mode_to_unix(uint32_t wire);
uint32_t smb2_unix_to_posix_mode(uint32_t mode);
/* Append the POSIX create context carrying mode (a st_mode: type bits are sent too). */
int smb2_create_ctx_add_posix(struct wbuf *w, size_t *prev_off, uint32_t mode);

/* The POSIX create context response; also the tail of FilePosixInformation. uid/gid come from owner SID
 * S-1-22-1-UID and group SID S-1-22-2-GID; any other SID leaves has_uid/has_gid false. */
struct smb2_posix_cc {
	uint32_t nlinks, reparse_tag;
	uint32_t mode; /* st_mode (converted); 0 type bits if the server sent an unknown type */
	uint32_t uid, gid;
	bool has_uid, has_gid;
};
/* 0, or -EBADMSG when the fixed part or a SID (revision 1, at most 15 sub-authorities) does not fit len.
 * *used (if not NULL) gets the bytes consumed. */
int smb2_posix_cc_decode(const uint8_t *p, uint32_t len, struct smb2_posix_cc *out, uint32_t *used);

struct smb2_file_posix_info {
	uint64_t creation_time, last_access_time, last_write_time, change_time, end_of_file, allocation_size;
	uint32_t attributes;
	uint64_t inode;
	uint32_t device;
	struct smb2_posix_cc cc;
};
int smb2_file_posix_info_decode(const uint8_t *buf, size_t len, struct smb2_file_posix_info *out);

/* SET_INFO security payloads. The mode form is what Samba 4.22 takes as chmod (only 0777 is kept); the
 * owner form sets owner S-1-22-1-uid and/or group S-1-22-2-gid (-EINVAL with neither). Additional
 * information: DACL_SECURITY_INFORMATION, resp. OWNER_/GROUP_SECURITY_INFORMATION. */
int smb2_posix_mode_sd_encode(struct wbuf *w, uint32_t mode);
int smb2_posix_owner_sd_encode(struct wbuf *w, bool set_uid, uint32_t uid, bool set_gid, uint32_t gid);

/*
 * One directory entry, for FileDirectoryInformation, FileFullDirectoryInformation,
 * FileBothDirectoryInformation, FileIdBothDirectoryInformation, FileIdFullDirectoryInformation,
 * FileNamesInformation and FilePosixInformation; fields a class lacks are 0.
 */
struct smb2_dirent {
	uint64_t creation_time, last_access_time, last_write_time, change_time, end_of_file, allocation_size;
	uint32_t attributes;
	uint32_t ea_size;
	uint32_t file_index;
	uint64_t file_id; /* 0 for classes without one */
	const uint8_t *short_name; /* UTF-16LE view, Both classes only */
	uint8_t short_name_len;
	const uint8_t *name; /* UTF-16LE view */
	uint32_t name_len;
	struct smb2_posix_cc posix; /* FilePosixInformation only (file_id is then its inode) */
};

/* Iterator over one QUERY_DIRECTORY output buffer; holds a view, never allocates. */
struct smb2_dir_iter {
	const uint8_t *buf;
	uint32_t len;
	uint32_t off; /* next entry */
	uint8_t info_class;
	bool done;
	int err; /* sticky */
};
void smb2_dir_iter_init(struct smb2_dir_iter *it, uint8_t info_class, const uint8_t *buf, uint32_t len);
/*
 * 1 and the next entry; 0 at the end; -EBADMSG for a malformed buffer (an entry or name outside the
 * buffer, a NextEntryOffset that does not move past the current entry's name) and -EPROTO for an
 * unsupported class. An error is sticky: later calls return it again.
 */
int smb2_dir_next(struct smb2_dir_iter *it, struct smb2_dirent *out);

/* 2.2.35 / 2.2.36 CHANGE_NOTIFY */
#define SMB2_WATCH_TREE 0x0001

#define FILE_NOTIFY_CHANGE_FILE_NAME 0x00000001u
#define FILE_NOTIFY_CHANGE_DIR_NAME 0x00000002u
#define FILE_NOTIFY_CHANGE_ATTRIBUTES 0x00000004u
#define FILE_NOTIFY_CHANGE_SIZE 0x00000008u
#define FILE_NOTIFY_CHANGE_LAST_WRITE 0x00000010u
#define FILE_NOTIFY_CHANGE_LAST_ACCESS 0x00000020u
#define FILE_NOTIFY_CHANGE_CREATION 0x00000040u
#define FILE_NOTIFY_CHANGE_EA 0x00000080u
#define FILE_NOTIFY_CHANGE_SECURITY 0x00000100u
#define FILE_NOTIFY_CHANGE_STREAM_NAME 0x00000200u
#define FILE_NOTIFY_CHANGE_STREAM_SIZE 0x00000400u
#define FILE_NOTIFY_CHANGE_STREAM_WRITE 0x00000800u

#define FILE_ACTION_ADDED 0x00000001u
#define FILE_ACTION_REMOVED 0x00000002u
#define FILE_ACTION_MODIFIED 0x00000003u
#define FILE_ACTION_RENAMED_OLD_NAME 0x00000004u
#define FILE_ACTION_RENAMED_NEW_NAME 0x00000005u
#define FILE_ACTION_ADDED_STREAM 0x00000006u
#define FILE_ACTION_REMOVED_STREAM 0x00000007u
#define FILE_ACTION_MODIFIED_STREAM 0x00000008u
#define FILE_ACTION_REMOVED_BY_DELETE 0x00000009u
#define FILE_ACTION_ID_NOT_TUNNELLED 0x0000000Au
#define FILE_ACTION_TUNNELLED_ID_COLLISION 0x0000000Bu

struct smb2_change_notify_req {
	uint16_t flags; /* SMB2_WATCH_TREE */
	uint32_t output_buffer_length;
	struct smb2_fid fid;
	uint32_t completion_filter;
};
int smb2_change_notify_req_encode(struct wbuf *w, const struct smb2_change_notify_req *in);

struct smb2_change_notify_rsp {
	const uint8_t *buf;
	uint32_t len;
};
int smb2_change_notify_rsp_decode(const uint8_t *msg, size_t n, struct smb2_change_notify_rsp *out);

/* FILE_NOTIFY_INFORMATION (MS-FSCC 2.7.1) iterator: same contract as smb2_dir_next. */
struct smb2_notify_entry {
	uint32_t action;
	const uint8_t *name; /* UTF-16LE view */
	uint32_t name_len;
};
struct smb2_notify_iter {
	const uint8_t *buf;
	uint32_t len;
	uint32_t off;
	bool done;
	int err;
};
void smb2_notify_iter_init(struct smb2_notify_iter *it, const uint8_t *buf, uint32_t len);
int smb2_notify_next(struct smb2_notify_iter *it, struct smb2_notify_entry *out);

/* 2.2.37 / 2.2.38 QUERY_INFO */
#define SMB2_0_INFO_FILE 0x01
#define SMB2_0_INFO_FILESYSTEM 0x02
#define SMB2_0_INFO_SECURITY 0x03
#define SMB2_0_INFO_QUOTA 0x04

#define OWNER_SECURITY_INFORMATION 0x00000001u
#define GROUP_SECURITY_INFORMATION 0x00000002u
#define DACL_SECURITY_INFORMATION 0x00000004u
#define SACL_SECURITY_INFORMATION 0x00000008u

/* MS-DTYP 2.4.6 SECURITY_DESCRIPTOR, self-relative (sd.c). SE_SELF_RELATIVE is a Control bit. */
#define SE_SELF_RELATIVE 0x8000u
/* 0 when p[0..n) is a self-relative descriptor whose owner and group SIDs (revision 1, at most 15
 * sub-authorities) and SACL and DACL (revision 2 or 4, every ACE inside the ACL, the SID of an
 * allowed/denied/audit/alarm ACE inside the ACE) all lie inside it; else -EBADMSG. *parts (may be NULL):
 * the *_SECURITY_INFORMATION bits of the parts present (a non-zero offset). */
int smb_sd_check(const uint8_t *p, size_t n, uint32_t *parts);
/* The descriptor in SDDL (MS-DTYP 2.5.1), NUL-terminated in out: SIDs as S-1-..., rights in hex, ACE and
 * control flags as SDDL letters; ACE types other than allowed, denied, audit, alarm and mandatory label
 * appear as "(XX;;;;;unshown ACE type 0xNN)". Returns the length, -EBADMSG for a descriptor smb_sd_check
 * refuses, -ENOSPC when outlen is too small (16 * n + 256 always suffices). */
int smb_sd_to_sddl(const uint8_t *p, size_t n, char *out, size_t outlen);

struct smb2_query_info_req {
	uint8_t info_type;
	uint8_t file_info_class;
	uint32_t output_buffer_length;
	uint32_t additional_information;
	uint32_t flags;
	struct smb2_fid fid;
	const uint8_t *input;
	uint32_t input_len;
};
int smb2_query_info_req_encode(struct wbuf *w, const struct smb2_query_info_req *in);

/* Also the body of a STATUS_BUFFER_OVERFLOW reply, which carries partial data. */
struct smb2_query_info_rsp {
	const uint8_t *buf;
	uint32_t len;
};
int smb2_query_info_rsp_decode(const uint8_t *msg, size_t n, struct smb2_query_info_rsp *out);

/* MS-FSCC 2.4.7 */
struct smb2_file_basic_info {
	uint64_t creation_time, last_access_time, last_write_time, change_time;
	uint32_t attributes;
};
int smb2_file_basic_info_decode(const uint8_t *buf, size_t len, struct smb2_file_basic_info *out);

/* MS-FSCC 2.4.41 */
struct smb2_file_standard_info {
	uint64_t allocation_size, end_of_file;
	uint32_t number_of_links;
	bool delete_pending, directory;
};
int smb2_file_standard_info_decode(const uint8_t *buf, size_t len, struct smb2_file_standard_info *out);

/* MS-FSCC 2.4.22 */
struct smb2_file_internal_info {
	uint64_t index_number;
};
int smb2_file_internal_info_decode(const uint8_t *buf, size_t len, struct smb2_file_internal_info *out);

/* MS-FSCC 2.4.29 */
struct smb2_file_network_open_info {
	uint64_t creation_time, last_access_time, last_write_time, change_time, allocation_size, end_of_file;
	uint32_t attributes;
};
int smb2_file_network_open_info_decode(const uint8_t *buf, size_t len, struct smb2_file_network_open_info *out);

/*
 * MS-FSCC 2.4.2. A buffer that ends inside the name (STATUS_BUFFER_OVERFLOW: Samba returns the fixed part
 * and as much of the name as fits) decodes with name_truncated set and name viewing what is present.
 */
struct smb2_file_all_info {
	uint64_t creation_time, last_access_time, last_write_time, change_time;
	uint32_t attributes;
	uint64_t allocation_size, end_of_file;
	uint32_t number_of_links;
	bool delete_pending, directory;
	uint64_t index_number;
	uint32_t ea_size;
	uint32_t access_flags;
	uint64_t current_byte_offset;
	uint32_t mode;
	uint32_t alignment_requirement;
	const uint8_t *name; /* UTF-16LE view */
	uint32_t name_len;
	bool name_truncated;
};
int smb2_file_all_info_decode(const uint8_t *buf, size_t len, struct smb2_file_all_info *out);

/* MS-FSCC 2.5.8 / 2.5.4 (size: caller_avail_units = actual_avail_units = AvailableAllocationUnits) */
struct smb2_fs_full_size_info {
	uint64_t total_alloc_units, caller_avail_units, actual_avail_units;
	uint32_t sectors_per_unit, bytes_per_sector;
};
int smb2_fs_full_size_info_decode(const uint8_t *buf, size_t len, struct smb2_fs_full_size_info *out);
int smb2_fs_size_info_decode(const uint8_t *buf, size_t len, struct smb2_fs_full_size_info *out);

/* MS-FSCC 2.5.1 */
#define FILE_CASE_SENSITIVE_SEARCH 0x00000001u
#define FILE_CASE_PRESERVED_NAMES 0x00000002u
#define FILE_UNICODE_ON_DISK 0x00000004u
#define FILE_PERSISTENT_ACLS 0x00000008u
#define FILE_SUPPORTS_SPARSE_FILES 0x00000040u
#define FILE_SUPPORTS_REPARSE_POINTS 0x00000080u
#define FILE_NAMED_STREAMS 0x00040000u
#define FILE_READ_ONLY_VOLUME 0x00080000u

struct smb2_fs_attribute_info {
	uint32_t attributes;
	int32_t max_name_len; /* MaximumComponentNameLength */
	const uint8_t *name;  /* UTF-16LE view, e.g. "NTFS" */
	uint32_t name_len;
};
int smb2_fs_attribute_info_decode(const uint8_t *buf, size_t len, struct smb2_fs_attribute_info *out);

/*
 * MS-FSCC 2.4.15 FILE_FULL_EA_INFORMATION (smb2_ea.c), the payload of QUERY_INFO and SET_INFO of
 * FileFullEaInformation. EaNameLength is one byte and EaValueLength two; a value of length 0 in a SET_INFO
 * removes the EA (Samba set_ea), so no EA has an empty value.
 */
#define SMB_EA_NAME_MAX 255
#define SMB_EA_VALUE_MAX 65535
#define SL_RESTART_SCAN 0x00000001u /* QUERY_INFO Flags: list from the first EA (MS-SMB2 2.2.37) */
struct smb2_ea {
	uint8_t flags;
	const char *name; /* view of name_len bytes, NUL-terminated on the wire (so a C string) */
	uint8_t name_len;
	const uint8_t *value; /* view */
	uint16_t value_len;
};
/* Walk a FileFullEaInformation buffer with the notify walk's state (its entries too are chained by
 * NextEntryOffset), started with smb2_notify_iter_init: 1 and the next EA, 0 at the end (an empty buffer
 * has none), -EBADMSG for an entry outside the buffer, an empty name, a name without its NUL or with a
 * control character, or a NextEntryOffset that does not step past the entry. Sticky. */
int smb2_ea_next(struct smb2_notify_iter *it, struct smb2_ea *out);
/* SMB1's form, MS-CIFS 2.2.1.2.2.1 SMB_FEA_LIST (TRANS2 SMB_INFO_QUERY_ALL_EAS / SMB_INFO_SET_EA): the same
 * entries packed without NextEntryOffset, after a 4-byte SizeOfListInBytes. init: -EBADMSG when that size
 * is below 4 or beyond len (then every next fails too); next: as smb2_ea_next. encode: a list of the one
 * entry, refusing what smb2_full_ea_encode refuses. */
int smb1_fea_list_init(struct smb2_notify_iter *it, const uint8_t *buf, uint32_t len);
int smb1_fea_next(struct smb2_notify_iter *it, struct smb2_ea *out);
int smb1_fea_list_encode(struct wbuf *w, const char *name, size_t name_len, const void *value, size_t value_len);
/* One FILE_FULL_EA_INFORMATION entry (NextEntryOffset 0). -EINVAL for an empty name or one with a byte
 * outside printable ASCII (Samba converts EA names as DOS code page strings, so anything else would not
 * come back as sent), -ENAMETOOLONG over SMB_EA_NAME_MAX, -E2BIG over SMB_EA_VALUE_MAX. */
int smb2_full_ea_encode(struct wbuf *w, const char *name, size_t name_len, const void *value, size_t value_len);

/* 2.2.39 / 2.2.40 SET_INFO */
struct smb2_set_info_req {
	uint8_t info_type;
	uint8_t file_info_class;
	uint32_t additional_information;
	struct smb2_fid fid;
	const uint8_t *buf;
	uint32_t len;
};
int smb2_set_info_req_encode(struct wbuf *w, const struct smb2_set_info_req *in);
int smb2_set_info_rsp_decode(const uint8_t *msg, size_t n);

/* Set-info payloads (append to w). Times: FILETIME; 0 = leave unchanged (MS-FSCC 2.4.7). */
int smb2_file_basic_info_encode(struct wbuf *w, uint64_t creation, uint64_t access, uint64_t write, uint64_t change,
				uint32_t attrs);
int smb2_file_eof_info_encode(struct wbuf *w, uint64_t eof);
int smb2_file_allocation_info_encode(struct wbuf *w, uint64_t size);
/* MS-FSCC 2.4.42.2, the SMB2 form; utf8_name is the target path from the share root, with '\\'. */
int smb2_file_rename_info_encode(struct wbuf *w, bool replace, const char *utf8_name, size_t len);
/* MS-FSCC 2.4.42.1, the SMB1 form, for TRANS2 SET_FILE_INFORMATION at the pass-through level (MS-SMB 2.2.2.3.5).
 * utf8_name is the new name alone: the target stays in the source's directory (MS-FSCC types it as a file
 * name, and smbd answers a name with a separator with STATUS_NOT_SUPPORTED). */
int smb1_file_rename_info_encode(struct wbuf *w, bool replace, const char *utf8_name, size_t len);
int smb2_file_disposition_info_encode(struct wbuf *w, bool del);

#endif
