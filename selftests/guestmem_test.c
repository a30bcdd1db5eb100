// SPDX-License-Identifier: GPL-2.0
/*
 * guestmem_test: pread/pwrite at offset = gpa (Documentation/gaspace.rst 6
 * "Guest memory: pread and pwrite", 3, 10).
 *
 * A never-faulted page reads as zeros and allocates nothing; a write
 * populates; the guest prot does not apply (prot 0 included); a transfer
 * stops at the first byte outside an alloc area (a short count, -ENXIO
 * when that is its first byte: a hole, a linear area, outside the space);
 * transfers are exact across page, area and 2 MiB-frame boundaries, large
 * ones and vectored ones included; a pwrite from a partly unmapped buffer
 * changes no guest byte past the count it returns; a buffer that is an
 * mmap of the same space works; threads that pread and pwrite while
 * another maps and unmaps never see a stale byte and the counters end
 * exact.  Each case runs for every format.
 */
#include <poll.h>
#include <pthread.h>
#include <linux/userfaultfd.h>

#include "gaspace_util.h"
#include "kselftest_harness.h"

#define BASE		SZ_1G
#define SIZE		SZ_1G
#define HPA		BIT_ULL(40)	/* 1 TiB: never RAM in the test VM */

FIXTURE(gm) {
	struct gas_space s;
	unsigned char *buf;	/* 16 MiB of scratch */
	unsigned char *chk;
};

FIXTURE_VARIANT(gm) {
	unsigned int format;
	unsigned int bits;
};

FIXTURE_VARIANT_ADD(gm, ept) GAS_GEOMETRY(EPT, 48);
FIXTURE_VARIANT_ADD(gm, npt) GAS_GEOMETRY(NPT, 48);
FIXTURE_VARIANT_ADD(gm, arm64_s2) GAS_GEOMETRY(ARM64_S2, 40);
FIXTURE_VARIANT_ADD(gm, riscv_g) GAS_GEOMETRY(RISCV_G, 41);

#define SCRATCH		(16 * SZ_2M / 2)

FIXTURE_SETUP(gm)
{
	ASSERT_EQ(0, gas_space_open(&self->s, variant->format, variant->bits,
				    BASE, SIZE));
	self->buf = malloc(SCRATCH);
	self->chk = malloc(SCRATCH);
	ASSERT_NE(NULL, self->buf);
	ASSERT_NE(NULL, self->chk);
}

FIXTURE_TEARDOWN(gm)
{
	free(self->buf);
	free(self->chk);
	gas_space_close(&self->s);
}

static __u64 data_pages(int fd)
{
	struct gaspace_info info;

	if (gas_get_info(fd, &info))
		return ~0ULL;
	return info.nr_data_pages;
}

static __u64 mapped_bytes(int fd)
{
	struct gaspace_info info;

	if (gas_get_info(fd, &info))
		return ~0ULL;
	return info.mapped_bytes;
}

TEST_F(gm, read_of_lazy_page_is_zero_and_allocates_nothing)
{
	struct gaspace_translation t;
	int fd = self->s.fd;

	ASSERT_EQ(0, gas_map_alloc(fd, BASE, 4 * PAGE_4K, GAS_PROT_RW, 0));
	memset(self->buf, 0xa5, 4 * PAGE_4K);
	EXPECT_EQ((ssize_t)(4 * PAGE_4K),
		  gas_pread(fd, self->buf, 4 * PAGE_4K, BASE));
	EXPECT_EQ(-1, gas_bytes_diff(self->buf, 0, 4 * PAGE_4K));
	/* an unaligned one too */
	memset(self->buf, 0xa5, 100);
	EXPECT_EQ(100, gas_pread(fd, self->buf, 100, BASE + PAGE_4K - 7));
	EXPECT_EQ(-1, gas_bytes_diff(self->buf, 0, 100));
	EXPECT_EQ(-ENOENT, gas_translate(fd, BASE, &t));
	EXPECT_COUNTERS(fd, 1, self->s.root_pages, 0, 0);
}

TEST_F(gm, read_of_lazy_huge_block_allocates_nothing)
{
	int fd = self->s.fd;

	ASSERT_EQ(0, gas_map_alloc(fd, BASE, SZ_2M, GAS_PROT_RW,
				   GASPACE_MAP_HUGE));
	memset(self->buf, 0xa5, SZ_2M);
	EXPECT_EQ((ssize_t)SZ_2M, gas_pread(fd, self->buf, SZ_2M, BASE));
	EXPECT_EQ(-1, gas_bytes_diff(self->buf, 0, SZ_2M));
	EXPECT_COUNTERS(fd, 1, self->s.root_pages, 0, 0);
}

TEST_F(gm, write_populates)
{
	struct gaspace_translation t;
	int fd = self->s.fd;

	ASSERT_EQ(0, gas_map_alloc(fd, BASE, 4 * PAGE_4K, GAS_PROT_RW, 0));
	gas_pattern(self->buf, BASE + PAGE_4K + 0x123, 100, 1);
	EXPECT_EQ(100, gas_pwrite(fd, self->buf, 100, BASE + PAGE_4K + 0x123));
	EXPECT_EQ(1ULL, data_pages(fd));
	EXPECT_EQ(PAGE_4K, mapped_bytes(fd));
	ASSERT_EQ(0, gas_translate(fd, BASE + PAGE_4K, &t));
	EXPECT_EQ((__u32)GAS_PROT_RW, t.prot);
	EXPECT_EQ(-ENOENT, gas_translate(fd, BASE, &t));
	EXPECT_EQ(-ENOENT, gas_translate(fd, BASE + 2 * PAGE_4K, &t));

	/* the written bytes, zeros around them */
	ASSERT_EQ((ssize_t)PAGE_4K, gas_pread(fd, self->buf, PAGE_4K,
					      BASE + PAGE_4K));
	EXPECT_EQ(-1, gas_bytes_diff(self->buf, 0, 0x123));
	EXPECT_EQ(-1, gas_pattern_diff(self->buf + 0x123,
				       BASE + PAGE_4K + 0x123, 100, 1));
	EXPECT_EQ(-1, gas_bytes_diff(self->buf + 0x123 + 100, 0,
				     PAGE_4K - 0x123 - 100));
	/* rewriting a populated page allocates nothing more */
	EXPECT_EQ(1, gas_pwrite(fd, "x", 1, BASE + PAGE_4K));
	EXPECT_EQ(1ULL, data_pages(fd));
}

TEST_F(gm, write_across_pages_populates_each)
{
	int fd = self->s.fd;
	__u64 gpa = BASE + PAGE_4K - 10;
	size_t len = 2 * PAGE_4K + 5;	/* 3 pages touched */

	ASSERT_EQ(0, gas_map_alloc(fd, BASE, 8 * PAGE_4K, GAS_PROT_RW, 0));
	gas_pattern(self->buf, gpa, len, 2);
	EXPECT_EQ((ssize_t)len, gas_pwrite(fd, self->buf, len, gpa));
	EXPECT_EQ(3ULL, data_pages(fd));
	memset(self->chk, 0, len);
	EXPECT_EQ((ssize_t)len, gas_pread(fd, self->chk, len, gpa));
	EXPECT_EQ(-1, gas_pattern_diff(self->chk, gpa, len, 2));
}

