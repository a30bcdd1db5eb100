// SPDX-License-Identifier: GPL-2.0
/*
 * The address space: its lifetime, its areas and table, its counters and the
 * exported in-kernel API.  Every rule of the contract that is not about
 * userspace lives here, once.  Locking is described in internal.h.
 *
 * A call that changes the area set works in this order, so that it either
 * succeeds or leaves everything as it was:
 *   1. check its arguments (-EINVAL, then -ERANGE);
 *   2. under map_lock: check the area set (-EEXIST, -ENOENT, -ENOSPC);
 *   3. allocate what it needs: frames for POPULATE, and every table page the
 *      walker may link (-ENOMEM, -EINTR);
 *   4. under pt_lock: the stores of the area set that can need memory
 *      (the new area over a hole; or the splits of the areas across the
 *      two edges, the second undone exactly if it fails) are the first
 *      changes, and the last that can fail; then MAP and UNMAP take the
 *      old leaves out (the areas still in the tree say whose frames to
 *      free), replace the whole areas left in the range with one store
 *      that never adds a tree entry, and map the new area from the
 *      reserve; PROTECT stores the new prot over each area and changes
 *      the table's prot;
 *   5. after pt_lock: free what was unmapped (the table's leaves were
 *      invalidated already) and what was not used.
 */
#include <linux/ioport.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/sizes.h>

#include "internal.h"
#include "../backends/backend.h"

bool gaspace_linear_ram;
module_param_named(linear_ram, gaspace_linear_ram, bool, 0644);
MODULE_PARM_DESC(linear_ram, "Allow MAP_LINEAR over System RAM (default 0)");

unsigned int gaspace_max_areas = 1048576;
module_param_named(max_areas, gaspace_max_areas, uint, 0644);
MODULE_PARM_DESC(max_areas, "Areas per address space (default 1048576)");

#define GASPACE_LINEAR_FLAGS	(GASPACE_MAP_DEVICE | GASPACE_MAP_NOHUGE | \
				 GASPACE_MAP_REPLACE)
#define GASPACE_ALLOC_FLAGS	(GASPACE_MAP_POPULATE | GASPACE_MAP_HUGE | \
				 GASPACE_MAP_REPLACE)

/* ---- lifetime ---- */

/**
 * gaspace_create() - create an empty address space
 * @format: GASPACE_FMT_*
 * @gpa_bits: guest-physical width, 0 for the format's default
 * @base: first guest-physical address, page aligned
 * @size: bytes, page aligned, > 0, @base + @size <= 1 << gpa_bits
 *
 * The root table is allocated now, charged to the caller's memory cgroup.
 *
 * Return: the space with one reference, or ERR_PTR(-EINVAL) for a bad
 * argument, ERR_PTR(-ENOMEM).
 */
struct gaspace *gaspace_create(u32 format, u32 gpa_bits, u64 base, u64 size)
{
	u32 levels, root_order;
	struct gaspace *as;
	int ret;

	ret = gpt_geometry(format, &gpa_bits, &levels, &root_order);
	if (ret)
		return ERR_PTR(ret);
	if (!size || !PAGE_ALIGNED(base) || !PAGE_ALIGNED(size) ||
	    base + size < base)
		return ERR_PTR(-EINVAL);
	/* base + size <= 1 << gpa_bits, written so that nothing overflows. */
	if (base > BIT_ULL(gpa_bits) || size > BIT_ULL(gpa_bits) - base)
		return ERR_PTR(-EINVAL);

	as = kzalloc(sizeof(*as), GASPACE_GFP_META);
	if (!as)
		return ERR_PTR(-ENOMEM);
	refcount_set(&as->refcount, 1);
	mutex_init(&as->map_lock);
	mutex_init(&as->pt_lock);
	INIT_LIST_HEAD(&as->notifiers);
	gaspace_areas_init(as);
	as->base = base;
	as->size = size;
	ret = gpt_init(&as->pt, format, gpa_bits, &gaspace_mm_ops, as);
	if (ret) {
		kfree(as);
		return ERR_PTR(ret);
	}
	return as;
}
EXPORT_SYMBOL_GPL(gaspace_create);

/**
 * gaspace_get() - take a reference on an address space
 * @as: the space
 */
