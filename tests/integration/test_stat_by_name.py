"""Stats by name (issue 16, src/fs/listing.c): `stat` of many files named on its command line in one
directory is answered from one listing fetched at the second lookup miss, not one round trip per name.

Counted with the mount's counters; the outcomes are checked in every dialect and cache mode (any_mnt):
the sizes are the files' own, a name that is absent is ENOENT, a file another client removes after the
listing is ENOENT (once its notification came: at most actimeo, as for every cached name), and one it adds
is found.
"""
import os
import subprocess

import pytest

import smbfixture as sf
from test_cache import stats  # noqa: F401 (also imported from here)

pytestmark = pytest.mark.timeout(180)


def stat_sizes(d, names):
    """`stat -c '%n %s'` of names in d (from inside d): {name: size}, and stat's exit status."""
    r = subprocess.run(["stat", "-c", "%n %s", *names], cwd=d, capture_output=True, text=True, timeout=60)
    return {n: int(s) for n, s in (line.rsplit(" ", 1) for line in r.stdout.splitlines())}, r.returncode


def test_stat_of_many_names_is_one_listing(mnt):
    n = 300
    for i in range(n):
        (mnt.backing / f"f{i:03}").write_bytes(b"x" * i)
    names = [f"f{i:03}" for i in range(n)]
    s0 = stats(mnt)
    sizes, rc = stat_sizes(mnt.path, names)
    s1 = stats(mnt)
    assert rc == 0 and sizes == {f"f{i:03}": i for i in range(n)}
    assert s1["cache.listings_for_lookups"] - s0["cache.listings_for_lookups"] == 1
    # The first name's stat, the watch, the listing (a few QUERY_DIRECTORYs): far fewer than one per name.
    # The new watch's question whether its directory was deleted (an open and a close, from the worker
    # thread: watch.c) may or may not be counted yet.
    sent = s1["requests.total"] - s0["requests.total"]
    checks = s1["notify.delete_checks"] - s0["notify.delete_checks"]
    assert checks <= 1 and sent - 2 * checks <= 12, (sent, checks)


def test_one_name_lists_nothing(mnt):
    """A single lookup miss (an open of one file) never lists the directory."""
    for i in range(50):
        (mnt.backing / f"f{i}").write_bytes(b"")
    s0 = stats(mnt)
    assert (mnt.path / "f7").stat().st_size == 0
    assert stats(mnt)["cache.listings_for_lookups"] == s0["cache.listings_for_lookups"]


def test_stat_by_name_outcomes(any_mnt):
    m = any_mnt
    for i in range(40):
        m.disk_write(f"f{i:02}", b"y" * (100 + i))
    names = [f"f{i:02}" for i in range(40)]
    sizes, rc = stat_sizes(m.path, [*names, "absent"])
    assert rc != 0  # stat says so for "absent"
    assert sizes == {f"f{i:02}": 100 + i for i in range(40)}
    # Removed and added by another client after the listing.
    m.server.smbclient("share", f"cd {m.path.name}; del f05; put /etc/hostname new", timeout=30)
    sf.wait_until(lambda: not os.path.exists(m.path / "f05"), 3, what="f05 gone")
    sf.wait_until(lambda: os.path.exists(m.path / "new"), 3, what="new found")
    sizes, rc = stat_sizes(m.path, names)
    assert rc != 0 and "f05" not in sizes and len(sizes) == 39
    if m.cache == "none":
        assert stats(m)["cache.listings_for_lookups"] == 0


def test_creates_do_not_list_again(mnt):
    """`touch` of new names: every create drops the listing a lookup miss fetched, so after one that did
    not pay the directory is not listed again for lookups (for a while): one listing, not one per two files."""
    s0 = stats(mnt)
    subprocess.run(["touch", *[f"n{i}" for i in range(100)]], cwd=mnt.path, check=True, timeout=60)
    s1 = stats(mnt)
    assert len(os.listdir(mnt.path)) == 100
    assert s1["cache.listings_for_lookups"] - s0["cache.listings_for_lookups"] <= 1
    assert s1.get("requests.QUERY_DIRECTORY", 0) - s0.get("requests.QUERY_DIRECTORY", 0) <= 4


def test_name_another_client_adds_after_two_misses_is_found(any_mnt):
    """Two misses list the directory for lookups; a name another client makes just after is found at once,
    by a lookup and by ls, not answered from that listing until the watch's notification comes (it comes
    after the other client's CREATE has completed). Under a directory lease (Samba 4.22) the break comes
    first instead: test_dirlease.py. (The lookup fails here without the rule; ls, whose opendir gives the
    notification time to arrive, failed only under load: test_names' nomapposix test in CI.)"""
    m = any_mnt
    s0 = stats(m)
    for n in ("a1", "a2"):
        assert not os.path.exists(m.path / n)
    if m.cache != "none":
        assert stats(m)["cache.listings_for_lookups"] == s0["cache.listings_for_lookups"] + 1
    m.disk_write("a3", b"z")
    assert os.stat(m.path / "a3").st_size == 1
    m.disk_write("a4", b"zz")
    assert sorted(os.listdir(m.path)) == ["a3", "a4"]
