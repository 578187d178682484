/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipc.c - a session of its own on a server's IPC$ tree, and the requests sent on it: what the share list
 * (shares.c, srvsvc over a named pipe) and DFS referrals (smb2_dfs.c, FSCTL_DFS_GET_REFERRALS on IPC$
 * itself, MS-SMB2 3.2.4.20.3) share. Contract: ipc_i.h.
 */
#include <errno.h>
#include <string.h>

#include "ipc_i.h"
#include "smbfuse/err.h"

int ipc_open(const struct smb_client_cfg *cfg, struct sess **out, char *errbuf, size_t errlen)
{
	struct sess_cfg sc;
	struct nb_setup nb;
	*out = NULL;
	int rc = client_sess_cfg(cfg, &sc, &nb, errbuf, errlen);
	if (rc < 0)
		return rc;
	sc.share = "IPC$";
	sc.ipc = true;
	sc.posix = false;
	return sess_new(&sc, out, errbuf, errlen);
}

int ipc_call(struct sess *s, uint16_t cmd, struct wbuf *w, struct conn_msg *m, uint32_t ok2)
{
	memset(m, 0, sizeof(*m));
	m->hdr.command = cmd;
	m->hdr.credit_charge = 1;
	m->body = w->p;
	m->body_len = w->len;
	int rc = wbuf_err(w) ?: sess_call(s, m, 1, NULL);
	if (rc == 0 && m->rsp_hdr.status != STATUS_SUCCESS && m->rsp_hdr.status != ok2)
		rc = ntstatus_to_errno(m->rsp_hdr.status) ?: -EIO;
	return rc;
}

int ipc_ioctl(struct sess *s, const struct smb2_ioctl_req *io, struct conn_msg *m, const uint8_t **out,
	      size_t *outlen)
{
	struct smb2_ioctl_rsp r;
	struct wbuf w;
	wbuf_init(&w, 0);
	int rc = smb2_ioctl_req_encode(&w, io) ?: ipc_call(s, SMB2_IOCTL, &w, m, 0);
	if (rc == 0)
		rc = smb2_ioctl_rsp_decode(m->rsp, m->rsp_len, &r);
	if (rc == 0) {
		*out = r.output;
		*outlen = r.output_len;
	}
	wbuf_free(&w);
	return rc;
}
