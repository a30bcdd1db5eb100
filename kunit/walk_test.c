// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the page-table walker on every format.  Tables are read back with
 * a reader of their own (gpt_test_decode() only) and compared with a model:
 * a sorted list of regions (gpa, size, hpa, prot) that, like areas, are cut
 * at the edges of every unmap and protect and never merged.  The leaves of a
 * region are the largest blocks its gpa/hpa alignment allows, and the table
 * pages needed for them are counted from the regions alone.
 */
#include <kunit/test.h>
#include <linux/io.h>
#include <linux/module.h>
#include <linux/prandom.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "walk_util.h"

#define RW		(GASPACE_PROT_READ | GASPACE_PROT_WRITE)
#define RWX		GPT_PROT_RWX
#define DEV		GPT_ATTR_DEVICE
#define RANDOM_OPS	10000
#define MODEL_MAX	48

struct walk_cfg {
	u32 format;
	u32 bits;
	u32 quirks;
	bool random;
	const char *name;
};

static const struct walk_cfg walk_cfgs[] = {
	{ GASPACE_FMT_EPT, 48, 0, true, "ept48" },
	{ GASPACE_FMT_EPT, 57, 0, false, "ept57" },
	{ GASPACE_FMT_NPT, 48, GPT_TEST_X_READS, false, "npt48" },
	{ GASPACE_FMT_NPT, 57, GPT_TEST_X_READS, true, "npt57" },
	{ GASPACE_FMT_ARM64_S2, 40, 0, true, "stage2_40" },
	{ GASPACE_FMT_ARM64_S2, 32, 0, false, "stage2_32" },
	{ GASPACE_FMT_ARM64_S2, 33, 0, true, "stage2_33" },
	{ GASPACE_FMT_ARM64_S2, 39, 0, false, "stage2_39" },
	{ GASPACE_FMT_ARM64_S2, 48, 0, false, "stage2_48" },
	{ GASPACE_FMT_RISCV_G, 41, GPT_TEST_NO_DEVICE, true, "gstage41" },
	{ GASPACE_FMT_RISCV_G, 50, GPT_TEST_NO_DEVICE, false, "gstage50" },
	{ GASPACE_FMT_RISCV_G, 59, GPT_TEST_NO_DEVICE, false, "gstage59" },
};

