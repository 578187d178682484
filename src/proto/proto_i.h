/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Private to src/proto: the client object and helpers shared by the dialect tables. */
#ifndef SMBFUSE_PROTO_I_H
#define SMBFUSE_PROTO_I_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>

#include "smbfuse/namemap.h"
#include "smbfuse/netbios.h"
#include "smbfuse/ops.h"
#include "smbfuse/session.h"
#include "smbfuse/smb2.h"

/* Requests of one kind in flight now, and the most there were at once. */
struct io_gauge {
	_Atomic uint64_t cur, max;
};

/* Counters of one mount (ops->stats). Relaxed atomics: each is exact, the set is not a snapshot. */
struct proto_stats {
	_Atomic uint64_t cmd[256]; /* requests sent by command code of the dialect, compound members one by one */
	_Atomic uint64_t bytes_read, bytes_written;
	_Atomic uint64_t leases_granted, breaks, break_acks;
	_Atomic uint64_t write_breaks; /* breaks that took Write caching away and found data to write back */
	_Atomic uint64_t handle_hits, handle_misses; /* opens served by a cached handle / sent to the server */
	_Atomic uint64_t handles_parked;	      /* closes that parked their handle (park.c) */
	_Atomic uint64_t notifications, notify_overflows, watches_started, delete_checks, listing_answers, rearms_delayed;
	_Atomic uint64_t questions_open; /* a gauge: new watches whose question (watch.c) is not answered yet */
	/* directory leases (watch.c): granted on a watch's open, broken, creates that named one as their parent */
	_Atomic uint64_t dirleases_granted, dirlease_breaks, dirlease_parented;
	_Atomic uint64_t reconnects;
	/* durable handles (smb2_ops.c): granted; after a reconnect, taken back by DH2C/DHnC or reopened by path
	 * (the server did not keep them, or they were not durable); WRITEs resent after a reconnect */
	_Atomic uint64_t handles_durable, handles_reconnected, handles_reopened, writes_replayed, writes_lost;
	_Atomic uint64_t writes_before_setattr; /* gathered data sent in a setattr's compound */
	/* server-side copy (smb2_copy.c): bytes the server copied for us, COPYCHUNK requests refused */
	_Atomic uint64_t bytes_copied, copies_refused;
	struct io_gauge copy_inflight; /* COPYCHUNK_WRITE requests in flight (stats: copy.inflight_max) */
	/* small files (smb2_pre.c): opens that read the file in the same compound, reads answered from that */
	_Atomic uint64_t prereads, preread_hits;
};

/* The session configuration of a client configuration, NetBIOS names and address included (their strings
 * live in nb, which must outlive sc). Errors as smb_client_new's (an NBNS lookup may fail). */
struct nb_setup {
	char called[NB_NAME_MAX + 1], calling[NB_NAME_MAX + 1];
	char addr[INET_ADDRSTRLEN];
};
int client_sess_cfg(const struct smb_client_cfg *cfg, struct sess_cfg *sc, struct nb_setup *nb, char *errbuf,
		    size_t errlen);

struct pcache;
struct smb1_state;
struct cache_io;

