/* SPDX-License-Identifier: GPL-2.0-or-later */
/* MS-SMB2 2.2.26 / 2.2.27 LOCK, 2.2.28 / 2.2.29 ECHO, 2.2.30 CANCEL (which has no response). */
#include <errno.h>
#include <string.h>

#include "smbfuse/smb2.h"
#include "smbfuse/util.h"
#include "smb2_i.h"

#define LOCK_REQ_SIZE 48

int smb2_lock_req_encode(struct wbuf *w, const struct smb2_lock_req *in)
{
	if (in->nlocks <= 0 || in->nlocks > SMB2_MAX_LOCK_ELEMENTS || !in->locks)
		return -EINVAL;
	wbuf_u16(w, LOCK_REQ_SIZE); /* counts one element, which is always present */
	wbuf_u16(w, (uint16_t)in->nlocks);
	wbuf_u32(w, in->lock_sequence);
	wbuf_u64(w, in->fid.persistent);
	wbuf_u64(w, in->fid.volatile_);
	for (int i = 0; i < in->nlocks; i++) {
		wbuf_u64(w, in->locks[i].offset);
		wbuf_u64(w, in->locks[i].length);
		wbuf_u32(w, in->locks[i].flags);
		wbuf_u32(w, 0);
	}
	return wbuf_err(w);
}

int smb2_lock_rsp_decode(const uint8_t *msg, size_t n)
{
	return smb2_empty_rsp_decode(msg, n, SMB2_LOCK, 4);
}

int smb2_echo_req_encode(struct wbuf *w)
{
	wbuf_u16(w, 4);
	wbuf_u16(w, 0);
	return wbuf_err(w);
}

int smb2_echo_rsp_decode(const uint8_t *msg, size_t n)
{
	return smb2_empty_rsp_decode(msg, n, SMB2_ECHO, 4);
}

int smb2_cancel_req_encode(struct wbuf *w)
{
	wbuf_u16(w, 4);
	wbuf_u16(w, 0);
	return wbuf_err(w);
}
