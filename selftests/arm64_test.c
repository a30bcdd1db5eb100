// SPDX-License-Identifier: GPL-2.0
/*
 * arm64_test: real guests on gaspace's Arm stage-2 table, run by the sample
 * arm64 hypervisor module (samples/arm64, /dev/gaspace_arm64).  Every guest
 * access goes through the CPU's stage-2 walk of gaspace's tables, and every
 * stage-2 abort through gaspace_handle_fault().
 *
 * Guests are AArch64 code at EL1 with the MMU off (see gaspace_arm64.h),
 * pwritten into an alloc area at GUEST_CODE; their instruction words were
 * assembled with GNU as and are listed with the source next to them.
 * Each case runs for spaces of 32, 40 and 48 gpa bits (the variants), so
 * the walk starts at level 2, 1 and 0 (four, two and one root pages).
 *
 * Without the module, on a kernel that does not run at EL2 with VHE, or for
 * a width past the CPU's physical range, the tests skip and say why;
 * `make check` asserts that they ran.  Under QEMU's -cpu max (PARange 52
 * bits) every variant runs; under -cpu cortex-a76 (40 bits) bits32 and
 * bits40 do, the latter with the guest's first vectors inside the space.
 */
#include <signal.h>

#include "gaspace_util.h"
#include "gaspace_guest.h"
#include "kselftest_harness.h"
#include "../samples/arm64/gaspace_arm64.h"

/* ESR exception classes */
#define EC_UNKNOWN		0x00
#define EC_FP_ASIMD		0x07
#define EC_HVC64		0x16
#define EC_IABT_LOW		0x20
#define EC_DABT_LOW		0x24
#define EC_WFX			0x01
#define EC_SMC64		0x17
#define EC_SYS64		0x18
#define EC_BRK64		0x3c
#define ESR_EC(esr)		(((esr) >> 26) & 0x3f)
#define ESR_ISS(esr)		((esr) & 0x1ffffff)

#define SPACE_SIZE		0x100000000ULL	/* 4 GiB: fits every variant */
#define GUEST_CODE		GAS_GUEST_CODE
#define NX_AREA			GAS_GUEST_NX_AREA /* RW: no instruction fetch */
#define NX_SIZE			0x8000ULL
#define DATA			0x100000ULL	/* lazy RW data */
#define HUGE_GPA		0x400000ULL
#define LINEAR_GPA		0x800000ULL
#define HIGH_PAGES		8		/* at the top of the space */

/*
 *	mov	x3, x1			aa0103e3
 *	mov	x4, x2			aa0203e4
 * 1:	str	w4, [x3]		b9000064
 *	add	x3, x3, #0x1000		91400463
 *	subs	x4, x4, #1		f1000484
 *	b.ne	1b			54ffffa1
 *	mov	x3, x1			aa0103e3
 *	mov	x4, x2			aa0203e4
 *	mov	x0, #0			d2800000
 * 2:	ldr	w5, [x3]		b9400065
 *	add	x0, x0, x5		8b050000
 *	add	x3, x3, #0x1000		91400463
 *	subs	x4, x4, #1		f1000484
 *	b.ne	2b			54ffff81
 *	hvc	#0			d4000002
 * Writes n..1 to the first word of x2 pages from x1 on, then sums them.
 */
static const __u32 guest_sum[] = {
	0xaa0103e3, 0xaa0203e4, 0xb9000064, 0x91400463, 0xf1000484,
	0x54ffffa1, 0xaa0103e3, 0xaa0203e4, 0xd2800000, 0xb9400065,
	0x8b050000, 0x91400463, 0xf1000484, 0x54ffff81, 0xd4000002,
};

/* str w0, [x1] (b9000020); hvc #0 (d4000002) */
static const __u32 guest_store[] = { 0xb9000020, 0xd4000002 };

/* ldr w0, [x1] (b9400020); hvc #0 (d4000002) */
static const __u32 guest_load[] = { 0xb9400020, 0xd4000002 };

/*
 * 1:	str	w0, [x1], #4		b8004420
 *	add	w0, w0, #1		11000400
 *	subs	x2, x2, #1		f1000442
 *	b.ne	1b			54ffffa1
 *	hvc	#0			d4000002
 */
