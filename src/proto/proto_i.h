/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Private to src/proto: the client object and helpers shared by the dialect tables. */
#ifndef SMBFUSE_PROTO_I_H
#define SMBFUSE_PROTO_I_H

#include <pthread.h>
#include <stdatomic.h>

#include "smbfuse/ops.h"
#include "smbfuse/session.h"
#include "smbfuse/smb2.h"

/* Counters of one mount (ops->stats). Relaxed atomics: each is exact, the set is not a snapshot. */
struct proto_stats {
	_Atomic uint64_t cmd[SMB2_NCOMMANDS]; /* requests sent, compound members counted one by one */
	_Atomic uint64_t bytes_read, bytes_written;
	_Atomic uint64_t leases_granted, breaks, break_acks;
	_Atomic uint64_t write_breaks; /* breaks that took Write caching away and found data to write back */
	_Atomic uint64_t handle_hits, handle_misses; /* opens served by a cached handle / sent to the server */
	_Atomic uint64_t notifications, notify_overflows, watches_started;
	_Atomic uint64_t reconnects;
};

struct pcache;
struct smb1_state;

struct smb_client {
	const struct smb_ops *ops; /* immutable after smb_client_new */
	struct sess *sess;
	char *prefix; /* subdir in wire form ("a\\b"), "" for the share root; immutable */
	char desc[160];
	struct proto_stats st;
	struct pcache *cache; /* smb2_cache.c: leases, cached handles, watches, the worker; immutable pointer */
	struct smb1_state *smb1; /* smb1_ops.c: the SMB1 link; NULL on SMB2 (then sess is set) */
};

