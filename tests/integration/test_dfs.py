# SPDX-License-Identifier: GPL-2.0-or-later
"""DFS (doc/DFS.md): a mount source behind a link of a standalone namespace is mounted from the link's
target, and links below a mounted namespace root are followed. Three names on loopback, one port (a
referral carries no port): 127.0.0.1 serves [dfsroot] (msdfs root = yes) with links to [share2] on
127.0.0.2; the link "two" names first 127.0.0.9, where nothing listens, then 127.0.0.2 (failover); "ll"
names the link "link" (a link to a link); "moving" names [share3] or [share2], changed by a test; "loop"
names itself. Files are checked in the target's backing directory.

Every test runs over SMB2/3 and over SMB1 (`dialect`: vers=1.0, TRANS2_GET_DFS_REFERRAL, the tree connect's
SMB_SHARE_IS_IN_DFS): the servers also speak NT1, and each mount is checked to speak what it should."""
import errno
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

import smbfixture as sf

CACHE_MODES = ["strict", "loose", "none"]
DIALECTS = {"smb2": {}, "smb1": {"vers": "1.0"}}
NT1 = {"server min protocol": "NT1"}


class Dfs(tuple):
    """(root, target), and the mount options of the dialect under test."""
    opts = {}


@pytest.fixture(params=sorted(DIALECTS))
def dfs(request, dfs_servers):
    d = Dfs(dfs_servers)
    d.opts = DIALECTS[request.param]
    return d


@pytest.fixture(scope="module")
def dfs_servers(samba_server):
    # samba_server only for its skips (no smbd, not root).
    yield from namespace(NT1)


@pytest.fixture(scope="module")
def dfs_nt1_only(samba_server):
    """The same namespace on smbds that speak nothing but SMB1."""
    yield from namespace({**NT1, "server max protocol": "NT1"})


def namespace(protocols):
    # Not under the 0700 basetemp: smbd works as the test user and must reach the shares
    # (conftest.samba_server).
    base = Path(tempfile.mkdtemp(prefix="smbfuse-dfs-"))
    base.chmod(0o755)
    port = sf.free_port()
    # "127.0.0.2/8": smbd binds an address only of an interface it knows, and lo has 127.0.0.1/8.
    target = sf.SambaServer(base / "target", port=port, address="127.0.0.2",
                            options={"interfaces": "127.0.0.2/8", **protocols}, extra_shares={"share2": {}, "share3": {}})
    root = sf.SambaServer(base / "root", port=port, options={"host msdfs": "yes", **protocols},
                          extra_shares={"dfsroot": {"msdfs root": "yes"}})
    target.start()
    try:
        d = root.shares["dfsroot"]
        d.mkdir(parents=True, exist_ok=True)
        os.symlink("msdfs:127.0.0.2\\share2", d / "link")
        os.symlink("msdfs:127.0.0.9\\share2,127.0.0.2\\share2", d / "two")
        os.symlink("msdfs:127.0.0.1\\dfsroot\\link", d / "ll")
        os.symlink("msdfs:127.0.0.2\\share3", d / "moving")
        os.symlink("msdfs:127.0.0.1\\dfsroot\\loop", d / "loop")
        (d / "rootfile.txt").write_text("in the root\n")
        os.chown(d / "rootfile.txt", root.uid, root.gid)
        for sh in ("share3",):
            target.shares[sh].mkdir(parents=True, exist_ok=True)
            os.chown(target.shares[sh], target.uid, target.gid)
            (target.shares[sh] / "which").write_text(sh + "\n")
        sub = target.shares["share2"]
        sub.mkdir(parents=True, exist_ok=True)
        (sub / "sub").mkdir(exist_ok=True)
        (sub / "sub" / "f.txt").write_text("hello\n")
        (sub / "which").write_text("share2\n")
        os.chown(sub, target.uid, target.gid)
        os.chown(sub / "sub", target.uid, target.gid)
        root.start()
    except BaseException:
        target.stop()
        raise
    yield root, target
    root.stop()
    target.stop()
    bad = root.suspicious_log_lines() + target.suspicious_log_lines()
    assert not bad, "suspicious smbd log lines:\n" + "\n".join(bad[:20])
    shutil.rmtree(base, ignore_errors=True)


def dfs_stat(m, name):
    """One counter of the mount's user.smbfuse.stats."""
    raw = os.getxattr(m.path, "user.smbfuse.stats").decode()
    return int(dict(line.split(" ", 1) for line in raw.splitlines() if " " in line)[name])


def dfs_mount(mount, dfs, source, opts=None):
    root, _ = dfs
    m = mount(srv=root, share="dfsroot", per_test_dir=False, opts={**dfs.opts, **(opts or {})}, source=source)
    assert ("with SMB1 (NT LM 0.12)" in m.stderr()) == ("vers" in dfs.opts), m.stderr()
    return m


