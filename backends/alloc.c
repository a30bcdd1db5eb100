// SPDX-License-Identifier: GPL-2.0
/*
 * The alloc backend: frames owned by the address space, zeroed before the
 * guest or the VMM can see them, charged to the memory cgroup of the task
 * that allocates them.  With GASPACE_MAP_HUGE a 2 MiB block is used for each
 * 2 MiB-aligned block wholly inside the area when an order-9 allocation
 * succeeds.  Such a block is split into 512 independent pages at once
 * (split_page()), so that part of it can later be unmapped and freed alone.
 *
 * The table keeps the frames' addresses (a leaf of prot 0 keeps its address
 * too): unmapping reports each removed leaf, and its frames are freed after
 * the range was invalidated.
 */
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>

#include "backend.h"

#define GASPACE_GFP_HUGE	(GFP_KERNEL_ACCOUNT | __GFP_ZERO | \
				 __GFP_NORETRY | __GFP_NOWARN)
#define HUGE_ORDER		(21 - PAGE_SHIFT)
#define HUGE_PAGES		BIT(HUGE_ORDER)

/**
 * gaspace_huge_fits() - whether the 2 MiB block of @gpa lies in an area
 * @gpa: any address
 * @area_start: the area's first address
 * @area_end: its end
 *
 * Return: true when the whole block is inside [@area_start, @area_end).
 */
bool gaspace_huge_fits(u64 gpa, u64 area_start, u64 area_end)
{
	u64 block = round_down(gpa, SZ_2M);

	return block >= area_start && block + SZ_2M <= area_end;
}

static void frames_add(struct gaspace_frames *f, struct page *page, u32 level)
{
	set_page_private(page, level);
	list_add_tail(&page->lru, &f->pages);
	f->nr_pages += level ? HUGE_PAGES : 1;
}

/*
 * A block of 1 << @order pages that ends at or below @limit (the format's
 * physical width): one above it is given back, as a failed allocation.
 */
static struct page *frame_alloc(gfp_t gfp, unsigned int order, u64 limit)
{
	struct page *page = alloc_pages(gfp, order);

	if (page && page_to_phys(page) + (PAGE_SIZE << order) > limit) {
		__free_pages(page, order);
		page = NULL;
	}
	return page;
}

/**
 * gaspace_frames_alloc_huge() - one zeroed 2 MiB block
 * @f: where it goes
 * @limit: the block must end at or below this physical address
 *
 * Return: 0, or -ENOMEM (the caller falls back to 4 KiB pages).
 */
int gaspace_frames_alloc_huge(struct gaspace_frames *f, u64 limit)
{
	struct page *page = frame_alloc(GASPACE_GFP_HUGE, HUGE_ORDER, limit);

	if (!page)
		return -ENOMEM;
	split_page(page, HUGE_ORDER);
	frames_add(f, page, 1);
	return 0;
}

/**
 * gaspace_frames_alloc() - zeroed frames for [@gpa, @end)
 * @f: where they go, in gpa order
 * @gpa: first address
 * @end: end of the range
 * @area_start: first address of the area
 * @area_end: end of the area
 * @huge: use a 2 MiB block for each 2 MiB-aligned block of the range that
 *	lies wholly in the area, where an order-9 allocation succeeds
 * @gfp: GASPACE_GFP_FRAME for a call, GASPACE_GFP_FRAME_VMM for a VMM touch
 * @limit: every frame must end at or below this physical address (the
 *	format's width); one above it counts as a failed allocation
 *
 * Return: 0; -ENOMEM or -EINTR (a fatal signal) with @f as it was.
 */
int gaspace_frames_alloc(struct gaspace_frames *f, u64 gpa, u64 end,
			 u64 area_start, u64 area_end, bool huge, gfp_t gfp,
			 u64 limit)
{
	struct gaspace_frames got;
	u64 cur = gpa;
	int ret = 0;

	gaspace_frames_init(&got);
	while (cur < end) {
		struct page *page;

		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		if (huge && IS_ALIGNED(cur, SZ_2M) && cur + SZ_2M <= end &&
		    gaspace_huge_fits(cur, area_start, area_end) &&
		    !gaspace_frames_alloc_huge(&got, limit)) {
			cur += SZ_2M;
			continue;
		}
		page = frame_alloc(gfp, 0, limit);
		if (!page) {
			ret = -ENOMEM;
			break;
		}
		frames_add(&got, page, 0);
		cur += PAGE_SIZE;
		cond_resched();
	}
	if (ret) {
		gaspace_frames_free(&got);
		return ret;
	}
	list_splice_tail(&got.pages, &f->pages);
	f->nr_pages += got.nr_pages;
	return 0;
}

static void frame_put(struct page *page, u32 level)
{
	u32 i, n = level ? HUGE_PAGES : 1;

	for (i = 0; i < n; i++) {
		set_page_private(page + i, 0);
		put_page(page + i);
	}
}

/**
 * gaspace_frames_free() - free every frame of @f
 * @f: the frames; empty afterwards
 */
void gaspace_frames_free(struct gaspace_frames *f)
{
	struct page *page, *n;

	list_for_each_entry_safe(page, n, &f->pages, lru) {
		list_del(&page->lru);
		frame_put(page, page_private(page));
		cond_resched();
	}
	f->nr_pages = 0;
}

/**
 * gaspace_frames_add_leaf() - take the frames of a removed leaf
 * @f: where they go, to be freed with gaspace_frames_free()
 * @leaf: a leaf of an alloc area that an unmap removed (4 KiB or 2 MiB)
 */
void gaspace_frames_add_leaf(struct gaspace_frames *f,
			     const struct gpt_leaf *leaf)
{
	frames_add(f, pfn_to_page(leaf->pa >> PAGE_SHIFT), leaf->level ? 1 : 0);
}

static int frames_get(void *arg, u64 gpa, u32 max_level, phys_addr_t *pa,
		      u32 *level)
{
	struct gaspace_frames *f = arg;
	struct page *page;
	int i;

	page = list_first_entry_or_null(&f->pages, struct page, lru);
	if (!page)
		return -ENOMEM;
	if (page_private(page) > max_level) {
		if (f->whole)
			return -EAGAIN;
		/* The walker cannot take the block whole: hand out its pages. */
		list_del(&page->lru);
		for (i = HUGE_PAGES - 1; i >= 0; i--) {
			set_page_private(page + i, 0);
			list_add(&page[i].lru, &f->pages);
		}
	}
	list_del(&page->lru);
	*level = page_private(page);
	set_page_private(page, 0);
	*pa = page_to_phys(page);
	f->nr_pages -= *level ? HUGE_PAGES : 1;
	return 0;
}

static void frames_put(void *arg, u64 gpa, phys_addr_t pa, u32 level)
{
	frame_put(pfn_to_page(pa >> PAGE_SHIFT), level);
}

static const struct gpt_pa_src frames_src = {
	.get	= frames_get,
	.put	= frames_put,
};

/**
 * gaspace_frames_map() - map frames over a range, in gpa order
 * @pt: the table
 * @f: frames for at least the range; those mapped leave @f
 * @gpa: first address
 * @size: bytes
 * @prot: portable prot (0 maps leaves non-present that keep their frame)
 *
 * Return: 0, or the walker's error with the table unchanged; the frames the
 * failed map had taken are freed, the rest stay in @f.
 */
int gaspace_frames_map(struct gpt *pt, struct gaspace_frames *f, u64 gpa,
		       u64 size, u32 prot)
{
	return gpt_map_src(pt, gpa, size, prot, 0, &frames_src, f);
}
