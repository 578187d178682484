/* SPDX-License-Identifier: GPL-2.0-or-later */
/* MS-SMB2 2.2.19 / 2.2.20 READ Request and Response, 2.2.21 / 2.2.22 WRITE Request and Response. */
#include <errno.h>
#include <string.h>

#include "smbfuse/smb2.h"
#include "smbfuse/util.h"
#include "smb2_i.h"

#define READ_REQ_SIZE 49
#define READ_RSP_SIZE 17
#define READ_RSP_FIXED 16
#define WRITE_REQ_SIZE 49
#define WRITE_RSP_SIZE 17

int smb2_read_req_encode(struct wbuf *w, const struct smb2_read_req *in)
{
	wbuf_u16(w, READ_REQ_SIZE);
	wbuf_u8(w, 0); /* Padding: let the server choose where the data goes (Samba: 0x50) */
	wbuf_u8(w, in->flags);
	wbuf_u32(w, in->length);
	wbuf_u64(w, in->offset);
	wbuf_u64(w, in->fid.persistent);
	wbuf_u64(w, in->fid.volatile_);
	wbuf_u32(w, in->minimum_count);
	wbuf_u32(w, SMB2_CHANNEL_NONE);
	wbuf_u32(w, 0); /* RemainingBytes */
	wbuf_u16(w, 0); /* ReadChannelInfoOffset */
	wbuf_u16(w, 0); /* ReadChannelInfoLength */
	wbuf_u8(w, 0);	/* Buffer: one byte, required by Windows */
	return wbuf_err(w);
}

int smb2_read_rsp_decode(const uint8_t *msg, size_t n, struct smb2_read_rsp *out)
{
	struct cur c;
	memset(out, 0, sizeof(*out));
	int r = smb2_body_start(&c, msg, n, SMB2_READ, READ_RSP_SIZE);
	if (r)
		return r;
	uint8_t off = cur_u8(&c);
	cur_skip(&c, 1);
	uint32_t len = cur_u32(&c);
	uint32_t remaining = cur_u32(&c);
	r = cur_err(&c);
	if (!r)
		r = smb2_view(msg, n, off, len, SMB2_HDR_SIZE + READ_RSP_FIXED, &out->data);
	if (r) {
		memset(out, 0, sizeof(*out));
		return r;
	}
	out->data_len = len;
	out->data_remaining = remaining;
	return 0;
}

int smb2_write_req_encode(struct wbuf *w, const struct smb2_write_req *in)
{
	wbuf_u16(w, WRITE_REQ_SIZE);
	wbuf_u16(w, SMB2_WRITE_DATA_OFFSET);
	wbuf_u32(w, in->length);
	wbuf_u64(w, in->offset);
	wbuf_u64(w, in->fid.persistent);
	wbuf_u64(w, in->fid.volatile_);
	wbuf_u32(w, SMB2_CHANNEL_NONE);
	wbuf_u32(w, 0); /* RemainingBytes */
	wbuf_u16(w, 0); /* WriteChannelInfoOffset */
	wbuf_u16(w, 0); /* WriteChannelInfoLength */
	wbuf_u32(w, in->flags);
	return wbuf_err(w);
}

int smb2_write_rsp_decode(const uint8_t *msg, size_t n, struct smb2_write_rsp *out)
{
	struct cur c;
	memset(out, 0, sizeof(*out));
	int r = smb2_body_start(&c, msg, n, SMB2_WRITE, WRITE_RSP_SIZE);
	if (r)
		return r;
	cur_skip(&c, 2);
	out->count = cur_u32(&c);
	if (cur_err(&c)) {
		memset(out, 0, sizeof(*out));
		return -EBADMSG;
	}
	return 0;
}
