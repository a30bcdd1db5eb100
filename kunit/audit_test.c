// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: gaspace_audit() (npt/audit.c with addrspace/audit.c's view of the
 * areas).  On each format a healthy space of mixed areas has no error and
 * an exact count of entries; then one entry at a time is corrupted by a
 * raw write (a wrong memory type, a missing user bit, a leaf of the wrong
 * size, a leaf with the wrong prot, a present page in a hole, a missing
 * page of a linear area, a table page referenced twice): the audit reports
 * it with its gpa and level, and the entry is restored before the space is
 * freed, so nothing leaks.
 */
#include <kunit/test.h>
#include <linux/gaspace.h>
#include <linux/io.h>
#include <linux/sizes.h>

#include "core_util.h"

#define HUGE_AT		0ULL		/* alloc HUGE populated, 4 MiB */
#define LAZY_AT		SZ_4M		/* alloc RWX lazy, 2 MiB, 2 faults */
#define LIN_AT		SZ_1G		/* linear RW, 1 GiB */
#define DEV_AT		(3ULL * SZ_1G)	/* linear NOHUGE DEVICE R, 16 KiB */

/* The entry at @level that maps @gpa, or NULL where no table leads there. */
static u64 *audit_entry(struct gpt *pt, u64 gpa, u32 level)
{
	u32 l = pt->levels - 1;
	u64 *table = pt->root;

	for (;;) {
		u32 bits = l == pt->levels - 1 ?
			   gpt_root_index_bits(pt->gpa_bits, pt->levels) :
			   GPT_LEVEL_BITS;
		u64 *ptep = table + ((gpa >> gpt_level_shift(l)) &
				     ((1ULL << bits) - 1));

		if (l == level)
			return ptep;
		if (!gpt_is_table(pt->fmt, *ptep, l))
			return NULL;
		table = phys_to_virt(gpt_entry_pa(pt->fmt, *ptep));
		l--;
	}
}

/* Write @val into the entry, under the table's lock; return the old one. */
static u64 audit_poke(struct gaspace *as, u64 *ptep, u64 val)
{
	u64 old;

	mutex_lock(&as->pt_lock);
	old = READ_ONCE(*ptep);
	WRITE_ONCE(*ptep, val);
	mutex_unlock(&as->pt_lock);
	return old;
}

static struct gaspace_audit audit(struct kunit *test, struct gaspace *as)
{
	struct gaspace_audit a;

	KUNIT_EXPECT_EQ(test, gaspace_audit(as, &a), 0);
	return a;
}

/*
 * Corrupt the entry at (@gpa, @level) to @val, audit, restore: the audit
 * must find @errors errors (the entry's, and those of the counters a raw
 * write leaves behind), the first at @gpa and @level.
 */
static void audit_expect(struct kunit *test, struct gaspace *as, u64 gpa,
			 u32 level, u64 val, u64 errors, const char *what)
{
	u64 *ptep = audit_entry(&as->pt, gpa, level);
	struct gaspace_audit a;
	u64 old;

	KUNIT_ASSERT_NOT_NULL_MSG(test, ptep, "%s", what);
	old = audit_poke(as, ptep, val);
	a = audit(test, as);
	audit_poke(as, ptep, old);
	KUNIT_EXPECT_EQ_MSG(test, a.nr_errors, errors, "%s", what);
	KUNIT_EXPECT_EQ_MSG(test, a.first_gpa, errors ? gpa : 0, "%s", what);
	KUNIT_EXPECT_EQ_MSG(test, a.first_level, errors ? level : 0, "%s",
			    what);
	KUNIT_EXPECT_EQ_MSG(test, audit(test, as).nr_errors, 0ULL,
			    "%s restored", what);
}

