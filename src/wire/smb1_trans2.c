/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SMB_COM_TRANSACTION2 (MS-CIFS 2.2.4.46) and SMB_COM_TRANSACTION (2.2.4.33, for TRANS_TRANSACT_NMPIPE on a
 * named pipe, 2.2.5.6) framing, and the parameter blocks of the subcommands this
 * client uses (MS-CIFS 2.2.6.2 FIND_FIRST2, 2.2.6.3 FIND_NEXT2, 2.2.6.4 QUERY_FS_INFORMATION, 2.2.6.6-9
 * QUERY/SET_PATH/FILE_INFORMATION). Data blocks use MS-FSCC layouts (pass-through levels or
 * SMB_FIND_FILE_BOTH_DIRECTORY_INFO, which is FileBothDirectoryInformation), decoded by smb2.h.
 */
#include <errno.h>
#include <string.h>

#include "smb1_i.h"

#define T_REQ_WCT 14 /* + SetupCount */
#define T2_RSP_WCT 10 /* 10 + SetupCount 0 */
#define TRANS_TRANSACT_NMPIPE 0x0026 /* MS-CIFS 2.2.5.6 */

/* TRANSACTION and TRANSACTION2 share their request's layout (MS-CIFS 2.2.4.33.1, 2.2.4.46.1): setup words,
 * then Name (TRANSACTION's pipe name in Unicode; a single NUL in TRANS2, as Samba and Windows clients send
 * it), the parameters and the data, each 4-aligned from the header. */
static int trans_req_encode(struct wbuf *w, const uint16_t *setup, uint8_t nsetup, const char *name,
			    const struct smb1_trans2_req *in)
{
	size_t wo = smb1_words_begin(w, (uint8_t)(T_REQ_WCT + nsetup));
	wbuf_set_u16(w, wo + 0, in->params_len);
	wbuf_set_u16(w, wo + 2, in->data_len);
	wbuf_set_u16(w, wo + 4, in->max_param_count);
	wbuf_set_u16(w, wo + 6, in->max_data_count);
	wbuf_set_u16(w, wo + 18, in->params_len);
	wbuf_set_u16(w, wo + 22, in->data_len);
	wbuf_set_u16(w, wo + 26, nsetup); /* SetupCount, Reserved3 */
	for (uint8_t k = 0; k < nsetup; k++)
		wbuf_set_u16(w, wo + 28 + 2u * k, setup[k]);
	size_t bcc = smb1_bytes_begin(w);
	if (name)
		smb1_put_ustr(w, name);
	else
		wbuf_u8(w, 0);
	wbuf_align(w, 0, 4);
	size_t poff = w->len;
	wbuf_bytes(w, in->params, in->params_len);
	wbuf_align(w, 0, 4);
	size_t doff = w->len;
	wbuf_bytes(w, in->data, in->data_len);
	if (!wbuf_err(w) && w->len > UINT16_MAX)
		return -EMSGSIZE;
	wbuf_set_u16(w, wo + 20, (uint16_t)poff);
	wbuf_set_u16(w, wo + 24, (uint16_t)doff);
	return smb1_bytes_end(w, bcc);
}

int smb1_trans2_req_encode(struct wbuf *w, const struct smb1_trans2_req *in)
{
	return trans_req_encode(w, &in->subcommand, 1, NULL, in);
}

int smb1_transact_nmpipe_req_encode(struct wbuf *w, uint16_t fid, const void *pdu, uint16_t len, uint16_t max_data)
{
	const uint16_t setup[2] = {TRANS_TRANSACT_NMPIPE, fid};
	struct smb1_trans2_req in = {.data = pdu, .data_len = len, .max_data_count = max_data};
	return trans_req_encode(w, setup, 2, "\\PIPE\\", &in);
}

/* A (count, offset) pair of the response: the piece must lie in the data block (MS-CIFS 2.2.4.46.2). */
static const uint8_t *t2_piece(const uint8_t *msg, const struct smb1_block *b, uint16_t count, uint16_t off, int *err)
{
	if (count == 0)
		return msg + b->bytes_off;
	if (off < b->bytes_off || !range_ok(b->bytes_off + b->byte_count, off, count)) {
		*err = -EBADMSG;
		return NULL;
	}
	return msg + off;
}

