/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A mount source behind a DFS link (src/proto/dfs_mount.c) against psrv, whose CREATE of the source answers
 * STATUS_PATH_NOT_COVERED and whose IOCTL answers the referral: each way following it fails, with its
 * errno and one line (nodfs, the referral refused, a short or malformed referral, one consuming half a
 * name, a target naming no share); the request sent is FSCTL_DFS_GET_REFERRALS for
 * "\\127.0.0.1\\share\\link" at level 4. All of it twice: over SMB2 and over SMB1 (psrv1.c: the stat's
 * TRANS2_QUERY_PATH_INFORMATION answers STATUS_PATH_NOT_COVERED, TRANS2_GET_DFS_REFERRAL the referral), and
 * over SMB1 also an answer without data (EIO), a mount that follows the referral, and the router put in front
 * of a tree whose TREE_CONNECT_ANDX says SMB_SHARE_IS_IN_DFS, and only then. Also dfs_ref.c on Samba's
 * referral for a link with two targets.
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
#include "smbfuse/smb1.h"
#include "smbfuse/smb2.h"

#define STATUS_PATH_NOT_COVERED 0xC0000257u
#define STATUS_NOT_FOUND 0xC0000225u

/* A guest mount of share[/subdir] on s, in s's dialect; 0 and *out (smb_client_free), or its error. */
static int mount_at(struct psrv *s, const char *subdir, bool nodfs, struct smb_client **out, char *err,
		    size_t errlen)
{
	struct smb_client_cfg cfg = {
	    .host = "127.0.0.1",
	    .port = s->port,
	    .share = "share",
	    .subdir = subdir,
	    .guest = true,
	    .workstation = "PSRV",
	    .min_dialect = s->smb1 ? SMB_DIALECT_SMB1 : SMB2_DIALECT_210,
	    .max_dialect = s->smb1 ? SMB_DIALECT_SMB1 : SMB2_DIALECT_210,
	    .connect_timeout_ms = 2000,
	    .request_timeout_ms = 2000,
	    .no_leases = true,
	    .nodfs = nodfs,
	};
	err[0] = 0;
	return smb_client_new(&cfg, out, err, errlen);
}

static int mount_link(struct psrv *s, bool nodfs, char *err, size_t errlen)
{
	struct smb_client *cl = NULL;
	/* One-shot: the stat of the source. */
	psrv_arm(s, s->smb1 ? PSRV1_T2(SMB1_TRANS2_QUERY_PATH_INFORMATION) : SMB2_CREATE, 0, PSRV_STATUS,
		 STATUS_PATH_NOT_COVERED);
	int rc = mount_at(s, "link", nodfs, &cl, err, errlen);
	smb_client_free(cl);
	return rc;
}

/* A v3 referral consuming consumed16 bytes, one target. */
static void referral(struct wbuf *w, uint16_t consumed16, const char *target)
{
	wbuf_reset(w);
	wbuf_u16(w, consumed16), wbuf_u16(w, 1), wbuf_u32(w, DFS_HDR_STORAGE_SERVERS);
	wbuf_u16(w, 3), wbuf_u16(w, 34), wbuf_u16(w, 0), wbuf_u16(w, 0);
	wbuf_u32(w, 300);
	wbuf_u16(w, 34), wbuf_u16(w, 0), wbuf_u16(w, 34 + 6); /* after "\\x" and its NUL */
	wbuf_zero(w, 16);
	wbuf_utf16(w, "\\x", 2), wbuf_u16(w, 0);
	wbuf_utf16(w, target, strlen(target)), wbuf_u16(w, 0);
}

/* dfs_ref.c on Samba's answer for a link with two targets (tests/vectors): the link's prefix, both
 * targets in order, the TTL. */
static void test_samba_ref(void)
{
	size_t n;
	uint8_t *p = tap_load_hex("dfs_link_rsp_samba.hex", &n);
	struct dfs_ref r;
	const char *req = "\\127.0.0.1\\dfsroot\\two\\sub";
	CHECK(dfs_ref_from_rsp(req, p, n, &r) == 0);
	CHECK(r.consumed == strlen("\\127.0.0.1\\dfsroot\\two") && r.ttl == 600 && !r.root && r.n == 2);
	if (r.n == 2)
		CHECK(!strcmp(r.targets[0], "\\127.0.0.9\\share2") && !strcmp(r.targets[1], "\\127.0.0.2\\share2"));
	dfs_ref_free(&r);
	/* A request that the answer's PathConsumed overruns. */
	CHECK(dfs_ref_from_rsp("\\127.0.0.1\\dfsroot", p, n, &r) == -EPROTO && r.n == 0);
	free(p);
}

