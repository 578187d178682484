/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The proto layer's rule for which server-supplied names (directory entries, change notifications) reach
 * the kernel, and how they are mapped back (proto_listed_name).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tap.h"
#include "../../../src/proto/proto_i.h"
#include "smbfuse/util.h"

static FILE *logf_;
static char last[512]; /* the last line logged */

/* Lines the proto layer logged since the last call (stderr goes to a temporary file). */
static int logged_lines(char *line, size_t len)
{
	fflush(stderr);
	int lines = 0;
	char buf[512];
	line[0] = '\0';
	rewind(logf_);
	while (fgets(buf, sizeof(buf), logf_)) {
		lines++;
		snprintf(line, len, "%s", buf);
	}
	rewind(logf_);
	if (ftruncate(fileno(logf_), 0) < 0)
		return -1;
	return lines;
}

/* name as UTF-16LE (BMP only, from a UTF-8 literal) through proto_listed_name. */
static int listed(enum name_map m, const uint16_t *u, size_t units, char **out)
{
	struct smb_client cl;
	memset(&cl, 0, sizeof(cl));
	cl.map = m;
	uint8_t b[128];
	for (size_t i = 0; i < units; i++)
		put_le16(b + 2 * i, u[i]);
	return proto_listed_name(&cl, b, 2 * units, out);
}
#define LISTED(m, out, ...) listed(m, (const uint16_t[]){__VA_ARGS__}, \
				   sizeof((const uint16_t[]){__VA_ARGS__}) / 2, out)

static void expect_name(int rc, char *got, const char *want, int line)
{
	tap_check(rc == 1 && got && strcmp(got, want) == 0, __FILE__, line, want);
	free(got);
}

static void expect_refused(int rc, char *got, int line)
{
	int n = logged_lines(last, sizeof(last));
	/* One line, naming the entry by its bytes. */
	tap_check(rc == -EILSEQ && !got && n == 1 && strstr(last, "UTF-16LE "), __FILE__, line, "refused, one log line");
}

int main(void)
{
	logf_ = tmpfile();
	if (!logf_ || dup2(fileno(logf_), STDERR_FILENO) < 0)
		return 1;
	char *s;
	int rc;

	rc = LISTED(NAME_MAP_SFM, &s, 'a', '.', 't', 'x', 't');
	expect_name(rc, s, "a.txt", __LINE__);
	rc = LISTED(NAME_MAP_SFM, &s, 'G', 0xFC, ' ', 0x65E5);
	expect_name(rc, s, "G\u00fc \u65e5", __LINE__);
	rc = LISTED(NAME_MAP_SFM, &s, '.', '.', '.');
	expect_name(rc, s, "...", __LINE__);
	/* Not listed, quietly */
	CHECK(LISTED(NAME_MAP_SFM, &s, '.') == 0 && !s);
	CHECK(LISTED(NAME_MAP_SFM, &s, '.', '.') == 0 && !s);
	CHECK(listed(NAME_MAP_SFM, NULL, 0, &s) == 0 && !s);
	CHECK(logged_lines(last, sizeof(last)) == 0);

	/* Hostile: '/' would make the kernel fail the whole readdir; '\\' names another file. */
	rc = LISTED(NAME_MAP_SFM, &s, 'a', '/', 'b');
	expect_refused(rc, s, __LINE__);
	CHECK(strstr(last, "61 00 2f 00 62 00") != NULL);
	rc = LISTED(NAME_MAP_SFM, &s, '/');
	expect_refused(rc, s, __LINE__);
	rc = LISTED(NAME_MAP_SFM, &s, 'a', '\\', 'b');
	expect_refused(rc, s, __LINE__);
	rc = LISTED(NAME_MAP_NONE, &s, '\\');
	expect_refused(rc, s, __LINE__);
	rc = LISTED(NAME_MAP_SFM, &s, 'a', 0, 'b');
	expect_refused(rc, s, __LINE__);
	rc = LISTED(NAME_MAP_SFM, &s, 'a', 0xD800);
	expect_refused(rc, s, __LINE__);
	rc = LISTED(NAME_MAP_SFM, &s, 0xDC00, 'a');
	expect_refused(rc, s, __LINE__);
	rc = LISTED(NAME_MAP_SFM, &s, 0xD800, 'a');
	expect_refused(rc, s, __LINE__);
	uint8_t odd[] = {'a', 0, 'b'};
	struct smb_client cl;
	memset(&cl, 0, sizeof(cl));
	rc = proto_listed_name(&cl, odd, sizeof(odd), &s);
	expect_refused(rc, s, __LINE__);
	uint8_t longname[200];
	memset(longname, 0, sizeof(longname));
	for (size_t i = 0; i < sizeof(longname); i += 2)
		longname[i] = '/';
	rc = proto_listed_name(&cl, longname, sizeof(longname), &s);
	expect_refused(rc, s, __LINE__);
	CHECK(strstr(last, " ...)") != NULL); /* capped */

	/* Mapped back: what we stored for : * \ and a trailing period. */
	rc = LISTED(NAME_MAP_SFM, &s, 'b', 0xF022, '1');
	expect_name(rc, s, "b:1", __LINE__);
	rc = LISTED(NAME_MAP_SFM, &s, 0xF026);
	expect_name(rc, s, "\\", __LINE__); /* our backslash: fine on Linux */
	rc = LISTED(NAME_MAP_SFM, &s, 'a', 0xF029);
	expect_name(rc, s, "a.", __LINE__);
	rc = LISTED(NAME_MAP_SFM, &s, 0xF029);
	expect_name(rc, s, "\uF029", __LINE__); /* never "." */
	rc = LISTED(NAME_MAP_SFU, &s, 0xF03A, 0xF022);
	expect_name(rc, s, ":\uF022", __LINE__);
	rc = LISTED(NAME_MAP_NONE, &s, 'a', 0xF021);
	expect_name(rc, s, "a\uF021", __LINE__);
	CHECK(logged_lines(last, sizeof(last)) == 0);
	return tap_done();
}
