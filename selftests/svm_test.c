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
#include <pthread.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "gaspace_util.h"
#include "gaspace_guest.h"
#include "kselftest_harness.h"
#include "../samples/svm/gaspace_svm.h"

#define SVM_EXIT_EXCP_UD	(0x40 + 6)
#define SVM_EXIT_HLT		0x78
#define SVM_EXIT_VMMCALL	0x81
#define SVM_EXIT_NPF		0x400

#define SPACE_SIZE		0x100000000ULL	/* 4 GiB: big real mode's reach */
#define CODE_AREA		0x0ULL		/* RWX, code and CS limit */
#define CODE_SIZE		0x8000ULL
#define GUEST_CODE		0x1000ULL
#define NX_AREA			0x8000ULL	/* RW: no instruction fetch */
#define NX_SIZE			0x8000ULL
#define DATA			0x100000ULL	/* lazy RW data */
#define DATA_PAGES		64
#define HUGE_GPA		0x400000ULL
#define LINEAR_GPA		0x800000ULL
#define USER_GPA		0x1000000ULL

/*
 * mov ebx, esi; mov edx, ecx
 * 1: mov [esi], ecx; add esi, 4096; dec ecx; jnz 1b
 * mov esi, ebx; mov ecx, edx; xor eax, eax
 * 2: add eax, [esi]; add esi, 4096; dec ecx; jnz 2b
 * vmmcall
 * Writes n..1 to the first dword of @ecx pages from @esi on, then sums them.
 */
static const unsigned char guest_sum[] = {
	0x66, 0x89, 0xf3, 0x66, 0x89, 0xca,
	0x67, 0x66, 0x89, 0x0e, 0x66, 0x81, 0xc6, 0x00, 0x10, 0x00, 0x00,
	0x66, 0x49, 0x75, 0xf1,
	0x66, 0x89, 0xde, 0x66, 0x89, 0xd1, 0x66, 0x31, 0xc0,
	0x67, 0x66, 0x03, 0x06, 0x66, 0x81, 0xc6, 0x00, 0x10, 0x00, 0x00,
	0x66, 0x49, 0x75, 0xf1,
	0x0f, 0x01, 0xd9,
};

/* mov [esi], eax; vmmcall */
static const unsigned char guest_store[] = {
	0x67, 0x66, 0x89, 0x06, 0x0f, 0x01, 0xd9,
};

/* mov eax, [esi]; vmmcall */
static const unsigned char guest_load[] = {
	0x67, 0x66, 0x8b, 0x06, 0x0f, 0x01, 0xd9,
};

/* 1: mov [esi], eax; add esi, 4; inc eax; dec ecx; jnz 1b; vmmcall */
static const unsigned char guest_fill[] = {
	0x67, 0x66, 0x89, 0x06, 0x66, 0x83, 0xc6, 0x04, 0x66, 0x40,
	0x66, 0x49, 0x75, 0xf2, 0x0f, 0x01, 0xd9,
};

/* 1: mov eax, [esi]; jmp 1b */
static const unsigned char guest_spin[] = {
	0x67, 0x66, 0x8b, 0x06, 0xeb, 0xfa,
};

/* jmp bx */
static const unsigned char guest_jump[] = { 0xff, 0xe3 };

/* ud2 */
static const unsigned char guest_ud2[] = { 0x0f, 0x0b };

/* hlt */
static const unsigned char guest_hlt[] = { 0xf4 };

/*
 * mov ax, 0x1234; mov gs, ax; mov fs, ax; hlt
 * In real mode a segment load sets the base to selector * 16: a CPU that
 * kept the guest's GS at #VMEXIT would give the host kernel a per-CPU base
 * of 0x12340.
 */
static const unsigned char guest_load_fs_gs[] = {
	0xb8, 0x34, 0x12, 0x8e, 0xe8, 0x8e, 0xe0, 0xf4,
};

/*
 * mov ax, 0x900; mov gs, ax; mov [esi], eax; mov eax, gs:[0x10]; vmmcall
 * GS (base 0x9000) is loaded before a store that exits on a nested page
 * fault and used after the resumed VMRUN: the guest's GS must survive it.
 */
static const unsigned char guest_gs_across_exit[] = {
	0xb8, 0x00, 0x09, 0x8e, 0xe8, 0x67, 0x66, 0x89, 0x06,
	0x65, 0x66, 0xa1, 0x10, 0x00, 0x0f, 0x01, 0xd9,
};

