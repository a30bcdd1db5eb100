# SPDX-License-Identifier: GPL-2.0
# Shared settings of the gaspace scripts: sourced, not run.

GASPACE_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${GASPACE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gaspace}
JOBS=${JOBS:-$(nproc)}

die() { echo "gaspace: $*" >&2; exit 1; }
note() { echo "gaspace: $*" >&2; }

# Version of Debian's linux-source-6.1 package, e.g. 6.1.192-2.
src_version() {
	dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null
}

# Extracted linux-source-6.1 tree (checkpatch, kernel-doc, the harness,
# and the debug kernel's sources), unpacked once into the cache.
src_tree() {
	local ver dir
	ver=$(src_version) || die "linux-source-6.1 is not installed"
	[ -n "$ver" ] || die "linux-source-6.1 is not installed"
	dir=$CACHE/src/linux-source-$ver
	if [ ! -f "$dir/.unpacked" ]; then
		note "unpacking linux-source-6.1 $ver into $dir"
		rm -rf "$dir" && mkdir -p "$dir"
		tar -xf /usr/src/linux-source-6.1.tar.xz -C "$dir" \
			--strip-components=1 || die "cannot unpack linux-source"
		touch "$dir/.unpacked"
	fi
	echo "$dir"
}

# The test initramfs (gzip) at $3: busybox, scripts/init.sh as /init, the
# modules of $1 (and its params file) in /gaspace, the programs of $2 in
# /tests.  vm.sh and bochs.sh boot it.  GASPACE_BUSYBOX names another
# architecture's busybox; GASPACE_INIT a static program (scripts/init.c)
# that is /init instead of busybox and init.sh.
make_initrd() {
	local moddir=$1 testdir=$2 out=$3 root
	root=$(mktemp -d)
	mkdir -p "$root"/{bin,dev,proc,sys,tmp,gaspace,tests}
	if [ -n "${GASPACE_INIT:-}" ]; then
		install -m 0755 "$GASPACE_INIT" "$root/init"
	else
		cp "${GASPACE_BUSYBOX:-/bin/busybox}" "$root/bin/busybox"
		install -m 0755 "$GASPACE_ROOT/scripts/init.sh" "$root/init"
	fi
	cp "$moddir"/*.ko "$root/gaspace/"
	[ -f "$moddir/params" ] && cp "$moddir/params" "$root/gaspace/"
	[ -d "$testdir" ] && cp -r "$testdir"/. "$root/tests/"
	(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$out"
	rm -rf "$root"
	# a second archive the kernel unpacks over the first (qemu_cpio)
	if [ -n "${GASPACE_QEMU_CPIO:-}" ]; then
		cat "$GASPACE_QEMU_CPIO" >> "$out"
	fi
}

# qemu_cpio: print the path of a gzip'd cpio archive of Debian's
# qemu-system-x86_64 for the test VMs (qemu_test runs it there): the
# binary, its TCG accelerator module and the libraries ldd lists for them,
# each at its own path, and no data file (the test passes its own
# firmware).  Built once per QEMU version into the cache.
qemu_cpio() {
	local bin=/usr/bin/qemu-system-x86_64 ver out root f files
	local tcg=/usr/lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so
	[ -x "$bin" ] || return 1
	[ -f "$tcg" ] || tcg=
	ver=$(dpkg-query -W -f='${Version}' qemu-system-x86 2>/dev/null) || ver=
	[ -n "$ver" ] || ver=$(stat -c %Y "$bin")
	out=$CACHE/qemu-x86_64-${ver//[:\/]/_}.cpio.gz
	if [ ! -s "$out" ]; then
		files=$(ldd "$bin" $tcg | awk '
			$2 == "=>" && $3 ~ /^\// { print $3 }
			$1 ~ /^\// && $2 ~ /^\(/ { print $1 }' | sort -u) || return 1
		root=$(mktemp -d)
		for f in "$bin" $tcg $files; do
			mkdir -p "$root$(dirname "$f")"
			cp -L "$f" "$root$f" || { rm -rf "$root"; return 1; }
		done
		mkdir -p "$CACHE"
		(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) \
			> "$out.$$" && mv "$out.$$" "$out"
		rm -rf "$root" "$out.$$"
	fi
	echo "$out"
}

# Copy the module's sources (no build products) into $1, for a build that
# keeps the tree clean.  Extra arguments name more top-level paths.
copy_sources() {
	local dst=$1
	shift
	mkdir -p "$dst"
	(cd "$GASPACE_ROOT" &&
	 git ls-files -co --exclude-standard -- Kbuild addrspace npt backends \
		include uapi "$@" | tar -cf - -T -) | tar -xf - -C "$dst"
}
