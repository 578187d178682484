/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The SMB 3.1.1 POSIX extensions' codecs (smb2_posix.c and their parts of the negotiate, create-context and
 * directory codecs), against responses captured from Samba 4.22.6, plus hostile SIDs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../tap.h"
#include "wire_test.h"
#include "smbfuse/smb2.h"
#include "smbfuse/util.h"

static void test_modes(void)
{
	CHECK(smb2_posix_mode_to_unix(0640) == (S_IFREG | 0640));
	CHECK(smb2_posix_mode_to_unix(0x1000 | 02750) == (S_IFDIR | 02750));
	CHECK(smb2_posix_mode_to_unix(0x2000 | 0777) == (S_IFLNK | 0777));
	CHECK(smb2_posix_mode_to_unix(0x6000 | 0755) == (S_IFSOCK | 0755));
	CHECK(smb2_posix_mode_to_unix(0x7000 | 0644) == 0644); /* unknown type: none */
	CHECK(smb2_unix_to_posix_mode(S_IFDIR | 01777) == (0x1000 | 01777));
	CHECK(smb2_unix_to_posix_mode(S_IFIFO | 0600) == (0x5000 | 0600));
	CHECK(smb2_unix_to_posix_mode(S_IFREG | 04755) == 04755);
}

static void test_negotiate(void)
{
	size_t n;
	uint8_t *m = tap_load_hex("smb2_negotiate_rsp_posix.hex", &n);
	struct smb2_negotiate_rsp r;
	CHECK(smb2_negotiate_rsp_decode(m, n, &r) == 0 && r.dialect == SMB2_DIALECT_311 && r.posix);
	wt_sweep("negotiate", m, n);
	free(m);
	/* The 4.17 capture has no POSIX context. */
	m = tap_load_hex("smb2_negotiate_rsp.hex", &n);
	CHECK(smb2_negotiate_rsp_decode(m, n, &r) == 0 && !r.posix);
	free(m);

	/* Our request carries the context with the tag as its data, 8-aligned after the others. */
	static const uint16_t d[] = {SMB2_DIALECT_311};
	struct smb2_negotiate_req q = {.dialects = d, .ndialects = 1, .posix = true};
	struct wbuf w;
	wbuf_init(&w, 0);
	CHECK(smb2_negotiate_req_encode(&w, &q) == 0);
	CHECK(w.len >= 24 && get_le16(w.p + w.len - 24) == SMB2_POSIX_EXTENSIONS_AVAILABLE &&
	      get_le16(w.p + w.len - 22) == 16 && memcmp(w.p + w.len - 16, smb2_posix_tag, 16) == 0);
	CHECK(get_le16(w.p + 32) == 2); /* NegotiateContextCount: preauth + POSIX */
	wbuf_free(&w);
}

static void test_create_context(void)
{
	struct wbuf w;
	size_t prev = SIZE_MAX;
	wbuf_init(&w, 0);
	CHECK(smb2_create_ctx_add(&w, &prev, SMB2_CREATE_QUERY_ON_DISK_ID, NULL, 0) == 0);
	CHECK(smb2_create_ctx_add_posix(&w, &prev, S_IFREG | 0600) == 0);
	const uint8_t *d;
	uint32_t dl;
	/* Name at 16 (16 bytes), data at 32, DataLength 4: what Samba insists on (smb2_create.c). */
	CHECK(smb2_create_ctx_find_name(w.p, (uint32_t)w.len, smb2_posix_tag, 16, &d, &dl) == 0 && dl == 4 &&
	      get_le32(d) == 0600 && d == w.p + prev + 32);
	CHECK(smb2_create_ctx_find(w.p, (uint32_t)w.len, SMB2_CREATE_QUERY_ON_DISK_ID, &d, &dl) == 0);
	CHECK(smb2_create_ctx_find_name(w.p, (uint32_t)w.len, "QFid", 4, &d, &dl) == 0);
	wbuf_free(&w);

	size_t n;
	uint8_t *m = tap_load_hex("smb2_create_rsp_posix.hex", &n);
	struct smb2_create_rsp r;
	struct smb2_posix_cc cc;
	uint32_t used;
	CHECK(smb2_create_rsp_decode(m, n, &r) == 0);
	CHECK(smb2_create_ctx_find_name(r.contexts, r.contexts_len, smb2_posix_tag, 16, &d, &dl) == 0);
	CHECK(smb2_posix_cc_decode(d, dl, &cc, &used) == 0 && used == dl);
	CHECK(cc.nlinks == 1 && cc.reparse_tag == 0 && cc.mode == (S_IFREG | 0640));
	CHECK(cc.has_uid && cc.uid == 1234 && cc.has_gid && cc.gid == 5678);
	/* Cut anywhere inside the SIDs: refused, never read past. */
	for (uint32_t k = 0; k < dl; k++)
		CHECK(smb2_posix_cc_decode(d, k, &cc, NULL) == -EBADMSG && cc.mode == 0);
	wt_sweep("create", m, n);
	free(m);
}

