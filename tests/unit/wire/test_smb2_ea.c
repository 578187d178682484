/* SPDX-License-Identifier: GPL-2.0-or-later */
/* FILE_FULL_EA_INFORMATION (MS-FSCC 2.4.15): the encoder, and the iterator against hostile buffers; the
 * security descriptor checker (MS-DTYP 2.4.6) against broken descriptors. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "wire_test.h"
#include "smbfuse/smb2.h"
#include "smbfuse/util.h"

/* Two EAs as Samba's fill_ea_chained_buffer lays them out: the first padded to 4 bytes. */
static const uint8_t two[] = {
    /* NextEntryOffset 16, Flags 0, EaNameLength 3, EaValueLength 3, "Foo\0", "bar", pad 1 */
    16, 0, 0, 0, 0, 3, 3, 0, 'F', 'o', 'o', 0, 'b', 'a', 'r', 0,
    /* last: "x\0" and two bytes of value */
    0, 0, 0, 0, 0, 1, 2, 0, 'x', 0, 0xff, 0x00,
};

static int count(const uint8_t *b, uint32_t l, int *err)
{
	struct smb2_notify_iter it;
	struct smb2_ea ea;
	int n = 0, rc;
	smb2_notify_iter_init(&it, b, l);
	while ((rc = smb2_ea_next(&it, &ea)) == 1)
		n++;
	*err = rc;
	/* sticky: a failed walk keeps failing, a finished one stays finished */
	CHECK(smb2_ea_next(&it, &ea) == rc);
	return n;
}

static void test_decode(void)
{
	struct smb2_notify_iter it;
	struct smb2_ea ea;
	smb2_notify_iter_init(&it, two, sizeof(two));
	CHECK(smb2_ea_next(&it, &ea) == 1 && ea.name_len == 3 && strcmp(ea.name, "Foo") == 0 &&
	      ea.value_len == 3 && memcmp(ea.value, "bar", 3) == 0);
	CHECK(smb2_ea_next(&it, &ea) == 1 && strcmp(ea.name, "x") == 0 && ea.value_len == 2 && ea.value[0] == 0xff);
	CHECK(smb2_ea_next(&it, &ea) == 0);
	int err;
	CHECK(count(NULL, 0, &err) == 0 && err == 0);
	CHECK(count(two, 0, &err) == 0 && err == 0);

	uint8_t b[sizeof(two)];
	struct {
		const char *what;
		size_t at;
		uint8_t v;
		uint32_t len;
	} bad[] = {
	    {"truncated header", 0, 16, 5},
	    {"value past the end", 6, 200, sizeof(two)},
	    {"name past the end", 21, 255, sizeof(two)},
	    {"empty name", 5, 0, sizeof(two)},
	    {"name without its NUL", 11, 'z', sizeof(two)},
	    {"control character in name", 9, '\n', sizeof(two)},
	    {"next inside the entry", 0, 8, sizeof(two)},
	    {"next at the very end", 0, sizeof(two), sizeof(two)},
	    {"next past the end", 0, 200, sizeof(two)},
	    {"second entry cut", 0, 16, 20},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(b, two, sizeof(two));
		b[bad[i].at] = bad[i].v;
		(void)count(b, bad[i].len, &err);
		tap_check(err == -EBADMSG, __FILE__, __LINE__, bad[i].what);
	}
	/* A loop: the second entry points back at the first. */
	memcpy(b, two, sizeof(two));
	put_le32(b + 16, (uint32_t)-16);
	CHECK(count(b, sizeof(two), &err) == 1 && err == -EBADMSG);
}

