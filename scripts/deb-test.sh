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
# The clean root: BYTEOR_DEB_ROOT if set, else /var/tmp/fresh.pristine
# (BYTEOR_DEB_PRISTINE) if present, else one made once with debootstrap from the mirror of the
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

# --- the clean root ----------------------------------------------------------------
[ "$(id -u)" = 0 ] || die "the install test needs root (chroot, mounts)"
t0=$(date +%s)
cache=/var/cache/byteor
mirror() { # the bookworm mirror of the machine's apt sources
	# shellcheck disable=SC2016 # apt's own $(FIELD) syntax
	apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 2>/dev/null |
		awk '$2 == "bookworm" { print $1; exit }'
}
pristine=${BYTEOR_DEB_ROOT:-}
given=${BYTEOR_DEB_PRISTINE:-/var/tmp/fresh.pristine}
if [ -z "$pristine" ] && [ -d "$given/var/lib/dpkg" ]; then
	pristine=$given
fi
if [ -z "$pristine" ]; then
	pristine=$cache/bookworm-root
	if [ ! -e "$pristine/.complete" ]; then
		m=$(mirror)
		[ -n "$m" ] || die "no bookworm mirror in the apt sources"
		say "debootstrap bookworm from $m into $pristine (once)"
		rm -rf "$pristine"
		mkdir -p "$cache"
		debootstrap --variant=minbase bookworm "$pristine" "$m" \
			>"$cache/debootstrap.log" 2>&1 ||
			die "debootstrap failed (log: $cache/debootstrap.log)"
		touch "$pristine/.complete"
	fi
fi

root=$(mktemp -d /var/tmp/byteor-deb-test.XXXXXX)
mounts=()
cleanup() {
	local i
	for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
		umount "${mounts[i]}" 2>/dev/null || umount -l "${mounts[i]}" || true
	done
	# Never remove through a mount still in place (the headers are the host's).
	if findmnt -rn -o TARGET | grep -q "^$root"; then
		echo "deb-test: mounts left under $root; not removing it" >&2
	else
		rm -rf "$root"
	fi
}
trap cleanup EXIT
bind() { # src dst [ro]
	mkdir -p "$2"
	mount --bind ${3:+-o ro} "$1" "$2"
	mounts+=("$2")
}
say "copying the clean root $pristine"
cp -a "$pristine/." "$root/"
cp /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc" && mounts+=("$root/proc")
mkdir -p "$cache/apt-archives/partial"
bind "$cache/apt-archives" "$root/var/cache/apt/archives"
in_root() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 "$@"; }

# The kernels: those the tests run (build/kernels/<short>/release, from
# scripts/deps.sh, which also installs their headers on the host).
krels=()
for k in 6.1 6.12; do
	r=$(cat "$BUILD/kernels/$k/release" 2>/dev/null || true)
	if [ -z "$r" ] || [ ! -d "/usr/src/linux-headers-$r" ]; then
		die "no headers for the $k test kernel (run scripts/deps.sh)"
	fi
	krels+=("$r")
done
# The host's headers, read-only, where their packages put them: each
# linux-headers-<release> with the -common and kbuild trees it links to
# (/usr/lib/linux-kbuild-<series>).
for d in /usr/src/linux-headers-* /usr/src/linux-kbuild-* /usr/lib/linux-kbuild-*; do
	[ -d "$d" ] && bind "$d" "$root$d" ro
done
for r in "${krels[@]}"; do
	mkdir -p "$root/lib/modules/$r"
	ln -sfn "/usr/src/linux-headers-$r" "$root/lib/modules/$r/build"
done

say "installing what the packages depend on (apt, from the mirror)"
deps=$(for d in "$out"/*.deb; do dpkg-deb -f "$d" Depends; done | tr ',' '\n' |
	sed -E 's/\(.*\)//; s/\|.*//; s/\$\{[^}]*\}//; s/ //g' |
	grep -vE '^(libbyteor|byteor|$)' | sort -u)
