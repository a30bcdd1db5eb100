// SPDX-License-Identifier: GPL-2.0
/*
 * gaspace_arm64: a sample arm64 hypervisor module on gaspace's stage-2.
 *
 * It runs small guests at EL1 whose every memory access the CPU translates
 * through the stage-2 table of a gaspace address space, and whose stage-2
 * aborts go to gaspace's fault hook.  The host kernel runs at EL2 with VHE
 * (HCR_EL2.E2H set), as Debian's arm64 kernels do under
 * `qemu-system-aarch64 -M virt,virtualization=on': KVM is built in and has
 * initialised EL2 there, so the module borrows EL2 for the length of one
 * guest entry, on one CPU with everything masked, and gives back every
 * register it changed, the way KVM's own VHE world switch does
 * (__kvm_vcpu_run_vhe() in arch/arm64/kvm/hyp/vhe/switch.c).  It uses
 * nothing but gaspace's exported API (include/linux/gaspace.h):
 *
 *  - gaspace_get_file() turns the runner's address-space fd into a space;
 *  - gaspace_get_info() gives VTTBR_EL2 (root_pointer) and the VTCR_EL2
 *    fields of the table (walk_config);
 *  - gaspace_handle_fault() resolves a stage-2 abort: 0 means the page is
 *    now mapped and the guest may retry the access;
 *  - a gaspace_notifier learns of UNMAP and PROTECT, so the guest's TLB
 *    entries are invalidated before gaspace frees or reuses a page.
 *
 * The runner's interface is in gaspace_arm64.h; Documentation/hypervisor.rst
 * walks through this file.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/file.h>
#include <linux/kprobes.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/sched/signal.h>
#include <linux/uaccess.h>
#include <asm/barrier.h>
#include <asm/daifflags.h>
#include <asm/esr.h>
#include <asm/kvm_arm.h>
#include <asm/sysreg.h>
#include <asm/tlbflush.h>
#include <asm/virt.h>

#include <linux/gaspace.h>
#include "gaspace_arm64.h"
#include "enter.h"

/*
 * The VMID every run uses, with 8-bit VMIDs (VTCR_EL2.VS = 0).  KVM hands
 * out VMIDs from 1 upwards, so the last one is the least likely to be in
 * use; it is not private to the sample all the same, so each guest entry
 * and each exit invalidates this CPU's TLB entries of the VMID (see
 * arm64_enter()).
 */
#define ARM64_VMID		255ULL
#define ARM64_MIN_GPA_BITS	32
#define ARM64_MAX_GPA_BITS	48

/*
 * HCR_EL2 while the guest runs: KVM's guest flags (stage 2 on, AArch64
 * EL1, WFI, WFE, SMC, set/way, ID and implementation-defined register
 * traps, physical IRQ, FIQ and SError routed to EL2) with E2H kept and TGE
 * clear.  API and APK stay clear: the guest's pointer-authentication
 * instructions and key accesses trap, as the host's keys are live.  FWB
 * stays clear: gaspace's leaves use the FWB = 0 encoding.
 */
#define ARM64_HCR_GUEST		(HCR_GUEST_FLAGS | HCR_E2H)

/*
 * MDCR_EL2 while the guest runs: debug exceptions (BRK included) go to
 * EL2, and debug, OS lock and PMU register accesses trap there: the host
 * shares those registers with the guest.
 */
#define ARM64_MDCR_GUEST	(MDCR_EL2_TDE | MDCR_EL2_TDA | MDCR_EL2_TDOSA | \
				 MDCR_EL2_TDRA | MDCR_EL2_TPM | MDCR_EL2_TPMCR)

/*
 * CPTR_EL2 (in the CPACR_EL1 layout that E2H gives it) while the guest
 * runs, as KVM's __activate_traps() has it: these bits cleared, so the
 * guest's FP/SIMD, SVE and SME instructions trap to EL2, as the registers
 * still hold the host task's values; and trace (TTA) and activity monitor
 * (TAM) register accesses trapped, as the host shares those too.
 */
#define ARM64_CPTR_GUEST_CLEAR	(CPACR_EL1_FPEN_EL0EN | CPACR_EL1_FPEN_EL1EN | \
				 CPACR_EL1_ZEN_EL0EN | CPACR_EL1_ZEN_EL1EN | \
				 CPACR_EL1_SMEN_EL0EN | CPACR_EL1_SMEN_EL1EN)
