// SPDX-License-Identifier: GPL-2.0
/*
 * The generic nested page-table walker: geometry, root allocation and
 * teardown for every format.
 */
#include <linux/errno.h>
#include <linux/io.h>
#include <linux/kernel.h>
#include <linux/string.h>

#include "pgtable.h"

static const struct gpt_fmt *const gpt_fmts[] = {
	[GASPACE_FMT_EPT]	= &gpt_fmt_ept,
	[GASPACE_FMT_NPT]	= &gpt_fmt_npt,
	[GASPACE_FMT_ARM64_S2]	= &gpt_fmt_stage2,
	[GASPACE_FMT_RISCV_G]	= &gpt_fmt_gstage,
};

/**
 * gpt_fmt_get() - the descriptor of a format
 * @format: GASPACE_FMT_*
 *
 * Return: the descriptor, or NULL for an unknown format.
 */
const struct gpt_fmt *gpt_fmt_get(u32 format)
{
	if (format >= ARRAY_SIZE(gpt_fmts))
		return NULL;
	return gpt_fmts[format];
}

/**
 * gpt_geometry() - levels and root size of a format at a width
 * @format: GASPACE_FMT_*
 * @gpa_bits: in: the width asked (0 = default); out: the width in effect
 * @levels: out: levels walked
 * @root_order: out: the root is 1 << *root_order pages
 *
 * Return: 0, or -EINVAL for an unknown format or a width it does not allow.
 */
int gpt_geometry(u32 format, u32 *gpa_bits, u32 *levels, u32 *root_order)
{
	const struct gpt_fmt *fmt = gpt_fmt_get(format);
	u32 bits, root_bits;

	if (!fmt)
		return -EINVAL;
	bits = *gpa_bits ? *gpa_bits : fmt->default_bits;
	if (fmt->check_bits(bits))
		return -EINVAL;
	*gpa_bits = bits;
	*levels = fmt->levels(bits);
	root_bits = gpt_root_index_bits(bits, *levels);
	*root_order = root_bits > GPT_LEVEL_BITS ? root_bits - GPT_LEVEL_BITS : 0;
	return 0;
}

/**
 * gpt_init() - set up an empty table with its root
 * @pt: the table
 * @format: GASPACE_FMT_*
 * @gpa_bits: width, 0 = the format's default
 * @mm_ops: where table pages come from
 * @priv: the owner's cookie, kept in @pt->priv
 *
 * Return: 0, -EINVAL for a bad format or width, -ENOMEM.
 */
int gpt_init(struct gpt *pt, u32 format, u32 gpa_bits,
	     const struct gpt_mm_ops *mm_ops, void *priv)
{
	int ret;

	memset(pt, 0, sizeof(*pt));
	ret = gpt_geometry(format, &gpa_bits, &pt->levels, &pt->root_order);
	if (ret)
		return ret;
	pt->fmt = gpt_fmt_get(format);
	pt->gpa_bits = gpa_bits;
	pt->mm_ops = mm_ops;
	pt->priv = priv;
	pt->root = mm_ops->zalloc_pages(pt, pt->root_order);
	if (!pt->root)
		return -ENOMEM;
	pt->root_pa = virt_to_phys(pt->root);
	pt->nr_table_pages = 1UL << pt->root_order;
	return 0;
}

/**
 * gpt_destroy() - free every table page, root included
 * @pt: the table; its leaves' memory is the caller's
 */
void gpt_destroy(struct gpt *pt)
{
	if (!pt->root)
		return;
	pt->mm_ops->free_pages(pt, pt->root, pt->root_order);
	pt->nr_table_pages -= 1UL << pt->root_order;
	pt->root = NULL;
}
