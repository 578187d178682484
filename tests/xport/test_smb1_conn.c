/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_smb1_conn.c - the SMB1 connection (smb1_xport.h) against a fake server thread on a loopback socket:
 * callback completions (smb1_conn_submit_cb) by answer and by the connection's end, oplock breaks handed to
 * on_unsolicited, and the signing sequence numbers an acknowledgment without a response takes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../unit/tap.h"
#include "smbfuse/smb1.h"
#include "smbfuse/smb1_xport.h"
#include "smbfuse/util.h"
#include "sock_i.h"

enum script { S_ECHO, S_BREAK_THEN_ECHO, S_CLOSE };

struct fsrv {
	int lfd, fd;
	uint16_t port;
	enum script script;
	pthread_t th;
};

static int read_frame(int fd, uint8_t **msg, size_t *n)
{
	uint8_t pfx[4];
	if (sock_read_full(fd, pfx, 4) < 0)
		return -1;
	*n = (size_t)pfx[1] << 16 | (size_t)pfx[2] << 8 | pfx[3];
	*msg = malloc(*n);
	return *msg && sock_read_full(fd, *msg, *n) == 0 ? 0 : -1;
}

static void write_frame(int fd, const uint8_t *msg, size_t n)
{
	uint8_t pfx[4] = {0, (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n};
	struct iovec v[2] = {{pfx, 4}, {(void *)msg, n}};
	sock_writev_full(fd, v, 2);
}

/* An oplock break for FID 0x0042 to level II, as smbd sends it: a LOCKING_ANDX request with MID 0xFFFF. */
static void send_break(int fd)
{
	struct wbuf w;
	struct smb1_hdr h = {.command = SMB1_COM_LOCKING_ANDX, .mid = 0xFFFF};
	wbuf_init(&w, 0);
	smb1_hdr_encode(&w, &h);
	smb1_oplock_ack_encode(&w, 0x0042, SMB1_BREAK_TO_LEVEL_II);
	write_frame(fd, w.p, w.len);
	wbuf_free(&w);
}

/* Answer each request with its own header marked as a reply (an empty response), until the client goes. */
static void *srv_main(void *arg)
{
	struct fsrv *s = arg;
	s->fd = accept(s->lfd, NULL, NULL);
	uint8_t *msg;
	size_t n;
	bool first = true;
	while (s->fd >= 0 && read_frame(s->fd, &msg, &n) == 0) {
		if (s->script == S_CLOSE) {
			free(msg);
			break;
		}
		if (s->script == S_BREAK_THEN_ECHO && first)
			send_break(s->fd); /* overtakes the answer, as a break may */
		first = false;
		if (n >= SMB1_HDR_SIZE && msg[SMB1_HDR_SIZE - 2] == 0xFF && msg[SMB1_HDR_SIZE - 1] == 0xFF) {
			free(msg); /* MID 0xFFFF: an acknowledgment, which has no answer */
			continue;
		}
		msg[9] |= SMB1_FLAGS_REPLY;
		uint8_t rsp[SMB1_HDR_SIZE + 3] = {0};
		memcpy(rsp, msg, SMB1_HDR_SIZE);
		write_frame(s->fd, rsp, sizeof(rsp));
		free(msg);
	}
	if (s->fd >= 0)
		close(s->fd);
	return NULL;
}

static void srv_start(struct fsrv *s, enum script script)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	memset(s, 0, sizeof(*s));
	s->script = script;
	s->lfd = socket(AF_INET, SOCK_STREAM, 0);
	bind(s->lfd, (struct sockaddr *)&a, sizeof(a));
	listen(s->lfd, 1);
	getsockname(s->lfd, (struct sockaddr *)&a, &al);
	s->port = ntohs(a.sin_port);
	pthread_create(&s->th, NULL, srv_main, s);
}

static void srv_stop(struct fsrv *s)
{
	pthread_join(s->th, NULL);
	close(s->lfd);
}

/* What the callbacks saw. */
struct seen {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int done, err;
	uint16_t mid;
	int breaks;
	uint16_t break_fid;
	uint8_t break_level;
	uint32_t seqs[8]; /* sequence numbers the signer was asked for, in order */
	int nseq;
};

static void done_cb(void *arg, int err, uint8_t *rsp, size_t n)
{
	struct seen *v = arg;
	struct smb1_hdr h;
	pthread_mutex_lock(&v->mu);
	v->done++;
	v->err = err;
	if (rsp && smb1_hdr_decode(rsp, n, &h) == 0)
		v->mid = h.mid;
	pthread_cond_broadcast(&v->cv);
	pthread_mutex_unlock(&v->mu);
	free(rsp);
}

static void on_unsolicited(void *arg, const uint8_t *msg, size_t n)
{
	struct seen *v = arg;
	uint16_t fid;
	uint8_t level;
	pthread_mutex_lock(&v->mu);
	if (smb1_oplock_break_decode(msg, n, &fid, &level) == 0) {
		v->breaks++;
		v->break_fid = fid;
		v->break_level = level;
	}
	pthread_cond_broadcast(&v->cv);
	pthread_mutex_unlock(&v->mu);
}

