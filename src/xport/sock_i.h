/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sock_i.h - TCP helpers for conn.c: connect with a deadline, full reads, full vectored writes.
 * Blocking sockets after connect; every function returns 0 or a negative errno. No locks, no state.
 */
#ifndef SMBFUSE_XPORT_SOCK_I_H
#define SMBFUSE_XPORT_SOCK_I_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/*
 * Resolve host and connect to the first address that answers within timeout_ms in total. The socket is
 * returned blocking, with TCP_NODELAY, keepalive, large buffers and a send timeout of send_timeout_ms
 * (so a server that stops reading cannot hold the send mutex forever). -ENOENT if the name does not
 * resolve, -ETIMEDOUT, -ECONNREFUSED, -EHOSTUNREACH, ...
 */
int sock_connect(const char *host, uint16_t port, int timeout_ms, int send_timeout_ms, int *fd_out);
/* Read exactly n bytes. -ECONNRESET on EOF. */
int sock_read_full(int fd, void *p, size_t n);
/* Wait until fd is readable or deadline (now_ms() clock) passes: 1, 0 (timeout) or -errno. */
int sock_wait_readable(int fd, int64_t deadline);
/* Read exactly n bytes before deadline: -ETIMEDOUT, -ECONNRESET on EOF. */
int sock_read_deadline(int fd, void *p, size_t n, int64_t deadline);
/* Read exactly n bytes, each within idle_ms of the one before: -ETIMEDOUT when the peer stalls, with the
 * count read so far in *got. -ECONNRESET on EOF. */
int sock_read_idle(int fd, void *p, size_t n, int idle_ms, size_t *got);
/* Write all of iov (modified in place). Never raises SIGPIPE. */
int sock_writev_full(int fd, struct iovec *iov, int iovcnt);
/* What conn.c writes frames with; tests swap it to fail the N-th send. */
extern int (*sock_writev_hook)(int fd, struct iovec *iov, int iovcnt);

#endif
