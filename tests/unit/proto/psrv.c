/* SPDX-License-Identifier: GPL-2.0-or-later */
/* psrv.c - the scripted SMB2 server of psrv.h. Bodies follow MS-SMB2 2.2; offsets count from the header. */
#include <arpa/inet.h>
#include <poll.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "psrv.h"
#include "smbfuse/smb2_info.h"
#include "smbfuse/err.h"
#include "smbfuse/smb2.h"
#include "smbfuse/util.h"
#include "../../xport/srv.h"

#define MAX_CHAIN 8
#define STATUS_NOTIFY_CLEANUP 0x0000010Bu
#define FILETIME_2024 133485408000000000ull

/* Samba 4.17's SESSION_SETUP challenge (tests/vectors/spnego_samba_challenge.hex): NegTokenResp with an
 * NTLMSSP CHALLENGE. An anonymous logon answers it with empty responses, so any challenge does. */
static const char challenge_hex[] =
    "a181a230819fa0030a0101a10c060a2b06010401823702020aa281890481864e544c4d53535000020000000e000e0038"
    "00000015828a621044769c7d9b44fb00000000000000004000400046000000060100000000000f410055005400480053"
    "005200560002000e00410055005400480053005200560001000e00410055005400480053005200560004000000030004"
    "0076006d000700080060ae1328437add0100000000";

static uint8_t *unhex(const char *h, size_t *n)
{
	*n = strlen(h) / 2;
	uint8_t *p = malloc(*n);
	for (size_t i = 0; p && i < *n; i++)
		sscanf(h + 2 * i, "%2hhx", &p[i]);
	return p;
}

uint8_t *psrv_challenge(size_t *n)
{
	return unhex(challenge_hex, n);
}

int psrv_read_full(int fd, void *p, size_t n)
{
	for (size_t o = 0; o < n;) {
		ssize_t r = read(fd, (uint8_t *)p + o, n - o);
		if (r <= 0)
			return -1;
		o += (size_t)r;
	}
	return 0;
}

void psrv_write_full(int fd, const uint8_t *p, size_t n)
{
	for (size_t o = 0; o < n;) {
		ssize_t r = send(fd, p + o, n - o, MSG_NOSIGNAL);
		if (r <= 0)
			return;
		o += (size_t)r;
	}
}

void psrv_send(struct psrv *s, int fd, const uint8_t *frame, size_t n)
{
	if (s->on_send)
		s->on_send(s->arg, fd, frame, n);
	else
		psrv_write_full(fd, frame, n);
}

static void send_rsps(struct psrv *s, int fd, const struct srv_rsp *r, int n)
{
	size_t len;
	uint8_t *f = srv_frame(r, n, &len);
	psrv_send(s, fd, f, len);
	free(f);
}

static struct psrv_open *open_find(struct psrv *s, uint64_t fid)
{
	for (size_t i = 0; i < sizeof(s->open) / sizeof(s->open[0]); i++)
		if (s->open[i].fid == fid)
			return &s->open[i];
	return NULL;
}

/* The FileId a request names (at off in its body); the compound's last CREATE for the related one. */
struct psrv_open *psrv_req_open(struct psrv *s, const struct srv_req *q, size_t off)
{
	if (q->body_len < off + 16)
		return NULL;
	uint64_t fid = get_le64(q->body + off + 8);
	fid = fid == SMB2_FID_RELATED ? s->last_fid : fid;
	return fid ? open_find(s, fid) : NULL;
}

void psrv_error_body(struct wbuf *b)
{
	wbuf_u16(b, 9);
	wbuf_u16(b, 0);
	wbuf_u32(b, 0);
	wbuf_u8(b, 0);
}

/* An answer sent apart from its request's frame (a waiting request's, or an interim one): async when
 * async_id is not 0. */
void psrv_send_late(struct psrv *s, int fd, uint64_t mid, uint16_t cmd, uint32_t status, uint64_t async_id,
		    const struct wbuf *b)
{
	struct srv_rsp r = {.mid = mid,
			    .cmd = cmd,
			    .status = status,
			    .credits = 1,
			    .flags = async_id ? SMB2_FLAGS_ASYNC_COMMAND : 0,
			    .async_id = async_id,
			    .session_id = s->session_id,
			    .tree_id = 7,
			    .body = b->p,
			    .body_len = b->len};
	send_rsps(s, fd, &r, 1);
}

