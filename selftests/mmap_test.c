// SPDX-License-Identifier: GPL-2.0
/*
 * mmap_test: the VMM's shared mapping of guest memory (Documentation/
 * gaspace.rst 7, 8 "Lifetime", 3, 10).
 *
 * MAP_SHARED only (MAP_PRIVATE -> EINVAL); the range must lie in alloc
 * areas (else ENXIO); a touch of a lazy page populates it through the
 * fault hook, so the VMM and the guest see one frame (pread, FAULT and
 * TRANSLATE agree with /proc/self/pagemap); UNMAP and MAP_REPLACE zap the
 * mapping and a later touch raises SIGBUS, never a stale frame; PROTECT
 * does not restrict the VMM; the mapping keeps the space (and the module)
 * alive after close(fd); fork shares it; threads that touch while another
 * maps and unmaps never crash and the counters end exact.
 */
#include <pthread.h>
#include <sys/stat.h>

#include "gaspace_util.h"
#include "kselftest_harness.h"

#define BASE		SZ_1G
#define SIZE		SZ_1G
#define HPA		BIT_ULL(40)	/* 1 TiB: never RAM in the test VM */

FIXTURE(mm) {
	struct gas_space s;
};

FIXTURE_VARIANT(mm) {
	unsigned int format;
	unsigned int bits;
};

FIXTURE_VARIANT_ADD(mm, ept) GAS_GEOMETRY(EPT, 48);
FIXTURE_VARIANT_ADD(mm, arm64_s2) GAS_GEOMETRY(ARM64_S2, 40);

FIXTURE_SETUP(mm)
{
	ASSERT_EQ(0, gas_space_open(&self->s, variant->format, variant->bits,
				    BASE, SIZE));
	ASSERT_EQ(0, gas_catch_sigbus());
}

FIXTURE_TEARDOWN(mm)
{
	gas_space_close(&self->s);
}

static __u64 data_pages(int fd)
{
	struct gaspace_info info;

	if (gas_get_info(fd, &info))
		return ~0ULL;
	return info.nr_data_pages;
}

static int touch_read(void *p)
{
	return gas_touch(p, false, 0, NULL);
}

static int touch_write(void *p, int val)
{
	return gas_touch(p, true, val, NULL);
}

/* The byte at @p, or -SIGBUS. */
static int peek(void *p)
{
	unsigned char c;

	return gas_touch(p, false, 0, &c) ? -SIGBUS : c;
}

/* A lazy read-write alloc area of @len at BASE, and a shared mapping of it. */
static unsigned char *rw_area_mapped(int fd, size_t len)
{
	if (gas_map_alloc(fd, BASE, len, GAS_PROT_RW, 0))
		return NULL;
	return gas_mmap(fd, BASE, len, MAP_SHARED);
}

TEST_F(mm, capability_says_mmap)
{
	EXPECT_EQ(1, gas_ioctl(self->s.dev, GASPACE_CHECK_EXTENSION,
			       GASPACE_CAP_MMAP));
}

TEST_F(mm, private_is_einval)
{
	int fd = self->s.fd;

	ASSERT_EQ(0, gas_map_alloc(fd, BASE, 4 * PAGE_4K, GAS_PROT_RW, 0));
	EXPECT_EQ(EINVAL, gas_mmap_errno(fd, BASE, PAGE_4K,
					 PROT_READ | PROT_WRITE, MAP_PRIVATE));
	EXPECT_EQ(EINVAL, gas_mmap_errno(fd, BASE, PAGE_4K, PROT_READ,
					 MAP_PRIVATE));
	/* a private mapping of a hole too */
	EXPECT_EQ(EINVAL, gas_mmap_errno(fd, BASE + SZ_2M, PAGE_4K,
					 PROT_READ, MAP_PRIVATE));
	EXPECT_COUNTERS(fd, 1, self->s.root_pages, 0, 0);
}

