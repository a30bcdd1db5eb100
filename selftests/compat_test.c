// SPDX-License-Identifier: GPL-2.0
/*
 * compat_test: the ioctls of a 32-bit VMM (gaspace.rst 3: the compat path works).
 *
 * No 32-bit libc is needed: a 64-bit task that enters the kernel with
 * "int $0x80" makes an i386 system call (ioctl is number 54 there), which
 * takes the compat_ioctl path exactly as a 32-bit VMM does.  Arguments are
 * kept below 4 GiB (MAP_32BIT).  The uAPI structs have one layout for both
 * ABIs, so the command numbers are the same.  Skipped when the kernel has no
 * ia32 emulation.
 */
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "gaspace_util.h"
#include "kselftest_harness.h"

#define NR_IA32_IOCTL	54

/* An i386 ioctl(); returns the result or a negative errno. */
static int ioctl32(int fd, unsigned int cmd, unsigned int arg)
{
	long ret;

	asm volatile ("int $0x80"
		      : "=a" (ret)
		      : "a" ((long)NR_IA32_IOCTL), "b" ((long)fd),
			"c" ((long)cmd), "d" ((long)arg)
		      : "memory", "r8", "r9", "r10", "r11");
	return (int)ret;
}

static unsigned int ptr32(const void *p)
{
	return (unsigned int)(unsigned long)p;
}

/* Whether int $0x80 works here: tried in a child, it may be fatal. */
static bool have_ia32(int dev)
{
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return false;
	if (!pid)
		_exit(ioctl32(dev, GASPACE_GET_API_VERSION, 0) == -ENOSYS);
	if (waitpid(pid, &status, 0) != pid)
		return false;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

FIXTURE(compat) {
	int dev;
	bool no_ia32;
	void *low;	/* a page below 4 GiB for the arguments */
};

/* A SKIP in FIXTURE_SETUP does not stop the test body: each test asks. */
#define NEED_IA32() do {						\
	if (self->no_ia32)						\
		SKIP(return, "no ia32 system calls in this kernel");	\
} while (0)

FIXTURE_SETUP(compat)
{
	self->low = MAP_FAILED;
	self->dev = gas_open_dev();
	ASSERT_LE(0, self->dev) TH_LOG("open %s: %s", GASPACE_DEV,
				       strerror(errno));
	self->no_ia32 = !have_ia32(self->dev);
	if (self->no_ia32)
		return;
	self->low = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	ASSERT_NE(MAP_FAILED, self->low);
	ASSERT_GT(1UL << 32, (unsigned long)self->low);
}

FIXTURE_TEARDOWN(compat)
{
	if (self->low != MAP_FAILED)
		munmap(self->low, 4096);
	close(self->dev);
}

/*
 * AUDIT of the space @fd through the compat path (its struct in @low) finds
 * no error and says what the native call says; then @fd closes.
 */
static void close_audited32(struct __test_metadata *_metadata, int fd,
			    void *low)
{
	struct gaspace_audit *a32 = (void *)((char *)low + 1024);
	struct gaspace_audit native;

	memset(a32, 0xa5, sizeof(*a32));
	EXPECT_EQ(0, ioctl32(fd, GASPACE_AUDIT, ptr32(a32)));
	EXPECT_EQ(0ULL, a32->nr_errors)
		TH_LOG("AUDIT: %llu errors, first at gpa %#llx level %u",
		       (unsigned long long)a32->nr_errors,
		       (unsigned long long)a32->first_gpa, a32->first_level);
	EXPECT_EQ(0, gas_audit(fd, &native));
	EXPECT_EQ(0, memcmp(&native, a32, sizeof(native)));
	EXPECT_EQ(0, close(fd));
}

TEST_F(compat, api_version)
{
	NEED_IA32();
	EXPECT_EQ(1, ioctl32(self->dev, GASPACE_GET_API_VERSION, 0));
	EXPECT_EQ(-EINVAL, ioctl32(self->dev, GASPACE_GET_API_VERSION, 1));
	EXPECT_EQ(-EINVAL, ioctl32(self->dev, GASPACE_GET_API_VERSION,
				   0xffffffff));
}

