// SPDX-License-Identifier: GPL-2.0
/*
 * The generic nested page-table walker: geometry, table pages, and every
 * operation (map, unmap, protect, query, destroy, counting) as a short
 * visitor on one walk, for every format.
 *
 * Callers serialise changes to a table; the hardware, and gpt_query()
 * under RCU, may walk it at any time, so entries change with single stores
 * (gpt_set(), the one writer), a table is filled before it is linked, and
 * nothing a removed entry pointed to is freed before the invalidate
 * callback for its range ran (unlinked tables, after an RCU grace period
 * too when the owner asks for it).
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
#include "walk.h"

#define GPT_PAGE_SIZE		BIT_ULL(GPT_PAGE_SHIFT)

/* ---- table pages ---- */

/*
 * Table pages from mm_ops, zeroed; one the format cannot address (above
 * its physical width, which a host with more memory than an Arm 48-bit
 * stage-2 can reach has) is given back and counts as a failed allocation.
 */
static void *gpt_zalloc_table(struct gpt *pt, unsigned int order, gfp_t gfp)
{
	void *va = pt->mm_ops->zalloc_pages(pt, order, gfp);

	if (va && (u64)virt_to_phys(va) + (GPT_PAGE_SIZE << order) >
		  1ULL << pt->fmt->geo.pa_bits) {
		pt->mm_ops->free_pages(pt, va, order);
		va = NULL;
	}
	return va;
}

/**
 * gpt_cache_topup() - fill a cache with table pages for one change
 * @pt: the table the pages are for
 * @mc: the cache
 * @nr: how many pages it should hold
 * @gfp: for the allocations
 *
 * May sleep.  On failure @mc keeps the pages it got: the change that uses
 * it then fails cleanly if they are too few.
 *
 * Return: 0; -ENOMEM; -EINTR when a fatal signal is pending.
 */
int gpt_cache_topup(struct gpt *pt, struct gpt_cache *mc, unsigned long nr,
		    gfp_t gfp)
{
	while (mc->nr < nr) {
		void *va;

		if (fatal_signal_pending(current))
			return -EINTR;
		va = gpt_zalloc_table(pt, 0, gfp);
		if (!va)
			return -ENOMEM;
		list_add(&virt_to_page(va)->lru, &mc->pages);
		mc->nr++;
		cond_resched();
	}
	return 0;
}
EXPORT_SYMBOL_NS_GPL(gpt_cache_topup, GASPACE_INTERNAL);

/**
 * gpt_cache_free() - give back the pages a change did not use
 * @pt: the table
 * @mc: the cache; empty afterwards
 */
void gpt_cache_free(struct gpt *pt, struct gpt_cache *mc)
{
	struct page *page, *next;

	list_for_each_entry_safe(page, next, &mc->pages, lru) {
		list_del(&page->lru);
		pt->mm_ops->free_pages(pt, page_address(page), 0);
	}
	mc->nr = 0;
}
EXPORT_SYMBOL_NS_GPL(gpt_cache_free, GASPACE_INTERNAL);

static void *gpt_cache_take(struct gpt_cache *mc)
{
	struct page *page;

	if (!mc || !mc->nr)
		return NULL;
	page = list_first_entry(&mc->pages, struct page, lru);
	list_del(&page->lru);
	mc->nr--;
	return page_address(page);
}

/**
 * gpt_init() - set up an empty table with its root
 * @pt: the table
 * @format: GASPACE_FMT_*
 * @gpa_bits: width, 0 = the format's default
 * @mm_ops: where table pages come from
 * @priv: the owner's cookie, kept in @pt->priv
 * @gfp: for the root
 *
 * The root is 1 << @pt->root_order pages from @mm_ops->zalloc_pages(),
 * naturally aligned.  Every table page must lie below the format's
 * physical width: one above it fails the call with -ENOMEM.
 *
 * Return: 0, -EINVAL for a bad format or width, -ENOMEM.
 */
int gpt_init(struct gpt *pt, u32 format, u32 gpa_bits,
	     const struct gpt_mm_ops *mm_ops, void *priv, gfp_t gfp)
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
	pt->root = gpt_zalloc_table(pt, pt->root_order, gfp);
	if (!pt->root)
		return -ENOMEM;
	pt->root_pa = virt_to_phys(pt->root);
	pt->nr_table_pages = 1UL << pt->root_order;
	return 0;
}
EXPORT_SYMBOL_NS_GPL(gpt_init, GASPACE_INTERNAL);

/* ---- the walker ---- */

/*
 * One iterative pre-order walk over [start, end), from any table, visits
 * every entry whose span meets the range, at the level it is found: LEAF
 * for an entry that is not a table (empty, block, page or prot-0 leaf),
 * TABLE_PRE before the entries of a table and TABLE_POST after them.  A
 * visitor may rewrite the entry (through gpt_set()); the walker reads it
 * again and descends when it is (now) a table, so installing a table (map,
 * split) and removing one (unmap) are plain visitors.  The position is kept
 * between entries: each step moves to the next entry of the same table, or
 * up, never from the top again.  A walk that stops at its first leaf (a
 * lookup) never sleeps, so it may run under rcu_read_lock().
 */
/* Bytes a table at @level maps. */
static inline u64 gpt_table_span(const struct gpt *pt, u32 level)
{
	return gpt_nr_ptes(pt, level) * gpt_level_size(level);
}

