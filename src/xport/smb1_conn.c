/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The SMB1 connection (smb1_xport.h). Each call owns a condition variable and waits on it; the receive
 * thread matches responses to calls by MID (MS-CIFS 3.2.5.1) and verifies signatures with the call's
 * sequence number + 1. A call that times out leaves the list at once: a late response then matches no MID
 * and is dropped, and its MID is free again. The sequence counter still advanced for it, as on the server.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sock_i.h"
#include "smbfuse/cancel.h"
#include "smbfuse/log.h"
#include "smbfuse/nbt.h"
#include "smbfuse/smb1.h"
#include "smbfuse/smb1_xport.h"
#include "smbfuse/xport.h"

#define MID_OFF 30
#define FLAGS2_OFF 10
#define SIG_OFF 14
#define MID_UNSOLICITED 0xFFFF

struct s1call {
	struct s1call *next;
	uint16_t mid;
	uint32_t seq;
	bool counted; /* holds one of the MaxMpxCount slots: sent and not yet answered */
	bool done;
	int err;
	uint8_t *rsp;
	size_t rsp_len;
	pthread_cond_t cv;
	/* smb1_conn_submit_cb: nobody waits; the receive thread hands the answer over. Freed by the last of
	 * the submitter and the completion (refs), since a completion may run before the send returns. */
	smb1_done_fn done_fn;
	void *done_arg;
	_Atomic int refs;
};

struct smb1_conn {
	int fd;
	pthread_t rx;
	struct smb1_conn_cfg cfg;
	char *host;
	pthread_mutex_t mu;    /* guards everything below up to send_mu */
	pthread_cond_t mpx_cv; /* a slot or the connection's death */
	struct s1call *calls;
	unsigned inflight, max_mpx;
	uint16_t next_mid;
	bool dead;
	pthread_mutex_t send_mu; /* guards the socket's write side and the signing state */
	bool signing;
	struct smb1_signer signer;
	uint32_t next_seq;
	uint64_t sent;		     /* messages written, for tests that count round trips */
	_Atomic uint64_t last_rx_ms; /* when the last frame arrived (the keepalive's idle test) */
};

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void deadline_in(int ms, struct timespec *ts)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	uint64_t ns = (uint64_t)ts->tv_nsec + (uint64_t)ms * 1000000u;
	ts->tv_sec += (time_t)(ns / 1000000000u);
	ts->tv_nsec = (long)(ns % 1000000000u);
}

static bool mid_in_use_locked(struct smb1_conn *c, uint16_t mid)
{
	for (struct s1call *k = c->calls; k; k = k->next)
		if (k->mid == mid)
			return true;
	return false;
}

/* Wait for a slot under MaxMpxCount, then take a free MID. */
static int enter_locked(struct smb1_conn *c, struct s1call *k, const struct timespec *ts)
{
	while (!c->dead && c->inflight >= c->max_mpx) {
		int rc = smb_cancel_wait(&c->mpx_cv, &c->mu, ts);
		if (rc < 0)
			return rc;
	}
	if (c->dead)
		return -ENOTCONN;
	do
		k->mid = c->next_mid++;
	while (k->mid == MID_UNSOLICITED || mid_in_use_locked(c, k->mid));
	k->next = c->calls;
	c->calls = k;
	k->counted = true;
	c->inflight++;
	return 0;
}

/*
 * A slot is free again once the answer is in, not once its caller collects it: MaxMpxCount bounds the
 * requests the server has outstanding (MS-CIFS 3.2.4.1.2). Freeing it only at collection would let threads
 * that each hold answered calls while waiting to submit more (smb1_conn_submit) block one another for good.
 */
static void uncount_locked(struct smb1_conn *c, struct s1call *k)
{
	if (!k->counted)
		return;
	k->counted = false;
	c->inflight--;
	pthread_cond_signal(&c->mpx_cv);
}

