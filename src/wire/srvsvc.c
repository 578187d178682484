/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * srvsvc.c - NDR (C706 chapter 14, NDR32 little-endian) of NetrShareEnum at level 1, MS-SRVS 3.1.4.8 with
 * the SHARE_ENUM_STRUCT of 2.2.4.38 and SHARE_INFO_1 of 2.2.4.23. Contract: include/smbfuse/dcerpc.h.
 *
 * The NDR in brief: every scalar is aligned to its size (all 4 here) from the start of the stub; a unique
 * pointer is a 4-byte referent id (0 = NULL) whose target follows later, after the structure holding it
 * ("deferred"); a [string] wchar_t* is a conformant varying array: MaxCount, Offset, ActualCount, then
 * ActualCount UTF-16 units including the NUL. The array of SHARE_INFO_1 therefore comes as all the fixed
 * parts first and then, entry by entry, the name and remark strings.
 */
#include <errno.h>
#include <string.h>

#include "smbfuse/dcerpc.h"
#include "smbfuse/util.h"

#define ERROR_MORE_DATA 234u

static void align4(struct cur *c)
{
	if (!cur_err(c) && (c->pos & 3))
		cur_skip(c, 4 - (c->pos & 3));
}

int srvsvc_share_enum1_req_encode(struct wbuf *w, const char *server)
{
	size_t start = w->len, slen = strlen(server);
	long bytes = utf16_len_of_utf8(server, slen);
	if (bytes < 0 || bytes > 2048)
		return -EINVAL;
	uint32_t n = (uint32_t)bytes / 2 + 1; /* with the NUL */
	wbuf_u32(w, 0x00020000);	  /* ServerName: unique pointer */
	wbuf_u32(w, n);			  /* MaxCount */
	wbuf_u32(w, 0);			  /* Offset */
	wbuf_u32(w, n);			  /* ActualCount */
	wbuf_utf16(w, server, slen);
	wbuf_u16(w, 0);
	wbuf_align(w, start, 4);
	wbuf_u32(w, 1);		 /* InfoStruct.Level */
	wbuf_u32(w, 1);		 /* the union's discriminant */
	wbuf_u32(w, 0x00020004); /* -> SHARE_INFO_1_CONTAINER */
	wbuf_u32(w, 0);		 /* EntriesRead */
	wbuf_u32(w, 0);		 /* Buffer: NULL, the server allocates */
	wbuf_u32(w, 0xFFFFFFFF); /* PreferedMaximumLength: everything at once */
	wbuf_u32(w, 0x00020008); /* ResumeHandle: unique pointer */
	wbuf_u32(w, 0);
	return wbuf_err(w);
}

/* A [string] wchar_t*'s target; the text without its NUL into p and len. */
static void ndr_wstring(struct cur *c, const uint8_t **p, size_t *len)
{
	align4(c);
	uint32_t max = cur_u32(c), off = cur_u32(c), actual = cur_u32(c);
	if (cur_err(c) || off != 0 || actual > max || actual > cur_left(c) / 2) {
		cur_fail(c);
		return;
	}
	const uint8_t *s = cur_bytes(c, (size_t)actual * 2);
	size_t n = (size_t)actual * 2;
	if (n >= 2 && s[n - 2] == 0 && s[n - 1] == 0)
		n -= 2;
	*p = s;
	*len = n;
}

int srvsvc_share_enum1_rsp_decode(const uint8_t *p, size_t n, struct srvsvc_share1 *shares, size_t max,
				  struct srvsvc_share_enum1_rsp *out)
{
	struct cur c;
	struct srvsvc_share_enum1_rsp r = {0};
	uint32_t count = 0;
	cur_init(&c, p, n);
	uint32_t level = cur_u32(&c), sw = cur_u32(&c), cont = cur_u32(&c);
	if (!cur_err(&c) && (level != 1 || sw != 1))
		return -EPROTO;
	size_t arr = 0; /* offset of the fixed parts of the entries */
	if (cont) {
		count = cur_u32(&c);
		uint32_t buf = cur_u32(&c);
		if (buf) {
			uint32_t maxc = cur_u32(&c);
			/* Each entry takes 12 fixed bytes: a count the stub cannot hold is malformed. */
			if (cur_err(&c) || maxc != count || count > SRVSVC_MAX_SHARES || count > cur_left(&c) / 12)
				return -EBADMSG;
			arr = c.pos;
			cur_skip(&c, (size_t)count * 12);
			struct cur f;
			cur_init(&f, p, n);
			for (uint32_t i = 0; i < count && !cur_err(&c); i++) {
				struct srvsvc_share1 s = {0};
				cur_seek(&f, arr + (size_t)i * 12);
				uint32_t name_ref = cur_u32(&f);
				s.type = cur_u32(&f);
				uint32_t remark_ref = cur_u32(&f);
				if (name_ref)
					ndr_wstring(&c, &s.name, &s.name_len);
				if (remark_ref)
					ndr_wstring(&c, &s.remark, &s.remark_len);
				if (i < max && shares)
					shares[i] = s;
			}
		} else if (count) {
			return -EBADMSG; /* entries without an array */
		}
	}
	align4(&c);
	r.total = cur_u32(&c);
	if (cur_u32(&c)) /* ResumeHandle */
		cur_skip(&c, 4);
	r.werror = cur_u32(&c);
	if (cur_err(&c))
		return -EBADMSG;
	r.count = r.werror == 0 || r.werror == ERROR_MORE_DATA ? count : 0;
	*out = r;
	return 0;
}
