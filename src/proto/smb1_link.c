/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SMB1 links and the requests on them (NT LM 0.12, MS-CIFS with the MS-SMB extensions): a link is one
 * smb1_sess (connection, UID, TID) and its generation, rebuilt when the connection dies (reconnects: see
 * smb1_ops.c); one request and its answer; TRANS2 (MS-CIFS 2.2.6) and the information it queries and sets.
 *
 * One response per request. TRANS2 answers larger than the server's MaxBufferSize would arrive in several
 * pieces under one MID (MS-CIFS 3.3.4.1.2), which the transport does not reassemble; every TRANS2 asks for
 * at most what fits one piece, and a piece that is not the whole answer is an error.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "smb1_proto_i.h"
#include "smbfuse/cancel.h"
#include "smbfuse/err.h"
#include "smbfuse/log.h"
#include "smbfuse/smb1.h"
#include "smbfuse/smb1_session.h"
#include "smbfuse/smb2.h"
#include "smbfuse/util.h"

/* As much as one answer can carry: SMB_QUERY_FILE_ALL_INFO ends with the path in UTF-16, up to twice its
 * UTF-8 length, and an answer cut short is STATUS_BUFFER_OVERFLOW (EOVERFLOW). A handle alone does not say
 * how long its name is. */
#define INFO_MAX 0xFFFFu
#define T2_OVERHEAD 128 /* header, words and padding of a TRANS2 response */

/* ---- links ---- */

void link_free(struct s1link *l)
{
	if (!l)
		return;
	smb1_sess_free(l->s);
	free(l);
}

int link_build(struct smb1_state *st, struct s1link **out, char *errbuf, size_t errlen)
{
	struct s1link *l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->cl = st->cl;
	l->gen = st->gen + 1;
	struct smb1_sess_opts o = st->opts;
	o.on_unsolicited = on_break;
	o.arg = l; /* outlives its receive thread: link_free joins it */
	o.spoke_smb1 = st->gen > 0; /* a rebuild: the first link negotiated SMB1 */
	int rc = smb1_sess_new(&st->cfg, &o, &l->s, errbuf, errlen);
	if (rc < 0) {
		free(l);
		return rc;
	}
	smb1_sess_get_info(l->s, &l->info);
	st->gen = l->gen;
	atomic_store(&st->cur_gen, l->gen);
	atomic_store(&st->watch_max, l->info.max_mpx >= 8 ? MIN(64u, l->info.max_mpx / 4u) : 0u);
	*out = l;
	return 0;
}

/* Replace the dead current link; *old gets it when nobody uses it any more, for the caller to free. */
static int link_rebuild_locked(struct smb1_state *st, struct s1link **old)
{
	struct s1link *l;
	char err[256] = "";
	int rc = sess_outage_backoff_locked(&st->outage);
	if (rc < 0)
		return rc;
	sess_outage_lost_locked(&st->outage);
	/* Unlocked: a connect to a blackholed server takes its whole timeout, and the callers waiting
	 * behind it must stay interruptible (cancel.h). Only the rebuilder writes st->gen meanwhile. */
	st->rebuilding = true;
	pthread_mutex_unlock(&st->lock);
	rc = link_build(st, &l, err, sizeof(err));
	pthread_mutex_lock(&st->lock);
	st->rebuilding = false;
	pthread_cond_broadcast(&st->cond);
	if (rc < 0)
		return sess_outage_failed_locked(&st->outage, rc, err);
	st->cur->retired = true;
	if (st->cur->users == 0)
		*old = st->cur;
	st->cur = l;
	sess_outage_over_locked(&st->outage, l->gen);
	return 0;
}

/* The current link, rebuilt first when its connection has died; one reference for the caller. */
int link_get(struct smb1_state *st, struct s1link **out)
{
	struct s1link *old = NULL;
	bool rebuilt = false;
	int rc = 0;
	pthread_mutex_lock(&st->lock);
	for (;;) {
		while (st->rebuilding && (rc = smb_cancel_wait(&st->cond, &st->lock, NULL)) == 0)
			;
		if (rc < 0 || smb1_sess_alive(st->cur->s))
			break;
		rc = link_rebuild_locked(st, &old);
		rebuilt |= rc == 0;
		if (rc == 0 || (rc = sess_outage_wait_locked(&st->outage, &st->lock, rc)) < 0)
			break;
		rc = 0; /* waited (hard): look again, another caller may have rebuilt it */
	}
	if (rc == 0) {
		st->cur->users++;
		*out = st->cur;
	}
	pthread_mutex_unlock(&st->lock);
	link_free(old);
	/* Every oplock of the old connection died with it. */
	if (rebuilt)
		pcache_rebuilt(st->cl);
	return rc;
}

void link_put(struct smb1_state *st, struct s1link *l)
{
	pthread_mutex_lock(&st->lock);
	bool last = --l->users == 0 && l->retired;
	pthread_mutex_unlock(&st->lock);
	if (last)
		link_free(l);
}

/* ---- one request ---- */