/* Take k off the list; false if it was not on it. */
static bool leave_locked(struct smb1_conn *c, struct s1call *k)
{
	for (struct s1call **pp = &c->calls; *pp; pp = &(*pp)->next) {
		if (*pp == k) {
			*pp = k->next;
			uncount_locked(c, k);
			return true;
		}
	}
	return false;
}

/*
 * Stamp MID and signature, then write. Sequence numbers are taken here, in wire order: two per request,
 * the second for its response. A request that has none (an oplock break acknowledgment) takes two as well:
 * smbd 4.17 counts it so and fails every later signature when the client counts one (its log: "out of
 * seq"), and Linux's cifs client also counts two for it; only NT_CANCEL, which we never send, takes one.
 */
static int send_locked(struct smb1_conn *c, struct s1call *k, uint8_t *req, size_t len, const uint8_t *data,
		       size_t dlen)
{
	uint8_t pfx[4];
	size_t total = len + dlen;
	if (total > XPORT_MAX_FRAME || len < SMB1_HDR_SIZE)
		return -EMSGSIZE;
	req[MID_OFF] = (uint8_t)k->mid;
	req[MID_OFF + 1] = (uint8_t)(k->mid >> 8);
	struct iovec iov[3] = {{pfx, 4}, {req, len}, {(void *)data, dlen}};
	if (c->signing) {
		req[FLAGS2_OFF] |= SMB1_FLAGS2_SMB_SECURITY_SIGNATURE;
		pthread_mutex_lock(&c->mu);
		k->seq = c->next_seq;
		pthread_mutex_unlock(&c->mu);
		c->next_seq += 2;
		int r = c->signer.sign(c->signer.ctx, k->seq, iov + 1, dlen ? 2 : 1, req + SIG_OFF);
		if (r)
			return r;
	}
	pfx[0] = 0;
	pfx[1] = (uint8_t)(total >> 16);
	pfx[2] = (uint8_t)(total >> 8);
	pfx[3] = (uint8_t)total;
	int rc = sock_writev_full(c->fd, iov, dlen ? 3 : 2);
	if (rc == 0)
		__atomic_add_fetch(&c->sent, 1, __ATOMIC_RELAXED);
	return rc;
}

static int wait_done_locked(struct smb1_conn *c, struct s1call *k, const struct timespec *ts)
{
	/* Interrupted (cancel.h) as on a timeout: the call is abandoned and a late answer dropped. */
	while (!k->done) {
		int rc = smb_cancel_wait(&k->cv, &c->mu, ts);
		if (rc < 0 && !k->done)
			return rc;
	}
	return k->err;
}

static void cb_put(struct s1call *k)
{
	if (atomic_fetch_sub(&k->refs, 1) == 1)
		free(k);
}

/* A callback call's end: hand the answer (owned) over, outside every lock, and drop the list's reference. */
static void cb_finish(struct s1call *k, uint8_t *msg, size_t n, int err)
{
	k->done_fn(k->done_arg, err, msg, n);
	cb_put(k);
}

/* A request sent and not yet waited for (smb1_conn_submit); the call is on the list until smb1_conn_wait. */
struct smb1_pending {
	struct s1call k;
	struct timespec deadline;
	int rc; /* a failure before the request went out */
};

/* An open, a delete or a rename may wait at the server for another client's oplock break
 * (smb1_conn_cfg.break_wait_ms); every other command keeps the request deadline. */
static int default_timeout(const struct smb1_conn *c, const uint8_t *req, size_t req_len)
{
	uint8_t cmd = req_len > 4 ? req[4] : 0;
	bool may_wait = cmd == SMB1_COM_NT_CREATE_ANDX || cmd == SMB1_COM_DELETE || cmd == SMB1_COM_RENAME ||
			cmd == SMB1_COM_NT_RENAME;
	return c->cfg.request_timeout_ms + (may_wait ? c->cfg.break_wait_ms : 0);
}

