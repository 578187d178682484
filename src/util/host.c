/* SPDX-License-Identifier: GPL-2.0-or-later */
/* host.c - what a host name given by the user is. */
#include <arpa/inet.h>
#include <string.h>

#include "smbfuse/util.h"

bool host_is_address(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;
	/* Any ':' too: an IPv6 literal with a zone or in brackets is no name either. */
	return inet_pton(AF_INET, host, &a4) == 1 || inet_pton(AF_INET6, host, &a6) == 1 || strchr(host, ':');
}
