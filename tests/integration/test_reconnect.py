"""Connection loss: the daemon reconnects, re-authenticates and reopens open handles; nothing hangs.

The smbd child that serves one client connection is killed (the listening parent stays), or the whole
server is stopped and started again. Files are checked in the backing directory as everywhere else."""
import contextlib
import errno
import os
import signal
import subprocess
import time

import pytest

import smbfixture as sf

MiB = 1 << 20
# What a request may fail with while the server is unreachable: never a hang, never success.
DOWN_ERRNOS = {errno.EHOSTDOWN, errno.EIO, errno.ECONNRESET, errno.ENOTCONN, errno.ETIMEDOUT,
               errno.ECONNREFUSED}


def serving_pid(server, mnt):
    sessions = sf.mount_sessions(server, mnt)
    assert len(sessions) == 1, sessions
    return int(sessions[0]["pid"])


def kill_and_wait(pid):
    os.kill(pid, signal.SIGKILL)

    def gone():
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        return False
    sf.wait_until(gone, 10, what=f"smbd child {pid} to exit")


def drop_page_cache(fd):
    # Without this the kernel could answer the read from its page cache and never ask the daemon.
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)


def test_reconnect_after_serving_process_killed(server, mnt):
    data = os.urandom(4 * MiB)
    mnt.disk_write("f.bin", data)
    fd = os.open(mnt.path / "f.bin", os.O_RDWR)
    try:
        assert os.pread(fd, 4096, 0) == data[:4096]
        old = serving_pid(server, mnt)
        kill_and_wait(old)

        # A path operation rebuilds the session: a new name cannot come from the kernel's caches.
        (mnt.path / "after.txt").write_bytes(b"after")
        assert (mnt.backing / "after.txt").read_bytes() == b"after"

        # The handle opened before the loss still works: the daemon reopens it by path.
        drop_page_cache(fd)
        assert os.pread(fd, MiB, 3 * MiB) == data[3 * MiB:]
        os.pwrite(fd, b"XYZ", 10)
        os.fsync(fd)
        assert (mnt.backing / "f.bin").read_bytes()[10:13] == b"XYZ"

        new = serving_pid(server, mnt)
        assert new != old
    finally:
        os.close(fd)


def stat(m, name):
    raw = os.getxattr(m.root, "user.smbfuse.stats").decode()
    return dict(line.split() for line in raw.splitlines()).get(name)


