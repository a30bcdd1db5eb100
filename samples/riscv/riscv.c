// SPDX-License-Identifier: GPL-2.0
/*
 * gaspace_riscv: a sample RISC-V hypervisor module on gaspace's G-stage.
 *
 * It runs small guests in VS-mode whose every memory access the hart's
 * G-stage walker translates through the table of a gaspace address space,
 * and whose guest-page faults go to gaspace's fault hook.  It uses nothing
 * but gaspace's exported API (include/linux/gaspace.h):
 *
 *  - gaspace_get_file() turns the runner's address-space fd into a space;
 *  - gaspace_get_info() gives hgatp (root_pointer: mode and root PPN);
 *  - gaspace_handle_fault() resolves a guest-page fault: 0 means the page
 *    is now mapped and the guest may retry the access;
 *  - a gaspace_notifier learns of UNMAP and PROTECT, so every hart flushes
 *    its G-stage TLB (HFENCE.GVMA) before gaspace frees or reuses a page.
 *
 * The host kernel runs in HS-mode and has no KVM in it; the module touches
 * the hypervisor CSRs only while it runs a guest and gives the host its
 * values back after every trap.  The runner's interface is in
 * gaspace_riscv.h.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/irqflags.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/uaccess.h>
#include <asm/csr.h>
#include <asm/hwcap.h>
#include <asm/insn-def.h>

#include <linux/gaspace.h>
#include "gaspace_riscv.h"
#include "switch.h"

/* The VMID every run uses: see riscv_enter() for why it may be shared. */
#define RISCV_GUEST_VMID	0UL

/* The WFI instruction's encoding */
#define RISCV_INSN_WFI		0x10500073U

/* A resolved fault that comes straight back this often is a table bug. */
#define RISCV_MAX_REPEATS	16

/* An invalidation larger than this flushes the whole G-stage TLB. */
#define RISCV_FLUSH_MAX		(64 * PAGE_SIZE)

/* struct riscv_vcpu as switch.S addresses it */
static_assert(offsetof(struct riscv_vcpu, regs.pc) == VCPU_PC);
static_assert(offsetof(struct riscv_vcpu, regs.ra) == VCPU_X(1));
static_assert(offsetof(struct riscv_vcpu, regs.a0) == VCPU_X(10));
static_assert(offsetof(struct riscv_vcpu, regs.t6) == VCPU_X(31));
static_assert(offsetof(struct riscv_vcpu, guest_sstatus) == VCPU_GUEST_SSTATUS);
static_assert(offsetof(struct riscv_vcpu, guest_hstatus) == VCPU_GUEST_HSTATUS);
static_assert(offsetof(struct riscv_vcpu, host_sstatus) == VCPU_HOST_SSTATUS);
static_assert(offsetof(struct riscv_vcpu, host_hstatus) == VCPU_HOST_HSTATUS);
static_assert(offsetof(struct riscv_vcpu, host_stvec) == VCPU_HOST_STVEC);
static_assert(offsetof(struct riscv_vcpu, host_sscratch) == VCPU_HOST_SSCRATCH);
static_assert(offsetof(struct riscv_vcpu, host_ra) == VCPU_HOST_RA);
static_assert(offsetof(struct riscv_vcpu, host_sp) == VCPU_HOST_SP);
static_assert(offsetof(struct riscv_vcpu, host_gp) == VCPU_HOST_GP);
static_assert(offsetof(struct riscv_vcpu, host_tp) == VCPU_HOST_TP);
static_assert(offsetof(struct riscv_vcpu, host_s[11]) == VCPU_HOST_S(11));
static_assert(offsetof(struct riscv_vcpu, scause) == VCPU_SCAUSE);
static_assert(offsetof(struct riscv_vcpu, stval) == VCPU_STVAL);
static_assert(offsetof(struct riscv_vcpu, htval) == VCPU_HTVAL);
static_assert(offsetof(struct riscv_vcpu, htinst) == VCPU_HTINST);
static_assert(sizeof(struct riscv_vcpu) == VCPU_SIZE);

/**
 * struct riscv_vs_csrs - the guest's VS-mode CSRs
 * @vsstatus: what the guest sees as sstatus
 * @vsie: sie
 * @vstvec: stvec
 * @vsscratch: sscratch
 * @vsepc: sepc
 * @vscause: scause
 * @vstval: stval
 * @vsatp: satp: 0 (bare) at the start
 *
 * The guest may write them (they are its own S-mode CSRs); they are kept
 * across its exits, as KVM keeps them across vcpu_put() and vcpu_load().
 */
