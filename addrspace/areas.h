/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The area set's encoding (areas.c): each area is a tagged integer in the
 * maple tree.  The decoder and the lookup are inline here for the lockless
 * lookups that pay for every call under emulation (fault.c); everything
 * else goes through areas.c.
 */
#ifndef _GASPACE_AREAS_H
#define _GASPACE_AREAS_H

#include <linux/maple_tree.h>
#include <linux/rcupdate.h>

#include "internal.h"

#define AREA_TAG		BIT(0)
#define AREA_PROT_SHIFT		1
#define AREA_ALLOC		BIT(4)
#define AREA_DEVICE		BIT(5)
#define AREA_NOHUGE		BIT(6)
#define AREA_HUGE		BIT(7)
#define AREA_LOGGED		BIT(8)
#define AREA_USERFAULT		BIT(9)
#define AREA_USER		BIT(10)

static __always_inline void area_decode(void *entry, unsigned long index,
					unsigned long last,
					struct gaspace_area *a)
{
	unsigned long v = (unsigned long)entry;

	a->start = index;
	a->end = (u64)last + 1;
	a->prot = (v >> AREA_PROT_SHIFT) & GPT_PROT_RWX;
	a->backend = v & AREA_ALLOC ? GASPACE_BACKEND_ALLOC :
		     v & AREA_USER ? GASPACE_BACKEND_USER :
				     GASPACE_BACKEND_LINEAR;
	a->flags = 0;
	if (v & AREA_DEVICE)
		a->flags |= GASPACE_MAP_DEVICE;
	if (v & AREA_NOHUGE)
		a->flags |= GASPACE_MAP_NOHUGE;
	if (v & AREA_HUGE)
		a->flags |= GASPACE_MAP_HUGE;
	if (v & AREA_LOGGED)
		a->flags |= GASPACE_AREA_LOGGED;
	if (v & AREA_USERFAULT)
		a->flags |= GASPACE_MAP_USERFAULT;
	a->delta = v & PAGE_MASK;
}

static inline void gaspace_areas_assert_read(struct gaspace *as)
{
	RCU_LOCKDEP_WARN(!rcu_read_lock_held() &&
			 !lockdep_is_held(&as->pt_lock),
			 "gaspace: area lookup without pt_lock or RCU");
}

/* gaspace_area_find(), inline: same contract. */
static __always_inline bool __gaspace_area_find(struct gaspace *as, u64 gpa,
						struct gaspace_area *a)
{
	MA_STATE(mas, &as->areas, gpa, gpa);
	void *entry;

	gaspace_areas_assert_read(as);
	entry = mas_walk(&mas);
	if (!entry)
		return false;
	area_decode(entry, mas.index, mas.last, a);
	return true;
}

#endif /* _GASPACE_AREAS_H */
