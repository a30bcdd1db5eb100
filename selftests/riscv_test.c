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
#include <pthread.h>
#include <signal.h>
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

#define CODE_AREA		0x0ULL		/* RWX, the guest's code */
#define CODE_SIZE		0x8000ULL
#define GUEST_CODE		0x1000ULL
#define NX_AREA			0x8000ULL	/* RW: no instruction fetch */
#define NX_SIZE			0x8000ULL
#define DATA_PAGES		64
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

static int riscv_open(struct gaspace_riscv_info *info, const char **why)
{
	int fd = gas_guest_open(GASPACE_RISCV_DEVICE,
				"gaspace_riscv.ko (samples/riscv)",
				GASPACE_RISCV_GET_INFO, info, sizeof(*info),
				why);

	if (fd < 0)
		return -1;
	if (!(info->flags & GASPACE_RISCV_HAVE_H)) {
		*why = "the hart has no hypervisor (H) extension";
		close(fd);
		return -1;
	}
	return fd;
}

FIXTURE(riscv) {
	int dev;
	int rv;
	int as;
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

FIXTURE_SETUP(riscv)
{
	const char *why = NULL;

	self->dev = -1;
	self->as = -1;
	self->rv = riscv_open(&self->info, &why);
	if (self->rv < 0)
		SKIP(return, "%s", why);
	if (!(self->info.gpa_bits_mask & (1ULL << variant->gpa_bits)))
		SKIP(return, "hgatp has no mode for gpa_bits %u (mask 0x%llx)",
		     variant->gpa_bits,
		     (unsigned long long)self->info.gpa_bits_mask);
	self->dev = gas_open_dev();
	ASSERT_LE(0, self->dev);
	self->as = gas_create(self->dev, GASPACE_FMT_RISCV_G,
			      variant->gpa_bits, 0, 1ULL << variant->gpa_bits);
	ASSERT_LE(0, self->as) TH_LOG("RISCV_G space of %u bits",
				      variant->gpa_bits);
	/*
	 * Root entry 512, the first of the "x4" ones; not the top half of
	 * the space, which QEMU 7.2 does not translate (see DATA_SHIFT).
	 */
	self->data = 1ULL << (variant->gpa_bits - DATA_SHIFT);
	ASSERT_EQ(0, gas_map_alloc(self->as, CODE_AREA, CODE_SIZE,
				   GAS_PROT_RWX, 0));
	ASSERT_EQ(0, gas_map_alloc(self->as, NX_AREA, NX_SIZE, GAS_PROT_RW, 0));
	ASSERT_EQ(0, gas_map_alloc(self->as, self->data, DATA_PAGES * PAGE_4K,
				   GAS_PROT_RW, 0));
}

FIXTURE_TEARDOWN(riscv)
{
	gas_guest_close(self->as, self->dev, self->rv);
}

/*
 * Loads @code at GUEST_CODE of @as and resets @run to start it there;
 * 0 or a negative errno.
 */
static int riscv_load(int as, struct gaspace_riscv_run *run, const void *code,
		      size_t len)
{
	if (pwrite(as, code, len, GUEST_CODE) != (ssize_t)len)
		return -EIO;
	memset(run, 0, sizeof(*run));
	run->as_fd = as;
	run->regs.pc = GUEST_CODE;
	return 0;
}

#define riscv_guest(code) \
	ASSERT_EQ(0, riscv_load(self->as, &self->run, code, sizeof(code)))

/*
 * First in every test: the 6.1 harness runs a test's body even when its
 * FIXTURE_SETUP skipped, so the body returns here then (reported as SKIP).
 */
#define RISCV_NEED_SETUP() do {						\
	if (_metadata->skip)						\
		return;							\
} while (0)

/* Runs the guest; 0 or the ioctl's negative errno. */
#define riscv_run() gas_ioctl_ptr(self->rv, GASPACE_RISCV_RUN, &self->run)

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