static int svm_open(struct gaspace_svm_info *info, const char **why)
{
	int fd = gas_guest_open(GASPACE_SVM_DEVICE,
				"gaspace_svm.ko (samples/svm)",
				GASPACE_SVM_GET_INFO, info, sizeof(*info), why);

	if (fd < 0)
		return -1;
	if (!(info->flags & GASPACE_SVM_HAVE_SVM)) {
		*why = "the CPU has no SVM (AMD-V), or it is disabled";
		close(fd);
		return -1;
	}
	if (!(info->flags & GASPACE_SVM_HAVE_NPT)) {
		*why = "the CPU's SVM has no nested paging";
		close(fd);
		return -1;
	}
	return fd;
}

FIXTURE(svm) {
	int dev;
	int svm;
	int as;
	struct gaspace_svm_info info;
	struct gaspace_svm_run run;
};

FIXTURE_SETUP(svm)
{
	const char *why = NULL;

	self->dev = -1;
	self->as = -1;
	self->svm = svm_open(&self->info, &why);
	if (self->svm < 0)
		SKIP(return, "%s", why);
	self->dev = gas_open_dev();
	ASSERT_LE(0, self->dev);
	self->as = gas_create(self->dev, GASPACE_FMT_NPT, self->info.gpa_bits,
			      0, SPACE_SIZE);
	ASSERT_LE(0, self->as) TH_LOG("NPT space of %u bits",
				      self->info.gpa_bits);
	ASSERT_EQ(0, gas_map_alloc(self->as, CODE_AREA, CODE_SIZE,
				   GAS_PROT_RWX, 0));
	ASSERT_EQ(0, gas_map_alloc(self->as, NX_AREA, NX_SIZE, GAS_PROT_RW, 0));
	ASSERT_EQ(0, gas_map_alloc(self->as, DATA, DATA_PAGES * PAGE_4K,
				   GAS_PROT_RW, 0));
}

FIXTURE_TEARDOWN(svm)
{
	gas_guest_close(self->as, self->dev, self->svm);
}

/*
 * Loads @code at GUEST_CODE of @as and resets @run to start it there;
 * 0 or a negative errno.
 */
static int svm_load(int as, struct gaspace_svm_run *run, const void *code,
		    size_t len)
{
	if (pwrite(as, code, len, GUEST_CODE) != (ssize_t)len)
		return -EIO;
	memset(run, 0, sizeof(*run));
	run->as_fd = as;
	run->regs.rip = GUEST_CODE;
	return 0;
}

#define svm_guest(code) \
	ASSERT_EQ(0, svm_load(self->as, &self->run, code, sizeof(code)))

/* Runs the guest; 0 or the ioctl's negative errno. */
#define svm_run() gas_ioctl_ptr(self->svm, GASPACE_SVM_RUN, &self->run)

/* The run ended at the VMMCALL at @offset of the guest's code. */
#define ASSERT_VMMCALL(offset) do {					\
	ASSERT_EQ((__u64)SVM_EXIT_VMMCALL, self->run.exit_code)		\
		TH_LOG("exit 0x%llx info1 0x%llx info2 0x%llx error %d",\
		       self->run.exit_code, self->run.exit_info1,	\
		       self->run.exit_info2, self->run.error);		\
	ASSERT_EQ(0, self->run.error);					\
	ASSERT_EQ((__u64)(GUEST_CODE + (offset)), self->run.regs.rip);	\
} while (0)

/* Every lazy data page is faulted in through the hook, exactly once. */
TEST_F(svm, sum_lazy_pages)
{
	unsigned int i;
	__u64 pages;

	svm_guest(guest_sum);
	pages = gas_guest_data_pages(self->as);
	self->run.regs.rsi = DATA;
	self->run.regs.rcx = DATA_PAGES;
	ASSERT_EQ(0, svm_run());
	ASSERT_VMMCALL(sizeof(guest_sum) - 3);
	EXPECT_EQ(DATA_PAGES * (DATA_PAGES + 1ULL) / 2,
		  self->run.regs.rax & 0xffffffff);
	EXPECT_EQ((__u64)DATA_PAGES, self->run.nr_faults);
	EXPECT_EQ(pages + DATA_PAGES, gas_guest_data_pages(self->as));
	for (i = 0; i < DATA_PAGES; i++) {
		EXPECT_EQ(DATA_PAGES - i, gas_guest_peek(self->as, DATA + i * PAGE_4K));
	}
}

