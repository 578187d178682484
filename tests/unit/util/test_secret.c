/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of secret memory: what the kernel says about the pages (smaps VmFlags), fork, dumpable. */
#include <errno.h>
#include <linux/capability.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../tap.h"
#include "smbfuse/secret.h"

/* The VmFlags of the mapping holding p ("rd wr mr mw me dd lo ..."), or "" if p is not mapped. */
static void vmflags(const void *p, char *out, size_t len)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	bool in = false;
	out[0] = 0;
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' '))
			in = (uintptr_t)p >= lo && (uintptr_t)p < hi;
		else if (in && strncmp(line, "VmFlags:", 8) == 0)
			snprintf(out, len, "%.200s", line + 8);
	}
	if (f)
		fclose(f);
}

static bool has_flag(const char *flags, const char *f)
{
	char pat[8];
	snprintf(pat, sizeof(pat), " %s", f);
	return strstr(flags, pat) != NULL;
}

static void test_alloc_free(void)
{
	size_t b0, l0, b1, l1;
	secret_usage(&b0, &l0);
	uint8_t *p = secret_alloc(100);
	CHECK(p != NULL && ((uintptr_t)p & 63) == 0);
	bool zero = true;
	for (int i = 0; i < 100; i++)
		zero = zero && p[i] == 0;
	CHECK(zero);
	CHECK(secret_owns(p) && secret_owns(p + 99));
	int x = 0;
	CHECK(!secret_owns(&x));
	secret_usage(&b1, &l1);
	CHECK(b1 > b0);
	char fl[256];
	vmflags(p, fl, sizeof(fl));
	/* dd: VM_DONTDUMP, which gcore and the kernel's core writer both skip. */
	CHECK(has_flag(fl, "dd"));
	/* lo: VM_LOCKED, whenever mlock succeeded (root, or within RLIMIT_MEMLOCK). */
	CHECK(l1 == l0 || has_flag(fl, "lo"));
	memset(p, 0xA5, 100);
	secret_free(p);
	CHECK(!secret_owns(p));
	vmflags(p, fl, sizeof(fl));
	CHECK(fl[0] == 0); /* unmapped */
	secret_usage(&b1, &l1);
	CHECK(b1 == b0 && l1 == l0);
	secret_free(NULL);

	/* More than a page, and zero bytes. */
	uint8_t *big = secret_alloc(10000), *none = secret_alloc(0);
	CHECK(big && none && secret_owns(big + 9999));
	big[9999] = 1;
	secret_free(big);
	secret_free(none);
}

static void test_dup(void)
{
	char *s = secret_strdup("hunter2");
	CHECK(s && strcmp(s, "hunter2") == 0 && secret_owns(s));
	char *t = secret_strndup("abcdef", 3);
	CHECK(t && strcmp(t, "abc") == 0);
	uint8_t *m = secret_memdup("\x01\x02\x03", 3);
	CHECK(m && m[0] == 1 && m[2] == 3);
	CHECK(secret_strdup(NULL) == NULL);
	char w[] = "plain";
	secret_wipe_str(w);
	CHECK(memcmp(w, "\0\0\0\0\0", 6) == 0);
	secret_free(s);
	secret_free(t);
	secret_free(m);
}

/* mlock is not inherited: the child must lock the live allocations again. */
static void test_fork_relocks(void)
{
	size_t b, l;
	uint8_t *p = secret_alloc(32);
	secret_usage(&b, &l);
	if (l == 0) {
		CHECK(1); /* mlock refused here (no CAP_IPC_LOCK, small limit): nothing to re-lock */
		secret_free(p);
		return;
	}
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		char fl[256];
		vmflags(p, fl, sizeof(fl));
		_exit(has_flag(fl, "lo") && has_flag(fl, "dd") ? 0 : 1);
	}
	int st = 0;
	CHECK(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	secret_free(p);
}

/* Without CAP_IPC_LOCK and with RLIMIT_MEMLOCK 0, mlock fails: the memory must still work and stay out of
 * dumps. Run in a child so the capability stays with the test. */
static void test_mlock_refused(void)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
		struct __user_cap_data_struct d[2];
		if (syscall(SYS_capget, &h, d) == 0) {
			d[CAP_IPC_LOCK / 32].effective &= ~(1u << (CAP_IPC_LOCK % 32));
			syscall(SYS_capset, &h, d);
		}
		struct rlimit rl = {0, 0};
		setrlimit(RLIMIT_MEMLOCK, &rl);
		size_t b, l;
		uint8_t *p = secret_alloc(64);
		if (!p)
			_exit(2);
		p[63] = 7;
		char fl[256];
		vmflags(p, fl, sizeof(fl));
		secret_usage(&b, &l);
		_exit(l == 0 && has_flag(fl, "dd") && !has_flag(fl, "lo") ? 0 : 1);
	}
	int st = 0;
	CHECK(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void test_dumpable(void)
{
	struct rlimit before, rl;
	getrlimit(RLIMIT_CORE, &before);
	CHECK(secret_set_dumpable(false) == 0);
	CHECK(prctl(PR_GET_DUMPABLE) == 0);
	CHECK(getrlimit(RLIMIT_CORE, &rl) == 0 && rl.rlim_cur == 0);
	CHECK(secret_set_dumpable(true) == 0);
	CHECK(prctl(PR_GET_DUMPABLE) == 1);
	CHECK(getrlimit(RLIMIT_CORE, &rl) == 0 && rl.rlim_cur == before.rlim_cur);
}

int main(void)
{
	test_alloc_free();
	test_dup();
	test_fork_relocks();
	test_mlock_refused();
	test_dumpable();
	return tap_done();
}
