/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * snap.c - what ops->snapshots does alike in both dialects: a decoded SRV_SNAPSHOT_ARRAY (MS-SMB2
 * 2.2.32.2, the same over SMB1's NT_TRANSACT_IOCTL) into "@GMT-...\n" lines, checked token by token.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto_i.h"
#include "smbfuse/log.h"
#include "smbfuse/smb2.h"
#include "smbfuse/util.h"

#define SNAP_TOKEN_LEN 24 /* "@GMT-YYYY.MM.DD-HH.MM.SS" */

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

int proto_snapshot_text(const char *path, const struct smb2_snapshot_array *a, char **out)
{
	if (a->returned < a->count) {
		log_warn("%s has %u previous versions, more than one answer holds", path, a->count);
		return -E2BIG;
	}
	int rc = tokens_text(a, out);
	if (rc == -EBADMSG) {
		log_info("server reply: a snapshot token of %s is not @GMT-YYYY.MM.DD-HH.MM.SS", path);
		return -EIO;
	}
	return rc < 0 ? rc : 0;
}
