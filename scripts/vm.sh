#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Boot a kernel under QEMU (TCG, -cpu max, 2 vCPUs) with a busybox initramfs
# that loads the modules of MODDIR and runs the programs of TESTDIR (those
# named in TESTDIR/list), writing the serial console to LOG.
# GASPACE_ACCEL (tcg), GASPACE_VM_SMP (2) and GASPACE_VM_MEM (2G) pick the
# accelerator, vCPUs and memory; GASPACE_VM_ARCH the machine: x86_64 (the
# default), arm64 (virt with EL2, so the kernel starts at EL2 with VHE) or
# riscv64 (virt; the rv64 CPU has the H extension, OpenSBI as firmware).
#
# Usage: vm.sh IMAGE MODDIR TESTDIR LOG [TIMEOUT [EXTRA_APPEND]]
# Exits 0 when the VM powered off by itself with GASPACE-DONE, 124 on timeout.
set -eu
. "$(dirname "$0")/lib.sh"

image=$1 moddir=$2 testdir=$3 log=$4 timeout=${5:-900} extra=${6:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

make_initrd "$moddir" "$testdir" "$work/initrd.gz"

# watchdog_thresh=30: under TCG on a busy 2-core host a vCPU can stall for
# seconds; a soft lockup is still reported, after 60 s instead of 20 s.
accel=${GASPACE_ACCEL:-tcg}
case "${GASPACE_VM_ARCH:-x86_64}" in
x86_64) qemu=(qemu-system-x86_64 -accel "$accel" -cpu max) console=ttyS0 ;;
# pauth-impdef: the same pointer authentication with a cheaper hash
arm64) qemu=(qemu-system-aarch64 -accel tcg -M virt,virtualization=on
	-cpu max,pauth-impdef=on) console=ttyAMA0 ;;
riscv64) qemu=(qemu-system-riscv64 -accel tcg -M virt -cpu rv64,h=true
	-bios default) console=ttyS0 ;;
*) die "GASPACE_VM_ARCH: x86_64, arm64 or riscv64" ;;
esac
rc=0
timeout --foreground -k 10 "$timeout" \
	"${qemu[@]}" \
	-smp "${GASPACE_VM_SMP:-2}" -m "${GASPACE_VM_MEM:-2G}" \
	-display none -monitor none -no-reboot \
	-serial "file:$log" -kernel "$image" -initrd "$work/initrd.gz" \
	-append "console=$console loglevel=4 printk.time=0 panic=-1 watchdog_thresh=30 $extra" \
	</dev/null >"$work/qemu.out" 2>&1 || rc=$?
if [ "$rc" != 0 ]; then
	cat "$work/qemu.out" >&2
	exit "$rc"
fi
grep -q '^GASPACE-DONE' "$log" || exit 1
exit 0
