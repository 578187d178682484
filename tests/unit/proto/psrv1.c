/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * psrv1.c - the SMB1 side of psrv.h: NT LM 0.12 with extended security, an anonymous NTLMSSP session setup
 * (the chained tree connect is left unrun, so the client sends its own), and every request the SMB1 ops table
 * sends, answered from psrv's model. A path names a directory when it is the root or its last component is
 * "d" or "e"; a listing holds ".", ".." and "a" in FIND_FIRST2 and "b" in FIND_NEXT2 (or the bytes the test
 * gives, all in FIND_FIRST2). Blocks follow MS-CIFS 2.2.4; offsets count from the header.
 */
#include <stdlib.h>
#include <string.h>

#include "psrv.h"
#include "smbfuse/err.h"
#include "smbfuse/smb1.h"
#include "smbfuse/smb2.h"
#include "smbfuse/util.h"

#define FILETIME_2024 133485408000000000ull
#define STATUS_NOTIFY_CLEANUP 0x0000010Bu
#define STATUS_INVALID_HANDLE 0xC0000008u
#define UID 0x64
#define TID 7
#define SID 0x33
#define CAPS                                                                                                           \
	(SMB1_CAP_UNICODE | SMB1_CAP_LARGE_FILES | SMB1_CAP_NT_SMBS | SMB1_CAP_STATUS32 | SMB1_CAP_LEVEL_II_OPLOCKS |  \
	 SMB1_CAP_NT_FIND | SMB1_CAP_LARGE_WRITEX)

/* One request: its header (raw, for the answer's) and first block. */
struct req1 {
	const uint8_t *msg;
	size_t len;
	struct smb1_hdr h;
	struct smb1_block b;
};

static uint16_t w16(const struct req1 *q, size_t off)
{
	return 2u * q->b.word_count >= off + 2 ? get_le16(q->b.words + off) : 0;
}

static uint32_t w32(const struct req1 *q, size_t off)
{
	return 2u * q->b.word_count >= off + 4 ? get_le32(q->b.words + off) : 0;
}

/* The ASCII of a UTF-16LE name of len bytes (the tests' names are ASCII). */
static void name8(const uint8_t *p, size_t len, char *out, size_t cap)
{
	size_t k = 0;
	for (size_t i = 0; i + 1 < len && k + 1 < cap && (p[i] || p[i + 1]); i += 2)
		out[k++] = (char)p[i];
	out[k] = 0;
}

static bool path_is_dir(const char *p)
{
	const char *leaf = strrchr(p, '\\');
	leaf = leaf ? leaf + 1 : p;
	return !*leaf || strcmp(leaf, "d") == 0 || strcmp(leaf, "e") == 0;
}

static struct psrv_open *open_find(struct psrv *s, uint64_t fid)
{
	for (size_t i = 0; i < ARRAY_SIZE(s->open); i++)
		if (s->open[i].fid == fid)
			return &s->open[i];
	return NULL;
}

/* The answer's header: the request's, marked as a reply, with status (a DOS error without NT_STATUS). */
static void hdr(struct wbuf *b, const struct req1 *q, uint32_t status, bool dos)
{
	struct smb1_hdr h = q->h;
	h.status = status;
	h.flags |= SMB1_FLAGS_REPLY;
	h.flags2 |= SMB1_FLAGS2_NT_STATUS | SMB1_FLAGS2_EXTENDED_SECURITY;
	if (dos)
		h.flags2 &= (uint16_t)~SMB1_FLAGS2_NT_STATUS;
	if (q->h.command == SMB1_COM_SESSION_SETUP_ANDX)
		h.uid = UID;
	if (q->h.command == SMB1_COM_TREE_CONNECT_ANDX)
		h.tid = TID;
	smb1_hdr_encode(b, &h);
}

static void empty_body(struct wbuf *b)
{
	wbuf_u8(b, 0);
	wbuf_u16(b, 0);
}

