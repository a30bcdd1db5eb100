// SPDX-License-Identifier: GPL-2.0
/*
 * protect_test: GASPACE_PROTECT (gaspace.rst 2, 5, 3).
 *
 * -EFAULT, every -EINVAL rule, -ERANGE, -ENOENT for a range not fully
 * covered (nothing changed), -ENOSPC; areas split at both edges even where
 * the prot does not change; prot 0 keeps frames and tables but makes the
 * leaves non-present, and a prot again brings back the same frames;
 * PROTECT never populates; linear leaves after a split are still the
 * largest the rule allows; a 2 MiB frame split by PROTECT stays in place.
 * Each case runs for every format.
 */
#include "gaspace_util.h"
#include "kselftest_harness.h"

#define BASE		SZ_1G
#define SIZE		(3 * SZ_1G)
#define HPA		BIT_ULL(40)
#define MAX_RUNS	32

FIXTURE(protect) {
	struct gas_space s;
	struct gas_param max_areas;
	char msg[512];
};

FIXTURE_VARIANT(protect) {
	unsigned int format;
	unsigned int bits;
};

FIXTURE_VARIANT_ADD(protect, ept) GAS_GEOMETRY(EPT, 48);
FIXTURE_VARIANT_ADD(protect, ept_5level) GAS_GEOMETRY(EPT, 57);
FIXTURE_VARIANT_ADD(protect, npt) GAS_GEOMETRY(NPT, 48);
FIXTURE_VARIANT_ADD(protect, arm64_s2) GAS_GEOMETRY(ARM64_S2, 40);
/* two levels: no 1 GiB block */
FIXTURE_VARIANT_ADD(protect, arm64_s2_32) GAS_GEOMETRY(ARM64_S2, 32);
FIXTURE_VARIANT_ADD(protect, riscv_g) GAS_GEOMETRY(RISCV_G, 41);

/*
 * The other geometries: 5-level NPT, Arm with two levels and 16 root pages
 * and with four levels, RISC-V Sv57x4.
 */
FIXTURE_VARIANT_ADD(protect, npt_5level) GAS_GEOMETRY(NPT, 57);
FIXTURE_VARIANT_ADD(protect, arm64_s2_34) GAS_GEOMETRY(ARM64_S2, 34);
FIXTURE_VARIANT_ADD(protect, arm64_s2_48) GAS_GEOMETRY(ARM64_S2, 48);
FIXTURE_VARIANT_ADD(protect, riscv_g_sv57x4) GAS_GEOMETRY(RISCV_G, 59);

FIXTURE_SETUP(protect)
{
	ASSERT_EQ(0, gas_space_open(&self->s, variant->format, variant->bits,
				    BASE, SIZE));
	ASSERT_EQ(0, gas_param_save(&self->max_areas,
				    GASPACE_PARAM("max_areas")));
}

FIXTURE_TEARDOWN(protect)
{
	gas_param_restore(&self->max_areas);
	gas_space_close(&self->s);
}

#define TABLES(runs, nr) \
	gas_tables_for(self->s.levels, self->s.root_pages, runs, nr)

/*
 * [BASE, +16 pages) alloc populated, [+16, +32 pages) alloc lazy, a hole,
 * then [BASE + 2M, +2M) linear: tables for the first and the last.
 */
static int setup_areas(int fd)
{
	return gas_map_alloc(fd, BASE, 16 * PAGE_4K, GAS_PROT_RW,
			     GASPACE_MAP_POPULATE) ?:
	       gas_map_alloc(fd, BASE + 16 * PAGE_4K, 16 * PAGE_4K,
			     GAS_PROT_RW, 0) ?:
	       gas_map_linear(fd, BASE + SZ_2M, SZ_2M, HPA, GAS_PROT_RX, 0);
}

static int setup_runs(struct gas_run *runs, unsigned int max_level)
{
	int nr = gas_add_run(runs, 0, MAX_RUNS, BASE, 16 * PAGE_4K, 0);

	return gas_linear_runs(BASE + SZ_2M, SZ_2M, HPA, max_level, runs, nr,
			       MAX_RUNS);
}

