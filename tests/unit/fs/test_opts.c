/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of src/opts.c: source forms, vers= mapping, credentials files, argv wiping, errors. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../tap.h"
#include "smbfuse/auth.h"
#include "smbfuse/namemap.h"
#include "smbfuse/opts.h"
#include "smbfuse/secret.h"

static bool streq(const char *a, const char *b)
{
	return a && b ? strcmp(a, b) == 0 : a == b;
}

static int src(struct opts *o, const char *s)
{
	char err[256];
	memset(o, 0, sizeof(*o));
	return opt_parse_source(o, s, err, sizeof(err));
}

static void test_unc_sources(void)
{
	struct opts o;
	CHECK(src(&o, "//srv/share") == 0 && streq(o.host, "srv") && streq(o.share, "share") && !o.subdir);
	opt_free(&o);
	CHECK(src(&o, "//srv/share/a//b/") == 0 && streq(o.subdir, "a/b"));
	opt_free(&o);
	CHECK(src(&o, "\\\\srv\\share\\sub") == 0 && streq(o.host, "srv") && streq(o.subdir, "sub"));
	opt_free(&o);
	CHECK(src(&o, "//[::1]/s") == 0 && streq(o.host, "::1") && streq(o.share, "s"));
	opt_free(&o);
	CHECK(src(&o, "//srv") == 0 && streq(o.share, "") && !o.subdir); /* the browse mount */
	opt_free(&o);
	CHECK(src(&o, "//srv/") == 0 && streq(o.share, ""));
	opt_free(&o);
	CHECK(src(&o, "//") == -EINVAL);
	opt_free(&o);
	CHECK(src(&o, "srv/share") == -EINVAL);
	opt_free(&o);
	CHECK(src(&o, "//srv/share/../x") == -EINVAL);
	opt_free(&o);
}

static void test_url_sources(void)
{
	struct opts o;
	CHECK(src(&o, "smb://srv/share") == 0 && streq(o.host, "srv") && streq(o.share, "share") && !o.user);
	opt_free(&o);
	CHECK(src(&o, "smb://DOM;bob:pa%3Ass@127.0.0.1:4455/share/dir/x") == 0);
	CHECK(streq(o.domain, "DOM") && streq(o.user, "bob") && streq(o.password, "pa:ss"));
	CHECK(streq(o.host, "127.0.0.1") && o.port == 4455 && streq(o.share, "share") && streq(o.subdir, "dir/x"));
	opt_free(&o);
	CHECK(src(&o, "smb://alice@srv/s%20p") == 0 && streq(o.user, "alice") && !o.password && streq(o.share, "s p"));
	opt_free(&o);
	CHECK(src(&o, "smb://a@b@srv/s") == 0 && streq(o.user, "a@b") && streq(o.host, "srv"));
	opt_free(&o);
	CHECK(src(&o, "smb://srv:0/s") == -EINVAL);
	opt_free(&o);
	CHECK(src(&o, "smb://srv:99999/s") == -EINVAL);
	opt_free(&o);
	/* An explicit -o user wins over the URL's. */
	memset(&o, 0, sizeof(o));
	o.user = strdup("explicit");
	char err[128];
	CHECK(opt_parse_source(&o, "smb://url@srv/s", err, sizeof(err)) == 0 && streq(o.user, "explicit"));
	opt_free(&o);
}

