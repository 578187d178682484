/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reparse-point symlinks on a mount without the POSIX extensions (plain SMB2, as to Windows) against the
 * scripted server of psrv.h: a listing's EaSize names the reparse tag of an entry with
 * FILE_ATTRIBUTE_REPARSE_POINT (MS-FSCC 2.4.18), a stat of a reparse point asks FSCTL_GET_REPARSE_POINT
 * whether it is a link, readlink reads it; and what a hostile or refusing server makes of each. No server
 * on this machine makes such links for a client without the extensions (Samba 4.17 and 4.22 follow or hide
 * the links on their disk); test_posix_links.py has Samba 4.22 serve those made with the extensions.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "psrv.h"
#include "smbfuse/err.h"
#include "smbfuse/log.h"
#include "smbfuse/smb2.h"
#include "smbfuse/util.h"

static struct psrv srv;
static struct smb_client *cl;
static const struct smb_ops *ops;
static uint8_t rp[256];

#define STATUS_NOT_A_REPARSE_POINT 0xC0000275u

/* A symlink buffer naming target in both names, as Windows writes one ("..\\dir\\f", relative). */
static size_t win_link(const char *target)
{
	struct wbuf w;
	wbuf_init(&w, 0);
	if (smb2_reparse_symlink_encode(&w, target) < 0 || w.len > sizeof(rp))
		abort();
	memcpy(rp, w.p, w.len);
	size_t n = w.len;
	wbuf_free(&w);
	return n;
}

static void serve(const uint8_t *out, size_t len, uint32_t status, uint32_t file_attrs)
{
	pthread_mutex_lock(&srv.mu);
	srv.ioctl_out = out;
	srv.ioctl_out_len = len;
	srv.ioctl_status = status;
	srv.file_attrs = file_attrs;
	pthread_mutex_unlock(&srv.mu);
}

static unsigned ioctls(void)
{
	pthread_mutex_lock(&srv.mu);
	unsigned v = srv.ioctls;
	pthread_mutex_unlock(&srv.mu);
	return v;
}

struct seen {
	int links, dirs, n;
	bool dlnk_link, plain_link, dfs_link;
};

static int on_entry(void *arg, const char *name, const struct smb_attr *a)
{
	struct seen *s = arg;
	s->n++;
	s->links += a->symlink;
	s->dirs += smb_attr_is_dir(a);
	if (strcmp(name, "dlnk") == 0)
		s->dlnk_link = a->symlink && !smb_attr_is_dir(a);
	if (strcmp(name, "plain") == 0)
		s->plain_link = a->symlink;
	if (strcmp(name, "dfs") == 0)
		s->dfs_link = a->symlink;
	return 0;
}

static void entry(uint8_t **buf, size_t *len, size_t *last, const char *name, uint32_t attrs, uint32_t ea)
{
	uint8_t n16[32];
	size_t n = strlen(name);
	for (size_t i = 0; i < n; i++)
		put_le16(n16 + 2 * i, (uint8_t)name[i]);
	psrv_dirent(buf, len, last, n16, 2 * n, (uint32_t)(2 * n), attrs);
	put_le32(*buf + *last + 64, ea); /* EaSize: the reparse tag when the attribute says reparse point */
}

