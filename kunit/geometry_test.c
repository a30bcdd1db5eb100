// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: each format's geometry per gpa_bits (levels, start level, root
 * pages, root pointer), through the exported in-kernel API.
 *
 * This file also carries the module's metadata: gaspace_kunit.ko holds every
 * suite; KUnit runs them when it is loaded.
 */
#include <kunit/test.h>
#include <linux/err.h>
#include <linux/gaspace.h>
#include <linux/module.h>
#include <linux/sizes.h>

struct geometry_case {
	u32 format;
	u32 gpa_bits;		/* asked */
	u32 bits;		/* in effect */
	u32 levels;
	u32 root_pages;
	u64 walk_config;
};

static const struct geometry_case geometry_cases[] = {
	{ GASPACE_FMT_EPT, 0, 48, 4, 1, 0 },
	{ GASPACE_FMT_EPT, 48, 48, 4, 1, 0 },
	{ GASPACE_FMT_EPT, 57, 57, 5, 1, 0 },
	{ GASPACE_FMT_NPT, 0, 48, 4, 1, 0 },
	{ GASPACE_FMT_NPT, 48, 48, 4, 1, 0 },
	{ GASPACE_FMT_NPT, 57, 57, 5, 1, 0 },
	{ GASPACE_FMT_ARM64_S2, 0, 40, 3, 2, 0x3558 },
	{ GASPACE_FMT_ARM64_S2, 32, 32, 2, 4, 0x3520 },
	{ GASPACE_FMT_ARM64_S2, 33, 33, 2, 8, 0x351f },
	{ GASPACE_FMT_ARM64_S2, 34, 34, 2, 16, 0x351e },
	{ GASPACE_FMT_ARM64_S2, 35, 35, 3, 1, 0x355d },
	{ GASPACE_FMT_ARM64_S2, 39, 39, 3, 1, 0x3559 },
	{ GASPACE_FMT_ARM64_S2, 40, 40, 3, 2, 0x3558 },
	{ GASPACE_FMT_ARM64_S2, 42, 42, 3, 8, 0x3556 },
	{ GASPACE_FMT_ARM64_S2, 43, 43, 3, 16, 0x3555 },
	{ GASPACE_FMT_ARM64_S2, 44, 44, 4, 1, 0x3594 },
	{ GASPACE_FMT_ARM64_S2, 47, 47, 4, 1, 0x3591 },
	{ GASPACE_FMT_ARM64_S2, 48, 48, 4, 1, 0x3590 },
	{ GASPACE_FMT_RISCV_G, 0, 41, 3, 4, 0 },
	{ GASPACE_FMT_RISCV_G, 41, 41, 3, 4, 0 },
	{ GASPACE_FMT_RISCV_G, 50, 50, 4, 4, 0 },
	{ GASPACE_FMT_RISCV_G, 59, 59, 5, 4, 0 },
};

static void geometry_case_desc(const struct geometry_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "format %u gpa_bits %u",
		 c->format, c->gpa_bits);
}

KUNIT_ARRAY_PARAM(geometry, geometry_cases, geometry_case_desc);

static struct gaspace *create_ok(struct kunit *test, u32 format, u32 bits,
				 u64 base, u64 size)
{
	struct gaspace *as = gaspace_create(format, bits, base, size);

	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(as), "create: %ld", PTR_ERR(as));
	return as;
}

/* levels, root pages, width and counters of an empty space. */
static void geometry_info(struct kunit *test)
{
	const struct geometry_case *c = test->param_value;
	struct gaspace_info info;
	struct gaspace *as;

	as = create_ok(test, c->format, c->gpa_bits, 0, SZ_1M);
	KUNIT_EXPECT_EQ(test, gaspace_get_info(as, &info), 0);
	KUNIT_EXPECT_EQ(test, info.format, c->format);
	KUNIT_EXPECT_EQ(test, info.gpa_bits, c->bits);
	KUNIT_EXPECT_EQ(test, info.levels, c->levels);
	KUNIT_EXPECT_EQ(test, info.root_pages, c->root_pages);
	KUNIT_EXPECT_EQ(test, info.nr_table_pages, (u64)c->root_pages);
	KUNIT_EXPECT_EQ(test, info.nr_areas, 0ULL);
	KUNIT_EXPECT_EQ(test, info.nr_data_pages, 0ULL);
	KUNIT_EXPECT_EQ(test, info.mapped_bytes, 0ULL);
	KUNIT_EXPECT_EQ(test, info.walk_config, c->walk_config);
	gaspace_put(as);
}

/* The root is naturally aligned to its size and non-zero. */
static void geometry_root_aligned(struct kunit *test)
{
	const struct geometry_case *c = test->param_value;
	struct gaspace_info info;
	struct gaspace *as;

	as = create_ok(test, c->format, c->gpa_bits, 0, SZ_1M);
	gaspace_get_info(as, &info);
	KUNIT_EXPECT_NE(test, info.root_hpa, 0ULL);
	KUNIT_EXPECT_EQ(test, info.root_hpa % ((u64)info.root_pages * SZ_4K),
			0ULL);
	gaspace_put(as);
}

