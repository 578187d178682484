/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Private to src/proto: a session on IPC$ (ipc.c), for the share list and DFS referrals. */
#ifndef SMBFUSE_IPC_I_H
#define SMBFUSE_IPC_I_H

#include "proto_i.h"

/* Log on to cfg->host as cfg says and connect its IPC$ tree (cfg->share and subdir unused): with SMB2/3, a
 * new session in *s for sess_free, or with SMB1 for vers=1.0 or a server that picks it (a warning: to do
 * what), in *s1 for smb1_sess_free, as a mount logs on. Errors as sess_new's, a one-line reason in errbuf. */
struct smb1_sess;
int ipc_logon(const struct smb_client_cfg *cfg, const char *what, struct sess **s, struct smb1_sess **s1,
	      char *errbuf, size_t errlen);
/* How many ipc_logon calls this process has made (session.ipc_logons of --stats). */
uint64_t ipc_logons(void);
/* shares.c: srvsvc NetrShareEnum on s, a session whose tree is IPC$ (as smb_list_shares, errbuf set). */
int proto_list_shares_on(struct sess *s, const char *host, struct smb_share **out, size_t *n, char *errbuf,
			 size_t errlen);
/* One request (cmd, body w) on s; the reply, in m->rsp for the caller to free() even on failure, must have
 * status success or ok2, else the status's errno. */
int ipc_call(struct sess *s, uint16_t cmd, struct wbuf *w, struct conn_msg *m, uint32_t ok2);
/* IOCTL io on s; on success the output is a view (*out, *outlen) into m->rsp, which the caller frees. */
int ipc_ioctl(struct sess *s, const struct smb2_ioctl_req *io, struct conn_msg *m, const uint8_t **out,
	      size_t *outlen);

#endif
