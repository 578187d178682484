/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * DCE/RPC and srvsvc codecs (dcerpc.h) against what smbclient -L and smbd 4.17 exchanged on the srvsvc pipe
 * (tests/vectors/dcerpc_*): our BIND and NetrShareEnum request are byte-identical to smbclient's, Samba's
 * BIND_ACK and share list decode to the fixture's shares; hostile variants (every truncation and bit flip,
 * lying counts and lengths) are refused or stay inside the buffer.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "smbfuse/dcerpc.h"
#include "smbfuse/util.h"

static bool utf16_is(const uint8_t *p, size_t n, const char *s)
{
	if (n != 2 * strlen(s))
		return false;
	for (size_t i = 0; s[i]; i++)
		if (p[2 * i] != (uint8_t)s[i] || p[2 * i + 1] != 0)
			return false;
	return true;
}

static void test_requests(void)
{
	size_t n, m;
	uint8_t *bind = tap_load_hex("dcerpc_bind_srvsvc_smbclient.hex", &n);
	uint8_t *req = tap_load_hex("dcerpc_share_enum_req_smbclient.hex", &m);
	struct wbuf w, stub;
	wbuf_init(&w, 0);
	wbuf_init(&stub, 0);
	CHECK(dcerpc_bind_srvsvc_encode(&w, 1) == 0);
	CHECK(w.len == n && memcmp(w.p, bind, n) == 0);
	wbuf_reset(&w);
	CHECK(srvsvc_share_enum1_req_encode(&stub, "127.0.0.1") == 0);
	CHECK(dcerpc_request_encode(&w, 2, SRVSVC_OPNUM_NETR_SHARE_ENUM, stub.p, stub.len) == 0);
	CHECK(w.len == m && memcmp(w.p, req, m) == 0);
	/* A server name with an odd number of units is padded to 4 bytes before the Level. */
	wbuf_reset(&stub);
	CHECK(srvsvc_share_enum1_req_encode(&stub, "ab") == 0 && stub.len % 4 == 0 && stub.len == 16 + 8 + 32);
	wbuf_reset(&stub);
	CHECK(srvsvc_share_enum1_req_encode(&stub, "\xff") != 0);
	wbuf_free(&w);
	wbuf_free(&stub);
	free(bind);
	free(req);
}

static void test_bind_ack(void)
{
	size_t n;
	uint8_t *p = tap_load_hex("dcerpc_bind_ack_samba.hex", &n);
	struct dcerpc_bind_ack a;
	struct dcerpc_hdr h;
	CHECK(dcerpc_hdr_decode(p, n, &h) == 0 && h.ptype == DCERPC_PTYPE_BIND_ACK && h.call_id == 1 && h.frag_len == n);
	CHECK(dcerpc_bind_ack_decode(p, n, &a) == 0 && a.result == 0 && a.max_xmit == 4280 && a.max_recv == 4280);
	/* A NAK: the common header and provider_reject_reason 4 (protocol version not supported). */
	uint8_t nak[18];
	memcpy(nak, p, 16);
	nak[2] = DCERPC_PTYPE_BIND_NAK;
	nak[8] = 18;
	nak[16] = 4, nak[17] = 0;
	CHECK(dcerpc_bind_ack_decode(nak, sizeof(nak), &a) == 0 && a.result == 2 && a.nak_reason == 4);
	/* Big-endian NDR, another version, a frag_len past the end or a secondary address past the PDU. */
	p[4] = 0x00;
	CHECK(dcerpc_bind_ack_decode(p, n, &a) == -EBADMSG);
	p[4] = 0x10, p[0] = 4;
	CHECK(dcerpc_bind_ack_decode(p, n, &a) == -EBADMSG);
	p[0] = 5, p[8] = (uint8_t)(n + 1);
	CHECK(dcerpc_bind_ack_decode(p, n, &a) == -EBADMSG);
	p[8] = (uint8_t)n, p[24] = 0xff;
	CHECK(dcerpc_bind_ack_decode(p, n, &a) == -EBADMSG);
	p[24] = 0x0d, p[2] = DCERPC_PTYPE_RESPONSE;
	CHECK(dcerpc_bind_ack_decode(p, n, &a) == -EPROTO);
	for (size_t k = 0; k < n; k++)
		CHECK(dcerpc_bind_ack_decode(p, k, &a) != 0 || k == n);
	free(p);
}

static const char *const shares[] = {"share", "ro", "guest", "IPC$"};

