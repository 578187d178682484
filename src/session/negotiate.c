/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * negotiate.c - NEGOTIATE (MS-SMB2 3.2.4.2.1, 3.2.5.2) for session.c, and the answer to the multi-protocol
 * negotiate (3.2.4.2.2.1). When the server's answer is unusable, the log and the mount error say what it
 * sent: the dialect it chose and the ones offered, an SMB1 answer, or bytes that are not SMB at all.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "session_i.h"
#include "smbfuse/err.h"
#include "smbfuse/log.h"
#include "smbfuse/smb1.h"
#include "smbfuse/util.h"

static const uint16_t all_dialects[] = {SMB2_DIALECT_202, SMB2_DIALECT_210, SMB2_DIALECT_300, SMB2_DIALECT_302,
					SMB2_DIALECT_311};

static int offered_dialects(const struct sess_cfg *cfg, uint16_t out[5])
{
	uint16_t lo = cfg->min_dialect ? cfg->min_dialect : SMB2_DIALECT_202;
	uint16_t hi = cfg->max_dialect ? cfg->max_dialect : SMB2_DIALECT_311;
	int n = 0;
	for (size_t i = 0; i < ARRAY_SIZE(all_dialects); i++)
		if (all_dialects[i] >= lo && all_dialects[i] <= hi)
			out[n++] = all_dialects[i];
	return n;
}


/* Record what the negotiate response in ns decided for this link. sent is the SMB2 NEGOTIATE request; none
 * (NULL) when a multi-protocol negotiate was answered with 2.0.2 directly, which has no preauth hash. */
