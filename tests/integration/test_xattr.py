"""Extended attributes: user.NAME through the mount is the SMB extended attribute NAME (MS-FSCC 2.4.15),
which Samba keeps as the xattr user.NAME of the backing file. Every dialect and cache mode (any_mount),
SMB1 included (TRANS2 SMB_FEA_LISTs): nothing is cached, so a second client's change is seen at once."""
import ctypes
import errno
import os
import shutil
import subprocess

import pytest

libc = ctypes.CDLL(None, use_errno=True)
libc.getxattr.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_void_p, ctypes.c_size_t]
libc.getxattr.restype = ctypes.c_ssize_t
libc.listxattr.argtypes = [ctypes.c_char_p, ctypes.c_void_p, ctypes.c_size_t]
libc.listxattr.restype = ctypes.c_ssize_t


def raw_getxattr(path, name, size):
    """getxattr(2) with the caller's buffer size: (result, errno)."""
    buf = ctypes.create_string_buffer(max(size, 1))
    r = libc.getxattr(str(path).encode(), name.encode(), buf if size else None, size)
    return (r, ctypes.get_errno() if r < 0 else 0)


def raw_listxattr(path, size):
    buf = ctypes.create_string_buffer(max(size, 1))
    r = libc.listxattr(str(path).encode(), buf if size else None, size)
    return (r, ctypes.get_errno() if r < 0 else 0)


def user_names(path):
    return sorted(n for n in os.listxattr(path) if n.startswith("user."))


def err(fn, *a):
    with pytest.raises(OSError) as e:
        fn(*a)
    return e.value.errno


@pytest.fixture
def f(any_mnt):
    p = any_mnt.path / "f"
    p.write_bytes(b"data")
    return any_mnt, p


def test_round_trip_and_backing_file(f):
    m, p = f
    os.setxattr(p, "user.color", b"blue")
    assert os.getxattr(p, "user.color") == b"blue"
    assert user_names(p) == ["user.color"]
    # Samba keeps the EA as an xattr of the backing file, under the same name.
    assert os.getxattr(m.backing / "f", "user.color") == b"blue"
    os.setxattr(p, "user.color", b"\0binary\xff" * 100)
    assert os.getxattr(p, "user.color") == b"\0binary\xff" * 100
    os.setxattr(p, "user.shape", b"round")
    assert user_names(p) == ["user.color", "user.shape"]
    os.removexattr(p, "user.color")
    assert err(os.getxattr, p, "user.color") == errno.ENODATA
    assert user_names(p) == ["user.shape"]
    assert "user.color" not in os.listxattr(m.backing / "f")
    assert (p.read_bytes(), p.stat().st_size) == (b"data", 4)  # the data is untouched


def test_directory_and_set_on_disk(f):
    m, p = f
    d = m.path / "d"
    d.mkdir()
    os.setxattr(d, "user.dir", b"yes")
    assert os.getxattr(d, "user.dir") == b"yes"
    assert os.getxattr(m.backing / "d", "user.dir") == b"yes"
    # Set on the server's side: seen through the mount.
    os.setxattr(m.backing / "f", "user.fromdisk", b"1")
    assert os.getxattr(p, "user.fromdisk") == b"1"
    # Samba's own xattrs of the backing file are not EAs and stay hidden.
    assert all(n.startswith("user.") for n in os.listxattr(p))
    assert "user.DOSATTRIB" not in os.listxattr(p)


def test_second_mount_sees_changes(any_mount):
    a, b = any_mount(), any_mount()
    p = a.path / "f"
    p.write_bytes(b"x")
    q = b.path / "f"
    os.setxattr(p, "user.k", b"one")
    assert os.getxattr(q, "user.k") == b"one"
    os.setxattr(q, "user.k", b"two")
    assert os.getxattr(p, "user.k") == b"two"
    os.removexattr(q, "user.k")
    assert err(os.getxattr, p, "user.k") == errno.ENODATA
    assert user_names(p) == []


def test_create_replace_and_remove_flags(f):
    m, p = f
    assert err(os.setxattr, p, "user.k", b"v", os.XATTR_REPLACE) == errno.ENODATA
    os.setxattr(p, "user.k", b"v", os.XATTR_CREATE)
    assert err(os.setxattr, p, "user.k", b"w", os.XATTR_CREATE) == errno.EEXIST
    assert err(os.setxattr, p, "user.K", b"w", os.XATTR_CREATE) == errno.EEXIST  # EA names ignore case
    os.setxattr(p, "user.k", b"w", os.XATTR_REPLACE)
    assert os.getxattr(p, "user.k") == b"w"
    os.removexattr(p, "user.k")
    assert err(os.removexattr, p, "user.k") == errno.ENODATA
    assert err(os.removexattr, p, "user.never") == errno.ENODATA


