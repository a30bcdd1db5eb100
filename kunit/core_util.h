/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KUnit helpers of the suites that drive the address space (core_test.c,
 * userfault_test.c).
 */
#ifndef _GASPACE_KUNIT_CORE_UTIL_H
#define _GASPACE_KUNIT_CORE_UTIL_H

#include <kunit/test.h>
#include <linux/err.h>
#include <linux/gaspace.h>

#include "addrspace/internal.h"

#define R	GASPACE_PROT_READ
#define W	GASPACE_PROT_WRITE
#define X	GASPACE_PROT_EXEC
#define RW	(R | W)
#define RWX	(R | W | X)

/* Host addresses for linear maps: never touched, only written in leaves. */
#define HPA	(16ULL << 30)

static inline struct gaspace *space(struct kunit *test, u32 format, u64 base,
				    u64 size)
{
	struct gaspace *as = gaspace_create(format, 0, base, size);

	KUNIT_ASSERT_FALSE(test, IS_ERR(as));
	return as;
}

static inline struct gaspace_info info(struct gaspace *as)
{
	struct gaspace_info i;

	gaspace_get_info(as, &i);
	return i;
}

#endif /* _GASPACE_KUNIT_CORE_UTIL_H */