/* WordCount, and the AndX header of a reply that chains nothing. */
static void andx_words(struct wbuf *b, uint8_t wc)
{
	wbuf_u8(b, wc);
	wbuf_u8(b, SMB1_COM_NO_ANDX_COMMAND);
	wbuf_u8(b, 0);
	wbuf_u16(b, 0);
}

/* One write: a prefix sent apart would wait for the client's delayed ACK (Nagle). */
static void send_msg(struct psrv *s, int fd, const struct wbuf *b)
{
	uint8_t *m = malloc(b->len + 4);
	if (!m)
		return;
	m[0] = 0;
	m[1] = (uint8_t)(b->len >> 16);
	m[2] = (uint8_t)(b->len >> 8);
	m[3] = (uint8_t)b->len;
	memcpy(m + 4, b->p, b->len);
	psrv_send(s, fd, m, b->len + 4);
	free(m);
}

/* A notification still waiting on o ends with status (its handle closed). */
static void end_notify(struct psrv *s, int fd, struct psrv_open *o)
{
	if (!o || !o->notify_mid)
		return;
	struct req1 q = {0};
	smb1_hdr_decode(o->notify_hdr, sizeof(o->notify_hdr), &q.h);
	struct wbuf b;
	wbuf_init(&b, 0);
	hdr(&b, &q, STATUS_NOTIFY_CLEANUP, false);
	empty_body(&b);
	send_msg(s, fd, &b);
	wbuf_free(&b);
	o->notify_mid = 0;
}

/* The answer (status) to a request whose header is h32 (a lock kept waiting). */
static void late_answer(struct psrv *s, int fd, const uint8_t *h32, uint32_t status)
{
	struct req1 q = {0};
	smb1_hdr_decode(h32, SMB1_HDR_SIZE, &q.h);
	struct wbuf b;
	wbuf_init(&b, 0);
	hdr(&b, &q, status, false);
	if (status == STATUS_SUCCESS) {
		andx_words(&b, 2);
		wbuf_u16(&b, 0);
	} else {
		empty_body(&b);
	}
	send_msg(s, fd, &b);
	wbuf_free(&b);
}

/* LOCKING_ANDX with ranges (MS-CIFS 2.2.4.32): counted; false while a lock is kept waiting. */
static bool lock_answer(struct psrv *s, int fd, const struct req1 *q, struct wbuf *b)
{
	uint8_t type = q->b.word_count >= 8 ? q->b.words[6] : 0;
	bool unlock = w16(q, 12) > 0;
	bool hold = false, cancel = type & SMB1_LOCKING_CANCEL;
	uint8_t held[32];
	pthread_mutex_lock(&s->mu);
	s->last_lock_flags = type | (unlock ? 0x100u : 0);
	s->last_lock_timeout = w32(q, 8);
	if (cancel && s->lock_mid) {
		memcpy(held, s->lock_hdr, sizeof(held));
		s->lock_mid = 0;
		s->cancels++;
	} else if (cancel) {
		cancel = false;
	} else if (unlock) {
		s->unlocks++;
	} else {
		s->locks++;
		hold = s->lock_hold && s->last_lock_timeout != 0;
		if (hold) {
			memcpy(s->lock_hdr, q->msg, SMB1_HDR_SIZE);
			s->lock_mid = 1 + (uint64_t)q->h.mid;
		}
	}
	uint32_t st = s->lock_cancel_status;
	pthread_mutex_unlock(&s->mu);
	if (cancel)
		late_answer(s, fd, held, st);
	andx_words(b, 2);
	wbuf_u16(b, 0);
	return !hold;
}

