/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Private to the SMB2/3 operations table: compounds under construction (smb2_cmp.c), shared by the path
 * and handle operations (smb2_ops.c) and read and write (smb2_io.c). Not the wire codecs' src/wire/smb2_i.h.
 */
#ifndef SMBFUSE_SMB2_PROTO_I_H
#define SMBFUSE_SMB2_PROTO_I_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "proto_i.h"
#include "smbfuse/smb2.h"

#define CMP_MAX 8
/* FileId 0xFFFF...FFFF: "the file just opened" by the CREATE before it in the compound (MS-SMB2 3.2.4.1.4). */
#define FID_RELATED ((struct smb2_fid){SMB2_FID_RELATED, SMB2_FID_RELATED})

/* A compound (or single request) under construction; bodies are owned here until cmp_free. */
struct cmp {
	struct conn_msg m[CMP_MAX];
	struct wbuf w[CMP_MAX];
	int n;
	uint64_t gen;
	uint64_t want_gen; /* non-zero: the requests carry FileIds of this generation; sent on no other (-ESTALE) */
	struct smb_client *cl; /* borrowed: whether CREATEs carry the POSIX context, which info class to ask */
	uint32_t mode;	       /* st_mode a CREATE of this compound gives what it creates (POSIX only); 0 */
	/* A CREATE without a file lease asks for a Read+Handle directory lease under this key (watch.c); NULL */
	const uint8_t *dir_lease_key;
	/* A CREATE of this compound named a previous version by an @GMT component: the answers' file ids are
	 * zeroed (attr_from_all_info), since a snapshot's file may carry the live file's id (hard links). */
	bool snap;
};

/* smb2_cmp.c: an empty compound for cl (nothing to free yet). */
void cmp_init(struct cmp *c, struct smb_client *cl);
/* Append one request of command cmd and return its body to encode into (owned by c); the CreditCharge is
 * for payload bytes, and every request after the first is related. At most CMP_MAX. */
struct wbuf *cmp_add(struct cmp *c, uint16_t cmd, uint32_t payload);
/* Free the bodies and answers; c is empty again. */
void cmp_free(struct cmp *c);
/* Send c and wait for every answer (c->m[i].rsp, owned by c; c->gen gets the session generation). A body
 * whose encoding failed is reported without sending. idempotent: resent once if the connection died under
 * it. Returns a transport error; statuses are cmp_errno's. */
int cmp_send(struct smb_client *cl, struct cmp *c, bool idempotent);
/* The first failing status of the compound as an errno, 0 if all succeeded; *failed_at (may be NULL) gets
 * the index of that request. */
int cmp_errno(const struct cmp *c, int *failed_at);
/* The status of c->m[i] alone as an errno (0: success or STATUS_BUFFER_OVERFLOW). */
int cmp_errno_at(const struct cmp *c, int i);

/* Append a CREATE of wpath: with a QUERY_ON_DISK_ID context when qfid, and l's lease (or batch oplock)
 * request when lease is not NULL (then cl is needed). With the POSIX extensions every CREATE carries the
 * POSIX context with c->mode (Samba then opens with POSIX semantics and answers nlink, mode and owner).
 * An encoding error surfaces at cmp_send. */
void add_create_lease(struct smb_client *cl, struct cmp *c, const char *wpath, uint32_t access,
		      uint32_t disposition, uint32_t options, bool qfid, struct lease *lease);
/* The same with the ShareAccess given (add_create_lease shares read, write and delete). */
void add_create_share(struct smb_client *cl, struct cmp *c, const char *wpath, uint32_t access,
		      uint32_t disposition, uint32_t options, bool qfid, struct lease *lease, uint32_t share);
/* A handle's durable request (MS-SMB2 3.2.4.3.10/11) or, with reconnect, the reconnect of its old FileId
 * (3.2.4.4): version 2 (DH2Q/DH2C, with create_guid) or 1 (DHnQ/DHnC). */
