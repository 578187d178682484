"""systemd's readiness protocol (Type=notify): the test listens on the socket $NOTIFY_SOCKET names, as
systemd does, and reads what smbfuse sends: READY=1 once the share is mounted, STATUS= lines when the
connection is lost and rebuilt, STOPPING=1 at SIGTERM."""
import os
import signal
import socket

import pytest

import smbfixture as sf
from test_reconnect import kill_and_wait, serving_pid


class Listener:
    def __init__(self, address):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(address)
        self.messages = []

    def wait_for(self, pred, timeout, what):
        """Read datagrams until one satisfies pred; return it."""
        def got():
            self.sock.settimeout(0.1)
            try:
                self.messages.append(self.sock.recv(4096).decode())
            except socket.timeout:
                pass
            return any(pred(m) for m in self.messages)
        sf.wait_until(got, timeout, interval=0, what=what)
        return next(m for m in self.messages if pred(m))


@pytest.fixture(params=["path", "abstract"])
def listener(request, tmp_path):
    if request.param == "path":
        address = str(tmp_path / "notify")
        env_value = address
    else:
        name = f"smbfuse-test-notify-{os.getpid()}-{id(request)}"
        address = "\0" + name
        env_value = "@" + name
    lst = Listener(address)
    yield lst, env_value
    lst.sock.close()


def test_ready_status_and_stopping(listener, server, mount):
    lst, env_value = listener
    m = mount(env={"NOTIFY_SOCKET": env_value})
    ready = lst.wait_for(lambda s: "READY=1" in s.split("\n"), 10, "READY=1")
    assert "STATUS=//127.0.0.1/share mounted on" in ready, ready
    # Sent after the mount existed: systemd starts what depends on the unit only then.
    assert sf.is_mounted(m.root)

    kill_and_wait(serving_pid(server, m))
    (m.path / "after.txt").write_bytes(b"after")  # the next request rebuilds the connection
    unc = "\\\\127.0.0.1\\share"  # as the log names it
    lst.wait_for(lambda s: s == f"STATUS=connection to {unc} lost; reconnecting", 10, "STATUS lost")
    lst.wait_for(lambda s: s == f"STATUS=reconnected to {unc}", 10, "STATUS reconnected")

    m.proc.send_signal(signal.SIGTERM)
    assert m.proc.wait(timeout=15) == 0, m.stderr()
    lst.wait_for(lambda s: s == "STOPPING=1", 5, "STOPPING=1")
    assert "NOTIFY_SOCKET" not in m.stderr()


def test_no_notify_socket_sends_nothing_and_mounts(server, mount, tmp_path):
    """Without $NOTIFY_SOCKET nothing is sent; a bad value is one warning, and the mount goes on."""
    m = mount(env={"NOTIFY_SOCKET": "relative/path"})
    assert sf.is_mounted(m.root)
    assert "NOTIFY_SOCKET=relative/path is not a socket path or @name" in m.stderr()


def test_delete_pending_asked_only_after_a_name_left(any_mnt):
    """After each change notification the watch may ask whether its directory is being deleted (an open
    by name, src/proto/watch.c "Removed by another client"). A directory is emptied before it is
    deleted, and the server keeps changes for the next request, so answers that only add or modify
    names ask nothing; one where a name left asks."""
    from test_cache import fast_stats, watch_questions_settled
    m = any_mnt
    if m.cache == "none":
        pytest.skip("cache=none keeps no watch")
    (m.path / "d").mkdir()
    assert os.listdir(m.path / "d") == []
    watch_questions_settled(m)  # the new watch's own question is not the one tested
    s0 = fast_stats(m)
    for i in range(10):
        m.disk_write(f"d/f{i}", b"x")
    sf.wait_until(lambda: fast_stats(m)["notify.received"] > s0["notify.received"] and
                  len(os.listdir(m.path / "d")) == 10, 10, what="the creates notified")
    s1 = fast_stats(m)
    assert s1["notify.delete_checks"] == s0["notify.delete_checks"], "asked after names were only added"
    os.unlink(m.backing / "d" / "f0")
    sf.wait_until(lambda: fast_stats(m)["notify.delete_checks"] > s1["notify.delete_checks"], 10,
                  what="the question after a removal")
    assert sorted(os.listdir(m.path / "d")) == [f"f{i}" for i in range(1, 10)]


def test_new_watch_is_asked_by_its_listing(any_mnt):
    """A new watch must learn whether its directory was deleted between its open and its first request
    (src/proto/watch.c, "Removed by another client"). Over SMB2 the listing that started the watch opens
    the directory by name after that request, and its success is the answer: `ls` of a directory asks
    nothing more (one open and close fewer per directory of a `find`). SMB1's listing opens nothing by
    name, and the worker asks."""
    from test_cache import fast_stats, watch_questions_settled
    m = any_mnt
    if m.cache == "none":
        pytest.skip("cache=none keeps no watch")
    dirs = ("a", "b", "c")
    for d in dirs:
        m.disk_mkdir(d)  # made on the server: no watch of ours yet
        m.disk_write(f"{d}/f", b"x")
    s0 = fast_stats(m)
    for d in dirs:
        assert os.listdir(m.path / d) == ["f"]

    def delta(s, k):
        return s[k] - s0[k]
    s1 = watch_questions_settled(m)
    started = delta(s1, "notify.watches_started")
    assert started >= len(dirs), s1
    answers, checks = delta(s1, "notify.listing_answers"), delta(s1, "notify.delete_checks")
    assert (answers, checks) == ((0, started) if m.dialect == "smb1" else (started, 0)), s1
    # And the watches hold: another client's new name is seen through the listing.
    m.disk_write("a/g", b"y")
    sf.wait_until(lambda: sorted(os.listdir(m.path / "a")) == ["f", "g"], 10, what="the new name listed")


def test_own_changes_delay_the_next_notification(any_mnt):
    """Our own creates in a watched directory each complete the pending change notification; while we
    keep changing names there, the next request waits a moment (src/proto/watch.c "Our own changes"), so
    one answer carries many files' changes: far fewer answers than files. Another client's change after
    that is still heard."""
    from test_cache import fast_stats
    m = any_mnt
    if m.cache == "none":
        pytest.skip("cache=none keeps no watch")
    n = 200
    (m.path / "d").mkdir()
    assert os.listdir(m.path / "d") == []
    s0 = fast_stats(m)
    for i in range(n):
        (m.path / "d" / f"f{i}").write_bytes(b"x")
    s1 = fast_stats(m)
    answers = s1["notify.received"] - s0["notify.received"]
    assert s1["notify.rearms_delayed"] > s0["notify.rearms_delayed"]
    assert answers < n / 2, answers
    m.disk_write("d/other", b"y")
    sf.wait_until(lambda: fast_stats(m)["notify.received"] > s1["notify.received"], 10,
                  what="the other client's change notified")
    assert sorted(os.listdir(m.path / "d")) == sorted([f"f{i}" for i in range(n)] + ["other"])
    assert sorted(os.listdir(m.backing / "d")) == sorted([f"f{i}" for i in range(n)] + ["other"])