static const __u32 guest_fill[] = {
	0xb8004420, 0x11000400, 0xf1000442, 0x54ffffa1, 0xd4000002,
};

/* 1: ldr w0, [x1] (b9400020); b 1b (17ffffff) */
static const __u32 guest_spin[] = { 0xb9400020, 0x17ffffff };

/* br x3 (d61f0060) */
static const __u32 guest_jump[] = { 0xd61f0060 };

/* udf #0 (00000000) */
static const __u32 guest_udf[] = { 0x00000000 };

/* wfi (d503207f) */
static const __u32 guest_wfi[] = { 0xd503207f };

/* add x0, x1, #1 (91000420); hvc #0x42 (d4000842) */
static const __u32 guest_hvc[] = { 0x91000420, 0xd4000842 };

/* smc #0 (d4000003) */
static const __u32 guest_smc[] = { 0xd4000003 };

/* mrs x0, id_aa64mmfr0_el1 (d5380700); hvc #0 (d4000002) */
static const __u32 guest_id_reg[] = { 0xd5380700, 0xd4000002 };

/* wfe (d503205f); hvc #0 (d4000002) */
static const __u32 guest_wfe[] = { 0xd503205f, 0xd4000002 };

/* brk #7 (d42000e0) */
static const __u32 guest_brk[] = { 0xd42000e0 };

/*
 * add x0, x0, x30 (8b1e0000); mov x30, #5 (d28000be); hvc #0 (d4000002)
 * Reads and writes X30, the register loaded and stored last.
 */
static const __u32 guest_regs[] = { 0x8b1e0000, 0xd28000be, 0xd4000002 };

/*
 * msr tpidr_el0, x1 (d51bd041); msr tpidrro_el0, x1 (d51bd061);
 * msr sp_el0, x1 (d5184101); msr tpidr_el1, x1 (d518d081);
 * msr par_el1, x1 (d5187401); msr contextidr_el1, x1 (d518d021);
 * hvc #0 (d4000002)
 * Writes registers that the host uses too: the task's TLS (TPIDR_EL0,
 * TPIDRRO_EL0), the kernel's `current' (SP_EL0), the AT result (PAR_EL1).
 */
static const __u32 guest_clobber[] = {
	0xd51bd041, 0xd51bd061, 0xd5184101, 0xd518d081, 0xd5187401,
	0xd518d021, 0xd4000002,
};

/*
 * msr cpacr_el1, x2 (d5181042); isb (d5033fdf); fmov d0, x1 (9e670020);
 * hvc #0 (d4000002)
 * An FP/SIMD access, with the guest's own CPACR_EL1.FPEN from x2.
 */
static const __u32 guest_fp[] = {
	0xd5181042, 0xd5033fdf, 0x9e670020, 0xd4000002,
};

/* mov x0, sp (910003e0); hvc #0 (d4000002) */
static const __u32 guest_sp[] = { 0x910003e0, 0xd4000002 };

/*
 * msr vbar_el1, x5 (d518c005); isb (d5033fdf); udf #0x33 (00000033)
 * and at VBAR_EL1 + 0x200 (synchronous, current EL with SP_ELx):
 * mrs x0, esr_el1 (d5385200); mrs x1, elr_el1 (d5384021); hvc #1 (d4000022)
 */
static const __u32 guest_own_vectors[] = { 0xd518c005, 0xd5033fdf, 0x00000033 };
static const __u32 guest_sync_handler[] = { 0xd5385200, 0xd5384021, 0xd4000022 };
#define GUEST_VBAR		(GUEST_CODE + 0x800)

FIXTURE(arm64) {
	struct gas_guest g;
	__u64 high;		/* HIGH_PAGES lazy RW pages below the top */
	struct gaspace_arm64_info info;
	struct gaspace_arm64_run run;
};

/* @levels walked, @root_pages concatenated root tables (KVM's choice) */
FIXTURE_VARIANT(arm64) {
	unsigned int gpa_bits;
	unsigned int levels;
	unsigned int root_pages;
};

FIXTURE_VARIANT_ADD(arm64, bits32) {
	.gpa_bits = 32,
	.levels = 2,
	.root_pages = 4,
};

FIXTURE_VARIANT_ADD(arm64, bits40) {
	.gpa_bits = 40,
	.levels = 3,
	.root_pages = 2,
};

