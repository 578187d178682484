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

#include "smbfuse/cursor.h"
#include "smbfuse/ops.h"

enum psrv_fault {
	PSRV_NONE,
	PSRV_STATUS,	/* answer with psrv.status and an error body */
	PSRV_MALFORMED, /* success, but the body ends after 8 bytes (SMB1: after one word; a TRANS2 query, its data) */
	PSRV_SILENT,	/* no answer to the frame holding it */
	PSRV_DROP,	/* close the connection instead of answering; later connects are refused unless reconnect */
	PSRV_DOS,	/* SMB1: answer with the DOS error psrv.status (class | code << 16), no FLAGS2_NT_STATUS */
	PSRV_LATE,	/* answer the frame holding it psrv.late_ms late (a busy server) */
};

struct psrv_open {
	uint64_t fid;
	bool dir;
	bool listed;		/* a QUERY_DIRECTORY was answered: the next says NO_MORE_FILES */
	uint64_t notify_mid;	/* a CHANGE_NOTIFY waiting on it, answered at CLOSE or CANCEL; 0: none */
	uint8_t notify_hdr[32]; /* SMB1: the waiting NT_TRANSACT's header, for its answer */
	bool reconnected;	/* taken back by a DHnC */
	uint32_t options;	/* its CREATE's CreateOptions */
};

