/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness for the ops layer's name handling: arbitrary bytes as path components through stat,
 * mkdir, open, setattr, rename, unlink, rmdir and readdir of the real SMB2 client, and as the names a
 * directory listing brings back, against the scripted server of tests/unit/proto/psrv.h. One client per
 * name mapping (SFM, none), set up once and kept across inputs.
 *
 * Input: byte 0 holds flags (bit 0: the unmapped client; bit 1: listed entries claim 64 KiB more name than
 * they carry; bit 2: rename NOREPLACE; bit 3: unlink of a file still open), the rest is split at 0xFF into pieces: three paths, then the listed names (UTF-16LE).
 * Properties, checked with abort(): what reaches the server as a name is valid UTF-16 without NUL, empty
 * components or the characters SMB reads as separators, wildcards or streams; what readdir hands back is
 * valid UTF-8, not empty, not "." or "..", without '/'.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "../unit/proto/psrv.h"
#include "smbfuse/log.h"
#include "smbfuse/namemap.h"
#include "smbfuse/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_PIECES 16

struct fz_client {
	struct psrv s;
	struct smb_client *cl;
};

/* Server thread: every CREATE's name. */
static void check_wire_name(void *arg, const uint8_t *name, size_t len)
{
	char *s;
	if (len == 0)
		return;
	if (utf16le_to_utf8(name, len, &s) < 0)
		abort();
	size_t n = strlen(s);
	if (s[0] == '\\' || s[n - 1] == '\\' || strstr(s, "\\\\") || strpbrk(s, "/:*?\"<>|"))
		abort();
	free(s);
}

static int check_listed(void *arg, const char *name, const struct smb_attr *a)
{
	if (!name[0] || !strcmp(name, ".") || !strcmp(name, "..") || strchr(name, '/') ||
	    !g_utf8_validate(name, -1, NULL))
		abort();
	return 0;
}

static struct fz_client clients[2];

/* At exit, so that the replay's leak check covers the clients too. */
static void clients_free(void)
{
	for (int i = 0; i < 2; i++) {
		if (!clients[i].cl)
			continue;
		smb_client_free(clients[i].cl);
		psrv_stop(&clients[i].s);
	}
}

static struct fz_client *client(int map)
{
	struct fz_client *f = &clients[map == NAME_MAP_NONE];
	if (f->cl)
		return f;
	if (!clients[0].cl && !clients[1].cl)
		atexit(clients_free);
	log_set_level(LOG_LVL_ERR);
	psrv_start(&f->s);
	f->s.name_map = map;
	f->s.on_create = check_wire_name;
	if (psrv_client(&f->s, true, 2000, &f->cl) < 0)
		abort();
	return f;
}

/* pieces[i] is a NUL-terminated copy (a C caller cannot pass more than up to the first NUL) */
static int split(const uint8_t *d, size_t n, char **pieces, size_t *lens)
{
	int k = 0;
	size_t start = 0;
	for (size_t i = 0; i <= n && k < MAX_PIECES; i++) {
		if (i < n && d[i] != 0xFF)
			continue;
		lens[k] = i - start;
		pieces[k] = malloc(lens[k] + 1);
		memcpy(pieces[k], d + start, lens[k]);
		pieces[k][lens[k]] = '\0';
		k++;
		start = i + 1;
	}
	return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t flags = data[0];
	struct fz_client *f = client(flags & 1 ? NAME_MAP_NONE : NAME_MAP_SFM);
	struct smb_client *cl = f->cl;
	const struct smb_ops *ops = smb_client_ops(cl);
	char *p[MAX_PIECES];
	size_t len[MAX_PIECES];
	int k = split(data + 1, size - 1, p, len);
	const char *a = k > 0 ? p[0] : "", *b = k > 1 ? p[1] : "x", *c = k > 2 ? p[2] : "y";

	uint8_t *dir = NULL;
	size_t dir_len = 0, last = 0;
	for (int i = 3; i < k; i++)
		psrv_dirent(&dir, &dir_len, &last, (const uint8_t *)p[i], len[i],
			    (uint32_t)len[i] + (flags & 2 ? 0x10000u : 0), 0x20);
	psrv_set_listing(&f->s, dir, dir_len);

	struct smb_attr at;
	struct smb_setattr sa = {.valid = SMB_SET_ATTRS, .attrs = 0};
	struct smb_fh *fh;
	ops->stat(cl, a, &at);
	ops->mkdir(cl, b, 0755, &at);
	if (ops->open(cl, c, O_RDWR | O_CREAT, 0644, &fh, &at) == 0)
		ops->close(cl, fh);
	ops->setattr(cl, c, NULL, &sa, NULL);
	ops->rename(cl, a, b, flags & 4 ? SMB_RENAME_NOREPLACE : 0);
	ops->readdir(cl, a, check_listed, NULL, &at); /* at: the directory's own attributes too */
	ops->unlink(cl, a, flags & 8 ? SMB_UNLINK_OPEN : 0);
	ops->rmdir(cl, b);
	psrv_set_listing(&f->s, NULL, 0);
	free(dir);
	for (int i = 0; i < k; i++)
		free(p[i]);
	return 0;
}