static void test_encode(void)
{
	struct wbuf w;
	wbuf_init(&w, 0);
	CHECK(smb2_full_ea_encode(&w, "Foo", 3, "bar", 3) == 0 && w.len == 15);
	CHECK(memcmp(w.p, two, 8) != 0 && get_le32(w.p) == 0 && memcmp(w.p + 4, two + 4, 11) == 0);
	struct smb2_notify_iter it;
	struct smb2_ea ea;
	smb2_notify_iter_init(&it, w.p, (uint32_t)w.len);
	CHECK(smb2_ea_next(&it, &ea) == 1 && strcmp(ea.name, "Foo") == 0 && ea.value_len == 3);
	CHECK(smb2_ea_next(&it, &ea) == 0);
	wbuf_free(&w);

	wbuf_init(&w, 0);
	CHECK(smb2_full_ea_encode(&w, "gone", 4, NULL, 0) == 0 && w.len == 13 && get_le16(w.p + 6) == 0);
	wbuf_free(&w);

	char longname[SMB_EA_NAME_MAX + 2];
	memset(longname, 'a', sizeof(longname));
	static uint8_t big[SMB_EA_VALUE_MAX + 1];
	wbuf_init(&w, 0);
	CHECK(smb2_full_ea_encode(&w, longname, SMB_EA_NAME_MAX, big, SMB_EA_VALUE_MAX) == 0);
	CHECK(w.len == 8 + SMB_EA_NAME_MAX + 1 + SMB_EA_VALUE_MAX);
	wbuf_free(&w);
	wbuf_init(&w, 0);
	CHECK(smb2_full_ea_encode(&w, longname, SMB_EA_NAME_MAX + 1, "v", 1) == -ENAMETOOLONG);
	CHECK(smb2_full_ea_encode(&w, "a", 1, big, SMB_EA_VALUE_MAX + 1) == -E2BIG);
	CHECK(smb2_full_ea_encode(&w, "", 0, "v", 1) == -EINVAL);
	CHECK(smb2_full_ea_encode(&w, "caf\xc3\xa9", 5, "v", 1) == -EINVAL);
	CHECK(smb2_full_ea_encode(&w, "a\tb", 3, "v", 1) == -EINVAL);
	CHECK(w.len == 0);
	wbuf_free(&w);
}

/* The list inside a QUERY_INFO answer, through every truncation and bit flip. */
static void test_sweep(void)
{
	uint8_t body[8 + sizeof(two)];
	put_le16(body, 9);
	put_le16(body + 2, 64 + 8);
	put_le32(body + 4, sizeof(two));
	memcpy(body + 8, two, sizeof(two));
	size_t n;
	uint8_t *m = wt_msg(SMB2_QUERY_INFO, 0, body, sizeof(body), &n);
	struct smb2_query_info_rsp r;
	CHECK(smb2_query_info_rsp_decode(m, n, &r) == 0 && r.len == sizeof(two));
	wt_sweep("ea", m, n);
	free(m);
}

/* Owner S-1-5-21-1-2-3-1000, no group, no SACL, a DACL of one ACCESS_ALLOWED ACE for S-1-1-0. */
static const uint8_t sd_ok[] = {
    1, 0, 0x04, 0x80, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 48, 0, 0, 0,
    /* owner at 20: revision 1, 5 sub-authorities, authority 5 */
    1, 4, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0xe8, 3, 0, 0,
    /* padding to 48 */
    0, 0, 0, 0,
    /* DACL at 48: revision 2, AclSize 28, one ACE */
    2, 0, 28, 0, 1, 0, 0, 0,
    /* ACE: type 0, flags 0, size 20, mask, SID S-1-1-0 */
    0, 0, 20, 0, 0xa9, 0, 0x12, 0, 1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0,
};

static void test_sd(void)
{
	uint32_t parts = 99;
	CHECK(sizeof(sd_ok) == 76);
	CHECK(smb_sd_check(sd_ok, sizeof(sd_ok), &parts) == 0 &&
	      parts == (OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION));
	CHECK(smb_sd_check(sd_ok, 20, &parts) == -EBADMSG && parts == 0); /* parts outside */
	CHECK(smb_sd_check(sd_ok, 19, NULL) == -EBADMSG);
	CHECK(smb_sd_check(NULL, 0, NULL) == -EBADMSG);
	uint8_t b[sizeof(sd_ok)];
	struct {
		const char *what;
		size_t at;
		uint8_t v;
	} bad[] = {
	    {"revision", 0, 2},
	    {"not self-relative", 3, 0},
	    {"owner offset inside the header", 4, 8},
	    {"owner offset past the end", 4, 200},
	    {"SID revision", 20, 2},
	    {"SID of 16 sub-authorities", 21, 16},
	    {"SID past the end", 21, 15},
	    {"ACL revision", 48, 3},
	    {"AclSize past the end", 50, 29},
	    {"AclSize below its header", 50, 7},
	    {"one ACE too many", 52, 2},
	    {"ACE size past the ACL", 58, 24},
	    {"ACE size below its header", 58, 3},
	    {"ACE SID past the ACE", 65, 2},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(b, sd_ok, sizeof(b));
		b[bad[i].at] = bad[i].v;
		tap_check(smb_sd_check(b, sizeof(b), NULL) == -EBADMSG, __FILE__, __LINE__, bad[i].what);
	}
	/* An ACE type without a SID of its own is only bounded by its size. */
	memcpy(b, sd_ok, sizeof(b));
	b[56] = 0x11;
	b[65] = 9;
	CHECK(smb_sd_check(b, sizeof(b), NULL) == 0);
	wt_sweep("sd", sd_ok, sizeof(sd_ok));

	char text[16 * sizeof(sd_ok) + 256];
	const char *want = "O:S-1-5-21-1-2-1000D:(A;;0x001200a9;;;S-1-1-0)";
	CHECK(smb_sd_to_sddl(sd_ok, sizeof(sd_ok), text, sizeof(text)) == (int)strlen(want) && strcmp(text, want) == 0);
	CHECK(smb_sd_to_sddl(sd_ok, sizeof(sd_ok), text, strlen(want)) == -ENOSPC && text[0] == 0);
	memcpy(b, sd_ok, sizeof(b));
	b[2] = 0x04 | 0x10; /* DACL present, ... */
	b[3] = 0x80 | 0x14; /* protected, auto-inherited */
	b[57] = 0x03 | 0x10; /* OI CI ID */
	CHECK(smb_sd_to_sddl(b, sizeof(b), text, sizeof(text)) > 0 &&
	      strcmp(text, "O:S-1-5-21-1-2-1000D:PAI(A;OICIID;0x001200a9;;;S-1-1-0)") == 0);
	b[16] = 0; /* DACL offset 0 with SE_DACL_PRESENT: the NULL DACL */
	CHECK(smb_sd_to_sddl(b, sizeof(b), text, sizeof(text)) > 0 &&
	      strcmp(text, "O:S-1-5-21-1-2-1000D:PAINO_ACCESS_CONTROL") == 0);
	b[0] = 2;
	CHECK(smb_sd_to_sddl(b, sizeof(b), text, sizeof(text)) == -EBADMSG);
}

