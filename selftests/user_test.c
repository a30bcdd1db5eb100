// SPDX-License-Identifier: GPL-2.0
/*
 * user_test: the VMM's own memory as guest RAM (GASPACE_MAP_USER), on every
 * format.
 *
 * Anonymous memory, a memfd, THP and hugetlbfs (2 MiB and 1 GiB pages) are
 * pinned and mapped: TRANSLATE reports backend 3 and the host address that
 * /proc/self/pagemap gives for the VMM's page, and leaves as large as the
 * pages' physical runs allow (one 1 GiB leaf for a 1 GiB page at a 1 GiB
 * aligned gpa).  pread/pwrite reach the pages both ways; the VMM's munmap
 * and fork do not change what the guest sees; mmap of the space and
 * fallocate over them give -ENXIO; PROTECT, UNMAP, REPLACE and the dirty
 * log work.  Every error path, in order, with nothing changed:
 * the struct (-EFAULT), its fields (-EINVAL, -ERANGE), overlap (-EEXIST),
 * then the pinning: RLIMIT_MEMLOCK (-ENOMEM), a hole or a read-only page
 * (-EFAULT).
 */
#include <fcntl.h>
#include <linux/falloc.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "gaspace_util.h"
#include "kselftest_harness.h"

#ifndef MAP_HUGE_2MB
#define MAP_HUGE_2MB		(21 << 26)
#endif
#ifndef MAP_HUGE_1GB
#define MAP_HUGE_1GB		(30 << 26)
#endif
#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC		0x0001U
#endif
#ifndef CAP_IPC_LOCK
#define CAP_IPC_LOCK		14
#endif

#define BASE		0ULL
#define SIZE		(4 * SZ_1G)
#define GPA		SZ_1G			/* where each test maps */
#define LEN		(4 * SZ_2M)		/* the anonymous buffer */
#define HUGE_DIR	"/sys/kernel/mm/hugepages/hugepages-"
#define HUGE_2M		HUGE_DIR "2048kB/nr_hugepages"
#define HUGE_1G		HUGE_DIR "1048576kB/nr_hugepages"

static int map_user_args(int fd, const struct gaspace_map_user *m)
{
	return gas_ioctl_ptr(fd, GASPACE_MAP_USER, m);
}

static int map_user(int fd, __u64 gpa, __u64 size, void *uaddr, __u32 prot,
		    __u32 flags)
{
	struct gaspace_map_user m = {
		.gpa = gpa, .size = size, .uaddr = (uintptr_t)uaddr,
		.prot = prot, .flags = flags,
	};

	return map_user_args(fd, &m);
}

/* @len bytes of memory aligned to @align, from a mapping of flags @flags. */
static void *map_aligned(size_t len, size_t align, int flags, int fd)
{
	char *p = mmap(NULL, len + align, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	char *a;

	if (p == MAP_FAILED)
		return NULL;
	a = (char *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1));
	munmap(p, a - p);
	munmap(a + len, p + align - a);
	if (fd >= 0 || flags) {
		a = mmap(a, len, PROT_READ | PROT_WRITE, MAP_FIXED | flags,
			 fd, 0);
		if (a == MAP_FAILED)
			return NULL;
	}
	return a;
}

/* The host address of the VMM's page at @p (root reads PFNs), or 0. */
static __u64 vmm_hpa(const void *p)
{
	__u64 e = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	if (pread(fd, &e, 8, (uintptr_t)p / 4096 * 8) != 8)
		e = 0;
	close(fd);
	if (!(e & BIT_ULL(63)))
		return 0;
	return (e & (BIT_ULL(55) - 1)) * 4096 + (uintptr_t)p % 4096;
}

static void fill(void *p, size_t len, unsigned char seed)
{
	size_t i;

	for (i = 0; i < len; i += 4096)
		((unsigned char *)p)[i] = (unsigned char)(seed + i / 4096);
}

