/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SMB 3.1.1 POSIX extensions (Samba wiki "SMB3 POSIX Extensions"; the layouts are Samba's
 * librpc/idl/smb3posix.idl, which Samba 4.22 serves with `smb3 unix extensions = yes`, and the Linux
 * client's fs/smb/client/smb2pdu.h): the POSIX create context (its request carries the mode, its response
 * nlink, reparse tag, mode and the owner and group SIDs), FilePosixInformation (class 100), and the
 * security descriptors that change mode (one ACE for S-1-5-88-3-MODE, Samba's smb2_nttrans.c
 * check_smb2_posix_chmod_ace) and owner/group (S-1-22-1-UID / S-1-22-2-GID, MS-DTYP 2.4.2 SIDs in an
 * MS-DTYP 2.4.6 self-relative descriptor).
 *
 * The SIDs are the only variable part: each is 8 bytes plus 4 per sub-authority, at most 15 (MS-DTYP
 * 2.4.2), and nothing is aligned (NDR_NOALIGN), so the decoders walk them with explicit bounds.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "smbfuse/smb2.h"
#include "smbfuse/util.h"
#include "smb2_i.h"

const uint8_t smb2_posix_tag[16] = {0x93, 0xAD, 0x25, 0x50, 0x9C, 0xB4, 0x11, 0xE7,
				    0xB4, 0x23, 0x83, 0xDE, 0x96, 0x8B, 0xCD, 0x7C};

#define SID_MAX_SUBAUTH 15
#define UNIX_AUTHORITY 22 /* S-1-22: Samba's Unix users (S-1-22-1-UID) and groups (S-1-22-2-GID) */
#define NFS_AUTHORITY 5	  /* S-1-5-88-3-MODE: the mode as a SID (Samba, Windows NFS server) */
#define CC_FIXED 12	  /* nlinks, reparse_tag, posix_mode */
#define INFO_HEAD 68	  /* FilePosixInformation before the create-context part */

/* Type numbers of the wire mode (bits 12-14), UNIX_TYPE_FILE = 0 .. UNIX_TYPE_SOCKET = 6. */
static const mode_t wire_types[] = {S_IFREG, S_IFDIR, S_IFLNK, S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK};

uint32_t smb2_posix_mode_to_unix(uint32_t wire)
{
	/* The permission bits are the octal values themselves (UNIX_X_OTH = 01 ... UNIX_SET_UID = 04000). */
	uint32_t type = (wire >> 12) & 7;
	return (wire & 07777) | (type < ARRAY_SIZE(wire_types) ? (uint32_t)wire_types[type] : 0);
}

uint32_t smb2_unix_to_posix_mode(uint32_t mode)
{
	uint32_t type = 0;
	for (uint32_t i = 0; i < ARRAY_SIZE(wire_types); i++)
		if ((mode & S_IFMT) == wire_types[i])
			type = i;
	return (mode & 07777) | type << 12;
}

int smb2_create_ctx_add_posix(struct wbuf *w, size_t *prev_off, uint32_t mode)
{
	uint8_t d[4];
	put_le32(d, smb2_unix_to_posix_mode(mode));
	return smb2_create_ctx_add_name(w, prev_off, smb2_posix_tag, sizeof(smb2_posix_tag), d, sizeof(d));
}

/* One SID at c; S-1-22-kind-ID gives *id. Returns 1 if it is such a SID, 0 for any other, -EBADMSG. */
static int unix_sid(struct cur *c, uint32_t kind, uint32_t *id)
{
	uint8_t rev = cur_u8(c);
	uint8_t n = cur_u8(c);
	const uint8_t *auth = cur_bytes(c, 6);
	if (cur_err(c) || rev != 1 || n > SID_MAX_SUBAUTH)
		return -EBADMSG;
	const uint8_t *sub = cur_bytes(c, 4u * n);
	if (cur_err(c))
		return -EBADMSG;
	static const uint8_t unix_auth[6] = {0, 0, 0, 0, 0, UNIX_AUTHORITY};
	if (n != 2 || memcmp(auth, unix_auth, 6) != 0 || get_le32(sub) != kind)
		return 0;
	*id = get_le32(sub + 4);
	return 1;
}

