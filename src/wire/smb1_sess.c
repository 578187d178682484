/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Logging on and off: SMB_COM_SESSION_SETUP_ANDX (MS-CIFS 2.2.4.53; extended security MS-SMB 2.2.4.6),
 * SMB_COM_LOGOFF_ANDX (MS-CIFS 2.2.4.54), SMB_COM_TREE_CONNECT_ANDX (MS-CIFS 2.2.4.55, MS-SMB 2.2.4.7),
 * SMB_COM_ECHO (MS-CIFS 2.2.4.39).
 */
#include <errno.h>
#include <string.h>

#include "smb1_i.h"

#define SS_EXT_WCT 12
#define SS_PLAIN_WCT 13
#define SS_RSP_EXT_WCT 4
#define SS_RSP_PLAIN_WCT 3
#define TC_REQ_WCT 4
#define TC_RSP_WCT 3
#define TC_RSP_EXT_WCT 7
#define NATIVE_OS "Linux"
#define NATIVE_LANMAN "smbfuse"

static void andx_none(struct wbuf *w, size_t words)
{
	w->p[words] = SMB1_COM_NO_ANDX_COMMAND;
	/* AndXReserved and AndXOffset stay zero. */
}

static void sess_setup_words(struct wbuf *w, const struct smb1_sess_setup_req *in, bool ext)
{
	size_t wo = smb1_words_begin(w, ext ? SS_EXT_WCT : SS_PLAIN_WCT);
	if (wbuf_err(w))
		return;
	andx_none(w, wo);
	wbuf_set_u16(w, wo + 4, in->max_buffer_size);
	wbuf_set_u16(w, wo + 6, in->max_mpx_count);
	wbuf_set_u16(w, wo + 8, in->vc_number);
	wbuf_set_u32(w, wo + 10, in->session_key);
	if (ext) {
		wbuf_set_u16(w, wo + 14, (uint16_t)in->blob_len);
		wbuf_set_u32(w, wo + 20, in->capabilities);
	} else {
		wbuf_set_u16(w, wo + 14, (uint16_t)in->oem_password_len);
		wbuf_set_u16(w, wo + 16, (uint16_t)in->unicode_password_len);
		wbuf_set_u32(w, wo + 22, in->capabilities);
	}
}

int smb1_sess_setup_req_encode(struct wbuf *w, const struct smb1_sess_setup_req *in)
{
	bool ext = in->blob != NULL;
	if ((ext && in->blob_len > UINT16_MAX) || in->oem_password_len > UINT16_MAX ||
	    in->unicode_password_len > UINT16_MAX)
		return -EINVAL;
	sess_setup_words(w, in, ext);
	size_t bcc = smb1_bytes_begin(w);
	if (ext) {
		wbuf_bytes(w, in->blob, in->blob_len);
	} else {
		wbuf_bytes(w, in->oem_password, in->oem_password_len);
		wbuf_bytes(w, in->unicode_password, in->unicode_password_len);
		smb1_put_ustr(w, in->account);
		smb1_put_ustr(w, in->domain);
	}
	smb1_put_ustr(w, NATIVE_OS);
	smb1_put_ustr(w, NATIVE_LANMAN);
	return smb1_bytes_end(w, bcc);
}

int smb1_sess_setup_rsp_decode(const uint8_t *msg, size_t n, struct smb1_sess_setup_rsp *out)
{
	struct smb1_block b;
	struct cur c;
	memset(out, 0, sizeof(*out));
	int r = smb1_rsp_start(msg, n, SMB1_COM_SESSION_SETUP_ANDX, true, SS_RSP_PLAIN_WCT, SS_RSP_EXT_WCT, &b);
	if (r)
		return r;
	cur_init(&c, b.words + 4, 2u * b.word_count - 4);
	struct smb1_sess_setup_rsp s = {.action = cur_u16(&c)};
	if (b.word_count == SS_RSP_EXT_WCT) {
		s.blob_len = cur_u16(&c);
		if (s.blob_len > b.byte_count)
			return -EBADMSG;
		s.blob = b.bytes;
	}
	*out = s;
	return 0;
}

int smb1_logoff_req_encode(struct wbuf *w)
{
	size_t wo = smb1_words_begin(w, 2);
	if (!wbuf_err(w))
		andx_none(w, wo);
	wbuf_u16(w, 0);
	return wbuf_err(w);
}