static inline void stat_add(_Atomic uint64_t *c, uint64_t n)
{
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

extern const struct smb_ops smb2_ops;
extern const struct smb_ops smb1_ops;

struct smb1_sess_opts;
/* smb1_ops.c: log on with SMB1 (cfg's strings are copied for reconnects) and attach the link to cl; free it. */
int smb1_client_start(struct smb_client *cl, const struct sess_cfg *cfg, const struct smb1_sess_opts *o,
		      char *errbuf, size_t errlen);
void smb1_client_stop(struct smb_client *cl);
/* smb1_ops.c: hard waits over SMB1 poll fn (smb_client_set_stop_check). */
void smb1_client_set_stop_check(struct smb_client *cl, sess_stop_fn fn, void *arg);
/* "SMB 1 (NT LM 0.12), signed" for smb_client_describe. */
void smb1_client_describe(struct smb_client *cl, char *buf, size_t len);

/*
 * Join the client's subdir prefix and a '/'-separated share-relative path into a wire path with '\\'
 * separators, in a new malloc'd string (*out, caller frees). -EINVAL for a component that contains a
 * backslash, which the server would read as a separator and so reach a different file.
 */
int proto_wire_path(const struct smb_client *cl, const char *path, char **out);

/*
 * Whether a directory entry name from the server may be handed to the kernel: not ".", "..", empty, and
 * without '/' (the kernel fails a whole readdir with EIO on such a name, and a hostile server could use it
 * to hide every other entry). Entries that fail are skipped with a warning.
 */
bool proto_listable_name(const char *name);

/* An open file (ops.h struct smb_fh), shared by smb2_ops.c and the handle cache in smb2_cache.c. */
struct smb_fh {
	pthread_mutex_t lock; /* guards fid and gen (a reopen replaces both) */
	struct smb2_fid fid;
	uint64_t gen;
	uint16_t fid1; /* SMB1 FID (smb1_ops.c), guarded by lock like fid */
	/* immutable after open: what a reopen needs */
	char *wpath;
	uint32_t access;
	uint32_t options;
	/* the cache's: */
	char *path;	     /* share-relative, as ops.h names it; immutable */
	struct lease *lease; /* one reference, or NULL; immutable */
	uint64_t parked_ms;  /* when it was parked (pcache lock); 0 while in use */
	_Atomic bool wrote;  /* data was written through it: never parked (see pcache_park) */
	bool sync;	     /* opened O_SYNC: writes never gathered (smb2_wb.c); set before the handle is shared */
};

/* smb2_ops.c: CLOSE the handle on the server (when its FileId is still valid) and free it. */
int smb2_fh_destroy(struct smb_client *cl, struct smb_fh *fh);
/* smb2_ops.c: fh's FileId on the current session, reopening it after a reconnect. Takes smb_fh.lock. */
int smb2_fh_fid(struct smb_client *cl, struct smb_fh *fh, struct smb2_fid *fid);
/* smb2_ops.c: open path (no lease) and return its FileId and session generation; close a FileId. */
int smb2_open_fid(struct smb_client *cl, const char *path, uint32_t access, uint32_t options, struct smb2_fid *fid,
		  uint64_t *gen);
void smb2_close_fid(struct smb_client *cl, struct smb2_fid fid);

/*
 * smb2_cache.c: leases, the handle cache, directory watches and the cache worker (essay there).
 * pcache_new registers the session hooks and starts the worker; pcache_free stops it and closes what is
 * cached, before the session goes.
 */
int pcache_new(struct smb_client *cl);
void pcache_stop(struct smb_client *cl); /* before sess_free: worker, parked handles, watch handles */
void pcache_free(struct smb_client *cl); /* after sess_free */
/* The lease for path (created on first use; one reference for the caller), or NULL without a cache; on
 * a dialect without leases it stands for the file's oplocks (lease_is_oplock). lease_ctx adds its RqLs context to a CREATE's context chain; lease_granted records what the
 * CREATE response granted; lease_put drops the reference (an open that failed, or a handle closed). */
struct lease *lease_get(struct smb_client *cl, const char *path);
int lease_ctx(struct smb_client *cl, struct lease *l, struct wbuf *ctx, size_t *prev);
/* True when l stands for our opens' oplocks (no leasing): CREATE asks for a batch oplock, no context. */
bool lease_is_oplock(struct lease *l);
/* fh's FileId is about to be closed: an oplock break for it is no longer ours. */
void pcache_fid_gone(struct smb_client *cl, struct smb_fh *fh);
void lease_granted(struct smb_client *cl, struct lease *l, const struct smb2_create_rsp *r, uint64_t gen);
void lease_put(struct smb_client *cl, struct lease *l);
/* Handle cache: a parked handle of path opened with this access and options, or NULL. */
struct smb_fh *pcache_unpark(struct smb_client *cl, const char *path, uint32_t access, uint32_t options,
			     struct smb_attr *attr);
/* Keep fh open instead of closing it, if its lease allows; true when it was taken. */
bool pcache_park(struct smb_client *cl, struct smb_fh *fh);
/* Close parked handles of path and of everything under it (before unlink, rmdir, rename). */
void pcache_flush_path(struct smb_client *cl, const char *path);
/* Attributes seen for fh's file (NULL: they changed, e.g. after a WRITE). */
void pcache_note_attr(struct smb_client *cl, struct smb_fh *fh, const struct smb_attr *a);
unsigned pcache_cached(struct smb_client *cl, const char *path);
int pcache_watch(struct smb_client *cl, const char *path);
void pcache_set_events(struct smb_client *cl, const struct smb_events *ev);
size_t pcache_stats(struct smb_client *cl, char *buf, size_t len);
/* Write back what is gathered for path's file (or, with under, for every file below directory path). */
void pcache_writeback(struct smb_client *cl, const char *path, bool under);
/* The lease's write cache (never NULL for a lease from lease_get; NULL for NULL), and whether the lease
 * holds Write caching on the current session right now. */
struct wb *lease_wb(struct lease *l);
bool lease_write_cached(struct smb_client *cl, struct lease *l);

/*
 * smb2_wb.c: gathered writes under a Write lease (essay there). One struct wb per lease.
 * wb_write copies a write into the file's buffer (sending full buffers without waiting, in pieces of at
 * most cap bytes) and returns size; -EAGAIN when the lease holds no Write caching (the caller writes
 * through, after wb_writeback); or an error kept from an earlier gathered WRITE, reported once.
 * wb_writeback sends what is gathered and waits for every WRITE in flight; with report it returns and
 * clears the kept error. wb_busy: anything gathered or in flight.
 */
struct wb *wb_new(void);
void wb_free(struct wb *wb);
bool wb_busy(struct wb *wb);
ssize_t wb_write(struct smb_client *cl, struct smb_fh *fh, const void *buf, size_t size, uint64_t off, size_t cap);
int wb_writeback(struct smb_client *cl, struct wb *wb, bool report);

#endif
