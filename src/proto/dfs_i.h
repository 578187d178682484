/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Private to src/proto: DFS (MS-DFSC). A mount source inside a DFS namespace is resolved to a target share
 * at mount time (dfs_mount.c), through referrals asked of a struct dfs_ipc; dfs_mount.c never sees a wire
 * message. Design note: doc/DFS.md.
 */
#ifndef SMBFUSE_DFS_I_H
#define SMBFUSE_DFS_I_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "smbfuse/ops.h"

#define DFS_REF_MAX 8 /* targets of one referral we keep (a namespace rarely has more than a few) */

/* One referral, as the router uses it. Paths are UTF-8 with '\\' separators and one leading '\\'. */
struct dfs_ref {
	size_t consumed; /* bytes of the requested path the referral covers: whole components */
	uint32_t ttl;	 /* seconds the referral may be cached */
	bool root;	 /* ReferralServers: the targets are namespace roots, not storage */
	unsigned n;
	char *targets[DFS_REF_MAX]; /* "\\server\\share[\\path]", in the server's order of preference */
};
void dfs_ref_free(struct dfs_ref *r);

/*
 * dfs_ref.c: the referral of a RESP_GET_DFS_REFERRAL p[0..n) answering a request for path (UTF-8),
 * whichever dialect carried it. -EPROTO (logged) for an answer that does not decode, covers no whole
 * component of path, or has no usable target; -EOPNOTSUPP for a domain or DC referral (name lists: a
 * domain-based namespace, which needs its domain controllers).
 */
int dfs_ref_from_rsp(const char *path, const uint8_t *p, size_t n, struct dfs_ref *out);

/* A server's referral service: a session on its IPC$ (smb2_dfs.c), opened once and kept. */
struct dfs_ipc;
/* cfg names the server (host, port, address) and the credentials; errors as smb_client_new's. */
int dfs_ipc_open(const struct smb_client_cfg *cfg, struct dfs_ipc **out, char *errbuf, size_t errlen);
void dfs_ipc_free(struct dfs_ipc *ipc);
/* FSCTL_DFS_GET_REFERRALS for path ("\\server\\share\\..."): 0 and *out filled (dfs_ref_free), or a
 * negative errno (-ENOENT: the server has no referral for it). Thread-safe. */
int dfs_ipc_referral(struct dfs_ipc *ipc, const char *path, struct dfs_ref *out);

/* dfs_mount.c: cfg's share root or subdir answered STATUS_PATH_NOT_COVERED (-EREMOTE): resolve the
 * source through referrals and connect the first target that answers (depth: referrals followed so far).
 * Returns as smb_client_new. */
int dfs_mount_resolve(const struct smb_client_cfg *cfg, int depth, struct smb_client **out, char *errbuf,
		      size_t errlen);

/* client.c: smb_client_new, dfs_depth referrals deep. */
int proto_client_new(const struct smb_client_cfg *cfg, int dfs_depth, struct smb_client **out, char *errbuf,
		     size_t errlen);

#endif
