// SPDX-License-Identifier: GPL-2.0
/*
 * reference_test: the scenarios and hazards of the Rust crate axaddrspace
 * (ArceOS's hypervisor address spaces, the design gaspace started from),
 * through the uAPI.
 *
 * The space [0x10000, 0x20000) of its tests: creation, range edges, the
 * linear map 0x18000 -> 0x10000 x 0x8000 and its translations, two
 * populated pages on distinct frames, a lazy page that TRANSLATE does not
 * find until FAULT(READ) populates it, UNMAP freeing it all, TRANSLATE in
 * and out of range, limit = bytes left; memory_set's 16 one-page areas,
 * overlap -> -EEXIST and its protect splits (8 -> 23 -> 39 areas, on
 * page-aligned ranges); page_table_multiarch's random map/unmap run that
 * leaves no table page behind; RISC-V x4 root quadrants that do not alias.
 * Hazards as regression tests: gpa + size overflow (1), hpa above gpa (2),
 * a fault on a populated page (5), limit (7), the width check (9), table
 * reclaim (10).  Partial unmap of linear blocks (3) is in unmap_test.
 */
#include "gaspace_util.h"
#include "kselftest_harness.h"

#define RBASE		0x10000ULL
#define RSIZE		0x10000ULL

FIXTURE(ref) {
	struct gas_space s;
	struct gas_param linear_ram;
};

FIXTURE_VARIANT(ref) {
	unsigned int format;
	unsigned int bits;
};

FIXTURE_VARIANT_ADD(ref, ept) GAS_GEOMETRY(EPT, 48);
FIXTURE_VARIANT_ADD(ref, npt_5level) GAS_GEOMETRY(NPT, 57);
FIXTURE_VARIANT_ADD(ref, arm64_s2) GAS_GEOMETRY(ARM64_S2, 40);
/* two levels: no 1 GiB block */
FIXTURE_VARIANT_ADD(ref, arm64_s2_32) GAS_GEOMETRY(ARM64_S2, 32);
FIXTURE_VARIANT_ADD(ref, riscv_g) GAS_GEOMETRY(RISCV_G, 41);
FIXTURE_VARIANT_ADD(ref, riscv_g_sv48x4) GAS_GEOMETRY(RISCV_G, 50);

FIXTURE_SETUP(ref)
{
	ASSERT_EQ(0, gas_space_open(&self->s, variant->format, variant->bits,
				    RBASE, RSIZE));
	ASSERT_EQ(0, gas_param_save(&self->linear_ram,
				    GASPACE_PARAM("linear_ram")));
}

FIXTURE_TEARDOWN(ref)
{
	gas_param_restore(&self->linear_ram);
	gas_space_close(&self->s);
}

/* One table page per level below the root, for pages in one 2 MiB. */
#define ONE_PATH()	(self->s.root_pages + self->s.levels - 1)

TEST_F(ref, creation)
{
	EXPECT_COUNTERS(self->s.fd, 0, self->s.root_pages, 0, 0);
}

TEST_F(ref, range_edges)
{
	int fd = self->s.fd;

	EXPECT_EQ(-ERANGE, gas_map_alloc(fd, RBASE - PAGE_4K, PAGE_4K,
					 GAS_PROT_RW, 0));
	EXPECT_EQ(-ERANGE, gas_map_alloc(fd, RBASE + RSIZE, PAGE_4K,
					 GAS_PROT_RW, 0));
	EXPECT_EQ(-ERANGE, gas_map_alloc(fd, RBASE, RSIZE + PAGE_4K,
					 GAS_PROT_RW, 0));
	EXPECT_EQ(0, gas_map_alloc(fd, RBASE + RSIZE - PAGE_4K, PAGE_4K,
				   GAS_PROT_RW, 0));
	EXPECT_EQ(0, gas_map_alloc(fd, RBASE, RSIZE - PAGE_4K, GAS_PROT_RW,
				   0));
	EXPECT_COUNTERS(fd, 2, self->s.root_pages, 0, 0);
}

