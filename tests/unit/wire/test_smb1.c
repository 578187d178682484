/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SMB1 logon codecs (MS-CIFS 2.2.3, 2.2.4.52-55; MS-SMB 2.2.4.5-7) against frames captured from smbclient
 * and smbd 4.17 speaking NT1, plus every truncation and bit flip through tests/fuzz/decoders_nb.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "sweep.h"
#include "../../fuzz/decoders_nb.h"
#include "smbfuse/dfs.h"
#include "smbfuse/smb1.h"
#include "smbfuse/util.h"
#include "smbfuse/smb2.h"

static void sweep(const char *decoder, const uint8_t *p, size_t n)
{
	sweep_decoder(fz_nb_find(decoder), p, n);
}

/* Every response vector through every decoder: no crash, no view outside the input. */
static void sweep_all(const uint8_t *p, size_t n)
{
	static const char *const all[] = {"smb1_chain",	   "smb1_negotiate", "smb_mp_negotiate", "smb1_sess_setup",
					  "smb1_tree_etc", "smb1_nt_create", "smb1_rw",		 "smb1_trans2",
					  "smb1_nt_trans", "smb1_dfs"};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		sweep(all[i], p, n);
}

static void test_header(void)
{
	size_t n;
	uint8_t *p = tap_load_hex("smb1_tree_connect_req.hex", &n);
	struct smb1_hdr h;
	CHECK(smb1_hdr_decode(p, n, &h) == 0 && h.command == SMB1_COM_TREE_CONNECT_ANDX && h.flags2 == 0xc843);
	CHECK(smb_proto_version(p, n) == 1);
	struct wbuf w;
	wbuf_init(&w, 0);
	CHECK(smb1_hdr_encode(&w, &h) == 0 && w.len == SMB1_HDR_SIZE);
	CHECK_MEM(w.p, p, SMB1_HDR_SIZE);
	wbuf_free(&w);
	static const uint8_t smb2[64] = {0xFE, 'S', 'M', 'B'};
	CHECK(smb1_hdr_decode(smb2, sizeof(smb2), &h) == -EPROTO && smb_proto_version(smb2, 64) == 2);
	CHECK(smb1_hdr_decode(p, SMB1_HDR_SIZE - 1, &h) == -EBADMSG);
	free(p);
}

static void check_body(struct wbuf *w, const char *vector, size_t skip_from, size_t skip_len)
{
	size_t n;
	uint8_t *want = tap_load_hex(vector, &n);
	CHECK(w->len == n - SMB1_HDR_SIZE);
	if (w->len == n - SMB1_HDR_SIZE) {
		/* Fields that legitimately differ (client strings) are masked out of both. */
		memset(w->p + skip_from, 0, skip_len);
		memset(want + SMB1_HDR_SIZE + skip_from, 0, skip_len);
		CHECK_MEM(w->p, want + SMB1_HDR_SIZE, w->len);
	}
	free(want);
	wbuf_free(w);
}

static void test_negotiate(void)
{
	struct wbuf w;
	static const char *const d[] = {"NT LANMAN 1.0", SMB1_DIALECT_NT_LM};
	wbuf_init(&w, 0);
	CHECK(smb1_negotiate_req_encode(&w, d, 2) == 0);
	check_body(&w, "smb1_negotiate_req.hex", 0, 0);

	struct smb1_negotiate_rsp r;
	size_t n;
	uint8_t *p = tap_load_hex("smb1_negotiate_rsp_extsec.hex", &n);
	CHECK(smb1_negotiate_rsp_decode(p, n, &r) == 0);
	CHECK(r.dialect_index == 0 && r.security_mode == 3 && r.max_mpx_count == 50 && r.max_buffer_size == 16644);
	CHECK(r.capabilities == 0x8080f3fd && r.extended_security && r.security_blob_len == 74);
	CHECK(r.server_guid && memcmp(r.server_guid, "smbfusetest", 11) == 0 && r.security_blob[0] == 0x60);
	sweep_all(p, n);
	free(p);

	p = tap_load_hex("smb1_negotiate_rsp_nonext.hex", &n);
	CHECK(smb1_negotiate_rsp_decode(p, n, &r) == 0);
	CHECK(!r.extended_security && r.challenge_len == 8 && r.capabilities == 0x0080f3fd);
	CHECK(r.challenge && memcmp(r.challenge, "\x57\x34\x07\x57\x92\x98\x01\xe2", 8) == 0);
	CHECK(r.domain_name_len == 18 && memcmp(r.domain_name, "W\0O\0R\0K\0G\0R\0O\0U\0P\0", 18) == 0);
	/* A challenge longer than the data block. */
	p[32 + 1 + 33] = 200;
	CHECK(smb1_negotiate_rsp_decode(p, n, &r) == -EBADMSG && r.challenge == NULL);
	free(p);

	/* A request is not a response; a response to another command is not a negotiate response. */
	p = tap_load_hex("smb1_negotiate_req.hex", &n);
	CHECK(smb1_negotiate_rsp_decode(p, n, &r) == -EPROTO);
	free(p);
	p = tap_load_hex("smb1_tree_connect_rsp.hex", &n);
	CHECK(smb1_negotiate_rsp_decode(p, n, &r) == -EPROTO);
	free(p);
}

