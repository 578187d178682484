/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz entry points for the NetBIOS decoders; see decoders_nb.h. */
#include <stdlib.h>
#include <string.h>

#include "decoders_nb.h"
#include "smbfuse/netbios.h"

/* A decoded name is NUL-terminated within its array, and empty on failure. */
static void name_ok(const char *name, size_t cap, int e)
{
	if (!memchr(name, 0, cap) || (e && name[0]))
		abort();
}

static int nb_name(const uint8_t *p, size_t n)
{
	struct cur c;
	char name[NB_NAME_MAX + 1];
	uint8_t sfx;
	memset(name, 0, sizeof(name));
	cur_init(&c, p, n);
	/* Start at every offset so compression pointers meet names before and after them. */
	int e = nb_name_decode(&c, name, &sfx);
	name_ok(name, sizeof(name), 0);
	for (size_t off = 1; off < n && off < 64; off++) {
		cur_init(&c, p, n);
		cur_seek(&c, off);
		(void)nb_name_decode(&c, name, &sfx);
		name_ok(name, sizeof(name), 0);
	}
	return e;
}

static int nbss_rsp(const uint8_t *p, size_t n)
{
	struct nbss_session_rsp r;
	int e = nbss_session_rsp_decode(p, n, &r);
	if (e && r.type)
		abort();
	uint8_t t;
	uint32_t l;
	if (nbss_hdr_decode(p, n, &t, &l) == 0 && l > 0x1ffff)
		abort();
	return e;
}

static int nbns_query(const uint8_t *p, size_t n)
{
	static struct nbns_name_rsp r;
	int e = nbns_name_query_rsp_decode(p, n, &r);
	name_ok(r.name, sizeof(r.name), e);
	if (r.naddrs > NBNS_MAX_ADDRS || (r.rcode && r.naddrs) || (e && r.naddrs))
		abort();
	return e;
}

static int nbns_status(const uint8_t *p, size_t n)
{
	static struct nbns_status_rsp r;
	int e = nbns_node_status_rsp_decode(p, n, &r);
	if (r.nnames > NBNS_MAX_NAMES || (e && r.nnames))
		abort();
	for (unsigned i = 0; i < r.nnames; i++)
		name_ok(r.names[i].name, sizeof(r.names[i].name), 0);
	return e;
}

const struct fz_decoder fz_nb_decoders[] = {
    {"nb_name", nb_name},
    {"nbss_rsp", nbss_rsp},
    {"nbns_query", nbns_query},
    {"nbns_status", nbns_status},
};
const unsigned fz_nb_ndecoders = sizeof(fz_nb_decoders) / sizeof(fz_nb_decoders[0]);

const struct fz_decoder *fz_nb_find(const char *name)
{
	for (unsigned i = 0; i < fz_nb_ndecoders; i++)
		if (strcmp(fz_nb_decoders[i].name, name) == 0)
			return &fz_nb_decoders[i];
	return NULL;
}
