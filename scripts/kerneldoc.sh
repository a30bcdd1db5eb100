#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# kernel-doc check: scripts/kernel-doc from linux-source-6.1 in -none mode,
# with every optional warning (-Wall; linux-source-6.1's kernel-doc predates
# -Wall and enables the same checks with -v), over the two API headers and
# every source file of the module that exports symbols, and the sample
# hypervisors (their runner headers and modules).  Prints each
# warning and exits non-zero if there is any.
set -u
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

SRC=$(src_tree) || exit 1
KDOC=$SRC/scripts/kernel-doc
[ -f "$KDOC" ] || die "no $KDOC"
cd "$GASPACE_ROOT" || exit 1

if grep -q '"Wall"' "$KDOC"; then
	wall=-Wall
else
	wall=-v
fi

files=(include/linux/gaspace.h uapi/linux/gaspace.h)
mapfile -t -O ${#files[@]} files < <(git ls-files -co --exclude-standard -- \
	'samples/*/gaspace_*.h' 'samples/*/*.c' | grep -v '^samples/vmm/' | sort)
mapfile -t -O ${#files[@]} files < <(git ls-files -co --exclude-standard -- '*.c' |
	grep -E '^(addrspace|npt|backends)/' |
	xargs grep -l -E '^EXPORT_SYMBOL' | sort)

# Warnings go to stderr; -v adds "info:" lines and a count, dropped here.
out=$(perl "$KDOC" -none "$wall" "${files[@]}" 2>&1 >/dev/null |
	grep -v -E ': info: |^[0-9]+ (warnings|errors)$')
if [ -n "$out" ]; then
	printf '%s\n' "$out"
	n=$(printf '%s\n' "$out" | grep -c -E ': (warning|error): ')
	echo "kerneldoc: $n warning(s) in ${files[*]}"
	exit 1
fi
echo "kerneldoc: no warning in ${files[*]}"
exit 0
