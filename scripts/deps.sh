#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Install what byteor's build and tests need on Debian 12, idempotently:
# toolchain, liburing, sparse, QEMU + busybox for the test guests, the headers
# of each test kernel, the kernel images themselves (downloaded and unpacked
# under build/kernels/, never installed on the host), and the two files we use
# from linux-source-6.1 (kselftest_harness.h, checkpatch.pl).
#
# Kernel 6.12 comes from bookworm-backports: the suite is added for the mirror
# the machine's own apt sources already use.  (Debian's 6.12 headers package
# depends on its image package, so apt puts that image under /boot too; the
# host never boots it.)
#
# Kernel 6.1-rt is Debian's PREEMPT_RT flavour of the same 6.1 (bookworm).
#
# Output: build/kernels/<short>/{vmlinuz,release} for short in 6.1 6.1-rt
# 6.12, and
# build/kernels/ksrc/{kselftest_harness.h,...,checkpatch.pl}.
#
#   scripts/deps.sh           everything `make check` needs
#   scripts/deps.sh --build   only what building the library and the demo
#                             needs (`make run`): compiler, make, libc headers
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${BYTEOR_KCACHE:-$top/build/kernels}
quiet() { if [ -n "${V:-}" ]; then "$@"; else "$@" >/dev/null 2>&1; fi; }
say() { echo "deps: $*"; }

# Root only when something is missing: a set-up machine needs nothing.
need_root() {
	[ "$(id -u)" = 0 ] && return 0
	echo "deps: $1 missing; run 'make deps' (or scripts/deps.sh) as root" >&2
	exit 1
}
export DEBIAN_FRONTEND=noninteractive

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'; }

# --- --build: the demo's packages only, from the suites already configured ---
if [ "${1:-}" = --build ]; then
	missing=()
	for p in gcc make libc6-dev; do
		installed "$p" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && exit 0
	if [ "$(id -u)" != 0 ]; then
		echo "deps: missing packages: ${missing[*]}" >&2
		echo "deps: install them as root: apt-get install ${missing[*]}" >&2
		echo "deps: (or run 'make run' once as root)" >&2
		exit 1
	fi
	say "installing ${missing[*]}"
	quiet apt-get update
	quiet apt-get install -y --no-install-recommends "${missing[@]}" || {
		echo "deps: apt-get install ${missing[*]} failed" >&2; exit 1; }
	exit 0
fi

# --- bookworm-backports, on the mirror the machine already uses -------------
bpo_list=/etc/apt/sources.list.d/byteor-bookworm-backports.sources
updated=
apt_update() {
	[ -n "$updated" ] && return 0
	need_root "packages or kernel images are"
	quiet apt-get update
	updated=1
}

has_backports() {
	grep -rqsE '^[^#]*bookworm-backports' /etc/apt/sources.list \
		/etc/apt/sources.list.d/ 2>/dev/null
}

main_mirror() {
	# deb822 first: the URIs of a stanza whose Suites has plain "bookworm".
	local f
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -e "$f" ] || continue
		awk '
			/^[ \t]*$/ { if (s && u) { print u; exit } s = 0; u = ""; next }
			/^URIs:/ { u = $2 }
			/^Suites:/ { for (i = 2; i <= NF; i++) if ($i == "bookworm") s = 1 }
			END { if (s && u) print u }
		' "$f" | head -n1
	done | head -n1
	# one-line format
	grep -hsE '^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?[a-z]+://[^ ]+[[:space:]]+bookworm[[:space:]]' \
		/etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
		sed -E 's/^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?([^ ]+).*/\2/' | head -n1
	return 0
}

if ! has_backports; then
	mirror=$(main_mirror | head -n1 || true)
	[ -n "$mirror" ] || { echo "deps: no bookworm mirror found in apt sources" >&2; exit 1; }
	need_root "the bookworm-backports suite is"
	say "adding bookworm-backports on the machine's mirror"
	cat >"$bpo_list" <<EOS
Types: deb
URIs: $mirror
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOS
	updated=
	apt_update
fi

# --- host packages ------------------------------------------------------------
pkgs=(build-essential gcc make pkg-config liburing-dev sparse qemu-system-x86
      busybox-static cpio kmod xz-utils zstd perl python3 bc util-linux
      dwarves spin)
