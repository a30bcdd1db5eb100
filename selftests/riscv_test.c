// SPDX-License-Identifier: GPL-2.0
/*
 * riscv_test: real guests on gaspace's G-stage tables, run by the sample
 * RISC-V hypervisor module (samples/riscv, /dev/gaspace_riscv).  Every guest
 * access goes through the hart's G-stage walker over gaspace's tables, and
 * every guest-page fault through gaspace_handle_fault().
 *
 * Guests are RV64 code in VS-mode with vsatp bare (see gaspace_riscv.h),
 * pwritten into an alloc area at GUEST_CODE; each instruction word is listed
 * with its assembly (GNU as, -march=rv64i, no compressed instructions).
 *
 * Each test runs once per G-stage mode (variants sv39x4, sv48x4, sv57x4 for
 * gpa_bits 41, 50, 59); the data areas lie past the first 512 entries of
 * the root, so the walks go through the root's extra entries (the "x4").
 * Without the module every test skips with the reason; `make check` asserts
 * that they ran.
 */
#include <signal.h>
#include <stddef.h>
#include <sys/time.h>

#include "gaspace_util.h"
#include "gaspace_guest.h"
#include "kselftest_harness.h"
#include "../samples/riscv/gaspace_riscv.h"

/* scause values (privileged spec, H extension) */
#define CAUSE_ILLEGAL_INSN	2
#define CAUSE_ECALL_VS		10
#define CAUSE_FETCH_GPF		20
#define CAUSE_LOAD_GPF		21
#define CAUSE_VIRTUAL_INSN	22
#define CAUSE_STORE_GPF		23

#define GUEST_CODE		GAS_GUEST_CODE
#define NX_SIZE			0x8000ULL	/* RW at GAS_GUEST_NX_AREA */
/*
 * The data areas start at 1 << (gpa_bits - DATA_SHIFT), the gpa of the
 * root's entry 512.  A gpa with bit gpa_bits - 1 set is valid too, but
 * QEMU 7.2 checks G-stage addresses as if they were sign-extended virtual
 * addresses and raises a guest-page fault for all of that top half.
 */
#define DATA_SHIFT		2
/* from the variant's data gpa */
#define HUGE_OFFSET		0x400000ULL
#define LINEAR_OFFSET		0x800000ULL

/*
 * Writes a1..1 to the first word of a1 pages from a0 on, then sums them:
 * a0 = a1 * (a1 + 1) / 2 at the ECALL.
 */
static const __u32 guest_sum[] = {
	0x00050293,	/*	mv	t0, a0		*/
	0x00058313,	/*	mv	t1, a1		*/
	0x00001e37,	/*	lui	t3, 0x1		*/
	0x0062a023,	/* 1:	sw	t1, 0(t0)	*/
	0x01c282b3,	/*	add	t0, t0, t3	*/
	0xfff30313,	/*	addi	t1, t1, -1	*/
	0xfe031ae3,	/*	bnez	t1, 1b		*/
	0x00050293,	/*	mv	t0, a0		*/
	0x00058313,	/*	mv	t1, a1		*/
	0x00000513,	/*	li	a0, 0		*/
	0x0002e383,	/* 2:	lwu	t2, 0(t0)	*/
	0x00750533,	/*	add	a0, a0, t2	*/
	0x01c282b3,	/*	add	t0, t0, t3	*/
	0xfff30313,	/*	addi	t1, t1, -1	*/
	0xfe0318e3,	/*	bnez	t1, 2b		*/
	0x00000073,	/*	ecall			*/
};

/* Stores the word a1 at a0. */
static const __u32 guest_store[] = {
	0x00b52023,	/*	sw	a1, 0(a0)	*/
	0x00000073,	/*	ecall			*/
};

/* Adds a1 to the word at a0 atomically, its old value into a2. */
static const __u32 guest_amo[] = {
	0x00b5262f,	/*	amoadd.w a2, a1, (a0)	*/
	0x00000073,	/*	ecall			*/
};

/* Loads the word at a0 into a1. */
static const __u32 guest_load[] = {
	0x00056583,	/*	lwu	a1, 0(a0)	*/
	0x00000073,	/*	ecall			*/
};

/* Stores a1, a1 + 1, ... to a2 words from a0 on. */
static const __u32 guest_fill[] = {
	0x00b52023,	/* 1:	sw	a1, 0(a0)	*/
	0x00450513,	/*	addi	a0, a0, 4	*/
	0x00158593,	/*	addi	a1, a1, 1	*/
	0xfff60613,	/*	addi	a2, a2, -1	*/
	0xfe0618e3,	/*	bnez	a2, 1b		*/
	0x00000073,	/*	ecall			*/
};