void gaspace_get(struct gaspace *as)
{
	refcount_inc(&as->refcount);
}
EXPORT_SYMBOL_GPL(gaspace_get);

static void gaspace_free_leaf(void *arg, const struct gpt_leaf *leaf)
{
	gaspace_frames_add_leaf(arg, leaf);
}

struct gaspace_free_st {
	struct gaspace *as;
	struct gaspace_frames frames;
};

/* At the last put: a leaf of an alloc area gives its frames back. */
static void gaspace_free_table_leaf(void *arg, const struct gpt_leaf *leaf)
{
	struct gaspace_free_st *st = arg;
	struct gaspace_area a;

	if (gaspace_area_find(st->as, leaf->gpa, &a) &&
	    a.backend == GASPACE_BACKEND_ALLOC)
		gaspace_frames_add_leaf(&st->frames, leaf);
}

/*
 * Nobody else can see the space: one walk frees every table page and
 * reports every leaf, whatever its size and wherever the areas end, so
 * nothing here needs memory or can fail.
 */
static void gaspace_free(struct gaspace *as)
{
	struct gaspace_free_st st = { .as = as };

	gaspace_frames_init(&st.frames);
	mutex_lock(&as->pt_lock);
	gpt_destroy(&as->pt, gaspace_free_table_leaf, &st);
	mutex_unlock(&as->pt_lock);
	gaspace_frames_free(&st.frames);
	gaspace_areas_destroy(as);
	mutex_destroy(&as->pt_lock);
	mutex_destroy(&as->map_lock);
	kfree(as);
}

/**
 * gaspace_put() - drop a reference; the last one frees every frame and
 * table page of the space
 * @as: the space, may be NULL
 */
void gaspace_put(struct gaspace *as)
{
	if (as && refcount_dec_and_test(&as->refcount))
		gaspace_free(as);
}
EXPORT_SYMBOL_GPL(gaspace_put);

/* Frames and table pages must lie below what the format can address. */
static u64 gaspace_pa_limit(const struct gaspace *as)
{
	return BIT_ULL(as->pt.fmt->pa_bits);
}

/* ---- argument checks ---- */

static int check_prot(u32 prot)
{
	if (prot & ~GPT_PROT_RWX)
		return -EINVAL;
	if ((prot & GASPACE_PROT_WRITE) && !(prot & GASPACE_PROT_READ))
		return -EINVAL;
	return 0;
}

/* Aligned, non-empty, no wrap: -EINVAL. */
static int check_span(u64 gpa, u64 size)
{
	if (!size || !PAGE_ALIGNED(gpa) || !PAGE_ALIGNED(size) ||
	    gpa + size < gpa)
		return -EINVAL;
	return 0;
}

/* Inside [base, base + size): -ERANGE. */
static int check_in(struct gaspace *as, u64 gpa, u64 size)
{
	if (gpa < as->base || gpa + size > as->base + as->size)
		return -ERANGE;
	return 0;
}

/*
 * -ENOSPC: a call may not take the space past max_areas.  A call that adds
 * no area works even where a lowered limit is passed already (as munmap()
 * past vm.max_map_count does).  map_lock held.
 */
static bool gaspace_too_many_areas(struct gaspace *as, u64 nr_after)
{
	return nr_after > READ_ONCE(gaspace_max_areas) &&
	       nr_after > as->nr_areas;
}

static u32 area_gpt_prot(const struct gaspace_area *a)
{
	return a->prot | (a->flags & GASPACE_MAP_DEVICE ? GPT_ATTR_DEVICE : 0);
}

/* ---- changing the area set ---- */

/*
 * Take the leaves of every area in [gpa, end) out of the table; the frames
 * of alloc areas go to @freed.  The areas are read from the tree, which
 * still holds them: the call stores its change of the set after this.
 * pt_lock held, table pages reserved.
 */
static void gaspace_unmap_areas(struct gaspace *as, u64 gpa, u64 end,
				struct gaspace_frames *freed)
{
	struct gaspace_area a;
	u64 cur = gpa;

