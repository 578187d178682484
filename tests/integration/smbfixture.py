#!/usr/bin/python3
"""A private Samba server on loopback and smbfuse mounts, for the integration tests, tools/bench.py and
tools/demo.sh.

Nothing outside the server's base directory changes: smb.conf, every state directory, the logs and the
passdb live in it, and the test user exists only in an nss_wrapper passwd file there (smbd, smbpasswd
and smbstatus run with LD_PRELOAD=libnss_wrapper.so). Processes are stopped by the PID we started.

Used as a program (by tools/demo.sh):  smbfixture.py setup DIR PORT  -- writes DIR/smb.conf, the
nss_wrapper files and the passdb, and prints shell assignments (CONF=, SMB_USER=, ...).
"""
import os
import selectors
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

TEST_USER = "smbtest"
TEST_PASSWORD = "Pw-smbfuse.1"  # no ',' or '%': it is passed in -o lists and smbclient's -U user%pass
TEST_UID = 40123
TEST_GID = 40123
GUEST_UID = 65534
GUEST_GID = 65534
NSS_WRAPPER = "libnss_wrapper.so"

# Lines in smbd's log that fail the run unless a test allow-lists them.
SUSPICIOUS = re.compile(r"PANIC|smb_panic|INTERNAL ERROR|Assertion|ERROR: AddressSanitizer|"
                        r"runtime error:|segmentation fault|BACKTRACE", re.I)
# Sanitizer reports in the smbfuse daemon's stderr.
SANITIZER = re.compile(r"runtime error:|ERROR: AddressSanitizer|LeakSanitizer|"
                       r"ERROR: UndefinedBehaviorSanitizer|ThreadSanitizer")


def smbfuse_binary():
    """Path of the smbfuse binary: $SMBFUSE_BIN, default build/src/smbfuse in the repository."""
    return Path(os.environ.get("SMBFUSE_BIN") or REPO / "build" / "src" / "smbfuse")


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port, host="127.0.0.1"):
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def relay(a, b):
    """Copy bytes from socket a to socket b until a ends, then shut both down (a relay's one direction)."""
    try:
        while data := a.recv(65536):
            b.sendall(data)
    except OSError:
        pass
    for x in (a, b):
        try:
            x.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def wait_until(cond, timeout, interval=0.05, what="condition"):
    """Poll cond() until it is true; raise TimeoutError after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def in_fuse(pid):
    """True while pid sleeps in a FUSE request (waiting for the daemon's answer)."""
    try:
        with open(f"/proc/{pid}/stack") as f:
            return "request_wait_answer" in f.read()
    except OSError:
        return False


def _unescape_mountinfo(s):
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), s)


def mount_entry(path):
    """The /proc/self/mountinfo entry (dict) whose mount point is path, or None."""
    path = os.path.realpath(path)
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, _, right = line.partition(" - ")
            fields = left.split()
            if len(fields) >= 5 and _unescape_mountinfo(fields[4]) == path:
                r = right.split()
                return {"mountpoint": path, "fstype": r[0] if r else "",
                        "source": _unescape_mountinfo(r[1]) if len(r) > 1 else "",
                        "options": fields[5]}
    return None


def is_mounted(path):
    return mount_entry(path) is not None


