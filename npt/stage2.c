// SPDX-License-Identifier: GPL-2.0
/*
 * Arm stage-2 translation, 4 KiB granule, no LPA2 (Arm ARM D8, "VMSAv8-64
 * translation table format descriptors"; VTCR_EL2).  The start level and the
 * number of concatenated root tables for an IPA size are the ones Linux KVM
 * picks (stage2_pgtable_levels(), kvm_pgd_pages()).
 *
 * Table descriptor: address | 0b11.  Page (last level): address | 0b11;
 * block: address | 0b01.  Leaves carry MemAttr[5:2] (0b1111 Normal WB, or
 * 0b0001 Device-nGnRE; the HCR_EL2.FWB = 0 encoding), S2AP[7:6] (bit 6
 * read, bit 7 write), SH[9:8] = 0b11, AF (bit 10) and XN[54:53] = 0b10 when
 * not executable.
 */
#include <linux/bits.h>
#include <linux/export.h>

#include "pgtable.h"

#define S2_VALID		BIT_ULL(0)
#define S2_TABLE		BIT_ULL(1)	/* table, or page at the last level */
#define S2_TABLE_DESC		(S2_TABLE | S2_VALID)
#define S2_MEMATTR_SHIFT	2
#define S2_MEMATTR_MASK		GENMASK_ULL(5, 2)
#define S2_MEMATTR_NORMAL_WB	0xfULL
#define S2_MEMATTR_DEVICE_NGNRE	0x1ULL
#define S2_S2AP_R		BIT_ULL(6)
#define S2_S2AP_W		BIT_ULL(7)
#define S2_SH_INNER		(3ULL << 8)
#define S2_AF			BIT_ULL(10)
#define S2_XN			(2ULL << 53)
#define S2_ADDR_MASK		GENMASK_ULL(47, 12)

#define VTCR_SL0_SHIFT		6
#define VTCR_IRGN0_WBWA		BIT_ULL(8)
#define VTCR_ORGN0_WBWA		BIT_ULL(10)
#define VTCR_SH0_INNER		(3ULL << 12)
#define VTCR_TG0_4K		(0ULL << 14)

/*
 * VTTBR_EL2: BADDR = root (VMID 0, CnP 0).  VTCR_EL2: T0SZ, SL0 (4 KiB
 * granule: 0 = level 2, 1 = level 1, 2 = level 0), inner-shareable
 * write-back walks.
 */
static u64 s2_root_pointer(const struct gpt *pt, u64 *walk_config)
{
	u64 sl0 = pt->levels - 2;

	*walk_config = (64 - pt->gpa_bits) | sl0 << VTCR_SL0_SHIFT |
		       VTCR_IRGN0_WBWA | VTCR_ORGN0_WBWA | VTCR_SH0_INNER |
		       VTCR_TG0_4K;
	return pt->root_pa & S2_ADDR_MASK;
}

/*
 * Levels as KVM's stage2_pgtable_levels(ipa) =
 * ARM64_HW_PGTABLE_LEVELS(ipa - 4): 32-34 bits 2, 35-43 bits 3, 44-48 4.
 */
const struct gpt_fmt gpt_fmt_stage2 = {
	.format		= GASPACE_FMT_ARM64_S2,
	.name		= "stage2",
	.geo		= GPT_GEOMETRY(40, 48, { 32, 34, 2 }, { 35, 43, 3 }, { 44, 48, 4 }),
	.addr_mask	= S2_ADDR_MASK,
	.bbm		= true,
	.table		= { .mask = S2_TABLE_DESC, .bits = S2_TABLE_DESC, .attrs = S2_TABLE_DESC },
	.leaf		= {
		.always		= S2_SH_INNER | S2_AF,
		.present	= S2_VALID,
		.read		= S2_S2AP_R,
		.write		= S2_S2AP_W,
		.noexec		= S2_XN,
		.ram		= S2_MEMATTR_NORMAL_WB << S2_MEMATTR_SHIFT,
		.device		= S2_MEMATTR_DEVICE_NGNRE << S2_MEMATTR_SHIFT,
		.type_mask	= S2_MEMATTR_MASK,
		.page		= S2_TABLE,
	},
	.root_pointer	= s2_root_pointer,
};
EXPORT_SYMBOL_NS_GPL(gpt_fmt_stage2, GASPACE_INTERNAL);
