"""I/O patterns: large sparse files, O_APPEND, random O_RDWR against a model, shared mmap, two processes."""
import mmap
import os
import random
import subprocess
import sys
import textwrap

import pytest

GiB = 1 << 30
MiB = 1 << 20


@pytest.mark.heavy
@pytest.mark.timeout(600)
def test_sparse_5gib_file_written_at_offset(mnt):
    size = 5 * GiB
    chunk = os.urandom(4 * MiB)
    off = size - len(chunk)
    mid = 4 * GiB + 12345  # past 4 GiB: 64-bit offsets on the wire
    with open(mnt.path / "sparse.img", "wb") as f:
        f.seek(mid)
        f.write(b"MIDDLE")
        f.seek(off)
        f.write(chunk)
    st = os.stat(mnt.backing / "sparse.img")
    assert st.st_size == size
    assert st.st_blocks * 512 < 64 * MiB, f"backing file is not sparse: {st.st_blocks} blocks"
    assert os.stat(mnt.path / "sparse.img").st_size == size
    with open(mnt.path / "sparse.img", "rb") as f:
        f.seek(off)
        assert f.read() == chunk
        f.seek(mid)
        assert f.read(6) == b"MIDDLE"
        f.seek(0)
        assert f.read(MiB) == b"\0" * MiB
        f.seek(2 * GiB + 77)
        assert f.read(MiB) == b"\0" * MiB
    with open(mnt.backing / "sparse.img", "rb") as f:
        f.seek(off)
        assert f.read() == chunk


def test_o_append_to_existing_file(mnt):
    mnt.disk_write("app.log", b"line0\n")
    fd = os.open(mnt.path / "app.log", os.O_WRONLY | os.O_APPEND)
    try:
        os.write(fd, b"line1\n")
        os.lseek(fd, 0, os.SEEK_SET)  # O_APPEND ignores the file position
        os.write(fd, b"line2\n")
    finally:
        os.close(fd)
    assert (mnt.backing / "app.log").read_bytes() == b"line0\nline1\nline2\n"


def test_o_append_two_writers(mnt):
    p = mnt.path / "shared.log"
    p.write_bytes(b"")
    a = os.open(p, os.O_WRONLY | os.O_APPEND)
    b = os.open(p, os.O_WRONLY | os.O_APPEND)
    try:
        for i in range(20):
            os.write(a if i % 2 else b, b"%02d\n" % i)
    finally:
        os.close(a)
        os.close(b)
    assert (mnt.backing / "shared.log").read_bytes() == b"".join(b"%02d\n" % i for i in range(20))


