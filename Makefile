# SPDX-License-Identifier: GPL-2.0
#
# gaspace: guest address spaces with nested page tables.
#
#   make [KDIR=<kernel build dir>]  build gaspace.ko (and kunit/gaspace_kunit.ko
#                                   where the kernel has KUnit)
#   make check                      every test, in QEMU, on three kernels
#   make demo                       the example VMM on stock 6.1 in QEMU
#   make lint                       checkpatch --strict and sparse
#   make bench / make stress        the benchmark and the long runs
#   make deb                        the gaspace-dkms Debian package
#   make dkms [KVER=<release>]      register, build and install with DKMS
#   make package-check              the package in a fresh Debian 12 chroot,
#                                   its DKMS-built module booted in QEMU
#
# The kbuild side of the build is in Kbuild.

KDIR ?= /lib/modules/$(shell uname -r)/build

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null || true
	rm -rf .build
	$(MAKE) -C selftests clean 2>/dev/null || true
	$(MAKE) -C samples/vmm clean 2>/dev/null || true
	$(MAKE) -C samples/svm clean 2>/dev/null || true
	$(MAKE) -C samples/vmx clean 2>/dev/null || true
	$(MAKE) -C samples/arm64 clean 2>/dev/null || true
	$(MAKE) -C samples/riscv clean 2>/dev/null || true

check:
	@KERNELS="$(KERNELS)" TESTS="$(TESTS)" scripts/check.sh

demo:
	@scripts/demo.sh

lint:
	@scripts/lint.sh

bench:
	@scripts/bench.sh

stress:
	@scripts/stress.sh

deb:
	@scripts/deb.sh >/dev/null

dkms:
	@KVER="$(KVER)" scripts/dkms.sh

package-check:
	@PACKAGE_TESTS="$(PACKAGE_TESTS)" scripts/package-check.sh

.PHONY: all modules clean check demo lint bench stress deb dkms package-check
