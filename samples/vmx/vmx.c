// SPDX-License-Identifier: GPL-2.0
/*
 * gaspace_vmx: a sample Intel VMX hypervisor module on gaspace's EPT.
 *
 * It runs small guests whose every memory access the CPU's EPT walker
 * translates through the EPT of a gaspace address space, and whose EPT
 * violations go to gaspace's fault hook.  It uses nothing but gaspace's
 * exported API (include/linux/gaspace.h):
 *
 *  - gaspace_get_file() turns the runner's address-space fd into a space;
 *  - gaspace_get_info() gives the EPTP (root_pointer) and the walk depth;
 *  - gaspace_handle_fault() resolves an EPT violation: 0 means the page is
 *    now mapped and the guest may retry the access;
 *  - a gaspace_notifier learns of UNMAP and PROTECT, so the guest-physical
 *    mappings the CPU cached are invalidated (INVEPT) before gaspace frees
 *    or reuses a page.
 *
 * The module owns VMX on a CPU only while it runs a guest there: each entry
 * sets CR4.VMXE, does VMXON, loads the run's VMCS, VMLAUNCHes it and, after
 * the exit, VMCLEARs the VMCS, does VMXOFF and clears CR4.VMXE again, all
 * with preemption off.  Between entries the host is as it was before, and a
 * CPU where another hypervisor (KVM) has VMX on is refused (-EBUSY).
 *
 * The runner's interface is in gaspace_vmx.h; Documentation/hypervisor.rst
 * walks through the SVM sample, which this one mirrors.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/uaccess.h>
#include <asm/apic.h>
#include <asm/asm.h>
#include <asm/debugreg.h>
#include <asm/desc.h>
#include <asm/io.h>
#include <asm/msr.h>
#include <asm/processor.h>
#include <asm/segment.h>
#include <asm/special_insns.h>
#include <asm/tlbflush.h>
#include <asm/tsc.h>
#include <asm/vmx.h>

#include <linux/gaspace.h>
#include "gaspace_vmx.h"
#include "vmenter.h"

/* IA32_VMX_BASIC (Intel SDM vol. 3, App. A.1) */
#define VMX_BASIC_REV_MASK	0x7fffffffULL
#define VMX_BASIC_SIZE(b)	(((b) >> 32) & 0x1fff)
#define VMX_BASIC_32BIT_PA	BIT_ULL(48)
#define VMX_BASIC_MEMTYPE(b)	(((b) >> 50) & 0xf)
#define VMX_BASIC_TRUE		BIT_ULL(55)
#define VMX_MEMTYPE_WB		6

/* EPT violation exit qualification: the access that faulted */
#define EPT_QUAL_READ		BIT_ULL(0)
#define EPT_QUAL_WRITE		BIT_ULL(1)
#define EPT_QUAL_FETCH		BIT_ULL(2)

/* DR7 after reset and after a VM exit: no breakpoint enabled */
#define VMX_DR7_RESET		0x400UL

/* The longest a guest runs without an exit, where the CPU has the timer */
#define VMX_TIMER_MS		4

/* A resolved fault that comes straight back this often is a table bug. */
#define VMX_MAX_REPEATS		16

/* Access rights of the guest's segments (VMCS format: G is bit 15) */
#define AR_CODE16		0x9b		/* P, S, execute/read, accessed */
#define AR_DATA			0x93		/* P, S, read/write, accessed */
#define AR_DATA_4G		0x8093		/* the same with G: 4 GiB limit */
#define AR_TSS16_BUSY		0x8b
#define AR_UNUSABLE		0x10000

/* Guest segment registers, in the order of their VMCS fields */
enum { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_LDTR, SEG_TR };

/* struct gaspace_vmx_regs as vmenter.S addresses it */
static_assert(offsetof(struct gaspace_vmx_regs, rax) == REGS_RAX);
static_assert(offsetof(struct gaspace_vmx_regs, rbx) == REGS_RBX);
static_assert(offsetof(struct gaspace_vmx_regs, rcx) == REGS_RCX);
static_assert(offsetof(struct gaspace_vmx_regs, rdx) == REGS_RDX);
static_assert(offsetof(struct gaspace_vmx_regs, rsi) == REGS_RSI);
static_assert(offsetof(struct gaspace_vmx_regs, rdi) == REGS_RDI);
static_assert(offsetof(struct gaspace_vmx_regs, rbp) == REGS_RBP);
static_assert(offsetof(struct gaspace_vmx_regs, r8) == REGS_R8);
static_assert(offsetof(struct gaspace_vmx_regs, r9) == REGS_R9);
static_assert(offsetof(struct gaspace_vmx_regs, r10) == REGS_R10);
static_assert(offsetof(struct gaspace_vmx_regs, r11) == REGS_R11);
static_assert(offsetof(struct gaspace_vmx_regs, r12) == REGS_R12);
static_assert(offsetof(struct gaspace_vmx_regs, r13) == REGS_R13);
static_assert(offsetof(struct gaspace_vmx_regs, r14) == REGS_R14);
static_assert(offsetof(struct gaspace_vmx_regs, r15) == REGS_R15);
static_assert(VMCS_HOST_RSP == HOST_RSP);

struct vmx_run;

/*
 * Per CPU: the VMXON region, and the run whose VMCS is current on this CPU
 * while it is in VMX operation (NULL outside it).
 */
