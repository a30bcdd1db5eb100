// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: userspace fault delivery (addrspace/userfault.c) through the
 * fault hook and FILL: one event per page however many wait, each way a
 * wait ends, and FILL's checks.  The userfault fd itself is exercised by
 * selftests/userfault_test.c; here it is opened and closed by the calls
 * its file makes.
 */
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/sizes.h>

#include "core_util.h"

/* A USERFAULT area [1 MiB, 2 MiB), an ordinary one [2 MiB, 3 MiB). */
#define UF_START	SZ_1M
#define UF_END		SZ_2M

static struct gaspace *uf_space(struct kunit *test)
{
	struct gaspace *as = space(test, GASPACE_FMT_NPT, 0, SZ_1G);

	KUNIT_ASSERT_EQ(test, gaspace_map_alloc(as, UF_START, UF_END - UF_START,
						RW, GASPACE_MAP_USERFAULT), 0);
	KUNIT_ASSERT_EQ(test, gaspace_map_alloc(as, SZ_2M, SZ_1M, RW, 0), 0);
	return as;
}

/* A fault of @gpa in a thread of its own. */
struct uf_faulter {
	struct gaspace *as;
	u64 gpa;
	u32 access;
	int ret;
	struct completion done;
};

static int uf_fault_fn(void *arg)
{
	struct uf_faulter *t = arg;

	t->ret = gaspace_handle_fault(t->as, t->gpa, t->access);
	complete(&t->done);
	return 0;
}

static void uf_fault_start(struct kunit *test, struct uf_faulter *t,
			   struct gaspace *as, u64 gpa, u32 access)
{
	struct task_struct *task;

	t->as = as;
	t->gpa = gpa;
	t->access = access;
	init_completion(&t->done);
	task = kthread_run(uf_fault_fn, t, "gaspace-uf");
	KUNIT_ASSERT_FALSE(test, IS_ERR(task));
}

static int uf_finish(struct uf_faulter *t)
{
	if (!wait_for_completion_timeout(&t->done, 30 * HZ))
		return -ETIMEDOUT;
	return t->ret;
}

/* Events pending on the fd. */
static unsigned int uf_pending(struct gaspace *as)
{
	struct list_head *pos;
	unsigned int n = 0;

	mutex_lock(&as->uf.lock);
	list_for_each(pos, &as->uf.events)
		n++;
	mutex_unlock(&as->uf.lock);
	return n;
}

/* Wait (30 s at most) until @n events are pending. */
static bool uf_wait_pending(struct gaspace *as, unsigned int n)
{
	int i;

	for (i = 0; i < 1500 && uf_pending(as) < n; i++)
		msleep(20);
	return uf_pending(as) == n;
}

/* Without the fd an access fails at once, raising nothing; FILL works. */
static void uf_no_fd(struct kunit *test)
{
	struct gaspace *as = uf_space(test);

	KUNIT_EXPECT_EQ(test, gaspace_handle_fault(as, UF_START + 8, R), -EIO);
	KUNIT_EXPECT_EQ(test, info(as).nr_userfaults, 0ULL);
	KUNIT_EXPECT_EQ(test, info(as).nr_data_pages, 0ULL);
	KUNIT_EXPECT_EQ(test, gaspace_fill(as, UF_START, SZ_4K, NULL), 0);
	KUNIT_EXPECT_EQ(test, gaspace_handle_fault(as, UF_START + 8, RW), 0);
	KUNIT_EXPECT_EQ(test, info(as).nr_data_pages, 1ULL);
	KUNIT_EXPECT_EQ(test, info(as).nr_demand_faults, 1ULL);
	/* the ordinary area beside it is populated as always */
	KUNIT_EXPECT_EQ(test, gaspace_handle_fault(as, SZ_2M, W), 0);
	gaspace_put(as);
}

#define UF_FAULTERS	8

