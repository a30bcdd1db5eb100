// SPDX-License-Identifier: GPL-2.0
/*
 * vmx_test: real guests on gaspace's EPT, run by the sample VMX hypervisor
 * module (samples/vmx, /dev/gaspace_vmx).  Every guest access goes through
 * the CPU's EPT walker over gaspace's tables, and every EPT violation
 * through gaspace_handle_fault().
 *
 * Guests are 16-bit "big real mode" code (see gaspace_vmx.h), pwritten into
 * an alloc area at GUEST_CODE; their bytes were assembled with GNU as
 * (.code16, Intel syntax) and are listed with the source next to them.
 *
 * Without the module or without VMX and EPT (QEMU's TCG, AMD hosts) every
 * test skips with the reason; `make check` runs them under Bochs, whose
 * CPU models have VMX with EPT, and asserts that they ran.
 */
#include "gaspace_util.h"
#define GAS_GUEST_X86_CALL	0xc1	/* vmcall: 0f 01 c1 */
#include "gaspace_guest.h"
#include "kselftest_harness.h"
#include "../samples/vmx/gaspace_vmx.h"

#define VMX_EXIT_EXCEPTION	GASPACE_VMX_EXIT_EXCEPTION
#define VMX_EXIT_HLT		GASPACE_VMX_EXIT_HLT
#define VMX_EXIT_VMCALL		GASPACE_VMX_EXIT_VMCALL
#define VMX_EXIT_IO		GASPACE_VMX_EXIT_IO
#define VMX_EXIT_EPT		GASPACE_VMX_EXIT_EPT_VIOLATION
#define VMX_EXIT_MISCONFIG	GASPACE_VMX_EXIT_EPT_MISCONFIG
#define VMX_INTR_VALID		0x80000000u
#define VMX_VECTOR_UD		6
#define EPT_QUAL_READABLE	0x8ULL	/* bit 3: the leaf allowed reads */
#define EPT_QUAL_EXECUTABLE	0x20ULL	/* bit 5: ... and fetches */

#define SPACE_SIZE		0x100000000ULL	/* 4 GiB: big real mode's reach */
#define GUEST_CODE		GAS_GUEST_CODE
#define NX_SIZE			0x4000ULL	/* RW at GAS_GUEST_NX_AREA */
#define XO_AREA			0xc000ULL	/* execute-only */
#define XO_SIZE			0x4000ULL
#define DATA			0x100000ULL	/* lazy RW data */
#define HUGE_GPA		0x400000ULL
#define LINEAR_GPA		0x800000ULL

/*
 * The guests' code, listed with its source: gaspace_guest.h has the
 * programs both x86 samples run, ending in VMCALL here; these are VMX's.
 */

/* ud2 */
static const unsigned char guest_ud2[] = { 0x0f, 0x0b };

/* vmcall */
static const unsigned char guest_vmcall[] = { 0x0f, 0x01, 0xc1 };

/* mov al, 0x55; out 0x80, al */
static const unsigned char guest_out[] = { 0xb0, 0x55, 0xe6, 0x80 };

FIXTURE(vmx) {
	struct gas_guest g;
	struct gaspace_vmx_info info;
	struct gaspace_vmx_run run;
};

/* Runs the guest; 0 or the ioctl's negative errno. */
#define vmx_run() gas_guest_run(&self->g)

/* The run ended at the VMCALL at @offset of the guest's code. */
#define ASSERT_VMCALL(offset) do {					\
	ASSERT_EQ((__u64)VMX_EXIT_VMCALL, self->run.exit_reason)		\
		TH_LOG("exit %llu qual 0x%llx info 0x%llx gpa 0x%llx error %d",\
		       self->run.exit_reason, self->run.exit_qualification,	\
		       self->run.exit_info, self->run.gpa, self->run.error); \
	ASSERT_EQ(0, self->run.error);					\
	ASSERT_EQ((__u64)(GUEST_CODE + (offset)), self->run.regs.rip);	\
} while (0)

static void vmx_at_call(struct __test_metadata *_metadata,
			const struct gas_guest *g, size_t len)
{
	struct _test_data_vmx *self = g->self;

	ASSERT_VMCALL(len - GAS_X86_CALL_LEN);
}

/* A fault gaspace refused is an EPT violation's exit. */
static void vmx_refused(struct __test_metadata *_metadata,
			const struct gas_guest *g, __u64 gpa, __u32 access)
{
	struct _test_data_vmx *self = g->self;

	EXPECT_EQ((__u64)VMX_EXIT_EPT, self->run.exit_reason);
}

static void vmx_halted(struct __test_metadata *_metadata,
		       const struct gas_guest *g)
{
	struct _test_data_vmx *self = g->self;

	ASSERT_EQ((__u64)VMX_EXIT_HLT, self->run.exit_reason)
		TH_LOG("exit 0x%llx", self->run.exit_reason);
}

