/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Watches of directories another client deletes (watch.c, "Removed by another client"), against the
 * scripted servers of psrv.h, SMB2 and SMB1. A directory deleted just as we (re)arm a watch's change
 * notification is delete-pending with no request of ours pending to be told so, and our handle keeps it
 * on the server for everyone until we close it. So after each request the watch asks, by opening the
 * directory, whether it is delete-pending, and if it is closes the handle at once: the other client's
 * rmdir of the parent must not find it. Here the server says so from the first request on, which a new
 * watch asks from the worker thread.
 */
#include <stdlib.h>
#include <time.h>

#include "../tap.h"
#include "psrv.h"
#include "smbfuse/log.h"

static unsigned dir_closes(struct psrv *s)
{
	pthread_mutex_lock(&s->mu);
	unsigned n = s->dir_closes;
	pthread_mutex_unlock(&s->mu);
	return n;
}

static void test_watch(bool smb1, bool deleted)
{
	struct psrv s;
	struct smb_client *cl = NULL;
	if (smb1)
		psrv_start_smb1(&s);
	else
		psrv_start(&s);
	s.dirs_deleted = deleted;
	CHECK(psrv_client(&s, true, 2000, &cl) == 0);
	const struct smb_ops *ops = cl ? smb_client_ops(cl) : NULL;
	if (ops) {
		unsigned before = dir_closes(&s);
		int rc = ops->watch(cl, "d");
		if (deleted) {
			/* The watch starts, and the worker's question ends it: then nothing vouches for its
			 * listing, and the handle lets go of the directory. */
			CHECK(rc == 1);
			CHECK(psrv_wait_count(&s, &s.dir_closes, before + 1));
			bool listed = true;
			for (int i = 0; i < 200 && (listed = ops->cached(cl, "d") & SMB_CACHE_LISTING); i++)
				nanosleep(&(struct timespec){0, 10 * 1000000}, NULL);
			CHECK(!listed);
		} else {
			CHECK(rc == 1);
			struct timespec ts = {0, 100 * 1000000};
			nanosleep(&ts, NULL);
			CHECK(ops->cached(cl, "d") & SMB_CACHE_LISTING); /* a live directory's watch stays */
		}
	}
	psrv_client_down(&s, cl);
}

int main(void)
{
	log_set_level(getenv("OPSFAIL_DEBUG") ? LOG_LVL_DEBUG : LOG_LVL_ERR);
	test_watch(false, false);
	test_watch(false, true);
	test_watch(true, false);
	test_watch(true, true);
	return tap_done();
}