static void test_vers(void)
{
	uint16_t lo, hi;
	CHECK(opt_parse_vers("2.0", &lo, &hi) == 0 && lo == 0x0202 && hi == 0x0202);
	CHECK(opt_parse_vers("2.02", &lo, &hi) == 0 && lo == 0x0202 && hi == 0x0202);
	CHECK(opt_parse_vers("2.1", &lo, &hi) == 0 && lo == 0x0210 && hi == 0x0210);
	CHECK(opt_parse_vers("3", &lo, &hi) == 0 && lo == 0x0300 && hi == 0);
	CHECK(opt_parse_vers("3.0", &lo, &hi) == 0 && lo == 0x0300 && hi == 0x0300);
	CHECK(opt_parse_vers("3.02", &lo, &hi) == 0 && lo == 0x0302 && hi == 0x0302);
	CHECK(opt_parse_vers("3.0.2", &lo, &hi) == 0 && lo == 0x0302 && hi == 0x0302);
	CHECK(opt_parse_vers("3.1.1", &lo, &hi) == 0 && lo == 0x0311 && hi == 0x0311);
	CHECK(opt_parse_vers("3.11", &lo, &hi) == 0 && lo == 0x0311 && hi == 0x0311);
	CHECK(opt_parse_vers("default", &lo, &hi) == 0 && lo == 0 && hi == 0);
	CHECK(opt_parse_vers("1.0", &lo, &hi) == 0 && lo == SMB_DIALECT_SMB1 && hi == SMB_DIALECT_SMB1);
	CHECK(opt_parse_vers("4.0", &lo, &hi) == -EINVAL);
	CHECK(opt_parse_vers("", &lo, &hi) == -EINVAL);
}

static char *write_file(const char *text, mode_t mode)
{
	char *path = strdup("/tmp/smbfuse-cred-XXXXXX");
	int fd = mkstemp(path);
	if (fd < 0)
		return path;
	if (write(fd, text, strlen(text)) < 0)
		perror("write");
	fchmod(fd, mode);
	close(fd);
	return path;
}

static void test_credentials(void)
{
	struct opts o;
	char err[256];
	char *p = write_file("# comment\nusername=bob\r\npassword=s3=cret\ndomain=WG\nunknown=1\n", 0600);
	memset(&o, 0, sizeof(o));
	CHECK(opt_read_credentials(&o, p, err, sizeof(err)) == 0);
	CHECK(streq(o.user, "bob") && streq(o.password, "s3=cret") && streq(o.domain, "WG"));
	opt_free(&o);

	/* Values already given win. */
	memset(&o, 0, sizeof(o));
	o.user = strdup("alice");
	CHECK(opt_read_credentials(&o, p, err, sizeof(err)) == 0 && streq(o.user, "alice") &&
	      streq(o.password, "s3=cret"));
	opt_free(&o);

	/* Short key names. */
	char *q = write_file("user=u\npass=p\nworkgroup=w\n", 0400);
	memset(&o, 0, sizeof(o));
	CHECK(opt_read_credentials(&o, q, err, sizeof(err)) == 0 && streq(o.user, "u") && streq(o.password, "p") &&
	      streq(o.domain, "w"));
	opt_free(&o);

	/* Group- or world-accessible files are refused, naming the file and the fix. */
	chmod(p, 0640);
	memset(&o, 0, sizeof(o));
	CHECK(opt_read_credentials(&o, p, err, sizeof(err)) == -EPERM);
	CHECK(strstr(err, p) && strstr(err, "chmod 600"));
	CHECK(!o.password);
	chmod(p, 0602);
	CHECK(opt_read_credentials(&o, p, err, sizeof(err)) == -EPERM);
	opt_free(&o);

	memset(&o, 0, sizeof(o));
	CHECK(opt_read_credentials(&o, "/nonexistent/cred", err, sizeof(err)) == -ENOENT &&
	      strstr(err, "/nonexistent"));
	opt_free(&o);
	unlink(p);
	unlink(q);
	free(p);
	free(q);
}

/* Run opt_parse over a NULL-terminated argument list (copied, since it is wiped). */
static int parse(struct opts *o, char *err, size_t errlen, const char **args)
{
	static char *argv[32];
	int argc = 0;
	argv[argc++] = strdup("smbfuse");
	for (; *args; args++)
		argv[argc++] = strdup(*args);
	argv[argc] = NULL;
	int r = opt_parse(o, argc, argv, err, errlen);
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	return r;
}

