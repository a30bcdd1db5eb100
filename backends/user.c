// SPDX-License-Identifier: GPL-2.0
/*
 * The user backend: the VMM's own memory as guest RAM (MAP_USER).
 *
 * Every page of the VMM's range is pinned long-term and for writing
 * (FOLL_LONGTERM | FOLL_WRITE, as VFIO and iommufd pin DMA memory) before
 * any lock of the space is taken, so that it can never move or be replaced
 * while a leaf maps it: not by the VMM's munmap(), not by a fork's
 * copy-on-write, not by compaction or migration.  The pins are always for
 * writing, whatever the guest prot: PROTECT may give the guest W later and
 * pwrite reaches the pages, and a read-only pin of a private mapping would
 * stop seeing the VMM's own stores at their first copy-on-write.  Only
 * swap-backed pages (anonymous, shmem and memfd, THP) and hugetlbfs pages
 * are taken; they are marked dirty once, when pinned, so nothing needs their
 * lock when they are let go.
 *
 * Pinned pages are charged to the locked_vm of the caller's user (what
 * io_uring and iommufd's IOPT_PAGES_ACCOUNT_USER count), against the
 * caller's RLIMIT_MEMLOCK unless it has CAP_IPC_LOCK, as VFIO does.  The
 * area keeps that uid; the account (a reference on the user) lives in a
 * table of this file until the last page charged to it is unpinned, so
 * whichever task frees the space uncharges the right user.
 *
 * A leaf is the largest block the format allows whose pages are physically
 * contiguous and aligned as its gpa (a 1 GiB hugetlbfs page at a 1 GiB
 * aligned gpa is one 1 GiB leaf), or 4 KiB with NOHUGE.  A removed leaf's
 * pages are unpinned after the invalidation (the walker reports it then).
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/sched/signal.h>
#include <linux/sched/user.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "backend.h"

/*
 * struct user_struct has locked_vm where the kernel has a user of it (the
 * condition of <linux/sched/user.h>, the same in 6.1 and 6.12); without it
 * (a kernel with none of these, e.g. no networking) only gaspace's own
 * charges count against RLIMIT_MEMLOCK.
 */
#if defined(CONFIG_NET) || defined(CONFIG_IO_URING) || \
	defined(CONFIG_VFIO_PCI_ZDEV_KVM) || IS_ENABLED(CONFIG_IOMMUFD) || \
	defined(CONFIG_SECRETMEM)
#define USER_LOCKED_VM	1
#endif

/* Pages one pin_user_pages_fast() call takes: its array is on the stack. */
#define USER_PIN_BATCH		64

/**
 * struct gaspace_user_acct - pages pinned and charged to one user
 * @user: the user, with a reference
 * @nr: pages charged
 */
struct gaspace_user_acct {
	struct user_struct *user;
	u64 nr;
};

/* The accounts by uid, under gaspace_user_lock. */
static DEFINE_XARRAY(gaspace_user_accts);
static DEFINE_MUTEX(gaspace_user_lock);

static void user_acct_drop(uid_t uid, struct gaspace_user_acct *acct)
{
	if (acct->nr)
		return;
	xa_erase(&gaspace_user_accts, uid);
	free_uid(acct->user);
	kfree(acct);
}

/**
 * gaspace_user_charge() - charge pinned pages to a user's locked_vm
 * @user: the user (the caller's)
 * @nr: pages
 *
 * Past the caller's RLIMIT_MEMLOCK (in pages) without CAP_IPC_LOCK the
 * charge is refused.
 *
 * Return: 0; -ENOMEM past the limit or without memory for the account.
 */
