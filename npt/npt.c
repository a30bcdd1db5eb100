// SPDX-License-Identifier: GPL-2.0
/*
 * AMD NPT: nested tables are ordinary x86-64 long-mode entries (AMD APM
 * vol. 2, "Nested Paging" and "Long-Mode Page Translation").
 *
 * Nested walks are user accesses, so every entry has US.  Table entry:
 * address | P | RW | US.  Leaf: address | P | RW if writable | US |
 * PWT | PCD for device | PS in blocks | NX unless executable.  Every present
 * page is readable: an exec-only leaf is P=1 RW=0 NX=0, so it reads back as
 * READ | EXEC.  A, D, G and PAT are written 0; the CPU sets A and D, and they
 * are ignored when read.
 */
#include <linux/bits.h>
#include <linux/export.h>

#include "pgtable.h"

#define NPT_P			BIT_ULL(0)
#define NPT_RW			BIT_ULL(1)
#define NPT_US			BIT_ULL(2)
#define NPT_PWT			BIT_ULL(3)
#define NPT_PCD			BIT_ULL(4)
#define NPT_A			BIT_ULL(5)
#define NPT_D			BIT_ULL(6)
#define NPT_PS			BIT_ULL(7)
#define NPT_NX			BIT_ULL(63)
#define NPT_ADDR_MASK		GENMASK_ULL(51, 12)

/* nCR3 is the root's physical address. */
static u64 npt_root_pointer(const struct gpt *pt, u64 *walk_config)
{
	*walk_config = 0;
	return pt->root_pa & NPT_ADDR_MASK;
}

const struct gpt_fmt gpt_fmt_npt = {
	.format		= GASPACE_FMT_NPT,
	.name		= "npt",
	.geo		= GPT_GEOMETRY_X86_64,
	.addr_mask	= NPT_ADDR_MASK,
	.table		= { .mask = NPT_P | NPT_PS, .bits = NPT_P,
			    .attrs = NPT_P | NPT_RW | NPT_US },
	.leaf		= {
		.always		= NPT_US,
		.present	= NPT_P,
		.write		= NPT_RW,
		.noexec		= NPT_NX,
		.device		= NPT_PWT | NPT_PCD,
		.type_mask	= NPT_PWT | NPT_PCD,
		.block		= NPT_PS,
	},
	.hw_bits	= NPT_A | NPT_D,
	.root_pointer	= npt_root_pointer,
};
EXPORT_SYMBOL_NS_GPL(gpt_fmt_npt, GASPACE_INTERNAL);
