/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gaspace_svm: vmrun.S, shared by the assembly and svm.c.
 */
#ifndef _GASPACE_SVM_VMRUN_H
#define _GASPACE_SVM_VMRUN_H

/* Offsets in struct gaspace_svm_regs (gaspace_svm.h), checked in svm.c. */
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

#ifndef __ASSEMBLY__
struct gaspace_svm_regs;

/*
 * Enters the guest of the VMCB at @vmcb_pa with @regs' general-purpose
 * registers but RAX and RSP (the VMCB's), and stores them back at #VMEXIT.
 * The state VMLOAD and VMSAVE switch (FS, GS, TR, LDTR, KernelGsBase, the
 * SYSCALL and SYSENTER MSRs) is the host's in the page at @host_pa while
 * the guest runs, and the guest's in its VMCB after it.
 * Called with GIF clear and interrupts enabled only for the guest's sake.
 */
void gaspace_svm_vmrun(unsigned long vmcb_pa, struct gaspace_svm_regs *regs,
		       unsigned long host_pa);
#endif

#endif /* _GASPACE_SVM_VMRUN_H */
