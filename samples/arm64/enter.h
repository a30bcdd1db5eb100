/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gaspace_arm64: enter.S, shared by the assembly and arm64.c.
 */
#ifndef _GASPACE_ARM64_ENTER_H
#define _GASPACE_ARM64_ENTER_H

/* Offsets in struct gaspace_arm64_regs (gaspace_arm64.h), checked in arm64.c. */
#define REGS_X(n)	((n) * 8)

/* What gaspace_arm64_enter() returns: the vector that took the exit. */
#define ARM64_EXIT_SYNC		0
#define ARM64_EXIT_IRQ		1
#define ARM64_EXIT_FIQ		2
#define ARM64_EXIT_SERROR	3

#ifndef __ASSEMBLY__
struct gaspace_arm64_regs;

/*
 * Enters the guest with @regs' X0-X30 and SP_EL0 from *@sp_el0 (pc,
 * pstate, SP_EL1 and the rest are in ELR_EL2, SPSR_EL2 and the guest's
 * registers already), and stores X0-X30 and SP_EL0 back at the exit.
 * The host's callee-saved registers and SP_EL0 (the kernel's `current')
 * live on the stack meanwhile.  Called with D, A, I and F masked, with
 * VBAR_EL2 = gaspace_arm64_vectors and HCR_EL2 set for the guest.
 */
unsigned long gaspace_arm64_enter(struct gaspace_arm64_regs *regs,
				  u64 *sp_el0);

/* Takes an SError pending at the exit: its ESR_EL2, or 0 when none was. */
u64 gaspace_arm64_take_serror(void);

/* The EL2 vectors while a guest runs (2 KiB aligned). */
extern char gaspace_arm64_vectors[];

/* An exception taken at EL2 inside the world switch: a bug. */
void gaspace_arm64_el2_panic(u64 esr, u64 elr, u64 far);
#endif

#endif /* _GASPACE_ARM64_ENTER_H */
