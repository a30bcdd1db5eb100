// SPDX-License-Identifier: GPL-2.0
/*
 * Intel EPT (Intel SDM vol. 3, "EPT Translation Mechanism").
 *
 * Table entry: address | R | W | X.  Leaf: address | R(0) W(1) X(2) |
 * memory type in 5:3 (6 = WB with IPAT for RAM, 0 = UC for device) | bit 7 in
 * blocks.  Accessed/dirty (bits 8, 9) are written as 0 and ignored when read:
 * the CPU sets them once a hypervisor enables A/D in the EPTP.
 */
#include <linux/bits.h>
#include <linux/export.h>

#include "pgtable.h"

#define EPT_R			BIT_ULL(0)
#define EPT_W			BIT_ULL(1)
#define EPT_X			BIT_ULL(2)
#define EPT_RWX			(EPT_R | EPT_W | EPT_X)
#define EPT_MT_SHIFT		3
#define EPT_MT_MASK		GENMASK_ULL(5, 3)
#define EPT_MT_UC		0ULL
#define EPT_MT_WB		6ULL
#define EPT_IPAT		BIT_ULL(6)
#define EPT_PS			BIT_ULL(7)
#define EPT_A			BIT_ULL(8)
#define EPT_D			BIT_ULL(9)
#define EPT_ADDR_MASK		GENMASK_ULL(51, 12)
#define EPTP_MT_WB		6ULL
#define EPTP_PWL_SHIFT		3

/* EPTP: root | (page-walk length - 1) << 3 | WB; A/D enable (bit 6) off. */
static u64 ept_root_pointer(const struct gpt *pt, u64 *walk_config)
{
	*walk_config = 0;
	return (pt->root_pa & EPT_ADDR_MASK) |
	       (u64)(pt->levels - 1) << EPTP_PWL_SHIFT | EPTP_MT_WB;
}

const struct gpt_fmt gpt_fmt_ept = {
	.format		= GASPACE_FMT_EPT,
	.name		= "ept",
	.geo		= GPT_GEOMETRY_X86_64,
	.addr_mask	= EPT_ADDR_MASK,
	.table		= { .mask = EPT_RWX | EPT_PS, .bits = EPT_RWX, .attrs = EPT_RWX },
	.leaf		= {
		.read		= EPT_R,
		.write		= EPT_W,
		.exec		= EPT_X,
		.ram		= EPT_MT_WB << EPT_MT_SHIFT | EPT_IPAT,
		.device		= EPT_MT_UC << EPT_MT_SHIFT,
		.type_mask	= EPT_MT_MASK | EPT_IPAT,
		.block		= EPT_PS,
	},
	.hw_bits	= EPT_A | EPT_D,
	.root_pointer	= ept_root_pointer,
};
EXPORT_SYMBOL_NS_GPL(gpt_fmt_ept, GASPACE_INTERNAL);
