/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipc.c - a session of its own on a server's IPC$ tree, and the requests sent on it: what the share list
 * (shares.c, srvsvc over a named pipe) and DFS referrals (smb2_dfs.c, FSCTL_DFS_GET_REFERRALS on IPC$
 * itself, MS-SMB2 3.2.4.20.3; over SMB1 smb1_dfs.c) share. Contract: ipc_i.h.
 */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#include "ipc_i.h"
#include "smbfuse/err.h"
#include "smbfuse/log.h"
#include "smbfuse/smb1_session.h"

static _Atomic uint64_t logons;

uint64_t ipc_logons(void)
{
	return atomic_load(&logons);
}

int ipc_logon(const struct smb_client_cfg *cfg, const char *what, struct sess **s, struct smb1_sess **s1,
	      char *errbuf, size_t errlen)
{
	struct sess_cfg sc;
	struct nb_setup nb;
	struct smb1_sess_opts o = {.ntlmv1 = cfg->ntlmv1, .no_ext_sec = cfg->ntlmv1};
	*s = NULL;
	*s1 = NULL;
	int rc = client_sess_cfg(cfg, &sc, &nb, errbuf, errlen);
	if (rc < 0)
		return rc;
	atomic_fetch_add(&logons, 1);
	sc.share = "IPC$";
	sc.ipc = true;
	sc.posix = false;
	if (!(cfg->min_dialect == SMB_DIALECT_SMB1 && cfg->max_dialect == SMB_DIALECT_SMB1)) {
		sc.multi_protocol = !cfg->min_dialect && !cfg->max_dialect;
		rc = sess_new(&sc, s, errbuf, errlen);
		if (rc != SESS_E_SMB1)
			return rc;
		log_warn("%s speaks only SMB1: using it to %s (vers=2.0 or later forbids this)", cfg->host, what);
		if (errbuf && errlen)
			errbuf[0] = 0;
	}
	return smb1_sess_new(&sc, &o, s1, errbuf, errlen);
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
