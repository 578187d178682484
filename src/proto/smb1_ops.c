/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The SMB1 operations table (NT LM 0.12, MS-CIFS with the MS-SMB extensions): filesystem operations as
 * SMB1 requests, with the semantics and errno mapping of smb2_ops.c. The link and the requests on it are
 * smb1_link.c's, read and write smb1_io.c's, the cache's side smb1_cache.c's (essays there).
 *
 * Commands. Handles come from NT_CREATE_ANDX; data moves with READ_ANDX/WRITE_ANDX (64-bit offsets, and
 * more than 64 KiB per request with CAP_LARGE_READX/WRITEX); attributes come from TRANS2 queries at the
 * MS-FSCC pass-through levels (MS-SMB 2.2.2.3.5), so the smb2.h decoders read them; listings use
 * FIND_FIRST2/FIND_NEXT2 at SMB_FIND_FILE_ID_FULL_DIRECTORY_INFO, whose entries carry every attribute, so
 * `ls -l` sends no request per file. SMB1 has no compounds: what SMB2 does in one round trip may take two.
 *
 * Reconnects. A link is one smb1_sess (connection, UID, TID) and its generation. When the connection dies the
 * next request builds a new link (smb1_link.c) under the state lock (the others wait on the lock), and handles
 * reopen themselves by path on first use when their generation is stale, as in smb2_ops.c. A retired link is
 * freed by its last user. Requests that never left (-ENOTCONN) are retried once on the new link, read-only ones
 * also when the connection died under them (-ECONNRESET). A rebuild that fails is handled as over SMB2 (struct
 * sess_outage): soft fails with a backoff, hard waits for the server. A new link voids every oplock
 * (pcache_rebuilt).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "smb1_proto_i.h"
#include "smbfuse/cancel.h"
#include "smbfuse/err.h"
#include "smbfuse/log.h"
#include "smbfuse/secret.h"
#include "smbfuse/smb1.h"
#include "smbfuse/smb1_session.h"
#include "smbfuse/smb2.h"
#include "smbfuse/util.h"

#define SHARE_ALL (FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE)
#define SEARCH_ALL 0x0016 /* hidden, system and directories (MS-CIFS 2.2.1.2.4) */
#define FIND_LEVEL 0x0105 /* SMB_FIND_FILE_ID_FULL_DIRECTORY_INFO (MS-SMB 2.2.8.1.2) = FileIdFullDirectoryInformation  \
			   */
#define FIND_COUNT 512

/* ---- paths ---- */

/* Run op on the current link, once more on a new one if the connection was lost as retry() allows. */
int on_wlink(struct smb_client *cl, const char *wpath, link_op op, void *arg, bool idempotent)
{
	int rc = 0;
	for (int attempt = 0; attempt < 2; attempt++) {
		struct s1link *l;
		rc = link_get(cl->smb1, &l);
		if (rc < 0)
			break;
		rc = op(l, wpath, arg);
		link_put(cl->smb1, l);
		if (!retry(rc, idempotent))
			break;
	}
	return rc;
}

int on_link(struct smb_client *cl, const char *path, link_op op, void *arg, bool idempotent)
{
	char *wpath;
	int rc = proto_wire_path(cl, path, &wpath);
	if (rc == 0)
		rc = on_wlink(cl, wpath, op, arg, idempotent);
	free(wpath);
	return rc;
}

static int op_stat(struct s1link *l, const char *wpath, void *arg)
{
	return query_all_named(l, wpath, 0, arg, true);
}

/* The mount's root is what the user named (the subdir in any case the server accepts): not checked. */
static int op_stat_root(struct s1link *l, const char *wpath, void *arg)
{
	return query_all(l, wpath, 0, arg);
}

static int smb1_stat(struct smb_client *cl, const char *path, struct smb_attr *out)
{
	pcache_writeback(cl, path, false);
	return on_link(cl, path, *path ? op_stat : op_stat_root, out, true);
}

/* ---- handles ---- */