/* Loads the word at a0 into a1, forever. */
static const __u32 guest_spin[] = {
	0x00056583,	/* 1:	lwu	a1, 0(a0)	*/
	0xffdff06f,	/*	j	1b		*/
};

/* Counts a0 down to 0. */
static const __u32 guest_countdown[] = {
	0xfff50513,	/* 1:	addi	a0, a0, -1	*/
	0xfe051ee3,	/*	bnez	a0, 1b		*/
	0x00000073,	/*	ecall			*/
};

/* Jumps to a0. */
static const __u32 guest_jump[] = {
	0x00050067,	/*	jr	a0		*/
};

static const __u32 guest_wfi[] = {
	0x10500073,	/*	wfi			*/
};

/* The all-zero word is illegal in every RISC-V encoding. */
static const __u32 guest_illegal[] = {
	0x00000000,	/*	.word	0		*/
};

/* a0 = 0x123 + 0x456 */
static const __u32 guest_ecall[] = {
	0x12300513,	/*	li	a0, 0x123	*/
	0x45650513,	/*	addi	a0, a0, 0x456	*/
	0x00000073,	/*	ecall			*/
};

FIXTURE(riscv) {
	struct gas_guest g;
	__u64 data;
	struct gaspace_riscv_info info;
	struct gaspace_riscv_run run;
};

/* One G-stage mode: gpa_bits 41 Sv39x4, 50 Sv48x4, 59 Sv57x4. */
FIXTURE_VARIANT(riscv) {
	unsigned int gpa_bits;
};

FIXTURE_VARIANT_ADD(riscv, sv39x4) {
	.gpa_bits = 41,
};

FIXTURE_VARIANT_ADD(riscv, sv48x4) {
	.gpa_bits = 50,
};

FIXTURE_VARIANT_ADD(riscv, sv57x4) {
	.gpa_bits = 59,
};

#define riscv_guest(code) \
	gas_guest_load_code(_metadata, &self->g, code, sizeof(code))

/*
 * First in every test: the 6.1 harness runs a test's body even when its
 * FIXTURE_SETUP skipped, so the body returns here then (reported as SKIP).
 */
#define RISCV_NEED_SETUP() do {						\
	if (_metadata->skip)						\
		return;							\
} while (0)

/* Runs the guest; 0 or the ioctl's negative errno. */
#define riscv_run() gas_guest_run(&self->g)

/* Byte offset of the instruction word @index of the guest's code */
#define INSN(index)	((index) * 4ULL)

/* The run ended at the ECALL at byte @offset of the guest's code. */
#define ASSERT_ECALL(offset) do {					\
	ASSERT_EQ((__u64)GASPACE_RISCV_EXIT_ECALL, self->run.exit_reason)\
		TH_LOG("exit %llu scause %llu stval 0x%llx htval 0x%llx pc 0x%llx error %d", \
		       self->run.exit_reason, self->run.scause,		\
		       self->run.stval, self->run.htval,		\
		       self->run.regs.pc, self->run.error);		\
	ASSERT_EQ((__u64)CAUSE_ECALL_VS, self->run.scause);		\
	ASSERT_EQ(0, self->run.error);					\
	ASSERT_EQ((__u64)(GUEST_CODE + (offset)), self->run.regs.pc);	\
} while (0)

static void riscv_at_call(struct __test_metadata *_metadata,
			  const struct gas_guest *g, size_t len)
{
	struct _test_data_riscv *self = g->self;

	ASSERT_ECALL(len - INSN(1));
}

/*
 * A fault gaspace refused: the guest-page fault of the access, its gpa
 * shifted right by 2 in htval.
 */
static void riscv_refused(struct __test_metadata *_metadata,
			  const struct gas_guest *g, __u64 gpa, __u32 access)
{
	struct _test_data_riscv *self = g->self;
	__u64 cause = access == GASPACE_PROT_EXEC ? CAUSE_FETCH_GPF :
		      access == GASPACE_PROT_WRITE ? CAUSE_STORE_GPF :
		      CAUSE_LOAD_GPF;

	ASSERT_EQ((__u64)GASPACE_RISCV_EXIT_FAULT, self->run.exit_reason)
		TH_LOG("exit %llu scause %llu pc 0x%llx",
		       self->run.exit_reason, self->run.scause,
		       self->run.regs.pc);
	EXPECT_EQ(cause, self->run.scause);
	EXPECT_EQ(gpa >> 2, self->run.htval);
}

