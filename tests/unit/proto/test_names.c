/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The proto layer's rule for which server-supplied directory entry names reach the kernel. */
#include "../tap.h"
#include "../../../src/proto/proto_i.h"

int main(void)
{
	CHECK(proto_listable_name("a.txt"));
	CHECK(proto_listable_name("Grüße 日本"));
	CHECK(proto_listable_name("..."));
	CHECK(!proto_listable_name("."));
	CHECK(!proto_listable_name(".."));
	CHECK(!proto_listable_name(""));
	CHECK(!proto_listable_name("a/b"));	 /* would make the kernel fail the whole readdir */
	CHECK(!proto_listable_name("/"));
	return tap_done();
}
