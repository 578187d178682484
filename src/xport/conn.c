/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * conn.c - one SMB2 connection shared by many threads: the socket, the receive thread, and the locking
 * around the I/O-free engine (engine.c).
 *
 * Threads. Callers of conn_call/conn_submit/conn_cancel send from their own thread; one receive thread
 * per connection reads frames, feeds the engine and runs every completion. Only the receive thread
 * completes requests - including on connection death - which is what makes "exactly once" easy: a
 * sender that hits a write error only shuts the socket down, and the receive thread, woken by that,
 * fails everything.
 *
 * Locks (order: never hold both). c->mu guards the engine, the flags and every creq's finished /
 * abandoned bits; it is held only for bookkeeping, never across a read, a write, a signer call or a
 * callback. c->send_mu serialises whole frames on the socket; it is taken with c->mu released. A sender
 * therefore builds under mu (MessageIds and credits are assigned there), signs with no lock, then writes
 * under send_mu. Frames may thus reach the server in an order different from their MessageIds; the
 * server's sequence window accepts any order inside the window (MS-SMB2 3.3.1.1).
 *
 * Lifetime of a request (struct conn_async, for conn_call too). refs is atomic; holders are: the engine
 * (from submit until the receive thread has finished it), the sending thread (until its write is done),
 * the waiter of conn_call (until it returns), and the conn_submit handle (until conn_async_put). A
 * conn_call that times out sets abandoned and drops its reference: the engine's reference keeps the
 * request alive until its late reply (or the connection's death) settles its MessageId and credits.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "smbfuse/cancel.h"
#include "smbfuse/nbt.h"
#include "conn_i.h"
#include "engine_i.h"
#include "sock_i.h"
#include "smbfuse/log.h"
#include "smbfuse/util.h"
#include "smbfuse/xport.h"

/* ---- requests ---- */

void conn_snap_locked(struct conn *c, struct txsnap *t)
{
	memset(t, 0, sizeof(*t));
	if (c->has_signer)
		t->sig = c->signer;
	t->xf = c->xf;
	t->seal = c->seal;
}

uint64_t conn_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static struct conn_async *creq_new(int n)
{
	struct conn_async *r = xeng_malloc_hook(sizeof(*r));
	if (!r)
		return NULL;
	memset(r, 0, sizeof(*r));
	if (xcall_init(&r->x, n) < 0) {
		free(r);
		return NULL;
	}
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&r->cv, &ca);
	pthread_condattr_destroy(&ca);
	r->x.owner = r;
	atomic_init(&r->refs, 1);
	return r;
}

void conn_creq_put(struct conn_async *r)
{
	if (!r || atomic_fetch_sub(&r->refs, 1) != 1)
		return;
	xcall_fini(&r->x);
	pthread_cond_destroy(&r->cv);
	free(r);
}

void conn_async_put(struct conn_async *a)
{
	conn_creq_put(a);
}

/* Move results to the caller's messages; ownership of rsp moves with them. */
int conn_creq_results(struct conn_async *r, struct conn_msg *msgs)
{
	int rc = 0;
	for (int i = 0; i < r->x.n; i++) {
		struct xmsg *m = &r->x.m[i];
		msgs[i].rsp = m->rsp;
		msgs[i].rsp_len = m->rsp_len;
		msgs[i].rsp_hdr = m->rsp_hdr;
		msgs[i].err = m->err;
		m->rsp = NULL;
		if (m->err < 0 && rc == 0)
			rc = m->err;
	}
	return rc;
}

/* ---- state helpers ---- */

static int deadline_of(const struct conn *c, unsigned flags, int timeout_ms, struct timespec *ts)
{
	if (flags & CONN_F_NO_TIMEOUT)
		return 0;
	int ms = timeout_ms > 0 ? timeout_ms : c->cfg.request_timeout_ms;
	if (ms <= 0)
		return 0;
	mono_deadline(ts, ms);
	return 1;
}

/* Wait on cv under c->mu; -ETIMEDOUT once the deadline (if any) has passed, -EINTR or -ESHUTDOWN when the
 * caller's request was interrupted or the mount is ending (cancel.h). */
