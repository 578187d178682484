#!/usr/bin/python3
"""smbfuse benchmark (not a test): one private Samba server on 127.0.0.1, and in each of --passes runs

  * sequential write and read of a 1 GiB file through smbfuse, and Samba's own smbclient put/get of
    the same file on the same server (a write is done when close() returns, that is when the server has
    acknowledged every WRITE, as for put; smbfuse's write is also measured with fsync);
  * `ls -l` of a directory of 2,000 files through a fresh smbfuse mount (cold), and smbclient's `ls`
    of the same directory, and the same `ls -l` cold and warm on a local directory of the same files;
  * on a fresh mount each, next to the same commands on a local directory of the same files (the local
    peer is warm unless said otherwise): `stat` of the 2,000 files named on its command line, `cat` of 500
    files of 4 KiB named on its command line, `find` over 5,000 files in 50 directories, `touch` of
    2,000 new empty files in one command, `rm -rf` of a directory of 2,000 files, untar (`tar -x`) of
    3,000 small files in 30 directories, 2,000 reads of 4 KiB at random aligned offsets of a 256 MiB
    file (the local file with its caches dropped: smbclient cannot read at an offset), `cp` of the
    --size-mib file within the share (copy_file_range: server-side copy; the local cp is warm);
  * with --big, `ls -l` of 50,000 files, cold and warm, and the daemon's RSS after it;
  * the FUSE peers (--peers, default rclone,smbnetfs; tools/bench_peers.py says how each is mounted): the
    sequential write and read and the metadata rows above (ls -l cold and warm, stat, cat, find, touch,
    rm -rf, untar) through a fresh `rclone mount` (its SMB backend) and a fresh smbnetfs mount
    (libsmbclient) of the same share, each result checked on the share; a peer not installed is skipped
    with a line saying so (Debian: apt-get install rclone smbnetfs);

printed side by side with ratios (the peers' table: smbfuse against the best peer of each row) and the SMB
requests each smbfuse row sent (smbfuse --stats), each the median of the passes with their range, and the
load average of each pass. Page caches are dropped before every read and listing when running as root
(echo 3 > /proc/sys/vm/drop_caches); every write goes to a fresh file name.

  tools/bench.py [--size-mib 1024] [--files 2000] [--passes 2] [--big] [--binary PATH] [--peers LIST]

$BENCH_OPTS adds mount options to every smbfuse mount (for example BENCH_OPTS=vers=3.1.1,cache=none).

The smbfuse binary defaults to build/src/smbfuse (a release build: tools/demo.sh or meson setup build
--buildtype=release); $SMBFUSE_BIN overrides it. Without the binary the smbclient and local halves still
run and the smbfuse column reads "not built".
"""
import argparse
import collections
import io
import os
import random
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "integration"))
import smbfixture as sf  # noqa: E402
import bench_peers  # noqa: E402

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
        for top, dirs, files in os.walk(path):
            for n in dirs + files:
                os.stat(os.path.join(top, n))
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


RANDOM_MIB = 256  # the file of the random reads
RANDOM_READS = 2000


def load():
    """The 1-minute load average: this machine is shared, and the figures move with it."""
    return open("/proc/loadavg").read().split()[0]


def rss_mib(pid):
    """(VmRSS, VmHWM) of a process, MiB."""
    status = dict(line.split(":", 1) for line in open(f"/proc/{pid}/status"))
    return tuple(int(status[k].split()[0]) / 1024 for k in ("VmRSS", "VmHWM"))


def names(n, fmt="file-{:05d}.txt"):
    return [fmt.format(i) for i in range(n)]


def fill(d, files, data=lambda i: b"", owner=None):
    """Directory d (parents too) with one file of data(i) for the i-th name of files; owner (uid, gid) for
    d and its files."""
    d.mkdir(parents=True, exist_ok=True)
    for i, n in enumerate(files):
        (d / n).write_bytes(data(i))
        if owner:
            os.chown(d / n, *owner)
    if owner:
        os.chown(d, *owner)


