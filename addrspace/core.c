// SPDX-License-Identifier: GPL-2.0
/*
 * The address space: its lifetime, its areas and table, its counters and the
 * exported in-kernel API that changes them.  Every rule of the contract that
 * is not about userspace or faults lives here, once.  Locking is described
 * in internal.h.
 *
 * MAP, UNMAP and PROTECT are one transaction each (gaspace_change()):
 * prepared, then committed, so that a call either succeeds or leaves
 * everything as it was:
 *   1. check its arguments (-EINVAL, then -ERANGE);
 *   2. under map_lock: check the area set (-EEXIST, -ENOENT, -ENOSPC);
 *   3. prepare: allocate what it needs: frames for POPULATE, and every
 *      table page the walker may link (-ENOMEM, -EINTR);
 *   4. commit, under pt_lock: the stores of the area set that can need
 *      memory (the new area over a hole; or the splits of the areas across
 *      the two edges, the second undone exactly if it fails) are the first
 *      changes, and the last that can fail; then MAP and UNMAP take the
 *      old leaves out (the areas still in the tree say whose memory to
 *      release), replace the whole areas left in the range with one store
 *      that never adds a tree entry, and map the new area from the
 *      prepared pages; PROTECT stores the new prot over each area and
 *      changes the table's prot;
 *   5. after pt_lock: zap the VMM's mappings of what was unmapped, free it
 *      (the table's leaves were invalidated already) and what was not used.
 */
#include <linux/ioport.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/sizes.h>

#include "internal.h"
#include "tcache.h"
#include "trace.h"

bool gaspace_linear_ram;
module_param_named(linear_ram, gaspace_linear_ram, bool, 0644);
MODULE_PARM_DESC(linear_ram, "Allow MAP_LINEAR over System RAM (default 0)");

unsigned int gaspace_max_areas = 1048576;
module_param_named(max_areas, gaspace_max_areas, uint, 0644);
MODULE_PARM_DESC(max_areas, "Areas per address space (default 1048576)");

#define GASPACE_LINEAR_FLAGS	(GASPACE_MAP_DEVICE | GASPACE_MAP_NOHUGE | \
				 GASPACE_MAP_REPLACE)
#define GASPACE_ALLOC_FLAGS	(GASPACE_MAP_POPULATE | GASPACE_MAP_HUGE | \
				 GASPACE_MAP_REPLACE | GASPACE_MAP_USERFAULT)
#define GASPACE_USER_FLAGS	(GASPACE_MAP_NOHUGE | GASPACE_MAP_REPLACE)

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
	seqcount_init(&as->seq);
	INIT_LIST_HEAD(&as->notifiers);
	spin_lock_init(&as->fault_lock);
	INIT_LIST_HEAD(&as->faults);
	init_waitqueue_head(&as->fault_wq);
	gaspace_areas_init(as);
	gaspace_dirty_init(as);
	gaspace_userfault_init(as);
	gaspace_tcache_init(as);
	as->base = base;
	as->size = size;
	ret = gpt_init(&as->pt, format, gpa_bits, &gaspace_mm_ops, as,
		       GASPACE_GFP_TABLE);
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

struct gaspace_free_st {
	struct gaspace *as;
	struct gaspace_frames frames;
};

/* At the last put: each leaf's backend releases what it held. */
static void gaspace_free_table_leaf(void *arg, const struct gpt_leaf *leaf)
{
	struct gaspace_free_st *st = arg;
	struct gaspace_area a;

	if (gaspace_area_find(st->as, leaf->gpa, &a) &&
	    gaspace_backend(&a)->release) {
		st->frames.area = &a;
		gaspace_backend(&a)->release(&st->frames, leaf);
	}
}

/*
 * Nobody else can see the space: one walk frees every table page and
 * reports every leaf, whatever its size and wherever the areas end, so
 * nothing here needs memory or can fail.
 */
