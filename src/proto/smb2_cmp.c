/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SMB2 compounds (MS-SMB2 3.2.4.1.4), the requests smb2_ops.c and smb2_io.c build, and what they decode.
 *
 * Compounds. Whatever needs a handle only briefly (stat, mkdir, unlink, rename, setattr by path, statfs)
 * is one compound: CREATE, then the work on FileId 0xFFFF...FFFF ("the file just opened", MS-SMB2
 * 3.2.4.1.4), then CLOSE, with SMB2_FLAGS_RELATED_OPERATIONS on all but the first. One round trip instead
 * of three, and no handle can leak if the client dies between the requests: the server closes it as
 * part of the same compound. When CREATE fails, the server fails the related requests with the same status
 * (3.3.5.2.7.2), so the first non-success status is the answer.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "smb2_proto_i.h"
#include "smbfuse/err.h"
#include "smbfuse/log.h"
#include "smbfuse/smb2.h"
#include "smbfuse/util.h"

#define SHARE_ALL (FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE)

void cmp_init(struct cmp *c, struct smb_client *cl)
{
	memset(c, 0, sizeof(*c));
	c->cl = cl;
}

struct wbuf *cmp_add(struct cmp *c, uint16_t cmd, uint32_t payload)
{
	int i = c->n++;
	wbuf_init(&c->w[i], 0);
	c->m[i].hdr.command = cmd;
	c->m[i].hdr.credit_charge = (uint16_t)MAX(1u, (payload + 65535) / 65536);
	if (i > 0)
		c->m[i].hdr.flags = SMB2_FLAGS_RELATED_OPERATIONS;
	return &c->w[i];
}

void cmp_free(struct cmp *c)
{
	for (int i = 0; i < c->n; i++) {
		wbuf_free(&c->w[i]);
		free(c->m[i].rsp);
		c->m[i].rsp = NULL;
	}
	c->n = 0;
}

/*
 * Send and wait. Read-only requests are resent once when the connection died under them, since running
 * them twice is harmless; others report the loss.
 */
int cmp_send(struct smb_client *cl, struct cmp *c, bool idempotent)
{
	for (int i = 0; i < c->n; i++) {
		int rc = wbuf_err(&c->w[i]);
		if (rc < 0)
			return rc;
		c->m[i].body = c->w[i].p;
		c->m[i].body_len = c->w[i].len;
	}
	for (int i = 0; i < c->n; i++)
		stat_cmd(cl, c->m[i].hdr.command);
	c->gen = c->want_gen;
	int rc = sess_call(cl->sess, c->m, c->n, &c->gen);
	if (rc == -ECONNRESET && idempotent) {
		for (int i = 0; i < c->n; i++)
			stat_cmd(cl, c->m[i].hdr.command);
		for (int i = 0; i < c->n; i++) {
			free(c->m[i].rsp);
			c->m[i].rsp = NULL;
		}
		c->gen = c->want_gen;
		rc = sess_call(cl->sess, c->m, c->n, &c->gen);
	}
	return rc;
}

int cmp_errno_at(const struct cmp *c, int i)
{
	uint32_t st = c->m[i].rsp_hdr.status;
	if (st == STATUS_SUCCESS || st == STATUS_BUFFER_OVERFLOW)
		return 0;
	int e = ntstatus_to_errno(st);
	log_dbg("%s: %s", smb2_command_name(c->m[i].hdr.command), ntstatus_name(st));
	return e ? e : -EIO;
}

/* The first failing status of the compound as an errno, 0 if all succeeded. */
int cmp_errno(const struct cmp *c, int *failed_at)
{
	for (int i = 0; i < c->n; i++) {
		int e = cmp_errno_at(c, i);
		if (e < 0) {
			if (failed_at)
				*failed_at = i;
			return e;
		}
	}
	return 0;
}

void add_create_lease(struct smb_client *cl, struct cmp *c, const char *wpath, uint32_t access,
		      uint32_t disposition, uint32_t options, bool qfid, struct lease *lease)
{
	add_create_share(cl, c, wpath, access, disposition, options, qfid, lease, SHARE_ALL);
}

