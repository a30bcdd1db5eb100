// SPDX-License-Identifier: GPL-2.0
/*
 * The generic nested page-table walker: geometry, root allocation, and every
 * operation (map, unmap, protect, query, destroy) as a short visitor on one
 * walk, for every format.
 *
 * Callers serialise changes to a table; the hardware may walk it at any
 * time, so entries change with single stores, a table is filled before it is
 * linked, and nothing a removed entry pointed to is freed before the
 * invalidate callback for its range ran.
 */
#include <linux/errno.h>
#include <linux/export.h>
#include <linux/io.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/string.h>
#include <asm/barrier.h>

#include "pgtable.h"

#define GPT_PAGE_SIZE		BIT_ULL(GPT_PAGE_SHIFT)
#define GPT_PTES		BIT(GPT_LEVEL_BITS)
/* Splits at both edges of a range, each from a 1 GiB block down to 4 KiB. */
#define GPT_CACHE_MAX		(2 * (GPT_MAX_LEVELS - 1))

static const struct gpt_fmt *const gpt_fmts[] = {
	[GASPACE_FMT_EPT]	= &gpt_fmt_ept,
	[GASPACE_FMT_NPT]	= &gpt_fmt_npt,
	[GASPACE_FMT_ARM64_S2]	= &gpt_fmt_stage2,
	[GASPACE_FMT_RISCV_G]	= &gpt_fmt_gstage,
};

/**
 * gpt_fmt_get() - the descriptor of a format
 * @format: GASPACE_FMT_*
 *
 * Return: the descriptor, or NULL for an unknown format.
 */
const struct gpt_fmt *gpt_fmt_get(u32 format)
{
	if (format >= ARRAY_SIZE(gpt_fmts))
		return NULL;
	return gpt_fmts[format];
}
EXPORT_SYMBOL_NS_GPL(gpt_fmt_get, GASPACE_INTERNAL);

/**
 * gpt_geometry() - levels and root size of a format at a width
 * @format: GASPACE_FMT_*
 * @gpa_bits: in: the width asked (0 = default); out: the width in effect
 * @levels: out: levels walked
 * @root_order: out: the root is 1 << *root_order pages
 *
 * Return: 0, or -EINVAL for an unknown format or a width it does not allow.
 */
int gpt_geometry(u32 format, u32 *gpa_bits, u32 *levels, u32 *root_order)
{
	const struct gpt_fmt *fmt = gpt_fmt_get(format);
	u32 bits, root_bits;

	if (!fmt)
		return -EINVAL;
	bits = *gpa_bits ? *gpa_bits : fmt->default_bits;
	if (fmt->check_bits(bits))
		return -EINVAL;
	*gpa_bits = bits;
	*levels = fmt->levels(bits);
	root_bits = gpt_root_index_bits(bits, *levels);
	*root_order = root_bits > GPT_LEVEL_BITS ? root_bits - GPT_LEVEL_BITS : 0;
	return 0;
}
EXPORT_SYMBOL_NS_GPL(gpt_geometry, GASPACE_INTERNAL);

/*
 * Table pages from mm_ops, zeroed; one the format cannot address (above
 * its physical width, which a host with more memory than an Arm 48-bit
 * stage-2 can reach has) is given back and counts as a failed allocation.
 */
static void *gpt_zalloc_table(struct gpt *pt, unsigned int order)
{
	void *va = pt->mm_ops->zalloc_pages(pt, order);

	if (va && (u64)virt_to_phys(va) + (GPT_PAGE_SIZE << order) >
		  1ULL << pt->fmt->pa_bits) {
		pt->mm_ops->free_pages(pt, va, order);
		va = NULL;
	}
	return va;
}

/**
 * gpt_init() - set up an empty table with its root
 * @pt: the table
 * @format: GASPACE_FMT_*
 * @gpa_bits: width, 0 = the format's default
 * @mm_ops: where table pages come from
 * @priv: the owner's cookie, kept in @pt->priv
 *
 * The root is 1 << @pt->root_order pages from @mm_ops->zalloc_pages(),
 * naturally aligned.  Every table page must lie below the format's
 * physical width: one above it fails the call with -ENOMEM.
 *
 * Return: 0, -EINVAL for a bad format or width, -ENOMEM.
 */
int gpt_init(struct gpt *pt, u32 format, u32 gpa_bits,
	     const struct gpt_mm_ops *mm_ops, void *priv)
{
	int ret;

	memset(pt, 0, sizeof(*pt));
	ret = gpt_geometry(format, &gpa_bits, &pt->levels, &pt->root_order);
	if (ret)
		return ret;
	pt->fmt = gpt_fmt_get(format);
	pt->gpa_bits = gpa_bits;
	pt->mm_ops = mm_ops;
	pt->priv = priv;
	pt->root = gpt_zalloc_table(pt, pt->root_order);
	if (!pt->root)
		return -ENOMEM;
	pt->root_pa = virt_to_phys(pt->root);
	pt->nr_table_pages = 1UL << pt->root_order;
	return 0;
}
EXPORT_SYMBOL_NS_GPL(gpt_init, GASPACE_INTERNAL);

