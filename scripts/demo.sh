#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The byteor demo (`make run`): byteor lanes between real processes on the
# default backing - the kernel module if /dev/byteor exists, else the
# userspace backing (BYTEOR_DIR, a hugetlbfs mount, or /dev/shm); no module
# and no root needed.  Prints messages/s (one message per call, batches)
# for a single ring (1 -> 1) and an MPSC events queue (3 -> 1), round-trip
# latency percentiles (ping-pong over two lanes), entries/s through a
# sequenced-slots pipeline (producer -> stage 0 -> stage 1 -> subscriber,
# every entry checked at every stage), and a journal: records/s of a
# publisher flat out and paced, a live subscriber's lag and laps, and a
# replayer from a stored position to the tail (every record checked).
# Takes about 20 seconds; the regions it creates are removed on exit and on
# Ctrl-C.  Exit status 1 if any lane failed or lost data it must not lose.
#
#   scripts/demo.sh                      the full run (2 s per test)
#   scripts/demo.sh --quick              0.5 s per test
#   DEMO_ARGS="--wait auto" make run     arguments through make
#   scripts/demo.sh --help               every option of byteor-demo
set -euo pipefail

cd "$(dirname "$0")/.."
BUILD=${BUILD:-$PWD/build}
demo=$BUILD/ulib/byteor-demo

if [ ! -x "$demo" ]; then
	make --no-print-directory -C ulib tools
fi
# shellcheck disable=SC2086 # DEMO_ARGS is a list of words on purpose
exec "$demo" ${DEMO_ARGS:-} "$@"