static int mp_decode(const char *vector, int patch_off, uint8_t patch, enum smb_mp_choice *c, uint16_t *credits)
{
	size_t n;
	uint8_t *p = tap_load_hex(vector, &n);
	if (patch_off >= 0 && (size_t)patch_off < n)
		p[patch_off] = patch;
	int rc = smb_mp_negotiate_rsp_decode(p, n, c, credits);
	if (patch_off < 0)
		sweep("smb_mp_negotiate", p, n);
	free(p);
	return rc;
}

/* The multi-protocol negotiate (MS-SMB2 3.2.4.2.1): our request byte for byte, and each kind of answer. */
static void test_mp_negotiate(void)
{
	struct wbuf w;
	size_t n;
	wbuf_init(&w, 0);
	CHECK(smb_mp_negotiate_req_encode(&w) == 0);
	uint8_t *want = tap_load_hex("smb1_mp_negotiate_req.hex", &n);
	CHECK(w.len == n && memcmp(w.p, want, n) == 0);
	free(want);
	wbuf_free(&w);

	enum smb_mp_choice c;
	uint16_t credits;
	CHECK(mp_decode("smb1_mp_rsp_smb2_wildcard.hex", -1, 0, &c, &credits) == 0 && c == SMB_MP_SMB2_WILDCARD &&
	      credits == 1);
	CHECK(mp_decode("smb1_mp_rsp_smb2_002.hex", -1, 0, &c, &credits) == 0 && c == SMB_MP_SMB2_002 && credits == 1);
	CHECK(mp_decode("smb1_negotiate_rsp_extsec.hex", -1, 0, &c, &credits) == 0 && c == SMB_MP_SMB1 && credits == 0);
	/* An SMB1 answer choosing another index (byte 33: DialectIndex) chose none of ours to go on with. */
	CHECK(mp_decode("smb1_negotiate_rsp_extsec.hex", 33, 1, &c, &credits) == -EPROTO && c == 0);
	/* DialectRevision 0x0210 (byte 64 + 4) never answers a multi-protocol negotiate (MS-SMB2 3.2.5.2). */
	CHECK(mp_decode("smb1_mp_rsp_smb2_002.hex", 68, 0x10, &c, &credits) == -EPROTO && c == 0 && credits == 0);
	/* An error status (byte 8), a MessageId other than 0 (byte 24), a request (flags, byte 16). */
	CHECK(mp_decode("smb1_mp_rsp_smb2_wildcard.hex", 8, 0x22, &c, &credits) == -EPROTO && c == 0);
	CHECK(mp_decode("smb1_mp_rsp_smb2_wildcard.hex", 24, 1, &c, &credits) == -EBADMSG && c == 0);
	CHECK(mp_decode("smb1_mp_rsp_smb2_wildcard.hex", 16, 0, &c, &credits) == -EBADMSG && c == 0);
	/* Neither SMB1 nor SMB2. */
	CHECK(mp_decode("smb1_mp_rsp_smb2_wildcard.hex", 0, 0x42, &c, &credits) == -EBADMSG && c == 0);
}

static void test_sess_setup(void)
{
	size_t n;
	uint8_t *req = tap_load_hex("smb1_sess_setup_req_ntlmssp_negotiate.hex", &n);
	struct smb1_sess_setup_req in = {.max_buffer_size = 0xffff,
					 .max_mpx_count = 2,
					 .vc_number = 1,
					 .capabilities = 0x8000c054,
					 .blob = req + 32 + 1 + 24 + 2,
					 .blob_len = 74};
	struct wbuf w;
	wbuf_init(&w, 0);
	CHECK(smb1_sess_setup_req_encode(&w, &in) == 0);
	/* Words and blob match smbclient's; NativeOS/NativeLanMan are ours ("Linux", "smbfuse"). */
	CHECK(w.len > 27 + 74 && memcmp(w.p, req + 32, 1 + 24) == 0 && memcmp(w.p + 27, in.blob, 74) == 0);
	wbuf_free(&w);
	free(req);

	struct smb1_sess_setup_rsp r;
	uint8_t *p = tap_load_hex("smb1_sess_setup_rsp_challenge.hex", &n);
	CHECK(smb1_sess_setup_rsp_decode(p, n, &r) == 0 && r.blob_len == 0xbd && r.blob[0] == 0xa1);
	sweep_all(p, n);
	free(p);
	p = tap_load_hex("smb1_sess_setup_rsp_final.hex", &n);
	CHECK(smb1_sess_setup_rsp_decode(p, n, &r) == 0 && r.blob_len == 0x1d && r.action == 0);
	sweep_all(p, n);
	free(p);
	p = tap_load_hex("smb1_sess_setup_rsp_nonext.hex", &n);
	CHECK(smb1_sess_setup_rsp_decode(p, n, &r) == 0 && r.blob == NULL && r.action == 0);
	sweep_all(p, n);
	free(p);

	/* Non-extended request (NTLMv1 from smbclient): our layout of the words and both responses. */
	p = tap_load_hex("smb1_sess_setup_req_ntlmv1.hex", &n);
	struct smb1_sess_setup_req pl = {.max_buffer_size = 0xffff,
					 .max_mpx_count = 2,
					 .vc_number = 0x4777,
					 .session_key = 0x4779,
					 .capabilities = 0x0000c054,
					 .oem_password = p + 32 + 1 + 26 + 2,
					 .oem_password_len = 24,
					 .unicode_password = p + 32 + 1 + 26 + 2 + 24,
					 .unicode_password_len = 24,
					 .account = "smbtest",
					 .domain = "WORKGROUP"};
	wbuf_init(&w, 0);
	CHECK(smb1_sess_setup_req_encode(&w, &pl) == 0);
	CHECK(w.len > 27 + 48 + 30 && memcmp(w.p, p + 32, 1 + 26) == 0);
	/* Account and domain follow the passwords, 2-aligned from the header, as smbclient sends them. */
	CHECK(memcmp(w.p + 27 + 48, p + 32 + 27 + 48, 16 + 20) == 0);
	wbuf_free(&w);
	free(p);

	/* An error answer (WordCount 0) is for the caller's status check, not a session. */
	static const uint8_t err_rsp[] = {0xFF, 'S', 'M', 'B', 0x73, 0x6d, 0, 0, 0xc0, 0x88, 0x03, 0xc8,
					  0,	0,   0,	  0,   0,    0,	   0, 0, 0,    0,    0,	   0,
					  0,	0,   0,	  0,   0,    0,	   0, 0, 0,    0,    0};
	CHECK(smb1_sess_setup_rsp_decode(err_rsp, sizeof(err_rsp), &r) == -EPROTO);
	sweep_all(err_rsp, sizeof(err_rsp));
}

