/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * break.c - lease and oplock breaks (MS-SMB2 3.2.5.19, MS-CIFS 3.2.5.42): queued from the receive thread,
 * served on the break worker in the order cache.c's essay gives (write back, close parked handles, tell
 * the glue, acknowledge).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache_i.h"
#include "smbfuse/err.h"
#include "smbfuse/log.h"
#include "smbfuse/util.h"

void pcache_break_queue(struct smb_client *cl, const struct cache_break *b)
{
	struct pcache *pc = pc_of(cl);
	if (!pc)
		return; /* no open has asked for anything yet */
	struct job *j = calloc(1, sizeof(*j));
	stat_add(&cl->st.breaks, 1);
	if (!j) {
		log_warn("out of memory: a break is lost (the server times it out)");
		return;
	}
	j->kind = JOB_BREAK;
	j->brk = *b;
	if (b->is_lease)
		watch_lease_broken(pc, b);
	pc_job_push(pc, j);
}

/* Acknowledge unless the break took a level II oplock from its open (nothing to acknowledge) or came from
 * a connection that is gone; a failure is only logged: the server times the break out itself. Returns
 * -ESTALE when the server answered that it had timed the break out already (cio->ack). */
static int ack_break(struct smb_client *cl, const struct cache_break *b, uint32_t open_old)
{
	if (!b->is_lease && open_old == SMB2_LEASE_READ_CACHING)
		return 0;
	if (b->gen != gen_of(cl)) {
		log_dbg("break from an earlier connection: not acknowledged");
		return 0;
	}
	int rc = cl->cio->ack(cl, b);
	if (rc < 0 && rc != -ESTALE)
		log_dbg("break acknowledgment not sent: %s", strerror(-rc));
	else
		stat_add(&cl->st.break_acks, 1);
	return rc == -ESTALE ? rc : 0;
}

/* The lease or oplock a break names, with one reference for the caller, or NULL: not ours (any more), or
 * an oplock break that overtook its grant (kept in early). *open_old: what the named open held (a lease:
 * the lease's state). */
static struct lease *break_target_locked(struct pcache *pc, const struct cache_break *b, uint32_t *open_old)
{
	struct lease *l = NULL;
	if (b->is_lease) {
		uint64_t id;
		memcpy(&id, b->lease_key, sizeof(id));
		l = g_hash_table_lookup(pc->by_id, &id);
		if (l && memcmp(l->key, b->lease_key, 16) != 0)
			l = NULL;
		*open_old = l ? l->state : 0;
	} else {
		struct oplock *o = g_hash_table_lookup(pc->by_fid, &b->fid_key);
		if (o) {
			l = o->l;
			*open_old = o->state;
			o->state = b->new_state;
		} else if (b->gen == gen_of(pc->cl)) {
			pc_early_note_locked(pc, b);
		}
	}
	if (l && l->gen != b->gen)
		l = NULL; /* granted on a later connection: this break is about a handle that died */
	if (l)
		l->refs++;
	return l;
}

/* Take l's parked handles when Handle caching is gone. */
static GSList *unpark_lease_locked(struct pcache *pc, struct lease *l)
{
	GSList *close = NULL;
	for (GList *e = pc->parked.head; e;) {
		GList *next = e->next;
		struct smb_fh *f = e->data;
		if (f->lease == l) {
			g_queue_delete_link(&pc->parked, e);
			close = g_slist_prepend(close, f);
		}
		e = next;
	}
	return close;
}

/*
 * Before a CLOSE that a break takes Handle caching away for, a moment's pause. Samba 4.22, sweeping the
 * Handle leases below a directory another client renames, sends each break before it starts watching for
 * the CLOSE it then waits for (source3/smbd/smb2_oplock.c, delay_for_handle_lease_break_below_send_breaks:
 * send_break_message, then share_mode_watch_send). A CLOSE that overtakes the watch is never seen: the
 * rename waits out the 35 s break timeout (watch.c, "A break closes one handle"). On loopback our CLOSE
 * won that race in 1 of 12 randomized two-mount runs (more often with Samba logging at level 10, which
 * widens the window); 2 ms is far more than the window, and little beside a break's round trips.
 */
#define BREAK_CLOSE_PAUSE_NS 2000000L

static void pause_before_close(void)
{
	struct timespec ts = {0, BREAK_CLOSE_PAUSE_NS};
	nanosleep(&ts, NULL);
}

