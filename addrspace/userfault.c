// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace fault delivery: the pages of a GASPACE_MAP_USERFAULT area get
 * their frames from FILL only, never from an access.
 *
 * The first access to a page without a frame (the hook, FAULT, pread,
 * pwrite, a VMM touch) arms a wait for the page: a struct gaspace_uwait
 * in @uf.waits, whose event is queued on @uf.events for the userfault fd
 * to read.  Later accesses to the page find the wait and sleep on it too,
 * so a page raises one event however many wait.  A wait is disarmed, with
 * the reason its waiters return, when FILL maps the page (they look
 * again and find it), when UNMAP or REPLACE removes it (-ENOENT), or when
 * the userfault fd is closed (-EIO); nothing else ends it, so a waiter
 * that leaves on a signal leaves it armed, and its event pending.
 *
 * @uf.lock orders an access's check against FILL and UNMAP: an access
 * arms a wait only after it saw, under the lock, the page still missing
 * in its area; FILL and UNMAP change the table first and disarm under the
 * lock after, so a wait armed before their change is disarmed by them,
 * and an access after it sees the change.  An event stays pending until it
 * is read, even once its wait ended, as the contract says: a resolver may
 * then find the page filled (-EEXIST) or gone (-ENOENT).
 *
 * A VMM touch does not sleep in the fault handler with mmap_lock held (the
 * resolver may need it): gaspace_userfault() only arms the wait, and the
 * handler drops the lock, sleeps in gaspace_userfault_wait() and has the
 * fault retried.
 */
#include <linux/anon_inodes.h>
#include <linux/export.h>
#include <linux/file.h>
#include <linux/highmem.h>
#include <linux/poll.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "internal.h"
#include "trace.h"

/**
 * struct gaspace_uwait - the wait for one missing page
 * @event: in @uf.events while its event is unread
 * @gpa: the page
 * @access: the access that armed it
 * @armed: until FILL, UNMAP or the fd's close disarms it
 * @result: once disarmed, what waiters return: 0 (the page is filled:
 *	look again), -ENOENT (it went), -EIO (the fd was closed)
 * @wq: the accesses sleeping on it
 * @ref: @uf.waits holds one while it is armed, @uf.events one while the
 *	event is unread (a reader takes that one over), each sleeper one
 */
struct gaspace_uwait {
	struct list_head event;
	u64 gpa;
	u32 access;
	bool armed;
	int result;
	wait_queue_head_t wq;
	refcount_t ref;
};

void gaspace_userfault_init(struct gaspace *as)
{
	struct gaspace_uf *uf = &as->uf;

	mutex_init(&uf->lock);
	xa_init(&uf->waits);
	INIT_LIST_HEAD(&uf->events);
	init_waitqueue_head(&uf->read_wq);
}

/* The fd holds the space, so no wait is left when the space is freed. */
void gaspace_userfault_destroy(struct gaspace *as)
{
	xa_destroy(&as->uf.waits);
	mutex_destroy(&as->uf.lock);
}

static void gaspace_uwait_put(struct gaspace_uwait *w)
{
	if (refcount_dec_and_test(&w->ref))
		kfree(w);
}

/* @uf.lock held: end the wait @w at index @idx; its waiters return @result. */
static void gaspace_uwait_disarm(struct gaspace *as, struct gaspace_uwait *w,
				 unsigned long idx, int result)
{
	lockdep_assert_held(&as->uf.lock);
	xa_erase(&as->uf.waits, idx);
	w->result = result;
	/* pairs with gaspace_uwait_ended(): a sleeper then reads @result */
	smp_store_release(&w->armed, false);
	wake_up_all(&w->wq);
	gaspace_uwait_put(w);
}

static void gaspace_uf_end(struct gaspace *as, unsigned long first,
			   unsigned long last, int result)
{
	struct gaspace_uf *uf = &as->uf;
	struct gaspace_uwait *w;
	unsigned long idx;

	mutex_lock(&uf->lock);
	xa_for_each_range(&uf->waits, idx, w, first, last)
		gaspace_uwait_disarm(as, w, idx, result);
	mutex_unlock(&uf->lock);
}

/**
 * gaspace_userfault_end() - FILL mapped, or UNMAP removed, a range
 * @as: the space, pt_lock not held, the table already changed
 * @gpa: first byte
 * @end: end of the range
 * @result: what the waiters of its pages return: 0 (look again) or
 *	-ENOENT
 */
