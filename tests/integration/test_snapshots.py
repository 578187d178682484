"""snapshot=: a previous version of the share, read-only, through SMB2_CREATE_TIMEWARP_TOKEN on every open
(MS-SMB2 2.2.13.2.7), against Samba's vfs shadow_copy2 with two snapshot directories the test makes."""
import errno
import os
import shutil
import subprocess

import pytest

SHADOW = {"vfs objects": "shadow_copy2", "shadow:snapdir": ".snapshots", "shadow:snapdirseverywhere": "yes",
          "shadow:format": "@GMT-%Y.%m.%d-%H.%M.%S", "shadow:localtime": "no", "shadow:sort": "desc"}
OLD, OLDER = "@GMT-2024.06.01-12.00.00", "@GMT-2023.01.15-08.30.00"
# OLD in 100 ns units since 1601 (the kernel's numeric form): (1717243200 + 11644473600) * 10**7.
OLD_NT = (1717243200 + 11644473600) * 10**7


@pytest.fixture
def shadow(samba_server, request):
    """A server with shadow_copy2, the test's directory live ("new") and in two snapshots; returns
    (server, test directory name)."""
    srv = samba_server(**SHADOW, **{"server min protocol": "NT1"})
    name = request.node.name.replace("[", "_").replace("]", "")
    live = srv.backing / name
    live.mkdir(exist_ok=True)
    (live / "report.txt").write_text("new\n")
    made = []
    for snap, text in ((OLD, "june\n"), (OLDER, "january\n")):
        d = srv.backing / ".snapshots" / snap / name
        d.mkdir(parents=True, exist_ok=True)
        (d / "report.txt").write_text(text)
        made.append(d)
    for p in [srv.backing / ".snapshots", *[p.parent for p in made], *made, live]:
        os.chown(p, srv.uid, srv.gid)
    yield srv, name
    for d in made:
        shutil.rmtree(d, ignore_errors=True)


@pytest.mark.parametrize("when,text", [(OLD, "june\n"), (OLDER, "january\n"), (str(OLD_NT), "june\n")],
                         ids=["gmt", "older", "nt-time"])
def test_snapshot_shows_the_old_content(mount, shadow, when, text):
    srv, name = shadow
    m = mount(srv, opts={"snapshot": when}, per_test_dir=False)
    assert (m.path / name / "report.txt").read_text() == text


def test_live_mount_shows_the_new_content(mount, shadow):
    # The pair of the test above: the same server and files without snapshot=.
    srv, name = shadow
    m = mount(srv, per_test_dir=False)
    assert (m.path / name / "report.txt").read_text() == "new\n"


def test_snapshot_is_read_only(mount, shadow):
    srv, name = shadow
    m = mount(srv, opts={"snapshot": OLD}, per_test_dir=False)
    for op in (lambda: (m.path / name / "report.txt").write_text("x"), lambda: (m.path / name / "n").touch(),
               lambda: (m.path / name / "report.txt").unlink()):
        with pytest.raises(OSError) as e:
            op()
        assert e.value.errno == errno.EROFS
    assert (srv.backing / ".snapshots" / OLD / name / "report.txt").read_text() == "june\n"


def test_snapshot_that_does_not_exist(run_smbfuse, shadow, tmp_path):
    srv, _ = shadow
    mp = tmp_path / "mnt"
    mp.mkdir()
    f = run_smbfuse(["//127.0.0.1/share", mp, "-f", "-o", f"port={srv.port},username={srv.user},"
                     f"password={srv.password},snapshot=@GMT-2020.01.01-00.00.00"], mountpoint=mp)
    assert f.rc == 32 and len(f.lines) == 1 and "root of" in f.lines[0], f


