/* SPDX-License-Identifier: GPL-2.0-or-later */
/* opsfail.c - the drivers and the runner of opsfail.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../tap.h"
#include "opsfail.h"
#include "smbfuse/log.h"

static int count_entry(void *arg, const char *name, const struct smb_attr *a)
{
	(*(int *)arg)++;
	return 0;
}

char big[100000];

int run_stat(struct fx *f)
{
	struct smb_attr a;
	return f->ops->stat(f->cl, "d/f", &a);
}

int run_open(struct fx *f)
{
	struct smb_fh *fh = NULL;
	struct smb_attr a;
	int rc = f->ops->open(f->cl, "d/g", O_RDONLY, 0644, &fh, &a);
	if (rc == 0)
		f->ops->close(f->cl, fh);
	return rc;
}

int run_create(struct fx *f)
{
	struct smb_fh *fh = NULL;
	int rc = f->ops->open(f->cl, "d/new", O_WRONLY | O_CREAT | O_EXCL, 0644, &fh, NULL);
	if (rc == 0)
		f->ops->close(f->cl, fh);
	return rc;
}

int run_close(struct fx *f)
{
	int rc = f->ops->close(f->cl, f->fh);
	f->fh = NULL; /* freed whatever the outcome */
	return rc;
}

int run_read(struct fx *f)
{
	return (int)f->ops->read(f->cl, f->fh, big, 100, 0);
}

/* Two pieces: what the first brought counts, the second's failure is not data. */
int run_read2(struct fx *f)
{
	return (int)f->ops->read(f->cl, f->fh, big, sizeof(big), 0);
}

int run_write(struct fx *f)
{
	return (int)f->ops->write(f->cl, f->fh, big, sizeof(big), 0);
}

/* Under a Write lease the write is only gathered; the flush sends it and reports its failure. */
int run_flush(struct fx *f)
{
	ssize_t n = f->ops->write(f->cl, f->fh, big, 10, 0);
	if (n != 10)
		return n < 0 ? (int)n : -EPROTO;
	return f->ops->flush(f->cl, f->fh);
}

int run_fsync(struct fx *f)
{
	return f->ops->fsync(f->cl, f->fh);
}

int run_fstat(struct fx *f)
{
	struct smb_attr a;
	return f->ops->fstat(f->cl, f->fh, &a);
}

int run_setattr_path(struct fx *f)
{
	struct smb_setattr sa = {.valid = SMB_SET_SIZE, .size = 5};
	struct smb_attr a;
	return f->ops->setattr(f->cl, "d/f", NULL, &sa, &a);
}

int run_setattr_fh(struct fx *f)
{
	struct smb_setattr sa = {.valid = SMB_SET_MTIME | SMB_SET_ATTRS, .mtime = {1, 0}, .attrs = SMB_ATTR_READONLY};
	struct smb_attr a;
	return f->ops->setattr(f->cl, NULL, f->fh, &sa, &a);
}

int run_readdir(struct fx *f)
{
	int n = 0;
	int rc = f->ops->readdir(f->cl, "d", count_entry, &n, NULL);
	return rc == 0 && n != 2 ? -EPROTO : rc;
}

int run_mkdir(struct fx *f)
{
	struct smb_attr a;
	return f->ops->mkdir(f->cl, "d/e", 0755, &a);
}

int run_rmdir(struct fx *f)
{
	return f->ops->rmdir(f->cl, "d/e");
}

int run_unlink(struct fx *f)
{
	return f->ops->unlink(f->cl, "d/f", 0);
}

/* Still open in the glue: POSIX delete semantics (psrv offers them). */
int run_unlink_open(struct fx *f)
{
	return f->ops->unlink(f->cl, "d/f", SMB_UNLINK_OPEN);
}

int run_rename(struct fx *f)
{
	return f->ops->rename(f->cl, "d/f", "d/g", SMB_RENAME_NOREPLACE);
}

int run_link(struct fx *f)
{
	struct smb_attr a;
	return f->ops->link(f->cl, "d/f", "d/g", &a);
}

int run_statfs(struct fx *f)
{
	struct smb_statfs st;
	return f->ops->statfs(f->cl, &st);
}

static int count_ea(void *arg, const char *name, const void *value, size_t len)
{
	(void)name;
	(void)value;
	(void)len;
	++*(int *)arg;
	return 0;
}

int run_list_eas(struct fx *f)
{
	int n = 0;
	int rc = f->ops->list_eas(f->cl, "d/f", count_ea, &n);
	return rc < 0 ? rc : n - 1; /* the server's one EA: 0 */
}

int run_set_ea(struct fx *f)
{
	return f->ops->set_ea(f->cl, "d/f", "k", "v", 1);
}

int run_get_sd(struct fx *f)
{
	void *sd = NULL;
	size_t len;
	int rc = f->ops->get_sd(f->cl, "d/f", SMB_SECINFO_OWNER | SMB_SECINFO_GROUP | SMB_SECINFO_DACL, &sd, &len);
	free(sd);
	return rc;
}