FIXTURE_VARIANT_ADD(arm64, bits48) {
	.gpa_bits = 48,
	.levels = 4,
	.root_pages = 1,
};

/* Runs the guest; 0 or the ioctl's negative errno. */
#define arm64_run() gas_guest_run(&self->g)

#define arm64_guest(code) \
	gas_guest_load_code(_metadata, &self->g, code, sizeof(code))

/* The run ended at the HVC that ends a program of @len bytes. */
#define ASSERT_HVC_AT(len) do {						\
	ASSERT_EQ((__u64)GASPACE_ARM64_EXIT_HVC, self->run.exit_reason)	\
		TH_LOG("exit %llu esr 0x%llx far 0x%llx hpfar 0x%llx "	\
		       "pc 0x%llx error %d gpa 0x%llx",			\
		       self->run.exit_reason, self->run.esr,		\
		       self->run.far, self->run.hpfar, self->run.regs.pc,\
		       self->run.error, self->run.gpa);			\
	ASSERT_EQ(0, self->run.error);					\
	ASSERT_EQ((__u64)EC_HVC64, ESR_EC(self->run.esr));		\
	ASSERT_EQ((__u64)(GUEST_CODE + (len)), self->run.regs.pc);	\
} while (0)

/* The run ended at the HVC that is the last word of @code. */
#define ASSERT_HVC(code) ASSERT_HVC_AT(sizeof(code))

static void arm64_at_call(struct __test_metadata *_metadata,
			  const struct gas_guest *g, size_t len)
{
	struct _test_data_arm64 *self = g->self;

	ASSERT_HVC_AT(len);
}

/*
 * A fault gaspace refused: a stage-2 abort, of an instruction fetch or of
 * a data access.
 */
static void arm64_refused(struct __test_metadata *_metadata,
			  const struct gas_guest *g, __u64 gpa, __u32 access)
{
	struct _test_data_arm64 *self = g->self;

	ASSERT_EQ((__u64)GASPACE_ARM64_EXIT_S2_FAULT, self->run.exit_reason)
		TH_LOG("exit %llu esr 0x%llx pc 0x%llx",
		       self->run.exit_reason, self->run.esr,
		       self->run.regs.pc);
	EXPECT_EQ((__u64)(access == GASPACE_PROT_EXEC ? EC_IABT_LOW :
			  EC_DABT_LOW), ESR_EC(self->run.esr));
}

static void arm64_halted(struct __test_metadata *_metadata,
			 const struct gas_guest *g)
{
	struct _test_data_arm64 *self = g->self;

	ASSERT_EQ((__u64)GASPACE_ARM64_EXIT_WFI, self->run.exit_reason)
		TH_LOG("exit %llu esr 0x%llx", self->run.exit_reason,
		       self->run.esr);
}

static const struct gas_guest_ops arm64_ops = {
	.prog = {
		[GAS_GUEST_SUM] = GAS_GUEST_PROGRAM(guest_sum, 1,
				GAS_GUEST_NONE, 2, 0),
		[GAS_GUEST_FILL] = GAS_GUEST_PROGRAM(guest_fill, 1, 0, 2,
				GAS_GUEST_NONE),
		[GAS_GUEST_LOAD] = GAS_GUEST_PROGRAM(guest_load, 1,
				GAS_GUEST_NONE, GAS_GUEST_NONE, 0),
		[GAS_GUEST_STORE] = GAS_GUEST_PROGRAM(guest_store, 1, 0,
				GAS_GUEST_NONE, GAS_GUEST_NONE),
		[GAS_GUEST_SPIN] = GAS_GUEST_PROGRAM(guest_spin, 1,
				GAS_GUEST_NONE, GAS_GUEST_NONE, 0),
		[GAS_GUEST_JUMP] = GAS_GUEST_JUMPS(guest_jump, 3),
		[GAS_GUEST_HALT] = GAS_GUEST_PLAIN(guest_wfi),
	},
	.at_call = arm64_at_call,
	.refused = arm64_refused,
	.halted = arm64_halted,
};

