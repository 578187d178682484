/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * smb1_ns.c - SMB1 namespace operations: mkdir, rmdir, unlink (and of a file still open: the silly rename of
 * hidden.c), rename (MS-CIFS 2.2.4.7 RENAME, 2.2.4.14 DELETE, 2.2.4.3 CREATE_DIRECTORY, 2.2.4.4
 * DELETE_DIRECTORY; delete-on-close and FileRenameInformation at the pass-through level, MS-SMB 2.2.2.3.5), hard
 * links (2.2.4.66 NT_RENAME).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smb1_proto_i.h"
#include "smbfuse/err.h"
#include "smbfuse/log.h"
#include "smbfuse/smb1.h"
#include "smbfuse/smb1_session.h"
#include "smbfuse/smb2.h"
#include "smbfuse/util.h"

struct path_cmd {
	uint8_t command;
	const char *wpath;
};

static int enc_path(struct wbuf *w, const void *arg)
{
	const struct path_cmd *p = arg;
	return smb1_path_req_encode(w, p->command, p->wpath);
}

static int path_command(struct s1link *l, uint8_t command, const char *wpath)
{
	struct path_cmd p = {command, wpath};
	return simple(l, command, enc_path, &p);
}

static int op_mkdir(struct s1link *l, const char *wpath, void *arg)
{
	int rc = path_command(l, SMB1_COM_CREATE_DIRECTORY, wpath);
	return rc == 0 && arg ? query_all(l, wpath, 0, arg) : rc;
}

int smb1_mkdir(struct smb_client *cl, const char *path, mode_t mode, struct smb_attr *attr_out)
{
	(void)mode; /* SMB1 stores no Unix mode */
	return proto_snap_refuse(path, NULL) ?: on_link(cl, path, op_mkdir, attr_out, false);
}

static int delete_by_handle(struct s1link *l, const char *wpath, uint32_t options, bool share_none);

/* As SMB2's delete (smb2_ops.c delete_wpath): share nothing first, so that another client's watch or cached
 * handle is broken away or refuses at once; then share everything (arg is told the delete is pending).
 * DELETE_DIRECTORY, which gives no such choice, without the pass-through level. */
static int op_rmdir(struct s1link *l, const char *wpath, void *arg)
{
	if (!(l->info.capabilities & SMB1_CAP_INFOLEVEL_PASSTHRU))
		return path_command(l, SMB1_COM_DELETE_DIRECTORY, wpath);
	int rc = delete_by_handle(l, wpath, FILE_DIRECTORY_FILE, true);
	if (rc == -EBUSY) {
		rc = delete_by_handle(l, wpath, FILE_DIRECTORY_FILE, false);
		*(bool *)arg = rc == 0;
	}
	return rc;
}

static int rmdir_once(struct smb_client *cl, const char *path)
{
	bool pending = false;
	int rc = on_link(cl, path, op_rmdir, &pending, false);
	if (pending)
		pcache_note_pending(cl, path);
	return rc;
}

int smb1_rmdir(struct smb_client *cl, const char *path)
{
	if (proto_snap_refuse(path, NULL) < 0)
		return -EROFS;
	pcache_flush_path(cl, path);
	return pcache_rmdir(cl, path, rmdir_once);
}

static int delete_on_close(struct s1link *l, const char *wpath);

/*
 * DELETE; a read-only file has its attribute cleared and is deleted again, as POSIX lets it go. smbd's
 * DELETE shares nothing, so a handle another client keeps only as a cache is broken away (its oplock);
 * one in use refuses (sharing violation), and then the file is set delete-on-close through a handle of
 * ours that shares everything: the name goes when that client closes it, as SMB has it (arg, when not
 * NULL, is told so).
 */
static int op_unlink(struct s1link *l, const char *wpath, void *arg)
{
	int rc = path_command(l, SMB1_COM_DELETE, wpath);
	if (rc == -EBUSY && (l->info.capabilities & SMB1_CAP_INFOLEVEL_PASSTHRU)) {
		rc = delete_on_close(l, wpath);
		if (rc == 0 && arg)
			*(bool *)arg = true;
		return rc;
	}
	if (rc != -EACCES)
		return rc;
	struct smb_attr a;
	if (query_all(l, wpath, 0, &a) < 0 || !(a.attrs & SMB_ATTR_READONLY))
		return rc;
	struct smb_setattr sa = {.valid = SMB_SET_ATTRS, .attrs = a.attrs & ~SMB_ATTR_READONLY};
	struct setattr_args sargs = {&sa, NULL};
	if (setattr_on(l, wpath, 0, &sargs) < 0)
		return rc;
	return path_command(l, SMB1_COM_DELETE, wpath);
}