/* The written frame is the one the guest sees: FAULT finds it present. */
TEST_F(gm, write_and_fault_share_the_frame)
{
	struct gaspace_translation t1, t2;
	int fd = self->s.fd;

	ASSERT_EQ(0, gas_map_alloc(fd, BASE, 2 * PAGE_4K, GAS_PROT_RW, 0));
	ASSERT_EQ(8, gas_pwrite(fd, "guestmem", 8, BASE));
	ASSERT_EQ(0, gas_translate(fd, BASE, &t1));
	EXPECT_EQ(0, gas_fault(fd, BASE, GAS_PROT_RW));
	ASSERT_EQ(0, gas_translate(fd, BASE, &t2));
	EXPECT_EQ(t1.hpa, t2.hpa);
	EXPECT_EQ(1ULL, data_pages(fd));
	/* and a page FAULT populated is the one pread reads */
	EXPECT_EQ(0, gas_fault(fd, BASE + PAGE_4K, GASPACE_PROT_WRITE));
	EXPECT_EQ(2ULL, data_pages(fd));
	ASSERT_EQ(3, gas_pwrite(fd, "abc", 3, BASE + PAGE_4K + 5));
	EXPECT_EQ(2ULL, data_pages(fd));
	memset(self->buf, 0, 16);
	ASSERT_EQ(8, gas_pread(fd, self->buf, 8, BASE + PAGE_4K + 2));
	EXPECT_EQ(0, memcmp(self->buf, "\0\0\0abc\0\0", 8));
}

TEST_F(gm, any_prot_including_none)
{
	static const __u32 prots[] = {
		0, GASPACE_PROT_READ, GASPACE_PROT_EXEC, GAS_PROT_RX,
		GAS_PROT_RW, GAS_PROT_RWX,
	};
	int fd = self->s.fd;
	unsigned int i;

	for (i = 0; i < ARRAY_LEN(prots); i++) {
		__u64 gpa = BASE + i * SZ_2M;
		struct gaspace_translation t;

		ASSERT_EQ(0, gas_map_alloc(fd, gpa, 2 * PAGE_4K, prots[i], 0));
		gas_pattern(self->buf, gpa + 9, PAGE_4K, i);
		EXPECT_EQ((ssize_t)PAGE_4K,
			  gas_pwrite(fd, self->buf, PAGE_4K, gpa + 9))
			TH_LOG("prot %u", prots[i]);
		memset(self->chk, 0, PAGE_4K);
		EXPECT_EQ((ssize_t)PAGE_4K,
			  gas_pread(fd, self->chk, PAGE_4K, gpa + 9))
			TH_LOG("prot %u", prots[i]);
		EXPECT_EQ(-1, gas_pattern_diff(self->chk, gpa + 9, PAGE_4K, i))
			TH_LOG("prot %u", prots[i]);
		/* both pages have a frame; prot 0 leaves stay non-present */
		EXPECT_EQ(2ULL * (i + 1), data_pages(fd));
		EXPECT_EQ(prots[i] ? 0 : -ENOENT, gas_translate(fd, gpa, &t))
			TH_LOG("prot %u", prots[i]);
	}
	/* mapped_bytes does not count the prot 0 pair */
	EXPECT_EQ(2 * PAGE_4K * (ARRAY_LEN(prots) - 1), mapped_bytes(fd));
}

TEST_F(gm, protect_none_keeps_the_bytes)
{
	struct gaspace_translation before, after;
	int fd = self->s.fd;

	ASSERT_EQ(0, gas_map_alloc(fd, BASE, 4 * PAGE_4K, GAS_PROT_RW, 0));
	gas_pattern(self->buf, BASE, 2 * PAGE_4K, 3);
	ASSERT_EQ((ssize_t)(2 * PAGE_4K),
		  gas_pwrite(fd, self->buf, 2 * PAGE_4K, BASE));
	ASSERT_EQ(0, gas_translate(fd, BASE + PAGE_4K, &before));
	ASSERT_EQ(0, gas_protect(fd, BASE, 4 * PAGE_4K, 0));

	EXPECT_EQ((ssize_t)(2 * PAGE_4K),
		  gas_pread(fd, self->chk, 2 * PAGE_4K, BASE));
	EXPECT_EQ(-1, gas_pattern_diff(self->chk, BASE, 2 * PAGE_4K, 3));
	EXPECT_EQ(2ULL, data_pages(fd));
	/* writes go on, into the same frames, and populate lazy pages */
	gas_pattern(self->buf, BASE, 4 * PAGE_4K, 4);
	EXPECT_EQ((ssize_t)(4 * PAGE_4K),
		  gas_pwrite(fd, self->buf, 4 * PAGE_4K, BASE));
	EXPECT_EQ(4ULL, data_pages(fd));
	EXPECT_EQ(0ULL, mapped_bytes(fd));
	ASSERT_EQ(0, gas_protect(fd, BASE, 4 * PAGE_4K, GAS_PROT_R));
	ASSERT_EQ(0, gas_translate(fd, BASE + PAGE_4K, &after));
	EXPECT_EQ(before.hpa, after.hpa);
	EXPECT_EQ(4 * PAGE_4K, mapped_bytes(fd));
	EXPECT_EQ((ssize_t)(4 * PAGE_4K),
		  gas_pread(fd, self->chk, 4 * PAGE_4K, BASE));
	EXPECT_EQ(-1, gas_pattern_diff(self->chk, BASE, 4 * PAGE_4K, 4));
}

/* -ENXIO for a transfer whose first byte is not in an alloc area. */
static void expect_enxio(struct __test_metadata *_metadata, int fd,
			 void *buf, __u64 gpa, size_t len)
{
	EXPECT_EQ(-ENXIO, gas_pread(fd, buf, len, gpa))
		TH_LOG("pread %#llx", (unsigned long long)gpa);
	EXPECT_EQ(-ENXIO, gas_pwrite(fd, buf, len, gpa))
		TH_LOG("pwrite %#llx", (unsigned long long)gpa);
}

