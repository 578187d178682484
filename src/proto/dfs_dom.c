/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dfs_dom.c - a mount source in a domain-based DFS namespace, //DOMAIN/namespace (contract: dfs_i.h).
 *
 * MS-DFSC 3.1.4.1: a path whose first component is a domain gets a DC referral (the request "\\DOMAIN",
 * answered with one NameListReferral entry: SpecialName the domain, the expanded names its DCs), then a
 * root referral for "\\DOMAIN\\namespace" from one of the DCs (3.1.4.2), whose targets are the namespace's
 * root servers, connected as for a standalone root (dfs_mount.c). We are not joined to a domain and keep
 * no DomainCache filled at start-up, so the source's host is asked the DC referral of its own name at
 * mount: a DC answers it for its domain's NetBIOS and DNS names (Samba: dfs_server_ad.c), every other
 * server refuses it, and the source is then mounted as a server. An IP address is never a domain. Over
 * SMB1 (vers=1.0, an SMB1-only server) the DC referral is TRANS2_GET_DFS_REFERRAL on an IPC$ session of
 * its own; the mount's own SMB1 session is not asked (it has one tree), so there only the DC locator, the
 * cache and a missing share lead to the domain's DCs.
 *
 * A DNS name is first given to the DC locator (as Windows' DsGetDcName does, without SMB): its DNS SRV
 * records _ldap._tcp.dc._msdcs.DOMAIN (MS-ADTS 6.3.6.1; every DC of an AD registers them, where
 * _ldap._tcp.DOMAIN and _kerberos._tcp.DOMAIN also name LDAP servers and KDCs that are no DC) in RFC 2782's
 * order, and the DC referral goes to the first of those hosts that answers, by its host name: a Kerberos
 * logon then asks for cifs/<DC's host name>, which every DC has, where cifs/DOMAIN exists on none. With no
 * SRV record (a NetBIOS name, no such domain, no DNS), the host is asked as before.
 *
 * The DCs are asked in the referral's order; the next one when connecting to one fails (3.1.5.1). A DC
 * that answers the root referral with an error ends the mount: its domain has no such namespace. DC lists
 * are cached per domain for their TTL, so a mount that resolves the same domain again asks no server.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dfs_i.h"
#include "smbfuse/dnssrv.h"
#include "smbfuse/dfs.h"
#include "smbfuse/log.h"
#include "smbfuse/util.h"

void dfs_dcs_free(struct dfs_dcs *d)
{
	for (unsigned i = 0; i < d->n; i++)
		free(d->names[i]);
	memset(d, 0, sizeof(*d));
}

/* A DC name as a host we can connect: one leading '\\' dropped (Samba and Windows send "\\dc1"), no
 * separator, no control character, at most a DNS name's 255 bytes. */
static char *dc_name(const uint8_t *p, size_t len)
{
	char *s;
	if (utf16le_to_utf8(p, len, &s) < 0)
		return NULL;
	char *h = s + (*s == '\\');
	size_t n = strlen(h);
	bool ok = n > 0 && n <= 255;
	for (size_t i = 0; ok && i < n; i++)
		ok = h[i] != '\\' && h[i] != '/' && (unsigned char)h[i] >= 0x20;
	if (!ok) {
		free(s);
		return NULL;
	}
	memmove(s, h, n + 1);
	return s;
}

/* "\\DOMAIN" and "DOMAIN" name the same domain; ASCII case does not matter (NetBIOS and DNS names). */
static bool same_domain(const char *a, const char *b)
{
	return !strcasecmp(a + (*a == '\\'), b + (*b == '\\'));
}

int dfs_dcs_from_rsp(const char *domain, const uint8_t *p, size_t n, struct dfs_dcs *out)
{
	struct dfs_referral_entry e[DFS_REF_MAX];
	struct dfs_referral_rsp h = {0};
	const struct dfs_referral_entry *d = NULL;
	memset(out, 0, sizeof(*out));
	bool ok = dfs_referral_rsp_decode(p, n, &h, e, DFS_REF_MAX) == 0;
	if (!ok)
		log_info("server reply: the DC referral of %zu bytes for %s does not decode", n, domain);
	for (unsigned i = 0; ok && i < h.count && i < DFS_REF_MAX && !d; i++) {
		char *sp = NULL;
		if (e[i].version >= 3 && (e[i].flags & DFS_ENTRY_NAME_LIST) &&
		    utf16le_to_utf8(e[i].special, e[i].special_len, &sp) >= 0 && same_domain(sp, domain))
			d = &e[i];
		free(sp);
	}
	if (!ok)
		return -EPROTO;
	if (!d)
		return -ENOENT; /* a server's own referral, or a domain list: not the DCs of this domain */
	size_t off = 0, len;
	const uint8_t *name;
	while (out->n < DFS_REF_MAX && dfs_next_name(d->expanded, d->expanded_len, &off, &name, &len) == 1) {
		char *s = dc_name(name, len);
		if (s)
			out->names[out->n++] = s;
		else
			log_info("server reply: skipping a DC of %s whose name is no host name", domain);
	}
	if (!out->n) {
		log_info("server reply: the DC referral for %s lists no usable domain controller", domain);
		return -EPROTO;
	}
	out->ttl = d->ttl;
	return 0;
}

int dfs_dcs_decode(const char *domain, const uint8_t *p, size_t n, void *out)
{
	return dfs_dcs_from_rsp(domain, p, n, out);
}

/* ---- the DC lists of the domains this process has resolved, each until its TTL ---- */

#define DCS_CACHE 4
static struct {
	char domain[256];
	uint64_t expires;
	struct dfs_dcs dcs;
} cache[DCS_CACHE];
static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;

static int dcs_copy(const struct dfs_dcs *from, struct dfs_dcs *to)
{
	memset(to, 0, sizeof(*to));
	to->ttl = from->ttl;
	for (unsigned i = 0; i < from->n; i++)
		if (!(to->names[to->n++] = strdup(from->names[i]))) {
			dfs_dcs_free(to);
			return -ENOMEM;
		}
	return 0;
}

/* 0 and a copy of domain's unexpired list in *out, else -ENOENT. */
static int cache_get(const char *domain, struct dfs_dcs *out)
{
	int rc = -ENOENT;
	uint64_t now = now_ms();
	pthread_mutex_lock(&cache_mu);
	for (unsigned i = 0; i < DCS_CACHE && rc == -ENOENT; i++)
		if (cache[i].dcs.n && same_domain(cache[i].domain, domain) && now < cache[i].expires)
			rc = dcs_copy(&cache[i].dcs, out);
	pthread_mutex_unlock(&cache_mu);
	return rc;
}

/* Keep a copy of d for domain, in the slot of the same domain or of the entry that expires first. */
static void cache_put(const char *domain, const struct dfs_dcs *d)
{
	if (strlen(domain) >= sizeof(cache[0].domain) || !d->ttl)
		return;
	pthread_mutex_lock(&cache_mu);
	unsigned k = 0;
	for (unsigned i = 0; i < DCS_CACHE; i++) {
		if (same_domain(cache[i].domain, domain)) {
			k = i;
			break;
		}
		if (cache[i].expires < cache[k].expires)
			k = i;
	}
	dfs_dcs_free(&cache[k].dcs);
	if (dcs_copy(d, &cache[k].dcs) == 0) {
		snprintf(cache[k].domain, sizeof(cache[k].domain), "%s", domain);
		cache[k].expires = now_ms() + (uint64_t)d->ttl * 1000;
	}
	pthread_mutex_unlock(&cache_mu);
}

void dfs_dcs_cache_clear(void)
{
	pthread_mutex_lock(&cache_mu);
	for (unsigned i = 0; i < DCS_CACHE; i++) {
		dfs_dcs_free(&cache[i].dcs);
		cache[i].domain[0] = '\0';
		cache[i].expires = 0;
	}
	pthread_mutex_unlock(&cache_mu);
}

/* ---- the mount ---- */

/* The source's server cannot be reached or refuses our logon: the mount's own logon would fail the same
 * way, after as long a wait or with one more failure counted against the account. */
static bool same_failure(int rc)
{
	static const int same[] = {ENOENT, ECONNREFUSED, ETIMEDOUT, EHOSTUNREACH, ENETUNREACH, EACCES, EPERM,
				   EKEYEXPIRED, EKEYREJECTED, ENOKEY, ENOMEM, EINTR};
	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++)
		if (rc == -same[i])
			return true;
	return false;
}

