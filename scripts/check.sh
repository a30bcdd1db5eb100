#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make check: build gaspace for the test kernels and test it inside each under
# QEMU (or Bochs), plus lint and the log scanner's own cases.  Ends with
# "N passed, N failed[, N skipped]" and exits non-zero on any failure.
#
# Environment (or make variables):
#   KERNELS  which kernels, default "debug stock61 stock61-4lvl stock612
#            bochs arm64 arm64-kunit riscv64"; stock61-4lvl boots stock 6.1 with no5lvl
#            (4-level paging, so 4-level nested walks) and runs only
#            svm_test; bochs boots stock 6.1 under Bochs (Intel VMX with EPT,
#            scripts/bochs.sh) and runs only vmx_test, which runs nowhere
#            else; arm64 is Debian's arm64 6.1 and riscv64 our riscv64 6.1
#            with KUnit, each under QEMU with its CPU's virtualization
#            extension, running the programs cross-built for it;
#            arm64-kunit is a small arm64 6.1 of ours that runs KUnit only
#   TESTS    only these test programs (names from selftests' list); "none"
#            runs no program (KUnit still runs on the debug kernel).  On
#            stock61 and stock612 each program of selftests' list-i386 also
#            runs built for i386 (gcc -m32), as NAME.i386, through the
#            kernel's 32-bit compat paths: NAME selects both builds,
#            NAME.i386 that one alone
#   NOI386=1 run no i386 program
#   NOLINT=1 skip the lint case (counted as skipped)
#   NOKUNIT=1 do not run the KUnit suites (a quicker run of some programs)
#   GASPACE_TEST_ENV   shell assignments the programs run under, written to
#            the VM's /tests/env (make stress: the long counts); by default
#            GASPACE_INJECT_ROTATE=1 (inject_test sweeps each call's
#            allocations on one format, see the program)
#   GASPACE_VM_TIMEOUT seconds each VM may run (default 600, 1200 beside
#            the debug kernel's VM, debug 2700)
#   GASPACE_SERIAL=1   boot one VM at a time (by default the debug kernel's
#            VM and lint run beside the other kernels' VMs)
set -u
. "$(dirname "$0")/lib.sh"

KERNELS=${KERNELS:-debug stock61 stock61-4lvl stock612 bochs arm64 arm64-kunit riscv64}
B=$GASPACE_ROOT/.build
PASS=0 FAIL=0 SKIP=0
REASONS=()

pass() { PASS=$((PASS + 1)); echo "ok - $*"; }
fail() { FAIL=$((FAIL + 1)); echo "not ok - $*"; REASONS+=("$*"); }
skip() { SKIP=$((SKIP + 1)); echo "ok - $* # SKIP"; }

"$GASPACE_ROOT/scripts/deps.sh" || exit 1
for d in bochs arm64 riscv64; do
	case " $KERNELS " in
	*" $d "*|*" $d-kunit "*) "$GASPACE_ROOT/scripts/deps.sh" $d || exit 1 ;;
	esac
done
SRC=$(src_tree) || exit 1
mkdir -p "$B"

