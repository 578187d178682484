"""Directory leases (issue 16) against Samba 4.22, which grants them ("smb3 directory leases" is on
unless clustering is): a listed directory's watch open holds a Read+Handle lease; another client's change
breaks it and the listing follows within 1 s; our own creates name it as ParentLeaseKey and do not break
it; and no namespace operation fails because of it, ours or another client's (with directory leases Samba
checks every client's opens below a renamed directory, "strict rename", and breaks their Handle leases).

Each mechanism is proved by the mount's counters (`smbfuse --stats`: dirlease.granted, dirlease.breaks,
dirlease.parent_keyed). The 4.22 server runs twice: plain (as a Windows-like server: no POSIX extensions)
and with the SMB 3.1.1 POSIX extensions (posix_server). Samba 4.17 grants no directory leases: there the
watches alone stay (test_cache.py), and test_no_directory_lease_on_417 says so.
"""
import os
import subprocess

import pytest

import smbfixture as sf
from conftest import _root_422
from test_cache import fast_stats, stats

pytestmark = pytest.mark.timeout(120)

CACHE_MODES = ("strict", "loose", "none")


@pytest.fixture(scope="session")
def plain422(samba_server):
    return samba_server(root=_root_422())


@pytest.fixture(params=["plain", "posix"])
def srv422(request):
    """The 4.22 server without and with the POSIX extensions."""
    return request.getfixturevalue("plain422" if request.param == "plain" else "posix_server")


@pytest.fixture
def dmount(mount, srv422):
    """Factory: a mount of the 4.22 server (default cache mode unless opts say otherwise)."""
    def make(opts=None, **kw):
        return mount(srv=srv422, opts=opts, **kw)
    make.server = srv422
    return make


@pytest.fixture(params=CACHE_MODES)
def dmount_any(request, dmount):
    """dmount in each cache mode: namespace outcomes must not depend on it."""
    def make(opts=None, **kw):
        return dmount(opts={"cache": request.param, **(opts or {})}, **kw)
    make.cache = request.param
    make.server = dmount.server
    return make


def listed(m, rel):
    return sorted(os.listdir(m.path / rel))


def test_granted_on_listing(dmount):
    m = dmount()
    (m.path / "d").mkdir()
    (m.path / "d" / "f").write_text("x")
    before = stats(m)
    assert listed(m, "d") == ["f"]
    s = stats(m)
    assert s["dirlease.granted"] - before["dirlease.granted"] >= 1, s
    # Under the lease the second listing is the daemon's own: no request.
    total = s["requests.total"]
    assert listed(m, "d") == ["f"]
    assert stats(m)["requests.total"] == total


def test_none_asks_for_no_directory_lease(dmount):
    m = dmount(opts={"cache": "none"})
    (m.path / "d").mkdir()
    listed(m, "d")
    assert stats(m)["dirlease.granted"] == 0


def test_no_directory_lease_on_417(mount, samba_server):
    m = mount(srv=samba_server())  # the host's Samba 4.17: no SMB2_GLOBAL_CAP_DIRECTORY_LEASING
    (m.path / "d").mkdir()
    listed(m, "d")
    s = stats(m)
    assert s["dirlease.granted"] == 0 and s["notify.watches_started"] >= 1, s


def second_client(kind, m1, dmount):
    """Run one change through a second client: another smbfuse mount or smbclient; returns a function
    change(op, rel, rel2=None)."""
    if kind == "mount":
        m2 = dmount()
        p = m2.path

        def change(op, rel, rel2=None):
            if op == "create":
                (p / rel).write_text("new")
            elif op == "rename":
                os.rename(p / rel, p / rel2)
            elif op == "delete":
                os.unlink(p / rel)
        return change
    srv = dmount.server
    base = m1.backing.relative_to(srv.backing).as_posix().replace("/", "\\")

    def change(op, rel, rel2=None):
        w = base + "\\" + rel.replace("/", "\\")
        if op == "create":
            local = m1.backing.parent / f".put-{os.getpid()}"
            local.write_text("new")
            srv.smbclient("share", f'put "{srv.inner(local)}" "{w}"')
            local.unlink()
        elif op == "rename":
            srv.smbclient("share", f'rename "{w}" "{base}\\{rel2.replace("/", chr(92))}"')
        elif op == "delete":
            srv.smbclient("share", f'del "{w}"')
    return change


