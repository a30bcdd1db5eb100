// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: AMD NPT entries and nCR3, bit by bit against gaspace.rst 12
 * (golden values written from the documented encodings and the manuals, not from npt/).
 */
#include <kunit/test.h>
#include <linux/module.h>

#include "walk_util.h"

/* gaspace.rst 12 leaves for pa 0x1240000000: [level][prot: 0, R, RW, X, RX, RWX][RAM, DEVICE] */
static const u64 npt_golden[3][6][2] = {
	{
		{ 0x8400001240000004ULL, 0x840000124000001cULL },
		{ 0x8000001240000005ULL, 0x800000124000001dULL },
		{ 0x8000001240000007ULL, 0x800000124000001fULL },
		{ 0x0000001240000005ULL, 0x000000124000001dULL },
		{ 0x0000001240000005ULL, 0x000000124000001dULL },
		{ 0x0000001240000007ULL, 0x000000124000001fULL },
	},
	{
		{ 0x8400001240000084ULL, 0x840000124000009cULL },
		{ 0x8000001240000085ULL, 0x800000124000009dULL },
		{ 0x8000001240000087ULL, 0x800000124000009fULL },
		{ 0x0000001240000085ULL, 0x000000124000009dULL },
		{ 0x0000001240000085ULL, 0x000000124000009dULL },
		{ 0x0000001240000087ULL, 0x000000124000009fULL },
	},
	{
		{ 0x8400001240000084ULL, 0x840000124000009cULL },
		{ 0x8000001240000085ULL, 0x800000124000009dULL },
		{ 0x8000001240000087ULL, 0x800000124000009fULL },
		{ 0x0000001240000085ULL, 0x000000124000009dULL },
		{ 0x0000001240000085ULL, 0x000000124000009dULL },
		{ 0x0000001240000087ULL, 0x000000124000009fULL },
	},
};

static void npt_leaves(struct kunit *test)
{
	gpt_test_check_leaves(test, &gpt_fmt_npt, npt_golden, 0x1240000000ULL,
			      GPT_TEST_X_READS);
}

static void npt_tables(struct kunit *test)
{
	gpt_test_check_table(test, &gpt_fmt_npt, 0x123456789000ULL, 0x123456789007ULL);
	gpt_test_check_table(test, &gpt_fmt_npt, 0x1000ULL, 0x1007ULL);
}

static const struct gpt_test_root npt_roots[] = {
	{ 0, 48, 4, 1, 0x123456789000ULL, 0x123456789000ULL, 0 },
	{ 48, 48, 4, 1, 0x123456789000ULL, 0x123456789000ULL, 0 },
	{ 57, 57, 5, 1, 0x123456789000ULL, 0x123456789000ULL, 0 },
};

static const u32 npt_bad[] = { 1, 32, 39, 40, 47, 49, 52, 56, 58, 64 };

static void npt_root_pointers(struct kunit *test)
{
	gpt_test_check_roots(test, GASPACE_FMT_NPT, npt_roots,
			     ARRAY_SIZE(npt_roots), npt_bad,
			     ARRAY_SIZE(npt_bad));
}

static struct kunit_case npt_cases[] = {
	KUNIT_CASE(npt_leaves),
	KUNIT_CASE(npt_tables),
	KUNIT_CASE(npt_root_pointers),
	{}
};

static struct kunit_suite npt_suite = {
	.name = "gaspace_npt",
	.test_cases = npt_cases,
};

kunit_test_suites(&npt_suite);
MODULE_IMPORT_NS(GASPACE_INTERNAL);