static const struct gas_guest_ops vmx_ops = {
	.prog = GAS_GUEST_X86_PROGRAMS,
	.result_mask = 0xffffffff,
	.at_call = vmx_at_call,
	.refused = vmx_refused,
	.halted = vmx_halted,
};

FIXTURE_SETUP(vmx)
{
	const char *why = NULL;

	gas_guest_init(&self->g, &vmx_ops, self, self->run, rax, rip,
		       GASPACE_VMX_RUN);
	self->g.sample = gas_guest_open(GASPACE_VMX_DEVICE,
					"gaspace_vmx.ko (samples/vmx)",
					GASPACE_VMX_GET_INFO, &self->info,
					sizeof(self->info), &why);
	if (self->g.sample < 0)
		SKIP(return, "%s", why);
	if (!(self->info.flags & GASPACE_VMX_HAVE_VMX))
		SKIP(return, "the CPU has no VMX, or FEATURE_CONTROL disables it");
	if (!(self->info.flags & GASPACE_VMX_HAVE_EPT))
		SKIP(return, "the CPU's VMX lacks EPT, unrestricted guest or INVEPT");
	gas_guest_space(_metadata, &self->g, GASPACE_FMT_EPT,
			self->info.gpa_bits, SPACE_SIZE, NX_SIZE, DATA);
}

FIXTURE_TEARDOWN(vmx)
{
	gas_guest_teardown(&self->g);
}

/* Every lazy data page is faulted in through the hook, exactly once. */
TEST_F(vmx, sum_lazy_pages)
{
	gas_guest_sum_lazy_pages(_metadata, &self->g);
}

/* A second run over the same pages takes no fault: they stay mapped. */
TEST_F(vmx, mapped_pages_do_not_fault)
{
	gas_guest_sum(_metadata, &self->g, DATA, GAS_GUEST_DATA_PAGES);
	ASSERT_EQ((__u64)GAS_GUEST_DATA_PAGES, self->run.nr_faults);
	gas_guest_sum_again(_metadata, &self->g);
}

/* What the guest writes, pread sees; what pwrite writes, the guest reads. */
TEST_F(vmx, write_then_pread)
{
	gas_guest_write_then_pread(_metadata, &self->g);
}

/* After UNMAP the guest's access ends the run with -ENOENT at its gpa. */
TEST_F(vmx, access_after_unmap)
{
	gas_guest_access_after_unmap(_metadata, &self->g);
}

/*
 * UNMAP while the guest spins on the page: the notifier kicks the guest
 * out and flushes its TLB, so the next access faults and ends the run.
 */
TEST_F(vmx, unmap_while_running)
{
	gas_guest_unmap_while_running(_metadata, &self->g, 0);
}

/* A write to a page PROTECT made read-only ends the run with -EACCES. */
TEST_F(vmx, write_after_protect)
{
	gas_guest_write_after_protect(_metadata, &self->g);
}

/* A lazy 2 MiB frame comes in on one fault and backs the whole block. */
TEST_F(vmx, huge_frame)
{
	if (!(self->info.flags & GASPACE_VMX_HAVE_2M))
		SKIP(return, "the CPU's EPT has no 2 MiB pages");
	gas_guest_huge_frame(_metadata, &self->g, HUGE_GPA);
}

/* A linear area over a host buffer: the guest writes host memory. */
TEST_F(vmx, linear_host_buffer)
{
	gas_guest_linear(_metadata, &self->g, LINEAR_GPA, 0);
}

/* An instruction fetch from a non-executable area ends with -EACCES. */
TEST_F(vmx, fetch_from_nx_area)
{
	/* a lazy page, not present; then a populated one, NX in its leaf */
	gas_guest_fetch_from_nx(_metadata, &self->g);
	EXPECT_NE(0ULL, self->run.exit_qualification & EPT_QUAL_READABLE)
		TH_LOG("qualification 0x%llx", self->run.exit_qualification);
}

/* HLT ends the run, rip at the HLT. */
TEST_F(vmx, hlt_ends_run)
{
	gas_guest_halt_ends_run(_metadata, &self->g);
}

/* A guest exception ends the run, the vector in exit_info. */
TEST_F(vmx, exception_ends_run)
{
	gas_guest_load_code(_metadata, &self->g, guest_ud2, sizeof(guest_ud2));
	ASSERT_EQ(0, vmx_run());
	EXPECT_EQ((__u64)VMX_EXIT_EXCEPTION, self->run.exit_reason);
	EXPECT_EQ((__u64)(VMX_INTR_VALID | 0x300 | VMX_VECTOR_UD),
		  self->run.exit_info);
	EXPECT_EQ(GUEST_CODE, self->run.regs.rip);
}