TEST_F(gm, first_byte_in_a_hole_is_enxio)
{
	int fd = self->s.fd;

	memset(self->buf, 0x11, 2 * PAGE_4K);
	/* an empty space */
	expect_enxio(_metadata, fd, self->buf, BASE, 1);
	expect_enxio(_metadata, fd, self->buf, BASE, PAGE_4K);
	ASSERT_EQ(0, gas_map_alloc(fd, BASE + PAGE_4K, PAGE_4K, GAS_PROT_RW,
				   0));
	/* the page before the area, ending inside it */
	expect_enxio(_metadata, fd, self->buf, BASE, 2 * PAGE_4K);
	expect_enxio(_metadata, fd, self->buf, BASE + PAGE_4K - 1, 2);
	/* the byte after it */
	expect_enxio(_metadata, fd, self->buf, BASE + 2 * PAGE_4K, 1);
	EXPECT_COUNTERS(fd, 1, self->s.root_pages, 0, 0);
	/* the area itself never saw a byte */
	ASSERT_EQ((ssize_t)PAGE_4K, gas_pread(fd, self->chk, PAGE_4K,
					      BASE + PAGE_4K));
	EXPECT_EQ(-1, gas_bytes_diff(self->chk, 0, PAGE_4K));
}

TEST_F(gm, outside_the_space_is_enxio)
{
	int fd = self->s.fd;

	ASSERT_EQ(0, gas_map_alloc(fd, BASE, PAGE_4K, GAS_PROT_RW, 0));
	ASSERT_EQ(0, gas_map_alloc(fd, BASE + SIZE - PAGE_4K, PAGE_4K,
				   GAS_PROT_RW, 0));
	memset(self->buf, 0x22, PAGE_4K);
	expect_enxio(_metadata, fd, self->buf, 0, PAGE_4K);
	expect_enxio(_metadata, fd, self->buf, BASE - 1, 1);
	expect_enxio(_metadata, fd, self->buf, BASE - PAGE_4K, PAGE_4K);
	expect_enxio(_metadata, fd, self->buf, BASE + SIZE, 1);
	expect_enxio(_metadata, fd, self->buf, 1ULL << 45, 1);
	expect_enxio(_metadata, fd, self->buf, (1ULL << 62) + BASE, 8);
	/* the last byte of the space, and the transfer stops there */
	EXPECT_EQ(1, gas_pwrite(fd, self->buf, PAGE_4K, BASE + SIZE - 1));
	EXPECT_EQ(1, gas_pread(fd, self->chk, PAGE_4K, BASE + SIZE - 1));
	EXPECT_EQ(0x22, self->chk[0]);
	EXPECT_EQ(1ULL, data_pages(fd));
}

TEST_F(gm, negative_offset_is_einval)
{
	int fd = self->s.fd;

	ASSERT_EQ(0, gas_map_alloc(fd, BASE, PAGE_4K, GAS_PROT_RW, 0));
	EXPECT_EQ(-EINVAL, gas_pread(fd, self->buf, 1, -1ULL));
	EXPECT_EQ(-EINVAL, gas_pwrite(fd, self->buf, 1, 1ULL << 63));
}

TEST_F(gm, linear_area_is_enxio)
{
	int fd = self->s.fd;

	ASSERT_EQ(0, gas_map_linear(fd, BASE, 2 * PAGE_4K, HPA, GAS_PROT_RW,
				    0));
	memset(self->buf, 0x33, PAGE_4K);
	expect_enxio(_metadata, fd, self->buf, BASE, PAGE_4K);
	expect_enxio(_metadata, fd, self->buf, BASE + PAGE_4K + 17, 3);
	expect_enxio(_metadata, fd, self->buf, BASE + 2 * PAGE_4K - 1, 1);
}

TEST_F(gm, stops_at_the_end_of_an_area)
{
	int fd = self->s.fd;

	ASSERT_EQ(0, gas_map_alloc(fd, BASE, 2 * PAGE_4K, GAS_PROT_RW, 0));
	gas_pattern(self->buf, BASE, 3 * PAGE_4K, 5);
	EXPECT_EQ((ssize_t)(2 * PAGE_4K),
		  gas_pwrite(fd, self->buf, 3 * PAGE_4K, BASE));
	EXPECT_EQ(10, gas_pwrite(fd, self->buf, 3 * PAGE_4K,
				 BASE + 2 * PAGE_4K - 10));
	EXPECT_EQ(2ULL, data_pages(fd));
	memset(self->chk, 0xee, 3 * PAGE_4K);
	EXPECT_EQ((ssize_t)(2 * PAGE_4K),
		  gas_pread(fd, self->chk, 3 * PAGE_4K, BASE));
	EXPECT_EQ(-1, gas_pattern_diff(self->chk, BASE, 2 * PAGE_4K - 10, 5));
	EXPECT_EQ(-1, gas_bytes_diff(self->chk + 2 * PAGE_4K, 0xee, PAGE_4K));
	EXPECT_EQ(1, gas_pread(fd, self->chk, 3 * PAGE_4K,
			       BASE + 2 * PAGE_4K - 1));
	/* a lazy area stops the same way */
	ASSERT_EQ(0, gas_map_alloc(fd, BASE + SZ_2M, PAGE_4K, 0, 0));
	EXPECT_EQ((ssize_t)PAGE_4K, gas_pread(fd, self->chk, 2 * PAGE_4K,
					      BASE + SZ_2M));
	EXPECT_EQ(2ULL, data_pages(fd));
}

TEST_F(gm, stops_at_a_linear_area)
{
	int fd = self->s.fd;

	ASSERT_EQ(0, gas_map_alloc(fd, BASE, PAGE_4K, GAS_PROT_RW, 0));
	ASSERT_EQ(0, gas_map_linear(fd, BASE + PAGE_4K, PAGE_4K, HPA,
				    GAS_PROT_RW, 0));
	gas_pattern(self->buf, BASE, 2 * PAGE_4K, 6);
	EXPECT_EQ((ssize_t)PAGE_4K,
		  gas_pwrite(fd, self->buf, 2 * PAGE_4K, BASE));
	EXPECT_EQ((ssize_t)PAGE_4K,
		  gas_pread(fd, self->chk, 2 * PAGE_4K, BASE));
	EXPECT_EQ(-1, gas_pattern_diff(self->chk, BASE, PAGE_4K, 6));
}

TEST_F(gm, stops_at_a_hole_between_areas)
{
	int fd = self->s.fd;

	ASSERT_EQ(0, gas_map_alloc(fd, BASE, 3 * PAGE_4K, GAS_PROT_RW, 0));
	ASSERT_EQ(0, gas_unmap(fd, BASE + PAGE_4K, PAGE_4K));
	gas_pattern(self->buf, BASE, 3 * PAGE_4K, 7);
	EXPECT_EQ((ssize_t)PAGE_4K,
		  gas_pwrite(fd, self->buf, 3 * PAGE_4K, BASE));
	EXPECT_EQ(1ULL, data_pages(fd));
	/* the area after the hole saw nothing */
	ASSERT_EQ((ssize_t)PAGE_4K, gas_pread(fd, self->chk, PAGE_4K,
					      BASE + 2 * PAGE_4K));
	EXPECT_EQ(-1, gas_bytes_diff(self->chk, 0, PAGE_4K));
}