/* A second run over the same pages takes no fault: they stay mapped. */
TEST_F(svm, mapped_pages_do_not_fault)
{
	svm_guest(guest_sum);
	self->run.regs.rsi = DATA;
	self->run.regs.rcx = DATA_PAGES;
	ASSERT_EQ(0, svm_run());
	ASSERT_VMMCALL(sizeof(guest_sum) - 3);
	ASSERT_EQ((__u64)DATA_PAGES, self->run.nr_faults);

	svm_guest(guest_sum);
	self->run.regs.rsi = DATA;
	self->run.regs.rcx = DATA_PAGES;
	ASSERT_EQ(0, svm_run());
	ASSERT_VMMCALL(sizeof(guest_sum) - 3);
	EXPECT_EQ(0ULL, self->run.nr_faults);
}

/* What the guest writes, pread sees; what pwrite writes, the guest reads. */
TEST_F(svm, write_then_pread)
{
	__u32 buf[300];
	unsigned int i;

	svm_guest(guest_fill);
	self->run.regs.rsi = DATA + PAGE_4K - 400;	/* across two pages */
	self->run.regs.rax = 0x1000;
	self->run.regs.rcx = ARRAY_LEN(buf);
	ASSERT_EQ(0, svm_run());
	ASSERT_VMMCALL(sizeof(guest_fill) - 3);
	EXPECT_EQ(2ULL, self->run.nr_faults);
	ASSERT_EQ((ssize_t)sizeof(buf),
		  pread(self->as, buf, sizeof(buf), DATA + PAGE_4K - 400));
	for (i = 0; i < ARRAY_LEN(buf); i++) {
		EXPECT_EQ(0x1000 + i, buf[i]);
	}

	gas_guest_poke(self->as, DATA + 5 * PAGE_4K + 8, 0xc0ffee11);
	svm_guest(guest_load);
	self->run.regs.rsi = DATA + 5 * PAGE_4K + 8;
	ASSERT_EQ(0, svm_run());
	ASSERT_VMMCALL(sizeof(guest_load) - 3);
	EXPECT_EQ(0xc0ffee11, self->run.regs.rax & 0xffffffff);
	EXPECT_EQ(0ULL, self->run.nr_faults);
}

/* After UNMAP the guest's access ends the run with -ENOENT at its gpa. */
TEST_F(svm, access_after_unmap)
{
	__u64 gpa = DATA + 3 * PAGE_4K + 0x124;

	svm_guest(guest_load);
	gas_guest_poke(self->as, gpa, 77);
	self->run.regs.rsi = gpa;
	ASSERT_EQ(0, svm_run());
	ASSERT_VMMCALL(sizeof(guest_load) - 3);
	ASSERT_EQ(77ULL, self->run.regs.rax & 0xffffffff);

	ASSERT_EQ(0, gas_unmap(self->as, DATA + 3 * PAGE_4K, PAGE_4K));
	svm_guest(guest_load);
	self->run.regs.rsi = gpa;
	ASSERT_EQ(0, svm_run());
	EXPECT_EQ((__u64)SVM_EXIT_NPF, self->run.exit_code);
	EXPECT_EQ(-ENOENT, self->run.error);
	EXPECT_EQ(gpa, self->run.gpa);
	EXPECT_EQ((__u64)GASPACE_PROT_READ, self->run.access);
	EXPECT_EQ(GUEST_CODE, self->run.regs.rip);
	EXPECT_EQ(0ULL, self->run.nr_faults);
}

/*
 * UNMAP while the guest spins on the page: the notifier kicks the guest
 * out and flushes its TLB, so the next access faults and ends the run.
 */
TEST_F(svm, unmap_while_running)
{
	struct gas_unmap_later u = { .as = self->as, .gpa = DATA + 7 * PAGE_4K };
	pthread_t thread;
	void *ret;

	gas_guest_poke(self->as, u.gpa, 5);
	svm_guest(guest_spin);
	self->run.regs.rsi = u.gpa;
	ASSERT_EQ(0, pthread_create(&thread, NULL, gas_unmap_later, &u));
	ASSERT_EQ(0, svm_run());
	ASSERT_EQ(0, pthread_join(thread, &ret));
	EXPECT_EQ(0, (long)ret);
	EXPECT_EQ((__u64)SVM_EXIT_NPF, self->run.exit_code);
	EXPECT_EQ(-ENOENT, self->run.error);
	EXPECT_EQ(u.gpa, self->run.gpa);
	EXPECT_EQ(5ULL, self->run.regs.rax & 0xffffffff);
}

