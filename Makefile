# SPDX-License-Identifier: MIT
#
# byteor top-level Makefile: delegates to the parts.
#
#   make run            the cross-process demo on the default backing
#   make check          deps + lint + models + host tests + packages + kernel tests in QEMU
#   make models         spin models of the recovery protocols (models/)
#   make test           host tests of the library only
#   make check-kernel   kselftests in QEMU on 6.1, 6.1-rt and 6.12 (KVER=6.1 for one;
#                       KVER=6.12-debug: the KASAN/lockdep kernel, built once)
#   make kmod           byteor.ko for every test kernel (KVER= for one)
#   make lint           checkpatch --strict and sparse on kmod/
#   make abi            libbyteor's ABI against ulib/abi/ (abi-update records)
#   make bench          benchmarks (never part of check; the bridge's last)
#   make bench-notify   busy lane vs a parking neighbour, notify modes
#   make bench-ipm      instructions per message of every lane (cachegrind, < 1 min)
#   make soak           every lane, roles killed at random (SOAK_S=1800)
#   make fuzz           libFuzzer targets, FUZZ_S seconds each (fuzz/README.md)
#   make fuzz-corpus    the fuzz targets over their committed corpus (in check)
#   make bridge         byteor-bridge (bridge/), a journal replicated through NATS JetStream
#   make check-bridge   its tests against real nats-servers (in check)
#   make install        libbyteor, headers, byteorctl, man pages (prefix, DESTDIR, ...)
#   make man-check      the man pages: groff warnings, every function, install
#   make deb            Debian packages into build/deb/ (lintian-clean)
#   make deb-test       make deb, then install, dkms build, use and purge
#                       them in a clean Debian 12 root (root; in check, ~1 min)
#
# V=1 shows the commands.

KVERS ?= 6.1 6.1-rt 6.12
KVER ?= $(KVERS)
BUILD ?= $(CURDIR)/build
export BUILD V

ifeq ($(V),1)
Q :=
else
Q := @
endif

.PHONY: all deps ulib kmod lint abi abi-update models check check-kernel \
	check-kernel-debug test test-all run bench bench-notify bench-regime bench-ipm soak \
	fuzz fuzz-corpus install uninstall clean man-check deb deb-test bridge \
	check-bridge

all: ulib

ulib:
	$(Q)$(MAKE) --no-print-directory -C ulib

deps:
	$(Q)bash scripts/deps.sh

kmod: deps
	$(Q)for k in $(KVER); do \
		$(MAKE) --no-print-directory -C kmod \
			KDIR=/usr/src/linux-headers-$$(cat $(BUILD)/kernels/$$k/release) \
			O_KMOD=$(BUILD)/kmod-$$k || exit 1; \
	done

lint: deps
	$(Q)bash scripts/lint-kmod.sh

check-kernel: deps
	$(Q)bash scripts/check-kernel.sh $(KVER)

# Host tests of the library on the userspace backing; SAN=asan|tsan for a
# sanitizer build, SAN=crash for the recovery tests of tests/crash/ (crash
# points live).  test-all runs all four, the fuzz corpus and a 5 s soak.
test: deps
	$(Q)SAN=$(SAN) bash scripts/host-tests.sh

test-all: deps
	$(Q)bash scripts/host-tests.sh
	$(Q)SAN=asan bash scripts/host-tests.sh
	$(Q)SAN=tsan bash scripts/host-tests.sh
	$(Q)SAN=crash bash scripts/host-tests.sh
	$(Q)$(MAKE) --no-print-directory fuzz-corpus
	$(Q)SOAK_S=5 SOAK_ARGS="-S 20" bash scripts/soak.sh

# The ABI of libbyteor.so against its record (scripts/abi.sh).
abi: deps
	$(Q)bash scripts/abi.sh check

# Exhaustive spin runs of models/*.pml, today's code and the fixed protocol.
models: deps
	$(Q)bash scripts/models.sh

abi-update: deps
	$(Q)bash scripts/abi.sh update

