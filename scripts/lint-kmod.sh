#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Lint byteor.ko: checkpatch.pl --strict on every kmod/ source and on the
# uapi header, then a sparse (C=2: every file) W=1 build against the
# headers of each test kernel.  Any finding fails: exit status 1.
#
#   bash scripts/lint-kmod.sh            (make lint)
#   KVERS="6.12" bash scripts/lint-kmod.sh
#
# Needs scripts/deps.sh to have run (checkpatch.pl and its spelling.txt /
# const_structs.checkpatch in build/kernels/ksrc/, kernel headers, sparse).
set -euo pipefail

cd "$(dirname "$0")/.."
BUILD=${BUILD:-$PWD/build}
KVERS=${KVERS:-6.1 6.1-rt 6.12}
CHECKPATCH=$BUILD/kernels/ksrc/checkpatch.pl
fail=0

die() { echo "lint-kmod: $*" >&2; exit 1; }

[ -f "$CHECKPATCH" ] || die "$CHECKPATCH missing: run scripts/deps.sh"
command -v sparse >/dev/null || die "sparse missing: run scripts/deps.sh"

# checkpatch finds spelling.txt and const_structs.checkpatch beside itself.
# Run from the repository root: it recognises uapi headers by their path
# (include/uapi/) and spares them the kernel-only suggestions (BIT()).
checkpatch() {
	perl "$CHECKPATCH" --strict --no-tree --no-summary --terse \
		--show-types --color=never "$@"
}

for f in kmod/*.c kmod/*.h; do
	ignore=()
	case $f in
	kmod/byteor_compat.h)
		# The compat header exists to test kernel versions: the module
		# is built out of tree for several kernels (docs/design.md section 5).
		# Nowhere else may use LINUX_VERSION_CODE.
		ignore=(--ignore LINUX_VERSION_CODE)
		;;
	kmod/byteor_trace.h)
		# TRACE_EVENT's own layout, as in the kernel's
		# include/trace/events/*.h: each part opens a line.
		ignore=(--ignore OPEN_ENDED_LINE,PARENTHESIS_ALIGNMENT)
		;;
	esac
	checkpatch "${ignore[@]}" -f "$f" || fail=1
done

# The uapi header is also compiled by userspace (C and C++), so:
#  CAMELCASE   _Static_assert is the C11 keyword, not a name we chose;
#  ARRAY_SIZE  is kernel-internal, not available to a uapi header.
checkpatch --ignore CAMELCASE,ARRAY_SIZE -f include/uapi/byteor.h || fail=1

# One version: include/byteor/common.h's is the module's (MODULE_VERSION,
# checked in each build below) and dkms.conf's.
version=$(sed -n 's/^#define BYTEOR_VERSION_\(MAJOR\|MINOR\|PATCH\)[[:space:]]*\([0-9]*\).*/\2/p' \
	include/byteor/common.h | paste -sd. -)
dkms=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' kmod/dkms.conf)
if [ "$dkms" != "$version" ]; then
	echo "lint-kmod: kmod/dkms.conf PACKAGE_VERSION $dkms, the project is $version" >&2
	fail=1
fi

for k in $KVERS; do
	rel=$(cat "$BUILD/kernels/$k/release" 2>/dev/null) ||
		die "no kernel release for $k: run scripts/deps.sh"
	kdir=/usr/src/linux-headers-$rel
	[ -d "$kdir" ] || die "$kdir missing: run scripts/deps.sh"
	out=$BUILD/lint-kmod-$k
	log=$out.log
	rm -rf "$out"
	if ! make --no-print-directory -C kmod KDIR="$kdir" O_KMOD="$out" \
		C=2 W=1 >"$log" 2>&1; then
		cat "$log"
		echo "lint-kmod: build for $k ($rel) failed" >&2
		fail=1
		continue
	fi
	# gcc and sparse both say "warning:" or "error:"; anything is a finding.
	if grep -E 'warning:|error:' "$log"; then
		echo "lint-kmod: sparse/compiler findings for $k ($rel)" >&2
		fail=1
	else
		echo "lint-kmod: $k ($rel): build with C=2 W=1 clean"
	fi
	modver=$(/sbin/modinfo -F version "$out/byteor.ko" 2>/dev/null || true)
	if [ "$modver" != "$version" ]; then
		echo "lint-kmod: $k: byteor.ko's version is '$modver', the project's $version" >&2
		fail=1
	fi
done

if [ "$fail" -ne 0 ]; then
	echo "lint-kmod: FAILED" >&2
	exit 1
fi
echo "lint-kmod: checkpatch --strict and sparse clean"
