/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * psrv_pipe.c - psrv as a named-pipe server (psrv.h, pipe_* fields): IPC$ is a pipe share, and every IOCTL
 * FSCTL_PIPE_TRANSCEIVE or READ is answered with the next scripted reply (a DCE/RPC PDU, MS-SMB2 2.2.32
 * and 2.2.20), whatever was written. Kept apart from psrv.c, which models a disk share.
 */
#include "psrv.h"
#include "smbfuse/smb2.h"
#include "smbfuse/util.h"

bool psrv_pipe_answer(struct psrv *s, int cmd, struct wbuf *b, uint32_t *st)
{
	if (!s->pipe_rsp || (cmd != SMB2_IOCTL && cmd != SMB2_READ))
		return false;
	pthread_mutex_lock(&s->mu);
	unsigned i = s->pipe_next < s->pipe_n ? s->pipe_next++ : s->pipe_n;
	pthread_mutex_unlock(&s->mu);
	if (i == s->pipe_n) {
		/* Nothing left to say: what a pipe with no message waiting answers a READ. */
		psrv_error_body(b);
		*st = 0xC00000D9u; /* STATUS_PIPE_EMPTY */
		return true;
	}
	const uint8_t *p = s->pipe_rsp[i];
	uint32_t n = (uint32_t)s->pipe_rsp_len[i];
	if (cmd == SMB2_READ) {
		wbuf_u16(b, 17);
		wbuf_u8(b, SMB2_HDR_SIZE + 16);
		wbuf_u8(b, 0);
		wbuf_u32(b, n);
		wbuf_zero(b, 8);
	} else {
		wbuf_u16(b, 49);
		wbuf_u16(b, 0);
		wbuf_u32(b, FSCTL_PIPE_TRANSCEIVE);
		wbuf_zero(b, 16); /* FileId: the client does not look */
		wbuf_u32(b, SMB2_HDR_SIZE + 48); /* InputOffset, no input echoed */
		wbuf_u32(b, 0);
		wbuf_u32(b, SMB2_HDR_SIZE + 48); /* OutputOffset */
		wbuf_u32(b, n);
		wbuf_zero(b, 8); /* Flags, Reserved2 */
	}
	wbuf_bytes(b, p, n);
	return true;
}