static void negotiate_body(struct psrv *s, struct wbuf *b)
{
	wbuf_u8(b, 17);
	wbuf_u16(b, 0); /* NT LM 0.12, the only dialect offered */
	wbuf_u8(b, SMB1_NEG_USER_SECURITY | SMB1_NEG_ENCRYPT_PASSWORDS);
	wbuf_u16(b, 50);    /* MaxMpxCount */
	wbuf_u16(b, 1);	    /* MaxNumberVcs */
	wbuf_u32(b, 65536); /* MaxBufferSize */
	wbuf_u32(b, 65536);
	wbuf_u32(b, 0);
	wbuf_u32(b, CAPS | SMB1_CAP_EXTENDED_SECURITY | (s->no_passthru ? 0 : SMB1_CAP_INFOLEVEL_PASSTHRU));
	wbuf_u64(b, FILETIME_2024);
	wbuf_u16(b, 0);
	wbuf_u8(b, 0);
	size_t bcc = smb1_bytes_begin(b);
	wbuf_bytes(b, "psrv-server-guid", 16); /* no security blob: the client starts NTLMSSP unprompted */
	smb1_bytes_end(b, bcc);
}

static uint32_t sess_setup_body(const struct req1 *q, struct wbuf *b)
{
	size_t n = 0;
	uint8_t *tok = q->h.uid ? NULL : psrv_challenge(&n);
	andx_words(b, 4);
	wbuf_u16(b, 1); /* Action: guest */
	wbuf_u16(b, (uint16_t)n);
	size_t bcc = smb1_bytes_begin(b);
	wbuf_bytes(b, tok, n);
	smb1_bytes_end(b, bcc);
	free(tok);
	return q->h.uid ? STATUS_SUCCESS : STATUS_MORE_PROCESSING_REQUIRED;
}

static void create_body(struct psrv *s, const struct req1 *q, struct wbuf *b)
{
	uint32_t flags = w32(q, 7), options = w32(q, 39);
	uint16_t nlen = w16(q, 5);
	size_t pad = q->b.bytes_off & 1;
	char name[256] = "";
	if (q->b.byte_count >= pad + nlen)
		name8(q->b.bytes + pad, nlen, name, sizeof(name));
	if (s->on_create) {
		size_t n16 = 2 * strlen(name);
		s->on_create(s->arg, q->b.bytes + pad, n16);
	}
	bool dir = (options & FILE_DIRECTORY_FILE) || path_is_dir(name);
	struct psrv_open *o = open_find(s, 0);
	uint16_t fid = (uint16_t)(0x4000 + ++s->next_fid);
	if (o)
		*o = (struct psrv_open){.fid = fid, .dir = dir};
	pthread_mutex_lock(&s->mu);
	bool oplock = s->grant_lease && (flags & SMB1_NT_CREATE_REQUEST_OPBATCH);
	pthread_mutex_unlock(&s->mu);
	andx_words(b, 34);
	wbuf_u8(b, oplock ? SMB1_OPLOCK_BATCH : SMB1_OPLOCK_NONE);
	wbuf_u16(b, fid);
	wbuf_u32(b, 1); /* FILE_OPENED */
	for (int i = 0; i < 4; i++)
		wbuf_u64(b, FILETIME_2024);
	wbuf_u32(b, dir ? SMB_ATTR_DIRECTORY : SMB_ATTR_ARCHIVE);
	wbuf_u64(b, dir ? 0 : 4096);
	wbuf_u64(b, dir ? 0 : 100);
	wbuf_u16(b, 0);
	wbuf_u16(b, 0);
	wbuf_u8(b, dir);
	wbuf_u16(b, 0);
}

/* One FileIdFullDirectoryInformation entry (MS-FSCC 2.4.18) naming name. */
static void dirent(struct wbuf *d, size_t *last, const char *name, uint32_t attrs)
{
	if (d->len) {
		wbuf_align(d, 0, 8);
		wbuf_set_u32(d, *last, (uint32_t)(d->len - *last));
	}
	*last = d->len;
	wbuf_u32(d, 0);
	wbuf_u32(d, 0);
	for (int i = 0; i < 4; i++)
		wbuf_u64(d, FILETIME_2024);
	wbuf_u64(d, 100);
	wbuf_u64(d, 4096);
	wbuf_u32(d, attrs);
	wbuf_u32(d, (uint32_t)(2 * strlen(name)));
	wbuf_u32(d, 0);
	wbuf_u32(d, 0);
	wbuf_u64(d, 7);
	wbuf_utf16(d, name, strlen(name));
}

