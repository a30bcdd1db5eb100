// SPDX-License-Identifier: GPL-2.0
/*
 * dirty_test: dirty logging (DIRTY_LOG_ENABLE, DIRTY_LOG_DISABLE,
 * GET_DIRTY_LOG), on every format and both backends.
 *
 * Each writer in turn gives exactly the expected bitmap: FAULT with W,
 * pwrite, a VMM store through the shared mmap; reads, FAULT without W and
 * TRANSLATE mark nothing.  A report without CLEAR reports again, one with
 * CLEAR once; SET marks; UNMAP drops bits; a write racing GET|CLEAR in
 * another thread is reported exactly once over the calls.  ENABLE makes
 * leaves 4 KiB without W, DISABLE gives the blocks and W back.  Every error
 * path, with the log unchanged, and GET_INFO's counters after each step.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>

#include "gaspace_util.h"
#include "kselftest_harness.h"

#define BASE		SZ_1G
#define SIZE		(3 * SZ_1G)
#define HPA		BIT_ULL(40)
#define ALLOC		BASE			/* alloc, 4 MiB, HUGE */
#define ALLOC_SIZE	(2 * SZ_2M)
#define LINEAR		(BASE + SZ_1G)		/* linear, 1 GiB */
#define NPAGES		(ALLOC_SIZE / PAGE_4K)
#define WORDS		(NPAGES / 64)

FIXTURE(dirty) {
	struct gas_space s;
	__u64 bits[WORDS + 1];
	char *mem;		/* the VMM's mapping of the alloc area */
};

FIXTURE_VARIANT(dirty) {
	unsigned int format;
	unsigned int bits;
};

FIXTURE_VARIANT_ADD(dirty, ept) GAS_GEOMETRY(EPT, 48);
FIXTURE_VARIANT_ADD(dirty, npt) GAS_GEOMETRY(NPT, 48);
FIXTURE_VARIANT_ADD(dirty, arm64_s2) GAS_GEOMETRY(ARM64_S2, 40);
FIXTURE_VARIANT_ADD(dirty, riscv_g) GAS_GEOMETRY(RISCV_G, 41);

FIXTURE_SETUP(dirty)
{
	int fd;

	ASSERT_EQ(0, gas_space_open(&self->s, variant->format, variant->bits,
				    BASE, SIZE));
	fd = self->s.fd;
	ASSERT_EQ(0, gas_map_alloc(fd, ALLOC, ALLOC_SIZE, GAS_PROT_RW,
				   GASPACE_MAP_HUGE | GASPACE_MAP_POPULATE));
	ASSERT_EQ(0, gas_map_linear(fd, LINEAR, SZ_1G, HPA, GAS_PROT_RWX, 0));
	self->mem = mmap(NULL, ALLOC_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
			 fd, ALLOC);
	ASSERT_NE(MAP_FAILED, self->mem);
}

FIXTURE_TEARDOWN(dirty)
{
	if (self->mem && self->mem != MAP_FAILED)
		munmap(self->mem, ALLOC_SIZE);
	gas_space_close(&self->s);
}

static __u64 nr_dirty(int fd)
{
	struct gaspace_info info;

	if (gas_get_info(fd, &info))
		return ~0ULL;
	return info.nr_dirty_pages;
}

/* The pages the alloc area's log reports, as a count and a list. */
static int report(int fd, __u64 *bits, __u32 flags, int *pages, int max)
{
	int i, n = 0, ret;

	memset(bits, 0xa5, (WORDS + 1) * sizeof(*bits));
	ret = gas_get_dirty_log(fd, ALLOC, ALLOC_SIZE, bits, flags);
	if (ret)
		return ret;
	for (i = 0; i < (int)NPAGES; i++)
		if (bits[i / 64] & BIT_ULL(i % 64)) {
			if (n < max)
				pages[n] = i;
			n++;
		}
	return n;
}

/* TRANSLATE's prot at @gpa (and its leaf size), or -1. */
static int prot_at(int fd, __u64 gpa, __u64 *page_size)
{
	struct gaspace_translation t;

	if (gas_translate(fd, gpa, &t))
		return -1;
	if (page_size)
		*page_size = t.page_size;
	return (int)t.prot;
}

TEST_F(dirty, cap_is_one)
{
	EXPECT_EQ(1, gas_ioctl(self->s.dev, GASPACE_CHECK_EXTENSION,
			       GASPACE_CAP_DIRTY_LOG));
}