/*
 * What the file may cache after break b. An oplock break to level II leaves nothing: if our acknowledgment
 * comes after the server's break timeout (we were stopped, or starved), Samba has already taken the whole
 * oplock (source3/smbd/oplock.c, oplock_timeout_handler: remove_oplock) and ignores the late ack, so the
 * level II we would keep is one the server no longer knows of, and another client's writes send us no
 * break to none: our pages would stay stale for as long as the open lives. Our next open's grant gives
 * back what the server really holds (our own second open, which caused the break, is granted level II
 * right after our ack). SMB1's ack has no answer to tell us (an SMB2 ack's has: timed_out below), so every
 * oplock break is taken this way. A lease break is kept as it says, unless the ack's answer says otherwise.
 */
static uint32_t file_state_after(const struct cache_break *b)
{
	return b->is_lease ? b->new_state : 0;
}

/*
 * The server answered our ack saying it had timed the break out (we were stopped past its 35 s): it took
 * the whole lease (Samba: downgrade_lease to none), so what the break left us is not ours either, and no
 * break will come for another client's next write. Nothing cached may outlive that.
 */
static void timed_out(struct pcache *pc, struct lease *l)
{
	pthread_mutex_lock(&pc->lock);
	uint32_t had = l->gen == gen_of(pc->cl) ? l->state : 0;
	if (had)
		l->state = 0;
	GSList *close = had ? unpark_lease_locked(pc, l) : NULL;
	char *path = had ? strdup(l->path) : NULL;
	pthread_mutex_unlock(&pc->lock);
	log_dbg("break of %s timed out at the server: 0x%x -> 0", path ? path : "(unknown)", had);
	if (path && (had & SMB2_LEASE_WRITE_CACHING))
		wb_writeback(pc->cl, l->wb, false);
	if (path && (had & SMB2_LEASE_READ_CACHING))
		pc_emit(pc, SMB_EV_FILE, path, NULL);
	pc_destroy_all(pc->cl, close);
	free(path);
}

void break_serve(struct pcache *pc, const struct cache_break *b)
{
	struct smb_client *cl = pc->cl;
	GSList *close = NULL;
	char *path = NULL;
	uint32_t old = 0, open_old = 0, now = file_state_after(b);
	/* Before the ack lets the other client write: no data read with an open is served after it. */
	atomic_fetch_add(&cl->pre_epoch, 1);
	/* A directory's lease: the watch is closed first, so that the server's wait (H) ends before the ack. */
	if (b->is_lease && watch_lease_break(pc, b, pause_before_close)) {
		if (b->ack_required)
			ack_break(cl, b, 0);
		return;
	}
	pthread_mutex_lock(&pc->lock);
	struct lease *l = break_target_locked(pc, b, &open_old);
	if (l) {
		old = l->state;
		l->state = now;
		if (b->is_lease)
			l->epoch = b->new_epoch;
		path = strdup(l->path);
		if (!(now & SMB2_LEASE_HANDLE_CACHING))
			close = unpark_lease_locked(pc, l);
	}
	pthread_mutex_unlock(&pc->lock);
	log_dbg("%s break %s: 0x%x -> 0x%x", b->is_lease ? "lease" : "oplock", path ? path : "(unknown)", old, now);
	/* Write caching lost: what we gathered must be on the server before the other client's open goes on,
	 * that is before the ack. New writes already see the lease without W (wb.c). */
	if (l && (old & SMB2_LEASE_WRITE_CACHING) && !(now & SMB2_LEASE_WRITE_CACHING)) {
		bool had = wb_busy(l->wb); /* for the counter only: a writer may be just gathering */
		wb_writeback(cl, l->wb, false);
		if (had)
			stat_add(&cl->st.write_breaks, 1);
	}
	if (path && (old & SMB2_LEASE_READ_CACHING) && !(now & SMB2_LEASE_READ_CACHING))
		pc_emit(pc, SMB_EV_FILE, path, NULL);
	if (close)
		pause_before_close();
	pc_destroy_all(cl, close);
	/* A lease is acknowledged by its key even after our handles are gone; an oplock only through its open. */
	if ((b->is_lease ? b->ack_required : l != NULL) && ack_break(cl, b, open_old) == -ESTALE && l)
		timed_out(pc, l);
	lease_put(cl, l);
	free(path);
}
