/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sock.c - TCP for the Direct TCP transport (MS-SMB2 2.1): connect with a deadline, reads, writes. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "smbfuse/cancel.h"
#include "sock_i.h"
#include "smbfuse/log.h"
#include "smbfuse/util.h"
#include "smbfuse/xport.h"

/* Room for several 8 MiB READ responses; the kernel clamps this to net.core.[rw]mem_max. */
#define SOCK_BUF_BYTES (4 * 1024 * 1024)

static int gai_errno(int rc)
{
	switch (rc) {
	case EAI_NONAME:
#ifdef EAI_NODATA
	case EAI_NODATA:
#endif
		return -ENOENT;
	case EAI_AGAIN:
		return -EAGAIN;
	case EAI_MEMORY:
		return -ENOMEM;
	case EAI_SYSTEM:
		return -errno;
	default:
		return -EHOSTUNREACH;
	}
}

static void sock_tune(int fd, int send_timeout_ms)
{
	int one = 1, buf = SOCK_BUF_BYTES;
	/* Requests are whole frames written at once; Nagle would only add latency to small ones. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	if (send_timeout_ms > 0) {
		struct timeval tv = {.tv_sec = send_timeout_ms / 1000, .tv_usec = (send_timeout_ms % 1000) * 1000};
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
}

/* One address; returns the connected fd or a negative errno. */
static int try_addr(const struct addrinfo *ai, uint64_t deadline)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
	if (fd < 0)
		return -errno;
	int rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
	if (rc < 0 && errno != EINPROGRESS) {
		rc = -errno;
		goto fail;
	}
	while (rc < 0) {
		uint64_t now = now_ms();
		struct pollfd p = {.fd = fd, .events = POLLOUT};
		if (now >= deadline) {
			rc = -ETIMEDOUT;
			goto fail;
		}
		/* In slices: a caller that gives up (cancel.h) need not wait out a blackholed connect. */
		int n = poll(&p, 1, smb_cancel_slice_ms((int)MIN(deadline - now, (uint64_t)INT32_MAX)));
		int c = smb_cancel_check();
		if (c < 0) {
			rc = c;
			goto fail;
		}
		if (n < 0 && errno != EINTR) {
			rc = -errno;
			goto fail;
		}
		if (n <= 0)
			continue;
		int err = 0;
		socklen_t len = sizeof(err);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err) {
			rc = -err;
			goto fail;
		}
		rc = 0;
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0) {
		rc = -errno;
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return rc;
}

int sock_connect(const char *host, uint16_t port, int timeout_ms, int send_timeout_ms, int *fd_out)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
	char service[8];
	*fd_out = -1;
	snprintf(service, sizeof(service), "%u", port);
	int rc = getaddrinfo(host, service, &hints, &res);
	if (rc != 0)
		return gai_errno(rc);
	uint64_t deadline = now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 30000);
	rc = -EHOSTUNREACH;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		int fd = try_addr(ai, deadline);
		if (fd >= 0) {
			sock_tune(fd, send_timeout_ms);
			*fd_out = fd;
			rc = 0;
			break;
		}
		rc = fd;
		if (rc == -ETIMEDOUT)
			break; /* the deadline covers all addresses */
	}
	freeaddrinfo(res);
	return rc;
}

int (*sock_writev_hook)(int fd, struct iovec *iov, int iovcnt) = sock_writev_full;

int sock_read_full(int fd, void *p, size_t n)
{
	uint8_t *b = p;
	while (n) {
		ssize_t k = recv(fd, b, n, 0);
		if (k == 0)
			return -ECONNRESET;
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		b += k;
		n -= (size_t)k;
	}
	return 0;
}

int sock_wait_readable(int fd, int64_t deadline)
{
	for (;;) {
		int64_t left = deadline - (int64_t)now_ms();
		if (left <= 0)
			return 0;
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int r = poll(&p, 1, (int)MIN(left, (int64_t)INT32_MAX));
		if (r >= 0)
			return r;
		if (errno != EINTR)
			return -errno;
	}
}

int sock_read_deadline(int fd, void *p, size_t n, int64_t deadline)
{
	uint8_t *b = p;
	size_t have = 0;
	while (have < n) {
		int r = sock_wait_readable(fd, deadline);
		if (r <= 0)
			return r == 0 ? -ETIMEDOUT : r;
		ssize_t k = recv(fd, b + have, n - have, 0);
		if (k == 0)
			return -ECONNRESET;
		if (k < 0 && errno != EINTR && errno != EAGAIN)
			return -errno;
		have += k > 0 ? (size_t)k : 0;
	}
	return 0;
}

int sock_read_idle(int fd, void *p, size_t n, int idle_ms, size_t *got)
{
	uint8_t *b = p;
	*got = 0;
	while (*got < n) {
		int r = sock_wait_readable(fd, (int64_t)now_ms() + idle_ms);
		if (r <= 0)
			return r == 0 ? -ETIMEDOUT : r;
		ssize_t k = recv(fd, b + *got, n - *got, 0);
		if (k == 0)
			return -ECONNRESET;
		if (k < 0 && errno != EINTR && errno != EAGAIN)
			return -errno;
		*got += k > 0 ? (size_t)k : 0;
	}
	return 0;
}

/* Every byte sent on an SMB connection of this process (xport_bytes_sent). */
static _Atomic uint64_t bytes_sent;

uint64_t xport_bytes_sent(void)
{
	return atomic_load_explicit(&bytes_sent, memory_order_relaxed);
}

int sock_writev_full(int fd, struct iovec *iov, int iovcnt)
{
	while (iovcnt > 0) {
		struct msghdr mh = {.msg_iov = iov, .msg_iovlen = (size_t)iovcnt};
		ssize_t k = sendmsg(fd, &mh, MSG_NOSIGNAL);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			/* SO_SNDTIMEO expired: the frame is half written, the stream is lost. */
			return errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
		}
		atomic_fetch_add_explicit(&bytes_sent, (uint64_t)k, memory_order_relaxed);
		while (iovcnt > 0 && (size_t)k >= iov->iov_len) {
			k -= (ssize_t)iov->iov_len;
			iov++;
			iovcnt--;
		}
		if (iovcnt > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + k;
			iov->iov_len -= (size_t)k;
		}
	}
	return 0;
}
