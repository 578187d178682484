/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * smb2_ns.c - SMB2's namespace operations: mkdir, and the deletes, renames and hard links, each one
 * compound (smb2_cmp.c). Deletes that must share, unlink of an open file (POSIX delete semantics or the
 * hidden rename of hidden.c) and the rmdir that waits for another client's pending deletes are explained
 * where they are done. SMB1's are smb1_ns.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "smb2_proto_i.h"
#include "smbfuse/err.h"
#include "smbfuse/log.h"
#include "smbfuse/smb2.h"
#include "smbfuse/util.h"

int smb2_mkdir(struct smb_client *cl, const char *path, mode_t mode, struct smb_attr *attr_out)
{
	struct cmp c;
	char *wpath;
	cmp_init(&c, cl);
	int rc = proto_wire_path(cl, path, &wpath);
	if (rc < 0)
		return rc;
	c.mode = S_IFDIR | (mode & 07777); /* sent only with the POSIX extensions */
	add_create(&c, wpath, FILE_READ_ATTRIBUTES | SYNCHRONIZE, FILE_CREATE, FILE_DIRECTORY_FILE);
	add_query_all(&c, FID_RELATED, strlen(wpath));
	add_close(&c, FID_RELATED);
	free(wpath);
	rc = cmp_send(cl, &c, false);
	if (rc == 0)
		rc = cmp_errno(&c, NULL);
	if (rc == 0 && attr_out)
		rc = attr_from_all_info(&c, 1, attr_out);
	cmp_free(&c);
	return rc;
}

struct set_info_arg {
	uint8_t cls;
	const struct wbuf *payload;
};

static void work_set_info(struct cmp *c, const void *arg)
{
	const struct set_info_arg *a = arg;
	add_set_info(c, FID_RELATED, a->cls, a->payload);
}

/* set first: work_set_info takes the whole as its set_info_arg. */
struct name_info_arg {
	struct set_info_arg set;
	size_t wlen; /* the source's wire length, for a FileAllInformation query after */
};

/*
 * Delete by setting the disposition, so a refusal (not empty, in use) comes back as an error. The open asks
 * to share nothing first: another client's handle that it keeps only as a cache (under a Handle lease, like
 * our own parked handles) then conflicts, and the server breaks that lease so the client closes it, instead
 * of leaving the name delete-pending, visible to everyone until that cache expires. A handle that really is
 * in use refuses at once (sharing violation); the delete is asked again sharing everything, and the name
 * goes when that handle closes, as SMB has it. SMB1's DELETE opens share nothing in smbd already.
 */
#define DELETE_ACCESS (DELETE | FILE_READ_ATTRIBUTES | SYNCHRONIZE)

static int delete_wpath(struct smb_client *cl, const char *wpath, uint32_t options, bool *pending)
{
	struct wbuf p;
	struct cmp c;
	wbuf_init(&p, 0);
	smb2_file_disposition_info_encode(&p, true);
	struct set_info_arg arg = {FileDispositionInformation, &p};
	uint32_t share = 0;
	int rc;
	do {
		rc = wpath_compound_share(cl, wpath, DELETE_ACCESS, FILE_OPEN, options | FILE_OPEN_REPARSE_POINT, share,
					  work_set_info, &arg, false, &c);
		cmp_free(&c);
	} while (rc == -EBUSY && share == 0 && (share = FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE));
	if (pending)
		*pending = rc == 0 && share != 0;
	wbuf_free(&p);
	return rc;
}

static int delete_path(struct smb_client *cl, const char *path, uint32_t options)
{
	char *wpath;
	int rc = proto_wire_path(cl, path, &wpath);
	bool pending = false;
	if (rc == 0)
		rc = delete_wpath(cl, wpath, options, &pending);
	free(wpath);
	if (pending)
		pcache_note_pending(cl, path);
	return rc;
}

int smb2_sweep_delete(struct smb_client *cl, const char *wpath)
{
	return delete_wpath(cl, wpath, FILE_NON_DIRECTORY_FILE, NULL);
}

/*
 * POSIX delete semantics (MS-FSCC 2.4.11.2): the name goes at once, open handles keep working. 1 when done,
 * 0 when the server does not offer it (remembered for the mount: it is not asked again), else an error.
 */
