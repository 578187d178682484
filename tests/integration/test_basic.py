"""Core filesystem operations through an smbfuse mount, checked against the share's backing directory.

Every test here needs the smbfuse binary (the `mnt`/`mount` fixtures skip without it)."""
import ctypes
import errno
import os
import stat
import subprocess
import time

import pytest

import smbfixture as sf


# --- files ------------------------------------------------------------------------------------------
def test_create_write_read(mnt):
    data = os.urandom(3 * 1024 * 1024 + 17)  # several large READ/WRITE requests and a ragged tail
    (mnt.path / "a.bin").write_bytes(data)
    assert (mnt.backing / "a.bin").read_bytes() == data
    assert (mnt.path / "a.bin").read_bytes() == data
    assert (mnt.path / "a.bin").stat().st_size == len(data)


def test_file_made_on_disk_is_seen(mnt):
    mnt.disk_write("disk.txt", b"written on the server's disk\n")
    assert (mnt.path / "disk.txt").read_bytes() == b"written on the server's disk\n"
    assert "disk.txt" in os.listdir(mnt.path)


def test_empty_file(mnt):
    (mnt.path / "empty").touch()
    assert (mnt.backing / "empty").stat().st_size == 0
    assert (mnt.path / "empty").read_bytes() == b""


def test_overwrite_with_o_trunc(mnt):
    p = mnt.path / "t.txt"
    p.write_bytes(b"x" * 10000)
    p.write_bytes(b"short")
    assert (mnt.backing / "t.txt").read_bytes() == b"short"


def test_append_mode_open(mnt):
    p = mnt.path / "log.txt"
    p.write_text("one\n")
    with open(p, "a") as f:
        f.write("two\n")
    with open(p, "a") as f:
        f.write("three\n")
    assert (mnt.backing / "log.txt").read_text() == "one\ntwo\nthree\n"


@pytest.mark.parametrize("new_size", [0, 5, 4096, 1_000_000])
def test_truncate(mnt, new_size):
    p = mnt.path / "tr.bin"
    data = os.urandom(100_000)
    p.write_bytes(data)
    os.truncate(p, new_size)
    expect = data[:new_size] + b"\0" * max(0, new_size - len(data))
    assert p.stat().st_size == new_size
    assert (mnt.backing / "tr.bin").read_bytes() == expect
    assert p.read_bytes() == expect


def test_ftruncate_open_file(mnt):
    p = mnt.path / "ft.bin"
    with open(p, "w+b") as f:
        f.write(b"abcdefgh")
        f.flush()
        os.ftruncate(f.fileno(), 3)
        f.seek(0)
        assert f.read() == b"abc"
    assert (mnt.backing / "ft.bin").read_bytes() == b"abc"


def test_unlink(mnt):
    (mnt.path / "gone").write_text("x")
    os.unlink(mnt.path / "gone")
    assert not (mnt.backing / "gone").exists()
    assert not (mnt.path / "gone").exists()
    with pytest.raises(FileNotFoundError):
        os.unlink(mnt.path / "gone")


def test_unlink_file_deleted_on_disk_after_lookup(mnt):
    mnt.disk_write("vanish", b"x")
    assert (mnt.path / "vanish").exists()
    (mnt.backing / "vanish").unlink()
    with pytest.raises(FileNotFoundError):
        (mnt.path / "vanish").read_bytes()


def test_open_missing_is_enoent(mnt):
    with pytest.raises(FileNotFoundError):
        open(mnt.path / "no-such-file")
    with pytest.raises(FileNotFoundError):
        os.stat(mnt.path / "no-such-dir" / "x")


def test_o_excl_on_existing_is_eexist(mnt):
    (mnt.path / "x").write_text("x")
    with pytest.raises(FileExistsError):
        os.open(mnt.path / "x", os.O_CREAT | os.O_EXCL | os.O_WRONLY)


# --- stat ---------------------------------------------------------------------------------------------
def test_stat_size_and_type(mnt):
    (mnt.path / "f").write_bytes(b"12345")
    (mnt.path / "d").mkdir()
    st = os.stat(mnt.path / "f")
    assert stat.S_ISREG(st.st_mode) and st.st_size == 5 and st.st_nlink >= 1
    assert stat.S_ISDIR(os.stat(mnt.path / "d").st_mode)


