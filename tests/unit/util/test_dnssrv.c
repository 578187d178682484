/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of the DNS SRV parse and order (src/util/dnssrv.c) with crafted answers, malformed ones
 * included; every truncation and every single-byte change of a good answer is parsed too (ASan/UBSan). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "smbfuse/dnssrv.h"

#define QNAME "_ldap._tcp.dc._msdcs.smbfuse.test"

struct pkt {
	uint8_t b[4096];
	size_t n;
};

static void put8(struct pkt *p, unsigned v)
{
	p->b[p->n++] = (uint8_t)v;
}

static void put16(struct pkt *p, unsigned v)
{
	put8(p, v >> 8);
	put8(p, v & 0xff);
}

/* name in wire form, uncompressed ("" is the root). */
static void putname(struct pkt *p, const char *name)
{
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t l = dot ? (size_t)(dot - name) : strlen(name);
		put8(p, (unsigned)l);
		memcpy(p->b + p->n, name, l);
		p->n += l;
		name += l + (dot != NULL);
	}
	put8(p, 0);
}

/* Header (id 1, QR, RD, RA, rcode) and the question qname/type SRV/IN; an counted as given. */
static void head(struct pkt *p, unsigned rcode, unsigned an, const char *qname, unsigned qtype)
{
	p->n = 0;
	put16(p, 1);
	put16(p, 0x8180 | rcode);
	put16(p, 1);
	put16(p, an);
	put16(p, 0);
	put16(p, 0);
	putname(p, qname);
	put16(p, qtype);
	put16(p, 1);
}

/* One SRV answer of the question's name (a pointer to offset 12), target written as given. */
static void srv(struct pkt *p, unsigned prio, unsigned weight, const char *target)
{
	put16(p, 0xc00c);
	put16(p, 33);
	put16(p, 1);
	put16(p, 0);
	put16(p, 600);
	size_t len_at = p->n;
	put16(p, 0);
	put16(p, prio);
	put16(p, weight);
	put16(p, 389);
	putname(p, target);
	size_t rdlen = p->n - len_at - 2;
	p->b[len_at] = (uint8_t)(rdlen >> 8);
	p->b[len_at + 1] = (uint8_t)rdlen;
}

/* One SRV answer of the question's name whose target is the raw bytes t[0..tn) (rdlen 6 + tn + extra, the
 * extra bytes zero); returns the offset of the target. */
static size_t srv_raw(struct pkt *p, const uint8_t *t, size_t tn, size_t extra)
{
	put16(p, 0xc00c);
	put16(p, 33);
	put16(p, 1);
	put16(p, 0);
	put16(p, 600);
	put16(p, (unsigned)(6 + tn + extra));
	put16(p, 0);
	put16(p, 0);
	put16(p, 389);
	size_t at = p->n;
	memcpy(p->b + p->n, t, tn);
	p->n += tn + extra;
	memset(p->b + at + tn, 0, extra);
	return at;
}

/* The answer of two DCs, the second's target written with a trailing dot. */
static void two_dcs(struct pkt *p)
{
	head(p, 0, 2, QNAME, 33);
	srv(p, 10, 0, "dc2.smbfuse.test");
	srv(p, 0, 100, "dc1.smbfuse.test.");
}

static void test_good(void)
{
	struct pkt p;
	struct dns_srv v[DNS_SRV_MAX];
	two_dcs(&p);
	CHECK(dns_srv_parse(p.b, p.n, QNAME, v, DNS_SRV_MAX) == 2);
	CHECK(!strcmp(v[0].target, "dc2.smbfuse.test") && v[0].priority == 10 && v[0].port == 389);
	CHECK(!strcmp(v[1].target, "dc1.smbfuse.test") && v[1].weight == 100);
	/* The question's name in another case, with a trailing dot: the same name. */
	CHECK(dns_srv_parse(p.b, p.n, "_LDAP._tcp.DC._msdcs.SMBFUSE.TEST.", v, DNS_SRV_MAX) == 2);
	/* max bounds what is kept. */
	CHECK(dns_srv_parse(p.b, p.n, QNAME, v, 1) == 1);

	/* A target compressed with a pointer to the question's "smbfuse.test" (offset 12 + 21). */
	head(&p, 0, 1, QNAME, 33);
	const uint8_t xp[] = {1, 'x', 0xc0, 12 + 21};
	srv_raw(&p, xp, sizeof(xp), 0);
	CHECK(dns_srv_parse(p.b, p.n, QNAME, v, DNS_SRV_MAX) == 1);
	CHECK(!strcmp(v[0].target, "x.smbfuse.test"));
}