static inline bool gpt_aligned(u64 addr, u32 level)
{
	return !(addr & (gpt_level_size(level) - 1));
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

/*
 * Read the entry of @table (at @level) that maps @addr into @v and show it
 * to the visitor as @kind (0: TABLE_PRE or LEAF, by what it holds) if the
 * visitor wants that kind.  @v then holds the entry as the visitor left it.
 */
static int gpt_visit(struct gpt_walker *w, u64 *table, u32 level, u64 addr,
		     u32 kind, struct gpt_visit *v)
{
	int ret;

	v->level = level;
	v->addr = addr & ~(gpt_level_size(level) - 1);
	v->nr = 1;
	v->ptep = gpt_entry(w->pt, table, level, addr);
	v->old = READ_ONCE(*v->ptep);
	if (!kind)
		kind = gpt_is_table(w->pt->fmt, v->old, level) ?
		       GPT_VISIT_TABLE_PRE : GPT_VISIT_LEAF;
	if (!(w->kinds & kind))
		return 0;
	ret = w->cb(w, v, kind);
	v->old = READ_ONCE(*v->ptep);
	return ret;
}

/*
 * Visit the entries of @table (at level @top, mapping from @base) that meet
 * [@start, @end) with @w's visitor.
 */
static int gpt_walk_table(struct gpt_walker *w, struct gpt *pt, u64 *table,
			  u32 top, u64 base, u64 start, u64 end)
{
	u64 *tables[GPT_MAX_LEVELS];
	struct gpt_visit v;
	u32 level = top;
	u64 addr;
	int ret;

	w->pt = pt;
	w->start = start;
	w->end = end;
	end = min(end, base + gpt_table_span(pt, top));
	addr = max(start, base);
	tables[top] = table;
	while (addr < end) {
		bool up = false;

		w->skip = false;
		ret = gpt_visit(w, tables[level], level, addr, 0, &v);
		if (ret)
			return ret;
		if (gpt_is_table(pt->fmt, v.old, level) && !w->skip) {
			level--;
			tables[level] = gpt_table_va(pt, v.old);
			continue;
		}
		addr = v.addr + v.nr * gpt_level_size(level);
		/* Leave each table whose last entry (in range) this was. */
		while (level < top &&
		       (addr >= end || gpt_aligned(addr, level + 1))) {
			level++;
			up = true;
			ret = gpt_visit(w, tables[level], level, addr - 1,
					GPT_VISIT_TABLE_POST, &v);
			if (ret)
				return ret;
		}
		if (up && addr < end)
			cond_resched();
	}
	return 0;
}

/**
 * gpt_walk() - visit the entries of the whole table that meet a range
 * @w: the walk: its visitor, the kinds it wants, its state
 * @pt: the table
 * @start: first byte
 * @end: end of the range (exclusive)
 *
 * Return: 0, or the first non-zero value the visitor returned.
 */
int gpt_walk(struct gpt_walker *w, struct gpt *pt, u64 start, u64 end)
{
	return gpt_walk_table(w, pt, pt->root, gpt_top(pt), 0, start, end);
}

/* ---- counting, freeing: visitors on a subtree ---- */

struct gpt_count {
	u64 tables;
	u64 present[GPT_MAX_LEVELS];
};

static int gpt_count_visit(struct gpt_walker *w, struct gpt_visit *v,
			   u32 kind)
{
	struct gpt_count *c = w->arg;

	if (kind == GPT_VISIT_TABLE_PRE)
		c->tables++;
	else if (gpt_is_present(w->pt->fmt, v->old, v->level))
		c->present[v->level]++;
	return 0;
}

/*
 * The entry @v pointed to the table just unlinked: it and everything under
 * it leave the counts now, and it waits on w->unlinked (its level and gpa in
 * page->private) for gpt_unlinked_free() after the invalidation.
 */
static void gpt_unlinked(struct gpt_walker *w, const struct gpt_visit *v)
{
	struct gpt *pt = w->pt;
	u64 *table = gpt_table_va(pt, v->old);
	struct page *page = virt_to_page(table);
	struct gpt_count c = { .tables = 1 };
	u32 l;
	struct gpt_walker cw = {
		.kinds	= GPT_VISIT_LEAF | GPT_VISIT_TABLE_PRE,
		.cb	= gpt_count_visit,
		.arg	= &c,
	};

	gpt_walk_table(&cw, pt, table, v->level - 1, v->addr, v->addr,
		       v->addr + gpt_level_size(v->level));
	pt->nr_table_pages -= c.tables;
	for (l = 0; l < v->level; l++) {
		pt->present_bytes -= c.present[l] * gpt_level_size(l);
		pt->nr_present[l] -= c.present[l];
	}
	/* a walk that unlinks tables must collect them */
	if (WARN_ON_ONCE(!w->unlinked))
		return;
	set_page_private(page, v->addr | (v->level - 1));
	list_add_tail(&page->lru, w->unlinked);
}

/* A present leaf at @level comes (@add) or goes. */
static void gpt_count_present(struct gpt *pt, u32 level, bool add)
{
	if (add) {
		pt->present_bytes += gpt_level_size(level);
		pt->nr_present[level]++;
	} else {
		pt->present_bytes -= gpt_level_size(level);
		pt->nr_present[level]--;
	}
}

/**
 * gpt_set() - the one entry writer
 * @w: the walk
 * @v: the visited entry; @v->old becomes @new
 * @new: the new value
 *
 * Keeps the counts (present bytes, linked table pages) and the order the
 * hardware and lockless readers need: a table's entries are visible before
 * the entry that links it.  A table the entry pointed to is unlinked
 * (gpt_unlinked()).  An entry that was not empty changes inside a change
 * generation (@pt->gen), the owner's or one of its own.
 */
static void gpt_set(struct gpt_walker *w, struct gpt_visit *v, u64 new)
{
	struct gpt *pt = w->pt;
	const struct gpt_fmt *fmt = pt->fmt;
	bool gen = v->old && v->old != new && !(pt->gen & 1);

	if (gen)
		gpt_gen_begin(pt);
	if (gpt_is_table(fmt, v->old, v->level))
		gpt_unlinked(w, v);
	else if (gpt_is_present(fmt, v->old, v->level))
		gpt_count_present(pt, v->level, false);
	if (gpt_is_table(fmt, new, v->level)) {
		pt->nr_table_pages++;
		/* the table's entries before the entry that links it */
		smp_store_release(v->ptep, new);
	} else {
		if (gpt_is_present(fmt, new, v->level))
			gpt_count_present(pt, v->level, true);
		WRITE_ONCE(*v->ptep, new);
	}
	v->old = new;
	if (gen)
		gpt_gen_end(pt);
}

/* Link a table page from the walk's cache at @v. */
static int gpt_link_table(struct gpt_walker *w, struct gpt_visit *v,
			  u64 *table)
{
	if (!table)
		return -ENOMEM;
	gpt_set(w, v, gpt_encode_table(w->pt->fmt, virt_to_phys(table)));
	return 0;
}

/**
 * struct gpt_free_st - freeing a subtree
 * @removed: report each leaf to this callback, or NULL
 * @arg: its cookie
 * @unlinked: the subtree was unlinked (its pages left the counts then, and
 *	lockless readers may still be in it)
 */
struct gpt_free_st {
	gpt_leaf_fn removed;
	void *arg;
	bool unlinked;
};

static void gpt_free_table(struct gpt *pt, u64 *table, bool unlinked)
{
	if (unlinked && pt->mm_ops->free_unlinked)
		pt->mm_ops->free_unlinked(pt, table);
	else
		pt->mm_ops->free_pages(pt, table, 0);
}

static int gpt_free_visit(struct gpt_walker *w, struct gpt_visit *v, u32 kind)
{
	struct gpt_free_st *st = w->arg;
	struct gpt_leaf leaf;

	if (kind == GPT_VISIT_TABLE_POST) {
		gpt_free_table(w->pt, gpt_table_va(w->pt, v->old),
			       st->unlinked);
	} else if (v->old && st->removed) {
		gpt_fill_leaf(w->pt, v->old, v->level, v->addr, &leaf);
		leaf.prot &= ~GPT_PROT_RWX;
		st->removed(st->arg, &leaf);
	}
	return 0;
}

/*
 * Report the leaves of the subtree of @table (at @level, from @gpa) and free
 * its table pages, @table's own included unless it is the root.
 */
static void gpt_free_tree(struct gpt *pt, u64 *table, u32 level, u64 gpa,
			  struct gpt_free_st *st)
{
	struct gpt_walker w = {
		.kinds	= GPT_VISIT_LEAF | GPT_VISIT_TABLE_POST,
		.cb	= gpt_free_visit,
		.arg	= st,
	};

	gpt_walk_table(&w, pt, table, level, gpa, gpa,
		       gpa + gpt_table_span(pt, level));
	if (table != pt->root)
		gpt_free_table(pt, table, st->unlinked);
}

/* Free what a walk unlinked, once its range was invalidated. */
static void gpt_unlinked_free(struct gpt *pt, struct list_head *unlinked,
			      gpt_leaf_fn removed, void *arg)
{
	struct gpt_free_st st = {
		.removed	= removed,
		.arg		= arg,
		.unlinked	= true,
	};
	struct page *page, *next;

	list_for_each_entry_safe(page, next, unlinked, lru) {
		unsigned long info = page_private(page);

		list_del(&page->lru);
		set_page_private(page, 0);
		gpt_free_tree(pt, page_address(page), info & (GPT_PTES - 1),
			      info & ~(unsigned long)(GPT_PTES - 1), &st);
		cond_resched();
	}
}

/* ---- lookups ---- */

/**
 * gpt_query() - the leaf that holds a guest-physical address
 * @pt: the table
 * @gpa: any byte address below 1 << @pt->gpa_bits
 * @leaf: out: the leaf (its base, size, level, prot); a prot 0 leaf is
 *	reported with no GASPACE_PROT_* bit
 *
 * Does not sleep.  May run beside a change under rcu_read_lock() when
 * unlinked tables are freed after a grace period (mm_ops->free_unlinked):
 * it then sees the entry before or after each single store of the change.
 *
 * Return: 0, -ENOENT when no leaf holds @gpa, -ERANGE beyond the width.
 */
int gpt_query(const struct gpt *pt, u64 gpa, struct gpt_leaf *leaf)
{
	return __gpt_query(pt, gpa, leaf);
}
EXPORT_SYMBOL_NS_GPL(gpt_query, GASPACE_INTERNAL);

/**
 * gpt_leaf_bound() - table pages a map of one leaf links, as the table is
 * @pt: the table
 * @gpa: any byte of the leaf
 * @level: the leaf's level
 *
 * Readers as gpt_query(): the answer holds while the caller keeps changes
 * out, and is to be checked again under its lock otherwise.
 *
 * Return: how many tables lie between the empty entry a walk for @gpa
 * stops at and @level; -EEXIST when a leaf holds @gpa, or tables below
 * @level are in the way (part of the block is mapped).
 */
long gpt_leaf_bound(const struct gpt *pt, u64 gpa, u32 level)
{
	struct gpt_lookup l;

	gpt_lookup(pt, gpa, &l);
	if (l.pte || l.level < level)
		return -EEXIST;
	return l.level - level;
}
EXPORT_SYMBOL_NS_GPL(gpt_leaf_bound, GASPACE_INTERNAL);

/* ---- splitting blocks ---- */

/* Table pages that splitting the leaf holding @e at @e takes. */
static unsigned long gpt_split_need(const struct gpt *pt, u64 e)
{
	struct gpt_lookup l;
	unsigned long need = 0;
	u32 lv;

	if (e >= gpt_limit(pt))
		return 0;
	gpt_lookup(pt, e, &l);
	if (!l.pte)
		return 0;
	for (lv = l.level; lv && (e & (gpt_level_size(lv) - 1)); lv--)
		need++;
	return need;
}

/**
 * gpt_split_bound() - table pages an unmap or protect may take
 * @pt: the table
 *
 * Return: at each edge of the range, one page per level that has blocks.
 */
unsigned long gpt_split_bound(const struct gpt *pt)
{
	return 2 * hweight32(pt->fmt->geo.block_levels);
}
EXPORT_SYMBOL_NS_GPL(gpt_split_bound, GASPACE_INTERNAL);

/* Whether @mc holds what splits at both edges of [start, end) take. */
static int gpt_check_splits(const struct gpt *pt, struct gpt_cache *mc,
			    u64 start, u64 end)
{
	unsigned long need = gpt_split_need(pt, start) +
			     gpt_split_need(pt, end);

	return need && (!mc || mc->nr < need) ? -ENOMEM : 0;
}

/*
 * Replace the block in @v by a table of the next level with the same
 * mapping, prot and attributes: filled first, then linked with one store; on
 * formats that need break-before-make a present block is first made invalid
 * and invalidated.
 */
static int gpt_split(struct gpt_walker *w, struct gpt_visit *v)
{
	struct gpt *pt = w->pt;
	const struct gpt_fmt *fmt = pt->fmt;
	struct gpt_visit c = { .level = v->level - 1, .addr = v->addr };
	u64 size = gpt_level_size(c.level), tmpl, *child;
	phys_addr_t pa = gpt_entry_pa(fmt, v->old);
	u32 i;

	child = gpt_cache_take(w->mc);
	if (WARN_ON_ONCE(!child))
		return -ENOMEM;	/* the caller checked the cache */
	tmpl = gpt_leaf_tmpl(fmt, gpt_leaf_prot(fmt, v->old), c.level);
	for (i = 0; i < GPT_PTES; i++, c.addr += size) {
		c.ptep = child + i;
		c.old = 0;
		gpt_set(w, &c, tmpl | gpt_addr_bits(fmt, pa + i * size));
	}
	if (fmt->bbm && gpt_is_present(fmt, v->old, v->level)) {
		gpt_set(w, v, 0);
		gpt_invalidate(pt, v->addr, gpt_level_size(v->level));
	}
	return gpt_link_table(w, v, child);
}

static bool gpt_covered(const struct gpt_walker *w, const struct gpt_visit *v)
{
	return v->addr >= w->start &&
	       v->addr + gpt_level_size(v->level) <= w->end;
}

/* ---- unmap ---- */

/**
 * struct gpt_unmap_st - state of one unmap
 * @unlinked: tables unlinked by the first pass, freed after invalidation
 * @removed: report removed leaves to this callback, or NULL
 * @arg: its cookie
 * @marked: present leaves were made non-present and left for the second pass
 */
struct gpt_unmap_st {
	struct list_head unlinked;
	gpt_leaf_fn removed;
	void *arg;
	bool marked;
};

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
	const struct gpt_fmt *fmt = w->pt->fmt;
	phys_addr_t pa;
	u32 attrs;

	switch (kind) {
	case GPT_VISIT_TABLE_PRE:
		if (!gpt_covered(w, v))
			return 0;
		break;
	case GPT_VISIT_TABLE_POST:
		if (!gpt_table_unused(gpt_table_va(w->pt, v->old),
				      v->level - 1, v->addr, w->start, w->end))
			return 0;
		break;
	default:
		if (!v->old)
			return 0;
		if (!gpt_covered(w, v))
			return gpt_split(w, v);
		if (st->removed) {
			/* kept non-present, reported after invalidation */
			attrs = gpt_leaf_prot(fmt, v->old) & ~GPT_PROT_RWX;
			pa = gpt_entry_pa(fmt, v->old);
			gpt_set(w, v, gpt_encode_leaf(fmt, pa, attrs, v->level));
			st->marked = true;
			w->changed = true;
			return 0;
		}
	}
	gpt_set(w, v, 0);
	w->changed = true;
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
	gpt_set(w, v, 0);
	st->removed(st->arg, &leaf);
	return 0;
}