/* An answer to the DC referral of req: 0 with *dcs (kept in the cache), 1 when req is no domain (a refusal,
 * or a server's own referral), or a negative errno with errbuf. */
static int dcs_answer(int rc, const char *req, struct dfs_dcs *dcs, char *errbuf, size_t errlen)
{
	if (rc == -EPROTO) {
		if (errbuf)
			snprintf(errbuf, errlen, "\\%s: the server's DC referral for the domain is malformed", req);
		return rc;
	}
	if (rc < 0) /* refused or not a DC referral: a server, not a domain */
		return rc == -ENOMEM || rc == -EINTR ? rc : 1;
	log_info("DFS: %s is a domain; its DCs: %s%s%s (TTL %u s)", req, dcs->names[0], dcs->n > 1 ? ", " : "",
		 dcs->n > 1 ? dcs->names[1] : "", dcs->ttl);
	cache_put(req, dcs);
	return 0;
}

/* The DC list of "\\DOMAIN" (req): the cache's, or (ask) the source server's answer on an IPC$ session of
 * its own. 1: no domain. */
static int domain_dcs(const struct smb_client_cfg *cfg, const char *req, bool ask, struct dfs_dcs *out,
		      char *errbuf, size_t errlen)
{
	if (cache_get(req, out) == 0)
		return 0;
	if (!ask)
		return 1;
	struct dfs_ipc *ipc;
	int rc = dfs_ipc_open(cfg, &ipc, errbuf, errlen);
	if (rc < 0 && !same_failure(rc)) {
		if (errbuf && errlen)
			errbuf[0] = '\0';
		return 1; /* e.g. an SMB1-only server (the mount's own logon falls back to SMB1) */
	}
	if (rc < 0)
		return rc;
	rc = dfs_ipc_dcs(ipc, req, out);
	dfs_ipc_free(ipc);
	return dcs_answer(rc, req, out, errbuf, errlen);
}

