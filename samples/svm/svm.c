// SPDX-License-Identifier: GPL-2.0
/*
 * gaspace_svm: a sample AMD SVM hypervisor module on gaspace's NPT.
 *
 * It runs small guests whose every memory access the CPU's nested walker
 * translates through the nested page table of a gaspace address space, and
 * whose nested page faults go to gaspace's fault hook.  It uses nothing but
 * gaspace's exported API (include/linux/gaspace.h):
 *
 *  - gaspace_get_file() turns the runner's address-space fd into a space;
 *  - gaspace_get_info() gives nCR3 (root_pointer) and the walk depth;
 *  - gaspace_handle_fault() resolves a nested page fault (#NPF): 0 means
 *    the page is now mapped and VMRUN may retry the access;
 *  - a gaspace_notifier learns of UNMAP and PROTECT, so the guest's TLB
 *    entries are flushed before gaspace frees or reuses a page.
 *
 * The runner's interface is in gaspace_svm.h; Documentation/hypervisor.rst
 * walks through this file.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpu.h>
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
#include <asm/debugreg.h>
#include <asm/io.h>
#include <asm/msr.h>
#include <asm/processor.h>
#include <asm/special_insns.h>
#include <asm/svm.h>

#include <linux/gaspace.h>
#include "gaspace_svm.h"
#include "vmrun.h"

/*
 * The ASID every run uses.  The sample does not own the CPU's ASIDs the way
 * KVM does (KVM hands them all out, 1 to nr_asids - 1), so no number is
 * private to it; instead every VMRUN flushes the TLB of all ASIDs and no
 * VMRUN happens while another hypervisor has SVM on (see svm_enter()).
 */
#define SVM_GUEST_ASID		1

/* DR7 after reset and after #VMEXIT: no breakpoint enabled */
#define SVM_DR7_RESET		0x400UL

/* #NPF error code (EXITINFO1) bits, AMD APM vol. 2, 15.25.6 */
#define NPF_PRESENT		BIT_ULL(0)
#define NPF_WRITE		BIT_ULL(1)
#define NPF_RSVD		BIT_ULL(3)
#define NPF_FETCH		BIT_ULL(4)

/* A resolved fault that comes straight back this often is a table bug. */
#define SVM_MAX_REPEATS		16

/* CPUID 0x80000001 ECX and 0x8000000A EDX bits */
#define CPUID_SVM		BIT(2)
#define CPUID_NPT		BIT(0)
#define VM_CR_SVMDIS		BIT_ULL(4)

/* struct gaspace_svm_regs as vmrun.S addresses it */
static_assert(offsetof(struct gaspace_svm_regs, rbx) == REGS_RBX);
static_assert(offsetof(struct gaspace_svm_regs, rcx) == REGS_RCX);
static_assert(offsetof(struct gaspace_svm_regs, rdx) == REGS_RDX);
static_assert(offsetof(struct gaspace_svm_regs, rsi) == REGS_RSI);
static_assert(offsetof(struct gaspace_svm_regs, rdi) == REGS_RDI);
static_assert(offsetof(struct gaspace_svm_regs, rbp) == REGS_RBP);
static_assert(offsetof(struct gaspace_svm_regs, r8) == REGS_R8);
static_assert(offsetof(struct gaspace_svm_regs, r9) == REGS_R9);
static_assert(offsetof(struct gaspace_svm_regs, r10) == REGS_R10);
static_assert(offsetof(struct gaspace_svm_regs, r11) == REGS_R11);
static_assert(offsetof(struct gaspace_svm_regs, r12) == REGS_R12);
static_assert(offsetof(struct gaspace_svm_regs, r13) == REGS_R13);
static_assert(offsetof(struct gaspace_svm_regs, r14) == REGS_R14);
static_assert(offsetof(struct gaspace_svm_regs, r15) == REGS_R15);