void gaspace_userfault_end(struct gaspace *as, u64 gpa, u64 end, int result)
{
	gaspace_uf_end(as, gpa >> PAGE_SHIFT, (end - 1) >> PAGE_SHIFT, result);
}
EXPORT_SYMBOL_NS_GPL(gaspace_userfault_end, GASPACE_INTERNAL);

/* Whether the page of @gpa is still without a frame in area @a. */
static bool gaspace_uf_missing(struct gaspace *as, u64 gpa,
			       const struct gaspace_area *a)
{
	struct gaspace_area now;
	struct gpt_leaf leaf;
	bool missing;

	rcu_read_lock();
	missing = gaspace_area_find(as, gpa, &now) &&
		  gaspace_area_same(a, &now) &&
		  gpt_query(&as->pt, gpa, &leaf) == -ENOENT;
	rcu_read_unlock();
	return missing;
}

/*
 * Sleep until @w is disarmed (a reference held, dropped here).  Return:
 * -EAGAIN (filled: look again), -ENOENT, -EIO, or -EINTR on a signal
 * (only a fatal one when @killable).
 */
static bool gaspace_uwait_ended(struct gaspace_uwait *w)
{
	/* pairs with gaspace_uwait_disarm(): @result is set before */
	return !smp_load_acquire(&w->armed);
}

static int gaspace_uwait_sleep(struct gaspace *as, struct gaspace_uwait *w,
			       bool killable)
{
	int ret;

	if (killable)
		ret = wait_event_killable(w->wq, gaspace_uwait_ended(w));
	else
		ret = wait_event_interruptible(w->wq, gaspace_uwait_ended(w));
	ret = ret ? -EINTR : w->result ?: -EAGAIN;
	gaspace_uwait_put(w);
	return ret;
}

/*
 * Find or arm the wait of the page of @gpa, with a reference for the
 * caller.  @uf.lock held; *@new is used (and set NULL) to arm one.
 * Return: the wait, or ERR_PTR(-EIO) without a userfault fd,
 * ERR_PTR(-EAGAIN) when the page is no longer missing in @a,
 * ERR_PTR(-ENOMEM).
 */
static struct gaspace_uwait *gaspace_uwait_get(struct gaspace *as, u64 gpa,
					       const struct gaspace_area *a,
					       u32 access,
					       struct gaspace_uwait **new)
{
	struct gaspace_uf *uf = &as->uf;
	unsigned long idx = gpa >> PAGE_SHIFT;
	struct gaspace_uwait *w;

	lockdep_assert_held(&uf->lock);
	if (!uf->open)
		return ERR_PTR(-EIO);
	if (!gaspace_uf_missing(as, gpa, a))
		return ERR_PTR(-EAGAIN);
	w = xa_load(&uf->waits, idx);
	if (!w) {
		w = *new;
		if (xa_insert(&uf->waits, idx, w, GASPACE_GFP_META))
			return ERR_PTR(-ENOMEM);
		*new = NULL;
		w->gpa = round_down(gpa, PAGE_SIZE);
		w->access = access & GPT_PROT_RWX;
		w->armed = true;
		init_waitqueue_head(&w->wq);
		refcount_set(&w->ref, 2);
		list_add_tail(&w->event, &uf->events);
		WRITE_ONCE(uf->nr_events, uf->nr_events + 1);
		wake_up_interruptible_poll(&uf->read_wq, EPOLLIN | EPOLLRDNORM);
	}
	refcount_inc(&w->ref);
	return w;
}

/**
 * gaspace_userfault() - an access found a page of a USERFAULT area missing
 * @as: the space, no lock of it held
 * @gpa: any byte of the page
 * @a: its area, as the access found it
 * @access: the access (GASPACE_PROT_*), with GASPACE_ACCESS_VMM for a VMM
 *	touch, which only arms the wait (see gaspace_userfault_wait())
 *
 * Raises the page's event unless its wait is armed already, and sleeps
 * until the wait ends.
 *
 * Return: -EAGAIN (the page is there now: look again); -ENOENT (it went
 * meanwhile); -EIO (no userfault fd, or it was closed); -EINTR;
 * -ENOMEM; -EINPROGRESS for a VMM touch whose wait is armed.
 */
