"""Real programs on the mount: git, make + cc, rsync, an editor's atomic save, sqlite, tar."""
import os
import shutil
import sqlite3
import subprocess
import time

import pytest


def run(cmd, cwd=None, env=None, timeout=300, check=True):
    r = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        pytest.fail(f"{cmd} in {cwd} exited {r.returncode}\nstdout:\n{r.stdout}\nstderr:\n{r.stderr}",
                    pytrace=False)
    return r


def need(tool):
    if not shutil.which(tool):
        pytest.skip(f"{tool} not installed")


@pytest.fixture
def git_env(tmp_path):
    need("git")
    home = tmp_path / "home"
    home.mkdir()
    return {**os.environ, "HOME": str(home), "GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@example.invalid",
            "GIT_COMMITTER_NAME": "T", "GIT_COMMITTER_EMAIL": "t@example.invalid",
            "GIT_CONFIG_NOSYSTEM": "1", "LC_ALL": "C"}


GIT = ["git", "-c", "safe.directory=*", "-c", "init.defaultBranch=main", "-c", "gc.auto=0"]


@pytest.mark.heavy
@pytest.mark.timeout(600)
def test_git_init_commit_status_log_gc(mnt, git_env):
    repo = mnt.path / "repo"
    run([*GIT, "init", str(repo)], env=git_env)
    for i in range(30):
        (repo / f"f{i}.txt").write_text(f"content {i}\n" * (i + 1))
    run([*GIT, "add", "."], cwd=repo, env=git_env)
    run([*GIT, "commit", "-q", "-m", "first"], cwd=repo, env=git_env)
    (repo / "f3.txt").write_text("changed\n")
    st = run([*GIT, "status", "--porcelain"], cwd=repo, env=git_env).stdout
    assert st.strip() == "M f3.txt"
    run([*GIT, "commit", "-q", "-am", "second"], cwd=repo, env=git_env)
    log = run([*GIT, "log", "--oneline"], cwd=repo, env=git_env).stdout.splitlines()
    assert len(log) == 2 and log[0].endswith("second")
    run([*GIT, "gc", "-q"], cwd=repo, env=git_env)
    (repo / "f4.txt").write_text("again\n")
    run([*GIT, "commit", "-q", "-am", "third"], cwd=repo, env=git_env)
    run([*GIT, "gc", "-q", "--prune=now"], cwd=repo, env=git_env)  # replaces the read-only pack
    run([*GIT, "fsck", "--strict"], cwd=repo, env=git_env)
    assert run([*GIT, "status", "--porcelain"], cwd=repo, env=git_env).stdout == ""
    # The server's copy is a valid repository too.
    backing = mnt.backing / "repo"
    out = run([*GIT, "log", "--format=%s"], cwd=backing, env=git_env).stdout.split()
    assert out == ["third", "second", "first"]


@pytest.mark.heavy
@pytest.mark.timeout(600)
def test_git_clone_local_repo_into_mount(mnt, git_env, tmp_path):
    src = tmp_path / "src"
    run([*GIT, "init", "-q", str(src)], env=git_env)
    for i in range(50):
        (src / f"d{i % 5}").mkdir(exist_ok=True)
        (src / f"d{i % 5}" / f"{i}.c").write_text(f"int x{i} = {i};\n")
    run([*GIT, "add", "."], cwd=src, env=git_env)
    run([*GIT, "commit", "-q", "-m", "init"], cwd=src, env=git_env)
    run([*GIT, "clone", "-q", "--no-hardlinks", str(src), str(mnt.path / "clone")], env=git_env)
    run([*GIT, "fsck"], cwd=mnt.path / "clone", env=git_env)
    assert run([*GIT, "status", "--porcelain"], cwd=mnt.path / "clone", env=git_env).stdout == ""
    assert (mnt.backing / "clone" / "d3" / "13.c").read_text() == "int x13 = 13;\n"


