// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: Intel EPT entries and EPTP, bit by bit against gaspace.rst 12
 * (golden values written from the documented encodings and the manuals, not from npt/).
 */
#include <kunit/test.h>
#include <linux/module.h>

#include "walk_util.h"

/* gaspace.rst 12 leaves for pa 0x1240000000: [level][prot: 0, R, RW, X, RX, RWX][RAM, DEVICE] */
static const u64 ept_golden[3][6][2] = {
	{
		{ 0x0400001240000070ULL, 0x0400001240000000ULL },
		{ 0x0000001240000071ULL, 0x0000001240000001ULL },
		{ 0x0000001240000073ULL, 0x0000001240000003ULL },
		{ 0x0000001240000074ULL, 0x0000001240000004ULL },
		{ 0x0000001240000075ULL, 0x0000001240000005ULL },
		{ 0x0000001240000077ULL, 0x0000001240000007ULL },
	},
	{
		{ 0x04000012400000f0ULL, 0x0400001240000080ULL },
		{ 0x00000012400000f1ULL, 0x0000001240000081ULL },
		{ 0x00000012400000f3ULL, 0x0000001240000083ULL },
		{ 0x00000012400000f4ULL, 0x0000001240000084ULL },
		{ 0x00000012400000f5ULL, 0x0000001240000085ULL },
		{ 0x00000012400000f7ULL, 0x0000001240000087ULL },
	},
	{
		{ 0x04000012400000f0ULL, 0x0400001240000080ULL },
		{ 0x00000012400000f1ULL, 0x0000001240000081ULL },
		{ 0x00000012400000f3ULL, 0x0000001240000083ULL },
		{ 0x00000012400000f4ULL, 0x0000001240000084ULL },
		{ 0x00000012400000f5ULL, 0x0000001240000085ULL },
		{ 0x00000012400000f7ULL, 0x0000001240000087ULL },
	},
};

static void ept_leaves(struct kunit *test)
{
	gpt_test_check_leaves(test, &gpt_fmt_ept, ept_golden, 0x1240000000ULL,
			      0);
}

static void ept_tables(struct kunit *test)
{
	gpt_test_check_table(test, &gpt_fmt_ept, 0x123456789000ULL, 0x123456789007ULL);
	gpt_test_check_table(test, &gpt_fmt_ept, 0x1000ULL, 0x1007ULL);
}

static const struct gpt_test_root ept_roots[] = {
	{ 0, 48, 4, 1, 0x123456789000ULL, 0x12345678901eULL, 0 },
	{ 48, 48, 4, 1, 0x123456789000ULL, 0x12345678901eULL, 0 },
	{ 57, 57, 5, 1, 0x123456789000ULL, 0x123456789026ULL, 0 },
};

static const u32 ept_bad[] = { 1, 32, 39, 40, 47, 49, 52, 56, 58, 64 };

static void ept_root_pointers(struct kunit *test)
{
	gpt_test_check_roots(test, GASPACE_FMT_EPT, ept_roots,
			     ARRAY_SIZE(ept_roots), ept_bad,
			     ARRAY_SIZE(ept_bad));
}

static struct kunit_case ept_cases[] = {
	KUNIT_CASE(ept_leaves),
	KUNIT_CASE(ept_tables),
	KUNIT_CASE(ept_root_pointers),
	{}
};

static struct kunit_suite ept_suite = {
	.name = "gaspace_ept",
	.test_cases = ept_cases,
};

kunit_test_suites(&ept_suite);
MODULE_IMPORT_NS(GASPACE_INTERNAL);