static void test_parse(void)
{
	struct opts o;
	char err[256];
	unsetenv("PASSWD");
	unsetenv("USER");

	const char *ok[] = {"//srv/share/sub",
			    "/mnt",
			    "-o",
			    "username=DOM/bob,password=a\\,b,uid=12,gid=34,file_mode=0640,dir_mode=750,port=1445",
			    "-o",
			    "vers=3.1.1,sign,ro,actimeo=5,cache=loose,timeout=3,_netdev,x-systemd.automount,auto",
			    "-f",
			    NULL};
	CHECK(parse(&o, err, sizeof(err), ok) == 0);
	CHECK(streq(o.user, "bob") && streq(o.domain, "DOM") && streq(o.password, "a,b"));
	CHECK(o.fs.uid == 12 && o.fs.gid == 34 && o.fs.file_mode == 0640 && o.fs.dir_mode == 0750);
	CHECK(o.port == 1445 && o.min_dialect == 0x0311 && o.max_dialect == 0x0311 && o.sign && o.fs.ro);
	CHECK(o.fs.attr_timeout == 5 && o.fs.cache == FS_CACHE_LOOSE && o.connect_timeout_ms == 3000);
	CHECK(o.foreground && !o.debug && streq(o.subdir, "sub") && streq(o.mountpoint, "/mnt"));
	struct smb_client_cfg cfg;
	opt_client_cfg(&o, &cfg);
	CHECK(streq(cfg.host, "srv") && cfg.port == 1445 && cfg.sign && !cfg.guest);
	opt_free(&o);

	const char *defaults[] = {"//srv/s", "/mnt", NULL};
	CHECK(parse(&o, err, sizeof(err), defaults) == 0);
	CHECK(o.fs.file_mode == 0755 && o.fs.dir_mode == 0755 && o.fs.attr_timeout == 1.0 && !o.foreground);
	CHECK(o.fs.uid == getuid() && o.fs.cache == FS_CACHE_STRICT && !o.fs.writeback && !o.user);
	CHECK(o.fs.rasize == FS_RASIZE_DEFAULT);
	opt_free(&o);

	/* rasize= in whole MiB: the read-ahead issues 1 MiB READs (src/fs/ra.c). */
	const char *ra[] = {"//srv/s", "/mnt", "-orasize=9000000", NULL};
	CHECK(parse(&o, err, sizeof(err), ra) == 0 && o.fs.rasize == 8u << 20);
	opt_free(&o);
	const char *ra0[] = {"//srv/s", "/mnt", "-orasize=0", NULL};
	CHECK(parse(&o, err, sizeof(err), ra0) == 0 && o.fs.rasize == 0);
	opt_free(&o);

	setenv("PASSWD", "envsecret", 1);
	setenv("USER", "envuser", 1);
	CHECK(parse(&o, err, sizeof(err), defaults) == 0 && streq(o.password, "envsecret") && streq(o.user, "envuser"));
	CHECK(!getenv("PASSWD"));
	opt_free(&o);
	unsetenv("USER");

	const char *none[] = {"//srv/s", "/mnt", "-ocache=none,actimeo=30,guest,user=x%pw", NULL};
	CHECK(parse(&o, err, sizeof(err), none) == 0 && o.fs.attr_timeout == 0 && o.fs.entry_timeout == 0);
	CHECK(o.guest && streq(o.user, "x") && streq(o.password, "pw"));
	opt_client_cfg(&o, &cfg);
	CHECK(cfg.guest && !cfg.nt_hash);
	opt_free(&o);

	const char *dbg[] = {"-d", "//srv/s", "/mnt", NULL};
	CHECK(parse(&o, err, sizeof(err), dbg) == 0 && o.debug && o.foreground);
	opt_free(&o);
}