static void test_tree(void)
{
	struct wbuf w;
	wbuf_init(&w, 0);
	CHECK(smb1_tree_connect_req_encode(&w,
					   SMB1_TREE_CONNECT_EXTENDED_SIGNATURES | SMB1_TREE_CONNECT_EXTENDED_RESPONSE,
					   "\\\\127.0.0.1\\SHARE") == 0);
	check_body(&w, "smb1_tree_connect_req.hex", 0, 0);

	struct smb1_tree_connect_rsp t;
	size_t n;
	uint8_t *p = tap_load_hex("smb1_tree_connect_rsp.hex", &n);
	CHECK(smb1_tree_connect_rsp_decode(p, n, &t) == 0 && t.optional_support == 1 && t.maximal_access == 0x001f01ff);
	CHECK(t.is_disk);
	sweep_all(p, n);
	free(p);

	p = tap_load_hex("smb1_tree_disconnect_rsp.hex", &n);
	CHECK(smb1_empty_rsp_decode(p, n, SMB1_COM_TREE_DISCONNECT) == 0);
	CHECK(smb1_empty_rsp_decode(p, n, SMB1_COM_CLOSE) == -EPROTO);
	sweep_all(p, n);
	free(p);
}

/* AndX offsets must move forward and stay inside the message. */
static void test_andx(void)
{
	size_t n;
	uint8_t *p = tap_load_hex("smb1_sess_setup_rsp_final.hex", &n);
	struct smb1_block b;
	CHECK(smb1_block_decode(p, n, SMB1_HDR_SIZE, true, &b) == 0 && b.andx_command == SMB1_COM_NO_ANDX_COMMAND);
	p[33] = SMB1_COM_TREE_CONNECT_ANDX;
	p[35] = SMB1_HDR_SIZE; /* back to itself */
	p[36] = 0;
	CHECK(smb1_block_decode(p, n, SMB1_HDR_SIZE, true, &b) == -EBADMSG && b.words == NULL);
	p[35] = (uint8_t)n;
	p[36] = (uint8_t)(n >> 8); /* past the end */
	CHECK(smb1_block_decode(p, n, SMB1_HDR_SIZE, true, &b) == -EBADMSG);
	free(p);
}

/*
 * SESSION_SETUP_ANDX + TREE_CONNECT_ANDX in one message (MS-CIFS 2.2.4.53, 2.2.3.4). The response is built
 * from smbd's two captured responses, laid out as smbd chains them: the next block 4-aligned.
 */
