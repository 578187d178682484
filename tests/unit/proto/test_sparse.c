/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ops->fallocate, ops->seek and ops->copy_range over SMB2 against the scripted server of psrv.h (a 100-byte
 * file): the FSCTLs that go on the wire, a server refusing them, and hostile FSCTL_QUERY_ALLOCATED_RANGES
 * answers (a length that is no multiple of 16, ranges out of order or overlapping, BUFFER_OVERFLOW without
 * progress); server-side copy chunked within the limits a STATUS_INVALID_PARAMETER answer tells, short at
 * the source's end of file, refused, or answered with nonsense; several COPYCHUNK_WRITEs in flight, answered
 * out of order, one short, one failing, limits lowered mid-copy, the connection lost under them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tap.h"
#include "psrv.h"
#include "smbfuse/err.h"
#include "smbfuse/log.h"
#include "smbfuse/smb2.h"
#include "smbfuse/util.h"

static struct psrv srv;
static struct smb_client *cl;
static const struct smb_ops *ops;
static struct smb_fh *fh;
static uint8_t ranges[64];

static void serve(const uint64_t *r, int n, uint32_t status)
{
	for (int i = 0; i < 2 * n; i++)
		put_le64(ranges + 8 * i, r[i]);
	pthread_mutex_lock(&srv.mu);
	srv.ioctl_out = n ? ranges : NULL;
	srv.ioctl_out_len = (size_t)n * 16;
	srv.ioctl_status = status;
	pthread_mutex_unlock(&srv.mu);
}

static uint32_t last_ioctl(uint64_t *a, uint64_t *b)
{
	pthread_mutex_lock(&srv.mu);
	uint32_t code = srv.last_ioctl;
	if (a && srv.last_ioctl_in_len >= 16) {
		*a = get_le64(srv.last_ioctl_in);
		*b = get_le64(srv.last_ioctl_in + 8);
	}
	pthread_mutex_unlock(&srv.mu);
	return code;
}

static unsigned counter(const unsigned *c)
{
	pthread_mutex_lock(&srv.mu);
	unsigned v = *c;
	pthread_mutex_unlock(&srv.mu);
	return v;
}

static unsigned ioctls(void)
{
	pthread_mutex_lock(&srv.mu);
	unsigned n = srv.ioctls;
	pthread_mutex_unlock(&srv.mu);
	return n;
}

/* A copy of len bytes from a server taking max_chunks chunks per request (0: any); the requests it took. */
static unsigned copies(uint64_t len, uint32_t max_chunks)
{
	pthread_mutex_lock(&srv.mu);
	srv.cc_max_chunks = max_chunks;
	unsigned r0 = srv.cc_requests;
	pthread_mutex_unlock(&srv.mu);
	CHECK(ops->copy_range(cl, fh, 0, fh, 50u << 20, len) == (ssize_t)len);
	return counter(&srv.cc_requests) - r0;
}

/* Set one of psrv's COPYCHUNK knobs (psrv.h), under its lock. */
static void cc_set(unsigned *knob, unsigned v)
{
	pthread_mutex_lock(&srv.mu);
	*knob = v;
	pthread_mutex_unlock(&srv.mu);
}

/*
 * Several COPYCHUNK_WRITEs in flight, with the limits learned above (4 chunks of 1 MiB: 4 MiB per request):
 * psrv holds 4 answers back and sends them last first. Each check here fails with one request in flight
 * at a time: psrv then never holds more than 1, and a short or failed answer ends the copy before the
 * later spans are sent.
 */