FIXTURE_SETUP(arm64)
{
	const char *why = NULL;
	__u64 top = 1ULL << variant->gpa_bits;

	gas_guest_init(&self->g, &arm64_ops, self, self->run, x[0], pc,
		       GASPACE_ARM64_RUN);
	self->g.sample = gas_guest_open(GASPACE_ARM64_DEVICE,
					"gaspace_arm64.ko (samples/arm64)",
					GASPACE_ARM64_GET_INFO, &self->info,
					sizeof(self->info), &why);
	if (self->g.sample < 0)
		SKIP(return, "%s", why);
	if (self->info.flags !=
	    (GASPACE_ARM64_HAVE_EL2 | GASPACE_ARM64_HAVE_VHE))
		SKIP(return, "the kernel does not run at EL2 with VHE");
	ASSERT_EQ(32U, self->info.min_gpa_bits);
	if (variant->gpa_bits > self->info.max_gpa_bits)
		SKIP(return, "PARange %u: the CPU's stage 2 takes %u bits at most",
		     self->info.parange, self->info.max_gpa_bits);
	/* the whole gpa range; an area just below its top */
	gas_guest_space(_metadata, &self->g, GASPACE_FMT_ARM64_S2,
			variant->gpa_bits, top, NX_SIZE, DATA);
	self->high = top - 2 * SZ_2M;
	ASSERT_EQ(0, gas_map_alloc(self->g.as, self->high,
				   HIGH_PAGES * PAGE_4K, GAS_PROT_RW, 0));
}

FIXTURE_TEARDOWN(arm64)
{
	gas_guest_teardown(&self->g);
}

/* Every lazy data page is faulted in through the hook, exactly once. */
TEST_F(arm64, sum_lazy_pages)
{
	gas_guest_sum_lazy_pages(_metadata, &self->g);
}

/*
 * The same at the top of the space, the highest gpas of each width, whose
 * walk starts in the last of the concatenated root tables.
 */
TEST_F(arm64, sum_high_pages)
{
	struct gaspace_info info;

	ASSERT_EQ(0, gas_get_info(self->g.as, &info));
	EXPECT_EQ(variant->levels, info.levels);
	EXPECT_EQ(variant->root_pages, info.root_pages);
	gas_guest_sum(_metadata, &self->g, self->high, HIGH_PAGES);
	EXPECT_EQ((__u64)HIGH_PAGES, self->run.nr_faults);
	EXPECT_EQ(1U, gas_guest_peek(self->g.as, self->high +
					   (HIGH_PAGES - 1) * PAGE_4K));
}

/* A second run over the same pages takes no fault: they stay mapped. */
TEST_F(arm64, mapped_pages_do_not_fault)
{
	gas_guest_sum(_metadata, &self->g, DATA, GAS_GUEST_DATA_PAGES);
	ASSERT_EQ((__u64)GAS_GUEST_DATA_PAGES, self->run.nr_faults);
	gas_guest_sum_again(_metadata, &self->g);
}

/* What the guest writes, pread sees; what pwrite writes, the guest reads. */
TEST_F(arm64, write_then_pread)
{
	gas_guest_write_then_pread(_metadata, &self->g);
}

/* Every general-purpose register goes in and comes out, X30 included. */
TEST_F(arm64, registers_in_and_out)
{
	unsigned int i;

	arm64_guest(guest_regs);
	for (i = 0; i < 31; i++)
		self->run.regs.x[i] = 0x1111111111111111ULL * (i % 15 + 1) + i;
	self->run.regs.sp = 0x7ff0;
	ASSERT_EQ(0, arm64_run());
	ASSERT_HVC(guest_regs);
	EXPECT_EQ(0x1111111111111111ULL + 0x1111111111111111ULL + 30,
		  self->run.regs.x[0]);
	for (i = 1; i < 30; i++) {
		EXPECT_EQ(0x1111111111111111ULL * (i % 15 + 1) + i,
			  self->run.regs.x[i]);
	}
	EXPECT_EQ(5ULL, self->run.regs.x[30]);
	EXPECT_EQ(0x7ff0ULL, self->run.regs.sp);
	EXPECT_EQ(GASPACE_ARM64_PSTATE_EL1H, self->run.regs.pstate & 0x3ff);
}

/* After UNMAP the guest's access ends the run with -ENOENT at its gpa. */
TEST_F(arm64, access_after_unmap)
{
	gas_guest_access_after_unmap(_metadata, &self->g);
}

