"""Write caching under a Write lease (issue 3): small writes gathered into large WRITEs, sent on fsync,
close or break, and errors that still reach the application.

Every case is paired with cache=none, which opens every handle O_SYNC and so writes through: the counters
(requests.WRITE, requests.FLUSH, bytes.written, breaks.write_back) and the server's copy on disk show what
changes. The server's copy is read straight from the share's backing directory, which no smbfuse cache
can answer for. test_smb1_cache.py runs these cases again over SMB1, where an exclusive or batch oplock
stands in for the Write lease and WRITE_ANDX carries 60 KiB.
"""
import errno
import os
import subprocess
import time
import uuid

import pytest

import smbfixture as sf
from test_cache import fast_stats, is_smb1, req, wait_for


pytestmark = pytest.mark.timeout(120)

KiB = 1024
MiB = 1024 * KiB


def stats(m):
    """The counters, read in this process: `smbfuse --stats` is a child, and a child's exec closes the
    test's descriptors, and every close is a FLUSH, which sends what was gathered."""
    raw = os.getxattr(m.root, "user.smbfuse.stats").decode()
    return {k: int(v) for k, v in (line.split() for line in raw.splitlines())}


def delta(after, before, key):
    return after.get(key, 0) - before.get(key, 0)


def gather_size(m):
    """What one gathered WRITE carries: 1 MiB, 64 KiB on SMB 2.0.2, 60 KiB over SMB1 (smb1_io.c IO_SMALL)."""
    if is_smb1(m):
        return 60 * KiB
    return 64 * KiB if m.opts.get("vers") == "2.0" else MiB