static void riscv_halted(struct __test_metadata *_metadata,
			 const struct gas_guest *g)
{
	struct _test_data_riscv *self = g->self;

	ASSERT_EQ((__u64)GASPACE_RISCV_EXIT_WFI, self->run.exit_reason)
		TH_LOG("scause %llu stval 0x%llx", self->run.scause,
		       self->run.stval);
}

/* The index of register @r among the run's, from ra on */
#define RV(r)	(offsetof(struct gaspace_riscv_regs, r) / 8 - 1)

static const struct gas_guest_ops riscv_ops = {
	.prog = {
		[GAS_GUEST_SUM] = GAS_GUEST_PROGRAM(guest_sum, RV(a0),
				GAS_GUEST_NONE, RV(a1), RV(a0)),
		[GAS_GUEST_FILL] = GAS_GUEST_PROGRAM(guest_fill, RV(a0),
				RV(a1), RV(a2), GAS_GUEST_NONE),
		[GAS_GUEST_LOAD] = GAS_GUEST_PROGRAM(guest_load, RV(a0),
				GAS_GUEST_NONE, GAS_GUEST_NONE, RV(a1)),
		[GAS_GUEST_STORE] = GAS_GUEST_PROGRAM(guest_store, RV(a0),
				RV(a1), GAS_GUEST_NONE, GAS_GUEST_NONE),
		[GAS_GUEST_SPIN] = GAS_GUEST_PROGRAM(guest_spin, RV(a0),
				GAS_GUEST_NONE, GAS_GUEST_NONE, RV(a1)),
		[GAS_GUEST_JUMP] = GAS_GUEST_JUMPS(guest_jump, RV(a0)),
		[GAS_GUEST_HALT] = GAS_GUEST_PLAIN(guest_wfi),
	},
	.at_call = riscv_at_call,
	.refused = riscv_refused,
	.halted = riscv_halted,
};

FIXTURE_SETUP(riscv)
{
	const char *why = NULL;

	gas_guest_init(&self->g, &riscv_ops, self, self->run, ra, pc,
		       GASPACE_RISCV_RUN);
	self->g.sample = gas_guest_open(GASPACE_RISCV_DEVICE,
					"gaspace_riscv.ko (samples/riscv)",
					GASPACE_RISCV_GET_INFO, &self->info,
					sizeof(self->info), &why);
	if (self->g.sample < 0)
		SKIP(return, "%s", why);
	if (!(self->info.flags & GASPACE_RISCV_HAVE_H))
		SKIP(return, "the hart has no hypervisor (H) extension");
	if (!(self->info.gpa_bits_mask & (1ULL << variant->gpa_bits)))
		SKIP(return, "hgatp has no mode for gpa_bits %u (mask 0x%llx)",
		     variant->gpa_bits,
		     (unsigned long long)self->info.gpa_bits_mask);
	/*
	 * Root entry 512, the first of the "x4" ones; not the top half of
	 * the space, which QEMU 7.2 does not translate (see DATA_SHIFT).
	 */
	self->data = 1ULL << (variant->gpa_bits - DATA_SHIFT);
	gas_guest_space(_metadata, &self->g, GASPACE_FMT_RISCV_G,
			variant->gpa_bits, 1ULL << variant->gpa_bits, NX_SIZE,
			self->data);
}

FIXTURE_TEARDOWN(riscv)
{
	gas_guest_teardown(&self->g);
}

/* Every lazy data page is faulted in through the hook, exactly once. */
TEST_F(riscv, sum_lazy_pages)
{
	RISCV_NEED_SETUP();

	gas_guest_sum_lazy_pages(_metadata, &self->g);

	/* a second run over the same pages takes no fault */
	gas_guest_sum_again(_metadata, &self->g);
}

/* What the guest writes, pread sees; what pwrite writes, the guest reads. */
TEST_F(riscv, write_then_pread)
{
	RISCV_NEED_SETUP();

	gas_guest_write_then_pread(_metadata, &self->g);
}

/* After UNMAP the guest's access ends the run with -ENOENT at its gpa. */
TEST_F(riscv, access_after_unmap)
{
	RISCV_NEED_SETUP();

	gas_guest_access_after_unmap(_metadata, &self->g);
}

/*
 * UNMAP while the guest spins on the page: the notifier flushes every
 * hart's G-stage TLB (the guest's hart leaves the guest for the IPI), so
 * the next access faults and ends the run.
 */
