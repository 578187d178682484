/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The SMB2/3 operations table (dialects 2.0.2 to 3.1.1): filesystem operations as SMB2 requests. Path
 * operations are compounds (smb2_cmp.c, essay there); read and write go out in pieces (smb2_io.c).
 *
 * Reconnects. A handle remembers the session generation it was opened under. After a reconnect its
 * FileId means nothing to the new session, so the first use takes it back: a durable handle by DH2C/DHnC
 * (the server kept the open, its lease, sharing and locks), any other by opening the path again with the
 * same access. Requests carrying a FileId are bound to its generation (cmp.want_gen, session.h): one
 * that meets a session rebuilt under it is not sent with the stale FileId (the server would answer
 * FILE_CLOSED, EBADF to the application) but gets -ESTALE, and goes again with the handle taken back.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "smb2_proto_i.h"
#include "smbfuse/err.h"
#include "smbfuse/log.h"
#include "smbfuse/smb2.h"
#include "smbfuse/util.h"

/* arg: the size_t wire_len of the path. */
static void work_query_all(struct cmp *c, const void *arg)
{
	add_query_all(c, FID_RELATED, *(const size_t *)arg);
}

/* Length of path's wire form (proto_wire_path), without building it. */
size_t smb2_wire_len(const struct smb_client *cl, const char *path)
{
	return strlen(cl->prefix) + 1 + strlen(path);
}

/* proto_check_leaf on the name a FileAllInformation answer carries (cut short by the server: not checked). */
static int check_stored_name(struct smb_client *cl, const char *path, const struct conn_msg *m)
{
	struct smb2_query_info_rsp q;
	struct smb2_file_all_info fa;
	char *wpath;
	if (smb2_query_info_rsp_decode(m->rsp, m->rsp_len, &q) < 0 || smb2_file_all_info_decode(q.buf, q.len, &fa) < 0 ||
	    fa.name_truncated || proto_wire_path(cl, path, &wpath) < 0)
		return 0;
	int rc = proto_check_leaf(wpath, fa.name, fa.name_len);
	free(wpath);
	return rc;
}

int smb2_stat(struct smb_client *cl, const char *path, struct smb_attr *out)
{
	pcache_writeback(cl, path, false);
	struct cmp c;
	size_t wlen = smb2_wire_len(cl, path);
	int rc = path_compound(cl, path, FILE_READ_ATTRIBUTES | SYNCHRONIZE, FILE_OPEN, FILE_OPEN_REPARSE_POINT,
			       work_query_all, &wlen, true, &c);
	if (rc == 0)
		rc = attr_from_all_info(&c, 1, out);
	/* POSIX names are case-sensitive: the server found exactly this name. */
	if (rc == 0 && *path && !cl->posix)
		rc = check_stored_name(cl, path, &c.m[1]);
	cmp_free(&c);
	if (rc == 0)
		smb2_reparse_attr(cl, path, out);
	return rc;
}

/* ---- handles ---- */

static void attr_from_create(const struct smb2_create_rsp *r, struct smb_attr *out)
{
	attr_fill(out, r->creation_time, r->last_access_time, r->last_write_time, r->change_time, r->end_of_file,
		  r->allocation_size, r->file_attributes);
	out->created = r->create_action == FILE_CREATED;
	const uint8_t *d;
	uint32_t dl;
	struct smb2_qfid_rsp q;
	if (smb2_create_ctx_find(r->contexts, r->contexts_len, SMB2_CREATE_QUERY_ON_DISK_ID, &d, &dl) == 0 &&
	    smb2_qfid_rsp_decode(d, dl, &q) == 0)
		out->file_id = q.disk_file_id;
	struct smb2_posix_cc cc;
	if (smb2_create_ctx_find_name(r->contexts, r->contexts_len, smb2_posix_tag, sizeof(smb2_posix_tag), &d,
				      &dl) == 0) {
		if (smb2_posix_cc_decode(d, dl, &cc, NULL) == 0)
			attr_from_posix(out, &cc);
		else
			log_warn("server reply: POSIX create context of %u bytes does not decode", dl);
	}
}

