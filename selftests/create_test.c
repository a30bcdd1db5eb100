// SPDX-License-Identifier: GPL-2.0
/*
 * create_test: GASPACE_CREATE (gaspace.rst 2.4, 4, 3).
 *
 * Every -EINVAL rule, one test each: unknown format, each gpa_bits a format
 * does not allow, flags, each reserved word, alignment, size 0, wrap, the end
 * above 1 << gpa_bits, and the boundary that is just allowed; -EFAULT for an
 * argument that cannot be copied; the fd's flags (O_RDWR, close-on-exec, also
 * across a real execve); close; many spaces at once and in a row.
 */
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "gaspace_util.h"
#include "kselftest_harness.h"

/* Set in the environment of a re-executed copy of this program. */
#define CLOEXEC_ENV "GASPACE_CREATE_TEST_CLOEXEC_FD"

/*
 * The re-executed copy only reports whether the fd it was told about
 * survived execve: exit 0 when it is closed, 1 when it is still open.
 */
static void __attribute__((constructor)) cloexec_probe(void)
{
	const char *s = getenv(CLOEXEC_ENV);

	if (!s)
		return;
	_exit(fcntl(atoi(s), F_GETFD) < 0 && errno == EBADF ? 0 : 1);
}

FIXTURE(create) {
	int dev;
};

FIXTURE_SETUP(create)
{
	self->dev = gas_open_dev();
	ASSERT_LE(0, self->dev) TH_LOG("open %s: %s", GASPACE_DEV,
				       strerror(errno));
}

FIXTURE_TEARDOWN(create)
{
	close(self->dev);
}

/*
 * The result of a CREATE: a new space's fd is audited (an error found there
 * fails the test) and closed.  Returns 0 or the CREATE's -errno.
 */
static int created(int fd)
{
	if (fd < 0)
		return fd;
	gas_close_audited(fd);
	return 0;
}

static int try_create(int dev, const struct gaspace_create *args)
{
	return created(gas_create_args(dev, args));
}

static int try_geometry(int dev, unsigned int format, unsigned int bits,
			unsigned long long base, unsigned long long size)
{
	return created(gas_create(dev, format, bits, base, size));
}

TEST_F(create, each_format_default_width)
{
	unsigned int i;

	for (i = 0; i < ARRAY_LEN(gas_formats); i++) {
		int fd = gas_create(self->dev, gas_formats[i], 0, 0, PAGE_4K);

		EXPECT_LE(0, fd) TH_LOG("%s: %s",
					gas_format_name(gas_formats[i]),
					strerror(-fd));
		if (fd >= 0) {
			EXPECT_CLOSE_AUDITED(fd);
		}
	}
}

TEST_F(create, unknown_format_is_einval)
{
	static const unsigned int formats[] = {
		0, 5, 6, 0xff, 0x100, 0x10001, 0x7fffffff, 0x80000001,
		0xffffffff,
	};
	unsigned int i, bits[] = { 0, 48 };
	unsigned int j;

	for (i = 0; i < ARRAY_LEN(formats); i++) {
		for (j = 0; j < ARRAY_LEN(bits); j++) {
			EXPECT_EQ(-EINVAL, try_geometry(self->dev, formats[i],
							bits[j], 0, PAGE_4K))
				TH_LOG("format %#x gpa_bits %u",
				       formats[i], bits[j]);
		}
	}
}

/* Every width from 0 to 70 and a few large ones, allowed or -EINVAL. */
static void check_widths(struct __test_metadata *_metadata, int dev,
			 unsigned int format)
{
	static const unsigned int big[] = {
		64 + 48, 128, 256, 0x100 | 48, 0x10000 | 40, 0x80000000 | 41,
		0xffffffff,
	};
	unsigned int bits;
	unsigned int i;

	for (bits = 0; bits <= 70; bits++) {
		int want = gas_bits_allowed(format, bits) ? 0 : -EINVAL;

		EXPECT_EQ(want, try_geometry(dev, format, bits, 0, PAGE_4K))
			TH_LOG("%s gpa_bits %u", gas_format_name(format),
			       bits);
	}
	for (i = 0; i < ARRAY_LEN(big); i++) {
		EXPECT_EQ(-EINVAL, try_geometry(dev, format, big[i], 0,
						PAGE_4K))
			TH_LOG("%s gpa_bits %#x", gas_format_name(format),
			       big[i]);
	}
}