static void gaspace_free(struct gaspace *as)
{
	struct gaspace_free_st st = { .as = as };

	gaspace_debugfs_remove(as);
	gaspace_frames_init(&st.frames);
	mutex_lock(&as->pt_lock);
	gpt_destroy(&as->pt, gaspace_free_table_leaf, &st);
	mutex_unlock(&as->pt_lock);
	gaspace_frames_free(&st.frames);
	gaspace_areas_destroy(as);
	gaspace_dirty_destroy(as);
	gaspace_userfault_destroy(as);
	gaspace_tcache_free(as);
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
	return BIT_ULL(as->pt.fmt->geo.pa_bits);
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

/* A MAP's flags (those its backend takes), prot and span: -EINVAL. */
static int check_map(u64 gpa, u64 size, u32 prot, u32 flags, u32 allowed)
{
	if (flags & ~allowed)
		return -EINVAL;
	return check_prot(prot) ?: check_span(gpa, size);
}

/* A range of the space: -EINVAL (alignment, empty, wrap), then -ERANGE. */
int gaspace_check_range(struct gaspace *as, u64 gpa, u64 size)
{
	return check_span(gpa, size) ?: check_in(as, gpa, size);
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

/* ---- changing the area set ---- */

enum gaspace_op {
	GASPACE_OP_MAP,
	GASPACE_OP_UNMAP,
	GASPACE_OP_PROTECT,
	GASPACE_OP_LOG,		/* DIRTY_LOG_ENABLE */
	GASPACE_OP_UNLOG,	/* DIRTY_LOG_DISABLE */
	GASPACE_OP_FALLOC,	/* fallocate(): populate the missing pages */
	GASPACE_OP_DISCARD,	/* fallocate(PUNCH_HOLE): free the frames */
};

/* The calls that change frames, never areas: fallocate and discard. */
static bool gaspace_op_frames(enum gaspace_op op)
{
	return op == GASPACE_OP_FALLOC || op == GASPACE_OP_DISCARD;
}

/* The calls that change areas in place: each keeps a piece of every area. */
static bool gaspace_op_in_place(enum gaspace_op op)
{
	return op != GASPACE_OP_MAP && op != GASPACE_OP_UNMAP;
}

/**
 * struct gaspace_span - what a change of [gpa, end) meets in the area set
 * @nr_old: areas overlapping the range
 * @nr_after: areas a store over the range would leave
 * @nr_lazy: those whose backend gives their pages memory (alloc areas)
 * @covered: no hole in the range
 * @userfault: a GASPACE_MAP_USERFAULT area overlaps the range
 * @first: the first overlapping area (valid when @nr_old)
 * @last: the last overlapping area (valid when @nr_old)
 */
struct gaspace_span {
	u64 nr_old;
	u64 nr_after;
	u64 nr_lazy;
	bool covered;
	bool userfault;
	struct gaspace_area first;
	struct gaspace_area last;
};

/**
 * struct gaspace_change - one MAP, UNMAP or PROTECT, prepared then committed
 * @op: which
 * @gpa: first address of the range
 * @end: its end
 * @area: MAP: the new area
 * @prot: PROTECT: the new prot
 * @flags: MAP: GASPACE_MAP_REPLACE, GASPACE_MAP_POPULATE
 * @sp: what the range meets in the area set
 * @mc: the table pages the commit may link
 * @frames: MAP with POPULATE, fallocate: the frames to map
 * @pins: MAP_USER: the VMM's pages, pinned before the call took any lock
 * @freed: what the commit took out, freed after it
 * @fl: fallocate: the range, in flight from the prepare to the end, so
 *	that no fault gives one of its pages a frame meanwhile
 */
struct gaspace_change {
	enum gaspace_op op;
	u64 gpa;
	u64 end;
	const struct gaspace_area *area;
	u32 prot;
	u32 flags;
	struct gaspace_span sp;
	struct gpt_cache mc;
	struct gaspace_frames frames;
	struct gaspace_pins *pins;
	struct gaspace_frames freed;
	struct gaspace_inflight fl;
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
		if (gaspace_backend(&a)->lazy)
			sp->nr_lazy++;
		if (a.flags & GASPACE_MAP_USERFAULT)
			sp->userfault = true;
		sp->last = a;
		cur = a.end;
		cond_resched();
	}
	if (cur < end)
		sp->covered = false;
	sp->nr_after = gaspace_areas_after_store(as, gpa, end, filled);
	mutex_unlock(&as->pt_lock);
}

/* Areas the change leaves: PROTECT keeps a piece of each area inside. */
static u64 gaspace_change_nr_areas(const struct gaspace_change *ch)
{
	if (gaspace_op_in_place(ch->op))
		return ch->sp.nr_after + ch->sp.nr_old;
	return ch->sp.nr_after;
}

/*
 * What the area set allows: -EEXIST, -ENOENT, -ENOSPC; 1 when there is
 * nothing to do (UNMAP of a hole); 0 to go on.  map_lock held.
 */
static int gaspace_change_check(struct gaspace *as,
				const struct gaspace_change *ch)
{
	const struct gaspace_span *sp = &ch->sp;

	/* fallocate: alloc areas only (-ENXIO), FILL's (-EINVAL); discard: */
	if (ch->op == GASPACE_OP_FALLOC && (!sp->covered ||
					    sp->nr_lazy != sp->nr_old))
		return -ENXIO;
	if (ch->op == GASPACE_OP_FALLOC && sp->userfault)
		return -EINVAL;
	/* the alloc pages of the range, if any: holes and linear areas skip */
	if (gaspace_op_frames(ch->op))
		return ch->op == GASPACE_OP_DISCARD && !sp->nr_lazy;
	if (ch->op == GASPACE_OP_MAP && sp->nr_old &&
	    !(ch->flags & GASPACE_MAP_REPLACE))
		return -EEXIST;
	if (ch->op == GASPACE_OP_UNMAP && !sp->nr_old)
		return 1;
	if (gaspace_op_in_place(ch->op) && !sp->covered)
		return -ENOENT;
	if (gaspace_too_many_areas(as, gaspace_change_nr_areas(ch)))
		return -ENOSPC;
	return 0;
}

/*
 * The next run [*@s, *@e) of pages without a leaf from *@cur on, below
 * @end, in one area (*@a); *@cur moves past it.  pt_lock held.
 */
static bool gaspace_missing_next(struct gaspace *as, u64 *cur, u64 end,
				 struct gaspace_area *a, u64 *s, u64 *e)
{
	while (gaspace_area_next(as, *cur, end, a)) {
		u64 lim = min(end, a->end);

		if (!gpt_seek(&as->pt, max(*cur, a->start), lim, GPT_SEEK_HOLE,
			      s)) {
			if (gpt_seek(&as->pt, *s, lim, 0, e))
				*e = lim;
			*cur = *e;
			return true;
		}
		*cur = a->end;
	}
	return false;
}

/*
 * fallocate's prepare: the range goes in flight (after the faults in flight
 * there are done), so that its missing pages stay missing until the commit
 * (map_lock keeps UNMAP out); then each run of them gets its frames, as a
 * MAP with POPULATE would (2 MiB blocks in HUGE areas, but a logged area's
 * leaves are 4 KiB), pt_lock held only to find the runs.
 */
static int gaspace_falloc_prepare(struct gaspace *as,
				  struct gaspace_change *ch)
{
	const struct gaspace_backend *be;
	struct gaspace_area a;
	u64 cur = ch->gpa, s, e;
	bool found;
	int ret;

	ch->fl.start = ch->gpa;
	ch->fl.end = ch->end;
	do {
		ret = gaspace_inflight_begin(as, &ch->fl);
	} while (ret == -EAGAIN);
	if (ret) {
		ch->fl.end = 0;
		return ret;
	}
	for (;;) {
		mutex_lock(&as->pt_lock);
		found = gaspace_missing_next(as, &cur, ch->end, &a, &s, &e);
		mutex_unlock(&as->pt_lock);
		if (!found)
			return 0;
		if (a.flags & GASPACE_AREA_LOGGED)
			a.flags &= ~GASPACE_MAP_HUGE;
		be = gaspace_backend(&a);
		ret = be->prepare ? be->prepare(&a, s, e, gaspace_pa_limit(as),
						&ch->frames) : 0;
		if (ret)
			return ret;
	}
}

/*
 * Allocate everything the commit needs, under map_lock alone: the frames
 * of a POPULATE or a fallocate, the table pages of the new leaves and of
 * the splits at the edges of a range that meets areas.
 */
static int gaspace_change_prepare(struct gaspace *as,
				  struct gaspace_change *ch)
{
	unsigned long tables = ch->sp.nr_old ? gpt_split_bound(&as->pt) : 0;
	const struct gaspace_backend *be;
	int ret;

	if (ch->op == GASPACE_OP_FALLOC) {
		ret = gaspace_falloc_prepare(as, ch);
		if (ret)
			return ret;
		/* the runs' leaves, whichever they are: the range's as pages */
		be = gaspace_backend(&ch->sp.first);
		tables = be->map_bound(&as->pt, &ch->sp.first, ch->gpa, ch->end,
				       &ch->frames);
	}
	if (ch->op == GASPACE_OP_MAP) {
		be = gaspace_backend(ch->area);
		if ((ch->flags & GASPACE_MAP_POPULATE) && be->prepare) {
			ret = be->prepare(ch->area, ch->gpa, ch->end,
					  gaspace_pa_limit(as), &ch->frames);
			if (ret)
				return ret;
		}
		tables += be->map_bound(&as->pt, ch->area, ch->gpa, ch->end,
					&ch->frames);
	}
	if (ch->op == GASPACE_OP_LOG) {
		ret = gaspace_dirty_prepare(as, ch->gpa, ch->end);
		if (ret)
			return ret;
	}
	return gpt_cache_topup(&as->pt, &ch->mc, tables, GASPACE_GFP_TABLE);
}

/*
 * Table pages the commit takes that only the table as it is under pt_lock
 * tells: ENABLE splits every block of its range, and faults may have added
 * blocks since the prepare.  pt_lock held.
 */
static unsigned long gaspace_change_need(struct gaspace *as,
					 const struct gaspace_change *ch)
{
	if (ch->op != GASPACE_OP_LOG)
		return 0;
	return gpt_split_bound(&as->pt) +
	       gpt_wrprotect_bound(&as->pt, ch->gpa, ch->end - ch->gpa);
}

/* Take pt_lock with every table page the commit needs in ch->mc. */
static int gaspace_change_lock(struct gaspace *as, struct gaspace_change *ch)
{
	unsigned long need;
	int ret;

	for (;;) {
		mutex_lock(&as->pt_lock);
		need = gaspace_change_need(as, ch);
		if (need <= ch->mc.nr)
			return 0;
		mutex_unlock(&as->pt_lock);
		ret = gpt_cache_topup(&as->pt, &ch->mc, need,
				      GASPACE_GFP_TABLE);
		if (ret)
			return ret;
	}
}

/*
 * Split the areas across the edges of the range so that it holds whole
 * areas only; the piece inside takes the new prot for PROTECT, else keeps
 * its value.  These are the only stores of a call that can need new tree
 * nodes: they come first, fallible, and when the second fails the first
 * area is stored back over its whole range (which only merges), so the
 * set is exactly as it was.  map_lock and pt_lock held.
 */
static int gaspace_split_edges(struct gaspace *as,
			       const struct gaspace_change *ch)
{
	const struct gaspace_area *first = &ch->sp.first, *last = &ch->sp.last;
	bool split_last = ch->sp.nr_old > 1 && last->end > ch->end;
	struct gaspace_area a;
	int ret;

	if (first->start < ch->gpa || first->end > ch->end) {
		a = *first;
		if (ch->op == GASPACE_OP_PROTECT)
			a.prot = ch->prot;
		ret = gaspace_areas_store(as, max(ch->gpa, first->start),
					  min(ch->end, first->end), &a,
					  GASPACE_GFP_META);
		if (ret)
			return ret;
	}
	if (split_last) {
		a = *last;
		if (ch->op == GASPACE_OP_PROTECT)
			a.prot = ch->prot;
		ret = gaspace_areas_store(as, last->start, ch->end, &a,
					  GASPACE_GFP_META);
		if (ret) {
			if (first->start < ch->gpa)
				gaspace_areas_store(as, first->start,
						    first->end, first,
						    GASPACE_GFP_COMMIT);
			return ret;
		}
	}
	return 0;
}

/*
 * Take the leaves of every area of the range out of the table; each
 * backend releases what its leaves held into ch->freed.  The areas are
 * read from the tree, which still holds them.  Only the edges of the range
 * can cut a block (areas never share one): their pages are in ch->mc.
 */
static void gaspace_unmap_areas(struct gaspace *as, struct gaspace_change *ch)
{
	struct gaspace_area a;
	u64 cur = ch->gpa;

	while (gaspace_area_next(as, cur, ch->end, &a)) {
		u64 s = max(ch->gpa, a.start), e = min(ch->end, a.end);
		u64 before = ch->freed.nr_pages;

		ch->freed.area = &a;
		WARN_ON_ONCE(gpt_unmap(&as->pt, &ch->mc, s, e - s,
				       gaspace_backend(&a)->release,
				       &ch->freed));
		as->nr_data_pages -= ch->freed.nr_pages - before;
		if (a.flags & GASPACE_AREA_LOGGED) {
			gaspace_dirty_drop(as, s, e);
			as->logged_bytes -= e - s;
		}
		cur = a.end;
	}
}

/*
 * The commit of MAP and UNMAP.  Over a hole, the new area's store is the
 * first change and may fail.  Over areas, the edges are split first
 * (fallible); then the old leaves leave the table, and one store replaces
 * the whole areas by the new one or a hole: it never adds an entry, so the
 * few nodes it may take are given back as it ends, and it is made
 * __GFP_NOFAIL.  The new area's leaves come from the prepared pages.
 */
static int gaspace_replace_locked(struct gaspace *as,
				  struct gaspace_change *ch)
{
	const struct gaspace_area *area = ch->area;
	u64 nr = ch->frames.nr_pages;
	int ret;

	if (!ch->sp.nr_old) {
		ret = area ? gaspace_areas_store(as, ch->gpa, ch->end, area,
						 GASPACE_GFP_META) : 0;
		if (ret)
			return ret;
	} else {
		ret = gaspace_split_edges(as, ch);
		if (ret)
			return ret;
		gaspace_unmap_areas(as, ch);
		gaspace_areas_store(as, ch->gpa, ch->end, area,
				    GASPACE_GFP_COMMIT);
		gaspace_dirty_trim(as, ch->gpa, ch->end);
	}
	as->nr_areas = ch->sp.nr_after;
	if (!area)
		return 0;
	/* The prepared pages cover every table page: this cannot fail. */
	ret = gaspace_backend(area)->populate(&as->pt, &ch->mc, area, ch->gpa,
					      ch->end, &ch->frames);
	if (!WARN_ON_ONCE(ret))
		as->nr_data_pages += nr - ch->frames.nr_pages;
	return 0;
}

/*
 * PROTECT's table change, once the areas hold the new prot: one walk, or
 * where areas are logged one per area, so that their clean pages stay
 * without W (gaspace_area_gpt_prot()).
 */
static void gaspace_protect_table(struct gaspace *as,
				  struct gaspace_change *ch)
{
	struct gaspace_area a;
	u64 cur = ch->gpa;

	if (!as->logged_bytes) {
		WARN_ON_ONCE(gpt_protect(&as->pt, &ch->mc, ch->gpa,
					 ch->end - ch->gpa, ch->prot));
		return;
	}
	while (gaspace_area_next(as, cur, ch->end, &a)) {
		cur = a.end;
		WARN_ON_ONCE(gpt_protect(&as->pt, &ch->mc, a.start,
					 a.end - a.start,
					 gaspace_area_gpt_prot(&a) &
					 GPT_PROT_RWX));
	}
}

/*
 * The commit of PROTECT: every area of the range gets the new prot over its
 * part of it.  The edges are split first, with the new prot inside
 * (gaspace_split_edges()); every other area is then stored over its own
 * exact range, which replaces its value in place and needs no memory; then
 * the table's leaves change (they keep their memory type).
 */
static int gaspace_protect_locked(struct gaspace *as,
				  struct gaspace_change *ch)
{
	const struct gaspace_area *first = &ch->sp.first, *last = &ch->sp.last;
	u64 cur = first->start < ch->gpa || first->end > ch->end ?
		  first->end : ch->gpa;
	u64 inner_end = ch->sp.nr_old > 1 && last->end > ch->end ?
			last->start : ch->end;
	struct gaspace_area a;
	int ret;

	ret = gaspace_split_edges(as, ch);
	if (ret)
		return ret;
	while (gaspace_area_next(as, cur, inner_end, &a)) {
		cur = a.end;
		a.prot = ch->prot;
		gaspace_areas_store(as, a.start, a.end, &a,
				    GASPACE_GFP_COMMIT);
		cond_resched();
	}
	gaspace_protect_table(as, ch);
	as->nr_areas = gaspace_change_nr_areas(ch);
	return 0;
}

/*
 * The commit of DIRTY_LOG_ENABLE and DISABLE: the edges are split (the
 * pieces keep their value), then each area of the range that changes has
 * its table changed (addrspace/dirty.c) and its new value stored over its
 * own exact range.  The notifiers run once for what ENABLE protected.
 */
static int gaspace_log_locked(struct gaspace *as, struct gaspace_change *ch)
{
	bool log = ch->op == GASPACE_OP_LOG, changed = false;
	struct gaspace_area a;
	u64 cur = ch->gpa;
	int ret;

	ret = gaspace_split_edges(as, ch);
	if (ret)
		return ret;
	/* an area whose logging stays as it is keeps no block across an edge */
	WARN_ON_ONCE(gpt_split_at(&as->pt, &ch->mc, ch->gpa) ||
		     gpt_split_at(&as->pt, &ch->mc, ch->end));
	while (gaspace_area_next(as, cur, ch->end, &a)) {
		cur = a.end;
		if (!!(a.flags & GASPACE_AREA_LOGGED) == log)
			continue;
		a.flags ^= GASPACE_AREA_LOGGED;
		if (log)
			changed |= gaspace_dirty_start(as, &ch->mc, &a);
		else
			gaspace_dirty_stop(as, &a);
		gaspace_areas_store(as, a.start, a.end, &a,
				    GASPACE_GFP_COMMIT);
		cond_resched();
	}
	if (changed)
		gaspace_notify(as, ch->gpa, ch->end - ch->gpa);
	if (!log)
		gaspace_dirty_trim(as, ch->gpa, ch->end);
	as->nr_areas = gaspace_change_nr_areas(ch);
	return 0;
}

/*
 * The commit of fallocate: the runs of missing pages the prepare found,
 * the same since (in flight, map_lock held), are mapped from its frames, in
 * the same order; those of a logged area become dirty.
 */
static int gaspace_falloc_locked(struct gaspace *as,
				 struct gaspace_change *ch)
{
	u64 cur = ch->gpa, s, e, nr = ch->frames.nr_pages;
	struct gaspace_area a;

	while (gaspace_missing_next(as, &cur, ch->end, &a, &s, &e)) {
		if (a.flags & GASPACE_AREA_LOGGED)
			a.flags &= ~GASPACE_MAP_HUGE;
		/* the prepare gave every frame and table page: cannot fail */
		WARN_ON_ONCE(gaspace_backend(&a)->populate(&as->pt, &ch->mc, &a,
							   s, e, &ch->frames));
		if (a.flags & GASPACE_AREA_LOGGED)
			gaspace_dirty_mark_range(as, s, e);
	}
	as->nr_data_pages += nr - ch->frames.nr_pages;
	return 0;
}

/**
 * struct gaspace_discard_st - the leaves one area gives back to a discard
 * @as: the space
 * @area: the area
 * @freed: where its backend puts their memory
 */
struct gaspace_discard_st {
	struct gaspace *as;
	const struct gaspace_area *area;
	struct gaspace_frames *freed;
};

/* A discarded leaf: its memory is freed, and a logged page is dirty. */
static void gaspace_discard_leaf(void *arg, const struct gpt_leaf *leaf)
{
	struct gaspace_discard_st *st = arg;

	gaspace_backend(st->area)->release(st->freed, leaf);
	if (st->area->flags & GASPACE_AREA_LOGGED)
		gaspace_dirty_mark_range(st->as, leaf->gpa,
					 leaf->gpa + leaf->size);
}

/*
 * The commit of a discard: the leaves of the alloc areas of the range
 * leave the table (a block across an edge is split first, frames in
 * place, its pages' from ch->mc), the notifiers run, then each backend
 * releases what they held into ch->freed.  Areas, their prot and logging
 * stay; holes and linear areas are passed over.
 */
static int gaspace_discard_locked(struct gaspace *as,
				  struct gaspace_change *ch)
{
	struct gaspace_discard_st st = { .as = as, .freed = &ch->freed };
	struct gaspace_area a;
	u64 cur = ch->gpa;

	while (gaspace_area_next(as, cur, ch->end, &a)) {
		u64 s = max(ch->gpa, a.start), e = min(ch->end, a.end);
		u64 before = ch->freed.nr_pages;

		cur = a.end;
		if (!gaspace_backend(&a)->lazy)
			continue;
		st.area = &a;
		WARN_ON_ONCE(gpt_unmap(&as->pt, &ch->mc, s, e - s,
				       gaspace_discard_leaf, &st));
		as->nr_data_pages -= ch->freed.nr_pages - before;
	}
	return 0;
}

/* The commit of each change, under pt_lock. */
static int (*const gaspace_commit_locked[])(struct gaspace *as,
					    struct gaspace_change *ch) = {
	[GASPACE_OP_MAP]	= gaspace_replace_locked,
	[GASPACE_OP_UNMAP]	= gaspace_replace_locked,
	[GASPACE_OP_PROTECT]	= gaspace_protect_locked,
	[GASPACE_OP_LOG]	= gaspace_log_locked,
	[GASPACE_OP_UNLOG]	= gaspace_log_locked,
	[GASPACE_OP_FALLOC]	= gaspace_falloc_locked,
	[GASPACE_OP_DISCARD]	= gaspace_discard_locked,
};

/*
 * After the commit, pt_lock dropped: the VMM's mappings of what was
 * removed or discarded are zapped, and accesses waiting for its missing
 * pages end; the VMM's mappings of what starts logging are
 * write-protected.
 */
static void gaspace_change_after(struct gaspace *as, struct gaspace_change *ch)
{
	if (ch->op == GASPACE_OP_LOG) {
		gaspace_dirty_wp_vmm(as, ch->gpa, ch->end, NULL);
	} else if (ch->op == GASPACE_OP_DISCARD ||
		   (!gaspace_op_in_place(ch->op) && ch->sp.nr_old)) {
		gaspace_zap(as, ch->gpa, ch->end - ch->gpa, &ch->freed);
		gaspace_userfault_end(as, ch->gpa, ch->end, -ENOENT);
	}
}

/*
 * One MAP, UNMAP, PROTECT, DIRTY_LOG_ENABLE, DISABLE, fallocate or discard
 * whose arguments are checked: check the area set, prepare, commit (with
 * lockless readers told by as->seq), then zap and free.  Return: 0 or the
 * errno of the step that failed, with the space unchanged.
 */
static int gaspace_change(struct gaspace *as, struct gaspace_change *ch)
{
	int ret;

	gpt_cache_init(&ch->mc);
	gaspace_frames_init(&ch->frames);
	ch->frames.pins = ch->pins;
	gaspace_frames_init(&ch->freed);
	mutex_lock(&as->map_lock);
	gaspace_span_scan(as, ch->gpa, ch->end, ch->op == GASPACE_OP_MAP,
			  &ch->sp);
	ret = gaspace_change_check(as, ch) ?: gaspace_change_prepare(as, ch) ?:
	      gaspace_change_lock(as, ch);
	if (!ret) {
		/* readers never wait for it: a sleeping writer is fine */
		raw_write_seqcount_begin(&as->seq);
		gpt_gen_begin(&as->pt);
		ret = gaspace_commit_locked[ch->op](as, ch);
		gpt_gen_end(&as->pt);
		raw_write_seqcount_end(&as->seq);
		mutex_unlock(&as->pt_lock);
		if (!ret)
			gaspace_change_after(as, ch);
	}
	if (ch->fl.end)
		gaspace_inflight_end(as, &ch->fl);
	if (ret && ch->op == GASPACE_OP_LOG) {
		mutex_lock(&as->pt_lock);
		gaspace_dirty_trim(as, ch->gpa, ch->end);
		mutex_unlock(&as->pt_lock);
	}
	mutex_unlock(&as->map_lock);
	gpt_cache_free(&as->pt, &ch->mc);
	gaspace_frames_free(&ch->frames);
	gaspace_frames_free(&ch->freed);
	return ret > 0 ? 0 : ret;
}

/* MAP_LINEAR and MAP_ALLOC once their arguments are checked. */
static int gaspace_map(struct gaspace *as, u64 gpa, u64 size,
		       struct gaspace_area *area, u32 flags)
{
	struct gaspace_change ch = {
		.op	= GASPACE_OP_MAP,
		.gpa	= gpa,
		.end	= gpa + size,
		.area	= area,
		.flags	= flags,
	};

	area->start = gpa;
	area->end = gpa + size;
	return gaspace_change(as, &ch);
}

/*
 * The part of MAP_LINEAR that /dev/gaspace and the exported API share;
 * @from_user adds the System RAM rule, which kernel callers are trusted on.
 */
static int __gaspace_do_map_linear(struct gaspace *as, u64 gpa, u64 hpa,
				   u64 size, u32 prot, u32 flags,
				   bool from_user)
{
	struct gaspace_area area = {
		.prot		= prot,
		.backend	= GASPACE_BACKEND_LINEAR,
		.flags		= flags & (GASPACE_MAP_DEVICE | GASPACE_MAP_NOHUGE),
		.delta		= hpa - gpa,
	};
	int ret;

	if (!PAGE_ALIGNED(hpa) || hpa + size < hpa ||
	    hpa + size > gaspace_pa_limit(as))
		return -EINVAL;
	ret = check_map(gpa, size, prot, flags, GASPACE_LINEAR_FLAGS) ?:
	      check_in(as, gpa, size);
	if (ret)
		return ret;
	if (from_user && !READ_ONCE(gaspace_linear_ram) &&
	    region_intersects(hpa, size, IORESOURCE_SYSTEM_RAM,
			      IORES_DESC_NONE) != REGION_DISJOINT)
		return -EPERM;
	return gaspace_map(as, gpa, size, &area, flags);
}

int gaspace_do_map_linear(struct gaspace *as, u64 gpa, u64 hpa, u64 size,
			  u32 prot, u32 flags, bool from_user)
{
	int ret = __gaspace_do_map_linear(as, gpa, hpa, size, prot, flags,
					  from_user);

	trace_gaspace_map(as->ino, gpa, size, hpa, prot,
			  GASPACE_BACKEND_LINEAR, flags, ret);
	return ret;
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

static int __gaspace_map_alloc(struct gaspace *as, u64 gpa, u64 size,
			       u32 prot, u32 flags)
{
	struct gaspace_area area = {
		.prot		= prot,
		.backend	= GASPACE_BACKEND_ALLOC,
		.flags		= flags & (GASPACE_MAP_HUGE | GASPACE_MAP_USERFAULT),
	};
	int ret;

	/* a USERFAULT area's pages come from FILL, 4 KiB at a time */
	if ((flags & GASPACE_MAP_USERFAULT) &&
	    (flags & (GASPACE_MAP_POPULATE | GASPACE_MAP_HUGE)))
		return -EINVAL;
	ret = check_map(gpa, size, prot, flags, GASPACE_ALLOC_FLAGS) ?:
	      check_in(as, gpa, size);
	if (ret)
		return ret;
	return gaspace_map(as, gpa, size, &area, flags);
}

/**
 * gaspace_map_alloc() - give guest-physical memory frames of its own
 * @as: the space
 * @gpa: first guest-physical address, page aligned
 * @size: bytes, page aligned, > 0
 * @prot: GASPACE_PROT_*
 * @flags: GASPACE_MAP_POPULATE (allocate now), GASPACE_MAP_HUGE (2 MiB
 *	frames where possible), GASPACE_MAP_REPLACE, GASPACE_MAP_USERFAULT
 *	(pages come from FILL; neither POPULATE nor HUGE)
 *
 * Creates one area; frames are zeroed and charged to the caller's memory
 * cgroup, now with POPULATE, else one page (or 2 MiB block) per fault; in
 * a USERFAULT area an access to a missing page waits for FILL instead.
 *
 * Return: 0; -EINVAL, -ERANGE, -EEXIST, -ENOSPC, -ENOMEM, -EINTR as the
 * uAPI, with the space unchanged on error.
 */
int gaspace_map_alloc(struct gaspace *as, u64 gpa, u64 size, u32 prot,
		      u32 flags)
{
	int ret = __gaspace_map_alloc(as, gpa, size, prot, flags);

	trace_gaspace_map(as->ino, gpa, size, 0, prot, GASPACE_BACKEND_ALLOC,
			  flags, ret);
	return ret;
}
EXPORT_SYMBOL_GPL(gaspace_map_alloc);

static int __gaspace_do_map_user(struct gaspace *as, u64 gpa, u64 size,
				 u64 uaddr, u32 prot, u32 flags)
{
	struct gaspace_area area = {
		.prot		= prot,
		.backend	= GASPACE_BACKEND_USER,
		.flags		= flags & GASPACE_MAP_NOHUGE,
	};
	struct gaspace_area old;
	struct gaspace_pins pins;
	struct gaspace_change ch = {
		.op	= GASPACE_OP_MAP,
		.gpa	= gpa,
		.end	= gpa + size,
		.area	= &area,
		.flags	= flags,
		.pins	= &pins,
	};
	int ret;

	if (!PAGE_ALIGNED(uaddr) || uaddr + size < uaddr)
		return -EINVAL;
	ret = check_map(gpa, size, prot, flags, GASPACE_USER_FLAGS) ?:
	      check_in(as, gpa, size);
	if (ret)
		return ret;
	/* an overlap is told before any page is pinned (and again after) */
	if (!(flags & GASPACE_MAP_REPLACE)) {
		mutex_lock(&as->pt_lock);
		ret = gaspace_area_next(as, gpa, gpa + size, &old) ? -EEXIST : 0;
		mutex_unlock(&as->pt_lock);
		if (ret)
			return ret;
	}
	ret = gaspace_user_pin(&pins, uaddr, gpa, size, gaspace_pa_limit(as));
	if (ret)
		return ret;
	area.start = gpa;
	area.end = gpa + size;
	area.delta = gaspace_user_owner(pins.uid);
	ret = gaspace_change(as, &ch);
	gaspace_user_unpin_rest(&pins);
	return ret;
}

/**
 * gaspace_do_map_user() - MAP_USER: the caller's memory as guest RAM
 * @as: the space
 * @gpa: first guest-physical address, page aligned
 * @size: bytes, page aligned, > 0
 * @uaddr: the caller's address of the memory, page aligned
 * @prot: GASPACE_PROT_*
 * @flags: GASPACE_MAP_NOHUGE, GASPACE_MAP_REPLACE
 *
 * The pages are pinned and charged (backends/user.c) after the arguments
 * are checked and before any lock of the space is taken; the area holds
 * them until UNMAP, REPLACE or the space's end removes its leaves.
 *
 * Return: 0; -EINVAL, -ERANGE, -EEXIST; then the pinning's -ENOMEM (past
 * RLIMIT_MEMLOCK), -EFAULT (a hole or a page that cannot be pinned),
 * -EINTR; then -ENOSPC, -ENOMEM; the space unchanged and nothing left
 * pinned on error.
 */
int gaspace_do_map_user(struct gaspace *as, u64 gpa, u64 size, u64 uaddr,
			u32 prot, u32 flags)
{
	int ret = __gaspace_do_map_user(as, gpa, size, uaddr, prot, flags);

	trace_gaspace_map(as->ino, gpa, size, 0, prot, GASPACE_BACKEND_USER,
			  flags, ret);
	return ret;
}

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
	struct gaspace_change ch = {
		.op	= GASPACE_OP_UNMAP,
		.gpa	= gpa,
		.end	= gpa + size,
	};
	int ret = check_span(gpa, size) ?: check_in(as, gpa, size) ?:
		  gaspace_change(as, &ch);

	trace_gaspace_unmap(as->ino, gpa, size, ret);
	return ret;
}
EXPORT_SYMBOL_GPL(gaspace_unmap);

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
	struct gaspace_change ch = {
		.op	= GASPACE_OP_PROTECT,
		.gpa	= gpa,
		.end	= gpa + size,
		.prot	= prot,
	};
	int ret = check_prot(prot) ?: check_span(gpa, size) ?:
		  check_in(as, gpa, size) ?: gaspace_change(as, &ch);

	trace_gaspace_protect(as->ino, gpa, size, prot, ret);
	return ret;
}
EXPORT_SYMBOL_GPL(gaspace_protect);

