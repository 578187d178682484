/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * memfs.c - an in-memory struct smb_ops backend that stands in for the proto layer in the fs tests.
 *
 * It also provides smb_client_new/_free/_ops/_describe, so src/main.c links against it unchanged and the
 * test binary smbfuse-memfs is the real command line over a fake server.
 *
 * Files are sparse (64 KiB chunks, absent chunks read as zeros) so multi-GiB files cost nothing. Every
 * node has a file id. Test hooks, all from the environment at start:
 *   MEMFS_FAULTS="op:substr:ERRNO[,...]"  op (stat, open, read, write, unlink, rename, mkdir, rmdir,
 *                                         setattr, readdir, statfs, fsync, or *) on a path containing
 *                                         substr fails with -ERRNO (EBUSY, EACCES, ENOSPC, EIO, ...)
 *   MEMFS_READ_FAIL="substr:off:ERRNO:n"  the first n reads (-1: every one) of a path containing substr
 *                                         that cover byte off fail with -ERRNO (a transient server error)
 *   MEMFS_DELAY="substr:ms"               every op on a path containing substr sleeps ms first
 *   MEMFS_PASSWORD=secret                 smb_client_new refuses any other password
 *   MEMFS_NO_FILE_IDS=1                   report file_id 0 (the glue then uses nodeids)
 *   MEMFS_NO_IDS_ON_OPEN=1                open reports file_id 0, stat the real one (SMB1's NT_CREATE_ANDX)
 *   MEMFS_SMB_RENAME=ms                   as an SMB server: rename fails with EACCES while the target or
 *                                         anything under a source directory is open; every close takes ms
 *                                         and, after a write through the handle, stamps the file's mtime
 *                                         unless it was set through that handle (as smbd does)
 *   MEMFS_STATS=file                      at smb_client_free write "open_handles=N\n" there
 * Host "unreachable" fails smb_client_new like a closed port; share "missing" like an unknown share.
 * One global mutex: this is a test double, not a model of concurrency.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "smbfuse/auth.h"
#include "smbfuse/ops.h"

#define CHUNK 65536u

struct mnode {
	char *name;
	struct mnode *parent; /* NULL for the root or once unlinked */
	unsigned refs;	      /* 1 while linked + 1 per open handle */
	struct smb_attr attr;
	GHashTable *children; /* name -> mnode, directories only */
	GHashTable *chunks;   /* chunk index -> CHUNK bytes, files only */
};

struct smb_fh {
	struct mnode *node;
	int flags;
	bool wrote, time_set; /* MEMFS_SMB_RENAME: a close after a write stamps mtime unless set through it */
};

struct smb_client {
	char desc[64];
};

struct fault {
	char op[16];
	char substr[128];
	int err;
};

static pthread_mutex_t mlock = PTHREAD_MUTEX_INITIALIZER;
static struct mnode *root;
static uint64_t next_file_id = 1000;
static struct fault faults[32];
static size_t nfaults;
static char delay_substr[128];
static int delay_ms;
static long open_handles;
static bool no_file_ids;
static bool no_ids_on_open;
static int smb_rename_close_ms = -1;

static const struct {
	const char *name;
	int err;
} errnames[] = {
    {"EBUSY", EBUSY},	{"EACCES", EACCES},	  {"ENOSPC", ENOSPC},	  {"EIO", EIO},
    {"ENOENT", ENOENT}, {"EEXIST", EEXIST},	  {"EPERM", EPERM},	  {"ENOTEMPTY", ENOTEMPTY},
    {"EROFS", EROFS},	{"ETIMEDOUT", ETIMEDOUT}, {"ENOTCONN", ENOTCONN}, {"EDQUOT", EDQUOT},
};

/* MEMFS_READ_FAIL */
static char rfail_substr[128];
static uint64_t rfail_off;
static int rfail_err, rfail_left;

static void parse_read_fail(void)
{
	const char *env = getenv("MEMFS_READ_FAIL");
	char name[32];
	unsigned long long off;
	if (!env || sscanf(env, "%127[^:]:%llu:%31[^:]:%d", rfail_substr, &off, name, &rfail_left) != 4)
		return;
	rfail_off = off;
	for (size_t i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
		if (strcmp(errnames[i].name, name) == 0)
			rfail_err = errnames[i].err;
}

/* Whether this read fails by MEMFS_READ_FAIL; under mlock. */
static int read_fail_locked(const char *name, size_t size, uint64_t off)
{
	if (!rfail_err || !rfail_left || !strstr(name, rfail_substr) || off > rfail_off || off + size <= rfail_off)
		return 0;
	if (rfail_left > 0)
		rfail_left--;
	return -rfail_err;
}

static void parse_faults(void)
{
	parse_read_fail();
	const char *env = getenv("MEMFS_FAULTS");
	char *copy, *save = NULL;
	if (!env)
		return;
	copy = strdup(env);
	for (char *tok = strtok_r(copy, ",", &save); tok && nfaults < 32; tok = strtok_r(NULL, ",", &save)) {
		char op[16], sub[128], name[32];
		if (sscanf(tok, "%15[^:]:%127[^:]:%31s", op, sub, name) != 3)
			continue;
		for (size_t i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++) {
			if (strcmp(errnames[i].name, name) == 0) {
				struct fault *f = &faults[nfaults++];
				snprintf(f->op, sizeof(f->op), "%s", op);
				snprintf(f->substr, sizeof(f->substr), "%s", sub);
				f->err = errnames[i].err;
			}
		}
	}
	free(copy);
	const char *d = getenv("MEMFS_DELAY");
	if (d)
		sscanf(d, "%127[^:]:%d", delay_substr, &delay_ms);
}

/* Injected failure and delay for op on path; called without mlock. */
static int hook(const char *op, const char *path)
{
	if (!path)
		return 0;
	if (delay_ms > 0 && strstr(path, delay_substr))
		usleep((useconds_t)delay_ms * 1000);
	for (size_t i = 0; i < nfaults; i++)
		if ((strcmp(faults[i].op, op) == 0 || strcmp(faults[i].op, "*") == 0) && strstr(path, faults[i].substr))
			return -faults[i].err;
	return 0;
}

static struct timespec now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return t;
}

static struct mnode *node_new(const char *name, bool dir)
{
	struct mnode *n = calloc(1, sizeof(*n));
	n->name = strdup(name);
	n->refs = 1;
	n->attr.file_id = next_file_id++;
	n->attr.atime = n->attr.mtime = n->attr.ctime = n->attr.btime = now();
	n->attr.attrs = dir ? SMB_ATTR_DIRECTORY : SMB_ATTR_ARCHIVE;
	if (dir)
		n->children = g_hash_table_new(g_str_hash, g_str_equal);
	else
		n->chunks = g_hash_table_new_full(g_int64_hash, g_int64_equal, free, free);
	return n;
}

static void node_put(struct mnode *n)
{
	if (--n->refs)
		return;
	if (n->children)
		g_hash_table_destroy(n->children);
	if (n->chunks)
		g_hash_table_destroy(n->chunks);
	free(n->name);
	free(n);
}

static struct mnode *walk(const char *path)
{
	struct mnode *n = root;
	char *copy = strdup(path), *save = NULL;
	for (char *c = strtok_r(copy, "/", &save); c && n; c = strtok_r(NULL, "/", &save))
		n = n->children ? g_hash_table_lookup(n->children, c) : NULL;
	free(copy);
	return n;
}

/* Parent directory of path and the last component (points into path). */
static struct mnode *walk_parent(const char *path, const char **last, int *err)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? strndup(path, (size_t)(slash - path)) : strdup("");
	struct mnode *p = walk(dir);
	free(dir);
	*last = slash ? slash + 1 : path;
	*err = !p ? -ENOENT : !p->children ? -ENOTDIR : 0;
	return *err ? NULL : p;
}

