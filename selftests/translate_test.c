// SPDX-License-Identifier: GPL-2.0
/*
 * translate_test: GASPACE_TRANSLATE (gaspace.rst 5, 3).
 *
 * -EFAULT for a gpa that cannot be read and for a result that cannot be
 * written, before -ERANGE and -ENOENT: the struct must be readable and
 * writable whole, whatever the gpa; an error leaves the struct as it was;
 * only gpa is read; -ERANGE outside the space; -ENOENT for a hole,
 * a lazy page and prot 0; any byte address: hpa = leaf base + offset,
 * limit = bytes from that byte to the end of its area (the reference
 * crate's hazard 7), page size, level, prot, backend, pad 0; hpa reads 0
 * without CAP_SYS_ADMIN.  Each case runs for every format.
 */
#include "gaspace_util.h"
#include "kselftest_harness.h"

#define BASE		SZ_1G
#define SIZE		(3 * SZ_1G)
#define HPA		BIT_ULL(40)

FIXTURE(translate) {
	struct gas_space s;
};

FIXTURE_VARIANT(translate) {
	unsigned int format;
	unsigned int bits;
};

FIXTURE_VARIANT_ADD(translate, ept) GAS_GEOMETRY(EPT, 48);
FIXTURE_VARIANT_ADD(translate, ept_5level) GAS_GEOMETRY(EPT, 57);
FIXTURE_VARIANT_ADD(translate, npt) GAS_GEOMETRY(NPT, 48);
FIXTURE_VARIANT_ADD(translate, arm64_s2) GAS_GEOMETRY(ARM64_S2, 40);
/* two levels: no 1 GiB block */
FIXTURE_VARIANT_ADD(translate, arm64_s2_32) GAS_GEOMETRY(ARM64_S2, 32);
FIXTURE_VARIANT_ADD(translate, riscv_g) GAS_GEOMETRY(RISCV_G, 41);

/*
 * The other geometries: 5-level NPT, Arm with two levels and 16 root pages
 * and with four levels, RISC-V Sv57x4.
 */
FIXTURE_VARIANT_ADD(translate, npt_5level) GAS_GEOMETRY(NPT, 57);
FIXTURE_VARIANT_ADD(translate, arm64_s2_34) GAS_GEOMETRY(ARM64_S2, 34);
FIXTURE_VARIANT_ADD(translate, arm64_s2_48) GAS_GEOMETRY(ARM64_S2, 48);
FIXTURE_VARIANT_ADD(translate, riscv_g_sv57x4) GAS_GEOMETRY(RISCV_G, 59);

FIXTURE_SETUP(translate)
{
	ASSERT_EQ(0, gas_space_open(&self->s, variant->format, variant->bits,
				    BASE, SIZE));
	/* linear [BASE, +1G + 4K), alloc [BASE + 2G, +4M) lazy */
	ASSERT_EQ(0, gas_map_linear(self->s.fd, BASE, SZ_1G + PAGE_4K, HPA,
				    GAS_PROT_RX, 0));
	ASSERT_EQ(0, gas_map_alloc(self->s.fd, BASE + 2 * SZ_1G, 2 * SZ_2M,
				   GAS_PROT_RWX, 0));
}

FIXTURE_TEARDOWN(translate)
{
	gas_space_close(&self->s);
}