TEST_F(create, ept_widths)
{
	check_widths(_metadata, self->dev, GASPACE_FMT_EPT);
}

TEST_F(create, npt_widths)
{
	check_widths(_metadata, self->dev, GASPACE_FMT_NPT);
}

TEST_F(create, arm64_s2_widths)
{
	check_widths(_metadata, self->dev, GASPACE_FMT_ARM64_S2);
}

TEST_F(create, riscv_g_widths)
{
	check_widths(_metadata, self->dev, GASPACE_FMT_RISCV_G);
}

TEST_F(create, nonzero_flags_is_einval)
{
	unsigned int i, bit;

	for (i = 0; i < ARRAY_LEN(gas_formats); i++) {
		for (bit = 0; bit < 64; bit++) {
			struct gaspace_create args = {
				.format = gas_formats[i],
				.size = PAGE_4K,
				.flags = 1ULL << bit,
			};

			EXPECT_EQ(-EINVAL, try_create(self->dev, &args))
				TH_LOG("%s flags bit %u",
				       gas_format_name(gas_formats[i]), bit);
		}
	}
}

TEST_F(create, nonzero_reserved_is_einval)
{
	static const unsigned long long values[] = {
		1, 0x80, 1ULL << 32, 1ULL << 63, ~0ULL,
	};
	unsigned int f, i, v;

	for (f = 0; f < ARRAY_LEN(gas_formats); f++) {
		for (i = 0; i < 4; i++) {
			for (v = 0; v < ARRAY_LEN(values); v++) {
				struct gaspace_create args = {
					.format = gas_formats[f],
					.size = PAGE_4K,
				};

				args.reserved[i] = values[v];
				EXPECT_EQ(-EINVAL,
					  try_create(self->dev, &args))
					TH_LOG("%s reserved[%u] = %#llx",
					       gas_format_name(gas_formats[f]),
					       i, values[v]);
			}
		}
	}
}

TEST_F(create, unaligned_base_is_einval)
{
	static const unsigned long long bases[] = {
		1, 8, 0x800, 0xfff, 0x1001, (1ULL << 30) + 0x200,
		(1ULL << 40) - 1,
	};
	unsigned int f, i;

	for (f = 0; f < ARRAY_LEN(gas_formats); f++) {
		for (i = 0; i < ARRAY_LEN(bases); i++) {
			EXPECT_EQ(-EINVAL, try_geometry(self->dev,
							gas_formats[f], 0,
							bases[i], PAGE_4K))
				TH_LOG("%s base %#llx",
				       gas_format_name(gas_formats[f]),
				       bases[i]);
		}
	}
}

TEST_F(create, unaligned_size_is_einval)
{
	static const unsigned long long sizes[] = {
		1, 0x200, 0xfff, 0x1001, 0x1fff, (1ULL << 30) - 1,
		(1ULL << 30) + 8,
	};
	unsigned int f, i;

	for (f = 0; f < ARRAY_LEN(gas_formats); f++) {
		for (i = 0; i < ARRAY_LEN(sizes); i++) {
			EXPECT_EQ(-EINVAL, try_geometry(self->dev,
							gas_formats[f], 0,
							0, sizes[i]))
				TH_LOG("%s size %#llx",
				       gas_format_name(gas_formats[f]),
				       sizes[i]);
		}
	}
}

TEST_F(create, size_zero_is_einval)
{
	unsigned int f;

	for (f = 0; f < ARRAY_LEN(gas_formats); f++) {
		EXPECT_EQ(-EINVAL, try_geometry(self->dev, gas_formats[f], 0,
						0, 0));
		EXPECT_EQ(-EINVAL, try_geometry(self->dev, gas_formats[f], 0,
						1ULL << 20, 0));
	}
}

TEST_F(create, wrap_is_einval)
{
	static const struct { unsigned long long base, size; } cases[] = {
		{ ~0xfffULL, 0x2000 },
		{ ~0xfffULL, ~0xfffULL },
		{ 0x1000, ~0xfffULL },
		{ 1ULL << 63, 1ULL << 63 },
		{ 0, ~0xfffULL },
	};
	unsigned int f, i;

	for (f = 0; f < ARRAY_LEN(gas_formats); f++) {
		for (i = 0; i < ARRAY_LEN(cases); i++) {
			EXPECT_EQ(-EINVAL, try_geometry(self->dev,
							gas_formats[f], 0,
							cases[i].base,
							cases[i].size))
				TH_LOG("%s base %#llx size %#llx",
				       gas_format_name(gas_formats[f]),
				       cases[i].base, cases[i].size);
		}
	}
}

