"""SMB 3.1.1 POSIX extensions against Samba 4.22 (posix_server): real modes and owners, checked on the
server's disk; local permission checks as another uid; case-sensitive names; `noposix` as against 4.17.

Every data/namespace case runs in each cache mode (a cache never changes the outcome). SMB1 has no POSIX
extensions of this kind, so there is no SMB1 leg."""
import errno
import os
import stat
import subprocess
import sys

import pytest

import smbfixture as sf
from test_cache import stats  # noqa: F401 (also imported from here)

pytestmark = pytest.mark.timeout(120)

CACHE_MODES = ("strict", "loose", "none")


@pytest.fixture(params=CACHE_MODES)
def pmount(request, mount, posix_server):
    """Factory: a mount of the 4.22 server in this run's cache mode; pmount(opts=...) -> TestMount."""
    def make(opts=None, **kw):
        return mount(srv=posix_server, opts={"cache": request.param, **(opts or {})}, **kw)
    make.cache = request.param
    return make


@pytest.fixture
def pmnt(pmount):
    return pmount()


def mode_of(p):
    return stat.S_IMODE(os.lstat(p).st_mode)


def test_negotiated_in_stats_and_log(pmount):
    m = pmount(extra_args=["--verbose"])
    assert stats(m)["session.posix_extensions"] == 1
    assert "POSIX extensions negotiated" in m.stderr()
    assert "SMB 3.1.1, POSIX extensions" in m.stderr()


def test_create_keeps_mode_with_umask(pmnt):
    old = os.umask(0o022)
    try:
        os.close(os.open(pmnt.path / "six", os.O_CREAT | os.O_WRONLY, 0o600))
        os.close(os.open(pmnt.path / "masked", os.O_CREAT | os.O_WRONLY, 0o666))
        os.mkdir(pmnt.path / "d700", 0o700)
        os.mkdir(pmnt.path / "d777", 0o777)
    finally:
        os.umask(old)
    assert mode_of(pmnt.backing / "six") == 0o600
    assert mode_of(pmnt.backing / "masked") == 0o644
    assert mode_of(pmnt.backing / "d700") == 0o700
    assert mode_of(pmnt.backing / "d777") == 0o755
    assert mode_of(pmnt.path / "six") == 0o600 and stat.S_ISREG(os.lstat(pmnt.path / "six").st_mode)
    assert stat.S_ISDIR(os.lstat(pmnt.path / "d700").st_mode) and mode_of(pmnt.path / "d700") == 0o700


def test_chmod_reaches_disk(pmnt):
    p = pmnt.path / "f"
    p.write_text("x")
    for m in (0o751, 0o400, 0o000, 0o644):
        os.chmod(p, m)
        assert mode_of(pmnt.backing / "f") == m
        assert mode_of(p) == m
    os.mkdir(pmnt.path / "d")
    os.chmod(pmnt.path / "d", 0o711)
    assert mode_of(pmnt.backing / "d") == 0o711
    # fchmod through a handle opened read-only: the change goes by path with WRITE_DAC.
    with open(p) as f:
        os.fchmod(f.fileno(), 0o604)
    assert mode_of(pmnt.backing / "f") == 0o604


def test_server_made_mode_and_owner_show(pmnt):
    f = pmnt.disk_write("ondisk", b"abc")
    os.chown(f, 1234, 5678)
    f.chmod(0o640)
    d = pmnt.disk_mkdir("sticky")
    d.chmod(0o1777)
    s = pmnt.disk_write("setid", b"")
    s.chmod(0o6755)
    st = os.lstat(pmnt.path / "ondisk")
    assert (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid) == (0o640, 1234, 5678)
    assert stat.S_ISREG(st.st_mode) and st.st_size == 3
    assert mode_of(pmnt.path / "sticky") == 0o1777
    assert mode_of(pmnt.path / "setid") == 0o6755
    # `ls -l` reads all of this from the listing: the names' attributes come with it.
    listed = {e.name: e.stat(follow_symlinks=False) for e in os.scandir(pmnt.path)}
    assert stat.S_IMODE(listed["ondisk"].st_mode) == 0o640 and listed["ondisk"].st_uid == 1234


def test_uid_gid_options_override_owner(mount, posix_server):
    probe = mount(srv=posix_server)
    f = probe.disk_write("owned", b"")
    os.chown(f, 1234, 5678)
    m = mount(srv=posix_server, opts={"uid": "777", "gid": "778"})
    st = os.lstat(m.root / probe.path.name / "owned")
    assert (st.st_uid, st.st_gid) == (777, 778)
    # noforceuid: the server's owner wins over uid=; forcegid alone forces only the group.
    m2 = mount(srv=posix_server, opts={"uid": "777", "noforceuid": None, "gid": "778"})
    st = os.lstat(m2.root / probe.path.name / "owned")
    assert (st.st_uid, st.st_gid) == (1234, 778)


