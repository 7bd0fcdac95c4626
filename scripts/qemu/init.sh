#!/bin/busybox sh
# SPDX-License-Identifier: MIT
#
# /init of the byteor test guest (scripts/qemu/mkinitramfs.sh packs it).
#
# Mounts the usual filesystems, loads byteor.ko, runs every program listed
# in /etc/byteor/runs (one "MODE NAME" a line, MODE root, user, or demo:
# NAME --quick as the user) under runas with a deadline, unloads the
# module, dumps the kernel log and powers the machine off.  Everything goes to the serial console, where
# scripts/qemu/check-log.py on the host reads it.
#
# Lines the host parses start with "BYTEOR:<mark>:", <mark> being a random
# word the host chose for this boot, so no test output can forge them:
#	boot UPTIME | insmod RC ARGS | device PRESENT [MODE UID GID] |
#	udev RC MODE UID GID | run MODE NAME |
#	exit MODE NAME RC SECONDS | hugepages WHEN TOTAL FREE | rmmod RC |
#	dmesg-begin | dmesg-end | done UPTIME | module ADDRESS SIZE |
#	kmemleak-begin WHEN | kmemleak-end WHEN
# Between "run" and "exit" is the program's own output (TAP).

/bin/busybox mkdir -p /proc /sys /dev /tmp /bin /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
# The kernel opened the initramfs' /dev/console; reopen on devtmpfs.
exec </dev/console >/dev/console 2>&1
mount -t debugfs debugfs /sys/kernel/debug
mount -t tmpfs -o mode=1777 tmpfs /tmp
mkdir -p /run
mount -t tmpfs -o mode=0755 tmpfs /run	# udevd's database
mkdir -p /dev/shm /dev/hugepages
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
# For tests that compare with a plain hugetlbfs mapping; mounting takes no
# pages from the pool.
mount -t hugetlbfs -o mode=1777,pagesize=2M hugetlbfs /dev/hugepages

# shellcheck source=/dev/null
. /etc/byteor/config
M="BYTEOR:$BYTEOR_MARK:"

now() { cut -d' ' -f1 /proc/uptime; }	# seconds since boot
hugepages() { # WHEN
	awk -v m="$M" -v w="$1" '/^HugePages_Total:/ { t = $2 }
		/^HugePages_Free:/ { f = $2 }
		END { print m, "hugepages", w, t, f }' /proc/meminfo
}

echo "$M boot $(now)"

# The test user, the module's create group and the device group the udev
# rule names (byteor, as the packages create it); runas takes numbers,
# udevd resolves the rule's GROUP="byteor" here.
cat >/etc/passwd <<EOF
root:x:0:0:root:/root:/bin/sh
tester:x:$BYTEOR_USER_UID:$BYTEOR_USER_GID:byteor test user:/tmp:/bin/sh
EOF
{
	echo "root:x:0:"
	echo "tester:x:$BYTEOR_USER_GID:"
	[ -n "$BYTEOR_CREATE_GID" ] && echo "byteor-create:x:$BYTEOR_CREATE_GID:tester"
	echo "byteor:x:$BYTEOR_DEVICE_GID:tester"
} >/etc/group

export HOME=/tmp TMPDIR=/tmp BYTEOR_KO=/lib/modules/byteor.ko
export BYTEOR_KVER BYTEOR_HUGEPAGES BYTEOR_CREATE_GID BYTEOR_TEST_TIMEOUT
export BYTEOR_USER_UID BYTEOR_USER_GID BYTEOR_DEVICE_GID
# The storm's bounds, when the host set them (else the test's defaults).
[ -n "$BYTEOR_STRESS_SECONDS" ] && export BYTEOR_STRESS_SECONDS
[ -n "$BYTEOR_STRESS_OPS" ] && export BYTEOR_STRESS_OPS
hugepages boot

# shellcheck disable=SC2086 # one word per parameter
runas -t 60 insmod "$BYTEOR_KO" $BYTEOR_MODPARAMS </dev/null
echo "$M insmod $? $BYTEOR_MODPARAMS"
# The node as the module made it, before any rule touched it.
if [ -c /dev/byteor ]; then
	echo "$M device present $(stat -c '%a %u %g' /dev/byteor)"
