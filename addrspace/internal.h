/* SPDX-License-Identifier: GPL-2.0 */
/*
 * addrspace/: what an address space is, shared by core.c (the rules),
 * file.c (userspace) and dev.c (/dev/gaspace).
 */
#ifndef _GASPACE_ADDRSPACE_INTERNAL_H
#define _GASPACE_ADDRSPACE_INTERNAL_H

#include <linux/gaspace.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/refcount.h>

#include "../npt/pgtable.h"

/**
 * struct gaspace - one guest address space
 * @refcount: users: each fd (file), mmap and in-kernel holder
 * @lock: the map lock; serialises changes to the table and the areas, and
 *	the notifier list.  Held across sleeping allocations of table pages.
 * @pt: the nested page table
 * @base: first guest-physical address
 * @size: bytes in the space
 * @notifiers: registered struct gaspace_notifier, under @lock
 * @nr_areas: areas in the space, under @lock
 * @nr_data_pages: alloc frames in 4 KiB pages, under @lock
 * @mapped_bytes: bytes covered by present leaves, under @lock
 */
struct gaspace {
	refcount_t refcount;
	struct mutex lock;		/* the map lock, see above */
	struct gpt pt;
	u64 base;
	u64 size;
	struct list_head notifiers;
	u64 nr_areas;
	u64 nr_data_pages;
	u64 mapped_bytes;
};

/* Module parameters (core.c), read at each call. */
extern bool gaspace_linear_ram;
extern unsigned int gaspace_max_areas;

/* file.c */
int gaspace_fs_init(void);
void gaspace_fs_exit(void);
int gaspace_install_fd(struct gaspace *as);

#endif /* _GASPACE_ADDRSPACE_INTERNAL_H */
