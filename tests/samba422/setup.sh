#!/bin/bash
# Builds (once) the Samba 4.22 test server: a `debootstrap --variant=minbase bookworm` chroot with samba,
# smbclient and libnss-wrapper from bookworm-backports. Debian 12's own Samba (4.17) has no SMB 3.1.1 POSIX
# extensions and cannot be installed beside a second version, so the newer one lives in a chroot. The
# chroot shares the host's network namespace (smbd listens on 127.0.0.1) and its files are plain host
# files under the cache directory, so tests stat the share's backing files from outside.
#
#   tests/samba422/setup.sh          build if missing or stale, print the chroot path on the last line
#
# Environment: SMBFUSE_SAMBA422_DIR (default /var/cache/smbfuse-tests/samba422). The chroot is kept
# between runs and rebuilt when STAMP below changes (a new package list), so edit STAMP with the list.
# Needs root and debootstrap (tests/packages.txt); takes about 2 minutes on a clean machine.
set -euo pipefail
STAMP="v1 bookworm-backports samba smbclient libnss-wrapper procps"
DIR=${SMBFUSE_SAMBA422_DIR:-/var/cache/smbfuse-tests/samba422}
ROOT=$DIR/root
started=$(date +%s)

# The same archive as the host's (a mirror or snapshot the machine can reach), with backports added.
mirror=$(sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n1)
mirror=${mirror:-http://deb.debian.org/debian}

if [ -f "$DIR/stamp" ] && [ "$(cat "$DIR/stamp")" = "$STAMP" ] && [ -x "$ROOT/usr/sbin/smbd" ]; then
    echo "samba422: cached chroot $ROOT ($(chroot "$ROOT" smbd --version))"
    echo "$ROOT"
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "samba422: needs root to build the chroot in $DIR" >&2
    exit 1
fi
# A stale or half-built chroot: nothing may still be mounted in it before it is removed.
for m in proc sys dev; do
    mountpoint -q "$ROOT/$m" 2>/dev/null && umount -l "$ROOT/$m"
done
rm -rf "$DIR"
mkdir -p "$DIR"
tmp=$DIR/root.tmp
debootstrap --variant=minbase bookworm "$tmp" "$mirror" >"$DIR/debootstrap.log" 2>&1 || {
    tail -n 30 "$DIR/debootstrap.log" >&2
    exit 1
}
cat >"$tmp/etc/apt/sources.list.d/backports.list" <<EOT
deb $mirror bookworm-backports main
EOT
# Package scripts must not start smbd/nmbd in the chroot (policy-rc.d: 101 = action forbidden).
printf '#!/bin/sh\nexit 101\n' >"$tmp/usr/sbin/policy-rc.d"
chmod +x "$tmp/usr/sbin/policy-rc.d"
export DEBIAN_FRONTEND=noninteractive
chroot "$tmp" apt-get update -q >"$DIR/apt.log" 2>&1 &&
    chroot "$tmp" apt-get install -y -q --no-install-recommends -t bookworm-backports \
        samba smbclient libnss-wrapper procps >>"$DIR/apt.log" 2>&1 || {
    tail -n 30 "$DIR/apt.log" >&2
    exit 1
}
chroot "$tmp" apt-get clean
mv "$tmp" "$ROOT"
echo "$STAMP" >"$DIR/stamp"
echo "samba422: built $ROOT ($(chroot "$ROOT" smbd --version)) in $(($(date +%s) - started)) s"
echo "$ROOT"
