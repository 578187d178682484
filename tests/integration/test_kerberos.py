"""Kerberos logon (sec=krb5, krb5i, cruid=, keytab=) against a Samba AD DC the tests provision
(krb5dc.py: its own network namespace; smbfuse and kinit join it with nsenter --net)."""
import contextlib
import os
import re
import subprocess

import pytest

import krb5dc
import smbfixture as sf

SOURCE = f"//{krb5dc.HOST}/data"


@pytest.fixture
def krb(krb5_dc, smbfuse_bin, tmp_path):
    """Mount and fail helpers in the DC's namespace; every mount is unmounted at the end."""
    mounts = []

    class K:
        dc = krb5_dc
        cache = tmp_path / "cc"

        def run(self, opts, cache=cache, env=None, mp=None):
            mp = mp or tmp_path / f"mnt{len(mounts)}"
            mp.mkdir(exist_ok=True)
            e = krb5_dc.env(cache)
            e.update(sf.sanitizer_env())
            if env is not None:
                e = {**e, **env}
                e = {k: v for k, v in e.items() if v is not None}
            r = subprocess.run(krb5_dc.nsenter([smbfuse_bin, SOURCE, mp, "-o", f"ip=127.0.0.1,{opts}"]),
                               capture_output=True, text=True, env=e, stdin=subprocess.DEVNULL, timeout=60)
            if sf.is_mounted(mp):
                mounts.append(mp)
            return r, mp

        def mount(self, opts, **kw):
            r, mp = self.run(opts, **kw)
            assert r.returncode == 0 and sf.is_mounted(mp), r.stderr
            return mp

    yield K()
    for mp in mounts:
        subprocess.run(["fusermount3", "-u", str(mp)])
        sf.wait_until(lambda: not sf.is_mounted(mp), 10, what=f"unmount of {mp}")


@contextlib.contextmanager
def foreground(krb5_dc, smbfuse_bin, cache, mp, opts):
    """smbfuse -f in the DC's namespace with its log in a file (yielded, open), unmounted at the end; the
    daemon must then end by itself with status 0 and no sanitizer finding."""
    mp.mkdir()
    log = open(mp.parent / "daemon.err", "w+")
    e = {**krb5_dc.env(cache), **sf.sanitizer_env()}
    d = subprocess.Popen(krb5_dc.nsenter([smbfuse_bin, SOURCE, mp, "-f", "-o", f"ip=127.0.0.1,{opts}"]),
                         stdout=log, stderr=log, env=e, stdin=subprocess.DEVNULL)
    try:
        sf.wait_until(lambda: sf.is_mounted(mp) or d.poll() is not None, 30, what="the mount")
        yield log
    except BaseException:
        log.seek(0)
        print("daemon log (tail):\n" + log.read()[-6000:])  # shown with the failure
        raise
    finally:
        subprocess.run(["fusermount3", "-u", str(mp)])
        # The daemon ends by itself once unmounted; a SIGTERM before that would be the test's own race.
        try:
            rc = d.wait(20)
        except subprocess.TimeoutExpired:
            rc = sf.stop_pid(d, 5)
        assert rc == 0, rc
        log.seek(0)
        assert not sf.sanitizer_findings(log.read())


def check_rw(mp, dc, name):
    (mp / name).write_bytes(b"kerberos " + name.encode())
    assert (dc.share / name).read_bytes() == b"kerberos " + name.encode()
    (dc.share / (name + ".srv")).write_bytes(b"from the server")
    assert (mp / (name + ".srv")).read_bytes() == b"from the server"


def newest_session(dc, before):
    """(protocol, encryption, signing) of the session that came after the first `before` ones."""
    rows = sf.wait_until(lambda: len(sessions(dc)) > before and sessions(dc), 10, what="smbstatus: " + dc.smbstatus())
    return rows[-1]


def sessions(dc):
    """smbstatus -b session rows: (protocol, encryption, signing). The user shows as a uid (3000000 and
    up: the DC's idmap) unless winbind is in nsswitch.conf, so rows are told by their client address."""
    return [l.split()[-3:] for l in dc.smbstatus().splitlines() if "(ipv4:127.0.0.1:" in l]


