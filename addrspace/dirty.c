// SPDX-License-Identifier: GPL-2.0
/*
 * The dirty log: which pages of the logged areas may have changed since
 * the log last reported them, whoever wrote them.
 *
 * Logging is a property of areas (GASPACE_AREA_LOGGED).  A logged area's
 * leaves are 4 KiB; a clean page's leaf lacks W, and so does every VMM
 * mapping of it.  Each way a page's bytes change marks it first or last:
 *   - a guest write faults on the missing W: the fault marks the page and
 *     gives W back (gaspace_dirty_fault());
 *   - pwrite and gaspace_write() mark each page after its bytes are copied
 *     (gaspace_dirty_written());
 *   - a VMM store through a shared mmap faults on its read-only PTE, and
 *     ->page_mkwrite marks the page (gaspace_dirty_vmm_write()).
 * A harvest with CLEAR clears the bits it reports, takes W from their
 * leaves, runs the notifiers and write-protects the VMM's mappings before
 * it returns, so that every later write marks the page again: a write is
 * reported by the harvest it races or by the next one, and by one only
 * (its bytes were in place before the caller reads the page, or it faults
 * after the protection).
 *
 * The log itself is a bitmap in chunks of GASPACE_DIRTY_CHUNK pages, kept
 * in an xarray by chunk, allocated when a range starts logging (before
 * pt_lock) and freed when no logged area meets it any more.  Bits change
 * under pt_lock only, so @nr_dirty is exact.  A page that is not logged
 * has its bit clear.
 */
#include <linux/bitmap.h>
#include <linux/export.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "../npt/lookup.h"
#include "areas.h"
#include "internal.h"
#include "trace.h"

/* Pages per chunk of the log: 512 bytes of bitmap, 16 MiB of guest. */
#define GASPACE_DIRTY_CHUNK	4096UL

static unsigned long dirty_pfn(u64 gpa)
{
	return gpa >> PAGE_SHIFT;
}

void gaspace_dirty_init(struct gaspace *as)
{
	xa_init(&as->dirty);
}

void gaspace_dirty_destroy(struct gaspace *as)
{
	unsigned long idx;
	void *chunk;

	xa_for_each(&as->dirty, idx, chunk)
		kfree(chunk);
	xa_destroy(&as->dirty);
}

/**
 * gaspace_dirty_prepare() - give every page of a range a bit in the log
 * @as: the space, map_lock held, pt_lock not
 * @gpa: first address
 * @end: end of the range
 *
 * Return: 0, or -ENOMEM (chunks already added stay, unused, until a trim).
 */
int gaspace_dirty_prepare(struct gaspace *as, u64 gpa, u64 end)
{
	unsigned long idx, last = (dirty_pfn(end) - 1) / GASPACE_DIRTY_CHUNK;
	unsigned long *chunk;
	int ret;

	lockdep_assert_held(&as->map_lock);
	for (idx = dirty_pfn(gpa) / GASPACE_DIRTY_CHUNK; idx <= last; idx++) {
		if (xa_load(&as->dirty, idx))
			continue;
		chunk = bitmap_zalloc(GASPACE_DIRTY_CHUNK, GASPACE_GFP_META);
		if (!chunk)
			return -ENOMEM;
		ret = xa_err(xa_store(&as->dirty, idx, chunk, GASPACE_GFP_META));
		if (ret) {
			bitmap_free(chunk);
			return ret;
		}
		cond_resched();
	}
	return 0;
}

/* Whether a logged area meets [@gpa, @end).  pt_lock held. */
static bool gaspace_logged_in(struct gaspace *as, u64 gpa, u64 end)
{
	struct gaspace_area a;

	while (gaspace_area_next(as, gpa, end, &a)) {
		if (a.flags & GASPACE_AREA_LOGGED)
			return true;
		gpa = a.end;
	}
	return false;
}

/**
 * gaspace_dirty_trim() - free the chunks of a range that no logged area
 * meets any more
 * @as: the space, map_lock and pt_lock held
 * @gpa: first address
 * @end: end of the range
 */
