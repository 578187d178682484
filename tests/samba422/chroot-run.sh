#!/bin/sh
# chroot-run.sh ROOT CMD [ARG...]: run CMD inside the Samba 4.22 chroot ROOT (tests/samba422/setup.sh) with
# /dev, /proc and /sys mounted. Run it under `unshare --mount` (smbfixture.py does): the mounts then live
# in a namespace of their own and vanish with its last process, so a crashed or killed test run leaves no
# mount behind. The namespace starts as a copy of the host's; copies of FUSE mounts (other test runs'
# mounts) are dropped at once, because a copy would keep such a mount's daemon alive after its own unmount.
set -e
R=$1
shift
sed -n 's/^[^ ]* [^ ]* [^ ]* [^ ]* \([^ ]*\) .* - fuse[^ ]* .*/\1/p' /proc/self/mountinfo |
    while read -r m; do umount -l "$m" 2>/dev/null || true; done
mount --rbind /dev "$R/dev"
mount -t proc proc "$R/proc"
mount --rbind /sys "$R/sys"
exec chroot "$R" "$@"
