"""Hard links on every server (issue 11): link(2) through the mount, checked against the server's disk.

Each test runs over SMB2 and SMB1 in every cache mode (any_mnt, conftest.py). The two names of a file must
be one inode to the kernel (same st_ino, one page cache), with the link count the server keeps.
"""
import errno
import os
import subprocess

import pytest

pytestmark = pytest.mark.timeout(120)


def test_ln_makes_one_file_with_two_names(any_mnt):
    m = any_mnt
    (m.path / "a").write_text("one")
    os.link(m.path / "a", m.path / "b")
    da, db = os.stat(m.backing / "a"), os.stat(m.backing / "b")
    assert da.st_ino == db.st_ino and da.st_nlink == 2
    sa, sb = os.stat(m.path / "a"), os.stat(m.path / "b")
    assert sa.st_ino == sb.st_ino
    assert sa.st_nlink == sb.st_nlink == 2
    # ls -l after the link: the listing carries no link count, the mount remembers it.
    out = subprocess.run(["ls", "-l", str(m.path)], capture_output=True, text=True, check=True).stdout
    counts = {l.split()[-1]: l.split()[1] for l in out.splitlines()[1:]}
    assert counts == {"a": "2", "b": "2"}


def test_write_through_one_name_read_through_the_other(any_mnt):
    m = any_mnt
    (m.path / "a").write_text("old")
    os.link(m.path / "a", m.path / "b")
    assert (m.path / "b").read_text() == "old"
    with open(m.path / "a", "w") as f:
        f.write("new contents")
    assert (m.path / "b").read_text() == "new contents"
    assert os.stat(m.path / "b").st_size == len("new contents")
    assert (m.backing / "b").read_text() == "new contents"


def test_rm_one_name_leaves_the_other(any_mnt):
    m = any_mnt
    (m.path / "a").write_text("kept")
    os.link(m.path / "a", m.path / "b")
    assert os.stat(m.path / "b").st_nlink == 2
    os.unlink(m.path / "a")
    assert not (m.backing / "a").exists()
    assert (m.path / "b").read_text() == "kept"
    assert os.stat(m.path / "b").st_nlink == 1 == os.stat(m.backing / "b").st_nlink
    assert sorted(os.listdir(m.path)) == ["b"]
    # The remaining name is a full name: rename and unlink it.
    os.rename(m.path / "b", m.path / "c")
    assert (m.path / "c").read_text() == "kept" and (m.backing / "c").read_text() == "kept"
    os.unlink(m.path / "c")
    assert os.listdir(m.backing) == []


def test_rm_the_link_leaves_the_original(any_mnt):
    m = any_mnt
    (m.path / "a").write_text("orig")
    os.link(m.path / "a", m.path / "b")
    os.unlink(m.path / "b")
    assert (m.path / "a").read_text() == "orig"
    assert os.stat(m.path / "a").st_nlink == 1
    assert os.listdir(m.backing) == ["a"]


def test_ln_onto_an_existing_name_is_eexist(any_mnt):
    m = any_mnt
    (m.path / "a").write_text("a")
    (m.backing / "b").write_text("b")  # made on the server: the kernel has not seen it yet
    with pytest.raises(OSError) as e:
        os.link(m.path / "a", m.path / "b")
    assert e.value.errno == errno.EEXIST
    assert (m.backing / "b").read_text() == "b" and os.stat(m.backing / "a").st_nlink == 1


def test_ln_of_a_directory_is_eperm(any_mnt):
    m = any_mnt
    (m.path / "d").mkdir()
    with pytest.raises(OSError) as e:
        os.link(m.path / "d", m.path / "e")
    assert e.value.errno == errno.EPERM
    assert not (m.backing / "e").exists()


def test_ln_across_directories_and_rename_of_a_link(any_mnt):
    m = any_mnt
    (m.path / "x").mkdir()
    (m.path / "y").mkdir()
    (m.path / "x/f").write_text("shared")
    os.link(m.path / "x/f", m.path / "y/g")
    assert os.stat(m.backing / "y/g").st_ino == os.stat(m.backing / "x/f").st_ino
    assert os.stat(m.path / "y/g").st_ino == os.stat(m.path / "x/f").st_ino
    os.rename(m.path / "y/g", m.path / "y/h")
    with open(m.path / "y/h", "a") as f:
        f.write("+more")
    assert (m.path / "x/f").read_text() == "shared+more"
    assert os.stat(m.path / "x/f").st_size == len("shared+more")
    os.unlink(m.path / "x/f")
    assert (m.path / "y/h").read_text() == "shared+more"
    assert os.stat(m.path / "y/h").st_nlink == 1
    subprocess.run(["rm", "-r", str(m.path / "x"), str(m.path / "y")], check=True)
    assert os.listdir(m.backing) == []


def test_link_made_on_the_server_is_one_inode_after_stat(any_mnt):
    m = any_mnt
    (m.backing / "a").write_text("s")
    os.link(m.backing / "a", m.backing / "b")
    sa, sb = os.stat(m.path / "a"), os.stat(m.path / "b")
    assert sa.st_ino == sb.st_ino and sa.st_nlink == sb.st_nlink == 2


def test_two_names_are_one_inode_to_the_kernel(any_mount):
    # With noserverino st_ino is the nodeid: equal only if both names are one node (one page cache).
    m = any_mount(opts={"noserverino": True})
    (m.path / "a").write_text("x")
    os.link(m.path / "a", m.path / "b")
    assert os.stat(m.path / "a").st_ino == os.stat(m.path / "b").st_ino
    os.unlink(m.path / "a")
    os.link(m.path / "b", m.path / "c")
    assert os.stat(m.path / "b").st_ino == os.stat(m.path / "c").st_ino