#define ARM64_CPTR_GUEST_SET	(CPACR_EL1_TTA | CPTR_EL2_TAM)

/* SCTLR_EL1 of a fresh vCPU under KVM: RES1 bits, MMU and caches off */
#define ARM64_SCTLR_RESET	0x00c50078ULL
#define ARM64_SCTLR_M		BIT_ULL(0)

/* PSTATE bits a runner may set, and the modes it may start in */
#define ARM64_PSTATE_ALLOWED	(GENMASK_ULL(31, 28) | GENMASK_ULL(9, 6) | \
				 GENMASK_ULL(4, 0))
#define ARM64_PSTATE_MODE	GENMASK_ULL(4, 0)
#define ARM64_MODE_EL0T		0x0
#define ARM64_MODE_EL1T		0x4
#define ARM64_MODE_EL1H		0x5
#define ARM64_MODE_SPX		BIT_ULL(0)

/* ESR_EL2: WFx TI field (0 = WFI), the fault status types, HPFAR_EL2.FIPA */
#define ARM64_WFX_TI		GENMASK_ULL(1, 0)
#define ARM64_FSC_ADDR_SIZE	0x00
#define ARM64_FSC_TRANS		0x04
#define ARM64_FSC_ACCESS	0x08
#define ARM64_FSC_PERM		0x0c
#define ARM64_HPFAR_FIPA	GENMASK_ULL(43, 4)
#define ARM64_ISR_A		BIT_ULL(8)

/* the guest's first vector table is 2 KiB */
#define ARM64_VECTORS_SIZE	0x800

/* A resolved fault that comes straight back this often is a table bug. */
#define ARM64_MAX_REPEATS	16

/* Invalidate page by page up to this many pages, else the whole VMID. */
#define ARM64_MAX_TLBI_PAGES	512

/* struct gaspace_arm64_regs as enter.S addresses it */
static_assert(offsetof(struct gaspace_arm64_regs, x[30]) == REGS_X(30));
static_assert(offsetof(struct gaspace_arm64_regs, sp) == REGS_X(31));

/*
 * The EL1 (and EL0) registers a guest at EL1 can change without a trap.
 * The VHE host runs in the EL2&0 regime and leaves most of them alone, but
 * some are shared with it (TPIDR_EL0 and TPIDRRO_EL0 are the host task's
 * TLS, PAR_EL1 the result of the host's AT), and KVM keeps its vCPUs'
 * values in the rest while one is loaded: so the host's values are saved
 * before each entry and restored after it, and the guest's are kept in
 * its run between entries.  SP_EL0 is switched in enter.S.
 */
struct arm64_el1 {
	u64 sctlr, cpacr, ttbr0, ttbr1, tcr, esr, afsr0, afsr1, far, mair;
	u64 vbar, contextidr, amair, cntkctl, elr, spsr, tpidr, par, sp_el1;
	u64 tpidr_el0, tpidrro_el0, tpidr2_el0;
	u64 cntv_ctl, cntv_cval, cntp_ctl, cntp_cval;
};

/**
 * struct arm64_host - the host's registers while a guest runs on a CPU
 * @hcr: HCR_EL2
 * @vttbr: VTTBR_EL2
 * @vtcr: VTCR_EL2
 * @vbar: VBAR_EL2 (the kernel's vectors)
 * @cptr: CPTR_EL2
 * @mdcr: MDCR_EL2
 * @elr: ELR_EL2
 * @spsr: SPSR_EL2
 * @el1: the EL1 registers, see struct arm64_el1
 */
struct arm64_host {
	u64 hcr, vttbr, vtcr, vbar, cptr, mdcr, elr, spsr;
	struct arm64_el1 el1;
};

static DEFINE_PER_CPU(struct arm64_host, arm64_hosts);
static struct gaspace_arm64_info arm64_info;
static bool arm64_have_sme;

/**
 * struct arm64_run - one GASPACE_ARM64_RUN call: a vCPU for its duration
 * @as: the address space, referenced
 * @vttbr: VTTBR_EL2 for the guest: the table's root and ARM64_VMID
 * @vtcr: VTCR_EL2 for the guest
 * @vectors: the guest's first VBAR_EL1, arm64_first_vbar()
 * @guest: the guest's EL1 registers between entries
 * @sp_el0: the guest's SP_EL0 between entries
 * @notifier: told by gaspace when leaves are cleared or downgraded
 */
