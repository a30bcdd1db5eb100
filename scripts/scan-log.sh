#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Scan a test VM's console log for kernel splats after boot: the console
# from GASPACE-BOOT on, the kmemleak report, and the kernel log dumped at the
# end from the "gaspace-test: start" marker on.  Prints the first splat and
# exits 1; exits 0 when the log is clean.
#
# Usage: scan-log.sh LOG
set -u

log=${1:?usage: scan-log.sh LOG}
[ -r "$log" ] || { echo "scan-log: cannot read $log"; exit 2; }

pattern='BUG:|kernel BUG at|WARNING:|UBSAN:|KASAN:|unreferenced object 0x|'
pattern+='soft lockup|hard LOCKUP|blocked for more than [0-9]+ seconds|'
pattern+='Oops|general protection fault|Kernel panic|'
pattern+='INFO: (possible|trying to register|lockdep|rcu|task)|'
pattern+='possible circular locking|inconsistent lock state|'
pattern+='list_(add|del) corruption|stack-protector|double fault|'
pattern+='Unable to handle kernel|unable to handle page fault'

# Keep what came after boot: console lines between GASPACE-BOOT and the
# dmesg dump, and dmesg lines from the test-start marker on.
awk '
	/^GASPACE-BOOT/ { on = 1 }
	/^GASPACE-DMESG-BEGIN/ { on = 0; dm = 1; next }
	/^GASPACE-DMESG-END/ { dm = 0; on = 1; next }
	dm && /gaspace-test: start/ { dmon = 1 }
	(on && !dm) || (dm && dmon) { print }
' "$log" > "${TMPDIR:-/tmp}/scan.$$"
hit=$(grep -m1 -E "$pattern" "${TMPDIR:-/tmp}/scan.$$")
rm -f "${TMPDIR:-/tmp}/scan.$$"
if [ -n "$hit" ]; then
	echo "kernel splat: $hit"
	exit 1
fi
exit 0
