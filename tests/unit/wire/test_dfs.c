/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * MS-DFSC referral codecs (dfs.h): our request is byte-identical to smbclient's; Samba's v3 root referral
 * decodes to its strings; entries of versions 1, 2 and 4 and a v3 name list built from the spec's layouts
 * (2.2.5.1-2.2.5.4) decode; hostile answers (strings before their entry or past the end, no terminator,
 * mixed versions, a Size that lies, too many entries) are refused; every truncation and bit flip stays
 * inside the buffer.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "smbfuse/dfs.h"
#include "wire_test.h"

static bool utf16_is(const uint8_t *p, size_t n, const char *s)
{
	if (!p || n != 2 * strlen(s))
		return false;
	for (size_t i = 0; s[i]; i++)
		if (p[2 * i] != (uint8_t)s[i] || p[2 * i + 1] != 0)
			return false;
	return true;
}

static void put_str(struct wbuf *w, const char *s)
{
	wbuf_utf16(w, s, strlen(s));
	wbuf_u16(w, 0);
}

static void test_request(void)
{
	size_t n;
	uint8_t *want = tap_load_hex("dfs_root_req_smbclient.hex", &n);
	struct wbuf w;
	wbuf_init(&w, 0);
	CHECK(dfs_referral_req_encode(&w, 3, "\\127.0.0.1\\dfsroot", 18) == 0);
	CHECK(w.len == n && memcmp(w.p, want, n) == 0);
	wbuf_reset(&w);
	CHECK(dfs_referral_req_encode(&w, 4, "\\a", 2) == 0 && w.len == 2 + 6 && w.p[0] == 4);
	wbuf_reset(&w);
	CHECK(dfs_referral_req_encode(&w, 5, "\\a", 2) == -EINVAL);
	CHECK(dfs_referral_req_encode(&w, 0, "\\a", 2) == -EINVAL);
	CHECK(dfs_referral_req_encode(&w, 4, "", 0) == -EINVAL);
	wbuf_reset(&w);
	CHECK(dfs_referral_req_encode(&w, 4, "\xff", 1) != 0);
	wbuf_free(&w);
	free(want);
}

static void test_samba(void)
{
	size_t n;
	uint8_t *p = tap_load_hex("dfs_root_rsp_samba.hex", &n);
	struct dfs_referral_rsp r;
	struct dfs_referral_entry e[2];
	CHECK(dfs_referral_rsp_decode(p, n, &r, e, 2) == 0);
	CHECK(r.path_consumed == 36 && r.count == 1 && r.flags == (DFS_HDR_REFERRAL_SERVERS | DFS_HDR_STORAGE_SERVERS));
	CHECK(e[0].version == 3 && e[0].server_type == DFS_SERVER_ROOT && e[0].ttl == 600 && e[0].flags == 0);
	CHECK(utf16_is(e[0].dfs_path, e[0].dfs_path_len, "\\127.0.0.1\\dfsroot"));
	CHECK(utf16_is(e[0].alt_path, e[0].alt_path_len, "\\127.0.0.1\\dfsroot"));
	CHECK(utf16_is(e[0].target, e[0].target_len, "\\127.0.0.1\\dfsroot"));
	/* The header alone. */
	CHECK(dfs_referral_rsp_decode(p, n, &r, NULL, 0) == 0 && r.count == 1);
	/* Hostile: the node offset one unit before the end leaves no terminator; offsets past the end. */
	uint8_t *q = malloc(n);
	memcpy(q, p, n);
	q[8 + 16] = (uint8_t)(n - 8 - 2 + 1);
	q[8 + 17] = 0;
	CHECK(dfs_referral_rsp_decode(q, n, &r, e, 2) == -EBADMSG);
	memcpy(q, p, n);
	q[8 + 12] = 0xff, q[8 + 13] = 0xff;
	CHECK(dfs_referral_rsp_decode(q, n, &r, e, 2) == -EBADMSG);
	/* A Size shorter than the fixed part, or past the end; a version of 5; an odd PathConsumed. */
	memcpy(q, p, n);
	q[8 + 2] = 17;
	CHECK(dfs_referral_rsp_decode(q, n, &r, e, 2) == -EBADMSG);
	q[8 + 2] = 0xff, q[8 + 3] = 0xff;
	CHECK(dfs_referral_rsp_decode(q, n, &r, e, 2) == -EBADMSG);
	memcpy(q, p, n);
	q[8] = 5;
	CHECK(dfs_referral_rsp_decode(q, n, &r, e, 2) == -EBADMSG);
	memcpy(q, p, n);
	q[0] = 35;
	CHECK(dfs_referral_rsp_decode(q, n, &r, e, 2) == -EBADMSG);
	/* Two entries announced, one present: the second would be read from the strings and fails. */
	memcpy(q, p, n);
	q[2] = 2;
	CHECK(dfs_referral_rsp_decode(q, n, &r, e, 2) == -EBADMSG);
	memcpy(q, p, n);
	q[2] = DFS_MAX_ENTRIES + 1;
	CHECK(dfs_referral_rsp_decode(q, n, &r, e, 2) == -EBADMSG);
	for (size_t k = 0; k < n; k++)
		CHECK(dfs_referral_rsp_decode(p, k, &r, e, 2) != 0);
	wt_sweep("dfs", p, n);
	free(q);
	free(p);
}

