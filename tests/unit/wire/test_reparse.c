/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Symlink reparse buffers (MS-FSCC 2.1.2.4, 2.1.2.6): what Samba and Windows send, our encoding read back,
 * and hostile buffers. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../tap.h"
#include "wire_test.h"
#include "smbfuse/smb2.h"
#include "smbfuse/util.h"

/* A SYMLINK buffer with the given names (ASCII, UTF-16LE on the wire) and flags. */
static size_t symlink_buf(uint8_t *b, const char *sub, const char *print, uint32_t flags)
{
	size_t ls = strlen(sub), lp = strlen(print);
	put_le32(b, IO_REPARSE_TAG_SYMLINK);
	put_le16(b + 4, (uint16_t)(12 + 2 * (ls + lp)));
	put_le16(b + 6, 0);
	put_le16(b + 8, 0);
	put_le16(b + 10, (uint16_t)(2 * ls));
	put_le16(b + 12, (uint16_t)(2 * ls));
	put_le16(b + 14, (uint16_t)(2 * lp));
	put_le32(b + 16, flags);
	for (size_t i = 0; i < ls; i++)
		put_le16(b + 20 + 2 * i, (uint8_t)sub[i]);
	for (size_t i = 0; i < lp; i++)
		put_le16(b + 20 + 2 * (ls + i), (uint8_t)print[i]);
	return 20 + 2 * (ls + lp);
}

static void expect(const uint8_t *b, size_t n, int rc, const char *target)
{
	char *t = (char *)1;
	int r = smb2_reparse_link_decode(b, (uint32_t)n, &t);
	CHECK(r == rc);
	CHECK(rc == 0 ? t && strcmp(t, target) == 0 : t == NULL);
	free(rc == 0 ? t : NULL);
}

static void test_decode(void)
{
	uint8_t b[512];
	/* Samba: the Unix target as it is, relative or absolute. */
	expect(b, symlink_buf(b, "../lib/a.so", "../lib/a.so", SYMLINK_FLAG_RELATIVE), 0, "../lib/a.so");
	expect(b, symlink_buf(b, "/etc/passwd", "/etc/passwd", 0), 0, "/etc/passwd");
	/* Windows: backslashes, and an NT path for an absolute one; a literal backslash in a Unix name stays. */
	expect(b, symlink_buf(b, "..\\dir\\f", "..\\dir\\f", SYMLINK_FLAG_RELATIVE), 0, "../dir/f");
	expect(b, symlink_buf(b, "\\?" "?\\C:\\x", "C:\\x", 0), 0, "/?" "?/C:/x"); /* no trigraph */
	expect(b, symlink_buf(b, "a\\b/c", "", SYMLINK_FLAG_RELATIVE), 0, "a\\b/c");
	/* No substitute name: the print name. Neither: refused. */
	expect(b, symlink_buf(b, "", "target", SYMLINK_FLAG_RELATIVE), 0, "target");
	expect(b, symlink_buf(b, "", "", 0), -EBADMSG, NULL);
	/* An NFS LNK (the kernel client's reparse=nfs), and an NFS FIFO, which is no link. */
	uint8_t nfs[32];
	put_le32(nfs, IO_REPARSE_TAG_NFS);
	put_le16(nfs + 4, 8 + 6);
	put_le16(nfs + 6, 0);
	put_le64(nfs + 8, NFS_SPECFILE_LNK);
	put_le16(nfs + 16, 'a');
	put_le16(nfs + 18, '/');
	put_le16(nfs + 20, 'b');
	expect(nfs, 22, 0, "a/b");
	put_le64(nfs + 8, 0x000000004F464946ULL); /* "FIFO" */
	expect(nfs, 22, -EINVAL, NULL);
	/* Another tag (a dedup or cloud file): not a link. */
	size_t n = symlink_buf(b, "x", "x", 0);
	put_le32(b, 0x80000013u);
	expect(b, n, -EINVAL, NULL);
	/* Hostile: a length past the buffer, names past the data, an odd length, a short header. */
	n = symlink_buf(b, "target", "target", 0);
	expect(b, n - 1, -EBADMSG, NULL);
	put_le16(b + 8, 200);
	expect(b, n, -EBADMSG, NULL);
	n = symlink_buf(b, "target", "target", 0);
	put_le16(b + 10, 11);
	expect(b, n, -EBADMSG, NULL);
	expect(b, 7, -EBADMSG, NULL);
	put_le16(b + 4, 4);
	expect(b, 12, -EBADMSG, NULL);
	wt_sweep("reparse", b, symlink_buf(b, "../lib/a.so", "a.so", SYMLINK_FLAG_RELATIVE));
	wt_sweep("reparse", nfs, 22);
}

