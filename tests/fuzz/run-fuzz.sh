#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build every libFuzzer harness (clang, -fsanitize=fuzzer,address,undefined in build-fuzz/) and run each
# for a number of executions, one at a time on one core at nice 19, seeded from tests/vectors (hex files,
# turned into binary seeds) or the harness's own corpus directory. Prints a table: harness, executions,
# seconds, coverage (edges) and corpus size at the end, crashes. Crash inputs are kept as files under
# BUILD/fuzz-out/HARNESS/ (libFuzzer's crash-*, leak-*, timeout-* names); the corpus grows in
# BUILD/fuzz-out/HARNESS/corpus and is reused by the next run.
#
#   tests/fuzz/run-fuzz.sh [-runs=N] [-time=SECONDS] [-slow=SECONDS] [-build=DIR] [HARNESS...]
#
# -runs: executions per harness (default 10,000,000). -time: also stop each harness after this many
# seconds (default: no limit). -slow: the limit for the harnesses that drive the whole client over
# loopback (fuzz_ops_names, fuzz_rx: tens to thousands of executions a second; default 600). HARNESS:
# names such as fuzz_create or create (default: every fuzz_* executable of the build). Exit status 1 if
# any crashed, 2 if the build failed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
runs=10000000
time=0
slow=600
build="$src/build-fuzz"
names=()
for a in "$@"; do
	case "$a" in
	-runs=*) runs=${a#-runs=} ;;
	-time=*) time=${a#-time=} ;;
	-slow=*) slow=${a#-slow=} ;;
	-build=*) build=${a#-build=} ;;
	-h | --help)
		sed -n '3,18p' "$0"
		exit 0
		;;
	*) names+=("fuzz_${a#fuzz_}") ;;
	esac
done

command -v clang >/dev/null || {
	echo "run-fuzz: clang is needed (apt-get install clang libclang-rt-14-dev)" >&2
	exit 2
}
if [ ! -d "$build" ]; then
	CC=clang nice -n 19 meson setup "$build" "$src" -Dfuzz=true -Db_sanitize=address,undefined >/dev/null ||
		exit 2
fi
all=$(ninja -C "$build" -t targets all | sed -n 's,^\(tests/fuzz/fuzz_[a-z0-9_]*\): c_LINKER.*,\1,p' |
	grep -v '/fuzz_replay_' | sort -u)
if [ ${#names[@]} -eq 0 ]; then
	targets=$all
else
	targets=$(printf 'tests/fuzz/%s\n' "${names[@]}")
fi
# shellcheck disable=SC2086
nice -n 19 ninja -C "$build" -j2 $targets >/dev/null || {
	echo "run-fuzz: build failed (ninja -C $build)" >&2
	exit 2
}

# Hex vector files (tests/vectors format, '#' lines are comments) into binary seeds in dir.
seed_hex() {
	local dir=$1
	shift
	local f
	for f in "$@"; do
		[ -f "$f" ] || continue
		grep -v '^#' "$f" | tr -cd '0-9a-fA-F' | xxd -r -p >"$dir/$(basename "$f" .hex)"
	done
}

# The seeds of a harness: the vectors its replay test runs (see meson.build).
seeds() {
	local h=$1 dir=$2 v=$src/tests/vectors
	case "$h" in
	fuzz_nb_* | fuzz_nbss_* | fuzz_nbns_* | fuzz_smb1_* | fuzz_smb_mp_*) seed_hex "$dir" "$v"/nb*.hex "$v"/smb1_*.hex ;;
	fuzz_ntlmssp | fuzz_spnego) seed_hex "$dir" "$v"/spnego_*.hex "$v"/ntlm_*.hex ;;
	fuzz_dcerpc) seed_hex "$dir" "$v"/dcerpc_*.hex ;;
	fuzz_dnssrv) seed_hex "$dir" "$v"/dns_*.hex ;;
	fuzz_ops_names) seed_hex "$dir" "$here"/ops_names/*.hex ;;
	fuzz_rx*) seed_hex "$dir" "$here"/rx/*.hex ;;
	fuzz_dfs_names) seed_hex "$dir" "$here"/dfs_names/*.hex ;;
	*) seed_hex "$dir" "$v"/smb2_*.hex ;;
	esac
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
out="$build/fuzz-out"
crashed=0
rows=()
echo "run-fuzz: $(date -u '+%Y-%m-%d %H:%M') UTC, -runs=$runs -time=$time -slow=$slow, logs in $out/HARNESS/log"
for t in $targets; do
	h=$(basename "$t")
	d="$out/$h"
	mkdir -p "$d/corpus" "$d/seeds"
	seeds "$h" "$d/seeds"
	limit=$time
	case "$h" in fuzz_ops_names | fuzz_rx) [ "$time" != 0 ] || limit=$slow ;; esac
	start=$(date +%s.%N)
	# -jobs=1 -workers=1: one fuzzing process on one core; its output goes to fuzz-0.log in the cwd.
	(cd "$d" && rm -f fuzz-0.log &&
		nice -n 19 "$build/$t" -runs="$runs" -max_total_time="$limit" -jobs=1 -workers=1 \
			-artifact_prefix="$d/" -print_final_stats=1 "$d/corpus" "$d/seeds" >/dev/null 2>&1)
	end=$(date +%s.%N)
	log="$d/log"
	mv -f "$d/fuzz-0.log" "$log" 2>/dev/null || : >"$log"
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	# the last status line ("#N DONE cov: X ft: Y corp: A/B ...", or the last before a crash)
	last=$(grep -E '^#[0-9]+' "$log" | tail -1)
	cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
	corp=$(sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p' <<<"$last")
	[ -n "$execs" ] || execs=$(sed -n 's/^#\([0-9]*\).*/\1/p' <<<"$last")
	n=$(find "$d" -maxdepth 1 \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
	[ "$n" -eq 0 ] || crashed=1
	row=$(printf '%-24s %12s %8.0f %8s %8s %8s' "$h" "${execs:-?}" "$(awk "BEGIN{print $end - $start}")" \
		"${cov:-?}" "${corp:-?}" "$n")
	rows+=("$row")
	echo "$row"
done
echo
printf '%-24s %12s %8s %8s %8s %8s\n' harness executions seconds cov corpus crashes
printf '%s\n' "${rows[@]}"
[ $crashed -eq 0 ] || echo "run-fuzz: crash inputs kept in $out/*/ (crash-*, leak-*, timeout-*)"
exit $crashed