struct vmx_cpu {
	struct page *vmxon;
	struct vmx_run *run;
};

static DEFINE_PER_CPU(struct vmx_cpu, vmx_cpus);
static struct gaspace_vmx_info vmx_info;

/* VM-execution, exit and entry controls, fixed at load (vmx_probe()) */
static struct {
	u32 pin, exec, exec2, exit, entry;
	u32 preemption_timer;
	u64 cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
	unsigned long invept_type;
} vmx_conf;

/**
 * struct vmx_run - one GASPACE_VMX_RUN call: a vCPU for the run's duration
 * @as: the address space, referenced
 * @vmcs: the guest's VMCS region (one page)
 * @eptp: the EPT pointer, gaspace's root_pointer
 * @notifier: told by gaspace when leaves are cleared or downgraded
 * @cpu: the CPU that is in VMX operation with this VMCS now, or -1
 * @last_cpu: the CPU of the last VM entry, -1 before the first
 * @flush: set by the notifier: INVEPT before the next VM entry
 * @ready: the VMCS holds the controls and the guest state
 */
struct vmx_run {
	struct gaspace *as;
	void *vmcs;
	u64 eptp;
	struct gaspace_notifier notifier;
	int cpu;
	int last_cpu;
	atomic_t flush;
	bool ready;
};

/* What a VM exit left for vmx_loop() */
struct vmx_exit {
	u32 reason;
	u32 info;
	u64 qualification;
	u64 gpa;
};

/* The host state a VM exit loses or changes, saved before the entry */
struct vmx_host {
	struct desc_ptr gdt;
	struct desc_ptr idt;
	unsigned long fs_base;
	unsigned long kernel_gs_base;
	unsigned long dr6, dr7;
	u64 debugctl;
	u16 ds, es, fs, gs, ldt, tr;
};

/* --- VMX instructions ------------------------------------------------------ */

static int vmx_vmxon(u64 pa)
{
	asm goto("1: vmxon %[pa]\n\t"
		 "jna 2f\n\t"
		 "jmp %l[done]\n"
		 "2:\n\t"
		 _ASM_EXTABLE(1b, 2b)
		 : : [pa] "m" (pa) : "cc", "memory" : done);
	return -EIO;
done:
	return 0;
}

static void vmx_vmxoff(void)
{
	asm volatile("vmxoff" : : : "cc", "memory");
}

static int vmx_vmclear(u64 pa)
{
	asm goto("1: vmclear %[pa]\n\t"
		 "jna 2f\n\t"
		 "jmp %l[done]\n"
		 "2:\n\t"
		 _ASM_EXTABLE(1b, 2b)
		 : : [pa] "m" (pa) : "cc", "memory" : done);
	return -EIO;
done:
	return 0;
}

static int vmx_vmptrld(u64 pa)
{
	asm goto("1: vmptrld %[pa]\n\t"
		 "jna 2f\n\t"
		 "jmp %l[done]\n"
		 "2:\n\t"
		 _ASM_EXTABLE(1b, 2b)
		 : : [pa] "m" (pa) : "cc", "memory" : done);
	return -EIO;
done:
	return 0;
}

static void vmcs_write(unsigned long field, unsigned long value)
{
	asm goto("1: vmwrite %[value], %[field]\n\t"
		 "jna 2f\n\t"
		 "jmp %l[done]\n"
		 "2:\n\t"
		 _ASM_EXTABLE(1b, 2b)
		 : : [field] "r" (field), [value] "rm" (value) : "cc" : done);
	/* a field this CPU lacks, or a value it refuses: a bug here */
	pr_warn_ratelimited("vmwrite %#lx = %#lx failed\n", field, value);
done:
	return;
}

static unsigned long vmcs_read(unsigned long field)
{
	unsigned long value = 0;

	asm volatile("1: vmread %[field], %[value]\n\t"
		     "2:\n\t"
		     _ASM_EXTABLE(1b, 2b)
		     : [value] "+r" (value) : [field] "r" (field) : "cc");
	return value;
}

/* Invalidate the guest-physical mappings this CPU cached for @eptp. */
static void vmx_invept(u64 eptp)
{
	struct {
		u64 eptp;
		u64 reserved;
	} desc = { eptp, 0 };

	asm volatile("invept %[desc], %[type]"
		     : : [desc] "m" (desc), [type] "r" (vmx_conf.invept_type)
		     : "cc", "memory");
}

/* --- the VMCS -------------------------------------------------------------- */

static void vmx_seg(unsigned int seg, u32 ar, u32 limit)
{
	vmcs_write(GUEST_ES_SELECTOR + 2 * seg, 0);
	vmcs_write(GUEST_ES_BASE + 2 * seg, 0);
	vmcs_write(GUEST_ES_LIMIT + 2 * seg, limit);
	vmcs_write(GUEST_ES_AR_BYTES + 2 * seg, ar);
}

/* A control register value the CPU allows in VMX operation. */
static unsigned long vmx_fixed(unsigned long val, u64 fixed0, u64 fixed1)
{
	return (val | fixed0) & fixed1;
}

