"""An open(O_CREAT) of a name the kernel does not know costs one CREATE, not a lookup first
(src/fs/intent.c): the kernel's LOOKUP before it is answered "absent" from the caller's own open call, and
the CREATE that follows is exclusive; a name that exists after all makes the kernel walk again (ESTALE)
and is opened as it always was.

Proved by counting (fuse.lookups_for_create, the SMB requests of a touch) and by outcome: each case below
runs on a mount with the feature and on one without (nocreate_intent), on the same server, in every
dialect and cache mode, and both must leave the same result and the same files on the server.
"""
import errno
import os
import subprocess
import sys

import pytest

from test_cache import fast_stats as stats
from test_posix import _as_nobody
from test_touch import delta

pytestmark = pytest.mark.timeout(180)

N = 30
W = os.O_WRONLY | os.O_CREAT


def tree(root):
    """What the server's directory holds: {relative path: contents, "dir", or the link's target}."""
    out = {}
    for dirpath, dirs, files in os.walk(root):
        for n in dirs + files:
            p = os.path.join(dirpath, n)
            rel = os.path.relpath(p, root)
            if os.path.islink(p):
                out[rel] = "-> " + os.readlink(p)
            elif os.path.isdir(p):
                out[rel] = "dir"
            else:
                with open(p, "rb") as f:
                    out[rel] = f.read()
    return out


def write_at(path, flags, data=b"Z", dir_fd=None):
    fd = os.open(path, flags, 0o644, dir_fd=dir_fd)
    try:
        if data:
            os.write(fd, data)
    finally:
        os.close(fd)


def shell(cwd, script):
    subprocess.run(["sh", "-c", script], cwd=cwd, check=True, timeout=60)


# name -> (what the server's directory holds first, the action: f(the directory in the mount, an open
# descriptor of it for openat)).
CASES = {
    "new": ({}, lambda d, fd: write_at("n", W, b"new", dir_fd=fd)),
    "new-absolute": ({}, lambda d, fd: write_at(f"{d}/n", W, b"abs")),
    "new-in-subdir": ({"sub": None}, lambda d, fd: write_at("sub/n", W, b"sub", dir_fd=fd)),
    "same-name-below": ({"x": None}, lambda d, fd: write_at("x/x", W, b"xx", dir_fd=fd)),
    "redirect": ({}, lambda d, fd: shell(d, "echo hi > r && echo again >> r")),
    "existing": ({"e": b"data"}, lambda d, fd: write_at("e", W, dir_fd=fd)),
    "existing-absolute": ({"e": b"data"}, lambda d, fd: write_at(f"{d}/e", W)),
    "existing-trunc": ({"e": b"data"}, lambda d, fd: write_at("e", W | os.O_TRUNC, b"T", dir_fd=fd)),
    "existing-redirect": ({"e": b"data"}, lambda d, fd: shell(d, "echo hi > e")),
    "existing-rdonly": ({"e": b"data"}, lambda d, fd: write_at("e", os.O_RDONLY | os.O_CREAT, b"", dir_fd=fd)),
    "existing-o-path": ({"e": b"data"}, lambda d, fd: write_at("e", os.O_PATH | W, b"", dir_fd=fd)),
    "existing-excl": ({"e": b"data"}, lambda d, fd: write_at("e", W | os.O_EXCL, dir_fd=fd)),
    "existing-case": ({"Ee": b"data"}, lambda d, fd: write_at("eE", W, dir_fd=fd)),
    "directory": ({"dd": None}, lambda d, fd: write_at("dd", W, dir_fd=fd)),
    "trailing-slash": ({}, lambda d, fd: write_at("t/", W, dir_fd=fd)),
    "link-to-file": ({"tgt": b"data", "ln": "tgt"}, lambda d, fd: write_at("ln", W, dir_fd=fd)),
    "dangling-link": ({"ln": "nothing"}, lambda d, fd: write_at("ln", W, dir_fd=fd)),
}


def prepare(m, top, files):
    m.disk_mkdir(top)
    for name, what in files.items():
        p = m.backing / top / name
        if what is None:
            m.disk_mkdir(f"{top}/{name}")
        elif isinstance(what, str):
            os.symlink(what, p)
            os.lchown(p, m.server.uid, m.server.gid)
        else:
            m.disk_write(f"{top}/{name}", what)


def outcome(m, top, action):
    """The action's result (ok or the errno's name) in m's directory top, and what the server holds then."""
    d = m.path / top
    fd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
    try:
        action(d, fd)
        result = "ok"
    except OSError as e:
        result = errno.errorcode.get(e.errno, e.errno)
    finally:
        os.close(fd)
    return result, tree(m.backing / top)