/*
 * The walker.  One iterative pre-order walk over [start, end) visits every
 * entry whose span meets the range, at the level it is found: LEAF for an
 * entry that is not a table (empty, block, page or prot-0 leaf), TABLE_PRE
 * before the entries of a table and TABLE_POST after them.  A visitor may
 * rewrite the entry; the walker reads it again and descends when it is (now)
 * a table, so installing a table (map, split) and removing one (unmap) are
 * plain visitors.  The position is kept between entries: each step moves to
 * the next entry of the same table, or up, never from the root again.
 */
enum gpt_visit_kind {
	GPT_VISIT_LEAF		= BIT(0),
	GPT_VISIT_TABLE_PRE	= BIT(1),
	GPT_VISIT_TABLE_POST	= BIT(2),
};

/**
 * struct gpt_visit - the entry being visited
 * @ptep: the entry
 * @old: its value when the visit began
 * @addr: start of the span it maps
 * @level: its level
 * @nr: LEAF only: the visitor handled this many entries from @ptep on, all in
 *	the same table and the walk range (default 1)
 */
struct gpt_visit {
	u64 *ptep;
	u64 old;
	u64 addr;
	u32 level;
	u32 nr;
};

struct gpt_walker;
typedef int (*gpt_visitor_fn)(struct gpt_walker *w, struct gpt_visit *v,
			      u32 kind);

/**
 * struct gpt_walker - one walk
 * @pt: the table
 * @start: first byte
 * @end: end of the range (exclusive)
 * @kinds: GPT_VISIT_* the visitor wants
 * @cb: the visitor; a non-zero return stops the walk and is returned
 * @arg: the visitor's state
 * @may_sleep: cond_resched() between tables
 */
struct gpt_walker {
	struct gpt *pt;
	u64 start;
	u64 end;
	u32 kinds;
	gpt_visitor_fn cb;
	void *arg;
	bool may_sleep;
};

static inline u32 gpt_top(const struct gpt *pt)
{
	return pt->levels - 1;
}

static inline u64 gpt_limit(const struct gpt *pt)
{
	return 1ULL << pt->gpa_bits;
}

static inline u32 gpt_nr_ptes(const struct gpt *pt, u32 level)
{
	if (level == gpt_top(pt))
		return 1u << gpt_root_index_bits(pt->gpa_bits, pt->levels);
	return GPT_PTES;
}

static inline u32 gpt_index(const struct gpt *pt, u64 addr, u32 level)
{
	return (addr >> gpt_level_shift(level)) & (gpt_nr_ptes(pt, level) - 1);
}

static inline bool gpt_is_table(const struct gpt_fmt *fmt, u64 pte,
				u32 level)
{
	return level && (pte & fmt->table_mask) == fmt->table_bits;
}

/* A non-empty entry that is not a table: present unless marked prot 0. */
static inline bool gpt_present(u64 pte)
{
	return !(pte & GPT_SW_PROTNONE);
}

static inline u64 *gpt_table_va(const struct gpt *pt, u64 pte)
{
	return phys_to_virt(gpt_entry_pa(pt->fmt, pte));
}

static void gpt_invalidate(struct gpt *pt, u64 gpa, u64 size)
{
	if (pt->mm_ops->invalidate)
		pt->mm_ops->invalidate(pt, gpa, size);
}

/* Memory a present leaf is about to show the guest (see mm_ops). */
static void gpt_sync_leaf(struct gpt *pt, phys_addr_t pa, u64 size, u32 prot)
{
	if (pt->mm_ops->sync_leaf)
		pt->mm_ops->sync_leaf(pt, pa, size, prot);
}

static int gpt_walk(struct gpt_walker *w)
{
	struct gpt *pt = w->pt;
	const struct gpt_fmt *fmt = pt->fmt;
	u64 *tables[GPT_MAX_LEVELS];
	u64 *parent[GPT_MAX_LEVELS];
	u64 pbase[GPT_MAX_LEVELS];
	u32 top = gpt_top(pt), level = top;
	u64 addr = w->start;
	int ret;

	tables[top] = pt->root;
	while (addr < w->end) {
		struct gpt_visit v = {
			.level	= level,
			.addr	= addr & ~(gpt_level_size(level) - 1),
			.nr	= 1,
		};
		bool up = false;

		v.ptep = tables[level] + gpt_index(pt, addr, level);
		v.old = READ_ONCE(*v.ptep);
		if (gpt_is_table(fmt, v.old, level)) {
			if (w->kinds & GPT_VISIT_TABLE_PRE) {
				ret = w->cb(w, &v, GPT_VISIT_TABLE_PRE);
				if (ret)
					return ret;
				v.old = READ_ONCE(*v.ptep);
			}
		} else if (w->kinds & GPT_VISIT_LEAF) {
			ret = w->cb(w, &v, GPT_VISIT_LEAF);
			if (ret)
				return ret;
			v.old = READ_ONCE(*v.ptep);
		}
		if (gpt_is_table(fmt, v.old, level)) {
			parent[level] = v.ptep;
			pbase[level] = v.addr;
			level--;
			tables[level] = gpt_table_va(pt, v.old);
			continue;
		}
		addr = v.addr + v.nr * gpt_level_size(level);
		/* Leave each table whose last entry (in range) this was. */
		while (level < top &&
		       (addr >= w->end ||
			!(addr & (gpt_level_size(level + 1) - 1)))) {
			level++;
			up = true;
			if (!(w->kinds & GPT_VISIT_TABLE_POST))
				continue;
			v.ptep = parent[level];
			v.old = READ_ONCE(*v.ptep);
			v.addr = pbase[level];
			v.level = level;
			v.nr = 1;
			ret = w->cb(w, &v, GPT_VISIT_TABLE_POST);
			if (ret)
				return ret;
		}
		if (up && w->may_sleep)
			cond_resched();
	}
	return 0;
}

