// SPDX-License-Identifier: GPL-2.0
/*
 * RISC-V G-stage translation (RISC-V privileged spec, "Hypervisor Extension",
 * "Two-Stage Address Translation"): Sv39x4, Sv48x4 and Sv57x4, whose root
 * table is widened by two bits to 2048 entries (16 KiB, 16 KiB aligned).
 *
 * Table entry: PPN << 10 | V.  Leaf: PPN << 10 | V | R(1) W(2) X(3) | U(4)
 * (G-stage accesses are user accesses) | A(6) | D(7).  G, RSW, PBMT, N and
 * bits 60:54 are 0; the platform's PMAs type device memory, so a device leaf
 * has the same bits as a RAM leaf.
 */
#include <linux/bits.h>
#include <linux/export.h>

#include "pgtable.h"

#define G_V			BIT_ULL(0)
#define G_R			BIT_ULL(1)
#define G_W			BIT_ULL(2)
#define G_X			BIT_ULL(3)
#define G_U			BIT_ULL(4)
#define G_A			BIT_ULL(6)
#define G_D			BIT_ULL(7)
#define G_RWX			(G_R | G_W | G_X)
#define G_PPN_SHIFT		10
#define G_PPN_MASK		GENMASK_ULL(53, 10)
#define G_HGATP_MODE_SHIFT	60
#define G_HGATP_MODE_SV39X4	8ULL

/* hgatp: MODE (8, 9, 10 for Sv39x4, Sv48x4, Sv57x4) | VMID 0 | root PPN. */
static u64 gstage_root_pointer(const struct gpt *pt, u64 *walk_config)
{
	u64 mode = G_HGATP_MODE_SV39X4 + pt->levels - 3;

	*walk_config = 0;
	return mode << G_HGATP_MODE_SHIFT | (u64)pt->root_pa >> GPT_PAGE_SHIFT;
}

const struct gpt_fmt gpt_fmt_gstage = {
	.format		= GASPACE_FMT_RISCV_G,
	.name		= "gstage",
	.geo		= GPT_GEOMETRY(41, 56, { 41, 41, 3 }, { 50, 50, 4 }, { 59, 59, 5 }),
	.addr_mask	= G_PPN_MASK,
	.addr_shift	= GPT_PAGE_SHIFT - G_PPN_SHIFT,
	.table		= { .mask = G_V | G_RWX, .bits = G_V, .attrs = G_V },
	.leaf		= {
		.always		= G_U | G_A | G_D,
		.present	= G_V,
		.read		= G_R,
		.write		= G_W,
		.exec		= G_X,
	},
	.root_pointer	= gstage_root_pointer,
};
EXPORT_SYMBOL_NS_GPL(gpt_fmt_gstage, GASPACE_INTERNAL);
