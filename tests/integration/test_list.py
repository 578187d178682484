"""smbfuse --list //server: the share list through srvsvc NetrShareEnum on IPC$ (MS-SRVS 3.1.4.8), in the
columns of smbclient -L, checked against the private smb.conf and against smbclient -L itself; over SMB2
(FSCTL_PIPE_TRANSCEIVE) and SMB1 (TRANS_TRANSACT_NMPIPE)."""
import os
import re
import subprocess

import pytest

import smbfixture as sf
from conftest import NT1_OPTIONS

ROW = re.compile(r"^\t(\S+)\s+(Disk|IPC|Printer|Device|0x[0-9a-f]+)\s*(.*)$")


def run_list(smbfuse_bin, args, timeout=30):
    r = subprocess.run([str(smbfuse_bin), "--list", *map(str, args)], stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, timeout=timeout, env={**os.environ, **sf.sanitizer_env()})
    assert not sf.SANITIZER.search(r.stderr), r.stderr
    return r


def rows(text):
    return {m.group(1): (m.group(2), m.group(3)) for m in map(ROW.match, text.splitlines()) if m}


def creds(srv, extra=""):
    return ["-o", f"port={srv.port},username={srv.user},password={srv.password}{extra}"]


@pytest.mark.parametrize("extra", ["", ",vers=2.0", ",vers=3.1.1,seal"], ids=["default", "2.0", "3.1.1-seal"])
def test_list_shows_every_share(smbfuse_bin, server, extra):
    r = run_list(smbfuse_bin, ["//127.0.0.1", *creds(server, extra)])
    assert r.returncode == 0, r.stderr
    got = rows(r.stdout)
    # Every share of the fixture's smb.conf, and the hidden IPC$ with its type.
    assert {k: v[0] for k, v in got.items()} == {"share": "Disk", "ro": "Disk", "guest": "Disk", "IPC$": "IPC"}
    assert got["IPC$"][1].startswith("IPC Service (Samba"), got
    assert r.stdout.splitlines()[0].split() == ["Sharename", "Type", "Comment"]


def test_list_matches_smbclient(smbfuse_bin, server):
    r = run_list(smbfuse_bin, ["//127.0.0.1", *creds(server)])
    c = subprocess.run(["smbclient", "-L", "//127.0.0.1", "-p", str(server.port), "-U",
                        f"{server.user}%{server.password}"], capture_output=True, text=True, timeout=60)
    assert c.returncode == 0, c.stderr
    assert rows(r.stdout) == rows(c.stdout)


def test_list_wrong_password(smbfuse_bin, server):
    r = run_list(smbfuse_bin, ["//127.0.0.1", "-o", f"port={server.port},username={server.user},password=wrong"])
    assert r.returncode == 32 and r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "logon failure" in lines[0] and "//127.0.0.1" in lines[0], r.stderr


def test_list_no_server(smbfuse_bin):
    port = sf.free_port()  # nothing listens there
    r = run_list(smbfuse_bin, ["//127.0.0.1", "-o", f"port={port},username=u,password=p,timeout=2"])
    assert r.returncode == 32
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot list the shares of //127.0.0.1" in lines[0], r.stderr


@pytest.fixture
def nt1_server(samba_server):
    return samba_server(**NT1_OPTIONS)


@pytest.mark.parametrize("extra", [",vers=1.0", ""], ids=["vers=1.0", "default-falls-back"])
def test_list_smb1(smbfuse_bin, nt1_server, extra):
    """A server speaking only SMB1: the same list, over TRANS_TRANSACT_NMPIPE (vers=1.0, or the default's
    multi-protocol negotiate falling back with a warning), and the same as smbclient -L over SMB1."""
    r = run_list(smbfuse_bin, ["//127.0.0.1", *creds(nt1_server, extra)])
    assert r.returncode == 0, r.stderr
    got = rows(r.stdout)
    assert {k: v[0] for k, v in got.items()} == {"share": "Disk", "ro": "Disk", "guest": "Disk", "IPC$": "IPC"}
    assert ("speaks only SMB1" in r.stderr) == (extra == ""), r.stderr
    c = subprocess.run(["smbclient", "-L", "//127.0.0.1", "-p", str(nt1_server.port), "-U",
                        f"{nt1_server.user}%{nt1_server.password}", "-m", "NT1",
                        "--option=client min protocol=NT1"], capture_output=True, text=True, timeout=60)
    assert c.returncode == 0, c.stderr
    assert got == rows(c.stdout)


def test_list_smb1_wrong_password(smbfuse_bin, nt1_server):
    r = run_list(smbfuse_bin, ["//127.0.0.1", "-o",
                               f"port={nt1_server.port},username={nt1_server.user},password=wrong,vers=1.0"])
    assert r.returncode == 32 and r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "logon failure" in lines[0] and "//127.0.0.1" in lines[0], r.stderr


def test_list_takes_no_mount_point(smbfuse_bin, server, tmp_path):
    r = run_list(smbfuse_bin, ["//127.0.0.1", tmp_path, *creds(server)])
    assert r.returncode == 1 and "--list" in r.stderr, r.stderr
