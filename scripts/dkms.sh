#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make dkms: register this tree with DKMS as gaspace/<version> (the version
# of debian/changelog), then build and install gaspace.ko for a kernel:
# KVER (default: the running one).  The sources are copied to
# /usr/src/gaspace-<version>/, where DKMS finds them for later kernels too
# (AUTOINSTALL).  A previous registration of the same version is removed
# first.  Needs root and dkms; the Debian package does the same.
set -eu
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || die "make dkms needs root"
command -v dkms >/dev/null 2>&1 || die "dkms is not installed (apt-get install dkms)"
version=$(sed -n '1s/^gaspace (\([^)]*\)).*/\1/p' "$GASPACE_ROOT/debian/changelog")
[ -n "$version" ] || die "no version in debian/changelog"
kver=${KVER:-$(uname -r)}
dst=/usr/src/gaspace-$version

if [ -n "$(dkms status -m gaspace -v "$version" 2>/dev/null)" ]; then
	note "removing the registered gaspace/$version first"
	dkms remove -m gaspace -v "$version" --all
fi
rm -rf "$dst"
mkdir -p "$dst"
if git -C "$GASPACE_ROOT" rev-parse --git-dir >/dev/null 2>&1; then
	copy_sources "$dst" kunit
else
	(cd "$GASPACE_ROOT" && find Kbuild addrspace backends npt include uapi \
		kunit \( -name Kbuild -o -name '*.[ch]' \) -print0 |
		tar --null -cf - -T -) | tar -xf - -C "$dst"
fi
sed "s/#MODULE_VERSION#/$version/" "$GASPACE_ROOT/dkms.conf" > "$dst/dkms.conf"
dkms add -m gaspace -v "$version"
dkms build -m gaspace -v "$version" -k "$kver"
dkms install -m gaspace -v "$version" -k "$kver"
dkms status -m gaspace -v "$version"
