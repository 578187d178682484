"""Secrets (issue 10): no copy of the password in the daemon's memory, no hash in its core, not dumpable.

The daemon keeps only the NT hash, in pages marked MADV_DONTDUMP. Checked two ways, after the mount is up
and again after a forced reconnect (the serving smbd child killed, as in test_reconnect.py): every
readable mapping read through /proc/PID/mem (as root) holds neither the password nor, outside those
pages, its hash; and a core written by gcore holds neither."""
import hashlib
import os
import resource
import shutil
import subprocess

import pytest

import smbfixture as sf
from conftest import DIALECTS
from test_cache import stats

WAYS = ("option", "env", "credentials")
BIG = 64 << 20  # dd mappings this large are ASan's shadow: no data of ours, and terabytes to read
# gdb writes ASan's terabytes of shadow into a core (it does not skip them as the kernel would), so under
# ASan only the live scan runs; elsewhere a core this large means something is wrong, and must not fill
# the disk.
CORE_MAX = 2 << 30


def nt_hash(password):
    # MD4 is not in every OpenSSL's default provider (hashlib may refuse it); the daemon's own is checked
    # against MS-NLMP's vector in tests/unit, so compute it here from first principles only if needed.
    try:
        return hashlib.new("md4", password.encode("utf-16-le")).digest()
    except ValueError:
        return md4(password.encode("utf-16-le"))


def md4(msg):
    def rotl(x, s):
        return ((x << s) | (x >> (32 - s))) & 0xFFFFFFFF
    h = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476]
    n = len(msg)
    msg += b"\x80" + b"\0" * ((55 - n) % 64) + (8 * n).to_bytes(8, "little")
    for off in range(0, len(msg), 64):
        x = [int.from_bytes(msg[off + 4 * i:off + 4 * i + 4], "little") for i in range(16)]
        a, b, c, d = h
        for i in range(16):
            a, b, c, d = d, rotl((a + ((b & c) | (~b & d)) + x[i]) & 0xFFFFFFFF, (3, 7, 11, 19)[i % 4]), b, c
        for i in range(16):
            k = (0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15)[i]
            a, b, c, d = d, rotl((a + ((b & c) | (b & d) | (c & d)) + x[k] + 0x5A827999) & 0xFFFFFFFF,
                                 (3, 5, 9, 13)[i % 4]), b, c
        for i in range(16):
            k = (0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15)[i]
            a, b, c, d = d, rotl((a + (b ^ c ^ d) + x[k] + 0x6ED9EBA1) & 0xFFFFFFFF, (3, 9, 11, 15)[i % 4]), b, c
        h = [(v + w) & 0xFFFFFFFF for v, w in zip(h, (a, b, c, d))]
    return b"".join(v.to_bytes(4, "little") for v in h)


def mappings(pid):
    """(start, end, perms, name, vmflags) of each mapping, from /proc/PID/smaps."""
    out = []
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            head = line.split()
            if "-" in head[0] and len(head) >= 5 and not head[0].endswith(":"):
                lo, hi = (int(v, 16) for v in head[0].split("-"))
                out.append([lo, hi, head[1], head[5] if len(head) > 5 else "", set()])
            elif head[0] == "VmFlags:" and out:
                out[-1][4] = set(head[1:])
    return out


def scan_memory(pid, needles):
    """{needle: [(address, vmflags)]} over every readable mapping of pid, read live through /proc/PID/mem."""
    hits = {n: [] for n in needles}
    with open(f"/proc/{pid}/mem", "rb", buffering=0) as mem:
        for lo, hi, perms, name, flags in mappings(pid):
            if "r" not in perms or name == "[vvar]" or ("dd" in flags and hi - lo > BIG):
                continue
            for off in range(lo, hi, 16 << 20):
                n = min(16 << 20, hi - off)
                try:
                    mem.seek(off)
                    chunk = mem.read(n + 64 if off + n < hi else n)  # a little overlap for needles across chunks
                except OSError:
                    break
                for needle in needles:
                    i = chunk.find(needle)
                    while 0 <= i < n:
                        hits[needle].append((off + i, flags))
                        i = chunk.find(needle, i + 1)
    return hits


def sanitized(pid):
    with open(f"/proc/{pid}/maps") as f:
        return "libasan" in f.read()


def limit_core_size():
    resource.setrlimit(resource.RLIMIT_FSIZE, (CORE_MAX, CORE_MAX))


