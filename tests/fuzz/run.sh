#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded time and fails (non-zero) on any
# crash, leak, hang, out-of-memory or sanitizer report.
#
#   run.sh FUZZER WORKDIR DICT SEED_DIR...
#
# FUZZ_SECONDS (default 25) bounds the run. New inputs go to WORKDIR/corpus,
# never into the seed directories (they are the source tree); a failing input
# is left in WORKDIR/artifacts/ and its path printed, to be rerun with
# `FUZZER FILE` and, once fixed, added to tests/fuzz/corpus/<target>/.
# Every seed runs first, so the committed reproducers are regression tests.
set -euo pipefail

fuzzer=$1
work=$2
dict=$3
shift 3
seconds=${FUZZ_SECONDS:-25}

mkdir -p "$work/corpus" "$work/artifacts"
seeds=()
for d in "$@"; do
	if [ -d "$d" ]; then seeds+=("$d"); fi
done
opts=(
	-max_total_time="$seconds"
	-timeout=10         # one input running this long is a hang
	-rss_limit_mb=2048  # and using this much memory, a leak or a bomb
	-max_len=65536
	-print_final_stats=1
	-artifact_prefix="$work/artifacts/"
)
if [ -n "$dict" ]; then opts+=(-dict="$dict"); fi

# Sanitizer reports are fatal; leaks are checked after every input.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:strict_string_checks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"

echo "fuzz: $(basename "$fuzzer") for ${seconds}s, seeds: ${seeds[*]:-none}"
rc=0
"$fuzzer" "${opts[@]}" "$work/corpus" "${seeds[@]}" 2>"$work/log" || rc=$?
# The log is long (a line per new input); show its end, which holds the
# report and the stats, and all of it when the run failed.
if [ "$rc" -ne 0 ]; then
	cat "$work/log"
	echo "fuzz: $(basename "$fuzzer") FAILED (exit $rc); artifacts:" "$work"/artifacts/*
	exit 1
fi
grep -E '^(#[0-9]+.*DONE|Done|stat::)' "$work/log" || tail -n 5 "$work/log"
