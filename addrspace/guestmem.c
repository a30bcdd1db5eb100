// SPDX-License-Identifier: GPL-2.0
/*
 * Guest memory for the VMM: bytes of alloc areas through an iov_iter
 * (pread/pwrite, gaspace_read/gaspace_write) and frames for the VMM's shared
 * mmap.  The VMM is privileged over its guest: the guest prot does not
 * apply, prot 0 included.
 *
 * No lock of the space is held across a copy: frames are found under
 * pt_lock (a batch of pages per hold) and pinned with a reference, the lock
 * is dropped, the bytes are copied, the references are dropped.  A frame
 * that an UNMAP removes in the meantime stays allocated until then, so a
 * copy never touches a freed frame.
 *
 * A VMM mmap fault returns its frame locked (VM_FAULT_LOCKED): the core
 * mm maps it and unlocks it.  UNMAP, after the frames left the table, locks
 * and unlocks each of them before zapping the VMM's mappings, so a fault
 * that found a frame before the UNMAP has its PTE in place by then, and the
 * zap removes it.
 */
#include <linux/export.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/uio.h>

#include "internal.h"

/**
 * gaspace_frame_locked() - the frame of a page, with a reference
 * @as: the space, pt_lock held
 * @a: the area that holds @gpa, one whose memory the VMM reaches
 * @gpa: any byte of the page
 * @locked: NULL, or where to say whether the frame's page lock was free and
 *	is now taken too: taken while the frame is in the table, it lets a
 *	VMM touch skip the second look (see gaspace_get_frame())
 *
 * Return: the frame, or NULL when the page has none yet (a lazy page).
 */
struct page *gaspace_frame_locked(struct gaspace *as,
				  const struct gaspace_area *a, u64 gpa,
				  bool *locked)
{
	struct gpt_leaf leaf;
	struct page *page;

	lockdep_assert_held(&as->pt_lock);
	if (gpt_query(&as->pt, gpa, &leaf))
		return NULL;
	page = gaspace_backend(a)->frame(&leaf, gpa);
	get_page(page);
	if (locked)
		*locked = trylock_page(page);
	return page;
}

/*
 * The page of @gpa in an area the VMM maps through the fd (alloc areas),
 * found under pt_lock: its frame with a reference in *@pagep, or NULL when
 * it has none yet (a lazy page; *@a then says its area).  Return: 0, or
 * -ENXIO outside such areas.
 */
static int gaspace_find_frame(struct gaspace *as, u64 gpa,
			      struct gaspace_area *a, struct page **pagep,
			      bool *locked)
{
	int ret = -ENXIO;

	*pagep = NULL;
	mutex_lock(&as->pt_lock);
	if (gpa >= as->base && gpa - as->base < as->size &&
	    gaspace_area_find(as, gpa, a) && gaspace_backend(a)->mmap) {
		*pagep = gaspace_frame_locked(as, a, gpa, locked);
		ret = 0;
	}
	mutex_unlock(&as->pt_lock);
	return ret;
}

/*
 * The frame of @gpa with a reference, populated first for @access when it
 * has none and @populate; *@locked as for gaspace_frame_locked().
 * Return: 0 (*@pagep NULL: none and !@populate), -ENXIO, -ENOMEM, -EINTR,
 * and in a USERFAULT area -ENOENT, -EIO, -EINPROGRESS (gaspace_populate()).
 */
static int gaspace_frame(struct gaspace *as, u64 gpa, bool populate,
			 u32 access, struct page **pagep, bool *locked)
{
	struct gaspace_area a;
	int ret;

	for (;;) {
		ret = gaspace_find_frame(as, gpa, &a, pagep, locked);
		if (ret || *pagep || !populate)
			return ret;
		ret = gaspace_populate(as, gpa, &a, access, pagep, locked);
		if (ret != -EAGAIN)
			return ret;
	}
}