/*
 * At width @bits (0: the default, whose end is @end_bits): the whole width
 * and its last page are allowed, one page more is not.
 */
static void check_end(struct __test_metadata *_metadata, int dev,
		      unsigned int format, unsigned int bits,
		      unsigned int end_bits)
{
	unsigned long long end = 1ULL << end_bits;
	const char *name = gas_format_name(format);

	EXPECT_EQ(0, try_geometry(dev, format, bits, 0, end))
		TH_LOG("%s/%u: [0, 1 << %u)", name, bits, end_bits);
	EXPECT_EQ(0, try_geometry(dev, format, bits, end - PAGE_4K, PAGE_4K))
		TH_LOG("%s/%u: last page", name, bits);
	EXPECT_EQ(0, try_geometry(dev, format, bits, end / 2, end / 2))
		TH_LOG("%s/%u: upper half", name, bits);

	EXPECT_EQ(-EINVAL, try_geometry(dev, format, bits, 0, end + PAGE_4K))
		TH_LOG("%s/%u: one page past the width", name, bits);
	EXPECT_EQ(-EINVAL, try_geometry(dev, format, bits, end, PAGE_4K))
		TH_LOG("%s/%u: first page past the width", name, bits);
	EXPECT_EQ(-EINVAL, try_geometry(dev, format, bits, end - PAGE_4K,
					2 * PAGE_4K))
		TH_LOG("%s/%u: straddles the end", name, bits);
	EXPECT_EQ(-EINVAL, try_geometry(dev, format, bits, 0, 2 * end))
		TH_LOG("%s/%u: twice the width", name, bits);
	EXPECT_EQ(-EINVAL, try_geometry(dev, format, bits, 2 * end, PAGE_4K))
		TH_LOG("%s/%u: far past the width", name, bits);
}

TEST_F(create, end_at_default_width)
{
	unsigned int f;

	for (f = 0; f < ARRAY_LEN(gas_formats); f++)
		check_end(_metadata, self->dev, gas_formats[f], 0,
			  gas_default_bits(gas_formats[f]));
}

TEST_F(create, end_at_every_width)
{
	unsigned int f, bits;

	for (f = 0; f < ARRAY_LEN(gas_formats); f++)
		for (bits = 1; bits <= 64; bits++)
			if (gas_bits_allowed(gas_formats[f], bits))
				check_end(_metadata, self->dev,
					  gas_formats[f], bits, bits);
}

TEST_F(create, null_pointer_is_efault)
{
	EXPECT_EQ(-EFAULT, gas_ioctl(self->dev, GASPACE_CREATE, 0));
	EXPECT_EQ(-EFAULT, gas_ioctl(self->dev, GASPACE_CREATE, 1));
	EXPECT_EQ(-EFAULT, gas_ioctl(self->dev, GASPACE_CREATE, 4096));
	EXPECT_EQ(-EFAULT, gas_ioctl(self->dev, GASPACE_CREATE,
				     GAS_KERNEL_ADDR));
	EXPECT_EQ(-EFAULT, gas_ioctl(self->dev, GASPACE_CREATE, ~0ul - 8));
}

TEST_F(create, unmapped_pointer_is_efault)
{
	long page = sysconf(_SC_PAGESIZE);
	struct gaspace_create *args;
	char *map;

	map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, munmap(map + page, page));

	/* the struct's last byte lies in the unmapped page */
	args = (void *)(map + page - sizeof(*args) + 1);
	memset(args, 0, sizeof(*args) - 1);
	args->format = GASPACE_FMT_EPT;
	args->size = PAGE_4K;
	EXPECT_EQ(-EFAULT, gas_create_args(self->dev, args));

	/* wholly unmapped */
	EXPECT_EQ(-EFAULT, gas_create_args(self->dev, (void *)(map + page)));

	/* unreadable */
	args = (void *)(map + page - sizeof(*args));
	memset(args, 0, sizeof(*args));
	args->format = GASPACE_FMT_EPT;
	args->size = PAGE_4K;
	ASSERT_EQ(0, mprotect(map, page, PROT_NONE));
	EXPECT_EQ(-EFAULT, gas_create_args(self->dev, args));

	/* and the same bytes readable again succeed */
	ASSERT_EQ(0, mprotect(map, page, PROT_READ));
	EXPECT_EQ(0, try_create(self->dev, args));
	munmap(map, page);
}

