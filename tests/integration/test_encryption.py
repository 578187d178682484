"""SMB3 encryption (MS-SMB2 3.1.4.3): the seal option, a server that requires it, and the refusals.

What was negotiated is read back from smbstatus, so a test cannot pass on an unencrypted session. Samba
reports a session "partial(CIPHER)" when the client chose to encrypt (the session setup itself is in the
clear), and a tree connect with the bare cipher name only when every request on it was encrypted."""
import subprocess

import pytest

import smbfixture as sf
from test_mount import core_ops

# vers=, smbstatus protocol, cipher smbfuse gets: 3.0.x has only AES-128-CCM; 3.1.1 negotiates GCM first.
SEALED = [("3.0", "SMB3_00", "AES-128-CCM"), ("3.0.2", "SMB3_02", "AES-128-CCM"),
          ("3.1.1", "SMB3_11", "AES-128-GCM")]


CIPHER_IDS = {"AES-128-CCM": 1, "AES-128-GCM": 2, "AES-256-CCM": 3, "AES-256-GCM": 4}


def session_stats(m):
    """The session.* lines of `smbfuse --stats`."""
    out = subprocess.run([str(m.binary), "--stats", str(m.root)], capture_output=True, text=True, timeout=10,
                         check=True).stdout
    return {k: int(v) for k, v in (line.split() for line in out.splitlines()) if k.startswith("session.")}


def tcon_encryption(server, pid):
    """The Encryption column of `smbstatus -S` for the tree connect of smbd process pid."""
    for line in server.smbstatus("-S").splitlines():
        f = line.split()
        if len(f) >= 4 and f[1] == str(pid):
            return f[-2]
    raise AssertionError(f"no tree connect of pid {pid} in smbstatus -S")


@pytest.mark.parametrize("vers,protocol,cipher", SEALED, ids=[s[0] for s in SEALED])
def test_seal_option(mount, server, vers, protocol, cipher):
    m = mount(opts={"vers": vers, "seal": None})
    core_ops(m)
    (s,) = sf.mount_sessions(server, m)
    assert s["protocol"] == protocol
    assert s["encryption"] == f"partial({cipher})", s
    assert tcon_encryption(server, s["pid"]) == cipher
    st = session_stats(m)
    assert st["session.encrypted"] == 1 and st["session.cipher"] == CIPHER_IDS[cipher], st


@pytest.mark.parametrize("cipher", ["AES-256-GCM", "AES-256-CCM"])
def test_seal_aes256(mount, samba_server, cipher):
    # smbfuse offers AES-256 after AES-128, as Windows does; a server that allows only one AES-256 cipher must
    # get it, with 32-byte keys derived with L = 256 (a 128-bit key would fail the first encrypted reply).
    srv = samba_server(**{"server smb3 encryption algorithms": cipher})
    m = mount(srv, opts={"vers": "3.1.1", "seal": None})
    core_ops(m)
    (s,) = sf.mount_sessions(srv, m)
    assert s["protocol"] == "SMB3_11"
    assert s["encryption"] == f"partial({cipher})", s
    # smbstatus 4.17 names only the AES-128 ciphers in its tree connect table and prints "???" for the
    # others; "-" would mean an unencrypted tree connect.
    assert tcon_encryption(srv, s["pid"]) in (cipher, "???")
    st = session_stats(m)
    assert st["session.encrypted"] == 1 and st["session.cipher"] == CIPHER_IDS[cipher], st


@pytest.mark.parametrize("cipher", ["AES-256-CCM", "AES-128-CCM"])
def test_ciphers_option(mount, server, cipher):
    # ciphers= decides what is offered: against the default Samba (which would take AES-128-GCM), offering
    # only one cipher gets that one.
    m = mount(opts={"vers": "3.1.1", "seal": None, "ciphers": cipher.lower()})
    core_ops(m)
    (s,) = sf.mount_sessions(server, m)
    assert s["encryption"] == f"partial({cipher})", s
    assert session_stats(m)["session.cipher"] == CIPHER_IDS[cipher]


def test_no_seal_is_not_encrypted(mount, server):
    # The pair of test_seal_option: the same server, without seal, does not encrypt.
    m = mount(opts={"vers": "3.1.1"})
    core_ops(m)
    (s,) = sf.mount_sessions(server, m)
    assert s["encryption"] == "-", s
    assert tcon_encryption(server, s["pid"]) == "-"
    st = session_stats(m)
    assert st["session.encrypted"] == 0 and "session.cipher" not in st, st


@pytest.mark.parametrize("vers", ["3.0", "3.1.1"])
def test_server_that_requires_encryption(mount, samba_server, vers):
    srv = samba_server(**{"server smb encrypt": "required"})
    m = mount(srv, opts={"vers": vers})
    core_ops(m)
    (s,) = sf.mount_sessions(srv, m)
    assert s["encryption"].startswith("AES-"), s  # required: the bare cipher, no "partial"
    assert tcon_encryption(srv, s["pid"]).startswith("AES-")


def test_seal_refused_on_smb2(run_smbfuse, server, tmp_path):
    mp = tmp_path / "mnt"
    mp.mkdir()
    f = run_smbfuse(["//127.0.0.1/share", mp, "-f", "-o",
                     f"port={server.port},username={server.user},password={server.password},vers=2.1,seal"],
                    mountpoint=mp)
    assert f.rc > 0, f
    lines = f.stderr.strip().splitlines()
    assert len(lines) == 1 and "encryption" in lines[0] and "2.1" in lines[0], f