struct psrv {
	int lfd;
	uint16_t port;
	pthread_t th;
	pthread_mutex_t mu;
	/* mu: */
	int fd;
	bool stopping;
	bool smb1;	     /* immutable: psrv1.c serves (psrv_start_smb1) */
	bool no_passthru;    /* SMB1: no CAP_INFOLEVEL_PASSTHRU (deletes go by DELETE_DIRECTORY and DELETE) */
	bool smb1_in_dfs;    /* SMB1: disk shares' tree connects say SMB_SHARE_IS_IN_DFS */
	int fault_cmd;	     /* SMB2 command code (SMB1: command, or PSRV1_T2(subcommand)), -1: none */
	unsigned fault_skip; /* requests of that command answered normally first */
	enum psrv_fault fault;
	uint32_t status;
	bool reconnect;	  /* after PSRV_DROP, accept the client's next connection */
	int name_map;	  /* psrv_client's cfg.name_map (enum name_map) */
	bool grant_lease; /* grant what an RqLs context asks for (Write caching: writes are gathered) */
	/* Durable handles (v1, the dialect is 2.1): grant every DHnQ, take back a DHnC's open (answering
	 * reconnect_status instead when not 0), answer WRITEs on a taken-back open with replay_status when not
	 * 0, and answer a READ, WRITE or QUERY_INFO on a FileId this connection does not know FILE_CLOSED, as
	 * servers do (a FileId of an earlier connection). dh_reconnects: DHnC contexts received. */
	bool durable;
	uint32_t reconnect_status, replay_status;
	unsigned dh_reconnects;
	unsigned fired;	  /* faults applied so far */
	unsigned late_ms; /* PSRV_LATE's delay */
	/* NEGOTIATEs received, and how many named another ClientGuid than the one before (mu). */
	unsigned negotiates, guid_changes;
	uint8_t last_guid[16];
	unsigned served;  /* requests received so far */
	/* QUERY_DIRECTORY output buffer (FileIdBothDirectoryInformation entries) for the next listing; NULL: two
	 * files. Borrowed; set before the op. */
	const uint8_t *dir_buf;
	size_t dir_buf_len;
	/* FileFullEaInformation answers (mu): ea_status when not 0 (every time), else ea_buf (borrowed; NULL: one
	 * EA "k" = "v"). ea_out_len: the OutputBufferLength of the last such query; set_eas: SET_INFOs of it. */
	uint32_t ea_status;
	const uint8_t *ea_buf;
	size_t ea_buf_len;
	uint32_t ea_out_len;
	unsigned set_eas;
	/* Security descriptors (mu): QUERY_INFO of SMB2_0_INFO_SECURITY answers sd_buf (borrowed; NULL: a
	 * header with no parts); sd_addl: the AdditionalInformation of the last SET_INFO of one. */
	const uint8_t *sd_buf;
	size_t sd_buf_len;
	uint32_t sd_addl;
	/* Called on the server thread with each CREATE's name (UTF-16LE as received). */
	void (*on_create)(void *arg, const uint8_t *name, size_t len);
	/* If set, called on the server thread with every whole frame (4-byte prefix included) instead of writing
	 * it to fd: the hook sends it, changed or not, or drops it (tests/fuzz/fuzz_rx.c). */
	void (*on_send)(void *arg, int fd, const uint8_t *frame, size_t len);
	void *arg;
	/* SMB2 LOCK (mu): answered at once with success unless armed. With lock_pending the next lock gets
	 * STATUS_PENDING (an AsyncId) and then lock_final at once, or, with lock_hold, waits for a CANCEL,
	 * answered with lock_cancel_status (STATUS_CANCELLED, or STATUS_SUCCESS: the grant crossing the
	 * cancel). Counted: locks, unlocks (by flags) and cancels of a waiting lock. */
	bool lock_pending, lock_hold;
	uint32_t lock_final, lock_cancel_status;
	unsigned locks, unlocks, cancels;
	uint32_t last_lock_flags;
	uint64_t lock_mid, lock_async; /* the lock waiting for a CANCEL; 0: none */
	/* SMB1 LOCKING_ANDX: last_lock_flags is TypeOfLock, with 0x100 for an unlock; lock_hold keeps a lock
	 * with a Timeout waiting until a LOCKING_ANDX_CANCEL_LOCK (lock_mid set meanwhile, its header here). */
	uint32_t last_lock_timeout;
	uint8_t lock_hdr[32];
	/* SMB2 IOCTL (mu): every one is answered with ioctl_out (borrowed; may be NULL) under ioctl_status
	 * (STATUS_SUCCESS, STATUS_BUFFER_OVERFLOW, ...). Counted, with the last control code and input. SMB1:
	 * TRANS2_GET_DFS_REFERRAL the same (last_ioctl: its subcommand; the input: its parameters). */
	const uint8_t *ioctl_out;
	size_t ioctl_out_len;
	uint32_t ioctl_status;
	/* With ioctl_seq_n: the k-th IOCTL (k = ioctls, counted from 1) for k <= ioctl_seq_n is answered with
	 * ioctl_seq[k - 1] instead (a DC referral, then a root referral from the DC). */
	struct {
		const uint8_t *out;
		size_t len;
		uint32_t status;
	} ioctl_seq[4];
	unsigned ioctl_seq_n;
	unsigned ioctls;
	uint32_t last_ioctl;
	uint8_t last_ioctl_in[64];
	uint32_t last_ioctl_in_len;
	/* Without ioctl_out: a resume key for FSCTL_SRV_REQUEST_RESUME_KEY; FSCTL_SRV_COPYCHUNK_WRITE copies all
	 * it is asked, unless it holds more than cc_max_chunks (when not 0) chunks: then STATUS_INVALID_PARAMETER
	 * with the limits (cc_max_chunks of 1 MiB). Counted, with the last request's chunk count. */
	uint32_t cc_max_chunks;
	uint64_t file_size; /* EndOfFile of every file (FileAllInformation); 0: 100 */
	uint32_t file_attrs; /* FileAttributes of every file (FileAllInformation); 0: ARCHIVE */
	/* names_are_dirs (mu): every name is a directory whose attributes are file_attrs (Windows' `mklink /D`
	 * link), so a CREATE with FILE_NON_DIRECTORY_FILE gets STATUS_FILE_IS_A_DIRECTORY. deletes: SET_INFOs
	 * of FileDispositionInformation that set DeletePending; delete_options: the CreateOptions of the open
	 * that the last one went to. */
	bool names_are_dirs;
	/* dirs_deleted (mu): an open directory is delete-pending, as after another client's delete of it while
	 * we hold it open: a CREATE of a directory while a directory handle is open gets STATUS_DELETE_PENDING
	 * (SMB1 too); a CHANGE_NOTIFY on the open one still waits (for the CLOSE), as Samba's does. */
	bool dirs_deleted;
	unsigned deletes;
	uint32_t delete_options;
	unsigned cc_requests;
	uint32_t cc_last_chunks;
	/* COPYCHUNK_WRITE in flight (mu; psrv_ioctl.c): with cc_hold, answers are held back until cc_hold are,
	 * then sent last first (out of order); a connection quiet for 100 ms gets those held at once (a client
	 * with fewer in flight). cc_held_max: the most held at once. The cc_short_at-th request (counted as
	 * cc_requests, from 1) copies half of it; the cc_fail_at-th fails with cc_fail_status; cc_max_chunks
	 * applies from the cc_limit_from-th on (0: from the first). */
	unsigned cc_hold, cc_held_max, cc_short_at, cc_fail_at, cc_limit_from;
	uint32_t cc_fail_status;
	struct psrv_held *held; /* the server thread's: answers held back */
	unsigned nheld;
	/* A pipe server (psrv_pipe.c), when pipe_rsp is set before the client starts: the tree connect says
	 * "pipe share", and IOCTLs and READs get pipe_rsp[pipe_next++] (pipe_n of them; then STATUS_PIPE_EMPTY).
	 * Borrowed. pipe_next under mu. */
	const uint8_t *const *pipe_rsp;
	/* A broken server whose IPC$ is a disk share (otherwise IPC$ is a pipe share, for DFS referrals). */
	bool ipc_disk;
	const size_t *pipe_rsp_len;
	unsigned pipe_n, pipe_next;
	/* Directory leases (psrv_dlease.c): with smb3_dir_leases, set before the client starts, the server
	 * speaks SMB 3.0 with SMB2_GLOBAL_CAP_DIRECTORY_LEASING (psrv_client asks for 3.0) and, with
	 * grant_lease, grants a directory's RqLs as a file's; dir_lease_answer 1 answers it for another key, 2
	 * with a context cut to 20 bytes. mu: dir_key is the last directory lease granted (have_dir_key);
	 * break_dir: before the next request, send a break of it to none; lease_acks: acknowledgments
	 * received; dir_closes, file_closes: CLOSEs of directory and of other handles (closes_at_ack: as
	 * many dir_closes when the last ack came). */
	bool smb3_dir_leases;
	/* posix (psrv_posix.c), set before the client starts: the server speaks 3.1.1 with the POSIX extensions
	 * (psrv_client asks for 3.1.1 and offers them): a POSIX context in every CREATE's answer,
	 * FilePosixInformation for QUERY_INFO and for the default listing. */
	bool posix;
	int dir_lease_answer;
	uint8_t dir_key[16];
	bool have_dir_key, break_dir;
	unsigned lease_acks, dir_closes, closes_at_ack, file_closes;
	/* Trees (mu): a TREE_CONNECT to a share whose name ends with tree_refuse (ASCII) is answered with
	 * tree_refuse_status; the others get TreeIds 7, 8, ... in order on each connection. Counted: tree
	 * connects (refused ones too) and tree disconnects; last_tid: the TreeId of the last CREATE. */
	const char *tree_refuse;
	uint32_t tree_refuse_status;
	unsigned tree_connects, tree_disconnects;
	uint32_t last_tid;
	/* the server thread's own */
	uint32_t conn_trees, answer_tid; /* trees connected on this connection; the TreeId being answered */
	uint64_t next_fid, last_fid;
	struct psrv_open open[64];
	uint64_t session_id;
};

