/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hidden.c - names of files unlinked while open, for both dialects.
 *
 * SMB deletes a file only when its last handle closes, and until then the name stays taken (a new file of
 * that name gets STATUS_DELETE_PENDING). When a file we still have open is unlinked, the dialect renames it
 * to a hidden unique name in the same directory and sets delete-on-close there ("silly rename", as NFS and
 * the kernel's cifs_rename_pending_delete do); the server deletes it at our last close, or when the
 * connection drops if the daemon dies. Such names never reach the glue: listings and change notifications
 * skip them and a path naming one is refused with ENOENT (proto_wire_path). A listing that finds one tries
 * to delete it, so what a server crash or a refused delete-on-close left behind goes at the next listing,
 * from this mount or a later one; one that is still open somewhere is already delete-pending and the
 * attempt fails quietly.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "proto_i.h"
#include "smbfuse/log.h"

bool proto_hidden_name(const char *name)
{
	return strncmp(name, PROTO_HIDDEN_PREFIX, strlen(PROTO_HIDDEN_PREFIX)) == 0;
}

bool proto_path_hidden(const char *path)
{
	for (const char *c = path; c; c = strchr(c, '/')) {
		while (*c == '/')
			c++;
		if (proto_hidden_name(c))
			return true;
	}
	return false;
}

/* Wire path of name in directory dir (share-relative), bypassing proto_wire_path's refusal of our names. */
static int hidden_wpath(const struct smb_client *cl, const char *dir, const char *name, char **out)
{
	char *wdir;
	int rc = proto_wire_path(cl, dir, &wdir);
	if (rc < 0)
		return rc;
	rc = asprintf(out, "%s%s%s", wdir, *wdir ? "\\" : "", name) < 0 ? -ENOMEM : 0;
	if (rc < 0)
		*out = NULL;
	free(wdir);
	return rc;
}

int proto_silly_wpath(const struct smb_client *cl, const char *path, char **out)
{
	uint64_t r;
	*out = NULL;
	if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
		return -EIO;
	const char *slash = strrchr(path, '/');
	char *dir = strndup(path, slash ? (size_t)(slash - path) : 0);
	char name[sizeof(PROTO_HIDDEN_PREFIX) + 16];
	if (!dir)
		return -ENOMEM;
	snprintf(name, sizeof(name), PROTO_HIDDEN_PREFIX "%016llx", (unsigned long long)r);
	int rc = hidden_wpath(cl, dir, name, out);
	free(dir);
	return rc;
}

bool proto_sweep_note(struct proto_sweep *s, const char *name)
{
	if (!proto_hidden_name(name))
		return false;
	/* Bounded: a server listing thousands of them gets them deleted over several listings. */
	if (s->n < PROTO_SWEEP_MAX)
		s->names[s->n++] = strdup(name);
	return true;
}

void proto_sweep_run(struct smb_client *cl, const char *dir, struct proto_sweep *s, proto_delete_fn del)
{
	for (unsigned i = 0; i < s->n; i++) {
		char *wpath;
		if (s->names[i] && hidden_wpath(cl, dir, s->names[i], &wpath) == 0) {
			int rc = del(cl, wpath);
			if (rc == 0)
				log_info("removed \"%s\", left over from a file unlinked while open", wpath);
			else
				log_dbg("leftover \"%s\" stays for now: %s", wpath, strerror(-rc));
			free(wpath);
		}
		free(s->names[i]);
	}
	s->n = 0;
}