void gaspace_dirty_trim(struct gaspace *as, u64 gpa, u64 end)
{
	unsigned long idx, first = dirty_pfn(gpa) / GASPACE_DIRTY_CHUNK;
	unsigned long last = (dirty_pfn(end) - 1) / GASPACE_DIRTY_CHUNK;
	u64 span = GASPACE_DIRTY_CHUNK << PAGE_SHIFT;
	void *chunk;

	lockdep_assert_held(&as->pt_lock);
	xa_for_each_range(&as->dirty, idx, chunk, first, last) {
		if (gaspace_logged_in(as, idx * span, (idx + 1) * span))
			continue;
		xa_erase(&as->dirty, idx);
		bitmap_free(chunk);
	}
}

/* The chunk that holds @pfn's bit, and the bit.  pt_lock held. */
static unsigned long *gaspace_dirty_chunk(struct gaspace *as,
					  unsigned long pfn,
					  unsigned long *bit)
{
	*bit = pfn % GASPACE_DIRTY_CHUNK;
	return xa_load(&as->dirty, pfn / GASPACE_DIRTY_CHUNK);
}

/* Mark the page of @gpa, in a logged area, dirty.  pt_lock held. */
static void gaspace_dirty_mark(struct gaspace *as, u64 gpa)
{
	unsigned long bit, *chunk;

	lockdep_assert_held(&as->pt_lock);
	chunk = gaspace_dirty_chunk(as, dirty_pfn(gpa), &bit);
	/* a logged area's pages have their chunks from ENABLE on */
	if (!WARN_ON_ONCE(!chunk) && !__test_and_set_bit(bit, chunk))
		as->nr_dirty++;
}

/**
 * gaspace_dirty_test() - whether the page of @gpa is dirty in the log
 * @as: the space, pt_lock held
 * @gpa: an address in a logged area
 *
 * Return: true when its bit is set.
 */
bool gaspace_dirty_test(struct gaspace *as, u64 gpa)
{
	unsigned long bit, *chunk;

	lockdep_assert_held(&as->pt_lock);
	chunk = gaspace_dirty_chunk(as, dirty_pfn(gpa), &bit);
	return chunk && test_bit(bit, chunk);
}

/**
 * gaspace_dirty_mark_range() - the pages of a range of a logged area are
 * dirty
 * @as: the space, pt_lock held
 * @gpa: first address, page aligned
 * @end: end of the range
 */
void gaspace_dirty_mark_range(struct gaspace *as, u64 gpa, u64 end)
{
	for (; gpa < end; gpa += PAGE_SIZE)
		gaspace_dirty_mark(as, gpa);
}

/*
 * Call @fn for every dirty page of [@gpa, @end), with its index from @gpa
 * on, clearing its bit first when @clear.  Return: how many.  pt_lock held.
 */
static u64 gaspace_dirty_scan(struct gaspace *as, u64 gpa, u64 end,
			      bool clear, unsigned long *out)
{
	unsigned long pfn = dirty_pfn(gpa), last = dirty_pfn(end);
	unsigned long lo, hi, bit, *chunk;
	u64 n = 0;

	lockdep_assert_held(&as->pt_lock);
	while (pfn < last) {
		chunk = gaspace_dirty_chunk(as, pfn, &lo);
		hi = min(GASPACE_DIRTY_CHUNK, lo + (last - pfn));
		for (bit = lo; chunk; bit++) {
			bit = find_next_bit(chunk, hi, bit);
			if (bit >= hi)
				break;
			if (out)
				__set_bit(pfn + (bit - lo) - dirty_pfn(gpa), out);
			if (clear)
				__clear_bit(bit, chunk);
			n++;
		}
		pfn += hi - lo;
	}
	if (clear)
		as->nr_dirty -= n;
	return n;
}

/**
 * gaspace_dirty_drop() - forget the dirty bits of a range
 * @as: the space, pt_lock held
 * @gpa: first address
 * @end: end of the range
 */
void gaspace_dirty_drop(struct gaspace *as, u64 gpa, u64 end)
{
	gaspace_dirty_scan(as, gpa, end, true, NULL);
}

/**
 * gaspace_dirty_start() - the table side of logging area @a
 * @as: the space, map_lock and pt_lock held
 * @mc: table pages: gpt_wrprotect_bound() of the area's range
 * @a: the area, not logged yet
 *
 * Its blocks are split to 4 KiB, frames in place, and W leaves every leaf:
 * each page starts clean.  The caller runs the notifiers.
 *
 * Return: whether a leaf changed.
 */
