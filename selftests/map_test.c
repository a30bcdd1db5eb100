// SPDX-License-Identifier: GPL-2.0
/*
 * map_test: GASPACE_MAP_LINEAR and GASPACE_MAP_ALLOC (gaspace.rst 2, 5, 3).
 *
 * Every errno in the order of checks: -EFAULT, -EPERM without
 * CAP_SYS_RAWIO, each -EINVAL rule (reserved, flags, prot bits, W without
 * R, flags that do not apply, alloc hpa, alignment, size 0, wraps, the
 * physical width), -ERANGE, -EPERM over System RAM, -EEXIST, -ENOSPC; every
 * flag; GET_INFO's counters after each step with the table pages computed
 * from the leaves gaspace.rst 3 asks for; linear leaf sizes by alignment; a
 * failed call changes nothing.  Each case runs for every format.
 */
#include <signal.h>
#include <time.h>
#include <sys/stat.h>

#include "gaspace_util.h"
#include "kselftest_harness.h"

#define BASE		SZ_1G
#define SIZE		(3 * SZ_1G)
#define HPA		BIT_ULL(40)	/* 1 TiB: never RAM in the test VM */
#define MAX_RUNS	32

FIXTURE(map) {
	struct gas_space s;
	struct gas_param linear_ram;
	struct gas_param max_areas;
	char msg[512];
};

FIXTURE_VARIANT(map) {
	unsigned int format;
	unsigned int bits;
};

FIXTURE_VARIANT_ADD(map, ept) GAS_GEOMETRY(EPT, 48);
FIXTURE_VARIANT_ADD(map, ept_5level) GAS_GEOMETRY(EPT, 57);
FIXTURE_VARIANT_ADD(map, npt) GAS_GEOMETRY(NPT, 48);
FIXTURE_VARIANT_ADD(map, arm64_s2) GAS_GEOMETRY(ARM64_S2, 40);
/* two levels: no 1 GiB block */
FIXTURE_VARIANT_ADD(map, arm64_s2_32) GAS_GEOMETRY(ARM64_S2, 32);
FIXTURE_VARIANT_ADD(map, riscv_g) GAS_GEOMETRY(RISCV_G, 41);

FIXTURE_SETUP(map)
{
	ASSERT_EQ(0, gas_space_open(&self->s, variant->format, variant->bits,
				    BASE, SIZE));
	ASSERT_EQ(0, gas_param_save(&self->linear_ram,
				    GASPACE_PARAM("linear_ram")));
	ASSERT_EQ(0, gas_param_save(&self->max_areas,
				    GASPACE_PARAM("max_areas")));
}

FIXTURE_TEARDOWN(map)
{
	gas_param_restore(&self->linear_ram);
	gas_param_restore(&self->max_areas);
	gas_space_close(&self->s);
}

static const struct gaspace_map good_linear = {
	.gpa = BASE, .size = PAGE_4K, .hpa = HPA, .prot = GAS_PROT_RW,
};

static const struct gaspace_map good_alloc = {
	.gpa = BASE, .size = PAGE_4K, .prot = GAS_PROT_RW,
};

/* The space is still empty: nothing was created by a failed call. */
#define EXPECT_EMPTY() \
	EXPECT_COUNTERS(self->s.fd, 0, self->s.root_pages, 0, 0)