/* "0x0202 0x0210 ..." */
static void dialect_list(const uint16_t *d, int n, char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = 0;
	for (int i = 0; i < n && off + 8 < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s0x%04x", i ? " " : "", d[i]);
}

/* What a server that answered the multi-protocol NEGOTIATE unusably sent, for the log and the mount error. */
static void mp_describe(const uint8_t *msg, size_t n, char *buf, size_t len)
{
	struct smb2_negotiate_rsp r;
	struct smb2_hdr h;
	struct smb1_negotiate_rsp r1;
	switch (smb_proto_version(msg, n)) {
	case 1:
		if (smb1_negotiate_rsp_decode(msg, n, &r1) == 0)
			snprintf(buf, len, "an SMB1 answer choosing dialect index %u (none in common)", r1.dialect_index);
		else
			snprintf(buf, len, "a malformed SMB1 answer (%zu bytes)", n);
		return;
	case 2:
		if (smb2_hdr_decode(msg, n, &h) == 0 && h.status != STATUS_SUCCESS)
			snprintf(buf, len, "an SMB2 error, %s", ntstatus_name(h.status));
		else if (smb2_hdr_decode(msg, n, &h) == 0 && smb2_negotiate_rsp_decode(msg, n, &r) == 0)
			snprintf(buf, len, "dialect 0x%04x (only 0x0202 or 0x02ff may answer it; no dialect in common)",
				 r.dialect);
		else
			snprintf(buf, len, "a malformed SMB2 answer (%zu bytes)", n);
		return;
	default:
		snprintf(buf, len, "%zu bytes that are neither SMB1 nor SMB2 (ProtocolId %02x %02x %02x %02x)", n,
			 n > 0 ? msg[0] : 0, n > 1 ? msg[1] : 0, n > 2 ? msg[2] : 0, n > 3 ? msg[3] : 0);
	}
}

static void negotiated(struct sess *s, struct link *l, struct neg_state *ns, const uint8_t *sent, size_t sent_len)
{
	smb2_preauth_init(&ns->preauth);
	if (ns->rsp.dialect == SMB2_DIALECT_311) {
		smb2_preauth_update(&ns->preauth, sent, sent_len);
		smb2_preauth_update(&ns->preauth, ns->m.rsp, ns->m.rsp_len);
	}
	struct sess_info *in = &l->info;
	in->dialect = ns->rsp.dialect;
	in->capabilities = ns->rsp.capabilities;
	in->max_read = ns->rsp.max_read_size;
	in->max_write = ns->rsp.max_write_size;
	if (s->cfg.rsize && s->cfg.rsize < in->max_read)
		in->max_read = s->cfg.rsize;
	if (s->cfg.wsize && s->cfg.wsize < in->max_write)
		in->max_write = s->cfg.wsize;
	in->max_transact = ns->rsp.max_transact_size;
	in->posix = in->dialect == SMB2_DIALECT_311 && ns->rsp.posix;
	/* The largest payload the server may send is its largest negotiated size (a READ, an IOCTL or QUERY
	 * answer, or a compound around one); 64 KiB covers the headers, the other members and a transform. */
	uint32_t most = MAX(ns->rsp.max_read_size, MAX(ns->rsp.max_write_size, ns->rsp.max_transact_size));
	conn_set_max_frame(l->conn, (size_t)most + 64 * 1024);
	conn_set_multicredit(l->conn, in->dialect >= SMB2_DIALECT_210);
	l->sign_algo = ns->rsp.has_sign_algo ? (enum smb2_sign_algo)ns->rsp.sign_algo
					     : smb2_default_sign_algo(in->dialect);
	/* 3.1.1 names its cipher in a context; 3.0 and 3.0.2 have only AES-128-CCM, announced by a capability. */
	if (in->dialect == SMB2_DIALECT_311)
		l->cipher = ns->rsp.cipher;
	else if (in->dialect >= SMB2_DIALECT_300 && (in->capabilities & SMB2_GLOBAL_CAP_ENCRYPTION))
		l->cipher = SMB2_ENCRYPTION_AES128_CCM;
	in->sign_algo = (uint16_t)l->sign_algo; /* enum smb2_sign_algo holds the wire ids */
	in->cipher = l->cipher;
	log_dbg("negotiated dialect 0x%04x, signing %s, cipher %s", in->dialect, smb2_sign_algo_name(l->sign_algo),
		smb2_cipher_name(l->cipher));
}

int sess_negotiate(struct sess *s, struct link *l, struct neg_state *ns, char *errbuf, size_t errlen)
{
	uint16_t dialects[5];
	int nd = offered_dialects(&s->cfg, dialects);
	/* GMAC first: cheapest for the server and the client (MS-SMB2 3.1.4.1). GCM before CCM for the same
	 * reason; offering ciphers does not make the server encrypt, it only lets it when it wants to. */
	static const uint16_t sign_algos[] = {SMB2_SIGNING_AES_GMAC, SMB2_SIGNING_AES_CMAC, SMB2_SIGNING_HMAC_SHA256};
	static const uint16_t ciphers[] = {SMB2_ENCRYPTION_AES128_GCM, SMB2_ENCRYPTION_AES128_CCM,
					   SMB2_ENCRYPTION_AES256_GCM, SMB2_ENCRYPTION_AES256_CCM};
	struct smb2_negotiate_req req = {
		.security_mode = SMB2_NEGOTIATE_SIGNING_ENABLED | (s->cfg.sign ? SMB2_NEGOTIATE_SIGNING_REQUIRED : 0),
		/* DIRECTORY_LEASING: Samba 4.22 grants directory leases only to clients that offer it. */
		.capabilities = SMB2_GLOBAL_CAP_LARGE_MTU | SMB2_GLOBAL_CAP_LEASING | SMB2_GLOBAL_CAP_ENCRYPTION |
				SMB2_GLOBAL_CAP_DIRECTORY_LEASING,
		.dialects = dialects,
		.ndialects = nd,
		.ciphers = s->cfg.nciphers ? s->cfg.ciphers : ciphers,
		.nciphers = s->cfg.nciphers ? s->cfg.nciphers : (int)ARRAY_SIZE(ciphers),
		.sign_algos = sign_algos,
		.nsign_algos = ARRAY_SIZE(sign_algos),
		.posix = s->cfg.posix,
	};
	memcpy(req.client_guid, s->client_guid, 16);
	if (getrandom(req.salt, sizeof(req.salt), 0) != (ssize_t)sizeof(req.salt))
		return -EIO;
	if (nd == 0) {
		sess_set_err(errbuf, errlen, "no SMB2/3 dialect in the requested vers= range");
		return -EINVAL;
	}
	struct wbuf w;
	wbuf_init(&w, 0);
	int rc = smb2_negotiate_req_encode(&w, &req);
	uint8_t *sent = NULL;
	size_t sent_len = 0;
	if (rc == 0)
		rc = sess_link_call1(l, SMB2_NEGOTIATE, &w, false, &ns->m, &sent, &sent_len, s->cfg.connect_timeout_ms);
	wbuf_free(&w);
	if (rc < 0) {
		free(sent);
		sess_set_err(errbuf, errlen, "no SMB2 negotiate reply from %s:%u (%s)", s->cfg.host, s->cfg.port,
			rc == -EBADMSG ? "the server sent something that is not SMB2" : strerror(-rc));
		return rc == -ETIMEDOUT ? rc : (rc == -EBADMSG ? -EPROTO : rc);
	}
	if (ns->m.rsp_hdr.status != STATUS_SUCCESS) {
		free(sent);
		sess_set_err(errbuf, errlen, "negotiate refused: %s", ntstatus_name(ns->m.rsp_hdr.status));
		return ntstatus_to_errno(ns->m.rsp_hdr.status) ?: -EPROTO;
	}
	rc = smb2_negotiate_rsp_decode(ns->m.rsp, ns->m.rsp_len, &ns->rsp);
	if (rc < 0) {
		free(sent);
		log_info("server reply: NEGOTIATE response of %zu bytes does not decode (%s)", ns->m.rsp_len,
			 strerror(-rc));
		sess_set_err(errbuf, errlen, "%s sent a malformed negotiate reply (%zu bytes)", s->cfg.host,
			     ns->m.rsp_len);
		return -EPROTO;
	}
	bool offered = false;
	for (int i = 0; i < nd; i++)
		offered |= dialects[i] == ns->rsp.dialect;
	if (!offered) {
		free(sent);
		char list[64];
		dialect_list(dialects, nd, list, sizeof(list));
		log_info("server reply: DialectRevision 0x%04x is not one of those offered (%s)", ns->rsp.dialect, list);
		sess_set_err(errbuf, errlen, "%s chose dialect 0x%04x, which was not offered (%s)", s->cfg.host,
			     ns->rsp.dialect, list);
		return -EPROTO;
	}
	negotiated(s, l, ns, sent, sent_len);
	free(sent);
	return 0;
}

/* The answer to the multi-protocol NEGOTIATE that conn_new sent. *again: send an SMB2 NEGOTIATE next
 * (dialect 0x02FF); otherwise the answer was SMB 2.0.2 itself and ns holds it. */
int sess_mp_answer(struct sess *s, struct link *l, struct neg_state *ns, bool *again, char *errbuf, size_t errlen)
{
	uint8_t *msg;
	size_t n;
	enum smb_mp_choice choice;
	uint16_t credits;
	conn_take_first_reply(l->conn, &msg, &n);
	int rc = smb_mp_negotiate_rsp_decode(msg, n, &choice, &credits);
	if (rc == 0 && choice == SMB_MP_SMB2_002)
		rc = smb2_hdr_decode(msg, n, &ns->m.rsp_hdr) ?: smb2_negotiate_rsp_decode(msg, n, &ns->rsp);
	if (rc < 0 || choice == SMB_MP_SMB1) {
		if (rc == 0) {
			free(msg);
			sess_set_err(errbuf, errlen, "%s speaks only SMB1 (NT LM 0.12)", s->cfg.host);
			return SESS_E_SMB1;
		}
		char what[96];
		mp_describe(msg, n, what, sizeof(what));
		free(msg);
		log_info("server reply: the multi-protocol NEGOTIATE was answered with %s", what);
		sess_set_err(errbuf, errlen, "%s answered the negotiate with %s", s->cfg.host, what);
		return -EPROTO;
	}
	conn_first_was_smb2(l->conn, credits);
	*again = choice == SMB_MP_SMB2_WILDCARD;
	if (*again) {
		free(msg);
		return 0;
	}
	ns->m.rsp = msg;
	ns->m.rsp_len = n;
	negotiated(s, l, ns, NULL, 0);
	return 0;
}
