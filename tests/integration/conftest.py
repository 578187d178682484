"""pytest fixtures for smbfuse's integration tests (see smbfixture.py for the machinery).

Fixtures
  samba_server(**options)  session-scoped factory: a private smbd per distinct set of [global] options
                           (e.g. samba_server(**{"server signing": "mandatory"})); cached, stopped at the end
                           of the session, its log scanned for panics.
  server                   the default server (samba_server()).
  posix_server             Samba 4.22 from the chroot of tests/samba422/setup.sh, with SMB 3.1.1 POSIX
                           extensions (samba_server(root=...)); skips without the chroot, fails under CI=true.
  mount(...)               function-scoped factory: mount(server=None, share="share", opts=None,
                           subdir=None, password_via="option", ...) -> Mount, unmounted at teardown with
                           exit status 0 and no sanitizer report required.
  mnt                      a mount of the default share with a per-test directory: mnt.path is the test's
                           directory in the mount, mnt.backing the same directory on disk.
  smbfuse_bin              the binary; skips with "smbfuse binary not built" when missing, unless
                           SMBFUSE_REQUIRE_BINARY=1 (then the test fails instead).

Skips: no /dev/fuse, no fusermount3, no smbd/smbclient, not root (smbd switches to the test user).
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import smbfixture as sf  # noqa: E402


def _missing_samba():
    for tool in ("smbd", "smbclient", "smbpasswd", "testparm", "smbstatus"):
        if not shutil.which(tool) and not os.path.exists(f"/usr/sbin/{tool}"):
            return f"{tool} not installed (apt-get install samba smbclient)"
    if os.geteuid() != 0:
        return "needs root: smbd switches to the test user's uid"
    if not any(os.path.exists(f"{d}/{sf.NSS_WRAPPER}") for d in
               ("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib", "/usr/lib64")):
        return "libnss-wrapper not installed"
    return None


def _missing_fuse():
    if not os.path.exists("/dev/fuse"):
        return "/dev/fuse missing"
    if not shutil.which("fusermount3"):
        return "fusermount3 missing (apt-get install fuse3)"
    return None


def require_binary():
    """Skip (or fail, under SMBFUSE_REQUIRE_BINARY=1) when the smbfuse binary does not exist."""
    b = sf.smbfuse_binary()
    if b.is_file() and os.access(b, os.X_OK):
        return b
    msg = f"smbfuse binary not built ({b})"
    if os.environ.get("SMBFUSE_REQUIRE_BINARY") == "1":
        pytest.fail(msg + " and SMBFUSE_REQUIRE_BINARY=1", pytrace=False)
    pytest.skip(msg)


def pytest_configure(config):
    # pytest.ini gives every test a timeout, but only pytest-timeout enforces it: without the plugin a
    # hung mount would hang the whole run instead of failing one test.
    if not config.pluginmanager.hasplugin("timeout"):
        raise pytest.UsageError("the integration tests need pytest-timeout (apt-get install "
                                "python3-pytest-timeout): every test has a timeout")


# ----------------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def samba_server(tmp_path_factory):
    why = _missing_samba()
    if why:
        pytest.skip(why)
    servers = {}
    dirs = []

    def make(root=None, **options):
        options = {k.replace("_", " "): v for k, v in options.items()}
        key = (str(root),) + tuple(sorted(options.items()))
        if key not in servers:
            # Not under pytest's 0700 basetemp: smbd works as the test user and must reach the shares.
            # A chroot's server keeps its files in the chroot's /tmp, where its smbd sees them.
            d = Path(tempfile.mkdtemp(prefix="smbfuse-samba-", dir=Path(root) / "tmp" if root else None))
            d.chmod(0o755)
            dirs.append(d)
            servers[key] = sf.SambaServer(d, options, root=root)
            servers[key].start()
        return servers[key]

    yield make
    problems = []
    for srv in servers.values():
        srv.stop()
        bad = srv.suspicious_log_lines()
        if bad:
            problems.append(f"smbd {srv.conf}: suspicious log lines:\n" + "\n".join(bad[:20]))
    for d in dirs:
        if not problems or os.environ.get("CI") == "true":
            shutil.rmtree(d, ignore_errors=True)
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


def _root_422():
    """The Samba 4.22 chroot, or a skip (a failure under CI=true) when it is missing."""
    root = sf.samba422_root()
    if root is None:
        msg = f"Samba 4.22 chroot missing: run {sf.SAMBA422_SETUP} as root"
        if os.environ.get("CI") == "true":
            pytest.fail(msg + " (CI=true: tests/run-all.sh builds it)", pytrace=False)
        pytest.skip(msg)
    return root


# SMBFUSE_SERVER=4.22: the default server of `server` and `any_server` is the 4.22 chroot's, without the
# POSIX extensions (it grants directory leases), so the whole suite can be run against it.
SERVER_422 = os.environ.get("SMBFUSE_SERVER") == "4.22"


@pytest.fixture(scope="session")
def server(samba_server):
    return samba_server(root=_root_422()) if SERVER_422 else samba_server()


POSIX_OPTIONS = {"smb3 unix extensions": "yes", "server min protocol": "SMB3_11"}


@pytest.fixture(scope="session")
def posix_server(samba_server):
    """Samba 4.22 (the chroot of tests/samba422/setup.sh) with SMB 3.1.1 POSIX extensions. Missing
    chroot: the test skips, or fails under CI=true, where tests/run-all.sh must have built it."""
    return samba_server(root=_root_422(), **POSIX_OPTIONS)


@pytest.fixture(scope="session")
def krb5_dc(tmp_path_factory):
    """The Samba AD DC of tests/integration/krb5dc.py, one for the whole session (provisioning is slow).
    Skips only when its packages are missing; under CI=true that fails instead."""
    import krb5dc
    gone = krb5dc.missing()
    if gone or os.geteuid() != 0:
        msg = f"Kerberos DC needs root and: {' '.join(gone)}" if gone else "Kerberos DC needs root"
        if os.environ.get("CI") == "true":
            pytest.fail(msg + " (CI=true: tests/run-all.sh installs tests/packages.txt)", pytrace=False)
        pytest.skip(msg)
    dc = krb5dc.start_dc(tmp_path_factory.mktemp("krb5dc"))
    yield dc
    dc.close()


@pytest.fixture
def smbfuse_bin():
    why = _missing_fuse()
    if why:
        pytest.skip(why)
    return require_binary()


def _test_dir_name(request):
    return re.sub(r"[^A-Za-z0-9_.-]", "_", request.node.name)[:100]


class TestMount:
    """A mounted smbfuse plus the test's directory in it (path) and on disk (backing)."""

    def __init__(self, m, path, backing):
        self.m, self.path, self.backing = m, path, backing
        self.root = m.mountpoint
        self.server = m.server

    def __getattr__(self, name):
        return getattr(self.m, name)

    def disk_write(self, rel, data=b"", mode=0o644):
        """Create a file in the backing directory, owned by the SMB user so smbd may change it."""
        p = self.backing / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data if isinstance(data, bytes) else data.encode())
        os.chown(p, self.server.uid, self.server.gid)
        p.chmod(mode)
        return p

    def disk_mkdir(self, rel):
        p = self.backing / rel
        p.mkdir(parents=True, exist_ok=True)
        os.chown(p, self.server.uid, self.server.gid)
        return p


