/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * smb2_reparse.c - symbolic links and special files as reparse points (issue posix): ops->readlink reads
 * one with FSCTL_GET_REPARSE_POINT and ops->symlink / ops->mknod make one with FSCTL_SET_REPARSE_POINT, each
 * one CREATE + IOCTL (+ QUERY_INFO) + CLOSE compound, the CREATE with FILE_OPEN_REPARSE_POINT so the server
 * opens the link itself, never its target.
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

/*
 * Without the POSIX extensions a symlink is a reparse point of tag IO_REPARSE_TAG_SYMLINK (Windows' mklink,
 * a server's NFS LNK), which no attribute answer of a stat names: only a listing does, in EaSize (MS-FSCC
 * 2.4.18). So a stat of a reparse point asks the point itself, one more compound, for reparse points only.
 * A link is never a directory to Linux, even one Windows made to a directory (mklink /D).
 */
void smb2_reparse_note_tag(struct smb_attr *a, uint32_t tag)
{
	if ((a->attrs & SMB_ATTR_REPARSE_POINT) && tag == IO_REPARSE_TAG_SYMLINK) {
		a->symlink = true;
		a->attrs &= ~SMB_ATTR_DIRECTORY;
	}
}

static void symlink_of_stat(struct smb_client *cl, const char *path, struct smb_attr *a)
{
	if (cl->posix || !(a->attrs & SMB_ATTR_REPARSE_POINT))
		return;
	char *t = NULL;
	int rc = smb2_readlink(cl, path, &t);
	free(t);
	if (rc == 0)
		smb2_reparse_note_tag(a, IO_REPARSE_TAG_SYMLINK);
	else if (rc != -EINVAL) /* -EINVAL: another kind of reparse point (DFS, dedup, cloud files) */
		log_info("\"%s\": its reparse point could not be read (%s): shown as a file", path, strerror(-rc));
}

/*
 * A device's numbers, which no attribute answer carries (FilePosixInformation has the type only): one
 * GET_REPARSE_POINT compound for each device stat or listed; Samba answers NFS CHR/BLK for a device on its
 * disk (util_reparse.c fsctl_get_reparse_point_dev) and for one made here (the buffer we stored). Devices on
 * a share are rare, so a listing of ordinary files sends nothing more.
 */
void smb2_reparse_attr(struct smb_client *cl, const char *path, struct smb_attr *a)
{
	uint32_t type = a->mode & S_IFMT;
	symlink_of_stat(cl, path, a);
	if (!cl->posix || (type != S_IFCHR && type != S_IFBLK))
		return;
	struct cmp c;
	struct smb2_ioctl_rsp r;
	struct smb2_nfs_special sp;
	int rc = path_compound(cl, path, FILE_READ_ATTRIBUTES | SYNCHRONIZE, FILE_OPEN, FILE_OPEN_REPARSE_POINT,
			       work_get, NULL, true, &c);
	if (rc == 0 && (smb2_ioctl_rsp_decode(c.m[1].rsp, c.m[1].rsp_len, &r) < 0 ||
			smb2_reparse_nfs_decode(r.output, r.output_len, &sp) < 0 || sp.type != type))
		rc = -EBADMSG;
	if (rc == 0) {
		a->dev_major = sp.major;
		a->dev_minor = sp.minor;
	} else {
		log_info("\"%s\": the server did not give this device's numbers (%s): st_rdev 0", path,
			 rc == -EBADMSG ? "no NFS CHR/BLK reparse point" : strerror(-rc));
	}
	cmp_free(&c);
}

struct set_arg {
	const struct wbuf *data;
	const struct wbuf *mode_sd; /* chmod after the reparse point is set, or NULL */
	size_t wlen;
};

static void work_set(struct cmp *c, const void *arg)
{
	const struct set_arg *a = arg;
	cmp_add_fsctl(c, FID_RELATED, FSCTL_SET_REPARSE_POINT, a->data->p, (uint32_t)a->data->len, 0);
	if (a->mode_sd)
		add_set_info_type(c, FID_RELATED, SMB2_0_INFO_SECURITY, 0, DACL_SECURITY_INFORMATION, a->mode_sd);
	add_query_all(c, FID_RELATED, a->wlen);
}