struct riscv_vs_csrs {
	unsigned long vsstatus;
	unsigned long vsie;
	unsigned long vstvec;
	unsigned long vsscratch;
	unsigned long vsepc;
	unsigned long vscause;
	unsigned long vstval;
	unsigned long vsatp;
};

/**
 * struct riscv_run - one GASPACE_RISCV_RUN call: a vCPU for its duration
 * @vcpu: the registers switch.S loads and stores
 * @vs: the guest's VS-mode CSRs between its exits
 * @as: the address space, referenced
 * @notifier: told by gaspace when leaves are cleared or downgraded
 * @hgatp: the value hgatp has while the guest runs
 * @id: this run's number, for riscv_last_run
 * @last_cpu: the CPU the guest last ran on, or -1
 * @fault_gpa: the gpa of the guest-page fault just resolved
 * @flush_gpa: flush @fault_gpa before the next entry
 */
struct riscv_run {
	struct riscv_vcpu vcpu;
	struct riscv_vs_csrs vs;
	struct gaspace *as;
	struct gaspace_notifier notifier;
	unsigned long hgatp;
	u64 id;
	int last_cpu;
	u64 fault_gpa;
	bool flush_gpa;
};

/* The run that last entered a guest on each CPU (0: none yet) */
static DEFINE_PER_CPU(u64, riscv_last_run);
static atomic64_t riscv_run_ids = ATOMIC64_INIT(0);
static struct gaspace_riscv_info riscv_info;

static void riscv_hfence_gvma_all(void)
{
	asm volatile(HFENCE_GVMA(zero, zero) : : : "memory");
}

/*
 * HFENCE.GVMA takes the guest physical address shifted right by 2; it is
 * bound to a0 so that the instruction can name its register.
 */
static void riscv_hfence_gvma_gpa(u64 gpa)
{
	register unsigned long pos asm("a0") = gpa >> 2;

	asm volatile(HFENCE_GVMA(a0, zero) : : "r" (pos) : "memory");
}

static void riscv_load_vs(const struct riscv_vs_csrs *vs)
{
	csr_write(CSR_VSSTATUS, vs->vsstatus);
	csr_write(CSR_VSIE, vs->vsie);
	csr_write(CSR_VSTVEC, vs->vstvec);
	csr_write(CSR_VSSCRATCH, vs->vsscratch);
	csr_write(CSR_VSEPC, vs->vsepc);
	csr_write(CSR_VSCAUSE, vs->vscause);
	csr_write(CSR_VSTVAL, vs->vstval);
	csr_write(CSR_VSATP, vs->vsatp);
}

static void riscv_save_vs(struct riscv_vs_csrs *vs)
{
	vs->vsstatus = csr_read(CSR_VSSTATUS);
	vs->vsie = csr_read(CSR_VSIE);
	vs->vstvec = csr_read(CSR_VSTVEC);
	vs->vsscratch = csr_read(CSR_VSSCRATCH);
	vs->vsepc = csr_read(CSR_VSEPC);
	vs->vscause = csr_read(CSR_VSCAUSE);
	vs->vstval = csr_read(CSR_VSTVAL);
	vs->vsatp = csr_read(CSR_VSATP);
}

/*
 * One entry into the guest on this CPU, until its next trap.
 *
 * The hypervisor CSRs: hgatp gets the space's root, hedeleg and hideleg 0
 * (every trap of the guest comes to HS-mode, here), hcounteren 0 and hvip
 * 0 (no counters, no virtual interrupt); the host's values come back after
 * the trap.  The VS-mode CSRs are the guest's alone: the host kernel uses
 * none (no KVM in it; KVM would load its own at vcpu_load()).
 *
 * The TLB: all runs share VMID 0 (KVM hands out VMIDs from 1, so none of
 * its guests has it), so a CPU may hold another run's G-stage entries for
 * VMID 0, or entries this run cached before it went to another CPU: an
 * entry on a CPU that did not run this run last, or where this run did not
 * run last, flushes the whole G-stage TLB.  Otherwise only the gpa of the
 * fault just resolved is flushed: RISC-V lets a hart cache a translation
 * that failed, so a leaf made valid needs a fence too (KVM fences after
 * every G-stage leaf it sets).  Invalidations are flushed on every CPU by
 * riscv_invalidate().
 *
 * Interrupts stay disabled from here to the trap and the CSRs' return; the
 * host's interrupts still leave the guest (a trap from V=1 to HS-mode is
 * taken whatever sstatus.SIE) and are taken at local_irq_enable().
 */
