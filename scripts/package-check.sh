#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make package-check: the gaspace-dkms package as a user gets it.
#
#  1. make deb builds the package;
#  2. a fresh Debian 12 (bookworm, minbase) chroot with the headers of the
#     stock 6.1 kernel that make check boots (scripts/kernel.sh stock61)
#     is unpacked from a cached tarball, made by debootstrap on the first
#     run;
#  3. apt-get installs the .deb there: it pulls in dkms, whose hook builds
#     and installs gaspace.ko for that kernel;
#  4. the installed uAPI header is checked, and that kernel boots under
#     QEMU with the DKMS-built gaspace.ko and runs selftest programs.
#
# Ends with "N passed, N failed" and exits non-zero on any failure.
#
# Environment:
#   PACKAGE_TESTS    the programs to run (default: device_test)
#   GASPACE_MIRROR   the Debian mirror (default http://deb.debian.org/debian;
#                    security updates come from deb.debian.org/debian-security)
#   GASPACE_VM_TIMEOUT seconds the VM may run (default 600)
# The chroot tarball and the .debs apt fetched are kept in
# ~/.cache/gaspace/package-check/; delete the tarball for a new debootstrap.
set -u
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || die "make package-check needs root (debootstrap, chroot)"
"$GASPACE_ROOT/scripts/deps.sh" || exit 1
"$GASPACE_ROOT/scripts/deps.sh" package || exit 1
SRC=$(src_tree) || exit 1