/**
 * gaspace_get_frame() - the frame of a guest page, for the VMM's mmap
 * @as: the space
 * @gpa: any byte of the page
 * @flags: GASPACE_FRAME_POPULATE gives a page without a frame one;
 *	GASPACE_FRAME_VMM for a VMM touch: the frame comes back locked, and
 *	is populated as anonymous memory would be (the cgroup's OOM killer at
 *	its limit); GASPACE_FRAME_WRITE when the access stores (the event a
 *	USERFAULT area's missing page raises says so)
 * @pagep: out: the frame, with a reference
 *
 * The page lock is taken while the frame is in the table when it is free
 * (always for a frame just populated): UNMAP takes the frames it removed
 * out of the table before it locks each of them, so such a frame gets its
 * PTE before UNMAP's zap.  When it is held, it is waited for with no lock
 * of the space held (it may sleep on another task's page), then the frame
 * is looked up again: one still in the table once locked is the same
 * case, and one that left it is let go and looked up afresh.
 *
 * Return: 0; -ENOENT when the page has no frame and no
 * GASPACE_FRAME_POPULATE; -ENXIO outside areas the VMM reaches; -ENOMEM,
 * -EINTR; in a USERFAULT area -ENOENT, -EIO, and for a VMM touch
 * -EINPROGRESS: its event is raised, and the caller, with no lock held,
 * sleeps in gaspace_userfault_wait().
 */
int gaspace_get_frame(struct gaspace *as, u64 gpa, u32 flags,
		      struct page **pagep)
{
	bool vmm = flags & GASPACE_FRAME_VMM, locked = false;
	u32 access = (flags & GASPACE_FRAME_WRITE ? GASPACE_PROT_WRITE :
						    GASPACE_PROT_READ) |
		     (vmm ? GASPACE_ACCESS_VMM : 0);
	struct page *page, *again;
	int ret;

	for (;;) {
		ret = gaspace_frame(as, gpa, flags & GASPACE_FRAME_POPULATE,
				    access, &page, vmm ? &locked : NULL);
		if (!ret && !page)
			ret = -ENOENT;
		/* locked while in the table: UNMAP's zap waits for it */
		if (ret || !vmm || locked)
			break;
		lock_page(page);
		ret = gaspace_frame(as, gpa, false, access, &again, NULL);
		if (again)
			put_page(again);
		if (!ret && again == page)
			break;
		unlock_page(page);
		put_page(page);
	}
	if (!ret)
		*pagep = page;
	return ret;
}
EXPORT_SYMBOL_NS_GPL(gaspace_get_frame, GASPACE_INTERNAL);

/* Pages whose frames one hold of pt_lock finds for a transfer. */
#define GASPACE_RW_BATCH	32

/*
 * The frames of up to @max consecutive pages from @gpa on, in one area,
 * each with a reference: one hold of pt_lock and one area lookup per batch
 * rather than per page.  A page without a frame gives NULL (zeros to a
 * read), or, for a write and in a USERFAULT area, ends the batch; when it
 * is the first, it is populated, or waited for, with no lock held, and the
 * batch starts again.
 * Return: how many pages; or, when none, -ENXIO (@gpa outside areas the
 * VMM reaches), -ENOMEM, -EINTR, -EIO.
 */
static int gaspace_get_frames(struct gaspace *as, u64 gpa, unsigned int max,
			      bool write, struct page **pages)
{
	struct gaspace_area a;
	struct gpt_leaf leaf;
	unsigned int nr = 0;
	bool fill = write;
	int ret;

again:
	ret = -ENXIO;
	mutex_lock(&as->pt_lock);
	if (gpa < as->base || gpa - as->base >= as->size ||
	    !gaspace_area_find(as, gpa, &a) || !gaspace_backend(&a)->frame)
		goto out;
	fill = write || (a.flags & GASPACE_MAP_USERFAULT);
	for (; nr < max && gpa < a.end;
	     gpa = round_down(gpa, PAGE_SIZE) + PAGE_SIZE) {
		ret = gpt_query(&as->pt, gpa, &leaf);
		if (ret && fill)
			break;
		pages[nr] = ret ? NULL : gaspace_backend(&a)->frame(&leaf, gpa);
		if (pages[nr])
			get_page(pages[nr]);
		nr++;
	}
out:
	mutex_unlock(&as->pt_lock);
	if (nr || !fill || ret != -ENOENT)
		return nr ? nr : ret;
	ret = gaspace_populate(as, gpa, &a,
			       write ? GASPACE_PROT_WRITE : GASPACE_PROT_READ,
			       NULL, NULL);
	/* the page went while a transfer waited for it */
	if (ret == -ENOENT)
		ret = -ENXIO;
	if (ret && ret != -EAGAIN)
		return ret;
	goto again;
}

