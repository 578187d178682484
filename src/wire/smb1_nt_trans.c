/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SMB_COM_NT_TRANSACT (MS-CIFS 2.2.4.62) framing for the one subcommand this client uses,
 * NT_TRANSACT_NOTIFY_CHANGE (2.2.7.4): the request carries everything in its four setup words, and the
 * response's parameters are FILE_NOTIFY_INFORMATION entries (MS-FSCC 2.4.42), which smb2.h walks.
 * Counts and offsets are 32-bit here, unlike TRANSACTION2.
 */
#include <errno.h>
#include <string.h>

#include "smb1_i.h"

#define NT_REQ_WCT 23 /* 19 + SetupCount 4 */
#define NT_RSP_WCT 18 /* 18 + SetupCount 0 */
#define NT_TRANSACT_NOTIFY_CHANGE 0x0004

int smb1_notify_req_encode(struct wbuf *w, uint16_t fid, uint32_t filter, bool tree, uint32_t max_param)
{
	size_t wo = smb1_words_begin(w, NT_REQ_WCT);
	/* MaxSetupCount, Reserved1 (3 bytes), then the 32-bit counts: all zero but MaxParameterCount. */
	wbuf_set_u32(w, wo + 11, max_param);
	size_t bcc = smb1_bytes_begin(w);
	/* No parameters or data: their offsets point at the end of the message (MS-CIFS 2.2.4.62.1). */
	wbuf_set_u32(w, wo + 23, (uint32_t)w->len);
	wbuf_set_u32(w, wo + 31, (uint32_t)w->len);
	if (!wbuf_err(w)) {
		w->p[wo + 35] = 4; /* SetupCount */
		wbuf_set_u16(w, wo + 36, NT_TRANSACT_NOTIFY_CHANGE);
		wbuf_set_u32(w, wo + 38, filter);
		wbuf_set_u16(w, wo + 42, fid);
		w->p[wo + 44] = tree ? 1 : 0; /* WatchTree; Reserved follows */
	}
	return smb1_bytes_end(w, bcc);
}

/* A (count, offset) piece of the response: inside the data block. */
static const uint8_t *nt_piece(const uint8_t *msg, const struct smb1_block *b, uint32_t count, uint32_t off, int *err)
{
	if (count == 0)
		return msg + b->bytes_off;
	if (off < b->bytes_off || !range_ok(b->bytes_off + b->byte_count, off, count)) {
		*err = -EBADMSG;
		return NULL;
	}
	return msg + off;
}

int smb1_nt_trans_rsp_decode(const uint8_t *msg, size_t n, struct smb1_nt_trans_rsp *out)
{
	struct smb1_block b;
	struct cur c;
	struct smb1_nt_trans_rsp r = {0};
	memset(out, 0, sizeof(*out));
	int rc = smb1_rsp_start(msg, n, SMB1_COM_NT_TRANSACT, false, NT_RSP_WCT, 255, &b);
	if (rc)
		return rc;
	cur_init(&c, b.words, 2u * b.word_count);
	cur_skip(&c, 3); /* Reserved1 */
	r.total_param_count = cur_u32(&c);
	r.total_data_count = cur_u32(&c);
	r.params_len = cur_u32(&c);
	uint32_t poff = cur_u32(&c);
	r.params_disp = cur_u32(&c);
	r.data_len = cur_u32(&c);
	uint32_t doff = cur_u32(&c);
	r.data_disp = cur_u32(&c);
	if (cur_err(&c) || (uint64_t)r.params_disp + r.params_len > r.total_param_count ||
	    (uint64_t)r.data_disp + r.data_len > r.total_data_count)
		return -EBADMSG;
	rc = 0;
	r.params = nt_piece(msg, &b, r.params_len, poff, &rc);
	r.data = nt_piece(msg, &b, r.data_len, doff, &rc);
	if (rc)
		return rc;
	*out = r;
	return 0;
}