@pytest.fixture
def mount(request, server, smbfuse_bin, tmp_path):
    """Factory: mount(server=None, share="share", opts=None, subdir=None, password_via="option",
    per_test_dir=True, **kw) -> TestMount. Torn down with fusermount3 -u; fails the test if the daemon
    exits non-zero, does not exit, or printed a sanitizer report."""
    mounts = []
    counter = [0]

    def make(srv=None, share="share", opts=None, subdir=None, password_via="option",
             per_test_dir=True, timeout=30, **kw):
        srv = srv or server
        counter[0] += 1
        mp = tmp_path / f"mnt{counter[0]}"
        name = _test_dir_name(request)
        backing_root = srv.shares.get(share, srv.backing)
        if per_test_dir and subdir is None and share == "share":
            backing = backing_root / name
            backing.mkdir(exist_ok=True)
            os.chown(backing, srv.uid, srv.gid)
        else:
            backing = backing_root / subdir if subdir else backing_root
        m = sf.Mount(srv, mp, share=share, opts=opts, subdir=subdir, binary=smbfuse_bin,
                     password_via=password_via, workdir=tmp_path, **kw)
        mounts.append(m)
        try:
            m.start(timeout)
        except sf.MountFailed as e:
            pytest.fail(str(e), pytrace=False)
        path = mp / name if (per_test_dir and subdir is None and share == "share") else mp
        return TestMount(m, path, backing)

    yield make
    errors = []
    for m in mounts:
        try:
            rc = m.unmount()
            if rc not in (0, None) and not (rc == 1 and m.only_known_leak()):
                errors.append(f"smbfuse exited with {rc} after unmount:\n{m.stderr()[-4000:]}")
        except sf.MountFailed as e:
            errors.append(str(e))
        finally:
            m.kill()
        rep = m.sanitizer_reports()
        if rep:
            errors.append("sanitizer report in smbfuse stderr:\n" + m.stderr()[-8000:])
    if errors:
        pytest.fail("\n".join(errors), pytrace=False)


