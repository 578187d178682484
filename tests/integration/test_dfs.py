# SPDX-License-Identifier: GPL-2.0-or-later
"""DFS (doc/DFS.md): a mount source behind a link of a standalone namespace is mounted from the link's
target. Three names on loopback, one port (a referral carries no port): 127.0.0.1 serves [dfsroot]
(msdfs root = yes) with links to [share2] on 127.0.0.2; the link "two" names first 127.0.0.9, where
nothing listens, then 127.0.0.2 (failover). Files are checked in the target's backing directory."""
import errno
import os
import shutil
import tempfile
from pathlib import Path

import pytest

import smbfixture as sf

CACHE_MODES = ["strict", "loose", "none"]


@pytest.fixture(scope="module")
def dfs(samba_server):
    # samba_server only for its skips (no smbd, not root). Not under the 0700 basetemp: smbd works as the
    # test user and must reach the shares (conftest.samba_server).
    base = Path(tempfile.mkdtemp(prefix="smbfuse-dfs-"))
    base.chmod(0o755)
    port = sf.free_port()
    # "127.0.0.2/8": smbd binds an address only of an interface it knows, and lo has 127.0.0.1/8.
    target = sf.SambaServer(base / "target", port=port, address="127.0.0.2",
                            options={"interfaces": "127.0.0.2/8"}, extra_shares={"share2": {}})
    root = sf.SambaServer(base / "root", port=port, options={"host msdfs": "yes"},
                          extra_shares={"dfsroot": {"msdfs root": "yes"}})
    target.start()
    try:
        d = root.shares["dfsroot"]
        d.mkdir(parents=True, exist_ok=True)
        os.symlink("msdfs:127.0.0.2\\share2", d / "link")
        os.symlink("msdfs:127.0.0.9\\share2,127.0.0.2\\share2", d / "two")
        sub = target.shares["share2"]
        sub.mkdir(parents=True, exist_ok=True)
        (sub / "sub").mkdir(exist_ok=True)
        (sub / "sub" / "f.txt").write_text("hello\n")
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


def dfs_mount(mount, dfs, source, opts=None):
    root, _ = dfs
    return mount(srv=root, share="dfsroot", per_test_dir=False, opts=opts, source=source)


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
                 opts={"nodfs": None}, binary=smbfuse_bin, workdir=tmp_path)
    with pytest.raises(sf.MountFailed) as e:
        m.start(timeout=30)
    m.kill()
    assert "is a DFS link (STATUS_PATH_NOT_COVERED), not followed with nodfs" in str(e.value)
    assert m.proc.returncode == 32


def test_root_shows_links_as_directories(mount, dfs):
    """Mounting the namespace root itself: the links are listed as the server presents them, and
    entering one fails with EREMOTE (links below the mount are not followed: doc/DFS.md)."""
    m = dfs_mount(mount, dfs, "//127.0.0.1/dfsroot")
    assert sorted(os.listdir(m.path)) == ["link", "two"]
    with pytest.raises(OSError) as e:
        os.listdir(m.path / "link")
    assert e.value.errno == errno.EREMOTE
