/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>
#include <string.h>

#include "wire_test.h"
#include "sweep.h"
#include "../tap.h"
#include "../../fuzz/decoders.h"
#include "smbfuse/smb2.h"

uint8_t *wt_msg(uint16_t cmd, uint32_t status, const uint8_t *body, size_t blen, size_t *n)
{
	struct wbuf w;
	struct smb2_hdr h = {.command = cmd, .status = status, .flags = SMB2_FLAGS_SERVER_TO_REDIR, .message_id = 7};
	wbuf_init(&w, 0);
	smb2_hdr_encode(&w, &h);
	wbuf_bytes(&w, body, blen);
	return wbuf_steal(&w, n);
}

uint8_t *wt_msg_w(uint16_t cmd, const struct wbuf *w, size_t *n)
{
	return wt_msg(cmd, 0, w->p, w->len, n);
}

void wt_sweep(const char *decoder, const uint8_t *p, size_t n)
{
	sweep_decoder(fz_find(decoder), p, n);
}