/* map_linear 0x18000 -> 0x10000 x 0x8000 (low RAM on a PC: linear_ram). */
TEST_F(ref, linear_and_translate)
{
	struct gaspace_translation t;
	int fd = self->s.fd;

	ASSERT_EQ(0, gas_write_string(GASPACE_PARAM("linear_ram"), "1"));
	ASSERT_EQ(0, gas_map_linear(fd, 0x18000, 0x8000, 0x10000,
				    GAS_PROT_RWX, 0));
	EXPECT_COUNTERS(fd, 1, ONE_PATH(), 0, 0x8000);
	ASSERT_EQ(0, gas_translate(fd, 0x18000, &t));
	EXPECT_EQ(0x10000ULL, t.hpa);
	EXPECT_EQ(0x8000ULL, t.limit);
	EXPECT_EQ(PAGE_4K, t.page_size);
	ASSERT_EQ(0, gas_translate(fd, 0x19234, &t));
	EXPECT_EQ(0x11234ULL, t.hpa);
	EXPECT_EQ(0x6dccULL, t.limit);
	ASSERT_EQ(0, gas_translate(fd, 0x1ffff, &t));
	EXPECT_EQ(0x17fffULL, t.hpa);
	EXPECT_EQ(1ULL, t.limit);
	EXPECT_EQ(-ENOENT, gas_translate(fd, 0x17fff, &t));

	/* hazard 2: hpa above gpa */
	ASSERT_EQ(0, gas_map_linear(fd, 0x10000, 0x8000, 0x18000, GAS_PROT_R,
				    0));
	ASSERT_EQ(0, gas_translate(fd, 0x10010, &t));
	EXPECT_EQ(0x18010ULL, t.hpa);
	EXPECT_EQ(0x7ff0ULL, t.limit);
	EXPECT_COUNTERS(fd, 2, ONE_PATH(), 0, 0x10000);
}

/* alloc populate: two pages, two frames; lazy until FAULT; UNMAP frees. */
TEST_F(ref, alloc_populate_lazy_fault_unmap)
{
	struct gaspace_translation t;
	int fd = self->s.fd;
	__u64 a, b, c;

	ASSERT_EQ(0, gas_map_alloc(fd, RBASE, 2 * PAGE_4K, GAS_PROT_RW,
				   GASPACE_MAP_POPULATE));
	ASSERT_EQ(0, gas_translate(fd, RBASE, &t));
	a = t.hpa;
	ASSERT_EQ(0, gas_translate(fd, RBASE + PAGE_4K, &t));
	b = t.hpa;
	EXPECT_NE(a, b);
	EXPECT_NE(0ULL, a);
	EXPECT_COUNTERS(fd, 1, ONE_PATH(), 2, 2 * PAGE_4K);

	ASSERT_EQ(0, gas_map_alloc(fd, RBASE + 0x4000, 0x4000, GAS_PROT_RW,
				   0));
	EXPECT_EQ(-ENOENT, gas_translate(fd, RBASE + 0x4000, &t));
	ASSERT_EQ(0, gas_fault(fd, RBASE + 0x4000, GASPACE_PROT_READ));
	ASSERT_EQ(0, gas_translate(fd, RBASE + 0x4000, &t));
	c = t.hpa;
	EXPECT_NE(a, c);
	EXPECT_NE(b, c);
	EXPECT_EQ(0x4000ULL, t.limit);
	EXPECT_COUNTERS(fd, 2, ONE_PATH(), 3, 3 * PAGE_4K);

	/* hazard 5: a fault on a populated page keeps its frame */
	ASSERT_EQ(0, gas_fault(fd, RBASE + 0x4abc, GASPACE_PROT_WRITE));
	ASSERT_EQ(0, gas_fault(fd, RBASE + PAGE_4K, GASPACE_PROT_WRITE));
	ASSERT_EQ(0, gas_translate(fd, RBASE + 0x4000, &t));
	EXPECT_EQ(c, t.hpa);
	ASSERT_EQ(0, gas_translate(fd, RBASE + PAGE_4K, &t));
	EXPECT_EQ(b, t.hpa);
	EXPECT_COUNTERS(fd, 2, ONE_PATH(), 3, 3 * PAGE_4K);

	/* hazard 10: unmap frees frames and every table below the root */
	ASSERT_EQ(0, gas_unmap(fd, RBASE, RSIZE));
	EXPECT_COUNTERS(fd, 0, self->s.root_pages, 0, 0);
	EXPECT_EQ(-ENOENT, gas_translate(fd, RBASE, &t));
}

