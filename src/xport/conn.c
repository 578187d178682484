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
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "smbfuse/nbt.h"
#include "engine_i.h"
#include "sock_i.h"
#include "smbfuse/log.h"
#include "smbfuse/util.h"
#include "smbfuse/xport.h"

struct conn_async {
	struct xcall x;	  /* guarded by c->mu while x.in_engine; the finisher's afterwards */
	pthread_cond_t cv; /* signalled (under c->mu) when finished */
	atomic_int refs;
	bool finished;	/* c->mu */
	bool abandoned; /* c->mu: the conn_call waiter has gone */
	/* conn_submit only; set before submit, read-only afterwards. */
	conn_done_fn done;
	void *arg;
	struct conn_msg *umsg;
	uint64_t t0_us; /* submit time, taken only when debug logging is on (the request trace) */
};

struct conn {
	struct conn_cfg cfg; /* read-only after conn_new */
	char *host;
	int fd;			 /* read-only after conn_new; shut down (not closed) to wake threads */
	pthread_t rx;		 /* read-only */
	pthread_mutex_t mu;	 /* the state mutex; see the lock notes above */
	pthread_cond_t credit_cv; /* mu: credits may have grown, or the connection died */
	pthread_cond_t idle_cv;	  /* mu: users dropped to 0 while closing */
	pthread_mutex_t send_mu;  /* whole frames on fd */
	struct xeng *e;		  /* mu */
	bool dead;		  /* mu: the receive thread has failed everything */
	bool closing;		  /* mu: conn_free has started */
	int kill_err;		  /* mu: first reason given to conn_kill */
	unsigned users;		  /* mu: threads inside conn_call/submit/cancel */
	struct xport_signer signer; /* mu; copied out before use */
	bool has_signer;	    /* mu */
	struct xport_transform xf;  /* mu; copied out before use */
	bool seal;		    /* mu: encrypt every request (xf installed) */
	_Atomic uint64_t last_rx_ms; /* now_ms() when the last frame arrived; written by the receive thread */
	uint8_t *first_rsp;	     /* the reply to cfg.first_req until taken; written before rx starts */
	size_t first_rsp_len;
};

/* What a send needs, copied under c->mu so that signing, sealing and writing run unlocked. */
struct txsnap {
	struct xport_signer sig;
	struct xport_transform xf;
	bool seal;
};

static void snap_locked(struct conn *c, struct txsnap *t)
{
	memset(t, 0, sizeof(*t));
	if (c->has_signer)
		t->sig = c->signer;
	t->xf = c->xf;
	t->seal = c->seal;
}

/* ---- requests ---- */

static uint64_t now_us(void)
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

static void creq_put(struct conn_async *r)
{
	if (!r || atomic_fetch_sub(&r->refs, 1) != 1)
		return;
	xcall_fini(&r->x);
	pthread_cond_destroy(&r->cv);
	free(r);
}

void conn_async_put(struct conn_async *a)
{
	creq_put(a);
}

/* Move results to the caller's messages; ownership of rsp moves with them. */
static int creq_results(struct conn_async *r, struct conn_msg *msgs)
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

