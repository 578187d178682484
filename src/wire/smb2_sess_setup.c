/* SPDX-License-Identifier: GPL-2.0-or-later */
/* MS-SMB2 2.2.5 / 2.2.6 SESSION_SETUP Request and Response, 2.2.7 / 2.2.8 LOGOFF Request and Response. */
#include <errno.h>
#include <string.h>

#include "smbfuse/smb2.h"
#include "smbfuse/util.h"
#include "smb2_i.h"

#define SS_REQ_SIZE 25
#define SS_REQ_FIXED 24
#define SS_RSP_SIZE 9
#define SS_RSP_FIXED 8

int smb2_sess_setup_req_encode(struct wbuf *w, const struct smb2_sess_setup_req *in)
{
	if (in->blob_len && !in->blob)
		return -EINVAL;
	wbuf_u16(w, SS_REQ_SIZE);
	wbuf_u8(w, in->flags);
	wbuf_u8(w, in->security_mode);
	wbuf_u32(w, in->capabilities);
	wbuf_u32(w, 0); /* Channel */
	wbuf_u16(w, SMB2_HDR_SIZE + SS_REQ_FIXED);
	wbuf_u16(w, in->blob_len);
	wbuf_u64(w, in->previous_session_id);
	wbuf_bytes(w, in->blob, in->blob_len);
	smb2_pad_empty(w, in->blob_len);
	return wbuf_err(w);
}

int smb2_sess_setup_rsp_decode(const uint8_t *msg, size_t n, struct smb2_sess_setup_rsp *out)
{
	struct cur c;
	memset(out, 0, sizeof(*out));
	int r = smb2_body_start(&c, msg, n, SMB2_SESSION_SETUP, SS_RSP_SIZE);
	if (r)
		return r;
	uint16_t flags = cur_u16(&c);
	uint16_t off = cur_u16(&c);
	uint16_t len = cur_u16(&c);
	r = smb2_view(msg, n, off, len, SMB2_HDR_SIZE + SS_RSP_FIXED, &out->blob);
	if (r) {
		memset(out, 0, sizeof(*out));
		return r;
	}
	out->session_flags = flags;
	out->blob_len = len;
	return 0;
}

int smb2_logoff_req_encode(struct wbuf *w)
{
	wbuf_u16(w, 4);
	wbuf_u16(w, 0);
	return wbuf_err(w);
}

int smb2_logoff_rsp_decode(const uint8_t *msg, size_t n)
{
	return smb2_empty_rsp_decode(msg, n, SMB2_LOGOFF, 4);
}
