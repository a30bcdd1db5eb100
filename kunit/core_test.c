// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the address space through the exported API (addrspace/ and
 * backends/): areas, linear and alloc backends, faults, counters, the
 * reference crate's scenarios and its hazards.
 */
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/gaspace.h>
#include <linux/kthread.h>
#include <linux/pagemap.h>
#include <linux/sizes.h>

#include "core_util.h"

/* Linear leaves: 1 GiB, 2 MiB, 4 KiB by the alignment of gpa and hpa. */
static void core_linear_leaf_sizes(struct kunit *test)
{
	struct gaspace *as = space(test, GASPACE_FMT_EPT, 0, 1ULL << 40);
	struct gaspace_translation t;

	KUNIT_ASSERT_EQ(test, gaspace_map_linear(as, SZ_1G, HPA, SZ_1G, RW, 0),
			0);
	KUNIT_ASSERT_EQ(test, gaspace_translate(as, SZ_1G + 0x1234, &t), 0);
	KUNIT_EXPECT_EQ(test, t.page_size, (u64)SZ_1G);
	KUNIT_EXPECT_EQ(test, t.level, 2U);
	KUNIT_EXPECT_EQ(test, t.hpa, HPA + 0x1234);
	KUNIT_EXPECT_EQ(test, t.limit, (u64)SZ_1G - 0x1234);
	KUNIT_EXPECT_EQ(test, t.backend, (u32)GASPACE_BACKEND_LINEAR);
	KUNIT_EXPECT_EQ(test, t.prot, (u32)RW);

	/* gpa and hpa equally aligned to 2 MiB only. */
	KUNIT_ASSERT_EQ(test, gaspace_map_linear(as, 4ULL << 30, HPA + SZ_2M,
						 SZ_4M, R, 0), 0);
	KUNIT_ASSERT_EQ(test, gaspace_translate(as, 4ULL << 30, &t), 0);
	KUNIT_EXPECT_EQ(test, t.page_size, (u64)SZ_2M);
	/* Misaligned by 4 KiB: 4 KiB leaves. */
	KUNIT_ASSERT_EQ(test, gaspace_map_linear(as, 8ULL << 30, HPA + SZ_4K,
						 SZ_2M, R, 0), 0);
	KUNIT_ASSERT_EQ(test, gaspace_translate(as, 8ULL << 30, &t), 0);
	KUNIT_EXPECT_EQ(test, t.page_size, (u64)SZ_4K);
	/* NOHUGE. */
	KUNIT_ASSERT_EQ(test, gaspace_map_linear(as, 12ULL << 30, HPA, SZ_2M, R,
						 GASPACE_MAP_NOHUGE), 0);
	KUNIT_ASSERT_EQ(test, gaspace_translate(as, 12ULL << 30, &t), 0);
	KUNIT_EXPECT_EQ(test, t.page_size, (u64)SZ_4K);
	KUNIT_EXPECT_EQ(test, info(as).nr_areas, 4ULL);
	KUNIT_EXPECT_EQ(test, info(as).mapped_bytes,
			(u64)SZ_1G + SZ_4M + SZ_2M + SZ_2M);
	gaspace_put(as);
}

/* PROTECT of a DEVICE linear area keeps its memory type (a WARN once). */
static void core_protect_device(struct kunit *test)
{
	struct gaspace *as = space(test, GASPACE_FMT_EPT, 0, SZ_1G);
	struct gaspace_translation t;

	KUNIT_ASSERT_EQ(test, gaspace_map_linear(as, 0, HPA, SZ_4M, RW,
						 GASPACE_MAP_DEVICE), 0);
	KUNIT_ASSERT_EQ(test, gaspace_protect(as, SZ_2M, SZ_4K, R), 0);
	KUNIT_ASSERT_EQ(test, gaspace_translate(as, SZ_2M, &t), 0);
	KUNIT_EXPECT_EQ(test, t.prot, (u32)R);
	KUNIT_EXPECT_EQ(test, t.page_size, (u64)SZ_4K);
	KUNIT_ASSERT_EQ(test, gaspace_translate(as, SZ_2M + SZ_4K, &t), 0);
	KUNIT_EXPECT_EQ(test, t.prot, (u32)RW);
	KUNIT_ASSERT_EQ(test, gaspace_translate(as, 0, &t), 0);
	KUNIT_EXPECT_EQ(test, t.page_size, (u64)SZ_2M);
	KUNIT_EXPECT_EQ(test, info(as).nr_areas, 3ULL);
	gaspace_put(as);
}

