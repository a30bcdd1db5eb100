// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the user backend's own rules, which need no VMM: the leaf level a
 * run of pinned pages allows (physically contiguous and aligned as the
 * gpa), and the RLIMIT_MEMLOCK account pins are charged to.
 * selftests/user_test.c pins real memory through MAP_USER.
 */
#include <kunit/test.h>
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/user.h>
#include <linux/sizes.h>
#include <linux/vmalloc.h>

#include "core_util.h"

#define PAGES_2M	(SZ_2M >> PAGE_SHIFT)
#define PAGES_1G	(SZ_1G >> PAGE_SHIFT)

/* @nr frame numbers from @first on, one after another. */
static unsigned long *user_run(struct kunit *test, u64 nr, unsigned long first)
{
	unsigned long *pfns = kunit_kmalloc_array(test, nr, sizeof(*pfns),
						  GFP_KERNEL);
	u64 i;

	KUNIT_ASSERT_NOT_NULL(test, pfns);
	for (i = 0; i < nr; i++)
		pfns[i] = first + i;
	return pfns;
}

/* A 2 MiB run aligned to 2 MiB is one block; 4 KiB without the room. */
static void user_level_2m(struct kunit *test)
{
	unsigned long *pfns = user_run(test, PAGES_2M, 7 * PAGES_2M);

	KUNIT_EXPECT_EQ(test, gaspace_user_run_level(pfns, PAGES_2M, 1), 1u);
	KUNIT_EXPECT_EQ(test, gaspace_user_run_level(pfns, PAGES_2M, 2), 1u);
	KUNIT_EXPECT_EQ(test, gaspace_user_run_level(pfns, PAGES_2M, 0), 0u);
	KUNIT_EXPECT_EQ(test, gaspace_user_run_level(pfns, PAGES_2M - 1, 1),
			0u);
}

/* Contiguous but not aligned as the block: 4 KiB leaves. */
static void user_level_unaligned(struct kunit *test)
{
	unsigned long *pfns = user_run(test, PAGES_2M, 7 * PAGES_2M + 1);

	KUNIT_EXPECT_EQ(test, gaspace_user_run_level(pfns, PAGES_2M, 1), 0u);
}

/* One page out of place, the last one included, breaks the block. */
static void user_level_gap(struct kunit *test)
{
	unsigned long *pfns = user_run(test, PAGES_2M, 3 * PAGES_2M);

	pfns[PAGES_2M - 1] += 1;
	KUNIT_EXPECT_EQ(test, gaspace_user_run_level(pfns, PAGES_2M, 1), 0u);
	pfns[PAGES_2M - 1] -= 1;
	pfns[PAGES_2M / 2] = 0;
	KUNIT_EXPECT_EQ(test, gaspace_user_run_level(pfns, PAGES_2M, 1), 0u);
}

/*
 * 1 GiB contiguous and aligned: one 1 GiB block; aligned to 2 MiB only:
 * 2 MiB blocks; the level asked for caps it.
 */
static void user_level_1g(struct kunit *test)
{
	unsigned long *pfns = vmalloc(PAGES_1G * sizeof(*pfns));
	u64 i;

	KUNIT_ASSERT_NOT_NULL(test, pfns);
	for (i = 0; i < PAGES_1G; i++)
		pfns[i] = 2 * PAGES_1G + i;
	KUNIT_EXPECT_EQ(test, gaspace_user_run_level(pfns, PAGES_1G, 2), 2u);
	KUNIT_EXPECT_EQ(test, gaspace_user_run_level(pfns, PAGES_1G, 1), 1u);
	for (i = 0; i < PAGES_1G; i++)
		pfns[i] += PAGES_2M;
	KUNIT_EXPECT_EQ(test, gaspace_user_run_level(pfns, PAGES_1G, 2), 1u);
	vfree(pfns);
}

/* Charges add to the user's locked count and uncharges take them back. */
static void user_charge_balance(struct kunit *test)
{
	struct user_struct *user = current_user();
	long before = gaspace_user_locked(user);

	KUNIT_ASSERT_EQ(test, gaspace_user_charge(user, 10), 0);
	KUNIT_ASSERT_EQ(test, gaspace_user_charge(user, 5), 0);
	KUNIT_EXPECT_EQ(test, gaspace_user_locked(user), before + 15);
	gaspace_user_uncharge(user->uid, 10);
	KUNIT_EXPECT_EQ(test, gaspace_user_locked(user), before + 5);
	gaspace_user_uncharge(user->uid, 5);
	KUNIT_EXPECT_EQ(test, gaspace_user_locked(user), before);
}

/*
 * Without CAP_IPC_LOCK, a charge past RLIMIT_MEMLOCK fails and charges
 * nothing; one within it works.  With CAP_IPC_LOCK the limit does not
 * apply (the pages are still counted).
 */
static void user_charge_limit(struct kunit *test)
{
	struct rlimit *rl = &current->signal->rlim[RLIMIT_MEMLOCK];
	struct user_struct *user = current_user();
	long before = gaspace_user_locked(user);
	struct rlimit saved = *rl;
	const struct cred *old;
	struct cred *cred;

	cred = prepare_creds();
	KUNIT_ASSERT_NOT_NULL(test, cred);
	cap_lower(cred->cap_effective, CAP_IPC_LOCK);
	rl->rlim_cur = (before + 4) << PAGE_SHIFT;

	/* with CAP_IPC_LOCK */
	KUNIT_EXPECT_EQ(test, gaspace_user_charge(user, 8), 0);
	gaspace_user_uncharge(user->uid, 8);

	old = override_creds(cred);
	KUNIT_EXPECT_EQ(test, gaspace_user_charge(user, 5), -ENOMEM);
	KUNIT_EXPECT_EQ(test, gaspace_user_locked(user), before);
	KUNIT_EXPECT_EQ(test, gaspace_user_charge(user, 4), 0);
	KUNIT_EXPECT_EQ(test, gaspace_user_charge(user, 1), -ENOMEM);
	KUNIT_EXPECT_EQ(test, gaspace_user_locked(user), before + 4);
	gaspace_user_uncharge(user->uid, 4);
	revert_creds(old);
	put_cred(cred);
	*rl = saved;
	KUNIT_EXPECT_EQ(test, gaspace_user_locked(user), before);
}

static struct kunit_case user_test_cases[] = {
	KUNIT_CASE(user_level_2m),
	KUNIT_CASE(user_level_unaligned),
	KUNIT_CASE(user_level_gap),
	KUNIT_CASE(user_level_1g),
	KUNIT_CASE(user_charge_balance),
	KUNIT_CASE(user_charge_limit),
	{}
};

static struct kunit_suite user_test_suite = {
	.name = "gaspace_user",
	.test_cases = user_test_cases,
};

kunit_test_suites(&user_test_suite);
MODULE_IMPORT_NS(GASPACE_INTERNAL);
