/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * MS-SMB2 2.2.31 / 2.2.32 IOCTL Request and Response; 2.2.31.4 VALIDATE_NEGOTIATE_INFO Request and
 * 2.2.32.6 VALIDATE_NEGOTIATE_INFO Response.
 */
#include <errno.h>
#include <string.h>

#include "smbfuse/smb2.h"
#include "smbfuse/util.h"
#include "smb2_i.h"

#define IOCTL_REQ_SIZE 57
#define IOCTL_REQ_FIXED 56
#define IOCTL_RSP_SIZE 49
#define IOCTL_RSP_FIXED 48
#define VNEG_RSP_LEN 24

int smb2_ioctl_req_encode(struct wbuf *w, const struct smb2_ioctl_req *in)
{
	if (in->input_len && !in->input)
		return -EINVAL;
	wbuf_u16(w, IOCTL_REQ_SIZE);
	wbuf_u16(w, 0);
	wbuf_u32(w, in->ctl_code);
	wbuf_u64(w, in->fid.persistent);
	wbuf_u64(w, in->fid.volatile_);
	wbuf_u32(w, in->input_len ? SMB2_HDR_SIZE + IOCTL_REQ_FIXED : 0);
	wbuf_u32(w, in->input_len);
	wbuf_u32(w, in->max_input_response);
	wbuf_u32(w, 0); /* OutputOffset */
	wbuf_u32(w, 0); /* OutputCount: we never send output data */
	wbuf_u32(w, in->max_output_response);
	wbuf_u32(w, in->flags);
	wbuf_u32(w, 0);
	wbuf_bytes(w, in->input, in->input_len);
	smb2_pad_empty(w, in->input_len);
	return wbuf_err(w);
}

int smb2_ioctl_rsp_decode(const uint8_t *msg, size_t n, struct smb2_ioctl_rsp *out)
{
	struct cur c;
	memset(out, 0, sizeof(*out));
	int r = smb2_body_start(&c, msg, n, SMB2_IOCTL, IOCTL_RSP_SIZE);
	if (r)
		return r;
	cur_skip(&c, 2);
	out->ctl_code = cur_u32(&c);
	out->fid.persistent = cur_u64(&c);
	out->fid.volatile_ = cur_u64(&c);
	uint32_t in_off = cur_u32(&c);
	uint32_t in_len = cur_u32(&c);
	uint32_t out_off = cur_u32(&c);
	uint32_t out_len = cur_u32(&c);
	out->flags = cur_u32(&c);
	r = cur_err(&c);
	if (!r)
		r = smb2_view(msg, n, in_off, in_len, SMB2_HDR_SIZE + IOCTL_RSP_FIXED, &out->input);
	if (!r)
		r = smb2_view(msg, n, out_off, out_len, SMB2_HDR_SIZE + IOCTL_RSP_FIXED, &out->output);
	if (r) {
		memset(out, 0, sizeof(*out));
		return r;
	}
	out->input_len = in_len;
	out->output_len = out_len;
	return 0;
}

int smb2_validate_negotiate_req_encode(struct wbuf *w, const struct smb2_validate_negotiate_req *in)
{
	if (in->ndialects <= 0 || in->ndialects > SMB2_MAX_DIALECTS || !in->dialects)
		return -EINVAL;
	wbuf_u32(w, in->capabilities);
	wbuf_bytes(w, in->guid, 16);
	wbuf_u16(w, in->security_mode);
	wbuf_u16(w, (uint16_t)in->ndialects);
	for (int i = 0; i < in->ndialects; i++)
		wbuf_u16(w, in->dialects[i]);
	return wbuf_err(w);
}

int smb2_validate_negotiate_rsp_decode(const uint8_t *data, uint32_t len, struct smb2_validate_negotiate_rsp *out)
{
	memset(out, 0, sizeof(*out));
	if (!data || len < VNEG_RSP_LEN)
		return -EBADMSG;
	out->capabilities = get_le32(data);
	memcpy(out->guid, data + 4, 16);
	out->security_mode = get_le16(data + 20);
	out->dialect = get_le16(data + 22);
	return 0;
}