/* Listen on a loopback port and serve from a thread: SMB2, or SMB1 (NT LM 0.12, psrv1.c). */
void psrv_start(struct psrv *s);
void psrv_start_smb1(struct psrv *s);
/* Close the current connection (the client finds it dead); the listener stays. */
void psrv_hangup(struct psrv *s);
/* Close the connection and the listener, join the thread. */
void psrv_stop(struct psrv *s);
/* Free client cl (from psrv_client), then psrv_stop. */
void psrv_client_down(struct psrv *s, struct smb_client *cl);
/* Fault the (skip+1)-th next request of command cmd; PSRV_NONE disarms. */
void psrv_arm(struct psrv *s, int cmd, unsigned skip, enum psrv_fault f, uint32_t status);
/* Wait (at most 5 s) until *count, a counter of s under mu (lease_acks, dir_closes, ...), reaches n. */
bool psrv_wait_count(struct psrv *s, const unsigned *count, unsigned n);
/* The server thread: o (NULL: none) was closed; counted in dir_closes or file_closes (SMB2 and SMB1). */
void psrv_closed(struct psrv *s, struct psrv_open *o);
/* The server thread: whether a CREATE of a directory (dir) or not meets a delete-pending one (dirs_deleted). */
bool psrv_dir_deleted(struct psrv *s, bool dir);
/* What the next listings hold (psrv.dir_buf), under the server's lock. */
void psrv_set_listing(struct psrv *s, const uint8_t *buf, size_t len);
/* Whether the armed fault was applied (and how many so far); how many requests arrived. */
unsigned psrv_fired(struct psrv *s);
unsigned psrv_served(struct psrv *s);
/* A guest client of s (vers=1.0 for an SMB1 server): request timeout timeout_ms, with the cache (leases, watches) or
 * cache=none. */