/*
 * Per CPU: the host save area VMRUN needs (MSR_VM_HSAVE_PA), and the page
 * VMSAVE keeps the host's FS, GS, TR, LDTR, KernelGsBase and SYSCALL and
 * SYSENTER MSRs in while the guest runs (VMLOAD puts them back).
 */
struct svm_cpu {
	struct page *hsave;
	struct page *host_save;
};

static DEFINE_PER_CPU(struct svm_cpu, svm_cpus);
static struct gaspace_svm_info svm_info;
static struct page *iopm, *msrpm;	/* all ones: every port, every MSR */

/**
 * struct svm_run - one GASPACE_SVM_RUN call: a vCPU for the run's duration
 * @as: the address space, referenced
 * @vmcb: the guest's VMCB (one page)
 * @notifier: told by gaspace when leaves are cleared or downgraded
 * @cpu: the CPU that is in the guest now, or -1
 */
struct svm_run {
	struct gaspace *as;
	struct vmcb *vmcb;
	struct gaspace_notifier notifier;
	int cpu;
};

static void svm_set_intercept(struct vmcb *vmcb, unsigned int bit)
{
	vmcb->control.intercepts[bit / 32] |= BIT(bit % 32);
}

static void svm_seg(struct vmcb_seg *seg, u16 attrib, u32 limit)
{
	seg->selector = 0;
	seg->base = 0;
	seg->attrib = attrib;
	seg->limit = limit;
}

/* The control area: every exit to the host intercepted, nested paging on. */
static void svm_init_control(struct vmcb *vmcb, u64 ncr3)
{
	struct vmcb_control_area *c = &vmcb->control;
	static const unsigned int intercepts[] = {
		INTERCEPT_INTR, INTERCEPT_NMI, INTERCEPT_SMI, INTERCEPT_INIT,
		INTERCEPT_RDPMC, INTERCEPT_INVD, INTERCEPT_HLT,
		INTERCEPT_IOIO_PROT, INTERCEPT_MSR_PROT, INTERCEPT_TASK_SWITCH,
		INTERCEPT_SHUTDOWN, INTERCEPT_VMRUN, INTERCEPT_VMMCALL,
		INTERCEPT_VMLOAD, INTERCEPT_VMSAVE, INTERCEPT_STGI,
		INTERCEPT_CLGI, INTERCEPT_SKINIT, INTERCEPT_WBINVD,
		INTERCEPT_MONITOR, INTERCEPT_MWAIT, INTERCEPT_XSETBV,
		INTERCEPT_INVLPGA,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(intercepts); i++)
		svm_set_intercept(vmcb, intercepts[i]);
	/* Every exception ends the run rather than shutting the guest down. */
	c->intercepts[INTERCEPT_EXCEPTION] = ~0u;
	/*
	 * So does every debug-register access: VMRUN switches DR6 and DR7
	 * only, DR0-DR3 keep the host's breakpoints while the guest runs,
	 * and the guest may neither read nor change them.
	 */
	c->intercepts[INTERCEPT_DR0_READ / 32] = ~0u;
	c->iopm_base_pa = page_to_phys(iopm);
	c->msrpm_base_pa = page_to_phys(msrpm);
	c->asid = SVM_GUEST_ASID;
	/* The guest's IF masks only virtual interrupts: host ones exit. */
	c->int_ctl = V_INTR_MASKING_MASK;
	c->nested_ctl = SVM_NESTED_CTL_NP_ENABLE;
	c->nested_cr3 = ncr3;
}