@pytest.mark.parametrize("client", ["mount", "smbclient"])
@pytest.mark.parametrize("op", ["create", "rename", "delete"])
def test_other_client_breaks_and_listing_follows(dmount, client, op):
    m1 = dmount()
    (m1.path / "d").mkdir()
    (m1.path / "d" / "old").write_text("x")
    assert listed(m1, "d") == ["old"]
    s0 = stats(m1)
    assert s0["dirlease.granted"] >= 1, s0
    change = second_client(client, m1, dmount)
    want = {"create": ["new", "old"], "rename": ["renamed"], "delete": []}[op]
    change(op, "d/new" if op == "create" else "d/old", "d/renamed" if op == "rename" else None)
    sf.wait_until(lambda: listed(m1, "d") == want, 1, what=f"the listing to show the {op}")
    sf.wait_until(lambda: stats(m1)["dirlease.breaks"] > s0["dirlease.breaks"], 5, what="the break counted")
    s = stats(m1)
    assert s["breaks.acknowledged"] > s0["breaks.acknowledged"], s


def test_own_creates_do_not_break(dmount):
    m = dmount()
    d = m.path / "d"
    d.mkdir()
    assert listed(m, "d") == []
    s0 = stats(m)
    assert s0["dirlease.granted"] >= 1, s0
    for i in range(20):
        (d / f"f{i:02}").write_bytes(b"y" * 100)
    assert listed(m, "d") == [f"f{i:02}" for i in range(20)]
    s = stats(m)
    assert s["dirlease.parent_keyed"] - s0["dirlease.parent_keyed"] >= 20, s
    assert s["dirlease.breaks"] == s0["dirlease.breaks"], s
    assert s["dirlease.granted"] == s0["dirlease.granted"], s  # the same lease all along


def tree(root):
    out = []
    for dp, dns, fns in os.walk(root):
        rel = os.path.relpath(dp, root)
        out += [os.path.normpath(os.path.join(rel, n)) for n in dns + fns]
    return sorted(out)


def test_mv_after_ls_and_rm_after_ls_r(dmount_any):
    m = dmount_any()
    p = m.path
    os.makedirs(p / "i" / "j" / "k")
    (p / "i" / "j" / "f").write_text("x")
    os.listdir(p / "i" / "j")
    os.listdir(p / "i" / "j" / "k")
    os.rename(p / "i", p / "z")  # Samba refuses renaming a directory with opens of ours below
    assert tree(m.backing) == ["z", "z/j", "z/j/f", "z/j/k"]
    assert tree(p) == ["z", "z/j", "z/j/f", "z/j/k"]
    subprocess.run(["rm", "-rf", str(p / "z")], check=True)
    assert tree(m.backing) == [] and tree(p) == []


def test_other_mount_listed_below_does_not_block_mv_or_rm(dmount_any):
    """m2 holds leased directory handles below what m1 renames and removes: Samba 4.22 (strict rename)
    breaks their Handle leases, m2 closes them, and m1's mv and rm -rf succeed."""
    m1, m2 = dmount_any(), dmount_any()
    os.makedirs(m1.path / "i" / "j" / "k")
    (m1.path / "i" / "j" / "k" / "f").write_text("x")
    for rel in ("i", "i/j", "i/j/k"):
        os.listdir(m2.path / rel)
    os.rename(m1.path / "i", m1.path / "z")
    assert tree(m1.backing) == ["z", "z/j", "z/j/k", "z/j/k/f"]
    sf.wait_until(lambda: tree(m2.path) == ["z", "z/j", "z/j/k", "z/j/k/f"], 5, what="m2 sees the rename")
    for rel in ("z", "z/j", "z/j/k"):
        os.listdir(m2.path / rel)
    subprocess.run(["rm", "-rf", str(m1.path / "z")], check=True)
    assert tree(m1.backing) == []
    sf.wait_until(lambda: tree(m2.path) == [], 5, what="m2 sees the removal")


@pytest.mark.parametrize("client", ["mount", "smbclient"])
def test_lookup_after_break_asks_the_server(dmount, client):
    """A listed directory answers lookups of absent names from its listing (ENOENT, no request). Once its
    lease breaks, that listing is not the server's any more: from the break on, a lookup of the name
    another client just created finds it, without waiting for the listing to be dropped."""
    m1 = dmount()
    (m1.path / "d").mkdir()
    (m1.path / "d" / "old").write_text("x")
    change = second_client(client, m1, dmount)
    granted = 0
    for i in range(5):
        # Listed again, under a new lease once the broken one's handle is closed.
        sf.wait_until(lambda: f"new{i}" not in listed(m1, "d") and fast_stats(m1)["dirlease.granted"] > granted,
                      5, what="a new directory lease")
        s0 = fast_stats(m1)
        granted = s0["dirlease.granted"]
        assert not (m1.path / "d" / f"new{i}").exists()
        change("create", f"d/new{i}")
        sf.wait_until(lambda: fast_stats(m1)["dirlease.breaks"] > s0["dirlease.breaks"], 5, interval=0,
                      what="the directory lease break")
        assert (m1.path / "d" / f"new{i}").exists(), f"round {i}: answered from the broken listing"


def nothing_open_below(m, rel):
    """The server's share-mode table (smbstatus -L) holds no open below m's rel."""
    needle = f"{m.backing.name}/{rel}/"
    return not any(needle in line for line in m.server.smbstatus("-L").splitlines())


