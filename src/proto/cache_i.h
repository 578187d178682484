/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cache_i.h - private to the cache (cache.c: leases, oplocks, parked handles, breaks, the workers; watch.c:
 * directory watches). The essays are at the top of those files; the lock rules are cache.c's.
 */
#ifndef SMBFUSE_CACHE_I_H
#define SMBFUSE_CACHE_I_H

#include <glib.h>

#include "proto_i.h"

#define PARK_MS 5000 /* how long a closed handle stays open under a Handle lease */
#define PARK_MAX 256 /* parked handles per mount at most */
#define PARK_CALM_MS 2000 /* no parked handle expires sooner after a break arrives */
#define WATCH_MAX 64 /* watched directories per mount at most */
/* A watch's next request waits WATCH_REARM_MS after an answer while this mount has changed a name in its
 * directory within WATCH_OWN_MS (watch.c, "Our own changes"). */
#define WATCH_REARM_MS 10
#define WATCH_OWN_MS 100

struct lease {
	uint8_t key[16]; /* immutable */
	uint64_t id;	 /* first 8 bytes of key: the by_id key; immutable */
	/* pcache.lock: */
	char *path;	/* share-relative; a rename moves it */
	bool hashed;	/* in by_path under path */
	uint32_t state; /* SMB2_LEASE_* granted now */
	uint16_t epoch;
	uint64_t gen;	 /* session generation of the grant */
	unsigned refs;	 /* one per smb_fh using it (parked or not), one per lease_get not yet put */
	bool attr_valid; /* attr is the file's current attributes (nothing written since) */
	struct smb_attr attr;
	struct wb *wb; /* writes gathered under Write caching (wb.c, its own locks); immutable */
	bool oplock;   /* no lease on this dialect: state comes from our opens' oplocks; immutable */
	bool gone;     /* pcache.lock: the file was unlinked while open (pcache_unlinked) */
};

/* One open's oplock: the file's lease (not owning: the open's handle holds it) and what this open holds. */
struct oplock {
	struct lease *l;
	uint32_t state;
};

struct watch {
	struct pcache *pc; /* immutable */
	char *path;	   /* immutable */
	void *h;	   /* the dialect's handle (cache_io.watch_open); immutable */
	uint64_t gen;	   /* immutable: session generation of the open */
	uint8_t key[16];   /* immutable: the directory lease key asked for (a new one each open) */
	uint64_t key_id;   /* immutable: its first 8 bytes, the key in pcache.dleases */
	uint32_t lstate;   /* immutable: the directory lease granted (SMB2_LEASE_*), 0: the watch alone */
	/* pcache.lock: */
	unsigned refs;	  /* the table, pcache.dleases, the request in flight, each queued job, watch_start */
	bool in_dleases;  /* in pcache.dleases */
	bool broken;	  /* its lease break arrived: what it covered is no longer trusted, it ends soon */
	bool ending;	  /* no new request: evicted, stopping, or failed */
	bool closed;	  /* its handle was closed (or died with its session) */
	bool hashed;	  /* in watches under path */
	uint64_t used_ms; /* LRU */
	uint64_t own_ms;  /* when this mount last opened, closed or unlinked a name in it (watch_note_own) */
	bool unasked;	  /* its first request is out, and nothing has asked since whether the directory was
			   * deleted before it (watch_start; proto_stats.questions_open counts these and the
			   * questions being asked) */
	unsigned listings; /* listings whose open will answer that (pcache_listing_begin) */
};

enum job_kind { JOB_BREAK, JOB_NOTIFY, JOB_END_WATCH, JOB_CHECK_WATCH, JOB_REARM, JOB_REBUILT, JOB_EVENT };

struct job {
	enum job_kind kind;
	struct cache_break brk; /* JOB_BREAK */
	struct watch *w;	/* JOB_NOTIFY, JOB_END_WATCH, JOB_CHECK_WATCH, JOB_REARM: holds one watch reference */
	uint64_t due_ms;	/* JOB_REARM, JOB_CHECK_WATCH: when it is due (pcache.delayed) */
	bool gone;		/* JOB_REARM: the answer before it said a name left (watch.c, dir_deleting) */
	int err;		/* JOB_NOTIFY: transport result */
	uint32_t status;
	uint8_t *rsp; /* JOB_NOTIFY: the reply, owned */
	size_t rsp_len;
	enum smb_event_kind ev; /* JOB_EVENT */
	char *path;		/* JOB_EVENT, owned */
};

