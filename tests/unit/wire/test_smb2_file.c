/* SPDX-License-Identifier: GPL-2.0-or-later */
/* CREATE (and contexts), CLOSE, FLUSH, READ, WRITE, LOCK, IOCTL and OPLOCK_BREAK codecs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "wire_test.h"
#include "smbfuse/smb2.h"
#include "smbfuse/util.h"

static void test_create_req_root(void)
{
	size_t n;
	uint8_t *m = tap_load_hex("smb2_create_req_root_smbclient.hex", &n);
	const uint8_t *b = m + SMB2_HDR_SIZE;
	struct smb2_create_req q = {.oplock_level = b[3],
				    .impersonation = get_le32(b + 4),
				    .desired_access = get_le32(b + 24),
				    .file_attributes = get_le32(b + 28),
				    .share_access = get_le32(b + 32),
				    .disposition = get_le32(b + 36),
				    .options = get_le32(b + 40),
				    .name = "",
				    .name_len = 0};
	struct wbuf w;
	wbuf_init(&w, 0);
	CHECK(smb2_create_req_encode(&w, &q) == 0);
	/* Same fixed part as smbclient; our empty name buffer is 8 zero bytes where smbclient sends 1. */
	CHECK(n == 64 + 57 && w.len == 56 + 8);
	CHECK_MEM(w.p, b, 56);
	free(m);
	wbuf_free(&w);
}

static void test_create_req_contexts(void)
{
	uint8_t key[16], parent[16];
	memset(key, 0x11, 16);
	memset(parent, 0x22, 16);
	struct wbuf c;
	size_t prev = SIZE_MAX;
	wbuf_init(&c, 0);
	CHECK(smb2_create_ctx_add(&c, &prev, SMB2_CREATE_QUERY_MAXIMAL_ACCESS_REQUEST, NULL, 0) == 0);
	CHECK(smb2_create_ctx_add(&c, &prev, SMB2_CREATE_QUERY_ON_DISK_ID, NULL, 0) == 0);
	CHECK(smb2_create_ctx_add_lease(&c, &prev, key, SMB2_LEASE_READ_CACHING | SMB2_LEASE_HANDLE_CACHING, parent,
					3, 2) == 0);
	CHECK(c.len == 24 + 24 + 24 + 52 && get_le32(c.p) == 24 && get_le32(c.p + 24) == 24 &&
	      get_le32(c.p + 48) == 0);

	struct smb2_create_req q = {.desired_access = GENERIC_READ,
				    .share_access = FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
				    .disposition = FILE_OPEN,
				    .oplock_level = SMB2_OPLOCK_LEVEL_LEASE,
				    .name = "dir1\\file1.txt",
				    .name_len = 14,
				    .contexts = c.p,
				    .contexts_len = (uint32_t)c.len};
	struct wbuf w;
	wbuf_init(&w, 0);
	CHECK(smb2_create_req_encode(&w, &q) == 0);
	CHECK(get_le16(w.p) == 57 && get_le16(w.p + 44) == 0x78 && get_le16(w.p + 46) == 28);
	uint32_t coff = get_le32(w.p + 48), clen = get_le32(w.p + 52);
	CHECK(coff == 0x98 && coff % 8 == 0 && clen == c.len && w.len == coff - 64 + clen);

	const uint8_t *d;
	uint32_t dl;
	const uint8_t *chain = w.p + coff - 64;
	CHECK(smb2_create_ctx_find(chain, clen, "RqLs", &d, &dl) == 0 && dl == 52);
	struct smb2_lease_rsp l;
	CHECK(smb2_lease_rsp_decode(d, dl, &l) == 0 && l.version == 2 && l.epoch == 3 &&
	      l.state == (SMB2_LEASE_READ_CACHING | SMB2_LEASE_HANDLE_CACHING) &&
	      l.flags == SMB2_LEASE_FLAG_PARENT_LEASE_KEY_SET && memcmp(l.key, key, 16) == 0 &&
	      memcmp(l.parent_key, parent, 16) == 0);
	CHECK(smb2_create_ctx_find(chain, clen, "QFid", &d, &dl) == 0 && dl == 0);
	CHECK(smb2_create_ctx_find(chain, clen, "DH2Q", &d, &dl) == -ENOENT);
	wbuf_free(&w);
	wbuf_free(&c);
}

