// SPDX-License-Identifier: GPL-2.0
/*
 * limits_test: max_areas as a limit on growth (SPEC 3.3 "Order of checks":
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
	char max_areas[32];
};

FIXTURE_VARIANT(limits) {
	unsigned int format;
	unsigned int bits;
};

FIXTURE_VARIANT_ADD(limits, ept) {
	.format = GASPACE_FMT_EPT, .bits = 48,
};

FIXTURE_VARIANT_ADD(limits, arm64_s2) {
	.format = GASPACE_FMT_ARM64_S2, .bits = 40,
};

FIXTURE_SETUP(limits)
{
	ASSERT_EQ(0, gas_space_open(&self->s, variant->format, variant->bits,
				    BASE, SIZE));
	ASSERT_EQ(0, gas_read_string(GASPACE_PARAM("max_areas"),
				     self->max_areas,
				     sizeof(self->max_areas)));
}

FIXTURE_TEARDOWN(limits)
{
	gas_write_string(GASPACE_PARAM("max_areas"), self->max_areas);
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

TEST_HARNESS_MAIN