TEST_F(map, bad_pointer_is_efault)
{
	char *mem = mmap(NULL, 2 * PAGE_4K, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *none = mem + PAGE_4K;
	int fd = self->s.fd;

	ASSERT_NE(MAP_FAILED, mem);
	ASSERT_EQ(0, mprotect(none, PAGE_4K, PROT_NONE));
	EXPECT_EQ(-EFAULT, gas_ioctl(fd, GASPACE_MAP_LINEAR, 0));
	EXPECT_EQ(-EFAULT, gas_ioctl(fd, GASPACE_MAP_ALLOC, 0));
	EXPECT_EQ(-EFAULT, gas_ioctl_ptr(fd, GASPACE_MAP_LINEAR, none));
	EXPECT_EQ(-EFAULT, gas_ioctl_ptr(fd, GASPACE_MAP_ALLOC, none));
	/* the last byte of the struct cannot be read */
	memcpy(none - sizeof(good_linear) + 1, &good_linear,
	       sizeof(good_linear) - 1);
	EXPECT_EQ(-EFAULT, gas_ioctl_ptr(fd, GASPACE_MAP_LINEAR,
					 none - sizeof(good_linear) + 1));
	EXPECT_EQ(-EFAULT, gas_ioctl_ptr(fd, GASPACE_MAP_ALLOC,
					 none - sizeof(good_alloc) + 1));
	/* -EFAULT comes before the capability check */
	EXPECT_EQ(-EFAULT, gas_ioctl_without_cap(CAP_SYS_RAWIO, fd,
						 GASPACE_MAP_LINEAR, none));
	munmap(mem, 2 * PAGE_4K);
	EXPECT_EMPTY();
}

TEST_F(map, linear_without_rawio_is_eperm)
{
	struct gaspace_map m[4] = {
		good_linear, good_linear, good_linear, good_linear,
	};
	const void *args[5] = { &m[0], &m[1], &m[2], &m[3], &good_alloc };
	const unsigned long cmds[5] = {
		GASPACE_MAP_LINEAR, GASPACE_MAP_LINEAR, GASPACE_MAP_LINEAR,
		GASPACE_MAP_LINEAR, GASPACE_MAP_ALLOC,
	};
	int fd = self->s.fd;
	long ret[5];

	/* before every -EINVAL and -ERANGE check */
	m[1].reserved[0] = 1;
	m[2].gpa = 0;
	m[3].size = 0;
	m[3].flags = 1u << 31;
	ASSERT_EQ(0, gas_ioctls_without_cap(CAP_SYS_RAWIO, fd, 5, cmds, args,
					    ret));
	EXPECT_EQ(-EPERM, ret[0]);
	EXPECT_EQ(-EPERM, ret[1]);
	EXPECT_EQ(-EPERM, ret[2]);
	EXPECT_EQ(-EPERM, ret[3]);
	/* MAP_ALLOC needs no capability */
	EXPECT_EQ(0, ret[4]);
	EXPECT_COUNTERS(fd, 1, self->s.root_pages, 0, 0);
	/* the capability of the caller counts, not the fd's opener */
	EXPECT_EQ(0, gas_map_linear(fd, BASE + PAGE_4K, PAGE_4K, HPA,
				    GAS_PROT_R, 0));
	EXPECT_COUNTERS(fd, 2, self->s.root_pages + self->s.levels - 1, 0,
			PAGE_4K);
}

TEST_F(map, nonzero_reserved_is_einval)
{
	static const __u64 values[] = { 1, 1ULL << 32, 1ULL << 63 };
	unsigned int i, v;

	for (i = 0; i < 2; i++) {
		for (v = 0; v < ARRAY_LEN(values); v++) {
			struct gaspace_map l = good_linear, a = good_alloc;

			l.reserved[i] = values[v];
			a.reserved[i] = values[v];
			EXPECT_EQ(-EINVAL,
				  gas_map_args(self->s.fd, GASPACE_MAP_LINEAR, &l))
				TH_LOG("reserved[%u] %#llx", i, values[v]);
			EXPECT_EQ(-EINVAL,
				  gas_map_args(self->s.fd, GASPACE_MAP_ALLOC, &a))
				TH_LOG("reserved[%u] %#llx", i, values[v]);
		}
	}
	EXPECT_EMPTY();
}

/* Unknown flags and the flags of the other call, one bit at a time. */
TEST_F(map, flags_that_do_not_apply_are_einval)
{
	const __u32 linear_ok = GASPACE_MAP_DEVICE | GASPACE_MAP_NOHUGE |
				GASPACE_MAP_REPLACE;
	const __u32 alloc_ok = GASPACE_MAP_POPULATE | GASPACE_MAP_HUGE |
			       GASPACE_MAP_REPLACE | GASPACE_MAP_USERFAULT;
	unsigned int bit;

	for (bit = 0; bit < 32; bit++) {
		struct gaspace_map l = good_linear, a = good_alloc;

		l.flags = 1u << bit;
		a.flags = 1u << bit;
		if (!(l.flags & linear_ok)) {
			EXPECT_EQ(-EINVAL,
				  gas_map_args(self->s.fd, GASPACE_MAP_LINEAR, &l))
				TH_LOG("linear flags %#x", l.flags);
			/* with a valid flag beside it too */
			l.flags |= GASPACE_MAP_REPLACE;
			EXPECT_EQ(-EINVAL,
				  gas_map_args(self->s.fd, GASPACE_MAP_LINEAR, &l))
				TH_LOG("linear flags %#x", l.flags);
		}
		if (!(a.flags & alloc_ok)) {
			EXPECT_EQ(-EINVAL,
				  gas_map_args(self->s.fd, GASPACE_MAP_ALLOC, &a))
				TH_LOG("alloc flags %#x", a.flags);
			a.flags |= GASPACE_MAP_POPULATE;
			EXPECT_EQ(-EINVAL,
				  gas_map_args(self->s.fd, GASPACE_MAP_ALLOC, &a))
				TH_LOG("alloc flags %#x", a.flags);
		}
	}
	EXPECT_EMPTY();
}

TEST_F(map, unknown_prot_bits_are_einval)
{
	unsigned int bit;

	for (bit = 3; bit < 32; bit++) {
		struct gaspace_map l = good_linear, a = good_alloc;

		l.prot |= 1u << bit;
		a.prot = 1u << bit;
		EXPECT_EQ(-EINVAL,
			  gas_map_args(self->s.fd, GASPACE_MAP_LINEAR, &l))
			TH_LOG("prot %#x", l.prot);
		EXPECT_EQ(-EINVAL,
			  gas_map_args(self->s.fd, GASPACE_MAP_ALLOC, &a))
			TH_LOG("prot %#x", a.prot);
	}
	EXPECT_EMPTY();
}

TEST_F(map, write_without_read_is_einval)
{
	static const __u32 prots[] = {
		GASPACE_PROT_WRITE, GASPACE_PROT_WRITE | GASPACE_PROT_EXEC,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_LEN(prots); i++) {
		struct gaspace_map l = good_linear, a = good_alloc;

		l.prot = prots[i];
		a.prot = prots[i];
		EXPECT_EQ(-EINVAL,
			  gas_map_args(self->s.fd, GASPACE_MAP_LINEAR, &l));
		EXPECT_EQ(-EINVAL,
			  gas_map_args(self->s.fd, GASPACE_MAP_ALLOC, &a));
	}
	EXPECT_EMPTY();
}

TEST_F(map, alloc_with_hpa_is_einval)
{
	static const __u64 hpas[] = { 1, PAGE_4K, HPA, 1ULL << 63 };
	unsigned int i;

	for (i = 0; i < ARRAY_LEN(hpas); i++) {
		struct gaspace_map a = good_alloc;

		a.hpa = hpas[i];
		EXPECT_EQ(-EINVAL, gas_map_args(self->s.fd, GASPACE_MAP_ALLOC,
						&a))
			TH_LOG("hpa %#llx", hpas[i]);
	}
	EXPECT_EMPTY();
}

TEST_F(map, unaligned_is_einval)
{
	static const __u64 offs[] = { 1, 0x800, PAGE_4K - 1 };
	unsigned int i;

	for (i = 0; i < ARRAY_LEN(offs); i++) {
		struct gaspace_map l = good_linear, a = good_alloc;

		l.gpa += offs[i];
		a.gpa += offs[i];
		EXPECT_EQ(-EINVAL,
			  gas_map_args(self->s.fd, GASPACE_MAP_LINEAR, &l));
		EXPECT_EQ(-EINVAL,
			  gas_map_args(self->s.fd, GASPACE_MAP_ALLOC, &a));
		l = good_linear;
		a = good_alloc;
		l.size += offs[i];
		a.size = offs[i];
		EXPECT_EQ(-EINVAL,
			  gas_map_args(self->s.fd, GASPACE_MAP_LINEAR, &l));
		EXPECT_EQ(-EINVAL,
			  gas_map_args(self->s.fd, GASPACE_MAP_ALLOC, &a));
		l = good_linear;
		l.hpa += offs[i];
		EXPECT_EQ(-EINVAL,
			  gas_map_args(self->s.fd, GASPACE_MAP_LINEAR, &l));
	}
	EXPECT_EMPTY();
}

TEST_F(map, size_zero_is_einval)
{
	struct gaspace_map l = good_linear, a = good_alloc;

	l.size = 0;
	a.size = 0;
	EXPECT_EQ(-EINVAL, gas_map_args(self->s.fd, GASPACE_MAP_LINEAR, &l));
	EXPECT_EQ(-EINVAL, gas_map_args(self->s.fd, GASPACE_MAP_ALLOC, &a));
	EXPECT_EMPTY();
}

/* Hazard 1 of the reference crate: gpa + size overflowed there. */
TEST_F(map, wrapping_gpa_is_einval)
{
	static const struct { __u64 gpa, size; } c[] = {
		{ ~0xfffULL, PAGE_4K },		/* ends exactly at 2^64 */
		{ ~0xfffULL, 2 * PAGE_4K },
		{ BASE, ~0xfffULL },
		{ BASE, -BASE },		/* wraps to 0 */
		{ BASE + PAGE_4K, -BASE },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_LEN(c); i++) {
		struct gaspace_map l = good_linear, a = good_alloc;

		l.gpa = c[i].gpa;
		a.gpa = c[i].gpa;
		l.size = c[i].size;
		a.size = c[i].size;
		EXPECT_EQ(-EINVAL,
			  gas_map_args(self->s.fd, GASPACE_MAP_LINEAR, &l))
			TH_LOG("gpa %#llx size %#llx", c[i].gpa, c[i].size);
		EXPECT_EQ(-EINVAL,
			  gas_map_args(self->s.fd, GASPACE_MAP_ALLOC, &a))
			TH_LOG("gpa %#llx size %#llx", c[i].gpa, c[i].size);
	}
	EXPECT_EMPTY();
}

/* Hazard 2: hpa above gpa is fine; hpa + size must not wrap. */
TEST_F(map, wrapping_hpa_is_einval)
{
	struct gaspace_map l = good_linear;

	l.hpa = ~0xfffULL;
	EXPECT_EQ(-EINVAL, gas_map_args(self->s.fd, GASPACE_MAP_LINEAR, &l));
	l.size = 2 * PAGE_4K;
	EXPECT_EQ(-EINVAL, gas_map_args(self->s.fd, GASPACE_MAP_LINEAR, &l));
	l.hpa = 2 * PAGE_4K;
	l.size = -PAGE_4K;
	EXPECT_EQ(-EINVAL, gas_map_args(self->s.fd, GASPACE_MAP_LINEAR, &l));
	EXPECT_EMPTY();
}

/* Hazard 9: the hpa range must fit the format's physical width. */
TEST_F(map, hpa_beyond_physical_width_is_einval)
{
	__u64 top = 1ULL << self->s.pa_bits;
	struct gaspace_translation t;
	int fd = self->s.fd;

	EXPECT_EQ(-EINVAL, gas_map_linear(fd, BASE, PAGE_4K, top,
					  GAS_PROT_RW, 0));
	EXPECT_EQ(-EINVAL, gas_map_linear(fd, BASE, 2 * PAGE_4K,
					  top - PAGE_4K, GAS_PROT_RW, 0));
	EXPECT_EQ(-EINVAL, gas_map_linear(fd, BASE, SZ_1G + SZ_2M,
					  top - SZ_1G, GAS_PROT_RW, 0));
	if (self->s.pa_bits < 63) {
		EXPECT_EQ(-EINVAL, gas_map_linear(fd, BASE, PAGE_4K,
						  top << 1, GAS_PROT_RW, 0));
	}
	EXPECT_EQ(-EINVAL, gas_map_linear(fd, BASE, PAGE_4K, 1ULL << 63,
					  GAS_PROT_RW, 0));

	/* the last page and the last 2 MiB below the width are fine */
	EXPECT_EQ(0, gas_map_linear(fd, BASE, PAGE_4K, top - PAGE_4K,
				    GAS_PROT_RW, 0));
	EXPECT_EQ(0, gas_map_linear(fd, BASE + SZ_2M, SZ_2M, top - SZ_2M,
				    GAS_PROT_RW, 0));
	ASSERT_EQ(0, gas_translate(fd, BASE + 0xfff, &t));
	EXPECT_EQ(top - 1, t.hpa);
	ASSERT_EQ(0, gas_translate(fd, BASE + SZ_2M + 0x12345, &t));
	EXPECT_EQ(top - SZ_2M + 0x12345, t.hpa);
	EXPECT_EQ(SZ_2M, t.page_size);
}

/* -EINVAL is checked before -ERANGE. */
TEST_F(map, einval_comes_before_erange)
{
	struct gaspace_map l = good_linear, a = good_alloc;

	/* below base */
	l.gpa = 0;
	a.gpa = 0;
	l.reserved[1] = 1;
	a.reserved[1] = 1;
	EXPECT_EQ(-EINVAL, gas_map_args(self->s.fd, GASPACE_MAP_LINEAR, &l));
	EXPECT_EQ(-EINVAL, gas_map_args(self->s.fd, GASPACE_MAP_ALLOC, &a));
	l.reserved[1] = 0;
	a.reserved[1] = 0;
	l.gpa = BASE + SIZE + 1;
	a.gpa = BASE + SIZE + 1;
	EXPECT_EQ(-EINVAL, gas_map_args(self->s.fd, GASPACE_MAP_LINEAR, &l));
	EXPECT_EQ(-EINVAL, gas_map_args(self->s.fd, GASPACE_MAP_ALLOC, &a));
	l.gpa = BASE + SIZE;
	a.gpa = BASE + SIZE;
	l.prot = GASPACE_PROT_WRITE;
	a.prot = GASPACE_PROT_WRITE;
	EXPECT_EQ(-EINVAL, gas_map_args(self->s.fd, GASPACE_MAP_LINEAR, &l));
	EXPECT_EQ(-EINVAL, gas_map_args(self->s.fd, GASPACE_MAP_ALLOC, &a));
	l.prot = GAS_PROT_RW;
	a.prot = GAS_PROT_RW;
	l.hpa = 1ULL << self->s.pa_bits;
	a.hpa = PAGE_4K;
	EXPECT_EQ(-EINVAL, gas_map_args(self->s.fd, GASPACE_MAP_LINEAR, &l));
	EXPECT_EQ(-EINVAL, gas_map_args(self->s.fd, GASPACE_MAP_ALLOC, &a));
	EXPECT_EMPTY();
}

TEST_F(map, outside_the_space_is_erange)
{
	static const struct { __u64 gpa, size; } c[] = {
		{ 0, PAGE_4K },				/* below */
		{ BASE - PAGE_4K, PAGE_4K },		/* just below */
		{ BASE - PAGE_4K, 2 * PAGE_4K },	/* across the start */
		{ BASE + SIZE - PAGE_4K, 2 * PAGE_4K },	/* across the end */
		{ BASE + SIZE, PAGE_4K },		/* just after */
		{ BASE, SIZE + PAGE_4K },		/* one page too long */
		{ BASE - PAGE_4K, SIZE + 2 * PAGE_4K },	/* around it */
		{ 1ULL << 50, PAGE_4K },		/* far above */
	};
	unsigned int i;

	for (i = 0; i < ARRAY_LEN(c); i++) {
		EXPECT_EQ(-ERANGE, gas_map_linear(self->s.fd, c[i].gpa,
						  c[i].size, HPA,
						  GAS_PROT_RW, 0))
			TH_LOG("gpa %#llx size %#llx", c[i].gpa, c[i].size);
		EXPECT_EQ(-ERANGE, gas_map_alloc(self->s.fd, c[i].gpa,
						 c[i].size, GAS_PROT_RW,
						 GASPACE_MAP_POPULATE))
			TH_LOG("gpa %#llx size %#llx", c[i].gpa, c[i].size);
	}
	EXPECT_EMPTY();
	/* the whole space is fine */
	EXPECT_EQ(0, gas_map_alloc(self->s.fd, BASE, SIZE, GAS_PROT_RW, 0));
	EXPECT_COUNTERS(self->s.fd, 1, self->s.root_pages, 0, 0);
}

static int set_param(const char *name, const char *value)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/module/gaspace/parameters/%s",
		 name);
	return gas_write_string(path, value);
}

