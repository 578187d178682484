"""A hostile server (hostile_server.py, a relay in front of the real smbd that turns hostile after the
mount): each misbehaviour fails within the bound the man page gives (smbfuse(8), FAILURE DEADLINES), logs
one line naming the field, leaves the daemon alive and the mount unmountable with fusermount3 -u.

timeout=2 throughout: setup stages get 2 s each, requests 4 s. --verbose: transport refusals log at info
level, so that a failed mount prints one line by default."""
import os
import subprocess
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from hostile_server import HostileRelay  # noqa: E402

T = 2  # timeout= in seconds


def timed(argv, limit):
    t0 = time.monotonic()
    r = subprocess.run(argv, capture_output=True, text=True, timeout=limit + 30)
    return r, time.monotonic() - t0


def wait_for_log(m, texts, limit=5.0):
    texts = (texts,) if isinstance(texts, str) else texts
    end = time.monotonic() + limit
    while time.monotonic() < end:
        hit = [l for l in m.stderr().splitlines() if any(t in l for t in texts)]
        if hit:
            print("log:", hit[0])
            return True
        time.sleep(0.05)  # polling a log file: there is no condition to wait on
    return False


# mode, operation, upper bound (s), log text, whether the operation succeeds
CASES = [
    ("big", "ls", 1.0, "length 16777215 exceeds the", False),
    ("garbage", "ls", 1.0, "ProtocolId 47 41 52 42", False),
    ("stall", "ls", 2 * T + 1.0, "no reply to", False),
    # the frame's stall and the request's deadline are both 2 * T: either may end it first
    ("stall_mid", "ls", 2 * T + 1.0, ("server frame: stalled after 34 of", "no reply to"), False),
    ("bad_dir", "ls", 1.0, "NextEntryOffset", False),
    ("short_read", "cat", 1.0, "server reply: READ DataOffset", False),
    ("huge_credits", "ls", 1.0, None, True),
]


@pytest.mark.parametrize("mode,op,bound,log,ok", CASES, ids=[c[0] for c in CASES])
def test_hostile_after_mount(mount, server, mode, op, bound, log, ok):
    relay = HostileRelay(server.port, mode)
    try:
        m = mount(opts={"port": relay.port, "timeout": T}, extra_args=("--verbose",))
        (m.backing / "f").write_bytes(b"x" * 1000)
        os.chown(m.backing / "f", server.uid, server.gid)
        relay.arm()
        argv = ["ls", str(m.path)] if op == "ls" else ["cat", str(m.path / "f")]
        r, dt = timed(argv, bound)
        print(f"{mode}: rc={r.returncode} after {dt:.2f}s: {r.stderr.strip()}")
        assert dt < bound, (dt, r)
        assert (r.returncode == 0) == ok, r
        if log:
            assert wait_for_log(m, log), m.stderr()
        assert m.proc.poll() is None, m.stderr()
        assert m.unmount() == 0, m.stderr()
    finally:
        relay.close()


def test_hostile_names_are_skipped(mount, server):
    relay = HostileRelay(server.port, "names")
    try:
        m = mount(opts={"port": relay.port, "timeout": T}, extra_args=("--verbose",))
        for n in ("q1", "q2a", "q3a", "q4a", "plain"):
            m.disk_write(n, b"")
        relay.arm()
        r, dt = timed(["ls", "-a", str(m.path)], 1.0)
        assert r.returncode == 0 and dt < 1.0, r
        listed = set(r.stdout.split())
        assert "plain" in listed and not listed & {"q1", "q2a", "q3a", "q4a", "a", "b"}, listed
        assert m.proc.poll() is None
        assert m.unmount() == 0
    finally:
        relay.close()


def test_oversized_prefix_at_negotiate(run_smbfuse, server, tmp_path):
    """The 16 MiB prefix in answer to the negotiate: the mount fails at once (it took 120 s), and its one
    error line, without --verbose, names the field, its value and the limit (it said "cannot connect:
    Message too long")."""
    relay = HostileRelay(server.port, "big", arm_at_start=True)
    mp = tmp_path / "mp"
    mp.mkdir()
    try:
        f = run_smbfuse(["//127.0.0.1/share", mp, "-f", "-o",
                         f"username={server.user},password={server.password},port={relay.port},timeout={T}"],
                        mountpoint=mp, timeout=30)
    finally:
        relay.close()
    print(f"negotiate big: rc={f.rc} after {f.elapsed:.2f}s\n{f.stderr}")
    assert f.rc != 0 and f.elapsed < 2.0, f
    err = [l for l in f.lines if "mount error" in l]
    assert len(err) == 1 and "answered the negotiate" in err[0], f
    assert "length 16777215 exceeds the 65536-byte limit" in err[0], f


def test_stall_at_negotiate(run_smbfuse, server, tmp_path):
    """A server that accepts the connection and never answers: the mount fails within timeout= per attempt."""
    relay = HostileRelay(server.port, "stall", arm_at_start=True)
    mp = tmp_path / "mp"
    mp.mkdir()
    try:
        f = run_smbfuse(["//127.0.0.1/share", mp, "-f", "-o",
                         f"username={server.user},password={server.password},port={relay.port},timeout={T}", "--verbose"],
                        mountpoint=mp, timeout=30)
    finally:
        relay.close()
    print(f"negotiate stall: rc={f.rc} after {f.elapsed:.2f}s\n{f.stderr}")
    assert f.rc != 0 and f.elapsed < 2 * T + 1.0, f