/*
 * UNMAP while the guest spins on the page: the notifier's TLBI reaches the
 * CPU in the guest, so the next access faults and ends the run.
 */
TEST_F(arm64, unmap_while_running)
{
	gas_guest_unmap_while_running(_metadata, &self->g, 0x40);
}

static void arm64_alarm(int sig)
{
}

/*
 * A guest that never stops: host interrupts take it back to the host
 * (the timer's included, or the alarm would never fire), and a signal
 * ends the run with -EINTR.
 */
TEST_F(arm64, signal_interrupts_guest)
{
	struct sigaction sa = { .sa_handler = arm64_alarm };
	struct itimerspec its = { .it_value.tv_nsec = 200 * 1000 * 1000 };
	struct sigevent sev = {
		.sigev_notify = SIGEV_SIGNAL,
		.sigev_signo = SIGALRM,
	};
	timer_t timer;

	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	gas_guest_poke(self->g.as, DATA, 9);
	gas_guest_load(_metadata, &self->g, GAS_GUEST_SPIN, DATA, 0, 0);
	ASSERT_EQ(0, timer_create(CLOCK_MONOTONIC, &sev, &timer));
	ASSERT_EQ(0, timer_settime(timer, 0, &its, NULL));
	EXPECT_EQ(-EINTR, arm64_run());
	timer_delete(timer);
	signal(SIGALRM, SIG_DFL);
}

/* A write to a page PROTECT made read-only ends the run with -EACCES. */
TEST_F(arm64, write_after_protect)
{
	gas_guest_write_after_protect(_metadata, &self->g);
}

/* An instruction fetch from a non-executable area ends with -EACCES. */
TEST_F(arm64, fetch_from_nx_area)
{
	/* a lazy page; a populated one, XN in its leaf: a permission fault */
	gas_guest_fetch_from_nx(_metadata, &self->g);
	EXPECT_EQ(0x0cULL, self->run.esr & 0x3c) TH_LOG("permission fault");
}

/* A lazy 2 MiB frame comes in on one fault and backs the whole block. */
TEST_F(arm64, huge_frame)
{
	gas_guest_huge_frame(_metadata, &self->g, HUGE_GPA);
}

/*
 * A linear area over a host buffer, one populated frame of another space:
 * the guest reads and writes host memory without a fault.
 */
TEST_F(arm64, linear_host_buffer)
{
	gas_guest_linear(_metadata, &self->g, LINEAR_GPA, 0);
}

/* The same through a Device-nGnRE leaf (GASPACE_MAP_DEVICE). */
TEST_F(arm64, linear_device_memory)
{
	gas_guest_linear(_metadata, &self->g, LINEAR_GPA, GASPACE_MAP_DEVICE);
}

/* HVC ends the run with the guest's X0, pc after the HVC. */
TEST_F(arm64, hvc_ends_run)
{
	arm64_guest(guest_hvc);
	self->run.regs.x[1] = 0x1233;
	ASSERT_EQ(0, arm64_run());
	ASSERT_HVC(guest_hvc);
	EXPECT_EQ(0x1234ULL, self->run.regs.x[0]);
	EXPECT_EQ(0x42ULL, ESR_ISS(self->run.esr) & 0xffff);
	/* host interrupts may add exits of their own */
	EXPECT_LE(1ULL, self->run.nr_exits);
	EXPECT_EQ(0ULL, self->run.nr_faults);
}

/* WFI ends the run, pc at the WFI. */
TEST_F(arm64, wfi_ends_run)
{
	gas_guest_halt_ends_run(_metadata, &self->g);
}

/*
 * An undefined instruction raises an exception at the guest's EL1, whose
 * first vectors lie out of reach: the run ends with its syndrome, pc at it.
 */
TEST_F(arm64, undefined_instruction_ends_run)
{
	arm64_guest(guest_udf);
	ASSERT_EQ(0, arm64_run());
	ASSERT_EQ((__u64)GASPACE_ARM64_EXIT_GUEST_EXCEPTION,
		  self->run.exit_reason)
		TH_LOG("exit %llu esr 0x%llx pc 0x%llx error %d",
		       self->run.exit_reason, self->run.esr,
		       self->run.regs.pc, self->run.error);
	EXPECT_EQ((__u64)EC_UNKNOWN, ESR_EC(self->run.esr));
	EXPECT_EQ(GUEST_CODE, self->run.regs.pc);
	EXPECT_EQ(GASPACE_ARM64_PSTATE_EL1H, self->run.regs.pstate & 0x3ff);
	EXPECT_EQ(0, self->run.error);
}

