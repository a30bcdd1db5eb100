// SPDX-License-Identifier: GPL-2.0
/*
 * The audit: one walk over a whole table that checks every entry against
 * its format's rules and against what the owner expects at its address.
 *
 * The walker knows nothing of areas: the owner describes, through struct
 * gpt_audit_ops, what the leaves over each range should be (none, some,
 * all; their prot, host addresses and sizes).  The format's own rules come
 * from its data: a leaf must be exactly what gpt_encode_leaf() writes for
 * its address, prot and level (memory type, user bit, reserved bits and
 * all), a table entry exactly what gpt_encode_table() writes, except for
 * the accessed and dirty bits the hardware may set.  Every table page must
 * be referenced once, and the table's counters must match what was found.
 */
#include <linux/errno.h>
#include <linux/export.h>
#include <linux/mm.h>
#include <linux/xarray.h>

#include "pgtable.h"
#include "walk.h"

/**
 * struct gpt_audit_st - one audit walk
 * @ops: the owner's view
 * @arg: its cookie
 * @out: the result
 * @e: the owner's view of the last range asked for
 * @have: @e is valid
 * @tables: table pages seen, by pfn
 * @nr_tables: how many
 * @present: present leaves found at each level
 * @present_bytes: bytes they map
 */
struct gpt_audit_st {
	const struct gpt_audit_ops *ops;
	void *arg;
	struct gpt_audit *out;
	struct gpt_expect e;
	bool have;
	struct xarray tables;
	u64 nr_tables;
	u64 present[GPT_MAX_LEVELS];
	u64 present_bytes;
};

/**
 * gpt_audit_error() - count one error
 * @out: the audit's result
 * @gpa: where it is
 * @level: the level of the entry that breaks a rule
 *
 * The first error counted is the one reported: callers count in gpa
 * order.
 */
void gpt_audit_error(struct gpt_audit *out, u64 gpa, u32 level)
{
	if (!out->nr_errors++) {
		out->first_gpa = gpa;
		out->first_level = level;
	}
}
EXPORT_SYMBOL_NS_GPL(gpt_audit_error, GASPACE_INTERNAL);

/* The owner's view of the range that holds @gpa. */
static const struct gpt_expect *gpt_audit_view(struct gpt_audit_st *st,
					       u64 gpa)
{
	struct gpt_expect *e = &st->e;

	if (st->have && gpa >= e->start && gpa < e->end)
		return e;
	memset(e, 0, sizeof(*e));
	st->ops->expect(st->arg, gpa, e);
	/* a view that does not hold @gpa holds it alone */
	if (gpa < e->start || gpa >= e->end) {
		e->start = gpa;
		e->end = gpa + 1;
	}
	st->have = true;
	return e;
}

/* The largest level a leaf of the page of @gpa in @e may have. */
static u32 gpt_audit_level(const struct gpt *pt, const struct gpt_expect *e,
			   u64 gpa)
{
	u32 l = min(e->max_level, pt->levels - 1);

	for (; l; l--) {
		u64 size = gpt_level_size(l);
		u64 at = gpa & ~(size - 1);

		if ((pt->fmt->geo.block_levels & GPT_LEVEL_MASK(l)) &&
		    at >= e->start && at + size <= e->end &&
		    !(e->delta & (size - 1)))
			break;
	}
	return l;
}

/* Whether a leaf's size fits what @e allows at @gpa. */
static bool gpt_audit_size_ok(const struct gpt *pt, const struct gpt_expect *e,
			      u64 gpa, u32 level)
{
	u64 size = gpt_level_size(level);

	if (gpa + size > e->end)
		return false;
	if (e->exact)
		return level == gpt_audit_level(pt, e, gpa);
	return level <= e->max_level &&
	       (!level || (pt->fmt->geo.block_levels & GPT_LEVEL_MASK(level)));
}