def test_other_mount_parked_files_below_do_not_block_mv(dmount_any):
    """m2 has listed a tree and read every file in it twice, once read-only and once read-write (parked
    handles under Handle leases) when m1 renames the tree, back and forth. Samba 4.22 breaks m2's Handle
    leases below one file at a time and goes on at each file's first CLOSE: a file m2 closed before its
    turn (the files below a directory whose lease broke first, or parked handles expiring meanwhile, or
    a CLOSE quicker than Samba's watch for it) made the rename wait out the 35 s break timeout
    (ETIMEDOUT here), and a second handle of a file left open made it fail with EACCES (watch.c, "A
    break closes one handle")."""
    m1, m2 = dmount_any(), dmount_any()
    dirs = ["a", "a/b", "a/b/c", "d"]
    files = [f"{d}/f{i}" for d in dirs for i in range(3)]
    for d in dirs:
        os.makedirs(m1.path / "t" / d, exist_ok=True)
    for f in files:
        (m1.path / "t" / f).write_bytes(b"x" * 100)
    want = sorted(dirs + files)
    for i in range(4):
        src, dst = ("t", "u") if i % 2 == 0 else ("u", "t")
        sf.wait_until(lambda: tree(m2.path / src) == want, 5, what=f"m2 to see {src}")
        for f in files:
            (m2.path / src / f).read_bytes()
            with open(m2.path / src / f, "r+b"):
                pass
        if dmount_any.cache == "none":
            # No lease, no parked handle: nothing makes Samba wait for m2's CLOSEs, which the kernel's
            # RELEASE sends after close(2) has returned; one still on its way refuses the rename (EACCES).
            sf.wait_until(lambda: nothing_open_below(m1, src), 10, what=f"m2's CLOSEs below {src}")
        os.rename(m1.path / src, m1.path / dst)
        assert tree(m1.backing / dst) == want and not (m1.backing / src).exists()


def test_lookup_listing_answers_absent_names_under_the_lease(dmount):
    """A listing fetched for lookups (two misses, issue 16) answers absent names itself only under a
    directory lease: here the third miss costs no request, and a name another client then makes is found
    (its CREATE broke the lease first). Without a lease (Samba 4.17: test_stat_by_name.py) it asks."""
    m = dmount()
    for n in ("a1", "a2"):
        assert not (m.path / n).exists()
    s0 = fast_stats(m)
    assert s0["cache.listings_for_lookups"] >= 1 and s0["dirlease.granted"] >= 1, s0
    assert not (m.path / "a3").exists()
    s1 = fast_stats(m)
    assert s1["cache.lookup_negative_hits"] == s0["cache.lookup_negative_hits"] + 1, s1
    assert s1["requests.total"] == s0["requests.total"], "the third miss asked the server"
    second_client("smbclient", m, dmount)("create", "a4")
    assert (m.path / "a4").exists()


def test_touch_in_listed_directory_looks_up_no_new_name(dmount_any):
    """After `ls`, each new name of a `touch` is answered absent by the directory's listing, though our
    own creates keep changing the directory: under the directory lease, a change of ours takes its one
    name out of what the listing answers (src/fs/cache.c, forget_name_locked), not the whole listing
    (without a lease the listing goes: test_mount.py, test_cache_modes). Coherence is the same: a name
    another client makes is found at once (its CREATE broke the lease), and the names we made, removed
    and renamed are as the server has them."""
    m = dmount_any()
    change = second_client("mount", m, dmount_any)
    d = m.path / "d"
    d.mkdir()
    m.disk_write("d/listed", b"1")
    assert os.listdir(d) == ["listed"]
    names = [f"f{i}" for i in range(20)]
    s0 = fast_stats(m)
    subprocess.run(["touch", *names], cwd=d, check=True, timeout=60)
    s1 = fast_stats(m)
    neg = s1["cache.lookup_negative_hits"] - s0["cache.lookup_negative_hits"]
    if dmount_any.cache == "none":
        assert neg == 0
    else:
        assert neg >= len(names), (neg, s1["cache.lookup_misses"] - s0["cache.lookup_misses"])
        assert s1["dirlease.breaks"] == s0["dirlease.breaks"], "our own creates broke the lease"
    change("create", "d/other")
    assert (d / "other").read_text() == "new"
    os.unlink(d / "f0")
    os.rename(d / "f1", d / "g1")
    os.rename(d / "listed", d / "f2")  # over one of ours
    assert not os.path.exists(d / "f0") and not os.path.exists(d / "f1") and not os.path.exists(d / "listed")
    assert (d / "f2").read_bytes() == b"1"
    want = sorted(set(names) - {"f0", "f1"} | {"g1", "other"})
    assert sorted(os.listdir(d)) == want
    assert sorted(os.listdir(m.backing / "d")) == want
