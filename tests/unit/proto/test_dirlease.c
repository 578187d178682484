/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Directory leases (watch.c) against the scripted server of psrv.h, speaking SMB 3.0 with
 * SMB2_GLOBAL_CAP_DIRECTORY_LEASING: a watch's open is granted one, a child's create names it as its
 * parent, a break closes the directory handle before it is acknowledged and the next watch asks afresh;
 * a grant for another key, or a lease context cut short, leaves the watch without a lease; without the
 * capability, or with cache=none, nothing is asked for.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../tap.h"
#include "psrv.h"
#include "smbfuse/log.h"
#include "smbfuse/smb2.h"

struct fx {
	struct psrv s;
	struct smb_client *cl;
	const struct smb_ops *ops;
};

static bool up(struct fx *f, bool dir_leases, int answer, bool cache)
{
	psrv_start(&f->s);
	f->s.smb3_dir_leases = dir_leases;
	f->s.grant_lease = true;
	f->s.dir_lease_answer = answer;
	if (psrv_client(&f->s, cache, 2000, &f->cl) < 0)
		return false;
	f->ops = smb_client_ops(f->cl);
	return true;
}

static void down(struct fx *f)
{
	smb_client_free(f->cl);
	psrv_stop(&f->s);
}

/* Wait (at most 5 s) until the server has counted n acknowledgments; the break worker sends them. */
static bool acks_reach(struct psrv *s, unsigned n)
{
	return psrv_wait_count(s, &s->lease_acks, n);
}

/* Create d/f and close it; how many creates named a parent lease so far. */
static long long create_child(struct fx *f)
{
	struct smb_fh *fh = NULL;
	CHECK(f->ops->open(f->cl, "d/f", O_RDWR | O_CREAT, 0644, &fh, NULL) == 0);
	if (fh)
		f->ops->close(f->cl, fh);
	return psrv_stat(f->cl, "dirlease.parent_keyed");
}

static void test_grant_parent_break(void)
{
	struct fx f;
	CHECK(up(&f, true, 0, true));
	CHECK(f.ops->watch(f.cl, "d") == 1);
	CHECK(psrv_stat(f.cl, "dirlease.granted") == 1);
	CHECK(create_child(&f) == 1);
	pthread_mutex_lock(&f.s.mu);
	f.s.break_dir = true;
	pthread_mutex_unlock(&f.s.mu);
	struct smb_attr a;
	CHECK(f.ops->stat(f.cl, "x", &a) == 0); /* the server sends the break before answering */
	CHECK(acks_reach(&f.s, 1));
	pthread_mutex_lock(&f.s.mu);
	unsigned closes = f.s.closes_at_ack;
	pthread_mutex_unlock(&f.s.mu);
	CHECK(closes >= 1); /* the directory's handle was closed before the ack */
	/* and nothing below it: d/f's parked handle keeps its own lease until its own break (watch.c, "A
	 * break closes one handle"), so a reopen takes it back */
	long long hits = psrv_stat(f.cl, "handles.cache_hits");
	struct smb_fh *fh = NULL;
	CHECK(f.ops->open(f.cl, "d/f", O_RDWR | O_CREAT, 0644, &fh, NULL) == 0);
	if (fh)
		f.ops->close(f.cl, fh);
	CHECK(psrv_stat(f.cl, "handles.cache_hits") == hits + 1);
	CHECK(psrv_stat(f.cl, "dirlease.breaks") == 1);
	CHECK(f.ops->watch(f.cl, "d") == 1); /* watched again, with a new lease */
	CHECK(psrv_stat(f.cl, "dirlease.granted") == 2);
	down(&f);
}

/* The listing stops being vouched for (SMB_CACHE_LISTING) as the break arrives, on the receive thread,
 * before the break worker has closed anything: the glue's cached lookups stop at once. */
static void test_listing_unvouched_at_break(void)
{
	struct fx f;
	CHECK(up(&f, true, 0, true));
	CHECK(f.ops->watch(f.cl, "d") == 1);
	CHECK(f.ops->cached(f.cl, "d") & SMB_CACHE_LISTING);
	CHECK(!(f.ops->cached(f.cl, "e") & SMB_CACHE_LISTING)); /* not watched */
	pthread_mutex_lock(&f.s.mu);
	f.s.break_dir = true;
	pthread_mutex_unlock(&f.s.mu);
	struct smb_attr a;
	CHECK(f.ops->stat(f.cl, "x", &a) == 0); /* its answer comes after the break, on the same connection */
	CHECK(!(f.ops->cached(f.cl, "d") & SMB_CACHE_LISTING));
	CHECK(acks_reach(&f.s, 1));
	CHECK(f.ops->watch(f.cl, "d") == 1);
	CHECK(f.ops->cached(f.cl, "d") & SMB_CACHE_LISTING); /* the new watch's lease */
	down(&f);
}

/* Two opens of a file with different access, closed: one handle stays parked, the newest (cache.c,
 * pcache_park: Samba refuses another client's directory rename if a file below has a second open left
 * after the first one's close). */
static void test_one_parked_per_file(void)
{
	struct fx f;
	CHECK(up(&f, true, 0, true));
	CHECK(f.ops->watch(f.cl, "d") == 1);
	struct smb_fh *r = NULL, *w = NULL;
	CHECK(f.ops->open(f.cl, "d/f", O_RDONLY, 0, &r, NULL) == 0);
	CHECK(f.ops->open(f.cl, "d/f", O_RDWR, 0, &w, NULL) == 0);
	if (r)
		f.ops->close(f.cl, r);
	pthread_mutex_lock(&f.s.mu);
	unsigned before = f.s.file_closes;
	pthread_mutex_unlock(&f.s.mu);
	if (w)
		f.ops->close(f.cl, w);
	pthread_mutex_lock(&f.s.mu);
	CHECK(f.s.file_closes == before + 1); /* parking w closed r */
	pthread_mutex_unlock(&f.s.mu);
	long long hits = psrv_stat(f.cl, "handles.cache_hits");
	CHECK(f.ops->open(f.cl, "d/f", O_RDWR, 0, &w, NULL) == 0);
	if (w)
		f.ops->close(f.cl, w);
	CHECK(psrv_stat(f.cl, "handles.cache_hits") == hits + 1);
	down(&f);
}

/* A hostile or broken grant: the key is not ours (1) or the context is too short to read (2). */
static void test_spoiled_grant(int answer)
{
	struct fx f;
	CHECK(up(&f, true, answer, true));
	CHECK(f.ops->watch(f.cl, "d") == 1); /* the watch alone */
	CHECK(psrv_stat(f.cl, "dirlease.granted") == 0);
	CHECK(create_child(&f) == 0);
	down(&f);
}

static void test_not_asked(bool dir_leases, bool cache)
{
	struct fx f;
	CHECK(up(&f, dir_leases, 0, cache));
	f.ops->watch(f.cl, "d");
	CHECK(psrv_stat(f.cl, "dirlease.granted") == 0);
	pthread_mutex_lock(&f.s.mu);
	CHECK(!f.s.have_dir_key); /* no RqLs on a directory reached the server */
	pthread_mutex_unlock(&f.s.mu);
	down(&f);
}

int main(void)
{
	log_set_level(getenv("OPSFAIL_DEBUG") ? LOG_LVL_DEBUG : LOG_LVL_ERR);
	test_grant_parent_break();
	test_one_parked_per_file();
	test_listing_unvouched_at_break();
	test_spoiled_grant(1);
	test_spoiled_grant(2);
	test_not_asked(false, true);
	test_not_asked(true, false);
	return tap_done();
}
