/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * TRANS2_GET_DFS_REFERRAL (MS-CIFS 2.2.6.16): the SMB1 carrier of MS-DFSC's REQ_GET_DFS_REFERRAL (the
 * TRANS2 parameters) and RESP_GET_DFS_REFERRAL (the answer's data), which wire/dfs.c encodes and decodes
 * for both dialects. The header says SMB_FLAGS2_DFS, as MS-CIFS 3.2.4.20 asks of a referral request.
 */
#include <errno.h>
#include <string.h>

#include "smb1_i.h"
#include "smbfuse/dfs.h"

int smb1_dfs_referral_req_encode(struct wbuf *w, uint16_t max_level, const char *path, uint16_t max_data)
{
	struct wbuf prm;
	wbuf_init(&prm, 0);
	int rc = dfs_referral_req_encode(&prm, max_level, path, strlen(path));
	if (rc == 0 && prm.len > UINT16_MAX)
		rc = -EMSGSIZE;
	if (rc == 0) {
		struct smb1_trans2_req t = {
		    .subcommand = SMB1_TRANS2_GET_DFS_REFERRAL,
		    .params = prm.p,
		    .params_len = (uint16_t)prm.len,
		    .max_data_count = max_data,
		};
		rc = smb1_trans2_req_encode(w, &t);
	}
	if (rc == 0 && w->len >= SMB1_HDR_SIZE) {
		w->p[10] |= SMB1_FLAGS2_DFS & 0xFF; /* Flags2, little-endian, at offset 10 */
		w->p[11] |= SMB1_FLAGS2_DFS >> 8;
	}
	wbuf_free(&prm);
	return rc;
}

int smb1_dfs_referral_rsp_decode(const uint8_t *msg, size_t n, const uint8_t **data, size_t *len)
{
	struct smb1_trans2_rsp r;
	*data = NULL;
	*len = 0;
	int rc = smb1_trans2_rsp_decode(msg, n, &r);
	if (rc)
		return rc;
	/* Never asked for more than one message holds: a piece of a larger answer is malformed here. */
	if (r.data_disp || r.data_len != r.total_data_count || !r.data_len)
		return -EBADMSG;
	*data = r.data;
	*len = r.data_len;
	return 0;
}