/* The controls: EPT and unrestricted guest, every exit to the host taken. */
static void vmx_init_controls(struct vmx_run *run)
{
	vmcs_write(PIN_BASED_VM_EXEC_CONTROL, vmx_conf.pin);
	vmcs_write(CPU_BASED_VM_EXEC_CONTROL, vmx_conf.exec);
	vmcs_write(SECONDARY_VM_EXEC_CONTROL, vmx_conf.exec2);
	vmcs_write(VM_EXIT_CONTROLS, vmx_conf.exit);
	vmcs_write(VM_ENTRY_CONTROLS, vmx_conf.entry);
	/* Every exception ends the run rather than reaching the guest's IVT. */
	vmcs_write(EXCEPTION_BITMAP, ~0u);
	vmcs_write(PAGE_FAULT_ERROR_CODE_MASK, 0);
	vmcs_write(PAGE_FAULT_ERROR_CODE_MATCH, 0);
	vmcs_write(CR3_TARGET_COUNT, 0);
	vmcs_write(VM_EXIT_MSR_STORE_COUNT, 0);
	vmcs_write(VM_EXIT_MSR_LOAD_COUNT, 0);
	vmcs_write(VM_ENTRY_MSR_LOAD_COUNT, 0);
	vmcs_write(VM_ENTRY_INTR_INFO_FIELD, 0);
	vmcs_write(EPT_POINTER, run->eptp);
	if (vmx_conf.pin & PIN_BASED_VMX_PREEMPTION_TIMER)
		vmcs_write(VMX_PREEMPTION_TIMER_VALUE,
			   vmx_conf.preemption_timer);
	vmcs_write(VMCS_LINK_POINTER, ~0UL);
	/* The host owns CR0 and CR4: a guest write that changes them exits. */
	vmcs_write(CR0_GUEST_HOST_MASK, ~0UL);
	vmcs_write(CR0_READ_SHADOW, X86_CR0_ET);
	vmcs_write(CR4_GUEST_HOST_MASK, ~0UL);
	vmcs_write(CR4_READ_SHADOW, 0);
}

/* The guest state: big real mode, at the runner's registers. */
static void vmx_init_guest(const struct gaspace_vmx_regs *regs)
{
	unsigned long cr0;

	/* Unrestricted guest: PE and PG may be 0, whatever CR0_FIXED0 says. */
	cr0 = vmx_fixed(X86_CR0_ET | X86_CR0_NE,
			vmx_conf.cr0_fixed0 & ~(u64)(X86_CR0_PE | X86_CR0_PG),
			vmx_conf.cr0_fixed1);
	vmcs_write(GUEST_CR0, cr0);
	vmcs_write(GUEST_CR3, 0);
	vmcs_write(GUEST_CR4, vmx_fixed(0, vmx_conf.cr4_fixed0,
					vmx_conf.cr4_fixed1));
	vmcs_write(GUEST_DR7, VMX_DR7_RESET);
	vmcs_write(GUEST_IA32_DEBUGCTL, 0);
	vmcs_write(GUEST_IA32_EFER, 0);
	vmcs_write(GUEST_SYSENTER_CS, 0);
	vmcs_write(GUEST_SYSENTER_ESP, 0);
	vmcs_write(GUEST_SYSENTER_EIP, 0);

	vmx_seg(SEG_CS, AR_CODE16, 0xffff);
	vmx_seg(SEG_DS, AR_DATA_4G, 0xffffffff);
	vmx_seg(SEG_ES, AR_DATA_4G, 0xffffffff);
	vmx_seg(SEG_SS, AR_DATA_4G, 0xffffffff);
	vmx_seg(SEG_FS, AR_DATA, 0xffff);
	vmx_seg(SEG_GS, AR_DATA, 0xffff);
	vmx_seg(SEG_LDTR, AR_UNUSABLE, 0);
	vmx_seg(SEG_TR, AR_TSS16_BUSY, 0xffff);
	vmcs_write(GUEST_GDTR_BASE, 0);
	vmcs_write(GUEST_GDTR_LIMIT, 0xffff);
	vmcs_write(GUEST_IDTR_BASE, 0);
	vmcs_write(GUEST_IDTR_LIMIT, 0x3ff);
	vmcs_write(GUEST_ACTIVITY_STATE, 0);
	vmcs_write(GUEST_INTERRUPTIBILITY_INFO, 0);
	vmcs_write(GUEST_PENDING_DBG_EXCEPTIONS, 0);

	vmcs_write(GUEST_RIP, regs->rip);
	vmcs_write(GUEST_RSP, regs->rsp);
	/* Bit 1 is always set; the CPU checks the rest (entry failure). */
	vmcs_write(GUEST_RFLAGS, regs->rflags | X86_EFLAGS_FIXED);
}

/*
 * Controls and guest state, written once per run into the current VMCS:
 * EPT and unrestricted guest, every exit that could reach the host taken,
 * and the guest in big real mode.  VMCLEAR keeps them in the VMCS region
 * between entries.
 */
static void vmx_init_vmcs(struct vmx_run *run,
			  const struct gaspace_vmx_regs *regs)
{
	vmx_init_controls(run);
	vmx_init_guest(regs);
}

/* The base of the TSS in TR, from its descriptor in the GDT. */
static unsigned long vmx_tss_base(const struct desc_ptr *gdt, u16 tr)
{
	const struct ldttss_desc *d = (void *)(gdt->address + (tr & ~7));

	return d->base0 | ((unsigned long)d->base1 << 16) |
	       ((unsigned long)d->base2 << 24) |
	       ((unsigned long)d->base3 << 32);
}

