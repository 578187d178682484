/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * krb5_i.h - private to src/auth/krb5.c and its unit test: the GSSAPI calls the Kerberos mechanism makes,
 * behind a table so that tests/unit/auth/krb5_test.c can script the failures a KDC-less unit test cannot
 * provoke (an acceptor's bad AP-REP, a context without a session key). Only built with -Dkerberos.
 */
#ifndef SMBFUSE_KRB5_I_H
#define SMBFUSE_KRB5_I_H

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>

struct auth_gss_fns {
	OM_uint32 (*acquire_cred_from)(OM_uint32 *, gss_name_t, OM_uint32, gss_OID_set, gss_cred_usage_t,
				       gss_const_key_value_set_t, gss_cred_id_t *, gss_OID_set *, OM_uint32 *);
	OM_uint32 (*init_sec_context)(OM_uint32 *, gss_cred_id_t, gss_ctx_id_t *, gss_name_t, gss_OID, OM_uint32,
				      OM_uint32, gss_channel_bindings_t, gss_buffer_t, gss_OID *, gss_buffer_t,
				      OM_uint32 *, OM_uint32 *);
	OM_uint32 (*inquire_sec_context_by_oid)(OM_uint32 *, const gss_ctx_id_t, const gss_OID, gss_buffer_set_t *);
	OM_uint32 (*get_mic)(OM_uint32 *, gss_ctx_id_t, gss_qop_t, gss_buffer_t, gss_buffer_t);
	OM_uint32 (*verify_mic)(OM_uint32 *, gss_ctx_id_t, gss_buffer_t, gss_buffer_t, gss_qop_t *);
	OM_uint32 (*delete_sec_context)(OM_uint32 *, gss_ctx_id_t *, gss_buffer_t);
	OM_uint32 (*release_cred)(OM_uint32 *, gss_cred_id_t *);
};
/* The real GSSAPI unless a test replaced entries (tests restore it with auth_gss_reset). */
extern struct auth_gss_fns auth_gss;
void auth_gss_reset(void);

#endif
