"""Name, path and size limits behave as on a local disk (issue namespace, items 6 and 8).

NAME_MAX is 255 bytes of UTF-8 per component: longer names get ENAMETOOLONG before any request, so nothing
reaches the server. Paths up to PATH_MAX - 1 (4095 bytes, the longest the kernel passes) work for every
operation, measured on the mount's own absolute path. A size beyond what the volume can hold gets EFBIG, as
on ext4, not ENOSPC. Each test runs over SMB2 and SMB1 in every cache mode (any_mnt, conftest.py) and checks
the server's backing directory.
"""
import errno
import os

import pytest

pytestmark = pytest.mark.timeout(240)

NAMES_255 = ["n" * 255, "ä" * 127 + "x"]  # 255 bytes of UTF-8; the second is 128 characters
NAMES_256 = ["n" * 256, "ä" * 128]


def listing(d):
    return sorted(os.listdir(d))


def expect_errno(e, fn, *args, **kw):
    with pytest.raises(OSError) as ei:
        fn(*args, **kw)
    assert ei.value.errno == e, f"{fn.__name__}{args}: {ei.value!r}, wanted {errno.errorcode[e]}"


@pytest.mark.parametrize("name", NAMES_255, ids=["ascii", "utf8"])
def test_name_of_255_bytes_works(any_mnt, name):
    m = any_mnt
    assert len(name.encode()) == 255
    other = name[:-1] + "y"
    (m.path / name).write_text("data")
    assert os.stat(m.path / name).st_size == 4
    assert listing(m.path) == [name]
    assert (m.backing / name).read_text() == "data"
    os.rename(m.path / name, m.path / other)
    assert listing(m.backing) == [other]
    assert (m.path / other).read_text() == "data"
    os.unlink(m.path / other)
    (m.path / name).mkdir()
    assert (m.backing / name).is_dir()
    os.rmdir(m.path / name)
    assert listing(m.backing) == [] and listing(m.path) == []


@pytest.mark.parametrize("name", NAMES_256, ids=["ascii", "utf8"])
def test_name_of_256_bytes_is_enametoolong(any_mnt, name):
    m = any_mnt
    assert len(name.encode()) == 256
    (m.path / "f").write_text("x")
    os.listdir(m.path)  # a watched, cached listing must not answer ENOENT instead
    long = m.path / name
    expect_errno(errno.ENAMETOOLONG, os.stat, long)
    expect_errno(errno.ENAMETOOLONG, os.open, long, os.O_CREAT | os.O_WRONLY, 0o644)
    expect_errno(errno.ENAMETOOLONG, os.mkdir, long)
    expect_errno(errno.ENAMETOOLONG, os.rename, m.path / "f", long)
    expect_errno(errno.ENAMETOOLONG, os.rename, long, m.path / "g")
    expect_errno(errno.ENAMETOOLONG, os.unlink, long)
    expect_errno(errno.ENAMETOOLONG, os.rmdir, long)
    assert listing(m.backing) == ["f"] and listing(m.path) == ["f"]
    assert (m.path / "f").read_text() == "x"


def deep_dir(m, top_len):
    """Create a chain of directories below m.path whose mount path is top_len bytes long; return it."""
    d = str(m.path)
    while len(d) < top_len:
        left = top_len - len(d)  # "/" + name each time
        n = left - 1 if left <= 201 else min(200, left - 3)
        d = os.path.join(d, "d" * n)
        os.mkdir(d)
    assert len(d) == top_len
    return d


def backing_of(m, p):
    return os.path.join(m.backing, os.path.relpath(p, m.path))


def test_paths_up_to_4095_bytes_work_for_every_operation(any_mnt):
    m = any_mnt
    top = deep_dir(m, 3880)
    # The server's own path to the same file must fit Linux's PATH_MAX there, or it cannot go as far.
    assert len(backing_of(m, top)) + 4095 - 3880 < 4096, "backing path too long for this test"
    for total in (4000, 4044, 4045, 4046, 4095):
        leaf = os.path.join(top, "f" * (total - len(top) - 1))
        assert len(leaf) == total
        os.mkdir(leaf)
        st = os.stat(leaf)
        assert st.st_mode & 0o040000
        assert listing(leaf) == []
        os.rmdir(leaf)
        assert not os.path.exists(backing_of(m, leaf))
        with open(leaf, "wb") as f:
            f.write(b"hello")
        assert os.stat(leaf).st_size == 5
        os.truncate(leaf, 3)
        assert os.stat(leaf).st_size == 3
        with open(leaf, "r+b") as f:
            assert f.read() == b"hel"
            f.write(b"p!")
        assert open(backing_of(m, leaf), "rb").read() == b"help!"
        os.utime(leaf, (1_000_000_000, 1_000_000_000))
        assert os.stat(leaf).st_mtime == 1_000_000_000
        os.chmod(leaf, 0o444)
        assert not os.stat(leaf).st_mode & 0o200
        os.chmod(leaf, 0o644)
        assert os.path.basename(leaf) in listing(top)
        moved = leaf[:-1] + "g"
        os.rename(leaf, moved)
        assert open(backing_of(m, moved), "rb").read() == b"help!"
        assert not os.path.exists(backing_of(m, leaf))
        os.unlink(moved)
        assert not os.path.exists(backing_of(m, moved))
        assert listing(top) == [] and listing(backing_of(m, top)) == []