TEST_F(dirty, enable_splits_and_write_protects)
{
	int fd = self->s.fd;
	struct gaspace_info info;
	__u64 ps_alloc, ps;

	prot_at(fd, ALLOC, &ps_alloc);
	ASSERT_EQ(0, gas_dirty_log_enable(fd, ALLOC, ALLOC_SIZE));
	ASSERT_EQ(0, gas_dirty_log_enable(fd, LINEAR, SZ_2M));
	EXPECT_EQ(GAS_PROT_R, prot_at(fd, ALLOC + PAGE_4K, &ps));
	EXPECT_EQ(PAGE_4K, ps);
	EXPECT_EQ(GAS_PROT_RX, prot_at(fd, LINEAR + SZ_2M - 1, &ps));
	EXPECT_EQ(PAGE_4K, ps);
	/* the rest of the linear area: the largest blocks it allows */
	EXPECT_EQ(GAS_PROT_RWX, prot_at(fd, LINEAR + SZ_2M, &ps));
	EXPECT_EQ(SZ_2M, ps);
	ASSERT_EQ(0, gas_get_info(fd, &info));
	EXPECT_EQ(0ULL, info.nr_dirty_pages);
	EXPECT_EQ(NPAGES + 512, info.nr_leaves_4k);
	EXPECT_EQ(3ULL, info.nr_areas);
	/* DISABLE: W and the blocks back */
	ASSERT_EQ(0, gas_dirty_log_disable(fd, ALLOC, ALLOC_SIZE));
	ASSERT_EQ(0, gas_dirty_log_disable(fd, LINEAR, SZ_1G));
	EXPECT_EQ(GAS_PROT_RW, prot_at(fd, ALLOC + PAGE_4K, &ps));
	EXPECT_EQ(ps_alloc, ps);
	EXPECT_EQ(GAS_PROT_RWX, prot_at(fd, LINEAR, &ps));
	EXPECT_EQ(SZ_2M, ps);
	ASSERT_EQ(0, gas_get_info(fd, &info));
	EXPECT_EQ(ps_alloc == SZ_2M ? 0 : NPAGES, info.nr_leaves_4k);
}

TEST_F(dirty, fault_with_w_marks_one_page)
{
	int fd = self->s.fd, pages[4];

	ASSERT_EQ(0, gas_dirty_log_enable(fd, ALLOC, ALLOC_SIZE));
	EXPECT_EQ(0, gas_fault(fd, ALLOC + 3 * PAGE_4K + 5, GASPACE_PROT_WRITE));
	EXPECT_EQ(0, gas_fault(fd, ALLOC + 3 * PAGE_4K, GAS_PROT_RW));
	EXPECT_EQ(0, gas_fault(fd, ALLOC + 4 * PAGE_4K, GAS_PROT_R));
	EXPECT_EQ(GAS_PROT_RW, prot_at(fd, ALLOC + 3 * PAGE_4K, NULL));
	EXPECT_EQ(GAS_PROT_R, prot_at(fd, ALLOC + 4 * PAGE_4K, NULL));
	EXPECT_EQ(1ULL, nr_dirty(fd));
	ASSERT_EQ(1, report(fd, self->bits, 0, pages, 4));
	EXPECT_EQ(3, pages[0]);
	/* bits past the range are written 0, words past the bitmap not at all */
	ASSERT_EQ(0, gas_fault(fd, ALLOC + ALLOC_SIZE - PAGE_4K,
			       GASPACE_PROT_WRITE));
	memset(self->bits, 0xa5, sizeof(self->bits));
	ASSERT_EQ(0, gas_get_dirty_log(fd, ALLOC, ALLOC_SIZE - 3 * PAGE_4K,
				       self->bits, 0));
	EXPECT_EQ(BIT_ULL(3), self->bits[0]);
	EXPECT_EQ(0ULL, self->bits[WORDS - 1]);
	EXPECT_EQ(0xa5a5a5a5a5a5a5a5ULL, self->bits[WORDS]);
}

