/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * frame.c - the pure frame helpers of the transport (engine_i.h): building the iovecs of an outgoing frame,
 * and checking and splitting an incoming one (MS-SMB2 2.1, 3.2.5.1.9). They touch only their arguments, so
 * conn.c calls them with no lock held, and they know nothing of MessageIds or credits (engine.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine_i.h"
#include "smbfuse/err.h"
#include "smbfuse/util.h"

void xout_init(struct xout *o)
{
	memset(o, 0, sizeof(*o));
	wbuf_init(&o->buf, XENG_MAX_TCP_LEN + 4);
}

void xout_free(struct xout *o)
{
	wbuf_free(&o->buf);
	memset(o, 0, sizeof(*o));
}

void xout_iov(struct xout *o)
{
	for (int i = 0; i < o->nseg; i++)
		o->iov[i] = seg_iov(o, &o->seg[i]);
	o->iovcnt = o->nseg;
}

int xout_sign(struct xout *o, const struct xport_signer *s)
{
	for (int i = 0; i < o->nmsg; i++) {
		if (!o->msg[i].sign)
			continue;
		if (!s || !s->sign)
			return -ENOKEY;
		struct iovec iov[3];
		uint8_t sig[16];
		int k = o->msg[i].nseg;
		for (int j = 0; j < k; j++)
			iov[j] = seg_iov(o, &o->seg[o->msg[i].seg0 + j]);
		int rc = s->sign(s->ctx, iov, k, sig);
		if (rc < 0)
			return rc;
		memcpy(o->buf.p + o->msg[i].hdr_off + SMB2_HDR_SIGNATURE_OFF, sig, sizeof(sig));
	}
	return 0;
}

int xout_flatten(struct xout *o, struct wbuf *w)
{
	for (int i = 0; i < o->nseg; i++) {
		struct iovec v = seg_iov(o, &o->seg[i]);
		wbuf_bytes(w, v.iov_base, v.iov_len);
	}
	return wbuf_err(w);
}

int xout_copy_msg(struct xout *o, int i, uint8_t **out, size_t *len)
{
	*out = NULL;
	*len = 0;
	if (i < 0 || i >= o->nmsg)
		return -EINVAL;
	struct wbuf w;
	wbuf_init(&w, XENG_MAX_TCP_LEN);
	/* The last segment of a non-final message is its padding, which is not part of the message. */
	int k = o->msg[i].nseg;
	if (i + 1 < o->nmsg && k > 1 && !o->seg[o->msg[i].seg0 + k - 1].ext)
		k--;
	for (int j = 0; j < k; j++) {
		struct iovec v = seg_iov(o, &o->seg[o->msg[i].seg0 + j]);
		wbuf_bytes(&w, v.iov_base, v.iov_len);
	}
	if (wbuf_err(&w)) {
		wbuf_free(&w);
		return -ENOMEM;
	}
	*out = wbuf_steal(&w, len);
	return 0;
}

/* ---- incoming frames ---- */

int xframe_prefix(const uint8_t p[4], size_t max, size_t *len)
{
	*len = (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
	/* RFC 1002 4.3.7 keepalive (0x85), and an empty session message, which some servers send as one */
	if (p[0] == 0x85 || (p[0] == 0 && *len == 0))
		return 1;
	if (p[0] != 0)
		return -EBADMSG;
	return *len > max ? -EMSGSIZE : 0;
}

const char *xframe_protocol_error(const uint8_t *p, size_t n, bool sealed_ok)
{
	if (n < 4)
		return "shorter than a ProtocolId";
	if (get_le32(p) == SMB2_TRANSFORM_MAGIC)
		return sealed_ok ? NULL : "an encrypted frame (0xFD 'SMB') before encryption was negotiated";
	if (p[0] == 0xFF && !memcmp(p + 1, "SMB", 3))
		return "an SMB1 message (0xFF 'SMB') on an SMB2 connection";
	if (p[0] != 0xFE || memcmp(p + 1, "SMB", 3))
		return "not 0xFE 'SMB' (SMB2) or 0xFD 'SMB' (encrypted)";
	return n < SMB2_HDR_SIZE ? "shorter than the 64-byte SMB2 header" : NULL;
}

int xframe_split(const uint8_t *f, size_t n, struct xview *v, int max, int *count)
{
	size_t off = 0;
	*count = 0;
	for (;;) {
		struct smb2_hdr h;
		if (*count >= max || n - off < SMB2_HDR_SIZE)
			return -EBADMSG;
		if (smb2_hdr_decode(f + off, n - off, &h) < 0 || !(h.flags & SMB2_FLAGS_SERVER_TO_REDIR))
			return -EBADMSG;
		size_t next = h.next_command;
		if (next && (next % 8 || next < SMB2_HDR_SIZE || !range_ok(n - off, next, SMB2_HDR_SIZE)))
			return -EBADMSG;
		v[*count] = (struct xview){.off = off, .len = next ? next : n - off, .hdr = h};
		(*count)++;
		if (!next)
			return 0;
		off += next;
	}
}

bool xframe_needs_verify(const struct xview *v)
{
	return (v->hdr.flags & SMB2_FLAGS_SIGNED) && v->hdr.message_id != SMB2_UNSOLICITED_MID &&
	       v->hdr.status != STATUS_PENDING;
}

void xframe_verify(const uint8_t *f, struct xview *v, int count, const struct xport_signer *s)
{
	for (int i = 0; i < count; i++) {
		if (!xframe_needs_verify(&v[i]) || !s || !s->verify)
			continue;
		v[i].sig = s->verify(s->ctx, f + v[i].off, v[i].len) == 0 ? 1 : -1;
	}
}
