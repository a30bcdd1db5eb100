// SPDX-License-Identifier: GPL-2.0
/*
 * unmap_test: GASPACE_UNMAP (gaspace.rst 2, 5, 3).
 *
 * -EFAULT, every -EINVAL rule (reserved, prot, flags, alignment, size 0,
 * wrap), -ERANGE for any part outside the space (UNMAP does not clip),
 * -ENOSPC when a split would pass max_areas; holes are fine; areas split
 * at both edges; alloc frames and empty table pages are freed, to the
 * page (part of a 2 MiB frame included); linear blocks split only where an
 * edge falls (the reference crate's hazard 3); a failed call changes
 * nothing.  Each case runs for every format.
 */
#include "gaspace_util.h"
#include "kselftest_harness.h"

#define BASE		SZ_1G
#define SIZE		(3 * SZ_1G)
#define HPA		BIT_ULL(40)
#define MAX_RUNS	32

FIXTURE(unmap) {
	struct gas_space s;
	struct gas_param max_areas;
	char msg[512];
};

FIXTURE_VARIANT(unmap) {
	unsigned int format;
	unsigned int bits;
};

FIXTURE_VARIANT_ADD(unmap, ept) GAS_GEOMETRY(EPT, 48);
FIXTURE_VARIANT_ADD(unmap, ept_5level) GAS_GEOMETRY(EPT, 57);
FIXTURE_VARIANT_ADD(unmap, npt) GAS_GEOMETRY(NPT, 48);
FIXTURE_VARIANT_ADD(unmap, arm64_s2) GAS_GEOMETRY(ARM64_S2, 40);
/* two levels: no 1 GiB block */
FIXTURE_VARIANT_ADD(unmap, arm64_s2_32) GAS_GEOMETRY(ARM64_S2, 32);
FIXTURE_VARIANT_ADD(unmap, riscv_g) GAS_GEOMETRY(RISCV_G, 41);

FIXTURE_SETUP(unmap)
{
	ASSERT_EQ(0, gas_space_open(&self->s, variant->format, variant->bits,
				    BASE, SIZE));
	ASSERT_EQ(0, gas_param_save(&self->max_areas,
				    GASPACE_PARAM("max_areas")));
}

FIXTURE_TEARDOWN(unmap)
{
	gas_param_restore(&self->max_areas);
	gas_space_close(&self->s);
}

/* Table pages for @runs in this space. */
#define TABLES(runs, nr) \
	gas_tables_for(self->s.levels, self->s.root_pages, runs, nr)

/* An alloc area of 4 KiB pages and a linear one, 2 MiB apart. */
static int two_areas(int fd)
{
	return gas_map_alloc(fd, BASE, 16 * PAGE_4K, GAS_PROT_RW,
			     GASPACE_MAP_POPULATE) ?:
	       gas_map_linear(fd, BASE + SZ_2M, SZ_2M, HPA, GAS_PROT_RX, 0);
}

static int two_areas_runs(struct gas_run *runs, unsigned int max_level)
{
	int nr = gas_add_run(runs, 0, MAX_RUNS, BASE, 16 * PAGE_4K, 0);

	return gas_linear_runs(BASE + SZ_2M, SZ_2M, HPA, max_level, runs, nr,
			       MAX_RUNS);
}

static const __u64 probes[] = {
	BASE, BASE + PAGE_4K, BASE + 15 * PAGE_4K, BASE + SZ_2M,
	BASE + 2 * SZ_2M - 1, BASE + 2 * SZ_2M,
};

