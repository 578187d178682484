/* SPDX-License-Identifier: GPL-2.0-or-later */
/* MS-SMB2 2.2.15 / 2.2.16 CLOSE Request and Response, 2.2.17 / 2.2.18 FLUSH Request and Response. */
#include <errno.h>
#include <string.h>

#include "smbfuse/smb2.h"
#include "smbfuse/util.h"
#include "smb2_i.h"

#define CLOSE_REQ_SIZE 24
#define CLOSE_RSP_SIZE 60
#define FLUSH_REQ_SIZE 24

static void put_fid(struct wbuf *w, const struct smb2_fid *fid)
{
	wbuf_u64(w, fid->persistent);
	wbuf_u64(w, fid->volatile_);
}

int smb2_close_req_encode(struct wbuf *w, const struct smb2_close_req *in)
{
	wbuf_u16(w, CLOSE_REQ_SIZE);
	wbuf_u16(w, in->flags);
	wbuf_u32(w, 0);
	put_fid(w, &in->fid);
	return wbuf_err(w);
}

int smb2_close_rsp_decode(const uint8_t *msg, size_t n, struct smb2_close_rsp *out)
{
	struct cur c;
	memset(out, 0, sizeof(*out));
	int r = smb2_body_start(&c, msg, n, SMB2_CLOSE, CLOSE_RSP_SIZE);
	if (r)
		return r;
	out->flags = cur_u16(&c);
	cur_skip(&c, 4);
	out->creation_time = cur_u64(&c);
	out->last_access_time = cur_u64(&c);
	out->last_write_time = cur_u64(&c);
	out->change_time = cur_u64(&c);
	out->allocation_size = cur_u64(&c);
	out->end_of_file = cur_u64(&c);
	out->file_attributes = cur_u32(&c);
	if (cur_err(&c)) {
		memset(out, 0, sizeof(*out));
		return -EBADMSG;
	}
	return 0;
}

int smb2_flush_req_encode(struct wbuf *w, const struct smb2_flush_req *in)
{
	wbuf_u16(w, FLUSH_REQ_SIZE);
	wbuf_u16(w, 0);
	wbuf_u32(w, 0);
	put_fid(w, &in->fid);
	return wbuf_err(w);
}

int smb2_flush_rsp_decode(const uint8_t *msg, size_t n)
{
	return smb2_empty_rsp_decode(msg, n, SMB2_FLUSH, 4);
}
