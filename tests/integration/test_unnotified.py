"""Another client's change that no notification has reached yet (issue namespace, two clients).

A watch's notification of another client's change travels after that change (through Samba's notifyd),
so a listing a watch alone vouches for can be out of date for a moment: `rm -rf` of a tree the other
client has just filled then met ENOTEMPTY. In cache=strict (the default) a readdir that would reuse such a
listing first compares the directory's times with those it had when the listing began (one stat); under
a directory lease, whose break comes before the other client's change completes, nothing is asked.

The server here has "kernel change notify = no" and the other client is the server's own disk: its
changes are never notified, so a listing that is not checked stays wrong for ever and these tests fail
deterministically without the check (cache=loose, which trusts the watch, is that control). Each test runs
over SMB2 and SMB1 in every cache mode.
"""
import os
import subprocess

import pytest

from conftest import DIALECTS, SERVER_422, _root_422

pytestmark = pytest.mark.timeout(240)

QUIET = {"kernel change notify": "no"}


@pytest.fixture
def qmnt(mount, samba_server, any_kind):
    dialect, cache = any_kind
    srv = samba_server(root=_root_422() if SERVER_422 else None, **DIALECTS[dialect][0], **QUIET)
    m = mount(srv=srv, opts={**DIALECTS[dialect][1], "cache": cache})
    m.cache = cache
    if cache == "loose":
        pytest.skip("cache=loose trusts the watch: a change nobody notifies stays unseen until actimeo "
                    "passes without a listing (the control of these tests)")
    return m


def sh(cmd, cwd):
    r = subprocess.run(cmd, shell=True, cwd=cwd, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, f"{cmd}: rc={r.returncode}\n{r.stderr}"
    return r.stdout


def stats(m):
    from test_cache import stats as cli_stats
    return cli_stats(m)


def test_ls_shows_a_name_made_without_notification(qmnt):
    m = qmnt
    (m.path / "d").mkdir()
    (m.path / "d" / "a").write_text("a")
    assert sorted(os.listdir(m.path / "d")) == ["a"]
    assert sorted(os.listdir(m.path / "d")) == ["a"]  # the second one is the cached listing's
    m.disk_write("d/b", "b")
    assert sorted(os.listdir(m.path / "d")) == ["a", "b"]
    os.unlink(m.backing / "d" / "a")
    assert sorted(os.listdir(m.path / "d")) == ["b"]


def test_rm_rf_of_a_listed_tree_filled_without_notification(qmnt):
    """The sequence of the two-mount randomized test's failure: list a tree, another client adds to it,
    remove the tree."""
    m = qmnt
    sh("mkdir -p t/a/b && touch t/a/f t/a/b/g && ls -lR t >/dev/null", m.path)
    m.disk_mkdir("t/a/b/c")
    for rel in ("t/a/new", "t/a/b/new", "t/new", "t/a/b/c/deep"):
        m.disk_write(rel, "x")
    sh("rm -rf t", m.path)
    assert os.listdir(m.backing) == []
    assert not os.path.exists(m.path / "t")


def test_unchanged_listing_costs_one_stat(qmnt):
    """The check is a single stat of the directory, not a new listing; a change makes it list again."""
    m = qmnt
    if m.cache == "none":
        pytest.skip("cache=none keeps no listing")
    for i in range(300):
        m.disk_write(f"f{i:03}")
    os.listdir(m.path)
    s0 = stats(m)
    assert len(os.listdir(m.path)) == 300
    s1 = stats(m)
    assert s1["cache.listing_checks"] - s0["cache.listing_checks"] == 1
    assert s1["cache.listing_stale"] == s0["cache.listing_stale"]
    # SMB2: CREATE + QUERY_INFO + CLOSE; SMB1: QUERY_PATH_INFORMATION. 300 entries need more than that.
    assert s1["requests.total"] - s0["requests.total"] <= 3
    m.disk_write("new")
    assert len(os.listdir(m.path)) == 301
    s2 = stats(m)
    assert s2["cache.listing_stale"] - s1["cache.listing_stale"] == 1