def test_outcome_is_the_same_without_the_lookup(any_mount):
    on = any_mount()
    off = any_mount(opts={"nocreate_intent": True})
    s0 = stats(on)
    got = {}
    for name, (files, action) in CASES.items():
        prepare(on, f"on-{name}", files)
        prepare(off, f"off-{name}", files)
        a = outcome(on, f"on-{name}", action)
        b = outcome(off, f"off-{name}", action)
        got[name] = a
        assert a == b, f"{name}: with the lookup skipped {a}, with it {b}"
    s1 = stats(on)
    # The cases above reach the server's answer by the new way: every new name without a lookup, every
    # existing one by a second walk. (Not a test of the outcomes: those are compared above.)
    assert got["new"][0] == "ok" and got["existing"][1]["e"] == b"Zata", got
    assert delta(s0, s1, "fuse.lookups_for_create") >= 8, s1
    assert delta(s0, s1, "fuse.create_retries") >= 4, s1


@pytest.mark.parametrize("where", ["relative", "absolute"])
def test_touch_of_new_names_sends_no_lookup(any_mnt, where):
    """touch in a directory made on the server and not listed: one CREATE per name (and its CLOSE), where
    the lookup before it cost another open of the name on the server."""
    m = any_mnt
    m.disk_mkdir("d")
    d = m.path / "d"
    names = [f"f{i}" for i in range(N)]
    args = names if where == "relative" else [str(d / n) for n in names]
    s0 = stats(m)
    subprocess.run(["touch", *args], cwd=d, check=True, timeout=60)
    s1 = stats(m)
    assert sorted(os.listdir(m.backing / "d")) == sorted(names)
    assert delta(s0, s1, "fuse.lookups_for_create") == N
    creates = delta(s0, s1, "requests.CREATE" if m.dialect == "smb2" else "requests.NT_CREATE_ANDX")
    # N creates; at most one more for each other LOOKUP (the directories of the path: with cache=none an
    # absolute path's are looked up for each file); a few of the directory's own (a listing fetched on the
    # second miss, its watch's open and question). A lookup of each name would be N more.
    others = delta(s0, s1, "fuse.lookups") - N
    assert N <= creates <= N + others + 6, (creates, others)


def test_name_another_client_made_meanwhile_is_opened(any_mnt):
    """The kernel does not know the name, another client has made it: the open finds that file (its data
    kept) through the second walk, and the name's next open asks the server again at once."""
    m = any_mnt
    m.disk_mkdir("d")
    d = m.path / "d"
    m.disk_write("d/theirs", b"theirs")
    s0 = stats(m)
    write_at(d / "theirs", W, b"T")
    assert (m.backing / "d" / "theirs").read_bytes() == b"Theirs"
    assert os.stat(d / "theirs").st_size == 6
    assert delta(s0, stats(m), "fuse.create_retries") == 1
    # A stat is no open: it is never answered without the server.
    assert not os.path.exists(d / "later")
    m.disk_write("d/later", b"x")
    assert os.path.exists(d / "later")


@pytest.mark.parametrize("cache", ["strict", "loose", "none"])
def test_kernel_mode_checks_see_an_existing_file(mount, posix_server, cache):
    """With the POSIX extensions the kernel checks modes (default_permissions), and for a create it checks
    the directory where for an existing file it checks the file: another local user may append to a file
    open to all in a directory he may not write, and may not create a new name there."""
    for opts in ({}, {"nocreate_intent": None}):
        m = mount(srv=posix_server, opts={"allow_other": None, "cache": cache, **opts})
        m.disk_mkdir("d")
        m.disk_write("d/shared", b"a", mode=0o666)
        os.chmod(m.backing / "d", 0o755)
        fd = os.open(m.path / "d", os.O_RDONLY | os.O_DIRECTORY)
        try:
            code = ("import os\n"
                    "for n in ('shared', 'new'):\n"
                    "    try: os.close(os.open(n, os.O_WRONLY | os.O_CREAT | os.O_APPEND)); print(n, 'ok')\n"
                    "    except OSError as e: print(n, e.errno)\n")
            r = _as_nobody([sys.executable, "-c", code], fd)
        finally:
            os.close(fd)
        got = dict(line.split() for line in r.stdout.splitlines())
        assert got == {"shared": "ok", "new": str(errno.EACCES)}, (opts, r.stdout + r.stderr)
