"""Security descriptors as the kernel client's system.cifs_acl / system.cifs_ntsd / system.cifs_ntsd_full
(self-relative, MS-DTYP 2.4.6), so that cifs-utils' getcifsacl and setcifsacl work on the mount
unchanged; checked against smbcacls (Samba's own client) on the same file. Every test runs over SMB2
(QUERY_INFO / SET_INFO) and SMB1 (NT_TRANSACT_QUERY_ / SET_SECURITY_DESC); nothing is cached, so the cache
mode plays no part."""
import errno
import os
import random
import re
import shutil
import socket
import subprocess
import threading

import pytest

import smbfixture as sf
from conftest import DIALECTS

needs_cifs_utils = pytest.mark.skipif(not shutil.which("getcifsacl"), reason="cifs-utils not installed")


class Forwarder:
    """smbcacls always connects to port 445 (then 139): forward 445 of a loopback address of our own to
    the test server's port."""

    def __init__(self, port):
        self.addr = f"127.{random.randint(1, 254)}.{random.randint(1, 254)}.{random.randint(2, 254)}"
        self.ls = socket.socket()
        self.ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.ls.bind((self.addr, 445))
        self.ls.listen(8)
        self.port = port
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                c, _ = self.ls.accept()
            except OSError:
                return
            s = socket.create_connection(("127.0.0.1", self.port))
            for a, b in ((c, s), (s, c)):
                threading.Thread(target=sf.relay, args=(a, b), daemon=True).start()

    def close(self):
        self.ls.close()


@pytest.fixture(params=list(DIALECTS))
def dialect(request):
    return request.param


@pytest.fixture
def dserver(samba_server, dialect):
    return samba_server(**DIALECTS[dialect][0])


@pytest.fixture
def dmount(mount, dserver, dialect):
    """mount(), over this run's dialect."""
    return lambda **kw: mount(srv=dserver, opts=dict(DIALECTS[dialect][1]), **kw)