/* SMB1 only: an answer without data, a referral followed to a share that answers, the tree connect's
 * SMB_SHARE_IS_IN_DFS. */
static void smb1_only(struct psrv *s, struct wbuf *w, uint16_t all)
{
	char err[256];
	struct smb_client *cl = NULL;
	s->ioctl_out = NULL, s->ioctl_out_len = 0;
	CHECK(mount_link(s, false, err, sizeof(err)) == -EIO && strstr(err, "referral failed"));
	referral(w, all, "\\127.0.0.1\\other\\d");
	s->ioctl_out = w->p, s->ioctl_out_len = w->len;
	unsigned before = s->ioctls;
	CHECK(mount_link(s, false, err, sizeof(err)) == 0 && s->ioctls == before + 1);
	/* The router: in front of a DFS share's tree only. */
	CHECK(mount_at(s, NULL, false, &cl, err, sizeof(err)) == 0 && cl &&
	      !strstr(smb_client_describe(cl), "DFS links followed"));
	smb_client_free(cl);
	s->smb1_in_dfs = true;
	CHECK(mount_at(s, NULL, false, &cl, err, sizeof(err)) == 0 && cl &&
	      strstr(smb_client_describe(cl), "DFS links followed"));
	smb_client_free(cl);
	CHECK(mount_at(s, NULL, true, &cl, err, sizeof(err)) == 0 && cl &&
	      !strstr(smb_client_describe(cl), "DFS links followed")); /* nodfs */
	smb_client_free(cl);
	s->smb1_in_dfs = false;
}

static void run(bool smb1)
{
	struct psrv s;
	struct wbuf w;
	char err[256];
	const char *path = "\\127.0.0.1\\share\\link";
	uint16_t all = (uint16_t)(2 * strlen(path));
	wbuf_init(&w, 0);
	if (smb1)
		psrv_start_smb1(&s);
	else
		psrv_start(&s);
	s.reconnect = true;

	/* nodfs: the link as the server presents it. */
	CHECK(mount_link(&s, true, err, sizeof(err)) == -EREMOTE && strstr(err, "is a DFS link") && s.ioctls == 0);

	/* The server has no referral for it. */
	s.ioctl_status = STATUS_NOT_FOUND;
	CHECK(mount_link(&s, false, err, sizeof(err)) == -ENOENT && strstr(err, "referral failed"));
	CHECK(s.ioctls == 1 && s.last_ioctl == (smb1 ? SMB1_TRANS2_GET_DFS_REFERRAL : FSCTL_DFS_GET_REFERRALS));
	CHECK(s.last_ioctl_in_len == 2 + 2 * strlen(path) + 2 && s.last_ioctl_in[0] == 4 && s.last_ioctl_in[2] == '\\');

	/* A referral cut short: the header alone announcing an entry. */
	s.ioctl_status = STATUS_SUCCESS;
	referral(&w, all, "\\127.0.0.1\\other");
	s.ioctl_out = w.p;
	s.ioctl_out_len = 12;
	CHECK(mount_link(&s, false, err, sizeof(err)) == -EPROTO && strstr(err, "referral failed"));
	/* Every shorter cut fails the same way, none crashes. */
	for (size_t k = 0; k < w.len; k += 7) {
		s.ioctl_out_len = k;
		CHECK(mount_link(&s, false, err, sizeof(err)) < 0);
	}
	/* Half a name consumed ("\\127.0.0.1\\share\\li"), and a target that names no share. */
	referral(&w, (uint16_t)(all - 4), "\\127.0.0.1\\other");
	s.ioctl_out = w.p, s.ioctl_out_len = w.len;
	CHECK(mount_link(&s, false, err, sizeof(err)) == -EPROTO);
	referral(&w, all, "\\127.0.0.1");
	s.ioctl_out = w.p, s.ioctl_out_len = w.len;
	CHECK(mount_link(&s, false, err, sizeof(err)) == -EPROTO);
	if (smb1)
		smb1_only(&s, &w, all);
	psrv_stop(&s);
	wbuf_free(&w);
}

int main(void)
{
	test_samba_ref();
	run(false);
	run(true);
	return tap_done();
}
