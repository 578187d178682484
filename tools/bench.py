#!/usr/bin/python3
"""smbfuse benchmark (not a test): one private Samba server on 127.0.0.1, and in one run

  * sequential write and read of a 1 GiB file through smbfuse, and Samba's own smbclient put/get of
    the same file on the same server (a write is done when close() returns, that is when the server has
    acknowledged every WRITE, as for put; smbfuse's write is also measured with fsync);
  * `ls -l` of a directory of 2,000 files through a fresh smbfuse mount (cold), and smbclient's `ls`
    of the same directory, and the same `ls -l` cold and warm on a local directory of the same files;
  * `stat` of the 2,000 files named on its command line and `cat` of 500 files of 4 KiB named on its
    command line, each on a fresh mount, next to the same commands on a warm local directory;

printed side by side with ratios. Page caches are dropped before every read and listing when running as
root (echo 3 > /proc/sys/vm/drop_caches); every write goes to a fresh file name.

  tools/bench.py [--size-mib 1024] [--files 2000] [--binary PATH]

$BENCH_OPTS adds mount options to every smbfuse mount (for example BENCH_OPTS=vers=3.1.1,cache=none).

The smbfuse binary defaults to build/src/smbfuse (a release build: tools/demo.sh or meson setup build
--buildtype=release); $SMBFUSE_BIN overrides it. Without the binary the smbclient half still runs and
the smbfuse column reads "not built".
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "integration"))
import smbfixture as sf  # noqa: E402

MiB = 1 << 20


def drop_caches():
    os.sync()
    try:
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
        return True
    except OSError:
        return False


def warm_server(path):
    """Drop every page cache, then read the server's backing file (or stat a directory's entries) from
    disk locally. Client and server share one machine here, so dropping caches also empties the server's:
    without this step both columns measure this machine's disk, not SMB. With it, each client starts
    cold (nothing of the file in its own cache: a fresh smbfuse mount, a fresh smbclient process) against
    a warm server, as with a file server that has the file in memory."""
    drop_caches()
    if path.is_dir():
        for e in os.scandir(path):
            e.stat()
    else:
        read_file(path)


def requests_sent(m):
    """requests.total of a mount's counters (smbfuse --stats)."""
    out = subprocess.run([str(m.binary), "--stats", str(m.mountpoint)], capture_output=True, text=True,
                         check=True, timeout=10).stdout
    return int(dict(line.split() for line in out.splitlines())["requests.total"])


def counters(m):
    """A mount's counters (user.smbfuse.stats of its root)."""
    raw = os.getxattr(m.mountpoint, "user.smbfuse.stats").decode()
    return {k: int(v) for k, v in (line.split() for line in raw.splitlines())}


def private_server(prefix):
    """A Samba (not started yet) in a new world-readable temporary directory: (server, that directory)."""
    base = Path(tempfile.mkdtemp(prefix=prefix))
    base.chmod(0o755)
    (base / "srv").mkdir()
    (base / "srv").chmod(0o755)
    return sf.SambaServer(base / "srv"), base


