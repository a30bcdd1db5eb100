// SPDX-License-Identifier: GPL-2.0
/*
 * limits_test: max_areas as a limit on growth (gaspace.rst 3, order of checks:
 * -ENOSPC when "the call would pass GASPACE_CAP_MAX_AREAS areas").
 *
 * A call "passes" the limit only by going past it: with the space already
 * past a lowered limit (max_areas is read at each call), UNMAP and PROTECT
 * of whole areas, which add none, still work (as munmap() past
 * vm.max_map_count works when it splits nothing), while a call that adds
 * an area gets -ENOSPC.
 */
#include "gaspace_util.h"
#include "kselftest_harness.h"

#define BASE		SZ_1G
#define SIZE		SZ_1G

FIXTURE(limits) {
	struct gas_space s;
	struct gas_param max_areas;
};

FIXTURE_VARIANT(limits) {
	unsigned int format;
	unsigned int bits;
};

FIXTURE_VARIANT_ADD(limits, ept) GAS_GEOMETRY(EPT, 48);
FIXTURE_VARIANT_ADD(limits, arm64_s2) GAS_GEOMETRY(ARM64_S2, 40);

FIXTURE_SETUP(limits)
{
	ASSERT_EQ(0, gas_space_open(&self->s, variant->format, variant->bits,
				    BASE, SIZE));
	ASSERT_EQ(0, gas_param_save(&self->max_areas,
				    GASPACE_PARAM("max_areas")));
}

FIXTURE_TEARDOWN(limits)
{
	gas_param_restore(&self->max_areas);
	gas_space_close(&self->s);
}

TEST_F(limits, calls_that_add_no_area_past_a_lowered_limit)
{
	int fd = self->s.fd;
	__u64 i;

	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, gas_map_alloc(fd, BASE + 2 * i * PAGE_4K,
					   PAGE_4K, GAS_PROT_RW,
					   GASPACE_MAP_POPULATE));
	}
	ASSERT_EQ(0, gas_write_string(GASPACE_PARAM("max_areas"), "2"));
	/* adds an area: refused */
	EXPECT_EQ(-ENOSPC, gas_map_alloc(fd, BASE + SZ_2M, PAGE_4K,
					 GAS_PROT_RW, 0));
	/* adds none: fine */
	EXPECT_EQ(0, gas_protect(fd, BASE, PAGE_4K, GAS_PROT_R));
	EXPECT_EQ(0, gas_unmap(fd, BASE, PAGE_4K));
	EXPECT_EQ(0, gas_map_alloc(fd, BASE + 2 * PAGE_4K, PAGE_4K,
				   GAS_PROT_R, GASPACE_MAP_REPLACE));
	EXPECT_EQ(0, gas_unmap(fd, BASE + 2 * PAGE_4K, 3 * PAGE_4K));
	EXPECT_COUNTERS(fd, 1, self->s.root_pages + self->s.levels - 1, 1,
			PAGE_4K);
}

/*
 * One call over more areas than one kmalloc() can list (issue 12: a copy of
 * n areas of 40 bytes passes 4 MiB, the largest allocation, at n = 104858,
 * and warned).  Each call over them must give the contract's answer, in
 * its order, and need no memory in proportion to the areas it meets.  The
 * sanitised debug kernel (kmemleak is its mark) is some 50 times slower
 * per call under TCG: it runs the same calls over fewer areas.
 */
#define MANY_AREAS		104858
#define MANY_AREAS_DEBUG	4096

static unsigned int many_areas(void)
{
	return access("/sys/kernel/debug/kmemleak", F_OK) ? MANY_AREAS :
							    MANY_AREAS_DEBUG;
}

/* @n areas of one page each, back to back from BASE */
static int map_pages(int fd, unsigned int n)
{
	unsigned int i;
	int ret;

	for (i = 0; i < n; i++) {
		ret = gas_map_alloc(fd, BASE + (__u64)i * PAGE_4K, PAGE_4K,
				    GAS_PROT_RW, 0);
		if (ret)
			return ret;
	}
	return 0;
}

TEST_F_TIMEOUT(limits, one_call_over_a_hundred_thousand_areas, 600)
{
	unsigned int n = many_areas();
	__u64 size = (__u64)n * PAGE_4K;
	int fd = self->s.fd;
	struct gaspace_info info;

	if (variant->format != GASPACE_FMT_EPT)
		return;	/* one format is enough: the area set is shared code */
	TH_LOG("%u areas", n);
	ASSERT_EQ(0, map_pages(fd, n));
	/* an overlap is -EEXIST, found before anything is allocated */
	EXPECT_EQ(-EEXIST, gas_map_alloc(fd, BASE, size, GAS_PROT_RW, 0));
	/* PROTECT with a hole at the end: -ENOENT, nothing changed */
	EXPECT_EQ(-ENOENT, gas_protect(fd, BASE, size + PAGE_4K, GAS_PROT_R));
	ASSERT_EQ(0, gas_get_info(fd, &info));
	EXPECT_EQ(n, info.nr_areas);
	/* PROTECT over all of them, then a write fault is refused anywhere */
	EXPECT_EQ(0, gas_protect(fd, BASE, size, GAS_PROT_R));
	EXPECT_EQ(-EACCES, gas_fault(fd, BASE, GASPACE_PROT_WRITE));
	EXPECT_EQ(-EACCES, gas_fault(fd, BASE + size - 1, GASPACE_PROT_WRITE));
	EXPECT_EQ(0, gas_fault(fd, BASE + size / 2, GASPACE_PROT_READ));
	ASSERT_EQ(0, gas_get_info(fd, &info));
	EXPECT_EQ(n, info.nr_areas);
	/* UNMAP of every one of them */
	EXPECT_EQ(0, gas_unmap(fd, BASE, size));
	EXPECT_COUNTERS(fd, 0, self->s.root_pages, 0, 0);
	/* and MAP_REPLACE over as many */
	ASSERT_EQ(0, map_pages(fd, n));
	EXPECT_EQ(0, gas_fault(fd, BASE + size / 2, GASPACE_PROT_WRITE));
	EXPECT_EQ(0, gas_map_alloc(fd, BASE, size, GAS_PROT_RW,
				   GASPACE_MAP_REPLACE));
	EXPECT_COUNTERS(fd, 1, self->s.root_pages, 0, 0);
}

TEST_HARNESS_MAIN
