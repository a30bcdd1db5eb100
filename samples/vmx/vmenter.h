/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gaspace_vmx: vmenter.S, shared by the assembly and vmx.c.
 */
#ifndef _GASPACE_VMX_VMENTER_H
#define _GASPACE_VMX_VMENTER_H

/* Offsets in struct gaspace_vmx_regs (gaspace_vmx.h), checked in vmx.c. */
#define REGS_RAX	0
#define REGS_RBX	8
#define REGS_RCX	16
#define REGS_RDX	24
#define REGS_RSI	32
#define REGS_RDI	40
#define REGS_RBP	48
#define REGS_R8		64
#define REGS_R9		72
#define REGS_R10	80
#define REGS_R11	88
#define REGS_R12	96
#define REGS_R13	104
#define REGS_R14	112
#define REGS_R15	120

/* VMCS field encoding of HOST_RSP (Intel SDM vol. 3, App. B.4.4) */
#define VMCS_HOST_RSP	0x6c14

#ifndef __ASSEMBLY__
struct gaspace_vmx_regs;

/*
 * VMLAUNCHes the current VMCS with @regs' general-purpose registers but RSP
 * (the VMCS's, as RIP and RFLAGS are) and stores them back at the VM exit.
 * The VMCS's HOST_RIP must be gaspace_vmx_vmexit; HOST_RSP is written here.
 * Returns 0 after a VM exit, 1 when VMLAUNCH failed (VMfailValid: the
 * VM-instruction error field says why; or VMfailInvalid).
 * Called with interrupts off, in VMX root operation.
 */
int gaspace_vmx_vmlaunch(struct gaspace_vmx_regs *regs);
void gaspace_vmx_vmexit(void);
#endif

#endif /* _GASPACE_VMX_VMENTER_H */
