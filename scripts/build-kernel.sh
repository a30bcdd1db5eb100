#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build one of the test kernels that Debian does not ship, from Debian's
# linux-source-6.1, once:
#   debug    x86-64 with KUnit, KASAN, lockdep, kmemleak, DEBUG_VM, fault
#            injection (scripts/debug.config)
#   riscv64  riscv64 for QEMU's virt machine, with KUnit (Debian 12 has no
#            riscv64 kernel; scripts/riscv64.config)
#   arm64    arm64 for QEMU's virt machine, with KUnit (Debian's arm64
#            kernel has none; scripts/arm64.config)
# The build is cached in $CACHE/<flavor>-<source version>-<config hash>/ and
# reused while neither changes.  Prints the build directory (a KDIR).
set -eu
. "$(dirname "$0")/lib.sh"

flavor=${1:-debug}
case "$flavor" in
debug) arch=x86_64 cross= ;;
riscv64) arch=riscv cross=riscv64-linux-gnu- ;;
arm64) arch=arm64 cross=aarch64-linux-gnu- ;;
*) die "usage: build-kernel.sh debug|riscv64|arm64" ;;
esac
config=$GASPACE_ROOT/scripts/$flavor.config
src=$(src_tree)
# Bump GASPACE_KERNEL_BUILD when the way the kernels are built changes.  The
# hash covers the options, not the comments.
GASPACE_KERNEL_BUILD=1
hash=$( (echo "$GASPACE_KERNEL_BUILD"; grep -v -e '^#' -e '^$' "$config") |
	sha256sum | cut -c1-12)
out=$CACHE/$flavor-$(src_version)-$hash
mk=(make -C "$src" O="$out" ARCH="$arch" ${cross:+CROSS_COMPILE=$cross})
mkdir -p "$CACHE"
exec 9>"$CACHE/.$flavor-build.lock"
flock 9
if [ -f "$out/.built" ]; then
	echo "$out"
	exit 0
fi
note "building the $flavor kernel in $out (once; about 5-10 minutes on 2 cores)"
rm -rf "$out" && mkdir -p "$out"
{
	"${mk[@]}" tinyconfig
	opts=()
	while read -r o; do
		case "$o" in ''|'#'*) continue ;; esac
		opts+=(-e "$o")
	done < "$config"
	"$src/scripts/config" --file "$out/.config" "${opts[@]}" -d SLOB
	"${mk[@]}" olddefconfig
} > "$out/config.log" 2>&1 || die "configuring failed: see $out/config.log"
missing=
while read -r o; do
	case "$o" in ''|'#'*) continue ;; esac
	grep -q "^CONFIG_$o=y" "$out/.config" || missing="$missing $o"
done < "$config"
[ -z "$missing" ] || die "$flavor kernel config lacks:$missing"
"${mk[@]}" -j"$JOBS" all > "$out/build.log" 2>&1 ||
	die "kernel build failed: see $out/build.log"
touch "$out/.built"
# Older builds of this flavor (another source version or config) are of no
# further use.
for old in "$CACHE/$flavor"-*; do
	[ "$old" = "$out" ] || rm -rf "$old"
done
echo "$out"