/* Unmap [start, end), with the split pages (if any) in @mc. */
static int gpt_unmap_range(struct gpt *pt, struct gpt_cache *mc, u64 start,
			   u64 end, gpt_leaf_fn removed, void *arg)
{
	struct gpt_unmap_st st = { .removed = removed, .arg = arg };
	struct gpt_walker w = {
		.kinds		= GPT_VISIT_LEAF | GPT_VISIT_TABLE_PRE |
				  GPT_VISIT_TABLE_POST,
		.cb		= gpt_unmap_visit,
		.arg		= &st,
		.mc		= mc,
		.unlinked	= &st.unlinked,
	};
	int ret;

	INIT_LIST_HEAD(&st.unlinked);
	ret = gpt_walk(&w, pt, start, end);
	if (w.changed)
		gpt_invalidate(pt, start, end - start);
	if (st.marked) {
		w.kinds = GPT_VISIT_LEAF;
		w.cb = gpt_unmap_report;
		gpt_walk(&w, pt, start, end);
	}
	gpt_unlinked_free(pt, &st.unlinked, removed, arg);
	return ret;
}

/* ---- map ---- */

/* The largest leaf level a map may use: the format's, or 0 for NOHUGE. */
static u32 gpt_max_level(const struct gpt *pt, u32 flags)
{
	u32 l = flags & GPT_MAP_NOHUGE ? 0 : gpt_top(pt);

	while (l && !(pt->fmt->geo.block_levels & GPT_LEVEL_MASK(l)))
		l--;
	return l;
}

