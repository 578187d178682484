/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * secret.h - memory for passwords, hashes and keys: kept out of core dumps and swap, wiped when freed.
 *
 * Every allocation gets whole pages of its own, mapped anonymously (so the heap never holds a copy and
 * malloc's or ASan's free lists cannot keep one), marked MADV_DONTDUMP (a core or gcore leaves them out)
 * and mlock'ed (never written to swap). mlock may fail for an unprivileged user over RLIMIT_MEMLOCK: the
 * memory is still usable and still left out of dumps, and that is logged once at debug level. Locks do not
 * survive fork(); the child locks the live allocations again (pthread_atfork).
 *
 * Used by: auth (NTLM state), session (signing and encryption keys), the CLI (the password until it is
 * hashed); Kerberos keys are meant to live here too. Thread-safe. Returns NULL only when mmap fails.
 */
#ifndef SMBFUSE_SECRET_H
#define SMBFUSE_SECRET_H

#include <stdbool.h>
#include <stddef.h>

/* n zeroed bytes (n may be 0); free with secret_free. */
void *secret_alloc(size_t n);
/* Wipes the whole allocation, unlocks and unmaps it. NULL is fine. */
void secret_free(void *p);
/* Copies into secret memory; NULL in, NULL out (not an error). */
char *secret_strdup(const char *s);
char *secret_strndup(const char *s, size_t n);
void *secret_memdup(const void *p, size_t n);
/* explicit_bzero of a NUL-terminated string in place (any memory); NULL is fine. */
void secret_wipe_str(char *s);

/* Whether p came from secret_alloc and is still live (for tests and assertions). */
bool secret_owns(const void *p);
/* Bytes currently allocated and how many of them are mlock'ed (for tests and the debug log). */
void secret_usage(size_t *bytes, size_t *locked);

/*
 * Process hardening, once at start-up: dumpable false sets PR_SET_DUMPABLE 0 (no core, no ptrace by the
 * same user, /proc/PID/mem and /proc/PID/environ closed to them) and RLIMIT_CORE 0; true restores both
 * (the debugging option). Returns 0 or a negative errno from prctl.
 */
int secret_set_dumpable(bool dumpable);

#endif
