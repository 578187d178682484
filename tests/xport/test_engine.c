/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_engine.c - the I/O-free transport engine against a scripted in-memory server (DESIGN B9). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/tap.h"
#include "engine_i.h"
#include "smbfuse/err.h"
#include "smbfuse/util.h"
#include "srv.h"

/* A test call: an xcall plus how often it completed. */
struct tcall {
	struct xcall x;
	struct conn_msg msg[XENG_MAX_CHAIN];
	int completions;
	uint8_t body[8];
};

static void tc_init(struct tcall *t, int n, uint16_t cmd)
{
	memset(t, 0, sizeof(*t));
	if (xcall_init(&t->x, n) < 0)
		abort();
	t->x.owner = t;
	memcpy(t->body, "\x09\x00\x00\x00\x00\x00\x00\x00", 8);
	for (int i = 0; i < n; i++) {
		t->msg[i].hdr.command = cmd;
		t->msg[i].hdr.session_id = 0x1122;
		t->msg[i].body = t->body;
		t->msg[i].body_len = 8;
	}
}

/* Drain the done list, counting completions. Returns how many calls finished. */
static int drain(struct xeng *e)
{
	int k = 0;
	for (struct xcall *x = xeng_take_done(e); x; x = x->done_next, k++)
		((struct tcall *)x->owner)->completions++;
	return k;
}

/* Submit t and parse what went out; returns xeng_submit's result, reqs filled on success. */
static int submit(struct xeng *e, struct tcall *t, unsigned flags, struct srv_req *reqs, uint8_t **frame)
{
	struct xout o;
	struct wbuf w;
	xout_init(&o);
	int rc = xeng_submit(e, &t->x, t->msg, t->x.n, flags, &o);
	if (rc == 0) {
		wbuf_init(&w, WBUF_DEFAULT_MAX);
		xout_flatten(&o, &w);
		size_t len;
		*frame = wbuf_steal(&w, &len);
		uint32_t plen = (uint32_t)(*frame)[1] << 16 | (uint32_t)(*frame)[2] << 8 | (*frame)[3];
		if ((*frame)[0] != 0 || plen + 4 != len || srv_parse(*frame + 4, plen, reqs, XENG_MAX_CHAIN) != t->x.n)
			rc = -999;
	}
	xout_free(&o);
	return rc;
}

static int reply(struct xeng *e, const struct srv_rsp *r, int n)
{
	size_t len;
	uint8_t *f = srv_frame(r, n, &len);
	int rc = xeng_input(e, f, len);
	free(f);
	return rc;
}

/* NEGOTIATE with the single starting credit; the server grants `grant`. */
static void negotiate(struct xeng *e, uint16_t grant)
{
	struct tcall t;
	struct srv_req rq[XENG_MAX_CHAIN];
	uint8_t *f = NULL;
	tc_init(&t, 1, SMB2_NEGOTIATE);
	CHECK(xeng_credits(e) == 1);
	CHECK(submit(e, &t, 0, rq, &f) == 0);
	CHECK(rq[0].h.message_id == 0 && rq[0].h.credit_charge == 0);
	CHECK(rq[0].h.credits >= 1 && rq[0].h.credits <= XENG_CREDIT_TARGET);
	struct srv_rsp r = {.mid = 0, .cmd = SMB2_NEGOTIATE, .credits = grant};
	CHECK(reply(e, &r, 1) == 0);
	CHECK(drain(e) == 1 && t.completions == 1 && t.x.m[0].err == 0);
	CHECK(xeng_credits(e) == grant);
	free(f);
	xcall_fini(&t.x);
}

