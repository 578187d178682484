/* SPDX-License-Identifier: GPL-2.0-or-later */
/* MS-SMB2 2.2.13 CREATE Request and 2.2.14 CREATE Response (contexts: smb2_create_ctx.c). */
#include <errno.h>
#include <string.h>

#include "smbfuse/smb2.h"
#include "smbfuse/util.h"
#include "smb2_i.h"

#define CREATE_REQ_SIZE 57
#define CREATE_REQ_FIXED 56
#define CREATE_RSP_SIZE 89
#define CREATE_RSP_FIXED 88

int smb2_create_req_encode(struct wbuf *w, const struct smb2_create_req *in)
{
	if ((in->name_len && !in->name) || (in->contexts_len && !in->contexts))
		return -EINVAL;
	long ulen = smb2_utf16_len16(in->name, in->name_len);
	if (ulen < 0)
		return (int)ulen;
	size_t base = w->len;
	wbuf_u16(w, CREATE_REQ_SIZE);
	wbuf_u8(w, 0); /* SecurityFlags */
	wbuf_u8(w, in->oplock_level);
	wbuf_u32(w, in->impersonation);
	wbuf_u64(w, 0); /* SmbCreateFlags */
	wbuf_u64(w, 0); /* Reserved */
	wbuf_u32(w, in->desired_access);
	wbuf_u32(w, in->file_attributes);
	wbuf_u32(w, in->share_access);
	wbuf_u32(w, in->disposition);
	wbuf_u32(w, in->options);
	wbuf_u16(w, SMB2_HDR_SIZE + CREATE_REQ_FIXED);
	wbuf_u16(w, (uint16_t)ulen);
	size_t ctx_at = wbuf_reserve(w, 8);
	wbuf_utf16(w, in->name, in->name_len);
	/*
	 * The share root has NameLength 0 but still a Buffer: the Linux client sends a zero UTF-16 character
	 * padded to 8 bytes, and Windows rejects a CREATE body shorter than StructureSize.
	 */
	if (ulen == 0)
		wbuf_zero(w, 8);
	if (in->contexts_len) {
		wbuf_align(w, base, 8); /* base sits at header offset 64, so this aligns from the header too */
		wbuf_set_u32(w, ctx_at, (uint32_t)smb2_wire_off(w, base));
		wbuf_set_u32(w, ctx_at + 4, in->contexts_len);
		wbuf_bytes(w, in->contexts, in->contexts_len);
	}
	return wbuf_err(w);
}

int smb2_create_rsp_decode(const uint8_t *msg, size_t n, struct smb2_create_rsp *out)
{
	struct cur c;
	memset(out, 0, sizeof(*out));
	int r = smb2_body_start(&c, msg, n, SMB2_CREATE, CREATE_RSP_SIZE);
	if (r)
		return r;
	out->oplock_level = cur_u8(&c);
	out->flags = cur_u8(&c);
	out->create_action = cur_u32(&c);
	out->creation_time = cur_u64(&c);
	out->last_access_time = cur_u64(&c);
	out->last_write_time = cur_u64(&c);
	out->change_time = cur_u64(&c);
	out->allocation_size = cur_u64(&c);
	out->end_of_file = cur_u64(&c);
	out->file_attributes = cur_u32(&c);
	cur_skip(&c, 4);
	out->fid.persistent = cur_u64(&c);
	out->fid.volatile_ = cur_u64(&c);
	uint32_t ctx_off = cur_u32(&c);
	uint32_t ctx_len = cur_u32(&c);
	r = cur_err(&c);
	if (!r)
		r = smb2_view(msg, n, ctx_off, ctx_len, SMB2_HDR_SIZE + CREATE_RSP_FIXED, &out->contexts);
	if (r) {
		memset(out, 0, sizeof(*out));
		return r;
	}
	out->contexts_len = ctx_len;
	return 0;
}
