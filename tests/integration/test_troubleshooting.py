"""The README's troubleshooting section names the lines smbfuse (and libfuse, fusermount3) really print.

Each case provokes one failure, checks that stderr holds the quoted fragment, and that the README's
"Troubleshooting" section quotes the same fragment: a changed message fails here until the README
follows."""
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import smbfixture as sf
from test_errors import mp, opts as port_opts  # noqa: F401 (mp is a fixture)

README = Path(__file__).resolve().parents[2] / "README.md"


def troubleshooting():
    text = README.read_text()
    m = re.search(r"^## Troubleshooting\n(.*?)^## ", text, re.S | re.M)
    assert m, "README has no Troubleshooting section"
    return m.group(1)


def check(f, fragment, quoted=None):
    """f: a run_smbfuse Failure or a CompletedProcess; quoted: the fragment as the README writes it, with
    placeholders, when it differs."""
    rc = getattr(f, "rc", getattr(f, "returncode", None))
    assert rc != 0, f
    assert fragment in f.stderr, f"{fragment!r} not printed: {f}"
    quoted = quoted or fragment
    assert quoted in troubleshooting(), f"README Troubleshooting does not quote {quoted!r}"


def opts(server, port=None, **kw):
    return port_opts(port or server.port, **{"username": server.user, "password": server.password, **kw})


@pytest.mark.parametrize("case", ["password", "share", "refused", "unknown", "refused_opt", "mountpoint",
                                  "cred_mode", "resolve"])
def test_mount_errors_are_in_the_readme(run_smbfuse, server, mp, tmp_path, case):
    src = "//127.0.0.1/share"
    if case == "password":
        f = run_smbfuse([src, mp, "-f", "-o", opts(server, password="wrong")], mountpoint=mp)
        check(f, "logon failure: wrong user name or password for")
    elif case == "share":
        f = run_smbfuse(["//127.0.0.1/nosuch", mp, "-f", "-o", opts(server)], mountpoint=mp)
        check(f, 'share "nosuch" not found on', 'share "S" not found on')
    elif case == "refused":
        f = run_smbfuse([src, mp, "-f", "-o", opts(server, port=sf.free_port())], mountpoint=mp)
        check(f, "connection refused by")
    elif case == "unknown":
        f = run_smbfuse([src, mp, "-f", "-o", opts(server, bogus=1)], mountpoint=mp)
        check(f, "unknown mount option '")
    elif case == "refused_opt":
        f = run_smbfuse([src, mp, "-f", "-o", opts(server, multiuser=True)], mountpoint=mp)
        check(f, "mount option '")
        check(f, "' is not supported: ")
    elif case == "mountpoint":
        f = run_smbfuse([src, tmp_path / "none", "-f", "-o", opts(server)])
        check(f, ": No such file or directory")
        check(f, "mount point ")
    elif case == "cred_mode":
        cred = tmp_path / "cred"
        cred.write_text(f"username={server.user}\npassword={server.password}\n")
        cred.chmod(0o644)
        f = run_smbfuse([src, mp, "-f", "-o", f"port={server.port},credentials={cred}"], mountpoint=mp)
        check(f, " is accessible by group or others; run: chmod 600 ")
    elif case == "resolve":
        f = run_smbfuse(["//nosuch.invalid/share", mp, "-f", "-o", opts(server)], mountpoint=mp)
        check(f, "cannot resolve host name")


def run_wrapped(argv, mountpoint, timeout=30):
    """run_smbfuse for an smbfuse started by a wrapper (unshare, setpriv): argv is the whole command."""
    r = subprocess.run([str(a) for a in argv], stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=timeout, env={**os.environ, **sf.sanitizer_env()})
    if sf.is_mounted(mountpoint):
        subprocess.run(["fusermount3", "-u", "-z", str(mountpoint)])
        pytest.fail(f"smbfuse left a mount at {mountpoint}", pytrace=False)
    assert not sf.SANITIZER.search(r.stderr), r.stderr
    return r


def _need_root_and_unshare():
    if os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("setpriv"):
        pytest.skip("needs root, unshare and setpriv")


def test_missing_dev_fuse(smbfuse_bin, server, mp):
    """No /dev/fuse (a container started without --device /dev/fuse): a tmpfs hides /dev in a private
    mount namespace."""
    _need_root_and_unshare()
    f = run_wrapped(["unshare", "--mount", "sh", "-c", 'mount -t tmpfs none /dev && exec "$@"', "sh",
                     smbfuse_bin, "//127.0.0.1/share", mp, "-f", "-o", opts(server)], mp)
    check(f, "fuse: device not found, try 'modprobe fuse' first")
    check(f, "cannot mount on")


def _as_nobody_with_fuse(argv):
    """argv as nobody, with a /dev/fuse nobody may open (mode 0666, as on a stock Debian; this machine's
    may be 0600), in a private mount namespace."""
    dev = "/run/smbfuse-test-dev"
    script = (f"mkdir -p {dev} && mount -t tmpfs none {dev} && mknod -m 0666 {dev}/fuse c 10 229 && "
              f'mount --bind {dev}/fuse /dev/fuse && exec setpriv --reuid=65534 --regid=65534 --clear-groups "$@"')
    return ["unshare", "--mount", "sh", "-c", script, "sh", *map(str, argv)]


def test_allow_other_without_user_allow_other(smbfuse_bin, server):
    _need_root_and_unshare()
    conf = Path("/etc/fuse.conf")
    if conf.exists() and re.search(r"^\s*user_allow_other", conf.read_text(), re.M):
        pytest.skip("/etc/fuse.conf has user_allow_other")
    mp = Path(f"/tmp/smbfuse-ts-{os.getpid()}")
    mp.mkdir(exist_ok=True)
    try:
        os.chown(mp, 65534, 65534)
        f = run_wrapped(_as_nobody_with_fuse([smbfuse_bin, "//127.0.0.1/share", mp, "-f", "-o",
                                              opts(server, allow_other=True)]), mp)
        check(f, "fusermount3: option allow_other only allowed if 'user_allow_other' is set in /etc/fuse.conf")
        assert "user_allow_other" in troubleshooting()
    finally:
        mp.rmdir()


def test_user_mount_on_a_directory_not_theirs(smbfuse_bin, server):
    _need_root_and_unshare()
    mp = Path(f"/tmp/smbfuse-ts-root-{os.getpid()}")
    mp.mkdir(mode=0o755, exist_ok=True)
    try:
        f = run_wrapped(_as_nobody_with_fuse([smbfuse_bin, "//127.0.0.1/share", mp, "-f", "-o",
                                              opts(server)]), mp)
        check(f, "fusermount3: user has no write access to mountpoint")
    finally:
        mp.rmdir()