@pytest.fixture
def mnt(mount):
    return mount()


# ----------------------------------------------------------------------------------------------------
class Failure:
    def __init__(self, rc, stderr, elapsed, argv):
        self.rc, self.stderr, self.elapsed, self.argv = rc, stderr, elapsed, argv

    @property
    def lines(self):
        return [l for l in self.stderr.splitlines() if l.strip()]

    def __repr__(self):
        return f"rc={self.rc} elapsed={self.elapsed:.2f}s argv={self.argv}\nstderr:\n{self.stderr}"


@pytest.fixture
def run_smbfuse(smbfuse_bin, tmp_path):
    """Run smbfuse expecting it to fail: returns Failure(rc, stderr, elapsed). Fails the test if it
    hangs beyond `timeout`, mounts anything, or prints a sanitizer report."""

    def run(args, timeout=15, env=None, mountpoint=None):
        argv = [str(smbfuse_bin), *map(str, args)]
        t0 = time.monotonic()
        try:
            r = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                               timeout=timeout, env={**os.environ, **sf.sanitizer_env(), **(env or {})})
        except subprocess.TimeoutExpired as e:
            if mountpoint and sf.is_mounted(mountpoint):
                subprocess.run(["fusermount3", "-u", "-z", str(mountpoint)])
            pytest.fail(f"smbfuse hung for more than {timeout}s: {argv}\n{e.stderr}", pytrace=False)
        elapsed = time.monotonic() - t0
        if mountpoint and sf.is_mounted(mountpoint):
            subprocess.run(["fusermount3", "-u", "-z", str(mountpoint)])
            pytest.fail(f"smbfuse left a mount at {mountpoint}: rc={r.returncode}", pytrace=False)
        f = Failure(r.returncode, r.stderr, elapsed, argv)
        if sf.SANITIZER.search(r.stderr):
            pytest.fail(f"sanitizer report:\n{f}", pytrace=False)
        return f

    return run


@pytest.fixture
def capture(tmp_path):
    if not shutil.which("tshark"):
        pytest.skip("tshark not installed")
    caps = []

    def start(port):
        caps.append(sf.Capture(port, tmp_path / f"cap{len(caps)}.pcap"))
        return caps[-1]

    yield start
    for c in caps:
        if c.p.poll() is None:
            c.stop()


# ----------------------------------------------------------------------------------------------------
# Every dialect and cache mode: namespace and data tests take `any_mnt` (or `any_mount` for more mounts
# of the same kind) and run once per combination. "A cache never changes the outcome of an operation."
NT1_OPTIONS = {"server min protocol": "NT1", "server max protocol": "NT1"}
DIALECTS = {"smb2": ({}, {}), "smb1": (NT1_OPTIONS, {"vers": "1.0"})}
CACHE_MODES = ("strict", "loose", "none")


@pytest.fixture(params=[(d, c) for d in DIALECTS for c in CACHE_MODES],
                ids=lambda p: f"{p[0]}-{p[1]}")
def any_kind(request):
    return request.param


@pytest.fixture
def any_server(samba_server, any_kind):
    return samba_server(root=_root_422() if SERVER_422 else None, **DIALECTS[any_kind[0]][0])


@pytest.fixture
def any_mount(mount, any_server, any_kind, monkeypatch):
    """Factory like `mount`, for the dialect and cache mode of this run: any_mount(opts=None, **kw)."""
    dialect, cache = any_kind
    if dialect == "smb1":
        plain = any_server.smbclient
        monkeypatch.setattr(any_server, "smbclient", lambda share, commands, extra=(), **kw: plain(
            share, commands, extra=("--option=client min protocol=NT1", *extra), **kw))

    def make(opts=None, **kw):
        o = {**DIALECTS[dialect][1], "cache": cache, **(opts or {})}
        return mount(srv=any_server, opts=o, **kw)

    make.dialect, make.cache = dialect, cache
    return make


@pytest.fixture
def any_mnt(any_mount):
    m = any_mount()
    m.dialect, m.cache = any_mount.dialect, any_mount.cache
    return m
