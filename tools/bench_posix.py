#!/usr/bin/python3
"""smbfuse benchmark (not a test): `ls -l` of a directory of --files empty files on Samba 4.22 (the chroot of
tests/samba422/setup.sh, `smb3 unix extensions = yes`), mounted with the SMB 3.1.1 POSIX extensions and
with `noposix`, interleaved pass by pass, each pass on fresh mounts: cold (the first `ls -l` of a new
mount) and warm (the same again), with the SMB requests each cost. Prints medians and the ratio
posix / noposix (issue 11: "no slower with POSIX extensions than without").

  tools/bench_posix.py BINARY [--files 2000] [--passes 5]
"""
import argparse
import os
import statistics
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


def requests(m):
    return sum(v for k, v in counters(m).items() if k.startswith("requests."))


def timed_ls(m, d):
    r0 = requests(m)
    t0 = time.monotonic()
    subprocess.run(["ls", "-l", str(d)], check=True, stdout=subprocess.DEVNULL)
    return time.monotonic() - t0, requests(m) - r0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("binary")
    ap.add_argument("--files", type=int, default=2000)
    ap.add_argument("--passes", type=int, default=5)
    a = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench_posix: run as root (smbd switches to the test user)")
    root = sf.samba422_root()
    if root is None:
        sys.exit(f"bench_posix: no Samba 4.22 chroot; run {sf.SAMBA422_SETUP} as root")
    base = Path(tempfile.mkdtemp(prefix="smbfuse-bench-posix-", dir=root / "tmp"))
    base.chmod(0o755)
    server = sf.SambaServer(base / "srv", {"smb3 unix extensions": "yes", "server min protocol": "SMB3_11"},
                            root=root)
    server.start()
    try:
        d = server.backing / "bench"
        d.mkdir()
        for i in range(a.files):
            (d / f"f{i:05d}").write_bytes(b"")
        subprocess.run(["chown", "-R", f"{server.uid}:{server.gid}", str(d)], check=True)
        res = {"posix": [], "noposix": []}
        for p in range(a.passes):
            for mode in ("posix", "noposix"):
                m = sf.Mount(server, base / f"mnt-{mode}", binary=a.binary, workdir=base, opts={mode: None})
                m.start()
                try:
                    cold = timed_ls(m, Path(m.mountpoint) / "bench")
                    f0 = counters(m)
                    warm = timed_ls(m, Path(m.mountpoint) / "bench")
                    if os.environ.get("BENCH_FUSE"):
                        f1 = counters(m)
                        print({k: f1[k] - f0.get(k, 0) for k in f1 if k.startswith("fuse") and f1[k] != f0.get(k, 0)})
                finally:
                    m.unmount()
                res[mode].append((cold, warm))
                print(f"pass {p + 1} {mode:8s} cold {cold[0]:.3f} s ({cold[1]} requests)  "
                      f"warm {warm[0]:.3f} s ({warm[1]} requests)", flush=True)
        med = {mode: (statistics.median(c[0] for c, _ in v), statistics.median(w[0] for _, w in v))
               for mode, v in res.items()}
        print(f"`ls -l` of {a.files} files, Samba {server.version()}, medians of {a.passes} passes:")
        for i, what in enumerate(("cold", "warm")):
            print(f"  {what}: posix {med['posix'][i]:.3f} s, noposix {med['noposix'][i]:.3f} s, "
                  f"ratio {med['posix'][i] / med['noposix'][i]:.2f}")
    finally:
        server.stop()
        subprocess.run(["rm", "-rf", str(base)])


if __name__ == "__main__":
    main()