static int wait_until(struct conn *c, pthread_cond_t *cv, bool has_deadline, const struct timespec *ts)
{
	return smb_cancel_wait(cv, &c->mu, has_deadline ? ts : NULL);
}

static bool enter_locked(struct conn *c)
{
	if (c->dead || c->closing)
		return false;
	c->users++;
	return true;
}

static void leave_locked(struct conn *c)
{
	if (--c->users == 0 && c->closing)
		pthread_cond_broadcast(&c->idle_cv);
}

/* Shut the socket down so the receive thread wakes and fails everything. Any thread, no lock held. */
void conn_kill(struct conn *c, int err)
{
	pthread_mutex_lock(&c->mu);
	if (!c->kill_err)
		c->kill_err = err;
	pthread_mutex_unlock(&c->mu);
	shutdown(c->fd, SHUT_RDWR);
}

/* Sign (no lock held) and write one frame. A failure here leaves MessageIds spent but unsent, so the
 * connection must die (see the engine essay). */
/* Encrypt the frame's messages (everything after the 4-byte prefix) into one transform message. */
static int seal_frame(struct xout *o, const struct xport_transform *xf, struct wbuf *w)
{
	xout_iov(o);
	wbuf_init(w, XPORT_MAX_FRAME);
	size_t pfx = wbuf_reserve(w, 4);
	int rc = xf->seal(xf->ctx, o->iov + 1, o->iovcnt - 1, w) ?: wbuf_err(w);
	if (rc == 0 && w->len - 4 > 0xFFFFFF)
		rc = -EMSGSIZE;
	if (rc == 0)
		wbuf_set_be32(w, pfx, (uint32_t)(w->len - 4));
	return rc;
}

/* Room for a small frame right now, and nobody else sending: a CANCEL goes out only then (send_cancel). */
static bool send_lock_at_once(struct conn *c)
{
	struct pollfd p = {.fd = c->fd, .events = POLLOUT};
	if (pthread_mutex_trylock(&c->send_mu) != 0)
		return false;
	if (poll(&p, 1, 0) == 1 && (p.revents & POLLOUT))
		return true;
	pthread_mutex_unlock(&c->send_mu);
	return false;
}

static int send_frame_how(struct conn *c, struct xout *o, const struct txsnap *s, bool at_once)
{
	struct wbuf sealed = {0};
	int rc = s->seal ? seal_frame(o, &s->xf, &sealed) : xout_sign(o, &s->sig);
	if (rc == 0 && at_once && !send_lock_at_once(c)) {
		wbuf_free(&sealed);
		return -EAGAIN;
	}
	if (rc == 0) {
		struct iovec one = {sealed.p, sealed.len};
		if (!s->seal)
			xout_iov(o);
		if (!at_once)
			pthread_mutex_lock(&c->send_mu);
		rc = s->seal ? sock_writev_hook(c->fd, &one, 1) : sock_writev_hook(c->fd, o->iov, o->iovcnt);
		pthread_mutex_unlock(&c->send_mu);
	}
	wbuf_free(&sealed);
	if (rc < 0) {
		log_err("send failed: %s", strerror(-rc));
		conn_kill(c, rc);
	}
	return rc;
}

static int send_frame(struct conn *c, struct xout *o, const struct txsnap *s)
{
	return send_frame_how(c, o, s, false);
}

/* An interrupted caller's CANCEL, only if it can go out at once: behind a send stalled on a server that
 * stopped reading, the caller would wait for as long as that send does. The request is abandoned anyway. */
static void send_cancel(struct conn *c, struct xout *o, const struct txsnap *s)
{
	if (send_frame_how(c, o, s, true) == -EAGAIN)
		log_dbg("CANCEL not sent: the connection is busy sending");
}

/*
 * Wait for credits and hand the chain to the engine. Called with c->mu held; returns with it held.
 * On success r carries the engine's reference and the sender's.
 */
