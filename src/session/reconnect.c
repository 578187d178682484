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
 * reconnect attempt per backoff interval, until it answers, its caller gives up (FUSE INTERRUPT: a signal,
 * kill -9 included) or the mount is ending (cancel.h: libfuse joins its workers at the end, so a worker
 * that kept waiting would keep the daemon, and the unmount, alive for as long as the server stays away).
 * Requests that were in flight when the connection died are not resent blindly: that would run a rename or
 * a write twice; only those the caller judges safe are, as without hard.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "smbfuse/cancel.h"
#include "smbfuse/log.h"
#include "smbfuse/notify.h"
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

int sess_outage_backoff_locked(const struct sess_outage *o)
{
	if (o->last_err && now_ms() - o->last_fail_ms < SESS_RECONNECT_BACKOFF_MS)
		return o->last_err;
	return 0;
}

void sess_outage_lost_locked(struct sess_outage *o)
{
	/* The transport logs the cause at info level; the user hears of it once per outage, here. */
	if (o->last_err == 0) {
		log_warn("connection to %s lost; reconnecting", o->unc);
		notify_send("STATUS=connection to %s lost; reconnecting", o->unc); /* systemctl status */
	}
}

int sess_outage_failed_locked(struct sess_outage *o, int rc, const char *why)
{
	/* The caller gave up, not the server: no verdict on it, and no backoff for the others. */
	if (rc == -EINTR || rc == -ESHUTDOWN)
		return rc;
	log_warn("reconnect to %s failed: %s", o->unc, why && *why ? why : strerror(-rc));
	notify_send("STATUS=reconnect to %s failed: %s", o->unc, why && *why ? why : strerror(-rc));
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
	notify_send("STATUS=reconnected to %s", o->unc);
}

int sess_outage_wait_locked(struct sess_outage *o, pthread_mutex_t *lock, int rc)
{
	if (!o->hard || rc == -EINTR || rc == -ESHUTDOWN)
		return rc;
	int c = smb_cancel_check();
	if (c < 0)
		return c;
	if (!o->warned) {
		log_warn("%s is not responding; still trying (hard mount)", o->host);
		notify_send("STATUS=%s is not responding; still trying (hard mount)", o->host);
		o->warned = true;
	}
	struct timespec ts;
	mono_deadline(&ts, SESS_RECONNECT_BACKOFF_MS);
	while ((c = smb_cancel_wait(&o->cond, lock, &ts)) == 0)
		;
	return c == -ETIMEDOUT ? 0 : c;
}
