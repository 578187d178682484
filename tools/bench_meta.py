#!/usr/bin/python3
"""smbfuse benchmark (not a test): one metadata workload on a fresh mount of a private Samba on 127.0.0.1,
timed, with the SMB requests and FUSE requests it cost by kind (the mount's own counters).

  tools/bench_meta.py BINARY untar|untar-owner|touch|touch-cold|rm|find [--files 300]

untar: `tar -x --no-same-owner` of --files small files in 3 directories (what tools/bench.py times);
untar-owner: the same as root keeping owners and modes (fchown and fchmod after each file's times, as
`tar -x` as root and `cp -p` do); touch: `touch` of --files new names in a listed directory; touch-cold:
the same in a directory made on the server and not listed (what tools/bench.py times); rm: `rm -rf`
of a directory of --files files; find: `find` over --files files in 50 directories made on the server
(what tools/bench.py times, cold); --samba422 for directory leases. $OPTS adds mount options (for example OPTS=cache=none,vers=1.0),
$SMB_CONF [global] parameters of the server ("case sensitive=yes;strict sync=no").
--fresh-fs puts everything on a new ext4 (a loop-mounted sparse image, gone afterwards): a directory on a
filesystem that has created and deleted millions of files (/tmp after the test suite) makes each new inode
cost the server a search for one not recently deleted (ext4's recently_deleted), 1.8 s of a local untar of
3,000 files against 0.1 s on a fresh one.
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


def descendants(pid):
    """pid and every process below it (the smbd that serves the mount is a child of the server's)."""
    kids = {}
    for st in Path("/proc").glob("[0-9]*/stat"):
        try:
            f = st.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        kids.setdefault(int(f[1]), []).append(int(st.parent.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def cpu_seconds(pids):
    """User and system CPU seconds the processes pids have used so far (those still there)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in pids:
        try:
            f = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(f[11]) + int(f[12])
    return total / tick


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
    ap.add_argument("what", choices=["untar", "untar-owner", "touch", "touch-cold", "rm", "find"])
    ap.add_argument("--files", type=int, default=300)
    ap.add_argument("--samba422", action="store_true",
                    help="the Samba 4.22 chroot of tests/samba422/setup.sh (directory leases) instead of 4.17")
    ap.add_argument("--fresh-fs", action="store_true",
                    help="the share and the mount on a new ext4 (see above; with --samba422 the share stays in its chroot)")
    a = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench_meta: run as root (smbd switches to the test user)")
    fresh = fresh_fs() if a.fresh_fs else None
    try:
        run(a, fresh)
    finally:
        if fresh:
            subprocess.run(["umount", str(fresh)], check=False)
            shutil.rmtree(fresh.parent, ignore_errors=True)


def fresh_fs():
    """A new ext4 of 4 GiB (sparse) mounted on a temporary directory; returns the mount point."""
    top = Path(tempfile.mkdtemp(prefix="smbfuse-bench-fs-", dir="/var/tmp"))
    img, mp = top / "fs.img", top / "fs"
    mp.mkdir()
    subprocess.run(["truncate", "-s", "4G", str(img)], check=True)
    subprocess.run(["mkfs.ext4", "-q", "-F", str(img)], check=True)
    subprocess.run(["mount", "-o", "loop", str(img), str(mp)], check=True)
    mp.chmod(0o755)
    top.chmod(0o755)
    return mp


def run(a, fresh):
    base = Path(tempfile.mkdtemp(prefix="smbfuse-bench-meta-", dir=fresh))
    base.chmod(0o755)
    root = sf.samba422_root() if a.samba422 else None
    if a.samba422 and root is None:
        sys.exit(f"bench_meta: no Samba 4.22 chroot: run {sf.SAMBA422_SETUP}")
    # A chroot's server keeps its files in the chroot's /tmp, where its smbd sees them.
    srvdir = Path(tempfile.mkdtemp(prefix="smbfuse-bench-meta-", dir=Path(root) / "tmp")) if root else base / "srv"
    if root:
        srvdir.chmod(0o755)
    server = sf.SambaServer(srvdir, root=root, options=dict(o.split("=", 1) for o in os.environ.get("SMB_CONF", "").split(";") if o))
    server.start()
    opts = dict((o.split("=", 1) + [True])[:2] for o in os.environ.get("OPTS", "").split(",") if o)
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
        elif a.what == "touch-cold":
            (server.backing / "d").mkdir()
            os.chown(server.backing / "d", server.uid, server.gid)
            cmd = ["touch"] + [f"f{i}" for i in range(a.files)]
            mp = mp / "d"
        elif a.what == "find":
            for j in range(50):
                d = server.backing / "tree" / f"d{j}"
                d.mkdir(parents=True)
                for i in range(a.files // 50):
                    (d / f"f{i}").write_bytes(b"")
            subprocess.run(["chown", "-R", f"{server.uid}:{server.gid}", str(server.backing / "tree")], check=True)
            cmd = ["find", "tree"]
        else:
            d = server.backing / "r"
            d.mkdir()
            for i in range(a.files):
                (d / f"f{i}").write_bytes(b"")
            subprocess.run(["chown", "-R", f"{server.uid}:{server.gid}", str(d)], check=True)
            cmd = ["rm", "-rf", "r"]
        c0 = counters(m)
        # Where the time goes: the CPU seconds of the daemon, of the server's processes, and of the command.
        srv = descendants(server.proc.pid)
        d0, s0, k0 = cpu_seconds([m.proc.pid]), cpu_seconds(srv), os.times()
        t0 = time.monotonic()
        subprocess.run(cmd, cwd=mp, check=True, stdout=subprocess.DEVNULL)
        dt = time.monotonic() - t0
        d1, s1, k1 = cpu_seconds([m.proc.pid]), cpu_seconds(srv), os.times()
        c1 = counters(m)
        print(f"{a.what} of {a.files} files: {dt:.3f} s")
        cmd_cpu = (k1.children_user - k0.children_user) + (k1.children_system - k0.children_system)
        print(f"  cpu: smbfuse {d1 - d0:.2f} s, smbd {s1 - s0:.2f} s, {cmd[0]} {cmd_cpu:.2f} s "
              f"(of {dt * os.cpu_count():.2f} s on {os.cpu_count()} CPUs)")
        for k in sorted(c1):
            if c1[k] != c0.get(k, 0) and k.split(".")[0] in ("requests", "fuse", "cache", "notify"):
                print(f"  {k} {c1[k] - c0.get(k, 0)}")
    finally:
        m.unmount()
        server.stop()
        shutil.rmtree(base, ignore_errors=True)
        if root:
            shutil.rmtree(srvdir, ignore_errors=True)


if __name__ == "__main__":
    main()