static int unlink_posix(struct smb_client *cl, const char *path)
{
	if (atomic_load(&cl->posix_unlink) < 0)
		return 0;
	struct wbuf p;
	struct cmp c;
	wbuf_init(&p, 0);
	wbuf_u32(&p, FILE_DISPOSITION_DELETE | FILE_DISPOSITION_POSIX_SEMANTICS);
	struct set_info_arg arg = {FileDispositionInformationEx, &p};
	int rc = path_compound(cl, path, DELETE_ACCESS, FILE_OPEN, FILE_NON_DIRECTORY_FILE | FILE_OPEN_REPARSE_POINT,
			       work_set_info, &arg, false, &c);
	int at = -1;
	uint32_t st = rc < 0 && cmp_errno(&c, &at) < 0 && at == 1 ? c.m[1].rsp_hdr.status : 0;
	cmp_free(&c);
	wbuf_free(&p);
	if (rc == 0) {
		atomic_store(&cl->posix_unlink, 1);
		return 1;
	}
	/* Only the SET_INFO's own refusal says "not offered"; a failed open is the unlink's answer. */
	if (st == STATUS_INVALID_INFO_CLASS || st == STATUS_INVALID_LEVEL || st == STATUS_NOT_SUPPORTED ||
	    st == STATUS_INVALID_PARAMETER) {
		if (atomic_exchange(&cl->posix_unlink, -1) == 0)
			log_info("server refuses POSIX delete semantics (%s): files unlinked while open are renamed "
				 "to hidden names until their last close",
				 ntstatus_name(st));
		return 0;
	}
	return rc;
}

/* Clear READONLY (payload p[0]), then set delete-on-close (p[1]). */
static void work_unreadonly_delete(struct cmp *c, const void *arg)
{
	const struct wbuf *p = arg;
	add_set_info(c, FID_RELATED, FileBasicInformation, &p[0]);
	add_set_info(c, FID_RELATED, FileDispositionInformation, &p[1]);
}

/*
 * Silly rename: rename to a hidden name in the same directory and set delete-on-close there, in one
 * compound, so the server deletes the file at our last close, or when our connection drops. A disposition
 * refused for READONLY is asked again with the attribute cleared (the file is going anyway).
 */
static int unlink_silly(struct smb_client *cl, const char *path)
{
	char *wpath, *wsilly = NULL;
	int rc = proto_wire_path(cl, path, &wpath);
	if (rc == 0)
		rc = proto_silly_wpath(cl, path, &wsilly);
	if (rc < 0) {
		free(wpath);
		return rc;
	}
	struct wbuf ren, del[2];
	struct cmp c;
	wbuf_init(&ren, 0);
	wbuf_init(&del[0], 0);
	wbuf_init(&del[1], 0);
	smb2_file_rename_info_encode(&ren, false, wsilly, strlen(wsilly));
	smb2_file_basic_info_encode(&del[0], 0, 0, 0, 0, SMB_ATTR_NORMAL);
	smb2_file_disposition_info_encode(&del[1], true);
	cmp_init(&c, cl);
	add_create(&c, wpath, DELETE_ACCESS, FILE_OPEN, FILE_NON_DIRECTORY_FILE | FILE_OPEN_REPARSE_POINT);
	add_set_info(&c, FID_RELATED, FileRenameInformation, &ren);
	add_set_info(&c, FID_RELATED, FileDispositionInformation, &del[1]);
	add_close(&c, FID_RELATED);
	int at = -1;
	rc = cmp_send(cl, &c, false);
	if (rc == 0)
		rc = cmp_errno(&c, &at);
	if (rc == -EACCES && at == 2) {
		cmp_free(&c);
		rc = wpath_compound(cl, wsilly, DELETE_ACCESS | FILE_WRITE_ATTRIBUTES, FILE_OPEN, FILE_OPEN_REPARSE_POINT,
				    work_unreadonly_delete, del, false, &c);
		at = rc < 0 ? 2 : -1;
	}
	if (rc < 0 && at == 2) {
		/* Renamed, so the name is gone; what is left a later listing removes (hidden.c). */
		log_warn("\"%s\" unlinked while open is left as \"%s\": delete-on-close refused (%s)", wpath, wsilly,
			 strerror(-rc));
		rc = 0;
	}
	cmp_free(&c);
	wbuf_free(&ren);
	wbuf_free(&del[0]);
	wbuf_free(&del[1]);
	free(wpath);
	free(wsilly);
	return rc;
}

static int rmdir_once(struct smb_client *cl, const char *path)
{
	return delete_path(cl, path, FILE_DIRECTORY_FILE);
}

int smb2_rmdir(struct smb_client *cl, const char *path)
{
	pcache_flush_path(cl, path);
	return pcache_rmdir(cl, path, rmdir_once);
}

/*
 * A directory symlink of Windows (`mklink /D`: a directory with a SYMLINK reparse point) is a link here, so
 * the kernel unlinks it, and Windows refuses a non-directory open of it (STATUS_FILE_IS_A_DIRECTORY). Only
 * such a link is deleted by an open without that constraint; a real directory stays -EISDIR.
 */
