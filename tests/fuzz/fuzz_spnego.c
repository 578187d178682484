/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness: SPNEGO NegTokenInit / NegTokenResp decoders (and the NTLMSSP token inside). Seeds: tests/vectors/spnego_*. */
#include <stddef.h>
#include <stdint.h>

#include "smbfuse/ntlmssp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spnego_init si;
	struct spnego_resp r;
	struct ntlm_challenge ch;

	if (spnego_init_decode(data, size, &si) == 0)
		(void)spnego_init_offers(&si, spnego_oid_ntlmssp, sizeof(spnego_oid_ntlmssp));
	if (spnego_resp_decode(data, size, &r) == 0 && r.response_token)
		(void)ntlm_challenge_decode(r.response_token, r.response_token_len, &ch);
	return 0;
}
