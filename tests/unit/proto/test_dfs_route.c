/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The pure half of the DFS router (src/proto/dfs_path.c) and the referral decoding it relies on
 * (dfs_ref.c), with hostile inputs: prefixes compared by whole components, a referral whose link is not
 * below the route it came through (a loop or a lie) or beyond the path, targets with "." / ".." or no
 * share, empty target lists, and the link table's TTLs (an expired link hides the links found through it,
 * a link found again replaces them).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "../../../src/proto/dfs_i.h"
#include "smbfuse/cursor.h"
#include "smbfuse/dfs.h"

static void test_under_join(void)
{
	CHECK(!strcmp(dfs_path_under("link/x", "link"), "/x"));
	CHECK(!strcmp(dfs_path_under("LINK/x/y", "link"), "/x/y")); /* the server's names ignore case */
	CHECK(!strcmp(dfs_path_under("link", "link"), ""));
	CHECK(dfs_path_under("linker/x", "link") == NULL); /* a whole component, not a prefix of one */
	CHECK(dfs_path_under("lin", "link") == NULL);
	CHECK(!strcmp(dfs_path_under("a/b", ""), "a/b")); /* the root's route covers all */
	CHECK(dfs_path_ncomp("\\h\\s\\a", '\\') == 3 && dfs_path_ncomp("", '/') == 0 && dfs_path_ncomp("a//b/", '/') == 2);
	char *j = dfs_path_join("t/u", "/x");
	CHECK(j && !strcmp(j, "t/u/x"));
	free(j);
	j = dfs_path_join("", "/x/y");
	CHECK(j && !strcmp(j, "x/y"));
	free(j);
	j = dfs_path_join("t", "");
	CHECK(j && !strcmp(j, "t"));
	free(j);
}

static int link_of(const char *path, const char *outer, const char *inner, size_t skip, const char *req,
		   const char *covered, char **out)
{
	return dfs_link_of_ref(path, outer, inner, skip, req, strlen(covered), out);
}

static void test_link_of_ref(void)
{
	char *l = NULL;
	/* Through the root's route: the link is the first component. */
	CHECK(link_of("link/sub/f", "", "", 2, "\\h\\s\\link\\sub\\f", "\\h\\s\\link", &l) == 0 && l &&
	      !strcmp(l, "link"));
	free(l);
	/* A root mounted at a subdir (skip 3), the link two components down. */
	CHECK(link_of("a/lnk/f", "", "", 3, "\\h\\s\\d\\a\\lnk\\f", "\\h\\s\\d\\a\\lnk", &l) == 0 && l &&
	      !strcmp(l, "a/lnk"));
	free(l);
	/* Through a link's route (outer "a" is "t/u" on the target): a link deeper in the target. */
	CHECK(link_of("a/b/deep/y", "a", "t/u", 2, "\\h2\\s2\\t\\u\\b\\deep\\y", "\\h2\\s2\\t\\u\\b\\deep", &l) == 0 &&
	      l && !strcmp(l, "a/b/deep"));
	free(l);
	/* Hostile: half a name; the share root itself; at or above the route's own inner path (a loop); past
	 * the path; a path the route does not cover; PathConsumed past the request. */
	CHECK(link_of("link/sub", "", "", 2, "\\h\\s\\link\\sub", "\\h\\s\\li", &l) == -EPROTO && !l);
	CHECK(link_of("link/sub", "", "", 2, "\\h\\s\\link\\sub", "\\h\\s", &l) == -EPROTO && !l);
	CHECK(link_of("a/b", "a", "t/u", 2, "\\h2\\s2\\t\\u\\b", "\\h2\\s2\\t\\u", &l) == -EPROTO && !l);
	CHECK(link_of("a/b", "a", "t/u", 2, "\\h2\\s2\\t\\u\\b", "\\h2\\s2\\t", &l) == -EPROTO && !l);
	CHECK(link_of("x/y", "a", "t", 2, "\\h2\\s2\\t\\y", "\\h2\\s2\\t\\y", &l) == -EPROTO && !l);
	CHECK(dfs_link_of_ref("link", "", "", 2, "\\h\\s\\link", 40, &l) == -EPROTO && !l);
}

static void test_target_split(void)
{
	struct dfs_target t;
	CHECK(dfs_target_split("\\srv\\share\\a\\b", &t) == 0 && !strcmp(t.host, "srv") && !strcmp(t.share, "share") &&
	      !strcmp(t.path, "a/b"));
	dfs_target_free(&t);
	CHECK(dfs_target_split("\\srv\\share\\", &t) == 0 && !strcmp(t.path, ""));
	dfs_target_free(&t);
	CHECK(dfs_target_split("\\srv\\share", &t) == 0 && !strcmp(t.path, ""));
	dfs_target_free(&t);
	const char *bad[] = {"", "srv\\share", "\\srv", "\\srv\\", "\\\\share", "\\..\\share", "\\srv\\..",
			     "\\srv\\share\\..\\x", "\\srv\\share\\a\\.", "\\srv\\share\\a/b"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(dfs_target_split(bad[i], &t) == -EPROTO && !t.host && !t.path);
	}
}

