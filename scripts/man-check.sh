#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The man pages of man/, checked (make man-check, part of make check):
#
#  1. every page renders with groff -ww -man without a warning, and every
#     .so link names a page that exists;
#  2. every function the public headers declare - each BYTEOR_API symbol
#     of include/byteor/*.h (the __byteor_* ones the inline hot paths call
#     included) and each public static inline byteor_* function - and
#     every symbol libbyteor.so exports has a page or a .so link of its
#     own name in man/man3, and the page it leads to names it in NAME (so
#     whatis and apropos find it too);
#  3. `make install DESTDIR=...` installs every page under $(mandir), man(1)
#     finds every function and every installed program there, and `make
#     uninstall` removes them again.
#
# Exit 0 when all hold; otherwise each failure is printed and the exit is 1.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
fail=0
err() { echo "man-check: $*" >&2; fail=1; }

version=$(sed -n 's/^#define BYTEOR_VERSION_\(MAJOR\|MINOR\|PATCH\)[[:space:]]*\([0-9]*\).*/\2/p' \
	include/byteor/common.h | paste -sd. -)
pages=(man/man[0-9]/*.[0-9])
[ -e "${pages[0]}" ] || { err "no man pages under man/"; exit 1; }

# The target of a .so link page ("" for an ordinary page).
so_target() { sed -n '1s/^\.so[[:space:]]\{1,\}\([^[:space:]]*\).*/\1/p' "$1"; }

# The text of a page's NAME section, escapes removed.
name_section() {
	awk '/^\.SH/ { on = ($2 == "NAME") ; next } on' "$1" |
		sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\//g'
}

# --- 1. groff: no warning, links resolve ------------------------------------
rendered=0 links=0
for p in "${pages[@]}"; do
	t=$(so_target "$p")
	if [ -n "$t" ]; then
		links=$((links + 1))
		[ -f "man/$t" ] || err "$p: .so target man/$t does not exist"
		[ -z "$(so_target "man/$t" 2>/dev/null || true)" ] ||
			err "$p: .so target man/$t is itself a link"
		continue
	fi
	# -ww: every warning; -z: no output.  Run from man/ as man(1) would.
	out=$(cd man && LC_ALL=C.UTF-8 groff -ww -man -Tutf8 -z "${p#man/}" 2>&1) ||
		err "$p: groff failed"
	[ -z "$out" ] || err "$p: groff warnings:"$'\n'"$out"
	grep -q '^\.TH ' "$p" || err "$p: no .TH line"
	# One version for the project: the .TH source field names it.
	grep -q "^\.TH .* \"[a-z]* $version\"" "$p" ||
		err "$p: .TH does not name version $version (include/byteor/common.h)"
	for s in NAME SYNOPSIS DESCRIPTION; do
		case "$p" in
		man/man3/* | man/man4/*) ;;
		*) [ "$s" = SYNOPSIS ] && continue ;;
		esac
		grep -q "^\.SH $s\$" "$p" || err "$p: no $s section"
	done
	rendered=$((rendered + 1))
done

# --- 2. every public function has a page -------------------------------------
# BYTEOR_API declarations (a type may sit on the line before the name) and
# the public inline functions of the headers.
syms=$(perl -0777 -ne '
	s{/\*.*?\*/}{}gs;
	while (/\bBYTEOR_API\b[^;{(]*?\b(_*byteor_\w+)\s*[;(\[]/g) { print "$1\n" }
	while (/\b(?:static\s+inline|__BYTEOR_HOT)\b[^;{(]*?\b(byteor_\w+)\s*\(/g) { print "$1\n" }
' include/byteor/*.h | sort -u)
[ -n "$syms" ] || err "no BYTEOR_API function found in include/byteor/*.h"

covered() { # symbol: its page exists and names it
	local p=man/man3/$1.3 t
	[ -f "$p" ] || { err "$1: no page or link man/man3/$1.3"; return; }
	t=$(so_target "$p")
	[ -n "$t" ] && p=man/$t
	[ -f "$p" ] || return 0	# reported in part 1
	name_section "$p" | grep -qw -- "$1" ||
		err "$1: $p does not name it in its NAME section"
}
nsyms=0
for s in $syms; do
	covered "$s"
	nsyms=$((nsyms + 1))
done

# --- 3. make install / uninstall into a temporary DESTDIR ---------------------
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# mandir not the default, to show it is honoured.
mandir=/usr/local/man
mdir=$tmp$mandir
if ! make --no-print-directory install DESTDIR="$tmp" mandir="$mandir" \
	>"$tmp/install.log" 2>&1; then
	cat "$tmp/install.log" >&2
	err "make install DESTDIR=$tmp failed"
	exit 1
fi
for p in "${pages[@]}"; do
	cmp -s "$p" "$mdir/${p#man/}" || err "make install: ${p#man/} not installed under $mandir"
done

# The exported symbols of the library just built: each has a page too.
lib=$(ls "$tmp"/usr/local/lib/libbyteor.so.*.*.* 2>/dev/null | head -1 || true)
if [ -n "$lib" ]; then
	for s in $(nm -D --defined-only "$lib" | awk '$3 ~ /byteor_/ { sub(/@.*/, "", $3); print $3 }'); do
		grep -qx -- "$s" <<<"$syms" || covered "$s"
	done
else
	err "make install installed no libbyteor.so under $tmp/usr/local/lib"
fi

# man(1) finds every function in the installed tree, links resolved.
for s in $syms; do
	f=$(man -M "$mdir" -w 3 "$s" 2>/dev/null) ||
		{ err "man -w 3 $s: not found after make install"; continue; }
	case "$f" in "$mdir"/*) ;; *) err "man -w 3 $s: $f is not the installed page" ;; esac
done
for sect in 1 4 7 8; do
	for p in man/man$sect/*.$sect; do
		[ -e "$p" ] || continue
		n=$(basename "$p" ".$sect")
		man -M "$mdir" -w "$sect" "$n" >/dev/null 2>&1 ||
			err "man -w $sect $n: not found after make install"
	done
done
# Every program make install puts in bin/ has its page.
for b in "$tmp"/usr/local/bin/*; do
	[ -e "$b" ] || continue
	n=$(basename "$b")
	man -M "$mdir" -w "$n" >/dev/null 2>&1 ||
		err "$n is installed but has no man page (man -w $n)"
done
# MAN_DISABLE_SECCOMP: man-db's sandbox fails in some containers (CI).
out=$(MAN_DISABLE_SECCOMP=1 MANWIDTH=80 man -M "$mdir" -P cat 3 byteor_single_ring_send 2>&1) || true
grep -q 'byteor_single_ring_send' <<<"$out" ||
	err "man 3 byteor_single_ring_send does not render the installed page"

make --no-print-directory uninstall DESTDIR="$tmp" mandir="$mandir" >/dev/null 2>&1 ||
	err "make uninstall DESTDIR=$tmp failed"
left=$(find "$mdir" -type f 2>/dev/null | wc -l)
[ "$left" = 0 ] || err "make uninstall left $left man page(s) under $mdir"

if [ "$fail" = 0 ]; then
	echo "man-check: $rendered pages without a groff warning, $links links; $nsyms functions, each with a page; installed, found by man(1), uninstalled: ok"
fi
exit "$fail"