/*
 * Faults on one page raise one event, wait for FILL and then find one
 * frame; the event stays pending until it is read.
 */
static void uf_one_event_one_frame(struct kunit *test)
{
	struct gaspace *as = uf_space(test);
	struct uf_faulter *t;
	int i;

	t = kunit_kcalloc(test, UF_FAULTERS, sizeof(*t), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	KUNIT_ASSERT_EQ(test, gaspace_userfault_open(as), 0);
	KUNIT_EXPECT_EQ(test, gaspace_userfault_open(as), -EBUSY);
	for (i = 0; i < UF_FAULTERS; i++)
		uf_fault_start(test, &t[i], as, UF_START + SZ_8K + i * 64,
			       i & 1 ? RW : R);
	KUNIT_EXPECT_TRUE(test, uf_wait_pending(as, 1));
	msleep(50);
	for (i = 0; i < UF_FAULTERS; i++)
		KUNIT_EXPECT_FALSE(test, completion_done(&t[i].done));
	KUNIT_EXPECT_EQ(test, info(as).nr_data_pages, 0ULL);
	KUNIT_EXPECT_EQ(test, gaspace_fill(as, UF_START + SZ_8K, SZ_4K, NULL),
			0);
	for (i = 0; i < UF_FAULTERS; i++)
		KUNIT_EXPECT_EQ(test, uf_finish(&t[i]), 0);
	KUNIT_EXPECT_EQ(test, info(as).nr_userfaults, 1ULL);
	KUNIT_EXPECT_EQ(test, info(as).nr_data_pages, 1ULL);
	KUNIT_EXPECT_EQ(test, info(as).nr_demand_faults, 1ULL);
	KUNIT_EXPECT_EQ(test, uf_pending(as), 1U);
	gaspace_userfault_close(as);
	KUNIT_EXPECT_EQ(test, uf_pending(as), 0U);
	gaspace_put(as);
}

/* UNMAP ends a wait with -ENOENT, the fd's close with -EIO. */
static void uf_wait_ends(struct kunit *test)
{
	struct gaspace *as = uf_space(test);
	struct uf_faulter a, b;

	KUNIT_ASSERT_EQ(test, gaspace_userfault_open(as), 0);
	uf_fault_start(test, &a, as, UF_START, W);
	uf_fault_start(test, &b, as, UF_END - SZ_4K, R);
	KUNIT_EXPECT_TRUE(test, uf_wait_pending(as, 2));
	KUNIT_EXPECT_EQ(test, gaspace_unmap(as, UF_START, SZ_64K), 0);
	KUNIT_EXPECT_EQ(test, uf_finish(&a), -ENOENT);
	msleep(50);
	KUNIT_EXPECT_FALSE(test, completion_done(&b.done));
	gaspace_userfault_close(as);
	KUNIT_EXPECT_EQ(test, uf_finish(&b), -EIO);
	KUNIT_EXPECT_EQ(test, info(as).nr_userfaults, 2ULL);
	KUNIT_EXPECT_EQ(test, info(as).nr_data_pages, 0ULL);
	gaspace_put(as);
}

/* FILL's checks, in order, each leaving the space as it was. */
static void uf_fill_errors(struct kunit *test)
{
	struct gaspace *as = uf_space(test);
	static u8 kbuf[SZ_4K];
	struct gaspace_info before;

	KUNIT_ASSERT_EQ(test, gaspace_fill(as, UF_START + SZ_64K, SZ_4K, NULL),
			0);
	before = info(as);
	KUNIT_EXPECT_EQ(test, gaspace_fill(as, UF_START, 0, NULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, gaspace_fill(as, UF_START + 1, SZ_4K, NULL),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, gaspace_fill(as, UF_START, SZ_4K + 1, NULL),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, gaspace_fill(as, UF_START, -SZ_4K, NULL),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, gaspace_fill(as, SZ_1G, SZ_4K, NULL), -ERANGE);
	/* a hole comes before the wrong kind of area */
	KUNIT_EXPECT_EQ(test, gaspace_fill(as, 0, UF_START + SZ_4K, NULL),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, gaspace_fill(as, SZ_2M + SZ_1M - SZ_4K, SZ_8K,
					   NULL), -ENOENT);
	KUNIT_EXPECT_EQ(test, gaspace_fill(as, SZ_2M, SZ_4K, NULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, gaspace_fill(as, UF_END - SZ_4K, SZ_8K, NULL),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, gaspace_fill(as, UF_START, SZ_1M, NULL), -EEXIST);
	/* a kernel address is no user memory */
	KUNIT_EXPECT_EQ(test, gaspace_fill(as, UF_START, SZ_4K,
					   (void __user *)kbuf), -EFAULT);
	KUNIT_EXPECT_EQ(test, info(as).nr_data_pages, before.nr_data_pages);
	KUNIT_EXPECT_EQ(test, info(as).nr_table_pages, before.nr_table_pages);
	KUNIT_EXPECT_EQ(test, info(as).mapped_bytes, before.mapped_bytes);
	KUNIT_EXPECT_EQ(test, info(as).nr_demand_faults,
			before.nr_demand_faults);
	/* the rest of the area, around the present page, in two FILLs */
	KUNIT_EXPECT_EQ(test, gaspace_fill(as, UF_START, SZ_64K, NULL), 0);
	KUNIT_EXPECT_EQ(test, gaspace_fill(as, UF_START + SZ_64K + SZ_4K,
					   UF_END - UF_START - SZ_64K - SZ_4K,
					   NULL), 0);
	KUNIT_EXPECT_EQ(test, info(as).nr_data_pages, 256ULL);
	KUNIT_EXPECT_EQ(test, info(as).mapped_bytes, (u64)SZ_1M);
	gaspace_put(as);
}

/* MAP's rules of the flag; FILL in a logged area marks the pages. */
static void uf_map_and_log(struct kunit *test)
{
	struct gaspace *as = uf_space(test);

	KUNIT_EXPECT_EQ(test, gaspace_map_alloc(as, SZ_4M, SZ_4M, RW,
						GASPACE_MAP_USERFAULT |
						GASPACE_MAP_POPULATE), -EINVAL);
	KUNIT_EXPECT_EQ(test, gaspace_map_alloc(as, SZ_4M, SZ_4M, RW,
						GASPACE_MAP_USERFAULT |
						GASPACE_MAP_HUGE), -EINVAL);
	KUNIT_EXPECT_EQ(test, gaspace_map_linear(as, SZ_4M, HPA, SZ_4M, RW,
						 GASPACE_MAP_USERFAULT),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, info(as).nr_areas, 2ULL);
	KUNIT_ASSERT_EQ(test, gaspace_dirty_log_enable(as, UF_START, SZ_64K),
			0);
	KUNIT_EXPECT_EQ(test, gaspace_fill(as, UF_START + SZ_4K, SZ_8K, NULL),
			0);
	KUNIT_EXPECT_EQ(test, info(as).nr_dirty_pages, 2ULL);
	/* the area split by ENABLE is still USERFAULT on both sides */
	KUNIT_EXPECT_EQ(test, gaspace_handle_fault(as, UF_START + SZ_1M / 2, R),
			-EIO);
	gaspace_put(as);
}

static struct kunit_case userfault_test_cases[] = {
	KUNIT_CASE(uf_no_fd),
	KUNIT_CASE(uf_one_event_one_frame),
	KUNIT_CASE(uf_wait_ends),
	KUNIT_CASE(uf_fill_errors),
	KUNIT_CASE(uf_map_and_log),
	{}
};

static struct kunit_suite userfault_test_suite = {
	.name = "gaspace_userfault",
	.test_cases = userfault_test_cases,
};

kunit_test_suites(&userfault_test_suite);
