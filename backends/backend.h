/* SPDX-License-Identifier: GPL-2.0 */
/*
 * backends/: what an area's range maps to.  linear.c maps a fixed offset to
 * host physical memory; alloc.c owns frames it allocates, zeroed, and frees;
 * user.c maps the VMM's own pages, pinned while an area maps them.
 * Each is a struct gaspace_backend, so the address space never asks which
 * one an area has.  Backends know the walker and an area's value, and
 * nothing of files, userspace or locking.
 */
#ifndef _GASPACE_BACKENDS_BACKEND_H
#define _GASPACE_BACKENDS_BACKEND_H

#include <linux/gfp.h>
#include <linux/list.h>
#include <linux/types.h>
#include <linux/uidgid.h>

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

/**
 * struct gaspace_area - one area: its range and value
 * @start: first guest-physical address
 * @end: end of the area (last address + 1)
 * @delta: linear: host-physical minus guest-physical address; user: the
 *	uid whose RLIMIT_MEMLOCK account its pinned pages are charged to,
 *	shifted left by PAGE_SHIFT (gaspace_user_owner())
 * @prot: GASPACE_PROT_*
 * @backend: GASPACE_BACKEND_*
 * @flags: the GASPACE_MAP_* flags that stay with the area: DEVICE, NOHUGE
 *	(linear, user), HUGE (alloc); and GASPACE_AREA_LOGGED
 */
struct gaspace_area {
	u64 start;
	u64 end;
	u64 delta;
	u32 prot;
	u32 backend;
	u32 flags;
};

/*
 * struct gaspace_area.flags: the area is dirty-logged.  Its leaves are
 * 4 KiB, and lack W while their page is clean.
 */
#define GASPACE_AREA_LOGGED	BIT(31)

/**
 * struct gaspace_pins - the VMM's pages a MAP_USER pinned, in gpa order
 * @gpa: guest-physical address of @pfns[0]
 * @pfns: the pinned pages' frame numbers
 * @nr: pages pinned
 * @next: the first page not yet mapped
 * @uid: whose locked_vm they are charged to
 */
struct gaspace_pins {
	u64 gpa;
	unsigned long *pfns;
	u64 nr;
	u64 next;
	kuid_t uid;
};

/**
 * struct gaspace_frames - zeroed frames, in gpa order, waiting to be mapped,
 *	or removed ones waiting to be freed
 * @pages: 4 KiB pages and the first pages of 2 MiB blocks (page_private()
 *	is the leaf level: 0 or 1), chained through page->lru
 * @nr_pages: 4 KiB pages in all
 * @whole: a 2 MiB block the walker cannot map whole fails the map with
 *	-EAGAIN (else its pages are mapped one by one)
 * @pins: MAP_USER: the pinned pages to map
 * @area: removed leaves: the area they belonged to, which @release of a
 *	user area reads its account from
 */
struct gaspace_frames {
	struct list_head pages;
	u64 nr_pages;
	bool whole;
	struct gaspace_pins *pins;
	const struct gaspace_area *area;
};

static inline void gaspace_frames_init(struct gaspace_frames *f)
{
	INIT_LIST_HEAD(&f->pages);
	f->nr_pages = 0;
	f->whole = false;
	f->pins = NULL;
	f->area = NULL;
}

void gaspace_frames_free(struct gaspace_frames *f);

/**
 * struct gaspace_backend - what an area maps to
 * @lazy: its pages get memory at their first access: the fault path asks
 *	@fault_frames for it
 * @prepare: before any lock, allocate what @populate maps for [@gpa,
 *	@end) of @a into @f (GASPACE_MAP_POPULATE); NULL when there is
 *	nothing to allocate.  Return 0, -ENOMEM, -EINTR.
 * @fault_frames: lazy backends: the memory for the page of @gpa into @f,
 *	or for its whole 2 MiB block when @block_empty and the area's flags
 *	ask for it; *@start and *@size say the range.  Return 0, -ENOMEM.
 * @map_bound: table pages @populate of [@gpa, @end) from @f may link
 * @populate: map [@gpa, @end) of @a, from @f where the backend owns frames;
 *	those mapped leave @f.  Return 0 or the walker's error, with the
 *	table unchanged.
 * @release: a leaf of the backend's left the table and was invalidated:
 *	hand the memory it owns to @freed, a struct gaspace_frames whose
 *	@area is the leaf's (NULL: it owns none); a gpt_leaf_fn, so the
 *	walker calls it
 * @frame: the page that holds the byte at @gpa of @leaf, which the VMM
 *	reaches through the fd (pread/pwrite); NULL when it cannot
 * @mmap: the VMM may also map those pages through the fd (the user
 *	backend's are the VMM's own already)
 * @leaf_level: the largest leaf level the area's leaves take when it is
 *	not logged (the walker clamps it to the format's block levels)
 */