int smb2_posix_cc_decode(const uint8_t *p, uint32_t len, struct smb2_posix_cc *out, uint32_t *used)
{
	struct cur c;
	memset(out, 0, sizeof(*out));
	cur_init(&c, p, len);
	out->nlinks = cur_u32(&c);
	out->reparse_tag = cur_u32(&c);
	out->mode = smb2_posix_mode_to_unix(cur_u32(&c));
	int ru = cur_err(&c) ? -EBADMSG : unix_sid(&c, 1, &out->uid);
	int rg = ru < 0 ? ru : unix_sid(&c, 2, &out->gid);
	if (rg < 0) {
		memset(out, 0, sizeof(*out));
		return -EBADMSG;
	}
	out->has_uid = ru == 1;
	out->has_gid = rg == 1;
	if (used)
		*used = (uint32_t)c.pos;
	return 0;
}

int smb2_file_posix_info_decode(const uint8_t *buf, size_t len, struct smb2_file_posix_info *out)
{
	memset(out, 0, sizeof(*out));
	if (len < INFO_HEAD + CC_FIXED + 16 || len > UINT32_MAX)
		return -EBADMSG;
	out->creation_time = get_le64(buf);
	out->last_access_time = get_le64(buf + 8);
	out->last_write_time = get_le64(buf + 16);
	out->change_time = get_le64(buf + 24);
	out->end_of_file = get_le64(buf + 32);
	out->allocation_size = get_le64(buf + 40);
	out->attributes = get_le32(buf + 48);
	out->inode = get_le64(buf + 52);
	out->device = get_le32(buf + 60);
	int r = smb2_posix_cc_decode(buf + INFO_HEAD, (uint32_t)(len - INFO_HEAD), &out->cc, NULL);
	if (r)
		memset(out, 0, sizeof(*out));
	return r;
}

static void put_sid(struct wbuf *w, uint8_t authority, const uint32_t *sub, uint8_t n)
{
	wbuf_u8(w, 1);
	wbuf_u8(w, n);
	static const uint8_t zero[5];
	wbuf_bytes(w, zero, 5);
	wbuf_u8(w, authority);
	for (uint8_t i = 0; i < n; i++)
		wbuf_u32(w, sub[i]);
}

#define SD_REVISION 1
#define SE_DACL_PRESENT 0x0004
#define SD_HEAD 20
#define ACL_REVISION 2
#define ACCESS_ALLOWED_ACE_TYPE 0

int smb2_posix_mode_sd_encode(struct wbuf *w, uint32_t mode)
{
	/* One ACCESS_ALLOWED ACE whose trustee is S-1-5-88-3-MODE and nothing else: Samba 4.22 then chmods
	 * instead of setting an ACL (and keeps only the 0777 bits). */
	const uint32_t sub[3] = {88, 3, mode & 07777};
	wbuf_u8(w, SD_REVISION);
	wbuf_u8(w, 0);
	wbuf_u16(w, SE_SELF_RELATIVE | SE_DACL_PRESENT);
	wbuf_u32(w, 0); /* OffsetOwner */
	wbuf_u32(w, 0); /* OffsetGroup */
	wbuf_u32(w, 0); /* OffsetSacl */
	wbuf_u32(w, SD_HEAD);
	/* ACL (MS-DTYP 2.4.5): 8-byte header, one ACE of 8 + the 20-byte SID. */
	wbuf_u8(w, ACL_REVISION);
	wbuf_u8(w, 0);
	wbuf_u16(w, 8 + 8 + 20);
	wbuf_u16(w, 1);
	wbuf_u16(w, 0);
	wbuf_u8(w, ACCESS_ALLOWED_ACE_TYPE);
	wbuf_u8(w, 0);
	wbuf_u16(w, 8 + 20);
	wbuf_u32(w, 0); /* AccessMask: unused by the chmod form */
	put_sid(w, NFS_AUTHORITY, sub, 3);
	return wbuf_err(w);
}

int smb2_posix_owner_sd_encode(struct wbuf *w, bool set_uid, uint32_t uid, bool set_gid, uint32_t gid)
{
	if (!set_uid && !set_gid)
		return -EINVAL;
	const uint32_t us[2] = {1, uid}, gs[2] = {2, gid};
	wbuf_u8(w, SD_REVISION);
	wbuf_u8(w, 0);
	wbuf_u16(w, SE_SELF_RELATIVE);
	uint32_t off = SD_HEAD;
	wbuf_u32(w, set_uid ? off : 0);
	off += set_uid ? 16 : 0;
	wbuf_u32(w, set_gid ? off : 0);
	wbuf_u32(w, 0);
	wbuf_u32(w, 0);
	if (set_uid)
		put_sid(w, UNIX_AUTHORITY, us, 2);
	if (set_gid)
		put_sid(w, UNIX_AUTHORITY, gs, 2);
	return wbuf_err(w);
}