/* The entry that maps @gpa, or the empty entry where its leaf would go. */
static u64 *gpt_lookup(const struct gpt *pt, u64 gpa, u32 *level)
{
	const struct gpt_fmt *fmt = pt->fmt;
	u64 *table = pt->root;
	u32 l = gpt_top(pt);

	for (;;) {
		u64 *ptep = table + gpt_index(pt, gpa, l);
		u64 pte = READ_ONCE(*ptep);

		if (!gpt_is_table(fmt, pte, l)) {
			*level = l;
			return ptep;
		}
		table = gpt_table_va(pt, pte);
		l--;
	}
}

/* Spare table pages, taken before an operation changes anything. */
struct gpt_cache {
	unsigned int nr;
	void *pages[GPT_CACHE_MAX];
};

static void gpt_cache_release(struct gpt *pt, struct gpt_cache *c)
{
	while (c->nr)
		pt->mm_ops->free_pages(pt, c->pages[--c->nr], 0);
}

static int gpt_cache_topup(struct gpt *pt, struct gpt_cache *c,
			   unsigned int nr)
{
	while (c->nr < nr) {
		void *page = gpt_zalloc_table(pt, 0);

		if (!page) {
			gpt_cache_release(pt, c);
			return -ENOMEM;
		}
		c->pages[c->nr++] = page;
	}
	return 0;
}

/* Table pages that splitting the leaf holding @e at @e takes. */
static unsigned int gpt_split_need(const struct gpt *pt, u64 e)
{
	unsigned int need = 0;
	u32 level, l;
	u64 *ptep;

	if (e >= gpt_limit(pt))
		return 0;
	ptep = gpt_lookup(pt, e, &level);
	if (!READ_ONCE(*ptep))
		return 0;
	for (l = level; l && (e & (gpt_level_size(l) - 1)); l--)
		need++;
	return need;
}

/* Reserve what splits at both edges of [start, end) can take. */
static int gpt_reserve_splits(struct gpt *pt, u64 start, u64 end,
			      struct gpt_cache *c)
{
	return gpt_cache_topup(pt, c, gpt_split_need(pt, start) +
				      gpt_split_need(pt, end));
}

static void gpt_link_table(struct gpt *pt, u64 *ptep, void *table)
{
	/* The table's entries are visible before the entry that links it. */
	smp_store_release(ptep, pt->fmt->encode_table(virt_to_phys(table)));
	pt->nr_table_pages++;
}

/*
 * Replace the block in @v by a table of the next level with the same
 * mapping, prot and attributes: filled first, then linked with one store; on
 * formats that need break-before-make a present block is first made invalid
 * and invalidated.
 */
static int gpt_split(struct gpt_walker *w, struct gpt_visit *v,
		     struct gpt_cache *c)
{
	struct gpt *pt = w->pt;
	const struct gpt_fmt *fmt = pt->fmt;
	u32 level = v->level - 1, prot, i;
	u64 size = gpt_level_size(level);
	phys_addr_t pa;
	u64 tmpl, *child;
	bool leaf;

	if (WARN_ON_ONCE(!c->nr || !v->level ||
			 !fmt->decode(v->old, v->level, &pa, &prot, &leaf)))
		return -ENOMEM;
	child = c->pages[--c->nr];
	tmpl = fmt->encode_leaf(0, prot, level);
	for (i = 0; i < GPT_PTES; i++)
		child[i] = tmpl | gpt_addr_bits(fmt, pa + i * size);
	if (fmt->bbm && gpt_present(v->old)) {
		WRITE_ONCE(*v->ptep, 0);
		gpt_invalidate(pt, v->addr, gpt_level_size(v->level));
	}
	gpt_link_table(pt, v->ptep, child);
	return 0;
}

static void gpt_fill_leaf(const struct gpt *pt, u64 pte, u32 level, u64 gpa,
			  struct gpt_leaf *leaf)
{
	bool is_leaf;

	leaf->size = gpt_level_size(level);
	leaf->gpa = gpa & ~(leaf->size - 1);
	leaf->level = level;
	pt->fmt->decode(pte, level, &leaf->pa, &leaf->prot, &is_leaf);
}

/* Table pages in the subtree of @table (at @level, not the root). */
static u64 gpt_count_tables(const struct gpt *pt, u64 *table, u32 level)
{
	u64 *tables[GPT_MAX_LEVELS];
	u32 idx[GPT_MAX_LEVELS];
	u32 top = level;
	u64 n = 1;

	if (!level)
		return n;
	tables[level] = table;
	idx[level] = 0;
	for (;;) {
		u64 pte;

		if (idx[level] == GPT_PTES) {
			if (level == top)
				return n;
			level++;
			continue;
		}
		pte = READ_ONCE(tables[level][idx[level]++]);
		if (!gpt_is_table(pt->fmt, pte, level))
			continue;
		n++;
		if (level > 1) {
			level--;
			tables[level] = gpt_table_va(pt, pte);
			idx[level] = 0;
		}
	}
}