/* The durable context version granted in a CREATE's answer to dh (0: none, or a malformed answer). */
static int durable_granted(const struct smb2_create_rsp *r, const struct durable_req *dh)
{
	const uint8_t *d;
	uint32_t dl;
	struct smb2_durable_rsp dr;
	if (!dh)
		return 0;
	if (dh->reconnect)
		return dh->version; /* the answer carries no context: the open is the durable one it was */
	const char *tag = dh->version == 2 ? SMB2_CREATE_DURABLE_HANDLE_REQUEST_V2 : SMB2_CREATE_DURABLE_HANDLE_REQUEST;
	if (smb2_create_ctx_find(r->contexts, r->contexts_len, tag, &d, &dl) < 0)
		return 0;
	if (smb2_durable_rsp_decode(d, dl, dh->version, &dr) < 0) {
		log_warn("server reply: CREATE %s context of %u bytes, less than 8; handle not durable", tag, dl);
		return 0;
	}
	return dh->version;
}

/*
 * CREATE with QFid (and the lease's context when lease is not NULL, dh's durable context when dh is not
 * NULL, the POSIX context with mode, what a CREATE makes gets, 0 for opens that make nothing, under POSIX
 * extensions); fills fid, gen and attributes, and *durable
 * (may be NULL) with the durable version granted. An error status from the server sets *refused (may be
 * NULL): the connection did not fail, the open did. pre (may be NULL): a READ of the file's start goes
 * with the CREATE where smb2_pre_add allows, and *pre gets what it read (smb2_pre.c).
 */
static int do_open_dh(struct smb_client *cl, const char *wpath, uint32_t access, uint32_t disposition,
		      uint32_t options, struct smb2_fid *fid, struct smb_attr *attr, uint64_t *gen, struct lease *lease,
		      uint32_t mode, const struct durable_req *dh, int *durable, bool *refused, struct smb2_pre **pre)
{
	struct cmp c;
	uint64_t epoch = 0;
	cmp_init(&c, cl);
	c.mode = mode;
	add_create_durable(cl, &c, wpath, access, disposition, options, true, lease, dh);
	bool read = pre && smb2_pre_add(cl, &c, &epoch);
	int rc = cmp_send(cl, &c, disposition == FILE_OPEN && !(dh && dh->reconnect));
	/* Only the CREATE decides the open: a READ with it that failed leaves the reads to the server. */
	if (rc == 0 && (rc = cmp_errno_at(&c, 0)) < 0 && refused)
		*refused = true;
	struct smb2_create_rsp r;
	if (rc == 0 && smb2_create_rsp_decode(c.m[0].rsp, c.m[0].rsp_len, &r) < 0)
		rc = -EIO;
	if (rc == 0) {
		*fid = r.fid;
		*gen = c.gen;
		if (attr)
			attr_from_create(&r, attr);
		if (attr && c.snap)
			attr->file_id = 0; /* an @GMT path: as attr_from_all_info */
		if (lease)
			smb2_lease_granted(cl, lease, &r, c.gen);
		if (durable)
			*durable = durable_granted(&r, dh);
		if (read)
			*pre = smb2_pre_take(cl, &c.m[1], epoch);
	}
	cmp_free(&c);
	return rc;
}

/* Whether fh holds a durable handle; the session keeps its ClientGuid while any is held (session.h). */
static void fh_set_durable(struct smb_client *cl, struct smb_fh *fh, int version)
{
	if (!fh->durable != !version) {
		sess_hold_durable(cl->sess, version ? 1 : -1);
		if (version)
			stat_add(&cl->st.handles_durable, 1);
	}
	fh->durable = (uint8_t)version;
}

/*
 * Open fh's file on the server, asking for a durable handle (DH2Q on 3.x, DHnQ on 2.x; a new CreateGuid
 * each time) or, with reconnect, taking its durable handle back (DH2C/DHnC with the old FileId and
 * CreateGuid, and the same lease key so that the lease comes back with it). Durable handles are asked for
 * on every open with a lease or oplock request, whatever its access: Samba grants one only with Handle
 * caching, and a reader's descriptor should survive as a writer's does (sharing modes and the lease
 * included). fh->lock is held, or fh is not shared yet.
 */
static int fh_create(struct smb_client *cl, struct smb_fh *fh, uint32_t disposition, uint32_t mode,
		     struct smb_attr *attr, bool reconnect, bool *refused, struct smb2_pre **pre)
{
	struct durable_req dh = {.reconnect = reconnect, .fid = fh->fid, .create_guid = fh->create_guid};
	if (reconnect) {
		dh.version = fh->durable;
	} else if (fh->lease) {
		struct sess_info si;
		sess_get_info(cl->sess, &si);
		dh.version = si.dialect >= SMB2_DIALECT_300 ? 2 : 1;
		if (getrandom(fh->create_guid, 16, 0) != 16)
			dh.version = 0;
	}
	int durable = 0;
	struct smb2_fid fid;
	uint64_t gen;
	int rc = do_open_dh(cl, fh->wpath, fh->access, disposition, fh->options, &fid, attr, &gen, fh->lease, mode,
			    dh.version ? &dh : NULL, &durable, refused, pre);
	if (rc < 0)
		return rc;
	fh->fid = fid;
	fh->gen = gen;
	if (!reconnect)
		fh->fresh_gen = gen;
	fh_set_durable(cl, fh, durable);
	return 0;
}