/*
 * Whether an entry at @level over [@cur, @cur + size) of a map of
 * [.., @end) whose host addresses are @hpa_off away (a linear map; 0 for a
 * page source, whose pages come aligned) may be a leaf: the one rule that
 * the map and its bound share.
 */
static bool gpt_block_ok(const struct gpt *pt, u32 level, u32 max_level,
			 u64 cur, u64 end, u64 hpa_off)
{
	u64 mask = gpt_level_size(level) - 1;

	return level <= max_level &&
	       (!level || (pt->fmt->geo.block_levels & GPT_LEVEL_MASK(level))) &&
	       !(cur & mask) && end - cur > mask && !(hpa_off & mask);
}

/**
 * gpt_map_bound() - table pages a map may link
 * @pt: the table
 * @gpa: first address
 * @size: bytes
 * @hpa: host address of @gpa for a linear map; @gpa for a page source
 * @flags: the map's GPT_MAP_* flags (a page source: GPT_MAP_NOHUGE for the
 *	bound whatever sizes its pages have)
 *
 * Every entry over the range at a level above 0 needs a table below it,
 * except those that can be leaves themselves.
 *
 * Return: an upper bound on the pages gpt_map() or gpt_map_src() link; 0
 * for a range they refuse.
 */
unsigned long gpt_map_bound(const struct gpt *pt, u64 gpa, u64 size,
			    phys_addr_t hpa, u32 flags)
{
	u32 max_level = gpt_max_level(pt, flags), l;
	u64 end = gpa + size, n = 0;

	if (!size || end < gpa || end > gpt_limit(pt))
		return 0;
	for (l = gpt_top(pt); l >= 1; l--) {
		u32 shift = gpt_level_shift(l);
		u64 sz = BIT_ULL(shift);
		u64 first = round_up(gpa, sz), last = round_down(end, sz);

		n += ((end - 1) >> shift) - (gpa >> shift) + 1;
		if (last > first &&
		    gpt_block_ok(pt, l, max_level, first, last, hpa - gpa))
			n -= (last - first) >> shift;
	}
	return n;
}
EXPORT_SYMBOL_NS_GPL(gpt_map_bound, GASPACE_INTERNAL);

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
	u64 off = st->src ? 0 : st->hpa - w->start;

	while (level && !gpt_block_ok(w->pt, level, st->max_level, cur,
				      w->end, off))
		level--;
	return level;
}

