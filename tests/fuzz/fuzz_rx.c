/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness for the client's receive path: the real smb_client (src/proto over src/session over
 * src/xport, with their threads) logs on to the scripted server of tests/unit/proto/psrv.h and runs a few
 * operations, while every frame the server sends in answer to a real request passes through a mutator
 * driven by the input. So the fuzzer picks what comes back: length prefixes, header fields (status, command,
 * credits, flags, NextCommand, MessageId, AsyncId, SessionId, signature), STATUS_PENDING interims, frames
 * out of nowhere (breaks, unknown MessageIds, NetBIOS keepalives), cut or split frames, duplicates, a
 * silent or dropped connection, any bytes of a body.
 *
 * Input: byte 0 holds flags (bit 0: SMB1 server and client; bit 1: the cache, so leases; bit 2: a watch on a
 * directory, left for smb_client_free to end, with bit 1); the
 * rest is a stream of edits, one per frame the server sends, in order; a frame past its end goes out
 * unchanged. An edit is an opcode byte (low 4 bits: what; bit 7: another edit of the same frame follows)
 * and the bytes that opcode takes (see edit()).
 *
 * Each input gets a new server and client (a new connection, logon and tree connect through the same
 * mutator), freed at its end; the thread count must then be what it was before. Requests time out after
 * RX_TIMEOUT_MS so that a reply the fuzzer swallowed costs little: short, but long enough that a loaded
 * machine answers an untouched request in time.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "../unit/proto/psrv.h"
#include "smbfuse/err.h"
#include "smbfuse/log.h"
#include "smbfuse/smb2.h"
#include "smbfuse/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#ifndef RX_TIMEOUT_MS
#define RX_TIMEOUT_MS 25
#endif
#define RX_MAX_FRAME (1u << 20)

/* The edit stream: read only by the server thread while an input runs. */
struct rx_in {
	const uint8_t *p;
	size_t n;
	bool smb1;
};

