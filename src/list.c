/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * list.c - `smbfuse --list //server`: the server's shares with their type and comment, in the columns of
 * `smbclient -L` so that scripts written for it read ours too. Hidden ($) shares are listed like the
 * others (their names end in '$'); the server decides which ones this user may see.
 */
#include <stdio.h>
#include <string.h>

#include "list.h"
#include "smbfuse/dcerpc.h"
#include "smbfuse/ops.h"
#include "smbfuse/secret.h"

static const char *type_name(uint32_t t, char *buf, size_t len)
{
	switch (t & STYPE_MASK) {
	case STYPE_DISKTREE:
		return "Disk";
	case STYPE_PRINTQ:
		return "Printer";
	case STYPE_DEVICE:
		return "Device";
	case STYPE_IPC:
		return "IPC";
	}
	snprintf(buf, len, "0x%x", t);
	return buf;
}

int list_main(struct opts *o)
{
	struct smb_client_cfg cfg;
	struct smb_share *s;
	size_t n;
	char err[256] = "", tb[16];
	opt_client_cfg(o, &cfg);
	int rc = smb_list_shares(&cfg, &s, &n, err, sizeof(err));
	secret_free(o->nt_hash);
	o->nt_hash = NULL;
	if (rc < 0) {
		fprintf(stderr, "smbfuse: cannot list the shares of //%s: %s\n", o->host, err[0] ? err : strerror(-rc));
		return OPT_EX_FAIL;
	}
	printf("\t%-15s %-10s%s\n", "Sharename", "Type", "Comment");
	printf("\t%-15s %-10s%s\n", "---------", "----", "-------");
	for (size_t i = 0; i < n; i++)
		printf("\t%-15s %-10s%s\n", s[i].name, type_name(s[i].type, tb, sizeof(tb)), s[i].comment);
	smb_shares_free(s, n);
	return 0;
}
