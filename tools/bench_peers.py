"""The FUSE peers of tools/bench.py: rclone and smbnetfs, each a fresh mount of the bench's private Samba
share (the same server, share, user and password smbfuse uses), started in the foreground as our own
child, ready when the mount point appears in the mount table, unmounted with fusermount3 -u.

  * rclone (Debian 12: rclone 1.60.1, `apt-get install rclone`): `rclone mount bench:share MOUNTPOINT
    --vfs-cache-mode writes --cache-dir DIR`, the remote given by environment variables only
    (RCLONE_CONFIG_BENCH_TYPE=smb, _HOST, _PORT, _USER, _PASS obscured with `rclone obscure`), no config
    file. --vfs-cache-mode writes, the mode rclone's documentation gives for applications that write:
    the default "off" cannot open a file for both reading and writing nor seek while writing. Every other
    setting is rclone's default: --attr-timeout 1s, --dir-cache-time 5m, --vfs-write-back 5s (files are
    uploaded from the local cache 5 s after their last close, so a write command returns before the
    server has the data: the bench also times how long until the share holds the result).
  * smbnetfs (Debian 12: 0.6.3, over libsmbclient, `apt-get install smbnetfs`): `smbnetfs MOUNTPOINT -f
    -o big_writes,config=FILE,log_file=FILE` (big_writes: without it FUSE 2 sends writes of 4 KiB, and
    smbnetfs wrote 4 MB/s here), the share read as MOUNTPOINT/127.0.0.1:PORT/share (libsmbclient takes
    a port in the host part of its smb:// URL); config: auth for the test user, smb_query_browsers off
    (no network browsing on loopback) and use_libsecret off (no secret service); its own defaults
    otherwise (FUSE attr_timeout and entry_timeout 1 s). HOME is a directory of the bench's, so
    libsmbclient reads its ~/.smb/smb.conf there, not root's.
"""
import os
import shutil
import subprocess
import time
from pathlib import Path

import smbfixture as sf


class PeerMount:
    """A peer's mount (started by its peer's mount(); wait_ready() before use): proc (ours), its mount
    point, and root, the share's directory in it."""

    def __init__(self, name, proc, mountpoint, root, log):
        self.name, self.proc, self.mountpoint, self.root, self.log = name, proc, mountpoint, root, log

    def wait_ready(self, timeout=60):
        def up():
            if os.path.ismount(self.mountpoint):
                return True
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited {self.proc.returncode} before mounting:\n{self.log_tail()}")
            return False
        try:
            sf.wait_until(up, timeout, what=f"{self.name} mounted on {self.mountpoint}")
        except TimeoutError:
            self.unmount()
            raise

    def log_tail(self):
        return self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""

    def unmount(self, timeout=60):
        """fusermount3 -u (retried while busy), then wait for the process; lazy unmount and SIGKILL of our
        process as the last resort. Its exit status."""
        deadline = time.monotonic() + timeout
        while os.path.ismount(self.mountpoint) and time.monotonic() < deadline and self.proc.poll() is None:
            if subprocess.run(["fusermount3", "-u", str(self.mountpoint)], capture_output=True).returncode == 0:
                break
            time.sleep(0.2)
        try:
            self.proc.wait(max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        if os.path.ismount(self.mountpoint):
            subprocess.run(["fusermount3", "-u", "-z", str(self.mountpoint)], capture_output=True)
        return self.proc.returncode


def _first_line(argv):
    r = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    return (r.stdout or r.stderr).strip().splitlines()[0] if (r.stdout or r.stderr).strip() else "?"


class Rclone:
    name, package = "rclone", "rclone"
    settles = True  # writes reach the server after the command returns (--vfs-write-back)

    def __init__(self, server):
        self.server = server
        self.env = {**os.environ, "RCLONE_CONFIG_BENCH_TYPE": "smb", "RCLONE_CONFIG_BENCH_HOST": server.address,
                    "RCLONE_CONFIG_BENCH_PORT": str(server.port), "RCLONE_CONFIG_BENCH_USER": server.user,
                    "RCLONE_CONFIG_BENCH_PASS": subprocess.run(["rclone", "obscure", server.password],
                                                               capture_output=True, text=True, check=True,
                                                               timeout=30).stdout.strip()}
        self.version = _first_line(["rclone", "version"])
        self.options = "--vfs-cache-mode writes (else rclone defaults)"

    def mount(self, mountpoint, workdir):
        mountpoint.mkdir(parents=True, exist_ok=True)
        log = workdir / f"{mountpoint.name}.log"
        env = {**self.env, "RCLONE_CONFIG": str(workdir / "rclone-none.conf")}  # none: the remote is env only
        proc = subprocess.Popen(["rclone", "mount", "bench:share", str(mountpoint), "--vfs-cache-mode", "writes",
                                 "--cache-dir", str(workdir / f"{mountpoint.name}.cache"), "--log-file", str(log)],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                env=env)
        return PeerMount(self.name, proc, mountpoint, mountpoint, log)


class Smbnetfs:
    name, package = "smbnetfs", "smbnetfs"
    settles = False

    def __init__(self, server):
        self.server = server
        self.version = "smbnetfs " + _first_line(["dpkg-query", "-W", "-f", "${Version}", "smbnetfs"])
        self.options = "-o big_writes (else smbnetfs defaults), no browsing"

    def mount(self, mountpoint, workdir):
        s = self.server
        home = workdir / "smbnetfs-home"
        (home / ".smb").mkdir(parents=True, exist_ok=True)
        host = f"{s.address}:{s.port}"
        conf = home / ".smb" / "smbnetfs.conf"
        conf.write_text(f'auth "{host}" "{s.user}" "{s.password}"\nauth "{s.user}" "{s.password}"\n'
                        'smb_query_browsers "false"\nuse_libsecret "false"\n')
        (home / ".smb" / "smb.conf").write_text("[global]\n\tworkgroup = WORKGROUP\n")
        for f in (conf, home / ".smb" / "smb.conf"):
            f.chmod(0o600)
        mountpoint.mkdir(parents=True, exist_ok=True)
        log = workdir / f"{mountpoint.name}.log"
        proc = subprocess.Popen(["smbnetfs", str(mountpoint), "-f", "-o",
                                 f"big_writes,config={conf},log_file={log}"],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                env={**os.environ, "HOME": str(home)})
        return PeerMount(self.name, proc, mountpoint, mountpoint / host / "share", log)


PEERS = (Rclone, Smbnetfs)


def installed_peers(server, only=None):
    """The peers whose program is installed (those in only, when given), each made for server; a line for
    each one missing."""
    peers = []
    for cls in PEERS:
        if only is not None and cls.name not in only:
            continue
        if shutil.which(cls.name) is None:
            print(f"bench: peer {cls.name}: not installed (apt-get install {cls.package}); skipped",
                  flush=True)
            continue
        peers.append(cls(server))
    return peers


def peer_workdir(base, name):
    d = Path(base) / f"peer-{name}"
    d.mkdir(exist_ok=True)
    return d