static const __u64 probes[] = {
	BASE, BASE + 15 * PAGE_4K, BASE + 16 * PAGE_4K, BASE + SZ_2M,
	BASE + 2 * SZ_2M - 1,
};

TEST_F(protect, bad_pointer_is_efault)
{
	char *mem = mmap(NULL, 2 * PAGE_4K, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct gaspace_range r = { .gpa = BASE, .size = PAGE_4K };
	struct gas_snapshot before, after;
	int fd = self->s.fd;

	ASSERT_NE(MAP_FAILED, mem);
	ASSERT_EQ(0, mprotect(mem + PAGE_4K, PAGE_4K, PROT_NONE));
	ASSERT_EQ(0, setup_areas(fd));
	gas_snapshot(fd, &before, probes, ARRAY_LEN(probes));
	EXPECT_EQ(-EFAULT, gas_ioctl(fd, GASPACE_PROTECT, 0));
	memcpy(mem + PAGE_4K - sizeof(r) + 1, &r, sizeof(r) - 1);
	EXPECT_EQ(-EFAULT, gas_ioctl_ptr(fd, GASPACE_PROTECT,
					 mem + PAGE_4K - sizeof(r) + 1));
	gas_snapshot(fd, &after, probes, ARRAY_LEN(probes));
	EXPECT_TRUE(gas_snapshot_equal(&before, &after));
	munmap(mem, 2 * PAGE_4K);
}

TEST_F(protect, bad_fields_are_einval)
{
	static const struct gaspace_range c[] = {
		{ .gpa = BASE, .size = PAGE_4K, .reserved = { 1 } },
		{ .gpa = BASE, .size = PAGE_4K, .reserved = { 0, 1ULL << 40 } },
		{ .gpa = BASE, .size = PAGE_4K, .prot = 8 },
		{ .gpa = BASE, .size = PAGE_4K, .prot = 1u << 31 | 1 },
		{ .gpa = BASE, .size = PAGE_4K, .prot = GASPACE_PROT_WRITE },
		{ .gpa = BASE, .size = PAGE_4K,
		  .prot = GASPACE_PROT_WRITE | GASPACE_PROT_EXEC },
		{ .gpa = BASE + 1, .size = PAGE_4K, .prot = 1 },
		{ .gpa = BASE, .size = PAGE_4K - 1, .prot = 1 },
		{ .gpa = BASE, .size = 0, .prot = 1 },
		{ .gpa = ~0xfffULL, .size = PAGE_4K, .prot = 1 },
		{ .gpa = BASE, .size = -BASE, .prot = 1 },
		/* -EINVAL before -ERANGE and -ENOENT */
		{ .gpa = 0, .size = PAGE_4K, .prot = 2 },
		{ .gpa = BASE + SIZE, .size = 0, .prot = 1 },
		{ .gpa = BASE + SZ_1G + 1, .size = PAGE_4K, .prot = 1 },
	};
	struct gas_snapshot before, after;
	int fd = self->s.fd;
	unsigned int i, bit;

	ASSERT_EQ(0, setup_areas(fd));
	gas_snapshot(fd, &before, probes, ARRAY_LEN(probes));
	for (i = 0; i < ARRAY_LEN(c); i++) {
		EXPECT_EQ(-EINVAL, gas_range_args(fd, GASPACE_PROTECT, &c[i]))
			TH_LOG("case %u", i);
	}
	for (bit = 0; bit < 32; bit++) {
		struct gaspace_range r = {
			.gpa = BASE, .size = PAGE_4K, .prot = 1,
			.flags = 1u << bit,
		};

		EXPECT_EQ(-EINVAL, gas_range_args(fd, GASPACE_PROTECT, &r))
			TH_LOG("flags %#x", r.flags);
	}
	gas_snapshot(fd, &after, probes, ARRAY_LEN(probes));
	EXPECT_TRUE(gas_snapshot_equal(&before, &after));
}

TEST_F(protect, outside_the_space_is_erange)
{
	static const struct { __u64 gpa, size; } c[] = {
		{ 0, PAGE_4K },
		{ BASE - PAGE_4K, 2 * PAGE_4K },
		{ BASE + SIZE - PAGE_4K, 2 * PAGE_4K },
		{ BASE + SIZE, PAGE_4K },
		{ BASE, SIZE + PAGE_4K },
	};
	struct gas_snapshot before, after;
	int fd = self->s.fd;
	unsigned int i;

	ASSERT_EQ(0, setup_areas(fd));
	ASSERT_EQ(0, gas_map_alloc(fd, BASE + SIZE - PAGE_4K, PAGE_4K,
				   GAS_PROT_RW, GASPACE_MAP_POPULATE));
	gas_snapshot(fd, &before, probes, ARRAY_LEN(probes));
	for (i = 0; i < ARRAY_LEN(c); i++) {
		EXPECT_EQ(-ERANGE, gas_protect(fd, c[i].gpa, c[i].size,
					       GAS_PROT_R))
			TH_LOG("gpa %#llx size %#llx", c[i].gpa, c[i].size);
	}
	gas_snapshot(fd, &after, probes, ARRAY_LEN(probes));
	EXPECT_TRUE(gas_snapshot_equal(&before, &after));
}

/* A range not fully covered by areas: -ENOENT, nothing changed. */
TEST_F(protect, hole_is_enoent)
{
	static const struct { __u64 off, size; } c[] = {
		{ 32 * PAGE_4K, PAGE_4K },		/* in the hole */
		{ 31 * PAGE_4K, 2 * PAGE_4K },		/* into the hole */
		{ SZ_2M - PAGE_4K, 2 * PAGE_4K },	/* out of it */
		{ 0, 2 * SZ_2M },			/* over it */
		{ 2 * SZ_2M - PAGE_4K, 2 * PAGE_4K },	/* past the end */
		{ SZ_1G, SZ_1G },			/* nothing at all */
	};
	struct gas_snapshot before, after;
	int fd = self->s.fd;
	unsigned int i;

	ASSERT_EQ(0, setup_areas(fd));
	gas_snapshot(fd, &before, probes, ARRAY_LEN(probes));
	for (i = 0; i < ARRAY_LEN(c); i++) {
		EXPECT_EQ(-ENOENT, gas_protect(fd, BASE + c[i].off,
					       c[i].size, GAS_PROT_R))
			TH_LOG("case %u", i);
		EXPECT_EQ(-ENOENT, gas_protect(fd, BASE + c[i].off,
					       c[i].size, 0))
			TH_LOG("case %u", i);
	}
	/* -ERANGE comes first */
	EXPECT_EQ(-ERANGE, gas_protect(fd, BASE - PAGE_4K, SZ_1G, 0));
	gas_snapshot(fd, &after, probes, ARRAY_LEN(probes));
	EXPECT_TRUE(gas_snapshot_equal(&before, &after));
	/* two adjacent areas are covered */
	EXPECT_EQ(0, gas_protect(fd, BASE, 32 * PAGE_4K, GAS_PROT_R));
}

TEST_F(protect, split_past_max_areas_is_enospc)
{
	struct gas_snapshot before, after;
	int fd = self->s.fd;

	ASSERT_EQ(0, setup_areas(fd));
	gas_snapshot(fd, &before, probes, ARRAY_LEN(probes));
	ASSERT_EQ(0, gas_write_string(GASPACE_PARAM("max_areas"), "4"));
	/* one split: 4 areas, fine; two: -ENOSPC */
	EXPECT_EQ(-ENOSPC, gas_protect(fd, BASE + PAGE_4K, PAGE_4K,
				       GAS_PROT_R));
	EXPECT_EQ(-ENOSPC, gas_protect(fd, BASE + 15 * PAGE_4K, 2 * PAGE_4K,
				       GAS_PROT_R));
	/* -ENOENT first */
	EXPECT_EQ(-ENOENT, gas_protect(fd, BASE + PAGE_4K, SZ_2M,
				       GAS_PROT_R));
	gas_snapshot(fd, &after, probes, ARRAY_LEN(probes));
	EXPECT_TRUE(gas_snapshot_equal(&before, &after));
	EXPECT_EQ(0, gas_protect(fd, BASE, PAGE_4K, GAS_PROT_R));
	EXPECT_COUNTERS(fd, 4, after.info.nr_table_pages, 16,
			16 * PAGE_4K + SZ_2M);
}

/* Splits at both edges even where the prot stays the same. */
TEST_F(protect, splits_even_without_change)
{
	struct gaspace_translation t;
	struct gas_run runs[MAX_RUNS];
	int fd = self->s.fd, nr;

	ASSERT_EQ(0, setup_areas(fd));
	nr = setup_runs(runs, self->s.max_level);
	EXPECT_COUNTERS(fd, 3, TABLES(runs, nr), 16, 16 * PAGE_4K + SZ_2M);
	/* the same prot, in the middle: one area becomes three */
	ASSERT_EQ(0, gas_protect(fd, BASE + 4 * PAGE_4K, 4 * PAGE_4K,
				 GAS_PROT_RW));
	EXPECT_COUNTERS(fd, 5, TABLES(runs, nr), 16, 16 * PAGE_4K + SZ_2M);
	ASSERT_EQ(0, gas_translate(fd, BASE + 4 * PAGE_4K + 1, &t));
	EXPECT_EQ(4 * PAGE_4K - 1, t.limit);
	ASSERT_EQ(0, gas_translate(fd, BASE, &t));
	EXPECT_EQ(4 * PAGE_4K, t.limit);
	/* exactly one area: no new one */
	ASSERT_EQ(0, gas_protect(fd, BASE + 4 * PAGE_4K, 4 * PAGE_4K,
				 GAS_PROT_R));
	EXPECT_COUNTERS(fd, 5, TABLES(runs, nr), 16, 16 * PAGE_4K + SZ_2M);
	/* over three areas, cutting the outer two */
	ASSERT_EQ(0, gas_protect(fd, BASE + 2 * PAGE_4K, 20 * PAGE_4K,
				 GAS_PROT_RWX));
	EXPECT_COUNTERS(fd, 7, TABLES(runs, nr), 16, 16 * PAGE_4K + SZ_2M);
	ASSERT_EQ(0, gas_translate(fd, BASE + 15 * PAGE_4K, &t));
	EXPECT_EQ((__u32)GAS_PROT_RWX, t.prot);
	EXPECT_EQ(PAGE_4K, t.limit);
	/* the lazy part did not get frames */
	EXPECT_EQ(-ENOENT, gas_translate(fd, BASE + 16 * PAGE_4K, &t));
	ASSERT_EQ(0, gas_translate(fd, BASE + PAGE_4K, &t));
	EXPECT_EQ((__u32)GAS_PROT_RW, t.prot);
	EXPECT_EQ(-ENOENT, gas_translate(fd, BASE + 22 * PAGE_4K, &t))
		TH_LOG("never faulted, must stay lazy");
}

/*
 * prot 0 keeps frames and tables; the same frames come back with a prot,
 * and only those: PROTECT never populates.
 */
TEST_F(protect, prot_none_keeps_frames)
{
	__u64 hpa[16];
	struct gaspace_translation t;
	struct gas_run runs[MAX_RUNS];
	int fd = self->s.fd, nr, i;

	ASSERT_EQ(0, setup_areas(fd));
	nr = setup_runs(runs, self->s.max_level);
	ASSERT_EQ(0, gas_fault(fd, BASE + 20 * PAGE_4K, GASPACE_PROT_WRITE));
	nr = gas_add_run(runs, nr, MAX_RUNS, BASE + 20 * PAGE_4K, PAGE_4K, 0);
	for (i = 0; i < 16; i++) {
		ASSERT_EQ(0, gas_translate(fd, BASE + i * PAGE_4K, &t));
		hpa[i] = t.hpa;
	}
	EXPECT_EQ(-ENOENT, gas_protect(fd, BASE, 2 * SZ_2M, 0));
	ASSERT_EQ(0, gas_protect(fd, BASE, 32 * PAGE_4K, 0));
	EXPECT_COUNTERS(fd, 3, TABLES(runs, nr), 17, SZ_2M);
	for (i = 0; i < 32; i++) {
		EXPECT_EQ(-ENOENT, gas_translate(fd, BASE + i * PAGE_4K, &t))
			TH_LOG("page %d", i);
		EXPECT_EQ(-EACCES, gas_fault(fd, BASE + i * PAGE_4K,
					     GASPACE_PROT_READ))
			TH_LOG("page %d", i);
	}
	EXPECT_COUNTERS(fd, 3, TABLES(runs, nr), 17, SZ_2M);

	/* a prot again: the same frames, the lazy pages still lazy */
	ASSERT_EQ(0, gas_protect(fd, BASE, 32 * PAGE_4K, GAS_PROT_R));
	EXPECT_COUNTERS(fd, 3, TABLES(runs, nr), 17, 17 * PAGE_4K + SZ_2M);
	for (i = 0; i < 16; i++) {
		ASSERT_EQ(0, gas_translate(fd, BASE + i * PAGE_4K, &t));
		EXPECT_EQ(hpa[i], t.hpa) TH_LOG("page %d moved", i);
		EXPECT_EQ((__u32)GAS_PROT_R, t.prot);
	}
	EXPECT_EQ(0, gas_translate(fd, BASE + 20 * PAGE_4K, &t));
	EXPECT_EQ(-ENOENT, gas_translate(fd, BASE + 21 * PAGE_4K, &t));
	EXPECT_EQ(-ENOENT, gas_translate(fd, BASE + 16 * PAGE_4K, &t));
}

/* A linear area at prot 0 and back: its leaves keep their sizes. */
TEST_F(protect, linear_prot_none_and_back)
{
	__u64 gpa = BASE + SZ_1G - SZ_2M - PAGE_4K;
	__u64 size = SZ_1G + 2 * SZ_2M + 2 * PAGE_4K;
	struct gaspace_translation t;
	struct gas_run runs[MAX_RUNS];
	int fd = self->s.fd, nr;

	nr = gas_linear_runs(gpa, size, HPA + gpa, self->s.max_level, runs,
			     0, MAX_RUNS);
	ASSERT_EQ(0, gas_map_linear(fd, gpa, size, HPA + gpa, GAS_PROT_RW,
				    0));
	ASSERT_EQ(0, gas_protect(fd, gpa, size, 0));
	EXPECT_COUNTERS(fd, 1, TABLES(runs, nr), 0, 0);
	EXPECT_EQ(-ENOENT, gas_translate(fd, gpa, &t));
	EXPECT_EQ(-ENOENT, gas_translate(fd, BASE + SZ_1G, &t));
	EXPECT_EQ(-EACCES, gas_fault(fd, BASE + SZ_1G, GASPACE_PROT_READ));
	ASSERT_EQ(0, gas_protect(fd, gpa, size, GAS_PROT_RX));
	EXPECT_COUNTERS(fd, 1, TABLES(runs, nr), 0, size);
	EXPECT_EQ(0, gas_check_runs(fd, runs, nr, gpa + size, HPA,
				    GAS_PROT_RX, GASPACE_BACKEND_LINEAR,
				    self->msg, sizeof(self->msg)))
		TH_LOG("%s", self->msg);
}

/*
 * PROTECT of part of a linear block: three areas, each with the largest
 * leaves the rule allows in it (gaspace.rst 3, leaf sizes).
 */
TEST_F(protect, linear_block_split)
{
	static const struct { __u64 off, size; } c[] = {
		{ SZ_2M + PAGE_4K, PAGE_4K },
		{ 4 * SZ_2M, SZ_2M },
		{ SZ_2M - PAGE_4K, 3 * SZ_2M + 2 * PAGE_4K },
		{ 0, SZ_1G - PAGE_4K },
	};
	int fd = self->s.fd;
	unsigned int i;

	for (i = 0; i < ARRAY_LEN(c); i++) {
		__u64 a = BASE + c[i].off, b = a + c[i].size;
		__u64 edges[4] = { BASE, a, b, BASE + SZ_1G };
		__u32 prot[3] = { GAS_PROT_RWX, GAS_PROT_R, GAS_PROT_RWX };
		struct gas_run runs[MAX_RUNS];
		int nr = 0, j, areas = 0;

		ASSERT_EQ(0, gas_map_linear(fd, BASE, SZ_1G, HPA,
					    GAS_PROT_RWX, 0));
		ASSERT_EQ(0, gas_protect(fd, a, c[i].size, GAS_PROT_R));
		for (j = 0; j < 3; j++) {
			int first = nr;

			if (edges[j] == edges[j + 1])
				continue;
			areas++;
			nr = gas_linear_runs(edges[j], edges[j + 1] - edges[j],
					     HPA + edges[j] - BASE,
					     self->s.max_level, runs, nr,
					     MAX_RUNS);
			ASSERT_LT(0, nr);
			EXPECT_EQ(0, gas_check_runs(fd, runs + first,
						    nr - first, edges[j + 1],
						    HPA - BASE, prot[j],
						    GASPACE_BACKEND_LINEAR,
						    self->msg,
						    sizeof(self->msg)))
				TH_LOG("case %u piece %d: %s", i, j, self->msg);
		}
		EXPECT_COUNTERS(fd, areas, TABLES(runs, nr), 0, SZ_1G);
		ASSERT_EQ(0, gas_unmap(fd, BASE, SZ_1G));
		EXPECT_COUNTERS(fd, 0, self->s.root_pages, 0, 0);
	}
}

/* A 2 MiB frame split by PROTECT: 4 KiB leaves over the same frame. */
TEST_F(protect, huge_frame_split)
{
	struct gaspace_translation t;
	struct gas_run runs[MAX_RUNS];
	int fd = self->s.fd, nr;
	__u64 frame;

	ASSERT_EQ(0, gas_map_alloc(fd, BASE, SZ_2M, GAS_PROT_RW,
				   GASPACE_MAP_POPULATE | GASPACE_MAP_HUGE));
	ASSERT_EQ(0, gas_translate(fd, BASE, &t));
	ASSERT_EQ(SZ_2M, t.page_size)
		TH_LOG("no 2 MiB frame (an order-9 allocation failed?)");
	frame = t.hpa;
	ASSERT_EQ(0, gas_protect(fd, BASE + SZ_2M / 2, PAGE_4K, GAS_PROT_R));
	nr = gas_add_run(runs, 0, MAX_RUNS, BASE, SZ_2M, 0);
	EXPECT_COUNTERS(fd, 3, TABLES(runs, nr), 512, SZ_2M);
	ASSERT_EQ(0, gas_translate(fd, BASE + 5, &t));
	EXPECT_EQ(frame + 5, t.hpa);
	EXPECT_EQ(PAGE_4K, t.page_size);
	EXPECT_EQ(0U, t.level);
	EXPECT_EQ(SZ_2M / 2 - 5, t.limit);
	ASSERT_EQ(0, gas_translate(fd, BASE + SZ_2M / 2 + 9, &t));
	EXPECT_EQ(frame + SZ_2M / 2 + 9, t.hpa);
	EXPECT_EQ((__u32)GAS_PROT_R, t.prot);
	ASSERT_EQ(0, gas_translate(fd, BASE + SZ_2M - 1, &t));
	EXPECT_EQ(frame + SZ_2M - 1, t.hpa);
	/* prot 0 of the whole: frames kept */
	ASSERT_EQ(0, gas_protect(fd, BASE, SZ_2M, 0));
	EXPECT_COUNTERS(fd, 3, TABLES(runs, nr), 512, 0);
	ASSERT_EQ(0, gas_protect(fd, BASE, SZ_2M, GAS_PROT_RW));
	ASSERT_EQ(0, gas_translate(fd, BASE + SZ_2M - 1, &t));
	EXPECT_EQ(frame + SZ_2M - 1, t.hpa);
	EXPECT_COUNTERS(fd, 3, TABLES(runs, nr), 512, SZ_2M);
}

/*
 * An edge on a 2 MiB boundary does not fall inside any block: every 2 MiB
 * frame is still covered whole by its area and keeps its block leaf.
 */
TEST_F(protect, split_at_block_edges_keeps_blocks)
{
	struct gas_run runs[MAX_RUNS];
	struct gaspace_translation t;
	int fd = self->s.fd, nr;
	__u64 frame[3], i;

	ASSERT_EQ(0, gas_map_alloc(fd, BASE, 3 * SZ_2M, GAS_PROT_RW,
				   GASPACE_MAP_POPULATE | GASPACE_MAP_HUGE));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, gas_translate(fd, BASE + i * SZ_2M, &t));
		ASSERT_EQ(SZ_2M, t.page_size)
			TH_LOG("no 2 MiB frame (an order-9 allocation failed?)");
		frame[i] = t.hpa;
	}
	ASSERT_EQ(0, gas_protect(fd, BASE + SZ_2M, SZ_2M, GAS_PROT_R));
	nr = gas_add_run(runs, 0, MAX_RUNS, BASE, 3 * SZ_2M, 1);
	EXPECT_COUNTERS(fd, 3, TABLES(runs, nr), 3 * 512, 3 * SZ_2M);
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, gas_translate(fd, BASE + i * SZ_2M + 0x4321, &t));
		EXPECT_EQ(SZ_2M, t.page_size) TH_LOG("block %llu", i);
		EXPECT_EQ(1U, t.level);
		EXPECT_EQ(frame[i] + 0x4321, t.hpa);
		EXPECT_EQ(SZ_2M - 0x4321, t.limit);
		EXPECT_EQ((__u32)(i == 1 ? GAS_PROT_R : GAS_PROT_RW), t.prot);
	}
	/* and UNMAP of a whole block leaves the others whole */
	ASSERT_EQ(0, gas_unmap(fd, BASE + SZ_2M, SZ_2M));
	nr = gas_add_run(runs, 0, MAX_RUNS, BASE, SZ_2M, 1);
	nr = gas_add_run(runs, nr, MAX_RUNS, BASE + 2 * SZ_2M, SZ_2M, 1);
	EXPECT_COUNTERS(fd, 2, TABLES(runs, nr), 2 * 512, 2 * SZ_2M);
	ASSERT_EQ(0, gas_translate(fd, BASE + 3 * SZ_2M - 1, &t));
	EXPECT_EQ(SZ_2M, t.page_size);
	EXPECT_EQ(frame[2] + SZ_2M - 1, t.hpa);
}