/*
 * How many of the next @want bytes of a write's source can be read.  A
 * write populates pages only for bytes it can read: a buffer that faults
 * gets -EFAULT (or a short count) with no page populated for what it could
 * not give.  *@known counts the bytes from the iterator's position that
 * were faulted in already, so that each byte is probed once.
 */
static size_t gaspace_source_readable(struct iov_iter *iter, size_t want,
				      size_t *known)
{
	if (*known < want) {
		struct iov_iter rest = *iter;
		size_t n = want - *known;

		iov_iter_advance(&rest, *known);
		*known += n - fault_in_iov_iter_readable(&rest, n);
	}
	return min(want, *known);
}

/* Copy @n bytes at @off of one frame (NULL: zeros) to or from @iter. */
static size_t gaspace_copy_page(struct gaspace *as, struct page *page,
				size_t off, size_t n, struct iov_iter *iter,
				bool write)
{
	size_t copied;

	if (!page)
		return iov_iter_zero(n, iter);
	if (!write)
		return copy_page_to_iter(page, off, n, iter);
	copied = copy_page_from_iter(page, off, n, iter);
	gaspace_sync_written(as, page, off, copied);
	return copied;
}

/*
 * Copy between @iter and the @nr frames of a batch from @gpa on, and drop
 * their references.  *@all: nothing fell short (a fault in @iter stops the
 * copy there).  Return: bytes copied.
 */
static size_t gaspace_copy_batch(struct gaspace *as, u64 gpa,
				 struct page **pages, int nr,
				 struct iov_iter *iter, bool write, bool *all)
{
	size_t done = 0;
	int i;

	*all = true;
	for (i = 0; i < nr; i++) {
		size_t off = offset_in_page(gpa + done);
		size_t n = min_t(size_t, PAGE_SIZE - off, iov_iter_count(iter));
		size_t copied;

		if (*all) {
			copied = gaspace_copy_page(as, pages[i], off, n, iter,
						   write);
			done += copied;
			*all = copied == n;
		}
		if (pages[i])
			put_page(pages[i]);
	}
	return done;
}

/**
 * gaspace_rw_iter() - copy guest memory to or from an iov_iter
 * @as: the space
 * @gpa: first guest-physical byte
 * @iter: the other side; its count is the length
 * @write: copy from @iter into the guest
 *
 * A never-populated page reads as zeros without allocating; a write
 * populates it.  The transfer stops at the first byte outside an alloc area,
 * and at a fault in @iter.
 *
 * Return: bytes copied; or, when nothing was, -ENXIO (@gpa outside alloc
 * areas), -EFAULT, -ENOMEM, -EINTR.
 */
ssize_t gaspace_rw_iter(struct gaspace *as, u64 gpa, struct iov_iter *iter,
			bool write)
{
	struct page *pages[GASPACE_RW_BATCH];
	size_t done = 0, known = 0, copied;
	bool all;
	int ret = 0, nr;

	while (iov_iter_count(iter)) {
		size_t want = min_t(size_t, iov_iter_count(iter),
				    GASPACE_RW_BATCH * PAGE_SIZE -
				    offset_in_page(gpa));

		if (done && fatal_signal_pending(current))
			break;
		if (write) {
			want = gaspace_source_readable(iter, want, &known);
			if (!want) {
				ret = gaspace_range_vmm(as, gpa, 1) ?
				      -EFAULT : -ENXIO;
				break;
			}
		}
		nr = gaspace_get_frames(as, gpa,
					DIV_ROUND_UP(offset_in_page(gpa) + want,
						     PAGE_SIZE),
					write, pages);
		if (nr < 0) {
			ret = nr;
			break;
		}
		copied = gaspace_copy_batch(as, gpa, pages, nr, iter, write,
					    &all);
		/* marked after the bytes are in place (dirty.c) */
		if (write)
			gaspace_dirty_written(as, gpa, copied);
		done += copied;
		gpa += copied;
		known -= min(known, copied);
		ret = all ? 0 : -EFAULT;
		if (!all)
			break;
		cond_resched();
	}
	return done ? done : ret;
}

