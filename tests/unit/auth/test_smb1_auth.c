/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SMB1 signing (MS-CIFS 3.1.4.1) and the plain challenge/response (src/auth/smb1_auth.c). The NTLMv1 values are
 * MS-NLMP 4.2.2's; interoperability of the MAC with smbd is tested end to end in test_smb1_logon.py. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "smbfuse/auth.h"

static void test_ntlmv1_kat(void)
{
	size_t n;
	uint8_t *v = tap_load_hex("ntlm_v1_4_2_2.hex", &n);
	static const uint8_t chal[8] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};
	struct auth_creds cr = {.user = "User", .password = "Password", .domain = "Domain"};
	struct smb1_plain_auth a;
	CHECK(n == 3 * 16 + 2 * 24 && smb1_plain_auth(&cr, true, chal, NULL, 0, &a) == 0);
	CHECK(a.nt_len == 24 && memcmp(a.nt, v + 48, 24) == 0);
	/* The LM field repeats the NT response: no LM hash ever leaves the machine. */
	CHECK(memcmp(a.lm, a.nt, 24) == 0);
	/* MAC key = SessionBaseKey || NT response (MS-CIFS 3.2.5.3). */
	CHECK(a.mac_key_len == 40 && memcmp(a.mac_key, v + 32, 16) == 0 && memcmp(a.mac_key + 16, v + 48, 24) == 0);
	free(v);
	cr.anonymous = true;
	CHECK(smb1_plain_auth(&cr, true, chal, NULL, 0, &a) == -EINVAL);
}

static void test_ntlmv2_shape(void)
{
	static const uint8_t chal[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	static const uint8_t dom[] = {'W', 0, 'G', 0};
	struct auth_creds cr = {.user = "u", .password = "p", .domain = "WG"};
	struct smb1_plain_auth a, b;
	CHECK(smb1_plain_auth(&cr, false, chal, dom, sizeof(dom), &a) == 0);
	CHECK(smb1_plain_auth(&cr, false, chal, dom, sizeof(dom), &b) == 0);
	/* NTProofStr(16) + blob: version, reserved, time, client challenge, 0, AV pairs with the domain, EOL, 0. */
	CHECK(a.nt_len == 16 + 28 + 4 + 4 + 4 + 4 && a.nt[16] == 1 && a.nt[17] == 1);
	CHECK(memcmp(a.nt + 16 + 28, "\x02\x00\x04\x00W\0G\0", 8) == 0);
	/* A fresh client challenge each time. */
	CHECK(memcmp(a.nt, b.nt, 16) != 0 && a.mac_key_len == 16 + a.nt_len);
}

static void test_sign_verify(void)
{
	uint8_t msg[64];
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 7);
	static const uint8_t key[16] = "0123456789abcdef";
	struct iovec iov[2] = {{msg, 40}, {msg + 40, 24}};
	uint8_t sig[8], sig1[8];
	CHECK(smb1_sign(key, sizeof(key), 6, iov, 2, sig) == 0);
	struct iovec one = {msg, sizeof(msg)};
	CHECK(smb1_sign(key, sizeof(key), 6, &one, 1, sig1) == 0 && memcmp(sig, sig1, 8) == 0);
	/* What was in the signature field does not matter: it is replaced by the sequence number. */
	memcpy(msg + 14, sig, 8);
	CHECK(smb1_verify(key, sizeof(key), 6, msg, sizeof(msg)) == 0);
	CHECK(smb1_verify(key, sizeof(key), 7, msg, sizeof(msg)) == -EACCES);
	CHECK(smb1_verify(key, sizeof(key) - 1, 6, msg, sizeof(msg)) == -EACCES);
	msg[50] ^= 1;
	CHECK(smb1_verify(key, sizeof(key), 6, msg, sizeof(msg)) == -EACCES);
	CHECK(smb1_verify(key, sizeof(key), 6, msg, 21) == -EINVAL);
}

int main(void)
{
	test_ntlmv1_kat();
	test_ntlmv2_shape();
	test_sign_verify();
	return tap_done();
}
