"""Unlink of an open file: the name goes at once, the open descriptor keeps working (issue namespace).

SMB keeps a deleted file under its name until its last handle closes. When this mount still has the file
open, smbfuse renames it to a hidden `.smbfuse-deleted-<hex>` name with delete-on-close (Samba 4.17 refuses
POSIX delete semantics). Each test runs over SMB2 and SMB1 in every cache mode (any_mnt, conftest.py) and
checks the server's backing directory. Before the change, creating the name again failed (EEXIST/ENOENT)
until the last close, and the hidden name did not exist.
"""
import errno
import os
import signal

import pytest

import smbfixture as sf

pytestmark = pytest.mark.timeout(120)

PREFIX = ".smbfuse-deleted-"


def hidden(backing):
    return [n for n in os.listdir(backing) if n.startswith(PREFIX)]


def test_unlink_open_file_then_recreate(any_mnt):
    m = any_mnt
    u = m.path / "u"
    fd = os.open(u, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        os.write(fd, b"old")
        os.fsync(fd)
        os.unlink(u)
        assert not os.path.exists(u)
        assert os.listdir(m.path) == []
        u.write_text("new")
        assert u.read_text() == "new"
        # The old descriptor still reads and writes its own file.
        assert os.pread(fd, 10, 0) == b"old"
        os.pwrite(fd, b"OLD!", 0)
        os.fsync(fd)
        assert os.pread(fd, 10, 0) == b"OLD!"
        assert os.fstat(fd).st_nlink == 0
    finally:
        os.close(fd)
    sf.wait_until(lambda: os.listdir(m.backing) == ["u"], 1, what="only the new u on the server")
    assert (m.backing / "u").read_text() == "new"
    assert u.read_text() == "new"


def test_unlink_file_open_for_reading(any_mnt):
    m = any_mnt
    m.disk_write("r", b"contents")
    fd = os.open(m.path / "r", os.O_RDONLY)
    try:
        os.unlink(m.path / "r")
        assert not os.path.exists(m.path / "r")
        # On the server it waits under a hidden name, which the mount never shows or finds.
        names = hidden(m.backing)
        assert len(names) == 1 and "r" not in os.listdir(m.backing), os.listdir(m.backing)
        assert os.listdir(m.path) == []
        with pytest.raises(FileNotFoundError):
            os.stat(m.path / names[0])
        assert os.read(fd, 100) == b"contents"
    finally:
        os.close(fd)
    sf.wait_until(lambda: os.listdir(m.backing) == [], 1, what="the hidden file deleted at the last close")


def test_rmdir_after_unlinking_its_open_last_file(any_mnt):
    """Linux removes the directory at once. Over SMB the unlinked file still exists in it (hidden) until its
    last close, and Samba refuses to remove a non-empty directory: ENOTEMPTY is the honest answer, and the
    rmdir works once the file is closed (README, Limitations)."""
    m = any_mnt
    (m.path / "d").mkdir()
    fd = os.open(m.path / "d/f", os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        os.write(fd, b"x")
        os.unlink(m.path / "d/f")
        assert os.listdir(m.path / "d") == []
        try:
            os.rmdir(m.path / "d")
            removed = True
        except OSError as e:
            assert e.errno == errno.ENOTEMPTY, e
            removed = False
    finally:
        os.close(fd)
    if not removed:
        sf.wait_until(lambda: hidden(m.backing / "d") == [], 1, what="the hidden file deleted")
        os.rmdir(m.path / "d")
    assert os.listdir(m.backing) == []


def test_new_file_never_gets_the_unlinked_files_handle(any_mnt):
    """The old file's handle must never be reused for the new file of the same name (handle cache)."""
    m = any_mnt
    u = m.path / "u"
    u.write_text("old")
    old = os.open(u, os.O_RDONLY)  # read only: a handle that wrote nothing may be parked at close
    try:
        assert os.read(old, 10) == b"old"
        os.unlink(u)
        new = os.open(u, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        os.write(new, b"new")
        os.close(new)
    finally:
        os.close(old)
    assert u.read_text() == "new"
    with open(u) as f:  # and once more, after everything was closed (or parked)
        assert f.read() == "new"
    sf.wait_until(lambda: os.listdir(m.backing) == ["u"], 1, what="only the new u on the server")


def test_sigkill_with_a_silly_renamed_file_leaves_nothing(any_mount):
    m = any_mount()
    fd = os.open(m.path / "k", os.O_WRONLY | os.O_CREAT, 0o644)
    os.write(fd, b"data")
    os.fsync(fd)
    os.unlink(m.path / "k")
    if len(hidden(m.backing)) != 1:
        os.close(fd)
        pytest.fail(f"no hidden name while open: {os.listdir(m.backing)}")
    m.m.proc.send_signal(signal.SIGKILL)
    m.m.proc.wait(10)
    try:
        os.close(fd)
    except OSError:
        pass  # the mount is dead
    m.m.kill()  # detach the dead mount
    m.m.proc = None  # killed on purpose: the fixture's exit status check is not for this one
    m2 = any_mount()
    os.listdir(m2.path)
    sf.wait_until(lambda: os.listdir(m2.backing) == [], 1, what="nothing left on the server")


def test_listing_removes_a_leftover(any_mnt):
    m = any_mnt
    name = PREFIX + "0123456789abcdef"
    m.disk_write(name, b"left over by a crash")
    m.disk_write("keep", b"k")
    assert os.listdir(m.path) == ["keep"]
    sf.wait_until(lambda: sorted(os.listdir(m.backing)) == ["keep"], 1, what="the leftover removed")
    with pytest.raises(FileNotFoundError):
        os.stat(m.path / name)


def test_rename_over_a_file_an_application_holds_open(any_mnt):
    """`mv new log` while a reader (tail -f, a log shipper) holds log open: on a local disk the rename
    replaces the name at once and the reader keeps reading the old file. SMB refuses to replace an open
    file (ACCESS_DENIED), so the open target is first unlinked as above (hidden name, delete-on-close),
    then the source renamed over the name. Before, mv failed with EACCES after a 2 s wait."""
    m = any_mnt
    (m.path / "log").write_bytes(b"old log")
    (m.path / "new").write_bytes(b"new log")
    fd = os.open(m.path / "log", os.O_RDONLY)
    try:
        os.rename(m.path / "new", m.path / "log")
        assert (m.path / "log").read_bytes() == b"new log"
        assert sorted(os.listdir(m.path)) == ["log"]
        assert (m.backing / "log").read_bytes() == b"new log"
        assert not (m.backing / "new").exists()
        assert os.pread(fd, 100, 0) == b"old log"
    finally:
        os.close(fd)
    sf.wait_until(lambda: os.listdir(m.backing) == ["log"], 2, what="the replaced file deleted at the last close")


def test_close_then_unlink_leaves_no_hidden_name(any_mnt):
    """`echo x > f; rm f`: the kernel's RELEASE of f comes after close(2) has returned, so the unlink can
    reach the daemon while f still looks open. It is not: no hidden name may appear on the server, even
    for a moment (a model check of the server's directory right after rm saw one). The same for `mv g f`
    over a file just written and closed. Four writers at once keep the daemon's threads busy, which widens
    the window between close(2) and RELEASE."""
    import threading
    m = any_mnt
    seen, errors = set(), []

    def work(k):
        try:
            for i in range(25):
                f = m.path / f"f{k}-{i}"
                f.write_bytes(b"x" * i)
                os.unlink(f)
                seen.update(hidden(m.backing))
                g = m.path / f"g{k}"
                g.write_bytes(b"g")
                f.write_bytes(b"old")
                os.rename(g, f)
                seen.update(hidden(m.backing))
                os.unlink(f)
        except Exception as e:  # noqa: BLE001 (reported below)
            errors.append(e)
    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert not seen, f"hidden names appeared: {sorted(seen)[:5]}"
    assert os.listdir(m.backing) == []
