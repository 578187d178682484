/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dnssrv.h - DNS SRV records (RFC 2782) through glibc's libresolv: what the DC locator of a domain-based
 * DFS source asks (_ldap._tcp.dc._msdcs.DOMAIN, MS-ADTS 6.3.6). The parse is pure, separate from the
 * query, so that crafted and malformed answers can be unit-tested; every answer is taken as hostile.
 */
#ifndef SMBFUSE_DNSSRV_H
#define SMBFUSE_DNSSRV_H

#include <stddef.h>
#include <stdint.h>

#define DNS_SRV_MAX 8 /* records kept from one answer; the rest are ignored */

struct dns_srv {
	uint16_t priority, weight, port;
	char target[254]; /* a host name: letters, digits, '-', '_', '.'; no trailing dot */
};

/*
 * The SRV records of name in the answer msg[0..len) to a query for name, type SRV, class IN, in the
 * answer's order: at most max of them into out; returns how many (0: NXDOMAIN, no data, or only the
 * target "." that says there is no such service), or -EPROTO for an answer that does not parse, is no
 * answer to that question, or has an error code. Records of other names, types or classes are skipped,
 * as are those whose target is no host name or whose data has bytes beyond the target.
 */
int dns_srv_parse(const uint8_t *msg, size_t len, const char *name, struct dns_srv *out, unsigned max);

/* RFC 2782's order: ascending priority; within a priority, a weighted random choice, weight 0 first.
 * rnd returns uniformly distributed 32-bit numbers (NULL: getrandom(2)). */
void dns_srv_order(struct dns_srv *v, unsigned n, uint32_t (*rnd)(void *arg), void *arg);

/* Ask the system's resolver (resolv.conf, its timeouts) for name's SRV records and order them: returns how
 * many are in out[0..max) (0: none), -EAGAIN when no server answered, -EPROTO as dns_srv_parse. */
int dns_srv_lookup(const char *name, struct dns_srv *out, unsigned max);

#endif
