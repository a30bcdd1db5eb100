// SPDX-License-Identifier: GPL-2.0
/*
 * file_test: the address-space fd as a file (GASPACE_CAP_FILE), on every
 * format.
 *
 * fstat gives st_size = base + size and st_blocks = 8 * nr_data_pages of a
 * regular file that cannot be truncated.  lseek moves the position with
 * SEEK_SET, SEEK_CUR and SEEK_END, and SEEK_DATA/SEEK_HOLE list exactly
 * the pages that have a frame (linear areas and lazy pages are holes),
 * with -ENXIO at the end.  fallocate populates (not on demand, 2 MiB
 * frames in HUGE areas, all or nothing) and PUNCH_HOLE frees frames, part
 * of a 2 MiB frame exactly, zeroing partial pages in place; a VMM mapping
 * then reads fresh zeros without SIGBUS.  Every error path, in order, with
 * nothing changed; the dirty log and USERFAULT areas with both.
 */
#include <fcntl.h>
#include <linux/falloc.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "gaspace_util.h"
#include "kselftest_harness.h"

#define SZ_64K		(64 * 1024ULL)
#define BASE		SZ_1G
#define SIZE		SZ_1G
#define END		(BASE + SIZE)
#define HPA		BIT_ULL(40)
#define ALLOC		BASE			/* alloc, 4 MiB, HUGE, lazy */
#define ALLOC_SIZE	(2 * SZ_2M)
#define LINEAR		(BASE + 4 * SZ_2M)	/* linear, 2 MiB */
#define LAZY		(BASE + SZ_1G / 2)	/* alloc, 256 MiB, 4 KiB */
#define LAZY_SIZE	(SZ_1G / 4)
#define UF		(BASE + 8 * SZ_2M)	/* USERFAULT, 64 KiB, per test */
#define PUNCH		(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE)

FIXTURE(file) {
	struct gas_space s;
	unsigned char buf[3 * 4096];
};

FIXTURE_VARIANT(file) {
	unsigned int format;
	unsigned int bits;
};

FIXTURE_VARIANT_ADD(file, ept) GAS_GEOMETRY(EPT, 48);
FIXTURE_VARIANT_ADD(file, npt) GAS_GEOMETRY(NPT, 48);
FIXTURE_VARIANT_ADD(file, arm64_s2) GAS_GEOMETRY(ARM64_S2, 40);
FIXTURE_VARIANT_ADD(file, riscv_g) GAS_GEOMETRY(RISCV_G, 41);

FIXTURE_SETUP(file)
{
	int fd;

	ASSERT_EQ(0, gas_space_open(&self->s, variant->format, variant->bits,
				    BASE, SIZE));
	fd = self->s.fd;
	ASSERT_EQ(0, gas_map_alloc(fd, ALLOC, ALLOC_SIZE, GAS_PROT_RW,
				   GASPACE_MAP_HUGE));
	ASSERT_EQ(0, gas_map_linear(fd, LINEAR, SZ_2M, HPA, GAS_PROT_RW, 0));
	ASSERT_EQ(0, gas_map_alloc(fd, LAZY, LAZY_SIZE, GAS_PROT_RW, 0));
}

FIXTURE_TEARDOWN(file)
{
	gas_space_close(&self->s);
}

static struct gaspace_info get_info(int fd)
{
	struct gaspace_info info;

	memset(&info, 0xff, sizeof(info));
	gas_get_info(fd, &info);
	return info;
}

static int falloc(int fd, int mode, __u64 off, __u64 len)
{
	return fallocate(fd, mode, (off_t)off, (off_t)len) ? -errno : 0;
}

static long long seek(int fd, long long off, int whence)
{
	off_t r = lseek(fd, (off_t)off, whence);

	return r < 0 ? -errno : (long long)r;
}

/* Whether a 2 MiB frame could be had: the lazy HUGE block at @gpa. */
static bool block_at(int fd, __u64 gpa)
{
	struct gaspace_translation t;

	return !gas_translate(fd, gpa, &t) && t.page_size == SZ_2M;
}