/* A notification still waiting on o ends with status (its handle closed, or it was cancelled). */
static void end_notify(struct psrv *s, int fd, struct psrv_open *o, uint32_t status)
{
	if (!o || !o->notify_mid)
		return;
	struct wbuf b;
	wbuf_init(&b, 0);
	psrv_error_body(&b);
	psrv_send_late(s, fd, o->notify_mid, SMB2_CHANGE_NOTIFY, status, 0, &b);
	wbuf_free(&b);
	o->notify_mid = 0;
}

static void negotiate_body(struct psrv *s, struct wbuf *b)
{
	wbuf_u16(b, 65);
	wbuf_u16(b, SMB2_NEGOTIATE_SIGNING_ENABLED);
	wbuf_u16(b, s->posix ? SMB2_DIALECT_311 : s->smb3_dir_leases ? SMB2_DIALECT_300 : SMB2_DIALECT_210);
	wbuf_u16(b, 0);
	wbuf_bytes(b, "psrv-server-guid", 16);
	wbuf_u32(b, SMB2_GLOBAL_CAP_LEASING | (s->smb3_dir_leases ? SMB2_GLOBAL_CAP_DIRECTORY_LEASING : 0));
	wbuf_u32(b, 65536); /* MaxTransactSize, MaxReadSize, MaxWriteSize */
	wbuf_u32(b, 65536);
	wbuf_u32(b, 65536);
	wbuf_u64(b, FILETIME_2024);
	wbuf_u64(b, 0);
	wbuf_u16(b, SMB2_HDR_SIZE + 64); /* no security blob: the client starts NTLMSSP unprompted */
	wbuf_u16(b, 0);
	wbuf_u32(b, 0);
	wbuf_u8(b, 0);
	if (s->posix)
		psrv_posix_negotiate(b, 0);
}

static uint32_t sess_setup_body(struct psrv *s, const struct srv_req *q, struct wbuf *b)
{
	wbuf_u16(b, 9);
	/* The first round (a new session, or a re-authentication of ours: NTLMSSP NEGOTIATE): challenge. */
	static const uint8_t negotiate[12] = "NTLMSSP\0\1\0\0\0";
	if (q->h.session_id == 0 || memmem(q->body, q->body_len, negotiate, sizeof(negotiate))) {
		size_t n;
		uint8_t *tok = psrv_challenge(&n);
		wbuf_u16(b, 0);
		wbuf_u16(b, SMB2_HDR_SIZE + 8);
		wbuf_u16(b, (uint16_t)n);
		wbuf_bytes(b, tok, n);
		free(tok);
		return STATUS_MORE_PROCESSING_REQUIRED;
	}
	wbuf_u16(b, SMB2_SESSION_FLAG_IS_NULL);
	wbuf_u16(b, SMB2_HDR_SIZE + 8);
	wbuf_u16(b, 0);
	wbuf_u8(b, 0);
	return STATUS_SUCCESS;
}

/* The data of q's create context tag (*d, *dl); false when absent or the chain lies outside q. */
static bool create_ctx(const struct srv_req *q, const char *tag, const uint8_t **d, uint32_t *dl)
{
	if (q->body_len < 56)
		return false;
	uint32_t off = get_le32(q->body + 48), len = get_le32(q->body + 52);
	const uint8_t *msg = q->body - SMB2_HDR_SIZE;
	size_t avail = q->body_len + SMB2_HDR_SIZE;
	return len && off >= SMB2_HDR_SIZE && off <= avail && len <= avail - off &&
	       smb2_create_ctx_find(msg + off, len, tag, d, dl) == 0;
}

/* Grant an RqLs request (v1 or v2) the state it asks for; ctx receives the answer's context. */
static bool lease_answer(const struct srv_req *q, struct wbuf *ctx)
{
	const uint8_t *d;
	uint32_t dl;
	if (!create_ctx(q, "RqLs", &d, &dl) || dl < 32)
		return false;
	size_t prev = SIZE_MAX;
	uint8_t data[52] = {0};
	memcpy(data, d, dl >= 52 ? 52 : 32);
	memset(data + 20, 0, 12); /* flags, duration */
	smb2_create_ctx_add(ctx, &prev, "RqLs", data, dl >= 52 ? 52 : 32);
	return true;
}

