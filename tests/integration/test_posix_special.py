"""Special files (fifos, sockets, character and block devices) with the SMB 3.1.1 POSIX extensions, against
Samba 4.22 (posix_server), in every cache mode.

mkfifo and mknod through the mount make NFS reparse points (MS-FSCC 2.1.2.6, IO_REPARSE_TAG_NFS with
NFS_SPECFILE_FIFO / SOCK / CHR / BLK), as the kernel client does with reparse=nfs. Samba 4.22 sets reparse
points on regular files only and keeps them in the user.SmbReparse extended attribute
(source3/modules/util_reparse.c fsctl_set_reparse_point): its own disk holds a small regular file, while
every SMB client with the POSIX extensions sees the type, mode and device numbers. A fifo, socket or device
made on the server's disk is reported the same way (fsctl_get_reparse_point_fifo/_dev). Without the
extensions mknod of a special file is EPERM (test_symlinks.py: 4.17; here: noposix)."""
import errno
import os
import re
import socket
import stat
import subprocess

import pytest

from test_posix import pmount, pmnt, mode_of, stats  # noqa: F401 (fixtures)

pytestmark = pytest.mark.timeout(120)

NFS_TAG = (0x80000014).to_bytes(4, "little")


def make_socket(p):
    """A Unix socket at p, bound by its name from its directory (the full path may pass 108 bytes)."""
    here = os.getcwd()
    os.chdir(p.parent)
    try:
        s = socket.socket(socket.AF_UNIX)
        s.bind(p.name)
        s.close()
    finally:
        os.chdir(here)


def kind(p):
    return subprocess.run(["stat", "-c", "%F", str(p)], capture_output=True, text=True, check=True).stdout.strip()


def reparse_of(backing):
    """What Samba stores for a special file made over SMB: (NFS type, the rest of its data)."""
    assert stat.S_ISREG(os.lstat(backing).st_mode), backing
    x = os.getxattr(backing, "user.SmbReparse")
    assert x[:4] == NFS_TAG and int.from_bytes(x[4:6], "little") + 8 == len(x)
    return x[8:16].rstrip(b"\0").decode(), x[16:]


def test_mkfifo_mknod_and_sockets(pmnt):
    p, b = pmnt.path, pmnt.backing
    old = os.umask(0o022)
    try:
        os.mkfifo(p / "fifo", 0o666)
        subprocess.run(["mknod", str(p / "null"), "c", "1", "3"], check=True)
        os.mknod(p / "disk", stat.S_IFBLK | 0o600, os.makedev(8, 17))
        make_socket(p / "sock")
    finally:
        os.umask(old)
    assert kind(p / "fifo") == "fifo" and mode_of(p / "fifo") == 0o644
    assert kind(p / "null") == "character special file" and os.lstat(p / "null").st_rdev == os.makedev(1, 3)
    assert kind(p / "disk") == "block special file" and os.lstat(p / "disk").st_rdev == os.makedev(8, 17)
    assert mode_of(p / "disk") == 0o600
    assert kind(p / "sock") == "socket"
    # What the server's disk holds: the mode, and the NFS reparse point in an extended attribute.
    assert mode_of(b / "fifo") == 0o644 and reparse_of(b / "fifo") == ("FIFO", b"")
    assert reparse_of(b / "null") == ("CHR", (1).to_bytes(4, "little") + (3).to_bytes(4, "little"))
    assert reparse_of(b / "disk") == ("BLK", (8).to_bytes(4, "little") + (17).to_bytes(4, "little"))
    assert reparse_of(b / "sock") == ("SOCK", b"")
    # The listing says the same as lstat (readdirplus fills the kernel's attributes from it).
    ls = subprocess.run(["ls", "-l", str(p)], capture_output=True, text=True, check=True).stdout
    lines = {ln.split()[-1]: ln for ln in ls.splitlines()[1:]}
    assert lines["fifo"].startswith("prw-r--r--") and lines["sock"].startswith("s")
    assert lines["null"].startswith("c") and re.search(r" 1,\s+3 ", lines["null"])
    assert lines["disk"].startswith("brw-------") and re.search(r" 8,\s+17 ", lines["disk"])
    # mknod never replaces, and rm removes each.
    with pytest.raises(FileExistsError):
        os.mkfifo(p / "null")
    for n in ("fifo", "null", "disk", "sock"):
        os.unlink(p / n)
        assert not os.path.lexists(p / n) and not os.path.lexists(b / n)
    assert os.listdir(p) == []


