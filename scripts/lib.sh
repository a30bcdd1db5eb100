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