static void test_response(void)
{
	size_t n;
	uint8_t *p = tap_load_hex("dcerpc_share_enum_rsp_samba.hex", &n);
	struct dcerpc_response r;
	struct srvsvc_share_enum1_rsp e;
	struct srvsvc_share1 s[8];
	CHECK(dcerpc_response_decode(p, n, 2, &r) == 0 && r.status == 0 && (r.flags & DCERPC_PFC_LAST_FRAG));
	CHECK(r.stub == p + 24 && r.stub_len == n - 24);
	CHECK(dcerpc_response_decode(p, n, 3, &r) == -EPROTO); /* another call's answer */
	CHECK(dcerpc_response_decode(p, n, 2, &r) == 0);
	CHECK(srvsvc_share_enum1_rsp_decode(r.stub, r.stub_len, NULL, 0, &e) == 0 && e.count == 4 && e.total == 4 &&
	      e.werror == 0);
	CHECK(srvsvc_share_enum1_rsp_decode(r.stub, r.stub_len, s, 8, &e) == 0);
	for (int i = 0; i < 4; i++)
		CHECK(utf16_is(s[i].name, s[i].name_len, shares[i]));
	CHECK(s[0].type == STYPE_DISKTREE && s[0].remark_len == 0);
	CHECK(s[3].type == (STYPE_IPC | STYPE_SPECIAL) &&
	      utf16_is(s[3].remark, s[3].remark_len, "IPC Service (Samba 4.17.12-Debian)"));
	/* Room for two: the first two are filled, the count still says four. */
	memset(s, 0, sizeof(s));
	CHECK(srvsvc_share_enum1_rsp_decode(r.stub, r.stub_len, s, 2, &e) == 0 && e.count == 4 && !s[2].name);

	/* Hostile stubs: a copy to edit, exactly its size, so ASan sees any read past it. */
	uint8_t *st = malloc(r.stub_len);
	size_t sl = r.stub_len;
	memcpy(st, r.stub, sl);
	put_le32(st + 12, 0x7fffffff); /* EntriesRead */
	CHECK(srvsvc_share_enum1_rsp_decode(st, sl, s, 8, &e) == -EBADMSG);
	put_le32(st + 12, 4), put_le32(st + 20, 5); /* MaxCount differs from EntriesRead */
	CHECK(srvsvc_share_enum1_rsp_decode(st, sl, s, 8, &e) == -EBADMSG);
	put_le32(st + 20, 4), put_le32(st + 80, 0x1000); /* the first name's ActualCount past the end */
	CHECK(srvsvc_share_enum1_rsp_decode(st, sl, s, 8, &e) == -EBADMSG);
	memcpy(st, r.stub, sl);
	put_le32(st, 2); /* level 2 */
	CHECK(srvsvc_share_enum1_rsp_decode(st, sl, s, 8, &e) == -EPROTO);
	/* Access denied: Samba answers with an empty container and WERROR 5. */
	uint8_t denied[] = {1, 0, 0, 0, 1, 0, 0, 0, 4, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0};
	CHECK(srvsvc_share_enum1_rsp_decode(denied, sizeof(denied), s, 8, &e) == 0 && e.werror == 5 && e.count == 0);
	for (size_t k = 0; k < sl; k++)
		CHECK(srvsvc_share_enum1_rsp_decode(r.stub, k, s, 8, &e) == -EBADMSG);
	/* Every single-bit flip either fails or yields views inside the stub. */
	int bad = 0;
	for (size_t bit = 0; bit < sl * 8; bit++) {
		memcpy(st, r.stub, sl);
		st[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		if (srvsvc_share_enum1_rsp_decode(st, sl, s, 8, &e) != 0)
			continue;
		for (uint32_t i = 0; i < e.count && i < 8; i++)
			bad += (s[i].name && (s[i].name < st || s[i].name + s[i].name_len > st + sl)) ||
			       (s[i].remark && (s[i].remark < st || s[i].remark + s[i].remark_len > st + sl));
	}
	CHECK(bad == 0);
	free(st);

	/* A FAULT carries its status; a zero status must still read as a failure. */
	uint8_t fault[32] = {5, 0, DCERPC_PTYPE_FAULT, 3, 0x10, 0, 0, 0, 32, 0, 0, 0, 2, 0, 0, 0};
	put_le32(fault + 24, 0x1c010002);
	CHECK(dcerpc_response_decode(fault, sizeof(fault), 2, &r) == 0 && r.status == 0x1c010002);
	put_le32(fault + 24, 0);
	CHECK(dcerpc_response_decode(fault, sizeof(fault), 2, &r) == 0 && r.status != 0);
	CHECK(dcerpc_response_decode(fault, 27, 2, &r) == -EBADMSG);
	free(p);
}

int main(void)
{
	test_requests();
	test_bind_ack();
	test_response();
	return tap_done();
}