static int sign(void *ctx, uint32_t seq, const struct iovec *iov, int iovcnt, uint8_t sig[8])
{
	struct seen *v = ctx;
	pthread_mutex_lock(&v->mu);
	if (v->nseq < 8)
		v->seqs[v->nseq++] = seq;
	pthread_mutex_unlock(&v->mu);
	memset(sig, 0, 8);
	return 0;
}

static int verify(void *ctx, uint32_t seq, const uint8_t *msg, size_t n)
{
	return 0;
}

static void wait_done(struct seen *v, int want)
{
	pthread_mutex_lock(&v->mu);
	while (v->done < want)
		pthread_cond_wait(&v->cv, &v->mu);
	pthread_mutex_unlock(&v->mu);
}

static struct smb1_conn *connect_to(struct fsrv *s, struct seen *v)
{
	struct smb1_conn_cfg cfg = {.host = "127.0.0.1",
				    .port = s->port,
				    .connect_timeout_ms = 5000,
				    .request_timeout_ms = 5000,
				    .on_unsolicited = on_unsolicited,
				    .arg = v};
	struct smb1_conn *c = NULL;
	CHECK(smb1_conn_new(&cfg, &c) == 0);
	return c;
}

static void req(struct wbuf *w, uint8_t command)
{
	struct smb1_hdr h = {.command = command};
	wbuf_init(w, 0);
	smb1_hdr_encode(w, &h);
	smb1_empty_req_encode(w);
}

/* A callback call is answered on the receive thread; a break before the answer goes to on_unsolicited. */
static void test_callback_and_break(void)
{
	struct fsrv s;
	struct seen v = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
	srv_start(&s, S_BREAK_THEN_ECHO);
	struct smb1_conn *c = connect_to(&s, &v);
	struct wbuf w;
	req(&w, SMB1_COM_ECHO);
	CHECK(smb1_conn_submit_cb(c, w.p, w.len, NULL, 0, done_cb, &v) == 0);
	wait_done(&v, 1);
	CHECK(v.done == 1 && v.err == 0 && v.mid != 0xFFFF);
	CHECK(v.breaks == 1 && v.break_fid == 0x0042 && v.break_level == SMB1_BREAK_TO_LEVEL_II);
	wbuf_free(&w);
	smb1_conn_free(c);
	srv_stop(&s);
	CHECK(v.done == 1); /* exactly once, not again at the end */
}

/* The connection ends with a callback call in flight: it completes once, with -ECONNRESET. */
static void test_callback_at_death(void)
{
	struct fsrv s;
	struct seen v = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
	srv_start(&s, S_CLOSE);
	struct smb1_conn *c = connect_to(&s, &v);
	struct wbuf w;
	req(&w, SMB1_COM_ECHO);
	CHECK(smb1_conn_submit_cb(c, w.p, w.len, NULL, 0, done_cb, &v) == 0);
	wait_done(&v, 1);
	CHECK(v.err == -ECONNRESET);
	/* A dead connection takes nothing new, and then never calls back. */
	CHECK(smb1_conn_submit_cb(c, w.p, w.len, NULL, 0, done_cb, &v) == -ENOTCONN);
	wbuf_free(&w);
	smb1_conn_free(c);
	srv_stop(&s);
	CHECK(v.done == 1);
}

/* A request without a response (an oplock break acknowledgment) takes two sequence numbers, as smbd counts. */
static void test_ack_sequence(void)
{
	struct fsrv s;
	struct seen v = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
	srv_start(&s, S_ECHO);
	struct smb1_conn *c = connect_to(&s, &v);
	struct smb1_signer sg = {.sign = sign, .verify = verify, .ctx = &v};
	smb1_conn_start_signing(c, &sg, 2);
	struct wbuf w, ack;
	uint8_t *rsp;
	size_t n;
	req(&w, SMB1_COM_ECHO);
	CHECK(smb1_conn_call(c, w.p, w.len, NULL, 0, 0, &rsp, &n) == 0);
	free(rsp);
	struct smb1_hdr h = {.command = SMB1_COM_LOCKING_ANDX};
	wbuf_init(&ack, 0);
	smb1_hdr_encode(&ack, &h);
	smb1_oplock_ack_encode(&ack, 0x0042, SMB1_BREAK_TO_LEVEL_II);
	CHECK(smb1_conn_send(c, ack.p, ack.len) == 0);
	CHECK(smb1_conn_call(c, w.p, w.len, NULL, 0, 0, &rsp, &n) == 0);
	free(rsp);
	CHECK(v.nseq == 3 && v.seqs[0] == 2 && v.seqs[1] == 4 && v.seqs[2] == 6);
	wbuf_free(&w);
	wbuf_free(&ack);
	smb1_conn_free(c);
	srv_stop(&s);
}

int main(void)
{
	test_callback_and_break();
	test_callback_at_death();
	test_ack_sequence();
	return tap_done();
}
