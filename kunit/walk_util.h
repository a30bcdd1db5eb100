/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the npt/ KUnit suites (formats and walker).
 */
#ifndef _GASPACE_KUNIT_WALK_UTIL_H
#define _GASPACE_KUNIT_WALK_UTIL_H

#include <kunit/test.h>

#include "npt/pgtable.h"

/* How a format reads a leaf back (gpt_test_check_leaves()). */
#define GPT_TEST_X_READS	BIT(0)	/* every present leaf reads (NPT) */
#define GPT_TEST_NO_DEVICE	BIT(1)	/* device leaves are RAM leaves */

#define GPT_TEST_NR_PROTS	6
extern const u32 gpt_test_prots[GPT_TEST_NR_PROTS];

u32 gpt_test_read_prot(u32 prot, u32 quirks);
bool gpt_test_decode(const struct gpt_fmt *fmt, u64 pte, u32 level,
		     phys_addr_t *pa, u32 *prot, bool *leaf);
void gpt_test_check_leaves(struct kunit *test, const struct gpt_fmt *fmt,
			   const u64 golden[3][GPT_TEST_NR_PROTS][2],
			   phys_addr_t golden_pa, u32 quirks);
void gpt_test_check_table(struct kunit *test, const struct gpt_fmt *fmt,
			  phys_addr_t pa, u64 expect);

/**
 * struct gpt_test_root - geometry and root values at one width
 * @ask: gpa_bits asked (0 = default)
 * @bits: gpa_bits in effect
 * @levels: levels walked
 * @pages: 4 KiB pages in the root
 * @root_pa: root address to compute the values with
 * @ptr: root_pointer value
 * @cfg: walk_config value
 */
struct gpt_test_root {
	u32 ask, bits, levels, pages;
	u64 root_pa, ptr, cfg;
};

void gpt_test_check_roots(struct kunit *test, u32 format,
			  const struct gpt_test_root *cases, unsigned int nr,
			  const u32 *bad, unsigned int nr_bad);

/**
 * struct gpt_test_env - a table with counting, failing mm_ops
 * @test: the running test
 * @pt: the table
 * @live: pages allocated and not freed (root included)
 * @nr_allocs: allocations asked for so far
 * @fail_at: the allocation with this number fails; -1 for none
 * @nr_inval: invalidate callbacks so far
 * @nr_inval_empty: invalidate callbacks that found no leaf at their gpa
 * @count_in_inval: check nr_table_pages against the tables linked in at
 *	each invalidate callback
 * @bad_count: invalidate callbacks where they differed
 * @nr_sync: sync_leaf callbacks so far
 * @sync_bytes: bytes they covered
 * @sync_prot: prot of the last one
 * @sync_pa: host address of the last one
 */
struct gpt_test_env {
	struct kunit *test;
	struct gpt pt;
	long live;
	long nr_allocs;
	long fail_at;
	long nr_inval;
	long nr_inval_empty;
	bool count_in_inval;
	long bad_count;
	long nr_sync;
	u64 sync_bytes;
	u32 sync_prot;
	phys_addr_t sync_pa;
};

int gpt_test_env_init(struct kunit *test, struct gpt_test_env *env,
		      u32 format, u32 gpa_bits);
void gpt_test_env_fini(struct gpt_test_env *env);
u64 gpt_test_hash(struct kunit *test, const struct gpt *pt);
u64 gpt_test_scan(struct kunit *test, const struct gpt *pt, u64 *nr_tables);
int gpt_test_map(struct gpt *pt, u64 gpa, u64 size, phys_addr_t hpa,
		 u32 prot, u32 flags);
int gpt_test_map_src(struct gpt *pt, u64 gpa, u64 size, u32 prot, u32 flags,
		     const struct gpt_pa_src *src, void *arg);
int gpt_test_unmap(struct gpt *pt, u64 gpa, u64 size, gpt_leaf_fn removed,
		   void *arg);
int gpt_test_protect(struct gpt *pt, u64 gpa, u64 size, u32 prot);
long gpt_test_wrprotect(struct gpt *pt, u64 gpa, u64 size, bool split);

#endif