static void fill(const struct mnode *n, struct smb_attr *out)
{
	*out = n->attr;
	if (no_file_ids)
		out->file_id = 0;
	if (n->chunks)
		out->alloc_size = (uint64_t)g_hash_table_size(n->chunks) * CHUNK;
	out->nlink = n->parent || n == root ? 1 : 0;
}

static int m_stat(struct smb_client *cl, const char *path, struct smb_attr *out)
{
	int r = hook("stat", path);
	if (r)
		return r;
	pthread_mutex_lock(&mlock);
	struct mnode *n = walk(path);
	if (n)
		fill(n, out);
	pthread_mutex_unlock(&mlock);
	return n ? 0 : -ENOENT;
}

static void truncate_locked(struct mnode *n, uint64_t size)
{
	GHashTableIter it;
	gpointer k, v;
	g_hash_table_iter_init(&it, n->chunks);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		uint64_t idx = *(uint64_t *)k;
		if (idx * CHUNK >= size)
			g_hash_table_iter_remove(&it);
		else if ((idx + 1) * CHUNK > size)
			memset((char *)v + (size - idx * CHUNK), 0, (size_t)((idx + 1) * CHUNK - size));
	}
	n->attr.size = size;
	n->attr.mtime = n->attr.ctime = now();
}

static int open_locked(const char *path, int flags, struct mnode **out)
{
	const char *last;
	int r;
	struct mnode *n = walk(path);
	if (n && (flags & O_CREAT) && (flags & O_EXCL))
		return -EEXIST;
	if (!n) {
		if (!(flags & O_CREAT))
			return -ENOENT;
		struct mnode *p = walk_parent(path, &last, &r);
		if (!p)
			return r;
		n = node_new(last, false);
		n->parent = p;
		g_hash_table_insert(p->children, n->name, n);
		p->attr.mtime = p->attr.ctime = now();
	}
	if ((flags & O_DIRECTORY) && !n->children)
		return -ENOTDIR;
	if (n->children && (flags & O_ACCMODE) != O_RDONLY)
		return -EISDIR;
	if ((n->attr.attrs & SMB_ATTR_READONLY) && (flags & O_ACCMODE) != O_RDONLY)
		return -EACCES;
	if ((flags & O_TRUNC) && n->chunks)
		truncate_locked(n, 0);
	*out = n;
	return 0;
}

