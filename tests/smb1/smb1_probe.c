/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * smb1-probe: log on to a server with SMB1 through src/session/smb1_session.c, send ECHO and a burst of
 * concurrent ECHOs (MID multiplexing), log off. For tests/integration/test_smb1_logon.py.
 *
 *   USER=u PASSWD=p smb1-probe HOST PORT SHARE [ntlmv1] [noext] [sign] [netbios] [guest] [nochain] [hold]
 *
 * Prints "ok ext=E signing=S guest=G mpx=M logon_msgs=N" (N: SMB1 messages sent to log on and connect the
 * tree) and exits 0, or prints the error and exits 1. With hold, it
 * keeps the session until stdin reaches end of file, so the test can ask smbstatus about it.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smbfuse/auth.h"
#include "smbfuse/smb1_session.h"

#define BURST 16

static void *echo_thread(void *arg)
{
	return (void *)(intptr_t)smb1_sess_echo(arg);
}

static int burst(struct smb1_sess *s)
{
	pthread_t t[BURST];
	int bad = 0;
	for (int i = 0; i < BURST; i++)
		pthread_create(&t[i], NULL, echo_thread, s);
	for (int i = 0; i < BURST; i++) {
		void *r;
		pthread_join(t[i], &r);
		bad |= (int)(intptr_t)r;
	}
	return bad;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr,
			"usage: smb1-probe HOST PORT SHARE [ntlmv1] [noext] [sign] [netbios] [guest] [nochain]\n");
		return 2;
	}
	uint8_t nt_hash[16];
	if (ntlm_nt_hash(getenv("PASSWD"), nt_hash) < 0)
		return 2;
	struct sess_cfg cfg = {.host = argv[1],
			       .port = (uint16_t)atoi(argv[2]),
			       .share = argv[3],
			       .user = getenv("USER"),
			       .nt_hash = nt_hash,
			       .connect_timeout_ms = 5000,
			       .request_timeout_ms = 10000};
	struct smb1_sess_opts o = {0};
	bool hold = false;
	for (int i = 4; i < argc; i++) {
		if (strcmp(argv[i], "ntlmv1") == 0)
			o.ntlmv1 = true;
		else if (strcmp(argv[i], "noext") == 0)
			o.no_ext_sec = true;
		else if (strcmp(argv[i], "sign") == 0)
			cfg.sign = true;
		else if (strcmp(argv[i], "netbios") == 0)
			cfg.nb_called = "PROBESERVER", cfg.nb_calling = "SMB1PROBE";
		else if (strcmp(argv[i], "nochain") == 0)
			o.no_chain = true;
		else if (strcmp(argv[i], "hold") == 0)
			hold = true;
		else if (strcmp(argv[i], "guest") == 0)
			cfg.guest = true, cfg.user = NULL, cfg.nt_hash = NULL;
	}
	struct smb1_sess *s;
	char err[256] = "";
	int rc = smb1_sess_new(&cfg, &o, &s, err, sizeof(err));
	if (rc < 0) {
		printf("error %d: %s\n", -rc, err);
		return 1;
	}
	struct smb1_sess_info info;
	smb1_sess_get_info(s, &info);
	unsigned long long logon_msgs = (unsigned long long)smb1_sess_sent(s);
	rc = smb1_sess_echo(s);
	if (rc == 0)
		rc = burst(s);
	if (rc == 0)
		printf("ok ext=%d signing=%d guest=%d mpx=%u logon_msgs=%llu\n", info.extended_security, info.signing,
		       info.guest, info.max_mpx, logon_msgs);
	else
		printf("error %d: echo failed\n", -rc);
	fflush(stdout);
	while (hold && getchar() != EOF) {
	}
	/* The session must still work after the wait (signing sequence numbers kept in step). */
	if (rc == 0 && hold && (rc = smb1_sess_echo(s)) != 0)
		printf("error %d: echo after hold failed\n", -rc);
	smb1_sess_free(s);
	return rc ? 1 : 0;
}