/* FIND_FIRST2 (first) or FIND_NEXT2: the listing's parameters and entries. */
static void find_answer(struct psrv *s, bool first, struct wbuf *p, struct wbuf *d)
{
	pthread_mutex_lock(&s->mu);
	const uint8_t *buf = s->dir_buf;
	size_t len = s->dir_buf_len;
	pthread_mutex_unlock(&s->mu);
	size_t last = 0;
	uint16_t count;
	bool eos = !first || buf;
	if (buf) {
		wbuf_bytes(d, buf, len);
		count = 0;
		for (size_t off = 0; off < len; count++) {
			uint32_t next = len - off >= 4 ? get_le32(buf + off) : 0;
			if (!next || next > len - off)
				break;
			off += next;
		}
		count++;
	} else if (first) {
		dirent(d, &last, ".", SMB_ATTR_DIRECTORY);
		dirent(d, &last, "..", SMB_ATTR_DIRECTORY);
		dirent(d, &last, "a", SMB_ATTR_ARCHIVE);
		count = 3;
	} else {
		dirent(d, &last, "b", SMB_ATTR_DIRECTORY);
		count = 1;
	}
	if (first)
		wbuf_u16(p, SID);
	wbuf_u16(p, count);
	wbuf_u16(p, eos);
	wbuf_u16(p, 0);
	wbuf_u16(p, 0);
}

static void all_info(struct wbuf *d, bool dir)
{
	for (int i = 0; i < 4; i++)
		wbuf_u64(d, FILETIME_2024);
	wbuf_u32(d, dir ? SMB_ATTR_DIRECTORY : SMB_ATTR_ARCHIVE);
	wbuf_u32(d, 0);
	wbuf_u64(d, dir ? 0 : 4096);
	wbuf_u64(d, dir ? 0 : 100);
	wbuf_u32(d, 1);
	wbuf_u8(d, 0); /* DeletePending */
	wbuf_u8(d, dir);
	wbuf_u16(d, 0);
	wbuf_u32(d, 0);
	wbuf_u32(d, 0); /* no name: the client then trusts the one it asked for */
}

/* A query at level lv of a directory or not: its data, or false for a level not modelled. */
static bool info_answer(uint16_t lv, bool dir, struct wbuf *d)
{
	if (lv == 0x0107) { /* SMB_QUERY_FILE_ALL_INFO */
		all_info(d, dir);
	} else if (lv == 4) { /* SMB_INFO_QUERY_ALL_EAS: one EA, k = v */
		static const uint8_t fea[] = {11, 0, 0, 0, 0, 1, 1, 0, 'k', 0, 'v'};
		wbuf_bytes(d, fea, sizeof(fea));
	} else if (lv == SMB1_INFO_PASSTHROUGH + FileInternalInformation) {
		wbuf_u64(d, 42);
	} else if (lv == SMB1_INFO_PASSTHROUGH + FileFsFullSizeInformation) {
		wbuf_u64(d, 1000);
		wbuf_u64(d, 500);
		wbuf_u64(d, 500);
		wbuf_u32(d, 8);
		wbuf_u32(d, 512);
	} else if (lv == SMB1_INFO_PASSTHROUGH + FileFsAttributeInformation) {
		wbuf_u32(d, 3);
		wbuf_u32(d, 255);
		wbuf_u32(d, 8);
		wbuf_utf16(d, "NTFS", 4);
	} else {
		return false;
	}
	return true;
}

/* A TRANS2 answer (ten words of 16-bit counts) or, nt, an NT_TRANSACT one (eighteen words of 32-bit counts
 * after three reserved bytes): then parameters and data, each 4-aligned from the header. */