TEST_F(riscv, unmap_while_running)
{
	RISCV_NEED_SETUP();

	gas_guest_unmap_while_running(_metadata, &self->g, 0);
}

/* A write to a page PROTECT made read-only ends the run with -EACCES. */
TEST_F(riscv, write_after_protect)
{
	RISCV_NEED_SETUP();

	gas_guest_write_after_protect(_metadata, &self->g);
	EXPECT_EQ(0ULL, self->run.nr_faults);
}

/* An instruction fetch from a non-executable area ends with -EACCES. */
TEST_F(riscv, fetch_from_nx_area)
{
	RISCV_NEED_SETUP();

	/* a lazy page, no leaf; a populated one, a valid leaf without X */
	gas_guest_fetch_from_nx(_metadata, &self->g);
}

/* A lazy 2 MiB frame comes in on one fault and backs the whole block. */
TEST_F(riscv, huge_frame)
{
	RISCV_NEED_SETUP();

	gas_guest_huge_frame(_metadata, &self->g, self->data + HUGE_OFFSET);
}

/*
 * A linear area over a host buffer (one populated frame of another
 * space): the guest reads and writes host memory, with no fault.
 */
TEST_F(riscv, linear_host_buffer)
{
	RISCV_NEED_SETUP();

	gas_guest_linear(_metadata, &self->g, self->data + LINEAR_OFFSET, 0);
}

/* DEVICE changes no leaf bit on RISC-V (PMAs type memory): RAM as usual. */
TEST_F(riscv, linear_device_memory)
{
	RISCV_NEED_SETUP();

	gas_guest_linear(_metadata, &self->g, self->data + LINEAR_OFFSET,
			 GASPACE_MAP_DEVICE);
}

/* ECALL ends the run with a0, pc at the ECALL. */
TEST_F(riscv, ecall_ends_run)
{
	RISCV_NEED_SETUP();

	riscv_guest(guest_ecall);
	self->run.regs.a0 = 0x5555;
	self->run.regs.t6 = 0x6666;
	ASSERT_EQ(0, riscv_run());
	ASSERT_ECALL(INSN(2));
	EXPECT_EQ(0x579ULL, self->run.regs.a0);
	EXPECT_EQ(0x6666ULL, self->run.regs.t6);	/* the rest is kept */
	/* the ECALL's exit, and any a host interrupt added before it */
	EXPECT_LE(1ULL, self->run.nr_exits);
	EXPECT_EQ(0ULL, self->run.nr_faults);
}

/*
 * Every register the runner gives goes into the guest and comes back out:
 * switch.S loads and stores x1..x31, gp and tp included (the host's own
 * come back after the exit, or the kernel would not survive the test).
 */
TEST_F(riscv, registers_round_trip)
{
	__u64 *regs = &self->run.regs.ra;
	unsigned int i;

	RISCV_NEED_SETUP();

	riscv_guest(guest_ecall);
	self->run.regs.pc = GUEST_CODE + INSN(2);	/* the ECALL alone */
	for (i = 0; i < 31; i++)
		regs[i] = 0x0123456789abcdefULL ^ ((__u64)(i + 1) << 56);
	ASSERT_EQ(0, riscv_run());
	ASSERT_ECALL(INSN(2));
	for (i = 0; i < 31; i++) {
		EXPECT_EQ(0x0123456789abcdefULL ^ ((__u64)(i + 1) << 56),
			  regs[i]) TH_LOG("x%u", i + 1);
	}
	/* host interrupts may add exits: the registers survive them too */
	EXPECT_LE(1ULL, self->run.nr_exits);
}

/* An AMO on a lazy page is a store/AMO guest-page fault: WRITE. */
TEST_F(riscv, amo_on_lazy_page)
{
	__u64 gpa = self->data + 11 * PAGE_4K + 0x80;

	RISCV_NEED_SETUP();

	riscv_guest(guest_amo);
	self->run.regs.a0 = gpa;
	self->run.regs.a1 = 41;
	self->run.regs.a2 = 0x5555;
	ASSERT_EQ(0, riscv_run());
	ASSERT_ECALL(INSN(1));
	EXPECT_EQ(1ULL, self->run.nr_faults);
	EXPECT_EQ(0ULL, self->run.regs.a2);
	EXPECT_EQ(41ULL, gas_guest_peek(self->g.as, gpa));

	/* read-only: the AMO is refused as a write */
	ASSERT_EQ(0, gas_protect(self->g.as, self->data + 11 * PAGE_4K, PAGE_4K,
				 GAS_PROT_R));
	riscv_guest(guest_amo);
	self->run.regs.a0 = gpa;
	self->run.regs.a1 = 1;
	ASSERT_EQ(0, riscv_run());
	gas_guest_refused(_metadata, &self->g, -EACCES, gpa,
			  GASPACE_PROT_WRITE);
	EXPECT_EQ(41ULL, gas_guest_peek(self->g.as, gpa));
}