/* Whether the non-empty leaf @pte at @level and @gpa is what @e expects. */
static bool gpt_audit_leaf_ok(struct gpt_audit_st *st, const struct gpt *pt,
			      const struct gpt_expect *e, u64 pte, u32 level,
			      u64 gpa)
{
	const struct gpt_fmt *fmt = pt->fmt;
	u64 size = gpt_level_size(level);
	phys_addr_t pa = gpt_entry_pa(fmt, pte);
	u64 bits = pte & ~fmt->hw_bits;

	if (e->fill == GPT_FILL_NONE || !gpt_audit_size_ok(pt, e, gpa, level))
		return false;
	if (e->fixed ? pa != gpa + e->delta :
		       (pa & (size - 1)) || !pfn_valid(PHYS_PFN(pa)))
		return false;
	if (bits == (gpt_encode_leaf(fmt, pa, e->prot, level) & ~fmt->hw_bits))
		/* W on a clean page of a logged range: a write goes unseen */
		return !(e->logged && (e->prot & GASPACE_PROT_WRITE) &&
			 st->ops->clean && st->ops->clean(st->arg, gpa));
	return e->logged &&
	       bits == (gpt_encode_leaf(fmt, pa, e->prot & ~GASPACE_PROT_WRITE,
					level) & ~fmt->hw_bits);
}

/* An empty entry: no range it spans may need every page mapped. */
static void gpt_audit_empty(struct gpt_audit_st *st, const struct gpt_visit *v)
{
	u64 end = v->addr + gpt_level_size(v->level);
	u64 gpa = v->addr;

	while (gpa < end) {
		const struct gpt_expect *e = gpt_audit_view(st, gpa);

		if (e->fill == GPT_FILL_ALL) {
			gpt_audit_error(st->out, gpa, v->level);
			return;
		}
		gpa = e->end;
	}
}

static void gpt_audit_leaf(struct gpt_audit_st *st, const struct gpt *pt,
			   const struct gpt_visit *v)
{
	const struct gpt_expect *e = gpt_audit_view(st, v->addr);
	u64 size = gpt_level_size(v->level);

	st->out->nr_entries++;
	if (gpt_is_present(pt->fmt, v->old, v->level)) {
		st->present[v->level]++;
		st->present_bytes += size;
	}
	if (e->owned && e->fill != GPT_FILL_NONE)
		st->out->nr_owned += size >> GPT_PAGE_SHIFT;
	if (!gpt_audit_leaf_ok(st, pt, e, v->old, v->level, v->addr))
		gpt_audit_error(st->out, v->addr, v->level);
}

/*
 * A table entry: its bits, and its page, which no other entry may
 * reference (a second reference is an error and is not walked again).
 */
static int gpt_audit_table(struct gpt_audit_st *st, struct gpt_walker *w,
			   const struct gpt_visit *v)
{
	const struct gpt_fmt *fmt = w->pt->fmt;
	phys_addr_t pa = gpt_entry_pa(fmt, v->old);
	bool ok = (v->old & ~fmt->hw_bits) ==
		  (gpt_encode_table(fmt, pa) & ~fmt->hw_bits);
	int ret;

	st->out->nr_entries++;
	if (!pfn_valid(PHYS_PFN(pa))) {
		ret = -EFAULT;
	} else {
		ret = xa_insert(&st->tables, PHYS_PFN(pa), xa_mk_value(0),
				GFP_KERNEL);
		if (ret == -ENOMEM)
			return ret;
	}
	if (ret)
		w->skip = true;
	else
		st->nr_tables++;
	if (!ok || ret)
		gpt_audit_error(st->out, v->addr, v->level);
	return 0;
}

static int gpt_audit_visit(struct gpt_walker *w, struct gpt_visit *v,
			   u32 kind)
{
	struct gpt_audit_st *st = w->arg;

	if (kind == GPT_VISIT_TABLE_PRE)
		return gpt_audit_table(st, w, v);
	if (v->old)
		gpt_audit_leaf(st, w->pt, v);
	else
		gpt_audit_empty(st, v);
	return 0;
}

