/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NetBIOS session establishment (RFC 1002 5.2.2, MS-CIFS 2.1.1.2) and the NBNS query client (RFC 1002
 * 5.1.1, 4.2.12-4.2.18).
 *
 * Why "*SMBSERVER": a client that reaches a server by address or by a DNS name does not know its NetBIOS
 * name, and guessing from the DNS label fails for aliases. Windows servers answer a guessed name they do
 * not own with NEGATIVE SESSION RESPONSE "called name not present" and close the connection, so the
 * retry needs a fresh connection. smbd accepts any called name, so the retry only shows against Windows
 * and NAS firmware (tests use a scripted responder).
 *
 * The name service client waits with poll() on a deadline and retransmits after each per-attempt
 * timeout, as RFC 1002 prescribes (BCAST_REQ_RETRY_TIMEOUT, BCAST_REQ_RETRY_COUNT); it never sleeps.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "smbfuse/log.h"
#include "smbfuse/nbt.h"
#include "smbfuse/util.h"
#include "sock_i.h"

#define NBT_MAX_RETARGETS 3
#define NBNS_MAX_PACKET 1500

/* One SESSION REQUEST on a connected socket, and its answer. */
static int session_request(int fd, const char *called, const char *calling, int64_t deadline,
			   struct nbss_session_rsp *rsp)
{
	struct wbuf w;
	uint8_t buf[NBSS_HDR_SIZE + 6];
	uint8_t type;
	uint32_t len;
	wbuf_init(&w, 0);
	int rc = nbss_session_req_encode(&w, called, calling);
	if (rc == 0) {
		struct iovec iov = {.iov_base = w.p, .iov_len = w.len};
		rc = sock_writev_full(fd, &iov, 1);
	}
	wbuf_free(&w);
	if (rc == 0)
		rc = sock_read_deadline(fd, buf, NBSS_HDR_SIZE, deadline);
	if (rc == 0)
		rc = nbss_hdr_decode(buf, NBSS_HDR_SIZE, &type, &len);
	if (rc == 0 && len > sizeof(buf) - NBSS_HDR_SIZE)
		rc = -EBADMSG;
	if (rc == 0)
		rc = sock_read_deadline(fd, buf + NBSS_HDR_SIZE, len, deadline);
	return rc ? rc : nbss_session_rsp_decode(buf, NBSS_HDR_SIZE + len, rsp);
}

static bool called_name_rejected(const struct nbss_session_rsp *r)
{
	return r->type == NBSS_NEGATIVE_RSP &&
	       (r->error == NBSS_ERR_NOT_LISTENING_CALLED || r->error == NBSS_ERR_CALLED_NOT_PRESENT);
}

/* Connect and ask for one called name, following retargets. 1: the called name was rejected. */
static int session_try(const char *host, uint16_t port, const char *called, const char *calling, int64_t deadline,
		       int send_timeout_ms, int *fd_out)
{
	char addr[INET_ADDRSTRLEN];
	for (int hop = 0; hop <= NBT_MAX_RETARGETS; hop++) {
		int fd, left = (int)(deadline - (int64_t)now_ms());
		struct nbss_session_rsp r;
		if (left <= 0)
			return -ETIMEDOUT;
		int rc = sock_connect(host, port, left, send_timeout_ms, &fd);
		if (rc < 0)
			return rc;
		rc = session_request(fd, called, calling, deadline, &r);
		if (rc == 0 && r.type == NBSS_POSITIVE_RSP) {
			*fd_out = fd;
			return 0;
		}
		close(fd);
		if (rc < 0)
			return rc;
		if (r.type == NBSS_RETARGET_RSP) {
			inet_ntop(AF_INET, r.retarget_ip, addr, sizeof(addr));
			log_info("NetBIOS session to %s:%u retargeted to %s:%u", host, port, addr, r.retarget_port);
			host = addr;
			port = r.retarget_port;
			continue;
		}
		log_info("%s:%u refused the NetBIOS session for called name %s: error 0x%02x", host, port, called,
			 r.error);
		return called_name_rejected(&r) ? 1 : -ECONNREFUSED;
	}
	log_warn("NetBIOS session to %s: too many retargets", host);
	return -ECONNREFUSED;
}

int nbt_session_connect(const char *host, uint16_t port, const char *called, const char *calling, int timeout_ms,
			int send_timeout_ms, int *fd_out)
{
	*fd_out = -1;
	int64_t deadline = (int64_t)now_ms() + (timeout_ms > 0 ? timeout_ms : 10000);
	int rc = session_try(host, port, called, calling, deadline, send_timeout_ms, fd_out);
	if (rc == 1 && strcmp(called, NB_SMBSERVER) != 0)
		rc = session_try(host, port, NB_SMBSERVER, calling, deadline, send_timeout_ms, fd_out);
	return rc == 1 ? -ECONNREFUSED : rc;
}

/* The first label of s, upper-cased, at most 15 bytes; "*SMBSERVER" if empty. */
static void first_label(const char *s, char out[NB_NAME_MAX + 1])
{
	size_t n = 0;
	for (; s && s[n] && s[n] != '.' && n < NB_NAME_MAX; n++)
		out[n] = (char)toupper((unsigned char)s[n]);
	out[n] = 0;
	if (n == 0)
		snprintf(out, NB_NAME_MAX + 1, "%s", NB_SMBSERVER);
}

