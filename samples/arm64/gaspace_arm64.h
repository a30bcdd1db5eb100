/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * gaspace_arm64: the runner interface of the sample arm64 hypervisor module.
 *
 * samples/arm64/gaspace_arm64.ko runs small guests on an arm64 host whose
 * kernel runs at EL2 with VHE, translating every guest access through the
 * stage-2 table of a gaspace address space.  A userspace runner opens
 * GASPACE_ARM64_DEVICE and hands it an address-space fd
 * (GASPACE_FMT_ARM64_S2, gpa_bits in the range GASPACE_ARM64_GET_INFO
 * reports) together with the guest's first registers; GASPACE_ARM64_RUN
 * returns when the guest stops.
 *
 * The guest starts at EL1 (EL1h unless @pstate says otherwise) with its MMU
 * off, so its addresses are gpas: pc is the gpa of the first instruction.
 * Its SCTLR_EL1 has the reset value KVM gives a vCPU (M, C and I clear),
 * every other EL1 register it may use starts at 0, but VBAR_EL1: it starts
 * where no area is, so an exception the guest takes at EL1 before it sets
 * its own vectors ends the run (GASPACE_ARM64_EXIT_GUEST_EXCEPTION): an
 * undefined instruction, say, which the architecture takes to EL1, never
 * to EL2.  That is 1 << gpa_bits, just above the space, when the CPU's
 * physical range leaves room there (pa_bits > gpa_bits), else the last
 * 2 KiB below it, which the runner must then leave without an area.  HVC, WFI, WFE, SMC, BRK,
 * floating point, debug, PMU and pointer-authentication key accesses and
 * every other trap to EL2 end the run too.
 *
 * Self-contained: only <linux/types.h> and <linux/ioctl.h>.
 */
#ifndef _GASPACE_ARM64_H
#define _GASPACE_ARM64_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define GASPACE_ARM64_DEVICE	"/dev/gaspace_arm64"
#define GASPACE_ARM64_IO	0xBD

/* gaspace_arm64_info.flags */
#define GASPACE_ARM64_HAVE_EL2	0x1u	/* the kernel runs at EL2 */
#define GASPACE_ARM64_HAVE_VHE	0x2u	/* with HCR_EL2.E2H set: VHE */

/* gaspace_arm64_run.exit_reason */
#define GASPACE_ARM64_EXIT_HVC		1	/* HVC: pc after it */
#define GASPACE_ARM64_EXIT_WFI		2	/* WFI: pc at it */
#define GASPACE_ARM64_EXIT_S2_FAULT	3	/* stage-2 abort gaspace refused */
#define GASPACE_ARM64_EXIT_EXCEPTION	4	/* any other exception to EL2 */
#define GASPACE_ARM64_EXIT_GUEST_EXCEPTION 5	/* the guest's own, at EL1 */

/* pstate: EL1h with D, A, I and F masked; what a pstate of 0 means */
#define GASPACE_ARM64_PSTATE_EL1H	0x3c5ULL

/**
 * struct gaspace_arm64_info - what this CPU offers the runner
 * @flags: GASPACE_ARM64_HAVE_*; GASPACE_ARM64_RUN needs both
 * @min_gpa_bits: the smallest gpa_bits a space may have: 32
 * @max_gpa_bits: the largest: the CPU's physical address range
 *	(ID_AA64MMFR0_EL1.PARange), at most 48 (no LPA2)
 * @parange: ID_AA64MMFR0_EL1.PARange as the CPU reports it
 * @pa_bits: the physical address bits that @parange stands for
 * @vmid: the VMID the module's guests run with (8-bit VMIDs)
 * @reserved: zero
 */
struct gaspace_arm64_info {
	__u32 flags;
	__u32 min_gpa_bits;
	__u32 max_gpa_bits;
	__u32 parange;
	__u32 pa_bits;
	__u32 vmid;
	__u64 reserved[4];
};