struct durable_req {
	int version;
	bool reconnect;
	struct smb2_fid fid;
	const uint8_t *create_guid;
};
/* add_create_lease with dh's context too, and no QFid with a reconnect (Samba refuses any context but the
 * lease beside DH2C, MS-SMB2 3.3.5.9.12). */
void add_create_durable(struct smb_client *cl, struct cmp *c, const char *wpath, uint32_t access,
			uint32_t disposition, uint32_t options, bool qfid, struct lease *lease,
			const struct durable_req *dh);
/* A CREATE without lease or contexts, for the compounds that hold a handle only briefly. */
void add_create(struct cmp *c, const char *wpath, uint32_t access, uint32_t disposition, uint32_t options);
/* Append a CLOSE, QUERY_INFO (type, class, output buffer len) or SET_INFO of class cls on fid (FID_RELATED
 * for the CREATE before). SET_INFO's payload the caller encodes into a scratch wbuf it frees after cmp_send. */
void add_close(struct cmp *c, struct smb2_fid fid);
void add_query(struct cmp *c, struct smb2_fid fid, uint8_t type, uint8_t cls, uint32_t len);
void add_set_info(struct cmp *c, struct smb2_fid fid, uint8_t cls, const struct wbuf *payload);
/* SET_INFO of any InfoType (SMB2_0_INFO_SECURITY with its AdditionalInformation, ...). */
void add_set_info_type(struct cmp *c, struct smb2_fid fid, uint8_t type, uint8_t cls, uint32_t addl,
		       const struct wbuf *payload);
/* QUERY_INFO of a file's attributes: FilePosixInformation with the POSIX extensions, else
 * FileAllInformation for a file whose wire path is wlen bytes: that answer carries the name, so the buffer
 * is sized from it (Samba refuses a name too long for it with STATUS_ILLEGAL_CHARACTER). */
void add_query_all(struct cmp *c, struct smb2_fid fid, size_t wlen);
/* A WRITE of len bytes at off (data borrowed until the compound is freed), and its answer: the errno of
 * its status, the count written in *count. */
void add_write(struct cmp *c, struct smb2_fid fid, const uint8_t *data, uint32_t len, uint64_t off);
int cmp_write_count(const struct cmp *c, int i, uint32_t *count);

/* What every SMB2 answer that describes a file carries (CREATE, FileAllInformation, FilePosixInformation,
 * directory entries): a is cleared, then given the four FILETIMEs (creation, last access, last write,
 * change), EndOfFile, AllocationSize and FileAttributes. */
void attr_fill(struct smb_attr *a, uint64_t cr, uint64_t ac, uint64_t wr, uint64_t ch, uint64_t eof, uint64_t alloc,
	       uint32_t attrs);
/* out from the answer c->m[i] to add_query_all; -EIO if it does not decode. file_id is 0 when c->snap. */
int attr_from_all_info(const struct cmp *c, int i, struct smb_attr *out);
/* The POSIX part (nlink, mode, owner, group) of a create response's POSIX context or info class. */
void attr_from_posix(struct smb_attr *a, const struct smb2_posix_cc *cc);

/* Append an IOCTL with SMB2_0_IOCTL_IS_FSCTL (smb2_fsctl.c): code on fid, in_len bytes of input, up to
 * max_out bytes of output asked for. */
void cmp_add_fsctl(struct cmp *c, struct smb2_fid fid, uint32_t code, const void *in, uint32_t in_len,
		   uint32_t max_out);
/* The work of a path op, appended between its CREATE and CLOSE (on FID_RELATED). */
typedef void (*work_fn)(struct cmp *c, const void *arg);
/*
 * Path op of the shape CREATE + <work> + CLOSE in one compound, sent and waited for (see smb2_cmp.c). 0 or
 * the first failing status as an errno; c->m[1...] hold the work's answers. c is initialised whatever the
 * outcome, even when path is refused: the caller cmp_frees it.
 */