static uint32_t create_body(struct psrv *s, const struct srv_req *q, struct wbuf *b)
{
	const uint8_t *dhc, *dhq;
	uint32_t dhc_len = 0, dhq_len = 0;
	pthread_mutex_lock(&s->mu);
	bool durable = s->durable, reconnect = durable && create_ctx(q, "DHnC", &dhc, &dhc_len) && dhc_len == 16;
	bool grant = durable && create_ctx(q, "DHnQ", &dhq, &dhq_len) && dhq_len == 16;
	uint32_t refuse = s->reconnect_status;
	s->dh_reconnects += reconnect;
	pthread_mutex_unlock(&s->mu);
	if (reconnect && refuse) {
		psrv_error_body(b);
		return refuse;
	}
	uint32_t options = q->body_len >= 44 ? get_le32(q->body + 40) : 0;
	uint16_t noff = q->body_len >= 48 ? get_le16(q->body + 44) : 0,
		 nlen = q->body_len >= 48 ? get_le16(q->body + 46) : 0;
	pthread_mutex_lock(&s->mu);
	bool all_dirs = s->names_are_dirs;
	pthread_mutex_unlock(&s->mu);
	if (all_dirs && (options & FILE_NON_DIRECTORY_FILE)) {
		psrv_error_body(b);
		return STATUS_FILE_IS_A_DIRECTORY;
	}
	bool dir = (options & FILE_DIRECTORY_FILE) || nlen == 0 || all_dirs;
	if (psrv_dir_deleted(s, dir)) {
		psrv_error_body(b);
		return STATUS_DELETE_PENDING;
	}
	if (s->on_create && noff >= SMB2_HDR_SIZE && noff - SMB2_HDR_SIZE + (size_t)nlen <= q->body_len)
		s->on_create(s->arg, q->body + noff - SMB2_HDR_SIZE, nlen);
	struct psrv_open *o = open_find(s, 0); /* a free slot */
	uint64_t fid = reconnect ? get_le64(dhc + 8) : ++s->next_fid;
	if (o)
		*o = (struct psrv_open){.fid = fid, .dir = dir, .reconnected = reconnect, .options = options};
	s->last_fid = fid;
	struct wbuf ctx;
	wbuf_init(&ctx, 0);
	pthread_mutex_lock(&s->mu);
	bool lease = s->grant_lease && lease_answer(q, &ctx);
	pthread_mutex_unlock(&s->mu);
	if (lease)
		psrv_dlease_created(s, dir, &ctx);
	if (s->posix) {
		size_t prev = SIZE_MAX;
		for (size_t at = 0; at < ctx.len; at += get_le32(ctx.p + at) ?: ctx.len)
			prev = at;
		psrv_posix_create_ctx(&ctx, &prev, dir);
	}
	if (grant && !reconnect) {
		size_t prev = SIZE_MAX;
		for (size_t at = 0; at < ctx.len; at += get_le32(ctx.p + at) ?: ctx.len) /* to the last element */
			prev = at;
		uint8_t zero[8] = {0};
		smb2_create_ctx_add(&ctx, &prev, "DHnQ", zero, 8);
	}
	wbuf_u16(b, 89);
	wbuf_u8(b, lease ? SMB2_OPLOCK_LEVEL_LEASE : SMB2_OPLOCK_LEVEL_NONE);
	wbuf_u8(b, 0);
	wbuf_u32(b, 1); /* FILE_OPENED */
	for (int i = 0; i < 4; i++)
		wbuf_u64(b, FILETIME_2024);
	wbuf_u64(b, dir ? 0 : 4096);
	wbuf_u64(b, dir ? 0 : 100);
	wbuf_u32(b, dir ? SMB_ATTR_DIRECTORY : SMB_ATTR_ARCHIVE);
	wbuf_u32(b, 0);
	wbuf_u64(b, fid);
	wbuf_u64(b, fid);
	wbuf_u32(b, ctx.len ? SMB2_HDR_SIZE + 88 : 0);
	wbuf_u32(b, (uint32_t)ctx.len);
	wbuf_bytes(b, ctx.p, ctx.len);
	wbuf_free(&ctx);
	return STATUS_SUCCESS;
}

