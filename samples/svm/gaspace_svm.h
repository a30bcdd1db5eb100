/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * gaspace_svm: the runner interface of the sample SVM hypervisor module.
 *
 * samples/svm/gaspace_svm.ko runs small guests on an AMD CPU with nested
 * paging, translating every guest access through the nested page table of a
 * gaspace address space.  A userspace runner opens GASPACE_SVM_DEVICE and
 * hands it an address-space fd (GASPACE_FMT_NPT, gpa_bits as
 * GASPACE_SVM_GET_INFO reports) together with the guest's first registers;
 * GASPACE_SVM_RUN returns when the guest stops.
 *
 * The guest starts in "big real mode": CS has base 0 and limit 0xffff (code
 * lives in the first 64 KiB, rip is the gpa of the first instruction), DS,
 * ES and SS have base 0 and limit 4 GiB (an address-size prefix, 0x67,
 * reaches any gpa below 4 GiB).  FS and GS start with base 0 and limit
 * 0xffff; the guest may load them (the module switches them, and the rest
 * of the host state VMRUN leaves alone, with VMSAVE and VMLOAD).
 * Interrupts, I/O, MSR and debug-register accesses and every exception end
 * the run.
 *
 * Self-contained: only <linux/types.h> and <linux/ioctl.h>.
 */
#ifndef _GASPACE_SVM_H
#define _GASPACE_SVM_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define GASPACE_SVM_DEVICE	"/dev/gaspace_svm"
#define GASPACE_SVM_IO		0xBB

/* gaspace_svm_info.flags */
#define GASPACE_SVM_HAVE_SVM	0x1u	/* CPUID: SVM, not disabled */
#define GASPACE_SVM_HAVE_NPT	0x2u	/* CPUID: nested paging */

/**
 * struct gaspace_svm_info - what this CPU offers the runner
 * @flags: GASPACE_SVM_HAVE_*; GASPACE_SVM_RUN needs both
 * @gpa_bits: gpa_bits the address space must have: nested walks have the
 *	host's depth, 57 with 5-level host paging (LA57), else 48
 * @nr_asids: ASIDs the CPU has (CPUID 0x8000000A EBX)
 * @svm_rev: SVM revision (CPUID 0x8000000A EAX)
 * @reserved: zero
 */
struct gaspace_svm_info {
	__u32 flags;
	__u32 gpa_bits;
	__u32 nr_asids;
	__u32 svm_rev;
	__u64 reserved[4];
};

/**
 * struct gaspace_svm_regs - the guest's registers
 * @rax: RAX, loaded from and saved to the VMCB
 * @rbx: RBX
 * @rcx: RCX
 * @rdx: RDX
 * @rsi: RSI
 * @rdi: RDI
 * @rbp: RBP
 * @rsp: RSP, loaded from and saved to the VMCB
 * @r8: R8
 * @r9: R9
 * @r10: R10
 * @r11: R11
 * @r12: R12
 * @r13: R13
 * @r14: R14
 * @r15: R15
 * @rip: RIP: in real mode the gpa of the next instruction (CS base is 0)
 * @rflags: RFLAGS; bit 1 is always set, so 0 means 0x2, the reset value
 *
 * In: the first values.  Out: the values at the exit that ended the run.
 */
struct gaspace_svm_regs {
	__u64 rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp;
	__u64 r8, r9, r10, r11, r12, r13, r14, r15;
	__u64 rip, rflags;
};

/**
 * struct gaspace_svm_run - one run of a guest, until it stops
 * @as_fd: in: an address-space fd (GASPACE_FMT_NPT)
 * @flags: in: none defined, must be 0
 * @regs: in and out, see struct gaspace_svm_regs
 * @exit_code: out: the SVM exit code that ended the run (SVM_EXIT_HLT 0x78,
 *	SVM_EXIT_VMMCALL 0x81, 0x40 + vector for an exception, SVM_EXIT_NPF
 *	0x400 when gaspace refused a nested page fault, 0xffffffff when the
 *	CPU refused the VMCB); rip then points at the instruction that exited
 * @exit_info1: out: the exit's EXITINFO1 (for NPF: the fault's error code)
 * @exit_info2: out: the exit's EXITINFO2 (for NPF: the faulting gpa)
 * @error: out: 0, or the negative errno gaspace_handle_fault() returned for
 *	the nested page fault that ended the run (-ENOENT: no area, -EACCES:
 *	the area's prot refuses the access, -ERANGE: outside the space)
 * @access: out: GASPACE_PROT_* of that fault (a store is WRITE alone, an
 *	instruction fetch EXEC, anything else READ)
 * @gpa: out: the gpa of the nested page fault that ended the run
 * @nr_faults: out: nested page faults that gaspace resolved (0 returned)
 * @nr_exits: out: VM exits taken, the last one included
 * @reserved: in: zero
 *
 * GASPACE_SVM_RUN returns 0 whenever the guest ran, whatever stopped it;
 * an error means that the run could not start (-EBADF: @as_fd is not an
 * address space, -EINVAL: bad field or not an NPT space of @gpa_bits,
 * -ENODEV: no SVM or nested paging), was interrupted (-EINTR, a signal),
 * or met another hypervisor (-EBUSY: KVM, say, has SVM enabled on the CPU).
 */
struct gaspace_svm_run {
	__s32 as_fd;
	__u32 flags;
	struct gaspace_svm_regs regs;
	__u64 exit_code;
	__u64 exit_info1;
	__u64 exit_info2;
	__s32 error;
	__u32 access;
	__u64 gpa;
	__u64 nr_faults;
	__u64 nr_exits;
	__u64 reserved[4];
};

#define GASPACE_SVM_GET_INFO	_IOR(GASPACE_SVM_IO, 0x00, struct gaspace_svm_info)
#define GASPACE_SVM_RUN		_IOWR(GASPACE_SVM_IO, 0x01, struct gaspace_svm_run)

#endif /* _GASPACE_SVM_H */