TEST_F(gm, across_areas_of_different_prot)
{
	int fd = self->s.fd;
	__u64 gpa = BASE + PAGE_4K - 3;
	size_t len = 3 * PAGE_4K;

	ASSERT_EQ(0, gas_map_alloc(fd, BASE, PAGE_4K, GAS_PROT_RW, 0));
	ASSERT_EQ(0, gas_map_alloc(fd, BASE + PAGE_4K, PAGE_4K, 0, 0));
	ASSERT_EQ(0, gas_map_alloc(fd, BASE + 2 * PAGE_4K, PAGE_4K,
				   GAS_PROT_RX, GASPACE_MAP_POPULATE));
	ASSERT_EQ(0, gas_map_alloc(fd, BASE + 3 * PAGE_4K, PAGE_4K,
				   GASPACE_PROT_READ, 0));
	gas_pattern(self->buf, gpa, len, 8);
	EXPECT_EQ((ssize_t)len, gas_pwrite(fd, self->buf, len, gpa));
	EXPECT_EQ(4ULL, data_pages(fd));
	EXPECT_EQ((ssize_t)len, gas_pread(fd, self->chk, len, gpa));
	EXPECT_EQ(-1, gas_pattern_diff(self->chk, gpa, len, 8));
}

TEST_F(gm, across_2m_frames)
{
	struct gaspace_translation t;
	int fd = self->s.fd;
	__u64 gpa = BASE + SZ_2M - 5000;
	size_t len = SZ_2M + 5100;	/* two 2 MiB blocks and a page */
	__u64 end = BASE + 2 * SZ_2M + 2 * PAGE_4K;
	__u64 frame;

	ASSERT_EQ(0, gas_map_alloc(fd, BASE, 2 * SZ_2M, GAS_PROT_RW,
				   GASPACE_MAP_HUGE));
	ASSERT_EQ(0, gas_map_alloc(fd, BASE + 2 * SZ_2M, 2 * PAGE_4K,
				   GAS_PROT_RW, GASPACE_MAP_HUGE));
	gas_pattern(self->buf, gpa, len, 9);
	EXPECT_EQ((ssize_t)len, gas_pwrite(fd, self->buf, len, gpa));
	ASSERT_EQ(0, gas_translate(fd, BASE, &t));
	if (t.page_size != SZ_2M)
		SKIP(return, "no 2 MiB frame (an order-9 allocation failed)");
	/* two whole blocks and one 4 KiB page after them */
	EXPECT_EQ(1024ULL + 1, data_pages(fd));
	frame = t.hpa;
	ASSERT_EQ(0, gas_translate(fd, BASE + SZ_2M - 1, &t));
	EXPECT_EQ(frame + SZ_2M - 1, t.hpa);
	ASSERT_EQ(0, gas_translate(fd, BASE + SZ_2M, &t));
	EXPECT_EQ(SZ_2M, t.page_size);

	/* from a zero byte before it to the end of the second area */
	memset(self->chk, 0xee, 2 * SZ_2M);
	EXPECT_EQ((ssize_t)(end - gpa + 5001),
		  gas_pread(fd, self->chk, 2 * SZ_2M, gpa - 5001));
	EXPECT_EQ(-1, gas_bytes_diff(self->chk, 0, 5001));
	EXPECT_EQ(-1, gas_pattern_diff(self->chk + 5001, gpa, len, 9));
	EXPECT_EQ(-1, gas_bytes_diff(self->chk + 5001 + len, 0,
				     end - gpa - len));
}

TEST_F(gm, partial_unmap_of_a_2m_frame)
{
	struct gaspace_translation t;
	int fd = self->s.fd;

	ASSERT_EQ(0, gas_map_alloc(fd, BASE, SZ_2M, GAS_PROT_RW,
				   GASPACE_MAP_HUGE | GASPACE_MAP_POPULATE));
	ASSERT_EQ(0, gas_translate(fd, BASE, &t));
	if (t.page_size != SZ_2M)
		SKIP(return, "no 2 MiB frame (an order-9 allocation failed)");
	gas_pattern(self->buf, BASE, SZ_2M, 10);
	ASSERT_EQ((ssize_t)SZ_2M, gas_pwrite(fd, self->buf, SZ_2M, BASE));
	ASSERT_EQ(0, gas_unmap(fd, BASE + 100 * PAGE_4K, PAGE_4K));
	EXPECT_EQ(511ULL, data_pages(fd));
	EXPECT_EQ((ssize_t)(100 * PAGE_4K),
		  gas_pread(fd, self->chk, SZ_2M, BASE));
	EXPECT_EQ(-1, gas_pattern_diff(self->chk, BASE, 100 * PAGE_4K, 10));
	expect_enxio(_metadata, fd, self->chk, BASE + 100 * PAGE_4K, 1);
	EXPECT_EQ((ssize_t)(411 * PAGE_4K),
		  gas_pread(fd, self->chk, SZ_2M, BASE + 101 * PAGE_4K));
	EXPECT_EQ(-1, gas_pattern_diff(self->chk, BASE + 101 * PAGE_4K,
				       411 * PAGE_4K, 10));
	/* mapped again: a fresh zeroed page, not the old bytes */
	ASSERT_EQ(0, gas_map_alloc(fd, BASE + 100 * PAGE_4K, PAGE_4K,
				   GAS_PROT_RW, 0));
	EXPECT_EQ((ssize_t)PAGE_4K, gas_pread(fd, self->chk, PAGE_4K,
					      BASE + 100 * PAGE_4K));
	EXPECT_EQ(-1, gas_bytes_diff(self->chk, 0, PAGE_4K));
}

TEST_F(gm, unmapped_and_replaced_read_no_old_bytes)
{
	int fd = self->s.fd;

	ASSERT_EQ(0, gas_map_alloc(fd, BASE, 4 * PAGE_4K, GAS_PROT_RW, 0));
	memset(self->buf, 0x5a, 4 * PAGE_4K);
	ASSERT_EQ((ssize_t)(4 * PAGE_4K),
		  gas_pwrite(fd, self->buf, 4 * PAGE_4K, BASE));
	ASSERT_EQ(0, gas_unmap(fd, BASE, 4 * PAGE_4K));
	expect_enxio(_metadata, fd, self->buf, BASE, PAGE_4K);
	ASSERT_EQ(0, gas_map_alloc(fd, BASE, 2 * PAGE_4K, GAS_PROT_RW, 0));
	EXPECT_EQ((ssize_t)(2 * PAGE_4K),
		  gas_pread(fd, self->chk, 4 * PAGE_4K, BASE));
	EXPECT_EQ(-1, gas_bytes_diff(self->chk, 0, 2 * PAGE_4K));
	ASSERT_EQ((ssize_t)(2 * PAGE_4K),
		  gas_pwrite(fd, self->buf, 2 * PAGE_4K, BASE));
	/* MAP_REPLACE by alloc: zeros; by linear: -ENXIO */
	ASSERT_EQ(0, gas_map_alloc(fd, BASE, PAGE_4K, GAS_PROT_RW,
				   GASPACE_MAP_REPLACE));
	EXPECT_EQ((ssize_t)(2 * PAGE_4K),
		  gas_pread(fd, self->chk, 2 * PAGE_4K, BASE));
	EXPECT_EQ(-1, gas_bytes_diff(self->chk, 0, PAGE_4K));
	EXPECT_EQ(-1, gas_bytes_diff(self->chk + PAGE_4K, 0x5a, PAGE_4K));
	ASSERT_EQ(0, gas_map_linear(fd, BASE + PAGE_4K, PAGE_4K, HPA,
				    GAS_PROT_RW, GASPACE_MAP_REPLACE));
	EXPECT_EQ((ssize_t)PAGE_4K,
		  gas_pread(fd, self->chk, 2 * PAGE_4K, BASE));
	expect_enxio(_metadata, fd, self->buf, BASE + PAGE_4K, 1);
	EXPECT_EQ(0ULL, data_pages(fd));
}

