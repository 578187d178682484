"""Mount variants: dialects, signing, ro, guest, subdir, password sources, smb:// URLs, signals, daemon mode."""
import errno
import os
import signal
import stat
import subprocess
import time

import pytest

import smbfixture as sf


def core_ops(m):
    """A core subset of operations, checked against the backing directory."""
    data = os.urandom(2 * 1024 * 1024 + 3)
    (m.path / "core.bin").write_bytes(data)
    assert (m.backing / "core.bin").read_bytes() == data
    assert (m.path / "core.bin").read_bytes() == data
    os.mkdir(m.path / "dir")
    (m.path / "dir" / "a").write_text("a")
    assert sorted(os.listdir(m.path)) == ["core.bin", "dir"]
    os.rename(m.path / "dir" / "a", m.path / "dir" / "b")
    assert (m.backing / "dir" / "b").read_text() == "a"
    assert os.stat(m.path / "core.bin").st_size == len(data)
    os.unlink(m.path / "dir" / "b")
    os.rmdir(m.path / "dir")
    assert sorted(os.listdir(m.backing)) == ["core.bin"]


DIALECTS = [("2.1", "SMB2_10"), ("3.0", "SMB3_00"), ("3.1.1", "SMB3_11")]


@pytest.mark.parametrize("cache", ["strict", "loose", "none"])
@pytest.mark.parametrize("vers,protocol", DIALECTS, ids=[d[0] for d in DIALECTS])
def test_dialect(mount, server, vers, protocol, cache):
    m = mount(opts={"vers": vers, "cache": cache})
    core_ops(m)
    sessions = sf.mount_sessions(server, m)
    assert [s["protocol"] for s in sessions] == [protocol]
    assert sessions[0]["user"] == server.user


def test_default_dialect_is_highest(mount, server):
    m = mount()
    core_ops(m)
    assert [s["protocol"] for s in sf.mount_sessions(server, m)] == ["SMB3_11"]


@pytest.mark.parametrize("vers,protocol", DIALECTS, ids=[d[0] for d in DIALECTS])
def test_signing_mandatory_server(mount, samba_server, vers, protocol):
    srv = samba_server(**{"server signing": "mandatory"})
    m = mount(srv, opts={"vers": vers})
    core_ops(m)
    (s,) = sf.mount_sessions(srv, m)
    assert s["protocol"] == protocol
    assert sf.signed(s), s


def test_sign_option(mount, server):
    m = mount(opts={"sign": True})
    core_ops(m)
    (s,) = sf.mount_sessions(server, m)
    assert sf.signed(s), s


@pytest.mark.parametrize("cache", ["strict", "loose", "none"])
def test_cache_modes(mount, cache):
    m = mount(opts={"cache": cache})
    core_ops(m)
    # A change made on the server is seen once the attribute cache (actimeo) has expired.
    m.disk_write("server-side", b"v1")
    assert (m.path / "server-side").read_bytes() == b"v1"


def test_all_documented_options_together(mount, server):
    m = mount(opts={"domain": "WORKGROUP", "uid": 4321, "gid": 4321, "file_mode": "0600",
                    "dir_mode": "0700", "vers": "3.1.1", "sign": True, "rw": True, "timeout": 5,
                    "actimeo": 1, "cache": "strict"})
    core_ops(m)
    st = os.stat(m.path / "core.bin")
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (4321, 4321, 0o600)


def test_ro_mount_refuses_writes_with_erofs(mount):
    m0 = mount()
    m0.disk_write("existing", b"data")
    m0.disk_mkdir("dir")
    m = mount(opts={"ro": True}, subdir=m0.backing.name)
    assert (m.path / "existing").read_bytes() == b"data"
    attempts = {
        "create": lambda: open(m.path / "new", "w"),
        "open for write": lambda: open(m.path / "existing", "r+"),
        "mkdir": lambda: os.mkdir(m.path / "d2"),
        "unlink": lambda: os.unlink(m.path / "existing"),
        "rmdir": lambda: os.rmdir(m.path / "dir"),
        "rename": lambda: os.rename(m.path / "existing", m.path / "other"),
        "truncate": lambda: os.truncate(m.path / "existing", 0),
        "chmod": lambda: os.chmod(m.path / "existing", 0o444),
        "utime": lambda: os.utime(m.path / "existing", (1, 1)),
    }
    for what, fn in attempts.items():
        with pytest.raises(OSError) as e:
            fn()
        assert e.value.errno == errno.EROFS, f"{what}: {e.value}"
    assert (m0.backing / "existing").read_bytes() == b"data"
    assert sorted(os.listdir(m0.backing)) == ["dir", "existing"]


def test_read_only_share(mount, server):
    (server.shares["ro"] / "readme.txt").write_text("public")
    m = mount(share="ro")
    assert (m.path / "readme.txt").read_text() == "public"
    with pytest.raises(OSError) as e:
        open(m.path / "new.txt", "w")
    assert e.value.errno in (errno.EACCES, errno.EROFS, errno.EPERM)
    assert not (server.shares["ro"] / "new.txt").exists()