/* With durable: q names a FileId this connection does not know (status), or a taken-back open whose
 * WRITEs are to be refused (replay_status); 0 otherwise. */
static uint32_t fid_check(struct psrv *s, const struct srv_req *q)
{
	size_t off = q->h.command == SMB2_QUERY_INFO ? 24 : 16;
	pthread_mutex_lock(&s->mu);
	bool durable = s->durable;
	uint32_t replay = s->replay_status;
	pthread_mutex_unlock(&s->mu);
	if (!durable || (q->h.command != SMB2_READ && q->h.command != SMB2_WRITE && q->h.command != SMB2_QUERY_INFO) ||
	    q->body_len < off + 16)
		return 0;
	const struct psrv_open *o = psrv_req_open(s, q, off);
	if (!o)
		return STATUS_FILE_CLOSED;
	return q->h.command == SMB2_WRITE && o->reconnected ? replay : 0;
}

void psrv_closed(struct psrv *s, struct psrv_open *o)
{
	pthread_mutex_lock(&s->mu);
	s->dir_closes += o && o->dir;
	s->file_closes += o && !o->dir;
	pthread_mutex_unlock(&s->mu);
	if (o)
		o->fid = 0;
}

bool psrv_dir_deleted(struct psrv *s, bool dir)
{
	pthread_mutex_lock(&s->mu);
	bool deleted = s->dirs_deleted;
	pthread_mutex_unlock(&s->mu);
	for (size_t i = 0; deleted && dir && i < sizeof(s->open) / sizeof(s->open[0]); i++)
		if (s->open[i].fid && s->open[i].dir)
			return true;
	return false;
}

static uint32_t query_info_body(struct psrv *s, const struct srv_req *q, struct wbuf *b)
{
	const struct psrv_open *o = psrv_req_open(s, q, 24);
	uint8_t type = q->body_len > 3 ? q->body[2] : 0, cls = q->body_len > 3 ? q->body[3] : 0;
	struct wbuf d;
	wbuf_init(&d, 0);
	if (type == SMB2_0_INFO_FILE && cls == FilePosixInformation && s->posix) {
		psrv_posix_info(&d, o && o->dir);
	} else if (type == SMB2_0_INFO_FILE && cls == FileAllInformation) {
		for (int i = 0; i < 4; i++)
			wbuf_u64(&d, FILETIME_2024);
		pthread_mutex_lock(&s->mu);
		wbuf_u32(&d, s->names_are_dirs && s->file_attrs ? s->file_attrs : o && o->dir ? SMB_ATTR_DIRECTORY
				     : s->file_attrs ? s->file_attrs : SMB_ATTR_ARCHIVE);
		wbuf_u32(&d, 0);
		wbuf_u64(&d, 4096); /* Standard: AllocationSize, EndOfFile, NumberOfLinks, DeletePending, Directory */
		wbuf_u64(&d, s->file_size ? s->file_size : 100);
		pthread_mutex_unlock(&s->mu);
		wbuf_u32(&d, 1);
		wbuf_u8(&d, 0);
		wbuf_u8(&d, o && o->dir);
		wbuf_u16(&d, 0);
		wbuf_u64(&d, 42);  /* IndexNumber */
		wbuf_zero(&d, 24); /* EA, access, position, mode, alignment */
		wbuf_u32(&d, 0);   /* no name: the client then trusts the one it asked for */
	} else if (type == SMB2_0_INFO_FILE && cls == FileFullEaInformation) {
		static const uint8_t kv[] = {0, 0, 0, 0, 0, 1, 1, 0, 'k', 0, 'v'};
		pthread_mutex_lock(&s->mu);
		s->ea_out_len = q->body_len >= 8 ? get_le32(q->body + 4) : 0;
		uint32_t est = s->ea_status;
		if (!est)
			wbuf_bytes(&d, s->ea_buf ? s->ea_buf : kv, s->ea_buf ? s->ea_buf_len : sizeof(kv));
		pthread_mutex_unlock(&s->mu);
		if (est) {
			wbuf_free(&d);
			psrv_error_body(b);
			return est;
		}
	} else if (type == SMB2_0_INFO_SECURITY) {
		static const uint8_t empty_sd[20] = {1, 0, 0, 0x80};
		pthread_mutex_lock(&s->mu);
		wbuf_bytes(&d, s->sd_buf ? s->sd_buf : empty_sd, s->sd_buf ? s->sd_buf_len : sizeof(empty_sd));
		pthread_mutex_unlock(&s->mu);
	} else if (type == SMB2_0_INFO_FILESYSTEM && cls == FileFsFullSizeInformation) {
		wbuf_u64(&d, 1000);
		wbuf_u64(&d, 500);
		wbuf_u64(&d, 500);
		wbuf_u32(&d, 8);
		wbuf_u32(&d, 512);
	} else if (type == SMB2_0_INFO_FILESYSTEM && cls == FileFsAttributeInformation) {
		wbuf_u32(&d, 3);
		wbuf_u32(&d, 255);
		wbuf_u32(&d, 8);
		wbuf_utf16(&d, "NTFS", 4);
	} else {
		wbuf_free(&d);
		psrv_error_body(b);
		return STATUS_NOT_SUPPORTED;
	}
	wbuf_u16(b, 9);
	wbuf_u16(b, SMB2_HDR_SIZE + 8);
	wbuf_u32(b, (uint32_t)d.len);
	wbuf_bytes(b, d.p, d.len);
	wbuf_free(&d);
	return STATUS_SUCCESS;
}

