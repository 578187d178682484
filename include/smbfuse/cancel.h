/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cancel.h - ending a blocked wait early: a FUSE request's caller got a signal (INTERRUPT), or the mount
 * is ending. Generic: the FUSE glue marks which request a thread serves and fires it; the transport and
 * session layers wait through smb_cancel_wait; neither learns of the other (doc/interrupt.md).
 *
 * Each thread has one token. A FUSE worker calls smb_cancel_begin(req) when it starts serving req; the
 * interrupt callback calls smb_cancel_fire(token, req) from another thread. Every wait the request makes
 * from then on ends at once with -EINTR, so a request that gave up gives up everywhere.
 * The mount ending (smb_cancel_set_end_check returns true) ends every wait of a thread that serves a
 * request with -ESHUTDOWN; smb_cancel_end_within(ms) bounds every wait of every thread (the teardown).
 */
#ifndef SMBFUSE_CANCEL_H
#define SMBFUSE_CANCEL_H

#include <pthread.h>
#include <stdbool.h>
#include <time.h>

struct smb_cancel;

/* The calling thread's token, now serving tag (a fuse_req_t), not fired. NULL without memory. */
struct smb_cancel *smb_cancel_begin(const void *tag);
/* Fire t if it still serves tag. Any thread; no lock of a waiter's may be held. */
void smb_cancel_fire(struct smb_cancel *t, const void *tag);
/* fn(arg) true: the mount is ending (polled; it must only read a flag). Set once, before requests. */
void smb_cancel_set_end_check(bool (*fn)(void *arg), void *arg);
/* From now on every wait, on any thread, ends within ms (then -ESHUTDOWN). */
void smb_cancel_end_within(int ms);
/* 0, -EINTR (this thread's request was interrupted) or -ESHUTDOWN (the mount is ending). */
int smb_cancel_check(void);
/*
 * pthread_cond_timedwait on cv (CLOCK_MONOTONIC) and mu (held) until deadline (NULL: none) that also ends
 * on smb_cancel_check. Returns 0 (woken, or a slice passed: re-check the condition), -ETIMEDOUT, or
 * smb_cancel_check's error.
 */
int smb_cancel_wait(pthread_cond_t *cv, pthread_mutex_t *mu, const struct timespec *deadline);
/* Initialise cv on CLOCK_MONOTONIC, the clock smb_cancel_wait's deadlines and slices use. */
void smb_cancel_cond_init(pthread_cond_t *cv);
/* How long a poll() loop may sleep (at most want_ms, negative for no limit) before checking again. */
int smb_cancel_slice_ms(int want_ms);

#endif
