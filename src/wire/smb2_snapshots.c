/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * smb2_snapshots.c - SRV_SNAPSHOT_ARRAY, the output of FSCTL_SRV_ENUMERATE_SNAPSHOTS (MS-SMB2 2.2.32.2):
 * NumberOfSnapShots, NumberOfSnapShotsReturned, SnapShotArraySize, then that many bytes of NUL-terminated
 * UTF-16 "@GMT-YYYY.MM.DD-HH.MM.SS" tokens and a final NUL. Contract: include/smbfuse/smb2.h.
 */
#include <errno.h>

#include "smbfuse/smb2.h"

int smb2_snapshot_array_decode(const uint8_t *p, size_t n, struct smb2_snapshot_array *out)
{
	struct cur c;
	struct smb2_snapshot_array a;
	cur_init(&c, p, n);
	a.count = cur_u32(&c);
	a.returned = cur_u32(&c);
	uint32_t size = cur_u32(&c);
	/* Samba and Windows send SnapShotArraySize even when they return no token (the size one needs). */
	a.tokens_len = a.returned ? size : 0;
	a.tokens = cur_bytes(&c, a.tokens_len);
	if (cur_err(&c) || a.returned > a.count || (a.tokens_len & 1))
		return -EBADMSG;
	*out = a;
	return 0;
}

int smb2_snapshot_next(const struct smb2_snapshot_array *a, size_t *off, const uint8_t **tok, size_t *len)
{
	size_t i = *off;
	if (i + 2 > a->tokens_len || (a->tokens[i] == 0 && a->tokens[i + 1] == 0))
		return 0;
	for (size_t j = i; j + 2 <= a->tokens_len; j += 2) {
		if (a->tokens[j] == 0 && a->tokens[j + 1] == 0) {
			*tok = a->tokens + i;
			*len = j - i;
			*off = j + 2;
			return 1;
		}
	}
	return -EBADMSG;
}
