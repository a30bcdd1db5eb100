/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The translation cache (tcache.c): TRANSLATE's recent answers, a page
 * each, so that a VMM that translates the same pages exit after exit pays
 * for neither the area lookup nor the table walk.
 *
 * An answer is tagged with the table's change generation (struct gpt
 * @gen) it was read at.  Every change of an entry that was not empty and
 * every commit of the area set moves the generation (npt/walk.c gpt_set(),
 * core.c), so an answer whose tag is the current generation is what a
 * lookup would find now: nothing is ever invalidated entry by entry.  A
 * fault that fills an empty entry does not move it: answers are kept only
 * for present leaves.
 *
 * The hit is inline: TRANSLATE is a VMM's per-exit lookup, and every call
 * costs under emulation.
 */
#ifndef _GASPACE_TCACHE_H
#define _GASPACE_TCACHE_H

#include <linux/bitfield.h>
#include <linux/hash.h>
#include <linux/seqlock.h>

#include "../npt/pgtable.h"
#include "internal.h"

#define GASPACE_TCACHE_BITS	9
#define GASPACE_TCACHE_SIZE	BIT(GASPACE_TCACHE_BITS)

/*
 * The low bits of an entry's @hpa (a page address) hold the rest of the
 * answer.
 */
#define GASPACE_TC_PROT		GENMASK_ULL(2, 0)
#define GASPACE_TC_BACKEND	GENMASK_ULL(4, 3)
#define GASPACE_TC_LEVEL	GENMASK_ULL(7, 5)
#define GASPACE_TC_VALID	BIT_ULL(63)
static_assert(GPT_PROT_RWX <= GASPACE_TC_PROT);
static_assert(GASPACE_BACKEND_USER <= (GASPACE_TC_BACKEND >> 3));
static_assert(GPT_MAX_LEVELS - 1 <= (GASPACE_TC_LEVEL >> 5));

/**
 * struct gaspace_tc_entry - one cached answer
 * @gen: the table's change generation it was read at (even)
 * @key: the page's number (gpa >> PAGE_SHIFT) | GASPACE_TC_VALID
 * @hpa: host-physical address of the page, with prot, backend and leaf
 *	level in its low bits
 * @end: the end of the area that holds the page
 */
struct gaspace_tc_entry {
	u64 gen;
	u64 key;
	u64 hpa;
	u64 end;
};

static inline struct gaspace_tc_entry *
gaspace_tc_slot(struct gaspace_tc_entry *e, u64 gpa)
{
	return &e[hash_64(gpa >> PAGE_SHIFT, GASPACE_TCACHE_BITS)];
}

/*
 * TRANSLATE's answer for @gpa from the cache, if it holds a current one.
 * No lock: the caller holds a reference to @as.
 */
static __always_inline bool gaspace_tcache_get(struct gaspace *as, u64 gpa,
					       struct gaspace_translation *out)
{
	struct gaspace_tcache *tc = &as->tcache;
	struct gaspace_tc_entry *e = READ_ONCE(tc->e);
	u64 gen, key, hpa, end;
	unsigned int seq;
	u32 level;

	if (!e)
		return false;
	e = gaspace_tc_slot(e, gpa);
	seq = raw_read_seqcount(&tc->seq);
	if (seq & 1)
		return false;
	gen = READ_ONCE(e->gen);
	key = READ_ONCE(e->key);
	hpa = READ_ONCE(e->hpa);
	end = READ_ONCE(e->end);
	if (read_seqcount_retry(&tc->seq, seq) ||
	    key != ((gpa >> PAGE_SHIFT) | GASPACE_TC_VALID) ||
	    gen != gpt_gen_read(&as->pt))
		return false;
	level = FIELD_GET(GASPACE_TC_LEVEL, hpa);
	out->gpa = gpa;
	out->hpa = (hpa & PAGE_MASK) | (gpa & ~PAGE_MASK);
	out->page_size = gpt_level_size(level);
	out->limit = end - gpa;
	out->prot = FIELD_GET(GASPACE_TC_PROT, hpa);
	out->backend = FIELD_GET(GASPACE_TC_BACKEND, hpa);
	out->level = level;
	out->pad = 0;
	return true;
}

void gaspace_tcache_init(struct gaspace *as);
void gaspace_tcache_put(struct gaspace *as, u64 gen,
			const struct gaspace_translation *t);
void gaspace_tcache_free(struct gaspace *as);

#endif /* _GASPACE_TCACHE_H */