int smb1_conn_submit(struct smb1_conn *c, uint8_t *req, size_t req_len, const uint8_t *data, size_t data_len,
		     int timeout_ms, struct smb1_pending **out)
{
	struct smb1_pending *p = calloc(1, sizeof(*p));
	*out = p;
	if (!p)
		return -ENOMEM;
	smb_cancel_cond_init(&p->k.cv);
	deadline_in(timeout_ms > 0 ? timeout_ms : default_timeout(c, req, req_len), &p->deadline);
	pthread_mutex_lock(&c->mu);
	int rc = enter_locked(c, &p->k, &p->deadline);
	pthread_mutex_unlock(&c->mu);
	if (rc == 0) {
		pthread_mutex_lock(&c->send_mu);
		rc = send_locked(c, &p->k, req, req_len, data, data_len);
		pthread_mutex_unlock(&c->send_mu);
		/* A failed write leaves the stream in an unknown state: end the connection, and let the
		 * receive thread fail this call like every other (-ECONNRESET). */
		if (rc < 0 && rc != -EMSGSIZE) {
			smb1_conn_kill(c, rc);
			rc = 0;
		}
	}
	p->rc = rc;
	return 0;
}

int smb1_conn_wait(struct smb1_conn *c, struct smb1_pending *p, uint8_t **rsp, size_t *rsp_len)
{
	*rsp = NULL;
	*rsp_len = 0;
	int rc = p->rc;
	pthread_mutex_lock(&c->mu);
	if (rc == 0)
		rc = wait_done_locked(c, &p->k, &p->deadline);
	leave_locked(c, &p->k); /* a no-op if it never entered */
	pthread_mutex_unlock(&c->mu);
	pthread_cond_destroy(&p->k.cv);
	if (rc == 0) {
		*rsp = p->k.rsp;
		*rsp_len = p->k.rsp_len;
	} else {
		free(p->k.rsp);
	}
	free(p);
	return rc;
}

int smb1_conn_call(struct smb1_conn *c, uint8_t *req, size_t req_len, const uint8_t *data, size_t data_len,
		   int timeout_ms, uint8_t **rsp, size_t *rsp_len)
{
	struct smb1_pending *p;
	*rsp = NULL;
	*rsp_len = 0;
	int rc = smb1_conn_submit(c, req, req_len, data, data_len, timeout_ms, &p);
	return rc ? rc : smb1_conn_wait(c, p, rsp, rsp_len);
}

int smb1_conn_submit_cb(struct smb1_conn *c, uint8_t *req, size_t req_len, const uint8_t *data, size_t data_len,
			smb1_done_fn done, void *arg)
{
	struct timespec deadline; /* for the wait for a slot only, as SMB2's credit wait (conn_submit) */
	struct s1call *k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->done_fn = done;
	k->done_arg = arg;
	atomic_init(&k->refs, 2); /* the list's (the completion's) and ours */
	deadline_in(c->cfg.request_timeout_ms, &deadline);
	pthread_mutex_lock(&c->mu);
	int rc = enter_locked(c, k, &deadline);
	pthread_mutex_unlock(&c->mu);
	if (rc < 0) {
		free(k);
		return rc;
	}
	pthread_mutex_lock(&c->send_mu);
	rc = send_locked(c, k, req, req_len, data, data_len);
	pthread_mutex_unlock(&c->send_mu);
	if (rc == -EMSGSIZE) {
		/* Nothing was written: withdraw k, unless the connection died meanwhile and completes it. */
		pthread_mutex_lock(&c->mu);
		bool withdrawn = leave_locked(c, k);
		pthread_mutex_unlock(&c->mu);
		if (withdrawn) {
			free(k);
			return rc;
		}
	} else if (rc < 0) {
		/* The stream is broken: end the connection, which completes k with -ECONNRESET. */
		smb1_conn_kill(c, rc);
	}
	cb_put(k);
	return 0;
}

int smb1_conn_send(struct smb1_conn *c, uint8_t *req, size_t req_len)
{
	struct s1call k = {.mid = MID_UNSOLICITED};
	pthread_mutex_lock(&c->send_mu);
	int rc = c->dead ? -ENOTCONN : send_locked(c, &k, req, req_len, NULL, 0);
	pthread_mutex_unlock(&c->send_mu);
	return rc;
}