@pytest.mark.parametrize("bad", ["@GMT-2024.02.30-00.00.00", "@GMT-2024.06.01", "yesterday", "0", "-5"])
def test_bad_snapshot_value(run_smbfuse, server, tmp_path, bad):
    f = run_smbfuse(["//127.0.0.1/share", tmp_path, "-o", f"port={server.port},snapshot={bad}"])
    assert f.rc == 1 and len(f.lines) == 1 and "bad snapshot=" in f.lines[0], f


def test_snapshot_over_smb1(mount, shadow):
    """SMB1 has no TWrp context: the token leads every path, flagged SMB_FLAGS2_REPARSE_PATH."""
    srv, name = shadow
    m = mount(srv, opts={"snapshot": OLD, "vers": "1.0"}, per_test_dir=False)
    assert (m.path / name / "report.txt").read_text() == "june\n"
    with pytest.raises(OSError) as e:
        (m.path / name / "report.txt").write_text("x")
    assert e.value.errno == errno.EROFS


def snapshots_cli(binary, path):
    return subprocess.run([str(binary), "--snapshots", str(path)], capture_output=True, text=True, timeout=30)


VERS = pytest.mark.parametrize("vers", [None, "1.0"], ids=["smb2", "smb1"])


@VERS
def test_snapshots_lists_both_versions(mount, shadow, vers):
    """Over SMB1 the same FSCTL goes in an NT_TRANSACT_IOCTL (MS-CIFS 2.2.7.2)."""
    srv, name = shadow
    m = mount(srv, opts={"vers": vers} if vers else None, per_test_dir=False)
    for p in (m.path / name / "report.txt", m.path / name, m.path):
        r = snapshots_cli(m.binary, p)
        assert r.returncode == 0, r.stderr
        assert sorted(r.stdout.split()) == sorted([OLD, OLDER]), (p, r.stdout)
    # Each listed token opens that version (the same path through a snapshot= mount).
    for tok, text in ((OLD, "june\n"), (OLDER, "january\n")):
        old = mount(srv, opts={"snapshot": tok}, per_test_dir=False)
        assert (old.path / name / "report.txt").read_text() == text


@VERS
def test_snapshots_without_shadow_copies(mount, samba_server, smbfuse_bin, vers):
    server = samba_server(**{"server min protocol": "NT1"})
    m = mount(server, opts={"vers": vers} if vers else None)
    (m.path / "f").write_text("x")
    r = snapshots_cli(smbfuse_bin, m.path / "f")
    assert r.returncode == 0 and r.stdout == "", r


def test_snapshots_not_on_a_mount(smbfuse_bin, tmp_path):
    (tmp_path / "f").write_text("x")
    r = snapshots_cli(smbfuse_bin, tmp_path / "f")
    assert r.returncode == 1 and "is it on an smbfuse mount?" in r.stderr, r


# ---- @GMT path components in a normal mount (issue 15), in every cache mode: a cache must not hand the
# live file out for its old version, nor the other way round. Over SMB2 the token becomes a TWrp context;
# over SMB1 it stays in the path, flagged SMB_FLAGS2_REPARSE_PATH.
CACHE_MODES = ("strict", "loose", "none")


@pytest.fixture(params=[(v, c) for v in ("smb2", "smb1") for c in CACHE_MODES], ids=lambda p: "-".join(p))
def live(request, mount, shadow):
    """A normal (live) mount of the shadow server in one dialect and cache mode: (mount, test directory)."""
    srv, name = shadow
    vers, cache = request.param
    opts = {"cache": cache, **({"vers": "1.0"} if vers == "smb1" else {})}
    return mount(srv, opts=opts, per_test_dir=False), name


def test_gmt_component_opens_the_old_version(live, tmp_path):
    m, name = live
    assert (m.path / name / "report.txt").read_text() == "new\n"
    assert (m.path / OLD / name / "report.txt").read_text() == "june\n"
    assert (m.path / OLDER / name / "report.txt").read_text() == "january\n"
    # The token anywhere in the path, and cp restores the file.
    assert (m.path / name / OLD / "report.txt").read_text() == "june\n"
    shutil.copy(m.path / OLD / name / "report.txt", tmp_path / "restored")
    assert (tmp_path / "restored").read_text() == "june\n"
    assert (m.path / name / "report.txt").read_text() == "new\n"
    st = os.stat(m.path / OLD / name / "report.txt")
    assert st.st_size == 5