/* 12 MiB over 4 KiB pages and 2 MiB frames, in one call each way. */
TEST_F(gm, large_transfer)
{
	int fd = self->s.fd;
	size_t len = 12 * (SZ_2M / 2);
	__u64 gpa = BASE + SZ_2M;

	ASSERT_EQ(0, gas_map_alloc(fd, gpa, 4 * SZ_2M / 2, GAS_PROT_RW, 0));
	ASSERT_EQ(0, gas_map_alloc(fd, gpa + 2 * SZ_2M, 4 * SZ_2M,
				   GASPACE_PROT_READ, GASPACE_MAP_HUGE));
	gas_pattern(self->buf, gpa + 1, len - 1, 11);
	EXPECT_EQ((ssize_t)(len - 1),
		  gas_pwrite(fd, self->buf, len - 1, gpa + 1));
	EXPECT_EQ(len / PAGE_4K, data_pages(fd));
	memset(self->chk, 0, len);
	EXPECT_EQ((ssize_t)(len - 1),
		  gas_pread(fd, self->chk, len, gpa + 1));
	EXPECT_EQ(-1, gas_pattern_diff(self->chk, gpa + 1, len - 1, 11));
}

TEST_F(gm, vectored_transfer)
{
	int fd = self->s.fd;
	struct iovec iov[4];
	size_t sizes[4] = { 1, PAGE_4K - 1, 3 * PAGE_4K + 5, 77 };
	size_t off = 0, total = 0;
	unsigned int i;

	ASSERT_EQ(0, gas_map_alloc(fd, BASE, 8 * PAGE_4K, GAS_PROT_RW, 0));
	for (i = 0; i < 4; i++)
		total += sizes[i];
	gas_pattern(self->buf, BASE + 3, total, 12);
	for (i = 0; i < 4; i++) {
		iov[i].iov_base = self->buf + off;
		iov[i].iov_len = sizes[i];
		off += sizes[i];
	}
	EXPECT_EQ((ssize_t)total, pwritev(fd, iov, 4, BASE + 3));
	memset(self->chk, 0, total);
	off = 0;
	for (i = 0; i < 4; i++) {
		iov[i].iov_base = self->chk + off;
		off += sizes[i];
	}
	EXPECT_EQ((ssize_t)total, preadv(fd, iov, 4, BASE + 3));
	EXPECT_EQ(-1, gas_pattern_diff(self->chk, BASE + 3, total, 12));
}

/* pread/pwrite do not move the file position; read/write use it. */
TEST_F(gm, pread_leaves_the_position)
{
	int fd = self->s.fd;

	ASSERT_EQ(0, gas_map_alloc(fd, BASE, PAGE_4K, GAS_PROT_RW, 0));
	ASSERT_EQ(4, gas_pwrite(fd, "abcd", 4, BASE));
	ASSERT_EQ(4, gas_pread(fd, self->buf, 4, BASE));
	EXPECT_EQ(0, lseek(fd, 0, SEEK_CUR));
}

/*
 * A buffer whose middle page is unmapped: the write stops at the fault
 * and changes no guest byte at or past the count it returns.
 */
static void *hole_buffer(void)
{
	unsigned char *p = mmap(NULL, 3 * PAGE_4K, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	munmap(p + PAGE_4K, PAGE_4K);
	return p;
}

/* @addr as a buffer pointer the compiler does not check. */
static void *bad_buffer(unsigned long addr)
{
	__asm__ ("" : "+r" (addr));
	return (void *)addr;
}

static void check_write_from_hole_buffer(struct __test_metadata *_metadata,
					 int fd, unsigned char *chk,
					 __u64 gpa, size_t skip)
{
	unsigned char *p = hole_buffer();
	size_t len = 3 * PAGE_4K - skip;
	ssize_t n;

	ASSERT_NE(NULL, p);
	gas_pattern(p + skip, gpa, PAGE_4K - skip, 13);
	gas_pattern(p + 2 * PAGE_4K, gpa + 2 * PAGE_4K - skip, PAGE_4K, 13);
	/* the guest holds seed 14 before */
	gas_pattern(chk, gpa, len, 14);
	ASSERT_EQ((ssize_t)len, gas_pwrite(fd, chk, len, gpa));

	n = gas_pwrite(fd, p + skip, len, gpa);
	EXPECT_TRUE(n == -EFAULT || (n >= 0 && n <= (ssize_t)(PAGE_4K - skip)))
		TH_LOG("skip %zu: pwrite gave %zd", skip, n);
	if (n < 0)
		n = 0;
	memset(chk, 0, len);
	ASSERT_EQ((ssize_t)len, gas_pread(fd, chk, len, gpa));
	EXPECT_EQ(-1, gas_pattern_diff(chk, gpa, n, 13))
		TH_LOG("skip %zu: the bytes before the count", skip);
	EXPECT_EQ(-1, gas_pattern_diff(chk + n, gpa + n, len - n, 14))
		TH_LOG("skip %zu: count %zd, a byte at %ld past it changed",
		       skip, n, gas_pattern_diff(chk + n, gpa + n, len - n, 14));
	munmap(p, 3 * PAGE_4K);
}

TEST_F(gm, write_from_partly_unmapped_buffer)
{
	int fd = self->s.fd;

	ASSERT_EQ(0, gas_map_alloc(fd, BASE, 8 * PAGE_4K, GAS_PROT_RW, 0));
	/* guest pages and buffer pages aligned alike, then not */
	check_write_from_hole_buffer(_metadata, fd, self->chk, BASE, 0);
	check_write_from_hole_buffer(_metadata, fd, self->chk,
				     BASE + PAGE_4K + 100, 0);
	check_write_from_hole_buffer(_metadata, fd, self->chk,
				     BASE + 2 * PAGE_4K + 3000, 1000);
	check_write_from_hole_buffer(_metadata, fd, self->chk,
				     BASE + 4 * PAGE_4K - 1, PAGE_4K - 1);
}

TEST_F(gm, write_from_unmapped_buffer_is_efault)
{
	int fd = self->s.fd;
	unsigned char *p = hole_buffer();

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, gas_map_alloc(fd, BASE, 4 * PAGE_4K, GAS_PROT_RW, 0));
	gas_pattern(self->buf, BASE, 4 * PAGE_4K, 15);
	ASSERT_EQ((ssize_t)(4 * PAGE_4K),
		  gas_pwrite(fd, self->buf, 4 * PAGE_4K, BASE));
	EXPECT_EQ(-EFAULT, gas_pwrite(fd, p + PAGE_4K, PAGE_4K, BASE + 5));
	EXPECT_EQ(-EFAULT, gas_pwrite(fd, bad_buffer(0), 2 * PAGE_4K,
				      BASE));
	EXPECT_EQ(-EFAULT, gas_pwrite(fd, bad_buffer(GAS_KERNEL_ADDR),
				      16, BASE));
	ASSERT_EQ((ssize_t)(4 * PAGE_4K),
		  gas_pread(fd, self->chk, 4 * PAGE_4K, BASE));
	EXPECT_EQ(-1, gas_pattern_diff(self->chk, BASE, 4 * PAGE_4K, 15));
	munmap(p, 3 * PAGE_4K);
}

