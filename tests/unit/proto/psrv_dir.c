/* SPDX-License-Identifier: GPL-2.0-or-later */
/* psrv_dir.c - the scripted server's QUERY_DIRECTORY (MS-SMB2 2.2.34): the listing set by psrv_set_listing,
 * the POSIX one, or a default of ".", "..", "a" and "b" (FileIdBothDirectoryInformation, MS-FSCC 2.4.17). */
#include <stdlib.h>
#include <string.h>

#include "psrv.h"
#include "smbfuse/smb2_info.h"
#include "smbfuse/err.h"
#include "smbfuse/smb2.h"
#include "smbfuse/util.h"
#include "../../xport/srv.h"

#define FILETIME_2024 133485408000000000ull

uint32_t psrv_query_dir_body(struct psrv *s, const struct srv_req *q, struct wbuf *b)
{
	struct psrv_open *o = psrv_req_open(s, q, 8);
	if (!o || o->listed) {
		psrv_error_body(b);
		return o ? STATUS_NO_MORE_FILES : STATUS_FILE_CLOSED;
	}
	o->listed = true;
	uint8_t *def = NULL;
	size_t def_len = 0, last = 0;
	pthread_mutex_lock(&s->mu);
	const uint8_t *buf = s->dir_buf;
	size_t len = s->dir_buf_len;
	pthread_mutex_unlock(&s->mu);
	struct wbuf px;
	wbuf_init(&px, 0);
	if (!buf && s->posix && q->body_len > 2 && q->body[2] == FilePosixInformation) {
		psrv_posix_listing(&px);
		buf = px.p;
		len = px.len;
	} else if (!buf) {
		static const uint8_t dot[] = {'.', 0}, dotdot[] = {'.', 0, '.', 0}, a[] = {'a', 0}, bb[] = {'b', 0};
		psrv_dirent(&def, &def_len, &last, dot, 2, 2, SMB_ATTR_DIRECTORY);
		psrv_dirent(&def, &def_len, &last, dotdot, 4, 4, SMB_ATTR_DIRECTORY);
		psrv_dirent(&def, &def_len, &last, a, 2, 2, SMB_ATTR_ARCHIVE);
		psrv_dirent(&def, &def_len, &last, bb, 2, 2, SMB_ATTR_DIRECTORY);
		buf = def;
		len = def_len;
	}
	wbuf_u16(b, 9);
	wbuf_u16(b, SMB2_HDR_SIZE + 8);
	wbuf_u32(b, (uint32_t)len);
	wbuf_bytes(b, buf, len);
	free(def);
	wbuf_free(&px);
	return STATUS_SUCCESS;
}

void psrv_dirent(uint8_t **buf, size_t *len, size_t *last, const uint8_t *name, size_t len16, uint32_t name_len,
		 uint32_t attrs)
{
	size_t start = (*len + 7) & ~(size_t)7, n = start + 104 + len16;
	uint8_t *p = realloc(*buf, n);
	if (!p)
		abort();
	memset(p + *len, 0, n - *len);
	if (start)
		put_le32(p + *last, (uint32_t)(start - *last));
	uint8_t *e = p + start;
	for (int i = 0; i < 4; i++)
		put_le64(e + 8 + 8 * i, FILETIME_2024);
	put_le64(e + 40, 100);
	put_le64(e + 48, 4096);
	put_le32(e + 56, attrs);
	put_le32(e + 60, name_len);
	put_le64(e + 96, 7);
	memcpy(e + 104, name, len16);
	*buf = p;
	*len = n;
	*last = start;
}