/* A TREE_CONNECT to psrv.tree_refuse gets its status (true); all are counted. */
static bool tree_refused(struct psrv *s, const struct srv_req *q, struct wbuf *b, uint32_t *st)
{
	pthread_mutex_lock(&s->mu);
	const char *r = s->tree_refuse;
	size_t n = r ? strlen(r) : 0;
	bool hit = r && q->body_len >= 8 + 2 * n;
	for (size_t i = 0; hit && i < n; i++)
		hit = q->body[q->body_len - 2 * n + 2 * i] == (uint8_t)r[i] && !q->body[q->body_len - 2 * n + 2 * i + 1];
	if (hit)
		*st = s->tree_refuse_status;
	s->tree_connects++;
	pthread_mutex_unlock(&s->mu);
	if (hit)
		psrv_error_body(b);
	return hit;
}

/* The success answer to q (status in *st), from the model. false: none is sent (CHANGE_NOTIFY waits). */
static bool answer(struct psrv *s, int fd, const struct srv_req *q, struct wbuf *b, uint32_t *st)
{
	*st = fid_check(s, q);
	if (*st) {
		psrv_error_body(b);
		return true;
	}
	uint32_t n32 = q->body_len >= 8 ? get_le32(q->body + 4) : 0;
	if (psrv_pipe_answer(s, q->h.command, b, st))
		return true;
	switch (q->h.command) {
	case SMB2_NEGOTIATE:
		negotiate_body(s, b);
		break;
	case SMB2_SESSION_SETUP:
		*st = sess_setup_body(s, q, b);
		break;
	case SMB2_TREE_CONNECT:
		if (tree_refused(s, q, b, st))
			break;
		s->answer_tid = 7 + s->conn_trees++;
		wbuf_u16(b, 16);
		/* IPC$ (named by the path at the end of the body) is a pipe share, for DFS referrals. */
		wbuf_u8(b, s->pipe_rsp || (!s->ipc_disk && q->body_len >= 16 &&
					   !memcmp(q->body + q->body_len - 8, "I\0P\0C\0$\0", 8))
				   ? SMB2_SHARE_TYPE_PIPE : SMB2_SHARE_TYPE_DISK);
		wbuf_u8(b, 0);
		wbuf_u32(b, 0);
		wbuf_u32(b, 0);
		wbuf_u32(b, 0x001F01FF);
		break;
	case SMB2_CREATE:
		*st = create_body(s, q, b);
		break;
	case SMB2_CLOSE: {
		struct psrv_open *o = psrv_req_open(s, q, 8);
		end_notify(s, fd, o, STATUS_NOTIFY_CLEANUP);
		psrv_closed(s, o);
		wbuf_u16(b, 60);
		wbuf_zero(b, 58);
		break;
	}
	case SMB2_QUERY_INFO:
		*st = query_info_body(s, q, b);
		break;
	case SMB2_QUERY_DIRECTORY:
		*st = psrv_query_dir_body(s, q, b);
		break;
	case SMB2_READ:
		n32 = n32 > 65536 ? 65536 : n32;
		wbuf_u16(b, 17);
		wbuf_u8(b, SMB2_HDR_SIZE + 16);
		wbuf_u8(b, 0);
		wbuf_u32(b, n32);
		wbuf_zero(b, 8);
		wbuf_zero(b, n32);
		break;
	case SMB2_WRITE:
		wbuf_u16(b, 17);
		wbuf_u16(b, 0);
		wbuf_u32(b, n32);
		wbuf_zero(b, 8);
		break;
	case SMB2_SET_INFO:
		if (q->body_len > 3 && q->body[2] == SMB2_0_INFO_FILE && q->body[3] == FileFullEaInformation) {
			pthread_mutex_lock(&s->mu);
			s->set_eas++;
			pthread_mutex_unlock(&s->mu);
		} else if (q->body_len > 12 && q->body[2] == SMB2_0_INFO_SECURITY) {
			pthread_mutex_lock(&s->mu);
			s->sd_addl = get_le32(q->body + 12);
			pthread_mutex_unlock(&s->mu);
		} else if (q->body_len >= 32 && q->body[2] == SMB2_0_INFO_FILE &&
			   q->body[3] == FileDispositionInformation && get_le16(q->body + 8) >= SMB2_HDR_SIZE &&
			   (size_t)get_le16(q->body + 8) - SMB2_HDR_SIZE < q->body_len &&
			   q->body[get_le16(q->body + 8) - SMB2_HDR_SIZE]) {
			const struct psrv_open *o = psrv_req_open(s, q, 16);
			pthread_mutex_lock(&s->mu);
			s->deletes++;
			s->delete_options = o ? o->options : 0;
			pthread_mutex_unlock(&s->mu);
		}
		wbuf_u16(b, 2);
		break;
	case SMB2_CHANGE_NOTIFY: {
		struct psrv_open *o = psrv_req_open(s, q, 8);
		if (o && !o->notify_mid) {
			o->notify_mid = q->h.message_id;
			return false;
		}
		psrv_error_body(b);
		*st = STATUS_INVALID_PARAMETER;
		break;
	}
	case SMB2_LOCK:
		return psrv_lock_answer(s, fd, q, b);
	case SMB2_OPLOCK_BREAK:
		psrv_dlease_ack(s, q, b);
		break;
	case SMB2_IOCTL:
		if (q->body_len < 32)
			goto unsupported;
		*st = psrv_ioctl_body(s, q, b);
		return !psrv_cc_hold(s, fd, q, *st, b);
	case SMB2_TREE_DISCONNECT:
		pthread_mutex_lock(&s->mu);
		s->tree_disconnects++;
		pthread_mutex_unlock(&s->mu);
		/* fall through */
	case SMB2_FLUSH:
	case SMB2_ECHO:
	case SMB2_LOGOFF:
		wbuf_u16(b, 4);
		wbuf_u16(b, 0);
		break;
	default:
	unsupported:
		psrv_error_body(b);
		*st = STATUS_NOT_SUPPORTED;
	}
	return true;
}