/* Samba's referral for a link with two targets: entry-relative offsets into one string buffer. */
static void test_samba_link(void)
{
	size_t n;
	uint8_t *p = tap_load_hex("dfs_link_rsp_samba.hex", &n);
	struct dfs_referral_rsp r;
	struct dfs_referral_entry e[2];
	CHECK(dfs_referral_rsp_decode(p, n, &r, e, 2) == 0);
	CHECK(r.path_consumed == 2 * 22 && r.count == 2 && r.flags == DFS_HDR_STORAGE_SERVERS);
	CHECK(e[0].version == 3 && e[1].version == 3 && e[0].server_type == DFS_SERVER_NON_ROOT && e[1].ttl == 600);
	CHECK(utf16_is(e[0].dfs_path, e[0].dfs_path_len, "\\127.0.0.1\\dfsroot\\two"));
	CHECK(utf16_is(e[0].target, e[0].target_len, "\\127.0.0.9\\share2"));
	CHECK(utf16_is(e[1].target, e[1].target_len, "\\127.0.0.2\\share2"));
	wt_sweep("dfs", p, n);
	free(p);
}

/* Two link targets as Windows sends them (2.2.5.4, v4, the strings after both entries; the first target
 * starts the target set), and a v3 entry without its ServiceSiteGuid as Samba 4.x may size it. */
static void test_v4_two_targets(void)
{
	struct wbuf w;
	wbuf_init(&w, 0);
	wbuf_u16(&w, 2 * 14); /* "\\srv\\dfs\\link" consumed */
	wbuf_u16(&w, 2);
	wbuf_u32(&w, DFS_HDR_STORAGE_SERVERS);
	size_t e0 = w.len;
	/* entry 0: v4, Size 34, non-root, TargetSetBoundary, TTL 300, offsets to fill */
	wbuf_u16(&w, 4), wbuf_u16(&w, 34), wbuf_u16(&w, 0), wbuf_u16(&w, DFS_ENTRY_TARGET_SET_BOUNDARY);
	wbuf_u32(&w, 300);
	size_t o0 = wbuf_reserve(&w, 6);
	wbuf_zero(&w, 16);
	size_t e1 = w.len;
	wbuf_u16(&w, 4), wbuf_u16(&w, 34), wbuf_u16(&w, 0), wbuf_u16(&w, 0);
	wbuf_u32(&w, 300);
	size_t o1 = wbuf_reserve(&w, 6);
	wbuf_zero(&w, 16);
	size_t path = w.len;
	put_str(&w, "\\srv\\dfs\\link");
	size_t t0 = w.len;
	put_str(&w, "\\a\\s1");
	size_t t1 = w.len;
	put_str(&w, "\\b\\s2\\dir");
	wbuf_set_u16(&w, o0, (uint16_t)(path - e0));
	wbuf_set_u16(&w, o0 + 2, (uint16_t)(path - e0));
	wbuf_set_u16(&w, o0 + 4, (uint16_t)(t0 - e0));
	wbuf_set_u16(&w, o1, (uint16_t)(path - e1));
	wbuf_set_u16(&w, o1 + 2, 0); /* no alternate path */
	wbuf_set_u16(&w, o1 + 4, (uint16_t)(t1 - e1));
	CHECK(wbuf_err(&w) == 0);
	struct dfs_referral_rsp r;
	struct dfs_referral_entry e[2];
	CHECK(dfs_referral_rsp_decode(w.p, w.len, &r, e, 2) == 0 && r.count == 2 && r.path_consumed == 28);
	CHECK(e[0].version == 4 && e[0].ttl == 300 && (e[0].flags & DFS_ENTRY_TARGET_SET_BOUNDARY));
	CHECK(utf16_is(e[0].target, e[0].target_len, "\\a\\s1") && utf16_is(e[1].target, e[1].target_len, "\\b\\s2\\dir"));
	CHECK(utf16_is(e[1].dfs_path, e[1].dfs_path_len, "\\srv\\dfs\\link") && e[1].alt_path == NULL);
	/* Only the first entry asked for: the second is still checked. */
	CHECK(dfs_referral_rsp_decode(w.p, w.len, &r, e, 1) == 0);
	w.p[e1] = 3;
	CHECK(dfs_referral_rsp_decode(w.p, w.len, &r, e, 2) == -EBADMSG); /* versions differ */
	w.p[e1] = 4;
	/* A string may not start inside its entry's fixed part (offset 0 would read the entry as a name). */
	wbuf_set_u16(&w, o1, 0);
	CHECK(dfs_referral_rsp_decode(w.p, w.len, &r, e, 2) == -EBADMSG);
	wt_sweep("dfs", w.p, w.len);
	wbuf_free(&w);
}

