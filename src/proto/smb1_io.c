/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SMB1 read and write: READ_ANDX and WRITE_ANDX (64-bit offsets, more than 64 KiB per request with
 * CAP_LARGE_READX), several in flight; and FLUSH and the attributes of an open FID.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "smb1_proto_i.h"
#include "smbfuse/err.h"
#include "smbfuse/log.h"
#include "smbfuse/smb1.h"
#include "smbfuse/smb1_session.h"
#include "smbfuse/smb2.h"
#include "smbfuse/util.h"

#define IO_LARGE (1024u * 1024) /* per READ_ANDX/WRITE_ANDX with the large capabilities */
#define IO_SMALL 61440u		/* otherwise: 60 KiB, what fits a 64 KiB buffer with its header */

/*
 * Large READ_ANDX only unsigned: servers (Windows, smbd) cap signed ones at the buffer size. Writes stay at
 * 60 KiB: smbd writes less of a larger WRITE_ANDX than it was sent, which reads as a short write.
 */
static uint32_t io_chunk(const struct s1link *l, bool write)
{
	if (!write && (l->info.capabilities & SMB1_CAP_LARGE_READX) && !l->info.signing)
		return IO_LARGE;
	return IO_SMALL;
}

struct io_args {
	uint8_t *buf;
	size_t size;
	uint64_t off;
	ssize_t done;
};

/*
 * Large reads and writes go out as pieces of io_chunk bytes, up to IO_WINDOW of them in flight at once and
 * never more than the server's MaxMpxCount (MS-CIFS 3.2.4.1.2; the transport also waits for a free slot), so
 * a 1 MiB FUSE request over 60 KiB pieces takes about one round trip rather than seventeen. Pieces are
 * collected in order: a read stops at the first short piece (end of file), and what follows it is dropped.
 */
#define IO_WINDOW 32

struct piece {
	struct smb1_pending *p;
	uint64_t off;
	uint8_t *buf;
	uint32_t len;
	int rc; /* a failure to submit */
};

static void piece_submit(struct s1link *l, uint8_t command, uint16_t fid, struct piece *pc)
{
	struct wbuf w;
	smb1_sess_req_init(l->s, &w, command);
	if (command == SMB1_COM_READ_ANDX)
		pc->rc = smb1_read_req_encode(&w, fid, pc->off, pc->len);
	else
		pc->rc = smb1_write_req_encode(&w, fid, pc->off, pc->len, false);
	if (pc->rc == 0) {
		stat_cmd(l->cl, command);
		pc->rc = smb1_sess_submit(l->s, &w, command == SMB1_COM_WRITE_ANDX ? pc->buf : NULL,
					  command == SMB1_COM_WRITE_ANDX ? pc->len : 0, &pc->p);
	}
	wbuf_free(&w);
}

/* Collect one piece: 0 with the bytes read or written in *n, or a negative errno. */
static int piece_wait(struct s1link *l, uint8_t command, struct piece *pc, uint32_t *n)
{
	uint8_t *rsp = NULL;
	size_t rlen = 0;
	uint32_t st = 0, dl = 0;
	const uint8_t *d = NULL;
	*n = 0;
	int rc = pc->rc;
	if (pc->p)
		rc = smb1_sess_wait(l->s, pc->p, &rsp, &rlen, &st);
	pc->p = NULL;
	if (rc == 0 && st != STATUS_SUCCESS)
		rc = command == SMB1_COM_READ_ANDX && st == STATUS_END_OF_FILE ? -ENODATA
									 : ntstatus_to_errno(st) ?: -EIO;
	if (command == SMB1_COM_READ_ANDX) {
		if (rc == -ENODATA)
			rc = 0;
		else if (rc == 0 && smb1_read_rsp_decode(rsp, rlen, &d, &dl) < 0)
			rc = -EIO;
		if (rc == 0 && dl > pc->len)
			rc = -EIO; /* more than asked: a confused or hostile server */
		if (rc == 0 && dl)
			memcpy(pc->buf, d, dl);
	} else {
		if (rc == 0 && smb1_write_rsp_decode(rsp, rlen, &dl) < 0)
			rc = -EIO;
		/* A write not done in full is an error: callers must not see data silently dropped. */
		if (rc == 0 && dl != pc->len)
			rc = dl < pc->len ? -ENOSPC : -EIO;
	}
	free(rsp);
	*n = rc == 0 ? dl : 0;
	return rc;
}