TEST_F(map, linear_over_system_ram)
{
	__u64 ram = gas_ram_address(2 * PAGE_4K, false);
	__u64 ram_end = gas_ram_address(PAGE_4K, true);
	struct gaspace_translation t;
	int fd = self->s.fd;

	if (!ram || !ram_end)
		SKIP(return, "no System RAM found in /proc/iomem");
	ASSERT_EQ(0, set_param("linear_ram", "0"));
	EXPECT_EQ(-EPERM, gas_map_linear(fd, BASE, PAGE_4K, ram,
					 GAS_PROT_RW, 0));
	EXPECT_EQ(-EPERM, gas_map_linear(fd, BASE, 2 * PAGE_4K, ram,
					 GAS_PROT_RW, GASPACE_MAP_DEVICE));
	/* a range that holds RAM only in part */
	EXPECT_EQ(-EPERM, gas_map_linear(fd, BASE, 2 * PAGE_4K, ram_end,
					 GAS_PROT_RW, 0));
	/* -ERANGE first */
	EXPECT_EQ(-ERANGE, gas_map_linear(fd, BASE + SIZE, PAGE_4K, ram,
					  GAS_PROT_RW, 0));
	/* before -EEXIST */
	ASSERT_EQ(0, gas_map_alloc(fd, BASE, PAGE_4K, GAS_PROT_RW, 0));
	EXPECT_EQ(-EPERM, gas_map_linear(fd, BASE, PAGE_4K, ram,
					 GAS_PROT_RW, 0));
	EXPECT_COUNTERS(fd, 1, self->s.root_pages, 0, 0);

	/* read at each call */
	ASSERT_EQ(0, set_param("linear_ram", "1"));
	EXPECT_EQ(-EEXIST, gas_map_linear(fd, BASE, PAGE_4K, ram,
					  GAS_PROT_RW, 0));
	EXPECT_EQ(0, gas_map_linear(fd, BASE + PAGE_4K, PAGE_4K, ram,
				    GAS_PROT_RW, 0));
	ASSERT_EQ(0, gas_translate(fd, BASE + PAGE_4K + 8, &t));
	EXPECT_EQ(ram + 8, t.hpa);
	EXPECT_COUNTERS(fd, 2, self->s.root_pages + self->s.levels - 1, 0,
			PAGE_4K);
	ASSERT_EQ(0, set_param("linear_ram", "0"));
	EXPECT_EQ(-EPERM, gas_map_linear(fd, BASE + 2 * PAGE_4K, PAGE_4K,
					 ram, GAS_PROT_RW, 0));
}

