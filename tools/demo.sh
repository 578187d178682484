#!/bin/bash
# smbfuse demo: build, start a throwaway Samba server on 127.0.0.1, mount one of its shares.
#
#   tools/demo.sh          build (release, in build/), start Samba, mount; prints where and how to stop.
#                          Run again while the demo is up, it says so and prints that again.
#   tools/demo.sh stop     unmount, stop that smbd (by its PID file), remove the demo directory
#
# The build and apt-get show one progress line; their output goes to $LOG_FILE, whose end is shown
# when they fail.
#
# Everything lives in one directory (default /tmp/smbfuse-demo, or $SMBFUSE_DEMO_DIR): smb.conf, Samba's
# state and logs, the share's files, the mount point. The SMB user exists only in an nss_wrapper passwd
# file there; nothing else on the machine changes (except packages, when run as root on a machine that
# lacks them).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
PY=/usr/bin/python3
DEMO=${SMBFUSE_DEMO_DIR:-/tmp/smbfuse-demo}
BUILD=${BUILD:-build}
BIN=$REPO/$BUILD/src/smbfuse
MNT=$DEMO/mnt
NSS_LIB=libnss_wrapper.so
LOG_FILE=${TMPDIR:-/tmp}/smbfuse-demo-build.log

say() { printf '%s\n' "$*"; }
die() { printf 'demo: %s\n' "$*" >&2; exit 1; }

is_mounted() { awk -v m="$1" '$5 == m { found = 1 } END { exit !found }' /proc/self/mountinfo; }

