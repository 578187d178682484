/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * MS-SMB2 2.2.13.2 SMB2_CREATE_CONTEXT chains; 2.2.13.2.8 / 2.2.13.2.10 lease requests (v1 / v2);
 * 2.2.14.2.5 MxAc, 2.2.14.2.9 QFid, 2.2.14.2.10 / 2.2.14.2.11 lease responses; durable handles:
 * 2.2.13.2.3/.4 and 2.2.14.2.3 (v1), 2.2.13.2.11/.12 and 2.2.14.2.12 (v2).
 *
 * Element layout: Next(4) NameOffset(2) NameLength(2) Reserved(2) DataOffset(2) DataLength(4), then the
 * name at 16, padded to 8, then the data. Offsets are relative to the element; Next is 0 on the last one.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "smbfuse/smb2.h"
#include "smbfuse/util.h"
#include "smb2_i.h"

#define CTX_HDR 16
#define LEASE_V1_LEN 32
#define LEASE_V2_LEN 52

int smb2_create_ctx_add(struct wbuf *w, size_t *prev_off, const char tag[4], const void *data, size_t len)
{
	return smb2_create_ctx_add_name(w, prev_off, tag, 4, data, len);
}

int smb2_create_ctx_add_name(struct wbuf *w, size_t *prev_off, const void *name, uint16_t name_len, const void *data,
			     size_t len)
{
	/* The name sits at 16 and the data follows it, 8-aligned. */
	size_t data_off = CTX_HDR + (((size_t)name_len + 7) & ~(size_t)7);
	if (len > UINT32_MAX - data_off || (len && !data) || !name_len || data_off > UINT16_MAX)
		return -EINVAL;
	if (*prev_off != SIZE_MAX) {
		wbuf_align(w, *prev_off, 8);
		wbuf_set_u32(w, *prev_off, (uint32_t)(w->len - *prev_off));
	}
	size_t start = w->len;
	wbuf_u32(w, 0);
	wbuf_u16(w, CTX_HDR);
	wbuf_u16(w, name_len);
	wbuf_u16(w, 0);
	wbuf_u16(w, len ? (uint16_t)data_off : 0);
	wbuf_u32(w, (uint32_t)len);
	wbuf_bytes(w, name, name_len);
	/* Pad even without data: the Linux client does, and the next element starts 8-aligned anyway. */
	wbuf_zero(w, data_off - CTX_HDR - name_len);
	wbuf_bytes(w, data, len);
	int r = wbuf_err(w);
	if (!r)
		*prev_off = start;
	return r;
}

int smb2_create_ctx_find(const uint8_t *ctx, uint32_t len, const char tag[4], const uint8_t **data,
			 uint32_t *data_len)
{
	return smb2_create_ctx_find_name(ctx, len, tag, 4, data, data_len);
}

int smb2_create_ctx_find_name(const uint8_t *ctx, uint32_t len, const void *name, uint16_t want_len,
			      const uint8_t **data, uint32_t *data_len)
{
	uint32_t off = 0;
	*data = NULL;
	*data_len = 0;
	if (len == 0)
		return -ENOENT;
	for (;;) {
		if (!range_ok(len, off, CTX_HDR))
			return -EBADMSG;
		const uint8_t *e = ctx + off;
		uint32_t next = get_le32(e);
		uint16_t name_off = get_le16(e + 4), name_len = get_le16(e + 6);
		uint16_t dat_off = get_le16(e + 10);
		uint32_t dat_len = get_le32(e + 12);
		uint32_t elen = next ? next : len - off;
		/* Next must move forward by whole 8-byte units and stay inside the chain. */
		if (next && (next % 8 || next < CTX_HDR || next > len - off))
			return -EBADMSG;
		if (name_off < CTX_HDR || !range_ok(elen, name_off, name_len))
			return -EBADMSG;
		if (dat_len && (dat_off < CTX_HDR || !range_ok(elen, dat_off, dat_len)))
			return -EBADMSG;
		if (name_len == want_len && memcmp(e + name_off, name, want_len) == 0) {
			*data = dat_len ? e + dat_off : e + elen;
			*data_len = dat_len;
			return 0;
		}
		if (!next)
			return -ENOENT;
		off += next;
	}
}

int smb2_lease_req_encode(struct wbuf *w, const uint8_t key[16], uint32_t state, const uint8_t *parent_key_or_null,
			  uint16_t epoch, int version)
{
	if (version != 1 && version != 2)
		return -EINVAL;
	wbuf_bytes(w, key, 16);
	wbuf_u32(w, state);
	wbuf_u32(w, version == 2 && parent_key_or_null ? SMB2_LEASE_FLAG_PARENT_LEASE_KEY_SET : 0);
	wbuf_u64(w, 0); /* LeaseDuration */
	if (version == 2) {
		if (parent_key_or_null)
			wbuf_bytes(w, parent_key_or_null, 16);
		else
			wbuf_zero(w, 16);
		wbuf_u16(w, epoch);
		wbuf_u16(w, 0);
	}
	return wbuf_err(w);
}