static void attr_from_create(const struct smb1_nt_create_rsp *r, struct smb_attr *out)
{
	memset(out, 0, sizeof(*out));
	out->btime = filetime_to_timespec(r->creation_time);
	out->atime = filetime_to_timespec(r->last_access_time);
	out->mtime = filetime_to_timespec(r->last_write_time);
	out->ctime = filetime_to_timespec(r->change_time);
	out->size = r->end_of_file;
	out->alloc_size = r->allocation_size;
	out->attrs = r->attributes;
	out->file_id = r->file_id;
	out->created = r->create_action == FILE_CREATED; /* MS-CIFS 2.2.4.64.2: the same values as SMB2's */
}

/*
 * NT_CREATE_ANDX. Opens that will hold a handle ask for a batch oplock (MS-CIFS 2.2.4.64.1: REQUEST_OPLOCK
 * and REQUEST_OPBATCH) and take what is granted: batch, exclusive, level II (we offer
 * CAP_LEVEL_II_OPLOCKS) or none. Brief opens ask for none, so there is nothing for the server to break.
 */
int op_create(struct s1link *l, const char *wpath, void *arg)
{
	struct create_args *a = arg;
	uint32_t oplock = a->oplock ? SMB1_NT_CREATE_REQUEST_OPLOCK | SMB1_NT_CREATE_REQUEST_OPBATCH : 0;
	struct smb1_nt_create_req req = {
	    .flags = SMB1_NT_CREATE_REQUEST_EXTENDED_RESPONSE | oplock,
	    .desired_access = a->access,
	    .file_attributes = a->attrs,
	    .share_access = a->share_none ? 0 : SHARE_ALL,
	    .create_disposition = a->disposition,
	    .create_options = a->options,
	    .impersonation = 2,
	    .path = wpath,
	};
	struct call c;
	struct smb1_nt_create_rsp r;
	call_init(&c, l, SMB1_COM_NT_CREATE_ANDX);
	int rc = smb1_nt_create_req_encode(&c.w, &req) ?: call_run(&c, NULL, 0);
	if (rc == 0 && smb1_nt_create_rsp_decode(c.rsp, c.rsp_len, &r) < 0)
		rc = -EIO;
	if (rc == 0) {
		a->fid = r.fid;
		a->oplock_level = r.oplock_level;
		if (a->attr) {
			attr_from_create(&r, a->attr);
			if (proto_smb1_snap_path(l->cl, wpath))
				a->attr->file_id = 0;
		}
	}
	call_free(&c);
	return rc;
}

/* What an SMB1 oplock level lets us cache, in lease bits (as SMB2's levels, smb2_cache.c). */
uint32_t oplock_state(uint8_t level)
{
	switch (level) {
	case SMB1_OPLOCK_BATCH:
		return SMB2_LEASE_READ_CACHING | SMB2_LEASE_WRITE_CACHING | SMB2_LEASE_HANDLE_CACHING;
	case SMB1_OPLOCK_EXCLUSIVE:
		return SMB2_LEASE_READ_CACHING | SMB2_LEASE_WRITE_CACHING;
	case SMB1_OPLOCK_LEVEL_II:
		return SMB2_LEASE_READ_CACHING;
	default:
		return 0;
	}
}

/* fh was (re)opened on l: record its FID and the oplock the server granted. Under fh.lock or before fh is
 * shared. */
static void fh_opened(struct smb_client *cl, struct smb_fh *fh, struct s1link *l, const struct create_args *a)
{
	fh->fid1 = a->fid;
	fh->gen = l->gen;
	if (fh->lease)
		oplock_granted(cl, fh->lease, oplock_state(a->oplock_level), a->fid, l->gen);
}

static int enc_close(struct wbuf *w, const void *arg)
{
	return smb1_close_req_encode(w, *(const uint16_t *)arg);
}

int close_fid(struct s1link *l, uint16_t fid)
{
	return simple(l, SMB1_COM_CLOSE, enc_close, &fid);
}

