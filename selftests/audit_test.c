// SPDX-License-Identifier: GPL-2.0
/*
 * audit_test: GASPACE_AUDIT, the self-audit of an address space's table.
 *
 * The struct and the command (64 bytes, _IOR 0x1d), the capability, EFAULT
 * before anything else for a struct that is not writable whole, -ENOTTY for
 * another size or direction; then, on every format, a healthy space after
 * each step of a scripted sequence (linear blocks and NOHUGE device pages,
 * HUGE alloc frames populated and lazy pages faulted, PROTECT splitting
 * 1 GiB and 2 MiB blocks, UNMAP of part of a 2 MiB frame, dirty logging
 * with writes and a harvest, discard, prot 0 and back, UNMAP of all) has
 * no error, and nr_entries is exact for a known layout.
 */
#include <fcntl.h>
#include <stddef.h>
#include <sys/mman.h>

#include "gaspace_util.h"
#include "kselftest_harness.h"

#define SIZE		(4 * SZ_1G)
#define HPA		BIT_ULL(40)
#define HUGE_AREA	0ULL			/* alloc HUGE, 8 MiB, populated */
#define HUGE_SIZE	(4 * SZ_2M)
#define LAZY		(16 * SZ_2M)		/* alloc, 4 MiB, lazy */
#define LAZY_SIZE	(2 * SZ_2M)
#define LINEAR		SZ_1G			/* linear, 1 GiB + 4 MiB */
#define LINEAR_SIZE	(SZ_1G + 2 * SZ_2M)
#define DEVICE		(3 * SZ_1G)		/* linear NOHUGE DEVICE, 64 KiB */
#define DEVICE_SIZE	(16 * PAGE_4K)
#define PUNCH		(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE)

TEST(struct_layout)
{
	int dev = gas_open_dev();

	EXPECT_EQ(64UL, sizeof(struct gaspace_audit));
	EXPECT_EQ(0UL, offsetof(struct gaspace_audit, nr_entries));
	EXPECT_EQ(8UL, offsetof(struct gaspace_audit, nr_errors));
	EXPECT_EQ(16UL, offsetof(struct gaspace_audit, first_gpa));
	EXPECT_EQ(24UL, offsetof(struct gaspace_audit, first_level));
	EXPECT_EQ(28UL, offsetof(struct gaspace_audit, pad));
	EXPECT_EQ(32UL, offsetof(struct gaspace_audit, reserved));
	EXPECT_EQ(9, GASPACE_CAP_AUDIT);
	EXPECT_EQ((unsigned long)_IOR(0xBA, 0x1d, struct gaspace_audit),
		  (unsigned long)GASPACE_AUDIT);
	EXPECT_EQ(0x8040ba1dUL, (unsigned long)GASPACE_AUDIT);
	ASSERT_LE(0, dev);
	EXPECT_EQ(1, ioctl(dev, GASPACE_CHECK_EXTENSION, GASPACE_CAP_AUDIT));
	close(dev);
}

FIXTURE(audit) {
	struct gas_space s;
};

FIXTURE_VARIANT(audit) {
	unsigned int format;
	unsigned int bits;
};

FIXTURE_VARIANT_ADD(audit, ept) GAS_GEOMETRY(EPT, 48);
FIXTURE_VARIANT_ADD(audit, ept_5level) GAS_GEOMETRY(EPT, 57);
FIXTURE_VARIANT_ADD(audit, npt) GAS_GEOMETRY(NPT, 48);
FIXTURE_VARIANT_ADD(audit, arm64_s2) GAS_GEOMETRY(ARM64_S2, 40);
FIXTURE_VARIANT_ADD(audit, arm64_s2_32) GAS_GEOMETRY(ARM64_S2, 32);
FIXTURE_VARIANT_ADD(audit, arm64_s2_48) GAS_GEOMETRY(ARM64_S2, 48);
FIXTURE_VARIANT_ADD(audit, riscv_g) GAS_GEOMETRY(RISCV_G, 41);
FIXTURE_VARIANT_ADD(audit, riscv_g_sv48x4) GAS_GEOMETRY(RISCV_G, 50);

