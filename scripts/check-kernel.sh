#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Run the kernel selftests (tests/kernel/) against byteor.ko inside QEMU,
# once per test kernel.
#
#   scripts/check-kernel.sh [6.1] [6.1-rt] [6.12] [6.12-debug]
#	(no argument: the first three; 6.12-debug is the KASAN/lockdep
#	kernel scripts/debug-kernel.sh builds)
#
# Per kernel K: build byteor.ko against K's headers (build/kmod-K/), pack an
# initramfs with busybox, the module, the static test programs (built once,
# build/tests-kernel/) and scripts/qemu/init.sh as /init, boot it under TCG
# with a bounded hugepage pool, capture the serial console in
# build/qemu-K/console.log, kill the guest at the deadline.  Then
# scripts/qemu/check-log.py judges every console: the TAP results, the
# module loading and unloading, the kernel log, the power-off.  Output: the
# TAP lines prefixed with the kernel, a summary per kernel, and last one line
# "N passed, N failed, N skipped".  Exit status 1 on any failure.
#
# Each program runs as root, then (unless its name ends in _root) as the
# unprivileged uid 1000 (in the groups byteor, which the udev rule gives
# /dev/byteor, and byteor-create) with BYTEOR_AS_USER=1; the guest runs the
# host's udevd on packaging/60-byteor.rules.  tests/kernel/README.md has
# what the guest offers a test.  Last, the guest runs the demo
# (byteor-demo --quick, as uid 1000) on the kernel backing: one result,
# its figures printed as comments.
#
# Environment (defaults in brackets):
#   BYTEOR_HUGEPAGES	 2 MiB pages reserved on the guest command line [96]
#   BYTEOR_TEST_TIMEOUT	 seconds one program may run [120]
#   BYTEOR_QEMU_TIMEOUT	 seconds one guest may run, boot to power-off [600]
#   BYTEOR_KMOD_PARAMS	 extra insmod parameters []
#   BYTEOR_STRESS_SECONDS, BYTEOR_STRESS_OPS
#			 the syscall storm's (stress_root) time bound and
#			 operation target [5 s, none; the debug lane: 300 s,
#			 10^6 operations]
#   BYTEOR_KMOD_DIR	 module source to build instead of kmod/ []
#   BYTEOR_TESTS_DIR	 test sources to build instead of tests/kernel/ []
#   V=1			 show build commands and stream the guest console
# BYTEOR_KMOD_DIR and BYTEOR_TESTS_DIR exist to test this runner itself
# with a stand-in module and tests (build/kmod-alt-K/, build/tests-alt/).
set -uo pipefail
export LC_ALL=C		# the glob below orders the programs: name order

top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$top/build}
qemu_dir=$top/scripts/qemu

hugepages=${BYTEOR_HUGEPAGES:-96}
test_timeout=${BYTEOR_TEST_TIMEOUT:-120}
qemu_timeout=${BYTEOR_QEMU_TIMEOUT:-600}
user_uid=1000
user_gid=1000
create_gid=1001		# the group /etc/group in the guest names byteor-create
device_gid=1002		# group byteor, /dev/byteor's by packaging/60-byteor.rules

if [ -n "${BYTEOR_KMOD_DIR:-}" ]; then
	kmod_src=$BYTEOR_KMOD_DIR kmod_tag=kmod-alt
else
	kmod_src=$top/kmod kmod_tag=kmod
fi
if [ -n "${BYTEOR_TESTS_DIR:-}" ]; then
	tests_src=$BYTEOR_TESTS_DIR tests_out=$BUILD/tests-alt
else
	tests_src=$top/tests/kernel tests_out=$BUILD/tests-kernel
fi

say() { echo "check-kernel: $*"; }
quiet() { # LOG CMD... : run CMD, its output to LOG (and the terminal with V=1)
	local log=$1
	shift
	if [ "${V:-}" = 1 ]; then
		"$@" 2>&1 | tee "$log"
	else
		"$@" >"$log" 2>&1
	fi
}
# Failures before any guest ran still end with the suite's summary line.
give_up() {
	echo "check-kernel: $*" >&2
	echo "0 passed, 1 failed, 0 skipped"
	exit 1
}