static void add_create_ctx(struct smb_client *cl, struct cmp *c, const char *wpath, uint32_t access,
			   uint32_t disposition, uint32_t options, bool qfid, struct lease *lease, uint32_t share,
			   const struct durable_req *dh)
{
	/* A previous version by path: the token leaves the name for a TWrp context, and nothing may change. */
	char *plain = NULL;
	uint64_t twrp = c->cl ? c->cl->snapshot : 0;
	int snap = c->cl ? proto_snap_split(wpath, c->cl->posix ? '/' : '\\', &plain, &twrp) : 0;
	if (snap == 1 && proto_snap_writes(access, disposition, options)) {
		log_warn("%s: a previous version (@GMT) is read-only", wpath);
		snap = -EROFS;
	}
	if (snap < 0) {
		struct wbuf *w = cmp_add(c, SMB2_CREATE, 0);
		if (!w->err)
			w->err = snap;
		free(plain);
		return;
	}
	if (snap == 1) {
		wpath = plain;
		c->snap = true;
	}
	struct wbuf ctx;
	size_t prev = SIZE_MAX;
	wbuf_init(&ctx, 0);
	if (qfid)
		smb2_create_ctx_add(&ctx, &prev, SMB2_CREATE_QUERY_ON_DISK_ID, NULL, 0);
	if (lease)
		smb2_lease_ctx(cl, lease, &ctx, &prev);
	else if (c->dir_lease_key) /* MS-SMB2 3.2.4.3.8: a directory is leased Read+Handle, never Write */
		smb2_create_ctx_add_lease(&ctx, &prev, c->dir_lease_key,
					  SMB2_LEASE_READ_CACHING | SMB2_LEASE_HANDLE_CACHING, NULL, 0, 2);
	if (dh && dh->reconnect)
		smb2_create_ctx_add_reconnect(&ctx, &prev, dh->version, dh->fid, dh->create_guid);
	else if (dh)
		smb2_create_ctx_add_durable(&ctx, &prev, dh->version, dh->create_guid);
	if (twrp) {
		uint8_t t[8];
		put_le64(t, twrp);
		smb2_create_ctx_add(&ctx, &prev, SMB2_CREATE_TIMEWARP_TOKEN, t, sizeof(t));
	}
	if (c->cl && c->cl->posix) {
		smb2_create_ctx_add_posix(&ctx, &prev, c->mode);
		/* Samba 4.22 checks a POSIX open against the ACL it derives from the mode, where only read
		 * permission grants SYNCHRONIZE: a stat of a mode-0 file would be refused. SMB has no use for it. */
		access &= ~SYNCHRONIZE;
	}
	uint8_t level = SMB2_OPLOCK_LEVEL_NONE;
	if (lease) /* no leasing (2.0.2): a batch oplock stands in for Read+Write+Handle */
		level = lease_is_oplock(lease) ? SMB2_OPLOCK_LEVEL_BATCH : SMB2_OPLOCK_LEVEL_LEASE;
	else if (c->dir_lease_key)
		level = SMB2_OPLOCK_LEVEL_LEASE;
	struct smb2_create_req req = {
		.oplock_level = level,
		.impersonation = SMB2_IMPERSONATION_IMPERSONATION,
		.desired_access = access,
		.share_access = share,
		.disposition = disposition,
		.options = options,
		.name = wpath,
		.name_len = strlen(wpath),
		.contexts = ctx.len ? ctx.p : NULL,
		.contexts_len = (uint32_t)ctx.len,
	};
	struct wbuf *w = cmp_add(c, SMB2_CREATE, 0);
	int rc = wbuf_err(&ctx) ?: smb2_create_req_encode(w, &req);
	if (rc < 0 && !w->err)
		w->err = rc;
	wbuf_free(&ctx);
	free(plain);
}

void add_create_share(struct smb_client *cl, struct cmp *c, const char *wpath, uint32_t access,
		      uint32_t disposition, uint32_t options, bool qfid, struct lease *lease, uint32_t share)
{
	add_create_ctx(cl, c, wpath, access, disposition, options, qfid, lease, share, NULL);
}

void add_create_durable(struct smb_client *cl, struct cmp *c, const char *wpath, uint32_t access,
			uint32_t disposition, uint32_t options, bool qfid, struct lease *lease,
			const struct durable_req *dh)
{
	add_create_ctx(cl, c, wpath, access, disposition, options, qfid && !(dh && dh->reconnect), lease, SHARE_ALL,
		       dh);
}