TEST_F(mm, range_not_in_alloc_areas_is_enxio)
{
	int fd = self->s.fd;
	int rw = PROT_READ | PROT_WRITE;

	/* an empty space */
	EXPECT_EQ(ENXIO, gas_mmap_errno(fd, BASE, PAGE_4K, rw, MAP_SHARED));
	ASSERT_EQ(0, gas_map_alloc(fd, BASE + PAGE_4K, 2 * PAGE_4K,
				   GAS_PROT_RW, 0));
	ASSERT_EQ(0, gas_map_linear(fd, BASE + 4 * PAGE_4K, PAGE_4K, HPA,
				    GAS_PROT_RW, 0));
	ASSERT_EQ(0, gas_map_alloc(fd, BASE + 5 * PAGE_4K, PAGE_4K,
				   GAS_PROT_RW, 0));
	/* starting in the hole before, ending in the hole after */
	EXPECT_EQ(ENXIO, gas_mmap_errno(fd, BASE, 2 * PAGE_4K, rw,
					MAP_SHARED));
	EXPECT_EQ(ENXIO, gas_mmap_errno(fd, BASE + PAGE_4K, 3 * PAGE_4K, rw,
					MAP_SHARED));
	EXPECT_EQ(ENXIO, gas_mmap_errno(fd, BASE + 3 * PAGE_4K, PAGE_4K, rw,
					MAP_SHARED));
	/* a linear area, alone or between alloc areas */
	EXPECT_EQ(ENXIO, gas_mmap_errno(fd, BASE + 4 * PAGE_4K, PAGE_4K, rw,
					MAP_SHARED));
	EXPECT_EQ(ENXIO, gas_mmap_errno(fd, BASE + 4 * PAGE_4K,
					2 * PAGE_4K, PROT_READ, MAP_SHARED));
	/* outside the space */
	EXPECT_EQ(ENXIO, gas_mmap_errno(fd, 0, PAGE_4K, rw, MAP_SHARED));
	EXPECT_EQ(ENXIO, gas_mmap_errno(fd, BASE - PAGE_4K, 2 * PAGE_4K, rw,
					MAP_SHARED));
	EXPECT_EQ(ENXIO, gas_mmap_errno(fd, BASE + SIZE, PAGE_4K, rw,
					MAP_SHARED));
	/* the area itself maps */
	EXPECT_EQ(0, gas_mmap_errno(fd, BASE + PAGE_4K, 2 * PAGE_4K, rw,
				    MAP_SHARED));
	EXPECT_EQ(0, gas_mmap_errno(fd, BASE + 5 * PAGE_4K, PAGE_4K,
				    PROT_READ, MAP_SHARED));
	EXPECT_COUNTERS(fd, 3, self->s.root_pages + self->s.levels - 1, 0,
			PAGE_4K);
}

TEST_F(mm, adjacent_alloc_areas_of_any_prot_map_as_one)
{
	int fd = self->s.fd;
	unsigned char *p;

	ASSERT_EQ(0, gas_map_alloc(fd, BASE, PAGE_4K, 0, 0));
	ASSERT_EQ(0, gas_map_alloc(fd, BASE + PAGE_4K, PAGE_4K,
				   GASPACE_PROT_READ, 0));
	ASSERT_EQ(0, gas_map_alloc(fd, BASE + 2 * PAGE_4K, SZ_2M - 2 * PAGE_4K,
				   GAS_PROT_RWX, GASPACE_MAP_HUGE));
	p = gas_mmap(fd, BASE, SZ_2M, MAP_SHARED);
	ASSERT_NE(NULL, p) TH_LOG("mmap: %s", strerror(errno));
	EXPECT_EQ(0, touch_write(p, 1));
	EXPECT_EQ(0, touch_write(p + PAGE_4K, 2));
	EXPECT_EQ(0, touch_write(p + SZ_2M - 1, 3));
	EXPECT_EQ(3ULL, data_pages(fd));
	munmap(p, SZ_2M);
}

TEST_F(mm, mapping_populates_nothing)
{
	int fd = self->s.fd;
	unsigned char *p;

	p = rw_area_mapped(fd, 16 * PAGE_4K);
	ASSERT_NE(NULL, p);
	EXPECT_EQ(0ULL, data_pages(fd));
	EXPECT_EQ(0LL, gas_pagemap_hpa(p));
	munmap(p, 16 * PAGE_4K);
	EXPECT_EQ(0ULL, data_pages(fd));
}

TEST_F(mm, touch_populates_a_lazy_page)
{
	struct gaspace_translation t;
	int fd = self->s.fd;
	unsigned char *p;

	p = rw_area_mapped(fd, 4 * PAGE_4K);
	ASSERT_NE(NULL, p);
	/* a read touch: zeros, one frame */
	EXPECT_EQ(0, peek(p + PAGE_4K + 5));
	EXPECT_EQ(1ULL, data_pages(fd));
	ASSERT_EQ(0, gas_translate(fd, BASE + PAGE_4K, &t));
	EXPECT_EQ((__u32)GAS_PROT_RW, t.prot);
	EXPECT_EQ(-ENOENT, gas_translate(fd, BASE, &t));
	/* a write touch */
	EXPECT_EQ(0, touch_write(p + 3 * PAGE_4K, 0x77));
	EXPECT_EQ(2ULL, data_pages(fd));
	EXPECT_EQ(0, gas_translate(fd, BASE + 3 * PAGE_4K, &t));
	EXPECT_COUNTERS(fd, 1, self->s.root_pages + self->s.levels - 1, 2,
			2 * PAGE_4K);
	/* touching again allocates nothing */
	EXPECT_EQ(0x77, peek(p + 3 * PAGE_4K));
	EXPECT_EQ(2ULL, data_pages(fd));
	munmap(p, 4 * PAGE_4K);
}

