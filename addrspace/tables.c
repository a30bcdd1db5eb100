// SPDX-License-Identifier: GPL-2.0
/*
 * Table pages of an address space: where the walker's pages come from.
 *
 * They are zeroed, charged to the memory cgroup of the task whose call
 * allocates them, fail rather than call the OOM killer, and count in
 * NR_SECONDARY_PAGETABLE from their allocation to their free (a call's
 * spare pages, which it frees as it returns, count meanwhile).  Roots
 * bigger than a page are one naturally aligned block of 1 << order pages.
 *
 * A change of the table takes its pages from a struct gpt_cache that the
 * call filled before it took pt_lock, so nothing sleeps in the allocator
 * there and the change cannot fail half-way.  Tables an unmap unlinks are
 * freed after an RCU grace period, since TRANSLATE and the fault path read
 * the table under rcu_read_lock() alone.
 */
#include <linux/bitfield.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/vmstat.h>
#ifdef CONFIG_ARM64
#include <asm/cacheflush.h>
#include <asm/cpufeature.h>
#include <asm/sysreg.h>
#endif

#include "internal.h"
#include "trace.h"

static void gaspace_table_account(struct page *page, unsigned int order,
				  int sign)
{
	mod_lruvec_page_state(page, NR_SECONDARY_PAGETABLE, sign << order);
}

static void *gaspace_zalloc_table(struct gpt *pt, unsigned int order,
				  gfp_t gfp)
{
	struct page *page = alloc_pages(gfp | __GFP_ZERO, order);

	if (!page)
		return NULL;
	gaspace_table_account(page, order, 1);
	return page_address(page);
}

static void gaspace_free_table(struct gpt *pt, void *va, unsigned int order)
{
	struct page *page = virt_to_page(va);

	gaspace_table_account(page, order, -1);
	__free_pages(page, order);
}

static void gaspace_free_table_rcu(struct rcu_head *head)
{
	__free_page(container_of(head, struct page, rcu_head));
}

/* Lockless readers may be in an unlinked table until a grace period ends. */
static void gaspace_free_unlinked(struct gpt *pt, void *va)
{
	struct page *page = virt_to_page(va);

	gaspace_table_account(page, 0, -1);
	call_rcu(&page->rcu_head, gaspace_free_table_rcu);
}

/**
 * gaspace_notify() - tell the notifiers that leaves of a range were
 * cleared or downgraded
 * @as: the space, map_lock and pt_lock held (the contract)
 * @gpa: first address
 * @size: bytes
 */
void gaspace_notify(struct gaspace *as, u64 gpa, u64 size)
{
	struct gaspace_notifier *n;

	lockdep_assert_held(&as->map_lock);
	lockdep_assert_held(&as->pt_lock);
	trace_gaspace_invalidate(as->ino, gpa, size);
	list_for_each_entry(n, &as->notifiers, node)
		n->invalidate(n, as, gpa, size);
}

static void gaspace_invalidate(struct gpt *pt, u64 gpa, u64 size)
{
	gaspace_notify(pt->priv, gpa, size);
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
	.free_unlinked	= gaspace_free_unlinked,
	.invalidate	= gaspace_invalidate,
#ifdef CONFIG_ARM64
	.sync_leaf	= gaspace_sync_leaf,
#endif
};
