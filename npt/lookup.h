/* SPDX-License-Identifier: GPL-2.0 */
/*
 * npt/: the table's descent, inline.  The walker (walk.c) steps through
 * tables with these helpers; __gpt_query() is gpt_query()'s body, for the
 * lockless lookups that pay for every call under emulation (TRANSLATE and
 * a fault's first look, addrspace/fault.c).
 */
#ifndef _GASPACE_NPT_LOOKUP_H
#define _GASPACE_NPT_LOOKUP_H

#include <linux/errno.h>
#include <linux/io.h>

#include "pgtable.h"

#define GPT_PTES		BIT(GPT_LEVEL_BITS)

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

/* The entry of @table (at @level) that maps @addr. */
static inline u64 *gpt_entry(const struct gpt *pt, u64 *table, u32 level,
			     u64 addr)
{
	return table + gpt_index(pt, addr, level);
}

static inline u64 *gpt_table_va(const struct gpt *pt, u64 pte)
{
	return phys_to_virt(gpt_entry_pa(pt->fmt, pte));
}

struct gpt_lookup {
	u64 *ptep;
	u64 pte;
	u32 level;
};

/*
 * The entry that maps @gpa, or the empty entry where its leaf would go: the
 * walker's descent (gpt_entry(), gpt_table_va()) without a visitor, since
 * it is the whole cost of TRANSLATE and of a fault's checks.
 */
static __always_inline void gpt_lookup(const struct gpt *pt, u64 gpa,
				       struct gpt_lookup *l)
{
	u64 *table = pt->root;

	for (l->level = gpt_top(pt);; l->level--) {
		l->ptep = gpt_entry(pt, table, l->level, gpa);
		l->pte = READ_ONCE(*l->ptep);
		if (!gpt_is_table(pt->fmt, l->pte, l->level))
			return;
		table = gpt_table_va(pt, l->pte);
	}
}

/* @leaf from the entry @pte at @level that maps @gpa. */
static inline void gpt_fill_leaf(const struct gpt *pt, u64 pte, u32 level,
				 u64 gpa, struct gpt_leaf *leaf)
{
	leaf->size = gpt_level_size(level);
	leaf->gpa = gpa & ~(leaf->size - 1);
	leaf->level = level;
	leaf->pa = gpt_entry_pa(pt->fmt, pte);
	leaf->prot = gpt_leaf_prot(pt->fmt, pte);
}

/* gpt_query(), inline: same contract, same callers' locking. */
static __always_inline int __gpt_query(const struct gpt *pt, u64 gpa,
				       struct gpt_leaf *leaf)
{
	struct gpt_lookup l;

	if (gpa >= gpt_limit(pt))
		return -ERANGE;
	gpt_lookup(pt, gpa, &l);
	if (!l.pte)
		return -ENOENT;
	gpt_fill_leaf(pt, l.pte, l.level, gpa, leaf);
	return 0;
}

#endif /* _GASPACE_NPT_LOOKUP_H */