TEST_F(mm, vmm_and_guest_see_one_frame)
{
	struct gaspace_translation t;
	int fd = self->s.fd;
	unsigned char buf[64];
	unsigned char *p;
	unsigned int i;

	p = rw_area_mapped(fd, 8 * PAGE_4K);
	ASSERT_NE(NULL, p);

	/* write through the mapping, read with pread */
	memcpy(p + 100, "through mmap", 12);
	ASSERT_EQ(12, gas_pread(fd, buf, 12, BASE + 100));
	EXPECT_EQ(0, memcmp(buf, "through mmap", 12));
	/* pwrite, read through the mapping */
	ASSERT_EQ(11, gas_pwrite(fd, "with pwrite", 11, BASE + PAGE_4K));
	EXPECT_EQ(0, memcmp(p + PAGE_4K, "with pwrite", 11));
	/* a page FAULT populated, then touched */
	ASSERT_EQ(0, gas_fault(fd, BASE + 2 * PAGE_4K, GASPACE_PROT_WRITE));
	p[2 * PAGE_4K] = 0x42;
	ASSERT_EQ(1, gas_pread(fd, buf, 1, BASE + 2 * PAGE_4K));
	EXPECT_EQ(0x42, buf[0]);
	/* and FAULT of a touched page finds it present */
	EXPECT_EQ(0, gas_fault(fd, BASE + 100, GAS_PROT_RW));
	EXPECT_EQ(3ULL, data_pages(fd));

	/* the same host frame (pagemap shows it to CAP_SYS_ADMIN) */
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, gas_translate(fd, BASE + i * PAGE_4K + 9, &t));
		EXPECT_EQ((long long)t.hpa,
			  gas_pagemap_hpa(p + i * PAGE_4K + 9))
			TH_LOG("page %u", i);
	}
	munmap(p, 8 * PAGE_4K);
}

TEST_F(mm, two_mappings_share_the_frames)
{
	int fd = self->s.fd;
	unsigned char *a, *b;

	ASSERT_EQ(0, gas_map_alloc(fd, BASE, 4 * PAGE_4K, GAS_PROT_RW, 0));
	a = gas_mmap(fd, BASE, 4 * PAGE_4K, MAP_SHARED);
	b = gas_mmap(fd, BASE + PAGE_4K, 3 * PAGE_4K, MAP_SHARED);
	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, b);
	a[PAGE_4K + 1] = 0x31;
	b[PAGE_4K + 2] = 0x32;
	EXPECT_EQ(0x31, b[1]);
	EXPECT_EQ(0x32, a[2 * PAGE_4K + 2]);
	EXPECT_EQ(2ULL, data_pages(fd));
	EXPECT_EQ(gas_pagemap_hpa(a + PAGE_4K), gas_pagemap_hpa(b));
	munmap(a, 4 * PAGE_4K);
	munmap(b, 3 * PAGE_4K);
}

TEST_F(mm, huge_block_through_the_mapping)
{
	struct gaspace_translation t;
	int fd = self->s.fd;
	unsigned char *p;
	unsigned int i;

	ASSERT_EQ(0, gas_map_alloc(fd, BASE, SZ_2M, GAS_PROT_RW,
				   GASPACE_MAP_HUGE));
	p = gas_mmap(fd, BASE, SZ_2M, MAP_SHARED);
	ASSERT_NE(NULL, p);
	EXPECT_EQ(0, touch_write(p + 300 * PAGE_4K + 1, 0x55));
	ASSERT_EQ(0, gas_translate(fd, BASE, &t));
	if (t.page_size != SZ_2M)
		SKIP(return, "no 2 MiB frame (an order-9 allocation failed)");
	EXPECT_EQ(512ULL, data_pages(fd));
	/* every page of the block is that frame, in order */
	for (i = 0; i < 512; i += 73) {
		EXPECT_EQ(0, peek(p + i * PAGE_4K));
		EXPECT_EQ((long long)(t.hpa + i * PAGE_4K),
			  gas_pagemap_hpa(p + i * PAGE_4K)) TH_LOG("page %u", i);
	}
	EXPECT_EQ(512ULL, data_pages(fd));
	munmap(p, SZ_2M);
}

TEST_F(mm, unmap_zaps_and_touch_raises_sigbus)
{
	int fd = self->s.fd;
	unsigned char *p;

	p = rw_area_mapped(fd, 4 * PAGE_4K);
	ASSERT_NE(NULL, p);
	memset(p, 0x66, 3 * PAGE_4K);	/* page 3 stays lazy */
	ASSERT_EQ(3ULL, data_pages(fd));

	ASSERT_EQ(0, gas_unmap(fd, BASE, 4 * PAGE_4K));
	EXPECT_EQ(0LL, gas_pagemap_hpa(p));
	EXPECT_EQ(SIGBUS, touch_read(p));
	EXPECT_EQ(SIGBUS, touch_write(p + PAGE_4K + 7, 1));
	EXPECT_EQ(SIGBUS, touch_read(p + 3 * PAGE_4K));
	EXPECT_EQ(SIGBUS, touch_write(p + 3 * PAGE_4K, 1));
	EXPECT_COUNTERS(fd, 0, self->s.root_pages, 0, 0);
	munmap(p, 4 * PAGE_4K);
}