static void test_out_of_order(void)
{
	struct xeng *e = xeng_new();
	struct tcall t[3];
	struct srv_req rq[XENG_MAX_CHAIN];
	uint8_t *f[3];
	negotiate(e, 10);
	for (int i = 0; i < 3; i++) {
		tc_init(&t[i], 1, SMB2_READ);
		CHECK(submit(e, &t[i], 0, rq, &f[i]) == 0);
		CHECK(rq[0].h.message_id == (uint64_t)i + 1);
	}
	CHECK(xeng_credits(e) == 7 && xeng_inflight(e) == 3);
	int order[3] = {2, 0, 1};
	for (int k = 0; k < 3; k++) {
		int i = order[k];
		uint8_t tag = (uint8_t)(0xa0 + i);
		struct srv_rsp r = {.mid = (uint64_t)i + 1, .cmd = SMB2_READ, .credits = 1, .body = &tag, .body_len = 1};
		CHECK(reply(e, &r, 1) == 0);
		CHECK(drain(e) == 1 && t[i].completions == 1);
		CHECK(t[i].x.m[0].rsp_len == SMB2_HDR_SIZE + 1 && t[i].x.m[0].rsp[SMB2_HDR_SIZE] == tag);
		CHECK(t[i].x.m[0].rsp_hdr.message_id == (uint64_t)i + 1);
	}
	CHECK(xeng_credits(e) == 10 && xeng_inflight(e) == 0);
	for (int i = 0; i < 3; i++) {
		CHECK(t[i].completions == 1);
		free(f[i]);
		xcall_fini(&t[i].x);
	}
	xeng_free(e);
}

static void test_pending_and_cancel(void)
{
	struct xeng *e = xeng_new();
	struct tcall t;
	struct srv_req rq[XENG_MAX_CHAIN];
	uint8_t *f;
	negotiate(e, 5);
	tc_init(&t, 1, SMB2_CHANGE_NOTIFY);
	CHECK(submit(e, &t, 0, rq, &f) == 0);
	uint64_t mid = rq[0].h.message_id;
	free(f);
	/* Interim: credits counted, AsyncId kept, not completed. */
	struct srv_rsp r = {.mid = mid, .cmd = SMB2_CHANGE_NOTIFY, .status = STATUS_PENDING, .credits = 1,
			    .flags = SMB2_FLAGS_ASYNC_COMMAND, .async_id = 0x77};
	CHECK(reply(e, &r, 1) == 0);
	CHECK(drain(e) == 0 && t.completions == 0);
	CHECK(xeng_credits(e) == 5);
	CHECK(t.x.m[0].async && t.x.m[0].async_id == 0x77);
	/* Cancel: same MessageId, AsyncId, no charge, no credit, no MessageId consumed. */
	uint64_t next = xeng_next_mid(e);
	struct xout o;
	struct wbuf w;
	xout_init(&o);
	CHECK(xeng_cancel(e, &t.x, &o) == 0);
	wbuf_init(&w, WBUF_DEFAULT_MAX);
	xout_flatten(&o, &w);
	CHECK(srv_parse(w.p + 4, w.len - 4, rq, 4) == 1);
	CHECK(rq[0].h.command == SMB2_CANCEL && rq[0].h.message_id == mid);
	CHECK((rq[0].h.flags & SMB2_FLAGS_ASYNC_COMMAND) && rq[0].h.async_id == 0x77);
	CHECK(rq[0].h.credit_charge == 0 && rq[0].h.credits == 0 && rq[0].h.session_id == 0x1122);
	CHECK(xeng_next_mid(e) == next && xeng_credits(e) == 5);
	wbuf_free(&w);
	xout_free(&o);
	/* Final: STATUS_CANCELLED completes it once. */
	r = (struct srv_rsp){.mid = mid, .cmd = SMB2_CHANGE_NOTIFY, .status = STATUS_CANCELLED,
			     .flags = SMB2_FLAGS_ASYNC_COMMAND, .async_id = 0x77};
	CHECK(reply(e, &r, 1) == 0);
	CHECK(drain(e) == 1 && t.completions == 1 && t.x.m[0].rsp_hdr.status == STATUS_CANCELLED);
	xout_init(&o);
	CHECK(xeng_cancel(e, &t.x, &o) == -ENOENT);
	xout_free(&o);
	xcall_fini(&t.x);
	xeng_free(e);
}