TEST_F(dirty, pwrite_marks_each_page_it_writes)
{
	int fd = self->s.fd, pages[4];
	char buf[PAGE_4K + 2] = { 1 };

	ASSERT_EQ(0, gas_dirty_log_enable(fd, ALLOC, ALLOC_SIZE));
	ASSERT_EQ((ssize_t)sizeof(buf),
		  pwrite(fd, buf, sizeof(buf), ALLOC + 10 * PAGE_4K - 1));
	ASSERT_EQ((ssize_t)sizeof(buf),
		  pread(fd, buf, sizeof(buf), ALLOC + 20 * PAGE_4K));
	ASSERT_EQ(3, report(fd, self->bits, 0, pages, 4));
	EXPECT_EQ(9, pages[0]);
	EXPECT_EQ(10, pages[1]);
	EXPECT_EQ(11, pages[2]);
	EXPECT_EQ(3ULL, nr_dirty(fd));
	/* the bytes reach the guest; its leaf still faults a write */
	EXPECT_EQ(GAS_PROT_R, prot_at(fd, ALLOC + 10 * PAGE_4K, NULL));
}

/* A VMM load or store the compiler keeps: each is a touch of the page. */
static char load(const char *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static void store(char *p, char v)
{
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
}

TEST_F(dirty, vmm_store_marks_and_loads_do_not)
{
	int fd = self->s.fd, pages[4];
	char *mem = self->mem, c;

	store(mem, 1);		/* mapped writable before ENABLE */
	c = load(mem + PAGE_4K);
	ASSERT_EQ(0, gas_dirty_log_enable(fd, ALLOC, ALLOC_SIZE));
	c += load(mem) + load(mem + 7 * PAGE_4K);
	EXPECT_EQ(0, report(fd, self->bits, 0, pages, 4));
	store(mem, c);
	store(mem + 5 * PAGE_4K + 9, 2);
	store(mem + 5 * PAGE_4K + 10, 3);
	ASSERT_EQ(2, report(fd, self->bits, GASPACE_DIRTY_CLEAR, pages, 4));
	EXPECT_EQ(0, pages[0]);
	EXPECT_EQ(5, pages[1]);
	/* clean again: the next store faults and marks again */
	store(mem + 5 * PAGE_4K, 4);
	ASSERT_EQ(1, report(fd, self->bits, 0, pages, 4));
	EXPECT_EQ(5, pages[0]);
}

TEST_F(dirty, report_again_clear_once_set)
{
	int fd = self->s.fd, pages[4];
	__u64 set[WORDS + 1] = { 0 };

	ASSERT_EQ(0, gas_dirty_log_enable(fd, ALLOC, ALLOC_SIZE));
	ASSERT_EQ(0, gas_fault(fd, ALLOC + PAGE_4K, GASPACE_PROT_WRITE));
	EXPECT_EQ(1, report(fd, self->bits, 0, pages, 4));
	EXPECT_EQ(1, report(fd, self->bits, 0, pages, 4));
	EXPECT_EQ(1, report(fd, self->bits, GASPACE_DIRTY_CLEAR, pages, 4));
	EXPECT_EQ(0ULL, nr_dirty(fd));
	EXPECT_EQ(0, report(fd, self->bits, GASPACE_DIRTY_CLEAR, pages, 4));
	EXPECT_EQ(GAS_PROT_R, prot_at(fd, ALLOC + PAGE_4K, NULL));
	/* SET: a failed migration puts its pages back */
	set[0] = BIT_ULL(1) | BIT_ULL(63);
	set[WORDS - 1] = BIT_ULL(63);
	ASSERT_EQ(0, gas_get_dirty_log(fd, ALLOC, ALLOC_SIZE, set,
				       GASPACE_DIRTY_SET));
	EXPECT_EQ(3ULL, nr_dirty(fd));
	ASSERT_EQ(3, report(fd, self->bits, GASPACE_DIRTY_CLEAR, pages, 4));
	EXPECT_EQ(1, pages[0]);
	EXPECT_EQ(63, pages[1]);
	EXPECT_EQ((int)NPAGES - 1, pages[2]);
}

TEST_F(dirty, unmap_drops_bits_and_map_is_unlogged)
{
	int fd = self->s.fd, pages[4];

	ASSERT_EQ(0, gas_dirty_log_enable(fd, ALLOC, ALLOC_SIZE));
	ASSERT_EQ(0, gas_fault(fd, ALLOC, GASPACE_PROT_WRITE));
	ASSERT_EQ(0, gas_fault(fd, ALLOC + PAGE_4K, GASPACE_PROT_WRITE));
	ASSERT_EQ(0, gas_unmap(fd, ALLOC, PAGE_4K));
	EXPECT_EQ(1ULL, nr_dirty(fd));
	EXPECT_EQ(-ENOENT, report(fd, self->bits, 0, pages, 4));
	ASSERT_EQ(0, gas_map_alloc(fd, ALLOC, PAGE_4K, GAS_PROT_RW,
				   GASPACE_MAP_REPLACE));
	EXPECT_EQ(-ENOENT, report(fd, self->bits, 0, pages, 4));
	ASSERT_EQ(0, gas_map_alloc(fd, ALLOC, ALLOC_SIZE, GAS_PROT_RW,
				   GASPACE_MAP_REPLACE));
	EXPECT_EQ(0ULL, nr_dirty(fd));
}

TEST_F(dirty, protect_keeps_logging)
{
	int fd = self->s.fd, pages[4];

	ASSERT_EQ(0, gas_dirty_log_enable(fd, ALLOC, ALLOC_SIZE));
	ASSERT_EQ(0, gas_protect(fd, ALLOC, SZ_2M, GAS_PROT_R));
	EXPECT_EQ(-EACCES, gas_fault(fd, ALLOC, GASPACE_PROT_WRITE));
	ASSERT_EQ(0, gas_protect(fd, ALLOC, SZ_2M, GAS_PROT_RWX));
	EXPECT_EQ(GAS_PROT_RX, prot_at(fd, ALLOC, NULL));
	ASSERT_EQ(0, gas_fault(fd, ALLOC, GASPACE_PROT_WRITE));
	EXPECT_EQ(GAS_PROT_RWX, prot_at(fd, ALLOC, NULL));
	EXPECT_EQ(1, report(fd, self->bits, 0, pages, 4));
}

TEST_F(dirty, errors_change_nothing)
{
	int fd = self->s.fd, pages[4];
	struct gaspace_range r = { .gpa = ALLOC, .size = PAGE_4K };
	struct gaspace_dirty_log d = {
		.gpa = ALLOC, .size = ALLOC_SIZE,
		.bitmap = (__u64)(uintptr_t)self->bits,
	};
	char *ro = mmap(NULL, PAGE_4K, PROT_READ,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, ro);
	EXPECT_EQ(-ENOENT, gas_get_dirty_log(fd, ALLOC, PAGE_4K, self->bits,
					     0));
	EXPECT_EQ(-ENOENT, gas_dirty_log_enable(fd, ALLOC, SZ_1G));
	EXPECT_EQ(-ENOENT, gas_dirty_log_disable(fd, BASE + SZ_2M * 2,
						 PAGE_4K));
	EXPECT_EQ(-EINVAL, gas_dirty_log_enable(fd, ALLOC + 1, PAGE_4K));
	EXPECT_EQ(-EINVAL, gas_dirty_log_enable(fd, ALLOC, 0));
	EXPECT_EQ(-ERANGE, gas_dirty_log_enable(fd, BASE - PAGE_4K, PAGE_4K));
	r.prot = GAS_PROT_R;
	EXPECT_EQ(-EINVAL, gas_range_args(fd, GASPACE_DIRTY_LOG_ENABLE, &r));
	r.prot = 0;
	r.flags = 1;
	EXPECT_EQ(-EINVAL, gas_range_args(fd, GASPACE_DIRTY_LOG_DISABLE, &r));
	r.flags = 0;
	r.reserved[1] = 1;
	EXPECT_EQ(-EINVAL, gas_range_args(fd, GASPACE_DIRTY_LOG_ENABLE, &r));
	EXPECT_EQ(-EFAULT, gas_ioctl(fd, GASPACE_DIRTY_LOG_ENABLE, 8));

	ASSERT_EQ(0, gas_dirty_log_enable(fd, ALLOC, ALLOC_SIZE));
	ASSERT_EQ(0, gas_fault(fd, ALLOC + PAGE_4K, GASPACE_PROT_WRITE));
	d.flags = GASPACE_DIRTY_CLEAR | GASPACE_DIRTY_SET;
	EXPECT_EQ(-EINVAL, gas_ioctl_ptr(fd, GASPACE_GET_DIRTY_LOG, &d));
	d.flags = 4;
	EXPECT_EQ(-EINVAL, gas_ioctl_ptr(fd, GASPACE_GET_DIRTY_LOG, &d));
	d.flags = 0;
	d.pad = 1;
	EXPECT_EQ(-EINVAL, gas_ioctl_ptr(fd, GASPACE_GET_DIRTY_LOG, &d));
	d.pad = 0;
	d.reserved[0] = 1;
	EXPECT_EQ(-EINVAL, gas_ioctl_ptr(fd, GASPACE_GET_DIRTY_LOG, &d));
	d.reserved[0] = 0;
	d.size = 0;
	EXPECT_EQ(-EINVAL, gas_ioctl_ptr(fd, GASPACE_GET_DIRTY_LOG, &d));
	d.size = PAGE_4K + 1;
	EXPECT_EQ(-EINVAL, gas_ioctl_ptr(fd, GASPACE_GET_DIRTY_LOG, &d));
	d.size = SIZE + PAGE_4K;
	EXPECT_EQ(-ERANGE, gas_ioctl_ptr(fd, GASPACE_GET_DIRTY_LOG, &d));
	EXPECT_EQ(-EFAULT, gas_ioctl(fd, GASPACE_GET_DIRTY_LOG, 8));
	/* a bitmap that cannot be written: -EFAULT, nothing cleared */
	EXPECT_EQ(-EFAULT, gas_get_dirty_log(fd, ALLOC, ALLOC_SIZE,
					     (__u64 *)ro, GASPACE_DIRTY_CLEAR));
	EXPECT_EQ(-EFAULT, gas_get_dirty_log(fd, ALLOC, ALLOC_SIZE, NULL, 0));
	EXPECT_EQ(-EFAULT, gas_get_dirty_log(fd, ALLOC, ALLOC_SIZE, NULL,
					     GASPACE_DIRTY_SET));
	EXPECT_EQ(1ULL, nr_dirty(fd));
	ASSERT_EQ(1, report(fd, self->bits, GASPACE_DIRTY_CLEAR, pages, 4));
	EXPECT_EQ(1, pages[0]);
	munmap(ro, PAGE_4K);
}

/* ---- a writer racing GET|CLEAR ---- */

#define RACE_PAGES	256

struct race {
	int fd;
	atomic_int done;
};

/*
 * Each page is written once, by a guest write (FAULT with W) or a pwrite
 * in turn: the writers that mark a page when its bytes are in place.  (A
 * VMM store is marked by its fault, just before the store retries: a
 * harvest between the two reports the page, and the store then marks it
 * again, so it may be reported twice.)
 */
static void *race_writer(void *arg)
{
	struct race *r = arg;
	char one = 1;
	int i;

	for (i = 0; i < RACE_PAGES; i++) {
		if (i & 1) {
			if (gas_fault(r->fd, ALLOC + i * PAGE_4K,
				      GASPACE_PROT_WRITE))
				break;
		} else if (pwrite(r->fd, &one, 1, ALLOC + i * PAGE_4K) != 1) {
			break;
		}
	}
	atomic_store(&r->done, 1);
	return NULL;
}

TEST_F(dirty, write_racing_clear_is_reported_once)
{
	int fd = self->s.fd, pages[NPAGES], seen[RACE_PAGES] = { 0 };
	struct race r = { .fd = fd };
	pthread_t t;
	int round, n, i, last = 0;

	ASSERT_EQ(0, gas_dirty_log_enable(fd, ALLOC, ALLOC_SIZE));
	ASSERT_EQ(0, pthread_create(&t, NULL, race_writer, &r));
	for (round = 0; !last; round++) {
		last = atomic_load(&r.done);
		n = report(fd, self->bits, GASPACE_DIRTY_CLEAR, pages, NPAGES);
		ASSERT_LE(0, n);
		for (i = 0; i < n; i++) {
			ASSERT_GT(RACE_PAGES, pages[i]);
			seen[pages[i]]++;
		}
	}
	pthread_join(t, NULL);
	n = report(fd, self->bits, GASPACE_DIRTY_CLEAR, pages, NPAGES);
	for (i = 0; i < n; i++)
		seen[pages[i]]++;
	for (i = 0; i < RACE_PAGES; i++)
		EXPECT_EQ(1, seen[i]) TH_LOG("page %d, %d rounds", i, round);
	EXPECT_EQ(0ULL, nr_dirty(fd));
}

TEST_HARNESS_MAIN