int gaspace_userfault(struct gaspace *as, u64 gpa,
		      const struct gaspace_area *a, u32 access)
{
	struct gaspace_uwait *w, *new;
	int ret;

	new = kzalloc(sizeof(*new), GASPACE_GFP_META);
	if (!new)
		return -ENOMEM;
	mutex_lock(&as->uf.lock);
	w = gaspace_uwait_get(as, gpa, a, access, &new);
	mutex_unlock(&as->uf.lock);
	kfree(new);
	if (IS_ERR(w))
		return PTR_ERR(w);
	if (access & GASPACE_ACCESS_VMM) {
		gaspace_uwait_put(w);
		trace_gaspace_userfault(as->ino, gpa & PAGE_MASK,
					access & GPT_PROT_RWX, -EINPROGRESS);
		return -EINPROGRESS;
	}
	ret = gaspace_uwait_sleep(as, w, false);
	/* the trace says 0 when the page arrived (the caller looks again) */
	trace_gaspace_userfault(as->ino, gpa & PAGE_MASK, access & GPT_PROT_RWX,
				ret == -EAGAIN ? 0 : ret);
	return ret;
}

/**
 * gaspace_userfault_wait() - a VMM touch sleeps on the wait it armed
 * @as: the space, held by the caller; no lock held, mmap_lock included
 * @gpa: any byte of the page
 * @killable: sleep until a fatal signal only
 *
 * Return: as gaspace_userfault(); -EAGAIN when the wait ended already.
 */
int gaspace_userfault_wait(struct gaspace *as, u64 gpa, bool killable)
{
	struct gaspace_uwait *w;

	mutex_lock(&as->uf.lock);
	w = xa_load(&as->uf.waits, gpa >> PAGE_SHIFT);
	if (w)
		refcount_inc(&w->ref);
	mutex_unlock(&as->uf.lock);
	return w ? gaspace_uwait_sleep(as, w, killable) : -EAGAIN;
}

/* ---- the userfault fd ---- */

/**
 * gaspace_userfault_open() - the space's userfault fd opens
 * @as: the space
 *
 * Return: 0, or -EBUSY while one is open.
 */
