"""Sparse files and preallocation (issue 12): fallocate(2) punch hole, zero range, preallocation and
KEEP_SIZE, lseek(2) SEEK_DATA / SEEK_HOLE, st_blocks. Over SMB2 the server's backing file really has the
hole (its st_blocks, SEEK_HOLE on it); over SMB1 fallocate is EOPNOTSUPP and the whole file is data. Every
dialect and cache mode (any_mnt): a cache never changes the outcome."""
import ctypes
import errno
import os

import pytest

FALLOC_FL_KEEP_SIZE = 0x01
FALLOC_FL_PUNCH_HOLE = 0x02
FALLOC_FL_COLLAPSE_RANGE = 0x08
FALLOC_FL_ZERO_RANGE = 0x10
FALLOC_FL_INSERT_RANGE = 0x20
MiB = 1 << 20

_libc = ctypes.CDLL(None, use_errno=True)
_libc.fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64]


def fallocate(fd, mode, off, length):
    if _libc.fallocate(fd, mode, off, length) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


def fallocate_errno(fd, mode, off, length):
    try:
        fallocate(fd, mode, off, length)
        return 0
    except OSError as e:
        return e.errno


def seek(fd, off, whence):
    try:
        return os.lseek(fd, off, whence)
    except OSError as e:
        return errno.errorcode[e.errno]


def backing_blocks(p):
    os.sync()
    return os.stat(p).st_blocks * 512


def test_punch_hole(any_mnt):
    m = any_mnt
    data = os.urandom(3 * MiB)
    f = m.path / "f"
    f.write_bytes(data)
    fd = os.open(f, os.O_RDWR)
    try:
        assert os.pread(fd, 3 * MiB, 0) == data  # pages of the hole are in the kernel's cache now
        if m.dialect == "smb1":
            assert fallocate_errno(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, MiB, MiB) == errno.EOPNOTSUPP
            assert seek(fd, 0, os.SEEK_HOLE) == 3 * MiB and seek(fd, 5, os.SEEK_DATA) == 5
            return
        # Written through a handle (gathered under a Write lease with cache=strict/loose) just before the
        # punch: it must not land after it and fill the hole again.
        os.pwrite(fd, b"x" * 65536, MiB + 4096)
        fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, MiB, MiB)
        want = data[:MiB] + bytes(MiB) + data[2 * MiB:]
        assert os.pread(fd, 3 * MiB, 0) == want
        assert os.fstat(fd).st_size == 3 * MiB
        assert seek(fd, 0, os.SEEK_HOLE) == MiB
        assert seek(fd, MiB, os.SEEK_DATA) == 2 * MiB
        assert seek(fd, MiB + 10, os.SEEK_HOLE) == MiB + 10
        assert seek(fd, 2 * MiB, os.SEEK_HOLE) == 3 * MiB
        assert seek(fd, 3 * MiB, os.SEEK_DATA) == "ENXIO"
        assert seek(fd, 3 * MiB, os.SEEK_HOLE) == "ENXIO"
    finally:
        os.close(fd)
    assert f.read_bytes() == want
    b = m.backing / "f"
    assert b.read_bytes() == want
    assert backing_blocks(b) <= 2 * MiB + 64 * 1024
    bfd = os.open(b, os.O_RDONLY)
    try:
        assert os.lseek(bfd, 0, os.SEEK_HOLE) == MiB
        assert os.lseek(bfd, MiB, os.SEEK_DATA) == 2 * MiB
    finally:
        os.close(bfd)
    # du through the mount: st_blocks is the server's allocation.
    assert os.stat(f).st_blocks * 512 <= 2 * MiB + 64 * 1024


