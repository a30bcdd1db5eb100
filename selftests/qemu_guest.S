/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest of qemu_test (see qemu_guest.h): two images, each its own
 * section, cut out of the linked object with objcopy.
 *
 * .bios (64 KiB, QEMU's -bios: it lies at 0xffff0000): the CPU leaves
 * reset in real mode at 0xfffffff0 with CS's base 0xffff0000.  Load a flat
 * GDT, enter 32-bit protected mode, jump to the program.
 *
 * .prog (-device loader, at QG_PROG_GPA in guest RAM): check the seed
 * header, fill the ranges with the pattern, write the exit port.  No stack,
 * no interrupts.
 */
#include "qemu_guest.h"

#define BIOS_BASE	0xffff0000

	.section .bios, "ax"
	.code16
bios_base:
	.org	0xff00
bios_start:
	cli
	lgdtl	%cs:(gdt_desc - bios_base)
	movl	%cr0, %eax
	orl	$1, %eax
	movl	%eax, %cr0
	ljmpl	$0x08, $pm_entry

	.code32
pm_entry:
	movw	$0x10, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movl	$QG_PROG_GPA, %eax
	jmp	*%eax

	.p2align 3
gdt:
	.quad	0			/* null */
	.quad	0x00cf9b000000ffff	/* 0x08: code, flat, 32-bit */
	.quad	0x00cf93000000ffff	/* 0x10: data, flat */
gdt_desc:
	.word	gdt_desc - gdt - 1
	.long	gdt

	.org	0xfff0
	.code16
reset:
	jmp	bios_start
	.org	0x10000

	.section .prog, "ax"
	.code32
prog:
	movl	$QG_SEED_GPA, %esi
	cmpl	$QG_SEED_MAGIC, (%esi)
	jne	bad_seed
	movl	4(%esi), %ebp		/* the seed */
	movl	$ranges, %esi
next_range:
	movl	(%esi), %edi		/* gpa */
	movl	4(%esi), %ecx		/* pages */
	testl	%ecx, %ecx
	jz	done
	shll	$10, %ecx		/* 32-bit words */
fill:
	movl	%edi, %eax
	xorl	%ebp, %eax
	imull	$QG_MUL, %eax, %eax
	movl	%eax, (%edi)
	addl	$4, %edi
	decl	%ecx
	jnz	fill
	addl	$8, %esi
	jmp	next_range
done:
	movl	$QG_EXIT_OK, %eax
exit:
	movw	$QG_EXIT_PORT, %dx
	outl	%eax, %dx
1:	hlt
	jmp	1b
bad_seed:
	movl	$QG_EXIT_BAD_SEED, %eax
	jmp	exit

	.p2align 2
ranges:
	.long	QG_R0_GPA, QG_R0_PAGES
	.long	QG_R1_GPA, QG_R1_PAGES
	.long	QG_R2_GPA, QG_R2_PAGES
	.long	QG_R3_GPA, QG_R3_PAGES
	.long	QG_R4_GPA, QG_R4_PAGES
	.long	0, 0