/* The save area: the guest in big real mode, at the runner's registers. */
static void svm_init_save(struct vmcb *vmcb,
			  const struct gaspace_svm_regs *regs)
{
	struct vmcb_save_area *s = &vmcb->save;

	svm_seg(&s->cs, 0x9b, 0xffff);
	svm_seg(&s->ds, 0x893, 0xffffffff);
	svm_seg(&s->es, 0x893, 0xffffffff);
	svm_seg(&s->ss, 0x893, 0xffffffff);
	/*
	 * VMLOAD loads these (and KernelGsBase, STAR, LSTAR, CSTAR, SFMASK
	 * and the SYSENTER MSRs, all left 0) before each VMRUN, VMSAVE
	 * stores them back after the #VMEXIT: real-mode reset values.
	 */
	svm_seg(&s->fs, 0x93, 0xffff);
	svm_seg(&s->gs, 0x93, 0xffff);
	svm_seg(&s->ldtr, 0x82, 0xffff);
	svm_seg(&s->tr, 0x8b, 0xffff);
	svm_seg(&s->gdtr, 0, 0xffff);
	svm_seg(&s->idtr, 0, 0x3ff);
	s->efer = EFER_SVME;
	s->cr0 = X86_CR0_ET;
	s->dr6 = 0xffff0ff0;
	s->dr7 = SVM_DR7_RESET;
	s->g_pat = 0x0007040600070406ULL;
	s->rip = regs->rip;
	s->rsp = regs->rsp;
	s->rax = regs->rax;
	/* Bit 1 is always set; the CPU checks the rest (VMEXIT_INVALID). */
	s->rflags = regs->rflags | X86_EFLAGS_FIXED;
}

/*
 * The VMCB: nested paging on nCR3, every exit that could reach the host
 * intercepted, and the guest in big real mode (SVM notes: what VMRUN needs).
 */
static void svm_init_vmcb(struct vmcb *vmcb, u64 ncr3,
			  const struct gaspace_svm_regs *regs)
{
	svm_init_control(vmcb, ncr3);
	svm_init_save(vmcb, regs);
}

static void svm_kick(void *info)
{
}

/*
 * gaspace calls this after it cleared or downgraded leaves and before it
 * frees anything: the guest must not keep using a stale translation.  Every
 * VMRUN flushes the TLB, so only a guest that is running now can hold one:
 * if it is in the guest on another CPU, kick it out with an IPI and wait.
 * The IPI is taken only after its #VMEXIT, and its next VMRUN flushes.
 */
static void svm_invalidate(struct gaspace_notifier *n, struct gaspace *as,
			   u64 gpa, u64 size)
{
	struct svm_run *run = container_of(n, struct svm_run, notifier);
	int cpu;

	smp_mb();	/* order the table change before reading cpu: svm_enter() */
	cpu = READ_ONCE(run->cpu);
	if (cpu >= 0 && cpu != raw_smp_processor_id())
		smp_call_function_single(cpu, svm_kick, NULL, 1);
}

/*
 * One VMRUN on this CPU, or -EBUSY when another hypervisor (KVM) has SVM
 * enabled on it.  EFER.SVME and the host save area are this CPU's only
 * while it runs the guest, so the module leaves no trace between runs.
 *
 * The TLB: the sample's ASID is not its own (see SVM_GUEST_ASID), so every
 * VMRUN flushes all ASIDs: the guest never sees a translation cached for
 * another run, for an earlier mapping (the notifier only has to kick a
 * running guest out), or for another hypervisor's guest that used the same
 * ASID.  The other way round, a hypervisor that enables SVM after us starts
 * with a flush of all ASIDs (KVM does), and one that has it enabled now is
 * refused: its guests could run with our ASID's stale entries in between.
 *
 * The host's state: VMRUN and #VMEXIT switch only part of it.  FS, GS, TR,
 * LDTR with their hidden parts, KernelGsBase, STAR, LSTAR, CSTAR, SFMASK
 * and the SYSENTER MSRs are switched by vmrun.S with VMSAVE and VMLOAD
 * (a real-mode guest that loads GS would otherwise leave its base as the
 * kernel's per-CPU base).  #VMEXIT disables every breakpoint in DR7 and
 * leaves the guest's DR6, so the host's are written back here; the guest
 * cannot touch DR0-DR3 (intercepted).
 */