# --- the log scanner's own cases: recorded logs, one per kind of splat ----
for f in "$GASPACE_ROOT"/scripts/testdata/scan/*.log; do
	name=scan.$(basename "$f" .log)
	out=$("$GASPACE_ROOT/scripts/scan-log.sh" "$f")
	rc=$?
	case "$(basename "$f")" in
	clean*) [ $rc = 0 ] && pass "$name" || fail "$name: clean log flagged: $out" ;;
	*) [ $rc = 1 ] && pass "$name" || fail "$name: splat not caught" ;;
	esac
done

# --- lint -------------------------------------------------------------------
# Under a debug kernel lint runs beside its VM (lint_start, below) and is
# counted at the end (lint_report); else here.
lint_started=0
lint_start() {
	lint_started=1
	[ "${NOLINT:-0}" = 1 ] && return
	(nice -n 10 "$GASPACE_ROOT/scripts/lint.sh" > "$B/lint.log" 2>&1
	 echo $? > "$B/lint.rc") &
}

lint_report() {
	if [ "${NOLINT:-0}" = 1 ]; then
		skip "lint"
	elif [ "$(cat "$B/lint.rc" 2>/dev/null)" = 0 ]; then
		pass "lint"
	else
		tail -n 20 "$B/lint.log"
		fail "lint: see .build/lint.log"
	fi
}

# Parallel: the debug kernel's VM (the longest, mostly one busy vCPU) runs
# in the background while the other kernels take turns on the other core;
# GASPACE_SERIAL=1 runs every VM in turn.
parallel=0 debug_bg=0
case " $KERNELS " in
*" debug "*) [ "${GASPACE_SERIAL:-0}" = 1 ] || parallel=1 ;;
esac
rm -f "$B/lint.rc"
if [ $parallel = 0 ]; then
	lint_start
	wait
	lint_report
fi

# --- kernel-doc of the exported API ------------------------------------------
if [ -f "$GASPACE_ROOT/scripts/kerneldoc.sh" ]; then
	if bash "$GASPACE_ROOT/scripts/kerneldoc.sh" > "$B/kerneldoc.log" 2>&1; then
		pass "kernel-doc"
	else
		tail -n 20 "$B/kerneldoc.log"
		fail "kernel-doc: see .build/kerneldoc.log"
	fi
fi

# --- test programs (static, one build per architecture) ----------------------
# build_progs TARGET: build the programs for TARGET (x86_64, i386,
# aarch64, riscv64) once into $B/selftests[-TARGET] and set PROGS_DIR,
# PROGS (the programs of TESTS, or all, that exist for TARGET) and
# DEBUG_ONLY.  The i386 build must be free of warnings.
declare -A built_progs=()
build_progs() {
	local t=$1 cc=gcc dir=$B/selftests all
	case "$t" in
	x86_64) ;;
	i386) cc="gcc -m32" dir=$B/selftests-$t ;;
	*) cc=$t-linux-gnu-gcc dir=$B/selftests-$t ;;
	esac
	PROGS_DIR=$dir PROGS= DEBUG_ONLY= NOT_ON_DEBUG=
	[ -f "$GASPACE_ROOT/selftests/Makefile" ] || return 0
	if [ -z "${built_progs[$t]:-}" ]; then
		if make -s -j"$JOBS" -C "$GASPACE_ROOT/selftests" O="$dir" CC="$cc" \
			HARNESS_DIR="$SRC/tools/testing/selftests" \
			> "$dir.log" 2>&1 &&
		   { [ "$t" != i386 ] || ! grep -q 'warning:' "$dir.log"; }; then
			built_progs[$t]=ok
			pass "build.selftests$([ "$t" = x86_64 ] || echo ".$t") ($cc)"
		else
			built_progs[$t]=failed
			tail -n 20 "$dir.log"
			fail "build.selftests ($cc): see ${dir#$GASPACE_ROOT/}.log"
		fi
	fi
	[ "${built_progs[$t]}" = ok ] || return 0
	all=$(make -s -C "$GASPACE_ROOT/selftests" CC="$cc" list)
	DEBUG_ONLY=$(make -s -C "$GASPACE_ROOT/selftests" list-debug-only)
	NOT_ON_DEBUG=$(make -s -C "$GASPACE_ROOT/selftests" list-not-on-debug)
	case "${TESTS:-}" in
	'') PROGS=$all ;;
	none) PROGS= ;;
	*) PROGS=$(echo "$TESTS" | tr ' ' '\n' |
		if [ "$t" = i386 ]; then sed 's/\.i386$//'; else cat; fi |
		grep -x -F "$all" | awk '!seen[$0]++') ;;
	esac
}

# Expected KUnit suites: the name of every struct kunit_suite in kunit/.
kunit_suites=$(sed -n '/struct kunit_suite [a-z0-9_]* = {/,/};/s/.*\.name[ \t]*=[ \t]*"\([^"]*\)".*/\1/p' \
	"$GASPACE_ROOT"/kunit/*.c 2>/dev/null)