/* Sets a pool of huge pages; returns the old count, or -1. */
static long long huge_reserve(const char *path, long long n)
{
	long long old = gas_read_number(path);
	char buf[32];

	if (old < 0)
		return -1;
	if (n > old) {
		/* a fresh 1 GiB block needs the free memory in one piece */
		gas_write_string("/proc/sys/vm/drop_caches", "3");
		gas_write_string("/proc/sys/vm/compact_memory", "1");
	}
	snprintf(buf, sizeof(buf), "%lld", n);
	if (gas_write_string(path, buf) || gas_read_number(path) < n) {
		snprintf(buf, sizeof(buf), "%lld", old);
		gas_write_string(path, buf);
		return -1;
	}
	return old;
}

static void huge_release(const char *path, long long old)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", old);
	gas_write_string(path, buf);
}

/*
 * @n hugetlbfs pages of @size bytes (@path: their pool; @flag: their
 * MAP_HUGE_* size) reserved, and a private mapping of them in *@p
 * (MAP_FAILED if mmap failed): the pool's size before, for
 * huge_release(), or -1 (nothing reserved) when the kernel has none.
 */
static long long huge_map(const char *path, long long n, __u64 size,
			  int flag, char **p)
{
	long long old = huge_reserve(path, n);

	*p = MAP_FAILED;
	if (old >= 0)
		*p = mmap(NULL, n * size, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | flag,
			  -1, 0);
	return old;
}

FIXTURE(user) {
	struct gas_space s;
	char *mem;		/* LEN bytes of anonymous memory, 2 MiB aligned */
	struct gaspace_info before;
};

FIXTURE_VARIANT(user) {
	unsigned int format;
	unsigned int bits;
};

FIXTURE_VARIANT_ADD(user, ept) GAS_GEOMETRY(EPT, 48);
FIXTURE_VARIANT_ADD(user, npt) GAS_GEOMETRY(NPT, 48);
FIXTURE_VARIANT_ADD(user, arm64_s2) GAS_GEOMETRY(ARM64_S2, 40);
FIXTURE_VARIANT_ADD(user, riscv_g) GAS_GEOMETRY(RISCV_G, 41);

FIXTURE_SETUP(user)
{
	ASSERT_EQ(0, gas_space_open(&self->s, variant->format, variant->bits,
				    BASE, SIZE));
	self->mem = map_aligned(LEN, SZ_2M, 0, -1);
	ASSERT_NE(NULL, self->mem);
	/* 4 KiB pages unless a test asks for THP */
	madvise(self->mem, LEN, MADV_NOHUGEPAGE);
	fill(self->mem, LEN, 1);
	ASSERT_EQ(0, gas_get_info(self->s.fd, &self->before));
}

FIXTURE_TEARDOWN(user)
{
	gas_space_close(&self->s);
	if (self->mem)
		munmap(self->mem, LEN);
}

/* The space is as the setup left it. */
static bool unchanged(struct __test_metadata *_metadata, int fd,
		      const struct gaspace_info *before)
{
	struct gaspace_info now;

	EXPECT_EQ(0, gas_get_info(fd, &now));
	EXPECT_EQ(before->nr_areas, now.nr_areas);
	EXPECT_EQ(before->nr_table_pages, now.nr_table_pages);
	EXPECT_EQ(before->mapped_bytes, now.mapped_bytes);
	return !memcmp(before, &now, sizeof(now));
}

TEST_F(user, cap_is_one)
{
	EXPECT_EQ(1, gas_ioctl(self->s.dev, GASPACE_CHECK_EXTENSION,
			       GASPACE_CAP_MAP_USER));
}

TEST_F(user, efault_struct)
{
	EXPECT_EQ(-EFAULT, gas_ioctl(self->s.fd, GASPACE_MAP_USER, 0));
	EXPECT_EQ(-EFAULT, gas_ioctl(self->s.fd, GASPACE_MAP_USER, 8));
	EXPECT_TRUE(unchanged(_metadata, self->s.fd, &self->before));
}

TEST_F(user, bad_flags)
{
	static const __u32 bad[] = {
		GASPACE_MAP_POPULATE, GASPACE_MAP_DEVICE, GASPACE_MAP_HUGE,
		GASPACE_MAP_USERFAULT, 0x40, 1u << 31,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_LEN(bad); i++)
		EXPECT_EQ(-EINVAL, map_user(self->s.fd, GPA, LEN, self->mem,
					    GAS_PROT_RW, bad[i]));
	EXPECT_TRUE(unchanged(_metadata, self->s.fd, &self->before));
}

