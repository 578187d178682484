"""Names Windows and SMB cannot store (issue namespace, item 5).

By default smbfuse stores : ? * " < > | \\ , control characters and a trailing period or space as code points
of the Unicode private use area (the SFM mapping of macOS, Samba's vfs_fruit/vfs_catia and mount.cifs's
mapposix), and maps them back in listings. The Samba under test runs without catia, so its disk shows the
private-use characters: that is what these tests check besides what the mount says. Each test runs over SMB2
and SMB1 in every cache mode (any_mnt, conftest.py).
"""
import errno
import os
import subprocess
import time

import pytest

import smbfixture as sf

pytestmark = pytest.mark.timeout(240)

SFM = {'"': "\uf020", "*": "\uf021", ":": "\uf022", "<": "\uf023", ">": "\uf024", "?": "\uf025",
       "\\": "\uf026", "|": "\uf027"}
NAMES = ["backup:2026", "Makefile?", "a*b", 'x"y', "<t>", "p|q", "back\\slash", "trail.", "trail ", "c\x01d"]


def sfm(name):
    """What the server stores for name (one component) under the default mapping."""
    s = "".join(SFM.get(c, chr(0xF000 + ord(c)) if 1 <= ord(c) <= 0x1F else c) for c in name)
    if s[-1:] == " ":
        s = s[:-1] + "\uf028"
    elif s[-1:] == ".":
        s = s[:-1] + "\uf029"
    return s


def watches_started(m):
    out = subprocess.run([str(m.binary), "--stats", str(m.root)], capture_output=True, text=True, timeout=10,
                         check=True).stdout
    return int(dict(line.split() for line in out.splitlines()).get("notify.watches_started", 0))


def test_reserved_names_are_stored_mapped_and_listed_as_created(any_mnt):
    m = any_mnt
    for n in NAMES:
        (m.path / n).write_text(n)
    assert sorted(os.listdir(m.path)) == sorted(NAMES)
    assert sorted(os.listdir(m.backing)) == sorted(sfm(n) for n in NAMES)
    for n in NAMES:
        assert (m.path / n).read_text() == n
        assert (m.backing / sfm(n)).read_text() == n
        assert os.stat(m.path / n).st_size == len(n.encode())


def test_namespace_operations_on_mapped_names(any_mnt):
    m = any_mnt
    d = m.path / "dir:1"
    d.mkdir()
    (d / "f?").write_text("x")
    assert os.listdir(m.backing / "dir\uf0221") == ["f\uf025"]
    os.rename(d / "f?", d / "g*.")
    assert os.listdir(d) == ["g*."]
    assert os.listdir(m.backing / "dir\uf0221") == ["g\uf021\uf029"]
    os.rename(d, m.path / "<dir>")
    assert os.listdir(m.backing) == ["\uf023dir\uf024"]
    assert (m.path / "<dir>" / "g*.").read_text() == "x"
    assert not d.exists()
    os.mkdir(m.path / "<dir>" / "sub|")
    (m.path / "<dir>" / "sub|" / 'q"').write_text("y")
    assert os.path.isfile(m.backing / "\uf023dir\uf024" / "sub\uf027" / "q\uf020")
    os.unlink(m.path / "<dir>" / "sub|" / 'q"')
    os.rmdir(m.path / "<dir>" / "sub|")
    os.unlink(m.path / "<dir>" / "g*.")
    os.rmdir(m.path / "<dir>")
    assert os.listdir(m.backing) == [] and os.listdir(m.path) == []


def test_private_use_names_on_disk_list_as_ascii(any_mnt):
    m = any_mnt
    m.disk_write("on\uf022disk\uf029", "1")
    # Not what the mapping produces (U+F028 only ever ends a name): shown as it is.
    m.disk_write("mid\uf028dle", "2")
    m.disk_mkdir("d\uf021")
    assert sorted(os.listdir(m.path)) == sorted(["on:disk.", "mid\uf028dle", "d*"])
    assert (m.path / "on:disk.").read_text() == "1"
    assert (m.path / "mid\uf028dle").read_text() == "2"
    assert os.path.isdir(m.path / "d*")


def test_notified_names_are_mapped_back(any_mount):
    # With a long attribute time in a watched directory (strict, loose), only the server's change
    # notification naming the entry drops its attributes: "n?", mapped back from U+F025, is the right one.
    # cache=none, which caches nothing, is the control.
    m = any_mount(opts={"actimeo": 60})
    (m.path / "n?").write_text("z")
    os.listdir(m.path)
    assert os.stat(m.path / "n?").st_size == 1
    if any_mount.cache != "none":
        # The watch is armed after the listing, asynchronously: a change made before would go unseen.
        sf.wait_until(lambda: watches_started(m) >= 1, 10, what="the directory's watch")
        time.sleep(0.2)
    with open(m.backing / "n\uf025", "a") as f:
        f.write("more")
    sf.wait_until(lambda: os.stat(m.path / "n?").st_size == 5, 10, what="n? grown after the notification")
    assert (m.path / "n?").read_text() == "zmore"


def test_subdir_of_the_mount_source_is_mapped(any_mount, any_server):
    kind = f"{any_mount.dialect}-{any_mount.cache}"
    disk = any_server.backing / f"names:{kind}"
    disk = disk.with_name(sfm(disk.name))
    disk.mkdir(exist_ok=True)
    os.chown(disk, any_server.uid, any_server.gid)
    m = any_mount(subdir=f"names:{kind}")
    (m.path / "f").write_text("in")
    assert (disk / "f").read_text() == "in"
    os.unlink(m.path / "f")


def test_nomapposix_refuses_reserved_characters(any_mount):
    m = any_mount(opts={"nomapposix": True})
    (m.path / "ok").write_text("o")
    ops = (lambda p: p.write_text("x"), os.mkdir, os.stat, os.unlink, os.rmdir, os.listdir,
           lambda p: os.rename(m.path / "ok", p))
    # A trailing period or space would be created, then listed under a mangled 8.3 name: refused too.
    for name in ("backup:2026", "Makefile?", "a*b", 'x"y', "<t>", "p|q", "back\\slash", "trail.", "trail "):
        for op in ops:
            with pytest.raises(OSError) as e:
                op(m.path / name)
            assert e.value.errno == errno.EINVAL, (name, e.value)
    assert os.listdir(m.backing) == ["ok"]
    # Private-use names on disk are not mapped back either.
    m.disk_write("raw\uf022", "r")
    assert sorted(os.listdir(m.path)) == ["ok", "raw\uf022"]


def test_mapchars_uses_the_sfu_mapping(any_mount):
    m = any_mount(opts={"mapchars": True})
    for n in ("a:b", "c*", "d?", "<e>", "f|", "g\\h"):
        (m.path / n).write_text(n)
    assert sorted(os.listdir(m.backing)) == sorted(
        "".join(chr(0xF000 | ord(c)) if c in ':*?<>|\\' else c for c in n)
        for n in ("a:b", "c*", "d?", "<e>", "f|", "g\\h"))
    assert sorted(os.listdir(m.path)) == sorted(["a:b", "c*", "d?", "<e>", "f|", "g\\h"])
    for n in ('q"', "trail."):  # not in the SFU set
        with pytest.raises(OSError) as e:
            (m.path / n).write_text("x")
        assert e.value.errno == errno.EINVAL