/* WFI ends the run (hstatus.VTW), pc at the WFI. */
TEST_F(riscv, wfi_ends_run)
{
	RISCV_NEED_SETUP();

	gas_guest_halt_ends_run(_metadata, &self->g);
	EXPECT_TRUE(self->run.scause == CAUSE_VIRTUAL_INSN ||
		    self->run.scause == CAUSE_ILLEGAL_INSN);
}

/* An illegal instruction ends the run as a trap, pc at the instruction. */
TEST_F(riscv, illegal_instruction_ends_run)
{
	RISCV_NEED_SETUP();

	riscv_guest(guest_illegal);
	ASSERT_EQ(0, riscv_run());
	EXPECT_EQ((__u64)GASPACE_RISCV_EXIT_TRAP, self->run.exit_reason);
	EXPECT_EQ((__u64)CAUSE_ILLEGAL_INSN, self->run.scause);
	EXPECT_EQ(0, self->run.error);
	EXPECT_EQ(GUEST_CODE, self->run.regs.pc);
}

/*
 * A guest that runs for a while: host interrupts (the timer at least)
 * leave the guest and it resumes where it was.
 */
TEST_F(riscv, interrupts_resume_guest)
{
	RISCV_NEED_SETUP();

	riscv_guest(guest_countdown);
	self->run.regs.a0 = 50 * 1000 * 1000;
	ASSERT_EQ(0, riscv_run());
	ASSERT_ECALL(INSN(2));
	EXPECT_EQ(0ULL, self->run.regs.a0);
	TH_LOG("%llu exits", (unsigned long long)self->run.nr_exits);
}

static void on_alarm(int sig)
{
}

/* A guest that never stops: a signal ends the run with -EINTR. */
TEST_F(riscv, signal_interrupts_run)
{
	struct itimerval it = { .it_value = { .tv_usec = 200 * 1000 } };
	struct sigaction sa = { .sa_handler = on_alarm };

	RISCV_NEED_SETUP();

	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	gas_guest_load(_metadata, &self->g, GAS_GUEST_SPIN, self->data, 0, 0);
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL));
	EXPECT_EQ(-EINTR, riscv_run());
	signal(SIGALRM, SIG_DFL);
}

/* Bad input: a clear errno and nothing run. */
TEST_F(riscv, bad_run_arguments)
{
	static const unsigned int widths[] = { 41, 50, 59 };
	unsigned int i;
	int other;

	RISCV_NEED_SETUP();

	/* another format (NPT, then Arm's) even of a width hgatp has */
	gas_guest_bad_run(_metadata, &self->g, GASPACE_FMT_NPT);
	self->run.reserved[0] = 1;
	EXPECT_EQ(-EINVAL, riscv_run());
	self->run.reserved[0] = 0;
	self->run.as_fd = self->g.sample;
	EXPECT_EQ(-EBADF, riscv_run());

	other = gas_create(self->g.dev, GASPACE_FMT_ARM64_S2, 41, 0, SZ_2M);
	ASSERT_LE(0, other);
	self->run.as_fd = other;
	EXPECT_EQ(-EINVAL, riscv_run());
	gas_close_audited(other);

	/* a width hgatp does not have (none under QEMU: all three run) */
	for (i = 0; i < ARRAY_LEN(widths); i++) {
		if (self->info.gpa_bits_mask & (1ULL << widths[i]))
			continue;
		other = gas_create(self->g.dev, GASPACE_FMT_RISCV_G, widths[i],
				   0, SZ_2M);
		ASSERT_LE(0, other);
		self->run.as_fd = other;
		EXPECT_EQ(-EINVAL, riscv_run());
		gas_close_audited(other);
	}
	EXPECT_EQ(0ULL, self->info.gpa_bits_mask &
			~((1ULL << 41) | (1ULL << 50) | (1ULL << 59)));
	EXPECT_EQ(0ULL, self->run.nr_exits);
	EXPECT_EQ(-ENOTTY, gas_ioctl(self->g.sample, _IO(GASPACE_RISCV_IO, 0x7f), 0));
}

TEST_HARNESS_MAIN
