/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * notify.h - systemd's readiness protocol (sd_notify(3)) without libsystemd: datagrams such as
 * "READY=1", "STOPPING=1" and "STATUS=..." to the AF_UNIX socket named by $NOTIFY_SOCKET (a path, or
 * "@name" in the abstract namespace). Without that variable every call does nothing.
 *
 * notify_init reads and unsets the variable (programs smbfuse starts must not speak for it); call it
 * once, before any thread exists. notify_send may then be called from any thread: each message is one
 * sendto. Failures are logged at debug level only: systemd not listening is no reason to fail a mount.
 */
#ifndef SMBFUSE_NOTIFY_H
#define SMBFUSE_NOTIFY_H

void notify_init(void);
void notify_send(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
