/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * smb1_dfs.c - DFS over SMB1 (contract: dfs_i.h): TRANS2_GET_DFS_REFERRAL on the IPC$ tree of a session of
 * its own (MS-CIFS 3.2.4.20), REQ_GET_DFS_REFERRAL at level 4 and the same decoder as over SMB2
 * (dfs_ref.c), also for the DC referral of a domain (dfs_dom.c); and whether a mounted SMB1 tree is a DFS share (TREE_CONNECT_ANDX OptionalSupport says
 * SMB_SHARE_IS_IN_DFS), which puts the router in front as SMB2_SHAREFLAG_DFS does.
 *
 * Paths on the DFS share itself stay share-relative, without SMB_FLAGS2_DFS, as over SMB2: smbd answers
 * STATUS_PATH_NOT_COVERED for a path that crosses a link either way, and a DFS-form path would have to be
 * undone again for every tree a link leads to.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dfs_i.h"
#include "smb1_proto_i.h"
#include "smbfuse/err.h"
#include "smbfuse/log.h"

/* One message must hold the answer (smb1_dfs_referral_rsp_decode); Samba's is a few hundred bytes. */
#define REFERRAL_MAX 16384u
#define TRANS2_OVERHEAD 128u

bool smb1_client_in_dfs(struct smb_client *cl)
{
	return cl->smb1 && (cl->smb1->cur->info.optional_support & SMB1_SHARE_IS_IN_DFS);
}

/* TRANS2_GET_DFS_REFERRAL for path, the answer's RESP_GET_DFS_REFERRAL handed to decode (the root/link or
 * the DC decoder, as over SMB2). */
static int trans2_referral(struct smb1_sess *s, const char *path,
			   dfs_decode_fn *decode, void *out)
{
	struct smb1_sess_info si;
	struct wbuf w;
	uint8_t *rsp = NULL;
	size_t n = 0, len;
	uint32_t st = STATUS_SUCCESS;
	const uint8_t *data;
	smb1_sess_get_info(s, &si);
	uint32_t room = si.max_buffer_size > TRANS2_OVERHEAD + 1024 ? si.max_buffer_size - TRANS2_OVERHEAD : 1024;
	smb1_sess_req_init(s, &w, SMB1_COM_TRANSACTION2);
	int rc = smb1_dfs_referral_req_encode(&w, 4, path, (uint16_t)(room < REFERRAL_MAX ? room : REFERRAL_MAX));
	if (rc == 0)
		rc = wbuf_err(&w) ?: smb1_sess_call(s, &w, NULL, 0, &rsp, &n, &st);
	if (rc == 0 && st != STATUS_SUCCESS) {
		rc = ntstatus_to_errno(st) ?: -EIO;
		log_dbg("TRANS2_GET_DFS_REFERRAL %s: status 0x%08x, %d", path, st, rc);
	} else if (rc == 0 && smb1_dfs_referral_rsp_decode(rsp, n, &data, &len) < 0) {
		log_warn("server reply: the TRANS2_GET_DFS_REFERRAL answer for %s (%zu bytes) does not decode", path, n);
		rc = -EIO;
	} else if (rc == 0) {
		rc = decode(path, data, len, out);
	}
	free(rsp);
	wbuf_free(&w);
	return rc;
}

int smb1_dfs_referral(struct smb1_sess *s, const char *path, struct dfs_ref *out)
{
	memset(out, 0, sizeof(*out));
	return trans2_referral(s, path, dfs_ref_decode, out);
}

int smb1_dfs_dcs(struct smb1_sess *s, const char *domain, struct dfs_dcs *out)
{
	memset(out, 0, sizeof(*out));
	return trans2_referral(s, domain, dfs_dcs_decode, out);
}