@pytest.mark.heavy
@pytest.mark.timeout(600)
def test_make_builds_c_program(mnt):
    need("make")
    need("cc")
    d = mnt.path / "proj"
    d.mkdir()
    (d / "hello.c").write_text('#include <stdio.h>\n#include "msg.h"\n'
                               'int main(void) { puts(MSG); return 0; }\n')
    (d / "msg.h").write_text('#define MSG "hello from smbfuse"\n')
    (d / "Makefile").write_text("hello: hello.o\n\tcc -o $@ $^\n"
                                "hello.o: hello.c msg.h\n\tcc -c -o $@ $<\n")
    run(["make"], cwd=d)
    assert run([str(d / "hello")]).stdout == "hello from smbfuse\n"
    assert (mnt.backing / "proj" / "hello").stat().st_size > 0
    # Nothing changed: nothing to rebuild (mtimes round-trip).
    assert "up to date" in run(["make"], cwd=d).stdout
    future = time.time() + 5
    os.utime(d / "msg.h", (future, future))
    (d / "msg.h").write_text('#define MSG "rebuilt"\n')
    out = run(["make"], cwd=d).stdout
    assert "cc -c" in out
    assert run([str(d / "hello")]).stdout == "rebuilt\n"


@pytest.mark.heavy
@pytest.mark.timeout(600)
def test_rsync_second_run_transfers_nothing(mnt, tmp_path):
    need("rsync")
    src = tmp_path / "tree"
    for i in range(40):
        sub = src / f"dir{i % 4}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"file{i}.bin").write_bytes(os.urandom(1000 * i + 1))
    os.utime(src / "dir0" / "file0.bin", ns=(1_300_000_000_123_456_700, 1_300_000_000_123_456_700))
    dst = mnt.path / "dst"
    first = run(["rsync", "-a", "--stats", f"{src}/", f"{dst}/"]).stdout
    assert "Number of regular files transferred: 40" in first, first
    second = run(["rsync", "-a", "--stats", f"{src}/", f"{dst}/"]).stdout
    assert "Number of regular files transferred: 0" in second, second
    for i in range(40):
        rel = f"dir{i % 4}/file{i}.bin"
        assert (mnt.backing / "dst" / rel).read_bytes() == (src / rel).read_bytes()
        src_ns = os.stat(src / rel).st_mtime_ns
        assert os.stat(dst / rel).st_mtime_ns == src_ns - src_ns % 100  # SMB: 100 ns units


def test_editor_atomic_save(mnt):
    target = mnt.path / "doc.txt"
    target.write_text("version 1\n")
    for v in range(2, 6):
        tmp = mnt.path / f".doc.txt.swp{v}"
        fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        os.write(fd, f"version {v}\n".encode())
        os.fsync(fd)
        os.close(fd)
        os.rename(tmp, target)
        assert target.read_text() == f"version {v}\n"
        assert (mnt.backing / "doc.txt").read_text() == f"version {v}\n"
    dfd = os.open(mnt.path, os.O_RDONLY | os.O_DIRECTORY)
    os.fsync(dfd)
    os.close(dfd)
    assert sorted(os.listdir(mnt.path)) == ["doc.txt"]


def test_sqlite_create_insert_select(mnt):
    db = mnt.path / "test.db"
    con = sqlite3.connect(db)
    con.execute("create table t (id integer primary key, v text)")
    with con:
        con.executemany("insert into t (v) values (?)", [(f"row {i}",) for i in range(1000)])
    con.close()
    con = sqlite3.connect(db)
    assert con.execute("select count(*), max(id) from t").fetchone() == (1000, 1000)
    with con:
        con.execute("update t set v = 'x' where id % 2 = 0")
    assert con.execute("select count(*) from t where v = 'x'").fetchone() == (500,)
    con.close()
    # The server's copy is the same database.
    con = sqlite3.connect(mnt.backing / "test.db")
    assert con.execute("pragma integrity_check").fetchone() == ("ok",)
    assert con.execute("select count(*) from t where v = 'x'").fetchone() == (500,)
    con.close()


def test_tar_extract_into_and_create_from_mount(mnt, tmp_path):
    need("tar")
    src = tmp_path / "src"
    (src / "a" / "b").mkdir(parents=True)
    for i in range(25):
        (src / "a" / ("b" if i % 2 else "") / f"f{i}").write_bytes(os.urandom(i * 777))
    (src / "ü-name").write_text("umlaut")
    run(["tar", "cf", str(tmp_path / "in.tar"), "-C", str(src), "."])
    run(["tar", "xf", str(tmp_path / "in.tar"), "--no-same-owner", "-C", str(mnt.path)])
    run(["diff", "-r", str(src), str(mnt.backing)])
    run(["tar", "cf", str(tmp_path / "out.tar"), "-C", str(mnt.path), "."])
    out = tmp_path / "out"
    out.mkdir()
    run(["tar", "xf", str(tmp_path / "out.tar"), "-C", str(out)])
    run(["diff", "-r", str(src), str(out)])
