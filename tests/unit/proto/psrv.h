/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * psrv.h - a scripted SMB2 server on loopback for tests of the proto layer (the real smb_client, session and
 * transport above it). It logs a guest on (dialect 2.1, NTLMSSP anonymous, no signing) and answers every
 * request the SMB2 ops table sends from a tiny model: every name exists, directories are what was opened as
 * one, a listing holds two files (or the bytes the test gives), reads return what was asked. One request per
 * arming, chosen by command and rank, gets a fault instead: an error status (the rest of its compound fails
 * with it, as servers do), a body cut short, no answer at all, or the connection dropped.
 */
#ifndef SMBFUSE_TEST_PSRV_H
#define SMBFUSE_TEST_PSRV_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "smbfuse/ops.h"

enum psrv_fault {
	PSRV_NONE,
	PSRV_STATUS,	/* answer with psrv.status and an error body */
	PSRV_MALFORMED, /* success, but the body ends after 8 bytes */
	PSRV_SILENT,	/* no answer to the frame holding it */
	PSRV_DROP,	/* close the connection instead of answering; later connects are refused unless reconnect */
};

struct psrv_open {
	uint64_t fid;
	bool dir;
	bool listed;	     /* a QUERY_DIRECTORY was answered: the next says NO_MORE_FILES */
	uint64_t notify_mid; /* a CHANGE_NOTIFY waiting on it, answered at CLOSE or CANCEL; 0: none */
};

struct psrv {
	int lfd;
	uint16_t port;
	pthread_t th;
	pthread_mutex_t mu;
	/* mu: */
	int fd;
	bool stopping;
	int fault_cmd;	     /* SMB2 command code, -1: none */
	unsigned fault_skip; /* requests of that command answered normally first */
	enum psrv_fault fault;
	uint32_t status;
	bool reconnect;	  /* after PSRV_DROP, accept the client's next connection */
	int name_map;	  /* psrv_client's cfg.name_map (enum name_map) */
	bool grant_lease; /* grant what an RqLs context asks for (Write caching: writes are gathered) */
	unsigned fired;	  /* faults applied so far */
	/* QUERY_DIRECTORY output buffer (FileIdBothDirectoryInformation entries) for the next listing; NULL: two
	 * files. Borrowed; set before the op. */
	const uint8_t *dir_buf;
	size_t dir_buf_len;
	/* Called on the server thread with each CREATE's name (UTF-16LE as received). */
	void (*on_create)(void *arg, const uint8_t *name, size_t len);
	void *arg;
	/* the server thread's own */
	uint64_t next_fid, last_fid;
	struct psrv_open open[64];
	uint64_t session_id;
};

/* Listen on a loopback port and serve from a thread. */
void psrv_start(struct psrv *s);
/* Close the connection and the listener, join the thread. */
void psrv_stop(struct psrv *s);
/* Fault the (skip+1)-th next request of command cmd; PSRV_NONE disarms. */
void psrv_arm(struct psrv *s, int cmd, unsigned skip, enum psrv_fault f, uint32_t status);
/* What the next listings hold (psrv.dir_buf), under the server's lock. */
void psrv_set_listing(struct psrv *s, const uint8_t *buf, size_t len);
/* Whether the armed fault was applied (and how many so far). */
unsigned psrv_fired(struct psrv *s);
/* A guest client of s: request timeout timeout_ms, with the cache (leases, watches) or cache=none. */
int psrv_client(struct psrv *s, bool cache, int timeout_ms, struct smb_client **out);
/* Append one FileIdBothDirectoryInformation entry naming name (UTF-16LE, len bytes; name_len is what the
 * entry claims) to the buffer at *buf (*len bytes, realloc'd); NextEntryOffset of the previous entry set. */
void psrv_dirent(uint8_t **buf, size_t *len, size_t *last, const uint8_t *name, size_t len16, uint32_t name_len,
		 uint32_t attrs);

#endif
