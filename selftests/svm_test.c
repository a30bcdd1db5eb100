// SPDX-License-Identifier: GPL-2.0
/*
 * svm_test: real guests on gaspace's NPT, run by the sample SVM hypervisor
 * module (samples/svm, /dev/gaspace_svm).  Every guest access goes through
 * the CPU's nested walker over gaspace's tables, and every nested page fault
 * through gaspace_handle_fault().
 *
 * Guests are 16-bit "big real mode" code (see gaspace_svm.h), pwritten into
 * an alloc area at GUEST_CODE; their bytes were assembled with GNU as
 * (.code16, Intel syntax) and are listed with the source next to them.
 *
 * Without the module or without SVM (a CPU that lacks it) every test skips
 * with the reason; `make check` asserts that they ran.
 */
#include "gaspace_util.h"
#define GAS_GUEST_X86_CALL	0xd9	/* vmmcall: 0f 01 d9 */
#include "gaspace_guest.h"
#include "kselftest_harness.h"
#include "../samples/svm/gaspace_svm.h"

#define SVM_EXIT_EXCP_UD	(0x40 + 6)
#define SVM_EXIT_HLT		0x78
#define SVM_EXIT_VMMCALL	0x81
#define SVM_EXIT_NPF		0x400

#define SPACE_SIZE		0x100000000ULL	/* 4 GiB: big real mode's reach */
#define GUEST_CODE		GAS_GUEST_CODE
#define NX_AREA			GAS_GUEST_NX_AREA /* RW: no instruction fetch */
#define NX_SIZE			0x8000ULL
#define DATA			0x100000ULL	/* lazy RW data */
#define DATA_PAGES		GAS_GUEST_DATA_PAGES
#define HUGE_GPA		0x400000ULL
#define LINEAR_GPA		0x800000ULL
#define USER_GPA		0x1000000ULL

/*
 * The guests' code, listed with its source: gaspace_guest.h has the
 * programs both x86 samples run, ending in VMMCALL here; these are SVM's.
 */

/* ud2 */
static const unsigned char guest_ud2[] = { 0x0f, 0x0b };

FIXTURE(svm) {
	struct gas_guest g;
	struct gaspace_svm_info info;
	struct gaspace_svm_run run;
};

/* Runs the guest; 0 or the ioctl's negative errno. */
#define svm_run() gas_guest_run(&self->g)

/* The run ended at the VMMCALL at @offset of the guest's code. */
#define ASSERT_VMMCALL(offset) do {					\
	ASSERT_EQ((__u64)SVM_EXIT_VMMCALL, self->run.exit_code)		\
		TH_LOG("exit 0x%llx info1 0x%llx info2 0x%llx error %d",\
		       self->run.exit_code, self->run.exit_info1,	\
		       self->run.exit_info2, self->run.error);		\
	ASSERT_EQ(0, self->run.error);					\
	ASSERT_EQ((__u64)(GUEST_CODE + (offset)), self->run.regs.rip);	\
} while (0)

static void svm_at_call(struct __test_metadata *_metadata,
			const struct gas_guest *g, size_t len)
{
	struct _test_data_svm *self = g->self;

	ASSERT_VMMCALL(len - GAS_X86_CALL_LEN);
}

/* A fault gaspace refused is a nested page fault's exit. */
static void svm_refused(struct __test_metadata *_metadata,
			const struct gas_guest *g, __u64 gpa, __u32 access)
{
	struct _test_data_svm *self = g->self;

	EXPECT_EQ((__u64)SVM_EXIT_NPF, self->run.exit_code);
}

static void svm_halted(struct __test_metadata *_metadata,
		       const struct gas_guest *g)
{
	struct _test_data_svm *self = g->self;

	ASSERT_EQ((__u64)SVM_EXIT_HLT, self->run.exit_code)
		TH_LOG("exit 0x%llx", self->run.exit_code);
}

static const struct gas_guest_ops svm_ops = {
	.prog = GAS_GUEST_X86_PROGRAMS,
	.result_mask = 0xffffffff,
	.at_call = svm_at_call,
	.refused = svm_refused,
	.halted = svm_halted,
};

FIXTURE_SETUP(svm)
{
	const char *why = NULL;

	gas_guest_init(&self->g, &svm_ops, self, self->run, rax, rip,
		       GASPACE_SVM_RUN);
	self->g.sample = gas_guest_open(GASPACE_SVM_DEVICE,
					"gaspace_svm.ko (samples/svm)",
					GASPACE_SVM_GET_INFO, &self->info,
					sizeof(self->info), &why);
	if (self->g.sample < 0)
		SKIP(return, "%s", why);
	if (!(self->info.flags & GASPACE_SVM_HAVE_SVM))
		SKIP(return, "the CPU has no SVM (AMD-V), or it is disabled");
	if (!(self->info.flags & GASPACE_SVM_HAVE_NPT))
		SKIP(return, "the CPU's SVM has no nested paging");
	gas_guest_space(_metadata, &self->g, GASPACE_FMT_NPT,
			self->info.gpa_bits, SPACE_SIZE, NX_SIZE, DATA);
}

FIXTURE_TEARDOWN(svm)
{
	gas_guest_teardown(&self->g);
}