void call_init(struct call *c, struct s1link *l, uint8_t command)
{
	memset(c, 0, sizeof(*c));
	c->l = l;
	c->command = command;
	smb1_sess_req_init(l->s, &c->w, command);
}

/*
 * A path that runs through a previous version (an @GMT token component, UTF-16LE in the request) is flagged
 * SMB_FLAGS2_REPARSE_PATH (MS-SMB 2.2.3.1), without which the server takes the token for a name (Samba:
 * UCF_GMT_PATHNAME). Found in the encoded request, so that every command naming a path gets it.
 */
static void mark_previous_version(struct wbuf *w)
{
	static const uint8_t at16[10] = {'@', 0, 'G', 0, 'M', 0, 'T', 0, '-', 0};
	const size_t tok16 = 2 * SMB_GMT_TOKEN_LEN;
	if (w->err || w->len < SMB1_HDR_SIZE)
		return;
	for (size_t o = SMB1_HDR_SIZE; o + tok16 <= w->len; o++) {
		const uint8_t *p = memmem(w->p + o, w->len - o, at16, sizeof(at16));
		if (!p || (size_t)(p - w->p) + tok16 > w->len)
			return;
		o = (size_t)(p - w->p);
		char tok[SMB_GMT_TOKEN_LEN];
		bool ascii = true;
		for (size_t i = 0; i < SMB_GMT_TOKEN_LEN && ascii; i++) {
			ascii = p[2 * i + 1] == 0;
			tok[i] = (char)p[2 * i];
		}
		/* The whole component: a separator or the end of the string after it. */
		size_t after = o + tok16;
		bool whole = after + 2 > w->len || (w->p[after + 1] == 0 && (w->p[after] == '\\' || w->p[after] == 0));
		uint64_t t;
		if (ascii && whole && gmt_token_parse(tok, sizeof(tok), &t) == 0) {
			w->p[10] |= SMB1_FLAGS2_REPARSE_PATH & 0xFF; /* Flags2, little-endian, at offset 10 */
			w->p[11] |= SMB1_FLAGS2_REPARSE_PATH >> 8;
			return;
		}
	}
}

/* Send with data after the blocks; 0, a transport error, or the response's NTSTATUS as an errno. */
int call_run(struct call *c, const void *data, size_t len)
{
	stat_cmd(c->l->cl, c->command);
	mark_previous_version(&c->w);
	int rc = smb1_sess_call(c->l->s, &c->w, data, len, &c->rsp, &c->rsp_len, &c->status);
	if (rc < 0)
		return rc;
	if (c->status == STATUS_SUCCESS)
		return 0;
	log_dbg("%s: %s", smb1_command_name(c->command), ntstatus_name(c->status));
	return ntstatus_to_errno(c->status) ?: -EIO;
}

void call_free(struct call *c)
{
	wbuf_free(&c->w);
	free(c->rsp);
	c->rsp = NULL;
}

/* A request whose answer carries nothing but its status. */
int simple(struct s1link *l, uint8_t command, int (*enc)(struct wbuf *, const void *), const void *arg)
{
	struct call c;
	call_init(&c, l, command);
	int rc = enc(&c.w, arg) ?: call_run(&c, NULL, 0);
	call_free(&c);
	return rc;
}

/* ---- TRANS2 ---- */

uint16_t t2_max_data(const struct s1link *l, uint32_t want)
{
	uint32_t room = l->info.max_buffer_size > T2_OVERHEAD + 1024 ? l->info.max_buffer_size - T2_OVERHEAD : 1024;
	return (uint16_t)MIN(MIN(want, room), 0xFFFFu);
}

/*
 * One TRANS2 with params and data; r views the answer in c->rsp (free with call_free). An answer split
 * over several messages is refused (see the top of this file).
 */
int trans2(struct call *c, uint16_t sub, const struct wbuf *params, const struct wbuf *data, uint32_t max_data,
	   struct smb1_trans2_rsp *r)
{
	struct smb1_trans2_req req = {
	    .subcommand = sub,
	    .params = params->p,
	    .params_len = (uint16_t)params->len,
	    .data = data ? data->p : NULL,
	    .data_len = data ? (uint16_t)data->len : 0,
	    .max_param_count = 64,
	    .max_data_count = t2_max_data(c->l, max_data),
	};
	int rc = wbuf_err(params) ?: (data ? wbuf_err(data) : 0);
	if (rc == 0 && (params->len > 0xFFFF || (data && data->len > 0xFFFF)))
		rc = -EMSGSIZE;
	if (rc == 0)
		rc = smb1_trans2_req_encode(&c->w, &req);
	if (rc == 0)
		rc = call_run(c, NULL, 0);
	if (rc == 0 && (rc = smb1_trans2_rsp_decode(c->rsp, c->rsp_len, r)) < 0) {
		log_dbg("TRANS2 0x%04x: undecodable response (%s)", sub, strerror(-rc));
		rc = -EIO;
	}
	if (rc == 0 && (r->params_len != r->total_param_count || r->data_len != r->total_data_count || r->params_disp ||
			r->data_disp)) {
		log_dbg("TRANS2 0x%04x: answer in pieces (%u of %u data bytes)", sub, r->data_len, r->total_data_count);
		rc = -EIO;
	}
	return rc;
}

