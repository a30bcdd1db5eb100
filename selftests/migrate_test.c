// SPDX-License-Identifier: GPL-2.0
/*
 * migrate_test: a live pre-copy migration of a running guest through the
 * dirty log, on the SVM sample (samples/svm, gaspace_svm.ko).
 *
 * The guest writes a pattern over its RAM, pass after pass, and checks a
 * mailbox after each pass.  While it runs, the VMM logs the source space,
 * copies all of it into a second space, then copies what each GET|CLEAR
 * reports (pread from the source, pwrite to the destination), round after
 * round.  It then stops the guest through the mailbox, copies the last
 * dirty pages, checks that the two spaces are byte-identical, and resumes
 * the guest on the destination with its saved registers: the guest checks
 * every word of its last pass there.  Skips without the SVM sample (or
 * without SVM: it needs QEMU's -cpu max on an AMD model or TCG).
 */
#include <pthread.h>
#include <stdatomic.h>

#include "gaspace_util.h"
#include "gaspace_guest.h"
#include "kselftest_harness.h"
#include "../samples/svm/gaspace_svm.h"

#define SVM_EXIT_VMMCALL	0x81

#define AREA_SIZE	SZ_2M		/* one RWX alloc area from gpa 0 */
#define GUEST_CODE	0x1000ULL
#define RAM		0x100000ULL	/* the pattern's pages */
#define RAM_PAGES	128
#define MBOX		0x1ff000ULL	/* non-zero: stop after this pass */
#define PAGES		(AREA_SIZE / PAGE_4K)
#define ROUNDS		6

/*
 * Big real mode; in: esi = RAM, ecx = dwords, edi = MBOX.
 *	xor edx, edx
 * 1:	mov ebx, esi; mov ebp, ecx; mov eax, edx
 * 2:	mov [ebx], eax; add ebx, 4; add eax, 0x9e3779b9; dec ebp; jnz 2b
 *	inc edx; cmp dword [edi], 0; je 1b
 *	vmmcall				(offset 0x27: stopped, edx = passes)
 *	lea eax, [edx - 1]; mov edi, esi; mov ebp, ecx; xor ebx, ebx
 * 3:	cmp [edi], eax; je 4f; inc ebx
 * 4:	add edi, 4; add eax, 0x9e3779b9; dec ebp; jnz 3b
 *	vmmcall				(offset 0x4e: ebx = wrong words)
 */
static const unsigned char guest_migrate[] = {
	0x66, 0x31, 0xd2, 0x66, 0x89, 0xf3, 0x66, 0x89, 0xcd, 0x66, 0x89, 0xd0,
	0x67, 0x66, 0x89, 0x03, 0x66, 0x83, 0xc3, 0x04, 0x66, 0x05, 0xb9, 0x79,
	0x37, 0x9e, 0x66, 0x4d, 0x75, 0xee, 0x66, 0x42, 0x67, 0x66, 0x83, 0x3f,
	0x00, 0x74, 0xdc, 0x0f, 0x01, 0xd9, 0x67, 0x66, 0x8d, 0x42, 0xff, 0x66,
	0x89, 0xf7, 0x66, 0x89, 0xcd, 0x66, 0x31, 0xdb, 0x67, 0x66, 0x39, 0x07,
	0x74, 0x02, 0x66, 0x43, 0x66, 0x83, 0xc7, 0x04, 0x66, 0x05, 0xb9, 0x79,
	0x37, 0x9e, 0x66, 0x4d, 0x75, 0xea, 0x0f, 0x01, 0xd9,
};

#define STOPPED_AT	0x27
#define CHECKED_AT	0x4e

FIXTURE(migrate) {
	int dev;
	int svm;
	int src;
	int dst;
	struct gaspace_svm_info info;
	struct gaspace_svm_run run;
	__u64 bits[PAGES / 64];
	char page[PAGE_4K];
};

FIXTURE_SETUP(migrate)
{
	const char *why = NULL;

	self->dev = -1;
	self->src = -1;
	self->dst = -1;
	self->svm = gas_guest_open(GASPACE_SVM_DEVICE,
				   "gaspace_svm.ko (samples/svm)",
				   GASPACE_SVM_GET_INFO, &self->info,
				   sizeof(self->info), &why);
	if (self->svm < 0)
		SKIP(return, "%s", why);
	if ((self->info.flags & (GASPACE_SVM_HAVE_SVM | GASPACE_SVM_HAVE_NPT)) !=
	    (GASPACE_SVM_HAVE_SVM | GASPACE_SVM_HAVE_NPT))
		SKIP(return, "the CPU has no SVM with nested paging");
	self->dev = gas_open_dev();
	ASSERT_LE(0, self->dev);
	self->src = gas_create(self->dev, GASPACE_FMT_NPT, self->info.gpa_bits,
			       0, SZ_1G);
	self->dst = gas_create(self->dev, GASPACE_FMT_NPT, self->info.gpa_bits,
			       0, SZ_1G);
	ASSERT_LE(0, self->src);
	ASSERT_LE(0, self->dst);
	ASSERT_EQ(0, gas_map_alloc(self->src, 0, AREA_SIZE, GAS_PROT_RWX, 0));
	ASSERT_EQ(0, gas_map_alloc(self->dst, 0, AREA_SIZE, GAS_PROT_RWX, 0));
}