TEST_F(compat, check_extension)
{
	NEED_IA32();
	EXPECT_EQ(0x1e, ioctl32(self->dev, GASPACE_CHECK_EXTENSION,
				GASPACE_CAP_FORMATS));
	EXPECT_EQ(gas_ioctl(self->dev, GASPACE_CHECK_EXTENSION,
			    GASPACE_CAP_MAX_AREAS),
		  ioctl32(self->dev, GASPACE_CHECK_EXTENSION,
			  GASPACE_CAP_MAX_AREAS));
	EXPECT_EQ(0, ioctl32(self->dev, GASPACE_CHECK_EXTENSION, 0));
	EXPECT_EQ(1, ioctl32(self->dev, GASPACE_CHECK_EXTENSION,
			     GASPACE_CAP_DIRTY_LOG));
	EXPECT_EQ(1, ioctl32(self->dev, GASPACE_CHECK_EXTENSION,
			     GASPACE_CAP_USERFAULT));
	EXPECT_EQ(1, ioctl32(self->dev, GASPACE_CHECK_EXTENSION,
			     GASPACE_CAP_MAP_USER));
	EXPECT_EQ(1, ioctl32(self->dev, GASPACE_CHECK_EXTENSION,
			     GASPACE_CAP_FILE));
	EXPECT_EQ(0, ioctl32(self->dev, GASPACE_CHECK_EXTENSION, 10));
	EXPECT_EQ(0, ioctl32(self->dev, GASPACE_CHECK_EXTENSION, 0xffffffff));
}

TEST_F(compat, create_and_get_info_match_native)
{
	struct gaspace_create *args = self->low;
	struct gaspace_info *info32 = (void *)((char *)self->low + 512);
	struct gaspace_info native;
	unsigned int i;

	NEED_IA32();
	for (i = 0; i < ARRAY_LEN(gas_formats); i++) {
		int fd;

		memset(args, 0, sizeof(*args));
		args->format = gas_formats[i];
		args->base = 1ULL << 30;
		args->size = 1ULL << 32;
		fd = ioctl32(self->dev, GASPACE_CREATE, ptr32(args));
		ASSERT_LE(0, fd) TH_LOG("%s: %s",
					gas_format_name(gas_formats[i]),
					strerror(-fd));
		EXPECT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD) & FD_CLOEXEC);

		memset(info32, 0xa5, sizeof(*info32));
		EXPECT_EQ(0, ioctl32(fd, GASPACE_GET_INFO, ptr32(info32)));
		ASSERT_EQ(0, gas_get_info(fd, &native));
		EXPECT_EQ(0, memcmp(&native, info32, sizeof(native)));
		EXPECT_EQ(gas_formats[i], info32->format);
		EXPECT_EQ(1ULL << 30, info32->base);
		EXPECT_EQ(1ULL << 32, info32->size);
		EXPECT_NE(0ULL, info32->root_pointer);
		close_audited32(_metadata, fd, self->low);
	}
}

TEST_F(compat, create_einval)
{
	struct gaspace_create *args = self->low;
	unsigned int i;

	NEED_IA32();
	for (i = 0; i < 4; i++) {
		memset(args, 0, sizeof(*args));
		args->format = GASPACE_FMT_EPT;
		args->size = PAGE_4K;
		args->reserved[i] = 1;
		EXPECT_EQ(-EINVAL, ioctl32(self->dev, GASPACE_CREATE,
					   ptr32(args)));
	}
	memset(args, 0, sizeof(*args));
	args->format = GASPACE_FMT_NPT;
	args->size = PAGE_4K;
	args->flags = 1ULL << 63;
	EXPECT_EQ(-EINVAL, ioctl32(self->dev, GASPACE_CREATE, ptr32(args)));
	args->flags = 0;
	args->gpa_bits = 40;
	EXPECT_EQ(-EINVAL, ioctl32(self->dev, GASPACE_CREATE, ptr32(args)));
}

TEST_F(compat, bad_pointer_is_efault)
{
	int fd;

	NEED_IA32();
	EXPECT_EQ(-EFAULT, ioctl32(self->dev, GASPACE_CREATE, 0));
	EXPECT_EQ(-EFAULT, ioctl32(self->dev, GASPACE_CREATE, 4096));
	fd = gas_create(self->dev, GASPACE_FMT_RISCV_G, 0, 0, PAGE_4K);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EFAULT, ioctl32(fd, GASPACE_GET_INFO, 0));
	EXPECT_EQ(-EFAULT, ioctl32(fd, GASPACE_AUDIT, 0));
	close_audited32(_metadata, fd, self->low);
}

TEST_F(compat, unknown_commands_are_enotty)
{
	int fd;

	NEED_IA32();
	EXPECT_EQ(-ENOTTY, ioctl32(self->dev, _IO(GASPACE_IO, 0x03), 0));
	EXPECT_EQ(-ENOTTY, ioctl32(self->dev, GASPACE_GET_INFO,
				   ptr32(self->low)));
	fd = gas_create(self->dev, GASPACE_FMT_ARM64_S2, 0, 0, PAGE_4K);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOTTY, ioctl32(fd, GASPACE_CREATE, ptr32(self->low)));
	EXPECT_EQ(-ENOTTY, ioctl32(fd, _IO(GASPACE_IO, 0x17), 0));
	close_audited32(_metadata, fd, self->low);
}

TEST_HARNESS_MAIN