def pass_args(doc, default_mib=1024, **extra):
    """The interleaved benchmarks' arguments (--size-mib, --passes, --binary), and extra ones: name=kwargs."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size-mib", type=int, default=default_mib)
    ap.add_argument("--passes", type=int, default=5)
    ap.add_argument("--binary", default=os.environ.get("SMBFUSE_BIN", "build/src/smbfuse"))
    for name, kw in extra.items():
        ap.add_argument("--" + name, **kw)
    return ap.parse_args()


def teardown(server, mounts, base):
    """Unmount every (name, mount) of mounts, stop server, remove base (private_server's directory)."""
    for _, m in mounts:
        m.unmount()
    server.stop()
    shutil.rmtree(base, ignore_errors=True)


def timed(fn):
    t0 = time.monotonic()
    fn()
    return time.monotonic() - t0


def copy_file(src, dst, chunk=4 * MiB, fsync=False):
    """Done when close() returns: on smbfuse every WRITE has then been acknowledged by the server, which is
    what smbclient's put waits for too (neither flushes the server's disk). fsync adds SMB2 FLUSH."""
    with open(src, "rb", buffering=0) as i, open(dst, "wb", buffering=0) as o:
        while True:
            b = i.read(chunk)
            if not b:
                break
            o.write(b)
        if fsync:
            os.fsync(o.fileno())


def read_file(path, chunk=4 * MiB):
    n = 0
    with open(path, "rb", buffering=0) as f:
        while True:
            b = f.read(chunk)
            if not b:
                return n
            n += len(b)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size-mib", type=int, default=1024)
    ap.add_argument("--files", type=int, default=2000)
    ap.add_argument("--binary", default=None)
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = ap.parse_args()

    if os.geteuid() != 0:
        sys.exit("bench: run as root (smbd switches to the test user; dropping caches needs root)")
    binary = Path(args.binary) if args.binary else sf.smbfuse_binary()
    have_fuse = binary.is_file() and os.access(binary, os.X_OK)
    if not have_fuse:
        print(f"bench: smbfuse binary not built ({binary}); measuring smbclient only", flush=True)

    base = Path(tempfile.mkdtemp(prefix="smbfuse-bench-"))
    base.chmod(0o755)
    server = sf.SambaServer(base / "srv")
    (base / "srv").mkdir()
    (base / "srv").chmod(0o755)
    mounts = []
    results = {}
    reqs = {}
    connect_only = 0.0
    size = args.size_mib * MiB
    can_drop = drop_caches()
    if not can_drop:
        print("bench: cannot drop page caches; read figures may come from memory", flush=True)

    def mount():
        m = sf.Mount(server, base / f"mnt{len(mounts)}", binary=binary, workdir=base,
                     opts=dict(o.split("=", 1) for o in os.environ.get("BENCH_OPTS", "").split(",") if o))
        mounts.append(m)
        m.start()
        return m

    def unmount(m):
        rc = m.unmount()
        if rc != 0:
            raise RuntimeError(f"smbfuse exited {rc}: {m.stderr()[-2000:]}")

    try:
        server.start()
        share = server.backing
        src = base / "source.bin"
        print(f"bench: writing a {args.size_mib} MiB source file", flush=True)
        with open(src, "wb") as f:
            block = os.urandom(16 * MiB)
            for i in range(size // len(block)):
                f.write(block[:8] + i.to_bytes(8, "little") + block[16:])
            f.write(os.urandom(size % len(block)))

        # --- smbclient ---------------------------------------------------------------------------
        connect_only = timed(lambda: server.smbclient("share", "pwd"))
        name = f"smbclient-{uuid.uuid4().hex}.bin"
        drop_caches()
        results[("write", "smbclient")] = timed(
            lambda: server.smbclient("share", f"put {src} {name}", timeout=3600))
        warm_server(share / name)
        results[("read", "smbclient")] = timed(
            lambda: server.smbclient("share", f"get {name} /dev/null", timeout=3600))

        listing = share / "dir2000"
        listing.mkdir()
        os.chown(listing, server.uid, server.gid)
        for i in range(args.files):
            p = listing / f"file-{i:05d}.txt"
            p.write_bytes(b"x" * (i % 500))
            os.chown(p, server.uid, server.gid)
        warm_server(listing)
        out = []
        results[("ls", "smbclient")] = timed(
            lambda: out.append(server.smbclient("share", "ls dir2000/*", timeout=600).stdout))
        assert out[0].count("file-") == args.files, "smbclient did not list every file"

        # --- a local directory: the peer for the metadata rows ------------------------------------
        local = base / "local" / "dir2000"
        local.mkdir(parents=True)
        for i in range(args.files):
            (local / f"file-{i:05d}.txt").write_bytes(b"x" * (i % 500))
        drop_caches()
        for kind in ("ls", "ls_warm"):
            results[(kind, "local")] = timed(lambda: subprocess.run(
                ["ls", "-l", str(local)], capture_output=True, check=True, timeout=600))
        results[("stat", "local")] = timed(lambda: subprocess.run(
            ["stat", *[f"file-{i:05d}.txt" for i in range(args.files)]], cwd=local, stdout=subprocess.DEVNULL,
            check=True, timeout=600))
        # 500 files of 4 KiB, on the share and locally; the local peer is warm (page cache), as issue 16
        # measures it: a network file system at its best cannot beat that.
        smalls = share / "small500"
        lsmall = base / "local" / "small500"
        for d in (smalls, lsmall):
            d.mkdir()
            for i in range(500):
                (d / f"s{i:03d}").write_bytes(os.urandom(4096))
        for p in [smalls, *smalls.iterdir()]:
            os.chown(p, server.uid, server.gid)
        lnames = [str(lsmall / f"s{i:03d}") for i in range(500)]
        subprocess.run(["cat", *lnames], stdout=subprocess.DEVNULL, check=True)
        results[("cat500", "local")] = timed(lambda: subprocess.run(
            ["cat", *lnames], stdout=subprocess.DEVNULL, check=True, timeout=600))

        # --- smbfuse -----------------------------------------------------------------------------
        if have_fuse:
            name = f"smbfuse-{uuid.uuid4().hex}.bin"
            m = mount()
            drop_caches()
            results[("write", "smbfuse")] = timed(lambda: copy_file(src, m.mountpoint / name))
            if os.path.getsize(share / name) != size:
                raise RuntimeError("smbfuse wrote a file of the wrong size")
            name2 = f"smbfuse-{uuid.uuid4().hex}.bin"
            results[("write_fsync", "smbfuse")] = timed(lambda: copy_file(src, m.mountpoint / name2, fsync=True))
            unmount(m)
            os.unlink(share / name2)
            m = mount()  # fresh mount: nothing in FUSE's page cache
            warm_server(share / name)
            n = []
            results[("read", "smbfuse")] = timed(lambda: n.append(read_file(m.mountpoint / name)))
            if n[0] != size:
                raise RuntimeError(f"smbfuse read {n[0]} bytes, expected {size}")
            unmount(m)
            m = mount()
            warm_server(listing)
            ls = []
            r0 = requests_sent(m)
            results[("ls", "smbfuse")] = timed(lambda: ls.append(subprocess.run(
                ["ls", "-l", str(m.mountpoint / "dir2000")], capture_output=True, text=True,
                check=True, timeout=600).stdout))
            if ls[0].count("file-") != args.files:
                raise RuntimeError("ls -l through smbfuse did not list every file")
            reqs["ls"] = requests_sent(m) - r0
            # Warm: the same listing again on the same mount (notify watch holds), page cache not dropped.
            r0 = requests_sent(m)
            results[("ls_warm", "smbfuse")] = timed(lambda: subprocess.run(
                ["ls", "-l", str(m.mountpoint / "dir2000")], capture_output=True, check=True, timeout=600))
            reqs["ls_warm"] = requests_sent(m) - r0
            # Repeated read of a 64 MiB file: cold, then again under the read lease.
            small = share / "reread.bin"
            small.write_bytes(os.urandom(64 * MiB))
            os.chown(small, server.uid, server.gid)
            for kind in ("read_cold", "read_warm"):
                r0 = requests_sent(m)
                results[(kind, "smbfuse")] = timed(lambda: read_file(m.mountpoint / "reread.bin"))
                reqs[kind] = requests_sent(m) - r0
            unmount(m)
            # Stats by name: one stat of the 2,000 files named on its command line, on a fresh mount.
            m = mount()
            warm_server(listing)
            snames = [f"file-{i:05d}.txt" for i in range(args.files)]
            r0 = requests_sent(m)
            results[("stat", "smbfuse")] = timed(lambda: subprocess.run(
                ["stat", *snames], cwd=m.mountpoint / "dir2000", stdout=subprocess.DEVNULL, check=True,
                timeout=600))
            reqs["stat"] = requests_sent(m) - r0
            unmount(m)
            # Small files: one cat of 500 files of 4 KiB named on its command line, on a fresh mount.
            m = mount()
            warm_server(smalls)
            names = [str(m.mountpoint / "small500" / f"s{i:03d}") for i in range(500)]
            r0 = requests_sent(m)
            results[("cat500", "smbfuse")] = timed(lambda: subprocess.run(
                ["cat", *names], stdout=subprocess.DEVNULL, check=True, timeout=600))
            reqs["cat500"] = requests_sent(m) - r0
            unmount(m)
            for m in mounts:
                if m.sanitizer_reports():
                    print("bench: sanitizer report in smbfuse's stderr:\n" + m.stderr()[-4000:])
    finally:
        for m in mounts:
            m.kill()
        server.stop()
        if args.keep:
            print(f"bench: kept {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)

    # --- report -------------------------------------------------------------------------------------
    mb = size / 1e6

    def cell(kind, who):
        t = results.get((kind, who))
        if t is None:
            return "not built"
        return f"{t:8.2f} s" if kind == "ls" else f"{mb / t:8.1f} MB/s"

    def ratio(kind):
        a, b = results.get((kind, "smbfuse")), results.get((kind, "smbclient"))
        return f"{b / a:6.2f}x" if a and b else "-"

    print()
    print(f"Samba {subprocess.run(['smbd', '-V'], capture_output=True, text=True).stdout.strip()} on "
          f"127.0.0.1, {os.cpu_count()} CPUs, client caches cold and server file warm: "
          f"{'yes' if can_drop else 'no (cannot drop caches)'}")
    print(f"{'':34}{'smbfuse':>16}{'smbclient':>16}{'smbfuse vs smbclient':>24}")
    rows = [("write", f"sequential write {args.size_mib} MiB"), ("read", f"sequential read {args.size_mib} MiB"),
            ("ls", f"ls -l of {args.files} files (cold)")]
    for kind, label in rows:
        print(f"{label:34}{cell(kind, 'smbfuse'):>16}{cell(kind, 'smbclient'):>16}{ratio(kind):>24}")
        if kind == "write" and ("write_fsync", "smbfuse") in results:
            print(f"{'  the same, then fsync':34}{cell('write_fsync', 'smbfuse'):>16}{'(no flush)':>16}"
                  f"{'-':>24}")
    print(f"(ratio > 1: smbfuse is faster; smbclient times include its start, connect and logon, "
          f"{connect_only:.2f} s alone here)")
    if ("ls_warm", "smbfuse") in results:
        print()
        print("smbfuse caches (same mount, one run)          time     SMB requests   local disk   smbfuse/local")
        for kind, label in (("ls", f"ls -l of {args.files} files, cold"),
                            ("ls_warm", f"ls -l of {args.files} files, warm"),
                            ("read_cold", "read 64 MiB, cold"), ("read_warm", "read 64 MiB again (lease)"),
                            ("stat", f"stat of {args.files} names, cold (local warm)"),
                            ("cat500", "cat of 500 x 4 KiB, cold (local warm)")):
            n = reqs.get(kind, "-")
            t, lt = results[(kind, "smbfuse")], results.get((kind, "local"))
            peer = f"{lt:10.3f} s{t / lt:14.2f}x" if lt else f"{'-':>12}{'-':>15}"
            print(f"{label:42}{t:8.3f} s{n:>12}   {peer}")
    return 0 if have_fuse else 1


if __name__ == "__main__":
    sys.exit(main())