void nbt_called_name(const char *host, char out[NB_NAME_MAX + 1])
{
	if (!host || host_is_address(host))
		snprintf(out, NB_NAME_MAX + 1, "%s", NB_SMBSERVER);
	else
		first_label(host, out);
}

void nbt_calling_name(char out[NB_NAME_MAX + 1])
{
	char h[256] = "";
	if (gethostname(h, sizeof(h) - 1) < 0 || !h[0])
		snprintf(h, sizeof(h), "SMBFUSE");
	first_label(h, out);
}

/* ---- name service ---- */

typedef int (*nbns_decode_fn)(const uint8_t *p, size_t n, void *out, uint16_t trn_id);

static int decode_query(const uint8_t *p, size_t n, void *out, uint16_t trn_id)
{
	struct nbns_name_rsp *r = out;
	int rc = nbns_name_query_rsp_decode(p, n, r);
	return rc == 0 && r->trn_id != trn_id ? -EPROTO : rc;
}

static int decode_status(const uint8_t *p, size_t n, void *out, uint16_t trn_id)
{
	struct nbns_status_rsp *r = out;
	int rc = nbns_node_status_rsp_decode(p, n, r);
	return rc == 0 && r->trn_id != trn_id ? -EPROTO : rc;
}

/* Wait for the answer to one transmission: 0, -ETIMEDOUT, or a socket error. Strays are ignored. */
static int nbns_wait(int fd, const struct sockaddr_in *from_only, int64_t deadline, nbns_decode_fn dec, void *out,
		     uint16_t trn_id)
{
	uint8_t pkt[NBNS_MAX_PACKET];
	for (;;) {
		int r = sock_wait_readable(fd, deadline);
		if (r <= 0)
			return r == 0 ? -ETIMEDOUT : r;
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t k = recvfrom(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&from, &fl);
		if (k < 0) {
			/* ICMP port unreachable from a unicast peer: nobody serves names there. */
			if (errno == ECONNREFUSED)
				return -ETIMEDOUT;
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		if (from_only && from.sin_addr.s_addr != from_only->sin_addr.s_addr)
			continue;
		if (dec(pkt, (size_t)k, out, trn_id) == 0)
			return 0;
	}
}

static int nbns_exchange(const struct nbns_cfg *cfg, const char *dest, bool bcast, const struct wbuf *req,
			 nbns_decode_fn dec, void *out, uint16_t trn_id)
{
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(cfg->port ? cfg->port : NBNS_PORT)};
	if (inet_pton(AF_INET, dest, &to.sin_addr) != 1)
		return -EINVAL;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int one = 1, rc = -ETIMEDOUT;
	if (bcast && setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) < 0)
		rc = -errno;
	int attempts = cfg->attempts > 0 ? cfg->attempts : 3, per = cfg->timeout_ms > 0 ? cfg->timeout_ms : 1000;
	for (int i = 0; i < attempts && rc == -ETIMEDOUT; i++) {
		if (sendto(fd, req->p, req->len, 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
			rc = -errno;
			break;
		}
		rc = nbns_wait(fd, bcast ? NULL : &to, (int64_t)now_ms() + per, dec, out, trn_id);
	}
	close(fd);
	return rc;
}

static uint16_t new_trn_id(void)
{
	uint16_t id = 0;
	if (getrandom(&id, sizeof(id), 0) != (ssize_t)sizeof(id))
		id = (uint16_t)(int64_t)now_ms();
	return id;
}

int nbns_query_name(const struct nbns_cfg *cfg, const char *name, uint8_t suffix, struct nbns_name_rsp *out)
{
	memset(out, 0, sizeof(*out));
	const char *dest = cfg->server ? cfg->server : cfg->bcast;
	if (!dest)
		return -EDESTADDRREQ;
	struct wbuf w;
	uint16_t id = new_trn_id();
	wbuf_init(&w, 0);
	int rc = nbns_name_query_encode(&w, id, name, suffix, !cfg->server);
	if (rc == 0)
		rc = nbns_exchange(cfg, dest, !cfg->server, &w, decode_query, out, id);
	wbuf_free(&w);
	if (rc == 0 && out->rcode)
		rc = out->rcode == NBNS_RCODE_NAM_ERR ? -ENOENT : -EPROTO;
	if (rc < 0)
		memset(out, 0, sizeof(*out));
	return rc;
}

int nbns_node_status(const struct nbns_cfg *cfg, const char *addr, struct nbns_status_rsp *out)
{
	memset(out, 0, sizeof(*out));
	struct wbuf w;
	uint16_t id = new_trn_id();
	wbuf_init(&w, 0);
	int rc = nbns_node_status_encode(&w, id);
	if (rc == 0)
		rc = nbns_exchange(cfg, addr, false, &w, decode_status, out, id);
	wbuf_free(&w);
	if (rc < 0)
		memset(out, 0, sizeof(*out));
	return rc;
}
