// SPDX-License-Identifier: GPL-2.0
/*
 * The area set: non-overlapping guest-physical ranges in a maple tree.
 *
 * An area is nothing but its range (the tree's) and a small value: prot,
 * backend, the map flags that stay with it, and for linear areas the offset
 * from guest to host physical (for user areas the uid their pins are
 * charged to).  The value is stored in the tree itself as a
 * tagged integer (bit 0 set, so never a pointer nor an internal entry), so
 * an area costs only its share of a tree node, and every change of the set
 * that one range covers is a single store that succeeds or changes nothing:
 * MAP stores the new value over its range, UNMAP stores NULL, MAP_REPLACE
 * stores over whatever was there; the pieces of a split area keep the value
 * they had.  Adjacent areas are never merged: the tree keeps a separate
 * range for each store even when two neighbours hold the same value.
 *
 * The tree uses the space's pt_lock as its external lock: every change
 * holds it, and it changes only under map_lock too, so what a map_lock
 * holder read stays true until it changes it.  It is in RCU mode: lookups
 * (TRANSLATE, the fault path) may hold rcu_read_lock() instead, and see
 * each area as it was before or after a store.
 */
#include <linux/gfp.h>
#include <linux/maple_tree.h>
#include <linux/rcupdate.h>
/* Not self-contained in 6.1: after the headers that give bool and gfp_t. */
#include <linux/fault-inject.h>

#include "areas.h"
#include "internal.h"

static void *area_encode(const struct gaspace_area *a)
{
	unsigned long v = AREA_TAG | (unsigned long)a->prot << AREA_PROT_SHIFT;

	if (a->backend == GASPACE_BACKEND_ALLOC)
		v |= AREA_ALLOC;
	if (a->backend == GASPACE_BACKEND_USER)
		v |= AREA_USER;
	if (a->flags & GASPACE_MAP_DEVICE)
		v |= AREA_DEVICE;
	if (a->flags & GASPACE_MAP_NOHUGE)
		v |= AREA_NOHUGE;
	if (a->flags & GASPACE_MAP_HUGE)
		v |= AREA_HUGE;
	if (a->flags & GASPACE_AREA_LOGGED)
		v |= AREA_LOGGED;
	if (a->flags & GASPACE_MAP_USERFAULT)
		v |= AREA_USERFAULT;
	return (void *)(v | (unsigned long)(a->delta & PAGE_MASK));
}

#ifdef CONFIG_FAULT_INJECTION
/*
 * A store that may fail is a fault-injection point of its own (fail-nth
 * counts it like any allocation): the maple tree retries a failed node
 * allocation with the caller's gfp, so one injected slab failure never
 * reaches the caller, and the paths that handle a failed store could not
 * be tested otherwise.
 */
static struct fault_attr gaspace_fail_store = FAULT_ATTR_INITIALIZER;

static bool gaspace_store_should_fail(gfp_t gfp)
{
	return !(gfp & __GFP_NOFAIL) && should_fail(&gaspace_fail_store, 1);
}

static void gaspace_store_fail_init(void)
{
	WRITE_ONCE(gaspace_fail_store.verbose, 0);
}
#else
static bool gaspace_store_should_fail(gfp_t gfp)
{
	return false;
}

static void gaspace_store_fail_init(void)
{
}
#endif

void gaspace_areas_init(struct gaspace *as)
{
	gaspace_store_fail_init();
	/*
	 * The VMA tree's flags: 6.1 frees nodes in RCU mode correctly only
	 * for allocation-range trees (a full non-leaf node of a plain range
	 * tree crashes mt_free_walk()).
	 */
	mt_init_flags(&as->areas, MT_FLAGS_ALLOC_RANGE | MT_FLAGS_LOCK_EXTERN |
		      MT_FLAGS_USE_RCU);
	mt_set_external_lock(&as->areas, &as->pt_lock);
}

void gaspace_areas_destroy(struct gaspace *as)
{
	mutex_lock(&as->pt_lock);
	/* no reader is left: free the nodes now, as exit_mmap() does */
	mt_clear_in_rcu(&as->areas);
	__mt_destroy(&as->areas);
	mutex_unlock(&as->pt_lock);
}

/**
 * gaspace_area_find() - the area that holds a guest-physical address
 * @as: the space, pt_lock or rcu_read_lock() held
 * @gpa: any byte address
 * @a: filled in when found
 *
 * Return: true when @gpa lies in an area.
 */
bool gaspace_area_find(struct gaspace *as, u64 gpa, struct gaspace_area *a)
{
	return __gaspace_area_find(as, gpa, a);
}

/**
 * gaspace_area_next() - the first area that ends above an address
 * @as: the space, pt_lock or rcu_read_lock() held
 * @gpa: where to start looking
 * @end: look below this address only
 * @a: filled in when found
 *
 * Return: true when an area overlaps [@gpa, @end).
 */
bool gaspace_area_next(struct gaspace *as, u64 gpa, u64 end,
		       struct gaspace_area *a)
{
	MA_STATE(mas, &as->areas, gpa, gpa);
	void *entry;

	gaspace_areas_assert_read(as);
	if (gpa >= end)
		return false;
	entry = mas_find(&mas, end - 1);
	if (!entry)
		return false;
	area_decode(entry, mas.index, mas.last, a);
	return true;
}

/**
 * gaspace_areas_store() - make [@start, @end) one area, or a hole
 * @as: the space, map_lock and pt_lock held
 * @start: first address
 * @end: end of the range, > @start
 * @a: the area's value (its range fields are ignored), or NULL for a hole
 * @gfp: for the tree's nodes
 *
 * Areas that overlapped the range lose that part; what they keep outside
 * it stays as it was.
 *
 * Return: 0, or -ENOMEM with the set unchanged.
 */
int gaspace_areas_store(struct gaspace *as, u64 start, u64 end,
			const struct gaspace_area *a, gfp_t gfp)
{
	MA_STATE(mas, &as->areas, start, end - 1);

	lockdep_assert_held(&as->map_lock);
	lockdep_assert_held(&as->pt_lock);
	if (gaspace_store_should_fail(gfp))
		return -ENOMEM;
	return mas_store_gfp(&mas, a ? area_encode(a) : NULL, gfp);
}

/**
 * gaspace_areas_after_store() - how many areas a store would leave
 * @as: the space, pt_lock held
 * @start: first address of the range
 * @end: its end
 * @filled: the store puts an area over the range (else a hole)
 *
 * Return: the number of areas after gaspace_areas_store() of the range.
 */
u64 gaspace_areas_after_store(struct gaspace *as, u64 start, u64 end,
			      bool filled)
{
	struct gaspace_area a;
	u64 n = as->nr_areas + filled;
	u64 gpa = start;

	while (gaspace_area_next(as, gpa, end, &a)) {
		n--;
		if (a.start < start)
			n++;		/* its left piece stays */
		if (a.end > end)
			n++;		/* its right piece stays */
		gpa = a.end;
	}
	return n;
}
