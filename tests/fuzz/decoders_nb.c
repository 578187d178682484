/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz entry points for the NetBIOS and SMB1 decoders; see decoders_nb.h. */
#include <stdlib.h>
#include <string.h>

#include "decoders_nb.h"
#include "smbfuse/dfs.h"
#include "smbfuse/netbios.h"
#include "smbfuse/smb1.h"
#include "smbfuse/smb2.h"

#define DFS_REF_FZ 8 /* entries looked at; the rest are checked by the decoder all the same */

/* A decoded name is NUL-terminated within its array, and empty on failure. */
static void name_ok(const char *name, size_t cap, int e)
{
	if (!memchr(name, 0, cap) || (e && name[0]))
		abort();
}

static int nb_name(const uint8_t *p, size_t n)
{
	struct cur c;
	char name[NB_NAME_MAX + 1];
	uint8_t sfx;
	memset(name, 0, sizeof(name));
	cur_init(&c, p, n);
	/* Start at every offset so compression pointers meet names before and after them. */
	int e = nb_name_decode(&c, name, &sfx);
	name_ok(name, sizeof(name), 0);
	for (size_t off = 1; off < n && off < 64; off++) {
		cur_init(&c, p, n);
		cur_seek(&c, off);
		(void)nb_name_decode(&c, name, &sfx);
		name_ok(name, sizeof(name), 0);
	}
	return e;
}

static int nbss_rsp(const uint8_t *p, size_t n)
{
	struct nbss_session_rsp r;
	int e = nbss_session_rsp_decode(p, n, &r);
	if (e && r.type)
		abort();
	uint8_t t;
	uint32_t l;
	if (nbss_hdr_decode(p, n, &t, &l) == 0 && l > 0x1ffff)
		abort();
	return e;
}

static int nbns_query(const uint8_t *p, size_t n)
{
	static struct nbns_name_rsp r;
	int e = nbns_name_query_rsp_decode(p, n, &r);
	name_ok(r.name, sizeof(r.name), e);
	if (r.naddrs > NBNS_MAX_ADDRS || (r.rcode && r.naddrs) || (e && r.naddrs))
		abort();
	return e;
}

static int nbns_status(const uint8_t *p, size_t n)
{
	static struct nbns_status_rsp r;
	int e = nbns_node_status_rsp_decode(p, n, &r);
	if (r.nnames > NBNS_MAX_NAMES || (e && r.nnames))
		abort();
	for (unsigned i = 0; i < r.nnames; i++)
		name_ok(r.names[i].name, sizeof(r.names[i].name), 0);
	return e;
}

/* A view must lie inside [p, p+n]; read every byte of it so ASan sees a bad one. */
static volatile uint8_t sink;
static void view(const uint8_t *p, size_t n, const uint8_t *v, size_t len)
{
	if (len == 0)
		return;
	if (!v || v < p || v > p + n || len > (size_t)(p + n - v))
		abort();
	uint8_t x = 0;
	for (size_t i = 0; i < len; i++)
		x ^= v[i];
	sink = x;
}

/* Walk a whole AndX chain: every block in bounds, every step forward, so the walk ends. */
static int smb1_chain(const uint8_t *p, size_t n)
{
	struct smb1_hdr h;
	int e = smb1_hdr_decode(p, n, &h);
	if (e)
		return e;
	size_t off = SMB1_HDR_SIZE;
	for (int steps = 0;; steps++) {
		struct smb1_block b;
		e = smb1_block_decode(p, n, off, true, &b);
		if (e)
			return e;
		view(p, n, b.words, 2u * b.word_count);
		view(p, n, b.bytes, b.byte_count);
		if (b.andx_command == SMB1_COM_NO_ANDX_COMMAND)
			return 0;
		if (b.andx_offset <= off || steps > 1000)
			abort();
		off = b.andx_offset;
	}
}

static int smb1_negotiate(const uint8_t *p, size_t n)
{
	struct smb1_negotiate_rsp r;
	int e = smb1_negotiate_rsp_decode(p, n, &r);
	view(p, n, r.challenge, r.challenge_len);
	view(p, n, r.server_guid, r.server_guid ? 16 : 0);
	view(p, n, r.security_blob, r.security_blob_len);
	view(p, n, r.domain_name, r.domain_name_len);
	if (e && (r.security_blob || r.dialect_index))
		abort();
	return e;
}

static int smb_mp_negotiate(const uint8_t *p, size_t n)
{
	enum smb_mp_choice c;
	uint16_t credits;
	int e = smb_mp_negotiate_rsp_decode(p, n, &c, &credits);
	if (e ? c || credits : c < SMB_MP_SMB1 || c > SMB_MP_SMB2_WILDCARD)
		abort();
	return e;
}

static int smb1_sess_setup(const uint8_t *p, size_t n)
{
	struct smb1_sess_setup_rsp r;
	int e = smb1_sess_setup_rsp_decode(p, n, &r);
	view(p, n, r.blob, r.blob_len);
	/* And as the head of a SESSION_SETUP + TREE_CONNECT chain: nothing is set on failure. */
	struct smb1_tree_connect_rsp t;
	int state;
	int e2 = smb1_sess_setup_tcon_rsp_decode(p, n, &r, &t, &state);
	view(p, n, r.blob, r.blob_len);
	if (e2 && (r.blob || r.action || t.is_disk || state != SMB1_CHAIN_NOT_RUN))
		abort();
	return e & e2;
}

