// SPDX-License-Identifier: GPL-2.0
/*
 * fault_test: GASPACE_FAULT, the fault hook (gaspace.rst 2, 5, 3).
 *
 * -EFAULT; -EINVAL for access 0, unknown access bits and flags, before
 * -ERANGE; -ENOENT without an area; -EACCES whenever the access is not a
 * subset of the area's prot, present page or not, prot 0 included; a lazy
 * fault populates one page at any byte address, a HUGE one the whole 2 MiB
 * block when it lies in the area; faults are idempotent: a second one
 * allocates nothing and keeps the frame (the reference crate's hazard 5).
 * Each case runs for every format.
 */
#include "gaspace_util.h"
#include "kselftest_harness.h"

#define BASE		SZ_1G
#define SIZE		(3 * SZ_1G)
#define HPA		BIT_ULL(40)
#define MAX_RUNS	32

FIXTURE(fault) {
	struct gas_space s;
};

FIXTURE_VARIANT(fault) {
	unsigned int format;
	unsigned int bits;
};

FIXTURE_VARIANT_ADD(fault, ept) GAS_GEOMETRY(EPT, 48);
FIXTURE_VARIANT_ADD(fault, ept_5level) GAS_GEOMETRY(EPT, 57);
FIXTURE_VARIANT_ADD(fault, npt) GAS_GEOMETRY(NPT, 48);
FIXTURE_VARIANT_ADD(fault, arm64_s2) GAS_GEOMETRY(ARM64_S2, 40);
/* two levels: no 1 GiB block */
FIXTURE_VARIANT_ADD(fault, arm64_s2_32) GAS_GEOMETRY(ARM64_S2, 32);
FIXTURE_VARIANT_ADD(fault, riscv_g) GAS_GEOMETRY(RISCV_G, 41);

FIXTURE_SETUP(fault)
{
	ASSERT_EQ(0, gas_space_open(&self->s, variant->format, variant->bits,
				    BASE, SIZE));
}

FIXTURE_TEARDOWN(fault)
{
	gas_space_close(&self->s);
}

#define TABLES(runs, nr) \
	gas_tables_for(self->s.levels, self->s.root_pages, runs, nr)