def make_tarball(path, dirs=30, per_dir=100):
    """A tar of dirs x per_dir small files (0 to 4 KiB of random bytes) in dirs directories: (files,
    their bytes)."""
    rng = random.Random(16)
    now, total = time.time(), 0
    with tarfile.open(path, "w") as t:
        for d in range(dirs):
            info = tarfile.TarInfo(f"t{d:02d}")
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, now
            t.addfile(info)
            for i in range(per_dir):
                data = rng.randbytes(rng.randrange(4097))
                total += len(data)
                info = tarfile.TarInfo(f"t{d:02d}/f{i:03d}")
                info.size, info.mode, info.mtime = len(data), 0o644, now
                t.addfile(info, io.BytesIO(data))
    return dirs * per_dir, total


def random_reads(path, seed, n=RANDOM_READS, size=RANDOM_MIB * MiB):
    """n preads of 4 KiB at random 4 KiB-aligned offsets (the same ones for the same seed)."""
    rng = random.Random(seed)
    fd = os.open(path, os.O_RDONLY)
    try:
        for _ in range(n):
            if len(os.pread(fd, 4096, rng.randrange(size // 4096) * 4096)) != 4096:
                raise RuntimeError(f"short read of {path}")
    finally:
        os.close(fd)


def run(cmd, cwd=None, out=False):
    """cmd's standard output if out, else sent to /dev/null (as for stat and cat); an error raises."""
    return subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE if out else subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, check=True, timeout=1800).stdout


def count_files(d):
    return sum(len(files) for _, _, files in os.walk(d))


def tree_bytes(d):
    return sum(os.path.getsize(os.path.join(top, f)) for top, _, files in os.walk(d) for f in files)


class Bench:
    """One run: the server, the files made once, and each pass's figures."""

    def __init__(self, args, base, server, binary):
        self.args, self.base, self.server, self.binary = args, base, server, binary
        self.share, self.local = server.backing, base / "local"
        self.size = args.size_mib * MiB
        self.owner = (server.uid, server.gid)
        self.times = collections.defaultdict(list)  # (kind, who) -> seconds, one per pass
        self.reqs = collections.defaultdict(list)  # kind -> SMB requests smbfuse sent, one per pass
        self.rss = []  # (VmRSS, VmHWM) after the warm ls -l of 50,000 files, one per pass
        self.loads = []
        self.mounts = []
        self.peer_mounts = []  # bench_peers.PeerMount, every one made (unmounted after its row)
        self.peer_failures = []
        self.settled = collections.defaultdict(list)  # (kind, peer) -> seconds until the share held the result

    def mount(self):
        m = sf.Mount(self.server, self.base / f"mnt{len(self.mounts)}", binary=self.binary, workdir=self.base,
                     opts=dict(o.split("=", 1) for o in os.environ.get("BENCH_OPTS", "").split(",") if o))
        self.mounts.append(m)
        m.start()
        return m

    def unmount(self, m):
        rc = m.unmount()
        if rc != 0:
            raise RuntimeError(f"smbfuse exited {rc}: {m.stderr()[-2000:]}")

    def time(self, kind, who, fn, m=None):
        """fn() timed as (kind, who)'s figure of this pass; with a mount m, also the SMB requests it sent."""
        r0 = requests_sent(m) if m else 0
        t = timed(fn)
        self.times[(kind, who)].append(t)
        if m:
            self.reqs[kind].append(requests_sent(m) - r0)
        return t

    def fresh(self, kind, warm, fn):
        """fn(mount point) on a fresh mount against a warm server (warm_server(warm)), timed with its
        requests."""
        m = self.mount()
        warm_server(warm)
        self.time(kind, "smbfuse", lambda: fn(m.mountpoint), m)
        self.unmount(m)

    def make_files(self):
        """Everything every pass reads, on the share (the server's user's) and locally."""
        a, share, local = self.args, self.share, self.local
        src = self.base / "source.bin"
        print(f"bench: writing a {a.size_mib} MiB source file", flush=True)
        with open(src, "wb") as f:
            block = os.urandom(16 * MiB)
            for i in range(self.size // len(block)):
                f.write(block[:8] + i.to_bytes(8, "little") + block[16:])
            f.write(os.urandom(self.size % len(block)))
        print(f"bench: making the files: 2 x {a.files}, 2 x 500 x 4 KiB, 2 x 5,000 in 50 directories, "
              f"{RANDOM_MIB} MiB, a tarball of 3,000{', 2 x 50,000' if a.big else ''}", flush=True)
        for d, owner in ((share, self.owner), (local, None)):
            fill(d / "dir2000", names(a.files), lambda i: b"x" * (i % 500), owner)
            fill(d / "small500", names(500, "s{:03d}"), lambda i: os.urandom(4096), owner)
            for i in range(50):
                fill(d / "tree" / f"d{i:02d}", names(100, "f{:03d}"), owner=owner)
            if owner:
                os.chown(d / "tree", *owner)
            if a.big:
                fill(d / "dir50000", names(50000), owner=owner)
        with open(share / "rand.bin", "wb") as f:
            for _ in range(RANDOM_MIB // 16):
                f.write(os.urandom(16 * MiB))
        (share / "reread.bin").write_bytes(os.urandom(64 * MiB))
        for p in ("rand.bin", "reread.bin"):
            os.chown(share / p, *self.owner)
        self.files_in_tar, self.tar_bytes = make_tarball(self.base / "untar.tar")
        return src

    def smbclient_pass(self, p, src):
        server = self.server
        self.time("connect", "smbclient", lambda: server.smbclient("share", "pwd"))
        name = f"smbclient-{p}.bin"
        drop_caches()
        self.time("write", "smbclient", lambda: server.smbclient("share", f"put {src} {name}", timeout=3600))
        warm_server(self.share / name)
        self.time("read", "smbclient", lambda: server.smbclient("share", f"get {name} /dev/null", timeout=3600))
        os.unlink(self.share / name)
        warm_server(self.share / "dir2000")
        out = []
        self.time("ls", "smbclient",
                  lambda: out.append(server.smbclient("share", "ls dir2000/*", timeout=600).stdout))
        assert out[0].count("file-") == self.args.files, "smbclient did not list every file"

    def tree_commands(self, p, top, tarball):
        """The commands of the metadata rows that change or walk a tree, on top (a mount point or the local
        directory), by kind: each takes no argument and checks its result."""
        n = self.args.files

        def find():
            if run(["find", str(top / "tree")], out=True).count("\n") != 5051:
                raise RuntimeError(f"find {top}/tree did not list 5,051 names")
        return {
            "find": find,
            "touch": lambda: run(["touch", *names(n, "t{:05d}")], cwd=top / f"touch-{p}"),
            "rm": lambda: run(["rm", "-rf", str(top / f"rm-{p}")]),
            "untar": lambda: run(["tar", "-x", "--no-same-owner", "-f", str(tarball), "-C", str(top / f"untar-{p}")]),
        }

    def local_pass(self, p, src):
        a, local = self.args, self.local
        drop_caches()
        for kind in ("ls", "ls_warm"):
            self.time(kind, "local", lambda: run(["ls", "-l", str(local / "dir2000")], out=True))
        self.time("stat", "local", lambda: run(["stat", *names(a.files)], cwd=local / "dir2000"))
        # 500 files of 4 KiB; the local peer is warm (page cache), as issue 16 measures it: a network file
        # system at its best cannot beat that.
        lnames = [str(local / "small500" / n) for n in names(500, "s{:03d}")]
        run(["cat", *lnames])
        self.time("cat500", "local", lambda: run(["cat", *lnames]))
        tarball = self.base / "untar.tar"
        for d in (f"touch-{p}", f"untar-{p}"):
            (local / d).mkdir()
        fill(local / f"rm-{p}", names(a.files), lambda i: b"x" * (i % 500))
        read_file(tarball)
        cmds = self.tree_commands(p, local, tarball)
        cmds["find"]()
        for kind, fn in cmds.items():
            self.time(kind, "local", fn)
        drop_caches()  # the random reads' peer: the server's file read locally from disk
        self.time("random", "local", lambda: random_reads(self.share / "rand.bin", p))
        read_file(src)
        self.time("cp", "local", lambda: run(["cp", str(src), str(local / f"cp-{p}.bin")]))
        if a.big:
            drop_caches()
            for kind in ("ls50k", "ls50k_warm"):
                self.time(kind, "local", lambda: run(["ls", "-l", str(local / "dir50000")], out=True))
        for d in (f"touch-{p}", f"untar-{p}", f"cp-{p}.bin"):
            shutil.rmtree(local / d) if (local / d).is_dir() else os.unlink(local / d)

    def prepare_trees(self, tag):
        """The share's directories of tree_commands(tag, ...): (the tarball, {kind: the directory to warm})."""
        share = self.share
        for d in (f"touch-{tag}", f"untar-{tag}"):
            (share / d).mkdir()
            os.chown(share / d, *self.owner)
        fill(share / f"rm-{tag}", names(self.args.files), lambda i: b"x" * (i % 500), self.owner)
        tarball = self.base / "untar.tar"
        read_file(tarball)
        return tarball, {"find": "tree", "touch": f"touch-{tag}", "rm": f"rm-{tag}", "untar": f"untar-{tag}"}

    def tree_done(self, tag):
        """{kind: a check that the share (the server's directory) holds the result of tree_commands(tag)},
        for the kinds that change the tree (find checks its own output)."""
        share = self.share
        return {"touch": lambda: count_files(share / f"touch-{tag}") == self.args.files,
                "rm": lambda: not (share / f"rm-{tag}").exists(),
                "untar": lambda: count_files(share / f"untar-{tag}") == self.files_in_tar
                and tree_bytes(share / f"untar-{tag}") == self.tar_bytes}

    def peer_fresh(self, peer, kind, warm, fn, done=None, then=None):
        """fn(the share's directory in the mount) on a fresh mount of peer against a warm server
        (warm_server(warm)), timed as (kind, peer.name); then done() (the share holds the result) polled, and
        for a peer that writes back later, the time until it held as settled; then then(that directory) on
        the same mount. Unmounted however it ends."""
        m = peer.mount(self.base / f"{peer.name}-mnt{len(self.peer_mounts)}",
                       bench_peers.peer_workdir(self.base, peer.name))
        self.peer_mounts.append(m)
        try:
            m.wait_ready()
            warm_server(warm) if warm else drop_caches()
            t0 = time.monotonic()
            self.time(kind, peer.name, lambda: fn(m.root))
            if done:
                sf.wait_until(done, 600, interval=0.05, what=f"the share to hold {kind}'s result ({peer.name})")
                if peer.settles:
                    self.settled[(kind, peer.name)].append(time.monotonic() - t0)
            if then:
                then(m.root)
        finally:
            rc = m.unmount()
            shutil.rmtree(m.log.with_suffix(".cache"), ignore_errors=True)
        if rc != 0:
            print(f"bench: {peer.name} exited {rc} at unmount: {m.log_tail()[-500:]}", flush=True)

    def peer_pass(self, peer, p, src):
        """The sequential write and read and the metadata rows through fresh mounts of peer."""
        a, share, size = self.args, self.share, self.size
        name = f"{peer.name}-{p}.bin"
        self.peer_fresh(peer, "write", None, lambda r: copy_file(src, r / name),
                        lambda: (share / name).exists() and os.path.getsize(share / name) == size)
        n = []
        self.peer_fresh(peer, "read", share / name, lambda r: n.append(read_file(r / name)))
        if n[0] != size:
            raise RuntimeError(f"{peer.name} read {n[0]} bytes, expected {size}")
        os.unlink(share / name)

        def ls(r):
            if run(["ls", "-l", str(r / "dir2000")], out=True).count("file-") != a.files:
                raise RuntimeError(f"ls -l through {peer.name} did not list every file")
        # warm: the same listing again on the same mount
        self.peer_fresh(peer, "ls", share / "dir2000", ls,
                        then=lambda r: self.time("ls_warm", peer.name, lambda: ls(r)))
        self.peer_fresh(peer, "stat", share / "dir2000", lambda r: run(["stat", *names(a.files)], cwd=r / "dir2000"))
        self.peer_fresh(peer, "cat500", share / "small500",
                        lambda r: run(["cat", *[str(r / "small500" / s) for s in names(500, "s{:03d}")]]))
        tag = f"{p}-{peer.name}"
        tarball, warm = self.prepare_trees(tag)
        done = self.tree_done(tag)
        for kind in warm:
            self.peer_fresh(peer, kind, share / warm[kind],
                            lambda r: self.tree_commands(tag, r, tarball)[kind](), done.get(kind))
        for d in (f"touch-{tag}", f"untar-{tag}"):
            shutil.rmtree(share / d)

    def smbfuse_pass(self, p, src):
        a, share = self.args, self.share
        name = f"smbfuse-{p}.bin"
        m = self.mount()
        drop_caches()
        self.time("write", "smbfuse", lambda: copy_file(src, m.mountpoint / name))
        if os.path.getsize(share / name) != self.size:
            raise RuntimeError("smbfuse wrote a file of the wrong size")
        self.time("write_fsync", "smbfuse", lambda: copy_file(src, m.mountpoint / f"fsync-{p}.bin", fsync=True))
        self.unmount(m)
        os.unlink(share / f"fsync-{p}.bin")
        n = []
        self.fresh("read", share / name, lambda mp: n.append(read_file(mp / name)))  # nothing in FUSE's cache
        if n[0] != self.size:
            raise RuntimeError(f"smbfuse read {n[0]} bytes, expected {self.size}")
        m = self.mount()
        warm_server(share / "dir2000")
        ls = []
        self.time("ls", "smbfuse", lambda: ls.append(run(["ls", "-l", str(m.mountpoint / "dir2000")], out=True)), m)
        if ls[0].count("file-") != a.files:
            raise RuntimeError("ls -l through smbfuse did not list every file")
        # Warm: the same listing again on the same mount (notify watch holds), page cache not dropped.
        self.time("ls_warm", "smbfuse", lambda: run(["ls", "-l", str(m.mountpoint / "dir2000")], out=True), m)
        # Repeated read of a 64 MiB file: cold, then again under the read lease.
        for kind in ("read_cold", "read_warm"):
            self.time(kind, "smbfuse", lambda: read_file(m.mountpoint / "reread.bin"), m)
        self.unmount(m)
        # Stats by name: one stat of the 2,000 files named on its command line.
        self.fresh("stat", share / "dir2000", lambda mp: run(["stat", *names(a.files)], cwd=mp / "dir2000"))
        # Small files: one cat of 500 files of 4 KiB named on its command line.
        self.fresh("cat500", share / "small500",
                   lambda mp: run(["cat", *[str(mp / "small500" / s) for s in names(500, "s{:03d}")]]))
        tarball, warm = self.prepare_trees(p)
        for kind in warm:
            # tree_commands of this mount: each fresh() gets its own mount point
            self.fresh(kind, share / warm[kind], lambda mp: self.tree_commands(p, mp, tarball)[kind]())
        for kind, done in self.tree_done(p).items():
            if not done():
                raise RuntimeError(f"{kind} through smbfuse: the share does not hold the result")
        self.fresh("random", share / "rand.bin", lambda mp: random_reads(mp / "rand.bin", p))
        self.fresh("cp", share / name, lambda mp: run(["cp", str(mp / name), str(mp / f"cp-{p}.bin")]))
        if os.path.getsize(share / f"cp-{p}.bin") != self.size:
            raise RuntimeError("cp within the share made a file of the wrong size")
        if a.big:
            m = self.mount()
            warm_server(share / "dir50000")
            for kind in ("ls50k", "ls50k_warm"):
                self.time(kind, "smbfuse", lambda: run(["ls", "-l", str(m.mountpoint / "dir50000")], out=True), m)
            self.rss.append(rss_mib(m.proc.pid))
            self.unmount(m)
        for d in (f"touch-{p}", f"untar-{p}"):
            shutil.rmtree(share / d)
        for f in (name, f"cp-{p}.bin"):
            os.unlink(share / f)


def spread(values, fmt):
    """The median of a row's passes, and their range when there are several."""
    if not values:
        return "-", ""
    lo, hi = fmt(min(values)), fmt(max(values))
    return fmt(statistics.median(values)), (f"{lo}-{hi}" if lo != hi else lo) if len(values) > 1 else ""


def report(b, have_fuse, can_drop):
    """Two tables: transfers against smbclient, then every row against the local peer."""
    a, t = b.args, b.times
    mb = b.size / 1e6
    files = f"{a.files:,}"

    def rate(kind, who):
        return spread([mb / s for s in t.get((kind, who), [])], lambda v: f"{v:.1f}")

    def secs(kind, who):
        return spread(t.get((kind, who), []), lambda v: f"{v:.3f}")

    def ratio(kind, peer, faster):
        a_, b_ = t.get((kind, "smbfuse")), t.get((kind, peer))
        if not a_ or not b_:
            return "-"
        r = statistics.median(b_) / statistics.median(a_)
        return f"{r if faster else 1 / r:.2f}x"

    print()
    print(f"Samba {subprocess.run(['smbd', '-V'], capture_output=True, text=True).stdout.strip()} on "
          f"127.0.0.1, {os.cpu_count()} CPUs, passes: {len(b.loads)} (median, range), load average at each "
          f"pass's end: {', '.join(b.loads)}; client caches cold and server files warm: "
          f"{'yes' if can_drop else 'no (cannot drop caches)'}")
    print(f"{'MB/s, ls in s':34}{'smbfuse':>10}{'range':>16}{'smbclient':>11}{'range':>16}{'ratio':>9}")
    rows = [("write", f"sequential write {a.size_mib} MiB"), ("write_fsync", "  the same, then fsync"),
            ("read", f"sequential read {a.size_mib} MiB"), ("ls", f"ls -l of {files} files (cold)")]
    for kind, label in rows:
        f, c = (secs(kind, "smbfuse"), secs(kind, "smbclient")) if kind == "ls" else \
            (rate(kind, "smbfuse"), rate(kind, "smbclient"))
        if not have_fuse:
            f = ("not built", "")
        if kind == "write_fsync":
            c = ("(no flush)", "")
        print(f"{label:34}{f[0]:>10}{f[1]:>16}{c[0]:>11}{c[1]:>16}{ratio(kind, 'smbclient', True):>9}")
    print(f"(ratio > 1: smbfuse is faster; smbclient times include its start, connect and logon, "
          f"{secs('connect', 'smbclient')[0]} s alone here)")
    print()
    print(f"{'seconds; local warm unless said':46}{'smbfuse':>9}{'range':>14}{'SMB requests':>14}"
          f"{'local':>9}{'range':>14}{'smbfuse/local':>15}")
    rows = [("ls", f"ls -l of {files} files, cold (local cold)"),
            ("ls_warm", f"ls -l of {files} files, warm"),
            ("read_cold", "read 64 MiB, cold"), ("read_warm", "read 64 MiB again (lease)"),
            ("stat", f"stat of {files} names, cold"),
            ("cat500", "cat of 500 x 4 KiB, cold"),
            ("find", "find over 5,000 files in 50 dirs, cold"),
            ("touch", f"touch of {files} new files"),
            ("rm", f"rm -rf of {files} files, cold"),
            ("untar", f"untar of {b.files_in_tar:,} files in 30 dirs"),
            ("random", f"{RANDOM_READS:,} x 4 KiB random reads (local cold)"),
            ("cp", f"cp of {a.size_mib} MiB within the share"),
            ("ls50k", "ls -l of 50,000 files, cold (local cold)"),
            ("ls50k_warm", "ls -l of 50,000 files, warm")]
    for kind, label in rows:
        if (kind, "local") not in t and (kind, "smbfuse") not in t:
            continue
        f, loc = secs(kind, "smbfuse"), secs(kind, "local")
        if not have_fuse:
            f = ("not built", "")
        n = b.reqs.get(kind)
        n = spread(n, str) if n else ("-", "")
        n = n[0] if not n[1] or n[0] == n[1] else f"{n[0]} ({n[1]})"
        print(f"{label:46}{f[0]:>9}{f[1]:>14}{n:>14}{loc[0]:>9}{loc[1]:>14}{ratio(kind, 'local', False):>15}")
    print("(smbfuse/local > 1: smbfuse is slower; SMB requests: median (range) per pass, smbfuse --stats)")
    if b.rss:
        print("daemon RSS after the warm ls -l of 50,000 files: " +
              ", ".join(f"{r:.1f} MiB (peak {h:.1f})" for r, h in b.rss))


def report_peers(b, peers):
    """smbfuse against the FUSE peers (and smbclient for the transfers), row by row: medians in seconds,
    and the ratio to the best (fastest) peer of the row."""
    if not peers:
        return
    a, t = b.args, b.times
    files = f"{a.files:,}"

    def med(kind, who):  # smbclient is a peer of the transfers only: its ls is not an ls -l of a file system
        v = t.get((kind, who)) if who != "smbclient" or kind in ("write", "read") else None
        return statistics.median(v) if v else None

    def cell(v):
        return f"{v:>10.3f}" if v is not None else f"{'-':>10}"
    cols = ["smbfuse"] + [p.name for p in peers] + ["smbclient"]
    settle = [p.name for p in peers if p.settles]
    print()
    print("smbfuse against the peers, seconds (median of the passes); " +
          "; ".join(f"{p.name}: {p.version}, {p.options}" for p in peers))
    print(f"{'':36}" + "".join(f"{c:>10}" for c in cols) + "".join(f"{c + '*':>10}" for c in settle) +
          f"{'best peer':>11}{'smbfuse vs best':>17}")
    rows = [("write", f"sequential write {a.size_mib} MiB"), ("read", f"sequential read {a.size_mib} MiB"),
            ("ls", f"ls -l of {files} files, cold"), ("ls_warm", f"ls -l of {files} files, warm"),
            ("stat", f"stat of {files} names, cold"), ("cat500", "cat of 500 x 4 KiB, cold"),
            ("find", "find over 5,000 files in 50 dirs"), ("touch", f"touch of {files} new files"),
            ("rm", f"rm -rf of {files} files"), ("untar", f"untar of {b.files_in_tar:,} files in 30 dirs")]
    for kind, label in rows:
        cells = "".join(cell(med(kind, c)) for c in cols)
        cells += "".join(cell(statistics.median(b.settled[(kind, c)]) if b.settled.get((kind, c)) else None)
                         for c in settle)
        best = min(((med(kind, c), c) for c in cols[1:] if med(kind, c) is not None), default=(None, "-"))
        ours = med(kind, "smbfuse")
        r = f"{best[0] / ours:.2f}x" if best[0] is not None and ours else "-"
        print(f"{label:36}{cells}{best[1]:>11}{r:>17}")
    print("(smbfuse vs best > 1: smbfuse is faster than every peer of the row; each peer row on a fresh mount "
          "of its own, the warm ls on the cold one's mount)")
    if settle:
        print(f"(* {', '.join(settle)}: until the share held the whole result, from the command's start: "
              "it writes back from its local cache after the command returns; the ratio is against the "
              "command's own time, the stricter comparison for smbfuse)")
    for f in b.peer_failures:
        print(f"peer failed: {f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size-mib", type=int, default=1024)
    ap.add_argument("--files", type=int, default=2000)
    ap.add_argument("--passes", type=int, default=2)
    ap.add_argument("--big", action="store_true", help="also ls -l of 50,000 files (and the daemon's RSS)")
    ap.add_argument("--binary", default=None)
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    ap.add_argument("--peers", default=",".join(c.name for c in bench_peers.PEERS),
                    help="the FUSE peers to measure, comma-separated, or none (default: %(default)s)")
    args = ap.parse_args()

    if os.geteuid() != 0:
        sys.exit("bench: run as root (smbd switches to the test user; dropping caches needs root)")
    binary = Path(args.binary).resolve() if args.binary else sf.smbfuse_binary()
    have_fuse = binary.is_file() and os.access(binary, os.X_OK)
    if not have_fuse:
        print(f"bench: smbfuse binary not built ({binary}); measuring smbclient and local only", flush=True)
    server, base = private_server("bench-smbfuse-")
    b = Bench(args, base, server, binary)
    can_drop = drop_caches()
    if not can_drop:
        print("bench: cannot drop page caches; read figures may come from memory", flush=True)
    print(f"bench: load average at the start: {load()}", flush=True)
    peers = []
    try:
        server.start()
        peers = bench_peers.installed_peers(server, [n for n in args.peers.split(",") if n and n != "none"])
        src = b.make_files()
        for p in range(args.passes):
            t0 = time.monotonic()
            b.smbclient_pass(p, src)
            b.local_pass(p, src)
            if have_fuse:
                b.smbfuse_pass(p, src)
            for peer in peers:
                try:
                    b.peer_pass(peer, p, src)
                except Exception as e:  # one peer's failure leaves the others and smbfuse's figures
                    b.peer_failures.append(f"{peer.name} (pass {p + 1}): {e}")
                    print(f"bench: peer {b.peer_failures[-1]}", flush=True)
            b.loads.append(load())
            print(f"bench: pass {p + 1} took {time.monotonic() - t0:.0f} s (load {b.loads[-1]})", flush=True)
        for m in b.mounts:
            if m.sanitizer_reports():
                print("bench: sanitizer report in smbfuse's stderr:\n" + m.stderr()[-4000:])
    finally:
        for m in b.mounts:
            m.kill()
        for m in b.peer_mounts:
            m.unmount()
        server.stop()
        if args.keep:
            print(f"bench: kept {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)
    report(b, have_fuse, can_drop)
    report_peers(b, peers)
    return 0 if have_fuse else 1


if __name__ == "__main__":
    sys.exit(main())
