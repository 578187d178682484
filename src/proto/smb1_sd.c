/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ops->get_sd and ->set_sd over SMB1: NT_CREATE_ANDX of the path with the access the parts need (sd.c),
 * NT_TRANSACT_QUERY_SECURITY_DESC or SET_SECURITY_DESC on the FID (MS-CIFS 2.2.7.6 / 2.2.7.3), CLOSE.
 * The checks of a descriptor are sd.c's, as over SMB2. Also ops->snapshots, the other NT_TRANSACT on a
 * path's FID: NT_TRANSACT_IOCTL FSCTL_SRV_ENUMERATE_SNAPSHOTS, whose answer is SMB2's array (snap.c).
 *
 * One message each way: the transport does not reassemble an NT_TRANSACT answer in pieces, so the query
 * asks for at most what one answer carries (the server's MaxBufferSize, 16644 bytes on Samba); a larger
 * descriptor is refused by the server with STATUS_BUFFER_TOO_SMALL and the size it needs, and is E2BIG
 * here. A descriptor to set must fit one request likewise (no NT_TRANSACT_SECONDARY). Real descriptors
 * are a few hundred bytes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "smb1_proto_i.h"
#include "smbfuse/err.h"
#include "smbfuse/log.h"
#include "smbfuse/smb1.h"
#include "smbfuse/smb2.h"
#include "smbfuse/util.h"


struct sd_args {
	const char *path; /* for logs */
	uint32_t secinfo;
	const void *sd; /* set */
	size_t len;
	void **out; /* get */
	size_t *out_len;
};

/* The answer to a query in c: the descriptor, checked and copied out. */
static int query_answer(struct call *c, const struct sd_args *a)
{
	struct smb1_nt_trans_rsp r;
	if (smb1_nt_trans_rsp_decode(c->rsp, c->rsp_len, &r) < 0 || r.data_len != r.total_data_count ||
	    r.data_disp) {
		log_warn("server reply: the NT_TRANSACT_QUERY_SECURITY_DESC answer for %s (%zu bytes) does not "
			 "decode or comes in pieces", a->path, c->rsp_len);
		return -EIO;
	}
	return proto_sd_incoming(a->path, r.data, r.data_len, a->out, a->out_len);
}

/* STATUS_BUFFER_TOO_SMALL: the descriptor needs more than one answer carries. */
static int too_big(struct call *c, const struct sd_args *a, uint32_t max)
{
	struct smb1_nt_trans_rsp r;
	uint32_t need = 0;
	if (smb1_nt_trans_rsp_decode(c->rsp, c->rsp_len, &r) == 0 && r.params_len >= 4)
		need = get_le32(r.params); /* LengthNeeded */
	log_warn("%s: its security descriptor takes %u bytes, more than the %u one SMB1 answer carries", a->path,
		 need, max);
	return -E2BIG;
}

static int op_sd(struct s1link *l, const char *wpath, void *arg)
{
	const struct sd_args *a = arg;
	bool set = a->sd != NULL;
	uint32_t max = t2_max_data(l, PROTO_SD_MAX);
	if (set && a->len > max) {
		log_warn("%s: a security descriptor of %zu bytes does not fit one SMB1 request (at most %u here)",
			 a->path, a->len, max);
		return -E2BIG;
	}
	struct create_args ca = {.access = proto_sd_access(a->secinfo, set), .disposition = FILE_OPEN};
	int rc = op_create(l, wpath, &ca);
	if (rc < 0)
		return rc;
	struct call c;
	call_init(&c, l, SMB1_COM_NT_TRANSACT);
	rc = set ? smb1_set_sd_req_encode(&c.w, ca.fid, a->secinfo, a->sd, (uint32_t)a->len)
		 : smb1_query_sd_req_encode(&c.w, ca.fid, a->secinfo, max);
	if (rc == 0)
		rc = call_run(&c, NULL, 0);
	if (rc == 0 && !set)
		rc = query_answer(&c, a);
	else if (rc < 0 && !set && c.rsp && c.status == STATUS_BUFFER_TOO_SMALL)
		rc = too_big(&c, a, max);
	call_free(&c);
	close_fid(l, ca.fid); /* the descriptor was read or set (or not) whatever the close says */
	return rc;
}

int smb1_get_sd(struct smb_client *cl, const char *path, uint32_t secinfo, void **out, size_t *len)
{
	*out = NULL;
	*len = 0;
	struct sd_args a = {.path = path, .secinfo = secinfo, .out = out, .out_len = len};
	return on_link(cl, path, op_sd, &a, true);
}

int smb1_set_sd(struct smb_client *cl, const char *path, uint32_t secinfo, const void *sd, size_t len)
{
	int rc = proto_snap_refuse(path, NULL) ?: proto_sd_outgoing(path, secinfo, sd, len);
	if (rc < 0)
		return rc;
	struct sd_args a = {.path = path, .secinfo = secinfo, .sd = sd, .len = len};
	return on_link(cl, path, op_sd, &a, true);
}

/* ---- ops->snapshots ---- */

static int op_snapshots(struct s1link *l, const char *wpath, void *arg)
{
	struct sd_args *a = arg;
	char **out = (char **)a->out;
	uint32_t max = t2_max_data(l, 65536);
	struct create_args ca = {.access = FILE_READ_DATA | FILE_READ_ATTRIBUTES | SYNCHRONIZE,
				 .disposition = FILE_OPEN};
	int rc = op_create(l, wpath, &ca);
	if (rc < 0)
		return rc;
	struct call c;
	struct smb1_nt_trans_rsp r;
	struct smb2_snapshot_array sa;
	call_init(&c, l, SMB1_COM_NT_TRANSACT);
	rc = smb1_fsctl_req_encode(&c.w, ca.fid, FSCTL_SRV_ENUMERATE_SNAPSHOTS, max);
	if (rc == 0)
		rc = call_run(&c, NULL, 0);
	if (rc < 0 && c.rsp && (c.status == STATUS_NOT_SUPPORTED || c.status == STATUS_INVALID_DEVICE_REQUEST)) {
		log_dbg("%s: the server keeps no previous versions (%s)", a->path, ntstatus_name(c.status));
		*out = strdup("");
		rc = *out ? 0 : -ENOMEM;
	} else if (rc == 0) {
		if (smb1_nt_trans_rsp_decode(c.rsp, c.rsp_len, &r) < 0 || r.data_len != r.total_data_count ||
		    r.data_disp || smb2_snapshot_array_decode(r.data, r.data_len, &sa) < 0) {
			log_info("server reply: a snapshot list for %s that does not decode", a->path);
			rc = -EIO;
		} else {
			rc = proto_snapshot_text(a->path, &sa, out);
		}
	}
	call_free(&c);
	close_fid(l, ca.fid);
	return rc;
}

int smb1_snapshots(struct smb_client *cl, const char *path, char **out)
{
	*out = NULL;
	struct sd_args a = {.path = path, .out = (void **)out};
	return on_link(cl, path, op_snapshots, &a, true);
}