TEST_F(fault, bad_pointer_is_efault)
{
	char *mem = mmap(NULL, 2 * PAGE_4K, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct gaspace_fault f = { .gpa = BASE, .access = GAS_PROT_R };
	int fd = self->s.fd;

	ASSERT_NE(MAP_FAILED, mem);
	ASSERT_EQ(0, mprotect(mem + PAGE_4K, PAGE_4K, PROT_NONE));
	ASSERT_EQ(0, gas_map_alloc(fd, BASE, PAGE_4K, GAS_PROT_RW, 0));
	EXPECT_EQ(-EFAULT, gas_ioctl(fd, GASPACE_FAULT, 0));
	memcpy(mem + PAGE_4K - sizeof(f) + 1, &f, sizeof(f) - 1);
	EXPECT_EQ(-EFAULT, gas_ioctl_ptr(fd, GASPACE_FAULT,
					 mem + PAGE_4K - sizeof(f) + 1));
	EXPECT_COUNTERS(fd, 1, self->s.root_pages, 0, 0);
	munmap(mem, 2 * PAGE_4K);
}

TEST_F(fault, bad_access_or_flags_is_einval)
{
	int fd = self->s.fd;
	unsigned int bit;

	ASSERT_EQ(0, gas_map_alloc(fd, BASE, PAGE_4K, GAS_PROT_RWX, 0));
	EXPECT_EQ(-EINVAL, gas_fault(fd, BASE, 0));
	for (bit = 3; bit < 32; bit++) {
		EXPECT_EQ(-EINVAL, gas_fault(fd, BASE, 1u << bit))
			TH_LOG("access %#x", 1u << bit);
		EXPECT_EQ(-EINVAL, gas_fault(fd, BASE, 1u << bit | 1))
			TH_LOG("access %#x", 1u << bit | 1);
	}
	for (bit = 0; bit < 32; bit++) {
		struct gaspace_fault f = {
			.gpa = BASE, .access = GAS_PROT_R, .flags = 1u << bit,
		};

		EXPECT_EQ(-EINVAL, gas_ioctl_ptr(fd, GASPACE_FAULT, &f))
			TH_LOG("flags %#x", f.flags);
	}
	/* before -ERANGE */
	EXPECT_EQ(-EINVAL, gas_fault(fd, 0, 0));
	EXPECT_EQ(-EINVAL, gas_fault(fd, BASE + SIZE, 8));
	EXPECT_COUNTERS(fd, 1, self->s.root_pages, 0, 0);
}

TEST_F(fault, outside_the_space_is_erange)
{
	static const __u64 c[] = {
		0, BASE - 1, BASE + SIZE, BASE + SIZE + PAGE_4K, ~0ULL,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_LEN(c); i++) {
		EXPECT_EQ(-ERANGE, gas_fault(self->s.fd, c[i], GAS_PROT_R))
			TH_LOG("gpa %#llx", c[i]);
	}
	EXPECT_EQ(-ENOENT, gas_fault(self->s.fd, BASE, GAS_PROT_R));
	EXPECT_EQ(-ENOENT, gas_fault(self->s.fd, BASE + SIZE - 1,
				     GAS_PROT_RWX));
}

TEST_F(fault, no_area_is_enoent)
{
	int fd = self->s.fd;

	ASSERT_EQ(0, gas_map_alloc(fd, BASE + PAGE_4K, PAGE_4K, GAS_PROT_RW,
				   0));
	EXPECT_EQ(-ENOENT, gas_fault(fd, BASE + PAGE_4K - 1, GAS_PROT_R));
	EXPECT_EQ(-ENOENT, gas_fault(fd, BASE + 2 * PAGE_4K, GAS_PROT_R));
	ASSERT_EQ(0, gas_unmap(fd, BASE + PAGE_4K, PAGE_4K));
	EXPECT_EQ(-ENOENT, gas_fault(fd, BASE + PAGE_4K, GAS_PROT_R));
	EXPECT_COUNTERS(fd, 0, self->s.root_pages, 0, 0);
}

/*
 * Every prot against every access: 0 exactly when the access is a subset
 * of the prot; -EACCES allocates nothing, and stays -EACCES on a page that
 * is present.
 */
TEST_F(fault, access_must_be_a_subset_of_prot)
{
	static const __u32 prots[] = {
		0, GAS_PROT_R, GAS_PROT_RW, GAS_PROT_RX, GAS_PROT_RWX,
		GASPACE_PROT_EXEC,
	};
	struct gas_run runs[MAX_RUNS];
	unsigned int p, pages = 0;
	int fd = self->s.fd, nr;
	__u32 access;

	for (p = 0; p < ARRAY_LEN(prots); p++) {
		__u64 lazy = BASE + 2 * p * PAGE_4K, lin = BASE + SZ_1G + lazy;

		ASSERT_EQ(0, gas_map_alloc(fd, lazy, PAGE_4K, prots[p], 0));
		ASSERT_EQ(0, gas_map_alloc(fd, lazy + PAGE_4K, PAGE_4K,
					   prots[p], GASPACE_MAP_POPULATE));
		ASSERT_EQ(0, gas_map_linear(fd, lin, PAGE_4K, HPA, prots[p],
					    0));
		/* denied accesses first: nothing gets allocated */
		for (access = 1; access < 8; access++) {
			if (!(access & ~prots[p]))
				continue;
			EXPECT_EQ(-EACCES, gas_fault(fd, lazy + 0x10, access))
				TH_LOG("prot %u access %u", prots[p], access);
			EXPECT_EQ(-EACCES, gas_fault(fd, lazy + PAGE_4K,
						     access))
				TH_LOG("prot %u access %u", prots[p], access);
			EXPECT_EQ(-EACCES, gas_fault(fd, lin + 0xfff, access))
				TH_LOG("prot %u access %u", prots[p], access);
		}
		nr = gas_add_run(runs, 0, MAX_RUNS, BASE,
				 2 * (p + 1) * PAGE_4K, 0);
		nr = gas_add_run(runs, nr, MAX_RUNS, BASE + SZ_1G,
				 2 * (p + 1) * PAGE_4K, 0);
		EXPECT_COUNTERS(fd, 3 * (p + 1), TABLES(runs, nr),
				p + 1 + pages,
				(3 * pages + (prots[p] ? 2 : 0)) * PAGE_4K);
		for (access = 1; access < 8; access++) {
			if (access & ~prots[p])
				continue;
			EXPECT_EQ(0, gas_fault(fd, lazy + 0x10, access))
				TH_LOG("prot %u access %u", prots[p], access);
			EXPECT_EQ(0, gas_fault(fd, lazy + PAGE_4K, access))
				TH_LOG("prot %u access %u", prots[p], access);
			EXPECT_EQ(0, gas_fault(fd, lin + 0xfff, access))
				TH_LOG("prot %u access %u", prots[p], access);
		}
		if (prots[p])
			pages++;
	}
}

/* One page per lazy fault, at any byte; a second fault takes nothing. */
TEST_F(fault, lazy_fault_is_idempotent)
{
	static const __u64 offs[] = { 0, 0x7ff, 0xfff };
	struct gas_run runs[MAX_RUNS];
	struct gaspace_translation t;
	int fd = self->s.fd, nr = 0;
	unsigned int i, n = 0;
	__u64 area = BASE + SZ_2M - 4 * PAGE_4K;

	ASSERT_EQ(0, gas_map_alloc(fd, area, 8 * PAGE_4K, GAS_PROT_RW, 0));
	for (i = 0; i < 8; i += 3) {
		__u64 page = area + i * PAGE_4K, hpa;
		unsigned int j;

		ASSERT_EQ(-ENOENT, gas_translate(fd, page, &t));
		ASSERT_EQ(0, gas_fault(fd, page + offs[i % 3],
				       GASPACE_PROT_WRITE));
		n++;
		nr = gas_add_run(runs, nr, MAX_RUNS, page, PAGE_4K, 0);
		EXPECT_COUNTERS(fd, 1, TABLES(runs, nr), n, n * PAGE_4K);
		ASSERT_EQ(0, gas_translate(fd, page, &t));
		hpa = t.hpa;
		EXPECT_EQ(PAGE_4K, t.page_size);
		/* again, at every byte offset and access allowed */
		for (j = 0; j < ARRAY_LEN(offs); j++) {
			EXPECT_EQ(0, gas_fault(fd, page + offs[j],
					       GAS_PROT_RW));
			EXPECT_EQ(0, gas_fault(fd, page + offs[j],
					       GASPACE_PROT_READ));
		}
		EXPECT_COUNTERS(fd, 1, TABLES(runs, nr), n, n * PAGE_4K);
		ASSERT_EQ(0, gas_translate(fd, page, &t));
		EXPECT_EQ(hpa, t.hpa) TH_LOG("the frame was replaced");
		/* the neighbours are still lazy */
		if (i + 1 < 8) {
			EXPECT_EQ(-ENOENT, gas_translate(fd, page + PAGE_4K,
							 &t));
		}
	}
	/* a fault on a POPULATE page takes nothing either */
	ASSERT_EQ(0, gas_map_alloc(fd, BASE, PAGE_4K, GAS_PROT_R,
				   GASPACE_MAP_POPULATE));
	nr = gas_add_run(runs, nr, MAX_RUNS, BASE, PAGE_4K, 0);
	EXPECT_EQ(0, gas_fault(fd, BASE + 1, GASPACE_PROT_READ));
	EXPECT_COUNTERS(fd, 2, TABLES(runs, nr), n + 1, (n + 1) * PAGE_4K);
	/* a linear area never faults */
	ASSERT_EQ(0, gas_map_linear(fd, BASE + SZ_1G, SZ_1G, HPA, GAS_PROT_R,
				    0));
	nr = gas_linear_runs(BASE + SZ_1G, SZ_1G, HPA, self->s.max_level,
			     runs, nr, MAX_RUNS);
	EXPECT_EQ(0, gas_fault(fd, BASE + SZ_1G + 0x1234, GASPACE_PROT_READ));
	EXPECT_COUNTERS(fd, 3, TABLES(runs, nr), n + 1,
			(n + 1) * PAGE_4K + SZ_1G);
}

/* HUGE: a fault anywhere in a 2 MiB block inside the area takes it all. */
TEST_F(fault, huge_fault_populates_the_block)
{
	struct gas_run runs[MAX_RUNS];
	struct gaspace_translation t;
	int fd = self->s.fd, nr;
	__u64 frame;

	/* [BASE + 2M - 4K, BASE + 6M + 4K): blocks at 2M and 4M inside */
	ASSERT_EQ(0, gas_map_alloc(fd, BASE + SZ_2M - PAGE_4K,
				   2 * SZ_2M + 2 * PAGE_4K, GAS_PROT_RW,
				   GASPACE_MAP_HUGE));
	EXPECT_COUNTERS(fd, 1, self->s.root_pages, 0, 0);
	ASSERT_EQ(0, gas_fault(fd, BASE + SZ_2M + 0x54321, GAS_PROT_R));
	nr = gas_add_run(runs, 0, MAX_RUNS, BASE + SZ_2M, SZ_2M, 1);
	EXPECT_COUNTERS(fd, 1, TABLES(runs, nr), 512, SZ_2M);
	ASSERT_EQ(0, gas_translate(fd, BASE + SZ_2M + 0x54321, &t));
	ASSERT_EQ(SZ_2M, t.page_size)
		TH_LOG("no 2 MiB frame (an order-9 allocation failed?)");
	EXPECT_EQ(1U, t.level);
	frame = t.hpa - 0x54321;
	EXPECT_EQ(0ULL, frame & (SZ_2M - 1));
	/* the rest of the block is present, a fault there takes nothing */
	ASSERT_EQ(0, gas_translate(fd, BASE + 2 * SZ_2M - 1, &t));
	EXPECT_EQ(frame + SZ_2M - 1, t.hpa);
	EXPECT_EQ(0, gas_fault(fd, BASE + SZ_2M, GASPACE_PROT_WRITE));
	EXPECT_EQ(0, gas_fault(fd, BASE + 2 * SZ_2M - 1, GAS_PROT_RW));
	EXPECT_COUNTERS(fd, 1, TABLES(runs, nr), 512, SZ_2M);
	ASSERT_EQ(0, gas_translate(fd, BASE + SZ_2M, &t));
	EXPECT_EQ(frame, t.hpa);
	/* the pages outside a whole block take 4 KiB each */
	ASSERT_EQ(0, gas_fault(fd, BASE + SZ_2M - 1, GAS_PROT_R));
	ASSERT_EQ(0, gas_fault(fd, BASE + 3 * SZ_2M, GAS_PROT_R));
	nr = gas_add_run(runs, nr, MAX_RUNS, BASE + SZ_2M - PAGE_4K,
			 PAGE_4K, 0);
	nr = gas_add_run(runs, nr, MAX_RUNS, BASE + 3 * SZ_2M, PAGE_4K, 0);
	EXPECT_COUNTERS(fd, 1, TABLES(runs, nr), 514, SZ_2M + 2 * PAGE_4K);
	ASSERT_EQ(0, gas_translate(fd, BASE + 3 * SZ_2M, &t));
	EXPECT_EQ(PAGE_4K, t.page_size);
	/* the second block */
	ASSERT_EQ(0, gas_fault(fd, BASE + 3 * SZ_2M - 1, GASPACE_PROT_WRITE));
	nr = gas_add_run(runs, nr, MAX_RUNS, BASE + 2 * SZ_2M, SZ_2M, 1);
	EXPECT_COUNTERS(fd, 1, TABLES(runs, nr), 1026,
			2 * SZ_2M + 2 * PAGE_4K);
	/* a HUGE area smaller than a block: 4 KiB */
	ASSERT_EQ(0, gas_map_alloc(fd, BASE + SZ_1G, SZ_2M - PAGE_4K,
				   GAS_PROT_R, GASPACE_MAP_HUGE));
	ASSERT_EQ(0, gas_fault(fd, BASE + SZ_1G, GAS_PROT_R));
	nr = gas_add_run(runs, nr, MAX_RUNS, BASE + SZ_1G, PAGE_4K, 0);
	EXPECT_COUNTERS(fd, 2, TABLES(runs, nr), 1027,
			2 * SZ_2M + 3 * PAGE_4K);
}

/* prot 0: -EACCES, populated or not, and nothing allocated. */
TEST_F(fault, prot_none_is_eacces)
{
	int fd = self->s.fd;

	ASSERT_EQ(0, gas_map_alloc(fd, BASE, 2 * PAGE_4K, GAS_PROT_RW, 0));
	ASSERT_EQ(0, gas_fault(fd, BASE, GAS_PROT_R));
	ASSERT_EQ(0, gas_protect(fd, BASE, 2 * PAGE_4K, 0));
	EXPECT_EQ(-EACCES, gas_fault(fd, BASE, GAS_PROT_R));
	EXPECT_EQ(-EACCES, gas_fault(fd, BASE + PAGE_4K, GAS_PROT_R));
	EXPECT_COUNTERS(fd, 1, self->s.root_pages + self->s.levels - 1, 1, 0);
	/* back to a prot: the faulted page is there, the other is lazy */
	ASSERT_EQ(0, gas_protect(fd, BASE, 2 * PAGE_4K, GAS_PROT_R));
	EXPECT_COUNTERS(fd, 1, self->s.root_pages + self->s.levels - 1, 1,
			PAGE_4K);
	EXPECT_EQ(-EACCES, gas_fault(fd, BASE + PAGE_4K, GAS_PROT_RW));
	EXPECT_EQ(0, gas_fault(fd, BASE + PAGE_4K, GAS_PROT_R));
	EXPECT_COUNTERS(fd, 1, self->s.root_pages + self->s.levels - 1, 2,
			2 * PAGE_4K);
}

/*
 * A block that no longer lies wholly inside one area (PROTECT split the
 * area inside it) faults page by page; a block still inside one does not.
 */
TEST_F(fault, huge_fault_after_split)
{
	struct gas_run runs[MAX_RUNS];
	struct gaspace_translation t;
	int fd = self->s.fd, nr;

	ASSERT_EQ(0, gas_map_alloc(fd, BASE, 2 * SZ_2M, GAS_PROT_RW,
				   GASPACE_MAP_HUGE));
	ASSERT_EQ(0, gas_protect(fd, BASE + SZ_2M / 2, PAGE_4K, GAS_PROT_R));
	ASSERT_EQ(0, gas_fault(fd, BASE, GAS_PROT_R));
	ASSERT_EQ(0, gas_fault(fd, BASE + SZ_2M - 1, GAS_PROT_R));
	nr = gas_add_run(runs, 0, MAX_RUNS, BASE, PAGE_4K, 0);
	nr = gas_add_run(runs, nr, MAX_RUNS, BASE + SZ_2M - PAGE_4K, PAGE_4K,
			 0);
	EXPECT_COUNTERS(fd, 3, TABLES(runs, nr), 2, 2 * PAGE_4K);
	ASSERT_EQ(0, gas_translate(fd, BASE, &t));
	EXPECT_EQ(PAGE_4K, t.page_size);
	EXPECT_EQ(-ENOENT, gas_translate(fd, BASE + PAGE_4K, &t));
	/* the second block lies in the third area whole */
	ASSERT_EQ(0, gas_fault(fd, BASE + SZ_2M + 0x8000, GASPACE_PROT_WRITE));
	ASSERT_EQ(0, gas_translate(fd, BASE + SZ_2M, &t));
	ASSERT_EQ(SZ_2M, t.page_size)
		TH_LOG("no 2 MiB frame (an order-9 allocation failed?)");
	nr = gas_add_run(runs, nr, MAX_RUNS, BASE + SZ_2M, SZ_2M, 1);
	EXPECT_COUNTERS(fd, 3, TABLES(runs, nr), 514, SZ_2M + 2 * PAGE_4K);
}

TEST_HARNESS_MAIN