TEST_F(create, fd_is_rdwr_and_cloexec)
{
	int fd, fl;

	fd = gas_create(self->dev, GASPACE_FMT_EPT, 0, 0, PAGE_4K);
	ASSERT_LE(0, fd) TH_LOG("CREATE: %s", strerror(-fd));
	EXPECT_NE(self->dev, fd);

	fl = fcntl(fd, F_GETFL);
	ASSERT_LE(0, fl);
	EXPECT_EQ(O_RDWR, fl & O_ACCMODE);

	fl = fcntl(fd, F_GETFD);
	ASSERT_LE(0, fl);
	EXPECT_EQ(FD_CLOEXEC, fl & FD_CLOEXEC);
	EXPECT_CLOSE_AUDITED(fd);
}

TEST_F(create, fd_closed_across_execve)
{
	char env[64];
	char *const envp[] = { env, NULL };
	int fd, status;
	pid_t pid;

	fd = gas_create(self->dev, GASPACE_FMT_RISCV_G, 0, 0, PAGE_4K);
	ASSERT_LE(0, fd) TH_LOG("CREATE: %s", strerror(-fd));
	snprintf(env, sizeof(env), CLOEXEC_ENV "=%d", fd);

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		execle("/proc/self/exe", "create_test", (char *)NULL, envp);
		_exit(2);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("%s", WEXITSTATUS(status) == 2 ? "execve failed" :
			     "fd survived execve");
	EXPECT_CLOSE_AUDITED(fd);
}

TEST_F(create, close_then_fd_is_gone)
{
	struct gaspace_info info;
	int fd;

	fd = gas_create(self->dev, GASPACE_FMT_NPT, 0, 0, PAGE_4K);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, gas_get_info(fd, &info));
	EXPECT_CLOSE_AUDITED(fd);
	EXPECT_EQ(-EBADF, gas_get_info(fd, &info));
	/* the device itself is untouched */
	EXPECT_EQ(1, gas_ioctl(self->dev, GASPACE_GET_API_VERSION, 0));
}

TEST_F(create, spaces_outlive_the_device_fd)
{
	struct gaspace_info info;
	int fd;

	fd = gas_create(self->dev, GASPACE_FMT_ARM64_S2, 0, 0, PAGE_4K);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, close(self->dev));
	self->dev = -1;
	EXPECT_EQ(0, gas_get_info(fd, &info));
	EXPECT_EQ((__u32)GASPACE_FMT_ARM64_S2, info.format);
	EXPECT_CLOSE_AUDITED(fd);
}

#define MANY 512

TEST_F_TIMEOUT(create, many_at_once, 120)
{
	struct rlimit rl = { MANY + 64, MANY + 64 };
	static int fds[MANY];
	struct gaspace_info info;
	unsigned int i;

	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
	for (i = 0; i < MANY; i++) {
		unsigned int format = gas_formats[i % ARRAY_LEN(gas_formats)];

		fds[i] = gas_create(self->dev, format, 0, (u_int64_t)i << 12,
				    PAGE_4K);
		ASSERT_LE(0, fds[i]) TH_LOG("space %u: %s", i,
					    strerror(-fds[i]));
	}
	for (i = 0; i < MANY; i++) {
		ASSERT_EQ(0, gas_get_info(fds[i], &info));
		EXPECT_EQ(gas_formats[i % ARRAY_LEN(gas_formats)],
			  info.format);
		EXPECT_EQ((unsigned long long)i << 12, info.base);
	}
	for (i = 0; i < MANY; i++) {
		EXPECT_CLOSE_AUDITED(fds[i]);
	}
}

TEST_F_TIMEOUT(create, many_in_a_row, 120)
{
	unsigned int i;

	for (i = 0; i < 4096; i++) {
		unsigned int format = gas_formats[i % ARRAY_LEN(gas_formats)];
		int fd = gas_create(self->dev, format, 0, 0, PAGE_4K);

		ASSERT_LE(0, fd) TH_LOG("space %u: %s", i, strerror(-fd));
		ASSERT_EQ(0, gas_audit_clean(fd)) TH_LOG("space %u", i);
		ASSERT_EQ(0, close(fd));
	}
}

TEST_HARNESS_MAIN
