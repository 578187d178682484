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
#include "smbfuse/err.h"
#include "smbfuse/smb2.h"

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

/* ---- multi-protocol negotiate ---- */

#define MP_PID 0xFEFF /* what Windows sends; any value is legal before a session exists */

int smb_mp_negotiate_req_encode(struct wbuf *w)
{
	/* NT LM 0.12 is index 0, so an SMB1 answer is read the same way as for an SMB1-only negotiate. */
	static const char *const dialects[] = {SMB1_DIALECT_NT_LM, SMB1_DIALECT_SMB2_002, SMB1_DIALECT_SMB2_WILDCARD};
	struct smb1_hdr h = {.command = SMB1_COM_NEGOTIATE,
			     .flags = SMB1_FLAGS_CASE_INSENSITIVE | SMB1_FLAGS_CANONICALIZED_PATHS,
			     .flags2 = SMB1_FLAGS2_LONG_NAMES | SMB1_FLAGS2_NT_STATUS | SMB1_FLAGS2_UNICODE |
				       SMB1_FLAGS2_EXTENDED_SECURITY,
			     .pid_low = MP_PID};
	int rc = smb1_hdr_encode(w, &h);
	return rc ? rc : smb1_negotiate_req_encode(w, dialects, 3);
}

static int mp_smb2(const uint8_t *msg, size_t n, enum smb_mp_choice *choice, uint16_t *credits)
{
	struct smb2_hdr h;
	struct smb2_negotiate_rsp r;
	int rc = smb2_hdr_decode(msg, n, &h);
	if (rc)
		return rc;
	if (h.command != SMB2_NEGOTIATE || !(h.flags & SMB2_FLAGS_SERVER_TO_REDIR) || h.message_id != 0 ||
	    (h.flags & SMB2_FLAGS_ASYNC_COMMAND))
		return -EBADMSG;
	if (h.status != STATUS_SUCCESS)
		return -EPROTO;
	rc = smb2_negotiate_rsp_decode(msg, n, &r);
	if (rc)
		return rc;
	if (r.dialect == SMB2_DIALECT_WILDCARD)
		*choice = SMB_MP_SMB2_WILDCARD;
	else if (r.dialect == SMB2_DIALECT_202)
		*choice = SMB_MP_SMB2_002;
	else
		return -EPROTO; /* 3.2.5.2: nothing else answers a multi-protocol negotiate */
	*credits = h.credits;
	return 0;
}

int smb_mp_negotiate_rsp_decode(const uint8_t *msg, size_t n, enum smb_mp_choice *choice, uint16_t *credits)
{
	*choice = 0;
	*credits = 0;
	switch (smb_proto_version(msg, n)) {
	case 2:
		return mp_smb2(msg, n, choice, credits);
	case 1: {
		struct smb1_negotiate_rsp r;
		int rc = smb1_negotiate_rsp_decode(msg, n, &r);
		if (rc == 0 && r.dialect_index != 0)
			rc = -EPROTO;
		if (rc == 0)
			*choice = SMB_MP_SMB1;
		return rc;
	}
	default:
		return -EBADMSG;
	}
}
