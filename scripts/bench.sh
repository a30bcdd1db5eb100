#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench: gaspace against Linux's own memory management.  Boots Debian's
# stock 6.1 under QEMU, runs selftests/gaspace_bench (gaspace and its
# baseline interleaved, medians of BENCH_REPS runs) and prints per figure
#   ratio NAME VALUE
#     gaspace A UNIT, baseline B UNIT
# then area_bytes and the directory of the CSV and charts of the scaling runs.
#
# The judged run is TCG.  Where /dev/kvm works (a probe boot must finish in
# GASPACE_KVM_PROBE seconds, default 60) a KVM run follows and its figures
# stand beside.  GASPACE_ACCEL=tcg|kvm runs that accelerator only.
# Environment: BENCH_REPS, BENCH_SCALE_REPS, BENCH_MAX_AREAS, BENCH_MAX_MIB,
# BENCH_NOSCALE, BENCH_ONLY (see selftests/gaspace_bench.c), BENCH_PERF=1
# (a profile of the run with perf in the guest), GASPACE_VM_MEM (3G),
# GASPACE_VM_TIMEOUT (1500 s per boot).
set -u
. "$(dirname "$0")/lib.sh"

OUT=$GASPACE_ROOT/.build/bench
"$GASPACE_ROOT/scripts/deps.sh" bench || exit 1
SRC=$(src_tree) || exit 1
read -r kdir image rel < <("$GASPACE_ROOT/scripts/kernel.sh" stock61) ||
	die "stock 6.1 kernel not available"

rm -rf "$OUT/src" "$OUT/mods" "$OUT/tests" "$OUT/probe"
mkdir -p "$OUT/src" "$OUT/mods" "$OUT/tests" "$OUT/probe"
note "building gaspace.ko for $rel and the benchmark"
copy_sources "$OUT/src"
make -C "$kdir" M="$OUT/src" modules > "$OUT/build.log" 2>&1 ||
	{ tail -n 20 "$OUT/build.log"; die "module build failed (.build/bench/build.log)"; }
cp "$OUT/src/gaspace.ko" "$OUT/mods/"
make -s -C "$GASPACE_ROOT/selftests" O="$OUT/bin" \
	HARNESS_DIR="$SRC/tools/testing/selftests" bench > "$OUT/bin.log" 2>&1 ||
	{ tail -n 20 "$OUT/bin.log"; die "benchmark build failed (.build/bench/bin.log)"; }
cp "$OUT/bin/gaspace_bench" "$OUT/tests/"
echo gaspace_bench > "$OUT/tests/list"
vars=
for v in BENCH_REPS BENCH_SCALE_REPS BENCH_MAX_AREAS BENCH_MAX_MIB BENCH_NOSCALE \
	 BENCH_ONLY; do
	[ -n "${!v:-}" ] && vars="$vars $v=${!v}"
done
[ -n "$vars" ] && echo "export$vars" > "$OUT/tests/env"

# BENCH_PERF=1: run the benchmark under the host's perf (with the shared
# libraries it needs) and print the profile, kept in .build/bench/perf-*.txt.
if [ -n "${BENCH_PERF:-}" ]; then
	perf=$(command -v perf) || die "BENCH_PERF needs perf (linux-perf)"
	mkdir -p "$OUT/tests/lib"
	cp "$perf" "$OUT/tests/perf"
	ldd "$perf" | awk '/=> \// { print $3 } /^\t\/lib/ { print $1 }' |
		xargs -I{} cp -L {} "$OUT/tests/lib/"
	echo -n > "$OUT/tests/list"
	echo perf.sh > "$OUT/tests/shell"
	cat > "$OUT/tests/perf.sh" <<-'EOF'
	p="/tests/lib/ld-linux-x86-64.so.2 --library-path /tests/lib /tests/perf"
	echo 0 > /proc/sys/kernel/kptr_restrict
	$p record -q -F 2000 -a -g -o /tmp/perf.data /tests/gaspace_bench
	echo GASPACE-BENCH-PERF-BEGIN
	$p report -i /tmp/perf.data --stdio --no-children --sort sym \
		--percent-limit 0.5 -g none 2>/dev/null | grep -v '^$'
	echo "# with children"
	$p report -i /tmp/perf.data --stdio --children --sort sym \
		--percent-limit 1 -g none 2>/dev/null | grep '%'
	echo GASPACE-BENCH-PERF-END
	EOF
fi

export GASPACE_VM_MEM=${GASPACE_VM_MEM:-3G}

# Whether KVM boots this kernel to the end: /dev/kvm can exist and still
# hang in early boot (nested virtualisation), so try a short boot.
kvm_works() {
	[ -r /dev/kvm ] && [ -w /dev/kvm ] || return 1
	echo -n > "$OUT/probe/list"
	GASPACE_ACCEL=kvm "$GASPACE_ROOT/scripts/vm.sh" "$image" "$OUT/mods" \
		"$OUT/probe" "$OUT/probe.log" "${GASPACE_KVM_PROBE:-60}" \
		> "$OUT/probe.err" 2>&1
}

accels=${GASPACE_ACCEL:-}
if [ -z "$accels" ]; then
	accels=tcg
	if kvm_works; then
		note "KVM works: a KVM run follows the judged TCG run"
		accels="tcg kvm"
	else
		note "KVM does not boot this kernel here (probe: .build/bench/probe.log, probe.err): TCG only"
	fi
