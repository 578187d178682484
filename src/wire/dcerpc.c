/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dcerpc.c - connection-oriented DCE/RPC PDUs over a named pipe: BIND, BIND_ACK/NAK, REQUEST, RESPONSE and
 * FAULT (C706 12.6, MS-RPCE 2.2.2.x). Contract: include/smbfuse/dcerpc.h.
 *
 * Only what share listing uses: one presentation context, no authentication verifier (auth_length must
 * be 0 in what we accept: the SMB session already authenticates and signs or seals the pipe), and
 * little-endian NDR only (Samba and Windows always answer a little-endian client in kind).
 */
#include <errno.h>
#include <string.h>

#include "smbfuse/dcerpc.h"

/* 4b324fc8-1670-01d3-1278-5a47bf6ee188 v3.0 (MS-SRVS 1.9) and NDR 8a885d04-1ceb-11c9-9fe8-08002b104860 v2,
 * in the wire order of a GUID (first three fields little-endian). */
static const uint8_t srvsvc_uuid[16] = {0xc8, 0x4f, 0x32, 0x4b, 0x70, 0x16, 0xd3, 0x01,
					0x12, 0x78, 0x5a, 0x47, 0xbf, 0x6e, 0xe1, 0x88};
static const uint8_t ndr_uuid[16] = {0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11,
				     0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48, 0x60};

static void put_hdr(struct wbuf *w, uint8_t ptype, uint32_t call_id)
{
	wbuf_u8(w, 5); /* rpc_vers */
	wbuf_u8(w, 0); /* rpc_vers_minor */
	wbuf_u8(w, ptype);
	wbuf_u8(w, DCERPC_PFC_FIRST_FRAG | DCERPC_PFC_LAST_FRAG);
	wbuf_u32(w, 0x00000010); /* drep: little-endian, ASCII, IEEE */
	wbuf_u16(w, 0);		 /* frag_length, set when the PDU is complete */
	wbuf_u16(w, 0);		 /* auth_length */
	wbuf_u32(w, call_id);
}

static int finish(struct wbuf *w, size_t start)
{
	size_t len = w->len - start;
	if (wbuf_err(w))
		return wbuf_err(w);
	if (len > UINT16_MAX)
		return -EMSGSIZE;
	wbuf_set_u16(w, start + 8, (uint16_t)len);
	return 0;
}

int dcerpc_hdr_decode(const uint8_t *p, size_t n, struct dcerpc_hdr *out)
{
	struct cur c;
	struct dcerpc_hdr h;
	cur_init(&c, p, n);
	uint8_t vers = cur_u8(&c), minor = cur_u8(&c);
	h.ptype = cur_u8(&c);
	h.flags = cur_u8(&c);
	uint8_t drep0 = cur_u8(&c);
	cur_skip(&c, 3);
	h.frag_len = cur_u16(&c);
	h.auth_len = cur_u16(&c);
	h.call_id = cur_u32(&c);
	if (cur_err(&c) || vers != 5 || minor != 0 || (drep0 & 0xF0) != 0x10 || h.frag_len < DCERPC_HDR_LEN ||
	    h.frag_len > n)
		return -EBADMSG;
	*out = h;
	return 0;
}

int dcerpc_bind_srvsvc_encode(struct wbuf *w, uint32_t call_id)
{
	size_t start = w->len;
	put_hdr(w, DCERPC_PTYPE_BIND, call_id);
	wbuf_u16(w, DCERPC_MAX_FRAG); /* max_xmit_frag */
	wbuf_u16(w, DCERPC_MAX_FRAG); /* max_recv_frag */
	wbuf_u32(w, 0);		      /* assoc_group_id: a new association */
	wbuf_u8(w, 1);		      /* n_context_elem */
	wbuf_zero(w, 3);
	wbuf_u16(w, 0); /* p_cont_id */
	wbuf_u8(w, 1);	/* n_transfer_syn */
	wbuf_u8(w, 0);
	wbuf_bytes(w, srvsvc_uuid, 16);
	wbuf_u16(w, 3); /* if_version major */
	wbuf_u16(w, 0); /* minor */
	wbuf_bytes(w, ndr_uuid, 16);
	wbuf_u32(w, 2);
	return finish(w, start);
}

