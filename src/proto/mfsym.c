/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mfsym.c - the mfsymlinks option: symbolic links kept as Minshall+French files (links.h), over either
 * dialect, byte-compatible with the Linux kernel client's mfsymlinks, so both see the same links.
 *
 * The dialect's table is wrapped (mfsym_install). stat and readdir look into every regular file of exactly
 * MFSYM_SIZE bytes and report a valid one as a symlink whose size is its target's length: one open, one
 * read and one close for each such file, and nothing for any other, so `ls -l` of a directory without
 * files of that size costs what it did. A file of that size that is not a valid link stays a file, as
 * does one we may not read. symlink writes such a file (never replacing one: O_EXCL); readlink reads it
 * back, and asks the dialect for any other kind of link.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "proto_i.h"
#include "smbfuse/auth.h"
#include "smbfuse/links.h"
#include "smbfuse/log.h"

/* The target of the link file at path, with its MD5 checked: its length, or -EINVAL when path is not one.
 * *out (may be NULL) gets a copy. */
static int read_link_file(struct smb_client *cl, const char *path, char **out)
{
	const struct smb_ops *b = cl->mf_base;
	struct smb_fh *fh;
	uint8_t buf[MFSYM_SIZE + 1]; /* one byte more: a file that grew is not a link */
	int rc = b->open(cl, path, O_RDONLY, 0, &fh, NULL);
	if (rc < 0)
		return rc;
	ssize_t n = b->read(cl, fh, buf, sizeof(buf), 0);
	b->close(cl, fh);
	if (n < 0)
		return (int)n;
	struct mfsym m;
	uint8_t md5[16];
	char hex[32];
	if (mfsym_decode(buf, (size_t)n, &m) < 0)
		return -EINVAL;
	struct iovec iov = {(void *)m.target, m.target_len};
	if (auth_md5(&iov, 1, md5) < 0)
		return -EIO;
	mfsym_md5_hex(md5, hex);
	if (memcmp(hex, m.md5_hex, sizeof(hex)) != 0)
		return -EINVAL;
	if (out && !(*out = strndup(m.target, m.target_len)))
		return -ENOMEM;
	return (int)m.target_len;
}

static bool could_be_link(const struct smb_attr *a)
{
	return !smb_attr_is_dir(a) && !a->symlink && a->size == MFSYM_SIZE;
}

static void check_link(struct smb_client *cl, const char *path, struct smb_attr *a)
{
	if (!could_be_link(a))
		return;
	int n = read_link_file(cl, path, NULL);
	if (n > 0) {
		a->symlink = true;
		a->size = (uint64_t)n;
	} else if (n != -EINVAL) {
		log_dbg("\"%s\": %s; shown as a file", path, strerror(-n));
	}
}

static int mf_stat(struct smb_client *cl, const char *path, struct smb_attr *out)
{
	int rc = cl->mf_base->stat(cl, path, out);
	if (rc == 0)
		check_link(cl, path, out);
	return rc;
}

struct candidate {
	char *name;
	struct smb_attr attr;
};

struct mf_dir {
	smb_dirent_fn fn;
	void *arg;
	GArray *later; /* struct candidate: files of the link size, looked into after the listing */
};

static int mf_dirent(void *arg, const char *name, const struct smb_attr *attr)
{
	struct mf_dir *d = arg;
	if (!could_be_link(attr))
		return d->fn(d->arg, name, attr);
	struct candidate c = {strdup(name), *attr};
	if (!c.name)
		return -ENOMEM;
	g_array_append_val(d->later, c);
	return 0;
}

/* The candidates are read once the listing is done: no request of ours interleaves with its own. */
static int mf_readdir(struct smb_client *cl, const char *path, smb_dirent_fn fn, void *arg, struct smb_attr *self)
{
	struct mf_dir d = {fn, arg, g_array_new(false, false, sizeof(struct candidate))};
	int rc = cl->mf_base->readdir(cl, path, mf_dirent, &d, self);
	for (guint i = 0; i < d.later->len; i++) {
		struct candidate *c = &g_array_index(d.later, struct candidate, i);
		if (rc == 0) {
			char *p = *path ? g_strconcat(path, "/", c->name, NULL) : g_strdup(c->name);
			check_link(cl, p, &c->attr);
			g_free(p);
			if (fn(arg, c->name, &c->attr))
				rc = 1; /* the caller stopped: nothing more for it */
		}
		free(c->name);
	}
	g_array_free(d.later, true);
	return rc > 0 ? 0 : rc;
}

static int mf_symlink(struct smb_client *cl, const char *target, const char *path, struct smb_attr *attr_out)
{
	const struct smb_ops *b = cl->mf_base;
	uint8_t buf[MFSYM_SIZE], md5[16];
	struct iovec iov = {(void *)target, strlen(target)};
	int rc = auth_md5(&iov, 1, md5);
	if (rc == 0)
		rc = mfsym_encode(buf, target, iov.iov_len, md5);
	if (rc < 0)
		return rc;
	struct smb_fh *fh;
	rc = b->open(cl, path, O_WRONLY | O_CREAT | O_EXCL, 0644, &fh, NULL);
	if (rc < 0)
		return rc;
	ssize_t n = b->write(cl, fh, buf, sizeof(buf), 0);
	int frc = n >= 0 && b->flush ? b->flush(cl, fh) : 0;
	b->close(cl, fh);
	rc = n < 0 ? (int)n : frc;
	if (rc < 0) {
		b->unlink(cl, path, 0); /* no half-written link left behind */
		return rc;
	}
	return attr_out ? mf_stat(cl, path, attr_out) : 0;
}

static int mf_readlink(struct smb_client *cl, const char *path, char **out)
{
	*out = NULL;
	int rc = read_link_file(cl, path, out);
	if (rc == -EINVAL && cl->mf_base->readlink)
		return cl->mf_base->readlink(cl, path, out);
	return rc < 0 ? rc : 0;
}

void mfsym_install(struct smb_client *cl)
{
	cl->mf_base = cl->ops;
	cl->mf_ops = *cl->ops;
	cl->mf_ops.stat = mf_stat;
	cl->mf_ops.readdir = mf_readdir;
	cl->mf_ops.symlink = mf_symlink;
	cl->mf_ops.readlink = mf_readlink;
	cl->ops = &cl->mf_ops;
}
