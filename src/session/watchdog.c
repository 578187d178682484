/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * watchdog.c - the session's own thread (keepalive, durable reconnects) and re-authentication in place.
 *
 * A Kerberos session ends at the server when its service ticket does (Samba: gensec_expire_time; MS-SMB2
 * 3.3.5.5.3, STATUS_NETWORK_SESSION_EXPIRED). Rebuilding the connection then would lose what the session
 * holds (byte-range locks, handles without a durable grant, leases), so the session is re-authenticated on
 * the same connection instead (MS-SMB2 3.2.4.2.3: SESSION_SETUP with its own SessionId, signed with its key;
 * the keys stay): shortly before the end (the ticket a renewed cache holds then gives a later end), and
 * again when a request meets an expired session. Only when that fails is the session rebuilt as after a
 * lost connection, which reports the clear Kerberos error ("run kinit").
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "smbfuse/cancel.h"
#include "smbfuse/log.h"
#include "smbfuse/session.h"
#include "smbfuse/util.h"

#include "session_i.h"

static int64_t mono_ms(void)
{
	return (int64_t)now_ms();
}

/* When to re-authenticate: a quarter of the life (at most a minute) before the end. */
void sess_link_set_lifetime(struct link *l, long life_s)
{
	if (life_s <= 0) {
		l->expires_ms = l->reauth_at_ms = 0;
		return;
	}
	int64_t life = (int64_t)life_s * 1000;
	l->expires_ms = mono_ms() + life;
	l->reauth_at_ms = l->expires_ms - MIN(life / 4, (int64_t)60000);
}

/*
 * Re-authenticate l (s->cur, SESS_UP). Called with s->lock held; released during the exchange, while new
 * callers wait (SESS_REBUILDING); requests already sent go on. 0 or a negative errno (the session is then
 * as before: the caller decides whether to rebuild).
 */
static int reauth_locked(struct sess *s, struct link *l, bool early)
{
	int64_t old_end = l->expires_ms;
	s->state = SESS_REBUILDING;
	l->users++;
	pthread_mutex_unlock(&s->lock);
	struct neg_state ns;
	struct conn_msg final;
	char why[256] = "";
	long life = 0;
	memset(&ns, 0, sizeof(ns));
	int rc = sess_session_setup(s, l, &ns, &final, true, &life, why, sizeof(why));
	free(final.rsp);
	pthread_mutex_lock(&s->lock);
	s->state = SESS_UP;
	pthread_cond_broadcast(&s->cond);
	if (rc == 0) {
		sess_link_set_lifetime(l, life);
		s->reauths++;
		log_info("re-authenticated to %s%s (logon valid for %ld s)", s->unc, early ? " before its end" : "", life);
		/* The same ticket again: nothing newer in the cache. Say so once, try again later. */
		if (early && l->expires_ms && l->expires_ms <= old_end + 2000) {
			if (!s->reauth_warned)
				log_warn("the Kerberos ticket for cifs/%s ends in %ld s and the cache holds no newer one: "
					 "run kinit (or renew it) to keep %s working", s->cfg.host,
					 (long)((l->expires_ms - mono_ms()) / 1000), s->unc);
			s->reauth_warned = true;
			int64_t left = l->expires_ms - mono_ms();
			l->reauth_at_ms = left > 4000 ? mono_ms() + MIN(left / 2, (int64_t)30000) : 0;
		} else {
			s->reauth_warned = false;
		}
	} else {
		log_warn("re-authentication to %s failed: %s", s->unc, why[0] ? why : strerror(-rc));
		if (early)
			l->reauth_at_ms = 0; /* the expired session's requests try once more, then rebuild */
	}
	sess_link_put_locked(s, l);
	return rc;
}