def gcore(pid, path):
    if not shutil.which("gcore"):
        pytest.skip("gdb not installed (apt-get install gdb)")
    r = subprocess.run(["gcore", "-o", str(path), str(pid)], capture_output=True, text=True, timeout=300,
                       preexec_fn=limit_core_size)
    core = path.parent / f"{path.name}.{pid}"
    assert r.returncode == 0 and core.exists(), r.stdout + r.stderr
    return core


def file_contains(path, needles):
    found = set()
    with open(path, "rb") as f:
        prev = b""
        while True:
            block = f.read(16 << 20)
            if not block:
                return found
            buf = prev + block
            found |= {n for n in needles if n in buf}
            prev = buf[-64:]


def asan_environ_copy(pid, addr):
    """Whether the hit at addr is "PASSWD=<password>" in the copy of /proc/self/environ that the
    sanitizer runtime reads before main and keeps (sanitizer_common's GetEnv): not ours to wipe, and
    absent from a plain build (checked there by this same test)."""
    with open(f"/proc/{pid}/mem", "rb", buffering=0) as mem:
        mem.seek(addr - 8)
        return mem.read(8) in (b"\0PASSWD=", b"\nPASSWD=")


def check_no_secret(m, tmp_path, tag):
    """The whole check: live memory, then a gcore core."""
    pid = m.proc.pid
    pw = m.server.password
    plain = {pw.encode(): "UTF-8", pw.encode("utf-16-le"): "UTF-16LE"}
    h = nt_hash(pw)
    hits = scan_memory(pid, [*plain, h])
    if sanitized(pid):
        hits[pw.encode()] = [(a, f) for a, f in hits[pw.encode()] if not asan_environ_copy(pid, a)]
    for needle, enc in plain.items():
        assert not hits[needle], f"{tag}: the password ({enc}) is in the daemon's memory at " + \
            ", ".join(f"{a:#x}" for a, _ in hits[needle][:5])
    # The hash is there (a reconnect needs it), but only in pages that no core includes.
    assert hits[h], f"{tag}: the NT hash was not found at all: is the scan reading the daemon's memory?"
    outside = [a for a, flags in hits[h] if "dd" not in flags]
    assert not outside, f"{tag}: the NT hash outside MADV_DONTDUMP memory at " + \
        ", ".join(f"{a:#x}" for a in outside[:5])

    if sanitized(pid):
        return
    core = gcore(pid, tmp_path / f"core-{tag}")
    try:
        found = file_contains(core, [*plain, h])
        assert not found, f"{tag}: gcore's core holds " + ", ".join(
            plain.get(n, "the NT hash") for n in found)
    finally:
        core.unlink()


def reconnect(server, m):
    old = int(sf.mount_sessions(server, m)[0]["pid"])
    sf.kill_pid(old)
    # A new name cannot come from the kernel's caches: the daemon must rebuild the session to create it.
    sf.wait_until(lambda: not os.path.exists(f"/proc/{old}"), 10, what=f"smbd child {old} to exit")
    (m.path / "after-reconnect").write_text("x")
    assert (m.backing / "after-reconnect").read_text() == "x"
    new = int(sf.mount_sessions(server, m)[0]["pid"])
    assert new != old


@pytest.mark.parametrize("dialect", list(DIALECTS))
@pytest.mark.parametrize("way", WAYS)
def test_no_password_in_memory(samba_server, mount, tmp_path, way, dialect):
    server_opts, mount_opts = DIALECTS[dialect]
    srv = samba_server(**{k.replace(" ", "_"): v for k, v in server_opts.items()})
    m = mount(srv=srv, opts=mount_opts, password_via=way)
    (m.path / "before").write_text("x")
    check_no_secret(m, tmp_path, f"{way}-{dialect}-mounted")
    reconnect(srv, m)
    check_no_secret(m, tmp_path, f"{way}-{dialect}-reconnected")


def dumpable_flag(m):
    """PR_GET_DUMPABLE as the daemon itself sees it (`process.dumpable` of --stats): nothing outside the
    process shows the flag to root, and denial to another process of the same user needs a non-root
    daemon. (Asking through gdb's inferior call crashed the daemon on kernel 6.18: "Couldn't write
    extended state status".)"""
    return stats(m)["process.dumpable"]


def test_not_dumpable_by_default(mount):
    m = mount()
    assert dumpable_flag(m) == 0


def test_dumpable_option_allows_debugging(mount):
    m = mount(opts={"dumpable": True})
    assert dumpable_flag(m) == 1