struct arm64_run {
	struct gaspace *as;
	u64 vttbr;
	u64 vtcr;
	u64 vectors;
	struct arm64_el1 guest;
	u64 sp_el0;
	struct gaspace_notifier notifier;
};

/*
 * What the exit left in the EL2 syndrome registers, and the ESR_EL2 of an
 * SError that was pending at the exit (0 if none).
 */
struct arm64_exit {
	u64 esr, far, hpfar, serror;
};

static __always_inline void arm64_save_el1(struct arm64_el1 *s)
{
	s->sctlr = read_sysreg_s(SYS_SCTLR_EL12);
	s->cpacr = read_sysreg_s(SYS_CPACR_EL12);
	s->ttbr0 = read_sysreg_s(SYS_TTBR0_EL12);
	s->ttbr1 = read_sysreg_s(SYS_TTBR1_EL12);
	s->tcr = read_sysreg_s(SYS_TCR_EL12);
	s->esr = read_sysreg_s(SYS_ESR_EL12);
	s->afsr0 = read_sysreg_s(SYS_AFSR0_EL12);
	s->afsr1 = read_sysreg_s(SYS_AFSR1_EL12);
	s->far = read_sysreg_s(SYS_FAR_EL12);
	s->mair = read_sysreg_s(SYS_MAIR_EL12);
	s->vbar = read_sysreg_s(SYS_VBAR_EL12);
	s->contextidr = read_sysreg_s(SYS_CONTEXTIDR_EL12);
	s->amair = read_sysreg_s(SYS_AMAIR_EL12);
	s->cntkctl = read_sysreg_s(SYS_CNTKCTL_EL12);
	s->elr = read_sysreg_s(SYS_ELR_EL12);
	s->spsr = read_sysreg_s(SYS_SPSR_EL12);
	s->cntv_ctl = read_sysreg_s(SYS_CNTV_CTL_EL02);
	s->cntv_cval = read_sysreg_s(SYS_CNTV_CVAL_EL02);
	s->cntp_ctl = read_sysreg_s(SYS_CNTP_CTL_EL02);
	s->cntp_cval = read_sysreg_s(SYS_CNTP_CVAL_EL02);
	s->tpidr = read_sysreg(tpidr_el1);
	s->par = read_sysreg(par_el1);
	s->sp_el1 = read_sysreg(sp_el1);
	s->tpidr_el0 = read_sysreg(tpidr_el0);
	s->tpidrro_el0 = read_sysreg(tpidrro_el0);
	if (arm64_have_sme)
		s->tpidr2_el0 = read_sysreg_s(SYS_TPIDR2_EL0);
}

static __always_inline void arm64_load_el1(const struct arm64_el1 *s)
{
	write_sysreg_s(s->sctlr, SYS_SCTLR_EL12);
	write_sysreg_s(s->cpacr, SYS_CPACR_EL12);
	write_sysreg_s(s->ttbr0, SYS_TTBR0_EL12);
	write_sysreg_s(s->ttbr1, SYS_TTBR1_EL12);
	write_sysreg_s(s->tcr, SYS_TCR_EL12);
	write_sysreg_s(s->esr, SYS_ESR_EL12);
	write_sysreg_s(s->afsr0, SYS_AFSR0_EL12);
	write_sysreg_s(s->afsr1, SYS_AFSR1_EL12);
	write_sysreg_s(s->far, SYS_FAR_EL12);
	write_sysreg_s(s->mair, SYS_MAIR_EL12);
	write_sysreg_s(s->vbar, SYS_VBAR_EL12);
	write_sysreg_s(s->contextidr, SYS_CONTEXTIDR_EL12);
	write_sysreg_s(s->amair, SYS_AMAIR_EL12);
	write_sysreg_s(s->cntkctl, SYS_CNTKCTL_EL12);
	write_sysreg_s(s->elr, SYS_ELR_EL12);
	write_sysreg_s(s->spsr, SYS_SPSR_EL12);
	write_sysreg_s(s->cntv_cval, SYS_CNTV_CVAL_EL02);
	write_sysreg_s(s->cntv_ctl, SYS_CNTV_CTL_EL02);
	write_sysreg_s(s->cntp_cval, SYS_CNTP_CVAL_EL02);
	write_sysreg_s(s->cntp_ctl, SYS_CNTP_CTL_EL02);
	write_sysreg(s->tpidr, tpidr_el1);
	write_sysreg(s->par, par_el1);
	write_sysreg(s->sp_el1, sp_el1);
	write_sysreg(s->tpidr_el0, tpidr_el0);
	write_sysreg(s->tpidrro_el0, tpidrro_el0);
	if (arm64_have_sme)
		write_sysreg_s(s->tpidr2_el0, SYS_TPIDR2_EL0);
}