static int m_open(struct smb_client *cl, const char *path, int flags, mode_t mode, struct smb_fh **out,
		  struct smb_attr *attr_out)
{
	struct mnode *n = NULL;
	int r = hook("open", path);
	if (r)
		return r;
	pthread_mutex_lock(&mlock);
	r = open_locked(path, flags, &n);
	if (r == 0) {
		if ((flags & O_CREAT) && !(mode & 0222) && n->attr.size == 0)
			n->attr.attrs |= SMB_ATTR_READONLY;
		n->refs++;
		open_handles++;
		*out = calloc(1, sizeof(**out));
		(*out)->node = n;
		(*out)->flags = flags;
		if (attr_out)
			fill(n, attr_out);
		if (attr_out && no_ids_on_open)
			attr_out->file_id = 0;
	}
	pthread_mutex_unlock(&mlock);
	return r;
}

static int m_close(struct smb_client *cl, struct smb_fh *fh)
{
	if (smb_rename_close_ms > 0)
		usleep((useconds_t)smb_rename_close_ms * 1000);
	pthread_mutex_lock(&mlock);
	if (smb_rename_close_ms >= 0 && fh->wrote && !fh->time_set)
		clock_gettime(CLOCK_REALTIME, &fh->node->attr.mtime);
	node_put(fh->node);
	open_handles--;
	pthread_mutex_unlock(&mlock);
	free(fh);
	return 0;
}

