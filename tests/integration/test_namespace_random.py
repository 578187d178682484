"""Randomized namespace sequences against a model (issue namespace).

Seeded random sequences of mkdir, create, overwrite, rename (of files and directories, over files, across
directories), unlink, rmdir, rm -rf and listings, applied through the mount and to an in-memory model of
the tree. After every step the server's backing directory must equal the model, and the mount's own view
(a full walk with stat and read) must equal it too: whatever the mount cached, the outcome is the local
disk's. The two-client variant applies each step through one of two mounts at random; the other mount must
converge to the model within a bounded wait (its coherence comes from change notification).

A failure prints the seed and the steps so far; SMBFUSE_NS_SEED=N reruns one seed, SMBFUSE_NS_STEPS the
length.
"""
import errno
import os
import random
import shutil

import pytest

import smbfixture as sf
from conftest import _root_422

pytestmark = pytest.mark.timeout(600)

SEEDS = [int(os.environ["SMBFUSE_NS_SEED"])] if "SMBFUSE_NS_SEED" in os.environ else [1, 2]
STEPS = int(os.environ.get("SMBFUSE_NS_STEPS", "120"))
# Lower case only: the share is case-insensitive, and names that differ in case alone are the same name.
NAMES = ["a", "b", "c", "dd", "e.txt", "f g", "h-1"]


class Model:
    """dirs: set of relative directory paths ("" is the root); files: path -> bytes; written: every content
    ever written -> the step that wrote it (so a failure can say whose data a stale read returned)."""

    def __init__(self):
        self.dirs, self.files, self.written = {""}, {}, {}

    def children(self, d):
        pre = d + "/" if d else ""
        names = {p[len(pre):] for p in list(self.dirs) + list(self.files)
                 if p != d and p.startswith(pre) and "/" not in p[len(pre):]}
        return names

    def exists(self, p):
        return p in self.dirs or p in self.files

    def snapshot(self):
        return ({d for d in self.dirs if d}, dict(self.files))


def join(d, n):
    return f"{d}/{n}" if d else n


def parent(p):
    return p.rsplit("/", 1)[0] if "/" in p else ""


def view(root):
    """(dirs, files) under root as the filesystem shows them: a walk, a stat and a read of each."""
    dirs, files = set(), {}
    for d, ds, fs in os.walk(root):
        rel = os.path.relpath(d, root)
        rel = "" if rel == "." else rel
        for n in ds:
            dirs.add(join(rel, n))
        for n in fs:
            p = os.path.join(d, n)
            assert os.stat(p).st_size == os.path.getsize(p)
            with open(p, "rb") as f:
                files[join(rel, n)] = f.read()
    return dirs, files


def step(rng, model, root):
    """Do one random operation at root (a mount's test directory) and on the model; return its text."""
    dirs = sorted(model.dirs)
    files = sorted(model.files)
    kind = rng.choice(["mkdir", "mkdir", "create", "create", "overwrite", "rename", "rename", "rename_dir",
                       "unlink", "rmdir", "rmtree", "list"])
    d = rng.choice(dirs)
    n = rng.choice(NAMES)
    p = join(d, n)
    if kind == "mkdir":
        if model.exists(p):
            with pytest.raises(FileExistsError):
                os.mkdir(os.path.join(root, p))
        else:
            os.mkdir(os.path.join(root, p))
            model.dirs.add(p)
        return f"mkdir {p}"
    if kind == "create" or (kind == "overwrite" and not files):
        if p in model.dirs:
            return f"skip create {p}"
        data = os.urandom(rng.randrange(0, 3000))
        with open(os.path.join(root, p), "wb") as f:
            f.write(data)
        model.files[p] = data
        model.written[data] = f"create {p}"
        return f"create {p} ({len(data)} bytes)"
    if kind == "overwrite":
        p = rng.choice(files)
        data = os.urandom(rng.randrange(0, 3000))
        with open(os.path.join(root, p), "r+b") as f:
            f.truncate(0)
            f.write(data)
        model.files[p] = data
        model.written[data] = f"overwrite {p}"
        return f"overwrite {p}"
    if kind == "rename" and files:
        src = rng.choice(files)
        if p in model.dirs or p == src:
            return f"skip rename {src} {p}"
        os.rename(os.path.join(root, src), os.path.join(root, p))
        model.files[p] = model.files.pop(src)
        return f"rename {src} -> {p}"
    if kind == "rename_dir" and len(dirs) > 1:
        src = rng.choice(dirs[1:])
        if model.exists(p) or p == src or (p + "/").startswith(src + "/"):
            return f"skip rename_dir {src} {p}"
        # List the tree first, as a file manager would: this is what used to fail.
        view(os.path.join(root, src))
        os.rename(os.path.join(root, src), os.path.join(root, p))
        pre = src + "/"
        model.dirs = {p + x[len(src):] if x == src or x.startswith(pre) else x for x in model.dirs}
        model.files = {(p + k[len(src):] if k.startswith(pre) else k): v for k, v in model.files.items()}
        return f"rename_dir {src} -> {p}"
    if kind == "unlink" and files:
        p = rng.choice(files)
        os.unlink(os.path.join(root, p))
        del model.files[p]
        return f"unlink {p}"
    if kind == "rmdir" and len(dirs) > 1:
        p = rng.choice(dirs[1:])
        if model.children(p):
            with pytest.raises(OSError) as e:
                os.rmdir(os.path.join(root, p))
            assert e.value.errno == errno.ENOTEMPTY, e.value
        else:
            os.rmdir(os.path.join(root, p))
            model.dirs.discard(p)
        return f"rmdir {p}"
    if kind == "rmtree" and len(dirs) > 1:
        p = rng.choice(dirs[1:])
        view(os.path.join(root, p))
        shutil.rmtree(os.path.join(root, p))
        pre = p + "/"
        model.dirs = {x for x in model.dirs if x != p and not x.startswith(pre)}
        model.files = {k: v for k, v in model.files.items() if not k.startswith(pre)}
        return f"rm -rf {p}"
    names = sorted(os.listdir(os.path.join(root, d)))
    assert names == sorted(model.children(d)), (d, names)
    return f"list {d}"