TEST_F(map, overlap_is_eexist)
{
	static const struct { __u64 off, size; } c[] = {
		{ 0x10000, 0x4000 },	/* the same range */
		{ 0xf000, 0x2000 },	/* across the start */
		{ 0x13000, 0x2000 },	/* across the end */
		{ 0x11000, 0x1000 },	/* inside */
		{ 0x8000, 0x20000 },	/* around */
	};
	__u64 probes[] = { BASE + 0xf000, BASE + 0x10000, BASE + 0x13fff };
	struct gas_snapshot before, after;
	int fd = self->s.fd;
	unsigned int i;

	ASSERT_EQ(0, gas_map_alloc(fd, BASE + 0x10000, 0x4000, GAS_PROT_RW,
				   GASPACE_MAP_POPULATE));
	gas_snapshot(fd, &before, probes, ARRAY_LEN(probes));
	for (i = 0; i < ARRAY_LEN(c); i++) {
		EXPECT_EQ(-EEXIST, gas_map_linear(fd, BASE + c[i].off,
						  c[i].size, HPA, GAS_PROT_RW,
						  0))
			TH_LOG("off %#llx size %#llx", c[i].off, c[i].size);
		EXPECT_EQ(-EEXIST, gas_map_alloc(fd, BASE + c[i].off,
						 c[i].size, GAS_PROT_RW,
						 GASPACE_MAP_POPULATE))
			TH_LOG("off %#llx size %#llx", c[i].off, c[i].size);
	}
	gas_snapshot(fd, &after, probes, ARRAY_LEN(probes));
	EXPECT_TRUE(gas_snapshot_equal(&before, &after));
	/* neighbours on both sides are fine */
	EXPECT_EQ(0, gas_map_linear(fd, BASE + 0xf000, PAGE_4K, HPA,
				    GAS_PROT_R, 0));
	EXPECT_EQ(0, gas_map_alloc(fd, BASE + 0x14000, PAGE_4K, GAS_PROT_R,
				   0));
	EXPECT_COUNTERS(fd, 3, self->s.root_pages + self->s.levels - 1, 4,
			5 * PAGE_4K);
}

TEST_F(map, more_than_max_areas_is_enospc)
{
	int fd = self->s.fd;
	__u64 i;

	ASSERT_EQ(0, set_param("max_areas", "3"));
	EXPECT_EQ(3, gas_ioctl(self->s.dev, GASPACE_CHECK_EXTENSION,
			       GASPACE_CAP_MAX_AREAS));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, gas_map_alloc(fd, BASE + 2 * i * PAGE_4K,
					   PAGE_4K, GAS_PROT_RW,
					   GASPACE_MAP_POPULATE));
	}
	EXPECT_EQ(-ENOSPC, gas_map_alloc(fd, BASE + SZ_2M, PAGE_4K,
					 GAS_PROT_RW, GASPACE_MAP_POPULATE));
	EXPECT_EQ(-ENOSPC, gas_map_linear(fd, BASE + SZ_1G, SZ_1G, HPA,
					  GAS_PROT_RW, 0));
	/* -EEXIST first */
	EXPECT_EQ(-EEXIST, gas_map_alloc(fd, BASE, SZ_2M, GAS_PROT_RW, 0));
	EXPECT_COUNTERS(fd, 3, self->s.root_pages + self->s.levels - 1, 3,
			3 * PAGE_4K);
	/* a REPLACE that leaves fewer areas is fine */
	EXPECT_EQ(0, gas_map_alloc(fd, BASE, 6 * PAGE_4K, GAS_PROT_RW,
				   GASPACE_MAP_REPLACE));
	EXPECT_COUNTERS(fd, 1, self->s.root_pages, 0, 0);
	ASSERT_EQ(0, set_param("max_areas", "1"));
	EXPECT_EQ(-ENOSPC, gas_map_alloc(fd, BASE + SZ_2M, PAGE_4K,
					 GAS_PROT_RW, 0));
	/* replacing the middle would leave 3 */
	EXPECT_EQ(-ENOSPC, gas_map_alloc(fd, BASE + PAGE_4K, PAGE_4K,
					 GAS_PROT_RW, GASPACE_MAP_REPLACE));
	EXPECT_COUNTERS(fd, 1, self->s.root_pages, 0, 0);
	ASSERT_EQ(0, set_param("max_areas", self->max_areas.val));
	EXPECT_EQ(0, gas_map_alloc(fd, BASE + PAGE_4K, PAGE_4K,
				   GAS_PROT_RW, GASPACE_MAP_REPLACE));
	EXPECT_COUNTERS(fd, 3, self->s.root_pages, 0, 0);
}

/*
 * Linear leaves by the alignment of gpa and hpa: each case maps one area,
 * checks TRANSLATE and the counters against the model, unmaps it and finds
 * the space empty again.
 */