static ssize_t m_read(struct smb_client *cl, struct smb_fh *fh, void *buf, size_t size, uint64_t off)
{
	int r = hook("read", fh->node->name);
	if (r)
		return r;
	pthread_mutex_lock(&mlock);
	struct mnode *n = fh->node;
	size_t got = 0;
	if ((r = read_fail_locked(n->name, size, off)) < 0) {
		pthread_mutex_unlock(&mlock);
		return r;
	}
	if (off < n->attr.size) {
		size = (size_t)MIN((uint64_t)size, n->attr.size - off);
		while (got < size) {
			uint64_t pos = off + got, idx = pos / CHUNK;
			size_t in = (size_t)(pos % CHUNK), len = MIN(size - got, (size_t)(CHUNK - in));
			char *c = g_hash_table_lookup(n->chunks, &idx);
			if (c)
				memcpy((char *)buf + got, c + in, len);
			else
				memset((char *)buf + got, 0, len);
			got += len;
		}
	}
	n->attr.atime = now();
	pthread_mutex_unlock(&mlock);
	return (ssize_t)got;
}

static ssize_t m_write(struct smb_client *cl, struct smb_fh *fh, const void *buf, size_t size, uint64_t off)
{
	int r = hook("write", fh->node->name);
	if (r)
		return r;
	if ((fh->flags & O_ACCMODE) == O_RDONLY)
		return -EBADF;
	pthread_mutex_lock(&mlock);
	struct mnode *n = fh->node;
	fh->wrote = true;
	for (size_t done = 0; done < size;) {
		uint64_t pos = off + done, idx = pos / CHUNK;
		size_t in = (size_t)(pos % CHUNK), len = MIN(size - done, (size_t)(CHUNK - in));
		char *c = g_hash_table_lookup(n->chunks, &idx);
		if (!c) {
			uint64_t *key = malloc(sizeof(*key));
			*key = idx;
			c = calloc(1, CHUNK);
			g_hash_table_insert(n->chunks, key, c);
		}
		memcpy(c + in, (const char *)buf + done, len);
		done += len;
	}
	if (off + size > n->attr.size)
		n->attr.size = off + size;
	n->attr.mtime = n->attr.ctime = now();
	pthread_mutex_unlock(&mlock);
	return (ssize_t)size;
}

static int m_fsync(struct smb_client *cl, struct smb_fh *fh)
{
	return hook("fsync", fh->node->name);
}

static int m_fstat(struct smb_client *cl, struct smb_fh *fh, struct smb_attr *out)
{
	pthread_mutex_lock(&mlock);
	fill(fh->node, out);
	pthread_mutex_unlock(&mlock);
	return 0;
}

static struct timespec settime(struct timespec t)
{
	return t.tv_nsec == UTIME_NOW ? now() : t;
}

static int m_setattr(struct smb_client *cl, const char *path, struct smb_fh *fh, const struct smb_setattr *sa,
		     struct smb_attr *attr_out)
{
	int r = hook("setattr", path ? path : fh->node->name);
	if (r)
		return r;
	pthread_mutex_lock(&mlock);
	struct mnode *n = fh ? fh->node : walk(path);
	if (fh && (sa->valid & SMB_SET_MTIME))
		fh->time_set = true;
	if (!n) {
		r = -ENOENT;
	} else if ((sa->valid & SMB_SET_SIZE) && !n->chunks) {
		r = -EISDIR;
	} else {
		if (sa->valid & SMB_SET_SIZE)
			truncate_locked(n, sa->size);
		if (sa->valid & SMB_SET_ATIME)
			n->attr.atime = settime(sa->atime);
		if (sa->valid & SMB_SET_MTIME)
			n->attr.mtime = settime(sa->mtime);
		if (sa->valid & SMB_SET_ATTRS)
			n->attr.attrs = (sa->attrs & ~SMB_ATTR_DIRECTORY) | (n->children ? SMB_ATTR_DIRECTORY : 0);
		n->attr.ctime = now();
		if (attr_out)
			fill(n, attr_out);
		if (attr_out && no_ids_on_open)
			attr_out->file_id = 0;
	}
	pthread_mutex_unlock(&mlock);
	return r;
}

struct dent {
	char *name;
	struct smb_attr attr;
};

