#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make lint: checkpatch.pl --strict (from linux-source-6.1) over every source
# file of the module, its tests and samples/, and sparse (C=2) over a build of
# gaspace, samples/svm and samples/vmx against the stock 6.1 headers.  Exits
# non-zero on any complaint.
set -u
. "$(dirname "$0")/lib.sh"

"$GASPACE_ROOT/scripts/deps.sh" || exit 1
SRC=$(src_tree) || exit 1
cd "$GASPACE_ROOT" || exit 1
rc=0

files=$(git ls-files -co --exclude-standard -- '*.c' '*.h' '*.S' |
	grep -E '^(addrspace|npt|backends|kunit|include|uapi|selftests|samples)/')
# checkpatch's --no-tree mode cannot resolve the SPDX tag style of uapi
# headers against the tree's LICENSES/: point it at the package's tree.
# In selftests/: kselftest_harness.h's EXPECT and ASSERT expand to two
# statements, so braces checkpatch calls unnecessary are needed around them;
# SKIP(statement, ...) is flow control by design; offsetof() fields cannot
# be parenthesised; a missing syscall really is ENOSYS.
selftest_ignore=BRACES,MACRO_WITH_FLOW_CONTROL,MACRO_ARG_PRECEDENCE,ENOSYS
for f in $files; do
	ignore=SPDX_LICENSE_TAG,FILE_PATH_CHANGES
	case "$f" in selftests/*) ignore=$ignore,$selftest_ignore ;; esac
	out=$(perl "$SRC/scripts/checkpatch.pl" --strict --no-tree --quiet \
		--terse --show-types --ignore "$ignore" \
		-f "$f" 2>&1 | grep -E ': (ERROR|WARNING|CHECK):')
	if [ -n "$out" ]; then
		echo "$out"
		rc=1
	fi
done

read -r kdir _ < <("$GASPACE_ROOT/scripts/kernel.sh" stock61) || exit 1
work=$GASPACE_ROOT/.build/sparse
rm -rf "$work" && mkdir -p "$work"
copy_sources "$work" kunit samples/svm samples/vmx
out=$(make -C "$kdir" M="$work" C=2 CHECK="sparse" W=1 modules 2>&1)
# the sample SVM module (samples/svm), against gaspace's symbols
out+=$(make -C "$kdir" M="$work/samples/svm" C=2 CHECK="sparse" W=1 \
	KBUILD_EXTRA_SYMBOLS="$work/Module.symvers" modules 2>&1)
# and the sample VMX module (samples/vmx)
out+=$(make -C "$kdir" M="$work/samples/vmx" C=2 CHECK="sparse" W=1 \
	KBUILD_EXTRA_SYMBOLS="$work/Module.symvers" modules 2>&1)
if echo "$out" | grep -E 'warning:|error:'; then
	rc=1
fi
[ $rc = 0 ] && echo "lint: checkpatch --strict and sparse clean"
exit $rc