static void riscv_enter(struct riscv_run *run)
{
	unsigned long hgatp, hedeleg, hideleg, hcounteren;
	int cpu;

	local_irq_disable();
	cpu = smp_processor_id();
	hgatp = csr_swap(CSR_HGATP, run->hgatp);
	hedeleg = csr_swap(CSR_HEDELEG, 0);
	hideleg = csr_swap(CSR_HIDELEG, 0);
	hcounteren = csr_swap(CSR_HCOUNTEREN, 0);
	csr_write(CSR_HVIP, 0);
	riscv_load_vs(&run->vs);

	if (__this_cpu_read(riscv_last_run) != run->id ||
	    run->last_cpu != cpu) {
		riscv_hfence_gvma_all();
		__this_cpu_write(riscv_last_run, run->id);
		run->last_cpu = cpu;
	} else if (run->flush_gpa) {
		riscv_hfence_gvma_gpa(run->fault_gpa);
	}
	run->flush_gpa = false;

	gaspace_riscv_switch(&run->vcpu);

	riscv_save_vs(&run->vs);
	csr_write(CSR_HCOUNTEREN, hcounteren);
	csr_write(CSR_HIDELEG, hideleg);
	csr_write(CSR_HEDELEG, hedeleg);
	csr_write(CSR_HGATP, hgatp);
	local_irq_enable();
}

/**
 * struct riscv_flush - what riscv_flush_local() flushes
 * @gpa: the first byte
 * @size: bytes; more than RISCV_FLUSH_MAX flushes everything
 */
struct riscv_flush {
	u64 gpa;
	u64 size;
};

static void riscv_flush_local(void *info)
{
	const struct riscv_flush *f = info;
	u64 gpa;

	if (f->size > RISCV_FLUSH_MAX) {
		riscv_hfence_gvma_all();
		return;
	}
	for (gpa = f->gpa & PAGE_MASK; gpa < f->gpa + f->size; gpa += PAGE_SIZE)
		riscv_hfence_gvma_gpa(gpa);
}

/*
 * gaspace calls this after it cleared or downgraded leaves and before it
 * frees anything.  A CPU that is in the guest takes the IPI as a trap to
 * HS-mode: the guest leaves, the flush runs with interrupts enabled in
 * riscv_enter()'s caller, and the next entry walks the changed table.
 * Every CPU is flushed, not only the one running the guest now: another
 * may hold this space's entries from an earlier entry (riscv_enter()
 * flushes everything only when the run moves).
 */
static void riscv_invalidate(struct gaspace_notifier *n, struct gaspace *as,
			     u64 gpa, u64 size)
{
	struct riscv_flush f = { .gpa = gpa, .size = size };

	on_each_cpu(riscv_flush_local, &f, 1);
}

/* The instruction that trapped: stval when the CPU reports it, else read. */
static u32 riscv_trapped_insn(struct riscv_run *run)
{
	u32 insn = 0;

	if (run->vcpu.stval)
		return run->vcpu.stval;
	if (gaspace_read(run->as, run->vcpu.regs.pc, &insn, sizeof(insn)) !=
	    sizeof(insn))
		return 0;
	return insn;
}

/* A guest-page fault: 1 if gaspace resolved it and the guest retries, or 0. */
static int riscv_guest_page_fault(struct riscv_run *run,
				  struct gaspace_riscv_run *arg,
				  u64 *last_gpa, unsigned long *last_cause,
				  unsigned int *repeats)
{
	struct riscv_vcpu *v = &run->vcpu;
	int ret;

	/* htval holds the gpa >> 2, stval the low bits */
	arg->gpa = (v->htval << 2) | (v->stval & 3);
	if (arg->gpa == *last_gpa && v->scause == *last_cause) {
		if (++*repeats >= RISCV_MAX_REPEATS) {
			/* resolved, yet the hart still cannot use it */
			arg->exit_reason = GASPACE_RISCV_EXIT_FAULT;
			arg->error = -ELOOP;
			return 0;
		}
	} else {
		*repeats = 0;
	}
	*last_gpa = arg->gpa;
	*last_cause = v->scause;

	ret = gaspace_handle_fault(run->as, arg->gpa, arg->access);
	if (ret) {
		arg->exit_reason = GASPACE_RISCV_EXIT_FAULT;
		arg->error = ret;
		return 0;
	}
	arg->nr_faults++;
	run->fault_gpa = arg->gpa;
	run->flush_gpa = true;
	return 1;
}

/*
 * Run until the guest stops: resume after host interrupts and after every
 * guest-page fault that gaspace resolves; anything else ends the run.
 */