/* Unmapping the middle of a 1 GiB block splits it, the rest unchanged. */
static void core_linear_split(struct kunit *test)
{
	struct gaspace *as = space(test, GASPACE_FMT_NPT, 0, 1ULL << 40);
	struct gaspace_translation t;
	struct gaspace_info i;

	KUNIT_ASSERT_EQ(test, gaspace_map_linear(as, 0, HPA, SZ_1G, RWX, 0), 0);
	KUNIT_ASSERT_EQ(test, gaspace_unmap(as, SZ_2M + SZ_4K, SZ_4K), 0);
	i = info(as);
	KUNIT_EXPECT_EQ(test, i.nr_areas, 2ULL);
	KUNIT_EXPECT_EQ(test, i.mapped_bytes, (u64)SZ_1G - SZ_4K);
	/* root, PDPT, PD, and one PT under the split 2 MiB entry */
	KUNIT_EXPECT_EQ(test, i.nr_table_pages, 4ULL);
	KUNIT_EXPECT_EQ(test, gaspace_translate(as, SZ_2M + SZ_4K, &t),
			-ENOENT);
	KUNIT_ASSERT_EQ(test, gaspace_translate(as, SZ_2M, &t), 0);
	KUNIT_EXPECT_EQ(test, t.page_size, (u64)SZ_4K);
	KUNIT_EXPECT_EQ(test, t.hpa, HPA + SZ_2M);
	KUNIT_EXPECT_EQ(test, t.limit, (u64)SZ_4K);
	KUNIT_ASSERT_EQ(test, gaspace_translate(as, 0, &t), 0);
	KUNIT_EXPECT_EQ(test, t.page_size, (u64)SZ_2M);
	KUNIT_ASSERT_EQ(test, gaspace_translate(as, SZ_4M, &t), 0);
	KUNIT_EXPECT_EQ(test, t.page_size, (u64)SZ_2M);
	KUNIT_EXPECT_EQ(test, t.hpa, HPA + SZ_4M);
	KUNIT_EXPECT_EQ(test, t.prot, (u32)RWX);

	KUNIT_ASSERT_EQ(test, gaspace_unmap(as, 0, SZ_1G), 0);
	i = info(as);
	KUNIT_EXPECT_EQ(test, i.nr_areas, 0ULL);
	KUNIT_EXPECT_EQ(test, i.mapped_bytes, 0ULL);
	KUNIT_EXPECT_EQ(test, i.nr_table_pages, 1ULL);
	gaspace_put(as);
}

