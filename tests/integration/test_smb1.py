"""The core of the integration suite over SMB1 (src/proto/smb1_ops.c), and the choice of dialect.

The filesystem tests are the ones of test_basic.py and test_io.py, imported here so that they run with this
module's `mnt`: a vers=1.0 mount of an smbd that speaks only NT1, in three ways (`transport`): Direct TCP on
its port, a NetBIOS session, and mandatory SMB1 signing. Each mount is checked to really be SMB1 (smbstatus
says NT1, and signed when it should be).

Then the dialect choice of src/proto/client.c: no vers= against an NT1-only smbd falls back to SMB1, against
a normal smbd stays on SMB2; vers=1.0 against an SMB2-only smbd fails with one clear line; sec=ntlm works
over SMB1 only.
"""
import errno
import os
import re
import signal
import threading
import time

import pytest

import smbfixture as sf
import test_basic
import test_io
import test_programs
from smb1_chain_proxy import ChainRefusingProxy
from test_reconnect import kill_and_wait, serving_pid

pytestmark = pytest.mark.timeout(180)

NT1 = {"server min protocol": "NT1", "server max protocol": "NT1"}
TRANSPORTS = {
    "tcp": ({}, {}),
    "netbios": ({"disable netbios": "no"}, {"netbios": True}),
    "signed": ({"server signing": "mandatory"}, {}),
}


@pytest.fixture(params=sorted(TRANSPORTS), scope="module")
def transport(request):
    return request.param


@pytest.fixture
def smb1_server(samba_server, transport):
    return samba_server(**NT1, **TRANSPORTS[transport][0])


def nt1_smbclient(server, monkeypatch):
    """Let smbclient (which some tests use as the other client) speak NT1 to server."""
    plain = server.smbclient
    monkeypatch.setattr(server, "smbclient", lambda share, commands, extra=(), **kw: plain(
        share, commands, extra=("--option=client min protocol=NT1", *extra), **kw))


@pytest.fixture
def mnt(mount, smb1_server, transport, monkeypatch):
    nt1_smbclient(smb1_server, monkeypatch)
    m = mount(srv=smb1_server, opts={"vers": "1.0", **TRANSPORTS[transport][1]})
    sessions = sf.negotiated(smb1_server)
    assert {s["protocol"] for s in sessions} == {"NT1"}, sessions
    if transport == "signed":
        assert all(sf.signed(s) for s in sessions), sessions
    return m


# The filesystem tests, run as they are over SMB1.
CORE = [
    "test_create_write_read", "test_file_made_on_disk_is_seen", "test_empty_file", "test_overwrite_with_o_trunc",
    "test_append_mode_open", "test_truncate", "test_ftruncate_open_file", "test_unlink",
    "test_unlink_file_deleted_on_disk_after_lookup", "test_open_missing_is_enoent",
    "test_o_excl_on_existing_is_eexist", "test_stat_size_and_type", "test_mtime_round_trip_100ns",
    "test_mtime_of_disk_file", "test_mtime_advances_on_write", "test_utimensat_and_utime_now",
    "test_chmod_a_w_sets_read_only_attribute", "test_delete_read_only_file", "test_mkdir_rmdir",
    "test_rmdir_non_empty_is_enotempty", "test_rmdir_on_file_and_unlink_on_dir", "test_nested_directories",
    "test_readdir_small", "test_readdir_empty", "test_ls_l_2000_files_made_on_disk", "test_rename_file",
    "test_rename_over_existing_file", "test_rename_noreplace", "test_rename_directory",
    "test_rename_across_directories", "test_rename_dir_over_nonempty_dir_fails",
    "test_non_ascii_names_through_mount", "test_non_ascii_names_from_disk", "test_non_ascii_directory_rename",
    "test_long_name", "test_statfs_close_to_backing", "test_fsync_makes_data_visible_on_server_while_open",
    "test_fsync_directory", "test_inode_numbers_stable", "test_default_owner_is_mounting_user",
    "test_create_2000_files_through_mount",
]
IO = [
    "test_sparse_5gib_file_written_at_offset", "test_o_append_to_existing_file", "test_o_append_two_writers",
    "test_o_rdwr_random_against_model", "test_read_at_and_past_eof", "test_writable_shared_mmap",
    "test_mmap_read_of_disk_file", "test_file_opened_by_two_processes",
    "test_read_while_another_process_writes_elsewhere", "test_large_sequential_copy",
    "test_rename_over_file_whose_close_is_pending",
]
# Real programs over SMB1 too; test_programs's own fixtures come with them.
PROGRAMS = [
    "test_git_init_commit_status_log_gc", "test_git_clone_local_repo_into_mount", "test_make_builds_c_program",
    "test_rsync_second_run_transfers_nothing", "test_editor_atomic_save", "test_sqlite_create_insert_select",
    "test_tar_extract_into_and_create_from_mount", "git_env",
]
for _name in CORE:
    globals()[_name] = getattr(test_basic, _name)
