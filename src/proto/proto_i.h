/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Private to src/proto: the client object and helpers shared by the dialect tables. */
#ifndef SMBFUSE_PROTO_I_H
#define SMBFUSE_PROTO_I_H

#include <pthread.h>

#include "smbfuse/ops.h"
#include "smbfuse/session.h"

struct smb_client {
	const struct smb_ops *ops; /* immutable after smb_client_new */
	struct sess *sess;
	char *prefix; /* subdir in wire form ("a\\b"), "" for the share root; immutable */
	char desc[160];
};

extern const struct smb_ops smb2_ops;

/*
 * Join the client's subdir prefix and a '/'-separated share-relative path into a wire path with '\\'
 * separators, in a new malloc'd string (*out, caller frees). -EINVAL for a component that contains a
 * backslash, which the server would read as a separator and so reach a different file.
 */
int proto_wire_path(const struct smb_client *cl, const char *path, char **out);

#endif
