/* SPDX-License-Identifier: GPL-2.0 */
/*
 * backends/: what an area's range maps to.  linear.c maps a fixed offset to
 * host physical memory; alloc.c owns frames it allocates, zeroed, and frees.
 * Backends know the walker and nothing of files, userspace or the area set.
 */
#ifndef _GASPACE_BACKENDS_BACKEND_H
#define _GASPACE_BACKENDS_BACKEND_H

#include <linux/gfp.h>
#include <linux/list.h>
#include <linux/types.h>

#include "../npt/pgtable.h"

/*
 * Frames: zeroed and charged to the caller's memory cgroup.  A call (an
 * ioctl, pwrite) fails with -ENOMEM at the cgroup's limit; a VMM touch
 * through mmap behaves as anonymous memory does there (the cgroup's OOM
 * killer), since a fault cannot return the error.
 */
#define GASPACE_GFP_FRAME	(GFP_KERNEL_ACCOUNT | __GFP_ZERO | \
				 __GFP_RETRY_MAYFAIL | __GFP_NOWARN)
#define GASPACE_GFP_FRAME_VMM	(GFP_KERNEL_ACCOUNT | __GFP_ZERO)

/* linear.c */
int gaspace_linear_map(struct gpt *pt, u64 gpa, u64 size, u64 hpa, u32 prot,
		       bool nohuge);

/**
 * struct gaspace_frames - zeroed frames, in gpa order, waiting to be mapped,
 *	or removed ones waiting to be freed
 * @pages: 4 KiB pages and the first pages of 2 MiB blocks (page_private()
 *	is the leaf level: 0 or 1), chained through page->lru
 * @nr_pages: 4 KiB pages in all
 * @whole: a 2 MiB block the walker cannot map whole fails the map with
 *	-EAGAIN (else its pages are mapped one by one)
 */
struct gaspace_frames {
	struct list_head pages;
	u64 nr_pages;
	bool whole;
};

static inline void gaspace_frames_init(struct gaspace_frames *f)
{
	INIT_LIST_HEAD(&f->pages);
	f->nr_pages = 0;
	f->whole = false;
}

int gaspace_frames_alloc(struct gaspace_frames *f, u64 gpa, u64 end,
			 u64 area_start, u64 area_end, bool huge, gfp_t gfp,
			 u64 limit);
int gaspace_frames_alloc_huge(struct gaspace_frames *f, u64 limit);
int gaspace_frames_map(struct gpt *pt, struct gaspace_frames *f, u64 gpa,
		       u64 size, u32 prot);
void gaspace_frames_free(struct gaspace_frames *f);
void gaspace_frames_add_leaf(struct gaspace_frames *f,
			     const struct gpt_leaf *leaf);
bool gaspace_huge_fits(u64 gpa, u64 area_start, u64 area_end);

#endif /* _GASPACE_BACKENDS_BACKEND_H */