static void test_credit_starvation(void)
{
	struct xeng *e = xeng_new();
	struct tcall a, b;
	struct srv_req rq[XENG_MAX_CHAIN];
	uint8_t *f;
	negotiate(e, 1);
	tc_init(&a, 1, SMB2_ECHO);
	tc_init(&b, 1, SMB2_ECHO);
	CHECK(submit(e, &a, 0, rq, &f) == 0);
	free(f);
	uint64_t next = xeng_next_mid(e);
	CHECK(submit(e, &b, 0, rq, &f) == -EAGAIN);
	CHECK(xeng_next_mid(e) == next && !b.x.in_engine);
	/* A PENDING interim may grant the credit that releases b. */
	struct srv_rsp r = {.mid = 1, .cmd = SMB2_ECHO, .status = STATUS_PENDING, .credits = 1,
			    .flags = SMB2_FLAGS_ASYNC_COMMAND, .async_id = 3};
	CHECK(reply(e, &r, 1) == 0);
	CHECK(submit(e, &b, 0, rq, &f) == 0 && rq[0].h.message_id == 2);
	free(f);
	r = (struct srv_rsp){.mid = 1, .cmd = SMB2_ECHO, .credits = 0, .flags = SMB2_FLAGS_ASYNC_COMMAND};
	CHECK(reply(e, &r, 1) == 0);
	r = (struct srv_rsp){.mid = 2, .cmd = SMB2_ECHO, .credits = 1};
	CHECK(reply(e, &r, 1) == 0);
	CHECK(drain(e) == 2 && a.completions == 1 && b.completions == 1);
	CHECK(xeng_credits(e) == 1);
	xcall_fini(&a.x);
	xcall_fini(&b.x);
	xeng_free(e);
}

/* A server that grants no credit with nothing in flight broke the protocol (MS-SMB2 3.3.1.2): -EPROTO, not
 * the -ENOBUFS that asks the caller for smaller I/O. */
static void test_zero_credits(void)
{
	struct xeng *e = xeng_new();
	struct tcall a;
	struct srv_req rq[XENG_MAX_CHAIN];
	uint8_t *f = NULL;
	negotiate(e, 0);
	tc_init(&a, 1, SMB2_ECHO);
	CHECK(submit(e, &a, 0, rq, &f) == -EPROTO && !a.x.in_engine);
	xcall_fini(&a.x);
	xeng_free(e);
	/* Some credits, but fewer than a multi-credit request needs: the caller's to split. */
	e = xeng_new();
	negotiate(e, 2);
	xeng_set_multicredit(e, true);
	tc_init(&a, 1, SMB2_READ);
	a.msg[0].hdr.credit_charge = 4;
	CHECK(submit(e, &a, 0, rq, &f) == -ENOBUFS);
	xcall_fini(&a.x);
	xeng_free(e);
}

/* Frame limits on the stream input: the prefix alone decides, before any payload is buffered. */
static void test_frame_limits(void)
{
	uint8_t big[4] = {0, 0x02, 0x00, 0x01}; /* 128 KiB + 1 */
	uint8_t pfx[4], empty[4] = {0, 0, 0, 0};
	size_t len;
	CHECK(xframe_prefix(big, XENG_SETUP_MAX_FRAME, &len) == -EMSGSIZE && len == XENG_SETUP_MAX_FRAME + 1);
	CHECK(xframe_prefix(big, XENG_SETUP_MAX_FRAME + 1, &len) == 0);
	CHECK(xframe_prefix(empty, XENG_SETUP_MAX_FRAME, &len) == 1 && len == 0);
	memcpy(pfx, "\x85\0\0\0", 4);
	CHECK(xframe_prefix(pfx, XENG_SETUP_MAX_FRAME, &len) == 1 && len == 0);
	memcpy(pfx, "\x82\0\0\0", 4); /* a positive session response where SMB2 was due */
	CHECK(xframe_prefix(pfx, XENG_SETUP_MAX_FRAME, &len) == -EBADMSG);
	CHECK(xframe_protocol_error((const uint8_t *)"\xfeSMB", 64, false) == NULL);
	CHECK(xframe_protocol_error((const uint8_t *)"\xfeSMB", 63, false) != NULL);
	CHECK(xframe_protocol_error((const uint8_t *)"GARB", 64, true) != NULL);
	CHECK(xframe_protocol_error((const uint8_t *)"\xffSMB", 64, true) != NULL);
	CHECK(xframe_protocol_error((const uint8_t *)"\xfdSMB", 64, true) == NULL);
	CHECK(xframe_protocol_error((const uint8_t *)"\xfdSMB", 64, false) != NULL);
	CHECK(xframe_protocol_error((const uint8_t *)"\xfeS", 2, true) != NULL);

	struct xeng *e = xeng_new();
	CHECK(xeng_max_frame(e) == XENG_SETUP_MAX_FRAME);
	CHECK(xeng_input(e, big, 4) == -EBADMSG && xeng_dead(e));
	xeng_free(e);
	e = xeng_new();
	xeng_set_max_frame(e, 8u << 20);
	CHECK(xeng_max_frame(e) == 8u << 20);
	CHECK(xeng_input(e, big, 4) == 0 && !xeng_dead(e));
	xeng_set_max_frame(e, 1u << 30);
	CHECK(xeng_max_frame(e) == XPORT_MAX_FRAME);
	xeng_set_max_frame(e, 100);
	CHECK(xeng_max_frame(e) == XENG_SETUP_MAX_FRAME);
	xeng_free(e);
}

