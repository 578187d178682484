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

import pytest

from test_cache import fast_stats as stats

pytestmark = pytest.mark.timeout(180)

N = 30
W = os.O_WRONLY | os.O_CREAT


def delta(s0, s1, key):
    return s1.get(key, 0) - s0.get(key, 0)


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


def cases(d):
    """name -> (what the server's directory holds first, the action in d, the mount's directory)."""
    ab = str(d)
    return {
        "new": ({}, lambda: write_at("n", W, b"new", dir_fd=_dirfd(d))),
        "new-absolute": ({}, lambda: write_at(ab + "/n", W, b"abs")),
        "new-in-subdir": ({"sub": None}, lambda: write_at("sub/n", W, b"sub", dir_fd=_dirfd(d))),
        "same-name-below": ({"x": None}, lambda: write_at("x/x", W, b"xx", dir_fd=_dirfd(d))),
        "redirect": ({}, lambda: shell(ab, "echo hi > r && echo again >> r")),
        "existing": ({"e": b"data"}, lambda: write_at("e", W, dir_fd=_dirfd(d))),
        "existing-absolute": ({"e": b"data"}, lambda: write_at(ab + "/e", W)),
        "existing-trunc": ({"e": b"data"}, lambda: write_at("e", W | os.O_TRUNC, b"T", dir_fd=_dirfd(d))),
        "existing-redirect": ({"e": b"data"}, lambda: shell(ab, "echo hi > e")),
        "existing-rdonly": ({"e": b"data"}, lambda: write_at("e", os.O_RDONLY | os.O_CREAT, b"",
                                                              dir_fd=_dirfd(d))),
        "existing-o-path": ({"e": b"data"}, lambda: write_at("e", os.O_PATH | W, b"", dir_fd=_dirfd(d))),
        "existing-excl": ({"e": b"data"}, lambda: write_at("e", W | os.O_EXCL, dir_fd=_dirfd(d))),
        "existing-case": ({"Ee": b"data"}, lambda: write_at("eE", W, dir_fd=_dirfd(d))),
        "directory": ({"dd": None}, lambda: write_at("dd", W, dir_fd=_dirfd(d))),
        "trailing-slash": ({}, lambda: write_at("t/", W, dir_fd=_dirfd(d))),
        "link-to-file": ({"tgt": b"data", "ln": "tgt"}, lambda: write_at("ln", W, dir_fd=_dirfd(d))),
        "dangling-link": ({"ln": "nothing"}, lambda: write_at("ln", W, dir_fd=_dirfd(d))),
    }


_fds = []


def _dirfd(d):
    fd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
    _fds.append(fd)
    return fd


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
    try:
        action()
        result = "ok"
    except OSError as e:
        result = errno.errorcode.get(e.errno, e.errno)
    finally:
        while _fds:
            os.close(_fds.pop())
    return result, tree(m.backing / top)


def test_outcome_is_the_same_without_the_lookup(any_mount):
    on = any_mount()
    off = any_mount(opts={"nocreate_intent": True})
    s0 = stats(on)
    got = {}
    for name in cases(on.path):
        files, action = cases(on.path / f"on-{name}")[name]
        prepare(on, f"on-{name}", files)
        prepare(off, f"off-{name}", files)
        a = outcome(on, f"on-{name}", action)
        b = outcome(off, f"off-{name}", cases(off.path / f"off-{name}")[name][1])
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


def test_kernel_mode_checks_see_an_existing_file(mount, posix_server):
    """With the POSIX extensions the kernel checks modes (default_permissions), and for a create it checks
    the directory where for an existing file it checks the file: another local user may append to a file
    open to all in a directory he may not write, and may not create a new name there."""
    import sys
    from test_posix import _as_nobody
    got = []
    for opts in ({}, {"nocreate_intent": None}):
        m = mount(srv=posix_server, opts={"allow_other": None, **opts})
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
        got.append(dict(line.split() for line in r.stdout.splitlines()))
        assert got[-1] == {"shared": "ok", "new": str(errno.EACCES)}, (opts, r.stdout + r.stderr)