/*
 * Free a detached subtree (or the whole tree from the root) after the range
 * it mapped was invalidated: report its leaves, give back its pages.  When
 * @counted, its pages already left pt->nr_table_pages as it was unlinked.
 */
static void gpt_free_tree(struct gpt *pt, u64 *table, u32 level, u64 gpa,
			  bool counted, gpt_leaf_fn removed, void *arg)
{
	const struct gpt_fmt *fmt = pt->fmt;
	u64 *tables[GPT_MAX_LEVELS];
	u64 base[GPT_MAX_LEVELS];
	u32 idx[GPT_MAX_LEVELS];
	u32 top = level;

	tables[level] = table;
	base[level] = gpa;
	idx[level] = 0;
	for (;;) {
		if (idx[level] < gpt_nr_ptes(pt, level)) {
			u64 pte = READ_ONCE(tables[level][idx[level]]);
			u64 addr = base[level] +
				   idx[level] * gpt_level_size(level);
			struct gpt_leaf leaf;

			idx[level]++;
			if (!pte)
				continue;
			if (gpt_is_table(fmt, pte, level)) {
				level--;
				tables[level] = gpt_table_va(pt, pte);
				base[level] = addr;
				idx[level] = 0;
				continue;
			}
			if (gpt_present(pte))
				pt->present_bytes -= gpt_level_size(level);
			if (removed) {
				gpt_fill_leaf(pt, pte, level, addr, &leaf);
				leaf.prot &= ~GPT_PROT_RWX;
				removed(arg, &leaf);
			}
			continue;
		}
		if (tables[level] == pt->root) {
			pt->mm_ops->free_pages(pt, tables[level],
					       pt->root_order);
			pt->nr_table_pages -= 1UL << pt->root_order;
		} else {
			pt->mm_ops->free_pages(pt, tables[level], 0);
			if (!counted)
				pt->nr_table_pages--;
		}
		if (level == top)
			break;
		level++;
		cond_resched();
	}
}

/* ---- unmap ---- */

/**
 * struct gpt_unmap_st - state of one unmap
 * @cache: pages for splits at the edges, reserved before the walk
 * @detached: tables unlinked by the first pass, freed after invalidation
 * @removed: report removed leaves to this callback, or NULL
 * @arg: its cookie
 * @changed: an entry was cleared, made non-present or unlinked
 * @marked: present leaves were made non-present and left for the second pass
 */
struct gpt_unmap_st {
	struct gpt_cache cache;
	struct list_head detached;
	gpt_leaf_fn removed;
	void *arg;
	bool changed;
	bool marked;
};

static bool gpt_covered(const struct gpt_walker *w, const struct gpt_visit *v)
{
	return v->addr >= w->start &&
	       v->addr + gpt_level_size(v->level) <= w->end;
}

/* Unlink the table @v points to; it is freed after the invalidation. */
static void gpt_detach(struct gpt_walker *w, struct gpt_visit *v)
{
	struct gpt_unmap_st *st = w->arg;
	u64 *table = gpt_table_va(w->pt, v->old);
	struct page *page = virt_to_page(table);

	WRITE_ONCE(*v->ptep, 0);
	w->pt->nr_table_pages -= gpt_count_tables(w->pt, table, v->level - 1);
	set_page_private(page, v->addr | (v->level - 1));
	list_add_tail(&page->lru, &st->detached);
	st->changed = true;
}

/*
 * After its entries in [start, end) are gone, does the table at @level
 * (spanning from @base) still hold anything?  Only entries whose span is not
 * wholly in the range count.
 */
static bool gpt_table_unused(const u64 *table, u32 level, u64 base,
			     u64 start, u64 end)
{
	u32 shift = gpt_level_shift(level), lo, hi, i;
	u64 tend = base + gpt_level_size(level + 1);

	lo = start > base ? (start - base + gpt_level_size(level) - 1) >> shift
			  : 0;
	hi = end < tend ? (end - base) >> shift : GPT_PTES;
	for (i = 0; i < min(lo, GPT_PTES); i++)
		if (READ_ONCE(table[i]))
			return false;
	for (i = hi; i < GPT_PTES; i++)
		if (READ_ONCE(table[i]))
			return false;
	return true;
}

/*
 * First pass: every table wholly in the range is unlinked; leaves in
 * partially covered tables are cleared, or made non-present (address kept)
 * when they are to be reported; blocks across an edge are split; partially
 * covered tables left with nothing outside the range are unlinked too.
 */