for _name in IO:
    globals()[_name] = getattr(test_io, _name)
for _name in PROGRAMS:
    globals()[_name] = getattr(test_programs, _name)


def test_many_files_listed_in_several_find_replies(mnt):
    """More entries than one FIND_FIRST2 reply holds: FIND_NEXT2 resumes by name, nothing lost or doubled."""
    names = {f"file-{i:04d}-{'x' * 40}" for i in range(600)}
    for n in names:
        mnt.disk_write(n, b"1")
    assert sorted(os.listdir(mnt.path)) == sorted(names)


def test_rename_over_existing_file_never_hides_the_target(mnt):
    """Replacing a file by rename is one step on the server (FileRenameInformation with ReplaceIfExists on a
    handle): a reader that opens the target on the server's disk in a loop while it is replaced 200 times
    finds it every time. Deleting the target first, then renaming, leaves a gap the reader falls into."""
    target = mnt.backing / "target"
    mnt.disk_write("target", b"v0")
    stop = threading.Event()
    seen = {"opens": 0, "missing": 0, "contents": set()}

    def reader():
        while not stop.is_set():
            try:
                with open(target, "rb") as f:
                    seen["contents"].add(f.read())
                seen["opens"] += 1
            except FileNotFoundError:
                seen["missing"] += 1
    t = threading.Thread(target=reader, daemon=True)
    t.start()
    try:
        for i in range(1, 201):
            (mnt.path / "tmp").write_bytes(b"v%d" % i)
            os.rename(mnt.path / "tmp", mnt.path / "target")
    finally:
        stop.set()
        t.join(10)
    assert seen["missing"] == 0 and seen["opens"] > 200, seen["missing"]
    assert seen["contents"] <= {b"v%d" % i for i in range(201)}, seen["contents"] - {b"v%d" % i for i in range(201)}
    assert target.read_bytes() == b"v200" and not (mnt.backing / "tmp").exists()
    assert (mnt.path / "target").read_bytes() == b"v200"


def test_rename_over_existing_file_in_another_directory(mnt):
    """The one-step replace names the target without its directory, so across directories the target is
    replaced the old way (delete, then rename); the result is the same."""
    (mnt.path / "x").mkdir()
    (mnt.path / "y").mkdir()
    (mnt.path / "x" / "f").write_text("new")
    (mnt.path / "y" / "g").write_text("old")
    os.rename(mnt.path / "x" / "f", mnt.path / "y" / "g")
    assert (mnt.backing / "y" / "g").read_text() == "new" and os.listdir(mnt.backing / "x") == []


def test_rename_directory_over_empty_directory(mnt):
    (mnt.path / "a" / "in").mkdir(parents=True)
    (mnt.path / "b").mkdir()
    os.rename(mnt.path / "a", mnt.path / "b")
    assert (mnt.backing / "b" / "in").is_dir() and not (mnt.backing / "a").exists()


# ---------------------------------------------------------------------------------------------------
def test_default_vers_falls_back_to_smb1(mount, samba_server):
    srv = samba_server(**NT1)
    m = mount(srv=srv)
    (m.path / "f").write_text("over SMB1")
    assert (m.backing / "f").read_text() == "over SMB1"
    assert [s["protocol"] for s in sf.negotiated(srv)] == ["NT1"]
    assert re.search(r"speaks only SMB1: using it", m.stderr()), m.stderr()
    assert re.search(r"SMB1 is insecure", m.stderr()), m.stderr()


def test_default_vers_against_a_normal_server_is_smb2(mount, samba_server):
    srv = samba_server(**{"server min protocol": "NT1"})
    m = mount(srv=srv)
    (m.path / "f").write_text("x")
    assert [s["protocol"] for s in sf.negotiated(srv)] == ["SMB3_11"]
    assert "SMB1" not in m.stderr(), m.stderr()


@pytest.mark.parametrize("vers", ["2.0", "3"])
def test_explicit_smb2_vers_never_falls_back(run_smbfuse, samba_server, tmp_path, vers):
    srv = samba_server(**NT1)
    mp = tmp_path / "mp"
    mp.mkdir()
    f = run_smbfuse(["//127.0.0.1/share", mp, "-f", "-o",
                     f"vers={vers},username={srv.user},password={srv.password},port={srv.port}"], mountpoint=mp)
    assert f.rc == 32 and len(f.lines) == 1 and "SMB2" in f.stderr and "SMB1" not in f.stderr, f


