/* SPDX-License-Identifier: GPL-2.0 */
/*
 * addrspace/: what an address space is, shared by core.c (the rules),
 * areas.c (the area set), file.c (userspace) and dev.c (/dev/gaspace).
 */
#ifndef _GASPACE_ADDRSPACE_INTERNAL_H
#define _GASPACE_ADDRSPACE_INTERNAL_H

#include <linux/gaspace.h>
#include <linux/list.h>
#include <linux/maple_tree.h>
#include <linux/mutex.h>
#include <linux/refcount.h>

#include "../npt/pgtable.h"

/*
 * Locking.  Two mutexes, always taken in this order:
 *
 *   map_lock  serialises the calls that change the area set (MAP_*, UNMAP,
 *             PROTECT).  It is held across their long work: populating an
 *             area allocates its frames under map_lock alone.  The area
 *             tree changes only under both locks, so what a map_lock
 *             holder read of it under pt_lock stays true.
 *   pt_lock   protects the page table, the area tree (its external lock),
 *             the counters and the notifier list.  Faults, TRANSLATE,
 *             pread/pwrite lookups and GET_INFO take only pt_lock, and
 *             only briefly: a fault allocates its one frame (and the table
 *             pages above it) under it, so concurrent faults on one page
 *             allocate one frame, and a fault racing an UNMAP either lands
 *             before it (and is removed by it) or finds no area.  Writers
 *             allocate everything before taking pt_lock (a reserve of
 *             table pages, the frames to populate) and hold it only to
 *             change the tree and the table.
 *
 * Notifiers run under map_lock and pt_lock: only the writers change or
 * remove what a TLB may hold.  A fault only adds leaves, from table pages
 * and a frame it allocated before changing the table, so it never has
 * anything to undo or invalidate.
 */

/**
 * struct gaspace_reserve - table pages a call allocated before pt_lock
 * @pages: zeroed pages, chained through page->lru
 * @nr: how many
 */
struct gaspace_reserve {
	struct list_head pages;
	u64 nr;
};

static inline void gaspace_reserve_init(struct gaspace_reserve *r)
{
	INIT_LIST_HEAD(&r->pages);
	r->nr = 0;
}

/**
 * struct gaspace - one guest address space
 * @refcount: users: the file (which each VMM mapping holds) and each
 *	in-kernel holder
 * @map_lock: serialises MAP/UNMAP/PROTECT (see above)
 * @pt_lock: protects the table, the areas and the counters (see above)
 * @pt: the nested page table
 * @areas: the area set, keyed by guest-physical range (areas.c)
 * @base: first guest-physical address
 * @size: bytes in the space
 * @notifiers: registered struct gaspace_notifier, under @pt_lock
 * @nr_areas: areas in the space, under @pt_lock
 * @nr_data_pages: alloc frames in 4 KiB pages, under @pt_lock
 * @reserve: table pages of the call that holds @pt_lock, or NULL
 * @mapping: the file's mapping, whose VMM mmaps UNMAP zaps, under
 *	@map_lock; NULL for a space created in the kernel or once the file
 *	is gone
 * @mmapped: the file was mmapped once (UNMAP has mappings to zap)
 */
struct gaspace {
	refcount_t refcount;
	struct mutex map_lock;		/* see above */
	struct mutex pt_lock;		/* see above */
	struct gpt pt;
	struct maple_tree areas;
	u64 base;
	u64 size;
	struct list_head notifiers;
	u64 nr_areas;
	u64 nr_data_pages;
	struct gaspace_reserve *reserve;
	struct address_space *mapping;
	bool mmapped;
};

/**
 * struct gaspace_area - one area, as areas.c decodes it
 * @start: first guest-physical address
 * @end: end of the area (last address + 1)
 * @delta: linear: host-physical minus guest-physical address
 * @prot: GASPACE_PROT_*
 * @backend: GASPACE_BACKEND_*
 * @flags: the GASPACE_MAP_* flags that stay with the area: DEVICE, NOHUGE
 *	(linear), HUGE (alloc)
 */
struct gaspace_area {
	u64 start;
	u64 end;
	u64 delta;
	u32 prot;
	u32 backend;
	u32 flags;
};

/* Bookkeeping memory: charged, and failing at the cgroup's limit. */
#define GASPACE_GFP_META	(GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL)
/* Table pages of a call (tables.c zeroes them): the same. */
#define GASPACE_GFP_TABLE	GASPACE_GFP_META
/*
 * A store of the area set after the table changed: one that adds no entry
 * (it replaces whole areas), so the few tree nodes it may take are given
 * back as it ends; it must not fail.  __GFP_RETRY_MAYFAIL with it: at the
 * cgroup's limit the charge is forced rather than calling the OOM killer
 * from an ioctl.
 */
#define GASPACE_GFP_COMMIT	(GASPACE_GFP_META | __GFP_NOFAIL)

/* Module parameters (core.c), read at each call. */
extern bool gaspace_linear_ram;
extern unsigned int gaspace_max_areas;

/* tables.c */
extern const struct gpt_mm_ops gaspace_mm_ops;
#ifdef CONFIG_ARM64
void gaspace_sync_written(struct gaspace *as, struct page *page, size_t off,
			  size_t len);
#else
/* x86 and RISC-V guests see what the host's cacheable mapping wrote */
static inline void gaspace_sync_written(struct gaspace *as, struct page *page,
					size_t off, size_t len)
{
}
#endif
int gaspace_reserve_fill(struct gaspace *as, struct gaspace_reserve *r,
			 u64 nr, gfp_t gfp);
void gaspace_reserve_release(struct gaspace_reserve *r);
u64 gaspace_map_tables_bound(const struct gpt *pt, u64 gpa, u64 end, u64 hpa,
			     u32 max_level);
u64 gaspace_split_tables_bound(const struct gpt *pt);

/* areas.c */
void gaspace_areas_init(struct gaspace *as);
void gaspace_areas_destroy(struct gaspace *as);
bool gaspace_area_find(struct gaspace *as, u64 gpa, struct gaspace_area *a);
bool gaspace_area_next(struct gaspace *as, u64 gpa, u64 end,
		       struct gaspace_area *a);
int gaspace_areas_store(struct gaspace *as, u64 start, u64 end,
			const struct gaspace_area *a, gfp_t gfp);
u64 gaspace_areas_after_store(struct gaspace *as, u64 start, u64 end,
			      bool filled);

/* core.c */
int gaspace_do_map_linear(struct gaspace *as, u64 gpa, u64 hpa, u64 size,
			  u32 prot, u32 flags, bool from_user);
int gaspace_populate_locked(struct gaspace *as, u64 gpa,
			    const struct gaspace_area *a, gfp_t gfp);

/* guestmem.c */
struct gaspace_frames;
struct iov_iter;
int gaspace_get_frame(struct gaspace *as, u64 gpa, bool populate, bool vmm,
		      struct page **pagep);
ssize_t gaspace_rw_iter(struct gaspace *as, u64 gpa, struct iov_iter *iter,
			bool write);
bool gaspace_range_in_alloc(struct gaspace *as, u64 gpa, u64 size);
void gaspace_zap(struct gaspace *as, u64 gpa, u64 size,
		 struct gaspace_frames *frames);

/* file.c */
int gaspace_install_fd(struct gaspace *as);
int gaspace_fs_pin(void);
void gaspace_fs_unpin(void);

#endif /* _GASPACE_ADDRSPACE_INTERNAL_H */