/* Save the host's EL2 registers and its EL1 ones before the guest's go in. */
static __always_inline void arm64_save_host(struct arm64_host *host)
{
	host->hcr = read_sysreg(hcr_el2);
	host->vttbr = read_sysreg(vttbr_el2);
	host->vtcr = read_sysreg(vtcr_el2);
	host->vbar = read_sysreg(vbar_el1);	/* VBAR_EL2: E2H redirects */
	host->cptr = read_sysreg(cpacr_el1);	/* CPTR_EL2: E2H redirects */
	host->mdcr = read_sysreg(mdcr_el2);
	host->elr = read_sysreg(elr_el2);
	host->spsr = read_sysreg(spsr_el2);
	arm64_save_el1(&host->el1);
}

/* Put the host's registers back after an exit, TGE (HCR_EL2) first. */
static __always_inline void arm64_restore_host(const struct arm64_host *host)
{
	write_sysreg(host->hcr, hcr_el2);
	isb();
	write_sysreg(host->cptr, cpacr_el1);
	write_sysreg(host->mdcr, mdcr_el2);
	write_sysreg(host->vbar, vbar_el1);
	write_sysreg(host->vttbr, vttbr_el2);
	write_sysreg(host->vtcr, vtcr_el2);
	write_sysreg(host->elr, elr_el2);
	write_sysreg(host->spsr, spsr_el2);
	arm64_load_el1(&host->el1);
	isb();
}

/*
 * One guest entry on this CPU, from the first switch of an EL2 register
 * to the last switch back, with D, A, I and F masked throughout; returns
 * the ARM64_EXIT_* vector that took the exit.
 *
 * The order is KVM's: the guest's EL1 registers and stage 2 (VTCR_EL2,
 * VTTBR_EL2) are in place before HCR_EL2.TGE is cleared (Arm erratum
 * 1165522), and TGE is back before the host's vectors and traps are.
 *
 * The TLB: the VMID is not the sample's own (see ARM64_VMID), and the task
 * may move between CPUs from one entry to the next, so each entry starts
 * and each exit ends with a local TLBI VMALLS12E1 of the VMID: the guest
 * never uses an entry cached for another table, and nobody else ever
 * meets one of the guest's.  Within one entry the notifier's broadcast
 * invalidation reaches this CPU (arm64_invalidate()).
 */
static notrace unsigned long arm64_enter(struct arm64_run *run,
					 struct gaspace_arm64_regs *regs,
					 struct arm64_exit *exit)
{
	struct arm64_host *host;
	unsigned long daif, code;

	daif = local_daif_save();
	/* with GIC priority masking: let the GIC signal IRQs again (KVM) */
	pmr_sync();
	host = this_cpu_ptr(&arm64_hosts);
	arm64_save_host(host);

	arm64_load_el1(&run->guest);
	write_sysreg(run->vtcr, vtcr_el2);
	write_sysreg(run->vttbr, vttbr_el2);
	isb();
	write_sysreg(ARM64_HCR_GUEST, hcr_el2);
	isb();
	write_sysreg((host->cptr & ~ARM64_CPTR_GUEST_CLEAR) |
		     ARM64_CPTR_GUEST_SET, cpacr_el1);
	write_sysreg(host->mdcr | ARM64_MDCR_GUEST, mdcr_el2);
	write_sysreg((unsigned long)gaspace_arm64_vectors, vbar_el1);
	write_sysreg(regs->pc, elr_el2);
	write_sysreg(regs->pstate, spsr_el2);
	isb();
	__tlbi(vmalls12e1);
	dsb(nsh);
	isb();

	code = gaspace_arm64_enter(regs, &run->sp_el0);