/* The run ended on a guest-page fault gaspace refused. */
#define ASSERT_REFUSED(err, at, acc, cause) do {			\
	__u64 _at = (at);						\
									\
	ASSERT_EQ((__u64)GASPACE_RISCV_EXIT_FAULT, self->run.exit_reason)\
		TH_LOG("exit %llu scause %llu pc 0x%llx",		\
		       self->run.exit_reason, self->run.scause,		\
		       self->run.regs.pc);				\
	EXPECT_EQ(err, self->run.error);				\
	EXPECT_EQ(_at, self->run.gpa);					\
	EXPECT_EQ((__u64)(acc), self->run.access);			\
	EXPECT_EQ((__u64)(cause), self->run.scause);			\
	EXPECT_EQ(_at >> 2, self->run.htval);				\
} while (0)

/* Every lazy data page is faulted in through the hook, exactly once. */
TEST_F(riscv, sum_lazy_pages)
{
	unsigned int i;
	__u64 pages;

	RISCV_NEED_SETUP();

	riscv_guest(guest_sum);
	pages = gas_guest_data_pages(self->as);
	self->run.regs.a0 = self->data;
	self->run.regs.a1 = DATA_PAGES;
	ASSERT_EQ(0, riscv_run());
	ASSERT_ECALL(INSN(15));
	EXPECT_EQ(DATA_PAGES * (DATA_PAGES + 1ULL) / 2, self->run.regs.a0);
	EXPECT_EQ((__u64)DATA_PAGES, self->run.nr_faults);
	EXPECT_EQ(pages + DATA_PAGES, gas_guest_data_pages(self->as));
	for (i = 0; i < DATA_PAGES; i++) {
		EXPECT_EQ(DATA_PAGES - i,
			  gas_guest_peek(self->as, self->data + i * PAGE_4K));
	}

	/* a second run over the same pages takes no fault */
	riscv_guest(guest_sum);
	self->run.regs.a0 = self->data;
	self->run.regs.a1 = DATA_PAGES;
	ASSERT_EQ(0, riscv_run());
	ASSERT_ECALL(INSN(15));
	EXPECT_EQ(0ULL, self->run.nr_faults);
}

/* What the guest writes, pread sees; what pwrite writes, the guest reads. */
TEST_F(riscv, write_then_pread)
{
	__u32 buf[300];
	unsigned int i;

	RISCV_NEED_SETUP();

	riscv_guest(guest_fill);
	self->run.regs.a0 = self->data + PAGE_4K - 400;	/* across two pages */
	self->run.regs.a1 = 0x1000;
	self->run.regs.a2 = ARRAY_LEN(buf);
	ASSERT_EQ(0, riscv_run());
	ASSERT_ECALL(INSN(5));
	EXPECT_EQ(2ULL, self->run.nr_faults);
	ASSERT_EQ((ssize_t)sizeof(buf),
		  pread(self->as, buf, sizeof(buf),
			self->data + PAGE_4K - 400));
	for (i = 0; i < ARRAY_LEN(buf); i++) {
		EXPECT_EQ(0x1000 + i, buf[i]);
	}

	gas_guest_poke(self->as, self->data + 5 * PAGE_4K + 8, 0xc0ffee11);
	riscv_guest(guest_load);
	self->run.regs.a0 = self->data + 5 * PAGE_4K + 8;
	ASSERT_EQ(0, riscv_run());
	ASSERT_ECALL(INSN(1));
	EXPECT_EQ(0xc0ffee11ULL, self->run.regs.a1);
	EXPECT_EQ(0ULL, self->run.nr_faults);
}

/* After UNMAP the guest's access ends the run with -ENOENT at its gpa. */
TEST_F(riscv, access_after_unmap)
{
	__u64 gpa = self->data + 3 * PAGE_4K + 0x124;

	RISCV_NEED_SETUP();

	gas_guest_poke(self->as, gpa, 77);
	riscv_guest(guest_load);
	self->run.regs.a0 = gpa;
	ASSERT_EQ(0, riscv_run());
	ASSERT_ECALL(INSN(1));
	ASSERT_EQ(77ULL, self->run.regs.a1);

	ASSERT_EQ(0, gas_unmap(self->as, self->data + 3 * PAGE_4K, PAGE_4K));
	riscv_guest(guest_load);
	self->run.regs.a0 = gpa;
	ASSERT_EQ(0, riscv_run());
	ASSERT_REFUSED(-ENOENT, gpa, GASPACE_PROT_READ, CAUSE_LOAD_GPF);
	EXPECT_EQ(GUEST_CODE, self->run.regs.pc);
	EXPECT_EQ(0ULL, self->run.nr_faults);
}