def test_mode_without_write_bit_and_a_second_mount(pmount):
    a, b = pmount(), pmount()
    os.mkfifo(a.path / "ro", 0o444)  # Samba stores the reparse point only while the file is writable
    os.mknod(a.path / "zero", stat.S_IFCHR | 0o640, os.makedev(1, 5))
    assert mode_of(a.path / "ro") == 0o444 and mode_of(a.backing / "ro") == 0o444
    for m in (a, b):
        assert stat.S_ISFIFO(os.lstat(m.path / "ro").st_mode) and mode_of(m.path / "ro") == 0o444
        st = os.lstat(m.path / "zero")
        assert stat.S_ISCHR(st.st_mode) and st.st_rdev == os.makedev(1, 5) and stat.S_IMODE(st.st_mode) == 0o640
    os.chmod(a.path / "zero", 0o600)
    assert mode_of(a.backing / "zero") == 0o600
    st = os.lstat(a.path / "zero")
    assert stat.S_ISCHR(st.st_mode) and st.st_rdev == os.makedev(1, 5) and stat.S_IMODE(st.st_mode) == 0o600


def test_special_files_made_on_the_servers_disk(pmnt):
    b = pmnt.backing
    os.mkfifo(b / "fifo", 0o620)
    os.mknod(b / "null", stat.S_IFCHR | 0o666, os.makedev(1, 3))
    os.mknod(b / "loop", stat.S_IFBLK | 0o660, os.makedev(7, 0))
    make_socket(b / "sock")
    for n, mode in (("fifo", 0o620), ("null", 0o666), ("loop", 0o660), ("sock", 0o755)):
        os.chown(b / n, pmnt.server.uid, pmnt.server.gid)
        os.chmod(b / n, mode)  # past the umask
    p = pmnt.path
    names = sorted(os.listdir(p))  # the listing first: readdirplus gives the kernel these attributes
    assert names == ["fifo", "loop", "null", "sock"]
    assert kind(p / "fifo") == "fifo" and mode_of(p / "fifo") == 0o620
    assert kind(p / "null") == "character special file" and os.lstat(p / "null").st_rdev == os.makedev(1, 3)
    assert kind(p / "loop") == "block special file" and os.lstat(p / "loop").st_rdev == os.makedev(7, 0)
    assert kind(p / "sock") == "socket" and mode_of(p / "sock") == 0o755
    for n in names:
        os.unlink(p / n)
        assert not os.path.lexists(b / n)


def test_noposix_mknod_is_eperm(pmount):
    m = pmount(opts={"noposix": None})
    for make in (lambda: os.mkfifo(m.path / "p"), lambda: os.mknod(m.path / "c", stat.S_IFCHR | 0o600, 0)):
        with pytest.raises(OSError) as e:
            make()
        assert e.value.errno == errno.EPERM
    assert os.listdir(m.backing) == []
    assert "special files need SMB 3.1.1 POSIX extensions" in m.stderr()


def test_listing_costs_a_request_per_device_only(pmount):
    # FilePosixInformation has the type but no device numbers: a listed device costs one compound
    # (CREATE + FSCTL_GET_REPARSE_POINT + CLOSE, 3 requests), a fifo or socket nothing more than a file.
    if pmount.cache == "none":
        pytest.skip("cache=none revalidates every entry by design")
    a = pmount()
    for d in ("files", "fifos", "devs"):
        os.mkdir(a.path / d)
    for i in range(20):
        (a.path / "files" / f"n{i:02}").write_text("")
        os.mkfifo(a.path / "fifos" / f"n{i:02}")
        os.mknod(a.path / "devs" / f"n{i:02}", stat.S_IFCHR | 0o600, os.makedev(1, 7)) if i < 5 else \
            (a.path / "devs" / f"n{i:02}").write_text("")
    m = pmount(per_test_dir=False)
    top = m.path / a.path.name
    for d in (top, top / "files", top / "fifos", top / "devs"):
        os.stat(d)  # the lookups of the directories, before counting (the second may list top: issue 16)
    cost = {}
    for d in ("files", "fifos", "devs"):
        before = stats(m)["requests.total"]
        entries = [e.stat(follow_symlinks=False) for e in os.scandir(top / d)]
        cost[d] = stats(m)["requests.total"] - before
        assert len(entries) == 20
    assert sum(stat.S_ISCHR(s.st_mode) and s.st_rdev == os.makedev(1, 7) for s in entries) == 5
    assert cost["fifos"] == cost["files"] and cost["devs"] == cost["files"] + 5 * 3, cost
