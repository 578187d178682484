/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz entry points for every SMB2 decoder; see decoders.h. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "decoders.h"
#include "smbfuse/dfs.h"
#include "smbfuse/links.h"
#include "smbfuse/namemap.h"
#include "smbfuse/smb2.h"
#include "smbfuse/util.h"

static volatile uint8_t sink;

/* A view must be inside [p, p+n] and every byte of it readable (ASan checks the reads). */
static void view(const uint8_t *p, size_t n, const uint8_t *v, size_t len)
{
	if (len == 0)
		return;
	if (!v || v < p || v > p + n || len > (size_t)(p + n - v)) {
		fprintf(stderr, "view outside input\n");
		abort();
	}
	uint8_t x = 0;
	for (size_t i = 0; i < len; i++)
		x ^= v[i];
	sink = x;
}

static int negotiate(const uint8_t *p, size_t n)
{
	struct smb2_negotiate_rsp r;
	int e = smb2_negotiate_rsp_decode(p, n, &r);
	view(p, n, r.security_blob, r.security_blob_len);
	view(p, n, r.preauth_salt, r.preauth_salt_len);
	if (!e && r.dialect == SMB2_DIALECT_311 && r.preauth_hash_id == 0 && !r.preauth_salt)
		abort();
	return e;
}

static int sess_setup(const uint8_t *p, size_t n)
{
	struct smb2_sess_setup_rsp r;
	int e = smb2_sess_setup_rsp_decode(p, n, &r);
	view(p, n, r.blob, r.blob_len);
	return e;
}

static int tree_connect(const uint8_t *p, size_t n)
{
	struct smb2_tree_connect_rsp r;
	return smb2_tree_connect_rsp_decode(p, n, &r);
}

static int empty_rsps(const uint8_t *p, size_t n)
{
	int e = smb2_logoff_rsp_decode(p, n);
	e |= smb2_tree_disconnect_rsp_decode(p, n);
	e |= smb2_flush_rsp_decode(p, n);
	e |= smb2_echo_rsp_decode(p, n);
	e |= smb2_lock_rsp_decode(p, n);
	e |= smb2_set_info_rsp_decode(p, n);
	struct smb2_error_rsp er;
	int e2 = smb2_error_rsp_decode(p, n, &er);
	view(p, n, er.data, er.data_len);
	return e & e2;
}

static void walk_contexts(const uint8_t *p, size_t n, const uint8_t *ctx, uint32_t len)
{
	static const char *const tags[] = {"RqLs", "MxAc", "QFid", "DH2Q", "DHnQ", "xxxx"};
	for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		const uint8_t *d;
		uint32_t dl;
		if (smb2_create_ctx_find(ctx, len, tags[i], &d, &dl) == 0) {
			view(p, n, d, dl);
			struct smb2_lease_rsp l;
			struct smb2_qfid_rsp q;
			struct smb2_mxac_rsp m;
			struct smb2_durable_rsp dh;
			(void)smb2_durable_rsp_decode(d, dl, 1, &dh);
			(void)smb2_durable_rsp_decode(d, dl, 2, &dh);
			(void)smb2_lease_rsp_decode(d, dl, &l);
			(void)smb2_qfid_rsp_decode(d, dl, &q);
			(void)smb2_mxac_rsp_decode(d, dl, &m);
		}
	}
	const uint8_t *d;
	uint32_t dl, used;
	struct smb2_posix_cc cc;
	if (smb2_create_ctx_find_name(ctx, len, smb2_posix_tag, sizeof(smb2_posix_tag), &d, &dl) == 0) {
		view(p, n, d, dl);
		if (smb2_posix_cc_decode(d, dl, &cc, &used) == 0 && used > dl)
			abort();
	}
}

static int create(const uint8_t *p, size_t n)
{
	struct smb2_create_rsp r;
	int e = smb2_create_rsp_decode(p, n, &r);
	view(p, n, r.contexts, r.contexts_len);
	if (!e)
		walk_contexts(p, n, r.contexts, r.contexts_len);
	return e;
}

/* The raw input as a create-context chain, for smb2_create_ctx_find alone. */
static int create_ctx(const uint8_t *p, size_t n)
{
	walk_contexts(p, n, p, (uint32_t)(n > UINT32_MAX ? UINT32_MAX : n));
	return 0;
}

static int close_rsp(const uint8_t *p, size_t n)
{
	struct smb2_close_rsp r;
	return smb2_close_rsp_decode(p, n, &r);
}

static int read_rsp(const uint8_t *p, size_t n)
{
	struct smb2_read_rsp r;
	int e = smb2_read_rsp_decode(p, n, &r);
	view(p, n, r.data, r.data_len);
	return e;
}

