/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The FSCTL payloads of sparse files (MS-FSCC 2.3.45/2.3.46, 2.3.64, 2.3.67): encodings, and the allocated
 * ranges decoder against hostile answers. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "wire_test.h"
#include "smbfuse/smb2.h"
#include "smbfuse/util.h"

static void test_encode(void)
{
	struct wbuf w;
	wbuf_init(&w, 0);
	CHECK(smb2_set_sparse_encode(&w, true) == 0 && w.len == 1 && w.p[0] == 1);
	wbuf_free(&w);
	wbuf_init(&w, 0);
	CHECK(smb2_zero_data_encode(&w, 4096, 8192) == 0 && w.len == 16 && get_le64(w.p) == 4096 &&
	      get_le64(w.p + 8) == 8192);
	wbuf_free(&w);
	wbuf_init(&w, 0);
	CHECK(smb2_zero_data_encode(&w, 10, 9) == -EINVAL);
	CHECK(smb2_zero_data_encode(&w, 0, (uint64_t)INT64_MAX + 1) == -EINVAL);
	CHECK(smb2_alloc_ranges_req_encode(&w, (uint64_t)INT64_MAX, 1) == -EINVAL);
	CHECK(w.len == 0);
	CHECK(smb2_alloc_ranges_req_encode(&w, 1, (uint64_t)INT64_MAX - 1) == 0 && w.len == 16);
	wbuf_free(&w);
}

static size_t put_ranges(uint8_t *p, const uint64_t *r, int n)
{
	for (int i = 0; i < 2 * n; i++)
		put_le64(p + 8 * i, r[i]);
	return (size_t)n * 16;
}

static void test_decode(void)
{
	uint8_t b[64];
	struct smb2_range r[4];
	const uint64_t good[] = {0, 10, 10, 0, 50, 20};
	size_t n = put_ranges(b, good, 3);
	CHECK(smb2_alloc_ranges_decode(b, (uint32_t)n, r, 4) == 3 && r[0].len == 10 && r[2].off == 50 &&
	      r[2].len == 20);
	CHECK(smb2_alloc_ranges_decode(NULL, 0, r, 4) == 0);
	/* More ranges than the caller has room for: the server sent more than MaxOutputResponse allowed. */
	CHECK(smb2_alloc_ranges_decode(b, (uint32_t)n, r, 2) == -EBADMSG);
	CHECK(smb2_alloc_ranges_decode(b, (uint32_t)n - 1, r, 4) == -EBADMSG);
	CHECK(smb2_alloc_ranges_decode(NULL, 16, r, 4) == -EBADMSG);
	const uint64_t overlap[] = {0, 11, 10, 5}, back[] = {50, 1, 0, 1}, neg_off[] = {(uint64_t)INT64_MIN, 1},
		       neg_len[] = {0, (uint64_t)-1}, wrap[] = {(uint64_t)INT64_MAX, 1};
	memset(r, 0x55, sizeof(r));
	CHECK(smb2_alloc_ranges_decode(b, (uint32_t)put_ranges(b, overlap, 2), r, 4) == -EBADMSG);
	CHECK(r[0].off == 0 && r[0].len == 0); /* nothing kept of a refused answer */
	CHECK(smb2_alloc_ranges_decode(b, (uint32_t)put_ranges(b, back, 2), r, 4) == -EBADMSG);
	CHECK(smb2_alloc_ranges_decode(b, (uint32_t)put_ranges(b, neg_off, 1), r, 4) == -EBADMSG);
	CHECK(smb2_alloc_ranges_decode(b, (uint32_t)put_ranges(b, neg_len, 1), r, 4) == -EBADMSG);
	CHECK(smb2_alloc_ranges_decode(b, (uint32_t)put_ranges(b, wrap, 1), r, 4) == -EBADMSG);
	/* Every truncation and bit flip of a good answer inside an IOCTL response. */
	n = put_ranges(b, good, 3);
	struct wbuf w;
	wbuf_init(&w, 0);
	wbuf_u16(&w, 49);
	wbuf_u16(&w, 0);
	wbuf_u32(&w, FSCTL_QUERY_ALLOCATED_RANGES);
	wbuf_zero(&w, 16 + 8);
	wbuf_u32(&w, SMB2_HDR_SIZE + 48);
	wbuf_u32(&w, (uint32_t)n);
	wbuf_zero(&w, 8);
	wbuf_bytes(&w, b, n);
	size_t mn;
	uint8_t *m = wt_msg_w(SMB2_IOCTL, &w, &mn);
	struct smb2_ioctl_rsp ir;
	CHECK(smb2_ioctl_rsp_decode(m, mn, &ir) == 0 && ir.output_len == n &&
	      smb2_alloc_ranges_decode(ir.output, ir.output_len, r, 4) == 3);
	wt_sweep("ioctl", m, mn);
	wt_sweep("alloc_ranges", b, n);
	free(m);
	wbuf_free(&w);
}

static void test_copychunk(void)
{
	uint8_t key[SMB2_RESUME_KEY_SIZE], got[SMB2_RESUME_KEY_SIZE];
	memset(key, 0xA5, sizeof(key));
	CHECK(smb2_resume_key_decode(key, 23, got) == -EBADMSG && smb2_resume_key_decode(NULL, 32, got) == -EBADMSG);
	CHECK(smb2_resume_key_decode(key, 24, got) == 0 && memcmp(got, key, 24) == 0);
	struct smb2_chunk ch[2] = {{0, 4096, 1u << 20}, {1u << 20, 4096 + (1u << 20), 100}};
	struct wbuf w;
	wbuf_init(&w, 0);
	CHECK(smb2_copychunk_req_encode(&w, key, ch, 2) == 0 && w.len == 32 + 48);
	CHECK(memcmp(w.p, key, 24) == 0 && get_le32(w.p + 24) == 2 && get_le64(w.p + 32 + 24) == 1u << 20 &&
	      get_le64(w.p + 32 + 32) == 4096 + (1u << 20) && get_le32(w.p + 32 + 40) == 100);
	wbuf_free(&w);
	wbuf_init(&w, 0);
	CHECK(smb2_copychunk_req_encode(&w, key, ch, 0) == -EINVAL);
	CHECK(smb2_copychunk_req_encode(&w, key, ch, SMB2_COPYCHUNK_MAX + 1) == -EINVAL);
	struct smb2_chunk wrap = {(uint64_t)INT64_MAX, 0, 1};
	CHECK(smb2_copychunk_req_encode(&w, key, &wrap, 1) == -EINVAL && w.len == 0);
	wbuf_free(&w);
	uint8_t r[12];
	put_le32(r, 256);
	put_le32(r + 4, 1u << 20);
	put_le32(r + 8, 16u << 20);
	struct smb2_copychunk_rsp cr;
	CHECK(smb2_copychunk_rsp_decode(r, 12, &cr) == 0 && cr.chunks_written == 256 &&
	      cr.total_bytes_written == 16u << 20);
	CHECK(smb2_copychunk_rsp_decode(r, 11, &cr) == -EBADMSG && cr.chunks_written == 0);
	wt_sweep("copychunk", r, 12);
}

int main(void)
{
	test_encode();
	test_copychunk();
	test_decode();
	return tap_done();
}