def test_krb5_mount(krb):
    krb.dc.kinit(krb.cache)
    mp = krb.mount("sec=krb5")
    check_rw(mp, krb.dc, "krb5.txt")
    # the service ticket smbfuse got sits in the user's cache; the DC logged a Kerberos logon
    assert re.search(rf"cifs/{krb5dc.HOST}@{krb5dc.REALM}", krb.dc.klist(krb.cache), re.I)
    sf.wait_until(lambda: re.search(r"Successful AuthZ: \[SMB2,krb5\] user \[SMBFUSE\]\\\[alice\]",
                                    krb.dc.log.read_text(errors="replace")), 10,
                  what="a krb5 AuthZ line: " + krb.dc.log.read_text(errors="replace")[-3000:])


@pytest.mark.parametrize("opts,enc", [("sec=krb5i", False), ("sec=krb5,seal", True)])
def test_krb5_sign_and_seal(krb, opts, enc):
    """The keys derive from the Kerberos session key: signed (krb5i) and encrypted (seal) sessions work."""
    krb.dc.kinit(krb.cache)
    before = len(sessions(krb.dc))
    mp = krb.mount(opts)
    check_rw(mp, krb.dc, "signed.txt")
    proto, encryption, signing = newest_session(krb.dc, before)
    assert proto == "SMB3_11" and signing != "-"
    assert (encryption != "-") == enc



def test_krb5_over_smb1(krb):
    """SMB1 (NT LM 0.12) with extended security: the same SPNEGO Kerberos logon, and signing with the whole
    Kerberos session key (MS-SMB 3.2.5.3; 32 bytes for AES-256), which the DC requires."""
    krb.dc.restart("\tserver min protocol = NT1\n")
    try:
        krb.dc.kinit(krb.cache)
        for opts in ("vers=1.0,sec=krb5", "vers=1.0,sec=krb5i"):
            before = len(sessions(krb.dc))
            mp = krb.mount(opts)
            check_rw(mp, krb.dc, "smb1.txt")
            proto, _, signing = newest_session(krb.dc, before)
            assert proto == "NT1" and signing != "-", (proto, signing)
            subprocess.run(["fusermount3", "-u", str(mp)], check=True)
        sf.wait_until(lambda: re.search(r"Successful AuthZ: \[SMB,krb5\]", krb.dc.log.read_text(errors="replace")),
                      10, what="an SMB1 krb5 AuthZ line in the DC's log")
    finally:
        krb.dc.restart("")

def test_no_ticket(krb, tmp_path):
    r, mp = krb.run("sec=krb5", cache=tmp_path / "absent")
    assert r.returncode == 32 and not sf.is_mounted(mp)
    assert f"no Kerberos ticket for cifs/{krb5dc.HOST}: run kinit" in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_unknown_service_principal(krb, krb5_dc, smbfuse_bin, tmp_path):
    krb.dc.kinit(krb.cache)
    mp = tmp_path / "m"
    mp.mkdir()
    r = subprocess.run(krb5_dc.nsenter([smbfuse_bin, "//nosuchhost.smbfuse.test/data", mp, "-o",
                                        "ip=127.0.0.1,sec=krb5"]), capture_output=True, text=True,
                       env=krb5_dc.env(krb.cache), timeout=60)
    assert r.returncode == 32 and "unknown service principal cifs/nosuchhost.smbfuse.test" in r.stderr, r.stderr


def test_cruid(krb, tmp_path):
    """A root mount with cruid= reads that user's cache (krb5.conf default_ccache_name, %{uid}), not
    KRB5CCNAME."""
    cache = krb.dc.base / "krb5cc_4242"
    krb.dc.kinit(cache)
    try:
        r, _ = krb.run("sec=krb5", cache=None, env={"KRB5CCNAME": f"FILE:{tmp_path}/none"})
        assert r.returncode == 32 and "no Kerberos ticket" in r.stderr
        mp = krb.mount("sec=krb5,cruid=4242", cache=None, env={"KRB5CCNAME": f"FILE:{tmp_path}/none"})
        check_rw(mp, krb.dc, "cruid.txt")
        r, _ = krb.run("sec=krb5,cruid=4343")
        assert r.returncode == 1 and "cruid=4343: no Kerberos credential cache" in r.stderr, r.stderr
    finally:
        cache.unlink()


SERVICE, SERVICEPASS = "svc-backup", "Svc-Backup-Pass!1"  # a second principal, for keytabs that hold two