/* A whole PDU of one of the given types; c is left after the common header. */
static int pdu_open(const uint8_t *p, size_t n, struct cur *c, struct dcerpc_hdr *h)
{
	int rc = dcerpc_hdr_decode(p, n, h);
	if (rc < 0)
		return rc;
	/* The fragment ends where frag_len says; what follows belongs to the next one. */
	cur_init(c, p, h->frag_len);
	cur_skip(c, DCERPC_HDR_LEN);
	return 0;
}

int dcerpc_bind_ack_decode(const uint8_t *p, size_t n, struct dcerpc_bind_ack *out)
{
	struct cur c;
	struct dcerpc_hdr h;
	struct dcerpc_bind_ack a = {0};
	int rc = pdu_open(p, n, &c, &h);
	if (rc < 0)
		return rc;
	if (h.ptype == DCERPC_PTYPE_BIND_NAK) {
		a.nak_reason = cur_u16(&c);
		a.result = 2;
		if (cur_err(&c))
			return -EBADMSG;
		*out = a;
		return 0;
	}
	if (h.ptype != DCERPC_PTYPE_BIND_ACK)
		return -EPROTO;
	a.max_xmit = cur_u16(&c);
	a.max_recv = cur_u16(&c);
	cur_skip(&c, 4); /* assoc_group_id */
	uint16_t sec_len = cur_u16(&c);
	cur_skip(&c, sec_len); /* secondary address ("\PIPE\srvsvc") */
	/* The result list is 4-aligned from the start of the PDU (C706 12.6.3.4). */
	if (!cur_err(&c))
		cur_seek(&c, (c.pos + 3) & ~(size_t)3);
	uint8_t nres = cur_u8(&c);
	cur_skip(&c, 3);
	a.result = cur_u16(&c);
	a.reason = cur_u16(&c);
	cur_skip(&c, 20); /* the transfer syntax accepted */
	if (cur_err(&c) || nres < 1)
		return -EBADMSG;
	*out = a;
	return 0;
}

int dcerpc_request_encode(struct wbuf *w, uint32_t call_id, uint16_t opnum, const uint8_t *stub, size_t stub_len)
{
	size_t start = w->len;
	if (stub_len > DCERPC_MAX_FRAG - 24)
		return -EMSGSIZE; /* one fragment only: srvsvc's requests are tiny */
	put_hdr(w, DCERPC_PTYPE_REQUEST, call_id);
	wbuf_u32(w, (uint32_t)stub_len); /* alloc_hint */
	wbuf_u16(w, 0);			 /* p_cont_id */
	wbuf_u16(w, opnum);
	wbuf_bytes(w, stub, stub_len);
	return finish(w, start);
}

int dcerpc_response_decode(const uint8_t *p, size_t n, uint32_t call_id, struct dcerpc_response *out)
{
	struct cur c;
	struct dcerpc_hdr h;
	struct dcerpc_response r = {0};
	int rc = pdu_open(p, n, &c, &h);
	if (rc < 0)
		return rc;
	if ((h.ptype != DCERPC_PTYPE_RESPONSE && h.ptype != DCERPC_PTYPE_FAULT) || h.call_id != call_id)
		return -EPROTO;
	if (h.auth_len)
		return -EPROTO; /* we never asked for an authenticated pipe */
	r.flags = h.flags;
	cur_skip(&c, 4 + 2 + 1 + 1); /* alloc_hint, p_cont_id, cancel_count, reserved */
	if (h.ptype == DCERPC_PTYPE_FAULT) {
		r.status = cur_u32(&c);
		if (cur_err(&c))
			return -EBADMSG;
		if (!r.status)
			r.status = 0x1c010003; /* nca_s_unspec_reject: a fault must not read as success */
		*out = r;
		return 0;
	}
	r.stub_len = cur_left(&c);
	r.stub = cur_bytes(&c, r.stub_len);
	if (cur_err(&c))
		return -EBADMSG;
	*out = r;
	return 0;
}