int smb1_tree_connect_req_encode(struct wbuf *w, uint16_t flags, const char *path)
{
	if (!path || !*path)
		return -EINVAL;
	size_t wo = smb1_words_begin(w, TC_REQ_WCT);
	if (!wbuf_err(w)) {
		andx_none(w, wo);
		wbuf_set_u16(w, wo + 4, flags);
		wbuf_set_u16(w, wo + 6, 1); /* PasswordLength: the one NUL of user-level security */
	}
	size_t bcc = smb1_bytes_begin(w);
	wbuf_u8(w, 0);
	smb1_put_ustr(w, path);
	smb1_put_ostr(w, "?????"); /* any service type */
	return smb1_bytes_end(w, bcc);
}

static void tcon_from_block(const struct smb1_block *b, struct smb1_tree_connect_rsp *out)
{
	struct cur c;
	cur_init(&c, b->words + 4, 2u * b->word_count - 4);
	struct smb1_tree_connect_rsp t = {.optional_support = cur_u16(&c)};
	if (b->word_count >= 5)
		t.maximal_access = cur_u32(&c);
	/* Service is an OEM string: "A:" for a disk share, "IPC" for IPC$ (MS-CIFS 2.2.4.55.2). */
	t.is_disk = b->byte_count >= 3 && memcmp(b->bytes, "A:", 3) == 0;
	*out = t;
}

int smb1_tree_connect_rsp_decode(const uint8_t *msg, size_t n, struct smb1_tree_connect_rsp *out)
{
	struct smb1_block b;
	memset(out, 0, sizeof(*out));
	int r = smb1_rsp_start(msg, n, SMB1_COM_TREE_CONNECT_ANDX, true, TC_RSP_WCT, TC_RSP_EXT_WCT, &b);
	if (r)
		return r;
	tcon_from_block(&b, out);
	return 0;
}

int smb1_sess_setup_tcon_rsp_decode(const uint8_t *msg, size_t n, struct smb1_sess_setup_rsp *ss,
				    struct smb1_tree_connect_rsp *tc, int *tc_state)
{
	struct smb1_block b, t;
	memset(tc, 0, sizeof(*tc));
	*tc_state = SMB1_CHAIN_NOT_RUN;
	int r = smb1_sess_setup_rsp_decode(msg, n, ss);
	if (r)
		return r;
	/* The session setup's block again, for its AndX header (checked to lead forward and stay inside). */
	r = smb1_block_decode(msg, n, SMB1_HDR_SIZE, true, &b);
	if (r == 0 && b.andx_command == SMB1_COM_NO_ANDX_COMMAND)
		return 0;
	if (r == 0 && b.andx_command != SMB1_COM_TREE_CONNECT_ANDX)
		r = -EBADMSG;
	if (r == 0)
		r = smb1_block_decode(msg, n, b.andx_offset, true, &t);
	if (r) {
		memset(ss, 0, sizeof(*ss));
		return r;
	}
	/* WordCount 0 is the failed command's error block; the header carries its status. */
	if (t.word_count == 0) {
		*tc_state = SMB1_CHAIN_FAILED;
		return 0;
	}
	if (t.word_count < TC_RSP_WCT || t.word_count > TC_RSP_EXT_WCT) {
		memset(ss, 0, sizeof(*ss));
		return -EBADMSG;
	}
	tcon_from_block(&t, tc);
	*tc_state = SMB1_CHAIN_DONE;
	return 0;
}

int smb1_echo_req_encode(struct wbuf *w, uint16_t count, const uint8_t *data, size_t len)
{
	if (len > UINT16_MAX)
		return -EINVAL;
	smb1_words_begin(w, 1);
	if (!wbuf_err(w))
		wbuf_set_u16(w, w->len - 2, count);
	size_t bcc = smb1_bytes_begin(w);
	wbuf_bytes(w, data, len);
	return smb1_bytes_end(w, bcc);
}

int smb1_echo_rsp_decode(const uint8_t *msg, size_t n, const uint8_t **data, size_t *len)
{
	struct smb1_block b;
	*data = NULL;
	*len = 0;
	int r = smb1_rsp_start(msg, n, SMB1_COM_ECHO, false, 1, 1, &b);
	if (r)
		return r;
	*data = b.bytes;
	*len = b.byte_count;
	return 0;
}