kvers=("$@")
[ ${#kvers[@]} -gt 0 ] || kvers=(6.1 6.1-rt 6.12)

for tool in qemu-system-x86_64 busybox gcc make python3 cpio gzip modinfo timeout flock udevadm; do
	command -v "$tool" >/dev/null || give_up "$tool missing: run 'make deps'"
done
for k in "${kvers[@]}"; do
	# The debug kernel is ours to build (once, cached outside the clone).
	if [ "$k" = 6.12-debug ]; then
		BUILD=$BUILD bash "$top/scripts/debug-kernel.sh" ||
			give_up "building the debug kernel failed"
	fi
	if [ ! -s "$BUILD/kernels/$k/vmlinuz" ] || [ ! -s "$BUILD/kernels/$k/release" ]; then
		give_up "no kernel $k in $BUILD/kernels/$k: run 'make deps' (known: 6.1 6.1-rt 6.12 6.12-debug)"
	fi
done
shared=$BUILD/qemu-shared
mkdir -p "$shared"
# The judge first: a check-log.py that passed a WARNING (or failed the
# module's own info lines) would make every run below say the wrong thing.
quiet "$shared/check-log-selftest.log" python3 "$qemu_dir/test_check_log.py" ||
	{ cat "$shared/check-log-selftest.log" >&2; give_up "check-log.py fails its self-test"; }
# Two runs at once would share build/qemu-*: the second waits its turn.
exec 9>"$shared/lock"
if ! flock -n 9; then
	say "waiting for another check-kernel run to finish"
	flock 9
fi

# --- what every guest shares: runas, the test programs, the run list ---------
quiet "$shared/runas-build.log" \
	gcc -static -O2 -Wall -Wextra -Werror -o "$shared/runas" "$qemu_dir/runas.c" ||
	{ cat "$shared/runas-build.log" >&2; give_up "building runas failed"; }

progs=()
for c in "$tests_src"/*.c; do
	[ -e "$c" ] && progs+=("$(basename "$c" .c)")
done
# The cross-process lane suite shared with the host tests:
# tests/lanes/<lane>_xproc.c is the guest program lanes_<lane>.
if [ -z "${BYTEOR_TESTS_DIR:-}" ]; then
	for c in "$top"/tests/lanes/*_xproc.c; do
		[ -e "$c" ] || continue
		c=$(basename "$c" _xproc.c)
		progs+=("lanes_$c")
	done
	# The crash-point tests shared with the host: tests/crash/<name>.c is
	# the guest program crash_<name>.
	for c in "$top"/tests/crash/*.c; do
		[ -e "$c" ] && progs+=("crash_$(basename "$c" .c)")
	done
fi
# Name order, as the glob gave (zz_module_unload_root stays last).
mapfile -t progs < <(printf '%s\n' "${progs[@]}" | sort)
[ ${#progs[@]} -gt 0 ] || give_up "no test programs (*.c) in $tests_src"

# The lane programs (lanes_*) link libbyteor statically: build it first.
# If that fails, they fail to build (and are counted); the rest still run.
say "building libbyteor into $BUILD/ulib"
quiet "$shared/ulib-build.log" make --no-print-directory -C "$top/ulib" \
	BUILD="$BUILD" ${V:+V=$V} lib ||
	tail -n 30 "$shared/ulib-build.log" >&2
# The crash-point programs (crash_*) link its crash-point build.
say "building libbyteor with crash points into $BUILD/ulib-crashpoints"
quiet "$shared/ulib-crashpoints-build.log" make --no-print-directory -C "$top/ulib" \
	BUILD="$BUILD" SAN=crashpoints ${V:+V=$V} lib ||
	tail -n 30 "$shared/ulib-crashpoints-build.log" >&2

# One make per program: a program that does not build fails alone (counted
# once, in the summary) and the others still run.
say "building ${#progs[@]} test programs into $tests_out"
: >"$shared/tests-build.log"
: >"$shared/build-failed"
built=()
for p in "${progs[@]}"; do
	if quiet "$shared/tests-build-$p.log" \
		make --no-print-directory -C "$tests_src" -f "$top/tests/kernel/Makefile" \
			OUTPUT="$tests_out" BYTEOR_ULIB="$BUILD/ulib" \
			BYTEOR_CRASH_ULIB="$BUILD/ulib-crashpoints" ${V:+V=$V} \
			"$tests_out/$p"; then
		built+=("$p")
	else
		tail -n 30 "$shared/tests-build-$p.log" >&2
		echo "$p" >>"$shared/build-failed"
	fi
	cat "$shared/tests-build-$p.log" >>"$shared/tests-build.log"
	rm -f "$shared/tests-build-$p.log"
done

# A program of the library's own, static, beside the test programs; prints
# its name if it built (a failure is counted like a test that did not).
build_static() { # name source
	if quiet "$shared/$1-build.log" \
		gcc -static -O2 -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE \
			-I"$top/include" -o "$tests_out/$1" "$2" \
			"$BUILD/ulib/libbyteor.a" -pthread; then
		echo "$1"
	else
		tail -n 30 "$shared/$1-build.log" >&2
		echo "$1" >>"$shared/build-failed"
	fi
}

# The demo (make run's byteor-demo): the guest runs it once, as the test
# user, on its default backing (the kernel's there); and the soak
# (tests/soak/soak.c): every lane on the kernel backing with roles
# SIGKILLed and restarted, a short run as the test user.  Only with our own
# tests, not a stand-in set.
demo=
soak=
if [ -z "${BYTEOR_TESTS_DIR:-}" ]; then
	mkdir -p "$tests_out"
	demo=$(build_static byteor-demo "$top/ulib/tools/byteor_demo.c")
	soak=$(build_static byteor-soak "$top/tests/soak/soak.c")
fi

# Every program as root; those not named *_root also as the test user;
# then the demo and the soak.
runs=$shared/runs
: >"$runs"
for p in "${built[@]}"; do
	echo "root $p" >>"$runs"
done
for p in "${built[@]}"; do
	case "$p" in
	*_root) ;;
	*) echo "user $p" >>"$runs" ;;
	esac
done
[ -n "$demo" ] && echo "demo $demo" >>"$runs"
[ -n "$soak" ] && echo "soak $soak" >>"$runs"

# --- one guest per kernel ------------------------------------------------------
rundirs=()
for k in "${kvers[@]}"; do
	rundir=$BUILD/qemu-$k
	rm -rf "$rundir"
	mkdir -p "$rundir"
	rundirs+=("$rundir")
	release=$(cat "$BUILD/kernels/$k/release")
	# Debian's kernels: their headers package; the debug kernel: its tree.
	kdir=/usr/src/linux-headers-$release
	[ -s "$BUILD/kernels/$k/kdir" ] && kdir=$(cat "$BUILD/kernels/$k/kdir")
	# KASAN, lockdep and friends make the guest several times slower.
	k_test_timeout=$test_timeout k_qemu_timeout=$qemu_timeout
	# The storm: short on the stock kernels, 10^6 operations (within
	# 300 s) under the debug kernel, whose checks make each one count.
	stress_secs=${BYTEOR_STRESS_SECONDS:-} stress_ops=${BYTEOR_STRESS_OPS:-}
	case "$k" in
	*-debug)
		k_test_timeout=$((test_timeout * 4)) k_qemu_timeout=$((qemu_timeout * 4))
		stress_secs=${stress_secs:-300} stress_ops=${stress_ops:-1000000}
		;;
	esac
	meta=$rundir/meta
	{
		echo "kernel=$k"
		echo "release=$release"
		echo "hugepages=$hugepages"
		echo "device_gid=$device_gid"
		echo "limit=$k_qemu_timeout"
	} >"$meta"
	cp "$runs" "$rundir/runs"

	kout=$BUILD/$kmod_tag-$k
	say "$k: building byteor.ko against $release into $kout"
	if ! quiet "$rundir/kmod-build.log" \
		make --no-print-directory -C "$kmod_src" \
			KDIR="$kdir" O_KMOD="$kout" ${V:+V=$V}; then
		tail -n 40 "$rundir/kmod-build.log" >&2
		echo "build=failed (make -C $kmod_src; see $rundir/kmod-build.log)" >>"$meta"
		continue
	fi
	ko=$kout/byteor.ko
	if [ ! -s "$ko" ]; then
		echo "build=failed (no $ko)" >>"$meta"
		continue
	fi

	# Parameters the module has: create_gid lets the test user (a member of
	# group $create_gid) create regions.
	params=
	guest_create_gid=
	if modinfo -F parm "$ko" | grep -q '^create_gid:'; then
		params="create_gid=$create_gid"
		guest_create_gid=$create_gid
	fi
	read -r -a words <<<"$params ${BYTEOR_KMOD_PARAMS:-}"
	params="${words[*]}"

	mark=$(od -An -N8 -tx8 /dev/urandom | tr -d ' \n')
	cat >"$rundir/config" <<-EOF
		BYTEOR_MARK=$mark
		BYTEOR_KVER=$k
		BYTEOR_HUGEPAGES=$hugepages
		BYTEOR_TEST_TIMEOUT=$k_test_timeout
		BYTEOR_MODPARAMS="$params"
		BYTEOR_CREATE_GID=$guest_create_gid
		BYTEOR_USER_UID=$user_uid
		BYTEOR_USER_GID=$user_gid
		BYTEOR_DEVICE_GID=$device_gid
		BYTEOR_STRESS_SECONDS=$stress_secs
		BYTEOR_STRESS_OPS=$stress_ops
	EOF
	if ! "$qemu_dir/mkinitramfs.sh" "$rundir/initramfs.cpio.gz" "$ko" \
		"$shared/runas" "$tests_out" "$runs" "$rundir/config" \
		"$top/packaging/60-byteor.rules"; then
		echo "build=failed (mkinitramfs)" >>"$meta"
		continue
	fi
	{ echo "mark=$mark"; echo "modparams=$params"; echo "build=ok"; } >>"$meta"

	# TCG only (this host has no usable KVM); pc machine: ACPI power-off.
	# loglevel=4: only errors (and every line of an oops) reach the
	# console live, the rest comes with the dmesg dump at the end;
	# log_buf_len: room for that dump even after a storm of reports.
	# The stall and lockup detectors get more slack than on hardware, as
	# a loaded host can starve the vCPU threads for seconds.
	cmdline="console=ttyS0 panic=-1 loglevel=4 log_buf_len=4M"
	cmdline="$cmdline hugepages=$hugepages"
	cmdline="$cmdline rcupdate.rcu_cpu_stall_timeout=60 watchdog_thresh=30"
	say "$k: booting $release (limit ${k_qemu_timeout} s)"
	tailpid=
	if [ "${V:-}" = 1 ]; then
		: >"$rundir/console.log"
		tail -n +1 -f "$rundir/console.log" &
		tailpid=$!
	fi
	start=$(date +%s.%N)
	timeout -k 10 "$k_qemu_timeout" \
		qemu-system-x86_64 -machine pc -accel tcg,thread=multi -cpu max \
			-smp 2 -m 1536 -nodefaults -no-user-config -display none \
			-monitor none -serial "file:$rundir/console.log" -no-reboot \
			-kernel "$BUILD/kernels/$k/vmlinuz" \
			-initrd "$rundir/initramfs.cpio.gz" \
			-append "$cmdline" \
			</dev/null >"$rundir/qemu.log" 2>&1 &
	# timeout(1) runs in a process group of its own, out of the terminal's
	# reach, and bash runs traps only between commands: so QEMU runs in
	# the background, the script waits for it, and an interrupt of the
	# script is passed on (timeout forwards it to QEMU).
	qpid=$!
	trap 'kill "$qpid" 2>/dev/null; exit 130' INT TERM HUP
	wait "$qpid"
	rc=$?
	trap - INT TERM HUP
	[ -n "$tailpid" ] && kill "$tailpid" 2>/dev/null
	wall=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
	case $rc in
	124 | 137) timed_out=1 ;;
	*) timed_out=0 ;;
	esac
	{
		echo "qemu_rc=$rc"
		echo "timed_out=$timed_out"
		echo "wall=$wall"
	} >>"$meta"
	[ -s "$rundir/qemu.log" ] && sed 's/^/qemu: /' "$rundir/qemu.log" >&2
done

python3 "$qemu_dir/check-log.py" --build-failed "$shared/build-failed" "${rundirs[@]}"
