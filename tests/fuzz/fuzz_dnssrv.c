/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness: the DNS SRV answer parse and order (src/util/dnssrv.c) on the input as the answer to
 * _ldap._tcp.dc._msdcs.smbfuse.test. Every record kept must have a host name of at most 253 bytes, and the
 * order must keep them all (abort otherwise). Seeds: tests/vectors/dns_*.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smbfuse/dnssrv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t same(void *arg)
{
	return *(uint32_t *)arg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_srv v[DNS_SRV_MAX];
	int n = dns_srv_parse(data, size, "_ldap._tcp.dc._msdcs.smbfuse.test", v, DNS_SRV_MAX);
	if (n > DNS_SRV_MAX)
		abort();
	unsigned sum = 0;
	for (int i = 0; i < n; i++) {
		size_t l = strnlen(v[i].target, sizeof(v[i].target));
		if (!l || l > 253 || v[i].target[l - 1] == '.')
			abort();
		sum += v[i].priority;
	}
	uint32_t r = size ? data[0] * 0x01010101u : 0;
	if (n > 0) {
		dns_srv_order(v, (unsigned)n, same, &r);
		for (int i = 0; i < n; i++)
			sum -= v[i].priority;
		for (int i = 1; i < n; i++)
			if (v[i - 1].priority > v[i].priority)
				abort();
		if (sum)
			abort(); /* a record lost or doubled */
	}
	return 0;
}