static void copy_inflight(void)
{
	const uint64_t M = 1u << 20;
	cc_set(&srv.cc_hold, 4);
	unsigned r0 = counter(&srv.cc_requests);
	CHECK(ops->copy_range(cl, fh, 0, fh, 50 * M, 16 * M) == (ssize_t)(16 * M));
	CHECK(counter(&srv.cc_requests) == r0 + 4);
	CHECK(counter(&srv.cc_held_max) == 4);
	CHECK(psrv_stat(cl, "copy.inflight_max") == 4);
	/* The second answers half: the copy is the contiguous 4 + 2 MiB, the two after it still awaited. */
	r0 = counter(&srv.cc_requests);
	cc_set(&srv.cc_short_at, r0 + 2);
	CHECK(ops->copy_range(cl, fh, 0, fh, 50 * M, 16 * M) == (ssize_t)(6 * M));
	CHECK(counter(&srv.cc_requests) == r0 + 4);
	/* The third fails (disk full): the two before it; the first failing: the error. */
	r0 = counter(&srv.cc_requests);
	pthread_mutex_lock(&srv.mu);
	srv.cc_fail_at = r0 + 3;
	srv.cc_fail_status = 0xC000007Fu; /* STATUS_DISK_FULL */
	pthread_mutex_unlock(&srv.mu);
	CHECK(ops->copy_range(cl, fh, 0, fh, 50 * M, 16 * M) == (ssize_t)(8 * M));
	CHECK(counter(&srv.cc_requests) == r0 + 4);
	cc_set(&srv.cc_fail_at, counter(&srv.cc_requests) + 1);
	CHECK(ops->copy_range(cl, fh, 0, fh, 50 * M, 16 * M) == -ENOSPC);
	cc_set(&srv.cc_fail_at, 0);
	/* Limits lowered mid-copy (2 chunks from the second request on): the first span counts, the refused
	 * three go again as 2 MiB spans, and the bytes copied are counted once. */
	r0 = counter(&srv.cc_requests);
	long long b0 = psrv_stat(cl, "bytes.copied_by_server");
	pthread_mutex_lock(&srv.mu);
	srv.cc_max_chunks = 2;
	srv.cc_limit_from = r0 + 2;
	pthread_mutex_unlock(&srv.mu);
	CHECK(ops->copy_range(cl, fh, 0, fh, 50 * M, 16 * M) == (ssize_t)(16 * M));
	CHECK(counter(&srv.cc_requests) == r0 + 4 + 6);
	CHECK(counter(&srv.cc_last_chunks) == 2);
	CHECK(psrv_stat(cl, "bytes.copied_by_server") == b0 + (long long)(16 * M));
	/* Two overlapping ranges of one file go one at a time. */
	cc_set(&srv.cc_held_max, 0);
	CHECK(ops->copy_range(cl, fh, 0, fh, M, 8 * M) == (ssize_t)(8 * M));
	CHECK(counter(&srv.cc_held_max) == 1);
	/* The connection lost under a batch (psrv drops it at the second request; the answer to the first is
	 * held): the copy goes on with the handles taken back, from the start, and is whole. */
	srv.reconnect = true;
	long long rc0 = psrv_stat(cl, "handles.reopened");
	psrv_arm(&srv, SMB2_IOCTL, 2, PSRV_DROP, 0); /* the resume key, then the second COPYCHUNK_WRITE */
	CHECK(ops->copy_range(cl, fh, 0, fh, 50 * M, 16 * M) == (ssize_t)(16 * M));
	CHECK(psrv_fired(&srv) > 0);
	CHECK(psrv_stat(cl, "handles.reopened") == rc0 + 1);
	/* A server silent on one of them: the request timeout drops the connection, the answered span before it
	 * counts, and the rest goes again over the next one. */
	psrv_arm(&srv, SMB2_IOCTL, 2, PSRV_SILENT, 0);
	CHECK(ops->copy_range(cl, fh, 0, fh, 50 * M, 16 * M) == (ssize_t)(16 * M));
	CHECK(psrv_stat(cl, "handles.reopened") == rc0 + 2);
	CHECK(psrv_stat(cl, "copy.inflight") == 0);
	cc_set(&srv.cc_hold, 0);
}

static int seek(uint64_t off, int whence, uint64_t *out)
{
	*out = UINT64_MAX;
	return ops->seek(cl, fh, off, whence, out);
}