TEST_F(map, linear_leaf_sizes)
{
	static const struct {
		__u64 off, size, hoff;
		__u32 flags;
	} c[] = {
		{ 0, SZ_1G, 0, 0 },			/* one 1 GiB block */
		{ 0, SIZE, 0, 0 },			/* the whole space */
		{ 0, SZ_1G, SZ_2M, 0 },			/* 2 MiB blocks */
		{ 0, SZ_2M + 8 * PAGE_4K, PAGE_4K, 0 },	/* 4 KiB only */
		{ SZ_2M - 2 * PAGE_4K, SZ_1G + 4 * PAGE_4K, 0, 0 },
		/* 4 KiB, 2 MiB, 1 GiB, 2 MiB, 4 KiB */
		{ SZ_1G - SZ_2M - 2 * PAGE_4K, SZ_1G + 2 * SZ_2M + 4 * PAGE_4K,
		  0, 0 },
		{ SZ_1G - SZ_2M - 2 * PAGE_4K, SZ_1G + 2 * SZ_2M + 4 * PAGE_4K,
		  SZ_2M, 0 },
		{ SZ_2M - PAGE_4K, 2 * SZ_2M + 2 * PAGE_4K, 5 * SZ_1G, 0 },
		{ 0, SZ_2M + 4 * PAGE_4K, 0, GASPACE_MAP_NOHUGE },
		{ 0, 4 * PAGE_4K, 0, GASPACE_MAP_DEVICE },
		{ 0, SZ_1G, 0, GASPACE_MAP_DEVICE },
		{ 0, 64 * PAGE_4K, PAGE_4K,
		  GASPACE_MAP_DEVICE | GASPACE_MAP_NOHUGE },
	};
	int fd = self->s.fd;
	unsigned int i;

	for (i = 0; i < ARRAY_LEN(c); i++) {
		struct gas_run runs[MAX_RUNS];
		__u64 gpa = BASE + c[i].off, hpa = HPA + c[i].hoff;
		unsigned int max = c[i].flags & GASPACE_MAP_NOHUGE ? 0 :
				   self->s.max_level;
		int nr;

		nr = gas_linear_runs(gpa, c[i].size, hpa, max, runs, 0,
				     MAX_RUNS);
		ASSERT_LT(0, nr);
		ASSERT_EQ(0, gas_map_linear(fd, gpa, c[i].size, hpa,
					    GAS_PROT_RWX, c[i].flags))
			TH_LOG("case %u", i);
		EXPECT_COUNTERS(fd, 1, gas_tables_for(self->s.levels,
						      self->s.root_pages,
						      runs, nr),
				0, c[i].size);
		EXPECT_EQ(0, gas_check_runs(fd, runs, nr, gpa + c[i].size,
					    hpa - gpa, GAS_PROT_RWX,
					    GASPACE_BACKEND_LINEAR,
					    self->msg, sizeof(self->msg)))
			TH_LOG("case %u: %s", i, self->msg);
		ASSERT_EQ(0, gas_unmap(fd, gpa, c[i].size));
		EXPECT_EMPTY();
	}
}

TEST_F(map, every_prot)
{
	static const __u32 prots[] = {
		GAS_PROT_R, GAS_PROT_RW, GAS_PROT_RX, GAS_PROT_RWX,
		GASPACE_PROT_EXEC,
	};
	struct gas_run runs[MAX_RUNS];
	struct gaspace_translation t;
	int fd = self->s.fd, nr = 0;
	unsigned int i;

	for (i = 0; i < ARRAY_LEN(prots); i++) {
		__u64 l = BASE + 2 * i * SZ_2M, a = l + SZ_2M;

		nr = gas_linear_runs(l, SZ_2M, HPA, self->s.max_level, runs,
				     nr, MAX_RUNS);
		nr = gas_add_run(runs, nr, MAX_RUNS, a, PAGE_4K, 0);

		ASSERT_EQ(0, gas_map_linear(fd, l, SZ_2M, HPA, prots[i], 0));
		ASSERT_EQ(0, gas_map_alloc(fd, a, PAGE_4K, prots[i],
					   GASPACE_MAP_POPULATE));
		ASSERT_EQ(0, gas_translate(fd, l + 5, &t));
		EXPECT_EQ(prots[i], t.prot);
		EXPECT_EQ((__u32)GASPACE_BACKEND_LINEAR, t.backend);
		ASSERT_EQ(0, gas_translate(fd, a + 5, &t));
		EXPECT_EQ(prots[i], t.prot);
		EXPECT_EQ((__u32)GASPACE_BACKEND_ALLOC, t.backend);
	}
	EXPECT_COUNTERS(fd, 2 * ARRAY_LEN(prots),
			gas_tables_for(self->s.levels, self->s.root_pages,
				       runs, nr),
			ARRAY_LEN(prots),
			ARRAY_LEN(prots) * (SZ_2M + PAGE_4K));
}

/* prot 0: the area exists, its leaves are not present. */
TEST_F(map, linear_prot_none)
{
	struct gas_run runs[MAX_RUNS];
	struct gaspace_translation t;
	int fd = self->s.fd, nr;

	nr = gas_linear_runs(BASE + SZ_2M - PAGE_4K, SZ_2M + PAGE_4K, HPA,
			     self->s.max_level, runs, 0, MAX_RUNS);
	ASSERT_EQ(0, gas_map_linear(fd, BASE + SZ_2M - PAGE_4K,
				    SZ_2M + PAGE_4K, HPA, 0, 0));
	EXPECT_COUNTERS(fd, 1, gas_tables_for(self->s.levels,
					      self->s.root_pages, runs, nr),
			0, 0);
	EXPECT_EQ(-ENOENT, gas_translate(fd, BASE + SZ_2M - PAGE_4K, &t));
	EXPECT_EQ(-ENOENT, gas_translate(fd, BASE + SZ_2M + 0x1234, &t));
	EXPECT_EQ(-EACCES, gas_fault(fd, BASE + SZ_2M, GASPACE_PROT_READ));
	EXPECT_EQ(-EEXIST, gas_map_alloc(fd, BASE + SZ_2M, PAGE_4K,
					 GAS_PROT_RW, 0));
	/* its non-present leaves go with it, and their tables */
	ASSERT_EQ(0, gas_unmap(fd, BASE, SZ_1G));
	EXPECT_EMPTY();
}

TEST_F(map, alloc_lazy_allocates_nothing)
{
	struct gaspace_translation t;
	int fd = self->s.fd;

	ASSERT_EQ(0, gas_map_alloc(fd, BASE, SIZE, GAS_PROT_RWX, 0));
	EXPECT_COUNTERS(fd, 1, self->s.root_pages, 0, 0);
	EXPECT_EQ(-ENOENT, gas_translate(fd, BASE, &t));
	EXPECT_EQ(-ENOENT, gas_translate(fd, BASE + SIZE - 1, &t));
	ASSERT_EQ(0, gas_map_alloc(fd, BASE + SIZE - SZ_2M, SZ_2M, GAS_PROT_R,
				   GASPACE_MAP_HUGE | GASPACE_MAP_REPLACE));
	EXPECT_COUNTERS(fd, 2, self->s.root_pages, 0, 0);
}

static int alloc_runs(struct gas_run *runs, __u64 gpa, __u64 size, bool huge)
{
	__u64 end = gpa + size;
	int nr = 0;

	while (gpa < end) {
		__u64 sz = huge && !(gpa & (SZ_2M - 1)) &&
			   gpa + SZ_2M <= end ? SZ_2M : PAGE_4K;
		unsigned int level = sz == SZ_2M;

		if (nr && runs[nr - 1].level == level)
			runs[nr - 1].size += sz;
		else
			nr = gas_add_run(runs, nr, MAX_RUNS, gpa, sz, level);
		gpa += sz;
	}
	return nr;
}

