#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# `make soak`: every lane across processes on the userspace backing, with a
# random role SIGKILLed and restarted every ~20 ms, for SOAK_S seconds
# (default 1800), then the table of tests/soak/soak.c.  `make check` runs
# a 5 s one (test-all: SOAK_S=5) on the host and a 20 s one on the kernel
# backing in every test guest.  Exit status 1 on any torn, lost or duplicated message, a
# stall, or a role that died of anything but the soak's own SIGKILL.
#
#   SOAK_S=600 make soak
#   SOAK_ARGS="-l ring -k 5 -s 42" make soak
set -euo pipefail

cd "$(dirname "$0")/.."
BUILD=${BUILD:-$PWD/build}
make --no-print-directory -s -C ulib lib
mkdir -p "$BUILD/soak"
cc -std=gnu11 -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE -Iinclude \
	-o "$BUILD/soak/soak" tests/soak/soak.c "$BUILD/ulib/libbyteor.a" -lpthread
# shellcheck disable=SC2086 # SOAK_ARGS is a list of words on purpose
exec "$BUILD/soak/soak" -t "${SOAK_S:-1800}" ${SOAK_ARGS:-}
