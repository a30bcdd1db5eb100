// SPDX-License-Identifier: GPL-2.0
/*
 * The translation cache: storing TRANSLATE's answers (tcache.h says how
 * they stay current).  Its 16 KiB are allocated by the first answer a
 * space stores, and only if memory is at hand: without them TRANSLATE
 * looks up every time.
 */
#include <linux/slab.h>

#include "tcache.h"

/* Never reclaims or calls the OOM killer for it: a cache can wait. */
#define GASPACE_GFP_TCACHE	(GFP_KERNEL_ACCOUNT | __GFP_NORETRY | __GFP_NOWARN)

static_assert(GASPACE_TCACHE_SIZE * sizeof(struct gaspace_tc_entry) ==
	      4 * PAGE_SIZE);

void gaspace_tcache_init(struct gaspace *as)
{
	spin_lock_init(&as->tcache.lock);
	seqcount_spinlock_init(&as->tcache.seq, &as->tcache.lock);
}

static struct gaspace_tc_entry *gaspace_tcache_alloc(struct gaspace *as)
{
	struct gaspace_tc_entry *e, *old;

	e = kvcalloc(GASPACE_TCACHE_SIZE, sizeof(*e), GASPACE_GFP_TCACHE);
	if (!e)
		return NULL;
	/* a full barrier: the zeroed entries before the pointer */
	old = cmpxchg(&as->tcache.e, NULL, e);
	if (old) {
		kvfree(e);
		return old;
	}
	return e;
}

/**
 * gaspace_tcache_put() - keep TRANSLATE's answer
 * @as: the space
 * @gen: the table's change generation read before the lookup
 * @t: the lookup's answer
 *
 * Kept only if nothing changed since @gen (the answer is then current at
 * @gen) and no other answer is being stored: a cache may miss.
 */
void gaspace_tcache_put(struct gaspace *as, u64 gen,
			const struct gaspace_translation *t)
{
	struct gaspace_tcache *tc = &as->tcache;
	struct gaspace_tc_entry *e = READ_ONCE(tc->e);

	if ((gen & 1) || gpt_gen_retry(&as->pt, gen))
		return;
	if (!e) {
		e = gaspace_tcache_alloc(as);
		if (!e)
			return;
	}
	if (!spin_trylock(&tc->lock))
		return;
	e = gaspace_tc_slot(e, t->gpa);
	write_seqcount_begin(&tc->seq);
	WRITE_ONCE(e->gen, gen);
	WRITE_ONCE(e->key, (t->gpa >> PAGE_SHIFT) | GASPACE_TC_VALID);
	WRITE_ONCE(e->hpa, (t->hpa & PAGE_MASK) |
			   FIELD_PREP(GASPACE_TC_PROT, t->prot) |
			   FIELD_PREP(GASPACE_TC_BACKEND, t->backend) |
			   FIELD_PREP(GASPACE_TC_LEVEL, t->level));
	WRITE_ONCE(e->end, t->gpa + t->limit);
	write_seqcount_end(&tc->seq);
	spin_unlock(&tc->lock);
}

/* At the space's end. */
void gaspace_tcache_free(struct gaspace *as)
{
	kvfree(as->tcache.e);
	as->tcache.e = NULL;
}
