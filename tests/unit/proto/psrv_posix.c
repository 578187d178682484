/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * psrv_posix.c - the SMB 3.1.1 POSIX extensions of the scripted server (psrv.posix): the negotiate contexts
 * (PREAUTH_INTEGRITY, SMB2_POSIX_EXTENSIONS_AVAILABLE), the POSIX create context of every CREATE's answer,
 * FilePosixInformation for QUERY_INFO and QUERY_DIRECTORY (Samba's smb3posix.idl). Every file is 0644 and
 * every directory 0755, owned by S-1-22-1-1000 / S-1-22-2-1000, one link.
 */
#include <string.h>

#include "psrv.h"
#include "smbfuse/smb2.h"
#include "smbfuse/smb2_info.h"
#include "smbfuse/util.h"

#define FILETIME_2024 133485408000000000ull

static void pad8(struct wbuf *b, size_t base)
{
	while ((b->len - base) % 8)
		wbuf_u8(b, 0);
}

void psrv_posix_negotiate(struct wbuf *b, size_t body_start)
{
	/* NegotiateContextCount (body offset 6) and NegotiateContextOffset (60) of the 64-byte body. */
	pad8(b, body_start);
	put_le16(b->p + body_start + 6, 2);
	put_le32(b->p + body_start + 60, (uint32_t)(SMB2_HDR_SIZE + b->len - body_start));
	wbuf_u16(b, SMB2_PREAUTH_INTEGRITY_CAPABILITIES);
	wbuf_u16(b, 38);
	wbuf_u32(b, 0);
	wbuf_u16(b, 1);	 /* one hash */
	wbuf_u16(b, 32); /* salt length */
	wbuf_u16(b, SMB2_PREAUTH_INTEGRITY_SHA512);
	wbuf_zero(b, 32);
	pad8(b, body_start);
	wbuf_u16(b, SMB2_POSIX_EXTENSIONS_AVAILABLE);
	wbuf_u16(b, sizeof(smb2_posix_tag));
	wbuf_u32(b, 0);
	wbuf_bytes(b, smb2_posix_tag, sizeof(smb2_posix_tag));
}

static void put_unix_sid(struct wbuf *b, uint32_t kind, uint32_t id)
{
	static const uint8_t head[8] = {1, 2, 0, 0, 0, 0, 0, 22};
	wbuf_bytes(b, head, sizeof(head));
	wbuf_u32(b, kind);
	wbuf_u32(b, id);
}

/* The create-context part: nlinks, reparse tag, mode, owner, group. */
static void put_cc(struct wbuf *b, bool dir)
{
	wbuf_u32(b, 1);
	wbuf_u32(b, 0);
	wbuf_u32(b, smb2_unix_to_posix_mode(dir ? 040755 : 0100644));
	put_unix_sid(b, 1, 1000);
	put_unix_sid(b, 2, 1000);
}

void psrv_posix_create_ctx(struct wbuf *ctx, size_t *prev, bool dir)
{
	struct wbuf d;
	wbuf_init(&d, 0);
	put_cc(&d, dir);
	smb2_create_ctx_add_name(ctx, prev, smb2_posix_tag, sizeof(smb2_posix_tag), d.p, d.len);
	wbuf_free(&d);
}

/* The 68-byte head of FilePosixInformation: times, sizes, attributes, inode, device, zero. */
static void put_info_head(struct wbuf *b, bool dir, uint64_t inode)
{
	for (int i = 0; i < 4; i++)
		wbuf_u64(b, FILETIME_2024);
	wbuf_u64(b, dir ? 0 : 100);
	wbuf_u64(b, dir ? 0 : 4096);
	wbuf_u32(b, dir ? SMB_ATTR_DIRECTORY : SMB_ATTR_ARCHIVE);
	wbuf_u64(b, inode);
	wbuf_u32(b, 0);
	wbuf_u32(b, 0);
}

void psrv_posix_info(struct wbuf *d, bool dir)
{
	put_info_head(d, dir, 77);
	put_cc(d, dir);
}

void psrv_posix_listing(struct wbuf *b)
{
	static const char *const names[] = {".", "..", "a", "b"};
	size_t last = 0;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		bool dir = names[i][0] != 'a';
		while (b->len % 8)
			wbuf_u8(b, 0);
		if (i)
			put_le32(b->p + last, (uint32_t)(b->len - last));
		last = b->len;
		wbuf_u32(b, 0); /* NextEntryOffset */
		wbuf_u32(b, 0); /* FileIndex */
		put_info_head(b, dir, 100 + i);
		put_cc(b, dir);
		size_t n = strlen(names[i]);
		wbuf_u32(b, (uint32_t)(2 * n));
		for (size_t k = 0; k < n; k++)
			wbuf_u16(b, (uint8_t)names[i][k]);
	}
}