/* DIRTY_LOG_ENABLE and DISABLE once their arguments are checked. */
static int gaspace_log(struct gaspace *as, u64 gpa, u64 size, bool log)
{
	struct gaspace_change ch = {
		.op	= log ? GASPACE_OP_LOG : GASPACE_OP_UNLOG,
		.gpa	= gpa,
		.end	= gpa + size,
	};
	int ret = gaspace_check_range(as, gpa, size) ?: gaspace_change(as, &ch);

	trace_gaspace_dirty_log(as->ino, log ? GASPACE_TRACE_LOG_ENABLE :
					      GASPACE_TRACE_LOG_DISABLE,
				gpa, size, 0, ret);
	return ret;
}

/**
 * gaspace_dirty_log_enable() - start dirty logging a range
 * @as: the space
 * @gpa: first guest-physical address, page aligned
 * @size: bytes, page aligned, > 0; must be covered by areas
 *
 * Areas are split at both edges.  Every page of the range that was not
 * logged starts clean: its leaf becomes 4 KiB (blocks are split, frames
 * stay in place) without W, and the VMM's mappings of it read-only, so
 * that the next write of any kind marks it (see gaspace_get_dirty_log()).
 * Pages already logged keep their state.
 *
 * Return: 0; -EINVAL, -ERANGE, -ENOENT (a hole in the range), -ENOSPC,
 * -ENOMEM with the space unchanged.
 */