# clang and its libFuzzer runtime (libclang_rt.fuzzer) for fuzz/.
pkgs+=(clang libclang-rt-14-dev)
# groff and man-db for the man pages' check (scripts/man-check.sh).
pkgs+=(groff man-db)
# byteorctl export's test reads its metrics back through node_exporter.
pkgs+=(prometheus-node-exporter)
# make deb / deb-test: the packaging tools, and debootstrap for the clean
# root the packages are installed into.
pkgs+=(debhelper dh-dkms dkms lintian fakeroot debootstrap)
# udev: the kernel test guest runs its udevd on packaging/60-byteor.rules.
pkgs+=(udev)
# byteor-bridge: the NATS C client, and the server its tests run.
pkgs+=(libnats-dev nats-server)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done

# The newest ABI of each kernel series, from the meta packages.
kernel_abi() { # suite [flavour] -> e.g. 6.1.0-56-amd64, 6.1.0-56-rt-amd64
	local flavour=${2:-amd64}
	apt-cache depends "linux-image-$flavour/$1" 2>/dev/null |
		sed -nE "s/.*Depends: linux-image-([0-9][^ ]*-$flavour)\$/\\1/p" | head -n1 || true
}
if [ ! -s "$cache/6.1/release" ] || [ ! -s "$cache/6.12/release" ] ||
   [ ! -s "$cache/6.1-rt/release" ] || [ ${#missing[@]} -gt 0 ]; then
	apt_update
fi
rel61=$(cat "$cache/6.1/release" 2>/dev/null || kernel_abi bookworm)
rel61rt=$(cat "$cache/6.1-rt/release" 2>/dev/null || kernel_abi bookworm rt-amd64)
rel612=$(cat "$cache/6.12/release" 2>/dev/null || kernel_abi bookworm-backports)
[ -n "$rel61" ] && [ -n "$rel61rt" ] && [ -n "$rel612" ] ||
	{ echo "deps: cannot resolve kernel versions" >&2; exit 1; }
case "$rel612" in 6.12.*) ;; *) echo "deps: backports kernel is $rel612, not 6.12" >&2; exit 1;; esac
case "$rel61rt" in 6.1.*-rt-amd64) ;; *) echo "deps: rt kernel is $rel61rt, not 6.1 rt" >&2; exit 1;; esac

for h in "linux-headers-$rel61" "linux-headers-$rel61rt" "linux-headers-$rel612" \
	 linux-source-6.1; do
	dpkg-query -W -f='${Status}' "$h" 2>/dev/null | grep -q 'ok installed' || missing+=("$h")
done
if [ ${#missing[@]} -gt 0 ]; then
	apt_update
	say "installing ${missing[*]}"
	quiet apt-get install -y --no-install-recommends "${missing[@]}"
fi

# --- kernel images, unpacked into the cache -------------------------------------
fetch_kernel() { # short release
	local short=$1 rel=$2 dir=$cache/$1 tmp
	[ -s "$dir/vmlinuz" ] && [ "$(cat "$dir/release" 2>/dev/null)" = "$rel" ] && return 0
	apt_update
	say "fetching kernel image $rel"
	tmp=$(mktemp -d)
	(cd "$tmp" && quiet apt-get download "linux-image-$rel")
	dpkg -x "$tmp"/linux-image-*.deb "$tmp/x"
	mkdir -p "$dir"
	cp "$tmp/x/boot/vmlinuz-$rel" "$dir/vmlinuz"
	echo "$rel" >"$dir/release"
	rm -rf "$tmp"
}
fetch_kernel 6.1 "$rel61"
fetch_kernel 6.1-rt "$rel61rt"
fetch_kernel 6.12 "$rel612"

# --- the files we take from linux-source-6.1 ------------------------------------
ksrc=$cache/ksrc
if [ ! -s "$ksrc/kselftest_harness.h" ] || [ ! -s "$ksrc/checkpatch.pl" ] ||
   [ ! -s "$ksrc/lib.mk" ]; then
	tarball=$(ls /usr/src/linux-source-6.1.tar.* | head -n1)
	say "unpacking kselftest harness and checkpatch from $(basename "$tarball")"
	tmp=$(mktemp -d)
	tar -xf "$tarball" -C "$tmp" --wildcards \
		'*/tools/testing/selftests/kselftest_harness.h' \
		'*/tools/testing/selftests/kselftest.h' \
		'*/tools/testing/selftests/lib.mk' \
		'*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
		'*/scripts/const_structs.checkpatch'
	mkdir -p "$ksrc"
	src=$(echo "$tmp"/linux-source-*)
	cp "$src/tools/testing/selftests/kselftest_harness.h" \
	   "$src/tools/testing/selftests/kselftest.h" \
	   "$src/tools/testing/selftests/lib.mk" \
	   "$src/scripts/checkpatch.pl" "$src/scripts/spelling.txt" \
	   "$src/scripts/const_structs.checkpatch" "$ksrc/"
	rm -rf "$tmp"
fi
exit 0
