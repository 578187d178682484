/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QUERY_DIRECTORY and its entry iterator, CHANGE_NOTIFY, QUERY_INFO / SET_INFO and the info classes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "wire_test.h"
#include "smbfuse/smb2.h"
#include "smbfuse/util.h"

static bool name_is(const struct smb2_dirent *d, const char *ascii)
{
	size_t l = strlen(ascii);
	if (d->name_len != 2 * l)
		return false;
	for (size_t i = 0; i < l; i++)
		if (get_le16(d->name + 2 * i) != (uint8_t)ascii[i])
			return false;
	return true;
}

static void test_query_dir_vector(void)
{
	static const char *const names[] = {".", "..", "file2.txt", "file3.txt", "file1.txt"};
	static const uint64_t ids[] = {0xa72149, 0xa720c3, 0xa7214b, 0xa7214c, 0xa7214a};
	size_t n;
	uint8_t *m = tap_load_hex("smb2_query_dir_rsp_idboth_dir1.hex", &n);
	struct smb2_query_dir_rsp r;
	CHECK(smb2_query_dir_rsp_decode(m, n, &r) == 0 && r.len == n - 72);
	struct smb2_dir_iter it;
	struct smb2_dirent d;
	int i = 0, rc;
	smb2_dir_iter_init(&it, FileIdBothDirectoryInformation, r.buf, r.len);
	while ((rc = smb2_dir_next(&it, &d)) == 1 && i < 5) {
		CHECK(name_is(&d, names[i]) && d.file_id == ids[i] && d.short_name_len == 0);
		CHECK(i < 2 ? d.attributes == FILE_ATTRIBUTE_DIRECTORY
			    : (d.attributes == FILE_ATTRIBUTE_NORMAL && d.end_of_file == 8 && d.allocation_size == 4096));
		i++;
	}
	CHECK(rc == 0 && i == 5 && smb2_dir_next(&it, &d) == 0);
	wt_sweep("query_dir", m, n);
	free(m);

	const char *more[] = {"smb2_query_dir_rsp_idboth_root.hex", "smb2_query_dir_rsp_idboth_single.hex"};
	for (int k = 0; k < 2; k++) {
		m = tap_load_hex(more[k], &n);
		CHECK(smb2_query_dir_rsp_decode(m, n, &r) == 0);
		smb2_dir_iter_init(&it, FileIdBothDirectoryInformation, r.buf, r.len);
		i = 0;
		while ((rc = smb2_dir_next(&it, &d)) == 1)
			i++;
		CHECK(rc == 0 && i == (k == 0 ? 5 : 1));
		smb2_dir_iter_init(&it, FileIdBothDirectoryInformation, r.buf, r.len);
		CHECK(smb2_dir_next(&it, &d) == 1 && name_is(&d, k == 0 ? "." : "moved.txt"));
		wt_sweep("query_dir", m, n);
		free(m);
	}
}

/* Two FileIdFullDirectoryInformation entries, as Windows and Samba lay them out (8-aligned). */
static size_t build_idfull(struct wbuf *w)
{
	const char *names[] = {"a.txt", "subdir"};
	for (int i = 0; i < 2; i++) {
		size_t start = w->len, nl = 2 * strlen(names[i]);
		size_t entry = (80 + nl + 7) & ~(size_t)7;
		wbuf_u32(w, i == 0 ? (uint32_t)entry : 0);
		wbuf_u32(w, 0);
		for (int t = 0; t < 4; t++)
			wbuf_u64(w, 130000000000000000ull);
		wbuf_u64(w, i == 0 ? 5 : 0);
		wbuf_u64(w, i == 0 ? 4096 : 0);
		wbuf_u32(w, i == 0 ? FILE_ATTRIBUTE_ARCHIVE : FILE_ATTRIBUTE_DIRECTORY);
		wbuf_u32(w, (uint32_t)nl);
		wbuf_u32(w, 0); /* EaSize */
		wbuf_u32(w, 0);
		wbuf_u64(w, 1000 + (uint64_t)i);
		wbuf_utf16(w, names[i], strlen(names[i]));
		if (i == 0)
			wbuf_align(w, start, 8);
	}
	return w->len;
}

