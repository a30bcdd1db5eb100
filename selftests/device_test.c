// SPDX-License-Identifier: GPL-2.0
/*
 * device_test: the ioctls of /dev/gaspace itself (gaspace.rst 3, 4).
 *
 * GET_API_VERSION, CHECK_EXTENSION, the device node, and -ENOTTY for every
 * command number that is not exactly one of the device's, including a known
 * nr with another direction or size, and the address-space commands.
 */
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "gaspace_util.h"
#include "kselftest_harness.h"

FIXTURE(dev) {
	int dev;
};

FIXTURE_SETUP(dev)
{
	self->dev = gas_open_dev();
	ASSERT_LE(0, self->dev) TH_LOG("open %s: %s", GASPACE_DEV,
				       strerror(errno));
}

FIXTURE_TEARDOWN(dev)
{
	close(self->dev);
}

TEST(node_is_misc_char_device_0600)
{
	struct stat st;

	ASSERT_EQ(0, stat(GASPACE_DEV, &st)) TH_LOG("%s", strerror(errno));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0600u, st.st_mode & 07777);
	EXPECT_EQ(0u, st.st_uid);
	EXPECT_EQ(0u, st.st_gid);
	/* misc devices live on major 10 */
	EXPECT_EQ(10u, major(st.st_rdev));
}

TEST_F(dev, api_version_is_1)
{
	EXPECT_EQ(1, gas_ioctl(self->dev, GASPACE_GET_API_VERSION, 0));
	EXPECT_EQ(GASPACE_API_VERSION,
		  gas_ioctl(self->dev, GASPACE_GET_API_VERSION, 0));
}

TEST_F(dev, api_version_nonzero_arg_is_einval)
{
	static const unsigned long args[] = {
		1, 2, 0x1000, ~(~0ul >> 1), ~0ul,
#if __SIZEOF_LONG__ == 8
		1ul << 32,
#endif
	};
	unsigned int i;

	for (i = 0; i < ARRAY_LEN(args); i++) {
		EXPECT_EQ(-EINVAL, gas_ioctl(self->dev,
					     GASPACE_GET_API_VERSION, args[i]))
			TH_LOG("arg %#lx", args[i]);
	}
}

TEST_F(dev, cap_formats_is_0x1e)
{
	EXPECT_EQ(0x1e, gas_ioctl(self->dev, GASPACE_CHECK_EXTENSION,
				  GASPACE_CAP_FORMATS));
}

/* Tables are built in software: every host has both block sizes. */
TEST_F(dev, cap_huge_has_2m_and_1g_blocks)
{
	long huge = gas_ioctl(self->dev, GASPACE_CHECK_EXTENSION,
			      GASPACE_CAP_HUGE);

	EXPECT_EQ((long)(SZ_2M | SZ_1G), huge & (long)(SZ_2M | SZ_1G));
	/* block sizes only: no bit below 2 MiB */
	EXPECT_EQ(0, huge & (long)(SZ_2M - 1));
}

TEST_F(dev, cap_mmap_is_1)
{
	EXPECT_EQ(1, gas_ioctl(self->dev, GASPACE_CHECK_EXTENSION,
			       GASPACE_CAP_MMAP));
}

TEST_F(dev, cap_max_areas_default)
{
	EXPECT_EQ((long long)DEFAULT_MAX_AREAS,
		  gas_read_number(GASPACE_PARAM("max_areas")));
	EXPECT_EQ((long)DEFAULT_MAX_AREAS,
		  gas_ioctl(self->dev, GASPACE_CHECK_EXTENSION,
			    GASPACE_CAP_MAX_AREAS));
}

/* The parameter is read at each call: the cap follows it at once. */
FIXTURE(max_areas_param) {
	int dev;
	long long saved;
};

FIXTURE_SETUP(max_areas_param)
{
	self->saved = -1;
	self->dev = gas_open_dev();
	ASSERT_LE(0, self->dev);
	self->saved = gas_read_number(GASPACE_PARAM("max_areas"));
	ASSERT_LT(0, self->saved);
}

FIXTURE_TEARDOWN(max_areas_param)
{
	char buf[32];

	if (self->saved > 0) {
		snprintf(buf, sizeof(buf), "%lld\n", self->saved);
		gas_write_string(GASPACE_PARAM("max_areas"), buf);
	}
	close(self->dev);
}