static void test_multicredit(void)
{
	struct xeng *e = xeng_new();
	struct tcall t, big;
	struct srv_req rq[XENG_MAX_CHAIN];
	uint8_t *f;
	negotiate(e, 10);
	/* Off: the charge is 1 and sent as 0. */
	tc_init(&t, 1, SMB2_READ);
	t.msg[0].hdr.credit_charge = 4;
	CHECK(submit(e, &t, 0, rq, &f) == 0);
	CHECK(rq[0].h.credit_charge == 0 && xeng_next_mid(e) == 2 && xeng_credits(e) == 9);
	free(f);
	xeng_set_multicredit(e, true);
	tc_init(&big, 1, SMB2_READ);
	big.msg[0].hdr.credit_charge = 4;
	CHECK(submit(e, &big, 0, rq, &f) == 0);
	CHECK(rq[0].h.credit_charge == 4 && rq[0].h.message_id == 2);
	CHECK(rq[0].h.credits >= 4);
	CHECK(xeng_next_mid(e) == 6 && xeng_credits(e) == 5);
	free(f);
	/* A charge over the cap is a caller bug; one over all credits waits. */
	struct tcall huge;
	tc_init(&huge, 1, SMB2_READ);
	huge.msg[0].hdr.credit_charge = XENG_MAX_CHARGE + 1;
	CHECK(submit(e, &huge, 0, rq, &f) == -EINVAL);
	huge.msg[0].hdr.credit_charge = 6;
	CHECK(submit(e, &huge, 0, rq, &f) == -EAGAIN);
	/* The response carries the first MessageId of the range. */
	struct srv_rsp r = {.mid = 2, .cmd = SMB2_READ, .credits = 4};
	CHECK(reply(e, &r, 1) == 0);
	r = (struct srv_rsp){.mid = 1, .cmd = SMB2_READ, .credits = 1};
	CHECK(reply(e, &r, 1) == 0);
	CHECK(drain(e) == 2 && t.completions == 1 && big.completions == 1);
	CHECK(xeng_credits(e) == 10 && xeng_inflight(e) == 0);
	/* Nothing in flight can bring more credits: fail instead of waiting forever. */
	huge.msg[0].hdr.credit_charge = 11;
	CHECK(submit(e, &huge, 0, rq, &f) == -ENOBUFS);
	/* A MessageId inside the range, not its first, is unknown. */
	xcall_fini(&t.x);
	xcall_fini(&big.x);
	xcall_fini(&huge.x);
	xeng_free(e);
}

