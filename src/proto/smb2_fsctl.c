/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * smb2_fsctl.c - ops->fallocate and ops->seek over SMB2 IOCTL (MS-SMB2 2.2.31, 3.2.4.20): sparse files
 * (MS-FSCC 2.3.64 FSCTL_SET_SPARSE, 2.3.67 FSCTL_SET_ZERO_DATA), allocated ranges (2.3.45
 * FSCTL_QUERY_ALLOCATED_RANGES), and preallocation by FileAllocationInformation (2.4.4).
 *
 * Every op first sends what the Write lease let us gather (pcache_flush): data gathered before a punch and
 * written after it would fill the hole again, and a query of the allocated ranges would miss it. The kernel
 * drops its cached pages of a punched or zeroed range itself (fuse_file_fallocate), and the attributes
 * cached under the lease are dropped here (pcache_wrote), since the size or allocation may have changed.
 *
 * Samba 4.17 punches with fallocate(PUNCH_HOLE | KEEP_SIZE) on the backing file for SET_ZERO_DATA, and
 * answers QUERY_ALLOCATED_RANGES from SEEK_DATA / SEEK_HOLE of the backing file, but only for a file marked
 * sparse: for any other it reports the whole range as allocated. AllocationSize beyond EndOfFile is kept by
 * Samba only with `strict allocate = yes`; otherwise the request succeeds and reserves nothing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "smb2_proto_i.h"
#include "smbfuse/err.h"
#include "smbfuse/log.h"
#include "smbfuse/smb2.h"
#include "smbfuse/util.h"

/* 4096 ranges per answer; a file with more is queried again from the end of the last one. */
#define RANGES_MAX 4096
#define RANGES_OUT (RANGES_MAX * SMB2_RANGE_SIZE)
#define QUERY_ROUNDS 64 /* a server answering BUFFER_OVERFLOW without progress stops here (-EIO) */

struct fsctl_arg {
	uint32_t code;
	const struct wbuf *in;
	uint32_t max_out;
};

void cmp_add_fsctl(struct cmp *c, struct smb2_fid fid, uint32_t code, const void *in, uint32_t in_len,
		   uint32_t max_out)
{
	struct smb2_ioctl_req req = {
	    .ctl_code = code,
	    .fid = fid,
	    .input = in,
	    .input_len = in_len,
	    .max_output_response = max_out,
	    .flags = SMB2_0_IOCTL_IS_FSCTL,
	};
	struct wbuf *w = cmp_add(c, SMB2_IOCTL, MAX(in_len, max_out));
	int rc = smb2_ioctl_req_encode(w, &req);
	if (rc < 0 && !w->err)
		w->err = rc;
}

static void add_fsctl(struct cmp *c, struct smb2_fid fid, const struct smb_fh *fh, const void *arg)
{
	(void)fh;
	const struct fsctl_arg *a = arg;
	cmp_add_fsctl(c, fid, a->code, a->in->p, (uint32_t)a->in->len, a->max_out);
}

int smb2_fsctl(struct smb_client *cl, struct smb_fh *fh, uint32_t code, const struct wbuf *in, uint32_t max_out,
	       struct cmp *c)
{
	struct fsctl_arg a = {code, in, max_out};
	int rc = wbuf_err((struct wbuf *)in);
	if (rc < 0) {
		cmp_init(c, cl);
		return rc;
	}
	stat_cmd(cl, SMB2_IOCTL);
	return fid_simple(cl, fh, add_fsctl, &a, c);
}

static const char *fsctl_name(uint32_t code)
{
	switch (code) {
	case FSCTL_SET_SPARSE:
		return "FSCTL_SET_SPARSE";
	case FSCTL_SET_ZERO_DATA:
		return "FSCTL_SET_ZERO_DATA";
	default:
		return "FSCTL_QUERY_ALLOCATED_RANGES";
	}
}

