// SPDX-License-Identifier: GPL-2.0
/*
 * info_test: GASPACE_GET_INFO of an empty space (gaspace.rst 2.4, 12, 5).
 *
 * One fixture variant per format and gpa_bits (0 = the default included);
 * every expected number is written out per variant: levels, root pages,
 * the RISC-V hgatp mode and the Arm VTCR_EL2 fields.  The root pointer is
 * checked against root_hpa to the bit, and both show to every holder of an
 * fd created with CAP_SYS_ADMIN (security_test checks that a space created
 * without it hides them).
 */
#include <sched.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "gaspace_util.h"
#include "kselftest_harness.h"

/* VTCR_EL2 fields of gaspace.rst 12, besides T0SZ and SL0. */
#define VTCR_IRGN0_WBWA		0x100ULL
#define VTCR_ORGN0_WBWA		0x400ULL
#define VTCR_SH0_INNER		0x3000ULL
#define VTCR_FIXED		(VTCR_IRGN0_WBWA | VTCR_ORGN0_WBWA | \
				 VTCR_SH0_INNER)

FIXTURE(info) {
	int dev;
	int fd;
	unsigned long long base, size;
	struct gaspace_info info;
};

FIXTURE_VARIANT(info) {
	unsigned int format;
	unsigned int bits;		/* asked for */
	unsigned int eff_bits;		/* in effect */
	unsigned int levels;
	unsigned int root_pages;
	unsigned int hgatp_mode;	/* RISC-V */
	unsigned long long walk_config;	/* Arm */
};

/* A width asked for, as it comes out: a variant's initializer. */
#define INFO_GEOMETRY(fmt, asked, width, lv, roots, hgatp, vtcr)	\
	{								\
		.format = GASPACE_FMT_##fmt, .bits = (asked),		\
		.eff_bits = (width), .levels = (lv),			\
		.root_pages = (roots), .hgatp_mode = (hgatp),		\
		.walk_config = (vtcr),					\
	}

/* format, bits, in effect, levels, root pages, hgatp MODE, walk_config */
FIXTURE_VARIANT_ADD(info, ept_default)
	INFO_GEOMETRY(EPT, 0, 48, 4, 1, 0, 0);
FIXTURE_VARIANT_ADD(info, ept_48)
	INFO_GEOMETRY(EPT, 48, 48, 4, 1, 0, 0);
FIXTURE_VARIANT_ADD(info, ept_57)
	INFO_GEOMETRY(EPT, 57, 57, 5, 1, 0, 0);
FIXTURE_VARIANT_ADD(info, npt_default)
	INFO_GEOMETRY(NPT, 0, 48, 4, 1, 0, 0);
FIXTURE_VARIANT_ADD(info, npt_48)
	INFO_GEOMETRY(NPT, 48, 48, 4, 1, 0, 0);
FIXTURE_VARIANT_ADD(info, npt_57)
	INFO_GEOMETRY(NPT, 57, 57, 5, 1, 0, 0);

/* RISC-V: a 16 KiB root; hgatp MODE 8, 9, 10 for Sv39x4, Sv48x4, Sv57x4 */
FIXTURE_VARIANT_ADD(info, riscv_g_default)
	INFO_GEOMETRY(RISCV_G, 0, 41, 3, 4, 8, 0);
FIXTURE_VARIANT_ADD(info, riscv_g_41)
	INFO_GEOMETRY(RISCV_G, 41, 41, 3, 4, 8, 0);
FIXTURE_VARIANT_ADD(info, riscv_g_50)
	INFO_GEOMETRY(RISCV_G, 50, 50, 4, 4, 9, 0);
FIXTURE_VARIANT_ADD(info, riscv_g_59)
	INFO_GEOMETRY(RISCV_G, 59, 59, 5, 4, 10, 0);

/*
 * Arm, as KVM: levels = (bits - 8) / 9; the root resolves
 * bits - 12 - 9 * (levels - 1) bits, so it concatenates 2^(that - 9) tables
 * when that exceeds 9; walk_config = T0SZ | SL0 << 6 | 0x3500 with SL0 = 2,
 * 1, 0 for start level 0, 1, 2.
 */
FIXTURE_VARIANT_ADD(info, arm64_s2_default)
	INFO_GEOMETRY(ARM64_S2, 0, 40, 3, 2, 0, 0x3558);
FIXTURE_VARIANT_ADD(info, arm64_s2_32)
	INFO_GEOMETRY(ARM64_S2, 32, 32, 2, 4, 0, 0x3520);