def test_guest_mount_of_guest_share(mount, server):
    (server.shares["guest"] / "for-guests.txt").write_text("hi guest")
    os.chmod(server.shares["guest"] / "for-guests.txt", 0o644)
    m = mount(share="guest", opts={"guest": True})
    assert (m.path / "for-guests.txt").read_text() == "hi guest"
    name = f"by-guest-{os.getpid()}-{time.monotonic_ns()}"
    (m.path / name).write_text("guest wrote this")
    backing = server.shares["guest"] / name
    assert backing.read_text() == "guest wrote this"
    assert backing.stat().st_uid == sf.GUEST_UID  # smbd really ran this session as the guest
    (s,) = sf.mount_sessions(server, m)
    assert s["user"] == "nobody"


def test_subdir_mount(mount):
    m0 = mount()
    m0.disk_mkdir("sub/deeper")
    m0.disk_write("sub/deeper/inside.txt", b"inside")
    m = mount(subdir=f"{m0.backing.name}/sub/deeper")
    assert os.listdir(m.path) == ["inside.txt"]
    (m.path / "new").write_text("n")
    assert (m0.backing / "sub" / "deeper" / "new").read_text() == "n"


@pytest.mark.parametrize("via", ["env", "credentials"])
def test_password_sources(mount, via):
    m = mount(password_via=via)
    core_ops(m)


def test_password_not_visible_in_cmdline(mount, server):
    m = mount(password_via="option")
    cmdline = open(f"/proc/{m.proc.pid}/cmdline", "rb").read()
    assert server.password.encode() not in cmdline
    environ = open(f"/proc/{m.proc.pid}/environ", "rb").read()
    assert b"password=" not in environ
    assert server.password not in m.stderr()


def test_password_not_logged_with_debug(mount, server):
    m = mount(password_via="option", extra_args=["-d"])
    core_ops(m)
    assert server.password not in m.stderr()


def test_credentials_file_with_domain(mount, server, tmp_path):
    cred = tmp_path / "cred"
    cred.write_text(f"username={server.user}\npassword={server.password}\ndomain=WORKGROUP\n")
    cred.chmod(0o600)
    m = mount(password_via=None, opts={"credentials": cred})
    core_ops(m)


def test_smb_url_source(mount, server):
    m0 = mount()
    m0.disk_write("via-url.txt", b"url")
    url = f"smb://{server.user}@127.0.0.1:{server.port}/share/{m0.backing.name}"
    m = mount(password_via="env", source=url, subdir=m0.backing.name,
              opts={"port": sf.OMIT, "username": sf.OMIT})
    assert (m.path / "via-url.txt").read_bytes() == b"url"


def test_smb_url_with_domain(mount, server):
    m0 = mount()
    m0.disk_write("d.txt", b"dom")
    url = f"smb://WORKGROUP;{server.user}@127.0.0.1:{server.port}/share/{m0.backing.name}"
    m = mount(password_via="env", source=url, subdir=m0.backing.name,
              opts={"port": sf.OMIT, "username": sf.OMIT})
    assert (m.path / "d.txt").read_bytes() == b"dom"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_unmounts_cleanly(mount, sig):
    m = mount()
    (m.path / "f").write_text("x")
    m.proc.send_signal(sig)
    assert m.proc.wait(20) == 0
    assert not sf.is_mounted(m.root)
    assert (m.backing / "f").read_text() == "x"


def test_daemon_mode_without_f(server, smbfuse_bin, tmp_path):
    mp = tmp_path / "mnt"
    mp.mkdir()
    argv = [str(smbfuse_bin), "//127.0.0.1/share", str(mp), "-o",
            f"port={server.port},username={server.user}"]
    env = {**os.environ, **sf.sanitizer_env(), "PASSWD": server.password}
    pids = []
    try:
        r = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60,
                           env=env)
        assert r.returncode == 0, r.stderr
        assert sf.is_mounted(mp)  # mounted when the foreground process returns
        os.listdir(mp)
    finally:
        pids = daemon_pids(mp)
        if sf.is_mounted(mp):
            subprocess.run(["fusermount3", "-u", str(mp)], capture_output=True, timeout=30)
    for pid in pids:
        try:
            sf.wait_until(lambda: not os.path.exists(f"/proc/{pid}") or
                          open(f"/proc/{pid}/stat").read().split()[2] == "Z", 20,
                          what=f"daemon {pid} to exit after unmount")
        except TimeoutError:
            os.kill(pid, signal.SIGKILL)
            raise
        finally:
            if sf.is_mounted(mp):
                subprocess.run(["fusermount3", "-u", "-z", str(mp)], capture_output=True, timeout=30)
    assert not sf.is_mounted(mp)


def daemon_pids(mp):
    """Our daemon: the process whose command line names our private mount point."""
    pids = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            argv = open(f"/proc/{p}/cmdline", "rb").read().split(b"\0")
        except OSError:
            continue
        if str(mp).encode() in argv and int(p) != os.getpid():
            pids.append(int(p))
    return pids
