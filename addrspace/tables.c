// SPDX-License-Identifier: GPL-2.0
/*
 * Table pages of an address space: where the walker's pages come from.
 *
 * They are zeroed, charged to the memory cgroup of the task whose call
 * allocates them, fail rather than call the OOM killer, and count in
 * NR_SECONDARY_PAGETABLE while the walker has them (pages reserved for a
 * call do not count until the walker takes one).  Roots bigger than a page are one naturally
 * aligned block of 1 << order pages.
 *
 * A call that changes the area set first reserves every table page it may
 * need (struct gaspace_reserve), before it takes pt_lock: under pt_lock the
 * walker's allocations are served from the reserve, so nothing sleeps in
 * the allocator there and the call cannot fail half-way.  Unused reserved
 * pages are freed when the call returns.
 */
#include <linux/bitfield.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/vmstat.h>
#ifdef CONFIG_ARM64
#include <asm/cacheflush.h>
#include <asm/cpufeature.h>
#include <asm/sysreg.h>
#endif

#include "internal.h"

/* Table pages count in NR_SECONDARY_PAGETABLE from when the walker has them. */
static void gaspace_table_account(struct page *page, unsigned int order,
				  int sign)
{
	mod_lruvec_page_state(page, NR_SECONDARY_PAGETABLE, sign << order);
}

/*
 * A zeroed, naturally aligned block of 1 << @order pages that @as's format
 * can address (a page above that is given back: -ENOMEM), or NULL.
 */
static struct page *gaspace_table_alloc(struct gaspace *as, gfp_t gfp,
					unsigned int order)
{
	struct page *page = alloc_pages(gfp | __GFP_ZERO, order);

	if (page && page_to_phys(page) + (PAGE_SIZE << order) >
		    BIT_ULL(as->pt.fmt->pa_bits)) {
		__free_pages(page, order);
		page = NULL;
	}
	return page;
}

/**
 * gaspace_reserve_fill() - reserve table pages before changing the table
 * @as: the space whose table takes them
 * @r: the reserve, empty or with pages
 * @nr: how many pages it should hold
 * @gfp: GASPACE_GFP_TABLE for a call; a fault passes its frame's gfp, so
 *	that a VMM touch fails at the cgroup's limit as its frame would
 *
 * Return: 0, or -ENOMEM or -EINTR (a fatal signal) with @r as it was.
 */
int gaspace_reserve_fill(struct gaspace *as, struct gaspace_reserve *r,
			 u64 nr, gfp_t gfp)
{
	LIST_HEAD(pages);
	u64 got = 0;

	while (r->nr + got < nr) {
		struct page *page = NULL;

		if (!fatal_signal_pending(current))
			page = gaspace_table_alloc(as, gfp, 0);
		if (!page) {
			struct page *p, *n;

			list_for_each_entry_safe(p, n, &pages, lru)
				__free_page(p);
			return fatal_signal_pending(current) ? -EINTR : -ENOMEM;
		}
		list_add(&page->lru, &pages);
		got++;
		cond_resched();
	}
	list_splice(&pages, &r->pages);
	r->nr += got;
	return 0;
}

/**
 * gaspace_reserve_release() - free what a call did not use
 * @r: the reserve; empty afterwards
 */
void gaspace_reserve_release(struct gaspace_reserve *r)
{
	struct page *p, *n;

	list_for_each_entry_safe(p, n, &r->pages, lru) {
		list_del(&p->lru);
		__free_page(p);
	}
	r->nr = 0;
}

static void *gaspace_zalloc_table(struct gpt *pt, unsigned int order)
{
	struct gaspace *as = pt->priv;
	struct gaspace_reserve *r = as->reserve;
	struct page *page;
	gfp_t gfp = GASPACE_GFP_TABLE;

	if (r && !order) {
		page = list_first_entry_or_null(&r->pages, struct page, lru);
		if (page) {
			list_del(&page->lru);
			r->nr--;
			gaspace_table_account(page, 0, 1);
			return page_address(page);
		}
		/* Only a wrong bound gets here: the call must not fail now. */
		gfp |= __GFP_NOFAIL;
	}
	page = gaspace_table_alloc(as, gfp, order);
	if (!page)
		return NULL;
	gaspace_table_account(page, order, 1);
	return page_address(page);
}

static void gaspace_free_table(struct gpt *pt, void *va, unsigned int order)
{
	struct gaspace *as = pt->priv;
	struct page *page = virt_to_page(va);

	gaspace_table_account(page, order, -1);
	/* Spare pages go back to the reserve of the running call, zeroed. */
	if (as->reserve && !order) {
		clear_page(va);
		list_add(&page->lru, &as->reserve->pages);
		as->reserve->nr++;
		return;
	}
	__free_pages(page, order);
}

