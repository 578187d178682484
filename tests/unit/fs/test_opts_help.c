/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Every option the parser accepts (the table of src/opts_table.c, from which fuse_opt_parse's table is
 * made) and every mount.cifs option it refuses is named in --help and in the man pages (doc/smbfuse.8.scd, doc/mount.smbfuse.8.scd), so
 * an option added to the table without documentation fails here.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "smbfuse/opts.h"
#include "../../../src/opts_i.h"

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;
	if (!f)
		return NULL;
	FILE *out = open_memstream(&buf, &len);
	int c;
	/* scdoc escapes _ and * with a backslash; the reader of the page sees neither. */
	while ((c = fgetc(f)) != EOF)
		if (c != '\\')
			fputc(c, out);
	fclose(out);
	fclose(f);
	return buf;
}

static bool word_char(int c)
{
	return isalnum(c) || c == '_' || c == '-';
}

/* name occurs in text as a whole word ("user" is not found inside "username="). */
static bool has_word(const char *text, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = text; (p = strstr(p, name)); p++) {
		bool start = p == text || !word_char((unsigned char)p[-1]);
		bool end = name[n - 1] == '=' || !word_char((unsigned char)p[n]);
		/* "-f" must not match inside "--fake", "user" not inside "users". */
		if (start && end && !(name[0] == '-' && p > text && p[-1] == '-'))
			return true;
	}
	return false;
}

static void check_name(const char *name, const char *help, const char *man)
{
	char what[160];
	snprintf(what, sizeof(what), "%s in --help", name);
	tap_check(has_word(help, name), __FILE__, __LINE__, what);
	snprintf(what, sizeof(what), "%s in doc/*.scd", name);
	tap_check(has_word(man, name), __FILE__, __LINE__, what);
}

int main(void)
{
	char *help = NULL, *pages[2];
	size_t len = 0, nnames = 0;
	FILE *f = open_memstream(&help, &len);
	opt_usage(f, "smbfuse");
	fclose(f);
	pages[0] = slurp(SMBFUSE_DOC_DIR "/smbfuse.8.scd");
	pages[1] = slurp(SMBFUSE_DOC_DIR "/mount.smbfuse.8.scd");
	CHECK(pages[0] && pages[1]);
	if (!pages[0] || !pages[1])
		return tap_done();
	size_t n0 = strlen(pages[0]);
	char *man = malloc(n0 + strlen(pages[1]) + 2);
	sprintf(man, "%s\n%s", pages[0], pages[1]);

	for (size_t i = 0; i < opt_nspecs; i++) {
		char name[64];
		if (!opt_specs[i].o.templ)
			continue;
		opt_spec_name(&opt_specs[i], name, sizeof(name));
		check_name(name, help, man);
		nnames++;
	}
	for (size_t i = 0; i < opt_nrefused; i++)
		check_name(opt_refused[i].name, help, man);
	/* The names issue 13 found missing from the old hand-written --help. */
	const char *issue13[] = {"seal", "soft", "hard", "rsize=", "wsize=", "ip=", "noserverino", "sec="};
	for (size_t i = 0; i < sizeof(issue13) / sizeof(issue13[0]); i++)
		tap_check(has_word(help, issue13[i]), __FILE__, __LINE__, issue13[i]);
	/* The table is the parser's: a table that lost its entries would pass the loops above vacuously. */
	CHECK(nnames > 100);
	const struct fuse_opt *t = opt_fuse_table();
	size_t nfuse = 0;
	while (t[nfuse].templ)
		nfuse++;
	CHECK(nfuse == nnames);
	free(man);
	free(pages[0]);
	free(pages[1]);
	free(help);
	return tap_done();
}