static void test_chain(void)
{
	struct wbuf w;
	struct smb1_block b, t;
	wbuf_init(&w, 0);
	struct smb1_hdr h = {.command = SMB1_COM_SESSION_SETUP_ANDX};
	smb1_hdr_encode(&w, &h);
	uint8_t blob[3] = {1, 2, 3};
	struct smb1_sess_setup_req in = {.max_buffer_size = 0xFFFF, .blob = blob, .blob_len = sizeof(blob)};
	CHECK(smb1_sess_setup_req_encode(&w, &in) == 0);
	size_t ss_end = w.len;
	CHECK(smb1_andx_link(&w, SMB1_HDR_SIZE, SMB1_COM_TREE_CONNECT_ANDX) == 0);
	CHECK(w.len % 4 == 0 && w.len >= ss_end && w.len < ss_end + 4);
	size_t tc_off = w.len;
	CHECK(smb1_tree_connect_req_encode(&w, SMB1_TREE_CONNECT_EXTENDED_RESPONSE, "\\\\h\\s") == 0);
	CHECK(smb1_block_decode(w.p, w.len, SMB1_HDR_SIZE, true, &b) == 0);
	CHECK(b.andx_command == SMB1_COM_TREE_CONNECT_ANDX && b.andx_offset == tc_off);
	CHECK(smb1_block_decode(w.p, w.len, b.andx_offset, true, &t) == 0);
	CHECK(t.word_count == 4 && t.andx_command == SMB1_COM_NO_ANDX_COMMAND);
	/* No AndX block to link from: a NEGOTIATE-like block without words. */
	CHECK(smb1_andx_link(&w, w.len - 1, SMB1_COM_TREE_CONNECT_ANDX) == -EINVAL);
	wbuf_free(&w);

	size_t ns, nt;
	uint8_t *ss = tap_load_hex("smb1_sess_setup_rsp_nonext.hex", &ns);
	uint8_t *tc = tap_load_hex("smb1_tree_connect_rsp.hex", &nt);
	size_t off = (ns + 3) & ~(size_t)3;
	size_t n = off + nt - SMB1_HDR_SIZE;
	uint8_t *p = calloc(1, n);
	memcpy(p, ss, ns);
	memcpy(p + off, tc + SMB1_HDR_SIZE, nt - SMB1_HDR_SIZE);
	p[33] = SMB1_COM_TREE_CONNECT_ANDX;
	p[35] = (uint8_t)off;
	p[36] = (uint8_t)(off >> 8);
	p[37] = 1; /* Action: guest, so that a cleared output shows */
	struct smb1_sess_setup_rsp r;
	struct smb1_tree_connect_rsp tr;
	int state;
	CHECK(smb1_sess_setup_tcon_rsp_decode(p, n, &r, &tr, &state) == 0);
	CHECK(state == SMB1_CHAIN_DONE && tr.is_disk && tr.maximal_access == 0x001f01ff && r.action == 1);
	sweep_all(p, n);

	/* The tree connect failed: an error block (WordCount 0, ByteCount 0) and the status in the header. */
	memset(p + off, 0, 3);
	p[5] = 0xCC, p[6] = 0x00, p[7] = 0x00, p[8] = 0xC0; /* STATUS_BAD_NETWORK_NAME */
	CHECK(smb1_sess_setup_tcon_rsp_decode(p, off + 3, &r, &tr, &state) == 0 && state == SMB1_CHAIN_FAILED);
	CHECK(!tr.is_disk && r.action == 1);
	/* ... and a session setup that failed itself. */
	uint8_t err[SMB1_HDR_SIZE + 3] = {0};
	memcpy(err, p, SMB1_HDR_SIZE);
	CHECK(smb1_sess_setup_tcon_rsp_decode(err, sizeof(err), &r, &tr, &state) == -EPROTO);
	CHECK(state == SMB1_CHAIN_NOT_RUN && r.action == 0);
	/* Not chained at all: the session setup alone. */
	CHECK(smb1_sess_setup_tcon_rsp_decode(ss, ns, &r, &tr, &state) == 0 && state == SMB1_CHAIN_NOT_RUN);

	/* Hostile: a chained command other than the one asked for, a block running past the end, an offset back. */
	p[5] = p[6] = p[7] = p[8] = 0;
	memcpy(p + off, tc + SMB1_HDR_SIZE, nt - SMB1_HDR_SIZE);
	p[33] = SMB1_COM_NT_CREATE_ANDX;
	CHECK(smb1_sess_setup_tcon_rsp_decode(p, n, &r, &tr, &state) == -EBADMSG && r.action == 0);
	CHECK(state == SMB1_CHAIN_NOT_RUN);
	p[33] = SMB1_COM_TREE_CONNECT_ANDX;
	CHECK(smb1_sess_setup_tcon_rsp_decode(p, n - 1, &r, &tr, &state) == -EBADMSG && !tr.is_disk);
	p[35] = SMB1_HDR_SIZE;
	p[36] = 0;
	CHECK(smb1_sess_setup_tcon_rsp_decode(p, n, &r, &tr, &state) == -EBADMSG);
	free(p);
	free(ss);
	free(tc);
}

/* A wbuf holding vector's header, so offsets are computed as on the wire. */
static uint8_t *with_hdr(const char *vector, struct wbuf *w, size_t *n)
{
	uint8_t *p = tap_load_hex(vector, n);
	wbuf_init(w, 0);
	wbuf_bytes(w, p, SMB1_HDR_SIZE);
	return p;
}

static void check_whole(struct wbuf *w, uint8_t *want, size_t n)
{
	CHECK(w->len == n);
	if (w->len == n)
		CHECK_MEM(w->p, want, n);
	wbuf_free(w);
	free(want);
}

