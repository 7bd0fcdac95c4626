#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# byteor's Debian packages: build them, check them with lintian, and (unless
# --build) install them into a clean Debian 12 root and check what an
# operator gets.
#
#   scripts/deb-test.sh --build    `make deb`: libbyteor1, libbyteor-dev,
#                                  byteor-tools, byteor-dkms into build/deb/
#                                  (dpkg-buildpackage -us -uc -b in a copy of
#                                  the tree: the checkout stays clean), then
#                                  lintian on the .changes (warnings fail)
#   scripts/deb-test.sh            `make deb-test`: the above, then in a copy
#                                  of a pristine bookworm root: install the
#                                  four packages, dkms build for every kernel
#                                  whose headers the host has (6.1 and 6.12),
#                                  the README example built with
#                                  pkg-config --cflags --libs libbyteor,
#                                  byteorctl runs (apply included), purge
#                                  leaves no file behind
#
# The clean root: BYTEOR_DEB_ROOT if set, else /var/tmp/fresh.pristine if
# present, else one made once with debootstrap from the mirror of the
# machine's apt sources, cached in /var/cache/byteor/bookworm-root.  It is
# copied (cp -a) to a temporary directory and never changed itself.
# Needs root for the chroot part.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$top/build}
out=$BUILD/deb
say() { echo "deb-test: $*"; }
die() { echo "deb-test: $*" >&2; exit 1; }

version=$(awk '$1 == "#define" && $2 ~ /^BYTEOR_VERSION_(MAJOR|MINOR|PATCH)$/ {
	v = v s $3; s = "." } END { print v }' "$top/include/byteor/common.h")
[ -n "$version" ] || die "no version in include/byteor/common.h"

# --- build ---------------------------------------------------------------------
build() {
	local src=$out/byteor-$version cl
	cl=$(dpkg-parsechangelog -l "$top/debian/changelog" -S Version)
	[ "$cl" = "$version" ] ||
		die "debian/changelog is at $cl, include/byteor/common.h at $version: add a changelog entry"
	rm -rf "$out"
	mkdir -p "$src"
	# The files of the checkout, committed or not (ignored ones left out).
	if git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		(cd "$top" && git ls-files -z -co --exclude-standard |
			tar --null -T - -cf -) | tar -xf - -C "$src"
	else
		tar -C "$top" --exclude=./build -cf - . | tar -xf - -C "$src"
	fi
	say "dpkg-buildpackage in $src"
	(cd "$src" && dpkg-buildpackage -us -uc -b) >"$out/build.log" 2>&1 ||
		{ tail -n 40 "$out/build.log" >&2; die "dpkg-buildpackage failed (log: $out/build.log)"; }
	rm -rf "$src"
	ls "$out"/*.deb >/dev/null
	say "lintian"
	# Every tag is fixed or overridden with its reason (debian/*.lintian-overrides).
	lintian --fail-on error,warning --info --display-info \
		"$out"/byteor_"${version}"_*.changes | tee "$out/lintian.log"
	say "packages in $out:"
	(cd "$out" && ls -1 ./*.deb)
}

build
[ "${1:-}" = --build ] && exit 0
