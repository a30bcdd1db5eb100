#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install what the make targets need on Debian 12 (as root), or name what is
# missing.  Usage: deps.sh [lint|bench|bochs|arm64|riscv64|deb|package]
# (the default set serves check/demo; the others add what those kernels,
# make deb and make package-check need).
set -eu
. "$(dirname "$0")/lib.sh"

# command-or-file:package.  gcc-12-multilib and libc6-dev-i386 build the
# static i386 test programs; not gcc-multilib, which conflicts with the
# arm64 and riscv64 cross compilers (selftests/Makefile finds <asm/*.h>
# without it).
need=(
	gcc:gcc make:make /usr/include/stdio.h:libc6-dev bc:bc bison:bison
	flex:flex /usr/include/libelf.h:libelf-dev
	/usr/include/openssl/ssl.h:libssl-dev cpio:cpio xz:xz-utils
	perl:perl pahole:dwarves qemu-system-x86_64:qemu-system-x86
	/bin/busybox:busybox-static /usr/src/linux-source-6.1.tar.xz:linux-source-6.1
	/usr/share/doc/linux-headers-amd64:linux-headers-amd64
	x86_64-linux-gnu-gcc-12:gcc-12 sparse:sparse dpkg-deb:dpkg
	apt-get:apt
	/usr/lib/gcc/x86_64-linux-gnu/12/32/libgcc.a:gcc-12-multilib
	/usr/lib32/libc.a:libc6-dev-i386
)
# make bench also draws its charts
[ "${1:-}" = bench ] && need+=(gnuplot:gnuplot-nox)
# make deb builds the Debian package; make package-check also makes a
# Debian 12 chroot for it
[ "${1:-}" = deb ] && need+=(dpkg-buildpackage:dpkg-dev dh:debhelper
	dh_dkms:dh-dkms)
[ "${1:-}" = package ] && need+=(debootstrap:debootstrap zstd:zstd)
# arm64 and riscv64 kernels: cross compilers, their libc for the static
# test programs, and QEMU's models of the two machines
[ "${1:-}" = arm64 ] && need+=(aarch64-linux-gnu-gcc-12:gcc-aarch64-linux-gnu
	/usr/aarch64-linux-gnu/include/stdio.h:libc6-dev-arm64-cross
	qemu-system-aarch64:qemu-system-arm)
[ "${1:-}" = riscv64 ] && need+=(riscv64-linux-gnu-gcc:gcc-riscv64-linux-gnu
	/usr/riscv64-linux-gnu/include/stdio.h:libc6-dev-riscv64-cross
	qemu-system-riscv64:qemu-system-misc)
# the VMX guests run under Bochs, booted by GRUB from a CD image
[ "${1:-}" = bochs ] && need+=(bochs:bochs
	/usr/share/bochs/BIOS-bochs-latest:bochsbios
	/usr/share/vgabios/vgabios.bin:vgabios
	grub-mkrescue:grub-common /usr/lib/grub/i386-pc:grub-pc-bin
	xorriso:xorriso mformat:mtools)
missing=()
# Debian's arm64 kernel and busybox are fetched with apt-get download: dpkg
# must know the architecture, and apt its package lists.
if [ "${1:-}" = arm64 ] &&
   ! dpkg --print-foreign-architectures | grep -qx arm64; then
	[ "$(id -u)" = 0 ] ||
		die "run as root, or: dpkg --add-architecture arm64 && apt-get update"
	note "adding the arm64 architecture to dpkg"
	dpkg --add-architecture arm64 || die "dpkg --add-architecture failed"
	apt-get update -qq >/dev/null || die "apt-get update failed"
fi
for n in "${need[@]}"; do
	what=${n%%:*} pkg=${n##*:}
	case "$what" in
	/*) [ -e "$what" ] || missing+=("$pkg") ;;
	*) command -v "$what" >/dev/null 2>&1 || missing+=("$pkg") ;;
	esac
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
	die "missing packages (run as root, or install them): ${missing[*]}"
fi
note "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null || die "apt-get update failed"
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
	die "apt-get install ${missing[*]} failed"