static void test_listing(void)
{
	uint8_t *buf = NULL;
	size_t len = 0, last = 0;
	entry(&buf, &len, &last, "lnk", SMB_ATTR_ARCHIVE | SMB_ATTR_REPARSE_POINT, IO_REPARSE_TAG_SYMLINK);
	entry(&buf, &len, &last, "dlnk", SMB_ATTR_DIRECTORY | SMB_ATTR_REPARSE_POINT, IO_REPARSE_TAG_SYMLINK);
	entry(&buf, &len, &last, "dfs", SMB_ATTR_DIRECTORY | SMB_ATTR_REPARSE_POINT, 0x8000000Au);
	/* No reparse attribute: EaSize is the size of its EAs, whatever its value. */
	entry(&buf, &len, &last, "plain", SMB_ATTR_ARCHIVE, IO_REPARSE_TAG_SYMLINK);
	psrv_set_listing(&srv, buf, len);
	struct seen s = {0};
	unsigned n0 = ioctls();
	CHECK(ops->readdir(cl, "d", on_entry, &s, NULL) == 0);
	CHECK(s.n == 4 && s.links == 2 && s.dirs == 1);
	CHECK(s.dlnk_link && !s.plain_link && !s.dfs_link);
	CHECK(ioctls() == n0); /* the listing alone tells: no request per entry */
	/* An NFS reparse point may be a link or a fifo: the entry's own point tells, as a stat's would. */
	entry(&buf, &len, &last, "nfs", SMB_ATTR_ARCHIVE | SMB_ATTR_REPARSE_POINT, IO_REPARSE_TAG_NFS);
	psrv_set_listing(&srv, buf, len);
	static const uint8_t lnk[] = {0x14, 0, 0, 0x80, 10, 0, 0, 0, 0x4c, 0x4e, 0x4b, 0x01, 0, 0, 0, 0, 'x', 0};
	serve(lnk, sizeof(lnk), STATUS_SUCCESS, 0);
	memset(&s, 0, sizeof(s));
	CHECK(ops->readdir(cl, "d", on_entry, &s, NULL) == 0 && s.n == 5 && s.links == 3 && ioctls() == n0 + 1);
	psrv_set_listing(&srv, NULL, 0);
	free(buf);
}

static void test_readlink(void)
{
	char *t = NULL;
	serve(rp, win_link("..\\dir\\f"), STATUS_SUCCESS, 0);
	CHECK(ops->readlink(cl, "lnk", &t) == 0 && t && strcmp(t, "../dir/f") == 0);
	free(t);
	/* Not a reparse point; another kind of one: not a link. */
	serve(NULL, 0, STATUS_NOT_A_REPARSE_POINT, 0);
	CHECK(ops->readlink(cl, "f", &t) == -EINVAL && t == NULL);
	size_t n = win_link("x");
	put_le32(rp, 0x80000013u);
	serve(rp, n, STATUS_SUCCESS, 0);
	CHECK(ops->readlink(cl, "f", &t) == -EINVAL && t == NULL);
	/* Hostile: names past the data, an IOCTL answer cut short. */
	n = win_link("target");
	put_le16(rp + 8, 200);
	serve(rp, n, STATUS_SUCCESS, 0);
	CHECK(ops->readlink(cl, "lnk", &t) == -EIO && t == NULL);
	serve(rp, win_link("target"), STATUS_SUCCESS, 0);
	psrv_arm(&srv, SMB2_IOCTL, 0, PSRV_MALFORMED, 0);
	CHECK(ops->readlink(cl, "lnk", &t) == -EIO && t == NULL);
	CHECK(psrv_fired(&srv) >= 1);
	serve(NULL, 0, STATUS_ACCESS_DENIED, 0);
	CHECK(ops->readlink(cl, "lnk", &t) == -EACCES && t == NULL);
}