def test_chown_refused_by_server_is_eperm(pmnt):
    p = pmnt.path / "mine"
    p.write_text("x")
    gid = os.lstat(pmnt.backing / "mine").st_gid
    with pytest.raises(PermissionError) as e:
        os.chown(p, 1234, -1)
    assert e.value.errno == errno.EPERM
    assert os.lstat(pmnt.backing / "mine").st_uid == sf.TEST_UID
    assert os.lstat(pmnt.backing / "mine").st_gid == gid


def test_chown_to_other_user_as_root_is_eperm(pmnt):
    # Root locally is no one special to the server: it acts as the SMB user, who cannot give files away.
    p = pmnt.path / "give"
    p.write_text("x")
    with pytest.raises(PermissionError):
        os.chown(p, 0, 0)


def _as_nobody(argv, cwd_fd):
    def drop():
        os.fchdir(cwd_fd)
        os.setgroups([])
        os.setgid(sf.GUEST_GID)
        os.setuid(sf.GUEST_UID)
    return subprocess.run(argv, preexec_fn=drop, pass_fds=(cwd_fd,), capture_output=True, text=True,
                          timeout=30)


@pytest.mark.parametrize("perm", ["default", "noperm"])
def test_other_local_user_gets_eacces(mount, posix_server, perm):
    opts = {"allow_other": None}
    if perm == "noperm":
        opts["noperm"] = None
    m = mount(srv=posix_server, opts=opts)
    (m.path / "secret").write_text("s")
    os.chmod(m.path / "secret", 0o600)
    (m.path / "public").write_text("p")
    os.chmod(m.path / "public", 0o644)
    os.chmod(m.path, 0o755)
    fd = os.open(m.path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        code = ("import sys\n"
                "for n in ('public', 'secret'):\n"
                "    try: open(n).read(); print(n, 'ok')\n"
                "    except OSError as e: print(n, e.errno)\n"
                "try: open('new', 'w'); print('new ok')\n"
                "except OSError as e: print('new', e.errno)\n")
        r = _as_nobody([sys.executable, "-c", code], fd)
    finally:
        os.close(fd)
    out = dict(line.split() for line in r.stdout.splitlines())
    assert out["public"] == "ok", r.stdout + r.stderr
    if perm == "default":
        # As on a local disk: the kernel checks the modes the server keeps.
        assert out["secret"] == str(errno.EACCES)
        assert out["new"] == str(errno.EACCES)  # the directory is 0755 and not nobody's
    else:
        # noperm: no local checks; the server acts as the SMB user, who may read its own file.
        assert out["secret"] == "ok"


def test_case_sensitive_names(pmnt):
    (pmnt.path / "a").write_text("lower")
    (pmnt.path / "A").write_text("upper")
    assert (pmnt.backing / "a").read_text() == "lower"
    assert (pmnt.backing / "A").read_text() == "upper"
    assert sorted(os.listdir(pmnt.path)) == ["A", "a"]
    assert not (pmnt.path / "B").exists()
    (pmnt.path / "b").write_text("x")
    assert not os.path.exists(pmnt.path / "B")
    os.rename(pmnt.path / "a", pmnt.path / "b")
    assert sorted(os.listdir(pmnt.backing)) == ["A", "b"]
    os.unlink(pmnt.path / "A")
    assert (pmnt.path / "b").read_text() == "lower"


def test_two_mounts_see_each_others_chmod(pmount):
    m1 = pmount()
    m2 = pmount()
    (m1.path / "shared").write_text("x")
    os.chmod(m1.path / "shared", 0o600)
    assert sf.wait_until(lambda: mode_of(m2.path / "shared") == 0o600, 10, what="m2 sees 0600")
    os.chmod(m2.path / "shared", 0o640)
    assert sf.wait_until(lambda: mode_of(m1.path / "shared") == 0o640, 10, what="m1 sees 0640")
    assert mode_of(m1.backing / "shared") == 0o640


def test_listing_sends_no_request_per_file(pmount):
    if pmount.cache == "none":
        pytest.skip("cache=none revalidates every entry by design")
    m = pmount()
    for i in range(50):
        m.disk_write(f"f{i:02}", b"x", mode=0o640)
    before = stats(m)["requests.total"]
    entries = [(e.name, e.stat(follow_symlinks=False)) for e in os.scandir(m.path)]
    assert len(entries) == 50 and all(stat.S_IMODE(s.st_mode) == 0o640 for _, s in entries)
    assert stats(m)["requests.total"] - before < 10


def test_noposix_behaves_as_without_extensions(mount, posix_server):
    m = mount(srv=posix_server, opts={"noposix": None})
    assert stats(m)["session.posix_extensions"] == 0
    (m.path / "f").write_text("x")
    assert mode_of(m.path / "f") == 0o755  # file_mode
    os.chmod(m.path / "f", 0o600)  # only the write bits mean something (READONLY); others are kept
    assert mode_of(m.backing / "f") != 0o600
    (m.path / "a").write_text("1")
    (m.path / "A").write_text("2")  # the same name without POSIX semantics
    assert sorted(os.listdir(m.backing)) == ["a", "f"]
    assert (m.backing / "a").read_text() == "2"