/*
 * UNMAP while the guest spins on the page: the notifier flushes every
 * hart's G-stage TLB (the guest's hart leaves the guest for the IPI), so
 * the next access faults and ends the run.
 */
TEST_F(riscv, unmap_while_running)
{
	struct gas_unmap_later u = {
		.as = self->as, .gpa = self->data + 7 * PAGE_4K,
	};
	pthread_t thread;
	void *ret;

	RISCV_NEED_SETUP();

	gas_guest_poke(self->as, u.gpa, 5);
	riscv_guest(guest_spin);
	self->run.regs.a0 = u.gpa;
	ASSERT_EQ(0, pthread_create(&thread, NULL, gas_unmap_later, &u));
	ASSERT_EQ(0, riscv_run());
	ASSERT_EQ(0, pthread_join(thread, &ret));
	EXPECT_EQ(0, (long)ret);
	ASSERT_REFUSED(-ENOENT, u.gpa, GASPACE_PROT_READ, CAUSE_LOAD_GPF);
	EXPECT_EQ(5ULL, self->run.regs.a1);
	EXPECT_EQ(GUEST_CODE, self->run.regs.pc);
}

/* A write to a page PROTECT made read-only ends the run with -EACCES. */
TEST_F(riscv, write_after_protect)
{
	__u64 gpa = self->data + 9 * PAGE_4K + 0x40;

	RISCV_NEED_SETUP();

	riscv_guest(guest_store);
	self->run.regs.a0 = gpa;
	self->run.regs.a1 = 1234;
	ASSERT_EQ(0, riscv_run());
	ASSERT_ECALL(INSN(1));
	ASSERT_EQ(1ULL, self->run.nr_faults);

	ASSERT_EQ(0, gas_protect(self->as, self->data + 9 * PAGE_4K, PAGE_4K,
				 GAS_PROT_R));
	riscv_guest(guest_store);
	self->run.regs.a0 = gpa;
	self->run.regs.a1 = 5678;
	ASSERT_EQ(0, riscv_run());
	ASSERT_REFUSED(-EACCES, gpa, GASPACE_PROT_WRITE, CAUSE_STORE_GPF);
	EXPECT_EQ(1234ULL, gas_guest_peek(self->as, gpa));

	/* reading the page is still allowed */
	riscv_guest(guest_load);
	self->run.regs.a0 = gpa;
	ASSERT_EQ(0, riscv_run());
	ASSERT_ECALL(INSN(1));
	EXPECT_EQ(1234ULL, self->run.regs.a1);
	EXPECT_EQ(0ULL, self->run.nr_faults);
}

/* An instruction fetch from a non-executable area ends with -EACCES. */
TEST_F(riscv, fetch_from_nx_area)
{
	RISCV_NEED_SETUP();

	/* lazy page: no leaf */
	riscv_guest(guest_jump);
	self->run.regs.a0 = NX_AREA;
	ASSERT_EQ(0, riscv_run());
	ASSERT_REFUSED(-EACCES, NX_AREA, GASPACE_PROT_EXEC, CAUSE_FETCH_GPF);
	EXPECT_EQ(NX_AREA, self->run.regs.pc);

	/* populated page: a valid leaf without X */
	ASSERT_EQ((ssize_t)sizeof(guest_wfi),
		  pwrite(self->as, guest_wfi, sizeof(guest_wfi), NX_AREA));
	riscv_guest(guest_jump);
	self->run.regs.a0 = NX_AREA;
	ASSERT_EQ(0, riscv_run());
	ASSERT_REFUSED(-EACCES, NX_AREA, GASPACE_PROT_EXEC, CAUSE_FETCH_GPF);
	EXPECT_EQ(NX_AREA, self->run.regs.pc);
}

