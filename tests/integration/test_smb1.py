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
import time

import pytest

import smbfixture as sf
import test_basic
import test_io
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
    "test_fsync_directory", "test_inode_numbers_stable",
]
IO = [
    "test_sparse_5gib_file_written_at_offset", "test_o_append_to_existing_file", "test_o_append_two_writers",
    "test_o_rdwr_random_against_model", "test_read_at_and_past_eof", "test_writable_shared_mmap",
    "test_mmap_read_of_disk_file", "test_file_opened_by_two_processes",
    "test_read_while_another_process_writes_elsewhere",
]
for _name in CORE:
    globals()[_name] = getattr(test_basic, _name)
for _name in IO:
    globals()[_name] = getattr(test_io, _name)


def test_many_files_listed_in_several_find_replies(mnt):
    """More entries than one FIND_FIRST2 reply holds: FIND_NEXT2 resumes by name, nothing lost or doubled."""
    names = {f"file-{i:04d}-{'x' * 40}" for i in range(600)}
    for n in names:
        mnt.disk_write(n, b"1")
    assert sorted(os.listdir(mnt.path)) == sorted(names)


# ---------------------------------------------------------------------------------------------------
def test_default_vers_falls_back_to_smb1(mount, samba_server):
    srv = samba_server(**NT1)
    m = mount(srv=srv)
    (m.path / "f").write_text("over SMB1")
    assert (m.backing / "f").read_text() == "over SMB1"
    assert [s["protocol"] for s in sf.negotiated(srv)] == ["NT1"]
    assert re.search(r"falling back to SMB1", m.stderr()), m.stderr()
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
        assert time.monotonic() - t0 < 15
        assert "did not answer an echo" in m.stderr()
        assert m.stderr().count("connected to 127.0.0.1 with SMB1") == 2, m.stderr()
    finally:
        os.kill(pid, signal.SIGKILL)
        os.kill(pid, signal.SIGCONT)
