#!/usr/bin/python3
"""Sequential write through each smbfuse binary given, interleaved: every pass mounts each binary in turn
on one private Samba and copies a SIZE MiB file (4 MiB writes, unbuffered) to the share, then prints
MB/s, the daemon's CPU seconds, the machine's busy CPU seconds, the five processes that used the most
CPU, and the WRITE counters of smbfuse --stats (the first binary's --stats is asked). The binaries' order
alternates from pass to pass; at the end, each binary's median and its per-pass ratios to the first's.

  tools/bench_write.py BIN1 [BIN2 ...]
  env: SIZE (MiB, 512), PASSES (3), DROP=1 (sync and drop page caches before each write, as bench.py;
       root), OPTS (mount options a=b,c), SMBCLIENT=1 (smbclient put of the same file first in
       each pass, as the peer), PERF=1 (perf record of the daemon into /tmp), SHOWSTATS=1."""
import os, sys, subprocess, tempfile, time, json, statistics
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "integration"))
import smbfixture as sf
MB = int(os.environ.get("SIZE", "512")); PASSES = int(os.environ.get("PASSES", "3"))
base = Path(tempfile.mkdtemp(prefix="wrb-", dir=None)); base.chmod(0o755)
server = sf.SambaServer(base / "srv"); server.start()
opts = dict(o.split("=", 1) if "=" in o else (o, None) for o in os.environ.get("OPTS", "").split(",") if o)
src = base / "src"
with open(src, "wb") as f:
    blk = os.urandom(16 << 20)
    for i in range(MB // 16): f.write(blk[:8] + i.to_bytes(8, "little") + blk[16:])
res = {b: [] for b in sys.argv[1:]}; cpus = {}; peer = []
def drop():
    if os.environ.get("DROP"):
        os.sync(); open("/proc/sys/vm/drop_caches", "w").write("3\n")
def cpu(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
def busy():
    f = [int(x) for x in open("/proc/stat").readline().split()[1:]]
    return (sum(f) - f[3] - f[4]) / os.sysconf("SC_CLK_TCK")
def procs():
    d = {}
    for p in os.listdir("/proc"):
        if not p.isdigit(): continue
        try:
            t = open(f"/proc/{p}/stat").read()
        except OSError: continue
        comm = t[t.index("(")+1:t.rindex(")")]; f = t.rsplit(")", 1)[1].split()
        d[(p, comm)] = (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
    return d
def top(a, b):
    dd = sorted(((v - a.get(k, 0), k[1]) for k, v in b.items()), reverse=True)[:5]
    return " ".join(f"{c}:{v:.2f}" for v, c in dd if v > 0.02)
def stats(mp):
    out = subprocess.run([sys.argv[1], "--stats", str(mp)], capture_output=True, text=True).stdout
    d = {}
    for l in out.splitlines():
        p = l.split()
        if len(p) >= 2 and p[-1].isdigit(): d[p[0].rstrip(":")] = int(p[-1])
    return d, out
try:
  for ps in range(PASSES):
    if os.environ.get("SMBCLIENT"):
        drop()
        t0 = time.monotonic()
        server.smbclient("share", f"put {src} peer.bin", timeout=3600)
        peer.append(MB * 1.048576 / (time.monotonic() - t0))
        (server.backing / "peer.bin").unlink()
        print(f"pass {ps} smbclient put: {peer[-1]:.0f} MB/s", flush=True)
    for b in (sys.argv[1:] if ps % 2 == 0 else sys.argv[:0:-1]):
        m = sf.Mount(server, base / "mnt", binary=b, workdir=base, opts=opts); m.start()
        s0, _ = stats(m.mountpoint)
        drop()
        c0 = cpu(m.proc.pid); b0 = busy(); p0 = procs()
        perf = None
        if os.environ.get("PERF"):
            tag = b.replace("/", "_")
            perf = subprocess.Popen(["perf", "record", "-q", "-e", "cpu-clock", "-F", "2000", "-g", "-p", str(m.proc.pid),
                                     "-o", f"/tmp/perf-{tag}-{ps}.data"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(0.5)
        t0 = time.monotonic()
        with open(src, "rb", buffering=0) as s, open(Path(m.mountpoint) / f"w", "wb", buffering=0) as d:
            while True:
                c = s.read(4 << 20)
                if not c: break
                d.write(c)
        dt = time.monotonic() - t0
        dc = cpu(m.proc.pid) - c0; db = busy() - b0; tp = top(p0, procs())
        if perf:
            perf.send_signal(2); perf.wait()
        s1, txt = stats(m.mountpoint)
        diff = {k: s1[k] - s0.get(k, 0) for k in s1 if s1[k] != s0.get(k, 0)}
        res[b].append(MB * 1.048576 / dt); cpus.setdefault(b, []).append(dc)
        print(f"pass {ps} {b}: {MB*1.048576/dt:.0f} MB/s load {os.getloadavg()[0]:.2f} daemon {dc:.2f}s sys-busy {db:.2f}s [{tp}] "
              + " ".join(f"{k}={v}" for k, v in diff.items() if "write" in k.lower() or "WRITE" in k or "inflight" in k),
              flush=True)
        if os.environ.get("SHOWSTATS"): print(txt)
        os.unlink(Path(m.mountpoint) / "w")
        m.unmount()
  if peer:
    print(f"smbclient put: median {statistics.median(peer):.0f} MB/s range {min(peer):.0f}-{max(peer):.0f}")
  first = res[sys.argv[1]]
  for b, v in res.items():
    ratio = statistics.median(x / y for x, y in zip(v, first))
    print(f"{b}: median {statistics.median(v):.0f} MB/s range {min(v):.0f}-{max(v):.0f}  daemon cpu median "
          f"{statistics.median(cpus[b]):.2f}s  per-pass ratio to the first, median {ratio:.2f}x"
          + (f", to smbclient {statistics.median(x / y for x, y in zip(v, peer)):.2f}x" if peer else ""))
finally:
    server.stop()
