#!/usr/bin/python3
"""Sequential read, interleaved (not a test): one private Samba on 127.0.0.1, one file of --size-mib,
and in each of --passes rounds, in this order: smbclient `get`, smbfuse with read-ahead off (rasize=0),
smbfuse with read-ahead (rasize= of $RA, default 4194304), each cold against a warm server as in
tools/bench.py (page caches dropped, the server's copy re-read locally). Each round runs the three back to
back, so a load change on a shared machine hits them alike; the medians and the per-round ratios are
printed with the load average. Every smbfuse read is a fresh open of a mount made before the clock
starts, as in bench.py; its counters (read.inflight_max, readahead.hits) and the daemon's peak and final
RSS (VmHWM, VmRSS) are printed too.

  tools/bench_read.py [--size-mib 1024] [--passes 5] [--binary PATH]
"""
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402
from bench import MiB, counters, sf  # noqa: E402


def main():
    args = bench.pass_args(__doc__)
    binary = Path(args.binary).resolve()
    size = args.size_mib * MiB
    server, base = bench.private_server("smbfuse-bench-read-")
    mounts = []
    try:
        server.start()
        f = server.backing / "big.bin"
        with open(f, "wb") as o:
            block = os.urandom(16 * MiB)
            for i in range(size // len(block)):
                o.write(block[:8] + i.to_bytes(8, "little") + block[16:])
        os.chown(f, server.uid, server.gid)
        kinds = {"rasize=0": "0", "rasize=" + os.environ.get("RA", "4194304"): os.environ.get("RA", "4194304")}
        for name, v in kinds.items():
            m = sf.Mount(server, base / f"mnt{len(mounts)}", binary=binary, workdir=base, opts={"rasize": v})
            m.start()
            mounts.append((name, m))
        rates = {"smbclient": []} | {name: [] for name in kinds}
        for p in range(args.passes):
            bench.warm_server(f)
            t = bench.timed(lambda: server.smbclient("share", "get big.bin /dev/null", timeout=3600))
            rates["smbclient"].append(size / t / 1e6)
            for name, m in mounts:
                bench.warm_server(f)
                t = bench.timed(lambda: bench.read_file(m.mountpoint / "big.bin", chunk=1 * MiB))
                rates[name].append(size / t / 1e6)
            load = open("/proc/loadavg").read().split()[0]
            print(f"pass {p + 1}: " + ", ".join(f"{k} {v[-1]:.0f} MB/s" for k, v in rates.items()) +
                  f" (load {load})", flush=True)
        print(f"\nmedian of {args.passes} passes, {args.size_mib} MiB, cold client, warm server:")
        client = statistics.median(rates["smbclient"])
        for k, v in rates.items():
            print(f"  {k:16s} {statistics.median(v):8.0f} MB/s   {statistics.median(v) / client:5.2f}x smbclient")
        for name, m in mounts:
            c = counters(m)
            rss = [l.split()[1] for l in open(f"/proc/{m.proc.pid}/status") if l.startswith(("VmRSS", "VmHWM"))]
            print(f"  {name}: read.inflight_max {c['read.inflight_max']}, readahead.hits {c['readahead.hits']}, "
                  f"daemon peak RSS {int(rss[0]) // 1024} MiB, RSS after {args.passes} reads {int(rss[1]) // 1024} MiB")
    finally:
        bench.teardown(server, mounts, base)


if __name__ == "__main__":
    main()