/*
 * Issue 12: a pwrite whose buffer faults at its first byte fails with
 * -EFAULT and populates nothing, in a lazy area and a HUGE one (where the
 * page would have brought in a 2 MiB frame): GET_INFO and TRANSLATE are as
 * before.  One that faults part-way populates no page past its count.
 */
TEST_F(gm, failed_write_populates_nothing)
{
	int fd = self->s.fd;
	unsigned char *p = hole_buffer();
	struct gas_snapshot before, after;
	static const __u64 probes[] = {
		BASE, BASE + PAGE_4K, BASE + 2 * PAGE_4K, BASE + SZ_2M,
		BASE + SZ_2M + PAGE_4K,
	};

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, gas_map_alloc(fd, BASE, SZ_2M, GAS_PROT_RW, 0));
	ASSERT_EQ(0, gas_map_alloc(fd, BASE + SZ_2M, SZ_2M, GAS_PROT_RW,
				   GASPACE_MAP_HUGE));
	gas_snapshot(fd, &before, probes, ARRAY_LEN(probes));
	EXPECT_EQ(-EFAULT, gas_pwrite(fd, p + PAGE_4K, PAGE_4K, BASE));
	EXPECT_EQ(-EFAULT, gas_pwrite(fd, p + PAGE_4K, 16, BASE + SZ_2M));
	EXPECT_EQ(-EFAULT, gas_pwrite(fd, bad_buffer(0), 2 * PAGE_4K, BASE));
	gas_snapshot(fd, &after, probes, ARRAY_LEN(probes));
	EXPECT_TRUE(gas_snapshot_equal(&before, &after));
	EXPECT_EQ(0ULL, data_pages(fd));
	/* the buffer's first page is readable: one page written, one short */
	memset(p, 7, PAGE_4K);
	EXPECT_EQ((ssize_t)PAGE_4K, gas_pwrite(fd, p, 2 * PAGE_4K, BASE));
	EXPECT_EQ(1ULL, data_pages(fd));
	munmap(p, 3 * PAGE_4K);
}

TEST_F(gm, read_into_partly_unmapped_buffer)
{
	int fd = self->s.fd;
	unsigned char *p = hole_buffer();
	unsigned char *ro;
	ssize_t n;

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, gas_map_alloc(fd, BASE, 4 * PAGE_4K, GAS_PROT_RW, 0));
	gas_pattern(self->buf, BASE, 4 * PAGE_4K, 16);
	ASSERT_EQ((ssize_t)(4 * PAGE_4K),
		  gas_pwrite(fd, self->buf, 4 * PAGE_4K, BASE));
	n = gas_pread(fd, p + 100, 3 * PAGE_4K - 100, BASE);
	EXPECT_TRUE(n > 0 && n <= (ssize_t)(PAGE_4K - 100))
		TH_LOG("pread gave %zd", n);
	if (n > 0)
		EXPECT_EQ(-1, gas_pattern_diff(p + 100, BASE, n, 16));
	EXPECT_EQ(-EFAULT, gas_pread(fd, p + PAGE_4K, PAGE_4K, BASE));
	/* a read-only buffer cannot take it either */
	ro = mmap(NULL, PAGE_4K, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
		  -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	EXPECT_EQ(-EFAULT, gas_pread(fd, ro, PAGE_4K, BASE));
	munmap(ro, PAGE_4K);
	munmap(p, 3 * PAGE_4K);
	/* a failed read allocates nothing: the lazy pages stay lazy */
	ASSERT_EQ(0, gas_map_alloc(fd, BASE + SZ_2M, PAGE_4K, GAS_PROT_RW, 0));
	EXPECT_EQ(-EFAULT, gas_pread(fd, bad_buffer(0), PAGE_4K,
				     BASE + SZ_2M));
	EXPECT_EQ(4ULL, data_pages(fd));
}

/*
 * The user buffer is an mmap of the same space, lazy pages on both
 * sides: a copy faults the buffer in through the space (gaspace.rst 10).
 */
TEST_F_TIMEOUT(gm, buffer_is_mmap_of_the_same_space, 60)
{
	int fd = self->s.fd;
	size_t len = 16 * PAGE_4K;
	unsigned char *a, *b;

	ASSERT_EQ(0, gas_map_alloc(fd, BASE, len, GAS_PROT_RW, 0));
	ASSERT_EQ(0, gas_map_alloc(fd, BASE + SZ_2M, SZ_2M, 0,
				   GASPACE_MAP_HUGE));
	a = gas_mmap(fd, BASE, len, MAP_SHARED);
	ASSERT_NE(NULL, a) TH_LOG("mmap: %s", strerror(errno));
	b = gas_mmap(fd, BASE + SZ_2M, SZ_2M, MAP_SHARED);
	ASSERT_NE(NULL, b) TH_LOG("mmap: %s", strerror(errno));

	/* pwrite from a lazy mmap page into a lazy guest page */
	EXPECT_EQ((ssize_t)len, gas_pwrite(fd, b, len, BASE));
	EXPECT_EQ(-1, gas_bytes_diff(a, 0, len));
	/* pread into a lazy mmap page of the same area it reads */
	gas_pattern(self->buf, BASE, len, 17);
	ASSERT_EQ((ssize_t)len, gas_pwrite(fd, self->buf, len, BASE));
	EXPECT_EQ((ssize_t)len, gas_pread(fd, b + 5, len, BASE));
	EXPECT_EQ(-1, gas_pattern_diff(b + 5, BASE, len, 17));
	/* overlapping: the area onto itself, through its own mapping */
	EXPECT_EQ((ssize_t)(len / 2), gas_pwrite(fd, a, len / 2,
						 BASE + len / 2));
	EXPECT_EQ(-1, gas_pattern_diff(a + len / 2, BASE, len / 2, 17));
	EXPECT_EQ((ssize_t)(len / 2), gas_pread(fd, a, len / 2,
						BASE + len / 2));
	EXPECT_EQ(-1, gas_pattern_diff(a, BASE, len / 2, 17));
	munmap(a, len);
	munmap(b, SZ_2M);
}

