/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Extended attributes: user.NAME is the SMB extended attribute NAME (ops->list_eas / ->set_ea), as
 * mount.cifs maps them and as Samba keeps EAs (user.NAME xattrs of the backing file). Other namespaces are
 * not SMB's: EOPNOTSUPP, as a local file system says for a namespace it lacks. The root also answers the
 * daemon's own user.smbfuse.stats (cache.c), which no listing shows.
 *
 * SMB EA names are case-insensitive (MS-FSCC 2.4.15; Samba matches with strequal and keeps the case an EA
 * already has), so names are matched here the same way: what listxattr shows, getxattr finds. Two things
 * SMB cannot express are refused rather than approximated: an empty value (SMB deletes an EA set empty) and
 * a non-ASCII name (the server would store another name). XATTR_CREATE / XATTR_REPLACE and removing a
 * missing attribute need a look first, since SMB has no such flags: another client changing the same EA
 * between the look and the set can win, as with any read-modify-write over SMB.
 * Nothing is cached: each call asks the server, so no cache mode can change an answer.
 *
 * Security descriptors: the kernel client's names and binary form (fs/smb/client/xattr.c), so cifs-utils'
 * getcifsacl and setcifsacl work unchanged. Each reads the self-relative descriptor with owner, group and
 * DACL (the _full one with the SACL too); writing system.cifs_acl sets the DACL alone, system.cifs_ntsd
 * owner, group and DACL, system.cifs_ntsd_full all four. None is listed, as with the kernel.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>

#include "fs_i.h"
#include "smbfuse/log.h"

#define USER_NS "user."
#define USER_NS_LEN (sizeof(USER_NS) - 1)
#define EA_VALUE_MAX 65535 /* EaValueLength is 16 bits (MS-FSCC 2.4.15) */

/* The EA name of a user.* xattr name, or NULL for any other namespace (and for all with nouser_xattr). */
static const char *ea_name(const struct fs *fs, const char *name)
{
	if (fs->cfg.no_xattr)
		return NULL;
	return strncmp(name, USER_NS, USER_NS_LEN) == 0 ? name + USER_NS_LEN : NULL;
}

/* Answer a getxattr or listxattr of n bytes at buf: the size alone when the caller asked for it. */
static void reply_sized(fuse_req_t req, const void *buf, size_t n, size_t size)
{
	if (size == 0)
		fuse_reply_xattr(req, n);
	else if (size < n)
		fuse_reply_err(req, ERANGE);
	else
		fuse_reply_buf(req, buf, n);
}

/* Refusal for a mount whose dialect has no EAs, said once per mount. */
static int no_eas(void)
{
	static _Atomic bool said; /* one mount per daemon */
	if (!atomic_exchange(&said, true))
		log_info("extended attributes: this mount's dialect has none");
	return -EOPNOTSUPP;
}

/* The security descriptor names: parts read and parts written. */
static const struct sd_name {
	const char *name;
	uint32_t get, set;
} sd_names[] = {
    {"system.cifs_acl", SMB_SECINFO_OWNER | SMB_SECINFO_GROUP | SMB_SECINFO_DACL, SMB_SECINFO_DACL},
    {"system.cifs_ntsd", SMB_SECINFO_OWNER | SMB_SECINFO_GROUP | SMB_SECINFO_DACL,
     SMB_SECINFO_OWNER | SMB_SECINFO_GROUP | SMB_SECINFO_DACL},
    {"system.cifs_ntsd_full", SMB_SECINFO_OWNER | SMB_SECINFO_GROUP | SMB_SECINFO_DACL | SMB_SECINFO_SACL,
     SMB_SECINFO_OWNER | SMB_SECINFO_GROUP | SMB_SECINFO_DACL | SMB_SECINFO_SACL},
};

static const struct sd_name *sd_name(const char *name)
{
	for (size_t i = 0; i < sizeof(sd_names) / sizeof(sd_names[0]); i++)
		if (strcmp(name, sd_names[i].name) == 0)
			return &sd_names[i];
	return NULL;
}

