/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cancel.c - per-thread cancellation tokens and the waits that honour them (contract: cancel.h).
 *
 * Waking. A waiter registers its condition variable in its token, and smb_cancel_fire broadcasts it.
 * The firer must not take the waiter's mutex (its owner's lock order and lifetime are not ours), so a
 * fire that lands between the waiter's check and its sleep would be missed: every wait therefore also
 * sleeps at most CANCEL_SLICE_MS, which bounds that case and is how the end of the mount (a flag set in
 * a signal handler, which can wake nobody) is noticed.
 *
 * Tokens are never freed: libfuse may run an interrupt callback just after the request was answered and
 * its thread has exited. A token of an exited thread goes back to a pool for the next thread; the tag
 * check makes a late fire a no-op. A tag may come back (libfuse reuses request memory), so begin always
 * resets: a caller that begins again within one request must re-arm what may have fired meanwhile (the
 * FUSE glue re-registers its callback, which libfuse runs at once for an interrupted request).
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#include "smbfuse/cancel.h"
#include "smbfuse/util.h"

#define CANCEL_SLICE_MS 200

struct smb_cancel {
	pthread_mutex_t mu;
	const void *tag;   /* mu: the request served */
	atomic_bool fired; /* written under mu */
	pthread_cond_t *cv; /* mu: the wait in progress */
	struct smb_cancel *next_free;
};

static pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;
static struct smb_cancel *pool;
static pthread_key_t key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static _Thread_local struct smb_cancel *mine;

static bool (*_Atomic end_fn)(void *);
static void *_Atomic end_arg;
static _Atomic uint64_t end_by_ms; /* 0: no deadline */

static void give_back(void *p)
{
	struct smb_cancel *t = p;
	pthread_mutex_lock(&t->mu);
	t->tag = NULL;
	pthread_mutex_unlock(&t->mu);
	pthread_mutex_lock(&pool_mu);
	t->next_free = pool;
	pool = t;
	pthread_mutex_unlock(&pool_mu);
}

static void make_key(void)
{
	pthread_key_create(&key, give_back);
}

struct smb_cancel *smb_cancel_begin(const void *tag)
{
	if (!mine) {
		pthread_once(&key_once, make_key);
		pthread_mutex_lock(&pool_mu);
		struct smb_cancel *t = pool;
		if (t)
			pool = t->next_free;
		pthread_mutex_unlock(&pool_mu);
		if (!t) {
			t = calloc(1, sizeof(*t));
			if (!t)
				return NULL;
			pthread_mutex_init(&t->mu, NULL);
		}
		pthread_setspecific(key, t);
		mine = t;
	}
	pthread_mutex_lock(&mine->mu);
	mine->tag = tag;
	atomic_store(&mine->fired, false);
	pthread_mutex_unlock(&mine->mu);
	return mine;
}

void smb_cancel_fire(struct smb_cancel *t, const void *tag)
{
	if (!t)
		return;
	pthread_mutex_lock(&t->mu);
	if (t->tag == tag) {
		atomic_store(&t->fired, true);
		if (t->cv)
			pthread_cond_broadcast(t->cv);
	}
	pthread_mutex_unlock(&t->mu);
}

void smb_cancel_set_end_check(bool (*fn)(void *arg), void *arg)
{
	end_arg = arg;
	end_fn = fn;
}

void smb_cancel_end_within(int ms)
{
	uint64_t by = now_ms() + (uint64_t)(ms > 0 ? ms : 0);
	uint64_t cur = atomic_load(&end_by_ms);
	if (cur == 0 || by < cur)
		atomic_store(&end_by_ms, by);
}

int smb_cancel_check(void)
{
	if (mine && mine->tag) {
		if (atomic_load(&mine->fired))
			return -EINTR;
		bool (*fn)(void *) = end_fn;
		if (fn && fn(end_arg))
			return -ESHUTDOWN;
	}
	uint64_t by = atomic_load(&end_by_ms);
	return by && now_ms() >= by ? -ESHUTDOWN : 0;
}

static void set_cv(pthread_cond_t *cv)
{
	if (!mine)
		return;
	pthread_mutex_lock(&mine->mu);
	mine->cv = cv;
	pthread_mutex_unlock(&mine->mu);
}

int smb_cancel_wait(pthread_cond_t *cv, pthread_mutex_t *mu, const struct timespec *deadline)
{
	int rc = smb_cancel_check();
	if (rc < 0)
		return rc;
	struct timespec slice;
	mono_deadline(&slice, CANCEL_SLICE_MS);
	bool sliced = !deadline || slice.tv_sec < deadline->tv_sec ||
		      (slice.tv_sec == deadline->tv_sec && slice.tv_nsec < deadline->tv_nsec);
	set_cv(cv);
	rc = pthread_cond_timedwait(cv, mu, sliced ? &slice : deadline);
	set_cv(NULL);
	if (rc == ETIMEDOUT && !sliced)
		return -ETIMEDOUT;
	return smb_cancel_check();
}

int smb_cancel_slice_ms(int want_ms)
{
	return want_ms < 0 || want_ms > CANCEL_SLICE_MS ? CANCEL_SLICE_MS : want_ms;
}

void smb_cancel_cond_init(pthread_cond_t *cv)
{
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(cv, &ca);
	pthread_condattr_destroy(&ca);
}