TEST_F(max_areas_param, cap_follows_param)
{
	ASSERT_EQ(0, gas_write_string(GASPACE_PARAM("max_areas"), "7\n"));
	EXPECT_EQ(7, gas_ioctl(self->dev, GASPACE_CHECK_EXTENSION,
			       GASPACE_CAP_MAX_AREAS));
	ASSERT_EQ(0, gas_write_string(GASPACE_PARAM("max_areas"), "65536\n"));
	EXPECT_EQ(65536, gas_ioctl(self->dev, GASPACE_CHECK_EXTENSION,
				   GASPACE_CAP_MAX_AREAS));
}

TEST_F(dev, unknown_cap_is_0)
{
	static const unsigned long caps[] = {
		0, 10, 11, 0x7f, 0x100, 0xffff, ~(~0ul >> 1), ~0ul,
#if __SIZEOF_LONG__ == 8
		1ul << 32 | GASPACE_CAP_FORMATS,
#endif
	};
	unsigned int i;

	for (i = 0; i < ARRAY_LEN(caps); i++) {
		EXPECT_EQ(0, gas_ioctl(self->dev, GASPACE_CHECK_EXTENSION,
				       caps[i]))
			TH_LOG("cap %#lx", caps[i]);
	}
}

TEST_F(dev, known_caps_are_stable)
{
	unsigned long cap;

	for (cap = GASPACE_CAP_FORMATS; cap <= GASPACE_CAP_AUDIT; cap++) {
		long a = gas_ioctl(self->dev, GASPACE_CHECK_EXTENSION, cap);
		long b = gas_ioctl(self->dev, GASPACE_CHECK_EXTENSION, cap);

		EXPECT_LE(0, a) TH_LOG("cap %lu", cap);
		EXPECT_EQ(a, b) TH_LOG("cap %lu", cap);
	}
}

/*
 * Each command below is refused with -ENOTTY.  @arg points at a zeroed buffer
 * large enough for any size field, so a wrong match could not fault.
 */
static void expect_enotty(struct __test_metadata *_metadata, int fd,
			  const unsigned long *cmds, unsigned int n)
{
	static unsigned char buf[1 << 14];
	unsigned int i;

	for (i = 0; i < n; i++) {
		memset(buf, 0, sizeof(buf));
		EXPECT_EQ(-ENOTTY, gas_ioctl_ptr(fd, cmds[i], buf))
			TH_LOG("cmd %#lx", cmds[i]);
	}
}

TEST_F(dev, unknown_numbers_are_enotty)
{
	static const unsigned long cmds[] = {
		_IO(GASPACE_IO, 0x03), _IO(GASPACE_IO, 0x04),
		_IO(GASPACE_IO, 0x0f), _IO(GASPACE_IO, 0x17),
		_IO(GASPACE_IO, 0x80), _IO(GASPACE_IO, 0xff),
		_IO(0xAE, 0x00),	/* KVM_GET_API_VERSION */
		_IO(0xAE, 0x01), _IO(0xBB, 0x00), _IO(0xB9, 0x01),
		_IOW(0xBB, 0x02, struct gaspace_create),
		0, 1, 0xBA, 0xffffffffUL,
	};

	expect_enotty(_metadata, self->dev, cmds, ARRAY_LEN(cmds));
}

TEST_F(dev, known_nr_other_direction_or_size_is_enotty)
{
	static const unsigned long cmds[] = {
		/* GET_API_VERSION is _IO(0xBA, 0) */
		_IOR(GASPACE_IO, 0x00, int), _IOW(GASPACE_IO, 0x00, int),
		_IOWR(GASPACE_IO, 0x00, int), _IOC(_IOC_NONE, GASPACE_IO, 0, 4),
		/* CHECK_EXTENSION is _IO(0xBA, 1) */
		_IOR(GASPACE_IO, 0x01, __u64), _IOW(GASPACE_IO, 0x01, __u64),
		_IOWR(GASPACE_IO, 0x01, __u32),
		_IOC(_IOC_NONE, GASPACE_IO, 0x01, 8),
		/* CREATE is _IOW(0xBA, 2, 64 bytes) */
		_IO(GASPACE_IO, 0x02),
		_IOR(GASPACE_IO, 0x02, struct gaspace_create),
		_IOWR(GASPACE_IO, 0x02, struct gaspace_create),
		_IOC(_IOC_WRITE, GASPACE_IO, 0x02, 56),
		_IOC(_IOC_WRITE, GASPACE_IO, 0x02, 63),
		_IOC(_IOC_WRITE, GASPACE_IO, 0x02, 65),
		_IOC(_IOC_WRITE, GASPACE_IO, 0x02, 72),
		_IOC(_IOC_WRITE, GASPACE_IO, 0x02, 128),
		_IOC(_IOC_WRITE, GASPACE_IO, 0x02, 0),
	};

	expect_enotty(_metadata, self->dev, cmds, ARRAY_LEN(cmds));
}