TEST_F(mm, partial_unmap_zaps_only_its_range)
{
	int fd = self->s.fd;
	unsigned char *p;

	p = rw_area_mapped(fd, 4 * PAGE_4K);
	ASSERT_NE(NULL, p);
	memset(p, 0x67, 4 * PAGE_4K);
	ASSERT_EQ(0, gas_unmap(fd, BASE + PAGE_4K, 2 * PAGE_4K));
	EXPECT_EQ(0x67, peek(p));
	EXPECT_EQ(0x67, peek(p + 4 * PAGE_4K - 1));
	EXPECT_EQ(-SIGBUS, peek(p + PAGE_4K));
	EXPECT_EQ(-SIGBUS, peek(p + 3 * PAGE_4K - 1));
	EXPECT_EQ(2ULL, data_pages(fd));
	munmap(p, 4 * PAGE_4K);
}

/* Mapped again after an UNMAP: a fresh zeroed frame, never the old one. */
TEST_F(mm, mapped_again_reads_zeros)
{
	int fd = self->s.fd;
	unsigned char *p;

	p = rw_area_mapped(fd, 2 * PAGE_4K);
	ASSERT_NE(NULL, p);
	memset(p, 0x68, 2 * PAGE_4K);
	ASSERT_EQ(0, gas_unmap(fd, BASE, 2 * PAGE_4K));
	EXPECT_EQ(-SIGBUS, peek(p));
	ASSERT_EQ(0, gas_map_alloc(fd, BASE, 2 * PAGE_4K, GAS_PROT_RW, 0));
	EXPECT_EQ(0, peek(p + 10));
	EXPECT_EQ(-1, gas_bytes_diff(p, 0, 2 * PAGE_4K));
	EXPECT_EQ(2ULL, data_pages(fd));
	/* a linear area there now: SIGBUS, no frame of its own */
	ASSERT_EQ(0, gas_map_linear(fd, BASE, PAGE_4K, HPA, GAS_PROT_RW,
				    GASPACE_MAP_REPLACE));
	EXPECT_EQ(-SIGBUS, peek(p));
	EXPECT_EQ(0, peek(p + PAGE_4K));
	munmap(p, 2 * PAGE_4K);
}

TEST_F(mm, unmap_of_part_of_a_2m_frame)
{
	struct gaspace_translation t;
	int fd = self->s.fd;
	unsigned char *p;
	long long hpa;

	ASSERT_EQ(0, gas_map_alloc(fd, BASE, SZ_2M, GAS_PROT_RW,
				   GASPACE_MAP_HUGE | GASPACE_MAP_POPULATE));
	ASSERT_EQ(0, gas_translate(fd, BASE, &t));
	if (t.page_size != SZ_2M)
		SKIP(return, "no 2 MiB frame (an order-9 allocation failed)");
	p = gas_mmap(fd, BASE, SZ_2M, MAP_SHARED);
	ASSERT_NE(NULL, p);
	memset(p, 0x69, SZ_2M);
	ASSERT_EQ(0, gas_unmap(fd, BASE + 7 * PAGE_4K, PAGE_4K));
	EXPECT_EQ(511ULL, data_pages(fd));
	EXPECT_EQ(-SIGBUS, peek(p + 7 * PAGE_4K));
	EXPECT_EQ(-SIGBUS, peek(p + 8 * PAGE_4K - 1));
	EXPECT_EQ(0x69, peek(p + 6 * PAGE_4K));
	EXPECT_EQ(0x69, peek(p + 8 * PAGE_4K));
	hpa = gas_pagemap_hpa(p + 8 * PAGE_4K);
	EXPECT_EQ((long long)(t.hpa + 8 * PAGE_4K), hpa);
	munmap(p, SZ_2M);
}

TEST_F(mm, replace_zaps)
{
	int fd = self->s.fd;
	unsigned char *p;

	ASSERT_EQ(0, gas_map_alloc(fd, BASE, 4 * PAGE_4K, GAS_PROT_RW,
				   GASPACE_MAP_POPULATE));
	p = gas_mmap(fd, BASE, 4 * PAGE_4K, MAP_SHARED);
	ASSERT_NE(NULL, p);
	memset(p, 0x6a, 4 * PAGE_4K);

	/* by another alloc area: the VMM sees its fresh zeroed frame */
	ASSERT_EQ(0, gas_map_alloc(fd, BASE + PAGE_4K, PAGE_4K, GAS_PROT_RW,
				   GASPACE_MAP_REPLACE));
	EXPECT_EQ(0, peek(p + PAGE_4K));
	EXPECT_EQ(-1, gas_bytes_diff(p + PAGE_4K, 0, PAGE_4K));
	/* by a linear area: SIGBUS */
	ASSERT_EQ(0, gas_map_linear(fd, BASE + 2 * PAGE_4K, PAGE_4K, HPA,
				    GAS_PROT_RW, GASPACE_MAP_REPLACE));
	EXPECT_EQ(-SIGBUS, peek(p + 2 * PAGE_4K));
	EXPECT_EQ(SIGBUS, touch_write(p + 2 * PAGE_4K, 1));
	/* the rest is untouched */
	EXPECT_EQ(0x6a, peek(p));
	EXPECT_EQ(0x6a, peek(p + 3 * PAGE_4K));
	EXPECT_EQ(3ULL, data_pages(fd));
	munmap(p, 4 * PAGE_4K);
}