MIRROR=${GASPACE_MIRROR:-http://deb.debian.org/debian}
PROGS=${PACKAGE_TESTS:-device_test}
PC=$CACHE/package-check
B=$GASPACE_ROOT/.build/package-check
ROOT=$B/root
PASS=0 FAIL=0
T0=$(date +%s)

pass() { PASS=$((PASS + 1)); echo "ok - package $*"; }
fail() { FAIL=$((FAIL + 1)); echo "not ok - package $*"; }
phase() { note "$* ($(($(date +%s) - T0)) s)"; }
finish() {
	note "make package-check took $(($(date +%s) - T0)) s"
	echo "$PASS passed, $FAIL failed"
	[ "$FAIL" = 0 ]
	exit
}

# Mounts inside a chroot: proc, and the apt archive cache bound to $PC.
chroot_mount() {
	local root=$1
	mkdir -p "$PC/archives/partial"
	mount -t proc proc "$root/proc" &&
	mount --bind "$PC/archives" "$root/var/cache/apt/archives"
}
chroot_umount() {
	local root=$1 m
	for m in var/cache/apt/archives proc; do
		mountpoint -q "$root/$m" 2>/dev/null && umount "$root/$m"
	done
	return 0
}
# Remove a chroot: never while anything is mounted in it.
chroot_remove() {
	local root=$1
	[ -d "$root" ] || return 0
	chroot_umount "$root"
	if grep -q " $root/" /proc/mounts; then
		note "$root still has mounts; left in place"
		return 1
	fi
	rm -rf --one-file-system "$root"
}
in_root() {
	chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
}
trap 'chroot_umount "$ROOT"; [ -n "${NEW:-}" ] && chroot_umount "$NEW"' EXIT

read -r _ image rel < <("$GASPACE_ROOT/scripts/kernel.sh" stock61) ||
	die "the stock 6.1 kernel is not available"
note "stock 6.1 kernel: $rel"
mkdir -p "$B" "$PC"
chroot_remove "$ROOT" || die "cannot remove the previous chroot"

# --- 1. the package ----------------------------------------------------------
if deb=$("$GASPACE_ROOT/scripts/deb.sh"); then
	pass "build ($(basename "$deb"), dpkg-buildpackage)"
else
	fail "build: see .build/deb/build.log"
	finish
fi
phase "package built"

# --- 2. the chroot: bookworm minbase with the stock 6.1 headers ---------------
tarball=$PC/bookworm-minbase-$rel.tar.zst
if [ ! -f "$tarball" ]; then
	note "debootstrap bookworm (minbase) with linux-headers-$rel: once"
	NEW=$PC/new-root
	chroot_remove "$NEW" || die "cannot remove $NEW"
	ok=1
	debootstrap --variant=minbase bookworm "$NEW" "$MIRROR" \
		> "$B/debootstrap.log" 2>&1 || ok=0
	if [ $ok = 1 ]; then
		rm -f "$NEW/etc/apt/sources.list"
		cat > "$NEW/etc/apt/sources.list.d/debian.sources" <<-EOF
		Types: deb
		URIs: $MIRROR
		Suites: bookworm bookworm-updates
		Components: main
		Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

		Types: deb
		URIs: http://deb.debian.org/debian-security
		Suites: bookworm-security
		Components: main
		Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
		EOF
		chroot_mount "$NEW" &&
		chroot "$NEW" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			DEBIAN_FRONTEND=noninteractive sh -c \
			"apt-get update && apt-get install -y --no-install-recommends linux-headers-$rel" \
			>> "$B/debootstrap.log" 2>&1 || ok=0
		chroot_umount "$NEW"
	fi
	if [ $ok = 1 ]; then
		rm -rf "$NEW/var/lib/apt/lists/"*
		tar -C "$NEW" --zstd -cf "$tarball.tmp" . &&
			mv "$tarball.tmp" "$tarball" || ok=0
	fi
	chroot_remove "$NEW"
	NEW=
	if [ $ok = 0 ]; then
		tail -n 20 "$B/debootstrap.log" >&2
		fail "chroot: debootstrap or linux-headers-$rel failed (.build/package-check/debootstrap.log)"
		finish
	fi
	phase "chroot tarball made"
fi
mkdir -p "$ROOT"
tar -C "$ROOT" --zstd -xf "$tarball" || die "cannot unpack $tarball"
chroot_mount "$ROOT" || die "cannot mount proc in the chroot"
if ls -d "$ROOT"/usr/src/gaspace-* "$ROOT/var/lib/dkms/gaspace" \
	> /dev/null 2>&1; then
	die "the chroot is not fresh: gaspace is there already"
fi
phase "fresh chroot unpacked"

# --- 3. apt-get install the package; DKMS builds the module -----------------
cp "$deb" "$ROOT/tmp/"
if in_root sh -c "apt-get update -qq && apt-get install -y --no-install-recommends /tmp/$(basename "$deb")" \
	> "$B/install.log" 2>&1; then
	pass "install (apt-get install $(basename "$deb") in bookworm, with dkms)"
else
	tail -n 30 "$B/install.log"
	fail "install: see .build/package-check/install.log"
	finish
fi
phase "package installed"

ver=$(dpkg-deb -f "$deb" Version)
status=$(in_root dkms status -m gaspace -v "$ver" -k "$rel" 2>&1)
echo "# dkms status: $status"
ko=$(find "$ROOT/lib/modules/$rel/updates/dkms" -name 'gaspace.ko*' 2>/dev/null | head -n 1)
if [ -n "$ko" ] && echo "$status" | grep -q 'installed'; then
	pass "dkms (gaspace/$ver built and installed for $rel by the package's hook)"
else
	grep -i -E 'error|warning' "$B/install.log" | head -n 20
	[ -f "$ROOT/var/lib/dkms/gaspace/$ver/build/make.log" ] &&
		cp "$ROOT/var/lib/dkms/gaspace/$ver/build/make.log" "$B/dkms-make.log"
	fail "dkms: no gaspace.ko installed for $rel (.build/package-check/install.log)"
	finish
fi
mkdir -p "$B/mods"
case "$ko" in
*.ko) cp "$ko" "$B/mods/gaspace.ko" ;;
*.ko.xz) xz -dc "$ko" > "$B/mods/gaspace.ko" ;;
*.ko.zst) zstd -qdc "$ko" > "$B/mods/gaspace.ko" ;;
*) fail "dkms: unknown module file $ko"; finish ;;
esac
vermagic=$(objcopy -O binary --only-section=.modinfo "$B/mods/gaspace.ko" \
	/dev/stdout 2>/dev/null | tr '\0' '\n' | sed -n 's/^vermagic=//p')
vermagic=${vermagic% }
case "$vermagic" in
"$rel "*) pass "module (vermagic $vermagic)" ;;
*) fail "module: vermagic '$vermagic' is not $rel's" ;;
esac

# The uAPI header: installed as /usr/include/linux/gaspace.h, the same as
# the tree's, and enough on its own for a program of the chroot's compiler.
if cmp -s "$ROOT/usr/include/linux/gaspace.h" "$GASPACE_ROOT/uapi/linux/gaspace.h"; then
	pass "header (/usr/include/linux/gaspace.h)"