/* Add fh to (or take it from) cl's list of durable handles. Without memory for the list, fh is taken back
 * at its next use only, as before there was a list. */
static void durable_list(struct smb_client *cl, struct smb_fh *fh, bool add)
{
	pthread_mutex_lock(&cl->durable_mu);
	if (add && cl->ndurable == cl->durable_cap) {
		unsigned cap = cl->durable_cap ? 2 * cl->durable_cap : 16;
		struct smb_fh **n = realloc(cl->durable, cap * sizeof(*n));
		if (n) {
			cl->durable = n;
			cl->durable_cap = cap;
		}
	}
	if (add && cl->ndurable < cl->durable_cap) {
		cl->durable[cl->ndurable++] = fh;
	} else if (!add) {
		for (unsigned i = 0; i < cl->ndurable; i++)
			if (cl->durable[i] == fh) {
				cl->durable[i] = cl->durable[--cl->ndurable];
				break;
			}
	}
	pthread_mutex_unlock(&cl->durable_mu);
}

static int smb2_open(struct smb_client *cl, const char *path, int flags, mode_t mode, struct smb_fh **out,
		     struct smb_attr *attr_out)
{
	*out = NULL;
	struct smb_attr a;
	struct smb_fh *fh;
	struct smb2_pre *pre = NULL;
	bool cached, want_pre = (flags & SMB_O_PREREAD) && (flags & O_ACCMODE) == O_RDONLY;
	flags &= ~SMB_O_PREREAD;
	int rc = proto_fh_begin(cl, path, flags, &a, &fh, &cached);
	if (rc < 0)
		return rc;
	if (!cached) {
		uint32_t disp = proto_open_disposition(flags);
		uint32_t m = flags & O_CREAT ? S_IFREG | (mode & 07777) : 0;
		char *plain = NULL;
		uint64_t twrp;
		fh->snap = proto_snap_split(fh->wpath, cl->posix ? '/' : '\\', &plain, &twrp) == 1;
		free(plain);
		rc = fh_create(cl, fh, disp, m, &a, false, NULL, want_pre ? &pre : NULL);
		if (proto_open_narrow(fh, flags, rc))
			rc = fh_create(cl, fh, disp, m, &a, false, NULL, NULL);
		if (rc < 0) {
			proto_fh_free(cl, fh);
			return rc;
		}
	}
	proto_fh_end(cl, fh, flags, cached, &a, attr_out);
	fh->pre = pre; /* before fh is shared */
	if (!cached && fh->durable)
		durable_list(cl, fh, true);
	*out = fh;
	return 0;
}

/*
 * After a reconnect: take the durable handle back; where the server refuses (it did not keep the open: a
 * restart, its timeout ran out, or another client's open broke our lease meanwhile), reopen by path as for
 * a handle that was never durable. A failure of the connection itself leaves fh stale, for the next use.
 */
static int fh_refresh_locked(struct smb_client *cl, struct smb_fh *fh)
{
	bool refused = false;
	int rc;
	if (fh->durable) {
		rc = fh_create(cl, fh, FILE_OPEN, 0, NULL, true, &refused, NULL);
		if (rc == 0) {
			stat_add(&cl->st.handles_reconnected, 1);
			log_info("reconnected the durable handle of \"%s\"", fh->wpath);
			return 0;
		}
		if (!refused)
			return rc;
		log_warn("the server did not keep the durable handle of \"%s\" (%s); reopening it by path", fh->wpath,
			 strerror(-rc));
		fh_set_durable(cl, fh, 0);
	}
	rc = fh_create(cl, fh, FILE_OPEN, 0, NULL, false, NULL, NULL);
	if (rc < 0)
		log_warn("could not reopen \"%s\" after reconnect: %s", fh->wpath, strerror(-rc));
	else
		stat_add(&cl->st.handles_reopened, 1);
	return rc;
}

/* fh on session generation cur: taken back or reopened when it is older. fh->lock is held. */
static int fh_current_locked(struct smb_client *cl, struct smb_fh *fh, uint64_t cur)
{
	if (fh->gen == cur)
		return 0;
	/* A durable handle taken back keeps its locks at the server (MS-SMB2 3.3.5.9.7); one reopened by path
	 * has none, so they are taken again. */
	bool durable = fh->durable;
	int rc = fh_refresh_locked(cl, fh);
	if (rc == 0 && !(durable && fh->durable))
		rc = plock_reacquire_locked(cl, fh, smb2_relock, &fh->fid);
	return rc;
}