else
	echo "$M device absent"
fi

# Then udevd, as a system boots: started after the module, it applies the
# rules to what exists when asked (the coldplug trigger), and to every
# later add (zz_module_unload_root loads the module again).
/lib/systemd/systemd-udevd --daemon
udevadm trigger --action=add --subsystem-match=misc --sysname-match=byteor
udevadm settle --timeout=60
rc=$?
if [ -c /dev/byteor ]; then
	echo "$M udev $rc $(stat -c '%a %u %g' /dev/byteor)"
else
	echo "$M udev $rc absent"
fi

while read -r mode name; do
	case "$mode" in
	root)
		as=
		export BYTEOR_AS_USER=0
		;;
	user | demo | soak)
		as="-u $BYTEOR_USER_UID -g $BYTEOR_USER_GID -G $BYTEOR_DEVICE_GID"
		[ -n "$BYTEOR_CREATE_GID" ] && as="$as,$BYTEOR_CREATE_GID"
		export BYTEOR_AS_USER=1
		;;
	*)
		continue
		;;
	esac
	# Each run starts in an empty directory of its own, also its TMPDIR,
	# so nothing the root pass left in /tmp is in the user pass' way.
	wd=/tmp/$mode.$name
	mkdir -p "$wd"
	[ "$mode" = user ] && chown "$BYTEOR_USER_UID:$BYTEOR_USER_GID" "$wd"
	# A program before may have loaded the module again: its node gets
	# the rule before the next program opens it.
	udevadm settle --timeout=60
	echo "$M run $mode $name"
	t0=$(now)
	# The demo (byteor-demo) runs short, on the default backing, which
	# is the kernel's here; its output is figures, not TAP.
	# The soak: every lane on the kernel backing for 20 s, a role killed
	# every ~100 ms; TCG on two vCPUs is slow, so a lane stalls only after
	# 20 s without progress.
	args=
	[ "$mode" = demo ] && args=--quick
	[ "$mode" = soak ] && args="-b kernel -t 20 -k 100 -S 20"
	# shellcheck disable=SC2086 # $as, $args: zero or more options
	(cd "$wd" && TMPDIR=$wd runas $as -t "$BYTEOR_TEST_TIMEOUT" -- \
		"/tests/$name" $args </dev/null)
	rc=$?
	t1=$(now)
	echo "$M exit $mode $name $rc $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')"
done </etc/byteor/runs

hugepages tests

# kmemleak (the debug kernel): scan twice (an object must stay
# unreferenced across scans to count) and dump what it found, once with the
# module loaded (its frames resolve) and once after unloading it.  The
# module's address range lets the host attribute frames after the unload.
kmemleak() { # WHEN
	k=/sys/kernel/debug/kmemleak
	[ -w "$k" ] || return 0
	echo scan >"$k"
	sleep 6
	echo scan >"$k"
	echo "$M kmemleak-begin $1"
	cat "$k"
	echo "$M kmemleak-end $1"
}
if [ -w /sys/kernel/debug/kmemleak ]; then
	# shellcheck disable=SC2046 # name size refs deps state address
	set -- $(grep '^byteor ' /proc/modules)
	[ $# -ge 6 ] && echo "$M module $6 $2"
	kmemleak loaded
fi
if grep -q '^byteor ' /proc/modules; then
	runas -t 60 rmmod byteor </dev/null
	echo "$M rmmod $?"
else
	echo "$M rmmod not-loaded"
fi
# Freed hugepages can lag the last fput (delayed work); give them a moment.
i=0
while [ $i -lt 50 ]; do
	# shellcheck disable=SC2046 # two numbers: total, free
	set -- $(awk '/^HugePages_Total:/ { t = $2 } /^HugePages_Free:/ { f = $2 }
		END { print t, f }' /proc/meminfo)
	[ "$1" = "$2" ] && break
	sleep 0.2
	i=$((i + 1))
done
hugepages rmmod
udevadm control --exit
kmemleak unloaded

echo "$M dmesg-begin"
dmesg
echo "$M dmesg-end"
echo "$M done $(now)"
poweroff -f
# ACPI power-off failed: with -no-reboot a reboot ends QEMU too, and the
# missing "reboot: Power down" line tells the host.
reboot -f