static int write_rsp(const uint8_t *p, size_t n)
{
	struct smb2_write_rsp r;
	return smb2_write_rsp_decode(p, n, &r);
}

static void walk_dir(const uint8_t *p, size_t n, const uint8_t *buf, uint32_t len)
{
	static const uint8_t classes[] = {FileDirectoryInformation,	  FileFullDirectoryInformation,
					  FileBothDirectoryInformation,	  FileIdBothDirectoryInformation,
					  FileIdFullDirectoryInformation, FileNamesInformation,
					  FilePosixInformation};
	for (size_t i = 0; i < sizeof(classes); i++) {
		struct smb2_dir_iter it;
		struct smb2_dirent d;
		unsigned count = 0;
		smb2_dir_iter_init(&it, classes[i], buf, len);
		while (smb2_dir_next(&it, &d) == 1) {
			view(p, n, d.name, d.name_len);
			view(p, n, d.short_name, d.short_name_len);
			if (++count > len) /* each entry consumes >= 12 bytes: more entries means a loop */
				abort();
		}
	}
}

static int query_dir(const uint8_t *p, size_t n)
{
	struct smb2_query_dir_rsp r;
	int e = smb2_query_dir_rsp_decode(p, n, &r);
	view(p, n, r.buf, r.len);
	if (!e)
		walk_dir(p, n, r.buf, r.len);
	return e;
}

/*
 * A server's name (UTF-16LE) mapped back, and the input's bytes as a name we create, in every mapping.
 * Aborts if the way back grows a name, yields '/' or "."/"..", or a created name that holds no
 * private-use character of U+F000-U+F07F does not come back as it was.
 */
static int names(const uint8_t *p, size_t n)
{
	char *s;
	int e = utf16le_to_utf8(p, n, &s);
	size_t len = e < 0 ? 0 : strlen(s);
	char *c = malloc(len + 1), *w = malloc(NAME_MAP_WIRE_MAX(n));
	if (!c || !w)
		abort();
	for (enum name_map m = NAME_MAP_SFM; m <= NAME_MAP_NONE; m++) {
		if (e >= 0) {
			memcpy(c, s, len + 1);
			name_map_from_wire(m, c);
			if (strlen(c) > len || (!strchr(s, '/') && strchr(c, '/')))
				abort();
			if (strcmp(c, ".") == 0 || strcmp(c, "..") == 0 ? strcmp(c, s) != 0 : 0)
				abort();
		}
		size_t k = strnlen((const char *)p, n); /* a name we create is a C string */
		if (memchr(p, '/', k))
			continue;
		long wl = name_map_to_wire(m, (const char *)p, k, w);
		if (wl < 0)
			continue;
		if ((size_t)wl >= NAME_MAP_WIRE_MAX(k) || strlen(w) != (size_t)wl)
			abort();
		bool pua = false;
		for (size_t i = 0; i + 1 < k; i++)
			pua |= p[i] == 0xEF && (p[i + 1] == 0x80 || p[i + 1] == 0x81);
		name_map_from_wire(m, w);
		if (!pua && (strlen(w) != k || memcmp(w, p, k) != 0))
			abort();
	}
	free(c);
	free(w);
	free(e < 0 ? NULL : s);
	return 0;
}

static int change_notify(const uint8_t *p, size_t n)
{
	struct smb2_change_notify_rsp r;
	int e = smb2_change_notify_rsp_decode(p, n, &r);
	view(p, n, r.buf, r.len);
	if (!e) {
		struct smb2_notify_iter it;
		struct smb2_notify_entry ne;
		unsigned count = 0;
		smb2_notify_iter_init(&it, r.buf, r.len);
		while (smb2_notify_next(&it, &ne) == 1) {
			view(p, n, ne.name, ne.name_len);
			if (++count > r.len)
				abort();
		}
	}
	return e;
}

static void info_classes(const uint8_t *p, size_t n, const uint8_t *b, uint32_t l)
{
	struct smb2_file_all_info a;
	struct smb2_file_basic_info bi;
	struct smb2_file_standard_info si;
	struct smb2_file_network_open_info no;
	struct smb2_file_internal_info ii;
	struct smb2_fs_full_size_info fs;
	struct smb2_fs_attribute_info fa;
	if (smb2_file_all_info_decode(b, l, &a) == 0)
		view(p, n, a.name, a.name_len);
	(void)smb2_file_basic_info_decode(b, l, &bi);
	(void)smb2_file_standard_info_decode(b, l, &si);
	(void)smb2_file_network_open_info_decode(b, l, &no);
	(void)smb2_file_internal_info_decode(b, l, &ii);
	(void)smb2_fs_full_size_info_decode(b, l, &fs);
	(void)smb2_fs_size_info_decode(b, l, &fs);
	if (smb2_fs_attribute_info_decode(b, l, &fa) == 0)
		view(p, n, fa.name, fa.name_len);
	struct smb2_file_posix_info pi;
	(void)smb2_file_posix_info_decode(b, l, &pi);
}