/*
 * The host-state area: what the VM exit loads.  Written before every entry,
 * since the CPU (GDT, TSS, per-CPU GS base) and the task (FS) may differ
 * from the last one.  Selectors with RPL or TI bits set (a 32-bit task's)
 * cannot be loaded by an exit: 0 goes there and vmx_restore_host() reloads
 * them.
 */
static void vmx_save_host(struct vmx_host *h)
{
	unsigned long gs_base;
	u64 msr;

	native_store_gdt(&h->gdt);
	store_idt(&h->idt);
	h->tr = native_store_tr();
	asm volatile("sldt %0" : "=g" (h->ldt));
	savesegment(ds, h->ds);
	savesegment(es, h->es);
	savesegment(fs, h->fs);
	savesegment(gs, h->gs);
	rdmsrl(MSR_FS_BASE, h->fs_base);
	rdmsrl(MSR_GS_BASE, gs_base);
	rdmsrl(MSR_KERNEL_GS_BASE, h->kernel_gs_base);
	h->dr6 = native_get_debugreg(6);
	h->dr7 = native_get_debugreg(7);
	/* every CPU with VMX has it, but Bochs does not emulate it */
	if (rdmsrl_safe(MSR_IA32_DEBUGCTLMSR, &h->debugctl))
		h->debugctl = 0;

	vmcs_write(HOST_CR0, read_cr0());
	vmcs_write(HOST_CR3, __read_cr3());
	vmcs_write(HOST_CR4, cr4_read_shadow());
	vmcs_write(HOST_CS_SELECTOR, __KERNEL_CS);
	vmcs_write(HOST_SS_SELECTOR, __KERNEL_DS);
	vmcs_write(HOST_DS_SELECTOR, 0);
	vmcs_write(HOST_ES_SELECTOR, 0);
	vmcs_write(HOST_FS_SELECTOR, (h->fs & 7) ? 0 : h->fs);
	vmcs_write(HOST_GS_SELECTOR, (h->gs & 7) ? 0 : h->gs);
	vmcs_write(HOST_TR_SELECTOR, h->tr);
	vmcs_write(HOST_FS_BASE, h->fs_base);
	vmcs_write(HOST_GS_BASE, gs_base);
	vmcs_write(HOST_TR_BASE, vmx_tss_base(&h->gdt, h->tr));
	vmcs_write(HOST_GDTR_BASE, h->gdt.address);
	vmcs_write(HOST_IDTR_BASE, h->idt.address);
	rdmsrl(MSR_IA32_SYSENTER_CS, msr);
	vmcs_write(HOST_IA32_SYSENTER_CS, (u32)msr);
	rdmsrl(MSR_IA32_SYSENTER_ESP, msr);
	vmcs_write(HOST_IA32_SYSENTER_ESP, msr);
	rdmsrl(MSR_IA32_SYSENTER_EIP, msr);
	vmcs_write(HOST_IA32_SYSENTER_EIP, msr);
	rdmsrl(MSR_EFER, msr);
	vmcs_write(HOST_IA32_EFER, msr);
	vmcs_write(HOST_RIP, (unsigned long)gaspace_vmx_vmexit);
}

/*
 * What the exit did not restore: it sets the GDTR and IDTR limits to 0xffff
 * and the TR limit to 0x67, makes LDTR unusable, loads null DS and ES,
 * clears DR7 and IA32_DEBUGCTL.  Interrupts are still off: no handler runs
 * on a half-restored host.
 */
static void vmx_restore_host(const struct vmx_host *h)
{
	native_load_gdt(&h->gdt);
	native_load_idt(&h->idt);
	/* TR's limit is reloaded lazily, before the I/O bitmap is next used */
	invalidate_tss_limit();
	if (h->ldt)
		asm volatile("lldt %0" : : "r" (h->ldt));
	if (h->ds | h->es) {
		loadsegment(ds, h->ds);
		loadsegment(es, h->es);
	}
	if (h->fs & 7) {
		loadsegment(fs, h->fs);
		wrmsrl(MSR_FS_BASE, h->fs_base);
	}
	if (h->gs & 7) {
		load_gs_index(h->gs);
		wrmsrl(MSR_KERNEL_GS_BASE, h->kernel_gs_base);
	}
	if (native_get_debugreg(6) != h->dr6)
		native_set_debugreg(6, h->dr6);
	if (h->dr7 != VMX_DR7_RESET)
		native_set_debugreg(7, h->dr7);
	if (h->debugctl)
		wrmsrl(MSR_IA32_DEBUGCTLMSR, h->debugctl);
}

/* An NMI that exited the guest was the host's: raise it again here. */
static void vmx_reraise_nmi(void)
{
	apic->send_IPI_self(NMI_VECTOR);
}

static void vmx_flush(struct vmx_run *run)
{
	atomic_set(&run->flush, 0);
	vmx_invept(run->eptp);
}

/*
 * The notifier's IPI, on the CPU that ran the guest: taken once the guest
 * has exited (the IPI made it exit), with interrupts on between the exit
 * and VMXOFF.  Still in VMX operation with this run: INVEPT now.  Already
 * out of it: the flag stays set and the next entry does it.
 */