static void get_sd(fuse_req_t req, struct fs *fs, fuse_ino_t ino, const struct sd_name *n, size_t size)
{
	char *path = NULL;
	void *sd = NULL;
	size_t len = 0;
	int r = OP(fs, get_sd) ? fs_inode_path(fs, ino, NULL, &path) : -EOPNOTSUPP;
	if (r == 0)
		r = CALL(fs, get_sd, path, n->get, &sd, &len);
	if (r == -EOPNOTSUPP)
		log_dbg("getxattr %s: no security descriptors on this mount", n->name);
	if (r == -EPERM && (n->get & SMB_SECINFO_SACL)) {
		/* STATUS_PRIVILEGE_NOT_HELD: the kernel client says EIO, and getcifsacl then falls back to
		 * system.cifs_acl, so say the same. */
		log_info("getxattr %s: reading the SACL needs a privilege at the server (SeSecurityPrivilege)",
			 n->name);
		r = -EIO;
	}
	if (r < 0)
		reply_err(req, r);
	else
		reply_sized(req, sd, len, size);
	free(sd);
	g_free(path);
}

static int set_sd(struct fs *fs, fuse_ino_t ino, const struct sd_name *n, const char *value, size_t size)
{
	char *path = NULL;
	int r = OP(fs, set_sd) ? fs_inode_path(fs, ino, NULL, &path) : -EOPNOTSUPP;
	if (r == 0)
		r = CALL(fs, set_sd, path, n->set, value, size);
	if (r == 0)
		fs_cache_changed(fs, ino, false); /* with the POSIX extensions the mode follows the descriptor */
	g_free(path);
	return r;
}

struct ea_find {
	const char *name;
	GByteArray *value; /* NULL: only whether it exists */
	bool found;
};

static int find_fn(void *arg, const char *name, const void *value, size_t len)
{
	struct ea_find *f = arg;
	if (g_ascii_strcasecmp(name, f->name) != 0)
		return 0;
	f->found = true;
	if (f->value)
		g_byte_array_append(f->value, value, (guint)len);
	return 1;
}

/* Look up EA name of ino: 0 and f->found, or a negative errno. */
static int find_ea(struct fs *fs, fuse_ino_t ino, struct ea_find *f, char **path)
{
	if (!OP(fs, list_eas))
		return no_eas();
	int r = fs_inode_path(fs, ino, NULL, path);
	if (r < 0)
		return r;
	r = CALL(fs, list_eas, *path, find_fn, f);
	return r < 0 ? r : 0;
}


/* user.smbfuse.snapshots of any node: its previous versions, one @GMT token a line (smbfuse --snapshots).
 * Asked of the server at each call: the kernel's size probe and the read that follows may differ. */
static void snapshots_xattr(fuse_req_t req, struct fs *fs, fuse_ino_t ino, size_t size)
{
	char *path, *text = NULL;
	int r = fs->ops->snapshots ? fs_inode_path(fs, ino, NULL, &path) : -ENOTSUP;
	if (r == 0) {
		r = fs->ops->snapshots(fs->cl, path, &text);
		g_free(path);
	}
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		reply_sized(req, text, strlen(text), size);
	free(text);
}

void fs_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
	struct fs *fs = fs_req(req);
	if (strcmp(name, FS_SNAPSHOTS_XATTR) == 0) {
		snapshots_xattr(req, fs, ino, size);
		return;
	}
	if (ino == FUSE_ROOT_ID && strcmp(name, FS_STATS_XATTR) == 0) {
		char *buf = g_malloc(16384);
		reply_sized(req, buf, fs_stats(fs, buf, 16384), size);
		g_free(buf);
		return;
	}
	const struct sd_name *sn = sd_name(name);
	if (sn) {
		get_sd(req, fs, ino, sn, size);
		return;
	}
	const char *ea = ea_name(fs, name);
	if (!ea) {
		log_dbg("getxattr %s: only user.* attributes exist here%s", name,
			fs->cfg.no_xattr ? ", and not with nouser_xattr" : "");
		fuse_reply_err(req, EOPNOTSUPP);
		return;
	}
	struct ea_find f = {.name = ea, .value = g_byte_array_new()};
	char *path = NULL;
	int r = find_ea(fs, ino, &f, &path);
	if (r < 0)
		reply_err(req, r);
	else if (!f.found)
		fuse_reply_err(req, ENODATA);
	else
		reply_sized(req, f.value->data, f.value->len, size);
	g_byte_array_free(f.value, true);
	g_free(path);
}

