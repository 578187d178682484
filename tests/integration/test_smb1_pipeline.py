"""SMB1 large I/O with several READ_ANDX / WRITE_ANDX in flight at once (src/proto/smb1_io.c, io_pipelined),
seen on the wire: tshark captures the test's smbd port on loopback, and the test counts, in wire order, how
many requests of each command were outstanding (sent, not yet answered, by MID) at most.

Signed mounts carry reads in 60 KiB pieces as well as writes, so a 1 MiB FUSE request is 17 pieces.
"""
import os
import threading
import time

import pytest


pytestmark = pytest.mark.timeout(180)

NT1 = {"server min protocol": "NT1", "server max protocol": "NT1"}
READ_ANDX, WRITE_ANDX = 0x2E, 0x2F


@pytest.mark.parametrize("signed", [False, True], ids=["plain", "signed"])
def test_large_io_keeps_several_requests_in_flight(mount, samba_server, capture, signed):
    srv = samba_server(**NT1, **({"server signing": "mandatory"} if signed else {}))
    m = mount(srv=srv, opts={"vers": "1.0"})
    data = os.urandom(8 << 20)
    cap = capture(srv.port)
    try:
        with open(m.path / "big", "wb") as f:
            for i in range(0, len(data), 1 << 20):
                f.write(data[i:i + (1 << 20)])
        # Read through a fresh open with O_DIRECT-free reads: FUSE asks in up to 1 MiB requests.
        (m.path / "big").stat()
        fd = os.open(m.path / "big", os.O_RDONLY)
        try:
            back = b"".join(iter(lambda: os.read(fd, 1 << 20), b""))
        finally:
            os.close(fd)
    finally:
        cap.stop()
    assert back == data
    assert (m.backing / "big").read_bytes() == data
    most, reqs, rsps = cap.max_outstanding(WRITE_ANDX)
    # 60 KiB pieces, 144 for 8 MiB in 1 MiB writes; the capture may miss some at loopback speed, so only most
    # of them are required to be seen. More than one at a time, and never over MaxMpxCount (50).
    assert reqs >= 100, (most, reqs, rsps)
    assert 2 <= most <= 50, (most, reqs, rsps)
    if signed:
        most, reqs, rsps = cap.max_outstanding(READ_ANDX)
        assert reqs >= 1 and 2 <= most <= 50, (most, reqs, rsps)


def test_concurrent_large_io_shares_the_slots(mount, samba_server):
    """Several threads' pieces compete for MaxMpxCount (50) slots: 6 signed 1 MiB streams at once want 108.
    A slot frees when its answer arrives, so no thread blocks another for good: all finish, well within the
    60 s request deadline that a stall would run into, with the right bytes."""
    srv = samba_server(**NT1, **{"server signing": "mandatory"})
    m = mount(srv=srv, opts={"vers": "1.0"})
    blobs = [os.urandom(6 << 20) for _ in range(6)]
    errors = []

    def stream(i):
        try:
            with open(m.path / f"s{i}", "wb") as f:
                for k in range(0, len(blobs[i]), 1 << 20):
                    f.write(blobs[i][k:k + (1 << 20)])
            fd = os.open(m.path / f"s{i}", os.O_RDONLY)
            try:
                back = b"".join(iter(lambda: os.read(fd, 1 << 20), b""))
            finally:
                os.close(fd)
            if back != blobs[i]:
                errors.append(f"stream {i}: read back differs")
        except OSError as e:
            errors.append(f"stream {i}: {e}")

    t0 = time.monotonic()
    threads = [threading.Thread(target=stream, args=(i,)) for i in range(len(blobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=150)
    assert not any(t.is_alive() for t in threads), "a stream is stuck"
    assert not errors, errors
    assert time.monotonic() - t0 < 45
    for i, b in enumerate(blobs):
        assert (m.backing / f"s{i}").read_bytes() == b
