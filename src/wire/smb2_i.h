/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * smb2_i.h - helpers private to the SMB2 codecs in src/wire (not part of the wire contract).
 */
#ifndef SMBFUSE_SMB2_I_H
#define SMBFUSE_SMB2_I_H

#include "smbfuse/cursor.h"
#include "smbfuse/smb2.h"

/*
 * Start decoding the body of msg: checks that msg holds a header with the SMB2 magic and the expected
 * Command (-EPROTO if another), then that StructureSize equals size and the fixed part is present. A
 * variable-length body (odd size) needs only size - 1 bytes: servers omit the Buffer byte when it is empty.
 * On success c is positioned just after StructureSize.
 */
int smb2_body_start(struct cur *c, const uint8_t *msg, size_t n, uint16_t cmd, uint16_t size);

/*
 * View of the (off, len) buffer of a response, off counted from the header start. The buffer must lie in
 * msg at or after min_off (the end of the fixed body), because a buffer overlapping the fixed fields is
 * malformed even though reading it would be safe. len == 0 gives an empty view whatever off says, as
 * servers send offset 0 (Windows) or the would-be offset (Samba) for empty buffers.
 */
int smb2_view(const uint8_t *msg, size_t n, uint32_t off, uint32_t len, size_t min_off, const uint8_t **out);

/* Decode a body that is only StructureSize and Reserved (LOGOFF, ECHO, FLUSH, ... responses). */
int smb2_empty_rsp_decode(const uint8_t *msg, size_t n, uint16_t cmd, uint16_t size);

/* Header offset of the next byte of a body that began at w->len == base. */
static inline size_t smb2_wire_off(const struct wbuf *w, size_t base)
{
	return SMB2_HDR_SIZE + (w->len - base);
}

/*
 * Requests with a variable part (odd StructureSize) carry at least one Buffer byte even when the variable
 * part is empty: Windows servers reject a body shorter than StructureSize.
 */
static inline void smb2_pad_empty(struct wbuf *w, size_t varlen)
{
	if (varlen == 0)
		wbuf_u8(w, 0);
}

/* UTF-16LE length of a UTF-8 string that must fit a 16-bit length field: >= 0, -EILSEQ or -ENAMETOOLONG. */
long smb2_utf16_len16(const char *s, size_t n);

#endif
