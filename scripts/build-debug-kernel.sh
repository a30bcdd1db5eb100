#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the KUnit debug kernel (KASAN, lockdep, kmemleak, DEBUG_VM, fault
# injection) from Debian's linux-source-6.1, once: the build is cached in
# $CACHE/debug-<source version>-<config hash>/ and reused while neither
# changes.  Prints the build directory (a KDIR with arch/x86/boot/bzImage).
set -eu
. "$(dirname "$0")/lib.sh"

src=$(src_tree)
# Bump GASPACE_DEBUG_BUILD when the way the kernel is built changes.
GASPACE_DEBUG_BUILD=1
hash=$( (echo "$GASPACE_DEBUG_BUILD"; cat "$GASPACE_ROOT/scripts/debug.config") |
	sha256sum | cut -c1-12)
out=$CACHE/debug-$(src_version)-$hash
mkdir -p "$CACHE"
exec 9>"$CACHE/.debug-build.lock"
flock 9
if [ -f "$out/.built" ]; then
	echo "$out"
	exit 0
fi
note "building the debug kernel in $out (once; about 5-10 minutes on 2 cores)"
rm -rf "$out" && mkdir -p "$out"
{
	make -C "$src" O="$out" ARCH=x86_64 tinyconfig
	opts=()
	while read -r o; do
		case "$o" in ''|'#'*) continue ;; esac
		opts+=(-e "$o")
	done < "$GASPACE_ROOT/scripts/debug.config"
	"$src/scripts/config" --file "$out/.config" "${opts[@]}" -d SLOB
	make -C "$src" O="$out" ARCH=x86_64 olddefconfig
} > "$out/config.log" 2>&1 || die "configuring failed: see $out/config.log"
missing=
while read -r o; do
	case "$o" in ''|'#'*) continue ;; esac
	grep -q "^CONFIG_$o=y" "$out/.config" || missing="$missing $o"
done < "$GASPACE_ROOT/scripts/debug.config"
[ -z "$missing" ] || die "debug kernel config lacks:$missing"
make -C "$src" O="$out" ARCH=x86_64 -j"$JOBS" all \
	> "$out/build.log" 2>&1 || die "kernel build failed: see $out/build.log"
touch "$out/.built"
# Older builds (another source version or config) are of no further use.
for old in "$CACHE"/debug-*; do
	[ "$old" = "$out" ] || rm -rf "$old"
done
echo "$out"