def kill_pid(pid):
    """SIGKILL pid, stopped or not (SIGKILL ends a stopped process too: no SIGCONT needed, and one sent
    after it races the parent reaping the child). A process already gone is fine."""
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def stop_pid(proc, term_timeout=10.0):
    """SIGTERM a Popen we started, SIGKILL it after term_timeout; return its exit status."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(term_timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
    return proc.returncode


SAMBA422_SETUP = REPO / "tests" / "samba422" / "setup.sh"
CHROOT_RUN = REPO / "tests" / "samba422" / "chroot-run.sh"


def samba422_root():
    """The Samba 4.22 chroot built by tests/samba422/setup.sh, or None when it is not there."""
    root = Path(os.environ.get("SMBFUSE_SAMBA422_DIR", "/var/cache/smbfuse-tests/samba422")) / "root"
    return root if (root / "usr" / "sbin" / "smbd").exists() else None


class SambaServer:
    """A private smbd on 127.0.0.1. options: extra [global] parameters, e.g.
    {"server signing": "mandatory", "server min protocol": "NT1"}.

    root: run the Samba of a chroot (samba422_root()) instead of the host's; basedir must then lie inside
    it. Paths in smb.conf are the chroot's view of basedir; self.dir and the shares stay host paths, so
    tests look at the backing files directly."""

    def __init__(self, basedir, options=None, port=None, user=TEST_USER, password=TEST_PASSWORD,
                 uid=TEST_UID, gid=TEST_GID, root=None):
        self.dir = Path(basedir)
        self.root = Path(root) if root else None
        if self.root and not self.dir.is_relative_to(self.root):
            raise ValueError(f"{basedir} is not inside the chroot {root}")
        self.options = dict(options or {})
        self.port = port or free_port()
        self.user, self.password, self.uid, self.gid = user, password, uid, gid
        self.conf = self.dir / "smb.conf"
        self.log = self.dir / "smbd.log"
        self.stdout_log = self.dir / "smbd.stdout.log"
        self.proc = None
        self.shares = {
            "share": self.dir / "share",      # read-write, the test user
            "ro": self.dir / "ro",            # read-only share
            "guest": self.dir / "guest",      # guest ok, writable
        }
        self.backing = self.shares["share"]
        self.allowed_log_lines = []  # regexes that are not failures

    # --- environment --------------------------------------------------------------------------
    def inner(self, path):
        """path as smbd sees it: relative to the chroot's / when there is one."""
        return "/" + str(Path(path).relative_to(self.root)) if self.root else str(path)

    def cmd(self, argv):
        """argv to run a Samba program of this server (inside the chroot, in a mount namespace of its
        own: see tests/samba422/chroot-run.sh)."""
        if not self.root:
            return list(argv)
        return ["unshare", "--mount", "--propagation", "private", "--", str(CHROOT_RUN), str(self.root),
                *argv]

    @property
    def env(self):
        e = dict(os.environ)
        # _NO_WINBINDD (Samba's own switch): never ask a winbindd of the machine's (a test domain controller
        # once installed adds winbind to nsswitch.conf), which maps our user's SID to a uid of its own and
        # fails the logon.
        e.update(LD_PRELOAD=NSS_WRAPPER, NSS_WRAPPER_PASSWD=self.inner(self.dir / "passwd"),
                 NSS_WRAPPER_GROUP=self.inner(self.dir / "group"), _NO_WINBINDD="1")
        return e

    def version(self):
        """smbd --version, e.g. "Version 4.22.6-Debian-..."."""
        return subprocess.run(self.cmd(["smbd", "--version"]), capture_output=True, text=True,
                              timeout=60, check=True).stdout.strip()

    def _write_nss(self):
        (self.dir / "passwd").write_text(
            "root:x:0:0:root:/root:/bin/sh\n"
            f"{self.user}:x:{self.uid}:{self.gid}:smbfuse test:{self.inner(self.dir)}:/bin/false\n"
            f"nobody:x:{GUEST_UID}:{GUEST_GID}:nobody:/nonexistent:/bin/false\n")
        (self.dir / "group").write_text(
            f"root:x:0:\n{self.user}:x:{self.gid}:\nnogroup:x:{GUEST_GID}:\n")

    def write_config(self):
        d = self.dir
        for sub in ("private", "lock", "state", "cache", "pid", "ncalrpc", "binddns", "usershares"):
            (d / sub).mkdir(parents=True, exist_ok=True)
        (d / "private").chmod(0o700)
        for name, path in self.shares.items():
            path.mkdir(parents=True, exist_ok=True)
        os.chown(self.shares["share"], self.uid, self.gid)
        self.shares["share"].chmod(0o755)
        self.shares["ro"].chmod(0o755)
        self.shares["guest"].chmod(0o777)
        i = self.inner
        g = {
            "workgroup": "WORKGROUP",
            "netbios name": "SMBFUSETEST",
            "server role": "standalone server",
            "interfaces": "127.0.0.1",
            "bind interfaces only": "yes",
            "smb ports": str(self.port),
            "disable netbios": "yes",
            "private dir": i(d / "private"),
            "lock directory": i(d / "lock"),
            "state directory": i(d / "state"),
            "cache directory": i(d / "cache"),
            "pid directory": i(d / "pid"),
            "ncalrpc dir": i(d / "ncalrpc"),
            "binddns dir": i(d / "binddns"),
            "usershare path": i(d / "usershares"),
            "log file": i(self.log),
            "max log size": "0",
            "passdb backend": f"tdbsam:{i(d / 'private' / 'passdb.tdb')}",
            "load printers": "no",
            "printing": "bsd",
            "printcap name": "/dev/null",
            "disable spoolss": "yes",
            "map to guest": "Bad User",
            "guest account": "nobody",
            "unix password sync": "no",
            "obey pam restrictions": "no",
        }
        g.update(self.options)
        lines = ["[global]"] + [f"\t{k} = {v}" for k, v in g.items()]
        lines += ["", "[share]", f"\tpath = {i(self.shares['share'])}", "\tread only = no",
                  f"\tvalid users = {self.user}",
                  "", "[ro]", f"\tpath = {i(self.shares['ro'])}", "\tread only = yes",
                  "", "[guest]", f"\tpath = {i(self.shares['guest'])}", "\tread only = no",
                  "\tguest ok = yes", ""]
        self.conf.write_text("\n".join(lines))
        self._write_nss()
        r = subprocess.run(self.cmd(["testparm", "-s", i(self.conf)]), capture_output=True, text=True,
                           env=self.env, timeout=60)
        if r.returncode != 0:
            raise RuntimeError(f"testparm rejected {self.conf}:\n{r.stderr}")
        r = subprocess.run(self.cmd(["smbpasswd", "-c", i(self.conf), "-s", "-a", self.user]),
                           input=f"{self.password}\n{self.password}\n", capture_output=True,
                           text=True, env=self.env, timeout=60)
        if r.returncode != 0:
            raise RuntimeError(f"smbpasswd failed: {r.stdout}{r.stderr}")

    # --- life cycle ---------------------------------------------------------------------------
    def start(self, timeout=30):
        self.write_config()
        out = open(self.stdout_log, "ab")
        self.proc = subprocess.Popen(
            self.cmd(["smbd", "-F", "--no-process-group", "--debug-stdout", "-s", self.inner(self.conf)]),
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=self.env,
            # smbd signals its whole process group when it exits: give it its own session so that
            # group is smbd's and its children's, not ours.
            start_new_session=True)
        out.close()

        def ready():
            if self.proc.poll() is not None:
                raise RuntimeError(f"smbd exited with {self.proc.returncode}:\n{self.log_text()[-3000:]}")
            return port_open(self.port)
        wait_until(ready, timeout, what=f"smbd listening on 127.0.0.1:{self.port}")
        return self

    def stop(self):
        if self.proc is not None:
            stop_pid(self.proc)

    def log_text(self):
        text = ""
        for p in (self.stdout_log, self.log):
            if p.exists():
                text += p.read_text(errors="replace")
        return text

    def suspicious_log_lines(self):
        bad = []
        for line in self.log_text().splitlines():
            if SUSPICIOUS.search(line) and not any(re.search(a, line) for a in self.allowed_log_lines):
                bad.append(line)
        return bad

    # --- clients ------------------------------------------------------------------------------
    def smbclient(self, share, commands, user=None, password=None, extra=(), timeout=60, check=True):
        """Run smbclient -c COMMANDS against //127.0.0.1/SHARE; return CompletedProcess."""
        cred = ["-N"] if user == "" else ["-U", f"{user or self.user}%{password or self.password}"]
        # A chroot's server is asked with the chroot's smbclient (4.17's knows no POSIX extensions).
        cmd = self.cmd(["smbclient", f"//127.0.0.1/{share}", "-p", str(self.port), *cred, *extra, "-c",
                        commands])
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                           env={**os.environ, "LC_ALL": "C.UTF-8"})
        if check and r.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stdout}{r.stderr}")
        return r

    def smbstatus(self, *args):
        r = subprocess.run(self.cmd(["smbstatus", "-s", self.inner(self.conf), *args]), capture_output=True,
                           text=True, env=self.env, timeout=60)
        if r.returncode != 0:
            raise RuntimeError(f"smbstatus failed: {r.stderr}")
        return r.stdout