	while (gaspace_area_next(as, cur, end, &a)) {
		u64 s = max(gpa, a.start), e = min(end, a.end);
		bool alloc = a.backend == GASPACE_BACKEND_ALLOC;
		u64 before = freed->nr_pages;

		gpt_unmap(&as->pt, s, e - s, alloc ? gaspace_free_leaf : NULL,
			  freed);
		as->nr_data_pages -= freed->nr_pages - before;
		cur = a.end;
	}
}

/**
 * struct gaspace_span - what a change of [gpa, end) meets in the area set
 * @nr_old: areas overlapping the range
 * @nr_after: areas a store over the range would leave
 * @covered: no hole in the range
 * @first: the first overlapping area (valid when @nr_old)
 * @last: the last overlapping area (valid when @nr_old)
 */
struct gaspace_span {
	u64 nr_old;
	u64 nr_after;
	bool covered;
	struct gaspace_area first;
	struct gaspace_area last;
};

/*
 * Look at the areas of [gpa, end) without copying them: the caller holds
 * map_lock, so they stay as they are until it changes them.  @filled: the
 * store will put an area over the range (else a hole).
 */
static void gaspace_span_scan(struct gaspace *as, u64 gpa, u64 end,
			      bool filled, struct gaspace_span *sp)
{
	struct gaspace_area a;
	u64 cur = gpa;

	lockdep_assert_held(&as->map_lock);
	memset(sp, 0, sizeof(*sp));
	sp->covered = true;
	mutex_lock(&as->pt_lock);
	while (gaspace_area_next(as, cur, end, &a)) {
		if (a.start > cur)
			sp->covered = false;
		if (!sp->nr_old++)
			sp->first = a;
		sp->last = a;
		cur = a.end;
		cond_resched();
	}
	if (cur < end)
		sp->covered = false;
	sp->nr_after = gaspace_areas_after_store(as, gpa, end, filled);
	mutex_unlock(&as->pt_lock);
}

/*
 * Split the areas across the edges of [gpa, end) so that the range holds
 * whole areas only; the piece inside takes @prot when @set_prot (PROTECT),
 * else keeps its value.  These are the only stores of a call that can
 * need new tree nodes: they come first, fallible, and when the second
 * fails the first area is stored back over its whole range (which only
 * merges), so the set is exactly as it was.  map_lock and pt_lock held.
 */
static int gaspace_split_edges(struct gaspace *as, u64 gpa, u64 end,
			       const struct gaspace_span *sp, bool set_prot,
			       u32 prot)
{
	const struct gaspace_area *first = &sp->first, *last = &sp->last;
	bool split_last = sp->nr_old > 1 && last->end > end;
	struct gaspace_area a;
	int ret;

	if (first->start < gpa || first->end > end) {
		a = *first;
		if (set_prot)
			a.prot = prot;
		ret = gaspace_areas_store(as, max(gpa, first->start),
					  min(end, first->end), &a,
					  GASPACE_GFP_META);
		if (ret)
			return ret;
	}
	if (split_last) {
		a = *last;
		if (set_prot)
			a.prot = prot;
		ret = gaspace_areas_store(as, last->start, end, &a,
					  GASPACE_GFP_META);
		if (ret) {
			if (first->start < gpa)
				gaspace_areas_store(as, first->start,
						    first->end, first,
						    GASPACE_GFP_COMMIT);
			return ret;
		}
	}
	return 0;
}

/*
 * The commit of MAP and UNMAP, once everything they need is allocated.
 * Over a hole, the new area's store is the first change and may fail.
 * Over areas, the edges are split first (fallible); then the old leaves
 * leave the table (the areas, still in the tree, say whose frames to
 * free), and one store replaces the whole areas by the new one or a hole:
 * it never adds an entry, so the few nodes it may take are given back as
 * it ends, and it is made __GFP_NOFAIL.  The new area's leaves come from
 * the reserve.  pt_lock held, the reserve in as->reserve.
 */
