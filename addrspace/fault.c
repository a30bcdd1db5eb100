// SPDX-License-Identifier: GPL-2.0
/*
 * Lookups and faults: TRANSLATE, the fault hook, and the population of a
 * lazy page that the hook, FAULT, pwrite and VMM touches share.
 *
 * Both start without a lock: the area tree and the table are read under
 * rcu_read_lock() (internal.h).  TRANSLATE is done there unless a change
 * was committed meanwhile (as->seq), when it looks again under pt_lock.  A
 * fault on a present page is done there too; one that must allocate takes
 * its page (or 2 MiB block) in flight, allocates the frame and the table
 * pages its path lacks with no lock held, and takes pt_lock only to check
 * that nothing changed and link them.  So faults on distinct pages
 * allocate in parallel, a fault waits on pt_lock for one table change at
 * most, and faults on one page allocate one frame: the later ones wait for
 * the first and find its frame.
 */
#include <linux/export.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>

#include "../npt/lookup.h"
#include "areas.h"
#include "internal.h"
#include "tcache.h"
#include "trace.h"

/* ---- lookups without a lock ---- */

/**
 * struct gaspace_lookup - one lookup of TRANSLATE or a fault
 * @gpa: the address
 * @access: a fault's access
 * @area: out: the area that holds @gpa
 * @out: TRANSLATE's answer, or NULL for a fault
 */
struct gaspace_lookup {
	u64 gpa;
	u32 access;
	struct gaspace_area area;
	struct gaspace_translation *out;
};

typedef int (*gaspace_look_fn)(struct gaspace *as, struct gaspace_lookup *l);

/*
 * Run @look under rcu_read_lock() alone, and again under pt_lock when a
 * commit of MAP, UNMAP or PROTECT ran meanwhile (as->seq odd or moved): it
 * sees the areas and the table of one moment, never an area without its
 * leaves or a prot half changed.  Inlined, so that @look is a direct call:
 * TRANSLATE is a VMM's per-exit lookup.
 */
static __always_inline int gaspace_look(struct gaspace *as,
					gaspace_look_fn look,
					struct gaspace_lookup *l)
{
	unsigned int seq;
	int ret;

	rcu_read_lock();
	seq = raw_read_seqcount(&as->seq);
	if (!(seq & 1)) {
		ret = look(as, l);
		if (!read_seqcount_retry(&as->seq, seq)) {
			rcu_read_unlock();
			return ret;
		}
	}
	rcu_read_unlock();
	mutex_lock(&as->pt_lock);
	ret = look(as, l);
	mutex_unlock(&as->pt_lock);
	return ret;
}

static __always_inline int
gaspace_translate_look(struct gaspace *as, struct gaspace_lookup *l)
{
	struct gaspace_translation *out = l->out;
	struct gpt_leaf leaf;

	if (!__gaspace_area_find(as, l->gpa, &l->area) || !l->area.prot)
		return -ENOENT;
	if (__gpt_query(&as->pt, l->gpa, &leaf) || !(leaf.prot & GPT_PROT_RWX))
		return -ENOENT;
	/* field by field: a memset is a rep stos, costly under emulation */
	out->gpa = l->gpa;
	out->hpa = leaf.pa + (l->gpa - leaf.gpa);
	out->page_size = leaf.size;
	out->limit = l->area.end - l->gpa;
	/* a clean page of a logged area: its leaf lacks W (dirty.c) */
	out->prot = l->area.prot & (leaf.prot | ~GASPACE_PROT_WRITE);
	out->backend = l->area.backend;
	out->level = leaf.level;
	out->pad = 0;
	return 0;
}

/*
 * gaspace_translate() without asking the translation cache, for a caller
 * that asked it already (the ioctl); keeps the answer there.  Out of line:
 * a hit needs none of its stack.
 */
noinline int gaspace_translate_lookup(struct gaspace *as, u64 gpa,
				      struct gaspace_translation *out)
{
	/* no zeroing (INIT_STACK_ALL_ZERO): the lookup fills what it reads */
	struct gaspace_lookup l __uninitialized;
	u64 gen;
	int ret;

	if (gpa < as->base || gpa - as->base >= as->size)
		return -ERANGE;
	gen = gpt_gen_read(&as->pt);
	l.gpa = gpa;
	l.out = out;
	ret = gaspace_look(as, gaspace_translate_look, &l);
	if (!ret)
		gaspace_tcache_put(as, gen, out);
	return ret;
}