TEST_F(dev, space_commands_on_device_are_enotty)
{
	static const unsigned long cmds[] = {
		GASPACE_MAP_LINEAR, GASPACE_MAP_ALLOC, GASPACE_UNMAP,
		GASPACE_PROTECT, GASPACE_TRANSLATE, GASPACE_FAULT,
		GASPACE_GET_INFO,
	};

	expect_enotty(_metadata, self->dev, cmds, ARRAY_LEN(cmds));
}

TEST_F(dev, device_commands_on_space_are_enotty)
{
	static const unsigned long cmds[] = {
		GASPACE_GET_API_VERSION, GASPACE_CHECK_EXTENSION,
		GASPACE_CREATE,
	};
	int fd;

	fd = gas_create(self->dev, GASPACE_FMT_EPT, 0, 0, 1ULL << 30);
	ASSERT_LE(0, fd) TH_LOG("CREATE: %s", strerror(-fd));
	expect_enotty(_metadata, fd, cmds, ARRAY_LEN(cmds));
	EXPECT_CLOSE_AUDITED(fd);
}

TEST_F(dev, space_unknown_numbers_are_enotty)
{
	static const unsigned long cmds[] = {
		_IO(GASPACE_IO, 0x17), _IO(GASPACE_IO, 0x0f),
		_IO(GASPACE_IO, 0xff), _IO(0xAE, 0x00), 0,
		/* GET_INFO is _IOR(0xBA, 0x16, 152 bytes) */
		_IO(GASPACE_IO, 0x16),
		_IOW(GASPACE_IO, 0x16, struct gaspace_info),
		_IOWR(GASPACE_IO, 0x16, struct gaspace_info),
		_IOC(_IOC_READ, GASPACE_IO, 0x16, 144),
		_IOC(_IOC_READ, GASPACE_IO, 0x16, 160),
		/* TRANSLATE is _IOWR(0xBA, 0x14, 48 bytes) */
		_IOR(GASPACE_IO, 0x14, struct gaspace_translation),
		_IOW(GASPACE_IO, 0x14, struct gaspace_translation),
		_IOC(_IOC_READ | _IOC_WRITE, GASPACE_IO, 0x14, 40),
		/* MAP_ALLOC is _IOW(0xBA, 0x11, 48 bytes) */
		_IOR(GASPACE_IO, 0x11, struct gaspace_map),
		_IOC(_IOC_WRITE, GASPACE_IO, 0x11, 40),
		/* UNMAP is _IOW(0xBA, 0x12, 40 bytes) */
		_IOC(_IOC_WRITE, GASPACE_IO, 0x12, 48),
		/* FAULT is _IOW(0xBA, 0x15, 16 bytes) */
		_IOC(_IOC_WRITE, GASPACE_IO, 0x15, 8),
		_IOWR(GASPACE_IO, 0x15, struct gaspace_fault),
		/* MAP_USER is _IOW(0xBA, 0x1c, 48 bytes) */
		_IOR(GASPACE_IO, 0x1c, struct gaspace_map_user),
		_IOC(_IOC_WRITE, GASPACE_IO, 0x1c, 40),
		_IO(GASPACE_IO, 0x1c),
	};
	int fd;

	fd = gas_create(self->dev, GASPACE_FMT_NPT, 0, 0, 1ULL << 30);
	ASSERT_LE(0, fd) TH_LOG("CREATE: %s", strerror(-fd));
	expect_enotty(_metadata, fd, cmds, ARRAY_LEN(cmds));
	EXPECT_CLOSE_AUDITED(fd);
}

TEST_HARNESS_MAIN
