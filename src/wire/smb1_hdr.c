/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * MS-CIFS 2.2.3 SMB message structure: the 32-byte header (2.2.3.1), the parameter block (2.2.3.2) and
 * data block (2.2.3.3), and the AndX chain (2.2.3.4) walked one block at a time. Encoders write messages
 * that start at offset 0 of their wbuf, so wbuf offsets are offsets from the header.
 */
#include <errno.h>
#include <string.h>

#include "smb1_i.h"

static const uint8_t smb1_magic[4] = {0xFF, 'S', 'M', 'B'};

/* The commands this client sends (MS-CIFS 2.2.2.1), for logs and the per-command counters. */
static const char *const command_names[256] = {
    [SMB1_COM_CREATE_DIRECTORY] = "CREATE_DIRECTORY",
    [SMB1_COM_DELETE_DIRECTORY] = "DELETE_DIRECTORY",
    [SMB1_COM_CLOSE] = "CLOSE",
    [SMB1_COM_FLUSH] = "FLUSH",
    [SMB1_COM_DELETE] = "DELETE",
    [SMB1_COM_RENAME] = "RENAME",
    [SMB1_COM_LOCKING_ANDX] = "LOCKING_ANDX",
    [SMB1_COM_ECHO] = "ECHO",
    [SMB1_COM_READ_ANDX] = "READ_ANDX",
    [SMB1_COM_WRITE_ANDX] = "WRITE_ANDX",
    [SMB1_COM_TRANSACTION] = "TRANSACTION",
    [SMB1_COM_TRANSACTION2] = "TRANSACTION2",
    [SMB1_COM_FIND_CLOSE2] = "FIND_CLOSE2",
    [SMB1_COM_TREE_DISCONNECT] = "TREE_DISCONNECT",
    [SMB1_COM_NEGOTIATE] = "NEGOTIATE",
    [SMB1_COM_SESSION_SETUP_ANDX] = "SESSION_SETUP_ANDX",
    [SMB1_COM_LOGOFF_ANDX] = "LOGOFF_ANDX",
    [SMB1_COM_TREE_CONNECT_ANDX] = "TREE_CONNECT_ANDX",
    [SMB1_COM_NT_TRANSACT] = "NT_TRANSACT",
    [SMB1_COM_NT_CREATE_ANDX] = "NT_CREATE_ANDX",
    [SMB1_COM_NT_RENAME] = "NT_RENAME",
};

const char *smb1_command_name(uint8_t cmd)
{
	return command_names[cmd] ? command_names[cmd] : "UNKNOWN";
}

int smb1_hdr_encode(struct wbuf *w, const struct smb1_hdr *h)
{
	wbuf_bytes(w, smb1_magic, 4);
	wbuf_u8(w, h->command);
	wbuf_u32(w, h->status);
	wbuf_u8(w, h->flags);
	wbuf_u16(w, h->flags2);
	wbuf_u16(w, h->pid_high);
	wbuf_bytes(w, h->signature, 8);
	wbuf_u16(w, 0);
	wbuf_u16(w, h->tid);
	wbuf_u16(w, h->pid_low);
	wbuf_u16(w, h->uid);
	wbuf_u16(w, h->mid);
	return wbuf_err(w);
}