def share_deep_dir(m, share_len):
    """Directories below m.path until the path inside the share is share_len bytes long, created through
    directory descriptors (the kernel limits only the string it is handed). Returns fds of the last one in
    the mount and in the backing directory."""
    root = str(m.root)
    d = deep_dir(m, 3880)
    fd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
    bfd = os.open(backing_of(m, d), os.O_RDONLY | os.O_DIRECTORY)
    rel = len(d) - len(root) - 1
    while rel < share_len:
        left = share_len - rel
        n = "e" * (left - 1 if left <= 201 else min(200, left - 3))
        os.mkdir(n, dir_fd=fd)
        fds = [os.open(n, os.O_RDONLY | os.O_DIRECTORY, dir_fd=x) for x in (fd, bfd)]
        os.close(fd)
        os.close(bfd)
        (fd, bfd), rel = fds, rel + 1 + len(n)
    return fd, bfd


def test_share_paths_up_to_4095_bytes_work(any_mnt):
    """Inside the share the path can be longer than through the mount. FileAllInformation then carries a
    name longer than a 4 KiB reply buffer (Samba answered STATUS_ILLEGAL_CHARACTER: EILSEQ from 4,045
    bytes). Samba 4.17 walks paths relative to directory handles, so its own path on disk may pass 4096."""
    m = any_mnt
    here = 3990
    fd, bfd = share_deep_dir(m, here)
    try:
        for total in (4000, 4044, 4045, 4046, 4095):
            name = "f" * (total - here - 1)
            os.mkdir(name, dir_fd=fd)
            assert os.stat(name, dir_fd=bfd).st_mode & 0o040000
            assert os.stat(name, dir_fd=fd).st_mode & 0o040000
            sub = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            assert os.listdir(sub) == []
            os.close(sub)
            os.rmdir(name, dir_fd=fd)
            assert os.listdir(bfd) == []
            f = os.open(name, os.O_CREAT | os.O_RDWR, 0o644, dir_fd=fd)
            assert os.write(f, b"hello") == 5
            os.ftruncate(f, 3)
            assert os.pread(f, 10, 0) == b"hel"
            assert os.fstat(f).st_size == 3
            os.close(f)
            assert os.stat(name, dir_fd=fd).st_size == 3
            os.utime(name, (1_000_000_000, 1_000_000_000), dir_fd=fd)
            assert os.stat(name, dir_fd=fd).st_mtime == 1_000_000_000
            os.chmod(name, 0o444, dir_fd=fd)
            assert not os.stat(name, dir_fd=fd).st_mode & 0o200
            os.chmod(name, 0o644, dir_fd=fd)
            moved = name[:-1] + "g"
            os.rename(name, moved, src_dir_fd=fd, dst_dir_fd=fd)
            assert os.listdir(fd) == [moved]
            with open(os.open(moved, os.O_RDONLY, dir_fd=bfd), "rb") as b:
                assert b.read() == b"hel"
            os.unlink(moved, dir_fd=fd)
            assert os.listdir(fd) == [] and os.listdir(bfd) == []
        # One byte more is PATH_MAX with its NUL: refused before any request.
        name = "f" * (4096 - here - 1)
        expect_errno(errno.ENAMETOOLONG, os.mkdir, name, dir_fd=fd)
        expect_errno(errno.ENAMETOOLONG, os.open, name, os.O_CREAT | os.O_RDWR, 0o644, dir_fd=fd)
        expect_errno(errno.ENAMETOOLONG, os.stat, name, dir_fd=fd)
        assert os.listdir(bfd) == []
    finally:
        os.close(fd)
        os.close(bfd)


def test_path_beyond_4095_bytes_is_enametoolong(any_mnt):
    m = any_mnt
    root = str(m.root)
    # A share path over 4095 bytes, reached relative to an open directory (the kernel only limits the
    # string it is given).
    top = deep_dir(m, 4000)
    fd = os.open(top, os.O_RDONLY | os.O_DIRECTORY)
    bfd = os.open(backing_of(m, top), os.O_RDONLY | os.O_DIRECTORY)
    try:
        d = "d" * 200
        assert len(top) - len(root) + 1 + len(d) > 4095
        expect_errno(errno.ENAMETOOLONG, os.mkdir, d, dir_fd=fd)
        expect_errno(errno.ENAMETOOLONG, os.open, d, os.O_CREAT | os.O_WRONLY, 0o644, dir_fd=fd)
        expect_errno(errno.ENAMETOOLONG, os.stat, d, dir_fd=fd)
        assert os.listdir(bfd) == []
    finally:
        os.close(fd)
        os.close(bfd)


@pytest.mark.parametrize("how", ["path", "handle"])
def test_truncate_beyond_the_volume_is_efbig(any_mnt, how):
    m = any_mnt
    p = m.path / "f"
    p.write_bytes(b"abc")
    for size in (999_999_999_999_999, 2**63 - 1):
        if how == "path":
            expect_errno(errno.EFBIG, os.truncate, p, size)
        else:
            with open(p, "r+b") as f:
                expect_errno(errno.EFBIG, os.ftruncate, f.fileno(), size)
        assert os.stat(m.backing / "f").st_size == 3
        assert os.stat(p).st_size == 3
    os.truncate(p, 1 << 20)  # an ordinary size still works
    assert os.stat(m.backing / "f").st_size == 1 << 20