static int open_once(struct smb_client *cl, struct smb_fh *fh, uint32_t disposition, struct smb_attr *attr)
{
	struct s1link *l;
	int rc = link_get(cl->smb1, &l);
	if (rc < 0)
		return rc;
	struct create_args a = {.access = fh->access,
				.disposition = disposition,
				.options = fh->options,
				.oplock = fh->lease != NULL,
				.attr = attr};
	rc = op_create(l, fh->wpath, &a);
	if (rc == 0)
		fh_opened(cl, fh, l, &a);
	link_put(cl->smb1, l);
	return rc;
}

static int smb1_open(struct smb_client *cl, const char *path, int flags, mode_t mode, struct smb_fh **out,
		     struct smb_attr *attr_out)
{
	*out = NULL;
	flags &= ~SMB_O_PREREAD; /* SMB1 has no compound to read with the open in */
	struct smb_attr a;
	struct smb_fh *fh;
	bool cached;
	if ((flags & (O_ACCMODE | O_CREAT | O_TRUNC)) != O_RDONLY && proto_snap_refuse(path, NULL) < 0)
		return -EROFS;
	int rc = proto_fh_begin(cl, path, flags, &a, &fh, &cached);
	if (rc < 0)
		return rc;
	if (!cached) {
		uint32_t disp = proto_open_disposition(flags);
		rc = open_once(cl, fh, disp, &a);
		if (retry(rc, disp == FILE_OPEN))
			rc = open_once(cl, fh, disp, &a);
		if (proto_open_narrow(fh, flags, rc))
			rc = open_once(cl, fh, disp, &a);
		if (rc < 0) {
			proto_fh_free(cl, fh);
			return rc;
		}
	}
	proto_fh_end(cl, fh, flags, cached, &a, attr_out);
	*out = fh;
	return 0;
}

/*
 * A link for fh and its FID there, reopening the file by path when a reconnect made the FID stale. The
 * caller puts the link.
 */
int fh_link(struct smb_client *cl, struct smb_fh *fh, struct s1link **l, uint16_t *fid)
{
	int rc = link_get(cl->smb1, l);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&fh->lock);
	if (fh->gen != (*l)->gen) {
		struct create_args a = {.access = fh->access,
					.disposition = FILE_OPEN,
					.options = fh->options,
					.oplock = fh->lease != NULL};
		rc = op_create(*l, fh->wpath, &a);
		if (rc == 0) {
			fh_opened(cl, fh, *l, &a);
			struct smb1_relock_ctx ctx = {*l, fh->fid1};
			rc = plock_reacquire_locked(cl, fh, smb1_relock, &ctx);
		} else {
			log_warn("could not reopen \"%s\" after reconnect: %s", fh->wpath, strerror(-rc));
		}
	}
	if (fh->locks_lost)
		rc = -EIO;
	*fid = fh->fid1;
	pthread_mutex_unlock(&fh->lock);
	if (rc < 0)
		link_put(cl->smb1, *l);
	return rc;
}

/* Run op on fh's FID, once more after a lost connection as retry() allows. */
int on_fid(struct smb_client *cl, struct smb_fh *fh, fid_op op, void *arg, bool idempotent)
{
	int rc = 0;
	for (int attempt = 0; attempt < 2; attempt++) {
		struct s1link *l;
		uint16_t fid;
		rc = fh_link(cl, fh, &l, &fid);
		if (rc < 0)
			break;
		rc = op(l, fid, arg);
		link_put(cl->smb1, l);
		if (!retry(rc, idempotent))
			break;
	}
	return rc;
}

/* CLOSE the handle (when its FID is still valid) and free it. */
int smb1_fh_destroy(struct smb_client *cl, struct smb_fh *fh)
{
	int rc = 0;
	struct s1link *l;
	pcache_fh_closing(cl, fh, fh->fid1);
	if (link_get(cl->smb1, &l) == 0) {
		/* A FID of an older link died with its connection. */
		if (fh->gen == l->gen)
			rc = close_fid(l, fh->fid1);
		link_put(cl->smb1, l);
	}
	pthread_mutex_destroy(&fh->lock);
	proto_fh_free(cl, fh);
	return lost(rc) ? 0 : rc;
}