static int svm_enter(struct svm_run *run, struct gaspace_svm_regs *regs)
{
	struct vmcb *vmcb = run->vmcb;
	struct svm_cpu *sc;
	u64 efer, hsave;
	unsigned long dr6, dr7;

	local_irq_disable();
	sc = this_cpu_ptr(&svm_cpus);
	rdmsrl(MSR_EFER, efer);
	if (efer & EFER_SVME) {
		local_irq_enable();
		return -EBUSY;
	}
	rdmsrl(MSR_VM_HSAVE_PA, hsave);
	wrmsrl(MSR_EFER, efer | EFER_SVME);
	wrmsrl(MSR_VM_HSAVE_PA, page_to_phys(sc->hsave));
	dr6 = native_get_debugreg(6);
	dr7 = native_get_debugreg(7);

	WRITE_ONCE(run->cpu, smp_processor_id());
	smp_mb();	/* publish cpu before VMRUN walks: svm_invalidate() */
	vmcb->control.tlb_ctl = TLB_CONTROL_FLUSH_ALL_ASID;
	vmcb->control.clean = 0;

	/*
	 * GIF clear holds interrupts and NMIs until VMRUN sets it in the
	 * guest, and again from #VMEXIT until STGI: vmrun.S switches the
	 * host's FS, GS and the rest in that window, so no handler runs on
	 * the guest's.  Host IF set lets interrupts exit the guest
	 * (INTERCEPT_INTR with V_INTR_MASKING); they are taken after STGI.
	 */
	asm volatile("clgi" ::: "memory");
	local_irq_enable();
	gaspace_svm_vmrun(__pa(vmcb), regs, page_to_phys(sc->host_save));
	local_irq_disable();
	if (native_get_debugreg(6) != dr6)
		native_set_debugreg(6, dr6);
	if (dr7 != SVM_DR7_RESET)
		native_set_debugreg(7, dr7);
	asm volatile("stgi" ::: "memory");

	WRITE_ONCE(run->cpu, -1);
	wrmsrl(MSR_VM_HSAVE_PA, hsave);
	wrmsrl(MSR_EFER, efer);
	local_irq_enable();

	regs->rax = vmcb->save.rax;
	regs->rsp = vmcb->save.rsp;
	regs->rip = vmcb->save.rip;
	regs->rflags = vmcb->save.rflags;
	return 0;
}

static u32 svm_npf_access(u64 info1)
{
	if (info1 & NPF_FETCH)
		return GASPACE_PROT_EXEC;
	if (info1 & NPF_WRITE)
		return GASPACE_PROT_WRITE;
	return GASPACE_PROT_READ;
}

/* A nested page fault: 1 if gaspace resolved it and VMRUN retries, else 0. */
static int svm_npf(struct svm_run *run, struct gaspace_svm_run *arg,
		   u64 *last_gpa, u64 *last_info1, unsigned int *repeats)
{
	struct vmcb_control_area *c = &run->vmcb->control;
	int ret;

	arg->gpa = c->exit_info_2;
	arg->access = svm_npf_access(c->exit_info_1);
	if (c->exit_info_1 & NPF_RSVD) {
		/* gaspace wrote a bit the CPU calls reserved */
		arg->error = -EIO;
		return 0;
	}
	if (arg->gpa == *last_gpa && c->exit_info_1 == *last_info1) {
		if (++*repeats >= SVM_MAX_REPEATS) {
			/* resolved, yet the CPU still cannot use it */
			arg->error = -ELOOP;
			return 0;
		}
	} else {
		*repeats = 0;
	}
	*last_gpa = arg->gpa;
	*last_info1 = c->exit_info_1;

	ret = gaspace_handle_fault(run->as, arg->gpa, arg->access);
	if (ret) {
		arg->error = ret;
		return 0;
	}
	arg->nr_faults++;
	return 1;
}

