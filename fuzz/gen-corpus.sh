#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Make the committed seed corpus of each target (fuzz/corpus/<target>):
# seeds (region_header: the headers of real regions of every kind, written
# by the target itself with BYTEOR_FUZZ_SEEDS), a short fuzz run from them
# (GEN_S seconds, default 30), then a merge that keeps only inputs adding
# edge coverage (-use_counters=0 keeps the set to a few dozen files).
#
#   fuzz/gen-corpus.sh [target ...]
set -euo pipefail

cd "$(dirname "$0")/.."
BUILD=${BUILD:-$PWD/build}
GEN_S=${GEN_S:-30}
export ASAN_OPTIONS=detect_leaks=0
make --no-print-directory -C fuzz
if [ $# -gt 0 ]; then
	targets=("$@")
else
	mapfile -t targets < <(make --no-print-directory -s -C fuzz list | xargs -n1 basename)
fi
for t in "${targets[@]}"; do
	bin=$BUILD/fuzz/$t
	tmp=$BUILD/fuzz/gen/$t
	rm -rf "$tmp"
	mkdir -p "$tmp/run" "$tmp/merged" "fuzz/corpus/$t"
	[ "$t" = region_header ] && BYTEOR_FUZZ_SEEDS=$tmp/run "$bin"
	cp fuzz/corpus/"$t"/* "$tmp/run"/ 2>/dev/null || true
	"$bin" -max_total_time="$GEN_S" -max_len=512 "$tmp/run" >"$tmp/log" 2>&1
	"$bin" -merge=1 -use_counters=0 -use_value_profile=0 \
		"$tmp/merged" "$tmp/run" >>"$tmp/log" 2>&1
	rm -f fuzz/corpus/"$t"/*
	cp "$tmp/merged"/* "fuzz/corpus/$t"/
	echo "gen-corpus: $t: $(ls "fuzz/corpus/$t" | wc -l) inputs"
done
