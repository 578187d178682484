/* SPDX-License-Identifier: GPL-2.0-or-later */
/* notify.c - sd_notify's datagram protocol (contract: include/smbfuse/notify.h). */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "smbfuse/log.h"
#include "smbfuse/notify.h"

static int notify_fd = -1;
static struct sockaddr_un notify_addr;
static socklen_t notify_len;

void notify_init(void)
{
	const char *path = getenv("NOTIFY_SOCKET");
	size_t n;
	if (!path || (path[0] != '/' && path[0] != '@') || (n = strlen(path)) >= sizeof(notify_addr.sun_path)) {
		if (path)
			log_warn("NOTIFY_SOCKET=%s is not a socket path or @name; not notifying systemd", path);
		unsetenv("NOTIFY_SOCKET");
		return;
	}
	memset(&notify_addr, 0, sizeof(notify_addr));
	notify_addr.sun_family = AF_UNIX;
	memcpy(notify_addr.sun_path, path, n);
	if (path[0] == '@')
		notify_addr.sun_path[0] = 0; /* abstract namespace: the name is not NUL-terminated */
	notify_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (path[0] == '/'));
	notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (notify_fd < 0)
		log_warn("cannot create the systemd notification socket: %s", strerror(errno));
	unsetenv("NOTIFY_SOCKET");
}

void notify_send(const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	if (notify_fd < 0)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(msg))
		n = sizeof(msg) - 1;
	if (sendto(notify_fd, msg, (size_t)n, MSG_NOSIGNAL, (struct sockaddr *)&notify_addr, notify_len) < 0)
		log_dbg("systemd notification \"%.*s\" not sent: %s", n, msg, strerror(errno));
}