/* Every page has its own zeroed frame; distinct frames. */
TEST_F(map, alloc_populate)
{
	__u64 gpa = BASE + SZ_2M - 8 * PAGE_4K, size = 16 * PAGE_4K;
	__u64 hpa[16];
	struct gas_run runs[MAX_RUNS];
	struct gaspace_translation t;
	int fd = self->s.fd, nr, i, j;

	nr = alloc_runs(runs, gpa, size, false);
	ASSERT_EQ(0, gas_map_alloc(fd, gpa, size, GAS_PROT_RW,
				   GASPACE_MAP_POPULATE));
	EXPECT_COUNTERS(fd, 1, gas_tables_for(self->s.levels,
					      self->s.root_pages, runs, nr),
			16, size);
	EXPECT_EQ(0, gas_check_runs(fd, runs, nr, gpa + size, 0, GAS_PROT_RW,
				    GASPACE_BACKEND_ALLOC, self->msg,
				    sizeof(self->msg)))
		TH_LOG("%s", self->msg);
	for (i = 0; i < 16; i++) {
		ASSERT_EQ(0, gas_translate(fd, gpa + i * PAGE_4K + 7, &t));
		hpa[i] = t.hpa - 7;
		EXPECT_EQ(0ULL, hpa[i] & (PAGE_4K - 1));
		for (j = 0; j < i; j++) {
			EXPECT_NE(hpa[j], hpa[i])
				TH_LOG("pages %d and %d share a frame", j, i);
		}
	}
}

/* HUGE: 2 MiB frames for the blocks wholly inside, 4 KiB elsewhere. */
TEST_F(map, alloc_populate_huge)
{
	__u64 gpa = BASE + SZ_2M - 2 * PAGE_4K;
	__u64 size = 2 * SZ_2M + 4 * PAGE_4K;
	struct gas_run runs[MAX_RUNS];
	int fd = self->s.fd, nr;

	nr = alloc_runs(runs, gpa, size, true);
	ASSERT_EQ(0, gas_map_alloc(fd, gpa, size, GAS_PROT_RWX,
				   GASPACE_MAP_POPULATE | GASPACE_MAP_HUGE));
	EXPECT_COUNTERS(fd, 1, gas_tables_for(self->s.levels,
					      self->s.root_pages, runs, nr),
			size / PAGE_4K, size);
	EXPECT_EQ(0, gas_check_runs(fd, runs, nr, gpa + size, 0, GAS_PROT_RWX,
				    GASPACE_BACKEND_ALLOC, self->msg,
				    sizeof(self->msg)))
		TH_LOG("%s", self->msg);
	/* an area smaller than a block gets 4 KiB frames */
	nr = alloc_runs(runs, gpa, size, true);
	nr = gas_add_run(runs, nr, MAX_RUNS, BASE + SZ_1G, SZ_2M - PAGE_4K, 0);
	ASSERT_EQ(0, gas_map_alloc(fd, BASE + SZ_1G, SZ_2M - PAGE_4K,
				   GAS_PROT_R,
				   GASPACE_MAP_POPULATE | GASPACE_MAP_HUGE));
	EXPECT_COUNTERS(fd, 2, gas_tables_for(self->s.levels,
					      self->s.root_pages, runs, nr),
			(size + SZ_2M - PAGE_4K) / PAGE_4K,
			size + SZ_2M - PAGE_4K);
}

/* prot 0 with POPULATE: frames and tables, but no present leaf. */
TEST_F(map, alloc_populate_prot_none)
{
	struct gas_run runs[MAX_RUNS];
	struct gaspace_translation t;
	int fd = self->s.fd, nr;

	nr = alloc_runs(runs, BASE, 8 * PAGE_4K, false);
	ASSERT_EQ(0, gas_map_alloc(fd, BASE, 8 * PAGE_4K, 0,
				   GASPACE_MAP_POPULATE));
	EXPECT_COUNTERS(fd, 1, gas_tables_for(self->s.levels,
					      self->s.root_pages, runs, nr),
			8, 0);
	EXPECT_EQ(-ENOENT, gas_translate(fd, BASE + PAGE_4K, &t));
	EXPECT_EQ(-EACCES, gas_fault(fd, BASE, GASPACE_PROT_READ));
	EXPECT_COUNTERS(fd, 1, gas_tables_for(self->s.levels,
					      self->s.root_pages, runs, nr),
			8, 0);
	/* UNMAP frees the kept frames, to the page, and then the tables */
	ASSERT_EQ(0, gas_unmap(fd, BASE + PAGE_4K, 2 * PAGE_4K));
	EXPECT_COUNTERS(fd, 2, gas_tables_for(self->s.levels,
					      self->s.root_pages, runs, nr),
			6, 0);
	ASSERT_EQ(0, gas_unmap(fd, BASE, 8 * PAGE_4K));
	EXPECT_EMPTY();
}

/*
 * REPLACE leaves as many areas as UNMAP of its range would, plus one, and
 * frees what it replaced.
 */
TEST_F(map, replace_alloc_by_linear_and_back)
{
	struct gas_run runs[MAX_RUNS];
	struct gaspace_translation t;
	int fd = self->s.fd, nr;

	ASSERT_EQ(0, gas_map_alloc(fd, BASE, 2 * SZ_2M, GAS_PROT_RW,
				   GASPACE_MAP_POPULATE));
	EXPECT_COUNTERS(fd, 1, self->s.root_pages + self->s.levels - 1 + 1,
			1024, 2 * SZ_2M);
	/* 2 MiB in the middle: two pieces of alloc around a linear area */
	ASSERT_EQ(0, gas_map_linear(fd, BASE + SZ_1G / 1024, SZ_2M, HPA,
				    GAS_PROT_R, GASPACE_MAP_REPLACE));
	EXPECT_COUNTERS(fd, 3, self->s.root_pages + self->s.levels - 1 + 1,
			512, 2 * SZ_2M);
	ASSERT_EQ(0, gas_translate(fd, BASE + SZ_1G / 1024 + 9, &t));
	EXPECT_EQ((__u32)GASPACE_BACKEND_LINEAR, t.backend);
	EXPECT_EQ(HPA + 9, t.hpa);
	EXPECT_EQ((__u32)GAS_PROT_R, t.prot);
	EXPECT_EQ(SZ_2M - 9, t.limit);
	/* back to alloc over all three */
	ASSERT_EQ(0, gas_map_alloc(fd, BASE, 2 * SZ_2M, GAS_PROT_RW,
				   GASPACE_MAP_REPLACE));
	EXPECT_COUNTERS(fd, 1, self->s.root_pages, 0, 0);
	/* and linear over all of it again: one 2 MiB leaf each */
	ASSERT_EQ(0, gas_map_linear(fd, BASE, 2 * SZ_2M, HPA, GAS_PROT_R,
				    GASPACE_MAP_REPLACE));
	EXPECT_COUNTERS(fd, 1, self->s.root_pages + self->s.levels - 2,
			0, 2 * SZ_2M);
	ASSERT_EQ(0, gas_translate(fd, BASE + SZ_2M, &t));
	EXPECT_EQ(SZ_2M, t.page_size);
	/* REPLACE over a hole is a plain MAP */
	ASSERT_EQ(0, gas_map_alloc(fd, BASE + SZ_1G, PAGE_4K, GAS_PROT_RW,
				   GASPACE_MAP_REPLACE |
				   GASPACE_MAP_POPULATE));
	nr = gas_linear_runs(BASE, 2 * SZ_2M, HPA, self->s.max_level, runs,
			     0, MAX_RUNS);
	nr = gas_add_run(runs, nr, MAX_RUNS, BASE + SZ_1G, PAGE_4K, 0);
	EXPECT_COUNTERS(fd, 2, gas_tables_for(self->s.levels,
					      self->s.root_pages, runs, nr),
			1, 2 * SZ_2M + PAGE_4K);
}

