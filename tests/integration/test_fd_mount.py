"""/dev/fd/N as the mount point: what a FUSE CSI driver for Kubernetes does (meta-fuse-csi-plugin's
fusermount3-proxy and the like). A privileged helper, here the test as root, opens /dev/fuse and mounts
it itself; it hands the descriptor to an unprivileged smbfuse (nobody, no access to /dev/fuse), which
serves the mount. Unmounting by the helper ends smbfuse cleanly."""
import ctypes
import errno
import os
import subprocess
import uuid

import pytest

import smbfixture as sf

MS_NOSUID, MS_NODEV = 2, 4
NOBODY = 65534

libc = ctypes.CDLL(None, use_errno=True)
libc.mount.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_ulong, ctypes.c_char_p]
libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]


def helper_mount(mp):
    """The privileged half: open /dev/fuse, mount it on mp for nobody (allow_other: root may look)."""
    fd = os.open("/dev/fuse", os.O_RDWR | os.O_CLOEXEC)
    data = f"fd={fd},rootmode=40000,user_id={NOBODY},group_id={NOBODY},allow_other".encode()
    if libc.mount(b"//127.0.0.1/share", str(mp).encode(), b"fuse.smbfuse", MS_NOSUID | MS_NODEV, data) != 0:
        e = ctypes.get_errno()
        os.close(fd)
        raise OSError(e, os.strerror(e))
    return fd


@pytest.fixture
def fd_mount(smbfuse_bin, server, tmp_path):
    if os.geteuid() != 0:
        pytest.skip("needs root: the helper's mount(2)")
    mp = tmp_path / "mnt"
    mp.mkdir()
    fd = helper_mount(mp)
    log = open(tmp_path / "smbfuse.log", "w+")
    opts = f"port={server.port},username={server.user}"
    proc = subprocess.Popen([str(smbfuse_bin), "//127.0.0.1/share", f"/dev/fd/{fd}", "-f", "-o", opts],
                            pass_fds=(fd,), user=NOBODY, group=NOBODY, extra_groups=[], stdin=subprocess.DEVNULL,
                            stdout=log, stderr=subprocess.STDOUT,
                            env={**os.environ, **sf.sanitizer_env(), "PASSWD": server.password})
    os.close(fd)  # smbfuse holds it now; the mount lives as long as its descriptor
    yield mp, proc, log
    if sf.is_mounted(mp):  # the helper's duty, whatever became of smbfuse
        libc.umount2(str(mp).encode(), 2)  # MNT_DETACH
    if proc.poll() is None:
        sf.stop_pid(proc)
    log.close()


def test_unprivileged_smbfuse_serves_a_helper_mounted_fd(fd_mount, server):
    mp, proc, log = fd_mount
    name = f"fd-{uuid.uuid4().hex[:8]}"
    (server.backing / f"{name}.srv").write_text("from the server\n")
    os.chmod(server.backing / f"{name}.srv", 0o644)
    sf.wait_until(lambda: proc.poll() is not None or (mp / f"{name}.srv").exists(), 30, what="the mount to serve")
    assert proc.poll() is None, open(log.name).read()
    assert (mp / f"{name}.srv").read_text() == "from the server\n"
    (mp / f"{name}.cli").write_text("from the client\n")
    assert (server.backing / f"{name}.cli").read_text() == "from the client\n"
    # It really is nobody serving, without /dev/fuse of its own.
    with open(f"/proc/{proc.pid}/status") as f:
        uids = next(line for line in f if line.startswith("Uid:")).split()[1:]
    assert set(uids) == {str(NOBODY)}, uids

    # The helper unmounts (the pod goes): smbfuse ends by itself, with status 0 and nothing on stderr
    # but its log lines.
    assert libc.umount2(str(mp).encode(), 0) == 0, os.strerror(ctypes.get_errno())
    rc = proc.wait(timeout=15)
    out = open(log.name).read()
    assert rc == 0, out
    assert not sf.SANITIZER.search(out), out
    assert "clone_fd" not in out and "failed to open /dev/fuse" not in out, out
    assert not sf.is_mounted(mp)


def test_fd_mountpoint_that_is_not_a_descriptor(run_smbfuse, server):
    for mp in ("/dev/fd/999", "/dev/fd/x", "/dev/fd/"):
        f = run_smbfuse(["//127.0.0.1/share", mp, "-f", "-o", f"port={server.port},username={server.user},"
                         f"password={server.password}"])
        assert f.rc == 1, f
        assert f.lines == [f"smbfuse: mount point {mp}: not an open /dev/fuse descriptor handed over by a helper"], f


def test_sigterm_ends_smbfuse_and_leaves_the_mount_to_the_helper(fd_mount):
    """SIGTERM (the container stops first): smbfuse exits 0; the mount is the helper's, which unmounts it
    (until then the mount answers ENOTCONN)."""
    mp, proc, log = fd_mount
    sf.wait_until(lambda: proc.poll() is not None or os.listdir(mp) is not None, 30, what="the mount to serve")
    assert proc.poll() is None, open(log.name).read()
    proc.terminate()
    rc = proc.wait(timeout=15)
    out = open(log.name).read()
    assert rc == 0, out
    assert not sf.SANITIZER.search(out), out
    with pytest.raises(OSError) as e:
        os.listdir(mp)
    assert e.value.errno == errno.ENOTCONN
    assert libc.umount2(str(mp).encode(), 0) == 0, os.strerror(ctypes.get_errno())