/*
 * A new file at path holding the reparse point data, created with the 07777 bits mode and left with
 * final_mode (a chmod in the same compound when they differ). Samba keeps the reparse point in an extended
 * attribute of the file, which it may write only while the file is writable by its owner, so the caller
 * creates it with 0200 and chmods later (mkfifo -m 444). FILE_CREATE: symlink(2) and mknod(2) never
 * replace (EEXIST). what names the kind in the refusal's log line.
 */
static int make_reparse(struct smb_client *cl, const char *path, const struct wbuf *data, uint32_t mode,
			uint32_t final_mode, const char *what, struct smb_attr *attr_out)
{
	struct wbuf sd;
	struct cmp c;
	char *wpath = NULL;
	int rc = proto_wire_path(cl, path, &wpath);
	if (rc < 0)
		return rc;
	wbuf_init(&sd, 0);
	struct set_arg a = {data, NULL, strlen(wpath)};
	uint32_t access = FILE_WRITE_DATA | FILE_WRITE_ATTRIBUTES | FILE_READ_ATTRIBUTES | SYNCHRONIZE;
	if (final_mode != mode) {
		smb2_posix_mode_sd_encode(&sd, final_mode);
		a.mode_sd = &sd;
		access |= WRITE_DAC;
	}
	cmp_init(&c, cl);
	c.mode = mode;
	add_create_share(cl, &c, wpath, access, FILE_CREATE, FILE_NON_DIRECTORY_FILE | FILE_OPEN_REPARSE_POINT, false,
			 NULL, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE);
	work_set(&c, &a);
	add_close(&c, FID_RELATED);
	rc = cmp_send(cl, &c, false);
	if (rc == 0)
		rc = cmp_errno(&c, NULL);
	uint32_t st = c.n > 1 ? c.m[1].rsp_hdr.status : STATUS_SUCCESS;
	bool made = c.n > 0 && c.m[0].rsp_hdr.status == STATUS_SUCCESS;
	if (rc == 0 && attr_out)
		rc = attr_from_all_info(&c, c.n - 2, attr_out);
	cmp_free(&c);
	if (rc < 0 && made && st != STATUS_SUCCESS) {
		/* The server made the file but did not set its reparse point: no plain file left. A full disk or
		 * quota says so; any other refusal means it keeps none (Samba 4.17, FAT). */
		(void)cl->ops->unlink(cl, path, 0);
		if (rc != -ENOSPC && rc != -EDQUOT) {
			log_info("%s \"%s\": the server keeps no reparse points (%s)%s", what, path,
				 ntstatus_name(st), strcmp(what, "symlink") == 0 ? "; mount with mfsymlinks" : "");
			rc = -EPERM;
		}
	}
	wbuf_free(&sd);
	free(wpath);
	return rc;
}

int smb2_symlink(struct smb_client *cl, const char *target, const char *path, struct smb_attr *attr_out)
{
	struct wbuf data;
	wbuf_init(&data, 0);
	/* Mode 0777, as symlink(2) gives. */
	int rc = smb2_reparse_symlink_encode(&data, target);
	if (rc == 0)
		rc = make_reparse(cl, path, &data, 0777, 0777, "symlink", attr_out);
	wbuf_free(&data);
	return rc;
}

/* mknod(2) and mkfifo(3) as NFS reparse points (MS-FSCC 2.1.2.6), what the kernel client makes with
 * reparse=nfs: Samba 4.22 reports the type in the POSIX information of every client, and keeps a regular
 * file with the reparse point in its user.SmbReparse extended attribute on its disk (fsctl_set_reparse_point
 * sets reparse points on regular files only). */
int smb2_mknod(struct smb_client *cl, const char *path, mode_t mode, uint32_t major, uint32_t minor,
	       struct smb_attr *attr_out)
{
	struct smb2_nfs_special sp = {(uint32_t)(mode & S_IFMT), major, minor};
	bool dev = S_ISCHR(mode) || S_ISBLK(mode);
	if (!dev)
		sp.major = sp.minor = 0;
	struct wbuf data;
	wbuf_init(&data, 0);
	int rc = smb2_reparse_nfs_encode(&data, &sp);
	uint32_t perm = (uint32_t)mode & 07777;
	if (rc == 0)
		rc = make_reparse(cl, path, &data, perm | 0200, perm, "mknod", attr_out);
	wbuf_free(&data);
	if (rc == 0 && attr_out && dev) {
		attr_out->dev_major = major;
		attr_out->dev_minor = minor;
	}
	return rc;
}
