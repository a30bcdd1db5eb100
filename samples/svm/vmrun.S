/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gaspace_svm: enter the guest with VMRUN and come back at its #VMEXIT.
 *
 * VMRUN loads the guest's RAX, RSP, RIP and RFLAGS from the VMCB and saves
 * the host's in the host save area; every other general-purpose register is
 * shared with the guest.  So the guest's values are loaded here just before
 * VMRUN and stored back just after it, and the host's callee-saved registers
 * live on the stack meanwhile.
 *
 * Neither VMRUN nor #VMEXIT switches FS, GS, TR and LDTR (hidden parts
 * included), KernelGsBase, STAR, LSTAR, CSTAR, SFMASK and the SYSENTER
 * MSRs: VMSAVE stores them to a page, VMLOAD loads them from one.  So the
 * host's go to the host's page and the guest's come from its VMCB before
 * VMRUN, and the other way round after #VMEXIT, all with GIF clear: no
 * interrupt or NMI handler runs with the guest's GS base.
 */
#include <linux/linkage.h>
#include <asm/asm.h>

#include "vmrun.h"

	.text
/*
 * void gaspace_svm_vmrun(unsigned long vmcb_pa, struct gaspace_svm_regs *regs,
 *			  unsigned long host_pa)
 *
 * Called with GIF clear (CLGI) and preemption off.
 */
SYM_FUNC_START(gaspace_svm_vmrun)
	push	%rbp
	push	%r15
	push	%r14
	push	%r13
	push	%r12
	push	%rbx
	/* Keep @regs and @host_pa for after the exit. */
	push	%rsi
	push	%rdx

	mov	%rdx, %rax
	vmsave	%rax
	mov	%rdi, %rax
	vmload	%rax
	mov	REGS_RBX(%rsi), %rbx
	mov	REGS_RCX(%rsi), %rcx
	mov	REGS_RDX(%rsi), %rdx
	mov	REGS_RDI(%rsi), %rdi
	mov	REGS_RBP(%rsi), %rbp
	mov	REGS_R8(%rsi), %r8
	mov	REGS_R9(%rsi), %r9
	mov	REGS_R10(%rsi), %r10
	mov	REGS_R11(%rsi), %r11
	mov	REGS_R12(%rsi), %r12
	mov	REGS_R13(%rsi), %r13
	mov	REGS_R14(%rsi), %r14
	mov	REGS_R15(%rsi), %r15
	mov	REGS_RSI(%rsi), %rsi

	vmrun	%rax

	/* Host RAX (the VMCB's address) and RSP are back; the rest is the guest's. */
	vmsave	%rax
	mov	(%rsp), %rax
	vmload	%rax

	push	%rsi
	mov	16(%rsp), %rsi
	mov	%rbx, REGS_RBX(%rsi)
	mov	%rcx, REGS_RCX(%rsi)
	mov	%rdx, REGS_RDX(%rsi)
	mov	%rdi, REGS_RDI(%rsi)
	mov	%rbp, REGS_RBP(%rsi)
	mov	%r8, REGS_R8(%rsi)
	mov	%r9, REGS_R9(%rsi)
	mov	%r10, REGS_R10(%rsi)
	mov	%r11, REGS_R11(%rsi)
	mov	%r12, REGS_R12(%rsi)
	mov	%r13, REGS_R13(%rsi)
	mov	%r14, REGS_R14(%rsi)
	mov	%r15, REGS_R15(%rsi)
	popq	REGS_RSI(%rsi)
	add	$16, %rsp

	/* Leave no guest value in a register the caller may clobber. */
	xor	%ecx, %ecx
	xor	%edx, %edx
	xor	%esi, %esi
	xor	%edi, %edi
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	xor	%r10d, %r10d
	xor	%r11d, %r11d

	pop	%rbx
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rbp
	RET
SYM_FUNC_END(gaspace_svm_vmrun)
