/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * intent.c - a LOOKUP that is the kernel's look before an open(O_CREAT) of that name, answered "absent"
 * without asking the server, because the CREATE that follows asks it anyway.
 *
 * FUSE has no atomic open: for open(name, O_CREAT) of a name it does not know, the kernel sends LOOKUP,
 * and only if that says "absent", CREATE. Against SMB that is two round trips where the kernel's own cifs
 * client (whose atomic_open sees the flags) sends one CREATE, and on a case-insensitive share each costs the
 * server a scan of the directory for another case of the name (smbd's get_real_filename): `touch` of 2,000
 * new names here spent half of smbd's time in the lookups. The LOOKUP carries no flags, but the caller's
 * thread is blocked in its open(2) while we answer, so /proc/TID/syscall says which call it is, with its
 * flags and the address of its path, which process_vm_readv(2) reads.
 *
 * The answer must not change the outcome, so it is given only when all of these hold:
 *  - the call is open(2) or openat(2) with O_CREAT, for writing (not O_PATH, O_DIRECTORY, O_TMPFILE);
 *  - the name looked up is the path's last component, and the path's other components lead to the
 *    LOOKUP's parent through directories this mount knows (no symbolic link, ".", ".." or other mount on the
 *    way), starting from the call's directory: its dirfd or working directory (the same inode of this
 *    mount, by statx), or for an absolute path the caller's root being ours and the path's beginning our
 *    mount point. Else the LOOKUP could be one of a walk through a link, for a name that is not created;
 *  - the kernel does not know the name (no node of it) and no listing has it (listing.c): a name that
 *    exists is looked up as before, and costs no more than before.
 * The CREATE that follows then asks the server for a new file only (FILE_CREATE, what O_EXCL asks). If the
 * name exists after all (another client made it, or a link, a directory), nothing is opened or truncated:
 * the CREATE answers ESTALE, on which the kernel walks the path once more (do_filp_open, LOOKUP_REVAL),
 * and that LOOKUP asks the server (the name is remembered as taken), so the open then goes as it would have
 * gone. With O_EXCL the server's "exists" is the answer itself (EEXIST). Any failed check (another user's
 * process we may not trace, a compat task, a path we cannot read) just asks the server, as before.
 * An "absent" given in error (a process that rewrites its path while the kernel walks it) is that open's
 * alone: it is not cached, and another process's lookup of the name meanwhile revalidates it and asks.
 * nocreate_intent turns it off.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <unistd.h>

#include "fs_i.h"
#include "smbfuse/util.h"

#define INTENT_SLOTS 64	    /* names answered "absent" whose CREATE has not come yet, and names found taken */
#define INTENT_TTL_MS 2000 /* a record older than this is gone: the open it was for gave up */
#define PATH_READ_MAX 4096

struct intent_rec {
	fuse_ino_t parent; /* 0: free */
	char *name;
	uint64_t ms;
};

/* Two rings, so that many blind answers cannot push out the record that makes a retry ask. */
struct fs_intent {
	pthread_mutex_t mu;
	struct intent_rec rec[2][INTENT_SLOTS]; /* [taken] */
	unsigned next[2];
};

int fs_intent_init(struct fs *fs)
{
	fs->intent = calloc(1, sizeof(*fs->intent));
	if (!fs->intent)
		return -ENOMEM;
	pthread_mutex_init(&fs->intent->mu, NULL);
	return 0;
}

void fs_intent_free(struct fs *fs)
{
	if (!fs->intent)
		return;
	for (unsigned i = 0; i < INTENT_SLOTS; i++) {
		g_free(fs->intent->rec[0][i].name);
		g_free(fs->intent->rec[1][i].name);
	}
	pthread_mutex_destroy(&fs->intent->mu);
	free(fs->intent);
	fs->intent = NULL;
}

/* The live record of (parent, name) of the given kind, or NULL. Under mu. */
static struct intent_rec *find_locked(struct fs_intent *in, fuse_ino_t parent, const char *name, bool taken,
				      uint64_t now)
{
	for (unsigned i = 0; i < INTENT_SLOTS; i++) {
		struct intent_rec *r = &in->rec[taken][i];
		if (r->parent == parent && now - r->ms < INTENT_TTL_MS && strcmp(r->name, name) == 0)
			return r;
	}
	return NULL;
}

static void note(struct fs *fs, fuse_ino_t parent, const char *name, bool taken)
{
	struct fs_intent *in = fs->intent;
	uint64_t now = now_ms();
	pthread_mutex_lock(&in->mu);
	struct intent_rec *r = find_locked(in, parent, name, taken, now);
	if (!r) {
		r = &in->rec[taken][in->next[taken]++ % INTENT_SLOTS]; /* the oldest goes */
		g_free(r->name);
		r->name = g_strdup(name);
		r->parent = parent;
	}
	r->ms = now;
	pthread_mutex_unlock(&in->mu);
}

