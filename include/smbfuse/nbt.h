/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nbt.h - NetBIOS over TCP/IP on the network (RFC 1001/1002): opening a NetBIOS session on port 139, and
 * the name service client (NBNS, UDP 137) behind `smbfuse --lookup` and `nbns=`.
 *
 * Part of the xport layer (src/xport/nbt.c), beside conn.c; the packets are the wire layer's (netbios.h).
 * Every function blocks its caller only, up to the timeouts it is given, and keeps no state: any thread
 * may call any of them at once. Nothing here sends a broadcast unless the caller names the broadcast
 * address explicitly (struct nbns_cfg.bcast).
 * Returns: 0 or a negative errno, as documented per function.
 */
#ifndef SMBFUSE_NBT_H
#define SMBFUSE_NBT_H

#include <stdbool.h>
#include <stdint.h>

#include "smbfuse/netbios.h"

/*
 * Connect to host:port and open a NetBIOS session (RFC 1002 5.2.2): SESSION REQUEST with called (suffix
 * 0x20) and calling (suffix 0x00). If the server rejects the called name (NEGATIVE SESSION RESPONSE 0x80
 * or 0x82), reconnect and ask for "*SMBSERVER", which every SMB server answers (MS-CIFS 2.1.1.2). A
 * RETARGET response is followed, at most 3 times. The socket is returned as sock_connect returns it.
 * Errors: those of the TCP connect; -ETIMEDOUT (no answer within timeout_ms, all attempts together);
 * -ECONNREFUSED (the server refused every name: the reason is logged); -EBADMSG (not a session response);
 * -EINVAL (a name that cannot be encoded).
 */
int nbt_session_connect(const char *host, uint16_t port, const char *called, const char *calling, int timeout_ms,
			int send_timeout_ms, int *fd_out);

/* The default called name for host: its first DNS label, upper-cased, cut to 15 bytes; "*SMBSERVER" for
 * an IP address. The default calling name: this machine's host name, the same way. */
void nbt_called_name(const char *host, char out[NB_NAME_MAX + 1]);
void nbt_calling_name(char out[NB_NAME_MAX + 1]);

struct nbns_cfg {
	const char *server; /* NBNS (WINS) server address for unicast queries (nbns=), or NULL */
	const char *bcast;  /* broadcast address to query when server is NULL; NULL then: -EDESTADDRREQ */
	uint16_t port;	    /* 0: 137 */
	int timeout_ms;	    /* per attempt; 0: 1000 */
	int attempts;	    /* 0: 3 (RFC 1002 BCAST_REQ_RETRY_COUNT) */
};

/*
 * NAME QUERY for name<suffix>. On success out holds the positive response (out->naddrs >= 1).
 * -ENOENT: a negative response (the name is not registered); -ETIMEDOUT: no answer after every attempt;
 * -EPROTO: an error other than NAM_ERR; -EDESTADDRREQ: neither server nor bcast; -EINVAL: bad name or
 * address. Answers from other addresses than a unicast server, and with other transaction ids, are
 * ignored.
 */
int nbns_query_name(const struct nbns_cfg *cfg, const char *name, uint8_t suffix, struct nbns_name_rsp *out);

/* NODE STATUS of the host at addr (an IPv4 address; cfg->server and bcast are not used). Errors as above. */
int nbns_node_status(const struct nbns_cfg *cfg, const char *addr, struct nbns_status_rsp *out);

#endif