/* A lazy 2 MiB frame comes in on one fault and backs the whole block. */
TEST_F(riscv, huge_frame)
{
	__u64 gpa = self->data + HUGE_OFFSET;
	struct gaspace_translation t;
	__u64 pages;
	unsigned int i;

	RISCV_NEED_SETUP();

	ASSERT_EQ(0, gas_map_alloc(self->as, gpa, SZ_2M, GAS_PROT_RW,
				   GASPACE_MAP_HUGE));
	riscv_guest(guest_sum);
	pages = gas_guest_data_pages(self->as);
	self->run.regs.a0 = gpa;
	self->run.regs.a1 = SZ_2M / PAGE_4K;
	ASSERT_EQ(0, riscv_run());
	ASSERT_ECALL(INSN(15));
	EXPECT_EQ(512ULL * 513 / 2, self->run.regs.a0);
	ASSERT_EQ(0, gas_translate(self->as, gpa + 0x12345, &t));
	if (t.page_size != SZ_2M)
		SKIP(return, "no order-9 frame was free: 4 KiB pages used");
	EXPECT_EQ(1ULL, self->run.nr_faults);
	EXPECT_EQ(pages + 512, gas_guest_data_pages(self->as));
	for (i = 0; i < 512; i += 37) {
		EXPECT_EQ(512 - i, gas_guest_peek(self->as, gpa + i * PAGE_4K));
	}
}

/*
 * A linear area of @flags over a host buffer (one populated frame of
 * another space): the guest reads and writes host memory, with no fault.
 * @self is the fixture's data, FIXTURE_DATA(riscv).
 */
static void linear_host_buffer(struct __test_metadata *_metadata,
			       struct _test_data_riscv *self, __u32 flags)
{
	__u64 gpa = self->data + LINEAR_OFFSET;
	struct gaspace_translation t;
	char old[16] = "";
	int host, ret;

	host = gas_create(self->dev, GASPACE_FMT_RISCV_G, 0, 0, SZ_2M);
	ASSERT_LE(0, host);
	ASSERT_EQ(0, gas_map_alloc(host, 0, PAGE_4K, GAS_PROT_RW,
				   GASPACE_MAP_POPULATE));
	ASSERT_EQ(0, gas_translate(host, 0, &t));
	ASSERT_NE(0ULL, t.hpa) TH_LOG("TRANSLATE hides hpa: CAP_SYS_ADMIN?");
	gas_guest_poke(host, 0x10, 0xfeedf00d);

	ASSERT_EQ(0, gas_read_string(GASPACE_PARAM("linear_ram"), old,
				     sizeof(old)));
	ASSERT_EQ(0, gas_write_string(GASPACE_PARAM("linear_ram"), "1"));
	ret = gas_map_linear(self->as, gpa, PAGE_4K, t.hpa, GAS_PROT_RW, flags);
	gas_write_string(GASPACE_PARAM("linear_ram"), old);
	ASSERT_EQ(0, ret);

	riscv_guest(guest_load);
	self->run.regs.a0 = gpa + 0x10;
	ASSERT_EQ(0, riscv_run());
	ASSERT_ECALL(INSN(1));
	EXPECT_EQ(0xfeedf00dULL, self->run.regs.a1);

	riscv_guest(guest_store);
	self->run.regs.a0 = gpa + 0x20;
	self->run.regs.a1 = 0x5a5a1234;
	ASSERT_EQ(0, riscv_run());
	ASSERT_ECALL(INSN(1));
	EXPECT_EQ(0ULL, self->run.nr_faults);	/* linear never faults */
	EXPECT_EQ(0x5a5a1234ULL, gas_guest_peek(host, 0x20));

	/* unmap the linear view before the frame's owner goes */
	ASSERT_EQ(0, gas_unmap(self->as, gpa, PAGE_4K));
	close(host);
}

TEST_F(riscv, linear_host_buffer)
{
	RISCV_NEED_SETUP();

	linear_host_buffer(_metadata, self, 0);
}