TEST_F(map, replace_counts_areas_as_unmap_plus_one)
{
	int fd = self->s.fd;

	/* [0, 16K) [16K, 32K) hole [48K, 64K) hole [96K, 100K) */
	ASSERT_EQ(0, gas_map_alloc(fd, BASE, 0x4000, GAS_PROT_RW, 0));
	ASSERT_EQ(0, gas_map_alloc(fd, BASE + 0x4000, 0x4000, GAS_PROT_R, 0));
	ASSERT_EQ(0, gas_map_linear(fd, BASE + 0xc000, 0x4000, HPA,
				    GAS_PROT_R, 0));
	ASSERT_EQ(0, gas_map_alloc(fd, BASE + 0x18000, 0x1000, GAS_PROT_R,
				   0));
	EXPECT_COUNTERS(fd, 4, self->s.root_pages + self->s.levels - 1, 0,
			0x4000);
	/* UNMAP of [8K, 56K) would leave [0, 8K) [56K, 64K) [96K, 100K) */
	ASSERT_EQ(0, gas_map_alloc(fd, BASE + 0x2000, 0xc000, GAS_PROT_RWX,
				   GASPACE_MAP_REPLACE));
	EXPECT_COUNTERS(fd, 4, self->s.root_pages + self->s.levels - 1, 0,
			0x2000);
	/* exactly one area replaced by one: still 4 */
	ASSERT_EQ(0, gas_map_linear(fd, BASE + 0x2000, 0xc000, HPA,
				    GAS_PROT_R, GASPACE_MAP_REPLACE));
	EXPECT_COUNTERS(fd, 4, self->s.root_pages + self->s.levels - 1, 0,
			0xe000);
	/* over everything: one */
	ASSERT_EQ(0, gas_map_alloc(fd, BASE, 0x19000, GAS_PROT_RWX,
				   GASPACE_MAP_REPLACE));
	EXPECT_COUNTERS(fd, 1, self->s.root_pages, 0, 0);
}

/* A failed REPLACE keeps the old mapping whole. */
TEST_F(map, failed_replace_keeps_old_mapping)
{
	__u64 probes[] = { BASE, BASE + 0x1fff, BASE + SZ_2M, BASE + SZ_1G };
	struct gas_snapshot before, after;
	int fd = self->s.fd;

	ASSERT_EQ(0, gas_map_alloc(fd, BASE, 0x2000, GAS_PROT_RW,
				   GASPACE_MAP_POPULATE));
	ASSERT_EQ(0, gas_map_linear(fd, BASE + SZ_2M, SZ_2M, HPA,
				    GAS_PROT_RW, 0));
	ASSERT_EQ(0, gas_map_alloc(fd, BASE + SZ_1G, SZ_2M, GAS_PROT_RW, 0));
	ASSERT_EQ(0, gas_fault(fd, BASE + SZ_1G, GASPACE_PROT_WRITE));
	gas_snapshot(fd, &before, probes, ARRAY_LEN(probes));

	EXPECT_EQ(-ERANGE, gas_map_alloc(fd, BASE, SIZE + PAGE_4K,
					 GAS_PROT_RW, GASPACE_MAP_REPLACE));
	EXPECT_EQ(-EINVAL, gas_map_linear(fd, BASE, SZ_1G, HPA,
					  GAS_PROT_RW, GASPACE_MAP_REPLACE |
					  GASPACE_MAP_POPULATE));
	EXPECT_EQ(-EINVAL, gas_map_linear(fd, BASE, SZ_1G,
					  1ULL << self->s.pa_bits,
					  GAS_PROT_RW, GASPACE_MAP_REPLACE));
	EXPECT_EQ(-EEXIST, gas_map_linear(fd, BASE, SZ_1G, HPA, GAS_PROT_RW,
					  0));
	ASSERT_EQ(0, set_param("max_areas", "3"));
	EXPECT_EQ(-ENOSPC, gas_map_linear(fd, BASE + PAGE_4K, SZ_2M, HPA,
					  GAS_PROT_RW, GASPACE_MAP_REPLACE));
	gas_snapshot(fd, &after, probes, ARRAY_LEN(probes));
	EXPECT_TRUE(gas_snapshot_equal(&before, &after));
}

TEST_F(map, linear_device)
{
	struct gaspace_translation t;
	int fd = self->s.fd;

	ASSERT_EQ(0, gas_map_linear(fd, BASE, SZ_2M, HPA, GAS_PROT_RW,
				    GASPACE_MAP_DEVICE));
	ASSERT_EQ(0, gas_translate(fd, BASE + 0x1234, &t));
	EXPECT_EQ(HPA + 0x1234, t.hpa);
	EXPECT_EQ(SZ_2M, t.page_size);
	EXPECT_EQ((__u32)GAS_PROT_RW, t.prot);
	EXPECT_COUNTERS(fd, 1, self->s.root_pages + self->s.levels - 2, 0,
			SZ_2M);
	/* a failed DEVICE map of RAM-less but out-of-width hpa */
	EXPECT_EQ(-EINVAL, gas_map_linear(fd, BASE + SZ_2M, PAGE_4K,
					  1ULL << self->s.pa_bits,
					  GAS_PROT_RW, GASPACE_MAP_DEVICE));
}

/*
 * A failed call of any kind leaves GET_INFO and every TRANSLATE as they
 * were, over a space with a linear block, a 2 MiB frame, a lazy area with
 * one faulted page and a prot 0 area.
 */