/* The root referral of root on ipc, a session on the DC dc (freed here). */
static int root_on(struct dfs_ipc *ipc, const char *dc, const char *root, struct dfs_ref *ref, char *errbuf,
		   size_t errlen)
{
	int rc = dfs_ipc_referral(ipc, root, ref);
	dfs_ipc_free(ipc);
	if (rc < 0 && errbuf)
		snprintf(errbuf, errlen, "\\%s: the domain controller %s has no referral for it: %s", root, dc,
			 rc == -EOPNOTSUPP ? "a name list" : strerror(-rc));
	return rc;
}

/* The root referral of root ("\\DOMAIN\\namespace") from the first DC that can be reached; have (taken,
 * may be NULL): a session already open on the DC have_name, which is asked instead. */
static int root_from_dcs(const struct smb_client_cfg *cfg, const struct dfs_dcs *dcs, struct dfs_ipc *have,
			 const char *have_name, const char *root, struct dfs_ref *ref, char *errbuf, size_t errlen)
{
	if (have)
		return root_on(have, have_name, root, ref, errbuf, errlen);
	int rc = -EHOSTDOWN;
	for (unsigned i = 0; i < dcs->n; i++) {
		struct smb_client_cfg c = *cfg;
		struct dfs_ipc *ipc;
		c.host = dcs->names[i];
		c.addr = NULL; /* ip= named the domain's server, not each DC */
		rc = dfs_ipc_open(&c, &ipc, errbuf, errlen);
		if (rc == 0)
			return root_on(ipc, dcs->names[i], root, ref, errbuf, errlen);
		if (rc == -ENOMEM || rc == -EINTR)
			return rc;
		if (i + 1 < dcs->n)
			log_warn("DFS: domain controller %s of \\%s failed (%s): trying %s", dcs->names[i], root,
				 errbuf && *errbuf ? errbuf : strerror(-rc), dcs->names[i + 1]);
	}
	if (errbuf) {
		char why[160];
		snprintf(why, sizeof(why), "%s", *errbuf ? errbuf : strerror(-rc));
		snprintf(errbuf, errlen, "\\%s: none of the domain's %u controllers answers (last: %s)", root, dcs->n, why);
	}
	return rc;
}

