#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# byteor benchmarks (top-level `make bench`; never part of `make check`).
#
#   bash scripts/bench.sh            the full run (~20 minutes on 2 CPUs)
#   BENCH_QUICK=1 bash scripts/bench.sh   one repetition, small counts (development)
#   BENCH_SECTIONS=spsc,rtt bash scripts/bench.sh   some sections only
#   BENCH_SECTIONS=ipm bash scripts/bench.sh   instructions per message only
#                                    (top-level `make bench-ipm`; cachegrind)
#   BENCH_PAIRED_S=600 bash scripts/bench.sh   a longer paired section (the
#                                    targets per host state; default 300 s)
#
# Installs its Debian packages idempotently (as root), builds libbyteor and
# the driver, sets up for the run what it needs and puts it back afterwards:
# a 2 MiB hugetlb pool (vm.nr_hugepages) and a hugetlbfs mount for byteor's
# userspace backing, a private /dev/shm directory, tracefs (to count system
# calls).  Output: tables on stdout, build/bench/results.json, PNG plots in
# build/bench/ (gnuplot); quick runs write build/bench/quick/ instead,
# instruction counts alone (make bench-ipm) build/bench/ipm-run/.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$top/build}
out=$BUILD/bench
say() { echo "bench: $*" >&2; }

pkgs="libdpdk-dev libck-dev libboost-dev libreaderwriterqueue-dev libdisruptor-java
      default-jdk-headless gnuplot-nox pkg-config valgrind"
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	[ "$(id -u)" = 0 ] || { say "missing packages:$missing (run as root to install)"; exit 1; }
	say "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update >/dev/null 2>&1 || true
	# shellcheck disable=SC2086
	apt-get install -y --no-install-recommends $missing >/dev/null
fi

make -s -C "$top/ulib" BUILD="$BUILD"
make -s -C "$top/bench" BUILD="$BUILD"

# ---- run-time setup, undone on exit ------------------------------------------
shm=$(mktemp -d /dev/shm/byteor-bench.XXXXXX)
huge_dir=
old_nr=
mounted_trace=
cleanup() {
	set +e
	[ -n "$huge_dir" ] && { rm -f "$huge_dir"/byteor.* 2>/dev/null; umount "$huge_dir" 2>/dev/null; rmdir "$huge_dir" 2>/dev/null; }
	[ -n "$old_nr" ] && echo "$old_nr" >/proc/sys/vm/nr_hugepages 2>/dev/null
	[ -n "$mounted_trace" ] && umount /sys/kernel/tracing 2>/dev/null
	rm -rf "$shm"
	return 0
}
trap cleanup EXIT

if [ "$(id -u)" = 0 ]; then
	# 2 MiB pages: the largest run needs ~12 pages (two 6 MiB regions);
	# 256 (512 MiB) leaves room for anyone else who finds the hugetlbfs
	# mount while the run lasts.
	cur=$(cat /proc/sys/vm/nr_hugepages)
	if [ "$cur" -lt 256 ]; then
		old_nr=$cur
		echo 256 >/proc/sys/vm/nr_hugepages || true
	fi
	if [ "$(awk '/HugePages_Free/ { print $2 }' /proc/meminfo)" -ge 16 ]; then
		huge_dir=$(mktemp -d /tmp/byteor-bench-huge.XXXXXX)
		mount -t hugetlbfs -o pagesize=2M,mode=0700 none "$huge_dir" || { rmdir "$huge_dir"; huge_dir=; }
	fi
	if [ ! -e /sys/kernel/tracing/events ] || [ -z "$(ls -A /sys/kernel/tracing 2>/dev/null)" ]; then
		mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null && mounted_trace=1
	fi
fi

java=
if command -v java >/dev/null && [ -f /usr/share/java/disruptor.jar ] &&
   [ -f "$out/java/DisruptorBench.class" ]; then
	java="taskset -c 0,1 java -XX:+UseParallelGC -Xms512m -cp $out/java:/usr/share/java/disruptor.jar DisruptorBench"
fi

notes="load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
notes="$notes; cpufreq governor: $(cat /sys/devices/system/cpu/cpu0/cpufreq/scaling_governor 2>/dev/null || echo 'none exposed (VM)')"
notes="$notes; cpuidle driver: $(cat /sys/devices/system/cpu/cpuidle/current_driver 2>/dev/null || echo none)"
notes="$notes; hugetlbfs: ${huge_dir:-none}; $(grep -m1 -o 'rdtscp' /proc/cpuinfo >/dev/null && echo rdtscp || echo 'no rdtscp (lfence;rdtsc;lfence)')"
notes="$notes; java: $(java -version 2>&1 | head -n1 || echo none)"

# quick runs go to their own directory: they never overwrite a full run's results
res=$out
if [ -n "${BENCH_QUICK:-}" ] && [ "${BENCH_QUICK}" != 0 ]; then
	res=$out/quick
	mkdir -p "$res"
elif [ "${BENCH_SECTIONS:-}" = ipm ]; then
	# make bench-ipm: its own directory too
	res=$out/ipm-run
	mkdir -p "$res"
fi
args=(-o "$res")
[ "$res" = "$out/quick" ] && args+=(-q)
[ -n "${BENCH_SECTIONS:-}" ] && args+=(-s "$BENCH_SECTIONS")

start=$(date +%s)
BENCH_DIR_4K=$shm BENCH_DIR_2M=$huge_dir BENCH_JAVA=$java BENCH_NOTES=$notes \
	"$out/bench" "${args[@]}"
end=$(date +%s)
echo "load average after the run: $(cut -d' ' -f1-3 /proc/loadavg); wall time $((end - start)) s"

if command -v gnuplot >/dev/null; then
	rm -f "$res"/*.png
	(cd "$res" && gnuplot plots.gp) 2>&1 | grep -v '^$' | head -n 20 >&2 || true
	echo "plots: $(ls "$res"/*.png 2>/dev/null | wc -l) PNG files in $res"
else
	say "gnuplot missing: no PNGs"
fi