/* Under a batch oplock the handle is parked for a later open of the same file (cache.c). */
static int smb1_close(struct smb_client *cl, struct smb_fh *fh)
{
	if (pcache_park(cl, fh))
		return 0;
	return smb1_fh_destroy(cl, fh);
}

/* ---- setattr ---- */

static uint64_t set_time(struct timespec ts)
{
	if (ts.tv_nsec == UTIME_NOW)
		clock_gettime(CLOCK_REALTIME, &ts);
	return timespec_to_filetime(ts);
}

/* The SET_INFORMATION requests for sa on wpath or fid, then the attributes afterwards. */
int setattr_on(struct s1link *l, const char *wpath, uint16_t fid, const struct setattr_args *a)
{
	const struct smb_setattr *sa = a->sa;
	struct wbuf p;
	int rc = 0;
	wbuf_init(&p, 0);
	if (sa->valid & SMB_SET_SIZE) {
		smb2_file_eof_info_encode(&p, sa->size);
		rc = set_info(l, wpath, fid, FileEndOfFileInformation, &p);
	}
	if (rc == 0 && (sa->valid & (SMB_SET_ATIME | SMB_SET_MTIME | SMB_SET_ATTRS))) {
		uint64_t at = (sa->valid & SMB_SET_ATIME) ? set_time(sa->atime) : 0;
		uint64_t mt = (sa->valid & SMB_SET_MTIME) ? set_time(sa->mtime) : 0;
		/* 0 means "unchanged" on the wire, so clearing every attribute must say NORMAL (MS-FSCC 2.4.7). */
		uint32_t attrs = 0;
		if (sa->valid & SMB_SET_ATTRS)
			attrs = sa->attrs ? sa->attrs : SMB_ATTR_NORMAL;
		wbuf_reset(&p);
		smb2_file_basic_info_encode(&p, 0, at, mt, 0, attrs);
		rc = set_info(l, wpath, fid, FileBasicInformation, &p);
	}
	wbuf_free(&p);
	if (rc == 0 && a->attr_out)
		rc = query_all(l, wpath, fid, a->attr_out);
	return rc;
}

static int op_setattr_path(struct s1link *l, const char *wpath, void *arg)
{
	return setattr_on(l, wpath, 0, arg);
}

static int op_setattr_fid(struct s1link *l, uint16_t fid, void *arg)
{
	return setattr_on(l, NULL, fid, arg);
}

static int smb1_setattr(struct smb_client *cl, const char *path, struct smb_fh *fh, const struct smb_setattr *sa,
			struct smb_attr *attr_out)
{
	struct setattr_args a = {sa, attr_out};
	if (proto_snap_refuse(fh ? fh->path : path, NULL) < 0)
		return -EROFS;
	if (!fh) {
		pcache_writeback(cl, path, false);
		/* Setting the same values twice is harmless. */
		return on_link(cl, path, op_setattr_path, &a, true);
	}
	pcache_fh_writeback(cl, fh);
	int rc = on_fid(cl, fh, op_setattr_fid, &a, true);
	pcache_note_attr(cl, fh, rc == 0 && attr_out ? attr_out : NULL);
	return rc;
}

/* ---- directories ---- */

struct find_state {
	struct smb_client *cl;
	smb_dirent_fn fn;
	void *arg;
	char *last; /* UTF-8 name of the last entry, where FIND_NEXT2 resumes */
	uint16_t sid;
	bool open, end;
	bool snap;	       /* a directory of a previous version: entries keep no file id */
	struct smb_attr *self; /* ops->readdir's: the "." entry's attributes, or NULL */
	struct proto_sweep sw; /* our hidden names seen (hidden.c) */
};

/*
 * A copy of a FIND reply's count entries in which the last one ends the chain. smbd leaves the last
 * NextEntryOffset pointing past the data, at where its 8-byte padding would end, which the MS-FSCC walk
 * rightly refuses; SearchCount says where the list stops (MS-CIFS 2.2.6.2.2). The walk here only finds that
 * entry, with every offset bounds-checked; smb2_dir_next validates the entries themselves.
 */