def test_size_probe_and_small_buffers(f):
    m, p = f
    os.setxattr(p, "user.k", b"12345")
    assert raw_getxattr(p, "user.k", 0) == (5, 0)
    assert raw_getxattr(p, "user.k", 4) == (-1, errno.ERANGE)
    assert raw_getxattr(p, "user.k", 5) == (5, 0)
    assert raw_getxattr(p, "user.none", 0) == (-1, errno.ENODATA)
    names = b"user.k\0"
    n, e = raw_listxattr(p, 0)
    assert (n, e) == (len(names), 0)
    assert raw_listxattr(p, n - 1) == (-1, errno.ERANGE)


def test_names_keep_their_case(f):
    m, p = f
    os.setxattr(p, "user.MixedCase", b"1")
    assert user_names(p) == ["user.MixedCase"]
    assert os.listxattr(m.backing / "f").count("user.MixedCase") == 1
    # Another case names the same EA (the server matches without case and keeps the first spelling),
    # and every listed name reads back.
    assert os.getxattr(p, "user.mixedcase") == b"1"
    os.setxattr(p, "user.MIXEDCASE", b"2")
    assert user_names(p) == ["user.MixedCase"]
    for n in user_names(p):
        assert os.getxattr(p, n) == b"2"


def test_limits_and_refusals(f):
    m, p = f
    assert err(os.setxattr, p, "user.big", b"x" * 65536) == errno.E2BIG  # EaValueLength is 16 bits
    assert err(os.setxattr, p, "user.empty", b"") == errno.EINVAL  # SMB deletes an EA set empty
    assert err(os.setxattr, p, "user.caf\u00e9", b"v") == errno.EINVAL  # EA names are ASCII
    assert err(os.setxattr, p, "trusted.x", b"v") == errno.EOPNOTSUPP
    assert err(os.getxattr, p, "trusted.x") == errno.EOPNOTSUPP
    assert err(os.setxattr, p, "user.DOSATTRIB", b"v") == errno.EACCES  # Samba's own attribute
    # The longest name Linux allows (255 bytes with "user.").
    long = "user." + "n" * 250
    os.setxattr(p, long, b"v")
    assert os.getxattr(p, long) == b"v"
    os.removexattr(p, long)
    # The backing file system's room for xattrs is the server's limit: ENOSPC beyond it, nothing lost.
    os.setxattr(p, "user.small", b"s")
    with pytest.raises(OSError) as e:
        for i in range(64):
            os.setxattr(p, f"user.fill{i}", b"y" * 4000)
    assert e.value.errno in (errno.ENOSPC, errno.E2BIG)
    assert os.getxattr(p, "user.small") == b"s"


def test_stats_attribute_kept_out_of_listings(any_mnt):
    assert "user.smbfuse.stats" not in os.listxattr(any_mnt.root)
    assert b"requests.total" in os.getxattr(any_mnt.root, "user.smbfuse.stats")


def test_open_file_under_lease(f):
    m, p = f
    with open(p, "r+b") as fh:
        fh.write(b"DATA")
        fh.flush()
        os.setxattr(p, "user.k", b"while open")
        assert os.getxattr(p, "user.k") == b"while open"
        fh.write(b"more")
    assert p.read_bytes() == b"DATAmore"
    assert os.getxattr(m.backing / "f", "user.k") == b"while open"


@pytest.mark.skipif(not shutil.which("setfattr"), reason="setfattr/getfattr (package attr) not installed")
def test_setfattr_getfattr(mnt):
    p = mnt.path / "f"
    p.write_bytes(b"x")
    subprocess.run(["setfattr", "-n", "user.tool", "-v", "hello", str(p)], check=True)
    out = subprocess.run(["getfattr", "-d", "--absolute-names", str(p)], check=True, capture_output=True,
                         text=True).stdout
    assert 'user.tool="hello"' in out
    subprocess.run(["setfattr", "-x", "user.tool", str(p)], check=True)
    assert "user.tool" not in os.listxattr(p)


@pytest.mark.parametrize("opt", ["user_xattr", "nouser_xattr"])
def test_user_xattr_options(mount, opt):
    m = mount(opts={opt: True})
    p = m.path / "f"
    p.write_bytes(b"x")
    os.setxattr(m.backing / "f", "user.fromdisk", b"1")
    if opt == "user_xattr":  # the default, as with mount.cifs
        assert os.getxattr(p, "user.fromdisk") == b"1"
        return
    assert err(os.setxattr, p, "user.k", b"v") == errno.EOPNOTSUPP
    assert err(os.getxattr, p, "user.fromdisk") == errno.EOPNOTSUPP
    assert err(os.removexattr, p, "user.fromdisk") == errno.EOPNOTSUPP
    assert os.listxattr(p) == []
    assert b"requests.total" in os.getxattr(m.root, "user.smbfuse.stats")