int main(void)
{
	if (getenv("SPARSE_DEBUG"))
		log_set_level(LOG_LVL_DEBUG);
	psrv_start(&srv);
	CHECK(psrv_client(&srv, false, 2000, &cl) == 0);
	ops = smb_client_ops(cl);
	CHECK(ops->fallocate && ops->seek);
	CHECK(ops->open(cl, "f", O_RDWR, 0, &fh, NULL) == 0);
	uint64_t a = 0, b = 0, at;

	/* A punch makes the (not sparse) file sparse, then zeroes the range, cut at the end of file. */
	unsigned n0 = ioctls();
	CHECK(ops->fallocate(cl, fh, SMB_FALLOC_PUNCH | SMB_FALLOC_KEEP_SIZE, 10, 200) == 0);
	CHECK(ioctls() == n0 + 2);
	CHECK(last_ioctl(&a, &b) == FSCTL_SET_ZERO_DATA && a == 10 && b == 100);
	/* Past the end of file there is nothing to punch: nothing is sent. */
	n0 = ioctls();
	CHECK(ops->fallocate(cl, fh, SMB_FALLOC_PUNCH | SMB_FALLOC_KEEP_SIZE, 100, 5) == 0);
	CHECK(ioctls() == n0);
	/* ZERO_RANGE within the file: SET_ZERO_DATA alone (the file stays as sparse as it was). */
	CHECK(ops->fallocate(cl, fh, SMB_FALLOC_ZERO, 0, 50) == 0);
	CHECK(ioctls() == n0 + 1 && last_ioctl(&a, &b) == FSCTL_SET_ZERO_DATA && a == 0 && b == 50);
	/* Preallocation goes by SET_INFO, never IOCTL. */
	CHECK(ops->fallocate(cl, fh, 0, 0, 8192) == 0);
	CHECK(ops->fallocate(cl, fh, SMB_FALLOC_KEEP_SIZE, 0, 8192) == 0);
	CHECK(ioctls() == n0 + 1);
	CHECK(ops->fallocate(cl, fh, 0, 0, 0) == -EINVAL);
	CHECK(ops->fallocate(cl, fh, 0, (uint64_t)INT64_MAX, 2) == -EINVAL);
	CHECK(ioctls() == n0 + 1);

	/* A server without sparse files: EOPNOTSUPP, and no SET_ZERO_DATA after a refused SET_SPARSE. */
	serve(NULL, 0, STATUS_NOT_SUPPORTED);
	n0 = ioctls();
	CHECK(ops->fallocate(cl, fh, SMB_FALLOC_PUNCH | SMB_FALLOC_KEEP_SIZE, 0, 10) == -EOPNOTSUPP);
	CHECK(ioctls() == n0 + 1 && last_ioctl(NULL, NULL) == FSCTL_SET_SPARSE);
	serve(NULL, 0, STATUS_INVALID_DEVICE_REQUEST);
	CHECK(ops->fallocate(cl, fh, SMB_FALLOC_ZERO, 0, 10) == -EOPNOTSUPP);
	/* ... and SEEK_DATA / SEEK_HOLE see the whole file as data. */
	CHECK(seek(5, SEEK_DATA, &at) == 0 && at == 5);
	CHECK(seek(5, SEEK_HOLE, &at) == 0 && at == 100);

	/* Data at [0, 10) and [50, 70) of 100 bytes. */
	const uint64_t two[] = {0, 10, 50, 20};
	serve(two, 2, STATUS_SUCCESS);
	CHECK(seek(0, SEEK_HOLE, &at) == 0 && at == 10);
	CHECK(last_ioctl(&a, &b) == FSCTL_QUERY_ALLOCATED_RANGES && a == 0 && b == 100);
	CHECK(seek(10, SEEK_DATA, &at) == 0 && at == 50);
	CHECK(seek(55, SEEK_HOLE, &at) == 0 && at == 70);
	CHECK(seek(3, SEEK_DATA, &at) == 0 && at == 3);
	CHECK(seek(70, SEEK_DATA, &at) == -ENXIO);
	CHECK(seek(100, SEEK_DATA, &at) == -ENXIO);
	CHECK(seek(100, SEEK_HOLE, &at) == -ENXIO);
	/* No data at all: a hole right away, and no data. */
	serve(NULL, 0, STATUS_SUCCESS);
	CHECK(seek(0, SEEK_HOLE, &at) == 0 && at == 0);
	CHECK(seek(0, SEEK_DATA, &at) == -ENXIO);
	/* Data to past the end of file: the hole is the end. */
	const uint64_t all[] = {0, 4096};
	serve(all, 1, STATUS_SUCCESS);
	CHECK(seek(20, SEEK_HOLE, &at) == 0 && at == 100);

	/* Hostile answers: malformed, never walked. */
	const uint64_t overlap[] = {0, 60, 50, 20}, unsorted[] = {50, 20, 0, 10}, negative[] = {(uint64_t)-16, 8};
	serve(overlap, 2, STATUS_SUCCESS);
	CHECK(seek(0, SEEK_HOLE, &at) == -EIO && at == UINT64_MAX);
	serve(unsorted, 2, STATUS_SUCCESS);
	CHECK(seek(0, SEEK_DATA, &at) == -EIO);
	serve(negative, 1, STATUS_SUCCESS);
	CHECK(seek(0, SEEK_DATA, &at) == -EIO);
	serve(two, 2, STATUS_SUCCESS);
	pthread_mutex_lock(&srv.mu);
	srv.ioctl_out_len = 17;
	pthread_mutex_unlock(&srv.mu);
	CHECK(seek(0, SEEK_DATA, &at) == -EIO);
	/* BUFFER_OVERFLOW ("there is more") with the same answer again and again: ends, without a loop. */
	serve(two, 2, STATUS_BUFFER_OVERFLOW);
	CHECK(seek(0, SEEK_HOLE, &at) == 0 && at == 10);
	n0 = ioctls();
	CHECK(seek(75, SEEK_DATA, &at) == -EIO);
	CHECK(ioctls() == n0 + 1);
	/* A fault of the IOCTL itself. */
	serve(NULL, 0, STATUS_SUCCESS);
	psrv_arm(&srv, SMB2_IOCTL, 0, PSRV_STATUS, 0xC0000022u /* STATUS_ACCESS_DENIED */);
	CHECK(ops->fallocate(cl, fh, SMB_FALLOC_ZERO, 0, 10) == -EACCES);
	psrv_arm(&srv, SMB2_IOCTL, 0, PSRV_MALFORMED, 0);
	CHECK(seek(0, SEEK_DATA, &at) == -EIO);

	/* Server-side copy: nothing past the source's end of file. */
	serve(NULL, 0, STATUS_SUCCESS);
	CHECK(ops->copy_range(cl, fh, 0, fh, 200, 1000) == 100);
	CHECK(counter(&srv.cc_last_chunks) == 1);
	CHECK(ops->copy_range(cl, fh, 100, fh, 0, 10) == 0);
	/* 40 MiB: 16 chunks of 1 MiB per request, until the server says it takes 4. */
	pthread_mutex_lock(&srv.mu);
	srv.file_size = 40u << 20;
	pthread_mutex_unlock(&srv.mu);
	CHECK(copies(40u << 20, 0) == 3 && counter(&srv.cc_last_chunks) == 8);
	/* one refused with the limits, then two of 4 chunks */
	CHECK(copies(8u << 20, 4) == 3 && counter(&srv.cc_last_chunks) == 4);
	CHECK(copies(8u << 20, 0) == 2); /* the learned limits stay */
	/* A server without server-side copy: EOPNOTSUPP (the kernel then copies by read and write). */
	serve(NULL, 0, STATUS_NOT_SUPPORTED);
	CHECK(ops->copy_range(cl, fh, 0, fh, 0, 10) == -EOPNOTSUPP);
	/* A resume key too short (16 bytes, 8), and a malformed COPYCHUNK answer: EIO, nothing copied. */
	const uint64_t bogus[] = {0xFFFFFFFFFFFFFFFFull, 0xFFFFFFFFFFFFFFFFull};
	serve(bogus, 1, STATUS_SUCCESS);
	CHECK(ops->copy_range(cl, fh, 0, fh, 0, 10) == -EIO);
	pthread_mutex_lock(&srv.mu);
	srv.ioctl_out_len = 8;
	pthread_mutex_unlock(&srv.mu);
	CHECK(ops->copy_range(cl, fh, 0, fh, 0, 10) == -EIO);
	serve(NULL, 0, STATUS_SUCCESS);
	psrv_arm(&srv, SMB2_IOCTL, 1, PSRV_MALFORMED, 0);
	CHECK(ops->copy_range(cl, fh, 0, fh, 0, 10) == -EIO);
	serve(NULL, 0, STATUS_SUCCESS);
	pthread_mutex_lock(&srv.mu);
	srv.file_size = 64u << 20;
	pthread_mutex_unlock(&srv.mu);
	copy_inflight();

	CHECK(ops->close(cl, fh) == 0);
	smb_client_free(cl);
	psrv_stop(&srv);
	return tap_done();
}