static void trans_body(struct wbuf *b, const struct wbuf *p, const struct wbuf *d, bool nt)
{
	static const uint8_t at16[6] = {0, 2, 6, 8, 12, 14}, at32[6] = {3, 7, 11, 15, 23, 27};
	size_t wo = b->len + 1;
	wbuf_u8(b, nt ? 18 : 10);
	wbuf_zero(b, nt ? 36 : 20);
	size_t bcc = smb1_bytes_begin(b);
	wbuf_align(b, 0, 4);
	size_t poff = b->len;
	wbuf_bytes(b, p->p, p->len);
	wbuf_align(b, 0, 4);
	size_t doff = b->len;
	wbuf_bytes(b, d->p, d->len);
	/* TotalParameterCount, TotalDataCount, ParameterCount, ParameterOffset, DataCount, DataOffset */
	const size_t v[6] = {p->len, d->len, p->len, poff, d->len, doff};
	for (int k = 0; k < 6; k++) {
		if (nt)
			wbuf_set_u32(b, wo + at32[k], (uint32_t)v[k]);
		else
			wbuf_set_u16(b, wo + at16[k], (uint16_t)v[k]);
	}
	smb1_bytes_end(b, bcc);
}

/* The TRANS2 subcommand of q, its parameters in *prm (*plen bytes). */
static uint16_t t2_sub(const struct req1 *q, const uint8_t **prm, size_t *plen)
{
	uint16_t pc = w16(q, 18), po = w16(q, 20);
	*prm = NULL;
	*plen = 0;
	if (q->b.word_count < 15 || po > q->len || pc > q->len - po)
		return 0xFFFF;
	*prm = q->msg + po;
	*plen = pc;
	return w16(q, 28);
}

/* TRANS2_GET_DFS_REFERRAL, as psrv.h's IOCTLs: ioctl_out under ioctl_status, counted, the parameters
 * (REQ_GET_DFS_REFERRAL) kept in last_ioctl_in with last_ioctl the subcommand. */
static uint32_t dfs_answer(struct psrv *s, const uint8_t *prm, size_t plen, struct wbuf *d)
{
	pthread_mutex_lock(&s->mu);
	s->ioctls++;
	s->last_ioctl = SMB1_TRANS2_GET_DFS_REFERRAL;
	s->last_ioctl_in_len = plen <= sizeof(s->last_ioctl_in) ? (uint32_t)plen : 0;
	if (plen <= sizeof(s->last_ioctl_in))
		memcpy(s->last_ioctl_in, prm, plen);
	uint32_t st = s->ioctl_status;
	if (st == STATUS_SUCCESS && s->ioctl_out)
		wbuf_bytes(d, s->ioctl_out, s->ioctl_out_len);
	pthread_mutex_unlock(&s->mu);
	return st;
}

/* short_data: the data cut to 8 bytes, the counts saying so, for the op's own decoder to refuse. */
static uint32_t trans2_answer(struct psrv *s, const struct req1 *q, struct wbuf *b, bool short_data)
{
	const uint8_t *prm;
	size_t plen;
	uint16_t sub = t2_sub(q, &prm, &plen);
	struct wbuf p, d;
	wbuf_init(&p, 0);
	wbuf_init(&d, 0);
	uint32_t st = STATUS_SUCCESS;
	char name[256] = "";
	struct psrv_open *o;
	switch (sub) {
	case SMB1_TRANS2_FIND_FIRST2:
	case SMB1_TRANS2_FIND_NEXT2:
		find_answer(s, sub == SMB1_TRANS2_FIND_FIRST2, &p, &d);
		break;
	case SMB1_TRANS2_QUERY_FS_INFORMATION:
		if (plen < 2 || !info_answer(get_le16(prm), false, &d))
			st = STATUS_NOT_SUPPORTED;
		break;
	case SMB1_TRANS2_QUERY_PATH_INFORMATION:
		if (plen >= 6)
			name8(prm + 6, plen - 6, name, sizeof(name));
		wbuf_u16(&p, 0);
		if (plen < 6 || !info_answer(get_le16(prm), path_is_dir(name), &d))
			st = STATUS_NOT_SUPPORTED;
		break;
	case SMB1_TRANS2_QUERY_FILE_INFORMATION:
		o = plen >= 4 ? open_find(s, get_le16(prm)) : NULL;
		wbuf_u16(&p, 0);
		if (!o)
			st = STATUS_INVALID_HANDLE;
		else if (!info_answer(get_le16(prm + 2), o->dir, &d))
			st = STATUS_NOT_SUPPORTED;
		break;
	case SMB1_TRANS2_SET_PATH_INFORMATION:
	case SMB1_TRANS2_SET_FILE_INFORMATION:
		wbuf_u16(&p, 0);
		break;
	case SMB1_TRANS2_GET_DFS_REFERRAL:
		st = dfs_answer(s, prm, plen, &d);
		break;
	default:
		st = STATUS_NOT_SUPPORTED;
	}
	if (short_data && d.len > 8)
		d.len = 8;
	if (st == STATUS_SUCCESS)
		trans_body(b, &p, &d, false);
	else
		empty_body(b);
	wbuf_free(&p);
	wbuf_free(&d);
	return st;
}

