"""Interruptible waits: a request blocked on an unreachable server ends when its caller is signalled (the
kernel's FUSE INTERRUPT), and a lazy unmount ends the daemon, in hard mode too.

The server is made unreachable two ways: stopped (connections refused: a hard mount waits and retries), or
blackholed by an nftables DROP rule on its port (nothing answers, not even the reconnect's SYN). Each
blocked request runs in a child process, which is checked to be inside the FUSE request (its kernel stack)
before it is signalled."""
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

import smbfixture as sf

DIALECTS = {"smb2": ({}, {}),
            "smb1": ({"server min protocol": "NT1", "server max protocol": "NT1"}, {"vers": "1.0"})}


def private_mount(samba_server, mount, dialect, tag, hard, **opts):
    srv = samba_server(**{"server string": f"smbfuse interrupt {tag} {dialect}", **DIALECTS[dialect][0]})
    o = {**DIALECTS[dialect][1], **({"hard": None} if hard else {}), **opts}
    return srv, mount(srv=srv, opts=o)


def child(code, *args):
    """A Python child running code; it prints one line (its outcome) on stdout."""
    return subprocess.Popen([sys.executable, "-c", code, *map(str, args)], stdout=subprocess.PIPE, text=True)


STAT = """
import os, sys
try:
    os.stat(sys.argv[1])
    print("ok")
except OSError as e:
    print(e.errno)
"""


def blocked(p, what):
    sf.wait_until(lambda: sf.in_fuse(p.pid), 20, what=f"{what} (pid {p.pid}) to block in the mount")


def reaped_within(p, seconds):
    try:
        p.wait(seconds)
    except subprocess.TimeoutExpired:
        p.kill()
        return False
    return True


@contextlib.contextmanager
def blackhole(port):
    """Drop every packet to and from 127.0.0.1:port (the test's own server) until the block ends."""
    if not shutil.which("nft"):
        pytest.skip("nft not installed (apt-get install nftables)")
    table = f"smbfuse_blackhole_{port}"

    def nft(*a):
        subprocess.run(["nft", *a], check=True, capture_output=True, text=True)
    nft("add", "table", "inet", table)
    try:
        nft("add", "chain", "inet", table, "in", "{ type filter hook input priority -10 ; }")
        nft("add", "rule", "inet", table, "in", "ip", "daddr", "127.0.0.1", "tcp", "dport", str(port), "drop")
        nft("add", "rule", "inet", table, "in", "ip", "saddr", "127.0.0.1", "tcp", "sport", str(port), "drop")
        yield
    finally:
        nft("delete", "table", "inet", table)


@contextlib.contextmanager
def unreachable(srv, how):
    if how == "stopped":
        srv.stop()
        try:
            yield
        finally:
            srv.start()
    else:
        with blackhole(srv.port):
            yield


def daemon_exit_after_lazy_umount(m, seconds):
    """umount -l, then the time until the daemon has exited (None: it did not within seconds)."""
    t0 = time.monotonic()
    subprocess.run(["umount", "-l", str(m.root)], check=True)
    try:
        m.proc.wait(seconds)
    except subprocess.TimeoutExpired:
        return None
    return time.monotonic() - t0


# hard with the server stopped (it waits and retries), soft with the port blackholed (no reply, no connect).
CASES = [("hard", "stopped"), ("soft", "blackholed"), ("hard", "blackholed")]


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
@pytest.mark.parametrize("mode,how", CASES, ids=[f"{m}-{h}" for m, h in CASES])
def test_sigkill_ends_a_blocked_request(samba_server, mount, dialect, mode, how):
    # Without an answer to the kernel's INTERRUPT the killed process stays in D state for the whole outage.
    srv, m = private_mount(samba_server, mount, dialect, f"kill {mode} {how}", mode == "hard")
    (m.path / "before.txt").write_text("before")
    with unreachable(srv, how):
        p = child(STAT, m.path / "made-while-down")
        try:
            blocked(p, "stat")
            t0 = time.monotonic()
            os.kill(p.pid, signal.SIGKILL)
            assert reaped_within(p, 1.0), f"a killed process survived {time.monotonic() - t0:.1f} s"
            print(f"kill -9 to reaped: {time.monotonic() - t0:.3f} s")
        finally:
            if p.poll() is None:
                m.kill()
                p.wait(10)
    # The mount works again once the server is back.
    sf.wait_until(lambda: (m.path / "before.txt").read_text() == "before", 30, what="the mount to recover")


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
@pytest.mark.parametrize("mode,how", CASES, ids=[f"{m}-{h}" for m, h in CASES])
def test_lazy_umount_ends_the_daemon(samba_server, mount, dialect, mode, how):
    # A process blocked in the mount keeps FUSE's session alive after umount -l: the daemon must notice
    # the detach itself, fail the blocked request and exit.
    srv, m = private_mount(samba_server, mount, dialect, f"umount {mode} {how}", mode == "hard")
    (m.path / "before.txt").write_text("before")
    with unreachable(srv, how):
        p = child(STAT, m.path / "made-while-down")
        try:
            blocked(p, "stat")
            took = daemon_exit_after_lazy_umount(m, 5)
            assert took is not None, "the daemon outlived its lazily unmounted mount by 5 s:\n" + m.stderr()[-3000:]
            assert m.proc.returncode == 0, m.stderr()[-3000:]
            print(f"umount -l to daemon exit: {took:.3f} s")
            assert reaped_within(p, 5), "the blocked process was not released"
            assert p.stdout.read().strip() != "ok"
        finally:
            if p.poll() is None:
                p.kill()
                p.wait(10)
    assert not sf.is_mounted(m.root)


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
def test_sigkill_ends_requests_behind_a_blackholed_reconnect(samba_server, mount, dialect):
    # The keepalive drops the silent connection; the next request reconnects, and its connect waits out
    # the connect timeout (10 s). A second request waits behind that rebuild: both must die with kill -9.
    srv, m = private_mount(samba_server, mount, dialect, "rebuild", True, echo_interval=1)
    (m.path / "before.txt").write_text("before")
    with blackhole(srv.port):
        sf.wait_until(lambda: "did not answer an echo" in m.stderr(), 20, what="the keepalive to drop the connection")
        first = child(STAT, m.path / "first")
        second = None
        try:
            blocked(first, "the rebuilding stat")
            second = child(STAT, m.path / "second")
            blocked(second, "the stat behind it")
            for p in (second, first):
                t0 = time.monotonic()
                os.kill(p.pid, signal.SIGKILL)
                assert reaped_within(p, 1.0), f"a killed process survived {time.monotonic() - t0:.1f} s"
                print(f"kill -9 behind/in a reconnect to reaped: {time.monotonic() - t0:.3f} s")
        finally:
            if any(p and p.poll() is None for p in (first, second)):
                m.kill()
                for p in (first, second):
                    if p:
                        p.wait(10)