static int submit_locked(struct conn *c, struct conn_async *r, const struct conn_msg *msgs, int n,
			 unsigned flags, bool has_deadline, const struct timespec *ts, struct xout *o,
			 struct txsnap *s)
{
	int rc;
	if (c->seal)
		flags &= ~(unsigned)CONN_F_SIGN; /* sealed messages are authenticated by the AEAD, not signed */
	/* Refuse before MessageIds are spent: a frame that cannot be signed could never be sent. */
	if ((flags & CONN_F_SIGN) && !c->has_signer)
		return -ENOKEY;
	for (;;) {
		rc = c->dead ? -ENOTCONN : xeng_submit(c->e, &r->x, msgs, n, flags, o);
		if (rc != -EAGAIN)
			break;
		int w = wait_until(c, &c->credit_cv, has_deadline, ts);
		if (w < 0) {
			rc = w;
			break;
		}
	}
	if (rc < 0)
		return rc;
	if (log_get_level() >= LOG_LVL_DEBUG)
		r->t0_us = conn_now_us();
	atomic_fetch_add(&r->refs, 2);
	conn_snap_locked(c, s);
	return 0;
}

static void clear_results(struct conn_msg *msgs, int n)
{
	for (int i = 0; i < n; i++) {
		msgs[i].rsp = NULL;
		msgs[i].rsp_len = 0;
		msgs[i].err = 0;
		memset(&msgs[i].rsp_hdr, 0, sizeof(msgs[i].rsp_hdr));
	}
}

static void set_err(struct conn_msg *msgs, int n, int err)
{
	for (int i = 0; i < n; i++)
		msgs[i].err = err;
}

/* ---- the public calls ---- */

static int keep_copy(struct xout *o, uint8_t **req_copy, size_t *req_copy_len)
{
	if (!req_copy)
		return 0;
	return xout_copy_msg(o, 0, req_copy, req_copy_len);
}

int conn_call(struct conn *c, struct conn_msg *msgs, int n, unsigned flags, int timeout_ms, uint8_t **req_copy,
	      size_t *req_copy_len)
{
	struct timespec ts;
	struct txsnap s;
	struct xout o;
	if (req_copy)
		*req_copy = NULL;
	if (n < 1 || n > XENG_MAX_CHAIN || ((flags & CONN_F_KEEP_REQ) && (!req_copy || !req_copy_len)))
		return -EINVAL;
	clear_results(msgs, n);
	bool has_deadline = deadline_of(c, flags, timeout_ms, &ts);
	struct conn_async *r = creq_new(n);
	if (!r) {
		set_err(msgs, n, -ENOMEM);
		return -ENOMEM;
	}
	xout_init(&o);
	pthread_mutex_lock(&c->mu);
	if (!enter_locked(c)) {
		pthread_mutex_unlock(&c->mu);
		xout_free(&o);
		conn_creq_put(r);
		set_err(msgs, n, -ENOTCONN);
		return -ENOTCONN;
	}
	int rc = submit_locked(c, r, msgs, n, flags, has_deadline, &ts, &o, &s);
	pthread_mutex_unlock(&c->mu);
	if (rc == 0) {
		rc = send_frame(c, &o, &s);
		if (rc == 0 && (flags & CONN_F_KEEP_REQ) && keep_copy(&o, req_copy, req_copy_len) < 0)
			log_warn("no memory to keep the request bytes");
		conn_creq_put(r); /* the sender's reference */
		rc = 0;
	}
	xout_free(&o);
	pthread_mutex_lock(&c->mu);
	bool cancel = false;
	if (rc == 0) {
		while (!r->finished && rc == 0) {
			rc = wait_until(c, &r->cv, has_deadline, &ts);
			/* MS-SMB2 3.2.5.1.5: an interim response says the server is at work (an open waiting for
			 * another client's break, a blocking lock): wait on without a deadline, as the kernel client
			 * does. A server that dies meanwhile is found by the echo keepalive, which fails the call. */
			if (rc == -ETIMEDOUT && !(flags & CONN_F_DEADLINE) && r->x.in_engine &&
			    xcall_pending_async(&r->x)) {
				has_deadline = false;
				rc = 0;
			}
		}
		if (r->finished) {
			rc = conn_creq_results(r, msgs);
		} else {
			r->abandoned = true;
			/* The caller gave up (FUSE INTERRUPT): tell the server, by AsyncId once it went async, else
			 * by MessageId (MS-SMB2 3.2.4.24). The reply, STATUS_CANCELLED or the result, is dropped as
			 * after a timeout. */
			xout_init(&o);
			cancel = rc == -EINTR && xeng_cancel(c->e, &r->x, &o) == 0;
			if (cancel)
				conn_snap_locked(c, &s);
			else
				xout_free(&o);
		}
	}
	if (cancel) {
		pthread_mutex_unlock(&c->mu);
		send_cancel(c, &o, &s);
		xout_free(&o);
		pthread_mutex_lock(&c->mu);
	}
	leave_locked(c);
	pthread_mutex_unlock(&c->mu);
	if (rc == -ETIMEDOUT || (rc < 0 && !r->finished))
		set_err(msgs, n, rc);
	conn_creq_put(r);
	return rc;
}