static void test_dir_iter_synthetic(void)
{
	struct wbuf w;
	struct smb2_dir_iter it;
	struct smb2_dirent d;
	wbuf_init(&w, 0);
	build_idfull(&w);
	smb2_dir_iter_init(&it, FileIdFullDirectoryInformation, w.p, (uint32_t)w.len);
	CHECK(smb2_dir_next(&it, &d) == 1 && name_is(&d, "a.txt") && d.file_id == 1000 && d.end_of_file == 5);
	CHECK(smb2_dir_next(&it, &d) == 1 && name_is(&d, "subdir") && d.file_id == 1001 &&
	      d.attributes == FILE_ATTRIBUTE_DIRECTORY);
	CHECK(smb2_dir_next(&it, &d) == 0);

	/* walks that do not make progress or leave the buffer are refused, and the refusal sticks */
	uint32_t first = get_le32(w.p);
	put_le32(w.p, 8); /* into the first entry's own fixed part */
	smb2_dir_iter_init(&it, FileIdFullDirectoryInformation, w.p, (uint32_t)w.len);
	CHECK(smb2_dir_next(&it, &d) == -EBADMSG && smb2_dir_next(&it, &d) == -EBADMSG);
	put_le32(w.p, (uint32_t)w.len + 8);
	smb2_dir_iter_init(&it, FileIdFullDirectoryInformation, w.p, (uint32_t)w.len);
	CHECK(smb2_dir_next(&it, &d) == -EBADMSG);
	put_le32(w.p, first);
	put_le32(w.p + 60, 0x7FFFFFFE); /* FileNameLength past the end */
	smb2_dir_iter_init(&it, FileIdFullDirectoryInformation, w.p, (uint32_t)w.len);
	CHECK(smb2_dir_next(&it, &d) == -EBADMSG);
	put_le32(w.p + 60, 10);
	smb2_dir_iter_init(&it, 99, w.p, (uint32_t)w.len);
	CHECK(smb2_dir_next(&it, &d) == -EPROTO);
	smb2_dir_iter_init(&it, FileIdFullDirectoryInformation, NULL, 0);
	CHECK(smb2_dir_next(&it, &d) == 0);

	/* wrapped in a response, through the sweep */
	struct wbuf b;
	size_t n;
	wbuf_init(&b, 0);
	wbuf_u16(&b, 9);
	wbuf_u16(&b, 72);
	wbuf_u32(&b, (uint32_t)w.len);
	wbuf_bytes(&b, w.p, w.len);
	uint8_t *m = wt_msg_w(SMB2_QUERY_DIRECTORY, &b, &n);
	wt_sweep("query_dir", m, n);
	free(m);
	wbuf_free(&b);
	wbuf_free(&w);

	wbuf_init(&w, 0);
	struct smb2_query_dir_req q = {.info_class = FileIdFullDirectoryInformation, .flags = SMB2_RESTART_SCANS,
				       .fid = {1, 2}, .pattern = "*", .pattern_len = 1,
				       .output_buffer_length = 65536};
	CHECK(smb2_query_dir_req_encode(&w, &q) == 0 && w.len == 34 && get_le16(w.p + 24) == 0x60 &&
	      get_le16(w.p + 26) == 2 && get_le16(w.p + 32) == '*' && w.p[2] == 38 && w.p[3] == 1);
	wbuf_free(&w);
}

