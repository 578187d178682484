/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Domain-based namespaces (src/proto/dfs_dom.c): dfs_dcs_from_rsp on Samba's DC referral and hostile
 * variants, then //SMBFUSE/share mounted against psrv, whose IOCTLs answer first the DC referral of
 * "\\SMBFUSE" (DCs 127.0.0.9, down, and 127.0.0.1, psrv itself) and then the root referral of
 * "\\SMBFUSE\\share" that the second DC is asked (target \\127.0.0.1\\share): failover to the second DC,
 * the DC list cached for the next mount, and each refusal with its errno and line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "psrv.h"
#include "../../../src/proto/dfs_i.h"
#include "smbfuse/dfs.h"
#include "smbfuse/err.h"
#include "smbfuse/smb2.h"
#include "smbfuse/util.h"

#define STATUS_NOT_FOUND 0xC0000225u

static void test_samba_dcs(void)
{
	size_t n;
	uint8_t *p = tap_load_hex("dfs_dc_rsp_samba.hex", &n);
	struct dfs_dcs d;
	CHECK(dfs_dcs_from_rsp("\\smbfuse.test", p, n, &d) == 0 && d.n == 1 && d.ttl == 600);
	if (d.n == 1)
		CHECK(!strcmp(d.names[0], "dc.smbfuse.test"));
	dfs_dcs_free(&d);
	/* Another domain's name: no DC referral for it. */
	CHECK(dfs_dcs_from_rsp("\\OTHER", p, n, &d) == -ENOENT && d.n == 0);
	/* Every cut fails, none crashes. */
	for (size_t k = 0; k < n; k++)
		CHECK(dfs_dcs_from_rsp("\\SMBFUSE.TEST", p, k, &d) < 0 && d.n == 0);
	free(p);
}

/* A v3 DC referral: SpecialName domain, names (each as given). */
static void dc_referral(struct wbuf *w, const char *domain, const char *const *names, unsigned k)
{
	size_t dl = 2 * strlen(domain) + 2;
	wbuf_reset(w);
	wbuf_u16(w, 0), wbuf_u16(w, 1), wbuf_u32(w, 0);
	wbuf_u16(w, 3), wbuf_u16(w, 18), wbuf_u16(w, 0), wbuf_u16(w, DFS_ENTRY_NAME_LIST);
	wbuf_u32(w, 300);
	wbuf_u16(w, 18), wbuf_u16(w, (uint16_t)k), wbuf_u16(w, (uint16_t)(18 + dl));
	wbuf_utf16(w, domain, strlen(domain)), wbuf_u16(w, 0);
	for (unsigned i = 0; i < k; i++)
		wbuf_utf16(w, names[i], strlen(names[i])), wbuf_u16(w, 0);
}

/* A v3 root referral of "\\SMBFUSE\\share" (all of it consumed) with one target. */
static void root_referral(struct wbuf *w, const char *target)
{
	const char *path = "\\SMBFUSE\\share";
	wbuf_reset(w);
	wbuf_u16(w, (uint16_t)(2 * strlen(path))), wbuf_u16(w, 1), wbuf_u32(w, DFS_HDR_STORAGE_SERVERS);
	wbuf_u16(w, 3), wbuf_u16(w, 18), wbuf_u16(w, 0), wbuf_u16(w, 0);
	wbuf_u32(w, 300);
	wbuf_u16(w, 18), wbuf_u16(w, 0), wbuf_u16(w, (uint16_t)(18 + 2 * strlen(path) + 2));
	wbuf_utf16(w, path, strlen(path)), wbuf_u16(w, 0);
	wbuf_utf16(w, target, strlen(target)), wbuf_u16(w, 0);
}

static int mount_domain(struct psrv *s, bool nodfs, char *err, size_t errlen)
{
	struct smb_client_cfg cfg = {.host = "SMBFUSE", .addr = "127.0.0.1", .port = s->port, .share = "share",
				     .guest = true, .workstation = "PSRV", .no_leases = true, .nodfs = nodfs};
	cfg.min_dialect = cfg.max_dialect = SMB2_DIALECT_210;
	cfg.connect_timeout_ms = cfg.request_timeout_ms = 2000;
	struct smb_client *cl = NULL;
	err[0] = 0;
	s->ioctls = 0;
	int rc = smb_client_new(&cfg, &cl, err, errlen);
	smb_client_free(cl);
	return rc;
}

static void seq(struct psrv *s, unsigned i, const struct wbuf *w, uint32_t status)
{
	s->ioctl_seq[i].out = w ? w->p : NULL;
	s->ioctl_seq[i].len = w ? w->len : 0;
	s->ioctl_seq[i].status = status;
	s->ioctl_seq_n = i + 1;
}