/*
 * A large write stops on a fatal signal: a child writes 64 MiB into a
 * lazy area and is killed once the write is under way; the write did not
 * run to its end, and what it populated is consistent.  Not a matter of
 * format: one space.
 */
FIXTURE(gm_kill) {
	struct gas_space s;
};

FIXTURE_SETUP(gm_kill)
{
	ASSERT_EQ(0, gas_space_open(&self->s, GASPACE_FMT_NPT, 48, BASE,
				    SIZE));
}

FIXTURE_TEARDOWN(gm_kill)
{
	gas_space_close(&self->s);
}

TEST_F_TIMEOUT(gm_kill, fatal_signal_stops_a_large_write, 90)
{
	size_t len = 64ULL << 20;
	struct gaspace_info info;
	int fd = self->s.fd;
	int status, i;
	pid_t pid;

	ASSERT_EQ(0, gas_map_alloc(fd, BASE, len, GAS_PROT_RW, 0));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		/* never touched: every page reads as the zero page */
		void *buf = mmap(NULL, len, PROT_READ,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (buf == MAP_FAILED)
			_exit(2);
		gas_pwrite(fd, buf, len, BASE);
		_exit(3);
	}
	for (i = 0; i < 60000; i++) {
		if (data_pages(fd) >= 128 || waitpid(pid, &status, WNOHANG))
			break;
		usleep(500);
	}
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSIGNALED(status)) TH_LOG("child exited with %d",
						WEXITSTATUS(status));
	EXPECT_EQ(SIGKILL, WTERMSIG(status));

	ASSERT_EQ(0, gas_get_info(fd, &info));
	EXPECT_LT(info.nr_data_pages, len / PAGE_4K)
		TH_LOG("the write went on to its end after SIGKILL");
	EXPECT_LE(128ULL, info.nr_data_pages);
	EXPECT_EQ(info.nr_data_pages * PAGE_4K, info.mapped_bytes);
	EXPECT_EQ(1ULL, info.nr_areas);
}

/*
 * ---- no lock of the space across a user copy (gaspace.rst 10) ----
 *
 * The user buffer is a userfaultfd page, so the copy of a pread or pwrite
 * blocks until the test resolves the fault.  Meanwhile every other call on
 * the space works, UNMAP of the very page included; once released, the
 * transfer never reaches a freed or foreign frame.
 */
struct blocked {
	int fd;
	bool write;
	__u64 gpa;
	unsigned char *buf;
	ssize_t ret;
};

static void *blocked_transfer(void *arg)
{
	struct blocked *b = arg;

	if (b->write)
		b->ret = gas_pwrite(b->fd, b->buf, PAGE_4K, b->gpa);
	else
		b->ret = gas_pread(b->fd, b->buf, PAGE_4K, b->gpa);
	return NULL;
}

/* A page whose first touch blocks until uffd_release(); 0 or -errno. */
static int uffd_page(int *uffd, unsigned char **page)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg;
	void *p;

	*uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (*uffd < 0)
		return -errno;
	if (ioctl(*uffd, UFFDIO_API, &api))
		return -errno;
	p = mmap(NULL, PAGE_4K, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	memset(&reg, 0, sizeof(reg));
	reg.range.start = (unsigned long)p;
	reg.range.len = PAGE_4K;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	if (ioctl(*uffd, UFFDIO_REGISTER, &reg))
		return -errno;
	*page = p;
	return 0;
}

/* Waits (10 s at most) until a task is blocked on the page. */
static int uffd_wait(int uffd)
{
	struct pollfd pfd = { .fd = uffd, .events = POLLIN };
	struct uffd_msg msg;

	if (poll(&pfd, 1, 10000) != 1)
		return -ETIMEDOUT;
	if (read(uffd, &msg, sizeof(msg)) != sizeof(msg))
		return -EIO;
	return msg.event == UFFD_EVENT_PAGEFAULT ? 0 : -EPROTO;
}

/* Fills the page with @src and wakes the blocked task. */
static int uffd_release(int uffd, unsigned char *page, const void *src)
{
	struct uffdio_copy c = {
		.dst = (unsigned long)page,
		.src = (unsigned long)src,
		.len = PAGE_4K,
	};

	return ioctl(uffd, UFFDIO_COPY, &c) ? -errno : 0;
}

/* Every other call on the space, the blocked page's UNMAP included. */
static void calls_while_blocked(struct __test_metadata *_metadata,
				const struct gas_space *s)
{
	struct gas_run run = { BASE, 2 * PAGE_4K, 0 };
	struct gaspace_translation t;
	unsigned char c, *p;
	int fd = s->fd;

	EXPECT_EQ(0, gas_translate(fd, BASE, &t));
	EXPECT_EQ(0, gas_fault(fd, BASE + PAGE_4K, GAS_PROT_RW));
	EXPECT_EQ(1, gas_pread(fd, &c, 1, BASE + PAGE_4K));
	EXPECT_EQ(0, gas_protect(fd, BASE, 2 * PAGE_4K, GAS_PROT_R));
	ASSERT_EQ(0, gas_unmap(fd, BASE, 2 * PAGE_4K));
	ASSERT_EQ(0, gas_map_alloc(fd, BASE, 2 * PAGE_4K, GAS_PROT_RW, 0));
	EXPECT_EQ(1, gas_pwrite(fd, "x", 1, BASE + PAGE_4K));
	p = gas_mmap(fd, BASE, 2 * PAGE_4K, MAP_SHARED);
	ASSERT_NE(NULL, p);
	EXPECT_EQ(0, p[7]);
	munmap(p, 2 * PAGE_4K);
	EXPECT_COUNTERS(fd, 1, gas_tables_for(s->levels, s->root_pages, &run, 1),
			2, 2 * PAGE_4K);
}

