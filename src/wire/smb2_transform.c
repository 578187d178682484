/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * MS-SMB2 2.2.41 SMB2 TRANSFORM_HEADER. Codec only: xport/seal.c computes Signature (the AEAD tag) over
 * bytes SMB2_TRANSFORM_AAD_OFF..52 of this header as associated data.
 */
#include <errno.h>
#include <string.h>

#include "smbfuse/smb2.h"
#include "smbfuse/util.h"
#include "smb2_i.h"

int smb2_transform_hdr_encode(struct wbuf *w, const struct smb2_transform_hdr *h)
{
	wbuf_u32(w, SMB2_TRANSFORM_MAGIC);
	wbuf_bytes(w, h->signature, 16);
	wbuf_bytes(w, h->nonce, 16);
	wbuf_u32(w, h->original_message_size);
	wbuf_u16(w, 0);
	wbuf_u16(w, h->flags);
	wbuf_u64(w, h->session_id);
	return wbuf_err(w);
}

int smb2_transform_hdr_decode(const uint8_t *p, size_t n, struct smb2_transform_hdr *out)
{
	struct cur c;
	memset(out, 0, sizeof(*out));
	cur_init(&c, p, n);
	uint32_t magic = cur_u32(&c);
	cur_copy(&c, out->signature, 16);
	cur_copy(&c, out->nonce, 16);
	out->original_message_size = cur_u32(&c);
	cur_skip(&c, 2);
	out->flags = cur_u16(&c);
	out->session_id = cur_u64(&c);
	/* AES-CCM and AES-GCM do not pad: the ciphertext is exactly as long as the plain message. */
	if (cur_err(&c) || magic != SMB2_TRANSFORM_MAGIC || out->original_message_size != cur_left(&c) ||
	    out->original_message_size < SMB2_HDR_SIZE) {
		memset(out, 0, sizeof(*out));
		return -EBADMSG;
	}
	if (out->flags != SMB2_TRANSFORM_FLAG_ENCRYPTED) {
		memset(out, 0, sizeof(*out));
		return -EPROTO;
	}
	return 0;
}
