"""A Samba AD domain controller for the Kerberos tests, provisioned by the tests themselves.

The DC needs its fixed ports (88 Kerberos, 389 LDAP, 445 SMB, 464 kpasswd, 135 RPC...), so it runs in a
network namespace of its own (`ip netns add`), on that namespace's loopback: nothing of it is reachable
from the machine's network. smbfuse, kinit and klist join that namespace with `nsenter --net=` only (not
`ip netns exec`, which also unshares the mount namespace: the FUSE mount would be invisible to the test).

Names: the server is mounted as //dc.<realm>/data with ip=127.0.0.1, so the SPN cifs/dc.<realm> comes
from the source as written and no hosts file or DNS is needed; the private krb5.conf (KRB5_CONFIG) has
the KDC at 127.0.0.1, no DNS lookups and no reverse lookups.

Provisioning takes about 10 s here; the provisioned tree (with the test user) is kept as a tarball under
/var/cache/smbfuse-tests keyed by the Samba version, and unpacked into a fresh directory for each run.
Each stage's time is printed. The DC's winbindd uses the compiled-in socket directory (/run/samba/winbindd:
libwbclient ignores smb.conf's), so only one DC runs at a time; the plain test smbd sets _NO_WINBINDD.
"""
import os
import re
import shutil
import signal
import subprocess
import tarfile
import time
from pathlib import Path

import smbfixture as sf

REALM = "SMBFUSE.TEST"
DOMAIN = "SMBFUSE"
HOST = "dc.smbfuse.test"
ADMINPASS = "Adm1n-Pass!x"
USER, USERPASS = "alice", "Al1ce-Pass!x"
CACHE = Path("/var/cache/smbfuse-tests")
PKGS = {"samba": "samba-ad-dc", "samba-tool": "samba-ad-dc", "kinit": "krb5-user", "klist": "krb5-user",
        "kdestroy": "krb5-user", "ip": "iproute2", "nsenter": "util-linux"}


def missing():
    """The packages the DC needs that are not installed (empty: all there)."""
    return sorted({pkg for prog, pkg in PKGS.items()
                   if not shutil.which(prog) and not os.path.exists(f"/usr/sbin/{prog}")})


def _stage(name, t0):
    print(f"krb5dc: {name}: {time.monotonic() - t0:.1f} s", flush=True)


