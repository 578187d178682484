"""Deployment as users do it (issue 5): mount(8) and fstab through the installed mount.smbfuse, mount.fuse3,
user mounts through fusermount3, systemd units, the container path in namespaces, the debug trace, the
password prompt, and every refused option or bad credential with its own message."""
import os
import pty
import pwd
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import smbfixture as sf  # noqa: E402

HELPER_LINK = Path("/usr/sbin/mount.smbfuse")  # what mount(8) runs as /sbin/mount.smbfuse (merged /usr)


def build_dir(binary):
    d = Path(binary).resolve().parents[1]
    if not (d / "build.ninja").exists():
        pytest.skip(f"{binary} is not inside a meson build directory")
    return d


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """meson install --destdir of the build under test; returns the destdir and the install prefix."""
    binary = sf.smbfuse_binary()
    if not binary.is_file():
        pytest.skip(f"smbfuse binary not built ({binary})")
    bdir = build_dir(binary)
    dest = tmp_path_factory.mktemp("destdir")
    dest.chmod(0o755)
    r = subprocess.run(["meson", "install", "-C", str(bdir), "--no-rebuild", "--destdir", str(dest)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    prefix = subprocess.run(["meson", "introspect", str(bdir), "--buildoptions"], capture_output=True,
                            text=True, timeout=60).stdout
    import json
    opts = {o["name"]: o["value"] for o in json.loads(prefix)}
    root = dest / opts["prefix"].lstrip("/")
    return {"dest": dest, "root": root, "bin": root / opts["bindir"] / "smbfuse",
            "helper": root / opts["sbindir"] / "mount.smbfuse", "man": root / opts["mandir"] / "man8",
            "units": root / "lib" / "systemd" / "system"}


def temporary_link(link, target):
    """link -> target for the test's duration, removed even on failure; the test fails (rather than
    skipping silently) if something else already put a file there."""
    if link.exists() or link.is_symlink():
        pytest.fail(f"{link} already exists; not touching it", pytrace=False)
    link.symlink_to(target)
    try:
        yield link
    finally:
        link.unlink()


@pytest.fixture
def sbin_helper(installed):
    """mount(8) looks for helpers only in /sbin (here /usr/sbin): no search path can be given."""
    yield from temporary_link(HELPER_LINK, installed["helper"])


@pytest.fixture
def path_smbfuse(installed):
    """mount(8) runs mount.fuse3 with a fixed PATH (/usr/local/sbin:/usr/local/bin:/usr/sbin:...)."""
    yield from temporary_link(Path("/usr/local/bin/smbfuse"), installed["bin"])


def daemon_pids(mountpoint):
    """PIDs of smbfuse processes whose command line names mountpoint."""
    pids = []
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            argv = (p / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv and b"smbfuse" in argv[0] and str(mountpoint).encode() in argv:
            pids.append(int(p.name))
    return pids


def assert_password_nowhere(password, pids):
    """The daemons this test started (pids) show the password neither in /proc/PID/cmdline nor in ps.
    Other processes are not ours to judge: a concurrent run's smbfuse started with -o password= shows it
    until it has parsed its options and wiped them (the reason credentials= and PASSWD are preferred)."""
    assert pids
    needle = password.encode()
    for pid in pids:
        assert needle not in Path(f"/proc/{pid}/cmdline").read_bytes(), f"password in /proc/{pid}/cmdline"
    ps = subprocess.run(["ps", "-o", "args=", "-p", ",".join(map(str, pids))], capture_output=True, text=True,
                        timeout=30).stdout
    assert ps.strip() and password not in ps


def umount_and_wait(mp, pids, cmd=("umount",)):
    r = subprocess.run([*cmd, str(mp)], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert not sf.is_mounted(mp)
    sf.wait_until(lambda: not any(Path(f"/proc/{p}").exists() for p in pids), 30,
                  what="the smbfuse daemon to exit after umount")


def env_with(**kw):
    return {**os.environ, **sf.sanitizer_env(), **kw}


def backing_dir(server, name):
    d = server.backing / name
    d.mkdir(exist_ok=True)
    os.chown(d, server.uid, server.gid)
    return d


# ---------------------------------------------------------------------------------------------------
def test_install_layout(installed):
    assert os.access(installed["bin"], os.X_OK)
    assert installed["helper"].is_symlink() and installed["helper"].resolve() == installed["bin"].resolve()
    for page in ("smbfuse.8", "mount.smbfuse.8"):
        text = (installed["man"] / page).read_text()
        assert text.startswith(".\\\"") or ".TH" in text
    # the man page's table covers the mount.cifs options the issue lists
    table = (installed["man"] / "mount.smbfuse.8").read_text()
    for opt in ("forceuid", "forcegid", "seal", "serverino", "nomapchars", "rsize=", "wsize=", "echo_interval=",
                "soft", "hard", "netbiosname=", "servern=", "ip=", "nofail", "_netdev", "x-systemd"):
        assert opt in table.replace("\\", ""), opt
    assert (installed["units"] / "smbfuse@.service").exists()


def test_help_and_version(installed):
    r = subprocess.run([str(installed["bin"]), "--version"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and re.search(r"smbfuse version \d+\.\d+", r.stdout)
    r = subprocess.run([str(installed["helper"]), "--help"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and "credentials=" in r.stdout


def test_mount_t_smbfuse(server, installed, sbin_helper, tmp_path, request):
    """mount -t smbfuse runs /sbin/mount.smbfuse, which daemonizes; umount(8) ends the daemon."""
    mp = tmp_path / "mnt"
    mp.mkdir()
    sub = backing_dir(server, "mount_t")
    r = subprocess.run(["mount", "-t", "smbfuse", "//127.0.0.1/share/mount_t", str(mp), "-o",
                        f"username={server.user},password={server.password},port={server.port}"],
                       capture_output=True, text=True, timeout=60, env=env_with())
    assert r.returncode == 0, r.stderr
    try:
        e = sf.mount_entry(mp)
        assert e["fstype"] == "fuse.smbfuse" and e["source"] == "//127.0.0.1/share/mount_t"
        (mp / "hello").write_text("via mount(8)")
        assert (sub / "hello").read_text() == "via mount(8)"
        pids = daemon_pids(mp)
        assert len(pids) == 1
        assert_password_nowhere(server.password, pids)
        environ = Path(f"/proc/{pids[0]}/environ").read_bytes()
        assert server.password.encode() not in environ
    finally:
        if sf.is_mounted(mp):
            umount_and_wait(mp, daemon_pids(mp))


def test_mount_t_fuse_dot_smbfuse(server, installed, path_smbfuse, tmp_path):
    """Type fuse.smbfuse: mount.fuse3 runs smbfuse from the standard PATH, having dropped the fstab-only
    keywords itself and added rw (and nosuid,nodev,noexec for user mounts)."""
    mp = tmp_path / "mnt"
    mp.mkdir()
    backing_dir(server, "fusedot")
    env = env_with(PASSWD=server.password)
    r = subprocess.run(["mount", "-t", "fuse.smbfuse", "//127.0.0.1/share/fusedot", str(mp), "-o",
                        f"username={server.user},port={server.port},_netdev,nofail,nosuid,nodev"],
                       capture_output=True, text=True, timeout=60, env=env)
    assert r.returncode == 0, r.stderr
    try:
        e = sf.mount_entry(mp)
        assert e["fstype"] == "fuse.smbfuse" and {"nosuid", "nodev"} <= set(e["options"].split(","))
        assert os.listdir(mp) == []
    finally:
        if sf.is_mounted(mp):
            umount_and_wait(mp, daemon_pids(mp))


def test_fstab_lines(server, installed, sbin_helper, tmp_path):
    """mount -T FSTAB MOUNTPOINT with cifs-style lines: a credentials file, uid/gid/modes, and the fstab-only
    keywords systemd uses (_netdev, nofail, x-systemd.automount)."""
    cred = tmp_path / "share.cred"
    cred.write_text(f"username={server.user}\npassword={server.password}\n")
    cred.chmod(0o600)
    mp1, mp2 = tmp_path / "a", tmp_path / "b"
    mp1.mkdir()
    mp2.mkdir()
    backing_dir(server, "fstab")
    (server.backing / "fstab" / "f").write_text("x")
    os.chown(server.backing / "fstab" / "f", server.uid, server.gid)
    fstab = tmp_path / "fstab"
    fstab.write_text(
        "# written by test_fstab_lines\n"
        f"//127.0.0.1/share/fstab {mp1} smbfuse credentials={cred},port={server.port},uid=1234,gid=2345,"
        "file_mode=0640,dir_mode=0750 0 0\n"
        f"//127.0.0.1/share/fstab {mp2} smbfuse credentials={cred},port={server.port},"
        "_netdev,nofail,x-systemd.automount,noauto,comment=test 0 0\n")
    for mp in (mp1, mp2):
        r = subprocess.run(["mount", "-T", str(fstab), str(mp)], capture_output=True, text=True, timeout=60,
                           env=env_with())
        assert r.returncode == 0, r.stderr
    try:
        st = os.stat(mp1 / "f")
        assert (st.st_uid, st.st_gid, st.st_mode & 0o7777) == (1234, 2345, 0o640)
        st = os.stat(mp1)
        assert st.st_mode & 0o7777 == 0o750
        assert (mp2 / "f").read_text() == "x"
        assert_password_nowhere(server.password, daemon_pids(mp1) + daemon_pids(mp2))
    finally:
        for mp in (mp1, mp2):
            if sf.is_mounted(mp):
                umount_and_wait(mp, daemon_pids(mp))


def test_helper_fake_sloppy_and_namespace_flags(server, installed, tmp_path):
    mp = tmp_path / "mnt"
    mp.mkdir()
    helper = str(installed["helper"])
    base = f"username={server.user},password={server.password},port={server.port}"
    # -f (fake): everything checked, nothing mounted, status 0
    r = subprocess.run([helper, "//127.0.0.1/share", str(mp), "-f", "-o", base], capture_output=True,
                       text=True, timeout=30, env=env_with())
    assert r.returncode == 0 and not sf.is_mounted(mp), r.stderr
    r = subprocess.run([helper, "//127.0.0.1/share", str(mp), "-f", "-o", base + ",frobnicate"],
                       capture_output=True, text=True, timeout=30, env=env_with())
    assert r.returncode == 1 and "'frobnicate'" in r.stderr
    # -s (sloppy): the unknown option is named in a warning, its value is not
    r = subprocess.run([helper, "//127.0.0.1/share", str(mp), "-sf", "-o", base + ",frobnicate=s3cret"],
                       capture_output=True, text=True, timeout=30, env=env_with())
    assert r.returncode == 0 and "frobnicate" in r.stderr and "s3cret" not in r.stderr
    r = subprocess.run([helper, "//127.0.0.1/share", str(mp), "-N", "1", "-o", base], capture_output=True,
                       text=True, timeout=30, env=env_with())
    assert r.returncode == 1 and "-N" in r.stderr
    assert not sf.is_mounted(mp)


# ---------------------------------------------------------------------------------------------------
@pytest.fixture
def unix_user():
    """A real unprivileged account, created for the test and removed afterwards."""
    name = f"smbfu{os.getpid() % 100000}"
    r = subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
                       capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        pytest.fail(f"useradd failed: {r.stderr}", pytrace=False)
    try:
        yield pwd.getpwnam(name)
    finally:
        subprocess.run(["userdel", name], capture_output=True, timeout=30)


def test_user_mount_with_fusermount3(server, smbfuse_bin, unix_user, request):
    """A normal user mounts on a directory they own (fusermount3, no root) and unmounts with fusermount3 -u.

    Debian's udev rule makes /dev/fuse mode 0666; without udev (as here) it stays 0600. Rather than change
    the machine's device node, the test runs in a private mount namespace over which a 0666 node for the
    same device is bound."""
    # pytest's tmp_path is under a 0700 directory of root's; the user needs a path they can reach.
    top = Path(tempfile.mkdtemp(prefix="smbfuse-usermount-"))
    top.chmod(0o755)
    request.addfinalizer(lambda: shutil.rmtree(top, ignore_errors=True))
    mp = top / "share"
    mp.mkdir()
    os.chown(mp, unix_user.pw_uid, unix_user.pw_gid)
    backing_dir(server, "usermount")
    dev = os.stat("/dev/fuse").st_rdev
    as_user = f"setpriv --reuid={unix_user.pw_uid} --regid={unix_user.pw_gid} --init-groups --"
    script = f"""set -e
mknod {top}/fuse c {os.major(dev)} {os.minor(dev)}
chmod 666 {top}/fuse
mount --bind {top}/fuse /dev/fuse
{as_user} {smbfuse_bin} //127.0.0.1/share/usermount {mp} -o username={server.user},port={server.port}
echo "MOUNT $(findmnt -n -o FSTYPE,OPTIONS {mp})"
echo "DAEMON_UID $(stat -c %u /proc/$(pgrep -f -n '^{smbfuse_bin} //127.0.0.1/share/usermount'))"
{as_user} sh -c 'echo hi > {mp}/mine && echo "FILE_UID $(stat -c %u {mp}/mine)"'
{as_user} fusermount3 -u {mp}
echo "AFTER [$(findmnt -n -o FSTYPE {mp} || true)]"
"""
    try:
        r = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
                           capture_output=True, text=True, timeout=90,
                           env=env_with(PASSWD=server.password, HOME="/"))
        assert r.returncode == 0, r.stdout + r.stderr
        out = dict(l.split(" ", 1) for l in r.stdout.splitlines() if " " in l)
        fstype, options = out["MOUNT"].split()
        assert fstype == "fuse.smbfuse" and f"user_id={unix_user.pw_uid}" in options
        assert out["DAEMON_UID"] == str(unix_user.pw_uid)
        assert out["FILE_UID"] == str(unix_user.pw_uid)  # default uid= is the mounting user
        assert out["AFTER"] == "[]"
        assert (server.backing / "usermount" / "mine").read_text() == "hi\n"
        sf.wait_until(lambda: not daemon_pids(mp), 30, what="the user's daemon to exit")
    finally:
        for pid in daemon_pids(mp):  # only if the script failed half-way; the namespace dies with it
            os.kill(pid, signal.SIGKILL)


# ---------------------------------------------------------------------------------------------------
def test_systemd_units_verify(installed, tmp_path):
    """systemd-analyze verify, offline, against a root holding the installed tree, the example units and a
    copy of the host's own unit directory (for the targets the units order against)."""
    sa = shutil.which("systemd-analyze")
    if not sa:
        pytest.fail("systemd-analyze missing (apt-get install systemd)", pytrace=False)
    root = tmp_path / "root"
    shutil.copytree(installed["dest"], root, symlinks=True)
    (root / "usr/lib/systemd").mkdir(parents=True, exist_ok=True)
    shutil.copytree("/usr/lib/systemd/system", root / "usr/lib/systemd/system", symlinks=True, dirs_exist_ok=True)
    fm = shutil.which("fusermount3")
    (root / fm.lstrip("/")).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(fm, root / fm.lstrip("/"))
    etc = root / "etc/systemd/system"
    etc.mkdir(parents=True)
    contrib = sf.REPO / "contrib" / "systemd"
    for u in ("mnt-share.mount", "mnt-share.automount"):
        shutil.copy(contrib / u, etc / u)
    inst = subprocess.run(["systemd-escape", "--path", "--template=smbfuse@.service", "/mnt/share"],
                          capture_output=True, text=True, timeout=30).stdout.strip()
    assert inst == "smbfuse@mnt-share.service"
    r = subprocess.run([sa, "verify", "--man=no", f"--root={root}", inst, "mnt-share.mount", "mnt-share.automount"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and not r.stderr.strip(), r.stderr
    # and it does catch a broken unit
    (etc / "mnt-share.mount").write_text((contrib / "mnt-share.mount").read_text().replace("Where=", "Wehre="))
    r = subprocess.run([sa, "verify", "--man=no", f"--root={root}", "mnt-share.mount"], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode != 0 or r.stderr.strip()


# ---------------------------------------------------------------------------------------------------
def unshare_child(proc):
    """The PID (in our namespace) of the process unshare --fork started."""
    def child():
        try:
            kids = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
        except FileNotFoundError:
            return None
        return int(kids[0]) if kids else None
    return sf.wait_until(child, 10, what="unshare's child")


def ns_mounted(pid, mp):
    r = subprocess.run(["nsenter", "-t", str(pid), "-m", "findmnt", "-n", "-o", "FSTYPE", str(mp)],
                       capture_output=True, text=True, timeout=30)
    return r.stdout.strip() == "fuse.smbfuse"


@pytest.mark.parametrize("propagation", ["private", "shared"])
def test_namespaces_sigterm_and_propagation(server, smbfuse_bin, tmp_path, propagation):
    """The container path without an engine: smbfuse -f as PID 1 of new mount and PID namespaces. With
    private propagation the mount stays inside; under a shared mount (what Kubernetes' Bidirectional sets
    up) it appears outside too. SIGTERM unmounts (in every namespace that saw it) and exits 0."""
    vol = tmp_path / "vol"
    vol.mkdir()
    subprocess.run(["mount", "--bind", str(vol), str(vol)], check=True, timeout=30)
    try:
        subprocess.run(["mount", f"--make-{propagation}", str(vol)], check=True, timeout=30)
        mp = vol / "share"
        mp.mkdir()
        backing_dir(server, "ns")
        cred = tmp_path / "secret"
        cred.write_text(f"username={server.user}\npassword={server.password}\n")
        cred.chmod(0o400)
        err = open(tmp_path / "stderr", "wb")
        proc = subprocess.Popen(["unshare", "--mount", "--pid", "--fork", "--propagation", "unchanged",
                                 str(smbfuse_bin), "//127.0.0.1/share/ns", str(mp), "-f", "-o",
                                 f"credentials={cred},port={server.port}"],
                                stdin=subprocess.DEVNULL, stdout=err, stderr=err, env=env_with())
        err.close()
        try:
            pid = unshare_child(proc)
            sf.wait_until(lambda: ns_mounted(pid, mp) or proc.poll() is not None, 30, what="mount in the namespace")
            assert proc.poll() is None, (tmp_path / "stderr").read_text()
            assert sf.is_mounted(mp) == (propagation == "shared")
            os.kill(pid, signal.SIGTERM)
            assert proc.wait(30) == 0, (tmp_path / "stderr").read_text()
            assert not sf.is_mounted(mp)
            assert not sf.SANITIZER.search((tmp_path / "stderr").read_text())
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
            if sf.is_mounted(mp):
                subprocess.run(["umount", "-l", str(mp)])
    finally:
        subprocess.run(["umount", "-l", str(vol)], timeout=30)


# ---------------------------------------------------------------------------------------------------
def test_debug_trace_has_requests_and_no_secret(mount, server):
    """-d: one line per request with command, MessageId, status and duration; no trace of the password
    (as text, in UTF-16, or as hex). rsize= shows in the number of READs a 200 KiB file needs."""
    m = mount(opts={"rsize": "16384"}, extra_args=["-d"])
    data = os.urandom(200 * 1024)
    m.disk_write("big", data)
    assert (m.path / "big").read_bytes() == data
    assert m.unmount() == 0
    log = m.stderr()
    lines = re.findall(r"(\w+) mid=(\d+) status=0x([0-9a-f]{8})(?: \(no reply\))? (\d+\.\d{3}) ms", log)
    cmds = {c for c, *_ in lines}
    assert {"NEGOTIATE", "SESSION_SETUP", "TREE_CONNECT", "CREATE", "READ", "CLOSE"} <= cmds, cmds
    # MessageId 0 is the multi-protocol negotiate, sent before the engine runs; SMB2 NEGOTIATE is 1.
    assert ("NEGOTIATE", "1") == lines[0][:2], lines[:3]
    assert ("SESSION_SETUP", "2", "c0000016") in [(c, mid, st) for c, mid, st, _ in lines]  # MORE_PROCESSING
    assert sum(1 for c, *_ in lines if c == "READ") >= 200 * 1024 // 16384
    pw = server.password
    for form in (pw, pw.encode("utf-16-le").hex(), pw.encode().hex()):
        assert form.lower() not in log.lower()
    assert "\0".join(pw) not in log


def test_password_prompt_on_tty(server, smbfuse_bin, tmp_path):
    """No password from anywhere and a terminal attached: smbfuse asks on /dev/tty, without echo."""
    mp = tmp_path / "mnt"
    mp.mkdir()
    backing_dir(server, "prompt")
    argv = [str(smbfuse_bin), "//127.0.0.1/share/prompt", str(mp), "-o",
            f"username={server.user},port={server.port}"]
    env = env_with()
    env.pop("PASSWD", None)
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(argv[0], argv, env)
    out = b""
    reaped = []
    deadline = time.monotonic() + 30
    try:
        while b"Password" not in out:
            assert time.monotonic() < deadline, out
            if select.select([fd], [], [], 1)[0]:
                out += os.read(fd, 1024)
        assert f"{server.user}@//127.0.0.1/share".encode() in out
        os.write(fd, server.password.encode() + b"\n")
        # the parent returns once the daemon has mounted

        def exited():
            p, st = os.waitpid(pid, os.WNOHANG)
            if p:
                reaped.append(st)
            return bool(p)
        sf.wait_until(exited, 30, what="smbfuse to mount after the password")
        status = reaped[0]
        try:
            while select.select([fd], [], [], 0.2)[0]:
                out += os.read(fd, 1024)
        except OSError:
            pass
        assert os.waitstatus_to_exitcode(status) == 0, out
        assert server.password.encode() not in out  # echo was off
        assert sf.is_mounted(mp)
    finally:
        os.close(fd)
        if sf.is_mounted(mp):
            pids = daemon_pids(mp)
            umount_and_wait(mp, pids, cmd=("fusermount3", "-u"))
        try:
            if not reaped and os.waitpid(pid, os.WNOHANG)[0] == 0:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
        except ChildProcessError:
            pass


def test_ip_option_and_noserverino(mount, server):
    """ip= connects to the address while the source names the server; serverino (default) shows the
    server's file ids (Samba: the backing inode numbers), noserverino does not."""
    m = mount(source="//fileserver.invalid/share", opts={"ip": "127.0.0.1"})
    m.disk_write("f", b"1")
    assert os.stat(m.path / "f").st_ino == os.stat(m.backing / "f").st_ino
    m2 = mount(opts={"noserverino": True})
    m2.disk_write("g", b"1")
    assert os.stat(m2.path / "g").st_ino != os.stat(m2.backing / "g").st_ino


# ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("opt,message", [
    ("sec=krb5x", r"unknown sec=krb5x \(use krb5 or krb5i\)"),
    ("sec=ntlm", r"sec=ntlm: NTLMv1"),
    ("sec=bogus", r"unknown sec=bogus"),
    ("iocharset=iso8859-1", r"iocharset=iso8859-1: smbfuse always uses UTF-8"),
    ("multiuser", r"'multiuser' is not supported: one smbfuse mount"),
    ("cruid=0", r"cruid= is for Kerberos: add sec=krb5"),
    ("sec=krb5,guest", r"a guest has no Kerberos ticket"),
    ("nocase", r"'nocase' is not supported"),
    ("sfu", r"'sfu' is not supported"),
    ("rsize=100", r"bad rsize=100"),
    ("wsize=x", r"bad wsize=x"),
    ("acregmax=5", r"unknown mount option 'acregmax'"),
    ("echo_interval=0", r"bad echo_interval=0"),
])
def test_refused_options(run_smbfuse, server, tmp_path, opt, message):
    mp = tmp_path / "mp"
    mp.mkdir()
    f = run_smbfuse(["//127.0.0.1/share", mp, "-f", "-o",
                     f"username={server.user},password={server.password},port={server.port},{opt}"], mountpoint=mp)
    assert f.rc == 1 and len(f.lines) == 1 and re.search(message, f.stderr), f


@pytest.mark.parametrize("opt", ["forceuid", "forcegid", "noforceuid", "serverino", "nomapchars", "mapchars",
                                 "mapposix", "nomapposix", "soft",
                                 "netbiosname=CLIENT", "servern=SERVER", "sec=ntlmsspi", "iocharset=utf8",
                                 "nounix", "nobrl", "perm", "noperm", "intr", "auto", "users", "defaults",
                                 "x-systemd.requires=network-online.target", "x-gvfs-show", "comment=x",
                                 "nosuid,nodev,noexec", "wsize=65536", "addr=127.0.0.1"])
def test_accepted_options_mount(mount, opt):
    m = mount(opts={opt: True})
    (m.path / "f").write_text("ok")
    assert (m.backing / "f").read_text() == "ok"


def bad_cred(tmp_path, text, mode=0o600):
    p = tmp_path / "cred"
    p.write_text(text)
    p.chmod(mode)
    return p


@pytest.mark.parametrize("case", ["group_readable", "missing", "directory", "wrong_password", "no_password"])
def test_bad_credentials(run_smbfuse, server, tmp_path, case):
    mp = tmp_path / "mp"
    mp.mkdir()
    cred = {"group_readable": lambda: bad_cred(tmp_path, "username=x\npassword=y\n", 0o640),
            "missing": lambda: tmp_path / "nonexistent",
            "directory": lambda: tmp_path,
            "wrong_password": lambda: bad_cred(tmp_path, f"username={server.user}\npassword=wrong\n"),
            "no_password": lambda: bad_cred(tmp_path, f"username={server.user}\n")}[case]()
    env = {"PASSWD": ""} if case == "no_password" else None
    f = run_smbfuse(["//127.0.0.1/share", mp, "-f", "-o", f"credentials={cred},port={server.port}"],
                    mountpoint=mp, env=env)
    expect = {"group_readable": (1, r"accessible by group or others; run: chmod 600"),
              "missing": (1, r"cannot open credentials file .*No such file"),
              "directory": (1, r"is not a regular file"),
              "wrong_password": (32, r"logon failure|wrong user name or password"),
              "no_password": (32, r"logon failure|wrong user name or password")}[case]
    assert f.rc == expect[0] and len(f.lines) == 1 and re.search(expect[1], f.stderr), f