def domain_uid(name):
    """The uid the DC's winbindd maps a domain user to (the owner of the files its sessions make)."""
    r = subprocess.run(["wbinfo", "-i", f"{krb5dc.DOMAIN}\\{name}"], capture_output=True, text=True, timeout=10)
    return int(r.stdout.split(":")[2]) if r.returncode == 0 else None


def export_keytab(dc, kt, user):
    subprocess.run(["samba-tool", "domain", "exportkeytab", str(kt), f"--principal={user}@{krb5dc.REALM}",
                    "-s", str(dc.conf)], check=True, capture_output=True)


@pytest.mark.parametrize("principal", ["option", "credentials"])
def test_keytab(krb, tmp_path, principal):
    """keytab= gets its own tickets: no kinit, no cache of the user's. The principal is username=, or (as
    the smbfuse@ unit gives it: README) a credentials file's username= line without a password. The keytab
    holds two principals, the test user's first: the files the mount makes belong to the one named."""
    if domain_uid(SERVICE) is None:
        r = subprocess.run(["samba-tool", "user", "create", SERVICE, SERVICEPASS, "-s", str(krb.dc.conf)],
                           capture_output=True, text=True)
        assert r.returncode == 0 or "already exists" in r.stdout + r.stderr, r.stdout + r.stderr
        sf.wait_until(lambda: domain_uid(SERVICE) is not None, 30, 0.2, "winbindd to map the new user")
    kt = tmp_path / "two.keytab"
    export_keytab(krb.dc, kt, krb5dc.USER)
    export_keytab(krb.dc, kt, SERVICE)
    if principal == "option":
        who = f"username={SERVICE}"
    else:
        cred = tmp_path / "svc.cred"
        cred.write_text(f"username={SERVICE}\n")
        cred.chmod(0o600)
        who = f"credentials={cred}"
    mp = krb.mount(f"sec=krb5i,keytab={kt},{who}", cache=tmp_path / "absent")
    name = f"keytab-{principal}.txt"
    (krb.dc.share / name).unlink(missing_ok=True)
    check_rw(mp, krb.dc, name)
    assert not (tmp_path / "absent").exists()
    owner, service, user = (krb.dc.share / name).stat().st_uid, domain_uid(SERVICE), domain_uid(krb5dc.USER)
    assert service != user
    assert owner == service, f"the file belongs to uid {owner}, not {SERVICE}'s {service} (the test user: {user})"


def test_ntlm_disabled_kerberos_works(krb):
    """A DC that refuses NTLM: sec=ntlmssp fails with one clear line, Kerberos still logs on."""
    krb.dc.restart("\tntlm auth = disabled\n")
    try:
        krb.dc.kinit(krb.cache)
        r, _ = krb.run(f"sec=ntlmssp,username={krb5dc.USER}", env={"PASSWD": krb5dc.USERPASS})
        assert r.returncode == 32 and "does not accept NTLM (STATUS_NTLM_BLOCKED): mount with sec=krb5" in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
        mp = krb.mount("sec=krb5")
        check_rw(mp, krb.dc, "nontlm.txt")
    finally:
        krb.dc.restart("")


def test_reconnect_needs_a_ticket(krb, krb5_dc, smbfuse_bin, tmp_path):
    """The connection is lost (the serving smbd killed) after kdestroy: the reconnect's logon fails with
    the clear line and requests fail; after a new kinit the next request logs on again, and a file opened
    before the loss still works."""
    import signal
    krb.dc.kinit(krb.cache)
    mp = tmp_path / "m"
    with foreground(krb5_dc, smbfuse_bin, krb.cache, mp, "sec=krb5,cache=none") as log:
        (mp / "held.txt").write_bytes(b"held")
        fd = os.open(mp / "held.txt", os.O_RDONLY)
        # The sessions of earlier tests' mounts end on the DC a moment after their unmount: await ours alone.
        def one_session():
            rows = [l.split() for l in krb.dc.smbstatus().splitlines() if "(ipv4:127.0.0.1:" in l]
            return rows if len(rows) == 1 else None
        rows = sf.wait_until(one_session, 20, 0.2, what="exactly one session of ours on the DC")
        subprocess.run(["kdestroy", "-c", f"FILE:{krb.cache}"], env=krb5_dc.env(), check=True)
        os.kill(int(rows[0][0]), signal.SIGKILL)
        err = f"no Kerberos ticket for cifs/{krb5dc.HOST}: run kinit"

        def refused():
            try:
                os.listdir(mp)
            except OSError:
                pass
            log.seek(0)
            return err in log.read()
        sf.wait_until(refused, 30, 0.5, what="the reconnect's Kerberos error in the daemon's log")
        with pytest.raises(OSError):
            (mp / "during.txt").write_bytes(b"x")
        krb.dc.kinit(krb.cache)
        sf.wait_until(lambda: _try_write(mp / "after.txt"), 30, 0.5,
                      what="a logon with the new ticket")
        assert (krb.dc.share / "after.txt").read_bytes() == b"after"
        assert os.pread(fd, 4, 0) == b"held"
        os.close(fd)