FIXTURE_VARIANT_ADD(info, arm64_s2_33)
	INFO_GEOMETRY(ARM64_S2, 33, 33, 2, 8, 0, 0x351f);
FIXTURE_VARIANT_ADD(info, arm64_s2_34)
	INFO_GEOMETRY(ARM64_S2, 34, 34, 2, 16, 0, 0x351e);
FIXTURE_VARIANT_ADD(info, arm64_s2_35)
	INFO_GEOMETRY(ARM64_S2, 35, 35, 3, 1, 0, 0x355d);
FIXTURE_VARIANT_ADD(info, arm64_s2_36)
	INFO_GEOMETRY(ARM64_S2, 36, 36, 3, 1, 0, 0x355c);
FIXTURE_VARIANT_ADD(info, arm64_s2_37)
	INFO_GEOMETRY(ARM64_S2, 37, 37, 3, 1, 0, 0x355b);
FIXTURE_VARIANT_ADD(info, arm64_s2_38)
	INFO_GEOMETRY(ARM64_S2, 38, 38, 3, 1, 0, 0x355a);
FIXTURE_VARIANT_ADD(info, arm64_s2_39)
	INFO_GEOMETRY(ARM64_S2, 39, 39, 3, 1, 0, 0x3559);
FIXTURE_VARIANT_ADD(info, arm64_s2_40)
	INFO_GEOMETRY(ARM64_S2, 40, 40, 3, 2, 0, 0x3558);
FIXTURE_VARIANT_ADD(info, arm64_s2_41)
	INFO_GEOMETRY(ARM64_S2, 41, 41, 3, 4, 0, 0x3557);
FIXTURE_VARIANT_ADD(info, arm64_s2_42)
	INFO_GEOMETRY(ARM64_S2, 42, 42, 3, 8, 0, 0x3556);
FIXTURE_VARIANT_ADD(info, arm64_s2_43)
	INFO_GEOMETRY(ARM64_S2, 43, 43, 3, 16, 0, 0x3555);
FIXTURE_VARIANT_ADD(info, arm64_s2_44)
	INFO_GEOMETRY(ARM64_S2, 44, 44, 4, 1, 0, 0x3594);
FIXTURE_VARIANT_ADD(info, arm64_s2_45)
	INFO_GEOMETRY(ARM64_S2, 45, 45, 4, 1, 0, 0x3593);
FIXTURE_VARIANT_ADD(info, arm64_s2_46)
	INFO_GEOMETRY(ARM64_S2, 46, 46, 4, 1, 0, 0x3592);
FIXTURE_VARIANT_ADD(info, arm64_s2_47)
	INFO_GEOMETRY(ARM64_S2, 47, 47, 4, 1, 0, 0x3591);
FIXTURE_VARIANT_ADD(info, arm64_s2_48)
	INFO_GEOMETRY(ARM64_S2, 48, 48, 4, 1, 0, 0x3590);

FIXTURE_SETUP(info)
{
	self->fd = -1;
	self->dev = gas_open_dev();
	ASSERT_LE(0, self->dev) TH_LOG("open %s: %s", GASPACE_DEV,
				       strerror(errno));
	/* a space that does not start at 0 and ends at the width's end */
	self->base = 1ULL << 21;
	self->size = (1ULL << variant->eff_bits) - self->base;
	self->fd = gas_create(self->dev, variant->format, variant->bits,
			      self->base, self->size);
	ASSERT_LE(0, self->fd) TH_LOG("CREATE %s/%u: %s",
				      gas_format_name(variant->format),
				      variant->bits, strerror(-self->fd));
	ASSERT_EQ(0, gas_get_info(self->fd, &self->info));
}

FIXTURE_TEARDOWN(info)
{
	gas_close_audited(self->fd);
	close(self->dev);
}

TEST_F(info, format_and_width)
{
	EXPECT_EQ(variant->format, self->info.format);
	EXPECT_EQ(variant->eff_bits, self->info.gpa_bits);
}

TEST_F(info, levels_and_root_pages)
{
	struct gas_geometry g = gas_expected_geometry(variant->format,
						      variant->bits);

	EXPECT_EQ(variant->levels, self->info.levels);
	EXPECT_EQ(variant->root_pages, self->info.root_pages);
	/* the variant table and the helper agree */
	EXPECT_EQ(variant->levels, g.levels);
	EXPECT_EQ(variant->root_pages, g.root_pages);
}