static void audit_format(struct kunit *test, u32 format)
{
	struct gaspace *as = space(test, format, 0, 4ULL * SZ_1G);
	const struct gpt_fmt *fmt = as->pt.fmt;
	struct gaspace_audit a;
	u64 *ptep, pte, bits;

	/* a healthy space of mixed areas */
	KUNIT_ASSERT_EQ(test, gaspace_map_alloc(as, HUGE_AT, SZ_4M, RW,
						GASPACE_MAP_HUGE |
						GASPACE_MAP_POPULATE), 0);
	KUNIT_ASSERT_EQ(test, gaspace_map_alloc(as, LAZY_AT, SZ_2M, RWX, 0), 0);
	KUNIT_ASSERT_EQ(test, gaspace_handle_fault(as, LAZY_AT, R), 0);
	KUNIT_ASSERT_EQ(test, gaspace_handle_fault(as, LAZY_AT + SZ_4K, W), 0);
	KUNIT_ASSERT_EQ(test, gaspace_map_linear(as, LIN_AT, HPA + LIN_AT,
						 SZ_1G, RW, 0), 0);
	KUNIT_ASSERT_EQ(test, gaspace_map_linear(as, DEV_AT, HPA, SZ_16K, R,
						 GASPACE_MAP_NOHUGE |
						 GASPACE_MAP_DEVICE), 0);
	a = audit(test, as);
	KUNIT_EXPECT_EQ(test, a.nr_errors, 0ULL);
	KUNIT_EXPECT_EQ(test, a.first_gpa, 0ULL);
	KUNIT_EXPECT_EQ(test, a.first_level, 0U);
	/*
	 * Root level 2 (3 levels): its entries for [0, 1G) (table), the
	 * 1 GiB block, [3G, 4G) (table); under [0, 1G): two 2 MiB blocks and
	 * the lazy area's table with 2 leaves; under 3G: a table of 4 leaves.
	 * A 4-level table adds its root's one entry.
	 */
	KUNIT_EXPECT_EQ(test, a.nr_entries, 13ULL + (as->pt.levels - 3));

	/* accessed and dirty bits the hardware may set are no error */
	ptep = audit_entry(&as->pt, LAZY_AT, 0);
	KUNIT_ASSERT_NOT_NULL(test, ptep);
	pte = *ptep;
	audit_expect(test, as, LAZY_AT, 0, pte | fmt->hw_bits, 0,
		     "accessed/dirty");

	/* a wrong memory type (RISC-V has none: a PBMT of NC) */
	bits = fmt->leaf.type_mask ?
	       (pte & ~fmt->leaf.type_mask) | fmt->leaf.device : pte | BIT_ULL(61);
	audit_expect(test, as, LAZY_AT, 0, bits, 1, "memory type");

	/* a missing user bit (NPT US, RISC-V U; Arm: an SH bit; EPT: none) */
	bits = fmt->leaf.always & ~fmt->hw_bits;
	if (bits) {
		ptep = audit_entry(&as->pt, DEV_AT, 0);
		KUNIT_ASSERT_NOT_NULL(test, ptep);
		audit_expect(test, as, DEV_AT, 0,
			     *ptep & ~(bits & -bits), 1, "user bit");
	}

	/* a leaf with the wrong prot */
	audit_expect(test, as, LAZY_AT, 0,
		     gpt_encode_leaf(fmt, gpt_entry_pa(fmt, pte), R, 0), 1,
		     "prot");

	/*
	 * A present page in a hole: the entry and the present-leaf counters,
	 * which the raw write did not move.
	 */
	audit_expect(test, as, DEV_AT + SZ_64K, 0,
		     gpt_encode_leaf(fmt, HPA + SZ_64K, R, 0), 2, "hole");

	/* a missing page of a linear area: the entry and the counters */
	audit_expect(test, as, DEV_AT + SZ_4K, 0, 0, 2, "missing");

	/*
	 * A 2 MiB leaf where the lazy area has 4 KiB ones (a frame of the
	 * HUGE area's): the entry; the counters of tables, leaves and frames.
	 */
	ptep = audit_entry(&as->pt, HUGE_AT, 1);
	KUNIT_ASSERT_NOT_NULL(test, ptep);
	KUNIT_ASSERT_TRUE(test, gpt_is_leaf(fmt, *ptep, 1));
	audit_expect(test, as, LAZY_AT, 1,
		     gpt_encode_leaf(fmt, gpt_entry_pa(fmt, *ptep), RWX, 1), 3,
		     "size");

	/* a table page referenced twice: the second reference */
	ptep = audit_entry(&as->pt, DEV_AT, 1);
	KUNIT_ASSERT_NOT_NULL(test, ptep);
	audit_expect(test, as, DEV_AT + SZ_2M, 1, *ptep, 1, "table twice");

	KUNIT_EXPECT_EQ(test, audit(test, as).nr_errors, 0ULL);
	KUNIT_EXPECT_EQ(test, gaspace_unmap(as, 0, 4ULL * SZ_1G), 0);
	a = audit(test, as);
	KUNIT_EXPECT_EQ(test, a.nr_errors, 0ULL);
	KUNIT_EXPECT_EQ(test, a.nr_entries, 0ULL);
	gaspace_put(as);
}