/* The k-th IOCTL's input was a referral request for path: level 4, UTF-16 path, terminator. */
static bool asked(const struct psrv *s, const char *path)
{
	size_t n = strlen(path);
	if (s->last_ioctl_in_len != 2 + 2 * n + 2 || s->last_ioctl_in[0] != 4)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s->last_ioctl_in[2 + 2 * i] != (uint8_t)path[i])
			return false;
	return true;
}

int main(void)
{
	test_samba_dcs();
	struct psrv s;
	struct wbuf dc, root;
	char err[512];
	const char *two[] = {"\\127.0.0.9", "\\127.0.0.1"};
	wbuf_init(&dc, 0);
	wbuf_init(&root, 0);
	psrv_start(&s);
	s.reconnect = true;

	/* The first DC is down: the second answers the root referral, its target is mounted. */
	dc_referral(&dc, "\\SMBFUSE", two, 2);
	root_referral(&root, "\\127.0.0.1\\share");
	seq(&s, 0, &dc, STATUS_SUCCESS);
	seq(&s, 1, &root, STATUS_SUCCESS);
	CHECK(mount_domain(&s, false, err, sizeof(err)) == 0);
	CHECK(s.ioctls == 2 && s.last_ioctl == FSCTL_DFS_GET_REFERRALS && asked(&s, "\\SMBFUSE\\share"));
	/* Again: the DC list is the cache's, only the root referral is asked (the first IOCTL now). */
	seq(&s, 0, &root, STATUS_SUCCESS);
	CHECK(mount_domain(&s, false, err, sizeof(err)) == 0 && s.ioctls == 1 && asked(&s, "\\SMBFUSE\\share"));
	dfs_dcs_cache_clear();

	/* The DC refuses the root referral: the domain has no such namespace. */
	seq(&s, 0, &dc, STATUS_SUCCESS);
	seq(&s, 1, NULL, STATUS_NOT_FOUND);
	CHECK(mount_domain(&s, false, err, sizeof(err)) == -ENOENT && strstr(err, "has no referral for it"));
	dfs_dcs_cache_clear();

	/* No DC can be reached. */
	const char *down[] = {"127.0.0.9", "127.0.0.10"};
	dc_referral(&dc, "\\SMBFUSE", down, 2);
	seq(&s, 0, &dc, STATUS_SUCCESS);
	CHECK(mount_domain(&s, false, err, sizeof(err)) < 0 && strstr(err, "none of the domain's 2 controllers"));
	CHECK(s.ioctls == 1);

	/* nodfs: a domain is refused, naming a DC to mount instead. */
	dc_referral(&dc, "\\smbfuse", two, 2);
	seq(&s, 0, &dc, STATUS_SUCCESS);
	CHECK(mount_domain(&s, true, err, sizeof(err)) == -EREMOTE && strstr(err, "not followed with nodfs") &&
	      strstr(err, "//127.0.0.9/share"));
	dfs_dcs_cache_clear();

	/* Names that are no host names are skipped; none left is a malformed referral. */
	const char *bad[] = {"\\a\\b", "\\", "\\x/y"};
	dc_referral(&dc, "\\SMBFUSE", bad, 3);
	seq(&s, 0, &dc, STATUS_SUCCESS);
	CHECK(mount_domain(&s, false, err, sizeof(err)) == -EPROTO && strstr(err, "malformed"));
	/* A name list announcing more names than it holds. */
	dc_referral(&dc, "\\SMBFUSE", two, 2);
	put_le16(dc.p + 8 + 14, 3);
	seq(&s, 0, &dc, STATUS_SUCCESS);
	CHECK(mount_domain(&s, false, err, sizeof(err)) == -EPROTO && strstr(err, "malformed"));

	/* The server refuses the DC referral, or lists another domain's DCs: a server, mounted directly. */
	seq(&s, 0, NULL, STATUS_NOT_FOUND);
	CHECK(mount_domain(&s, false, err, sizeof(err)) == 0 && s.ioctls == 1 && asked(&s, "\\SMBFUSE"));
	dc_referral(&dc, "\\OTHER", two, 2);
	seq(&s, 0, &dc, STATUS_SUCCESS);
	CHECK(mount_domain(&s, false, err, sizeof(err)) == 0 && s.ioctls == 1);

	psrv_stop(&s);

	/* A server that speaks only SMB1 fails the IPC$ session of the DC referral (SMB2): not a domain, and
	 * the mount's own logon falls back to SMB1. */
	struct psrv s1;
	psrv_start_smb1(&s1);
	s1.reconnect = true;
	struct smb_client_cfg c1 = {.host = "SMBFUSE", .addr = "127.0.0.1", .port = s1.port, .share = "share",
				    .guest = true, .workstation = "PSRV", .no_leases = true};
	c1.connect_timeout_ms = c1.request_timeout_ms = 2000;
	struct smb_client *cl = NULL;
	CHECK(smb_client_new(&c1, &cl, err, sizeof(err)) == 0);
	smb_client_free(cl);
	psrv_stop(&s1);
	wbuf_free(&dc);
	wbuf_free(&root);
	return tap_done();
}
