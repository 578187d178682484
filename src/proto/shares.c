/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * shares.c - smb_list_shares (contract: include/smbfuse/ops.h): a server's share list through srvsvc
 * NetrShareEnum (MS-SRVS 3.1.4.8) on the srvsvc named pipe of IPC$, what `smbclient -L` does.
 *
 * Pipe I/O (MS-SMB2 3.2.4.20.2, MS-RPCE 2.1.1.2): a CREATE of "srvsvc" on IPC$, then each DCE/RPC PDU is
 * written and its answer read in one IOCTL FSCTL_PIPE_TRANSCEIVE; an answer of several fragments (a long
 * list: we accept fragments of at most 4280 bytes, as Windows does) has the rest read with READ, one
 * fragment per READ since the pipe is in message mode. Over SMB1 (vers=1.0, or a server that picks NT LM
 * 0.12 in the default's multi-protocol negotiate) the same PDUs go through TRANS_TRANSACT_NMPIPE and
 * READ_ANDX (smb1_pipe.c). A session of its own: nothing is mounted.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipc_i.h"
#include "smb1_proto_i.h"
#include "smbfuse/dcerpc.h"
#include "smbfuse/err.h"
#include "smbfuse/log.h"
#include "smbfuse/util.h"

#define PIPE_IO_MAX 65536u
/* The whole stub of the answer; thousands of shares fit. */
#define STUB_MAX (8u * 1024 * 1024)
#define ERROR_ACCESS_DENIED 5u

/* The srvsvc pipe: on an SMB2 session (s) or an SMB1 one (s1). */
struct pipe {
	struct sess *s;
	struct smb2_fid fid;
	struct smb1_sess *s1;
	uint16_t fid1;
};

static int pipe_open(struct pipe *p)
{
	if (p->s1)
		return smb1_pipe_open(p->s1, "\\srvsvc", &p->fid1);
	struct smb2_create_req cr = {
		.impersonation = SMB2_IMPERSONATION_IMPERSONATION,
		.desired_access = FILE_READ_DATA | FILE_WRITE_DATA | FILE_READ_ATTRIBUTES,
		.share_access = FILE_SHARE_READ | FILE_SHARE_WRITE,
		.disposition = FILE_OPEN,
		.options = FILE_NON_DIRECTORY_FILE,
		.name = "srvsvc",
		.name_len = 6,
	};
	struct smb2_create_rsp r;
	struct conn_msg m = {0}; /* freed even when the encoder fails first */
	struct wbuf w;
	wbuf_init(&w, 0);
	int rc = smb2_create_req_encode(&w, &cr) ?: ipc_call(p->s, SMB2_CREATE, &w, &m, 0);
	if (rc == 0)
		rc = smb2_create_rsp_decode(m.rsp, m.rsp_len, &r);
	if (rc == 0)
		p->fid = r.fid;
	free(m.rsp);
	wbuf_free(&w);
	return rc;
}

static void pipe_close(struct pipe *p)
{
	if (p->s1) {
		smb1_pipe_close(p->s1, p->fid1);
		return;
	}
	struct smb2_close_req cr = {.fid = p->fid};
	struct conn_msg m = {0};
	struct wbuf w;
	wbuf_init(&w, 0);
	if (smb2_close_req_encode(&w, &cr) == 0 && ipc_call(p->s, SMB2_CLOSE, &w, &m, 0) < 0)
		log_dbg("closing the srvsvc pipe failed");
	free(m.rsp);
	wbuf_free(&w);
}

/*
 * Write pdu and read the answer's first fragment (SMB2: IOCTL FSCTL_PIPE_TRANSCEIVE), or, with pdu NULL,
 * read the next fragment (READ): a view (out, outlen) into *rsp, which the caller frees (NULL when nothing
 * came).
 */
static int pipe_io(struct pipe *p, const struct wbuf *pdu, uint8_t **rsp, const uint8_t **out, size_t *outlen)
{
	if (p->s1)
		return smb1_pipe_io(p->s1, p->fid1, pdu, rsp, out, outlen);
	struct smb2_ioctl_req io = {
		.ctl_code = FSCTL_PIPE_TRANSCEIVE,
		.fid = p->fid,
		.input = pdu ? pdu->p : NULL,
		.input_len = pdu ? (uint32_t)pdu->len : 0,
		.max_output_response = PIPE_IO_MAX,
		.flags = SMB2_0_IOCTL_IS_FSCTL,
	};
	struct smb2_read_req rq = {.length = PIPE_IO_MAX, .fid = p->fid};
	struct conn_msg m = {0};
	struct wbuf w;
	wbuf_init(&w, 0);
	int rc = pdu ? smb2_ioctl_req_encode(&w, &io) : smb2_read_req_encode(&w, &rq);
	if (rc == 0)
		rc = ipc_call(p->s, pdu ? SMB2_IOCTL : SMB2_READ, &w, &m, 0);
	if (rc == 0 && pdu) {
		struct smb2_ioctl_rsp r;
		if ((rc = smb2_ioctl_rsp_decode(m.rsp, m.rsp_len, &r)) == 0)
			*out = r.output, *outlen = r.output_len;
	} else if (rc == 0) {
		struct smb2_read_rsp r;
		if ((rc = smb2_read_rsp_decode(m.rsp, m.rsp_len, &r)) == 0)
			*out = r.data, *outlen = r.data_len;
	}
	*rsp = m.rsp;
	wbuf_free(&w);
	return rc;
}

/* BIND to srvsvc, then NetrShareEnum; the response stub, all fragments joined, into stub. */
static int enum_call(struct pipe *p, const char *host, struct wbuf *stub, char *errbuf, size_t errlen)
{
	struct wbuf pdu, req;
	uint8_t *rsp = NULL;
	const uint8_t *frag;
	size_t flen;
	struct dcerpc_bind_ack ack;
	struct dcerpc_response r;
	wbuf_init(&pdu, 0);
	wbuf_init(&req, 0);
	int rc = dcerpc_bind_srvsvc_encode(&pdu, 1) ?: pipe_io(p, &pdu, &rsp, &frag, &flen);
	if (rc == 0 && (rc = dcerpc_bind_ack_decode(frag, flen, &ack)) == 0 && ack.result != 0) {
		snprintf(errbuf, errlen, "the server refused the srvsvc interface (bind result %u, reason %u)",
			 ack.result, ack.nak_reason ? ack.nak_reason : ack.reason);
		rc = -EPROTO;
	}
	free(rsp);
	rsp = NULL;
	wbuf_reset(&pdu);
	if (rc == 0)
		rc = srvsvc_share_enum1_req_encode(&req, host);
	if (rc == 0)
		rc = dcerpc_request_encode(&pdu, 2, SRVSVC_OPNUM_NETR_SHARE_ENUM, req.p, req.len);
	if (rc == 0)
		rc = pipe_io(p, &pdu, &rsp, &frag, &flen);
	for (int i = 0; rc == 0; i++) {
		rc = dcerpc_response_decode(frag, flen, 2, &r);
		if (rc == 0 && r.status) {
			snprintf(errbuf, errlen, "NetrShareEnum failed: DCE/RPC fault 0x%08x", r.status);
			rc = -EPROTO;
		} else if (rc == 0 && stub->len + r.stub_len > STUB_MAX) {
			rc = -EMSGSIZE;
		}
		if (rc < 0)
			break;
		wbuf_bytes(stub, r.stub, r.stub_len);
		if (r.flags & DCERPC_PFC_LAST_FRAG)
			break;
		free(rsp);
		rsp = NULL;
		rc = pipe_io(p, NULL, &rsp, &frag, &flen);
	}
	free(rsp);
	wbuf_free(&pdu);
	wbuf_free(&req);
	return rc ?: wbuf_err(stub);
}

static int convert(const uint8_t *p, size_t n, struct smb_share **out, size_t *count, char *errbuf, size_t errlen)
{
	struct srvsvc_share_enum1_rsp r;
	int rc = srvsvc_share_enum1_rsp_decode(p, n, NULL, 0, &r);
	if (rc < 0) {
		log_info("server reply: a NetrShareEnum answer of %zu bytes does not decode", n);
		snprintf(errbuf, errlen, "the server sent a malformed share list");
		return -EPROTO;
	}
	if (r.werror == ERROR_ACCESS_DENIED) {
		snprintf(errbuf, errlen, "the server does not let this user list its shares (access denied)");
		return -EACCES;
	}
	if (r.werror != 0 && r.count == 0) {
		snprintf(errbuf, errlen, "the server refused the share list (WERROR %u)", r.werror);
		return -EPROTO;
	}
	struct srvsvc_share1 *v = calloc(r.count ? r.count : 1, sizeof(*v));
	struct smb_share *s = calloc(r.count ? r.count : 1, sizeof(*s));
	if (!v || !s) {
		free(v);
		free(s);
		return -ENOMEM;
	}
	rc = srvsvc_share_enum1_rsp_decode(p, n, v, r.count, &r);
	for (uint32_t i = 0; rc == 0 && i < r.count; i++) {
		s[i].type = v[i].type;
		if (utf16le_to_utf8(v[i].name, v[i].name_len, &s[i].name) < 0 ||
		    utf16le_to_utf8(v[i].remark, v[i].remark_len, &s[i].comment) < 0)
			rc = -EPROTO;
	}
	free(v);
	if (rc < 0) {
		smb_shares_free(s, r.count);
		snprintf(errbuf, errlen, "the server sent a share name that is not valid UTF-16");
		return rc;
	}
	*out = s;
	*count = r.count;
	return 0;
}

/* NetrShareEnum on p's session (its tree is IPC$). */
static int list_on(struct pipe *p, const char *host, struct smb_share **out, size_t *n, char *errbuf, size_t errlen)
{
	struct wbuf stub;
	wbuf_init(&stub, STUB_MAX);
	int rc = pipe_open(p);
	if (rc < 0) {
		snprintf(errbuf, errlen, "cannot open the srvsvc pipe on IPC$: %s", strerror(-rc));
	} else {
		rc = enum_call(p, host, &stub, errbuf, errlen);
		pipe_close(p);
		if (rc < 0 && !errbuf[0])
			snprintf(errbuf, errlen, "srvsvc NetrShareEnum: %s", strerror(-rc));
	}
	if (rc == 0)
		rc = convert(stub.p, stub.len, out, n, errbuf, errlen);
	wbuf_free(&stub);
	return rc;
}

int proto_list_shares_on(struct sess *s, const char *host, struct smb_share **out, size_t *n, char *errbuf,
			 size_t errlen)
{
	struct pipe p = {.s = s};
	*out = NULL;
	*n = 0;
	errbuf[0] = 0;
	return list_on(&p, host, out, n, errbuf, errlen);
}

int smb_list_shares(const struct smb_client_cfg *cfg, struct smb_share **out, size_t *n, char *errbuf,
		    size_t errlen)
{
	struct pipe p = {0};
	char dummy[8];
	*out = NULL;
	*n = 0;
	if (!errbuf || !errlen)
		errbuf = dummy, errlen = sizeof(dummy);
	errbuf[0] = 0;
	int rc = ipc_logon(cfg, "list its shares", &p.s, &p.s1, errbuf, errlen);
	if (rc < 0)
		return rc;
	rc = list_on(&p, cfg->host, out, n, errbuf, errlen);
	if (p.s1)
		smb1_sess_free(p.s1);
	else
		sess_free(p.s);
	return rc;
}

void smb_shares_free(struct smb_share *s, size_t n)
{
	for (size_t i = 0; s && i < n; i++) {
		free(s[i].name);
		free(s[i].comment);
	}
	free(s);
}
