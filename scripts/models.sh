#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Run the spin models of models/*.pml exhaustively, each in two variants
# (and any further must-fail variant a model names in its header):
# -DTODAY (the protocol as today's code has it: spin must report an error,
# which shows the model can see the defect) and the fixed protocol (spin
# must report none).  One line per model and variant, then "N passed, N
# failed"; exit 1 on any failure.  Work files under $BUILD/models/.
#
#   scripts/models.sh            every model
#   scripts/models.sh spsc mpsc  some of them
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
out=${BUILD:-$top/build}/models
command -v spin >/dev/null || { echo "models: spin missing; run 'make deps'" >&2; exit 1; }
mkdir -p "$out"

# pan's options: depth bound well above the models' longest runs; memory
# compressed states (-DCOLLAPSE) to stay small beside the other tests.
PAN_CC=(-O2 -w -DSAFETY -DCOLLAPSE -DMEMLIM=2048)
PAN_RUN=(-m200000)

names=("$@")
if [ ${#names[@]} -eq 0 ]; then
	for f in "$top"/models/*.pml; do names+=("$(basename "$f" .pml)"); done
fi

passed=0
failed=0
for m in "${names[@]}"; do
	# A model may name further variants spin must find an error in:
	# a header line " * models.sh: must-fail -DNAME".
	extra=$(sed -nE 's/^ \* models\.sh: must-fail -D([A-Za-z0-9_]+).*/\1/p' "$top/models/$m.pml")
	for variant in today fixed $extra; do
		dir=$out/$m-$variant
		rm -rf "$dir"
		mkdir -p "$dir"
		def=()
		must_fail=
		case $variant in
		today) def=(-DTODAY); must_fail=1 ;;
		fixed) ;;
		*) def=("-D$variant"); must_fail=1 ;;
		esac
		start=$(date +%s)
		if ! (cd "$dir" && spin "${def[@]}" -a "$top/models/$m.pml" >spin.log 2>&1 &&
		      cc "${PAN_CC[@]}" -o pan pan.c >cc.log 2>&1 &&
		      ./pan "${PAN_RUN[@]}" >pan.log 2>&1; true); then
			:
		fi
		secs=$(( $(date +%s) - start ))
		errors=$(sed -nE 's/.*errors: ([0-9]+).*/\1/p' "$dir/pan.log" 2>/dev/null | head -n1)
		states=$(sed -nE 's/^ *([0-9]+) states, stored.*/\1/p' "$dir/pan.log" 2>/dev/null | head -n1)
		what=$(grep -m1 -oE 'assertion violated .*|invalid end state' "$dir/pan.log" 2>/dev/null)
		incomplete=
		grep -qE 'max search depth too small|out of memory' "$dir/pan.log" 2>/dev/null && incomplete=1
		if [ -z "$errors" ]; then
			verdict="FAIL (no verdict: see $dir)"
			failed=$((failed + 1))
		elif [ -n "$must_fail" ] && [ "$errors" -gt 0 ]; then
			verdict="ok   (defect found: ${what:-error})"
			passed=$((passed + 1))
		elif [ -n "$must_fail" ]; then
			verdict="FAIL (no defect found: the model does not see it)"
			failed=$((failed + 1))
		elif [ "$errors" -eq 0 ] && [ -z "$incomplete" ]; then
			verdict="ok   (no error, ${states} states)"
			passed=$((passed + 1))
		elif [ "$errors" -eq 0 ]; then
			verdict="FAIL (search incomplete: see $dir/pan.log)"
			failed=$((failed + 1))
		else
			verdict="FAIL (${what:-error}: see $dir/pan.log)"
			failed=$((failed + 1))
		fi
		printf 'models: %-10s %-7s %3ss  %s\n' "$m" "$variant" "$secs" "$verdict"
	done
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