/* Whether a record of (parent, name) of that kind is live; take it (free it) if asked to. */
static bool check(struct fs *fs, fuse_ino_t parent, const char *name, bool taken, bool take)
{
	struct fs_intent *in = fs->intent;
	pthread_mutex_lock(&in->mu);
	struct intent_rec *r = find_locked(in, parent, name, taken, now_ms());
	if (r && take)
		r->parent = 0;
	pthread_mutex_unlock(&in->mu);
	return r != NULL;
}

/* The open call thread tid is blocked in: its dirfd, path address and flags. False if it is in none. */
static bool open_call(pid_t tid, long *dirfd, unsigned long *path, unsigned long *flags)
{
	char file[64], buf[512];
	snprintf(file, sizeof(file), "/proc/%d/syscall", (int)tid);
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = 0;
	long nr;
	unsigned long a[3];
	/* "NR ARG1 ... ARG6 SP PC"; "running" or "-1 ..." when not in a call. A compat (32-bit) task shows its
	 * own numbers: none of the two below is, in those tables, a call that looks a name up. */
	if (sscanf(buf, "%ld %lx %lx %lx", &nr, &a[0], &a[1], &a[2]) != 4)
		return false;
#ifdef SYS_open
	if (nr == SYS_open) {
		*dirfd = AT_FDCWD;
		*path = a[0];
		*flags = a[1];
		return true;
	}
#endif
	if (nr == SYS_openat) {
		*dirfd = (long)(int)a[0];
		*path = a[1];
		*flags = a[2];
		return true;
	}
	return false;
}

/* The NUL-terminated string at addr in tid's memory, into out (PATH_READ_MAX). False if unreadable or
 * longer. Read up to each page's end, so a string near an unmapped page still reads. */
static bool read_string(pid_t tid, unsigned long addr, char *out)
{
	size_t got = 0;
	long page = sysconf(_SC_PAGESIZE);
	while (got < PATH_READ_MAX) {
		size_t want = (size_t)page - ((addr + got) % (size_t)page);
		if (want > PATH_READ_MAX - got)
			want = PATH_READ_MAX - got;
		struct iovec local = {out + got, want}, remote = {(void *)(addr + got), want};
		ssize_t n = process_vm_readv(tid, &local, 1, &remote, 1, 0);
		if (n <= 0)
			return false;
		if (memchr(out + got, 0, (size_t)n))
			return true;
		got += (size_t)n;
	}
	return false;
}

static bool same_inode(const char *file, dev_t dev, uint64_t ino)
{
	struct statx sx;
	/* DONT_SYNC: the kernel's cached attributes, so this asks our own mount nothing. */
	if (statx(AT_FDCWD, file, AT_STATX_DONT_SYNC, STATX_INO, &sx) < 0)
		return false;
	return makedev(sx.stx_dev_major, sx.stx_dev_minor) == dev && sx.stx_ino == ino;
}