# Parse one VM log: KUnit results from the kernel log, kselftest results
# between the program markers.  Prints "ok/not ok - K case" lines.
# svm_test, migrate_test and postcopy_test must really run under make
# check's QEMU (TCG's -cpu max has SVM with nested paging; GASPACE_ACCEL=kvm
# may not): their cases may not skip, at least four of svm_test's must
# pass, and the sample module must report the nested walk depth WANT_BITS
# (57 with 5-level host paging, 48 with no5lvl; empty: any).
# vmx_test runs under Bochs only (QEMU's TCG has no VMX): there its cases may
# not skip, at least six must pass, and no EPT misconfiguration may be logged.
# qemu_test runs Debian's qemu-system-x86_64, which the initramfs of an x86
# kernel carries (qemu_cpio): there its cases may not skip.
# trace_test, debugfs_test and audit_test may skip on no kernel: each one
# make check boots has tracing and debugfs.
# arm64_test and riscv_test run on their own architecture's kernel: no case
# may skip, and at least six must pass for each gpa width (the variant, the
# second part of a case's name).
parse_log() {
	local k=$1 log=$2 want_kunit=$3 kprogs=$4 want_bits=$5
	awk -v k="$k" -v want_kunit="$want_kunit" -v suites="$kunit_suites" \
	    -v progs="$kprogs" -v want_bits="$want_bits" \
	    -v want_svm="$([ "${GASPACE_ACCEL:-tcg}" = tcg ] && echo 1)" \
	    -v want_vmx="$([ "$k" = bochs ] && echo 1)" \
	    -v want_qemu="$(case "$k" in arm64*|riscv64) ;; *) echo 1 ;; esac)" '
	function res(ok, name, skip) {
		if (!ok) { print "not ok - " k " " name; nf++ }
		else if (skip) { print "ok - " k " " name " # SKIP"; ns++ }
		else { print "ok - " k " " name; np++ }
		if (name ~ /^svm_test:/) {
			if (skip) svm_skip++
			else if (ok) svm_pass++
		}
		if (name ~ /^user_test:.*hugetlb_1g$/ && skip &&
		    (k == "stock61" || k == "stock612" || k == "arm64"))
			user_1g_skip++
		if (name ~ /^(migrate|postcopy)_test:/ && skip) {
			split(name, part, /:/)
			svm_run_skip[part[1]]++
		}
		if (name ~ /^qemu_test:/ && skip)
			qemu_skip++
		if (name ~ /^(trace|debugfs|audit)_test[.:]/ && skip)
			obs_skip[name] = 1
		if (name ~ /^vmx_test:/) {
			if (skip) vmx_skip++
			else if (ok) vmx_pass++
		}
		if (name ~ /^(arm64|riscv)_test:/) {
			split(name, part, /[:.]/)
			w = part[1] " " part[3]
			widths[w] = 1
			if (skip) guest_skip[part[1]]++
			else if (ok) guest_pass[w]++
		}
	}
	{ sub(/\r$/, "") }
	/^GASPACE-INSMOD / { insmod = $2 }
	/^GASPACE-RMMOD / { rmmod = $2 }
	/^GASPACE-SAMPLE-INSMOD / && $3 != "0" { bad_sample[++nbad] = "insmod gaspace_" $2 ".ko failed" }
	/^GASPACE-SAMPLE-RMMOD / && $3 != "0" { bad_sample[++nbad] = "rmmod gaspace_" $2 " failed" }
	/^GASPACE-CPU / { sub(/^GASPACE-CPU /, ""); print "# " k " " $0 }
	dm && /gaspace_svm: .*gpa_bits [0-9]+/ { svm_bits = $NF }
	dm && /gaspace_vmx: VMX/ { line = $0; sub(/.*gaspace_vmx: /, "", line)
		print "# " k " gaspace_vmx: " line }
	/EPT misconfiguration/ && !misconf { misconf = $0 }
	/^GASPACE-DMESG-BEGIN/ { dm = 1; next }
	/^GASPACE-DMESG-END/ { dm = 0; next }
	/^GASPACE-DONE/ { done = 1 }
	dm && /^    # Subtest: / { suite = $3; seen[suite] = 1; next }
	dm && /^    (not )?ok [0-9]+ / {
		line = $0; sub(/^    /, "", line)
		ok = line !~ /^not ok/; sk = line ~ /# SKIP/
		sub(/^(not )?ok [0-9]+ /, "", line); sub(/ # .*/, "", line)
		res(ok, "kunit:" suite "." line, sk); next
	}
	dm && /^(not )?ok [0-9]+ / { sname = $0; sub(/^(not )?ok [0-9]+ /, "", sname)
		sub(/ # .*/, "", sname); sres[sname] = $0 !~ /^not ok/; next }
	/^GASPACE-PROG-BEGIN / { prog = $2; inprog = 1; plan[prog] = -1;
		nres[prog] = 0; began[prog] = 1; next }
	/^GASPACE-PROG-END / { inprog = 0; rc[prog] = $2; ended[prog] = 1
		if ($3 != "") print "# " k " " prog ": " $3 " s"; next }
	inprog && /^#  RUN / { run = $3 }
	inprog && /^1\.\.[0-9]+/ { plan[prog] = substr($1, 4) + 0 }
	inprog && /^(not )?ok [0-9]+ / {
		line = $0; ok = line !~ /^not ok/; sk = line ~ /# SKIP/
		sub(/^(not )?ok [0-9]+ /, "", line); sub(/ *# .*/, "", line)
		if (line == "") line = run	# the 6.1 harness names no skipped test
		nres[prog]++; res(ok, prog ":" line, sk)
	}
	END {
		if (insmod != "0") res(0, "insmod gaspace.ko failed")
		if (want_kunit == 1) {
			n = split(suites, s, /[ \n]+/)
			for (i = 1; i <= n; i++) {
				if (s[i] == "") continue
				if (!seen[s[i]]) res(0, "kunit:" s[i] " did not run")
				else if (!(s[i] in sres)) res(0, "kunit:" s[i] " did not finish")
			}
		}
		n = split(progs, p, /[ \n]+/)
		for (i = 1; i <= n; i++) {
			if (p[i] == "") continue
			if (!began[p[i]]) { res(0, p[i] " did not run"); continue }
			if (!ended[p[i]]) { res(0, p[i] " did not finish"); continue }
			if (rc[p[i]] != 0 && rc[p[i]] != 4)
				res(0, p[i] " exited with " rc[p[i]])
			if (plan[p[i]] >= 0 && plan[p[i]] != nres[p[i]])
				res(0, p[i] ": " nres[p[i]] " results for a plan of " plan[p[i]])
			if (p[i] == "vmx_test" && want_vmx) {
				if (vmx_skip)
					res(0, "vmx_test: " vmx_skip " cases skipped under Bochs")
				if (vmx_pass < 6)
					res(0, "vmx_test: only " vmx_pass + 0 " cases passed (6 needed)")
			}
			if (p[i] == "svm_test" && want_svm) {
				if (svm_skip)
					res(0, "svm_test: " svm_skip " cases skipped under QEMU -cpu max")
				if (svm_pass < 4)
					res(0, "svm_test: only " svm_pass + 0 " cases passed (4 needed)")
				if (want_bits != "" && svm_bits != want_bits)
					res(0, "svm_test: nested walks for gpa_bits " svm_bits " (" want_bits " expected)")
			}
			if (p[i] == "qemu_test" && want_qemu && qemu_skip)
				res(0, "qemu_test: " qemu_skip " cases skipped (the initramfs has QEMU)")
			if ((p[i] == "migrate_test" || p[i] == "postcopy_test") &&
			    want_svm && svm_run_skip[p[i]])
				res(0, p[i] ": " svm_run_skip[p[i]] " cases skipped under QEMU -cpu max")
		}
		for (o in obs_skip)
			res(0, o ": skipped (every kernel has tracing and debugfs)")
		if (user_1g_skip)
			res(0, "user_test: the 1 GiB hugetlbfs case skipped " user_1g_skip " times")
		for (i = 1; i <= nbad; i++)
			res(0, bad_sample[i])
		for (p1 in guest_skip)
			res(0, p1 ": " guest_skip[p1] " guest cases skipped")
		for (w in widths)
			if (guest_pass[w] < 6)
				res(0, w ": only " guest_pass[w] + 0 " guest cases passed (6 needed)")
		if (misconf != "")
			res(0, "EPT misconfiguration: " misconf)
		if (insmod == "0" && rmmod != "0") res(0, "rmmod gaspace failed")
		printf "COUNTS %d %d %d\n", np, nf, ns
	}' "$log"
}

# run_vm K RUNNER IMAGE KB TIMEOUT EXTRA: boot kernel K's VM; its exit
# status and seconds go to KB/vm.rc.
run_vm() {
	local k=$1 runner=$2 image=$3 kb=$4 timeout=$5 extra=$6 start rc
	start=$(date +%s)
	"$GASPACE_ROOT/scripts/$runner" "$image" "$kb/mods" "$kb/tests" \
		"$kb/console.log" "$timeout" "$extra" > "$kb/vm.out" 2>&1
	rc=$?
	cat "$kb/vm.out" >&2
	echo "$rc $(($(date +%s) - start))" > "$kb/vm.rc"
}

# report K: count what K's VM logged and add its summary line.
report() {
	local k=$1 kb want_kunit kprogs want_bits rel vmrc secs line out
	local kp=$PASS kf=$FAIL ks=$SKIP p0 f0 s0
	IFS='|' read -r kb want_kunit kprogs want_bits rel <<< "${args[$k]}"
	read -r p0 f0 s0 <<< "${pre[$k]}"
	read -r vmrc secs < "$kb/vm.rc"
	while read -r line; do
		case "$line" in
		COUNTS*) set -- $line
			PASS=$((PASS + $2)) FAIL=$((FAIL + $3)) SKIP=$((SKIP + $4)) ;;
		"not ok"*) echo "$line"; REASONS+=("${line#not ok - }") ;;
		*) echo "$line" ;;
		esac
	done < <(parse_log "$k" "$kb/console.log" "$want_kunit" "$kprogs" \
		"$want_bits")
	[ "$k" = bochs ] && echo "# bochs: wall time ${secs}s (boot, modules, vmx_test, power off)"
	if [ "$vmrc" != 0 ]; then
		fail "$k: VM did not finish (rc $vmrc after ${secs}s; .build/$k/console.log)"
	fi
	if out=$("$GASPACE_ROOT/scripts/scan-log.sh" "$kb/console.log"); then
		pass "$k no kernel splat"
	else
		fail "$k: $out"
	fi
	SUMMARY+=("$k ($rel): $((PASS - kp + p0)) passed, $((FAIL - kf + f0)) failed, $((SKIP - ks + s0)) skipped in ${secs}s")
}

# prebuild_after K: the kernels after K in KERNELS that are built from
# source (riscv64, arm64-kunit) build now in the background at the lowest
# priority.  Called as the debug kernel's VM boots: its tests keep about
# one of two cores busy, so on a fresh machine this hides most of those
# builds; later kernel.sh calls wait for them (build-kernel.sh's lock).
prebuild_after() {
	local after=0 k flavors=
	for k in $KERNELS; do
		[ "$k" = "$1" ] && after=1 && continue
		[ $after = 1 ] || continue
		case "$k" in
		riscv64) flavors="$flavors riscv64" ;;
		arm64-kunit) flavors="$flavors arm64" ;;
		esac
	done
	[ -n "$flavors" ] || return 0
	(for f in $flavors; do
		nice -n 19 "$GASPACE_ROOT/scripts/build-kernel.sh" "$f" \
			> /dev/null 2>&1
	done) &
}