/*
 * After a reconnect, on the cache worker: every durable handle is taken back now, not at its next use. The
 * server keeps a disconnected durable open only for its timeout (Samba: 60 s), and an application may
 * leave a descriptor untouched for longer (an editor, a log file, a database). A handle whose lock is held
 * is being taken back by its user already (trylock: its user may wait for this worker, a lease break).
 */
void smb2_reclaim(struct smb_client *cl)
{
	uint64_t cur = sess_generation(cl->sess);
	pthread_mutex_lock(&cl->durable_mu);
	for (unsigned i = 0; i < cl->ndurable; i++) {
		struct smb_fh *fh = cl->durable[i];
		if (pthread_mutex_trylock(&fh->lock) != 0)
			continue;
		if (fh->durable && fh_current_locked(cl, fh, cur) < 0)
			log_dbg("\"%s\" not taken back yet; its next use tries again", fh->wpath);
		pthread_mutex_unlock(&fh->lock);
	}
	pthread_mutex_unlock(&cl->durable_mu);
}

int smb2_fh_fid(struct smb_client *cl, struct smb_fh *fh, struct smb2_fid *fid, uint64_t *gen)
{
	uint64_t cur = sess_generation(cl->sess);
	pthread_mutex_lock(&fh->lock);
	int rc = fh_current_locked(cl, fh, cur);
	if (fh->locks_lost)
		rc = -EIO;
	*fid = fh->fid;
	if (gen)
		*gen = fh->gen;
	pthread_mutex_unlock(&fh->lock);
	return rc;
}

bool smb2_fh_kept(struct smb_fh *fh, uint64_t gen)
{
	pthread_mutex_lock(&fh->lock);
	bool kept = fh->fresh_gen <= gen && fh->durable;
	pthread_mutex_unlock(&fh->lock);
	return kept;
}

int smb2_fh_destroy(struct smb_client *cl, struct smb_fh *fh)
{
	int rc = 0;
	durable_list(cl, fh, false); /* first: smb2_reclaim must not reopen what this no longer closes */
	pcache_fh_closing(cl, fh, fh->fid.volatile_);
	if (fh->gen == sess_generation(cl->sess)) {
		struct cmp c;
		cmp_init(&c, cl);
		add_close(&c, fh->fid);
		rc = cmp_send(cl, &c, false);
		if (rc == 0)
			rc = cmp_errno(&c, NULL);
		cmp_free(&c);
	}
	fh_set_durable(cl, fh, 0);
	lease_put(cl, fh->lease);
	smb2_pre_drop(cl, fh);
	pthread_mutex_destroy(&fh->lock);
	free(fh->path);
	free(fh->wpath);
	plock_free(fh);
	free(fh);
	return rc;
}

/* Under a Handle lease the handle is parked for a later open of the same file (cache.c). */
static int smb2_close(struct smb_client *cl, struct smb_fh *fh)
{
	smb2_pre_drop(cl, fh); /* a later open taking the handle back reads for itself */
	if (pcache_park(cl, fh))
		return 0;
	return smb2_fh_destroy(cl, fh);
}

void smb2_close_fid(struct smb_client *cl, struct smb2_fid fid)
{
	struct cmp c;
	cmp_init(&c, cl);
	add_close(&c, fid);
	if (cmp_send(cl, &c, false) == 0)
		cmp_errno(&c, NULL);
	cmp_free(&c);
}

/* ---- setattr ---- */

static uint64_t set_time(struct timespec ts)
{
	if (ts.tv_nsec == UTIME_NOW)
		clock_gettime(CLOCK_REALTIME, &ts);
	return timespec_to_filetime(ts);
}

#define SET_POSIX (SMB_SET_MODE | SMB_SET_UID | SMB_SET_GID)
#define SET_BUFS 4

