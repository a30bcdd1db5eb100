/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gaspace_arm64: enter the guest with ERET and come back through the EL2
 * vectors, the way KVM's __guest_enter and __guest_exit do it for VHE
 * (arch/arm64/kvm/hyp/entry.S and hyp-entry.S).
 *
 * ERET to EL1 switches only PC and PSTATE (from ELR_EL2 and SPSR_EL2); the
 * general-purpose registers and SP_EL0 are shared between the host and the
 * guest.  So the host's callee-saved registers and its SP_EL0, which holds
 * the kernel's `current', go on the host's stack, the guest's values are
 * loaded just before ERET and stored back at the exit.  The exit is an
 * exception to EL2 on SP_EL2, the host's stack pointer as ERET left it, so
 * the vectors find everything there.
 */
#include <linux/linkage.h>
#include <asm/assembler.h>

#include "enter.h"

	.text
/*
 * unsigned long gaspace_arm64_enter(struct gaspace_arm64_regs *regs,
 *				     u64 *sp_el0)
 *
 * The frame, from the stack pointer up: @regs, @sp_el0, X18 and the
 * host's SP_EL0, X19-X28, X29 and X30.
 */
SYM_FUNC_START(gaspace_arm64_enter)
	stp	x29, x30, [sp, #-96]!
	stp	x19, x20, [sp, #16]
	stp	x21, x22, [sp, #32]
	stp	x23, x24, [sp, #48]
	stp	x25, x26, [sp, #64]
	stp	x27, x28, [sp, #80]
	mrs	x2, sp_el0
	stp	x18, x2, [sp, #-16]!
	stp	x0, x1, [sp, #-16]!

	ldr	x2, [x1]
	msr	sp_el0, x2

	ldp	x2, x3, [x0, #REGS_X(2)]
	ldp	x4, x5, [x0, #REGS_X(4)]
	ldp	x6, x7, [x0, #REGS_X(6)]
	ldp	x8, x9, [x0, #REGS_X(8)]
	ldp	x10, x11, [x0, #REGS_X(10)]
	ldp	x12, x13, [x0, #REGS_X(12)]
	ldp	x14, x15, [x0, #REGS_X(14)]
	ldp	x16, x17, [x0, #REGS_X(16)]
	ldp	x18, x19, [x0, #REGS_X(18)]
	ldp	x20, x21, [x0, #REGS_X(20)]
	ldp	x22, x23, [x0, #REGS_X(22)]
	ldp	x24, x25, [x0, #REGS_X(24)]
	ldp	x26, x27, [x0, #REGS_X(26)]
	ldp	x28, x29, [x0, #REGS_X(28)]
	ldr	x30, [x0, #REGS_X(30)]
	ldp	x0, x1, [x0, #REGS_X(0)]
	eret
	sb

/*
 * The exit: X0 is the exit code, the guest's X0 and X1 are at [sp], the
 * rest of the guest's registers are live.
 */
SYM_INNER_LABEL(gaspace_arm64_exit, SYM_L_LOCAL)
	ldr	x1, [sp, #16]			// @regs
	stp	x2, x3, [x1, #REGS_X(2)]
	stp	x4, x5, [x1, #REGS_X(4)]
	stp	x6, x7, [x1, #REGS_X(6)]
	stp	x8, x9, [x1, #REGS_X(8)]
	stp	x10, x11, [x1, #REGS_X(10)]
	stp	x12, x13, [x1, #REGS_X(12)]
	stp	x14, x15, [x1, #REGS_X(14)]
	stp	x16, x17, [x1, #REGS_X(16)]
	stp	x18, x19, [x1, #REGS_X(18)]
	stp	x20, x21, [x1, #REGS_X(20)]
	stp	x22, x23, [x1, #REGS_X(22)]
	stp	x24, x25, [x1, #REGS_X(24)]
	stp	x26, x27, [x1, #REGS_X(26)]
	stp	x28, x29, [x1, #REGS_X(28)]
	str	x30, [x1, #REGS_X(30)]
	ldp	x2, x3, [sp], #16		// the guest's X0 and X1
	stp	x2, x3, [x1, #REGS_X(0)]

	ldp	x1, x2, [sp], #16		// @regs, @sp_el0
	mrs	x3, sp_el0
	str	x3, [x2]
	ldp	x18, x2, [sp], #16
	msr	sp_el0, x2			// `current' again
	ldp	x19, x20, [sp, #16]
	ldp	x21, x22, [sp, #32]
	ldp	x23, x24, [sp, #48]
	ldp	x25, x26, [sp, #64]
	ldp	x27, x28, [sp, #80]
	ldp	x29, x30, [sp], #96

	/* Leave no guest value in a register the caller may clobber. */
	mov	x1, xzr
	mov	x2, xzr
	mov	x3, xzr
	mov	x4, xzr
	mov	x5, xzr
	mov	x6, xzr
	mov	x7, xzr
	mov	x8, xzr
	mov	x9, xzr
	mov	x10, xzr
	mov	x11, xzr
	mov	x12, xzr
	mov	x13, xzr
	mov	x14, xzr
	mov	x15, xzr
	mov	x16, xzr
	mov	x17, xzr
	ret
SYM_FUNC_END(gaspace_arm64_enter)

/*
 * u64 gaspace_arm64_take_serror(void)
 *
 * An SError the guest caused may still be pending at the exit, with A
 * masked; the host would take it as its own, fatal, once it unmasks.  So
 * it is taken here, in a window of one ISB with A clear and these vectors
 * in place (KVM's __guest_exit does the same): the EL2h SError vector
 * returns its ESR_EL2 in X0 and comes back.  0 when none was pending.
 */
SYM_FUNC_START(gaspace_arm64_take_serror)
	mov	x0, xzr
	msr	daifclr, #4
	isb
	msr	daifset, #4
	ret
SYM_FUNC_END(gaspace_arm64_take_serror)

/* An exit from the guest: save its X0 and X1, X0 = @code, to the exit. */
.macro	guest_vect code
	.align	7
	stp	x0, x1, [sp, #-16]!
	mov	x0, #\code
	b	gaspace_arm64_exit
.endm

/*
 * Nothing may trap at EL2 between the switch to these vectors and back:
 * interrupts are masked, and the code there neither faults nor traps.
 */
.macro	el2_vect
	.align	7
	mrs	x0, esr_el2
	mrs	x1, elr_el2
	mrs	x2, far_el2
	b	gaspace_arm64_el2_panic
.endm

/* An SError at EL2h: only in gaspace_arm64_take_serror()'s window. */
.macro	el2_serror_vect
	.align	7
	mrs	x0, esr_el2
	eret
	sb
.endm

/*
 * VBAR_EL2 while the guest runs: the current-EL entries (EL2t, EL2h) are
 * bugs but an SError at EL2h, the lower-EL ones (AArch64 and AArch32)
 * exits.
 */
	.align	11
SYM_CODE_START(gaspace_arm64_vectors)
	el2_vect				// Synchronous EL2t
	el2_vect				// IRQ EL2t
	el2_vect				// FIQ EL2t
	el2_vect				// SError EL2t

	el2_vect				// Synchronous EL2h
	el2_vect				// IRQ EL2h
	el2_vect				// FIQ EL2h
	el2_serror_vect				// SError EL2h

	guest_vect ARM64_EXIT_SYNC		// Synchronous 64-bit EL1/EL0
	guest_vect ARM64_EXIT_IRQ		// IRQ 64-bit EL1/EL0
	guest_vect ARM64_EXIT_FIQ		// FIQ 64-bit EL1/EL0
	guest_vect ARM64_EXIT_SERROR		// SError 64-bit EL1/EL0

	guest_vect ARM64_EXIT_SYNC		// Synchronous 32-bit EL0
	guest_vect ARM64_EXIT_IRQ		// IRQ 32-bit EL0
	guest_vect ARM64_EXIT_FIQ		// FIQ 32-bit EL0
	guest_vect ARM64_EXIT_SERROR		// SError 32-bit EL0
	.align	7
SYM_CODE_END(gaspace_arm64_vectors)
