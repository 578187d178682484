"""Caches and coherence over SMB1 (issue 3): oplocks feed the same cache as SMB2's leases.

The cases are those of test_cache.py and test_write_cache.py, imported (not copied) and run with this
module's `mount`, which mounts an smbd that speaks only NT1 with vers=1.0, over Direct TCP and with
mandatory signing (a break's acknowledgment has no response, so the signing sequence is at stake). Every
case proves its saving with the counters (under SMB1's own command names: NT_CREATE_ANDX, WRITE_ANDX,
LOCKING_ANDX, NT_TRANSACT...) and is paired with cache=none, where the outcome changes. The listing and
negative-lookup cases run on NT_TRANSACT_NOTIFY_CHANGE watches.

Then what is SMB1's own: each open asks for a batch oplock, our own second open breaks the first to
level II, and a reconnect voids every oplock.
"""
import os
import time

import pytest

import smbfixture as sf
import test_cache
import test_write_cache
from test_cache import stats, wait_for
from test_smb1 import NT1, nt1_smbclient
from test_reconnect import kill_and_wait, serving_pid
from test_write_cache import tiny_fs  # noqa: F401 (a fixture of the imported ENOSPC case)

pytestmark = pytest.mark.timeout(180)

TRANSPORTS = {"tcp": {}, "signed": {"server signing": "mandatory"}}


@pytest.fixture(params=sorted(TRANSPORTS), scope="module")
def transport(request):
    return request.param


@pytest.fixture
def smb1_server(samba_server, transport):
    return samba_server(**NT1, **TRANSPORTS[transport])


@pytest.fixture
def mount(mount, smb1_server, monkeypatch):
    """conftest's mount, of the NT1 server with vers=1.0 whatever else the case asks for."""
    nt1_smbclient(smb1_server, monkeypatch)

    def make(srv=None, opts=None, **kw):
        srv = srv or smb1_server
        m = mount(srv=srv, opts={**(opts or {}), "vers": "1.0"}, **kw)
        assert {s["protocol"] for s in sf.negotiated(srv)} == {"NT1"}
        return m
    return make


CACHE = [
    "test_stats_cli_and_xattr", "test_fstat_of_open_file_trusted_under_lease", "test_read_twice_under_lease",
    "test_two_mounts_see_each_others_changes", "test_open_file_sees_other_clients_write_after_break",
    "test_smbclient_put_seen_and_data_on_server", "test_break_while_reads_in_flight", "test_many_breaks_at_once",
    "test_ls_twice_served_from_listing", "test_negative_lookup_from_listing",
    "test_break_never_acknowledged_leaves_nobody_waiting",
]
WRITE_CACHE = [
    "test_small_writes_gathered", "test_gathered_data_reaches_server_on_fsync",
    "test_stat_and_listing_see_gathered_size", "test_break_writes_back_before_other_client_reads",
    "test_cache_none_never_holds_data", "test_o_sync_writes_through", "test_enospc_reaches_application",
    "test_connection_loss_with_gathered_data",
]
for _name in CACHE:
    globals()[_name] = getattr(test_cache, _name)
for _name in WRITE_CACHE:
    globals()[_name] = getattr(test_write_cache, _name)


# Cases parametrized over SMB2 dialects there: here vers is always 1.0, so each runs once.
def test_overwrites_and_holes_in_order(mount):
    test_write_cache.test_overwrites_and_holes_in_order(mount, "1.0")


def test_append_truncate_and_mmap_with_gathering(mount):
    test_write_cache.test_append_truncate_and_mmap_with_gathering(mount, "1.0")


@pytest.mark.parametrize("cache", ["strict", "none"])
def test_batch_oplock_gathers_and_breaks(mount, tmp_path, cache):
    """The SMB 2.0.2 case, over SMB1: a batch oplock gathers, smbclient's open breaks it, and the break
    is written back and acknowledged with LOCKING_ANDX before smbclient reads."""
    test_write_cache.test_smb202_batch_oplock_gathers_and_breaks(mount, tmp_path, cache)


# ---------------------------------------------------------------------------------------------------
def test_own_second_open_breaks_first_to_level_ii(mount):
    """Two opens of one file by this client: smbd breaks the first's batch oplock to level II before it
    answers the second, and the worker acknowledges it; reads through both stay cached (Read caching
    holds), and writes go through at once (no oplock left with Write caching)."""
    m = mount()
    m.disk_write("f", b"x" * 4096)
    with open(m.path / "f", "rb") as a:
        assert a.read() == b"x" * 4096
        s0 = stats(m)
        t0 = time.monotonic()
        with open(m.path / "f", "r+b") as b:
            # smbd holds this open until the break is acknowledged (35 s if it never is).
            assert time.monotonic() - t0 < 5
            s1 = stats(m)
            assert s1["breaks.received"] - s0["breaks.received"] == 1
            assert s1["breaks.acknowledged"] - s0["breaks.acknowledged"] == 1
            b.write(b"y" * 100)
            b.flush()
            wait_for(lambda: (m.backing / "f").read_bytes()[:100] == b"y" * 100, 1.0, "a write-through")


@pytest.mark.parametrize("cache", ["strict", "none"])
def test_reconnect_voids_oplocks(mount, smb1_server, cache):
    """A killed smbd takes our oplocks with it: after the reconnect a change made on the server is seen at
    once, though the old attributes were trusted for 60 s under the oplock."""
    m = mount(opts={"cache": cache})
    m.disk_write("f", b"old")
    with open(m.path / "f", "rb") as f:
        assert f.read() == b"old"
        assert os.fstat(f.fileno()).st_size == 3
        kill_and_wait(serving_pid(smb1_server, m))
        m.disk_write("f", b"changed!")
        (m.path / "new").write_bytes(b"n")  # a new name is never in a cache: the request rebuilds the link
        wait_for(lambda: stats(m)["session.reconnects"] == 1, 10, "the reconnect")
        wait_for(lambda: os.fstat(f.fileno()).st_size == 8, 1.0, "the new size through the open handle")


def test_watches_beyond_the_servers_slots(mount):
    """Each watch's pending NT_TRANSACT holds one of smbd's 50 MaxMpxCount slots: listing 100 directories
    keeps at most a quarter watched, and every evicted watch's close ends its request, so no slot is lost
    and nothing waits for one (a leak would stall every request after the 50th watch)."""
    m = mount()
    for i in range(100):
        m.disk_write(f"d{i}/x", b"1")
    s0 = stats(m)
    t0 = time.monotonic()
    for i in range(100):
        assert os.listdir(m.path / f"d{i}") == ["x"]
        assert (m.path / f"d{i}" / "x").read_bytes() == b"1"
    assert time.monotonic() - t0 < 20
    s1 = stats(m)
    # One per listed directory, and a few of their parent's: the lookups of d0, d1, ... list it too
    # (stats by name, src/fs/listing.c), which watches it again each time it was evicted.
    started = s1["notify.watches_started"] - s0["notify.watches_started"]
    assert 100 <= started <= 125, started
    assert s1["requests.NT_TRANSACT"] - s0.get("requests.NT_TRANSACT", 0) >= 100