int path_compound(struct smb_client *cl, const char *path, uint32_t access, uint32_t disposition, uint32_t options,
		  work_fn work, const void *arg, bool idempotent, struct cmp *c);
/* The same for a path already in wire form (hidden.c's names, which proto_wire_path refuses). */
int wpath_compound(struct smb_client *cl, const char *wpath, uint32_t access, uint32_t disposition, uint32_t options,
		   work_fn work, const void *arg, bool idempotent, struct cmp *c);
/* The same with the CREATE's ShareAccess given (wpath_compound shares read, write and delete). */
int wpath_compound_share(struct smb_client *cl, const char *wpath, uint32_t access, uint32_t disposition,
			 uint32_t options, uint32_t share, work_fn work, const void *arg, bool idempotent, struct cmp *c);

/* smb2_pre.c: small files read with their open (essay there). smb2_pre_add appends a READ of the file's
 * start on FID_RELATED to c, after its CREATE, and gives the epoch the data will belong to (false: not
 * now, c unchanged). smb2_pre_take keeps the answer m to it (NULL: failed, or nothing to keep; logged);
 * the result goes into fh->pre before fh is shared, and smb2_pre_drop frees it (closing or parking fh).
 * smb2_pre_or_read is ops->read: from fh->pre while it may answer (smb2_pre_read; -EAGAIN when not),
 * else smb2_read. */
struct smb2_pre;
bool smb2_pre_add(struct smb_client *cl, struct cmp *c, uint64_t *epoch);
struct smb2_pre *smb2_pre_take(struct smb_client *cl, const struct conn_msg *m, uint64_t epoch);
void smb2_pre_drop(struct smb_client *cl, struct smb_fh *fh);
ssize_t smb2_pre_read(struct smb_client *cl, struct smb_fh *fh, void *buf, size_t size, uint64_t off);
ssize_t smb2_pre_or_read(struct smb_client *cl, struct smb_fh *fh, void *buf, size_t size, uint64_t off);

/* smb2_snap.c: ops->snapshots. */
int smb2_snapshots(struct smb_client *cl, const char *path, char **out);

/* smb2_io.c: ops->read, ->write, ->fsync and ->fstat. */
#define STALE_TRIES 4 /* a request meeting this many reconnects in a row fails (EIO) */
/* One request of a batch kept in flight together (READ, WRITE, COPYCHUNK_WRITE): m's body is w. */
struct io_piece {
	struct conn_msg m;
	struct wbuf w;
	size_t off; /* into the caller's buffer (a copy: into the copied range) */
	uint32_t len;
	uint64_t risk_gen; /* a WRITE: may have reached the server's open of this generation; 0: never sent */
};
/*
 * Submit every piece, then wait for all, up to the request timeout; g, if not NULL, counts them while in
 * flight. Pieces whose submit failed count as done with that error. 0: p is the caller's to read and free
 * (io_free). -ETIMEDOUT, or -EINTR/-ESHUTDOWN (cancel.h): p is no longer the caller's; the last answer
 * frees it, so no buffer goes while the server may still answer.
 */
int io_run(struct smb_client *cl, struct io_piece *p, int n, uint64_t gen, struct io_gauge *g);
void io_free(struct io_piece *p, int n);
/* Errno of one finished piece: transport error, else NTSTATUS. */
int piece_errno(const struct io_piece *p);
ssize_t smb2_read(struct smb_client *cl, struct smb_fh *fh, void *buf, size_t size, uint64_t off);
ssize_t smb2_write(struct smb_client *cl, struct smb_fh *fh, const void *buf, size_t size, uint64_t off);
int smb2_fsync(struct smb_client *cl, struct smb_fh *fh);
/* One request on fh's FileId, appended by add (with arg), sent and waited for: resent with the new FileId
 * when a reconnect came between (a few times, then -EIO). 0 or the status as an errno (STATUS_BUFFER_OVERFLOW
 * counts as success: c->m[0].rsp_hdr.status tells). c is initialised whatever the outcome: the caller frees
 * it. */
