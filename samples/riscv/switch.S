/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gaspace_riscv: enter the guest with SRET and come back at its next trap.
 *
 * The model is KVM's __kvm_riscv_switch_to (arch/riscv/kvm/vcpu_switch.S).
 * Nothing switches general-purpose registers for us: the host's ra, sp, gp,
 * tp and s0-s11 (what the C caller expects to survive, tp being current)
 * are stored in the vcpu, the guest's x1..x31 loaded, and SRET with
 * hstatus.SPV = 1 and sstatus.SPP = 1 enters VS-mode at sepc.
 *
 * While the guest runs, stvec points at .Lgaspace_riscv_trap below and
 * sscratch holds the vcpu: every trap from the guest (nothing is delegated
 * to VS-mode) lands there in HS-mode, with the guest's registers still
 * live.  The trap path stores them, reads the trap's CSRs, gives the host
 * back its sstatus, hstatus, stvec and sscratch and returns to the caller.
 * The host's sstatus has SIE clear (the caller disabled interrupts), so no
 * interrupt is taken between the CSR swaps and SRET, nor before the trap
 * path put the host's stvec back.
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/csr.h>

#include "switch.h"

	.text
	.option	norelax		/* no gp-relative code while gp is the guest's */

/* void gaspace_riscv_switch(struct riscv_vcpu *vcpu) */
SYM_FUNC_START(gaspace_riscv_switch)
	sd	ra, VCPU_HOST_RA(a0)
	sd	sp, VCPU_HOST_SP(a0)
	sd	gp, VCPU_HOST_GP(a0)
	sd	tp, VCPU_HOST_TP(a0)
	.irp	n, 0,1,2,3,4,5,6,7,8,9,10,11
	sd	s\n, VCPU_HOST_S(\n)(a0)
	.endr

	/* Swap in the guest's sstatus and hstatus, our stvec, the vcpu. */
	ld	t0, VCPU_GUEST_SSTATUS(a0)
	ld	t1, VCPU_GUEST_HSTATUS(a0)
	lla	t2, .Lgaspace_riscv_trap
	ld	t3, VCPU_PC(a0)
	csrrw	t0, CSR_SSTATUS, t0
	csrrw	t1, CSR_HSTATUS, t1
	csrrw	t2, CSR_STVEC, t2
	csrrw	t4, CSR_SSCRATCH, a0
	csrw	CSR_SEPC, t3
	sd	t0, VCPU_HOST_SSTATUS(a0)
	sd	t1, VCPU_HOST_HSTATUS(a0)
	sd	t2, VCPU_HOST_STVEC(a0)
	sd	t4, VCPU_HOST_SSCRATCH(a0)

	/* The guest's x1..x31, a0 (x10) last. */
	.irp	n, 1,2,3,4,5,6,7,8,9,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	ld	x\n, VCPU_X(\n)(a0)
	.endr
	ld	a0, VCPU_X(10)(a0)

	sret

	/* stvec: direct mode, 4-byte aligned */
	.balign	4
.Lgaspace_riscv_trap:
	/* a0 <- the vcpu, sscratch <- the guest's a0 */
	csrrw	a0, CSR_SSCRATCH, a0
	.irp	n, 1,2,3,4,5,6,7,8,9,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	sd	x\n, VCPU_X(\n)(a0)
	.endr

	/* What the trap says, before anything else can trap */
	csrr	t0, CSR_SEPC
	csrr	t1, CSR_SCAUSE
	csrr	t2, CSR_STVAL
	csrr	t3, CSR_HTVAL
	csrr	t4, CSR_HTINST
	sd	t0, VCPU_PC(a0)
	sd	t1, VCPU_SCAUSE(a0)
	sd	t2, VCPU_STVAL(a0)
	sd	t3, VCPU_HTVAL(a0)
	sd	t4, VCPU_HTINST(a0)

	/* The host's stvec, sscratch, hstatus and sstatus back */
	ld	t0, VCPU_HOST_STVEC(a0)
	ld	t1, VCPU_HOST_SSCRATCH(a0)
	ld	t2, VCPU_HOST_HSTATUS(a0)
	ld	t3, VCPU_HOST_SSTATUS(a0)
	csrw	CSR_STVEC, t0
	csrrw	t1, CSR_SSCRATCH, t1
	csrw	CSR_HSTATUS, t2
	csrw	CSR_SSTATUS, t3
	sd	t1, VCPU_X(10)(a0)

	ld	ra, VCPU_HOST_RA(a0)
	ld	sp, VCPU_HOST_SP(a0)
	ld	gp, VCPU_HOST_GP(a0)
	ld	tp, VCPU_HOST_TP(a0)
	.irp	n, 0,1,2,3,4,5,6,7,8,9,10,11
	ld	s\n, VCPU_HOST_S(\n)(a0)
	.endr

	/* Leave no guest value in a register the caller may look at. */
	.irp	r, a1,a2,a3,a4,a5,a6,a7,t0,t1,t2,t3,t4,t5,t6
	li	\r, 0
	.endr
	ret
SYM_FUNC_END(gaspace_riscv_switch)