def test_gmt_directory_lists_the_old_directory(live):
    m, name = live
    (m.path / name / "added").write_text("later")
    assert sorted(os.listdir(m.path / name)) == ["added", "report.txt"]
    assert os.listdir(m.path / OLD / name) == ["report.txt"]
    assert os.path.isdir(m.path / OLD)
    # Not listed at the top, as Windows does not list it either.
    assert not [n for n in os.listdir(m.path) if n.startswith("@GMT-")]
    with pytest.raises(FileNotFoundError):
        os.stat(m.path / "@GMT-2020.01.01-00.00.00" / name)


def test_gmt_component_is_read_only(live):
    m, name = live
    old = m.path / OLD / name
    ops = [lambda: (old / "report.txt").write_text("x"), lambda: (old / "n").touch(),
           lambda: (old / "report.txt").unlink(), lambda: (old / "d").mkdir(),
           lambda: os.rename(old / "report.txt", old / "r2"),
           lambda: os.rename(m.path / name / "report.txt", old / "r3"),
           lambda: os.chmod(old / "report.txt", 0o444), lambda: os.truncate(old / "report.txt", 0),
           lambda: os.setxattr(old / "report.txt", "user.k", b"v")]
    for i, op in enumerate(ops):
        with pytest.raises(OSError) as e:
            op()
        assert e.value.errno == errno.EROFS, i
    assert (m.server.backing / ".snapshots" / OLD / name / "report.txt").read_text() == "june\n"
    assert sorted(os.listdir(m.server.backing / ".snapshots" / OLD / name)) == ["report.txt"]
    assert (m.path / name / "report.txt").read_text() == "new\n"
    assert "a previous version (@GMT) is read-only" in m.stderr()


@pytest.mark.parametrize("lookalike", ["@GMT-2024.02.30-00.00.00", "@GMT-2024.06.01-12.00.0x",
                                       "@GMT-2024.06.01-12.00.00x", "@gmt-2024.06.01-12.00.00"])
def test_gmt_lookalike_is_an_ordinary_name(live, lookalike):
    m, name = live
    d = m.path / name / lookalike
    d.mkdir()
    (d / "f").write_text("mine")
    assert (d / "f").read_text() == "mine"
    assert lookalike in os.listdir(m.path / name)
    assert (m.server.backing / name / lookalike / "f").read_text() == "mine"


def test_gmt_hard_link_of_the_live_file_is_its_own_inode(live):
    # A snapshot that shares the live file's inode on the server's disk (made with `cp -al`, as rsnapshot
    # does) has the live file's file id; the old version must still be a file of its own here, never the
    # live file's inode under a second name (the kernel would serve one's cached data for the other).
    m, name = live
    live_f = m.server.backing / name / "linked"
    live_f.write_text("shared\n")
    os.chown(live_f, m.server.uid, m.server.gid)
    os.link(live_f, m.server.backing / ".snapshots" / OLD / name / "linked")
    now, old = m.path / name / "linked", m.path / OLD / name / "linked"
    a, b = os.stat(now), os.stat(old)
    assert a.st_nlink == 2 and b.st_nlink == 2
    assert a.st_ino != b.st_ino
    assert not os.path.samefile(now, old)
    # Listing first, then the lookup: the same in that order.
    assert "linked" in os.listdir(m.path / OLD / name) and "linked" in os.listdir(m.path / name)
    assert os.stat(m.path / OLD / name / "linked").st_ino != os.stat(now).st_ino
    assert old.read_text() == "shared\n"