enum psrv_fault psrv_take_fault(struct psrv *s, int cmd, uint32_t *status)
{
	enum psrv_fault f = PSRV_NONE;
	pthread_mutex_lock(&s->mu);
	s->served++;
	if (s->fault != PSRV_NONE && cmd == s->fault_cmd && s->fault_skip-- == 0) {
		f = s->fault;
		*status = s->status;
		s->fault = PSRV_NONE;
		s->fired++;
	}
	pthread_mutex_unlock(&s->mu);
	return f;
}

/* Answer one frame's requests in one frame. false: drop the connection. */
static bool serve_frame(struct psrv *s, int fd, const struct srv_req *q, int n)
{
	psrv_dlease_break(s, fd);
	struct srv_rsp r[MAX_CHAIN];
	struct wbuf b[MAX_CHAIN];
	int nr = 0;
	uint32_t chain_status = STATUS_SUCCESS;
	bool ok = true, silent = false, late = false;
	for (int i = 0; i < n && ok; i++) {
		if (q[i].h.command == SMB2_CANCEL) {
			for (size_t k = 0; k < sizeof(s->open) / sizeof(s->open[0]); k++)
				if (s->open[k].fid && s->open[k].notify_mid == q[i].h.message_id)
					end_notify(s, fd, &s->open[k], STATUS_CANCELLED);
			psrv_lock_cancel(s, fd, &q[i]);
			continue;
		}
		if (q[i].h.command == SMB2_CREATE) {
			pthread_mutex_lock(&s->mu);
			s->last_tid = q[i].h.tree_id;
			pthread_mutex_unlock(&s->mu);
		}
		if (q[i].h.command == SMB2_NEGOTIATE && q[i].body_len >= 28) { /* ClientGuid at 12 */
			pthread_mutex_lock(&s->mu);
			s->guid_changes += s->negotiates++ && memcmp(s->last_guid, q[i].body + 12, 16) != 0;
			memcpy(s->last_guid, q[i].body + 12, 16);
			pthread_mutex_unlock(&s->mu);
		}
		uint32_t fst = 0, st;
		enum psrv_fault f = psrv_take_fault(s, q[i].h.command, &fst);
		late |= f == PSRV_LATE;
		if (f == PSRV_DROP) {
			ok = false;
			break;
		}
		silent |= f == PSRV_SILENT;
		wbuf_init(&b[nr], 0);
		bool related = q[i].h.flags & SMB2_FLAGS_RELATED_OPERATIONS;
		if (related && chain_status != STATUS_SUCCESS) {
			st = chain_status;
			psrv_error_body(&b[nr]);
		} else if (f == PSRV_STATUS) {
			st = chain_status = fst;
			psrv_error_body(&b[nr]);
		} else if (!answer(s, fd, &q[i], &b[nr], &st)) {
			if (f == PSRV_SILENT)
				psrv_cc_forget(s, q[i].h.message_id); /* held back, but never to be answered */
			wbuf_free(&b[nr]);
			continue;
		} else if (q[i].h.command == SMB2_CREATE && st != STATUS_SUCCESS) {
			chain_status = st; /* the related requests after a failed CREATE fail with it */
		}
		if (f == PSRV_MALFORMED && b[nr].len > 8)
			b[nr].len = 8;
		if (q[i].h.command == SMB2_SESSION_SETUP && q[i].h.session_id == 0)
			s->session_id = 0x5000 + s->next_fid;
		r[nr] = (struct srv_rsp){
		    .mid = q[i].h.message_id,
		    .cmd = q[i].h.command,
		    .status = st,
		    .credits = q[i].h.credits ? q[i].h.credits : 1,
		    .flags = q[i].h.flags & SMB2_FLAGS_RELATED_OPERATIONS,
		    .session_id = q[i].h.command == SMB2_SESSION_SETUP ? s->session_id : q[i].h.session_id,
		    .tree_id = q[i].h.command == SMB2_TREE_CONNECT ? (st ? 0 : s->answer_tid) : q[i].h.tree_id,
		    .body = b[nr].p,
		    .body_len = b[nr].len,
		};
		nr++;
	}
	if (late)
		usleep(s->late_ms * 1000u);
	if (nr && !silent && ok)
		send_rsps(s, fd, r, nr);
	for (int i = 0; i < nr; i++)
		wbuf_free(&b[i]);
	return ok;
}