static int gaspace_replace_locked(struct gaspace *as, u64 gpa, u64 end,
				  const struct gaspace_area *area,
				  struct gaspace_frames *frames,
				  struct gaspace_frames *freed,
				  const struct gaspace_span *sp)
{
	int ret;

	if (!sp->nr_old) {
		ret = area ? gaspace_areas_store(as, gpa, end, area,
						 GASPACE_GFP_META) : 0;
		if (ret)
			return ret;
	} else {
		ret = gaspace_split_edges(as, gpa, end, sp, false, 0);
		if (ret)
			return ret;
		gaspace_unmap_areas(as, gpa, end, freed);
		gaspace_areas_store(as, gpa, end, area, GASPACE_GFP_COMMIT);
	}
	as->nr_areas = sp->nr_after;
	if (!area)
		return 0;
	if (area->backend == GASPACE_BACKEND_LINEAR) {
		ret = gaspace_linear_map(&as->pt, gpa, end - gpa,
					 gpa + area->delta, area_gpt_prot(area),
					 area->flags & GASPACE_MAP_NOHUGE);
	} else if (frames->nr_pages) {
		u64 nr = frames->nr_pages;

		ret = gaspace_frames_map(&as->pt, frames, gpa, end - gpa,
					 area->prot);
		if (!ret)
			as->nr_data_pages += nr;
	}
	/* The reserve covers every table page: the table cannot fail here. */
	WARN_ON_ONCE(ret);
	return 0;
}

/* MAP_LINEAR and MAP_ALLOC once their arguments are checked. */
static int gaspace_map(struct gaspace *as, u64 gpa, u64 size,
		       struct gaspace_area *area, u32 flags)
{
	bool replace = flags & GASPACE_MAP_REPLACE;
	struct gaspace_frames frames, freed;
	struct gaspace_reserve reserve;
	struct gaspace_span sp;
	u64 end = gpa + size, tables;
	int ret;

	area->start = gpa;
	area->end = end;
	gaspace_frames_init(&frames);
	gaspace_frames_init(&freed);
	gaspace_reserve_init(&reserve);

	mutex_lock(&as->map_lock);
	gaspace_span_scan(as, gpa, end, true, &sp);
	ret = -EEXIST;
	if (sp.nr_old && !replace)
		goto out;
	ret = -ENOSPC;
	if (gaspace_too_many_areas(as, sp.nr_after))
		goto out;

	if (area->backend == GASPACE_BACKEND_ALLOC &&
	    (flags & GASPACE_MAP_POPULATE)) {
		ret = gaspace_frames_alloc(&frames, gpa, end, gpa, end,
					   flags & GASPACE_MAP_HUGE,
					   GASPACE_GFP_FRAME,
					   gaspace_pa_limit(as));
		if (ret)
			goto out;
	}
	if (area->backend == GASPACE_BACKEND_LINEAR) {
		u32 max_level = area->flags & GASPACE_MAP_NOHUGE ?
				0 : GPT_MAX_LEVELS;

		tables = gaspace_map_tables_bound(&as->pt, gpa, end,
						  gpa + area->delta, max_level);
	} else {
		tables = frames.nr_pages ?
			 gaspace_map_tables_bound(&as->pt, gpa, end, gpa, 0) : 0;
	}
	if (sp.nr_old)
		tables += gaspace_split_tables_bound(&as->pt);
	ret = gaspace_reserve_fill(as, &reserve, tables, GASPACE_GFP_TABLE);
	if (ret)
		goto out;

	mutex_lock(&as->pt_lock);
	as->reserve = &reserve;
	ret = gaspace_replace_locked(as, gpa, end, area, &frames, &freed, &sp);
	as->reserve = NULL;
	mutex_unlock(&as->pt_lock);
	if (!ret && sp.nr_old)
		gaspace_zap(as, gpa, size, &freed);
out:
	mutex_unlock(&as->map_lock);
	gaspace_reserve_release(&reserve);
	gaspace_frames_free(&frames);
	gaspace_frames_free(&freed);
	return ret;
}

/*
 * The part of MAP_LINEAR that /dev/gaspace and the exported API share;
 * @from_user adds the System RAM rule, which kernel callers are trusted on.
 */
