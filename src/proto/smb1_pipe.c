/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A named pipe of IPC$ over SMB1, for the DCE/RPC of shares.c: NT_CREATE_ANDX of the pipe's name, then each
 * PDU written and the first fragment of its answer read in one SMB_COM_TRANSACTION TRANS_TRANSACT_NMPIPE
 * (MS-CIFS 2.2.5.6, 3.2.4.32), later fragments read with READ_ANDX (message mode: one fragment a read),
 * CLOSE. As the SMB2 side's FSCTL_PIPE_TRANSCEIVE and READ.
 *
 * Every exchange asks for at most DCERPC_MAX_FRAG bytes, the largest fragment our BIND accepts, so one
 * message always holds one whole fragment. A server with more of the answer queued says
 * STATUS_BUFFER_OVERFLOW (Samba: is_data_outstanding), which is success here: the fragment's own flags
 * say whether more follow.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "smb1_proto_i.h"
#include "smbfuse/dcerpc.h"
#include "smbfuse/err.h"
#include "smbfuse/log.h"
#include "smbfuse/smb1.h"
#include "smbfuse/smb2.h"

/* One request; *rsp (NULL on a transport error) is the caller's to free. */
static int pipe_call(struct smb1_sess *s, struct wbuf *w, uint8_t **rsp, size_t *n)
{
	uint32_t st = STATUS_SUCCESS;
	*rsp = NULL;
	int rc = wbuf_err(w) ?: smb1_sess_call(s, w, NULL, 0, rsp, n, &st);
	if (rc == 0 && st != STATUS_SUCCESS && st != STATUS_BUFFER_OVERFLOW)
		rc = ntstatus_to_errno(st) ?: -EIO;
	return rc;
}

int smb1_pipe_open(struct smb1_sess *s, const char *name, uint16_t *fid)
{
	struct smb1_nt_create_req req = {
	    .desired_access = FILE_READ_DATA | FILE_WRITE_DATA | FILE_READ_ATTRIBUTES,
	    .share_access = FILE_SHARE_READ | FILE_SHARE_WRITE,
	    .create_disposition = FILE_OPEN,
	    .create_options = FILE_NON_DIRECTORY_FILE,
	    .impersonation = 2,
	    .path = name,
	};
	struct smb1_nt_create_rsp r;
	struct wbuf w;
	uint8_t *rsp = NULL;
	size_t n;
	smb1_sess_req_init(s, &w, SMB1_COM_NT_CREATE_ANDX);
	int rc = smb1_nt_create_req_encode(&w, &req) ?: pipe_call(s, &w, &rsp, &n);
	if (rc == 0 && smb1_nt_create_rsp_decode(rsp, n, &r) < 0)
		rc = -EIO;
	if (rc == 0)
		*fid = r.fid;
	free(rsp);
	wbuf_free(&w);
	return rc;
}

int smb1_pipe_io(struct smb1_sess *s, uint16_t fid, const struct wbuf *pdu, uint8_t **rsp, const uint8_t **out,
		 size_t *outlen)
{
	struct wbuf w;
	size_t n;
	const uint8_t *data = NULL;
	uint32_t len = 0;
	*rsp = NULL;
	smb1_sess_req_init(s, &w, pdu ? SMB1_COM_TRANSACTION : SMB1_COM_READ_ANDX);
	int rc = pdu && pdu->len > UINT16_MAX ? -EMSGSIZE : 0;
	if (rc == 0)
		rc = pdu ? smb1_transact_nmpipe_req_encode(&w, fid, pdu->p, (uint16_t)pdu->len, DCERPC_MAX_FRAG)
			 : smb1_read_req_encode(&w, fid, 0, DCERPC_MAX_FRAG);
	if (rc == 0)
		rc = pipe_call(s, &w, rsp, &n);
	if (rc == 0 && pdu) {
		struct smb1_trans2_rsp r;
		rc = smb1_trans_rsp_decode(*rsp, n, &r);
		if (rc == 0 && (r.data_disp || r.data_len != r.total_data_count))
			rc = -EBADMSG; /* a piece of a larger answer: never asked for */
		data = r.data;
		len = r.data_len;
	} else if (rc == 0) {
		rc = smb1_read_rsp_decode(*rsp, n, &data, &len);
	}
	if (rc == 0) {
		*out = data;
		*outlen = len;
	} else if (rc == -EBADMSG || rc == -EPROTO) {
		log_info("server reply: a %s answer on the pipe does not decode", pdu ? "TRANSACTION" : "READ_ANDX");
	}
	wbuf_free(&w);
	return rc;
}

void smb1_pipe_close(struct smb1_sess *s, uint16_t fid)
{
	struct wbuf w;
	uint8_t *rsp = NULL;
	size_t n;
	smb1_sess_req_init(s, &w, SMB1_COM_CLOSE);
	if (smb1_close_req_encode(&w, fid) == 0 && pipe_call(s, &w, &rsp, &n) < 0)
		log_dbg("closing the srvsvc pipe failed");
	free(rsp);
	wbuf_free(&w);
}