int gaspace_dirty_log_enable(struct gaspace *as, u64 gpa, u64 size)
{
	return gaspace_log(as, gpa, size, true);
}
EXPORT_SYMBOL_GPL(gaspace_dirty_log_enable);

/**
 * gaspace_dirty_log_disable() - stop dirty logging a range
 * @as: the space
 * @gpa: first guest-physical address, page aligned
 * @size: bytes, page aligned, > 0; must be covered by areas
 *
 * The range's dirty bits are dropped; its leaves carry their area's prot
 * again and are the largest blocks the area's backend maps (linear: as at
 * its map; alloc: whole 2 MiB frames of HUGE areas).  Pages not logged
 * keep their state.
 *
 * Return: 0; -EINVAL, -ERANGE, -ENOENT, -ENOSPC, -ENOMEM with the space
 * unchanged.
 */
int gaspace_dirty_log_disable(struct gaspace *as, u64 gpa, u64 size)
{
	return gaspace_log(as, gpa, size, false);
}
EXPORT_SYMBOL_GPL(gaspace_dirty_log_disable);

/* ---- the fd as a file: fallocate ---- */

/**
 * gaspace_allocate() - give every missing page of a range its frame
 * @as: the space
 * @gpa: first byte, any address
 * @size: bytes, > 0; every page the range meets is populated
 *
 * What fallocate() with mode 0 or FALLOC_FL_KEEP_SIZE does on the fd: the
 * pages are populated as a MAP with POPULATE would (2 MiB frames in HUGE
 * areas, 4 KiB while logged), not on demand (nr_demand_faults does not
 * move); those of a logged area become dirty.  Pages that have a frame
 * keep it.  All or nothing.
 *
 * Return: 0; -EINVAL for an empty or wrapping range, -ERANGE outside the
 * space, -ENXIO when part of it is not in alloc areas, -EINVAL when part of
 * it is in a GASPACE_MAP_USERFAULT area (FILL gives those pages), -ENOMEM,
 * -EINTR; the space unchanged on error.
 */