int gaspace_do_map_linear(struct gaspace *as, u64 gpa, u64 hpa, u64 size,
			  u32 prot, u32 flags, bool from_user)
{
	struct gaspace_area area = {
		.prot		= prot,
		.backend	= GASPACE_BACKEND_LINEAR,
		.flags		= flags & (GASPACE_MAP_DEVICE | GASPACE_MAP_NOHUGE),
		.delta		= hpa - gpa,
	};
	u64 pa_limit = BIT_ULL(as->pt.fmt->pa_bits);
	int ret;

	if (flags & ~GASPACE_LINEAR_FLAGS)
		return -EINVAL;
	ret = check_prot(prot) ?: check_span(gpa, size);
	if (ret)
		return ret;
	if (!PAGE_ALIGNED(hpa) || hpa + size < hpa || hpa + size > pa_limit)
		return -EINVAL;
	ret = check_in(as, gpa, size);
	if (ret)
		return ret;
	if (from_user && !READ_ONCE(gaspace_linear_ram) &&
	    region_intersects(hpa, size, IORESOURCE_SYSTEM_RAM,
			      IORES_DESC_NONE) != REGION_DISJOINT)
		return -EPERM;
	return gaspace_map(as, gpa, size, &area, flags);
}

/**
 * gaspace_map_linear() - map guest-physical memory to host-physical memory
 * @as: the space
 * @gpa: first guest-physical address, page aligned
 * @hpa: host-physical address of @gpa, page aligned
 * @size: bytes, page aligned, > 0
 * @prot: GASPACE_PROT_* (0: the area exists, its leaves are not present)
 * @flags: GASPACE_MAP_DEVICE, GASPACE_MAP_NOHUGE, GASPACE_MAP_REPLACE
 *
 * Creates one area whose leaves are the largest blocks the alignment of
 * @gpa and @hpa and the format allow.  Kernel callers may map System RAM.
 *
 * Return: 0; -EINVAL, -ERANGE, -EEXIST, -ENOSPC, -ENOMEM as the uAPI,
 * with the space unchanged on error.
 */
int gaspace_map_linear(struct gaspace *as, u64 gpa, u64 hpa, u64 size,
		       u32 prot, u32 flags)
{
	return gaspace_do_map_linear(as, gpa, hpa, size, prot, flags, false);
}
EXPORT_SYMBOL_GPL(gaspace_map_linear);

/**
 * gaspace_map_alloc() - give guest-physical memory frames of its own
 * @as: the space
 * @gpa: first guest-physical address, page aligned
 * @size: bytes, page aligned, > 0
 * @prot: GASPACE_PROT_*
 * @flags: GASPACE_MAP_POPULATE (allocate now), GASPACE_MAP_HUGE (2 MiB
 *	frames where possible), GASPACE_MAP_REPLACE
 *
 * Creates one area; frames are zeroed and charged to the caller's memory
 * cgroup, now with POPULATE, else one page (or 2 MiB block) per fault.
 *
 * Return: 0; -EINVAL, -ERANGE, -EEXIST, -ENOSPC, -ENOMEM, -EINTR as the
 * uAPI, with the space unchanged on error.
 */
int gaspace_map_alloc(struct gaspace *as, u64 gpa, u64 size, u32 prot,
		      u32 flags)
{
	struct gaspace_area area = {
		.prot		= prot,
		.backend	= GASPACE_BACKEND_ALLOC,
		.flags		= flags & GASPACE_MAP_HUGE,
	};
	int ret;

	if (flags & ~GASPACE_ALLOC_FLAGS)
		return -EINVAL;
	ret = check_prot(prot) ?: check_span(gpa, size) ?: check_in(as, gpa, size);
	if (ret)
		return ret;
	return gaspace_map(as, gpa, size, &area, flags);
}
EXPORT_SYMBOL_GPL(gaspace_map_alloc);

/**
 * gaspace_unmap() - remove every area and leaf in a range
 * @as: the space
 * @gpa: first guest-physical address, page aligned
 * @size: bytes, page aligned, > 0; holes are fine
 *
 * Areas and blocks across the edges are split; alloc frames and empty table
 * pages are freed after the notifiers were told, and the VMM's mmaps of the
 * range are zapped (a later touch raises SIGBUS).
 *
 * Return: 0; -EINVAL, -ERANGE, -ENOSPC, -ENOMEM with the space unchanged.
 */