FIXTURE_TEARDOWN(migrate)
{
	gas_close_audited(self->dst);
	gas_guest_close(self->src, self->dev, self->svm);
}

struct vcpu {
	int svm;
	struct gaspace_svm_run *run;
	long ret;
	atomic_int done;
};

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;

	v->ret = gas_ioctl_ptr(v->svm, GASPACE_SVM_RUN, v->run);
	atomic_store(&v->done, 1);
	return NULL;
}

/* Copy page @i from @src to @dst: 0, or -1. */
static int copy_page(int src, int dst, unsigned int i, char *buf)
{
	off_t off = (off_t)i * PAGE_4K;

	if (pread(src, buf, PAGE_4K, off) != (ssize_t)PAGE_4K ||
	    pwrite(dst, buf, PAGE_4K, off) != (ssize_t)PAGE_4K)
		return -1;
	return 0;
}

/* GET|CLEAR of the area, then the reported pages copied: how many, or -1. */
static int copy_dirty(int src, int dst, __u64 *bits, char *buf)
{
	unsigned int i, n = 0;

	if (gas_get_dirty_log(src, 0, AREA_SIZE, bits, GASPACE_DIRTY_CLEAR))
		return -1;
	for (i = 0; i < PAGES; i++) {
		if (!(bits[i / 64] & BIT_ULL(i % 64)))
			continue;
		if (copy_page(src, dst, i, buf))
			return -1;
		n++;
	}
	return n;
}

TEST_F(migrate, precopy_while_the_guest_writes)
{
	struct vcpu v = { .svm = self->svm, .run = &self->run };
	char a[PAGE_4K], one = 1;
	unsigned int i, total = 0;
	pthread_t t;
	int round, n;

	ASSERT_EQ((ssize_t)sizeof(guest_migrate),
		  pwrite(self->src, guest_migrate, sizeof(guest_migrate),
			 GUEST_CODE));
	ASSERT_EQ(0, gas_dirty_log_enable(self->src, 0, AREA_SIZE));
	memset(&self->run, 0, sizeof(self->run));
	self->run.as_fd = self->src;
	self->run.regs.rip = GUEST_CODE;
	self->run.regs.rsi = RAM;
	self->run.regs.rcx = RAM_PAGES * PAGE_4K / 4;
	self->run.regs.rdi = MBOX;
	ASSERT_EQ(0, pthread_create(&t, NULL, vcpu_thread, &v));

	/* round 0 copies everything; later rounds what the guest wrote */
	for (i = 0; i < PAGES; i++)
		ASSERT_EQ(0, copy_page(self->src, self->dst, i, self->page));
	for (round = 1; round <= ROUNDS && !atomic_load(&v.done); round++) {
		usleep(20000);
		n = copy_dirty(self->src, self->dst, self->bits, self->page);
		ASSERT_LE(0, n);
		ksft_print_msg("round %d: %d pages\n", round, n);
		total += n;
	}

	/* stop the guest, then the last round */
	ASSERT_EQ(1, pwrite(self->src, &one, 1, MBOX));
	ASSERT_EQ(0, pthread_join(t, NULL));
	ASSERT_EQ(0, v.ret);
	ASSERT_EQ((__u64)SVM_EXIT_VMMCALL, self->run.exit_code)
		TH_LOG("exit 0x%llx gpa 0x%llx error %d", self->run.exit_code,
		       self->run.gpa, self->run.error);
	ASSERT_EQ(GUEST_CODE + STOPPED_AT, self->run.regs.rip);
	n = copy_dirty(self->src, self->dst, self->bits, self->page);
	ASSERT_LE(0, n);
	ksft_print_msg("stopped after %llu passes; last round: %d pages; ",
		       self->run.regs.rdx & 0xffffffff, n);
	printf("%u pages in %d rounds before\n", total, round - 1);
	EXPECT_LT(1ULL, self->run.regs.rdx & 0xffffffff);
	EXPECT_LT(0U, total) TH_LOG("the guest wrote nothing during the rounds");

	/* byte-identical */
	for (i = 0; i < PAGES; i++) {
		ASSERT_EQ((ssize_t)PAGE_4K,
			  pread(self->src, a, PAGE_4K, i * PAGE_4K));
		ASSERT_EQ((ssize_t)PAGE_4K,
			  pread(self->dst, self->page, PAGE_4K, i * PAGE_4K));
		ASSERT_EQ(0, memcmp(a, self->page, PAGE_4K)) TH_LOG("page %u", i);
	}

	/* the guest resumes on the destination and checks its last pass */
	self->run.as_fd = self->dst;
	self->run.regs.rip += 3;
	ASSERT_EQ(0, gas_ioctl_ptr(self->svm, GASPACE_SVM_RUN, &self->run));
	ASSERT_EQ((__u64)SVM_EXIT_VMMCALL, self->run.exit_code);
	ASSERT_EQ(GUEST_CODE + CHECKED_AT, self->run.regs.rip);
	EXPECT_EQ(0ULL, self->run.regs.rbx & 0xffffffff)
		TH_LOG("words the guest found wrong");
	ASSERT_EQ(0, gas_dirty_log_disable(self->src, 0, AREA_SIZE));
}

TEST_HARNESS_MAIN