TEST_F(map, failed_calls_change_nothing)
{
	const __u64 lazy = BASE + SZ_1G + SZ_2M, none = lazy + SZ_2M;
	const __u64 probes[] = {
		BASE, BASE + SZ_1G - 1, BASE + SZ_1G, BASE + SZ_1G + 0x1234,
		BASE + SZ_1G + SZ_2M - 1, lazy, lazy + PAGE_4K, none,
		none + PAGE_4K, BASE + 2 * SZ_1G,
	};
	struct gaspace_map m = {
		.gpa = BASE, .size = PAGE_4K, .hpa = HPA, .prot = GAS_PROT_R,
	};
	struct gaspace_range rr = { .gpa = lazy, .size = PAGE_4K };
	struct gas_snapshot before, after;
	struct gaspace_translation t;
	int fd = self->s.fd, i;
	long ret[6];

	ASSERT_EQ(0, gas_map_linear(fd, BASE, SZ_1G, HPA, GAS_PROT_RW, 0));
	ASSERT_EQ(0, gas_map_alloc(fd, BASE + SZ_1G, SZ_2M, GAS_PROT_RWX,
				   GASPACE_MAP_POPULATE | GASPACE_MAP_HUGE));
	ASSERT_EQ(0, gas_map_alloc(fd, lazy, SZ_2M, GAS_PROT_RW, 0));
	ASSERT_EQ(0, gas_fault(fd, lazy + PAGE_4K, GAS_PROT_R));
	ASSERT_EQ(0, gas_map_alloc(fd, none, 4 * PAGE_4K, 0,
				   GASPACE_MAP_POPULATE));
	gas_snapshot(fd, &before, probes, ARRAY_LEN(probes));

	i = 0;
	ret[i++] = gas_map_linear(fd, BASE, SZ_2M, HPA, GAS_PROT_R, 0);
	ret[i++] = gas_map_alloc(fd, none - PAGE_4K, 2 * PAGE_4K,
				 GAS_PROT_R, GASPACE_MAP_POPULATE);
	ret[i++] = gas_map_alloc(fd, BASE + 2 * SZ_1G, SIZE, GAS_PROT_R,
				 GASPACE_MAP_POPULATE);
	ret[i++] = gas_protect(fd, lazy, 3 * SZ_2M, GAS_PROT_R);
	ret[i++] = gas_unmap(fd, BASE - PAGE_4K, SZ_1G);
	ret[i++] = gas_map_linear(fd, BASE, SZ_1G, HPA, GAS_PROT_RW,
				  GASPACE_MAP_REPLACE | GASPACE_MAP_HUGE);
	EXPECT_EQ(-EEXIST, ret[0]);
	EXPECT_EQ(-EEXIST, ret[1]);
	EXPECT_EQ(-ERANGE, ret[2]);
	EXPECT_EQ(-ENOENT, ret[3]);
	EXPECT_EQ(-ERANGE, ret[4]);
	EXPECT_EQ(-EINVAL, ret[5]);
	EXPECT_EQ(-EACCES, gas_fault(fd, lazy, GASPACE_PROT_EXEC));
	EXPECT_EQ(-EACCES, gas_fault(fd, none, GAS_PROT_R));
	EXPECT_EQ(-ENOENT, gas_fault(fd, BASE + 2 * SZ_1G, GAS_PROT_R));
	EXPECT_EQ(-EINVAL, gas_fault(fd, lazy, 0));
	EXPECT_EQ(-ERANGE, gas_translate(fd, BASE + SIZE, &t));
	EXPECT_EQ(-EFAULT, gas_ioctl(fd, GASPACE_UNMAP, 0));
	m.reserved[1] = 1;
	EXPECT_EQ(-EINVAL, gas_map_args(fd, GASPACE_MAP_LINEAR, &m));
	rr.flags = 1;
	EXPECT_EQ(-EINVAL, gas_range_args(fd, GASPACE_UNMAP, &rr));
	rr.flags = 0;
	rr.prot = GASPACE_PROT_WRITE;
	EXPECT_EQ(-EINVAL, gas_range_args(fd, GASPACE_PROTECT, &rr));
	ASSERT_EQ(0, set_param("max_areas", "4"));
	EXPECT_EQ(-ENOSPC, gas_protect(fd, BASE + SZ_2M, PAGE_4K, GAS_PROT_R));
	EXPECT_EQ(-ENOSPC, gas_unmap(fd, lazy + SZ_2M / 2, PAGE_4K));
	EXPECT_EQ(-ENOSPC, gas_map_alloc(fd, BASE + 2 * SZ_1G, PAGE_4K,
					 GAS_PROT_R, GASPACE_MAP_POPULATE));
	EXPECT_EQ(-ENOSPC, gas_map_alloc(fd, BASE + PAGE_4K, PAGE_4K,
					 GAS_PROT_R, GASPACE_MAP_REPLACE |
					 GASPACE_MAP_POPULATE));
	gas_snapshot(fd, &after, probes, ARRAY_LEN(probes));
	EXPECT_TRUE(gas_snapshot_equal(&before, &after));
	EXPECT_EQ(4ULL, after.info.nr_areas);
}

/* A fresh memory cgroup with @max bytes, its path in @cg; 0 or -errno. */
static int memcg_new(char *cg, size_t len, const char *max)
{
	char path[256];
	int ret;

	ret = gas_memcg_new(cg, len, "map");
	if (ret)
		return ret;
	snprintf(path, sizeof(path), "%s/memory.max", cg);
	return gas_write_string(path, max);
}

/*
 * At the memory cgroup's limit POPULATE fails with -ENOMEM (not the OOM
 * killer) and leaves nothing: no area, no frame, no table page, and no
 * charge left behind (the reference crate's hazard 4).
 */
TEST(populate_past_memcg_limit_is_enomem)
{
	const __u64 probes[] = { 0, SZ_2M, SZ_2M + 0x123000 };
	struct gas_snapshot before, after;
	long *ret = gas_shared_alloc(PAGE_4K);
	char cg[128], path[256];
	struct gas_space s;
	int status;
	pid_t pid;

	ASSERT_NE(NULL, ret);
	ASSERT_EQ(0, gas_space_open(&s, GASPACE_FMT_EPT, 0, 0, SZ_1G));
	ASSERT_EQ(0, gas_map_alloc(s.fd, 0, 4 * PAGE_4K, GAS_PROT_RW,
				   GASPACE_MAP_POPULATE));
	gas_snapshot(s.fd, &before, probes, ARRAY_LEN(probes));
	if (memcg_new(cg, sizeof(cg), "16777216"))
		SKIP(return, "no cgroup2 memory controller");

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (gas_cgroup_join(cg))
			_exit(1);
		ret[0] = gas_map_alloc(s.fd, SZ_2M, 256 << 20, GAS_PROT_RW,
				       GASPACE_MAP_POPULATE);
		ret[1] = gas_map_alloc(s.fd, SZ_2M, 256 << 20, GAS_PROT_RW,
				       GASPACE_MAP_POPULATE |
				       GASPACE_MAP_HUGE);
		ret[2] = gas_map_alloc(s.fd, 0, 256 << 20, GAS_PROT_RW,
				       GASPACE_MAP_POPULATE |
				       GASPACE_MAP_REPLACE);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status)) TH_LOG("the child was killed (OOM?)");
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(-ENOMEM, ret[0]);
	EXPECT_EQ(-ENOMEM, ret[1]);
	EXPECT_EQ(-ENOMEM, ret[2]);
	gas_snapshot(s.fd, &after, probes, ARRAY_LEN(probes));
	EXPECT_TRUE(gas_snapshot_equal(&before, &after));
	/* nothing of the failed calls is still charged */
	snprintf(path, sizeof(path), "%s/memory.current", cg);
	EXPECT_GT(1 << 20, gas_read_number(path));
	rmdir(cg);
	gas_space_close(&s);
	munmap(ret, PAGE_4K);
}

/*
 * A fatal signal during a long POPULATE: the call either finished or left
 * nothing (-EINTR), never a half-populated area.
 */
TEST(killed_populate_is_all_or_nothing)
{
	const __u64 size = 128 << 20;
	struct timespec ts = { 0, 30 * 1000 * 1000 };
	struct gaspace_info info;
	struct gas_space s;
	int status;
	pid_t pid;

	ASSERT_EQ(0, gas_space_open(&s, GASPACE_FMT_NPT, 0, 0, SZ_1G));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		gas_map_alloc(s.fd, 0, size, GAS_PROT_RW,
			      GASPACE_MAP_POPULATE);
		_exit(0);
	}
	nanosleep(&ts, NULL);
	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, gas_get_info(s.fd, &info));
	if (info.nr_areas) {
		EXPECT_EQ(1ULL, info.nr_areas);
		EXPECT_EQ(size / PAGE_4K, info.nr_data_pages);
		EXPECT_EQ(size, info.mapped_bytes);
	} else {
		EXPECT_EQ(0ULL, info.nr_data_pages);
		EXPECT_EQ(0ULL, info.mapped_bytes);
		EXPECT_EQ((__u64)s.root_pages, info.nr_table_pages);
	}
	TH_LOG("populate %s", info.nr_areas ? "finished" : "was interrupted");
	gas_space_close(&s);
}

TEST_HARNESS_MAIN
