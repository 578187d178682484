/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * File commands of NT LM 0.12: NT_CREATE_ANDX (MS-CIFS 2.2.4.64, MS-SMB 2.2.4.9), READ_ANDX (MS-CIFS
 * 2.2.4.42, MS-SMB 2.2.4.2), WRITE_ANDX (MS-CIFS 2.2.4.43, MS-SMB 2.2.4.3), CLOSE (2.2.4.5), FLUSH
 * (2.2.4.6), DELETE (2.2.4.7), RENAME (2.2.4.8), CREATE_DIRECTORY (2.2.4.1), DELETE_DIRECTORY (2.2.4.2)
 * and LOCKING_ANDX as an oplock break and its acknowledgement (2.2.4.32, 3.2.5.42).
 */
#include <errno.h>
#include <string.h>

#include "smb1_i.h"
#include "smbfuse/util.h"

#define NTC_REQ_WCT 24
#define NTC_RSP_WCT 34
#define NTC_RSP_EXT_WCT 42   /* what the extended response's WordCount says... */
#define NTC_RSP_EXT_WORDS 50 /* ...and how many words it has (Windows and Samba alike; MS-SMB 2.2.4.9.2) */
#define READ_REQ_WCT 12
#define READ_RSP_WCT 12
#define WRITE_REQ_WCT 14
#define WRITE_RSP_WCT 6
#define LOCK_WCT 8
#define BUFFER_FORMAT_ASCII 0x04 /* MS-CIFS 2.2.1.2: a string follows */
#define CLOSE_KEEP_MTIME 0xFFFFFFFFu

static void andx_none(struct wbuf *w, size_t wo)
{
	if (!wbuf_err(w))
		w->p[wo] = SMB1_COM_NO_ANDX_COMMAND;
}

static long path_utf16_bytes(const char *path)
{
	long l = utf16_len_of_utf8(path, strlen(path));
	return l < 0 ? l : l + 2; /* with the terminator, as NameLength counts it */
}

int smb1_nt_create_req_encode(struct wbuf *w, const struct smb1_nt_create_req *in)
{
	long nl = in->path ? path_utf16_bytes(in->path) : -EINVAL;
	if (nl < 0 || nl > UINT16_MAX)
		return nl < 0 ? (int)nl : -ENAMETOOLONG;
	size_t wo = smb1_words_begin(w, NTC_REQ_WCT);
	andx_none(w, wo);
	wbuf_set_u16(w, wo + 5, (uint16_t)nl);
	wbuf_set_u32(w, wo + 7, in->flags);
	wbuf_set_u32(w, wo + 15, in->desired_access);
	wbuf_set_u32(w, wo + 27, in->file_attributes);
	wbuf_set_u32(w, wo + 31, in->share_access);
	wbuf_set_u32(w, wo + 35, in->create_disposition);
	wbuf_set_u32(w, wo + 39, in->create_options);
	wbuf_set_u32(w, wo + 43, in->impersonation);
	size_t bcc = smb1_bytes_begin(w);
	smb1_put_ustr(w, in->path);
	return smb1_bytes_end(w, bcc);
}

/* The words of an NT_CREATE_ANDX response, allowing for the extended response's short WordCount. */
static int nt_create_words(const uint8_t *msg, size_t n, struct cur *c, bool *ext)
{
	struct smb1_block b;
	int r = smb1_rsp_start(msg, n, SMB1_COM_NT_CREATE_ANDX, true, NTC_RSP_WCT, NTC_RSP_EXT_WCT, &b);
	if (r)
		return r;
	*ext = b.word_count == NTC_RSP_EXT_WCT && range_ok(n, SMB1_HDR_SIZE + 1, 2 * NTC_RSP_EXT_WORDS);
	cur_init(c, b.words, *ext ? 2 * NTC_RSP_EXT_WORDS : 2 * NTC_RSP_WCT);
	if (b.word_count != NTC_RSP_WCT && !*ext)
		return -EBADMSG;
	return 0;
}

int smb1_nt_create_rsp_decode(const uint8_t *msg, size_t n, struct smb1_nt_create_rsp *out)
{
	struct cur c;
	bool ext;
	struct smb1_nt_create_rsp r = {0};
	memset(out, 0, sizeof(*out));
	int rc = nt_create_words(msg, n, &c, &ext);
	if (rc)
		return rc;
	cur_skip(&c, 4);
	r.oplock_level = cur_u8(&c);
	r.fid = cur_u16(&c);
	r.create_action = cur_u32(&c);
	r.creation_time = cur_u64(&c);
	r.last_access_time = cur_u64(&c);
	r.last_write_time = cur_u64(&c);
	r.change_time = cur_u64(&c);
	r.attributes = cur_u32(&c);
	r.allocation_size = cur_u64(&c);
	r.end_of_file = cur_u64(&c);
	r.resource_type = cur_u16(&c);
	cur_skip(&c, 2); /* NMPipeStatus */
	r.directory = cur_u8(&c) != 0;
	if (ext) {
		cur_skip(&c, 16); /* VolumeGUID */
		r.file_id = cur_u64(&c);
	}
	if (cur_err(&c))
		return -EBADMSG;
	*out = r;
	return 0;
}