/* Wait on cv under c->mu; -ETIMEDOUT once the deadline (if any) has passed. */
static int wait_until(struct conn *c, pthread_cond_t *cv, bool has_deadline, const struct timespec *ts)
{
	if (!has_deadline)
		return -pthread_cond_wait(cv, &c->mu);
	return -pthread_cond_timedwait(cv, &c->mu, ts);
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

static int send_frame(struct conn *c, struct xout *o, const struct txsnap *s)
{
	struct wbuf sealed = {0};
	int rc = s->seal ? seal_frame(o, &s->xf, &sealed) : xout_sign(o, &s->sig);
	if (rc == 0) {
		struct iovec one = {sealed.p, sealed.len};
		if (!s->seal)
			xout_iov(o);
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
		if (wait_until(c, &c->credit_cv, has_deadline, ts) == -ETIMEDOUT) {
			rc = -ETIMEDOUT;
			break;
		}
	}
	if (rc < 0)
		return rc;
	if (log_get_level() >= LOG_LVL_DEBUG)
		r->t0_us = now_us();
	atomic_fetch_add(&r->refs, 2);
	snap_locked(c, s);
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
		creq_put(r);
		set_err(msgs, n, -ENOTCONN);
		return -ENOTCONN;
	}
	int rc = submit_locked(c, r, msgs, n, flags, has_deadline, &ts, &o, &s);
	pthread_mutex_unlock(&c->mu);
	if (rc == 0) {
		rc = send_frame(c, &o, &s);
		if (rc == 0 && (flags & CONN_F_KEEP_REQ) && keep_copy(&o, req_copy, req_copy_len) < 0)
			log_warn("no memory to keep the request bytes");
		creq_put(r); /* the sender's reference */
		rc = 0;
	}
	xout_free(&o);
	pthread_mutex_lock(&c->mu);
	if (rc == 0) {
		while (!r->finished && rc == 0) {
			rc = wait_until(c, &r->cv, has_deadline, &ts) == -ETIMEDOUT ? -ETIMEDOUT : 0;
			/* MS-SMB2 3.2.5.1.5: an interim response says the server is at work (an open waiting for
			 * another client's break, a blocking lock): wait on without a deadline, as the kernel client
			 * does. A server that dies meanwhile is found by the echo keepalive, which fails the call. */
			if (rc == -ETIMEDOUT && r->x.in_engine && xcall_pending_async(&r->x)) {
				has_deadline = false;
				rc = 0;
			}
		}
		if (r->finished)
			rc = creq_results(r, msgs);
		else
			r->abandoned = true;
	}
	leave_locked(c);
	pthread_mutex_unlock(&c->mu);
	if (rc == -ETIMEDOUT || (rc < 0 && !r->finished))
		set_err(msgs, n, rc);
	creq_put(r);
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
		creq_put(r);
		return rc;
	}
	send_frame(c, &o, &s); /* a failure completes r through the receive thread */
	xout_free(&o);
	creq_put(r); /* the sender's */
	creq_put(r); /* the creator's: the engine's and the handle's remain */
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
		snap_locked(c, &s);
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

/* ---- the receive thread ---- */

/*
 * The -d protocol trace: one line per message of a finished call. Only headers are printed (command,
 * MessageId, status), never payloads, so no password, hash or key can reach the log from here.
 */
static void trace_call(const struct xcall *x, uint64_t t0_us)
{
	uint64_t us = t0_us ? now_us() - t0_us : 0;
	for (int i = 0; i < x->n; i++) {
		const struct xmsg *m = &x->m[i];
		log_dbg("%s mid=%llu status=0x%08x%s %llu.%03llu ms", smb2_command_name(m->command),
			(unsigned long long)m->mid, m->rsp ? m->rsp_hdr.status : 0u, m->err < 0 ? " (no reply)" : "",
			(unsigned long long)(us / 1000), (unsigned long long)(us % 1000));
	}
}

/*
 * Settle a list of finished calls: with c->mu held, wake conn_call waiters and collect the async ones
 * into *async; drop the engine reference of calls nobody waits for.
 */
static void finish_locked(struct conn *c, struct xcall *x, struct conn_async **async)
{
	struct conn_async *tail = NULL;
	*async = NULL;
	while (x) {
		struct xcall *next = x->done_next;
		struct conn_async *r = x->owner;
		r->finished = true;
		x->done_next = NULL;
		if (r->t0_us)
			trace_call(x, r->t0_us);
		if (r->done) {
			if (tail)
				tail->x.done_next = &r->x;
			else
				*async = r;
			tail = r;
		} else {
			pthread_cond_signal(&r->cv);
			creq_put(r); /* the engine's; the waiter (if any) still holds its own */
		}
		x = next;
	}
	pthread_cond_broadcast(&c->credit_cv);
}