static void test_notify(void)
{
	struct wbuf w;
	wbuf_init(&w, 0);
	wbuf_u32(&w, 16);
	wbuf_u32(&w, FILE_ACTION_RENAMED_OLD_NAME);
	wbuf_u32(&w, 2);
	wbuf_utf16(&w, "x", 1);
	wbuf_zero(&w, 2);
	wbuf_u32(&w, 0);
	wbuf_u32(&w, FILE_ACTION_RENAMED_NEW_NAME);
	wbuf_u32(&w, 4);
	wbuf_utf16(&w, "yz", 2);
	struct smb2_notify_iter it;
	struct smb2_notify_entry e;
	smb2_notify_iter_init(&it, w.p, (uint32_t)w.len);
	CHECK(smb2_notify_next(&it, &e) == 1 && e.action == FILE_ACTION_RENAMED_OLD_NAME && e.name_len == 2 &&
	      e.name[0] == 'x');
	CHECK(smb2_notify_next(&it, &e) == 1 && e.action == FILE_ACTION_RENAMED_NEW_NAME && e.name_len == 4);
	CHECK(smb2_notify_next(&it, &e) == 0);
	put_le32(w.p, 12); /* overlaps the name */
	smb2_notify_iter_init(&it, w.p, (uint32_t)w.len);
	CHECK(smb2_notify_next(&it, &e) == -EBADMSG);
	put_le32(w.p, 16);

	struct wbuf b;
	size_t n;
	wbuf_init(&b, 0);
	wbuf_u16(&b, 9);
	wbuf_u16(&b, 72);
	wbuf_u32(&b, (uint32_t)w.len);
	wbuf_bytes(&b, w.p, w.len);
	uint8_t *m = wt_msg_w(SMB2_CHANGE_NOTIFY, &b, &n);
	struct smb2_change_notify_rsp r;
	CHECK(smb2_change_notify_rsp_decode(m, n, &r) == 0 && r.len == w.len);
	wt_sweep("change_notify", m, n);
	free(m);
	wbuf_reset(&b);
	struct smb2_change_notify_req q = {.flags = SMB2_WATCH_TREE, .output_buffer_length = 4096, .fid = {1, 2},
					   .completion_filter = FILE_NOTIFY_CHANGE_FILE_NAME};
	CHECK(smb2_change_notify_req_encode(&b, &q) == 0 && b.len == 32 && get_le32(b.p + 24) == 1);
	wbuf_free(&b);
	wbuf_free(&w);
}

static void test_query_info(void)
{
	size_t n;
	struct smb2_query_info_rsp r;
	struct smb2_file_all_info a;
	uint8_t *m = tap_load_hex("smb2_query_info_rsp_all_info.hex", &n);
	CHECK(smb2_query_info_rsp_decode(m, n, &r) == 0);
	CHECK(smb2_file_all_info_decode(r.buf, r.len, &a) == 0);
	CHECK(a.attributes == FILE_ATTRIBUTE_NORMAL && a.allocation_size == 4096 && a.end_of_file == 8);
	CHECK(a.number_of_links == 1 && !a.directory && !a.delete_pending && a.index_number == 0xa7214a);
	CHECK(a.name_len == 30 && !a.name_truncated && get_le16(a.name) == '\\' && get_le16(a.name + 28) == 't');
	/* STATUS_BUFFER_OVERFLOW form: Samba cuts the name but keeps FileNameLength */
	CHECK(smb2_file_all_info_decode(r.buf, 100 + 11, &a) == 0 && a.name_truncated && a.name_len == 10);
	CHECK(smb2_file_all_info_decode(r.buf, 99, &a) == -EBADMSG);
	wt_sweep("query_info", m, n);
	free(m);

	struct smb2_fs_full_size_info fs;
	m = tap_load_hex("smb2_query_info_rsp_fs_size.hex", &n);
	CHECK(smb2_query_info_rsp_decode(m, n, &r) == 0 && r.len == 24);
	CHECK(smb2_fs_size_info_decode(r.buf, r.len, &fs) == 0 && fs.total_alloc_units == 264212084 &&
	      fs.sectors_per_unit == 2 && fs.bytes_per_sector == 512 && fs.caller_avail_units == fs.actual_avail_units);
	CHECK(smb2_fs_full_size_info_decode(r.buf, r.len, &fs) == -EBADMSG);
	wt_sweep("query_info", m, n);
	free(m);

	uint8_t fa[20] = {0};
	struct smb2_fs_attribute_info ai;
	put_le32(fa, FILE_CASE_PRESERVED_NAMES);
	put_le32(fa + 4, 255);
	put_le32(fa + 8, 8);
	memcpy(fa + 12, "N\0T\0F\0S\0", 8);
	CHECK(smb2_fs_attribute_info_decode(fa, 20, &ai) == 0 && ai.max_name_len == 255 && ai.name_len == 8);
	CHECK(smb2_fs_attribute_info_decode(fa, 19, &ai) == -EBADMSG);

	struct wbuf w;
	wbuf_init(&w, 0);
	struct smb2_query_info_req q = {.info_type = SMB2_0_INFO_FILE, .file_info_class = FileAllInformation,
					.output_buffer_length = 4096, .fid = {1, 2}};
	CHECK(smb2_query_info_req_encode(&w, &q) == 0 && w.len == 41 && w.p[2] == 1 && w.p[3] == 18 &&
	      get_le16(w.p + 8) == 0 && get_le64(w.p + 32) == 2);
	wbuf_free(&w);
}

