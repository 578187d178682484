"""Bad input: each case gives a one-line error on stderr and a non-zero exit within a few seconds.

Expected of the daemon: exactly one non-empty stderr line, starting with "smbfuse: ", naming the problem;
exit status non-zero; nothing mounted; no hang (the run is killed and the test fails after 15 s)."""
import os
import re
import socket
import threading
import time

import pytest

import smbfixture as sf

FAST = 5.0  # seconds within which a refused or rejected mount must give up


def check_one_line(f, pattern, within=FAST):
    """f: the Failure of a run_smbfuse call."""
    assert f.rc != 0, f
    assert f.rc > 0, f"killed by signal: {f}"
    assert len(f.lines) == 1, f"expected exactly one line on stderr: {f}"
    assert f.lines[0].startswith("smbfuse: "), f
    assert re.search(pattern, f.lines[0], re.I), f"{pattern!r} not in {f.lines[0]!r}"
    assert f.elapsed < within, f


@pytest.fixture
def mp(tmp_path):
    p = tmp_path / "mnt"
    p.mkdir()
    return p


def opts(port, **kw):
    o = {"port": port, **kw}
    return ",".join(k if v is True else f"{k}={v}" for k, v in o.items())


def test_wrong_password(run_smbfuse, server, mp):
    f = run_smbfuse(["//127.0.0.1/share", mp, "-f", "-o",
                     opts(server.port, username=server.user, password="not-the-password")], mountpoint=mp)
    check_one_line(f, r"logon|password|authenticat|access denied")


def test_unknown_user(run_smbfuse, server, mp):
    # map to guest = Bad User would make an unknown user a guest; the share allows only the test user.
    f = run_smbfuse(["//127.0.0.1/share", mp, "-f", "-o",
                     opts(server.port, username="nosuchuser", password="x")], mountpoint=mp)
    check_one_line(f, r"logon|password|authenticat|denied|guest")


def test_unknown_share(run_smbfuse, server, mp):
    f = run_smbfuse(["//127.0.0.1/no-such-share", mp, "-f", "-o",
                     opts(server.port, username=server.user, password=server.password)], mountpoint=mp)
    check_one_line(f, r"share|bad_network_name|not found|no such")


def test_unknown_subdir(run_smbfuse, server, mp):
    f = run_smbfuse(["//127.0.0.1/share/no/such/dir", mp, "-f", "-o",
                     opts(server.port, username=server.user, password=server.password)], mountpoint=mp)
    check_one_line(f, r"no such|not found|does not exist|path")


def test_closed_port_refused_fast(run_smbfuse, mp):
    port = sf.free_port()  # nothing listens there
    f = run_smbfuse(["//127.0.0.1/share", mp, "-f", "-o", opts(port, username="u", password="p")],
                    mountpoint=mp)
    check_one_line(f, r"refused|connect", within=3.0)


@pytest.fixture
def silent_listener():
    """A loopback port whose accept queue is full: further SYNs are dropped, so connect() hangs."""
    lst = socket.socket()
    lst.bind(("127.0.0.1", 0))
    lst.listen(0)
    port = lst.getsockname()[1]
    fillers = []
    for _ in range(8):  # the first fills the queue (backlog 0 admits one); the rest hang in SYN_SENT
        c = socket.socket()
        c.setblocking(False)
        c.connect_ex(("127.0.0.1", port))
        fillers.append(c)
    # Prove the port now swallows connections.
    probe = socket.socket()
    probe.settimeout(0.5)
    try:
        probe.connect(("127.0.0.1", port))
        pytest.fail("could not build a non-answering port: connect succeeded")
    except socket.timeout:
        pass
    finally:
        probe.close()
    yield port
    for c in fillers:
        c.close()
    lst.close()


def test_connect_timeout(run_smbfuse, silent_listener, mp):
    f = run_smbfuse(["//127.0.0.1/share", mp, "-f", "-o",
                     opts(silent_listener, username="u", password="p", timeout=1)], mountpoint=mp)
    check_one_line(f, r"time[ds]? ?out|no answer", within=1.0 + FAST)
    assert f.elapsed >= 0.9, f"gave up before the 1 s timeout: {f}"


class GarbageServer:
    """A tiny TCP server on loopback that answers every connection with `reply` (then closes, or keeps
    the connection open if keep_open)."""

    def __init__(self, reply, keep_open=False):
        self.reply, self.keep_open = reply, keep_open
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.stop = threading.Event()
        self.conns = []
        self.received = b""
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while not self.stop.is_set():
            try:
                c, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            c.settimeout(2)
            try:
                self.received += c.recv(65536)  # the client's NEGOTIATE
            except OSError:
                pass
            try:
                c.sendall(self.reply)
            except OSError:
                pass
            if self.keep_open:
                self.conns.append(c)
            else:
                c.close()

    def close(self):
        self.stop.set()
        self.thread.join(5)
        for c in self.conns:
            c.close()
        self.sock.close()


def nbss(payload):
    return len(payload).to_bytes(4, "big") + payload