/* Split path into components (empty ones dropped) in place; their count, or -1 if more than max. */
static int split(char *path, char **comp, int max)
{
	int k = 0;
	for (char *save = NULL, *c = strtok_r(path, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (k == max)
			return -1;
		comp[k++] = c;
	}
	return k;
}

/* Whether components comp[0..k) lead from the directory the walk starts at to node p, each a directory
 * this mount knows; that directory (the walk's start) in *top. Under fs->lock. */
static bool chain_locked(struct fs_inode *p, char **comp, int k, struct fs_inode **top)
{
	for (int i = k - 1; i >= 0; i--) {
		if (!p->parent || !p->hashed || !smb_attr_is_dir(&p->attr) || p->attr.symlink ||
		    strcmp(p->name, comp[i]) != 0)
			return false;
		p = p->parent;
	}
	*top = p;
	return true;
}

/* With default_permissions the kernel checks that the caller may create in the directory before it sends
 * CREATE, where for an existing file it checks the file's own modes: answer "absent" only where that check
 * passes (owner, group or others with write and search; root), so it refuses nothing the open of an
 * existing file would have done. Supplementary groups are not known here: such a caller is asked about. */
static bool may_create_locked(struct fs *fs, fuse_req_t req, struct fs_inode *dir)
{
	if (!fs->kernel_perms)
		return true;
	const struct fuse_ctx *c = fuse_req_ctx(req);
	struct stat st;
	fs_attr_to_stat(fs, dir->nodeid, &dir->attr, &st);
	if (c->uid == 0)
		return true;
	if (c->uid == st.st_uid)
		return (st.st_mode & 0300) == 0300;
	if (c->gid == st.st_gid)
		return (st.st_mode & 0030) == 0030;
	return (st.st_mode & 0003) == 0003;
}

bool fs_intent_lookup(struct fs *fs, fuse_req_t req, fuse_ino_t parent, const char *name)
{
	if (!fs->intent || fs->cfg.no_create_intent || fs->cfg.ro || !fs->devno[0])
		return false;
	pid_t tid = fuse_req_ctx(req)->pid;
	long dirfd;
	unsigned long addr, flags;
	/* O_PATH drops O_CREAT: nothing is created. Read-only opens stay as they were: on a read-only mount (a
	 * bind mount, say) the kernel refuses their create with EROFS where it opens an existing file; an open
	 * for writing gets EROFS either way. */
	if (tid <= 0 || check(fs, parent, name, true, false) || !open_call(tid, &dirfd, &addr, &flags) ||
	    !(flags & O_CREAT) || (flags & (O_DIRECTORY | O_PATH)) ||
	    ((flags & O_ACCMODE) == O_RDONLY && !(flags & O_TRUNC)))
		return false;
	char *path = malloc(PATH_READ_MAX);
	char *comp[PATH_READ_MAX / 2];
	bool ok = path && read_string(tid, addr, path);
	size_t len = ok ? strlen(path) : 0;
	ok = ok && len && path[len - 1] != '/'; /* a trailing slash asks for a directory: EISDIR, not ours */
	bool absolute = ok && path[0] == '/';
	int k = ok ? split(path, comp, (int)G_N_ELEMENTS(comp)) : -1;
	ok = k >= 1 && strcmp(comp[k - 1], name) == 0;
	for (int i = 0; ok && i < k - 1; i++)
		ok = strcmp(comp[i], ".") != 0 && strcmp(comp[i], "..") != 0;

	unsigned maj, min;
	ok = ok && sscanf(fs->devno, "%u:%u", &maj, &min) == 2;
	dev_t dev = ok ? makedev(maj, min) : 0;
	uint64_t top_ino = 0;
	int rest = 0; /* components before the chain inside the mount: the mount point's, for an absolute path */
	if (ok) {
		pthread_mutex_lock(&fs->lock);
		struct fs_inode *p = g_hash_table_lookup(fs->by_id, &(uint64_t){parent}), *top = NULL;
		ok = p && smb_attr_is_dir(&p->attr) && !fs_inode_named_locked(fs, p, name) &&
		     may_create_locked(fs, req, p);
		if (ok && absolute) {
			/* The chain ends at our root; what is before it must be the mount point. */
			int depth = 0;
			for (struct fs_inode *q = p; q->parent; q = q->parent)
				depth++;
			rest = k - 1 - depth;
			ok = rest >= 0 && chain_locked(p, comp + rest, depth, &top) && top->nodeid == FUSE_ROOT_ID;
		} else if (ok) {
			ok = chain_locked(p, comp, k - 1, &top);
		}
		if (ok) {
			struct stat st;
			fs_attr_to_stat(fs, top->nodeid, &top->attr, &st);
			top_ino = st.st_ino;
		}
		pthread_mutex_unlock(&fs->lock);
	}
	ok = ok && !fs_cache_listing_names(fs, parent, name);
	if (ok && absolute) {
		/* The caller's root is ours and the path begins with our mount point, component by component. */
		char *mp = fs->real_mountpoint ? g_strdup(fs->real_mountpoint) : NULL, *mc[PATH_READ_MAX / 2];
		int mk = mp ? split(mp, mc, (int)G_N_ELEMENTS(mc)) : -1;
		ok = mk == rest;
		for (int i = 0; ok && i < mk; i++)
			ok = strcmp(mc[i], comp[i]) == 0;
		g_free(mp);
		struct stat root;
		char file[64];
		snprintf(file, sizeof(file), "/proc/%d/root", (int)tid);
		ok = ok && stat("/", &root) == 0 && same_inode(file, root.st_dev, root.st_ino);
	} else if (ok) {
		char file[64];
		if (dirfd == AT_FDCWD)
			snprintf(file, sizeof(file), "/proc/%d/cwd", (int)tid);
		else
			snprintf(file, sizeof(file), "/proc/%d/fd/%ld", (int)tid, dirfd);
		ok = dirfd >= 0 || dirfd == AT_FDCWD ? same_inode(file, dev, top_ino) : false;
	}
	free(path);
	if (ok) {
		note(fs, parent, name, false);
		atomic_fetch_add_explicit(&fs->create_intents, 1, memory_order_relaxed);
	}
	return ok;
}

bool fs_intent_take(struct fs *fs, fuse_ino_t parent, const char *name)
{
	return fs->intent && check(fs, parent, name, false, true);
}

void fs_intent_taken(struct fs *fs, fuse_ino_t parent, const char *name)
{
	atomic_fetch_add_explicit(&fs->create_intent_retries, 1, memory_order_relaxed);
	note(fs, parent, name, true);
}
