#!/bin/bash
# Builds (once) a pristine `debootstrap --variant=minbase bookworm` tree, kept as a tarball, for the Debian
# package test (tests/integration/test_debian_package.py): each run unpacks a fresh copy, so the package is
# installed into a system that never saw smbfuse or its dependencies.
#
#   tests/debian/clean-chroot.sh     build if missing or stale; print the tarball's path on the last line
#
# Environment: SMBFUSE_CLEAN_CHROOT (default /var/cache/smbfuse-tests/bookworm-minbase.tar). Rebuilt when
# STAMP changes. Needs root and debootstrap (tests/packages.txt).
set -euo pipefail
STAMP="v1 bookworm minbase"
TAR=${SMBFUSE_CLEAN_CHROOT:-/var/cache/smbfuse-tests/bookworm-minbase.tar}
started=$(date +%s)

if [ -f "$TAR" ] && [ "$(cat "$TAR.stamp" 2>/dev/null)" = "$STAMP" ]; then
    echo "clean-chroot: cached $TAR"
    echo "$TAR"
    exit 0
fi
[ "$(id -u)" -eq 0 ] || { echo "clean-chroot: needs root" >&2; exit 1; }
# The same archive as the host's, as tests/samba422/setup.sh does.
mirror=$(sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n1)
mirror=${mirror:-http://deb.debian.org/debian}
mkdir -p "$(dirname "$TAR")"
tmp=$(mktemp -d "$(dirname "$TAR")/clean-chroot.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
debootstrap --variant=minbase bookworm "$tmp/root" "$mirror" >"$tmp/debootstrap.log" 2>&1 || {
    tail -n 30 "$tmp/debootstrap.log" >&2
    exit 1
}
# Package scripts must not start services in the chroot (policy-rc.d: 101 = action forbidden).
printf '#!/bin/sh\nexit 101\n' >"$tmp/root/usr/sbin/policy-rc.d"
chmod +x "$tmp/root/usr/sbin/policy-rc.d"
chroot "$tmp/root" apt-get clean
tar -C "$tmp/root" -cf "$tmp/root.tar" .
mv "$tmp/root.tar" "$TAR"
echo "$STAMP" >"$TAR.stamp"
echo "clean-chroot: built $TAR in $(($(date +%s) - started)) s"
echo "$TAR"
