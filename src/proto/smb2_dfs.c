/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * smb2_dfs.c - DFS referrals over SMB2 (contract: dfs_i.h): FSCTL_DFS_GET_REFERRALS on the server's IPC$
 * tree with FileId all-ones (MS-SMB2 3.2.4.20.3), input REQ_GET_DFS_REFERRAL at level 4 (MS-DFSC 2.2.2).
 * The IPC$ session is one of its own (ipc.c), opened at the first referral and kept for the mount's life:
 * session.c connects one tree per session. A server answers STATUS_BUFFER_OVERFLOW when the referral does
 * not fit (MS-DFSC 3.2.5.1); one larger retry follows. Over SMB1 (vers=1.0, or a server that speaks only
 * that) the session is an SMB1 one and the request TRANS2_GET_DFS_REFERRAL (smb1_dfs.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dfs_i.h"
#include "ipc_i.h"
#include "smbfuse/dfs.h"
#include "smbfuse/err.h"
#include "smbfuse/log.h"
#include "smbfuse/smb1_session.h"

#define REFERRAL_OUT 8192u
#define REFERRAL_OUT_MAX 65536u

struct dfs_ipc {
	struct sess *s;
	struct smb1_sess *s1; /* instead of s over SMB1 */
};

int dfs_ipc_open(const struct smb_client_cfg *cfg, struct dfs_ipc **out, char *errbuf, size_t errlen)
{
	*out = NULL;
	struct dfs_ipc *ipc = calloc(1, sizeof(*ipc));
	if (!ipc)
		return -ENOMEM;
	int rc = ipc_logon(cfg, "follow DFS referrals", &ipc->s, &ipc->s1, errbuf, errlen);
	if (rc < 0) {
		free(ipc);
		return rc;
	}
	*out = ipc;
	return 0;
}

void dfs_ipc_free(struct dfs_ipc *ipc)
{
	if (!ipc)
		return;
	sess_free(ipc->s);
	if (ipc->s1)
		smb1_sess_free(ipc->s1);
	free(ipc);
}

/* FSCTL_DFS_GET_REFERRALS for path, its answer handed to decode (the root/link or the DC decoder). */
static int referral(struct dfs_ipc *ipc, const char *path, dfs_decode_fn *decode, void *out)
{
	struct wbuf in;
	struct conn_msg m = {0};
	const uint8_t *o;
	size_t olen;
	wbuf_init(&in, 0);
	int rc = dfs_referral_req_encode(&in, 4, path, strlen(path));
	for (uint32_t max = REFERRAL_OUT; rc == 0; max = REFERRAL_OUT_MAX) {
		struct smb2_ioctl_req io = {
			.ctl_code = FSCTL_DFS_GET_REFERRALS,
			.fid = {UINT64_MAX, UINT64_MAX},
			.input = in.p,
			.input_len = (uint32_t)in.len,
			.max_output_response = max,
			.flags = SMB2_0_IOCTL_IS_FSCTL,
		};
		free(m.rsp);
		m.rsp = NULL;
		rc = ipc_ioctl(ipc->s, &io, &m, &o, &olen);
		if (rc == 0 || m.rsp_hdr.status != STATUS_BUFFER_OVERFLOW || max == REFERRAL_OUT_MAX)
			break;
	}
	if (rc == 0)
		rc = decode(path, o, olen, out);
	else
		log_dbg("FSCTL_DFS_GET_REFERRALS %s: status 0x%08x, %d", path, m.rsp_hdr.status, rc);
	free(m.rsp);
	wbuf_free(&in);
	return rc;
}

int dfs_ipc_referral(struct dfs_ipc *ipc, const char *path, struct dfs_ref *out)
{
	memset(out, 0, sizeof(*out));
	if (ipc->s1)
		return smb1_dfs_referral(ipc->s1, path, out);
	return referral(ipc, path, dfs_ref_decode, out);
}

int dfs_sess_dcs(struct sess *s, const char *domain, struct dfs_dcs *out)
{
	memset(out, 0, sizeof(*out));
	char err[256];
	struct dfs_ipc ipc = {0};
	int rc = sess_tree_new(s, "IPC$", true, &ipc.s, err, sizeof(err));
	if (rc < 0) {
		log_dbg("DFS: no IPC$ tree to ask the DC referral of %s: %s", domain, err);
		return rc == -ENOMEM || rc == -EINTR ? rc : -ENOENT;
	}
	rc = referral(&ipc, domain, dfs_dcs_decode, out);
	sess_free(ipc.s);
	return rc;
}

int dfs_ipc_dcs(struct dfs_ipc *ipc, const char *domain, struct dfs_dcs *out)
{
	memset(out, 0, sizeof(*out));
	if (ipc->s1)
		return smb1_dfs_dcs(ipc->s1, domain, out);
	return referral(ipc, domain, dfs_dcs_decode, out);
}
