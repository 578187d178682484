/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ops->list_eas and ops->set_ea over SMB2 against the scripted server of psrv.h: a hostile EA list is
 * refused whole (the callback never sees part of it), a file without EAs has none, an answer too small is
 * asked again once with a larger buffer, and a refusal of what is not SMB's reaches no server. Security
 * descriptors, over SMB2 and SMB1 (psrv1.c): a broken one from the server is -EIO, one from the user
 * -EINVAL before anything is sent; over SMB1 one larger than an answer carries is -E2BIG. A previous
 * version by path (@GMT) is read-only before anything is sent.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "psrv.h"
#include "smbfuse/err.h"
#include "smbfuse/smb2.h"

static struct psrv srv;
static struct smb_client *cl;
static const struct smb_ops *ops;

struct seen {
	int n;
	char names[4][16];
};

static int collect(void *arg, const char *name, const void *value, size_t len)
{
	struct seen *s = arg;
	(void)value;
	(void)len;
	if (s->n < 4)
		strncpy(s->names[s->n], name, 15);
	s->n++;
	return 0;
}

static int list_with(const uint8_t *buf, size_t len, uint32_t status, struct seen *s)
{
	pthread_mutex_lock(&srv.mu);
	srv.ea_buf = buf;
	srv.ea_buf_len = len;
	srv.ea_status = status;
	pthread_mutex_unlock(&srv.mu);
	memset(s, 0, sizeof(*s));
	return ops->list_eas(cl, "f", collect, s);
}

static uint32_t last_out_len(void)
{
	pthread_mutex_lock(&srv.mu);
	uint32_t v = srv.ea_out_len;
	pthread_mutex_unlock(&srv.mu);
	return v;
}

static void test_lists(void)
{
	/* Two EAs, the first padded as Samba pads, and an empty value (a removal, never an EA) between. */
	static const uint8_t good[] = {16, 0, 0, 0, 0, 3, 3, 0, 'F', 'o', 'o', 0, 'b', 'a', 'r', 0,
				       12, 0, 0, 0, 0, 1, 0, 0, 'e', 0, 0, 0,
				       0, 0, 0, 0, 0, 1, 1, 0, 'x', 0, '1'};
	struct seen s;
	CHECK(list_with(good, sizeof(good), 0, &s) == 0 && s.n == 2);
	CHECK(strcmp(s.names[0], "Foo") == 0 && strcmp(s.names[1], "x") == 0);
	CHECK(last_out_len() == 16384);

	/* The second entry is broken: nothing at all is handed out. */
	uint8_t bad[sizeof(good)];
	memcpy(bad, good, sizeof(good));
	bad[16] = 2; /* NextEntryOffset inside the entry */
	CHECK(list_with(bad, sizeof(bad), 0, &s) == -EIO && s.n == 0);
	memcpy(bad, good, sizeof(good));
	bad[21] = 40; /* name past the end */
	CHECK(list_with(bad, sizeof(bad), 0, &s) == -EIO && s.n == 0);

	CHECK(list_with(NULL, 0, STATUS_NO_EAS_ON_FILE, &s) == 0 && s.n == 0);
	CHECK(list_with(good, 0, 0, &s) == 0 && s.n == 0); /* an empty buffer: no EAs either */
	CHECK(list_with(NULL, 0, 0xC00000BBu /* NOT_SUPPORTED */, &s) == -EOPNOTSUPP && s.n == 0);

	/* Too small every time: asked twice, the second time with the most the server allows, then E2BIG. */
	CHECK(list_with(NULL, 0, STATUS_INFO_LENGTH_MISMATCH, &s) == -E2BIG && s.n == 0);
	CHECK(last_out_len() == 65536);
	/* Too small once: the second answer counts. */
	psrv_arm(&srv, SMB2_QUERY_INFO, 0, PSRV_STATUS, STATUS_BUFFER_OVERFLOW);
	CHECK(list_with(good, sizeof(good), 0, &s) == 0 && s.n == 2);
	CHECK(psrv_fired(&srv) == 1 && last_out_len() == 65536);
	list_with(NULL, 0, 0, &s);
}

static void test_set(void)
{
	unsigned served = psrv_served(&srv);
	char big[SMB_EA_NAME_MAX + 2];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK(ops->set_ea(cl, "f", big, "v", 1) == -ENAMETOOLONG);
	CHECK(ops->set_ea(cl, "f", "caf\xc3\xa9", "v", 1) == -EINVAL);
	CHECK(ops->set_ea(cl, "f", "k", "v", SMB_EA_VALUE_MAX + 1) == -E2BIG);
	CHECK(psrv_served(&srv) == served); /* refused before sending */
	CHECK(ops->set_ea(cl, "f", "k", "v", 1) == 0);
	CHECK(ops->set_ea(cl, "f", "k", NULL, 0) == 0);
	pthread_mutex_lock(&srv.mu);
	CHECK(srv.set_eas == 2);
	pthread_mutex_unlock(&srv.mu);
}

