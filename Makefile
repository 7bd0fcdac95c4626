# SPDX-License-Identifier: MIT
#
# byteor top-level Makefile: delegates to the parts.
#
#   make run            the cross-process demo on the default backing
#   make check          deps + lint + host tests + kernel tests in QEMU
#   make test           host tests of the library only
#   make check-kernel   kselftests in QEMU on 6.1 and 6.12 (KVER=6.1 for one)
#   make kmod           byteor.ko for every test kernel (KVER= for one)
#   make lint           checkpatch --strict and sparse on kmod/
#   make bench          benchmarks (never part of check)
#   make fuzz           libFuzzer targets, FUZZ_S seconds each (fuzz/README.md)
#   make fuzz-corpus    the fuzz targets over their committed corpus (in check)
#   make install        libbyteor, headers, byteorctl (prefix, DESTDIR, ...)
#
# V=1 shows the commands.

KVERS ?= 6.1 6.12
KVER ?= $(KVERS)
BUILD ?= $(CURDIR)/build
export BUILD V

ifeq ($(V),1)
Q :=
else
Q := @
endif

.PHONY: all deps ulib kmod lint check check-kernel test test-all run bench \
	install uninstall clean fuzz fuzz-corpus

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
# points live).  test-all runs all four.
test: deps
	$(Q)SAN=$(SAN) bash scripts/host-tests.sh

test-all: deps
	$(Q)bash scripts/host-tests.sh
	$(Q)SAN=asan bash scripts/host-tests.sh
	$(Q)SAN=tsan bash scripts/host-tests.sh
	$(Q)SAN=crash bash scripts/host-tests.sh
	$(Q)$(MAKE) --no-print-directory fuzz-corpus

check: deps lint test-all check-kernel

run:
	$(Q)$(MAKE) --no-print-directory -C ulib tools
	$(Q)bash scripts/demo.sh

bench:
	$(Q)bash scripts/bench.sh

# libFuzzer (clang): fuzz/ targets, built into $(BUILD)/fuzz.
fuzz: deps
	$(Q)FUZZ_S=$(FUZZ_S) bash scripts/fuzz.sh run

fuzz-corpus: deps
	$(Q)bash scripts/fuzz.sh corpus

install uninstall:
	$(Q)$(MAKE) --no-print-directory -C ulib $@

clean:
	$(Q)$(MAKE) --no-print-directory -C kmod clean
	$(Q)$(MAKE) --no-print-directory -C ulib clean
	$(Q)$(MAKE) --no-print-directory -C tests/host clean
	$(Q)rm -rf $(BUILD)/kmod-* $(BUILD)/tests-* $(BUILD)/qemu-* $(BUILD)/fuzz
