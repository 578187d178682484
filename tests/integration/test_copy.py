"""Server-side copy (issue 12): copy_file_range(2) and coreutils' cp within the share become
FSCTL_SRV_COPYCHUNK_WRITE over SMB2, so the data never crosses the connection (the mount's counters
connection.bytes_sent and bytes.copied_by_server prove it), several requests in flight (copy.inflight_max);
over SMB1 the kernel copies by read and write,
with the same result. Every dialect and cache mode (any_mnt): a cache never changes the outcome."""
import hashlib
import os
import subprocess
import time

import pytest

MiB = 1 << 20


def stats(m):
    raw = os.getxattr(m.root, "user.smbfuse.stats").decode()
    return {k: int(v) for k, v in (line.split() for line in raw.splitlines())}


def copy_range(src, dst, n, off_in=None, off_out=None):
    """copy_file_range until n bytes are copied or the source ends; returns the bytes copied."""
    fi = os.open(src, os.O_RDONLY)
    fo = os.open(dst, os.O_WRONLY | os.O_CREAT, 0o644)
    done = 0
    try:
        while done < n:
            k = os.copy_file_range(fi, fo, n - done, None if off_in is None else off_in + done,
                                   None if off_out is None else off_out + done)
            if k == 0:
                break
            done += k
    finally:
        os.close(fi)
        os.close(fo)
    return done


def test_copy_file_range(any_mnt):
    m = any_mnt
    data = os.urandom(24 * MiB + 123)
    (m.path / "src").write_bytes(data)
    s0 = stats(m)
    assert copy_range(m.path / "src", m.path / "dst", len(data) + MiB) == len(data)
    s1 = stats(m)
    assert (m.path / "dst").read_bytes() == data
    assert (m.backing / "dst").read_bytes() == data
    sent = s1["connection.bytes_sent"] - s0["connection.bytes_sent"]
    if m.dialect == "smb1":
        assert sent >= len(data)  # the kernel read and wrote it
        return
    assert s1["bytes.copied_by_server"] - s0["bytes.copied_by_server"] == len(data)
    assert s1["bytes.written"] == s0["bytes.written"]
    assert sent < len(data) // 100
    # Two 16 MiB COPYCHUNK_WRITEs at once: Samba runs each as its own job, the client sends the second
    # before the first is answered (1 with smb2_copy.c's CC_INFLIGHT at 1).
    assert s1["copy.inflight_max"] > 1


def test_copy_into_cached_file(any_mnt):
    """Into the middle of a file whose pages the kernel holds, and from data just written (gathered under a
    Write lease): both are seen."""
    m = any_mnt
    a = os.urandom(3 * MiB)
    b = os.urandom(4 * MiB)
    (m.path / "b").write_bytes(b)
    fd = os.open(m.path / "b", os.O_RDWR)
    src = os.open(m.path / "a", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        assert os.pread(fd, 4 * MiB, 0) == b  # cached
        os.pwrite(src, a, 0)  # not yet on the server with a Write lease
        done = 0
        while done < 2 * MiB:
            done += os.copy_file_range(src, fd, 2 * MiB - done, MiB + done, 512 * 1024 + done)
        want = b[:512 * 1024] + a[MiB:3 * MiB] + b[512 * 1024 + 2 * MiB:]
        assert os.pread(fd, 5 * MiB, 0) == want
        assert os.fstat(fd).st_size == 4 * MiB
        # Past the source's end: nothing; growing the destination: its size follows.
        assert os.copy_file_range(src, fd, 100, 3 * MiB, 0) == 0
        assert os.copy_file_range(src, fd, 1000, 0, 4 * MiB - 10) == 1000
        assert os.fstat(fd).st_size == 4 * MiB + 990
        want = want[:4 * MiB - 10] + a[:1000]
    finally:
        os.close(src)
        os.close(fd)
    assert (m.path / "b").read_bytes() == want
    assert (m.backing / "b").read_bytes() == want


def sha(p):
    h = hashlib.sha256()
    with open(p, "rb") as f:
        while chunk := f.read(8 * MiB):
            h.update(chunk)
    return h.hexdigest()


@pytest.mark.heavy
@pytest.mark.timeout(600)
def test_cp_256mib(mount, server, tmp_path):
    """cp (coreutils 9: copy_file_range) of 256 MiB (SMBFUSE_COPY_MIB) within the share: under 1 % of it is
    sent. A benchmark line beside smbclient get + put (printed, not asserted)."""
    m = mount()
    size = int(os.environ.get("SMBFUSE_COPY_MIB", "256")) * MiB
    with open(m.backing / "big", "wb") as f:
        for _ in range(size // (8 * MiB)):
            f.write(os.urandom(8 * MiB))
    os.chown(m.backing / "big", server.uid, server.gid)
    s0 = stats(m)
    t0 = time.monotonic()
    subprocess.run(["cp", str(m.path / "big"), str(m.path / "copy")], check=True, timeout=300)
    t_cp = time.monotonic() - t0
    s1 = stats(m)
    sent = s1["connection.bytes_sent"] - s0["connection.bytes_sent"]
    assert sha(m.backing / "copy") == sha(m.backing / "big")
    assert s1["bytes.copied_by_server"] - s0["bytes.copied_by_server"] == size
    assert sent < size // 100, f"{sent} bytes sent for a {size}-byte copy"
    assert s1["copy.inflight_max"] > 1
    local = tmp_path / "via-smbclient"
    rel = f"{m.backing.name}"
    t0 = time.monotonic()
    server.smbclient("share", f'cd "{rel}"; get big "{local}"; put "{local}" copy2', timeout=300)
    t_smbclient = time.monotonic() - t0
    local.unlink()
    print(f"\nBENCH cp of {size // MiB} MiB within the share: smbfuse cp {t_cp:.2f} s ({sent} bytes sent), "
          f"smbclient get+put {t_smbclient:.2f} s, ratio {t_smbclient / t_cp:.1f}x")


def test_reflink_refused(any_mnt):
    """FICLONE (cp --reflink=always): FUSE has no clone operation, so the kernel answers EOPNOTSUPP; plain cp
    still copies."""
    m = any_mnt
    (m.path / "r").write_bytes(b"q" * 5000)
    r = subprocess.run(["cp", "--reflink=always", str(m.path / "r"), str(m.path / "r2")], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode != 0 and "not supported" in r.stderr
    subprocess.run(["cp", "--reflink=auto", str(m.path / "r"), str(m.path / "r3")], check=True, timeout=30)
    assert (m.backing / "r3").read_bytes() == b"q" * 5000
