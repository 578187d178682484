"""Self-tests of the Samba 4.22 fixture (posix_server): it is really 4.22, serves from its chroot, and offers
the SMB 3.1.1 POSIX extensions. They need only the chroot, not smbfuse."""
import os
import re

import smbfixture as sf


def test_posix_server_is_samba_422(posix_server):
    assert re.match(r"Version 4\.22\.", posix_server.version()), posix_server.version()
    assert posix_server.dir.is_relative_to(posix_server.root)
    assert "smb3 unix extensions = yes" in posix_server.conf.read_text()


def test_posix_server_offers_posix_extensions(posix_server):
    name = f"posix-{os.getpid()}.txt"
    p = posix_server.backing / name
    p.write_text("x")
    os.chown(p, posix_server.uid, posix_server.gid)
    # smbclient's "posix" fails unless the server offered the POSIX negotiate context; once on, names are
    # case-sensitive, so the upper-case name no longer finds the file.
    r = posix_server.smbclient("share", f"ls {name.upper()}")
    assert name in r.stdout
    r = posix_server.smbclient("share", f"posix; ls {name.upper()}", check=False)
    assert "NT_STATUS_NO_SUCH_FILE" in r.stdout + r.stderr, r.stdout + r.stderr
    p.unlink()


def test_posix_server_without_extensions_refuses_posix(samba_server, posix_server):
    plain = samba_server(root=posix_server.root)
    r = plain.smbclient("share", "posix", check=False)
    assert r.returncode != 0 and "doesn't support UNIX" in r.stdout + r.stderr, r.stdout + r.stderr


def test_chroot_mounts_do_not_leak(posix_server):
    # /proc, /dev and /sys of the chroot are mounted only in smbd's own mount namespace.
    with open("/proc/self/mountinfo") as f:
        assert str(posix_server.root) not in f.read()
    assert sf.port_open(posix_server.port)