int smb1_read_req_encode(struct wbuf *w, uint16_t fid, uint64_t offset, uint32_t count)
{
	size_t wo = smb1_words_begin(w, READ_REQ_WCT);
	andx_none(w, wo);
	wbuf_set_u16(w, wo + 4, fid);
	wbuf_set_u32(w, wo + 6, (uint32_t)offset);
	wbuf_set_u16(w, wo + 10, (uint16_t)count);
	wbuf_set_u16(w, wo + 12, (uint16_t)count);
	wbuf_set_u32(w, wo + 14, count >> 16); /* MaxCountHigh (MS-SMB 2.2.4.2.1) */
	wbuf_set_u32(w, wo + 20, (uint32_t)(offset >> 32));
	wbuf_u16(w, 0);
	return wbuf_err(w);
}

int smb1_read_rsp_decode(const uint8_t *msg, size_t n, const uint8_t **data, uint32_t *len)
{
	struct smb1_block b;
	struct cur c;
	*data = NULL;
	*len = 0;
	int r = smb1_rsp_start(msg, n, SMB1_COM_READ_ANDX, true, READ_RSP_WCT, READ_RSP_WCT, &b);
	if (r)
		return r;
	cur_init(&c, b.words, 2 * READ_RSP_WCT);
	cur_skip(&c, 10);
	uint32_t l = cur_u16(&c);
	uint16_t off = cur_u16(&c);
	l |= (uint32_t)cur_u16(&c) << 16;
	/* ByteCount cannot hold a large read's length: the data is located by DataOffset alone. */
	if (cur_err(&c) || (l && (off < b.bytes_off || !range_ok(n, off, l))))
		return -EBADMSG;
	*data = msg + (l ? off : b.bytes_off);
	*len = l;
	return 0;
}

int smb1_write_req_encode(struct wbuf *w, uint16_t fid, uint64_t offset, uint32_t len, bool write_through)
{
	size_t wo = smb1_words_begin(w, WRITE_REQ_WCT);
	andx_none(w, wo);
	wbuf_set_u16(w, wo + 4, fid);
	wbuf_set_u32(w, wo + 6, (uint32_t)offset);
	wbuf_set_u16(w, wo + 14, write_through ? 1 : 0); /* WritethroughMode */
	wbuf_set_u16(w, wo + 18, (uint16_t)(len >> 16));
	wbuf_set_u16(w, wo + 20, (uint16_t)len);
	wbuf_set_u32(w, wo + 24, (uint32_t)(offset >> 32));
	/* ByteCount is the pad plus the data, cut to 16 bits for large writes, as Windows clients send it. */
	wbuf_u16(w, (uint16_t)(len + 1));
	wbuf_u8(w, 0);
	if (!wbuf_err(w) && w->len > UINT16_MAX)
		return -EMSGSIZE;
	wbuf_set_u16(w, wo + 22, (uint16_t)w->len);
	return wbuf_err(w);
}

int smb1_write_rsp_decode(const uint8_t *msg, size_t n, uint32_t *count)
{
	struct smb1_block b;
	*count = 0;
	int r = smb1_rsp_start(msg, n, SMB1_COM_WRITE_ANDX, true, WRITE_RSP_WCT, WRITE_RSP_WCT, &b);
	if (r)
		return r;
	*count = (uint32_t)(b.words[4] | b.words[5] << 8) | (uint32_t)(b.words[8] | b.words[9] << 8) << 16;
	return 0;
}

int smb1_close_req_encode(struct wbuf *w, uint16_t fid)
{
	smb1_words_begin(w, 3);
	wbuf_set_u16(w, w->len - 6, fid);
	wbuf_set_u32(w, w->len - 4, CLOSE_KEEP_MTIME);
	wbuf_u16(w, 0);
	return wbuf_err(w);
}

int smb1_flush_req_encode(struct wbuf *w, uint16_t fid)
{
	smb1_words_begin(w, 1);
	wbuf_set_u16(w, w->len - 2, fid);
	wbuf_u16(w, 0);
	return wbuf_err(w);
}