TEST_F(user, bad_reserved)
{
	struct gaspace_map_user m = {
		.gpa = GPA, .size = LEN, .uaddr = (uintptr_t)self->mem,
		.prot = GAS_PROT_RW,
	};

	m.reserved[0] = 1;
	EXPECT_EQ(-EINVAL, map_user_args(self->s.fd, &m));
	m.reserved[0] = 0;
	m.reserved[1] = 1;
	EXPECT_EQ(-EINVAL, map_user_args(self->s.fd, &m));
	EXPECT_TRUE(unchanged(_metadata, self->s.fd, &self->before));
}

TEST_F(user, bad_prot)
{
	EXPECT_EQ(-EINVAL, map_user(self->s.fd, GPA, LEN, self->mem, 8, 0));
	EXPECT_EQ(-EINVAL, map_user(self->s.fd, GPA, LEN, self->mem,
				    GASPACE_PROT_WRITE, 0));
	EXPECT_TRUE(unchanged(_metadata, self->s.fd, &self->before));
}

TEST_F(user, bad_alignment_and_size)
{
	struct gaspace_map_user wrap = {
		.gpa = GPA, .size = 2 * PAGE_4K, .prot = GAS_PROT_RW,
	};
	int fd = self->s.fd;

	EXPECT_EQ(-EINVAL, map_user(fd, GPA + 1, LEN, self->mem, GAS_PROT_RW, 0));
	EXPECT_EQ(-EINVAL, map_user(fd, GPA, LEN - 1, self->mem, GAS_PROT_RW, 0));
	EXPECT_EQ(-EINVAL, map_user(fd, GPA, LEN, self->mem + 1, GAS_PROT_RW, 0));
	EXPECT_EQ(-EINVAL, map_user(fd, GPA, 0, self->mem, GAS_PROT_RW, 0));
	EXPECT_EQ(-EINVAL, map_user(fd, -PAGE_4K, 2 * PAGE_4K, self->mem,
				    GAS_PROT_RW, 0));
	/* uaddr + size past 2^64 (a 64-bit value from an i386 VMM too) */
	wrap.uaddr = -(__u64)PAGE_4K;
	EXPECT_EQ(-EINVAL, map_user_args(fd, &wrap));
	EXPECT_TRUE(unchanged(_metadata, fd, &self->before));
}

/* Outside the space: -ERANGE, judged before the memory is looked at. */
TEST_F(user, erange_before_pinning)
{
	EXPECT_EQ(-ERANGE, map_user(self->s.fd, SIZE, LEN, self->mem,
				    GAS_PROT_RW, 0));
	EXPECT_EQ(-ERANGE, map_user(self->s.fd, SIZE - PAGE_4K, 2 * PAGE_4K,
				    NULL, GAS_PROT_RW, 0));
	EXPECT_TRUE(unchanged(_metadata, self->s.fd, &self->before));
}

/* A hole in the VMM's range: -EFAULT, nothing mapped. */
TEST_F(user, hole_is_efault)
{
	ASSERT_EQ(0, munmap(self->mem + SZ_2M, PAGE_4K));
	EXPECT_EQ(-EFAULT, map_user(self->s.fd, GPA, LEN, self->mem,
				    GAS_PROT_RW, 0));
	EXPECT_EQ(-EFAULT, map_user(self->s.fd, GPA, PAGE_4K, NULL,
				    GAS_PROT_RW, 0));
	EXPECT_TRUE(unchanged(_metadata, self->s.fd, &self->before));
	/* the pages before the hole were let go: the rest maps fine */
	EXPECT_EQ(0, map_user(self->s.fd, GPA, SZ_2M, self->mem,
			      GAS_PROT_RW, 0));
}

/* Memory the VMM cannot write cannot be pinned: -EFAULT. */
TEST_F(user, readonly_is_efault)
{
	ASSERT_EQ(0, mprotect(self->mem, PAGE_4K, PROT_READ));
	EXPECT_EQ(-EFAULT, map_user(self->s.fd, GPA, LEN, self->mem,
				    GAS_PROT_R, 0));
	EXPECT_TRUE(unchanged(_metadata, self->s.fd, &self->before));
}