/**
 * struct gaspace_arm64_regs - the guest's registers
 * @x: X0 to X30
 * @sp: the stack pointer of the guest's mode: SP_EL1 in EL1h, SP_EL0 in
 *	EL1t and EL0 (both start with this value)
 * @pc: the gpa of the next instruction (the MMU is off)
 * @pstate: PSTATE as SPSR_EL2 holds it: mode (M[3:0] 0x5 EL1h, 0x4 EL1t,
 *	0x0 EL0t, AArch64 only), D, A, I, F (bits 9:6) and NZCV (31:28);
 *	0 means GASPACE_ARM64_PSTATE_EL1H, any other bit is -EINVAL
 *
 * In: the first values.  Out: the values at the exit that ended the run.
 */
struct gaspace_arm64_regs {
	__u64 x[31];
	__u64 sp;
	__u64 pc;
	__u64 pstate;
};

/**
 * struct gaspace_arm64_run - one run of a guest, until it stops
 * @as_fd: in: an address-space fd (GASPACE_FMT_ARM64_S2)
 * @flags: in: none defined, must be 0
 * @regs: in and out, see struct gaspace_arm64_regs
 * @exit_reason: out: GASPACE_ARM64_EXIT_*: HVC (pc after it, x0 as the
 *	guest left it), WFI (pc at it), S2_FAULT (a stage-2 abort gaspace
 *	refused, pc at the access), EXCEPTION (any other exception taken to
 *	EL2: WFE, SMC, BRK, a trapped system register or floating-point
 *	access, an SError; pc as ELR_EL2), GUEST_EXCEPTION (an exception the
 *	guest took at EL1 while VBAR_EL1 still had its first value: @esr and
 *	@far are the guest's ESR_EL1 and FAR_EL1, pc and pstate its ELR_EL1
 *	and SPSR_EL1, the instruction that raised it)
 * @esr: out: ESR_EL2 of the exit (ESR_EL1 for GUEST_EXCEPTION)
 * @far: out: FAR_EL2 of the exit (FAR_EL1 for GUEST_EXCEPTION)
 * @hpfar: out: HPFAR_EL2 of the exit (bits 43:4: the fault's ipa >> 12)
 * @error: out: 0, or the negative errno gaspace_handle_fault() returned for
 *	the stage-2 abort that ended the run (-ENOENT: no area, -EACCES: the
 *	area's prot refuses the access, -ERANGE: outside the space)
 * @access: out: GASPACE_PROT_* of that abort (an instruction abort EXEC, a
 *	data abort with WnR set WRITE, any other READ)
 * @gpa: out: the gpa of that abort (HPFAR_EL2 << 8 | FAR_EL2 & 0xfff)
 * @nr_faults: out: stage-2 aborts that gaspace resolved (0 returned)
 * @nr_exits: out: exits to EL2 taken, the last one included
 * @reserved: in: zero
 *
 * GASPACE_ARM64_RUN returns 0 whenever the guest ran, whatever stopped it;
 * an error means that the run could not start (-EBADF: @as_fd is not an
 * address space, -EINVAL: a bad field, or not an ARM64_S2 space of a
 * gpa_bits in range, -ENODEV: the kernel does not run at EL2 with VHE) or
 * was interrupted (-EINTR, a signal).
 */
struct gaspace_arm64_run {
	__s32 as_fd;
	__u32 flags;
	struct gaspace_arm64_regs regs;
	__u64 exit_reason;
	__u64 esr;
	__u64 far;
	__u64 hpfar;
	__s32 error;
	__u32 access;
	__u64 gpa;
	__u64 nr_faults;
	__u64 nr_exits;
	__u64 reserved[4];
};

#define GASPACE_ARM64_GET_INFO	_IOR(GASPACE_ARM64_IO, 0x00, struct gaspace_arm64_info)
#define GASPACE_ARM64_RUN	_IOWR(GASPACE_ARM64_IO, 0x01, struct gaspace_arm64_run)

#endif /* _GASPACE_ARM64_H */
