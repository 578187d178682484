#!/usr/bin/python3
"""smbfuse benchmark (not a test): `touch` of N new empty files in one command, on one private Samba
server on 127.0.0.1, through each smbfuse binary given (for example main's and a branch's release
builds), into a directory listed before (watched) and one not; prints seconds, SMB requests per file
and the ratio to the first binary.

  tools/bench_touch.py [--files 2000] [--runs 3] BINARY [BINARY...]

$BENCH_OPTS adds mount options to every mount (for example BENCH_OPTS=vers=1.0 with a server that speaks
NT1: not set up here, so SMB2 and SMB3 dialects only).
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "integration"))
import smbfixture as sf  # noqa: E402


def counters(m):
    raw = os.getxattr(m.mountpoint, "user.smbfuse.stats").decode()
    return {k: int(v) for k, v in (line.split() for line in raw.splitlines())}


def one(server, base, binary, n, listed, tag):
    opts = dict(o.split("=", 1) for o in os.environ.get("BENCH_OPTS", "").split(",") if o)
    m = sf.Mount(server, base / f"mnt-{tag}", binary=binary, workdir=base, opts=opts)
    m.start()
    try:
        d = Path(m.mountpoint) / tag
        d.mkdir()
        os.listdir(d) if listed else os.stat(d)
        names = [f"f{i:05d}" for i in range(n)]
        r0 = counters(m)["requests.total"]
        t0 = time.monotonic()
        subprocess.run(["touch", *names], cwd=d, check=True)
        dt = time.monotonic() - t0
        reqs = (counters(m)["requests.total"] - r0) / n
        assert len(os.listdir(d)) == n
        return dt, reqs
    finally:
        if m.unmount() != 0:
            raise RuntimeError(f"smbfuse exited non-zero: {m.stderr()[-2000:]}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("binaries", nargs="+")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench_touch: run as root (smbd switches to the test user)")
    base = Path(tempfile.mkdtemp(prefix="smbfuse-bench-touch-"))
    base.chmod(0o755)
    server = sf.SambaServer(base / "srv")
    server.start()
    try:
        for listed in (True, False):
            best = {}
            for run in range(args.runs):  # interleaved, so that load falls on every binary alike
                for i, b in enumerate(args.binaries):
                    dt, reqs = one(server, base, Path(b), args.files, listed, f"b{i}r{run}{'l' if listed else 'u'}")
                    if i not in best or dt < best[i][0]:
                        best[i] = (dt, reqs)
            kind = "listed" if listed else "unlisted"
            for i, b in enumerate(args.binaries):
                dt, reqs = best[i]
                print(f"touch {args.files} new files ({kind} dir) {b}: {dt:.2f} s, {reqs:.2f} requests/file, "
                      f"x{dt / best[0][0]:.2f} of the first", flush=True)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
