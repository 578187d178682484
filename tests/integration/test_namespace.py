"""Namespace operations behave as on a local disk, whatever we cached (issue namespace).

Each test runs over SMB2 and SMB1 in every cache mode (any_mnt, conftest.py) and checks the server's backing
directory, not only what the mount says. The sequences are the ones people type: list a tree, then move or
remove it. Before the fix, our own directory watches (CHANGE_NOTIFY handles) inside the tree made Samba refuse
the rename (EACCES) and left removed directories delete-pending (rm -rf: ENOTEMPTY or leftovers); with
cache=none there are no watches, so that mode is the control.
"""
import errno
import os
import subprocess

import pytest

import smbfixture as sf
from conftest import CACHE_MODES, DIALECTS

pytestmark = pytest.mark.timeout(240)


def sh(cmd, cwd):
    r = subprocess.run(cmd, shell=True, cwd=cwd, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, f"{cmd}: rc={r.returncode}\n{r.stderr}"
    return r.stdout


def tree(root):
    """Every path below root, relative, sorted: what the server's disk holds."""
    out = []
    for d, dirs, files in os.walk(root):
        for n in dirs + files:
            out.append(os.path.relpath(os.path.join(d, n), root))
    return sorted(out)


def test_mv_directory_after_listing_its_subdirectory(any_mnt):
    m = any_mnt
    sh("mkdir -p i/j && echo x > i/j/f && ls i/j >/dev/null && mv i k", m.path)
    assert tree(m.backing) == ["k", "k/j", "k/j/f"]
    assert (m.path / "k/j/f").read_text() == "x\n"
    assert not (m.path / "i").exists()


def test_mv_directory_after_ls_lR_with_100_watched_subdirectories(any_mnt):
    m = any_mnt
    top = m.path / "top"
    top.mkdir()
    for i in range(100):
        (top / f"d{i:03}").mkdir()
        (top / f"d{i:03}" / "f").write_text(str(i))
    sh("ls -lR top >/dev/null", m.path)
    sh("mv top moved", m.path)
    disk = tree(m.backing)
    assert "top" not in disk and len([p for p in disk if p.endswith("/f")]) == 100
    assert sorted(os.listdir(m.path)) == ["moved"]
    assert (m.path / "moved/d042/f").read_text() == "42"
    # The watches come back on the new names: a change made on the server is seen after a new listing.
    sh("ls -lR moved >/dev/null", m.path)
    m.disk_write("moved/d007/new", "n")
    sf.wait_until(lambda: "new" in os.listdir(m.path / "moved/d007"), 10, what="new entry listed")


def test_rm_rf_nested_directories_right_after_listing(any_mnt):
    m = any_mnt
    sh("mkdir -p t/a/b/c && touch t/a/f t/a/b/f t/a/b/c/f && ls -lR t >/dev/null && rm -rf t", m.path)
    assert tree(m.backing) == []
    assert os.listdir(m.path) == []
    # Another client sees it gone too (nothing delete-pending until our unmount).
    out = m.server.smbclient("share", f"ls {m.path.name}/*", check=False).stdout
    assert not any(l.split()[:1] == ["t"] for l in out.splitlines()), out


def test_rm_r_directory_with_file_after_ls_R(any_mnt):
    m = any_mnt
    for _ in range(10):
        sh("mkdir d && touch d/f && ls -R d >/dev/null && rm -r d", m.path)
        assert tree(m.backing) == []


def test_rm_rf_30_level_tree_after_listing(any_mnt):
    m = any_mnt
    deep = "/".join(f"l{i}" for i in range(30))
    sh(f"mkdir -p {deep} && touch {deep}/f l0/f && ls -lR l0 >/dev/null && rm -rf l0", m.path)
    assert tree(m.backing) == []


@pytest.mark.heavy
def test_rm_rf_2000_entries_right_after_listing(any_mnt):
    m = any_mnt
    m.disk_mkdir("big")
    for i in range(20):
        m.disk_mkdir(f"big/d{i}")
        for j in range(99):
            m.disk_write(f"big/d{i}/f{j}")
    sh("ls -lR big >/dev/null && rm -rf big", m.path)
    assert tree(m.backing) == []


def test_mv_directory_while_a_second_mount_has_listed_it(any_mount):
    """The other mount's watches are its own business. Samba (strict rename = no, its default) checks
    only the process serving the renaming client, so the rename succeeds; the other mount then sees the
    new name. (Windows refuses while any client holds a handle below: EACCES.)"""
    a = any_mount()
    b = any_mount()
    sh("mkdir -p p/q && touch p/q/f", a.path)
    sh("ls -lR p >/dev/null", b.path)
    sh("ls -lR p >/dev/null && mv p r", a.path)
    assert tree(a.backing) == ["r", "r/q", "r/q/f"]
    sf.wait_until(lambda: os.path.exists(b.path / "r/q/f") and not os.path.exists(b.path / "p"), 10,
                  what="second mount sees the rename")


def test_file_renamed_over_from_another_directory_by_a_second_mount_reads_new_data(any_mount):
    """b writes and reads d2/f (its handle stays parked under the lease, its listing watched); a moves
    d1/g over d2/f. Samba lets the rename replace a file another client holds open (it checks only the
    renaming client's own process) and notifies d2 with FILE_ACTION_ADDED alone, no REMOVED. b must read
    g's bytes, not the first bytes of the file it had, even with the same length and timestamp tick."""
    a = any_mount()
    b = any_mount()
    if any_mount.cache == "loose":
        pytest.skip("cache=loose trusts cached pages across opens: another client's rewrite may read stale")
    old, new = b"o" * 40, b"n" * 11
    sh("mkdir d1 d2", a.path)
    (b.path / "d2/f").write_bytes(old)
    assert (b.path / "d2/f").read_bytes() == old
    os.listdir(b.path / "d2")
    (a.path / "d1/g").write_bytes(new)
    os.rename(a.path / "d1/g", a.path / "d2/f")
    assert (b.backing / "d2/f").read_bytes() == new
    seen = []
    try:
        sf.wait_until(lambda: seen.append((b.path / "d2/f").read_bytes()) or seen[-1] == new, 10,
                      what="the second mount to read the new file")
    except TimeoutError:
        assert seen[-1] == new, "the second mount still reads the replaced file's bytes"


@pytest.mark.parametrize("cache", CACHE_MODES)
@pytest.mark.parametrize("dialect", sorted(DIALECTS))
def test_name_a_fresh_listing_lacks_is_looked_up_again(samba_server, mount, dialect, cache):
    """The mount lists d and looks d/x up (a directory); x is removed on the server's disk, which Samba
    (kernel change notify = no) notifies to nobody. Whatever the mount's next listing says must hold for
    what follows: a listing fetched from the server lacks x, and soon after it the kernel must not still
    hold x as a directory (src/fs/absent.c), so creating a file x works instead of failing with EISDIR
    before smbfuse is asked. actimeo=60 would keep the name a minute (before absent.c: EISDIR for that
    minute; the randomized two-mount test, seed 9, met the same between a listing and the notification
    of another client's rmdir). cache=loose may answer from its kept listing, which still has x: then x
    must still be the directory. cache=none gives the kernel no entry to keep: the control."""
    srv = samba_server(**DIALECTS[dialect][0], kernel_change_notify="no")
    m = mount(srv=srv, opts={**DIALECTS[dialect][1], "cache": cache, "actimeo": "60"})
    (m.path / "d/x").mkdir(parents=True)
    assert os.listdir(m.path / "d") == ["x"]
    assert os.path.isdir(m.path / "d/x")
    os.rmdir(m.backing / "d/x")
    if os.listdir(m.path / "d") == ["x"]:
        assert cache == "loose", "a listing fetched from the server still has x"
        assert os.path.isdir(m.path / "d/x")
        return

    def create():
        try:
            (m.path / "d/x").write_bytes(b"file")
            return True
        except IsADirectoryError:
            return False
    # The expiry runs on absent.c's thread, a moment after the listing: awaited, not assumed.
    sf.wait_until(create, 10, what="the mount to create x as a file")
    assert (m.backing / "d/x").read_bytes() == b"file"


def test_rename_refused_while_an_application_holds_a_file_below(any_mnt):
    """The one legitimate refusal: a file an application keeps open below the directory. The error is
    the server's (EACCES or EBUSY), and nothing moved."""
    m = any_mnt
    sh("mkdir -p o/p && echo x > o/p/f", m.path)
    with open(m.path / "o/p/f") as f:
        with pytest.raises(OSError) as e:
            os.rename(m.path / "o", m.path / "o2")
        assert e.value.errno in (errno.EACCES, errno.EBUSY), e.value
        assert f.read() == "x\n"
    assert tree(m.backing) == ["o", "o/p", "o/p/f"]
    os.rename(m.path / "o", m.path / "o2")  # once it is closed, the rename works
    assert tree(m.backing) == ["o2", "o2/p", "o2/p/f"]


def test_rmdir_after_listing_then_recreate(any_mnt):
    m = any_mnt
    for _ in range(5):
        sh("mkdir -p x/y && ls x x/y >/dev/null && rmdir x/y && rmdir x && mkdir x && rmdir x", m.path)
    assert tree(m.backing) == []


def test_stat_of_name_with_backslash_never_kills_the_daemon(any_mnt):
    m = any_mnt
    for i in range(60):
        try:
            os.stat(m.path / "a\\b")
        except OSError as e:
            assert e.errno in (errno.ENOENT, errno.EINVAL), e
        if i % 10 == 0:
            os.listdir(m.path)
    for op in (lambda p: os.mkdir(p), lambda p: os.unlink(p), lambda p: os.rmdir(p),
               lambda p: os.rename(m.path / "nothere", p), lambda p: os.truncate(p, 0)):
        try:
            op(m.path / "c\\d")
        except OSError:
            pass
    assert m.proc.poll() is None, m.stderr()
    (m.path / "ok").write_text("alive")
    assert (m.backing / "ok").read_text() == "alive"


def test_case_only_rename_with_coreutils_mv(any_mnt):
    """`mv a A` on a case-insensitive share: coreutils tries renameat2(RENAME_NOREPLACE), which the kernel
    refuses with EEXIST when the lookup of A finds a; a lookup sees names as stored, so it does not."""
    m = any_mnt
    (m.path / "a").write_text("x")
    sh("ls >/dev/null && mv a A", m.path)
    assert os.listdir(m.backing) == ["A"]
    assert os.listdir(m.path) == ["A"]
    assert (m.path / "A").read_text() == "x"
    m.disk_mkdir("dir")
    sh("ls -l >/dev/null && mv dir Dir && mv Dir/ DIR", m.path)
    assert sorted(os.listdir(m.backing)) == ["A", "DIR"]


def test_lookup_by_other_case_is_not_the_stored_name(any_mnt):
    m = any_mnt
    m.disk_write("Readme", "r")
    assert not os.path.exists(m.path / "README")
    assert (m.path / "Readme").read_text() == "r"
    with pytest.raises(FileExistsError):  # the server refuses a second name that differs in case only
        os.open(m.path / "README", os.O_CREAT | os.O_EXCL | os.O_WRONLY)


def test_working_directory_survives_the_notification_of_its_mkdir(any_mnt):
    """`git init repo` is mkdir, chdir, getcwd. The watch's notification of the mkdir, arriving in between,
    must not unhash the new directory's dentry: getcwd would fail with ENOENT ("unable to get current
    working directory") for a directory that is there. It only expires the entry (src/fs/expire.c)."""
    from test_cache import stats
    m = any_mnt
    os.listdir(m.path)  # the directory's watch (every cache mode but none)
    before = stats(m)["cache.invalidated_entries"]
    code = ("import os, sys; os.mkdir('d'); os.chdir('d'); print('in', flush=True); sys.stdin.readline(); "
            "print(os.getcwd())")
    child = subprocess.Popen(["python3", "-c", code], cwd=m.path, stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline() == "in\n"
        if m.cache != "none":
            sf.wait_until(lambda: stats(m)["cache.invalidated_entries"] > before, 10,
                          what="the notification of the mkdir")
        out, err = child.communicate("go\n", timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 0 and out.strip() == str(m.path / "d"), err
    assert (m.backing / "d").is_dir()