/* One connection until the client closes it (true) or a fault drops it (false). */
static bool serve(struct psrv *s, int fd)
{
	memset(s->open, 0, sizeof(s->open));
	s->session_id = 0;
	s->conn_trees = 0;
	for (;;) {
		uint8_t pfx[4];
		struct pollfd pfd = {fd, POLLIN, 0};
		if (s->nheld && poll(&pfd, 1, 100) == 0)
			psrv_cc_flush(s, fd); /* nothing more is coming: the client waits for these */
		if (psrv_read_full(fd, pfx, 4) < 0)
			return true;
		size_t len = (size_t)pfx[1] << 16 | (size_t)pfx[2] << 8 | pfx[3];
		uint8_t *f = malloc(len ? len : 1);
		struct srv_req q[MAX_CHAIN];
		int n = -1;
		if (f && psrv_read_full(fd, f, len) == 0)
			n = srv_parse(f, len, q, MAX_CHAIN);
		bool ok = n > 0 && serve_frame(s, fd, q, n);
		free(f);
		if (!ok)
			return n <= 0;
	}
}

static void *srv_main(void *arg)
{
	struct psrv *s = arg;
	for (;;) {
		int fd = accept(s->lfd, NULL, NULL);
		if (fd < 0)
			break;
		pthread_mutex_lock(&s->mu);
		bool stop = s->stopping;
		if (!stop)
			s->fd = fd;
		pthread_mutex_unlock(&s->mu);
		bool again = !stop && (s->smb1 ? psrv1_serve(s, fd) : serve(s, fd));
		psrv_cc_flush(s, -1);
		pthread_mutex_lock(&s->mu);
		s->fd = -1;
		again |= !stop && s->reconnect;
		if (!again)
			shutdown(s->lfd, SHUT_RDWR); /* a listener shut down refuses connects: the server is gone */
		pthread_mutex_unlock(&s->mu);
		close(fd);
		if (!again)
			break;
	}
	return NULL;
}

