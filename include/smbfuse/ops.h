/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ops.h - the dialect-independent operations table: the only thing the FUSE glue (src/fs) sees of SMB.
 *
 * An smb_client is one mounted share: a connection, a session and a tree connect, rebuilt transparently
 * after a connection loss. Negotiate picks the table: SMB2/3 (src/proto/smb2_ops.c) or SMB1
 * (src/proto/smb1_ops.c, with vers=1.0 or as the default's fallback; see client.c).
 *
 * Paths: UTF-8, relative to the mounted share root (and subdir), '/'-separated, no leading '/', "" for the
 * root. The proto layer converts to the wire form ('\\', UTF-16LE, subdir prefix).
 * Returns: 0 or a count on success, negative errno on failure (ENOENT, EEXIST, EACCES, ENOTEMPTY, EISDIR,
 * ENOTDIR, EBUSY for sharing violations, ENOSPC, EROFS, EIO, ETIMEDOUT, ENOTCONN...). Never positive
 * sentinels.
 * Threads: every function may be called from many FUSE worker threads at once; each blocks only its own
 * caller for the round trips it needs. No lock of the caller's may be held across a call.
 */
#ifndef SMBFUSE_OPS_H
#define SMBFUSE_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

/* FILE_ATTRIBUTE_* of MS-FSCC 2.6 that the glue interprets. */
#define SMB_ATTR_READONLY 0x00000001u
#define SMB_ATTR_HIDDEN 0x00000002u
#define SMB_ATTR_SYSTEM 0x00000004u
#define SMB_ATTR_DIRECTORY 0x00000010u
#define SMB_ATTR_ARCHIVE 0x00000020u
#define SMB_ATTR_NORMAL 0x00000080u
#define SMB_ATTR_SPARSE 0x00000200u
#define SMB_ATTR_REPARSE_POINT 0x00000400u

struct smb_attr {
	uint64_t file_id; /* server's stable file id (FileId/IndexNumber), 0 if the server gave none */
	uint64_t size;	  /* EndOfFile */
	uint64_t alloc_size;
	struct timespec atime, mtime, ctime, btime;
	uint32_t attrs; /* SMB_ATTR_* */
	uint32_t nlink; /* 0 if unknown */
	/* A symbolic link (a reparse point the server made, an mfsymlinks file, ...): readlink gives its
	 * target and size is the target's length, as lstat(2) has it. */
	bool symlink;
	/* SMB 3.1.1 POSIX extensions only (smb_client_posix): the st_mode (type and 07777 bits) the server
	 * stores, 0 without them; uid and gid when the owner/group SIDs are Unix ones (S-1-22-1-UID,
	 * S-1-22-2-GID), else has_uid/has_gid false. */
	uint32_t mode;
	uint32_t uid, gid;
	bool has_uid, has_gid;
	/* A character or block device's numbers (mode S_IFCHR/S_IFBLK, POSIX extensions): st_rdev. */
	uint32_t dev_major, dev_minor;
	/* Set by ops->open only: this open created the file (CreateAction FILE_CREATED), so its times are the
	 * server's clock at that CREATE. */
	bool created;
};

static inline bool smb_attr_is_dir(const struct smb_attr *a)
{
	return a->attrs & SMB_ATTR_DIRECTORY;
}

/* What setattr changes: any combination of these bits in smb_setattr.valid. */
#define SMB_SET_SIZE 0x1
#define SMB_SET_ATIME 0x2
#define SMB_SET_MTIME 0x4
#define SMB_SET_ATTRS 0x8 /* attrs replaces the attribute word (chmod a-w -> READONLY) */
/* With the POSIX extensions only (else -EOPNOTSUPP): chmod, chown, chgrp. -EPERM when the server refuses. */
#define SMB_SET_MODE 0x10 /* the 07777 bits of mode (Samba 4.22 keeps 0777 of them) */
#define SMB_SET_UID 0x20
#define SMB_SET_GID 0x40

struct smb_setattr {
	unsigned valid;
	uint64_t size;
	struct timespec atime, mtime; /* tv_nsec == UTIME_NOW means "now" (server time) */
	uint32_t attrs;
	uint32_t mode;
	uint32_t uid, gid;
};

struct smb_statfs {
	uint64_t block_size; /* bytes per allocation unit */
	uint64_t total_blocks;
	uint64_t free_blocks;  /* available to the caller */
	uint32_t name_max;     /* longest name component in bytes (UTF-8) */
};

/* One directory entry handed to a readdir callback. name is UTF-8, valid only during the call. Return
 * non-zero from the callback to stop the listing early (the op then returns 0). "." and ".." are never
 * passed. */
typedef int (*smb_dirent_fn)(void *arg, const char *name, const struct smb_attr *attr);

/* One extended attribute handed to a list_eas callback: name a C string (printable, 1 to 255 bytes), value
 * value_len bytes (never 0); both valid only during the call. A non-zero return stops the walk and is what
 * list_eas returns. */
typedef int (*smb_ea_fn)(void *arg, const char *name, const void *value, size_t value_len);

/* An open file or directory. Owned by the caller between open and close; the dialect code keeps what it
 * needs to reopen it after a reconnect. */
struct smb_fh;

/*
 * unlink flags. SMB_UNLINK_OPEN: the glue still has the file open. SMB keeps a deleted file under its name
 * until its last handle closes, so the proto layer then makes the name go at once (POSIX delete semantics
 * where offered, else a rename to a hidden name deleted at the last close) and the open handles keep
 * working. The glue says so because only it knows which inode is open under which name after renames; the
 * proto layer's handles remember the name they were opened under.
 */
#define SMB_UNLINK_OPEN 0x1

/*
 * An open flag besides the O_* ones (no open(2) flag uses this bit): the glue believes, by the attributes
 * it has, that the file is a regular one of at most SMB_PREREAD_MAX bytes, and opens it read-only to read
 * it. The dialect may then read the start of the file in the open's own round trip and answer the first
 * reads from that (smb2_pre.c says when). Ignored where it cannot (SMB1) and with cache=none (no cache).
 */
#define SMB_O_PREREAD 0x40000000
#define SMB_PREREAD_MAX 65536u

/* rename flags */
#define SMB_RENAME_NOREPLACE 0x1

struct smb_client;

/* min_dialect = max_dialect = this selects SMB1 (NT LM 0.12) alone; it is never on the wire. */
#define SMB_DIALECT_SMB1 0x0100

/*
 * Cache coherence: what the proto layer tells the glue (leases, oplocks, change notification, reconnects).
 *
 * The glue registers one struct smb_events with ops->set_events before it serves requests. Events are
 * delivered on the proto layer's cache worker thread, never on the connection's receive thread and never
 * inside an ops-> call, so the handler may block briefly (fuse_lowlevel_notify_inval_*) but must not call
 * ops-> itself: the worker also acknowledges breaks, and a server waits for those.
 * Paths are share-relative as everywhere in this file.
 */
enum smb_event_kind {
	SMB_EV_FILE,	/* path's data and attributes may have changed, or are no longer covered by a lease */
	SMB_EV_ENTRY,	/* the entry name of directory path was added, removed, renamed or modified */
	SMB_EV_DIR,	/* anything in directory path may have changed (notify overflow, or its watch ended) */
	SMB_EV_ALL,	/* everything: the session was rebuilt and every lease and watch is void */
};

struct smb_events {
	void (*event)(void *arg, enum smb_event_kind kind, const char *path, const char *name);
	void *arg;
};

/* What a lease or oplock currently lets this client cache for a path (ops->cached). */
#define SMB_CACHE_READ 0x1   /* data and attributes: nobody else writes while this holds */
#define SMB_CACHE_HANDLE 0x2 /* closed handles may stay open */
#define SMB_CACHE_WRITE 0x4  /* nobody else reads or writes */
/* Directory path's watch holds, and its directory lease, if any, is not broken: a listing taken under it
 * is still the server's. Unset from the moment a break arrives, before its SMB_EV_DIR. */
#define SMB_CACHE_LISTING 0x8
/* With SMB_CACHE_LISTING: a directory lease with Read caching holds too, so another client's new name
 * breaks it before that client's CREATE completes; a watch alone tells only afterwards. */
#define SMB_CACHE_DIRLEASE 0x10

struct smb_ops {
	/* Attributes of a path: one round trip (compound CREATE + QUERY_INFO + CLOSE on SMB2). */
	int (*stat)(struct smb_client *cl, const char *path, struct smb_attr *out);
	/* Open (flags: O_RDONLY/O_WRONLY/O_RDWR, O_CREAT, O_EXCL, O_TRUNC, O_DIRECTORY, O_SYNC: writes through
	 * this handle are never gathered, whatever the lease allows). With O_CREAT a missing
	 * file is created; mode carries only what SMB can keep (write permission -> READONLY). attr_out, if
	 * not NULL, receives the attributes after open. */
	int (*open)(struct smb_client *cl, const char *path, int flags, mode_t mode, struct smb_fh **out,
		    struct smb_attr *attr_out);
	/* Close and free fh (always frees, even when the server reports an error). */
	int (*close)(struct smb_client *cl, struct smb_fh *fh);
	/* Read up to size bytes at off into buf; returns bytes read (0 at end of file). Large reads are split
	 * into several READs in flight at once. */
	ssize_t (*read)(struct smb_client *cl, struct smb_fh *fh, void *buf, size_t size, uint64_t off);
	/* Write size bytes at off; returns bytes written (all of them, or an error). Under a Write lease the
	 * data may only be gathered, and an error of an earlier gathered write may be returned instead (see
	 * flush). */
	ssize_t (*write)(struct smb_client *cl, struct smb_fh *fh, const void *buf, size_t size, uint64_t off);
	/* Send writes that were gathered for fh's file under a Write lease and wait for them (close(2) calls
	 * this). Returns the first write error not reported yet (ENOSPC, EIO), once. NULL: writes go through. */
	int (*flush)(struct smb_client *cl, struct smb_fh *fh);
	/* flush, then make written data durable on the server (SMB2 FLUSH). */
	int (*fsync)(struct smb_client *cl, struct smb_fh *fh);
	int (*fstat)(struct smb_client *cl, struct smb_fh *fh, struct smb_attr *out);
	/* Change attributes by handle when fh != NULL, else by path (opening it briefly). */
	int (*setattr)(struct smb_client *cl, const char *path, struct smb_fh *fh, const struct smb_setattr *sa,
		       struct smb_attr *attr_out);
	/* Call fn for every entry of directory path. self, if not NULL, gets the directory's own attributes
	 * as the server gave them when the listing began (SMB2: the CREATE's answer; SMB1: the server's "."
	 * entry), all zero where it gave none: comparing its times with a later stat says whether the
	 * directory changed since (fs/listing.c). */
	int (*readdir)(struct smb_client *cl, const char *path, smb_dirent_fn fn, void *arg, struct smb_attr *self);
	/* mode: the new directory's (umask applied); only the POSIX extensions keep it. */
	int (*mkdir)(struct smb_client *cl, const char *path, mode_t mode, struct smb_attr *attr_out);
	int (*rmdir)(struct smb_client *cl, const char *path);
	/* flags: SMB_UNLINK_OPEN when this mount still has the file open (see below). */
	int (*unlink)(struct smb_client *cl, const char *path, unsigned flags);
	/* Rename from -> to, replacing an existing file at to unless SMB_RENAME_NOREPLACE (then -EEXIST). */
	int (*rename)(struct smb_client *cl, const char *from, const char *to, unsigned flags);
	int (*statfs)(struct smb_client *cl, struct smb_statfs *out);
	/* The previous versions the server keeps of path (FSCTL_SRV_ENUMERATE_SNAPSHOTS): "@GMT-...\n" lines
	 * in *out (malloc'd, NUL-terminated; free()); returns their number. NULL op: the dialect has none. */
	int (*snapshots)(struct smb_client *cl, const char *path, char **out);
	/* Hard link: a new name to for the file from, which stays. -EEXIST when to exists (never replaced),
	 * -EPERM for a directory or a server without hard links. attr_out (may be NULL): the file's
	 * attributes after the link, nlink included. */
	int (*link)(struct smb_client *cl, const char *from, const char *to, struct smb_attr *attr_out);
	/* Symbolic links, whatever keeps them (mfsymlinks files today; native ones where the server can). The
	 * target is POSIX text, '/'-separated, stored as given and never followed here. symlink: -EEXIST when
	 * path exists, -ENAMETOOLONG for a target the form cannot hold; attr_out (may be NULL) as lstat sees the
	 * link. readlink: the target in a new NUL-terminated string (*out, free()); -EINVAL when path is not a
	 * symlink. NULL ops: this mount keeps no symlinks (the glue says EPERM and why). */
	int (*symlink)(struct smb_client *cl, const char *target, const char *path, struct smb_attr *attr_out);
	int (*readlink)(struct smb_client *cl, const char *path, char **out);
	/* A fifo, socket or device (mode's type S_IFIFO, S_IFSOCK, S_IFCHR or S_IFBLK, and its 07777 bits;
	 * major and minor for a device), where the server keeps them (NFS reparse points with the POSIX
	 * extensions). -EEXIST when path exists; attr_out (may be NULL) as lstat sees it. NULL: none here. */
	int (*mknod)(struct smb_client *cl, const char *path, mode_t mode, uint32_t major, uint32_t minor,
		     struct smb_attr *attr_out);

	/* ---- cache coherence (all optional; NULL means the dialect offers none of it) ---- */
	/* Register the glue's event handler (see above), before any other op; a handler with event NULL
	 * unregisters it, and no event is running or will run once that call returns. */
	void (*set_events)(struct smb_client *cl, const struct smb_events *ev);
	/* SMB_CACHE_* bits a lease or oplock grants this client for path right now; no round trip. */
	unsigned (*cached)(struct smb_client *cl, const char *path);
	/* Ask to hear of changes in directory path (SMB_EV_ENTRY/SMB_EV_DIR) until its watch ends. Returns 1
	 * when a watch holds (new or existing), 0 when none can (watch table full, not supported), or a
	 * negative errno. A watch ends with an SMB_EV_DIR event. */
	int (*watch)(struct smb_client *cl, const char *path);
	/* Append "name value" lines of the client's counters to buf (at most len bytes, NUL-terminated);
	 * returns the length written. */
	size_t (*stats)(struct smb_client *cl, char *buf, size_t len);

	/* ---- byte-range locks (issue 12; doc/locks.md). NULL: the dialect has none. ---- */
	/* Lock len bytes at off (len 0 is -EINVAL; off + len may reach 2^64 - 1) for fh: SMB locks belong to
	 * the handle, and are mandatory for other handles' reads and writes. flags: SMB_LOCK_EXCL (else shared),
	 * SMB_LOCK_WAIT (wait at the server until granted; an interrupted caller gets -EINTR and the lock is
	 * then not held). -EAGAIN: another holder conflicts (without SMB_LOCK_WAIT). Locks of one handle
	 * stack: each is released by an unlock of the same off and len, or by close. After a reconnect the
	 * handle's locks are taken again; if one cannot be, every later use of fh fails with -EIO. */
	int (*lock)(struct smb_client *cl, struct smb_fh *fh, uint64_t off, uint64_t len, unsigned flags);
	int (*unlock)(struct smb_client *cl, struct smb_fh *fh, uint64_t off, uint64_t len);

	/* ---- sparse files and preallocation (issue 12). NULL: the dialect has none (-EOPNOTSUPP). ---- */
	/* fallocate(2) of len bytes (> 0) at off on fh, opened for writing. mode 0: the file grows to off + len
	 * if shorter, and the server is asked to allocate up to there; SMB_FALLOC_KEEP_SIZE: the size stays.
	 * SMB_FALLOC_PUNCH (always with KEEP_SIZE): the range is deallocated and reads as zeros (the file is
	 * made sparse first). SMB_FALLOC_ZERO: the range reads as zeros, and the file grows unless KEEP_SIZE.
	 * Writes gathered under a Write lease go out first, so none lands after. -EOPNOTSUPP: the server
	 * refuses (logged). */
	int (*fallocate)(struct smb_client *cl, struct smb_fh *fh, unsigned mode, uint64_t off, uint64_t len);
	/* lseek(2) SEEK_DATA / SEEK_HOLE (whence) from off: the offset of the next data, or of the next hole
	 * (the end of the file is one), in *out. -ENXIO when off is at or past the end of the file, or for
	 * SEEK_DATA when only holes follow. A server that cannot tell (no FSCTL_QUERY_ALLOCATED_RANGES) makes
	 * the whole file data. */
	int (*seek)(struct smb_client *cl, struct smb_fh *fh, uint64_t off, int whence, uint64_t *out);

	/* copy_file_range(2): the server copies up to len bytes of src at src_off to dst at dst_off (both files
	 * of this share), never past src's end of file; returns the bytes copied (0 at src's end of file), a
	 * short count when the copy stopped part way. Writes gathered for either file go out first. dst's
	 * attributes cached under its lease are dropped. -EOPNOTSUPP: the server refuses (logged); the caller
	 * copies with read and write instead. NULL: the dialect has none. */
	ssize_t (*copy_range)(struct smb_client *cl, struct smb_fh *src, uint64_t src_off, struct smb_fh *dst,
			      uint64_t dst_off, uint64_t len);

	/* ---- extended attributes (SMB EAs, MS-FSCC 2.4.15; issue 12). NULL: the dialect has none. ---- */
	/* Call fn for every EA of path, in the server's order (0 and no call for a file without any). -EIO
	 * for an answer that does not decode; -E2BIG when they take more than the 4 MiB this client reads. */
	int (*list_eas)(struct smb_client *cl, const char *path, smb_ea_fn fn, void *arg);
	/* Set EA name of path to len bytes of value (at most 65535), or remove it with len 0 (removing a
	 * missing EA succeeds). name: printable ASCII, 1 to 255 bytes (else -EINVAL, -ENAMETOOLONG). The
	 * server matches names without regard to case and keeps the case an existing EA has (Samba
	 * canonicalize_ea_name). -ENOSPC when the server's file system has no room for it. */
	int (*set_ea)(struct smb_client *cl, const char *path, const char *name, const void *value, size_t len);

	/* ---- security descriptors (MS-DTYP 2.4.6, self-relative; issue 12). NULL: none. ---- */
	/* secinfo: the SMB_SECINFO_* parts to read or set. get_sd: the descriptor in a new buffer (*out,
	 * free()), checked to be well-formed (-EIO otherwise); reading the SACL needs a privilege at the
	 * server (-EACCES/-EPERM without). set_sd: -EINVAL for a descriptor whose offsets or lengths leave
	 * its len bytes (nothing is sent); the server applies only the secinfo parts. */
	int (*get_sd)(struct smb_client *cl, const char *path, uint32_t secinfo, void **out, size_t *len);
	int (*set_sd)(struct smb_client *cl, const char *path, uint32_t secinfo, const void *sd, size_t len);
};

/* ops->fallocate mode */
#define SMB_FALLOC_KEEP_SIZE 0x1
#define SMB_FALLOC_PUNCH 0x2
#define SMB_FALLOC_ZERO 0x4

/* Parts of a security descriptor (MS-DTYP 2.4.7 SECURITY_INFORMATION bits). */
#define SMB_SECINFO_OWNER 0x1u
#define SMB_SECINFO_GROUP 0x2u
#define SMB_SECINFO_DACL 0x4u
#define SMB_SECINFO_SACL 0x8u

/* ops->lock flags */
#define SMB_LOCK_EXCL 0x1
#define SMB_LOCK_WAIT 0x2

/* Everything needed to reach and authenticate to one share. Strings are borrowed for the call of
 * smb_client_new only; the client copies what it keeps. */
struct smb_client_cfg {
	const char *host;
	uint16_t port;	     /* 0: 445 */
	const char *share;   /* share name, no slashes */
	const char *subdir;  /* optional path inside the share, '/'-separated, may be NULL */
	const char *user;    /* NULL or "" with guest */
	/* MD4(UTF-16LE(password)), 16 bytes (auth.h ntlm_nt_hash): all NTLM needs, so no password reaches the
	 * client. Copied into secret memory (secret.h). NULL: the empty password. */
	const uint8_t *nt_hash;
	const char *domain;
	const char *workstation; /* NULL: the local host name */
	bool guest;
	bool sign;		    /* require signing even if the server does not */
	uint16_t min_dialect;	    /* 0: lowest we support; SMB_DIALECT_SMB1 for both: SMB1 only (vers=1.0) */
	uint16_t max_dialect;	    /* 0: highest we support (vers=3.1.1 sets both) */
	bool ntlmv1;		    /* sec=ntlm: NTLMv1 logon, SMB1 only */
	int connect_timeout_ms;	    /* 0: 10 s */
	int request_timeout_ms;	    /* 0: twice connect_timeout_ms */
	int echo_interval_ms;	    /* 0: 60 s; a silent server is dropped after about twice this */
	bool hard;		    /* wait for an unreachable server instead of failing requests */
	bool seal;		    /* encrypt every request (SMB 3.x) */
	/* cache=none: ask for no lease or oplock, keep no closed handle, watch no directory. Nothing is cached
	 * anyway, and a lease held for nothing only makes other clients wait for our breaks. */
	bool no_leases;
	/* mfsymlinks: symlinks are Minshall+French files (links.h), as the kernel client's mfsymlinks. */
	bool mfsymlinks;
	const char *addr;	    /* address to connect to; host still names the server (UNC, SPN) */
	int name_map;		    /* enum name_map (namemap.h): how : ? * etc. are stored; 0 is SFM (mapposix) */
	uint32_t rsize, wsize;	    /* caps on READ/WRITE sizes; 0: what the server offers */
	/* NetBIOS (RFC 1001/1002). The session service is used on port 139, or on any port with netbios;
	 * called (servern=) defaults to the host's first label ("*SMBSERVER" for an address), calling
	 * (netbiosname=) to this machine's. With nbns (an address), a host name that DNS does not know is
	 * resolved by an NBNS query to it (nbns_port, 0: 137). */
	bool netbios;
	const char *netbios_called;
	const char *netbios_calling;
	const char *nbns;
	uint16_t nbns_port;
	/* noposix: do not offer the SMB 3.1.1 POSIX extensions. Otherwise they are used when the server
	 * offers them (Samba 4.22 with `smb3 unix extensions = yes`). */
	bool noposix;
	/* nodfs: a share root or subdir the server answers STATUS_PATH_NOT_COVERED for is an error (-EREMOTE),
	 * as the server presents it; otherwise the source is resolved through DFS referrals (dfs_mount.c), and
	 * on a DFS share (SMB2/3) links below the mounted directory are followed too (dfs_router.c). */
	bool nodfs;
	/* A browse mount (share NULL or ""): list the disk shares whose names end in '$' too (browse_hidden). */
	bool browse_hidden;
	/* dfsttl=: keep a referral at most this many seconds, whatever TTL the server gave (0: the server's). */
	uint32_t dfs_ttl_max;
	/* snapshot=: open every file as it was at this time (FILETIME, UTC) through SMB2_CREATE_TIMEWARP_TOKEN
	 * (MS-SMB2 2.2.13.2.7): a read-only view of that previous version. 0: the live share. SMB2/3 only. */
	uint64_t snapshot;
	/* ciphers=: the SMB 3.1.1 ciphers to offer, in order (SMB2_ENCRYPTION_* ids); nciphers 0: the default
	 * (AES-128-GCM, AES-128-CCM, AES-256-GCM, AES-256-CCM, as Windows offers them). */
	uint16_t ciphers[4];
	int nciphers;
	/* sec=krb5/krb5i: log on with Kerberos only (auth.h AUTH_MECH_KRB5; SMB2/3): the ticket comes from the
	 * cache krb5_ccache (NULL: the default, KRB5CCNAME), or from the client keytab krb5_keytab for the
	 * principal user (NULL: the keytab's first). nt_hash is unused then. */
	bool krb5;
	const char *krb5_ccache, *krb5_keytab;
};

/*
 * Connect, negotiate, authenticate, tree connect. On failure returns a negative errno and, if errbuf is
 * not NULL, a one-line human explanation ("logon failure: wrong user name or password", "share not
 * found", ...). *out is NULL on failure; on success free it with smb_client_free().
 */
int smb_client_new(const struct smb_client_cfg *cfg, struct smb_client **out, char *errbuf, size_t errlen);
void smb_client_free(struct smb_client *cl);

/* One share of a server's list (smb_list_shares). */
struct smb_share {
	char *name;	/* UTF-8 */
	uint32_t type;	/* MS-SRVS shi1_type: STYPE_DISKTREE 0, PRINTQ 1, DEVICE 2, IPC 3; 0x80000000 = a $ share */
	char *comment;	/* UTF-8, "" when the server has none */
};
/*
 * The shares of cfg->host (cfg->share and subdir are not used), as `smbclient -L` lists them: a logon
 * with cfg's credentials, a tree connect to IPC$ and srvsvc NetrShareEnum level 1 over \PIPE\srvsvc
 * (DCE/RPC over SMB2 IOCTL FSCTL_PIPE_TRANSCEIVE and READ, or SMB1 TRANS_TRANSACT_NMPIPE and READ_ANDX
 * for vers=1.0 or a server that picks SMB1 in the default's negotiate). On success *out is an array of *n entries for smb_shares_free; on failure a negative errno
 * (-EACCES: logon failed or the server refused the listing) and a one-line reason in errbuf.
 */
int smb_list_shares(const struct smb_client_cfg *cfg, struct smb_share **out, size_t *n, char *errbuf,
		    size_t errlen);
void smb_shares_free(struct smb_share *s, size_t n);
const struct smb_ops *smb_client_ops(const struct smb_client *cl);
/* Human-readable "SMB 3.1.1, signed" for the log line after mounting. */
const char *smb_client_describe(const struct smb_client *cl);
/*
 * Whether the mount runs with the SMB 3.1.1 POSIX extensions (decided at negotiate, fixed for the
 * client's life). Then every smb_attr carries a real mode, owner and group (SMB_ATTR_HAS_MODE), names are
 * case-sensitive, and setattr takes SMB_SET_MODE / SMB_SET_UID / SMB_SET_GID.
 */
bool smb_client_posix(const struct smb_client *cl);

#endif