static void test_sd(void)
{
	/* Owner S-1-1-0 and nothing else. */
	static const uint8_t sd[] = {1, 0, 0, 0x80, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
				     1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0};
	void *out = NULL;
	size_t len = 0;
	pthread_mutex_lock(&srv.mu);
	srv.sd_buf = sd;
	srv.sd_buf_len = sizeof(sd);
	pthread_mutex_unlock(&srv.mu);
	CHECK(ops->get_sd(cl, "f", SMB_SECINFO_OWNER | SMB_SECINFO_DACL, &out, &len) == 0 && len == sizeof(sd) &&
	      memcmp(out, sd, len) == 0);
	free(out);
	pthread_mutex_lock(&srv.mu);
	srv.sd_buf_len = sizeof(sd) - 1; /* the owner SID cut short */
	pthread_mutex_unlock(&srv.mu);
	out = (void *)1;
	CHECK(ops->get_sd(cl, "f", SMB_SECINFO_OWNER, &out, &len) == -EIO && out == NULL && len == 0);
	pthread_mutex_lock(&srv.mu);
	srv.sd_buf = NULL;
	pthread_mutex_unlock(&srv.mu);

	unsigned served = psrv_served(&srv);
	CHECK(ops->set_sd(cl, "f", SMB_SECINFO_DACL, sd, sizeof(sd) - 1) == -EINVAL);
	CHECK(ops->set_sd(cl, "f", SMB_SECINFO_DACL, sd, 10) == -EINVAL);
	CHECK(ops->set_sd(cl, "f", 0, sd, sizeof(sd)) == -EINVAL);
	CHECK(psrv_served(&srv) == served);
	CHECK(ops->set_sd(cl, "f", SMB_SECINFO_OWNER | SMB_SECINFO_GROUP, sd, sizeof(sd)) == 0);
	pthread_mutex_lock(&srv.mu);
	CHECK(srv.sd_addl == (SMB_SECINFO_OWNER | SMB_SECINFO_GROUP));
	pthread_mutex_unlock(&srv.mu);
}

/* A previous version by path (@GMT component): whatever would change it is EROFS before anything is sent
 * (the EA and the descriptor too); reading goes to the server; a lookalike is an ordinary name. */
static void test_gmt_read_only(void)
{
	static const uint8_t sd[20] = {1, 0, 0, 0x80};
	const char *old = "d/@GMT-2024.06.01-12.00.00/f";
	struct smb_fh *fh = NULL;
	struct smb_attr a;
	unsigned served = psrv_served(&srv);
	CHECK(ops->open(cl, old, O_RDWR, 0, &fh, &a) == -EROFS && !fh);
	CHECK(ops->open(cl, old, O_RDONLY | O_CREAT, 0644, &fh, &a) == -EROFS && !fh);
	CHECK(ops->mkdir(cl, "@GMT-2024.06.01-12.00.00/e", 0755, NULL) == -EROFS);
	CHECK(ops->unlink(cl, old, 0) == -EROFS);
	CHECK(ops->rename(cl, "d/f", old, 0) == -EROFS);
	CHECK(ops->set_ea(cl, old, "k", "v", 1) == -EROFS);
	CHECK(ops->set_sd(cl, old, SMB_SECINFO_DACL, sd, sizeof(sd)) == -EROFS);
	CHECK(psrv_served(&srv) == served);
	CHECK(ops->stat(cl, old, &a) == 0 && psrv_served(&srv) > served);
	CHECK(ops->open(cl, "d/@GMT-2024.02.30-00.00.00/f", O_RDWR, 0, &fh, &a) == 0 && fh);
	if (fh)
		ops->close(cl, fh);
}

/* SMB1: the same, and a descriptor longer than the MaxDataCount asked for (STATUS_BUFFER_TOO_SMALL with
 * LengthNeeded, as smbd answers) is E2BIG, not a retry the transport could not carry. */
static void test_sd_smb1(void)
{
	memset(&srv, 0, sizeof(srv));
	psrv_start_smb1(&srv);
	CHECK(psrv_client(&srv, false, 2000, &cl) == 0);
	if (!cl) {
		psrv_stop(&srv);
		return;
	}
	ops = smb_client_ops(cl);
	test_sd();
	static uint8_t huge[70000] = {1, 0, 0, 0x80};
	void *out = (void *)1;
	size_t len = 1;
	pthread_mutex_lock(&srv.mu);
	srv.sd_buf = huge;
	srv.sd_buf_len = sizeof(huge);
	pthread_mutex_unlock(&srv.mu);
	CHECK(ops->get_sd(cl, "f", SMB_SECINFO_DACL, &out, &len) == -E2BIG && out == NULL && len == 0);
	CHECK(ops->set_sd(cl, "f", SMB_SECINFO_DACL, huge, sizeof(huge)) == -E2BIG);
	smb_client_free(cl);
	psrv_stop(&srv);
}

int main(void)
{
	memset(&srv, 0, sizeof(srv));
	psrv_start(&srv);
	CHECK(psrv_client(&srv, false, 2000, &cl) == 0);
	if (!cl)
		return tap_done();
	ops = smb_client_ops(cl);
	test_lists();
	test_set();
	test_sd();
	test_gmt_read_only();
	smb_client_free(cl);
	psrv_stop(&srv);
	test_sd_smb1();
	return tap_done();
}