/* A CREATE response as Samba shapes one with a v2 lease, MxAc and QFid, built with our own builder. */
static uint8_t *create_rsp_with_contexts(size_t *n)
{
	uint8_t key[16], mx[8], qfid[32];
	memset(key, 0x42, 16);
	put_le32(mx, 0);
	put_le32(mx + 4, 0x001F01FF);
	memset(qfid, 0, 32);
	put_le64(qfid, 0xa7214a);
	put_le64(qfid + 8, 0xfd01);
	struct wbuf c, b;
	size_t prev = SIZE_MAX;
	wbuf_init(&c, 0);
	smb2_create_ctx_add(&c, &prev, "MxAc", mx, 8);
	smb2_create_ctx_add(&c, &prev, "QFid", qfid, 32);
	smb2_create_ctx_add_lease(&c, &prev, key, 7, NULL, 5, 2);
	wbuf_init(&b, 0);
	wbuf_u16(&b, 89);
	wbuf_u8(&b, SMB2_OPLOCK_LEVEL_LEASE);
	wbuf_u8(&b, 0);
	wbuf_u32(&b, FILE_CREATED);
	for (int i = 0; i < 4; i++)
		wbuf_u64(&b, 132000000000000000ull + (uint64_t)i);
	wbuf_u64(&b, 4096);
	wbuf_u64(&b, 8);
	wbuf_u32(&b, FILE_ATTRIBUTE_ARCHIVE);
	wbuf_u32(&b, 0);
	wbuf_u64(&b, 0x1234);
	wbuf_u64(&b, 0x5678);
	wbuf_u32(&b, 64 + 88);
	wbuf_u32(&b, (uint32_t)c.len);
	wbuf_bytes(&b, c.p, c.len);
	uint8_t *m = wt_msg_w(SMB2_CREATE, &b, n);
	wbuf_free(&b);
	wbuf_free(&c);
	return m;
}

static void test_create_rsp(void)
{
	size_t n;
	struct smb2_create_rsp r;
	uint8_t *m = tap_load_hex("smb2_create_rsp_file.hex", &n);
	CHECK(smb2_create_rsp_decode(m, n, &r) == 0);
	CHECK(r.oplock_level == SMB2_OPLOCK_LEVEL_NONE && r.create_action == FILE_OPENED);
	CHECK(r.allocation_size == 4096 && r.end_of_file == 8 && r.file_attributes == FILE_ATTRIBUTE_NORMAL);
	CHECK(r.fid.persistent == 0x697b01d4u && r.fid.volatile_ == 0xc9b688f6u && r.contexts_len == 0);
	wt_sweep("create", m, n);
	free(m);
	m = tap_load_hex("smb2_create_rsp_root.hex", &n);
	CHECK(smb2_create_rsp_decode(m, n, &r) == 0 && (r.file_attributes & FILE_ATTRIBUTE_DIRECTORY));
	free(m);

	m = create_rsp_with_contexts(&n);
	CHECK(smb2_create_rsp_decode(m, n, &r) == 0 && r.create_action == FILE_CREATED && r.fid.volatile_ == 0x5678);
	const uint8_t *d;
	uint32_t dl;
	struct smb2_lease_rsp l;
	struct smb2_mxac_rsp mx;
	struct smb2_qfid_rsp qf;
	CHECK(smb2_create_ctx_find(r.contexts, r.contexts_len, "RqLs", &d, &dl) == 0);
	CHECK(smb2_lease_rsp_decode(d, dl, &l) == 0 && l.state == 7 && l.epoch == 5 && l.version == 2 &&
	      l.key[15] == 0x42);
	CHECK(smb2_create_ctx_find(r.contexts, r.contexts_len, "MxAc", &d, &dl) == 0);
	CHECK(smb2_mxac_rsp_decode(d, dl, &mx) == 0 && mx.query_status == 0 && mx.maximal_access == 0x001F01FF);
	CHECK(smb2_create_ctx_find(r.contexts, r.contexts_len, "QFid", &d, &dl) == 0);
	CHECK(smb2_qfid_rsp_decode(d, dl, &qf) == 0 && qf.disk_file_id == 0xa7214a && qf.volume_id == 0xfd01);
	wt_sweep("create", m, n);

	/* Chain damage: Next not a multiple of 8, Next past the end, name outside its element. */
	uint8_t *ctx = m + 64 + 88;
	put_le32(ctx, 20);
	CHECK(smb2_create_ctx_find(ctx, r.contexts_len, "QFid", &d, &dl) == -EBADMSG);
	put_le32(ctx, 0x1000);
	CHECK(smb2_create_ctx_find(ctx, r.contexts_len, "QFid", &d, &dl) == -EBADMSG);
	put_le32(ctx, 32);
	put_le16(ctx + 4, 30);
	CHECK(smb2_create_ctx_find(ctx, r.contexts_len, "QFid", &d, &dl) == -EBADMSG);
	wt_sweep("create_ctx", ctx, r.contexts_len);
	free(m);
}