static void vmx_flush_ipi(void *info)
{
	struct vmx_run *run = info;

	if (this_cpu_read(vmx_cpus.run) == run && atomic_read(&run->flush))
		vmx_flush(run);
}

/*
 * gaspace calls this after it cleared or downgraded leaves and before it
 * frees anything: the guest must not keep using a stale translation.  The
 * flag makes the next entry INVEPT; a guest in VMX operation now is kicked
 * out by the IPI, whose handler does the INVEPT on its CPU before this
 * returns.  Guest-physical mappings cached on a CPU the run left are
 * flushed when it comes back there (vmx_enter(): last_cpu).
 */
static void vmx_invalidate(struct gaspace_notifier *n, struct gaspace *as,
			   u64 gpa, u64 size)
{
	struct vmx_run *run = container_of(n, struct vmx_run, notifier);
	int cpu;

	atomic_set(&run->flush, 1);
	smp_mb__after_atomic();	/* flag before cpu: vmx_enter() */
	cpu = READ_ONCE(run->cpu);
	if (cpu >= 0)
		smp_call_function_single(cpu, vmx_flush_ipi, run, 1);
}

/* VMX operation here with the run's VMCS current: 0, -EBUSY or -EIO. */
static int vmx_on(struct vmx_run *run, u64 vmcs_pa)
{
	if (cr4_read_shadow() & X86_CR4_VMXE)
		return -EBUSY;
	cr4_set_bits_irqsoff(X86_CR4_VMXE);
	if (vmx_vmxon(page_to_phys(this_cpu_read(vmx_cpus.vmxon))))
		goto out_cr4;
	/* The first VMCLEAR initializes the region; later ones end entries. */
	if ((!run->ready && vmx_vmclear(vmcs_pa)) || vmx_vmptrld(vmcs_pa))
		goto out_vmxoff;
	return 0;
out_vmxoff:
	vmx_vmxoff();
out_cr4:
	cr4_clear_bits_irqsoff(X86_CR4_VMXE);
	return -EIO;
}

/* A failed VM entry: the VM-instruction error for the runner. */
static void vmx_read_vmfail(struct vmx_exit *exit)
{
	exit->reason = GASPACE_VMX_EXIT_VMFAIL;
	exit->info = vmcs_read(VM_INSTRUCTION_ERROR);
	exit->qualification = 0;
	exit->gpa = 0;
}

/* A VM exit: its reason and details, and the guest's registers. */
static void vmx_read_exit(struct gaspace_vmx_regs *regs, struct vmx_exit *exit)
{
	exit->reason = vmcs_read(VM_EXIT_REASON);
	exit->qualification = vmcs_read(EXIT_QUALIFICATION);
	exit->info = vmcs_read(VM_EXIT_INTR_INFO);
	exit->gpa = vmcs_read(GUEST_PHYSICAL_ADDRESS);
	regs->rip = vmcs_read(GUEST_RIP);
	regs->rsp = vmcs_read(GUEST_RSP);
	regs->rflags = vmcs_read(GUEST_RFLAGS);
}

/*
 * One VM entry on this CPU, from VMXON to VMXOFF, with preemption off
 * throughout; -EBUSY when another hypervisor has VMX on here, -EIO when
 * VMXON or loading the VMCS failed.
 */
static int vmx_enter(struct vmx_run *run, struct gaspace_vmx_regs *regs,
		     struct vmx_exit *exit)
{
	u64 vmcs_pa = virt_to_phys(run->vmcs);
	struct vmx_host host;
	int cpu, ret = 0;

	preempt_disable();
	local_irq_disable();
	cpu = smp_processor_id();
	ret = vmx_on(run, vmcs_pa);
	if (ret)
		goto out_irq;
	this_cpu_write(vmx_cpus.run, run);
	if (!run->ready) {
		vmx_init_vmcs(run, regs);
		run->ready = true;
	}
	vmx_save_host(&host);

	WRITE_ONCE(run->cpu, cpu);
	smp_mb();	/* cpu before the flag: vmx_invalidate() */
	if (run->last_cpu != cpu || atomic_read(&run->flush))
		vmx_flush(run);
	run->last_cpu = cpu;

	if (gaspace_vmx_vmlaunch(regs)) {
		vmx_restore_host(&host);
		vmx_read_vmfail(exit);
	} else {
		vmx_restore_host(&host);
		vmx_read_exit(regs, exit);
		if (exit->reason == EXIT_REASON_EXCEPTION_NMI &&
		    (exit->info & INTR_INFO_INTR_TYPE_MASK) == INTR_TYPE_NMI_INTR)
			vmx_reraise_nmi();
	}

	/*
	 * Interrupts that made the guest exit are taken here, the
	 * notifier's IPI among them (it may INVEPT: still in VMX operation).
	 */
	local_irq_enable();
	local_irq_disable();
	WRITE_ONCE(run->cpu, -1);
	vmx_vmclear(vmcs_pa);
	this_cpu_write(vmx_cpus.run, NULL);
	vmx_vmxoff();
	cr4_clear_bits_irqsoff(X86_CR4_VMXE);
out_irq:
	local_irq_enable();
	preempt_enable();
	return ret;
}

static u32 vmx_ept_access(u64 qual)
{
	u32 access = 0;

	if (qual & EPT_QUAL_READ)
		access |= GASPACE_PROT_READ;
	if (qual & EPT_QUAL_WRITE)
		access |= GASPACE_PROT_WRITE;
	if (qual & EPT_QUAL_FETCH)
		access |= GASPACE_PROT_EXEC;
	return access;
}