static struct dfs_link *mk(const char *outer, const char *inner, uint64_t expires, unsigned tag)
{
	struct dfs_link *l = calloc(1, sizeof(*l));
	l->outer = strdup(outer);
	l->inner = strdup(inner);
	l->expires = expires;
	l->tag = tag;
	return l;
}

static void test_table(void)
{
	static struct dfs_table t;
	CHECK(dfs_table_put(&t, mk("", "", 0, 0)) == 0);
	CHECK(dfs_table_put(&t, mk("link", "", 100, 1)) == 0);
	CHECK(dfs_table_put(&t, mk("link/sub/deep", "x", 200, 2)) == 0);
	CHECK(dfs_table_match(&t, "rootfile", 50)->tag == 0);
	CHECK(dfs_table_match(&t, "link/f", 50)->tag == 1);
	CHECK(dfs_table_match(&t, "Link/sub/deep/f", 50)->tag == 2);
	CHECK(dfs_table_match(&t, "linkx/f", 50)->tag == 0);
	/* The TTL of "link" ends: it and the link found through it go back to the root's route. */
	CHECK(dfs_table_match(&t, "link/f", 100)->tag == 0);
	CHECK(dfs_table_match(&t, "link/sub/deep/f", 150)->tag == 0);
	/* Found again: the new entry replaces the old and what was found through it. */
	CHECK(dfs_table_put(&t, mk("LINK", "t", 300, 3)) == 0);
	CHECK(t.n == 2 && dfs_table_match(&t, "link/sub/deep/f", 150)->tag == 3);
	/* Full: refused, the entry freed (ASan would see a leak otherwise). */
	char name[16];
	int rc = 0;
	for (unsigned i = 0; i < DFS_LINKS_MAX && rc == 0; i++) {
		snprintf(name, sizeof(name), "l%u", i);
		rc = dfs_table_put(&t, mk(name, "", 1000, 4));
	}
	CHECK(rc == -ENOSPC && t.n == DFS_LINKS_MAX);
	dfs_table_clear(&t);
	CHECK(t.n == 0);
}

/* A v3 referral header with count entries, each naming target. */
static void referral(struct wbuf *w, const char *path, unsigned count, const char *target)
{
	wbuf_reset(w);
	wbuf_u16(w, (uint16_t)(2 * strlen(path))), wbuf_u16(w, (uint16_t)count), wbuf_u32(w, DFS_HDR_STORAGE_SERVERS);
	size_t pl = 2 * strlen(path) + 2;
	for (unsigned i = 0; i < count; i++) {
		/* offsets from this entry: the strings come after all entries */
		uint16_t rest = (uint16_t)(34 * (count - i));
		wbuf_u16(w, 3), wbuf_u16(w, 34), wbuf_u16(w, 0), wbuf_u16(w, 0);
		wbuf_u32(w, 300);
		wbuf_u16(w, rest), wbuf_u16(w, 0), wbuf_u16(w, (uint16_t)(rest + pl));
		wbuf_zero(w, 16);
	}
	wbuf_utf16(w, path, strlen(path)), wbuf_u16(w, 0);
	wbuf_utf16(w, target, strlen(target)), wbuf_u16(w, 0);
}

static void test_ref_targets(void)
{
	struct wbuf w;
	struct dfs_ref r;
	const char *p = "\\h\\s\\link";
	wbuf_init(&w, 0);
	referral(&w, p, 2, "\\t\\share2");
	CHECK(dfs_ref_from_rsp(p, w.p, w.len, &r) == 0 && r.n == 2 && r.ttl == 300 && r.consumed == strlen(p));
	dfs_ref_free(&r);
	/* No entries, and entries whose only target names no share: nothing to route to. */
	referral(&w, p, 0, "\\t\\share2");
	CHECK(dfs_ref_from_rsp(p, w.p, w.len, &r) == -EPROTO && r.n == 0);
	referral(&w, p, 1, "\\t");
	CHECK(dfs_ref_from_rsp(p, w.p, w.len, &r) == -EPROTO && r.n == 0);
	wbuf_free(&w);
}

int main(void)
{
	test_under_join();
	test_link_of_ref();
	test_target_split();
	test_table();
	test_ref_targets();
	return tap_done();
}
