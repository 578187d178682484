/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * secret.c - pages for secrets (contract: include/smbfuse/secret.h).
 *
 * One mapping per allocation: secrets are few and small (a hash, a session's keys), so a page each costs
 * little and keeps the rules simple: nothing else shares the page, and unmapping is the end of it. A
 * header in front of the caller's bytes records the mapping; a list of live mappings lets the fork child
 * lock them again.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "smbfuse/log.h"
#include "smbfuse/secret.h"

#define SECRET_MAGIC 0x53454352u /* "SECR" */
#define HDR_LEN 64		 /* keeps the caller's bytes 64-byte aligned */

struct secret_hdr {
	uint32_t magic;
	bool locked;
	size_t map_len;
	struct secret_hdr *prev, *next;
};
_Static_assert(sizeof(struct secret_hdr) <= HDR_LEN, "header must fit");

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct secret_hdr *live;
static size_t bytes_live, bytes_locked;
static bool warned;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

/* The system calls themselves: ASan's mlock and munlock interceptors do nothing and return 0, which would
 * leave the sanitizer builds (what CI tests) silently unlocked. */
static int sys_mlock(const void *p, size_t n)
{
	return (int)syscall(SYS_mlock, p, n);
}

static int sys_munlock(const void *p, size_t n)
{
	return (int)syscall(SYS_munlock, p, n);
}

static void lock_one(struct secret_hdr *h)
{
	h->locked = sys_mlock(h, h->map_len) == 0;
	if (h->locked) {
		bytes_locked += h->map_len;
		return;
	}
	/* Unprivileged users get RLIMIT_MEMLOCK (often 64 KiB or 8 MiB); beyond it the pages may be swapped,
	 * but they are still left out of cores. Said once, when someone is looking. */
	if (!warned && log_get_level() >= LOG_LVL_DEBUG) {
		warned = true;
		log_dbg("mlock of secret memory failed (%s); it may be swapped out (raise RLIMIT_MEMLOCK)",
			strerror(errno));
	}
}

static void atfork_prepare(void)
{
	pthread_mutex_lock(&mu);
}

static void atfork_parent(void)
{
	pthread_mutex_unlock(&mu);
}

/* mlock is not inherited across fork (mlock(2)); MADV_DONTDUMP is. */
static void atfork_child(void)
{
	bytes_locked = 0;
	for (struct secret_hdr *h = live; h; h = h->next)
		lock_one(h);
	pthread_mutex_unlock(&mu);
}

static void register_atfork(void)
{
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

void *secret_alloc(size_t n)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	if (n > SIZE_MAX - HDR_LEN - page)
		return NULL;
	size_t len = (n + HDR_LEN + page - 1) / page * page;
	void *base = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		return NULL;
	/* Failure leaves the pages in dumps: say so, but a secret must not stop a mount. */
	if (madvise(base, len, MADV_DONTDUMP) < 0)
		log_warn("madvise(MADV_DONTDUMP) failed: %s", strerror(errno));
	pthread_once(&atfork_once, register_atfork);
	struct secret_hdr *h = base;
	h->magic = SECRET_MAGIC;
	h->map_len = len;
	pthread_mutex_lock(&mu);
	lock_one(h);
	h->next = live;
	if (live)
		live->prev = h;
	live = h;
	bytes_live += len;
	pthread_mutex_unlock(&mu);
	return (uint8_t *)base + HDR_LEN;
}

static struct secret_hdr *hdr_of(const void *p)
{
	return (struct secret_hdr *)((uintptr_t)p - HDR_LEN);
}

void secret_free(void *p)
{
	if (!p)
		return;
	struct secret_hdr *h = hdr_of(p);
	if (h->magic != SECRET_MAGIC) {
		log_err("secret_free of memory that secret_alloc did not return");
		return;
	}
	pthread_mutex_lock(&mu);
	if (h->prev)
		h->prev->next = h->next;
	else
		live = h->next;
	if (h->next)
		h->next->prev = h->prev;
	bytes_live -= h->map_len;
	if (h->locked)
		bytes_locked -= h->map_len;
	pthread_mutex_unlock(&mu);
	size_t len = h->map_len;
	bool locked = h->locked;
	/* Unmapped pages are gone, but wiping first means no copy outlives us in a page the kernel reuses. */
	explicit_bzero(h, len);
	if (locked)
		sys_munlock(h, len);
	munmap(h, len);
}

bool secret_owns(const void *p)
{
	bool found = false;
	pthread_mutex_lock(&mu);
	for (struct secret_hdr *h = live; h && !found; h = h->next)
		found = (const uint8_t *)p >= (const uint8_t *)h + HDR_LEN && (const uint8_t *)p < (const uint8_t *)h + h->map_len;
	pthread_mutex_unlock(&mu);
	return found;
}

void secret_usage(size_t *bytes, size_t *locked)
{
	pthread_mutex_lock(&mu);
	*bytes = bytes_live;
	*locked = bytes_locked;
	pthread_mutex_unlock(&mu);
}

void *secret_memdup(const void *p, size_t n)
{
	uint8_t *q = secret_alloc(n);
	if (q && n)
		memcpy(q, p, n);
	return q;
}

char *secret_strndup(const char *s, size_t n)
{
	if (!s)
		return NULL;
	n = strnlen(s, n);
	char *q = secret_alloc(n + 1);
	if (q)
		memcpy(q, s, n); /* the NUL is there: secret_alloc zeroes */
	return q;
}

char *secret_strdup(const char *s)
{
	return s ? secret_strndup(s, strlen(s)) : NULL;
}

void secret_wipe_str(char *s)
{
	if (s)
		explicit_bzero(s, strlen(s));
}

int secret_set_dumpable(bool dumpable)
{
	/* RLIMIT_CORE 0 as well: belt and braces should the flag be reset (setuid, exec), and no core lands in
	 * the working directory. The first call saves the soft limit so that dumpable gives back the user's. */
	static struct rlimit saved;
	static bool have_saved;
	struct rlimit rl;
	if (!have_saved && getrlimit(RLIMIT_CORE, &saved) == 0)
		have_saved = true;
	if (have_saved) {
		rl = saved;
		if (!dumpable)
			rl.rlim_cur = 0;
		setrlimit(RLIMIT_CORE, &rl);
	}
	return prctl(PR_SET_DUMPABLE, dumpable ? 1 : 0, 0, 0, 0) < 0 ? -errno : 0;
}