static void test_files(void)
{
	struct wbuf w;
	size_t n;
	uint8_t *p = with_hdr("smb1_nt_create_req.hex", &w, &n);
	struct smb1_nt_create_req cr = {.desired_access = 0x00120089,
					.share_access = 3,
					.create_disposition = 1,
					.create_options = 0x40,
					.impersonation = 2,
					.path = "\\hello.txt"};
	CHECK(smb1_nt_create_req_encode(&w, &cr) == 0);
	/* smbclient's ByteCount has two bytes of slack after the name; the words and the name match. */
	CHECK(w.len == n - 2 && memcmp(w.p, p, 32 + 49) == 0 && memcmp(w.p + 84, p + 84, 22) == 0);
	wbuf_free(&w);
	free(p);

	struct smb1_nt_create_rsp r;
	p = tap_load_hex("smb1_nt_create_rsp.hex", &n);
	CHECK(smb1_nt_create_rsp_decode(p, n, &r) == 0 && r.fid == 0x4f49 && r.create_action == 1);
	CHECK(r.end_of_file == 12 && r.attributes == 0x80 && !r.directory && r.file_id == 0);
	sweep_all(p, n);
	free(p);

	p = with_hdr("smb1_read_req.hex", &w, &n);
	CHECK(smb1_read_req_encode(&w, 0x4f49, 0, 12) == 0);
	check_whole(&w, p, n);
	const uint8_t *d;
	uint32_t len;
	p = tap_load_hex("smb1_read_rsp.hex", &n);
	CHECK(smb1_read_rsp_decode(p, n, &d, &len) == 0 && len == 12 && memcmp(d, "hello world\n", 12) == 0);
	sweep_all(p, n);
	p[32 + 1 + 12] = 0xff; /* DataOffset past the end */
	CHECK(smb1_read_rsp_decode(p, n, &d, &len) == -EBADMSG && d == NULL);
	free(p);

	p = with_hdr("smb1_write_req.hex", &w, &n);
	CHECK(smb1_write_req_encode(&w, 0x00f1, 0, 12, false) == 0);
	wbuf_bytes(&w, "hello world\n", 12);
	check_whole(&w, p, n);
	p = tap_load_hex("smb1_write_rsp.hex", &n);
	CHECK(smb1_write_rsp_decode(p, n, &len) == 0 && len == 12);
	sweep_all(p, n);
	free(p);

	p = with_hdr("smb1_close_req.hex", &w, &n);
	CHECK(smb1_close_req_encode(&w, 0x4f49) == 0);
	check_whole(&w, p, n);
	p = with_hdr("smb1_delete_req.hex", &w, &n);
	CHECK(smb1_path_req_encode(&w, SMB1_COM_DELETE, "\\up2.txt") == 0);
	check_whole(&w, p, n);
	p = with_hdr("smb1_create_directory_req.hex", &w, &n);
	CHECK(smb1_path_req_encode(&w, SMB1_COM_CREATE_DIRECTORY, "\\nd") == 0);
	check_whole(&w, p, n);
	p = with_hdr("smb1_delete_directory_req.hex", &w, &n);
	CHECK(smb1_path_req_encode(&w, SMB1_COM_DELETE_DIRECTORY, "\\nd") == 0);
	check_whole(&w, p, n);
	p = with_hdr("smb1_rename_req.hex", &w, &n);
	CHECK(smb1_rename_req_encode(&w, "\\up.txt", "\\up2.txt") == 0);
	check_whole(&w, p, n);
	static const char *const empty[] = {"smb1_close_rsp.hex", "smb1_delete_rsp.hex",
					    "smb1_create_directory_rsp.hex", "smb1_delete_directory_rsp.hex",
					    "smb1_rename_rsp.hex"};
	static const uint8_t cmds[] = {SMB1_COM_CLOSE, SMB1_COM_DELETE, SMB1_COM_CREATE_DIRECTORY,
				       SMB1_COM_DELETE_DIRECTORY, SMB1_COM_RENAME};
	for (size_t i = 0; i < sizeof(cmds); i++) {
		p = tap_load_hex(empty[i], &n);
		CHECK(smb1_empty_rsp_decode(p, n, cmds[i]) == 0);
		free(p);
	}
}

static void test_oplock(void)
{
	struct wbuf w;
	wbuf_init(&w, 0);
	struct smb1_hdr h = {.command = SMB1_COM_LOCKING_ANDX, .mid = 0xffff};
	smb1_hdr_encode(&w, &h);
	CHECK(smb1_oplock_ack_encode(&w, 0x1234, 0) == 0 && w.len == 32 + 1 + 16 + 2);
	uint16_t fid;
	uint8_t level;
	/* The server's break has the same shape as our acknowledgement. */
	CHECK(smb1_oplock_break_decode(w.p, w.len, &fid, &level) == 0 && fid == 0x1234 && level == 0);
	sweep_all(w.p, w.len);
	w.p[9] |= SMB1_FLAGS_REPLY;
	CHECK(smb1_oplock_break_decode(w.p, w.len, &fid, &level) == -EPROTO);
	wbuf_free(&w);
	/* A break to level II carries NewOplockLevel 1 (MS-CIFS 2.2.4.32.1), and the ack repeats it. */
	wbuf_init(&w, 0);
	smb1_hdr_encode(&w, &h);
	CHECK(smb1_oplock_ack_encode(&w, 0x0007, SMB1_BREAK_TO_LEVEL_II) == 0);
	CHECK(smb1_oplock_break_decode(w.p, w.len, &fid, &level) == 0 && fid == 7 && level == SMB1_BREAK_TO_LEVEL_II);
	/* A LOCKING_ANDX request without OPLOCK_RELEASE (a byte-range lock) is not a break. */
	w.p[32 + 1 + 6] = 0;
	CHECK(smb1_oplock_break_decode(w.p, w.len, &fid, &level) == -EPROTO);
	wbuf_free(&w);
}

