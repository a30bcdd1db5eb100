#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Prepare one of the test kernels and print "KDIR IMAGE RELEASE" for it:
#   debug     KUnit + sanitizers, built from linux-source-6.1 (cached)
#   stock61   Debian 12's stock 6.1 (headers installed, image unpacked)
#   stock612  Debian 12's newest 6.12 (headers, common, kbuild and image
#             fetched with apt-get download and unpacked; GASPACE_612=VER
#             picks another build, e.g. 6.12.117+deb12)
#   arm64     Debian 12's stock arm64 6.1 (the release of stock61): image and
#             headers fetched with apt-get download; modules are built with
#             the host's kbuild and aarch64-linux-gnu-gcc
#   riscv64   riscv64 6.1 with KUnit, built from linux-source-6.1 (cached)
#   arm64-kunit  a small arm64 6.1 with KUnit, built the same way
set -eu
. "$(dirname "$0")/lib.sh"

# Unpack Debian packages into $1 (cached: .done marks a complete unpack).
unpack_debs() {
	local dir=$1 tmp
	shift
	[ -f "$dir/.done" ] && return 0
	rm -rf "$dir" && mkdir -p "$dir"
	tmp=$(mktemp -d)
	(cd "$tmp" && apt-get download "$@" >/dev/null 2>&1) ||
		{ rm -rf "$tmp"; die "apt-get download $* failed"; }
	for deb in "$tmp"/*.deb; do
		dpkg-deb -x "$deb" "$dir" || die "cannot unpack $deb"
	done
	rm -rf "$tmp"
	touch "$dir/.done"
}

case "${1:-}" in
debug)
	kdir=$("$(dirname "$0")/build-kernel.sh" debug)
	echo "$kdir $kdir/arch/x86/boot/bzImage debug"
	;;
stock61)
	dep=$(dpkg-query -W -f='${Depends}' linux-headers-amd64) ||
		die "linux-headers-amd64 is not installed"
	rel=$(echo "$dep" | sed -n 's/.*linux-headers-\([^ ,]*-amd64\).*/\1/p')
	kdir=/usr/src/linux-headers-$rel
	[ -d "$kdir" ] || die "$kdir is missing"
	dir=$CACHE/stock-$rel
	unpack_debs "$dir" "linux-image-$rel"
	echo "$kdir $dir/boot/vmlinuz-$rel $rel"
	;;
stock612)
	ver=${GASPACE_612:-}
	if [ -z "$ver" ]; then
		ver=$(apt-cache search --names-only \
			'^linux-headers-6\.12\.[0-9]+\+deb12-amd64$' |
			sed -n 's/^linux-headers-\(6\.12\.[0-9]*+deb12\)-amd64 .*/\1/p' |
			sort -V | tail -n 1)
		[ -n "$ver" ] || die "no 6.12 headers in the apt lists (apt-get update?)"
	fi
	rel=$ver-amd64
	dir=$CACHE/stock-$rel
	unpack_debs "$dir" "linux-headers-$rel" "linux-headers-$ver-common" \
		"linux-kbuild-$ver" "linux-image-$rel-unsigned"
	kdir=$dir/usr/src/linux-headers-$rel
	# The headers' Makefile includes the common tree by absolute path.
	sed -i "s#^include /usr/src/#include $dir/usr/src/#" "$kdir/Makefile"
	echo "$kdir $dir/boot/vmlinuz-$rel $rel"
	;;
arm64)
	dep=$(dpkg-query -W -f='${Depends}' linux-headers-amd64) ||
		die "linux-headers-amd64 is not installed"
	rel=$(echo "$dep" | sed -n 's/.*linux-headers-\([^ ,]*\)-amd64.*/\1/p')-arm64
	dir=$CACHE/stock-$rel
	# arm64 packages need the architecture in dpkg (scripts/deps.sh arm64)
	unpack_debs "$dir" "linux-image-$rel:arm64" "linux-headers-$rel:arm64" \
		"linux-headers-${rel%-arm64}-common" busybox-static:arm64
	kdir=$dir/usr/src/linux-headers-$rel
	sed -i "s#^include /usr/src/#include $dir/usr/src/#" "$kdir/Makefile"
	# The kbuild tools are the host's (the package is Multi-Arch: foreign).
	for l in scripts tools; do
		ln -sfn "/usr/lib/linux-kbuild-6.1/$l" "$kdir/$l"
		ln -sfn "/usr/lib/linux-kbuild-6.1/$l" \
			"$dir/usr/src/linux-headers-${rel%-arm64}-common/$l"
	done
	echo "$kdir $dir/boot/vmlinuz-$rel $rel"
	;;
riscv64)
	kdir=$("$(dirname "$0")/build-kernel.sh" riscv64)
	echo "$kdir $kdir/arch/riscv/boot/Image riscv64"
	;;
arm64-kunit)
	kdir=$("$(dirname "$0")/build-kernel.sh" arm64)
	echo "$kdir $kdir/arch/arm64/boot/Image arm64-kunit"
	;;
*)
	die "usage: kernel.sh debug|stock61|stock612|arm64|arm64-kunit|riscv64"
	;;
esac
