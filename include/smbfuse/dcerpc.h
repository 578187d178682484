/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dcerpc.h - the few DCE/RPC PDUs (C706 chapter 12, MS-RPCE 2.2.2) and the one srvsvc call (MS-SRVS 3.1.4.8
 * NetrShareEnum, level 1) that share listing needs, carried over a named pipe (\PIPE\srvsvc on IPC$).
 *
 * Wire layer: pure functions, little-endian NDR (drep 0x10), no authentication (the SMB session
 * authenticates the pipe). Encoders append to a wbuf; decoders bound-check everything, return views into
 * the input (valid as long as it is), set their out-params only on success, and return 0, -EBADMSG for
 * malformed bytes or -EPROTO for a well-formed PDU of the wrong kind.
 */
#ifndef SMBFUSE_DCERPC_H
#define SMBFUSE_DCERPC_H

#include <stddef.h>
#include <stdint.h>

#include "smbfuse/cursor.h"

#define DCERPC_HDR_LEN 16
#define DCERPC_PTYPE_REQUEST 0
#define DCERPC_PTYPE_RESPONSE 2
#define DCERPC_PTYPE_FAULT 3
#define DCERPC_PTYPE_BIND 11
#define DCERPC_PTYPE_BIND_ACK 12
#define DCERPC_PTYPE_BIND_NAK 13
#define DCERPC_PFC_FIRST_FRAG 0x01
#define DCERPC_PFC_LAST_FRAG 0x02
/* The fragment size Windows and Samba use on pipes. */
#define DCERPC_MAX_FRAG 4280

struct dcerpc_hdr {
	uint8_t ptype;
	uint8_t flags; /* pfc_flags */
	uint16_t frag_len;
	uint16_t auth_len;
	uint32_t call_id;
};
/* The common header; -EBADMSG unless version 5.0, little-endian NDR and frag_len within [16, n]. */
int dcerpc_hdr_decode(const uint8_t *p, size_t n, struct dcerpc_hdr *out);

/* BIND of one presentation context (id 0) for the srvsvc interface v3.0 with the NDR32 transfer syntax. */
int dcerpc_bind_srvsvc_encode(struct wbuf *w, uint32_t call_id);

struct dcerpc_bind_ack {
	uint16_t max_xmit, max_recv;
	uint16_t result; /* of the first context: 0 accepted, 2 provider rejection */
	uint16_t reason;
	uint16_t nak_reason; /* BIND_NAK only (then result is 2) */
};
/* BIND_ACK or BIND_NAK (p is one whole PDU); -EPROTO for any other type. */
int dcerpc_bind_ack_decode(const uint8_t *p, size_t n, struct dcerpc_bind_ack *out);

/* REQUEST of opnum on context 0, stub as the body, in one fragment. */
int dcerpc_request_encode(struct wbuf *w, uint32_t call_id, uint16_t opnum, const uint8_t *stub, size_t stub_len);

struct dcerpc_response {
	uint8_t flags;	     /* pfc_flags: LAST_FRAG says no more fragments follow */
	uint32_t status;     /* FAULT only: the fault status (nca_s_* / an NTSTATUS); 0 for RESPONSE */
	const uint8_t *stub; /* RESPONSE: this fragment's stub data (view) */
	size_t stub_len;
};
/* One RESPONSE or FAULT fragment (p is one whole PDU) of call_id; -EPROTO for another type or call. */
int dcerpc_response_decode(const uint8_t *p, size_t n, uint32_t call_id, struct dcerpc_response *out);

/* ---- srvsvc NetrShareEnum level 1 (MS-SRVS 2.2.4.23, 3.1.4.8) ---- */

#define SRVSVC_OPNUM_NETR_SHARE_ENUM 15
/* shi1_type (MS-SRVS 2.2.2.4): the low bits are the kind; SPECIAL marks the administrative $ shares. */
#define STYPE_DISKTREE 0x0u
#define STYPE_PRINTQ 0x1u
#define STYPE_DEVICE 0x2u
#define STYPE_IPC 0x3u
#define STYPE_MASK 0xFu
#define STYPE_TEMPORARY 0x40000000u
#define STYPE_SPECIAL 0x80000000u
/* More entries than any server has; a reply claiming more is refused rather than allocated for. */
#define SRVSVC_MAX_SHARES 65536u

/* The request stub: ServerName as given (UTF-8 in, UTF-16 on the wire; the bare name, as smbclient sends
 * it), level 1, everything at once, resume handle 0. */
int srvsvc_share_enum1_req_encode(struct wbuf *w, const char *server);

struct srvsvc_share1 {
	const uint8_t *name; /* UTF-16LE, without the terminating NUL; view into the stub */
	size_t name_len;     /* bytes */
	uint32_t type;	     /* shi1_type */
	const uint8_t *remark;
	size_t remark_len;
};
struct srvsvc_share_enum1_rsp {
	uint32_t count; /* EntriesRead */
	uint32_t total; /* TotalEntries */
	uint32_t werror; /* the call's result: 0, 5 (access denied), 234 (more data) ... */
};
/*
 * The response stub (all fragments joined). Checks the whole reply, then fills shares[0 .. min(count,max))
 * (shares may be NULL with max 0, to learn the count first). A result other than 0 or ERROR_MORE_DATA
 * comes back with count 0 and no entries to read. -EBADMSG for malformed stubs, counts above
 * SRVSVC_MAX_SHARES included.
 */
int srvsvc_share_enum1_rsp_decode(const uint8_t *p, size_t n, struct srvsvc_share1 *shares, size_t max,
				  struct srvsvc_share_enum1_rsp *out);

#endif