/* smbd's break and our acknowledgement, as captured (tests/vectors/smb1_oplock_*). */
static void test_oplock_captured(void)
{
	size_t n;
	uint16_t fid;
	uint8_t level;
	uint8_t *p = tap_load_hex("smb1_oplock_break_req.hex", &n);
	CHECK(smb1_oplock_break_decode(p, n, &fid, &level) == 0 && fid == 0xfa79 && level == SMB1_BREAK_TO_LEVEL_II);
	sweep("smb1_rw", p, n);
	sweep_all(p, n);
	free(p);
	struct wbuf w;
	p = with_hdr("smb1_oplock_ack_req.hex", &w, &n);
	CHECK(smb1_oplock_ack_encode(&w, 0xfa79, SMB1_BREAK_TO_LEVEL_II) == 0);
	check_whole(&w, p, n);
}

/* NT_TRANSACT_NOTIFY_CHANGE: our request as smbd took it, and smbd's answer naming the file added. */
static void test_notify(void)
{
	struct wbuf w;
	size_t n;
	uint8_t *p = with_hdr("smb1_nt_notify_req.hex", &w, &n);
	CHECK(smb1_notify_req_encode(&w, 0x8e28, 0x5f, false, 16384) == 0);
	check_whole(&w, p, n);

	struct smb1_nt_trans_rsp r;
	p = tap_load_hex("smb1_nt_notify_rsp.hex", &n);
	CHECK(smb1_nt_trans_rsp_decode(p, n, &r) == 0 && r.total_param_count == 28 && r.params_len == 28);
	CHECK(r.data_len == 0 && r.params_disp == 0);
	struct smb2_notify_iter it;
	struct smb2_notify_entry e;
	smb2_notify_iter_init(&it, r.params, r.params_len);
	CHECK(smb2_notify_next(&it, &e) == 1 && e.action == 1 && e.name_len == 14 &&
	      memcmp(e.name, "n\0e\0w\0", 6) == 0);
	CHECK(smb2_notify_next(&it, &e) == 0);
	sweep("smb1_nt_trans", p, n);
	sweep_all(p, n);
	/* A parameter block said to lie past the data block is refused, not read. */
	p[32 + 1 + 15] = 0xff;
	CHECK(smb1_nt_trans_rsp_decode(p, n, &r) == -EBADMSG);
	free(p);
}

/* NT_TRANSACT_QUERY_ and SET_SECURITY_DESC: no setup words, the 8 parameter bytes and the descriptor
 * 4-aligned from the header at the offsets the words give, the counts matching. */
static void test_sd_req(void)
{
	static const uint8_t sd[20] = {1, 0, 0, 0x80};
	for (int set = 0; set < 2; set++) {
		struct wbuf w;
		wbuf_init(&w, 0);
		wbuf_zero(&w, SMB1_HDR_SIZE);
		CHECK((set ? smb1_set_sd_req_encode(&w, 0x4001, 4, sd, sizeof(sd))
			   : smb1_query_sd_req_encode(&w, 0x4001, 7, 16000)) == 0);
		struct smb1_block b;
		CHECK(smb1_block_decode(w.p, w.len, SMB1_HDR_SIZE, false, &b) == 0 && b.word_count == 19);
		uint32_t pc = get_le32(b.words + 19), po = get_le32(b.words + 23);
		uint32_t dc = get_le32(b.words + 27), doff = get_le32(b.words + 31);
		CHECK(get_le16(b.words + 36) == (set ? 3 : 6) && b.words[35] == 0);
		CHECK(pc == 8 && po % 4 == 0 && po + 8 <= w.len && get_le16(w.p + po) == 0x4001 &&
		      get_le32(w.p + po + 4) == (set ? 4u : 7u));
		CHECK(set ? dc == sizeof(sd) && doff % 4 == 0 && doff + dc == w.len && memcmp(w.p + doff, sd, dc) == 0
			  : dc == 0 && get_le32(b.words + 15) == 16000);
		wbuf_free(&w);
	}
}

/* NT_TRANSACT_IOCTL: FunctionCode, FID, IsFsctl and IsFlags in four setup words, nothing else sent. */
static void test_fsctl_req(void)
{
	struct wbuf w;
	wbuf_init(&w, 0);
	wbuf_zero(&w, SMB1_HDR_SIZE);
	CHECK(smb1_fsctl_req_encode(&w, 0x4003, 0x00144064u, 16384) == 0);
	struct smb1_block b;
	CHECK(smb1_block_decode(w.p, w.len, SMB1_HDR_SIZE, false, &b) == 0 && b.word_count == 23);
	CHECK(get_le16(b.words + 36) == 2 && b.words[35] == 4);
	CHECK(get_le32(b.words + 38) == 0x00144064u && get_le16(b.words + 42) == 0x4003 && b.words[44] == 1 &&
	      b.words[45] == 0);
	CHECK(get_le32(b.words + 3) == 0 && get_le32(b.words + 7) == 0 && get_le32(b.words + 15) == 16384);
	wbuf_free(&w);
}

