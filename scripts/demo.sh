#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make demo: boot Debian's stock 6.1 under QEMU, load gaspace.ko, run the
# example VMM (samples/vmm) and unload the module.
set -u
. "$(dirname "$0")/lib.sh"

"$GASPACE_ROOT/scripts/deps.sh" || exit 1
read -r kdir image rel < <("$GASPACE_ROOT/scripts/kernel.sh" stock61) || exit 1
d=$GASPACE_ROOT/.build/demo
rm -rf "$d" && mkdir -p "$d/src" "$d/mods" "$d/tests"
copy_sources "$d/src"
make -C "$kdir" M="$d/src" modules > "$d/build.log" 2>&1 ||
	die "building gaspace.ko for $rel failed: see .build/demo/build.log"
cp "$d/src/gaspace.ko" "$d/mods/"
make -s -C "$GASPACE_ROOT/samples/vmm" O="$d/tests" > "$d/vmm.log" 2>&1 ||
	die "building samples/vmm failed: see .build/demo/vmm.log"
echo vmm > "$d/tests/list"

echo "Booting Debian's stock $rel under QEMU (TCG) to run the example VMM..."
"$GASPACE_ROOT/scripts/vm.sh" "$image" "$d/mods" "$d/tests" "$d/console.log" 600
vmrc=$?
tr -d '\r' < "$d/console.log" | awk '
	/^GASPACE-INSMOD 0/ { print "[gaspace.ko loaded]"; next }
	/^GASPACE-INSMOD/ { print "[gaspace.ko did not load]"; next }
	/^GASPACE-PROG-BEGIN/ { on = 1; print "$ ./vmm"; next }
	/^GASPACE-PROG-END/ { on = 0; rc = $2; next }
	/^GASPACE-RMMOD 0/ { print "[gaspace.ko unloaded]"; next }
	on { print }
	END { exit rc != 0 }'
rc=$?
out=$("$GASPACE_ROOT/scripts/scan-log.sh" "$d/console.log") || { echo "$out"; rc=1; }
grep -q '^GASPACE-RMMOD 0' "$d/console.log" || rc=1
[ $vmrc = 0 ] || { echo "the VM did not finish (see .build/demo/console.log)"; rc=1; }
[ $rc = 0 ] && echo "demo: done" || echo "demo: FAILED (see .build/demo/console.log)"
exit $rc