TEST_F(info, base_and_size)
{
	struct gaspace_info info;
	int fd;

	EXPECT_EQ(self->base, self->info.base);
	EXPECT_EQ(self->size, self->info.size);

	/* one page at 0 */
	fd = gas_create(self->dev, variant->format, variant->bits, 0,
			PAGE_4K);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, gas_get_info(fd, &info));
	EXPECT_EQ(0ULL, info.base);
	EXPECT_EQ(PAGE_4K, info.size);
	EXPECT_EQ(variant->eff_bits, info.gpa_bits);
	EXPECT_EQ(variant->levels, info.levels);
	EXPECT_CLOSE_AUDITED(fd);
}

TEST_F(info, counters_of_empty_space)
{
	EXPECT_EQ(0ULL, self->info.nr_areas);
	EXPECT_EQ((__u64)variant->root_pages, self->info.nr_table_pages);
	EXPECT_EQ(0ULL, self->info.nr_data_pages);
	EXPECT_EQ(0ULL, self->info.mapped_bytes);
}

TEST_F(info, reserved_is_zero)
{
	unsigned int i;

	/* gas_get_info() filled the buffer with 0xa5 first */
	for (i = 0; i < ARRAY_LEN(self->info.reserved); i++) {
		EXPECT_EQ(0ULL, self->info.reserved[i])
			TH_LOG("reserved[%u]", i);
	}
}

TEST_F(info, root_hpa_aligned_to_root_size)
{
	unsigned long long root_size = variant->root_pages * PAGE_4K;
	unsigned long long align = root_size;

	/* RISC-V: 16 KiB root, 16 KiB aligned */
	if (variant->format == GASPACE_FMT_RISCV_G) {
		EXPECT_EQ(SZ_16K, root_size);
		align = SZ_16K;
	}
	ASSERT_TRUE(gas_have_cap(CAP_SYS_ADMIN));
	EXPECT_NE(0ULL, self->info.root_hpa);
	EXPECT_EQ(0ULL, self->info.root_hpa & (align - 1))
		TH_LOG("root_hpa %#llx, root of %llu bytes",
		       (unsigned long long)self->info.root_hpa, root_size);
	/* an x86-64 host: physical addresses below 1 << 52 */
	EXPECT_EQ(0ULL, self->info.root_hpa >> 52);
}

TEST_F(info, root_pointer)
{
	__u64 hpa = self->info.root_hpa;
	__u64 want = 0;

	ASSERT_TRUE(gas_have_cap(CAP_SYS_ADMIN));
	switch (variant->format) {
	case GASPACE_FMT_EPT:
		/* WB (6), walk length - 1 in bits 5:3, A/D off */
		want = hpa | (__u64)(variant->levels - 1) << 3 | 6;
		EXPECT_EQ(variant->levels == 4 ? 0x1eULL : 0x26ULL,
			  self->info.root_pointer & 0xfff);
		break;
	case GASPACE_FMT_NPT:
		want = hpa;
		break;
	case GASPACE_FMT_ARM64_S2:
		/* VTTBR_EL2: BADDR, VMID 0, CnP 0 */
		want = hpa;
		break;
	case GASPACE_FMT_RISCV_G:
		want = (__u64)variant->hgatp_mode << 60 | hpa >> 12;
		break;
	}
	EXPECT_EQ(want, self->info.root_pointer)
		TH_LOG("root_hpa %#llx root_pointer %#llx",
		       (unsigned long long)hpa,
		       (unsigned long long)self->info.root_pointer);
}

TEST_F(info, walk_config)
{
	if (variant->format != GASPACE_FMT_ARM64_S2) {
		EXPECT_EQ(0ULL, self->info.walk_config);
		return;
	}
	EXPECT_EQ(variant->walk_config, self->info.walk_config);
	/* the same, by gaspace.rst 12's formula */
	EXPECT_EQ((64ULL - variant->eff_bits) |
		  (__u64)(variant->levels - 2) << 6 | VTCR_FIXED,
		  self->info.walk_config);
}

/* GET_INFO of @fd in a child that dropped CAP_SYS_ADMIN; 0 or -errno. */
static int info_without_sys_admin(int fd, struct gaspace_info *out)
{
	int pipefd[2], status, ret;
	pid_t pid;

	if (pipe(pipefd))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		struct gaspace_info info;

		close(pipefd[0]);
		if (gas_drop_cap(CAP_SYS_ADMIN) || gas_have_cap(CAP_SYS_ADMIN))
			_exit(2);
		if (gas_get_info(fd, &info))
			_exit(3);
		if (write(pipefd[1], &info, sizeof(info)) != sizeof(info))
			_exit(4);
		_exit(0);
	}
	close(pipefd[1]);
	ret = read(pipefd[0], out, sizeof(*out)) == sizeof(*out) ? 0 : -EIO;
	close(pipefd[0]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		ret = -ECHILD;
	return ret;
}