typedef void (*fid_add_fn)(struct cmp *c, struct smb2_fid fid, const struct smb_fh *fh, const void *arg);
int fid_simple(struct smb_client *cl, struct smb_fh *fh, fid_add_fn add, const void *arg, struct cmp *c);
/* smb2_fsctl.c: ops->fallocate and ->seek (FSCTL_SET_SPARSE, _SET_ZERO_DATA, _QUERY_ALLOCATED_RANGES);
 * smb2_fsctl sends one FSCTL on fh with the input in (its encoding error, if any, is returned unsent) and
 * room for max_out bytes of output, as fid_simple: c holds the answer, whatever the outcome. */
int smb2_fsctl(struct smb_client *cl, struct smb_fh *fh, uint32_t code, const struct wbuf *in, uint32_t max_out,
	       struct cmp *c);
int smb2_fallocate(struct smb_client *cl, struct smb_fh *fh, unsigned mode, uint64_t off, uint64_t len);
int smb2_seek(struct smb_client *cl, struct smb_fh *fh, uint64_t off, int whence, uint64_t *out);
/* smb2_copy.c: ops->copy_range (FSCTL_SRV_REQUEST_RESUME_KEY, FSCTL_SRV_COPYCHUNK_WRITE). */
ssize_t smb2_copy_range(struct smb_client *cl, struct smb_fh *src, uint64_t src_off, struct smb_fh *dst,
			uint64_t dst_off, uint64_t len);
/* smb2_lock.c: ops->lock and ops->unlock; smb2_relock takes l again on the FileId at ctx (plock_relock_fn). */
int smb2_lock(struct smb_client *cl, struct smb_fh *fh, uint64_t off, uint64_t len, unsigned flags);
int smb2_unlock(struct smb_client *cl, struct smb_fh *fh, uint64_t off, uint64_t len);
int smb2_relock(struct smb_client *cl, void *ctx, const struct plock *l);
int smb2_fstat(struct smb_client *cl, struct smb_fh *fh, struct smb_attr *out);

/* smb2_xattr.c: ops->list_eas, ->set_ea, ->get_sd and ->set_sd. */
int smb2_list_eas(struct smb_client *cl, const char *path, smb_ea_fn fn, void *arg);
int smb2_set_ea(struct smb_client *cl, const char *path, const char *name, const void *value, size_t len);
int smb2_get_sd(struct smb_client *cl, const char *path, uint32_t secinfo, void **out, size_t *len);
int smb2_set_sd(struct smb_client *cl, const char *path, uint32_t secinfo, const void *sd, size_t len);
/* smb2_ns.c: ops->mkdir, ->rmdir, ->unlink, ->rename, ->link; smb2_sweep_delete deletes one of our hidden
 * names (hidden.c) found by a listing. */
int smb2_mkdir(struct smb_client *cl, const char *path, mode_t mode, struct smb_attr *attr_out);
int smb2_rmdir(struct smb_client *cl, const char *path);
int smb2_unlink(struct smb_client *cl, const char *path, unsigned flags);
int smb2_rename(struct smb_client *cl, const char *from, const char *to, unsigned flags);
int smb2_link(struct smb_client *cl, const char *from, const char *to, struct smb_attr *attr_out);
int smb2_sweep_delete(struct smb_client *cl, const char *wpath);
/* smb2_ops.c: ops->stat and ->setattr (smb2_ns.c clears READONLY with it), a path's wire length in bytes. */
int smb2_stat(struct smb_client *cl, const char *path, struct smb_attr *out);
int smb2_setattr(struct smb_client *cl, const char *path, struct smb_fh *fh, const struct smb_setattr *sa,
		 struct smb_attr *attr_out);
size_t smb2_wire_len(const struct smb_client *cl, const char *path);

#endif