WRITE_THEN_CLOSE = """
import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT, 0o644)
os.write(fd, b"x" * 65536)
print("written", flush=True)
sys.stdin.readline()
os.close(fd)
print("closed")
"""


@pytest.mark.parametrize("mode", ["soft", "hard"])
def test_sigkill_ends_a_close_waiting_for_gathered_writes(samba_server, mount, mode):
    # Under a Write lease writes are gathered (wb.c) and close(2) sends them and waits: with the server
    # blackholed that wait is as long as the keepalive takes to drop the connection, unless interrupted.
    srv, m = private_mount(samba_server, mount, "smb2", f"wb {mode}", mode == "hard")
    p = subprocess.Popen([sys.executable, "-c", WRITE_THEN_CLOSE, str(m.path / "gathered.bin")],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().strip() == "written"
        with blackhole(srv.port):
            p.stdin.write("\n")
            p.stdin.flush()
            blocked(p, "close")
            t0 = time.monotonic()
            os.kill(p.pid, signal.SIGKILL)
            assert reaped_within(p, 1.0), f"a killed process survived {time.monotonic() - t0:.1f} s"
            print(f"kill -9 of close to reaped: {time.monotonic() - t0:.3f} s")
    finally:
        if p.poll() is None:
            m.kill()
            p.wait(10)


READ_WITH_HANDLER = """
import os, signal, sys
class Interrupted(Exception):
    pass
def handler(sig, frame):
    raise Interrupted()
signal.signal(signal.SIGINT, handler)
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECT)
import mmap
buf = mmap.mmap(-1, 65536)
os.preadv(fd, [buf], 0)
print("first", flush=True)
sys.stdin.readline()
try:
    os.preadv(fd, [buf], 65536)
    print("ok")
except Interrupted:
    print("interrupted")
except OSError as e:
    print(e.errno)
"""


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
def test_sigint_interrupts_a_blocked_read(samba_server, mount, dialect):
    # A signal that is not fatal: the read returns EINTR and the handler runs (Python raises from it),
    # instead of the read waiting for the server. O_DIRECT: the read is the caller's own request (a buffered
    # read waits for readahead, which no signal interrupts).
    srv, m = private_mount(samba_server, mount, dialect, "sigint", True)
    m.disk_write("f.bin", os.urandom(256 * 1024))
    p = subprocess.Popen([sys.executable, "-c", READ_WITH_HANDLER, str(m.path / "f.bin")], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().strip() == "first"
        with unreachable(srv, "stopped"):
            p.stdin.write("\n")
            p.stdin.flush()
            blocked(p, "read")
            t0 = time.monotonic()
            os.kill(p.pid, signal.SIGINT)
            assert reaped_within(p, 1.0), f"SIGINT left the read blocked for {time.monotonic() - t0:.1f} s"
            print(f"SIGINT to reaped: {time.monotonic() - t0:.3f} s")
            assert p.stdout.read().strip() == "interrupted"
    finally:
        if p.poll() is None:
            m.kill()
            p.wait(10)


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
@pytest.mark.parametrize("mode", ["soft", "hard"])
def test_unmount_with_a_blackholed_server_ends_the_daemon(samba_server, mount, dialect, mode):
    # Nothing is blocked, but the teardown talks to the server (closing handles kept under a lease,
    # logging off): with nobody answering, it must not take a request timeout per step.
    srv, m = private_mount(samba_server, mount, dialect, f"teardown {mode}", mode == "hard")
    for i in range(3):
        (m.path / f"f{i}").write_text("x")
        assert (m.path / f"f{i}").read_text() == "x"
    with blackhole(srv.port):
        t0 = time.monotonic()
        subprocess.run(["fusermount3", "-u", str(m.root)], check=True)
        try:
            m.proc.wait(5)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the daemon outlived its unmount by 5 s:\n{m.stderr()[-3000:]}")
        assert m.proc.returncode == 0, m.stderr()[-3000:]
        took = time.monotonic() - t0
    print(f"unmount to exit: {took:.2f} s")