TEST_F(mm, protect_does_not_restrict_the_vmm)
{
	struct gaspace_translation t;
	int fd = self->s.fd;
	unsigned char c, *p;
	long long hpa;

	p = rw_area_mapped(fd, 4 * PAGE_4K);
	ASSERT_NE(NULL, p);
	p[0] = 1;
	hpa = gas_pagemap_hpa(p);
	ASSERT_EQ(0, gas_protect(fd, BASE, 4 * PAGE_4K, GASPACE_PROT_READ));
	EXPECT_EQ(0, touch_write(p, 2));
	ASSERT_EQ(0, gas_protect(fd, BASE, 4 * PAGE_4K, 0));
	EXPECT_EQ(0, touch_write(p + 1, 3));
	EXPECT_EQ(2, peek(p));
	/* a lazy page of a prot 0 area: populated, still not present */
	EXPECT_EQ(0, touch_write(p + 2 * PAGE_4K, 4));
	EXPECT_EQ(2ULL, data_pages(fd));
	EXPECT_EQ(-ENOENT, gas_translate(fd, BASE + 2 * PAGE_4K, &t));
	EXPECT_EQ(-EACCES, gas_fault(fd, BASE, GASPACE_PROT_READ));
	ASSERT_EQ(1, gas_pread(fd, &c, 1, BASE + 2 * PAGE_4K));
	EXPECT_EQ(4, c);
	/* prot back: the guest sees the VMM's frames */
	ASSERT_EQ(0, gas_protect(fd, BASE, 4 * PAGE_4K, GAS_PROT_RW));
	ASSERT_EQ(0, gas_translate(fd, BASE, &t));
	EXPECT_EQ(hpa, (long long)t.hpa);
	ASSERT_EQ(0, gas_translate(fd, BASE + 2 * PAGE_4K, &t));
	EXPECT_EQ(gas_pagemap_hpa(p + 2 * PAGE_4K), (long long)t.hpa);
	EXPECT_EQ(3, peek(p + 1));
	munmap(p, 4 * PAGE_4K);
}

/* MADV_DONTNEED drops the PTEs only: the next touch finds the frame. */
TEST_F(mm, dontneed_keeps_the_guest_memory)
{
	int fd = self->s.fd;
	unsigned char *p;
	long long hpa;

	p = rw_area_mapped(fd, 2 * PAGE_4K);
	ASSERT_NE(NULL, p);
	memset(p, 0x6b, 2 * PAGE_4K);
	hpa = gas_pagemap_hpa(p);
	ASSERT_EQ(0, madvise(p, 2 * PAGE_4K, MADV_DONTNEED));
	EXPECT_EQ(0x6b, peek(p + 5));
	EXPECT_EQ(hpa, gas_pagemap_hpa(p));
	EXPECT_EQ(2ULL, data_pages(fd));
	munmap(p, 2 * PAGE_4K);
}

/* A mapping grown past its area faults SIGBUS there, never a frame. */
TEST_F(mm, mremap_past_the_area_is_sigbus)
{
	int fd = self->s.fd;
	unsigned char *p, *q;

	ASSERT_EQ(0, gas_map_alloc(fd, BASE, PAGE_4K, GAS_PROT_RW, 0));
	ASSERT_EQ(0, gas_map_linear(fd, BASE + PAGE_4K, PAGE_4K, HPA,
				    GAS_PROT_RW, 0));
	p = gas_mmap(fd, BASE, PAGE_4K, MAP_SHARED);
	ASSERT_NE(NULL, p);
	p[0] = 1;
	q = mremap(p, PAGE_4K, 3 * PAGE_4K, MREMAP_MAYMOVE);
	if (q == MAP_FAILED) {
		/* refusing to grow is as good */
		TH_LOG("mremap: %s", strerror(errno));
		munmap(p, PAGE_4K);
		return;
	}
	EXPECT_EQ(1, peek(q));
	EXPECT_EQ(-SIGBUS, peek(q + PAGE_4K));	/* linear */
	EXPECT_EQ(-SIGBUS, peek(q + 2 * PAGE_4K));	/* hole */
	EXPECT_EQ(1ULL, data_pages(fd));
	munmap(q, 3 * PAGE_4K);
}

/*
 * The module's refcount with the fixture's space closed (its device fd
 * open): what it must come back to once a new space is gone.
 */
static long long refcnt_without_space(struct gas_space *s)
{
	gas_close_audited(s->fd);
	s->fd = -1;
	return gas_module_refcnt();
}