/* A lazy alloc page: ENOENT, then a fault populates exactly one frame. */
static void core_alloc_lazy_fault(struct kunit *test)
{
	struct gaspace *as = space(test, GASPACE_FMT_EPT, 0x10000, 0x10000);
	struct gaspace_translation t, t2;

	KUNIT_ASSERT_EQ(test, gaspace_map_alloc(as, 0x10000, 0x4000, RW, 0), 0);
	KUNIT_EXPECT_EQ(test, gaspace_translate(as, 0x11000, &t), -ENOENT);
	KUNIT_EXPECT_EQ(test, info(as).nr_data_pages, 0ULL);
	KUNIT_EXPECT_EQ(test, gaspace_handle_fault(as, 0x11008, R), 0);
	KUNIT_EXPECT_EQ(test, info(as).nr_data_pages, 1ULL);
	KUNIT_ASSERT_EQ(test, gaspace_translate(as, 0x11008, &t), 0);
	KUNIT_EXPECT_EQ(test, t.backend, (u32)GASPACE_BACKEND_ALLOC);
	KUNIT_EXPECT_EQ(test, t.limit, 0x14000ULL - 0x11008);
	KUNIT_EXPECT_EQ(test, t.hpa & 0xfff, 0x8ULL);
	/* Idempotent: nothing allocated, the same frame. */
	KUNIT_EXPECT_EQ(test, gaspace_handle_fault(as, 0x11000, W), 0);
	KUNIT_EXPECT_EQ(test, info(as).nr_data_pages, 1ULL);
	KUNIT_ASSERT_EQ(test, gaspace_translate(as, 0x11000, &t2), 0);
	KUNIT_EXPECT_EQ(test, t2.hpa, t.hpa - 8);
	KUNIT_EXPECT_EQ(test, info(as).mapped_bytes, (u64)SZ_4K);
	/* Not allowed, even though present. */
	KUNIT_EXPECT_EQ(test, gaspace_handle_fault(as, 0x11000, X), -EACCES);
	KUNIT_EXPECT_EQ(test, gaspace_handle_fault(as, 0x18000, R), -ENOENT);
	KUNIT_EXPECT_EQ(test, gaspace_handle_fault(as, 0x20000, R), -ERANGE);
	KUNIT_EXPECT_EQ(test, gaspace_handle_fault(as, 0x11000, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, gaspace_handle_fault(as, 0x11000, 8), -EINVAL);
	KUNIT_ASSERT_EQ(test, gaspace_unmap(as, 0x10000, 0x10000), 0);
	KUNIT_EXPECT_EQ(test, info(as).nr_data_pages, 0ULL);
	KUNIT_EXPECT_EQ(test, info(as).nr_table_pages, 1ULL);
	gaspace_put(as);
}

/* POPULATE: every page has its own frame now. */
static void core_alloc_populate(struct kunit *test)
{
	struct gaspace *as = space(test, GASPACE_FMT_RISCV_G, 0, SZ_1G);
	struct gaspace_translation a, b;

	KUNIT_ASSERT_EQ(test, gaspace_map_alloc(as, SZ_2M, SZ_8K, RW,
						GASPACE_MAP_POPULATE), 0);
	KUNIT_EXPECT_EQ(test, info(as).nr_data_pages, 2ULL);
	KUNIT_ASSERT_EQ(test, gaspace_translate(as, SZ_2M, &a), 0);
	KUNIT_ASSERT_EQ(test, gaspace_translate(as, SZ_2M + SZ_4K, &b), 0);
	KUNIT_EXPECT_NE(test, a.hpa, b.hpa);
	KUNIT_EXPECT_EQ(test, a.page_size, (u64)SZ_4K);
	gaspace_put(as);
}

/* HUGE: a fault populates the whole 2 MiB block; partial unmap frees part. */
static void core_alloc_huge(struct kunit *test)
{
	struct gaspace *as = space(test, GASPACE_FMT_ARM64_S2, 0, SZ_1G);
	struct gaspace_translation t;

	KUNIT_ASSERT_EQ(test, gaspace_map_alloc(as, 0, SZ_4M + SZ_4K, RW,
						GASPACE_MAP_HUGE), 0);
	KUNIT_ASSERT_EQ(test, gaspace_handle_fault(as, SZ_2M + 0x5000, W), 0);
	KUNIT_ASSERT_EQ(test, gaspace_translate(as, SZ_2M, &t), 0);
	if (t.page_size != SZ_2M) {
		kunit_skip(test, "no order-9 block could be had");
		return;
	}
	KUNIT_EXPECT_EQ(test, info(as).nr_data_pages, 512ULL);
	KUNIT_EXPECT_EQ(test, t.level, 1U);
	/* The tail page is outside any whole block: 4 KiB. */
	KUNIT_ASSERT_EQ(test, gaspace_handle_fault(as, SZ_4M, R), 0);
	KUNIT_ASSERT_EQ(test, gaspace_translate(as, SZ_4M, &t), 0);
	KUNIT_EXPECT_EQ(test, t.page_size, (u64)SZ_4K);
	KUNIT_EXPECT_EQ(test, info(as).nr_data_pages, 513ULL);
	/* Unmap 3 pages of the block: exactly those are freed. */
	KUNIT_ASSERT_EQ(test, gaspace_unmap(as, SZ_2M + SZ_8K, 3 * SZ_4K), 0);
	KUNIT_EXPECT_EQ(test, info(as).nr_data_pages, 510ULL);
	KUNIT_EXPECT_EQ(test, info(as).nr_areas, 2ULL);
	KUNIT_ASSERT_EQ(test, gaspace_translate(as, SZ_2M + SZ_4K, &t), 0);
	KUNIT_EXPECT_EQ(test, t.page_size, (u64)SZ_4K);
	gaspace_put(as);
}

/* prot 0: the area exists, nothing is present, faults are refused. */
static void core_prot_none(struct kunit *test)
{
	struct gaspace *as = space(test, GASPACE_FMT_EPT, 0, SZ_1G);
	struct gaspace_translation t;

	KUNIT_ASSERT_EQ(test, gaspace_map_alloc(as, 0, SZ_8K, 0,
						GASPACE_MAP_POPULATE), 0);
	KUNIT_EXPECT_EQ(test, info(as).nr_data_pages, 2ULL);
	KUNIT_EXPECT_EQ(test, info(as).mapped_bytes, 0ULL);
	KUNIT_EXPECT_EQ(test, gaspace_translate(as, 0, &t), -ENOENT);
	KUNIT_EXPECT_EQ(test, gaspace_handle_fault(as, 0, R), -EACCES);
	/* Back to RW: the frames kept are present again at once. */
	KUNIT_ASSERT_EQ(test, gaspace_protect(as, 0, SZ_8K, RW), 0);
	KUNIT_EXPECT_EQ(test, info(as).mapped_bytes, (u64)SZ_8K);
	KUNIT_ASSERT_EQ(test, gaspace_translate(as, SZ_4K, &t), 0);
	KUNIT_EXPECT_EQ(test, t.prot, (u32)RW);
	KUNIT_EXPECT_EQ(test, info(as).nr_data_pages, 2ULL);
	gaspace_put(as);
}

/* The reference crate's memory_set: one-page areas, splits by count. */
static void core_area_counts(struct kunit *test)
{
	struct gaspace *as = space(test, GASPACE_FMT_EPT, 0, SZ_1M);
	int i;

	for (i = 0; i < 16; i++)
		KUNIT_ASSERT_EQ(test, gaspace_map_alloc(as, i * 2 * SZ_4K,
							SZ_4K,
							RW, 0), 0);
	KUNIT_EXPECT_EQ(test, info(as).nr_areas, 16ULL);
	KUNIT_EXPECT_EQ(test, gaspace_map_alloc(as, 0, SZ_8K, RW, 0), -EEXIST);
	/* A 4-page area; unmapping its middle leaves two. */
	KUNIT_ASSERT_EQ(test, gaspace_map_alloc(as, SZ_512K, 4 * SZ_4K, RW, 0),
			0);
	KUNIT_ASSERT_EQ(test, gaspace_unmap(as, SZ_512K + SZ_4K, SZ_8K), 0);
	KUNIT_EXPECT_EQ(test, info(as).nr_areas, 18ULL);
	/* PROTECT splits at both edges even without a change of prot. */
	KUNIT_ASSERT_EQ(test, gaspace_map_alloc(as, SZ_256K, 3 * SZ_4K, RW, 0),
			0);
	KUNIT_ASSERT_EQ(test, gaspace_protect(as, SZ_256K + SZ_4K, SZ_4K, RW),
			0);
	KUNIT_EXPECT_EQ(test, info(as).nr_areas, 21ULL);
	/* PROTECT over a hole: nothing changes. */
	KUNIT_EXPECT_EQ(test, gaspace_protect(as, 0, SZ_8K, R), -ENOENT);
	KUNIT_EXPECT_EQ(test, info(as).nr_areas, 21ULL);
	/* REPLACE: as many areas as the unmap would leave, plus one. */
	KUNIT_ASSERT_EQ(test, gaspace_map_alloc(as, SZ_4K, 4 * SZ_8K, R,
						GASPACE_MAP_REPLACE), 0);
	KUNIT_EXPECT_EQ(test, info(as).nr_areas, 21ULL - 4 + 1);
	gaspace_put(as);
}

/* Argument checks, in the contract's order; nothing changes on error. */
static void core_errors(struct kunit *test)
{
	struct gaspace *as = space(test, GASPACE_FMT_EPT, SZ_1M, SZ_1M);

	KUNIT_EXPECT_EQ(test, gaspace_map_alloc(as, SZ_1M, SZ_4K, W, 0),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, gaspace_map_alloc(as, SZ_1M, SZ_4K, 8, 0),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, gaspace_map_alloc(as, SZ_1M, 0, R, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, gaspace_map_alloc(as, SZ_1M + 1, SZ_4K, R, 0),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, gaspace_map_alloc(as, SZ_1M, SZ_4K, R,
						GASPACE_MAP_DEVICE), -EINVAL);
	KUNIT_EXPECT_EQ(test, gaspace_map_alloc(as, -SZ_4K, SZ_8K, R, 0),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, gaspace_map_alloc(as, 0, SZ_4K, R, 0), -ERANGE);
	KUNIT_EXPECT_EQ(test, gaspace_map_alloc(as, SZ_2M - SZ_4K, SZ_8K, R, 0),
			-ERANGE);
	KUNIT_EXPECT_EQ(test, gaspace_map_linear(as, SZ_1M, HPA, SZ_4K, R,
						 GASPACE_MAP_POPULATE), -EINVAL);
	/* hpa + size wraps, or passes the 52-bit width. */
	KUNIT_EXPECT_EQ(test, gaspace_map_linear(as, SZ_1M, -SZ_4K, SZ_8K, R,
						 0),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, gaspace_map_linear(as, SZ_1M, BIT_ULL(52), SZ_4K,
						 R, 0), -EINVAL);
	/* hpa above gpa is fine (the reference crate overflowed here). */
	KUNIT_EXPECT_EQ(test, gaspace_map_linear(as, SZ_1M, BIT_ULL(52) - SZ_4K,
						 SZ_4K, R, 0), 0);
	KUNIT_EXPECT_EQ(test, gaspace_unmap(as, SZ_1M, -SZ_1M), -EINVAL);
	KUNIT_EXPECT_EQ(test, gaspace_unmap(as, 0, SZ_2M), -ERANGE);
	KUNIT_EXPECT_EQ(test, gaspace_protect(as, SZ_1M, SZ_4K, W), -EINVAL);
	KUNIT_EXPECT_EQ(test, info(as).nr_areas, 1ULL);
	KUNIT_EXPECT_EQ(test, info(as).nr_table_pages, 4ULL);
	gaspace_put(as);
}

struct count_notifier {
	struct gaspace_notifier n;
	int calls;
	u64 bytes;
};

static void count_invalidate(struct gaspace_notifier *n, struct gaspace *as,
			     u64 gpa, u64 size)
{
	struct count_notifier *c = container_of(n, struct count_notifier, n);

	c->calls++;
	c->bytes += size;
}

/* Notifiers hear of unmapped and downgraded leaves. */
static void core_notifier(struct kunit *test)
{
	struct gaspace *as = space(test, GASPACE_FMT_EPT, 0, SZ_1G);
	struct count_notifier c = { .n.invalidate = count_invalidate };

	KUNIT_ASSERT_EQ(test, gaspace_register_notifier(as, &c.n), 0);
	KUNIT_ASSERT_EQ(test, gaspace_map_alloc(as, 0, SZ_16K, RW,
						GASPACE_MAP_POPULATE), 0);
	KUNIT_EXPECT_EQ(test, c.calls, 0);
	KUNIT_ASSERT_EQ(test, gaspace_protect(as, 0, SZ_4K, R), 0);
	KUNIT_EXPECT_GE(test, c.calls, 1);
	KUNIT_ASSERT_EQ(test, gaspace_unmap(as, 0, SZ_16K), 0);
	KUNIT_EXPECT_GE(test, c.bytes, (u64)SZ_16K);
	gaspace_unregister_notifier(as, &c.n);
	gaspace_put(as);
}

/* Guest memory: zeros without allocating, writes populate, short counts. */
static void core_read_write(struct kunit *test)
{
	struct gaspace *as = space(test, GASPACE_FMT_EPT, 0, SZ_1M);
	char *buf = kunit_kzalloc(test, 3 * SZ_4K, GFP_KERNEL);
	int i;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_EQ(test, gaspace_map_alloc(as, SZ_64K, SZ_8K, 0, 0), 0);
	memset(buf, 0x5a, 3 * SZ_4K);
	KUNIT_EXPECT_EQ(test, gaspace_read(as, SZ_64K + 8, buf, SZ_4K),
			(ssize_t)SZ_4K);
	for (i = 0; i < SZ_4K; i++)
		if (buf[i])
			break;
	KUNIT_EXPECT_EQ(test, i, SZ_4K);
	KUNIT_EXPECT_EQ(test, info(as).nr_data_pages, 0ULL);
	/* Runs past the area: a short count; from outside: -ENXIO. */
	memset(buf, 0xa5, 3 * SZ_4K);
	KUNIT_EXPECT_EQ(test, gaspace_write(as, SZ_64K + SZ_4K, buf, SZ_8K),
			(ssize_t)SZ_4K);
	KUNIT_EXPECT_EQ(test, info(as).nr_data_pages, 1ULL);
	KUNIT_EXPECT_EQ(test, gaspace_write(as, SZ_64K + SZ_8K, buf, 1),
			(ssize_t)-ENXIO);
	memset(buf, 0, 3 * SZ_4K);
	KUNIT_EXPECT_EQ(test, gaspace_read(as, SZ_64K + SZ_4K - 1, buf, 2),
			(ssize_t)2);
	KUNIT_EXPECT_EQ(test, buf[0], (char)0);
	KUNIT_EXPECT_EQ(test, buf[1], (char)0xa5);
	gaspace_put(as);
}

/* gaspace_get_file() refuses what is not an address space. */
static void core_get_file(struct kunit *test)
{
	struct file *f = filp_open("/dev/null", O_RDONLY, 0);

	KUNIT_EXPECT_EQ(test, PTR_ERR(gaspace_get_file(NULL)), (long)-EBADF);
	if (IS_ERR(f)) {
		kunit_skip(test, "no /dev/null to open");
		return;
	}
	KUNIT_EXPECT_EQ(test, PTR_ERR(gaspace_get_file(f)), (long)-EBADF);
	filp_close(f, NULL);
}

/* A VMM touch (the mmap fault's lookup) of @gpa, in a thread of its own. */
struct core_toucher {
	struct gaspace *as;
	u64 gpa;
	int ret;
	struct completion done;
};

static int core_touch_fn(void *arg)
{
	struct core_toucher *t = arg;
	struct page *page;

	t->ret = gaspace_get_frame(t->as, t->gpa,
				   GASPACE_FRAME_POPULATE | GASPACE_FRAME_VMM, &page);
	if (!t->ret) {
		unlock_page(page);
		put_page(page);
	}
	complete(&t->done);
	return 0;
}

/*
 * Issue 12: a VMM touch that waits for the lock of its frame (held here,
 * as another touch holds it while the core mm maps it) holds no lock of
 * the space meanwhile: every other fault, TRANSLATE and transfer goes on.
 */
static void core_touch_waits_for_its_page_without_pt_lock(struct kunit *test)
{
	struct gaspace *as = space(test, GASPACE_FMT_EPT, 0, SZ_1G);
	struct core_toucher t = { .as = as, .gpa = SZ_4K + 5 };
	struct gaspace_translation tr;
	struct task_struct *task;
	struct page *page;
	int i;

	init_completion(&t.done);
	KUNIT_ASSERT_EQ(test, gaspace_map_alloc(as, 0, SZ_2M, RW, 0), 0);
	KUNIT_ASSERT_EQ(test, gaspace_write(as, SZ_4K, "x", 1), 1);
	KUNIT_ASSERT_EQ(test,
			gaspace_get_frame(as, SZ_4K, 0, &page), 0);
	lock_page(page);
	task = kthread_run(core_touch_fn, &t, "gaspace-touch");
	KUNIT_ASSERT_FALSE(test, IS_ERR(task));
	for (i = 0; i < 1000 && !folio_test_waiters(page_folio(page)); i++)
		msleep(20);
	KUNIT_EXPECT_TRUE(test, folio_test_waiters(page_folio(page)));
	KUNIT_EXPECT_FALSE(test, mutex_is_locked(&as->pt_lock));
	if (!mutex_is_locked(&as->pt_lock)) {
		KUNIT_EXPECT_EQ(test, gaspace_handle_fault(as, 3 * SZ_4K, W),
				0);
		KUNIT_EXPECT_EQ(test, gaspace_translate(as, 3 * SZ_4K, &tr), 0);
	}
	unlock_page(page);
	wait_for_completion(&t.done);
	KUNIT_EXPECT_EQ(test, t.ret, 0);
	put_page(page);
	gaspace_put(as);
}

/* A fault of @gpa in a thread of its own. */
struct core_faulter {
	struct gaspace *as;
	u64 gpa;
	int ret;
	struct completion done;
};

static int core_fault_fn(void *arg)
{
	struct core_faulter *t = arg;

	t->ret = gaspace_handle_fault(t->as, t->gpa, RW);
	complete(&t->done);
	return 0;
}

static void core_fault_start(struct kunit *test, struct core_faulter *t,
			     struct gaspace *as, u64 gpa)
{
	struct task_struct *task;

	t->as = as;
	t->gpa = gpa;
	init_completion(&t->done);
	task = kthread_run(core_fault_fn, t, "gaspace-fault");
	KUNIT_ASSERT_FALSE(test, IS_ERR(task));
}

/*
 * Faults on distinct pages overlap.  A page held in flight here, as a fault
 * blocked in the allocation of its frame holds it (and nothing else), stops
 * only the faults on that page: a fault on the next page meanwhile
 * allocates, links and returns.  Once the page leaves flight its waiter
 * looks again and fills it, one frame per page.
 */
static void core_faults_overlap(struct kunit *test)
{
	struct gaspace *as = space(test, GASPACE_FMT_EPT, 0, SZ_1G);
	struct gaspace_inflight busy = { .start = 0, .end = SZ_4K };
	struct core_faulter a, b;

	KUNIT_ASSERT_EQ(test, gaspace_map_alloc(as, 0, SZ_2M, RW, 0), 0);
	KUNIT_ASSERT_EQ(test, gaspace_inflight_begin(as, &busy), 0);
	core_fault_start(test, &a, as, 16);
	core_fault_start(test, &b, as, SZ_4K);
	KUNIT_EXPECT_TRUE(test, wait_for_completion_timeout(&b.done,
							    30 * HZ));
	KUNIT_EXPECT_EQ(test, b.ret, 0);
	KUNIT_EXPECT_EQ(test, info(as).nr_data_pages, 1ULL);
	msleep(100);
	KUNIT_EXPECT_FALSE(test, completion_done(&a.done));
	gaspace_inflight_end(as, &busy);
	wait_for_completion(&a.done);
	KUNIT_EXPECT_EQ(test, a.ret, 0);
	KUNIT_EXPECT_EQ(test, info(as).nr_data_pages, 2ULL);
	gaspace_put(as);
}

#define CORE_FAULTERS	8

/* Concurrent faults on one page, and on one HUGE block: one frame. */
static void core_faults_one_frame(struct kunit *test)
{
	struct gaspace *as = space(test, GASPACE_FMT_NPT, 0, SZ_1G);
	struct core_faulter *t;
	int i;

	t = kunit_kcalloc(test, 2 * CORE_FAULTERS, sizeof(*t), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	KUNIT_ASSERT_EQ(test, gaspace_map_alloc(as, 0, SZ_2M, RW, 0), 0);
	KUNIT_ASSERT_EQ(test, gaspace_map_alloc(as, SZ_4M, SZ_2M, RW,
						GASPACE_MAP_HUGE), 0);
	for (i = 0; i < CORE_FAULTERS; i++) {
		core_fault_start(test, &t[i], as, SZ_8K + i);
		core_fault_start(test, &t[CORE_FAULTERS + i], as,
				 SZ_4M + i * SZ_64K);
	}
	for (i = 0; i < 2 * CORE_FAULTERS; i++) {
		wait_for_completion(&t[i].done);
		KUNIT_EXPECT_EQ(test, t[i].ret, 0);
	}
	/* one page, and one 2 MiB block unless no order-9 block was free */
	KUNIT_EXPECT_TRUE(test, info(as).nr_data_pages == 1 + 512 ||
			  info(as).nr_data_pages <= 1 + CORE_FAULTERS);
	gaspace_put(as);
}

static const u32 core_formats[] = {
	GASPACE_FMT_EPT, GASPACE_FMT_NPT, GASPACE_FMT_ARM64_S2,
	GASPACE_FMT_RISCV_G,
};

static void core_format_desc(const u32 *f, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "format %u", *f);
}

KUNIT_ARRAY_PARAM(core_formats, core_formats, core_format_desc);

static u64 core_dirty_get(struct kunit *test, struct gaspace *as, u64 gpa,
			  u64 size, u32 flags)
{
	u64 bits[2] = { ~0ULL, ~0ULL };

	KUNIT_EXPECT_EQ(test, gaspace_get_dirty_log(as, gpa, size, bits, flags),
			0);
	KUNIT_EXPECT_EQ(test, bits[1], ~0ULL);	/* past the bitmap */
	return bits[0];
}

static u32 core_prot_at(struct gaspace *as, u64 gpa, u64 *page_size)
{
	struct gaspace_translation t = {};

	if (gaspace_translate(as, gpa, &t))
		return 0;
	if (page_size)
		*page_size = t.page_size;
	return t.prot;
}

/*
 * The dirty log on every format: ENABLE splits blocks and write-protects,
 * each writer marks, GET reports, CLEAR protects again, SET marks, DISABLE
 * gives the blocks and W back.
 */
static void core_dirty_log(struct kunit *test)
{
	const u32 *fmt = test->param_value;
	struct gaspace *as = space(test, *fmt, 0, 4ULL << 30);
	struct count_notifier c = { .n.invalidate = count_invalidate };
	u64 lin = 0, huge = 0, sz, g = SZ_1G, set = BIT(5);
	char byte = 1;

	KUNIT_ASSERT_EQ(test, gaspace_register_notifier(as, &c.n), 0);
	KUNIT_ASSERT_EQ(test, gaspace_map_linear(as, 0, HPA, SZ_64M, RW, 0), 0);
	KUNIT_ASSERT_EQ(test, gaspace_map_alloc(as, g, SZ_4M, RW,
						GASPACE_MAP_HUGE |
						GASPACE_MAP_POPULATE), 0);
	core_prot_at(as, 0, &lin);
	core_prot_at(as, g, &huge);
	KUNIT_ASSERT_EQ(test, gaspace_dirty_log_enable(as, 0, SZ_64M), 0);
	KUNIT_ASSERT_EQ(test, gaspace_dirty_log_enable(as, g, SZ_4M), 0);
	KUNIT_EXPECT_GE(test, c.calls, 2);
	KUNIT_EXPECT_EQ(test, core_prot_at(as, 0, &sz), R);
	KUNIT_EXPECT_EQ(test, sz, (u64)SZ_4K);
	KUNIT_EXPECT_EQ(test, core_prot_at(as, g, &sz), R);
	KUNIT_EXPECT_EQ(test, sz, (u64)SZ_4K);
	KUNIT_EXPECT_EQ(test, info(as).nr_leaves_2m, 0ULL);
	KUNIT_EXPECT_EQ(test, info(as).nr_leaves_1g, 0ULL);
	KUNIT_EXPECT_EQ(test, info(as).nr_leaves_4k,
			(u64)(SZ_64M + SZ_4M) / SZ_4K);

	/* a guest write, twice; a read; a write through the API */
	KUNIT_EXPECT_EQ(test, gaspace_handle_fault(as, SZ_8K + 8, W), 0);
	KUNIT_EXPECT_EQ(test, core_prot_at(as, SZ_8K, NULL), RW);
	KUNIT_EXPECT_EQ(test, gaspace_handle_fault(as, SZ_8K, W), 0);
	KUNIT_EXPECT_EQ(test, gaspace_handle_fault(as, SZ_16K, R), 0);
	KUNIT_EXPECT_EQ(test, gaspace_write(as, g + SZ_4K + 7, &byte, 1), 1);
	KUNIT_EXPECT_EQ(test, info(as).nr_dirty_pages, 2ULL);
	KUNIT_EXPECT_EQ(test, core_dirty_get(test, as, 0, SZ_64K, 0),
			BIT_ULL(2));
	KUNIT_EXPECT_EQ(test, core_dirty_get(test, as, g, SZ_64K, 0),
			BIT_ULL(1));
	KUNIT_EXPECT_EQ(test, info(as).nr_dirty_pages, 2ULL);

	/* CLEAR reports once and protects again */
	c.calls = 0;
	KUNIT_EXPECT_EQ(test, core_dirty_get(test, as, 0, SZ_64K,
					     GASPACE_DIRTY_CLEAR), BIT_ULL(2));
	KUNIT_EXPECT_GE(test, c.calls, 1);
	KUNIT_EXPECT_EQ(test, core_dirty_get(test, as, 0, SZ_64K,
					     GASPACE_DIRTY_CLEAR), 0ULL);
	KUNIT_EXPECT_EQ(test, core_prot_at(as, SZ_8K, NULL), R);
	KUNIT_EXPECT_EQ(test, info(as).nr_dirty_pages, 1ULL);
	KUNIT_EXPECT_EQ(test, gaspace_get_dirty_log(as, 0, SZ_16K, &set,
						    GASPACE_DIRTY_SET), 0);
	KUNIT_EXPECT_EQ(test, info(as).nr_dirty_pages, 1ULL);
	set = BIT(1);
	KUNIT_EXPECT_EQ(test, gaspace_get_dirty_log(as, 0, SZ_16K, &set,
						    GASPACE_DIRTY_SET), 0);
	KUNIT_EXPECT_EQ(test, info(as).nr_dirty_pages, 2ULL);

	/* DISABLE: bits gone, W and the blocks back */
	KUNIT_EXPECT_EQ(test, gaspace_dirty_log_disable(as, 0, 2 * g),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, gaspace_dirty_log_disable(as, 0, SZ_64M), 0);
	KUNIT_EXPECT_EQ(test, gaspace_dirty_log_disable(as, g, SZ_4M), 0);
	KUNIT_EXPECT_EQ(test, info(as).nr_dirty_pages, 0ULL);
	KUNIT_EXPECT_EQ(test, core_prot_at(as, 0, &sz), RW);
	KUNIT_EXPECT_EQ(test, sz, lin);
	KUNIT_EXPECT_EQ(test, core_prot_at(as, g, &sz), RW);
	KUNIT_EXPECT_EQ(test, sz, huge);
	KUNIT_EXPECT_EQ(test, gaspace_get_dirty_log(as, 0, SZ_4K, &set, 0),
			-ENOENT);
	gaspace_unregister_notifier(as, &c.n);
	gaspace_put(as);
}

/* A lazy HUGE area while logged: 4 KiB frames, clean unless written. */
static void core_dirty_lazy(struct kunit *test)
{
	struct gaspace *as = space(test, GASPACE_FMT_NPT, 0, SZ_1G);
	u64 sz, bits[SZ_2M / SZ_4K / 64] = {};

	KUNIT_ASSERT_EQ(test, gaspace_map_alloc(as, 0, SZ_4M, RW,
						GASPACE_MAP_HUGE), 0);
	KUNIT_ASSERT_EQ(test, gaspace_dirty_log_enable(as, 0, SZ_4M), 0);
	KUNIT_EXPECT_EQ(test, gaspace_handle_fault(as, SZ_4K, R), 0);
	KUNIT_EXPECT_EQ(test, core_prot_at(as, SZ_4K, &sz), R);
	KUNIT_EXPECT_EQ(test, sz, (u64)SZ_4K);
	KUNIT_EXPECT_EQ(test, gaspace_handle_fault(as, SZ_2M, W), 0);
	KUNIT_EXPECT_EQ(test, core_prot_at(as, SZ_2M, &sz), RW);
	KUNIT_EXPECT_EQ(test, sz, (u64)SZ_4K);
	KUNIT_EXPECT_EQ(test, info(as).nr_data_pages, 2ULL);
	KUNIT_EXPECT_EQ(test, info(as).nr_demand_faults, 2ULL);
	KUNIT_EXPECT_EQ(test, info(as).nr_dirty_pages, 1ULL);
	/* UNMAP drops the bits of what it removes */
	KUNIT_ASSERT_EQ(test, gaspace_unmap(as, SZ_2M, SZ_4K), 0);
	KUNIT_EXPECT_EQ(test, info(as).nr_dirty_pages, 0ULL);
	KUNIT_EXPECT_EQ(test, gaspace_get_dirty_log(as, 0, SZ_2M, bits, 0),
			0);
	KUNIT_EXPECT_EQ(test, bits[0], 0ULL);
	KUNIT_EXPECT_EQ(test, gaspace_get_dirty_log(as, 0, SZ_4M, bits, 0),
			-ENOENT);
	/* PROTECT keeps the logging, and clean pages without W */
	KUNIT_ASSERT_EQ(test, gaspace_protect(as, 0, SZ_2M, R), 0);
	KUNIT_ASSERT_EQ(test, gaspace_protect(as, 0, SZ_2M, RW), 0);
	KUNIT_EXPECT_EQ(test, core_prot_at(as, SZ_4K, NULL), R);
	KUNIT_EXPECT_EQ(test, gaspace_handle_fault(as, SZ_4K, W), 0);
	KUNIT_EXPECT_EQ(test, info(as).nr_dirty_pages, 1ULL);
	gaspace_put(as);
}

/* The dirty-log calls' errors, each with the space unchanged. */
static void core_dirty_errors(struct kunit *test)
{
	struct gaspace *as = space(test, GASPACE_FMT_EPT, SZ_1M, SZ_1G);
	u64 bits = 0;

	KUNIT_ASSERT_EQ(test, gaspace_map_alloc(as, SZ_1M, SZ_1M, RW, 0), 0);
	KUNIT_EXPECT_EQ(test, gaspace_dirty_log_enable(as, SZ_1M, SZ_2M),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, gaspace_dirty_log_enable(as, SZ_1M, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, gaspace_dirty_log_enable(as, SZ_1M + 1, SZ_4K),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, gaspace_dirty_log_enable(as, 0, SZ_4K), -ERANGE);
	KUNIT_EXPECT_EQ(test, gaspace_dirty_log_disable(as, SZ_4M, SZ_4K),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, info(as).nr_areas, 1ULL);
	KUNIT_EXPECT_EQ(test, gaspace_get_dirty_log(as, SZ_1M, SZ_4K, &bits,
						    0), -ENOENT);
	KUNIT_ASSERT_EQ(test, gaspace_dirty_log_enable(as, SZ_1M, SZ_4K), 0);
	KUNIT_EXPECT_EQ(test, info(as).nr_areas, 2ULL);
	KUNIT_EXPECT_EQ(test, gaspace_get_dirty_log(as, SZ_1M, SZ_4K, &bits,
						    GASPACE_DIRTY_CLEAR |
						    GASPACE_DIRTY_SET),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, gaspace_get_dirty_log(as, SZ_1M, SZ_4K, &bits,
						    4), -EINVAL);
	KUNIT_EXPECT_EQ(test, gaspace_get_dirty_log(as, SZ_1M, SZ_8K, &bits,
						    0), -ENOENT);
	KUNIT_EXPECT_EQ(test, gaspace_get_dirty_log(as, SZ_1M, SZ_1G + SZ_4K, &bits,
						    0), -ERANGE);
	gaspace_put(as);
}

static struct kunit_case core_test_cases[] = {
	KUNIT_CASE(core_faults_overlap),
	KUNIT_CASE(core_faults_one_frame),
	KUNIT_CASE(core_touch_waits_for_its_page_without_pt_lock),
	KUNIT_CASE(core_linear_leaf_sizes),
	KUNIT_CASE(core_linear_split),
	KUNIT_CASE(core_protect_device),
	KUNIT_CASE(core_alloc_lazy_fault),
	KUNIT_CASE(core_alloc_populate),
	KUNIT_CASE(core_alloc_huge),
	KUNIT_CASE(core_prot_none),
	KUNIT_CASE(core_area_counts),
	KUNIT_CASE(core_errors),
	KUNIT_CASE(core_notifier),
	KUNIT_CASE_PARAM(core_dirty_log, core_formats_gen_params),
	KUNIT_CASE(core_dirty_lazy),
	KUNIT_CASE(core_dirty_errors),
	KUNIT_CASE(core_read_write),
	KUNIT_CASE(core_get_file),
	{}
};

static struct kunit_suite core_test_suite = {
	.name = "gaspace_core",
	.test_cases = core_test_cases,
};

kunit_test_suites(&core_test_suite);