/* The SET_INFO requests for sa, on fid; payload scratch buffers live in p[0..SET_BUFS). */
static void add_setattr(struct cmp *c, struct smb2_fid fid, const struct smb_setattr *sa, struct wbuf p[SET_BUFS])
{
	for (int i = 0; i < SET_BUFS; i++)
		wbuf_init(&p[i], 0);
	if (sa->valid & SMB_SET_SIZE) {
		smb2_file_eof_info_encode(&p[0], sa->size);
		add_set_info(c, fid, FileEndOfFileInformation, &p[0]);
	}
	if (sa->valid & (SMB_SET_ATIME | SMB_SET_MTIME | SMB_SET_ATTRS)) {
		uint64_t at = (sa->valid & SMB_SET_ATIME) ? set_time(sa->atime) : 0;
		uint64_t mt = (sa->valid & SMB_SET_MTIME) ? set_time(sa->mtime) : 0;
		/* 0 means "unchanged" on the wire, so clearing every attribute must say NORMAL (MS-FSCC 2.4.7). */
		uint32_t attrs = 0;
		if (sa->valid & SMB_SET_ATTRS)
			attrs = sa->attrs ? sa->attrs : SMB_ATTR_NORMAL;
		smb2_file_basic_info_encode(&p[1], 0, at, mt, 0, attrs);
		add_set_info(c, fid, FileBasicInformation, &p[1]);
	}
	/* chmod and chown are security descriptors with Samba's Unix SIDs (smb2_posix.c). */
	if (sa->valid & SMB_SET_MODE) {
		smb2_posix_mode_sd_encode(&p[2], sa->mode);
		add_set_info_type(c, fid, SMB2_0_INFO_SECURITY, 0, DACL_SECURITY_INFORMATION, &p[2]);
	}
	if (sa->valid & (SMB_SET_UID | SMB_SET_GID)) {
		bool u = sa->valid & SMB_SET_UID, g = sa->valid & SMB_SET_GID;
		smb2_posix_owner_sd_encode(&p[3], u, sa->uid, g, sa->gid);
		add_set_info_type(c, fid, SMB2_0_INFO_SECURITY, 0,
				  (u ? OWNER_SECURITY_INFORMATION : 0) | (g ? GROUP_SECURITY_INFORMATION : 0), &p[3]);
	}
}

static int setattr_do(struct smb_client *cl, const char *path, struct smb_fh *fh, const struct smb_setattr *sa,
		      struct smb_attr *attr_out);

/* chmod/chown by path: a handle of the caller's may lack WRITE_DAC / WRITE_OWNER, so the change goes through
 * a brief open that asks for them, after the handle's own part of sa. */
static int setattr_posix(struct smb_client *cl, const char *path, struct smb_fh *fh, const struct smb_setattr *sa,
			 struct smb_attr *attr_out)
{
	if (!cl->posix)
		return -EOPNOTSUPP;
	if (fh) {
		struct smb_setattr rest = *sa, px = *sa;
		rest.valid &= ~(unsigned)SET_POSIX;
		px.valid &= SET_POSIX;
		int rc = rest.valid ? setattr_do(cl, path, fh, &rest, NULL) : 0;
		return rc < 0 ? rc : setattr_posix(cl, path ? path : fh->path, NULL, &px, attr_out);
	}
	int rc = setattr_do(cl, path, NULL, sa, attr_out);
	if (rc == -EACCES) {
		/* Samba refuses a chmod or chown by another than the owner (or a group the user is not in). */
		log_info("\"%s\": the server refused to change its %s: EPERM", path,
			 sa->valid & SMB_SET_MODE ? "mode" : "owner or group");
		rc = -EPERM;
	}
	return rc;
}

static int setattr_once(struct smb_client *cl, const char *path, struct smb_fh *fh, const struct smb_setattr *sa,
			struct smb_attr *attr_out);

/* -ESTALE: a reconnect came between taking fh's FileId and sending; nothing went out, so go again. */
static int setattr_do(struct smb_client *cl, const char *path, struct smb_fh *fh, const struct smb_setattr *sa,
		      struct smb_attr *attr_out)
{
	int rc, tries = 0;
	while ((rc = setattr_once(cl, path, fh, sa, attr_out)) == -ESTALE && ++tries < 3)
		;
	return rc == -ESTALE ? -EIO : rc;
}