/* An EPT violation: 1 if gaspace resolved it and the guest retries, else 0. */
static int vmx_ept_violation(struct vmx_run *run, struct gaspace_vmx_run *arg,
			     const struct vmx_exit *exit, u64 *last_gpa,
			     u64 *last_qual, unsigned int *repeats)
{
	int ret;

	arg->gpa = exit->gpa;
	arg->access = vmx_ept_access(exit->qualification);
	if (exit->gpa == *last_gpa && exit->qualification == *last_qual) {
		if (++*repeats >= VMX_MAX_REPEATS) {
			/* resolved, yet the CPU still cannot use it */
			arg->error = -ELOOP;
			return 0;
		}
	} else {
		*repeats = 0;
	}
	*last_gpa = exit->gpa;
	*last_qual = exit->qualification;

	ret = gaspace_handle_fault(run->as, arg->gpa, arg->access);
	if (ret) {
		arg->error = ret;
		return 0;
	}
	arg->nr_faults++;
	return 1;
}

/*
 * Run until the guest stops: resume after host interrupts and NMIs and
 * after every EPT violation that gaspace resolves; anything else ends the
 * run.
 */
static int vmx_loop(struct vmx_run *run, struct gaspace_vmx_run *arg)
{
	u64 last_gpa = ~0ULL, last_qual = 0;
	unsigned int repeats = 0;
	struct vmx_exit exit;
	int ret;

	for (;;) {
		if (signal_pending(current))
			return -EINTR;
		cond_resched();

		ret = vmx_enter(run, &arg->regs, &exit);
		if (ret)
			return ret;
		arg->nr_exits++;
		arg->exit_reason = exit.reason;
		arg->exit_qualification = exit.qualification;
		arg->exit_info = 0;

		switch (exit.reason) {
		case EXIT_REASON_EXTERNAL_INTERRUPT:
		case EXIT_REASON_PREEMPTION_TIMER:
			continue;
		case EXIT_REASON_EXCEPTION_NMI:
			if ((exit.info & INTR_INFO_INTR_TYPE_MASK) ==
			    INTR_TYPE_NMI_INTR)
				continue;
			arg->exit_info = exit.info;
			return 0;
		case EXIT_REASON_EPT_VIOLATION:
			break;
		case EXIT_REASON_EPT_MISCONFIG:
			/* gaspace wrote an entry this CPU cannot use */
			pr_warn_ratelimited("EPT misconfiguration at gpa %#llx\n",
					    exit.gpa);
			arg->gpa = exit.gpa;
			arg->error = -EIO;
			return 0;
		case GASPACE_VMX_EXIT_VMFAIL:
			arg->exit_info = exit.info;
			return 0;
		default:
			return 0;
		}

		if (!vmx_ept_violation(run, arg, &exit, &last_gpa, &last_qual,
				       &repeats))
			return 0;
	}
}

/* The address space must be EPT of a depth this CPU walks. */
static int vmx_check_space(struct gaspace *as, u64 *eptp)
{
	struct gaspace_info info;
	int ret;

	ret = gaspace_get_info(as, &info);
	if (ret)
		return ret;
	if (info.format != GASPACE_FMT_EPT)
		return -EINVAL;
	if (info.gpa_bits != 48 &&
	    !(info.gpa_bits == 57 &&
	      (vmx_info.flags & GASPACE_VMX_HAVE_5LEVEL)))
		return -EINVAL;
	*eptp = info.root_pointer;
	return 0;
}

/* Copy in and check the runner's argument; -ENODEV without VMX and EPT. */
static int vmx_get_arg(struct gaspace_vmx_run *arg,
		       const struct gaspace_vmx_run __user *uarg)
{
	unsigned int i;

	if (copy_from_user(arg, uarg, sizeof(*arg)))
		return -EFAULT;
	if (arg->flags)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(arg->reserved); i++)
		if (arg->reserved[i])
			return -EINVAL;
	if ((vmx_info.flags & (GASPACE_VMX_HAVE_VMX | GASPACE_VMX_HAVE_EPT)) !=
	    (GASPACE_VMX_HAVE_VMX | GASPACE_VMX_HAVE_EPT))
		return -ENODEV;
	return 0;
}

/* The address space behind the runner's fd, referenced, or an ERR_PTR. */
static struct gaspace *vmx_get_space(int fd)
{
	struct gaspace *as;
	struct file *file;

	file = fget(fd);
	if (!file)
		return ERR_PTR(-EBADF);
	as = gaspace_get_file(file);
	fput(file);
	return as;
}

/* Zero what the run reports back: the last exit, its fault and the counts. */
static void vmx_clear_results(struct gaspace_vmx_run *arg)
{
	arg->exit_reason = 0;
	arg->exit_qualification = 0;
	arg->exit_info = 0;
	arg->error = 0;
	arg->access = 0;
	arg->gpa = 0;
	arg->nr_faults = 0;
	arg->nr_exits = 0;
}