static void test_compound(void)
{
	struct xeng *e = xeng_new();
	struct tcall t;
	struct srv_req rq[XENG_MAX_CHAIN];
	uint8_t *f;
	uint8_t data[5] = {1, 2, 3, 4, 5};
	negotiate(e, 10);
	tc_init(&t, 3, SMB2_CREATE);
	t.msg[1].hdr.command = SMB2_WRITE;
	t.msg[1].hdr.flags = SMB2_FLAGS_RELATED_OPERATIONS;
	t.msg[1].data = data;
	t.msg[1].data_len = sizeof(data);
	t.msg[2].hdr.command = SMB2_CLOSE;
	t.msg[2].hdr.flags = SMB2_FLAGS_RELATED_OPERATIONS;
	CHECK(submit(e, &t, 0, rq, &f) == 0);
	CHECK(rq[0].h.next_command == 72 && rq[1].h.next_command == 80 && rq[2].h.next_command == 0);
	CHECK(!(rq[0].h.flags & SMB2_FLAGS_RELATED_OPERATIONS));
	CHECK((rq[1].h.flags & SMB2_FLAGS_RELATED_OPERATIONS) && (rq[2].h.flags & SMB2_FLAGS_RELATED_OPERATIONS));
	CHECK(rq[0].h.message_id == 1 && rq[1].h.message_id == 2 && rq[2].h.message_id == 3);
	CHECK(memcmp(rq[1].body + 8, data, sizeof(data)) == 0);
	/* The bytes after the data up to NextCommand are zero padding. */
	CHECK(rq[1].body[13] == 0 && rq[1].body[14] == 0 && rq[1].body[15] == 0);
	free(f);
	/* Two answers in one frame (the WRITE fails), the CLOSE in a later frame. */
	struct srv_rsp r[2] = {
		{.mid = 1, .cmd = SMB2_CREATE, .credits = 1, .body = "\x59\0\0", .body_len = 3},
		{.mid = 2, .cmd = SMB2_WRITE, .status = STATUS_ACCESS_DENIED, .credits = 1},
	};
	CHECK(reply(e, r, 2) == 0);
	CHECK(drain(e) == 0 && t.x.remaining == 1);
	CHECK(t.x.m[0].rsp_len == 72 && t.x.m[1].rsp_hdr.status == STATUS_ACCESS_DENIED);
	struct srv_rsp c = {.mid = 3, .cmd = SMB2_CLOSE, .status = STATUS_ACCESS_DENIED, .credits = 1};
	CHECK(reply(e, &c, 1) == 0);
	CHECK(drain(e) == 1 && t.completions == 1);
	CHECK(t.x.m[0].err == 0 && t.x.m[1].err == 0 && t.x.m[2].err == 0);
	CHECK(xeng_credits(e) == 10);
	xcall_fini(&t.x);
	xeng_free(e);
}

static void test_unknown_mid(void)
{
	struct xeng *e = xeng_new();
	struct tcall t;
	struct srv_req rq[XENG_MAX_CHAIN];
	uint8_t *f;
	negotiate(e, 10);
	tc_init(&t, 1, SMB2_READ);
	CHECK(submit(e, &t, 0, rq, &f) == 0);
	free(f);
	struct srv_rsp bad = {.mid = 99, .cmd = SMB2_READ, .credits = 1};
	struct srv_rsp good = {.mid = 1, .cmd = SMB2_READ, .credits = 1};
	CHECK(reply(e, &bad, 1) == 0 && !xeng_dead(e));
	CHECK(reply(e, &good, 1) == 0 && drain(e) == 1 && t.completions == 1);
	/* The streak restarted; a late duplicate alone is still tolerated. */
	CHECK(reply(e, &good, 1) == 0 && !xeng_dead(e));
	xcall_fini(&t.x);
	tc_init(&t, 1, SMB2_READ);
	CHECK(submit(e, &t, 0, rq, &f) == 0);
	free(f);
	CHECK(reply(e, &bad, 1) == -EBADMSG && xeng_dead(e));
	CHECK(drain(e) == 1 && t.completions == 1 && t.x.m[0].err == -ECONNRESET);
	xcall_fini(&t.x);
	xeng_free(e);
}

/* A malformed frame kills the engine and fails the outstanding request exactly once. */
static void check_malformed(const uint8_t *bytes, size_t n, const char *what)
{
	struct xeng *e = xeng_new();
	struct tcall t;
	struct srv_req rq[XENG_MAX_CHAIN];
	uint8_t *f;
	negotiate(e, 10);
	tc_init(&t, 1, SMB2_READ);
	CHECK(submit(e, &t, 0, rq, &f) == 0);
	free(f);
	int rc = xeng_input(e, bytes, n);
	printf("# malformed: %s -> %d\n", what, rc);
	CHECK(rc < 0 && xeng_dead(e));
	CHECK(drain(e) == 1 && t.completions == 1 && t.x.m[0].err == -ECONNRESET);
	CHECK(xeng_input(e, bytes, n) == -ENOTCONN && drain(e) == 0);
	xcall_fini(&t.x);
	tc_init(&t, 1, SMB2_READ);
	CHECK(submit(e, &t, 0, rq, &f) == -ENOTCONN);
	xcall_fini(&t.x);
	xeng_free(e);
}