static void test_fea(void)
{
	struct wbuf w;
	wbuf_init(&w, 0);
	CHECK(smb1_fea_list_encode(&w, "Foo", 3, "bar", 3) == 0 && w.len == 4 + 4 + 4 + 3);
	CHECK(get_le32(w.p) == w.len && w.p[5] == 3 && get_le16(w.p + 6) == 3 && memcmp(w.p + 8, "Foo\0bar", 7) == 0);
	CHECK(smb1_fea_list_encode(&w, "", 0, "v", 1) == -EINVAL && w.len == 15);
	/* A second entry after the first, and the list's size updated by hand. */
	const uint8_t second[] = {0, 1, 2, 0, 'x', 0, 0xff, 0};
	wbuf_bytes(&w, second, sizeof(second));
	put_le32(w.p, (uint32_t)w.len);
	struct smb2_notify_iter it;
	struct smb2_ea ea;
	CHECK(smb1_fea_list_init(&it, w.p, (uint32_t)w.len) == 0);
	CHECK(smb1_fea_next(&it, &ea) == 1 && strcmp(ea.name, "Foo") == 0 && ea.value_len == 3);
	CHECK(smb1_fea_next(&it, &ea) == 1 && strcmp(ea.name, "x") == 0 && ea.value_len == 2);
	CHECK(smb1_fea_next(&it, &ea) == 0);
	uint8_t empty[4] = {4, 0, 0, 0};
	CHECK(smb1_fea_list_init(&it, empty, 4) == 0 && smb1_fea_next(&it, &ea) == 0);
	CHECK(smb1_fea_list_init(&it, empty, 3) == -EBADMSG && smb1_fea_next(&it, &ea) == -EBADMSG);
	put_le32(w.p, (uint32_t)w.len + 1); /* a size past the buffer */
	CHECK(smb1_fea_list_init(&it, w.p, (uint32_t)w.len) == -EBADMSG);
	put_le32(w.p, (uint32_t)w.len - 1); /* the last value cut by the list's size */
	CHECK(smb1_fea_list_init(&it, w.p, (uint32_t)w.len) == 0 && smb1_fea_next(&it, &ea) == 1 &&
	      smb1_fea_next(&it, &ea) == -EBADMSG && smb1_fea_next(&it, &ea) == -EBADMSG);
	put_le32(w.p, (uint32_t)w.len);
	w.p[15 + 1] = 0; /* an empty name */
	CHECK(smb1_fea_list_init(&it, w.p, (uint32_t)w.len) == 0 && smb1_fea_next(&it, &ea) == 1 &&
	      smb1_fea_next(&it, &ea) == -EBADMSG);
	wbuf_free(&w);
}

int main(void)
{
	test_fea();
	test_decode();
	test_encode();
	test_sweep();
	test_sd();
	return tap_done();
}
