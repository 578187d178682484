/* SPDX-License-Identifier: GPL-2.0-or-later */
/* srv.h - building blocks for scripted SMB2 servers in the transport tests: parse requests, build replies. */
#ifndef SMBFUSE_TEST_XPORT_SRV_H
#define SMBFUSE_TEST_XPORT_SRV_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smbfuse/cursor.h"
#include "smbfuse/smb2.h"

struct srv_req {
	struct smb2_hdr h;
	const uint8_t *body;
	size_t body_len; /* up to NextCommand or frame end */
};

/* Parse one frame payload (no prefix) into requests; returns the count or -1. */
static inline int srv_parse(const uint8_t *f, size_t n, struct srv_req *r, int max)
{
	size_t off = 0;
	int k = 0;
	while (k < max) {
		if (n - off < SMB2_HDR_SIZE)
			return -1;
		struct smb2_hdr h;
		if (smb2_hdr_decode(f + off, n - off, &h) < 0)
			return -1;
		size_t len = h.next_command ? h.next_command : n - off;
		r[k].h = h;
		r[k].body = f + off + SMB2_HDR_SIZE;
		r[k].body_len = len - SMB2_HDR_SIZE;
		k++;
		if (!h.next_command)
			return k;
		off += h.next_command;
	}
	return -1;
}

/* Append one response message to w (after optional 8-byte padding of the previous one). */
struct srv_rsp {
	uint64_t mid;
	uint16_t cmd;
	uint32_t status;
	uint16_t credits;
	uint32_t flags; /* extra flags: ASYNC, SIGNED */
	uint64_t async_id;
	uint64_t session_id; /* echoed by servers that need them (tests/unit/proto/psrv.c) */
	uint32_t tree_id;
	const void *body;
	size_t body_len;
};

/* Build a frame (with prefix) from n responses, chained with NextCommand. Caller frees. */
static inline uint8_t *srv_frame(const struct srv_rsp *r, int n, size_t *len)
{
	struct wbuf w;
	wbuf_init(&w, WBUF_DEFAULT_MAX);
	wbuf_be32(&w, 0);
	for (int i = 0; i < n; i++) {
		size_t start = w.len;
		struct smb2_hdr h = {
			.command = r[i].cmd,
			.status = r[i].status,
			.credits = r[i].credits,
			.flags = SMB2_FLAGS_SERVER_TO_REDIR | r[i].flags,
			.message_id = r[i].mid,
			.async_id = r[i].async_id,
			.session_id = r[i].session_id,
			.tree_id = r[i].tree_id,
		};
		size_t mlen = SMB2_HDR_SIZE + r[i].body_len;
		if (i + 1 < n)
			h.next_command = (uint32_t)((mlen + 7) & ~(size_t)7);
		smb2_hdr_encode(&w, &h);
		wbuf_bytes(&w, r[i].body, r[i].body_len);
		if (i + 1 < n)
			wbuf_align(&w, start, 8);
	}
	wbuf_set_be32(&w, 0, (uint32_t)(w.len - 4));
	return wbuf_steal(&w, len);
}

#endif