/* The contract: notifiers run with the map lock (and pt_lock) held. */
static void gaspace_invalidate(struct gpt *pt, u64 gpa, u64 size)
{
	struct gaspace *as = pt->priv;
	struct gaspace_notifier *n;

	lockdep_assert_held(&as->map_lock);
	lockdep_assert_held(&as->pt_lock);
	list_for_each_entry(n, &as->notifiers, node)
		n->invalidate(n, as, gpa, size);
}

#ifdef CONFIG_ARM64
/*
 * What KVM's stage-2 mm_ops do for memory before a guest sees it: a guest
 * running with its MMU off makes non-cacheable data accesses and fetches,
 * so the frame's lines (zeroed, or written through the host's cacheable
 * mapping) are cleaned and invalidated to the point of coherency, and an
 * executable frame's instructions are made visible to the I-cache.
 *
 * This is done whether or not the CPU has FEAT_S2FWB: the ARM64_S2 leaves
 * carry the HCR_EL2.FWB = 0 encoding, under which the guest's own
 * attributes still apply (KVM skips the clean only because it switches to
 * the FWB encoding, which forces write-back).
 */
static void gaspace_arm64_clean(unsigned long va, unsigned long size,
				bool exec)
{
	u64 ctr = read_sanitised_ftr_reg(SYS_CTR_EL0);
	unsigned long line, p, end = va + size;

	/* CTR_EL0.DminLine, bits 19:16: log2 of the smallest D-cache line, in words */
	line = 4UL << FIELD_GET(GENMASK_ULL(19, 16), ctr);
	for (p = va & ~(line - 1); p < end; p += line)
		asm volatile("dc civac, %0" : : "r" (p) : "memory");
	dsb(sy);
	if (exec)
		caches_clean_inval_pou(va, end);
}

/* Device memory and frames outside the linear map have no cached lines. */
static void gaspace_sync_leaf(struct gpt *pt, phys_addr_t pa, u64 size,
			      u32 prot)
{
	if (pt->fmt->format != GASPACE_FMT_ARM64_S2 ||
	    (prot & GPT_ATTR_DEVICE) || !pfn_valid(PHYS_PFN(pa)))
		return;
	gaspace_arm64_clean((unsigned long)phys_to_virt(pa), size,
			    prot & GASPACE_PROT_EXEC);
}

/**
 * gaspace_sync_written() - a write through the fd changed a frame
 * @as: the address space
 * @page: the frame
 * @off: first byte written
 * @len: bytes written
 *
 * The frame may be mapped already, and the guest may run with its MMU off,
 * so the bytes go to the point of coherency as at the first mapping, and
 * out of the I-cache (they may be code).
 */
void gaspace_sync_written(struct gaspace *as, struct page *page, size_t off,
			  size_t len)
{
	if (as->pt.fmt->format == GASPACE_FMT_ARM64_S2 && len)
		gaspace_arm64_clean((unsigned long)page_address(page) + off,
				    len, true);
}
#endif

const struct gpt_mm_ops gaspace_mm_ops = {
	.zalloc_pages	= gaspace_zalloc_table,
	.free_pages	= gaspace_free_table,
	.invalidate	= gaspace_invalidate,
#ifdef CONFIG_ARM64
	.sync_leaf	= gaspace_sync_leaf,
#endif
};

/**
 * gaspace_map_tables_bound() - table pages a map of a range may link
 * @pt: the table
 * @gpa: first address
 * @end: end of the range
 * @hpa: host address of @gpa for a linear map
 * @max_level: the largest leaf level the map may use (0: 4 KiB only)
 *
 * Every entry over the range at a level above 0 needs a table below it,
 * except those wholly inside the range that can be a block.
 *
 * Return: an upper bound on the pages gpt_map() or gpt_map_src() link.
 */
u64 gaspace_map_tables_bound(const struct gpt *pt, u64 gpa, u64 end, u64 hpa,
			     u32 max_level)
{
	u64 n = 0;
	u32 l;

	for (l = pt->levels - 1; l >= 1; l--) {
		u32 shift = gpt_level_shift(l);
		u64 sz = BIT_ULL(shift);
		u64 entries = ((end - 1) >> shift) - (gpa >> shift) + 1;

		if (l <= max_level && (pt->fmt->block_levels & GPT_LEVEL_MASK(l)) &&
		    !((gpa ^ hpa) & (sz - 1))) {
			u64 a = round_up(gpa, sz), b = round_down(end, sz);

			if (b > a)
				entries -= (b - a) >> shift;
		}
		n += entries;
	}
	return n;
}

/**
 * gaspace_split_tables_bound() - table pages splits at two edges may take
 * @pt: the table
 *
 * Return: at each edge one block per level that has blocks.
 */
u64 gaspace_split_tables_bound(const struct gpt *pt)
{
	return 2 * hweight32(pt->fmt->block_levels);
}
