/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The cache's side of SMB1 (struct cache_io, proto_i.h): oplock breaks, acks, WRITEs without a waiter,
 * directory watches.
 *
 * Caching. Every handle that stays open asks for a batch oplock, and cache.c/wb.c do with it what they do with
 * SMB 2.0.2's (attribute timeouts, page cache, parked handles, gathered writes, breaks); this file provides
 * SMB1's side of struct cache_io. Each link's receive thread hands oplock breaks to the cache (on_break)
 * without blocking; the acknowledgment goes out on the link the break came from, from the cache's break worker,
 * which never waits for a FUSE request, so FUSE threads waiting on the same link cannot deadlock with it. One
 * caveat is smbd's: an open of ours that breaks another of our oplocks waits at the server for our
 * acknowledgment, holding a MaxMpxCount slot meanwhile, so a writeback before the ack could only starve if all
 * the server's slots were such opens (50 with smbd); the server's break timeout ends even that.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "smb1_proto_i.h"
#include "smbfuse/err.h"
#include "smbfuse/log.h"
#include "smbfuse/smb1.h"
#include "smbfuse/smb1_session.h"
#include "smbfuse/smb2.h"
#include "smbfuse/util.h"

/*
 * Receive thread of link l: an oplock break is a LOCKING_ANDX request from the server (MS-CIFS 3.2.5.42)
 * naming our FID and the level we keep (none or level II). Only decoded and queued: the break worker
 * (cache.c) writes back, invalidates and acknowledges, never this thread.
 */
void on_break(void *arg, const uint8_t *msg, size_t n)
{
	struct s1link *l = arg;
	uint16_t fid;
	uint8_t level;
	if (smb1_oplock_break_decode(msg, n, &fid, &level) < 0) {
		log_warn("ignoring an unsolicited SMB1 message that is not an oplock break");
		return;
	}
	struct cache_break b = {
	    .new_state = level == SMB1_BREAK_TO_LEVEL_II ? oplock_state(SMB1_OPLOCK_LEVEL_II) : 0,
	    .ack_required = true,
	    .fid_key = fid,
	    .level = level,
	    .gen = l->gen,
	};
	pcache_break_queue(l->cl, &b);
}

/* The current link if it is generation gen and alive (one reference), without building a new one. */
static struct s1link *link_if_current(struct smb1_state *st, uint64_t gen)
{
	pthread_mutex_lock(&st->lock);
	struct s1link *l = st->cur->gen == gen && smb1_sess_alive(st->cur->s) ? st->cur : NULL;
	if (l)
		l->users++;
	pthread_mutex_unlock(&st->lock);
	return l;
}

/* LOCKING_ANDX with OPLOCK_RELEASE and the level the server offered (MS-CIFS 2.2.4.32.1): no response. */
static int smb1_ack(struct smb_client *cl, const struct cache_break *b)
{
	struct s1link *l = link_if_current(cl->smb1, b->gen);
	if (!l)
		return -ENOTCONN; /* the FID died with its connection */
	struct wbuf w;
	smb1_sess_req_init(l->s, &w, SMB1_COM_LOCKING_ANDX);
	int rc = smb1_oplock_ack_encode(&w, (uint16_t)b->fid_key, b->level);
	if (rc == 0) {
		stat_cmd(cl, SMB1_COM_LOCKING_ANDX);
		rc = smb1_sess_send(l->s, &w);
	}
	wbuf_free(&w);
	link_put(cl->smb1, l);
	return rc;
}

struct awrite {
	cache_write_done done;
	void *arg;
	uint32_t len;
};

/* Receive thread: a gathered WRITE_ANDX's answer. */
static void awrite_done(void *arg, int err, uint8_t *rsp, size_t rsp_len)
{
	struct awrite *a = arg;
	uint32_t status = 0, count = 0;
	if (err == 0) {
		status = smb1_rsp_status(rsp, rsp_len);
		if (status == STATUS_SUCCESS && smb1_write_rsp_decode(rsp, rsp_len, &count) < 0)
			err = -EBADMSG;
	}
	a->done(a->arg, err, status, count);
	free(rsp);
	free(a);
}

static int smb1_write_async(struct smb_client *cl, struct smb_fh *fh, const uint8_t *data, uint32_t len, uint64_t off,
			    cache_write_done done, void *arg)
{
	struct s1link *l;
	uint16_t fid;
	struct wbuf w;
	struct awrite *a = malloc(sizeof(*a));
	if (!a)
		return -ENOMEM;
	*a = (struct awrite){done, arg, len};
	int rc = fh_link(cl, fh, &l, &fid);
	if (rc < 0) {
		free(a);
		return rc;
	}
	smb1_sess_req_init(l->s, &w, SMB1_COM_WRITE_ANDX);
	rc = smb1_write_req_encode(&w, fid, off, len, false);
	if (rc == 0) {
		stat_cmd(cl, SMB1_COM_WRITE_ANDX);
		rc = smb1_sess_submit_cb(l->s, &w, data, len, awrite_done, a);
	}
	if (rc < 0)
		free(a);
	wbuf_free(&w);
	link_put(cl->smb1, l);
	return rc;
}

/*
 * Directory watches: NT_TRANSACT_NOTIFY_CHANGE (MS-CIFS 2.2.7.4) on a directory FID, without a deadline,
 * answered on the receive thread. Closing the FID ends a pending request (smbd answers it then), which is
 * how the cache ends a watch. Each pending request holds one of the server's MaxMpxCount slots, so only a
 * quarter of them may be watches, and none when the server allows fewer than 8 requests at once.
 */