wait_for() { # wait_for SECONDS DESCRIPTION COMMAND...: poll COMMAND until it succeeds
    local secs=$1 what=$2 deadline
    shift 2
    deadline=$(($(date +%s) + secs))
    until "$@"; do
        [ "$(date +%s)" -lt "$deadline" ] || die "timed out after ${secs}s waiting for $what"
        sleep 0.1
    done
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

stop() {
    [ -d "$DEMO" ] || { say "no demo running ($DEMO does not exist)"; return 0; }
    if is_mounted "$MNT"; then
        fusermount3 -u "$MNT" || fusermount3 -u -z "$MNT"
        say "unmounted $MNT"
    fi
    local pidfile=$DEMO/pid/smbd.pid
    if [ -f "$pidfile" ]; then
        local pid
        pid=$(cat "$pidfile")
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid"
            local deadline=$(($(date +%s) + 10))
            while kill -0 "$pid" 2>/dev/null && [ "$(date +%s)" -lt "$deadline" ]; do sleep 0.1; done
            kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
            say "stopped smbd (pid $pid)"
        fi
    fi
    rm -rf "$DEMO"
    say "removed $DEMO"
}

install_packages() {
    local need=()
    command -v smbd >/dev/null || [ -x /usr/sbin/smbd ] || need+=(samba)
    command -v smbclient >/dev/null || need+=(smbclient)
    command -v fusermount3 >/dev/null || need+=(fuse3)
    command -v meson >/dev/null || need+=(meson)
    command -v ninja >/dev/null || need+=(ninja-build)
    command -v pkg-config >/dev/null || need+=(pkg-config)
    command -v cc >/dev/null || need+=(gcc)
    pkg-config --exists fuse3 2>/dev/null || need+=(libfuse3-dev)
    pkg-config --exists openssl 2>/dev/null || need+=(libssl-dev)
    pkg-config --exists glib-2.0 2>/dev/null || need+=(libglib2.0-dev)
    compgen -G "/usr/lib/*/$NSS_LIB" >/dev/null || compgen -G "/usr/lib/$NSS_LIB" >/dev/null || need+=(libnss-wrapper)
    [ ${#need[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        die "missing packages: ${need[*]} (as root: apt-get install ${need[*]})"
    fi
    say "== installing ${need[*]} (log: $LOG_FILE)"
    quietly env DEBIAN_FRONTEND=noninteractive apt-get update -q
    quietly env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}"
}

# Run a command with its output appended to $LOG_FILE; on failure show the end of the log and exit.
quietly() {
    if ! "$@" >>"$LOG_FILE" 2>&1; then
        printf 'demo: failed: %s\n--- the last lines of %s:\n' "$*" "$LOG_FILE" >&2
        tail -n 40 "$LOG_FILE" >&2
        exit 1
    fi
}

# meson and ninja with one progress line ("[123/361]") instead of a line per step.
build() {
    local line rc
    if [ -f "$BUILD/build.ninja" ]; then
        quietly meson setup --reconfigure "$BUILD" --buildtype=release
    else
        quietly meson setup "$BUILD" --buildtype=release
    fi
    set +e
    ninja -C "$BUILD" 2>&1 | tee -a "$LOG_FILE" | while IFS= read -r line; do
        if [ -t 1 ] && [[ $line =~ ^\[([0-9]+)/([0-9]+)\] ]]; then
            printf '\r== building (%s, release): %s/%s' "$BUILD" "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
        fi
    done
    rc=${PIPESTATUS[0]}
    set -e
    if [ -t 1 ]; then printf '\n'; fi
    if [ "$rc" -ne 0 ]; then
        printf 'demo: the build failed; the last lines of %s:\n' "$LOG_FILE" >&2
        grep -v '^\[[0-9]*/[0-9]*\] ' "$LOG_FILE" | tail -n 40 >&2
        exit 1
    fi
    say "== built $BIN (log: $LOG_FILE)"
}

# Where the demo is and how to reach it, from what start() saved in $DEMO/demo.env.
show() {
    # shellcheck disable=SC1091
    . "$DEMO/demo.env"
    cat <<EOF

smbfuse is mounted:
  mount point   $MNT
  share         //127.0.0.1/share on port $PORT
  credentials   user $SMB_USER, password $SMB_PASSWORD (the demo's own: the user exists only in $DEMO)
  server files  $SHARE_DIR      (what you write through the mount appears here)
  Samba log     $LOG

Try:
  ls -l $MNT && cat $MNT/WELCOME.txt
  echo hello > $MNT/hello.txt && ls -l $SHARE_DIR
  smbclient //127.0.0.1/share -p $PORT -U '$SMB_USER%$SMB_PASSWORD' -c ls

Unmount and stop everything:
  tools/demo.sh stop        (or just unmount: fusermount3 -u $MNT)
EOF
}

start() {
    [ "$(id -u)" -eq 0 ] || die "run as root: smbd must switch to the demo user (state stays in $DEMO)"
    if [ -d "$DEMO" ]; then
        if is_mounted "$MNT" && [ -f "$DEMO/demo.env" ]; then
            say "the demo is already running (started earlier; nothing was changed)"
            show
            return 0
        fi
        die "$DEMO exists but nothing is mounted at $MNT (a demo that stopped half way?); run: tools/demo.sh stop"
    fi
    : >"$LOG_FILE"
    install_packages
    build
    if [ ! -x "$BIN" ]; then
        die "the smbfuse binary is missing ($BIN): the daemon is not built by this checkout yet; nothing was started"
    fi

    say "== starting a throwaway Samba server on 127.0.0.1"
    mkdir -p "$DEMO"
    chmod 755 "$DEMO"
    local port
    port=$("$PY" tests/integration/smbfixture.py free-port)
    eval "$("$PY" tests/integration/smbfixture.py setup "$DEMO" "$port")"
    printf 'Welcome to the smbfuse demo share.\nThis file lives in %s on the server side.\n' \
        "$SHARE_DIR" >"$SHARE_DIR/WELCOME.txt"
    chmod 644 "$SHARE_DIR/WELCOME.txt"
    chown --reference="$SHARE_DIR" "$SHARE_DIR/WELCOME.txt"  # the SMB user may edit it
    LD_PRELOAD=$NSS_LIB NSS_WRAPPER_PASSWD=$NSS_WRAPPER_PASSWD NSS_WRAPPER_GROUP=$NSS_WRAPPER_GROUP \
        smbd -D -s "$CONF"
    wait_for 30 "smbd on 127.0.0.1:$port" port_open "$port"

    say "== mounting //127.0.0.1/share on $MNT"
    mkdir -p "$MNT"
    if ! PASSWD=$SMB_PASSWORD "$BIN" //127.0.0.1/share "$MNT" -o "port=$port,username=$SMB_USER"; then
        say "smbfuse failed to mount; Samba's log: $LOG" >&2
        stop >/dev/null
        exit 1
    fi
    wait_for 30 "the mount at $MNT" is_mounted "$MNT"
    printf 'PORT=%q\nSMB_USER=%q\nSMB_PASSWORD=%q\nSHARE_DIR=%q\nLOG=%q\n' \
        "$port" "$SMB_USER" "$SMB_PASSWORD" "$SHARE_DIR" "$LOG" >"$DEMO/demo.env"
    chmod 600 "$DEMO/demo.env"
    show
}

case "${1:-start}" in
start) start ;;
stop) stop ;;
*) die "usage: tools/demo.sh [start|stop]" ;;
esac
