// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by the npt/ KUnit suites: format checks that every format
 * suite runs on its golden entries, and a table whose page allocations are
 * counted and can be made to fail.
 */
#include <kunit/test.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>

#include "walk_util.h"

const u32 gpt_test_prots[GPT_TEST_NR_PROTS] = {
	0,
	GASPACE_PROT_READ,
	GASPACE_PROT_READ | GASPACE_PROT_WRITE,
	GASPACE_PROT_EXEC,
	GASPACE_PROT_READ | GASPACE_PROT_EXEC,
	GPT_PROT_RWX,
};

/* The prot a leaf encoded from @prot decodes to. */
u32 gpt_test_read_prot(u32 prot, u32 quirks)
{
	if ((quirks & GPT_TEST_X_READS) && (prot & GPT_PROT_RWX))
		prot |= GASPACE_PROT_READ;
	if (quirks & GPT_TEST_NO_DEVICE)
		prot &= ~GPT_ATTR_DEVICE;
	return prot;
}

/**
 * gpt_test_decode() - read an entry back as the walker does
 * @fmt: the format
 * @pte: the entry
 * @level: its level
 * @pa: out: the address it holds
 * @prot: out: a leaf's portable prot and attributes, 0 for a table
 * @leaf: out: whether it is a leaf (else a table)
 *
 * Return: false for an empty entry.
 */
bool gpt_test_decode(const struct gpt_fmt *fmt, u64 pte, u32 level,
		     phys_addr_t *pa, u32 *prot, bool *leaf)
{
	if (!pte)
		return false;
	*leaf = !gpt_is_table(fmt, pte, level);
	*pa = gpt_entry_pa(fmt, pte);
	*prot = *leaf ? gpt_leaf_prot(fmt, pte) : 0;
	return true;
}

static void gpt_test_check_decode(struct kunit *test,
				  const struct gpt_fmt *fmt, u64 pte,
				  u32 level, phys_addr_t pa, u32 prot)
{
	phys_addr_t got_pa = 0;
	u32 got_prot = 0;
	bool leaf = false;

	KUNIT_ASSERT_TRUE_MSG(test, gpt_test_decode(fmt, pte, level, &got_pa,
						    &got_prot, &leaf),
			      "%s pte %#llx level %u", fmt->name, pte, level);
	KUNIT_EXPECT_TRUE(test, leaf);
	KUNIT_EXPECT_EQ_MSG(test, got_pa, pa, "%s pte %#llx", fmt->name, pte);
	KUNIT_EXPECT_EQ_MSG(test, got_prot, prot, "%s pte %#llx level %u",
			    fmt->name, pte, level);
	if (level)
		KUNIT_EXPECT_NE(test, pte & fmt->table.mask, fmt->table.bits);
}

/**
 * gpt_test_check_leaves() - every prot x memory type x leaf level
 * @test: the test
 * @fmt: the format
 * @golden: expected leaves for @golden_pa, [level][prot][device]
 * @golden_pa: 1 GiB aligned address the golden leaves map
 * @quirks: GPT_TEST_*
 *
 * Checks the golden bits, that the address bits are independent of the rest
 * (as the walker relies on), decode(encode(x)) at @golden_pa and at the top
 * of the format's physical width, and that bits the hardware sets in present
 * leaves (accessed, dirty) do not change what is read back.
 */
void gpt_test_check_leaves(struct kunit *test, const struct gpt_fmt *fmt,
			   const u64 golden[3][GPT_TEST_NR_PROTS][2],
			   phys_addr_t golden_pa, u32 quirks)
{
	u32 level, p, dev;

	for (level = 0; level < 3; level++) {
		phys_addr_t hi = BIT_ULL(fmt->geo.pa_bits) - gpt_level_size(level);

		for (p = 0; p < GPT_TEST_NR_PROTS; p++) {
			for (dev = 0; dev < 2; dev++) {
				u32 prot = gpt_test_prots[p] |
					   (dev ? GPT_ATTR_DEVICE : 0);
				u32 rd = gpt_test_read_prot(prot, quirks);
				u64 pte = gpt_encode_leaf(fmt, golden_pa, prot,
							   level);
				u64 tmpl = gpt_encode_leaf(fmt, 0, prot, level);

				KUNIT_EXPECT_EQ_MSG(test, pte,
						    golden[level][p][dev],
						    "%s level %u prot %#x",
						    fmt->name, level, prot);
				KUNIT_EXPECT_EQ(test, pte, tmpl |
						gpt_addr_bits(fmt, golden_pa));
				KUNIT_EXPECT_EQ(test, gpt_entry_pa(fmt, pte),
						golden_pa);
				gpt_test_check_decode(test, fmt, pte, level,
						      golden_pa, rd);
				pte = gpt_encode_leaf(fmt, hi, prot, level);
				KUNIT_EXPECT_EQ(test, pte,
						tmpl | gpt_addr_bits(fmt, hi));
				gpt_test_check_decode(test, fmt, pte, level,
						      hi, rd);
				if (prot & GPT_PROT_RWX)
					gpt_test_check_decode(test, fmt,
							      pte | fmt->hw_bits,
							      level, hi, rd);
			}
		}
	}
}

