/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * conn_i.h - struct conn and its requests, shared by conn.c (the callers' side: submit, wait, send) and
 * conn_rx.c (the receive thread: frames in, completions out). Private to src/xport. Locking as in conn.c.
 */
#ifndef SMBFUSE_XPORT_CONN_I_H
#define SMBFUSE_XPORT_CONN_I_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine_i.h"
#include "smbfuse/xport.h"

struct conn_async {
	struct xcall x;	  /* guarded by c->mu while x.in_engine; the finisher's afterwards */
	pthread_cond_t cv; /* signalled (under c->mu) when finished */
	atomic_int refs;
	bool finished;	/* c->mu */
	bool abandoned; /* c->mu: the conn_call waiter has gone */
	/* conn_submit only; set before submit, read-only afterwards. */
	conn_done_fn done;
	void *arg;
	struct conn_msg *umsg;
	uint64_t t0_us; /* submit time, taken only when debug logging is on (the request trace) */
};

struct conn {
	struct conn_cfg cfg; /* read-only after conn_new */
	char *host;
	int fd;			 /* read-only after conn_new; shut down (not closed) to wake threads */
	pthread_t rx;		 /* read-only */
	pthread_mutex_t mu;	 /* the state mutex; see the lock notes above */
	pthread_cond_t credit_cv; /* mu: credits may have grown, or the connection died */
	pthread_cond_t idle_cv;	  /* mu: users dropped to 0 while closing */
	pthread_mutex_t send_mu;  /* whole frames on fd */
	struct xeng *e;		  /* mu */
	bool dead;		  /* mu: the receive thread has failed everything */
	bool closing;		  /* mu: conn_free has started */
	int kill_err;		  /* mu: first reason given to conn_kill */
	unsigned users;		  /* mu: threads inside conn_call/submit/cancel */
	struct xport_signer signer; /* mu; copied out before use */
	bool has_signer;	    /* mu */
	struct xport_transform xf;  /* mu; copied out before use */
	bool seal;		    /* mu: encrypt every request (xf installed) */
	_Atomic uint64_t last_rx_ms; /* now_ms() when the last frame arrived; written by the receive thread */
	_Atomic size_t max_frame;    /* longest frame the server may send; see conn_set_max_frame */
	uint8_t *first_rsp;	     /* the reply to cfg.first_req until taken; written before rx starts */
	size_t first_rsp_len;
};

/* What a send needs, copied under c->mu so that signing, sealing and writing run unlocked. */
struct txsnap {
	struct xport_signer sig;
	struct xport_transform xf;
	bool seal;
};

/* Copy what a send needs; c->mu held. */
void conn_snap_locked(struct conn *c, struct txsnap *t);
uint64_t conn_now_us(void);
/* Drop one reference to r; the last frees it. */
void conn_creq_put(struct conn_async *r);
/* Move r's results to msgs (ownership of rsp moves too); the first negative per-message error. */
int conn_creq_results(struct conn_async *r, struct conn_msg *msgs);

/* conn_rx.c */
/* The receive thread: reads frames until the connection dies, then fails everything (rx_die). */
void *conn_rx_main(void *arg);
/* cfg.first_req and its reply, on the bare socket before the receive thread exists. */
int conn_first_exchange(struct conn *c);

#endif