int gaspace_unmap(struct gaspace *as, u64 gpa, u64 size)
{
	struct gaspace_reserve reserve;
	struct gaspace_frames freed;
	struct gaspace_span sp;
	u64 end = gpa + size;
	int ret;

	ret = check_span(gpa, size) ?: check_in(as, gpa, size);
	if (ret)
		return ret;
	gaspace_frames_init(&freed);
	gaspace_reserve_init(&reserve);

	mutex_lock(&as->map_lock);
	gaspace_span_scan(as, gpa, end, false, &sp);
	if (!sp.nr_old)
		goto out;
	ret = -ENOSPC;
	if (gaspace_too_many_areas(as, sp.nr_after))
		goto out;
	ret = gaspace_reserve_fill(as, &reserve,
				   gaspace_split_tables_bound(&as->pt),
				   GASPACE_GFP_TABLE);
	if (ret)
		goto out;

	mutex_lock(&as->pt_lock);
	as->reserve = &reserve;
	ret = gaspace_replace_locked(as, gpa, end, NULL, NULL, &freed, &sp);
	as->reserve = NULL;
	mutex_unlock(&as->pt_lock);
	if (!ret)
		gaspace_zap(as, gpa, size, &freed);
out:
	mutex_unlock(&as->map_lock);
	gaspace_reserve_release(&reserve);
	gaspace_frames_free(&freed);
	return ret;
}
EXPORT_SYMBOL_GPL(gaspace_unmap);

/*
 * PROTECT's change of the area set: every area of [gpa, end) gets @prot
 * over its part of the range.  The edges are split first, with the new
 * prot inside (gaspace_split_edges()); every other area is then stored
 * over its own exact range, which replaces its value in place and needs
 * no memory.  map_lock and pt_lock held, the range covered by areas.
 */
static int gaspace_protect_areas(struct gaspace *as, u64 gpa, u64 end,
				 u32 prot, const struct gaspace_span *sp)
{
	const struct gaspace_area *first = &sp->first, *last = &sp->last;
	u64 cur = first->start < gpa || first->end > end ? first->end : gpa;
	u64 inner_end = sp->nr_old > 1 && last->end > end ? last->start : end;
	struct gaspace_area a;
	int ret;

	ret = gaspace_split_edges(as, gpa, end, sp, true, prot);
	if (ret)
		return ret;
	while (gaspace_area_next(as, cur, inner_end, &a)) {
		cur = a.end;
		a.prot = prot;
		gaspace_areas_store(as, a.start, a.end, &a,
				    GASPACE_GFP_COMMIT);
		cond_resched();
	}
	return 0;
}

/**
 * gaspace_protect() - change the prot of a range
 * @as: the space
 * @gpa: first guest-physical address, page aligned
 * @size: bytes, page aligned, > 0; must be covered by areas
 * @prot: GASPACE_PROT_*; 0 keeps frames but makes the leaves not present
 *
 * Areas and blocks are split at both edges (even where the prot does not
 * change); frames stay in place; no page is populated.
 *
 * Return: 0; -EINVAL, -ERANGE, -ENOENT (a hole in the range), -ENOSPC,
 * -ENOMEM with the space unchanged.
 */
int gaspace_protect(struct gaspace *as, u64 gpa, u64 size, u32 prot)
{
	struct gaspace_reserve reserve;
	struct gaspace_span sp;
	u64 end = gpa + size;
	int ret;

	ret = check_prot(prot) ?: check_span(gpa, size) ?: check_in(as, gpa, size);
	if (ret)
		return ret;
	gaspace_reserve_init(&reserve);

	mutex_lock(&as->map_lock);
	gaspace_span_scan(as, gpa, end, false, &sp);
	ret = -ENOENT;
	if (!sp.covered)
		goto out;
	/* Each area keeps its pieces outside the range and gets one inside. */
	ret = -ENOSPC;
	if (gaspace_too_many_areas(as, sp.nr_after + sp.nr_old))
		goto out;
	ret = gaspace_reserve_fill(as, &reserve,
				   gaspace_split_tables_bound(&as->pt),
				   GASPACE_GFP_TABLE);
	if (ret)
		goto out;

	mutex_lock(&as->pt_lock);
	ret = gaspace_protect_areas(as, gpa, end, prot, &sp);
	if (!ret) {
		as->reserve = &reserve;
		/* Leaves keep their memory type: prot alone. */
		WARN_ON_ONCE(gpt_protect(&as->pt, gpa, size, prot));
		as->reserve = NULL;
		as->nr_areas = sp.nr_after + sp.nr_old;
	}
	mutex_unlock(&as->pt_lock);
out:
	mutex_unlock(&as->map_lock);
	gaspace_reserve_release(&reserve);
	return ret;
}
EXPORT_SYMBOL_GPL(gaspace_protect);