FIXTURE_SETUP(audit)
{
	ASSERT_EQ(0, gas_space_open(&self->s, variant->format, variant->bits,
				    0, SIZE));
}

FIXTURE_TEARDOWN(audit)
{
	gas_space_close(&self->s);
}

/* AUDIT finds no error; its entries, or -1 (with the harness's message). */
#define EXPECT_HEALTHY(fd, step) ({					\
	struct gaspace_audit __a;					\
	const char *__step = (step);					\
	long long __n = -1;						\
									\
	EXPECT_EQ(0, gas_audit((fd), &__a)) {				\
		TH_LOG("%s", __step);					\
	}								\
	EXPECT_EQ(0ULL, __a.nr_errors) {				\
		TH_LOG("%s: first error at %#llx level %u", __step,	\
		       (unsigned long long)__a.first_gpa,		\
		       __a.first_level);				\
	}								\
	if (!__a.nr_errors) {						\
		EXPECT_EQ(0ULL, __a.first_gpa);				\
		EXPECT_EQ(0U, __a.first_level);				\
		__n = (long long)__a.nr_entries;			\
	}								\
	EXPECT_EQ(0U, __a.pad);						\
	EXPECT_EQ(0ULL, __a.reserved[0] | __a.reserved[1] |		\
			__a.reserved[2] | __a.reserved[3]);		\
	__n;								\
})

/* The whole struct must be writable: EFAULT before anything is judged. */
TEST_F(audit, efault)
{
	int fd = self->s.fd;
	char *p = mmap(NULL, 2 * PAGE_4K, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, munmap(p + PAGE_4K, PAGE_4K));
	EXPECT_EQ(-1, ioctl(fd, GASPACE_AUDIT, NULL));
	EXPECT_EQ(EFAULT, errno);
	/* the last 8 bytes fall in the unmapped page */
	EXPECT_EQ(-1, ioctl(fd, GASPACE_AUDIT, p + PAGE_4K - 56));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(0, mprotect(p, PAGE_4K, PROT_READ));
	EXPECT_EQ(-1, ioctl(fd, GASPACE_AUDIT, p));
	EXPECT_EQ(EFAULT, errno);
	munmap(p, PAGE_4K);
}

/* Only the whole command: another size or direction is not AUDIT. */
TEST_F(audit, other_commands)
{
	struct gaspace_audit a[2];
	int fd = self->s.fd;

	EXPECT_EQ(-1, ioctl(fd, _IOR(GASPACE_IO, 0x1d, __u64[7]), a));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(fd, _IOWR(GASPACE_IO, 0x1d, struct gaspace_audit),
			    a));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(fd, _IO(GASPACE_IO, 0x1d), 0));
	EXPECT_EQ(ENOTTY, errno);
}

/* An empty space has no entry but its root's, all empty. */
TEST_F(audit, empty)
{
	EXPECT_EQ(0, EXPECT_HEALTHY(self->s.fd, "empty"));
}

/* One 4 KiB page: one entry per level, the leaf included. */
TEST_F(audit, one_page_counts_one_entry_per_level)
{
	int fd = self->s.fd;

	ASSERT_EQ(0, gas_map_alloc(fd, LAZY, PAGE_4K, GAS_PROT_RW,
				   GASPACE_MAP_POPULATE));
	EXPECT_EQ((long long)self->s.levels, EXPECT_HEALTHY(fd, "one page"));
	/* a lazy area without frames: no leaf, no table */
	ASSERT_EQ(0, gas_map_alloc(fd, LAZY + PAGE_4K, SZ_2M, GAS_PROT_RW, 0));
	EXPECT_EQ((long long)self->s.levels, EXPECT_HEALTHY(fd, "lazy"));
	/* one more page in the same last-level table: one more entry */
	ASSERT_EQ(0, gas_fault(fd, LAZY + PAGE_4K, GASPACE_PROT_WRITE));
	EXPECT_EQ(0, gas_fault(fd, LAZY + SZ_2M, GASPACE_PROT_READ));
	EXPECT_EQ((long long)self->s.levels + 3, EXPECT_HEALTHY(fd, "faults"));
	ASSERT_EQ(0, gas_unmap(fd, 0, SIZE));
	EXPECT_EQ(0, EXPECT_HEALTHY(fd, "all unmapped"));
}