static void test_no_records(void)
{
	struct pkt p;
	struct dns_srv v[DNS_SRV_MAX];
	head(&p, 3, 0, QNAME, 33); /* NXDOMAIN */
	CHECK(dns_srv_parse(p.b, p.n, QNAME, v, DNS_SRV_MAX) == 0);
	head(&p, 0, 0, QNAME, 33); /* no data */
	CHECK(dns_srv_parse(p.b, p.n, QNAME, v, DNS_SRV_MAX) == 0);
	head(&p, 0, 1, QNAME, 33); /* "." : no such service */
	srv(&p, 0, 0, "");
	CHECK(dns_srv_parse(p.b, p.n, QNAME, v, DNS_SRV_MAX) == 0);
}

static void test_refused_answers(void)
{
	struct pkt p;
	struct dns_srv v[DNS_SRV_MAX];
	head(&p, 2, 0, QNAME, 33); /* SERVFAIL */
	CHECK(dns_srv_parse(p.b, p.n, QNAME, v, DNS_SRV_MAX) == -EPROTO);
	head(&p, 0, 1, "other.test", 33); /* an answer to another question */
	srv(&p, 0, 0, "dc1.smbfuse.test");
	CHECK(dns_srv_parse(p.b, p.n, QNAME, v, DNS_SRV_MAX) == -EPROTO);
	head(&p, 0, 0, QNAME, 1); /* type A asked */
	CHECK(dns_srv_parse(p.b, p.n, QNAME, v, DNS_SRV_MAX) == -EPROTO);
	head(&p, 0, 0, QNAME, 33); /* a query, not a response */
	p.b[2] &= 0x7f;
	CHECK(dns_srv_parse(p.b, p.n, QNAME, v, DNS_SRV_MAX) == -EPROTO);
	head(&p, 0, 2, QNAME, 33); /* two answers counted, one present */
	srv(&p, 0, 0, "dc1.smbfuse.test");
	CHECK(dns_srv_parse(p.b, p.n, QNAME, v, DNS_SRV_MAX) == -EPROTO);
	head(&p, 0, 1, QNAME, 33); /* rdlen beyond the packet */
	const uint8_t t[] = {3, 'd', 'c', '1', 0};
	size_t at = srv_raw(&p, t, sizeof(t), 0);
	p.b[at - 8] = 0xff;
	CHECK(dns_srv_parse(p.b, p.n, QNAME, v, DNS_SRV_MAX) == -EPROTO);
	CHECK(dns_srv_parse(p.b, 11, QNAME, v, DNS_SRV_MAX) == -EPROTO); /* shorter than a header */
	CHECK(dns_srv_parse(p.b, 0, QNAME, v, DNS_SRV_MAX) == -EPROTO);
}

static void test_skipped_records(void)
{
	struct pkt p;
	struct dns_srv v[DNS_SRV_MAX];
	/* A target that is a pointer to itself (a loop), one with a space and one with a '/', data beyond
	 * the target, a short record, a record of another name, and one of class CH: none kept. */
	head(&p, 0, 7, QNAME, 33);
	uint8_t loop[] = {0xc0, 0};
	loop[1] = (uint8_t)(p.n + 18); /* the target's own offset */
	srv_raw(&p, loop, sizeof(loop), 0);
	const uint8_t sp[] = {3, 'a', ' ', 'b', 0}, sl[] = {3, 'a', '/', 'b', 0}, ok[] = {3, 'd', 'c', '1', 0};
	srv_raw(&p, sp, sizeof(sp), 0);
	srv_raw(&p, sl, sizeof(sl), 0);
	srv_raw(&p, ok, sizeof(ok), 1); /* a byte beyond the target */
	srv_raw(&p, ok, 0, 0);		/* rdlen 6: no target */
	putname(&p, "other.test");	/* a record of another name */
	put16(&p, 33);
	put16(&p, 1);
	put16(&p, 0);
	put16(&p, 600);
	put16(&p, 11);
	for (int i = 0; i < 6; i++)
		put8(&p, 0);
	memcpy(p.b + p.n, ok, sizeof(ok));
	p.n += sizeof(ok);
	size_t ch = p.n;
	srv_raw(&p, ok, sizeof(ok), 0);
	p.b[ch + 5] = 3; /* class CH */
	CHECK(dns_srv_parse(p.b, p.n, QNAME, v, DNS_SRV_MAX) == 0);

	/* A label of 64 bytes cannot be sent (the wire's label length is 6 bits); a name of 254: refused. */
	char longname[300];
	memset(longname, 'a', sizeof(longname));
	for (int i = 50; i < 299; i += 51)
		longname[i] = '.';
	longname[299] = '\0';
	head(&p, 0, 1, QNAME, 33);
	srv(&p, 0, 0, longname);
	CHECK(dns_srv_parse(p.b, p.n, QNAME, v, DNS_SRV_MAX) == 0);
	longname[253] = '\0';
	head(&p, 0, 1, QNAME, 33);
	srv(&p, 0, 0, longname);
	CHECK(dns_srv_parse(p.b, p.n, QNAME, v, DNS_SRV_MAX) == 1 && strlen(v[0].target) == 253);
}