TEST_F(translate, bad_pointer_is_efault)
{
	struct gaspace_translation *t;
	char *mem = mmap(NULL, 3 * PAGE_4K, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct gaspace_info before, after;
	int fd = self->s.fd;

	ASSERT_NE(MAP_FAILED, mem);
	ASSERT_EQ(0, gas_get_info(fd, &before));
	EXPECT_EQ(-EFAULT, gas_ioctl(fd, GASPACE_TRANSLATE, 0));
	/* gpa readable, the rest of the struct in a PROT_NONE page */
	ASSERT_EQ(0, mprotect(mem + PAGE_4K, PAGE_4K, PROT_NONE));
	t = (void *)(mem + PAGE_4K - sizeof(__u64));
	t->gpa = BASE;
	EXPECT_EQ(-EFAULT, gas_ioctl_ptr(fd, GASPACE_TRANSLATE, t));
	/* the result cannot be written back */
	t = (void *)(mem + 2 * PAGE_4K);
	t->gpa = BASE;
	ASSERT_EQ(0, mprotect(mem + 2 * PAGE_4K, PAGE_4K, PROT_READ));
	EXPECT_EQ(-EFAULT, gas_ioctl_ptr(fd, GASPACE_TRANSLATE, t));
	ASSERT_EQ(0, gas_get_info(fd, &after));
	EXPECT_EQ(0, memcmp(&before, &after, sizeof(before)));
	munmap(mem, 3 * PAGE_4K);
}

TEST_F(translate, outside_the_space_is_erange)
{
	static const __u64 c[] = {
		0, BASE - 1, BASE - PAGE_4K, BASE + SIZE, BASE + SIZE + 1,
		BIT_ULL(48), ~0ULL,
	};
	struct gaspace_translation t;
	unsigned int i;

	for (i = 0; i < ARRAY_LEN(c); i++) {
		EXPECT_EQ(-ERANGE, gas_translate(self->s.fd, c[i], &t))
			TH_LOG("gpa %#llx", c[i]);
	}
	/* the first and last bytes of the space are inside */
	EXPECT_EQ(0, gas_translate(self->s.fd, BASE, &t));
	EXPECT_EQ(-ENOENT, gas_translate(self->s.fd, BASE + SIZE - 1, &t));
}

TEST_F(translate, hole_lazy_and_prot_none_are_enoent)
{
	struct gaspace_translation t;
	int fd = self->s.fd;

	/* holes */
	EXPECT_EQ(-ENOENT, gas_translate(fd, BASE + SZ_1G + PAGE_4K, &t));
	EXPECT_EQ(-ENOENT, gas_translate(fd, BASE + 2 * SZ_1G - 1, &t));
	EXPECT_EQ(-ENOENT, gas_translate(fd, BASE + 2 * SZ_1G + 2 * SZ_2M,
					 &t));
	/* lazy pages */
	EXPECT_EQ(-ENOENT, gas_translate(fd, BASE + 2 * SZ_1G, &t));
	EXPECT_EQ(-ENOENT, gas_translate(fd, BASE + 2 * SZ_1G + 0x12345,
					 &t));
	ASSERT_EQ(0, gas_fault(fd, BASE + 2 * SZ_1G + 0x12345,
			       GASPACE_PROT_READ));
	EXPECT_EQ(0, gas_translate(fd, BASE + 2 * SZ_1G + 0x12000, &t));
	EXPECT_EQ(-ENOENT, gas_translate(fd, BASE + 2 * SZ_1G + 0x11fff, &t));
	EXPECT_EQ(-ENOENT, gas_translate(fd, BASE + 2 * SZ_1G + 0x13000, &t));
	/* prot 0, linear and alloc */
	ASSERT_EQ(0, gas_protect(fd, BASE + SZ_2M, SZ_2M, 0));
	EXPECT_EQ(-ENOENT, gas_translate(fd, BASE + SZ_2M + 1, &t));
	ASSERT_EQ(0, gas_protect(fd, BASE + 2 * SZ_1G, 2 * SZ_2M, 0));
	EXPECT_EQ(-ENOENT, gas_translate(fd, BASE + 2 * SZ_1G + 0x12000, &t));
	/* unmapped */
	ASSERT_EQ(0, gas_unmap(fd, BASE, PAGE_4K));
	EXPECT_EQ(-ENOENT, gas_translate(fd, BASE + 0xfff, &t));
}

/* Any byte: hpa is the leaf's base plus the offset, limit what is left. */
TEST_F(translate, any_byte_address)
{
	static const __u64 offs[] = {
		0, 1, 0x7ff, 0xfff, 0x1000, 0x1001, SZ_2M - 1, SZ_2M,
		SZ_2M + 0x123, SZ_1G / 2 + 0x5a5, SZ_1G - 1, SZ_1G,
		SZ_1G + PAGE_4K - 1,
	};
	struct gaspace_translation t;
	int fd = self->s.fd;
	unsigned int i;

	for (i = 0; i < ARRAY_LEN(offs); i++) {
		__u64 gpa = BASE + offs[i];

		ASSERT_EQ(0, gas_translate(fd, gpa, &t)) TH_LOG("off %#llx",
								offs[i]);
		EXPECT_EQ(gpa, t.gpa);
		EXPECT_EQ(HPA + offs[i], t.hpa) TH_LOG("off %#llx", offs[i]);
		EXPECT_EQ(SZ_1G + PAGE_4K - offs[i], t.limit)
			TH_LOG("off %#llx", offs[i]);
		EXPECT_EQ((__u32)GAS_PROT_RX, t.prot);
		EXPECT_EQ((__u32)GASPACE_BACKEND_LINEAR, t.backend);
		EXPECT_EQ(0U, t.pad);
		EXPECT_EQ(gas_level_size(t.level), t.page_size);
		/* the leaf holds the byte: its base is aligned and below */
		EXPECT_EQ(0ULL, (t.hpa - (gpa & (t.page_size - 1))) &
			  (t.page_size - 1));
	}
	/* the 1 GiB leaf where the format has one, 4 KiB at the tail */
	ASSERT_EQ(0, gas_translate(fd, BASE + 0x1234, &t));
	EXPECT_EQ(self->s.max_level, t.level);
	ASSERT_EQ(0, gas_translate(fd, BASE + SZ_1G + 0x10, &t));
	EXPECT_EQ(0U, t.level);
	EXPECT_EQ(PAGE_4K, t.page_size);
	EXPECT_EQ(PAGE_4K - 0x10, t.limit);

	/* alloc: a faulted page, every byte of it */
	ASSERT_EQ(0, gas_fault(fd, BASE + 2 * SZ_1G + SZ_2M + PAGE_4K,
			       GASPACE_PROT_EXEC));
	for (i = 0; i < 4; i++) {
		__u64 off = SZ_2M + PAGE_4K + i * 0x555;
		__u64 first;

		ASSERT_EQ(0, gas_translate(fd, BASE + 2 * SZ_1G + SZ_2M +
					   PAGE_4K, &t));
		first = t.hpa;
		ASSERT_EQ(0, gas_translate(fd, BASE + 2 * SZ_1G + off, &t));
		EXPECT_EQ(first + i * 0x555, t.hpa);
		EXPECT_EQ(2 * SZ_2M - off, t.limit);
		EXPECT_EQ(PAGE_4K, t.page_size);
		EXPECT_EQ(0U, t.level);
		EXPECT_EQ((__u32)GAS_PROT_RWX, t.prot);
		EXPECT_EQ((__u32)GASPACE_BACKEND_ALLOC, t.backend);
	}
}

/*
 * EFAULT first (gaspace.rst 3): the struct must be readable and
 * writable whole before -ERANGE or -ENOENT is judged.  gpa is readable
 * and the rest of the struct (half of it, its last word, or all of it)
 * lies in a PROT_NONE or a read-only page: -EFAULT for a hole, a lazy
 * page, a gpa outside the space and a mapped one alike.
 */
TEST_F(translate, efault_before_erange_and_enoent)
{
	static const struct {
		__u64 gpa;
		int err;
	} c[] = {
		{ BASE + SZ_1G + SZ_2M,		-ENOENT },	/* hole */
		{ BASE + 2 * SZ_1G + 0x123,	-ENOENT },	/* lazy */
		{ BASE - 1,			-ERANGE },
		{ BASE + SIZE,			-ERANGE },
		{ ~0ULL,			-ERANGE },
		{ BASE + 0x42,			0 },		/* mapped */
	};
	static const size_t in_page[] = {
		sizeof(struct gaspace_translation) / 2,
		sizeof(__u64),
		sizeof(struct gaspace_translation),
	};
	static const int prots[] = { PROT_NONE, PROT_READ };
	struct gaspace_translation *t, want;
	char *mem = mmap(NULL, 2 * PAGE_4K, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned int i, j, k;
	int fd = self->s.fd;

	ASSERT_NE(MAP_FAILED, mem);
	for (k = 0; k < ARRAY_LEN(prots); k++) {
		for (j = 0; j < ARRAY_LEN(in_page); j++) {
			/* gpa always readable: PROT_NONE keeps it in page 0 */
			if (prots[k] == PROT_NONE && in_page[j] == sizeof(*t))
				continue;
			/* in_page[j] bytes of it in page 1 */
			t = (void *)(mem + PAGE_4K - sizeof(*t) + in_page[j]);
			for (i = 0; i < ARRAY_LEN(c); i++) {
				ASSERT_EQ(0, mprotect(mem + PAGE_4K, PAGE_4K,
						      PROT_READ | PROT_WRITE));
				memset(t, 0xa5, sizeof(*t));
				t->gpa = c[i].gpa;
				ASSERT_EQ(0, mprotect(mem + PAGE_4K, PAGE_4K,
						      prots[k]));
				EXPECT_EQ(-EFAULT,
					  gas_ioctl_ptr(fd, GASPACE_TRANSLATE,
							t))
					TH_LOG("gpa %#llx, %zu bytes in a %s page",
					       c[i].gpa, in_page[j],
					       prots[k] == PROT_NONE ?
					       "PROT_NONE" : "read-only");
			}
		}
	}
	/* the same struct writable: each gives its own answer ... */
	ASSERT_EQ(0, mprotect(mem + PAGE_4K, PAGE_4K, PROT_READ | PROT_WRITE));
	t = (void *)(mem + PAGE_4K - sizeof(*t) / 2);
	for (i = 0; i < ARRAY_LEN(c); i++) {
		memset(t, 0xa5, sizeof(*t));
		t->gpa = c[i].gpa;
		want = *t;
		EXPECT_EQ(c[i].err, gas_ioctl_ptr(fd, GASPACE_TRANSLATE, t))
			TH_LOG("gpa %#llx", c[i].gpa);
		/* ... and an error leaves the struct as it was */
		if (c[i].err) {
			EXPECT_EQ(0, memcmp(&want, t, sizeof(want)))
				TH_LOG("gpa %#llx", c[i].gpa);
		}
	}
	munmap(mem, 2 * PAGE_4K);
}

/* Only gpa is read: whatever the output fields hold going in is fine. */
TEST_F(translate, only_gpa_is_read)
{
	struct gaspace_translation t, u;

	memset(&t, 0xff, sizeof(t));
	t.gpa = BASE + 0x42;
	ASSERT_EQ(0, gas_ioctl_ptr(self->s.fd, GASPACE_TRANSLATE, &t));
	memset(&u, 0, sizeof(u));
	u.gpa = BASE + 0x42;
	ASSERT_EQ(0, gas_ioctl_ptr(self->s.fd, GASPACE_TRANSLATE, &u));
	EXPECT_EQ(0, memcmp(&t, &u, sizeof(t)));
	EXPECT_EQ(HPA + 0x42, t.hpa);
}

/* Without CAP_SYS_ADMIN hpa reads 0; the rest is as for root. */
/* The space was created with CAP_SYS_ADMIN: its holders all see hpa. */
TEST_F(translate, hpa_shown_to_a_holder_without_sys_admin)
{
	struct gaspace_translation *t = gas_shared_alloc(PAGE_4K);
	struct gaspace_translation want;
	struct gaspace_map m = {
		.gpa = BASE + 2 * SZ_1G + 2 * SZ_2M, .size = PAGE_4K,
		.hpa = HPA + SZ_1G, .prot = GAS_PROT_R,
	};

	ASSERT_NE(NULL, t);
	ASSERT_EQ(0, gas_translate(self->s.fd, BASE + SZ_2M + 3, &want));
	ASSERT_NE(0ULL, want.hpa);
	memset(t, 0xa5, sizeof(*t));
	t->gpa = BASE + SZ_2M + 3;
	ASSERT_EQ(0, gas_ioctl_without_cap(CAP_SYS_ADMIN, self->s.fd,
					   GASPACE_TRANSLATE, t));
	EXPECT_EQ(0, memcmp(&want, t, sizeof(want)));
	/* errors are the same */
	t->gpa = BASE - 1;
	EXPECT_EQ(-ERANGE, gas_ioctl_without_cap(CAP_SYS_ADMIN, self->s.fd,
						 GASPACE_TRANSLATE, t));
	t->gpa = BASE + 2 * SZ_1G;
	EXPECT_EQ(-ENOENT, gas_ioctl_without_cap(CAP_SYS_ADMIN, self->s.fd,
						 GASPACE_TRANSLATE, t));
	/* MAP_LINEAR needs CAP_SYS_RAWIO only */
	ASSERT_EQ(0, gas_ioctl_without_cap(CAP_SYS_ADMIN, self->s.fd,
					   GASPACE_MAP_LINEAR, &m));
	ASSERT_EQ(0, gas_translate(self->s.fd, m.gpa + 1, &want));
	EXPECT_EQ(m.hpa + 1, want.hpa);
	munmap(t, PAGE_4K);
}

/* Hazard 7: limit counts from the byte, in each piece after a split. */
TEST_F(translate, limit_is_bytes_left_in_the_area)
{
	struct gaspace_translation t;
	int fd = self->s.fd;

	ASSERT_EQ(0, gas_protect(fd, BASE + SZ_2M, SZ_2M, GAS_PROT_R));
	ASSERT_EQ(0, gas_translate(fd, BASE + 5, &t));
	EXPECT_EQ(SZ_2M - 5, t.limit);
	ASSERT_EQ(0, gas_translate(fd, BASE + SZ_2M + SZ_2M - 1, &t));
	EXPECT_EQ(1ULL, t.limit);
	EXPECT_EQ((__u32)GAS_PROT_R, t.prot);
	ASSERT_EQ(0, gas_translate(fd, BASE + 2 * SZ_2M, &t));
	EXPECT_EQ(SZ_1G + PAGE_4K - 2 * SZ_2M, t.limit);
}

/*
 * TRANSLATE of @gpa twice, the second answer possibly from the space's
 * translation cache: the result, or 1 when the two answers differ.
 */
static int translate_twice(int fd, __u64 gpa, struct gaspace_translation *t)
{
	struct gaspace_translation again;
	int ret = gas_translate(fd, gpa, t);

	if (gas_translate(fd, gpa, &again) != ret ||
	    (!ret && memcmp(t, &again, sizeof(again))))
		return 1;
	return ret;
}

/*
 * gaspace.rst 5.5: an answer is what a lookup finds now, however recently
 * the page was translated.  Each step translates a page twice, changes it
 * or its area one way, and translates it again: a split, a fault, an area
 * that shrinks with no leaf touched, a logged page made clean, written and
 * cleared, a discard, an unmap and a map of another backend.
 */
TEST_F(translate, answers_follow_every_change)
{
	const __u64 lazy = BASE + 2 * SZ_1G;
	struct gaspace_translation t;
	__u64 bits[SZ_2M / PAGE_4K / 64];
	int fd = self->s.fd;

	ASSERT_EQ(0, translate_twice(fd, BASE + 5, &t));
	EXPECT_EQ(SZ_1G + PAGE_4K - 5, t.limit);
	ASSERT_EQ(0, gas_protect(fd, BASE + SZ_2M, SZ_2M, GAS_PROT_R));
	ASSERT_EQ(0, translate_twice(fd, BASE + 5, &t));
	EXPECT_EQ(SZ_2M, t.page_size);
	EXPECT_EQ(1u, t.level);
	EXPECT_EQ(SZ_2M - 5, t.limit);

	EXPECT_EQ(-ENOENT, translate_twice(fd, lazy, &t));
	ASSERT_EQ(0, gas_fault(fd, lazy, GASPACE_PROT_WRITE));
	ASSERT_EQ(0, translate_twice(fd, lazy, &t));
	EXPECT_EQ(2 * SZ_2M, t.limit);
	EXPECT_EQ((__u32)GAS_PROT_RWX, t.prot);
	ASSERT_EQ(0, gas_unmap(fd, lazy + SZ_2M, SZ_2M));
	ASSERT_EQ(0, translate_twice(fd, lazy, &t));
	EXPECT_EQ(SZ_2M, t.limit);

	ASSERT_EQ(0, gas_dirty_log_enable(fd, lazy, SZ_2M));
	ASSERT_EQ(0, translate_twice(fd, lazy, &t));
	EXPECT_EQ((__u32)GAS_PROT_RX, t.prot);
	ASSERT_EQ(0, gas_fault(fd, lazy, GASPACE_PROT_WRITE));
	ASSERT_EQ(0, translate_twice(fd, lazy, &t));
	EXPECT_EQ((__u32)GAS_PROT_RWX, t.prot);
	ASSERT_EQ(0, gas_get_dirty_log(fd, lazy, SZ_2M, bits,
				       GASPACE_DIRTY_CLEAR));
	EXPECT_EQ(1ULL, bits[0]);
	ASSERT_EQ(0, translate_twice(fd, lazy, &t));
	EXPECT_EQ((__u32)GAS_PROT_RX, t.prot);
	ASSERT_EQ(0, gas_dirty_log_disable(fd, lazy, SZ_2M));

	ASSERT_EQ(0, translate_twice(fd, lazy, &t));
	ASSERT_EQ(0, fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			       lazy, PAGE_4K));
	EXPECT_EQ(-ENOENT, translate_twice(fd, lazy, &t));
	ASSERT_EQ(0, gas_fault(fd, lazy, GASPACE_PROT_READ));
	ASSERT_EQ(0, translate_twice(fd, lazy + 3, &t));
	EXPECT_EQ((__u64)GASPACE_BACKEND_ALLOC, t.backend);
	ASSERT_EQ(0, gas_unmap(fd, lazy, PAGE_4K));
	EXPECT_EQ(-ENOENT, translate_twice(fd, lazy + 3, &t));
	ASSERT_EQ(0, gas_map_linear(fd, lazy, PAGE_4K, HPA + SZ_2M,
				    GAS_PROT_R, 0));
	ASSERT_EQ(0, translate_twice(fd, lazy + 3, &t));
	EXPECT_EQ((__u64)GASPACE_BACKEND_LINEAR, t.backend);
	EXPECT_EQ(HPA + SZ_2M + 3, t.hpa);
	EXPECT_EQ(PAGE_4K - 3, t.limit);
	EXPECT_EQ((__u32)GAS_PROT_R, t.prot);
}

/*
 * gaspace.rst 3, commands: the whole 32-bit number counts.  A known nr with
 * another direction or size, another magic, the device's commands and
 * unknown nrs all get -ENOTTY, and change nothing.
 */
TEST_F(translate, other_command_numbers_are_enotty)
{
	static const struct { unsigned int nr, dir, size; } known[] = {
		{ 0x10, _IOC_WRITE, sizeof(struct gaspace_map) },
		{ 0x11, _IOC_WRITE, sizeof(struct gaspace_map) },
		{ 0x12, _IOC_WRITE, sizeof(struct gaspace_range) },
		{ 0x13, _IOC_WRITE, sizeof(struct gaspace_range) },
		{ 0x14, _IOC_READ | _IOC_WRITE,
		  sizeof(struct gaspace_translation) },
		{ 0x15, _IOC_WRITE, sizeof(struct gaspace_fault) },
		{ 0x16, _IOC_READ, sizeof(struct gaspace_info) },
	};
	static const unsigned int dirs[] = {
		_IOC_NONE, _IOC_READ, _IOC_WRITE, _IOC_READ | _IOC_WRITE,
	};
	const __u64 probes[] = { BASE, BASE + SZ_1G, BASE + 2 * SZ_1G };
	struct gas_snapshot before, after;
	static char buf[4096];
	int fd = self->s.fd;
	unsigned int i, d, nr;

	gas_snapshot(fd, &before, probes, ARRAY_LEN(probes));
	for (i = 0; i < ARRAY_LEN(known); i++) {
		unsigned int n = known[i].nr, sz = known[i].size;
		unsigned long cmd[] = {
			_IOC(known[i].dir, GASPACE_IO, n, sz - 8),
			_IOC(known[i].dir, GASPACE_IO, n, sz + 8),
			_IOC(known[i].dir, GASPACE_IO, n, 0),
			_IOC(known[i].dir, GASPACE_IO + 1, n, sz),
			_IOC(known[i].dir, GASPACE_IO, n | 0x100, sz),
		};
		unsigned int j;

		for (d = 0; d < ARRAY_LEN(dirs); d++) {
			if (dirs[d] == known[i].dir)
				continue;
			unsigned long c = _IOC(dirs[d], GASPACE_IO, n, sz);

			memset(buf, 0, sizeof(buf));
			EXPECT_EQ(-ENOTTY, gas_ioctl_ptr(fd, c, buf))
				TH_LOG("nr %#x dir %u", n, dirs[d]);
		}
		for (j = 0; j < ARRAY_LEN(cmd); j++) {
			memset(buf, 0, sizeof(buf));
			EXPECT_EQ(-ENOTTY, gas_ioctl_ptr(fd, cmd[j], buf))
				TH_LOG("cmd %#lx", cmd[j]);
		}
	}
	for (nr = 0; nr < 0x40; nr++) {
		if (nr >= 0x10 && nr <= 0x16)
			continue;
		memset(buf, 0, sizeof(buf));
		/* USERFAULT_FD is an _IO command: tested in userfault_test */
		if (_IO(GASPACE_IO, nr) != GASPACE_USERFAULT_FD)
			EXPECT_EQ(-ENOTTY,
				  gas_ioctl_ptr(fd, _IO(GASPACE_IO, nr), buf))
				TH_LOG("nr %#x", nr);
		EXPECT_EQ(-ENOTTY, gas_ioctl_ptr(fd, _IOWR(GASPACE_IO, nr,
							   struct gaspace_map),
						 buf))
			TH_LOG("nr %#x", nr);
	}
	EXPECT_EQ(-ENOTTY, gas_ioctl_ptr(fd, GASPACE_CREATE, buf));
	EXPECT_EQ(-ENOTTY, gas_ioctl(fd, GASPACE_GET_API_VERSION, 0));
	EXPECT_EQ(-ENOTTY, gas_ioctl(fd, GASPACE_CHECK_EXTENSION, 1));
	gas_snapshot(fd, &after, probes, ARRAY_LEN(probes));
	EXPECT_TRUE(gas_snapshot_equal(&before, &after));
}

TEST_HARNESS_MAIN