static uint8_t take8(struct rx_in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static uint64_t take(struct rx_in *in, int bytes)
{
	uint64_t v = 0;
	for (int i = 0; i < bytes; i++)
		v |= (uint64_t)take8(in) << (8 * i);
	return v;
}

static void set_prefix(uint8_t *f, size_t len)
{
	f[0] = 0;
	f[1] = (uint8_t)(len >> 16);
	f[2] = (uint8_t)(len >> 8);
	f[3] = (uint8_t)len;
}

/* Header fields of the first message, as offsets in the frame (after the 4-byte prefix) and widths. */
struct rx_field {
	uint8_t off, width;
};
/* clang-format off */
static const struct rx_field smb2_fields[] = {
	{4 + 8, 4},  /* Status */
	{4 + 12, 2}, /* Command */
	{4 + 14, 2}, /* CreditResponse */
	{4 + 16, 4}, /* Flags */
	{4 + 20, 4}, /* NextCommand */
	{4 + 24, 8}, /* MessageId */
	{4 + 32, 8}, /* AsyncId / TreeId */
	{4 + 40, 8}, /* SessionId */
	{4 + 48, 8}, /* Signature (half of it) */
};
static const struct rx_field smb1_fields[] = {
	{4 + 5, 4},  /* Status */
	{4 + 4, 1},  /* Command */
	{4 + 9, 1},  /* Flags */
	{4 + 10, 2}, /* Flags2 */
	{4 + 14, 8}, /* SecuritySignature */
	{4 + 24, 2}, /* TID */
	{4 + 28, 2}, /* UID */
	{4 + 30, 2}, /* MID */
	{4 + 32, 1}, /* WordCount */
};
/* clang-format on */

enum {
	RX_PASS,
	RX_PATCH,
	RX_CUT,
	RX_PREFIX,
	RX_FIELD,
	RX_PENDING,
	RX_INJECT,
	RX_DROP,
	RX_SILENT,
	RX_SPLIT,
	RX_DUP,
	RX_KEEPALIVE,
	RX_GROW
};

/* What happens to one frame besides the edits of its bytes. */
struct rx_send {
	bool drop, silent, split, dup, keepalive, pending;
	uint64_t async_id;
	uint8_t inject[256];
	size_t inject_len;
};

/* One edit of the frame f (*len bytes, room for RX_MAX_FRAME) or of how it is sent. */
static void edit(struct rx_in *in, uint8_t op, uint8_t *f, size_t *len, struct rx_send *how)
{
	switch ((op & 0x7F) % 13) {
	case RX_PATCH: { /* bytes anywhere in the frame */
		size_t off = (size_t)take(in, 2) % *len, k = (take8(in) & 7) + 1;
		for (size_t i = 0; i < k && off + i < *len; i++)
			f[off + i] = take8(in);
		break;
	}
	case RX_CUT: /* the frame ends early, its prefix saying so */
		*len = 4 + (size_t)take(in, 2) % (*len - 3);
		set_prefix(f, *len - 4);
		break;
	case RX_PREFIX: /* a prefix that lies, or is a NetBIOS type other than a session message */
		for (int i = 0; i < 4; i++)
			f[i] = take8(in);
		break;
	case RX_FIELD: {
		uint8_t w = take8(in);
		const struct rx_field *fo = in->smb1 ? &smb1_fields[w % 9] : &smb2_fields[w % 9];
		uint8_t off = fo->off, width = fo->width;
		uint64_t v = take(in, width);
		for (int i = 0; i < width && off + (size_t)i < *len; i++)
			f[off + i] = (uint8_t)(v >> (8 * i));
		break;
	}
	case RX_PENDING: /* SMB2: an interim STATUS_PENDING first; the final answer carries the AsyncId too */
		how->pending = true;
		how->async_id = take(in, 8);
		break;
	case RX_INJECT: /* a whole frame of the fuzzer's bytes first */
		how->inject_len = take8(in);
		for (size_t i = 0; i < how->inject_len; i++)
			how->inject[i] = take8(in);
		break;
	case RX_DROP:
		how->drop = true;
		break;
	case RX_SILENT:
		how->silent = true;
		break;
	case RX_SPLIT:
		how->split = true;
		break;
	case RX_DUP:
		how->dup = true;
		break;
	case RX_KEEPALIVE: /* RFC 1002 SESSION KEEP ALIVE (type 0x85, empty) first */
		how->keepalive = true;
		break;
	case RX_GROW: { /* bytes appended to the message, the prefix grown to match */
		size_t k = take8(in);
		for (size_t i = 0; i < k && *len < RX_MAX_FRAME; i++)
			f[(*len)++] = take8(in);
		set_prefix(f, *len - 4);
		break;
	}
	default:
		break;
	}
}

static void pending_interim(int fd, const uint8_t *frame, size_t len, uint64_t async_id)
{
	uint8_t m[4 + SMB2_HDR_SIZE + 9] = {0};
	if (len < 4 + SMB2_HDR_SIZE)
		return;
	memcpy(m + 4, frame + 4, SMB2_HDR_SIZE);
	put_le32(m + 4 + 8, STATUS_PENDING);
	put_le32(m + 4 + 16, get_le32(m + 4 + 16) | SMB2_FLAGS_ASYNC_COMMAND | SMB2_FLAGS_SERVER_TO_REDIR);
	put_le32(m + 4 + 20, 0);
	put_le64(m + 4 + 32, async_id);
	memset(m + 4 + 48, 0, 16);
	put_le16(m + 4 + SMB2_HDR_SIZE, 9);
	set_prefix(m, sizeof(m) - 4);
	psrv_write_full(fd, m, sizeof(m));
}

/* psrv's on_send: the server thread, one whole frame. */
static void rx_send(void *arg, int fd, const uint8_t *frame, size_t len)
{
	struct rx_in *in = arg;
	if (!in->n || len < 4 || len > RX_MAX_FRAME) {
		psrv_write_full(fd, frame, len);
		return;
	}
	uint8_t *f = malloc(RX_MAX_FRAME);
	if (!f)
		abort();
	memcpy(f, frame, len);
	struct rx_send how = {0};
	uint8_t op;
	int edits = 0;
	do {
		op = take8(in);
		edit(in, op, f, &len, &how);
	} while ((op & 0x80) && in->n && ++edits < 16);

	if (how.keepalive)
		psrv_write_full(fd, (const uint8_t[]){0x85, 0, 0, 0}, 4);
	if (how.inject_len) {
		uint8_t p[4];
		set_prefix(p, how.inject_len);
		psrv_write_full(fd, p, 4);
		psrv_write_full(fd, how.inject, how.inject_len);
	}
	if (how.pending && !in->smb1) {
		pending_interim(fd, f, len, how.async_id);
		if (len >= 4 + SMB2_HDR_SIZE && !(get_le32(f + 4 + 16) & SMB2_FLAGS_ASYNC_COMMAND)) {
			put_le32(f + 4 + 16, get_le32(f + 4 + 16) | SMB2_FLAGS_ASYNC_COMMAND);
			put_le64(f + 4 + 32, how.async_id);
		}
	}
	if (how.drop) {
		shutdown(fd, SHUT_RDWR);
	} else if (!how.silent) {
		size_t half = how.split ? len / 2 : len;
		psrv_write_full(fd, f, half);
		psrv_write_full(fd, f + half, len - half);
		if (how.dup)
			psrv_write_full(fd, f, len);
	}
	free(f);
}

static int threads_now(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/task");
	if (!d)
		abort();
	for (struct dirent *e; (e = readdir(d));)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static int ignore_entry(void *arg, const char *name, const struct smb_attr *a)
{
	return 0;
}

/* The operations a mount runs, each through the mutator; their outcome is whatever it is, only crashes,
 * leaks, hangs and sanitizer reports count. */
static void run_ops(struct smb_client *cl, bool watch)
{
	const struct smb_ops *ops = smb_client_ops(cl);
	struct smb_attr at;
	struct smb_fh *fh;
	struct smb_statfs sf;
	struct smb_setattr sa = {.valid = SMB_SET_ATTRS, .attrs = 0};
	uint8_t buf[4096];

	ops->stat(cl, "a", &at);
	ops->readdir(cl, "d", ignore_entry, NULL, &at);
	if (ops->open(cl, "f", O_RDWR | O_CREAT, 0644, &fh, &at) == 0) {
		ops->read(cl, fh, buf, sizeof(buf), 0);
		memset(buf, 'x', 100);
		ops->write(cl, fh, buf, 100, 10);
		ops->fstat(cl, fh, &at);
		ops->flush(cl, fh);
		ops->close(cl, fh);
	}
	ops->statfs(cl, &sf);
	ops->mkdir(cl, "d2", 0755, &at);
	ops->setattr(cl, "f", NULL, &sa, NULL);
	ops->rename(cl, "f", "g", 0);
	ops->unlink(cl, "g", 0);
	ops->rmdir(cl, "d2");
	if (watch && ops->watch)
		ops->watch(cl, "d");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	static bool quiet;
	if (!quiet) {
		log_set_level(LOG_LVL_ERR);
		quiet = true;
	}
	int threads = threads_now();
	struct rx_in in = {.p = data + 1, .n = size - 1, .smb1 = data[0] & 1};
	struct psrv s;
	if (in.smb1)
		psrv_start_smb1(&s);
	else
		psrv_start(&s);
	pthread_mutex_lock(&s.mu);
	s.on_send = rx_send;
	s.arg = &in;
	s.grant_lease = data[0] & 2;
	pthread_mutex_unlock(&s.mu);
	struct smb_client_cfg cfg = {
	    .host = "127.0.0.1",
	    .port = s.port,
	    .share = "t",
	    .guest = true,
	    .workstation = "FZRX",
	    .min_dialect = in.smb1 ? SMB_DIALECT_SMB1 : SMB2_DIALECT_202,
	    .max_dialect = in.smb1 ? SMB_DIALECT_SMB1 : SMB2_DIALECT_311,
	    .connect_timeout_ms = RX_TIMEOUT_MS,
	    .request_timeout_ms = RX_TIMEOUT_MS,
	    .no_leases = !(data[0] & 2),
	};
	struct smb_client *cl;
	char err[256];
	int rc = smb_client_new(&cfg, &cl, err, sizeof(err));
	if (rc == 0) {
		run_ops(cl, data[0] & 4);
		smb_client_free(cl);
	} else if (getenv("FUZZ_RX_DEBUG")) {
		fprintf(stderr, "fuzz_rx: logon: %s (%s)\n", strerror(-rc), err);
	}
	psrv_stop(&s);
	/* A joined thread can stay listed for a moment after pthread_join returns: wait for the count (2 s at
	 * most), then a thread still there is one the client left behind. */
	for (int i = 0; i < 2000 && threads_now() > threads; i++)
		nanosleep(&(struct timespec){0, 1000000}, NULL);
	if (threads_now() != threads) {
		fprintf(stderr, "fuzz_rx: %d threads before the input, %d after\n", threads, threads_now());
		abort();
	}
	return 0;
}