/* With no lock held: run async completions and unsolicited handlers. */
static void run_callbacks(struct conn *c, struct conn_async *r, struct xunsol *u)
{
	while (r) {
		struct xcall *next = r->x.done_next;
		creq_results(r, r->umsg);
		r->done(r->arg, r->umsg);
		creq_put(r); /* the engine's */
		r = next ? next->owner : NULL;
	}
	while (u) {
		struct xunsol *next = u->next;
		if (c->cfg.on_unsolicited)
			c->cfg.on_unsolicited(c->cfg.arg, u->msg, u->len);
		free(u);
		u = next;
	}
}

/* Replace a received transform message by its plaintext (MS-SMB2 3.2.5.1.1.1); frees the input. */
static int rx_unseal(const struct xport_transform *xf, uint8_t **frame, size_t *n)
{
	uint8_t *plain = NULL;
	size_t plen = 0;
	int rc = xf->unseal ? xf->unseal(xf->ctx, *frame, *n, &plain, &plen) : -EBADMSG;
	free(*frame);
	*frame = NULL;
	if (rc < 0) {
		log_info("an encrypted frame did not decrypt (%s); resetting", xf->unseal ? "bad tag" : "no keys");
		return -EBADMSG;
	}
	*frame = plain;
	*n = plen;
	return 0;
}

/* Feed one frame to the engine; frame ownership passes here. */
static int rx_frame(struct conn *c, uint8_t *frame, size_t n)
{
	struct xview v[XENG_MAX_FRAME_MSGS];
	struct txsnap s;
	struct conn_async *async;
	int count, rc;
	pthread_mutex_lock(&c->mu);
	snap_locked(c, &s);
	bool has_signer = c->has_signer;
	pthread_mutex_unlock(&c->mu);
	bool sealed = n >= 4 && get_le32(frame) == SMB2_TRANSFORM_MAGIC;
	if (sealed && (rc = rx_unseal(&s.xf, &frame, &n)) < 0)
		return rc;
	rc = xframe_split(frame, n, v, XENG_MAX_FRAME_MSGS, &count);
	if (rc < 0) {
		free(frame);
		return rc;
	}
	if (sealed) /* a message that decrypted is authentic already (3.2.5.1.3) */
		for (int i = 0; i < count; i++)
			v[i].sig = 1;
	else
		xframe_verify(frame, v, count, has_signer ? &s.sig : NULL);
	pthread_mutex_lock(&c->mu);
	rc = xeng_deliver(c->e, &frame, n, v, count);
	finish_locked(c, xeng_take_done(c->e), &async);
	struct xunsol *u = xeng_take_unsol(c->e);
	pthread_mutex_unlock(&c->mu);
	free(frame);
	run_callbacks(c, async, u);
	return rc;
}

/* Read one frame's payload. Memory grows with the bytes that actually arrive, so a hostile length costs
 * nothing until the server pays for it in data. */
static int rx_payload(struct conn *c, size_t len, uint8_t **out)
{
	const size_t first = 1024 * 1024;
	size_t have = 0, cap = MIN(len, first);
	uint8_t *p = xeng_malloc_hook(cap ? cap : 1);
	*out = NULL;
	if (!p)
		return -ENOMEM;
	while (have < len) {
		if (have == cap) {
			uint8_t *q = realloc(p, len);
			if (!q) {
				free(p);
				return -ENOMEM;
			}
			p = q;
			cap = len;
		}
		int rc = sock_read_full(c->fd, p + have, cap - have);
		if (rc < 0) {
			free(p);
			return rc;
		}
		have = cap;
	}
	*out = p;
	return 0;
}

static int rx_skip(struct conn *c, size_t len)
{
	uint8_t scratch[256];
	while (len) {
		size_t k = MIN(len, sizeof(scratch));
		int rc = sock_read_full(c->fd, scratch, k);
		if (rc < 0)
			return rc;
		len -= k;
	}
	return 0;
}

