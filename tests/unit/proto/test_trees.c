/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Several trees on one session (sess_tree_new, src/session/trees.c) against the scripted server of psrv.h:
 * a second tree gets its own TreeId on the same connection and its requests carry it; after the connection
 * is lost, each tree is connected again on the new one (the tree's rebuild hook runs); a share that refuses
 * us (STATUS_BAD_NETWORK_NAME, STATUS_ACCESS_DENIED), at once or only after a reconnect, fails with ENOENT
 * or EACCES and a clear reason while the other trees work; a tree the server disconnected
 * (STATUS_NETWORK_NAME_DELETED) is connected again without rebuilding the session; freeing a tree
 * disconnects it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../tap.h"
#include "psrv.h"
#include "../../../src/proto/dfs_i.h"
#include "smbfuse/err.h"
#include "smbfuse/log.h"
#include "smbfuse/session.h"
#include "smbfuse/smb2.h"

static struct sess *open_sess_at(struct psrv *srv, uint16_t dialect)
{
	/* psrv's guest on SMB 2.1, as psrv_client logs on, but a bare session: no proto layer above. */
	struct sess_cfg c = {.host = "127.0.0.1", .port = srv->port, .share = "t", .guest = true, .workstation = "PSRV"};
	c.min_dialect = c.max_dialect = dialect;
	c.connect_timeout_ms = c.request_timeout_ms = 2000;
	struct sess *s = NULL;
	char err[256] = "";
	if (sess_new(&c, &s, err, sizeof(err)) < 0)
		fprintf(stderr, "# sess_new: %s\n", err);
	return s;
}

static struct sess *open_sess(struct psrv *srv)
{
	return open_sess_at(srv, SMB2_DIALECT_210);
}

/* A CREATE of the share's root on s: the server's status (or the call's error); its TreeId in *tid. Once
 * more after -ECONNRESET: sent on a connection that died under it (psrv_hangup), as the proto layer does. */
static long create(struct sess *s, struct psrv *srv, uint32_t *tid)
{
	struct smb2_create_req req = {.impersonation = 2, .desired_access = 0x80, .share_access = 7,
				      .disposition = 1, .name = ""};
	struct wbuf w;
	wbuf_init(&w, 0);
	smb2_create_req_encode(&w, &req);
	int rc = -ECONNRESET;
	struct conn_msg m;
	for (int i = 0; i < 2 && rc == -ECONNRESET; i++) {
		memset(&m, 0, sizeof(m));
		m.hdr.command = SMB2_CREATE;
		m.body = w.p;
		m.body_len = w.len;
		rc = sess_call(s, &m, 1, NULL);
	}
	wbuf_free(&w);
	if (rc < 0)
		return rc;
	free(m.rsp);
	pthread_mutex_lock(&srv->mu);
	*tid = srv->last_tid;
	pthread_mutex_unlock(&srv->mu);
	return m.rsp_hdr.status;
}

static unsigned count(struct psrv *srv, unsigned *field)
{
	pthread_mutex_lock(&srv->mu);
	unsigned n = *field;
	pthread_mutex_unlock(&srv->mu);
	return n;
}

static uint64_t rebuilt_gen;
static void on_rebuilt(void *arg, uint64_t gen)
{
	(void)arg;
	rebuilt_gen = gen;
}

static void test_two_trees_and_reconnect(void)
{
	struct psrv srv;
	psrv_start(&srv);
	struct sess *s = open_sess(&srv), *t = NULL;
	CHECK(s != NULL);
	char err[256] = "";
	CHECK(sess_tree_new(s, "two", false, &t, err, sizeof(err)) == 0);
	CHECK(t != NULL);
	CHECK(count(&srv, &srv.tree_connects) == 2);
	struct sess_info si;
	sess_get_info(t, &si);
	CHECK(si.maximal_access == 0x001F01FF);
	uint32_t tid = 0;
	CHECK(create(t, &srv, &tid) == 0 && tid == 8);
	CHECK(create(s, &srv, &tid) == 0 && tid == 7);
	CHECK(create(t, &srv, &tid) == 0 && tid == 8);
	CHECK(count(&srv, &srv.tree_connects) == 2); /* connected once */

	/* A lost connection: the next request on the tree rebuilds the session, then connects its tree. */
	struct sess_hooks h = {.on_rebuilt = on_rebuilt};
	sess_set_hooks(t, &h);
	uint64_t g = sess_generation(t);
	CHECK(g == sess_generation(s));
	psrv_hangup(&srv);
	CHECK(create(t, &srv, &tid) == 0 && tid == 8);
	CHECK(sess_generation(t) == g + 1 && rebuilt_gen == g + 1);
	CHECK(count(&srv, &srv.tree_connects) == 4);
	CHECK(create(s, &srv, &tid) == 0 && tid == 7);

	/* The server disconnected the tree only: connected again on the same connection, and sent again. */
	psrv_arm(&srv, SMB2_CREATE, 0, PSRV_STATUS, STATUS_NETWORK_NAME_DELETED);
	CHECK(create(t, &srv, &tid) == 0 && tid == 9);
	CHECK(psrv_fired(&srv) == 1);
	CHECK(sess_generation(t) == g + 1);
	CHECK(count(&srv, &srv.tree_connects) == 5);

	sess_free(t);
	CHECK(count(&srv, &srv.tree_disconnects) == 1);
	CHECK(create(s, &srv, &tid) == 0 && tid == 7);
	sess_free(s);
	psrv_stop(&srv);
}

static void test_refused(uint32_t status, int want, const char *says)
{
	struct psrv srv;
	psrv_start(&srv);
	srv.tree_refuse = "nope"; /* before the server reads it: the first connect is the client's */
	srv.tree_refuse_status = status;
	struct sess *s = open_sess(&srv), *t = (struct sess *)1;
	CHECK(s != NULL);
	char err[256] = "";
	CHECK(sess_tree_new(s, "nope", false, &t, err, sizeof(err)) == want);
	CHECK(t == NULL);
	CHECK(strstr(err, says) != NULL);
	uint32_t tid = 0;
	CHECK(create(s, &srv, &tid) == 0 && tid == 7); /* the session is unharmed */
	CHECK(sess_tree_new(s, "ok", false, &t, err, sizeof(err)) == 0);
	CHECK(create(t, &srv, &tid) == 0 && tid == 8);
	sess_free(t);
	sess_free(s);
	psrv_stop(&srv);
}

/* A share that lets us in, then refuses us after a reconnect: that tree fails, the others work. */
static void test_refused_after_reconnect(void)
{
	struct psrv srv;
	psrv_start(&srv);
	struct sess *s = open_sess(&srv), *a = NULL, *b = NULL;
	char err[256] = "";
	CHECK(sess_tree_new(s, "a", false, &a, err, sizeof(err)) == 0);
	CHECK(sess_tree_new(s, "b", false, &b, err, sizeof(err)) == 0);
	uint32_t tid = 0;
	CHECK(create(b, &srv, &tid) == 0 && tid == 9);
	pthread_mutex_lock(&srv.mu);
	srv.tree_refuse = "a";
	srv.tree_refuse_status = STATUS_ACCESS_DENIED;
	pthread_mutex_unlock(&srv.mu);
	psrv_hangup(&srv);
	CHECK(create(a, &srv, &tid) == -EACCES);
	unsigned n = count(&srv, &srv.tree_connects);
	CHECK(create(a, &srv, &tid) == -EACCES); /* kept for this connection: not asked again */
	CHECK(create(b, &srv, &tid) == 0 && tid == 8);
	CHECK(count(&srv, &srv.tree_connects) == n + 1);
	CHECK(create(s, &srv, &tid) == 0 && tid == 7);
	sess_free(a);
	sess_free(b);
	sess_free(s);
	psrv_stop(&srv);
}

/* Wait (at most 5 s) until the server has counted n lease break acknowledgments. */
static bool acks_reach(struct psrv *s, unsigned n)
{
	for (int i = 0; i < 500; i++) {
		if (count(s, &s->lease_acks) >= n)
			return true;
		struct timespec ts = {0, 10 * 1000000};
		nanosleep(&ts, NULL);
	}
	return false;
}

/* Two proto clients on two trees of one session: a lease break names a key, not a tree, and reaches both;
 * only the tree whose key it is takes it (and acknowledges, after its own write-back). */
static void test_lease_break_goes_to_its_tree(void)
{
	struct psrv srv;
	psrv_start(&srv);
	srv.smb3_dir_leases = true; /* SMB 3.0, directory leases granted */
	srv.grant_lease = true;
	struct sess *s = open_sess_at(&srv, SMB2_DIALECT_300), *ta = NULL, *tb = NULL;
	char err[256] = "";
	CHECK(sess_tree_new(s, "a", false, &ta, err, sizeof(err)) == 0);
	CHECK(sess_tree_new(s, "b", false, &tb, err, sizeof(err)) == 0);
	CHECK(sess_tree_tag(s) == 0 && sess_tree_tag(ta) != sess_tree_tag(tb));
	struct smb_client_cfg cfg = {.host = "127.0.0.1", .port = srv.port, .share = "a", .guest = true};
	cfg.min_dialect = cfg.max_dialect = SMB2_DIALECT_300;
	cfg.connect_timeout_ms = cfg.request_timeout_ms = 2000;
	struct smb_client *a = NULL, *b = NULL;
	CHECK(proto_client_on_tree(&cfg, ta, &a, err, sizeof(err)) == 0);
	cfg.share = "b";
	CHECK(proto_client_on_tree(&cfg, tb, &b, err, sizeof(err)) == 0);
	CHECK(a && b);
	if (a && b) {
		CHECK(smb_client_ops(b)->watch(b, "e") == 1);
		CHECK(smb_client_ops(a)->watch(a, "d") == 1); /* the last granted: the one psrv breaks */
		pthread_mutex_lock(&srv.mu);
		srv.break_dir = true;
		pthread_mutex_unlock(&srv.mu);
		struct smb_attr at;
		CHECK(smb_client_ops(b)->stat(b, "x", &at) == 0); /* the break goes out before its answer */
		CHECK(acks_reach(&srv, 1));
		/* Both hooks ran on the receive thread before the ack's answer came: the counts are final. */
		CHECK(psrv_stat(a, "breaks.received") == 1);
		CHECK(psrv_stat(b, "breaks.received") == 0);
		CHECK(count(&srv, &srv.lease_acks) == 1);
	}
	smb_client_free(a);
	smb_client_free(b);
	sess_free(s);
	psrv_stop(&srv);
}

int main(void)
{
	log_set_level(getenv("OPSFAIL_DEBUG") ? LOG_LVL_DEBUG : LOG_LVL_ERR);
	test_two_trees_and_reconnect();
	test_refused(STATUS_BAD_NETWORK_NAME, -ENOENT, "share \"nope\" not found");
	test_refused(STATUS_ACCESS_DENIED, -EACCES, "access to share \"nope\" denied");
	test_refused_after_reconnect();
	test_lease_break_goes_to_its_tree();
	return tap_done();
}