	exit->esr = read_sysreg(esr_el2);
	exit->far = read_sysreg(far_el2);
	exit->hpfar = read_sysreg(hpfar_el2);
	regs->pc = read_sysreg(elr_el2);
	regs->pstate = read_sysreg(spsr_el2);
	exit->serror = 0;
	dsb(sy);	/* the guest's accesses complete, their SErrors show */
	isb();
	if (read_sysreg(isr_el1) & ARM64_ISR_A)
		exit->serror = gaspace_arm64_take_serror();
	arm64_save_el1(&run->guest);
	__tlbi(vmalls12e1);
	dsb(nsh);

	arm64_restore_host(host);

	local_daif_restore(daif);
	return code;
}

/* Called by enter.S: an exception at EL2 inside arm64_enter(). */
void gaspace_arm64_el2_panic(u64 esr, u64 elr, u64 far)
{
	struct arm64_host *host = this_cpu_ptr(&arm64_hosts);

	write_sysreg(host->hcr, hcr_el2);
	isb();
	write_sysreg(host->vbar, vbar_el1);
	isb();
	panic("gaspace_arm64: exception at EL2 in the world switch: ESR %#llx ELR %#llx FAR %#llx\n",
	      esr, elr, far);
}

/* A kprobe's BRK in the world switch would land in gaspace_arm64_vectors. */
NOKPROBE_SYMBOL(arm64_enter);
NOKPROBE_SYMBOL(gaspace_arm64_enter);
NOKPROBE_SYMBOL(gaspace_arm64_take_serror);
NOKPROBE_SYMBOL(gaspace_arm64_el2_panic);

/*
 * gaspace calls this after it cleared or downgraded leaves and before it
 * frees anything: the guest must not keep using a stale translation.  TLBI
 * by IPA and by VMID act on the VMID in VTTBR_EL2 and, at EL2 with E2H,
 * on the EL1&0 regime only while HCR_EL2.TGE is clear, so both are
 * switched for the moment as KVM's __tlb_switch_to_guest() does.  The
 * Inner Shareable forms reach a CPU that is in the guest right now, and
 * DSB ISH waits for them there too: no IPI is needed.  Stage 2 goes first
 * and completes before stage 1 (and the combined entries) go, so no other
 * CPU's walk can refill a combined entry from the old stage 2.
 */
static void arm64_invalidate(struct gaspace_notifier *n, struct gaspace *as,
			     u64 gpa, u64 size)
{
	struct arm64_run *run = container_of(n, struct arm64_run, notifier);
	u64 addr, end, hcr, vttbr;
	unsigned long flags;

	end = round_up(gpa + size, PAGE_SIZE);
	addr = round_down(gpa, PAGE_SIZE);

	dsb(ishst);
	local_irq_save(flags);
	vttbr = read_sysreg(vttbr_el2);
	hcr = read_sysreg(hcr_el2);
	write_sysreg(run->vttbr, vttbr_el2);
	isb();
	write_sysreg(hcr & ~HCR_TGE, hcr_el2);
	isb();

	if ((end - addr) >> PAGE_SHIFT > ARM64_MAX_TLBI_PAGES) {
		__tlbi(vmalls12e1is);
	} else {
		for (; addr < end; addr += PAGE_SIZE)
			__tlbi(ipas2e1is, addr >> 12);
		dsb(ish);
		__tlbi(vmalle1is);
	}
	dsb(ish);
	isb();

	write_sysreg(hcr, hcr_el2);
	isb();
	write_sysreg(vttbr, vttbr_el2);
	isb();
	local_irq_restore(flags);
}

static u32 arm64_abort_access(u64 esr)
{
	if (ESR_ELx_EC(esr) == ESR_ELx_EC_IABT_LOW)
		return GASPACE_PROT_EXEC;
	/* cache maintenance reports WnR set, but reads (KVM does the same) */
	if ((esr & ESR_ELx_WNR) && !(esr & ESR_ELx_CM))
		return GASPACE_PROT_WRITE;
	return GASPACE_PROT_READ;
}

/*
 * The exception the guest took at EL1, when it went to its first vector
 * table, out of every area: the run ends with the guest's own syndrome,
 * at the instruction that raised it.
 */
static void arm64_guest_exception(struct arm64_run *run,
				  struct gaspace_arm64_run *arg)
{
	struct arm64_el1 *g = &run->guest;