/*
 * SMB_QUERY_FILE_ALL_INFO (MS-CIFS 2.2.8.3.10): FileBasicInformation and FileStandardInformation with no
 * IndexNumber. The pass-through FileAllInformation is not used because smbd answers it over SMB1 in this
 * layout, not MS-FSCC's.
 */
#define QUERY_FILE_ALL_INFO 0x0107
#define QUERY_FILE_ALL_INFO_MIN 72

static int all_info_decode(const uint8_t *p, size_t n, struct smb_attr *out)
{
	struct cur c;
	uint64_t t[4];
	cur_init(&c, p, n);
	for (int i = 0; i < 4; i++)
		t[i] = cur_u64(&c);
	uint32_t attrs = cur_u32(&c);
	cur_skip(&c, 4);
	uint64_t alloc = cur_u64(&c), eof = cur_u64(&c);
	uint32_t nlink = cur_u32(&c);
	if (cur_err(&c) || n < QUERY_FILE_ALL_INFO_MIN)
		return -EIO;
	memset(out, 0, sizeof(*out));
	out->btime = filetime_to_timespec(t[0]);
	out->atime = filetime_to_timespec(t[1]);
	out->mtime = filetime_to_timespec(t[2]);
	out->ctime = filetime_to_timespec(t[3]);
	out->attrs = attrs;
	out->alloc_size = alloc;
	out->size = eof;
	out->nlink = nlink;
	return 0;
}

/* One QUERY_PATH_INFORMATION (wpath) or QUERY_FILE_INFORMATION (fid) at level; r views c's answer. */
static int query_info(struct s1link *l, struct call *c, const char *wpath, uint16_t fid, uint16_t level,
		      struct smb1_trans2_rsp *r)
{
	struct wbuf p;
	wbuf_init(&p, 0);
	if (wpath)
		smb1_path_info_params_encode(&p, level, wpath);
	else
		smb1_file_info_params_encode(&p, fid, level, false);
	call_init(c, l, SMB1_COM_TRANSACTION2);
	int rc = trans2(c, wpath ? SMB1_TRANS2_QUERY_PATH_INFORMATION : SMB1_TRANS2_QUERY_FILE_INFORMATION, &p, NULL,
			INFO_MAX, r);
	wbuf_free(&p);
	return rc;
}

/* The all-info level ends with FileNameLength (offset 68) and the name the server stores (UTF-16LE). */
static int stored_name_check(const char *wpath, const uint8_t *p, size_t n)
{
	if (n < QUERY_FILE_ALL_INFO_MIN)
		return 0;
	uint32_t len = get_le32(p + 68);
	if (len > n - QUERY_FILE_ALL_INFO_MIN)
		return 0; /* cut short: nothing to compare with */
	return proto_check_leaf(wpath, p + QUERY_FILE_ALL_INFO_MIN, len & ~1u);
}

/* Attributes of wpath or fid: the all-info level, then FileInternalInformation for the file id, so that
 * stat and a listing (which carries FileId) give the same inode number. */
int query_all(struct s1link *l, const char *wpath, uint16_t fid, struct smb_attr *out)
{
	return query_all_named(l, wpath, fid, out, false);
}

int query_all_named(struct s1link *l, const char *wpath, uint16_t fid, struct smb_attr *out, bool check_name)
{
	struct call c;
	struct smb1_trans2_rsp r;
	int rc = query_info(l, &c, wpath, fid, QUERY_FILE_ALL_INFO, &r);
	if (rc == 0)
		rc = all_info_decode(r.data, r.data_len, out);
	if (rc == 0 && check_name && wpath && *wpath)
		rc = stored_name_check(wpath, r.data, r.data_len);
	call_free(&c);
	if (rc < 0)
		return rc;
	if (proto_smb1_snap_path(l->cl, wpath)) {
		out->file_id = 0; /* no round trip for an id we would not use */
		return 0;
	}
	if (query_info(l, &c, wpath, fid, LEVEL(FileInternalInformation), &r) == 0 && r.data_len >= 8)
		out->file_id = get_le64(r.data);
	else
		out->file_id = 0;
	call_free(&c);
	return 0;
}

/* SET_PATH_INFORMATION (wpath) or SET_FILE_INFORMATION (fid) of one pass-through class. */
int set_info(struct s1link *l, const char *wpath, uint16_t fid, uint8_t cls, const struct wbuf *payload)
{
	struct call c;
	struct wbuf p;
	struct smb1_trans2_rsp r;
	wbuf_init(&p, 0);
	if (wpath)
		smb1_path_info_params_encode(&p, LEVEL(cls), wpath);
	else
		smb1_file_info_params_encode(&p, fid, LEVEL(cls), true);
	call_init(&c, l, SMB1_COM_TRANSACTION2);
	int rc =
	    trans2(&c, wpath ? SMB1_TRANS2_SET_PATH_INFORMATION : SMB1_TRANS2_SET_FILE_INFORMATION, &p, payload, 0, &r);
	call_free(&c);
	wbuf_free(&p);
	return rc;
}