def parse_smbstatus_b(text):
    """Parse `smbstatus -b` output into a list of sessions:
    {pid, user, group, machine, protocol, encryption, signing}."""
    sessions = []
    for line in text.splitlines():
        if "(auth in progress)" in line:
            continue
        m = re.match(r"^(\d+)\s+(\S+)\s+(\S+)\s+(.+?)\s+(\S+)\s+(\S+)\s+(\S+)\s*$", line)
        if m:
            sessions.append(dict(zip(("pid", "user", "group", "machine", "protocol", "encryption",
                                      "signing"), m.groups())))
    return sessions


def negotiated(server, timeout=10, expect=1):
    """The sessions smbd currently has (see parse_smbstatus_b); waits until at least `expect` appear."""
    return wait_until(lambda: (lambda s: s if len(s) >= expect else None)(
        parse_smbstatus_b(server.smbstatus("-b"))), timeout, what="an SMB session in smbstatus -b")


def client_ports(pid, server_port):
    """Local TCP ports of process pid's connections to 127.0.0.1:server_port (from /proc)."""
    inodes = set()
    fd_dir = f"/proc/{pid}/fd"
    for fd in os.listdir(fd_dir):
        try:
            link = os.readlink(f"{fd_dir}/{fd}")
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    ports = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = open(table).read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            f = line.split()
            local, remote, inode = f[1], f[2], f[9]
            if inode in inodes and int(remote.rsplit(":", 1)[1], 16) == server_port:
                ports.append(int(local.rsplit(":", 1)[1], 16))
    return ports


