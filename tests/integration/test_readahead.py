"""Read-ahead of sequential readers (issue 16, src/fs/ra.c): proved by the mount's counters, never by
timing. read.inflight_max is the most ops->read calls (one READ of 1 MiB each) in progress at once; the
kernel alone keeps two. Each coherence case changes the file in the middle of a sequential read, where the
window has read ahead, and checks that the bytes read after it are the new ones, in every dialect and cache
mode (any_mount); rasize=0 is the paired case that turns read-ahead off."""
import hashlib
import os

import pytest

import smbfixture as sf
from test_cache import stats

pytestmark = pytest.mark.timeout(300)

MiB = 1 << 20


def pattern(n, seed):
    """n bytes that differ at every 4 KiB and between seeds, cheaper than urandom in bulk."""
    block = hashlib.sha256(seed.encode()).digest() * 128  # 4 KiB
    return b"".join(i.to_bytes(8, "little") + block[8:] for i in range(n // len(block)))


def read_seq(f, upto, size=128 * 1024):
    """Read f from its position to upto in size steps, as cat does."""
    out = []
    while f.tell() < upto:
        b = f.read(min(size, upto - f.tell()))
        if not b:
            break
        out.append(b)
    return b"".join(out)


def test_sequential_read_keeps_four_reads_in_flight(any_mount):
    m = any_mount()
    data = pattern(64 * MiB, "a")
    m.disk_write("big", data)
    s0 = stats(m)
    with open(m.path / "big", "rb") as f:
        got = read_seq(f, len(data))
    assert hashlib.sha256(got).digest() == hashlib.sha256(data).digest()
    s1 = stats(m)
    if any_mount.cache == "none":
        assert s1["readahead.issued"] == s0["readahead.issued"], "cache=none must not read ahead"
        assert s1["read.inflight_max"] <= 3
        return
    assert s1["read.inflight_max"] >= 4, s1
    assert s1["readahead.hits"] - s0["readahead.hits"] >= 32, s1
    assert s1["readahead.errors"] == 0


def test_rasize_zero_leaves_the_kernel_alone(mount):
    """The paired case: without read-ahead the kernel's own two requests are all there is."""
    m = mount(opts={"rasize": "0"})
    m.disk_write("big", pattern(32 * MiB, "z"))
    with open(m.path / "big", "rb") as f:
        read_seq(f, 32 * MiB)
    s = stats(m)
    assert s["readahead.issued"] == 0 and s["readahead.hits"] == 0
    assert s["read.inflight_max"] <= 3, s


def test_own_write_mid_read_is_visible(any_mount):
    """A write through another descriptor of this mount lands inside the window (ahead of the kernel's
    own readahead, behind none of its pages: a partial page, so the kernel must read that page again)."""
    m = any_mount()
    data = bytearray(pattern(16 * MiB, "b"))
    m.disk_write("f", bytes(data))
    at = 7 * MiB + 10
    with open(m.path / "f", "rb") as r:
        head = read_seq(r, 4 * MiB)
        with open(m.path / "f", "r+b") as w:
            w.seek(at)
            w.write(b"W" * 100)
        data[at:at + 100] = b"W" * 100
        rest = read_seq(r, len(data))
    assert head + rest == bytes(data)


def test_truncate_mid_read_then_read(any_mount):
    """Truncated to 6 MiB and grown back: everything after 6 MiB reads as zeros, not as the old bytes a
    window may hold."""
    m = any_mount()
    data = pattern(16 * MiB, "c")
    m.disk_write("f", data)
    with open(m.path / "f", "rb") as r:
        head = read_seq(r, 4 * MiB)
        os.truncate(m.path / "f", 6 * MiB)
        os.truncate(m.path / "f", 16 * MiB)
        rest = read_seq(r, 16 * MiB)
    assert head + rest == data[:6 * MiB] + bytes(10 * MiB)


def test_other_clients_write_after_break_is_read(any_mount, tmp_path):
    """smbclient replaces the file while our reader is half way: the break (lease or oplock) empties the
    window, and what the reader reads from there on is smbclient's data."""
    m = any_mount()
    old, new = pattern(16 * MiB, "d"), pattern(16 * MiB, "e")
    m.disk_write("f", old)
    src = tmp_path / "new"
    src.write_bytes(new)
    with open(m.path / "f", "rb") as r:
        assert read_seq(r, 4 * MiB) == old[:4 * MiB]
        s0 = stats(m)
        m.server.smbclient("share", f"cd {m.path.name}; put {src} f", timeout=60)
        if any_mount.cache != "none":
            sf.wait_until(lambda: stats(m)["breaks.received"] > s0["breaks.received"], 10, what="the break")
        os.fstat(r.fileno())  # cache=none: the new mtime drops the kernel's pages (AUTO_INVAL_DATA)
        rest = read_seq(r, 16 * MiB)  # on from 4 MiB, without a seek that would empty the window anyway
    # cache=none has no break: the kernel's own readahead may still hold up to 2 MiB past 4 MiB from
    # before the change. From 8 MiB on every byte was fetched after it.
    skip = 4 * MiB if any_mount.cache == "none" else 0
    assert rest[skip:] == new[4 * MiB + skip:]