def test_mtime_round_trip_100ns(mnt):
    p = mnt.path / "m"
    p.write_text("x")
    want = 1_600_000_000_123_456_789  # ns; SMB keeps 100 ns units
    os.utime(p, ns=(want, want))
    trunc = want - want % 100
    assert os.stat(p).st_mtime_ns == trunc
    assert os.stat(mnt.backing / "m").st_mtime_ns == trunc


def test_mtime_of_disk_file(mnt):
    p = mnt.disk_write("dm", b"x")
    t = 1_500_000_000_987_654_300
    os.utime(p, ns=(t, t))
    assert os.stat(mnt.path / "dm").st_mtime_ns == t


def test_mtime_advances_on_write(mnt):
    p = mnt.path / "w"
    p.write_text("x")
    os.utime(p, ns=(10**18, 10**18))
    with open(p, "a") as f:
        f.write("more")
    assert os.stat(mnt.backing / "w").st_mtime_ns > 10**18 + 10**15  # now, not the old 2001 value
    assert abs(os.stat(p).st_mtime - time.time()) < 60


def test_utimensat_and_utime_now(mnt):
    p = mnt.path / "u"
    p.write_text("x")
    a, m = 1_400_000_000_000_000_100, 1_450_000_000_000_000_200
    os.utime(p, ns=(a, m))
    st = os.stat(p)
    assert st.st_mtime_ns == m and st.st_atime_ns == a
    assert os.stat(mnt.backing / "u").st_mtime_ns == m
    os.utime(p)  # UTIME_NOW
    assert abs(os.stat(mnt.backing / "u").st_mtime - time.time()) < 10
    assert abs(os.stat(p).st_mtime - time.time()) < 10


def test_default_owner_is_mounting_user(mnt):
    (mnt.path / "o").write_text("x")
    st = os.stat(mnt.path / "o")
    assert (st.st_uid, st.st_gid) == (os.getuid(), os.getgid())


def test_uid_gid_options(mount):
    m = mount(opts={"uid": 1234, "gid": 5678})
    (m.path / "o").write_text("x")
    for p in (m.path / "o", m.path):
        st = os.stat(p)
        assert (st.st_uid, st.st_gid) == (1234, 5678)


def test_file_mode_dir_mode_options(mount):
    m = mount(opts={"file_mode": "0640", "dir_mode": "0750"})
    (m.path / "f").write_text("x")
    (m.path / "d").mkdir()
    assert stat.S_IMODE(os.stat(m.path / "f").st_mode) == 0o640
    assert stat.S_IMODE(os.stat(m.path / "d").st_mode) == 0o750


def test_chmod_a_w_sets_read_only_attribute(mnt):
    p = mnt.path / "ro.txt"
    p.write_text("keep")
    os.chmod(p, 0o444)
    assert os.stat(p).st_mode & 0o222 == 0
    # The server sees the DOS read-only attribute.
    r = mnt.server.smbclient("share", f"allinfo {mnt.path.name}/ro.txt")
    assert "attributes: R" in r.stdout, r.stdout
    with pytest.raises(PermissionError) as e:
        open(p, "w")
    assert e.value.errno == errno.EACCES
    assert (mnt.backing / "ro.txt").read_text() == "keep"
    os.chmod(p, 0o644)
    p.write_text("changed")
    assert (mnt.backing / "ro.txt").read_text() == "changed"


def test_delete_read_only_file(mnt):
    # git gc deletes its read-only pack files; POSIX allows unlinking a file without write permission.
    p = mnt.path / "pack"
    p.write_text("x")
    os.chmod(p, 0o444)
    os.unlink(p)
    assert not (mnt.backing / "pack").exists()


# --- directories ----------------------------------------------------------------------------------------
def test_mkdir_rmdir(mnt):
    os.mkdir(mnt.path / "d")
    assert (mnt.backing / "d").is_dir()
    with pytest.raises(FileExistsError):
        os.mkdir(mnt.path / "d")
    os.rmdir(mnt.path / "d")
    assert not (mnt.backing / "d").exists()


def test_rmdir_non_empty_is_enotempty(mnt):
    os.makedirs(mnt.path / "d" / "sub")
    with pytest.raises(OSError) as e:
        os.rmdir(mnt.path / "d")
    assert e.value.errno == errno.ENOTEMPTY
    assert (mnt.backing / "d" / "sub").is_dir()


