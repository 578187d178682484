/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ops->list_eas and ops->set_ea over SMB2: extended attributes (MS-FSCC 2.4.15 FileFullEaInformation), each
 * one compound CREATE + QUERY_INFO / SET_INFO + CLOSE on the path.
 *
 * Reading asks for every EA at once, with SL_RESTART_SCAN: Samba ignores an EaList in the request
 * (smbd_do_qfilepathinfo: "TODO: add filtering") and the handle is fresh anyway. A buffer too small for all of
 * them fails with STATUS_INFO_LENGTH_MISMATCH on Samba (fill_ea_chained_buffer), STATUS_BUFFER_OVERFLOW or
 * BUFFER_TOO_SMALL elsewhere; the query is then sent once more with the largest buffer the server allows,
 * within INFO_BUF_MAX. Nothing is cached: EAs are read rarely, and an uncached answer cannot be stale.
 *
 * ops->get_sd and ->set_sd: security descriptors (SMB2_0_INFO_SECURITY, MS-SMB2 2.2.37/2.2.39), the same
 * shape, with the access and the checks both dialects share (sd.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "smb2_proto_i.h"
#include "smbfuse/err.h"
#include "smbfuse/log.h"
#include "smbfuse/smb2.h"
#include "smbfuse/util.h"

/* Enough for the EAs of most files; the retry takes what the server allows. */
#define EA_BUF_FIRST 16384u
#define SD_BUF_FIRST 4096u
/* The hard cap on one answer (B6): 64 EA values of the largest size Samba keeps, or any descriptor (two
 * SIDs and two ACLs of at most 64 KiB each). */
#define INFO_BUF_MAX (4u << 20)

/* One QUERY_INFO of a path compound; len is its OutputBufferLength. */
struct query_spec {
	uint8_t type, cls;
	uint32_t addl, flags;
	uint32_t len;
};

static void work_query(struct cmp *c, const void *arg)
{
	const struct query_spec *q = arg;
	struct smb2_query_info_req req = {.info_type = q->type,
					  .file_info_class = q->cls,
					  .output_buffer_length = q->len,
					  .additional_information = q->addl,
					  .flags = q->flags,
					  .fid = FID_RELATED};
	smb2_query_info_req_encode(cmp_add(c, SMB2_QUERY_INFO, q->len), &req);
}

static bool too_small(uint32_t st)
{
	return st == STATUS_BUFFER_OVERFLOW || st == STATUS_BUFFER_TOO_SMALL || st == STATUS_INFO_LENGTH_MISMATCH;
}

/*
 * CREATE + QUERY_INFO + CLOSE of path, sent once more with the largest buffer the server allows (within
 * INFO_BUF_MAX) when the answer does not fit. 0 with the answer in c->m[1], or a negative errno; *st gets
 * the QUERY_INFO's status. c is initialised whatever the outcome: the caller cmp_frees it.
 */
static int query_grow(struct smb_client *cl, const char *path, uint32_t access, struct query_spec *q,
		      struct cmp *c, uint32_t *st)
{
	for (;;) {
		int rc = path_compound(cl, path, access, FILE_OPEN, 0, work_query, q, true, c);
		*st = c->n > 1 ? c->m[1].rsp_hdr.status : STATUS_SUCCESS;
		if (rc == 0 && *st == STATUS_BUFFER_OVERFLOW)
			rc = -EOVERFLOW;
		if (!(rc < 0 && too_small(*st)))
			return rc;
		struct sess_info si;
		sess_get_info(cl->sess, &si);
		uint32_t max = MIN(INFO_BUF_MAX, MAX(si.max_transact, 65536u));
		if (q->len >= max) {
			log_warn("%s: the answer to QUERY_INFO class %u takes more than %u bytes, the most this mount "
				 "reads", path, q->cls, q->len);
			return -E2BIG;
		}
		q->len = max;
		cmp_free(c);
	}
}

static int walk_eas(const struct conn_msg *m, smb_ea_fn fn, void *arg)
{
	struct smb2_query_info_rsp q;
	int rc = smb2_query_info_rsp_decode(m->rsp, m->rsp_len, &q);
	if (rc < 0) {
		log_warn("server reply: FileFullEaInformation answer of %zu bytes does not decode", m->rsp_len);
		return -EIO;
	}
	struct smb2_notify_iter it;
	struct smb2_ea ea;
	smb2_notify_iter_init(&it, q.buf, q.len);
	/* Validate the whole list before handing out any of it, so a caller never acts on half an answer. */
	while ((rc = smb2_ea_next(&it, &ea)) == 1)
		;
	if (rc < 0) {
		log_warn("server reply: malformed FileFullEaInformation (%u bytes)", q.len);
		return -EIO;
	}
	smb2_notify_iter_init(&it, q.buf, q.len);
	while (smb2_ea_next(&it, &ea) == 1) {
		if (ea.value_len == 0)
			continue; /* not an EA: an empty value is a removal */
		char name[SMB_EA_NAME_MAX + 1];
		memcpy(name, ea.name, ea.name_len);
		name[ea.name_len] = '\0';
		rc = fn(arg, name, ea.value, ea.value_len);
		if (rc)
			return rc;
	}
	return 0;
}

int smb2_list_eas(struct smb_client *cl, const char *path, smb_ea_fn fn, void *arg)
{
	struct query_spec q = {SMB2_0_INFO_FILE, FileFullEaInformation, 0, SL_RESTART_SCAN, EA_BUF_FIRST};
	struct cmp c;
	uint32_t st;
	int rc = query_grow(cl, path, FILE_READ_EA | SYNCHRONIZE, &q, &c, &st);
	if (rc == -ENODATA && st == STATUS_NO_EAS_ON_FILE)
		rc = 0; /* Samba's answer for a file without EAs */
	else if (rc == 0)
		rc = walk_eas(&c.m[1], fn, arg);
	cmp_free(&c);
	return rc;
}

static void work_set_ea(struct cmp *c, const void *arg)
{
	add_set_info(c, FID_RELATED, FileFullEaInformation, arg);
}

int smb2_set_ea(struct smb_client *cl, const char *path, const char *name, const void *value, size_t len)
{
	struct wbuf w;
	wbuf_init(&w, 0);
	int rc = smb2_full_ea_encode(&w, name, strlen(name), value, len);
	if (rc == 0) {
		struct cmp c;
		rc = path_compound(cl, path, FILE_WRITE_EA | SYNCHRONIZE, FILE_OPEN, 0, work_set_ea, &w, false, &c);
		cmp_free(&c);
	}
	wbuf_free(&w);
	return rc;
}

int smb2_get_sd(struct smb_client *cl, const char *path, uint32_t secinfo, void **out, size_t *len)
{
	*out = NULL;
	*len = 0;
	struct query_spec q = {SMB2_0_INFO_SECURITY, 0, secinfo, 0, SD_BUF_FIRST};
	struct cmp c;
	uint32_t st;
	int rc = query_grow(cl, path, proto_sd_access(secinfo, false), &q, &c, &st);
	struct smb2_query_info_rsp r;
	if (rc == 0 && smb2_query_info_rsp_decode(c.m[1].rsp, c.m[1].rsp_len, &r) < 0) {
		log_warn("server reply: the QUERY_INFO answer for the security descriptor of %s (%zu bytes) does "
			 "not decode", path, c.m[1].rsp_len);
		rc = -EIO;
	}
	if (rc == 0)
		rc = proto_sd_incoming(path, r.buf, r.len, out, len);
	cmp_free(&c);
	return rc;
}

struct set_sd {
	uint32_t secinfo;
	struct wbuf w;
};

static void work_set_sd(struct cmp *c, const void *arg)
{
	const struct set_sd *a = arg;
	add_set_info_type(c, FID_RELATED, SMB2_0_INFO_SECURITY, 0, a->secinfo, &a->w);
}

int smb2_set_sd(struct smb_client *cl, const char *path, uint32_t secinfo, const void *sd, size_t len)
{
	int rc = proto_sd_outgoing(path, secinfo, sd, len);
	if (rc < 0)
		return rc;
	struct set_sd a = {.secinfo = secinfo};
	wbuf_init(&a.w, 0);
	wbuf_bytes(&a.w, sd, len);
	struct cmp c;
	rc = path_compound(cl, path, proto_sd_access(secinfo, true), FILE_OPEN, 0, work_set_sd, &a, false, &c);
	cmp_free(&c);
	wbuf_free(&a.w);
	return rc;
}