static int smb1_tree_etc(const uint8_t *p, size_t n)
{
	struct smb1_tree_connect_rsp t;
	const uint8_t *d;
	size_t dl;
	int e = smb1_tree_connect_rsp_decode(p, n, &t);
	int e2 = smb1_echo_rsp_decode(p, n, &d, &dl);
	view(p, n, d, dl);
	e |= smb1_empty_rsp_decode(p, n, SMB1_COM_TREE_DISCONNECT);
	return e & e2;
}

static int smb1_nt_create(const uint8_t *p, size_t n)
{
	struct smb1_nt_create_rsp r;
	int e = smb1_nt_create_rsp_decode(p, n, &r);
	if (e && r.fid)
		abort();
	return e;
}

static int smb1_rw(const uint8_t *p, size_t n)
{
	const uint8_t *d;
	uint32_t len, count;
	int e = smb1_read_rsp_decode(p, n, &d, &len);
	view(p, n, d, len);
	int e2 = smb1_write_rsp_decode(p, n, &count);
	uint16_t fid;
	uint8_t level;
	int e3 = smb1_oplock_break_decode(p, n, &fid, &level);
	return e & e2 & e3;
}

/* A TRANS2 answer, its FIND parameters, and the directory entries in its data, as smb1_ops reads them. */
static int smb1_trans2(const uint8_t *p, size_t n)
{
	struct smb1_trans2_rsp r;
	int e = smb1_trans2_rsp_decode(p, n, &r);
	view(p, n, r.params, r.params_len);
	view(p, n, r.data, r.data_len);
	if (e)
		return e;
	struct smb1_find_rsp_params fp;
	(void)smb1_find_rsp_params_decode(r.params, r.params_len, true, &fp);
	struct smb2_dir_iter it;
	struct smb2_dirent de;
	smb2_dir_iter_init(&it, FileBothDirectoryInformation, r.data, r.data_len);
	while (smb2_dir_next(&it, &de) == 1) {
		view(p, n, de.name, de.name_len);
		view(p, n, de.short_name, de.short_name_len);
	}
	return 0;
}

/* An NT_TRANSACT answer and the change notifications in its parameters, as smb1_ops reads them. */
static int smb1_nt_trans(const uint8_t *p, size_t n)
{
	struct smb1_nt_trans_rsp r;
	int e = smb1_nt_trans_rsp_decode(p, n, &r);
	view(p, n, r.params, r.params_len);
	view(p, n, r.data, r.data_len);
	if (e)
		return e;
	struct smb2_notify_iter it;
	struct smb2_notify_entry ne;
	smb2_notify_iter_init(&it, r.params, r.params_len);
	while (smb2_notify_next(&it, &ne) == 1)
		view(p, n, ne.name, ne.name_len);
	return 0;
}

/* A TRANS2_GET_DFS_REFERRAL answer and the referral in its data, as smb1_dfs.c reads them (the referral's
 * own decoder has the "dfs" harness of decoders.c for everything else). */
static int smb1_dfs(const uint8_t *p, size_t n)
{
	const uint8_t *d;
	size_t len;
	int e = smb1_dfs_referral_rsp_decode(p, n, &d, &len);
	view(p, n, d, len);
	if (e)
		return e;
	if (!d || !len)
		abort();
	struct dfs_referral_rsp h;
	struct dfs_referral_entry ent[DFS_REF_FZ];
	if (dfs_referral_rsp_decode(d, len, &h, ent, DFS_REF_FZ) == 0)
		for (unsigned i = 0; i < h.count && i < DFS_REF_FZ; i++)
			view(d, len, ent[i].target, ent[i].target_len);
	return 0;
}

const struct fz_decoder fz_nb_decoders[] = {
    {"nb_name", nb_name},
    {"nbss_rsp", nbss_rsp},
    {"nbns_query", nbns_query},
    {"nbns_status", nbns_status},
    {"smb1_chain", smb1_chain},
    {"smb1_negotiate", smb1_negotiate},
    {"smb_mp_negotiate", smb_mp_negotiate},
    {"smb1_sess_setup", smb1_sess_setup},
    {"smb1_tree_etc", smb1_tree_etc},
    {"smb1_nt_create", smb1_nt_create},
    {"smb1_rw", smb1_rw},
    {"smb1_trans2", smb1_trans2},
    {"smb1_nt_trans", smb1_nt_trans},
    {"smb1_dfs", smb1_dfs},
};
const unsigned fz_nb_ndecoders = sizeof(fz_nb_decoders) / sizeof(fz_nb_decoders[0]);

const struct fz_decoder *fz_nb_find(const char *name)
{
	for (unsigned i = 0; i < fz_nb_ndecoders; i++)
		if (strcmp(fz_nb_decoders[i].name, name) == 0)
			return &fz_nb_decoders[i];
	return NULL;
}
