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
#include <linux/errno.h>
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

static int ept_check_bits(u32 gpa_bits)
{
	return gpa_bits == 48 || gpa_bits == 57 ? 0 : -EINVAL;
}

static u32 ept_levels(u32 gpa_bits)
{
	return gpa_bits == 57 ? 5 : 4;
}

static u64 ept_encode_table(phys_addr_t pa)
{
	return (pa & EPT_ADDR_MASK) | EPT_RWX;
}

static u64 ept_encode_leaf(phys_addr_t pa, u32 prot, u32 level)
{
	u64 pte = pa & EPT_ADDR_MASK;

	if (prot & GASPACE_PROT_READ)
		pte |= EPT_R;
	if (prot & GASPACE_PROT_WRITE)
		pte |= EPT_W;
	if (prot & GASPACE_PROT_EXEC)
		pte |= EPT_X;
	if (!(prot & GPT_ATTR_DEVICE))
		pte |= EPT_MT_WB << EPT_MT_SHIFT | EPT_IPAT;
	if (level)
		pte |= EPT_PS;
	if (!(prot & GPT_PROT_RWX))
		pte |= GPT_SW_PROTNONE;
	return pte;
}

static bool ept_decode(u64 pte, u32 level, phys_addr_t *pa, u32 *prot,
		       bool *leaf)
{
	u32 p = 0;

	if (!(pte & EPT_RWX) && !(pte & GPT_SW_PROTNONE))
		return false;
	*pa = pte & EPT_ADDR_MASK;
	*leaf = !level || (pte & EPT_PS) || (pte & GPT_SW_PROTNONE);
	if (pte & EPT_R)
		p |= GASPACE_PROT_READ;
	if (pte & EPT_W)
		p |= GASPACE_PROT_WRITE;
	if (pte & EPT_X)
		p |= GASPACE_PROT_EXEC;
	if (*leaf && ((pte & EPT_MT_MASK) >> EPT_MT_SHIFT) == EPT_MT_UC)
		p |= GPT_ATTR_DEVICE;
	*prot = p;
	return true;
}

/* EPTP: root | (page-walk length - 1) << 3 | WB; A/D enable (bit 6) off. */
static u64 ept_root_pointer(const struct gpt *pt)
{
	return (pt->root_pa & EPT_ADDR_MASK) |
	       (u64)(pt->levels - 1) << EPTP_PWL_SHIFT | EPTP_MT_WB;
}

const struct gpt_fmt gpt_fmt_ept = {
	.format		= GASPACE_FMT_EPT,
	.name		= "ept",
	.default_bits	= 48,
	.pa_bits	= 52,
	.block_levels	= GPT_LEVEL_MASK(1) | GPT_LEVEL_MASK(2),
	.addr_mask	= EPT_ADDR_MASK,
	.table_mask	= EPT_RWX | EPT_PS,
	.table_bits	= EPT_RWX,
	.hw_bits	= EPT_A | EPT_D,
	.check_bits	= ept_check_bits,
	.levels		= ept_levels,
	.encode_table	= ept_encode_table,
	.encode_leaf	= ept_encode_leaf,
	.decode		= ept_decode,
	.root_pointer	= ept_root_pointer,
};
EXPORT_SYMBOL_NS_GPL(gpt_fmt_ept, GASPACE_INTERNAL);