static void test_sids(void)
{
	struct smb2_posix_cc cc;
	/* nlink, tag, mode; owner S-1-5-21-1-2-3-1000 (a domain SID: no uid), group S-1-22-2-7. */
	uint8_t b[12 + 28 + 16] = {1, 0, 0, 0, 0, 0, 0, 0, 0xa4, 0x81, 0, 0};
	uint8_t *o = b + 12;
	o[0] = 1, o[1] = 5, o[7] = 5;
	put_le32(o + 8, 21), put_le32(o + 12, 1), put_le32(o + 16, 2), put_le32(o + 20, 3), put_le32(o + 24, 1000);
	uint8_t *g = o + 28;
	g[0] = 1, g[1] = 2, g[7] = 22;
	put_le32(g + 8, 2), put_le32(g + 12, 7);
	CHECK(smb2_posix_cc_decode(b, sizeof(b), &cc, NULL) == 0 && !cc.has_uid && cc.has_gid && cc.gid == 7 &&
	      cc.mode == (S_IFREG | 0644));
	/* A user SID in the group's place is not a group. */
	put_le32(g + 8, 1);
	CHECK(smb2_posix_cc_decode(b, sizeof(b), &cc, NULL) == 0 && !cc.has_gid);
	/* More than 15 sub-authorities, or another revision: malformed. */
	o[1] = 16;
	CHECK(smb2_posix_cc_decode(b, sizeof(b), &cc, NULL) == -EBADMSG);
	o[1] = 5, o[0] = 2;
	CHECK(smb2_posix_cc_decode(b, sizeof(b), &cc, NULL) == -EBADMSG);
	/* A count that runs past the buffer. */
	o[0] = 1, o[1] = 15;
	CHECK(smb2_posix_cc_decode(b, sizeof(b), &cc, NULL) == -EBADMSG);
}

static void test_query_info(void)
{
	size_t n;
	uint8_t *m = tap_load_hex("smb2_query_info_rsp_posix.hex", &n);
	struct smb2_query_info_rsp q;
	struct smb2_file_posix_info pi;
	CHECK(smb2_query_info_rsp_decode(m, n, &q) == 0);
	CHECK(smb2_file_posix_info_decode(q.buf, q.len, &pi) == 0);
	CHECK(pi.end_of_file == 6 && pi.attributes == FILE_ATTRIBUTE_NORMAL && pi.inode != 0);
	CHECK(pi.cc.mode == (S_IFREG | 0640) && pi.cc.uid == 1234 && pi.cc.gid == 5678 && pi.cc.nlinks == 1);
	CHECK(smb2_file_posix_info_decode(q.buf, 79, &pi) == -EBADMSG && pi.inode == 0);
	wt_sweep("query_info", m, n);
	free(m);
}

static void test_query_dir(void)
{
	size_t n;
	uint8_t *m = tap_load_hex("smb2_query_dir_rsp_posix.hex", &n);
	struct smb2_query_dir_rsp r;
	CHECK(smb2_query_dir_rsp_decode(m, n, &r) == 0);
	struct smb2_dir_iter it;
	struct smb2_dirent d;
	int count = 0, rc, seen = 0;
	smb2_dir_iter_init(&it, FilePosixInformation, r.buf, r.len);
	while ((rc = smb2_dir_next(&it, &d)) == 1) {
		count++;
		if (d.name_len == 2 && get_le16(d.name) == 'd') {
			CHECK(d.posix.mode == (S_IFDIR | 02750) && d.posix.gid == 40123 &&
			      (d.attributes & FILE_ATTRIBUTE_DIRECTORY));
			seen |= 1;
		}
		if (d.name_len == 10 && get_le16(d.name) == 'f') {
			CHECK(d.posix.mode == (S_IFREG | 0640) && d.posix.uid == 1234 && d.posix.gid == 5678 &&
			      d.end_of_file == 6 && d.file_id != 0);
			seen |= 2;
		}
	}
	CHECK(rc == 0 && count == 4 && seen == 3);
	wt_sweep("query_dir", m, n);
	free(m);
}

static void test_security_descriptors(void)
{
	struct wbuf w;
	wbuf_init(&w, 0);
	/* Self-relative, DACL present at 20, one ACE whose SID is S-1-5-88-3-0750. */
	CHECK(smb2_posix_mode_sd_encode(&w, 0750) == 0 && w.len == 20 + 8 + 8 + 20);
	CHECK(get_le16(w.p + 2) == 0x8004 && get_le32(w.p + 16) == 20 && get_le16(w.p + 24) == 1);
	CHECK(w.p[36] == 1 && w.p[37] == 3 && w.p[43] == 5 && get_le32(w.p + 44) == 88 && get_le32(w.p + 48) == 3 &&
	      get_le32(w.p + 52) == 0750);
	wbuf_free(&w);
	wbuf_init(&w, 0);
	CHECK(smb2_posix_owner_sd_encode(&w, true, 1234, true, 5678) == 0 && w.len == 20 + 16 + 16);
	CHECK(get_le32(w.p + 4) == 20 && get_le32(w.p + 8) == 36 && w.p[27] == 22 && get_le32(w.p + 28) == 1 &&
	      get_le32(w.p + 32) == 1234 && get_le32(w.p + 44) == 2 && get_le32(w.p + 48) == 5678);
	wbuf_free(&w);
	wbuf_init(&w, 0);
	CHECK(smb2_posix_owner_sd_encode(&w, false, 0, true, 9) == 0 && get_le32(w.p + 4) == 0 &&
	      get_le32(w.p + 8) == 20);
	CHECK(smb2_posix_owner_sd_encode(&w, false, 0, false, 0) == -EINVAL);
	wbuf_free(&w);
}

int main(void)
{
	test_modes();
	test_negotiate();
	test_create_context();
	test_sids();
	test_query_info();
	test_query_dir();
	test_security_descriptors();
	return tap_done();
}
