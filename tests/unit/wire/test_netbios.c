/* SPDX-License-Identifier: GPL-2.0-or-later */
/* NetBIOS codecs (RFC 1001/1002) against frames captured from smbclient, nmblookup and nmbd, and sweeps of
 * every truncation and bit flip through the fuzz entry points of tests/fuzz/decoders_nb.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "sweep.h"
#include "../../fuzz/decoders_nb.h"
#include "smbfuse/netbios.h"

static void sweep(const char *decoder, const uint8_t *p, size_t n)
{
	sweep_decoder(fz_nb_find(decoder), p, n);
}

static void check_encoded(int r, struct wbuf *w, const char *vector)
{
	size_t n;
	uint8_t *want = tap_load_hex(vector, &n);
	CHECK(r == 0);
	CHECK(w->len == n);
	if (w->len == n)
		CHECK_MEM(w->p, want, n);
	free(want);
	wbuf_free(w);
}

static void test_names(void)
{
	struct wbuf w;
	struct cur c;
	char name[NB_NAME_MAX + 1];
	uint8_t sfx;
	/* RFC 1001 14.1's example: "FRED" encodes as EGFCEFEE followed by CA (space) padding. */
	wbuf_init(&w, 0);
	CHECK(nb_name_encode(&w, "fred", 0x20) == 0);
	static const char fred[] = "\x20"
				   "EGFCEFEECACACACACACACACACACACACA";
	CHECK(w.len == 34 && memcmp(w.p, fred, 33) == 0 && w.p[33] == 0);
	cur_init(&c, w.p, w.len);
	CHECK(nb_name_decode(&c, name, &sfx) == 0 && strcmp(name, "FRED") == 0 && sfx == 0x20 && cur_left(&c) == 0);
	wbuf_free(&w);

	wbuf_init(&w, 0);
	CHECK(nb_name_encode(&w, "", 0) == -EINVAL);
	CHECK(nb_name_encode(&w, "SIXTEEN-CHARS-XX", 0) == -EINVAL);
	CHECK(nb_name_encode(&w, "BAD\nNAME", 0) == -EINVAL);
	CHECK(nb_name_encode(&w, "FIFTEEN-CHARS-X", 0) == 0);
	wbuf_free(&w);

	/* A character outside 'A'..'P' is not a first-level encoding. */
	uint8_t bad[34];
	memset(bad, 'C', sizeof(bad));
	bad[0] = 32;
	bad[5] = 'Z';
	bad[33] = 0;
	cur_init(&c, bad, sizeof(bad));
	CHECK(nb_name_decode(&c, name, &sfx) == -EBADMSG);
	/* A pointer may only point backwards. */
	static const uint8_t fwd[] = {0xc0, 0x02, 0x20};
	cur_init(&c, fwd, sizeof(fwd));
	CHECK(nb_name_decode(&c, name, &sfx) == -EBADMSG);
}

static void test_nbss(void)
{
	struct wbuf w;
	wbuf_init(&w, 0);
	check_encoded(nbss_session_req_encode(&w, "FILESRV", "MYCLIENT"), &w, "nbss_session_req_smbclient.hex");
	wbuf_init(&w, 0);
	CHECK(nbss_session_req_encode(&w, "", "X") == -EINVAL);
	CHECK(nbss_keepalive_encode(&w) == 0 && w.len == 4 && memcmp(w.p, "\x85\0\0\0", 4) == 0);
	wbuf_free(&w);

	struct nbss_session_rsp r;
	size_t n;
	uint8_t *p = tap_load_hex("nbss_positive_rsp.hex", &n);
	CHECK(nbss_session_rsp_decode(p, n, &r) == 0 && r.type == NBSS_POSITIVE_RSP);
	sweep("nbss_rsp", p, n);
	free(p);
	p = tap_load_hex("nbss_negative_rsp.hex", &n);
	CHECK(nbss_session_rsp_decode(p, n, &r) == 0 && r.type == NBSS_NEGATIVE_RSP &&
	      r.error == NBSS_ERR_CALLED_NOT_PRESENT);
	CHECK(nbss_session_rsp_decode(p, n - 1, &r) == -EBADMSG && r.type == 0);
	sweep("nbss_rsp", p, n);
	free(p);
	p = tap_load_hex("nbss_retarget_rsp.hex", &n);
	CHECK(nbss_session_rsp_decode(p, n, &r) == 0 && r.type == NBSS_RETARGET_RSP && r.retarget_port == 139 &&
	      memcmp(r.retarget_ip, "\x7f\0\0\x02", 4) == 0);
	sweep("nbss_rsp", p, n);
	free(p);
	/* A session message is not an answer to a SESSION REQUEST; nor is a length past the frame. */
	static const uint8_t msg[] = {0x00, 0x00, 0x00, 0x00};
	CHECK(nbss_session_rsp_decode(msg, sizeof(msg), &r) == -EBADMSG);
	static const uint8_t longer[] = {0x82, 0x00, 0x00, 0x04};
	CHECK(nbss_session_rsp_decode(longer, sizeof(longer), &r) == -EBADMSG);

	uint8_t t;
	uint32_t len;
	static const uint8_t ext[] = {0x00, 0x01, 0xff, 0xff};
	CHECK(nbss_hdr_decode(ext, 4, &t, &len) == 0 && t == 0 && len == 0x1ffff);
	static const uint8_t badflags[] = {0x00, 0x02, 0x00, 0x00};
	CHECK(nbss_hdr_decode(badflags, 4, &t, &len) == -EBADMSG);
}