/* ---- lookups and faults ---- */

/**
 * gaspace_translate() - where a guest-physical byte is
 * @as: the space
 * @gpa: any byte address
 * @out: filled in on success: hpa of the byte, leaf size and level, the
 *	area's prot and backend, bytes to the end of the area
 *
 * Return: 0; -ERANGE outside the space; -ENOENT when no present leaf holds
 * @gpa (no area, prot 0, or a lazy page not yet faulted).
 */
int gaspace_translate(struct gaspace *as, u64 gpa,
		      struct gaspace_translation *out)
{
	struct gaspace_area a;
	struct gpt_leaf leaf;
	int ret = -ENOENT;

	if (gpa < as->base || gpa - as->base >= as->size)
		return -ERANGE;
	mutex_lock(&as->pt_lock);
	if (!gaspace_area_find(as, gpa, &a) || !a.prot)
		goto out;
	if (gpt_query(&as->pt, gpa, &leaf) || !(leaf.prot & GPT_PROT_RWX))
		goto out;
	memset(out, 0, sizeof(*out));
	out->gpa = gpa;
	out->hpa = leaf.pa + (gpa - leaf.gpa);
	out->page_size = leaf.size;
	out->limit = a.end - gpa;
	out->prot = a.prot;
	out->backend = a.backend;
	out->level = leaf.level;
	ret = 0;
out:
	mutex_unlock(&as->pt_lock);
	return ret;
}
EXPORT_SYMBOL_GPL(gaspace_translate);

/**
 * gaspace_populate_locked() - give the page of @gpa its frame
 * @as: the space, pt_lock held
 * @gpa: any byte of the page
 * @a: the alloc area that holds it
 * @gfp: GASPACE_GFP_FRAME, or GASPACE_GFP_FRAME_VMM for a VMM touch (its
 *	table pages then fail as the frame does: the cgroup's OOM killer)
 *
 * The frame is allocated under pt_lock: a fault on another page waits for
 * this one allocation at most (and the table pages the path lacks), and
 * concurrent faults on one page allocate one frame.  In a HUGE area a whole
 * 2 MiB block is populated where it fits and nothing in it is yet.  Every
 * page is allocated before the table changes, so a failure changes nothing
 * and never needs an invalidation.
 *
 * Return: 0, -ENOMEM.
 */
int gaspace_populate_locked(struct gaspace *as, u64 gpa,
			    const struct gaspace_area *a, gfp_t gfp)
{
	u64 start = round_down(gpa, PAGE_SIZE), size = PAGE_SIZE;
	u32 hole = gpt_hole_level(&as->pt, gpa), level = 0;
	struct gaspace_reserve reserve;
	struct gaspace_frames frames;
	int ret;

	lockdep_assert_held(&as->pt_lock);
	gaspace_frames_init(&frames);
	gaspace_reserve_init(&reserve);
	/* A 2 MiB block only where nothing of it is populated yet. */
	if ((a->flags & GASPACE_MAP_HUGE) && hole >= 1 &&
	    gaspace_huge_fits(gpa, a->start, a->end) &&
	    !gaspace_frames_alloc_huge(&frames, gaspace_pa_limit(as))) {
		frames.whole = true;
		start = round_down(gpa, SZ_2M);
		size = SZ_2M;
		level = 1;
	} else {
		ret = gaspace_frames_alloc(&frames, start, start + size,
					   a->start, a->end, false, gfp,
					   gaspace_pa_limit(as));
		if (ret)
			return ret;
	}
	ret = gaspace_reserve_fill(as, &reserve, hole - level, gfp);
	if (!ret) {
		as->reserve = &reserve;
		ret = gaspace_frames_map(&as->pt, &frames, start, size,
					 a->prot);
		as->reserve = NULL;
		if (!WARN_ON_ONCE(ret))
			as->nr_data_pages += size >> PAGE_SHIFT;
	}
	gaspace_reserve_release(&reserve);
	gaspace_frames_free(&frames);
	return ret;
}

