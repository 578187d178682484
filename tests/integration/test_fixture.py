"""Self-tests of the Samba fixture: they need only smbd and smbclient, so they run before smbfuse exists."""
import os
import subprocess
import time

import pytest

import smbfixture as sf


def test_server_listens_on_loopback_only(server):
    assert sf.port_open(server.port, "127.0.0.1")
    conf = server.conf.read_text()
    assert "interfaces = 127.0.0.1" in conf and "bind interfaces only = yes" in conf
    # Every state path points into the server's private directory.
    for key in ("private dir", "lock directory", "state directory", "cache directory",
                "pid directory", "ncalrpc dir", "binddns dir", "log file"):
        line = next(l for l in conf.splitlines() if l.strip().startswith(key + " ="))
        assert str(server.dir) in line, line


def test_smbclient_put_appears_in_backing_dir(server, tmp_path):
    src = tmp_path / "hello.txt"
    payload = os.urandom(100_000)
    src.write_bytes(payload)
    name = f"fixture-put-{os.getpid()}-{time.monotonic_ns()}.bin"
    r = server.smbclient("share", f"lcd {tmp_path}; put hello.txt {name}; ls {name}")
    assert name in r.stdout
    on_disk = server.backing / name
    assert on_disk.read_bytes() == payload
    assert on_disk.stat().st_uid == server.uid  # smbd acted as the test user
    on_disk.unlink()


def test_file_on_disk_visible_to_smbclient(server, tmp_path):
    p = server.backing / "made-on-disk.txt"
    p.write_text("from disk\n")
    os.chown(p, server.uid, server.gid)
    r = server.smbclient("share", f"lcd {tmp_path}; get made-on-disk.txt got.txt")
    assert (tmp_path / "got.txt").read_text() == "from disk\n"
    p.unlink()


def test_wrong_password_rejected(server):
    r = server.smbclient("share", "ls", password="wrong-password", check=False)
    assert r.returncode != 0
    assert "NT_STATUS_LOGON_FAILURE" in r.stdout + r.stderr


def test_read_only_share_refuses_put(server, tmp_path):
    (tmp_path / "x").write_text("x")
    r = server.smbclient("ro", f"lcd {tmp_path}; put x", check=False)
    assert "NT_STATUS_ACCESS_DENIED" in r.stdout + r.stderr or "NT_STATUS_MEDIA_WRITE_PROTECTED" in r.stdout + r.stderr
    assert not (server.shares["ro"] / "x").exists()


def test_guest_share_anonymous(server):
    (server.shares["guest"] / "g.txt").write_text("guest")
    r = server.smbclient("guest", "ls", user="")
    assert "g.txt" in r.stdout


def _session(server, args):
    """Keep an smbclient session open (interactive, stdin a pipe) and return smbstatus -b's view of it,
    restricted to that smbclient's connection (found through /proc, as for smbfuse mounts)."""
    p = subprocess.Popen(["smbclient", "//127.0.0.1/share", "-p", str(server.port),
                          "-U", f"{server.user}%{server.password}", *args],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    class Proc:  # what mount_sessions() needs of a mount
        proc = p
    try:
        sessions = sf.mount_sessions(server, Proc)
    finally:
        p.communicate(b"quit\n", timeout=30)
    return sessions


@pytest.mark.parametrize("maxproto,expected", [("SMB2_10", "SMB2_10"), ("SMB3_00", "SMB3_00"),
                                               ("SMB3_11", "SMB3_11")])
def test_negotiated_dialect_seen_in_smbstatus(server, maxproto, expected):
    sessions = _session(server, ["-m", maxproto])
    assert [s["protocol"] for s in sessions] == [expected]
    assert sessions[0]["user"] == server.user


def test_signing_mandatory_variant(samba_server):
    srv = samba_server(**{"server signing": "mandatory"})
    assert "server signing = mandatory" in srv.conf.read_text()
    sessions = _session(srv, [])
    assert len(sessions) == 1 and sf.signed(sessions[0]), sessions
    assert sessions[0]["signing"] in ("AES-128-GMAC", "AES-128-CMAC"), sessions





def test_parse_smbstatus_b():
    text = """
Samba version 4.17.12-Debian
PID     Username     Group        Machine                                   Protocol Version  Encryption           Signing
----------------------------------------------------------------------------------------------------------------------------------------
4241    (auth in progress)        127.0.0.1 (ipv4:127.0.0.1:51230)          SMB3_11           -                    -
4242    smbtest      smbtest      127.0.0.1 (ipv4:127.0.0.1:51234)          SMB3_11           -                    partial(AES-128-GMAC)
"""
    (s,) = sf.parse_smbstatus_b(text)
    assert s["pid"] == "4242" and s["protocol"] == "SMB3_11" and s["encryption"] == "-"
    assert s["signing"] == "partial(AES-128-GMAC)" and not sf.signed(s)
    assert s["machine"].startswith("127.0.0.1 (ipv4:")


def test_suspicious_log_lines_detected(tmp_path):
    srv = sf.SambaServer(tmp_path, port=1)
    srv.log.write_text("[2024] smbd: normal line\n  PANIC (pid 1): assert failed\n")
    assert len(srv.suspicious_log_lines()) == 1
    srv.allowed_log_lines.append(r"assert failed")
    assert srv.suspicious_log_lines() == []


def test_mountinfo_parser():
    assert sf.is_mounted("/proc")
    assert not sf.is_mounted("/nonexistent-mount-point")


def test_signing_states_seen_in_smbstatus(server):
    # A default client on a default server signs only the session setup ("partial(ALG)"); a client
    # that requires signing signs everything ("ALG"). negotiated() tells the two apart.
    default = _session(server, ["-m", "SMB2_10"])
    assert sf.signing_state(default[0]) == "partial", default
    required = _session(server, ["-m", "SMB2_10", "--option=client signing=required"])
    assert sf.signing_state(required[0]) == "full", required
    assert required[0]["signing"] == "HMAC-SHA256"
