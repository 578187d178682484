/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * smb2_reparse.c - symbolic links as reparse points (issue posix): ops->readlink reads one with
 * FSCTL_GET_REPARSE_POINT and ops->symlink makes one with FSCTL_SET_REPARSE_POINT, each one CREATE + IOCTL
 * (+ QUERY_INFO) + CLOSE compound, the CREATE with FILE_OPEN_REPARSE_POINT so the server opens the link
 * itself, never its target.
 *
 * Samba 4.22 with the SMB 3.1.1 POSIX extensions reports a symlink on its disk as a reparse point with
 * IO_REPARSE_TAG_SYMLINK (the POSIX info's type says S_IFLNK) and answers GET_REPARSE_POINT with the Unix
 * target. A link made here is a reparse point Samba keeps in an extended attribute of a regular file
 * (fsctl_set_reparse_point): every SMB client sees a symlink, the server's own shell a small file. This is
 * what the kernel client does too (mount.cifs reparse=native).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "smb2_proto_i.h"
#include "smbfuse/err.h"
#include "smbfuse/log.h"
#include "smbfuse/smb2.h"

#define REPARSE_OUT_MAX (16u * 1024 + 8) /* MAXIMUM_REPARSE_DATA_BUFFER_SIZE (MS-FSCC 2.3.32) */

static void work_get(struct cmp *c, const void *arg)
{
	(void)arg;
	cmp_add_fsctl(c, FID_RELATED, FSCTL_GET_REPARSE_POINT, NULL, 0, REPARSE_OUT_MAX);
}

int smb2_readlink(struct smb_client *cl, const char *path, char **out)
{
	struct cmp c;
	struct smb2_ioctl_rsp r;
	*out = NULL;
	int rc = path_compound(cl, path, FILE_READ_ATTRIBUTES | SYNCHRONIZE, FILE_OPEN, FILE_OPEN_REPARSE_POINT,
			       work_get, NULL, true, &c);
	/* STATUS_NOT_A_REPARSE_POINT is EINVAL, as readlink(2) says of what is not a link. */
	if (rc == 0 && smb2_ioctl_rsp_decode(c.m[1].rsp, c.m[1].rsp_len, &r) < 0)
		rc = -EBADMSG;
	if (rc == 0)
		rc = smb2_reparse_link_decode(r.output, r.output_len, out);
	if (rc == -EBADMSG) {
		log_info("server reply: the reparse point of \"%s\" does not decode as a symbolic link", path);
		rc = -EIO;
	}
	cmp_free(&c);
	return rc;
}

struct set_arg {
	struct wbuf *data;
	size_t wlen;
};

static void work_set(struct cmp *c, const void *arg)
{
	const struct set_arg *a = arg;
	cmp_add_fsctl(c, FID_RELATED, FSCTL_SET_REPARSE_POINT, a->data->p, (uint32_t)a->data->len, 0);
	add_query_all(c, FID_RELATED, a->wlen);
}

int smb2_symlink(struct smb_client *cl, const char *target, const char *path, struct smb_attr *attr_out)
{
	struct wbuf data;
	struct cmp c;
	char *wpath = NULL;
	wbuf_init(&data, 0);
	int rc = smb2_reparse_symlink_encode(&data, target);
	if (rc == 0)
		rc = proto_wire_path(cl, path, &wpath);
	if (rc < 0) {
		wbuf_free(&data);
		return rc;
	}
	struct set_arg a = {&data, strlen(wpath)};
	cmp_init(&c, cl);
	/* Mode 0777, as symlink(2) gives: the file must be writable by us for Samba to store the reparse
	 * point in its extended attribute. FILE_CREATE: symlink(2) never replaces (EEXIST). */
	c.mode = 0777;
	add_create_share(cl, &c, wpath, FILE_WRITE_DATA | FILE_WRITE_ATTRIBUTES | FILE_READ_ATTRIBUTES | SYNCHRONIZE,
			 FILE_CREATE, FILE_NON_DIRECTORY_FILE | FILE_OPEN_REPARSE_POINT, false, NULL,
			 FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE);
	work_set(&c, &a);
	add_close(&c, FID_RELATED);
	rc = cmp_send(cl, &c, false);
	if (rc == 0)
		rc = cmp_errno(&c, NULL);
	uint32_t st = c.n > 1 ? c.m[1].rsp_hdr.status : STATUS_SUCCESS;
	bool made = c.n > 0 && c.m[0].rsp_hdr.status == STATUS_SUCCESS;
	if (rc == 0 && attr_out)
		rc = attr_from_all_info(&c, 2, attr_out);
	cmp_free(&c);
	if (rc < 0 && made && st != STATUS_SUCCESS) {
		/* The server made the file but keeps no reparse points (Samba 4.17, FAT): no plain file left. */
		log_info("symlink \"%s\": the server keeps no reparse points (%s); mount with mfsymlinks", path,
			 ntstatus_name(st));
		(void)cl->ops->unlink(cl, path, 0);
		rc = -EPERM;
	}
	wbuf_free(&data);
	free(wpath);
	return rc;
}