/* "\\DOMAIN" and "\\DOMAIN\\namespace" of cfg's source; false when its host cannot be a domain. */
static bool domain_names(const struct smb_client_cfg *cfg, char req[260], char root[520])
{
	if (host_is_address(cfg->host) || !cfg->share || !*cfg->share)
		return false;
	return (size_t)snprintf(req, 260, "\\%s", cfg->host) < 260 &&
	       (size_t)snprintf(root, 520, "\\%s\\%s", cfg->host, cfg->share) < 520;
}

/* Mount root, the namespace of cfg, through the DCs of its domain (freed here); have: as root_from_dcs. */
static int domain_mount(const struct smb_client_cfg *cfg, const char *root, struct dfs_dcs *dcs,
			struct dfs_ipc *have, const char *have_name, struct smb_client **out, char *errbuf,
			size_t errlen)
{
	if (cfg->nodfs) {
		dfs_ipc_free(have);
		if (errbuf)
			snprintf(errbuf, errlen, "\\%s is a domain-based DFS namespace (%s is a domain), not followed with "
				 "nodfs: mount a share of a server, e.g. //%s/%s", root, cfg->host, dcs->names[0], cfg->share);
		dfs_dcs_free(dcs);
		return -EREMOTE;
	}
	struct dfs_ref ref;
	int rc = root_from_dcs(cfg, dcs, have, have_name, root, &ref, errbuf, errlen);
	dfs_dcs_free(dcs);
	if (rc == 0 && ref.consumed != strlen(root)) {
		if (errbuf)
			snprintf(errbuf, errlen, "\\%s: the DC's root referral covers only part of it", root);
		dfs_ref_free(&ref);
		rc = -EPROTO;
	}
	if (rc < 0)
		return rc;
	/* The root referral consumed "\\DOMAIN\\namespace"; the subdir continues below each target. */
	const char *sub = cfg->subdir ? cfg->subdir : "";
	while (*sub == '/' || *sub == '\\')
		sub++;
	char *rest = NULL;
	if (asprintf(&rest, "%s%s", *sub ? "\\" : "", sub) < 0) {
		dfs_ref_free(&ref);
		return -ENOMEM;
	}
	for (char *q = rest; *q; q++)
		if (*q == '/')
			*q = '\\';
	for (size_t l = strlen(rest); l && rest[l - 1] == '\\';)
		rest[--l] = '\0';
	rc = dfs_mount_targets(cfg, &ref, root, rest, 0, out, errbuf, errlen);
	free(rest);
	dfs_ref_free(&ref);
	return rc;
}

/* ---- the DC locator: a DNS domain's DCs from its SRV records ---- */

/* The DC hosts of DNS name domain from _ldap._tcp.dc._msdcs.<domain>, in RFC 2782's order; 0 and none for
 * a name with no such records (or no DNS, or no '.': a NetBIOS name has none). */
static int locate_dcs(const char *domain, struct dns_srv *v, unsigned max)
{
	char q[300];
	if (!strchr(domain, '.') || (size_t)snprintf(q, sizeof(q), "_ldap._tcp.dc._msdcs.%s", domain) >= sizeof(q))
		return 0;
	int n = dns_srv_lookup(q, v, max);
	if (n <= 0)
		log_info("DFS: no DNS SRV record %s (%s): asking %s itself for a DC referral", q,
			 n == 0 ? "none" : n == -EAGAIN ? "no DNS server answers" : "a malformed answer", domain);
	else
		log_info("DFS: DC locator: %s names %d host%s, first %s", q, n, n > 1 ? "s" : "", v[0].target);
	return n < 0 ? 0 : n;
}