/**
 * gaspace_handle_fault() - the fault hook
 * @as: the space
 * @gpa: any byte address the guest accessed
 * @access: the access, a non-empty subset of GASPACE_PROT_*
 *
 * Makes the page present: a lazy alloc page is populated (a whole 2 MiB
 * block in a HUGE area where it fits).  Idempotent: a present page takes
 * nothing, and concurrent faults on one page allocate one frame.
 *
 * Return: 0 when the page is present; -EINVAL for a bad @access; -ERANGE
 * outside the space; -ENOENT no area; -EACCES @access not allowed by the
 * area's prot; -ENOMEM; -EINTR (a fatal signal).
 */
int gaspace_handle_fault(struct gaspace *as, u64 gpa, u32 access)
{
	struct gaspace_area a;
	struct gpt_leaf leaf;
	int ret;

	if (!access || (access & ~GPT_PROT_RWX))
		return -EINVAL;
	if (gpa < as->base || gpa - as->base >= as->size)
		return -ERANGE;
	mutex_lock(&as->pt_lock);
	if (!gaspace_area_find(as, gpa, &a))
		ret = -ENOENT;
	else if (access & ~a.prot)
		ret = -EACCES;
	else if (a.backend == GASPACE_BACKEND_LINEAR ||
		 !gpt_query(&as->pt, gpa, &leaf))
		ret = 0;
	else if (fatal_signal_pending(current))
		ret = -EINTR;
	else
		ret = gaspace_populate_locked(as, gpa, &a, GASPACE_GFP_FRAME);
	mutex_unlock(&as->pt_lock);
	return ret;
}
EXPORT_SYMBOL_GPL(gaspace_handle_fault);

/* ---- information and notifiers ---- */

/**
 * gaspace_get_info() - describe an address space
 * @as: the space
 * @out: filled in whole; root_hpa and root_pointer are never hidden here
 *
 * Return: 0.
 */
int gaspace_get_info(struct gaspace *as, struct gaspace_info *out)
{
	memset(out, 0, sizeof(*out));
	mutex_lock(&as->pt_lock);
	out->format = as->pt.fmt->format;
	out->gpa_bits = as->pt.gpa_bits;
	out->levels = as->pt.levels;
	out->root_pages = 1U << as->pt.root_order;
	out->base = as->base;
	out->size = as->size;
	out->root_hpa = as->pt.root_pa;
	out->root_pointer = gpt_root_pointer(&as->pt);
	out->walk_config = gpt_walk_config(&as->pt);
	out->nr_areas = as->nr_areas;
	out->nr_table_pages = as->pt.nr_table_pages;
	out->nr_data_pages = as->nr_data_pages;
	out->mapped_bytes = as->pt.present_bytes;
	mutex_unlock(&as->pt_lock);
	return 0;
}
EXPORT_SYMBOL_GPL(gaspace_get_info);

/**
 * gaspace_register_notifier() - be told before frames and tables are freed
 * @as: the space
 * @n: the notifier, with @n->invalidate set; stays registered until
 *	gaspace_unregister_notifier(), which must come before the last put
 *
 * Return: 0, or -EINVAL without an invalidate callback.
 */
int gaspace_register_notifier(struct gaspace *as, struct gaspace_notifier *n)
{
	if (!n || !n->invalidate)
		return -EINVAL;
	mutex_lock(&as->pt_lock);
	list_add_tail(&n->node, &as->notifiers);
	mutex_unlock(&as->pt_lock);
	return 0;
}
EXPORT_SYMBOL_GPL(gaspace_register_notifier);

/**
 * gaspace_unregister_notifier() - stop a notifier
 * @as: the space
 * @n: a notifier registered on @as; once this returns it is not called again
 */
void gaspace_unregister_notifier(struct gaspace *as,
				 struct gaspace_notifier *n)
{
	mutex_lock(&as->pt_lock);
	list_del_init(&n->node);
	mutex_unlock(&as->pt_lock);
}
EXPORT_SYMBOL_GPL(gaspace_unregister_notifier);
