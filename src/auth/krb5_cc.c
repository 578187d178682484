/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cruid=: which credential cache a root mount uses for another user, found as cifs.upcall finds it. The
 * daemon cannot inherit that user's KRB5CCNAME (fstab and systemd mounts have no user session), so it
 * takes the default_ccache_name of krb5.conf with that user's uid in %{uid}, or libkrb5's built-in default,
 * FILE:/tmp/krb5cc_UID. KEYRING: and KCM: names are resolved by libkrb5 when the ticket is needed (root may
 * read another uid's persistent keyring); FILE: and DIR: names are checked here, so a missing cache is
 * reported at mount time with the name that was tried.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <krb5.h>
#include <profile.h>

#include "smbfuse/auth.h"

/* Expand the krb5.conf parameter tokens a cache name uses (krb5.conf(5) "PARAMETER EXPANSION") for uid. */
static int expand(const char *tmpl, unsigned uid, char *buf, size_t n)
{
	size_t used = 0;
	char num[16];
	snprintf(num, sizeof(num), "%u", uid);
	for (const char *p = tmpl; *p;) {
		const char *rep = NULL;
		size_t skip = 1;
		if (strncmp(p, "%{uid}", 6) == 0 || strncmp(p, "%{euid}", 7) == 0 || strncmp(p, "%{USERID}", 9) == 0) {
			rep = num;
			skip = strchr(p, '}') - p + 1;
		} else if (strncmp(p, "%{TEMP}", 7) == 0) {
			rep = "/tmp";
			skip = 7;
		} else if (strncmp(p, "%{", 2) == 0) {
			return -EINVAL; /* a token that depends on the running user (%{username}, %{LIBDIR}...) */
		}
		size_t len = rep ? strlen(rep) : 1;
		if (used + len >= n)
			return -ENAMETOOLONG;
		memcpy(buf + used, rep ? rep : p, len);
		used += len;
		p += skip;
	}
	buf[used] = '\0';
	return 0;
}

int auth_krb5_ccache_for_uid(unsigned uid, char *buf, size_t n)
{
	krb5_context kc;
	profile_t prof = NULL;
	char *val = NULL;
	int rc;

	if (krb5_init_context(&kc))
		return -ENOMEM;
	if (krb5_get_profile(kc, &prof) == 0)
		profile_get_string(prof, "libdefaults", "default_ccache_name", NULL, NULL, &val);
	rc = expand(val && *val ? val : "FILE:/tmp/krb5cc_%{uid}", uid, buf, n);
	profile_release_string(val);
	profile_release(prof);
	krb5_free_context(kc);
	if (rc)
		return rc;
	const char *path = NULL;
	if (strncmp(buf, "FILE:", 5) == 0)
		path = buf + 5;
	else if (strncmp(buf, "DIR:", 4) == 0)
		path = buf + 4;
	else if (!strchr(buf, ':'))
		path = buf;
	struct stat sb;
	if (path && stat(path, &sb) < 0)
		return -ENOENT;
	return 0;
}
