/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * MS-SMB2 2.2.3 NEGOTIATE Request, 2.2.3.1 negotiate contexts (PREAUTH_INTEGRITY, ENCRYPTION, SIGNING),
 * 2.2.4 NEGOTIATE Response; the SMB2_POSIX_EXTENSIONS_AVAILABLE context of the SMB3 POSIX extensions (Samba
 * wiki), whose data in both directions is the 16-byte POSIX tag.
 *
 * Contexts begin 8-byte aligned from the header start and each following one is again 8-aligned
 * (2.2.3.1); the last one carries no padding. The response parser skips context types it does not know,
 * as 3.2.5.2 asks, but insists on exactly one algorithm in each context it interprets.
 */
#include <errno.h>
#include <string.h>

#include "smbfuse/smb2.h"
#include "smbfuse/util.h"
#include "smb2_i.h"

#define NEG_REQ_SIZE 36
#define NEG_RSP_SIZE 65
#define NEG_RSP_FIXED 64

static bool offers_311(const struct smb2_negotiate_req *in)
{
	for (int i = 0; i < in->ndialects; i++)
		if (in->dialects[i] == SMB2_DIALECT_311)
			return true;
	return false;
}

/* Append one negotiate context whose data is a count followed by that many u16 ids. */
static void put_id_ctx(struct wbuf *w, size_t base, uint16_t type, const uint16_t *ids, int nids)
{
	wbuf_align(w, base, 8);
	wbuf_u16(w, type);
	wbuf_u16(w, (uint16_t)(2 + 2 * nids));
	wbuf_u32(w, 0);
	wbuf_u16(w, (uint16_t)nids);
	for (int i = 0; i < nids; i++)
		wbuf_u16(w, ids[i]);
}

static void put_preauth_ctx(struct wbuf *w, size_t base, const uint8_t salt[SMB2_PREAUTH_SALT_SIZE])
{
	wbuf_align(w, base, 8);
	wbuf_u16(w, SMB2_PREAUTH_INTEGRITY_CAPABILITIES);
	wbuf_u16(w, 6 + SMB2_PREAUTH_SALT_SIZE);
	wbuf_u32(w, 0);
	wbuf_u16(w, 1); /* HashAlgorithmCount */
	wbuf_u16(w, SMB2_PREAUTH_SALT_SIZE);
	wbuf_u16(w, SMB2_PREAUTH_INTEGRITY_SHA512);
	wbuf_bytes(w, salt, SMB2_PREAUTH_SALT_SIZE);
}

int smb2_negotiate_req_encode(struct wbuf *w, const struct smb2_negotiate_req *in)
{
	if (in->ndialects <= 0 || in->ndialects > SMB2_MAX_DIALECTS || !in->dialects)
		return -EINVAL;
	if (in->nciphers < 0 || in->nciphers > SMB2_MAX_NEG_ALGOS || (in->nciphers && !in->ciphers) ||
	    in->nsign_algos < 0 || in->nsign_algos > SMB2_MAX_NEG_ALGOS || (in->nsign_algos && !in->sign_algos))
		return -EINVAL;
	bool ctx = offers_311(in);
	size_t base = w->len;
	wbuf_u16(w, NEG_REQ_SIZE);
	wbuf_u16(w, (uint16_t)in->ndialects);
	wbuf_u16(w, in->security_mode);
	wbuf_u16(w, 0);
	wbuf_u32(w, in->capabilities);
	wbuf_bytes(w, in->client_guid, 16);
	/* NegotiateContextOffset/Count/Reserved2 for 3.1.1, else ClientStartTime: zero either way for now. */
	size_t ctx_at = wbuf_reserve(w, 8);
	for (int i = 0; i < in->ndialects; i++)
		wbuf_u16(w, in->dialects[i]);
	if (!ctx)
		return wbuf_err(w);

	wbuf_align(w, base, 8);
	uint16_t count = 1;
	wbuf_set_u32(w, ctx_at, (uint32_t)smb2_wire_off(w, base));
	put_preauth_ctx(w, base, in->salt);
	if (in->nciphers) {
		put_id_ctx(w, base, SMB2_ENCRYPTION_CAPABILITIES, in->ciphers, in->nciphers);
		count++;
	}
	if (in->nsign_algos) {
		put_id_ctx(w, base, SMB2_SIGNING_CAPABILITIES, in->sign_algos, in->nsign_algos);
		count++;
	}
	if (in->posix) {
		wbuf_align(w, base, 8);
		wbuf_u16(w, SMB2_POSIX_EXTENSIONS_AVAILABLE);
		wbuf_u16(w, sizeof(smb2_posix_tag));
		wbuf_u32(w, 0);
		wbuf_bytes(w, smb2_posix_tag, sizeof(smb2_posix_tag));
		count++;
	}
	wbuf_set_u16(w, ctx_at + 4, count);
	return wbuf_err(w);
}

