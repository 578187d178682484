/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SMB_COM_NT_TRANSACT (MS-CIFS 2.2.4.62) framing and the subcommands this client uses:
 * NT_TRANSACT_NOTIFY_CHANGE (2.2.7.4), whose request carries everything in its four setup words and whose
 * response's parameters are FILE_NOTIFY_INFORMATION entries (MS-FSCC 2.4.42, walked by smb2.h), and
 * NT_TRANSACT_QUERY_SECURITY_DESC / SET_SECURITY_DESC (2.2.7.6 / 2.2.7.3), whose 8 parameter bytes name
 * the FID and the SECURITY_INFORMATION parts and whose data is the self-relative descriptor (wire/sd.c
 * checks it), and NT_TRANSACT_IOCTL (2.2.7.2), an FSCTL in four setup words whose output is the data. Counts and offsets are 32-bit here, unlike TRANSACTION2.
 */
#include <errno.h>
#include <string.h>

#include "smb1_i.h"
#include "smbfuse/util.h"

#define NT_REQ_WCT 19 /* + SetupCount */
#define NT_RSP_WCT 18 /* 18 + SetupCount 0 */
#define NT_TRANSACT_IOCTL 0x0002
#define NT_TRANSACT_SET_SECURITY_DESC 0x0003
#define NT_TRANSACT_NOTIFY_CHANGE 0x0004
#define NT_TRANSACT_QUERY_SECURITY_DESC 0x0006

/* One NT_TRANSACT request in one message (no NT_TRANSACT_SECONDARY): setup_count words of setup, then the
 * parameters and the data, each 4-aligned from the header. */
static int nt_trans_req_encode(struct wbuf *w, uint16_t function, const uint8_t *setup, uint8_t setup_count,
			       const uint8_t *params, uint32_t params_len, const void *data, uint32_t data_len,
			       uint32_t max_param, uint32_t max_data)
{
	size_t wo = smb1_words_begin(w, (uint8_t)(NT_REQ_WCT + setup_count));
	/* MaxSetupCount, Reserved1 (3 bytes), then the 32-bit counts. */
	wbuf_set_u32(w, wo + 3, params_len);
	wbuf_set_u32(w, wo + 7, data_len);
	wbuf_set_u32(w, wo + 11, max_param);
	wbuf_set_u32(w, wo + 15, max_data);
	wbuf_set_u32(w, wo + 19, params_len);
	wbuf_set_u32(w, wo + 27, data_len);
	size_t bcc = smb1_bytes_begin(w);
	/* Nothing to carry: the offset points at the end of the message (MS-CIFS 2.2.4.62.1). */
	if (params_len)
		wbuf_align(w, 0, 4);
	size_t poff = w->len;
	wbuf_bytes(w, params, params_len);
	if (data_len)
		wbuf_align(w, 0, 4);
	size_t doff = w->len;
	wbuf_bytes(w, data, data_len);
	wbuf_set_u32(w, wo + 23, (uint32_t)poff);
	wbuf_set_u32(w, wo + 31, (uint32_t)doff);
	if (!wbuf_err(w)) {
		w->p[wo + 35] = setup_count;
		wbuf_set_u16(w, wo + 36, function);
		if (setup_count)
			memcpy(w->p + wo + 38, setup, 2u * setup_count);
	}
	return smb1_bytes_end(w, bcc);
}

int smb1_notify_req_encode(struct wbuf *w, uint16_t fid, uint32_t filter, bool tree, uint32_t max_param)
{
	uint8_t setup[8] = {0};
	put_le32(setup, filter);
	put_le16(setup + 4, fid);
	setup[6] = tree ? 1 : 0; /* WatchTree; Reserved follows */
	return nt_trans_req_encode(w, NT_TRANSACT_NOTIFY_CHANGE, setup, 4, NULL, 0, NULL, 0, max_param, 0);
}

int smb1_query_sd_req_encode(struct wbuf *w, uint16_t fid, uint32_t secinfo, uint32_t max_data)
{
	uint8_t params[8] = {0};
	put_le16(params, fid);
	put_le32(params + 4, secinfo); /* SecurityInfoFields, after Reserved */
	/* The answer's parameter is LengthNeeded alone. */
	return nt_trans_req_encode(w, NT_TRANSACT_QUERY_SECURITY_DESC, NULL, 0, params, 8, NULL, 0, 4, max_data);
}

int smb1_fsctl_req_encode(struct wbuf *w, uint16_t fid, uint32_t ctl_code, uint32_t max_data)
{
	uint8_t setup[8] = {0};
	put_le32(setup, ctl_code); /* FunctionCode */
	put_le16(setup + 4, fid);
	setup[6] = 1; /* IsFsctl; IsFlags 0 */
	return nt_trans_req_encode(w, NT_TRANSACT_IOCTL, setup, 4, NULL, 0, NULL, 0, 0, max_data);
}

int smb1_set_sd_req_encode(struct wbuf *w, uint16_t fid, uint32_t secinfo, const void *sd, uint32_t len)
{
	uint8_t params[8] = {0};
	put_le16(params, fid);
	put_le32(params + 4, secinfo);
	return nt_trans_req_encode(w, NT_TRANSACT_SET_SECURITY_DESC, NULL, 0, params, 8, sd, len, 0, 0);
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