static int m_readdir(struct smb_client *cl, const char *path, smb_dirent_fn fn, void *arg, struct smb_attr *self)
{
	if (self)
		memset(self, 0, sizeof(*self)); /* memfs keeps no directory times: nothing to compare */
	GArray *ents = g_array_new(false, false, sizeof(struct dent));
	GHashTableIter it;
	gpointer k, v;
	int r = hook("readdir", path);
	if (r)
		goto out;
	pthread_mutex_lock(&mlock);
	struct mnode *n = walk(path);
	r = !n ? -ENOENT : !n->children ? -ENOTDIR : 0;
	if (r == 0) {
		g_hash_table_iter_init(&it, n->children);
		while (g_hash_table_iter_next(&it, &k, &v)) {
			struct dent d = {.name = strdup(k)};
			fill(v, &d.attr);
			g_array_append_val(ents, d);
		}
	}
	pthread_mutex_unlock(&mlock);
	/* The callback runs without our lock, as a real server's listing arrives after the round trip. */
	for (guint i = 0; r == 0 && i < ents->len; i++) {
		struct dent *d = &g_array_index(ents, struct dent, i);
		if (fn(arg, d->name, &d->attr))
			break;
	}
out:
	for (guint i = 0; i < ents->len; i++)
		free(g_array_index(ents, struct dent, i).name);
	g_array_free(ents, true);
	return r;
}

static int m_mkdir(struct smb_client *cl, const char *path, mode_t mode, struct smb_attr *attr_out)
{
	(void)mode;
	const char *last;
	int r = hook("mkdir", path);
	if (r)
		return r;
	pthread_mutex_lock(&mlock);
	struct mnode *p = walk_parent(path, &last, &r);
	if (p && g_hash_table_contains(p->children, last))
		r = -EEXIST;
	if (p && !r) {
		struct mnode *n = node_new(last, true);
		n->parent = p;
		g_hash_table_insert(p->children, n->name, n);
		p->attr.mtime = p->attr.ctime = now();
		if (attr_out)
			fill(n, attr_out);
		if (attr_out && no_ids_on_open)
			attr_out->file_id = 0;
	}
	pthread_mutex_unlock(&mlock);
	return r;
}

static void detach_locked(struct mnode *n)
{
	g_hash_table_remove(n->parent->children, n->name);
	n->parent->attr.mtime = n->parent->attr.ctime = now();
	n->parent = NULL;
}

static int remove_path(const char *op, const char *path, bool dir)
{
	int r = hook(op, path);
	if (r)
		return r;
	pthread_mutex_lock(&mlock);
	struct mnode *n = walk(path);
	if (!n || n == root)
		r = n ? -EBUSY : -ENOENT;
	else if (dir && !n->children)
		r = -ENOTDIR;
	else if (!dir && n->children)
		r = -EISDIR;
	else if (dir && g_hash_table_size(n->children))
		r = -ENOTEMPTY;
	if (r == 0) {
		detach_locked(n);
		node_put(n);
	}
	pthread_mutex_unlock(&mlock);
	return r;
}

static int m_rmdir(struct smb_client *cl, const char *path)
{
	return remove_path("rmdir", path, true);
}

static int m_unlink(struct smb_client *cl, const char *path, unsigned flags)
{
	(void)flags; /* memfs keeps an unlinked node working by itself */
	return remove_path("unlink", path, false);
}

static bool is_ancestor(const struct mnode *a, const struct mnode *n)
{
	for (; n; n = n->parent)
		if (n == a)
			return true;
	return false;
}

/* Some node at or below n has an open handle (refs beyond the link's). */
static bool open_under(struct mnode *n)
{
	if (n->refs > 1)
		return true;
	if (!n->children)
		return false;
	GHashTableIter it;
	gpointer k, v;
	g_hash_table_iter_init(&it, n->children);
	while (g_hash_table_iter_next(&it, &k, &v))
		if (open_under(v))
			return true;
	return false;
}