TEST_F(ref, translate_in_and_out_of_range)
{
	struct gaspace_translation t;
	int fd = self->s.fd;

	ASSERT_EQ(0, gas_map_alloc(fd, RBASE, RSIZE, GAS_PROT_R,
				   GASPACE_MAP_POPULATE));
	EXPECT_EQ(-ERANGE, gas_translate(fd, RBASE - 1, &t));
	EXPECT_EQ(-ERANGE, gas_translate(fd, 0, &t));
	EXPECT_EQ(-ERANGE, gas_translate(fd, RBASE + RSIZE, &t));
	EXPECT_EQ(0, gas_translate(fd, RBASE, &t));
	EXPECT_EQ(RSIZE, t.limit);
	EXPECT_EQ(0, gas_translate(fd, RBASE + RSIZE - 1, &t));
	/* hazard 7: bytes left, not the area's size */
	EXPECT_EQ(1ULL, t.limit);
	EXPECT_EQ(0, gas_translate(fd, RBASE + 0x8000, &t));
	EXPECT_EQ(0x8000ULL, t.limit);
}

/* Hazard 1: no wrap of gpa + size, in any call. */
TEST_F(ref, gpa_size_overflow)
{
	int fd = self->s.fd;

	EXPECT_EQ(-EINVAL, gas_map_alloc(fd, RBASE, ~0xfffULL, GAS_PROT_R,
					 0));
	EXPECT_EQ(-EINVAL, gas_map_linear(fd, RBASE, -RBASE, 0x100000000ULL,
					  GAS_PROT_R, 0));
	EXPECT_EQ(-EINVAL, gas_unmap(fd, RBASE + PAGE_4K, -RBASE));
	EXPECT_EQ(-EINVAL, gas_protect(fd, RBASE + PAGE_4K, -RBASE,
				       GAS_PROT_R));
	EXPECT_COUNTERS(fd, 0, self->s.root_pages, 0, 0);
}

/* memory_set: 16 one-page areas, overlaps, splits. */
TEST_F(ref, sixteen_one_page_areas)
{
	int fd = self->s.fd;
	__u64 i;

	for (i = 0; i < 16; i++) {
		ASSERT_EQ(0, gas_map_alloc(fd, RBASE + i * PAGE_4K, PAGE_4K,
					   GAS_PROT_RW, GASPACE_MAP_POPULATE));
	}
	EXPECT_COUNTERS(fd, 16, ONE_PATH(), 16, RSIZE);
	for (i = 0; i < 16; i++) {
		EXPECT_EQ(-EEXIST, gas_map_alloc(fd, RBASE + i * PAGE_4K,
						 PAGE_4K, GAS_PROT_R, 0));
		EXPECT_EQ(-EEXIST, gas_map_alloc(fd, RBASE, (i + 1) * PAGE_4K,
						 GAS_PROT_R, 0));
	}
	/* unmap every other page: 8 areas; then half of the rest */
	for (i = 0; i < 16; i += 2) {
		ASSERT_EQ(0, gas_unmap(fd, RBASE + i * PAGE_4K, PAGE_4K))
			TH_LOG("page %llu", i);
	}
	EXPECT_COUNTERS(fd, 8, ONE_PATH(), 8, RSIZE / 2);
	ASSERT_EQ(0, gas_unmap(fd, RBASE, RSIZE / 2));
	EXPECT_COUNTERS(fd, 4, ONE_PATH(), 4, RSIZE / 4);
	/* the holes can be mapped again; one REPLACE over all of it */
	ASSERT_EQ(0, gas_map_alloc(fd, RBASE, PAGE_4K, GAS_PROT_R, 0));
	ASSERT_EQ(0, gas_map_alloc(fd, RBASE, RSIZE, GAS_PROT_R,
				   GASPACE_MAP_REPLACE | GASPACE_MAP_POPULATE));
	EXPECT_COUNTERS(fd, 1, ONE_PATH(), 16, RSIZE);
}