static int rx_one(struct conn *c)
{
	uint8_t pfx[4];
	size_t len;
	uint8_t *frame;
	int rc = sock_read_full(c->fd, pfx, sizeof(pfx));
	if (rc < 0)
		return rc;
	rc = xframe_prefix(pfx, &len);
	if (rc < 0) {
		log_info("bad frame prefix %02x%02x%02x%02x; resetting", pfx[0], pfx[1], pfx[2], pfx[3]);
		return rc;
	}
	if (rc == 1)
		return rx_skip(c, len);
	rc = rx_payload(c, len, &frame);
	return rc < 0 ? rc : rx_frame(c, frame, len);
}

/* Connection death: fail every outstanding call, wake every waiter, tell the owner once. */
static void rx_die(struct conn *c, int err)
{
	struct conn_async *async;
	pthread_mutex_lock(&c->mu);
	if (c->kill_err)
		err = c->kill_err;
	c->dead = true;
	xeng_fail_all(c->e, -ECONNRESET);
	finish_locked(c, xeng_take_done(c->e), &async);
	struct xunsol *u = xeng_take_unsol(c->e);
	pthread_mutex_unlock(&c->mu);
	shutdown(c->fd, SHUT_RDWR); /* unblock senders stuck in a full socket */
	run_callbacks(c, async, u);
	log_info("connection to %s closed: %s", c->host, strerror(-err));
	if (c->cfg.on_dead)
		c->cfg.on_dead(c->cfg.arg, err);
}

static void *rx_main(void *arg)
{
	struct conn *c = arg;
	int rc;
	do {
		rc = rx_one(c);
		c->last_rx_ms = now_ms();
	} while (rc == 0);
	rx_die(c, rc);
	return NULL;
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

#define FIRST_RSP_MAX 65536u /* a NEGOTIATE reply with every context fits many times over */

/* cfg.first_req and its reply, on the bare socket before the receive thread exists. */
static int first_exchange(struct conn *c)
{
	size_t n = c->cfg.first_req_len;
	uint8_t pfx[4] = {0, (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n};
	struct iovec iov[2] = {{pfx, 4}, {(void *)c->cfg.first_req, n}};
	if (n > 0xFFFFFF)
		return -EINVAL;
	int rc = sock_writev_full(c->fd, iov, 2);
	int64_t deadline = (int64_t)now_ms() + (c->cfg.connect_timeout_ms > 0 ? c->cfg.connect_timeout_ms : 30000);
	size_t len = 0;
	while (rc == 0) {
		rc = sock_read_deadline(c->fd, pfx, 4, deadline);
		if (rc == 0)
			rc = xframe_prefix(pfx, &len);
		if (rc != 1)
			break;
		uint8_t skip[256]; /* a keepalive: its body, if any, is at most a few bytes */
		rc = len <= sizeof(skip) ? sock_read_deadline(c->fd, skip, len, deadline) : -EBADMSG;
	}
	if (rc == 0 && len > FIRST_RSP_MAX)
		rc = -EBADMSG;
	if (rc == 0 && !(c->first_rsp = malloc(len ? len : 1)))
		rc = -ENOMEM;
	if (rc == 0)
		rc = sock_read_deadline(c->fd, c->first_rsp, len, deadline);
	c->first_rsp_len = len;
	return rc == -EBADMSG ? -EPROTO : rc;
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
	c->cfg.host = c->host;
	int rc = c->host && c->e ? 0 : -ENOMEM;
	if (rc == 0 && cfg->nb_called)
		rc = nbt_session_connect(cfg->host, cfg->port, cfg->nb_called, cfg->nb_calling, cfg->connect_timeout_ms,
					 cfg->request_timeout_ms, &c->fd);
	else if (rc == 0)
		rc = sock_connect(cfg->host, cfg->port, cfg->connect_timeout_ms, cfg->request_timeout_ms, &c->fd);
	if (rc == 0 && cfg->first_req)
		rc = first_exchange(c);
	if (rc == 0) {
		c->last_rx_ms = now_ms();
		rc = -pthread_create(&c->rx, NULL, rx_main, c);
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
