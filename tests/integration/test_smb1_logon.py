"""SMB1 logon (src/session/smb1_session.c, src/xport/smb1_conn.c) against a real smbd speaking NT1, through
the smb1-probe driver: extended security (SPNEGO/NTLMSSP), the plain NTLMv2 and NTLMv1 challenge/response,
MD5 signing, a NetBIOS session, and 16 ECHOs in flight at once multiplexed by MID.

smbstatus proves what the server negotiated (protocol NT1, signing). The SMB1 operations table, and so the
integration suite over SMB1, is the next slice; this one stops at a connected tree.
"""
import os
import re
import subprocess
from pathlib import Path

import pytest

import smbfixture as sf
from nbt_responder import NbssGate

pytestmark = pytest.mark.timeout(120)

NT1 = {"server min protocol": "NT1", "server max protocol": "NT1"}


@pytest.fixture
def probe():
    why = None
    b = Path(os.environ.get("SMBFUSE_BIN", "")).parent.parent / "tests" / "smb1" / "smb1-probe"
    if not b.is_file():
        why = f"smb1-probe not built ({b})"
        if os.environ.get("SMBFUSE_REQUIRE_BINARY") == "1":
            pytest.fail(why, pytrace=False)
        pytest.skip(why)
    return b


def run(probe, srv, *args, password=None, hold=False):
    env = {**os.environ, **sf.sanitizer_env(), "USER": srv.user,
           "PASSWD": password if password is not None else srv.password}
    argv = [str(probe), "127.0.0.1", str(srv.port), "share", *args]
    if not hold:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=env)
        assert not sf.SANITIZER.search(r.stderr), r.stderr
        return r.returncode, r.stdout.strip(), r.stderr
    p = subprocess.Popen([*argv, "hold"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, env=env)
    return p


def held_session(probe, srv, *args):
    """Run the probe holding its session; return (its first line, the server's view of the session)."""
    p = run(probe, srv, *args, hold=True)
    try:
        line = p.stdout.readline().strip()
        assert line.startswith("ok "), line + p.stderr.read()
        sessions = sf.negotiated(srv)
    finally:
        out, err = p.communicate("", timeout=30)
    assert p.returncode == 0, out + err
    assert not sf.SANITIZER.search(err), err
    return line, sessions


def test_extended_security(samba_server, probe):
    srv = samba_server(**NT1)
    line, sessions = held_session(probe, srv)
    assert "ext=1" in line and "signing=0" in line and "mpx=50" in line
    assert [s["protocol"] for s in sessions] == ["NT1"]


def test_signing_mandatory(samba_server, probe):
    srv = samba_server(**NT1, **{"server signing": "mandatory"})
    line, sessions = held_session(probe, srv)
    assert "signing=1" in line
    assert sf.signed(sessions[0]), sessions


def test_signing_asked_of_a_server_that_does_not_sign(samba_server, probe):
    rc, out, _ = run(probe, samba_server(**NT1), "sign")
    assert rc == 1 and "signing was asked for" in out


def test_plain_ntlmv2(samba_server, probe):
    # Without SPNEGO Samba takes NTLMv2 only with "raw NTLMv2 auth"; it refuses NTLMv1 (ntlm auth's default),
    # so this logon proves that the plain exchange sends NTLMv2 unless asked otherwise.
    srv = samba_server(**NT1, **{"raw NTLMv2 auth": "yes"})
    line, _ = held_session(probe, srv, "noext")
    assert "ext=0" in line
    rc, out, _ = run(probe, srv, "noext", "ntlmv1")
    assert rc == 1 and "logon failure" in out


def test_ntlmv1_only_when_asked(samba_server, probe):
    srv = samba_server(**NT1, **{"ntlm auth": "ntlmv1-permitted"})
    line, _ = held_session(probe, srv, "noext", "ntlmv1")
    assert "ext=0" in line
    # sec=ntlm never rides on extended security.
    rc, out, _ = run(probe, srv, "ntlmv1")
    assert rc == 1 and "sec=ntlm needs a server without extended security" in out


def test_wrong_password(samba_server, probe):
    rc, out, _ = run(probe, samba_server(**NT1), password="not-the-password")
    assert rc == 1 and "logon failure: wrong user name or password" in out


def test_netbios_session(samba_server, probe):
    srv = samba_server(**NT1, **{"disable netbios": "no"})
    line, sessions = held_session(probe, srv, "netbios")
    assert sessions[0]["protocol"] == "NT1"


def test_smb2_only_server_refuses_clearly(server, probe):
    rc, out, _ = run(probe, server)
    assert rc == 1
    assert "refused SMB1 (NT LM 0.12): the server speaks only SMB2 or later; mount without vers=1.0" in out


def test_signing_refused_when_the_logon_response_is_unsigned(samba_server, probe):
    # smbd derives no signing key for a logon outside SPNEGO and answers unsigned: the client must stop there
    # rather than accept unsigned answers on a connection that requires signing.
    srv = samba_server(**NT1, **{"server signing": "mandatory", "ntlm auth": "ntlmv1-permitted",
                                 "raw NTLMv2 auth": "yes"})
    for args in (("noext",), ("noext", "ntlmv1")):
        rc, out, _ = run(probe, srv, *args)
        assert rc == 1, out
        assert "did not sign its logon response (to a logon without extended security)" in out, out
    line, _ = held_session(probe, srv)
    assert "ext=1" in line and "signing=1" in line


def test_netbios_retry_and_keepalives(samba_server, probe):
    """Over a port-139 gate that rejects the called name and then sends keepalives, SMB1 still logs on."""
    srv = samba_server(**NT1)
    g = NbssGate(srv.port, keepalives=2)
    try:
        env = {**os.environ, **sf.sanitizer_env(), "USER": srv.user, "PASSWD": srv.password}
        r = subprocess.run([str(probe), "127.0.0.1", str(g.port), "share", "netbios"], capture_output=True,
                           text=True, timeout=60, env=env)
        assert r.returncode == 0 and r.stdout.startswith("ok "), r.stdout + r.stderr
        assert not sf.SANITIZER.search(r.stderr), r.stderr
        assert [q[0] for q in g.requests] == ["PROBESERVER", "*SMBSERVER"]
    finally:
        g.close()


def logon_msgs(line):
    m = re.search(r"\blogon_msgs=(\d+)\b", line)
    assert m, line
    return int(m.group(1))


@pytest.mark.parametrize("mode", ["ext", "plain", "signed"])
def test_tree_connect_chained_to_logon_saves_a_round_trip(samba_server, probe, mode):
    """TREE_CONNECT_ANDX rides on the last SESSION_SETUP_ANDX (MS-CIFS 2.2.4.53), so the transport's own count
    of messages sent drops by one, and smbd has the tree. Not when signing: the chain would precede signing."""
    conf = {"raw NTLMv2 auth": "yes"} if mode == "plain" else {"server signing": "mandatory"} if mode == "signed" \
        else {}
    srv = samba_server(**NT1, **conf)
    args = ("noext",) if mode == "plain" else ()
    # NEGOTIATE, then SESSION_SETUP x2 (NTLMSSP NEGOTIATE, AUTHENTICATE) or x1 (plain), then TREE_CONNECT.
    alone = 3 if mode == "plain" else 4
    line, _ = held_session(probe, srv, *args, "nochain")
    assert logon_msgs(line) == alone, line
    p = run(probe, srv, *args, hold=True)
    try:
        line = p.stdout.readline().strip()
        assert line.startswith("ok "), line + p.stderr.read()
        # smbd lists the tree that the (chained) TREE_CONNECT_ANDX made.
        trees = srv.smbstatus("-S")
        assert re.search(r"^share\s+\d+\s", trees, re.M), trees
        sessions = sf.negotiated(srv)
    finally:
        out, err = p.communicate("", timeout=30)
    assert p.returncode == 0, out + err
    assert not sf.SANITIZER.search(err), err
    assert ("signing=1" in line) == (mode == "signed"), line
    assert logon_msgs(line) == (alone if mode == "signed" else alone - 1), line
    if mode == "signed":
        assert sf.signed(sessions[0]), sessions[0]["signing"]


def test_chained_tree_connect_to_a_missing_share(samba_server, probe):
    srv = samba_server(**NT1)
    env = {**os.environ, **sf.sanitizer_env(), "USER": srv.user, "PASSWD": srv.password}
    for extra in ((), ("nochain",)):
        r = subprocess.run([str(probe), "127.0.0.1", str(srv.port), "no-such-share", *extra], capture_output=True,
                           text=True, timeout=60, env=env)
        assert r.returncode == 1 and 'share "no-such-share" not found' in r.stdout, r.stdout + r.stderr
        assert not sf.SANITIZER.search(r.stderr), r.stderr