/* A mapping already there: -EEXIST without REPLACE, judged before pinning. */
TEST_F(user, overlap_is_eexist)
{
	int fd = self->s.fd;

	ASSERT_EQ(0, map_user(fd, GPA, SZ_2M, self->mem, GAS_PROT_RW, 0));
	ASSERT_EQ(0, gas_get_info(fd, &self->before));
	EXPECT_EQ(-EEXIST, map_user(fd, GPA + SZ_2M - PAGE_4K, SZ_2M,
				    self->mem + SZ_2M, GAS_PROT_RW, 0));
	EXPECT_EQ(-EEXIST, map_user(fd, GPA, PAGE_4K, NULL, GAS_PROT_RW, 0));
	EXPECT_EQ(-EEXIST, gas_map_alloc(fd, GPA, PAGE_4K, GAS_PROT_RW, 0));
	EXPECT_TRUE(unchanged(_metadata, fd, &self->before));
}

/* REPLACE takes the old pages out and maps the new ones at once. */
TEST_F(user, replace)
{
	struct gaspace_translation t;
	struct gaspace_info i;
	int fd = self->s.fd;

	ASSERT_EQ(0, gas_map_alloc(fd, GPA, LEN, GAS_PROT_RW,
				   GASPACE_MAP_POPULATE));
	ASSERT_EQ(0, map_user(fd, GPA + SZ_2M, SZ_2M, self->mem, GAS_PROT_RW,
			      GASPACE_MAP_REPLACE));
	ASSERT_EQ(0, gas_translate(fd, GPA + SZ_2M + PAGE_4K, &t));
	EXPECT_EQ((__u32)GASPACE_BACKEND_USER, t.backend);
	EXPECT_EQ(vmm_hpa(self->mem + PAGE_4K), t.hpa);
	ASSERT_EQ(0, gas_get_info(fd, &i));
	EXPECT_EQ(3U, i.nr_areas);
	EXPECT_EQ(LEN - SZ_2M, i.nr_data_pages * PAGE_4K);
	EXPECT_EQ(LEN, i.mapped_bytes);
	/* user over user */
	ASSERT_EQ(0, map_user(fd, GPA + SZ_2M, SZ_2M, self->mem + SZ_2M,
			      GAS_PROT_R, GASPACE_MAP_REPLACE));
	ASSERT_EQ(0, gas_translate(fd, GPA + SZ_2M, &t));
	EXPECT_EQ(vmm_hpa(self->mem + SZ_2M), t.hpa);
	EXPECT_EQ((__u32)GAS_PROT_R, t.prot);
}