static uint8_t *find_terminate(const uint8_t *data, uint32_t len, uint16_t count)
{
	uint8_t *d = malloc(len ? len : 1);
	if (!d)
		return NULL;
	memcpy(d, data, len);
	uint32_t off = 0;
	for (uint16_t i = 1; i < count && range_ok(len, off, 4); i++) {
		uint32_t next = get_le32(d + off);
		if (next == 0 || next >= len - off)
			break;
		off += next;
	}
	if (count && range_ok(len, off, 4))
		memset(d + off, 0, 4);
	return d;
}

static void entry_attr(const struct find_state *f, const struct smb2_dirent *e, struct smb_attr *a)
{
	memset(a, 0, sizeof(*a));
	a->btime = filetime_to_timespec(e->creation_time);
	a->atime = filetime_to_timespec(e->last_access_time);
	a->mtime = filetime_to_timespec(e->last_write_time);
	a->ctime = filetime_to_timespec(e->change_time);
	a->size = e->end_of_file;
	a->alloc_size = e->allocation_size;
	a->attrs = e->attributes;
	a->file_id = f->snap ? 0 : e->file_id;
}

/* Hand each entry of one FIND reply's data to fn, remembering the last name. 1 if fn asked to stop. */
static int find_emit(struct find_state *f, const struct smb1_trans2_rsp *r, uint16_t count)
{
	struct smb2_dir_iter it;
	struct smb2_dirent e;
	int rc = 0;
	uint8_t *data = find_terminate(r->data, r->data_len, count);
	if (!data)
		return -ENOMEM;
	smb2_dir_iter_init(&it, FileIdFullDirectoryInformation, data, r->data_len);
	for (uint16_t i = 0; i < count && smb2_dir_next(&it, &e) > 0; i++) {
		/* FIND_NEXT2 resumes at the server's own name, before any mapping. */
		char *name, *wire;
		if (utf16le_to_utf8(e.name, e.name_len, &wire) >= 0) {
			free(f->last);
			f->last = wire;
		}
		if (f->self && e.name_len == 2 && e.name[0] == '.' && e.name[1] == 0)
			entry_attr(f, &e, f->self);
		if (proto_listed_name(f->cl, e.name, e.name_len, &name) <= 0)
			continue;
		if (proto_sweep_note(&f->sw, name)) {
			free(name);
			continue;
		}
		struct smb_attr a;
		entry_attr(f, &e, &a);
		int stop = f->fn(f->arg, name, &a);
		free(name);
		if (stop) {
			rc = 1;
			break;
		}
	}
	if (rc == 0 && it.err < 0) {
		log_dbg("FIND: malformed entry in %u bytes (%s)", r->data_len, strerror(-it.err));
		rc = -EIO;
	}
	free(data);
	return rc;
}

/* One FIND_FIRST2 (pattern set) or FIND_NEXT2; emits its entries. */
static int find_step(struct s1link *l, struct find_state *f, const char *pattern)
{
	struct call c;
	struct wbuf p;
	struct smb1_trans2_rsp r;
	struct smb1_find_rsp_params fp;
	uint16_t flags = SMB1_FIND_CLOSE_AT_EOS;
	wbuf_init(&p, 0);
	if (pattern)
		smb1_find_first2_params_encode(&p, SEARCH_ALL, FIND_COUNT, flags, FIND_LEVEL, pattern);
	else
		smb1_find_next2_params_encode(&p, f->sid, FIND_COUNT, FIND_LEVEL, flags, f->last ? f->last : "");
	call_init(&c, l, SMB1_COM_TRANSACTION2);
	int rc = trans2(&c, pattern ? SMB1_TRANS2_FIND_FIRST2 : SMB1_TRANS2_FIND_NEXT2, &p, NULL, 0xFFFF, &r);
	if (rc == 0 && smb1_find_rsp_params_decode(r.params, r.params_len, pattern != NULL, &fp) < 0)
		rc = -EIO;
	if (rc == 0) {
		if (pattern)
			f->sid = fp.sid;
		f->open = !fp.end_of_search;
		f->end = fp.end_of_search || fp.search_count == 0;
		rc = find_emit(f, &r, fp.search_count);
	} else if (c.status == STATUS_NO_SUCH_FILE || c.status == STATUS_NO_MORE_FILES) {
		/* An empty result (MS-CIFS 2.2.6.2.2): the search is over and closed. */
		f->end = true;
		f->open = false;
		rc = 0;
	}
	call_free(&c);
	wbuf_free(&p);
	return rc;
}