# The KASAN/lockdep kernel: built once (scripts/debug-kernel.sh, cached
# outside the clone); `make check` runs its lane when that build exists, and
# says how to make it when not.
check-kernel-debug: deps
	$(Q)if bash scripts/debug-kernel.sh --cached; then \
		bash scripts/check-kernel.sh 6.12-debug; \
	else \
		echo "check-kernel-debug: no cached debug kernel; 'make check-kernel KVER=6.12-debug' builds it (see README)"; \
	fi

# The man pages of man/ (scripts/man-check.sh): no groff warning, a page
# for every public function, installed by `make install`.
man-check: deps
	$(Q)bash scripts/man-check.sh

check: deps lint abi man-check models test-all deb-test check-bridge check-kernel \
	check-kernel-debug

# byteor-bridge (bridge/): needs libnats-dev; its tests need nats-server.
bridge: ulib
	$(Q)$(MAKE) --no-print-directory -C bridge

check-bridge: deps
	$(Q)bash scripts/bridge-tests.sh
	$(Q)SAN=asan BRIDGE_RECORDS=20000 bash scripts/bridge-tests.sh unit help end_to_end \
		in_killed unreachable missing checkpoint_of lap

# The demo needs only a compiler and make: deps.sh --build installs just those
# (as root; otherwise it names the missing packages).
run:
	$(Q)bash scripts/deps.sh --build
	$(Q)$(MAKE) --no-print-directory -C ulib tools
	$(Q)bash scripts/demo.sh

bench:
	$(Q)bash scripts/bench.sh
	$(Q)bash scripts/bridge-tests.sh bench

bench-ipm:
	$(Q)BENCH_SECTIONS=ipm bash scripts/bench.sh

soak:
	$(Q)bash scripts/soak.sh

# A busy lane's round trips with a neighbour parking 1000 times a second,
# notify mode asym against BYTEOR_NOTIFY=fenced (bench/notify_ipi.c).
bench-notify: deps ulib
	$(Q)mkdir -p $(BUILD)/bench
	$(Q)$(CC) -std=gnu11 -O2 -Wall -Wextra -Werror -I$(CURDIR)/include \
		-o $(BUILD)/bench/notify-ipi bench/notify_ipi.c \
		$(BUILD)/ulib/libbyteor.a -lpthread
	$(Q)$(BUILD)/bench/notify-ipi $(NOTIFY_ARGS)

# The single ring's single-op rate against the consumer's back-off when it
# finds the ring empty: the regime a producer/consumer pair settles in
# (bench/single_op_regime.c).
bench-regime: deps ulib
	$(Q)mkdir -p $(BUILD)/bench
	$(Q)$(CC) -std=gnu11 -O2 -Wall -Wextra -Werror -I$(CURDIR)/include \
		-o $(BUILD)/bench/single-op-regime bench/single_op_regime.c \
		$(BUILD)/ulib/libbyteor.a -lpthread
	$(Q)$(BUILD)/bench/single-op-regime $(REGIME_ARGS)

# libFuzzer (clang): fuzz/ targets, built into $(BUILD)/fuzz.
fuzz: deps
	$(Q)FUZZ_S=$(FUZZ_S) bash scripts/fuzz.sh run

fuzz-corpus: deps
	$(Q)bash scripts/fuzz.sh corpus

# Debian packages (debian/, packaging/; scripts/deb-test.sh).
deb: deps
	$(Q)bash scripts/deb-test.sh --build

deb-test: deps
	$(Q)bash scripts/deb-test.sh

install uninstall:
	$(Q)$(MAKE) --no-print-directory -C ulib $@

clean:
	$(Q)$(MAKE) --no-print-directory -C kmod clean
	$(Q)$(MAKE) --no-print-directory -C ulib clean
	$(Q)$(MAKE) --no-print-directory -C tests/host clean
	$(Q)rm -rf $(BUILD)/kmod-* $(BUILD)/tests-* $(BUILD)/qemu-* $(BUILD)/fuzz