/* Past RLIMIT_MEMLOCK without CAP_IPC_LOCK: -ENOMEM and nothing changed. */
TEST_F(user, memlock_limit_is_enomem)
{
	int status, fd = self->s.fd;
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (!pid) {
		struct rlimit rl = { SZ_2M, SZ_2M };

		if (setrlimit(RLIMIT_MEMLOCK, &rl) || gas_drop_cap(CAP_IPC_LOCK))
			_exit(2);
		if (map_user(fd, GPA, LEN, self->mem, GAS_PROT_RW, 0) != -ENOMEM)
			_exit(3);
		if (!unchanged(_metadata, fd, &self->before))
			_exit(4);
		if (map_user(fd, GPA, PAGE_4K, self->mem, GAS_PROT_RW, 0))
			_exit(5);
		/* a hole past the limit: the limit is judged first */
		if (map_user(fd, GPA + SZ_2M, LEN, NULL, GAS_PROT_RW, 0) !=
		    -ENOMEM)
			_exit(6);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	/* the child's page stays mapped; the parent may unmap it */
	EXPECT_EQ(0, gas_unmap(fd, GPA, PAGE_4K));
}

/* TRANSLATE: backend 3, the VMM page's host address, exact counters. */
TEST_F(user, translate_and_counters)
{
	struct gaspace_translation t;
	struct gaspace_info i;
	int fd = self->s.fd;

	ASSERT_EQ(0, map_user(fd, GPA, LEN, self->mem, GAS_PROT_RWX, 0));
	ASSERT_EQ(0, gas_translate(fd, GPA + 3 * PAGE_4K + 5, &t));
	EXPECT_EQ((__u32)GASPACE_BACKEND_USER, t.backend);
	EXPECT_EQ(vmm_hpa(self->mem + 3 * PAGE_4K + 5), t.hpa);
	EXPECT_EQ(PAGE_4K, t.page_size);
	EXPECT_EQ(LEN - 3 * PAGE_4K - 5, t.limit);
	EXPECT_EQ((__u32)GAS_PROT_RWX, t.prot);
	EXPECT_EQ(0U, t.level);
	ASSERT_EQ(0, gas_get_info(fd, &i));
	EXPECT_EQ(1U, i.nr_areas);
	EXPECT_EQ(0U, i.nr_data_pages);
	EXPECT_EQ(LEN, i.mapped_bytes);
	EXPECT_EQ(LEN / PAGE_4K, i.nr_leaves_4k + 512 * i.nr_leaves_2m);
	EXPECT_EQ(0U, i.nr_demand_faults);
	/* present always: FAULT has nothing to do */
	EXPECT_EQ(0, gas_fault(fd, GPA, GASPACE_PROT_WRITE));
	EXPECT_EQ(0, gas_unmap(fd, GPA, LEN));
	ASSERT_EQ(0, gas_get_info(fd, &i));
	EXPECT_EQ(0U, i.nr_areas);
	EXPECT_EQ(0U, i.mapped_bytes);
	EXPECT_EQ(-ENOENT, gas_translate(fd, GPA, &t));
}

/* NOHUGE: 4 KiB leaves even over a THP. */
TEST_F(user, nohuge_gives_4k_leaves)
{
	struct gaspace_info i;
	int fd = self->s.fd;

	madvise(self->mem, LEN, MADV_HUGEPAGE);
	ASSERT_EQ(0, map_user(fd, GPA, LEN, self->mem, GAS_PROT_RW,
			      GASPACE_MAP_NOHUGE));
	ASSERT_EQ(0, gas_get_info(fd, &i));
	EXPECT_EQ(LEN / PAGE_4K, i.nr_leaves_4k);
	EXPECT_EQ(0U, i.nr_leaves_2m);
}

/* A THP at a 2 MiB aligned gpa is one 2 MiB leaf. */
TEST_F(user, thp_is_a_2m_leaf)
{
	struct gaspace_translation t;
	struct gaspace_info i;
	char *thp = map_aligned(SZ_2M, SZ_2M, 0, -1);
	int fd = self->s.fd;
	__u64 hpa;

	ASSERT_NE(NULL, thp);
	madvise(thp, SZ_2M, MADV_HUGEPAGE);
	memset(thp, 0x5a, SZ_2M);
	hpa = vmm_hpa(thp);
	if (!hpa || hpa % SZ_2M || vmm_hpa(thp + SZ_2M - PAGE_4K) !=
	    hpa + SZ_2M - PAGE_4K) {
		munmap(thp, SZ_2M);
		SKIP(return, "no THP was given");
	}
	ASSERT_EQ(0, map_user(fd, GPA, SZ_2M, thp, GAS_PROT_RW, 0));
	ASSERT_EQ(0, gas_translate(fd, GPA + PAGE_4K, &t));
	EXPECT_EQ(SZ_2M, t.page_size);
	EXPECT_EQ(1U, t.level);
	EXPECT_EQ(hpa + PAGE_4K, t.hpa);
	ASSERT_EQ(0, gas_get_info(fd, &i));
	EXPECT_EQ(1U, i.nr_leaves_2m);
	EXPECT_EQ(0U, i.nr_leaves_4k);
	/* at a gpa aligned otherwise: 4 KiB leaves */
	ASSERT_EQ(0, map_user(fd, 2 * GPA + PAGE_4K, SZ_2M, thp, GAS_PROT_RW,
			      0));
	ASSERT_EQ(0, gas_get_info(fd, &i));
	EXPECT_EQ(512U, i.nr_leaves_4k);
	munmap(thp, SZ_2M);
	/* the guest still sees it */
	ASSERT_EQ(0, gas_translate(fd, GPA, &t));
	EXPECT_EQ(hpa, t.hpa);
}

/* pread and pwrite reach the VMM's pages both ways. */
TEST_F(user, pread_pwrite)
{
	char buf[64];
	int fd = self->s.fd;

	ASSERT_EQ(0, map_user(fd, GPA, LEN, self->mem, 0, 0));
	strcpy(self->mem + SZ_2M + 100, "from the VMM");
	ASSERT_EQ(13, pread(fd, buf, 13, GPA + SZ_2M + 100));
	EXPECT_STREQ("from the VMM", buf);
	ASSERT_EQ(14, pwrite(fd, "from the file", 14, GPA + 4000));
	EXPECT_STREQ("from the file", self->mem + 4000);
	/* a transfer stops at the area's end */
	EXPECT_EQ(10, pread(fd, buf, 64, GPA + LEN - 10));
	EXPECT_EQ(-1, pread(fd, buf, 1, GPA + LEN));
	EXPECT_EQ(ENXIO, errno);
}

/* The VMM's munmap changes nothing for the guest until UNMAP. */
TEST_F(user, munmap_keeps_the_guest_view)
{
	struct gaspace_translation t;
	char buf[16];
	int fd = self->s.fd;
	__u64 hpa = vmm_hpa(self->mem + SZ_2M);

	ASSERT_EQ(0, map_user(fd, GPA, LEN, self->mem, GAS_PROT_RW, 0));
	strcpy(self->mem + SZ_2M, "kept");
	ASSERT_EQ(0, munmap(self->mem, LEN));
	self->mem = NULL;
	ASSERT_EQ(5, pread(fd, buf, 5, GPA + SZ_2M));
	EXPECT_STREQ("kept", buf);
	ASSERT_EQ(0, gas_translate(fd, GPA + SZ_2M, &t));
	EXPECT_EQ(hpa, t.hpa);
	ASSERT_EQ(4, pwrite(fd, "more", 4, GPA));
	ASSERT_EQ(4, pread(fd, buf, 4, GPA));
	EXPECT_EQ(0, memcmp(buf, "more", 4));
}

/* A fork of the VMM moves no pinned page: the parent and guest agree. */
TEST_F(user, fork_keeps_the_pages)
{
	struct gaspace_translation t;
	int status, fd = self->s.fd;
	__u64 hpa;
	char buf[8];
	pid_t pid;

	ASSERT_EQ(0, map_user(fd, GPA, LEN, self->mem, GAS_PROT_RW, 0));
	hpa = vmm_hpa(self->mem);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		/* the child's writes go to its own copy */
		strcpy(self->mem, "child");
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
	strcpy(self->mem, "parent");
	EXPECT_EQ(hpa, vmm_hpa(self->mem));
	ASSERT_EQ(0, gas_translate(fd, GPA, &t));
	EXPECT_EQ(hpa, t.hpa);
	ASSERT_EQ(7, pread(fd, buf, 7, GPA));
	EXPECT_STREQ("parent", buf);
}

/* A memfd's pages, shared with the VMM's mapping. */
TEST_F(user, memfd)
{
	int mfd = memfd_create("guest", MFD_CLOEXEC), fd = self->s.fd;
	struct gaspace_translation t;
	char *p, buf[8];

	ASSERT_LE(0, mfd);
	ASSERT_EQ(0, ftruncate(mfd, SZ_2M));
	p = mmap(NULL, SZ_2M, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	ASSERT_NE(MAP_FAILED, p);
	strcpy(p + PAGE_4K, "memfd");
	ASSERT_EQ(0, map_user(fd, GPA, SZ_2M, p, GAS_PROT_RW, 0));
	ASSERT_EQ(0, gas_translate(fd, GPA + PAGE_4K, &t));
	EXPECT_EQ(vmm_hpa(p + PAGE_4K), t.hpa);
	ASSERT_EQ(6, pread(fd, buf, 6, GPA + PAGE_4K));
	EXPECT_STREQ("memfd", buf);
	ASSERT_EQ(4, pwrite(fd, "back", 4, GPA));
	EXPECT_EQ(4, pread(mfd, buf, 4, 0));
	EXPECT_EQ(0, memcmp(buf, "back", 4));
	munmap(p, SZ_2M);
	close(mfd);
	ASSERT_EQ(4, pread(fd, buf, 4, GPA));
	EXPECT_EQ(0, memcmp(buf, "back", 4));
}

/* mmap of the space over a user area, and fallocate in one: -ENXIO. */
TEST_F(user, mmap_and_fallocate_are_enxio)
{
	int fd = self->s.fd;
	void *p;

	ASSERT_EQ(0, map_user(fd, GPA, SZ_2M, self->mem, GAS_PROT_RW, 0));
	ASSERT_EQ(0, gas_map_alloc(fd, GPA + SZ_2M, SZ_2M, GAS_PROT_RW, 0));
	p = mmap(NULL, PAGE_4K, PROT_READ, MAP_SHARED, fd, GPA);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(ENXIO, errno);
	p = mmap(NULL, 2 * PAGE_4K, PROT_READ, MAP_SHARED, fd,
		 GPA + SZ_2M - PAGE_4K);
	EXPECT_EQ(MAP_FAILED, p);
	p = mmap(NULL, PAGE_4K, PROT_READ, MAP_SHARED, fd, GPA + SZ_2M);
	EXPECT_NE(MAP_FAILED, p);
	munmap(p, PAGE_4K);
	EXPECT_EQ(-1, fallocate(fd, 0, GPA, PAGE_4K));
	EXPECT_EQ(ENXIO, errno);
	EXPECT_EQ(-1, fallocate(fd, 0, GPA + SZ_2M - PAGE_4K, 2 * PAGE_4K));
	EXPECT_EQ(ENXIO, errno);
	/* a discard passes over it: the bytes stay */
	EXPECT_EQ(0, fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			       GPA + 10, PAGE_4K));
	EXPECT_EQ(1 + 1, self->mem[PAGE_4K]);
}

/* SEEK_DATA counts a user area as data. */
TEST_F(user, seek_data)
{
	int fd = self->s.fd;

	ASSERT_EQ(0, map_user(fd, GPA, SZ_2M, self->mem, 0, 0));
	EXPECT_EQ((off_t)GPA, lseek(fd, 0, SEEK_DATA));
	EXPECT_EQ((off_t)(GPA + SZ_2M), lseek(fd, GPA, SEEK_HOLE));
}

/* PROTECT works, and FAULT follows the new prot. */
TEST_F(user, protect)
{
	struct gaspace_translation t;
	int fd = self->s.fd;

	ASSERT_EQ(0, map_user(fd, GPA, LEN, self->mem, GAS_PROT_RW, 0));
	ASSERT_EQ(0, gas_protect(fd, GPA + PAGE_4K, PAGE_4K, GAS_PROT_R));
	ASSERT_EQ(0, gas_translate(fd, GPA + PAGE_4K, &t));
	EXPECT_EQ((__u32)GAS_PROT_R, t.prot);
	EXPECT_EQ(vmm_hpa(self->mem + PAGE_4K), t.hpa);
	EXPECT_EQ(-EACCES, gas_fault(fd, GPA + PAGE_4K, GASPACE_PROT_WRITE));
	ASSERT_EQ(0, gas_protect(fd, GPA, LEN, 0));
	EXPECT_EQ(-ENOENT, gas_translate(fd, GPA, &t));
	ASSERT_EQ(0, gas_protect(fd, GPA, LEN, GAS_PROT_RWX));
	ASSERT_EQ(0, gas_translate(fd, GPA + PAGE_4K, &t));
	EXPECT_EQ((__u32)GAS_PROT_RWX, t.prot);
	EXPECT_EQ(vmm_hpa(self->mem + PAGE_4K), t.hpa);
}

/* The dirty log over a user area: pwrite and a guest write mark pages. */
TEST_F(user, dirty_log)
{
	__u64 bits[(LEN / PAGE_4K + 63) / 64];
	struct gaspace_translation t;
	struct gaspace_info i;
	int fd = self->s.fd;

	ASSERT_EQ(0, map_user(fd, GPA, LEN, self->mem, GAS_PROT_RW, 0));
	ASSERT_EQ(0, gas_dirty_log_enable(fd, GPA, LEN));
	ASSERT_EQ(0, gas_translate(fd, GPA, &t));
	EXPECT_EQ((__u32)GAS_PROT_R, t.prot);
	ASSERT_EQ(1, pwrite(fd, "x", 1, GPA + 5 * PAGE_4K));
	EXPECT_EQ(0, gas_fault(fd, GPA + 7 * PAGE_4K, GASPACE_PROT_WRITE));
	memset(bits, 0xff, sizeof(bits));
	ASSERT_EQ(0, gas_get_dirty_log(fd, GPA, LEN, bits,
				       GASPACE_DIRTY_CLEAR));
	EXPECT_EQ((1ULL << 5) | (1ULL << 7), bits[0]);
	EXPECT_EQ('x', self->mem[5 * PAGE_4K]);
	ASSERT_EQ(0, gas_dirty_log_disable(fd, GPA, LEN));
	ASSERT_EQ(0, gas_get_info(fd, &i));
	EXPECT_EQ(0U, i.nr_dirty_pages);
	EXPECT_EQ(LEN, i.mapped_bytes);
	ASSERT_EQ(0, gas_translate(fd, GPA, &t));
	EXPECT_EQ((__u32)GAS_PROT_RW, t.prot);
}

/* hugetlbfs 2 MiB pages: one 2 MiB leaf each. */
TEST_F(user, hugetlb_2m)
{
	struct gaspace_translation t;
	struct gaspace_info i;
	int fd = self->s.fd;
	long long old;
	char *p;

	old = huge_map(HUGE_2M, 2, SZ_2M, MAP_HUGE_2MB, &p);
	if (old < 0)
		SKIP(return, "no hugetlbfs 2 MiB pages in this kernel (or none free)");
	ASSERT_NE(MAP_FAILED, p);
	strcpy(p + SZ_2M + 8, "huge");
	ASSERT_EQ(0, map_user(fd, GPA, 2 * SZ_2M, p, GAS_PROT_RW, 0));
	ASSERT_EQ(0, gas_translate(fd, GPA + SZ_2M + 8, &t));
	EXPECT_EQ(SZ_2M, t.page_size);
	EXPECT_EQ(vmm_hpa(p + SZ_2M + 8), t.hpa);
	ASSERT_EQ(0, gas_get_info(fd, &i));
	EXPECT_EQ(2U, i.nr_leaves_2m);
	EXPECT_EQ(0U, i.nr_leaves_4k);
	munmap(p, 2 * SZ_2M);
	ASSERT_EQ(0, gas_unmap(fd, GPA + SZ_2M, PAGE_4K));
	ASSERT_EQ(0, gas_get_info(fd, &i));
	EXPECT_EQ(1U, i.nr_leaves_2m);
	EXPECT_EQ(511U, i.nr_leaves_4k);
	EXPECT_EQ(0, gas_unmap(fd, GPA, 2 * SZ_2M));
	huge_release(HUGE_2M, old);
}

/* A hugetlbfs 1 GiB page at a 1 GiB aligned gpa: one 1 GiB leaf. */
TEST_F(user, hugetlb_1g)
{
	struct gaspace_translation t;
	struct gaspace_info i;
	int fd = self->s.fd;
	long long old;
	char *p;

	old = huge_map(HUGE_1G, 1, SZ_1G, MAP_HUGE_1GB, &p);
	if (old < 0)
		SKIP(return, "no hugetlbfs 1 GiB page in this kernel (or none free)");
	ASSERT_NE(MAP_FAILED, p);
	strcpy(p + SZ_2M, "gigantic");
	ASSERT_EQ(0, map_user(fd, GPA, SZ_1G, p, GAS_PROT_RW, 0));
	ASSERT_EQ(0, gas_translate(fd, GPA + SZ_2M, &t));
	EXPECT_EQ(SZ_1G, t.page_size);
	EXPECT_EQ(2U, t.level);
	EXPECT_EQ(vmm_hpa(p + SZ_2M), t.hpa);
	ASSERT_EQ(0, gas_get_info(fd, &i));
	EXPECT_EQ(1U, i.nr_leaves_1g);
	EXPECT_EQ(0U, i.nr_leaves_2m + i.nr_leaves_4k);
	munmap(p, SZ_1G);
	ASSERT_EQ(0, gas_unmap(fd, GPA, SZ_1G));
	/* the page is free again once unpinned: the pool can shrink */
	huge_release(HUGE_1G, old);
	EXPECT_EQ(old, gas_read_number(HUGE_1G));
}

TEST_HARNESS_MAIN