static void test_set_info(void)
{
	struct wbuf info, w;
	size_t n;
	wbuf_init(&info, 0);
	wbuf_init(&w, 0);
	CHECK(smb2_file_basic_info_encode(&info, 1, 2, 3, 4, FILE_ATTRIBUTE_READONLY) == 0 && info.len == 40);
	struct smb2_file_basic_info b;
	CHECK(smb2_file_basic_info_decode(info.p, info.len, &b) == 0 && b.last_write_time == 3 && b.attributes == 1);
	struct smb2_set_info_req s = {.info_type = SMB2_0_INFO_FILE, .file_info_class = FileBasicInformation,
				      .fid = {5, 6}, .buf = info.p, .len = (uint32_t)info.len};
	CHECK(smb2_set_info_req_encode(&w, &s) == 0 && w.len == 72 && get_le32(w.p + 4) == 40 &&
	      get_le16(w.p + 8) == 0x60 && memcmp(w.p + 32, info.p, 40) == 0);

	wbuf_reset(&info);
	CHECK(smb2_file_rename_info_encode(&info, true, "d\\b", 3) == 0 && info.len == 20 + 6 + 2);
	CHECK(info.p[0] == 1 && get_le64(info.p + 8) == 0 && get_le32(info.p + 16) == 6 && get_le16(info.p + 24) == 'b');
	CHECK(smb2_file_rename_info_encode(&info, false, "", 0) == -EINVAL);
	wbuf_reset(&info);
	CHECK(smb1_file_rename_info_encode(&info, false, "ab", 2) == 0 && info.len == 12 + 4 + 2);
	CHECK(info.p[0] == 0 && get_le32(info.p + 4) == 0 && get_le32(info.p + 8) == 4 && get_le16(info.p + 14) == 'b');
	wbuf_reset(&info);
	CHECK(smb1_file_rename_info_encode(&info, true, "x", 1) == 0 && info.p[0] == 1 && info.len == 12 + 2 + 2);
	CHECK(smb1_file_rename_info_encode(&info, true, "\xff", 1) == -EILSEQ);
	wbuf_reset(&info);
	CHECK(smb2_file_disposition_info_encode(&info, true) == 0 && info.len == 1 && info.p[0] == 1);
	CHECK(smb2_file_eof_info_encode(&info, 1234) == 0 && info.len == 9 && get_le64(info.p + 1) == 1234);
	CHECK(smb2_file_allocation_info_encode(&info, 8) == 0 && info.len == 17);

	uint8_t *m = tap_load_hex("smb2_set_info_rsp.hex", &n);
	CHECK(smb2_set_info_rsp_decode(m, n) == 0 && smb2_set_info_rsp_decode(m, n - 1) == -EBADMSG);
	wt_sweep("empty_rsps", m, n);
	free(m);
	wbuf_free(&info);
	wbuf_free(&w);
}

static void test_small_info_classes(void)
{
	uint8_t buf[56] = {0};
	put_le64(buf, 10);
	put_le64(buf + 8, 20);
	put_le32(buf + 16, 3);
	buf[21] = 1;
	struct smb2_file_standard_info s;
	CHECK(smb2_file_standard_info_decode(buf, 24, &s) == 0 && s.end_of_file == 20 && s.number_of_links == 3 &&
	      s.directory && !s.delete_pending);
	CHECK(smb2_file_standard_info_decode(buf, 23, &s) == -EBADMSG);
	struct smb2_file_internal_info ii;
	CHECK(smb2_file_internal_info_decode(buf, 8, &ii) == 0 && ii.index_number == 10);
	struct smb2_file_network_open_info no;
	put_le32(buf + 48, FILE_ATTRIBUTE_DIRECTORY);
	CHECK(smb2_file_network_open_info_decode(buf, 56, &no) == 0 && no.attributes == FILE_ATTRIBUTE_DIRECTORY);
	CHECK(smb2_file_network_open_info_decode(buf, 55, &no) == -EBADMSG);
}

int main(void)
{
	test_query_dir_vector();
	test_dir_iter_synthetic();
	test_notify();
	test_query_info();
	test_set_info();
	test_small_info_classes();
	return tap_done();
}