static int vmx_run_ioctl(struct gaspace_vmx_run __user *uarg)
{
	struct gaspace_vmx_run arg;
	struct vmx_run run = { .cpu = -1, .last_cpu = -1 };
	struct page *page;
	int ret;

	ret = vmx_get_arg(&arg, uarg);
	if (ret)
		return ret;

	run.as = vmx_get_space(arg.as_fd);
	if (IS_ERR(run.as))
		return PTR_ERR(run.as);

	ret = vmx_check_space(run.as, &run.eptp);
	if (ret)
		goto out_put;

	page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!page) {
		ret = -ENOMEM;
		goto out_put;
	}
	run.vmcs = page_address(page);
	*(u32 *)run.vmcs = vmx_info.vmcs_rev;
	atomic_set(&run.flush, 0);
	run.notifier.invalidate = vmx_invalidate;
	ret = gaspace_register_notifier(run.as, &run.notifier);
	if (ret)
		goto out_free;

	vmx_clear_results(&arg);
	ret = vmx_loop(&run, &arg);

	gaspace_unregister_notifier(run.as, &run.notifier);
	if (!ret && copy_to_user(uarg, &arg, sizeof(arg)))
		ret = -EFAULT;
out_free:
	__free_page(page);
out_put:
	gaspace_put(run.as);
	return ret;
}

static long vmx_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case GASPACE_VMX_GET_INFO:
		return copy_to_user(uarg, &vmx_info, sizeof(vmx_info)) ?
			-EFAULT : 0;
	case GASPACE_VMX_RUN:
		return vmx_run_ioctl(uarg);
	}
	return -ENOTTY;
}

static const struct file_operations vmx_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = vmx_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice vmx_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "gaspace_vmx",
	.fops = &vmx_fops,
};

/*
 * A control value from its capability MSR: the bits that must be 1, plus
 * @want where allowed; -ENODEV when one of @need is not allowed.
 */
static int vmx_ctl(u32 msr, u32 want, u32 need, u32 *out)
{
	u32 must, may;

	rdmsr(msr, must, may);
	*out = (want | must) & may;
	return (*out & need) == need ? 0 : -ENODEV;
}

static int vmx_probe_controls(u64 basic)
{
	bool t = basic & VMX_BASIC_TRUE;
	int ret;

	ret = vmx_ctl(t ? MSR_IA32_VMX_TRUE_PINBASED_CTLS :
		      MSR_IA32_VMX_PINBASED_CTLS,
		      PIN_BASED_EXT_INTR_MASK | PIN_BASED_NMI_EXITING |
		      PIN_BASED_VMX_PREEMPTION_TIMER,
		      PIN_BASED_EXT_INTR_MASK | PIN_BASED_NMI_EXITING,
		      &vmx_conf.pin);
	ret = ret ?: vmx_ctl(t ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS :
			     MSR_IA32_VMX_PROCBASED_CTLS,
			     CPU_BASED_HLT_EXITING | CPU_BASED_MWAIT_EXITING |
			     CPU_BASED_RDPMC_EXITING |
			     CPU_BASED_MONITOR_EXITING |
			     CPU_BASED_UNCOND_IO_EXITING |
			     CPU_BASED_MOV_DR_EXITING |
			     CPU_BASED_ACTIVATE_SECONDARY_CONTROLS,
			     CPU_BASED_HLT_EXITING |
			     CPU_BASED_UNCOND_IO_EXITING |
			     CPU_BASED_MOV_DR_EXITING |
			     CPU_BASED_ACTIVATE_SECONDARY_CONTROLS,
			     &vmx_conf.exec);
	ret = ret ?: vmx_ctl(MSR_IA32_VMX_PROCBASED_CTLS2,
			     SECONDARY_EXEC_ENABLE_EPT |
			     SECONDARY_EXEC_UNRESTRICTED_GUEST |
			     SECONDARY_EXEC_WBINVD_EXITING,
			     SECONDARY_EXEC_ENABLE_EPT |
			     SECONDARY_EXEC_UNRESTRICTED_GUEST,
			     &vmx_conf.exec2);
	ret = ret ?: vmx_ctl(t ? MSR_IA32_VMX_TRUE_EXIT_CTLS :
			     MSR_IA32_VMX_EXIT_CTLS,
			     VM_EXIT_HOST_ADDR_SPACE_SIZE |
			     VM_EXIT_LOAD_IA32_EFER,
			     VM_EXIT_HOST_ADDR_SPACE_SIZE |
			     VM_EXIT_LOAD_IA32_EFER,
			     &vmx_conf.exit);
	ret = ret ?: vmx_ctl(t ? MSR_IA32_VMX_TRUE_ENTRY_CTLS :
			     MSR_IA32_VMX_ENTRY_CTLS,
			     VM_ENTRY_LOAD_DEBUG_CONTROLS |
			     VM_ENTRY_LOAD_IA32_EFER,
			     VM_ENTRY_LOAD_DEBUG_CONTROLS |
			     VM_ENTRY_LOAD_IA32_EFER,
			     &vmx_conf.entry);
	return ret;
}

/*
 * The VMX-preemption timer brings a guest that never exits back to the
 * host about every VMX_TIMER_MS: a backstop for signals, rescheduling and
 * the notifier's kick where an external interrupt does not make the guest
 * exit.  Bochs 2.7 is such a place: it keeps host interrupts masked in a
 * guest entered with RFLAGS.IF clear on both sides, external-interrupt
 * exiting notwithstanding.
 */