def _try_write(p):
    try:
        p.write_bytes(b"after")
        return True
    except OSError:
        return False


def test_expired_ticket(krb):
    """A cache whose tickets have run out: "has expired: run kinit", exit 32."""
    import time
    krb.dc.kinit(krb.cache, lifetime="3s")
    end = time.time() + 4
    sf.wait_until(lambda: time.time() > end, 10, 0.2, what="the ticket's end time")
    r, mp = krb.run("sec=krb5")
    assert r.returncode == 32 and not sf.is_mounted(mp)
    assert re.search(r"ticket for cifs/\S+ has expired: run kinit", r.stderr), r.stderr


def test_kdc_unreachable(krb, tmp_path):
    """A TGT but no KDC to get the cifs/ ticket from (krb5.conf names a port nobody listens on)."""
    krb.dc.kinit(krb.cache)
    conf = tmp_path / "krb5.conf"
    conf.write_text(krb.dc.krb5_conf.read_text().replace("kdc = 127.0.0.1", "kdc = 127.0.0.1:9"))
    r, mp = krb.run("sec=krb5", env={"KRB5_CONFIG": str(conf)})
    assert r.returncode == 32 and "cannot reach a Kerberos KDC for cifs/" in r.stderr, r.stderr


def _stats(smbfuse_bin, mp):
    out = subprocess.run([str(smbfuse_bin), "--stats", str(mp)], capture_output=True, text=True, timeout=10,
                         check=True).stdout
    return {k: int(v) for k, v in (line.split() for line in out.splitlines())}


@pytest.mark.timeout(300)
def test_reauthentication_in_place(krb, krb5_dc, smbfuse_bin, tmp_path):
    """A logon whose ticket runs out is renewed on the same connection before the server ends it: first
    with nothing newer in the cache (one warning: run kinit), then, after a kinit, with the new ticket. The
    session outlives the first ticket with no reconnect, and a file opened before works after."""
    import time
    # The DC gives no service ticket from a TGT with less than about 2 minutes left.
    krb.dc.kinit(krb.cache, lifetime="2m30s")
    start = time.monotonic()
    mp = tmp_path / "m"
    with foreground(krb5_dc, smbfuse_bin, krb.cache, mp, "sec=krb5,cache=none,--verbose") as log:
        def logged(what):
            log.seek(0)
            return what in log.read()
        (mp / "held.txt").write_bytes(b"held")
        fd = os.open(mp / "held.txt", os.O_RDWR)
        sf.wait_until(lambda: logged("the cache holds no newer one: run kinit"), 150, 0.5,
                      what="the warning of a re-authentication with the same ticket")
        assert _stats(smbfuse_bin, mp)["session.reauthentications"] == 1
        krb.dc.kinit(krb.cache)
        # The retry after the warning may still find the old ticket if kinit was slow: wait for a logon
        # that outlives the first ticket (the new one is valid for hours).
        def renewed():
            log.seek(0)
            return any(int(n) > 300 for n in re.findall(r"re-authenticated to .* \(logon valid for (\d+) s\)",
                                                         log.read()))
        sf.wait_until(renewed, 40, 0.2, what="a re-authentication with the new ticket")
        assert _stats(smbfuse_bin, mp)["session.reauthentications"] >= 2
        end = start + 152
        sf.wait_until(lambda: time.monotonic() > end, 60, 0.5, what="the first ticket's end")
        assert os.pread(fd, 4, 0) == b"held"
        os.pwrite(fd, b"HELD", 0)
        (mp / "after.txt").write_bytes(b"after")
        assert (krb.dc.share / "held.txt").read_bytes() == b"HELD"
        assert (krb.dc.share / "after.txt").read_bytes() == b"after"
        st = _stats(smbfuse_bin, mp)
        assert st["session.reconnects"] == 0 and st["handles.reopened"] == 0, st
        os.close(fd)