	arg->exit_reason = GASPACE_ARM64_EXIT_GUEST_EXCEPTION;
	arg->esr = g->esr;
	arg->far = g->far;
	arg->regs.pc = g->elr;
	arg->regs.pstate = g->spsr;
	arg->regs.sp = (g->spsr & ARM64_MODE_SPX) ? g->sp_el1 : run->sp_el0;
}

/*
 * A stage-2 abort: resolve it with gaspace and resume (return 1), or end
 * the run (0).
 */
static int arm64_abort(struct arm64_run *run, struct gaspace_arm64_run *arg,
		       const struct arm64_exit *exit, u64 *last_gpa,
		       unsigned int *repeats)
{
	u64 esr = exit->esr, type = esr & ESR_ELx_FSC_TYPE;
	u64 gpa;
	int ret;

	if (type != ARM64_FSC_ADDR_SIZE && type != ARM64_FSC_TRANS &&
	    type != ARM64_FSC_ACCESS && type != ARM64_FSC_PERM) {
		/* not a translation matter: an external abort, say */
		arg->exit_reason = GASPACE_ARM64_EXIT_EXCEPTION;
		return 0;
	}
	if (ESR_ELx_EC(esr) == ESR_ELx_EC_IABT_LOW &&
	    run->guest.vbar == run->vectors &&
	    arg->regs.pc - run->vectors < ARM64_VECTORS_SIZE) {
		arm64_guest_exception(run, arg);
		return 0;
	}

	gpa = (exit->hpfar & ARM64_HPFAR_FIPA) << 8 | (exit->far & 0xfff);
	/*
	 * HPFAR_EL2 may be UNKNOWN for a permission fault that is not on a
	 * stage-1 walk (KVM asks AT instead); with the guest's MMU off, FAR
	 * is the IPA itself.
	 */
	if (type == ARM64_FSC_PERM && !(esr & ESR_ELx_S1PTW) &&
	    !(run->guest.sctlr & ARM64_SCTLR_M))
		gpa = exit->far;

	arg->gpa = gpa;
	arg->access = arm64_abort_access(esr);
	if (gpa == *last_gpa) {
		if (++*repeats >= ARM64_MAX_REPEATS) {
			/* resolved, yet the CPU still cannot use it */
			arg->exit_reason = GASPACE_ARM64_EXIT_S2_FAULT;
			arg->error = -ELOOP;
			return 0;
		}
	} else {
		*repeats = 0;
	}
	*last_gpa = gpa;

	ret = gaspace_handle_fault(run->as, gpa, arg->access);
	if (ret) {
		arg->exit_reason = GASPACE_ARM64_EXIT_S2_FAULT;
		arg->error = ret;
		return 0;
	}
	arg->nr_faults++;
	return 1;
}

/* What the runner sees of an exit: the EL2 syndrome and the guest's SP. */
static void arm64_record_exit(struct arm64_run *run,
			      struct gaspace_arm64_run *arg,
			      const struct arm64_exit *exit)
{
	arg->nr_exits++;
	arg->esr = exit->esr;
	arg->far = exit->far;
	arg->hpfar = exit->hpfar;
	arg->regs.sp = (arg->regs.pstate & ARM64_MODE_SPX) ?
		       run->guest.sp_el1 : run->sp_el0;
}

/*
 * Run until the guest stops: resume after host interrupts and after every
 * stage-2 abort that gaspace resolves; anything else ends the run.  A
 * physical IRQ or FIQ exits the guest (HCR_EL2.IMO and FMO) and stays
 * pending: it is taken by the host's handler once arm64_enter() unmasks.
 */