TEST_F(unmap, bad_pointer_is_efault)
{
	char *mem = mmap(NULL, 2 * PAGE_4K, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct gaspace_range r = { .gpa = BASE, .size = 16 * PAGE_4K };
	struct gas_snapshot before, after;
	int fd = self->s.fd;

	ASSERT_NE(MAP_FAILED, mem);
	ASSERT_EQ(0, mprotect(mem + PAGE_4K, PAGE_4K, PROT_NONE));
	ASSERT_EQ(0, two_areas(fd));
	gas_snapshot(fd, &before, probes, ARRAY_LEN(probes));
	EXPECT_EQ(-EFAULT, gas_ioctl(fd, GASPACE_UNMAP, 0));
	EXPECT_EQ(-EFAULT, gas_ioctl_ptr(fd, GASPACE_UNMAP, mem + PAGE_4K));
	memcpy(mem + PAGE_4K - sizeof(r) + 1, &r, sizeof(r) - 1);
	EXPECT_EQ(-EFAULT, gas_ioctl_ptr(fd, GASPACE_UNMAP,
					 mem + PAGE_4K - sizeof(r) + 1));
	gas_snapshot(fd, &after, probes, ARRAY_LEN(probes));
	EXPECT_TRUE(gas_snapshot_equal(&before, &after));
	munmap(mem, 2 * PAGE_4K);
}

TEST_F(unmap, bad_fields_are_einval)
{
	static const struct gaspace_range c[] = {
		{ .gpa = BASE, .size = PAGE_4K, .reserved = { 1 } },
		{ .gpa = BASE, .size = PAGE_4K, .reserved = { 0, 1ULL << 63 } },
		{ .gpa = BASE, .size = PAGE_4K, .prot = GASPACE_PROT_READ },
		{ .gpa = BASE, .size = PAGE_4K, .prot = 1u << 31 },
		{ .gpa = BASE + 1, .size = PAGE_4K },
		{ .gpa = BASE + 0x800, .size = PAGE_4K },
		{ .gpa = BASE, .size = PAGE_4K + 1 },
		{ .gpa = BASE, .size = 0x800 },
		{ .gpa = BASE, .size = 0 },
		{ .gpa = ~0xfffULL, .size = PAGE_4K },		/* wraps */
		{ .gpa = BASE, .size = -BASE },			/* wraps */
		{ .gpa = BASE + PAGE_4K, .size = ~0xfffULL },	/* wraps */
		/* -EINVAL before -ERANGE */
		{ .gpa = 0, .size = PAGE_4K, .prot = GASPACE_PROT_READ },
		{ .gpa = BASE + SIZE, .size = 0 },
		{ .gpa = BASE + SIZE + 1, .size = PAGE_4K },
	};
	struct gas_snapshot before, after;
	int fd = self->s.fd;
	unsigned int i, bit;

	ASSERT_EQ(0, two_areas(fd));
	gas_snapshot(fd, &before, probes, ARRAY_LEN(probes));
	for (i = 0; i < ARRAY_LEN(c); i++) {
		EXPECT_EQ(-EINVAL, gas_range_args(fd, GASPACE_UNMAP, &c[i]))
			TH_LOG("case %u", i);
	}
	for (bit = 0; bit < 32; bit++) {
		struct gaspace_range r = {
			.gpa = BASE, .size = PAGE_4K, .flags = 1u << bit,
		};

		EXPECT_EQ(-EINVAL, gas_range_args(fd, GASPACE_UNMAP, &r))
			TH_LOG("flags %#x", r.flags);
	}
	gas_snapshot(fd, &after, probes, ARRAY_LEN(probes));
	EXPECT_TRUE(gas_snapshot_equal(&before, &after));
}

/* UNMAP does not clip: any part outside is -ERANGE, nothing unmapped. */
TEST_F(unmap, outside_the_space_is_erange)
{
	static const struct { __u64 gpa, size; } c[] = {
		{ 0, PAGE_4K },
		{ BASE - PAGE_4K, 2 * PAGE_4K },
		{ BASE - SZ_1G, SZ_1G + 16 * PAGE_4K },
		{ BASE + SIZE - PAGE_4K, 2 * PAGE_4K },
		{ BASE + SIZE, PAGE_4K },
		{ BASE, SIZE + PAGE_4K },
		{ 0, BASE + SIZE + PAGE_4K },
	};
	struct gas_snapshot before, after;
	int fd = self->s.fd;
	unsigned int i;

	ASSERT_EQ(0, two_areas(fd));
	ASSERT_EQ(0, gas_map_alloc(fd, BASE + SIZE - PAGE_4K, PAGE_4K,
				   GAS_PROT_RW, GASPACE_MAP_POPULATE));
	gas_snapshot(fd, &before, probes, ARRAY_LEN(probes));
	for (i = 0; i < ARRAY_LEN(c); i++) {
		EXPECT_EQ(-ERANGE, gas_unmap(fd, c[i].gpa, c[i].size))
			TH_LOG("gpa %#llx size %#llx", c[i].gpa, c[i].size);
	}
	gas_snapshot(fd, &after, probes, ARRAY_LEN(probes));
	EXPECT_TRUE(gas_snapshot_equal(&before, &after));
	/* the whole space is fine and leaves it empty */
	EXPECT_EQ(0, gas_unmap(fd, BASE, SIZE));
	EXPECT_COUNTERS(fd, 0, self->s.root_pages, 0, 0);
}

/* Holes are fine, like munmap. */
TEST_F(unmap, holes_are_fine)
{
	struct gas_snapshot before, after;
	int fd = self->s.fd;

	EXPECT_EQ(0, gas_unmap(fd, BASE, SIZE));
	EXPECT_EQ(0, gas_unmap(fd, BASE + SZ_2M, PAGE_4K));
	EXPECT_COUNTERS(fd, 0, self->s.root_pages, 0, 0);
	ASSERT_EQ(0, two_areas(fd));
	gas_snapshot(fd, &before, probes, ARRAY_LEN(probes));
	EXPECT_EQ(0, gas_unmap(fd, BASE + 16 * PAGE_4K,
			       SZ_2M - 16 * PAGE_4K));
	EXPECT_EQ(0, gas_unmap(fd, BASE + 2 * SZ_2M, SZ_1G));
	gas_snapshot(fd, &after, probes, ARRAY_LEN(probes));
	EXPECT_TRUE(gas_snapshot_equal(&before, &after));
	/* a range over both areas and the hole between them */
	EXPECT_EQ(0, gas_unmap(fd, BASE, 2 * SZ_2M));
	EXPECT_COUNTERS(fd, 0, self->s.root_pages, 0, 0);
}

/* Areas split at both edges; frames go page by page. */
TEST_F(unmap, splits_and_frees_pages)
{
	struct gaspace_translation t;
	struct gas_run runs[MAX_RUNS];
	int fd = self->s.fd, nr;

	ASSERT_EQ(0, two_areas(fd));
	nr = two_areas_runs(runs, self->s.max_level);
	EXPECT_COUNTERS(fd, 2, TABLES(runs, nr), 16, 16 * PAGE_4K + SZ_2M);

	/* the middle of the alloc area: one area becomes two */
	ASSERT_EQ(0, gas_unmap(fd, BASE + 4 * PAGE_4K, 2 * PAGE_4K));
	EXPECT_COUNTERS(fd, 3, TABLES(runs, nr), 14, 14 * PAGE_4K + SZ_2M);
	EXPECT_EQ(-ENOENT, gas_translate(fd, BASE + 4 * PAGE_4K, &t));
	EXPECT_EQ(-ENOENT, gas_translate(fd, BASE + 6 * PAGE_4K - 1, &t));
	ASSERT_EQ(0, gas_translate(fd, BASE + 3 * PAGE_4K, &t));
	EXPECT_EQ(PAGE_4K, t.limit);
	ASSERT_EQ(0, gas_translate(fd, BASE + 6 * PAGE_4K, &t));
	EXPECT_EQ(10 * PAGE_4K, t.limit);
	EXPECT_EQ(-ENOENT, gas_fault(fd, BASE + 5 * PAGE_4K,
				     GASPACE_PROT_READ));

	/* an edge: no new area */
	ASSERT_EQ(0, gas_unmap(fd, BASE, PAGE_4K));
	EXPECT_COUNTERS(fd, 3, TABLES(runs, nr), 13, 13 * PAGE_4K + SZ_2M);
	ASSERT_EQ(0, gas_unmap(fd, BASE + 15 * PAGE_4K, PAGE_4K));
	EXPECT_COUNTERS(fd, 3, TABLES(runs, nr), 12, 12 * PAGE_4K + SZ_2M);

	/* a whole area */
	ASSERT_EQ(0, gas_unmap(fd, BASE + PAGE_4K, 3 * PAGE_4K));
	EXPECT_COUNTERS(fd, 2, TABLES(runs, nr), 9, 9 * PAGE_4K + SZ_2M);

	/* the rest of the alloc area: its tables go */
	ASSERT_EQ(0, gas_unmap(fd, BASE, SZ_2M));
	nr = gas_linear_runs(BASE + SZ_2M, SZ_2M, HPA, self->s.max_level,
			     runs, 0, MAX_RUNS);
	EXPECT_COUNTERS(fd, 1, TABLES(runs, nr), 0, SZ_2M);
	ASSERT_EQ(0, gas_unmap(fd, BASE + SZ_2M, SZ_2M));
	EXPECT_COUNTERS(fd, 0, self->s.root_pages, 0, 0);
}

/*
 * UNMAP of part of a 2 MiB frame frees exactly the pages unmapped; the
 * rest stay in place, now behind 4 KiB leaves.
 */
TEST_F(unmap, part_of_a_huge_frame)
{
	struct gas_run runs[MAX_RUNS];
	struct gaspace_translation t;
	int fd = self->s.fd, nr;
	__u64 frame;

	ASSERT_EQ(0, gas_map_alloc(fd, BASE, SZ_2M, GAS_PROT_RW,
				   GASPACE_MAP_POPULATE | GASPACE_MAP_HUGE));
	ASSERT_EQ(0, gas_translate(fd, BASE, &t));
	ASSERT_EQ(SZ_2M, t.page_size)
		TH_LOG("no 2 MiB frame (an order-9 allocation failed?)");
	frame = t.hpa;
	nr = gas_add_run(runs, 0, MAX_RUNS, BASE, SZ_2M, 1);
	EXPECT_COUNTERS(fd, 1, TABLES(runs, nr), 512, SZ_2M);

	ASSERT_EQ(0, gas_unmap(fd, BASE + 100 * PAGE_4K, 3 * PAGE_4K));
	nr = gas_add_run(runs, 0, MAX_RUNS, BASE, 100 * PAGE_4K, 0);
	nr = gas_add_run(runs, nr, MAX_RUNS, BASE + 103 * PAGE_4K,
			 409 * PAGE_4K, 0);
	EXPECT_COUNTERS(fd, 2, TABLES(runs, nr), 509, 509 * PAGE_4K);
	EXPECT_EQ(0, gas_check_runs(fd, runs, 1, BASE + 100 * PAGE_4K, 0,
				    GAS_PROT_RW, GASPACE_BACKEND_ALLOC,
				    self->msg, sizeof(self->msg)) ?:
		     gas_check_runs(fd, runs + 1, 1, BASE + SZ_2M, 0,
				    GAS_PROT_RW, GASPACE_BACKEND_ALLOC,
				    self->msg, sizeof(self->msg)))
		TH_LOG("%s", self->msg);
	/* the frame did not move */
	ASSERT_EQ(0, gas_translate(fd, BASE + 99 * PAGE_4K + 5, &t));
	EXPECT_EQ(frame + 99 * PAGE_4K + 5, t.hpa);
	ASSERT_EQ(0, gas_translate(fd, BASE + 103 * PAGE_4K, &t));
	EXPECT_EQ(frame + 103 * PAGE_4K, t.hpa);
	ASSERT_EQ(0, gas_translate(fd, BASE + SZ_2M - 1, &t));
	EXPECT_EQ(frame + SZ_2M - 1, t.hpa);
	EXPECT_EQ(-ENOENT, gas_translate(fd, BASE + 101 * PAGE_4K, &t));

	/* the rest, a page at a time at the edges, then all of it */
	ASSERT_EQ(0, gas_unmap(fd, BASE, PAGE_4K));
	EXPECT_COUNTERS(fd, 2, TABLES(runs, nr), 508, 508 * PAGE_4K);
	ASSERT_EQ(0, gas_unmap(fd, BASE, SZ_2M));
	EXPECT_COUNTERS(fd, 0, self->s.root_pages, 0, 0);
}

/*
 * Hazard 3 of the reference crate: a partial unmap inside a 1 GiB or
 * 2 MiB linear block splits it, deeper only where an edge falls.
 */
TEST_F(unmap, inside_a_linear_block)
{
	static const struct { __u64 off, size; } holes[] = {
		{ 3 * SZ_2M + PAGE_4K, PAGE_4K },	/* 4 KiB in a 2 MiB */
		{ 8 * SZ_2M, SZ_2M },			/* one whole 2 MiB */
		{ 12 * SZ_2M - PAGE_4K, SZ_2M + 2 * PAGE_4K },
	};
	struct gas_run runs[MAX_RUNS];
	__u64 start = BASE, hpa = HPA;
	int fd = self->s.fd, nr = 0;
	unsigned int i;

	ASSERT_EQ(0, gas_map_linear(fd, BASE, SZ_1G, HPA, GAS_PROT_RWX, 0));
	for (i = 0; i < ARRAY_LEN(holes); i++) {
		ASSERT_EQ(0, gas_unmap(fd, BASE + holes[i].off,
				       holes[i].size));
	}
	/* expected: the pieces between the holes, each by the leaf rule */
	for (i = 0; i <= ARRAY_LEN(holes); i++) {
		__u64 end = i < ARRAY_LEN(holes) ? BASE + holes[i].off :
			    BASE + SZ_1G;
		int first = nr;

		nr = gas_linear_runs(start, end - start, hpa,
				     self->s.max_level, runs, nr, MAX_RUNS);
		ASSERT_LT(0, nr);
		EXPECT_EQ(0, gas_check_runs(fd, runs + first, nr - first, end,
					    HPA - BASE, GAS_PROT_RWX,
					    GASPACE_BACKEND_LINEAR,
					    self->msg, sizeof(self->msg)))
			TH_LOG("piece %u: %s", i, self->msg);
		if (i < ARRAY_LEN(holes)) {
			start = end + holes[i].size;
			hpa = HPA + (start - BASE);
		}
	}
	EXPECT_COUNTERS(fd, ARRAY_LEN(holes) + 1, TABLES(runs, nr), 0,
			SZ_1G - PAGE_4K - SZ_2M - SZ_2M - 2 * PAGE_4K);
	ASSERT_EQ(0, gas_unmap(fd, BASE, SZ_1G));
	EXPECT_COUNTERS(fd, 0, self->s.root_pages, 0, 0);
}

/* A NOHUGE or unaligned linear area splits without any block. */
TEST_F(unmap, linear_4k_leaves)
{
	struct gas_run runs[MAX_RUNS];
	int fd = self->s.fd, nr;

	ASSERT_EQ(0, gas_map_linear(fd, BASE, 2 * SZ_2M, HPA, GAS_PROT_R,
				    GASPACE_MAP_NOHUGE));
	ASSERT_EQ(0, gas_map_linear(fd, BASE + SZ_1G, 2 * SZ_2M,
				    HPA + PAGE_4K, GAS_PROT_R, 0));
	ASSERT_EQ(0, gas_unmap(fd, BASE + SZ_2M, SZ_1G));
	nr = gas_add_run(runs, 0, MAX_RUNS, BASE, SZ_2M, 0);
	nr = gas_add_run(runs, nr, MAX_RUNS, BASE + SZ_1G + SZ_2M, SZ_2M, 0);
	EXPECT_COUNTERS(fd, 2, TABLES(runs, nr), 0, 2 * SZ_2M);
	EXPECT_EQ(0, gas_check_runs(fd, runs, 1, BASE + SZ_2M, HPA - BASE,
				    GAS_PROT_R, GASPACE_BACKEND_LINEAR,
				    self->msg, sizeof(self->msg)) ?:
		     gas_check_runs(fd, runs + 1, 1, BASE + SZ_1G + 2 * SZ_2M,
				    HPA + PAGE_4K - BASE - SZ_1G, GAS_PROT_R,
				    GASPACE_BACKEND_LINEAR, self->msg,
				    sizeof(self->msg)))
		TH_LOG("%s", self->msg);
}

TEST_F(unmap, split_past_max_areas_is_enospc)
{
	struct gas_snapshot before, after;
	int fd = self->s.fd;

	ASSERT_EQ(0, two_areas(fd));
	gas_snapshot(fd, &before, probes, ARRAY_LEN(probes));
	ASSERT_EQ(0, gas_write_string(GASPACE_PARAM("max_areas"), "2"));
	EXPECT_EQ(-ENOSPC, gas_unmap(fd, BASE + PAGE_4K, PAGE_4K));
	EXPECT_EQ(-ENOSPC, gas_unmap(fd, BASE + SZ_2M + PAGE_4K, SZ_2M / 2));
	/* -ERANGE and -EINVAL first */
	EXPECT_EQ(-ERANGE, gas_unmap(fd, BASE - PAGE_4K, 2 * PAGE_4K));
	EXPECT_EQ(-EINVAL, gas_unmap(fd, BASE + PAGE_4K, 0));
	gas_snapshot(fd, &after, probes, ARRAY_LEN(probes));
	EXPECT_TRUE(gas_snapshot_equal(&before, &after));
	/* an edge does not add an area */
	EXPECT_EQ(0, gas_unmap(fd, BASE, PAGE_4K));
	ASSERT_EQ(0, gas_write_string(GASPACE_PARAM("max_areas"), "3"));
	EXPECT_EQ(0, gas_unmap(fd, BASE + 2 * PAGE_4K, PAGE_4K));
	EXPECT_COUNTERS(fd, 3, TABLES(NULL, 0) + self->s.levels - 1, 14,
			14 * PAGE_4K + SZ_2M);
}

/* The reference crate: unmap frees; 8 areas split into 16. */
TEST_F(unmap, unmap_splits_eight_into_sixteen)
{
	int fd = self->s.fd;
	__u64 i;

	for (i = 0; i < 8; i++) {
		ASSERT_EQ(0, gas_map_alloc(fd, BASE + i * 4 * PAGE_4K,
					   4 * PAGE_4K, GAS_PROT_RW,
					   GASPACE_MAP_POPULATE));
	}
	EXPECT_COUNTERS(fd, 8, self->s.root_pages + self->s.levels - 1, 32,
			32 * PAGE_4K);
	/* the second page of every area */
	for (i = 0; i < 8; i++) {
		ASSERT_EQ(0, gas_unmap(fd, BASE + (i * 4 + 1) * PAGE_4K,
				       PAGE_4K));
	}
	EXPECT_COUNTERS(fd, 16, self->s.root_pages + self->s.levels - 1, 24,
			24 * PAGE_4K);
	ASSERT_EQ(0, gas_unmap(fd, BASE, 32 * PAGE_4K));
	EXPECT_COUNTERS(fd, 0, self->s.root_pages, 0, 0);
}

TEST_HARNESS_MAIN