/* The responses share their layout too (MS-CIFS 2.2.4.33.2, 2.2.4.46.2). */
static int trans_rsp_decode(const uint8_t *msg, size_t n, uint8_t command, struct smb1_trans2_rsp *out)
{
	struct smb1_block b;
	struct cur c;
	struct smb1_trans2_rsp r = {0};
	memset(out, 0, sizeof(*out));
	/* Setup words may follow the ten fixed ones; these subcommands return none, but tolerate them. */
	int rc = smb1_rsp_start(msg, n, command, false, T2_RSP_WCT, 255, &b);
	if (rc)
		return rc;
	cur_init(&c, b.words, 2u * b.word_count);
	r.total_param_count = cur_u16(&c);
	r.total_data_count = cur_u16(&c);
	cur_skip(&c, 2);
	r.params_len = cur_u16(&c);
	uint16_t poff = cur_u16(&c);
	r.params_disp = cur_u16(&c);
	r.data_len = cur_u16(&c);
	uint16_t doff = cur_u16(&c);
	r.data_disp = cur_u16(&c);
	if ((uint32_t)r.params_disp + r.params_len > r.total_param_count ||
	    (uint32_t)r.data_disp + r.data_len > r.total_data_count)
		return -EBADMSG;
	rc = 0;
	r.params = t2_piece(msg, &b, r.params_len, poff, &rc);
	r.data = t2_piece(msg, &b, r.data_len, doff, &rc);
	if (rc)
		return rc;
	*out = r;
	return 0;
}

int smb1_trans2_rsp_decode(const uint8_t *msg, size_t n, struct smb1_trans2_rsp *out)
{
	return trans_rsp_decode(msg, n, SMB1_COM_TRANSACTION2, out);
}

int smb1_trans_rsp_decode(const uint8_t *msg, size_t n, struct smb1_trans2_rsp *out)
{
	return trans_rsp_decode(msg, n, SMB1_COM_TRANSACTION, out);
}

int smb1_find_first2_params_encode(struct wbuf *w, uint16_t search_attrs, uint16_t count, uint16_t flags,
				   uint16_t level, const char *pattern)
{
	if (!pattern)
		return -EINVAL;
	wbuf_u16(w, search_attrs);
	wbuf_u16(w, count);
	wbuf_u16(w, flags);
	wbuf_u16(w, level);
	wbuf_u32(w, 0); /* SearchStorageType */
	wbuf_utf16(w, pattern, strlen(pattern));
	wbuf_u16(w, 0);
	return wbuf_err(w);
}

int smb1_find_next2_params_encode(struct wbuf *w, uint16_t sid, uint16_t count, uint16_t level, uint16_t flags,
				  const char *last_name)
{
	if (!last_name)
		return -EINVAL;
	wbuf_u16(w, sid);
	wbuf_u16(w, count);
	wbuf_u16(w, level);
	wbuf_u32(w, 0); /* ResumeKey: with CONTINUE_FROM_LAST clear, the server resumes after FileName */
	wbuf_u16(w, flags);
	wbuf_utf16(w, last_name, strlen(last_name));
	wbuf_u16(w, 0);
	return wbuf_err(w);
}

int smb1_find_rsp_params_decode(const uint8_t *p, size_t n, bool first, struct smb1_find_rsp_params *out)
{
	struct cur c;
	struct smb1_find_rsp_params r = {0};
	memset(out, 0, sizeof(*out));
	cur_init(&c, p, n);
	if (first)
		r.sid = cur_u16(&c);
	r.search_count = cur_u16(&c);
	r.end_of_search = cur_u16(&c) != 0;
	cur_skip(&c, 2); /* EaErrorOffset */
	r.last_name_offset = cur_u16(&c);
	if (cur_err(&c))
		return -EBADMSG;
	*out = r;
	return 0;
}

int smb1_path_info_params_encode(struct wbuf *w, uint16_t level, const char *path)
{
	if (!path)
		return -EINVAL;
	wbuf_u16(w, level);
	wbuf_u32(w, 0);
	wbuf_utf16(w, path, strlen(path));
	wbuf_u16(w, 0);
	return wbuf_err(w);
}

int smb1_file_info_params_encode(struct wbuf *w, uint16_t fid, uint16_t level, bool set)
{
	wbuf_u16(w, fid);
	wbuf_u16(w, level);
	if (set)
		wbuf_u16(w, 0);
	return wbuf_err(w);
}
