// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: RISC-V G-stage entries and hgatp, bit by bit against gaspace.rst 12
 * (golden values written from the documented encodings and the manuals, not from npt/).
 */
#include <kunit/test.h>
#include <linux/module.h>

#include "walk_util.h"

/* gaspace.rst 12 leaves for pa 0x1240000000: [level][prot: 0, R, RW, X, RX, RWX][RAM, DEVICE] */
static const u64 gstage_golden[3][6][2] = {
	{
		{ 0x04000004900000d0ULL, 0x04000004900000d0ULL },
		{ 0x00000004900000d3ULL, 0x00000004900000d3ULL },
		{ 0x00000004900000d7ULL, 0x00000004900000d7ULL },
		{ 0x00000004900000d9ULL, 0x00000004900000d9ULL },
		{ 0x00000004900000dbULL, 0x00000004900000dbULL },
		{ 0x00000004900000dfULL, 0x00000004900000dfULL },
	},
	{
		{ 0x04000004900000d0ULL, 0x04000004900000d0ULL },
		{ 0x00000004900000d3ULL, 0x00000004900000d3ULL },
		{ 0x00000004900000d7ULL, 0x00000004900000d7ULL },
		{ 0x00000004900000d9ULL, 0x00000004900000d9ULL },
		{ 0x00000004900000dbULL, 0x00000004900000dbULL },
		{ 0x00000004900000dfULL, 0x00000004900000dfULL },
	},
	{
		{ 0x04000004900000d0ULL, 0x04000004900000d0ULL },
		{ 0x00000004900000d3ULL, 0x00000004900000d3ULL },
		{ 0x00000004900000d7ULL, 0x00000004900000d7ULL },
		{ 0x00000004900000d9ULL, 0x00000004900000d9ULL },
		{ 0x00000004900000dbULL, 0x00000004900000dbULL },
		{ 0x00000004900000dfULL, 0x00000004900000dfULL },
	},
};

static void gstage_leaves(struct kunit *test)
{
	gpt_test_check_leaves(test, &gpt_fmt_gstage, gstage_golden, 0x1240000000ULL,
			      GPT_TEST_NO_DEVICE);
}

static void gstage_tables(struct kunit *test)
{
	gpt_test_check_table(test, &gpt_fmt_gstage, 0x123456789000ULL, 0x48d159e2401ULL);
	gpt_test_check_table(test, &gpt_fmt_gstage, 0x1000ULL, 0x401ULL);
}

static const struct gpt_test_root gstage_roots[] = {
	{ 0, 41, 3, 4, 0x12345670000ULL, 0x8000000012345670ULL, 0 },
	{ 41, 41, 3, 4, 0x12345670000ULL, 0x8000000012345670ULL, 0 },
	{ 50, 50, 4, 4, 0x12345670000ULL, 0x9000000012345670ULL, 0 },
	{ 59, 59, 5, 4, 0x12345670000ULL, 0xa000000012345670ULL, 0 },
};

static const u32 gstage_bad[] = { 32, 39, 40, 42, 48, 49, 51, 57, 58, 60, 64 };

static void gstage_root_pointers(struct kunit *test)
{
	gpt_test_check_roots(test, GASPACE_FMT_RISCV_G, gstage_roots,
			     ARRAY_SIZE(gstage_roots), gstage_bad,
			     ARRAY_SIZE(gstage_bad));
}

static struct kunit_case gstage_cases[] = {
	KUNIT_CASE(gstage_leaves),
	KUNIT_CASE(gstage_tables),
	KUNIT_CASE(gstage_root_pointers),
	{}
};

static struct kunit_suite gstage_suite = {
	.name = "gaspace_gstage",
	.test_cases = gstage_cases,
};

kunit_test_suites(&gstage_suite);
MODULE_IMPORT_NS(GASPACE_INTERNAL);