static void test_stat(void)
{
	struct smb_attr a;
	/* A file that is no reparse point costs no IOCTL. */
	serve(rp, win_link("t"), STATUS_SUCCESS, 0);
	unsigned n0 = ioctls();
	CHECK(ops->stat(cl, "f", &a) == 0 && !a.symlink && ioctls() == n0);
	/* A reparse point that is a link. */
	serve(rp, win_link("t"), STATUS_SUCCESS, SMB_ATTR_ARCHIVE | SMB_ATTR_REPARSE_POINT);
	CHECK(ops->stat(cl, "lnk", &a) == 0 && a.symlink && ioctls() == n0 + 1);
	/* Another kind, a refusal, a buffer that does not decode: a file, and the stat still succeeds. */
	size_t n = win_link("t");
	put_le32(rp, 0x80000017u);
	serve(rp, n, STATUS_SUCCESS, SMB_ATTR_ARCHIVE | SMB_ATTR_REPARSE_POINT);
	CHECK(ops->stat(cl, "wof", &a) == 0 && !a.symlink);
	serve(NULL, 0, STATUS_ACCESS_DENIED, SMB_ATTR_ARCHIVE | SMB_ATTR_REPARSE_POINT);
	CHECK(ops->stat(cl, "lnk", &a) == 0 && !a.symlink);
	n = win_link("target");
	put_le16(rp + 4, 0xfff0);
	serve(rp, n, STATUS_SUCCESS, SMB_ATTR_ARCHIVE | SMB_ATTR_REPARSE_POINT);
	CHECK(ops->stat(cl, "lnk", &a) == 0 && !a.symlink);
	serve(NULL, 0, STATUS_SUCCESS, 0);
}

static void dirs(bool on, uint32_t attrs)
{
	pthread_mutex_lock(&srv.mu);
	srv.names_are_dirs = on;
	srv.file_attrs = attrs;
	pthread_mutex_unlock(&srv.mu);
}

static unsigned deletes(uint32_t *options)
{
	pthread_mutex_lock(&srv.mu);
	unsigned v = srv.deletes;
	*options = srv.delete_options;
	pthread_mutex_unlock(&srv.mu);
	return v;
}

/* rm of Windows' directory symlink: a non-directory open is refused, the link alone is deleted by another. */
static void test_unlink_dir_link(void)
{
	uint32_t opt;
	unsigned d0 = deletes(&opt);
	serve(rp, win_link("..\\dir"), STATUS_SUCCESS, 0);
	dirs(true, SMB_ATTR_DIRECTORY | SMB_ATTR_REPARSE_POINT);
	CHECK(ops->unlink(cl, "dlnk", 0) == 0);
	CHECK(deletes(&opt) == d0 + 1);
	CHECK((opt & FILE_OPEN_REPARSE_POINT) && !(opt & (FILE_DIRECTORY_FILE | FILE_NON_DIRECTORY_FILE)));
	/* A real directory, another kind of reparse point (a mount point), a refused stat: EISDIR, nothing deleted. */
	dirs(true, SMB_ATTR_DIRECTORY);
	CHECK(ops->unlink(cl, "dir", 0) == -EISDIR && deletes(&opt) == d0 + 1);
	size_t n = win_link("x");
	put_le32(rp, 0xA0000003u);
	serve(rp, n, STATUS_SUCCESS, 0);
	dirs(true, SMB_ATTR_DIRECTORY | SMB_ATTR_REPARSE_POINT);
	CHECK(ops->unlink(cl, "mnt", 0) == -EISDIR && deletes(&opt) == d0 + 1);
	serve(rp, win_link("..\\dir"), STATUS_SUCCESS, 0);
	psrv_arm(&srv, SMB2_QUERY_INFO, 0, PSRV_STATUS, STATUS_ACCESS_DENIED);
	CHECK(ops->unlink(cl, "dlnk", 0) == -EISDIR && deletes(&opt) == d0 + 1);
	psrv_arm(&srv, SMB2_QUERY_INFO, 0, PSRV_NONE, 0);
	dirs(false, 0);
	serve(NULL, 0, STATUS_SUCCESS, 0);
}

int main(void)
{
	if (getenv("REPARSE_DEBUG"))
		log_set_level(LOG_LVL_DEBUG);
	psrv_start(&srv);
	CHECK(psrv_client(&srv, false, 2000, &cl) == 0);
	ops = smb_client_ops(cl);
	/* Without the POSIX extensions: links are read, never made (that needs mfsymlinks). */
	CHECK(ops->readlink && !ops->symlink && !ops->mknod);
	test_listing();
	test_readlink();
	test_stat();
	test_unlink_dir_link();
	smb_client_free(cl);
	psrv_stop(&srv);
	return tap_done();
}