def test_o_rdwr_random_against_model(mnt):
    rng = random.Random(20240601)
    p = mnt.path / "rw.bin"
    model = bytearray(os.urandom(300_000))
    p.write_bytes(model)
    fd = os.open(p, os.O_RDWR)
    try:
        for step in range(400):
            off = rng.randrange(0, 2 * MiB)
            n = rng.choice([1, 7, 512, 4096, 65536, 200_000])
            if rng.random() < 0.5:
                data = rng.randbytes(n)
                assert os.pwrite(fd, data, off) == n
                if off > len(model):
                    model.extend(b"\0" * (off - len(model)))
                model[off:off + n] = data
            else:
                got = os.pread(fd, n, off)
                assert got == bytes(model[off:off + n]), f"step {step}: read {n}@{off} differs"
            if step % 97 == 0:
                os.ftruncate(fd, len(model) // 2)
                del model[len(model) // 2:]
        assert os.fstat(fd).st_size == len(model)
    finally:
        os.close(fd)
    assert (mnt.backing / "rw.bin").read_bytes() == bytes(model)


def test_read_at_and_past_eof(mnt):
    mnt.disk_write("small", b"0123456789")
    fd = os.open(mnt.path / "small", os.O_RDONLY)
    try:
        assert os.pread(fd, 100, 5) == b"56789"
        assert os.pread(fd, 100, 10) == b""
        assert os.pread(fd, 100, 1 << 40) == b""
    finally:
        os.close(fd)


def test_writable_shared_mmap(mnt):
    p = mnt.path / "map.bin"
    p.write_bytes(b"\0" * (1 * MiB))
    with open(p, "r+b") as f:
        m = mmap.mmap(f.fileno(), 0, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        m[0:5] = b"hello"
        m[MiB - 5:MiB] = b"world"
        m[4096 * 7:4096 * 7 + 3] = b"mid"
        m.flush()
        m.close()
    data = (mnt.backing / "map.bin").read_bytes()
    assert data[:5] == b"hello" and data[-5:] == b"world" and data[4096 * 7:4096 * 7 + 3] == b"mid"
    assert len(data) == MiB


def test_mmap_read_of_disk_file(mnt):
    content = os.urandom(300_000)
    mnt.disk_write("m.bin", content)
    with open(mnt.path / "m.bin", "rb") as f:
        with mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ) as m:
            assert m[:] == content


def test_file_opened_by_two_processes(mnt):
    p = mnt.path / "two.txt"
    p.write_text("")
    child_code = textwrap.dedent("""
        import os, sys
        path = sys.argv[1]
        fd = os.open(path, os.O_RDWR)
        sys.stdout.write("ready\\n"); sys.stdout.flush()
        assert sys.stdin.readline() == "go\\n"
        data = os.pread(fd, 100, 0)
        os.pwrite(fd, b"child", 6)
        os.fsync(fd)
        sys.stdout.write(data.decode() + "\\n"); sys.stdout.flush()
        assert sys.stdin.readline() == "bye\\n"
        os.close(fd)
    """)
    fd = os.open(p, os.O_RDWR)
    try:
        child = subprocess.Popen([sys.executable, "-c", child_code, str(p)], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, text=True)
        try:
            assert child.stdout.readline() == "ready\n"  # both processes hold the file open
            os.pwrite(fd, b"parent", 0)
            os.fsync(fd)
            child.stdin.write("go\n")
            child.stdin.flush()
            assert child.stdout.readline() == "parent\n"
            assert os.pread(fd, 11, 0) in (b"parentchild", b"parent")
            child.stdin.write("bye\n")
            child.stdin.flush()
            assert child.wait(30) == 0
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
    finally:
        os.close(fd)
    assert (mnt.backing / "two.txt").read_bytes() == b"parentchild"
    assert p.read_bytes() == b"parentchild"


def test_read_while_another_process_writes_elsewhere(mnt):
    # Two processes with the same file open for writing at once must not get a sharing violation.
    p = mnt.path / "both.bin"
    p.write_bytes(b"\0" * 8192)
    code = ("import os,sys; fd=os.open(sys.argv[1], os.O_WRONLY); os.pwrite(fd, b'B'*4096, 4096); "
            "os.close(fd)")
    with open(p, "r+b") as f:
        f.write(b"A" * 4096)
        f.flush()
        subprocess.run([sys.executable, "-c", code, str(p)], check=True, timeout=60)
    assert (mnt.backing / "both.bin").read_bytes() == b"A" * 4096 + b"B" * 4096


@pytest.mark.heavy
@pytest.mark.timeout(600)
def test_large_sequential_copy(mnt, tmp_path):
    src = tmp_path / "big"
    with open(src, "wb") as f:
        for _ in range(64):
            f.write(os.urandom(MiB))
    subprocess.run(["cp", str(src), str(mnt.path / "big")], check=True, timeout=300)
    subprocess.run(["cmp", str(src), str(mnt.backing / "big")], check=True, timeout=300)
    subprocess.run(["cmp", str(src), str(mnt.path / "big")], check=True, timeout=300)


def test_rename_over_file_whose_close_is_pending(mnt):
    # The server refuses to replace an open file, and the daemon hears of a close only through the
    # kernel's asynchronous RELEASE: a rename right after the target's close must wait for it, not fail.
    import threading
    (mnt.path / "a").write_text("new")
    fd = os.open(mnt.path / "b", os.O_CREAT | os.O_WRONLY, 0o644)
    os.write(fd, b"old")
    closer = threading.Timer(0.3, os.close, [fd])
    closer.start()
    try:
        os.rename(mnt.path / "a", mnt.path / "b")
    finally:
        closer.join()
    assert (mnt.backing / "b").read_text() == "new"
    assert not (mnt.backing / "a").exists()