static void test_malformed(void)
{
	size_t len;
	struct srv_rsp r[2] = {{.mid = 1, .cmd = SMB2_READ, .credits = 1}, {.mid = 1, .cmd = SMB2_READ}};
	uint8_t *f = srv_frame(r, 1, &len);
	f[0] = 0x01;
	check_malformed(f, len, "bad prefix byte");
	f[0] = 0xff;
	f[1] = f[2] = f[3] = 0xff;
	check_malformed(f, len, "huge length");
	free(f);
	f = srv_frame(r, 1, &len);
	f[3] = 30; /* a frame of 30 bytes: truncated header */
	check_malformed(f, 34, "truncated header");
	free(f);
	f = srv_frame(r, 2, &len);
	put_le32(f + 4 + 20, 65); /* NextCommand not 8-aligned */
	check_malformed(f, len, "unaligned NextCommand");
	put_le32(f + 4 + 20, 4096); /* beyond the frame */
	check_malformed(f, len, "NextCommand beyond frame");
	put_le32(f + 4 + 20, 0x80);
	check_malformed(f, len, "NextCommand leaves no header");
	free(f);
	f = srv_frame(r, 1, &len);
	f[4 + 16] &= (uint8_t)~SMB2_FLAGS_SERVER_TO_REDIR;
	check_malformed(f, len, "request flag in a response");
	f[4 + 16] |= SMB2_FLAGS_SERVER_TO_REDIR;
	f[4 + 12] = SMB2_WRITE;
	check_malformed(f, len, "command mismatch");
	f[4 + 12] = SMB2_READ;
	f[4] = 0xfd; /* a transform header without a transform */
	check_malformed(f, len, "encrypted without transform");
	free(f);
}

static void test_stream_and_keepalive(void)
{
	struct xeng *e = xeng_new();
	struct tcall t;
	struct srv_req rq[XENG_MAX_CHAIN];
	uint8_t *f, ka[6] = {0x85, 0, 0, 2, 0xaa, 0xbb}, empty[4] = {0};
	size_t len;
	negotiate(e, 10);
	tc_init(&t, 1, SMB2_READ);
	CHECK(submit(e, &t, 0, rq, &f) == 0);
	free(f);
	struct srv_rsp r = {.mid = 1, .cmd = SMB2_READ, .credits = 1, .body = "xyz", .body_len = 3};
	f = srv_frame(&r, 1, &len);
	CHECK(xeng_input(e, ka, 3) == 0 && xeng_input(e, ka + 3, 3) == 0);
	CHECK(xeng_input(e, empty, 4) == 0 && !xeng_dead(e)); /* an empty session message is a keepalive too */
	for (size_t i = 0; i < len; i++)
		CHECK(xeng_input(e, f + i, 1) == 0 && (i + 1 == len || t.completions == 0 + drain(e)));
	CHECK(drain(e) == 1 && t.completions == 1 && !xeng_dead(e));
	CHECK(t.x.m[0].rsp_len == 67 && memcmp(t.x.m[0].rsp + 64, "xyz", 3) == 0);
	free(f);
	xcall_fini(&t.x);
	xeng_free(e);
}

static void test_drop_in_flight(void)
{
	struct xeng *e = xeng_new();
	struct tcall t[4];
	struct srv_req rq[XENG_MAX_CHAIN];
	uint8_t *f;
	negotiate(e, 10);
	for (int i = 0; i < 4; i++) {
		tc_init(&t[i], i == 3 ? 2 : 1, SMB2_READ);
		CHECK(submit(e, &t[i], 0, rq, &f) == 0);
		free(f);
	}
	/* One element of the compound is answered before the drop. */
	struct srv_rsp r = {.mid = 4, .cmd = SMB2_READ, .credits = 1};
	CHECK(reply(e, &r, 1) == 0 && drain(e) == 0);
	xeng_fail_all(e, -ECONNRESET);
	xeng_fail_all(e, -ECONNRESET);
	CHECK(drain(e) == 4);
	for (int i = 0; i < 4; i++)
		CHECK(t[i].completions == 1);
	CHECK(t[3].x.m[0].err == 0 && t[3].x.m[0].rsp && t[3].x.m[1].err == -ECONNRESET);
	CHECK(xeng_inflight(e) == 0);
	for (int i = 0; i < 4; i++)
		xcall_fini(&t[i].x);
	xeng_free(e);
}