def test_rmdir_on_file_and_unlink_on_dir(mnt):
    (mnt.path / "f").write_text("x")
    (mnt.path / "d").mkdir()
    with pytest.raises(NotADirectoryError):
        os.rmdir(mnt.path / "f")
    with pytest.raises(OSError) as e:
        os.unlink(mnt.path / "d")
    assert e.value.errno in (errno.EISDIR, errno.EPERM)


def test_nested_directories(mnt):
    deep = mnt.path.joinpath(*[f"l{i}" for i in range(12)])
    deep.mkdir(parents=True)
    (deep / "leaf").write_text("deep")
    assert mnt.backing.joinpath(*[f"l{i}" for i in range(12)], "leaf").read_text() == "deep"


def test_readdir_small(mnt):
    names = {"a", "b.txt", "c d", "sub"}
    for n in names - {"sub"}:
        mnt.disk_write(n, n)
    mnt.disk_mkdir("sub")
    assert set(os.listdir(mnt.path)) == names
    with os.scandir(mnt.path) as it:
        kinds = {e.name: e.is_dir() for e in it}
    assert kinds == {"a": False, "b.txt": False, "c d": False, "sub": True}


def test_readdir_empty(mnt):
    (mnt.path / "e").mkdir()
    assert os.listdir(mnt.path / "e") == []


@pytest.mark.heavy
@pytest.mark.timeout(600)
def test_ls_l_2000_files_made_on_disk(mnt):
    want = {}
    for i in range(2000):
        name = f"file-{i:04d}.dat"
        mnt.disk_write(name, b"x" * (i % 97))
        want[name] = i % 97
    t0 = time.monotonic()
    out = subprocess.run(["ls", "-l", "--time-style=+%s", str(mnt.path)], capture_output=True,
                         text=True, check=True, timeout=300).stdout
    elapsed = time.monotonic() - t0
    got = {}
    for line in out.splitlines()[1:]:
        f = line.split()
        got[f[-1]] = int(f[4])
    assert got == want
    print(f"ls -l of 2000 files: {elapsed:.2f}s")


@pytest.mark.heavy
@pytest.mark.timeout(600)
def test_create_2000_files_through_mount(mnt):
    for i in range(2000):
        (mnt.path / f"n{i}").write_bytes(str(i).encode())
    assert len(os.listdir(mnt.backing)) == 2000
    assert sorted(os.listdir(mnt.path)) == sorted(os.listdir(mnt.backing))
    assert (mnt.backing / "n1999").read_bytes() == b"1999"


# --- rename -----------------------------------------------------------------------------------------
def test_rename_file(mnt):
    (mnt.path / "a").write_text("A")
    os.rename(mnt.path / "a", mnt.path / "b")
    assert not (mnt.backing / "a").exists() and (mnt.backing / "b").read_text() == "A"
    assert (mnt.path / "b").read_text() == "A"


def test_rename_over_existing_file(mnt):
    (mnt.path / "new").write_text("new content")
    (mnt.path / "old").write_text("old")
    os.rename(mnt.path / "new", mnt.path / "old")
    assert (mnt.backing / "old").read_text() == "new content"
    assert not (mnt.backing / "new").exists()
    assert (mnt.path / "old").read_text() == "new content"
    assert sorted(os.listdir(mnt.path)) == ["old"]


def _renameat2(src, dst, flags):
    libc = ctypes.CDLL(None, use_errno=True)
    AT_FDCWD = -100
    r = libc.renameat2(AT_FDCWD, os.fsencode(src), AT_FDCWD, os.fsencode(dst), ctypes.c_uint(flags))
    return 0 if r == 0 else ctypes.get_errno()


RENAME_NOREPLACE = 1


def test_rename_noreplace(mnt):
    (mnt.path / "a").write_text("A")
    (mnt.path / "b").write_text("B")
    assert _renameat2(mnt.path / "a", mnt.path / "b", RENAME_NOREPLACE) == errno.EEXIST
    assert (mnt.backing / "b").read_text() == "B" and (mnt.backing / "a").read_text() == "A"
    assert _renameat2(mnt.path / "a", mnt.path / "c", RENAME_NOREPLACE) == 0
    assert (mnt.backing / "c").read_text() == "A" and not (mnt.backing / "a").exists()