/*
 * Move a->size bytes in pieces, several in flight. a->done counts the bytes of the leading pieces that all
 * completed in full (plus a short one's bytes, for a read). Returns the first error in offset order, which
 * op_read forgives once something was read.
 */
static int io_pipelined(struct s1link *l, uint16_t fid, uint8_t command, struct io_args *a)
{
	struct piece ring[IO_WINDOW];
	uint32_t chunk = io_chunk(l, command == SMB1_COM_WRITE_ANDX);
	unsigned window = MIN((unsigned)IO_WINDOW, (unsigned)(l->info.max_mpx ? l->info.max_mpx : 1));
	size_t sent = 0;
	unsigned head = 0, count = 0;
	int rc = 0;
	bool stop = false;
	a->done = 0;
	while (count || (!stop && sent < a->size)) {
		/* Keep the window full while there is more to send and nothing went wrong. */
		while (!stop && sent < a->size && count < window) {
			struct piece *pc = &ring[(head + count) % IO_WINDOW];
			*pc = (struct piece){.off = a->off + sent,
					     .buf = a->buf + sent,
					     .len = (uint32_t)MIN((size_t)chunk, a->size - sent)};
			piece_submit(l, command, fid, pc);
			sent += pc->len;
			count++;
		}
		struct piece *pc = &ring[head];
		uint32_t n;
		int r = piece_wait(l, command, pc, &n);
		head = (head + 1) % IO_WINDOW;
		count--;
		if (stop)
			continue; /* after a short or failed piece, the rest are only collected */
		if (r < 0) {
			rc = r;
			stop = true;
		} else {
			a->done += n;
			stop = n < pc->len;
		}
	}
	return rc;
}

static int op_read(struct s1link *l, uint16_t fid, void *arg)
{
	struct io_args *a = arg;
	int rc = io_pipelined(l, fid, SMB1_COM_READ_ANDX, a);
	return rc < 0 && !a->done ? rc : 0;
}

ssize_t smb1_read(struct smb_client *cl, struct smb_fh *fh, void *buf, size_t size, uint64_t off)
{
	if (size == 0)
		return 0;
	pcache_fh_writeback(cl, fh);
	struct io_args a = {.buf = buf, .size = size, .off = off};
	int rc = on_fid(cl, fh, op_read, &a, true);
	if (rc == 0 && a.done > 0)
		stat_add(&cl->st.bytes_read, (uint64_t)a.done);
	return rc < 0 ? rc : a.done;
}

static int op_write(struct s1link *l, uint16_t fid, void *arg)
{
	return io_pipelined(l, fid, SMB1_COM_WRITE_ANDX, arg);
}

/* Gathered under an exclusive or batch oplock (wb.c) into WRITE_ANDX of the size smbd writes in full. */
ssize_t smb1_write(struct smb_client *cl, struct smb_fh *fh, const void *buf, size_t size, uint64_t off)
{
	if (size == 0)
		return 0;
	ssize_t g = pcache_write(cl, fh, buf, size, off, IO_SMALL);
	if (g != -EAGAIN)
		return g;
	struct io_args a = {.buf = (uint8_t *)buf, .size = size, .off = off};
	/* Writing the same bytes at the same offset twice is harmless, so a lost write is resent. */
	int rc = on_fid(cl, fh, op_write, &a, true);
	pcache_wrote(cl, fh);
	if (a.done > 0)
		stat_add(&cl->st.bytes_written, (uint64_t)a.done);
	return rc < 0 ? rc : a.done;
}

static int enc_flush(struct wbuf *w, const void *arg)
{
	return smb1_flush_req_encode(w, *(const uint16_t *)arg);
}

static int op_flush(struct s1link *l, uint16_t fid, void *arg)
{
	return simple(l, SMB1_COM_FLUSH, enc_flush, &fid);
}

int smb1_fsync(struct smb_client *cl, struct smb_fh *fh)
{
	int e = pcache_flush(cl, fh);
	int rc = on_fid(cl, fh, op_flush, NULL, true);
	return e ?: rc;
}

static int op_fstat(struct s1link *l, uint16_t fid, void *arg)
{
	return query_all(l, NULL, fid, arg);
}

int smb1_fstat(struct smb_client *cl, struct smb_fh *fh, struct smb_attr *out)
{
	pcache_fh_writeback(cl, fh);
	int rc = on_fid(cl, fh, op_fstat, out, true);
	if (rc == 0)
		pcache_note_attr(cl, fh, out);
	return rc;
}
