# SPDX-License-Identifier: GPL-2.0-or-later
"""The browse mount of //server (src/proto/browse.c, doc/SHARES.md "Browse mount"): the server's disk
shares as top-level directories, each tree connected on the mount's one session when first entered.
A server of its own with more shares: alpha, beta, "alias" (alpha's directory again: same file ids on
the server, which the mount must tell apart), "secret$" (hidden), "denied" (valid users = nobody)."""
import errno
import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest

import smbfixture as sf

CACHE_MODES = ["strict", "loose", "none"]
VISIBLE = {"share", "ro", "guest", "alpha", "beta", "alias", "denied"}


@pytest.fixture(scope="module")
def bsrv(samba_server):
    # samba_server only for its skips (no smbd, not root); not under the 0700 basetemp (smbd must reach it).
    base = Path(tempfile.mkdtemp(prefix="smbfuse-browse-"))
    base.chmod(0o755)
    srv = sf.SambaServer(base / "srv", extra_shares={
        "alpha": {}, "beta": {}, "secret$": {}, "denied": {"valid users": "nobody"},
        "alias": {"path": base / "srv" / "alpha"}})
    for name in ("alpha", "beta", "secret$", "denied"):
        srv.shares[name].mkdir(parents=True, exist_ok=True)
        os.chown(srv.shares[name], srv.uid, srv.gid)
    srv.start()
    yield srv
    srv.stop()
    bad = srv.suspicious_log_lines()
    assert not bad, "suspicious smbd log lines:\n" + "\n".join(bad[:20])
    shutil.rmtree(base, ignore_errors=True)


def browse(mount, bsrv, cache="strict", **opts):
    return mount(srv=bsrv, share="", per_test_dir=False, source="//127.0.0.1", opts={"cache": cache, **opts})


def services(srv, pid):
    """The shares smbstatus -S shows connected by smbd process pid."""
    out = srv.smbstatus("-S")
    return {m.group(1) for m in re.finditer(r"^(\S+)\s+(\d+)\s", out, re.M) if int(m.group(2)) == pid}


def serving_pid(srv, m):
    sessions = sf.mount_sessions(srv, m)
    assert len(sessions) == 1, sessions  # one session for the whole mount
    return int(sessions[0]["pid"])


@pytest.mark.parametrize("cache", CACHE_MODES)
def test_ls_lists_the_disk_shares(mount, bsrv, cache):
    m = browse(mount, bsrv, cache)
    assert set(os.listdir(m.path)) == VISIBLE  # no IPC$, no secret$
    pid = serving_pid(bsrv, m)
    assert services(bsrv, pid) == {"IPC$"}  # listing connects no share; entering one does
    os.listdir(m.path / "alpha")
    assert services(bsrv, pid) == {"IPC$", "alpha"}
    st = os.stat(m.path / "alpha")
    assert os.path.isdir(m.path / "alpha") and st.st_nlink >= 1
    with pytest.raises(FileNotFoundError):
        os.stat(m.path / "nosuch")
    with pytest.raises(FileNotFoundError):
        os.stat(m.path / "IPC$")


def test_hidden_shares_with_browse_hidden(mount, bsrv):
    m = browse(mount, bsrv, browse_hidden=None)
    assert set(os.listdir(m.path)) == VISIBLE | {"secret$"}
    (m.path / "secret$" / "h.txt").write_text("hidden\n")
    assert (bsrv.shares["secret$"] / "h.txt").read_text() == "hidden\n"


@pytest.mark.parametrize("cache", CACHE_MODES)
def test_two_shares_through_one_session(mount, bsrv, cache):
    m = browse(mount, bsrv, cache)
    a, b = m.path / "alpha" / f"a-{cache}.txt", m.path / "beta" / f"b-{cache}.txt"
    a.write_bytes(b"in alpha " + cache.encode())
    b.write_bytes(b"in beta " + cache.encode())
    assert (bsrv.shares["alpha"] / a.name).read_bytes() == b"in alpha " + cache.encode()
    assert (bsrv.shares["beta"] / b.name).read_bytes() == b"in beta " + cache.encode()
    (bsrv.shares["beta"] / f"server-{cache}.txt").write_bytes(b"from the server")
    assert (m.path / "beta" / f"server-{cache}.txt").read_bytes() == b"from the server"
    assert a.read_bytes() == b"in alpha " + cache.encode()
    os.mkdir(m.path / "alpha" / f"d-{cache}")
    os.rename(m.path / "alpha" / f"d-{cache}", m.path / "alpha" / f"e-{cache}")
    assert (bsrv.shares["alpha"] / f"e-{cache}").is_dir()
    # One TCP connection, one session, both trees on it.
    assert len(sf.client_ports(m.proc.pid, bsrv.port)) == 1
    pid = serving_pid(bsrv, m)
    assert {"alpha", "beta", "IPC$"} <= services(bsrv, pid)
    # Between shares: EXDEV (mv copies).
    with pytest.raises(OSError) as e:
        os.rename(a, m.path / "beta" / a.name)
    assert e.value.errno == errno.EXDEV