TEST_F(mm, mapping_outlives_close)
{
	long long refcnt = refcnt_without_space(&self->s);
	struct gaspace_info info;
	unsigned char *p;
	int fd;

	ASSERT_LE(0, refcnt);
	fd = gas_create(self->s.dev, variant->format, variant->bits, BASE,
			SIZE);
	ASSERT_LE(0, fd);
	p = rw_area_mapped(fd, 4 * PAGE_4K);
	ASSERT_NE(NULL, p);
	p[0] = 0x6c;
	EXPECT_CLOSE_AUDITED(fd);

	/* the fd is gone, the space and the module reference are not */
	EXPECT_EQ(-EBADF, gas_get_info(fd, &info));
	EXPECT_LT(refcnt, gas_module_refcnt());
	EXPECT_EQ(0x6c, peek(p));
	EXPECT_EQ(0, touch_write(p + 3 * PAGE_4K, 0x6d));	/* lazy */
	EXPECT_EQ(0x6d, peek(p + 3 * PAGE_4K));
	EXPECT_NE(0LL, gas_pagemap_hpa(p + 3 * PAGE_4K));
	/* the last reference: the space and its module reference go */
	munmap(p, 4 * PAGE_4K);
	EXPECT_EQ(refcnt, gas_refcnt_settle(refcnt));
}

TEST_F(mm, a_mapping_of_a_closed_space_still_zaps)
{
	int fd = self->s.fd;
	unsigned char *p;
	int dup_fd;

	p = rw_area_mapped(fd, 2 * PAGE_4K);
	ASSERT_NE(NULL, p);
	p[0] = 1;
	dup_fd = dup(fd);
	ASSERT_LE(0, dup_fd);
	gas_space_close(&self->s);
	ASSERT_EQ(0, gas_unmap(dup_fd, BASE, PAGE_4K));
	EXPECT_EQ(-SIGBUS, peek(p));
	EXPECT_EQ(0, peek(p + PAGE_4K));
	close(dup_fd);
	EXPECT_EQ(0, peek(p + PAGE_4K));
	munmap(p, 2 * PAGE_4K);
}

TEST_F(mm, fork_shares_the_mapping)
{
	int fd = self->s.fd;
	unsigned char *p;
	int status;
	pid_t pid;

	p = rw_area_mapped(fd, 4 * PAGE_4K);
	ASSERT_NE(NULL, p);
	p[0] = 0x10;	/* populated before the fork */

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (p[0] != 0x10)
			_exit(1);
		p[1] = 0x11;			/* a populated page */
		p[2 * PAGE_4K] = 0x12;		/* a lazy one */
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(0x11, p[1]);
	EXPECT_EQ(0x12, p[2 * PAGE_4K]);
	EXPECT_EQ(2ULL, data_pages(fd));
	munmap(p, 4 * PAGE_4K);
}

TEST_F(mm, unmap_in_the_parent_zaps_the_child)
{
	int fd = self->s.fd;
	int status, go[2];
	unsigned char *p;
	pid_t pid;

	p = rw_area_mapped(fd, 2 * PAGE_4K);
	ASSERT_NE(NULL, p);
	memset(p, 0x13, 2 * PAGE_4K);
	ASSERT_EQ(0, pipe(go));

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		char c;

		signal(SIGBUS, SIG_DFL);
		close(go[1]);
		if (p[PAGE_4K] != 0x13)
			_exit(1);
		if (read(go[0], &c, 1) != 0)
			_exit(2);
		if (p[PAGE_4K] != 0x13)
			_exit(3);
		c = p[0];	/* SIGBUS */
		_exit(c == 0x13 ? 4 : 5);
	}
	close(go[0]);
	ASSERT_EQ(0, gas_unmap(fd, BASE, PAGE_4K));
	close(go[1]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status)) TH_LOG("child exited with %d",
						WEXITSTATUS(status));
	if (WIFSIGNALED(status))
		EXPECT_EQ(SIGBUS, WTERMSIG(status));
	munmap(p, 2 * PAGE_4K);
}

TEST_F(mm, child_keeps_the_mapping_after_parent_unmaps_its_own)
{
	long long refcnt = refcnt_without_space(&self->s);
	int status, go[2];
	unsigned char *p;
	pid_t pid;
	int fd;

	fd = gas_create(self->s.dev, variant->format, variant->bits, BASE,
			SIZE);
	ASSERT_LE(0, fd);
	p = rw_area_mapped(fd, 2 * PAGE_4K);
	ASSERT_NE(NULL, p);
	p[0] = 0x14;
	ASSERT_EQ(0, pipe(go));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		char c;

		/* the child's only reference is its copy of the mapping */
		close(go[1]);
		close(fd);
		close(self->s.dev);
		if (read(go[0], &c, 1) != 0)
			_exit(2);
		if (p[0] != 0x14)
			_exit(3);
		p[PAGE_4K] = 0x15;
		_exit(p[PAGE_4K] == 0x15 ? 0 : 4);
	}
	close(go[0]);
	munmap(p, 2 * PAGE_4K);
	EXPECT_CLOSE_AUDITED(fd);
	EXPECT_LT(refcnt, gas_module_refcnt());
	close(go[1]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(refcnt, gas_refcnt_settle(refcnt));
}