static int query_info(const uint8_t *p, size_t n)
{
	struct smb2_query_info_rsp r;
	int e = smb2_query_info_rsp_decode(p, n, &r);
	view(p, n, r.buf, r.len);
	if (!e)
		info_classes(p, n, r.buf, r.len);
	return e;
}

/* A FileFullEaInformation list: every EA inside the input, its name a non-empty C string of no control
 * character, and the walk bounded by the input's size. */
static void ea_list(const uint8_t *p, size_t n, const uint8_t *b, uint32_t l)
{
	struct smb2_notify_iter it;
	struct smb2_ea ea;
	unsigned count = 0;
	smb2_notify_iter_init(&it, b, l);
	while (smb2_ea_next(&it, &ea) == 1) {
		view(p, n, (const uint8_t *)ea.name, ea.name_len + 1u);
		view(p, n, ea.value, ea.value_len);
		if (ea.name_len == 0 || ea.name[ea.name_len] != 0 || strlen(ea.name) != ea.name_len || ++count > l / 9)
			abort();
	}
}

static int ea(const uint8_t *p, size_t n)
{
	struct smb2_query_info_rsp r;
	int e = smb2_query_info_rsp_decode(p, n, &r);
	if (!e)
		ea_list(p, n, r.buf, r.len);
	ea_list(p, n, p, (uint32_t)MIN(n, (size_t)UINT32_MAX));
	/* The same bytes as SMB1's SMB_FEA_LIST. */
	struct smb2_notify_iter it;
	struct smb2_ea fea;
	unsigned count = 0;
	smb1_fea_list_init(&it, p, (uint32_t)MIN(n, (size_t)UINT32_MAX));
	while (smb1_fea_next(&it, &fea) == 1) {
		view(p, n, (const uint8_t *)fea.name, fea.name_len + 1u);
		view(p, n, fea.value, fea.value_len);
		if (strlen(fea.name) != fea.name_len || ++count > n / 5)
			abort();
	}
	return e;
}

/* A security descriptor: every part it claims must lie inside it (the checker reads nothing outside). */
static int sd(const uint8_t *p, size_t n)
{
	uint32_t parts;
	struct smb2_query_info_rsp r;
	if (smb2_query_info_rsp_decode(p, n, &r) == 0 && smb_sd_check(r.buf, r.len, &parts) == 0 && (parts & ~0xfu))
		abort();
	int e = smb_sd_check(p, n, &parts);
	if (e == 0 && n < 20)
		abort();
	return e;
}

static int ioctl_rsp(const uint8_t *p, size_t n)
{
	struct smb2_ioctl_rsp r;
	int e = smb2_ioctl_rsp_decode(p, n, &r);
	view(p, n, r.input, r.input_len);
	view(p, n, r.output, r.output_len);
	if (!e) {
		struct smb2_validate_negotiate_rsp v;
		(void)smb2_validate_negotiate_rsp_decode(r.output, r.output_len, &v);
	}
	return e;
}

/* FSCTL_QUERY_ALLOCATED_RANGES output, raw: what the decoder accepts is sorted, disjoint and in range. */
static int alloc_ranges(const uint8_t *p, size_t n)
{
	struct smb2_range r[64];
	int k = smb2_alloc_ranges_decode(p, n > UINT32_MAX ? UINT32_MAX : (uint32_t)n, r, 64);
	uint64_t end = 0;
	for (int i = 0; i < k; i++) {
		if (r[i].off < end || r[i].off > INT64_MAX || r[i].len > INT64_MAX - r[i].off)
			abort();
		end = r[i].off + r[i].len;
	}
	return k < 0 ? k : 0;
}

/* SRV_SNAPSHOT_ARRAY: the whole input, every token walked. */
static int snapshots(const uint8_t *p, size_t n)
{
	struct smb2_snapshot_array a;
	const uint8_t *tok;
	size_t off = 0, len;
	int e = smb2_snapshot_array_decode(p, n, &a);
	if (e)
		return e;
	view(p, n, a.tokens, a.tokens_len);
	while (smb2_snapshot_next(&a, &off, &tok, &len) == 1) {
		view(p, n, tok, len);
		if (off > a.tokens_len)
			abort();
	}
	return 0;
}

/* RESP_GET_DFS_REFERRAL (MS-DFSC 2.2.4): every entry's strings inside the input and terminated there, every
 * name of a name list walked. */