/* TRANS_TRANSACT_NMPIPE: two setup words (the function, the FID), Name \PIPE\ in UTF-16, the PDU as
 * 4-aligned data at the offset the words give. */
static void test_nmpipe_req(void)
{
	static const uint8_t pdu[10] = {5, 0, 11, 3};
	struct wbuf w;
	wbuf_init(&w, 0);
	wbuf_zero(&w, SMB1_HDR_SIZE);
	CHECK(smb1_transact_nmpipe_req_encode(&w, 0x4002, pdu, sizeof(pdu), 4280) == 0);
	struct smb1_block b;
	CHECK(smb1_block_decode(w.p, w.len, SMB1_HDR_SIZE, false, &b) == 0 && b.word_count == 16);
	CHECK(get_le16(b.words + 28) == 0x0026 && get_le16(b.words + 30) == 0x4002 && b.words[26] == 2);
	CHECK(get_le16(b.words + 6) == 4280 && get_le16(b.words + 22) == sizeof(pdu));
	uint16_t doff = get_le16(b.words + 24);
	CHECK(doff % 4 == 0 && doff + sizeof(pdu) == w.len && memcmp(w.p + doff, pdu, sizeof(pdu)) == 0);
	CHECK(b.byte_count > 14 && memcmp(b.bytes + 1, "\\\0P\0I\0P\0E\0\\\0\0", 14) == 0);
	wbuf_free(&w);
}

static void test_command_names(void)
{
	CHECK(strcmp(smb1_command_name(SMB1_COM_NT_CREATE_ANDX), "NT_CREATE_ANDX") == 0);
	CHECK(strcmp(smb1_command_name(SMB1_COM_LOCKING_ANDX), "LOCKING_ANDX") == 0);
	CHECK(strcmp(smb1_command_name(SMB1_COM_FIND_CLOSE2), "FIND_CLOSE2") == 0);
	CHECK(strcmp(smb1_command_name(0xFE), "UNKNOWN") == 0);
}

static void test_trans2(void)
{
	struct wbuf w, prm;
	size_t n;
	uint8_t *p = with_hdr("smb1_find_first2_req.hex", &w, &n);
	wbuf_init(&prm, 0);
	CHECK(smb1_find_first2_params_encode(&prm, 0x16, 0x556, SMB1_FIND_CLOSE_AT_EOS | SMB1_FIND_RETURN_RESUME_KEYS,
					     SMB1_FIND_FILE_BOTH_DIRECTORY_INFO, "\\*") == 0);
	struct smb1_trans2_req t = {.subcommand = SMB1_TRANS2_FIND_FIRST2,
				    .params = prm.p,
				    .params_len = (uint16_t)prm.len,
				    .max_param_count = 10,
				    .max_data_count = 0xffff};
	CHECK(smb1_trans2_req_encode(&w, &t) == 0);
	p[66] = p[67] = 0; /* smbclient leaves its pad bytes uninitialised */
	check_whole(&w, p, n);
	wbuf_free(&prm);

	struct smb1_trans2_rsp r;
	struct smb1_find_rsp_params fp;
	p = tap_load_hex("smb1_find_first2_rsp.hex", &n);
	CHECK(smb1_trans2_rsp_decode(p, n, &r) == 0 && r.total_data_count == 408 && r.data_len == 408);
	CHECK(smb1_find_rsp_params_decode(r.params, r.params_len, true, &fp) == 0);
	CHECK(fp.search_count == 4 && fp.end_of_search);
	struct smb2_dir_iter it;
	struct smb2_dirent de;
	smb2_dir_iter_init(&it, FileBothDirectoryInformation, r.data, r.data_len);
	int k = 0;
	uint32_t last_len = 0;
	const uint8_t *last = NULL;
	while (smb2_dir_next(&it, &de) == 1) {
		k++;
		last = de.name;
		last_len = de.name_len;
	}
	CHECK(k == 4 && it.err == 0 && last_len == 18 && memcmp(last, "h\0e\0l\0l\0o\0", 10) == 0);
	sweep_all(p, n);
	free(p);

	p = tap_load_hex("smb1_query_fs_full_size_rsp.hex", &n);
	struct smb2_fs_full_size_info fs;
	CHECK(smb1_trans2_rsp_decode(p, n, &r) == 0 && smb2_fs_full_size_info_decode(r.data, r.data_len, &fs) == 0);
	CHECK(fs.bytes_per_sector * fs.sectors_per_unit == 1024);
	sweep_all(p, n);
	free(p);
	p = tap_load_hex("smb1_query_path_basic_rsp.hex", &n);
	/* SMB_QUERY_FILE_BASIC_INFO (0x101) is FileBasicInformation without its Reserved field: 36 bytes. That is
	 * why smb1_ops asks for the pass-through level 1004 instead. */
	CHECK(smb1_trans2_rsp_decode(p, n, &r) == 0 && r.data_len == 36 && r.data[32] == 0x80);
	sweep_all(p, n);
	free(p);
	p = tap_load_hex("smb1_trans2_error_rsp_not_found.hex", &n);
	CHECK(smb1_trans2_rsp_decode(p, n, &r) == -EPROTO);
	sweep_all(p, n);
	free(p);
}