static int enc_find_close(struct wbuf *w, const void *arg)
{
	smb1_words_begin(w, 1);
	wbuf_set_u16(w, w->len - 2, *(const uint16_t *)arg);
	wbuf_u16(w, 0);
	return wbuf_err(w);
}

static int op_readdir(struct s1link *l, const char *wpath, void *arg)
{
	struct find_state *f = arg;
	char *pattern;
	f->snap = proto_smb1_snap_path(l->cl, wpath);
	if (asprintf(&pattern, "%s%s*", wpath, *wpath ? "\\" : "") < 0)
		return -ENOMEM;
	int rc = find_step(l, f, pattern);
	free(pattern);
	while (rc == 0 && !f->end)
		rc = find_step(l, f, NULL);
	/* Stopped early or failed: the server still holds the search. */
	if (f->open && !lost(rc))
		simple(l, SMB1_COM_FIND_CLOSE2, enc_find_close, &f->sid);
	return rc > 0 ? 0 : rc;
}


static int smb1_readdir(struct smb_client *cl, const char *path, smb_dirent_fn fn, void *arg, struct smb_attr *self)
{
	struct find_state f = {.cl = cl, .fn = fn, .arg = arg, .self = self};
	if (self)
		memset(self, 0, sizeof(*self));
	pcache_writeback(cl, path, true); /* the listing's sizes */
	/* Not resent: fn has already seen some entries. */
	int rc = on_link(cl, path, op_readdir, &f, false);
	free(f.last);
	proto_sweep_run(cl, path, &f.sw, sweep_delete);
	return rc;
}

/* QUERY_FS_INFORMATION at one pass-through level; r views the data in c (call_free it). */
static int query_fs(struct s1link *l, struct call *c, uint8_t cls, struct smb1_trans2_rsp *r)
{
	struct wbuf p;
	wbuf_init(&p, 0);
	wbuf_u16(&p, LEVEL(cls));
	call_init(c, l, SMB1_COM_TRANSACTION2);
	int rc = trans2(c, SMB1_TRANS2_QUERY_FS_INFORMATION, &p, NULL, 1024, r);
	wbuf_free(&p);
	return rc;
}

static int op_statfs(struct s1link *l, const char *wpath, void *arg)
{
	struct smb_statfs *out = arg;
	struct call c;
	struct smb1_trans2_rsp r;
	struct smb2_fs_full_size_info fs;
	struct smb2_fs_attribute_info fa;
	int rc = query_fs(l, &c, FileFsFullSizeInformation, &r);
	if (rc == 0 && smb2_fs_full_size_info_decode(r.data, r.data_len, &fs) < 0)
		rc = -EIO;
	call_free(&c);
	if (rc < 0)
		return rc;
	memset(out, 0, sizeof(*out));
	out->block_size = (uint64_t)fs.sectors_per_unit * fs.bytes_per_sector;
	out->total_blocks = fs.total_alloc_units;
	out->free_blocks = fs.caller_avail_units;
	out->name_max = 255;
	if (!out->block_size)
		out->block_size = 4096;
	if (query_fs(l, &c, FileFsAttributeInformation, &r) == 0 &&
	    smb2_fs_attribute_info_decode(r.data, r.data_len, &fa) == 0 && fa.max_name_len > 0)
		out->name_max = (uint32_t)fa.max_name_len;
	call_free(&c);
	return 0;
}

