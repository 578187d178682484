/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "smbfuse/log.h"

static _Atomic int cur_level = LOG_LVL_WARN;
static _Atomic bool to_syslog;

void log_set_level(enum log_level lvl)
{
	cur_level = lvl;
}

enum log_level log_get_level(void)
{
	return (enum log_level)cur_level;
}

void log_use_syslog(const char *ident)
{
	openlog(ident, LOG_PID, LOG_DAEMON);
	to_syslog = true;
}

void log_msg(enum log_level lvl, const char *func, const char *fmt, ...)
{
	static const char *const names[] = {"error", "warning", "info", "debug"};
	static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
	if ((int)lvl > cur_level)
		return;
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (to_syslog) {
		syslog(prio[lvl], "%s", msg);
		return;
	}
	char line[1200];
	int n = lvl >= LOG_LVL_DEBUG ? snprintf(line, sizeof(line), "smbfuse: %s: %s: %s\n", names[lvl], func, msg)
				     : snprintf(line, sizeof(line), "smbfuse: %s: %s\n", names[lvl], msg);
	if (n > (int)sizeof(line) - 1)
		n = (int)sizeof(line) - 1;
	if (n > 0 && write(STDERR_FILENO, line, (size_t)n) < 0) {
		/* Nowhere left to report a failed log write. */
	}
}