int run_set_sd(struct fx *f)
{
	static const uint8_t sd[20] = {1, 0, 0, 0x80};
	return f->ops->set_sd(f->cl, "d/f", SMB_SECINFO_DACL, sd, sizeof(sd));
}

int run_watch(struct fx *f)
{
	return f->ops->watch(f->cl, "d");
}

enum kind { K_STATUS, K_MALFORMED, K_DROP, K_SILENT, K_DOS, K_NKINDS };
static const char *const kind_name[] = {"status", "malformed", "drop", "silent", "dos"};

static void __attribute__((noinline)) dirty_stack(void)
{
	volatile unsigned char junk[16384];
	memset((void *)junk, 0xA5, sizeof(junk));
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static bool fx_up(struct fx *f, const struct op_case *c, enum opsfail_server srv)
{
	memset(f, 0, sizeof(*f));
	if (srv == OPSFAIL_SMB1)
		psrv_start_smb1(&f->s);
	else
		psrv_start(&f->s);
	f->s.grant_lease = c->lease;
	f->s.no_passthru = c->no_passthru;
	f->s.posix = srv == OPSFAIL_POSIX;
	if (psrv_client(&f->s, true, TIMEOUT_MS, &f->cl) < 0) {
		psrv_stop(&f->s);
		return false;
	}
	f->ops = smb_client_ops(f->cl);
	if (c->fh && f->ops->open(f->cl, "d/f", O_RDWR, 0644, &f->fh, NULL) < 0) {
		smb_client_free(f->cl);
		psrv_stop(&f->s);
		return false;
	}
	/* A close parks its handle under d's watch, whose start has the worker ask whether d is being
	 * deleted (an open and a CLOSE of d, watch.c): start it here and let that be over, so that the case's
	 * CLOSE is the file's. */
	if (c->run == run_close) {
		pthread_mutex_lock(&f->s.mu);
		unsigned before = f->s.dir_closes;
		pthread_mutex_unlock(&f->s.mu);
		if (f->ops->watch(f->cl, "d") == 1)
			psrv_wait_count(&f->s, &f->s.dir_closes, before + 1);
	}
	return true;
}

static void fx_down(struct fx *f)
{
	psrv_arm(&f->s, -1, 0, PSRV_NONE, 0);
	if (f->fh)
		f->ops->close(f->cl, f->fh);
	smb_client_free(f->cl);
	psrv_stop(&f->s);
}

static int run_case(const struct op_case *c, enum kind k, enum opsfail_server srv, unsigned *fired)
{
	struct fx f;
	*fired = 0; /* also when the fixture never came up */
	if (!fx_up(&f, c, srv))
		return -EPROTO - 1000;
	static const enum psrv_fault fault_of[] = {PSRV_STATUS, PSRV_MALFORMED, PSRV_DROP, PSRV_SILENT, PSRV_DOS};
	psrv_arm(&f.s, c->cmd, c->skip, fault_of[k], k == K_DOS ? c->dos : c->status);
	dirty_stack();
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int rc = c->run(&f);
	long ms = ms_since(&t0);
	*fired = psrv_fired(&f.s);
	/* No hang: a silent server costs one request timeout, anything else next to nothing. */
	if (ms > (k == K_SILENT ? 3 * TIMEOUT_MS + 500 : 2000)) {
		printf("# %s/%s took %ld ms\n", c->name, kind_name[k], ms);
		rc = -EPROTO - 2000;
	}
	fx_down(&f);
	return rc;
}

int opsfail_main(const struct op_case *cases, size_t n, enum opsfail_server srv)
{
	/* OPSFAIL_DEBUG=1: the client's debug log, to see why a case failed. */
	log_set_level(getenv("OPSFAIL_DEBUG") ? LOG_LVL_DEBUG : LOG_LVL_ERR);
	for (size_t i = 0; i < n; i++) {
		const struct op_case *c = &cases[i];
		unsigned fired;
		/* The harness itself: unfaulted, the op succeeds. */
		struct fx f;
		bool up = fx_up(&f, c, srv);
		CHECK(up);
		if (!up)
			break;
		int rc = c->run(&f);
		if (rc != c->ok)
			printf("# %s: unfaulted rc %d\n", c->name, rc);
		CHECK(rc == c->ok);
		fx_down(&f);
		for (enum kind k = 0; k < K_NKINDS; k++) {
			int want = k == K_STATUS      ? c->want_status
				   : k == K_MALFORMED ? c->want_malformed
				   : k == K_DROP      ? c->want_drop
				   : k == K_SILENT    ? (c->want_silent ?: -ETIMEDOUT)
						      : c->want_dos;
			if (want == NA || (k == K_SILENT && c->no_silent) || (k == K_DOS && !c->dos))
				continue;
			rc = run_case(c, k, srv, &fired);
			if (rc != want || fired != 1)
				printf("# %s/%s: rc %d (%s), want %d, fault fired %u\n", c->name, kind_name[k], rc,
				       strerror(rc < 0 ? -rc : 0), want, fired);
			tap_check(rc == want && fired == 1, __FILE__, __LINE__, c->name);
		}
	}
	return tap_done();
}