#define NOTIFY_PARAM_MAX 16384u /* changes per answer; more and the server reports an overflow instead */

struct s1watch {
	uint16_t fid; /* immutable */
	uint64_t gen; /* immutable: the link it belongs to */
	uint32_t max; /* MaxParameterCount: what one answer of that server can carry */
	cache_notify_done done;
	void *arg;
};

static int op_watch_open(struct s1link *l, const char *wpath, void *arg)
{
	struct s1watch *w = arg;
	struct create_args a = {.access = FILE_LIST_DIRECTORY | FILE_READ_ATTRIBUTES | SYNCHRONIZE,
				.disposition = FILE_OPEN,
				.options = FILE_DIRECTORY_FILE};
	int rc = op_create(l, wpath, &a);
	if (rc == 0) {
		w->fid = a.fid;
		w->gen = l->gen;
		w->max = MIN(NOTIFY_PARAM_MAX, (uint32_t)t2_max_data(l, NOTIFY_PARAM_MAX));
	}
	return rc;
}

/* SMB1 has no directory leases: dir_key is never asked for, *lease_state stays 0. */
static int smb1_watch_open(struct smb_client *cl, const char *path, const uint8_t *dir_key, void **h, uint64_t *gen,
			   uint32_t *lease_state)
{
	(void)dir_key;
	*lease_state = 0;
	struct s1watch *w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	int rc = on_link(cl, path, op_watch_open, w, true);
	if (rc < 0) {
		free(w);
		return rc;
	}
	*h = w;
	*gen = w->gen;
	return 0;
}

/* Receive thread: hand the answer over. */
static void notify_done(void *arg, int err, uint8_t *rsp, size_t n)
{
	struct s1watch *w = arg;
	w->done(w->arg, err, err ? 0 : smb1_rsp_status(rsp, n), rsp, n);
}

static int smb1_watch_arm(struct smb_client *cl, void *h, cache_notify_done done, void *arg)
{
	struct s1watch *w = h;
	struct s1link *l = link_if_current(cl->smb1, w->gen);
	if (!l)
		return -ENOTCONN; /* the FID died with its connection */
	struct wbuf b;
	w->done = done;
	w->arg = arg;
	smb1_sess_req_init(l->s, &b, SMB1_COM_NT_TRANSACT);
	int rc = smb1_notify_req_encode(&b, w->fid, PROTO_NOTIFY_FILTER, false, w->max);
	if (rc == 0) {
		stat_cmd(cl, SMB1_COM_NT_TRANSACT);
		rc = smb1_sess_submit_cb(l->s, &b, NULL, 0, notify_done, w);
	}
	wbuf_free(&b);
	link_put(cl->smb1, l);
	return rc;
}

/* The changes of one answer; an answer in pieces (never asked for: see max) is refused. */
static int smb1_watch_changes(const uint8_t *rsp, size_t n, const uint8_t **buf, uint32_t *len)
{
	struct smb1_nt_trans_rsp r;
	int rc = smb1_nt_trans_rsp_decode(rsp, n, &r);
	if (rc == 0 && (r.params_len != r.total_param_count || r.params_disp))
		rc = -EBADMSG;
	if (rc == 0) {
		*buf = r.params;
		*len = r.params_len;
	}
	return rc;
}

static void smb1_watch_close(struct smb_client *cl, void *h)
{
	struct s1watch *w = h;
	struct s1link *l = link_if_current(cl->smb1, w->gen);
	if (l) {
		close_fid(l, w->fid);
		link_put(cl->smb1, l);
	}
}

static int op_probe_dir(struct s1link *l, const char *wpath, void *arg)
{
	(void)arg;
	struct create_args a = {.access = FILE_READ_ATTRIBUTES | SYNCHRONIZE,
				.disposition = FILE_OPEN,
				.options = FILE_DIRECTORY_FILE};
	int rc = op_create(l, wpath, &a);
	if (rc == 0)
		close_fid(l, a.fid);
	return rc;
}

static int smb1_watch_deleting(struct smb_client *cl, void *h, const char *path)
{
	struct s1watch *w = h;
	if (w->gen != atomic_load(&cl->smb1->cur_gen))
		return 0;
	int rc = on_link(cl, path, op_probe_dir, NULL, true);
	return rc == -ENOENT ? 1 : rc; /* STATUS_DELETE_PENDING, or the name gone (renamed away) */
}

static void smb1_watch_free(void *h)
{
	free(h);
}

static unsigned smb1_watch_max(struct smb_client *cl)
{
	return atomic_load(&cl->smb1->watch_max);
}

static uint64_t smb1_generation(struct smb_client *cl)
{
	return atomic_load(&cl->smb1->cur_gen);
}

static bool smb1_leasing(struct smb_client *cl)
{
	return false; /* SMB1 has oplocks only */
}

static const char *command_name(unsigned cmd)
{
	return smb1_command_name((uint8_t)cmd);
}

const struct cache_io smb1_cache_io = {
    .generation = smb1_generation,
    .leasing = smb1_leasing,
    .command_name = command_name,
    .fh_destroy = smb1_fh_destroy,
    .ack = smb1_ack,
    .write_async = smb1_write_async,
    .watch_open = smb1_watch_open,
    .watch_arm = smb1_watch_arm,
    .watch_changes = smb1_watch_changes,
    .watch_close = smb1_watch_close,
    .watch_deleting = smb1_watch_deleting,
    .watch_free = smb1_watch_free,
    .watch_max = smb1_watch_max,
};