/* A write to a page PROTECT made read-only ends the run with -EACCES. */
TEST_F(svm, write_after_protect)
{
	__u64 gpa = DATA + 9 * PAGE_4K + 0x40;

	svm_guest(guest_store);
	self->run.regs.rsi = gpa;
	self->run.regs.rax = 1234;
	ASSERT_EQ(0, svm_run());
	ASSERT_VMMCALL(sizeof(guest_store) - 3);
	ASSERT_EQ(1ULL, self->run.nr_faults);

	ASSERT_EQ(0, gas_protect(self->as, DATA + 9 * PAGE_4K, PAGE_4K,
				 GAS_PROT_R));
	svm_guest(guest_store);
	self->run.regs.rsi = gpa;
	self->run.regs.rax = 5678;
	ASSERT_EQ(0, svm_run());
	EXPECT_EQ((__u64)SVM_EXIT_NPF, self->run.exit_code);
	EXPECT_EQ(-EACCES, self->run.error);
	EXPECT_EQ(gpa, self->run.gpa);
	EXPECT_EQ((__u64)GASPACE_PROT_WRITE, self->run.access);
	EXPECT_EQ(1234ULL, gas_guest_peek(self->as, gpa));

	/* reading the page is still allowed */
	svm_guest(guest_load);
	self->run.regs.rsi = gpa;
	ASSERT_EQ(0, svm_run());
	ASSERT_VMMCALL(sizeof(guest_load) - 3);
	EXPECT_EQ(1234ULL, self->run.regs.rax & 0xffffffff);
}

/* A lazy 2 MiB frame comes in on one fault and backs the whole block. */
TEST_F(svm, huge_frame)
{
	struct gaspace_translation t;
	__u64 pages;
	unsigned int i;

	ASSERT_EQ(0, gas_map_alloc(self->as, HUGE_GPA, SZ_2M, GAS_PROT_RW,
				   GASPACE_MAP_HUGE));
	svm_guest(guest_sum);
	pages = gas_guest_data_pages(self->as);
	self->run.regs.rsi = HUGE_GPA;
	self->run.regs.rcx = SZ_2M / PAGE_4K;
	ASSERT_EQ(0, svm_run());
	ASSERT_VMMCALL(sizeof(guest_sum) - 3);
	EXPECT_EQ(512ULL * 513 / 2, self->run.regs.rax & 0xffffffff);
	ASSERT_EQ(0, gas_translate(self->as, HUGE_GPA + 0x12345, &t));
	if (t.page_size != SZ_2M)
		SKIP(return, "no order-9 frame was free: 4 KiB pages used");
	EXPECT_EQ(1ULL, self->run.nr_faults);
	EXPECT_EQ(pages + 512, gas_guest_data_pages(self->as));
	for (i = 0; i < 512; i += 37) {
		EXPECT_EQ(512 - i, gas_guest_peek(self->as, HUGE_GPA + i * PAGE_4K));
	}
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
	ASSERT_EQ(0, gas_ioctl_ptr(self->as, GASPACE_MAP_USER, &m));
	svm_guest(guest_sum);
	self->run.regs.rsi = USER_GPA;
	self->run.regs.rcx = DATA_PAGES;
	ASSERT_EQ(0, svm_run());
	ASSERT_VMMCALL(sizeof(guest_sum) - 3);
	EXPECT_EQ(DATA_PAGES * (DATA_PAGES + 1ULL) / 2,
		  self->run.regs.rax & 0xffffffff);
	EXPECT_EQ(0ULL, self->run.nr_faults);
	for (i = 0; i < DATA_PAGES; i++) {
		EXPECT_EQ(DATA_PAGES - i, ram[i * PAGE_4K / 4]);
	}
	munmap(ram, m.size);
}