struct smb_client {
	const struct smb_ops *ops;  /* immutable after smb_client_new */
	const struct cache_io *cio; /* the dialect's half of the cache; set with ops */
	struct sess *sess;
	char *prefix; /* subdir in wire form ("a\\b"), "" for the share root; immutable */
	enum name_map map; /* how names are stored (namemap.h); immutable */
	char desc[160];
	struct proto_stats st;
	struct pcache *cache;	 /* cache.c: leases and oplocks, cached handles, watches, the workers; immutable */
	struct smb1_state *smb1; /* smb1_link.c: the SMB1 link; NULL on SMB2 (then sess is set) */
	/* Whether the server honours POSIX delete semantics (FileDispositionInformationEx): 0 not known yet,
	 * 1 yes, -1 no (then unlink of an open file renames it; hidden.c). */
	_Atomic int posix_unlink;
	/* With the SMB 3.1.1 POSIX extensions cl->ops points at posix_ops: smb2_ops with symbolic links as
	 * reparse points (smb2_reparse.c). */
	struct smb_ops posix_ops;
	/* mfsymlinks (mfsym.c): cl->ops points at mf_ops, the dialect's table (mf_base) with symlinks added. */
	const struct smb_ops *mf_base;
	struct smb_ops mf_ops;
	bool posix; /* SMB 3.1.1 POSIX extensions negotiated (smb_client_posix); immutable after logon */
	/* smb2_ops.c: the open handles that were durable when opened, for smb2_reclaim to take back after a
	 * reconnect. A handle leaves the list (under durable_mu) before it is closed and freed. */
	pthread_mutex_t durable_mu;
	struct smb_fh **durable;
	unsigned ndurable, durable_cap;
	/* Server-side copy limits (smb2_copy.c): chunks per COPYCHUNK request, bytes per chunk, bytes per
	 * request; the defaults until a STATUS_INVALID_PARAMETER answer tells the server's own. */
	_Atomic uint32_t cc_chunks, cc_chunk_bytes, cc_total;
	uint64_t snapshot; /* cfg.snapshot: the TWrp time of every CREATE, 0 for none; immutable */
	/* smb2_pre.c: bumped by every change this client makes to any file's data, every break and every new
	 * session, so that data read with an open is never served after one; bytes of such data kept */
	_Atomic uint64_t pre_epoch, pre_bytes;
	char *host, *share; /* cfg's, for the paths of DFS referrals; immutable */
	/* A DFS router (dfs_router.c): this client only routes, to the trees the router holds; NULL otherwise. */
	struct dfs_router *dfs;
	/* The root of a browse mount (browse.c): no share of its own, the server's shares as directories. */
	struct browse *browse;
};

/* The last byte of every lease key cl makes: its tree's number on the session (sess_tree_tag), so that a
 * lease break, which every tree of a session hears, is taken by its own tree only (smb2_cache.c). */
#define PROTO_LEASE_TAG_BYTE 15
static inline uint8_t proto_lease_tag(const struct smb_client *cl)
{
	return cl->sess ? (uint8_t)sess_tree_tag(cl->sess) : 0;
}

