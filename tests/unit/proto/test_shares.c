/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * smb_list_shares (src/proto/shares.c) against psrv as a pipe server: Samba's own answers (tests/vectors),
 * one of them cut into two fragments so the rest is read with READ, and each way the listing can fail:
 * the pipe refused, the interface refused (BIND_NAK), a DCE/RPC fault, access denied by NetrShareEnum,
 * a malformed list, the connection dropped, a disk share where IPC$ should be a pipe share. Each over SMB2
 * (IOCTL and READ) and SMB1 (psrv1.c: TRANS_TRANSACT_NMPIPE and READ_ANDX).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "psrv.h"
#include "smbfuse/dcerpc.h"
#include "smbfuse/err.h"
#include "smbfuse/smb1.h"
#include "smbfuse/smb2.h"
#include "smbfuse/util.h"

static uint8_t *ack, *rsp;
static size_t ack_len, rsp_len;
static bool smb1; /* this pass's dialect */

static void start(struct psrv *s)
{
	if (smb1)
		psrv_start_smb1(s);
	else
		psrv_start(s);
}

static int list(struct psrv *s, const uint8_t *const *r, const size_t *rl, unsigned n, struct smb_share **sh,
		size_t *count, char *err, size_t errlen)
{
	s->pipe_rsp = r;
	s->pipe_rsp_len = rl;
	s->pipe_n = n;
	struct smb_client_cfg cfg = {
	    .host = "127.0.0.1",
	    .port = s->port,
	    .guest = true,
	    .workstation = "PSRV",
	    .min_dialect = smb1 ? SMB_DIALECT_SMB1 : SMB2_DIALECT_210,
	    .max_dialect = smb1 ? SMB_DIALECT_SMB1 : SMB2_DIALECT_210,
	    .connect_timeout_ms = 2000,
	    .request_timeout_ms = 2000,
	};
	err[0] = 0;
	return smb_list_shares(&cfg, sh, count, err, errlen);
}

/* The response PDU with its stub cut after cut bytes: two fragments, FIRST and LAST. */
static void split(size_t cut, uint8_t **f1, size_t *l1, uint8_t **f2, size_t *l2)
{
	size_t stub = rsp_len - 24;
	*l1 = 24 + cut, *l2 = 24 + stub - cut;
	*f1 = malloc(*l1), *f2 = malloc(*l2);
	memcpy(*f1, rsp, *l1);
	memcpy(*f2, rsp, 24);
	memcpy(*f2 + 24, rsp + 24 + cut, stub - cut);
	(*f1)[3] = DCERPC_PFC_FIRST_FRAG, (*f2)[3] = DCERPC_PFC_LAST_FRAG;
	put_le16(*f1 + 8, (uint16_t)*l1), put_le16(*f2 + 8, (uint16_t)*l2);
}

static void test_ok_in_two_fragments(void)
{
	struct psrv s;
	struct smb_share *sh = NULL;
	size_t n = 0;
	char err[256];
	uint8_t *f1, *f2;
	size_t l1, l2;
	split(101, &f1, &l1, &f2, &l2);
	const uint8_t *r[] = {ack, f1, f2};
	const size_t rl[] = {ack_len, l1, l2};
	start(&s);
	CHECK(list(&s, r, rl, 3, &sh, &n, err, sizeof(err)) == 0);
	CHECK(n == 4 && s.pipe_next == 3); /* BIND, REQUEST, and one READ for the second fragment */
	if (n == 4) {
		CHECK(strcmp(sh[0].name, "share") == 0 && sh[0].type == 0 && strcmp(sh[0].comment, "") == 0);
		CHECK(strcmp(sh[2].name, "guest") == 0);
		CHECK(strcmp(sh[3].name, "IPC$") == 0 && sh[3].type == 0x80000003u &&
		      strcmp(sh[3].comment, "IPC Service (Samba 4.17.12-Debian)") == 0);
	}
	smb_shares_free(sh, n);
	psrv_stop(&s);
	free(f1);
	free(f2);
}

static void expect_fail(const char *what, const uint8_t *const *r, const size_t *rl, unsigned nr, int cmd,
			enum psrv_fault f, uint32_t status, int want, const char *msg)
{
	struct psrv s;
	struct smb_share *sh = (void *)1;
	size_t n = 1;
	char err[256];
	start(&s);
	if (cmd >= 0)
		psrv_arm(&s, cmd, 0, f, status);
	int rc = list(&s, r, rl, nr, &sh, &n, err, sizeof(err));
	CHECK(rc == want && !sh && n == 0);
	CHECK(strstr(err, msg) != NULL);
	if (rc != want || !strstr(err, msg))
		fprintf(stderr, "# %s: %d (%s)\n", what, rc, err);
	psrv_stop(&s);
}