int sweep_delete(struct smb_client *cl, const char *wpath)
{
	return on_wlink(cl, wpath, op_unlink, NULL, false);
}

static int enc_rename(struct wbuf *w, const void *arg);

/* Delete-on-close through a handle of our own (sharing nothing, or everything), at the pass-through level
 * (CAP_INFOLEVEL_PASSTHRU), as replace_on_fid. */
static int delete_by_handle(struct s1link *l, const char *wpath, uint32_t options, bool share_none)
{
	struct create_args a = {.access = DELETE | FILE_READ_ATTRIBUTES | SYNCHRONIZE,
				.disposition = FILE_OPEN,
				.options = options | FILE_OPEN_REPARSE_POINT,
				.share_none = share_none};
	int rc = op_create(l, wpath, &a);
	if (rc < 0)
		return rc;
	struct wbuf p;
	wbuf_init(&p, 0);
	rc = smb2_file_disposition_info_encode(&p, true);
	if (rc == 0)
		rc = set_info(l, NULL, a.fid, FileDispositionInformation, &p);
	wbuf_free(&p);
	close_fid(l, a.fid);
	return rc;
}

/* The same sharing everything: smbd opens for its DELETE command without FILE_SHARE_DELETE, which meets a
 * sharing violation while the file is open. */
static int delete_on_close(struct s1link *l, const char *wpath)
{
	if (!(l->info.capabilities & SMB1_CAP_INFOLEVEL_PASSTHRU))
		return path_command(l, SMB1_COM_DELETE, wpath);
	return delete_by_handle(l, wpath, FILE_NON_DIRECTORY_FILE, false);
}

/* Silly rename (hidden.c): RENAME to the hidden name arg, then delete-on-close there. SMB1 has no POSIX
 * delete semantics without the Unix extensions. */
static int op_unlink_open(struct s1link *l, const char *wpath, void *arg)
{
	struct path_cmd p[2] = {{0, wpath}, {0, arg}};
	int rc = simple(l, SMB1_COM_RENAME, enc_rename, p);
	if (rc < 0)
		return rc;
	rc = delete_on_close(l, arg);
	if (rc < 0)
		log_warn("\"%s\" unlinked while open is left as \"%s\": delete-on-close refused (%s)", wpath,
			 (const char *)arg, strerror(-rc));
	return 0; /* renamed, so the name is gone; a later listing removes what is left */
}

/* Parked handles go first: smbd would leave the file delete-pending, or break our own oplock. */
int smb1_unlink(struct smb_client *cl, const char *path, unsigned flags)
{
	if (proto_snap_refuse(path, NULL) < 0)
		return -EROFS;
	pcache_flush_path(cl, path);
	if (!(flags & SMB_UNLINK_OPEN)) {
		bool pending = false;
		int rc = on_link(cl, path, op_unlink, &pending, false);
		if (pending)
			pcache_note_pending(cl, path);
		return rc;
	}
	char *wsilly;
	int rc = proto_silly_wpath(cl, path, &wsilly);
	if (rc == 0)
		rc = on_link(cl, path, op_unlink_open, wsilly, false);
	if (rc == 0)
		pcache_unlinked(cl, path);
	free(wsilly);
	return rc;
}

struct rename_args {
	const char *wto;
	unsigned flags;
};

static int enc_rename(struct wbuf *w, const void *arg)
{
	const struct path_cmd *p = arg;
	return smb1_rename_req_encode(w, p[0].wpath, p[1].wpath);
}

/* The name after the last separator of a wire path; *dir_len gets the length of the directory before it. */
static const char *wire_leaf(const char *wpath, size_t *dir_len)
{
	const char *sep = strrchr(wpath, '\\');
	*dir_len = sep ? (size_t)(sep - wpath) : 0;
	return sep ? sep + 1 : wpath;
}

/*
 * Replace in one step: FileRenameInformation with ReplaceIfExists at the pass-through level (MS-SMB
 * 2.2.2.3.5, MS-FSCC 2.4.42.1) on a handle of the source, so the target is never missing. The form carries a
 * bare name, the target's directory being the source's (smbd answers a path with STATUS_NOT_SUPPORTED):
 * 1 when wfrom and wto are not in one directory or the server lacks CAP_INFOLEVEL_PASSTHRU, for the caller
 * to replace another way.
 */
