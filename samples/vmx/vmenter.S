/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gaspace_vmx: enter the guest with VMLAUNCH and come back at its VM exit.
 *
 * VM entry loads the guest's RSP, RIP and RFLAGS from the VMCS, and VM exit
 * loads the host's RSP and RIP from it (HOST_RSP, HOST_RIP); every other
 * general-purpose register is shared with the guest.  So the guest's values
 * are loaded here just before VMLAUNCH and stored back at gaspace_vmx_vmexit,
 * where the exit lands with the stack as it was at VMLAUNCH, and the host's
 * callee-saved registers live on that stack meanwhile.
 *
 * Everything else the exit loads from the host-state area of the VMCS,
 * which vmx.c fills before each entry; what the exit leaves wrong (GDTR and
 * IDTR limits, TR limit, LDTR, DR7, DEBUGCTL, null data segments) vmx.c
 * puts back right after this returns, with interrupts still off.
 *
 * Unlike KVM's __vmx_vcpu_run(), this sample does not stuff the return stack
 * buffer or switch SPEC_CTRL: its guests are code the (root) runner wrote.
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/ibt.h>
#include <asm/unwind_hints.h>

#include "vmenter.h"

	.text
/*
 * int gaspace_vmx_vmlaunch(struct gaspace_vmx_regs *regs)
 */
SYM_FUNC_START(gaspace_vmx_vmlaunch)
	push	%rbp
	push	%r15
	push	%r14
	push	%r13
	push	%r12
	push	%rbx
	/* Keep @regs for after the exit. */
	push	%rdi

	/* The exit comes back with the stack as it is now. */
	mov	$VMCS_HOST_RSP, %eax
	vmwrite	%rsp, %rax
	jna	.Lvmfail

	mov	REGS_RAX(%rdi), %rax
	mov	REGS_RBX(%rdi), %rbx
	mov	REGS_RCX(%rdi), %rcx
	mov	REGS_RDX(%rdi), %rdx
	mov	REGS_RSI(%rdi), %rsi
	mov	REGS_RBP(%rdi), %rbp
	mov	REGS_R8(%rdi), %r8
	mov	REGS_R9(%rdi), %r9
	mov	REGS_R10(%rdi), %r10
	mov	REGS_R11(%rdi), %r11
	mov	REGS_R12(%rdi), %r12
	mov	REGS_R13(%rdi), %r13
	mov	REGS_R14(%rdi), %r14
	mov	REGS_R15(%rdi), %r15
	mov	REGS_RDI(%rdi), %rdi

	/*
	 * A VMLAUNCH that succeeds does not fall through: the VM exit
	 * resumes at gaspace_vmx_vmexit (HOST_RIP).  Tell objtool to carry
	 * the unwind state of this point over to there.
	 */
	UNWIND_HINT_SAVE
.Lvmlaunch:
	vmlaunch
	jmp	.Lvmfail

	_ASM_EXTABLE(.Lvmlaunch, .Lvmfail)

SYM_INNER_LABEL(gaspace_vmx_vmexit, SYM_L_GLOBAL)
	UNWIND_HINT_RESTORE
	ENDBR

	push	%rdi
	mov	8(%rsp), %rdi
	mov	%rax, REGS_RAX(%rdi)
	mov	%rbx, REGS_RBX(%rdi)
	mov	%rcx, REGS_RCX(%rdi)
	mov	%rdx, REGS_RDX(%rdi)
	mov	%rsi, REGS_RSI(%rdi)
	mov	%rbp, REGS_RBP(%rdi)
	mov	%r8, REGS_R8(%rdi)
	mov	%r9, REGS_R9(%rdi)
	mov	%r10, REGS_R10(%rdi)
	mov	%r11, REGS_R11(%rdi)
	mov	%r12, REGS_R12(%rdi)
	mov	%r13, REGS_R13(%rdi)
	mov	%r14, REGS_R14(%rdi)
	mov	%r15, REGS_R15(%rdi)
	popq	REGS_RDI(%rdi)
	xor	%eax, %eax
	jmp	.Lout

.Lvmfail:
	mov	$1, %eax

.Lout:
	/* Drop @regs; leave no guest value in a register the caller may clobber. */
	add	$8, %rsp
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
SYM_FUNC_END(gaspace_vmx_vmlaunch)
