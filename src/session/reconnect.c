/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What a mount does while its server is unreachable (session.h, struct sess_outage), one policy for the SMB2
 * session (session.c) and the SMB1 link (src/proto/smb1_link.c), so that soft and hard, and the log lines an
 * administrator greps for, mean the same whatever the dialect.
 *
 * Storms. After a failed rebuild, callers within SESS_RECONNECT_BACKOFF_MS get the same error at once instead
 * of each trying again, so a dead server costs one connect attempt per interval, not one per FUSE request.
 *
 * hard (mount.cifs's option). Instead of failing while the server is unreachable, a caller waits for it, one
 * reconnect attempt per backoff interval, until it answers or the mount is ending. The stop check is polled
 * once per interval rather than signalled: the mount ends in libfuse's SIGTERM handler, where nothing but
 * a flag may be set, and libfuse then joins its workers, so a worker that kept waiting would keep the daemon
 * (and the unmount) alive for as long as the server stays away. Requests that were in flight when the
 * connection died are not resent blindly: that would run a rename or a write twice; only those the caller
 * judges safe are, as without hard.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "smbfuse/log.h"
#include "smbfuse/session.h"
#include "smbfuse/util.h"

void sess_outage_init(struct sess_outage *o, const char *host, const char *unc, bool hard)
{
	memset(o, 0, sizeof(*o));
	o->host = host;
	o->unc = unc;
	o->hard = hard;
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&o->cond, &ca);
	pthread_condattr_destroy(&ca);
}

void sess_outage_destroy(struct sess_outage *o)
{
	pthread_cond_destroy(&o->cond);
}

void sess_outage_set_stop_locked(struct sess_outage *o, sess_stop_fn fn, void *arg)
{
	o->stop = fn;
	o->stop_arg = arg;
}

int sess_outage_backoff_locked(const struct sess_outage *o)
{
	if (o->last_err && now_ms() - o->last_fail_ms < SESS_RECONNECT_BACKOFF_MS)
		return o->last_err;
	return 0;
}

void sess_outage_lost_locked(struct sess_outage *o)
{
	/* The transport logs the cause at info level; the user hears of it once per outage, here. */
	if (o->last_err == 0)
		log_warn("connection to %s lost; reconnecting", o->unc);
}

int sess_outage_failed_locked(struct sess_outage *o, int rc, const char *why)
{
	log_warn("reconnect to %s failed: %s", o->unc, why && *why ? why : strerror(-rc));
	/* A refused logon is worth telling apart: the server is there, the credentials are not accepted. */
	o->last_err = rc == -EACCES ? -EACCES : -EHOSTDOWN;
	o->last_fail_ms = now_ms();
	return o->last_err;
}

void sess_outage_over_locked(struct sess_outage *o, uint64_t gen)
{
	if (o->warned)
		log_warn("%s is responding again", o->host);
	o->warned = false;
	o->last_err = 0;
	log_info("reconnected to %s (generation %llu)", o->unc, (unsigned long long)gen);
}

static bool stopping(const struct sess_outage *o)
{
	return o->stop && o->stop(o->stop_arg);
}

bool sess_outage_wait_locked(struct sess_outage *o, pthread_mutex_t *lock)
{
	if (!o->hard || stopping(o))
		return false;
	if (!o->warned) {
		log_warn("%s is not responding; still trying (hard mount)", o->host);
		o->warned = true;
	}
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t ns = (uint64_t)ts.tv_nsec + (uint64_t)SESS_RECONNECT_BACKOFF_MS * 1000000;
	ts.tv_sec += (time_t)(ns / 1000000000);
	ts.tv_nsec = (long)(ns % 1000000000);
	pthread_cond_timedwait(&o->cond, lock, &ts);
	return !stopping(o);
}
