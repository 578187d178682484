"""NetBIOS over TCP/IP (RFC 1001/1002): the session service on a port-139 lookalike, *SMBSERVER retry,
nbns= host resolution, and `smbfuse --lookup` / `--lookup-address` against scripted peers.

nmbd never answers on loopback, so the name service is a scripted responder (nbt_responder.py). smbd
accepts a SESSION REQUEST for any called name, so the called-name retry needs the scripted gate, which
then relays the session to the real smbd: the mount is real SMB through a real NetBIOS session.
"""
import os
import subprocess
import time

import pytest

import smbfixture as sf
from nbt_responder import NbnsResponder, NbssGate

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def nbns():
    peers = []

    def make(**kw):
        r = NbnsResponder(**kw)
        peers.append(r)
        return r
    yield make
    for r in peers:
        r.close()


def lookup(binary, *args, timeout=20):
    return subprocess.run([str(binary), *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **sf.sanitizer_env()})


def assert_clean(r):
    assert not sf.SANITIZER.search(r.stderr), r.stderr


def test_lookup_name_unicast(smbfuse_bin, nbns):
    r0 = nbns(names={"FILESRV": "127.0.0.7"})
    r = lookup(smbfuse_bin, "--lookup", "filesrv", "--nbns", f"127.0.0.1:{r0.port}")
    assert_clean(r)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["127.0.0.7", "FILESRV<20>"]
    flags, name, suffix, qtype = r0.requests[0]
    assert (name, suffix, qtype) == ("FILESRV", 0x20, 0x20)
    assert flags & 0x0100 and not flags & 0x0010  # recursion desired, not a broadcast


def test_lookup_name_broadcast_sets_b_flag(smbfuse_bin, nbns):
    # A "broadcast" to a loopback address: the B flag and SO_BROADCAST path, without leaving the host.
    r0 = nbns(names={"PRINTBOX": "127.0.0.9"})
    r = lookup(smbfuse_bin, "--lookup", "PRINTBOX", "--broadcast", "127.0.0.1", "--port", str(r0.port),
               "--type", "0")
    assert_clean(r)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["127.0.0.9", "PRINTBOX<00>"]
    assert r0.requests[0][0] & 0x0010 and r0.requests[0][2] == 0


def test_lookup_name_negative(smbfuse_bin, nbns):
    r0 = nbns(names={})
    r = lookup(smbfuse_bin, "--lookup", "NOSUCH", "--nbns", f"127.0.0.1:{r0.port}")
    assert_clean(r)
    assert r.returncode == 2
    assert "NOSUCH<20>: no such NetBIOS name" in r.stderr
    assert len(r0.requests) == 1  # a negative answer is final, no retransmission


def test_lookup_name_timeout_retransmits(smbfuse_bin, nbns):
    r0 = nbns(silent=True)
    t0 = time.monotonic()
    r = lookup(smbfuse_bin, "--lookup", "FILESRV", "--nbns", f"127.0.0.1:{r0.port}", "--timeout", "200")
    elapsed = time.monotonic() - t0
    assert_clean(r)
    assert r.returncode == 2
    assert "no answer from 127.0.0.1 port" in r.stderr and "3 attempts, 200 ms each" in r.stderr
    assert len(r0.requests) == 3
    assert 0.55 < elapsed < 10


def test_lookup_address_node_status(smbfuse_bin, nbns):
    r0 = nbns(status_names=[("FILESRV", 0x00, False), ("FILESRV", 0x20, False), ("TESTGRP", 0x1e, True)])
    r = lookup(smbfuse_bin, "--lookup-address", "127.0.0.1", "--port", str(r0.port))
    assert_clean(r)
    assert r.returncode == 0, r.stderr
    lines = [l.split() for l in r.stdout.splitlines()]
    assert ["FILESRV", "<20>"] in lines and ["TESTGRP", "<1e>", "<GROUP>"] in lines
    assert "MAC address: 02-00-c0-a8-01-01" in r.stdout
    assert r0.requests[0][1:] == ("*", 0, 0x21)