static int gpt_unmap_visit(struct gpt_walker *w, struct gpt_visit *v,
			   u32 kind)
{
	struct gpt_unmap_st *st = w->arg;
	struct gpt *pt = w->pt;
	const struct gpt_fmt *fmt = pt->fmt;
	phys_addr_t pa;
	u32 prot;
	bool leaf;

	switch (kind) {
	case GPT_VISIT_TABLE_PRE:
		if (gpt_covered(w, v))
			gpt_detach(w, v);
		return 0;
	case GPT_VISIT_TABLE_POST:
		if (gpt_table_unused(gpt_table_va(pt, v->old), v->level - 1,
				     v->addr, w->start, w->end))
			gpt_detach(w, v);
		return 0;
	}
	if (!v->old)
		return 0;
	if (!gpt_covered(w, v))
		return gpt_split(w, v, &st->cache);
	st->changed = true;
	if (st->removed)
		st->marked = true;
	if (!gpt_present(v->old)) {
		if (!st->removed)
			WRITE_ONCE(*v->ptep, 0);
		return 0;
	}
	pt->present_bytes -= gpt_level_size(v->level);
	if (!st->removed) {
		WRITE_ONCE(*v->ptep, 0);
		return 0;
	}
	fmt->decode(v->old, v->level, &pa, &prot, &leaf);
	WRITE_ONCE(*v->ptep, fmt->encode_leaf(pa, prot & ~GPT_PROT_RWX,
					      v->level));
	return 0;
}

/* Second pass, after invalidation: report and clear what the first left. */
static int gpt_unmap_report(struct gpt_walker *w, struct gpt_visit *v,
			    u32 kind)
{
	struct gpt_unmap_st *st = w->arg;
	struct gpt_leaf leaf;

	if (!v->old)
		return 0;
	gpt_fill_leaf(w->pt, v->old, v->level, v->addr, &leaf);
	leaf.prot &= ~GPT_PROT_RWX;
	WRITE_ONCE(*v->ptep, 0);
	st->removed(st->arg, &leaf);
	return 0;
}

/* Unmap [start, end) with the split pages already in st->cache. */
static int gpt_unmap_range(struct gpt *pt, u64 start, u64 end,
			   struct gpt_unmap_st *st)
{
	struct gpt_walker w = {
		.pt		= pt,
		.start		= start,
		.end		= end,
		.kinds		= GPT_VISIT_LEAF | GPT_VISIT_TABLE_PRE |
				  GPT_VISIT_TABLE_POST,
		.cb		= gpt_unmap_visit,
		.arg		= st,
		.may_sleep	= true,
	};
	struct page *page, *next;
	int ret;

	INIT_LIST_HEAD(&st->detached);
	ret = gpt_walk(&w);
	if (st->changed)
		gpt_invalidate(pt, start, end - start);
	if (st->marked) {
		w.kinds = GPT_VISIT_LEAF;
		w.cb = gpt_unmap_report;
		gpt_walk(&w);
	}
	list_for_each_entry_safe(page, next, &st->detached, lru) {
		unsigned long info = page_private(page);
		u32 level = info & (GPT_PTES - 1);

		list_del(&page->lru);
		set_page_private(page, 0);
		gpt_free_tree(pt, page_address(page), level,
			      info & ~(unsigned long)(GPT_PTES - 1), true,
			      st->removed, st->arg);
	}
	return ret;
}

/* ---- map ---- */

/**
 * struct gpt_map_st - state of one map
 * @hpa: linear map: host address of the range's first byte
 * @src: page source, or NULL for a linear map
 * @arg: the source's cookie
 * @max_level: largest leaf level the map may use
 * @prot: portable prot and attributes of the leaves
 * @killable: stop with -EINTR (undone) when a fatal signal is pending
 * @tmpl: leaf bits without the address, per level
 * @pos: where the map stopped
 * @pending: @src gave a leaf smaller than the entry it was asked for: it
 *	goes in once tables down to @pend_level exist
 * @pend_pa: its address
 * @pend_level: its level
 */
struct gpt_map_st {
	phys_addr_t hpa;
	const struct gpt_pa_src *src;
	void *arg;
	u32 max_level;
	u32 prot;
	bool killable;
	u64 tmpl[GPT_MAX_LEVELS];
	u64 pos;
	bool pending;
	phys_addr_t pend_pa;
	u32 pend_level;
};

/* The largest leaf level at or below @level that @cur can take. */
static u32 gpt_map_level(const struct gpt_walker *w,
			 const struct gpt_map_st *st, u64 cur, u32 level)
{
	u32 l;

	for (l = min(level, st->max_level); l; l--) {
		u64 mask = gpt_level_size(l) - 1;

		if (!(w->pt->fmt->block_levels & GPT_LEVEL_MASK(l)))
			continue;
		if ((cur & mask) || w->end - cur <= mask)
			continue;
		if (!st->src && ((st->hpa + (cur - w->start)) & mask))
			continue;
		break;
	}
	return l;
}

static bool gpt_pa_ok(const struct gpt *pt, phys_addr_t pa, u32 level)
{
	u64 size = gpt_level_size(level);

	return !(pa & (size - 1)) &&
	       (u64)pa + size <= 1ULL << pt->fmt->pa_bits;
}

static int gpt_map_get(struct gpt_map_st *st, const struct gpt *pt, u64 gpa,
		       u32 max_level, phys_addr_t *pa, u32 *level)
{
	int ret = st->src->get(st->arg, gpa, max_level, pa, level);

	if (ret)
		return ret;
	if (*level > max_level || !gpt_pa_ok(pt, *pa, *level)) {
		if (st->src->put)
			st->src->put(st->arg, gpa, *pa, *level);
		return -EINVAL;
	}
	return 0;
}