static int setattr_once(struct smb_client *cl, const char *path, struct smb_fh *fh, const struct smb_setattr *sa,
			struct smb_attr *attr_out)
{
	struct cmp c;
	struct wbuf p[SET_BUFS];
	char *wpath = NULL;
	struct smb2_fid fid = FID_RELATED;
	struct wb_handed h = {0};
	int handed = 0;
	/* Not before a truncate: the WRITE resent after a connection lost under both would undo it. */
	if (fh && !(sa->valid & SMB_SET_SIZE))
		handed = pcache_fh_hand_over(cl, fh, &h);
	else if (fh)
		pcache_fh_writeback(cl, fh);
	else
		pcache_writeback(cl, path, false);
	if (handed < 0)
		return handed;
	uint64_t gen = 0;
	int rc = fh ? smb2_fh_fid(cl, fh, &fid, &gen) : proto_wire_path(cl, path, &wpath);
	if (rc < 0) {
		if (handed)
			pcache_fh_handed(cl, fh, &h, -ESTALE, 0);
		return rc;
	}
	cmp_init(&c, cl);
	c.want_gen = gen;
	if (handed)
		add_write(&c, fid, h.data, (uint32_t)h.len, h.off); /* the data first: its WRITE moves mtime */
	if (!fh) {
		uint32_t access = FILE_READ_ATTRIBUTES | SYNCHRONIZE;
		/* Not for chmod/chown alone: the owner of a mode-0400 file may chmod it but not write its times. */
		if (sa->valid & (SMB_SET_SIZE | SMB_SET_ATIME | SMB_SET_MTIME | SMB_SET_ATTRS))
			access |= FILE_WRITE_ATTRIBUTES;
		if (sa->valid & SMB_SET_SIZE)
			access |= FILE_WRITE_DATA;
		if (sa->valid & SMB_SET_MODE)
			access |= WRITE_DAC;
		if (sa->valid & (SMB_SET_UID | SMB_SET_GID))
			access |= WRITE_OWNER;
		/* With POSIX extensions the path's own inode, a symlink included (the kernel has resolved links
		 * already): utimensat(AT_SYMLINK_NOFOLLOW), as tar uses, sets the link's times. */
		add_create(&c, wpath, access, FILE_OPEN, cl->posix ? FILE_OPEN_REPARSE_POINT : 0);
	}
	add_setattr(&c, fid, sa, p);
	add_query_all(&c, fid, strlen(fh ? fh->wpath : wpath));
	if (!fh)
		add_close(&c, FID_RELATED);
	/* Related even with an explicit FileId: the chain must run in order, query after the changes. */
	rc = cmp_send(cl, &c, false);
	if (handed) {
		uint32_t count = 0;
		int we = rc < 0 ? rc : cmp_write_count(&c, 0, &count);
		pcache_fh_handed(cl, fh, &h, we, count);
		stat_add(&cl->st.writes_before_setattr, 1);
		/* The WRITE failed (its error is kept for close and fsync), and the related requests after it
		 * with it: the setattr goes again on its own (setattr_do). */
		if (rc == 0 && we < 0)
			rc = -ESTALE;
	}
	if (rc == 0)
		rc = cmp_errno(&c, NULL);
	if (rc == 0 && attr_out)
		rc = attr_from_all_info(&c, c.n - (fh ? 1 : 2), attr_out);
	if (fh)
		pcache_note_attr(cl, fh, rc == 0 && attr_out ? attr_out : NULL);
	cmp_free(&c);
	if (rc == 0 && attr_out && !fh)
		smb2_reparse_attr(cl, path, attr_out); /* by path only: devices and links are never opened */
	for (int i = 0; i < SET_BUFS; i++)
		wbuf_free(&p[i]);
	free(wpath);
	return rc;
}

int smb2_setattr(struct smb_client *cl, const char *path, struct smb_fh *fh, const struct smb_setattr *sa,
		 struct smb_attr *attr_out)
{
	if (sa->valid & SMB_SET_SIZE)
		atomic_fetch_add(&cl->pre_epoch, 1); /* the data read with an open may be gone (smb2_pre.c) */
	if (sa->valid & SET_POSIX)
		return setattr_posix(cl, path, fh, sa, attr_out);
	return setattr_do(cl, path, fh, sa, attr_out);
}

/* ---- directories ---- */

#define DIR_BUF_LEN (1024u * 1024)

/* One line naming the entry the walk refused (MS-FSCC 2.4.17: NextEntryOffset at 0, FileNameLength at 60). */
static void log_dir_error(const struct smb2_dir_iter *it)
{
	uint32_t at = it->off, left = it->len > at ? it->len - at : 0;
	uint32_t next = left >= 4 ? get_le32(it->buf + at) : 0, nlen = left >= 64 ? get_le32(it->buf + at + 60) : 0;
	log_warn("server reply: directory entry at offset %u: NextEntryOffset %u, FileNameLength %u do not fit "
		 "the %u-byte buffer (or step backwards)", at, next, nlen, it->len);
}

/* What a listing entry's attributes cannot say (smb2_reparse_attr), asked by the entry's path: a device's
 * numbers, and without POSIX whether an NFS reparse point (a link, or a fifo: the tag is the same) is a
 * link, so that a listing and a stat agree. Nothing for any other entry. */
