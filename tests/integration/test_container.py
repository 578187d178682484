"""contrib/container/Containerfile in a real container engine: podman builds it from a Debian 12 base
image made here (tests/debian/clean-chroot.sh, then `podman import`: no image registry is needed), runs it
with --device /dev/fuse --cap-add SYS_ADMIN against the host's test share, the host sees the share's files
through a shared volume, and `podman stop` (SIGTERM) unmounts and ends it with status 0.

runc, not crun, and no default ulimits (a containers.conf of the test's own): this machine's hybrid
cgroups and its refusal to raise rlimits in a container defeat podman's defaults."""
import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

import smbfixture as sf

REPO = Path(__file__).resolve().parents[2]
BASE = "localhost/smbfuse-base:bookworm"
IMAGE = "localhost/smbfuse-test:latest"

pytestmark = [pytest.mark.heavy, pytest.mark.timeout(1800)]


def fuse_mounts_at(path):
    """The fstypes of every mount stacked on path (a volume bind, then the FUSE mount on top)."""
    path = os.path.realpath(path)
    out = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, _, right = line.partition(" - ")
            fields = left.split()
            if len(fields) >= 5 and sf._unescape_mountinfo(fields[4]) == path:
                out.append(right.split()[0])
    return [t for t in out if t.startswith("fuse")]


@pytest.fixture(scope="module")
def podman(tmp_path_factory):
    if os.geteuid() != 0:
        pytest.skip("needs root (rootful podman, mount propagation)")
    missing = [t for t in ("podman", "runc", "debootstrap") if not shutil.which(t)]
    if missing:
        pytest.skip(f"missing {', '.join(missing)} (tests/packages.txt lists them)")
    conf = tmp_path_factory.mktemp("podman") / "containers.conf"
    conf.write_text("[containers]\ndefault_ulimits = []\n")
    env = {**os.environ, "CONTAINERS_CONF": str(conf)}

    def run(*args, timeout=900, check=True):
        r = subprocess.run(["podman", "--runtime", "runc", *map(str, args)], capture_output=True, text=True,
                           timeout=timeout, env=env)
        if check:
            assert r.returncode == 0, f"podman {args}: exit {r.returncode}\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
        return r

    if run("image", "exists", BASE, check=False).returncode != 0:
        r = subprocess.run([REPO / "tests" / "debian" / "clean-chroot.sh"], capture_output=True, text=True,
                           timeout=1200)
        assert r.returncode == 0, r.stderr
        run("import", r.stdout.strip().splitlines()[-1], BASE)
    run("build", "--build-arg", f"BASE={BASE}", "-f", REPO / "contrib" / "container" / "Containerfile", "-t", IMAGE,
        REPO, timeout=1500)
    return run


@pytest.fixture
def shared_dir(tmp_path):
    """A host directory that is a shared mount point, so that a mount made on it in a container shows."""
    d = tmp_path / "shared"
    d.mkdir()
    subprocess.run(["mount", "--bind", d, d], check=True)
    subprocess.run(["mount", "--make-shared", d], check=True)
    yield d
    while fuse_mounts_at(d):
        subprocess.run(["umount", "-l", d])
    subprocess.run(["umount", "-l", d])


def test_container_mounts_host_share_and_sigterm_unmounts(podman, server, shared_dir):
    name = f"smbfuse-test-{uuid.uuid4().hex[:8]}"
    probe = f"container-{uuid.uuid4().hex[:8]}.txt"
    (server.backing / probe).write_text("seen through the container\n")
    os.chmod(server.backing / probe, 0o644)
    podman("run", "-d", "--name", name, "--device", "/dev/fuse", "--cap-add", "SYS_ADMIN", "--network", "host",
           "-v", f"{shared_dir}:/mnt/share:rshared",
           "-e", "SMBFUSE_SOURCE=//127.0.0.1/share",
           "-e", f"SMBFUSE_OPTIONS=port={server.port},username={server.user}",
           "-e", f"PASSWD={server.password}", IMAGE)
    try:
        def seen():
            state = json.loads(podman("inspect", name).stdout)[0]["State"]
            if not state["Running"]:
                raise AssertionError(f"container ended: {state}\n{podman('logs', name).stderr}")
            return (shared_dir / probe).exists()
        sf.wait_until(seen, 60, what="the share's file on the host through the container's mount")
        assert (shared_dir / probe).read_text() == "seen through the container\n"
        assert fuse_mounts_at(shared_dir) == ["fuse.smbfuse"]

        podman("stop", "-t", "20", name, timeout=60)
        state = json.loads(podman("inspect", name).stdout)[0]["State"]
        logs = podman("logs", name).stderr
        assert state["ExitCode"] == 0, (state, logs)
        assert not fuse_mounts_at(shared_dir), logs
    finally:
        podman("rm", "-f", name, check=False)
