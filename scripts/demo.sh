#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make demo: boot Debian's stock 6.1 under QEMU, load gaspace.ko, run the
# example VMM (samples/vmm), then a live migration of a running guest on the
# SVM sample (selftests/migrate_test), a post-copy migration and a lazy
# restore of one (selftests/postcopy_test), and unload the modules.
set -u
. "$(dirname "$0")/lib.sh"

"$GASPACE_ROOT/scripts/deps.sh" || exit 1
read -r kdir image rel < <("$GASPACE_ROOT/scripts/kernel.sh" stock61) || exit 1
d=$GASPACE_ROOT/.build/demo
rm -rf "$d" && mkdir -p "$d/src" "$d/mods" "$d/tests"
copy_sources "$d/src" samples/svm
{ make -C "$kdir" M="$d/src" modules &&
  make -C "$kdir" M="$d/src/samples/svm" \
	KBUILD_EXTRA_SYMBOLS="$d/src/Module.symvers" modules; } \
	> "$d/build.log" 2>&1 ||
	die "building gaspace.ko for $rel failed: see .build/demo/build.log"
cp "$d/src/gaspace.ko" "$d/src/samples/svm/gaspace_svm.ko" "$d/mods/"
make -s -C "$GASPACE_ROOT/samples/vmm" O="$d/tests" > "$d/vmm.log" 2>&1 ||
	die "building samples/vmm failed: see .build/demo/vmm.log"
src=$(src_tree) || exit 1
make -s -C "$GASPACE_ROOT/selftests" O="$d/tests" \
	HARNESS_DIR="$src/tools/testing/selftests" "$d/tests/migrate_test" \
	"$d/tests/postcopy_test" > "$d/migrate.log" 2>&1 ||
	die "building selftests/migrate_test and postcopy_test failed: see .build/demo/migrate.log"
printf '%s\n' vmm migrate_test postcopy_test > "$d/tests/list"

echo "Booting Debian's stock $rel under QEMU (TCG) to run the example VMM and migrations..."
"$GASPACE_ROOT/scripts/vm.sh" "$image" "$d/mods" "$d/tests" "$d/console.log" 600
vmrc=$?
tr -d '\r' < "$d/console.log" | awk '
	/^GASPACE-INSMOD 0/ { print "[gaspace.ko loaded]"; next }
	/^GASPACE-INSMOD/ { print "[gaspace.ko did not load]"; next }
	/^GASPACE-PROG-BEGIN/ { on = 1; print "$ ./" $2; next }
	/^GASPACE-PROG-END/ { on = 0; if ($2 != 0) rc = $2; next }
	/^GASPACE-RMMOD 0/ { print "[gaspace.ko unloaded]"; next }
	on { print }
	END { exit rc != 0 }'
rc=$?
out=$("$GASPACE_ROOT/scripts/scan-log.sh" "$d/console.log") || { echo "$out"; rc=1; }
grep -q '^GASPACE-RMMOD 0' "$d/console.log" || rc=1
[ $vmrc = 0 ] || { echo "the VM did not finish (see .build/demo/console.log)"; rc=1; }
[ $rc = 0 ] && echo "demo: done" || echo "demo: FAILED (see .build/demo/console.log)"
exit $rc