static void test_close_flush(void)
{
	size_t n;
	struct smb2_close_rsp r;
	uint8_t *m = tap_load_hex("smb2_close_rsp.hex", &n);
	CHECK(smb2_close_rsp_decode(m, n, &r) == 0 && r.flags == 0 && r.end_of_file == 0);
	CHECK(smb2_close_rsp_decode(m, n - 1, &r) == -EBADMSG);
	wt_sweep("close", m, n);
	free(m);

	struct wbuf w;
	wbuf_init(&w, 0);
	struct smb2_close_req c = {.flags = SMB2_CLOSE_FLAG_POSTQUERY_ATTRIB, .fid = {1, 2}};
	CHECK(smb2_close_req_encode(&w, &c) == 0 && w.len == 24 && get_le16(w.p + 2) == 1 && get_le64(w.p + 16) == 2);
	wbuf_reset(&w);
	struct smb2_flush_req f = {.fid = {3, 4}};
	CHECK(smb2_flush_req_encode(&w, &f) == 0 && w.len == 24 && get_le64(w.p + 8) == 3);
	wbuf_free(&w);
}

static void test_read_write(void)
{
	size_t n;
	struct smb2_read_rsp r;
	uint8_t *m = tap_load_hex("smb2_read_rsp_small.hex", &n);
	CHECK(smb2_read_rsp_decode(m, n, &r) == 0 && r.data_len == 8 && r.data == m + 0x50);
	CHECK(r.data && memcmp(r.data, "hello 1\n", 8) == 0 && r.data_remaining == 0);
	CHECK(smb2_read_rsp_decode(m, n - 1, &r) == -EBADMSG && r.data == NULL);
	m[SMB2_HDR_SIZE + 2] = 0x40; /* DataOffset into the fixed part */
	CHECK(smb2_read_rsp_decode(m, n, &r) == -EBADMSG);
	m[SMB2_HDR_SIZE + 2] = 0x50;
	wt_sweep("read", m, n);
	free(m);
	m = tap_load_hex("smb2_read_rsp_5000.hex", &n);
	CHECK(smb2_read_rsp_decode(m, n, &r) == 0 && r.data_len == 5000 && r.data + 5000 == m + n);
	free(m);

	struct wbuf w;
	wbuf_init(&w, 0);
	struct smb2_read_req rq = {.length = 65536, .offset = 1 << 20, .fid = {5, 6}, .minimum_count = 1};
	CHECK(smb2_read_req_encode(&w, &rq) == 0 && w.len == 49 && get_le32(w.p + 4) == 65536 &&
	      get_le64(w.p + 8) == 1 << 20 && get_le32(w.p + 32) == 1);
	wbuf_reset(&w);
	struct smb2_write_req wq = {.length = 5, .offset = 7, .fid = {8, 9}};
	CHECK(smb2_write_req_encode(&w, &wq) == 0 && w.len == 48 && get_le16(w.p + 2) == 0x70);
	wbuf_bytes(&w, "abcde", 5);
	uint8_t *msg = wt_msg_w(SMB2_WRITE, &w, &n);
	CHECK(n == 64 + 48 + 5 && memcmp(msg + get_le16(msg + 66), "abcde", 5) == 0);
	free(msg);
	wbuf_free(&w);

	struct smb2_write_rsp wr;
	m = tap_load_hex("smb2_write_rsp.hex", &n);
	CHECK(smb2_write_rsp_decode(m, n, &wr) == 0 && wr.count == 15);
	wt_sweep("write", m, n);
	free(m);
}