static int gpt_map_visit(struct gpt_walker *w, struct gpt_visit *v, u32 kind)
{
	struct gpt_map_st *st = w->arg;
	struct gpt *pt = w->pt;
	u32 level = v->level, want, nr, i;
	u64 cur = max(v->addr, w->start);
	u64 size = gpt_level_size(level);
	phys_addr_t pa;
	void *table;
	int ret;

	st->pos = cur;
	if (v->old)
		return -EEXIST;
	if (st->killable && cur != w->start && !(cur & (SZ_2M - 1)) &&
	    fatal_signal_pending(current))
		return -EINTR;
	if (st->pending) {
		want = st->pend_level;
	} else {
		want = gpt_map_level(w, st, cur, level);
		if (want == level && st->src) {
			ret = gpt_map_get(st, pt, cur, want, &pa, &want);
			if (ret)
				return ret;
			st->pending = true;
			st->pend_pa = pa;
			st->pend_level = want;
		}
	}
	if (want < level) {
		table = gpt_zalloc_table(pt, 0);
		if (!table)
			return -ENOMEM;
		gpt_link_table(pt, v->ptep, table);
		return 0;
	}
	if (st->pending) {
		pa = st->pend_pa;
		st->pending = false;
	} else {
		pa = st->hpa + (cur - w->start);
	}

	/* This entry, and the empty ones after it in this table that fit. */
	nr = min_t(u64, gpt_nr_ptes(pt, level) - gpt_index(pt, cur, level),
		   (w->end - cur) >> gpt_level_shift(level));
	if (st->src && level)
		nr = 1;
	for (i = 0;;) {
		if (gpt_present(st->tmpl[level]))
			gpt_sync_leaf(pt, pa, size, st->prot);
		WRITE_ONCE(v->ptep[i], st->tmpl[level] |
				       gpt_addr_bits(pt->fmt, pa));
		if (gpt_present(st->tmpl[level]))
			pt->present_bytes += size;
		v->nr = ++i;
		st->pos = cur + i * size;
		if (i == nr || READ_ONCE(v->ptep[i]))
			break;
		if (!st->src) {
			pa += size;
			continue;
		}
		ret = gpt_map_get(st, pt, st->pos, 0, &pa, &want);
		if (ret)
			return ret;
	}
	return 0;
}

static void gpt_map_put(void *arg, const struct gpt_leaf *leaf)
{
	struct gpt_map_st *st = arg;

	st->src->put(st->arg, leaf->gpa, leaf->pa, leaf->level);
}

static int gpt_do_map(struct gpt *pt, u64 gpa, u64 size, u32 prot,
		      u32 flags, struct gpt_map_st *st)
{
	struct gpt_walker w = {
		.pt		= pt,
		.start		= gpa,
		.end		= gpa + size,
		.kinds		= GPT_VISIT_LEAF,
		.cb		= gpt_map_visit,
		.arg		= st,
		.may_sleep	= true,
	};
	struct gpt_unmap_st undo = { };
	u32 l;
	u64 end;
	int ret;

	if (prot & ~(GPT_PROT_RWX | GPT_ATTR_DEVICE) ||
	    (prot & GASPACE_PROT_WRITE && !(prot & GASPACE_PROT_READ)) ||
	    flags & ~(GPT_MAP_NOHUGE | GPT_MAP_KILLABLE))
		return -EINVAL;
	if (!size)
		return 0;
	st->killable = flags & GPT_MAP_KILLABLE;
	st->prot = prot;
	st->max_level = 0;
	if (!(flags & GPT_MAP_NOHUGE))
		for (l = 1; l < pt->levels; l++)
			if (pt->fmt->block_levels & GPT_LEVEL_MASK(l))
				st->max_level = l;
	for (l = 0; l <= st->max_level; l++)
		st->tmpl[l] = pt->fmt->encode_leaf(0, prot, l);
	ret = gpt_walk(&w);
	if (!ret)
		return 0;

	/*
	 * Undo: take out what this map put in.  Up to st->pos everything in
	 * the range is ours; at st->pos there is nothing (an empty entry was
	 * being visited), or (-EEXIST) a leaf that was there before, which
	 * stays.  A table linked for st->pos but left empty goes with the
	 * page after it.
	 */
	if (st->pending && st->src->put)
		st->src->put(st->arg, st->pos, st->pend_pa, st->pend_level);
	end = ret == -EEXIST ? st->pos : st->pos + GPT_PAGE_SIZE;
	if (end > gpa) {
		if (st->src && st->src->put) {
			undo.removed = gpt_map_put;
			undo.arg = st;
		}
		gpt_unmap_range(pt, gpa, end, &undo);
	}
	return ret;
}

static int gpt_check_range(const struct gpt *pt, u64 gpa, u64 size)
{
	if ((gpa | size) & (GPT_PAGE_SIZE - 1) || gpa + size < gpa)
		return -EINVAL;
	if (gpa + size > gpt_limit(pt))
		return -ERANGE;
	return 0;
}