/* A BRK is a debug exception MDCR_EL2.TDE routes to EL2: it ends the run. */
TEST_F(arm64, brk_ends_run_at_el2)
{
	arm64_guest(guest_brk);
	ASSERT_EQ(0, arm64_run());
	ASSERT_EQ((__u64)GASPACE_ARM64_EXIT_EXCEPTION, self->run.exit_reason)
		TH_LOG("exit %llu esr 0x%llx", self->run.exit_reason,
		       self->run.esr);
	EXPECT_EQ((__u64)EC_BRK64, ESR_EC(self->run.esr));
	EXPECT_EQ(7ULL, ESR_ISS(self->run.esr) & 0xffff);
	EXPECT_EQ(GUEST_CODE, self->run.regs.pc);
}

/*
 * Other traps HCR_EL2 sets end the run as exceptions to EL2: SMC (TSC),
 * an ID register read (TID3), WFE (TWE).
 */
TEST_F(arm64, other_traps_end_run)
{
	arm64_guest(guest_smc);
	ASSERT_EQ(0, arm64_run());
	ASSERT_EQ((__u64)GASPACE_ARM64_EXIT_EXCEPTION, self->run.exit_reason)
		TH_LOG("exit %llu esr 0x%llx", self->run.exit_reason,
		       self->run.esr);
	EXPECT_EQ((__u64)EC_SMC64, ESR_EC(self->run.esr));
	EXPECT_EQ(GUEST_CODE, self->run.regs.pc);

	arm64_guest(guest_id_reg);
	ASSERT_EQ(0, arm64_run());
	ASSERT_EQ((__u64)GASPACE_ARM64_EXIT_EXCEPTION, self->run.exit_reason)
		TH_LOG("exit %llu esr 0x%llx", self->run.exit_reason,
		       self->run.esr);
	EXPECT_EQ((__u64)EC_SYS64, ESR_EC(self->run.esr));
	EXPECT_EQ(GUEST_CODE, self->run.regs.pc);

	/*
	 * QEMU (7.2) does not trap WFE, a hint it runs as a yield: the
	 * guest goes on to its HVC there.
	 */
	arm64_guest(guest_wfe);
	ASSERT_EQ(0, arm64_run());
	if (self->run.exit_reason == GASPACE_ARM64_EXIT_HVC) {
		ksft_print_msg("WFE did not trap: the CPU ran it as a hint\n");
		EXPECT_EQ(GUEST_CODE + sizeof(guest_wfe), self->run.regs.pc);
	} else {
		ASSERT_EQ((__u64)GASPACE_ARM64_EXIT_EXCEPTION,
			  self->run.exit_reason);
		EXPECT_EQ((__u64)EC_WFX, ESR_EC(self->run.esr));
		EXPECT_EQ(1ULL, self->run.esr & 3) TH_LOG("TI: WFE");
		EXPECT_EQ(GUEST_CODE, self->run.regs.pc);
	}
}

/*
 * An access above the space, at a gpa the stage-2 walk cannot take (past
 * 1 << gpa_bits): gaspace says -ERANGE.
 */
TEST_F(arm64, access_past_the_space)
{
	__u64 gpa = (1ULL << variant->gpa_bits) + 0x3000 + 0x48;

	if (self->info.pa_bits <= variant->gpa_bits)
		SKIP(return, "no physical address above %u bits",
		     variant->gpa_bits);
	gas_guest_load(_metadata, &self->g, GAS_GUEST_LOAD, gpa, 0, 0);
	ASSERT_EQ(0, arm64_run());
	gas_guest_refused(_metadata, &self->g, -ERANGE, gpa, GASPACE_PROT_READ);
	EXPECT_EQ(GUEST_CODE, self->run.regs.pc);
}