struct gaspace_backend {
	bool lazy;
	int (*prepare)(const struct gaspace_area *a, u64 gpa, u64 end,
		       u64 pa_limit, struct gaspace_frames *f);
	int (*fault_frames)(const struct gaspace_area *a, u64 gpa,
			    bool block_empty, gfp_t gfp, u64 pa_limit,
			    struct gaspace_frames *f, u64 *start, u64 *size);
	unsigned long (*map_bound)(const struct gpt *pt,
				   const struct gaspace_area *a, u64 gpa,
				   u64 end, const struct gaspace_frames *f);
	int (*populate)(struct gpt *pt, struct gpt_cache *mc,
			const struct gaspace_area *a, u64 gpa, u64 end,
			struct gaspace_frames *f);
	gpt_leaf_fn release;
	struct page *(*frame)(const struct gpt_leaf *leaf, u64 gpa);
	bool mmap;
	u32 (*leaf_level)(const struct gaspace_area *a);
};

extern const struct gaspace_backend gaspace_backend_linear;
extern const struct gaspace_backend gaspace_backend_alloc;

/* linear.c: a leaf_level of the largest blocks the format has, unless NOHUGE */
u32 gaspace_leaf_level_nohuge(const struct gaspace_area *a);
/* alloc.c: a frame of the page of @gpa in a leaf of struct pages */
struct page *gaspace_leaf_frame(const struct gpt_leaf *leaf, u64 gpa);

extern const struct gaspace_backend gaspace_backend_user;

static inline const struct gaspace_backend *
gaspace_backend(const struct gaspace_area *a)
{
	switch (a->backend) {
	case GASPACE_BACKEND_ALLOC:
		return &gaspace_backend_alloc;
	case GASPACE_BACKEND_USER:
		return &gaspace_backend_user;
	default:
		return &gaspace_backend_linear;
	}
}

/* user.c */
struct user_struct;

int gaspace_user_pin(struct gaspace_pins *p, u64 uaddr, u64 gpa, u64 size,
		     u64 pa_limit);
void gaspace_user_unpin_rest(struct gaspace_pins *p);
u32 gaspace_user_run_level(const unsigned long *pfns, u64 nr, u32 max_level);
int gaspace_user_charge(struct user_struct *user, u64 nr);
void gaspace_user_uncharge(kuid_t uid, u64 nr);
long gaspace_user_locked(struct user_struct *user);

/* The area value's record of whose account its pages are charged to. */
static inline u64 gaspace_user_owner(kuid_t uid)
{
	return (u64)__kuid_val(uid) << PAGE_SHIFT;
}

static inline kuid_t gaspace_user_uid(const struct gaspace_area *a)
{
	return KUIDT_INIT((uid_t)(a->delta >> PAGE_SHIFT));
}

/*
 * The portable prot and attributes an area's new leaves carry: a logged
 * area's lack W until their page is written (addrspace/dirty.c).
 */
static inline u32 gaspace_area_gpt_prot(const struct gaspace_area *a)
{
	u32 prot = a->prot;

	if (a->flags & GASPACE_AREA_LOGGED)
		prot &= ~GASPACE_PROT_WRITE;
	return prot | (a->flags & GASPACE_MAP_DEVICE ? GPT_ATTR_DEVICE : 0);
}

#endif /* _GASPACE_BACKENDS_BACKEND_H */
