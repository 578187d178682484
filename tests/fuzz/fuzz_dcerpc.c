/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness: the DCE/RPC PDU decoders and the srvsvc NetrShareEnum stub decoder (dcerpc.h), on the
 * input as a PDU and as a bare stub. Every view returned must lie inside the input (abort otherwise).
 * Seeds: tests/vectors/dcerpc_*.
 */
#include <stdint.h>
#include <stdlib.h>

#include "smbfuse/dcerpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inside(const uint8_t *base, size_t n, const uint8_t *p, size_t len)
{
	volatile uint8_t sink = 0;
	if (len && (!p || p < base || len > n || (size_t)(p - base) > n - len))
		abort();
	for (size_t i = 0; i < len; i++)
		sink ^= p[i];
	(void)sink;
}

static void stub(const uint8_t *p, size_t n)
{
	struct srvsvc_share_enum1_rsp r;
	struct srvsvc_share1 s[64];
	if (srvsvc_share_enum1_rsp_decode(p, n, s, 64, &r) != 0)
		return;
	if (r.count > SRVSVC_MAX_SHARES)
		abort();
	for (uint32_t i = 0; i < r.count && i < 64; i++) {
		inside(p, n, s[i].name, s[i].name_len);
		inside(p, n, s[i].remark, s[i].remark_len);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dcerpc_hdr h;
	struct dcerpc_bind_ack a;
	struct dcerpc_response r;
	if (dcerpc_hdr_decode(data, size, &h) == 0) {
		if (h.frag_len > size)
			abort();
		(void)dcerpc_bind_ack_decode(data, size, &a);
		if (dcerpc_response_decode(data, size, h.call_id, &r) == 0 && !r.status) {
			inside(data, size, r.stub, r.stub_len);
			stub(r.stub, r.stub_len);
		}
	}
	stub(data, size);
	return 0;
}
