/* SPDX-License-Identifier: GPL-2.0-or-later */
/* MS-SMB2 2.2.1 SMB2 Packet Header (sync and async forms) and 2.2.2 SMB2 ERROR Response. */
#include <errno.h>
#include <string.h>

#include "smbfuse/smb2.h"
#include "smbfuse/util.h"
#include "smb2_i.h"

static const char *const command_names[SMB2_NCOMMANDS] = {
	[SMB2_NEGOTIATE] = "NEGOTIATE",
	[SMB2_SESSION_SETUP] = "SESSION_SETUP",
	[SMB2_LOGOFF] = "LOGOFF",
	[SMB2_TREE_CONNECT] = "TREE_CONNECT",
	[SMB2_TREE_DISCONNECT] = "TREE_DISCONNECT",
	[SMB2_CREATE] = "CREATE",
	[SMB2_CLOSE] = "CLOSE",
	[SMB2_FLUSH] = "FLUSH",
	[SMB2_READ] = "READ",
	[SMB2_WRITE] = "WRITE",
	[SMB2_LOCK] = "LOCK",
	[SMB2_IOCTL] = "IOCTL",
	[SMB2_CANCEL] = "CANCEL",
	[SMB2_ECHO] = "ECHO",
	[SMB2_QUERY_DIRECTORY] = "QUERY_DIRECTORY",
	[SMB2_CHANGE_NOTIFY] = "CHANGE_NOTIFY",
	[SMB2_QUERY_INFO] = "QUERY_INFO",
	[SMB2_SET_INFO] = "SET_INFO",
	[SMB2_OPLOCK_BREAK] = "OPLOCK_BREAK",
};

const char *smb2_command_name(uint16_t cmd)
{
	return cmd < SMB2_NCOMMANDS ? command_names[cmd] : "UNKNOWN";
}

const char *smb2_dialect_name(uint16_t dialect)
{
	switch (dialect) {
	case 0x0202:
		return "2.0.2";
	case 0x0210:
		return "2.1";
	case 0x0300:
		return "3.0";
	case 0x0302:
		return "3.0.2";
	case 0x0311:
		return "3.1.1";
	}
	return "unknown";
}

void smb2_hdr_encode(struct wbuf *w, const struct smb2_hdr *h)
{
	wbuf_u32(w, SMB2_PROTO_MAGIC);
	wbuf_u16(w, SMB2_HDR_SIZE);
	wbuf_u16(w, h->credit_charge);
	wbuf_u32(w, h->status);
	wbuf_u16(w, h->command);
	wbuf_u16(w, h->credits);
	wbuf_u32(w, h->flags);
	wbuf_u32(w, h->next_command);
	wbuf_u64(w, h->message_id);
	if (h->flags & SMB2_FLAGS_ASYNC_COMMAND) {
		wbuf_u64(w, h->async_id);
	} else {
		wbuf_u32(w, 0); /* Reserved (ProcessId in older texts) */
		wbuf_u32(w, h->tree_id);
	}
	wbuf_u64(w, h->session_id);
	wbuf_bytes(w, h->signature, sizeof(h->signature));
}

int smb2_hdr_decode(const uint8_t *p, size_t n, struct smb2_hdr *out)
{
	struct cur c;
	memset(out, 0, sizeof(*out));
	cur_init(&c, p, n);
	uint32_t magic = cur_u32(&c);
	uint16_t size = cur_u16(&c);
	out->credit_charge = cur_u16(&c);
	out->status = cur_u32(&c);
	out->command = cur_u16(&c);
	out->credits = cur_u16(&c);
	out->flags = cur_u32(&c);
	out->next_command = cur_u32(&c);
	out->message_id = cur_u64(&c);
	if (out->flags & SMB2_FLAGS_ASYNC_COMMAND) {
		out->async_id = cur_u64(&c);
	} else {
		cur_skip(&c, 4);
		out->tree_id = cur_u32(&c);
	}
	out->session_id = cur_u64(&c);
	cur_copy(&c, out->signature, sizeof(out->signature));
	if (cur_err(&c) || magic != SMB2_PROTO_MAGIC || size != SMB2_HDR_SIZE) {
		memset(out, 0, sizeof(*out));
		return -EBADMSG;
	}
	return 0;
}

int smb2_error_rsp_decode(const uint8_t *msg, size_t n, struct smb2_error_rsp *out)
{
	struct cur c;
	memset(out, 0, sizeof(*out));
	cur_init(&c, msg, n);
	cur_seek(&c, SMB2_HDR_SIZE);
	uint16_t size = cur_u16(&c);
	out->error_context_count = cur_u8(&c);
	cur_skip(&c, 1);
	uint32_t len = cur_u32(&c);
	/* StructureSize says 9, but with empty ErrorData servers send only the 8 fixed bytes. */
	out->data = cur_bytes(&c, len);
	out->data_len = len;
	if (cur_err(&c) || size != 9) {
		memset(out, 0, sizeof(*out));
		return -EBADMSG;
	}
	return 0;
}

int smb2_body_start(struct cur *c, const uint8_t *msg, size_t n, uint16_t cmd, uint16_t size)
{
	size_t need = SMB2_HDR_SIZE + (size & 1 ? size - 1u : size);
	cur_init(c, msg, n);
	if (n < need || get_le32(msg) != SMB2_PROTO_MAGIC) {
		cur_fail(c);
		return -EBADMSG;
	}
	if (get_le16(msg + 12) != cmd) {
		cur_fail(c);
		return -EPROTO;
	}
	cur_seek(c, SMB2_HDR_SIZE);
	if (cur_u16(c) != size) {
		cur_fail(c);
		return -EBADMSG;
	}
	return 0;
}

int smb2_view(const uint8_t *msg, size_t n, uint32_t off, uint32_t len, size_t min_off, const uint8_t **out)
{
	*out = NULL;
	if (len == 0) {
		*out = msg + n; /* a valid, empty view */
		return 0;
	}
	if (off < min_off || !range_ok(n, off, len))
		return -EBADMSG;
	*out = msg + off;
	return 0;
}

int smb2_empty_rsp_decode(const uint8_t *msg, size_t n, uint16_t cmd, uint16_t size)
{
	struct cur c;
	return smb2_body_start(&c, msg, n, cmd, size);
}

long smb2_utf16_len16(const char *s, size_t n)
{
	long u = utf16_len_of_utf8(s, n);
	if (u < 0)
		return -EILSEQ;
	return u > 0xFFFF ? -ENAMETOOLONG : u;
}
