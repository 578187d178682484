/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The ops that only a mount with the SMB 3.1.1 POSIX extensions sends, or sends otherwise there, down their
 * failure paths (opsfail.h): stat and open by FilePosixInformation and the POSIX create context, the POSIX
 * listing level, chmod and chown as Unix-SID security descriptors, symlink and mknod as reparse points,
 * readlink, unlink with POSIX semantics. The scripted server speaks 3.1.1 with the extensions (psrv_posix.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "opsfail.h"
#include "smbfuse/err.h"
#include "smbfuse/smb2.h"
#include "smbfuse/util.h"

#define STATUS_DISK_FULL 0xC000007Fu

static int run_posix_stat(struct fx *f)
{
	struct smb_attr a;
	int rc = f->ops->stat(f->cl, "d/f", &a);
	return rc == 0 && (a.mode != 0100644 || !a.has_uid || a.uid != 1000) ? -EPROTO : rc;
}

static int run_posix_create(struct fx *f)
{
	struct smb_fh *fh = NULL;
	struct smb_attr a;
	int rc = f->ops->open(f->cl, "d/new", O_WRONLY | O_CREAT | O_EXCL, 0600, &fh, &a);
	if (rc == 0)
		f->ops->close(f->cl, fh);
	return rc;
}

static int posix_entry(void *arg, const char *name, const struct smb_attr *a)
{
	int *n = arg;
	*n += a->has_uid && a->uid == 1000 ? 1 : 100;
	return 0;
}

static int run_posix_readdir(struct fx *f)
{
	int n = 0;
	int rc = f->ops->readdir(f->cl, "d", posix_entry, &n, NULL);
	return rc == 0 && n != 2 ? -EPROTO : rc;
}

static int run_chmod(struct fx *f)
{
	struct smb_setattr sa = {.valid = SMB_SET_MODE, .mode = 0600};
	struct smb_attr a;
	return f->ops->setattr(f->cl, "d/f", NULL, &sa, &a);
}

static int run_chown(struct fx *f)
{
	struct smb_setattr sa = {.valid = SMB_SET_UID | SMB_SET_GID, .uid = 1001, .gid = 1001};
	struct smb_attr a;
	return f->ops->setattr(f->cl, NULL, f->fh, &sa, &a);
}

static int run_symlink(struct fx *f)
{
	struct smb_attr a;
	return f->ops->symlink(f->cl, "../t", "d/l", &a);
}

static int run_mkfifo(struct fx *f)
{
	struct smb_attr a;
	return f->ops->mknod(f->cl, "d/p", S_IFIFO | 0644, 0, 0, &a);
}

/* The server's link, as Samba keeps it: a SYMLINK reparse buffer naming "t". */
static int run_readlink(struct fx *f)
{
	static uint8_t rp[64];
	struct wbuf w;
	wbuf_init(&w, 0);
	if (smb2_reparse_symlink_encode(&w, "t") < 0 || w.len > sizeof(rp))
		abort();
	memcpy(rp, w.p, w.len);
	pthread_mutex_lock(&f->s.mu);
	f->s.ioctl_out = rp;
	f->s.ioctl_out_len = w.len;
	pthread_mutex_unlock(&f->s.mu);
	wbuf_free(&w);
	char *t = NULL;
	int rc = f->ops->readlink(f->cl, "d/l", &t);
	rc = rc == 0 && (!t || strcmp(t, "t") != 0) ? -EPROTO : rc;
	free(t);
	return rc;
}

static int run_posix_unlink(struct fx *f)
{
	return f->ops->unlink(f->cl, "d/f", SMB_UNLINK_OPEN);
}

#define P(name, run, fh, cmd, skip, status, want, malformed, drop)                                                \
	{name, run, fh, false, cmd, skip, status, want, malformed, drop, 0, false, 0, 0, 0, false}

static const struct op_case cases[] = {
    P("stat", run_posix_stat, false, SMB2_QUERY_INFO, 0, STATUS_OBJECT_NAME_NOT_FOUND, -ENOENT, -EIO, -EHOSTDOWN),
    P("stat/create", run_posix_stat, false, SMB2_CREATE, 0, STATUS_OBJECT_PATH_NOT_FOUND, -ENOENT, NA, -EHOSTDOWN),
    P("create", run_posix_create, false, SMB2_CREATE, 0, STATUS_OBJECT_NAME_COLLISION, -EEXIST, -EIO, -ECONNRESET),
    P("readdir", run_posix_readdir, false, SMB2_QUERY_DIRECTORY, 0, STATUS_ACCESS_DENIED, -EACCES, -EIO, -EHOSTDOWN),
    P("chmod", run_chmod, false, SMB2_SET_INFO, 0, STATUS_ACCESS_DENIED, -EPERM, NA, -ECONNRESET),
    P("chown", run_chown, true, SMB2_SET_INFO, 0, STATUS_ACCESS_DENIED, -EPERM, NA, -ECONNRESET),
    P("symlink", run_symlink, false, SMB2_IOCTL, 0, STATUS_ACCESS_DENIED, -EPERM, NA, -ECONNRESET),
    P("symlink/create", run_symlink, false, SMB2_CREATE, 0, STATUS_OBJECT_NAME_COLLISION, -EEXIST, NA, -ECONNRESET),
    P("mkfifo", run_mkfifo, false, SMB2_IOCTL, 0, STATUS_DISK_FULL, -ENOSPC, NA, -ECONNRESET),
    P("readlink", run_readlink, false, SMB2_IOCTL, 0, STATUS_ACCESS_DENIED, -EACCES, -EIO, -EHOSTDOWN),
    P("unlink", run_posix_unlink, false, SMB2_SET_INFO, 0, STATUS_ACCESS_DENIED, -EACCES, NA, -ECONNRESET),
};

int main(void)
{
	return opsfail_main(cases, sizeof(cases) / sizeof(cases[0]), OPSFAIL_POSIX);
}