/*
 * Run until the guest stops: resume after host interrupts and after every
 * nested page fault that gaspace resolves; anything else ends the run.
 */
static int svm_loop(struct svm_run *run, struct gaspace_svm_run *arg)
{
	struct vmcb_control_area *c = &run->vmcb->control;
	u64 last_gpa = ~0ULL, last_info1 = 0;
	unsigned int repeats = 0;
	int ret;

	for (;;) {
		if (signal_pending(current))
			return -EINTR;
		cond_resched();

		ret = svm_enter(run, &arg->regs);
		if (ret)
			return ret;
		arg->nr_exits++;
		arg->exit_code = c->exit_code;
		arg->exit_info1 = c->exit_info_1;
		arg->exit_info2 = c->exit_info_2;

		switch (c->exit_code) {
		case SVM_EXIT_INTR:
		case SVM_EXIT_NMI:
		case SVM_EXIT_SMI:
			continue;
		case SVM_EXIT_NPF:
			break;
		default:
			return 0;
		}

		if (!svm_npf(run, arg, &last_gpa, &last_info1, &repeats))
			return 0;
	}
}

/* The address space must be NPT with the walk depth of this host. */
static int svm_check_space(struct gaspace *as, u64 *ncr3)
{
	struct gaspace_info info;
	int ret;

	ret = gaspace_get_info(as, &info);
	if (ret)
		return ret;
	if (info.format != GASPACE_FMT_NPT ||
	    info.gpa_bits != svm_info.gpa_bits)
		return -EINVAL;
	*ncr3 = info.root_pointer;
	return 0;
}

/* Copy in and check the runner's argument; -ENODEV without SVM and NPT. */
static int svm_get_arg(struct gaspace_svm_run *arg,
		       const struct gaspace_svm_run __user *uarg)
{
	unsigned int i;

	if (copy_from_user(arg, uarg, sizeof(*arg)))
		return -EFAULT;
	if (arg->flags)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(arg->reserved); i++)
		if (arg->reserved[i])
			return -EINVAL;
	if ((svm_info.flags & (GASPACE_SVM_HAVE_SVM | GASPACE_SVM_HAVE_NPT)) !=
	    (GASPACE_SVM_HAVE_SVM | GASPACE_SVM_HAVE_NPT))
		return -ENODEV;
	return 0;
}

/* The address space behind the runner's fd, referenced, or an ERR_PTR. */
static struct gaspace *svm_get_space(int fd)
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
static void svm_clear_results(struct gaspace_svm_run *arg)
{
	arg->exit_code = 0;
	arg->exit_info1 = 0;
	arg->exit_info2 = 0;
	arg->error = 0;
	arg->access = 0;
	arg->gpa = 0;
	arg->nr_faults = 0;
	arg->nr_exits = 0;
}

static int svm_run_ioctl(struct gaspace_svm_run __user *uarg)
{
	struct gaspace_svm_run arg;
	struct svm_run run = { .cpu = -1 };
	struct page *page;
	u64 ncr3;
	int ret;

	ret = svm_get_arg(&arg, uarg);
	if (ret)
		return ret;

	run.as = svm_get_space(arg.as_fd);
	if (IS_ERR(run.as))
		return PTR_ERR(run.as);

	ret = svm_check_space(run.as, &ncr3);
	if (ret)
		goto out_put;

	page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!page) {
		ret = -ENOMEM;
		goto out_put;
	}
	run.vmcb = page_address(page);
	run.notifier.invalidate = svm_invalidate;
	ret = gaspace_register_notifier(run.as, &run.notifier);
	if (ret)
		goto out_free;

	svm_clear_results(&arg);
	svm_init_vmcb(run.vmcb, ncr3, &arg.regs);
	ret = svm_loop(&run, &arg);

	gaspace_unregister_notifier(run.as, &run.notifier);
	if (!ret && copy_to_user(uarg, &arg, sizeof(arg)))
		ret = -EFAULT;