static inline void stat_add(_Atomic uint64_t *c, uint64_t n)
{
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

/* Count one request of the dialect's command code cmd. */
static inline void stat_cmd(struct smb_client *cl, unsigned cmd)
{
	stat_add(&cl->st.cmd[cmd & 0xFF], 1);
}

extern const struct smb_ops smb2_ops;
/* smb2_reparse.c: ops->readlink (every SMB2 mount), ops->symlink and ops->mknod (POSIX extensions only).
 * smb2_reparse_attr completes the attributes a stat of path gave: a device's dev_major/dev_minor (POSIX;
 * a log line leaves them 0 when the server does not give them), and without POSIX whether a reparse point
 * is a symlink; one round trip, for those only. smb2_reparse_note_tag: the same from a listing's reparse
 * tag (EaSize of a reparse point, MS-FSCC 2.4.18). */
int smb2_readlink(struct smb_client *cl, const char *path, char **out);
int smb2_symlink(struct smb_client *cl, const char *target, const char *path, struct smb_attr *attr_out);
int smb2_mknod(struct smb_client *cl, const char *path, mode_t mode, uint32_t major, uint32_t minor,
	       struct smb_attr *attr_out);
void smb2_reparse_attr(struct smb_client *cl, const char *path, struct smb_attr *a);
void smb2_reparse_note_tag(struct smb_attr *a, uint32_t tag);
/* mfsym.c: make cl's table (chosen at logon) keep symlinks as Minshall+French files. */
void mfsym_install(struct smb_client *cl);
extern const struct smb_ops smb1_ops;

struct smb1_sess_opts;
/* smb1_ops.c: log on with SMB1 (cfg's strings are copied for reconnects) and attach the link to cl; free it. */
int smb1_client_start(struct smb_client *cl, const struct sess_cfg *cfg, const struct smb1_sess_opts *o,
		      char *errbuf, size_t errlen);
void smb1_client_stop(struct smb_client *cl);
/* "SMB 1 (NT LM 0.12), signed" for smb_client_describe. */
void smb1_client_describe(struct smb_client *cl, char *buf, size_t len);

/*
 * Join the client's subdir prefix and a '/'-separated share-relative path into a wire path with '\\'
 * separators, each component mapped by cl->map (namemap.h), in a new malloc'd string (*out, caller frees).
 * -EINVAL for a component that still holds a character the server would read as a separator, wildcard or
 * stream name (always a backslash, which would reach a different file).
 */
int proto_wire_path(const struct smb_client *cl, const char *path, char **out);

/* What an ops->open with these open(2) flags asks the server for, in both dialects (MS-SMB2 2.2.13 values,
 * which NT_CREATE_ANDX shares): DesiredAccess, CreateDisposition, CreateOptions. */
uint32_t proto_open_access(int flags);
uint32_t proto_open_disposition(int flags);
uint32_t proto_open_options(int flags);

/*
 * Previous versions by path (issue 15): a component "@GMT-YYYY.MM.DD-HH.MM.SS" anywhere in a wire path names
 * that snapshot of the rest of the path, as Windows and Samba read it. proto_snap_split finds the first
 * component that is a valid token (sep separates components): 1 with its time in *twrp and the path without
 * it in *out (malloc'd); 0 when there is none (a name that merely looks like one is an ordinary name);
 * -ENOMEM. proto_snap_writes says whether a CREATE of these arguments would change anything (then EROFS).
 */
int proto_snap_split(const char *wpath, char sep, char **out, uint64_t *twrp);
bool proto_snap_writes(uint32_t access, uint32_t disposition, uint32_t options);
/* For a dialect without a TWrp context (SMB1): -EROFS, with one log line, when the glue's path (or, for a
 * change of both, to) runs through a previous version; 0 otherwise. */
int proto_snap_refuse(const char *path, const char *to);

/*
 * Security descriptors, the same in both dialects (sd.c): the access an open needs to read
 * (set false) or set the secinfo parts (MS-SMB2 3.3.5.20.3 / 3.3.5.21.3, MS-CIFS 3.3.5.59.3/.4);
 * proto_sd_outgoing checks a descriptor before it is sent (-EINVAL, logged with path, for one that is
 * not well-formed, empty secinfo or over PROTO_SD_MAX); proto_sd_incoming checks the server's n bytes and
 * copies them into a new buffer (*out, free()), -EIO logged for one that does not decode.
 */
#define PROTO_SD_MAX (4u << 20)
uint32_t proto_sd_access(uint32_t secinfo, bool set);
int proto_sd_outgoing(const char *path, uint32_t secinfo, const void *sd, size_t len);
int proto_sd_incoming(const char *path, const uint8_t *p, size_t n, void **out, size_t *len);

/*
 * Every dialect's open, around its own CREATE: proto_fh_begin gives a handle from the handle cache
 * (*cached, attributes in *a) or a new smb_fh with its wire path, access, options and, for a file, its
 * lease, to be opened on the server; proto_open_narrow drops the read access an O_WRONLY open asked for
 * when the server refused it (true: try again); proto_fh_end finishes a successful open; proto_fh_free
 * frees one that failed.
 */
struct smb_fh;
int proto_fh_begin(struct smb_client *cl, const char *path, int flags, struct smb_attr *a, struct smb_fh **out,
		   bool *cached);
bool proto_open_narrow(struct smb_fh *fh, int flags, int rc);
void proto_fh_end(struct smb_client *cl, struct smb_fh *fh, int flags, bool cached, const struct smb_attr *a,
		  struct smb_attr *attr_out);
void proto_fh_free(struct smb_client *cl, struct smb_fh *fh);

/*
 * A name from the server (a directory entry or a change notification: UTF-16LE, n bytes) as the kernel
 * sees it: decoded and mapped back by cl->map, in a new string (*out, caller frees). Returns 1 with *out
 * set; 0 for "", "." and ".." (not listed); -EILSEQ, logged once with the name's bytes, for one holding
 * '/' or '\\' (the kernel fails a whole readdir on '/', and either would let a hostile server name another
 * file), a NUL or invalid UTF-16; -ENOMEM.
 */
int proto_listed_name(const struct smb_client *cl, const uint8_t *p, size_t n, char **out);

/*
 * Lookups see names as they are stored. A case-insensitive server opens "A" when "a" exists (and an 8.3
 * alias such as "LONGNA~1" for the long name); a lookup that answered yes would make the kernel take "A"
 * for an existing name, so that coreutils' `mv a A` (renameat2 RENAME_NOREPLACE) fails with "are the same
 * file", and one file would show under many names. Given the wire path asked for and the name the server
 * reports for what it opened (FileNameInformation, UTF-16LE), this returns -ENOENT when their last
 * components differ, else 0 (also when the server reports no name).
 */
int proto_check_leaf(const char *wpath, const uint8_t *name16, size_t len16);

/*
 * hidden.c: files unlinked while open (essay there). A silly-renamed file is called PROTO_HIDDEN_PREFIX and
 * 16 hex digits. proto_hidden_name: name is one of them; proto_path_hidden: some component of path is.
 * proto_silly_wpath: a new such wire path in the directory of path. In a listing, proto_sweep_note says
 * whether name is ours (never listed) and keeps it; proto_sweep_run then deletes those kept with del
 * (the dialect's delete of a wire path), best effort.
 */
#define PROTO_HIDDEN_PREFIX ".smbfuse-deleted-"
#define PROTO_SWEEP_MAX 16
bool proto_hidden_name(const char *name);
bool proto_path_hidden(const char *path);
int proto_silly_wpath(const struct smb_client *cl, const char *path, char **out);
struct proto_sweep {
	char *names[PROTO_SWEEP_MAX];
	unsigned n;
};
typedef int (*proto_delete_fn)(struct smb_client *cl, const char *wpath);
bool proto_sweep_note(struct proto_sweep *s, const char *name);
void proto_sweep_run(struct smb_client *cl, const char *dir, struct proto_sweep *s, proto_delete_fn del);

/* An open file (ops.h struct smb_fh), shared by the dialect tables and the handle cache in cache.c. */
struct smb_fh {
	pthread_mutex_t lock; /* guards fid, fid1 and gen (a reopen replaces them) */
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
	bool sync;	     /* opened O_SYNC: writes never gathered (wb.c); set before the handle is shared */
	bool snap;	     /* opened by an @GMT path (struct cmp snap): fstat gives no file id; likewise */
	/* SMB2 durable handle (smb2_ops.c), guarded by lock: the context version the server granted (2: DH2Q,
	 * 1: DHnQ, 0: not durable), the CreateGuid it knows the open by, and the generation from which the
	 * server's open is a new one (opened, or reopened by path): WRITEs sent before it are lost with the old
	 * open, never replayed into the new one. */
	uint8_t durable;
	uint8_t create_guid[16];
	uint64_t fresh_gen;
	/* plock.c: the byte-range locks held through this handle, guarded by lock, to take them again after
	 * a reconnect; locks_lost once one could not be (every later use fails with -EIO). */
	struct plock *locks;
	unsigned nlocks, locks_cap;
	bool locks_lost;
	_Atomic bool locked; /* ever locked: never parked, so its CLOSE is what releases its locks */
	/* smb2_pre.c: the file's start, read with the open (guarded by lock); NULL when none is kept */
	struct smb2_pre *pre;
};

/*
 * plock.c: byte-range locks, the part both dialects share (essay there). plock_run checks and sends one lock
 * or unlock with send (the dialect's LOCK / LOCKING_ANDX of fh) and keeps fh's list; plock_reacquire_locked,
 * after a reopen with fh->lock held, takes every listed lock again with relock (never waiting), and marks
 * fh lost (logged) when one is refused. plock_lost: -EIO for a handle whose locks were lost, else 0.
 */
struct plock {
	uint64_t off, len;
	bool excl;
};
typedef int (*plock_send_fn)(struct smb_client *cl, struct smb_fh *fh, uint64_t off, uint64_t len, unsigned flags,
			     bool unlock);
typedef int (*plock_relock_fn)(struct smb_client *cl, void *ctx, const struct plock *l);
int plock_run(struct smb_client *cl, struct smb_fh *fh, uint64_t off, uint64_t len, unsigned flags, bool unlock,
	      plock_send_fn send);
int plock_reacquire_locked(struct smb_client *cl, struct smb_fh *fh, plock_relock_fn relock, void *ctx);
int plock_lost(struct smb_fh *fh);
void plock_free(struct smb_fh *fh);
/* A LOCK's answer, delivered on the receive thread (plock_wait_done) and waited for by its sender: with
 * interruptible, the wait ends early with cancel.h's error (the sender then cancels and waits again,
 * uninterruptibly: the answer says whether the lock was granted all the same). */
struct plock_wait {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool done;
};
void plock_wait_init(struct plock_wait *w);
void plock_wait_destroy(struct plock_wait *w);
void plock_wait_done(struct plock_wait *w);
int plock_wait(struct plock_wait *w, bool interruptible);

/* smb2_ops.c: CLOSE the handle on the server (when its FileId is still valid) and free it. */
int smb2_fh_destroy(struct smb_client *cl, struct smb_fh *fh);
void smb2_reclaim(struct smb_client *cl); /* cache_io.reclaim */
/* smb2_ops.c: fh's FileId on the current session and that session's generation (gen may be NULL), after a
 * reconnect taking the durable handle back (DH2C/DHnC) or else reopening it by path. Takes smb_fh.lock. */
int smb2_fh_fid(struct smb_client *cl, struct smb_fh *fh, struct smb2_fid *fid, uint64_t *gen);
/* smb2_ops.c: whether a WRITE sent through fh under generation gen, and not answered, may be resent: the
 * server still has that open (durably reconnected since). Takes smb_fh.lock. */
bool smb2_fh_kept(struct smb_fh *fh, uint64_t gen);
/* smb2_ops.c: close a FileId. */
void smb2_close_fid(struct smb_client *cl, struct smb2_fid fid);
/* smb2_cache.c: a CREATE's lease request context for l (nothing for an oplock), and what the CREATE's answer
 * granted; the session hooks that deliver breaks and reconnects to the cache. */
int smb2_lease_ctx(struct smb_client *cl, struct lease *l, struct wbuf *ctx, size_t *prev);
void smb2_lease_granted(struct smb_client *cl, struct lease *l, const struct smb2_create_rsp *r, uint64_t gen);
void smb2_cache_hooks(struct smb_client *cl);

/*
 * The cache's side of a dialect. cache.c and wb.c hold every piece of caching policy (lease and oplock state,
 * the handle cache, write gathering, breaks, watches, the workers, counters) once, for SMB2 and SMB1 alike;
 * what differs is only how a handle is closed, a break acknowledged, a WRITE or CHANGE_NOTIFY sent, and which
 * session generation is current. Each dialect provides that as a struct cache_io (smb2_cache.c, smb1_cache.c).
 * States are SMB2_LEASE_* bits whatever the dialect: an oplock level is one combination of them.
 */
struct cache_break {
	bool is_lease;
	uint8_t lease_key[16];	 /* is_lease */
	uint32_t new_state;	 /* SMB2_LEASE_* the server leaves us */
	uint16_t new_epoch;	 /* lease v2 */
	bool ack_required;	 /* lease: the server's flag; oplock: true (cache.c skips a break from level II) */
	uint64_t fid_key;	 /* oplock: the open, as oplock_granted was told */
	uint64_t fid_persistent; /* oplock on SMB2: the rest of the FileId, for the ack */
	uint8_t level;		 /* oplock: the new level as the wire says it, for the ack */
	uint64_t gen;		 /* the session generation it arrived on */
};

/* A WRITE's end: err < 0 when the connection died under it or its answer was unreadable (the data is
 * lost); else the answer's NTSTATUS and the bytes written. Runs on the receive thread: must not block. */
typedef void (*cache_write_done)(void *arg, int err, uint32_t status, uint32_t count);
/* A change notification's end: err as for a write; rsp (owned by the callee) is the whole answer. */
typedef void (*cache_notify_done)(void *arg, int err, uint32_t status, uint8_t *rsp, size_t rsp_len);

/* What a directory watch asks to hear of (MS-FSCC 2.4.42 CompletionFilter): names, attributes, sizes, times. */
#define PROTO_NOTIFY_FILTER                                                                                            \
	(FILE_NOTIFY_CHANGE_FILE_NAME | FILE_NOTIFY_CHANGE_DIR_NAME | FILE_NOTIFY_CHANGE_ATTRIBUTES |                  \
	 FILE_NOTIFY_CHANGE_SIZE | FILE_NOTIFY_CHANGE_LAST_WRITE | FILE_NOTIFY_CHANGE_CREATION)

struct cache_io {
	/* The current session generation (bumped by every reconnect); no round trip, no blocking. */
	uint64_t (*generation)(struct smb_client *cl);
	/* Whether opens ask for leases (else for batch oplocks). */
	bool (*leasing)(struct smb_client *cl);
	/* Counter names: the dialect's name of a command code. */
	const char *(*command_name)(unsigned cmd);
	/* Close fh on the server (if its handle is still valid), drop its lease reference and free it. */
	int (*fh_destroy)(struct smb_client *cl, struct smb_fh *fh);
	/* Acknowledge b on the connection it came from: 0 when sent. Counts its request. */
	int (*ack)(struct smb_client *cl, const struct cache_break *b);
	/* Send len bytes of data at off through fh and return without waiting: 0 and done runs once later (maybe
	 * before this returns), or a negative errno and done never runs. data may be freed when this returns. */
	int (*write_async)(struct smb_client *cl, struct smb_fh *fh, const uint8_t *data, uint32_t len, uint64_t off,
			   cache_write_done done, void *arg);
	/* Resend such a WRITE, sent under generation gen and lost with its connection, as a replay once fh is
	 * taken back (MS-SMB2 3.2.4.1.x); -EIO when the server did not keep fh's open (then done never runs).
	 * replayable says whether fh is a handle such a resend can go through (durable) at all. NULL: never. */
	int (*write_replay)(struct smb_client *cl, struct smb_fh *fh, const uint8_t *data, uint32_t len, uint64_t off,
			    uint64_t gen, cache_write_done done, void *arg);
	bool (*replayable)(struct smb_client *cl, struct smb_fh *fh);
	/* Directory watches; all NULL when the dialect has none. watch_open opens path and returns the dialect's
	 * handle *h and its generation, asking for a Read+Handle directory lease under dir_key (may be NULL)
	 * where the session grants them: *lease_state gets what was granted (SMB2_LEASE_*, 0 for none); watch_arm sends the next change notification request (no deadline) on
	 * it; watch_changes finds the FILE_NOTIFY_INFORMATION entries (MS-FSCC 2.4.42) in an answer; watch_close
	 * closes the handle on the server if its generation is current, which ends a request in flight;
	 * watch_free frees h once no request is in flight. */
	int (*watch_open)(struct smb_client *cl, const char *path, const uint8_t *dir_key, void **h, uint64_t *gen,
			  uint32_t *lease_state);
	int (*watch_arm)(struct smb_client *cl, void *h, cache_notify_done done, void *arg);
	int (*watch_changes)(const uint8_t *rsp, size_t n, const uint8_t **buf, uint32_t *len);
	void (*watch_close)(struct smb_client *cl, void *h);
	/* 1 when the watched directory, path, is delete-pending (another client removed it) or no longer
	 * there by that name, 0 when not, or an error; a round trip. Asked by opening path, not by querying
	 * h: Samba tells other handles of the delete (and completes their pending notifications) before the
	 * delete-pending state is visible to a query, which reads the share-mode record without its lock,
	 * where an open waits for that lock (watch.c, "Removed by another client"). NULL: not asked. */
	int (*watch_deleting)(struct smb_client *cl, void *h, const char *path);
	/* The dialect's listing opens the directory by name and reports it (pcache_listing_begin), answering a
	 * new watch's question: the worker then asks a moment later, only if no listing did. */
	bool listing_answers;
	void (*watch_free)(void *h);
	/* How many directories may be watched at once (each holds a request in flight); NULL: 64. */
	unsigned (*watch_max)(struct smb_client *cl);
	/* After a reconnect, on the cache worker: take back at once what the server keeps for us only for a
	 * while (durable handles). NULL: nothing to do. */
	void (*reclaim)(struct smb_client *cl);
};

extern const struct cache_io smb2_cache_io;
extern const struct cache_io smb1_cache_io;

/*
 * cache.c: leases and oplocks, the handle cache, directory watches and the cache workers (essay there).
 * pcache_new starts the workers (before logon: breaks may come as soon as a handle is open); pcache_stop
 * stops them and closes what is cached, before the session goes; pcache_free after it.
 */
int pcache_new(struct smb_client *cl);
void pcache_stop(struct smb_client *cl);
void pcache_free(struct smb_client *cl);
/* Receive thread: a break arrived (copied; never blocks). Any thread: the session was rebuilt, every
 * lease, oplock and watch is void (never blocks). */
void pcache_break_queue(struct smb_client *cl, const struct cache_break *b);
void pcache_rebuilt(struct smb_client *cl);
/* The lease for path (created on first use; one reference for the caller), or NULL without a cache; without
 * leasing it stands for the file's oplocks (lease_is_oplock). lease_put drops the reference (an open that
 * failed, or a handle closed). */
struct lease *lease_get(struct smb_client *cl, const char *path);
void lease_put(struct smb_client *cl, struct lease *l);
/* True when l stands for our opens' oplocks (no leasing): opens ask for a batch oplock. */
bool lease_is_oplock(struct lease *l);
/* What a lease request carries: the key and the epoch of the state we hold. */
void lease_key_epoch(struct smb_client *cl, struct lease *l, uint8_t key[16], uint16_t *epoch);
/* An open's answer under generation gen: lease_granted when the server answered our lease (ok false: it
 * granted none), oplock_granted with the state its oplock level means and the open's fid_key. */
void lease_granted(struct smb_client *cl, struct lease *l, bool ok, uint32_t state, uint16_t epoch, int version,
		   uint64_t gen);
void oplock_granted(struct smb_client *cl, struct lease *l, uint32_t state, uint64_t fid_key, uint64_t gen);
/* The open fid_key of l is about to be closed: an oplock break for it is no longer ours. */
void pcache_fid_gone(struct smb_client *cl, struct lease *l, uint64_t fid_key);
/* The start of every ops->open: what is gathered goes out before a truncating open, and a parked handle
 * of path that the flags may take back (no create, truncate or directory) with this access and options
 * is returned with its attributes; NULL: open on the server. */
struct smb_fh *pcache_open_begin(struct smb_client *cl, const char *path, int flags, uint32_t access, uint32_t options,
				 struct smb_attr *attr);
/* Keep fh open instead of closing it, if its lease allows; true when it was taken. */
bool pcache_park(struct smb_client *cl, struct smb_fh *fh);
/* Close everything the cache holds open at or below path, parked handles and directory watches, and wait
 * for the CLOSEs (before our unlink, rmdir, rename: a handle of ours would make the server refuse a rename
 * or leave a deleted directory delete-pending). Watches closed this way are started again by later
 * listings. */
void pcache_flush_path(struct smb_client *cl, const char *path);
/* path, still open, was unlinked and its file renamed away (or deleted the POSIX way): a later open of path
 * is another file, so it gets a new lease (a lease key names one file) and never an old handle; the old
 * file's parked handles are closed now and its open ones are never parked. */
void pcache_unlinked(struct smb_client *cl, const char *path);
/* A delete of path had to share with another client's open handle: the name stays until it closes.
 * pcache_rmdir runs once(path) and, if it finds path not empty while a delete in it is pending, tries
 * again for a few seconds (cache.c). */
void pcache_note_pending(struct smb_client *cl, const char *path);
int pcache_rmdir(struct smb_client *cl, const char *path, int (*once)(struct smb_client *, const char *));
/* Attributes seen for fh's file (NULL: they changed, e.g. after a WRITE). */
void pcache_note_attr(struct smb_client *cl, struct smb_fh *fh, const struct smb_attr *a);
unsigned pcache_cached(struct smb_client *cl, const char *path);
int pcache_watch(struct smb_client *cl, const char *path);
struct watch;
/* A listing's open of directory path by name is about to go out, after that directory's new watch sent its
 * first request: that open then answers the watch's question whether the directory was deleted before
 * the request (watch.c, "Removed by another client"), which the worker would otherwise ask with an open of
 * its own. Returns a reference for pcache_listing_opened (open_ok: the open succeeded), or NULL. */
struct watch *pcache_listing_begin(struct smb_client *cl, const char *path);
void pcache_listing_opened(struct smb_client *cl, struct watch *w, bool open_ok);
/* The key of the directory lease we hold right now on the directory of l's file (watch.c): true and key
 * filled, for the file's CREATE to name as its ParentLeaseKey (MS-SMB2 2.2.13.2.10), so that the server does
 * not break the directory's lease for our own change in it; false when that directory holds none. */
bool pcache_parent_lease_key(struct smb_client *cl, struct lease *l, uint8_t key[16]);
void pcache_set_events(struct smb_client *cl, const struct smb_events *ev);
size_t pcache_stats(struct smb_client *cl, char *buf, size_t len);
/* Write back what is gathered for path's file (or, with under, for every file below directory path). */
void pcache_writeback(struct smb_client *cl, const char *path, bool under);
/* Write back what is gathered for fh's file, before anything asks the server about it. */
void pcache_fh_writeback(struct smb_client *cl, struct smb_fh *fh);
struct wb_handed;
/* wb_hand_over and wb_handed_done (below) for fh's lease; 0 (nothing handed) without one. */
int pcache_fh_hand_over(struct smb_client *cl, struct smb_fh *fh, struct wb_handed *h);
void pcache_fh_handed(struct smb_client *cl, struct smb_fh *fh, struct wb_handed *h, int err, uint32_t count);
/* A write through fh: gathered when its lease holds Write caching (returns size, or an error kept from an
 * earlier gathered write); else -EAGAIN once what was gathered is on the server, and the caller writes
 * through and then calls pcache_wrote. */
ssize_t pcache_write(struct smb_client *cl, struct smb_fh *fh, const void *buf, size_t size, uint64_t off, size_t cap);
void pcache_wrote(struct smb_client *cl, struct smb_fh *fh);
/* ops->flush: send what was gathered for fh's file and wait; the first error not reported yet. */
int pcache_flush(struct smb_client *cl, struct smb_fh *fh);
/* Before fh's handle is closed: what was gathered goes out, and oplock breaks for fid_key are no longer
 * ours. */
void pcache_fh_closing(struct smb_client *cl, struct smb_fh *fh, uint64_t fid_key);
/* The lease's write cache (never NULL for a lease from lease_get; NULL for NULL), and whether the lease
 * holds Write caching on the current session right now. */
struct wb *lease_wb(struct lease *l);
bool lease_write_cached(struct smb_client *cl, struct lease *l);
/* Whether the lease holds Read caching on the current session right now (false for NULL). */
bool lease_read_cached(struct smb_client *cl, struct lease *l);

/*
 * wb.c: gathered writes under Write caching (essay there). One struct wb per lease.
 * wb_write copies a write into the file's buffer (sending full buffers without waiting, in pieces of at
 * most cap bytes) and returns size; -EAGAIN when the lease holds no Write caching (the caller writes
 * through, after wb_writeback); or an error kept from an earlier gathered WRITE, reported once.
 * wb_writeback sends what is gathered and waits for every WRITE in flight; with report it returns and
 * clears the kept error; an interrupted wait returns -EINTR (or -ESHUTDOWN) and leaves the WRITEs going.
 * wb_busy: anything gathered or in flight.
 */
struct wb *wb_new(void);
void wb_free(struct wb *wb);
bool wb_busy(struct wb *wb);
ssize_t wb_write(struct smb_client *cl, struct smb_fh *fh, const void *buf, size_t size, uint64_t off, size_t cap);
int wb_writeback(struct smb_client *cl, struct wb *wb, bool report);
/* wb_hand_over: for a request that must follow fh's gathered data on the wire (setattr). Returns 1 and
 * hands that data over in *h (sent by the caller in its compound, ahead of the request, then reported
 * with wb_handed_done: its error, or the count written; -ESTALE, and -ECONNRESET of a replayable handle,
 * put it back as it was), holding the wb
 * until then; 0 after writing back as wb_writeback does, when there is none or it is not fh's to send;
 * or an interrupted wait's error. */
struct wb_handed {
	uint8_t *data;
	size_t cap, len;
	uint64_t off;
	struct smb_fh *fh;
	bool replayable; /* lost with a connection, it goes back to the buffer to be resent */
};
int wb_hand_over(struct smb_client *cl, struct wb *wb, struct smb_fh *fh, struct wb_handed *h);
void wb_handed_done(struct smb_client *cl, struct wb *wb, struct wb_handed *h, int err, uint32_t count);

/* snap.c: the tokens of a decoded snapshot array, "@GMT-...\n" each, into a new string *out; -E2BIG when
 * the answer holds fewer than the server keeps, -EIO for a token that is not one. */
struct smb2_snapshot_array;
int proto_snapshot_text(const char *path, const struct smb2_snapshot_array *a, char **out);

/* SMB1: whether wire path wpath names a previous version by a token of its own (moved to its front by
 * proto_wire_path), not the snapshot= mount's. Such a file is its own inode: its server file id, which
 * a hard link in the snapshot shares with the live file, is not used (as smb2_cmp.c's attr_unsnap). */
bool proto_smb1_snap_path(const struct smb_client *cl, const char *wpath);

#endif
