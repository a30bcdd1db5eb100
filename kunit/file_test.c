// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the fd as a file, through the calls its file makes:
 * gaspace_discard() (fallocate's PUNCH_HOLE), gaspace_allocate()
 * (fallocate's populate) and gaspace_seek_data() (SEEK_DATA, SEEK_HOLE):
 * part of a 2 MiB frame on every format, the notifier before the free,
 * the dirty log, USERFAULT areas.  selftests/file_test.c does the uAPI.
 */
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/sizes.h>

#include "core_util.h"

static const u32 file_formats[] = {
	GASPACE_FMT_EPT, GASPACE_FMT_NPT, GASPACE_FMT_ARM64_S2,
	GASPACE_FMT_RISCV_G,
};

static void file_format_desc(const u32 *f, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "format %u", *f);
}

KUNIT_ARRAY_PARAM(file_formats, file_formats, file_format_desc);

static u64 file_hpa(struct gaspace *as, u64 gpa, u64 *page_size)
{
	struct gaspace_translation t = {};

	if (gaspace_translate(as, gpa, &t))
		return 0;
	if (page_size)
		*page_size = t.page_size;
	return t.hpa;
}

/*
 * Discarding part of a 2 MiB frame frees exactly those 4 KiB pages: the
 * block becomes 4 KiB leaves over the same frame, the discarded ones go;
 * a later fault gives a fresh page; a whole block goes as one leaf.
 */
static void file_discard_huge(struct kunit *test)
{
	const u32 *fmt = test->param_value;
	struct gaspace *as = space(test, *fmt, 0, SZ_1G);
	u64 base, hpa, sz = 0, gpa = SZ_2M + SZ_8K;
	struct gaspace_info i;

	KUNIT_ASSERT_EQ(test, gaspace_map_alloc(as, 0, SZ_4M, RW,
						GASPACE_MAP_HUGE |
						GASPACE_MAP_POPULATE), 0);
	base = file_hpa(as, SZ_2M, &sz);
	if (sz != SZ_2M || info(as).nr_leaves_2m != 2) {
		kunit_skip(test, "no order-9 block could be had");
		gaspace_put(as);
		return;
	}
	KUNIT_ASSERT_EQ(test, gaspace_discard(as, gpa, 3 * SZ_4K), 0);
	i = info(as);
	KUNIT_EXPECT_EQ(test, i.nr_data_pages, 1024ULL - 3);
	KUNIT_EXPECT_EQ(test, i.nr_leaves_2m, 1ULL);
	KUNIT_EXPECT_EQ(test, i.nr_leaves_4k, 509ULL);
	KUNIT_EXPECT_EQ(test, i.nr_areas, 1ULL);
	KUNIT_EXPECT_EQ(test, i.mapped_bytes, (u64)SZ_4M - 3 * SZ_4K);
	/* the rest stays in place, 4 KiB leaves */
	hpa = file_hpa(as, SZ_2M + SZ_4K, &sz);
	KUNIT_EXPECT_EQ(test, hpa, base + SZ_4K);
	KUNIT_EXPECT_EQ(test, sz, (u64)SZ_4K);
	KUNIT_EXPECT_EQ(test, file_hpa(as, gpa + 3 * SZ_4K, NULL),
			base + SZ_8K + 3 * SZ_4K);
	KUNIT_EXPECT_EQ(test, file_hpa(as, gpa, NULL), 0ULL);
	/* a fault takes a fresh 4 KiB page, on demand */
	KUNIT_EXPECT_EQ(test, gaspace_handle_fault(as, gpa + SZ_4K, W), 0);
	i = info(as);
	KUNIT_EXPECT_EQ(test, i.nr_data_pages, 1024ULL - 2);
	KUNIT_EXPECT_EQ(test, i.nr_leaves_4k, 510ULL);
	KUNIT_EXPECT_EQ(test, i.nr_demand_faults, 1ULL);
	/* the whole first block, and a byte range around it */
	KUNIT_ASSERT_EQ(test, gaspace_discard(as, 0, SZ_2M + 100), 0);
	i = info(as);
	KUNIT_EXPECT_EQ(test, i.nr_data_pages, 1024ULL - 2 - 512);
	KUNIT_EXPECT_EQ(test, i.nr_leaves_2m, 0ULL);
	KUNIT_EXPECT_EQ(test, i.nr_leaves_4k, 510ULL);
	/* nothing left to free: nothing changes */
	KUNIT_ASSERT_EQ(test, gaspace_discard(as, 0, SZ_2M), 0);
	KUNIT_EXPECT_EQ(test, info(as).nr_data_pages, i.nr_data_pages);
	gaspace_put(as);
}

/* A page the range covers in part keeps its frame; its bytes are zeroed. */
static void file_discard_partial(struct kunit *test)
{
	struct gaspace *as = space(test, GASPACE_FMT_EPT, 0, SZ_1G);
	u8 *buf = kunit_kzalloc(test, 2 * SZ_4K, GFP_KERNEL);
	int i;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_EQ(test, gaspace_map_alloc(as, 0, SZ_64K, RW, 0), 0);
	memset(buf, 0xa5, 2 * SZ_4K);
	KUNIT_ASSERT_EQ(test, gaspace_write(as, SZ_4K, buf, 2 * SZ_4K),
			(ssize_t)(2 * SZ_4K));
	/* the last 96 bytes of one page and the first 50 of the next */
	KUNIT_ASSERT_EQ(test, gaspace_discard(as, 2 * SZ_4K - 96, 146), 0);
	KUNIT_EXPECT_EQ(test, info(as).nr_data_pages, 2ULL);
	KUNIT_ASSERT_EQ(test, gaspace_read(as, SZ_4K, buf, 2 * SZ_4K),
			(ssize_t)(2 * SZ_4K));
	for (i = 0; i < 2 * SZ_4K; i++)
		if (buf[i] != (i >= SZ_4K - 96 && i < SZ_4K + 50 ? 0 : 0xa5))
			break;
	KUNIT_EXPECT_EQ(test, i, 2 * SZ_4K);
	/* a page without a frame stays without one */
	KUNIT_ASSERT_EQ(test, gaspace_discard(as, 5 * SZ_4K + 1, 10), 0);
	KUNIT_EXPECT_EQ(test, info(as).nr_data_pages, 2ULL);
	gaspace_put(as);
}

/* The notifier sees the discarded range while its frames are still held. */
struct file_notifier {
	struct gaspace_notifier n;
	struct page *page;
	int calls;
	int held;
	u64 gpa;
	u64 size;
};

static void file_invalidate(struct gaspace_notifier *n, struct gaspace *as,
			    u64 gpa, u64 size)
{
	struct file_notifier *f = container_of(n, struct file_notifier, n);

	f->calls++;
	f->gpa = gpa;
	f->size = size;
	/* the table's reference: the frame is not freed yet */
	if (page_count(f->page) == 1)
		f->held++;
}

static void file_discard_notifier(struct kunit *test)
{
	struct gaspace *as = space(test, GASPACE_FMT_ARM64_S2, 0, SZ_1G);
	struct file_notifier f = { .n.invalidate = file_invalidate };
	u64 hpa;

	KUNIT_ASSERT_EQ(test, gaspace_map_alloc(as, SZ_1M, SZ_64K, RW,
						GASPACE_MAP_POPULATE), 0);
	KUNIT_ASSERT_EQ(test, gaspace_map_linear(as, SZ_2M, HPA, SZ_2M, RW, 0),
			0);
	hpa = file_hpa(as, SZ_1M + SZ_8K, NULL);
	KUNIT_ASSERT_NE(test, hpa, 0ULL);
	f.page = pfn_to_page(hpa >> PAGE_SHIFT);
	KUNIT_ASSERT_EQ(test, page_count(f.page), 1);
	KUNIT_ASSERT_EQ(test, gaspace_register_notifier(as, &f.n), 0);
	/* a hole and a linear area in the range are passed over */
	KUNIT_ASSERT_EQ(test, gaspace_discard(as, SZ_1M + SZ_8K,
					      SZ_4M - SZ_1M - SZ_8K), 0);
	KUNIT_EXPECT_EQ(test, f.calls, 1);
	KUNIT_EXPECT_EQ(test, f.held, 1);
	KUNIT_EXPECT_EQ(test, f.gpa, (u64)SZ_1M + SZ_8K);
	KUNIT_EXPECT_EQ(test, f.size, (u64)SZ_64K - SZ_8K);
	KUNIT_EXPECT_EQ(test, info(as).nr_data_pages, 2ULL);
	KUNIT_EXPECT_EQ(test, info(as).nr_areas, 2ULL);
	KUNIT_EXPECT_NE(test, file_hpa(as, SZ_2M, NULL), 0ULL);
	/* nothing to free: no notifier */
	KUNIT_ASSERT_EQ(test, gaspace_discard(as, SZ_1M + SZ_8K, SZ_8K), 0);
	KUNIT_EXPECT_EQ(test, f.calls, 1);
	gaspace_unregister_notifier(as, &f.n);
	gaspace_put(as);
}

static u64 file_dirty(struct kunit *test, struct gaspace *as, u32 flags)
{
	u64 bits = ~0ULL;

	KUNIT_EXPECT_EQ(test, gaspace_get_dirty_log(as, 0, SZ_64K, &bits,
						    flags), 0);
	return bits;
}

/*
 * In a logged area a discarded page that had a frame is dirty, as is a
 * page populated by fallocate and a partial page zeroed; a page that has a
 * frame already, or had none to discard, is not.
 */
static void file_discard_logged(struct kunit *test)
{
	struct gaspace *as = space(test, GASPACE_FMT_NPT, 0, SZ_1G);

	KUNIT_ASSERT_EQ(test, gaspace_map_alloc(as, 0, SZ_64K, RW,
						GASPACE_MAP_HUGE), 0);
	KUNIT_ASSERT_EQ(test, gaspace_allocate(as, 0, 8 * SZ_4K), 0);
	KUNIT_ASSERT_EQ(test, gaspace_dirty_log_enable(as, 0, SZ_64K), 0);
	KUNIT_EXPECT_EQ(test, file_dirty(test, as, 0), 0ULL);
	KUNIT_ASSERT_EQ(test, gaspace_discard(as, 2 * SZ_4K, 3 * SZ_4K), 0);
	KUNIT_EXPECT_EQ(test, info(as).nr_data_pages, 5ULL);
	KUNIT_EXPECT_EQ(test, file_dirty(test, as, GASPACE_DIRTY_CLEAR),
			0x1cULL);
	/* pages without a frame: nothing to free, nothing dirty */
	KUNIT_ASSERT_EQ(test, gaspace_discard(as, 2 * SZ_4K, SZ_64K - SZ_8K),
			0);
	KUNIT_EXPECT_EQ(test, file_dirty(test, as, GASPACE_DIRTY_CLEAR),
			0xe0ULL);
	/* fallocate: the missing pages become dirty, present ones not */
	KUNIT_ASSERT_EQ(test, gaspace_allocate(as, 0, 4 * SZ_4K), 0);
	KUNIT_EXPECT_EQ(test, file_dirty(test, as, GASPACE_DIRTY_CLEAR),
			0x0cULL);
	KUNIT_EXPECT_EQ(test, info(as).nr_data_pages, 4ULL);
	KUNIT_EXPECT_EQ(test, info(as).nr_leaves_4k, 4ULL);
	KUNIT_EXPECT_EQ(test, info(as).nr_demand_faults, 0ULL);
	/* a partial page zeroed in place */
	KUNIT_ASSERT_EQ(test, gaspace_discard(as, SZ_4K + 8, 8), 0);
	KUNIT_EXPECT_EQ(test, file_dirty(test, as, 0), 0x02ULL);
	KUNIT_EXPECT_EQ(test, info(as).nr_dirty_pages, 1ULL);
	gaspace_put(as);
}

/* A fault of @gpa in a thread of its own. */
struct file_faulter {
	struct gaspace *as;
	u64 gpa;
	int ret;
	struct completion done;
};

static int file_fault_fn(void *arg)
{
	struct file_faulter *t = arg;

	t->ret = gaspace_handle_fault(t->as, t->gpa, R);
	complete(&t->done);
	return 0;
}

/*
 * In a USERFAULT area: discard frees FILL's frames, ends the waits of the
 * range's missing pages with -ENOENT, and fallocate is refused.
 */
static void file_discard_userfault(struct kunit *test)
{
	struct gaspace *as = space(test, GASPACE_FMT_RISCV_G, 0, SZ_1G);
	struct file_faulter t = { .as = as, .gpa = SZ_1M + 5 * SZ_4K };
	struct task_struct *task;
	struct gaspace_info i;
	int k;

	KUNIT_ASSERT_EQ(test, gaspace_map_alloc(as, SZ_1M, SZ_64K, RW,
						GASPACE_MAP_USERFAULT), 0);
	KUNIT_ASSERT_EQ(test, gaspace_fill(as, SZ_1M, 4 * SZ_4K, NULL), 0);
	i = info(as);
	KUNIT_EXPECT_EQ(test, gaspace_allocate(as, SZ_1M, SZ_64K), -EINVAL);
	KUNIT_EXPECT_EQ(test, info(as).nr_data_pages, i.nr_data_pages);
	KUNIT_ASSERT_EQ(test, gaspace_userfault_open(as), 0);
	init_completion(&t.done);
	task = kthread_run(file_fault_fn, &t, "gaspace-file");
	KUNIT_ASSERT_FALSE(test, IS_ERR(task));
	for (k = 0; k < 1500 && !READ_ONCE(as->uf.nr_events); k++)
		msleep(20);
	KUNIT_EXPECT_EQ(test, info(as).nr_userfaults, 1ULL);
	KUNIT_ASSERT_EQ(test, gaspace_discard(as, SZ_1M + SZ_4K, SZ_32K), 0);
	KUNIT_EXPECT_TRUE(test, wait_for_completion_timeout(&t.done, 30 * HZ));
	KUNIT_EXPECT_EQ(test, t.ret, -ENOENT);
	KUNIT_EXPECT_EQ(test, info(as).nr_data_pages, 1ULL);
	KUNIT_EXPECT_EQ(test, info(as).nr_areas, 1ULL);
	/* the discarded page now raises an event again */
	KUNIT_EXPECT_EQ(test, gaspace_fill(as, SZ_1M + SZ_4K, SZ_4K, NULL), 0);
	gaspace_userfault_close(as);
	KUNIT_EXPECT_EQ(test, gaspace_handle_fault(as, SZ_1M + SZ_8K, R), -EIO);
	gaspace_put(as);
}

/*
 * fallocate's populate: every missing page, 2 MiB frames in HUGE areas,
 * not on demand; its errors in order, each changing nothing.
 */
static void file_allocate(struct kunit *test)
{
	const u32 *fmt = test->param_value;
	struct gaspace *as = space(test, *fmt, 0, SZ_1G);
	struct gaspace_info i, before;
	u64 sz = 0;

	KUNIT_ASSERT_EQ(test, gaspace_map_alloc(as, 0, SZ_4M + SZ_8K, RW,
						GASPACE_MAP_HUGE), 0);
	KUNIT_ASSERT_EQ(test, gaspace_map_linear(as, SZ_8M, HPA, SZ_2M, RW, 0),
			0);
	KUNIT_ASSERT_EQ(test, gaspace_handle_fault(as, SZ_2M + SZ_4K, W), 0);
	i = info(as);
	KUNIT_EXPECT_EQ(test, gaspace_allocate(as, 0, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, gaspace_allocate(as, SZ_4K, -SZ_4K), -EINVAL);
	KUNIT_EXPECT_EQ(test, gaspace_allocate(as, SZ_1G - 1, 2), -ERANGE);
	KUNIT_EXPECT_EQ(test, gaspace_allocate(as, 0, SZ_8M), -ENXIO);
	KUNIT_EXPECT_EQ(test, gaspace_allocate(as, SZ_8M, SZ_4K), -ENXIO);
	KUNIT_EXPECT_EQ(test, gaspace_allocate(as, SZ_4M, SZ_16K), -ENXIO);
	KUNIT_EXPECT_EQ(test, info(as).nr_data_pages, i.nr_data_pages);
	KUNIT_EXPECT_EQ(test, info(as).nr_table_pages, i.nr_table_pages);
	/* a byte range: every page it meets */
	before = i;
	KUNIT_ASSERT_EQ(test, gaspace_allocate(as, 1, SZ_4M + SZ_4K), 0);
	i = info(as);
	KUNIT_EXPECT_EQ(test, i.nr_data_pages, 1024ULL + 2);
	KUNIT_EXPECT_EQ(test, i.nr_demand_faults, 1ULL);
	KUNIT_EXPECT_EQ(test, i.mapped_bytes, (u64)SZ_2M * 3 + SZ_8K);
	file_hpa(as, 0, &sz);
	if (sz == SZ_2M)
		KUNIT_EXPECT_EQ(test, i.nr_leaves_2m, before.nr_leaves_2m + 1);
	/* everything has a frame: nothing more */
	KUNIT_ASSERT_EQ(test, gaspace_allocate(as, 0, SZ_4M + SZ_8K), 0);
	KUNIT_EXPECT_EQ(test, info(as).nr_data_pages, i.nr_data_pages);
	KUNIT_EXPECT_EQ(test, info(as).nr_table_pages, i.nr_table_pages);
	gaspace_put(as);
}

/* SEEK_DATA and SEEK_HOLE: frames are data, everything else a hole. */
static void file_seek(struct kunit *test)
{
	const u32 *fmt = test->param_value;
	struct gaspace *as = space(test, *fmt, SZ_1M, SZ_1G);
	u64 end = SZ_1M + SZ_1G, g = SZ_512M;

	KUNIT_ASSERT_EQ(test, gaspace_map_linear(as, SZ_2M, HPA, SZ_2M, RW, 0),
			0);
	KUNIT_ASSERT_EQ(test, gaspace_map_alloc(as, g, SZ_8M, RW, 0), 0);
	KUNIT_ASSERT_EQ(test, gaspace_map_alloc(as, g + SZ_8M, SZ_4K, 0,
						GASPACE_MAP_POPULATE), 0);
	KUNIT_ASSERT_EQ(test, gaspace_handle_fault(as, g + SZ_4M, R), 0);
	KUNIT_ASSERT_EQ(test, gaspace_handle_fault(as, g + SZ_8M - SZ_4K, R),
			0);
	KUNIT_EXPECT_EQ(test, gaspace_seek_data(as, 0, false), (loff_t)(g + SZ_4M));
	KUNIT_EXPECT_EQ(test, gaspace_seek_data(as, g + SZ_4M + 5, false),
			(loff_t)(g + SZ_4M + 5));
	KUNIT_EXPECT_EQ(test, gaspace_seek_data(as, g + SZ_4M + SZ_4K, false),
			(loff_t)(g + SZ_8M - SZ_4K));
	KUNIT_EXPECT_EQ(test, gaspace_seek_data(as, g + SZ_4M, true),
			(loff_t)(g + SZ_4M + SZ_4K));
	/* a prot 0 page with its frame is data, up to the area's end */
	KUNIT_EXPECT_EQ(test, gaspace_seek_data(as, g + SZ_8M - 1, true),
			(loff_t)(g + SZ_8M + SZ_4K));
	KUNIT_EXPECT_EQ(test, gaspace_seek_data(as, g + SZ_8M + SZ_4K, false),
			(loff_t)-ENXIO);
	KUNIT_EXPECT_EQ(test, gaspace_seek_data(as, SZ_2M, true),
			(loff_t)SZ_2M);
	KUNIT_EXPECT_EQ(test, gaspace_seek_data(as, 7, true), (loff_t)7);
	KUNIT_EXPECT_EQ(test, gaspace_seek_data(as, end - 1, true),
			(loff_t)(end - 1));
	KUNIT_EXPECT_EQ(test, gaspace_seek_data(as, end, true),
			(loff_t)-ENXIO);
	KUNIT_EXPECT_EQ(test, gaspace_seek_data(as, end, false),
			(loff_t)-ENXIO);
	gaspace_put(as);
}

static struct kunit_case file_test_cases[] = {
	KUNIT_CASE_PARAM(file_discard_huge, file_formats_gen_params),
	KUNIT_CASE(file_discard_partial),
	KUNIT_CASE(file_discard_notifier),
	KUNIT_CASE(file_discard_logged),
	KUNIT_CASE(file_discard_userfault),
	KUNIT_CASE_PARAM(file_allocate, file_formats_gen_params),
	KUNIT_CASE_PARAM(file_seek, file_formats_gen_params),
	{}
};

static struct kunit_suite file_test_suite = {
	.name = "gaspace_file",
	.test_cases = file_test_cases,
};

kunit_test_suites(&file_test_suite);
MODULE_IMPORT_NS(GASPACE_INTERNAL);