out_free:
	__free_page(page);
out_put:
	gaspace_put(run.as);
	return ret;
}

static long svm_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case GASPACE_SVM_GET_INFO:
		return copy_to_user(uarg, &svm_info, sizeof(svm_info)) ?
			-EFAULT : 0;
	case GASPACE_SVM_RUN:
		return svm_run_ioctl(uarg);
	}
	return -ENOTTY;
}

static const struct file_operations svm_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = svm_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice svm_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "gaspace_svm",
	.fops = &svm_fops,
};

/* What CPUID and VM_CR say; a CPU without SVM still loads the module. */
static void svm_probe(void)
{
	u64 vm_cr;

	svm_info.gpa_bits = (native_read_cr4() & X86_CR4_LA57) ? 57 : 48;
	if (cpuid_eax(0x80000000) < 0x8000000a ||
	    !(cpuid_ecx(0x80000001) & CPUID_SVM))
		return;
	rdmsrl(MSR_VM_CR, vm_cr);
	if (vm_cr & VM_CR_SVMDIS)
		return;
	svm_info.flags |= GASPACE_SVM_HAVE_SVM;
	if (cpuid_edx(0x8000000a) & CPUID_NPT)
		svm_info.flags |= GASPACE_SVM_HAVE_NPT;
	svm_info.svm_rev = cpuid_eax(0x8000000a) & 0xff;
	svm_info.nr_asids = cpuid_ebx(0x8000000a);
}

static void svm_free_pages(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		struct svm_cpu *sc = per_cpu_ptr(&svm_cpus, cpu);

		if (sc->hsave)
			__free_page(sc->hsave);
		if (sc->host_save)
			__free_page(sc->host_save);
		sc->hsave = NULL;
		sc->host_save = NULL;
	}
	if (iopm)
		__free_pages(iopm, 2);
	if (msrpm)
		__free_pages(msrpm, 1);
	iopm = NULL;
	msrpm = NULL;
}

static int __init svm_init(void)
{
	unsigned int cpu;
	int ret;

	svm_probe();
	if (svm_info.flags & GASPACE_SVM_HAVE_SVM) {
		/* 12 KiB I/O and 8 KiB MSR permission maps, all intercepted */
		iopm = alloc_pages(GFP_KERNEL, 2);
		msrpm = alloc_pages(GFP_KERNEL, 1);
		if (!iopm || !msrpm)
			goto nomem;
		memset(page_address(iopm), 0xff, 4 * PAGE_SIZE);
		memset(page_address(msrpm), 0xff, 2 * PAGE_SIZE);
		for_each_possible_cpu(cpu) {
			struct svm_cpu *sc = per_cpu_ptr(&svm_cpus, cpu);

			sc->hsave = alloc_pages_node(cpu_to_node(cpu),
						     GFP_KERNEL | __GFP_ZERO, 0);
			sc->host_save = alloc_pages_node(cpu_to_node(cpu),
							 GFP_KERNEL | __GFP_ZERO,
							 0);
			if (!sc->hsave || !sc->host_save)
				goto nomem;
		}
	}
	ret = misc_register(&svm_misc);
	if (ret) {
		svm_free_pages();
		return ret;
	}
	pr_info("SVM %s, nested paging %s, nested walks for gpa_bits %u\n",
		svm_info.flags & GASPACE_SVM_HAVE_SVM ? "present" : "absent",
		svm_info.flags & GASPACE_SVM_HAVE_NPT ? "present" : "absent",
		svm_info.gpa_bits);
	return 0;
nomem:
	svm_free_pages();
	return -ENOMEM;
}

static void __exit svm_exit(void)
{
	misc_deregister(&svm_misc);
	svm_free_pages();
}

module_init(svm_init);
module_exit(svm_exit);
MODULE_DESCRIPTION("gaspace sample: run guests under AMD SVM on gaspace's NPT");
MODULE_LICENSE("GPL");
