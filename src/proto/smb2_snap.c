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
#define SNAP_TOKEN_LEN 24 /* "@GMT-YYYY.MM.DD-HH.MM.SS" */

static void work_enum(struct cmp *c, const void *arg)
{
	(void)arg;
	cmp_add_fsctl(c, FID_RELATED, FSCTL_SRV_ENUMERATE_SNAPSHOTS, NULL, 0, SNAP_OUT_MAX);
}

/* The tokens of a, one a line, into a new string. */
static int tokens_text(const struct smb2_snapshot_array *a, char **out)
{
	struct wbuf t;
	const uint8_t *tok;
	size_t off = 0, len;
	int rc, n = 0;
	wbuf_init(&t, 0);
	while ((rc = smb2_snapshot_next(a, &off, &tok, &len)) == 1) {
		char *s;
		if (utf16le_to_utf8(tok, len, &s) < 0 || strlen(s) != SNAP_TOKEN_LEN || strncmp(s, "@GMT-", 5)) {
			free(s);
			rc = -EBADMSG;
			break;
		}
		wbuf_bytes(&t, s, SNAP_TOKEN_LEN);
		wbuf_u8(&t, '\n');
		free(s);
		n++;
	}
	wbuf_u8(&t, 0);
	if (rc == 0)
		rc = wbuf_err(&t);
	if (rc < 0) {
		wbuf_free(&t);
		return rc;
	}
	*out = (char *)wbuf_steal(&t, &len);
	return n;
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
	if (rc == 0 && a.returned < a.count) {
		log_warn("%s has %u previous versions, more than one answer holds", path, a.count);
		rc = -E2BIG;
	}
	if (rc == 0) {
		rc = tokens_text(&a, out);
		if (rc == -EBADMSG)
			log_info("server reply: a snapshot token of %s is not @GMT-YYYY.MM.DD-HH.MM.SS", path);
		if (rc < 0)
			rc = rc == -EBADMSG ? -EIO : rc;
	}
	cmp_free(&c);
	return rc;
}