/**
 * gaspace_translate() - where a guest-physical byte is
 * @as: the space
 * @gpa: any byte address
 * @out: filled in on success: hpa of the byte, leaf size and level, the
 *	area's prot and backend, bytes to the end of the area
 *
 * Takes no lock unless a MAP, UNMAP or PROTECT commits meanwhile.  Answers
 * from the space's translation cache when it holds a current answer for
 * @gpa's page (tcache.h), and keeps what it looked up there.
 *
 * Return: 0; -ERANGE outside the space; -ENOENT when no present leaf holds
 * @gpa (no area, prot 0, or a lazy page not yet faulted).
 */
int gaspace_translate(struct gaspace *as, u64 gpa,
		      struct gaspace_translation *out)
{
	/* a hit is inside the space: only its pages are stored */
	if (gaspace_tcache_get(as, gpa, out))
		return 0;
	return gaspace_translate_lookup(as, gpa, out);
}
EXPORT_SYMBOL_GPL(gaspace_translate);

/* ---- faults in flight ---- */

static bool gaspace_inflight_busy(struct gaspace *as, u64 start, u64 end)
{
	struct gaspace_inflight *f;

	lockdep_assert_held(&as->fault_lock);
	list_for_each_entry(f, &as->faults, node)
		if (f->start < end && start < f->end)
			return true;
	return false;
}

static bool gaspace_inflight_clear(struct gaspace *as, u64 start, u64 end)
{
	bool busy;

	spin_lock(&as->fault_lock);
	busy = gaspace_inflight_busy(as, start, end);
	spin_unlock(&as->fault_lock);
	return !busy;
}

/**
 * gaspace_inflight_begin() - take a range in flight for a fault
 * @as: the space
 * @me: the fault's record, @me->start and @me->end set
 *
 * Puts @me in flight over [start, end), or waits until no fault is in
 * flight there.
 *
 * Return: 0 when @me is in flight; -EAGAIN after a wait (look again: the
 * other fault may have mapped the page); -EINTR.
 */
int gaspace_inflight_begin(struct gaspace *as, struct gaspace_inflight *me)
{
	spin_lock(&as->fault_lock);
	if (!gaspace_inflight_busy(as, me->start, me->end)) {
		list_add(&me->node, &as->faults);
		spin_unlock(&as->fault_lock);
		return 0;
	}
	spin_unlock(&as->fault_lock);
	if (wait_event_killable(as->fault_wq,
				gaspace_inflight_clear(as, me->start, me->end)))
		return -EINTR;
	return -EAGAIN;
}
EXPORT_SYMBOL_NS_GPL(gaspace_inflight_begin, GASPACE_INTERNAL);

/**
 * gaspace_inflight_end() - the fault is done: wake those waiting for it
 * @as: the space
 * @me: a record gaspace_inflight_begin() put in flight
 */
void gaspace_inflight_end(struct gaspace *as, struct gaspace_inflight *me)
{
	spin_lock(&as->fault_lock);
	list_del(&me->node);
	spin_unlock(&as->fault_lock);
	/* a waiter is queued before it looks at the list: see wq_has_sleeper() */
	if (wq_has_sleeper(&as->fault_wq))
		wake_up_all(&as->fault_wq);
}
EXPORT_SYMBOL_NS_GPL(gaspace_inflight_end, GASPACE_INTERNAL);

/* ---- populating a lazy page ---- */

/* Whether two lookups found the same area, value and range. */
bool gaspace_area_same(const struct gaspace_area *a,
		       const struct gaspace_area *b)
{
	return a->start == b->start && a->end == b->end &&
	       a->delta == b->delta && a->prot == b->prot &&
	       a->backend == b->backend && a->flags == b->flags;
}

/**
 * struct gaspace_pop - the population of one lazy page
 * @gpa: the address that faulted
 * @a: its area, as the fault found it
 * @gfp: for the frame and the table pages
 * @frames: the memory the backend gave
 * @mc: the table pages the leaf takes
 * @start: first address the memory maps
 * @size: its size: the page, or its 2 MiB block
 * @pagep: NULL, or where the frame of @gpa goes, with a reference
 * @locked: NULL, or as for gaspace_frame_locked()
 */
struct gaspace_pop {
	u64 gpa;
	const struct gaspace_area *a;
	gfp_t gfp;
	struct gaspace_frames frames;
	struct gpt_cache mc;
	u64 start;
	u64 size;
	struct page **pagep;
	bool *locked;
};

/*
 * Link the memory of @f if the page is still as the fault found it: in
 * the same area, without a leaf.  Return: 0; -EAGAIN (look again: the
 * area changed, or the page is present); a count > 0: the cache lacks
 * that many table pages.
 */