else
	fail "header: /usr/include/linux/gaspace.h missing or not the tree's"
fi
cat > "$ROOT/tmp/uapi.c" <<'EOF'
#include <linux/gaspace.h>

int main(void)
{
	struct gaspace_create c = { .format = GASPACE_FMT_EPT };

	return GASPACE_CREATE == 0 || sizeof(struct gaspace_info) == 0 ||
	       c.format != GASPACE_FMT_EPT;
}
EOF
cc=$(in_root sh -c 'command -v gcc || command -v gcc-12 || command -v cc')
if [ -n "$cc" ] && in_root "$cc" -std=c99 -Wall -Werror -fsyntax-only /tmp/uapi.c \
	> "$B/uapi.log" 2>&1; then
	pass "header compiles alone (bookworm's $(basename "$cc"))"
else
	cat "$B/uapi.log" 2>/dev/null
	fail "header: a program including only <linux/gaspace.h> does not compile"
fi
phase "module and header checked"

# --- 4. boot the kernel with the DKMS-built module ---------------------------
mkdir -p "$B/tests" "$B/selftests"
for t in $PROGS; do
	if make -s -C "$GASPACE_ROOT/selftests" O="$B/selftests" \
		HARNESS_DIR="$SRC/tools/testing/selftests" "$B/selftests/$t" \
		> "$B/selftests.log" 2>&1; then
		cp "$B/selftests/$t" "$B/tests/"
	else
		tail -n 20 "$B/selftests.log"
		fail "selftest $t does not build"
	fi
done
echo "$PROGS" | tr ' ' '\n' | sed '/^$/d' > "$B/tests/list"
export GASPACE_VM_ARCH=x86_64 GASPACE_BUSYBOX='' GASPACE_INIT=
vmrc=0
"$GASPACE_ROOT/scripts/vm.sh" "$image" "$B/mods" "$B/tests" "$B/console.log" \
	"${GASPACE_VM_TIMEOUT:-600}" > "$B/vm.out" 2>&1 || vmrc=$?
phase "VM done"
[ $vmrc = 0 ] || fail "$rel: VM did not finish (rc $vmrc, .build/package-check/console.log)"

# The VM's results: the module loaded and unloaded, each program's cases.
while read -r line; do
	case "$line" in
	COUNTS*) read -r _ p f <<< "$line"
		PASS=$((PASS + p)) FAIL=$((FAIL + f)) ;;
	*) echo "$line" ;;
	esac
done < <(awk -v k="$rel" -v progs="$PROGS" '
	function res(ok, name) {
		if (ok) { print "ok - package " k " " name; np++ }
		else { print "not ok - package " k " " name; nf++ }
	}
	{ sub(/\r$/, "") }
	/^GASPACE-INSMOD / { insmod = $2 }
	/^GASPACE-RMMOD / { rmmod = $2 }
	/^GASPACE-PROG-BEGIN / { prog = $2; inprog = 1; began[prog] = 1; next }
	/^GASPACE-PROG-END / { inprog = 0; rc[prog] = $2; ended[prog] = 1; next }
	inprog && /^#  RUN / { run = $3 }
	inprog && /^(not )?ok [0-9]+ / {
		line = $0; ok = line !~ /^not ok/
		sub(/^(not )?ok [0-9]+ /, "", line); sub(/ *# .*/, "", line)
		if (line == "") line = run
		res(ok, prog ":" line); n[prog]++
	}
	END {
		res(insmod == "0", "insmod of the DKMS-built gaspace.ko")
		m = split(progs, p, /[ \n]+/)
		for (i = 1; i <= m; i++) {
			if (p[i] == "") continue
			if (!ended[p[i]]) res(0, p[i] " did not run to its end")
			else if (rc[p[i]] != 0 && rc[p[i]] != 4)
				res(0, p[i] " exited with " rc[p[i]])
			else if (!n[p[i]]) res(0, p[i] " reported no case")
		}
		if (insmod == "0") res(rmmod == "0", "rmmod gaspace")
		printf "COUNTS %d %d\n", np, nf
	}' "$B/console.log")
if out=$("$GASPACE_ROOT/scripts/scan-log.sh" "$B/console.log"); then
	pass "$rel no kernel splat"
else
	fail "$rel: $out"
fi

chroot_remove "$ROOT"
finish
