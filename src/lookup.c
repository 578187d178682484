/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lookup.c - NetBIOS name service from the command line, as pysmb's queryName / queryIPForName and
 * nmblookup / nmblookup -A offer it:
 *
 *   smbfuse --lookup NAME [--nbns ADDR[:PORT] | --broadcast ADDR] [--port N] [--timeout MS] [--type HEX]
 *   smbfuse --lookup-address ADDR [--port N] [--timeout MS]
 *
 * Broadcasts go only where --broadcast says (255.255.255.255 if neither --nbns nor --broadcast is given).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lookup.h"
#include "smbfuse/nbt.h"

#define LK_EX_USAGE 1
#define LK_EX_NOTFOUND 2

struct lk_args {
	const char *name, *address, *nbns, *bcast;
	char nbns_addr[64];
	struct nbns_cfg nc;
	unsigned suffix;
};

bool lookup_requested(int argc, char *argv[])
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--lookup") == 0 || strcmp(argv[i], "--lookup-address") == 0)
			return true;
	return false;
}

static int usage(const char *msg)
{
	fprintf(stderr,
		"smbfuse: %s\nusage: smbfuse --lookup NAME [--nbns ADDR[:PORT] | --broadcast ADDR] [--port N] "
		"[--timeout MS] [--type HEX]\n       smbfuse --lookup-address ADDR [--port N] [--timeout MS]\n",
		msg);
	return LK_EX_USAGE;
}

static bool num(const char *s, unsigned long max, int base, unsigned long *out)
{
	char *end;
	errno = 0;
	*out = strtoul(s, &end, base);
	return s[0] && s[0] != '-' && !*end && !errno && *out <= max;
}

/* --nbns ADDR[:PORT] */
static bool split_nbns(struct lk_args *a)
{
	snprintf(a->nbns_addr, sizeof(a->nbns_addr), "%s", a->nbns);
	char *colon = strchr(a->nbns_addr, ':');
	unsigned long v;
	if (colon) {
		*colon = 0;
		if (!num(colon + 1, 65535, 10, &v) || v == 0)
			return false;
		a->nc.port = (uint16_t)v;
	}
	a->nc.server = a->nbns_addr;
	return true;
}

static int parse(struct lk_args *a, int argc, char *argv[])
{
	unsigned long v;
	memset(a, 0, sizeof(*a));
	a->suffix = NB_SUFFIX_SERVER;
	for (int i = 1; i < argc; i++) {
		const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		if (!val)
			return usage("missing value after the last option");
		i++;
		if (strcmp(opt, "--lookup") == 0)
			a->name = val;
		else if (strcmp(opt, "--lookup-address") == 0)
			a->address = val;
		else if (strcmp(opt, "--nbns") == 0)
			a->nbns = val;
		else if (strcmp(opt, "--broadcast") == 0)
			a->bcast = val;
		else if (strcmp(opt, "--port") == 0 && num(val, 65535, 10, &v) && v)
			a->nc.port = (uint16_t)v;
		else if (strcmp(opt, "--timeout") == 0 && num(val, 600000, 10, &v) && v)
			a->nc.timeout_ms = (int)v;
		else if (strcmp(opt, "--type") == 0 && num(val, 255, 16, &v))
			a->suffix = (unsigned)v;
		else
			return usage("bad option or value");
	}
	if (!a->name == !a->address)
		return usage("give exactly one of --lookup NAME and --lookup-address ADDRESS");
	if (a->nbns && a->bcast)
		return usage("--nbns and --broadcast exclude each other");
	if (a->nbns && !split_nbns(a))
		return usage("bad --nbns (ADDR[:PORT])");
	if (!a->nbns)
		a->nc.bcast = a->bcast ? a->bcast : "255.255.255.255";
	return 0;
}

static int why(int rc, const char *what, const struct lk_args *a)
{
	const char *to = a->address ? a->address : a->nc.server ? a->nc.server : a->nc.bcast;
	unsigned port = a->nc.port ? a->nc.port : NBNS_PORT, ms = a->nc.timeout_ms ? (unsigned)a->nc.timeout_ms : 1000;
	if (rc == -ENOENT)
		fprintf(stderr, "smbfuse: %s: no such NetBIOS name (negative answer from %s)\n", what, to);
	else if (rc == -ETIMEDOUT)
		fprintf(stderr, "smbfuse: %s: no answer from %s port %u (3 attempts, %u ms each)\n", what, to, port,
			ms);
	else if (rc == -EINVAL)
		fprintf(stderr, "smbfuse: %s: not a valid NetBIOS name or IPv4 address\n", what);
	else
		fprintf(stderr, "smbfuse: %s: %s\n", what, strerror(-rc));
	return rc == -EINVAL ? LK_EX_USAGE : LK_EX_NOTFOUND;
}

static int lookup_name(struct lk_args *a)
{
	struct nbns_name_rsp r;
	char what[64];
	snprintf(what, sizeof(what), "%s<%02x>", a->name, a->suffix);
	int rc = nbns_query_name(&a->nc, a->name, (uint8_t)a->suffix, &r);
	if (rc < 0)
		return why(rc, what, a);
	for (unsigned i = 0; i < r.naddrs; i++)
		printf("%u.%u.%u.%u %s<%02x>%s\n", r.addrs[i].ip[0], r.addrs[i].ip[1], r.addrs[i].ip[2],
		       r.addrs[i].ip[3], r.name, r.suffix, r.addrs[i].nb_flags & NBNS_NAME_GROUP ? " <GROUP>" : "");
	return 0;
}

static int lookup_address(struct lk_args *a)
{
	struct nbns_status_rsp r;
	int rc = nbns_node_status(&a->nc, a->address, &r);
	if (rc < 0)
		return why(rc, a->address, a);
	printf("NetBIOS names of %s:\n", a->address);
	for (unsigned i = 0; i < r.nnames; i++)
		printf("\t%-15s <%02x>%s\n", r.names[i].name, r.names[i].suffix,
		       r.names[i].flags & NBNS_NAME_GROUP ? " <GROUP>" : "");
	if (r.has_unit_id)
		printf("MAC address: %02x-%02x-%02x-%02x-%02x-%02x\n", r.unit_id[0], r.unit_id[1], r.unit_id[2],
		       r.unit_id[3], r.unit_id[4], r.unit_id[5]);
	return 0;
}

int lookup_main(int argc, char *argv[])
{
	struct lk_args a;
	int rc = parse(&a, argc, argv);
	if (rc)
		return rc;
	return a.name ? lookup_name(&a) : lookup_address(&a);
}