bool gaspace_dirty_start(struct gaspace *as, struct gpt_cache *mc,
			 const struct gaspace_area *a)
{
	unsigned long tables = as->pt.nr_table_pages;
	long nr;

	nr = gpt_wrprotect(&as->pt, mc, a->start, a->end - a->start, true);
	WARN_ON_ONCE(nr < 0);	/* the caller counted the splits */
	as->logged_bytes += a->end - a->start;
	return nr > 0 || as->pt.nr_table_pages != tables;
}

/**
 * gaspace_dirty_stop() - the table side of no longer logging area @a
 * @as: the space, map_lock and pt_lock held
 * @a: the area's value once it is not logged
 *
 * Its bits go; its leaves carry its prot again (the notifiers run if that
 * changed one) and become the blocks its backend maps whole again.
 */
void gaspace_dirty_stop(struct gaspace *as, const struct gaspace_area *a)
{
	u64 size = a->end - a->start;

	gaspace_dirty_drop(as, a->start, a->end);
	as->logged_bytes -= size;
	WARN_ON_ONCE(gpt_protect(&as->pt, NULL, a->start, size,
				 gaspace_area_gpt_prot(a) & GPT_PROT_RWX));
	gpt_collapse(&as->pt, a->start, size,
		     gaspace_backend(a)->leaf_level(a));
}

/*
 * The frame of @gpa when its area's memory is the VMM's to map through the
 * fd (not a user area's: the VMM maps those itself), and the area in *@a;
 * NULL when it has none.  Under rcu_read_lock() or pt_lock.
 */
static struct page *gaspace_dirty_peek(struct gaspace *as, u64 gpa,
				       struct gaspace_area *a)
{
	struct gpt_leaf leaf;

	if (!__gaspace_area_find(as, gpa, a) || !gaspace_backend(a)->mmap ||
	    __gpt_query(&as->pt, gpa, &leaf))
		return NULL;
	return gaspace_backend(a)->frame(&leaf, gpa);
}

/*
 * The frame of @gpa when its area's memory is the VMM's to map, with a
 * reference; map_lock held, so it stays the page's frame meanwhile.
 */
static struct page *gaspace_dirty_frame(struct gaspace *as, u64 gpa)
{
	struct gaspace_area a;
	struct page *page;

	rcu_read_lock();
	page = gaspace_dirty_peek(as, gpa, &a);
	if (page)
		get_page(page);
	rcu_read_unlock();
	return page;
}

/* Write-protect the VMM's mappings of [@gpa, @end).  map_lock held. */
static void gaspace_dirty_wp_range(struct gaspace *as, u64 gpa, u64 end)
{
	struct page *page;
	u64 cur;

	/*
	 * A VMM write fault that marked a page before the harvest holds the
	 * frame's lock until its PTE is in place: wait for it, so that the
	 * zap below takes that PTE out too.
	 */
	for (cur = gpa; cur < end; cur += PAGE_SIZE) {
		page = gaspace_dirty_frame(as, cur);
		if (!page)
			continue;
		lock_page(page);
		unlock_page(page);
		put_page(page);
		cond_resched();
	}
	unmap_mapping_range(as->mapping, gpa, end - gpa, 1);
}

/**
 * gaspace_dirty_wp_vmm() - make the VMM's next store to pages fault
 * @as: the space, map_lock held, pt_lock not
 * @gpa: first address
 * @end: end of the range
 * @bitmap: the pages of the range to protect (bit i: @gpa + i pages), or
 *	NULL for all
 */
void gaspace_dirty_wp_vmm(struct gaspace *as, u64 gpa, u64 end,
			  const unsigned long *bitmap)
{
	unsigned long n = dirty_pfn(end - gpa), i, j;

	lockdep_assert_held(&as->map_lock);
	if (!as->mapping || !READ_ONCE(as->mmapped))
		return;
	if (!bitmap) {
		gaspace_dirty_wp_range(as, gpa, end);
		return;
	}
	for_each_set_bitrange(i, j, bitmap, n)
		gaspace_dirty_wp_range(as, gpa + ((u64)i << PAGE_SHIFT),
				       gpa + ((u64)j << PAGE_SHIFT));
}

