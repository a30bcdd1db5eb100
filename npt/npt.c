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
#include <linux/errno.h>
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

static int npt_check_bits(u32 gpa_bits)
{
	return gpa_bits == 48 || gpa_bits == 57 ? 0 : -EINVAL;
}

static u32 npt_levels(u32 gpa_bits)
{
	return gpa_bits == 57 ? 5 : 4;
}

static u64 npt_encode_table(phys_addr_t pa)
{
	return (pa & NPT_ADDR_MASK) | NPT_P | NPT_RW | NPT_US;
}

static u64 npt_encode_leaf(phys_addr_t pa, u32 prot, u32 level)
{
	u64 pte = (pa & NPT_ADDR_MASK) | NPT_US;

	if (prot & GPT_PROT_RWX)
		pte |= NPT_P;
	else
		pte |= GPT_SW_PROTNONE;
	if (prot & GASPACE_PROT_WRITE)
		pte |= NPT_RW;
	if (!(prot & GASPACE_PROT_EXEC))
		pte |= NPT_NX;
	if (prot & GPT_ATTR_DEVICE)
		pte |= NPT_PWT | NPT_PCD;
	if (level)
		pte |= NPT_PS;
	return pte;
}

static bool npt_decode(u64 pte, u32 level, phys_addr_t *pa, u32 *prot,
		       bool *leaf)
{
	u32 p = 0;

	if (!(pte & NPT_P) && !(pte & GPT_SW_PROTNONE))
		return false;
	*pa = pte & NPT_ADDR_MASK;
	*leaf = !level || (pte & NPT_PS) || !(pte & NPT_P);
	if (pte & NPT_P) {
		p |= GASPACE_PROT_READ;
		if (pte & NPT_RW)
			p |= GASPACE_PROT_WRITE;
		if (!(pte & NPT_NX))
			p |= GASPACE_PROT_EXEC;
	}
	if (*leaf && (pte & NPT_PCD))
		p |= GPT_ATTR_DEVICE;
	*prot = p;
	return true;
}

/* nCR3 is the root's physical address. */
static u64 npt_root_pointer(const struct gpt *pt)
{
	return pt->root_pa & NPT_ADDR_MASK;
}

const struct gpt_fmt gpt_fmt_npt = {
	.format		= GASPACE_FMT_NPT,
	.name		= "npt",
	.default_bits	= 48,
	.pa_bits	= 52,
	.block_levels	= GPT_LEVEL_MASK(1) | GPT_LEVEL_MASK(2),
	.addr_mask	= NPT_ADDR_MASK,
	.table_mask	= NPT_P | NPT_PS,
	.table_bits	= NPT_P,
	.hw_bits	= NPT_A | NPT_D,
	.check_bits	= npt_check_bits,
	.levels		= npt_levels,
	.encode_table	= npt_encode_table,
	.encode_leaf	= npt_encode_leaf,
	.decode		= npt_decode,
	.root_pointer	= npt_root_pointer,
};
EXPORT_SYMBOL_NS_GPL(gpt_fmt_npt, GASPACE_INTERNAL);
