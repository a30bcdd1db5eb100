#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make stress: the long runs of issue 8 on one kernel under QEMU.
#
# stress_test (1 000 000 model-checked calls across the formats, 200 000
# in its threaded case) and fuzz_test (1 000 000 calls), plus inject_test,
# life_test and memcg_test in their long form where selftests has them.
# Prints the figures (calls, seeds, wall time per program) and ends with
# the "N passed, N failed" line of scripts/check.sh.
#
# Environment:
#   STRESS_KERNEL      debug (default: KASAN, lockdep, kmemleak), stock61
#                      or stock612
#   STRESS_OPS         stress_test's calls (default 1000000)
#   STRESS_THREAD_OPS  its threaded case's mutator calls (default 200000)
#   FUZZ_CALLS         fuzz_test's calls (default 1000000)
#   GASPACE_SEED       the seed (default: one picked and printed here)
#   GASPACE_VM_TIMEOUT seconds the VM may run (default 5 h on debug, 2 h
#                      on a stock kernel)
set -u
. "$(dirname "$0")/lib.sh"

kernel=${STRESS_KERNEL:-debug}
ops=${STRESS_OPS:-1000000}
thread_ops=${STRESS_THREAD_OPS:-200000}
calls=${FUZZ_CALLS:-1000000}
seed=${GASPACE_SEED:-$(printf '%#x' $(( ($(date +%s%N) ^ $$) & 0x7fffffffffffffff )))}
timeout=18000
[ "$kernel" = debug ] || timeout=7200
timeout=${GASPACE_VM_TIMEOUT:-$timeout}

progs="stress_test fuzz_test"
all=$(make -s -C "$GASPACE_ROOT/selftests" list)
for p in inject_test life_test memcg_test; do
	echo "$all" | grep -qx "$p" && progs="$progs $p"
done

env="GASPACE_SEED=$seed GASPACE_STRESS_OPS=$ops"
env="$env GASPACE_STRESS_THREAD_OPS=$thread_ops GASPACE_FUZZ_CALLS=$calls"
env="$env GASPACE_LONG=1"
echo "make stress: $progs on $kernel; $env"
start=$(date +%s)
out=$(mktemp)
KERNELS=$kernel TESTS=$progs NOKUNIT=1 NOLINT=1 GASPACE_TEST_ENV="$env" \
	GASPACE_VM_TIMEOUT=$timeout "$GASPACE_ROOT/scripts/check.sh" |
	tee "$out"
rc=${PIPESTATUS[0]}
secs=$(($(date +%s) - start))

echo
echo "make stress figures ($kernel, seed $seed, ${secs}s in all):"
tr -d '\r' < "$GASPACE_ROOT/.build/$kernel/console.log" |
	grep -aE '^# (stress|fuzz)[^:]*: .*(ops|calls).* in [0-9.]+ s$|^# [a-z_]+_test: seed .* in all$' |
	sed 's/^# /  /'
tail -n 1 "$out"
rm -f "$out"
exit "$rc"