static int gaspace_fault_link(struct gaspace *as, struct gaspace_pop *f)
{
	struct gaspace_area now;
	u64 nr = f->frames.nr_pages;
	long need;
	int ret = -EAGAIN;

	mutex_lock(&as->pt_lock);
	if (!__gaspace_area_find(as, f->gpa, &now) ||
	    !gaspace_area_same(f->a, &now))
		goto out;
	need = gpt_leaf_bound(&as->pt, f->gpa, f->size == SZ_2M ? 1 : 0);
	if (need < 0)
		goto out;
	ret = need;
	if (need > f->mc.nr)
		goto out;
	ret = gaspace_backend(f->a)->populate(&as->pt, &f->mc, f->a, f->start,
					      f->start + f->size, &f->frames);
	/* Checked above: nothing can fail, so nothing is undone. */
	if (!WARN_ON_ONCE(ret)) {
		as->nr_data_pages += nr - f->frames.nr_pages;
		as->nr_demand_faults++;
	}
	if (!ret && f->pagep)
		*f->pagep = gaspace_frame_locked(as, f->a, f->gpa, f->locked);
out:
	mutex_unlock(&as->pt_lock);
	return ret;
}

/* Table pages a leaf at @level for @gpa takes now, or -EEXIST. */
static long gaspace_leaf_need(struct gaspace *as, u64 gpa, u32 level)
{
	long need;

	rcu_read_lock();
	need = gpt_leaf_bound(&as->pt, gpa, level);
	rcu_read_unlock();
	return need;
}

/*
 * The page of f->gpa was found without a leaf: give it (or its 2 MiB
 * block) its memory while in flight.  Return: 0, -EAGAIN (look again),
 * -ENOMEM, -EINTR.
 */
static int gaspace_fault_fill(struct gaspace *as, struct gaspace_pop *f)
{
	const struct gaspace_backend *be = gaspace_backend(f->a);
	u64 pa_limit = BIT_ULL(as->pt.fmt->geo.pa_bits);
	long need = -EEXIST;
	int ret;

	/* a whole block only where nothing of it is mapped yet, and unlogged */
	if ((f->a->flags & (GASPACE_MAP_HUGE | GASPACE_AREA_LOGGED)) ==
	    GASPACE_MAP_HUGE)
		need = gaspace_leaf_need(as, f->gpa, 1);
	ret = be->fault_frames(f->a, f->gpa, need >= 0, f->gfp, pa_limit,
			       &f->frames, &f->start, &f->size);
	if (!ret && f->size == SZ_2M)
		ret = gpt_cache_topup(&as->pt, &f->mc, need, f->gfp);
	/* a page's table pages are mostly there: the link says what lacks */
	while (!ret) {
		ret = gaspace_fault_link(as, f);
		if (ret <= 0)
			break;
		ret = gpt_cache_topup(&as->pt, &f->mc, ret, f->gfp);
	}
	return ret;
}

/**
 * gaspace_populate() - give a lazy page its frame
 * @as: the space; no lock of it held
 * @gpa: any byte of the page
 * @a: the lazy area that held it when the caller looked
 * @access: the access (GASPACE_PROT_*), with GASPACE_ACCESS_VMM for a VMM
 *	touch: its frame and table pages then fail as anonymous memory does
 *	(the cgroup's OOM killer)
 * @pagep: if not NULL, and the area's memory is the VMM's to reach, gets
 *	the frame of @gpa with a reference on success
 * @locked: with @pagep: NULL, or as for gaspace_frame_locked()
 *
 * In a HUGE area a whole 2 MiB block is populated where it fits and nothing
 * in it is yet.  A fault on a page (block) that another fault is filling
 * waits for it.  Every page is allocated before pt_lock is taken and the
 * table changes, so a failure changes nothing.  A page of a USERFAULT area
 * is never populated here: its access raises an event and waits for FILL
 * (gaspace_userfault()).
 *
 * Return: 0 when the page is present; -EAGAIN when the caller must look at
 * the area again (it changed, or another fault or FILL gave the page its
 * frame); -ENOMEM, -EINTR; in a USERFAULT area -ENOENT, -EIO, or
 * -EINPROGRESS for a VMM touch (see gaspace_userfault()).
 */
int gaspace_populate(struct gaspace *as, u64 gpa,
		     const struct gaspace_area *a, u32 access,
		     struct page **pagep, bool *locked)
{
	struct gaspace_pop f = {
		.gpa	= gpa,
		.a	= a,
		.gfp	= access & GASPACE_ACCESS_VMM ? GASPACE_GFP_FRAME_VMM :
							GASPACE_GFP_FRAME,
		.pagep	= pagep,
		.locked	= locked,
	};
	struct gaspace_inflight me;
	int ret;