/* A linear block of the largest size: the root's entry and the block. */
TEST_F(audit, linear_block)
{
	int fd = self->s.fd;
	long long want = self->s.levels - self->s.max_level;

	ASSERT_EQ(0, gas_map_linear(fd, LINEAR, SZ_1G, HPA + LINEAR,
				    GAS_PROT_RW, 0));
	/* 2 MiB blocks in a 2-level root, where the format has no 1 GiB */
	if (self->s.max_level == 1)
		want = 512;
	EXPECT_EQ(want, EXPECT_HEALTHY(fd, "linear"));
}

TEST_F(audit, scripted_sequence)
{
	int fd = self->s.fd;
	char buf[3 * PAGE_4K];
	__u64 bits[HUGE_SIZE / PAGE_4K / 64];
	int i;

	memset(buf, 0x5a, sizeof(buf));
	ASSERT_EQ(0, gas_map_alloc(fd, HUGE_AREA, HUGE_SIZE, GAS_PROT_RW,
				   GASPACE_MAP_HUGE | GASPACE_MAP_POPULATE));
	ASSERT_EQ(0, gas_map_alloc(fd, LAZY, LAZY_SIZE, GAS_PROT_RWX, 0));
	ASSERT_EQ(0, gas_map_linear(fd, LINEAR, LINEAR_SIZE, HPA + LINEAR,
				    GAS_PROT_RW, 0));
	ASSERT_EQ(0, gas_map_linear(fd, DEVICE, DEVICE_SIZE, HPA + DEVICE,
				    GAS_PROT_RW, GASPACE_MAP_NOHUGE |
				    GASPACE_MAP_DEVICE));
	EXPECT_LT(0, EXPECT_HEALTHY(fd, "maps"));
	for (i = 0; i < 5; i++)
		ASSERT_EQ(0, gas_fault(fd, LAZY + i * 7 * PAGE_4K,
				       GASPACE_PROT_READ));
	ASSERT_EQ((ssize_t)(3 * PAGE_4K),
		  gas_pwrite(fd, buf, 3 * PAGE_4K, LAZY + SZ_2M - PAGE_4K));
	EXPECT_LT(0, EXPECT_HEALTHY(fd, "faults and pwrite"));

	/* PROTECT splits a 1 GiB block, a linear 2 MiB block, a 2 MiB frame */
	ASSERT_EQ(0, gas_protect(fd, LINEAR + 3 * PAGE_4K, 2 * PAGE_4K,
				 GAS_PROT_R));
	ASSERT_EQ(0, gas_protect(fd, LINEAR + SZ_1G + SZ_2M + PAGE_4K, PAGE_4K,
				 GAS_PROT_RX));
	ASSERT_EQ(0, gas_protect(fd, HUGE_AREA + SZ_2M + PAGE_4K, PAGE_4K,
				 GAS_PROT_R));
	EXPECT_LT(0, EXPECT_HEALTHY(fd, "protect splits"));

	/* UNMAP of part of a 2 MiB frame, and of a linear block's middle */
	ASSERT_EQ(0, gas_unmap(fd, HUGE_AREA + 3 * SZ_2M + 2 * PAGE_4K,
			       PAGE_4K));
	ASSERT_EQ(0, gas_unmap(fd, LINEAR + SZ_1G + 5 * PAGE_4K, (SZ_2M / 2)));
	EXPECT_LT(0, EXPECT_HEALTHY(fd, "unmap splits"));

	/* dirty logging: clean pages lack W, written ones have it back */
	ASSERT_EQ(0, gas_dirty_log_enable(fd, HUGE_AREA, 3 * SZ_2M));
	ASSERT_EQ(0, gas_dirty_log_enable(fd, LINEAR + SZ_1G + SZ_2M, SZ_2M));
	EXPECT_LT(0, EXPECT_HEALTHY(fd, "log enabled"));
	ASSERT_EQ((ssize_t)(2 * PAGE_4K),
		  gas_pwrite(fd, buf, 2 * PAGE_4K, HUGE_AREA + 5 * PAGE_4K));
	ASSERT_EQ(0, gas_fault(fd, HUGE_AREA + SZ_2M + 9 * PAGE_4K,
			       GASPACE_PROT_WRITE));
	ASSERT_EQ(0, gas_fault(fd, LINEAR + SZ_1G + SZ_2M + 9 * PAGE_4K,
			       GASPACE_PROT_WRITE));
	EXPECT_LT(0, EXPECT_HEALTHY(fd, "logged writes"));
	ASSERT_EQ(0, gas_get_dirty_log(fd, HUGE_AREA, 2 * SZ_2M, bits,
				       GASPACE_DIRTY_CLEAR));
	EXPECT_LT(0, EXPECT_HEALTHY(fd, "harvest"));
	memset(bits, 0, sizeof(bits));
	bits[1] = 1;
	ASSERT_EQ(0, gas_get_dirty_log(fd, HUGE_AREA, 2 * SZ_2M, bits,
				       GASPACE_DIRTY_SET));
	EXPECT_LT(0, EXPECT_HEALTHY(fd, "dirty set"));
	ASSERT_EQ(0, gas_dirty_log_disable(fd, HUGE_AREA, 3 * SZ_2M));
	ASSERT_EQ(0, gas_dirty_log_disable(fd, LINEAR + SZ_1G + SZ_2M, SZ_2M));
	EXPECT_LT(0, EXPECT_HEALTHY(fd, "log disabled"));

	/* discard: whole pages of a 2 MiB frame, and lazy pages */
	ASSERT_EQ(0, fallocate(fd, PUNCH, HUGE_AREA + 16 * PAGE_4K,
			       4 * PAGE_4K));
	ASSERT_EQ(0, fallocate(fd, PUNCH, LAZY, SZ_2M));
	EXPECT_LT(0, EXPECT_HEALTHY(fd, "discard"));

	/* prot 0 and back */
	ASSERT_EQ(0, gas_protect(fd, HUGE_AREA, 3 * SZ_2M, 0));
	ASSERT_EQ(0, gas_protect(fd, LINEAR, SZ_2M, 0));
	ASSERT_EQ(0, gas_protect(fd, DEVICE, DEVICE_SIZE, 0));
	EXPECT_LT(0, EXPECT_HEALTHY(fd, "prot 0"));
	ASSERT_EQ(0, gas_protect(fd, HUGE_AREA, 3 * SZ_2M, GAS_PROT_RWX));
	ASSERT_EQ(0, gas_protect(fd, LINEAR, SZ_2M, GAS_PROT_RW));
	ASSERT_EQ(0, gas_protect(fd, DEVICE, DEVICE_SIZE, GAS_PROT_R));
	EXPECT_LT(0, EXPECT_HEALTHY(fd, "prot back"));

	/* REPLACE over a mix, then all gone */
	ASSERT_EQ(0, gas_map_alloc(fd, HUGE_AREA + SZ_2M, SZ_2M * 2,
				   GAS_PROT_RW, GASPACE_MAP_REPLACE |
				   GASPACE_MAP_HUGE | GASPACE_MAP_POPULATE));
	EXPECT_LT(0, EXPECT_HEALTHY(fd, "replace"));
	ASSERT_EQ(0, gas_unmap(fd, 0, SIZE));
	EXPECT_EQ(0, EXPECT_HEALTHY(fd, "all unmapped"));
}

TEST_HARNESS_MAIN