/* A CREATE without lease or contexts, for the compounds that hold a handle only briefly. */
void add_create(struct cmp *c, const char *wpath, uint32_t access, uint32_t disposition, uint32_t options)
{
	add_create_lease(NULL, c, wpath, access, disposition, options, false, NULL);
}

void add_close(struct cmp *c, struct smb2_fid fid)
{
	struct smb2_close_req req = {.fid = fid};
	smb2_close_req_encode(cmp_add(c, SMB2_CLOSE, 0), &req);
}

void add_query(struct cmp *c, struct smb2_fid fid, uint8_t type, uint8_t cls, uint32_t len)
{
	struct smb2_query_info_req req = {
		.info_type = type, .file_info_class = cls, .output_buffer_length = len, .fid = fid};
	smb2_query_info_req_encode(cmp_add(c, SMB2_QUERY_INFO, len), &req);
}

/* SET_INFO whose payload the caller encodes into a scratch wbuf first. */
void add_set_info(struct cmp *c, struct smb2_fid fid, uint8_t cls, const struct wbuf *payload)
{
	add_set_info_type(c, fid, SMB2_0_INFO_FILE, cls, 0, payload);
}

void add_set_info_type(struct cmp *c, struct smb2_fid fid, uint8_t type, uint8_t cls, uint32_t addl,
		       const struct wbuf *payload)
{
	struct smb2_set_info_req req = {.info_type = type,
					.file_info_class = cls,
					.additional_information = addl,
					.fid = fid,
					.buf = payload->p,
					.len = (uint32_t)payload->len};
	struct wbuf *w = cmp_add(c, SMB2_SET_INFO, (uint32_t)payload->len);
	int rc = wbuf_err(payload) ?: smb2_set_info_req_encode(w, &req);
	if (rc < 0 && !w->err)
		w->err = rc;
}

#define ALL_INFO_FIXED 100 /* FileAllInformation before FileName (MS-FSCC 2.4.2) */

/* FilePosixInformation: 80 bytes and two SIDs of at most 68 bytes (MS-DTYP 2.4.2). */
#define POSIX_INFO_MAX (80 + 2 * 68)

void add_write(struct cmp *c, struct smb2_fid fid, const uint8_t *data, uint32_t len, uint64_t off)
{
	int i = c->n;
	struct smb2_write_req req = {.length = len, .offset = off, .fid = fid};
	smb2_write_req_encode(cmp_add(c, SMB2_WRITE, len), &req);
	c->m[i].data = data;
	c->m[i].data_len = len;
}

int cmp_write_count(const struct cmp *c, int i, uint32_t *count)
{
	struct smb2_write_rsp r;
	*count = 0;
	int e = cmp_errno_at(c, i);
	if (e == 0 && smb2_write_rsp_decode(c->m[i].rsp, c->m[i].rsp_len, &r) < 0)
		e = -EIO;
	if (e == 0)
		*count = r.count;
	return e;
}

void add_query_all(struct cmp *c, struct smb2_fid fid, size_t wlen)
{
	if (c->cl && c->cl->posix) {
		add_query(c, fid, SMB2_0_INFO_FILE, FilePosixInformation, POSIX_INFO_MAX);
		return;
	}
	/* UTF-16 takes at most twice the UTF-8 bytes; the name has a leading '\'. Up to 64 KiB, one credit:
	 * more than CREATE's 16-bit name length can reach, and a name cut short with BUFFER_OVERFLOW decodes. */
	size_t len = MAX((size_t)4096, ALL_INFO_FIXED + 2 * (wlen + 1));
	add_query(c, fid, SMB2_0_INFO_FILE, FileAllInformation, (uint32_t)MIN(len, (size_t)65536));
}

void attr_fill(struct smb_attr *a, uint64_t cr, uint64_t ac, uint64_t wr, uint64_t ch, uint64_t eof, uint64_t alloc,
	       uint32_t attrs)
{
	memset(a, 0, sizeof(*a));
	a->size = eof;
	a->alloc_size = alloc;
	a->attrs = attrs;
	a->btime = filetime_to_timespec(cr);
	a->atime = filetime_to_timespec(ac);
	a->mtime = filetime_to_timespec(wr);
	a->ctime = filetime_to_timespec(ch);
}