@pytest.mark.parametrize("cache", CACHE_MODES)
def test_mount_through_link(mount, dfs, cache):
    _, target = dfs
    m = dfs_mount(mount, dfs, "//127.0.0.1/dfsroot/link", {"cache": cache})
    back = target.shares["share2"]
    assert "sub" in os.listdir(m.path)
    assert (m.path / "sub" / "f.txt").read_text() == "hello\n"
    name = f"w-{cache}.txt"
    (m.path / "sub" / name).write_text("through the link\n")
    assert (back / "sub" / name).read_text() == "through the link\n"
    (back / "sub" / name).write_text("changed at the target\n")
    if cache != "loose":  # loose may show the old data for actimeo
        assert (m.path / "sub" / name).read_text() == "changed at the target\n"
    os.unlink(m.path / "sub" / name)
    assert not (back / "sub" / name).exists()


def test_dfs_path_below_link(mount, dfs):
    m = dfs_mount(mount, dfs, "//127.0.0.1/dfsroot/link/sub")
    assert os.listdir(m.path) == ["f.txt"]
    assert (m.path / "f.txt").read_text() == "hello\n"


def test_failover_to_second_target(mount, dfs):
    _, target = dfs
    m = dfs_mount(mount, dfs, "//127.0.0.1/dfsroot/two/sub")
    assert (m.path / "f.txt").read_text() == "hello\n"
    (m.path / "fo.txt").write_text("second target\n")
    assert (target.shares["share2"] / "sub" / "fo.txt").read_text() == "second target\n"
    os.unlink(m.path / "fo.txt")
    err = m.stderr()
    assert "127.0.0.9\\share2" in err and "trying \\\\127.0.0.2\\share2" in err


def test_nodfs_fails_as_server_presents_it(tmp_path, dfs, smbfuse_bin):
    root, _ = dfs
    m = sf.Mount(root, tmp_path / "mnt", share="dfsroot", source="//127.0.0.1/dfsroot/link",
                 opts={"nodfs": None, **dfs.opts}, binary=smbfuse_bin, workdir=tmp_path)
    with pytest.raises(sf.MountFailed) as e:
        m.start(timeout=30)
    m.kill()
    assert "is a DFS link (STATUS_PATH_NOT_COVERED), not followed with nodfs" in str(e.value)
    assert m.proc.returncode == 32


def test_nodfs_root_links_fail_as_server_presents_them(mount, dfs):
    """nodfs on the namespace root: the links are listed as the server presents them, and entering one
    fails with EREMOTE (today's behaviour before links were followed)."""
    m = dfs_mount(mount, dfs, "//127.0.0.1/dfsroot", {"nodfs": None})
    assert {"link", "two", "ll", "moving"} <= set(os.listdir(m.path))
    with pytest.raises(OSError) as e:
        os.listdir(m.path / "link")
    assert e.value.errno == errno.EREMOTE


def test_root_shows_links_as_directories(mount, dfs):
    m = dfs_mount(mount, dfs, "//127.0.0.1/dfsroot")
    assert sorted(os.listdir(m.path)) == ["link", "ll", "loop", "moving", "rootfile.txt", "two"]
    for name in ("link", "two", "ll", "moving"):
        assert (m.path / name).is_dir()
    # The listing after a lookup agrees with it (the link's entry is its target's directory).
    with os.scandir(m.path) as it:
        kinds = {e.name: e.is_dir(follow_symlinks=False) for e in it}
    del kinds["loop"]
    assert kinds == {"link": True, "ll": True, "moving": True, "two": True, "rootfile.txt": False}


@pytest.mark.parametrize("cache", CACHE_MODES)
def test_cd_into_link(mount, dfs, cache):
    """A namespace root mounted, a link entered: read, write, list, create, rename and remove within it,
    each checked in the target's backing directory."""
    _, target = dfs
    back = target.shares["share2"] / "sub"
    m = dfs_mount(mount, dfs, "//127.0.0.1/dfsroot", {"cache": cache})
    link = m.path / "link"
    assert "sub" in os.listdir(link)
    assert (link / "sub" / "f.txt").read_text() == "hello\n"
    d = link / "sub" / f"cd-{cache}"
    d.mkdir()
    assert (back / f"cd-{cache}").is_dir()
    (d / "a.txt").write_text("written in the link\n")
    assert (back / f"cd-{cache}" / "a.txt").read_text() == "written in the link\n"
    with open(d / "a.txt", "r+") as f:
        f.seek(8)
        f.write("IN")
    assert (back / f"cd-{cache}" / "a.txt").read_text() == "written IN the link\n"
    os.rename(d / "a.txt", d / "b.txt")
    assert sorted(os.listdir(back / f"cd-{cache}")) == ["b.txt"]
    assert os.listdir(d) == ["b.txt"]
    assert (d / "b.txt").stat().st_size == len("written IN the link\n")
    os.unlink(d / "b.txt")
    os.rmdir(d)
    assert not (back / f"cd-{cache}").exists()
    # The same file through the link and through a link to that link (ll names \\127.0.0.1\dfsroot\link:
    # two referrals).
    assert (m.path / "ll" / "sub" / "f.txt").read_text() == "hello\n"
    # The referral cache: once found, a link costs no referral however often it is used.
    assert dfs_stat(m, "dfs_referrals") == 3 and dfs_stat(m, "dfs_links") == 2
    for i in range(20):
        assert (link / "sub" / "f.txt").stat().st_size == 6
        assert "f.txt" in os.listdir(m.path / "ll" / "sub")
    assert dfs_stat(m, "dfs_referrals") == 3


