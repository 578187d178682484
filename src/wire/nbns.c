/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NetBIOS name service packets (RFC 1002 4.2): NAME QUERY and NODE STATUS requests and their responses,
 * as a client (pysmb's queryName / queryIPForName, nmblookup and nmblookup -A) sends and reads them.
 */
#include <errno.h>
#include <string.h>

#include "smbfuse/netbios.h"

/* HEADER (4.2.1.1): the OPCODE, NM_FLAGS and RCODE word. */
#define NBNS_R 0x8000
#define NBNS_OPCODE(f) ((f) >> 11 & 0xf)
#define NBNS_OPCODE_QUERY 0
#define NBNS_RD 0x0100
#define NBNS_B 0x0010
#define NBNS_RCODE(f) ((f)&0xf)
#define NBNS_ADDR_ENTRY 6 /* NB_FLAGS + NB_ADDRESS */
#define NBNS_NODE_NAME 18 /* 16-byte name + NAME_FLAGS */
#define NBNS_UNIT_ID 6

static void hdr_encode(struct wbuf *w, uint16_t trn_id, uint16_t flags)
{
	wbuf_be16(w, trn_id);
	wbuf_be16(w, flags);
	wbuf_be16(w, 1); /* QDCOUNT */
	wbuf_be16(w, 0);
	wbuf_be16(w, 0);
	wbuf_be16(w, 0);
}

static int question_encode(struct wbuf *w, const char *name, uint8_t suffix, uint16_t type)
{
	int r = nb_name_encode(w, name, suffix);
	if (r)
		return r;
	wbuf_be16(w, type);
	wbuf_be16(w, NBNS_CLASS_IN);
	return wbuf_err(w);
}

int nbns_name_query_encode(struct wbuf *w, uint16_t trn_id, const char *name, uint8_t suffix, bool broadcast)
{
	if (!name || !*name || strlen(name) > NB_NAME_MAX || strcmp(name, "*") == 0)
		return -EINVAL;
	hdr_encode(w, trn_id, NBNS_RD | (broadcast ? NBNS_B : 0));
	return question_encode(w, name, suffix, NBNS_TYPE_NB);
}

int nbns_node_status_encode(struct wbuf *w, uint16_t trn_id)
{
	hdr_encode(w, trn_id, 0);
	return question_encode(w, "*", 0, NBNS_TYPE_NBSTAT);
}

struct rr {
	uint16_t trn_id;
	uint8_t rcode;
	bool has_answer;
	char name[NB_NAME_MAX + 1];
	uint8_t suffix;
	uint32_t ttl;
	struct cur rdata;
};

/*
 * The header and, if ANCOUNT says there is one, the first answer record of a query response (4.2.1.3).
 * Questions echoed back by some servers are skipped.
 */
static int rsp_start(const uint8_t *p, size_t n, uint16_t want_type, struct rr *rr)
{
	struct cur c;
	cur_init(&c, p, n);
	memset(rr, 0, sizeof(*rr));
	rr->trn_id = cur_be16(&c);
	uint16_t flags = cur_be16(&c), qd = cur_be16(&c), an = cur_be16(&c);
	cur_skip(&c, 4); /* NSCOUNT, ARCOUNT */
	if (cur_err(&c))
		return -EBADMSG;
	if (!(flags & NBNS_R) || NBNS_OPCODE(flags) != NBNS_OPCODE_QUERY)
		return -EPROTO;
	rr->rcode = NBNS_RCODE(flags);
	for (unsigned i = 0; i < qd && !cur_err(&c); i++) {
		char nm[NB_NAME_MAX + 1];
		uint8_t sfx;
		nb_name_decode(&c, nm, &sfx);
		cur_skip(&c, 4);
	}
	if (an == 0 || cur_err(&c))
		return cur_err(&c) ? -EBADMSG : 0;
	nb_name_decode(&c, rr->name, &rr->suffix);
	uint16_t type = cur_be16(&c), cls = cur_be16(&c);
	rr->ttl = cur_be32(&c);
	uint16_t rdlen = cur_be16(&c);
	cur_sub(&c, c.pos, rdlen, &rr->rdata);
	if (cur_err(&c))
		return -EBADMSG;
	if (type != want_type || cls != NBNS_CLASS_IN)
		return -EPROTO;
	rr->has_answer = true;
	return 0;
}

int nbns_name_query_rsp_decode(const uint8_t *p, size_t n, struct nbns_name_rsp *out)
{
	struct rr rr;
	memset(out, 0, sizeof(*out));
	int r = rsp_start(p, n, NBNS_TYPE_NB, &rr);
	if (r)
		return r;
	out->trn_id = rr.trn_id;
	out->rcode = rr.rcode;
	if (rr.rcode)
		return 0; /* a negative response's record, if any, says nothing more */
	/* RDATA is whole NB_FLAGS + NB_ADDRESS entries; a positive answer has at least one. */
	size_t len = cur_left(&rr.rdata);
	if (!rr.has_answer || len == 0 || len % NBNS_ADDR_ENTRY) {
		memset(out, 0, sizeof(*out));
		return -EBADMSG;
	}
	memcpy(out->name, rr.name, sizeof(out->name));
	out->suffix = rr.suffix;
	out->ttl = rr.ttl;
	for (size_t i = 0; i < len / NBNS_ADDR_ENTRY && out->naddrs < NBNS_MAX_ADDRS; i++) {
		struct nbns_addr *a = &out->addrs[out->naddrs++];
		a->nb_flags = cur_be16(&rr.rdata);
		cur_copy(&rr.rdata, a->ip, 4);
	}
	return 0;
}

static void node_name_decode(struct cur *c, struct nbns_node_name *nn)
{
	const uint8_t *raw = cur_bytes(c, 16);
	nn->flags = cur_be16(c);
	if (!raw)
		return;
	size_t len = NB_NAME_MAX;
	while (len && (raw[len - 1] == ' ' || raw[len - 1] == 0))
		len--;
	/* A name is shown to the user: keep it printable. */
	for (size_t i = 0; i < len; i++)
		nn->name[i] = raw[i] < 0x20 || raw[i] >= 0x7f ? '?' : (char)raw[i];
	nn->name[len] = 0;
	nn->suffix = raw[15];
}

int nbns_node_status_rsp_decode(const uint8_t *p, size_t n, struct nbns_status_rsp *out)
{
	struct rr rr;
	memset(out, 0, sizeof(*out));
	int r = rsp_start(p, n, NBNS_TYPE_NBSTAT, &rr);
	if (r)
		return r;
	if (rr.rcode || !rr.has_answer)
		return -EPROTO;
	unsigned num = cur_u8(&rr.rdata);
	if (cur_err(&rr.rdata) || cur_left(&rr.rdata) < (size_t)num * NBNS_NODE_NAME)
		return -EBADMSG;
	out->trn_id = rr.trn_id;
	for (unsigned i = 0; i < num; i++) {
		struct nbns_node_name nn = {0};
		node_name_decode(&rr.rdata, &nn);
		if (out->nnames < NBNS_MAX_NAMES)
			out->names[out->nnames++] = nn;
	}
	/* STATISTICS starts with the 6-byte UNIT_ID; Windows and nmbd send it, RFC-minimal responders may not. */
	if (cur_left(&rr.rdata) >= NBNS_UNIT_ID) {
		cur_copy(&rr.rdata, out->unit_id, NBNS_UNIT_ID);
		out->has_unit_id = true;
	}
	return 0;
}
