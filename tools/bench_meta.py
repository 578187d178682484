#!/usr/bin/python3
"""smbfuse benchmark (not a test): one metadata workload on a fresh mount of a private Samba on 127.0.0.1,
timed, with the SMB requests and FUSE requests it cost by kind (the mount's own counters).

  tools/bench_meta.py BINARY untar|untar-owner|touch|rm [--files 300]

untar: `tar -x --no-same-owner` of --files small files in 3 directories (what tools/bench.py times);
untar-owner: the same as root keeping owners and modes (fchown and fchmod after each file's times, as
`tar -x` as root and `cp -p` do); touch: `touch` of --files new names in a listed directory; rm: `rm -rf`
of a directory of --files files; --samba422 for directory leases. $OPTS adds mount options (for example OPTS=cache=none,vers=1.0).
"""
import argparse
import io
import os
import shutil
import random
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "integration"))
import smbfixture as sf  # noqa: E402


def counters(m):
    raw = os.getxattr(m.mountpoint, "user.smbfuse.stats").decode()
    return {k: int(v) for k, v in (line.split() for line in raw.splitlines())}


def tarball(path, files):
    rng = random.Random(1)
    with tarfile.open(path, "w") as t:
        for d in range(3):
            info = tarfile.TarInfo(f"t{d}")
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, time.time()
            t.addfile(info)
            for i in range(files // 3):
                data = rng.randbytes(rng.randrange(4097))
                info = tarfile.TarInfo(f"t{d}/f{i:04d}")
                info.size, info.mode, info.mtime = len(data), 0o644, time.time()
                t.addfile(info, io.BytesIO(data))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("binary")
    ap.add_argument("what", choices=["untar", "untar-owner", "touch", "rm"])
    ap.add_argument("--files", type=int, default=300)
    ap.add_argument("--samba422", action="store_true",
                    help="the Samba 4.22 chroot of tests/samba422/setup.sh (directory leases) instead of 4.17")
    a = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench_meta: run as root (smbd switches to the test user)")
    base = Path(tempfile.mkdtemp(prefix="smbfuse-bench-meta-"))
    base.chmod(0o755)
    root = sf.samba422_root() if a.samba422 else None
    if a.samba422 and root is None:
        sys.exit(f"bench_meta: no Samba 4.22 chroot: run {sf.SAMBA422_SETUP}")
    # A chroot's server keeps its files in the chroot's /tmp, where its smbd sees them.
    srvdir = Path(tempfile.mkdtemp(prefix="smbfuse-bench-meta-", dir=Path(root) / "tmp")) if root else base / "srv"
    if root:
        srvdir.chmod(0o755)
    server = sf.SambaServer(srvdir, root=root)
    server.start()
    opts = dict(o.split("=", 1) for o in os.environ.get("OPTS", "").split(",") if o)
    m = sf.Mount(server, base / "mnt", binary=a.binary, workdir=base, opts=opts)
    m.start()
    mp = Path(m.mountpoint)
    try:
        if a.what.startswith("untar"):
            tarball(base / "t.tar", a.files)
            keep = [] if a.what == "untar-owner" else ["--no-same-owner"]
            cmd = ["tar", "-x", *keep, "-f", str(base / "t.tar")]
        elif a.what == "touch":
            (mp / "d").mkdir()
            os.listdir(mp / "d")
            cmd = ["touch"] + [f"d/f{i}" for i in range(a.files)]
        else:
            d = server.backing / "r"
            d.mkdir()
            for i in range(a.files):
                (d / f"f{i}").write_bytes(b"")
            subprocess.run(["chown", "-R", f"{server.uid}:{server.gid}", str(d)], check=True)
            cmd = ["rm", "-rf", "r"]
        c0 = counters(m)
        t0 = time.monotonic()
        subprocess.run(cmd, cwd=mp, check=True)
        dt = time.monotonic() - t0
        c1 = counters(m)
        print(f"{a.what} of {a.files} files: {dt:.3f} s")
        for k in sorted(c1):
            if c1[k] != c0.get(k, 0) and k.split(".")[0] in ("requests", "fuse", "cache"):
                print(f"  {k} {c1[k] - c0.get(k, 0)}")
    finally:
        m.unmount()
        server.stop()
        shutil.rmtree(base, ignore_errors=True)
        if root:
            shutil.rmtree(srvdir, ignore_errors=True)


if __name__ == "__main__":
    main()