static int arm64_loop(struct arm64_run *run, struct gaspace_arm64_run *arg)
{
	struct arm64_exit exit;
	u64 last_gpa = ~0ULL;
	unsigned int repeats = 0;
	unsigned long code;

	for (;;) {
		if (signal_pending(current))
			return -EINTR;
		cond_resched();

		code = arm64_enter(run, &arg->regs, &exit);
		arm64_record_exit(run, arg, &exit);
		if (exit.serror) {
			/* the guest's SError, whatever else exited */
			arg->esr = exit.serror;
			arg->exit_reason = GASPACE_ARM64_EXIT_EXCEPTION;
			return 0;
		}

		switch (code) {
		case ARM64_EXIT_IRQ:
		case ARM64_EXIT_FIQ:
			continue;
		case ARM64_EXIT_SYNC:
			break;
		default:
			arg->exit_reason = GASPACE_ARM64_EXIT_EXCEPTION;
			return 0;
		}

		switch (ESR_ELx_EC(exit.esr)) {
		case ESR_ELx_EC_HVC64:
			arg->exit_reason = GASPACE_ARM64_EXIT_HVC;
			return 0;
		case ESR_ELx_EC_WFx:
			arg->exit_reason = (exit.esr & ARM64_WFX_TI) ?
				GASPACE_ARM64_EXIT_EXCEPTION :
				GASPACE_ARM64_EXIT_WFI;
			return 0;
		case ESR_ELx_EC_IABT_LOW:
		case ESR_ELx_EC_DABT_LOW:
			if (arm64_abort(run, arg, &exit, &last_gpa, &repeats))
				continue;
			return 0;
		default:
			arg->exit_reason = GASPACE_ARM64_EXIT_EXCEPTION;
			return 0;
		}
	}
}

/*
 * The guest's first VBAR_EL1: where no area is (gaspace_arm64.h), and yet
 * within the CPU's physical range, as the guest's MMU is off.
 */
static u64 arm64_first_vbar(u32 gpa_bits)
{
	if (gpa_bits < arm64_info.pa_bits)
		return 1ULL << gpa_bits;
	return (1ULL << gpa_bits) - ARM64_VECTORS_SIZE;
}

/*
 * The address space must be ARM64_S2 with a gpa_bits the CPU allows;
 * VTCR_EL2 is its walk_config with PS (the CPU's physical range, at most
 * 48 bits without LPA2) and RES1 bit 31 added, 8-bit VMIDs, no HA/HD.
 */
static int arm64_check_space(struct arm64_run *run)
{
	struct gaspace_info info;
	u64 ps;
	int ret;

	ret = gaspace_get_info(run->as, &info);
	if (ret)
		return ret;
	if (info.format != GASPACE_FMT_ARM64_S2 ||
	    info.gpa_bits < arm64_info.min_gpa_bits ||
	    info.gpa_bits > arm64_info.max_gpa_bits ||
	    (info.root_pointer & ~GENMASK_ULL(47, 1)))
		return -EINVAL;
	ps = min_t(u64, arm64_info.parange, ID_AA64MMFR0_EL1_PARANGE_48);
	run->vtcr = info.walk_config | ps << VTCR_EL2_PS_SHIFT | VTCR_EL2_RES1;
	run->vttbr = info.root_pointer | ARM64_VMID << VTTBR_VMID_SHIFT;
	run->vectors = arm64_first_vbar(info.gpa_bits);
	return 0;
}

static int arm64_check_pstate(u64 *pstate)
{
	u64 mode = *pstate & ARM64_PSTATE_MODE;

	if (!*pstate) {
		*pstate = GASPACE_ARM64_PSTATE_EL1H;
		return 0;
	}
	if (*pstate & ~ARM64_PSTATE_ALLOWED)
		return -EINVAL;
	if (mode != ARM64_MODE_EL0T && mode != ARM64_MODE_EL1T &&
	    mode != ARM64_MODE_EL1H)
		return -EINVAL;
	return 0;
}

/* Copy in and check the runner's argument; -ENODEV without EL2 and VHE. */
static int arm64_get_arg(struct gaspace_arm64_run *arg,
			 const struct gaspace_arm64_run __user *uarg)
{
	unsigned int i;

	if (copy_from_user(arg, uarg, sizeof(*arg)))
		return -EFAULT;
	if (arg->flags)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(arg->reserved); i++)
		if (arg->reserved[i])
			return -EINVAL;
	if (arm64_check_pstate(&arg->regs.pstate))
		return -EINVAL;
	if ((arm64_info.flags & (GASPACE_ARM64_HAVE_EL2 | GASPACE_ARM64_HAVE_VHE)) !=
	    (GASPACE_ARM64_HAVE_EL2 | GASPACE_ARM64_HAVE_VHE))
		return -ENODEV;
	return 0;
}

/* The address space behind the runner's fd, referenced, or an ERR_PTR. */
static struct gaspace *arm64_get_space(int fd)
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
static void arm64_clear_results(struct gaspace_arm64_run *arg)
{
	arg->exit_reason = 0;
	arg->esr = 0;
	arg->far = 0;
	arg->hpfar = 0;
	arg->error = 0;
	arg->access = 0;
	arg->gpa = 0;
	arg->nr_faults = 0;
	arg->nr_exits = 0;
}

