"""tar -x and cp -p (issue 16, "Creates and deletes"): src/fs/ops.c, known_attr and getattr_attr.

After setting a new file's times, tar and cp -p call fchown to the owner they read and fchmod to the
mode: on a mount without the POSIX extensions both change nothing the server keeps (every file is the
mount's uid/gid; only the write bits map to READONLY), and the kernel asks a GETATTR before each chown.
These are answered from the attributes the server gave within actimeo with nothing changed since: proved
by counting (no request for the fchown and fchmod in cache=strict and loose, a stat each in cache=none).
The outcomes are checked in every dialect and cache mode: a tar -x of files with modes and times matches
the tarball, and a chmod that does change the READONLY bit still reaches the server.
"""
import io
import os
import stat
import subprocess
import tarfile

import pytest

from test_cache import fast_stats as stats

pytestmark = pytest.mark.timeout(180)

MTIME = 1_000_000_000


def delta(s0, s1, key):
    return s1.get(key, 0) - s0.get(key, 0)


def test_fchown_and_fchmod_that_change_nothing_send_no_request(any_mnt):
    m = any_mnt
    (m.path / "d").mkdir()  # not listed: no watch, so no notification traffic in the window counted
    fd = os.open(m.path / "d" / "f", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, b"hello")
        os.utime(fd, ns=(MTIME * 10**9, MTIME * 10**9))
        st = os.fstat(fd)
        s0 = stats(m)
        os.fchown(fd, st.st_uid, st.st_gid)
        os.fchmod(fd, 0o644)
        s1 = stats(m)
    finally:
        os.close(fd)
    sent = delta(s0, s1, "requests.total")
    if m.cache == "none":
        assert sent > 0
    else:
        assert sent == 0, s1
    assert (m.backing / "d" / "f").read_bytes() == b"hello"
    assert os.stat(m.backing / "d" / "f").st_mtime == MTIME
    assert os.stat(m.path / "d" / "f").st_mtime == MTIME


def test_chmod_after_fresh_attributes_still_sets_readonly(any_mnt):
    """The cached attributes only decide whether READONLY changes; when it does, SET_INFO goes out."""
    m = any_mnt
    fd = os.open(m.path / "ro", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        os.write(fd, b"x")
        os.utime(fd, ns=(MTIME * 10**9, MTIME * 10**9))
        os.fchmod(fd, 0o444)
    finally:
        os.close(fd)
    assert os.stat(m.path / "ro").st_mode & 0o222 == 0
    with pytest.raises(PermissionError):  # the server's READONLY, which binds root too
        os.close(os.open(m.path / "ro", os.O_WRONLY))
    os.chmod(m.path / "ro", 0o644)
    assert os.stat(m.path / "ro").st_mode & 0o200
    (m.path / "ro").write_bytes(b"y")
    assert (m.backing / "ro").read_bytes() == b"y"


def make_tarball(dirs=3, per_dir=20):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        for d in range(dirs):
            info = tarfile.TarInfo(f"t{d}")
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, MTIME
            t.addfile(info)
            for i in range(per_dir):
                data = bytes([d, i]) * (i * 37)
                info = tarfile.TarInfo(f"t{d}/f{i:02d}")
                info.size, info.mtime = len(data), MTIME + i
                info.mode = 0o444 if i % 5 == 0 else 0o644
                t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def test_tar_extract_keeps_times_modes_and_contents(any_mnt, tmp_path):
    m = any_mnt
    blob = make_tarball()
    (tmp_path / "t.tar").write_bytes(blob)
    subprocess.run(["tar", "-xf", str(tmp_path / "t.tar")], cwd=m.path, check=True, timeout=120)
    with tarfile.open(fileobj=io.BytesIO(blob)) as t:
        for info in t.getmembers():
            st = os.stat(m.path / info.name)
            back = m.backing / info.name
            if info.isdir():
                assert stat.S_ISDIR(st.st_mode) and back.is_dir()
                continue
            data = t.extractfile(info).read()
            assert back.read_bytes() == data, info.name
            assert os.stat(back).st_mtime == info.mtime, info.name
            assert st.st_mtime == info.mtime and st.st_size == len(data), info.name
            assert bool(st.st_mode & 0o222) == bool(info.mode & 0o222), (info.name, oct(st.st_mode))


def test_data_written_before_futimens_goes_with_the_times(any_mnt):
    """tar -x writes a small file, then sets its times through the open descriptor. The gathered data
    goes in the setattr's compound, ahead of the SET_INFO (src/proto/wb.c, wb_hand_over): one round trip
    where there were two (`writes.before_setattr`, SMB2 with Write caching). The server then holds the
    data and the times, whichever way: a WRITE after the SET_INFO would move mtime again."""
    m = any_mnt
    s0 = stats(m)
    for i in range(5):
        p = m.path / f"f{i}"
        data = os.urandom(3000 + i)
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            assert os.write(fd, data) == len(data)
            os.utime(fd, ns=(MTIME * 10**9, (MTIME + i) * 10**9))
            # Before close: what the server has now is what the compound left there.
            assert (m.backing / f"f{i}").read_bytes() == data
            assert os.stat(m.backing / f"f{i}").st_mtime == MTIME + i
        finally:
            os.close(fd)
        assert os.stat(m.backing / f"f{i}").st_mtime == MTIME + i
        assert os.stat(p).st_mtime == MTIME + i and os.stat(p).st_size == len(data)
    handed = delta(s0, stats(m), "writes.before_setattr")
    if m.dialect == "smb2" and m.cache != "none":
        assert handed == 5
    else:
        assert handed == 0