/* Access by another path into the mapping (GUP): /proc/self/mem. */
TEST_F(mm, proc_mem_goes_through_the_space)
{
	int fd = self->s.fd;
	unsigned char buf[8], *p;
	int mem;

	p = rw_area_mapped(fd, 2 * PAGE_4K);
	ASSERT_NE(NULL, p);
	mem = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, mem);
	memset(buf, 0xff, sizeof(buf));
	/* a lazy page: populated, zeros */
	EXPECT_EQ(8, pread(mem, buf, 8, (off_t)(unsigned long)(p + 8)));
	EXPECT_EQ(-1, gas_bytes_diff(buf, 0, 8));
	EXPECT_EQ(1ULL, data_pages(fd));
	EXPECT_EQ(5, pwrite(mem, "proc!", 5,
			    (off_t)(unsigned long)(p + PAGE_4K + 1)));
	EXPECT_EQ(2ULL, data_pages(fd));
	ASSERT_EQ(5, gas_pread(fd, buf, 5, BASE + PAGE_4K + 1));
	EXPECT_EQ(0, memcmp(buf, "proc!", 5));
	/* gone after UNMAP: no stale frame this way either */
	ASSERT_EQ(0, gas_unmap(fd, BASE, PAGE_4K));
	EXPECT_GT(0, pread(mem, buf, 8, (off_t)(unsigned long)p));
	EXPECT_EQ(5, pread(mem, buf, 5,
			   (off_t)(unsigned long)(p + PAGE_4K + 1)));
	close(mem);
	munmap(p, 2 * PAGE_4K);
}

/* A VMM that locks guest memory (mlockall, QEMU's mem-lock=on). */
TEST_F(mm, mlock_populates_and_unmap_still_zaps)
{
	int fd = self->s.fd;
	unsigned char *p;

	p = rw_area_mapped(fd, 8 * PAGE_4K);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, mlock(p, 8 * PAGE_4K)) TH_LOG("%s", strerror(errno));
	EXPECT_EQ(8ULL, data_pages(fd));
	p[3 * PAGE_4K] = 3;
	ASSERT_EQ(0, gas_unmap(fd, BASE + 2 * PAGE_4K, 2 * PAGE_4K));
	EXPECT_EQ(-SIGBUS, peek(p + 3 * PAGE_4K));
	EXPECT_EQ(0, peek(p + 4 * PAGE_4K));
	EXPECT_EQ(6ULL, data_pages(fd));
	ASSERT_EQ(0, gas_unmap(fd, BASE, 8 * PAGE_4K));
	EXPECT_EQ(0, munlock(p, 8 * PAGE_4K));
	munmap(p, 8 * PAGE_4K);
	EXPECT_COUNTERS(fd, 0, self->s.root_pages, 0, 0);
}

#define MEMCG_SLACK	(128LL * 4096)	/* per-CPU charge batches, 2 CPUs */

static long long memcg_current(const char *cg)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/memory.current", cg);
	return gas_read_number(path);
}

/*
 * The last reference is the mapping: while it lives the frames and table
 * pages stay (charged to the task that populated them, counted in
 * SecPageTables); its munmap frees every one.
 */
TEST_F(mm, last_reference_frees_frames_and_tables)
{
	long long tables0, tables1, cur0, cur1, cur2, cur3;
	size_t len = 4 * SZ_2M;
	unsigned char *p;
	char cg[128];
	int fd, ret;

	ret = gas_memcg_new(cg, sizeof(cg), "mmap");
	if (ret == -ENOENT)
		SKIP(return, "no cgroup2 memory controller");
	ASSERT_EQ(0, ret) TH_LOG("memory cgroup: %s", strerror(-ret));
	ASSERT_EQ(0, gas_cgroup_join(cg));

	tables0 = gas_sec_page_tables_kb();
	cur0 = memcg_current(cg);
	fd = gas_create(self->s.dev, variant->format, variant->bits, BASE,
			SIZE);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, gas_map_alloc(fd, BASE, len, GAS_PROT_RW,
				   GASPACE_MAP_POPULATE));
	p = gas_mmap(fd, BASE, len, MAP_SHARED);
	ASSERT_NE(NULL, p);
	p[0] = 1;
	tables1 = gas_sec_page_tables_kb();
	cur1 = memcg_current(cg);
	EXPECT_CLOSE_AUDITED(fd);

	/* only the mapping holds the space now */
	EXPECT_EQ(tables1, gas_sec_page_tables_kb());
	cur2 = memcg_current(cg);
	EXPECT_LE(cur0 + (long long)len, cur1 + MEMCG_SLACK)
		TH_LOG("memory.current %lld -> %lld", cur0, cur1);
	EXPECT_LE(cur1 - MEMCG_SLACK, cur2);
	EXPECT_LT(tables0, tables1);

	munmap(p, len);
	EXPECT_EQ(tables0, gas_sec_page_tables_kb());
	cur3 = memcg_current(cg);
	EXPECT_GE(cur0 + MEMCG_SLACK, cur3)
		TH_LOG("memory.current %lld -> %lld -> %lld -> %lld", cur0,
		       cur1, cur2, cur3);

	ASSERT_EQ(0, gas_cgroup_join(GAS_CGROUP_ROOT));
	EXPECT_EQ(0, rmdir(cg));
}