/* The counters a failed call must leave as they were. */
static void expect_same(struct __test_metadata *_metadata, int fd,
			const struct gaspace_info *before)
{
	struct gaspace_info a = get_info(fd);

	EXPECT_EQ(before->nr_areas, a.nr_areas);
	EXPECT_EQ(before->nr_table_pages, a.nr_table_pages);
	EXPECT_EQ(before->nr_data_pages, a.nr_data_pages);
	EXPECT_EQ(before->mapped_bytes, a.mapped_bytes);
	EXPECT_EQ(before->nr_leaves_4k, a.nr_leaves_4k);
	EXPECT_EQ(before->nr_leaves_2m, a.nr_leaves_2m);
	EXPECT_EQ(before->nr_dirty_pages, a.nr_dirty_pages);
}

TEST_F(file, cap_is_one)
{
	EXPECT_EQ(1, gas_ioctl(self->s.dev, GASPACE_CHECK_EXTENSION,
			       GASPACE_CAP_FILE));
}

/* A regular file of base + size bytes whose blocks are its frames. */
TEST_F(file, fstat_size_and_blocks)
{
	int fd = self->s.fd;
	struct stat st;

	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_TRUE(S_ISREG(st.st_mode));
	EXPECT_EQ(0600u, st.st_mode & 07777);
	EXPECT_EQ((off_t)END, st.st_size);
	EXPECT_EQ(0, st.st_blocks);
	ASSERT_EQ(1, gas_pwrite(fd, "x", 1, LAZY + 5));
	ASSERT_EQ(0, gas_fault(fd, ALLOC + SZ_2M, GASPACE_PROT_WRITE));
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_EQ((blkcnt_t)(8 * get_info(fd).nr_data_pages), st.st_blocks);
	EXPECT_LE(16, st.st_blocks);
	EXPECT_EQ((off_t)END, st.st_size);
	/* the size is the space's */
	EXPECT_EQ(-1, ftruncate(fd, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ftruncate(fd, (off_t)END));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_EQ((off_t)END, st.st_size);
	/* a 2 MiB block and a page discarded: 8 * 513 fewer blocks */
	ASSERT_EQ(0, falloc(fd, PUNCH, ALLOC, ALLOC_SIZE));
	ASSERT_EQ(0, falloc(fd, PUNCH, LAZY, PAGE_4K));
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_EQ(0, st.st_blocks);
}

TEST_F(file, lseek_set_cur_end)
{
	int fd = self->s.fd;
	char c = 0;

	EXPECT_EQ(0, seek(fd, 0, SEEK_CUR));
	EXPECT_EQ(12345, seek(fd, 12345, SEEK_SET));
	EXPECT_EQ(12355, seek(fd, 10, SEEK_CUR));
	EXPECT_EQ(12345, seek(fd, -10, SEEK_CUR));
	EXPECT_EQ((long long)END, seek(fd, 0, SEEK_END));
	EXPECT_EQ((long long)(END - PAGE_4K), seek(fd, -4096, SEEK_END));
	/* past the end, as on a regular file */
	EXPECT_EQ((long long)(END + PAGE_4K), seek(fd, 4096, SEEK_END));
	EXPECT_EQ(-EINVAL, seek(fd, -1, SEEK_SET));
	EXPECT_EQ(-EINVAL, seek(fd, -(long long)END - 1, SEEK_END));
	EXPECT_EQ(-EINVAL, seek(fd, 0, 5));
	EXPECT_EQ((long long)(END + PAGE_4K), seek(fd, 0, SEEK_CUR));
	/* read() and write() use and move the position */
	ASSERT_EQ(1, gas_pwrite(fd, "q", 1, LAZY + 7));
	EXPECT_EQ((long long)LAZY + 7, seek(fd, LAZY + 7, SEEK_SET));
	EXPECT_EQ(1, read(fd, &c, 1));
	EXPECT_EQ('q', c);
	EXPECT_EQ((long long)LAZY + 8, seek(fd, 0, SEEK_CUR));
	EXPECT_EQ(1, write(fd, "r", 1));
	EXPECT_EQ((long long)LAZY + 9, seek(fd, 0, SEEK_CUR));
}

/* SEEK_DATA and SEEK_HOLE at the edges of the space, in an empty one. */
TEST_F(file, seek_data_hole_edges)
{
	int fd = self->s.fd;

	EXPECT_EQ(-ENXIO, seek(fd, 0, SEEK_DATA));
	EXPECT_EQ(-ENXIO, seek(fd, BASE, SEEK_DATA));
	EXPECT_EQ(0, seek(fd, 0, SEEK_HOLE));
	EXPECT_EQ((long long)ALLOC + 3, seek(fd, ALLOC + 3, SEEK_HOLE));
	EXPECT_EQ((long long)LINEAR, seek(fd, LINEAR, SEEK_HOLE));
	EXPECT_EQ((long long)END - 1, seek(fd, END - 1, SEEK_HOLE));
	EXPECT_EQ(-ENXIO, seek(fd, END, SEEK_HOLE));
	EXPECT_EQ(-ENXIO, seek(fd, END, SEEK_DATA));
	EXPECT_EQ(-ENXIO, seek(fd, END + PAGE_4K, SEEK_HOLE));
	EXPECT_EQ(-ENXIO, seek(fd, -1, SEEK_HOLE));
	EXPECT_EQ(-ENXIO, seek(fd, -1, SEEK_DATA));
	/* a failed seek leaves the position; a good one moves it */
	EXPECT_EQ((long long)END - 1, seek(fd, 0, SEEK_CUR));
	ASSERT_EQ(0, gas_map_alloc(fd, END - PAGE_4K, PAGE_4K, GAS_PROT_RW, 0));
	ASSERT_EQ(1, gas_pwrite(fd, "d", 1, END - 1));
	EXPECT_EQ((long long)(END - PAGE_4K), seek(fd, BASE, SEEK_DATA));
	EXPECT_EQ((long long)(END - PAGE_4K), seek(fd, 0, SEEK_CUR));
	EXPECT_EQ((long long)END - 2, seek(fd, END - 2, SEEK_DATA));
	/* the hole implied at the end */
	EXPECT_EQ((long long)END, seek(fd, END - PAGE_4K, SEEK_HOLE));
}

/* Frames are data, in every kind of area; everything else is a hole. */
TEST_F(file, seek_data_hole_runs)
{
	int fd = self->s.fd;
	__u64 lazy_end = LAZY + LAZY_SIZE, prot0 = LINEAR + SZ_2M;
	bool huge;

	ASSERT_EQ(0, gas_fault(fd, ALLOC + SZ_2M + 5, GASPACE_PROT_READ));
	huge = block_at(fd, ALLOC + SZ_2M);
	ASSERT_EQ(0, gas_map_alloc(fd, prot0, PAGE_4K, 0,
				   GASPACE_MAP_POPULATE));
	ASSERT_EQ(1, gas_pwrite(fd, "a", 1, LAZY + 5 * PAGE_4K));
	ASSERT_EQ(1, gas_pwrite(fd, "b", 1, LAZY + 6 * PAGE_4K + 9));
	ASSERT_EQ(1, gas_pwrite(fd, "c", 1, lazy_end - 1));
	EXPECT_EQ((long long)(ALLOC + SZ_2M), seek(fd, 0, SEEK_DATA));
	EXPECT_EQ((long long)(ALLOC + SZ_2M + (huge ? SZ_2M : PAGE_4K)),
		  seek(fd, ALLOC + SZ_2M, SEEK_HOLE));
	/* the linear area is a hole; the prot 0 page has its frame */
	EXPECT_EQ((long long)prot0, seek(fd, ALLOC + ALLOC_SIZE, SEEK_DATA));
	EXPECT_EQ((long long)prot0 + 7, seek(fd, prot0 + 7, SEEK_DATA));
	EXPECT_EQ((long long)(prot0 + PAGE_4K), seek(fd, prot0, SEEK_HOLE));
	EXPECT_EQ((long long)(LAZY + 5 * PAGE_4K),
		  seek(fd, prot0 + PAGE_4K, SEEK_DATA));
	EXPECT_EQ((long long)(LAZY + 7 * PAGE_4K),
		  seek(fd, LAZY + 5 * PAGE_4K, SEEK_HOLE));
	EXPECT_EQ((long long)(LAZY + 6 * PAGE_4K + 1),
		  seek(fd, LAZY + 6 * PAGE_4K + 1, SEEK_DATA));
	EXPECT_EQ((long long)(lazy_end - PAGE_4K),
		  seek(fd, LAZY + 7 * PAGE_4K, SEEK_DATA));
	EXPECT_EQ((long long)lazy_end, seek(fd, lazy_end - 1, SEEK_HOLE));
	EXPECT_EQ(-ENXIO, seek(fd, lazy_end, SEEK_DATA));
	/* a discarded page is a hole again */
	ASSERT_EQ(0, falloc(fd, PUNCH, LAZY + 5 * PAGE_4K, PAGE_4K));
	EXPECT_EQ((long long)(LAZY + 6 * PAGE_4K), seek(fd, LAZY, SEEK_DATA));
}

/* 1 % of 256 MiB populated at random: listed exactly, run by run. */
TEST_F(file, seek_lists_a_sparse_space)
{
	int fd = self->s.fd, npages = (int)(LAZY_SIZE / PAGE_4K), i, nr = 0;
	unsigned char *want = calloc(npages, 1), *got = calloc(npages, 1);
	long long data, hole = LAZY;
	unsigned int seed = 1;

	ASSERT_NE(NULL, want);
	ASSERT_NE(NULL, got);
	for (i = 0; i < npages / 100; i++) {
		seed = seed * 1103515245 + 12345;
		want[(seed >> 8) % npages] = 1;
	}
	for (i = 0; i < npages; i++)
		if (want[i])
			ASSERT_EQ(1, gas_pwrite(fd, "s", 1,
						LAZY + i * PAGE_4K + 1));
	for (;;) {
		data = seek(fd, hole, SEEK_DATA);
		if (data == -ENXIO)
			break;
		ASSERT_LE(0, data);
		hole = seek(fd, data, SEEK_HOLE);
		ASSERT_LT(data, hole);
		for (; data < hole; data += PAGE_4K, nr++)
			got[(data - LAZY) / PAGE_4K] = 1;
	}
	EXPECT_EQ(0, memcmp(want, got, npages));
	EXPECT_EQ((__u64)nr, get_info(fd).nr_data_pages);
	free(want);
	free(got);
}

/* Every missing page, not on demand, 2 MiB frames where they fit. */
TEST_F(file, fallocate_populates)
{
	int fd = self->s.fd;
	struct gaspace_info before, after;
	struct stat st;

	gas_pattern(self->buf, LAZY, PAGE_4K, 3);
	ASSERT_EQ(PAGE_4K, (__u64)gas_pwrite(fd, self->buf, PAGE_4K, LAZY));
	before = get_info(fd);
	ASSERT_EQ(0, falloc(fd, 0, ALLOC, ALLOC_SIZE));
	after = get_info(fd);
	EXPECT_EQ(before.nr_data_pages + 1024, after.nr_data_pages);
	EXPECT_EQ(before.nr_demand_faults, after.nr_demand_faults);
	if (block_at(fd, ALLOC) && block_at(fd, ALLOC + SZ_2M))
		EXPECT_EQ(before.nr_leaves_2m + 2, after.nr_leaves_2m);
	/* KEEP_SIZE, and a byte range: every page it meets */
	ASSERT_EQ(0, falloc(fd, FALLOC_FL_KEEP_SIZE, LAZY + 100, PAGE_4K));
	EXPECT_EQ(after.nr_data_pages + 1, get_info(fd).nr_data_pages);
	EXPECT_EQ(after.nr_demand_faults, get_info(fd).nr_demand_faults);
	ASSERT_EQ(PAGE_4K, (__u64)gas_pread(fd, self->buf, PAGE_4K, LAZY));
	EXPECT_EQ(-1, gas_pattern_diff(self->buf, LAZY, PAGE_4K, 3));
	ASSERT_EQ(PAGE_4K, (__u64)gas_pread(fd, self->buf, PAGE_4K,
					    LAZY + PAGE_4K));
	EXPECT_EQ(-1, gas_bytes_diff(self->buf, 0, PAGE_4K));
	/* again: nothing to do */
	after = get_info(fd);
	ASSERT_EQ(0, falloc(fd, 0, LAZY, 2 * PAGE_4K));
	expect_same(_metadata, fd, &after);
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_EQ((off_t)END, st.st_size);
}

/* fallocate's errors in order, each changing nothing. */
TEST_F(file, fallocate_errors)
{
	int fd = self->s.fd;
	struct gaspace_info before;

	ASSERT_EQ(1, gas_pwrite(fd, "e", 1, ALLOC + 9));
	before = get_info(fd);
	EXPECT_EQ(-EINVAL, falloc(fd, 0, ALLOC, 0));
	EXPECT_EQ(-EINVAL, fallocate(fd, 0, -1, 4096) ? -errno : 0);
	EXPECT_EQ(-EFBIG, fallocate(fd, 0, 0x7fffffffffff0000LL, 0x20000)
		  ? -errno : 0);
	EXPECT_EQ(-EOPNOTSUPP, falloc(fd, FALLOC_FL_PUNCH_HOLE, ALLOC, 4096));
	EXPECT_EQ(-EOPNOTSUPP, falloc(fd, FALLOC_FL_ZERO_RANGE, ALLOC, 4096));
	EXPECT_EQ(-EOPNOTSUPP, falloc(fd, FALLOC_FL_COLLAPSE_RANGE, ALLOC,
				      4096));
	EXPECT_EQ(-EOPNOTSUPP, falloc(fd, FALLOC_FL_INSERT_RANGE, ALLOC, 4096));
	EXPECT_EQ(-EOPNOTSUPP, falloc(fd, FALLOC_FL_UNSHARE_RANGE, ALLOC,
				      4096));
	/* outside the space, for both modes */
	EXPECT_EQ(-ENXIO, falloc(fd, 0, 0, 4096));
	EXPECT_EQ(-ENXIO, falloc(fd, 0, END - 4096, 8192));
	EXPECT_EQ(-ENXIO, falloc(fd, PUNCH, END, 1));
	EXPECT_EQ(-ENXIO, falloc(fd, PUNCH, BASE - 1, 2));
	/* a hole, a linear area, an alloc range running into either */
	EXPECT_EQ(-ENXIO, falloc(fd, 0, ALLOC + ALLOC_SIZE, 4096));
	EXPECT_EQ(-ENXIO, falloc(fd, 0, LINEAR, 4096));
	EXPECT_EQ(-ENXIO, falloc(fd, 0, ALLOC, ALLOC_SIZE + 1));
	EXPECT_EQ(-ENXIO, falloc(fd, FALLOC_FL_KEEP_SIZE, LINEAR - 4096,
				 8192));
	/* a USERFAULT area's pages come from FILL */
	ASSERT_EQ(0, gas_map_alloc(fd, UF, SZ_64K, GAS_PROT_RW,
				   GASPACE_MAP_USERFAULT));
	before.nr_areas++;
	EXPECT_EQ(-EINVAL, falloc(fd, 0, UF, 4096));
	EXPECT_EQ(-ENXIO, falloc(fd, 0, UF - 4096, 8192));
	expect_same(_metadata, fd, &before);
	ASSERT_EQ(1, gas_pread(fd, self->buf, 1, ALLOC + 9));
	EXPECT_EQ('e', self->buf[0]);
}

/*
 * PUNCH_HOLE frees exactly the pages it covers (part of a 2 MiB frame
 * included), zeroes the partial ones in place, keeps areas and prot, and
 * passes over holes and linear areas.
 */
TEST_F(file, punch_hole_frees_exactly)
{
	int fd = self->s.fd;
	struct gaspace_info before, after;
	struct gaspace_translation t;
	__u64 gpa = ALLOC + SZ_2M + 8 * PAGE_4K;

	ASSERT_EQ(0, falloc(fd, 0, ALLOC, ALLOC_SIZE));
	if (!block_at(fd, ALLOC + SZ_2M))
		SKIP(return, "no order-9 block could be had");
	gas_pattern(self->buf, gpa - PAGE_4K, 3 * PAGE_4K, 7);
	ASSERT_EQ(3 * PAGE_4K, (__u64)gas_pwrite(fd, self->buf, 3 * PAGE_4K,
						 gpa - PAGE_4K));
	before = get_info(fd);
	ASSERT_EQ(0, falloc(fd, PUNCH, gpa, PAGE_4K));
	after = get_info(fd);
	EXPECT_EQ(before.nr_data_pages - 1, after.nr_data_pages);
	EXPECT_EQ(before.nr_leaves_2m - 1, after.nr_leaves_2m);
	EXPECT_EQ(before.nr_leaves_4k + 511, after.nr_leaves_4k);
	EXPECT_EQ(before.nr_areas, after.nr_areas);
	EXPECT_EQ(before.mapped_bytes - PAGE_4K, after.mapped_bytes);
	EXPECT_EQ(-ENOENT, gas_translate(fd, gpa, &t));
	ASSERT_EQ(0, gas_translate(fd, gpa + PAGE_4K, &t));
	EXPECT_EQ(PAGE_4K, t.page_size);
	EXPECT_EQ((__u32)GAS_PROT_RW, t.prot);
	/* the neighbours kept their bytes, the page reads zeros */
	ASSERT_EQ(3 * PAGE_4K, (__u64)gas_pread(fd, self->buf, 3 * PAGE_4K,
						gpa - PAGE_4K));
	EXPECT_EQ(-1, gas_pattern_diff(self->buf, gpa - PAGE_4K, PAGE_4K, 7));
	EXPECT_EQ(-1, gas_bytes_diff(self->buf + PAGE_4K, 0, PAGE_4K));
	EXPECT_EQ(-1, gas_pattern_diff(self->buf + 2 * PAGE_4K, gpa + PAGE_4K,
				       PAGE_4K, 7));
	/* partial pages: zeroed in place, frames kept */
	ASSERT_EQ(0, falloc(fd, PUNCH, gpa - 100, 100));
	ASSERT_EQ(0, falloc(fd, PUNCH, gpa + PAGE_4K, 10));
	expect_same(_metadata, fd, &after);
	ASSERT_EQ(3 * PAGE_4K, (__u64)gas_pread(fd, self->buf, 3 * PAGE_4K,
						gpa - PAGE_4K));
	EXPECT_EQ(-1, gas_pattern_diff(self->buf, gpa - PAGE_4K,
				       PAGE_4K - 100, 7));
	EXPECT_EQ(-1, gas_bytes_diff(self->buf + PAGE_4K - 100, 0, PAGE_4K + 110));
	EXPECT_EQ(-1, gas_pattern_diff(self->buf + 2 * PAGE_4K + 10,
				       gpa + PAGE_4K + 10, PAGE_4K - 10, 7));
	/* everything, holes and the linear area included */
	ASSERT_EQ(0, falloc(fd, PUNCH, BASE, LAZY - BASE));
	after = get_info(fd);
	EXPECT_EQ(0u, after.nr_data_pages);
	EXPECT_EQ(3u, after.nr_areas);
	EXPECT_EQ(SZ_2M, after.mapped_bytes);
	ASSERT_EQ(0, gas_translate(fd, LINEAR, &t));
	/* the pages come back on demand, zeroed */
	ASSERT_EQ(PAGE_4K, (__u64)gas_pread(fd, self->buf, PAGE_4K, gpa));
	EXPECT_EQ(-1, gas_bytes_diff(self->buf, 0, PAGE_4K));
	ASSERT_EQ(0, gas_fault(fd, gpa, GASPACE_PROT_WRITE));
	EXPECT_EQ(after.nr_demand_faults + 1, get_info(fd).nr_demand_faults);
}

/*
 * A VMM mapping after PUNCH_HOLE (and MADV_REMOVE, which is the same):
 * no stale frame, a touch reads fresh zeros and raises no SIGBUS.
 */
TEST_F(file, punch_hole_under_a_vmm_mapping)
{
	int fd = self->s.fd;
	unsigned char *mem, c = 0xff;
	__u64 data;

	ASSERT_EQ(0, gas_catch_sigbus());
	mem = gas_mmap(fd, ALLOC, ALLOC_SIZE, MAP_SHARED);
	ASSERT_NE(NULL, mem);
	memset(mem, 0x5a, 2 * SZ_2M);
	data = get_info(fd).nr_data_pages;
	ASSERT_EQ(0, falloc(fd, PUNCH, ALLOC + SZ_2M + PAGE_4K, PAGE_4K));
	EXPECT_EQ(data - 1, get_info(fd).nr_data_pages);
	EXPECT_EQ(0, gas_touch(mem + SZ_2M + PAGE_4K + 3, false, 0, &c));
	EXPECT_EQ(0, c);
	EXPECT_EQ(data, get_info(fd).nr_data_pages);
	EXPECT_EQ(0x5a, mem[SZ_2M]);
	EXPECT_EQ(0x5a, mem[SZ_2M + 2 * PAGE_4K]);
	/* a store lands in the new frame, seen through the fd */
	EXPECT_EQ(0, gas_touch(mem + SZ_2M + PAGE_4K, true, 0x33, NULL));
	ASSERT_EQ(1, gas_pread(fd, &c, 1, ALLOC + SZ_2M + PAGE_4K));
	EXPECT_EQ(0x33, c);
	/* MADV_REMOVE punches the range through fallocate */
	ASSERT_EQ(0, madvise(mem, SZ_2M, MADV_REMOVE));
	EXPECT_EQ(data - 512, get_info(fd).nr_data_pages);
	EXPECT_EQ(0, gas_touch(mem + 5, false, 0, &c));
	EXPECT_EQ(0, c);
	EXPECT_EQ(-1, gas_bytes_diff(mem, 0, SZ_2M));
	munmap(mem, ALLOC_SIZE);
}

static int dirty_bits(int fd, __u64 gpa, __u32 flags, __u64 *bits)
{
	*bits = ~0ULL;
	return gas_get_dirty_log(fd, gpa, 64 * PAGE_4K, bits, flags);
}

/*
 * In a logged area: a discarded page that had a frame is dirty, one that
 * had none is not; fallocate marks what it populates, not what was there;
 * a partial page zeroed is dirty.  Leaves stay 4 KiB.
 */
TEST_F(file, dirty_log)
{
	int fd = self->s.fd;
	__u64 bits, gpa = LAZY, lin2m = get_info(self->s.fd).nr_leaves_2m;

	ASSERT_EQ(0, falloc(fd, 0, gpa, 8 * PAGE_4K));
	ASSERT_EQ(0, gas_dirty_log_enable(fd, gpa, 64 * PAGE_4K));
	ASSERT_EQ(0, dirty_bits(fd, gpa, 0, &bits));
	EXPECT_EQ(0u, bits);
	ASSERT_EQ(0, falloc(fd, PUNCH, gpa + 6 * PAGE_4K, 4 * PAGE_4K));
	ASSERT_EQ(0, dirty_bits(fd, gpa, GASPACE_DIRTY_CLEAR, &bits));
	EXPECT_EQ(0xc0u, bits);
	EXPECT_EQ(0u, get_info(fd).nr_dirty_pages);
	ASSERT_EQ(0, falloc(fd, 0, gpa + 4 * PAGE_4K, 4 * PAGE_4K));
	ASSERT_EQ(0, dirty_bits(fd, gpa, GASPACE_DIRTY_CLEAR, &bits));
	EXPECT_EQ(0xc0u, bits);
	EXPECT_EQ(8u, get_info(fd).nr_data_pages);
	EXPECT_EQ(8u, get_info(fd).nr_leaves_4k);
	ASSERT_EQ(0, falloc(fd, PUNCH, gpa + 2 * PAGE_4K + 1, 1));
	ASSERT_EQ(0, dirty_bits(fd, gpa, 0, &bits));
	EXPECT_EQ(0x4u, bits);
	/* a logged 2 MiB frame: 4 KiB leaves, each page marked on its own */
	ASSERT_EQ(0, falloc(fd, 0, ALLOC, SZ_2M));
	ASSERT_EQ(0, gas_dirty_log_enable(fd, ALLOC, SZ_2M));
	ASSERT_EQ(0, falloc(fd, PUNCH, ALLOC + PAGE_4K, PAGE_4K));
	ASSERT_EQ(0, dirty_bits(fd, ALLOC, 0, &bits));
	EXPECT_EQ(0x2u, bits);
	EXPECT_EQ(lin2m, get_info(fd).nr_leaves_2m);
}

static int uf_fd(int fd)
{
	return (int)gas_ioctl(fd, GASPACE_USERFAULT_FD, 0);
}

static int fill(int fd, __u64 gpa, __u64 size, const void *src)
{
	struct gaspace_fill f = {
		.gpa = gpa, .size = size, .src = (__u64)(uintptr_t)src,
	};

	return (int)gas_ioctl_ptr(fd, GASPACE_FILL, &f);
}

struct reader {
	int fd;
	__u64 gpa;
	ssize_t ret;
	int err;
	unsigned char c;
};

static void *reader_fn(void *arg)
{
	struct reader *r = arg;

	r->ret = pread(r->fd, &r->c, 1, (off_t)r->gpa);
	r->err = errno;
	return NULL;
}

/*
 * A USERFAULT area: PUNCH_HOLE frees FILL's frames, and the next access
 * raises an event; a transfer waiting for a page the punch covers ends
 * (-ENXIO).
 */
TEST_F(file, userfault)
{
	int fd = self->s.fd, ufd;
	struct gaspace_fault_event ev;
	struct reader r = { .fd = fd, .gpa = UF + PAGE_4K + 1 };
	pthread_t th;
	unsigned char c = 0x77;

	ASSERT_EQ(0, gas_map_alloc(fd, UF, SZ_64K, GAS_PROT_RW,
				   GASPACE_MAP_USERFAULT));
	memset(self->buf, 0x77, 2 * PAGE_4K);
	ASSERT_EQ(0, fill(fd, UF, 2 * PAGE_4K, self->buf));
	EXPECT_EQ(2u, get_info(fd).nr_data_pages);
	ufd = uf_fd(fd);
	ASSERT_LE(0, ufd);
	ASSERT_EQ(0, falloc(fd, PUNCH, UF, SZ_64K));
	EXPECT_EQ(0u, get_info(fd).nr_data_pages);
	EXPECT_EQ(-ENXIO, seek(fd, UF, SEEK_DATA));
	/* the next read raises an event and waits for FILL */
	ASSERT_EQ(0, pthread_create(&th, NULL, reader_fn, &r));
	ASSERT_EQ((ssize_t)sizeof(ev), read(ufd, &ev, sizeof(ev)));
	EXPECT_EQ(UF + PAGE_4K, ev.gpa);
	ASSERT_EQ(0, fill(fd, UF + PAGE_4K, PAGE_4K, self->buf));
	ASSERT_EQ(0, pthread_join(th, NULL));
	EXPECT_EQ(1, r.ret);
	EXPECT_EQ(0x77, r.c);
	/* a waiting read ends when its page is punched */
	r.gpa = UF + 5 * PAGE_4K;
	ASSERT_EQ(0, pthread_create(&th, NULL, reader_fn, &r));
	ASSERT_EQ((ssize_t)sizeof(ev), read(ufd, &ev, sizeof(ev)));
	EXPECT_EQ(UF + 5 * PAGE_4K, ev.gpa);
	ASSERT_EQ(0, falloc(fd, PUNCH, UF + 4 * PAGE_4K, 2 * PAGE_4K));
	ASSERT_EQ(0, pthread_join(th, NULL));
	EXPECT_EQ(-1, r.ret);
	EXPECT_EQ(ENXIO, r.err);
	EXPECT_EQ(2u, get_info(fd).nr_userfaults);
	EXPECT_EQ(1u, get_info(fd).nr_data_pages);
	EXPECT_EQ(1, gas_pread(fd, &c, 1, UF + PAGE_4K));
	close(ufd);
}

TEST_HARNESS_MAIN