/* ---- receive thread ---- */

static void complete_locked(struct s1call *k, uint8_t *msg, size_t n, int err)
{
	k->rsp = msg;
	k->rsp_len = n;
	k->err = err;
	k->done = true;
	pthread_cond_signal(&k->cv);
}

/* One response: to its call, or to on_unsolicited. Takes msg. */
static int rx_msg(struct smb1_conn *c, uint8_t *msg, size_t n)
{
	struct smb1_hdr h;
	if (smb1_hdr_decode(msg, n, &h) < 0) {
		free(msg);
		return -EBADMSG;
	}
	if (h.mid == MID_UNSOLICITED && !(h.flags & SMB1_FLAGS_REPLY)) {
		if (c->cfg.on_unsolicited)
			c->cfg.on_unsolicited(c->cfg.arg, msg, n);
		free(msg);
		return 0;
	}
	pthread_mutex_lock(&c->mu);
	struct s1call *k = c->calls;
	while (k && (k->mid != h.mid || k->done))
		k = k->next;
	if (!k) {
		pthread_mutex_unlock(&c->mu);
		free(msg); /* an abandoned call's late answer */
		return 0;
	}
	int err = 0;
	if (c->signing && c->signer.verify(c->signer.ctx, k->seq + 1, msg, n) < 0) {
		log_warn("bad SMB1 signature on the response to MID %u from %s", h.mid, c->host);
		err = -EACCES;
	}
	if (k->done_fn) {
		leave_locked(c, k);
		pthread_mutex_unlock(&c->mu);
		cb_finish(k, err ? NULL : msg, err ? 0 : n, err);
		if (err)
			free(msg);
		return 0;
	}
	complete_locked(k, err ? NULL : msg, err ? 0 : n, err);
	uncount_locked(c, k);
	pthread_mutex_unlock(&c->mu);
	if (err)
		free(msg);
	return 0;
}

static int rx_one(struct smb1_conn *c)
{
	uint8_t pfx[4];
	size_t len;
	int rc = sock_read_full(c->fd, pfx, sizeof(pfx));
	if (rc < 0)
		return rc;
	/* Direct TCP and NetBIOS session messages share this prefix; keepalives (0x85) carry nothing. */
	len = (size_t)pfx[1] << 16 | (size_t)pfx[2] << 8 | pfx[3];
	c->last_rx_ms = mono_ms(); /* any frame, a NetBIOS keepalive too, shows the server is there */
	if (pfx[0] == NBSS_KEEPALIVE && len == 0)
		return 0;
	if (pfx[0] != 0 || len > XPORT_MAX_FRAME || len < SMB1_HDR_SIZE)
		return -EBADMSG;
	uint8_t *msg = malloc(len);
	if (!msg)
		return -ENOMEM;
	rc = sock_read_full(c->fd, msg, len);
	if (rc < 0) {
		free(msg);
		return rc;
	}
	return rx_msg(c, msg, len);
}

static void rx_die(struct smb1_conn *c, int err)
{
	struct s1call *cbs = NULL;
	pthread_mutex_lock(&c->mu);
	c->dead = true;
	for (struct s1call **pp = &c->calls; *pp;) {
		struct s1call *k = *pp;
		if (k->done_fn) {
			/* Callback calls leave the list; their callbacks run below, without the lock. */
			*pp = k->next;
			uncount_locked(c, k);
			k->next = cbs;
			cbs = k;
			continue;
		}
		if (!k->done)
			complete_locked(k, NULL, 0, -ECONNRESET);
		pp = &k->next;
	}
	pthread_cond_broadcast(&c->mpx_cv);
	pthread_mutex_unlock(&c->mu);
	while (cbs) {
		struct s1call *k = cbs;
		cbs = k->next;
		cb_finish(k, NULL, 0, -ECONNRESET);
	}
	shutdown(c->fd, SHUT_RDWR);
	log_info("SMB1 connection to %s closed: %s", c->host, strerror(-err));
	if (c->cfg.on_dead)
		c->cfg.on_dead(c->cfg.arg, err);
}

