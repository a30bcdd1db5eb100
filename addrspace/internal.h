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
#include <linux/seqlock.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/xarray.h>

#include "../backends/backend.h"

/*
 * Locking.  Two mutexes, always taken in this order, RCU, and faults in
 * flight:
 *
 *   map_lock  serialises the calls that change the area set (MAP_*, UNMAP,
 *             PROTECT) from their checks to their end.  It is held across
 *             their long work: they allocate everything they need (frames
 *             to populate, the table pages of a struct gpt_cache) under
 *             map_lock alone.  The area tree changes only under both
 *             locks, so what a map_lock holder read of it stays true.
 *   pt_lock   protects changes of the table, the area tree (its external
 *             lock), the counters and the notifier list.  It is held only
 *             to change them (a call's commit, or a fault linking the frame
 *             it allocated), never across the allocation of a frame or a
 *             table page: only the area tree takes its few nodes there.
 *   seq       a seqcount written under pt_lock, odd while a commit of
 *             MAP, UNMAP or PROTECT changes the areas and the table: a
 *             lockless TRANSLATE that saw it odd or moving looks again
 *             under pt_lock (it never spins, so the writer may sleep).
 *   RCU       the area tree (the maple tree's RCU mode) and the table
 *             (tables an unmap unlinked are freed after a grace period)
 *             are read under rcu_read_lock() alone by TRANSLATE and by the
 *             fault path's first look.
 *   faults    a fault that must allocate registers the page (the 2 MiB
 *             block in a HUGE area) in @faults under @fault_lock; a fault
 *             that finds its page there waits on @fault_wq and looks
 *             again, so concurrent faults on one page allocate one frame,
 *             and faults on distinct pages allocate in parallel.
 *
 * Notifiers run under map_lock and pt_lock: only the commits of MAP,
 * UNMAP, PROTECT and the dirty-log calls change or remove what a TLB may
 * hold.  A fault only adds leaves or permissions (W back to a logged
 * page), from table pages and a frame it allocated before it took pt_lock
 * (checked enough there), so it never has anything to undo or invalidate.
 */

struct gaspace_tc_entry;

/**
 * struct gaspace_tcache - TRANSLATE's recent answers (tcache.c)
 * @lock: taken (trylock) by whoever stores an answer
 * @seq: odd while an answer is stored: a reader that saw it odd or moving
 *	ignores what it read
 * @e: GASPACE_TCACHE_SIZE answers by hash of the page number, or NULL
 *	before the first
 */
struct gaspace_tcache {
	spinlock_t lock;		/* stores */
	seqcount_spinlock_t seq;
	struct gaspace_tc_entry *e;
};

/**
 * struct gaspace_uf - userspace fault delivery (userfault.c)
 * @lock: protects the rest
 * @open: a userfault fd is open
 * @waits: struct gaspace_uwait of missing pages, by page index
 * @events: waits whose events are unread, oldest first
 * @read_wq: readers and pollers of the userfault fd
 * @nr_events: events raised so far
 */
struct gaspace_uf {
	struct mutex lock;		/* protects the rest */
	bool open;
	struct xarray waits;
	struct list_head events;
	wait_queue_head_t read_wq;
	u64 nr_events;
};

/**
 * struct gaspace - one guest address space
 * @refcount: users: the files (which each VMM mapping holds) and each
 *	in-kernel holder
 * @map_lock: serialises MAP/UNMAP/PROTECT (see above)
 * @pt_lock: protects changes of the table, the areas and the counters
 * @seq: odd while a commit changes the areas and the table (see above)
 * @pt: the nested page table
 * @areas: the area set, keyed by guest-physical range (areas.c)
 * @base: first guest-physical address
 * @size: bytes in the space
 * @notifiers: registered struct gaspace_notifier, under @pt_lock
 * @nr_areas: areas in the space, under @pt_lock
 * @nr_data_pages: alloc frames in 4 KiB pages, under @pt_lock
 * @fault_lock: protects @faults
 * @faults: faults in flight (fault.c)
 * @fault_wq: where faults wait for one in flight on their page
 * @mapping: the file's mapping, whose VMM mmaps UNMAP zaps, under
 *	@map_lock; NULL for a space created in the kernel or once the file
 *	is gone
 * @mmapped: the file was mmapped once (UNMAP has mappings to zap)
 * @nr_files: open files of the space's inode (the fd CREATE gave and
 *	each open() of it again), under the inode's i_lock
 * @hide_hpa: TRANSLATE and GET_INFO through the file show no host
 *	address: the credentials the file was opened with lacked
 *	CAP_SYS_ADMIN
 * @dirty: the dirty log: a bitmap chunk per GASPACE_DIRTY_CHUNK pages
 *	that meet a logged area (dirty.c), its bits under @pt_lock
 * @nr_dirty: pages dirty in the log, under @pt_lock
 * @logged_bytes: bytes of logged areas, under @pt_lock
 * @nr_demand_faults: pages or blocks populated on demand, under @pt_lock
 * @uf: userspace fault delivery
 * @ino: the inode number of the space's file (its name in traces and
 *	debugfs); 0 for a space created in the kernel
 * @debugfs: its debugfs directory, or NULL
 * @tcache: TRANSLATE's recent answers
 */