def test_link_inode_numbers_do_not_collide(mount, dfs):
    """st_ino behind a link is the target's file id with the tree's tag (1: the first target share
    connected) in its top byte, so it cannot equal a root file's."""
    root, target = dfs
    m = dfs_mount(mount, dfs, "//127.0.0.1/dfsroot")
    f = m.path / "link" / "sub" / "f.txt"
    got = f.stat().st_ino
    assert got == (target.shares["share2"] / "sub" / "f.txt").stat().st_ino ^ (1 << 56)
    assert (m.path / "rootfile.txt").stat().st_ino == (root.shares["dfsroot"] / "rootfile.txt").stat().st_ino
    with os.scandir(m.path / "link" / "sub") as it:
        assert [e.inode() for e in it if e.name == "f.txt"] == [got]


def test_rename_from_root_into_link_is_exdev(mount, dfs):
    root, target = dfs
    m = dfs_mount(mount, dfs, "//127.0.0.1/dfsroot")
    src = m.path / "mv-me.txt"
    src.write_text("moving across\n")
    with pytest.raises(OSError) as e:
        os.rename(src, m.path / "link" / "sub" / "mv-me.txt")
    assert e.value.errno == errno.EXDEV
    with pytest.raises(OSError) as e:
        os.link(src, m.path / "link" / "sub" / "mv-me.txt")
    assert e.value.errno == errno.EXDEV
    # mv falls back to copy and unlink.
    subprocess.run(["mv", str(src), str(m.path / "link" / "sub" / "mv-me.txt")], check=True)
    back = target.shares["share2"] / "sub" / "mv-me.txt"
    assert back.read_text() == "moving across\n"
    assert not (root.shares["dfsroot"] / "mv-me.txt").exists()
    os.unlink(m.path / "link" / "sub" / "mv-me.txt")
    # The link itself is no file of the root's to remove or move.
    with pytest.raises(OSError) as e:
        os.rename(m.path / "link", m.path / "renamed")
    assert e.value.errno == errno.EBUSY
    assert os.path.islink(root.shares["dfsroot"] / "link")


def test_link_to_itself_is_eloop(mount, dfs):
    m = dfs_mount(mount, dfs, "//127.0.0.1/dfsroot")
    with pytest.raises(OSError) as e:
        os.stat(m.path / "loop")
    assert e.value.errno == errno.ELOOP
    assert (m.path / "link" / "sub" / "f.txt").read_text() == "hello\n"  # the others still work
    assert "more than 4 DFS referrals" in m.stderr()


def test_link_failover_inside_mount(mount, dfs):
    _, target = dfs
    m = dfs_mount(mount, dfs, "//127.0.0.1/dfsroot")
    assert (m.path / "two" / "sub" / "f.txt").read_text() == "hello\n"
    (m.path / "two" / "sub" / "fo2.txt").write_text("second target\n")
    assert (target.shares["share2"] / "sub" / "fo2.txt").read_text() == "second target\n"
    os.unlink(m.path / "two" / "sub" / "fo2.txt")
    err = m.stderr()
    assert "127.0.0.9\\share2 failed" in err and "trying \\127.0.0.2\\share2" in err


@pytest.fixture
def first_target(dfs):
    """The link "fo" of the namespace: first 127.0.0.3's [share2] (a server of this test's own, on the
    namespace's port, its share holding "which" = "first"), then 127.0.0.2's [share2]."""
    root, _ = dfs
    base = Path(tempfile.mkdtemp(prefix="smbfuse-dfs-fo-"))
    base.chmod(0o755)  # smbd works as the test user (namespace())
    srv = sf.SambaServer(base / "first", port=root.port, address="127.0.0.3",
                         options={"interfaces": "127.0.0.3/8", **NT1}, extra_shares={"share2": {}})
    back = srv.shares["share2"]
    back.mkdir(parents=True, exist_ok=True)
    (back / "which").write_text("first\n")
    os.chown(back, srv.uid, srv.gid)
    srv.start()
    lnk = root.shares["dfsroot"] / "fo"
    os.symlink("msdfs:127.0.0.3\\share2,127.0.0.2\\share2", lnk)
    try:
        yield srv
    finally:
        os.unlink(lnk)
        srv.stop()
        shutil.rmtree(base, ignore_errors=True)