static void test_lock_ioctl(void)
{
	struct smb2_lock_element le[2] = {{0, 10, SMB2_LOCKFLAG_EXCLUSIVE_LOCK | SMB2_LOCKFLAG_FAIL_IMMEDIATELY},
					  {100, 1, SMB2_LOCKFLAG_UNLOCK}};
	struct smb2_lock_req lq = {.fid = {1, 1}, .locks = le, .nlocks = 2};
	struct wbuf w;
	size_t n;
	wbuf_init(&w, 0);
	CHECK(smb2_lock_req_encode(&w, &lq) == 0 && w.len == 72 && get_le16(w.p + 2) == 2 &&
	      get_le64(w.p + 48) == 100 && get_le32(w.p + 40) == 0x12);
	lq.nlocks = 0;
	CHECK(smb2_lock_req_encode(&w, &lq) == -EINVAL);

	static const uint16_t dialects[] = {0x0300, 0x0302};
	struct smb2_validate_negotiate_req vq = {.capabilities = 7, .security_mode = 1, .dialects = dialects,
						 .ndialects = 2};
	struct wbuf in;
	wbuf_init(&in, 0);
	CHECK(smb2_validate_negotiate_req_encode(&in, &vq) == 0 && in.len == 28);
	struct smb2_ioctl_req iq = {.ctl_code = FSCTL_VALIDATE_NEGOTIATE_INFO, .fid = {~0ull, ~0ull},
				    .input = in.p, .input_len = (uint32_t)in.len, .max_output_response = 24,
				    .flags = SMB2_0_IOCTL_IS_FSCTL};
	wbuf_reset(&w);
	CHECK(smb2_ioctl_req_encode(&w, &iq) == 0 && w.len == 56 + 28 && get_le32(w.p + 24) == 0x78 &&
	      get_le32(w.p + 28) == 28 && get_le32(w.p + 44) == 24);

	/* the server's answer: output right after the fixed part */
	wbuf_reset(&w);
	wbuf_u16(&w, 49);
	wbuf_u16(&w, 0);
	wbuf_u32(&w, FSCTL_VALIDATE_NEGOTIATE_INFO);
	wbuf_u64(&w, ~0ull);
	wbuf_u64(&w, ~0ull);
	wbuf_u32(&w, 0x70);
	wbuf_u32(&w, 0);
	wbuf_u32(&w, 0x70);
	wbuf_u32(&w, 24);
	wbuf_u32(&w, 0);
	wbuf_u32(&w, 0);
	wbuf_u32(&w, 0x2f);
	wbuf_zero(&w, 16);
	wbuf_u16(&w, 1);
	wbuf_u16(&w, 0x0302);
	uint8_t *m = wt_msg_w(SMB2_IOCTL, &w, &n);
	struct smb2_ioctl_rsp ir;
	struct smb2_validate_negotiate_rsp vr;
	CHECK(smb2_ioctl_rsp_decode(m, n, &ir) == 0 && ir.output_len == 24 && ir.input_len == 0);
	CHECK(smb2_validate_negotiate_rsp_decode(ir.output, ir.output_len, &vr) == 0 && vr.capabilities == 0x2f &&
	      vr.security_mode == 1 && vr.dialect == 0x0302);
	wt_sweep("ioctl", m, n);
	free(m);
	wbuf_free(&in);
	wbuf_free(&w);
}

