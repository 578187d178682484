/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ops->list_eas and ops->set_ea over SMB2: extended attributes (MS-FSCC 2.4.15 FileFullEaInformation), each
 * one compound CREATE + QUERY_INFO / SET_INFO + CLOSE on the path.
 *
 * Reading asks for every EA at once, with SL_RESTART_SCAN: Samba ignores an EaList in the request
 * (smbd_do_qfilepathinfo: "TODO: add filtering") and the handle is fresh anyway. A buffer too small for all of
 * them fails with STATUS_INFO_LENGTH_MISMATCH on Samba (fill_ea_chained_buffer), STATUS_BUFFER_OVERFLOW or
 * BUFFER_TOO_SMALL elsewhere; the query is then sent once more with the largest buffer the server allows,
 * within EA_BUF_MAX. Nothing is cached: EAs are read rarely, and an uncached answer cannot be stale.
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
/* The hard cap on what one file's EAs may take (B6): 64 values of the largest size Samba keeps. */
#define EA_BUF_MAX (4u << 20)

static void work_query_eas(struct cmp *c, const void *arg)
{
	uint32_t len = *(const uint32_t *)arg;
	struct smb2_query_info_req req = {.info_type = SMB2_0_INFO_FILE,
					  .file_info_class = FileFullEaInformation,
					  .output_buffer_length = len,
					  .flags = SL_RESTART_SCAN,
					  .fid = FID_RELATED};
	smb2_query_info_req_encode(cmp_add(c, SMB2_QUERY_INFO, len), &req);
}

static bool too_small(uint32_t st)
{
	return st == STATUS_BUFFER_OVERFLOW || st == STATUS_BUFFER_TOO_SMALL || st == STATUS_INFO_LENGTH_MISMATCH;
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
	uint32_t len = EA_BUF_FIRST;
	for (int tries = 0; tries < 2; tries++) {
		struct cmp c;
		int rc = path_compound(cl, path, FILE_READ_EA | SYNCHRONIZE, FILE_OPEN, 0, work_query_eas, &len,
				       true, &c);
		uint32_t st = c.n > 1 ? c.m[1].rsp_hdr.status : STATUS_SUCCESS;
		if (rc == 0 && st == STATUS_BUFFER_OVERFLOW)
			rc = -EOVERFLOW;
		if (rc == -ENODATA && st == STATUS_NO_EAS_ON_FILE)
			rc = 0; /* Samba's answer for a file without EAs */
		else if (rc == 0)
			rc = walk_eas(&c.m[1], fn, arg);
		cmp_free(&c);
		if (!(rc < 0 && too_small(st)))
			return rc;
		struct sess_info si;
		sess_get_info(cl->sess, &si);
		uint32_t max = MIN(EA_BUF_MAX, MAX(si.max_transact, 65536u));
		if (len >= max)
			break;
		len = max;
	}
	log_warn("%s: its extended attributes take more than %u bytes, the most this mount reads", path, len);
	return -E2BIG;
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