def test_vers_1_against_smb2_only_server(run_smbfuse, server, tmp_path):
    mp = tmp_path / "mp"
    mp.mkdir()
    f = run_smbfuse(["//127.0.0.1/share", mp, "-f", "-o",
                     f"vers=1.0,username={server.user},password={server.password},port={server.port}"],
                    mountpoint=mp)
    assert f.rc == 32 and len(f.lines) == 1, f
    assert re.search(r"refused SMB1 .*speaks only SMB2 or later", f.stderr), f


def test_sec_ntlm_over_smb1(mount, samba_server):
    """NTLMv1 needs the plain logon (smbd offers extended security unless told not to) and smbd's consent."""
    srv = samba_server(**NT1, **{"ntlm auth": "ntlmv1-permitted"})
    m = mount(srv=srv, opts={"vers": "1.0", "sec": "ntlm"})
    (m.path / "f").write_text("v1")
    assert (m.backing / "f").read_text() == "v1"


@pytest.mark.parametrize("status", ["nt", "dos"])
def test_logon_when_the_server_refuses_the_andx_chain(mount, samba_server, status):
    """A server that fails SESSION_SETUP_ANDX with TREE_CONNECT_ANDX chained to it (STATUS_NOT_SUPPORTED, or a
    DOS error from a server without NT status codes) gets a second logon on a new connection, one command at
    a time, and the mount works. The refusal comes from smb1_chain_proxy.py in front of smbd (which accepts
    chains); signing is not required, or smbfuse would not chain in the first place."""
    srv = samba_server(**NT1)
    proxy = ChainRefusingProxy(srv.port, status)
    try:
        m = mount(srv=srv, opts={"vers": "1.0", "port": proxy.port}, extra_args=("--verbose",))
        assert proxy.refused == 1 and proxy.connections == 2, (proxy.refused, proxy.connections)
        assert "refused SESSION_SETUP_ANDX chained with TREE_CONNECT_ANDX; logging on without it" in m.stderr()
        (m.path / "f").write_text("through the proxy")
        os.rename(m.path / "f", m.path / "g")
        assert (m.backing / "g").read_text() == "through the proxy"
        assert os.listdir(m.path) == ["g"] and (m.path / "g").read_text() == "through the proxy"
        os.unlink(m.path / "g")
        assert not (m.backing / "g").exists()
        assert m.unmount() == 0
    finally:
        proxy.close()
    assert proxy.refused == 1, proxy.refused


def test_sec_ntlm_refused_without_vers_1(run_smbfuse, server, tmp_path):
    mp = tmp_path / "mp"
    mp.mkdir()
    f = run_smbfuse(["//127.0.0.1/share", mp, "-f", "-o",
                     f"sec=ntlm,username={server.user},password={server.password},port={server.port}"],
                    mountpoint=mp)
    assert f.rc == 1 and len(f.lines) == 1 and "only with vers=1.0" in f.stderr, f


def test_smb1_reconnect_reopens_handles(mount, samba_server):
    """smbd killed under an open file: the next request builds a new connection and the handle reopens."""
    srv = samba_server(**NT1)
    m = mount(srv=srv, opts={"vers": "1.0"})
    with open(m.path / "f", "w+b") as f:
        f.write(b"before")
        f.flush()
        os.fsync(f.fileno())
        for s in sf.negotiated(srv):
            kill_and_wait(int(s["pid"]))
        f.seek(0)
        f.write(b"after!")
        f.flush()
        os.fsync(f.fileno())
    assert (m.backing / "f").read_bytes() == b"after!"
    # One logon at mount, one after the kill.
    assert m.stderr().count("connected to 127.0.0.1 with SMB1") == 2, m.stderr()


def test_smb1_silent_server_is_dropped_by_keepalive(mount, samba_server):
    """smbd paused, not killed: the connection stays open but nothing answers. The SMB1 echo watchdog must
    notice, drop it, and the retried stat must succeed on a new connection, long before the 60 s request
    deadline (as test_reconnect.py's test for SMB2)."""
    srv = samba_server(**NT1)
    m = mount(srv=srv, opts={"vers": "1.0", "echo_interval": "1"})
    m.disk_write("here.txt", "x")
    pid = serving_pid(srv, m)
    os.kill(pid, signal.SIGSTOP)
    try:
        t0 = time.monotonic()
        assert os.stat(m.path / "here.txt").st_size == 1
        took = time.monotonic() - t0
        assert took < 15, (took, m.stderr())
        assert "did not answer an echo" in m.stderr()
        assert m.stderr().count("connected to 127.0.0.1 with SMB1") == 2, m.stderr()
    finally:
        sf.kill_pid(pid)
