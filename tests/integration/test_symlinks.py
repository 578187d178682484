"""Symbolic links on a server without POSIX extensions (issue 11): mfsymlinks, and EPERM without it.

With -o mfsymlinks a symlink is a 1067-byte Minshall+French file on the server, in the exact form the Linux
kernel client writes (fs/smb/client/link.c), so both clients see the same links. Every test runs over SMB2
and SMB1 in every cache mode (any_mount), checked against the bytes on the server's disk.
"""
import errno
import hashlib
import os
import subprocess

import pytest

pytestmark = pytest.mark.timeout(120)


def mf_bytes(target):
    t = target.encode()
    b = b"XSym\n%04u\n" % len(t) + hashlib.md5(t).hexdigest().encode() + b"\n" + t
    if len(b) < 1067:
        b += b"\n"
    return b + b" " * (1067 - len(b))


@pytest.fixture
def mf(any_mount):
    return any_mount(opts={"mfsymlinks": True})


def test_ln_s_writes_the_kernel_form(mf):
    (mf.path / "f").write_text("data")
    os.symlink("f", mf.path / "l")
    assert (mf.backing / "l").read_bytes() == mf_bytes("f")
    assert os.readlink(mf.path / "l") == "f"
    st = os.lstat(mf.path / "l")
    assert (st.st_mode & 0o170000) == 0o120000 and st.st_size == 1
    assert (mf.path / "l").read_text() == "data"  # followed by the kernel
    out = subprocess.run(["ls", "-l", str(mf.path)], capture_output=True, text=True, check=True).stdout
    assert any(l.startswith("l") and l.endswith("l -> f") for l in out.splitlines())


def test_link_written_on_the_server_shows_as_link(mf):
    (mf.backing / "d").mkdir()
    (mf.backing / "d/t").write_text("target")
    (mf.backing / "d/abs").write_bytes(mf_bytes("/etc/passwd-outside"))
    (mf.backing / "d/rel").write_bytes(mf_bytes("t"))
    # Same size, not a link: stays a file.
    (mf.backing / "d/plain").write_bytes(b"x" * 1067)
    names = sorted(os.listdir(mf.path / "d"))
    assert names == ["abs", "plain", "rel", "t"]
    assert os.path.islink(mf.path / "d/rel") and os.readlink(mf.path / "d/rel") == "t"
    assert os.readlink(mf.path / "d/abs") == "/etc/passwd-outside"  # absolute: kept, never resolved by us
    assert not os.path.islink(mf.path / "d/plain") and os.path.getsize(mf.path / "d/plain") == 1067
    assert (mf.path / "d/rel").read_text() == "target"


def test_nofollow_eloop_and_dangling(mf):
    os.symlink("nowhere", mf.path / "dangling")
    assert os.path.lexists(mf.path / "dangling") and not os.path.exists(mf.path / "dangling")
    with pytest.raises(OSError) as e:
        os.open(mf.path / "dangling", os.O_RDONLY | os.O_NOFOLLOW)
    assert e.value.errno == errno.ELOOP
    os.symlink("loop2", mf.path / "loop1")
    os.symlink("loop1", mf.path / "loop2")
    with pytest.raises(OSError) as e:
        open(mf.path / "loop1")
    assert e.value.errno == errno.ELOOP


def test_ln_s_onto_existing_name_and_rm(mf):
    (mf.path / "f").write_text("x")
    with pytest.raises(OSError) as e:
        os.symlink("g", mf.path / "f")
    assert e.value.errno == errno.EEXIST
    assert (mf.backing / "f").read_text() == "x"
    os.symlink("f", mf.path / "l")
    os.rename(mf.path / "l", mf.path / "m")
    assert os.readlink(mf.path / "m") == "f"
    os.unlink(mf.path / "m")
    assert sorted(os.listdir(mf.backing)) == ["f"]


def test_long_target_and_too_long(mf):
    t = "d/" * 511 + "xy"  # 1024 bytes: fills the file
    os.symlink(t, mf.path / "long")
    assert os.readlink(mf.path / "long") == t
    assert (mf.backing / "long").read_bytes() == mf_bytes(t)
    with pytest.raises(OSError) as e:
        os.symlink(t + "z", mf.path / "longer")
    assert e.value.errno == errno.ENAMETOOLONG
    assert not (mf.backing / "longer").exists()


def test_without_mfsymlinks_ln_s_is_eperm_and_says_why(any_mount):
    m = any_mount()
    with pytest.raises(OSError) as e:
        os.symlink("f", m.path / "l")
    assert e.value.errno == errno.EPERM
    with pytest.raises(OSError) as e:
        os.mkfifo(m.path / "p")
    assert e.value.errno == errno.EPERM
    assert os.listdir(m.backing) == []
    # A link file written by another client is an ordinary file without the option.
    (m.backing / "x").write_bytes(mf_bytes("f"))
    assert not os.path.islink(m.path / "x") and os.path.getsize(m.path / "x") == 1067
    err = m.stderr()
    assert "mount with mfsymlinks" in err