static void test_errors(void)
{
	struct opts o;
	char err[256];
	const char *unknown[] = {"//srv/s", "/mnt", "-o", "username=a,bogus=1", NULL};
	CHECK(parse(&o, err, sizeof(err), unknown) == -EINVAL && strstr(err, "'bogus'") && !strstr(err, "=1"));
	opt_free(&o);
	const char *nomp[] = {"//srv/s", NULL};
	CHECK(parse(&o, err, sizeof(err), nomp) == -EINVAL && strstr(err, "mount point"));
	opt_free(&o);
	const char *vers[] = {"//srv/s", "/mnt", "-overs=9", NULL};
	CHECK(parse(&o, err, sizeof(err), vers) == -EINVAL && strstr(err, "vers=9"));
	opt_free(&o);
	const char *port[] = {"//srv/s", "/mnt", "-oport=x", NULL};
	CHECK(parse(&o, err, sizeof(err), port) == -EINVAL && strstr(err, "port=x"));
	opt_free(&o);
	const char *cache[] = {"//srv/s", "/mnt", "-ocache=sometimes", NULL};
	CHECK(parse(&o, err, sizeof(err), cache) == -EINVAL && strstr(err, "cache=sometimes"));
	opt_free(&o);
	const char *extra[] = {"//srv/s", "/mnt", "/other", NULL};
	CHECK(parse(&o, err, sizeof(err), extra) == -EINVAL && strstr(err, "/other"));
	opt_free(&o);
	const char *ra[] = {"//srv/s", "/mnt", "-orasize=16777217", NULL};
	CHECK(parse(&o, err, sizeof(err), ra) == -EINVAL && strstr(err, "rasize=16777217"));
	opt_free(&o);
	const char *mode[] = {"//srv/s", "/mnt", "-ofile_mode=999", NULL};
	CHECK(parse(&o, err, sizeof(err), mode) == -EINVAL);
	opt_free(&o);
	const char *help[] = {"-h", NULL};
	CHECK(parse(&o, err, sizeof(err), help) == 0 && o.show_help);
	opt_free(&o);
}

/* sec=krb5: Kerberos only; USER is no principal; cruid= expands krb5.conf's default_ccache_name. */
static void test_krb5(void)
{
	struct opts o;
	char err[256], conf[] = "/tmp/smbfuse-opts-krb5-XXXXXX", cc[64];
	if (!auth_krb5_available()) {
		const char *k[] = {"//srv/s", "/mnt", "-osec=krb5", NULL};
		CHECK(parse(&o, err, sizeof(err), k) == -EOPNOTSUPP && strstr(err, "built without Kerberos"));
		opt_free(&o);
		return;
	}
	char *user = getenv("USER") ? strdup(getenv("USER")) : NULL;
	setenv("USER", "bob", 1);
	const char *k[] = {"//srv/s", "/mnt", "-osec=krb5", NULL};
	CHECK(parse(&o, err, sizeof(err), k) == 0 && o.krb5 && !o.sign && !o.user && !o.krb5_ccache);
	opt_free(&o);
	if (user)
		setenv("USER", user, 1);
	else
		unsetenv("USER");
	free(user);
	const char *ki[] = {"//srv/s", "/mnt", "-osec=krb5i", NULL};
	CHECK(parse(&o, err, sizeof(err), ki) == 0 && o.krb5 && o.sign);
	opt_free(&o);
	const char *both[] = {"//srv/s", "/mnt", "-osec=krb5,cruid=1,keytab=/k", NULL};
	CHECK(parse(&o, err, sizeof(err), both) == -EINVAL && strstr(err, "exclude each other"));
	opt_free(&o);
	const char *bad[] = {"//srv/s", "/mnt", "-osec=krb5,cruid=x1", NULL};
	CHECK(parse(&o, err, sizeof(err), bad) == -EINVAL && strstr(err, "bad cruid=x1"));
	opt_free(&o);
	const char *nosec[] = {"//srv/s", "/mnt", "-okeytab=/k", NULL};
	CHECK(parse(&o, err, sizeof(err), nosec) == -EINVAL && strstr(err, "add sec=krb5"));
	opt_free(&o);
	const char *smb1[] = {"//srv/s", "/mnt", "-osec=krb5,vers=1.0", NULL}; /* SMB1 extended security */
	CHECK(parse(&o, err, sizeof(err), smb1) == 0 && o.krb5);
	opt_free(&o);
	/* cruid=: the profile's name with %{uid}; a missing FILE: cache is reported with its name */
	int fd = mkstemp(conf);
	snprintf(cc, sizeof(cc), "%s.cc.4242", conf);
	dprintf(fd, "[libdefaults]\n default_ccache_name = FILE:%s.cc.%%{uid}\n", conf);
	close(fd);
	setenv("KRB5_CONFIG", conf, 1);
	const char *cr[] = {"//srv/s", "/mnt", "-osec=krb5,cruid=4242", NULL};
	CHECK(parse(&o, err, sizeof(err), cr) == -ENOKEY && strstr(err, cc) && strstr(err, "run kinit"));
	opt_free(&o);
	fd = open(cc, O_CREAT | O_WRONLY, 0600);
	close(fd);
	CHECK(parse(&o, err, sizeof(err), cr) == 0 && o.krb5_ccache && strncmp(o.krb5_ccache, "FILE:", 5) == 0 &&
	      strcmp(o.krb5_ccache + 5, cc) == 0);
	opt_free(&o);
	unlink(cc);
	unlink(conf);
	unsetenv("KRB5_CONFIG");
}