void attr_from_posix(struct smb_attr *a, const struct smb2_posix_cc *cc)
{
	a->nlink = cc->nlinks;
	a->mode = cc->mode;
	a->uid = cc->uid;
	a->gid = cc->gid;
	a->has_uid = cc->has_uid;
	a->has_gid = cc->has_gid;
}

static int attr_from_posix_info(const struct conn_msg *m, struct smb_attr *out)
{
	struct smb2_query_info_rsp q;
	struct smb2_file_posix_info pi;
	int rc = smb2_query_info_rsp_decode(m->rsp, m->rsp_len, &q);
	if (rc == 0)
		rc = smb2_file_posix_info_decode(q.buf, q.len, &pi);
	if (rc < 0) {
		log_warn("server reply: FilePosixInformation of %zu bytes does not decode", m->rsp_len);
		return -EIO;
	}
	attr_fill(out, pi.creation_time, pi.last_access_time, pi.last_write_time, pi.change_time, pi.end_of_file,
		  pi.allocation_size, pi.attributes);
	out->file_id = pi.inode;
	attr_from_posix(out, &pi.cc);
	return 0;
}

/* A file seen through an @GMT path is its own inode: with hard links on the server's disk (a snapshot made
 * by `cp -al`, or one whose file system shares unchanged blocks by inode) it has the live file's id, and
 * the glue would merge both names into one inode, serving the live data and attributes for the old
 * version. The glue generates an inode number for an id of 0. */
static int attr_unsnap(const struct cmp *c, struct smb_attr *out, int rc)
{
	if (rc == 0 && c->snap)
		out->file_id = 0;
	return rc;
}

int attr_from_all_info(const struct cmp *c, int i, struct smb_attr *out)
{
	const struct conn_msg *m = &c->m[i];
	if (c->cl && c->cl->posix)
		return attr_unsnap(c, out, attr_from_posix_info(m, out));
	struct smb2_query_info_rsp q;
	struct smb2_file_all_info fa;
	int rc = smb2_query_info_rsp_decode(m->rsp, m->rsp_len, &q);
	if (rc == 0)
		rc = smb2_file_all_info_decode(q.buf, q.len, &fa);
	if (rc < 0) {
		log_warn("server reply: FileAllInformation of %zu bytes does not decode", m->rsp_len);
		return -EIO;
	}
	attr_fill(out, fa.creation_time, fa.last_access_time, fa.last_write_time, fa.change_time, fa.end_of_file,
		  fa.allocation_size, fa.attributes);
	out->nlink = fa.number_of_links;
	out->file_id = fa.index_number;
	return attr_unsnap(c, out, 0);
}

/* Path op of the shape CREATE + <work> + CLOSE. c is initialised whatever the outcome: the caller frees it. */
int wpath_compound(struct smb_client *cl, const char *wpath, uint32_t access, uint32_t disposition, uint32_t options,
		   work_fn work, const void *arg, bool idempotent, struct cmp *c)
{
	return wpath_compound_share(cl, wpath, access, disposition, options, SHARE_ALL, work, arg, idempotent, c);
}

int wpath_compound_share(struct smb_client *cl, const char *wpath, uint32_t access, uint32_t disposition,
			 uint32_t options, uint32_t share, work_fn work, const void *arg, bool idempotent, struct cmp *c)
{
	cmp_init(c, cl);
	add_create_share(cl, c, wpath, access, disposition, options, false, NULL, share);
	if (work)
		work(c, arg);
	add_close(c, FID_RELATED);
	int rc = cmp_send(cl, c, idempotent);
	return rc < 0 ? rc : cmp_errno(c, NULL);
}

int path_compound(struct smb_client *cl, const char *path, uint32_t access, uint32_t disposition, uint32_t options,
		  work_fn work, const void *arg, bool idempotent, struct cmp *c)
{
	char *wpath;
	cmp_init(c, cl);
	int rc = proto_wire_path(cl, path, &wpath);
	if (rc < 0)
		return rc;
	rc = wpath_compound(cl, wpath, access, disposition, options, work, arg, idempotent, c);
	free(wpath);
	return rc;
}