/* A linear area over a host buffer: the guest writes host memory. */
TEST_F(svm, linear_host_buffer)
{
	char old[16] = "";
	struct gaspace_translation t;
	int host;

	/* The host buffer: one populated frame of another space. */
	host = gas_create(self->dev, GASPACE_FMT_NPT, 0, 0, SZ_2M);
	ASSERT_LE(0, host);
	ASSERT_EQ(0, gas_map_alloc(host, 0, PAGE_4K, GAS_PROT_RW,
				   GASPACE_MAP_POPULATE));
	ASSERT_EQ(0, gas_translate(host, 0, &t));
	ASSERT_NE(0ULL, t.hpa) TH_LOG("TRANSLATE hides hpa: CAP_SYS_ADMIN?");
	gas_guest_poke(host, 0x10, 0xfeedf00d);

	ASSERT_EQ(0, gas_read_string(GASPACE_PARAM("linear_ram"), old,
				     sizeof(old)));
	ASSERT_EQ(0, gas_write_string(GASPACE_PARAM("linear_ram"), "1"));
	ASSERT_EQ(0, gas_map_linear(self->as, LINEAR_GPA, PAGE_4K, t.hpa,
				    GAS_PROT_RW, 0));
	gas_write_string(GASPACE_PARAM("linear_ram"), old);

	svm_guest(guest_load);
	self->run.regs.rsi = LINEAR_GPA + 0x10;
	ASSERT_EQ(0, svm_run());
	ASSERT_VMMCALL(sizeof(guest_load) - 3);
	EXPECT_EQ(0xfeedf00d, self->run.regs.rax & 0xffffffff);

	svm_guest(guest_store);
	self->run.regs.rsi = LINEAR_GPA + 0x20;
	self->run.regs.rax = 0x5a5a1234;
	ASSERT_EQ(0, svm_run());
	ASSERT_VMMCALL(sizeof(guest_store) - 3);
	EXPECT_EQ(0ULL, self->run.nr_faults);	/* linear never faults */
	EXPECT_EQ(0x5a5a1234ULL, gas_guest_peek(host, 0x20));

	/* unmap the linear view before the frame's owner goes */
	ASSERT_EQ(0, gas_unmap(self->as, LINEAR_GPA, PAGE_4K));
	close(host);
}

/* An instruction fetch from a non-executable area ends with -EACCES. */
TEST_F(svm, fetch_from_nx_area)
{
	/* lazy page: not present */
	svm_guest(guest_jump);
	self->run.regs.rbx = NX_AREA;
	ASSERT_EQ(0, svm_run());
	EXPECT_EQ((__u64)SVM_EXIT_NPF, self->run.exit_code);
	EXPECT_EQ(-EACCES, self->run.error);
	EXPECT_EQ(NX_AREA, self->run.gpa);
	EXPECT_EQ((__u64)GASPACE_PROT_EXEC, self->run.access);
	EXPECT_EQ(NX_AREA, self->run.regs.rip);

	/* populated page: present, with NX in its leaf */
	ASSERT_EQ((ssize_t)sizeof(guest_hlt),
		  pwrite(self->as, guest_hlt, sizeof(guest_hlt), NX_AREA));
	svm_guest(guest_jump);
	self->run.regs.rbx = NX_AREA;
	ASSERT_EQ(0, svm_run());
	EXPECT_EQ((__u64)SVM_EXIT_NPF, self->run.exit_code);
	EXPECT_EQ(-EACCES, self->run.error);
	EXPECT_EQ(NX_AREA, self->run.gpa);
	EXPECT_EQ((__u64)GASPACE_PROT_EXEC, self->run.access);
	EXPECT_NE(0ULL, self->run.exit_info1 & 1) TH_LOG("present bit");
}

/* HLT ends the run, rip at the HLT. */
TEST_F(svm, hlt_ends_run)
{
	svm_guest(guest_hlt);
	ASSERT_EQ(0, svm_run());
	EXPECT_EQ((__u64)SVM_EXIT_HLT, self->run.exit_code);
	EXPECT_EQ(0, self->run.error);
	EXPECT_EQ(GUEST_CODE, self->run.regs.rip);
}

/* A guest exception ends the run as exit 0x40 + vector. */
TEST_F(svm, exception_ends_run)
{
	svm_guest(guest_ud2);
	ASSERT_EQ(0, svm_run());
	EXPECT_EQ((__u64)SVM_EXIT_EXCP_UD, self->run.exit_code);
	EXPECT_EQ(GUEST_CODE, self->run.regs.rip);
}

static void *thread_getpid(void *arg)
{
	return (void *)(long)syscall(SYS_gettid);
}

/*
 * The host after a guest that loaded FS and GS: the kernel's per-CPU base
 * (GS) and the task's FS must be the host's again, so system calls, a
 * thread, a fork and another guest all work, with no oops in the log.
 */
