/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * log.h - one logging entry point for every layer.
 *
 * Log once, in the layer that decides (DESIGN B5). Messages go to stderr until log_use_syslog() is called
 * (the daemon calls it after it detaches). Never pass a password, hash or key to these macros.
 * Thread-safe: each message is written with a single write/syslog call.
 */
#ifndef SMBFUSE_LOG_H
#define SMBFUSE_LOG_H

#include <stdbool.h>

enum log_level { LOG_LVL_ERR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

void log_set_level(enum log_level lvl);
enum log_level log_get_level(void);
void log_use_syslog(const char *ident);
void log_msg(enum log_level lvl, const char *func, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_err(...) log_msg(LOG_LVL_ERR, __func__, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __func__, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __func__, __VA_ARGS__)
/* The argument list is not evaluated unless debugging is on, so debug logging costs nothing otherwise. */
#define log_dbg(...)                                                                                         \
	do {                                                                                                 \
		if (log_get_level() >= LOG_LVL_DEBUG)                                                        \
			log_msg(LOG_LVL_DEBUG, __func__, __VA_ARGS__);                                       \
	} while (0)

#endif