static int replace_on_fid(struct s1link *l, const char *wfrom, const char *wto)
{
	size_t from_dir, to_dir;
	const char *leaf = wire_leaf(wto, &to_dir);
	wire_leaf(wfrom, &from_dir);
	if (!(l->info.capabilities & SMB1_CAP_INFOLEVEL_PASSTHRU) || from_dir != to_dir ||
	    strncmp(wfrom, wto, from_dir) != 0)
		return 1;
	struct create_args a = {.access = DELETE | FILE_READ_ATTRIBUTES | SYNCHRONIZE,
				.disposition = FILE_OPEN,
				.options = FILE_OPEN_REPARSE_POINT};
	int rc = op_create(l, wfrom, &a);
	if (rc < 0)
		return rc;
	struct wbuf p;
	wbuf_init(&p, 0);
	rc = smb1_file_rename_info_encode(&p, true, leaf, strlen(leaf));
	if (rc == 0)
		rc = set_info(l, NULL, a.fid, FileRenameInformation, &p);
	wbuf_free(&p);
	close_fid(l, a.fid); /* the rename stands (or not) whatever the close says */
	/* smbd 4.17 answers STATUS_NO_SUCH_FILE for a source it counts as hidden (a dot file, with its default
	 * "hide dot files"), though the handle is open: replace the old way then. */
	return rc == -ENOENT ? 1 : rc;
}

/*
 * RENAME (MS-CIFS 2.2.4.8) refuses an existing target. To replace it, replace_on_fid where it can; elsewhere
 * the target is deleted first (a file, or an empty directory as rename(2) allows) and RENAME repeated: not
 * atomic, and another client may win the gap.
 */
static int op_rename(struct s1link *l, const char *wfrom, void *arg)
{
	const struct rename_args *a = arg;
	struct path_cmd p[2] = {{0, wfrom}, {0, a->wto}};
	int rc = simple(l, SMB1_COM_RENAME, enc_rename, p);
	if (rc != -EEXIST || (a->flags & SMB_RENAME_NOREPLACE))
		return rc;
	if ((rc = replace_on_fid(l, wfrom, a->wto)) <= 0)
		return rc;
	rc = -EEXIST;
	struct smb_attr from, to;
	if (query_all(l, wfrom, 0, &from) < 0 || query_all(l, a->wto, 0, &to) < 0)
		return rc;
	if (smb_attr_is_dir(&from) != smb_attr_is_dir(&to))
		return smb_attr_is_dir(&to) ? -EISDIR : -ENOTDIR;
	int drc = smb_attr_is_dir(&to) ? op_rmdir(l, a->wto, NULL) : op_unlink(l, a->wto, NULL);
	if (drc < 0)
		return drc;
	return simple(l, SMB1_COM_RENAME, enc_rename, p);
}

int smb1_rename(struct smb_client *cl, const char *from, const char *to, unsigned flags)
{
	struct rename_args a = {NULL, flags};
	char *wto;
	if (proto_snap_refuse(from, to) < 0)
		return -EROFS;
	pcache_flush_path(cl, from);
	pcache_flush_path(cl, to);
	int rc = proto_wire_path(cl, to, &wto);
	if (rc < 0)
		return rc;
	a.wto = wto;
	rc = on_link(cl, from, op_rename, &a, false);
	free(wto);
	return rc;
}

struct hardlink_args {
	const char *wto;
	struct smb_attr *attr_out;
};

static int enc_hardlink(struct wbuf *w, const void *arg)
{
	const struct path_cmd *p = arg;
	return smb1_nt_rename_req_encode(w, SMB1_NT_RENAME_SET_LINK_INFO, p[0].wpath, p[1].wpath);
}

/* NT_RENAME with the hard-link level, as the Linux client sends it (smbd reply_ntrename). It never
 * replaces: an existing target is STATUS_OBJECT_NAME_COLLISION. */
static int op_hardlink(struct s1link *l, const char *wfrom, void *arg)
{
	const struct hardlink_args *a = arg;
	struct path_cmd p[2] = {{0, wfrom}, {0, a->wto}};
	int rc = simple(l, SMB1_COM_NT_RENAME, enc_hardlink, p);
	if (rc == -EISDIR || rc == -EOPNOTSUPP)
		return -EPERM; /* link(2) of a directory, or no hard links on the server's file system */
	return rc == 0 && a->attr_out ? query_all(l, a->wto, 0, a->attr_out) : rc;
}

int smb1_link(struct smb_client *cl, const char *from, const char *to, struct smb_attr *attr_out)
{
	char *wto;
	int rc = proto_snap_refuse(from, to) ?: proto_wire_path(cl, to, &wto);
	if (rc < 0)
		return rc;
	struct hardlink_args a = {wto, attr_out};
	rc = on_link(cl, from, op_hardlink, &a, false);
	free(wto);
	return rc;
}