/* TRANS2_GET_DFS_REFERRAL: the request (one setup word 0x0010, SMB_FLAGS2_DFS, REQ_GET_DFS_REFERRAL as the
 * parameters, no data), and smbd 4.17's answer over NT1 with the referral of \\127.0.0.1\dfsroot\link as
 * its data, which dfs.h decodes as over SMB2. A piece of a larger answer, an answer without data and an
 * error answer are refused. */
static void test_dfs_referral(void)
{
	const char *path = "\\127.0.0.1\\dfsroot\\link";
	struct wbuf w, want;
	wbuf_init(&w, 0);
	wbuf_init(&want, 0);
	wbuf_zero(&w, SMB1_HDR_SIZE);
	CHECK(smb1_dfs_referral_req_encode(&w, 4, path, 16000) == 0);
	CHECK((get_le16(w.p + 10) & SMB1_FLAGS2_DFS) != 0);
	struct smb1_block b;
	CHECK(smb1_block_decode(w.p, w.len, SMB1_HDR_SIZE, false, &b) == 0 && b.word_count == 15);
	CHECK(get_le16(b.words + 28) == SMB1_TRANS2_GET_DFS_REFERRAL && b.words[26] == 1);
	CHECK(get_le16(b.words + 6) == 16000 && get_le16(b.words + 2) == 0 && get_le16(b.words + 22) == 0);
	wbuf_u16(&want, 4);
	wbuf_utf16(&want, path, strlen(path));
	wbuf_u16(&want, 0);
	uint16_t pc = get_le16(b.words + 18), po = get_le16(b.words + 20);
	CHECK(pc == want.len && po % 4 == 0 && po + pc <= w.len);
	if (pc == want.len && po + pc <= w.len)
		CHECK_MEM(w.p + po, want.p, want.len);
	CHECK(smb1_dfs_referral_req_encode(&w, 5, path, 16000) == -EINVAL);

	size_t n, len;
	const uint8_t *d;
	struct dfs_referral_rsp h;
	struct dfs_referral_entry e[2];
	uint8_t *p = tap_load_hex("smb1_dfs_referral_rsp_samba.hex", &n);
	CHECK(smb1_dfs_referral_rsp_decode(p, n, &d, &len) == 0 && len == 174);
	CHECK(dfs_referral_rsp_decode(d, len, &h, e, 2) == 0 && h.path_consumed == 2 * strlen(path) && h.count == 1);
	char *t = NULL;
	CHECK(h.count == 1 && utf16le_to_utf8(e[0].target, e[0].target_len, &t) >= 0 &&
	      !strcmp(t, "\\127.0.0.2\\share2"));
	free(t);
	sweep_all(p, n);
	/* TotalDataCount one more than this piece: the rest would come in another message. */
	struct smb1_block rb;
	CHECK(smb1_block_decode(p, n, SMB1_HDR_SIZE, false, &rb) == 0);
	size_t total = (size_t)(rb.words - p) + 2;
	p[total]++;
	CHECK(smb1_dfs_referral_rsp_decode(p, n, &d, &len) == -EBADMSG && !d && !len);
	p[total]--;
	free(p);
	p = tap_load_hex("smb1_trans2_error_rsp_not_found.hex", &n);
	CHECK(smb1_dfs_referral_rsp_decode(p, n, &d, &len) == -EPROTO);
	free(p);
	wbuf_free(&w);
	wbuf_free(&want);
}

/* DOS errors: the file errors take their NT form whatever the reserved byte holds; the rest, UNSUCCESSFUL
 * (which the chain refusal of smb1_session.c relies on for ERRSRV/ERRerror). */
static void test_dos_status(void)
{
	CHECK(smb1_dos_status(0x00020001u) == 0xC0000034u);
	CHECK(smb1_dos_status(0x0002FF01u) == 0xC0000034u);
	CHECK(smb1_dos_status(0x00120001u) == 0x80000006u);
	CHECK(smb1_dos_status(0x00270003u) == 0xC000007Fu);
	CHECK(smb1_dos_status(0x00010002u) == 0xC0000001u);
	CHECK(smb1_dos_status(0x00020002u) == 0xC0000001u);
}

int main(void)
{
	test_dos_status();
	test_header();
	test_negotiate();
	test_mp_negotiate();
	test_sess_setup();
	test_tree();
	test_andx();
	test_chain();
	test_files();
	test_oplock();
	test_oplock_captured();
	test_notify();
	test_sd_req();
	test_fsctl_req();
	test_nmpipe_req();
	test_command_names();
	test_trans2();
	test_dfs_referral();
	return tap_done();
}