static void test_break(void)
{
	struct wbuf w;
	size_t n;
	struct smb2_break b;
	struct smb2_break_rsp br;
	wbuf_init(&w, 0);
	struct smb2_oplock_break_ack oa = {.oplock_level = SMB2_OPLOCK_LEVEL_II, .fid = {0xAA, 0xBB}};
	CHECK(smb2_oplock_break_ack_encode(&w, &oa) == 0 && w.len == 24);
	uint8_t *m = wt_msg_w(SMB2_OPLOCK_BREAK, &w, &n); /* notification and ack share the layout */
	CHECK(smb2_break_decode(m, n, &b) == 0 && !b.is_lease && b.oplock_level == 1 && b.fid.volatile_ == 0xBB);
	CHECK(smb2_break_rsp_decode(m, n, &br) == 0 && !br.is_lease && br.fid.persistent == 0xAA);
	wt_sweep("break", m, n);
	free(m);

	wbuf_reset(&w);
	wbuf_u16(&w, 44);
	wbuf_u16(&w, 4);
	wbuf_u32(&w, SMB2_NOTIFY_BREAK_LEASE_FLAG_ACK_REQUIRED);
	wbuf_zero(&w, 15);
	wbuf_u8(&w, 0x99);
	wbuf_u32(&w, 7);
	wbuf_u32(&w, 1);
	wbuf_zero(&w, 12);
	m = wt_msg_w(SMB2_OPLOCK_BREAK, &w, &n);
	CHECK(smb2_break_decode(m, n, &b) == 0 && b.is_lease && b.new_epoch == 4 && b.lease_key[15] == 0x99 &&
	      b.current_state == 7 && b.new_state == 1 && b.flags == 1);
	CHECK(smb2_break_decode(m, n - 1, &b) == -EBADMSG && !b.is_lease);
	wt_sweep("break", m, n);
	free(m);

	wbuf_reset(&w);
	struct smb2_lease_break_ack la = {.lease_state = 1};
	memset(la.lease_key, 0x99, 16);
	CHECK(smb2_lease_break_ack_encode(&w, &la) == 0 && w.len == 36);
	m = wt_msg_w(SMB2_OPLOCK_BREAK, &w, &n);
	CHECK(smb2_break_rsp_decode(m, n, &br) == 0 && br.is_lease && br.lease_state == 1 && br.lease_key[0] == 0x99);
	CHECK(smb2_break_decode(m, n, &b) == -EBADMSG); /* 36 is not a notification size */
	free(m);
	wbuf_free(&w);
}

/* Durable handle contexts: the layouts of MS-SMB2 2.2.13.2.3/.4/.11/.12, and hostile response data. */
static void test_durable_ctx(void)
{
	uint8_t guid[16];
	memset(guid, 0x5a, 16);
	struct smb2_fid fid = {0x1122334455667788ull, 0x99aabbccddeeff00ull};
	struct wbuf c;
	size_t prev = SIZE_MAX;
	wbuf_init(&c, 0);
	CHECK(smb2_create_ctx_add_durable(&c, &prev, 2, guid) == 0);
	CHECK(smb2_create_ctx_add_reconnect(&c, &prev, 2, fid, guid) == 0);
	CHECK(smb2_create_ctx_add_durable(&c, &prev, 1, NULL) == 0);
	CHECK(smb2_create_ctx_add_reconnect(&c, &prev, 1, fid, NULL) == 0);
	CHECK(smb2_create_ctx_add_durable(&c, &prev, 3, guid) == -EINVAL);
	CHECK(smb2_create_ctx_add_reconnect(&c, &prev, 0, fid, guid) == -EINVAL);
	const uint8_t *d;
	uint32_t dl;
	CHECK(smb2_create_ctx_find(c.p, (uint32_t)c.len, "DH2Q", &d, &dl) == 0 && dl == 32);
	CHECK(get_le32(d) == 0 && get_le32(d + 4) == 0 && get_le64(d + 8) == 0 && memcmp(d + 16, guid, 16) == 0);
	CHECK(smb2_create_ctx_find(c.p, (uint32_t)c.len, "DH2C", &d, &dl) == 0 && dl == 36);
	CHECK(get_le64(d) == fid.persistent && get_le64(d + 8) == fid.volatile_ && memcmp(d + 16, guid, 16) == 0 &&
	      get_le32(d + 32) == 0);
	CHECK(smb2_create_ctx_find(c.p, (uint32_t)c.len, "DHnQ", &d, &dl) == 0 && dl == 16);
	CHECK(smb2_create_ctx_find(c.p, (uint32_t)c.len, "DHnC", &d, &dl) == 0 && dl == 16 &&
	      get_le64(d) == fid.persistent && get_le64(d + 8) == fid.volatile_);
	wbuf_free(&c);

	uint8_t rsp[8];
	put_le32(rsp, 60000);
	put_le32(rsp + 4, SMB2_DHANDLE_FLAG_PERSISTENT);
	struct smb2_durable_rsp r;
	CHECK(smb2_durable_rsp_decode(rsp, 8, 2, &r) == 0 && r.timeout_ms == 60000 &&
	      r.flags == SMB2_DHANDLE_FLAG_PERSISTENT);
	CHECK(smb2_durable_rsp_decode(rsp, 8, 1, &r) == 0 && r.timeout_ms == 0 && r.flags == 0);
	CHECK(smb2_durable_rsp_decode(rsp, 7, 2, &r) == -EBADMSG && r.timeout_ms == 0);
	CHECK(smb2_durable_rsp_decode(rsp, 0, 1, &r) == -EBADMSG);
	CHECK(smb2_durable_rsp_decode(rsp, 8, 3, &r) == -EBADMSG);
}