/*
 * memory_set's protect test on pages: 8 areas of 16 pages, 32 pages apart;
 * protecting the last 4 pages of each and the first 4 of the next (the
 * reference protects across the hole, which PROTECT refuses: two calls)
 * gives 23 areas, then a page in the middle of each gives 39.
 */
TEST(protect_splits_8_23_39)
{
	struct gas_space s;
	__u64 i, area = 16 * PAGE_4K, stride = 32 * PAGE_4K;
	int fd;

	ASSERT_EQ(0, gas_space_open(&s, GASPACE_FMT_EPT, 0, 0,
				    8 * stride));
	fd = s.fd;
	for (i = 0; i < 8; i++) {
		ASSERT_EQ(0, gas_map_alloc(fd, i * stride, area, GAS_PROT_RWX,
					   0));
	}
	EXPECT_COUNTERS(fd, 8, s.root_pages, 0, 0);
	for (i = 0; i < 8; i++) {
		/* across the hole, as the reference does (past the end: -ERANGE) */
		EXPECT_EQ(i + 1 < 8 ? -ENOENT : -ERANGE,
			  gas_protect(fd, i * stride + 12 * PAGE_4K,
				      24 * PAGE_4K, GAS_PROT_R));
		ASSERT_EQ(0, gas_protect(fd, i * stride + 12 * PAGE_4K,
					 4 * PAGE_4K, GAS_PROT_R));
		if (i + 1 < 8) {
			ASSERT_EQ(0, gas_protect(fd, (i + 1) * stride,
						 4 * PAGE_4K, GAS_PROT_R));
		}
	}
	EXPECT_COUNTERS(fd, 23, s.root_pages, 0, 0);
	for (i = 0; i < 8; i++) {
		ASSERT_EQ(0, gas_protect(fd, i * stride + 8 * PAGE_4K,
					 PAGE_4K, GAS_PROT_RW))
			TH_LOG("area %llu", i);
	}
	EXPECT_COUNTERS(fd, 39, s.root_pages, 0, 0);
	gas_space_close(&s);
}

/*
 * Hazard 9 and RISC-V x4: a space as wide as the format allows; pages in
 * four different root entries (the x4 root's quadrants) do not alias; the
 * last page is inside, 1 << gpa_bits is not.
 */
