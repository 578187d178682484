/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A build without Kerberos (-Dkerberos=disabled, or libkrb5-dev missing): sec=krb5 says so. */
#include <errno.h>
#include <stdio.h>

#include "auth_i.h"
#include "smbfuse/ntlmssp.h"

bool auth_krb5_available(void)
{
	return false;
}

int auth_krb5_ccache_for_uid(unsigned uid, char *buf, size_t n)
{
	return -EPROTONOSUPPORT;
}

static int none_create(const struct auth_creds *cr, void **st)
{
	*st = NULL;
	if (cr->errbuf && cr->errlen)
		snprintf(cr->errbuf, cr->errlen, "sec=krb5: smbfuse was built without Kerberos (rebuild with libkrb5-dev)");
	return -EPROTONOSUPPORT;
}

const struct auth_mech auth_mech_krb5 = {
	.name = "Kerberos",
	.oid = spnego_oid_krb5,
	.oid_len = sizeof(spnego_oid_krb5),
	.create = none_create,
};