int gaspace_userfault_open(struct gaspace *as)
{
	int ret;

	mutex_lock(&as->uf.lock);
	ret = as->uf.open ? -EBUSY : 0;
	as->uf.open = true;
	mutex_unlock(&as->uf.lock);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(gaspace_userfault_open, GASPACE_INTERNAL);

/**
 * gaspace_userfault_close() - the userfault fd is gone
 * @as: the space
 *
 * No wait stays armed (its waiters return -EIO), and no event pending.
 */
void gaspace_userfault_close(struct gaspace *as)
{
	struct gaspace_uwait *w, *next;

	mutex_lock(&as->uf.lock);
	as->uf.open = false;
	list_for_each_entry_safe(w, next, &as->uf.events, event) {
		list_del_init(&w->event);
		gaspace_uwait_put(w);
	}
	mutex_unlock(&as->uf.lock);
	gaspace_uf_end(as, 0, ULONG_MAX, -EIO);
}
EXPORT_SYMBOL_NS_GPL(gaspace_userfault_close, GASPACE_INTERNAL);

static int gaspace_uf_release(struct inode *inode, struct file *file)
{
	struct gaspace *as = file->private_data;

	gaspace_userfault_close(as);
	gaspace_put(as);
	return 0;
}

/*
 * Take the oldest unread event, and the reference the list held: 0, or
 * -EAGAIN when there is none and @nowait, or -ERESTARTSYS.
 */
static int gaspace_uf_next(struct gaspace *as, bool nowait,
			   struct gaspace_uwait **wp)
{
	struct gaspace_uf *uf = &as->uf;
	struct gaspace_uwait *w;

	for (;;) {
		mutex_lock(&uf->lock);
		w = list_first_entry_or_null(&uf->events, struct gaspace_uwait,
					     event);
		if (w)
			list_del_init(&w->event);
		mutex_unlock(&uf->lock);
		if (w) {
			*wp = w;
			return 0;
		}
		if (nowait)
			return -EAGAIN;
		if (wait_event_interruptible(uf->read_wq,
					     !list_empty_careful(&uf->events)))
			return -ERESTARTSYS;
	}
}

/*
 * An event that could not be copied out is the next one again, with its
 * reference (the fd cannot be closed while it is read).
 */
static void gaspace_uf_unread(struct gaspace *as, struct gaspace_uwait *w)
{
	mutex_lock(&as->uf.lock);
	list_add(&w->event, &as->uf.events);
	mutex_unlock(&as->uf.lock);
}

/*
 * Whole events, oldest first, as many as @count holds; blocks for the first
 * unless O_NONBLOCK.  The copy is made with no lock held: the buffer may
 * be in a VMM mapping of a page that is itself waited for.
 */
static ssize_t gaspace_uf_read(struct file *file, char __user *buf,
			       size_t count, loff_t *ppos)
{
	struct gaspace *as = file->private_data;
	struct gaspace_fault_event ev;
	struct gaspace_uwait *w;
	ssize_t done = 0;
	int ret = 0;

	if (count < sizeof(ev))
		return -EINVAL;
	while (count - done >= sizeof(ev)) {
		ret = gaspace_uf_next(as, done || (file->f_flags & O_NONBLOCK),
				      &w);
		if (ret)
			break;
		memset(&ev, 0, sizeof(ev));
		ev.gpa = w->gpa;
		ev.access = w->access;
		if (copy_to_user(buf + done, &ev, sizeof(ev))) {
			gaspace_uf_unread(as, w);
			ret = -EFAULT;
			break;
		}
		gaspace_uwait_put(w);
		done += sizeof(ev);
	}
	return done ?: ret;
}

static __poll_t gaspace_uf_poll(struct file *file, poll_table *pt)
{
	struct gaspace *as = file->private_data;

	poll_wait(file, &as->uf.read_wq, pt);
	return list_empty_careful(&as->uf.events) ? 0 : EPOLLIN | EPOLLRDNORM;
}

static const struct file_operations gaspace_uf_fops = {
	.owner		= THIS_MODULE,
	.release	= gaspace_uf_release,
	.read		= gaspace_uf_read,
	.poll		= gaspace_uf_poll,
	.llseek		= noop_llseek,
};

/**
 * gaspace_userfault_fd() - GASPACE_USERFAULT_FD: open the space's one
 * userfault fd
 * @as: the space
 * @flags: GASPACE_UFD_NONBLOCK
 *
 * Return: the new fd; -EINVAL for an unknown flag, -EBUSY while one is
 * open, or anon_inode_getfd()'s error.
 */
int gaspace_userfault_fd(struct gaspace *as, unsigned long flags)
{
	int fd;

	if (flags & ~(unsigned long)GASPACE_UFD_NONBLOCK)
		return -EINVAL;
	fd = gaspace_userfault_open(as);
	if (fd)
		return fd;
	gaspace_get(as);
	fd = anon_inode_getfd("[gaspace-userfault]", &gaspace_uf_fops, as,
			      O_RDWR | O_CLOEXEC |
			      (flags & GASPACE_UFD_NONBLOCK ? O_NONBLOCK : 0));
	if (fd < 0) {
		gaspace_userfault_close(as);
		gaspace_put(as);
	}
	return fd;
}

/* ---- FILL ---- */

/**
 * struct gaspace_uf_fill - one FILL
 * @gpa: first byte
 * @end: end of the range
 * @a: out: its area
 * @frames: the new frames, holding the bytes
 * @mc: table pages the leaves take
 */
struct gaspace_uf_fill {
	u64 gpa;
	u64 end;
	struct gaspace_area a;
	struct gaspace_frames frames;
	struct gpt_cache mc;
};

/*
 * The area rules of FILL, pt_lock held: -ENOENT (a page in no area),
 * -EINVAL (not all in one USERFAULT area), -EEXIST (a page present); or
 * how many table pages the leaves may take.
 */
static long gaspace_fill_check(struct gaspace *as, struct gaspace_uf_fill *f)
{
	struct gaspace_area a;
	u64 cur;

	lockdep_assert_held(&as->pt_lock);
	for (cur = f->gpa; cur < f->end; cur = a.end)
		if (!gaspace_area_find(as, cur, &a))
			return -ENOENT;
	if (!gaspace_area_find(as, f->gpa, &f->a) ||
	    !(f->a.flags & GASPACE_MAP_USERFAULT) || f->a.end < f->end)
		return -EINVAL;
	/* one walk: empty tables are passed over whole */
	if (!gpt_seek(&as->pt, f->gpa, f->end, 0, &cur))
		return -EEXIST;
	/* within one 2 MiB block, what the table lacks now: mostly nothing */
	if (round_down(f->gpa, SZ_2M) == round_down(f->end - 1, SZ_2M))
		return gpt_leaf_bound(&as->pt, f->gpa, 0);
	return gpt_map_bound(&as->pt, f->gpa, f->end - f->gpa, f->gpa,
			     GPT_MAP_NOHUGE);
}

/* Frames for the range, holding @src's bytes (zeros for NULL). */
static int gaspace_fill_frames(struct gaspace *as, struct gaspace_uf_fill *f,
			       const void __user *src)
{
	const struct gaspace_backend *be = gaspace_backend(&f->a);
	u64 pa_limit = BIT_ULL(as->pt.fmt->geo.pa_bits);
	struct page *page;
	int ret;

	ret = be->prepare(&f->a, f->gpa, f->end, pa_limit, &f->frames);
	if (ret || !src)
		return ret;
	list_for_each_entry(page, &f->frames.pages, lru) {
		void *va = kmap_local_page(page);
		unsigned long left = copy_from_user(va, src, PAGE_SIZE);

		kunmap_local(va);
		if (left)
			return -EFAULT;
		src += PAGE_SIZE;
		cond_resched();
	}
	return 0;
}

/*
 * Check again and map, pt_lock held: 0, a check's error, or a count > 0
 * when @f->mc lacks that many table pages.
 */
static long gaspace_fill_commit(struct gaspace *as, struct gaspace_uf_fill *f)
{
	u64 nr = f->frames.nr_pages;
	long need;

	/* the area's value now: its prot and logging may have changed */
	need = gaspace_fill_check(as, f);
	if (need < 0)
		return need;
	if (need > f->mc.nr)
		return need;
	/* Checked: nothing can fail, so nothing is undone. */
	if (WARN_ON_ONCE(gaspace_backend(&f->a)->populate(&as->pt, &f->mc,
							  &f->a, f->gpa,
							  f->end, &f->frames)))
		return -ENOMEM;
	as->nr_data_pages += nr;
	as->nr_demand_faults += nr;
	return 0;
}

/**
 * gaspace_fill() - GASPACE_FILL: give missing pages their bytes
 * @as: the space
 * @gpa: first byte, page aligned
 * @size: bytes, page aligned, > 0
 * @src: the bytes, or NULL for zeros
 *
 * The range must lie in one USERFAULT area with none of its pages present.
 * The frames are allocated and filled with no lock held; then, under
 * pt_lock, the range is checked again and mapped whole, and the waits of
 * its pages end.
 *
 * Return: 0; -EINVAL, -ERANGE, -ENOENT, -EEXIST, -EFAULT, -ENOMEM, -EINTR,
 * with the space unchanged on error.
 */
int gaspace_fill(struct gaspace *as, u64 gpa, u64 size,
		 const void __user *src)
{
	struct gaspace_uf_fill f = { .gpa = gpa, .end = gpa + size };
	long ret;

	ret = gaspace_check_range(as, gpa, size);
	if (ret)
		return ret;
	gaspace_frames_init(&f.frames);
	gpt_cache_init(&f.mc);
	mutex_lock(&as->pt_lock);
	ret = gaspace_fill_check(as, &f);
	mutex_unlock(&as->pt_lock);
	if (ret >= 0)
		ret = gaspace_fill_frames(as, &f, src);
	while (!ret) {
		mutex_lock(&as->pt_lock);
		ret = gaspace_fill_commit(as, &f);
		mutex_unlock(&as->pt_lock);
		if (ret <= 0)
			break;
		ret = gpt_cache_topup(&as->pt, &f.mc, ret, GASPACE_GFP_TABLE);
	}
	gpt_cache_free(&as->pt, &f.mc);
	gaspace_frames_free(&f.frames);
	if (ret)
		return ret;
	gaspace_dirty_written(as, gpa, size);
	gaspace_userfault_end(as, gpa, gpa + size, 0);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(gaspace_fill, GASPACE_INTERNAL);