TEST_F(svm, guest_segment_loads_leave_host_intact)
{
	char stat[256], want[32];
	unsigned int i;
	void *tid;
	pthread_t thread;
	ssize_t n;
	pid_t pid;
	int fd, status;

	for (i = 0; i < 8; i++) {
		svm_guest(guest_load_fs_gs);
		ASSERT_EQ(0, svm_run());
		ASSERT_EQ((__u64)SVM_EXIT_HLT, self->run.exit_code)
			TH_LOG("exit 0x%llx", self->run.exit_code);
		ASSERT_EQ(GUEST_CODE + sizeof(guest_load_fs_gs) - 1,
			  self->run.regs.rip);
		ASSERT_EQ(0x1234ULL, self->run.regs.rax & 0xffff);
	}

	/* system calls: the kernel's per-CPU data, current, the task's FS */
	ASSERT_EQ(getpid(), (pid_t)syscall(SYS_getpid));
	fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	n = read(fd, stat, sizeof(stat) - 1);
	close(fd);
	ASSERT_LT(0, n);
	stat[n] = '\0';
	snprintf(want, sizeof(want), "%d (", getpid());
	EXPECT_EQ(0, strncmp(stat, want, strlen(want))) TH_LOG("%s", stat);

	/* a thread (its TLS through FS) and a child process */
	ASSERT_EQ(0, pthread_create(&thread, NULL, thread_getpid, NULL));
	ASSERT_EQ(0, pthread_join(thread, &tid));
	EXPECT_NE(getpid(), (pid_t)(long)tid);
	EXPECT_LT(0, (long)tid);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(getpid() == (pid_t)syscall(SYS_getpid) ? 7 : 1);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(7, WEXITSTATUS(status));

	/* another guest runs as usual */
	svm_guest(guest_sum);
	self->run.regs.rsi = DATA;
	self->run.regs.rcx = 8;
	ASSERT_EQ(0, svm_run());
	ASSERT_VMMCALL(sizeof(guest_sum) - 3);
	EXPECT_EQ(8ULL * 9 / 2, self->run.regs.rax & 0xffffffff);
	EXPECT_EQ(8ULL, self->run.nr_faults);
}

/* The guest's GS is its own across a #VMEXIT and the next VMRUN. */
TEST_F(svm, guest_segments_survive_exits)
{
	gas_guest_poke(self->as, NX_AREA + 0x1000 + 0x10, 0x600dc0de);
	svm_guest(guest_gs_across_exit);
	self->run.regs.rsi = DATA + 0x20;
	ASSERT_EQ(0, svm_run());
	ASSERT_VMMCALL(sizeof(guest_gs_across_exit) - 3);
	EXPECT_EQ(1ULL, self->run.nr_faults);
	EXPECT_EQ(0x600dc0deULL, self->run.regs.rax & 0xffffffff);
	EXPECT_EQ(0x0900ULL, gas_guest_peek(self->as, DATA + 0x20) & 0xffff);
}

/* Bad input: a clear errno and nothing run. */
TEST_F(svm, bad_run_arguments)
{
	unsigned int other_bits = self->info.gpa_bits == 57 ? 48 : 57;
	int ept, other;

	svm_guest(guest_hlt);
	self->run.flags = 1;
	EXPECT_EQ(-EINVAL, svm_run());
	self->run.flags = 0;
	self->run.reserved[3] = 1;
	EXPECT_EQ(-EINVAL, svm_run());
	self->run.reserved[3] = 0;
	self->run.as_fd = self->dev;
	EXPECT_EQ(-EBADF, svm_run());
	self->run.as_fd = -1;
	EXPECT_EQ(-EBADF, svm_run());

	ept = gas_create(self->dev, GASPACE_FMT_EPT, 0, 0, SZ_2M);
	ASSERT_LE(0, ept);
	self->run.as_fd = ept;
	EXPECT_EQ(-EINVAL, svm_run());
	close(ept);

	/* the nested walk has the host's depth: the other one is refused */
	other = gas_create(self->dev, GASPACE_FMT_NPT, other_bits, 0, SZ_2M);
	ASSERT_LE(0, other);
	self->run.as_fd = other;
	EXPECT_EQ(-EINVAL, svm_run());
	close(other);
	EXPECT_EQ(-ENOTTY, gas_ioctl(self->svm, _IO(GASPACE_SVM_IO, 0x7f), 0));
}

TEST_HARNESS_MAIN
