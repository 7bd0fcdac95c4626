#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The debug kernel for `make check-kernel KVER=6.12-debug`: Debian's
# linux-source-6.12 configured as `make tinyconfig` plus
# scripts/qemu/kernel-debug.config (what the guest and the tests need,
# KASAN, KFENCE, lockdep, PROVE_RCU, DEBUG_ATOMIC_SLEEP, DEBUG_VM,
# DEBUG_OBJECTS, kmemleak, panic on oops), built once and cached outside
# the clone, keyed by the fragment, the recipe and the source version.
#
#   scripts/debug-kernel.sh          build if not cached; link it into
#                                    build/kernels/6.12-debug/
#   scripts/debug-kernel.sh --cached exit 0 if cached (and link it), 1 if not
#
# Cache: $BYTEOR_DEBUG_KCACHE (default /var/cache/byteor).  Output in the
# clone: build/kernels/6.12-debug/{vmlinuz,release,kdir} - kdir is the
# built tree the module is built against.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$top/build}
cache=${BYTEOR_DEBUG_KCACHE:-/var/cache/byteor}
frag=$top/scripts/qemu/kernel-debug.config
tarball=/usr/src/linux-source-6.12.tar.xz
out=$BUILD/kernels/6.12-debug
say() { echo "debug-kernel: $*"; }

pkgs=(linux-source-6.12 flex bison libelf-dev libssl-dev bc gcc make xz-utils)
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || true)
# The recipe's version: raise it when the build steps below change.
recipe=1
cache_key() { cat "$frag" <(echo "$srcver recipe $recipe") | sha256sum | cut -c1-12; }
key=$(cache_key)
dir=$cache/linux-6.12-debug-$key

link_out() {
	mkdir -p "$out"
	cp "$dir/bzImage" "$out/vmlinuz"
	cp "$dir/release" "$out/release"
	echo "$dir/src" >"$out/kdir"
}

if [ -s "$dir/bzImage" ] && [ -s "$dir/release" ]; then
	link_out
	exit 0
fi
[ "${1:-}" = --cached ] && exit 1

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	[ "$(id -u)" = 0 ] || { echo "debug-kernel: missing ${missing[*]} (run as root)" >&2; exit 1; }
	say "installing ${missing[*]}"
	apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null
	srcver=$(dpkg-query -W -f='${Version}' linux-source-6.12)
	key=$(cache_key)
	dir=$cache/linux-6.12-debug-$key
fi

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
rm -rf "$dir.tmp"
mkdir -p "$dir.tmp"
say "unpacking linux-source-6.12 $srcver into $dir.tmp"
tar -xf "$tarball" -C "$dir.tmp"
mv "$dir.tmp"/linux-source-6.12 "$dir.tmp/src"
src=$dir.tmp/src
start=$(date +%s)
say "configuring: tinyconfig + $(basename "$frag")"
make -C "$src" -s tinyconfig >/dev/null
"$src/scripts/kconfig/merge_config.sh" -m -O "$src" "$src/.config" "$frag" >/dev/null
make -C "$src" -s olddefconfig >/dev/null
# Every option of the fragment must have stuck (a dependency missing
# silently drops one): say which did not.
bad=0
while IFS= read -r line; do
	case "$line" in CONFIG_*=*) ;; *) continue ;; esac
	opt=${line%%=*} val=${line#*=}
	if [ "$val" = n ]; then
		grep -q "^$opt=" "$src/.config" && { echo "debug-kernel: $opt is set, wanted n" >&2; bad=1; }
	elif ! grep -qx "$opt=$val" "$src/.config"; then
		echo "debug-kernel: $opt=$val did not stick ($(grep "^$opt=\|^# $opt " "$src/.config" || echo unset))" >&2
		bad=1
	fi
done <"$frag"
[ $bad = 0 ] || { echo "debug-kernel: the configuration is not what the fragment asks" >&2; exit 1; }
say "building (make -j$(nproc) bzImage modules); a first build takes a while"
make -C "$src" -s -j"$(nproc)" bzImage modules >"$dir.tmp/build.log" 2>&1 ||
	{ tail -n 40 "$dir.tmp/build.log" >&2; exit 1; }
cp "$src/arch/x86/boot/bzImage" "$dir.tmp/bzImage"
make -C "$src" -s kernelrelease >"$dir.tmp/release"
echo "$(( $(date +%s) - start ))" >"$dir.tmp/build-seconds"
say "built $(cat "$dir.tmp/release") in $(cat "$dir.tmp/build-seconds") s"
rm -rf "$dir"
mv "$dir.tmp" "$dir"
# Builds of older fragments or sources: 1.5 GiB each, gone.
for old in "$cache"/linux-6.12-debug-*; do
	[ "$old" = "$dir" ] || rm -rf "$old"
done
# The tree moved: its absolute paths are only in build outputs we no
# longer need; the module build uses the tree by its new path.
link_out
