/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The browse mount's root (src/proto/browse.c, behind the router) against psrv as a pipe server answering
 * srvsvc with Samba's own share list (tests/vectors): the top level lists the disk shares only, refuses
 * changes with EPERM, answers ENOENT for other names; a share whose tree connect fails (psrv says "pipe
 * share" while it serves the pipe) stats as a directory and fails inside with that error; a share that
 * connects is entered on the same session, with EXDEV to another share and EPERM for removing it; a
 * share list the server refuses fails the mount with its reason; vers=1.0 is refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "psrv.h"
#include "smbfuse/dcerpc.h"
#include "smbfuse/log.h"
#include "smbfuse/smb1.h"
#include "smbfuse/smb2.h"

static uint8_t *ack, *rsp;
static size_t ack_len, rsp_len;

static int mount_browse(struct psrv *s, bool smb1, struct smb_client **cl, char *err, size_t errlen)
{
	struct smb_client_cfg cfg = {.host = "127.0.0.1", .port = s->port, .share = "", .guest = true};
	cfg.min_dialect = cfg.max_dialect = smb1 ? SMB_DIALECT_SMB1 : SMB2_DIALECT_210;
	cfg.connect_timeout_ms = cfg.request_timeout_ms = 2000;
	err[0] = 0;
	return smb_client_new(&cfg, cl, err, errlen);
}

struct names {
	char v[8][32];
	int n;
};

static int add_name(void *arg, const char *name, const struct smb_attr *a)
{
	struct names *nm = arg;
	if (nm->n < 8 && smb_attr_is_dir(a))
		snprintf(nm->v[nm->n++], sizeof(nm->v[0]), "%s", name);
	return 0;
}

static void test_root(void)
{
	struct psrv s;
	psrv_start(&s);
	const uint8_t *r[] = {ack, rsp};
	const size_t rl[] = {ack_len, rsp_len};
	s.pipe_rsp = r, s.pipe_rsp_len = rl, s.pipe_n = 2;
	struct smb_client *cl = NULL;
	char err[256];
	CHECK(mount_browse(&s, false, &cl, err, sizeof(err)) == 0);
	if (!cl) {
		psrv_stop(&s);
		return;
	}
	const struct smb_ops *o = smb_client_ops(cl);
	struct names nm = {0};
	CHECK(o->readdir(cl, "", add_name, &nm, NULL) == 0);
	CHECK(nm.n == 3 && !strcmp(nm.v[0], "share") && !strcmp(nm.v[1], "ro") && !strcmp(nm.v[2], "guest"));
	struct smb_attr a;
	CHECK(o->stat(cl, "", &a) == 0 && smb_attr_is_dir(&a));
	CHECK(o->stat(cl, "nosuch", &a) == -ENOENT);
	CHECK(o->stat(cl, "IPC$", &a) == -ENOENT);
	CHECK(o->stat(cl, "nosuch/f", &a) == -ENOENT);
	CHECK(o->mkdir(cl, "new", 0755, NULL) == -EPERM);
	CHECK(o->rename(cl, "share", "other", 0) == -EPERM);
	struct smb_fh *fh = NULL;
	CHECK(o->open(cl, "newfile", O_RDWR | O_CREAT, 0644, &fh, NULL) == -EPERM && !fh);
	pthread_mutex_lock(&s.mu);
	unsigned trees = s.tree_connects;
	pthread_mutex_unlock(&s.mu);
	CHECK(trees == 1); /* IPC$ only: listing enters no share */

	/* While psrv serves the pipe, it calls every tree a pipe share: "ro" is refused (not a disk share). */
	CHECK(o->stat(cl, "ro", &a) == 0 && smb_attr_is_dir(&a));
	nm.n = 0;
	CHECK(o->readdir(cl, "ro", add_name, &nm, NULL) == -ENOTDIR);
	CHECK(o->stat(cl, "ro/f", &a) == -ENOTDIR);
	CHECK(o->open(cl, "ro/f", O_RDONLY, 0, &fh, NULL) == -ENOTDIR);

	/* Now a disk share: entered on the same connection, its files reached. */
	pthread_mutex_lock(&s.mu);
	s.pipe_rsp = NULL;
	pthread_mutex_unlock(&s.mu);
	CHECK(o->stat(cl, "share/f", &a) == 0);
	CHECK(o->open(cl, "share/f", O_RDWR, 0, &fh, NULL) == 0 && fh);
	if (fh)
		CHECK(o->close(cl, fh) == 0);
	CHECK(o->rename(cl, "share/f", "guest/f", 0) == -EXDEV);
	CHECK(o->rmdir(cl, "share") == -EPERM);
	pthread_mutex_lock(&s.mu);
	trees = s.tree_connects;
	unsigned last = s.last_tid;
	pthread_mutex_unlock(&s.mu);
	CHECK(trees == 3); /* IPC$, ro (refused), share: the rename to guest needed no tree of guest */
	CHECK(last == 9);	/* share's CREATEs go with its own TreeId (IPC$ 7, ro 8) */
	smb_client_free(cl);
	psrv_stop(&s);
}

static void test_list_refused_and_smb1(void)
{
	uint8_t nak[18];
	memcpy(nak, ack, 16);
	nak[2] = DCERPC_PTYPE_BIND_NAK, nak[8] = 18, nak[16] = 4, nak[17] = 0;
	const uint8_t *r[] = {nak};
	const size_t rl[] = {sizeof(nak)};
	struct psrv s;
	psrv_start(&s);
	s.pipe_rsp = r, s.pipe_rsp_len = rl, s.pipe_n = 1;
	struct smb_client *cl = NULL;
	char err[256];
	CHECK(mount_browse(&s, false, &cl, err, sizeof(err)) == -EPROTO && !cl);
	CHECK(strstr(err, "listing the shares of 127.0.0.1") && strstr(err, "refused the srvsvc interface"));
	psrv_stop(&s);

	psrv_start_smb1(&s);
	CHECK(mount_browse(&s, true, &cl, err, sizeof(err)) == -EOPNOTSUPP && !cl);
	CHECK(strstr(err, "needs SMB2 or later") != NULL);
	psrv_stop(&s);
}

int main(void)
{
	log_set_level(getenv("OPSFAIL_DEBUG") ? LOG_LVL_DEBUG : LOG_LVL_ERR);
	ack = tap_load_hex("dcerpc_bind_ack_samba.hex", &ack_len);
	rsp = tap_load_hex("dcerpc_share_enum_rsp_samba.hex", &rsp_len);
	test_root();
	test_list_refused_and_smb1();
	free(ack);
	free(rsp);
	return tap_done();
}