static int parse_preauth(struct cur *d, struct smb2_negotiate_rsp *out)
{
	uint16_t nalgs = cur_u16(d);
	uint16_t salt_len = cur_u16(d);
	uint16_t alg = cur_u16(d);
	cur_skip(d, 2u * (nalgs ? nalgs - 1u : 0));
	const uint8_t *salt = cur_bytes(d, salt_len);
	if (cur_err(d))
		return -EBADMSG;
	if (nalgs != 1)
		return -EPROTO;
	out->preauth_hash_id = alg;
	out->preauth_salt = salt;
	out->preauth_salt_len = salt_len;
	return 0;
}

/* ENCRYPTION and SIGNING contexts in a response name exactly one algorithm (2.2.4). */
static int parse_one_id(struct cur *d, uint16_t *id)
{
	uint16_t cnt = cur_u16(d);
	uint16_t v = cur_u16(d);
	if (cur_err(d))
		return -EBADMSG;
	if (cnt != 1)
		return -EPROTO;
	*id = v;
	return 0;
}

static int parse_contexts(const uint8_t *msg, size_t n, uint32_t off, uint16_t count, struct smb2_negotiate_rsp *out)
{
	bool have_preauth = false;
	size_t pos = off;
	if (off % 8 || off < SMB2_HDR_SIZE + NEG_RSP_FIXED)
		return -EBADMSG;
	for (unsigned i = 0; i < count; i++) {
		struct cur c, d;
		pos = (pos + 7) & ~(size_t)7;
		cur_init(&c, msg, n);
		cur_seek(&c, pos);
		uint16_t type = cur_u16(&c);
		uint16_t len = cur_u16(&c);
		cur_skip(&c, 4);
		size_t data_at = c.pos;
		cur_sub(&c, data_at, len, &d);
		if (cur_err(&c))
			return -EBADMSG;
		int r = 0;
		if (type == SMB2_PREAUTH_INTEGRITY_CAPABILITIES) {
			r = parse_preauth(&d, out);
			have_preauth = true;
		} else if (type == SMB2_ENCRYPTION_CAPABILITIES) {
			r = parse_one_id(&d, &out->cipher);
		} else if (type == SMB2_SIGNING_CAPABILITIES) {
			r = parse_one_id(&d, &out->sign_algo);
			out->has_sign_algo = r == 0;
		} else if (type == SMB2_POSIX_EXTENSIONS_AVAILABLE) {
			/* Another tag would be another extension's version: not ours, so not offered. */
			out->posix = len == sizeof(smb2_posix_tag) && memcmp(msg + data_at, smb2_posix_tag, len) == 0;
		}
		if (r)
			return r;
		pos = data_at + len;
	}
	return have_preauth ? 0 : -EPROTO;
}

int smb2_negotiate_rsp_decode(const uint8_t *msg, size_t n, struct smb2_negotiate_rsp *out)
{
	struct cur c;
	memset(out, 0, sizeof(*out));
	int r = smb2_body_start(&c, msg, n, SMB2_NEGOTIATE, NEG_RSP_SIZE);
	if (r)
		return r;
	out->security_mode = cur_u16(&c);
	out->dialect = cur_u16(&c);
	out->negotiate_context_count = cur_u16(&c);
	cur_copy(&c, out->server_guid, 16);
	out->capabilities = cur_u32(&c);
	out->max_transact_size = cur_u32(&c);
	out->max_read_size = cur_u32(&c);
	out->max_write_size = cur_u32(&c);
	out->system_time = cur_u64(&c);
	out->server_start_time = cur_u64(&c);
	uint16_t blob_off = cur_u16(&c);
	out->security_blob_len = cur_u16(&c);
	uint32_t ctx_off = cur_u32(&c);
	r = cur_err(&c);
	if (!r)
		r = smb2_view(msg, n, blob_off, out->security_blob_len, SMB2_HDR_SIZE + NEG_RSP_FIXED,
			      &out->security_blob);
	if (!r && out->dialect == SMB2_DIALECT_311)
		r = parse_contexts(msg, n, ctx_off, out->negotiate_context_count, out);
	if (!r && out->dialect != SMB2_DIALECT_311)
		out->negotiate_context_count = 0; /* the field is Reserved before 3.1.1 */
	if (r)
		memset(out, 0, sizeof(*out));
	return r;
}