/* DOS errors (MS-CIFS 2.2.2.4) with an NT status of the same meaning (MS-CIFS 2.2.2.4's mapping table). */
static const struct {
	uint32_t dos, status;
} dos_map[] = {
    {0x00020001u, 0xC0000034u}, /* ERRDOS/ERRbadfile: STATUS_OBJECT_NAME_NOT_FOUND */
    {0x00030001u, 0xC000003Au}, /* ERRDOS/ERRbadpath: STATUS_OBJECT_PATH_NOT_FOUND */
    {0x00050001u, 0xC0000022u}, /* ERRDOS/ERRnoaccess: STATUS_ACCESS_DENIED */
    {0x00060001u, 0xC0000008u}, /* ERRDOS/ERRbadfid: STATUS_INVALID_HANDLE */
    {0x00120001u, 0x80000006u}, /* ERRDOS/ERRnofiles: STATUS_NO_MORE_FILES */
    {0x00200001u, 0xC0000043u}, /* ERRDOS/ERRbadshare: STATUS_SHARING_VIOLATION */
    {0x00210001u, 0xC0000054u}, /* ERRDOS/ERRlock: STATUS_FILE_LOCK_CONFLICT */
    {0x00500001u, 0xC0000035u}, /* ERRDOS/ERRfilexists: STATUS_OBJECT_NAME_COLLISION */
    {0x00570001u, 0xC000000Du}, /* ERRDOS/ERRinvalidparam: STATUS_INVALID_PARAMETER */
    {0x00700001u, 0xC000007Fu}, /* ERRDOS/ERROR_DISK_FULL: STATUS_DISK_FULL */
    {0x00910001u, 0xC0000101u}, /* ERRDOS/ERRdirnotempty: STATUS_DIRECTORY_NOT_EMPTY */
    {0x00B70001u, 0xC0000035u}, /* ERRDOS/ERRalreadyexists: STATUS_OBJECT_NAME_COLLISION */
    {0x00040002u, 0xC0000022u}, /* ERRSRV/ERRaccess: STATUS_ACCESS_DENIED */
    {0x00130003u, 0xC00000A2u}, /* ERRHRD/ERRnowrite: STATUS_MEDIA_WRITE_PROTECTED */
    {0x00270003u, 0xC000007Fu}, /* ERRHRD/ERRdiskfull: STATUS_DISK_FULL */
};

uint32_t smb1_dos_status(uint32_t dos)
{
	for (size_t i = 0; i < sizeof(dos_map) / sizeof(dos_map[0]); i++)
		if (dos_map[i].dos == (dos & 0xFFFF00FFu)) /* the reserved byte is not part of the error */
			return dos_map[i].status;
	return 0xC0000001u; /* STATUS_UNSUCCESSFUL */
}

int smb_proto_version(const uint8_t *p, size_t n)
{
	if (n < 4 || p[1] != 'S' || p[2] != 'M' || p[3] != 'B')
		return 0;
	return p[0] == 0xFF ? 1 : p[0] == 0xFE || p[0] == 0xFD ? 2 : 0;
}

int smb1_hdr_decode(const uint8_t *p, size_t n, struct smb1_hdr *out)
{
	struct cur c;
	struct smb1_hdr h;
	memset(out, 0, sizeof(*out));
	if (n < SMB1_HDR_SIZE)
		return -EBADMSG;
	if (smb_proto_version(p, n) != 1)
		return smb_proto_version(p, n) == 2 ? -EPROTO : -EBADMSG;
	cur_init(&c, p, n);
	cur_skip(&c, 4);
	h.command = cur_u8(&c);
	h.status = cur_u32(&c);
	h.flags = cur_u8(&c);
	h.flags2 = cur_u16(&c);
	h.pid_high = cur_u16(&c);
	cur_copy(&c, h.signature, 8);
	cur_skip(&c, 2);
	h.tid = cur_u16(&c);
	h.pid_low = cur_u16(&c);
	h.uid = cur_u16(&c);
	h.mid = cur_u16(&c);
	if (cur_err(&c))
		return -EBADMSG;
	*out = h;
	return 0;
}

