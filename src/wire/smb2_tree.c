/* SPDX-License-Identifier: GPL-2.0-or-later */
/* MS-SMB2 2.2.9 / 2.2.10 TREE_CONNECT Request and Response, 2.2.11 / 2.2.12 TREE_DISCONNECT. */
#include <errno.h>
#include <string.h>

#include "smbfuse/smb2.h"
#include "smbfuse/util.h"
#include "smb2_i.h"

#define TC_REQ_SIZE 9
#define TC_REQ_FIXED 8
#define TC_RSP_SIZE 16

int smb2_tree_connect_req_encode(struct wbuf *w, const struct smb2_tree_connect_req *in)
{
	if (!in->path)
		return -EINVAL;
	size_t plen = strlen(in->path);
	long ulen = smb2_utf16_len16(in->path, plen);
	if (ulen < 0)
		return (int)ulen;
	wbuf_u16(w, TC_REQ_SIZE);
	wbuf_u16(w, in->flags);
	wbuf_u16(w, SMB2_HDR_SIZE + TC_REQ_FIXED);
	wbuf_u16(w, (uint16_t)ulen);
	wbuf_utf16(w, in->path, plen);
	smb2_pad_empty(w, (size_t)ulen);
	return wbuf_err(w);
}

int smb2_tree_connect_rsp_decode(const uint8_t *msg, size_t n, struct smb2_tree_connect_rsp *out)
{
	struct cur c;
	memset(out, 0, sizeof(*out));
	int r = smb2_body_start(&c, msg, n, SMB2_TREE_CONNECT, TC_RSP_SIZE);
	if (r)
		return r;
	out->share_type = cur_u8(&c);
	cur_skip(&c, 1);
	out->share_flags = cur_u32(&c);
	out->capabilities = cur_u32(&c);
	out->maximal_access = cur_u32(&c);
	if (cur_err(&c)) {
		memset(out, 0, sizeof(*out));
		return -EBADMSG;
	}
	return 0;
}

int smb2_tree_disconnect_req_encode(struct wbuf *w)
{
	wbuf_u16(w, 4);
	wbuf_u16(w, 0);
	return wbuf_err(w);
}

int smb2_tree_disconnect_rsp_decode(const uint8_t *msg, size_t n)
{
	return smb2_empty_rsp_decode(msg, n, SMB2_TREE_DISCONNECT, 4);
}