/**
 * gpt_test_check_table() - a table entry at every level that has them
 * @test: the test
 * @fmt: the format
 * @pa: the next-level table's address
 * @expect: the entry gaspace.rst 12 gives
 */
void gpt_test_check_table(struct kunit *test, const struct gpt_fmt *fmt,
			  phys_addr_t pa, u64 expect)
{
	u64 pte = gpt_encode_table(fmt, pa);
	u32 level, prot;
	phys_addr_t got;
	bool leaf;

	KUNIT_EXPECT_EQ(test, pte, expect);
	for (level = 1; level < GPT_MAX_LEVELS; level++) {
		KUNIT_EXPECT_EQ(test, pte & fmt->table.mask, fmt->table.bits);
		KUNIT_EXPECT_EQ(test, (pte | fmt->hw_bits) & fmt->table.mask,
				fmt->table.bits);
		leaf = true;
		KUNIT_ASSERT_TRUE(test, gpt_test_decode(fmt, pte, level, &got,
							&prot,
							&leaf));
		KUNIT_EXPECT_FALSE(test, leaf);
		KUNIT_EXPECT_EQ(test, got, pa);
		KUNIT_EXPECT_EQ(test, gpt_entry_pa(fmt, pte), pa);
		leaf = true;
		KUNIT_ASSERT_TRUE(test, gpt_test_decode(fmt, pte | fmt->hw_bits,
							level,
							&got, &prot, &leaf));
		KUNIT_EXPECT_FALSE(test, leaf);
	}
	for (level = 0; level < GPT_MAX_LEVELS; level++)
		KUNIT_EXPECT_FALSE(test, gpt_test_decode(fmt, 0, level, &got,
							 &prot,
							 &leaf));
}

/**
 * gpt_test_check_roots() - geometry and root values per gpa_bits
 * @test: the test
 * @format: GASPACE_FMT_*
 * @cases: widths the format allows, with their values
 * @nr: entries in @cases
 * @bad: widths it refuses
 * @nr_bad: entries in @bad
 */
void gpt_test_check_roots(struct kunit *test, u32 format,
			  const struct gpt_test_root *cases, unsigned int nr,
			  const u32 *bad, unsigned int nr_bad)
{
	const struct gpt_fmt *fmt = gpt_fmt_get(format);
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, fmt);
	KUNIT_EXPECT_EQ(test, fmt->format, format);
	for (i = 0; i < nr; i++) {
		struct gpt pt = { .fmt = fmt, .root_pa = cases[i].root_pa };
		u32 bits = cases[i].ask, levels = 0, order = 0;

		KUNIT_ASSERT_EQ(test, gpt_geometry(format, &bits, &levels,
						   &order), 0);
		KUNIT_EXPECT_EQ(test, bits, cases[i].bits);
		KUNIT_EXPECT_EQ_MSG(test, levels, cases[i].levels,
				    "gpa_bits %u", bits);
		KUNIT_EXPECT_EQ_MSG(test, 1u << order, cases[i].pages,
				    "gpa_bits %u", bits);
		pt.gpa_bits = bits;
		pt.levels = levels;
		pt.root_order = order;
		KUNIT_EXPECT_EQ_MSG(test, gpt_root_pointer(&pt), cases[i].ptr,
				    "gpa_bits %u", bits);
		KUNIT_EXPECT_EQ_MSG(test, gpt_walk_config(&pt), cases[i].cfg,
				    "gpa_bits %u", bits);
	}
	for (i = 0; i < nr_bad; i++) {
		u32 bits = bad[i], levels, order;

		KUNIT_EXPECT_EQ_MSG(test, gpt_geometry(format, &bits, &levels,
						       &order), -EINVAL,
				    "gpa_bits %u", bad[i]);
	}
}