def test_server_side_copy_resumes_after_loss(server, mnt):
    """The serving smbd killed while COPYCHUNK_WRITEs are in flight: the copy goes on over the new
    connection (handles taken back, a fresh resume key) and is whole; nothing hangs, nothing is freed under
    an answer still due (ASan)."""
    size = 1024 * MiB
    with open(mnt.backing / "big", "wb") as f:
        for _ in range(size // (16 * MiB)):
            f.write(os.urandom(16 * MiB))
    os.chown(mnt.backing / "big", server.uid, server.gid)
    old = serving_pid(server, mnt)

    def copy():
        fi = os.open(mnt.path / "big", os.O_RDONLY)
        fo = os.open(mnt.path / "copy", os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            done = 0
            while done < size and (k := os.copy_file_range(fi, fo, size - done)):
                done += k
            return done
        finally:
            os.close(fi)
            os.close(fo)
    t, result = in_thread(copy)
    sf.wait_until(lambda: int(stat(mnt, "copy.inflight") or 0) > 0 or not t.is_alive(), 60, interval=0.002,
                  what="COPYCHUNK_WRITEs in flight")
    assert t.is_alive(), "the copy ended before the connection could be lost under it"
    kill_and_wait(old)
    t.join(300)
    assert not t.is_alive(), "copy_file_range hangs after the connection was lost"
    assert result == {"ok": size}, result
    assert serving_pid(server, mnt) != old
    assert int(stat(mnt, "session.reconnects")) == 1
    with open(mnt.backing / "big", "rb") as a, open(mnt.backing / "copy", "rb") as b:
        while chunk := a.read(16 * MiB):
            assert b.read(16 * MiB) == chunk


def test_repeated_losses_each_recover(server, mnt):
    for i in range(3):
        kill_and_wait(serving_pid(server, mnt))
        name = f"round{i}.txt"
        (mnt.path / name).write_text(str(i))
        assert (mnt.backing / name).read_text() == str(i)
    assert sorted(os.listdir(mnt.path)) == ["round0.txt", "round1.txt", "round2.txt"]


def test_server_stopped_then_restarted(samba_server, mount):
    # A private server (the option only makes the factory start a separate instance).
    srv = samba_server(**{"server string": "smbfuse reconnect test"})
    m = mount(srv=srv)
    (m.path / "before.txt").write_text("before")
    srv.stop()

    # While it is down: a clear error, quickly, however many times we ask.
    for i in range(3):
        t0 = time.monotonic()
        with pytest.raises(OSError) as e:
            os.stat(m.path / f"missing-while-down-{i}")
        assert e.value.errno in DOWN_ERRNOS, e.value
        assert time.monotonic() - t0 < 15

    srv.start()

    def works():
        try:
            (m.path / "after.txt").write_text("after")
            return True
        except OSError as err:
            assert err.errno in DOWN_ERRNOS, err
            return False
    sf.wait_until(works, 30, interval=0.2, what="the mount to work again after the server restarted")
    assert (m.backing / "after.txt").read_text() == "after"
    assert (m.path / "before.txt").read_text() == "before"


def test_silent_server_is_dropped_by_keepalive(server, mount):
    # The serving smbd is paused, not killed: the connection stays open but nothing answers. The
    # echo watchdog must notice, drop it, and the retried stat must succeed on a new connection,
    # long before the 60 s request deadline.
    m = mount(opts={"echo_interval": "1"})
    m.disk_write("here.txt", "x")
    pid = serving_pid(server, m)
    os.kill(pid, signal.SIGSTOP)
    try:
        t0 = time.monotonic()
        assert os.stat(m.path / "here.txt").st_size == 1
        assert time.monotonic() - t0 < 15
        assert "did not answer an echo" in m.stderr()
    finally:
        sf.kill_pid(pid)


# hard and soft behave the same over SMB2 and SMB1 (one policy: src/session/reconnect.c).
DIALECTS = {"smb2": ({}, {}),
            "smb1": ({"server min protocol": "NT1", "server max protocol": "NT1"}, {"vers": "1.0"})}


def private_mount(samba_server, mount, dialect, tag, hard):
    """A mount of a server of its own (this test stops it), over dialect, hard or soft."""
    srv = samba_server(**{"server string": f"smbfuse {tag} {dialect}", **DIALECTS[dialect][0]})
    opts = {**DIALECTS[dialect][1], **({"hard": None} if hard else {})}
    return srv, mount(srv=srv, opts=opts)


def in_thread(fn):
    """Run fn in a daemon thread; the returned dict gets "ok" (fn's result) or "err" (an errno)."""
    import threading
    result = {}

    def run():
        try:
            result["ok"] = fn()
        except OSError as e:
            result["err"] = e.errno
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t, result


def release(m, t):
    """After a failure, a thread still blocked in the mount would keep pytest (and an unmount) from ending:
    kill the daemon, which fails the request."""
    if t.is_alive():
        m.kill()
        t.join(10)


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
@pytest.mark.parametrize("hard", [False, True], ids=["soft", "hard"])
def test_hard_waits_for_the_server_soft_fails(samba_server, mount, hard, dialect):
    # Paired: with soft (the default) a request fails while the server is down; with hard the same
    # request waits, and completes once the server is back.
    srv, m = private_mount(samba_server, mount, dialect, "hard" if hard else "soft", hard)
    (m.path / "before.txt").write_text("before")
    srv.stop()
    t, result = in_thread(lambda: os.stat(m.path / "made-while-down"))
    try:
        if not hard:
            t.join(30)
            assert not t.is_alive() and result.get("err") in DOWN_ERRNOS, result
            srv.start()
            return
        t.join(5)
        assert t.is_alive(), f"a hard mount returned while the server was down: {result}"
        m.disk_write("made-while-down", "x")  # on the server's disk, to be found once it is back
        srv.start()
        t.join(60)
        assert not t.is_alive() and "ok" in result and result["ok"].st_size == 1, result
    finally:
        release(m, t)
    assert "still trying" in m.stderr() and "responding again" in m.stderr(), m.stderr()


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
@pytest.mark.parametrize("hard", [False, True], ids=["soft", "hard"])
def test_hard_read_and_write_wait_for_the_server(samba_server, mount, hard, dialect):
    # On a handle opened before the outage: with hard a read and a write issued while the server is
    # down complete, correctly, once it is back (the handle reopens on the new connection); with soft
    # they fail within seconds. O_SYNC: the write must reach the daemon and the server, not a cache.
    srv, m = private_mount(samba_server, mount, dialect, "io-hard" if hard else "io-soft", hard)
    data = os.urandom(256 * 1024)
    m.disk_write("f.bin", data)
    fd = os.open(m.path / "f.bin", os.O_RDWR | os.O_SYNC)
    try:
        assert os.pread(fd, 4096, 0) == data[:4096]
        srv.stop()
        drop_page_cache(fd)

        def io():
            got = os.pread(fd, 64 * 1024, 128 * 1024)
            return got, os.pwrite(fd, b"written while down", 1000)
        t0 = time.monotonic()
        t, result = in_thread(io)
        try:
            if not hard:
                t.join(30)
                assert not t.is_alive() and result.get("err") in DOWN_ERRNOS, result
                assert time.monotonic() - t0 < 15
                srv.start()
                return
            t.join(5)
            assert t.is_alive(), f"a hard mount returned while the server was down: {result}"
            srv.start()
            t.join(60)
            assert not t.is_alive() and "ok" in result, result
            assert result["ok"] == (data[128 * 1024:192 * 1024], len(b"written while down"))
        finally:
            release(m, t)
    finally:
        os.close(fd)
    assert (m.backing / "f.bin").read_bytes()[1000:1018] == b"written while down"
    assert "still trying" in m.stderr() and "responding again" in m.stderr(), m.stderr()


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
def test_sigterm_ends_a_hard_wait(samba_server, mount, dialect):
    # A hard mount waits for as long as the server is away, but not past the end of the mount: SIGTERM
    # makes the waiting request fail and the daemon exit cleanly (libfuse joins its workers first, so a
    # wait that did not end would keep the daemon, and the mount, alive).
    srv, m = private_mount(samba_server, mount, dialect, "sigterm", True)
    (m.path / "before.txt").write_text("before")
    srv.stop()
    t, result = in_thread(lambda: os.stat(m.path / "made-while-down"))
    try:
        t.join(3)
        assert t.is_alive(), f"a hard mount returned while the server was down: {result}"
        t0 = time.monotonic()
        m.proc.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            m.proc.wait(15)
        assert m.proc.returncode == 0 and time.monotonic() - t0 < 10, (m.proc.returncode, m.stderr()[-2000:])
        t.join(10)
        assert not t.is_alive() and "err" in result, result
        assert not sf.is_mounted(m.root)
    finally:
        release(m, t)