def test_inode_numbers_differ_between_shares(mount, bsrv):
    # alias is alpha's directory: the server gives the same file id through both shares.
    m = browse(mount, bsrv)
    (m.path / "alpha" / "same.txt").write_text("x")
    one, two = os.stat(m.path / "alpha" / "same.txt"), os.stat(m.path / "alias" / "same.txt")
    assert one.st_ino != two.st_ino
    assert (m.path / "alias" / "same.txt").read_text() == "x"


def test_top_level_is_the_share_list(mount, bsrv):
    m = browse(mount, bsrv)
    os.listdir(m.path / "alpha")  # entered, and one not entered (beta): the same answers
    for share in ("alpha", "beta"):
        for call in (lambda: os.rmdir(m.path / share), lambda: os.rename(m.path / share, m.path / "x")):
            with pytest.raises(OSError) as e:
                call()
            assert e.value.errno == errno.EPERM, share
        with pytest.raises(OSError) as e:
            os.unlink(m.path / share)
        assert e.value.errno in (errno.EPERM, errno.EISDIR), share  # the kernel may say EISDIR itself
    for call in (lambda: os.mkdir(m.path / "newshare"), lambda: open(m.path / "newfile", "w"),
                 lambda: os.rename(m.path / "alpha", m.path / "beta")):
        with pytest.raises(OSError) as e:
            call()
        assert e.value.errno == errno.EPERM
    assert set(os.listdir(m.path)) == VISIBLE


@pytest.mark.parametrize("cache", CACHE_MODES)
def test_refused_share_is_eacces_the_rest_works(mount, bsrv, cache):
    m = browse(mount, bsrv, cache)
    assert os.path.isdir(m.path / "denied")  # listed and stat'able, as a directory of mode 0 would be
    with pytest.raises(PermissionError):
        os.listdir(m.path / "denied")
    with pytest.raises(PermissionError):
        open(m.path / "denied" / "f.txt", "w")
    (m.path / "alpha" / f"after-denied-{cache}.txt").write_text("ok")
    assert (bsrv.shares["alpha"] / f"after-denied-{cache}.txt").read_text() == "ok"
    assert "access to share \"denied\" denied" in m.m.stderr()


@pytest.mark.parametrize("cache", CACHE_MODES)
def test_reconnect_keeps_both_shares(mount, bsrv, cache):
    m = browse(mount, bsrv, cache)
    (m.path / "alpha" / f"r-{cache}.txt").write_text("a1")
    (m.path / "beta" / f"r-{cache}.txt").write_text("b1")
    fd = os.open(m.path / "beta" / f"r-{cache}.txt", os.O_RDWR)
    try:
        old = serving_pid(bsrv, m)
        os.kill(old, 9)
        sf.wait_until(lambda: not Path(f"/proc/{old}").exists(), 10, what=f"smbd {old} to exit")
        (m.path / "alpha" / f"new-{cache}.txt").write_text("a2")
        (m.path / "beta" / f"new-{cache}.txt").write_text("b2")
        assert (bsrv.shares["alpha"] / f"new-{cache}.txt").read_text() == "a2"
        assert (bsrv.shares["beta"] / f"new-{cache}.txt").read_text() == "b2"
        os.pwrite(fd, b"B", 0)  # a handle of before the loss, reopened on the new tree
        os.fsync(fd)
        assert (bsrv.shares["beta"] / f"r-{cache}.txt").read_text() == "B1"
        new = serving_pid(bsrv, m)
        assert new != old
        assert {"alpha", "beta"} <= services(bsrv, new)
    finally:
        os.close(fd)


def test_smb1_is_refused_clearly(run_smbfuse, bsrv, tmp_path):
    mp = tmp_path / "m"
    mp.mkdir()
    r = run_smbfuse(["//127.0.0.1", str(mp), "-f", "-o",
                     f"port={bsrv.port},username={bsrv.user},password={bsrv.password},vers=1.0"])
    assert r.rc != 0
    assert "needs SMB2 or later" in r.stderr


def test_smb1_only_server_is_refused_clearly(run_smbfuse, samba_server, tmp_path):
    nt1 = samba_server(server_min_protocol="NT1", server_max_protocol="NT1")
    mp = tmp_path / "m"
    mp.mkdir()
    r = run_smbfuse(["//127.0.0.1", str(mp), "-f", "-o", f"port={nt1.port},username={nt1.user},password={nt1.password}"],
                    mountpoint=mp)
    assert r.rc != 0
    assert "speaks only SMB1: a browse mount" in r.stderr, r


def test_wrong_password_is_one_line(run_smbfuse, bsrv, tmp_path):
    mp = tmp_path / "m"
    mp.mkdir()
    r = run_smbfuse(["//127.0.0.1", str(mp), "-f", "-o", f"port={bsrv.port},username={bsrv.user},password=wrong"],
                    mountpoint=mp)
    assert r.rc != 0
    assert len(r.lines) == 1 and "logon failure" in r.lines[0].lower(), r