@pytest.mark.parametrize("cache", CACHE_MODES)
def test_bound_link_fails_over_when_its_target_goes_down(mount, dfs, first_target, cache):
    """MS-DFSC 3.1.5.2 after binding: the link's target dies; the next access through the link asks the
    referral again and is served by the second target at once, long before the referral's TTL (600 s)."""
    _, target = dfs
    m = dfs_mount(mount, dfs, "//127.0.0.1/dfsroot", {"cache": cache, "timeout": "3"})
    assert (m.path / "fo" / "which").read_text() == "first\n"  # bound to 127.0.0.3
    before = dfs_stat(m, "dfs_failovers")
    (target.shares["share2"] / "only2.txt").write_text("second\n")
    try:
        # The whole server: its listener and the child serving the mount (its own process group).
        os.killpg(first_target.proc.pid, signal.SIGKILL)
        first_target.proc.wait(10)
        t0 = time.monotonic()
        assert (m.path / "fo" / "only2.txt").read_text() == "second\n"
        took = time.monotonic() - t0
        assert took < 8, f"the failover took {took:.1f} s"
        assert "only2.txt" in os.listdir(m.path / "fo")
        (m.path / "fo" / "fo-w.txt").write_text("after the failover\n")
        assert (target.shares["share2"] / "fo-w.txt").read_text() == "after the failover\n"
        os.unlink(m.path / "fo" / "fo-w.txt")
        t0 = time.monotonic()
        os.stat(m.path / "fo" / "sub")  # the route now names the live target: no wait for the dead one
        assert time.monotonic() - t0 < 2
    finally:
        os.unlink(target.shares["share2"] / "only2.txt")
    assert dfs_stat(m, "dfs_failovers") == before + 1  # one link failed over, once
    assert "the target of /fo is unreachable" in m.stderr(), m.stderr()
    # The dead server spoke SMB1 to this mount: a reconnect's reset is not a refusal of SMB1.
    assert "speaks only SMB2" not in m.stderr(), m.stderr()


def test_referral_ttl_then_new_target(mount, dfs):
    """A referral changed on the server: kept for dfsttl=5 s, then the next lookup follows the new one."""
    root, _ = dfs
    m = dfs_mount(mount, dfs, "//127.0.0.1/dfsroot", {"dfsttl": "5", "cache": "none"})
    which = m.path / "moving" / "which"
    t0 = time.monotonic()
    assert which.read_text() == "share3\n"
    lnk = root.shares["dfsroot"] / "moving"
    try:
        os.unlink(lnk)
        os.symlink("msdfs:127.0.0.2\\share2", lnk)
        if time.monotonic() - t0 < 4:
            assert which.read_text() == "share3\n"  # within the TTL: the old target
        sf.wait_until(lambda: which.read_text() == "share2\n", timeout=20, what="the new target")
        assert time.monotonic() - t0 >= 4.5  # not before the TTL (from the first read on)
    finally:
        os.unlink(lnk)
        os.symlink("msdfs:127.0.0.2\\share3", lnk)


def test_smb1_only_servers_without_vers(mount, dfs_nt1_only):
    """Servers that speak only SMB1 and no vers=: the mount, the referral sessions and the target trees
    fall back to SMB1 (each with its warning); a source behind a link and a link below the root work."""
    root, target = dfs_nt1_only
    m = mount(srv=root, share="dfsroot", per_test_dir=False, source="//127.0.0.1/dfsroot/link/sub")
    assert (m.path / "f.txt").read_text() == "hello\n"
    err = m.stderr()
    assert "127.0.0.1 speaks only SMB1: using it to follow DFS referrals" in err, err
    assert "connected to 127.0.0.2 with SMB1 (NT LM 0.12)" in err, err
    m = mount(srv=root, share="dfsroot", per_test_dir=False, source="//127.0.0.1/dfsroot")
    (m.path / "link" / "sub" / "nt1.txt").write_text("only SMB1\n")
    assert (target.shares["share2"] / "sub" / "nt1.txt").read_text() == "only SMB1\n"
    assert (m.path / "ll" / "sub" / "f.txt").read_text() == "hello\n"
    os.unlink(m.path / "link" / "sub" / "nt1.txt")
    assert not (target.shares["share2"] / "sub" / "nt1.txt").exists()
    assert dfs_stat(m, "dfs_referrals") == 3
    assert "connected to 127.0.0.2 with SMB1 (NT LM 0.12)" in m.stderr()