int smb1_path_req_encode(struct wbuf *w, uint8_t command, const char *path)
{
	if (!path)
		return -EINVAL;
	if (command == SMB1_COM_DELETE) {
		smb1_words_begin(w, 1);
		wbuf_set_u16(w, w->len - 2, SMB1_ATTR_SEARCH_HIDDEN_SYSTEM);
	} else if (command == SMB1_COM_CREATE_DIRECTORY || command == SMB1_COM_DELETE_DIRECTORY) {
		smb1_words_begin(w, 0);
	} else {
		return -EINVAL;
	}
	size_t bcc = smb1_bytes_begin(w);
	wbuf_u8(w, BUFFER_FORMAT_ASCII);
	smb1_put_ustr(w, path);
	return smb1_bytes_end(w, bcc);
}

/* RENAME (MS-CIFS 2.2.4.8) and NT_RENAME (2.2.4.66) differ only in NT_RENAME's InformationLevel and
 * ClusterCount words. */
static int rename_encode(struct wbuf *w, uint8_t words, uint16_t level, const char *from, const char *to)
{
	if (!from || !to)
		return -EINVAL;
	size_t wo = smb1_words_begin(w, words);
	wbuf_set_u16(w, wo, SMB1_ATTR_SEARCH_HIDDEN_SYSTEM | 0x0010 /* directories too */);
	if (words > 1)
		wbuf_set_u16(w, wo + 2, level);
	size_t bcc = smb1_bytes_begin(w);
	wbuf_u8(w, BUFFER_FORMAT_ASCII);
	smb1_put_ustr(w, from);
	wbuf_u8(w, BUFFER_FORMAT_ASCII);
	smb1_put_ustr(w, to);
	return smb1_bytes_end(w, bcc);
}

int smb1_rename_req_encode(struct wbuf *w, const char *from, const char *to)
{
	return rename_encode(w, 1, 0, from, to);
}

int smb1_nt_rename_req_encode(struct wbuf *w, uint16_t level, const char *from, const char *to)
{
	return rename_encode(w, 4, level, from, to);
}

int smb1_oplock_ack_encode(struct wbuf *w, uint16_t fid, uint8_t new_level)
{
	size_t wo = smb1_words_begin(w, LOCK_WCT);
	andx_none(w, wo);
	wbuf_set_u16(w, wo + 4, fid);
	if (!wbuf_err(w)) {
		w->p[wo + 6] = SMB1_LOCKING_OPLOCK_RELEASE;
		w->p[wo + 7] = new_level;
	}
	wbuf_u16(w, 0);
	return wbuf_err(w);
}

int smb1_lock_req_encode(struct wbuf *w, const struct smb1_lock_req *in)
{
	size_t wo = smb1_words_begin(w, LOCK_WCT);
	andx_none(w, wo);
	wbuf_set_u16(w, wo + 4, in->fid);
	if (!wbuf_err(w))
		w->p[wo + 6] = (uint8_t)(in->type | SMB1_LOCKING_LARGE_FILES);
	wbuf_set_u32(w, wo + 8, in->timeout_ms);
	wbuf_set_u16(w, wo + 12, in->unlock ? 1 : 0);
	wbuf_set_u16(w, wo + 14, in->unlock ? 0 : 1);
	size_t bcc = smb1_bytes_begin(w);
	wbuf_u16(w, in->pid);
	wbuf_u16(w, 0);
	wbuf_u32(w, (uint32_t)(in->off >> 32));
	wbuf_u32(w, (uint32_t)in->off);
	wbuf_u32(w, (uint32_t)(in->len >> 32));
	wbuf_u32(w, (uint32_t)in->len);
	return smb1_bytes_end(w, bcc);
}

int smb1_oplock_break_decode(const uint8_t *msg, size_t n, uint16_t *fid, uint8_t *level)
{
	struct smb1_hdr h;
	struct smb1_block b;
	*fid = 0;
	*level = 0;
	int r = smb1_hdr_decode(msg, n, &h);
	if (r)
		return r;
	if (h.command != SMB1_COM_LOCKING_ANDX || (h.flags & SMB1_FLAGS_REPLY))
		return -EPROTO;
	r = smb1_block_decode(msg, n, SMB1_HDR_SIZE, true, &b);
	if (r)
		return r;
	if (b.word_count != LOCK_WCT || !(b.words[6] & SMB1_LOCKING_OPLOCK_RELEASE))
		return -EPROTO;
	*fid = (uint16_t)(b.words[4] | b.words[5] << 8);
	*level = b.words[7];
	return 0;
}
