"""Small files read with their open (issue 16, src/proto/smb2_pre.c).

The mechanism is proved by counting: a `cat` of a small file sends one READ, inside the open's compound,
and no READ of its own. The outcomes are checked in every dialect and cache mode (any_mnt): a file
another client changes between two cats is read new, one that grew past the small limit is read whole,
an empty file reads empty, and one removed by another client fails with ENOENT. cache=none and SMB1 never
read with the open.
"""
import subprocess

import pytest

import smbfixture as sf
from test_cache import fast_stats as stats

pytestmark = pytest.mark.timeout(180)

SMALL = 4096




def delta(s0, s1, key):
    return s1.get(key, 0) - s0.get(key, 0)


def cat(p):
    return subprocess.run(["cat", str(p)], capture_output=True, check=True, timeout=30).stdout


def put(m, tmp_path, name, data):
    """Write name in m's test directory through smbclient: another client, whose open breaks our lease."""
    src = tmp_path / "put.src"
    src.write_bytes(data)
    m.server.smbclient("share", f"cd {m.path.name}; put {src} {name}", timeout=30)


def test_cat_is_one_round_trip(mnt):
    """SMB2, cache=strict: after the lookup, a cat's open and read are one compound (CREATE + READ), and
    the data answers the kernel's read without a READ of its own."""
    data = bytes(range(256)) * (SMALL // 256)
    mnt.disk_write("f", data)
    (mnt.path / "f").stat()  # the lookup, so that the attributes say "small"
    s0 = stats(mnt)
    assert cat(mnt.path / "f") == data
    s1 = stats(mnt)
    assert delta(s0, s1, "reads.with_open") == 1
    assert delta(s0, s1, "reads.with_open_hits") >= 1
    assert delta(s0, s1, "requests.READ") == 1  # the one in the open's compound
    # Besides the open, only the directory's watch may start (its own CREATE and CHANGE_NOTIFY, and the
    # worker's open and close of the directory asking whether it was deleted meanwhile: watch.c), for the
    # handle parked at the RELEASE, which the kernel sends after cat has exited: awaited, as the watch's
    # CREATE is counted before its start is.
    def only_the_open():
        s = stats(mnt)
        watches = delta(s0, s, "notify.watches_started")
        checks = delta(s0, s, "notify.delete_checks")
        return (checks <= watches and delta(s0, s, "requests.CREATE") - watches - checks == 1
                and delta(s0, s, "requests.total") - 2 * watches - 2 * checks == 2)
    sf.wait_until(only_the_open, 5, what="the counters of the open's compound and at most a watch")


def test_large_file_not_read_with_open(mnt):
    """A file larger than the limit is opened as before: its reads are the read path's."""
    mnt.disk_write("big", b"x" * (256 * 1024))
    (mnt.path / "big").stat()
    s0 = stats(mnt)
    assert len(cat(mnt.path / "big")) == 256 * 1024
    assert delta(s0, stats(mnt), "reads.with_open") == 0


def test_small_file_outcomes(any_mnt, tmp_path):
    m = any_mnt
    p = m.path / "f"
    put(m, tmp_path, "f", b"a" * SMALL)
    s0 = stats(m)
    assert cat(p) == b"a" * SMALL
    # Changed by another client between two cats, same size: read new.
    put(m, tmp_path, "f", b"b" * SMALL)
    assert cat(p) == b"b" * SMALL
    # Grown past the small limit by the other client: read whole, although the attributes said small.
    big = bytes(range(251)) * 1000
    put(m, tmp_path, "f", big)
    assert cat(p) == big
    # Shrunk back under it: only the new bytes.
    put(m, tmp_path, "f", b"c" * 10)
    assert cat(p) == b"c" * 10
    # An empty file reads empty.
    put(m, tmp_path, "e", b"")
    assert cat(m.path / "e") == b""
    s1 = stats(m)
    if m.cache == "none" or m.dialect == "smb1":
        assert delta(s0, s1, "reads.with_open") == 0  # every read is the server's, as before
    else:
        assert delta(s0, s1, "reads.with_open") >= 1


def test_removed_by_other_client(any_mnt, tmp_path):
    """Removed by another client after our cat: opens fail with ENOENT, at the latest once the handle
    parked under the lease is closed (PARK_MS, 5 s: until then Samba keeps the file delete-pending and the
    parked handle answers our open; found here, the same without reading with the open)."""
    m = any_mnt
    put(m, tmp_path, "e", b"e" * 100)
    assert cat(m.path / "e") == b"e" * 100
    m.server.smbclient("share", f"cd {m.path.name}; del e", timeout=30)

    def gone():
        try:
            with open(m.path / "e", "rb") as f:
                assert f.read() == b"e" * 100  # never anything but the file's own bytes
            return False
        except FileNotFoundError:
            return True
    sf.wait_until(gone, 8, what="ENOENT for the removed file")
