/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The generated NTSTATUS table: sorted, complete for bsearch, errnos sane, names unique. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "smbfuse/err.h"

static int by_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void test_table_shape(void)
{
	bool sorted = true, found = true, err_ok = true, named = true;
	CHECK(ntstatus_table_len >= 150);
	for (unsigned i = 0; i < ntstatus_table_len; i++) {
		const struct ntstatus_entry *e = &ntstatus_table[i];
		if (i && ntstatus_table[i - 1].code >= e->code)
			sorted = false;
		if (strcmp(ntstatus_name(e->code), e->name) != 0)
			found = false;
		bool error = e->code >> 30 >= 2;
		if (error ? (e->err <= 0 || ntstatus_to_errno(e->code) != -e->err) : (e->err != 0 ||
								       ntstatus_to_errno(e->code) != 0))
			err_ok = false;
		if (strncmp(e->name, "STATUS_", 7) != 0)
			named = false;
	}
	CHECK(sorted);
	CHECK(found);
	CHECK(err_ok);
	CHECK(named);
	const char **names = malloc(ntstatus_table_len * sizeof(*names));
	for (unsigned i = 0; i < ntstatus_table_len; i++)
		names[i] = ntstatus_table[i].name;
	qsort(names, ntstatus_table_len, sizeof(*names), by_name);
	bool unique = true;
	for (unsigned i = 1; i < ntstatus_table_len; i++)
		if (strcmp(names[i - 1], names[i]) == 0)
			unique = false;
	CHECK(unique);
	free(names);
}

static void test_required_mappings(void)
{
	CHECK(ntstatus_to_errno(STATUS_SUCCESS) == 0);
	CHECK(ntstatus_to_errno(STATUS_PENDING) == 0);
	CHECK(ntstatus_to_errno(STATUS_NOTIFY_ENUM_DIR) == 0);
	CHECK(ntstatus_to_errno(STATUS_OBJECT_NAME_NOT_FOUND) == -ENOENT);
	CHECK(ntstatus_to_errno(STATUS_OBJECT_PATH_NOT_FOUND) == -ENOENT);
	CHECK(ntstatus_to_errno(STATUS_NO_SUCH_FILE) == -ENOENT);
	CHECK(ntstatus_to_errno(STATUS_OBJECT_NAME_COLLISION) == -EEXIST);
	CHECK(ntstatus_to_errno(STATUS_ACCESS_DENIED) == -EACCES);
	CHECK(ntstatus_to_errno(STATUS_LOGON_FAILURE) == -EACCES);
	CHECK(ntstatus_to_errno(STATUS_DIRECTORY_NOT_EMPTY) == -ENOTEMPTY);
	CHECK(ntstatus_to_errno(STATUS_FILE_IS_A_DIRECTORY) == -EISDIR);
	CHECK(ntstatus_to_errno(STATUS_NOT_A_DIRECTORY) == -ENOTDIR);
	CHECK(ntstatus_to_errno(STATUS_SHARING_VIOLATION) == -EBUSY);
	CHECK(ntstatus_to_errno(0xC0000054u) == -EAGAIN); /* FILE_LOCK_CONFLICT */
	CHECK(ntstatus_to_errno(0xC0000055u) == -EAGAIN); /* LOCK_NOT_GRANTED */
	CHECK(ntstatus_to_errno(0xC000007Fu) == -ENOSPC); /* DISK_FULL */
	CHECK(ntstatus_to_errno(0xC00000A2u) == -EROFS);  /* MEDIA_WRITE_PROTECTED */
	CHECK(ntstatus_to_errno(STATUS_INVALID_PARAMETER) == -EINVAL);
	CHECK(ntstatus_to_errno(0xC0000106u) == -ENAMETOOLONG);
	CHECK(ntstatus_to_errno(STATUS_NOT_SUPPORTED) == -EOPNOTSUPP);
	CHECK(ntstatus_to_errno(STATUS_BUFFER_OVERFLOW) == -EOVERFLOW);
	CHECK(ntstatus_to_errno(STATUS_NO_MORE_FILES) == -ENODATA);
	CHECK(ntstatus_to_errno(STATUS_END_OF_FILE) == -ENODATA);
	CHECK(ntstatus_to_errno(0xC0FFEE00u) == -EIO);
	CHECK(ntstatus_to_errno(0x8BADF00Du) == -EIO);
	CHECK(ntstatus_to_errno(0x4BADF00Du) == 0);
	CHECK(strcmp(ntstatus_name(STATUS_ACCESS_DENIED), "STATUS_ACCESS_DENIED") == 0);
	CHECK(strcmp(ntstatus_name(0xC0FFEE00u), "0xC0FFEE00") == 0);
}

int main(void)
{
	test_table_shape();
	test_required_mappings();
	return tap_done();
}
