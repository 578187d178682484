/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * netbios.h - NetBIOS over TCP/IP codecs (RFC 1001/1002): the session service frames that carry SMB on
 * port 139, and the name service (NBNS, UDP 137) packets for name queries and node status.
 *
 * Part of the wire layer: pure functions over buffers, using only cursor.h. Decoders treat their input as
 * hostile: every length and count is checked against the bytes present, compression pointers are followed
 * at most once and only backwards, and out-parameters are cleared on entry and filled only on success.
 * All NetBIOS integers are big-endian (network order), unlike SMB.
 *
 * Names: a NetBIOS name is up to 15 bytes plus a one-byte suffix (the service: 0x20 file server, 0x00
 * workstation). Encoders upper-case ASCII letters, as Windows and Samba do, and pad with spaces; the
 * wildcard "*" of a node status query is padded with NULs (RFC 1002 4.2.18).
 * Returns: 0, -EINVAL (bad argument: empty or too long a name), -EBADMSG (malformed input), -EPROTO
 * (well-formed but not what was asked for), or the writer's sticky error.
 */
#ifndef SMBFUSE_NETBIOS_H
#define SMBFUSE_NETBIOS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "smbfuse/cursor.h"

#define NB_NAME_MAX 15
#define NB_SUFFIX_WORKSTATION 0x00
#define NB_SUFFIX_SERVER 0x20
#define NB_SMBSERVER "*SMBSERVER" /* the generic called name every SMB server answers (MS-CIFS 2.1.1.2) */

/* Session service packet types, RFC 1002 4.3.1. */
#define NBSS_MESSAGE 0x00
#define NBSS_SESSION_REQUEST 0x81
#define NBSS_POSITIVE_RSP 0x82
#define NBSS_NEGATIVE_RSP 0x83
#define NBSS_RETARGET_RSP 0x84
#define NBSS_KEEPALIVE 0x85

/* NEGATIVE SESSION RESPONSE error codes, RFC 1002 4.3.4. */
#define NBSS_ERR_NOT_LISTENING_CALLED 0x80
#define NBSS_ERR_NOT_LISTENING_CALLING 0x81
#define NBSS_ERR_CALLED_NOT_PRESENT 0x82
#define NBSS_ERR_INSUFFICIENT_RESOURCES 0x83
#define NBSS_ERR_UNSPECIFIED 0x8F

#define NBSS_HDR_SIZE 4

/* Append a first-level encoded name (RFC 1001 14.1, RFC 1002 4.1: 0x20, 32 half-ASCII bytes, no scope, 0). */
int nb_name_encode(struct wbuf *w, const char *name, uint8_t suffix);
/*
 * Read an encoded name at c's position into name (NUL-terminated, trailing spaces and NULs removed) and
 * *suffix. A scope is skipped. A compression pointer (RFC 1002 4.1, as in DNS) is followed once, to an
 * earlier offset of c's buffer, which must hold a plain name.
 */
int nb_name_decode(struct cur *c, char name[NB_NAME_MAX + 1], uint8_t *suffix);

/* SESSION REQUEST (RFC 1002 4.3.2): called name with suffix 0x20, calling name with suffix 0x00. */
int nbss_session_req_encode(struct wbuf *w, const char *called, const char *calling);
/* SESSION KEEP ALIVE (RFC 1002 4.3.7). */
int nbss_keepalive_encode(struct wbuf *w);

struct nbss_session_rsp {
	uint8_t type;		/* NBSS_POSITIVE_RSP, NBSS_NEGATIVE_RSP or NBSS_RETARGET_RSP */
	uint8_t error;		/* NBSS_ERR_* of a negative response */
	uint8_t retarget_ip[4]; /* network order, retarget only */
	uint16_t retarget_port;
};
/* Decode the whole answer to a SESSION REQUEST, header included (RFC 1002 4.3.3-4.3.5). Any other type,
 * or a length other than the one its type has, is -EBADMSG. */
int nbss_session_rsp_decode(const uint8_t *p, size_t n, struct nbss_session_rsp *out);
/* Length of the frame whose 4-byte header is p (17 bits: RFC 1002 4.3.1's E flag is the top bit). */
int nbss_hdr_decode(const uint8_t *p, size_t n, uint8_t *type, uint32_t *len);

/* Name service (RFC 1002 4.2). */
#define NBNS_PORT 137
#define NBNS_TYPE_NB 0x0020
#define NBNS_TYPE_NBSTAT 0x0021
#define NBNS_CLASS_IN 0x0001
#define NBNS_RCODE_NAM_ERR 3   /* the name does not exist */
#define NBNS_NAME_GROUP 0x8000 /* NB_FLAGS / NAME_FLAGS: a group name */
#define NBNS_MAX_ADDRS 16
#define NBNS_MAX_NAMES 64

/* NAME QUERY REQUEST (4.2.12), recursion desired; broadcast sets the B flag. */
int nbns_name_query_encode(struct wbuf *w, uint16_t trn_id, const char *name, uint8_t suffix, bool broadcast);
/* NODE STATUS REQUEST (4.2.17) for the wildcard name "*". */
int nbns_node_status_encode(struct wbuf *w, uint16_t trn_id);

struct nbns_addr {
	uint16_t nb_flags;
	uint8_t ip[4]; /* network order */
};

struct nbns_name_rsp {
	uint16_t trn_id;
	uint8_t rcode; /* 0: positive response; NBNS_RCODE_* otherwise, and naddrs is 0 */
	char name[NB_NAME_MAX + 1];
	uint8_t suffix;
	uint32_t ttl;
	unsigned naddrs; /* at most NBNS_MAX_ADDRS; more are dropped */
	struct nbns_addr addrs[NBNS_MAX_ADDRS];
};
/* POSITIVE / NEGATIVE NAME QUERY RESPONSE (4.2.13, 4.2.14). A request, a WACK or any other opcode is
 * -EPROTO, so a caller waiting for its answer can ignore it. */
int nbns_name_query_rsp_decode(const uint8_t *p, size_t n, struct nbns_name_rsp *out);

struct nbns_node_name {
	char name[NB_NAME_MAX + 1];
	uint8_t suffix;
	uint16_t flags; /* NAME_FLAGS: NBNS_NAME_GROUP, ONT, DRG, CNF, ACT, PRM */
};

struct nbns_status_rsp {
	uint16_t trn_id;
	unsigned nnames; /* at most NBNS_MAX_NAMES; more are dropped */
	struct nbns_node_name names[NBNS_MAX_NAMES];
	bool has_unit_id;
	uint8_t unit_id[6]; /* the MAC address, if the STATISTICS field carries one */
};
/* NODE STATUS RESPONSE (4.2.18). */
int nbns_node_status_rsp_decode(const uint8_t *p, size_t n, struct nbns_status_rsp *out);

#endif