# What the headers' own packages need to build a module (objtool's libelf,
# pahole, the compiler), from the host's dpkg: the headers are not
# installed in the root, only mounted.
hdeps=$(for r in "${krels[@]}"; do
		dpkg-query -W -f='${Depends}\n' "linux-headers-$r" 'linux-kbuild-*' \
			'linux-compiler-*' 2>/dev/null
	done | tr ',' '\n' | sed -E 's/\(.*\)//; s/\|.*//; s/ //g' |
	grep -vE '^(linux-|$)' | sort -u)
deps="$deps $hdeps"
in_root apt-get update -q >/dev/null
# shellcheck disable=SC2086 # a list of package names
in_root apt-get install -y -q --no-install-recommends $deps gcc libc6-dev \
	pkg-config >"$out/chroot-apt.log" 2>&1 ||
	{ tail -n 20 "$out/chroot-apt.log" >&2; die "apt-get install in the root failed"; }
# depmod's files exist before the module does: purge must leave the
# directory as it found it, and depmod writes them on install.
for r in "${krels[@]}"; do in_root depmod "$r" 2>/dev/null || true; done

# Volatile: dpkg's and apt's own state and logs, caches, and the backups
# (/etc/group- ...) the group tools write when addgroup adds byteor.
snapshot() { # -> sorted list of every path of the root but the volatile ones
	in_root find / -xdev \( -path /proc -o -path /sys -o -path /dev -o \
		-path /tmp -o -path /run -o -path /var/cache/apt -o \
		-path /var/lib/apt -o -path /var/log -o -path /var/lib/dpkg -o \
		-path /var/cache/debconf -o -path /var/cache/ldconfig -o \
		-path /etc/group- -o -path /etc/gshadow- -o -path /etc/passwd- -o \
		-path /etc/shadow- \) -prune -o \
		-print | sort
}
snapshot >"$out/files.before"

say "installing the packages"
mkdir -p "$root/tmp/debs"
cp "$out"/libbyteor1_*.deb "$out"/libbyteor-dev_*.deb "$out"/byteor-tools_*.deb \
	"$out"/byteor-dkms_*.deb "$root/tmp/debs/"
