// SPDX-License-Identifier: GPL-2.0
/*
 * Formats: which exist, their geometry at a width, and the two converters
 * between portable prot and a leaf's hardware bits, written once for every
 * format from its struct gpt_leaf_bits.
 */
#include <linux/errno.h>
#include <linux/export.h>
#include <linux/kernel.h>

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
EXPORT_SYMBOL_NS_GPL(gpt_fmt_get, GASPACE_INTERNAL);

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
	u32 bits, root_bits, i;

	if (!fmt)
		return -EINVAL;
	bits = *gpa_bits ? *gpa_bits : fmt->geo.default_bits;
	for (i = 0; i < GPT_MAX_WIDTHS; i++) {
		const struct gpt_width *wd = &fmt->geo.widths[i];

		if (wd->levels && bits >= wd->min_bits && bits <= wd->max_bits)
			break;
	}
	if (i == GPT_MAX_WIDTHS)
		return -EINVAL;
	*gpa_bits = bits;
	*levels = fmt->geo.widths[i].levels;
	root_bits = gpt_root_index_bits(bits, *levels);
	*root_order = root_bits > GPT_LEVEL_BITS ?
		      root_bits - GPT_LEVEL_BITS : 0;
	return 0;
}
EXPORT_SYMBOL_NS_GPL(gpt_geometry, GASPACE_INTERNAL);

/**
 * gpt_leaf_tmpl() - the bits of a leaf beside its address
 * @fmt: the format
 * @prot: portable prot (GASPACE_PROT_*, 0 for a leaf non-present to the
 *	hardware that keeps its address) and attributes (GPT_ATTR_DEVICE)
 * @level: the leaf's level
 *
 * Return: the bits, GPT_SW_PROTNONE included for a prot 0 leaf.
 */
u64 gpt_leaf_tmpl(const struct gpt_fmt *fmt, u32 prot, u32 level)
{
	const struct gpt_leaf_bits *b = &fmt->leaf;
	u64 pte = b->always | (level ? b->block : b->page);

	pte |= prot & GPT_PROT_RWX ? b->present : GPT_SW_PROTNONE;
	if (prot & GASPACE_PROT_READ)
		pte |= b->read;
	if (prot & GASPACE_PROT_WRITE)
		pte |= b->write;
	pte |= prot & GASPACE_PROT_EXEC ? b->exec : b->noexec;
	pte |= prot & GPT_ATTR_DEVICE ? b->device : b->ram;
	return pte;
}
EXPORT_SYMBOL_NS_GPL(gpt_leaf_tmpl, GASPACE_INTERNAL);