def mount_sessions(server, mount, timeout=10):
    """The smbstatus -b sessions that belong to an smbfuse mount's connection(s)."""
    def find():
        ports = client_ports(mount.proc.pid, server.port)
        mine = [s for s in parse_smbstatus_b(server.smbstatus("-b"))
                if any(s["machine"].endswith(f":{p})") for p in ports)]
        return mine or None
    return wait_until(find, timeout, what=f"the session of smbfuse pid {mount.proc.pid} in smbstatus -b")


def signing_state(session):
    """smbstatus's Signing column: "-" none, "partial(ALG)" only the session setup was signed,
    "ALG" (e.g. AES-128-GMAC, HMAC-SHA256) every message is signed."""
    v = session["signing"]
    if v in ("-", ""):
        return "none"
    return "partial" if v.startswith("partial") else "full"


def signed(session):
    """True when the session signs every message."""
    return signing_state(session) == "full"


OMIT = object()  # Mount(opts={"port": OMIT}) leaves an option out


class Mount:
    """One smbfuse process in the foreground (-f) and its mount point.

    password_via: "option" (-o password=), "env" (PASSWD=), "credentials" (a 0600 file), None."""

    def __init__(self, server, mountpoint, share="share", opts=None, subdir=None, binary=None,
                 password_via="option", source=None, extra_args=(), workdir=None, env=None,
                 user=None, password=None):
        self.server = server
        self.mountpoint = Path(mountpoint)
        self.share = share
        self.binary = Path(binary or smbfuse_binary())
        self.workdir = Path(workdir or self.mountpoint.parent)
        self.stderr_path = self.workdir / (self.mountpoint.name + ".stderr")
        opts = dict(opts or {})
        user = user if user is not None else server.user
        password = password if password is not None else server.password
        o = {"port": str(server.port)}
        envx = dict(env or {})
        if "guest" not in opts:
            o["username"] = user
            if password_via == "option":
                o["password"] = password
            elif password_via == "env":
                envx["PASSWD"] = password
            elif password_via == "credentials":
                cred = self.workdir / (self.mountpoint.name + ".cred")
                cred.write_text(f"username={user}\npassword={password}\n")
                cred.chmod(0o600)
                o.pop("username")
                o["credentials"] = str(cred)
        o.update(opts)
        o = {k: v for k, v in o.items() if v is not OMIT}
        self.opts = o
        self.source = source or (f"//127.0.0.1/{share}" + (f"/{subdir}" if subdir else ""))
        optstr = ",".join(k if v is None or v is True else f"{k}={v}" for k, v in o.items())
        self.argv = [str(self.binary), self.source, str(self.mountpoint), "-f",
                     *(["-o", optstr] if optstr else []), *extra_args]
        self.env = {**os.environ, **sanitizer_env(), **envx}
        self.proc = None
        self.returncode = None

    def start(self, timeout=30):
        self.mountpoint.mkdir(parents=True, exist_ok=True)
        err = open(self.stderr_path, "ab")
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=err, stderr=err,
                                     env=self.env)
        err.close()

        def up():
            if is_mounted(self.mountpoint):
                return True
            if self.proc.poll() is not None:
                raise MountFailed(self, f"smbfuse exited with {self.proc.returncode} before mounting:\n"
                                  + self.stderr())
            return False
        try:
            wait_until(up, timeout, what=f"{self.mountpoint} in /proc/self/mountinfo")
        except TimeoutError:
            self.kill()
            raise MountFailed(self, f"mount did not appear within {timeout}s:\n{self.stderr()}")
        return self

    def stderr(self):
        return self.stderr_path.read_text(errors="replace") if self.stderr_path.exists() else ""

    def sanitizer_reports(self):
        return sanitizer_findings(self.stderr())

    def only_known_leak(self):
        """The daemon's only sanitizer finding is libfuse's own leak (known_libfuse_leak): LeakSanitizer
        then made it exit 1 although nothing of ours is wrong."""
        text = self.stderr()
        return "LeakSanitizer" in text and not sanitizer_findings(text)

    def unmount(self, timeout=30):
        """fusermount3 -u (retried while busy), then wait for the daemon; return its exit status."""
        if self.proc is None:
            return None
        deadline = time.monotonic() + timeout
        last = ""
        while is_mounted(self.mountpoint) and time.monotonic() < deadline:
            r = subprocess.run(["fusermount3", "-u", str(self.mountpoint)], capture_output=True,
                               text=True, timeout=30)
            if r.returncode == 0:
                break
            last = r.stderr
            if self.proc.poll() is not None:  # daemon died: the mount is dead, detach it
                subprocess.run(["fusermount3", "-u", "-z", str(self.mountpoint)], capture_output=True)
                break
            time.sleep(0.2)
        if is_mounted(self.mountpoint):
            subprocess.run(["fusermount3", "-u", "-z", str(self.mountpoint)], capture_output=True)
        try:
            self.proc.wait(max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.kill()
            raise MountFailed(self, f"smbfuse did not exit within {timeout}s of unmount "
                              f"(fusermount3: {last.strip()}); killed")
        self.returncode = self.proc.returncode
        return self.returncode

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        if is_mounted(self.mountpoint):
            subprocess.run(["fusermount3", "-u", "-z", str(self.mountpoint)], capture_output=True)


class Capture:
    """tshark on lo for one TCP port, into a pcap file; started once dumpcap says it is capturing."""

    def __init__(self, port, path):
        self.path, self.port = path, port
        # -P -l: also print each packet as it is captured, so the test can see the capture has begun.
        self.p = subprocess.Popen(["tshark", "-i", "lo", "-B", "64", "-f", f"tcp port {port}", "-w", str(path),
                                   "-P", "-l"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        # "Capturing on" can come before packets are really taken: knock on the port until tshark prints one.
        sel = selectors.DefaultSelector()
        sel.register(self.p.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and self.p.poll() is None:
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
            if sel.select(timeout=0.5):
                self.p.stdout.readline()
                break
        else:
            raise RuntimeError("tshark captured nothing")
        sel.close()
        self.lines, self._cv = [], threading.Condition()
        threading.Thread(target=self._drain, daemon=True).start()  # so tshark never blocks on its stdout

    def _drain(self):
        for line in self.p.stdout:
            with self._cv:
                self.lines.append(line)
                self._cv.notify_all()

    def stop(self):
        """Stop once tshark has taken every packet so far: knock once more and wait until it prints that
        connection (it handles packets in order), since SIGINT drops what it has not yet processed."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as k:
            mark = re.compile(rf"\b{k.getsockname()[1]}\b.*\b{self.port}\b")
        with self._cv:
            if not self._cv.wait_for(lambda: any(mark.search(x) for x in self.lines), timeout=30):
                raise RuntimeError("tshark did not see the final knock")
        self.p.send_signal(signal.SIGINT)
        self.p.wait(timeout=30)

    def fields(self, display_filter, *fields):
        """One list of field values per packet matching display_filter, in wire order. A packet may hold
        several SMB messages: each field then has one value per message, comma-separated."""
        # smbd listens on a test port, which tshark decodes as SMB only when told (NBSS framing).
        r = subprocess.run(["tshark", "-r", str(self.path), "-d", f"tcp.port=={self.port},nbss", "-Y", display_filter,
                            "-T", "fields", *[a for f in fields for a in ("-e", f)], "-E", "occurrence=a"],
                           capture_output=True, text=True, timeout=120, check=True)
        return [line.split("\t") for line in r.stdout.splitlines()]

    def max_outstanding(self, command):
        """Most requests of command on the wire at once: requests seen minus their (same MID) responses."""
        rows = self.fields(f"smb.cmd == 0x{command:02x}", "smb.mid", "smb.flags.response", "smb.cmd")
        out, most, reqs, rsps = set(), 0, 0, 0
        # A frame may hold several SMB messages (and other commands): its fields list one value per message.
        for row in rows:
            mids, flags, cmds = (f.split(",") for f in row)
            for mid, rsp, cmd in zip(mids, flags, cmds):
                if int(cmd, 0) != command:
                    continue
                if rsp in ("1", "True"):
                    out.discard(mid)
                    rsps += 1
                else:
                    out.add(mid)
                    reqs += 1
                    most = max(most, len(out))
        return most, reqs, rsps


class MountFailed(Exception):
    def __init__(self, mount, msg):
        super().__init__(msg)
        self.mount = mount


def known_libfuse_leak(block):
    """A LeakSanitizer record of libfuse 3.14's own leak: an INTERRUPT whose request was already answered
    waits on the session's interrupt list for a next request, and fuse_session_destroy never frees that
    list (lib/fuse_lowlevel.c: do_interrupt, check_interrupt). Recognised by its stack: after the
    allocator, only libfuse's and libc's frames (the worker thread), none of ours; any frame of smbfuse's
    keeps the record a finding."""
    frames = [l.strip() for l in block if re.match(r"\s*#\d+ ", l)]
    if len(frames) < 2 or "alloc" not in frames[0]:
        return False
    return all("libfuse3.so" in f or "libc.so" in f or re.search(r" in (start_thread|clone3?) ", f)
               for f in frames[1:]) and any("libfuse3.so" in f for f in frames[1:])


def sanitizer_findings(text):
    """The sanitizer report lines of a daemon's stderr, without known_libfuse_leak records (and without
    LeakSanitizer's header and summary when those were its only records)."""
    lines = text.splitlines()
    out, leaks, i = [], 0, 0
    while i < len(lines):
        if re.match(r"(Direct|Indirect) leak of ", lines[i]):
            j = i + 1
            while j < len(lines) and lines[j].strip():
                j += 1
            if not known_libfuse_leak(lines[i + 1:j]):
                leaks += 1
                out.append(lines[i])
            i = j
            continue
        out.append(lines[i])
        i += 1
    if leaks == 0:
        out = [l for l in out if "LeakSanitizer: detected memory leaks" not in l and
               not re.search(r"SUMMARY: AddressSanitizer: \d+ byte\(s\) leaked", l)]
    return [l for l in out if SANITIZER.search(l)]


def sanitizer_env():
    return {
        "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS",
                                       "detect_leaks=1:abort_on_error=0:print_summary=1"),
        "UBSAN_OPTIONS": os.environ.get("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=0"),
    }


def _cli(argv):
    if len(argv) == 3 and argv[0] == "setup":
        srv = SambaServer(argv[1], port=int(argv[2]))
        srv.write_config()
        env = srv.env
        print(f"CONF={srv.conf}\nSMB_USER={srv.user}\nSMB_PASSWORD={srv.password}\n"
              f"SHARE_DIR={srv.backing}\nNSS_WRAPPER_PASSWD={env['NSS_WRAPPER_PASSWD']}\n"
              f"NSS_WRAPPER_GROUP={env['NSS_WRAPPER_GROUP']}\nLOG={srv.log}")
        return 0
    if len(argv) == 1 and argv[0] == "free-port":
        print(free_port())
        return 0
    print("usage: smbfixture.py setup DIR PORT | free-port", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(_cli(sys.argv[1:]))
