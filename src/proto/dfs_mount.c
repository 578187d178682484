/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dfs_mount.c - a mount source inside a DFS namespace (contract: dfs_i.h).
 *
 * smb_client_new connects the source's server and share and stats the subdir. When the server answers
 * STATUS_PATH_NOT_COVERED (the path crosses a DFS link: Samba's `msdfs:` symlinks, Windows' DFS reparse
 * points; smbd answers it whether or not the request carries SMB2_FLAGS_DFS_OPERATIONS), the source is
 * asked for its referral (MS-DFSC 3.1.4.2) and the mount goes to the target instead: its server and share,
 * and as subdir the target's path joined with the part of the source the referral did not consume. The
 * targets are tried in the server's order, the next one when connecting to one fails (MS-DFSC 3.1.5.2
 * "target failover"), and a target may itself be a link (a few levels, then -ELOOP). The referral's TTL
 * does not matter here: it is used once, at mount time, and reconnects go to the target that answered.
 * Links below the mounted directory are the router's (dfs_router.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfs_i.h"
#include "proto_i.h"
#include "smbfuse/log.h"

/* "\\host\\share[\\subdir]" of cfg, subdir's '/' turned into '\\'; NULL without memory. */
static char *source_path(const struct smb_client_cfg *cfg)
{
	const char *sub = cfg->subdir ? cfg->subdir : "";
	while (*sub == '/' || *sub == '\\')
		sub++;
	size_t n = strlen(cfg->host) + strlen(cfg->share) + strlen(sub) + 4;
	char *p = malloc(n);
	if (!p)
		return NULL;
	snprintf(p, n, "\\%s\\%s%s%s", cfg->host, cfg->share, *sub ? "\\" : "", sub);
	for (char *q = p; *q; q++)
		if (*q == '/')
			*q = '\\';
	size_t l = strlen(p);
	while (l > 1 && p[l - 1] == '\\')
		p[--l] = '\0';
	return p;
}

/* Connect target t ("\\server\\share[\\path]") with rest (the unconsumed tail, "" or "\\..."). */
static int try_target(const struct smb_client_cfg *cfg, const char *t, const char *rest, int depth,
		      struct smb_client **out, char *errbuf, size_t errlen)
{
	struct dfs_target tg;
	int rc = dfs_target_split(t, &tg);
	if (rc < 0) {
		if (errbuf)
			snprintf(errbuf, errlen, "DFS target %s holds a \".\" or \"..\" component or a '/'", t);
		return rc;
	}
	char *sub = dfs_path_join(tg.path, rest);
	if (!sub) {
		dfs_target_free(&tg);
		return -ENOMEM;
	}
	for (char *q = sub; *q; q++)
		if (*q == '\\')
			*q = '/';
	const char *sd = sub + strspn(sub, "/"); /* the rest's leading separator */
	struct smb_client_cfg c = *cfg;
	c.host = tg.host;
	c.share = tg.share;
	c.subdir = *sd ? sd : NULL;
	c.addr = NULL; /* ip= named the source's server, not the target's */
	log_info("DFS: \\\\%s\\%s: trying target \\\\%s\\%s%s%s", cfg->host, cfg->share, tg.host, tg.share,
		 *sd ? "\\" : "", sd);
	rc = proto_client_new(&c, depth + 1, out, errbuf, errlen);
	free(sub);
	dfs_target_free(&tg);
	return rc;
}

int dfs_mount_targets(const struct smb_client_cfg *cfg, const struct dfs_ref *ref, const char *what,
		      const char *rest, int depth, struct smb_client **out, char *errbuf, size_t errlen)
{
	int rc = -EHOSTDOWN;
	for (unsigned i = 0; i < ref->n; i++) {
		rc = try_target(cfg, ref->targets[i], rest, depth, out, errbuf, errlen);
		if (rc == 0 || rc == -ENOMEM || rc == -EINTR)
			break;
		if (i + 1 < ref->n)
			log_warn("DFS target \\%s of \\%s failed (%s): trying \\%s", ref->targets[i], what,
				 errbuf && *errbuf ? errbuf : strerror(-rc), ref->targets[i + 1]);
	}
	return rc;
}

int dfs_mount_resolve(const struct smb_client_cfg *cfg, int depth, struct smb_client **out, char *errbuf,
		      size_t errlen)
{
	struct dfs_ipc *ipc = NULL;
	struct dfs_ref ref;
	*out = NULL;
	if (depth >= DFS_DEPTH_MAX) {
		if (errbuf)
			snprintf(errbuf, errlen, "more than %d DFS referrals in a row for \\\\%s\\%s", DFS_DEPTH_MAX,
				 cfg->host, cfg->share);
		return -ELOOP;
	}
	char *path = source_path(cfg);
	if (!path)
		return -ENOMEM;
	int rc = dfs_ipc_open(cfg, &ipc, errbuf, errlen);
	if (rc == 0)
		rc = dfs_ipc_referral(ipc, path, &ref);
	dfs_ipc_free(ipc);
	if (rc < 0) {
		if (errbuf)
			snprintf(errbuf, errlen, "\\%s is a DFS link, but its referral failed: %s", path,
				 rc == -EOPNOTSUPP ? "a domain-based namespace (not supported)" : strerror(-rc));
		free(path);
		return rc;
	}
	rc = dfs_mount_targets(cfg, &ref, path, path + ref.consumed, depth, out, errbuf, errlen);
	dfs_ref_free(&ref);
	free(path);
	return rc;
}