/* The guest's registers of either stack pointer, in and out. */
TEST_F(arm64, stack_pointers)
{
	arm64_guest(guest_sp);
	self->run.regs.sp = 0x6000;
	ASSERT_EQ(0, arm64_run());
	ASSERT_HVC(guest_sp);
	EXPECT_EQ(0x6000ULL, self->run.regs.x[0]);
	EXPECT_EQ(0x6000ULL, self->run.regs.sp);

	/* EL1t: SP_EL0 */
	arm64_guest(guest_sp);
	self->run.regs.sp = 0x5ff0;
	self->run.regs.pstate = 0x3c4;
	ASSERT_EQ(0, arm64_run());
	ASSERT_HVC(guest_sp);
	EXPECT_EQ(0x5ff0ULL, self->run.regs.x[0]);
	EXPECT_EQ(0x5ff0ULL, self->run.regs.sp);
	EXPECT_EQ(0x3c4ULL, self->run.regs.pstate & 0x3ff);
}

/* A guest that sets VBAR_EL1 handles its own exceptions. */
TEST_F(arm64, guest_own_vectors)
{
	ASSERT_EQ((ssize_t)sizeof(guest_sync_handler),
		  pwrite(self->g.as, guest_sync_handler,
			 sizeof(guest_sync_handler), GUEST_VBAR + 0x200));
	arm64_guest(guest_own_vectors);
	self->run.regs.x[5] = GUEST_VBAR;
	ASSERT_EQ(0, arm64_run());
	ASSERT_EQ((__u64)GASPACE_ARM64_EXIT_HVC, self->run.exit_reason)
		TH_LOG("exit %llu esr 0x%llx pc 0x%llx", self->run.exit_reason,
		       self->run.esr, self->run.regs.pc);
	EXPECT_EQ(GUEST_VBAR + 0x200 + sizeof(guest_sync_handler),
		  self->run.regs.pc);
	EXPECT_EQ((__u64)EC_UNKNOWN, ESR_EC(self->run.regs.x[0]));
	EXPECT_EQ(GUEST_CODE + 8, self->run.regs.x[1]);
}

/*
 * GASPACE_ARM64_RUN with the host task's D0 set to *@d0 just before the
 * system call and read back just after it, into *@d0.
 */
static long arm64_run_keep_d0(int fd, struct gaspace_arm64_run *run,
			      __u64 *d0)
{
	register long x0 asm("x0") = fd;
	register long x1 asm("x1") = GASPACE_ARM64_RUN;
	register long x2 asm("x2") = (long)run;
	register long x8 asm("x8") = SYS_ioctl;
	__u64 out;

	asm volatile("fmov	d0, %[in]\n"
		     "svc	#0\n"
		     "fmov	%[out], d0\n"
		     : "+r" (x0), [out] "=&r" (out)
		     : [in] "r" (*d0), "r" (x1), "r" (x2), "r" (x8)
		     : "memory", "d0");
	*d0 = out;
	return x0;
}

/*
 * FP/SIMD: the registers hold the host task's values while the guest
 * runs, so the guest's access traps, to its own EL1 while its CPACR_EL1
 * says so, else to EL2; either ends the run, and the task's D0 (which
 * the guest writes) is its own.
 */
TEST_F(arm64, fp_access_ends_run)
{
	__u64 d0 = 0x3ff4000000000000ULL;

	arm64_guest(guest_fp);
	self->run.regs.x[1] = 0x4000000000000000ULL;
	self->run.regs.x[2] = 0;
	ASSERT_EQ(0, arm64_run_keep_d0(self->g.sample, &self->run, &d0));
	ASSERT_EQ((__u64)GASPACE_ARM64_EXIT_GUEST_EXCEPTION,
		  self->run.exit_reason);
	EXPECT_EQ((__u64)EC_FP_ASIMD, ESR_EC(self->run.esr));
	EXPECT_EQ(GUEST_CODE + 8, self->run.regs.pc);
	EXPECT_EQ(0x3ff4000000000000ULL, d0);

	arm64_guest(guest_fp);
	self->run.regs.x[1] = 0x4000000000000000ULL;
	self->run.regs.x[2] = 3ULL << 20;	/* FPEN: no trap at EL1 */
	ASSERT_EQ(0, arm64_run_keep_d0(self->g.sample, &self->run, &d0));
	ASSERT_EQ((__u64)GASPACE_ARM64_EXIT_EXCEPTION, self->run.exit_reason)
		TH_LOG("exit %llu esr 0x%llx", self->run.exit_reason,
		       self->run.esr);
	EXPECT_EQ((__u64)EC_FP_ASIMD, ESR_EC(self->run.esr));
	EXPECT_EQ(GUEST_CODE + 8, self->run.regs.pc);
	EXPECT_EQ(0x3ff4000000000000ULL, d0);
}