static void test_wipe(void)
{
	char a0[] = "smbfuse", a1[] = "smb://d;u:topsecret@srv/s", a2[] = "-o",
	     a3[] = "user=u,password=hunter2\\,x,port=1", a4[] = "-opass=abc";
	char *argv[] = {a0, a1, a2, a3, a4, NULL};
	opt_wipe_argv(5, argv);
	CHECK(strcmp(a1, "smb://d;u:xxxxxxxxx@srv/s") == 0);
	CHECK(strcmp(a3, "user=u,password=xxxxxxxxxx,port=1") == 0);
	CHECK(strcmp(a4, "-opass=xxx") == 0);
}

/* Each way in leaves one copy, in secret memory, and the hash replaces it. fuse_opt_parse must never see a
 * -o password (it copies the list to the heap and frees it unwiped): opt_take_argv_secrets takes it first. */
static void test_secret_copies(void)
{
	struct opts o;
	char err[256];
	char a0[] = "smbfuse", a1[] = "-o", a2[] = "user=u%p\\w,password=a\\,b\\101,port=1", a3[] = "-opass=zz";
	char *argv[] = {a0, a1, a2, a3, NULL};
	struct argv_secrets t;
	CHECK(opt_take_argv_secrets(4, argv, &t) == 0);
	CHECK(streq(t.password, "zz") && secret_owns(t.password)); /* the last one, as fuse_opt keeps */
	CHECK(strcmp(a0, "smbfuse") == 0);
	CHECK(streq(t.user_password, "pw") && secret_owns(t.user_password));
	CHECK(strcmp(a2, "user=u%xxx,password=xxxxxxxx,port=1") == 0 && strcmp(a3, "-opass=xx") == 0);
	opt_argv_secrets_free(&t);

	const char *opt[] = {"//srv/s", "/mnt", "-o", "password=a\\,b\\101", NULL};
	CHECK(parse(&o, err, sizeof(err), opt) == 0 && streq(o.password, "a,bA") && secret_owns(o.password));
	opt_free(&o);
	const char *pct[] = {"//srv/s", "/mnt", "-o", "username=bob%pw", NULL};
	CHECK(parse(&o, err, sizeof(err), pct) == 0 && streq(o.user, "bob") && streq(o.password, "pw") &&
	      secret_owns(o.password));
	opt_free(&o);
	const char *url[] = {"smb://bob:s%33cret@srv/s", "/mnt", NULL};
	CHECK(parse(&o, err, sizeof(err), url) == 0 && streq(o.password, "s3cret") && secret_owns(o.password));
	CHECK(strcmp(o.source, "smb://bob:xxxxxxxx@srv/s") == 0); /* our copy of argv[1] too */
	opt_free(&o);
	setenv("PASSWD", "envsecret", 1);
	const char *env[] = {"//srv/s", "/mnt", NULL};
	CHECK(parse(&o, err, sizeof(err), env) == 0 && streq(o.password, "envsecret") && secret_owns(o.password));
	opt_free(&o);
	char *p = write_file("password=filesecret\n", 0600);
	memset(&o, 0, sizeof(o));
	CHECK(opt_read_credentials(&o, p, err, sizeof(err)) == 0 && streq(o.password, "filesecret") &&
	      secret_owns(o.password));
	unlink(p);
	free(p);

	/* NTOWFv1("Password"), MS-NLMP 4.2.2.1.2. */
	static const uint8_t want[16] = {0xa4, 0xf4, 0x9c, 0x40, 0x65, 0x10, 0xbd, 0xca,
					 0xb6, 0x82, 0x4e, 0xe7, 0xc3, 0x0f, 0xd8, 0x52};
	secret_free(o.password);
	o.password = secret_strdup("Password");
	CHECK(opt_hash_password(&o, err, sizeof(err)) == 0 && !o.password && o.nt_hash && secret_owns(o.nt_hash));
	CHECK_MEM(o.nt_hash, want, 16);
	struct smb_client_cfg cfg;
	opt_client_cfg(&o, &cfg);
	CHECK(cfg.nt_hash == o.nt_hash);
	opt_free(&o);
	memset(&o, 0, sizeof(o));
	o.password = secret_strdup("\xff");
	CHECK(opt_hash_password(&o, err, sizeof(err)) == -EILSEQ && strstr(err, "UTF-8") && !o.password);
	opt_free(&o);
}