/*
 * The space was created with CAP_SYS_ADMIN: a holder of its fd without it
 * sees the same answer, root included (host addresses follow the
 * creator's credentials; security_test has the other side).
 */
TEST_F(info, root_shown_to_a_holder_without_sys_admin)
{
	struct gaspace_info info;

	ASSERT_EQ(0, info_without_sys_admin(self->fd, &info));
	EXPECT_NE(0ULL, info.root_hpa);
	EXPECT_EQ(0, memcmp(&info, &self->info, sizeof(info)));
}

FIXTURE(info_misc) {
	int dev;
};

FIXTURE_SETUP(info_misc)
{
	self->dev = gas_open_dev();
	ASSERT_LE(0, self->dev) TH_LOG("open %s: %s", GASPACE_DEV,
				       strerror(errno));
}

FIXTURE_TEARDOWN(info_misc)
{
	close(self->dev);
}

TEST_F(info_misc, each_space_has_its_own_root)
{
	struct gaspace_info a, b;
	unsigned int i;

	for (i = 0; i < ARRAY_LEN(gas_formats); i++) {
		int fa = gas_create(self->dev, gas_formats[i], 0, 0, PAGE_4K);
		int fb = gas_create(self->dev, gas_formats[i], 0, 0, PAGE_4K);

		ASSERT_LE(0, fa);
		ASSERT_LE(0, fb);
		ASSERT_EQ(0, gas_get_info(fa, &a));
		ASSERT_EQ(0, gas_get_info(fb, &b));
		EXPECT_NE(a.root_hpa, b.root_hpa);
		EXPECT_NE(a.root_pointer, b.root_pointer);
		EXPECT_CLOSE_AUDITED(fa);
		EXPECT_CLOSE_AUDITED(fb);
	}
}

/*
 * Root of a new user namespace has every capability there, none in the
 * initial namespace: a space it creates hides its root.  Exit codes: 0
 * hidden, 1 shown, 2 no user namespaces here, 3 CREATE, GET_INFO or AUDIT
 * failed.
 */
static int info_in_user_namespace(int dev)
{
	struct gaspace_info info;
	int fd;

	if (unshare(CLONE_NEWUSER))
		return 2;
	if (!gas_have_cap(CAP_SYS_ADMIN))
		return 2;	/* not what this test is about */
	fd = gas_create(dev, GASPACE_FMT_EPT, 0, 0, PAGE_4K);
	if (fd < 0 || gas_get_info(fd, &info) || gas_audit_clean(fd))
		return 3;
	return info.root_hpa || info.root_pointer;
}

TEST_F(info_misc, root_hidden_in_user_namespace)
{
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(info_in_user_namespace(self->dev));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	if (WEXITSTATUS(status) == 2)
		SKIP(return, "no user namespaces in this kernel");
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("%s", WEXITSTATUS(status) == 1 ?
		       "root_hpa shown to a user namespace's root" :
		       "CREATE, GET_INFO or AUDIT failed");
}

TEST_F(info_misc, info_is_stable)
{
	struct gaspace_info a, b;
	int fd;

	fd = gas_create(self->dev, GASPACE_FMT_ARM64_S2, 0, 0, 1ULL << 30);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, gas_get_info(fd, &a));
	ASSERT_EQ(0, gas_get_info(fd, &b));
	EXPECT_EQ(0, memcmp(&a, &b, sizeof(a)));
	EXPECT_CLOSE_AUDITED(fd);
}

TEST_F(info_misc, bad_pointer_is_efault)
{
	long page = sysconf(_SC_PAGESIZE);
	void *ro;
	int fd;

	fd = gas_create(self->dev, GASPACE_FMT_EPT, 0, 0, PAGE_4K);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EFAULT, gas_ioctl(fd, GASPACE_GET_INFO, 0));
	EXPECT_EQ(-EFAULT, gas_ioctl(fd, GASPACE_GET_INFO, 4096));
	EXPECT_EQ(-EFAULT, gas_ioctl(fd, GASPACE_GET_INFO,
				     GAS_KERNEL_ADDR));

	/* a read-only page cannot take the result */
	ro = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	EXPECT_EQ(-EFAULT, gas_ioctl_ptr(fd, GASPACE_GET_INFO, ro));
	munmap(ro, page);
	EXPECT_CLOSE_AUDITED(fd);
}

TEST_HARNESS_MAIN
