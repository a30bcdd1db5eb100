/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What qemu_guest.S (the guest of qemu_test, run by QEMU's pc machine with
 * a gaspace space as its RAM) and qemu_test.c agree on.  Included by both:
 * the assembler sees the #defines only.
 *
 * The firmware (the -bios image, 64 KiB at the top of 4 GiB) enters 32-bit
 * protected mode with flat segments and jumps to the program, which QEMU's
 * generic loader (-device loader) wrote into guest RAM at QG_PROG_GPA.  The
 * program checks the header the test wrote at QG_SEED_GPA, fills every page
 * of the QG_NR_RANGES ranges with qg_pattern() and leaves through isa-debug-exit:
 * QEMU's exit status is (value << 1) | 1.
 */
#ifndef QEMU_GUEST_H
#define QEMU_GUEST_H

#define QG_RAM_SIZE	0x1000000	/* 16 MiB: the space, and -m */
#define QG_SEED_GPA	0x3000		/* u32 QG_SEED_MAGIC, u32 seed */
#define QG_SEED_MAGIC	0x70736167	/* "gasp" */
#define QG_PROG_GPA	0x100000	/* the loader puts the program here */
#define QG_EXIT_PORT	0xf4		/* isa-debug-exit,iobase=0xf4,iosize=4 */
#define QG_EXIT_OK	0x21		/* QEMU exits with 0x43 */
#define QG_EXIT_BAD_SEED 0x12		/* QEMU exits with 0x25 */
#define QG_MUL		0x9e3779b1

/*
 * The filled pages, QG_Rn_GPA and QG_Rn_PAGES: low memory on each side of
 * the pc's window of VGA, option ROMs and BIOS (0xa0000 to 0x100000,
 * QEMU's own memory, never the space's), 64 KiB at 2 MiB, two pages
 * across 8 MiB, and the last page of RAM.
 */
#define QG_NR_RANGES	5
#define QG_R0_GPA	0x1000
#define QG_R0_PAGES	1
#define QG_R1_GPA	0x9f000
#define QG_R1_PAGES	1
#define QG_R2_GPA	0x200000
#define QG_R2_PAGES	16
#define QG_R3_GPA	0x7ff000
#define QG_R3_PAGES	2
#define QG_R4_GPA	0xfff000
#define QG_R4_PAGES	1

#ifndef __ASSEMBLER__
#include <linux/types.h>

/* The 32-bit word the guest stores at @gpa (4-byte aligned). */
static inline __u32 qg_pattern(__u32 gpa, __u32 seed)
{
	return (gpa ^ seed) * (__u32)QG_MUL;
}
#endif

#endif /* QEMU_GUEST_H */