static int riscv_loop(struct riscv_run *run, struct gaspace_riscv_run *arg)
{
	struct riscv_vcpu *v = &run->vcpu;
	unsigned long last_cause = 0;
	u64 last_gpa = ~0ULL;
	unsigned int repeats = 0;

	for (;;) {
		if (signal_pending(current))
			return -EINTR;
		cond_resched();

		riscv_enter(run);
		arg->nr_exits++;
		arg->scause = v->scause;
		arg->stval = v->stval;
		arg->htval = v->htval;
		arg->htinst = v->htinst;

		/* taken by the host at riscv_enter()'s local_irq_enable() */
		if (v->scause & CAUSE_IRQ_FLAG)
			continue;

		switch (v->scause) {
		case EXC_INST_GUEST_PAGE_FAULT:
			arg->access = GASPACE_PROT_EXEC;
			break;
		case EXC_LOAD_GUEST_PAGE_FAULT:
			arg->access = GASPACE_PROT_READ;
			break;
		case EXC_STORE_GUEST_PAGE_FAULT:
			arg->access = GASPACE_PROT_WRITE;
			break;
		case EXC_SUPERVISOR_SYSCALL:
			arg->exit_reason = GASPACE_RISCV_EXIT_ECALL;
			return 0;
		case EXC_VIRTUAL_INST_FAULT:
		case EXC_INST_ILLEGAL:
			/* WFI with hstatus.VTW: virtual instruction, or illegal */
			if (riscv_trapped_insn(run) == RISCV_INSN_WFI)
				arg->exit_reason = GASPACE_RISCV_EXIT_WFI;
			else
				arg->exit_reason = GASPACE_RISCV_EXIT_TRAP;
			return 0;
		default:
			arg->exit_reason = GASPACE_RISCV_EXIT_TRAP;
			return 0;
		}

		if (!riscv_guest_page_fault(run, arg, &last_gpa, &last_cause,
					    &repeats))
			return 0;
	}
}

/* The address space must be RISCV_G of a width hgatp offers. */
static int riscv_check_space(struct gaspace *as, unsigned long *hgatp)
{
	struct gaspace_info info;
	int ret;

	ret = gaspace_get_info(as, &info);
	if (ret)
		return ret;
	if (info.format != GASPACE_FMT_RISCV_G || info.gpa_bits >= 64 ||
	    !(riscv_info.gpa_bits_mask & BIT_ULL(info.gpa_bits)))
		return -EINVAL;
	/* mode << 60 | root PPN, VMID 0 (RISCV_GUEST_VMID) */
	*hgatp = info.root_pointer |
		 (RISCV_GUEST_VMID << HGATP_VMID_SHIFT);
	return 0;
}

/* Copy in and check the runner's argument; -ENODEV without the H extension. */
static int riscv_get_arg(struct gaspace_riscv_run *arg,
			 const struct gaspace_riscv_run __user *uarg)
{
	unsigned int i;

	if (copy_from_user(arg, uarg, sizeof(*arg)))
		return -EFAULT;
	if (arg->flags)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(arg->reserved); i++)
		if (arg->reserved[i])
			return -EINVAL;
	if (!(riscv_info.flags & GASPACE_RISCV_HAVE_H))
		return -ENODEV;
	return 0;
}

/* The address space behind the runner's fd, referenced, or an ERR_PTR. */
static struct gaspace *riscv_get_space(int fd)
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
static void riscv_clear_results(struct gaspace_riscv_run *arg)
{
	arg->exit_reason = 0;
	arg->scause = 0;
	arg->stval = 0;
	arg->htval = 0;
	arg->htinst = 0;
	arg->error = 0;
	arg->access = 0;
	arg->gpa = 0;
	arg->nr_faults = 0;
	arg->nr_exits = 0;
}

