#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make stress: the long runs under QEMU, in two boots.
#
#  1. stock 6.1 (no sanitizers, fast): stress_test with 1 000 000
#     model-checked calls across the formats (200 000 in its threaded
#     case) and fuzz_test with 1 000 000 calls, plus life_test and
#     memcg_test;
#  2. the debug kernel (KASAN, lockdep, kmemleak): the same programs and
#     inject_test, stress_test at a tenth of the calls (KASAN and lockdep
#     under TCG cost about 1.5 ms a call: the full count would take some
#     40 minutes; set STRESS_DEBUG_OPS=1000000 for it) and fuzz_test at
#     the full count.
#
# Prints the figures (calls, seeds, wall time per program) and ends with
# one "N passed, N failed" line summing both boots.
#
# Environment:
#   STRESS_KERNELS     the boots, default "stock61 debug"
#   STRESS_OPS         stress_test's calls (default 1000000)
#   STRESS_THREAD_OPS  its threaded case's mutator calls (default 200000)
#   STRESS_DEBUG_OPS / STRESS_DEBUG_THREAD_OPS  the same on the debug
#                      kernel (default 100000 / 20000)
#   FUZZ_CALLS         fuzz_test's calls (default 1000000)
#   GASPACE_SEED       the seed (default: one picked and printed here)
#   GASPACE_VM_TIMEOUT seconds each VM may run (default 5 h)
set -u
. "$(dirname "$0")/lib.sh"

kernels=${STRESS_KERNELS:-stock61 debug}
seed=${GASPACE_SEED:-$(printf '%#x' $(( ($(date +%s%N) ^ $$) & 0x7fffffffffffffff )))}
calls=${FUZZ_CALLS:-1000000}
timeout=${GASPACE_VM_TIMEOUT:-18000}

progs="stress_test fuzz_test"
all=$(make -s -C "$GASPACE_ROOT/selftests" list)
for p in inject_test life_test memcg_test; do
	echo "$all" | grep -qx "$p" && progs="$progs $p"
done

pass=0 fail=0 skip=0 rc=0
figures=()
for kernel in $kernels; do
	if [ "$kernel" = debug ]; then
		ops=${STRESS_DEBUG_OPS:-100000}
		thread_ops=${STRESS_DEBUG_THREAD_OPS:-20000}
	else
		ops=${STRESS_OPS:-1000000}
		thread_ops=${STRESS_THREAD_OPS:-200000}
	fi
	env="GASPACE_SEED=$seed GASPACE_STRESS_OPS=$ops"
	env="$env GASPACE_STRESS_THREAD_OPS=$thread_ops GASPACE_FUZZ_CALLS=$calls"
	echo "make stress: $progs on $kernel; $env"
	start=$(date +%s)
	out=$(mktemp)
	KERNELS=$kernel TESTS=$progs NOKUNIT=1 NOLINT=1 \
		GASPACE_TEST_ENV="$env" GASPACE_VM_TIMEOUT=$timeout \
		"$GASPACE_ROOT/scripts/check.sh" | tee "$out"
	[ "${PIPESTATUS[0]}" = 0 ] || rc=1
	secs=$(($(date +%s) - start))
	# check.sh's last line: "N passed, N failed[, N skipped]"
	read -r p _ f _ s _ < <(tail -n 1 "$out" | tr -d ',')
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + ${s:-0}))
	rm -f "$out"
	figures+=("$kernel, seed $seed, ${secs}s in all:")
	while read -r line; do
		figures+=("$line")
	done < <(tr -d '\r' < "$GASPACE_ROOT/.build/$kernel/console.log" |
		grep -aE '^# (stress|fuzz)[^:]*: .*(ops|calls).* in [0-9.]+ s$|^# [a-z_]+_test: seed .* in all$' |
		sed 's/^# /  /')
done

echo
echo "make stress figures:"
for l in "${figures[@]}"; do echo "$l"; done
if [ "$skip" -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ "$rc" = 0 ] && [ "$fail" = 0 ]
