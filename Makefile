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

.PHONY: all deps kmod lint check check-kernel test run bench install clean

all: kmod

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

check: deps lint check-kernel

clean:
	$(Q)$(MAKE) --no-print-directory -C kmod clean
	$(Q)rm -rf $(BUILD)/kmod-* $(BUILD)/tests-* $(BUILD)/qemu-*