static void *gpt_test_zalloc(struct gpt *pt, unsigned int order, gfp_t gfp)
{
	struct gpt_test_env *env = pt->priv;
	struct page *page;

	if (env->nr_allocs++ == env->fail_at)
		return NULL;
	page = alloc_pages(gfp | __GFP_ZERO, order);
	if (!page)
		return NULL;
	env->live += 1L << order;
	return page_address(page);
}

static void gpt_test_free(struct gpt *pt, void *va, unsigned int order)
{
	struct gpt_test_env *env = pt->priv;

	KUNIT_EXPECT_EQ(env->test, virt_to_phys(va) &
			((PAGE_SIZE << order) - 1), 0);
	env->live -= 1L << order;
	__free_pages(virt_to_page(va), order);
}

static void gpt_test_invalidate(struct gpt *pt, u64 gpa, u64 size)
{
	struct gpt_test_env *env = pt->priv;
	struct gpt_leaf leaf;

	env->nr_inval++;
	if (gpt_query(pt, gpa, &leaf))
		env->nr_inval_empty++;
	if (env->count_in_inval) {
		u64 linked;

		gpt_test_scan(env->test, pt, &linked);
		if (linked != pt->nr_table_pages)
			env->bad_count++;
	}
}

/* Records the calls; the leaf must not be present yet (it runs before). */
static void gpt_test_sync_leaf(struct gpt *pt, phys_addr_t pa, u64 size,
			       u32 prot)
{
	struct gpt_test_env *env = pt->priv;

	env->nr_sync++;
	env->sync_bytes += size;
	env->sync_prot = prot;
	env->sync_pa = pa;
}

static const struct gpt_mm_ops gpt_test_mm_ops = {
	.zalloc_pages	= gpt_test_zalloc,
	.free_pages	= gpt_test_free,
	.invalidate	= gpt_test_invalidate,
	.sync_leaf	= gpt_test_sync_leaf,
};

/**
 * gpt_test_env_init() - a table on counting mm_ops
 * @test: the test
 * @env: the environment to set up
 * @format: GASPACE_FMT_*
 * @gpa_bits: width, 0 = default
 *
 * Return: what gpt_init() returns.
 */
int gpt_test_env_init(struct kunit *test, struct gpt_test_env *env,
		      u32 format, u32 gpa_bits)
{
	memset(env, 0, sizeof(*env));
	env->test = test;
	env->fail_at = -1;
	return gpt_init(&env->pt, format, gpa_bits, &gpt_test_mm_ops, env,
			GFP_KERNEL);
}

/**
 * gpt_test_env_fini() - destroy the table; everything must be given back
 * @env: the environment
 */
void gpt_test_env_fini(struct gpt_test_env *env)
{
	env->fail_at = -1;
	gpt_destroy(&env->pt, NULL, NULL);
	KUNIT_EXPECT_EQ(env->test, env->live, 0);
	KUNIT_EXPECT_EQ(env->test, env->pt.nr_table_pages, 0);
	KUNIT_EXPECT_EQ(env->test, env->pt.present_bytes, 0);
}

/**
 * gpt_test_hash() - a digest of every entry of every table
 * @test: the test
 * @pt: the table
 *
 * Table entries hold their child's address, so an equal digest means the
 * same pages in the same places holding the same entries.
 *
 * Return: the digest.
 */
u64 gpt_test_hash(struct kunit *test, const struct gpt *pt)
{
	return gpt_test_scan(test, pt, NULL);
}

/**
 * gpt_test_scan() - digest every entry, count the table pages linked in
 * @test: the test
 * @pt: the table
 * @nr_tables: out: table pages reachable from the root, root included; or
 *	NULL
 *
 * Return: the digest gpt_test_hash() gives.
 */
u64 gpt_test_scan(struct kunit *test, const struct gpt *pt, u64 *nr_tables)
{
	u64 *tables[GPT_MAX_LEVELS];
	u32 idx[GPT_MAX_LEVELS], n[GPT_MAX_LEVELS];
	u32 top = pt->levels - 1, level = top;
	u64 hash = 0x9e3779b97f4a7c15ULL;

	tables[top] = pt->root;
	idx[top] = 0;
	n[top] = 1u << gpt_root_index_bits(pt->gpa_bits, pt->levels);
	if (nr_tables)
		*nr_tables = 1ULL << pt->root_order;
	for (;;) {
		u64 pte;
		phys_addr_t pa;
		u32 prot;
		bool leaf;

		if (idx[level] == n[level]) {
			if (level == top)
				break;
			level++;
			continue;
		}
		pte = tables[level][idx[level]++];
		if (!pte)
			continue;
		hash = (hash ^ pte ^ ((u64)level << 60 | idx[level])) *
		       0x100000001b3ULL;
		if (!gpt_test_decode(pt->fmt, pte, level, &pa, &prot, &leaf)) {
			KUNIT_FAIL(test, "garbage entry %#llx", pte);
			continue;
		}
		if (leaf)
			continue;
		if (nr_tables)
			(*nr_tables)++;
		level--;
		tables[level] = phys_to_virt(pa);
		idx[level] = 0;
		n[level] = 512;
	}
	return hash;
}

