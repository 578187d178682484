"""touch of new files (issue 16, "Creates and deletes"): src/fs/ops.c, times_are_now.

The mechanism is proved by counting: a touch of new files sends no SET_INFO for the UTIME_NOW that
follows our own CREATE (fuse.setattr_times_of_create counts the answers given from the CREATE's times),
except under cache=none. The outcomes are checked in every dialect and cache mode: the new files' times
are the current time, and a touch of an existing file, a touch after a write, and a touch -d still set the
times they always did.
"""
import os
import subprocess
import time

import pytest

import smbfixture as sf
from test_cache import fast_stats as stats

pytestmark = pytest.mark.timeout(180)

N = 20


def delta(s0, s1, key):
    return s1.get(key, 0) - s0.get(key, 0)


def touch(cwd, *args):
    subprocess.run(["touch", *args], cwd=cwd, check=True, timeout=60)


@pytest.mark.parametrize("listed", [True, False], ids=["listed", "unlisted"])
def test_touch_new_files_sends_no_set_info(any_mnt, listed):
    m = any_mnt
    d = m.path / "d"
    d.mkdir()
    if listed:
        os.listdir(d)  # the directory watched: its listing answers the first lookup
    names = [f"f{i}" for i in range(N)]
    s0 = stats(m)
    before = time.time_ns()
    touch(d, *names)
    after = time.time_ns()
    s1 = stats(m)
    assert sorted(os.listdir(d)) == sorted(names)
    for n in names:
        st = os.stat(d / n)
        assert st.st_size == 0
        # The current time (the server is this host, so one clock), to the second: FILETIME and the
        # server's own time stamps are finer than that.
        for t in (st.st_mtime_ns, st.st_atime_ns):
            assert before - 10**9 <= t <= after + 10**9, (n, before, t, after)
    skipped = delta(s0, s1, "fuse.setattr_times_of_create")
    if m.cache == "none":
        assert skipped == 0
        if m.dialect == "smb2":
            assert delta(s0, s1, "requests.SET_INFO") == N
    else:
        assert skipped == N
        if m.dialect == "smb2":
            assert delta(s0, s1, "requests.SET_INFO") == 0


def test_touch_existing_and_written_files_set_times(any_mnt):
    """The times are set as before wherever the CREATE's are not "now": an existing file, one written
    after its CREATE, and an explicit time."""
    m = any_mnt
    old = 1_000_000_000
    (m.path / "old").write_bytes(b"x")
    os.utime(m.path / "old", (old, old))
    s0 = stats(m)
    before = time.time_ns()
    touch(m.path, "old")
    assert os.stat(m.path / "old").st_mtime_ns >= before - 10**9
    # Written through the descriptor that created it, then futimens(UTIME_NOW): not the CREATE's times.
    fd = os.open(m.path / "w", os.O_CREAT | os.O_WRONLY, 0o644)
    try:
        os.write(fd, b"data")
        os.utime(fd, None)
    finally:
        os.close(fd)
    assert os.stat(m.path / "w").st_size == 4
    # An explicit time on a new file is that time.
    touch(m.path, "-d", "@1000000000", "new")
    assert os.stat(m.path / "new").st_mtime == old
    assert delta(s0, stats(m), "fuse.setattr_times_of_create") == 0


def test_new_names_in_a_directory_made_here_need_no_lookup(any_mnt):
    """tar -x, cp -r: files made in a directory just made. From the second new name on, the listing
    fetched for lookups answers them absent, as after an `ls` (src/fs/cache.c, fs_cache_made_dir), and
    our own creates keep it; another client's name in it is found once notified."""
    m = any_mnt
    d = m.path / "new"
    d.mkdir()
    s0 = stats(m)
    for i in range(N):
        fd = os.open(d / f"f{i}", os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        os.write(fd, b"x")
        os.close(fd)
    s1 = stats(m)
    neg = delta(s0, s1, "cache.lookup_negative_hits")
    if m.cache == "none":
        assert neg == 0
    else:
        assert neg >= N - 2, (neg, delta(s0, s1, "cache.lookup_misses"))
        # One listing, kept across our own creates (own_change_keeps), not one fetched per name.
        assert delta(s0, s1, "cache.listings_for_lookups") <= 2, delta(s0, s1, "cache.listings_for_lookups")
    (m.backing / "new" / "other").write_bytes(b"2")
    sf.wait_until(lambda: os.path.exists(d / "other"), 10, what="another client's name to be found")
    assert sorted(os.listdir(d)) == sorted([f"f{i}" for i in range(N)] + ["other"])
    # A directory that was not made here: its listing for lookups answers no absent name.
    m.disk_mkdir("theirs")
    s2 = stats(m)
    for i in range(N):
        assert not os.path.exists(m.path / "theirs" / f"g{i}")
    assert delta(s2, stats(m), "cache.lookup_negative_hits") == 0
