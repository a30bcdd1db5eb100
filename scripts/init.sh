#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
# /init of the test initramfs: load gaspace, run KUnit (when the module is
# there), load the sample hypervisor modules (when there), run every test
# program, check that the modules unload, scan for leaks, dump the kernel
# log, power off.  Markers start with "GASPACE-".
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tmpfs tmp /tmp
mkdir -p /sys/fs/cgroup && mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null

echo "GASPACE-BOOT $(uname -r)"
# the CPU model's VMX features (Bochs runs): "GASPACE-CPU vmx flags : ..."
grep -m1 '^vmx flags' /proc/cpuinfo | sed 's/^/GASPACE-CPU /'
leak=/sys/kernel/debug/kmemleak
[ -w $leak ] && echo clear > $leak
echo "gaspace-test: start" > /dev/kmsg

# GASPACE-PROG-END RC SECONDS
run_prog() {
	echo "GASPACE-PROG-BEGIN $1"
	shift
	t0=$(date +%s)
	"$@"
	rc=$?
	echo "GASPACE-PROG-END $rc $(($(date +%s) - t0))"
}

if insmod /gaspace/gaspace.ko $(cat /gaspace/params 2>/dev/null); then
	echo "GASPACE-INSMOD 0"
	if [ -f /gaspace/gaspace_kunit.ko ]; then
		insmod /gaspace/gaspace_kunit.ko && rmmod gaspace_kunit
		echo "GASPACE-KUNIT-DONE $?"
	fi
	# the sample hypervisors (samples/<name>, gaspace_<name>.ko) use
	# gaspace's exported API
	samples=
	for m in /gaspace/gaspace_*.ko; do
		n=${m#/gaspace/gaspace_}
		n=${n%.ko}
		case "$n" in kunit|\*) continue ;; esac
		insmod "$m"
		echo "GASPACE-SAMPLE-INSMOD $n $?"
		samples="$samples $n"
	done
	# /tests/env sets what a run passes its programs (make stress: counts)
	[ -f /tests/env ] && . /tests/env
	for t in $(cat /tests/list 2>/dev/null); do
		run_prog "$t" /tests/$t
	done
	for s in $(cat /tests/shell 2>/dev/null); do
		run_prog "$s" sh /tests/$s
	done
	for n in $samples; do
		[ -d /sys/module/gaspace_$n ] || continue
		rmmod gaspace_$n
		echo "GASPACE-SAMPLE-RMMOD $n $?"
	done
	rmmod gaspace
	echo "GASPACE-RMMOD $?"
else
	echo "GASPACE-INSMOD 1"
fi

if [ -w $leak ]; then
	sleep 6
	echo scan > $leak
	echo scan > $leak
	echo "GASPACE-KMEMLEAK-BEGIN"
	cat $leak
	echo "GASPACE-KMEMLEAK-END"
fi
echo "GASPACE-DMESG-BEGIN"
dmesg
echo "GASPACE-DMESG-END"
echo "GASPACE-DONE"
# Let the console drain first: stty sets its modes with TCSADRAIN.  A UART
# that keeps its baud rate (Bochs's) loses whatever poweroff overtakes.
stty -F /dev/console -tostop 2>/dev/null || sleep 5
poweroff -f