int conn_submit(struct conn *c, struct conn_msg *msg, unsigned flags, conn_done_fn done, void *arg,
		struct conn_async **out)
{
	struct timespec ts;
	struct txsnap s;
	struct xout o;
	if (out)
		*out = NULL;
	if (!done)
		return -EINVAL;
	clear_results(msg, 1);
	bool has_deadline = deadline_of(c, 0, 0, &ts); /* for the credit wait only */
	struct conn_async *r = creq_new(1);
	if (!r)
		return -ENOMEM;
	r->done = done;
	r->arg = arg;
	r->umsg = msg;
	xout_init(&o);
	pthread_mutex_lock(&c->mu);
	int rc = enter_locked(c) ? 0 : -ENOTCONN;
	if (rc == 0) {
		rc = submit_locked(c, r, msg, 1, flags, has_deadline, &ts, &o, &s);
		if (rc == 0 && out) {
			atomic_fetch_add(&r->refs, 1);
			*out = r;
		}
		if (rc < 0)
			leave_locked(c);
	}
	pthread_mutex_unlock(&c->mu);
	if (rc < 0) {
		xout_free(&o);
		conn_creq_put(r);
		return rc;
	}
	send_frame(c, &o, &s); /* a failure completes r through the receive thread */
	xout_free(&o);
	conn_creq_put(r); /* the sender's */
	conn_creq_put(r); /* the creator's: the engine's and the handle's remain */
	pthread_mutex_lock(&c->mu);
	leave_locked(c);
	pthread_mutex_unlock(&c->mu);
	return 0;
}

void conn_cancel(struct conn *c, struct conn_async *a)
{
	struct txsnap s;
	struct xout o;
	xout_init(&o);
	pthread_mutex_lock(&c->mu);
	int rc = enter_locked(c) ? 0 : -ENOTCONN;
	if (rc == 0) {
		rc = a->finished ? -ENOENT : xeng_cancel(c->e, &a->x, &o);
		conn_snap_locked(c, &s);
	}
	pthread_mutex_unlock(&c->mu);
	if (rc == 0)
		send_frame(c, &o, &s);
	xout_free(&o);
	if (rc != -ENOTCONN) {
		pthread_mutex_lock(&c->mu);
		leave_locked(c);
		pthread_mutex_unlock(&c->mu);
	}
}

/* ---- lifetime ---- */

static int conn_init_locks(struct conn *c)
{
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_mutex_init(&c->mu, NULL);
	pthread_mutex_init(&c->send_mu, NULL);
	pthread_cond_init(&c->credit_cv, &ca);
	pthread_cond_init(&c->idle_cv, &ca);
	pthread_condattr_destroy(&ca);
	return 0;
}

static void conn_destroy(struct conn *c)
{
	free(c->first_rsp);
	if (c->fd >= 0)
		close(c->fd);
	xeng_free(c->e);
	pthread_cond_destroy(&c->credit_cv);
	pthread_cond_destroy(&c->idle_cv);
	pthread_mutex_destroy(&c->send_mu);
	pthread_mutex_destroy(&c->mu);
	free(c->host);
	free(c);
}