static void *rx_main(void *arg)
{
	struct smb1_conn *c = arg;
	int rc;
	do
		rc = rx_one(c);
	while (rc == 0);
	rx_die(c, rc);
	return NULL;
}

/* ---- lifetime ---- */

static void conn_destroy(struct smb1_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	pthread_cond_destroy(&c->mpx_cv);
	pthread_mutex_destroy(&c->mu);
	pthread_mutex_destroy(&c->send_mu);
	free(c->host);
	free(c);
}

int smb1_conn_new(const struct smb1_conn_cfg *cfg, struct smb1_conn **out)
{
	*out = NULL;
	if (!cfg || !cfg->host)
		return -EINVAL;
	struct smb1_conn *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	smb_cancel_cond_init(&c->mpx_cv);
	pthread_mutex_init(&c->mu, NULL);
	pthread_mutex_init(&c->send_mu, NULL);
	c->fd = -1;
	c->cfg = *cfg;
	c->max_mpx = 1;
	c->next_mid = 1;
	if (c->cfg.request_timeout_ms <= 0)
		c->cfg.request_timeout_ms = 60000;
	c->host = strdup(cfg->host);
	c->cfg.host = c->host;
	int rc = c->host ? 0 : -ENOMEM;
	if (rc == 0 && cfg->nb_called)
		rc = nbt_session_connect(cfg->host, cfg->port, cfg->nb_called, cfg->nb_calling, cfg->connect_timeout_ms,
					 c->cfg.request_timeout_ms, &c->fd);
	else if (rc == 0)
		rc = sock_connect(cfg->host, cfg->port, cfg->connect_timeout_ms, c->cfg.request_timeout_ms, &c->fd);
	c->cfg.nb_called = c->cfg.nb_calling = NULL;
	c->last_rx_ms = mono_ms();
	if (rc == 0)
		rc = -pthread_create(&c->rx, NULL, rx_main, c);
	if (rc < 0) {
		conn_destroy(c);
		return rc;
	}
	*out = c;
	return 0;
}

void smb1_conn_kill(struct smb1_conn *c, int err)
{
	(void)err;
	shutdown(c->fd, SHUT_RDWR); /* the receive thread sees EOF and fails every call */
}

void smb1_conn_free(struct smb1_conn *c)
{
	if (!c)
		return;
	shutdown(c->fd, SHUT_RDWR);
	pthread_join(c->rx, NULL);
	conn_destroy(c);
}

void smb1_conn_set_max_mpx(struct smb1_conn *c, unsigned n)
{
	pthread_mutex_lock(&c->mu);
	c->max_mpx = n ? n : 1;
	pthread_cond_broadcast(&c->mpx_cv);
	pthread_mutex_unlock(&c->mu);
}

void smb1_conn_start_signing(struct smb1_conn *c, const struct smb1_signer *s, uint32_t next_seq)
{
	pthread_mutex_lock(&c->send_mu);
	pthread_mutex_lock(&c->mu);
	c->signer = *s;
	c->signing = true;
	c->next_seq = next_seq;
	pthread_mutex_unlock(&c->mu);
	pthread_mutex_unlock(&c->send_mu);
}

uint64_t smb1_conn_idle_ms(struct smb1_conn *c)
{
	uint64_t last = c->last_rx_ms, now = mono_ms();
	return now > last ? now - last : 0;
}

uint64_t smb1_conn_sent(struct smb1_conn *c)
{
	return __atomic_load_n(&c->sent, __ATOMIC_RELAXED);
}

bool smb1_conn_alive(struct smb1_conn *c)
{
	pthread_mutex_lock(&c->mu);
	bool alive = !c->dead;
	pthread_mutex_unlock(&c->mu);
	return alive;
}