int psrv_client(struct psrv *s, bool cache, int timeout_ms, struct smb_client **out);
/* Append one FileIdBothDirectoryInformation entry naming name (UTF-16LE, len bytes; name_len is what the
 * entry claims) to the buffer at *buf (*len bytes, realloc'd); NextEntryOffset of the previous entry set. */
void psrv_dirent(uint8_t **buf, size_t *len, size_t *last, const uint8_t *name, size_t len16, uint32_t name_len,
		 uint32_t attrs);

/* Shared by the two servers. psrv_challenge: an SPNEGO NTLMSSP challenge token (malloc'd, *n bytes). */
uint8_t *psrv_challenge(size_t *n);
int psrv_read_full(int fd, void *p, size_t n);
void psrv_write_full(int fd, const uint8_t *p, size_t n);
/* One whole frame to the client: through s->on_send if set, else psrv_write_full. */
void psrv_send(struct psrv *s, int fd, const uint8_t *frame, size_t n);
/* The fault armed for a request of command cmd, consumed (status in *status); PSRV_NONE if not its target. */
enum psrv_fault psrv_take_fault(struct psrv *s, int cmd, uint32_t *status);
/* psrv_ioctl.c: the answer to one IOCTL request (its status; the body into b). */
struct srv_req;
struct wbuf;
/* psrv_dir.c: a QUERY_DIRECTORY's answer body; the open it names, at offset off of the body (psrv.c). */
uint32_t psrv_query_dir_body(struct psrv *s, const struct srv_req *q, struct wbuf *b);
struct psrv_open *psrv_req_open(struct psrv *s, const struct srv_req *q, size_t off);
uint32_t psrv_ioctl_body(struct psrv *s, const struct srv_req *q, struct wbuf *b);
/* psrv_ioctl.c, server thread: hold the answer (status st, body b, taken) to q back if cc_hold says so;
 * send those held (fd >= 0) or drop them (fd < 0, the connection is gone). */
bool psrv_cc_hold(struct psrv *s, int fd, const struct srv_req *q, uint32_t st, struct wbuf *b);
void psrv_cc_flush(struct psrv *s, int fd);
/* A held answer to request mid is not to be sent after all (PSRV_SILENT). */
void psrv_cc_forget(struct psrv *s, uint64_t mid);
/* The body of an error answer (MS-SMB2 2.2.2). */
void psrv_error_body(struct wbuf *b);
/* psrv_lock.c, server thread: a LOCK's answer (false: answered apart, now or at a CANCEL); a CANCEL of the
 * lock kept waiting. */
bool psrv_lock_answer(struct psrv *s, int fd, const struct srv_req *q, struct wbuf *b);
void psrv_lock_cancel(struct psrv *s, int fd, const struct srv_req *q);
/* An answer sent apart from its request's frame (async when async_id is not 0); server thread only. */
void psrv_send_late(struct psrv *s, int fd, uint64_t mid, uint16_t cmd, uint32_t status, uint64_t async_id,
		    const struct wbuf *b);
/* psrv_dlease.c, server thread: a CREATE's lease answer in ctx, for a directory (record or spoil it); the
 * break psrv.break_dir asks for; the body of a lease break acknowledgment's answer. */
void psrv_dlease_created(struct psrv *s, bool dir, struct wbuf *ctx);
void psrv_dlease_break(struct psrv *s, int fd);
void psrv_dlease_ack(struct psrv *s, const struct srv_req *q, struct wbuf *b);
/* psrv_posix.c: the negotiate contexts after the body begun at body_start of b; a CREATE answer's POSIX
 * context; FilePosixInformation of a file or directory; the default listing at the POSIX level. */
void psrv_posix_negotiate(struct wbuf *b, size_t body_start);
void psrv_posix_create_ctx(struct wbuf *ctx, size_t *prev, bool dir);
void psrv_posix_info(struct wbuf *d, bool dir);
void psrv_posix_listing(struct wbuf *b);
/* The client's counter name (ops->stats), or -1 when absent. */
long long psrv_stat(struct smb_client *cl, const char *name);
/* psrv1.c: one SMB1 connection, as serve() in psrv.c: true when the client closed it. */
bool psrv1_serve(struct psrv *s, int fd);
/* psrv_pipe.c: true when s is a pipe server and cmd one it answers (body in b, status in *st). */
bool psrv_pipe_answer(struct psrv *s, int cmd, struct wbuf *b, uint32_t *st);
/* The fault_cmd of a TRANS2 subcommand. */
#define PSRV1_T2(sub) (0x100 | (sub))

#endif