void conn_take_first_reply(struct conn *c, uint8_t **msg, size_t *len)
{
	*msg = c->first_rsp;
	*len = c->first_rsp_len;
	c->first_rsp = NULL;
	c->first_rsp_len = 0;
}

void conn_first_was_smb2(struct conn *c, uint16_t credits)
{
	pthread_mutex_lock(&c->mu);
	xeng_skip_first(c->e, credits);
	pthread_mutex_unlock(&c->mu);
}

int conn_new(const struct conn_cfg *cfg, struct conn **out)
{
	*out = NULL;
	if (!cfg || !cfg->host)
		return -EINVAL;
	struct conn *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->fd = -1;
	c->cfg = *cfg;
	conn_init_locks(c);
	c->host = strdup(cfg->host);
	c->e = xeng_new();
	c->max_frame = XENG_SETUP_MAX_FRAME;
	c->cfg.host = c->host;
	int rc = c->host && c->e ? 0 : -ENOMEM;
	if (rc == 0 && cfg->nb_called)
		rc = nbt_session_connect(cfg->host, cfg->port, cfg->nb_called, cfg->nb_calling, cfg->connect_timeout_ms,
					 cfg->request_timeout_ms, &c->fd);
	else if (rc == 0)
		rc = sock_connect(cfg->host, cfg->port, cfg->connect_timeout_ms, cfg->request_timeout_ms, &c->fd);
	if (rc == 0 && cfg->first_req)
		rc = conn_first_exchange(c);
	if (rc == 0) {
		c->last_rx_ms = now_ms();
		rc = -pthread_create(&c->rx, NULL, conn_rx_main, c);
	}
	if (rc < 0) {
		conn_destroy(c);
		return rc;
	}
	*out = c;
	return 0;
}

void conn_free(struct conn *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->mu);
	c->closing = true;
	pthread_mutex_unlock(&c->mu);
	conn_kill(c, -ECONNRESET);
	pthread_join(c->rx, NULL);
	pthread_mutex_lock(&c->mu);
	while (c->users)
		pthread_cond_wait(&c->idle_cv, &c->mu);
	pthread_mutex_unlock(&c->mu);
	conn_destroy(c);
}

void conn_set_max_frame(struct conn *c, size_t max)
{
	pthread_mutex_lock(&c->mu);
	xeng_set_max_frame(c->e, max);
	c->max_frame = xeng_max_frame(c->e);
	pthread_mutex_unlock(&c->mu);
}

void conn_set_multicredit(struct conn *c, bool on)
{
	pthread_mutex_lock(&c->mu);
	xeng_set_multicredit(c->e, on);
	pthread_mutex_unlock(&c->mu);
}

void conn_set_signer(struct conn *c, const struct xport_signer *s)
{
	pthread_mutex_lock(&c->mu);
	c->has_signer = s != NULL;
	if (s)
		c->signer = *s;
	pthread_mutex_unlock(&c->mu);
}

void conn_set_transform(struct conn *c, const struct xport_transform *t)
{
	pthread_mutex_lock(&c->mu);
	c->xf = *t;
	c->seal = true;
	xeng_set_transform(c->e, t);
	pthread_mutex_unlock(&c->mu);
}

void conn_set_require_signed_rsp(struct conn *c, bool on)
{
	pthread_mutex_lock(&c->mu);
	xeng_set_require_signed(c->e, on);
	pthread_mutex_unlock(&c->mu);
}

uint64_t conn_idle_ms(struct conn *c)
{
	uint64_t last = c->last_rx_ms, now = now_ms();
	return now > last ? now - last : 0;
}

bool conn_alive(struct conn *c)
{
	pthread_mutex_lock(&c->mu);
	bool alive = !c->dead;
	pthread_mutex_unlock(&c->mu);
	return alive;
}

unsigned conn_credits(struct conn *c)
{
	pthread_mutex_lock(&c->mu);
	unsigned n = xeng_credits(c->e);
	pthread_mutex_unlock(&c->mu);
	return n;
}