/**
 * gaspace_read() - read guest memory into a kernel buffer
 * @as: the space
 * @gpa: first guest-physical byte
 * @buf: destination
 * @len: bytes
 *
 * The rules of pread on the address-space fd: alloc areas only, any prot,
 * zeros for never-populated pages, a short count at the first byte outside
 * alloc areas.
 *
 * Return: bytes read, or -ENXIO, -EINTR when none was.
 */
ssize_t gaspace_read(struct gaspace *as, u64 gpa, void *buf, size_t len)
{
	struct kvec kv = { .iov_base = buf, .iov_len = len };
	struct iov_iter iter;

	iov_iter_kvec(&iter, ITER_DEST, &kv, 1, len);
	return gaspace_rw_iter(as, gpa, &iter, false);
}
EXPORT_SYMBOL_GPL(gaspace_read);

/**
 * gaspace_write() - write guest memory from a kernel buffer
 * @as: the space
 * @gpa: first guest-physical byte
 * @buf: source
 * @len: bytes
 *
 * The rules of pwrite on the address-space fd: alloc areas only, any prot,
 * never-populated pages are populated, a short count at the first byte
 * outside alloc areas.
 *
 * Return: bytes written, or -ENXIO, -ENOMEM, -EINTR when none was.
 */
ssize_t gaspace_write(struct gaspace *as, u64 gpa, const void *buf,
		      size_t len)
{
	struct kvec kv = { .iov_base = (void *)buf, .iov_len = len };
	struct iov_iter iter;

	iov_iter_kvec(&iter, ITER_SOURCE, &kv, 1, len);
	return gaspace_rw_iter(as, gpa, &iter, true);
}
EXPORT_SYMBOL_GPL(gaspace_write);

/* Every byte of the range in areas the VMM reaches: by mmap, or pread. */
static bool gaspace_range_reached(struct gaspace *as, u64 gpa, u64 size,
				  bool mmap)
{
	const struct gaspace_backend *be;
	struct gaspace_area a;
	u64 cur = gpa, end = gpa + size;
	bool ok = end > gpa;

	mutex_lock(&as->pt_lock);
	while (ok && cur < end) {
		ok = gaspace_area_find(as, cur, &a);
		if (ok) {
			be = gaspace_backend(&a);
			ok = mmap ? be->mmap : !!be->frame;
		}
		cur = a.end;
	}
	mutex_unlock(&as->pt_lock);
	return ok;
}

/**
 * gaspace_range_vmm() - whether the VMM reaches [@gpa, @gpa + @size)
 * @as: the space
 * @gpa: first address
 * @size: bytes, > 0
 *
 * Return: true when every byte of the range lies in an area whose memory
 * the VMM reaches through the fd with pread and pwrite (alloc and user
 * areas).
 */
bool gaspace_range_vmm(struct gaspace *as, u64 gpa, u64 size)
{
	return gaspace_range_reached(as, gpa, size, false);
}

/**
 * gaspace_range_mmap() - whether the VMM may mmap [@gpa, @gpa + @size)
 * @as: the space
 * @gpa: first address
 * @size: bytes, > 0
 *
 * Return: true when every byte of the range lies in an alloc area (user
 * areas are the VMM's own memory already, linear ones not its to map).
 */
bool gaspace_range_mmap(struct gaspace *as, u64 gpa, u64 size)
{
	return gaspace_range_reached(as, gpa, size, true);
}

/*
 * After an UNMAP (or REPLACE) took @frames out of the table: wait for VMM
 * faults that found one of them to have mapped it, then zap the VMM's
 * mappings of the range.
 */
void gaspace_zap(struct gaspace *as, u64 gpa, u64 size,
		 struct gaspace_frames *frames)
{
	struct page *page;
	u32 i, n;

	lockdep_assert_held(&as->map_lock);
	if (!as->mapping || !READ_ONCE(as->mmapped))
		return;
	list_for_each_entry(page, &frames->pages, lru) {
		n = page_private(page) ? SZ_2M / PAGE_SIZE : 1;
		for (i = 0; i < n; i++) {
			lock_page(page + i);
			unlock_page(page + i);
		}
		cond_resched();
	}
	unmap_mapping_range(as->mapping, gpa, size, 1);
}