def test_rename_directory(mnt):
    (mnt.path / "d1" / "inner").mkdir(parents=True)
    (mnt.path / "d1" / "inner" / "f").write_text("deep")
    os.rename(mnt.path / "d1", mnt.path / "d2")
    assert (mnt.backing / "d2" / "inner" / "f").read_text() == "deep"
    assert not (mnt.backing / "d1").exists()
    assert (mnt.path / "d2" / "inner" / "f").read_text() == "deep"


def test_rename_across_directories(mnt):
    (mnt.path / "x").mkdir()
    (mnt.path / "y").mkdir()
    (mnt.path / "x" / "f").write_text("moved")
    os.rename(mnt.path / "x" / "f", mnt.path / "y" / "g")
    assert (mnt.backing / "y" / "g").read_text() == "moved"
    assert os.listdir(mnt.path / "x") == []


def test_rename_dir_over_nonempty_dir_fails(mnt):
    (mnt.path / "a").mkdir()
    (mnt.path / "b").mkdir()
    (mnt.path / "b" / "f").write_text("x")
    with pytest.raises(OSError) as e:
        os.rename(mnt.path / "a", mnt.path / "b")
    assert e.value.errno in (errno.ENOTEMPTY, errno.EEXIST)
    assert (mnt.backing / "b" / "f").exists()


# --- names ----------------------------------------------------------------------------------------------
NAMES = ["Grüße.txt", "日本語のファイル", "Ελληνικά", "emoji-😀-🎉.txt", "ﬁligature", "space name .x",
         "a'quote", "semi;colon", "hash#", "percent%20"]


def test_non_ascii_names_through_mount(mnt):
    for n in NAMES:
        (mnt.path / n).write_text(n)
    assert sorted(os.listdir(mnt.backing)) == sorted(NAMES)
    for n in NAMES:
        assert (mnt.backing / n).read_text() == n


def test_non_ascii_names_from_disk(mnt):
    for n in NAMES:
        mnt.disk_write(n, n)
    assert sorted(os.listdir(mnt.path)) == sorted(NAMES)
    for n in NAMES:
        assert (mnt.path / n).read_text() == n


def test_non_ascii_directory_rename(mnt):
    (mnt.path / "Ordner-ä").mkdir()
    (mnt.path / "Ordner-ä" / "ß").write_text("x")
    os.rename(mnt.path / "Ordner-ä", mnt.path / "папка")
    assert (mnt.backing / "папка" / "ß").read_text() == "x"


def test_long_name(mnt):
    n = "L" * 255
    (mnt.path / n).write_text("long")
    assert (mnt.backing / n).read_text() == "long"


# --- statfs, fsync ------------------------------------------------------------------------------------------
def test_statfs_close_to_backing(mnt):
    a = os.statvfs(mnt.path)
    b = os.statvfs(mnt.backing)
    total_a, total_b = a.f_blocks * a.f_frsize, b.f_blocks * b.f_frsize
    free_a, free_b = a.f_bavail * a.f_frsize, b.f_bavail * b.f_frsize
    assert abs(total_a - total_b) <= max(total_b * 0.01, 64 << 20), (total_a, total_b)
    assert abs(free_a - free_b) <= max(total_b * 0.02, 256 << 20), (free_a, free_b)
    assert a.f_namemax >= 255
    df = subprocess.run(["df", "-P", str(mnt.root)], capture_output=True, text=True, check=True)
    assert str(mnt.root) in df.stdout


def test_fsync_makes_data_visible_on_server_while_open(mnt):
    data = os.urandom(2 * 1024 * 1024)
    fd = os.open(mnt.path / "sync.bin", os.O_CREAT | os.O_WRONLY, 0o644)
    try:
        os.write(fd, data)
        os.fsync(fd)
        assert (mnt.backing / "sync.bin").read_bytes() == data
        os.write(fd, b"tail")
        os.fdatasync(fd)
        assert (mnt.backing / "sync.bin").read_bytes() == data + b"tail"
    finally:
        os.close(fd)


def test_fsync_directory(mnt):
    (mnt.path / "d").mkdir()
    fd = os.open(mnt.path / "d", os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def test_inode_numbers_stable(mnt):
    (mnt.path / "i").write_text("x")
    ino = os.stat(mnt.path / "i").st_ino
    (mnt.path / "j").write_text("y")
    assert os.stat(mnt.path / "i").st_ino == ino
    assert os.stat(mnt.path / "j").st_ino != ino