fi

# Ratio target of each figure, from the project's performance goals.
target() {
	case $1 in
	populate_4k|populate_2m|fault_ioctl|unmap|pread|table_pages) echo 1.00 ;;
	fault_parallel) echo 1.00 ;;
	populate_floor) echo 3.00 ;;
	fault_mmap) echo 1.25 ;;
	translate_1) echo 1.30 ;;
	translate_100k) echo 1.50 ;;
	dirty_harvest) echo 0.50 ;;
	userfault_rtt) echo 1.00 ;;
	discard|seek_data) echo 1.00 ;;
	area_bytes) echo 256 ;;
	esac
}

status=0
for accel in $accels; do
	log=$OUT/console-$accel.log
	note "booting $rel under QEMU with -accel $accel (${GASPACE_VM_MEM} RAM)"
	start=$(date +%s)
	GASPACE_ACCEL=$accel "$GASPACE_ROOT/scripts/vm.sh" "$image" \
		"$OUT/mods" "$OUT/tests" "$log" "${GASPACE_VM_TIMEOUT:-1500}"
	vmrc=$?
	secs=$(($(date +%s) - start))
	sed -i 's/\r$//' "$log"
	echo "accel $accel, $rel, $(nproc) host cores, VM took ${secs}s"
	grep -E '^(ratio |  gaspace |area_bytes )' "$log" | tee "$OUT/ratios-$accel.txt"
	sed -n '/^GASPACE-BENCH-CSV-BEGIN/,/^GASPACE-BENCH-CSV-END/p' "$log" |
		sed '1d;$d' > "$OUT/scaling-$accel.csv"
	if [ -n "${BENCH_PERF:-}" ]; then
		sed -n '/^GASPACE-BENCH-PERF-BEGIN/,/^GASPACE-BENCH-PERF-END/p' \
			"$log" | sed '1d;$d' > "$OUT/perf-$accel.txt"
		echo "profile: $OUT/perf-$accel.txt"
	fi
	if [ $vmrc != 0 ] || ! grep -q '^GASPACE-PROG-END 0' "$log" ||
	   grep -q '^gaspace_bench: ' "$log"; then
		note "the $accel run did not finish (rc $vmrc): see $log"
		grep -E 'gaspace_bench:|BUG|WARNING|Oops' "$log" | head -n 10 >&2
		status=1
		continue
	fi
	# targets, judged on the TCG run
	awk '/^ratio / { print $2, $3 } /^area_bytes / { print $1, $2 }' \
		"$OUT/ratios-$accel.txt" | while read -r name value; do
		t=$(target "$name")
		[ -n "$t" ] || continue
		if awk -v v="$value" -v t="$t" 'BEGIN { exit !(v <= t) }'; then
			echo "  target $name <= $t: met ($value)"
		else
			echo "  target $name <= $t: NOT met ($value)"
		fi
	done > "$OUT/targets-$accel.txt"
	met=$(grep -c ': met' "$OUT/targets-$accel.txt")
	all=$(wc -l < "$OUT/targets-$accel.txt")
	echo "targets ($accel): $met of $all met"
	grep 'NOT met' "$OUT/targets-$accel.txt"
done

# Charts of the scaling runs (gnuplot on the host).
chart() {
	local csv=$1 out=$2 term=$3 title=$4
	[ -s "$csv" ] || return 0
	for s in populate_4k populate_2m unmap translate; do
		awk -F, -v s=$s '$1 == s { print $2, $3, $4 }' "$csv" > "$OUT/$s.dat"
	done
	gnuplot > "$OUT/gnuplot.log" 2>&1 <<-EOF || note "gnuplot failed: see $OUT/gnuplot.log"
	set terminal $term size 1000,700 font "sans,10"
	set output "$out"
	set termoption noenhanced
	set multiplot layout 2,2 title "$title"
	set logscale xy
	set grid
	set key top left
	set xlabel "MiB"
	set xrange [12:1400]
	set ylabel "ms"
	set title "populate, 4 KiB pages"
	plot "$OUT/populate_4k.dat" u 1:2 w lp t "gaspace MAP_ALLOC|POPULATE", \
	     "" u 1:3 w lp t "anonymous, MADV_POPULATE_WRITE"
	set title "populate, 2 MiB pages"
	plot "$OUT/populate_2m.dat" u 1:2 w lp t "gaspace MAP_HUGE|POPULATE", \
	     "" u 1:3 w lp t "anonymous THP, MADV_POPULATE_WRITE"
	set title "unmap of populated memory"
	plot "$OUT/unmap.dat" u 1:2 w lp t "gaspace UNMAP", \
	     "" u 1:3 w lp t "munmap"
	set title "one TRANSLATE"
	set xlabel "areas in the space"
	set xrange [0.7:1.5e6]
	set ylabel "ns"
	set logscale x
	unset logscale y
	set yrange [0:*]
	plot "$OUT/translate.dat" u 1:2 w lp t "gaspace, N areas", \
	     "" u 1:3 w lp t "gaspace, 1 area"
	unset multiplot
	EOF
}
for accel in $accels; do
	for t in svg png; do
		chart "$OUT/scaling-$accel.csv" "$OUT/scaling-$accel.$t" $t \
			"gaspace scaling, stock $rel, QEMU -accel $accel"
	done
done
echo "charts and CSV: $OUT (scaling-<accel>.csv, .svg, .png)"
exit $status
