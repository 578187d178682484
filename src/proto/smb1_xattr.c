/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ops->list_eas and ops->set_ea over SMB1: TRANS2 QUERY_PATH_INFORMATION at SMB_INFO_QUERY_ALL_EAS and
 * SET_PATH_INFORMATION at SMB_INFO_SET_EA (MS-CIFS 2.2.8.3.4 / 2.2.8.4.2), both carrying an SMB_FEA_LIST
 * (wire/smb2_ea.c). One request each, by path; nothing is cached.
 *
 * Samba answers a list longer than the MaxDataCount asked for as if the file had no EAs (the list size 4,
 * smbd_do_qfilepathinfo), so the query asks for the most one TRANS2 answer can hold; EAs beyond that
 * (about 64 KiB in all) cannot be read over SMB1 and the file then looks as if it had none.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "smb1_proto_i.h"
#include "smbfuse/log.h"
#include "smbfuse/smb1.h"
#include "smbfuse/smb2.h"
#include "smbfuse/util.h"

#define SMB_INFO_SET_EA 2	 /* MS-CIFS 2.2.2.3.2 */
#define SMB_INFO_QUERY_ALL_EAS 4 /* MS-CIFS 2.2.2.3.3 */

struct list_args {
	smb_ea_fn fn;
	void *arg;
};

/* A QUERY_ or SET_PATH_INFORMATION (sub) of wpath at level on c (call_free it); r views the answer. */
static int path_trans2(struct s1link *l, struct call *c, uint16_t sub, uint16_t level, const char *wpath,
		       const struct wbuf *data, struct smb1_trans2_rsp *r)
{
	struct wbuf p;
	wbuf_init(&p, 0);
	smb1_path_info_params_encode(&p, level, wpath);
	call_init(c, l, SMB1_COM_TRANSACTION2);
	int rc = trans2(c, sub, &p, data, data ? 0 : 0xFFFF, r);
	wbuf_free(&p);
	return rc;
}

static int op_list_eas(struct s1link *l, const char *wpath, void *arg)
{
	const struct list_args *a = arg;
	struct call c;
	struct smb1_trans2_rsp r;
	int rc = path_trans2(l, &c, SMB1_TRANS2_QUERY_PATH_INFORMATION, SMB_INFO_QUERY_ALL_EAS, wpath, NULL, &r);
	struct smb2_notify_iter it;
	struct smb2_ea ea;
	if (rc == 0 && smb1_fea_list_init(&it, r.data, r.data_len) == 0) {
		/* Validate the whole list before handing out any of it. */
		while ((rc = smb1_fea_next(&it, &ea)) == 1)
			;
	} else if (rc == 0) {
		rc = -EBADMSG;
	}
	if (rc < 0 && rc != -EBADMSG)
		goto out;
	if (rc == -EBADMSG) {
		log_warn("server reply: malformed SMB_FEA_LIST (%u bytes)", r.data_len);
		rc = -EIO;
		goto out;
	}
	smb1_fea_list_init(&it, r.data, r.data_len);
	while (rc == 0 && smb1_fea_next(&it, &ea) == 1) {
		if (ea.value_len == 0)
			continue;
		char name[SMB_EA_NAME_MAX + 1];
		memcpy(name, ea.name, ea.name_len);
		name[ea.name_len] = '\0';
		rc = a->fn(a->arg, name, ea.value, ea.value_len);
	}
out:
	call_free(&c);
	return rc;
}

int smb1_list_eas(struct smb_client *cl, const char *path, smb_ea_fn fn, void *arg)
{
	struct list_args a = {fn, arg};
	return on_link(cl, path, op_list_eas, &a, true);
}

static int op_set_ea(struct s1link *l, const char *wpath, void *arg)
{
	struct call c;
	struct smb1_trans2_rsp r;
	int rc = path_trans2(l, &c, SMB1_TRANS2_SET_PATH_INFORMATION, SMB_INFO_SET_EA, wpath, arg, &r);
	call_free(&c);
	return rc;
}

int smb1_set_ea(struct smb_client *cl, const char *path, const char *name, const void *value, size_t len)
{
	if (proto_snap_refuse(path, NULL) < 0)
		return -EROFS;
	struct wbuf w;
	wbuf_init(&w, 0);
	int rc = smb1_fea_list_encode(&w, name, strlen(name), value, len);
	if (rc == 0)
		rc = on_link(cl, path, op_set_ea, &w, false);
	wbuf_free(&w);
	return rc;
}