/**
 * gaspace_dirty_fault() - a write to a present leaf without W
 * @as: the space, no lock of it held
 * @gpa: the address
 * @a: its area as the fault found it (with W in its prot)
 *
 * A logged page is marked dirty and its leaf gets W back.
 *
 * Return: 0; -EAGAIN to look again (the area or the leaf changed).
 */
int gaspace_dirty_fault(struct gaspace *as, u64 gpa,
			const struct gaspace_area *a)
{
	struct gaspace_area now;
	int ret = -EAGAIN;

	mutex_lock(&as->pt_lock);
	if (gaspace_area_find(as, gpa, &now) && gaspace_area_same(a, &now) &&
	    !gpt_relax(&as->pt, gpa, GASPACE_PROT_WRITE)) {
		if (now.flags & GASPACE_AREA_LOGGED)
			gaspace_dirty_mark(as, gpa);
		ret = 0;
	}
	mutex_unlock(&as->pt_lock);
	return ret;
}

/**
 * gaspace_dirty_written() - bytes of guest memory were written through the
 * fd or the in-kernel API
 * @as: the space, no lock of it held
 * @gpa: first byte written
 * @len: bytes
 *
 * Marks the logged pages among them, after the copy: a harvest that runs
 * before this reports them next time.
 */
void gaspace_dirty_written(struct gaspace *as, u64 gpa, u64 len)
{
	u64 end = gpa + len, cur = round_down(gpa, PAGE_SIZE);
	struct gaspace_area a;

	if (!len || !READ_ONCE(as->logged_bytes))
		return;
	mutex_lock(&as->pt_lock);
	while (gaspace_area_next(as, cur, end, &a)) {
		cur = max(cur, a.start);
		for (; cur < min(end, a.end); cur += PAGE_SIZE)
			if (a.flags & GASPACE_AREA_LOGGED)
				gaspace_dirty_mark(as, cur);
		cur = a.end;
	}
	mutex_unlock(&as->pt_lock);
}

/**
 * gaspace_dirty_vmm_write() - a VMM store to a page mapped read-only
 * @as: the space
 * @gpa: any byte of the page
 * @page: the frame the VMM's fault found, locked
 *
 * Marks the page when it is logged.  Its PTE becomes writable after this,
 * with the frame still locked (see gaspace_dirty_wp_range()).
 *
 * Return: 0; -EAGAIN when @page is no longer the page's frame (an UNMAP
 * took it out since the fault found it): the fault is retried.
 */
int gaspace_dirty_vmm_write(struct gaspace *as, u64 gpa, struct page *page)
{
	struct gaspace_area a;
	struct page *now;

	/*
	 * With the frame locked, what is seen holds until the PTE is in: an
	 * UNMAP, or an ENABLE or a harvest that protects the page, locks the
	 * frame after its commit and zaps the VMM's mappings after that.  So
	 * a page that is not logged needs no lock here.
	 */
	rcu_read_lock();
	now = gaspace_dirty_peek(as, gpa, &a);
	rcu_read_unlock();
	if (now != page || !(a.flags & GASPACE_AREA_LOGGED))
		return now == page ? 0 : -EAGAIN;
	mutex_lock(&as->pt_lock);
	now = gaspace_dirty_peek(as, gpa, &a);
	if (now == page && (a.flags & GASPACE_AREA_LOGGED))
		gaspace_dirty_mark(as, gpa);
	mutex_unlock(&as->pt_lock);
	return now == page ? 0 : -EAGAIN;
}

/* Whether [@gpa, @end) lies in logged areas, without a hole.  pt_lock held. */
static bool gaspace_logged_all(struct gaspace *as, u64 gpa, u64 end)
{
	struct gaspace_area a;

	while (gpa < end) {
		if (!gaspace_area_find(as, gpa, &a) ||
		    !(a.flags & GASPACE_AREA_LOGGED))
			return false;
		gpa = a.end;
	}
	return true;
}

/* Mark the pages @bitmap names dirty.  pt_lock held. */
static void gaspace_dirty_set(struct gaspace *as, u64 gpa, u64 end,
			      const unsigned long *bitmap)
{
	unsigned long n = dirty_pfn(end - gpa), i;

	for_each_set_bit(i, bitmap, n)
		gaspace_dirty_mark(as, gpa + ((u64)i << PAGE_SHIFT));
}