/*
 * The operations as a caller uses them: a cache filled with what the bound
 * says first.  An allocation made to fail leaves the cache short, and the
 * operation must then fail cleanly (maps undo, unmap and protect change
 * nothing).
 */
static void gpt_test_fill(struct gpt *pt, struct gpt_cache *mc,
			  unsigned long nr)
{
	gpt_cache_init(mc);
	gpt_cache_topup(pt, mc, nr, GFP_KERNEL);
}

/**
 * gpt_test_map() - gpt_map() with a cache of gpt_map_bound() pages
 * @pt: the table
 * @gpa: first address
 * @size: bytes
 * @hpa: host address
 * @prot: prot and attributes
 * @flags: GPT_MAP_*
 *
 * Return: what gpt_map() returns.
 */
int gpt_test_map(struct gpt *pt, u64 gpa, u64 size, phys_addr_t hpa,
		 u32 prot, u32 flags)
{
	struct gpt_cache mc;
	int ret;

	gpt_test_fill(pt, &mc, gpt_map_bound(pt, gpa, size, hpa, flags));
	ret = gpt_map(pt, &mc, gpa, size, hpa, prot, flags);
	gpt_cache_free(pt, &mc);
	return ret;
}

/**
 * gpt_test_map_src() - gpt_map_src() with a cache of gpt_map_bound() pages
 * @pt: the table
 * @gpa: first address
 * @size: bytes
 * @prot: prot and attributes
 * @flags: GPT_MAP_*
 * @src: the page source
 * @arg: its cookie
 *
 * Return: what gpt_map_src() returns.
 */
int gpt_test_map_src(struct gpt *pt, u64 gpa, u64 size, u32 prot, u32 flags,
		     const struct gpt_pa_src *src, void *arg)
{
	struct gpt_cache mc;
	int ret;

	gpt_test_fill(pt, &mc, gpt_map_bound(pt, gpa, size, gpa,
					     GPT_MAP_NOHUGE));
	ret = gpt_map_src(pt, &mc, gpa, size, prot, flags, src, arg);
	gpt_cache_free(pt, &mc);
	return ret;
}

/**
 * gpt_test_unmap() - gpt_unmap() with a cache of gpt_split_bound() pages
 * @pt: the table
 * @gpa: first address
 * @size: bytes
 * @removed: leaf callback or NULL
 * @arg: its cookie
 *
 * Return: what gpt_unmap() returns.
 */
int gpt_test_unmap(struct gpt *pt, u64 gpa, u64 size, gpt_leaf_fn removed,
		   void *arg)
{
	struct gpt_cache mc;
	int ret;

	gpt_test_fill(pt, &mc, gpt_split_bound(pt));
	ret = gpt_unmap(pt, &mc, gpa, size, removed, arg);
	gpt_cache_free(pt, &mc);
	return ret;
}

/**
 * gpt_test_protect() - gpt_protect() with a cache of gpt_split_bound() pages
 * @pt: the table
 * @gpa: first address
 * @size: bytes
 * @prot: the new prot
 *
 * Return: what gpt_protect() returns.
 */
int gpt_test_protect(struct gpt *pt, u64 gpa, u64 size, u32 prot)
{
	struct gpt_cache mc;
	int ret;

	gpt_test_fill(pt, &mc, gpt_split_bound(pt));
	ret = gpt_protect(pt, &mc, gpa, size, prot);
	gpt_cache_free(pt, &mc);
	return ret;
}

/**
 * gpt_test_wrprotect() - gpt_wrprotect() with the cache it may need
 * @pt: the table
 * @gpa: first address
 * @size: bytes
 * @split: split every block down to 4 KiB
 *
 * Return: what gpt_wrprotect() returns.
 */
long gpt_test_wrprotect(struct gpt *pt, u64 gpa, u64 size, bool split)
{
	struct gpt_cache mc;
	long ret;

	gpt_test_fill(pt, &mc, split ? gpt_wrprotect_bound(pt, gpa, size) :
				       gpt_split_bound(pt));
	ret = gpt_wrprotect(pt, &mc, gpa, size, split);
	gpt_cache_free(pt, &mc);
	return ret;
}