static int dfs(const uint8_t *p, size_t n)
{
	struct dfs_referral_rsp r;
	struct dfs_referral_entry e[DFS_MAX_ENTRIES];
	int rc = dfs_referral_rsp_decode(p, n, &r, e, DFS_MAX_ENTRIES);
	if (rc)
		return rc;
	if (r.count > DFS_MAX_ENTRIES)
		abort();
	for (unsigned i = 0; i < r.count; i++) {
		const struct dfs_referral_entry *d = &e[i];
		if (d->version < 1 || d->version > 4 || d->version != e[0].version)
			abort();
		view(p, n, d->dfs_path, d->dfs_path_len + 2 * !!d->dfs_path);
		view(p, n, d->alt_path, d->alt_path_len + 2 * !!d->alt_path);
		view(p, n, d->target, d->target_len + 2 * !!d->target);
		view(p, n, d->special, d->special_len + 2 * !!d->special);
		view(p, n, d->expanded, d->expanded_len);
		size_t off = 0, len;
		const uint8_t *name;
		unsigned k = 0;
		while (dfs_next_name(d->expanded, d->expanded_len, &off, &name, &len) == 1) {
			view(p, n, name, len + 2);
			k++;
		}
		if (k != d->nexpanded && d->expanded)
			abort();
	}
	return 0;
}

static int brk(const uint8_t *p, size_t n)
{
	struct smb2_break b;
	struct smb2_break_rsp br;
	int e = smb2_break_decode(p, n, &b);
	int e2 = smb2_break_rsp_decode(p, n, &br);
	return e & e2;
}

static int transform(const uint8_t *p, size_t n)
{
	struct smb2_transform_hdr h;
	return smb2_transform_hdr_decode(p, n, &h);
}

static int hdr(const uint8_t *p, size_t n)
{
	struct smb2_hdr h;
	return smb2_hdr_decode(p, n, &h);
}

static int mfsym(const uint8_t *p, size_t n)
{
	struct mfsym m;
	int e = mfsym_decode(p, n, &m);
	if (!e) {
		view(p, n, (const uint8_t *)m.target, m.target_len);
		view(p, n, (const uint8_t *)m.md5_hex, 32);
		if (m.target_len == 0 || m.target_len > MFSYM_TARGET_MAX)
			abort();
	}
	return e;
}

/* A reparse buffer (FSCTL_GET_REPARSE_POINT's output): a target, when any, is a proper string; a special
 * file is one of the four types, with device numbers only for a device; never both a link and one. */
static int reparse(const uint8_t *p, size_t n)
{
	char *t = NULL;
	struct smb2_nfs_special s;
	uint32_t len = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
	int e = smb2_reparse_link_decode(p, len, &t);
	if ((e == 0) != (t != NULL) || (t && !*t))
		abort();
	free(t);
	int es = smb2_reparse_nfs_decode(p, len, &s);
	bool dev = s.type == S_IFCHR || s.type == S_IFBLK;
	if ((es == 0) != (s.type != 0) || (es == 0 && e == 0) ||
	    (s.type && !dev && s.type != S_IFIFO && s.type != S_IFSOCK) || (!dev && (s.major || s.minor)))
		abort();
	return e ? es : e;
}

/* Server-side copy answers, raw: a resume key and a SRV_COPYCHUNK_RESPONSE. */
static int copychunk(const uint8_t *p, size_t n)
{
	uint8_t key[SMB2_RESUME_KEY_SIZE];
	struct smb2_copychunk_rsp r;
	uint32_t len = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
	int e = smb2_resume_key_decode(p, len, key);
	int e2 = smb2_copychunk_rsp_decode(p, len, &r);
	return e & e2;
}

const struct fz_decoder fz_decoders[] = {
	{"negotiate", negotiate},
	{"sess_setup", sess_setup},
	{"tree_connect", tree_connect},
	{"empty_rsps", empty_rsps},
	{"create", create},
	{"create_ctx", create_ctx},
	{"close", close_rsp},
	{"read", read_rsp},
	{"write", write_rsp},
	{"query_dir", query_dir},
	{"names", names},
	{"change_notify", change_notify},
	{"query_info", query_info},
	{"ioctl", ioctl_rsp},
	{"alloc_ranges", alloc_ranges},
	{"copychunk", copychunk},
	{"snapshots", snapshots},
	{"dfs", dfs},
	{"break", brk},
	{"transform", transform},
	{"hdr", hdr},
	{"mfsym", mfsym},
	{"reparse", reparse},
	{"ea", ea},
	{"sd", sd},
};
const unsigned fz_ndecoders = sizeof(fz_decoders) / sizeof(fz_decoders[0]);

const struct fz_decoder *fz_find(const char *name)
{
	for (unsigned i = 0; i < fz_ndecoders; i++)
		if (strcmp(fz_decoders[i].name, name) == 0)
			return &fz_decoders[i];
	return NULL;
}