/* Every lazy data page is faulted in through the hook, exactly once. */
TEST_F(svm, sum_lazy_pages)
{
	gas_guest_sum_lazy_pages(_metadata, &self->g);
}

/* A second run over the same pages takes no fault: they stay mapped. */
TEST_F(svm, mapped_pages_do_not_fault)
{
	gas_guest_sum(_metadata, &self->g, DATA, DATA_PAGES);
	ASSERT_EQ((__u64)DATA_PAGES, self->run.nr_faults);
	gas_guest_sum_again(_metadata, &self->g);
}

/* What the guest writes, pread sees; what pwrite writes, the guest reads. */
TEST_F(svm, write_then_pread)
{
	gas_guest_write_then_pread(_metadata, &self->g);
}

/* After UNMAP the guest's access ends the run with -ENOENT at its gpa. */
TEST_F(svm, access_after_unmap)
{
	gas_guest_access_after_unmap(_metadata, &self->g);
}

/*
 * UNMAP while the guest spins on the page: the notifier kicks the guest
 * out and flushes its TLB, so the next access faults and ends the run.
 */
TEST_F(svm, unmap_while_running)
{
	gas_guest_unmap_while_running(_metadata, &self->g, 0);
}

/* A write to a page PROTECT made read-only ends the run with -EACCES. */
TEST_F(svm, write_after_protect)
{
	gas_guest_write_after_protect(_metadata, &self->g);
}

/* A lazy 2 MiB frame comes in on one fault and backs the whole block. */
TEST_F(svm, huge_frame)
{
	gas_guest_huge_frame(_metadata, &self->g, HUGE_GPA);
}

/*
 * Guest RAM that is the VMM's own anonymous memory (MAP_USER): the guest's
 * stores land in the VMM's pages, with no fault (its leaves are there).
 */
TEST_F(svm, user_memory_ram)
{
	struct gaspace_map_user m = {
		.gpa = USER_GPA, .size = DATA_PAGES * PAGE_4K,
		.prot = GAS_PROT_RW,
	};
	__u32 *ram = mmap(NULL, m.size, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned int i;

	ASSERT_NE(MAP_FAILED, ram);
	m.uaddr = (uintptr_t)ram;
	ASSERT_EQ(0, gas_ioctl_ptr(self->g.as, GASPACE_MAP_USER, &m));
	gas_guest_sum(_metadata, &self->g, USER_GPA, DATA_PAGES);
	EXPECT_EQ(0ULL, self->run.nr_faults);
	for (i = 0; i < DATA_PAGES; i++) {
		EXPECT_EQ(DATA_PAGES - i, ram[i * PAGE_4K / 4]);
	}
	munmap(ram, m.size);
}

/* A linear area over a host buffer: the guest writes host memory. */
TEST_F(svm, linear_host_buffer)
{
	gas_guest_linear(_metadata, &self->g, LINEAR_GPA, 0);
}

/* An instruction fetch from a non-executable area ends with -EACCES. */
TEST_F(svm, fetch_from_nx_area)
{
	/* a lazy page, not present; then a populated one, NX in its leaf */
	gas_guest_fetch_from_nx(_metadata, &self->g);
	EXPECT_NE(0ULL, self->run.exit_info1 & 1) TH_LOG("present bit");
}

/* HLT ends the run, rip at the HLT. */
TEST_F(svm, hlt_ends_run)
{
	gas_guest_halt_ends_run(_metadata, &self->g);
}

/* A guest exception ends the run as exit 0x40 + vector. */
TEST_F(svm, exception_ends_run)
{
	gas_guest_load_code(_metadata, &self->g, guest_ud2, sizeof(guest_ud2));
	ASSERT_EQ(0, svm_run());
	EXPECT_EQ((__u64)SVM_EXIT_EXCP_UD, self->run.exit_code);
	EXPECT_EQ(GUEST_CODE, self->run.regs.rip);
}

/*
 * The host after a guest that loaded FS and GS: the kernel's per-CPU base
 * (GS) and the task's FS must be the host's again, so system calls, a
 * thread, a fork and another guest all work, with no oops in the log.
 */
TEST_F(svm, guest_segment_loads_leave_host_intact)
{
	gas_guest_x86_segment_loads(_metadata, &self->g);
}

/* The guest's GS is its own across a #VMEXIT and the next VMRUN. */
TEST_F(svm, guest_segments_survive_exits)
{
	gas_guest_x86_segments_survive(_metadata, &self->g);
}

/* Bad input: a clear errno and nothing run. */
TEST_F(svm, bad_run_arguments)
{
	unsigned int other_bits = self->info.gpa_bits == 57 ? 48 : 57;
	int other;

	gas_guest_bad_run(_metadata, &self->g, GASPACE_FMT_EPT);

	/* the nested walk has the host's depth: the other one is refused */
	other = gas_create(self->g.dev, GASPACE_FMT_NPT, other_bits, 0, SZ_2M);
	ASSERT_LE(0, other);
	self->run.as_fd = other;
	EXPECT_EQ(-EINVAL, svm_run());
	gas_close_audited(other);
	EXPECT_EQ(-ENOTTY, gas_ioctl(self->g.sample, _IO(GASPACE_SVM_IO, 0x7f),
				     0));
}

TEST_HARNESS_MAIN