/*
 * Report the dirty pages of [@gpa, @end) into @bitmap and, with @clear,
 * make them clean: bits cleared, W taken from their leaves, the notifiers
 * run.  Return: how many.  map_lock and pt_lock held.
 */
static u64 gaspace_dirty_harvest(struct gaspace *as, u64 gpa, u64 end,
				 unsigned long *bitmap, bool clear)
{
	unsigned long n = dirty_pfn(end - gpa), i, j;
	u64 nr;

	bitmap_zero(bitmap, round_up(n, 64));
	nr = gaspace_dirty_scan(as, gpa, end, clear, bitmap);
	if (!clear || !nr)
		return nr;
	/* a logged area's leaves are 4 KiB: nothing to split */
	for_each_set_bitrange(i, j, bitmap, n)
		WARN_ON_ONCE(gpt_wrprotect(&as->pt, NULL,
					   gpa + ((u64)i << PAGE_SHIFT),
					   (u64)(j - i) << PAGE_SHIFT,
					   false) < 0);
	gaspace_notify(as, gpa, end - gpa);
	return nr;
}

/**
 * gaspace_dirty_log_check() - the arguments of GET_DIRTY_LOG on their own
 * @as: the space
 * @gpa: first address
 * @size: bytes
 * @flags: 0, GASPACE_DIRTY_CLEAR or GASPACE_DIRTY_SET
 *
 * Return: 0; -EINVAL for bad flags or range; -ERANGE outside the space.
 */
int gaspace_dirty_log_check(struct gaspace *as, u64 gpa, u64 size, u32 flags)
{
	u32 both = GASPACE_DIRTY_CLEAR | GASPACE_DIRTY_SET;

	if ((flags & ~both) || (flags & both) == both)
		return -EINVAL;
	return gaspace_check_range(as, gpa, size);
}

static int __gaspace_get_dirty_log(struct gaspace *as, u64 gpa, u64 size,
				   u64 *bitmap, u32 flags)
{
	unsigned long *bits = (unsigned long *)bitmap;
	bool clear = flags & GASPACE_DIRTY_CLEAR;
	u64 end = gpa + size, nr = 0;
	int ret = 0;

	BUILD_BUG_ON(BITS_PER_LONG != 64);
	ret = gaspace_dirty_log_check(as, gpa, size, flags);
	if (ret)
		return ret;
	mutex_lock(&as->map_lock);
	mutex_lock(&as->pt_lock);
	if (!gaspace_logged_all(as, gpa, end))
		ret = -ENOENT;
	else if (flags & GASPACE_DIRTY_SET)
		gaspace_dirty_set(as, gpa, end, bits);
	else
		nr = gaspace_dirty_harvest(as, gpa, end, bits, clear);
	mutex_unlock(&as->pt_lock);
	if (clear && nr)
		gaspace_dirty_wp_vmm(as, gpa, end, bits);
	mutex_unlock(&as->map_lock);
	return ret;
}

/**
 * gaspace_get_dirty_log() - report, clear or set the dirty log of a range
 * @as: the space
 * @gpa: first address, page aligned
 * @size: bytes, page aligned, > 0; the range must lie in logged areas
 * @bitmap: DIV_ROUND_UP(@size / 4096, 64) words; bit i is the page at
 *	@gpa + i * 4096.  Written (bits past the range 0) unless
 *	GASPACE_DIRTY_SET, which reads it.
 * @flags: 0 to report; GASPACE_DIRTY_CLEAR to report and make the reported
 *	pages clean (their leaves and the VMM's mappings write-protected, the
 *	notifiers run) before returning; GASPACE_DIRTY_SET to mark the
 *	bitmap's pages dirty
 *
 * A write that races a CLEAR is reported by it or by the next call, once.
 *
 * Return: 0; -EINVAL for bad flags or range, -ERANGE outside the space,
 * -ENOENT when part of the range is not logged.
 */
int gaspace_get_dirty_log(struct gaspace *as, u64 gpa, u64 size, u64 *bitmap,
			  u32 flags)
{
	int ret = __gaspace_get_dirty_log(as, gpa, size, bitmap, flags);

	trace_gaspace_dirty_log(as->ino, GASPACE_TRACE_LOG_GET, gpa, size,
				flags, ret);
	return ret;
}
EXPORT_SYMBOL_GPL(gaspace_get_dirty_log);
