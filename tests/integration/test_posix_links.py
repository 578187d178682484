"""Symbolic links as reparse points with the SMB 3.1.1 POSIX extensions (issue posix), against Samba 4.22.

A symlink made on the server's disk is a reparse point (IO_REPARSE_TAG_SYMLINK) to an SMB client: lstat shows
a link, readlink the target, and the kernel follows it (a relative target resolves through the mount, an
absolute one on the local machine, as any symlink on a network file system). `ln -s` through the mount makes
one with FSCTL_SET_REPARSE_POINT, which Samba keeps in the user.SmbReparse extended attribute of a small
file: every SMB client sees the link. Run in every cache mode; test_symlinks.py covers mfsymlinks, and the
4.17 refusal without them."""
import errno
import os
import subprocess

import pytest

from test_posix import pmount, pmnt  # noqa: F401 (fixtures)


def test_server_made_links_read_as_links(pmnt):
    b = pmnt.backing
    (b / "target").write_text("hello")
    (b / "dir").mkdir()
    (b / "dir" / "inner").write_text("in")
    os.symlink("target", b / "rel")
    os.symlink("/etc/hostname", b / "abs")
    os.symlink("dir", b / "dirlink")
    os.symlink("missing", b / "dangling")
    for b_ in (b / "target", b / "dir", b / "dir" / "inner"):
        os.chown(b_, pmnt.server.uid, pmnt.server.gid)
    p = pmnt.path
    for name, target in (("rel", "target"), ("abs", "/etc/hostname"), ("dirlink", "dir"), ("dangling", "missing")):
        assert os.path.islink(p / name), name
        assert os.readlink(p / name) == target
    assert (p / "rel").read_text() == "hello"
    assert (p / "abs").read_text() == open("/etc/hostname").read()  # followed on this machine, not the server
    assert os.listdir(p / "dirlink") == ["inner"]
    with pytest.raises(FileNotFoundError):
        os.stat(p / "dangling")
    with pytest.raises(OSError) as e:
        os.open(p / "rel", os.O_RDONLY | os.O_NOFOLLOW)
    assert e.value.errno == errno.ELOOP
    ls = subprocess.run(["ls", "-l", str(p)], capture_output=True, text=True, check=True).stdout
    assert "rel -> target" in ls and "abs -> /etc/hostname" in ls
    with pytest.raises(OSError) as e:
        os.readlink(p / "target")
    assert e.value.errno == errno.EINVAL


def test_ln_s_makes_a_link_every_client_sees(pmount):
    a, b = pmount(), pmount()
    (a.path / "target").write_text("data")
    os.symlink("target", a.path / "rel")
    os.symlink("/etc/hostname", a.path / "abs")
    subprocess.run(["ln", "-s", "sub/deeper", str(a.path / "viacmd")], check=True)
    for m in (a, b):
        assert os.readlink(m.path / "rel") == "target"
        assert os.readlink(m.path / "abs") == "/etc/hostname"
        assert os.readlink(m.path / "viacmd") == "sub/deeper"
        assert (m.path / "rel").read_text() == "data"
    # What Samba keeps: the reparse point in an extended attribute of a small regular file.
    assert not os.path.islink(a.backing / "rel")
    assert os.getxattr(a.backing / "rel", "user.SmbReparse")[:4] == (0xA000000C).to_bytes(4, "little")
    # symlink(2) never replaces, and rm removes the link, not its target.
    with pytest.raises(FileExistsError):
        os.symlink("other", a.path / "rel")
    assert os.readlink(b.path / "rel") == "target"
    os.unlink(a.path / "rel")
    assert not (a.backing / "rel").exists() and (a.backing / "target").read_text() == "data"
    assert not os.path.lexists(a.path / "rel")


def test_tar_of_a_tree_with_links_round_trips(pmnt, tmp_path):
    src = tmp_path / "src"
    (src / "lib").mkdir(parents=True)
    (src / "lib" / "libfoo.so.1").write_bytes(b"\x7fELF")
    os.symlink("libfoo.so.1", src / "lib" / "libfoo.so")
    os.symlink("../lib", src / "up")
    subprocess.run(["tar", "-cf", str(tmp_path / "t.tar"), "-C", str(src), "."], check=True)
    # Not the owners: the server runs as its test user and may not give files to root (test_posix.py).
    subprocess.run(["tar", "-xpf", str(tmp_path / "t.tar"), "--no-same-owner", "-C", str(pmnt.path)], check=True)
    assert os.readlink(pmnt.path / "lib" / "libfoo.so") == "libfoo.so.1"
    assert os.readlink(pmnt.path / "up") == "../lib"
    assert (pmnt.path / "lib" / "libfoo.so").read_bytes() == b"\x7fELF"
    r = subprocess.run(["diff", "-r", "--no-dereference", str(src), str(pmnt.path)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_links_made_here_are_links_without_the_extensions(pmount):
    # A mount without the extensions (noposix: as Windows or an SMB client without them sees the share)
    # gets the reparse point made by `ln -s` as a symlink: the listing's EaSize carries the reparse tag of
    # an entry with FILE_ATTRIBUTE_REPARSE_POINT (MS-FSCC 2.4.18), a stat asks the point itself, and
    # readlink is FSCTL_GET_REPARSE_POINT, as with them.
    a = pmount()
    plain = pmount(opts={"noposix": None})
    (a.path / "target").write_text("data")
    os.symlink("target", a.path / "rel")
    os.symlink("/etc/hostname", a.path / "abs")
    os.mkdir(a.path / "dir")
    os.symlink("dir", a.path / "dirlink")
    p = plain.path
    ls = subprocess.run(["ls", "-l", str(p)], capture_output=True, text=True, check=True).stdout
    assert "rel -> target" in ls and "abs -> /etc/hostname" in ls and "dirlink -> dir" in ls, ls
    for name, target in (("rel", "target"), ("abs", "/etc/hostname"), ("dirlink", "dir")):
        assert os.path.islink(p / name), name
        assert os.readlink(p / name) == target
    assert (p / "rel").read_text() == "data"
    assert not os.path.islink(p / "target") and os.path.isdir(p / "dirlink")
    with pytest.raises(OSError) as e:
        os.readlink(p / "target")
    assert e.value.errno == errno.EINVAL
    os.unlink(p / "rel")
    assert not os.path.lexists(p / "rel") and not os.path.lexists(a.backing / "rel")
    assert (a.backing / "target").read_text() == "data"