/* NT_TRANSACT_QUERY_SECURITY_DESC (6): psrv.sd_buf, or STATUS_BUFFER_TOO_SMALL and LengthNeeded when it is
 * longer than MaxDataCount, as smbd answers; SET_SECURITY_DESC (3): its SecurityInformation into sd_addl. */
static uint32_t sd_answer(struct psrv *s, const struct req1 *q, struct wbuf *b)
{
	static const uint8_t empty_sd[20] = {1, 0, 0, 0x80};
	uint16_t fn = w16(q, 36);
	uint32_t pc = w32(q, 19), po = w32(q, 23), max_data = w32(q, 15);
	if ((fn != 3 && fn != 6) || pc < 8 || po > q->len || pc > q->len - po || !open_find(s, get_le16(q->msg + po))) {
		empty_body(b);
		return STATUS_INVALID_PARAMETER;
	}
	struct wbuf p, d;
	wbuf_init(&p, 0);
	wbuf_init(&d, 0);
	uint32_t st = STATUS_SUCCESS;
	pthread_mutex_lock(&s->mu);
	if (fn == 3) {
		s->sd_addl = get_le32(q->msg + po + 4);
	} else {
		const uint8_t *sd = s->sd_buf ? s->sd_buf : empty_sd;
		size_t len = s->sd_buf ? s->sd_buf_len : sizeof(empty_sd);
		wbuf_u32(&p, (uint32_t)len);
		if (len <= max_data)
			wbuf_bytes(&d, sd, len);
		else
			st = STATUS_BUFFER_TOO_SMALL;
	}
	pthread_mutex_unlock(&s->mu);
	trans_body(b, &p, &d, true);
	wbuf_free(&p);
	wbuf_free(&d);
	return st;
}

/* A READ_ANDX answer of n bytes of data (zeros when data is NULL), after one pad byte. */
static void read_body(struct wbuf *b, const uint8_t *data, uint32_t n)
{
	andx_words(b, 12);
	wbuf_u16(b, 0xFFFF);
	wbuf_zero(b, 4);
	wbuf_u16(b, (uint16_t)n);
	wbuf_u16(b, SMB1_HDR_SIZE + 1 + 24 + 2 + 1);
	wbuf_u16(b, (uint16_t)(n >> 16));
	wbuf_zero(b, 8);
	wbuf_u16(b, (uint16_t)(n + 1));
	wbuf_u8(b, 0);
	if (data)
		wbuf_bytes(b, data, n);
	else
		wbuf_zero(b, n);
}

/* A pipe server (psrv.pipe_rsp): TRANSACTION (TRANS_TRANSACT_NMPIPE) and READ_ANDX get the next scripted
 * PDU, whatever was written; with none left, STATUS_PIPE_EMPTY. */