/* NetBIOS options (issue 4): names of at most 15 bytes, nbns=IPV4[:PORT], into smb_client_cfg. */
static void test_netbios_opts(void)
{
	struct opts o;
	char err[256];
	struct smb_client_cfg cfg;
	const char *ok[] = {"//srv/s", "/mnt", "-o", "servern=FILESRV,netbiosname=me,nbns=10.1.2.3:1137,netbios",
			    NULL};
	CHECK(parse(&o, err, sizeof(err), ok) == 0);
	opt_client_cfg(&o, &cfg);
	CHECK(cfg.netbios && streq(cfg.netbios_called, "FILESRV") && streq(cfg.netbios_calling, "me"));
	CHECK(streq(cfg.nbns, "10.1.2.3") && cfg.nbns_port == 1137);
	opt_free(&o);
	const char *bad[][4] = {{"//srv/s", "/mnt", "-o", "servern=SIXTEEN-CHARS-XX"},
				{"//srv/s", "/mnt", "-o", "netbiosname="},
				{"//srv/s", "/mnt", "-o", "nbns=host.example"},
				{"//srv/s", "/mnt", "-o", "nbns=10.1.2.3:0"}};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *args[] = {bad[i][0], bad[i][1], bad[i][2], bad[i][3], NULL};
		CHECK(parse(&o, err, sizeof(err), args) == -EINVAL && strstr(err, "bad "));
		opt_free(&o);
	}
}