struct pcache {
	struct smb_client *cl; /* immutable */
	pthread_mutex_t lock;
	pthread_cond_t cond;  /* a job was queued, a handle parked, or stopping */
	GHashTable *by_path;  /* path -> struct lease (not owning: refs do) */
	GHashTable *by_id;    /* &lease.id -> struct lease */
	GHashTable *by_fid;   /* fid_key (g_malloc'd) -> struct oplock (g_malloc'd), for oplock breaks */
	GHashTable *early;    /* fid_key (g_malloc'd) -> struct cache_break (g_malloc'd): breaks before grants */
	GHashTable *pending;  /* directory (g_malloc'd) -> when a delete in it was left pending (uint64 ms) */
	GQueue parked;	      /* struct smb_fh *, oldest first */
	uint64_t break_ms;    /* when the last break arrived (now_ms) */
	GHashTable *watches;  /* path -> struct watch (not owning) */
	GHashTable *dleases;  /* &watch.key_id -> struct watch holding a directory lease (not owning) */
	unsigned nwatch;      /* watches not ending */
	/* Watches whose CLOSE is on its way (watch.c), whoever sends it; closing_cv: one of them ended. So that
	 * watch_close_under can wait for a close another thread began, not only for its own. */
	GSList *closing;
	pthread_cond_t closing_cv;
	GQueue jobs;	      /* struct job *: everything but breaks */
	GQueue delayed;	      /* struct job *: the worker's, each once its due_ms has come; oldest first */
	GQueue bjobs;	      /* struct job *: breaks, served by their own worker (see below) */
	pthread_cond_t bcond; /* a break was queued, or stopping */
	bool stopping;
	pthread_rwlock_t ev_lock;  /* guards ev: workers deliver under the read lock, set_events writes */
	struct smb_events ev;	   /* event NULL: nobody listens */
	pthread_t worker, bworker; /* immutable */
	bool has_worker, has_bworker;
};

static inline struct pcache *pc_of(struct smb_client *cl)
{
	return cl->cache;
}

static inline uint64_t gen_of(struct smb_client *cl)
{
	return cl->cio->generation(cl);
}

/* Queue a job for a worker (breaks go to the break worker); with or without pcache.lock held. */
void pc_job_push_locked(struct pcache *pc, struct job *j);
void pc_job_push(struct pcache *pc, struct job *j);
/* Tell the glue kind for path from the worker, later: for callers that are not the worker. */
void pc_queue_event(struct pcache *pc, enum smb_event_kind kind, const char *path);
/* Worker only: deliver an event to the glue now. */
void pc_emit(struct pcache *pc, enum smb_event_kind kind, const char *path, const char *name);
/* Whether share-relative path p is top or lies below it ("" is above everything). */
bool pc_path_under(const char *p, const char *top);

/* cache.c: note a break that came before its open's grant; close (fh_destroy) each handle of a list and
 * free the list. */
void pc_early_note_locked(struct pcache *pc, const struct cache_break *b);
void pc_destroy_all(struct smb_client *cl, GSList *l);
/* Take the parked handles at or below path (or, with path NULL, those parked before cutoff_ms). */
GSList *pc_unpark_matching_locked(struct pcache *pc, const char *path, uint64_t cutoff_ms);
/* The name path (and everything below it) no longer names the file we knew: close its parked handles and
 * unhash its leases, so that a later open asks afresh, with a new lease key, and never gets the old
 * file's handle. Handles in use keep their lease (found by key for its breaks). No lock held. */
void pc_forget_path(struct pcache *pc, const char *path);
/* break.c, worker: serve one break. */
void break_serve(struct pcache *pc, const struct cache_break *b);

/* watch.c. watch_put_locked drops a reference (the last frees it); watch_end (worker) closes the watch's
 * handle once, unhashes it and tells the glue SMB_EV_DIR; watch_notify_job (worker) serves a change
 * notification's answer and sends the next request. */
void watch_put_locked(struct pcache *pc, struct watch *w);
void watch_end(struct pcache *pc, struct watch *w);
void watch_notify_job(struct pcache *pc, struct job *j);
/* Worker: a new watch's question whether its directory was deleted before its first request (watch.c). */
void watch_check_job(struct pcache *pc, struct watch *w);
/* Worker: a watch's next request, sent a moment after its answer (watch.c, "Our own changes"). */
void watch_rearm_job(struct pcache *pc, struct job *j);
/* This mount opened, closed or unlinked path: its directory's watch, if any, is busy with our own changes.
 * No lock held. */
void watch_note_own(struct pcache *pc, const char *path);
/* Close every watch at or below path and wait for the CLOSEs (child before parent); the glue hears
 * SMB_EV_DIR for each, from the worker. Any thread but the receive thread; no lock held. */
void watch_close_under(struct pcache *pc, const char *path);
/* pcache_free: drop what the table still holds and free it. */
void watch_free_all(struct pcache *pc);
/* Directory lease breaks (watch.c essay). watch_lease_broken (receive thread, never blocks): b names a
 * watch's directory lease, which stops covering its listing now. watch_lease_break (break worker): serve
 * it, closing the watch (before_close runs first); false when b names no directory lease of ours (then it is
 * a file's). */
void watch_lease_broken(struct pcache *pc, const struct cache_break *b);
/* Whether path's watch of session generation gen holds and its directory lease is not broken (pcache.lock
 * held). */
bool watch_vouches_locked(struct pcache *pc, const char *path, uint64_t gen);
/* The same, and under a directory lease with Read caching. */
bool watch_leased_locked(struct pcache *pc, const char *path, uint64_t gen);
bool watch_lease_break(struct pcache *pc, const struct cache_break *b, void (*before_close)(void));

#endif