def test_lookup_usage_errors(smbfuse_bin):
    for args in (["--lookup"], ["--lookup", "A", "--lookup-address", "127.0.0.1"],
                 ["--lookup", "A", "--nbns", "127.0.0.1", "--broadcast", "127.0.0.1"],
                 ["--lookup", "A", "--nbns", "127.0.0.1:x"], ["--lookup", "A", "--timeout", "-1"]):
        r = lookup(smbfuse_bin, *args)
        assert_clean(r)
        assert r.returncode == 1 and "usage:" in r.stderr, args
    r = lookup(smbfuse_bin, "--lookup", "NAME-LONGER-THAN-15", "--nbns", "127.0.0.1:9")
    assert r.returncode == 1 and "not a valid NetBIOS name" in r.stderr


@pytest.fixture
def gate(server):
    g = NbssGate(server.port)
    yield g
    g.close()


def test_session_retries_smbserver(mount, gate):
    """A server that rejects the guessed called name gets a second connection asking for *SMBSERVER."""
    m = mount(opts={"port": str(gate.port), "netbios": True, "servern": "wrongname", "netbiosname": "tester"})
    (m.path / "hello.txt").write_text("over netbios")
    assert (m.backing / "hello.txt").read_text() == "over netbios"
    assert gate.requests[:2] == [("WRONGNAME", 0x20, "TESTER", 0x00), ("*SMBSERVER", 0x20, "TESTER", 0x00)]


def test_session_keepalives_are_skipped(mount, server):
    """SESSION KEEP ALIVE frames from the server (RFC 1002 4.3.7) are not SMB messages: they are skipped."""
    g = NbssGate(server.port, keepalives=3)
    try:
        m = mount(opts={"port": str(g.port), "netbios": True})
        (m.path / "k").write_text("alive")
        assert (m.backing / "k").read_text() == "alive"
    finally:
        g.close()


def test_session_called_name_accepted(mount, server):
    g = NbssGate(server.port, accept_names=("FILESRV",))
    try:
        m = mount(opts={"port": str(g.port), "netbios": True, "servern": "FileSrv"})
        assert sorted(os.listdir(m.path)) == []
        assert g.requests[0][:2] == ("FILESRV", 0x20)
    finally:
        g.close()


def test_session_refused_every_name(run_smbfuse, tmp_path, server):
    g = NbssGate(server.port, accept_names=())
    try:
        mp = tmp_path / "mp"
        mp.mkdir()
        f = run_smbfuse([f"//127.0.0.1/share", mp, "-f", "-o",
                         f"port={g.port},netbios,username={server.user},password={server.password}"],
                        mountpoint=mp)
        assert f.rc == 32 and "connection refused" in f.stderr, f
        assert [r[0] for r in g.requests] == ["*SMBSERVER"]  # an address: *SMBSERVER from the start
    finally:
        g.close()


def test_session_direct_to_samba(mount, samba_server):
    """smbd itself on a NetBIOS session (disable netbios = no): it accepts the SESSION REQUEST."""
    srv = samba_server(**{"disable netbios": "no"})
    m = mount(srv=srv, opts={"netbios": True})
    (m.path / "a").write_bytes(b"x" * 100000)
    assert (m.backing / "a").stat().st_size == 100000


def test_nbns_resolves_mount_host(mount, server, nbns):
    r0 = nbns(names={"SMBFUSETESTSRV": "127.0.0.1"})
    m = mount(source="//smbfusetestsrv/share", opts={"nbns": f"127.0.0.1:{r0.port}"})
    (m.path / "f").write_text("resolved")
    assert (m.backing / "f").read_text() == "resolved"
    assert r0.requests[0][1:3] == ("SMBFUSETESTSRV", 0x20)


def test_nbns_unknown_host_fails_clearly(run_smbfuse, tmp_path, server, nbns):
    r0 = nbns(names={})
    mp = tmp_path / "mp"
    mp.mkdir()
    f = run_smbfuse(["//nosuchnbhost/share", mp, "-f", "-o",
                     f"port={server.port},nbns=127.0.0.1:{r0.port},username=u,password=p"], mountpoint=mp)
    assert f.rc == 32
    assert 'cannot resolve "nosuchnbhost" by DNS or by NetBIOS name server 127.0.0.1: no such name' in f.stderr, f