/* SRV_SNAPSHOT_ARRAY (MS-SMB2 2.2.32.2): two tokens in order; a count-only answer; sizes that lie. */
static void test_snapshot_array(void)
{
	size_t n, off = 0, len;
	uint8_t *v = tap_load_hex("smb2_snapshot_array.hex", &n);
	struct smb2_snapshot_array a;
	const uint8_t *tok;
	CHECK(smb2_snapshot_array_decode(v, n, &a) == 0 && a.count == 2 && a.returned == 2 && a.tokens == v + 12);
	CHECK(smb2_snapshot_next(&a, &off, &tok, &len) == 1 && len == 48 && tok == v + 12 && tok[0] == '@' &&
	      tok[2] == 'G' && tok[46] == '0');
	CHECK(smb2_snapshot_next(&a, &off, &tok, &len) == 1 && len == 48 && tok == v + 12 + 50);
	CHECK(smb2_snapshot_next(&a, &off, &tok, &len) == 0); /* the final NUL */
	uint8_t only[12] = {5, 0, 0, 0, 0, 0, 0, 0, 0xf0, 0, 0, 0}; /* 5 versions, none returned: too small */
	CHECK(smb2_snapshot_array_decode(only, 12, &a) == 0 && a.count == 5 && a.returned == 0 && a.tokens_len == 0);
	put_le32(v + 8, (uint32_t)n); /* SnapShotArraySize past the end */
	CHECK(smb2_snapshot_array_decode(v, n, &a) == -EBADMSG);
	put_le32(v + 8, 49); /* odd */
	CHECK(smb2_snapshot_array_decode(v, n, &a) == -EBADMSG);
	put_le32(v + 8, 48), put_le32(v + 4, 3); /* more returned than there are */
	CHECK(smb2_snapshot_array_decode(v, n, &a) == -EBADMSG);
	put_le32(v + 4, 2);
	off = 0;
	CHECK(smb2_snapshot_array_decode(v, n, &a) == 0 && smb2_snapshot_next(&a, &off, &tok, &len) == -EBADMSG);
	free(v);
	v = tap_load_hex("smb2_snapshot_array.hex", &n);
	wt_sweep("snapshots", v, n);
	free(v);
}

int main(void)
{
	test_snapshot_array();
	test_create_req_root();
	test_create_req_contexts();
	test_create_rsp();
	test_durable_ctx();
	test_close_flush();
	test_read_write();
	test_lock_ioctl();
	test_break();
	return tap_done();
}