SUMMARY=()
declare -A pre=() args=()
for k in $KERNELS; do
	kp=$PASS kf=$FAIL ks=$SKIP
	# KERNEL-4lvl: KERNEL booted with no5lvl, svm_test alone (a short boot)
	kname=${k%-4lvl} extra= want_bits=
	runner=vm.sh
	# the machine: its architecture, kbuild's, and the sample hypervisors
	case "$k" in
	arm64) target=aarch64 karch=(ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-)
		samples="samples/arm64" GASPACE_VM_ARCH=arm64 ;;
	riscv64) target=riscv64 karch=(ARCH=riscv CROSS_COMPILE=riscv64-linux-gnu-)
		samples="samples/riscv" GASPACE_VM_ARCH=riscv64 ;;
	arm64-kunit) target=aarch64 karch=(ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-)
		samples= GASPACE_VM_ARCH=arm64 ;;
	*) target=x86_64 karch=() samples="samples/svm samples/vmx"
		GASPACE_VM_ARCH=x86_64 ;;
	esac
	build_progs $target
	kprogs=$PROGS
	if [ "$k" = bochs ]; then
		# stock 6.1 under Bochs: vmx_test alone (a slow boot)
		kname=stock61 runner=bochs.sh
		kprogs=$(echo "$kprogs" | tr ' ' '\n' | grep -x vmx_test)
		if [ -z "$kprogs" ]; then
			note "$k: vmx_test not selected, no boot"
			continue
		fi
	elif [ "$kname" != "$k" ]; then
		extra=no5lvl want_bits=48
		kprogs=$(echo "$kprogs" | tr ' ' '\n' | grep -x svm_test)
		if [ -z "$kprogs" ]; then
			note "$k: svm_test not selected, no boot"
			continue
		fi
	elif [ "$k" = stock61 ]; then
		want_bits=57
	elif [ "$k" = arm64-kunit ]; then
		# KUnit only: the programs run on Debian's arm64 kernel
		kprogs=
	fi
	# VMX guests need Bochs: no QEMU kernel runs vmx_test
	[ "$k" != bochs ] &&
		kprogs=$(echo "$kprogs" | tr ' ' '\n' | grep -v -x vmx_test)
	# fault injection is the debug kernel's: its programs run there only
	if [ "$kname" != debug ] && [ -n "$DEBUG_ONLY" ]; then
		kprogs=$(echo "$kprogs" | tr ' ' '\n' | grep -v -x -F "$DEBUG_ONLY")
	fi
	# the uAPI's input and output rules run on the stock kernels (unless
	# TESTS names them): the debug kernel's time goes where its checkers
	# look (selftests/Makefile)
	if [ "$kname" = debug ] && [ -z "${TESTS:-}" ] && [ -n "$NOT_ON_DEBUG" ]; then
		kprogs=$(echo "$kprogs" | tr ' ' '\n' | grep -v -x -F "$NOT_ON_DEBUG")
	fi
	if ! read -r kdir image rel < <("$GASPACE_ROOT/scripts/kernel.sh" "$kname"); then
		fail "$k: kernel not available"
		SUMMARY+=("$k: kernel not available")
		continue
	fi
	kb=$B/$k
	rm -rf "$kb/src" "$kb/mods" "$kb/tests"
	mkdir -p "$kb/src" "$kb/mods" "$kb/tests"
	copy_sources "$kb/src" kunit $samples
	# gaspace, then the sample hypervisors against gaspace's symbols
	ok=1
	make -C "$kdir" M="$kb/src" "${karch[@]}" W=1 modules \
		> "$kb/build.log" 2>&1 || ok=0
	for d in $samples; do
		[ $ok = 1 ] && [ -d "$kb/src/$d" ] || continue
		make -C "$kdir" M="$kb/src/$d" "${karch[@]}" W=1 \
			KBUILD_EXTRA_SYMBOLS="$kb/src/Module.symvers" modules \
			>> "$kb/build.log" 2>&1 || ok=0
	done
	if [ $ok = 1 ] && ! grep -E 'warning:|error:' "$kb/build.log" >/dev/null; then
		pass "$k build.modules ($rel, W=1, no warning)"
	else
		grep -E 'warning:|error:' "$kb/build.log" | head -n 20
		fail "$k build.modules: see .build/$k/build.log"
		SUMMARY+=("$k: build failed")
		continue
	fi
	find "$kb/src" -name '*.ko' -exec cp {} "$kb/mods/" \;
	# under Bochs: gaspace and the VMX sample only
	[ "$k" = bochs ] && rm -f "$kb/mods/gaspace_kunit.ko" \
		"$kb/mods/gaspace_svm.ko"
	# the initramfs: the architecture's busybox, or (riscv64, where Debian
	# has none) scripts/init.c as /init
	export GASPACE_VM_ARCH GASPACE_BUSYBOX= GASPACE_INIT=
	case "$k" in
	arm64) GASPACE_BUSYBOX=$(dirname "$(dirname "$image")")/bin/busybox ;;
	riscv64|arm64-kunit) GASPACE_INIT=$kb/init
		$target-linux-gnu-gcc -static -O2 -Wall -o "$GASPACE_INIT" \
			"$GASPACE_ROOT/scripts/init.c" >> "$kb/build.log" 2>&1 ||
			fail "$k: scripts/init.c does not build" ;;
	esac
	for t in $kprogs; do
		cp "$PROGS_DIR/$t" "$kb/tests/" 2>/dev/null
	done
	# the i386 programs on the stock x86_64 kernels, after the others
	if { [ "$k" = stock61 ] || [ "$k" = stock612 ]; } &&
	   [ "${NOI386:-0}" != 1 ]; then
		build_progs i386
		for t in $PROGS; do
			cp "$PROGS_DIR/$t" "$kb/tests/$t.i386" 2>/dev/null
			kprogs="$kprogs $t.i386"
		done
	fi
	echo "$kprogs" | tr ' ' '\n' | sed '/^$/d' > "$kb/tests/list"
	# qemu_test runs QEMU in the VM: an x86 initramfs carries it
	GASPACE_QEMU_CPIO=
	if [ "$target" = x86_64 ] && grep -qx qemu_test "$kb/tests/list"; then
		GASPACE_QEMU_CPIO=$(qemu_cpio) ||
			fail "$k: qemu-system-x86_64 cannot be copied for qemu_test"
	fi
	export GASPACE_QEMU_CPIO
	echo "export ${GASPACE_TEST_ENV:-GASPACE_INJECT_ROTATE=1}" > "$kb/tests/env"
	want_kunit=0
	[ -f "$kb/mods/gaspace_kunit.ko" ] && want_kunit=1
	[ "$k" = debug ] && [ $want_kunit = 0 ] && fail "$k: gaspace_kunit.ko not built"
	if [ "${NOKUNIT:-0}" = 1 ] && [ $want_kunit = 1 ]; then
		rm -f "$kb/mods/gaspace_kunit.ko"
		want_kunit=0
		skip "$k kunit"
	fi
	# user_test maps a 1 GiB hugetlbfs page: on the stock kernels (the
	# debug and riscv64 ones have no hugetlbfs) it is reserved at boot,
	# when memory is still in one piece, in a VM given 1 GiB more for it
	vm_mem=${GASPACE_VM_MEM:-}
	if { [ "$k" = stock61 ] || [ "$k" = stock612 ] || [ "$k" = arm64 ]; } &&
	   echo "$kprogs" | grep -qw user_test; then
		extra="${extra:+$extra }hugepagesz=1G hugepages=1"
		vm_mem=${GASPACE_VM_MEM:-3G}
	fi
	# beside the debug kernel's VM the others share the cores with it
	timeout=600
	[ $debug_bg = 1 ] && timeout=1200
	[ "$k" = debug ] && timeout=2700
	timeout=${GASPACE_VM_TIMEOUT:-$timeout}
	if [ "$k" = bochs ]; then
		timeout=${GASPACE_BOCHS_TIMEOUT:-1200}
		note "booting $k ($rel) under Bochs (${GASPACE_BOCHS_CPU:-corei7_haswell_4770})"
	else
		note "booting $k ($rel${extra:+, $extra}) under QEMU"
	fi
	pre[$k]="$((PASS - kp)) $((FAIL - kf)) $((SKIP - ks))"
	args[$k]="$kb|$want_kunit|$(echo $kprogs)|$want_bits|$rel"
	if [ "$k" = debug ] && [ $parallel = 1 ]; then
		prebuild_after debug
		GASPACE_VM_MEM=$vm_mem run_vm "$k" "$runner" "$image" "$kb" \
			"$timeout" "$extra" &
		debug_bg=1
		lint_start
		continue
	fi
	GASPACE_VM_MEM=$vm_mem run_vm "$k" "$runner" "$image" "$kb" "$timeout" "$extra"
	report "$k"
done
wait
if [ $parallel = 1 ]; then
	[ $lint_started = 1 ] || { lint_start; wait; }
	lint_report
	[ $debug_bg = 1 ] && report debug
fi

echo
for s in "${SUMMARY[@]}"; do echo "$s"; done
for r in "${REASONS[@]}"; do echo "FAILED: $r"; done
if [ "$SKIP" -gt 0 ]; then
	echo "$PASS passed, $FAIL failed, $SKIP skipped"
else
	echo "$PASS passed, $FAIL failed"
fi
[ "$FAIL" = 0 ]