TEST_F(ref, full_width_roots_do_not_alias)
{
	struct gaspace_translation t;
	__u64 top = BIT_ULL(self->s.bits), hpa[5];
	struct gas_run runs[5];
	struct gas_space w;
	__u64 gpa[5];
	int i, j, nr = 0;

	ASSERT_EQ(0, gas_space_open(&w, self->s.format, self->s.bits, 0,
				    top));
	for (i = 0; i < 4; i++)
		gpa[i] = i * (top / 4) + i * PAGE_4K;
	gpa[4] = top - PAGE_4K;
	for (i = 0; i < 5; i++) {
		ASSERT_EQ(0, gas_map_alloc(w.fd, gpa[i], PAGE_4K, GAS_PROT_RW,
					   GASPACE_MAP_POPULATE))
			TH_LOG("gpa %#llx", gpa[i]);
		nr = gas_add_run(runs, nr, 5, gpa[i], PAGE_4K, 0);
	}
	for (i = 0; i < 5; i++) {
		ASSERT_EQ(0, gas_translate(w.fd, gpa[i] + 8, &t));
		hpa[i] = t.hpa;
		for (j = 0; j < i; j++) {
			EXPECT_NE(hpa[j], hpa[i])
				TH_LOG("gpa %#llx and %#llx alias", gpa[j],
				       gpa[i]);
		}
	}
	/* five root entries, five paths of tables */
	EXPECT_COUNTERS(w.fd, 5, w.root_pages + 5 * (w.levels - 1), 5,
			5 * PAGE_4K);
	EXPECT_EQ(w.root_pages + 5 * (w.levels - 1),
		  gas_tables_for(w.levels, w.root_pages, runs, nr));
	EXPECT_EQ(-ERANGE, gas_translate(w.fd, top, &t));
	EXPECT_EQ(-ERANGE, gas_map_alloc(w.fd, top, PAGE_4K, GAS_PROT_R, 0));
	EXPECT_EQ(-ERANGE, gas_fault(w.fd, top, GAS_PROT_R));
	ASSERT_EQ(0, gas_unmap(w.fd, 0, top));
	EXPECT_COUNTERS(w.fd, 0, w.root_pages, 0, 0);
	gas_space_close(&w);
}

/*
 * page_table_multiarch: random map/unmap of populated pages over 4 MiB,
 * the counters checked against a shadow after every call; nothing is
 * left but the root after the last unmap.
 */
TEST_F(ref, random_map_unmap)
{
	enum { PAGES = 1024, OPS = 400 };
	static unsigned short id[PAGES];
	unsigned int seed = 1, op, next = 1;
	struct gas_space w;
	int fd;

	ASSERT_EQ(0, gas_space_open(&w, self->s.format, self->s.bits, 0,
				    PAGES * PAGE_4K));
	fd = w.fd;
	memset(id, 0, sizeof(id));
	for (op = 0; op < OPS; op++) {
		unsigned int a = rand_r(&seed) % PAGES;
		unsigned int n = 1 + rand_r(&seed) % 16, i, areas = 0;
		unsigned int data = 0, spans = 0;
		bool map = rand_r(&seed) % 3, replace = rand_r(&seed) & 1;
		bool busy = false;
		int ret, want;

		if (a + n > PAGES)
			n = PAGES - a;
		for (i = a; i < a + n; i++)
			busy |= id[i] != 0;
		if (map) {
			ret = gas_map_alloc(fd, a * PAGE_4K, n * PAGE_4K,
					    GAS_PROT_RW, GASPACE_MAP_POPULATE |
					    (replace ? GASPACE_MAP_REPLACE :
					     0));
			want = busy && !replace ? -EEXIST : 0;
			if (!want) {
				for (i = a; i < a + n; i++)
					id[i] = next;
				next++;
			}
		} else {
			ret = gas_unmap(fd, a * PAGE_4K, n * PAGE_4K);
			want = 0;
			for (i = a; i < a + n; i++)
				id[i] = 0;
		}
		ASSERT_EQ(want, ret) TH_LOG("op %u", op);
		for (i = 0; i < PAGES; i++) {
			data += id[i] != 0;
			areas += id[i] && (!i || id[i - 1] != id[i]);
		}
		for (i = 0; i < PAGES; i += 512) {
			unsigned int k;

			for (k = i; k < i + 512 && !id[k]; k++)
				;
			spans += k < i + 512;
		}
		EXPECT_COUNTERS(fd, areas, w.root_pages + spans +
				(spans && w.levels > 2 ? w.levels - 2 : 0),
				data, data * PAGE_4K);
		if (_metadata->passed == 0)
			break;
	}
	ASSERT_EQ(0, gas_unmap(fd, 0, PAGES * PAGE_4K));
	EXPECT_COUNTERS(fd, 0, w.root_pages, 0, 0);
	gas_space_close(&w);
}

TEST_HARNESS_MAIN