/* The table's counters against what the walk found: one error if any differs. */
static bool gpt_audit_counts_ok(const struct gpt *pt,
				const struct gpt_audit_st *st)
{
	u32 l;

	if (st->nr_tables != pt->nr_table_pages ||
	    st->present_bytes != pt->present_bytes)
		return false;
	for (l = 0; l < GPT_MAX_LEVELS; l++)
		if (st->present[l] != pt->nr_present[l])
			return false;
	return true;
}

/**
 * gpt_audit() - check every entry of a table
 * @pt: the table; the caller keeps it from changing (its lock held)
 * @ops: what the owner expects at each address
 * @arg: the owner's cookie for @ops
 * @out: the result, filled in whole
 *
 * Walks the whole table once, in gpa order.  An entry breaks a rule when
 * its bits are not exactly those its format writes for it (accessed and
 * dirty bits aside), when it is a leaf the owner's view does not allow
 * there (no leaf expected, a size or host address that does not fit, a
 * prot other than the range's), when it is empty where every page must
 * have a leaf, or when it is a table entry whose page another entry
 * references too.  The table's counters (table pages, present leaves at
 * each level, present bytes) that disagree with what was found count as
 * one more error, reported first (at gpa 0, the root's level) only when no
 * entry broke a rule.  May sleep.
 *
 * Return: 0, or -ENOMEM when the walk could not record a table page.
 */
int gpt_audit(struct gpt *pt, const struct gpt_audit_ops *ops, void *arg,
	      struct gpt_audit *out)
{
	struct gpt_audit_st st = {
		.ops	= ops,
		.arg	= arg,
		.out	= out,
	};
	struct gpt_walker w = {
		.kinds	= GPT_VISIT_LEAF | GPT_VISIT_TABLE_PRE,
		.cb	= gpt_audit_visit,
		.arg	= &st,
	};
	unsigned long pfn = PHYS_PFN(pt->root_pa);
	unsigned long i;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	xa_init(&st.tables);
	for (i = 0; i < 1UL << pt->root_order && !ret; i++)
		ret = xa_insert(&st.tables, pfn + i, xa_mk_value(0), GFP_KERNEL);
	st.nr_tables = 1UL << pt->root_order;
	if (!ret)
		ret = gpt_walk(&w, pt, 0, 1ULL << pt->gpa_bits);
	xa_destroy(&st.tables);
	if (ret) {
		memset(out, 0, sizeof(*out));
		return ret;
	}
	if (!gpt_audit_counts_ok(pt, &st))
		gpt_audit_error(out, 0, pt->levels - 1);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(gpt_audit, GASPACE_INTERNAL);

struct gpt_leaves_st {
	gpt_leaf_fn fn;
	void *arg;
};

static int gpt_leaves_visit(struct gpt_walker *w, struct gpt_visit *v,
			    u32 kind)
{
	struct gpt_leaves_st *st = w->arg;
	struct gpt_leaf leaf;

	if (v->old) {
		gpt_fill_leaf(w->pt, v->old, v->level, v->addr, &leaf);
		st->fn(st->arg, &leaf);
	}
	return 0;
}

/**
 * gpt_report_leaves() - report every leaf of a range, in gpa order
 * @pt: the table; the caller keeps it from changing
 * @start: first address
 * @end: end of the range
 * @fn: called for each leaf (prot 0 leaves included: no GASPACE_PROT_* bit)
 * @arg: its cookie
 *
 * May sleep.
 */
void gpt_report_leaves(struct gpt *pt, u64 start, u64 end, gpt_leaf_fn fn,
		       void *arg)
{
	struct gpt_leaves_st st = { .fn = fn, .arg = arg };
	struct gpt_walker w = {
		.kinds	= GPT_VISIT_LEAF,
		.cb	= gpt_leaves_visit,
		.arg	= &st,
	};

	gpt_walk(&w, pt, start, end);
}
EXPORT_SYMBOL_NS_GPL(gpt_report_leaves, GASPACE_INTERNAL);