static void test_unsolicited(void)
{
	struct xeng *e = xeng_new();
	negotiate(e, 10);
	uint8_t body[24] = {24};
	struct srv_rsp r = {.mid = SMB2_UNSOLICITED_MID, .cmd = SMB2_OPLOCK_BREAK, .body = body, .body_len = 24};
	CHECK(reply(e, &r, 1) == 0);
	struct xunsol *u = xeng_take_unsol(e);
	CHECK(u && !u->next && u->len == 88 && get_le16(u->msg + 12) == SMB2_OPLOCK_BREAK);
	free(u);
	CHECK(!xeng_take_unsol(e) && !xeng_dead(e));
	xeng_free(e);
}

/* ---- signing ---- */

static int sign_calls, verify_calls;

static int fake_sign(void *ctx, const struct iovec *iov, int iovcnt, uint8_t sig[16])
{
	size_t total = 0;
	sign_calls++;
	for (int i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	/* The signature must be computed with SIGNED set and the field zero. */
	const uint8_t *h = iov[0].iov_base;
	if (!(get_le32(h + 16) & SMB2_FLAGS_SIGNED) || h[SMB2_HDR_SIGNATURE_OFF] != 0)
		return -EINVAL;
	memset(sig, (int)(total & 0xff), 16);
	return 0;
}

static int fake_verify(void *ctx, const uint8_t *msg, size_t n)
{
	verify_calls++;
	return msg[SMB2_HDR_SIGNATURE_OFF] == 0x5a ? 0 : -EACCES;
}

static void test_signing(void)
{
	struct xeng *e = xeng_new();
	struct xport_signer s = {.sign = fake_sign, .verify = fake_verify};
	struct tcall t;
	struct srv_req rq[XENG_MAX_CHAIN];
	struct xout o;
	struct wbuf w;
	negotiate(e, 20);
	xeng_set_signer(e, &s);
	tc_init(&t, 2, SMB2_READ);
	xout_init(&o);
	CHECK(xeng_submit(e, &t.x, t.msg, 2, CONN_F_SIGN, &o) == 0);
	CHECK(xout_sign(&o, &s) == 0 && sign_calls == 2);
	wbuf_init(&w, WBUF_DEFAULT_MAX);
	xout_flatten(&o, &w);
	CHECK(srv_parse(w.p + 4, w.len - 4, rq, 4) == 2);
	CHECK((rq[0].h.flags & SMB2_FLAGS_SIGNED) && (rq[1].h.flags & SMB2_FLAGS_SIGNED));
	CHECK(rq[0].h.signature[0] == 72 && rq[1].h.signature[0] == 72); /* 64 + 8 (+ padding 0) */
	uint8_t *copy;
	size_t clen;
	CHECK(xout_copy_msg(&o, 0, &copy, &clen) == 0 && clen == 72 && memcmp(copy, w.p + 4, 72) == 0);
	free(copy);
	wbuf_free(&w);
	xout_free(&o);
	/* A bad signature is rejected; an unsigned interim is fine; a good one passes. */
	struct srv_rsp r[2] = {{.mid = 1, .cmd = SMB2_READ, .credits = 1, .flags = SMB2_FLAGS_SIGNED},
			       {.mid = 2, .cmd = SMB2_READ, .status = STATUS_PENDING, .credits = 1,
				.flags = SMB2_FLAGS_ASYNC_COMMAND, .async_id = 9}};
	CHECK(reply(e, r, 2) == 0 && verify_calls == 1);
	CHECK(t.x.m[0].done && t.x.m[0].err == -EACCES && !t.x.m[1].done);
	size_t len;
	struct srv_rsp fin = {.mid = 2, .cmd = SMB2_READ, .credits = 1,
			      .flags = SMB2_FLAGS_SIGNED | SMB2_FLAGS_ASYNC_COMMAND, .async_id = 9};
	uint8_t *f = srv_frame(&fin, 1, &len);
	memset(f + 4 + SMB2_HDR_SIGNATURE_OFF, 0x5a, 16);
	CHECK(xeng_input(e, f, len) == 0 && verify_calls == 2);
	free(f);
	CHECK(drain(e) == 1 && t.completions == 1 && t.x.m[1].err == 0);
	xcall_fini(&t.x);
	/* require_signed: an unsigned final response to a signed request is rejected. */
	xeng_set_require_signed(e, true);
	tc_init(&t, 1, SMB2_READ);
	xout_init(&o);
	CHECK(xeng_submit(e, &t.x, t.msg, 1, CONN_F_SIGN, &o) == 0);
	xout_free(&o);
	struct srv_rsp un = {.mid = 3, .cmd = SMB2_READ, .credits = 1};
	CHECK(reply(e, &un, 1) == 0);
	CHECK(drain(e) == 1 && t.x.m[0].err == -EACCES && !t.x.m[0].rsp);
	CHECK(!xeng_dead(e));
	xcall_fini(&t.x);
	/* Unsigned requests are not held to it. */
	tc_init(&t, 1, SMB2_READ);
	xout_init(&o);
	CHECK(xeng_submit(e, &t.x, t.msg, 1, 0, &o) == 0);
	xout_free(&o);
	un.mid = 4;
	CHECK(reply(e, &un, 1) == 0 && drain(e) == 1 && t.x.m[0].err == 0);
	xcall_fini(&t.x);
	xeng_free(e);
}

/* ---- fault injection: fail the N-th allocation of a scripted session ---- */

static int alloc_countdown;
static bool alloc_failed;

static void *failing_malloc(size_t n)
{
	if (alloc_countdown > 0 && --alloc_countdown == 0) {
		alloc_failed = true;
		return NULL;
	}
	return malloc(n);
}

/* A session touching every allocation site; every call must complete exactly once whatever fails. */
static void scripted_session(void)
{
	struct xeng *e = xeng_new();
	if (!e)
		return;
	struct tcall t[3];
	struct srv_req rq[XENG_MAX_CHAIN];
	uint8_t *f;
	int submitted[3] = {0};
	for (int i = 0; i < 3; i++) {
		memset(&t[i], 0, sizeof(t[i]));
		if (xcall_init(&t[i].x, i == 2 ? 2 : 1) < 0)
			continue;
		t[i].x.owner = &t[i];
		for (int k = 0; k < t[i].x.n; k++)
			t[i].msg[k].hdr.command = SMB2_READ;
		if (i == 0) {
			submitted[i] = submit(e, &t[i], 0, rq, &f) == 0;
			if (submitted[i])
				free(f);
			struct srv_rsp r = {.mid = 0, .cmd = SMB2_READ, .credits = 10};
			reply(e, &r, 1);
			continue;
		}
		submitted[i] = submit(e, &t[i], 0, rq, &f) == 0;
		if (submitted[i])
			free(f);
	}
	struct srv_rsp r[3] = {{.mid = 2, .cmd = SMB2_READ, .credits = 1},
			       {.mid = 3, .cmd = SMB2_READ, .credits = 1},
			       {.mid = 1, .cmd = SMB2_READ, .credits = 1, .body = "ab", .body_len = 2}};
	reply(e, r, 2);
	reply(e, r + 2, 1);
	struct srv_rsp brk = {.mid = SMB2_UNSOLICITED_MID, .cmd = SMB2_OPLOCK_BREAK};
	reply(e, &brk, 1);
	struct xunsol *u = xeng_take_unsol(e);
	while (u) {
		struct xunsol *next = u->next;
		free(u);
		u = next;
	}
	drain(e);
	xeng_fail_all(e, -ECONNRESET);
	drain(e);
	for (int i = 0; i < 3; i++) {
		if (submitted[i] && t[i].completions != 1)
			CHECK(!"a submitted call did not complete exactly once");
		if (!submitted[i] && t[i].completions != 0)
			CHECK(!"an unsubmitted call completed");
		xcall_fini(&t[i].x);
	}
	xeng_free(e);
}

static void test_alloc_faults(void)
{
	int n;
	for (n = 1; n < 200; n++) {
		alloc_countdown = n;
		alloc_failed = false;
		xeng_malloc_hook = failing_malloc;
		scripted_session();
		xeng_malloc_hook = malloc;
		if (!alloc_failed)
			break;
	}
	printf("# allocation faults injected: %d\n", n - 1);
	CHECK(n > 3 && n < 200);
}

int main(void)
{
	test_out_of_order();
	test_pending_and_cancel();
	test_credit_starvation();
	test_zero_credits();
	test_frame_limits();
	test_multicredit();
	test_compound();
	test_unknown_mid();
	test_malformed();
	test_stream_and_keepalive();
	test_drop_in_flight();
	test_unsolicited();
	test_signing();
	test_alloc_faults();
	return tap_done();
}