static int list_fn(void *arg, const char *name, const void *value, size_t len)
{
	(void)value;
	(void)len;
	GString *s = arg;
	g_string_append(s, USER_NS);
	g_string_append_len(s, name, (gssize)strlen(name) + 1);
	return 0;
}

void fs_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	struct fs *fs = fs_req(req);
	if (!OP(fs, list_eas) || fs->cfg.no_xattr) {
		/* Nothing to list; an empty list is the truth, and ls, cp -a and tar expect one. */
		reply_sized(req, "", 0, size);
		return;
	}
	char *path = NULL;
	GString *s = g_string_new(NULL);
	int r = fs_inode_path(fs, ino, NULL, &path);
	if (r == 0)
		r = CALL(fs, list_eas, path, list_fn, s);
	if (r < 0)
		reply_err(req, r);
	else
		reply_sized(req, s->str, s->len, size);
	g_string_free(s, true);
	g_free(path);
}

/* Check a user.* name and value for what SMB can keep; 0 or the errno to refuse with. */
static int check_set(const struct fs *fs, const char *name, const char *ea, size_t size)
{
	if (!ea) {
		log_dbg("setxattr %s: only user.* attributes can be set%s", name,
			fs->cfg.no_xattr ? ", and not with nouser_xattr" : "");
		return -EOPNOTSUPP;
	}
	if (!*ea)
		return -EINVAL;
	for (const char *p = ea; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e) {
			log_info("setxattr %s: SMB keeps only printable ASCII EA names", name);
			return -EINVAL;
		}
	if (size == 0) {
		log_info("setxattr %s: SMB cannot keep an empty value (an EA set empty is deleted)", name);
		return -EINVAL;
	}
	if (size > EA_VALUE_MAX) {
		log_info("setxattr %s: %zu bytes; an SMB EA holds at most %d", name, size, EA_VALUE_MAX);
		return -E2BIG;
	}
	return 0;
}

void fs_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value, size_t size, int flags)
{
	struct fs *fs = fs_req(req);
	const struct sd_name *sn = sd_name(name);
	if (sn) {
		reply_err(req, set_sd(fs, ino, sn, value, size));
		return;
	}
	const char *ea = ea_name(fs, name);
	char *path = NULL;
	int r = check_set(fs, name, ea, size);
	if (ino == FUSE_ROOT_ID && strcmp(name, FS_STATS_XATTR) == 0) {
		log_info("setxattr %s: the daemon's counters are read-only", name);
		r = -EPERM;
	}
	if (r == 0 && (flags & (XATTR_CREATE | XATTR_REPLACE))) {
		struct ea_find f = {.name = ea};
		r = find_ea(fs, ino, &f, &path);
		if (r == 0 && f.found && (flags & XATTR_CREATE))
			r = -EEXIST;
		else if (r == 0 && !f.found && (flags & XATTR_REPLACE))
			r = -ENODATA;
	} else if (r == 0) {
		r = OP(fs, set_ea) ? fs_inode_path(fs, ino, NULL, &path) : no_eas();
	}
	if (r == 0)
		r = CALL(fs, set_ea, path, ea, value, size);
	if (r == 0)
		fs_cache_changed(fs, ino, false); /* ChangeTime and EaSize moved */
	reply_err(req, r);
	g_free(path);
}

void fs_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	struct fs *fs = fs_req(req);
	if (sd_name(name)) {
		log_info("removexattr %s: a file always has a security descriptor", name);
		fuse_reply_err(req, EOPNOTSUPP);
		return;
	}
	const char *ea = ea_name(fs, name);
	char *path = NULL;
	struct ea_find f = {.name = ea};
	int r = ea && *ea ? find_ea(fs, ino, &f, &path) : (ea ? -ENODATA : -EOPNOTSUPP);
	if (r == 0 && !f.found)
		r = -ENODATA; /* SMB would say yes to removing what is not there */
	if (r == 0)
		r = CALL(fs, set_ea, path, ea, NULL, 0);
	if (r == 0)
		fs_cache_changed(fs, ino, false);
	reply_err(req, r);
	g_free(path);
}