def pieces(m, n):
    """How many gathered WRITEs n bytes take at the least."""
    return -(-n // gather_size(m))


def small_writes(path, total, size=4 * KiB, fsync=False, flags=0):
    """total bytes in writes of size, each block tagged with its index so misplaced data shows."""
    data = b"".join(i.to_bytes(4, "little") * (size // 4) for i in range(total // size))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | flags, 0o644)
    try:
        for off in range(0, total, size):
            assert os.write(fd, data[off:off + size]) == size
        if fsync:
            os.fsync(fd)
    finally:
        os.close(fd)
    return data


@pytest.mark.parametrize("cache", ["strict", "none"])
def test_small_writes_gathered(mount, cache):
    """1,024 writes of 4 KiB: a handful of full-sized WRITEs under the lease, one WRITE each without it."""
    m = mount(opts={"cache": cache})
    s0 = stats(m)
    data = small_writes(m.path / "f", 4 * MiB)
    s1 = stats(m)
    assert (m.backing / "f").read_bytes() == data
    assert delta(s1, s0, "bytes.written") == len(data)
    writes = delta(s1, s0, req(m, "WRITE"))
    if cache == "strict":
        assert writes <= pieces(m, len(data)) + 4, f"{writes} WRITEs: not gathered"
    else:
        assert writes == 1024


@pytest.mark.parametrize("cache", ["strict", "none"])
def test_gathered_data_reaches_server_on_fsync(mount, cache):
    """Gathered data is in this machine's memory only until fsync, which sends it and then FLUSH."""
    m = mount(opts={"cache": cache})
    p = m.path / "f"
    n = 10  # 40 KiB: less than one gathered WRITE on every dialect
    fd = os.open(p, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        for i in range(n):
            os.write(fd, bytes([65 + i]) * 4 * KiB)
        on_server = (m.backing / "f").stat().st_size
        if cache == "strict":
            assert on_server == 0, "written through although the file holds a Write lease"
        else:
            assert on_server == n * 4 * KiB
        s0 = stats(m)
        os.fsync(fd)
        s1 = stats(m)
        assert (m.backing / "f").stat().st_size == n * 4 * KiB
        assert delta(s1, s0, req(m, "FLUSH")) == 1
        assert delta(s1, s0, req(m, "WRITE")) == (1 if cache == "strict" else 0)
        # Reading back through the same handle, and stat, see every byte.
        os.lseek(fd, 0, os.SEEK_SET)
        assert os.read(fd, 200 * KiB) == b"".join(bytes([65 + i]) * 4 * KiB for i in range(n))
        assert os.fstat(fd).st_size == n * 4 * KiB
    finally:
        os.close(fd)


def test_stat_and_listing_see_gathered_size(mount):
    """While data is still gathered, stat by path and a listing report the size with it (written back
    first), not the server's older size."""
    m = mount()
    fd = os.open(m.path / "f", os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        os.write(fd, b"x" * 10000)
        assert (m.backing / "f").stat().st_size == 0
        assert os.stat(m.path / "f").st_size == 10000
        assert [e.stat().st_size for e in os.scandir(m.path) if e.name == "f"] == [10000]
    finally:
        os.close(fd)


WRITER = r"""
import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT, 0o644)
data = b"".join(i.to_bytes(4, "little") * 256 for i in range(40))
for off in range(0, len(data), 1024):
    os.write(fd, data[off:off + 1024])
print("written", flush=True)
sys.stdin.readline()
os.write(fd, b"tail")
print("tail", flush=True)
sys.stdin.readline()
os.close(fd)
"""


@pytest.mark.parametrize("other", ["smbfuse", "smbclient"])
def test_break_writes_back_before_other_client_reads(mount, tmp_path, other):
    """A second client opening the file breaks our Write caching: the break worker writes the gathered
    data back before acknowledging, so the other client reads all of it while our handle is still open.
    The writer is a process of its own: a process this test starts (smbclient, a mount) would otherwise
    inherit the descriptor, and closing it at exec is a FLUSH, which would send the data first."""
    a = mount()
    data = b"".join(i.to_bytes(4, "little") * 256 for i in range(40))  # 40 KiB: gathered, on every dialect
    b = mount() if other == "smbfuse" else None
    w = subprocess.Popen(["/usr/bin/python3", "-c", WRITER, str(a.path / "f")], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
    try:
        assert w.stdout.readline().strip() == "written"
        assert (a.backing / "f").stat().st_size == 0, "not gathered: this test would prove nothing"
        s0 = stats(a)
        t0 = time.monotonic()
        if other == "smbclient":
            out = tmp_path / "got"
            a.server.smbclient("share", f"cd {a.path.name}; get f {out}", timeout=60)
            got = out.read_bytes()
            assert got == data
        else:
            # B's open breaks A's lease; B's kernel may still trust the size its lookup saw before the
            # break for up to actimeo (1 s), as with any change by another client.
            with open(b.path / "f", "rb"):
                pass
            wait_for(lambda: (b.path / "f").read_bytes() == data, 1.5, "the written-back data through B")
        # The server held the other open until our acknowledgment, not its break timeout (35 s).
        assert time.monotonic() - t0 < 10
        s1 = stats(a)
        assert delta(s1, s0, "breaks.write_back") == 1
        assert delta(s1, s0, "breaks.acknowledged") >= 1
        # The lease lost W: further writes go through at once.
        w.stdin.write("\n")
        w.stdin.flush()
        assert w.stdout.readline().strip() == "tail"
        assert (a.backing / "f").read_bytes() == data + b"tail"
        w.stdin.write("\n")
        w.stdin.flush()
        assert w.wait(timeout=30) == 0
    finally:
        if w.poll() is None:
            w.kill()
            w.wait(timeout=30)


def test_cache_none_never_holds_data(mount, tmp_path):
    """The pair of the break test: with cache=none the data is on the server at every write, so the other
    client's open breaks nothing that needs writing back."""
    a = mount(opts={"cache": "none"})
    fd = os.open(a.path / "f", os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        os.write(fd, b"abc" * 1000)
        assert (a.backing / "f").read_bytes() == b"abc" * 1000
        s0 = stats(a)
        out = tmp_path / "got"
        a.server.smbclient("share", f"cd {a.path.name}; get f {out}", timeout=60)
        assert out.read_bytes() == b"abc" * 1000
        assert delta(stats(a), s0, "breaks.write_back") == 0
    finally:
        os.close(fd)


def test_o_sync_writes_through(mount):
    """An application's own O_SYNC turns gathering off for its handle, lease or not."""
    m = mount()
    s0 = stats(m)
    small_writes(m.path / "f", 64 * KiB, flags=os.O_SYNC)
    assert delta(stats(m), s0, req(m, "WRITE")) == 16


@pytest.mark.parametrize("vers", ["default", "2.0"])
def test_overwrites_and_holes_in_order(mount, vers):
    """Rewrites of a range still in flight or gathered, backwards and sparse writes: the server ends up
    with what a local file has."""
    m = mount(opts={"vers": vers})
    local = bytearray(3 * MiB)
    fd = os.open(m.path / "f", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        import random
        rnd = random.Random(7)
        for i in range(400):
            off = rnd.randrange(0, 3 * MiB - 70000)
            n = rnd.choice([1, 100, 4096, 65536, 70000])
            b = bytes([i % 251]) * n
            os.pwrite(fd, b, off)
            local[off:off + n] = b
        os.pwrite(fd, b"END", 3 * MiB - 3)
        local[-3:] = b"END"
        os.fsync(fd)
    finally:
        os.close(fd)
    assert (m.backing / "f").read_bytes() == bytes(local)


@pytest.mark.parametrize("vers", ["default", "2.0"])
def test_append_truncate_and_mmap_with_gathering(mount, vers):
    m = mount(opts={"vers": vers})
    p = m.path / "f"
    with open(p, "ab") as f:
        for i in range(100):
            f.write(b"%03d\n" % i)
    with open(p, "ab") as f:
        f.write(b"end\n")
    want = b"".join(b"%03d\n" % i for i in range(100)) + b"end\n"
    assert (m.backing / "f").read_bytes() == want
    with open(p, "r+b") as f:
        f.write(b"X" * 1000)
        f.truncate(10)
        f.write(b"Y")  # position 1000: a hole from 10 to 1000
    assert (m.backing / "f").read_bytes() == b"X" * 10 + b"\0" * 990 + b"Y"
    import mmap
    with open(p, "r+b") as f:
        mm = mmap.mmap(f.fileno(), 0)
        mm[0:4] = b"MMAP"
        mm.flush()
        mm.close()
    assert (m.backing / "f").read_bytes()[:4] == b"MMAP"


@pytest.fixture
def tiny_fs(mount):
    """A 1 MiB tmpfs inside the test's directory on the server, for ENOSPC."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    m = mount()
    d = m.backing / f"tiny-{uuid.uuid4().hex[:8]}"
    d.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,mode=0777", "tmpfs", str(d)], check=True, timeout=30)
    try:
        yield m, d.name
    finally:
        subprocess.run(["umount", "-l", str(d)], check=False, timeout=30)
        d.rmdir()


@pytest.mark.parametrize("cache", ["strict", "none"])
def test_enospc_reaches_application(mount, tiny_fs, cache):
    """A full disk is reported at a later write, at fsync or at close at the latest; never lost."""
    _, sub = tiny_fs
    m = mount(opts={"cache": cache})
    p = m.path / sub / "f"
    fd = os.open(p, os.O_WRONLY | os.O_CREAT, 0o644)
    errors = []
    wrote = 0
    try:
        for _ in range(48):  # 3 MiB into 1 MiB
            try:
                wrote += os.write(fd, b"z" * 64 * KiB)
            except OSError as e:
                errors.append(("write", e.errno))
                break
    finally:
        try:
            os.close(fd)
        except OSError as e:
            errors.append(("close", e.errno))
    assert errors, "the full disk was never reported"
    assert all(e == errno.ENOSPC for _, e in errors), errors
    if cache == "none":
        assert errors[0][0] == "write" and wrote <= 1 * MiB
    os.unlink(p)


# A writer process driven line by line: "write N", "fsync", "close"; each answers "ok" or the errno.
DRIVER = r"""
import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT, 0o644)
for line in sys.stdin:
    cmd = line.split()
    try:
        if cmd[0] == "write":
            for _ in range(int(cmd[1])):
                os.write(fd, b"d" * 1024)
        elif cmd[0] == "fsync":
            os.fsync(fd)
        elif cmd[0] == "close":
            os.close(fd)
        print("ok", flush=True)
    except OSError as e:
        print(e.errno, flush=True)
    if cmd[0] == "close":
        break
"""


class Driver:
    def __init__(self, path):
        self.p = subprocess.Popen(["/usr/bin/python3", "-c", DRIVER, str(path)], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)

    def send(self, cmd):
        self.p.stdin.write(cmd + "\n")
        self.p.stdin.flush()

    def result(self):
        r = self.p.stdout.readline().strip()
        return 0 if r == "ok" else int(r)

    def do(self, cmd):
        self.send(cmd)
        return self.result()

    def stop(self):
        if self.p.poll() is None:
            self.p.kill()
        self.p.wait(timeout=30)


def serving_pid(m):
    import smbfixture as sf
    sessions = sf.mount_sessions(m.server, m)
    assert len(sessions) == 1, sessions
    return int(sessions[0]["pid"])


@pytest.mark.parametrize("in_flight", [True, False])
def test_connection_loss_with_gathered_data(mount, in_flight):
    """The serving smbd stops answering while data is gathered. Data already sent (in flight) is lost
    with the connection: fsync reports EIO, within seconds (the keepalive), never a hang. Data still in the
    buffer is not lost: after the reconnect it goes out through the reopened handle and close succeeds."""
    import signal
    m = mount(opts={"echo_interval": "1"})
    d = Driver(m.path / "f")
    pid = serving_pid(m)
    stopped = False
    try:
        assert d.do("write 40") == 0  # 40 KiB: gathered, on every dialect
        assert (m.backing / "f").stat().st_size == 0
        os.kill(pid, signal.SIGSTOP)
        stopped = True
        if in_flight:
            d.send("fsync")  # sends the WRITE into the dead air, and waits
        else:
            os.stat(m.path)  # any request: the keepalive notices the silent server
        wait_for(lambda: "did not answer an echo" in m.stderr(), 15, "the keepalive to drop the server")
        # The old smbd still holds our lease. Killed and reaped, it cannot make the reopen wait for a break:
        # Samba drops share entries of processes that no longer exist, but a zombie still exists.
        sf.kill_pid(pid)
        stopped = False

        def gone():
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return True
            return False
        wait_for(gone, 10, f"smbd child {pid} to be reaped")
        if in_flight:
            assert d.result() == errno.EIO
            assert d.do("close") == 0  # reported once
        else:
            assert d.do("close") == 0
            assert (m.backing / "f").read_bytes() == b"d" * 40 * 1024
    finally:
        if stopped:
            sf.kill_pid(pid)
        d.stop()


@pytest.mark.parametrize("cache", ["strict", "none"])
def test_smb202_batch_oplock_gathers_and_breaks(mount, tmp_path, cache):
    """SMB 2.0.2 has no leases: a batch oplock stands in for Read+Write+Handle. Writes are gathered into
    64 KiB WRITEs (2.0.2's largest), and another client's open breaks the oplock, which writes back and
    acknowledges with the oplock ack before the other client reads."""
    m = mount(opts={"vers": "2.0", "cache": cache})
    s0 = stats(m)
    data = small_writes(m.path / "g", 1 * MiB)
    s1 = stats(m)
    assert (m.backing / "g").read_bytes() == data
    assert delta(s1, s0, req(m, "WRITE")) == (pieces(m, len(data)) if cache == "strict" else 256)
    # Oplock grants count here; cache=none asks for none.
    assert (delta(s1, s0, "leases.granted") >= 1) == (cache == "strict")

    d = Driver(m.path / "f")
    try:
        assert d.do("write 10") == 0
        assert (m.backing / "f").stat().st_size == (0 if cache == "strict" else 10 * KiB)
        s2 = stats(m)
        out = tmp_path / "got"
        m.server.smbclient("share", f"cd {m.path.name}; get f {out}", timeout=60)
        assert out.read_bytes() == b"d" * 10 * KiB
        s3 = stats(m)
        assert delta(s3, s2, "breaks.write_back") == (1 if cache == "strict" else 0)
        assert (delta(s3, s2, req(m, "OPLOCK_BREAK")) >= 1) == (cache == "strict")
        assert d.do("close") == 0
    finally:
        d.stop()


def test_enospc_of_data_sent_with_a_setattr(mount, tiny_fs):
    """The data gathered before a futimens goes in the setattr's compound (wb_hand_over). On a full disk
    that WRITE fails: the times are still set, and the ENOSPC is reported at close, as for any gathered
    write; the data is never taken for written."""
    m, sub = tiny_fs
    m0 = m
    (m0.backing / sub / "filler").write_bytes(b"f" * (1024 * KiB - 8 * KiB))
    p = m.path / sub / "f"
    fd = os.open(p, os.O_WRONLY | os.O_CREAT, 0o644)
    closed = False
    try:
        assert os.write(fd, b"z" * 40 * KiB) == 40 * KiB  # gathered
        s0 = fast_stats(m)
        os.utime(fd, ns=(10**18, 10**18))
        assert fast_stats(m)["writes.before_setattr"] == s0["writes.before_setattr"] + 1
        assert os.stat(m0.backing / sub / "f").st_mtime == 10**9
        with pytest.raises(OSError) as e:
            closed = True
            os.close(fd)
        assert e.value.errno == errno.ENOSPC
    finally:
        if not closed:
            os.close(fd)
    assert (m0.backing / sub / "f").stat().st_size < 40 * KiB
    os.unlink(p)