int smb1_block_decode(const uint8_t *msg, size_t n, size_t off, bool andx, struct smb1_block *out)
{
	struct cur c;
	struct smb1_block b = {.andx_command = SMB1_COM_NO_ANDX_COMMAND};
	memset(out, 0, sizeof(*out));
	cur_init(&c, msg, n);
	cur_seek(&c, off);
	b.word_count = cur_u8(&c);
	b.words = cur_bytes(&c, 2u * b.word_count);
	b.byte_count = cur_u16(&c);
	b.bytes_off = c.pos;
	b.bytes = cur_bytes(&c, b.byte_count);
	if (cur_err(&c))
		return -EBADMSG;
	/* AndXCommand, AndXReserved, AndXOffset head every AndX block that has words at all. */
	if (andx && b.word_count >= 2) {
		b.andx_command = b.words[0];
		b.andx_offset = (uint16_t)(b.words[2] | b.words[3] << 8);
		/* The next block must start after this one ends, or a server could make us loop. */
		if (b.andx_command != SMB1_COM_NO_ANDX_COMMAND && (b.andx_offset < c.pos || b.andx_offset >= n))
			return -EBADMSG;
	}
	*out = b;
	return 0;
}

int smb1_rsp_start(const uint8_t *msg, size_t n, uint8_t command, bool andx, uint8_t min_wct, uint8_t max_wct,
		   struct smb1_block *b)
{
	struct smb1_hdr h;
	memset(b, 0, sizeof(*b));
	int r = smb1_hdr_decode(msg, n, &h);
	if (r)
		return r;
	if (!(h.flags & SMB1_FLAGS_REPLY) || h.command != command)
		return -EPROTO;
	r = smb1_block_decode(msg, n, SMB1_HDR_SIZE, andx, b);
	if (r)
		return r;
	if (b->word_count == 0 && h.status != 0 && min_wct > 0) {
		memset(b, 0, sizeof(*b));
		return -EPROTO;
	}
	if (b->word_count < min_wct || b->word_count > max_wct) {
		memset(b, 0, sizeof(*b));
		return -EBADMSG;
	}
	return 0;
}

int smb1_andx_link(struct wbuf *w, size_t block_off, uint8_t next_command)
{
	if (wbuf_err(w))
		return wbuf_err(w);
	if (block_off + 5 > w->len || w->p[block_off] < 2)
		return -EINVAL;
	/* Start the next block on a 4-byte boundary, as Windows and smbd lay out their chained responses; the
	 * pad lies outside both blocks (MS-CIFS 2.2.3.4: AndXOffset is all that locates the next one). */
	wbuf_zero(w, (4 - (w->len & 3)) & 3);
	if (wbuf_err(w))
		return wbuf_err(w);
	if (w->len > UINT16_MAX)
		return -EMSGSIZE;
	w->p[block_off + 1] = next_command;
	w->p[block_off + 2] = 0; /* AndXReserved */
	wbuf_set_u16(w, block_off + 3, (uint16_t)w->len);
	return 0;
}

size_t smb1_words_begin(struct wbuf *w, uint8_t word_count)
{
	wbuf_u8(w, word_count);
	return wbuf_reserve(w, 2u * word_count);
}

size_t smb1_bytes_begin(struct wbuf *w)
{
	return wbuf_reserve(w, 2);
}

int smb1_bytes_end(struct wbuf *w, size_t bcc_off)
{
	size_t len = w->len - bcc_off - 2;
	if (!wbuf_err(w) && len > UINT16_MAX)
		return -EMSGSIZE;
	wbuf_set_u16(w, bcc_off, (uint16_t)len);
	return wbuf_err(w);
}

void smb1_put_ustr(struct wbuf *w, const char *s)
{
	if (w->len & 1)
		wbuf_u8(w, 0);
	wbuf_utf16(w, s ? s : "", s ? strlen(s) : 0);
	wbuf_u16(w, 0);
}

void smb1_put_ostr(struct wbuf *w, const char *s)
{
	wbuf_bytes(w, s ? s : "", s ? strlen(s) + 1 : 1);
}

int smb1_empty_req_encode(struct wbuf *w)
{
	wbuf_u8(w, 0);
	wbuf_u16(w, 0);
	return wbuf_err(w);
}

int smb1_empty_rsp_decode(const uint8_t *msg, size_t n, uint8_t command)
{
	struct smb1_block b;
	return smb1_rsp_start(msg, n, command, false, 0, 0, &b);
}
