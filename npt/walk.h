/* SPDX-License-Identifier: GPL-2.0 */
/*
 * npt/: the generic walker's types, for the visitors of walk.c and of the
 * other npt/ files (audit.c).  Nothing outside npt/ uses them.
 */
#ifndef _GASPACE_NPT_WALK_H
#define _GASPACE_NPT_WALK_H

#include "lookup.h"
#include "pgtable.h"

enum gpt_visit_kind {
	GPT_VISIT_LEAF		= BIT(0),
	GPT_VISIT_TABLE_PRE	= BIT(1),
	GPT_VISIT_TABLE_POST	= BIT(2),
};

/**
 * struct gpt_visit - the entry being visited
 * @ptep: the entry
 * @old: its value (gpt_set() keeps it current)
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
 * struct gpt_walker - one walk: its visitor, and the range gpt_walk() set
 * @pt: the table
 * @start: first byte
 * @end: end of the range (exclusive)
 * @kinds: GPT_VISIT_* the visitor wants
 * @cb: the visitor; a non-zero return stops the walk and is returned
 * @arg: the visitor's state
 * @mc: table pages the visitor may link, or NULL
 * @unlinked: where gpt_set() puts the tables it unlinks (unmap), or NULL
 * @changed: the visitor cleared, downgraded or unlinked an entry the
 *	hardware may hold: the range needs an invalidation
 * @skip: set by a visitor of a table's TABLE_PRE: the walk does not go
 *	down into that table (it moves on as after a leaf)
 */
struct gpt_walker {
	struct gpt *pt;
	u64 start;
	u64 end;
	u32 kinds;
	gpt_visitor_fn cb;
	void *arg;
	struct gpt_cache *mc;
	struct list_head *unlinked;
	bool changed;
	bool skip;
};

int gpt_walk(struct gpt_walker *w, struct gpt *pt, u64 start, u64 end);

#endif /* _GASPACE_NPT_WALK_H */