static int rename_locked(const char *from, const char *to, unsigned flags)
{
	const char *last;
	int r;
	struct mnode *n = walk(from), *victim = walk(to);
	struct mnode *np = walk_parent(to, &last, &r);
	if (!n)
		return -ENOENT;
	if (!np)
		return r;
	if (n == victim)
		return 0;
	if (n->children && is_ancestor(n, np))
		return -EINVAL;
	if (smb_rename_close_ms >= 0 && ((n->children && open_under(n)) || (victim && open_under(victim))))
		return -EACCES;
	if (victim) {
		if (flags & SMB_RENAME_NOREPLACE)
			return -EEXIST;
		if (victim->children && !n->children)
			return -EISDIR;
		if (!victim->children && n->children)
			return -ENOTDIR;
		if (victim->children && g_hash_table_size(victim->children))
			return -ENOTEMPTY;
		detach_locked(victim);
		node_put(victim);
	}
	detach_locked(n);
	free(n->name);
	n->name = strdup(last);
	n->parent = np;
	g_hash_table_insert(np->children, n->name, n);
	n->attr.ctime = now();
	return 0;
}

static int m_rename(struct smb_client *cl, const char *from, const char *to, unsigned flags)
{
	int r = hook("rename", from);
	if (r)
		return r;
	pthread_mutex_lock(&mlock);
	r = rename_locked(from, to, flags);
	pthread_mutex_unlock(&mlock);
	return r;
}

static int m_statfs(struct smb_client *cl, struct smb_statfs *out)
{
	int r = hook("statfs", "/");
	if (r)
		return r;
	out->block_size = 4096;
	out->total_blocks = 1u << 20;
	out->free_blocks = 1u << 19;
	out->name_max = 255;
	return 0;
}

static const struct smb_ops memfs_ops = {
    .stat = m_stat,
    .open = m_open,
    .close = m_close,
    .read = m_read,
    .write = m_write,
    .fsync = m_fsync,
    .fstat = m_fstat,
    .setattr = m_setattr,
    .readdir = m_readdir,
    .mkdir = m_mkdir,
    .rmdir = m_rmdir,
    .unlink = m_unlink,
    .rename = m_rename,
    .statfs = m_statfs,
};

int smb_client_new(const struct smb_client_cfg *cfg, struct smb_client **out, char *errbuf, size_t errlen)
{
	const char *want = getenv("MEMFS_PASSWORD");
	*out = NULL;
	if (strcmp(cfg->host, "unreachable") == 0) {
		snprintf(errbuf, errlen, "cannot connect to %s port %u: connection refused", cfg->host,
			 cfg->port ? cfg->port : 445);
		return -ECONNREFUSED;
	}
	if (strcmp(cfg->share, "missing") == 0) {
		snprintf(errbuf, errlen, "share not found");
		return -ENOENT;
	}
	uint8_t want_hash[16];
	if (want && (ntlm_nt_hash(want, want_hash) < 0 || !cfg->nt_hash || memcmp(cfg->nt_hash, want_hash, 16) != 0)) {
		snprintf(errbuf, errlen, "logon failure: wrong user name or password");
		return -EACCES;
	}
	parse_faults();
	no_file_ids = getenv("MEMFS_NO_FILE_IDS") != NULL;
	no_ids_on_open = getenv("MEMFS_NO_IDS_ON_OPEN") != NULL;
	if (getenv("MEMFS_SMB_RENAME"))
		smb_rename_close_ms = atoi(getenv("MEMFS_SMB_RENAME"));
	root = node_new("", true);
	*out = calloc(1, sizeof(**out));
	snprintf((*out)->desc, sizeof((*out)->desc), "memfs");
	return 0;
}

void smb_client_free(struct smb_client *cl)
{
	const char *stats = getenv("MEMFS_STATS");
	if (stats) {
		FILE *f = fopen(stats, "w");
		if (f) {
			fprintf(f, "open_handles=%ld\n", open_handles);
			fclose(f);
		}
	}
	free(cl);
}

const struct smb_ops *smb_client_ops(const struct smb_client *cl)
{
	return &memfs_ops;
}

bool smb_client_posix(const struct smb_client *cl)
{
	(void)cl;
	return false;
}

const char *smb_client_describe(const struct smb_client *cl)
{
	return cl->desc;
}