static void reparse_of_entry(struct smb_client *cl, const char *dir, const char *name, struct smb_attr *a,
			     uint32_t tag)
{
	bool nfs = !cl->posix && (a->attrs & SMB_ATTR_REPARSE_POINT) && tag == IO_REPARSE_TAG_NFS;
	if (!S_ISCHR(a->mode) && !S_ISBLK(a->mode) && !nfs)
		return;
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);
	if (p) {
		snprintf(p, n, "%s%s%s", dir, *dir ? "/" : "", name);
		smb2_reparse_attr(cl, p, a);
	}
	free(p);
}

/* Hand each entry of one QUERY_DIRECTORY reply to fn. Returns 1 if fn asked to stop. */
static int dir_emit(struct smb_client *cl, const char *dir, const struct conn_msg *m, smb_dirent_fn fn, void *arg,
		    struct proto_sweep *sw, bool snap)
{
	struct smb2_query_dir_rsp q;
	if (smb2_query_dir_rsp_decode(m->rsp, m->rsp_len, &q) < 0) {
		log_warn("server reply: QUERY_DIRECTORY OutputBufferOffset/Length lie outside the %zu-byte reply",
			 m->rsp_len);
		return -EIO;
	}
	struct smb2_dir_iter it;
	struct smb2_dirent e;
	smb2_dir_iter_init(&it, cl->posix ? FilePosixInformation : FileIdBothDirectoryInformation, q.buf, q.len);
	int rc;
	while ((rc = smb2_dir_next(&it, &e)) > 0) {
		char *name;
		int stop = 0;
		if (proto_listed_name(cl, e.name, e.name_len, &name) > 0 && !proto_sweep_note(sw, name)) {
			struct smb_attr a;
			attr_fill(&a, e.creation_time, e.last_access_time, e.last_write_time, e.change_time, e.end_of_file,
				  e.allocation_size, e.attributes);
			a.file_id = snap ? 0 : e.file_id; /* an @GMT directory: as attr_from_all_info */
			if (cl->posix)
				attr_from_posix(&a, &e.posix);
			else
				smb2_reparse_note_tag(&a, e.ea_size);
			reparse_of_entry(cl, dir, name, &a, e.ea_size);
			stop = fn(arg, name, &a);
		}
		free(name);
		if (stop)
			return 1;
	}
	if (rc < 0)
		log_dir_error(&it);
	return rc < 0 ? -EIO : 0;
}

static void add_query_dir(struct cmp *c, struct smb2_fid fid, uint32_t len)
{
	/* The POSIX level carries mode, owner and nlink: `ls -l` needs no request per entry either way. */
	struct smb2_query_dir_req req = {.info_class = c->cl && c->cl->posix ? FilePosixInformation
								       : FileIdBothDirectoryInformation,
					 .fid = fid,
					 .pattern = "*",
					 .pattern_len = 1,
					 .output_buffer_length = len};
	smb2_query_dir_req_encode(cmp_add(c, SMB2_QUERY_DIRECTORY, len), &req);
}

static void work_query_dir(struct cmp *c, const void *arg)
{
	add_query_dir(c, FID_RELATED, *(const uint32_t *)arg);
}