static bool gpt_pa_ok(const struct gpt *pt, phys_addr_t pa, u32 level)
{
	u64 size = gpt_level_size(level);

	return !(pa & (size - 1)) &&
	       (u64)pa + size <= 1ULL << pt->fmt->geo.pa_bits;
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

/* The level the leaf for @cur takes, asking the source when it is ours. */
static int gpt_map_want(struct gpt_walker *w, struct gpt_map_st *st, u64 cur,
			u32 level, u32 *want)
{
	int ret;

	if (st->pending) {
		*want = st->pend_level;
		return 0;
	}
	*want = gpt_map_level(w, st, cur, level);
	if (*want != level || !st->src)
		return 0;
	ret = gpt_map_get(st, w->pt, cur, *want, &st->pend_pa, want);
	if (ret)
		return ret;
	st->pending = true;
	st->pend_level = *want;
	return 0;
}

/* Write leaves from @v on: this entry and the empty ones after it that fit. */
static int gpt_map_leaves(struct gpt_walker *w, struct gpt_visit *v,
			  struct gpt_map_st *st, u64 cur)
{
	struct gpt *pt = w->pt;
	u32 level = v->level, nr, i, got;
	u64 size = gpt_level_size(level);
	struct gpt_visit e = *v;
	phys_addr_t pa;
	int ret;

	if (st->pending) {
		pa = st->pend_pa;
		st->pending = false;
	} else {
		pa = st->hpa + (cur - w->start);
	}
	nr = min_t(u64, gpt_nr_ptes(pt, level) - gpt_index(pt, cur, level),
		   (w->end - cur) >> gpt_level_shift(level));
	if (st->src && level)
		nr = 1;
	for (i = 0;;) {
		if (gpt_is_present(pt->fmt, st->tmpl[level], level))
			gpt_sync_leaf(pt, pa, size, st->prot);
		gpt_set(w, &e, st->tmpl[level] | gpt_addr_bits(pt->fmt, pa));
		v->nr = ++i;
		st->pos = cur + i * size;
		if (i == nr)
			return 0;
		e.ptep++;
		e.old = READ_ONCE(*e.ptep);
		if (e.old)
			return 0;
		if (!st->src) {
			pa += size;
			continue;
		}
		ret = gpt_map_get(st, pt, st->pos, 0, &pa, &got);
		if (ret)
			return ret;
	}
}

static int gpt_map_visit(struct gpt_walker *w, struct gpt_visit *v, u32 kind)
{
	struct gpt_map_st *st = w->arg;
	u64 cur = max(v->addr, w->start);
	u32 want;
	int ret;

	st->pos = cur;
	if (v->old)
		return -EEXIST;
	if (st->killable && cur != w->start && !(cur & (SZ_2M - 1)) &&
	    fatal_signal_pending(current))
		return -EINTR;
	ret = gpt_map_want(w, st, cur, v->level, &want);
	if (ret)
		return ret;
	if (want < v->level)
		return gpt_link_table(w, v, gpt_cache_take(w->mc));
	return gpt_map_leaves(w, v, st, cur);
}

static void gpt_map_put(void *arg, const struct gpt_leaf *leaf)
{
	struct gpt_map_st *st = arg;

	st->src->put(st->arg, leaf->gpa, leaf->pa, leaf->level);
}

static int gpt_check_range(const struct gpt *pt, u64 gpa, u64 size)
{
	if ((gpa | size) & (GPT_PAGE_SIZE - 1) || gpa + size < gpa)
		return -EINVAL;
	if (gpa + size > gpt_limit(pt))
		return -ERANGE;
	return 0;
}

static int gpt_check_prot(u32 prot, u32 attrs)
{
	if (prot & ~(GPT_PROT_RWX | attrs) ||
	    (prot & GASPACE_PROT_WRITE && !(prot & GASPACE_PROT_READ)))
		return -EINVAL;
	return 0;
}

/*
 * A map of one 4 KiB page whose tables all exist, most faults: the
 * lookup's descent finds its entry, which gpt_map_leaves() writes as the
 * walk's visitor would.  Return: 0 or the source's error, as the walk; 1
 * when the walk must do it (tables to link, or an entry in the way).
 */
static int gpt_map_page(struct gpt_walker *w, struct gpt *pt, u64 gpa,
			struct gpt_map_st *st)
{
	struct gpt_lookup l;
	struct gpt_visit v;
	u32 want;
	int ret;

	gpt_lookup(pt, gpa, &l);
	if (l.level || l.pte)
		return 1;
	w->pt = pt;
	w->start = gpa;
	w->end = gpa + GPT_PAGE_SIZE;
	st->pos = gpa;
	ret = gpt_map_want(w, st, gpa, 0, &want);
	if (ret)
		return ret;
	v = (struct gpt_visit){ .ptep = l.ptep, .addr = gpa, .nr = 1 };
	return gpt_map_leaves(w, &v, st, gpa);
}

static int gpt_do_map(struct gpt *pt, struct gpt_cache *mc, u64 gpa,
		      u64 size, u32 prot, u32 flags, struct gpt_map_st *st)
{
	struct gpt_walker w = {
		.kinds	= GPT_VISIT_LEAF,
		.cb	= gpt_map_visit,
		.arg	= st,
		.mc	= mc,
	};
	u32 l;
	u64 end;
	int ret;

	if (gpt_check_prot(prot, GPT_ATTR_DEVICE) ||
	    flags & ~(GPT_MAP_NOHUGE | GPT_MAP_KILLABLE))
		return -EINVAL;
	if (!size)
		return 0;
	st->killable = flags & GPT_MAP_KILLABLE;
	st->prot = prot;
	st->max_level = gpt_max_level(pt, flags);
	st->tmpl[0] = gpt_leaf_tmpl(pt->fmt, prot, 0);
	ret = size == GPT_PAGE_SIZE ? gpt_map_page(&w, pt, gpa, st) : 1;
	if (ret > 0) {
		for (l = 1; l <= st->max_level; l++)
			st->tmpl[l] = gpt_leaf_tmpl(pt->fmt, prot, l);
		ret = gpt_walk(&w, pt, gpa, gpa + size);
	}
	if (!ret)
		return 0;

	/*
	 * Undo: take out what this map put in.  Up to st->pos everything in
	 * the range is ours; at st->pos there is nothing (an empty entry was
	 * being visited), or (-EEXIST) a leaf that was there before, which
	 * stays.  A table linked for st->pos but left empty goes with the
	 * page after it.  No block crosses either end: nothing to split.
	 */
	if (st->pending && st->src->put)
		st->src->put(st->arg, st->pos, st->pend_pa, st->pend_level);
	end = ret == -EEXIST ? st->pos : st->pos + GPT_PAGE_SIZE;
	if (end > gpa)
		gpt_unmap_range(pt, NULL, gpa, end,
				st->src && st->src->put ? gpt_map_put : NULL,
				st);
	return ret;
}

/**
 * gpt_map() - map a guest-physical range to a host-physical range
 * @pt: the table
 * @mc: table pages the map may link (gpt_map_bound() of the range)
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
 * no leaf.  Does not allocate; may sleep; the caller serialises changes.
 *
 * Return: 0; -EINVAL for bad arguments, -ERANGE outside the table's width,
 * -EEXIST when a leaf is in the way, -ENOMEM when @mc ran out, -EINTR.  On
 * error the tables are as they were (what was mapped is taken out again
 * and invalidated).
 */
int gpt_map(struct gpt *pt, struct gpt_cache *mc, u64 gpa, u64 size,
	    phys_addr_t hpa, u32 prot, u32 flags)
{
	struct gpt_map_st st = { .hpa = hpa };
	int ret = gpt_check_range(pt, gpa, size);

	if (ret)
		return ret;
	if (hpa & (GPT_PAGE_SIZE - 1) || (u64)hpa + size < hpa ||
	    (u64)hpa + size > 1ULL << pt->fmt->geo.pa_bits)
		return -EINVAL;
	return gpt_do_map(pt, mc, gpa, size, prot, flags, &st);
}
EXPORT_SYMBOL_NS_GPL(gpt_map, GASPACE_INTERNAL);

/**
 * gpt_map_src() - map a guest-physical range to pages a callback gives
 * @pt: the table
 * @mc: table pages the map may link (gpt_map_bound(), NOHUGE)
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
int gpt_map_src(struct gpt *pt, struct gpt_cache *mc, u64 gpa, u64 size,
		u32 prot, u32 flags, const struct gpt_pa_src *src, void *arg)
{
	struct gpt_map_st st = { .src = src, .arg = arg };
	int ret = gpt_check_range(pt, gpa, size);

	if (ret)
		return ret;
	return gpt_do_map(pt, mc, gpa, size, prot, flags, &st);
}
EXPORT_SYMBOL_NS_GPL(gpt_map_src, GASPACE_INTERNAL);

/**
 * gpt_unmap() - remove every leaf in a guest-physical range
 * @pt: the table
 * @mc: table pages for the splits at the edges (gpt_split_bound())
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
 * Return: 0; -EINVAL, -ERANGE for a bad range; -ENOMEM when @mc holds
 * fewer pages than the splits take, with the tables unchanged.
 */
int gpt_unmap(struct gpt *pt, struct gpt_cache *mc, u64 gpa, u64 size,
	      gpt_leaf_fn removed, void *arg)
{
	int ret = gpt_check_range(pt, gpa, size);

	if (ret || !size)
		return ret;
	ret = gpt_check_splits(pt, mc, gpa, gpa + size);
	if (ret)
		return ret;
	return gpt_unmap_range(pt, mc, gpa, gpa + size, removed, arg);
}
EXPORT_SYMBOL_NS_GPL(gpt_unmap, GASPACE_INTERNAL);

/* ---- protect ---- */

/* The visitor of gpt_protect(): w->arg is the new prot. */
static int gpt_protect_visit(struct gpt_walker *w, struct gpt_visit *v,
			     u32 kind)
{
	u32 new_prot = *(u32 *)w->arg;
	struct gpt *pt = w->pt;
	const struct gpt_fmt *fmt = pt->fmt;
	phys_addr_t pa = gpt_entry_pa(fmt, v->old);
	u32 prot, old_prot;
	u64 pte;

	if (!v->old)
		return 0;
	if (!gpt_covered(w, v))
		return gpt_split(w, v);
	old_prot = gpt_leaf_prot(fmt, v->old);
	prot = new_prot | (old_prot & ~GPT_PROT_RWX);
	pte = gpt_encode_leaf(fmt, pa, prot, v->level);
	if (!((pte ^ v->old) & ~fmt->hw_bits))
		return 0;
	/* shown again, or now executable: as for a new leaf */
	if (gpt_is_present(fmt, pte, v->level) &&
	    (!gpt_is_present(fmt, v->old, v->level) ||
	     (prot & ~old_prot & GASPACE_PROT_EXEC)))
		gpt_sync_leaf(pt, pa, gpt_level_size(v->level), prot);
	gpt_set(w, v, pte);
	w->changed = true;
	return 0;
}

/**
 * gpt_protect() - give every leaf in a range a new prot
 * @pt: the table
 * @mc: table pages for the splits at the edges (gpt_split_bound())
 * @gpa: first byte, 4 KiB aligned
 * @size: bytes, a multiple of 4 KiB; holes are skipped
 * @prot: GASPACE_PROT_*; 0 makes the leaves non-present to the hardware
 *	while they keep their address.  Attributes (device) stay as they are.
 *
 * Blocks across an edge of the range are split first, whatever the prot, as
 * for gpt_unmap().  The invalidate callback runs for the range when a leaf
 * changed.  May sleep.
 *
 * Return: 0; -EINVAL, -ERANGE for bad arguments; -ENOMEM when @mc holds
 * fewer pages than the splits take, with the tables unchanged.
 */
int gpt_protect(struct gpt *pt, struct gpt_cache *mc, u64 gpa, u64 size,
		u32 prot)
{
	struct gpt_walker w = {
		.kinds	= GPT_VISIT_LEAF,
		.cb	= gpt_protect_visit,
		.arg	= &prot,
		.mc	= mc,
	};
	int ret = gpt_check_range(pt, gpa, size) ?: gpt_check_prot(prot, 0);

	if (ret || !size)
		return ret;
	ret = gpt_check_splits(pt, mc, gpa, gpa + size);
	if (ret)
		return ret;
	ret = gpt_walk(&w, pt, gpa, gpa + size);
	if (w.changed)
		gpt_invalidate(pt, gpa, size);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(gpt_protect, GASPACE_INTERNAL);

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
	struct gpt_free_st st = { .removed = removed, .arg = arg };

	if (!pt->root)
		return;
	gpt_free_tree(pt, pt->root, gpt_top(pt), 0, &st);
	pt->mm_ops->free_pages(pt, pt->root, pt->root_order);
	pt->root = NULL;
	pt->nr_table_pages = 0;
	pt->present_bytes = 0;
	memset(pt->nr_present, 0, sizeof(pt->nr_present));
}
EXPORT_SYMBOL_NS_GPL(gpt_destroy, GASPACE_INTERNAL);

/* ---- dirty logging: write-protect, relax, collapse ---- */

/* Table pages that splitting a block at @level down to 4 KiB links. */
static unsigned long gpt_split_all_need(u32 level)
{
	unsigned long need = 0, per = 1;

	while (level--) {
		need += per;
		per *= GPT_PTES;
	}
	return need;
}

static int gpt_wrprotect_count(struct gpt_walker *w, struct gpt_visit *v,
			       u32 kind)
{
	unsigned long *need = w->arg;

	if (v->old && v->level)
		*need += gpt_split_all_need(v->level);
	return 0;
}

/**
 * gpt_wrprotect_bound() - table pages gpt_wrprotect() with @split may link
 * @pt: the table
 * @gpa: first byte, 4 KiB aligned
 * @size: bytes, a multiple of 4 KiB
 *
 * Walks the range as it is: the answer holds while the caller keeps
 * changes out.
 *
 * Return: the pages that split every block the range meets down to 4 KiB.
 */
unsigned long gpt_wrprotect_bound(const struct gpt *pt, u64 gpa, u64 size)
{
	unsigned long need = 0;
	struct gpt_walker w = {
		.kinds	= GPT_VISIT_LEAF,
		.cb	= gpt_wrprotect_count,
		.arg	= &need,
	};

	if (gpt_check_range(pt, gpa, size) || !size)
		return 0;
	gpt_walk(&w, (struct gpt *)pt, gpa, gpa + size);
	return need;
}
EXPORT_SYMBOL_NS_GPL(gpt_wrprotect_bound, GASPACE_INTERNAL);

/**
 * struct gpt_wrprotect_st - state of one write-protect
 * @split: split every block down to 4 KiB
 * @nr: leaves that lost W
 */
struct gpt_wrprotect_st {
	bool split;
	unsigned long nr;
};

static int gpt_wrprotect_visit(struct gpt_walker *w, struct gpt_visit *v,
			       u32 kind)
{
	struct gpt_wrprotect_st *st = w->arg;
	const struct gpt_fmt *fmt = w->pt->fmt;
	u32 prot;

	if (!v->old)
		return 0;
	if (v->level && (st->split || !gpt_covered(w, v)))
		return gpt_split(w, v);
	prot = gpt_leaf_prot(fmt, v->old);
	if (!(prot & GASPACE_PROT_WRITE))
		return 0;
	gpt_set(w, v, gpt_encode_leaf(fmt, gpt_entry_pa(fmt, v->old),
				      prot & ~GASPACE_PROT_WRITE, v->level));
	st->nr++;
	return 0;
}

/**
 * gpt_wrprotect() - take W from every leaf in a range
 * @pt: the table
 * @mc: table pages for splits: gpt_wrprotect_bound() with @split, else
 *	gpt_split_bound() (NULL when no block crosses an edge)
 * @gpa: first byte, 4 KiB aligned
 * @size: bytes, a multiple of 4 KiB; holes are skipped
 * @split: split every block the range meets down to 4 KiB leaves, frames
 *	in place (the leaves a dirty log needs); else only the blocks across
 *	an edge
 *
 * Other prot bits and the memory type stay.  Unlike gpt_protect(), the
 * leaves that lost W are not invalidated here (a split on a
 * break-before-make format is): the caller invalidates the range before it
 * relies on the write protection, once for many calls if it likes, as KVM
 * does after kvm_pgtable_stage2_wrprotect().
 *
 * Return: how many leaves lost W; -EINVAL, -ERANGE for a bad range;
 * -ENOMEM when @mc ran out (the leaves handled so far stay protected, the
 * rest as they were).
 */
long gpt_wrprotect(struct gpt *pt, struct gpt_cache *mc, u64 gpa, u64 size,
		   bool split)
{
	struct gpt_wrprotect_st st = { .split = split };
	struct gpt_walker w = {
		.kinds	= GPT_VISIT_LEAF,
		.cb	= gpt_wrprotect_visit,
		.arg	= &st,
		.mc	= mc,
	};
	int ret = gpt_check_range(pt, gpa, size);

	if (ret || !size)
		return ret;
	ret = gpt_walk(&w, pt, gpa, gpa + size);
	return ret ?: st.nr;
}
EXPORT_SYMBOL_NS_GPL(gpt_wrprotect, GASPACE_INTERNAL);

/**
 * gpt_relax() - give the leaf that holds an address more permissions
 * @pt: the table
 * @gpa: any byte of the leaf
 * @prot: GASPACE_PROT_* bits to add
 *
 * One store; nothing is invalidated, since nothing was taken away (a
 * hypervisor whose TLB may keep the old permissions after a fault flushes
 * that address itself, as KVM does after kvm_pgtable_stage2_relax_perms()).
 * Does not sleep.
 *
 * Return: 0; -ENOENT when no present leaf holds @gpa; -EINVAL for bad
 * bits (W without R).
 */
int gpt_relax(struct gpt *pt, u64 gpa, u32 prot)
{
	const struct gpt_fmt *fmt = pt->fmt;
	struct gpt_walker w = { .pt = pt };
	struct gpt_visit v;
	struct gpt_lookup l;
	u32 old;

	if (gpa >= gpt_limit(pt))
		return -ENOENT;
	gpt_lookup(pt, gpa, &l);
	if (!gpt_is_present(fmt, l.pte, l.level))
		return -ENOENT;
	old = gpt_leaf_prot(fmt, l.pte);
	if (gpt_check_prot(prot | old, GPT_ATTR_DEVICE))
		return -EINVAL;
	if (!(prot & ~old))
		return 0;
	if (prot & ~old & GASPACE_PROT_EXEC)
		gpt_sync_leaf(pt, gpt_entry_pa(fmt, l.pte),
			      gpt_level_size(l.level), prot | old);
	v.ptep = l.ptep;
	v.old = l.pte;
	v.level = l.level;
	v.addr = gpa & ~(gpt_level_size(l.level) - 1);
	gpt_set(&w, &v, gpt_encode_leaf(fmt, gpt_entry_pa(fmt, l.pte),
					prot | old, l.level));
	return 0;
}
EXPORT_SYMBOL_NS_GPL(gpt_relax, GASPACE_INTERNAL);

/*
 * The block that the table under @v (whose entries were visited already)
 * can become: all its entries leaves of one prot, their addresses one
 * contiguous run aligned to the block.  Return: the block entry, or 0.
 */
static u64 gpt_collapsed(const struct gpt *pt, const struct gpt_visit *v)
{
	const struct gpt_fmt *fmt = pt->fmt;
	u64 *table = gpt_table_va(pt, v->old), pte, size;
	u32 child = v->level - 1, prot, i;
	phys_addr_t pa;

	pte = READ_ONCE(table[0]);
	if (!gpt_is_leaf(fmt, pte, child))
		return 0;
	pa = gpt_entry_pa(fmt, pte);
	prot = gpt_leaf_prot(fmt, pte);
	if (!gpt_pa_ok(pt, pa, v->level))
		return 0;
	size = gpt_level_size(child);
	for (i = 1; i < GPT_PTES; i++) {
		pte = READ_ONCE(table[i]);
		if (!gpt_is_leaf(fmt, pte, child) ||
		    gpt_leaf_prot(fmt, pte) != prot ||
		    gpt_entry_pa(fmt, pte) != pa + i * size)
			return 0;
	}
	return gpt_encode_leaf(fmt, pa, prot, v->level);
}

static int gpt_collapse_visit(struct gpt_walker *w, struct gpt_visit *v,
			      u32 kind)
{
	u32 max_level = *(u32 *)w->arg;
	struct gpt *pt = w->pt;
	u64 block;

	if (v->level > max_level ||
	    !(pt->fmt->geo.block_levels & GPT_LEVEL_MASK(v->level)) ||
	    !gpt_covered(w, v))
		return 0;
	block = gpt_collapsed(pt, v);
	if (!block)
		return 0;
	/* break-before-make: the table goes, is invalidated, then the block */
	if (pt->fmt->bbm) {
		gpt_set(w, v, 0);
		gpt_invalidate(pt, v->addr, gpt_level_size(v->level));
	}
	gpt_set(w, v, block);
	w->changed = true;
	return 0;
}

/**
 * gpt_collapse() - turn tables back into the blocks they spell out
 * @pt: the table
 * @gpa: first byte, 4 KiB aligned
 * @size: bytes, a multiple of 4 KiB
 * @max_level: the largest block level wanted (0 collapses nothing)
 *
 * Bottom-up, each table wholly inside the range at a level that may hold
 * blocks, whose entries are leaves of one prot mapping one contiguous
 * aligned run, is replaced by that block with one store (on
 * break-before-make formats: the entry is cleared and invalidated first).
 * The range is invalidated and the tables freed afterwards.  Needs no
 * memory.  May sleep.
 *
 * Return: 0; -EINVAL, -ERANGE for a bad range.
 */
int gpt_collapse(struct gpt *pt, u64 gpa, u64 size, u32 max_level)
{
	LIST_HEAD(unlinked);
	struct gpt_walker w = {
		.kinds		= GPT_VISIT_TABLE_POST,
		.cb		= gpt_collapse_visit,
		.arg		= &max_level,
		.unlinked	= &unlinked,
	};
	int ret = gpt_check_range(pt, gpa, size);

	if (ret || !size || !max_level)
		return ret;
	gpt_walk(&w, pt, gpa, gpa + size);
	if (w.changed)
		gpt_invalidate(pt, gpa, size);
	gpt_unlinked_free(pt, &unlinked, NULL, NULL);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(gpt_collapse, GASPACE_INTERNAL);

/* The visitor of gpt_split_at(): split what crosses the edge (w->arg). */
static int gpt_split_at_visit(struct gpt_walker *w, struct gpt_visit *v,
			      u32 kind)
{
	u64 edge = *(u64 *)w->arg;

	if (!v->old || !v->level || v->addr >= edge ||
	    v->addr + gpt_level_size(v->level) <= edge)
		return 0;
	return gpt_split(w, v);
}

/**
 * gpt_split_at() - make an address the edge of every leaf it meets
 * @pt: the table
 * @mc: table pages for the splits (gpt_split_bound() covers two edges)
 * @gpa: the address, 4 KiB aligned
 *
 * A block across @gpa is split, and again only where @gpa falls, as at the
 * edges of an unmap or protect; the mapping does not change.
 *
 * Return: 0; -EINVAL, -ERANGE for a bad address; -ENOMEM when @mc holds
 * fewer pages than the splits take, with the tables unchanged.
 */
int gpt_split_at(struct gpt *pt, struct gpt_cache *mc, u64 gpa)
{
	struct gpt_walker w = {
		.kinds	= GPT_VISIT_LEAF,
		.cb	= gpt_split_at_visit,
		.arg	= &gpa,
		.mc	= mc,
	};
	int ret = gpt_check_range(pt, gpa, 0);

	if (ret || !gpa || gpa >= gpt_limit(pt))
		return ret;
	if (mc ? mc->nr < gpt_split_need(pt, gpa) : gpt_split_need(pt, gpa))
		return -ENOMEM;
	return gpt_walk(&w, pt, gpa - GPT_PAGE_SIZE, gpa + GPT_PAGE_SIZE);
}
EXPORT_SYMBOL_NS_GPL(gpt_split_at, GASPACE_INTERNAL);

/* ---- seeking leaves and holes ---- */

/**
 * struct gpt_seek_st - one gpt_seek()
 * @hole: look for a byte no leaf maps, else for one a leaf maps
 * @at: out: the first such byte
 */
struct gpt_seek_st {
	bool hole;
	u64 at;
};

/*
 * The entries of one table at @level from @ptep on (the first is @pte, not
 * a table; it maps from @addr, aligned to its level) up to @end or the end
 * of the table, in one loop: how many come before the first of the kind
 * sought (empty, or a leaf), or before a table, which the caller descends
 * into.  *@found: the entry stopped at is of the kind sought.
 */
static u32 gpt_seek_scan(const struct gpt *pt, const u64 *ptep, u64 pte,
			 u32 level, u64 addr, u64 end, bool hole, bool *found)
{
	u32 shift = gpt_level_shift(level), i, left;

	left = min_t(u64, gpt_nr_ptes(pt, level) - gpt_index(pt, addr, level),
		     (end - addr + BIT_ULL(shift) - 1) >> shift);
	*found = false;
	for (i = 0; i < left; i++) {
		if (i) {
			pte = READ_ONCE(ptep[i]);
			if (gpt_is_table(pt->fmt, pte, level))
				break;
		}
		if (!pte == hole) {
			*found = true;
			break;
		}
	}
	return i;
}

/*
 * Stop at the first entry of the kind sought; the run of entries of the
 * other kind that follows this one in its table is passed over in one
 * visit (v->nr), up to a table, which the walk then descends into.
 */
static int gpt_seek_visit(struct gpt_walker *w, struct gpt_visit *v, u32 kind)
{
	struct gpt_seek_st *st = w->arg;
	bool found;
	u32 n;

	n = gpt_seek_scan(w->pt, v->ptep, v->old, v->level, v->addr, w->end,
			  st->hole, &found);
	if (found) {
		st->at = max(v->addr + ((u64)n << gpt_level_shift(v->level)),
			     w->start);
		return 1;
	}
	v->nr = n;
	return 0;
}

/**
 * gpt_seek() - the first byte of a range that a leaf maps, or that none does
 * @pt: the table
 * @gpa: first byte, any address
 * @end: end of the range, at most 1 << @pt->gpa_bits
 * @flags: GPT_SEEK_HOLE: look for a byte that no leaf maps; else for one
 *	that a leaf (of any prot, prot 0 included) maps.  GPT_SEEK_NEAR: look
 *	in the table of @gpa's entry only
 * @at: out: that byte (@gpa itself when it is one)
 *
 * The table that holds @gpa's entry is scanned first, after one lookup
 * (the next page is what a listing of runs mostly asks for), which never
 * sleeps: with GPT_SEEK_NEAR that is all, and it may run under
 * rcu_read_lock() as gpt_query() does.  Otherwise one walk goes on, where
 * an empty entry above level 0 is passed over whole, and the entries of one
 * table one tight loop each; it may sleep between tables, so the caller
 * keeps changes out with its lock.
 *
 * Return: 0; -ENOENT when no byte of the range is such a byte (or the
 * range is empty); -EAGAIN with GPT_SEEK_NEAR when the table does not
 * tell; -ERANGE when @end is beyond the width.
 */
int gpt_seek(struct gpt *pt, u64 gpa, u64 end, u32 flags, u64 *at)
{
	bool hole = flags & GPT_SEEK_HOLE;
	struct gpt_seek_st st = { .hole = hole };
	struct gpt_walker w = {
		.kinds	= GPT_VISIT_LEAF,
		.cb	= gpt_seek_visit,
		.arg	= &st,
	};
	struct gpt_lookup l;
	u64 base, next;
	bool found;
	u32 n;

	if (end > gpt_limit(pt))
		return -ERANGE;
	if (gpa >= end)
		return -ENOENT;
	gpt_lookup(pt, gpa, &l);
	base = gpa & ~(gpt_level_size(l.level) - 1);
	n = gpt_seek_scan(pt, l.ptep, l.pte, l.level, base, end, hole, &found);
	next = base + ((u64)n << gpt_level_shift(l.level));
	if (found) {
		*at = max(next, gpa);
		return 0;
	}
	if (next >= end)
		return -ENOENT;
	if (flags & GPT_SEEK_NEAR)
		return -EAGAIN;
	if (!gpt_walk(&w, pt, next, end))
		return -ENOENT;
	*at = st.at;
	return 0;
}
EXPORT_SYMBOL_NS_GPL(gpt_seek, GASPACE_INTERNAL);