/* I/O ends the run: the host's ports are not the guest's. */
TEST_F(vmx, io_ends_run)
{
	gas_guest_load_code(_metadata, &self->g, guest_out, sizeof(guest_out));
	ASSERT_EQ(0, vmx_run());
	EXPECT_EQ((__u64)VMX_EXIT_IO, self->run.exit_reason);
	EXPECT_EQ(GUEST_CODE + 2, self->run.regs.rip);
	EXPECT_EQ(0x80ULL, self->run.exit_qualification >> 16);
}

/*
 * An execute-only area (EPT R=0 W=0 X=1, where the CPU offers it): the
 * guest runs code there, and a data read from it ends with -EACCES.
 */
TEST_F(vmx, exec_only_area)
{
	if (!(self->info.flags & GASPACE_VMX_HAVE_EXEC_ONLY))
		SKIP(return, "the CPU's EPT has no execute-only pages");
	ASSERT_EQ(0, gas_map_alloc(self->g.as, XO_AREA, XO_SIZE,
				   GASPACE_PROT_EXEC, 0));
	ASSERT_EQ((ssize_t)sizeof(guest_vmcall),
		  pwrite(self->g.as, guest_vmcall, sizeof(guest_vmcall),
			 XO_AREA + 0x100));
	gas_guest_load(_metadata, &self->g, GAS_GUEST_JUMP, XO_AREA + 0x100,
		       0, 0);
	ASSERT_EQ(0, vmx_run());
	EXPECT_EQ((__u64)VMX_EXIT_VMCALL, self->run.exit_reason)
		TH_LOG("exit %llu qual 0x%llx gpa 0x%llx error %d",
		       self->run.exit_reason, self->run.exit_qualification,
		       self->run.gpa, self->run.error);
	EXPECT_EQ(XO_AREA + 0x100, self->run.regs.rip);

	/* reading it is refused, on a present execute-only leaf */
	gas_guest_load(_metadata, &self->g, GAS_GUEST_LOAD, XO_AREA + 0x100,
		       0, 0);
	ASSERT_EQ(0, vmx_run());
	gas_guest_refused(_metadata, &self->g, -EACCES, XO_AREA + 0x100,
			  GASPACE_PROT_READ);
	EXPECT_EQ(0ULL, self->run.exit_qualification & EPT_QUAL_READABLE);
	EXPECT_NE(0ULL, self->run.exit_qualification & EPT_QUAL_EXECUTABLE)
		TH_LOG("qualification 0x%llx", self->run.exit_qualification);

	/* and on a lazy one, which gaspace does not fault in for a read */
	gas_guest_load(_metadata, &self->g, GAS_GUEST_LOAD, XO_AREA + 0x2000,
		       0, 0);
	ASSERT_EQ(0, vmx_run());
	EXPECT_EQ((__u64)VMX_EXIT_EPT, self->run.exit_reason);
	EXPECT_EQ(-EACCES, self->run.error);
	EXPECT_EQ(XO_AREA + 0x2000, self->run.gpa);
	EXPECT_EQ(0ULL, self->run.nr_faults);
}

/*
 * The host after a guest that loaded FS and GS: the kernel's per-CPU base
 * (GS) and the task's FS must be the host's again, so system calls, a
 * thread, a fork and another guest all work, with no oops in the log.
 */
TEST_F(vmx, guest_segment_loads_leave_host_intact)
{
	gas_guest_x86_segment_loads(_metadata, &self->g);
}

/* The guest's GS is its own across a VM exit and the next entry. */
TEST_F(vmx, guest_segments_survive_exits)
{
	gas_guest_x86_segments_survive(_metadata, &self->g);
}

/* Bad input: a clear errno and nothing run. */
TEST_F(vmx, bad_run_arguments)
{
	int other;

	gas_guest_bad_run(_metadata, &self->g, GASPACE_FMT_NPT);

	/* 5-level EPT only where the CPU walks it */
	other = gas_create(self->g.dev, GASPACE_FMT_EPT, 57, 0, SZ_2M);
	ASSERT_LE(0, other);
	self->run.as_fd = other;
	if (self->info.flags & GASPACE_VMX_HAVE_5LEVEL) {
		EXPECT_EQ(0, vmx_run());
		EXPECT_EQ((__u64)VMX_EXIT_EPT, self->run.exit_reason);
		EXPECT_EQ(-ENOENT, self->run.error);
	} else {
		EXPECT_EQ(-EINVAL, vmx_run());
	}
	gas_close_audited(other);
	EXPECT_EQ(-ENOTTY, gas_ioctl(self->g.sample, _IO(GASPACE_VMX_IO, 0x7f),
				     0));
}

TEST_HARNESS_MAIN
