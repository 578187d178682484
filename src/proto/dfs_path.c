/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dfs_path.c - the pure half of the DFS router (contract: dfs_i.h): path prefixes, the target of a
 * referral taken apart, and the link table with its TTLs. No sockets, no locks: the router (dfs_router.c)
 * holds its lock around these, and the unit tests call them directly with hostile inputs.
 *
 * Paths here are the mount's ('/'-separated, relative to the mount root, "" for the root). Components
 * compare ASCII-case-insensitively, as the server compares names: "LINK/x" is below the link "link". A
 * name that differs only in the case of a non-ASCII letter does not match; the server then answers
 * STATUS_PATH_NOT_COVERED again and the link gets a second entry, which costs a referral but no
 * correctness.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dfs_i.h"

size_t dfs_path_ncomp(const char *p, char sep)
{
	size_t n = 0;
	for (; *p; p++)
		if (*p != sep && (p[1] == sep || !p[1]))
			n++;
	return n;
}

const char *dfs_path_under(const char *path, const char *link)
{
	size_t l = strlen(link);
	if (!l)
		return path;
	if (strncasecmp(path, link, l) != 0 || (path[l] && path[l] != '/'))
		return NULL;
	return path + l;
}

char *dfs_path_join(const char *a, const char *rest)
{
	while (*rest == '/')
		rest++;
	size_t la = strlen(a), lr = strlen(rest);
	char *s = malloc(la + lr + 2);
	if (!s)
		return NULL;
	memcpy(s, a, la);
	size_t o = la;
	if (la && lr)
		s[o++] = '/';
	memcpy(s + o, rest, lr + 1);
	return s;
}

/* The byte length of the first k components of p (sep-separated), leading separators included. */
static size_t head_len(const char *p, char sep, size_t k)
{
	size_t i = 0;
	while (k && p[i]) {
		while (p[i] == sep)
			i++;
		while (p[i] && p[i] != sep)
			i++;
		k--;
	}
	return i;
}

int dfs_link_of_ref(const char *path, const char *outer, const char *inner, size_t skip, const char *req,
		    size_t consumed, char **out)
{
	*out = NULL;
	const char *rest = dfs_path_under(path, outer);
	size_t rlen = strlen(req);
	if (!rest || consumed > rlen || (req[consumed] && req[consumed] != '\\'))
		return -EPROTO;
	char *head = strndup(req, consumed);
	if (!head)
		return -ENOMEM;
	size_t k = dfs_path_ncomp(head, '\\');
	free(head);
	/* The link must lie strictly below what the route already maps (else the server contradicts the
	 * answer that brought us here, or loops), and within the path asked for. */
	size_t ni = dfs_path_ncomp(inner, '/'), nr = dfs_path_ncomp(rest, '/');
	if (k < skip + ni + 1 || k > skip + ni + nr)
		return -EPROTO;
	size_t keep = head_len(path, '/', dfs_path_ncomp(outer, '/') + (k - skip - ni));
	return (*out = strndup(path, keep)) ? 0 : -ENOMEM;
}

/* A component the router must not hand on: "." and ".." would move a target path outside itself. */
static bool dot_name(const char *s, size_t n)
{
	return (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.');
}

int dfs_target_split(const char *t, struct dfs_target *out)
{
	memset(out, 0, sizeof(*out));
	if (t[0] != '\\')
		return -EPROTO;
	size_t hl = strcspn(t + 1, "\\");
	const char *sh = t + 1 + hl;
	if (!hl || *sh != '\\' || dot_name(t + 1, hl))
		return -EPROTO;
	size_t sl = strcspn(sh + 1, "\\");
	if (!sl || dot_name(sh + 1, sl))
		return -EPROTO;
	const char *p = sh + 1 + sl;
	if (!(out->host = strndup(t + 1, hl)) || !(out->share = strndup(sh + 1, sl)) ||
	    !(out->path = malloc(strlen(p) + 1))) {
		dfs_target_free(out);
		return -ENOMEM;
	}
	size_t o = 0;
	for (const char *q = p; *q;) {
		while (*q == '\\')
			q++;
		size_t n = strcspn(q, "\\");
		if (!n)
			break;
		if (dot_name(q, n) || memchr(q, '/', n)) {
			dfs_target_free(out);
			return -EPROTO;
		}
		if (o)
			out->path[o++] = '/';
		memcpy(out->path + o, q, n);
		o += n;
		q += n;
	}
	out->path[o] = '\0';
	return 0;
}

void dfs_target_free(struct dfs_target *t)
{
	free(t->host);
	free(t->share);
	free(t->path);
	memset(t, 0, sizeof(*t));
}

void dfs_link_free(struct dfs_link *l)
{
	if (!l)
		return;
	free(l->outer);
	free(l->inner);
	free(l);
}

/* Whether the entry for outer o covers path p. */
static bool covers(const struct dfs_link *l, const char *p)
{
	return dfs_path_under(p, l->outer) != NULL;
}

const struct dfs_link *dfs_table_match(const struct dfs_table *t, const char *path, uint64_t now)
{
	/* The longest covering entry, unless a shorter covering one has expired: a link found through an
	 * expired one may no longer exist where it was, so the route stops above the expired one. */
	size_t expired = SIZE_MAX;
	for (unsigned i = 0; i < t->n; i++) {
		const struct dfs_link *l = t->v[i];
		size_t d = dfs_path_ncomp(l->outer, '/');
		if (l->expires && l->expires <= now && d < expired && covers(l, path))
			expired = d;
	}
	const struct dfs_link *best = NULL;
	size_t bd = 0;
	for (unsigned i = 0; i < t->n; i++) {
		const struct dfs_link *l = t->v[i];
		size_t d = dfs_path_ncomp(l->outer, '/');
		if (d < expired && (!best || d > bd) && covers(l, path)) {
			best = l;
			bd = d;
		}
	}
	return best;
}

int dfs_table_put(struct dfs_table *t, struct dfs_link *l)
{
	/* A link found again replaces its old entry, and the links found through the old one go with it. */
	unsigned j = 0;
	for (unsigned i = 0; i < t->n; i++) {
		if (*t->v[i]->outer && dfs_path_under(t->v[i]->outer, l->outer))
			dfs_link_free(t->v[i]);
		else
			t->v[j++] = t->v[i];
	}
	t->n = j;
	if (t->n == DFS_LINKS_MAX) {
		dfs_link_free(l);
		return -ENOSPC;
	}
	t->v[t->n++] = l;
	return 0;
}

void dfs_table_clear(struct dfs_table *t)
{
	for (unsigned i = 0; i < t->n; i++)
		dfs_link_free(t->v[i]);
	t->n = 0;
}
