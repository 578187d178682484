/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * MS-CIFS 2.2.4.52 SMB_COM_NEGOTIATE, with the extended-security response of MS-SMB 2.2.4.5.2.1. The same
 * request, offering "SMB 2.002" and "SMB 2.???" too, is the multi-protocol negotiate of MS-SMB2 3.2.4.2.1:
 * a server that prefers SMB2 answers it with an SMB2 NEGOTIATE response, which the decoder here reports
 * as -EPROTO (see smb_proto_version).
 */
#include <errno.h>
#include <string.h>

#include "smb1_i.h"

#define NEG_RSP_WCT 17
#define NEG_GUID_LEN 16
#define DIALECT_BUFFER_FORMAT 0x02

int smb1_negotiate_req_encode(struct wbuf *w, const char *const *dialects, int n)
{
	if (n <= 0)
		return -EINVAL;
	smb1_words_begin(w, 0);
	size_t bcc = smb1_bytes_begin(w);
	for (int i = 0; i < n; i++) {
		wbuf_u8(w, DIALECT_BUFFER_FORMAT);
		smb1_put_ostr(w, dialects[i]);
	}
	return smb1_bytes_end(w, bcc);
}

/* The non-extended data block: Challenge, then DomainName (UTF-16 when FLAGS2_UNICODE; Samba and Windows
 * send it unaligned, right after the challenge). ServerName follows and is not needed. */
static int neg_plain_bytes(struct cur *c, uint16_t flags2, struct smb1_negotiate_rsp *r)
{
	r->challenge = cur_bytes(c, r->challenge_len);
	if (cur_err(c))
		return -EBADMSG;
	if (!(flags2 & SMB1_FLAGS2_UNICODE) || cur_left(c) < 2)
		return 0; /* an OEM or absent domain name: not used */
	const uint8_t *s = c->base + c->pos;
	size_t len = 0;
	while (len + 1 < cur_left(c) && (s[len] || s[len + 1]))
		len += 2;
	r->domain_name = s;
	r->domain_name_len = len;
	return 0;
}

int smb1_negotiate_rsp_decode(const uint8_t *msg, size_t n, struct smb1_negotiate_rsp *out)
{
	struct smb1_block b;
	struct smb1_hdr h;
	struct cur c;
	struct smb1_negotiate_rsp r = {0};
	memset(out, 0, sizeof(*out));
	int rc = smb1_rsp_start(msg, n, SMB1_COM_NEGOTIATE, false, 1, NEG_RSP_WCT, &b);
	if (rc)
		return rc;
	smb1_hdr_decode(msg, n, &h);
	cur_init(&c, b.words, 2u * b.word_count);
	r.dialect_index = cur_u16(&c);
	/* WordCount 1 is the "no dialect" answer (MS-CIFS 2.2.4.52.2); anything else short of 17 is not NT LM. */
	if (b.word_count == 1) {
		if (r.dialect_index != 0xFFFF)
			return -EPROTO;
		*out = r;
		return 0;
	}
	if (b.word_count != NEG_RSP_WCT)
		return -EPROTO;
	r.security_mode = cur_u8(&c);
	r.max_mpx_count = cur_u16(&c);
	r.max_vcs = cur_u16(&c);
	r.max_buffer_size = cur_u32(&c);
	r.max_raw_size = cur_u32(&c);
	r.session_key = cur_u32(&c);
	r.capabilities = cur_u32(&c);
	r.system_time = cur_u64(&c);
	r.server_time_zone = (int16_t)cur_u16(&c);
	r.challenge_len = cur_u8(&c);
	cur_init(&c, b.bytes, b.byte_count);
	r.extended_security =
	    (h.flags2 & SMB1_FLAGS2_EXTENDED_SECURITY) && (r.capabilities & SMB1_CAP_EXTENDED_SECURITY);
	if (r.extended_security) {
		r.challenge_len = 0; /* MS-SMB 2.2.4.5.2.1: must be 0; the challenge travels in the blob */
		r.server_guid = cur_bytes(&c, NEG_GUID_LEN);
		r.security_blob_len = cur_left(&c);
		r.security_blob = cur_bytes(&c, r.security_blob_len);
		rc = cur_err(&c) ? -EBADMSG : 0;
	} else {
		rc = neg_plain_bytes(&c, h.flags2, &r);
	}
	if (rc)
		return rc;
	*out = r;
	return 0;
}