/* An FSCTL without output (SET_SPARSE, SET_ZERO_DATA); a refusal is logged with what it stops. */
static int fsctl_simple(struct smb_client *cl, struct smb_fh *fh, uint32_t code, const struct wbuf *in,
			const char *what)
{
	struct cmp c;
	int rc = smb2_fsctl(cl, fh, code, in, 0, &c);
	cmp_free(&c);
	if (rc == -EOPNOTSUPP || rc == -EINVAL || rc == -EACCES)
		log_info("\"%s\": the server refused %s (%s): %s", fh->path, fsctl_name(code), strerror(-rc), what);
	return rc == -EINVAL ? -EOPNOTSUPP : rc;
}

static int set_zero(struct smb_client *cl, struct smb_fh *fh, uint64_t off, uint64_t end, const char *what)
{
	struct wbuf in;
	wbuf_init(&in, 16);
	smb2_zero_data_encode(&in, off, end);
	int rc = fsctl_simple(cl, fh, FSCTL_SET_ZERO_DATA, &in, what);
	wbuf_free(&in);
	return rc;
}

static int set_sparse(struct smb_client *cl, struct smb_fh *fh)
{
	struct wbuf in;
	wbuf_init(&in, 1);
	smb2_set_sparse_encode(&in, true);
	int rc = fsctl_simple(cl, fh, FSCTL_SET_SPARSE, &in, "no hole can be punched");
	wbuf_free(&in);
	return rc;
}

static void add_alloc(struct cmp *c, struct smb2_fid fid, const struct smb_fh *fh, const void *arg)
{
	add_set_info(c, fid, FileAllocationInformation, arg);
}

/* FileEndOfFileInformation or FileAllocationInformation of size on fh. */
static int set_size(struct smb_client *cl, struct smb_fh *fh, bool alloc, uint64_t size)
{
	if (!alloc) {
		struct smb_setattr sa = {.valid = SMB_SET_SIZE, .size = size};
		return smb2_setattr(cl, NULL, fh, &sa, NULL);
	}
	struct wbuf p;
	struct cmp c;
	wbuf_init(&p, 8);
	smb2_file_allocation_info_encode(&p, size);
	int rc = fid_simple(cl, fh, add_alloc, &p, &c);
	cmp_free(&c);
	wbuf_free(&p);
	return rc;
}

int smb2_fallocate(struct smb_client *cl, struct smb_fh *fh, unsigned mode, uint64_t off, uint64_t len)
{
	if (!len || off > INT64_MAX || len > INT64_MAX - off)
		return -EINVAL;
	uint64_t end = off + len;
	struct smb_attr a;
	int rc = pcache_flush(cl, fh);
	if (rc == 0)
		rc = smb2_fstat(cl, fh, &a);
	if (rc < 0)
		return rc;
	if (mode & SMB_FALLOC_PUNCH) {
		/* Past the end of file there is nothing to deallocate, and NTFS would allocate it. */
		if (off < a.size && !(a.attrs & SMB_ATTR_SPARSE))
			rc = set_sparse(cl, fh);
		if (rc == 0 && off < a.size)
			rc = set_zero(cl, fh, off, MIN(end, a.size), "no hole can be punched");
	} else if (mode & SMB_FALLOC_ZERO) {
		if (off < a.size)
			rc = set_zero(cl, fh, off, MIN(end, a.size), "no range can be zeroed");
		if (rc == 0 && !(mode & SMB_FALLOC_KEEP_SIZE) && end > a.size)
			rc = set_size(cl, fh, false, end);
	} else {
		uint64_t size = a.size;
		if (!(mode & SMB_FALLOC_KEEP_SIZE) && end > a.size) {
			rc = set_size(cl, fh, false, end);
			size = end;
		}
		/* Only ever grow the allocation: an AllocationSize below EndOfFile truncates the file (MS-FSCC
		 * 2.4.4), and a sparse file's allocation is below its size. */
		if (rc == 0 && end > MAX(size, a.alloc_size))
			rc = set_size(cl, fh, true, end);
	}
	pcache_wrote(cl, fh);
	return rc;
}

/* One query of the ranges allocated in [off, off + len): n ranges into r; *more when the server had more
 * than it sent (STATUS_BUFFER_OVERFLOW). */