/* Mount cfg's source through the DCs that the DC locator finds for its host: the DC referral of req
 * ("\\DOMAIN") from the first of them that answers, then the root referral of root on the same session.
 * 1 when the locator finds none or none answers (the caller asks the host itself, as before). */
static int located_mount(const struct smb_client_cfg *cfg, const char *req, const char *root,
			 struct smb_client **out, char *errbuf, size_t errlen)
{
	struct dns_srv v[DNS_SRV_MAX];
	int n = locate_dcs(cfg->host, v, DNS_SRV_MAX);
	for (int i = 0; i < n; i++) {
		struct smb_client_cfg c = *cfg;
		struct dfs_ipc *ipc;
		c.host = v[i].target;
		c.addr = NULL; /* ip= names the domain's server, not its DCs */
		int rc = dfs_ipc_open(&c, &ipc, errbuf, errlen);
		/* A refused logon or ticket would be refused by every DC of the domain, and each try counts
		 * against an account lockout: it ends the mount. */
		if (rc == -ENOMEM || rc == -EINTR || rc == -EACCES || rc == -EPERM || rc == -EKEYEXPIRED ||
		    rc == -EKEYREJECTED || rc == -ENOKEY)
			return rc;
		if (rc < 0) {
			log_warn("DFS: domain controller %s of %s (DNS SRV) failed (%s)%s%s", v[i].target, cfg->host,
				 errbuf && *errbuf ? errbuf : strerror(-rc), i + 1 < n ? ": trying " : "",
				 i + 1 < n ? v[i + 1].target : "");
			continue;
		}
		struct dfs_dcs dcs;
		rc = dcs_answer(dfs_ipc_dcs(ipc, req, &dcs), req, &dcs, errbuf, errlen);
		if (rc == 0)
			return domain_mount(cfg, root, &dcs, ipc, v[i].target, out, errbuf, errlen);
		dfs_ipc_free(ipc);
		if (rc < 0)
			return rc;
		log_warn("DFS: %s, a domain controller of %s in DNS, has no DC referral for it", v[i].target, cfg->host);
	}
	if (n > 0)
		log_warn("DFS: none of the %d domain controllers of %s in DNS answers: asking %s itself", n, cfg->host,
			 cfg->host);
	if (errbuf && errlen)
		errbuf[0] = '\0';
	return 1;
}

int dfs_domain_resolve(const struct smb_client_cfg *cfg, bool ask, struct smb_client **out, char *errbuf,
		       size_t errlen)
{
	*out = NULL;
	char req[260], root[520];
	if (!domain_names(cfg, req, root))
		return 1;
	struct dfs_dcs dcs;
	int rc = domain_dcs(cfg, req, ask, &dcs, errbuf, errlen);
	if (rc == 1 && !ask)
		return located_mount(cfg, req, root, out, errbuf, errlen);
	return rc != 0 ? rc : domain_mount(cfg, root, &dcs, NULL, NULL, out, errbuf, errlen);
}

/* The mount's own session asks: one IPC$ tree connect and one IOCTL on the connection the mount already
 * has, where a session of its own cost every named mount a second connection and logon. */
int dfs_domain_check(const struct smb_client_cfg *cfg, struct sess *s, struct smb_client **cl, char *errbuf,
		     size_t errlen)
{
	char req[260], root[520];
	if (!domain_names(cfg, req, root) || !s)
		return 0; /* an SMB1 session has one tree, no IPC$ beside it: the locator and the cache only */
	struct dfs_dcs dcs;
	int rc = dcs_answer(dfs_sess_dcs(s, req, &dcs), req, &dcs, errbuf, errlen);
	if (rc == 1)
		return 0;
	smb_client_free(*cl);
	*cl = NULL;
	return rc < 0 ? rc : domain_mount(cfg, root, &dcs, NULL, NULL, cl, errbuf, errlen);
}