/* ---- threads: touches racing MAP/UNMAP (gaspace.rst 10) ---- */

#define A_PAGES		48
#define C_GPA		(BASE + 64 * SZ_2M)
#define C_PAGES		30
#define TOUCHERS	3
#define CHURN_ITERS	150

struct race {
	int fd;
	struct gas_race race;
	unsigned char *a, *c;
	pthread_barrier_t go;
};

struct worker {
	struct race *r;
	unsigned int idx;
};

static void surprise(struct race *r, const char *what, __u64 at, long v)
{
	gas_race_surprise(&r->race, what, at, v);
}

/*
 * Toucher @idx owns the pages p with p % TOUCHERS == idx, writes the byte
 * idx + 1 at their start and reads them back: in A always, in C when no
 * SIGBUS says the area is gone.  C's pages hold that byte or zero.
 */
static void *toucher(void *arg)
{
	struct worker *w = arg;
	struct race *r = w->r;
	unsigned char fill = w->idx + 1;
	unsigned int it;

	pthread_barrier_wait(&r->go);
	for (it = 0;
	     it < A_PAGES || (!gas_race_stopped(&r->race) && it < 200000);
	     it++) {
		unsigned long off;
		unsigned char c = 0;
		int sig;

		off = (it % (A_PAGES / TOUCHERS) * TOUCHERS + w->idx) *
		      PAGE_4K + it % 64;
		if (gas_touch(r->a + off, true, fill, NULL) ||
		    gas_touch(r->a + off, false, 0, &c) || c != fill)
			surprise(r, "A", off, c);

		off = (it % (C_PAGES / TOUCHERS) * TOUCHERS + w->idx) *
		      PAGE_4K;
		sig = gas_touch(r->c + off, false, 0, &c);
		if (!sig && c && c != fill)
			surprise(r, "stale byte in C", off, c);
		gas_touch(r->c + off, true, fill, NULL);
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
			surprise(r, what, 0, ret);
	}
	gas_race_stop(&r->race);
	return NULL;
}

TEST_F_TIMEOUT(mm, threads_touch_while_unmapping, 120)
{
	struct gas_run run = { BASE, A_PAGES * PAGE_4K, 0 };
	struct worker w[TOUCHERS + 1];
	pthread_t tid[TOUCHERS + 1];
	struct race *r;
	unsigned int i;

	ASSERT_EQ(0, gas_map_alloc(self->s.fd, BASE, A_PAGES * PAGE_4K,
				   GAS_PROT_RW, 0));
	ASSERT_EQ(0, gas_map_alloc(self->s.fd, C_GPA, C_PAGES * PAGE_4K,
				   GAS_PROT_RW, 0));
	r = calloc(1, sizeof(*r));
	ASSERT_NE(NULL, r);
	r->fd = self->s.fd;
	r->a = gas_mmap(r->fd, BASE, A_PAGES * PAGE_4K, MAP_SHARED);
	r->c = gas_mmap(r->fd, C_GPA, C_PAGES * PAGE_4K, MAP_SHARED);
	ASSERT_NE(NULL, r->a);
	ASSERT_NE(NULL, r->c);
	ASSERT_EQ(0, gas_unmap(self->s.fd, C_GPA, C_PAGES * PAGE_4K));
	pthread_barrier_init(&r->go, NULL, TOUCHERS + 1);
	for (i = 0; i <= TOUCHERS; i++) {
		w[i].r = r;
		w[i].idx = i ? i - 1 : 0;
		ASSERT_EQ(0, pthread_create(&tid[i], NULL,
					    i ? toucher : churner, &w[i]));
	}
	for (i = 0; i <= TOUCHERS; i++)
		pthread_join(tid[i], NULL);
	EXPECT_NO_SURPRISE(&r->race);
	EXPECT_COUNTERS(self->s.fd, 1,
			gas_tables_for(self->s.levels, self->s.root_pages,
				       &run, 1),
			A_PAGES, A_PAGES * PAGE_4K);
	/* C is gone: every page of its mapping faults */
	for (i = 0; i < C_PAGES; i++)
		EXPECT_EQ(-SIGBUS, peek(r->c + i * PAGE_4K)) TH_LOG("page %u", i);
	munmap(r->a, A_PAGES * PAGE_4K);
	munmap(r->c, C_PAGES * PAGE_4K);
	free(r);
}

TEST_HARNESS_MAIN