static int query_ranges(struct smb_client *cl, struct smb_fh *fh, uint64_t off, uint64_t len, struct smb2_range *r,
			int *n, bool *more)
{
	struct wbuf in;
	struct cmp c;
	wbuf_init(&in, 16);
	smb2_alloc_ranges_req_encode(&in, off, len);
	int rc = smb2_fsctl(cl, fh, FSCTL_QUERY_ALLOCATED_RANGES, &in, RANGES_OUT, &c);
	wbuf_free(&in);
	if (rc == 0) {
		struct smb2_ioctl_rsp rsp;
		rc = smb2_ioctl_rsp_decode(c.m[0].rsp, c.m[0].rsp_len, &rsp);
		if (rc == 0)
			rc = smb2_alloc_ranges_decode(rsp.output, rsp.output_len, r, RANGES_MAX);
		if (rc < 0) {
			log_warn("server reply: FSCTL_QUERY_ALLOCATED_RANGES answer malformed");
			rc = -EIO;
		} else {
			*n = rc;
			*more = c.m[0].rsp_hdr.status == STATUS_BUFFER_OVERFLOW;
			rc = 0;
		}
	}
	cmp_free(&c);
	return rc;
}

/* The walk of seek from off in a file of size bytes: the first data (SEEK_DATA) or hole (SEEK_HOLE). pos is
 * where the next query starts, and for SEEK_HOLE also how far the data reaches without a gap. */
static int seek_walk(struct smb_client *cl, struct smb_fh *fh, uint64_t off, uint64_t size, int whence,
		     struct smb2_range *r, uint64_t *out)
{
	uint64_t pos = off;
	for (int round = 0; round < QUERY_ROUNDS; round++) {
		int n = 0;
		bool more = false;
		int rc = query_ranges(cl, fh, pos, size - pos, r, &n, &more);
		if (rc < 0)
			return rc;
		uint64_t from = pos;
		for (int i = 0; i < n; i++) {
			uint64_t s = MAX(r[i].off, pos), e = r[i].off + r[i].len;
			if (e <= pos)
				continue;
			if (s >= size)
				break;
			if (whence == SEEK_DATA) {
				*out = s;
				return 0;
			}
			if (s > pos)
				break; /* a hole at pos */
			pos = e;
		}
		if (whence == SEEK_HOLE && (!more || pos >= size || (n && pos < r[n - 1].off))) {
			*out = MIN(pos, size);
			return 0;
		}
		if (!more || !n)
			return -ENXIO; /* SEEK_DATA: only holes up to the end */
		pos = MAX(pos, r[n - 1].off + r[n - 1].len);
		if (pos >= size)
			return whence == SEEK_DATA ? -ENXIO : (*out = size, 0);
		if (pos <= from)
			break;
	}
	log_warn("\"%s\": the server keeps answering FSCTL_QUERY_ALLOCATED_RANGES with a partial list", fh->path);
	return -EIO;
}

int smb2_seek(struct smb_client *cl, struct smb_fh *fh, uint64_t off, int whence, uint64_t *out)
{
	struct smb_attr a;
	if (whence != SEEK_DATA && whence != SEEK_HOLE)
		return -EINVAL;
	int rc = pcache_flush(cl, fh);
	if (rc == 0)
		rc = smb2_fstat(cl, fh, &a);
	if (rc < 0)
		return rc;
	if (off >= a.size || a.size > INT64_MAX)
		return -ENXIO;
	struct smb2_range *r = malloc(sizeof(*r) * RANGES_MAX);
	if (!r)
		return -ENOMEM;
	uint64_t at = 0;
	rc = seek_walk(cl, fh, off, a.size, whence, r, &at);
	free(r);
	if (rc == -EOPNOTSUPP || rc == -EINVAL) {
		/* The server keeps no ranges: all of the file is data, as for lseek(2) on a filesystem without holes.
		 */
		log_dbg("\"%s\": no FSCTL_QUERY_ALLOCATED_RANGES: the whole file is data", fh->path);
		at = whence == SEEK_DATA ? off : a.size;
		rc = 0;
	}
	if (rc == 0)
		*out = at;
	return rc;
}