/**
 * gpt_map() - map a guest-physical range to a host-physical range
 * @pt: the table
 * @gpa: first guest-physical byte, 4 KiB aligned
 * @size: bytes, a multiple of 4 KiB (0 does nothing)
 * @hpa: host-physical address @gpa maps to, 4 KiB aligned
 * @prot: GASPACE_PROT_* (0 for leaves non-present to the hardware that keep
 *	their address) plus GPT_ATTR_DEVICE
 * @flags: GPT_MAP_NOHUGE for 4 KiB leaves only; GPT_MAP_KILLABLE to stop
 *	(and undo) with -EINTR when a fatal signal is pending
 *
 * Each leaf is the largest block the format has at @pt's levels whose span
 * lies in the range with gpa and hpa equally aligned.  The range must hold
 * no leaf.  May sleep; the caller serialises changes to @pt.
 *
 * Return: 0; -EINVAL for bad arguments, -ERANGE outside the table's width,
 * -EEXIST when a leaf is in the way, -ENOMEM, -EINTR.  On error the
 * tables are as they were (what was mapped is taken out again and
 * invalidated).
 */
int gpt_map(struct gpt *pt, u64 gpa, u64 size, phys_addr_t hpa, u32 prot,
	    u32 flags)
{
	struct gpt_map_st st = { .hpa = hpa };
	int ret = gpt_check_range(pt, gpa, size);

	if (ret)
		return ret;
	if (hpa & (GPT_PAGE_SIZE - 1) || (u64)hpa + size < hpa ||
	    (u64)hpa + size > 1ULL << pt->fmt->pa_bits)
		return -EINVAL;
	return gpt_do_map(pt, gpa, size, prot, flags, &st);
}
EXPORT_SYMBOL_NS_GPL(gpt_map, GASPACE_INTERNAL);

/**
 * gpt_map_src() - map a guest-physical range to pages a callback gives
 * @pt: the table
 * @gpa: first guest-physical byte, 4 KiB aligned
 * @size: bytes, a multiple of 4 KiB (0 does nothing)
 * @prot: as for gpt_map()
 * @flags: GPT_MAP_NOHUGE to offer the callback 4 KiB leaves only;
 *	GPT_MAP_KILLABLE as for gpt_map()
 * @src: @src->get() gives the host address of each leaf in gpa order, with
 *	the largest level the alignment of its gpa and the range allow; the
 *	walk keeps its position between calls
 * @arg: cookie for @src
 *
 * The range must hold no leaf.  On failure every leaf @src->get() gave and
 * that is not mapped any more is handed to @src->put() (after the
 * invalidation of what was mapped), so the caller can free it.  May sleep.
 *
 * Return: 0; -EINVAL, -ERANGE, -EEXIST, -ENOMEM as gpt_map(), -EINVAL when
 * @src->get() gives a level above the one offered or a misaligned or too
 * wide address, or the error @src->get() returned.  On error the tables are
 * as they were.
 */
int gpt_map_src(struct gpt *pt, u64 gpa, u64 size, u32 prot, u32 flags,
		const struct gpt_pa_src *src, void *arg)
{
	struct gpt_map_st st = { .src = src, .arg = arg };
	int ret = gpt_check_range(pt, gpa, size);

	if (ret)
		return ret;
	return gpt_do_map(pt, gpa, size, prot, flags, &st);
}
EXPORT_SYMBOL_NS_GPL(gpt_map_src, GASPACE_INTERNAL);

/**
 * gpt_unmap() - remove every leaf in a guest-physical range
 * @pt: the table
 * @gpa: first byte, 4 KiB aligned
 * @size: bytes, a multiple of 4 KiB; holes are fine
 * @removed: called for each removed leaf after the range was invalidated
 *	(so the memory it mapped may be freed), or NULL
 * @arg: cookie for @removed
 *
 * Blocks across an edge of the range are split first (filled table linked
 * with one store; break-before-make where the format needs it), keeping
 * their other entries exactly.  Tables left empty are unlinked and freed
 * after the invalidate callback for the range.  May sleep.
 *
 * Return: 0; -EINVAL, -ERANGE for a bad range; -ENOMEM when the table pages
 * a split needs cannot be had, with the tables unchanged.
 */