int gaspace_allocate(struct gaspace *as, u64 gpa, u64 size)
{
	struct gaspace_change ch = {
		.op	= GASPACE_OP_FALLOC,
		.gpa	= round_down(gpa, PAGE_SIZE),
	};
	int ret;

	if (!size || gpa + size < gpa)
		return -EINVAL;
	ret = check_in(as, gpa, size);
	if (ret)
		return ret;
	ch.end = round_up(gpa + size, PAGE_SIZE);
	return gaspace_change(as, &ch);
}
EXPORT_SYMBOL_NS_GPL(gaspace_allocate, GASPACE_INTERNAL);

/**
 * gaspace_discard() - give the frames of a range back, keeping its areas
 * @as: the space
 * @gpa: first byte, any address
 * @size: bytes, > 0
 *
 * What fallocate(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE) does on the
 * fd.  The frames of the alloc pages wholly inside the range are freed
 * (part of a 2 MiB frame: exactly those 4 KiB pages, the rest stay in
 * place as 4 KiB leaves), after the notifiers ran for them; the bytes of a
 * page the range covers in part are zeroed in place, and it keeps its
 * frame.  Areas, their prot and their logging stay: a later access gets a
 * fresh zeroed page, or in a GASPACE_MAP_USERFAULT area raises an event.
 * The VMM's mappings of the range are zapped (a touch then populates; no
 * SIGBUS), accesses waiting for a missing page of the range end with
 * -ENOENT, and a logged page that had a frame becomes dirty.  Holes and
 * linear areas in the range are passed over.
 *
 * Return: 0; -EINVAL for an empty or wrapping range, -ERANGE outside the
 * space, -ENOMEM (a split of a 2 MiB leaf), the space unchanged on error.
 */