static void *thread_tls(void *arg)
{
	static __thread long tls = 41;

	tls++;
	return (void *)tls;
}

static __u64 read_tpidr_el0(void)
{
	__u64 v;

	asm volatile("mrs %0, tpidr_el0" : "=r" (v));
	return v;
}

static __u64 read_tpidrro_el0(void)
{
	__u64 v;

	asm volatile("mrs %0, tpidrro_el0" : "=r" (v));
	return v;
}

/*
 * The host after a guest that wrote TPIDR_EL0, TPIDRRO_EL0, SP_EL0 and
 * PAR_EL1: the task's TLS and the kernel's `current' must be the host's
 * again, so system calls, a thread, a fork and another guest all work,
 * with no oops in the log.
 */
TEST_F(arm64, guest_register_writes_leave_host_intact)
{
	__u64 tpidr = read_tpidr_el0(), tpidrro = read_tpidrro_el0();
	unsigned int i;
	void *ret;
	pthread_t thread;

	for (i = 0; i < 8; i++) {
		arm64_guest(guest_clobber);
		self->run.regs.x[1] = 0xdead0000ULL + i * 16;
		ASSERT_EQ(0, arm64_run());
		ASSERT_HVC(guest_clobber);
		EXPECT_EQ(tpidr, read_tpidr_el0());
		EXPECT_EQ(tpidrro, read_tpidrro_el0());
	}

	EXPECT_EQ(getpid(), (pid_t)syscall(SYS_getpid));
	ASSERT_EQ(0, pthread_create(&thread, NULL, thread_tls, NULL));
	ASSERT_EQ(0, pthread_join(thread, &ret));
	EXPECT_EQ(42L, (long)ret);
	gas_guest_fork_works(_metadata);

	gas_guest_another_runs(_metadata, &self->g);
}

/* Bad input: a clear errno and nothing run. */
TEST_F(arm64, bad_run_arguments)
{
	int other;

	gas_guest_bad_run(_metadata, &self->g, GASPACE_FMT_NPT);
	self->run.regs.pstate = 0x3c9;		/* EL2h */
	EXPECT_EQ(-EINVAL, arm64_run());
	self->run.regs.pstate = 0x3c5 | (1ULL << 21);	/* SS */
	EXPECT_EQ(-EINVAL, arm64_run());
	self->run.regs.pstate = 0;

	/* a gpa_bits past the CPU's range, where it has one below 48 */
	if (self->info.max_gpa_bits < 48) {
		other = gas_create(self->g.dev, GASPACE_FMT_ARM64_S2,
				   self->info.max_gpa_bits + 1, 0, SZ_2M);
		ASSERT_LE(0, other);
		self->run.as_fd = other;
		EXPECT_EQ(-EINVAL, arm64_run());
		gas_close_audited(other);
	}
	EXPECT_EQ(-ENOTTY, gas_ioctl(self->g.sample,
				     _IO(GASPACE_ARM64_IO, 0x7f), 0));

	/* and the space still runs */
	self->run.as_fd = self->g.as;
	ASSERT_EQ(0, arm64_run());
	EXPECT_EQ((__u64)GASPACE_ARM64_EXIT_WFI, self->run.exit_reason);
}

/* GET_INFO: what the CPU allows, consistent with PARange. */
TEST_F(arm64, get_info)
{
	static const unsigned int pa_bits[] = { 32, 36, 40, 42, 44, 48, 52 };

	ASSERT_GT(ARRAY_LEN(pa_bits), self->info.parange);
	EXPECT_EQ(pa_bits[self->info.parange], self->info.pa_bits);
	EXPECT_EQ(self->info.pa_bits < 48 ? self->info.pa_bits : 48U,
		  self->info.max_gpa_bits);
	EXPECT_EQ(0ULL, self->info.reserved[0] | self->info.reserved[1] |
			self->info.reserved[2] | self->info.reserved[3]);
}

TEST_HARNESS_MAIN
