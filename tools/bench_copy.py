#!/usr/bin/python3
"""Server-side copy, interleaved (not a test): one private Samba on 127.0.0.1, one file of --size-mib, and
two mounts, of --binary and of --base (another build, e.g. of the commit before a change); in each of
--passes rounds each runs `cp` of the file within the share (copy_file_range: FSCTL_SRV_COPYCHUNK_WRITE),
back to back, so a load change on a shared machine hits both alike (who goes first alternates). The medians, the per-round ratio
and each mount's copy.inflight_max (0 for a build without that counter) are printed.

  tools/bench_copy.py --base OTHER/build/src/smbfuse [--size-mib 1024] [--passes 5] [--binary PATH]
"""
import os
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402
from bench import MiB, counters, sf  # noqa: E402


def source(server, size):
    """The file copied: size random bytes in the share's root, the server's user's."""
    f = server.backing / "big.bin"
    with open(f, "wb") as o:
        for _ in range(size // (16 * MiB)):
            o.write(os.urandom(16 * MiB))
    os.chown(f, server.uid, server.gid)


def report(args, secs, inflight):
    size = args.size_mib * MiB
    ratios = [b / a for a, b in zip(secs["binary"], secs["base"])]
    print(f"\nmedian of {args.passes} passes, cp of {args.size_mib} MiB within the share:")
    print("\n".join(f"  {k:7s} {statistics.median(v):7.2f} s ({size / statistics.median(v) / 1e6:.0f} MB/s), "
                    f"copy.inflight_max {inflight[k]}" for k, v in secs.items()))
    print(f"  base/binary per pass: median {statistics.median(ratios):.2f}x, "
          f"range {min(ratios):.2f}-{max(ratios):.2f}x")


def main():
    args = bench.pass_args(__doc__, base={"required": True})
    size = args.size_mib * MiB
    server, base = bench.private_server("smbfuse-bench-copy-")
    mounts = []
    try:
        server.start()
        source(server, size)
        for name, b in (("binary", args.binary), ("base", args.base)):
            m = sf.Mount(server, base / f"mnt{len(mounts)}", binary=Path(b).resolve(), workdir=base)
            m.start()
            mounts.append((name, m))
        secs = {name: [] for name, _ in mounts}
        for p in range(args.passes):
            for name, m in (mounts if p % 2 == 0 else mounts[::-1]):  # who goes first alternates
                dst = m.mountpoint / f"copy-{name}"
                t = bench.timed(lambda: subprocess.run(["cp", str(m.mountpoint / "big.bin"), str(dst)],
                                                       check=True, timeout=3600))
                if os.path.getsize(server.backing / dst.name) != size:
                    sys.exit(f"{name}: the copy is not {size} bytes")
                os.unlink(dst)
                secs[name].append(t)
            load = open("/proc/loadavg").read().split()[0]
            print(f"pass {p + 1}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in secs.items()) +
                  f", base/binary {secs['base'][-1] / secs['binary'][-1]:.2f}x (load {load})", flush=True)
        inflight = {name: counters(m).get("copy.inflight_max", 0) for name, m in mounts}
    finally:
        bench.teardown(server, mounts, base)
    report(args, secs, inflight)


if __name__ == "__main__":
    main()