static void test_v1_v2(void)
{
	struct wbuf w;
	wbuf_init(&w, 0);
	/* v1 (2.2.5.1): ShareName inside the entry. */
	wbuf_u16(&w, 10), wbuf_u16(&w, 1), wbuf_u32(&w, DFS_HDR_STORAGE_SERVERS);
	wbuf_u16(&w, 1), wbuf_u16(&w, (uint16_t)(8 + 2 * 9)), wbuf_u16(&w, 0), wbuf_u16(&w, 0);
	put_str(&w, "\\h\\share");
	struct dfs_referral_rsp r;
	struct dfs_referral_entry e[1];
	CHECK(dfs_referral_rsp_decode(w.p, w.len, &r, e, 1) == 0 && e[0].version == 1 && e[0].ttl == 0);
	CHECK(utf16_is(e[0].target, e[0].target_len, "\\h\\share"));
	/* The ShareName must end inside the entry's Size. */
	w.p[8 + 2] = 8 + 2 * 4;
	CHECK(dfs_referral_rsp_decode(w.p, w.len, &r, e, 1) == -EBADMSG);
	wt_sweep("dfs", w.p, w.len);
	wbuf_reset(&w);
	/* v2 (2.2.5.2): Proximity, TimeToLive, three offsets, Size 22. */
	wbuf_u16(&w, 10), wbuf_u16(&w, 1), wbuf_u32(&w, 0);
	wbuf_u16(&w, 2), wbuf_u16(&w, 22), wbuf_u16(&w, 1), wbuf_u16(&w, 0);
	wbuf_u32(&w, 0), wbuf_u32(&w, 1800);
	wbuf_u16(&w, 22), wbuf_u16(&w, 22), wbuf_u16(&w, 22 + 14);
	put_str(&w, "\\h\\r\\x");
	put_str(&w, "\\t\\s");
	CHECK(dfs_referral_rsp_decode(w.p, w.len, &r, e, 1) == 0 && e[0].version == 2 && e[0].ttl == 1800);
	CHECK(e[0].server_type == DFS_SERVER_ROOT && utf16_is(e[0].target, e[0].target_len, "\\t\\s"));
	CHECK(utf16_is(e[0].dfs_path, e[0].dfs_path_len, "\\h\\r\\x"));
	wt_sweep("dfs", w.p, w.len);
	wbuf_free(&w);
}

/* A v3 name list (2.2.5.3.2), what a DC answers a domain referral with. */
static void test_name_list(void)
{
	struct wbuf w;
	wbuf_init(&w, 0);
	wbuf_u16(&w, 0), wbuf_u16(&w, 1), wbuf_u32(&w, 0);
	wbuf_u16(&w, 3), wbuf_u16(&w, 18), wbuf_u16(&w, 0), wbuf_u16(&w, DFS_ENTRY_NAME_LIST);
	wbuf_u32(&w, 600);
	wbuf_u16(&w, 18), wbuf_u16(&w, 2), wbuf_u16(&w, 18 + 16);
	put_str(&w, "\\CORP\\x");
	put_str(&w, "\\dc1");
	put_str(&w, "\\dc2");
	struct dfs_referral_rsp r;
	struct dfs_referral_entry e[1];
	CHECK(dfs_referral_rsp_decode(w.p, w.len, &r, e, 1) == 0 && e[0].nexpanded == 2);
	CHECK(utf16_is(e[0].special, e[0].special_len, "\\CORP\\x") && e[0].target == NULL);
	size_t off = 0, len;
	const uint8_t *name;
	CHECK(dfs_next_name(e[0].expanded, e[0].expanded_len, &off, &name, &len) == 1 && utf16_is(name, len, "\\dc1"));
	CHECK(dfs_next_name(e[0].expanded, e[0].expanded_len, &off, &name, &len) == 1 && utf16_is(name, len, "\\dc2"));
	CHECK(dfs_next_name(e[0].expanded, e[0].expanded_len, &off, &name, &len) == 0);
	/* Three names announced, two present. */
	w.p[8 + 14] = 3;
	CHECK(dfs_referral_rsp_decode(w.p, w.len, &r, e, 1) == -EBADMSG);
	w.p[8 + 14] = 2;
	wt_sweep("dfs", w.p, w.len);
	wbuf_free(&w);
}

int main(void)
{
	test_request();
	test_samba();
	test_samba_link();
	test_v4_two_targets();
	test_v1_v2();
	test_name_list();
	return tap_done();
}