static void audit_ept(struct kunit *test)
{
	audit_format(test, GASPACE_FMT_EPT);
}

static void audit_npt(struct kunit *test)
{
	audit_format(test, GASPACE_FMT_NPT);
}

static void audit_stage2(struct kunit *test)
{
	audit_format(test, GASPACE_FMT_ARM64_S2);
}

static void audit_gstage(struct kunit *test)
{
	audit_format(test, GASPACE_FMT_RISCV_G);
}

/* Logging: a clean page with W is an error, a dirty one is not. */
static void audit_logged(struct kunit *test)
{
	struct gaspace *as = space(test, GASPACE_FMT_EPT, 0, SZ_1G);
	const struct gpt_fmt *fmt = as->pt.fmt;
	u64 *ptep, pte;

	KUNIT_ASSERT_EQ(test, gaspace_map_alloc(as, 0, SZ_2M, RW,
						GASPACE_MAP_HUGE |
						GASPACE_MAP_POPULATE), 0);
	KUNIT_ASSERT_EQ(test, gaspace_dirty_log_enable(as, 0, SZ_2M), 0);
	KUNIT_EXPECT_EQ(test, audit(test, as).nr_errors, 0ULL);
	ptep = audit_entry(&as->pt, SZ_8K, 0);
	KUNIT_ASSERT_NOT_NULL(test, ptep);
	pte = *ptep;
	/* W on a clean page: a write would go unseen */
	audit_expect(test, as, SZ_8K, 0, pte | fmt->leaf.write, 1, "clean W");
	KUNIT_ASSERT_EQ(test, gaspace_handle_fault(as, SZ_8K, W), 0);
	KUNIT_EXPECT_EQ(test, audit(test, as).nr_errors, 0ULL);
	/* a dirty page may lack W again (a SET marks without giving it) */
	audit_expect(test, as, SZ_8K, 0, pte, 0, "dirty without W");
	KUNIT_ASSERT_EQ(test, gaspace_dirty_log_disable(as, 0, SZ_2M), 0);
	KUNIT_EXPECT_EQ(test, audit(test, as).nr_errors, 0ULL);
	gaspace_put(as);
}

static struct kunit_case audit_test_cases[] = {
	KUNIT_CASE(audit_ept),
	KUNIT_CASE(audit_npt),
	KUNIT_CASE(audit_stage2),
	KUNIT_CASE(audit_gstage),
	KUNIT_CASE(audit_logged),
	{}
};

static struct kunit_suite audit_test_suite = {
	.name = "gaspace_audit",
	.test_cases = audit_test_cases,
};

kunit_test_suites(&audit_test_suite);
MODULE_IMPORT_NS(GASPACE_INTERNAL);