static int smb2_readdir(struct smb_client *cl, const char *path, smb_dirent_fn fn, void *arg, struct smb_attr *self)
{
	struct proto_sweep sw = {.n = 0};
	if (self)
		memset(self, 0, sizeof(*self));
	pcache_writeback(cl, path, true); /* the listing's sizes */
	char *wpath;
	int rc = proto_wire_path(cl, path, &wpath);
	if (rc < 0)
		return rc;
	struct sess_info si;
	sess_get_info(cl->sess, &si);
	uint32_t len = si.dialect == SMB2_DIALECT_202 ? 65536u : MIN(DIR_BUF_LEN, MAX(65536u, si.max_transact));
	/* First round trip: open the directory and read the first batch together. */
	struct cmp c;
	cmp_init(&c, cl);
	add_create(&c, wpath, FILE_READ_DATA | FILE_READ_ATTRIBUTES | SYNCHRONIZE, FILE_OPEN, FILE_DIRECTORY_FILE);
	work_query_dir(&c, &len);
	free(wpath);
	struct watch *asking = pcache_listing_begin(cl, path); /* after the watch's first request, if new */
	rc = cmp_send(cl, &c, true);
	int at = -1;
	if (rc == 0)
		rc = cmp_errno(&c, &at);
	pcache_listing_opened(cl, asking, rc == 0 || at > 0); /* the open itself succeeded */
	if (rc < 0 && at <= 0)
		goto out; /* not sent, or the open failed: nothing to close */
	struct smb2_create_rsp cr;
	if (smb2_create_rsp_decode(c.m[0].rsp, c.m[0].rsp_len, &cr) < 0) {
		rc = -EIO;
		goto out;
	}
	struct smb2_fid fid = cr.fid;
	bool snap = c.snap;
	if (self)
		attr_from_create(&cr, self);
	uint32_t st = c.m[1].rsp_hdr.status;
	rc = st == STATUS_SUCCESS ? dir_emit(cl, path, &c.m[1], fn, arg, &sw, snap) : (st == STATUS_NO_MORE_FILES ? 1 : rc);
	while (rc == 0) {
		cmp_free(&c);
		cmp_init(&c, cl);
		add_query_dir(&c, fid, len);
		rc = cmp_send(cl, &c, true);
		if (rc < 0)
			break;
		st = c.m[0].rsp_hdr.status;
		if (st == STATUS_NO_MORE_FILES)
			break;
		rc = st == STATUS_SUCCESS ? dir_emit(cl, path, &c.m[0], fn, arg, &sw, snap) : (ntstatus_to_errno(st) ?: -EIO);
	}
	cmp_free(&c);
	cmp_init(&c, cl);
	add_close(&c, fid);
	cmp_send(cl, &c, false);
	rc = rc > 0 ? 0 : rc;
out:
	cmp_free(&c);
	proto_sweep_run(cl, path, &sw, smb2_sweep_delete);
	return rc;
}

static void work_statfs(struct cmp *c, const void *arg)
{
	add_query(c, FID_RELATED, SMB2_0_INFO_FILESYSTEM, FileFsFullSizeInformation, 64);
	add_query(c, FID_RELATED, SMB2_0_INFO_FILESYSTEM, FileFsAttributeInformation, 512);
}

static int smb2_statfs(struct smb_client *cl, struct smb_statfs *out)
{
	struct cmp c;
	int rc = path_compound(cl, "", FILE_READ_ATTRIBUTES | SYNCHRONIZE, FILE_OPEN, 0, work_statfs, NULL, true, &c);
	struct smb2_query_info_rsp q;
	struct smb2_fs_full_size_info fs;
	struct smb2_fs_attribute_info fa;
	if (rc == 0 && (smb2_query_info_rsp_decode(c.m[1].rsp, c.m[1].rsp_len, &q) < 0 ||
			smb2_fs_full_size_info_decode(q.buf, q.len, &fs) < 0))
		rc = -EIO;
	if (rc == 0) {
		memset(out, 0, sizeof(*out));
		out->block_size = (uint64_t)fs.sectors_per_unit * fs.bytes_per_sector;
		out->total_blocks = fs.total_alloc_units;
		out->free_blocks = fs.caller_avail_units;
		out->name_max = 255;
		if (smb2_query_info_rsp_decode(c.m[2].rsp, c.m[2].rsp_len, &q) == 0 &&
		    smb2_fs_attribute_info_decode(q.buf, q.len, &fa) == 0 && fa.max_name_len > 0)
			out->name_max = (uint32_t)fa.max_name_len;
		if (!out->block_size)
			out->block_size = 4096;
	}
	cmp_free(&c);
	return rc;
}

const struct smb_ops smb2_ops = {
    .stat = smb2_stat,
    .open = smb2_open,
    .close = smb2_close,
    .read = smb2_pre_or_read,
    .write = smb2_write,
    .flush = pcache_flush,
    .fsync = smb2_fsync,
    .fstat = smb2_fstat,
    .setattr = smb2_setattr,
    .readdir = smb2_readdir,
    .mkdir = smb2_mkdir,
    .rmdir = smb2_rmdir,
    .unlink = smb2_unlink,
    .rename = smb2_rename,
    .link = smb2_link,
    .readlink = smb2_readlink, /* reparse points; symlink and mknod only with POSIX (client.c) */
    .statfs = smb2_statfs,
    .snapshots = smb2_snapshots,
    .set_events = pcache_set_events,
    .cached = pcache_cached,
    .watch = pcache_watch,
    .stats = pcache_stats,
    .lock = smb2_lock,
    .unlock = smb2_unlock,
    .fallocate = smb2_fallocate,
    .seek = smb2_seek,
    .copy_range = smb2_copy_range,
    .list_eas = smb2_list_eas,
    .set_ea = smb2_set_ea,
    .get_sd = smb2_get_sd,
    .set_sd = smb2_set_sd,
};
