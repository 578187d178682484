#!/bin/bash
# The whole test suite: the C unit suites and the integration tests, under AddressSanitizer and
# UndefinedBehaviorSanitizer, after installing what tests/packages.txt lists and the machine lacks. This
# is the README's test command and what .ci/run runs.
#
#   tests/run-all.sh                 everything
#   tests/run-all.sh -m "not heavy"  extra arguments go to the integration pytest run
#
# Environment:
#   BUILD_DIR               sanitizer build directory (default build-asan; reused when present)
#   SMBFUSE_REQUIRE_BINARY  1: a missing smbfuse binary fails the integration tests instead of skipping
#                           them. Default: 1 exactly when meson defines the smbfuse target (src/main.c
#                           exists), because then the build above must have produced it; 0 before that.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
BUILD_DIR=${BUILD_DIR:-build-asan}
started=$(date +%s)
failed=()

step() { printf '\n=== %s\n' "$*"; }

# What a fresh Debian 12 machine lacks (tests/packages.txt): installed here when we are root, so that this
# one command works for a newcomer and for CI alike; otherwise the apt-get line to run is printed.
mapfile -t packages < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' tests/packages.txt)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -ne 0 ]; then
    step "install missing packages: ${missing[*]}"
    if [ "$(id -u)" -ne 0 ]; then
        echo "run as root, or first: apt-get install ${missing[*]}" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q "${missing[@]}"
fi

# The second test server: Samba 4.22 in a chroot (tests/samba422/setup.sh), built once and cached. The POSIX
# extension tests need it; they skip without it, except under CI=true, where they fail.
step "Samba 4.22 test server (tests/samba422/setup.sh)"
t0=$(date +%s)
tests/samba422/setup.sh || failed+=("tests/samba422/setup.sh")
echo "samba422 stage: $(($(date +%s) - t0)) s"

step "configure $BUILD_DIR (-Db_sanitize=address,undefined)"
if [ -f "$BUILD_DIR/build.ninja" ]; then
    meson setup --reconfigure "$BUILD_DIR" -Db_sanitize=address,undefined
else
    meson setup "$BUILD_DIR" -Db_sanitize=address,undefined
fi

step "build"
ninja -C "$BUILD_DIR"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:print_summary=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

step "C unit tests (meson test)"
if ! meson test -C "$BUILD_DIR" --print-errorlogs; then
    failed+=("meson test")
fi

# Runs pytest; exit 5 (no tests collected) counts as a failure: a suite that runs nothing proves nothing.
run_pytest() {
    local name=$1
    shift
    local rc=0
    "$PY" -m pytest "$@" || rc=$?
    if [ "$rc" -eq 5 ]; then
        echo "$name: pytest collected no tests" >&2
        failed+=("$name (no tests collected)")
    elif [ "$rc" -ne 0 ]; then
        failed+=("$name (pytest exit $rc)")
    fi
}

# The fs layer's own pytest tests: tests/unit/fs/meson.build runs them inside `meson test` (with the
# environment they need); run them here only if a layer has pytest files that meson does not run.
if compgen -G "tests/unit/fs/test_*.py" >/dev/null && ! grep -qs "pytest" tests/unit/fs/meson.build; then
    step "fs layer pytest tests (tests/unit/fs)"
    SMBFUSE_BUILD_DIR="$PWD/$BUILD_DIR" run_pytest "tests/unit/fs" -v tests/unit/fs
fi

export SMBFUSE_BIN="$PWD/$BUILD_DIR/src/smbfuse"
if [ -z "${SMBFUSE_REQUIRE_BINARY:-}" ]; then
    if meson introspect "$BUILD_DIR" --targets | "$PY" -c \
        'import json,sys; sys.exit(0 if any(t["name"] == "smbfuse" for t in json.load(sys.stdin)) else 1)'; then
        SMBFUSE_REQUIRE_BINARY=1
    else
        SMBFUSE_REQUIRE_BINARY=0
    fi
fi
export SMBFUSE_REQUIRE_BINARY
step "integration tests (SMBFUSE_BIN=$SMBFUSE_BIN, SMBFUSE_REQUIRE_BINARY=$SMBFUSE_REQUIRE_BINARY)"
run_pytest "tests/integration" -v tests/integration "$@"

elapsed=$(($(date +%s) - started))
if [ ${#failed[@]} -ne 0 ]; then
    printf '\nFAILED after %ss: %s\n' "$elapsed" "${failed[*]}" >&2
    exit 1
fi
printf '\nall test suites passed in %ss\n' "$elapsed"