static uint32_t pipe_answer(struct psrv *s, const struct req1 *q, struct wbuf *b)
{
	pthread_mutex_lock(&s->mu);
	unsigned i = s->pipe_next < s->pipe_n ? s->pipe_next++ : s->pipe_n;
	pthread_mutex_unlock(&s->mu);
	if (i == s->pipe_n) {
		empty_body(b);
		return 0xC00000D9u;
	}
	uint32_t n = (uint32_t)s->pipe_rsp_len[i];
	if (q->h.command == SMB1_COM_READ_ANDX) {
		read_body(b, s->pipe_rsp[i], n);
	} else {
		struct wbuf p = {0}, d = {.p = (uint8_t *)s->pipe_rsp[i], .len = n};
		trans_body(b, &p, &d, false);
	}
	return STATUS_SUCCESS;
}

/* The success answer to q from the model (status in *st). false: none is sent (NOTIFY waits). */
static bool answer(struct psrv *s, int fd, const struct req1 *q, struct wbuf *b, uint32_t *st, bool short_data)
{
	*st = STATUS_SUCCESS;
	struct psrv_open *o;
	uint32_t n;
	if (s->pipe_rsp && (q->h.command == SMB1_COM_TRANSACTION || q->h.command == SMB1_COM_READ_ANDX)) {
		*st = pipe_answer(s, q, b);
		return true;
	}
	switch (q->h.command) {
	case SMB1_COM_NEGOTIATE:
		negotiate_body(s, b);
		break;
	case SMB1_COM_SESSION_SETUP_ANDX: /* a challenge, then a guest; a chained tree connect is left unrun */
		*st = sess_setup_body(q, b);
		break;
	case SMB1_COM_TREE_CONNECT_ANDX: {
		/* IPC$ is a pipe share (for DFS referrals), unless ipc_disk; any other a disk share. */
		bool ipc = s->pipe_rsp || (!s->ipc_disk && memmem(q->b.bytes, q->b.byte_count, "I\0P\0C\0$\0", 8));
		andx_words(b, 7);
		wbuf_u16(b, (uint16_t)(1 | (s->smb1_in_dfs && !ipc ? SMB1_SHARE_IS_IN_DFS : 0)));
		wbuf_u32(b, 0x001F01FF);
		wbuf_u32(b, 0);
		size_t bcc = smb1_bytes_begin(b);
		wbuf_bytes(b, ipc ? "IPC" : "A:", ipc ? 4 : 3);
		smb1_bytes_end(b, bcc);
		break;
	}
	case SMB1_COM_NT_CREATE_ANDX:
		if (psrv_dir_deleted(s, (w32(q, 39) & FILE_DIRECTORY_FILE) != 0)) {
			*st = STATUS_DELETE_PENDING;
			empty_body(b);
			break;
		}
		create_body(s, q, b);
		break;
	case SMB1_COM_CLOSE:
		o = open_find(s, w16(q, 0));
		end_notify(s, fd, o);
		psrv_closed(s, o);
		empty_body(b);
		break;
	case SMB1_COM_READ_ANDX:
		n = w16(q, 10) | w32(q, 14) << 16;
		n = n > 65536 ? 65536 : n;
		read_body(b, NULL, n);
		break;
	case SMB1_COM_WRITE_ANDX:
		n = w16(q, 20) | (uint32_t)w16(q, 18) << 16;
		andx_words(b, 6);
		wbuf_u16(b, (uint16_t)n);
		wbuf_u16(b, 0xFFFF);
		wbuf_u16(b, (uint16_t)(n >> 16));
		wbuf_u16(b, 0);
		wbuf_u16(b, 0);
		break;
	case SMB1_COM_TRANSACTION2:
		*st = trans2_answer(s, q, b, short_data);
		break;
	case SMB1_COM_NT_TRANSACT: /* NOTIFY_CHANGE: answered when its directory closes */
		o = open_find(s, w16(q, 42));
		if (o && !o->notify_mid && w16(q, 36) == 4) {
			memcpy(o->notify_hdr, q->msg, SMB1_HDR_SIZE);
			o->notify_mid = 1 + (uint64_t)q->h.mid;
			return false;
		}
		*st = sd_answer(s, q, b);
		break;
	case SMB1_COM_LOCKING_ANDX:
		return lock_answer(s, fd, q, b);
	case SMB1_COM_ECHO:
		wbuf_u8(b, 1);
		wbuf_u16(b, 1);
		wbuf_u16(b, q->b.byte_count);
		wbuf_bytes(b, q->b.bytes, q->b.byte_count);
		break;
	case SMB1_COM_LOGOFF_ANDX:
		andx_words(b, 2);
		wbuf_u16(b, 0);
		break;
	case SMB1_COM_FLUSH:
	case SMB1_COM_DELETE:
	case SMB1_COM_RENAME:
	case SMB1_COM_NT_RENAME:
	case SMB1_COM_CREATE_DIRECTORY:
	case SMB1_COM_DELETE_DIRECTORY:
	case SMB1_COM_FIND_CLOSE2:
	case SMB1_COM_TREE_DISCONNECT:
		empty_body(b);
		break;
	default:
		*st = STATUS_NOT_SUPPORTED;
		empty_body(b);
	}
	return true;
}