static void test_nbns_requests(void)
{
	struct wbuf w;
	wbuf_init(&w, 0);
	check_encoded(nbns_name_query_encode(&w, 0x4914, "fred", 0x00, true), &w, "nbns_query_req_nmblookup_bcast.hex");
	wbuf_init(&w, 0);
	check_encoded(nbns_node_status_encode(&w, 0x623d), &w, "nbns_status_req_nmblookup.hex");
	wbuf_init(&w, 0);
	CHECK(nbns_name_query_encode(&w, 1, "*", 0, false) == -EINVAL);
	CHECK(nbns_name_query_encode(&w, 1, "X", 0, false) == 0 && w.len == 50 && w.p[2] == 0x01 && w.p[3] == 0x00);
	wbuf_free(&w);
}

static void test_nbns_responses(void)
{
	struct nbns_name_rsp q;
	struct nbns_status_rsp s;
	size_t n;
	uint8_t *p = tap_load_hex("nbns_query_rsp_nmbd.hex", &n);
	CHECK(nbns_name_query_rsp_decode(p, n, &q) == 0);
	CHECK(q.trn_id == 0x6e8e && q.rcode == 0 && strcmp(q.name, "FILESRV") == 0 && q.suffix == 0);
	CHECK(q.ttl == 259200 && q.naddrs == 1 && memcmp(q.addrs[0].ip, "\x0a\xe7\x07\x01", 4) == 0);
	/* The same bytes are not a node status response. */
	CHECK(nbns_node_status_rsp_decode(p, n, &s) == -EPROTO);
	sweep("nbns_query", p, n);
	sweep("nbns_status", p, n);
	free(p);

	p = tap_load_hex("nbns_query_rsp_negative.hex", &n);
	CHECK(nbns_name_query_rsp_decode(p, n, &q) == 0 && q.rcode == NBNS_RCODE_NAM_ERR && q.naddrs == 0);
	sweep("nbns_query", p, n);
	free(p);

	p = tap_load_hex("nbns_status_rsp_nmbd.hex", &n);
	CHECK(nbns_node_status_rsp_decode(p, n, &s) == 0 && s.trn_id == 0x7309 && s.nnames == 5);
	CHECK(strcmp(s.names[2].name, "FILESRV") == 0 && s.names[2].suffix == 0x20 && !(s.names[2].flags & 0x8000));
	CHECK(strcmp(s.names[4].name, "TESTGRP") == 0 && s.names[4].suffix == 0x1e &&
	      (s.names[4].flags & NBNS_NAME_GROUP));
	CHECK(s.has_unit_id);
	CHECK(nbns_name_query_rsp_decode(p, n, &q) == -EPROTO);
	sweep("nbns_status", p, n);
	sweep("nbns_query", p, n);
	/* NUM_NAMES larger than RDATA holds. */
	uint8_t *t = malloc(n);
	memcpy(t, p, n);
	t[56] = 9;
	CHECK(nbns_node_status_rsp_decode(t, n, &s) == -EBADMSG && s.nnames == 0);
	free(t);
	free(p);

	/* A request (the R bit clear) is never taken for an answer. */
	p = tap_load_hex("nbns_status_req_nmblookup.hex", &n);
	CHECK(nbns_node_status_rsp_decode(p, n, &s) == -EPROTO);
	free(p);
	/* A registration carries a compression pointer back to its question's name. */
	p = tap_load_hex("nbns_register_nmbd_ptr.hex", &n);
	struct cur c;
	char name[NB_NAME_MAX + 1];
	uint8_t sfx;
	cur_init(&c, p, n);
	cur_seek(&c, 50);
	CHECK(nb_name_decode(&c, name, &sfx) == 0 && strcmp(name, "TESTGRP") == 0 && sfx == 0x1d && c.pos == 52);
	CHECK(nbns_name_query_rsp_decode(p, n, &q) == -EPROTO);
	sweep("nb_name", p, n);
	free(p);
}

int main(void)
{
	test_names();
	test_nbss();
	test_nbns_requests();
	test_nbns_responses();
	return tap_done();
}