static void test_encode(void)
{
	struct wbuf w;
	char *t = NULL;
	wbuf_init(&w, 0);
	CHECK(smb2_reparse_symlink_encode(&w, "../x y/é") == 0);
	CHECK(get_le32(w.p) == IO_REPARSE_TAG_SYMLINK && get_le16(w.p + 4) + 8u == w.len &&
	      get_le32(w.p + 16) == SYMLINK_FLAG_RELATIVE);
	CHECK(smb2_reparse_link_decode(w.p, (uint32_t)w.len, &t) == 0 && t && strcmp(t, "../x y/é") == 0);
	free(t);
	wbuf_free(&w);
	wbuf_init(&w, 0);
	CHECK(smb2_reparse_symlink_encode(&w, "/abs") == 0 && get_le32(w.p + 16) == 0);
	wbuf_free(&w);
	wbuf_init(&w, 0);
	CHECK(smb2_reparse_symlink_encode(&w, "") == -EINVAL);
	CHECK(smb2_reparse_symlink_encode(&w, "\xff") == -EINVAL);
	char *big = malloc(20000);
	memset(big, 'a', 19999);
	big[19999] = 0;
	CHECK(smb2_reparse_symlink_encode(&w, big) == -ENAMETOOLONG && w.len == 0);
	free(big);
	wbuf_free(&w);
}

static void nfs_expect(const uint8_t *b, size_t n, int rc, uint32_t type, uint32_t major, uint32_t minor)
{
	struct smb2_nfs_special s = {1, 2, 3};
	CHECK(smb2_reparse_nfs_decode(b, (uint32_t)n, &s) == rc);
	CHECK(s.type == type && s.major == major && s.minor == minor);
}

/* Special files (MS-FSCC 2.1.2.6): what Samba 4.22 answers for a fifo and a device on its disk
 * (util_reparse.c fsctl_get_reparse_point_fifo/_dev), our encoding read back, hostile buffers. */
static void test_nfs(void)
{
	/* /dev/null as Samba sends it: tag, 16 bytes of data, "CHR", major 1, minor 3. */
	static const uint8_t chr[] = {0x14, 0x00, 0x00, 0x80, 0x10, 0x00, 0x00, 0x00, 0x43, 0x48, 0x52, 0x00,
				      0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00};
	nfs_expect(chr, sizeof(chr), 0, S_IFCHR, 1, 3);
	static const uint8_t fifo[] = {0x14, 0x00, 0x00, 0x80, 0x08, 0x00, 0x00, 0x00,
				       0x46, 0x49, 0x46, 0x4f, 0x00, 0x00, 0x00, 0x00};
	nfs_expect(fifo, sizeof(fifo), 0, S_IFIFO, 0, 0);
	const struct smb2_nfs_special in[] = {{S_IFIFO, 0, 0}, {S_IFSOCK, 0, 0}, {S_IFCHR, 1, 3},
					      {S_IFBLK, 259, 0x12345}};
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		struct wbuf w;
		wbuf_init(&w, 0);
		CHECK(smb2_reparse_nfs_encode(&w, &in[i]) == 0);
		CHECK(get_le32(w.p) == IO_REPARSE_TAG_NFS && get_le16(w.p + 4) + 8u == w.len);
		nfs_expect(w.p, w.len, 0, in[i].type, in[i].major, in[i].minor);
		char *t = (char *)1;
		CHECK(smb2_reparse_link_decode(w.p, (uint32_t)w.len, &t) == -EINVAL && t == NULL); /* no link */
		wbuf_free(&w);
	}
	struct wbuf w;
	wbuf_init(&w, 0);
	CHECK(smb2_reparse_nfs_encode(&w, &in[2]) == 0 && w.len == sizeof(chr) && memcmp(w.p, chr, w.len) == 0);
	wbuf_free(&w);
	wbuf_init(&w, 0);
	CHECK(smb2_reparse_nfs_encode(&w, &(struct smb2_nfs_special){S_IFREG, 0, 0}) == -EINVAL && w.len == 0);
	CHECK(smb2_reparse_nfs_encode(&w, &(struct smb2_nfs_special){S_IFLNK, 0, 0}) == -EINVAL && w.len == 0);
	wbuf_free(&w);
	/* Not special files: a link (NFS LNK or SYMLINK), an unknown NFS type. */
	uint8_t b[64];
	memcpy(b, chr, sizeof(chr));
	put_le64(b + 8, NFS_SPECFILE_LNK);
	nfs_expect(b, sizeof(chr), -EINVAL, 0, 0, 0);
	put_le64(b + 8, 0x4f4f46);
	nfs_expect(b, sizeof(chr), -EINVAL, 0, 0, 0);
	nfs_expect(b, symlink_buf(b, "t", "t", 0), -EINVAL, 0, 0, 0);
	/* Hostile: cut short, a device without its numbers, a length past the buffer, no type at all. */
	nfs_expect(chr, sizeof(chr) - 1, -EBADMSG, 0, 0, 0);
	nfs_expect(chr, 7, -EBADMSG, 0, 0, 0);
	memcpy(b, chr, sizeof(chr));
	put_le16(b + 4, 8);
	nfs_expect(b, 16, -EBADMSG, 0, 0, 0);
	put_le16(b + 4, 0xffff);
	nfs_expect(b, sizeof(chr), -EBADMSG, 0, 0, 0);
	put_le16(b + 4, 4);
	nfs_expect(b, 12, -EBADMSG, 0, 0, 0);
	wt_sweep("reparse", chr, sizeof(chr));
	wt_sweep("reparse", fifo, sizeof(fifo));
}

int main(void)
{
	test_decode();
	test_encode();
	test_nfs();
	return tap_done();
}