static int arm64_run_ioctl(struct gaspace_arm64_run __user *uarg)
{
	struct gaspace_arm64_run arg;
	struct arm64_run *run;
	int ret;

	ret = arm64_get_arg(&arg, uarg);
	if (ret)
		return ret;

	run = kzalloc(sizeof(*run), GFP_KERNEL_ACCOUNT);
	if (!run)
		return -ENOMEM;
	run->as = arm64_get_space(arg.as_fd);
	if (IS_ERR(run->as)) {
		ret = PTR_ERR(run->as);
		goto out_free;
	}

	ret = arm64_check_space(run);
	if (ret)
		goto out_put;

	run->guest.sctlr = ARM64_SCTLR_RESET;
	run->guest.vbar = run->vectors;
	run->guest.sp_el1 = arg.regs.sp;
	run->sp_el0 = arg.regs.sp;
	run->notifier.invalidate = arm64_invalidate;
	ret = gaspace_register_notifier(run->as, &run->notifier);
	if (ret)
		goto out_put;

	arm64_clear_results(&arg);
	ret = arm64_loop(run, &arg);

	gaspace_unregister_notifier(run->as, &run->notifier);
	if (!ret && copy_to_user(uarg, &arg, sizeof(arg)))
		ret = -EFAULT;
out_put:
	gaspace_put(run->as);
out_free:
	kfree(run);
	return ret;
}

static long arm64_ioctl(struct file *file, unsigned int cmd,
			unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case GASPACE_ARM64_GET_INFO:
		return copy_to_user(uarg, &arm64_info, sizeof(arm64_info)) ?
			-EFAULT : 0;
	case GASPACE_ARM64_RUN:
		return arm64_run_ioctl(uarg);
	}
	return -ENOTTY;
}

static const struct file_operations arm64_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = arm64_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice arm64_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "gaspace_arm64",
	.fops = &arm64_fops,
};

/* What the CPU offers; a kernel at EL1 still loads the module. */
static void arm64_probe(void)
{
	static const u8 pa_bits[] = { 32, 36, 40, 42, 44, 48, 52 };
	u64 mmfr0 = read_sanitised_ftr_reg(SYS_ID_AA64MMFR0_EL1);
	u64 pfr1 = read_sanitised_ftr_reg(SYS_ID_AA64PFR1_EL1);
	u32 parange;

	parange = mmfr0 & 0xf;
	arm64_info.parange = parange;
	arm64_info.pa_bits = parange < ARRAY_SIZE(pa_bits) ?
			     pa_bits[parange] : 52;
	arm64_info.min_gpa_bits = ARM64_MIN_GPA_BITS;
	arm64_info.max_gpa_bits = min_t(u32, arm64_info.pa_bits,
					ARM64_MAX_GPA_BITS);
	arm64_info.vmid = ARM64_VMID;
	arm64_have_sme = (pfr1 >> 24) & 0xf;
	if (!is_kernel_in_hyp_mode())
		return;
	arm64_info.flags |= GASPACE_ARM64_HAVE_EL2;
	if (read_sysreg(hcr_el2) & HCR_E2H)
		arm64_info.flags |= GASPACE_ARM64_HAVE_VHE;
}

static int __init arm64_module_init(void)
{
	int ret;

	arm64_probe();
	ret = misc_register(&arm64_misc);
	if (ret)
		return ret;
	pr_info("EL2 %s, VHE %s, PARange %u (%u bits), gpa_bits %u..%u\n",
		arm64_info.flags & GASPACE_ARM64_HAVE_EL2 ? "yes" : "no",
		arm64_info.flags & GASPACE_ARM64_HAVE_VHE ? "yes" : "no",
		arm64_info.parange, arm64_info.pa_bits,
		arm64_info.min_gpa_bits, arm64_info.max_gpa_bits);
	return 0;
}

static void __exit arm64_module_exit(void)
{
	misc_deregister(&arm64_misc);
}

module_init(arm64_module_init);
module_exit(arm64_module_exit);
MODULE_DESCRIPTION("gaspace sample: run guests at EL1 on gaspace's Arm stage-2 (VHE host)");
MODULE_LICENSE("GPL");