/* EPTP, nCR3, VTTBR_EL2 and hgatp from the root, per gaspace.rst 12. */
static void geometry_root_pointer(struct kunit *test)
{
	const struct geometry_case *c = test->param_value;
	struct gaspace_info info;
	struct gaspace *as;
	u64 want = 0;

	as = create_ok(test, c->format, c->gpa_bits, 0, SZ_1M);
	gaspace_get_info(as, &info);
	switch (c->format) {
	case GASPACE_FMT_EPT:
		want = info.root_hpa | (u64)(c->levels - 1) << 3 | 6;
		break;
	case GASPACE_FMT_NPT:
	case GASPACE_FMT_ARM64_S2:
		want = info.root_hpa;
		break;
	case GASPACE_FMT_RISCV_G:
		want = (u64)(8 + c->levels - 3) << 60 | info.root_hpa >> 12;
		break;
	}
	KUNIT_EXPECT_EQ(test, info.root_pointer, want);
	gaspace_put(as);
}

struct bad_width {
	u32 format;
	u32 gpa_bits;
};

static const struct bad_width bad_widths[] = {
	{ 0, 0 }, { 5, 0 }, { 0xffffffff, 48 },
	{ GASPACE_FMT_EPT, 39 }, { GASPACE_FMT_EPT, 47 },
	{ GASPACE_FMT_EPT, 49 }, { GASPACE_FMT_EPT, 56 },
	{ GASPACE_FMT_EPT, 58 }, { GASPACE_FMT_EPT, 64 },
	{ GASPACE_FMT_NPT, 40 }, { GASPACE_FMT_NPT, 52 },
	{ GASPACE_FMT_ARM64_S2, 31 }, { GASPACE_FMT_ARM64_S2, 49 },
	{ GASPACE_FMT_ARM64_S2, 52 },
	{ GASPACE_FMT_RISCV_G, 39 }, { GASPACE_FMT_RISCV_G, 40 },
	{ GASPACE_FMT_RISCV_G, 48 }, { GASPACE_FMT_RISCV_G, 57 },
	{ GASPACE_FMT_RISCV_G, 60 },
};

/* Unknown formats and widths a format does not allow are -EINVAL. */
static void geometry_bad_width(struct kunit *test)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(bad_widths); i++) {
		struct gaspace *as = gaspace_create(bad_widths[i].format,
						    bad_widths[i].gpa_bits,
						    0, SZ_1M);

		KUNIT_EXPECT_EQ_MSG(test, PTR_ERR(as), (long)-EINVAL,
				    "format %u bits %u", bad_widths[i].format,
				    bad_widths[i].gpa_bits);
		if (!IS_ERR(as))
			gaspace_put(as);
	}
}

/* base and size: aligned, non-empty, no wrap, inside the width. */
static void geometry_bad_range(struct kunit *test)
{
	static const struct { u64 base, size; } bad[] = {
		{ 0, 0 }, { 1, SZ_4K }, { 0, SZ_4K + 1 }, { SZ_2K, SZ_4K },
		{ -SZ_4K, SZ_4K * 2 }, { 0, -SZ_4K },
		{ BIT_ULL(48), SZ_4K }, { BIT_ULL(48) - SZ_4K, SZ_8K },
		{ 0, BIT_ULL(48) + SZ_4K },
	};
	int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		struct gaspace *as = gaspace_create(GASPACE_FMT_EPT, 48,
						    bad[i].base, bad[i].size);

		KUNIT_EXPECT_EQ_MSG(test, PTR_ERR(as), (long)-EINVAL,
				    "base %llx size %llx", bad[i].base,
				    bad[i].size);
		if (!IS_ERR(as))
			gaspace_put(as);
	}
}

/* The whole width is allowed: [0, 1 << gpa_bits) and its last page. */
static void geometry_full_width(struct kunit *test)
{
	struct gaspace *as;

	as = create_ok(test, GASPACE_FMT_EPT, 48, 0, BIT_ULL(48));
	gaspace_put(as);
	as = create_ok(test, GASPACE_FMT_RISCV_G, 59, BIT_ULL(59) - SZ_4K,
		       SZ_4K);
	gaspace_put(as);
	as = create_ok(test, GASPACE_FMT_ARM64_S2, 32, 0, BIT_ULL(32));
	gaspace_put(as);
}

static struct kunit_case geometry_test_cases[] = {
	KUNIT_CASE_PARAM(geometry_info, geometry_gen_params),
	KUNIT_CASE_PARAM(geometry_root_aligned, geometry_gen_params),
	KUNIT_CASE_PARAM(geometry_root_pointer, geometry_gen_params),
	KUNIT_CASE(geometry_bad_width),
	KUNIT_CASE(geometry_bad_range),
	KUNIT_CASE(geometry_full_width),
	{}
};

static struct kunit_suite geometry_test_suite = {
	.name = "gaspace_geometry",
	.test_cases = geometry_test_cases,
};

kunit_test_suites(&geometry_test_suite);

MODULE_DESCRIPTION("KUnit tests of gaspace");
MODULE_LICENSE("GPL");
