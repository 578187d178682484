/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Private to the SMB1 operations table: the link (smb1_link.c), requests on it (smb1_link.c), and what
 * the paths and handles (smb1_ops.c), read and write (smb1_io.c) and the cache's side (smb1_cache.c)
 * share. Not the wire codecs' src/wire/smb1_i.h.
 */
#ifndef SMBFUSE_SMB1_PROTO_I_H
#define SMBFUSE_SMB1_PROTO_I_H

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "proto_i.h"
#include "smbfuse/session.h"
#include "smbfuse/smb1.h"
#include "smbfuse/smb1_session.h"

/* The TRANS2 information level of MS-FSCC class cls (pass-through, MS-SMB 2.2.2.3.5). */
#define LEVEL(cls) ((uint16_t)(SMB1_INFO_PASSTHROUGH + (cls)))

struct s1link {
	struct smb1_sess *s;
	struct smb_client *cl; /* immutable: where its receive thread delivers oplock breaks */
	uint64_t gen;	       /* immutable, set before the connection exists (its breaks carry it) */
	int users;	       /* guarded by smb1_state.lock */
	bool retired;	       /* replaced: freed by the last user */
	struct smb1_sess_info info;
};

struct smb1_state {
	pthread_mutex_t lock; /* guards cur, gen, users, outage and rebuilding */
	pthread_cond_t cond;  /* a rebuild ended (CLOCK_MONOTONIC) */
	bool rebuilding;      /* one caller builds a new link with the lock released; the others wait */
	struct s1link *cur;
	uint64_t gen;
	struct sess_outage outage;  /* soft/hard, shared with SMB2 (session.h) */
	_Atomic uint64_t cur_gen;   /* cur->gen, readable without the lock (which a reconnect holds long) */
	_Atomic unsigned watch_max; /* from cur's MaxMpxCount (smb1_watch_max) */
	struct smb_client *cl;	    /* immutable */
	struct sess_cfg cfg;	    /* strings owned (copied) for reconnects */
	struct smb1_sess_opts opts;
	char *str[12];
	uint8_t *nt_hash; /* cfg.nt_hash: the copy this state owns, in secret memory */
};

/* smb1_link.c: links. link_build logs on anew as st's next generation (*out, owned by the caller until it
 * becomes st->cur); link_free ends one (NULL is fine). link_get gives the current link, rebuilt first when
 * its connection has died, with one reference; link_put drops it (the last user of a retired link frees it). */
int link_build(struct smb1_state *st, struct s1link **out, char *errbuf, size_t errlen);
void link_free(struct s1link *l);
int link_get(struct smb1_state *st, struct s1link **out);
void link_put(struct smb1_state *st, struct s1link *l);
/* Whether rc says the connection was lost. */
static inline bool lost(int rc)
{
	return rc == -ENOTCONN || rc == -ECONNRESET;
}

/* Whether an operation that failed with rc may run again on a new link. */
static inline bool retry(int rc, bool idempotent)
{
	return rc == -ENOTCONN || (idempotent && rc == -ECONNRESET);
}

/* One request and its answer on a link; the body (w) and the answer (rsp) are owned until call_free. */
struct call {
	struct s1link *l;
	uint8_t command;
	struct wbuf w;
	uint8_t *rsp;
	size_t rsp_len;
	uint32_t status;
};

/* smb1_link.c: start c as a request of command on l (its header in c->w, the caller encodes the rest). */
void call_init(struct call *c, struct s1link *l, uint8_t command);
/* Send with data after the blocks; 0, a transport error, or the response's NTSTATUS as an errno. */
int call_run(struct call *c, const void *data, size_t len);
void call_free(struct call *c);
/* A request whose answer carries nothing but its status: enc encodes arg after the header. */
int simple(struct s1link *l, uint8_t command, int (*enc)(struct wbuf *, const void *), const void *arg);
/* The most data one TRANS2 answer on l may carry in one piece, at most want. */
uint16_t t2_max_data(const struct s1link *l, uint32_t want);
/* One TRANS2 subcommand sub with params and data (may be NULL) on c (call_init'ed by the caller); r views
 * the answer in c->rsp. An answer in pieces is refused with -EIO. */
int trans2(struct call *c, uint16_t sub, const struct wbuf *params, const struct wbuf *data, uint32_t max_data,
	   struct smb1_trans2_rsp *r);
/* Attributes of wpath or, when wpath is NULL, of fid, with the file id as a listing gives it. */
int query_all(struct s1link *l, const char *wpath, uint16_t fid, struct smb_attr *out);
/* The same; with check_name, -ENOENT when the server stores wpath's last component under another name
 * (proto_check_leaf). */
int query_all_named(struct s1link *l, const char *wpath, uint16_t fid, struct smb_attr *out, bool check_name);
/* SET_PATH_INFORMATION (wpath) or SET_FILE_INFORMATION (fid, when wpath is NULL) of one pass-through class. */
int set_info(struct s1link *l, const char *wpath, uint16_t fid, uint8_t cls, const struct wbuf *payload);

/* smb1_ops.c: run op with cl's wire form of path on the current link, once more on a new one as retry()
 * allows. A path the wire form refuses fails with -EINVAL before any request. */
