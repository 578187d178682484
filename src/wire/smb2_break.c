/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * MS-SMB2 2.2.23.1 Oplock Break Notification, 2.2.23.2 Lease Break Notification, 2.2.24.1 / 2.2.24.2
 * Oplock and Lease Break Acknowledgment, 2.2.25.1 / 2.2.25.2 Oplock and Lease Break Response.
 * All share Command OPLOCK_BREAK; StructureSize tells them apart (24 oplock, 44 lease notification,
 * 36 lease acknowledgment and response).
 */
#include <errno.h>
#include <string.h>

#include "smbfuse/smb2.h"
#include "smbfuse/util.h"
#include "smb2_i.h"

#define OPLOCK_BREAK_SIZE 24
#define LEASE_BREAK_NOTIFY_SIZE 44
#define LEASE_BREAK_ACK_SIZE 36

static uint16_t break_size(const uint8_t *msg, size_t n)
{
	return n >= SMB2_HDR_SIZE + 2 ? get_le16(msg + SMB2_HDR_SIZE) : 0;
}

int smb2_break_decode(const uint8_t *msg, size_t n, struct smb2_break *out)
{
	struct cur c;
	memset(out, 0, sizeof(*out));
	uint16_t size = break_size(msg, n);
	if (size != LEASE_BREAK_NOTIFY_SIZE)
		size = OPLOCK_BREAK_SIZE; /* anything else fails the StructureSize check below */
	int r = smb2_body_start(&c, msg, n, SMB2_OPLOCK_BREAK, size);
	if (r)
		return r;
	if (size == OPLOCK_BREAK_SIZE) {
		out->oplock_level = cur_u8(&c);
		cur_skip(&c, 5);
		out->fid.persistent = cur_u64(&c);
		out->fid.volatile_ = cur_u64(&c);
	} else {
		out->is_lease = true;
		out->new_epoch = cur_u16(&c);
		out->flags = cur_u32(&c);
		cur_copy(&c, out->lease_key, 16);
		out->current_state = cur_u32(&c);
		out->new_state = cur_u32(&c);
		out->break_reason = cur_u32(&c);
		out->access_mask_hint = cur_u32(&c);
		out->share_mask_hint = cur_u32(&c);
	}
	if (cur_err(&c)) {
		memset(out, 0, sizeof(*out));
		return -EBADMSG;
	}
	return 0;
}

int smb2_oplock_break_ack_encode(struct wbuf *w, const struct smb2_oplock_break_ack *in)
{
	wbuf_u16(w, OPLOCK_BREAK_SIZE);
	wbuf_u8(w, in->oplock_level);
	wbuf_u8(w, 0);
	wbuf_u32(w, 0);
	wbuf_u64(w, in->fid.persistent);
	wbuf_u64(w, in->fid.volatile_);
	return wbuf_err(w);
}

int smb2_lease_break_ack_encode(struct wbuf *w, const struct smb2_lease_break_ack *in)
{
	wbuf_u16(w, LEASE_BREAK_ACK_SIZE);
	wbuf_u16(w, 0);
	wbuf_u32(w, in->flags);
	wbuf_bytes(w, in->lease_key, 16);
	wbuf_u32(w, in->lease_state);
	wbuf_u64(w, 0); /* LeaseDuration */
	return wbuf_err(w);
}

int smb2_break_rsp_decode(const uint8_t *msg, size_t n, struct smb2_break_rsp *out)
{
	struct cur c;
	memset(out, 0, sizeof(*out));
	uint16_t size = break_size(msg, n);
	if (size != LEASE_BREAK_ACK_SIZE)
		size = OPLOCK_BREAK_SIZE;
	int r = smb2_body_start(&c, msg, n, SMB2_OPLOCK_BREAK, size);
	if (r)
		return r;
	if (size == OPLOCK_BREAK_SIZE) {
		out->oplock_level = cur_u8(&c);
		cur_skip(&c, 5);
		out->fid.persistent = cur_u64(&c);
		out->fid.volatile_ = cur_u64(&c);
	} else {
		out->is_lease = true;
		cur_skip(&c, 2);
		out->flags = cur_u32(&c);
		cur_copy(&c, out->lease_key, 16);
		out->lease_state = cur_u32(&c);
	}
	if (cur_err(&c)) {
		memset(out, 0, sizeof(*out));
		return -EBADMSG;
	}
	return 0;
}