static int riscv_run_ioctl(struct gaspace_riscv_run __user *uarg)
{
	struct gaspace_riscv_run arg;
	struct riscv_run *run;
	struct gaspace *as;
	int ret;

	ret = riscv_get_arg(&arg, uarg);
	if (ret)
		return ret;

	as = riscv_get_space(arg.as_fd);
	if (IS_ERR(as))
		return PTR_ERR(as);

	run = kzalloc(sizeof(*run), GFP_KERNEL_ACCOUNT);
	if (!run) {
		ret = -ENOMEM;
		goto out_put;
	}
	run->as = as;
	ret = riscv_check_space(as, &run->hgatp);
	if (ret)
		goto out_free;

	run->vcpu.regs = arg.regs;
	/* SRET to VS-mode (SPP, with hstatus.SPV), FS off; XLEN as the host */
	run->vcpu.guest_sstatus = (csr_read(CSR_SSTATUS) & SR_UXL) |
				  SR_SPP | SR_SPIE;
	/* V=1 after SRET; WFI traps (VTW); VSXL as the host reports it */
	run->vcpu.guest_hstatus = (csr_read(CSR_HSTATUS) & HSTATUS_VSXL) |
				  HSTATUS_SPV | HSTATUS_SPVP | HSTATUS_VTW;
	run->id = atomic64_inc_return(&riscv_run_ids);
	run->last_cpu = -1;
	run->notifier.invalidate = riscv_invalidate;
	ret = gaspace_register_notifier(as, &run->notifier);
	if (ret)
		goto out_free;

	riscv_clear_results(&arg);
	ret = riscv_loop(run, &arg);
	arg.regs = run->vcpu.regs;

	gaspace_unregister_notifier(as, &run->notifier);
	if (!ret && copy_to_user(uarg, &arg, sizeof(arg)))
		ret = -EFAULT;
out_free:
	kfree(run);
out_put:
	gaspace_put(as);
	return ret;
}

static long riscv_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case GASPACE_RISCV_GET_INFO:
		return copy_to_user(uarg, &riscv_info, sizeof(riscv_info)) ?
			-EFAULT : 0;
	case GASPACE_RISCV_RUN:
		return riscv_run_ioctl(uarg);
	}
	return -ENOTTY;
}

static const struct file_operations riscv_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = riscv_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice riscv_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "gaspace_riscv",
	.fops = &riscv_fops,
};

/* Whether hgatp keeps @mode: MODE is WARL, an unsupported one reads back 0. */
static bool riscv_hgatp_has_mode(unsigned long mode)
{
	csr_write(CSR_HGATP, mode << HGATP_MODE_SHIFT);
	return csr_read(CSR_HGATP) >> HGATP_MODE_SHIFT == mode;
}

/*
 * What the ISA string and hgatp say; a hart without H still loads the
 * module.  Harts are taken to be alike: this one speaks for all.
 */
static void riscv_probe(void)
{
	static const struct {
		unsigned long mode;
		unsigned int gpa_bits;
	} modes[] = {
		{ HGATP_MODE_SV39X4, 41 },
		{ HGATP_MODE_SV48X4, 50 },
		{ HGATP_MODE_SV57X4, 59 },
	};
	unsigned long flags, old, vmid, any = 0;
	bool reserved_kept;
	unsigned int i;

	if (!riscv_isa_extension_available(NULL, h))
		return;
	riscv_info.flags |= GASPACE_RISCV_HAVE_H;

	local_irq_save(flags);
	old = csr_read(CSR_HGATP);
	for (i = 0; i < ARRAY_SIZE(modes); i++) {
		if (riscv_hgatp_has_mode(modes[i].mode)) {
			riscv_info.gpa_bits_mask |= BIT_ULL(modes[i].gpa_bits);
			any = modes[i].mode;
		}
	}
	/* mode 15 is reserved: a hart that keeps it does not legalize MODE */
	reserved_kept = riscv_hgatp_has_mode(15);
	if (any) {
		csr_write(CSR_HGATP, any << HGATP_MODE_SHIFT | HGATP_VMID_MASK);
		vmid = (csr_read(CSR_HGATP) & HGATP_VMID_MASK) >>
		       HGATP_VMID_SHIFT;
		riscv_info.vmid_bits = fls_long(vmid);
	}
	csr_write(CSR_HGATP, old);
	riscv_hfence_gvma_all();
	local_irq_restore(flags);

	if (reserved_kept)
		pr_info("hgatp keeps the reserved mode 15: its MODE is not legalized, the modes found are what was written\n");
}

static int __init riscv_init(void)
{
	int ret;

	riscv_probe();
	ret = misc_register(&riscv_misc);
	if (ret)
		return ret;
	pr_info("H extension %s, G-stage for gpa_bits%s%s%s, %u VMID bits\n",
		riscv_info.flags & GASPACE_RISCV_HAVE_H ? "present" : "absent",
		riscv_info.gpa_bits_mask & BIT_ULL(41) ? " 41" : "",
		riscv_info.gpa_bits_mask & BIT_ULL(50) ? " 50" : "",
		riscv_info.gpa_bits_mask & BIT_ULL(59) ? " 59" : "",
		riscv_info.vmid_bits);
	return 0;
}

static void __exit riscv_exit(void)
{
	misc_deregister(&riscv_misc);
}

module_init(riscv_init);
module_exit(riscv_exit);
MODULE_DESCRIPTION("gaspace sample: run guests under the RISC-V H extension on gaspace's G-stage");
MODULE_LICENSE("GPL");
