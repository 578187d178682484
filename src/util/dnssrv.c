/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dnssrv.c - DNS SRV records (contract: smbfuse/dnssrv.h). libresolv's ns_initparse/ns_parserr/dn_expand
 * bound-check the packet (sections, name pointers, loops); what they hand back is checked again here.
 */
#include <arpa/nameser.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "smbfuse/dnssrv.h"

#define RR_SCAN_MAX 256 /* answer records looked at: a packet of 64 KiB holds thousands */

/* Names compare without a trailing dot and ignoring ASCII case (RFC 4343). */
static bool same_name(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	la -= la && a[la - 1] == '.';
	lb -= lb && b[lb - 1] == '.';
	return la == lb && !strncasecmp(a, b, la);
}

/* A host name we can connect: dn_expand's text, which escapes any other byte with '\\' (refused here). */
static bool host_name(const char *s)
{
	size_t n = strlen(s), label = 0;
	if (!n || n >= sizeof(((struct dns_srv *)0)->target))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '.') {
			if (!label)
				return false; /* an empty label */
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
			   c == '_') {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return true;
}

/* The SRV data of rr into *out: false when it is short, its target is no host name (or "."), or bytes
 * follow the target. */
static bool srv_rdata(const ns_msg *m, const ns_rr *rr, struct dns_srv *out)
{
	const uint8_t *d = ns_rr_rdata(*rr);
	size_t n = ns_rr_rdlen(*rr);
	char name[NS_MAXDNAME];
	if (n < 7)
		return false;
	int used = dn_expand(ns_msg_base(*m), ns_msg_end(*m), d + 6, name, sizeof(name));
	if (used < 1 || (size_t)used != n - 6 || !host_name(name))
		return false;
	out->priority = ns_get16(d);
	out->weight = ns_get16(d + 2);
	out->port = ns_get16(d + 4);
	size_t l = strlen(name);
	memcpy(out->target, name, l + 1);
	if (out->target[l - 1] == '.')
		out->target[l - 1] = '\0';
	return true;
}

int dns_srv_parse(const uint8_t *msg, size_t len, const char *name, struct dns_srv *out, unsigned max)
{
	ns_msg m;
	ns_rr rr;
	if (len > 65535 || ns_initparse(msg, (int)len, &m) < 0 || !ns_msg_getflag(m, ns_f_qr))
		return -EPROTO;
	int rcode = ns_msg_getflag(m, ns_f_rcode);
	if (rcode == ns_r_nxdomain)
		return 0;
	if (rcode != ns_r_noerror || ns_msg_count(m, ns_s_qd) != 1 || ns_parserr(&m, ns_s_qd, 0, &rr) < 0 ||
	    ns_rr_type(rr) != ns_t_srv || ns_rr_class(rr) != ns_c_in || !same_name(ns_rr_name(rr), name))
		return -EPROTO;
	unsigned n = 0, an = ns_msg_count(m, ns_s_an);
	for (unsigned i = 0; i < an && i < RR_SCAN_MAX && n < max; i++) {
		if (ns_parserr(&m, ns_s_an, (int)i, &rr) < 0)
			return -EPROTO;
		if (ns_rr_type(rr) == ns_t_srv && ns_rr_class(rr) == ns_c_in && same_name(ns_rr_name(rr), name) &&
		    srv_rdata(&m, &rr, &out[n]))
			n++;
	}
	return (int)n;
}

static uint32_t sys_random(void *arg)
{
	(void)arg;
	uint32_t r = 0;
	if (getrandom(&r, sizeof(r), 0) != sizeof(r))
		r = (uint32_t)random();
	return r;
}

void dns_srv_order(struct dns_srv *v, unsigned n, uint32_t (*rnd)(void *arg), void *arg)
{
	if (!rnd)
		rnd = sys_random;
	/* By priority, weight 0 first within one: a stable insertion sort (n is small). */
	for (unsigned i = 1; i < n; i++)
		for (unsigned j = i; j > 0 && (v[j - 1].priority > v[j].priority ||
					       (v[j - 1].priority == v[j].priority && v[j - 1].weight && !v[j].weight));
		     j--) {
			struct dns_srv t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	/* RFC 2782: of the records of one priority not yet placed, pick the first whose running sum of
	 * weights reaches a random number in [0, sum]; place it next. */
	for (unsigned i = 0; i < n; i++) {
		unsigned end = i;
		uint32_t sum = 0;
		while (end < n && v[end].priority == v[i].priority)
			sum += v[end++].weight;
		if (end - i < 2)
			continue;
		uint32_t r = sum ? rnd(arg) % (sum + 1) : 0, run = 0;
		unsigned k = i;
		for (; k < end; k++) {
			run += v[k].weight;
			if (run >= r)
				break;
		}
		struct dns_srv t = v[k];
		memmove(&v[i + 1], &v[i], (k - i) * sizeof(*v));
		v[i] = t;
	}
}

int dns_srv_lookup(const char *name, struct dns_srv *out, unsigned max)
{
	struct __res_state st;
	memset(&st, 0, sizeof(st));
	if (res_ninit(&st) < 0)
		return -EAGAIN;
	uint8_t *buf = malloc(65535);
	if (!buf) {
		res_nclose(&st);
		return -ENOMEM;
	}
	int len = res_nquery(&st, name, ns_c_in, ns_t_srv, buf, 65535);
	int herr = st.res_h_errno;
	res_nclose(&st);
	int rc;
	if (len < 0)
		rc = herr == HOST_NOT_FOUND || herr == NO_DATA ? 0 : -EAGAIN;
	else
		rc = dns_srv_parse(buf, len > 65535 ? 65535 : (size_t)len, name, out, max);
	free(buf);
	if (rc > 0)
		dns_srv_order(out, (unsigned)rc, NULL, NULL);
	return rc;
}