/* DEVICE changes no leaf bit on RISC-V (PMAs type memory): RAM as usual. */
TEST_F(riscv, linear_device_memory)
{
	RISCV_NEED_SETUP();

	linear_host_buffer(_metadata, self, GASPACE_MAP_DEVICE);
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
	EXPECT_EQ(41ULL, gas_guest_peek(self->as, gpa));

	/* read-only: the AMO is refused as a write */
	ASSERT_EQ(0, gas_protect(self->as, self->data + 11 * PAGE_4K, PAGE_4K,
				 GAS_PROT_R));
	riscv_guest(guest_amo);
	self->run.regs.a0 = gpa;
	self->run.regs.a1 = 1;
	ASSERT_EQ(0, riscv_run());
	ASSERT_REFUSED(-EACCES, gpa, GASPACE_PROT_WRITE, CAUSE_STORE_GPF);
	EXPECT_EQ(41ULL, gas_guest_peek(self->as, gpa));
}

/* WFI ends the run (hstatus.VTW), pc at the WFI. */
TEST_F(riscv, wfi_ends_run)
{
	RISCV_NEED_SETUP();

	riscv_guest(guest_wfi);
	ASSERT_EQ(0, riscv_run());
	EXPECT_EQ((__u64)GASPACE_RISCV_EXIT_WFI, self->run.exit_reason)
		TH_LOG("scause %llu stval 0x%llx", self->run.scause,
		       self->run.stval);
	EXPECT_TRUE(self->run.scause == CAUSE_VIRTUAL_INSN ||
		    self->run.scause == CAUSE_ILLEGAL_INSN);
	EXPECT_EQ(0, self->run.error);
	EXPECT_EQ(GUEST_CODE, self->run.regs.pc);
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
	riscv_guest(guest_spin);
	self->run.regs.a0 = self->data;
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

	riscv_guest(guest_wfi);
	self->run.flags = 1;
	EXPECT_EQ(-EINVAL, riscv_run());
	self->run.flags = 0;
	self->run.reserved[3] = 1;
	EXPECT_EQ(-EINVAL, riscv_run());
	self->run.reserved[3] = 0;
	self->run.reserved[0] = 1;
	EXPECT_EQ(-EINVAL, riscv_run());
	self->run.reserved[0] = 0;
	self->run.as_fd = self->dev;
	EXPECT_EQ(-EBADF, riscv_run());
	self->run.as_fd = self->rv;
	EXPECT_EQ(-EBADF, riscv_run());
	self->run.as_fd = -1;
	EXPECT_EQ(-EBADF, riscv_run());

	/* another format, even of a width hgatp has */
	other = gas_create(self->dev, GASPACE_FMT_NPT, 0, 0, SZ_2M);
	ASSERT_LE(0, other);
	self->run.as_fd = other;
	EXPECT_EQ(-EINVAL, riscv_run());
	close(other);
	other = gas_create(self->dev, GASPACE_FMT_ARM64_S2, 41, 0, SZ_2M);
	ASSERT_LE(0, other);
	self->run.as_fd = other;
	EXPECT_EQ(-EINVAL, riscv_run());
	close(other);

	/* a width hgatp does not have (none under QEMU: all three run) */
	for (i = 0; i < ARRAY_LEN(widths); i++) {
		if (self->info.gpa_bits_mask & (1ULL << widths[i]))
			continue;
		other = gas_create(self->dev, GASPACE_FMT_RISCV_G, widths[i],
				   0, SZ_2M);
		ASSERT_LE(0, other);
		self->run.as_fd = other;
		EXPECT_EQ(-EINVAL, riscv_run());
		close(other);
	}
	EXPECT_EQ(0ULL, self->info.gpa_bits_mask &
			~((1ULL << 41) | (1ULL << 50) | (1ULL << 59)));
	EXPECT_EQ(0ULL, self->run.nr_exits);
	EXPECT_EQ(-ENOTTY, gas_ioctl(self->rv, _IO(GASPACE_RISCV_IO, 0x7f), 0));
}

TEST_HARNESS_MAIN