/* Answer one message. false: drop the connection. */
static bool serve_msg(struct psrv *s, int fd, const struct req1 *q)
{
	if (q->h.command == SMB1_COM_LOCKING_ANDX && q->h.mid == 0xFFFF)
		return true; /* an oplock break acknowledgment has no answer */
	int key = q->h.command;
	if (key == SMB1_COM_TRANSACTION2) {
		const uint8_t *prm;
		size_t plen;
		key = PSRV1_T2(t2_sub(q, &prm, &plen));
	}
	uint32_t fst = 0, st;
	enum psrv_fault f = psrv_take_fault(s, key, &fst);
	if (f == PSRV_DROP)
		return false;
	/* The body follows the header in one buffer (its offsets count from the header); the status last. */
	struct wbuf b;
	wbuf_init(&b, 0);
	hdr(&b, q, 0, f == PSRV_DOS);
	bool send = true;
	if (f == PSRV_STATUS || f == PSRV_DOS) {
		st = fst;
		empty_body(&b);
	} else {
		send = answer(s, fd, q, &b, &st, f == PSRV_MALFORMED);
	}
	wbuf_set_u32(&b, 5, st);
	/* A TRANS2 answer with data has that cut instead (the envelope's decoder is driven by the SETs). */
	bool cut = key >= PSRV1_T2(0) && key != PSRV1_T2(SMB1_TRANS2_SET_PATH_INFORMATION) &&
		   key != PSRV1_T2(SMB1_TRANS2_SET_FILE_INFORMATION);
	if (f == PSRV_MALFORMED && !cut && b.len > SMB1_HDR_SIZE + 3)
		b.len = SMB1_HDR_SIZE + 3; /* WordCount and one word of a longer block */
	if (send && f != PSRV_SILENT)
		send_msg(s, fd, &b);
	wbuf_free(&b);
	return true;
}

bool psrv1_serve(struct psrv *s, int fd)
{
	memset(s->open, 0, sizeof(s->open));
	for (;;) {
		uint8_t pfx[4];
		if (psrv_read_full(fd, pfx, 4) < 0)
			return true;
		size_t len = (size_t)pfx[1] << 16 | (size_t)pfx[2] << 8 | pfx[3];
		uint8_t *m = malloc(len ? len : 1);
		struct req1 q = {.msg = m, .len = len};
		bool ok = m && psrv_read_full(fd, m, len) == 0 && smb1_hdr_decode(m, len, &q.h) == 0 &&
			  smb1_block_decode(m, len, SMB1_HDR_SIZE, false, &q.b) == 0;
		bool up = ok && serve_msg(s, fd, &q);
		free(m);
		if (!up)
			return !ok;
	}
}
