// SPDX-License-Identifier: GPL-2.0
/*
 * The address space: its lifetime, its table pages, its counters and the
 * exported in-kernel API.  Every rule of the contract that is not about
 * userspace lives here.
 */
#include <linux/gfp.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "internal.h"

bool gaspace_linear_ram;
module_param_named(linear_ram, gaspace_linear_ram, bool, 0644);
MODULE_PARM_DESC(linear_ram, "Allow MAP_LINEAR over System RAM (default 0)");

unsigned int gaspace_max_areas = 1048576;
module_param_named(max_areas, gaspace_max_areas, uint, 0644);
MODULE_PARM_DESC(max_areas, "Areas per address space (default 1048576)");

/*
 * Table pages: zeroed, charged to the caller's memory cgroup, failing rather
 * than calling the OOM killer, and counted in NR_SECONDARY_PAGETABLE while
 * they are linked in.  Roots bigger than a page are one naturally aligned
 * block of 1 << order pages.
 */
#define GASPACE_GFP_TABLE (GFP_KERNEL_ACCOUNT | __GFP_ZERO | __GFP_RETRY_MAYFAIL)

static void *gaspace_zalloc_table(struct gpt *pt, unsigned int order)
{
	struct page *page = alloc_pages(GASPACE_GFP_TABLE, order);

	if (!page)
		return NULL;
	mod_lruvec_page_state(page, NR_SECONDARY_PAGETABLE, 1 << order);
	return page_address(page);
}

static void gaspace_free_table(struct gpt *pt, void *va, unsigned int order)
{
	struct page *page = virt_to_page(va);

	mod_lruvec_page_state(page, NR_SECONDARY_PAGETABLE, -(1 << order));
	__free_pages(page, order);
}

static void gaspace_invalidate(struct gpt *pt, u64 gpa, u64 size)
{
	struct gaspace *as = pt->priv;
	struct gaspace_notifier *n;

	lockdep_assert_held(&as->lock);
	list_for_each_entry(n, &as->notifiers, node)
		n->invalidate(n, as, gpa, size);
}

static const struct gpt_mm_ops gaspace_mm_ops = {
	.zalloc_pages	= gaspace_zalloc_table,
	.free_pages	= gaspace_free_table,
	.invalidate	= gaspace_invalidate,
};

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

	as = kzalloc(sizeof(*as), GFP_KERNEL_ACCOUNT);
	if (!as)
		return ERR_PTR(-ENOMEM);
	refcount_set(&as->refcount, 1);
	mutex_init(&as->lock);
	INIT_LIST_HEAD(&as->notifiers);
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

static void gaspace_free(struct gaspace *as)
{
	gpt_destroy(&as->pt);
	WARN_ON_ONCE(!list_empty(&as->notifiers));
	mutex_destroy(&as->lock);
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
	mutex_lock(&as->lock);
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
	out->mapped_bytes = as->mapped_bytes;
	mutex_unlock(&as->lock);
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
	mutex_lock(&as->lock);
	list_add_tail(&n->node, &as->notifiers);
	mutex_unlock(&as->lock);
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
	mutex_lock(&as->lock);
	list_del_init(&n->node);
	mutex_unlock(&as->lock);
}
EXPORT_SYMBOL_GPL(gaspace_unregister_notifier);
