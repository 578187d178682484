/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * smb2_snap.c - ops->snapshots: the previous versions the server keeps of a file or directory, by
 * FSCTL_SRV_ENUMERATE_SNAPSHOTS (MS-SMB2 3.2.4.20.6) in one CREATE + IOCTL + CLOSE compound. The output
 * buffer is asked large enough for about 2,700 tokens at once; a server with more answers with the count
 * only, and we say so rather than list part of them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "smb2_proto_i.h"
#include "smbfuse/err.h"
#include "smbfuse/log.h"
#include "smbfuse/smb2.h"
#include "smbfuse/util.h"

#define SNAP_OUT_MAX 65536u

static void work_enum(struct cmp *c, const void *arg)
{
	(void)arg;
	cmp_add_fsctl(c, FID_RELATED, FSCTL_SRV_ENUMERATE_SNAPSHOTS, NULL, 0, SNAP_OUT_MAX);
}

int smb2_snapshots(struct smb_client *cl, const char *path, char **out)
{
	struct cmp c;
	struct smb2_ioctl_rsp r;
	struct smb2_snapshot_array a;
	*out = NULL;
	int rc = path_compound(cl, path, FILE_READ_DATA | FILE_READ_ATTRIBUTES | SYNCHRONIZE, FILE_OPEN, 0, work_enum,
			       NULL, true, &c);
	uint32_t st = c.n > 1 ? c.m[1].rsp_hdr.status : STATUS_SUCCESS;
	if (rc < 0 && (st == STATUS_NOT_SUPPORTED || st == STATUS_INVALID_DEVICE_REQUEST)) {
		/* Samba without a shadow_copy module, a Windows volume without shadow copies: no versions. */
		log_dbg("%s: the server keeps no previous versions (%s)", path, ntstatus_name(st));
		cmp_free(&c);
		*out = strdup("");
		return *out ? 0 : -ENOMEM;
	}
	if (rc == 0 && (smb2_ioctl_rsp_decode(c.m[1].rsp, c.m[1].rsp_len, &r) < 0 ||
			smb2_snapshot_array_decode(r.output, r.output_len, &a) < 0)) {
		log_info("server reply: a snapshot list for %s that does not decode", path);
		rc = -EIO;
	}
	if (rc == 0)
		rc = proto_snapshot_text(path, &a, out);
	cmp_free(&c);
	return rc;
}
