/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What ops->get_sd and ->set_sd do alike in both dialects: the access each part of a security descriptor
 * needs, and the checks (wire/sd.c) of a descriptor before it is sent and before one is handed out. The
 * dialects differ only in how it travels: SMB2 QUERY_INFO / SET_INFO of SMB2_0_INFO_SECURITY
 * (smb2_xattr.c), SMB1 NT_TRANSACT_QUERY_ / SET_SECURITY_DESC (smb1_sd.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto_i.h"
#include "smbfuse/log.h"
#include "smbfuse/smb2.h"

/* READ_CONTROL reads owner, group and DACL; WRITE_OWNER sets owner or group, WRITE_DAC the DACL;
 * ACCESS_SYSTEM_SECURITY is the SACL either way. */
uint32_t proto_sd_access(uint32_t secinfo, bool set)
{
	uint32_t access = SYNCHRONIZE | (set ? 0 : READ_CONTROL);
	if (set && (secinfo & (OWNER_SECURITY_INFORMATION | GROUP_SECURITY_INFORMATION)))
		access |= WRITE_OWNER;
	if (set && (secinfo & DACL_SECURITY_INFORMATION))
		access |= WRITE_DAC;
	if (secinfo & SACL_SECURITY_INFORMATION)
		access |= ACCESS_SYSTEM_SECURITY;
	return access;
}

int proto_sd_outgoing(const char *path, uint32_t secinfo, const void *sd, size_t len)
{
	if (smb_sd_check(sd, len, NULL) < 0) {
		log_warn("%s: not a self-relative security descriptor (MS-DTYP 2.4.6) whose parts all lie inside "
			 "its %zu bytes", path, len);
		return -EINVAL;
	}
	return !secinfo || len > PROTO_SD_MAX ? -EINVAL : 0;
}

int proto_sd_incoming(const char *path, const uint8_t *p, size_t n, void **out, size_t *len)
{
	if (smb_sd_check(p, n, NULL) < 0) {
		log_warn("server reply: the security descriptor of %s (%zu bytes) does not decode", path, n);
		return -EIO;
	}
	if (!(*out = malloc(n)))
		return -ENOMEM;
	memcpy(*out, p, n);
	*len = n;
	return 0;
}