def _run(argv, **kw):
    r = subprocess.run(argv, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise RuntimeError(f"{argv[0]} failed ({r.returncode}): {r.stdout}\n{r.stderr}")
    return r


class KrbDC:
    def __init__(self, base):
        self.base = Path(base)
        self.dir = self.base / "dc"
        self.ns = f"smbfuse-krb5-{os.getpid()}"
        self.proc = None
        self.krb5_conf = self.base / "krb5.conf"
        self.pwfile = self.base / "alice.pw"
        self.share = self.dir / "share"
        self.conf = self.dir / "etc" / "smb.conf"
        self.log = self.dir / "log" / "log.samba"

    # ---- set-up ----
    def version(self):
        return _run(["samba", "-V"]).stdout.strip().replace(" ", "-")

    def provision(self):
        """Unpack the cached provisioned tree, or provision (and cache) one."""
        t0 = time.monotonic()
        tar = CACHE / f"krb5dc-{self.version()}.tar"
        if tar.exists():
            with tarfile.open(tar) as t:
                t.extractall(self.base)
            self._fix_paths(tar.with_suffix(".base").read_text().strip())
            _stage("unpacked the cached DC", t0)
            return
        _run(["samba-tool", "domain", "provision", "--use-rfc2307", "--server-role=dc", "--dns-backend=NONE",
              f"--realm={REALM}", f"--domain={DOMAIN}", f"--adminpass={ADMINPASS}", f"--targetdir={self.dir}",
              "--host-name=dc", "--option=interfaces=lo", "--option=bind interfaces only=yes"])
        _stage("provisioned", t0)
        self._write_conf()
        _run(["samba-tool", "user", "create", USER, USERPASS, "-s", str(self.conf)])
        _stage("user created", t0)
        CACHE.mkdir(parents=True, exist_ok=True)
        with tarfile.open(str(tar) + ".tmp", "w") as t:
            t.add(self.dir, arcname="dc")
        os.replace(str(tar) + ".tmp", tar)
        tar.with_suffix(".base").write_text(str(self.base))
        _stage("cached", t0)

    def _fix_paths(self, old_base):
        """The tree names its directory in smb.conf: point it at the new one."""
        s = self.conf.read_text().replace(old_base, str(self.base))
        self.conf.write_text(s)

    def _write_conf(self):
        d = self.dir
        s = self.conf.read_text().split("[homes]")[0]
        s = re.sub(r"\tlog file = .*\n", f"\tlog file = {d}/log/log.samba\n", s)
        # No NetBIOS, WINS replication, NTP signing or DNS update: nothing of them is tested.
        s = re.sub(r"\tserver services = .*\n", "\tserver services = s3fs, rpc, ldap, cldap, kdc, drepl, winbindd, kcc\n", s)
        s += (f"\tpid directory = {d}/run\n\tncalrpc dir = {d}/run/ncalrpc\n\tsmb ports = 445\n"
              "\tload printers = no\n\tdisable spoolss = yes\n\tdisable netbios = yes\n"
              "\tlog level = 1 auth_audit:4\n\tinclude = " + str(d / "etc" / "extra.conf") + "\n\n"
              f"[sysvol]\n\tpath = {d}/state/sysvol\n\tread only = No\n\n"
              f"[data]\n\tpath = {d}/share\n\tread only = No\n")
        (d / "log").mkdir(exist_ok=True)
        (d / "run").mkdir(exist_ok=True)
        (d / "share").mkdir(exist_ok=True)
        os.chmod(d / "share", 0o1777)
        (d / "etc" / "extra.conf").write_text("")
        self.conf.write_text(s)

    def _write_krb5_conf(self):
        self.krb5_conf.write_text(f"""[libdefaults]
\tdefault_realm = {REALM}
\tdns_lookup_kdc = false
\tdns_lookup_realm = false
\trdns = false
\tdns_canonicalize_hostname = false
\tudp_preference_limit = 0
\tdefault_ccache_name = FILE:{self.base}/krb5cc_%{{uid}}
[realms]
\t{REALM} = {{
\t\tkdc = 127.0.0.1
\t}}
[domain_realm]
\t.smbfuse.test = {REALM}
\tsmbfuse.test = {REALM}
""")
        self.pwfile.write_text(USERPASS + "\n")
        os.chmod(self.pwfile, 0o600)

    def start(self, extra=""):
        t0 = time.monotonic()
        (self.dir / "etc" / "extra.conf").write_text(extra)
        # auth_audit 4: the "Successful AuthZ: [SMB2,krb5]" line that proves a Kerberos session
        self.conf.write_text(re.sub(r"\tlog level = .*\n", "\tlog level = 1 auth_audit:4\n", self.conf.read_text()))
        if not Path(f"/run/netns/{self.ns}").exists():
            _run(["ip", "netns", "add", self.ns])
            _run(["ip", "-n", self.ns, "link", "set", "lo", "up"])
        self._write_krb5_conf()
        # The share is served as alice's uid (the DC's idmap): she must be able to reach it, so each
        # directory above it gets o+x (pytest's temporary directories are 0700).
        for p in [self.share, *self.share.parents]:
            st = os.stat(p)
            if not st.st_mode & 0o001:
                os.chmod(p, (st.st_mode & 0o7777) | 0o001)
        self.logf = open(self.base / "samba.out", "ab")
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", self.ns, "samba", "-i", "--no-process-group", "-s", str(self.conf)],
            stdout=self.logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
            env={**os.environ, "KRB5_CONFIG": str(self.krb5_conf)})
        sf.wait_until(lambda: self.proc.poll() is not None or self._listening(445) and self._listening(88),
                      60, 0.2, "the DC's SMB and Kerberos ports")
        if self.proc.poll() is not None:
            raise RuntimeError(f"samba exited {self.proc.returncode}: {(self.base / 'samba.out').read_text()[-2000:]}")
        # The KDC answers only once the DC has loaded its database: wait for a kinit to work.
        sf.wait_until(lambda: self.kinit(cache=self.base / "probe.cc", check=False) == 0, 60, 0.5, "the KDC")
        # A logon maps the user through winbindd, which may come up after the KDC: a session set up
        # before it fails (STATUS_INTERNAL_ERROR; the DC logs "Failed to generate session_info"), seen
        # right after a restart. Wait until winbindd maps the test user.
        sf.wait_until(lambda: subprocess.run(["wbinfo", "-i", f"{DOMAIN}\\{USER}"], capture_output=True,
                                             timeout=10).returncode == 0, 60, 0.2, "the DC's winbindd")
        _stage("DC started", t0)

    def _listening(self, port):
        r = subprocess.run(["ip", "netns", "exec", self.ns, "ss", "-Hltn", f"sport = :{port}"],
                           capture_output=True, text=True)
        return bool(r.stdout.strip())

    def stop(self):
        """SIGTERM samba's process group (the root process and every worker), SIGKILL it after 20 s."""
        if not self.proc:
            return
        pgid = self.proc.pid
        if self.proc.poll() is None:
            os.killpg(pgid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(pgid, signal.SIGKILL)
                self.proc.wait(10)
        self.proc = None
        self.logf.close()

        def gone():
            try:
                os.killpg(pgid, 0)
                return False
            except ProcessLookupError:
                return True
        sf.wait_until(gone, 20, 0.1, "samba's processes to exit")

    def restart(self, extra=""):
        """Again with extra smb.conf [global] lines (e.g. "ntlm auth = disabled")."""
        self.stop()
        self.start(extra)

    def close(self):
        self.stop()
        subprocess.run(["ip", "netns", "del", self.ns], capture_output=True)

    # ---- clients in the namespace ----
    def env(self, cache=None):
        e = {**os.environ, "KRB5_CONFIG": str(self.krb5_conf)}
        if cache:
            e["KRB5CCNAME"] = f"FILE:{cache}"
        return e

    def nsenter(self, argv):
        return ["nsenter", f"--net=/run/netns/{self.ns}", *map(str, argv)]

    def kinit(self, cache, principal=USER, check=True, lifetime=None):
        life = ["-l", lifetime] if lifetime else []
        r = subprocess.run(self.nsenter(["kinit", *life, principal]), input=USERPASS + "\n", capture_output=True,
                           text=True, env=self.env(cache))
        if check and r.returncode:
            raise RuntimeError(f"kinit failed: {r.stderr}")
        return r.returncode

    def klist(self, cache):
        return subprocess.run(["klist", "-c", f"FILE:{cache}"], capture_output=True, text=True,
                              env=self.env()).stdout

    def smbstatus(self):
        r = subprocess.run(["smbstatus", "-s", str(self.conf), "-b"], capture_output=True, text=True)
        return r.stdout + r.stderr


def start_dc(base):
    """Provision (or unpack) and start a DC under base; the caller closes it."""
    dc = KrbDC(base)
    t0 = time.monotonic()
    dc.provision()
    dc.start()
    _stage("DC ready", t0)
    return dc