struct gaspace {
	refcount_t refcount;
	struct mutex map_lock;		/* see above */
	struct mutex pt_lock;		/* see above */
	seqcount_t seq;
	struct gpt pt;
	struct maple_tree areas;
	u64 base;
	u64 size;
	struct list_head notifiers;
	u64 nr_areas;
	u64 nr_data_pages;
	spinlock_t fault_lock;		/* protects faults */
	struct list_head faults;
	wait_queue_head_t fault_wq;
	struct address_space *mapping;
	bool mmapped;
	bool hide_hpa;
	unsigned int nr_files;
	struct xarray dirty;
	u64 nr_dirty;
	u64 logged_bytes;
	u64 nr_demand_faults;
	struct gaspace_uf uf;
	unsigned long ino;
	struct dentry *debugfs;
	struct gaspace_tcache tcache;
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
void gaspace_notify(struct gaspace *as, u64 gpa, u64 size);
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
int gaspace_check_range(struct gaspace *as, u64 gpa, u64 size);
int gaspace_do_map_linear(struct gaspace *as, u64 gpa, u64 hpa, u64 size,
			  u32 prot, u32 flags, bool from_user);
int gaspace_allocate(struct gaspace *as, u64 gpa, u64 size);
int gaspace_do_map_user(struct gaspace *as, u64 gpa, u64 size, u64 uaddr,
			u32 prot, u32 flags);

/* fault.c */
int gaspace_translate_lookup(struct gaspace *as, u64 gpa,
			     struct gaspace_translation *out);

/**
 * struct gaspace_inflight - a fault that is allocating for its page
 * @node: in as->faults
 * @start: first address it will map
 * @end: end of what it will map
 */
struct gaspace_inflight {
	struct list_head node;
	u64 start;
	u64 end;
};

bool gaspace_area_same(const struct gaspace_area *a,
		       const struct gaspace_area *b);
int gaspace_inflight_begin(struct gaspace *as, struct gaspace_inflight *me);
void gaspace_inflight_end(struct gaspace *as, struct gaspace_inflight *me);
/*
 * An access's GASPACE_PROT_* bits, and: a VMM touch through mmap, which
 * allocates as anonymous memory does (GASPACE_GFP_FRAME_VMM) and does not
 * sleep on a userfault wait (the fault handler does, without mmap_lock).
 */
#define GASPACE_ACCESS_VMM	BIT(31)

int gaspace_populate(struct gaspace *as, u64 gpa,
		     const struct gaspace_area *a, u32 access,
		     struct page **pagep, bool *locked);

/* guestmem.c */
struct iov_iter;

/* gaspace_get_frame() flags */
#define GASPACE_FRAME_POPULATE	BIT(0)	/* give a page without a frame one */
#define GASPACE_FRAME_VMM	BIT(1)	/* a VMM touch: locked, its gfp */
#define GASPACE_FRAME_WRITE	BIT(2)	/* the access stores */

struct page *gaspace_frame_locked(struct gaspace *as,
				  const struct gaspace_area *a, u64 gpa,
				  bool *locked);
int gaspace_get_frame(struct gaspace *as, u64 gpa, u32 flags,
		      struct page **pagep);
ssize_t gaspace_rw_iter(struct gaspace *as, u64 gpa, struct iov_iter *iter,
			bool write);
bool gaspace_range_vmm(struct gaspace *as, u64 gpa, u64 size);
bool gaspace_range_mmap(struct gaspace *as, u64 gpa, u64 size);
void gaspace_zap(struct gaspace *as, u64 gpa, u64 size,
		 struct gaspace_frames *frames);
void gaspace_zero_bytes(struct gaspace *as, u64 gpa, u64 end);
loff_t gaspace_seek_data(struct gaspace *as, u64 gpa, bool hole);

/* dirty.c */
void gaspace_dirty_init(struct gaspace *as);
void gaspace_dirty_destroy(struct gaspace *as);
int gaspace_dirty_prepare(struct gaspace *as, u64 gpa, u64 end);
void gaspace_dirty_trim(struct gaspace *as, u64 gpa, u64 end);
void gaspace_dirty_drop(struct gaspace *as, u64 gpa, u64 end);
bool gaspace_dirty_start(struct gaspace *as, struct gpt_cache *mc,
			 const struct gaspace_area *a);
void gaspace_dirty_stop(struct gaspace *as, const struct gaspace_area *a);
void gaspace_dirty_wp_vmm(struct gaspace *as, u64 gpa, u64 end,
			  const unsigned long *bitmap);
bool gaspace_dirty_test(struct gaspace *as, u64 gpa);
void gaspace_dirty_mark_range(struct gaspace *as, u64 gpa, u64 end);
int gaspace_dirty_fault(struct gaspace *as, u64 gpa,
			const struct gaspace_area *a);
void gaspace_dirty_written(struct gaspace *as, u64 gpa, u64 len);
int gaspace_dirty_vmm_write(struct gaspace *as, u64 gpa, struct page *page);
int gaspace_dirty_log_check(struct gaspace *as, u64 gpa, u64 size, u32 flags);

/* userfault.c */
void gaspace_userfault_init(struct gaspace *as);
void gaspace_userfault_destroy(struct gaspace *as);
void gaspace_userfault_end(struct gaspace *as, u64 gpa, u64 end, int result);
int gaspace_userfault(struct gaspace *as, u64 gpa,
		      const struct gaspace_area *a, u32 access);
int gaspace_userfault_wait(struct gaspace *as, u64 gpa, bool killable);
int gaspace_userfault_open(struct gaspace *as);
void gaspace_userfault_close(struct gaspace *as);
int gaspace_userfault_fd(struct gaspace *as, unsigned long flags);
int gaspace_fill(struct gaspace *as, u64 gpa, u64 size,
		 const void __user *src);

/* debugfs.c */
void gaspace_debugfs_add(struct gaspace *as);
void gaspace_debugfs_remove(struct gaspace *as);
void gaspace_debugfs_init(void);
void gaspace_debugfs_exit(void);

/* file.c */
int gaspace_install_fd(struct gaspace *as);
int gaspace_fs_pin(void);
void gaspace_fs_unpin(void);

#endif /* _GASPACE_ADDRSPACE_INTERNAL_H */