int smb2_create_ctx_add_lease(struct wbuf *w, size_t *prev_off, const uint8_t key[16], uint32_t state,
			      const uint8_t *parent_key_or_null, uint16_t epoch, int version)
{
	uint8_t buf[LEASE_V2_LEN];
	struct wbuf tmp;
	wbuf_init(&tmp, sizeof(buf));
	int r = smb2_lease_req_encode(&tmp, key, state, parent_key_or_null, epoch, version);
	if (!r) {
		memcpy(buf, tmp.p, tmp.len);
		r = smb2_create_ctx_add(w, prev_off, SMB2_CREATE_REQUEST_LEASE, buf, tmp.len);
	}
	wbuf_free(&tmp);
	return r;
}

int smb2_lease_rsp_decode(const uint8_t *data, uint32_t len, struct smb2_lease_rsp *out)
{
	struct cur c;
	memset(out, 0, sizeof(*out));
	if (len != LEASE_V1_LEN && len < LEASE_V2_LEN)
		return -EBADMSG;
	cur_init(&c, data, len);
	cur_copy(&c, out->key, 16);
	out->state = cur_u32(&c);
	out->flags = cur_u32(&c);
	out->duration = cur_u64(&c);
	out->version = 1;
	if (len >= LEASE_V2_LEN) {
		cur_copy(&c, out->parent_key, 16);
		out->epoch = cur_u16(&c);
		out->version = 2;
	}
	if (cur_err(&c)) {
		memset(out, 0, sizeof(*out));
		return -EBADMSG;
	}
	return 0;
}

int smb2_qfid_rsp_decode(const uint8_t *data, uint32_t len, struct smb2_qfid_rsp *out)
{
	memset(out, 0, sizeof(*out));
	if (len < 32)
		return -EBADMSG;
	out->disk_file_id = get_le64(data);
	out->volume_id = get_le64(data + 8);
	return 0;
}

int smb2_mxac_rsp_decode(const uint8_t *data, uint32_t len, struct smb2_mxac_rsp *out)
{
	memset(out, 0, sizeof(*out));
	if (len < 8)
		return -EBADMSG;
	out->query_status = get_le32(data);
	out->maximal_access = get_le32(data + 4);
	return 0;
}

#define DH2Q_LEN 32
#define DH2C_LEN 36
#define DHNX_LEN 16
#define DH_RSP_LEN 8

int smb2_create_ctx_add_durable(struct wbuf *w, size_t *prev_off, int version, const uint8_t create_guid[16])
{
	uint8_t d[DH2Q_LEN] = {0}; /* v1: 16 reserved bytes; v2: Timeout 0, Flags 0, Reserved 8 */
	if (version == 1)
		return smb2_create_ctx_add(w, prev_off, SMB2_CREATE_DURABLE_HANDLE_REQUEST, d, DHNX_LEN);
	if (version != 2)
		return -EINVAL;
	memcpy(d + 16, create_guid, 16);
	return smb2_create_ctx_add(w, prev_off, SMB2_CREATE_DURABLE_HANDLE_REQUEST_V2, d, DH2Q_LEN);
}

int smb2_create_ctx_add_reconnect(struct wbuf *w, size_t *prev_off, int version, struct smb2_fid fid,
				  const uint8_t create_guid[16])
{
	uint8_t d[DH2C_LEN] = {0};
	put_le64(d, fid.persistent);
	put_le64(d + 8, fid.volatile_);
	if (version == 1)
		return smb2_create_ctx_add(w, prev_off, SMB2_CREATE_DURABLE_HANDLE_RECONNECT, d, DHNX_LEN);
	if (version != 2)
		return -EINVAL;
	memcpy(d + 16, create_guid, 16); /* Flags at 32 stay 0: not persistent */
	return smb2_create_ctx_add(w, prev_off, SMB2_CREATE_DURABLE_HANDLE_RECONNECT_V2, d, DH2C_LEN);
}

int smb2_durable_rsp_decode(const uint8_t *data, uint32_t len, int version, struct smb2_durable_rsp *out)
{
	memset(out, 0, sizeof(*out));
	if ((version != 1 && version != 2) || len < DH_RSP_LEN)
		return -EBADMSG;
	if (version == 2) {
		out->timeout_ms = get_le32(data);
		out->flags = get_le32(data + 4);
	}
	return 0;
}