int gaspace_user_charge(struct user_struct *user, u64 nr)
{
	unsigned long limit = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
	uid_t uid = __kuid_val(user->uid);
	struct gaspace_user_acct *acct;
	int ret = 0;
	u64 locked;

	mutex_lock(&gaspace_user_lock);
	acct = xa_load(&gaspace_user_accts, uid);
	if (!acct) {
		acct = kzalloc(sizeof(*acct), GFP_KERNEL_ACCOUNT);
		if (!acct) {
			ret = -ENOMEM;
			goto out;
		}
		if (xa_err(xa_store(&gaspace_user_accts, uid, acct,
				    GFP_KERNEL_ACCOUNT))) {
			kfree(acct);
			ret = -ENOMEM;
			goto out;
		}
		acct->user = get_uid(user);
	}
#ifdef USER_LOCKED_VM
	locked = atomic_long_add_return(nr, &user->locked_vm);
#else
	locked = acct->nr + nr;
#endif
	if (locked > limit && !capable(CAP_IPC_LOCK)) {
#ifdef USER_LOCKED_VM
		atomic_long_sub(nr, &user->locked_vm);
#endif
		ret = -ENOMEM;
	} else {
		acct->nr += nr;
	}
	user_acct_drop(uid, acct);
out:
	mutex_unlock(&gaspace_user_lock);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(gaspace_user_charge, GASPACE_INTERNAL);

/**
 * gaspace_user_uncharge() - give back what gaspace_user_charge() took
 * @uid: the user charged
 * @nr: pages, at most what is charged to it
 */
void gaspace_user_uncharge(kuid_t uid, u64 nr)
{
	struct gaspace_user_acct *acct;

	if (!nr)
		return;
	mutex_lock(&gaspace_user_lock);
	acct = xa_load(&gaspace_user_accts, __kuid_val(uid));
	if (!WARN_ON_ONCE(!acct || acct->nr < nr)) {
#ifdef USER_LOCKED_VM
		atomic_long_sub(nr, &acct->user->locked_vm);
#endif
		acct->nr -= nr;
		user_acct_drop(__kuid_val(uid), acct);
	}
	mutex_unlock(&gaspace_user_lock);
}
EXPORT_SYMBOL_NS_GPL(gaspace_user_uncharge, GASPACE_INTERNAL);

/**
 * gaspace_user_locked() - pages charged against a user's RLIMIT_MEMLOCK
 * @user: the user
 *
 * Return: the user's locked_vm, or without one, what gaspace charged it.
 */
long gaspace_user_locked(struct user_struct *user)
{
#ifdef USER_LOCKED_VM
	return atomic_long_read(&user->locked_vm);
#else
	struct gaspace_user_acct *acct;
	long nr;

	mutex_lock(&gaspace_user_lock);
	acct = xa_load(&gaspace_user_accts, __kuid_val(user->uid));
	nr = acct ? acct->nr : 0;
	mutex_unlock(&gaspace_user_lock);
	return nr;
#endif
}
EXPORT_SYMBOL_NS_GPL(gaspace_user_locked, GASPACE_INTERNAL);

/**
 * gaspace_user_run_level() - the leaf level a run of pinned pages allows
 * @pfns: frame numbers of the pages from the leaf's gpa on
 * @nr: how many there are
 * @max_level: the largest level the range and the gpa's alignment allow
 *
 * Return: the largest level at or below @max_level whose block of pages
 * is all in @pfns, physically contiguous, and aligned to its size.
 */
u32 gaspace_user_run_level(const unsigned long *pfns, u64 nr, u32 max_level)
{
	u32 level;
	u64 i, n;

	for (level = max_level; level; level--) {
		n = gpt_level_size(level) >> PAGE_SHIFT;
		if (n > nr || !IS_ALIGNED(pfns[0], n))
			continue;
		for (i = 1; i < n && pfns[i] == pfns[0] + i; i++)
			;
		if (i == n)
			break;
	}
	return level;
}
EXPORT_SYMBOL_NS_GPL(gaspace_user_run_level, GASPACE_INTERNAL);

/* Unpin @nr pages from @pfn on, in folio runs; nothing of them is locked. */
static void user_unpin(unsigned long pfn, u64 nr)
{
	unpin_user_page_range_dirty_lock(pfn_to_page(pfn), nr, false);
}

/* Pages whose frames stay where they are while pinned, and need no lock. */
static bool user_page_ok(struct page *page, u64 pa_limit)
{
	struct folio *folio = page_folio(page);

	if (PFN_PHYS(page_to_pfn(page) + 1) > pa_limit)
		return false;
	if (!folio_test_swapbacked(folio) && !folio_test_hugetlb(folio))
		return false;
	if (!PageDirty(page))
		set_page_dirty_lock(page);
	return true;
}

/* -EFAULT for a hole, a page that cannot be pinned or is not wanted. */
static int user_pin_error(long got)
{
	if (got == -ENOMEM || got == -EINTR)
		return got;
	if (got == -ERESTARTSYS)
		return -EINTR;
	return -EFAULT;
}

/**
 * gaspace_user_pin() - pin and charge the VMM's pages for a MAP_USER
 * @p: filled in: the pages and their account
 * @uaddr: the caller's address of the first page, page aligned
 * @gpa: the guest-physical address it will map
 * @size: bytes, page aligned, > 0
 * @pa_limit: every page must end at or below it (the format's width)
 *
 * The charge is taken first: a call past RLIMIT_MEMLOCK pins nothing.
 * Called with no lock of the space held: pinning faults the pages in.
 *
 * Return: 0; -ENOMEM (the limit, or no memory), -EFAULT (a hole, a page
 * that cannot be pinned for writing, one that is neither swap-backed nor
 * hugetlbfs), -EINTR (a fatal signal); nothing pinned or charged on error.
 */
int gaspace_user_pin(struct gaspace_pins *p, u64 uaddr, u64 gpa, u64 size,
		     u64 pa_limit)
{
	struct user_struct *user = current_user();
	struct page *batch[USER_PIN_BATCH];
	u64 nr = size >> PAGE_SHIFT, done = 0;
	long got, i;
	int ret;

	memset(p, 0, sizeof(*p));
	ret = gaspace_user_charge(user, nr);
	if (ret)
		return ret;
	p->pfns = kvmalloc_array(nr, sizeof(*p->pfns),
				 GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!p->pfns) {
		gaspace_user_uncharge(user->uid, nr);
		return -ENOMEM;
	}
	while (done < nr) {
		got = pin_user_pages_fast(uaddr + (done << PAGE_SHIFT),
					  min_t(u64, nr - done, USER_PIN_BATCH),
					  FOLL_WRITE | FOLL_LONGTERM, batch);
		if (got <= 0) {
			ret = user_pin_error(got);
			break;
		}
		for (i = 0; i < got && user_page_ok(batch[i], pa_limit); i++)
			p->pfns[done + i] = page_to_pfn(batch[i]);
		if (i < got) {
			unpin_user_pages(batch + i, got - i);
			done += i;
			ret = -EFAULT;
			break;
		}
		done += got;
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		cond_resched();
	}
	if (ret) {
		for (i = 0; i < done; i++)
			user_unpin(p->pfns[i], 1);
		kvfree(p->pfns);
		p->pfns = NULL;
		gaspace_user_uncharge(user->uid, nr);
		return ret;
	}
	p->gpa = gpa;
	p->nr = nr;
	p->uid = user->uid;
	return 0;
}

/**
 * gaspace_user_unpin_rest() - let go of the pages of @p no leaf took
 * @p: pinned by gaspace_user_pin(); all of it after a failed map
 */
void gaspace_user_unpin_rest(struct gaspace_pins *p)
{
	u64 i;

	if (!p->pfns)
		return;
	for (i = p->next; i < p->nr; i++) {
		user_unpin(p->pfns[i], 1);
		cond_resched();
	}
	gaspace_user_uncharge(p->uid, p->nr - p->next);
	kvfree(p->pfns);
	p->pfns = NULL;
}

static int pins_get(void *arg, u64 gpa, u32 max_level, phys_addr_t *pa,
		    u32 *level)
{
	struct gaspace_pins *p = arg;
	u64 i = (gpa - p->gpa) >> PAGE_SHIFT;

	if (gpa < p->gpa || i >= p->nr)
		return -ENOMEM;
	*level = gaspace_user_run_level(p->pfns + i, p->nr - i, max_level);
	*pa = PFN_PHYS(p->pfns[i]);
	p->next = i + (gpt_level_size(*level) >> PAGE_SHIFT);
	return 0;
}

/* A failed map: the leaf @get gave is let go at once. */
static void pins_put(void *arg, u64 gpa, phys_addr_t pa, u32 level)
{
	struct gaspace_pins *p = arg;
	u64 n = gpt_level_size(level) >> PAGE_SHIFT;

	user_unpin(PHYS_PFN(pa), n);
	gaspace_user_uncharge(p->uid, n);
}

static const struct gpt_pa_src pins_src = {
	.get	= pins_get,
	.put	= pins_put,
};

static u32 user_flags(const struct gaspace_area *a)
{
	return a->flags & GASPACE_MAP_NOHUGE ? GPT_MAP_NOHUGE : 0;
}

/* Pages come as they are: the bound assumes 4 KiB leaves. */
static unsigned long user_map_bound(const struct gpt *pt,
				    const struct gaspace_area *a, u64 gpa,
				    u64 end, const struct gaspace_frames *f)
{
	return gpt_map_bound(pt, gpa, end - gpa, gpa, GPT_MAP_NOHUGE);
}

static int user_populate(struct gpt *pt, struct gpt_cache *mc,
			 const struct gaspace_area *a, u64 gpa, u64 end,
			 struct gaspace_frames *f)
{
	if (WARN_ON_ONCE(!f->pins))
		return -EINVAL;
	return gpt_map_src(pt, mc, gpa, end - gpa, gaspace_area_gpt_prot(a),
			   user_flags(a), &pins_src, f->pins);
}

/* A removed leaf: its pages are unpinned and uncharged now. */
static void user_release(void *freed, const struct gpt_leaf *leaf)
{
	const struct gaspace_frames *f = freed;
	u64 n = leaf->size >> PAGE_SHIFT;

	user_unpin(PHYS_PFN(leaf->pa), n);
	gaspace_user_uncharge(gaspace_user_uid(f->area), n);
}

const struct gaspace_backend gaspace_backend_user = {
	.map_bound	= user_map_bound,
	.populate	= user_populate,
	.release	= user_release,
	.frame		= gaspace_leaf_frame,
	.leaf_level	= gaspace_leaf_level_nohuge,
};