/**
 * gaspace_zero_bytes() - zero bytes of one page in place, if it has a frame
 * @as: the space, no lock of it held
 * @gpa: first byte
 * @end: end of the bytes, in the same page
 *
 * A discard's partial page: it keeps its frame (a page without one reads
 * as zeros already, and a USERFAULT area's raises no event); a logged
 * page becomes dirty.  Outside alloc areas nothing is done.
 */
void gaspace_zero_bytes(struct gaspace *as, u64 gpa, u64 end)
{
	size_t off = offset_in_page(gpa), len = end - gpa;
	struct page *page;

	if (gaspace_get_frame(as, gpa, 0, &page))
		return;
	zero_user(page, off, len);
	gaspace_sync_written(as, page, off, len);
	put_page(page);
	gaspace_dirty_written(as, gpa, len);
}

/*
 * The first byte from @gpa on, in the area *@a, that pread returns from a
 * frame (@hole false) or as an implicit zero (@hole true); -ENOENT when the
 * area has none.  @flags: GPT_SEEK_NEAR to look in one table only, under
 * rcu_read_lock() (-EAGAIN when it does not tell); else pt_lock held.
 */
static int gaspace_seek_area(struct gaspace *as, u64 gpa,
			     const struct gaspace_area *a, bool hole, u32 flags,
			     u64 *at)
{
	if (!gaspace_backend(a)->frame) {
		*at = max(gpa, a->start);
		return hole ? 0 : -ENOENT;
	}
	return gpt_seek(&as->pt, max(gpa, a->start), a->end,
			flags | (hole ? GPT_SEEK_HOLE : 0), at);
}

/*
 * Without a lock, when no change is being committed (as->seq), as
 * TRANSLATE looks: the answer when the area at or after @gpa and the table
 * of its entry give it (a listing of runs mostly asks for the next page),
 * else -EAGAIN.
 */
static loff_t gaspace_seek_near(struct gaspace *as, u64 gpa, u64 eof,
				bool hole)
{
	struct gaspace_area a;
	loff_t ret = -EAGAIN;
	unsigned int seq;
	u64 at;

	rcu_read_lock();
	seq = raw_read_seqcount(&as->seq);
	if (!(seq & 1) && gaspace_area_next(as, gpa, eof, &a)) {
		if (hole && a.start > gpa)
			ret = gpa;
		else if (!gaspace_seek_area(as, gpa, &a, hole, GPT_SEEK_NEAR,
					    &at))
			ret = at;
		if (read_seqcount_retry(&as->seq, seq))
			ret = -EAGAIN;
	}
	rcu_read_unlock();
	return ret;
}

/**
 * gaspace_seek_data() - lseek()'s SEEK_DATA and SEEK_HOLE
 * @as: the space
 * @gpa: where to start, any byte address
 * @hole: SEEK_HOLE; else SEEK_DATA
 *
 * Data are the bytes pread returns from a frame: the pages of alloc areas
 * that have one (prot 0 included).  Everything else is a hole: pages
 * without a frame, linear areas, no area; and past the end of the space
 * (base + size), where a hole is implied.  The area and the table of the
 * entry at @gpa are looked at first without a lock; when they do not tell,
 * one walk of the areas and of the table under pt_lock, skipping empty
 * tables whole.
 *
 * Return: the offset found; -ENXIO when @gpa is at or past the end of the
 * space, or for SEEK_DATA when no data follows it.
 */
loff_t gaspace_seek_data(struct gaspace *as, u64 gpa, bool hole)
{
	u64 eof = as->base + as->size, cur = gpa, at = eof;
	struct gaspace_area a;
	loff_t ret;

	if (gpa >= eof)
		return -ENXIO;
	ret = gaspace_seek_near(as, gpa, eof, hole);
	if (ret != -EAGAIN)
		return ret;
	ret = hole ? eof : -ENXIO;
	mutex_lock(&as->pt_lock);
	while (gaspace_area_next(as, cur, eof, &a)) {
		/* a hole before the area */
		if (hole && a.start > cur) {
			ret = cur;
			break;
		}
		if (!gaspace_seek_area(as, cur, &a, hole, 0, &at)) {
			ret = at;
			break;
		}
		cur = a.end;
	}
	if (hole && ret == eof && cur < eof)
		ret = cur;
	mutex_unlock(&as->pt_lock);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(gaspace_seek_data, GASPACE_INTERNAL);