def converged(root, want, what, written=None):
    seen = []

    def same():
        try:
            seen[:] = [view(root)]
        except FileNotFoundError as e:  # listed, then gone: not converged yet
            seen[:] = [repr(e)]
        return seen[0] == want
    try:
        sf.wait_until(same, 15, what=f"{what} to converge")
    except TimeoutError:
        got = seen[0]
        if isinstance(got, tuple):
            extra = sorted((got[0] - want[0]) | (set(got[1]) - set(want[1])))
            missing = sorted((want[0] - got[0]) | (set(want[1]) - set(got[1])))
            def whose(data):
                src = (written or {}).get(data)
                if src:
                    return f"read what {src} wrote"
                src = [w for d, w in (written or {}).items() if d.startswith(data)]
                return f"read the start of what {src[-1]} wrote" if src else "read what no step wrote"
            stale = sorted(f"{k} ({len(got[1][k])} bytes {got[1][k][:4].hex()}, want {len(want[1][k])} "
                           f"{want[1][k][:4].hex()}; {whose(got[1][k])})"
                           for k in set(got[1]) & set(want[1]) if got[1][k] != want[1][k])
            got = f"extra {extra}, missing {missing}, stale data {stale}"
        assert seen[0] == want, f"{what} never converged to the model: {got}"


def run(rng, model, mounts, backing, seed, converge):
    done = []
    try:
        for _ in range(STEPS):
            m = rng.choice(mounts)
            done.append(f"[{mounts.index(m)}] " + step(rng, model, str(m.path)))
            want = model.snapshot()
            if converge:
                # A directory the other mount watches is removed once that mount's watch ends: Samba
                # completes its pending notification with DELETE_PENDING, and the watch closes.
                converged(backing, want, "the server")
            else:
                assert view(backing) == want, "server differs from the model"
            for other in mounts:
                if other is m or not converge:
                    assert view(other.path) == want, "mount differs from the model"
                else:
                    converged(other.path, want, "the other mount", model.written)
    except BaseException:
        print(f"seed {seed}, {len(done)} steps:\n" + "\n".join(done[-40:]))
        raise


@pytest.mark.parametrize("seed", SEEDS)
def test_random_namespace_one_mount(any_mnt, seed):
    run(random.Random(seed), Model(), [any_mnt], any_mnt.backing, seed, converge=False)


# SMBFUSE_NS_DEBUG=1 mounts both with -d (the protocol trace, in each mount's .stderr file under the
# test's directory). By default one seed in each mode (about a minute in all); SMBFUSE_NS_SEED=N runs seed N instead. History:
# before 2026-12-04, 3 of 240 runs (seeds 1-30, every mode) failed with a directory the other mount's
# watch kept delete-pending (fixed: watch.c, "Removed by another client", the watch asks by an open);
# after it, 1 of 240 (seed 9, smb2-strict) with EISDIR, a stale directory entry of the other mount
# (narrowed: src/fs/absent.c). Then seeds 1-30 passed in every mode (120 runs, doc/TESTING.md).
@pytest.mark.heavy
@pytest.mark.parametrize("seed", SEEDS[:1])
def test_random_namespace_two_mounts(any_mount, seed):
    dbg = {"debug": None} if os.environ.get("SMBFUSE_NS_DEBUG") == "1" else None
    if any_mount.cache == "loose":
        pytest.skip("cache=loose trusts cached pages across opens: another client's rewrite may read stale")
    a, b = any_mount(opts=dbg), any_mount(opts=dbg)
    run(random.Random(seed), Model(), [a, b], a.backing, seed, converge=True)


# Samba 4.22 with directory leases, over SMB 3.1.1: its Handle-lease sweep below a renamed directory
# waits for our CLOSEs one file at a time (doc/CACHING.md), which timed out or refused seeds 1, 5, 6, 9,
# 11 and 12 in cache=strict before. A few seeds here (each a few seconds); SMBFUSE_SERVER=4.22
# SMBFUSE_NS_SEED=N runs any seed in every mode.
@pytest.mark.parametrize("cache,seed", [("strict", 1), ("strict", 3), ("strict", 11), ("none", 1)])
def test_random_namespace_two_mounts_422(mount, samba_server, cache, seed):
    srv = samba_server(root=_root_422())
    a, b = (mount(srv=srv, opts={"cache": cache}) for _ in range(2))
    run(random.Random(seed), Model(), [a, b], a.backing, seed, converge=True)