static void vmx_probe_timer(void)
{
	u64 misc, ticks;

	if (!(vmx_conf.pin & PIN_BASED_VMX_PREEMPTION_TIMER))
		return;
	rdmsrl(MSR_IA32_VMX_MISC, misc);
	/* it counts down at the TSC rate divided by 2^misc[4:0] */
	ticks = ((u64)tsc_khz * VMX_TIMER_MS) >> (misc & 0x1f);
	vmx_conf.preemption_timer = clamp_val(ticks, 1000, U32_MAX);
}

/* What CPUID and the VMX capability MSRs say; a CPU without VMX loads too. */
static void vmx_probe(void)
{
	u64 feat, basic, cap;

	vmx_info.gpa_bits = 48;
	if (!boot_cpu_has(X86_FEATURE_VMX))
		return;
	if (rdmsrl_safe(MSR_IA32_FEAT_CTL, &feat) ||
	    !(feat & FEAT_CTL_LOCKED) ||
	    !(feat & FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX))
		return;
	rdmsrl(MSR_IA32_VMX_BASIC, basic);
	if (VMX_BASIC_SIZE(basic) > PAGE_SIZE || (basic & VMX_BASIC_32BIT_PA) ||
	    VMX_BASIC_MEMTYPE(basic) != VMX_MEMTYPE_WB)
		return;
	vmx_info.flags |= GASPACE_VMX_HAVE_VMX;
	vmx_info.vmcs_rev = basic & VMX_BASIC_REV_MASK;
	rdmsrl(MSR_IA32_VMX_CR0_FIXED0, vmx_conf.cr0_fixed0);
	rdmsrl(MSR_IA32_VMX_CR0_FIXED1, vmx_conf.cr0_fixed1);
	rdmsrl(MSR_IA32_VMX_CR4_FIXED0, vmx_conf.cr4_fixed0);
	rdmsrl(MSR_IA32_VMX_CR4_FIXED1, vmx_conf.cr4_fixed1);
	if (vmx_probe_controls(basic))
		return;
	vmx_probe_timer();

	rdmsrl(MSR_IA32_VMX_EPT_VPID_CAP, cap);
	vmx_info.ept_vpid_cap = cap;
	if (!(cap & VMX_EPT_PAGE_WALK_4_BIT) || !(cap & VMX_EPTP_WB_BIT) ||
	    !(cap & VMX_EPT_INVEPT_BIT))
		return;
	if (cap & VMX_EPT_EXTENT_CONTEXT_BIT)
		vmx_conf.invept_type = VMX_EPT_EXTENT_CONTEXT;
	else if (cap & VMX_EPT_EXTENT_GLOBAL_BIT)
		vmx_conf.invept_type = VMX_EPT_EXTENT_GLOBAL;
	else
		return;
	vmx_info.flags |= GASPACE_VMX_HAVE_EPT;
	if (cap & VMX_EPT_EXECUTE_ONLY_BIT)
		vmx_info.flags |= GASPACE_VMX_HAVE_EXEC_ONLY;
	if (cap & VMX_EPT_2MB_PAGE_BIT)
		vmx_info.flags |= GASPACE_VMX_HAVE_2M;
	if (cap & VMX_EPT_1GB_PAGE_BIT)
		vmx_info.flags |= GASPACE_VMX_HAVE_1G;
	if (cap & VMX_EPT_PAGE_WALK_5_BIT) {
		vmx_info.flags |= GASPACE_VMX_HAVE_5LEVEL;
		vmx_info.gpa_bits = 57;
	}
}

static void vmx_free_pages(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		struct vmx_cpu *vc = per_cpu_ptr(&vmx_cpus, cpu);

		if (vc->vmxon)
			__free_page(vc->vmxon);
		vc->vmxon = NULL;
	}
}

static int __init vmx_init(void)
{
	unsigned int cpu;
	int ret;

	vmx_probe();
	if (vmx_info.flags & GASPACE_VMX_HAVE_VMX) {
		for_each_possible_cpu(cpu) {
			struct vmx_cpu *vc = per_cpu_ptr(&vmx_cpus, cpu);

			vc->vmxon = alloc_pages_node(cpu_to_node(cpu),
						     GFP_KERNEL | __GFP_ZERO, 0);
			if (!vc->vmxon) {
				vmx_free_pages();
				return -ENOMEM;
			}
			*(u32 *)page_address(vc->vmxon) = vmx_info.vmcs_rev;
		}
	}
	ret = misc_register(&vmx_misc);
	if (ret) {
		vmx_free_pages();
		return ret;
	}
	pr_info("VMX %s, EPT %s, execute-only %s, EPT walks for gpa_bits %u\n",
		vmx_info.flags & GASPACE_VMX_HAVE_VMX ? "present" : "absent",
		vmx_info.flags & GASPACE_VMX_HAVE_EPT ? "present" : "absent",
		vmx_info.flags & GASPACE_VMX_HAVE_EXEC_ONLY ? "yes" : "no",
		vmx_info.gpa_bits);
	return 0;
}

static void __exit vmx_exit(void)
{
	misc_deregister(&vmx_misc);
	vmx_free_pages();
}

module_init(vmx_init);
module_exit(vmx_exit);
MODULE_DESCRIPTION("gaspace sample: run guests under Intel VMX on gaspace's EPT");
MODULE_LICENSE("GPL");