in_root sh -c 'dpkg -i /tmp/debs/*.deb' >"$out/chroot-dpkg.log" 2>&1 ||
	{ tail -n 30 "$out/chroot-dpkg.log" >&2
	  tail -n 30 "$root"/var/lib/dkms/byteor/*/build/make.log >&2 2>/dev/null
	  die "dpkg -i failed"; }

fail=0
check() { # description command...
	local what=$1
	shift
	if "$@" >>"$out/chroot-checks.log" 2>&1; then
		say "ok: $what"
	else
		say "FAILED: $what (log: $out/chroot-checks.log)"
		fail=1
	fi
}
: >"$out/chroot-checks.log"
check "group byteor exists" in_root getent group byteor
check "dkms knows byteor/$version" sh -c "chroot '$root' dkms status | grep -q 'byteor/$version'"
for r in "${krels[@]}"; do
	# The install built it (dkms autoinstall: the newest kernels with
	# headers, the running one when it has them); build it again, by hand.
	check "byteor.ko built on install for $r" sh -c "ls '$root'/var/lib/dkms/byteor/'$version'/'$r'/*/module/byteor.ko*"
	check "dkms unbuild for $r" in_root dkms unbuild -m byteor -v "$version" -k "$r"
	check "dkms build for $r" in_root dkms build -m byteor -v "$version" -k "$r"
	check "byteor.ko rebuilt for $r" sh -c "ls '$root'/var/lib/dkms/byteor/'$version'/'$r'/*/module/byteor.ko*"
	check "dkms install for $r" in_root dkms install -m byteor -v "$version" -k "$r"
	check "byteor.ko in updates/dkms for $r" test -e "$root/lib/modules/$r/updates/dkms/byteor.ko"
done
check "dkms.conf carries version $version" \
	grep -qx "PACKAGE_VERSION=\"$version\"" "$root/usr/src/byteor-$version/dkms.conf"
check "pkg-config knows libbyteor $version" \
	sh -c "[ \"\$(chroot '$root' pkg-config --modversion libbyteor)\" = '$version' ]"
# The README's example, as a program, against the installed .pc.
awk '/^### Example/ { e = 1 } e && /^```c/ { c = 1; next } c && /^```/ { exit }
	c && !/^#include/ { print "\t" $0 }' "$top/README.md" >"$root/tmp/body.c"
{
	echo '#include <stdio.h>'
	echo '#include <byteor.h>'
	echo '#define fill(d) ((void)(d), 0)'
	echo '#define use(p, l) ((void)(p), (void)(l))'
	echo 'int main(void)'
	echo '{'
	cat "$root/tmp/body.c"
	echo '	return 0;'
	echo '}'
} >"$root/tmp/readme.c"
# shellcheck disable=SC2016 # expanded in the root
check "README example builds with pkg-config --cflags --libs libbyteor" \
	in_root sh -c 'cc -o /tmp/readme /tmp/readme.c $(pkg-config --cflags --libs libbyteor)'
check "README example links libbyteor.so.1" \
	sh -c "readelf -d '$root/tmp/readme' | grep -q 'NEEDED.*\[libbyteor.so.1\]'"
check "byteorctl --version says $version" \
	sh -c "chroot '$root' byteorctl --version | grep -q 'byteorctl $version'"
# shellcheck disable=SC2016 # expanded in the root's bash
check "bash completion of byteorctl completes 'ap' to apply" \
	in_root bash -c '. /usr/share/bash-completion/completions/byteorctl &&
		COMP_WORDS=(byteorctl ap) COMP_CWORD=1 && _byteorctl &&
		[ "${COMPREPLY[*]}" = apply ]'
mkdir -p "$root/tmp/regions"
cp "$root/usr/share/doc/byteor-tools/examples/example.conf" "$root/etc/byteor/regions.d/"
check "byteorctl apply creates the example's regions" \
	in_root byteorctl apply --backing user --dir /tmp/regions
check "byteorctl apply again changes nothing" \
	sh -c "chroot '$root' byteorctl apply --backing user --dir /tmp/regions | grep -c '^unchanged' | grep -qx 2"
check "byteorctl list shows them" \
	sh -c "chroot '$root' byteorctl list --backing user --dir /tmp/regions | grep -q '^orders '"
rm -f "$root/etc/byteor/regions.d/example.conf"
check "udev rule, modules-load and modprobe files installed" \
	test -s "$root/lib/udev/rules.d/60-byteor.rules" -a \
	-s "$root/etc/modules-load.d/byteor.conf" -a -s "$root/etc/modprobe.d/byteor.conf"
check "byteor-regions.service enabled" \
	test -L "$root/etc/systemd/system/multi-user.target.wants/byteor-regions.service"

say "purging"
in_root dpkg --purge byteor-dkms byteor-tools libbyteor-dev libbyteor1 \
	>>"$out/chroot-dpkg.log" 2>&1 || { tail -n 30 "$out/chroot-dpkg.log" >&2; die "purge failed"; }
rm -rf "$root/tmp/debs"
snapshot >"$out/files.after"
if diff -u "$out/files.before" "$out/files.after" >"$out/files.diff"; then
	say "ok: purge leaves no file behind ($(wc -l <"$out/files.before") paths compared)"
else
	say "FAILED: purge left or removed files:"
	cat "$out/files.diff"
	fail=1
fi
# Kept on purge on purpose (debian/byteor-dkms.postinst says why).
check "group byteor kept after purge" in_root getent group byteor
say "$(($(date +%s) - t0)) s in the clean root"
[ "$fail" = 0 ] || die "failed"
say "all passed"
