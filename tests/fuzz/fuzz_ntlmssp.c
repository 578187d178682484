/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness: NTLMSSP CHALLENGE / AUTHENTICATE decoders and the AV_PAIR walker. Seeds: tests/vectors/spnego_*. */
#include <stddef.h>
#include <stdint.h>

#include "smbfuse/ntlmssp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ntlm_challenge ch;
	struct ntlm_authenticate_view av;
	struct ntlm_av a;

	if (ntlm_challenge_decode(data, size, &ch) == 0)
		(void)ntlm_av_find(ch.target_info, ch.target_info_len, MSV_AV_TIMESTAMP, &a);
	(void)ntlm_authenticate_decode(data, size, &av);
	(void)ntlm_av_validate(data, size);
	return 0;
}
