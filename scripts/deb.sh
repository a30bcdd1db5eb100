#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make deb: build the gaspace-dkms Debian package with Debian's tooling
# (dpkg-buildpackage, debhelper, dh-dkms) from a copy of the tree in
# .build/deb/, so the tree itself stays clean.  The version is the one of
# debian/changelog.  Prints the path of the .deb on stdout.
set -eu
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

"$GASPACE_ROOT/scripts/deps.sh" deb >&2 || exit 1

version=$(dpkg-parsechangelog -l "$GASPACE_ROOT/debian/changelog" -S Version) ||
	die "cannot read the version of debian/changelog"
out=$GASPACE_ROOT/.build/deb
src=$out/gaspace-$version
rm -rf "$out"
mkdir -p "$src"
copy_sources "$src" kunit dkms.conf debian
(cd "$src" && dpkg-buildpackage -us -uc -b) > "$out/build.log" 2>&1 || {
	tail -n 20 "$out/build.log" >&2
	die "dpkg-buildpackage failed: see .build/deb/build.log"
}
deb=$out/gaspace-dkms_${version}_all.deb
[ -f "$deb" ] || die "dpkg-buildpackage made no $deb"
note "built $deb"
echo "$deb"
