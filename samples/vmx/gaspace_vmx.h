/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * gaspace_vmx: the runner interface of the sample VMX hypervisor module.
 *
 * samples/vmx/gaspace_vmx.ko runs small guests on an Intel CPU with EPT and
 * unrestricted guest, translating every guest access through the EPT of a
 * gaspace address space.  A userspace runner opens GASPACE_VMX_DEVICE and
 * hands it an address-space fd (GASPACE_FMT_EPT, gpa_bits 48, or 57 where
 * GASPACE_VMX_GET_INFO reports 5-level EPT) together with the guest's first
 * registers; GASPACE_VMX_RUN returns when the guest stops.
 *
 * The guest starts in "big real mode": CS has base 0 and limit 0xffff (code
 * lives in the first 64 KiB, rip is the gpa of the first instruction), DS,
 * ES and SS have base 0 and limit 4 GiB (an address-size prefix, 0x67,
 * reaches any gpa below 4 GiB).  FS and GS start with base 0 and limit
 * 0xffff; the guest may load them (VM exits load the host's from the VMCS).
 * Interrupts, I/O, MSR, control- and debug-register writes, HLT, VMCALL and
 * every exception end the run.
 *
 * Leaves gaspace writes must be ones this CPU can walk: an EXEC-only area
 * needs GASPACE_VMX_HAVE_EXEC_ONLY, a 2 MiB or 1 GiB block (GASPACE_MAP_HUGE,
 * large linear areas) GASPACE_VMX_HAVE_2M or GASPACE_VMX_HAVE_1G; otherwise
 * the walk ends in an EPT misconfiguration (EXIT_REASON_EPT_MISCONFIG).
 *
 * Self-contained: only <linux/types.h> and <linux/ioctl.h>.
 */
#ifndef _GASPACE_VMX_H
#define _GASPACE_VMX_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define GASPACE_VMX_DEVICE	"/dev/gaspace_vmx"
#define GASPACE_VMX_IO		0xBC

/* gaspace_vmx_info.flags */
#define GASPACE_VMX_HAVE_VMX	0x1u	/* CPUID: VMX, enabled in FEATURE_CONTROL */
#define GASPACE_VMX_HAVE_EPT	0x2u	/* EPT, unrestricted guest, INVEPT, WB */
#define GASPACE_VMX_HAVE_EXEC_ONLY 0x4u	/* EPT leaves may be X without R */
#define GASPACE_VMX_HAVE_5LEVEL	0x8u	/* 5-level EPT: 57-bit spaces */
#define GASPACE_VMX_HAVE_2M	0x10u	/* EPT 2 MiB blocks */
#define GASPACE_VMX_HAVE_1G	0x20u	/* EPT 1 GiB blocks */

/* VMX basic exit reasons the runner sees most (Intel SDM vol. 3, App. C) */
#define GASPACE_VMX_EXIT_EXCEPTION	0
#define GASPACE_VMX_EXIT_TRIPLE_FAULT	2
#define GASPACE_VMX_EXIT_HLT		12
#define GASPACE_VMX_EXIT_VMCALL		18
#define GASPACE_VMX_EXIT_CR_ACCESS	28
#define GASPACE_VMX_EXIT_IO		30
#define GASPACE_VMX_EXIT_EPT_VIOLATION	48
#define GASPACE_VMX_EXIT_EPT_MISCONFIG	49
#define GASPACE_VMX_EXIT_ENTRY_FAILED	0x80000000u	/* bit: entry failed */
#define GASPACE_VMX_EXIT_VMFAIL		0xffffffffu	/* VMLAUNCH refused */

/**
 * struct gaspace_vmx_info - what this CPU offers the runner
 * @flags: GASPACE_VMX_HAVE_*; GASPACE_VMX_RUN needs VMX and EPT
 * @gpa_bits: the widest EPT space the CPU walks: 57 with 5-level EPT, else
 *	48; a 48-bit space (4-level EPT) runs wherever EPT does
 * @vmcs_rev: VMCS revision identifier (IA32_VMX_BASIC bits 30:0)
 * @reserved0: zero
 * @ept_vpid_cap: IA32_VMX_EPT_VPID_CAP as read, for the curious runner
 * @reserved: zero
 */
struct gaspace_vmx_info {
	__u32 flags;
	__u32 gpa_bits;
	__u32 vmcs_rev;
	__u32 reserved0;
	__u64 ept_vpid_cap;
	__u64 reserved[3];
};

/**
 * struct gaspace_vmx_regs - the guest's registers
 * @rax: RAX
 * @rbx: RBX
 * @rcx: RCX
 * @rdx: RDX
 * @rsi: RSI
 * @rdi: RDI
 * @rbp: RBP
 * @rsp: RSP, loaded from and saved to the VMCS
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
struct gaspace_vmx_regs {
	__u64 rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp;
	__u64 r8, r9, r10, r11, r12, r13, r14, r15;
	__u64 rip, rflags;
};

/**
 * struct gaspace_vmx_run - one run of a guest, until it stops
 * @as_fd: in: an address-space fd (GASPACE_FMT_EPT)
 * @flags: in: none defined, must be 0
 * @regs: in and out, see struct gaspace_vmx_regs
 * @exit_reason: out: the VMX exit reason that ended the run
 *	(GASPACE_VMX_EXIT_*: HLT 12, VMCALL 18, EXCEPTION 0 for any
 *	exception, EPT_VIOLATION 48 when gaspace refused a fault,
 *	EPT_MISCONFIG 49 when the CPU found an entry it cannot use, bit 31
 *	set when VM entry failed on the guest state, GASPACE_VMX_EXIT_VMFAIL
 *	when VMLAUNCH refused the VMCS); rip then points at the instruction
 *	that exited
 * @exit_qualification: out: the exit qualification (for an EPT violation
 *	bits 0-2 read, write, fetch; bits 3-5 what the leaf allowed)
 * @exit_info: out: the VM-exit interruption information for an exception
 *	(vector in bits 7:0), the VM-instruction error for
 *	GASPACE_VMX_EXIT_VMFAIL, else 0
 * @error: out: 0, or the negative errno gaspace_handle_fault() returned for
 *	the EPT violation that ended the run (-ENOENT: no area, -EACCES:
 *	the area's prot refuses the access, -ERANGE: outside the space),
 *	-EIO for an EPT misconfiguration, -ELOOP for a fault that comes back
 *	after gaspace resolved it
 * @access: out: GASPACE_PROT_* of that fault: the exit qualification's
 *	read, write and fetch bits (a read-modify-write is READ | WRITE)
 * @gpa: out: the guest-physical address of that fault or misconfiguration
 * @nr_faults: out: EPT violations that gaspace resolved (0 returned)
 * @nr_exits: out: VM exits taken, the last one included
 * @reserved: in: zero
 *
 * GASPACE_VMX_RUN returns 0 whenever the guest ran, whatever stopped it;
 * an error means that the run could not start (-EBADF: @as_fd is not an
 * address space, -EINVAL: bad field, or not an EPT space of a depth the
 * CPU walks, -ENODEV: no VMX or EPT), was interrupted (-EINTR, a signal),
 * met another hypervisor (-EBUSY: KVM, say, has VMX on, CR4.VMXE set, on
 * the CPU), or VMXON failed (-EIO).
 */
struct gaspace_vmx_run {
	__s32 as_fd;
	__u32 flags;
	struct gaspace_vmx_regs regs;
	__u64 exit_reason;
	__u64 exit_qualification;
	__u64 exit_info;
	__s32 error;
	__u32 access;
	__u64 gpa;
	__u64 nr_faults;
	__u64 nr_exits;
	__u64 reserved[4];
};

#define GASPACE_VMX_GET_INFO	_IOR(GASPACE_VMX_IO, 0x00, struct gaspace_vmx_info)
#define GASPACE_VMX_RUN		_IOWR(GASPACE_VMX_IO, 0x01, struct gaspace_vmx_run)

#endif /* _GASPACE_VMX_H */
