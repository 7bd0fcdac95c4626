#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The libFuzzer targets of fuzz/ (built by fuzz/Makefile into build/fuzz).
#
#   scripts/fuzz.sh corpus          each target over its committed corpus
#                                   (fuzz/corpus/<target>) only: seconds,
#                                   fails on any crash (make fuzz-corpus)
#   scripts/fuzz.sh run             each target for FUZZ_S seconds, from its
#                                   corpus, into a scratch copy (make fuzz);
#                                   prints executions and coverage per
#                                   target and the total executions
#   scripts/fuzz.sh run single_ring ...   only the targets named
#
# FUZZ_S (default 240) is per target; with the default the total is above
# 10^7 executions on the 2-vCPU development machine (region_header runs at
# about 40k/s, the lane targets at about 2k/s: they attach per input).
# A crash leaves its input in build/fuzz/crashes/<target>/ and fails the run;
# fuzz/crashes/<target>/ is where a crash input is kept once reported.
set -uo pipefail

cd "$(dirname "$0")/.."
BUILD=${BUILD:-$PWD/build}
FUZZ_S=${FUZZ_S:-240}
mode=${1:-corpus}
shift || true
export BUILD

make --no-print-directory -C fuzz || exit 1
if [ $# -gt 0 ]; then
	targets=("$@")
else
	mapfile -t targets < <(make --no-print-directory -s -C fuzz list | xargs -n1 basename)
fi

# Inputs longer than a target reads are wasted mutations.
max_len() {
	case $1 in
	region_header) echo 512 ;;
	*) echo 256 ;;
	esac
}

# Leak checking is off: a target keeps its producer and region for the
# whole process by design.
opts=(-timeout=10 -rss_limit_mb=1024 -print_final_stats=1)
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

failed=0
total=0
for t in "${targets[@]}"; do
	bin=$BUILD/fuzz/$t
	corpus=fuzz/corpus/$t
	log=$BUILD/fuzz/$t.log
	art=$BUILD/fuzz/crashes/$t/
	mkdir -p "$art"
	[ -x "$bin" ] || { echo "fuzz: no target $t" >&2; exit 1; }
	if [ "$mode" = corpus ]; then
		# -runs=0: run every input of the corpus once, mutate nothing.
		"$bin" "${opts[@]}" -runs=0 -artifact_prefix="$art" "$corpus" \
			>"$log" 2>&1
		rc=$?
		n=$(find "$corpus" -type f | wc -l)
		if [ $rc -ne 0 ]; then
			echo "fuzz-corpus: $t: FAILED over $n inputs (log $log)"
			tail -n 40 "$log"
			failed=$((failed + 1))
		else
			echo "fuzz-corpus: $t: $n inputs, no crash"
		fi
		continue
	fi
	work=$BUILD/fuzz/work/$t
	rm -rf "$work"
	mkdir -p "$work"
	cp "$corpus"/* "$work"/ 2>/dev/null
	"$bin" "${opts[@]}" -max_total_time="$FUZZ_S" -max_len="$(max_len "$t")" \
		-artifact_prefix="$art" "$work" >"$log" 2>&1
	rc=$?
	execs=$(awk '/stat::number_of_executed_units/ { print $2 }' "$log" | tail -n1)
	cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$log" | tail -n1)
	execs=${execs:-0}
	total=$((total + execs))
	printf 'fuzz: %-14s %10s executions in %ss  %s\n' "$t" "$execs" "$FUZZ_S" "$cov"
	if [ $rc -ne 0 ]; then
		echo "fuzz: $t: CRASH (input in $art, log $log)"
		grep -A30 -m1 'ERROR\|lane fuzz:\|region_header:\|runtime error' "$log"
		failed=$((failed + 1))
	fi
done
[ "$mode" = corpus ] || echo "fuzz: total $total executions"
exit $((failed > 0))
