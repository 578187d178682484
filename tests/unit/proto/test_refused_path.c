/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A path the wire form refuses (a component with a backslash) fails the SMB2 path operations with EINVAL
 * before any request is built or sent: no session is needed, and nothing the operation frees on the way
 * out may be uninitialised. The stack is dirtied first so that such a free cannot pass by luck.
 */
#include <errno.h>
#include <string.h>

#include "../tap.h"
#include "../../../src/proto/proto_i.h"

static void __attribute__((noinline)) dirty_stack(void)
{
	volatile unsigned char junk[16384];
	memset((void *)junk, 0xA5, sizeof(junk));
}

int main(void)
{
	struct smb_client cl;
	memset(&cl, 0, sizeof(cl));
	cl.ops = &smb2_ops;
	cl.prefix = "";
	cl.map = NAME_MAP_NONE; /* unmapped, a backslash is refused */
	struct smb_attr a;
	const char *bad = "a\\b";

	dirty_stack();
	CHECK(cl.ops->stat(&cl, bad, &a) == -EINVAL);
	dirty_stack();
	CHECK(cl.ops->mkdir(&cl, bad, 0755, &a) == -EINVAL);
	dirty_stack();
	CHECK(cl.ops->unlink(&cl, bad, 0) == -EINVAL);
	dirty_stack();
	CHECK(cl.ops->unlink(&cl, bad, SMB_UNLINK_OPEN) == -EINVAL);
	dirty_stack();
	CHECK(cl.ops->rmdir(&cl, bad) == -EINVAL);
	dirty_stack();
	CHECK(cl.ops->rename(&cl, bad, "c", 0) == -EINVAL);
	dirty_stack();
	CHECK(cl.ops->rename(&cl, "c", bad, 0) == -EINVAL);
	struct smb_setattr sa = {.valid = SMB_SET_ATTRS, .attrs = 0};
	dirty_stack();
	CHECK(cl.ops->setattr(&cl, bad, NULL, &sa, NULL) == -EINVAL);
	dirty_stack();
	CHECK(cl.ops->readdir(&cl, bad, NULL, NULL, NULL) == -EINVAL);
	dirty_stack();
	CHECK(cl.ops->list_eas(&cl, bad, NULL, NULL) == -EINVAL);
	dirty_stack();
	CHECK(cl.ops->set_ea(&cl, bad, "k", "v", 1) == -EINVAL);
	void *sd = NULL;
	size_t sdlen;
	dirty_stack();
	CHECK(cl.ops->get_sd(&cl, bad, SMB_SECINFO_DACL, &sd, &sdlen) == -EINVAL && sd == NULL);
	static const uint8_t empty_sd[20] = {1, 0, 0, 0x80};
	dirty_stack();
	CHECK(cl.ops->set_sd(&cl, bad, SMB_SECINFO_DACL, empty_sd, sizeof(empty_sd)) == -EINVAL);
	/* nomapposix: every character the server would read as a wildcard or stream name, too. */
	for (const char *c = ":*?\"<>|"; *c; c++) {
		char name[4] = {'a', *c, 'b', 0};
		dirty_stack();
		CHECK(cl.ops->stat(&cl, name, &a) == -EINVAL);
	}
	return tap_done();
}