	if (fatal_signal_pending(current))
		return -EINTR;
	if (a->flags & GASPACE_MAP_USERFAULT)
		return gaspace_userfault(as, gpa, a, access);
	me.start = round_down(gpa, PAGE_SIZE);
	me.end = me.start + PAGE_SIZE;
	if ((a->flags & (GASPACE_MAP_HUGE | GASPACE_AREA_LOGGED)) ==
	    GASPACE_MAP_HUGE) {
		me.start = max(round_down(gpa, SZ_2M), a->start);
		me.end = min(round_down(gpa, SZ_2M) + SZ_2M, a->end);
	}
	ret = gaspace_inflight_begin(as, &me);
	if (ret)
		return ret;
	gaspace_frames_init(&f.frames);
	gpt_cache_init(&f.mc);
	ret = gaspace_fault_fill(as, &f);
	gaspace_inflight_end(as, &me);
	gpt_cache_free(&as->pt, &f.mc);
	gaspace_frames_free(&f.frames);
	return ret;
}

/* ---- the fault hook ---- */

/* What a fault must do once its first look is done. */
enum {
	GASPACE_FAULT_POPULATE = 1,	/* give the lazy page its frame */
	GASPACE_FAULT_WRITE,		/* give the leaf W (dirty.c) */
};

/*
 * -ENOENT, -EACCES, 0 when nothing is to be done (a present page, or an
 * area whose leaves exist from its map on), GASPACE_FAULT_POPULATE or
 * GASPACE_FAULT_WRITE for the page of area l->area.
 */
static int gaspace_fault_look(struct gaspace *as, struct gaspace_lookup *l)
{
	struct gpt_leaf leaf;

	if (!__gaspace_area_find(as, l->gpa, &l->area))
		return -ENOENT;
	if (l->access & ~l->area.prot)
		return -EACCES;
	if (__gpt_query(&as->pt, l->gpa, &leaf))
		return gaspace_backend(&l->area)->lazy ?
		       GASPACE_FAULT_POPULATE : 0;
	if (l->access & ~leaf.prot & GASPACE_PROT_WRITE)
		return GASPACE_FAULT_WRITE;
	return 0;
}

static int __gaspace_handle_fault(struct gaspace *as, u64 gpa, u32 access)
{
	struct gaspace_lookup l = { .gpa = gpa, .access = access };
	int ret;

	if (!access || (access & ~GPT_PROT_RWX))
		return -EINVAL;
	if (gpa < as->base || gpa - as->base >= as->size)
		return -ERANGE;
	do {
		ret = gaspace_look(as, gaspace_fault_look, &l);
		if (ret == GASPACE_FAULT_POPULATE) {
			ret = gaspace_populate(as, gpa, &l.area, access,
					       NULL, NULL);
			/* a logged page comes clean: a write marks it next */
			if (!ret && (access & GASPACE_PROT_WRITE) &&
			    (l.area.flags & GASPACE_AREA_LOGGED))
				ret = -EAGAIN;
		} else if (ret == GASPACE_FAULT_WRITE) {
			ret = gaspace_dirty_fault(as, gpa, &l.area);
		}
	} while (ret == -EAGAIN);
	return ret;
}

/**
 * gaspace_handle_fault() - the fault hook
 * @as: the space
 * @gpa: any byte address the guest accessed
 * @access: the access, a non-empty subset of GASPACE_PROT_*
 *
 * Makes the page present: a lazy alloc page is populated (a whole 2 MiB
 * block in a HUGE area where it fits and the area is not dirty-logged).
 * A missing page of a USERFAULT area raises an event on the userfault fd
 * (one per page, however many wait) and the caller sleeps, interruptibly,
 * until FILL gives the page its bytes.
 * A write to a clean page of a logged area marks it dirty and gives its
 * leaf W; the caller's TLB may still hold the leaf without W, which a
 * hypervisor whose CPU keeps it after the fault flushes for @gpa.
 * Idempotent: a present page takes no lock, and concurrent faults on one
 * page allocate one frame.
 *
 * Return: 0 when the page is present; -EINVAL for a bad @access; -ERANGE
 * outside the space; -ENOENT no area (or, in a USERFAULT area, the page
 * went while the caller waited); -EACCES @access not allowed by the area's
 * prot; -ENOMEM; -EINTR (a fatal signal; in a USERFAULT area any signal);
 * -EIO (a USERFAULT area's page with no userfault fd open, or it was
 * closed while the caller waited).
 */
int gaspace_handle_fault(struct gaspace *as, u64 gpa, u32 access)
{
	int ret = __gaspace_handle_fault(as, gpa, access);

	if (trace_gaspace_fault_enabled()) {
		struct gaspace_translation t;
		int level = -1;

		/* the level of the leaf that now maps the page */
		if (!ret && !gaspace_translate(as, gpa, &t))
			level = t.level;
		trace_gaspace_fault(as->ino, gpa, access, ret, level);
	}
	return ret;
}
EXPORT_SYMBOL_GPL(gaspace_handle_fault);