int gpt_unmap(struct gpt *pt, u64 gpa, u64 size, gpt_leaf_fn removed,
	      void *arg)
{
	struct gpt_unmap_st st = { .removed = removed, .arg = arg };
	int ret = gpt_check_range(pt, gpa, size);

	if (ret || !size)
		return ret;
	ret = gpt_reserve_splits(pt, gpa, gpa + size, &st.cache);
	if (ret)
		return ret;
	ret = gpt_unmap_range(pt, gpa, gpa + size, &st);
	gpt_cache_release(pt, &st.cache);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(gpt_unmap, GASPACE_INTERNAL);

/* ---- protect ---- */

struct gpt_protect_st {
	struct gpt_cache cache;
	u32 prot;
	bool changed;
};

static int gpt_protect_visit(struct gpt_walker *w, struct gpt_visit *v,
			     u32 kind)
{
	struct gpt_protect_st *st = w->arg;
	struct gpt *pt = w->pt;
	const struct gpt_fmt *fmt = pt->fmt;
	u64 size = gpt_level_size(v->level), pte;
	phys_addr_t pa;
	u32 prot;
	bool leaf;

	if (!v->old)
		return 0;
	if (!gpt_covered(w, v))
		return gpt_split(w, v, &st->cache);
	fmt->decode(v->old, v->level, &pa, &prot, &leaf);
	pte = fmt->encode_leaf(pa, st->prot | (prot & ~GPT_PROT_RWX),
			       v->level);
	if (!((pte ^ v->old) & ~fmt->hw_bits))
		return 0;
	/* shown again, or now executable: as for a new leaf */
	if (gpt_present(pte) &&
	    (!gpt_present(v->old) || (st->prot & ~prot & GASPACE_PROT_EXEC)))
		gpt_sync_leaf(pt, pa, size, st->prot | (prot & ~GPT_PROT_RWX));
	if (gpt_present(v->old))
		pt->present_bytes -= size;
	if (gpt_present(pte))
		pt->present_bytes += size;
	WRITE_ONCE(*v->ptep, pte);
	st->changed = true;
	return 0;
}

/**
 * gpt_protect() - give every leaf in a range a new prot
 * @pt: the table
 * @gpa: first byte, 4 KiB aligned
 * @size: bytes, a multiple of 4 KiB; holes are skipped
 * @prot: GASPACE_PROT_*; 0 makes the leaves non-present to the hardware
 *	while they keep their address.  Attributes (device) stay as they are.
 *
 * Blocks across an edge of the range are split first, whatever the prot, as
 * for gpt_unmap().  The invalidate callback runs for the range when a leaf
 * changed.  May sleep.
 *
 * Return: 0; -EINVAL, -ERANGE for bad arguments; -ENOMEM when the pages a
 * split needs cannot be had, with the tables unchanged.
 */
int gpt_protect(struct gpt *pt, u64 gpa, u64 size, u32 prot)
{
	struct gpt_protect_st st = { .prot = prot };
	struct gpt_walker w = {
		.pt		= pt,
		.start		= gpa,
		.end		= gpa + size,
		.kinds		= GPT_VISIT_LEAF,
		.cb		= gpt_protect_visit,
		.arg		= &st,
		.may_sleep	= true,
	};
	int ret = gpt_check_range(pt, gpa, size);

	if (ret)
		return ret;
	if (prot & ~GPT_PROT_RWX ||
	    (prot & GASPACE_PROT_WRITE && !(prot & GASPACE_PROT_READ)))
		return -EINVAL;
	if (!size)
		return 0;
	ret = gpt_reserve_splits(pt, gpa, gpa + size, &st.cache);
	if (ret)
		return ret;
	ret = gpt_walk(&w);
	if (st.changed)
		gpt_invalidate(pt, gpa, size);
	gpt_cache_release(pt, &st.cache);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(gpt_protect, GASPACE_INTERNAL);

/**
 * gpt_query() - the leaf that holds a guest-physical address
 * @pt: the table
 * @gpa: any byte address below 1 << @pt->gpa_bits
 * @leaf: out: the leaf (its base, size, level, prot); a prot 0 leaf is
 *	reported with no GASPACE_PROT_* bit
 *
 * Does not sleep; the caller keeps changes to @pt out meanwhile.
 *
 * Return: 0, -ENOENT when no leaf holds @gpa, -ERANGE beyond the width.
 */
int gpt_query(const struct gpt *pt, u64 gpa, struct gpt_leaf *leaf)
{
	u64 *ptep, pte;
	u32 level;

	if (gpa >= gpt_limit(pt))
		return -ERANGE;
	ptep = gpt_lookup(pt, gpa, &level);
	pte = READ_ONCE(*ptep);
	if (!pte)
		return -ENOENT;
	gpt_fill_leaf(pt, pte, level, gpa, leaf);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(gpt_query, GASPACE_INTERNAL);

/**
 * gpt_hole_level() - how high the table reaches above a guest-physical address
 * @pt: the table
 * @gpa: any byte address below 1 << @pt->gpa_bits
 *
 * The level of the entry that maps @gpa, or of the empty entry where a
 * walk for it stops: a map of the page of @gpa at level L links exactly
 * (returned level - L) table pages, and a result of 1 or more says that
 * nothing in the 2 MiB block of @gpa is mapped.  The caller keeps changes
 * to @pt out meanwhile.
 *
 * Return: the level, 0 .. levels - 1.
 */
u32 gpt_hole_level(const struct gpt *pt, u64 gpa)
{
	u32 level;

	gpt_lookup(pt, gpa, &level);
	return level;
}
EXPORT_SYMBOL_NS_GPL(gpt_hole_level, GASPACE_INTERNAL);

/**
 * gpt_destroy() - free every table page, root included
 * @pt: the table
 * @removed: called for each leaf (prot 0 ones included) before the pages
 *	are freed, so the caller can free the memory it mapped; or NULL
 * @arg: cookie for @removed
 *
 * No invalidation is done: the hardware must no longer use the table.
 * Needs no memory and cannot fail.  May sleep.
 */
void gpt_destroy(struct gpt *pt, gpt_leaf_fn removed, void *arg)
{
	if (!pt->root)
		return;
	gpt_free_tree(pt, pt->root, gpt_top(pt), 0, false, removed, arg);
	pt->root = NULL;
}
EXPORT_SYMBOL_NS_GPL(gpt_destroy, GASPACE_INTERNAL);