@pytest.fixture
def smbcacls(dserver, dialect):
    if os.geteuid() != 0:
        pytest.skip("binding port 445 of a loopback address for smbcacls needs root")
    fw = Forwarder(dserver.port)
    extra = ["--option=client min protocol=NT1", "-m", "NT1"] if dialect == "smb1" else []

    def run(rel, *args):
        r = subprocess.run(["smbcacls", f"//{fw.addr}/share", rel, "-U", f"{dserver.user}%{dserver.password}",
                            "--numeric", *extra, *args], capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stdout + r.stderr
        return r.stdout

    yield run
    fw.close()


def parse(text):
    """OWNER, GROUP and the ACEs (SID, type, mask as an int) of getcifsacl -r or smbcacls --numeric."""
    owner = re.search(r"^OWNER:(\S+)", text, re.M).group(1)
    group = re.search(r"^GROUP:(\S+)", text, re.M).group(1)
    aces = []
    for sid, typ, mask in re.findall(r"^ACL:(S-[0-9-]+):([^/]+)/[^/]+/(\S+)$", text, re.M):
        typ = {"0": "ALLOWED", "0x0": "ALLOWED", "1": "DENIED", "0x1": "DENIED"}.get(typ, typ)
        aces.append((sid, typ, int(mask, 16)))
    return owner, group, aces


def getcifsacl(p):
    r = subprocess.run(["getcifsacl", "-r", str(p)], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout


@pytest.fixture
def f(dmount):
    m = dmount()
    p = m.path / "f"
    p.write_bytes(b"x")
    return m, p, f"{p.parent.name}/f"


@needs_cifs_utils
def test_getcifsacl_matches_smbcacls(f, smbcacls):
    m, p, rel = f
    mine, theirs = parse(getcifsacl(p)), parse(smbcacls(rel))
    assert mine == theirs
    assert mine[0].startswith("S-1-5-21-") and len(mine[2]) >= 2


@needs_cifs_utils
def test_setcifsacl_seen_by_smbcacls(f, smbcacls):
    m, p, rel = f
    r = subprocess.run(["setcifsacl", "-a", "ACL:S-1-1-0:ALLOWED/0x0/0x1200a9", str(p)], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    theirs = parse(smbcacls(rel))
    assert ("S-1-1-0", "ALLOWED", 0x1200a9) in theirs[2]
    assert parse(getcifsacl(p)) == theirs
    # And the other way: a change made with smbcacls is what the mount reads next (nothing cached).
    smbcacls(rel, "-M", "ACL:S-1-1-0:ALLOWED/0x0/0x001200a0")
    assert ("S-1-1-0", "ALLOWED", 0x1200a0) in parse(getcifsacl(p))[2]


def test_raw_descriptors(f):
    m, p, rel = f
    sd = os.getxattr(p, "system.cifs_acl")
    assert sd[0] == 1 and sd[3] & 0x80  # revision 1, SE_SELF_RELATIVE
    assert os.getxattr(p, "system.cifs_ntsd") == sd  # the same parts: owner, group, DACL
    owner = sd[int.from_bytes(sd[4:8], "little"):][:28]
    os.setxattr(p, "system.cifs_acl", sd)  # what was read goes back (Samba may rewrite it: POSIX ACLs)
    os.setxattr(p, "system.cifs_ntsd", sd)  # owner and group too: the same owner is allowed
    sd2 = os.getxattr(p, "system.cifs_acl")
    assert sd2[int.from_bytes(sd2[4:8], "little"):][:28] == owner
    # The SACL needs a privilege the test user lacks: EIO, as the kernel client says (getcifsacl falls
    # back to system.cifs_acl on EIO).
    with pytest.raises(OSError) as e:
        os.getxattr(p, "system.cifs_ntsd_full")
    assert e.value.errno == errno.EIO
    # Not listed, and a descriptor cannot be removed.
    assert not [n for n in os.listxattr(p) if n.startswith("system.")]
    with pytest.raises(OSError) as e:
        os.removexattr(p, "system.cifs_acl")
    assert e.value.errno == errno.EOPNOTSUPP


def test_malformed_descriptors_refused(f):
    m, p, rel = f
    sd = bytearray(os.getxattr(p, "system.cifs_acl"))
    bad = [bytes(sd[:19]), bytes(sd[:-1]), b"\x02" + bytes(sd[1:])]
    dacl = int.from_bytes(sd[16:20], "little")
    b = bytearray(sd)
    b[dacl + 2:dacl + 4] = (len(sd)).to_bytes(2, "little")  # an AclSize past the end
    bad.append(bytes(b))
    b = bytearray(sd)
    b[4:8] = (len(sd) + 100).to_bytes(4, "little")  # OffsetOwner outside
    bad.append(bytes(b))
    for v in bad:
        with pytest.raises(OSError) as e:
            os.setxattr(p, "system.cifs_acl", v)
        assert e.value.errno == errno.EINVAL
    assert os.getxattr(p, "system.cifs_acl") == bytes(sd)  # nothing was sent
    assert "not a self-relative security descriptor" in m.stderr()


def test_second_mount_sees_change(dmount):
    a, b = dmount(), dmount()
    p = a.path / "f"
    p.write_bytes(b"x")
    before = os.getxattr(b.path / "f", "system.cifs_acl")
    sd = bytearray(os.getxattr(p, "system.cifs_acl"))
    # Drop the last ACE of the DACL: AclSize and AceCount shrink, and so does the descriptor.
    dacl = int.from_bytes(sd[16:20], "little")
    size, count = int.from_bytes(sd[dacl + 2:dacl + 4], "little"), int.from_bytes(sd[dacl + 4:dacl + 6], "little")
    off = dacl + 8
    for _ in range(count - 1):
        off += int.from_bytes(sd[off + 2:off + 4], "little")
    assert off + int.from_bytes(sd[off + 2:off + 4], "little") == dacl + size
    sd[dacl + 2:dacl + 4] = (off - dacl).to_bytes(2, "little")
    sd[dacl + 4:dacl + 6] = (count - 1).to_bytes(2, "little")
    os.setxattr(p, "system.cifs_acl", bytes(sd[:off]) + bytes(sd[dacl + size:]))
    after = os.getxattr(b.path / "f", "system.cifs_acl")
    assert after != before


@needs_cifs_utils
def test_acl_command_prints_sddl(f, smbcacls, smbfuse_bin):
    m, p, rel = f
    (m.path / "g").write_bytes(b"y")
    subprocess.run(["setcifsacl", "-a", "ACL:S-1-1-0:ALLOWED/0x0/0x1200a9", str(p)], check=True, timeout=30)
    r = subprocess.run([smbfuse_bin, "--acl", str(p)], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    sddl = r.stdout.strip()
    owner, group, aces = parse(getcifsacl(p))
    assert sddl.startswith(f"O:{owner}G:{group}D:")
    assert sddl.count("(") == len(aces) and "(A;;0x001200a9;;;S-1-1-0)" in sddl
    # Samba reads it back as the same descriptor: set on another file, it reads the same.
    smbcacls(f"{p.parent.name}/g", "--sddl", "-S", sddl)
    assert parse(getcifsacl(m.path / "g")) == parse(getcifsacl(p))
    # Not an smbfuse file: a clear message and status 1.
    r = subprocess.run([smbfuse_bin, "--acl", "/"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 1 and "no security descriptor" in r.stderr
