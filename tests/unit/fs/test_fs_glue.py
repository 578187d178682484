# SPDX-License-Identifier: GPL-2.0-or-later
"""The FUSE glue (src/fs) and the command line (src/main.c, src/opts.c) through a real mount of the
in-memory backend: smbfuse-memfs is src/main.c linked against tests/unit/fs/memfs.c instead of proto/."""
import ctypes
import errno
import mmap
import os
import re
import signal
import stat
import subprocess
import threading
import time

import pytest

MEMFS = os.environ.get("SMBFUSE_MEMFS", "")

pytestmark = [
    pytest.mark.skipif(not os.path.exists("/dev/fuse"), reason="/dev/fuse is missing"),
    pytest.mark.skipif(not MEMFS or not os.access(MEMFS, os.X_OK), reason="SMBFUSE_MEMFS not built"),
]

libc = ctypes.CDLL(None, use_errno=True)


def wait_for(cond, timeout=10.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


class Mount:
    def __init__(self, tmp_path, opts=None, env=None, debug=False, name="mnt"):
        self.mnt = tmp_path / name
        self.mnt.mkdir()
        self.log = tmp_path / f"{name}.log"
        self.stats = tmp_path / f"{name}.stats"
        e = dict(os.environ, MEMFS_STATS=str(self.stats), **(env or {}))
        args = [MEMFS, "//memfs/share", str(self.mnt), "-f"]
        if debug:
            args.append("-d")
        if opts:
            args += ["-o", opts]
        self.logf = open(self.log, "w")
        self.proc = subprocess.Popen(args, stdout=self.logf, stderr=subprocess.STDOUT, env=e)
        wait_for(lambda: os.path.ismount(self.mnt) or self.proc.poll() is not None, what="mount")
        assert self.proc.poll() is None, self.log.read_text()

    def p(self, *parts):
        return os.path.join(self.mnt, *parts)

    def umount(self):
        if os.path.ismount(self.mnt):
            subprocess.run(["fusermount3", "-u", str(self.mnt)], check=False, timeout=30)
        try:
            rc = self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait(timeout=10)
        self.logf.close()
        return rc

    def live_inodes(self):
        found = re.findall(r"forgotten, (\d+) live", self.log.read_text())
        return int(found[-1]) if found else None


@pytest.fixture
def mnt(tmp_path):
    m = Mount(tmp_path)
    yield m
    assert m.umount() == 0
    assert "open_handles=0" in m.stats.read_text(), "file handles leaked"
    assert "ERROR: AddressSanitizer" not in m.log.read_text()


def drop_kernel_caches():
    os.sync()
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("2")


def test_basic_io_and_inode_stability(mnt):
    with open(mnt.p("f"), "w") as f:
        f.write("hello")
    a, b = os.stat(mnt.p("f")), os.stat(mnt.p("f"))
    assert a.st_ino == b.st_ino and a.st_ino >= 1000  # the server's file id
    assert stat.S_IMODE(a.st_mode) == 0o755 and a.st_uid == os.getuid() and a.st_nlink == 1
    os.mkdir(mnt.p("d"))
    d = os.stat(mnt.p("d"))
    assert stat.S_ISDIR(d.st_mode) and stat.S_IMODE(d.st_mode) == 0o755
    names = {e.name: e.inode() for e in os.scandir(mnt.mnt)}
    assert names == {"f": a.st_ino, "d": d.st_ino}
    assert open(mnt.p("f")).read() == "hello"


def test_inode_numbers_without_file_ids(tmp_path):
    m = Mount(tmp_path, env={"MEMFS_NO_FILE_IDS": "1"})
    try:
        open(m.p("x"), "w").close()
        i1 = os.stat(m.p("x")).st_ino
        time.sleep(0)  # no timeout games: the second lookup may be served by the cache or by us
        assert os.stat(m.p("x")).st_ino == i1 and i1 > 1
    finally:
        assert m.umount() == 0


def test_inode_number_kept_when_ids_arrive_late(tmp_path):
    """A create answered without a file id (SMB1) and a later stat with one: st_ino must not change while
    the kernel holds the inode, or SQLite, comparing fstat(fd) with stat(path), takes the file for
    replaced. The first fstat is served from the create reply; a write invalidates the attributes, so the
    next ones ask the daemon, which has heard the real id by then."""
    m = Mount(tmp_path, env={"MEMFS_NO_IDS_ON_OPEN": "1"})
    try:
        fd = os.open(m.p("db"), os.O_CREAT | os.O_RDWR, 0o644)
        try:
            first = os.fstat(fd).st_ino
            os.write(fd, b"SQLite format 3")
            assert os.fstat(fd).st_ino == first
            assert os.stat(m.p("db")).st_ino == first
        finally:
            os.close(fd)
    finally:
        assert m.umount() == 0


def test_rename_waits_for_closes_in_flight(tmp_path):
    """SMB refuses to rename a directory with an open file inside, or to replace an open file, and the
    kernel closes a file (RELEASE) only after close(2) returned: a rename right after a close must wait for
    that CLOSE (here slowed to 300 ms), not fail with EACCES. A file really kept open stays a refusal."""
    m = Mount(tmp_path, env={"MEMFS_SMB_RENAME": "300"})
    try:
        os.mkdir(m.p("d"))
        with open(m.p("d", "f"), "w") as f:
            f.write("x")
        os.rename(m.p("d"), m.p("e"))
        with open(m.p("b"), "w") as f:
            f.write("old")
        with open(m.p("a"), "w") as f:
            f.write("new")
        os.rename(m.p("a"), m.p("b"))
        assert open(m.p("b")).read() == "new"
        with open(m.p("e", "f")) as kept:
            with pytest.raises(PermissionError):
                os.rename(m.p("e"), m.p("g"))
            assert kept.read() == "x"
    finally:
        assert m.umount() == 0


def test_utime_after_close_survives_the_close_in_flight(tmp_path):
    """An SMB server stamps the close time over the mtime of a file written through the closing handle, and
    our CLOSE follows the kernel's RELEASE, after close(2): utime() by path right after the close must wait
    for that CLOSE (slowed to 300 ms here), or the close's stamp replaces the time it set. cache=none: the
    last stat asks the daemon."""
    m = Mount(tmp_path, opts="cache=none", env={"MEMFS_SMB_RENAME": "300"})
    try:
        with open(m.p("f"), "w") as f:
            f.write("x")
        os.utime(m.p("f"), ns=(10**18, 10**18))
        time.sleep(0.5)  # not synchronisation: long enough for a close that did not wait to land after us
        assert os.stat(m.p("f")).st_mtime_ns == 10**18
    finally:
        assert m.umount() == 0


def test_readdirplus_2000_and_no_lookup_leak(tmp_path):
    m = Mount(tmp_path, debug=True)
    try:
        os.mkdir(m.p("big"))
        for i in range(2000):
            with open(m.p("big", f"file{i:04}"), "w") as f:
                f.write("x" * (i % 7))
        entries = {e.name: e.stat().st_size for e in os.scandir(m.p("big"))}
        assert len(entries) == 2000
        assert all(entries[f"file{i:04}"] == i % 7 for i in range(2000))
        assert sorted(os.listdir(m.p("big"))) == sorted(entries)  # a second listing, new handle
        drop_kernel_caches()
        wait_for(lambda: m.live_inodes() == 1, timeout=20, what="all lookups forgotten")
    finally:
        assert m.umount() == 0


def test_rename_directory_with_open_children(mnt):
    os.makedirs(mnt.p("d", "sub"))
    fd = os.open(mnt.p("d", "sub", "f"), os.O_CREAT | os.O_RDWR)
    os.write(fd, b"before ")
    ino = os.stat(mnt.p("d", "sub", "f")).st_ino
    os.rename(mnt.p("d"), mnt.p("e"))
    os.write(fd, b"after")
    os.fsync(fd)
    os.close(fd)
    assert not os.path.exists(mnt.p("d"))
    assert open(mnt.p("e", "sub", "f")).read() == "before after"
    assert os.stat(mnt.p("e", "sub", "f")).st_ino == ino
    os.rename(mnt.p("e", "sub", "f"), mnt.p("g"))
    assert open(mnt.p("g")).read() == "before after"


def test_rename_replace_and_flags(mnt):
    for n in ("a", "b"):
        with open(mnt.p(n), "w") as f:
            f.write(n)
    os.rename(mnt.p("a"), mnt.p("b"))
    assert open(mnt.p("b")).read() == "a" and not os.path.exists(mnt.p("a"))
    with open(mnt.p("c"), "w") as f:
        f.write("c")
    AT_FDCWD, RENAME_NOREPLACE, RENAME_EXCHANGE = -100, 1, 2
    for flag, err in ((RENAME_NOREPLACE, errno.EEXIST), (RENAME_EXCHANGE, errno.EINVAL)):
        r = libc.renameat2(AT_FDCWD, mnt.p("c").encode(), AT_FDCWD, mnt.p("b").encode(), flag)
        assert r == -1 and ctypes.get_errno() == err
    assert open(mnt.p("b")).read() == "a" and open(mnt.p("c")).read() == "c"


def test_o_append(mnt):
    with open(mnt.p("log"), "w") as f:
        f.write("one\n")
    fd1 = os.open(mnt.p("log"), os.O_WRONLY | os.O_APPEND)
    fd2 = os.open(mnt.p("log"), os.O_WRONLY | os.O_APPEND)
    other = os.open(mnt.p("log"), os.O_RDWR)
    os.write(fd1, b"two\n")
    os.pwrite(other, b"three\n", 8)  # another writer grows the file behind fd2's back
    os.write(fd2, b"four\n")
    os.write(fd1, b"five\n")
    for fd in (fd1, fd2, other):
        os.close(fd)
    assert open(mnt.p("log")).read() == "one\ntwo\nthree\nfour\nfive\n"
    with open(mnt.p("log"), "a+") as f:  # O_RDWR | O_APPEND reads anywhere, appends at the end
        f.seek(0)
        assert f.readline() == "one\n"
        f.write("six\n")
    assert open(mnt.p("log")).read().endswith("five\nsix\n")


def test_truncate_and_large_sparse(mnt):
    with open(mnt.p("t"), "wb") as f:
        f.write(b"abcdefgh")
    os.truncate(mnt.p("t"), 3)
    assert open(mnt.p("t"), "rb").read() == b"abc"
    os.truncate(mnt.p("t"), 6)
    assert open(mnt.p("t"), "rb").read() == b"abc\0\0\0"
    with open(mnt.p("t"), "r+b") as f:
        os.ftruncate(f.fileno(), 1)
        assert os.fstat(f.fileno()).st_size == 1
    fd = os.open(mnt.p("t"), os.O_WRONLY | os.O_TRUNC)
    os.close(fd)
    assert os.stat(mnt.p("t")).st_size == 0

    off = 5 * 1024**3 + 12345
    with open(mnt.p("sparse"), "wb") as f:
        f.seek(off)
        f.write(b"tail")
    st = os.stat(mnt.p("sparse"))
    assert st.st_size == off + 4 and st.st_blocks * 512 < 1024**2
    with open(mnt.p("sparse"), "rb") as f:
        f.seek(off - 2)
        assert f.read(10) == b"\0\0tail"
        f.seek(4 * 1024**3)
        assert f.read(4) == b"\0" * 4


def test_name_and_path_limits_before_any_request(tmp_path):
    # Any request naming the long names would fail with EIO: ENAMETOOLONG must come first.
    m = Mount(tmp_path, env={"MEMFS_FAULTS": "*:LLLL:EIO,*:" + "p" * 100 + ":EIO"})
    try:
        open(m.p("s" * 255), "w").close()
        os.mkdir(m.p("d"))
        os.listdir(m.p("d"))
        for fn in (os.stat, os.mkdir, os.unlink, os.rmdir, lambda p: open(p, "w"),
                   lambda p: os.rename(m.p("s" * 255), p), lambda p: os.rename(p, m.p("x"))):
            for p in (m.p("L" * 256), m.p("d", "L" * 256)):
                with pytest.raises(OSError) as e:
                    fn(p)
                assert e.value.errno == errno.ENAMETOOLONG, (fn, p)
        # A share path of 4095 bytes works, 4096 does not: reached through directory descriptors.
        fd = os.open(m.p(), os.O_RDONLY | os.O_DIRECTORY)
        depth = 0  # share path of fd's directory with its trailing '/'
        for _ in range(20):
            os.mkdir("q" * 195, dir_fd=fd)
            nfd = os.open("q" * 195, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd, depth = nfd, depth + 196
        ok = "o" * (4095 - depth)
        os.mkdir(ok, dir_fd=fd)
        os.rmdir(ok, dir_fd=fd)
        with pytest.raises(OSError) as e:
            os.mkdir("p" * (4096 - depth), dir_fd=fd)
        assert e.value.errno == errno.ENAMETOOLONG
        os.close(fd)
        assert sorted(os.listdir(m.p())) == ["d", "q" * 195, "s" * 255]
    finally:
        assert m.umount() == 0


def test_truncate_beyond_the_volume_is_efbig(tmp_path):
    # memfs's volume is 4 GiB; the fault stands for the server's STATUS_DISK_FULL.
    m = Mount(tmp_path, env={"MEMFS_FAULTS": "setattr:full:ENOSPC"})
    try:
        open(m.p("full"), "w").close()
        for size, want in ((5 * 1024**3, errno.EFBIG), (1024**3, errno.ENOSPC)):
            with pytest.raises(OSError) as e:
                os.truncate(m.p("full"), size)
            assert e.value.errno == want, size
            with open(m.p("full"), "r+b") as f, pytest.raises(OSError) as e:
                os.ftruncate(f.fileno(), size)
            assert e.value.errno == want, size
        assert os.stat(m.p("full")).st_size == 0
    finally:
        assert m.umount() == 0


class Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


def test_utimens(mnt):
    open(mnt.p("u"), "w").close()
    os.utime(mnt.p("u"), ns=(1_000_000_000_123, 2_000_000_000_456))
    st = os.stat(mnt.p("u"))
    assert st.st_atime_ns == 1_000_000_000_123 and st.st_mtime_ns == 2_000_000_000_456
    UTIME_NOW, UTIME_OMIT, AT_FDCWD = (1 << 30) - 1, (1 << 30) - 2, -100
    ts = (Timespec * 2)(Timespec(0, UTIME_OMIT), Timespec(0, UTIME_NOW))
    before = time.time()
    assert libc.utimensat(AT_FDCWD, mnt.p("u").encode(), ts, 0) == 0
    st = os.stat(mnt.p("u"))
    assert st.st_atime_ns == 1_000_000_000_123 and st.st_mtime >= before - 2
    os.utime(mnt.p("u"))
    assert os.stat(mnt.p("u")).st_atime >= before - 2


def test_chmod_readonly_and_chown(mnt):
    with open(mnt.p("r"), "w") as f:
        f.write("x")
    os.chmod(mnt.p("r"), 0o444)
    assert stat.S_IMODE(os.stat(mnt.p("r")).st_mode) == 0o555
    with pytest.raises(PermissionError):  # the server refuses writes to READONLY files, even to root
        open(mnt.p("r"), "w")
    os.chmod(mnt.p("r"), 0o644)
    assert stat.S_IMODE(os.stat(mnt.p("r")).st_mode) == 0o755
    open(mnt.p("r"), "a").close()
    os.chown(mnt.p("r"), os.getuid(), os.getgid())  # no change: allowed
    with pytest.raises(PermissionError):
        os.chown(mnt.p("r"), os.getuid() + 1, -1)
    with pytest.raises(PermissionError):
        os.chown(mnt.p("r"), -1, os.getgid() + 1)


def test_mmap_shared_write(mnt):
    with open(mnt.p("m"), "wb") as f:
        f.write(b"\0" * 10000)
    with open(mnt.p("m"), "r+b") as f:
        mm = mmap.mmap(f.fileno(), 10000, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        mm[0:5] = b"hello"
        mm[9000:9005] = b"world"
        mm.flush()
        mm.close()
    drop_kernel_caches()
    with open(mnt.p("m"), "rb") as f:
        data = f.read()
    assert data[0:5] == b"hello" and data[9000:9005] == b"world" and len(data) == 10000


def test_statfs(mnt):
    s = os.statvfs(mnt.mnt)
    assert s.f_bsize == 4096 and s.f_blocks == 1 << 20 and s.f_bavail == 1 << 19 and s.f_namemax == 255


def test_concurrency(mnt):
    errors = []

    def worker(n):
        try:
            d = mnt.p(f"w{n}")
            os.mkdir(d)
            for i in range(40):
                p = os.path.join(d, f"f{i}")
                with open(p, "wb") as f:
                    f.write(bytes([n]) * (i * 100))
                assert os.stat(p).st_size == i * 100
                if i % 3 == 0:
                    os.rename(p, p + ".r")
                    p += ".r"
                if i % 5 == 0:
                    os.unlink(p)
                os.listdir(d)
                os.listdir(mnt.mnt)
            with open(os.path.join(d, "f1"), "rb") as f:
                assert f.read() == bytes([n]) * 100
        except Exception as e:  # noqa: BLE001 - reported below with the thread number
            errors.append((n, repr(e)))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    assert not errors, errors


def test_slow_requests_do_not_starve_others(tmp_path):
    m = Mount(tmp_path, env={"MEMFS_DELAY": "slow:2000"})
    try:
        open(m.p("fast"), "w").close()
        t = threading.Thread(target=lambda: os.path.exists(m.p("slowfile")))
        t.start()
        start = time.monotonic()
        os.stat(m.p("fast"))
        os.listdir(m.mnt)
        assert time.monotonic() - start < 1.5
        t.join(timeout=30)
    finally:
        assert m.umount() == 0


def test_injected_errors(tmp_path):
    faults = "open:busy:EBUSY,unlink:locked:EACCES,write:full:ENOSPC,mkdir:quota:EDQUOT,rename:stuck:EIO"
    m = Mount(tmp_path, env={"MEMFS_FAULTS": faults})
    try:
        for n in ("locked", "full", "stuck"):
            open(m.p(n), "w").close()
        with pytest.raises(OSError) as e:
            open(m.p("busy"), "w")
        assert e.value.errno == errno.EBUSY
        with pytest.raises(OSError) as e:
            os.unlink(m.p("locked"))
        assert e.value.errno == errno.EACCES
        fd = os.open(m.p("full"), os.O_WRONLY)
        with pytest.raises(OSError) as e:
            os.write(fd, b"data")
        assert e.value.errno == errno.ENOSPC
        os.close(fd)
        with pytest.raises(OSError) as e:
            os.mkdir(m.p("quota"))
        assert e.value.errno == errno.EDQUOT
        with pytest.raises(OSError) as e:
            os.rename(m.p("stuck"), m.p("moved"))
        assert e.value.errno == errno.EIO
        assert os.path.exists(m.p("stuck"))
    finally:
        assert m.umount() == 0


def test_sigterm_unmounts_cleanly(tmp_path):
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        m = Mount(tmp_path, name=f"mnt{int(sig)}")
        open(m.p("x"), "w").close()
        m.proc.send_signal(sig)
        assert m.proc.wait(timeout=20) == 0
        assert not os.path.ismount(m.mnt)
        m.logf.close()


def run_cli(*args, env=None, timeout=30):
    return subprocess.run([MEMFS, *args], capture_output=True, text=True, timeout=timeout,
                          env=dict(os.environ, **(env or {})))


def test_cli_errors(tmp_path):
    mp = tmp_path / "mp"
    mp.mkdir()
    r = run_cli("//s/share", str(mp), "-o", "username=u,frobnicate=1")
    assert r.returncode == 1 and "'frobnicate'" in r.stderr and "=1" not in r.stderr and len(r.stderr.splitlines()) == 1
    r = run_cli("//s/share", str(tmp_path / "nowhere"))
    assert r.returncode == 1 and "nowhere" in r.stderr and "No such file" in r.stderr
    r = run_cli("//s/share")
    assert r.returncode == 1 and "mount point" in r.stderr
    cred = tmp_path / "cred"
    cred.write_text("username=u\npassword=p\n")
    cred.chmod(0o644)
    r = run_cli("//s/share", str(mp), "-o", f"credentials={cred}")
    assert r.returncode == 1 and str(cred) in r.stderr and "chmod 600" in r.stderr
    r = run_cli("//s/share", str(mp), "-o", "vers=7")
    assert r.returncode == 1 and "vers=7" in r.stderr
    r = run_cli("//s/missing", str(mp), "-f")
    assert r.returncode == 32 and r.stderr.strip() == "smbfuse: mount error: s/missing: share not found"
    r = run_cli("//s/share", str(mp), "-o", "password=wrong", env={"MEMFS_PASSWORD": "right"})
    assert r.returncode == 32 and "logon failure" in r.stderr
    r = run_cli("//unreachable/share", str(mp))  # background: the parent still reports the error
    assert r.returncode == 32 and "mount error: unreachable/share" in r.stderr
    assert not os.path.ismount(mp)
    r = run_cli("-h")
    assert r.returncode == 0 and "usage" in r.stdout
    r = run_cli("-V")
    assert r.returncode == 0 and "smbfuse version" in r.stdout


def test_cli_credentials_file_and_background(tmp_path):
    mp = tmp_path / "mp"
    mp.mkdir()
    cred = tmp_path / "cred"
    cred.write_text("username=u\npassword=fromfile\n")
    cred.chmod(0o600)
    r = run_cli("//s/share", str(mp), "-o", f"credentials={cred},_netdev,nofail,x-systemd.automount",
                env={"MEMFS_PASSWORD": "fromfile"})
    assert r.returncode == 0 and r.stdout == "" and r.stderr == ""
    try:
        assert os.path.ismount(mp)
        with open(mp / "f", "w") as f:
            f.write("daemon")
        assert (mp / "f").read_text() == "daemon"
    finally:
        subprocess.run(["fusermount3", "-u", str(mp)], check=True, timeout=30)


@pytest.mark.parametrize("how", ["option", "url", "env"])
def test_password_not_in_cmdline(tmp_path, how):
    mp = tmp_path / "mp"
    mp.mkdir()
    secret = "Sup3rSecret"
    src, opts, env = "//s/share", "username=u", {"MEMFS_PASSWORD": secret}
    if how == "option":
        opts += f",password={secret}"
    elif how == "url":
        src = f"smb://DOM;u:{secret}@s/share"
    else:
        env["PASSWD"] = secret
    logf = open(tmp_path / "log", "w")
    proc = subprocess.Popen([MEMFS, src, str(mp), "-f", "-o", opts], stdout=logf, stderr=subprocess.STDOUT,
                            env=dict(os.environ, **env))
    try:
        wait_for(lambda: os.path.ismount(mp) or proc.poll() is not None, what="mount")
        assert proc.poll() is None, (tmp_path / "log").read_text()
        with open(f"/proc/{proc.pid}/cmdline", "rb") as f:
            assert secret.encode() not in f.read()
        with open(f"/proc/{proc.pid}/environ", "rb") as f:
            env_vars = f.read().split(b"\0")
        assert ("PASSWD=" + secret).encode() not in env_vars  # MEMFS_PASSWORD is the mock's own
    finally:
        subprocess.run(["fusermount3", "-u", str(mp)], check=False, timeout=30)
        assert proc.wait(timeout=20) == 0
        logf.close()
    assert secret not in (tmp_path / "log").read_text()


def test_read_only_mount(tmp_path):
    m = Mount(tmp_path, opts="ro")
    try:
        with pytest.raises(OSError) as e:
            open(m.p("x"), "w")
        assert e.value.errno == errno.EROFS
        with pytest.raises(OSError) as e:
            os.mkdir(m.p("d"))
        assert e.value.errno == errno.EROFS
        assert os.listdir(m.mnt) == []
    finally:
        assert m.umount() == 0


@pytest.mark.parametrize("opts", ["writeback_cache", "cache=none", "cache=loose,actimeo=0.5"])
def test_cache_modes(tmp_path, opts):
    m = Mount(tmp_path, opts=opts)
    try:
        with open(m.p("f"), "wb") as f:
            f.write(b"0123456789")
        with open(m.p("f"), "r+b") as f:
            f.seek(3)
            f.write(b"abc")
            f.seek(0)
            assert f.read() == b"012abc6789"
        with open(m.p("f"), "ab") as f:
            f.write(b"END")
        assert open(m.p("f"), "rb").read() == b"012abc6789END"
        with open(m.p("f"), "r+b") as f:
            mm = mmap.mmap(f.fileno(), 0)
            mm[0:3] = b"XYZ"
            mm.close()
        fd = os.open(m.p("w"), os.O_CREAT | os.O_WRONLY)  # write-only: writeback must still fill pages
        os.pwrite(fd, b"partial", 5)
        os.close(fd)
        assert open(m.p("w"), "rb").read() == b"\0" * 5 + b"partial"
        assert open(m.p("f"), "rb").read() == b"XYZabc6789END"
    finally:
        assert m.umount() == 0


def ra_stats(m):
    raw = os.getxattr(m.p(), "user.smbfuse.stats").decode()
    return {k: int(v) for k, v in (line.split() for line in raw.splitlines())}


def write_pattern(path, n):
    data = b"".join(i.to_bytes(4, "little") * 1024 for i in range(n // 4096))
    with open(path, "wb") as f:
        f.write(data)
    return data


def test_readahead_error_is_not_the_readers(tmp_path):
    """A READ of the window fails (a transient server error at 6 MiB): nobody asked for those bytes, so
    nothing is reported; the reader's own read goes to the server and gets them."""
    m = Mount(tmp_path, opts="cache=loose", env={"MEMFS_READ_FAIL": f"f:{6 << 20}:EIO:1"})
    try:
        data = write_pattern(m.p("f"), 16 << 20)
        drop_kernel_caches()
        with open(m.p("f"), "rb") as f:
            got = b"".join(iter(lambda: f.read(128 << 10), b""))
        assert got == data
        s = ra_stats(m)
        assert s["readahead.errors"] >= 1 and s["readahead.hits"] > 0, s
    finally:
        assert m.umount() == 0
    assert "open_handles=0" in m.stats.read_text(), "file handles leaked"
    assert "ERROR: AddressSanitizer" not in m.log.read_text() and "LeakSanitizer" not in m.log.read_text()


def test_readahead_lasting_error_reaches_the_reader(tmp_path):
    """The server fails every read at 6 MiB: the reader gets the bytes before it and then EIO, from its
    own read, as without read-ahead."""
    m = Mount(tmp_path, opts="cache=loose", env={"MEMFS_READ_FAIL": f"f:{6 << 20}:EIO:-1"})
    try:
        data = write_pattern(m.p("f"), 16 << 20)
        drop_kernel_caches()
        got = b""
        with open(m.p("f"), "rb") as f:
            with pytest.raises(OSError) as e:
                while True:
                    b = f.read(128 << 10)
                    if not b:
                        break
                    got += b
        assert e.value.errno == errno.EIO
        assert len(got) <= 6 << 20 and got == data[:len(got)] and len(got) >= 4 << 20
        assert ra_stats(m)["readahead.errors"] >= 1
    finally:
        assert m.umount() == 0
    assert "open_handles=0" in m.stats.read_text(), "file handles leaked"
    assert "ERROR: AddressSanitizer" not in m.log.read_text() and "LeakSanitizer" not in m.log.read_text()