static int unlink_dir_link(struct smb_client *cl, const char *path)
{
	struct smb_attr a;
	if (smb2_stat(cl, path, &a) < 0 || !a.symlink)
		return -EISDIR;
	return delete_path(cl, path, 0);
}

int smb2_unlink(struct smb_client *cl, const char *path, unsigned flags)
{
	pcache_flush_path(cl, path);
	if (flags & SMB_UNLINK_OPEN) {
		int rc = unlink_posix(cl, path);
		if (rc == 0)
			rc = unlink_silly(cl, path);
		if (rc >= 0)
			pcache_unlinked(cl, path);
		return rc < 0 ? rc : 0;
	}
	int rc = delete_path(cl, path, FILE_NON_DIRECTORY_FILE);
	if (rc == -EISDIR)
		return unlink_dir_link(cl, path);
	if (rc != -EACCES)
		return rc;
	/* POSIX lets a read-only file be unlinked; Windows semantics refuse. Clear the attribute and retry. */
	struct smb_attr a;
	if (smb2_stat(cl, path, &a) < 0 || !(a.attrs & SMB_ATTR_READONLY))
		return rc;
	struct smb_setattr sa = {.valid = SMB_SET_ATTRS, .attrs = a.attrs & ~SMB_ATTR_READONLY};
	if (smb2_setattr(cl, path, NULL, &sa, NULL) < 0)
		return rc;
	return delete_path(cl, path, FILE_NON_DIRECTORY_FILE);
}

/* A SET_INFO that names to (FileRenameInformation, FileLinkInformation: one layout) on a handle of from. */
static int set_name_info(struct smb_client *cl, const char *from, const char *to, uint8_t cls, bool replace,
			 work_fn work, struct cmp *c)
{
	char *wto, *plain;
	uint64_t twrp;
	int rc = proto_wire_path(cl, to, &wto);
	if (rc == 0 && (rc = proto_snap_split(wto, cl->posix ? '/' : '\\', &plain, &twrp)) == 1) {
		/* The source's CREATE refuses a previous version; the target is only a name in the request. */
		log_warn("%s: a previous version (@GMT) is read-only", wto);
		free(plain);
		free(wto);
		rc = -EROFS;
	}
	if (rc < 0) {
		cmp_init(c, cl);
		return rc;
	}
	struct wbuf p;
	wbuf_init(&p, 0);
	smb2_file_rename_info_encode(&p, replace, wto, strlen(wto));
	struct name_info_arg arg = {{cls, &p}, smb2_wire_len(cl, from)};
	rc = path_compound(cl, from, (cls == FileRenameInformation ? DELETE : 0) | FILE_READ_ATTRIBUTES | SYNCHRONIZE,
			   FILE_OPEN, FILE_OPEN_REPARSE_POINT, work, &arg, false, c);
	wbuf_free(&p);
	free(wto);
	return rc;
}

int smb2_rename(struct smb_client *cl, const char *from, const char *to, unsigned flags)
{
	pcache_flush_path(cl, from);
	pcache_flush_path(cl, to);
	struct cmp c;
	int rc = set_name_info(cl, from, to, FileRenameInformation, !(flags & SMB_RENAME_NOREPLACE), work_set_info, &c);
	cmp_free(&c);
	return rc;
}

/* FileLinkInformation (MS-FSCC 2.4.27.2), then the attributes with the new link count, in the same round
 * trip. */
static void work_link(struct cmp *c, const void *arg)
{
	const struct name_info_arg *a = arg;
	work_set_info(c, &a->set);
	add_query_all(c, FID_RELATED, a->wlen);
}

int smb2_link(struct smb_client *cl, const char *from, const char *to, struct smb_attr *attr_out)
{
	struct cmp c;
	/* ReplaceIfExists 0: link(2) never replaces. */
	int rc = set_name_info(cl, from, to, FileLinkInformation, false, work_link, &c);
	if (rc == 0 && attr_out)
		rc = attr_from_all_info(&c, 2, attr_out);
	cmp_free(&c);
	/* link(2) of a directory (smbd: STATUS_FILE_IS_A_DIRECTORY); a file system without hard links
	 * (STATUS_NOT_SUPPORTED, FAT on Windows) is EPERM too, as link(2) says. */
	if (rc == -EOPNOTSUPP)
		log_info("link \"%s\": the server's file system has no hard links", to);
	return rc == -EISDIR || rc == -EOPNOTSUPP ? -EPERM : rc;
}