static void walk_cfg_desc(const struct walk_cfg *cfg, char *desc)
{
	strscpy(desc, cfg->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(walk, walk_cfgs, walk_cfg_desc);

struct region {
	u64 gpa;
	u64 size;
	u64 hpa;
	u32 prot;
	bool nohuge;
};

struct model {
	int n;
	struct region r[MODEL_MAX];
};

struct walk_ctx {
	struct kunit *test;
	const struct walk_cfg *cfg;
	struct gpt_test_env env;
	struct gpt *pt;
	struct model *m;
	struct rnd_state rnd;
	u64 limit;
	u64 base;
	u64 win;
};

/* ---- the model ---- */

static u64 r_end(const struct region *r)
{
	return r->gpa + r->size;
}

static int model_find(const struct model *m, u64 gpa)
{
	int i;

	for (i = 0; i < m->n; i++)
		if (gpa >= m->r[i].gpa && gpa < r_end(&m->r[i]))
			return i;
	return -1;
}

static bool model_overlaps(const struct model *m, u64 a, u64 b)
{
	int i;

	for (i = 0; i < m->n; i++)
		if (m->r[i].gpa < b && r_end(&m->r[i]) > a)
			return true;
	return false;
}

static void model_insert(struct model *m, int at, const struct region *r)
{
	memmove(&m->r[at + 1], &m->r[at], (m->n - at) * sizeof(*r));
	m->r[at] = *r;
	m->n++;
}

static void model_add(struct model *m, const struct region *r)
{
	int i = 0;

	while (i < m->n && m->r[i].gpa < r->gpa)
		i++;
	model_insert(m, i, r);
}

/* Cut the region that holds @at, if @at is inside it. */
static void model_cut(struct model *m, u64 at)
{
	int i = model_find(m, at);
	struct region *r, tail;

	if (i < 0 || m->r[i].gpa == at)
		return;
	r = &m->r[i];
	tail = *r;
	tail.gpa = at;
	tail.hpa = r->hpa + (at - r->gpa);
	tail.size = r_end(r) - at;
	r->size = at - r->gpa;
	model_insert(m, i + 1, &tail);
}

static void model_unmap(struct model *m, u64 a, u64 b)
{
	int i, j = 0;

	model_cut(m, a);
	model_cut(m, b);
	for (i = 0; i < m->n; i++)
		if (m->r[i].gpa < a || m->r[i].gpa >= b)
			m->r[j++] = m->r[i];
	m->n = j;
}

static void model_protect(struct model *m, u64 a, u64 b, u32 prot)
{
	int i;

	model_cut(m, a);
	model_cut(m, b);
	for (i = 0; i < m->n; i++)
		if (m->r[i].gpa >= a && m->r[i].gpa < b)
			m->r[i].prot = prot | (m->r[i].prot & DEV);
}

static u64 model_present(const struct model *m)
{
	u64 bytes = 0;
	int i;

	for (i = 0; i < m->n; i++)
		if (m->r[i].prot & RWX)
			bytes += m->r[i].size;
	return bytes;
}

/* The largest leaf level a region's gpa/hpa alignment allows. */
static u32 region_level(const struct gpt *pt, const struct region *r)
{
	u32 l;

	if (r->nohuge)
		return 0;
	for (l = pt->levels - 1; l; l--)
		if ((pt->fmt->geo.block_levels & GPT_LEVEL_MASK(l)) &&
		    !((r->gpa ^ r->hpa) & (gpt_level_size(l) - 1)))
			return l;
	return 0;
}

static u32 leaf_level_at(const struct gpt *pt, const struct region *r,
			 u64 cur)
{
	u32 l;

	for (l = region_level(pt, r); l; l--) {
		u64 size = gpt_level_size(l);

		if ((pt->fmt->geo.block_levels & GPT_LEVEL_MASK(l)) &&
		    !(cur & (size - 1)) && cur + size <= r_end(r))
			return l;
	}
	return 0;
}

/*
 * The fewest table pages that hold the model's leaves: the root, and at
 * each level l below it one page per span of level l + 1 that holds a leaf
 * of level l or lower.
 */
static void span_add(u64 w, u64 *total, u64 *last, bool *any)
{
	if (*any && w <= *last)
		return;
	(*total)++;
	*last = w;
	*any = true;
}

static u64 model_min_tables(const struct gpt *pt, const struct model *m)
{
	u64 total = 1ULL << pt->root_order;
	u32 l;
	int i;

	for (l = 0; l + 1 < pt->levels; l++) {
		u64 span = gpt_level_size(l + 1), last = 0, w;
		bool any = false;

		for (i = 0; i < m->n; i++) {
			const struct region *r = &m->r[i];
			u64 first = r->gpa / span, end = (r_end(r) - 1) / span;

			if (region_level(pt, r) <= l) {
				for (w = first; w <= end; w++)
					span_add(w, &total, &last, &any);
				continue;
			}
			/* Only spans cut by an edge hold small leaves. */
			if (r->gpa & (span - 1))
				span_add(first, &total, &last, &any);
			if (r_end(r) & (span - 1))
				span_add(end, &total, &last, &any);
		}
	}
	return total;
}

/* ---- reading the tables back, independently of the walker ---- */

/*
 * The entry for @gpa: a leaf, or empty (pte 0), at *level; *ptep is where it
 * is.
 */
static u64 read_entry(struct kunit *test, const struct gpt *pt, u64 gpa,
		      u32 *level, const u64 **ptep)
{
	const u64 *table = pt->root;
	u32 l = pt->levels - 1;
	u32 n = 1u << gpt_root_index_bits(pt->gpa_bits, pt->levels);

	for (;;) {
		const u64 *p = &table[(gpa >> gpt_level_shift(l)) & (n - 1)];
		u64 pte = *p;
		phys_addr_t pa;
		bool leaf;
		u32 prot;

		*level = l;
		*ptep = p;
		if (!pte)
			return 0;
		if (!gpt_test_decode(pt->fmt, pte, l, &pa, &prot, &leaf)) {
			KUNIT_FAIL(test, "garbage entry %#llx at level %u",
				   pte, l);
			return 0;
		}
		if (leaf)
			return pte;
		if (!l) {
			KUNIT_FAIL(test, "table entry at level 0");
			return 0;
		}
		table = phys_to_virt(pa);
		n = 512;
		l--;
	}
}

struct exp_it {
	int ri;
	u64 cur;
	u64 end;
};

static bool exp_next(const struct gpt *pt, const struct model *m,
		     struct exp_it *it, struct gpt_leaf *out)
{
	while (it->ri < m->n) {
		const struct region *r = &m->r[it->ri];

		if (r->gpa >= it->end)
			return false;
		if (it->cur < r->gpa)
			it->cur = r->gpa;
		if (it->cur >= it->end)
			return false;
		if (it->cur >= r_end(r)) {
			it->ri++;
			continue;
		}
		out->level = leaf_level_at(pt, r, it->cur);
		out->size = gpt_level_size(out->level);
		out->gpa = it->cur;
		out->pa = r->hpa + (it->cur - r->gpa);
		out->prot = r->prot;
		it->cur += out->size;
		return true;
	}
	return false;
}

/*
 * Every leaf in [a, b) (1 GiB aligned) is the model's, and no other; 4 KiB
 * leaves are compared inside [ia, ib) only (an operation changes no 4 KiB
 * leaf outside the 2 MiB spans it touches).
 */
static void check_window(struct walk_ctx *c, u64 a, u64 b, u64 ia, u64 ib)
{
	struct kunit *test = c->test;
	const struct gpt *pt = c->pt;
	struct exp_it it = { .cur = a, .end = b };
	const u64 *ptep = NULL;
	struct gpt_leaf want;
	u32 level = 0;
	u64 cur = a;

	while (it.ri < c->m->n && r_end(&c->m->r[it.ri]) <= a)
		it.ri++;
	while (cur < b) {
		bool leaf, next;
		phys_addr_t pa;
		u64 pte, size;
		u32 prot;

		/* the next entry of the same table without going back up */
		next = ptep && (level == pt->levels - 1 ||
				(cur & (gpt_level_size(level + 1) - 1)));
		if (next) {
			pte = *++ptep;
			if (pte && level &&
			    (!gpt_test_decode(pt->fmt, pte, level, &pa, &prot,
					      &leaf) ||
			     !leaf))
				next = false;
		}
		if (!next)
			pte = read_entry(test, pt, cur, &level, &ptep);
		size = gpt_level_size(level);
		if (!level && !(cur & (SZ_2M - 1)) && (cur < ia || cur >= ib)) {
			struct exp_it peek = it;

			if (exp_next(pt, c->m, &peek, &want) &&
			    want.gpa < cur + SZ_2M && want.level) {
				KUNIT_FAIL(test, "table at %#llx, want a block",
					   cur);
				return;
			}
			cur += SZ_2M;
			it.cur = max(it.cur, cur);
			ptep = NULL;
			continue;
		}
		if (!pte) {
			cur = (cur & ~(size - 1)) + size;
			continue;
		}
		if (!gpt_test_decode(pt->fmt, pte, level, &pa, &prot,
				     &leaf) || !leaf) {
			KUNIT_FAIL(test, "bad leaf %#llx at %#llx", pte, cur);
			return;
		}
		if (!exp_next(pt, c->m, &it, &want)) {
			KUNIT_FAIL(test, "extra leaf at %#llx level %u", cur,
				   level);
			return;
		}
		if (want.gpa != cur || want.level != level || want.pa != pa ||
		    gpt_test_read_prot(want.prot, c->cfg->quirks) != prot) {
			KUNIT_FAIL(test,
				   "leaf %#llx level %u pa %#llx prot %#x, want %#llx level %u pa %#llx prot %#x",
				   cur, level, (u64)pa, prot, want.gpa,
				   want.level, (u64)want.pa,
				   gpt_test_read_prot(want.prot,
						      c->cfg->quirks));
			return;
		}
		cur = (cur & ~(size - 1)) + size;
	}
	if (exp_next(pt, c->m, &it, &want))
		KUNIT_FAIL(test, "missing leaf at %#llx level %u", want.gpa,
			   want.level);
}

static void check_all(struct walk_ctx *c, u64 a, u64 b)
{
	struct kunit *test = c->test;

	check_window(c, ALIGN_DOWN(a, SZ_1G), min(ALIGN(b, SZ_1G), c->limit),
		     ALIGN_DOWN(a, SZ_2M), ALIGN(b, SZ_2M));
	KUNIT_EXPECT_EQ(test, c->pt->nr_table_pages,
			model_min_tables(c->pt, c->m));
	KUNIT_EXPECT_EQ(test, c->env.live, (long)c->pt->nr_table_pages);
	KUNIT_EXPECT_EQ(test, c->pt->present_bytes, model_present(c->m));
}

static struct walk_ctx *ctx_init(struct kunit *test)
{
	const struct walk_cfg *cfg = test->param_value;
	struct walk_ctx *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, c);
	c->m = kunit_kzalloc(test, sizeof(*c->m), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c->m);
	c->test = test;
	c->cfg = cfg;
	KUNIT_ASSERT_EQ(test, gpt_test_env_init(test, &c->env, cfg->format,
						cfg->bits), 0);
	c->pt = &c->env.pt;
	c->limit = 1ULL << c->pt->gpa_bits;
	c->win = min_t(u64, c->limit, SZ_4G);
	c->base = c->limit - c->win;
	prandom_seed_state(&c->rnd, 0x5eed0000ULL + cfg->format * 100 +
			   cfg->bits);
	return c;
}

static int do_map(struct walk_ctx *c, u64 gpa, u64 size, u64 hpa, u32 prot,
		  u32 flags)
{
	struct region r = {
		.gpa = gpa, .size = size, .hpa = hpa, .prot = prot,
		.nohuge = flags & GPT_MAP_NOHUGE,
	};
	int ret = gpt_test_map(c->pt, gpa, size, hpa, prot, flags);

	if (!ret)
		model_add(c->m, &r);
	return ret;
}

/* ---- fixed cases ---- */

static void walk_map_query(struct kunit *test)
{
	struct walk_ctx *c = ctx_init(test);
	struct gpt *pt = c->pt;
	bool gib = pt->levels >= 3;
	u64 g = SZ_1G, h;
	struct gpt_leaf leaf;

	KUNIT_EXPECT_EQ(test, c->env.live, (long)pt->nr_table_pages);
	KUNIT_EXPECT_EQ(test, pt->nr_table_pages, 1ULL << pt->root_order);
	/* 4K, 2M, 1G, 2M, 4K leaves */
	KUNIT_ASSERT_EQ(test, do_map(c, g - SZ_2M - SZ_4K,
				     g + 2 * SZ_2M + 2 * SZ_4K,
				     8 * g - SZ_2M - SZ_4K, RWX, 0), 0);
	check_all(c, 0, 3 * g);
	KUNIT_ASSERT_EQ(test, gpt_query(pt, g + 5, &leaf), 0);
	KUNIT_EXPECT_EQ(test, leaf.level, gib ? 2 : 1);
	KUNIT_EXPECT_EQ(test, leaf.size, gib ? (u64)SZ_1G : SZ_2M);
	KUNIT_EXPECT_EQ(test, leaf.gpa, g);
	KUNIT_EXPECT_EQ(test, leaf.pa, 8 * g);
	KUNIT_EXPECT_EQ(test, leaf.prot, RWX);
	KUNIT_ASSERT_EQ(test, gpt_query(pt, g - SZ_2M - 1, &leaf), 0);
	KUNIT_EXPECT_EQ(test, leaf.level, 0);
	KUNIT_EXPECT_EQ(test, leaf.pa, 8 * g - SZ_2M - SZ_4K);
	KUNIT_ASSERT_EQ(test, gpt_query(pt, 2 * g + SZ_2M, &leaf), 0);
	KUNIT_EXPECT_EQ(test, leaf.level, 0);
	KUNIT_EXPECT_EQ(test, gpt_query(pt, 2 * g + SZ_2M + SZ_4K, &leaf),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, gpt_query(pt, c->limit, &leaf), -ERANGE);

	/* overlap: nothing changes, even the tables taken on the way */
	h = gpt_test_hash(test, pt);
	KUNIT_EXPECT_EQ(test, gpt_test_map(pt, g - SZ_2M - 2 * SZ_4K, 2 * SZ_4K,
					   0, RWX, 0), -EEXIST);
	KUNIT_EXPECT_EQ(test, gpt_test_map(pt, 2 * g + SZ_2M, SZ_4K, 0, RW, 0),
			-EEXIST);
	KUNIT_EXPECT_EQ(test, gpt_test_map(pt, SZ_2M, g, 0, RW, 0), -EEXIST);
	KUNIT_EXPECT_EQ(test, gpt_test_hash(test, pt), h);
	check_all(c, 0, 3 * g);

	/* bad arguments */
	KUNIT_EXPECT_EQ(test, gpt_test_map(pt, SZ_2M + 1, SZ_4K, 0, RW, 0),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, gpt_test_map(pt, SZ_2M, SZ_4K, 1, RW, 0),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, gpt_test_map(pt, SZ_2M, SZ_4K, 0,
					   GASPACE_PROT_WRITE, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, gpt_test_map(pt, SZ_2M, SZ_4K, 0, 0x80, 0),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, gpt_test_map(pt, SZ_2M, SZ_4K,
					   BIT_ULL(pt->fmt->geo.pa_bits), RW, 0),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, gpt_test_map(pt, c->limit - SZ_4K, 2 * SZ_4K, 0,
					   RW,
					   0), -ERANGE);
	KUNIT_EXPECT_EQ(test, gpt_test_unmap(pt, c->limit, SZ_4K, NULL, NULL),
			-ERANGE);
	KUNIT_EXPECT_EQ(test, gpt_test_protect(pt, 0, SZ_4K,
					       GASPACE_PROT_WRITE),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, gpt_test_hash(test, pt), h);

	/* 4 KiB only on request; the top of the space */
	KUNIT_ASSERT_EQ(test, do_map(c, 3 * g, SZ_4M, 3 * g, RW,
				     GPT_MAP_NOHUGE), 0);
	KUNIT_ASSERT_EQ(test, do_map(c, c->limit - SZ_2M, SZ_2M, SZ_2M,
				     GASPACE_PROT_EXEC, 0), 0);
	check_all(c, 0, c->limit);
	KUNIT_ASSERT_EQ(test, gpt_query(pt, c->limit - 1, &leaf), 0);
	KUNIT_EXPECT_EQ(test, leaf.level, 1);
	KUNIT_EXPECT_EQ(test, leaf.prot,
			gpt_test_read_prot(GASPACE_PROT_EXEC,
					   c->cfg->quirks));

	/* prot 0 keeps address and memory type, and is not present */
	KUNIT_ASSERT_EQ(test, do_map(c, 3 * g + SZ_8M, SZ_2M, SZ_2M, DEV, 0),
			0);
	check_all(c, 0, c->limit);
	KUNIT_ASSERT_EQ(test, gpt_query(pt, 3 * g + SZ_8M, &leaf), 0);
	KUNIT_EXPECT_EQ(test, leaf.prot,
			gpt_test_read_prot(DEV, c->cfg->quirks));
	KUNIT_EXPECT_EQ(test, leaf.pa, SZ_2M);
	KUNIT_EXPECT_EQ(test, gpt_test_protect(pt, 3 * g + SZ_8M, SZ_2M, RW),
			0);
	model_protect(c->m, 3 * g + SZ_8M, 3 * g + SZ_8M + SZ_2M, RW);
	check_all(c, 0, c->limit);
	KUNIT_ASSERT_EQ(test, gpt_query(pt, 3 * g + SZ_8M, &leaf), 0);
	KUNIT_EXPECT_EQ(test, leaf.prot,
			gpt_test_read_prot(RW | DEV, c->cfg->quirks));

	/* nothing but the root after unmapping everything */
	KUNIT_EXPECT_EQ(test, gpt_test_unmap(pt, 0, c->limit, NULL, NULL), 0);
	model_unmap(c->m, 0, c->limit);
	check_all(c, 0, c->limit);
	KUNIT_EXPECT_EQ(test, pt->nr_table_pages, 1ULL << pt->root_order);
	gpt_test_env_fini(&c->env);
}

static void walk_split(struct kunit *test)
{
	struct walk_ctx *c = ctx_init(test);
	struct gpt *pt = c->pt;
	u64 b = SZ_1G, a0 = b + SZ_4M + SZ_2M + 3 * SZ_4K;
	u64 a1 = b + SZ_8M + SZ_2M + 5 * SZ_4K;
	struct gpt_leaf leaf;
	long inval;

	c->env.count_in_inval = true;
	KUNIT_ASSERT_EQ(test, do_map(c, b, SZ_1G, 5ULL * SZ_1G, RWX, 0), 0);
	check_all(c, b, 2 * b);

	/* protect inside the block: both edges split, the rest unchanged */
	inval = c->env.nr_inval;
	KUNIT_ASSERT_EQ(test, gpt_test_protect(pt, a0, a1 - a0,
					       GASPACE_PROT_READ), 0);
	model_protect(c->m, a0, a1, GASPACE_PROT_READ);
	check_all(c, b, 2 * b);
	KUNIT_EXPECT_GT(test, c->env.nr_inval, inval);
	if (pt->fmt->bbm && pt->levels >= 3)	/* the 1 GiB block broke */
		KUNIT_EXPECT_GT(test, c->env.nr_inval_empty, 0);
	else if (!pt->fmt->bbm)
		KUNIT_EXPECT_EQ(test, c->env.nr_inval_empty, 0);
	KUNIT_ASSERT_EQ(test, gpt_query(pt, a0 - SZ_4K, &leaf), 0);
	KUNIT_EXPECT_EQ(test, leaf.level, 0);
	KUNIT_EXPECT_EQ(test, leaf.prot, RWX);
	KUNIT_EXPECT_EQ(test, leaf.pa, 5ULL * SZ_1G + (a0 - SZ_4K - b));
	KUNIT_ASSERT_EQ(test, gpt_query(pt, a0, &leaf), 0);
	KUNIT_EXPECT_EQ(test, leaf.level, 0);
	KUNIT_EXPECT_EQ(test, leaf.prot, GASPACE_PROT_READ);
	KUNIT_ASSERT_EQ(test, gpt_query(pt, b + SZ_8M, &leaf), 0);
	KUNIT_EXPECT_EQ(test, leaf.level, 1);
	KUNIT_EXPECT_EQ(test, leaf.prot, GASPACE_PROT_READ);
	KUNIT_ASSERT_EQ(test, gpt_query(pt, b + SZ_2M, &leaf), 0);
	KUNIT_EXPECT_EQ(test, leaf.level, 1);
	KUNIT_EXPECT_EQ(test, leaf.prot, RWX);
	KUNIT_ASSERT_EQ(test, gpt_query(pt, b + SZ_512M, &leaf), 0);
	KUNIT_EXPECT_EQ(test, leaf.level, 1);

	/* same prot: still split (areas are cut there) */
	KUNIT_ASSERT_EQ(test, gpt_test_protect(pt, b + SZ_32M + SZ_4K, SZ_4K,
					       RWX), 0);
	model_protect(c->m, b + SZ_32M + SZ_4K, b + SZ_32M + SZ_8K, RWX);
	check_all(c, b, 2 * b);

	/* unmap inside a block */
	KUNIT_ASSERT_EQ(test, gpt_test_unmap(pt, b + SZ_64M + SZ_4K,
					     SZ_2M - SZ_8K, NULL, NULL), 0);
	model_unmap(c->m, b + SZ_64M + SZ_4K, b + SZ_64M + SZ_2M - SZ_4K);
	check_all(c, b, 2 * b);
	KUNIT_EXPECT_EQ(test, gpt_query(pt, b + SZ_64M + SZ_4K, &leaf),
			-ENOENT);

	/* unmapping the split parts again leaves the minimum */
	KUNIT_ASSERT_EQ(test, gpt_test_unmap(pt, b, SZ_128M, NULL, NULL), 0);
	model_unmap(c->m, b, b + SZ_128M);
	check_all(c, b, 2 * b);
	KUNIT_ASSERT_EQ(test, gpt_test_unmap(pt, b + SZ_128M, SZ_1G - SZ_128M,
					     NULL, NULL), 0);
	model_unmap(c->m, 0, c->limit);
	check_all(c, b, 2 * b);
	KUNIT_EXPECT_EQ(test, pt->nr_table_pages, 1ULL << pt->root_order);
	KUNIT_EXPECT_EQ(test, c->env.bad_count, 0);
	gpt_test_env_fini(&c->env);
}

struct report_ctx {
	struct walk_ctx *c;
	u64 a, b;
	u64 bytes;
	long inval;
	int bad;
	int last;
};

static void report_leaf(void *arg, const struct gpt_leaf *leaf)
{
	struct report_ctx *rc = arg;
	struct walk_ctx *c = rc->c;
	const struct region *r = &c->m->r[rc->last];

	/* leaves come mostly in order: try the last region first */
	if (rc->last >= c->m->n || leaf->gpa < r->gpa ||
	    leaf->gpa >= r_end(r)) {
		rc->last = model_find(c->m, leaf->gpa);
		r = rc->last < 0 ? NULL : &c->m->r[rc->last];
		if (rc->last < 0)
			rc->last = 0;
	}

	if (!r || leaf->gpa < rc->a || leaf->gpa + leaf->size > rc->b ||
	    leaf->gpa + leaf->size > r_end(r) ||
	    leaf->pa != r->hpa + (leaf->gpa - r->gpa) ||
	    leaf->prot != gpt_test_read_prot(r->prot & ~RWX, c->cfg->quirks) ||
	    c->env.nr_inval == rc->inval)
		rc->bad++;
	rc->bytes += leaf->size;
}

static u64 model_bytes_in(const struct model *m, u64 a, u64 b)
{
	u64 bytes = 0;
	int i;

	for (i = 0; i < m->n; i++) {
		u64 s = max(a, m->r[i].gpa), e = min(b, r_end(&m->r[i]));

		if (s < e)
			bytes += e - s;
	}
	return bytes;
}

static int do_unmap_report(struct walk_ctx *c, u64 a, u64 b)
{
	struct report_ctx rc = { .c = c, .a = a, .b = b,
				 .inval = c->env.nr_inval };
	u64 want = model_bytes_in(c->m, a, b);
	int ret = gpt_test_unmap(c->pt, a, b - a, report_leaf, &rc);

	if (ret) {
		KUNIT_EXPECT_EQ(c->test, rc.bytes, 0);
		return ret;
	}
	KUNIT_EXPECT_EQ(c->test, rc.bad, 0);
	KUNIT_EXPECT_EQ(c->test, rc.bytes, want);
	model_unmap(c->m, a, b);
	return 0;
}

static void walk_unmap_report(struct kunit *test)
{
	struct walk_ctx *c = ctx_init(test);
	u64 g = SZ_1G;

	c->env.count_in_inval = true;

	KUNIT_ASSERT_EQ(test, do_map(c, g, g, 2 * g, RWX, 0), 0);
	KUNIT_ASSERT_EQ(test, do_map(c, 2 * g + SZ_4K, SZ_8M, SZ_4K, 0, 0), 0);
	KUNIT_ASSERT_EQ(test, do_map(c, 3 * g - SZ_4M, SZ_2M, 0,
				     RW | DEV, GPT_MAP_NOHUGE), 0);
	check_all(c, 0, c->limit);
	KUNIT_EXPECT_EQ(test, do_unmap_report(c, g + SZ_2M + SZ_4K,
					      2 * g + SZ_4M + SZ_4K), 0);
	check_all(c, 0, c->limit);
	KUNIT_EXPECT_EQ(test, do_unmap_report(c, 0, c->limit), 0);
	check_all(c, 0, c->limit);
	KUNIT_EXPECT_EQ(test, c->pt->nr_table_pages,
			1ULL << c->pt->root_order);
	KUNIT_EXPECT_GT(test, c->env.nr_inval, 0);
	KUNIT_EXPECT_EQ(test, c->env.bad_count, 0);
	gpt_test_env_fini(&c->env);
}

/* ---- allocation failure at each allocation point ---- */

struct src_ctx {
	u64 base;
	int gets;
	int puts;
	int fail_at;
	int huge;
};

static int src_get(void *arg, u64 gpa, u32 max_level, phys_addr_t *pa,
		   u32 *level)
{
	struct src_ctx *s = arg;
	int i = s->gets;

	if (i == s->fail_at)
		return -EINTR;
	s->gets++;
	if (s->huge && max_level >= 1 && !(i & 1)) {
		*level = 1;
		*pa = s->base + SZ_1G + (u64)i * SZ_2M;
		return 0;
	}
	*level = 0;
	*pa = s->base + (u64)((i * 7919) % 4096) * SZ_4K;
	return 0;
}

static void src_put(void *arg, u64 gpa, phys_addr_t pa, u32 level)
{
	struct src_ctx *s = arg;

	s->puts++;
}

static const struct gpt_pa_src test_src = {
	.get = src_get,
	.put = src_put,
};

static void walk_alloc_fail(struct kunit *test)
{
	struct walk_ctx *c = ctx_init(test);
	struct gpt *pt = c->pt;
	u64 b = SZ_1G, n;
	int op, ret;

	KUNIT_ASSERT_EQ(test, do_map(c, b, SZ_1G, 5ULL * SZ_1G, RWX, 0), 0);
	for (op = 0; op < 5; op++) {
		for (n = 0;; n++) {
			u64 h = gpt_test_hash(test, pt);
			u64 tables = pt->nr_table_pages;
			struct src_ctx s = { .base = SZ_4G, .fail_at = -1 };

			c->env.fail_at = c->env.nr_allocs + n;
			switch (op) {
			case 0:	/* new tables at three levels, then EEXIST */
				ret = gpt_test_map(pt, b - SZ_4K, SZ_8K, 0, RW,
						   0);
				break;
			case 1:	/* a fresh range that takes tables */
				ret = do_map(c, 2 * b + SZ_2M - SZ_8K, SZ_16K,
					     0, RW, GPT_MAP_NOHUGE);
				break;
			case 2:	/* split 1G and two 2M blocks */
				ret = gpt_test_protect(pt, b + SZ_4M + SZ_4K,
						       SZ_8M, GASPACE_PROT_READ);
				if (!ret)
					model_protect(c->m, b + SZ_4M + SZ_4K,
						      b + SZ_4M + SZ_4K +
						      SZ_8M,
						      GASPACE_PROT_READ);
				break;
			case 3:
				ret = do_unmap_report(c, b + SZ_128M + SZ_4K,
						      b + SZ_128M + SZ_8K);
				break;
			default: /* the page source fails too */
				s.fail_at = n < 8 ? n : -1;
				c->env.fail_at = n < 8 ? -1 :
						 c->env.nr_allocs + n - 8;
				ret = gpt_test_map_src(pt, 3 * b - SZ_4M,
						       SZ_4M +
						  SZ_8K, RW, 0, &test_src, &s);
				KUNIT_EXPECT_EQ(test, s.gets, ret ? s.puts :
						s.gets);
				if (ret == -EINTR)
					ret = -ENOMEM;
				break;
			}
			c->env.fail_at = -1;
			if (ret != -ENOMEM)
				break;
			KUNIT_EXPECT_EQ(test, gpt_test_hash(test, pt), h);
			KUNIT_EXPECT_EQ(test, pt->nr_table_pages, tables);
			KUNIT_EXPECT_EQ(test, c->env.live, (long)tables);
		}
		KUNIT_EXPECT_EQ_MSG(test, ret, op ? 0 : -EEXIST, "op %d", op);
		KUNIT_EXPECT_GT_MSG(test, n, 0, "op %d never failed", op);
		if (op < 4)
			check_all(c, 0, c->limit);
	}
	gpt_test_unmap(pt, 0, c->limit, NULL, NULL);
	KUNIT_EXPECT_EQ(test, pt->nr_table_pages, 1ULL << pt->root_order);
	gpt_test_env_fini(&c->env);
}

/* ---- pages from a callback ---- */

static void walk_map_src(struct kunit *test)
{
	struct walk_ctx *c = ctx_init(test);
	struct gpt *pt = c->pt;
	struct src_ctx s = { .base = SZ_4G, .fail_at = -1, .huge = 1 };
	u64 a = SZ_1G - SZ_16K, size = SZ_8M + SZ_32K, gpa;
	struct gpt_leaf leaf;
	int i = 0;

	KUNIT_ASSERT_EQ(test, gpt_test_map_src(pt, a, size, RWX, 0, &test_src,
					       &s),
			0);
	KUNIT_EXPECT_EQ(test, s.puts, 0);
	/* replay the source: every leaf as it gave it */
	for (gpa = a; gpa < a + size; gpa += leaf.size, i++) {
		bool huge = !(gpa & (SZ_2M - 1)) && a + size - gpa >= SZ_2M &&
			    !(i & 1);

		KUNIT_ASSERT_EQ(test, gpt_query(pt, gpa, &leaf), 0);
		KUNIT_EXPECT_EQ(test, leaf.gpa, gpa);
		KUNIT_EXPECT_EQ(test, leaf.level, huge ? 1 : 0);
		KUNIT_EXPECT_EQ(test, leaf.pa, huge ?
				s.base + SZ_1G + (u64)i * SZ_2M :
				s.base + (u64)((i * 7919) % 4096) * SZ_4K);
		if (leaf.level != (huge ? 1 : 0))
			break;
	}
	KUNIT_EXPECT_EQ(test, i, s.gets);
	KUNIT_EXPECT_EQ(test, pt->present_bytes, size);
	KUNIT_EXPECT_EQ(test, gpt_test_map_src(pt, a + size - SZ_4K, SZ_8K, RWX,
					       0,
					       &test_src, &s), -EEXIST);
	KUNIT_EXPECT_EQ(test, gpt_test_unmap(pt, a, size, NULL, NULL), 0);
	KUNIT_EXPECT_EQ(test, pt->nr_table_pages, 1ULL << pt->root_order);
	KUNIT_EXPECT_EQ(test, pt->present_bytes, 0);
	gpt_test_env_fini(&c->env);
}

/* ---- one page into tables that exist: written without a walk ---- */

static void walk_map_page(struct kunit *test)
{
	struct walk_ctx *c = ctx_init(test);
	struct gpt *pt = c->pt;
	struct src_ctx s = { .base = SZ_4G, .fail_at = -1 };
	u64 g = SZ_1G, tables, bytes, h;
	struct gpt_leaf leaf;

	/* the first page links its tables, the next one finds them */
	KUNIT_ASSERT_EQ(test, do_map(c, g, SZ_4K, SZ_2G, RW, 0), 0);
	tables = pt->nr_table_pages;
	KUNIT_ASSERT_EQ(test, do_map(c, g + SZ_4K, SZ_4K, SZ_2G + SZ_8K, RW,
				     0), 0);
	KUNIT_EXPECT_EQ(test, pt->nr_table_pages, tables);
	check_all(c, 0, c->limit);

	/* from a source: one page asked for, one given */
	bytes = pt->present_bytes;
	KUNIT_ASSERT_EQ(test, gpt_test_map_src(pt, g + SZ_8K, SZ_4K, RW, 0,
					       &test_src, &s), 0);
	KUNIT_EXPECT_EQ(test, s.gets, 1);
	KUNIT_EXPECT_EQ(test, s.puts, 0);
	KUNIT_ASSERT_EQ(test, gpt_query(pt, g + SZ_8K + 8, &leaf), 0);
	KUNIT_EXPECT_EQ(test, leaf.pa, s.base);
	KUNIT_EXPECT_EQ(test, leaf.level, 0);
	KUNIT_EXPECT_EQ(test, leaf.prot, RW);
	KUNIT_EXPECT_EQ(test, pt->present_bytes, bytes + SZ_4K);
	KUNIT_EXPECT_EQ(test, pt->nr_table_pages, tables);

	/* a leaf in the way, then a failing source: nothing changes */
	h = gpt_test_hash(test, pt);
	s = (struct src_ctx){ .base = SZ_4G, .fail_at = -1 };
	KUNIT_EXPECT_EQ(test, gpt_test_map_src(pt, g + SZ_8K, SZ_4K, RW, 0,
					       &test_src, &s), -EEXIST);
	KUNIT_EXPECT_EQ(test, s.gets, 0);
	s.fail_at = 0;
	KUNIT_EXPECT_EQ(test, gpt_test_map_src(pt, g + SZ_16K, SZ_4K, RW, 0,
					       &test_src, &s), -EINTR);
	KUNIT_EXPECT_EQ(test, s.gets, 0);
	KUNIT_EXPECT_EQ(test, s.puts, 0);
	KUNIT_EXPECT_EQ(test, gpt_test_hash(test, pt), h);
	KUNIT_EXPECT_EQ(test, pt->nr_table_pages, tables);
	KUNIT_EXPECT_EQ(test, pt->present_bytes, bytes + SZ_4K);

	gpt_test_unmap(pt, 0, c->limit, NULL, NULL);
	KUNIT_EXPECT_EQ(test, pt->nr_table_pages, 1ULL << pt->root_order);
	gpt_test_env_fini(&c->env);
}

/* ---- the change generation ---- */

/*
 * gpt->gen moves (by two: odd during the change) when an entry that was
 * not empty changes, and only then: filling empty entries, tables
 * included, keeps it; inside the owner's own generation a change adds
 * nothing to it.
 */
static void walk_change_gen(struct kunit *test)
{
	struct walk_ctx *c = ctx_init(test);
	struct gpt *pt = c->pt;
	u64 g = SZ_1G, gen = pt->gen;

	KUNIT_EXPECT_EQ(test, gen & 1, 0);
	KUNIT_ASSERT_EQ(test, do_map(c, g, SZ_4K, SZ_2G, RW, 0), 0);
	KUNIT_ASSERT_EQ(test, do_map(c, g + SZ_4K, SZ_4K, SZ_2G + SZ_4K, RW,
				     0), 0);
	KUNIT_ASSERT_EQ(test, do_map(c, g + SZ_2M, SZ_2M, SZ_2G + SZ_2M, RW,
				     0), 0);
	KUNIT_EXPECT_EQ(test, pt->gen, gen);

	/* a leaf's prot, a block split, a leaf removed */
	KUNIT_ASSERT_EQ(test, gpt_test_protect(pt, g, SZ_4K,
					       GASPACE_PROT_READ), 0);
	KUNIT_EXPECT_GT(test, pt->gen, gen);
	KUNIT_EXPECT_EQ(test, pt->gen & 1, 0);
	gen = pt->gen;
	KUNIT_ASSERT_EQ(test, gpt_test_protect(pt, g + SZ_2M, SZ_4K,
					       GASPACE_PROT_READ), 0);
	KUNIT_EXPECT_GT(test, pt->gen, gen);
	gen = pt->gen;
	KUNIT_ASSERT_EQ(test, gpt_test_unmap(pt, g + SZ_4K, SZ_4K, NULL, NULL),
			0);
	KUNIT_EXPECT_GT(test, pt->gen, gen);
	KUNIT_EXPECT_EQ(test, pt->gen & 1, 0);

	/* nothing to change: nothing moves */
	gen = pt->gen;
	KUNIT_ASSERT_EQ(test, gpt_test_protect(pt, g, SZ_4K,
					       GASPACE_PROT_READ), 0);
	KUNIT_EXPECT_EQ(test, pt->gen, gen);

	/* the owner's generation holds the walk's changes */
	gpt_gen_begin(pt);
	KUNIT_ASSERT_EQ(test, gpt_test_unmap(pt, 0, c->limit, NULL, NULL), 0);
	gpt_gen_end(pt);
	KUNIT_EXPECT_EQ(test, pt->gen, gen + 2);
	gpt_test_env_fini(&c->env);
}

/* ---- a fatal signal stops a killable map, which is undone ---- */

static void walk_killable(struct kunit *test)
{
	struct walk_ctx *c = ctx_init(test);
	struct gpt *pt = c->pt;
	u64 g = SZ_1G, h;
	int ret;

	struct gpt_cache mc1, mc2;

	KUNIT_ASSERT_EQ(test, do_map(c, g + SZ_4K, SZ_4K, 0, RW, 0), 0);
	h = gpt_test_hash(test, pt);
	/* the table pages first: filling a cache stops at a fatal signal */
	gpt_cache_init(&mc1);
	gpt_cache_init(&mc2);
	KUNIT_ASSERT_EQ(test, gpt_cache_topup(pt, &mc1,
					      gpt_map_bound(pt, g - SZ_2M, SZ_4M,
							    0, GPT_MAP_NOHUGE),
					      GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, gpt_cache_topup(pt, &mc2,
					      gpt_map_bound(pt, 2 * g, SZ_4M,
							    0, 0),
					      GFP_KERNEL), 0);
	allow_signal(SIGKILL);
	send_sig(SIGKILL, current, 1);
	KUNIT_EXPECT_EQ(test, gpt_cache_topup(pt, &mc2, mc2.nr + 1,
					      GFP_KERNEL), -EINTR);
	/* stops at g, an empty slot just before the leaf at g + 4K */
	ret = gpt_map(pt, &mc1, g - SZ_2M, SZ_4M, 0, RW,
		      GPT_MAP_NOHUGE | GPT_MAP_KILLABLE);
	/* without GPT_MAP_KILLABLE the signal does not matter */
	KUNIT_EXPECT_EQ(test, gpt_map(pt, &mc2, 2 * g, SZ_4M, 0, RW, 0), 0);
	flush_signals(current);
	disallow_signal(SIGKILL);
	gpt_cache_free(pt, &mc1);
	gpt_cache_free(pt, &mc2);
	KUNIT_EXPECT_EQ(test, ret, -EINTR);
	KUNIT_EXPECT_EQ(test, gpt_test_unmap(pt, 2 * g, SZ_4M, NULL, NULL), 0);
	KUNIT_EXPECT_EQ(test, gpt_test_hash(test, pt), h);
	check_all(c, 0, c->limit);
	KUNIT_EXPECT_EQ(test, gpt_test_unmap(pt, 0, c->limit, NULL, NULL), 0);
	gpt_test_env_fini(&c->env);
}

/* ---- a seeded random sequence against the model ---- */

static u64 rnd(struct walk_ctx *c, u64 n)
{
	u64 v = (u64)prandom_u32_state(&c->rnd) << 32 |
		prandom_u32_state(&c->rnd);

	return n ? v % n : v;
}

static void rand_range(struct walk_ctx *c, u64 *a, u64 *b)
{
	u32 kind = rnd(c, 10);
	u64 g = kind < 2 ? SZ_4K : kind < 7 ? SZ_2M : SZ_1G;
	u64 n = 1 + rnd(c, g == SZ_1G ? 2 : 64);
	u64 start = c->base + rnd(c, c->win / g) * g, end;

	end = start + n * g;
	if (!rnd(c, 4) && start - c->base >= 8 * SZ_4K)
		start -= (1 + rnd(c, 8)) * SZ_4K;
	if (!rnd(c, 4))
		end += (1 + rnd(c, 8)) * SZ_4K;
	*a = start;
	*b = min(end, c->base + c->win);
}

static void walk_random(struct kunit *test)
{
	const struct walk_cfg *cfg = test->param_value;
	struct walk_ctx *c;
	struct gpt *pt;
	struct gpt_leaf leaf;
	int i, ret;

	if (!cfg->random)
		kunit_skip(test, "one width per format runs the long sequence");
	c = ctx_init(test);
	pt = c->pt;
	for (i = 0; i < RANDOM_OPS && test->status != KUNIT_FAILURE; i++) {
		u32 op = rnd(c, 100), prot = gpt_test_prots[rnd(c, 6)];
		bool inject = !rnd(c, 16);
		u64 a, b, hpa, g;
		int k;

		rand_range(c, &a, &b);
		if (c->m->n > MODEL_MAX - 8)
			op = 40;	/* unmap */
		if (inject)
			c->env.fail_at = c->env.nr_allocs + rnd(c, 3);
		if (op < 30) {
			u32 flags = rnd(c, 10) ? 0 : GPT_MAP_NOHUGE;
			bool clash = model_overlaps(c->m, a, b);

			g = (u64)rnd(c, 64) << 30;
			k = rnd(c, 10);
			/* 4 KiB leaves on small ranges only: each costs */
			if (b - a > SZ_2M + SZ_64K) {
				flags = 0;
				k %= 9;
			}
			hpa = k < 7 ? g + (a & (SZ_1G - 1)) :
			      k < 9 ? g + (a & (SZ_2M - 1)) + rnd(c, 512) *
				      SZ_2M :
			      g + rnd(c, 1 << 18) * SZ_4K;
			if (!rnd(c, 4))
				prot |= DEV;
			ret = do_map(c, a, b - a, hpa, prot, flags);
			if (!(inject && ret == -ENOMEM))
				KUNIT_EXPECT_EQ(test, ret, clash ? -EEXIST : 0);
		} else if (op < 55) {
			if (rnd(c, 2)) {
				ret = do_unmap_report(c, a, b);
			} else {
				ret = gpt_test_unmap(pt, a, b - a, NULL, NULL);
				if (!ret)
					model_unmap(c->m, a, b);
			}
			if (!(inject && ret == -ENOMEM))
				KUNIT_EXPECT_EQ(test, ret, 0);
		} else if (op < 85) {
			ret = gpt_test_protect(pt, a, b - a, prot);
			if (!ret)
				model_protect(c->m, a, b, prot);
			if (!(inject && ret == -ENOMEM))
				KUNIT_EXPECT_EQ(test, ret, 0);
		} else {
			int r;

			ret = gpt_query(pt, a, &leaf);
			r = model_find(c->m, a);
			KUNIT_EXPECT_EQ(test, ret, r < 0 ? -ENOENT : 0);
			if (!ret && r >= 0) {
				const struct region *rg = &c->m->r[r];

				KUNIT_EXPECT_EQ(test, leaf.pa, rg->hpa +
						(leaf.gpa - rg->gpa));
				KUNIT_EXPECT_EQ(test, leaf.prot,
						gpt_test_read_prot(rg->prot,
								   cfg->quirks));
				KUNIT_EXPECT_EQ(test, leaf.level,
						leaf_level_at(pt, rg,
							      leaf.gpa));
			}
		}
		c->env.fail_at = -1;
		if (i % 512 == 511)
			check_all(c, c->base, c->limit);
		else
			check_all(c, a, b);
	}
	KUNIT_EXPECT_EQ(test, i, RANDOM_OPS);
	KUNIT_EXPECT_EQ(test, gpt_test_unmap(pt, 0, c->limit, NULL, NULL), 0);
	model_unmap(c->m, 0, c->limit);
	check_all(c, 0, c->limit);
	KUNIT_EXPECT_EQ(test, pt->nr_table_pages, 1ULL << pt->root_order);
	gpt_test_env_fini(&c->env);
}

/*
 * Issue 12: a table page above the format's physical width (an Arm
 * stage-2 holds 48 bits; a host may have RAM above) is never linked at a
 * truncated address: the map fails with -ENOMEM and changes nothing.  A
 * format narrowed to 4 KiB of physical memory makes every page too high.
 */
static void walk_tables_beyond_the_pa_width(struct kunit *test)
{
	struct gpt_test_env env;
	struct gpt_fmt narrow;
	struct gpt *pt = &env.pt;
	u64 hash, tables = 0;

	KUNIT_ASSERT_EQ(test,
			gpt_test_env_init(test, &env, GASPACE_FMT_ARM64_S2, 40),
			0);
	hash = gpt_test_hash(test, pt);
	narrow = *pt->fmt;
	narrow.geo.pa_bits = GPT_PAGE_SHIFT;
	pt->fmt = &narrow;
	KUNIT_EXPECT_EQ(test, gpt_test_map(pt, SZ_1G, SZ_4K, 0,
					   GASPACE_PROT_READ,
					   0), -ENOMEM);
	pt->fmt = &gpt_fmt_stage2;
	KUNIT_EXPECT_EQ(test, gpt_test_hash(test, pt), hash);
	gpt_test_scan(test, pt, &tables);
	KUNIT_EXPECT_EQ(test, tables, 1ULL << pt->root_order);
	KUNIT_EXPECT_EQ(test, env.live, 1L << pt->root_order);
	gpt_test_env_fini(&env);
}

/*
 * sync_leaf (Arm's cache maintenance) runs for each leaf that becomes
 * present, and for one that gains EXEC; never for prot 0 leaves, a prot
 * that only drops rights, or an unmap.
 */
static void walk_sync_leaf(struct kunit *test)
{
	struct walk_ctx *c = ctx_init(test);
	struct gpt_test_env *env = &c->env;
	struct gpt *pt = c->pt;
	u64 g = SZ_1G;

	/* one 2 MiB block and four 4 KiB leaves */
	KUNIT_ASSERT_EQ(test, do_map(c, g, SZ_2M, 4 * g, GASPACE_PROT_READ |
				     GASPACE_PROT_WRITE, 0), 0);
	KUNIT_EXPECT_EQ(test, env->nr_sync, 1);
	KUNIT_EXPECT_EQ(test, env->sync_bytes, (u64)SZ_2M);
	KUNIT_EXPECT_EQ(test, env->sync_pa, 4 * g);
	KUNIT_ASSERT_EQ(test, do_map(c, g + SZ_2M, 4 * SZ_4K, 8 * g,
				     GASPACE_PROT_READ | GPT_ATTR_DEVICE, 0), 0);
	KUNIT_EXPECT_EQ(test, env->nr_sync, 5);
	KUNIT_EXPECT_EQ(test, env->sync_bytes, (u64)SZ_2M + 4 * SZ_4K);
	KUNIT_EXPECT_EQ(test, env->sync_prot,
			GASPACE_PROT_READ | GPT_ATTR_DEVICE);
	KUNIT_EXPECT_EQ(test, env->sync_pa, 8 * g + 3 * SZ_4K);
	/* non-present to the hardware: nothing to sync */
	KUNIT_ASSERT_EQ(test, do_map(c, 2 * g, SZ_4K, 4 * g, 0, 0), 0);
	KUNIT_EXPECT_EQ(test, env->nr_sync, 5);
	/* dropping rights: none; made present again, gaining EXEC: one each */
	KUNIT_ASSERT_EQ(test, gpt_test_protect(pt, g, SZ_2M, GASPACE_PROT_READ),
			0);
	KUNIT_EXPECT_EQ(test, env->nr_sync, 5);
	KUNIT_ASSERT_EQ(test, gpt_test_protect(pt, 2 * g, SZ_4K,
					       GASPACE_PROT_READ), 0);
	KUNIT_EXPECT_EQ(test, env->nr_sync, 6);
	KUNIT_EXPECT_EQ(test, env->sync_pa, 4 * g);
	KUNIT_ASSERT_EQ(test, gpt_test_protect(pt, g, SZ_2M, RWX), 0);
	KUNIT_EXPECT_EQ(test, env->nr_sync, 7);
	KUNIT_EXPECT_EQ(test, env->sync_prot, RWX);
	KUNIT_EXPECT_EQ(test, env->sync_bytes, 2ULL * SZ_2M + 5 * SZ_4K);
	KUNIT_ASSERT_EQ(test, gpt_test_protect(pt, g, SZ_2M, RWX), 0);
	KUNIT_EXPECT_EQ(test, env->nr_sync, 7);
	KUNIT_ASSERT_EQ(test, gpt_test_unmap(pt, g, SZ_4M, NULL, NULL), 0);
	KUNIT_EXPECT_EQ(test, env->nr_sync, 7);
}

/* Dirty logging's region state: 4 KiB leaves without W, or back again. */
static void model_log(struct model *m, u64 a, u64 b, bool on)
{
	int i;

	model_cut(m, a);
	model_cut(m, b);
	for (i = 0; i < m->n; i++) {
		if (m->r[i].gpa < a || m->r[i].gpa >= b)
			continue;
		m->r[i].nohuge = on;
		if (on)
			m->r[i].prot &= ~GASPACE_PROT_WRITE;
		else if (m->r[i].prot & GASPACE_PROT_READ)
			m->r[i].prot |= GASPACE_PROT_WRITE;
	}
}

/* The per-level counts of present leaves add up to the present bytes. */
static void check_counts(struct kunit *test, const struct gpt *pt)
{
	u64 bytes = 0;
	u32 l;

	for (l = 0; l < pt->levels; l++)
		bytes += pt->nr_present[l] * gpt_level_size(l);
	KUNIT_EXPECT_EQ(test, bytes, pt->present_bytes);
}

/*
 * Dirty logging's walks: a write-protect that splits every block to
 * 4 KiB (frames in place), a relax that gives one leaf W back without an
 * invalidation, and a collapse that turns the tables back into blocks.
 */
static void walk_dirty(struct kunit *test)
{
	struct walk_ctx *c = ctx_init(test);
	struct gpt *pt = c->pt;
	u64 b = SZ_1G, x = b + SZ_4M + 3 * SZ_4K, y = b + SZ_8M + 5 * SZ_4K;
	struct gpt_leaf leaf, before;
	u64 tables;
	long inval;

	c->env.count_in_inval = true;
	KUNIT_ASSERT_EQ(test, do_map(c, b, SZ_1G, 5ULL * SZ_1G, RWX, 0), 0);
	KUNIT_ASSERT_EQ(test, gpt_query(pt, b + SZ_512M, &before), 0);
	tables = pt->nr_table_pages;

	KUNIT_EXPECT_EQ(test, gpt_test_wrprotect(pt, x, y - x, true),
			(long)((y - x) / SZ_4K));
	model_log(c->m, x, y, true);
	check_all(c, b, 2 * b);
	check_counts(test, pt);
	KUNIT_EXPECT_EQ(test, gpt_test_wrprotect(pt, x, y - x, false), 0);

	/* a write gives one page W back, with nothing invalidated */
	inval = c->env.nr_inval;
	KUNIT_EXPECT_EQ(test, gpt_relax(pt, x + SZ_4K, GASPACE_PROT_WRITE), 0);
	KUNIT_EXPECT_EQ(test, c->env.nr_inval, inval);
	KUNIT_ASSERT_EQ(test, gpt_query(pt, x + SZ_4K, &leaf), 0);
	KUNIT_EXPECT_EQ(test, leaf.prot, RWX);
	KUNIT_EXPECT_EQ(test, leaf.level, 0);
	KUNIT_EXPECT_EQ(test, gpt_relax(pt, x + SZ_4K, GASPACE_PROT_WRITE), 0);
	KUNIT_EXPECT_EQ(test, gpt_relax(pt, b - SZ_4K, GASPACE_PROT_WRITE),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, gpt_test_wrprotect(pt, x, y - x, false), 1);
	check_all(c, b, 2 * b);

	/* back: the prot, then the blocks the range holds whole */
	KUNIT_ASSERT_EQ(test, gpt_test_protect(pt, x, y - x, RWX), 0);
	KUNIT_EXPECT_EQ(test, gpt_collapse(pt, x, y - x, 0), 0);
	KUNIT_EXPECT_EQ(test, gpt_collapse(pt, x, y - x, pt->levels - 1), 0);
	model_log(c->m, x, y, false);
	check_all(c, b, 2 * b);
	check_counts(test, pt);

	/* a page moved elsewhere keeps its table; the rest collapses whole */
	KUNIT_ASSERT_EQ(test, gpt_test_unmap(pt, b + SZ_2M, SZ_4K, NULL, NULL),
			0);
	KUNIT_ASSERT_EQ(test, gpt_test_map(pt, b + SZ_2M, SZ_4K, 9ULL * SZ_1G,
					   RWX, 0), 0);
	KUNIT_EXPECT_EQ(test, gpt_collapse(pt, b, SZ_1G, pt->levels - 1), 0);
	KUNIT_ASSERT_EQ(test, gpt_query(pt, b + SZ_2M + SZ_4K, &leaf), 0);
	KUNIT_EXPECT_EQ(test, leaf.level, 0);
	KUNIT_ASSERT_EQ(test, gpt_query(pt, b + SZ_512M, &leaf), 0);
	KUNIT_EXPECT_EQ(test, leaf.level, before.level > 1 ? 1 : before.level);
	KUNIT_ASSERT_EQ(test, gpt_test_unmap(pt, b + SZ_2M, SZ_4K, NULL, NULL),
			0);
	KUNIT_ASSERT_EQ(test, gpt_test_map(pt, b + SZ_2M, SZ_4K,
					   5ULL * SZ_1G + SZ_2M, RWX, 0), 0);
	KUNIT_EXPECT_EQ(test, gpt_collapse(pt, b, SZ_1G, pt->levels - 1), 0);
	KUNIT_ASSERT_EQ(test, gpt_query(pt, b + SZ_512M, &leaf), 0);
	KUNIT_EXPECT_EQ(test, leaf.level, before.level);
	KUNIT_EXPECT_EQ(test, pt->nr_table_pages, tables);
	check_counts(test, pt);
	KUNIT_EXPECT_EQ(test, c->env.bad_count, 0);
	gpt_test_env_fini(&c->env);
}

static struct kunit_case walk_cases[] = {
	KUNIT_CASE(walk_tables_beyond_the_pa_width),
	KUNIT_CASE_PARAM(walk_map_query, walk_gen_params),
	KUNIT_CASE_PARAM(walk_sync_leaf, walk_gen_params),
	KUNIT_CASE_PARAM(walk_split, walk_gen_params),
	KUNIT_CASE_PARAM(walk_dirty, walk_gen_params),
	KUNIT_CASE_PARAM(walk_unmap_report, walk_gen_params),
	KUNIT_CASE_PARAM(walk_alloc_fail, walk_gen_params),
	KUNIT_CASE_PARAM(walk_map_src, walk_gen_params),
	KUNIT_CASE_PARAM(walk_map_page, walk_gen_params),
	KUNIT_CASE_PARAM(walk_change_gen, walk_gen_params),
	KUNIT_CASE_PARAM(walk_killable, walk_gen_params),
	KUNIT_CASE_PARAM(walk_random, walk_gen_params),
	{}
};

static struct kunit_suite walk_suite = {
	.name = "gaspace_walk",
	.test_cases = walk_cases,
};

kunit_test_suites(&walk_suite);
MODULE_IMPORT_NS(GASPACE_INTERNAL);