def test_zero_range(any_mnt):
    m = any_mnt
    data = os.urandom(2 * MiB)
    f = m.path / "z"
    f.write_bytes(data)
    fd = os.open(f, os.O_RDWR)
    try:
        if m.dialect == "smb1":
            assert fallocate_errno(fd, FALLOC_FL_ZERO_RANGE, 4096, 8192) == errno.EOPNOTSUPP
            return
        assert os.pread(fd, 2 * MiB, 0) == data
        fallocate(fd, FALLOC_FL_ZERO_RANGE, 4096, 8192)
        want = data[:4096] + bytes(8192) + data[4096 + 8192:]
        assert os.pread(fd, 2 * MiB, 0) == want
        # Past the end of file: the file grows (zeros), unless KEEP_SIZE.
        fallocate(fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, 2 * MiB - 100, 1000)
        assert os.fstat(fd).st_size == 2 * MiB
        want = want[:-100] + bytes(100)
        fallocate(fd, FALLOC_FL_ZERO_RANGE, 2 * MiB - 10, 1010)
        assert os.fstat(fd).st_size == 2 * MiB + 1000
        want = want[:-10] + bytes(1010)
        assert os.pread(fd, 3 * MiB, 0) == want
    finally:
        os.close(fd)
    assert (m.backing / "z").read_bytes() == want


def test_preallocate(any_mnt):
    m = any_mnt
    f = m.path / "p"
    f.write_bytes(b"abc")
    fd = os.open(f, os.O_RDWR)
    try:
        if m.dialect == "smb1":
            assert fallocate_errno(fd, 0, 0, MiB) == errno.EOPNOTSUPP
            assert fallocate_errno(fd, FALLOC_FL_KEEP_SIZE, 0, MiB) == errno.EOPNOTSUPP
            return
        fallocate(fd, 0, 0, MiB)
        assert os.fstat(fd).st_size == MiB
        assert os.pread(fd, MiB, 0) == b"abc" + bytes(MiB - 3)
        # Inside the file: nothing changes.
        fallocate(fd, 0, 10, 100)
        assert os.fstat(fd).st_size == MiB
        fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 4 * MiB)
        assert os.fstat(fd).st_size == MiB
        # Nothing in SMB moves data within a file.
        assert fallocate_errno(fd, FALLOC_FL_COLLAPSE_RANGE, 0, 4096) == errno.EOPNOTSUPP
        assert fallocate_errno(fd, FALLOC_FL_INSERT_RANGE, 0, 4096) == errno.EOPNOTSUPP
        # A punch without KEEP_SIZE is EOPNOTSUPP for every filesystem (the kernel says so).
        assert fallocate_errno(fd, FALLOC_FL_PUNCH_HOLE, 0, 4096) == errno.EOPNOTSUPP
    finally:
        os.close(fd)
    assert os.stat(m.backing / "p").st_size == MiB
    assert (m.backing / "p").read_bytes()[:3] == b"abc"


def test_seek_plain_file(any_mnt):
    """A file that was never made sparse is all data; past the end is ENXIO."""
    m = any_mnt
    f = m.path / "s"
    f.write_bytes(b"y" * 100000)
    fd = os.open(f, os.O_RDONLY)
    try:
        assert seek(fd, 0, os.SEEK_DATA) == 0
        assert seek(fd, 500, os.SEEK_DATA) == 500
        assert seek(fd, 500, os.SEEK_HOLE) == 100000
        assert seek(fd, 100000, os.SEEK_DATA) == "ENXIO"
        assert seek(fd, 200000, os.SEEK_HOLE) == "ENXIO"
    finally:
        os.close(fd)


def test_hole_made_on_server(any_mnt):
    """A sparse file made on the server side: SEEK_HOLE through the mount finds its holes (Samba answers
    from the backing file, for a file marked sparse)."""
    m = any_mnt
    if m.dialect == "smb1":
        pytest.skip("SMB1: no FSCTL_QUERY_ALLOCATED_RANGES")
    f = m.path / "h"
    f.write_bytes(b"")
    fd = os.open(f, os.O_RDWR)
    try:
        os.pwrite(fd, b"d" * 4096, 0)
        os.ftruncate(fd, 4 * MiB)
        os.pwrite(fd, b"e" * 4096, 3 * MiB)
        # Make it sparse the one way a client can: a punch of nothing but hole.
        fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, MiB, 4096)
        assert seek(fd, 0, os.SEEK_HOLE) == 4096
        assert seek(fd, 4096, os.SEEK_DATA) == 3 * MiB
        assert seek(fd, 3 * MiB, os.SEEK_HOLE) == 3 * MiB + 4096
        assert seek(fd, 3 * MiB + 4096, os.SEEK_DATA) == "ENXIO"
    finally:
        os.close(fd)