/* Every truncation and every one-byte change of a good answer: parsed without a fault, targets sane. */
static void test_sweep(void)
{
	struct pkt p;
	struct dns_srv v[DNS_SRV_MAX];
	two_dcs(&p);
	int bad = 0;
	for (size_t l = 0; l < p.n; l++) {
		int n = dns_srv_parse(p.b, l, QNAME, v, DNS_SRV_MAX);
		bad += n > 2;
	}
	for (size_t i = 0; i < p.n; i++)
		for (unsigned x = 1; x < 256; x <<= 1) {
			struct pkt q = p;
			q.b[i] ^= (uint8_t)x;
			int n = dns_srv_parse(q.b, q.n, QNAME, v, DNS_SRV_MAX);
			for (int k = 0; k < n; k++)
				bad += !v[k].target[0] || strlen(v[k].target) > 253 || strpbrk(v[k].target, " /\\") != NULL;
		}
	CHECK(bad == 0);
}

static uint32_t fixed(void *arg)
{
	return *(uint32_t *)arg;
}

static void mk(struct dns_srv *v, unsigned prio, unsigned weight, const char *t)
{
	memset(v, 0, sizeof(*v));
	v->priority = (uint16_t)prio;
	v->weight = (uint16_t)weight;
	snprintf(v->target, sizeof(v->target), "%s", t);
}

static void test_order(void)
{
	struct dns_srv v[4];
	uint32_t r = 0;
	/* Priority first; weight 0 before others of its priority when the random number is 0. */
	mk(&v[0], 20, 0, "d");
	mk(&v[1], 10, 60, "b");
	mk(&v[2], 10, 0, "a");
	mk(&v[3], 5, 1, "z");
	dns_srv_order(v, 4, fixed, &r);
	CHECK(!strcmp(v[0].target, "z") && !strcmp(v[1].target, "a") && !strcmp(v[2].target, "b") &&
	      !strcmp(v[3].target, "d"));
	/* A random number past the first weights picks the heavier one first. */
	mk(&v[0], 0, 10, "light");
	mk(&v[1], 0, 90, "heavy");
	r = 50;
	dns_srv_order(v, 2, fixed, &r);
	CHECK(!strcmp(v[0].target, "heavy") && !strcmp(v[1].target, "light"));
	r = 5;
	mk(&v[0], 0, 10, "light");
	mk(&v[1], 0, 90, "heavy");
	dns_srv_order(v, 2, fixed, &r);
	CHECK(!strcmp(v[0].target, "light"));
	/* The system's random numbers: each of two equal weights comes first sometimes. */
	unsigned first_a = 0;
	for (int i = 0; i < 200; i++) {
		mk(&v[0], 0, 50, "a");
		mk(&v[1], 0, 50, "b");
		dns_srv_order(v, 2, NULL, NULL);
		first_a += !strcmp(v[0].target, "a");
	}
	CHECK(first_a > 20 && first_a < 180);
}

int main(void)
{
	test_good();
	test_no_records();
	test_refused_answers();
	test_skipped_records();
	test_sweep();
	test_order();
	return tap_done();
}
