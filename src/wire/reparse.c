/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reparse data buffers of symbolic links and special files (FSCTL_GET/SET_REPARSE_POINT payloads): MS-FSCC
 * 2.1.2.4 IO_REPARSE_TAG_SYMLINK (SubstituteName and PrintName in a PathBuffer, Flags with
 * SYMLINK_FLAG_RELATIVE) and 2.1.2.6 IO_REPARSE_TAG_NFS: of type NFS_SPECFILE_LNK the target alone, as the
 * kernel client and Windows' NFS server write it; FIFO and SOCK with no data; CHR and BLK with the major
 * then the minor number, 32 bits each (Samba's libcli/smb/reparse.c, the kernel's reparse=nfs). Server
 * input: every offset and length is checked against the buffer.
 *
 * The target goes to Linux as the server's own string, except that a target with backslashes and no slash
 * (what Windows writes: "..\dir\f", "\??\C:\x") has its backslashes turned into slashes. Samba sends a
 * Unix target unchanged, in which a backslash is an ordinary character.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "smbfuse/smb2.h"
#include "smbfuse/util.h"

#define SYMLINK_HDR 20 /* tag, length, reserved, 4 name offsets/lengths, flags: PathBuffer follows */
#define NFS_HDR 16     /* tag, length, reserved, the 8-byte InodeType */

static int target_from_utf16(const uint8_t *p, size_t n, char **out)
{
	if (n == 0 || n % 2)
		return -EBADMSG;
	int r = utf16le_to_utf8(p, n, out);
	if (r < 0)
		return r == -ENOMEM ? r : -EBADMSG;
	if (!strchr(*out, '/'))
		for (char *c = *out; *c; c++)
			if (*c == '\\')
				*c = '/';
	return 0;
}

int smb2_reparse_link_decode(const uint8_t *data, uint32_t len, char **target)
{
	*target = NULL;
	if (len < 8)
		return -EBADMSG;
	uint32_t tag = get_le32(data);
	uint32_t dlen = get_le16(data + 4);
	if ((size_t)dlen + 8 > len)
		return -EBADMSG;
	if (tag == IO_REPARSE_TAG_SYMLINK) {
		if (dlen + 8 < SYMLINK_HDR)
			return -EBADMSG;
		uint32_t sub_off = get_le16(data + 8), sub_len = get_le16(data + 10);
		uint32_t pr_off = get_le16(data + 12), pr_len = get_le16(data + 14);
		size_t path_len = dlen + 8 - SYMLINK_HDR;
		if (!range_ok(path_len, sub_off, sub_len) || !range_ok(path_len, pr_off, pr_len))
			return -EBADMSG;
		/* The substitute name is what the link resolves to; a server that leaves it empty names the
		 * target in the print name only. */
		if (sub_len)
			return target_from_utf16(data + SYMLINK_HDR + sub_off, sub_len, target);
		return target_from_utf16(data + SYMLINK_HDR + pr_off, pr_len, target);
	}
	if (tag == IO_REPARSE_TAG_NFS) {
		if (dlen < 8)
			return -EBADMSG;
		if (get_le64(data + 8) != NFS_SPECFILE_LNK)
			return -EINVAL; /* a fifo, socket or device: not a link */
		return target_from_utf16(data + NFS_HDR, dlen - 8, target);
	}
	return -EINVAL;
}

int smb2_reparse_symlink_encode(struct wbuf *w, const char *target)
{
	size_t n = strlen(target);
	long u = utf16_len_of_utf8(target, n);
	if (n == 0 || u < 0)
		return -EINVAL;
	/* Both names, each once: ReparseDataLength is 16 bits. */
	if ((size_t)u * 2 + SYMLINK_HDR - 8 > 0xffff)
		return -ENAMETOOLONG;
	wbuf_u32(w, IO_REPARSE_TAG_SYMLINK);
	wbuf_u16(w, (uint16_t)(SYMLINK_HDR - 8 + 2 * u));
	wbuf_u16(w, 0);
	wbuf_u16(w, 0);		 /* SubstituteNameOffset */
	wbuf_u16(w, (uint16_t)u); /* SubstituteNameLength */
	wbuf_u16(w, (uint16_t)u); /* PrintNameOffset */
	wbuf_u16(w, (uint16_t)u); /* PrintNameLength */
	wbuf_u32(w, target[0] == '/' ? 0 : SYMLINK_FLAG_RELATIVE);
	wbuf_utf16(w, target, n);
	wbuf_utf16(w, target, n);
	return wbuf_err(w);
}

/* The NFS types of special files and the st_mode types they stand for. */
static const struct {
	uint64_t nfs;
	uint32_t type;
} nfs_types[] = {
    {NFS_SPECFILE_FIFO, S_IFIFO},
    {NFS_SPECFILE_SOCK, S_IFSOCK},
    {NFS_SPECFILE_CHR, S_IFCHR},
    {NFS_SPECFILE_BLK, S_IFBLK},
};

int smb2_reparse_nfs_decode(const uint8_t *data, uint32_t len, struct smb2_nfs_special *out)
{
	memset(out, 0, sizeof(*out));
	if (len < 8)
		return -EBADMSG;
	uint32_t dlen = get_le16(data + 4);
	if ((size_t)dlen + 8 > len)
		return -EBADMSG;
	if (get_le32(data) != IO_REPARSE_TAG_NFS)
		return -EINVAL;
	if (dlen < 8)
		return -EBADMSG;
	uint64_t t = get_le64(data + 8);
	for (size_t i = 0; i < ARRAY_SIZE(nfs_types); i++) {
		if (nfs_types[i].nfs != t)
			continue;
		bool dev = nfs_types[i].type == S_IFCHR || nfs_types[i].type == S_IFBLK;
		if (dev && dlen < 16)
			return -EBADMSG;
		out->type = nfs_types[i].type;
		out->major = dev ? get_le32(data + 16) : 0;
		out->minor = dev ? get_le32(data + 20) : 0;
		return 0;
	}
	return -EINVAL; /* a link (smb2_reparse_link_decode) or a type no one defines */
}

int smb2_reparse_nfs_encode(struct wbuf *w, const struct smb2_nfs_special *in)
{
	for (size_t i = 0; i < ARRAY_SIZE(nfs_types); i++) {
		if (nfs_types[i].type != in->type)
			continue;
		bool dev = in->type == S_IFCHR || in->type == S_IFBLK;
		wbuf_u32(w, IO_REPARSE_TAG_NFS);
		wbuf_u16(w, dev ? 16 : 8);
		wbuf_u16(w, 0);
		wbuf_u64(w, nfs_types[i].nfs);
		if (dev) {
			wbuf_u32(w, in->major);
			wbuf_u32(w, in->minor);
		}
		return wbuf_err(w);
	}
	return -EINVAL;
}