static int smb1_statfs(struct smb_client *cl, struct smb_statfs *out)
{
	return on_link(cl, "", op_statfs, out, true);
}

const struct smb_ops smb1_ops = {
    .stat = smb1_stat,
    .open = smb1_open,
    .close = smb1_close,
    .read = smb1_read,
    .write = smb1_write,
    .fsync = smb1_fsync,
    .fstat = smb1_fstat,
    .setattr = smb1_setattr,
    .readdir = smb1_readdir,
    .mkdir = smb1_mkdir,
    .rmdir = smb1_rmdir,
    .unlink = smb1_unlink,
    .rename = smb1_rename,
    .link = smb1_link,
    .statfs = smb1_statfs,
    .flush = pcache_flush,
    .set_events = pcache_set_events,
    .cached = pcache_cached,
    .stats = pcache_stats,
    .watch = pcache_watch,
    .lock = smb1_lock,
    .unlock = smb1_unlock,
    .list_eas = smb1_list_eas,
    .get_sd = smb1_get_sd,
    .snapshots = smb1_snapshots,
    .set_sd = smb1_set_sd,
    .set_ea = smb1_set_ea,
};

/* ---- lifetime ---- */

static const char *keep(struct smb1_state *st, int i, const char *s)
{
	return s ? (st->str[i] = strdup(s)) : NULL;
}

static void state_free(struct smb1_state *st)
{
	if (!st)
		return;
	link_free(st->cur);
	sess_outage_destroy(&st->outage);
	for (size_t i = 0; i < ARRAY_SIZE(st->str); i++)
		free(st->str[i]);
	secret_free(st->nt_hash);
	pthread_mutex_destroy(&st->lock);
	pthread_cond_destroy(&st->cond);
	free(st);
}

int smb1_client_start(struct smb_client *cl, const struct sess_cfg *cfg, const struct smb1_sess_opts *o, char *errbuf,
		      size_t errlen)
{
	struct smb1_state *st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	pthread_mutex_init(&st->lock, NULL);
	smb_cancel_cond_init(&st->cond);
	st->cl = cl;
	st->cfg = *cfg;
	st->opts = *o;
	st->cfg.host = keep(st, 0, cfg->host);
	st->cfg.share = keep(st, 1, cfg->share);
	st->cfg.user = keep(st, 2, cfg->user);
	/* Reconnects log on again with the hash; it lives in secret memory, and no password is kept. */
	st->cfg.nt_hash = st->nt_hash = cfg->nt_hash ? secret_memdup(cfg->nt_hash, 16) : NULL;
	st->cfg.domain = keep(st, 4, cfg->domain);
	st->cfg.workstation = keep(st, 5, cfg->workstation);
	st->cfg.addr = keep(st, 6, cfg->addr);
	st->cfg.nb_called = keep(st, 7, cfg->nb_called);
	st->cfg.nb_calling = keep(st, 8, cfg->nb_calling);
	st->cfg.krb5_ccache = keep(st, 10, cfg->krb5_ccache);
	st->cfg.krb5_keytab = keep(st, 11, cfg->krb5_keytab);
	if (asprintf(&st->str[9], "\\\\%s\\%s", cfg->host, cfg->share) < 0)
		st->str[9] = NULL;
	sess_outage_init(&st->outage, st->cfg.host, st->str[9] ? st->str[9] : st->cfg.host, cfg->hard);
	int rc = link_build(st, &st->cur, errbuf, errlen);
	if (rc < 0) {
		state_free(st);
		return rc;
	}
	cl->smb1 = st;
	return 0;
}

void smb1_client_stop(struct smb_client *cl)
{
	state_free(cl->smb1);
	cl->smb1 = NULL;
}

void smb1_client_describe(struct smb_client *cl, char *buf, size_t len)
{
	const struct smb1_sess_info *i = &cl->smb1->cur->info;
	snprintf(buf, len, "SMB 1 (NT LM 0.12)%s%s", i->signing ? ", signed" : "", i->guest ? ", guest" : "");
}