typedef int (*link_op)(struct s1link *l, const char *wpath, void *arg);
int on_link(struct smb_client *cl, const char *path, link_op op, void *arg, bool idempotent);
/* The same for a path already in wire form. */
int on_wlink(struct smb_client *cl, const char *wpath, link_op op, void *arg, bool idempotent);
/* smb1_ops.c: run op on fh's FID (reopened first when a reconnect made it stale), once more as retry()
 * allows. fh_link gives the link (one reference, for the caller to put) and fh's FID on it. */
typedef int (*fid_op)(struct s1link *l, uint16_t fid, void *arg);
int on_fid(struct smb_client *cl, struct smb_fh *fh, fid_op op, void *arg, bool idempotent);
int fh_link(struct smb_client *cl, struct smb_fh *fh, struct s1link **l, uint16_t *fid);

/* An NT_CREATE_ANDX's arguments and, marked out, what it answered. */
struct create_args {
	uint32_t access, disposition, options, attrs;
	bool oplock;	      /* ask for a batch oplock */
	bool share_none;      /* ShareAccess 0 instead of read, write and delete */
	uint16_t fid;	      /* out */
	uint8_t oplock_level; /* out: SMB1_OPLOCK_* granted */
	struct smb_attr *attr;
};

/* smb1_ops.c: NT_CREATE_ANDX of wpath on l with a (struct create_args *); CLOSE a FID; what an oplock level
 * lets us cache, in SMB2_LEASE_* bits; close fh on the server (when its FID is still valid) and free it. */
int op_create(struct s1link *l, const char *wpath, void *arg);
int close_fid(struct s1link *l, uint16_t fid);
uint32_t oplock_state(uint8_t level);
int smb1_fh_destroy(struct smb_client *cl, struct smb_fh *fh);

/* smb1_ops.c: change attributes of wpath (or fid when wpath is NULL), then read them into a->attr_out. */
struct setattr_args {
	const struct smb_setattr *sa;
	struct smb_attr *attr_out;
};
int setattr_on(struct s1link *l, const char *wpath, uint16_t fid, const struct setattr_args *a);

/* smb1_ns.c: ops->mkdir, ->rmdir, ->unlink, ->rename; sweep_delete removes a leftover hidden file (hidden.c). */
int smb1_mkdir(struct smb_client *cl, const char *path, mode_t mode, struct smb_attr *attr_out);
int smb1_rmdir(struct smb_client *cl, const char *path);
int smb1_unlink(struct smb_client *cl, const char *path, unsigned flags);
int smb1_rename(struct smb_client *cl, const char *from, const char *to, unsigned flags);
int smb1_link(struct smb_client *cl, const char *from, const char *to, struct smb_attr *attr_out);
int sweep_delete(struct smb_client *cl, const char *wpath);

/* smb1_lock.c: ops->lock and ->unlock; smb1_relock takes a lock again on the link and FID of ctx (a struct
 * smb1_relock_ctx, plock_relock_fn). */
struct smb1_relock_ctx {
	struct s1link *l;
	uint16_t fid;
};
int smb1_lock(struct smb_client *cl, struct smb_fh *fh, uint64_t off, uint64_t len, unsigned flags);
int smb1_unlock(struct smb_client *cl, struct smb_fh *fh, uint64_t off, uint64_t len);
int smb1_relock(struct smb_client *cl, void *ctx, const struct plock *p);

/* smb1_io.c: ops->read, ->write, ->fsync and ->fstat. */
ssize_t smb1_read(struct smb_client *cl, struct smb_fh *fh, void *buf, size_t size, uint64_t off);
ssize_t smb1_write(struct smb_client *cl, struct smb_fh *fh, const void *buf, size_t size, uint64_t off);
int smb1_fsync(struct smb_client *cl, struct smb_fh *fh);
int smb1_fstat(struct smb_client *cl, struct smb_fh *fh, struct smb_attr *out);

/* smb1_cache.c: the receive thread's handler of unsolicited messages on link arg (oplock breaks). */
void on_break(void *arg, const uint8_t *msg, size_t n);

/* smb1_xattr.c: ops->list_eas and ->set_ea. */
int smb1_list_eas(struct smb_client *cl, const char *path, smb_ea_fn fn, void *arg);
int smb1_set_ea(struct smb_client *cl, const char *path, const char *name, const void *value, size_t len);

/* smb1_pipe.c: the named pipe name of IPC$ on s for DCE/RPC (shares.c): open it; write pdu and read the
 * first fragment of the answer, or read the next fragment (pdu NULL), as a view (out, outlen) into *rsp,
 * which the caller frees (also on failure; NULL when nothing came); close it. */
int smb1_pipe_open(struct smb1_sess *s, const char *name, uint16_t *fid);
int smb1_pipe_io(struct smb1_sess *s, uint16_t fid, const struct wbuf *pdu, uint8_t **rsp, const uint8_t **out,
		 size_t *outlen);
void smb1_pipe_close(struct smb1_sess *s, uint16_t fid);

/* smb1_sd.c: ops->get_sd and ->set_sd. */
int smb1_get_sd(struct smb_client *cl, const char *path, uint32_t secinfo, void **out, size_t *len);
int smb1_snapshots(struct smb_client *cl, const char *path, char **out);
int smb1_set_sd(struct smb_client *cl, const char *path, uint32_t secinfo, const void *sd, size_t len);

#endif
