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

/* Whether the 2 MiB block of @gpa lies in [@area_start, @area_end). */
static bool huge_fits(u64 gpa, u64 area_start, u64 area_end)
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

/* One zeroed 2 MiB block into @f: 0, or -ENOMEM (fall back to pages). */
static int frames_alloc_huge(struct gaspace_frames *f, u64 limit)
{
	struct page *page = frame_alloc(GASPACE_GFP_HUGE, HUGE_ORDER, limit);

	if (!page)
		return -ENOMEM;
	split_page(page, HUGE_ORDER);
	frames_add(f, page, 1);
	return 0;
}

/*
 * Zeroed frames for [@gpa, @end) into @f, in gpa order:
 * with @huge a 2 MiB block for each 2 MiB-aligned block of the range that
 * lies wholly in [@area_start, @area_end), where an order-9 allocation
 * succeeds.  Every frame must end at or below @limit (the format's width);
 * one above it counts as a failed allocation.
 * Return: 0; -ENOMEM or -EINTR (a fatal signal) with @f as it was.
 */
static int frames_alloc(struct gaspace_frames *f, u64 gpa, u64 end,
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
		    huge_fits(cur, area_start, area_end) &&
		    !frames_alloc_huge(&got, limit)) {
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

/* A removed leaf's frames (4 KiB or 2 MiB) go to @freed, to be freed. */
static void alloc_release(void *freed, const struct gpt_leaf *leaf)
{
	frames_add(freed, pfn_to_page(leaf->pa >> PAGE_SHIFT),
		   leaf->level ? 1 : 0);
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

static int alloc_prepare(const struct gaspace_area *a, u64 gpa, u64 end,
			 u64 pa_limit, struct gaspace_frames *f)
{
	return frames_alloc(f, gpa, end, a->start, a->end,
			    a->flags & GASPACE_MAP_HUGE, GASPACE_GFP_FRAME,
			    pa_limit);
}

/*
 * A fault's frame: in a HUGE area a whole 2 MiB block where it fits and
 * nothing of it is mapped yet (mapped whole or not at all), else a page.
 */
static int alloc_fault_frames(const struct gaspace_area *a, u64 gpa,
			      bool block_empty, gfp_t gfp, u64 pa_limit,
			      struct gaspace_frames *f, u64 *start, u64 *size)
{
	if ((a->flags & GASPACE_MAP_HUGE) && block_empty &&
	    huge_fits(gpa, a->start, a->end) &&
	    !frames_alloc_huge(f, pa_limit)) {
		f->whole = true;
		*start = round_down(gpa, SZ_2M);
		*size = SZ_2M;
		return 0;
	}
	*start = round_down(gpa, PAGE_SIZE);
	*size = PAGE_SIZE;
	return frames_alloc(f, *start, *start + *size, a->start, a->end, false,
			    gfp, pa_limit);
}

/* Frames come as they came: the bound assumes 4 KiB ones. */
static unsigned long alloc_map_bound(const struct gpt *pt,
				     const struct gaspace_area *a, u64 gpa,
				     u64 end, const struct gaspace_frames *f)
{
	return f->nr_pages ? gpt_map_bound(pt, gpa, end - gpa, gpa,
					   GPT_MAP_NOHUGE) : 0;
}

/* Map the frames of @f over [@gpa, @end); none (lazy) maps nothing. */
static int alloc_populate(struct gpt *pt, struct gpt_cache *mc,
			  const struct gaspace_area *a, u64 gpa, u64 end,
			  struct gaspace_frames *f)
{
	if (!f->nr_pages)
		return 0;
	return gpt_map_src(pt, mc, gpa, end - gpa, gaspace_area_gpt_prot(a), 0,
			   &frames_src, f);
}

/* The page of @gpa in @leaf, a leaf of struct pages (user.c's too). */
struct page *gaspace_leaf_frame(const struct gpt_leaf *leaf, u64 gpa)
{
	return pfn_to_page(PHYS_PFN(leaf->pa + (gpa - leaf->gpa)));
}

/* 2 MiB blocks in HUGE areas, else pages. */
static u32 alloc_leaf_level(const struct gaspace_area *a)
{
	return a->flags & GASPACE_MAP_HUGE ? 1 : 0;
}

const struct gaspace_backend gaspace_backend_alloc = {
	.lazy		= true,
	.prepare	= alloc_prepare,
	.fault_frames	= alloc_fault_frames,
	.map_bound	= alloc_map_bound,
	.populate	= alloc_populate,
	.release	= alloc_release,
	.frame		= gaspace_leaf_frame,
	.mmap		= true,
	.leaf_level	= alloc_leaf_level,
};
