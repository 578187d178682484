"""The Debian package: `dpkg-buildpackage -b -us -uc` builds smbfuse_*.deb from a copy of this tree; it
installs into a clean Debian 12 chroot (tests/debian/clean-chroot.sh) with apt resolving its dependencies,
mounts the test server's share from there with `mount -t smbfuse` (/sbin/mount.smbfuse), and
`apt-get purge` leaves the chroot as it was before the package came.

SMBFUSE_DEB=PATH tests a .deb built before instead of building one."""
import os
import re
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

import smbfixture as sf

REPO = Path(__file__).resolve().parents[2]
CHROOT_RUN = REPO / "tests" / "samba422" / "chroot-run.sh"
# What apt, dpkg and the package scripts change besides the package's own files.
NOT_COMPARED = ("./proc", "./sys", "./dev", "./tmp", "./run", "./var/lib/dpkg", "./var/lib/apt", "./var/cache",
                "./var/log", "./var/lib/systemd", "./etc/ld.so.cache")

pytestmark = [pytest.mark.heavy, pytest.mark.timeout(1800)]


def need(*tools):
    if os.geteuid() != 0:
        pytest.skip("needs root (a chroot, mount(2))")
    missing = [t for t in tools if not shutil.which(t)]
    if missing:
        pytest.skip(f"missing {', '.join(missing)} (tests/packages.txt lists them)")


def run(argv, timeout=900, **kw):
    r = subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=timeout, **kw)
    assert r.returncode == 0, f"{argv}: exit {r.returncode}\n{r.stdout[-4000:]}\n{r.stderr[-4000:]}"
    return r.stdout


@pytest.fixture(scope="module")
def deb(tmp_path_factory):
    if os.environ.get("SMBFUSE_DEB"):
        return Path(os.environ["SMBFUSE_DEB"])
    need("dpkg-buildpackage", "dh", "git")
    top = tmp_path_factory.mktemp("deb")
    src = top / "smbfuse"
    src.mkdir()
    files = run(["git", "-C", REPO, "ls-files", "-co", "--exclude-standard", "-z"]).split("\0")
    for f in filter(None, files):
        if (REPO / f).is_file():
            (src / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / f, src / f)
    run(["nice", "-n", "19", "dpkg-buildpackage", "-b", "-us", "-uc"], cwd=src, timeout=1500)
    debs = sorted(top.glob("smbfuse_*.deb"))
    assert len(debs) == 1, debs
    return debs[0]


def test_package_contents(deb):
    files = run(["dpkg-deb", "-c", deb])
    for path in ("./usr/bin/smbfuse", "./usr/sbin/mount.smbfuse", "./usr/share/man/man8/smbfuse.8.gz",
                 "./usr/share/man/man8/mount.smbfuse.8.gz", "smbfuse@.service",
                 "./usr/share/doc/smbfuse/copyright", "./usr/share/doc/smbfuse/README.md"):
        assert path in files, path
    depends = run(["dpkg-deb", "-f", deb, "Depends"])
    for dep in ("fuse3", "libfuse3-3", "libssl3", "libglib2.0-0"):
        assert re.search(rf"(^|[ ,]){re.escape(dep)}\b", depends), (dep, depends)


def snapshot(root):
    """Every path of the chroot outside NOT_COMPARED, with its type and mode."""
    out = run(["find", ".", "-xdev", "(", *sum((["-path", p, "-o"] for p in NOT_COMPARED), [])[:-1], ")",
               "-prune", "-o", "-printf", r"%p %y %m\n"], cwd=root)
    return set(out.splitlines())


def test_install_mount_purge_in_a_clean_chroot(deb, server, tmp_path):
    need("debootstrap", "unshare", "tar")
    tar = run([REPO / "tests" / "debian" / "clean-chroot.sh"], timeout=1200).strip().splitlines()[-1]
    root = tmp_path / "root"
    root.mkdir()
    run(["tar", "-C", root, "-xf", tar])
    shutil.copy2(deb, root / "tmp" / deb.name)
    in_root = ["unshare", "--mount", CHROOT_RUN, root]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}

    # The dependencies first, so that what purge leaves can be compared with a system that has them.
    depends = run(["dpkg-deb", "-f", deb, "Depends"])
    names = [re.sub(r"\s*\(.*?\)", "", d).split("|")[0].strip() for d in depends.split(",")]
    run(in_root + ["apt-get", "update", "-q"], env=env)
    run(in_root + ["apt-get", "install", "-y", "-q", "--no-install-recommends", *names], env=env)
    (root / "mnt" / "share").mkdir(parents=True, exist_ok=True)
    before = snapshot(root)
    assert len(before) > 1000, "the snapshot sees too little of the chroot to prove anything"
    run(in_root + ["apt-get", "install", "-y", "-q", "--no-install-recommends", f"/tmp/{deb.name}"], env=env)
    assert (root / "usr/sbin/mount.smbfuse").exists()
    assert "GPL-2.0-or-later" in run(in_root + ["smbfuse", "-V"])

    # Mount the host's test share from inside the chroot, as mount(8) does it: /sbin/mount.smbfuse.
    name = f"deb-{uuid.uuid4().hex[:8]}.txt"
    (server.backing / name).write_text("written on the server\n")
    os.chmod(server.backing / name, 0o644)
    script = (f"mount -t smbfuse //127.0.0.1/share /mnt/share "
              f"-o port={server.port},username={server.user} && cat /mnt/share/{name} && "
              f"grep -q ' /mnt/share fuse.smbfuse ' /proc/mounts && umount /mnt/share && "
              f"! grep -q ' /mnt/share ' /proc/mounts")
    out = run(in_root + ["sh", "-c", script], env={**env, "PASSWD": server.password}, timeout=120)
    assert "written on the server" in out

    run(in_root + ["apt-get", "purge", "-y", "-q", "smbfuse"], env=env)
    q = subprocess.run(in_root + ["dpkg-query", "-W", "-f", "${db:Status-Status}", "smbfuse"],
                       capture_output=True, text=True)
    assert q.returncode != 0 or q.stdout == "not-installed", q.stdout
    after = snapshot(root)
    assert after - before == set(), f"left behind by purge: {sorted(after - before)[:20]}"
    assert before - after == set(), f"removed by purge: {sorted(before - after)[:20]}"