int sess_reauth_expired(struct sess *s, struct link *l, uint64_t seen)
{
	pthread_mutex_lock(&s->lock);
	int rc = 0;
	while (s->state == SESS_REBUILDING && (rc = smb_cancel_wait(&s->cond, &s->lock, NULL)) == 0)
		;
	/* Someone re-authenticated (or rebuilt) since this request was sent: just send it again. */
	if (rc == 0 && s->reauths == seen && s->cur == l && s->state == SESS_UP)
		rc = reauth_locked(s, l, false);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

void sess_renew(struct sess *s, uint64_t seen)
{
	s = sess_top(s);
	pthread_mutex_lock(&s->lock);
	struct link *l = s->state == SESS_UP ? s->cur : NULL;
	if (l)
		l->users++;
	pthread_mutex_unlock(&s->lock);
	if (!l)
		return; /* being rebuilt, or down: the next request waits for that */
	int rc = sess_reauth_expired(s, l, seen);
	pthread_mutex_lock(&s->lock);
	if (rc < 0 && rc != -EINTR && rc != -ESHUTDOWN && s->cur == l && s->state == SESS_UP)
		s->state = SESS_DOWN;
	sess_link_put_locked(s, l);
	pthread_mutex_unlock(&s->lock);
}

uint64_t sess_reauth_count(struct sess *s)
{
	s = sess_top(s);
	pthread_mutex_lock(&s->lock);
	uint64_t n = s->reauths;
	pthread_mutex_unlock(&s->lock);
	return n;
}

/*
 * Keepalive (the kernel client's echo_interval). A server that stops answering without closing the
 * connection (paused, or a path that silently drops packets) would leave every request waiting for its full
 * deadline. Every half interval, if nothing has arrived for a whole one, an ECHO goes out with the interval
 * as its deadline; if it does not come back, the connection is killed, waiters fail as on any loss, and the
 * next request reconnects.
 */
static void watchdog_probe(struct sess *s, struct link *l)
{
	if (conn_idle_ms(l->conn) < (uint64_t)s->cfg.echo_interval_ms)
		return;
	struct wbuf w;
	struct conn_msg m;
	wbuf_init(&w, 0);
	int rc = smb2_echo_req_encode(&w);
	if (rc == 0)
		rc = sess_link_call1(l, SMB2_ECHO, &w, false, &m, NULL, NULL, s->cfg.echo_interval_ms);
	wbuf_free(&w);
	if (rc == 0) {
		free(m.rsp);
		return;
	}
	if (rc == -ETIMEDOUT) {
		log_warn("%s did not answer an echo within %d s; dropping the connection", s->cfg.host,
			 s->cfg.echo_interval_ms / 1000);
		conn_kill(l->conn, -ETIMEDOUT);
	}
}

/*
 * Open durable handles wait at the server only for its durable timeout (Samba: 60 s): the watchdog takes
 * them back as soon as the server answers again, not when an application next touches the mount (a copy
 * blocked on its own write-back, an editor left open). Without them, the next request reconnects.
 */
static bool wants_durable_reconnect_locked(struct sess *s)
{
	if (atomic_load(&s->durable) <= 0 || s->state == SESS_REBUILDING)
		return false;
	return s->state == SESS_DOWN || (s->state == SESS_UP && s->cur && !conn_alive(s->cur->conn));
}

void *sess_watchdog_main(void *arg)
{
	struct sess *s = arg;
	pthread_mutex_lock(&s->lock);
	while (!s->stopping) {
		int64_t wake = mono_ms() + s->cfg.echo_interval_ms / 2;
		bool reauth_first = s->state == SESS_UP && s->cur && s->cur->reauth_at_ms &&
				    s->cur->reauth_at_ms < wake;
		if (reauth_first)
			wake = s->cur->reauth_at_ms;
		struct timespec ts = {.tv_sec = (time_t)(wake / 1000), .tv_nsec = (long)(wake % 1000) * 1000000};
		pthread_cond_timedwait(&s->stop_cond, &s->lock, &ts);
		if (s->stopping)
			continue;
		if (wants_durable_reconnect_locked(s)) {
			(void)sess_rebuild_locked(s); /* one attempt; the outage state keeps the backoff and says why */
			continue;
		}
		if (s->state != SESS_UP || !s->cur)
			continue;
		struct link *l = s->cur;
		if (l->reauth_at_ms && mono_ms() >= l->reauth_at_ms && conn_alive(l->conn)) {
			(void)reauth_locked(s, l, true);
			continue;
		}
		l->users++;
		pthread_mutex_unlock(&s->lock);
		watchdog_probe(s, l);
		pthread_mutex_lock(&s->lock);
		sess_link_put_locked(s, l);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}