static void start(struct psrv *s, bool smb1)
{
	memset(s, 0, sizeof(*s));
	s->smb1 = smb1;
	s->fd = -1;
	s->fault_cmd = -1;
	pthread_mutex_init(&s->mu, NULL);
	s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	if (s->lfd < 0 || bind(s->lfd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(s->lfd, 4) < 0 ||
	    getsockname(s->lfd, (struct sockaddr *)&a, &al) < 0)
		abort();
	s->port = ntohs(a.sin_port);
	if (pthread_create(&s->th, NULL, srv_main, s))
		abort();
}

void psrv_start(struct psrv *s)
{
	start(s, false);
}

void psrv_start_smb1(struct psrv *s)
{
	start(s, true);
}

void psrv_stop(struct psrv *s)
{
	pthread_mutex_lock(&s->mu);
	s->stopping = true;
	if (s->fd >= 0)
		shutdown(s->fd, SHUT_RDWR);
	shutdown(s->lfd, SHUT_RDWR);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->th, NULL);
	close(s->lfd);
	pthread_mutex_destroy(&s->mu);
}

void psrv_hangup(struct psrv *s)
{
	pthread_mutex_lock(&s->mu);
	if (s->fd >= 0)
		shutdown(s->fd, SHUT_RDWR);
	pthread_mutex_unlock(&s->mu);
}

void psrv_arm(struct psrv *s, int cmd, unsigned skip, enum psrv_fault f, uint32_t status)
{
	pthread_mutex_lock(&s->mu);
	s->fault_cmd = cmd;
	s->fault_skip = skip;
	s->fault = f;
	s->status = status;
	pthread_mutex_unlock(&s->mu);
}

void psrv_set_listing(struct psrv *s, const uint8_t *buf, size_t len)
{
	pthread_mutex_lock(&s->mu);
	s->dir_buf = buf;
	s->dir_buf_len = len;
	pthread_mutex_unlock(&s->mu);
}

unsigned psrv_served(struct psrv *s)
{
	pthread_mutex_lock(&s->mu);
	unsigned n = s->served;
	pthread_mutex_unlock(&s->mu);
	return n;
}

unsigned psrv_fired(struct psrv *s)
{
	pthread_mutex_lock(&s->mu);
	unsigned n = s->fired;
	pthread_mutex_unlock(&s->mu);
	return n;
}

int psrv_client(struct psrv *s, bool cache, int timeout_ms, struct smb_client **out)
{
	uint16_t dialect = s->smb1		? SMB_DIALECT_SMB1
			   : s->posix		? SMB2_DIALECT_311
			   : s->smb3_dir_leases ? SMB2_DIALECT_300
						: SMB2_DIALECT_210;
	struct smb_client_cfg cfg = {
	    .host = "127.0.0.1",
	    .port = s->port,
	    .share = "t",
	    .guest = true,
	    .workstation = "PSRV",
	    .min_dialect = dialect,
	    .max_dialect = dialect,
	    .connect_timeout_ms = 2000,
	    .request_timeout_ms = timeout_ms,
	    .no_leases = !cache,
	    .name_map = s->name_map,
	};
	char err[256] = "";
	int rc = smb_client_new(&cfg, out, err, sizeof(err));
	if (rc < 0)
		fprintf(stderr, "# psrv logon: %s (%s)\n", strerror(-rc), err);
	return rc;
}

void psrv_client_down(struct psrv *s, struct smb_client *cl)
{
	smb_client_free(cl);
	psrv_stop(s);
}
