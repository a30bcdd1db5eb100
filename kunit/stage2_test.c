// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: Arm stage-2 descriptors, VTTBR_EL2 and VTCR_EL2, bit by bit against gaspace.rst 12
 * (golden values written from the documented encodings and the manuals, not from npt/).
 */
#include <kunit/test.h>
#include <linux/module.h>

#include "walk_util.h"

/* gaspace.rst 12 leaves for pa 0x1240000000: [level][prot: 0, R, RW, X, RX, RWX][RAM, DEVICE] */
static const u64 stage2_golden[3][6][2] = {
	{
		{ 0x044000124000073eULL, 0x0440001240000706ULL },
		{ 0x004000124000077fULL, 0x0040001240000747ULL },
		{ 0x00400012400007ffULL, 0x00400012400007c7ULL },
		{ 0x000000124000073fULL, 0x0000001240000707ULL },
		{ 0x000000124000077fULL, 0x0000001240000747ULL },
		{ 0x00000012400007ffULL, 0x00000012400007c7ULL },
	},
	{
		{ 0x044000124000073cULL, 0x0440001240000704ULL },
		{ 0x004000124000077dULL, 0x0040001240000745ULL },
		{ 0x00400012400007fdULL, 0x00400012400007c5ULL },
		{ 0x000000124000073dULL, 0x0000001240000705ULL },
		{ 0x000000124000077dULL, 0x0000001240000745ULL },
		{ 0x00000012400007fdULL, 0x00000012400007c5ULL },
	},
	{
		{ 0x044000124000073cULL, 0x0440001240000704ULL },
		{ 0x004000124000077dULL, 0x0040001240000745ULL },
		{ 0x00400012400007fdULL, 0x00400012400007c5ULL },
		{ 0x000000124000073dULL, 0x0000001240000705ULL },
		{ 0x000000124000077dULL, 0x0000001240000745ULL },
		{ 0x00000012400007fdULL, 0x00000012400007c5ULL },
	},
};

static void stage2_leaves(struct kunit *test)
{
	gpt_test_check_leaves(test, &gpt_fmt_stage2, stage2_golden, 0x1240000000ULL,
			      0);
}

static void stage2_tables(struct kunit *test)
{
	gpt_test_check_table(test, &gpt_fmt_stage2, 0x123456789000ULL, 0x123456789003ULL);
	gpt_test_check_table(test, &gpt_fmt_stage2, 0x1000ULL, 0x1003ULL);
}

static const struct gpt_test_root stage2_roots[] = {
	{ 0, 40, 3, 2, 0x12345670000ULL, 0x12345670000ULL, 0x3558ULL },
	{ 32, 32, 2, 4, 0x12345670000ULL, 0x12345670000ULL, 0x3520ULL },
	{ 33, 33, 2, 8, 0x12345670000ULL, 0x12345670000ULL, 0x351fULL },
	{ 34, 34, 2, 16, 0x12345670000ULL, 0x12345670000ULL, 0x351eULL },
	{ 35, 35, 3, 1, 0x12345670000ULL, 0x12345670000ULL, 0x355dULL },
	{ 36, 36, 3, 1, 0x12345670000ULL, 0x12345670000ULL, 0x355cULL },
	{ 37, 37, 3, 1, 0x12345670000ULL, 0x12345670000ULL, 0x355bULL },
	{ 38, 38, 3, 1, 0x12345670000ULL, 0x12345670000ULL, 0x355aULL },
	{ 39, 39, 3, 1, 0x12345670000ULL, 0x12345670000ULL, 0x3559ULL },
	{ 40, 40, 3, 2, 0x12345670000ULL, 0x12345670000ULL, 0x3558ULL },
	{ 41, 41, 3, 4, 0x12345670000ULL, 0x12345670000ULL, 0x3557ULL },
	{ 42, 42, 3, 8, 0x12345670000ULL, 0x12345670000ULL, 0x3556ULL },
	{ 43, 43, 3, 16, 0x12345670000ULL, 0x12345670000ULL, 0x3555ULL },
	{ 44, 44, 4, 1, 0x12345670000ULL, 0x12345670000ULL, 0x3594ULL },
	{ 45, 45, 4, 1, 0x12345670000ULL, 0x12345670000ULL, 0x3593ULL },
	{ 46, 46, 4, 1, 0x12345670000ULL, 0x12345670000ULL, 0x3592ULL },
	{ 47, 47, 4, 1, 0x12345670000ULL, 0x12345670000ULL, 0x3591ULL },
	{ 48, 48, 4, 1, 0x12345670000ULL, 0x12345670000ULL, 0x3590ULL },
};

static const u32 stage2_bad[] = { 1, 16, 31, 49, 52, 57, 64 };

static void stage2_root_pointers(struct kunit *test)
{
	gpt_test_check_roots(test, GASPACE_FMT_ARM64_S2, stage2_roots,
			     ARRAY_SIZE(stage2_roots), stage2_bad,
			     ARRAY_SIZE(stage2_bad));
}

static struct kunit_case stage2_cases[] = {
	KUNIT_CASE(stage2_leaves),
	KUNIT_CASE(stage2_tables),
	KUNIT_CASE(stage2_root_pointers),
	{}
};

static struct kunit_suite stage2_suite = {
	.name = "gaspace_stage2",
	.test_cases = stage2_cases,
};

kunit_test_suites(&stage2_suite);
MODULE_IMPORT_NS(GASPACE_INTERNAL);