int gaspace_discard(struct gaspace *as, u64 gpa, u64 size)
{
	struct gaspace_change ch = {
		.op	= GASPACE_OP_DISCARD,
		.gpa	= round_up(gpa, PAGE_SIZE),
	};
	u64 end = gpa + size;
	int ret;

	if (!size || end < gpa)
		return -EINVAL;
	ret = check_in(as, gpa, size);
	if (ret)
		return ret;
	ch.end = round_down(end, PAGE_SIZE);
	if (ch.gpa < ch.end) {
		ret = gaspace_change(as, &ch);
		if (ret)
			return ret;
	}
	/* the pages at the edges that the range covers in part */
	if (!PAGE_ALIGNED(gpa))
		gaspace_zero_bytes(as, gpa, min(end, round_up(gpa, PAGE_SIZE)));
	if (!PAGE_ALIGNED(end) &&
	    round_down(end, PAGE_SIZE) >= round_up(gpa, PAGE_SIZE))
		gaspace_zero_bytes(as, round_down(end, PAGE_SIZE), end);
	return 0;
}
EXPORT_SYMBOL_GPL(gaspace_discard);

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
	out->nr_leaves_4k = as->pt.nr_present[0];
	out->nr_leaves_2m = as->pt.nr_present[1];
	out->nr_leaves_1g = as->pt.nr_present[2];
	out->nr_demand_faults = as->nr_demand_faults;
	out->nr_dirty_pages = as->nr_dirty;
	out->nr_userfaults = READ_ONCE(as->uf.nr_events);
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
