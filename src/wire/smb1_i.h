/* SPDX-License-Identifier: GPL-2.0-or-later */
/* smb1_i.h - helpers shared by the SMB1 codecs (src/wire/smb1_*.c). */
#ifndef SMBFUSE_WIRE_SMB1_I_H
#define SMBFUSE_WIRE_SMB1_I_H

#include "smbfuse/smb1.h"

/*
 * Decode a response's header and first block, and check that it answers command: the REPLY flag, the
 * command, and a WordCount in [min_wct, max_wct]. A WordCount of 0 with an error status is the error
 * response every command may get (MS-CIFS 2.2.3.1): -EPROTO, so the caller reads hdr.status.
 */
int smb1_rsp_start(const uint8_t *msg, size_t n, uint8_t command, bool andx, uint8_t min_wct, uint8_t max_wct,
		   struct smb1_block *b);
/* Append s (UTF-8) as a NUL-terminated UTF-16LE string, after a pad byte if w->len is odd (MS-CIFS 2.2.1.1:
 * Unicode strings are 2-aligned from the start of the header, which is offset 0 of w). */
void smb1_put_ustr(struct wbuf *w, const char *s);
/* Append s as a NUL-terminated OEM (ASCII) string. */
void smb1_put_ostr(struct wbuf *w, const char *s);

#endif