GARBAGE = {
    "http": (b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", False),
    "random-then-close": (bytes(range(256)) * 4, False),
    "close-immediately": (b"", False),
    "framed-non-smb": (nbss(b"\xfeSMX" + b"\xff" * 60), True),
    "framed-short-smb2-header": (nbss(b"\xfeSMB" + b"\x40\x00"), True),
    "framed-smb2-garbage-negotiate": (
        nbss(b"\xfeSMB" + (64).to_bytes(2, "little") + b"\0" * 6 + b"\0\0" + b"\x01\x00" + b"\x01\0\0\0"
             + b"\0" * 48 + b"\x41\x00" + b"\xff" * 62), True),
    "huge-frame-length": (b"\x00\xff\xff\xff" + b"\xfeSMB", True),
}


GARBAGE_WORDS = (r"protocol|invalid|malformed|unexpected|negotiat|closed|reset|bad|short|garbage|"
                 r"not an smb|too (large|long|big)|time[ds]? ?out")


def test_fixture_garbage_server_answers():
    srv = GarbageServer(b"JUNK", keep_open=False)
    try:
        with socket.create_connection(("127.0.0.1", srv.port), timeout=5) as c:
            c.sendall(nbss(b"\xfeSMB" + b"\0" * 60))
            assert c.recv(100) == b"JUNK"
        assert srv.received[4:8] == b"\xfeSMB"
    finally:
        srv.close()


def test_fixture_silent_listener_swallows_connections(silent_listener):
    t0 = time.monotonic()
    with pytest.raises(socket.timeout):
        socket.create_connection(("127.0.0.1", silent_listener), timeout=1)
    assert time.monotonic() - t0 >= 0.9


@pytest.mark.parametrize("kind", list(GARBAGE))
def test_server_speaks_garbage(run_smbfuse, mp, kind):
    reply, keep_open = GARBAGE[kind]
    srv = GarbageServer(reply, keep_open)
    try:
        # timeout= bounds connecting and negotiating, so a server that sends half a frame and then
        # nothing cannot hold the mount forever.
        f = run_smbfuse(["//127.0.0.1/share", mp, "-f", "-o",
                         opts(srv.port, username="u", password="p", timeout=2)], mountpoint=mp)
    finally:
        srv.close()
    assert srv.received[4:8] in (b"\xfeSMB", b"\xffSMB"), "the client never sent a NEGOTIATE"
    check_one_line(f, GARBAGE_WORDS, within=2 + FAST)


def test_mount_point_does_not_exist(run_smbfuse, server, tmp_path):
    missing = tmp_path / "no" / "such" / "dir"
    f = run_smbfuse(["//127.0.0.1/share", missing, "-f", "-o",
                     opts(server.port, username=server.user, password=server.password)])
    check_one_line(f, r"mount ?point|no such file|does not exist|not a directory")
    assert not missing.exists()


def test_unknown_option(run_smbfuse, server, mp):
    f = run_smbfuse(["//127.0.0.1/share", mp, "-f", "-o",
                     opts(server.port, username=server.user, password=server.password,
                          frobnicate="yes")], mountpoint=mp)
    check_one_line(f, r"frobnicate")


@pytest.mark.parametrize("bad", ["vers=9.9", "port=notanumber", "port=70000", "uid=-1x",
                                 "file_mode=999", "timeout=0", "cache=sometimes"])
def test_bad_option_values(run_smbfuse, server, mp, bad):
    f = run_smbfuse(["//127.0.0.1/share", mp, "-f", "-o",
                     f"username={server.user},password={server.password},{bad}"], mountpoint=mp)
    check_one_line(f, re.escape(bad.split("=")[0]))


def test_bad_source(run_smbfuse, mp):
    f = run_smbfuse(["not-a-unc-path", mp, "-f"], mountpoint=mp)
    check_one_line(f, r"source|//server/share|smb://|invalid")


def test_missing_mountpoint_argument(run_smbfuse):
    f = run_smbfuse(["//127.0.0.1/share"])
    check_one_line(f, r"mount ?point|usage")


def test_credentials_file_readable_by_others_refused(run_smbfuse, server, mp, tmp_path):
    cred = tmp_path / "cred"
    cred.write_text(f"username={server.user}\npassword={server.password}\n")
    cred.chmod(0o644)
    f = run_smbfuse(["//127.0.0.1/share", mp, "-f", "-o", f"port={server.port},credentials={cred}"],
                    mountpoint=mp)
    check_one_line(f, r"credentials|permission|readable|mode")


def test_missing_credentials_file(run_smbfuse, server, mp, tmp_path):
    f = run_smbfuse(["//127.0.0.1/share", mp, "-f", "-o",
                     f"port={server.port},credentials={tmp_path / 'none'}"], mountpoint=mp)
    check_one_line(f, r"credentials|no such file")


def test_version_and_help_exit_zero(smbfuse_bin):
    import subprocess
    for flag in ("--version", "--help"):
        r = subprocess.run([str(smbfuse_bin), flag], capture_output=True, text=True, timeout=10,
                           env={**os.environ, **sf.sanitizer_env()})
        assert r.returncode == 0, (flag, r)
        assert not sf.SANITIZER.search(r.stderr)
        assert (r.stdout + r.stderr).strip()
        if flag == "--version":
            # the licence meson.build declares and LICENSE holds
            assert re.search(r"^smbfuse version \d+\.\d+", r.stdout, re.M), r.stdout
            assert "GPL-2.0-or-later" in r.stdout, r.stdout
        else:
            # made from the option table (tests/unit/fs/test_opts_help.c checks every entry); these are
            # the ones the hand-written text lacked (issue 13)
            for name in ("seal", "soft", "hard", "rsize=", "wsize=", "ip=", "noserverino", "sec=", "mfsymlinks"):
                assert re.search(rf"(^|[\s,]){re.escape(name)}", r.stdout, re.M), name