static void test_failures(void)
{
	uint8_t nak[18];
	memcpy(nak, ack, 16);
	nak[2] = DCERPC_PTYPE_BIND_NAK, nak[8] = 18, nak[16] = 4, nak[17] = 0;
	uint8_t fault[32] = {5, 0, DCERPC_PTYPE_FAULT, 3, 0x10, 0, 0, 0, 32, 0, 0, 0, 2, 0, 0, 0};
	put_le32(fault + 24, 0x1c010002);
	uint8_t denied[24 + 32];
	memcpy(denied, rsp, 24);
	put_le16(denied + 8, sizeof(denied));
	static const uint8_t dstub[32] = {1, 0, 0, 0, 1, 0, 0, 0, 4, 0, 2, 0, 0, 0, 0, 0,
					  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0};
	memcpy(denied + 24, dstub, 32);
	uint8_t *bad = malloc(rsp_len);
	memcpy(bad, rsp, rsp_len);
	put_le32(bad + 24 + 12, 1000); /* EntriesRead beyond what the stub holds */

	const uint8_t *r_nak[] = {nak}, *r_fault[] = {ack, fault}, *r_denied[] = {ack, denied}, *r_bad[] = {ack, bad};
	const uint8_t *r_ok[] = {ack, rsp};
	const size_t l_nak[] = {sizeof(nak)}, l_fault[] = {ack_len, sizeof(fault)}, l_denied[] = {ack_len, sizeof(denied)};
	const size_t l_bad[] = {ack_len, rsp_len}, l_ok[] = {ack_len, rsp_len};
	int create = smb1 ? SMB1_COM_NT_CREATE_ANDX : SMB2_CREATE, io = smb1 ? SMB1_COM_TRANSACTION : SMB2_IOCTL;
	expect_fail("pipe refused", r_ok, l_ok, 2, create, PSRV_STATUS, STATUS_ACCESS_DENIED, -EACCES,
		    "cannot open the srvsvc pipe");
	expect_fail("bind nak", r_nak, l_nak, 1, -1, PSRV_NONE, 0, -EPROTO, "refused the srvsvc interface");
	expect_fail("fault", r_fault, l_fault, 2, -1, PSRV_NONE, 0, -EPROTO, "fault 0x1c010002");
	expect_fail("denied", r_denied, l_denied, 2, -1, PSRV_NONE, 0, -EACCES, "access denied");
	expect_fail("malformed", r_bad, l_bad, 2, -1, PSRV_NONE, 0, -EPROTO, "malformed share list");
	/* A first fragment without LAST and nothing after it: the READ gets STATUS_PIPE_EMPTY. */
	uint8_t *first = malloc(rsp_len);
	memcpy(first, rsp, rsp_len);
	first[3] = DCERPC_PFC_FIRST_FRAG;
	const uint8_t *r_first[] = {ack, first};
	expect_fail("no last fragment", r_first, l_ok, 2, -1, PSRV_NONE, 0, -EAGAIN, "srvsvc NetrShareEnum");
	expect_fail("dropped", r_ok, l_ok, 2, io, PSRV_DROP, 0, -ECONNRESET, "srvsvc NetrShareEnum");
	expect_fail("cut short", r_ok, l_ok, 2, io, PSRV_MALFORMED, 0, -EBADMSG, "srvsvc NetrShareEnum");
	free(bad);
	free(first);
}

static void test_disk_share_as_ipc(void)
{
	struct psrv s;
	struct smb_share *sh;
	size_t n;
	char err[256];
	start(&s);
	s.ipc_disk = true;
	CHECK(list(&s, NULL, NULL, 0, &sh, &n, err, sizeof(err)) == -ENOTDIR);
	CHECK(strstr(err, "\"IPC$\" is not a pipe share") != NULL);
	psrv_stop(&s);
}

int main(void)
{
	ack = tap_load_hex("dcerpc_bind_ack_samba.hex", &ack_len);
	rsp = tap_load_hex("dcerpc_share_enum_rsp_samba.hex", &rsp_len);
	for (int pass = 0; pass < 2; pass++) {
		smb1 = pass;
		test_ok_in_two_fragments();
		test_failures();
		test_disk_share_as_ipc();
	}
	free(ack);
	free(rsp);
	return tap_done();
}
