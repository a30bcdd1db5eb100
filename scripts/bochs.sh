#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Boot a kernel under Bochs, an independent x86 model with Intel VMX, EPT and
# unrestricted guest, with the busybox initramfs of vm.sh (scripts/init.sh:
# loads the modules of MODDIR, runs the programs named in TESTDIR/list),
# writing the serial console to LOG.  GRUB on a CD image loads the kernel.
#
# GASPACE_BOCHS_CPU picks the CPU model (default corei7_haswell_4770: its
# guest clock keeps time); tigerlake and corei7_icelake_u boot only with
# clearcpuid=580 (FSRM), which is added for them.  No Bochs model has LA57,
# so EPT walks are 4-level there.
#
# Usage: bochs.sh IMAGE MODDIR TESTDIR LOG [TIMEOUT [EXTRA_APPEND]]
# Exits 0 when the guest powered off by itself with GASPACE-DONE, 124 on
# timeout.
set -eu
. "$(dirname "$0")/lib.sh"

image=$1 moddir=$2 testdir=$3 log=$4 timeout=${5:-900} extra=${6:-}
cpu=${GASPACE_BOCHS_CPU:-corei7_haswell_4770}
case "$cpu" in
tigerlake|corei7_icelake_u) extra="clearcpuid=580 $extra" ;;
esac
for f in bochs grub-mkrescue xorriso mformat; do
	command -v "$f" >/dev/null ||
		die "bochs.sh needs $f (scripts/deps.sh bochs installs it)"
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/iso/boot/grub"
cp "$image" "$work/iso/boot/vmlinuz"
make_initrd "$moddir" "$testdir" "$work/iso/boot/initrd.gz"
cat > "$work/iso/boot/grub/grub.cfg" <<EOF
serial --unit=0 --speed=115200
terminal_input serial
terminal_output serial
set timeout=0
menuentry gaspace {
	linux /boot/vmlinuz console=ttyS0,115200 loglevel=4 printk.time=0 panic=-1 watchdog_thresh=60 $extra
	initrd /boot/initrd.gz
}
EOF
grub-mkrescue -o "$work/boot.iso" "$work/iso" >"$work/grub.out" 2>&1 ||
	{ cat "$work/grub.out" >&2; die "grub-mkrescue failed"; }

# Debian's Bochs has no "nogui" display: rfb with no wait for a client.
# It starts stopped in its debugger: the rc file continues, then quits.
cat > "$work/bochsrc" <<EOF
memory: guest=512, host=512
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/vgabios/vgabios.bin
cpu: model=$cpu, count=1, ips=50000000, reset_on_triple_fault=1
clock: sync=none
ata0-master: type=cdrom, path=$work/boot.iso, status=inserted
boot: cdrom
com1: enabled=1, mode=file, dev=$log
display_library: rfb, options="timeout=0"
# no sound: with the host's ALSA lacking a card Bochs 2.7 aborts at start
sound: waveoutdrv=dummy, waveindrv=dummy, midioutdrv=dummy
speaker: enabled=0
log: $work/bochs.log
panic: action=fatal
error: action=ignore
info: action=ignore
debug: action=ignore
EOF
printf 'c\nquit\n' > "$work/dbg.rc"

rm -f "$log"
rc=0
(cd "$work" && timeout --foreground -k 10 "$timeout" \
	bochs -q -f "$work/bochsrc" -rc "$work/dbg.rc") \
	</dev/null >"$work/bochs.out" 2>&1 || rc=$?
# The guest's poweroff ends Bochs through a fatal "panic", exit code 1.
[ "$rc" = 1 ] && grep -q 'ACPI control: soft power off' "$work/bochs.log" && rc=0
if [ "$rc" != 0 ] || ! grep -q '^GASPACE-DONE' "$log" 2>/dev/null; then
	tail -n 20 "$work/bochs.out" "$work/bochs.log" >&2
	[ "$rc" != 0 ] && exit "$rc"
	exit 1
fi
exit 0