static void run_blocked(struct __test_metadata *_metadata,
			const struct gas_space *s, unsigned char *chk,
			bool write)
{
	struct blocked b = { .fd = s->fd, .write = write, .gpa = BASE };
	int fd = s->fd;
	unsigned char src[PAGE_4K];
	pthread_t tid;
	int uffd, ret;

	ASSERT_EQ(0, gas_map_alloc(fd, BASE, 2 * PAGE_4K, GAS_PROT_RW, 0));
	gas_pattern(src, BASE, PAGE_4K, 20);
	ASSERT_EQ((ssize_t)PAGE_4K, gas_pwrite(fd, src, PAGE_4K, BASE));
	ret = uffd_page(&uffd, &b.buf);
	if (ret)
		SKIP(return, "no userfaultfd: %s", strerror(-ret));
	ASSERT_EQ(0, pthread_create(&tid, NULL, blocked_transfer, &b));
	ASSERT_EQ(0, uffd_wait(uffd));

	calls_while_blocked(_metadata, s);

	gas_pattern(src, BASE, PAGE_4K, 21);
	ASSERT_EQ(0, uffd_release(uffd, b.buf, src));
	pthread_join(tid, NULL);
	ASSERT_EQ((ssize_t)PAGE_4K, gas_pread(fd, chk, PAGE_4K, BASE));
	if (write) {
		/* into the old frame, or (re-looked up) the new page */
		EXPECT_TRUE(b.ret == -ENXIO || b.ret == (ssize_t)PAGE_4K)
			TH_LOG("pwrite gave %zd", b.ret);
		EXPECT_TRUE(gas_bytes_diff(chk, 0, PAGE_4K) < 0 ||
			    (b.ret > 0 &&
			     gas_pattern_diff(chk, BASE, PAGE_4K, 21) < 0))
			TH_LOG("the new page holds other bytes");
	} else {
		/* the old bytes (the frame stayed pinned), or the new zeros */
		EXPECT_EQ((ssize_t)PAGE_4K, b.ret);
		EXPECT_TRUE(gas_pattern_diff(b.buf, BASE, PAGE_4K, 20) < 0 ||
			    gas_bytes_diff(b.buf, 0, PAGE_4K) < 0)
			TH_LOG("pread returned bytes of a freed frame");
		EXPECT_EQ(-1, gas_bytes_diff(chk, 0, PAGE_4K));
	}
	close(uffd);
	munmap(b.buf, PAGE_4K);
}

TEST_F_TIMEOUT(gm, pwrite_blocked_in_user_copy_holds_no_lock, 60)
{
	run_blocked(_metadata, &self->s, self->chk, true);
}

TEST_F_TIMEOUT(gm, pread_blocked_in_user_copy_holds_no_lock, 60)
{
	run_blocked(_metadata, &self->s, self->chk, false);
}

/* ---- threads: pread/pwrite racing MAP/UNMAP (gaspace.rst 10) ---- */

#define A_PAGES		48		/* stable area, WORKERS | A_PAGES */
#define C_GPA		(BASE + 64 * SZ_2M)
#define C_PAGES		30		/* churned, WORKERS | C_PAGES */
#define WORKERS		3
#define CHURN_ITERS	150

struct race {
	int fd;
	struct gas_race race;
	pthread_barrier_t go;
};

struct worker {
	struct race *r;
	unsigned int idx;
	unsigned char buf[2 * PAGE_4K];
};

static void surprise(struct race *r, const char *what, __u64 at, long v)
{
	gas_race_surprise(&r->race, what, at, v);
}

/*
 * Worker @idx owns the pages p of A and C with p % WORKERS == idx and
 * fills them with the byte idx + 1: any other byte in them is a stale or
 * foreign frame.
 */
static void *rw_worker(void *arg)
{
	struct worker *w = arg;
	struct race *r = w->r;
	unsigned char fill = w->idx + 1;
	unsigned int it, i;

	pthread_barrier_wait(&r->go);
	for (it = 0;
	     it < A_PAGES || (!gas_race_stopped(&r->race) && it < 100000);
	     it++) {
		unsigned int p = it % (A_PAGES / WORKERS) * WORKERS + w->idx;
		__u64 gpa = BASE + p * PAGE_4K;
		ssize_t n;

		memset(w->buf, fill, PAGE_4K);
		n = gas_pwrite(r->fd, w->buf, PAGE_4K, gpa);
		if (n != (ssize_t)PAGE_4K)
			surprise(r, "pwrite A", gpa, n);
		n = gas_pread(r->fd, w->buf, PAGE_4K, gpa);
		if (n != (ssize_t)PAGE_4K || gas_bytes_diff(w->buf, fill,
							    PAGE_4K) >= 0)
			surprise(r, "pread A", gpa, n);

		p = it % (C_PAGES / WORKERS) * WORKERS + w->idx;
		gpa = C_GPA + p * PAGE_4K;
		memset(w->buf, fill, PAGE_4K);
		/* two pages: the second is another worker's, so write one */
		n = gas_pwrite(r->fd, w->buf, PAGE_4K, gpa);
		if (n != (ssize_t)PAGE_4K && n != -ENXIO)
			surprise(r, "pwrite C", gpa, n);
		n = gas_pread(r->fd, w->buf, 2 * PAGE_4K, gpa);
		if (n < 0 && n != -ENXIO)
			surprise(r, "pread C", gpa, n);
		for (i = 0; n > 0 && i < (size_t)n; i++) {
			unsigned char c = w->buf[i];
			unsigned int owner = (p + i / PAGE_4K) % WORKERS + 1;

			if (c && (i < PAGE_4K ? c != fill : c != owner)) {
				surprise(r, "stale byte in C", gpa + i, c);
				break;
			}
		}
	}
	return NULL;
}

static void *churner(void *arg)
{
	struct race *r = ((struct worker *)arg)->r;
	unsigned int it;

	pthread_barrier_wait(&r->go);
	for (it = 0; it < CHURN_ITERS; it++) {
		const char *what;
		int ret = gas_churn_round(r->fd, C_GPA, C_PAGES, it, &what);

		if (ret)
			surprise(r, what, C_GPA, ret);
	}
	gas_race_stop(&r->race);
	return NULL;
}

TEST_F_TIMEOUT(gm, threads_race_unmap, 120)
{
	struct worker *w;
	pthread_t tid[WORKERS + 1];
	struct race *r;
	struct gas_run run = { BASE, A_PAGES * PAGE_4K, 0 };
	unsigned int i;

	ASSERT_EQ(0, gas_map_alloc(self->s.fd, BASE, A_PAGES * PAGE_4K,
				   GAS_PROT_RW, 0));
	r = calloc(1, sizeof(*r));
	w = calloc(WORKERS + 1, sizeof(*w));
	ASSERT_NE(NULL, r);
	ASSERT_NE(NULL, w);
	r->fd = self->s.fd;
	pthread_barrier_init(&r->go, NULL, WORKERS + 1);
	for (i = 0; i <= WORKERS; i++) {
		w[i].r = r;
		w[i].idx = i ? i - 1 : 0;
		ASSERT_EQ(0, pthread_create(&tid[i], NULL,
					    i ? rw_worker : churner, &w[i]));
	}
	for (i = 0; i <= WORKERS; i++)
		pthread_join(tid[i], NULL);
	EXPECT_NO_SURPRISE(&r->race);
	EXPECT_COUNTERS(self->s.fd, 1,
			gas_tables_for(self->s.levels, self->s.root_pages,
				       &run, 1),
			A_PAGES, A_PAGES * PAGE_4K);
	free(w);
	free(r);
}

TEST_HARNESS_MAIN
