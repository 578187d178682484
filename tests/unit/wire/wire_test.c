/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>
#include <string.h>

#include "wire_test.h"
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

static void run(const struct fz_decoder *d, const uint8_t *p, size_t n)
{
	uint8_t *t = malloc(n ? n : 1);
	memcpy(t, p, n);
	(void)d->fn(t, n);
	free(t);
}

void wt_sweep(const char *decoder, const uint8_t *p, size_t n)
{
	const struct fz_decoder *d = fz_find(decoder);
	CHECK(d != NULL);
	if (!d)
		return;
	for (size_t k = 0; k < n; k++)
		run(d, p, k);
	uint8_t *t = malloc(n ? n : 1);
	memcpy(t, p, n);
	for (size_t i = 0; i < n * 8; i++) {
		t[i / 8] ^= (uint8_t)(1u << (i % 8));
		(void)d->fn(t, n);
		t[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
	free(t);
	CHECK(1); /* reaching here means no abort and no sanitizer report */
}
