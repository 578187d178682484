/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * conn_rx.c - the receiving half of a connection (conn.c has the callers' half): the receive thread, which
 * reads frames, checks them against the limits, feeds the engine and runs every completion with no lock
 * held; and the first exchange on the bare socket.
 *
 * Limits. The server is hostile until proven otherwise, so nothing it claims is waited for beyond what a
 * legitimate server could need: a length prefix longer than the negotiated sizes allow (before NEGOTIATE,
 * longer than any NEGOTIATE or SESSION_SETUP answer can be) ends the connection at once, before a byte of
 * it is read; so does a payload whose ProtocolId is not SMB2, as soon as its first four bytes are in; and a
 * frame that stops arriving half way ends it after the request deadline without a byte. Each refusal logs
 * one line naming the field, the value and the limit. Empty session messages and 0x85 keepalives are
 * skipped (RFC 1002 4.3.7).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn_i.h"
#include "sock_i.h"
#include "smbfuse/log.h"
#include "smbfuse/util.h"

/* ---- the receive thread ---- */

/*
 * The -d protocol trace: one line per message of a finished call. Only headers are printed (command,
 * MessageId, status), never payloads, so no password, hash or key can reach the log from here.
 */
static void trace_call(const struct xcall *x, uint64_t t0_us)
{
	uint64_t us = t0_us ? conn_now_us() - t0_us : 0;
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
			conn_creq_put(r); /* the engine's; the waiter (if any) still holds its own */
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
		conn_creq_results(r, r->umsg);
		r->done(r->arg, r->umsg);
		conn_creq_put(r); /* the engine's */
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
	conn_snap_locked(c, &s);
	bool has_signer = c->has_signer;
	pthread_mutex_unlock(&c->mu);
	bool sealed = n >= 4 && get_le32(frame) == SMB2_TRANSFORM_MAGIC;
	if (sealed && (rc = rx_unseal(&s.xf, &frame, &n)) < 0)
		return rc;
	rc = xframe_split(frame, n, v, XENG_MAX_FRAME_MSGS, &count);
	if (rc < 0) {
		log_info("server frame: a header or NextCommand of a %zu-byte frame is malformed; dropping the "
			 "connection", n);
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

/*
 * The rest of a frame once its first byte is in: no byte for the request deadline means the server stalled
 * mid-frame. Waiting longer would only hold every reply behind this one, so the connection is dropped.
 */
static int rx_rest(struct conn *c, uint8_t *p, size_t n, size_t done_before, size_t total)
{
	size_t got = 0;
	int rc = c->cfg.request_timeout_ms > 0 ? sock_read_idle(c->fd, p, n, c->cfg.request_timeout_ms, &got)
					       : sock_read_full(c->fd, p, n);
	if (rc == -ETIMEDOUT)
		log_info("server frame: stalled after %zu of %zu bytes; nothing for %.1f s, dropping the connection",
			 done_before + got, total, c->cfg.request_timeout_ms / 1000.0);
	return rc;
}

/* Read one frame's payload. Memory grows with the bytes that actually arrive, so a length that passed the
 * limit still costs nothing until the server pays for it in data. The ProtocolId is checked as soon as it
 * is in, so garbage ends the connection at once instead of after the length it claimed. */
static int rx_payload(struct conn *c, size_t len, uint8_t **out)
{
	const size_t first = 1024 * 1024;
	size_t have = MIN(len, (size_t)4), cap = MIN(len, first);
	uint8_t *p = xeng_malloc_hook(cap ? cap : 1);
	*out = NULL;
	if (!p)
		return -ENOMEM;
	int rc = rx_rest(c, p, have, 4, len + 4);
	pthread_mutex_lock(&c->mu);
	bool sealed_ok = c->xf.unseal != NULL;
	pthread_mutex_unlock(&c->mu);
	const char *why = rc == 0 ? xframe_protocol_error(p, len, sealed_ok) : NULL;
	if (why) {
		log_info("server frame: ProtocolId %02x %02x %02x %02x (frame of %zu bytes) is %s; dropping the "
			 "connection", p[0], have > 1 ? p[1] : 0, have > 2 ? p[2] : 0, have > 3 ? p[3] : 0, len, why);
		rc = -EBADMSG;
	}
	while (rc == 0 && have < len) {
		if (have == cap) {
			uint8_t *q = realloc(p, len);
			if (!q) {
				rc = -ENOMEM;
				break;
			}
			p = q;
			cap = len;
		}
		rc = rx_rest(c, p + have, cap - have, 4 + have, len + 4);
		have = cap;
	}
	if (rc < 0) {
		free(p);
		return rc;
	}
	*out = p;
	return 0;
}

static int rx_skip(struct conn *c, size_t len)
{
	uint8_t scratch[256];
	while (len) {
		size_t k = MIN(len, sizeof(scratch));
		int rc = rx_rest(c, scratch, k, 4, len + 4);
		if (rc < 0)
			return rc;
		len -= k;
	}
	return 0;
}

#define FIRST_RSP_MAX 65536u /* a NEGOTIATE reply with every context fits many times over */

static void describe_prefix_error(int rc, const uint8_t pfx[4], size_t len, size_t max, char *buf, size_t n)
{
	if (rc == -EMSGSIZE)
		snprintf(buf, n, "server frame: length %zu exceeds the %zu-byte limit%s", len, max,
			 max == XENG_SETUP_MAX_FRAME ? " before the negotiate sets one"
			 : max == FIRST_RSP_MAX	     ? " of a negotiate reply"
						     : " of the negotiated sizes");
	else
		snprintf(buf, n, "server frame: prefix type 0x%02x is neither a session message (0x00) nor a "
			 "keepalive (0x85)", pfx[0]);
}

static void log_prefix_error(int rc, const uint8_t pfx[4], size_t len, size_t max)
{
	char why[160];
	describe_prefix_error(rc, pfx, len, max, why, sizeof(why));
	log_info("%s; dropping the connection", why);
}

static int rx_one(struct conn *c)
{
	uint8_t pfx[4];
	size_t len;
	uint8_t *frame;
	/* The first byte may take as long as the server likes (an idle connection); the rest may not. */
	int rc = sock_read_full(c->fd, pfx, 1);
	if (rc == 0)
		rc = rx_rest(c, pfx + 1, 3, 1, 4);
	if (rc < 0)
		return rc;
	size_t max = c->max_frame;
	rc = xframe_prefix(pfx, max, &len);
	if (rc < 0) {
		log_prefix_error(rc, pfx, len, max);
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

void *conn_rx_main(void *arg)
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

/* ---- the first exchange ---- */


int conn_first_exchange(struct conn *c)
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
		if (rc == 0 && (rc = xframe_prefix(pfx, FIRST_RSP_MAX, &len)) < 0) {
			log_prefix_error(rc, pfx, len, FIRST_RSP_MAX);
			if (c->cfg.why && c->cfg.why_len)
				describe_prefix_error(rc, pfx, len, FIRST_RSP_MAX, c->cfg.why, c->cfg.why_len);
		}
		if (rc != 1)
			break;
		uint8_t skip[256]; /* a keepalive: its body, if any, is at most a few bytes */
		rc = len <= sizeof(skip) ? sock_read_deadline(c->fd, skip, len, deadline) : -EBADMSG;
	}
	if (rc == 0 && !(c->first_rsp = malloc(len ? len : 1)))
		rc = -ENOMEM;
	if (rc == 0)
		rc = sock_read_deadline(c->fd, c->first_rsp, len, deadline);
	c->first_rsp_len = len;
	return rc == -EBADMSG ? -EPROTO : rc;
}