/* snapshot= in its two mount.cifs forms, read-only implied; ciphers=; --list without a share. */
static void test_snapshot_and_list(void)
{
	struct opts o;
	char err[256];
	struct smb_client_cfg cfg;
	const uint64_t june = (1717243200ull + 11644473600ull) * 10000000ull; /* 2024-06-01 12:00:00 UTC */
	const char *gmt[] = {"//srv/s", "/mnt", "-o", "snapshot=@GMT-2024.06.01-12.00.00", NULL};
	CHECK(parse(&o, err, sizeof(err), gmt) == 0 && o.snapshot == june && o.ro);
	opt_client_cfg(&o, &cfg);
	CHECK(cfg.snapshot == june);
	opt_free(&o);
	const char *nt[] = {"//srv/s", "/mnt", "-o", "snapshot=133616448000000000", NULL};
	CHECK(parse(&o, err, sizeof(err), nt) == 0 && o.snapshot == 133616448000000000ull && o.ro);
	opt_free(&o);
	const char *bad[] = {"@GMT-2024.13.01-00.00.00", "@GMT-2024.06.01-12.00.00x", "@GMT-2024.6.1-12.0.0", "1e9", ""};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char opt[64];
		snprintf(opt, sizeof(opt), "snapshot=%s", bad[i]);
		const char *args[] = {"//srv/s", "/mnt", "-o", opt, NULL};
		CHECK(parse(&o, err, sizeof(err), args) == -EINVAL && strstr(err, "bad snapshot="));
		opt_free(&o);
	}
	const char *ci[] = {"//srv/s", "/mnt", "-o", "ciphers=AES-256-GCM:aes-128-ccm", NULL};
	CHECK(parse(&o, err, sizeof(err), ci) == 0 && o.nciphers == 2 && o.ciphers[0] == 4 && o.ciphers[1] == 1);
	opt_client_cfg(&o, &cfg);
	CHECK(cfg.nciphers == 2 && cfg.ciphers[0] == 4 && cfg.ciphers[1] == 1);
	opt_free(&o);
	const char *bad_ci[][4] = {{"//srv/s", "/mnt", "-o", "ciphers=aes-512-gcm"},
				   {"//srv/s", "/mnt", "-o", "ciphers=aes-128-gcm:aes-128-gcm"},
				   {"//srv/s", "/mnt", "-o", "ciphers=:"}};
	for (size_t i = 0; i < sizeof(bad_ci) / sizeof(bad_ci[0]); i++) {
		const char *args[] = {bad_ci[i][0], bad_ci[i][1], bad_ci[i][2], bad_ci[i][3], NULL};
		CHECK(parse(&o, err, sizeof(err), args) == -EINVAL && strstr(err, "ciphers="));
		opt_free(&o);
	}
	const char *list[] = {"--list", "//srv", "-o", "username=u", NULL};
	CHECK(parse(&o, err, sizeof(err), list) == 0 && o.list && streq(o.host, "srv") && !o.share && !o.mountpoint);
	opt_free(&o);
	const char *list_mp[] = {"--list", "//srv", "/mnt", NULL};
	CHECK(parse(&o, err, sizeof(err), list_mp) == -EINVAL && strstr(err, "--list"));
	opt_free(&o);
	/* //server alone is the browse mount; '$' shares with browse_hidden. "//srv/" is the same. */
	const char *no_share[] = {"//srv", "/mnt", NULL};
	CHECK(parse(&o, err, sizeof(err), no_share) == 0 && streq(o.share, "") && !o.browse_hidden);
	opt_free(&o);
	const char *hidden[] = {"//srv/", "/mnt", "-o", "browse_hidden", NULL};
	CHECK(parse(&o, err, sizeof(err), hidden) == 0 && streq(o.share, "") && o.browse_hidden);
	opt_free(&o);
}

/* mapposix/mapchars as cifs reads them: two flags, the last word on each wins, SFM over SFU. */
static void test_name_map_opts(void)
{
	static const struct {
		const char *o;
		int want;
	} cases[] = {
	    {"rw", NAME_MAP_SFM},
	    {"mapposix", NAME_MAP_SFM},
	    {"nomapposix", NAME_MAP_NONE},
	    {"mapchars", NAME_MAP_SFU},
	    {"nomapchars", NAME_MAP_SFM},
	    {"mapchars,nomapchars", NAME_MAP_NONE},
	    {"mapchars,mapposix", NAME_MAP_SFM},
	    {"nomapposix,mapchars", NAME_MAP_SFU},
	    {"mapchars,nomapposix", NAME_MAP_SFU},
	    {"nomapposix,nomapchars", NAME_MAP_NONE},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct opts o;
		char err[256];
		struct smb_client_cfg cfg;
		const char *args[] = {"//srv/s", "/mnt", "-o", cases[i].o, NULL};
		int rc = parse(&o, err, sizeof(err), args);
		opt_client_cfg(&o, &cfg);
		tap_check(rc == 0 && cfg.name_map == cases[i].want, __FILE__, __LINE__, cases[i].o);
		opt_free(&o);
	}
}

int main(void)
{
	test_name_map_opts();
	test_netbios_opts();
	test_snapshot_and_list();
	test_unc_sources();
	test_url_sources();
	test_vers();
	test_credentials();
	test_parse();
	test_errors();
	test_krb5();
	test_wipe();
	test_secret_copies();
	return tap_done();
}
