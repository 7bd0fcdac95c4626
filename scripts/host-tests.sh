#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Build and run the host tests of libbyteor (tests/host/*.c and the lane
# suite tests/lanes/*_xproc.c, userspace backing).  Each program runs under a timeout; its TAP output is shown as
# is; the run ends with exactly one summary line
#     N passed, N failed[, N skipped]
# and exits non-zero if anything failed, crashed, timed out or did not
# report every planned test.
#
#   scripts/host-tests.sh                 plain build
#   SAN=asan scripts/host-tests.sh        AddressSanitizer + UBSan build
#   SAN=tsan scripts/host-tests.sh        ThreadSanitizer build
#   HOST_TEST_TIMEOUT=600 ...             seconds per program (default 300)
#   scripts/host-tests.sh region_claims   only the programs named
#
# As root it reserves 2 MiB hugepages (vm.nr_hugepages >= 64) for the
# hugetlbfs test variants and restores the old value at exit; without them
# those variants SKIP with the reason.
set -uo pipefail

cd "$(dirname "$0")/.."
SAN=${SAN:-}
BUILD=${BUILD:-$PWD/build}
TIMEOUT=${HOST_TEST_TIMEOUT:-300}
export BUILD

passed=0
failed=0
skipped=0

summary() {
	if [ "$skipped" -gt 0 ]; then
		echo "$passed passed, $failed failed, $skipped skipped"
	else
		echo "$passed passed, $failed failed"
	fi
}

# Runs of this script may overlap (several checkouts, several users): the
# first one to raise vm.nr_hugepages records the old value, the last one to
# finish puts it back.  Shared lock while running; whoever can upgrade it to
# exclusive at exit is the last.
HP_STATE=/run/byteor-host-tests.hugepages
HP_LOCK=/run/byteor-host-tests.lock
hp_locked=
reserve_hugepages() {
	local f=/proc/sys/vm/nr_hugepages cur
	[ "$(id -u)" = 0 ] && [ -w "$f" ] && [ -d /run ] || return 0
	exec 9>>"$HP_LOCK" || return 0
	flock -s 9 || return 0
	hp_locked=1
	cur=$(cat "$f")
	if [ "$cur" -lt 64 ]; then
		# Record the pre-test value once (a noclobber create is atomic).
		( set -C; echo "$cur" > "$HP_STATE" ) 2>/dev/null || true
		echo 64 > "$f" 2>/dev/null || true
	fi
}
restore_hugepages() {
	[ -n "$hp_locked" ] || return 0
	if flock -x -n 9; then
		if [ -f "$HP_STATE" ]; then
			cat "$HP_STATE" > /proc/sys/vm/nr_hugepages 2>/dev/null || true
			rm -f "$HP_STATE"
		fi
	fi
	exec 9>&-
	hp_locked=
}
trap restore_hugepages EXIT
reserve_hugepages

# ThreadSanitizer needs a memory layout some kernels' ASLR (large
# mmap_rnd_bits) breaks: run without address randomisation where we can.
runner=()
if [ "$SAN" = tsan ] && setarch "$(uname -m)" -R true 2>/dev/null; then
	runner=(setarch "$(uname -m)" -R)
fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:exitcode=86}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:exitcode=87}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:exitcode=88:second_deadlock_stack=1}

# Listed before the build: whatever is listed is built (or the build fails).
programs=$(make --no-print-directory -s -C tests/host SAN="$SAN" list)
if [ $# -gt 0 ]; then
	sel=
	for p in $programs; do
		for want in "$@"; do
			[ "$(basename "$p")" = "$want" ] && sel="$sel $p"
		done
	done
	programs=$sel
fi

if ! make --no-print-directory -C tests/host SAN="$SAN"; then
	echo "# build failed"
	failed=1
	summary
	exit 1
fi

# Count one program's TAP; a program that exits non-zero without a failed
# test line, or reports fewer tests than it planned, counts as failed.
tally() {
	local log=$1 rc=$2 name=$3 plan ok notok skip
	plan=$(sed -n 's/^1\.\.\([0-9]\+\)$/\1/p' "$log" | head -n1)
	ok=$(grep -cE '^ok [0-9]+' "$log")
	skip=$(grep -cE '^ok [0-9]+.*# SKIP' "$log")
	notok=$(grep -cE '^not ok [0-9]+' "$log")
	passed=$((passed + ok - skip))
	skipped=$((skipped + skip))
	failed=$((failed + notok))
	if [ -n "$plan" ] && [ $((ok + notok)) -lt "$plan" ]; then
		echo "# $name: $((plan - ok - notok)) planned tests never reported (exit status $rc)"
		failed=$((failed + plan - ok - notok))
	elif [ -z "$plan" ] && [ $((ok + notok)) -eq 0 ]; then
		echo "# $name: no TAP output (exit status $rc)"
		failed=$((failed + 1))
	elif [ "$rc" -ne 0 ] && [ "$notok" -eq 0 ]; then
		echo "# $name: exit status $rc with no failed test (sanitizer report, crash or timeout?)"
		failed=$((failed + 1))
	fi
}

log=$(mktemp)
trap 'rm -f "$log"; restore_hugepages' EXIT
for p in $programs; do
	name=$(basename "$p")
	echo "# ---- $name${SAN:+ (SAN=$SAN)}"
	timeout -k 10 "$TIMEOUT" "${runner[@]}" "$p" > "$log" 2>&1 9>&-
	rc=$?
	cat "$log"
	[ "$rc" -eq 124 ] && echo "# $name: timed out after ${TIMEOUT}s"
	tally "$log" "$rc" "$name"
done

summary
[ "$failed" -eq 0 ]
