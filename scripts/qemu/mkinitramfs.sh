#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Pack the byteor test guest's initramfs (cpio newc, gzip).
#
#   mkinitramfs.sh OUT.cpio.gz KO RUNAS TESTDIR RUNS CONFIG RULES
#
# KO: byteor.ko; RUNAS: the static runas helper; TESTDIR: the static test
# programs; RUNS: the run list (/etc/byteor/runs, "MODE NAME" lines; only
# the programs it names are packed); CONFIG: shell assignments sourced by
# /init (/etc/byteor/config); RULES: the udev rule file the packages
# install (packaging/60-byteor.rules), packed as the package installs it.
# The image holds busybox (static) for everything else; /init
# (scripts/qemu/init.sh) creates its applet links.  And the host's udevd
# (udevadm, with the libraries it loads): the guest applies the rule
# through the real thing, not an imitation of its syntax.
set -euo pipefail

[ $# -eq 7 ] || { echo "usage: $0 OUT KO RUNAS TESTDIR RUNS CONFIG RULES" >&2; exit 2; }
out=$1 ko=$2 runas=$3 testdir=$4 runs=$5 config=$6 rules=$7
here=$(cd "$(dirname "$0")" && pwd)

busybox=$(command -v busybox || true)
[ -n "$busybox" ] || { echo "mkinitramfs: busybox not found (busybox-static)" >&2; exit 1; }
# A dynamic busybox (one with an ELF interpreter) finds no libc in the guest.
! readelf -l "$busybox" | grep -q 'program interpreter' ||
	{ echo "mkinitramfs: $busybox is not static (install busybox-static)" >&2; exit 1; }

udevadm=$(command -v udevadm || true)
[ -n "$udevadm" ] || { echo "mkinitramfs: udevadm not found (install udev)" >&2; exit 1; }
[ -s "$rules" ] || { echo "mkinitramfs: no udev rule file $rules" >&2; exit 1; }

stage=$(mktemp -d "${TMPDIR:-/tmp}/byteor-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT

mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,root,etc/byteor,lib/modules,tests}
cp "$busybox" "$stage/bin/busybox"
cp "$runas" "$stage/bin/runas"
cp "$here/init.sh" "$stage/init"
chmod 0755 "$stage/init" "$stage/bin/busybox" "$stage/bin/runas"
cp "$ko" "$stage/lib/modules/byteor.ko"
cp "$runs" "$stage/etc/byteor/runs"
cp "$config" "$stage/etc/byteor/config"
chmod 1777 "$stage/tmp"

# udevd is udevadm called by that name; both load their libraries from
# where the host has them (the interpreter's path is in the binary).
mkdir -p "$stage/usr/bin" "$stage/lib/systemd" "$stage/lib/udev/rules.d" "$stage/etc/udev"
cp -L "$udevadm" "$stage/usr/bin/udevadm"
ln -s /usr/bin/udevadm "$stage/lib/systemd/systemd-udevd"
ldd "$udevadm" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' |
	while read -r lib; do
		mkdir -p "$stage$(dirname "$lib")"
		cp -L "$lib" "$stage$lib"
	done
cp "$rules" "$stage/lib/udev/rules.d/$(basename "$rules")"
# Errors only: udevd's notices would fill the console the host judges.
echo 'udev_log=err' >"$stage/etc/udev/udev.conf"

# Debug info stays in the build tree's copies (for addr2line); the guest
# gets stripped ones, which keeps the image, and its unpacking under TCG,
# small.
awk '{ print $2 }' "$runs" | sort -u | while read -r name; do
	[ -x "$testdir/$name" ] || { echo "mkinitramfs: no program $testdir/$name" >&2; exit 1; }
	strip -o "$stage/tests/$name" "$testdir/$name"
done

# The kernel's built-in initramfs has /dev/console, but do not depend on
# it: without one, /init would start with no stdout at all.
[ "$(id -u)" = 0 ] && mknod -m 600 "$stage/dev/console" c 5 1

(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort |
	cpio --quiet -o -H newc -R 0:0) | gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"
