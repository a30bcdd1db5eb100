/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * gaspace_riscv: the runner interface of the sample RISC-V hypervisor module.
 *
 * samples/riscv/gaspace_riscv.ko runs small guests on a riscv64 host with the
 * hypervisor (H) extension, translating every guest access through the
 * G-stage table of a gaspace address space.  A userspace runner opens
 * GASPACE_RISCV_DEVICE and hands it an address-space fd (GASPACE_FMT_RISCV_G,
 * a gpa_bits that GASPACE_RISCV_GET_INFO allows) together with the guest's
 * first registers; GASPACE_RISCV_RUN returns when the guest stops.
 *
 * The guest starts in VS-mode at pc, with its own address translation off
 * (vsatp bare: a guest virtual address is a guest physical address), no
 * floating point (sstatus.FS off) and no counters (hcounteren 0).  No trap
 * is delegated to it (hedeleg and hideleg 0): ECALL, WFI, every exception
 * and every guest-page fault gaspace refuses end the run; guest-page faults
 * gaspace resolves and host interrupts do not.
 *
 * Self-contained: only <linux/types.h> and <linux/ioctl.h>.
 */
#ifndef _GASPACE_RISCV_H
#define _GASPACE_RISCV_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define GASPACE_RISCV_DEVICE	"/dev/gaspace_riscv"
#define GASPACE_RISCV_IO	0xBE

/* gaspace_riscv_info.flags */
#define GASPACE_RISCV_HAVE_H	0x1u	/* the hypervisor extension */

/* gaspace_riscv_run.exit_reason */
#define GASPACE_RISCV_EXIT_ECALL	1	/* ECALL from VS-mode: a0 out */
#define GASPACE_RISCV_EXIT_WFI		2	/* WFI */
#define GASPACE_RISCV_EXIT_FAULT	3	/* a guest-page fault refused */
#define GASPACE_RISCV_EXIT_TRAP		4	/* any other trap: see scause */

/**
 * struct gaspace_riscv_info - what this CPU offers the runner
 * @flags: GASPACE_RISCV_HAVE_*; GASPACE_RISCV_RUN needs GASPACE_RISCV_HAVE_H
 * @vmid_bits: VMID bits hgatp implements (the sample uses VMID 0)
 * @gpa_bits_mask: bit n set when an address space of gpa_bits n can run:
 *	1 << 41 for Sv39x4, 1 << 50 for Sv48x4, 1 << 59 for Sv57x4, each when
 *	hgatp keeps that mode (a WARL field: written, then read back)
 * @reserved: zero
 */
struct gaspace_riscv_info {
	__u32 flags;
	__u32 vmid_bits;
	__u64 gpa_bits_mask;
	__u64 reserved[4];
};

/**
 * struct gaspace_riscv_regs - the guest's registers
 * @pc: the gpa of the next instruction (vsatp is bare)
 * @ra: x1
 * @sp: x2
 * @gp: x3
 * @tp: x4
 * @t0: x5
 * @t1: x6
 * @t2: x7
 * @s0: x8
 * @s1: x9
 * @a0: x10; the value an ECALL exit reports
 * @a1: x11
 * @a2: x12
 * @a3: x13
 * @a4: x14
 * @a5: x15
 * @a6: x16
 * @a7: x17
 * @s2: x18
 * @s3: x19
 * @s4: x20
 * @s5: x21
 * @s6: x22
 * @s7: x23
 * @s8: x24
 * @s9: x25
 * @s10: x26
 * @s11: x27
 * @t3: x28
 * @t4: x29
 * @t5: x30
 * @t6: x31
 *
 * The order of KVM's struct kvm_riscv_core: register xN is at offset 8 * N.
 * In: the first values.  Out: the values at the trap that ended the run; pc
 * is then the address of the instruction that trapped (sepc).
 */
struct gaspace_riscv_regs {
	__u64 pc;
	__u64 ra, sp, gp, tp, t0, t1, t2;
	__u64 s0, s1, a0, a1, a2, a3, a4, a5;
	__u64 a6, a7, s2, s3, s4, s5, s6, s7;
	__u64 s8, s9, s10, s11, t3, t4, t5, t6;
};

/**
 * struct gaspace_riscv_run - one run of a guest, until it stops
 * @as_fd: in: an address-space fd (GASPACE_FMT_RISCV_G)
 * @flags: in: none defined, must be 0
 * @regs: in and out, see struct gaspace_riscv_regs
 * @exit_reason: out: GASPACE_RISCV_EXIT_* of the trap that ended the run
 * @scause: out: scause of that trap (20, 21, 23: instruction, load and
 *	store/AMO guest-page faults; 10: ECALL from VS-mode; 22: virtual
 *	instruction; 2: illegal instruction; ...)
 * @stval: out: stval of that trap (the guest address of a fault, the
 *	instruction bits of an illegal or virtual instruction where the CPU
 *	reports them, else 0)
 * @htval: out: htval of that trap (a guest-page fault's gpa >> 2)
 * @htinst: out: htinst of that trap (0 where the CPU gives no hint)
 * @error: out: 0, or the negative errno gaspace_handle_fault() returned for
 *	the guest-page fault that ended the run (-ENOENT: no area, -EACCES:
 *	the area's prot refuses the access, -ERANGE: outside the space), or
 *	-ELOOP for a fault that came back unchanged after being resolved
 * @access: out: GASPACE_PROT_* of that fault (EXEC for an instruction
 *	fetch, READ for a load, WRITE for a store or AMO)
 * @gpa: out: the gpa of that fault, htval << 2 | (stval & 3)
 * @nr_faults: out: guest-page faults that gaspace resolved (0 returned)
 * @nr_exits: out: traps taken from the guest, the last one included
 * @reserved: in: zero
 *
 * GASPACE_RISCV_RUN returns 0 whenever the guest ran, whatever stopped it;
 * an error means that the run could not start (-EBADF: @as_fd is not an
 * address space, -EINVAL: a bad field, or not a RISCV_G space of a gpa_bits
 * in gpa_bits_mask, -ENODEV: no H extension) or was interrupted (-EINTR, a
 * signal).
 */
struct gaspace_riscv_run {
	__s32 as_fd;
	__u32 flags;
	struct gaspace_riscv_regs regs;
	__u64 exit_reason;
	__u64 scause;
	__u64 stval;
	__u64 htval;
	__u64 htinst;
	__s32 error;
	__u32 access;
	__u64 gpa;
	__u64 nr_faults;
	__u64 nr_exits;
	__u64 reserved[4];
};

#define GASPACE_RISCV_GET_INFO	_IOR(GASPACE_RISCV_IO, 0x00, struct gaspace_riscv_info)
#define GASPACE_RISCV_RUN	_IOWR(GASPACE_RISCV_IO, 0x01, struct gaspace_riscv_run)

#endif /* _GASPACE_RISCV_H */