/* A HUGE area populated at prot 0 keeps its block, and gets it back. */
TEST_F(protect, huge_prot_none_and_back)
{
	struct gas_run runs[MAX_RUNS];
	struct gaspace_translation t;
	int fd = self->s.fd, nr;

	ASSERT_EQ(0, gas_map_alloc(fd, BASE + SZ_2M, SZ_2M, 0,
				   GASPACE_MAP_POPULATE | GASPACE_MAP_HUGE));
	nr = gas_add_run(runs, 0, MAX_RUNS, BASE + SZ_2M, SZ_2M, 1);
	EXPECT_COUNTERS(fd, 1, TABLES(runs, nr), 512, 0);
	EXPECT_EQ(-ENOENT, gas_translate(fd, BASE + SZ_2M, &t));
	ASSERT_EQ(0, gas_protect(fd, BASE + SZ_2M, SZ_2M, GAS_PROT_RX));
	EXPECT_COUNTERS(fd, 1, TABLES(runs, nr), 512, SZ_2M);
	ASSERT_EQ(0, gas_translate(fd, BASE + SZ_2M + 0x1000, &t));
	EXPECT_EQ(SZ_2M, t.page_size)
		TH_LOG("no 2 MiB frame (an order-9 allocation failed?)");
	EXPECT_EQ((__u32)GAS_PROT_RX, t.prot);
	ASSERT_EQ(0, gas_unmap(fd, BASE, SZ_1G));
	EXPECT_COUNTERS(fd, 0, self->s.root_pages, 0, 0);
}

TEST_HARNESS_MAIN
