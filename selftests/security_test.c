// SPDX-License-Identifier: GPL-2.0
/*
 * security_test: who may do what (gaspace.rst 3 "order of checks", 4, 5).
 *
 * /dev/gaspace is 0600 root and a non-root user cannot open it; physical
 * addresses (TRANSLATE's hpa, GET_INFO's root values) follow the
 * credentials the space fd was created with, as /proc/pid/pagemap's PFNs
 * do: a space created without CAP_SYS_ADMIN (or in a user namespace) never
 * shows them, whoever holds its fd, and one created with it shows them to
 * every holder; MAP_LINEAR needs CAP_SYS_RAWIO at the time of the call
 * (-EPERM before -EINVAL) and refuses System RAM unless linear_ram=1;
 * an fd handed to a less privileged process works there for everything
 * else; guest memory never
 * reaches host memory through the fd (linear areas are -ENXIO for pread,
 * pwrite and mmap) and every frame is zeroed before anyone sees it.
 */
#include <grp.h>
#include <sched.h>
#include <sys/stat.h>

#include "gaspace_util.h"
#include "kselftest_harness.h"

#define BASE		SZ_1G
#define SIZE		SZ_1G
#define HPA		BIT_ULL(40)	/* 1 TiB: never RAM in the test VM */
#define NOBODY		65534

FIXTURE(sec) {
	struct gas_space s;
	struct gas_param linear_ram;
};

FIXTURE_SETUP(sec)
{
	ASSERT_EQ(0, gas_space_open(&self->s, GASPACE_FMT_EPT, 48, BASE,
				    SIZE));
	ASSERT_EQ(0, gas_param_save(&self->linear_ram,
				    GASPACE_PARAM("linear_ram")));
	ASSERT_TRUE(gas_have_cap(CAP_SYS_ADMIN));
	ASSERT_TRUE(gas_have_cap(CAP_SYS_RAWIO));
}

FIXTURE_TEARDOWN(sec)
{
	gas_param_restore(&self->linear_ram);
	gas_space_close(&self->s);
}

static int set_linear_ram(const char *value)
{
	return gas_write_string(GASPACE_PARAM("linear_ram"), value);
}

/* Become an ordinary user: no capability left in any set. */
static int become_nobody(void)
{
	if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
		return -errno;
	return gas_have_cap(CAP_SYS_ADMIN) || gas_have_cap(CAP_SYS_RAWIO) ||
	       gas_have_cap(CAP_DAC_OVERRIDE) ? -EPERM : 0;
}

/* Waits for @pid; its exit code, or -1 when it did not exit. */
static int child_status(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

TEST_F(sec, device_node_is_0600_root)
{
	struct stat st;

	ASSERT_EQ(0, stat(GASPACE_DEV, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0600u, st.st_mode & 07777);
	EXPECT_EQ(0u, st.st_uid);
	EXPECT_EQ(0u, st.st_gid);
}

TEST_F(sec, ordinary_user_cannot_open_the_device)
{
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (!pid) {
		if (become_nobody())
			_exit(100);
		if (open(GASPACE_DEV, O_RDWR | O_CLOEXEC) >= 0)
			_exit(101);
		_exit(errno);
	}
	EXPECT_EQ(EACCES, child_status(pid));
}

TEST_F(sec, space_fd_is_cloexec_and_rdwr)
{
	EXPECT_EQ(FD_CLOEXEC, fcntl(self->s.fd, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(O_RDWR, fcntl(self->s.fd, F_GETFL) & O_ACCMODE);
}

/* The space's inode cannot be opened again through /proc. */
/*
 * /proc/self/fd/N opens the same space again (QEMU's memory-backend-file
 * does so), read-write only: the ioctls change the space whatever the
 * file's mode, so a read-only open would mean nothing (EACCES).
 */
TEST_F(sec, space_fd_reopens_read_write_only)
{
	struct stat a, b;
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", self->s.fd);
	fd = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fstat(self->s.fd, &a));
	ASSERT_EQ(0, fstat(fd, &b));
	EXPECT_EQ(a.st_ino, b.st_ino);
	close(fd);
	EXPECT_EQ(-1, open(path, O_RDONLY | O_CLOEXEC));
	EXPECT_EQ(EACCES, errno);
}

/* An alloc page (populated) and a linear page to translate. */
static void populate_two(struct __test_metadata *_metadata, int fd)
{
	ASSERT_EQ(0, gas_map_alloc(fd, BASE, SZ_2M, GAS_PROT_RW,
				   GASPACE_MAP_POPULATE | GASPACE_MAP_HUGE));
	ASSERT_EQ(0, gas_map_alloc(fd, BASE + SZ_2M, PAGE_4K, GAS_PROT_RX,
				   GASPACE_MAP_POPULATE));
	ASSERT_EQ(0, gas_map_linear(fd, BASE + SZ_1G / 2, SZ_2M, HPA,
				    GAS_PROT_RWX, 0));
}

/* A space created with CAP_SYS_ADMIN shows hpa to a holder without it. */
TEST_F(sec, translate_shows_hpa_to_holders_of_a_privileged_fd)
{
	static const __u64 probes[] = {
		BASE + 0x1234, BASE + SZ_2M + 5, BASE + SZ_1G / 2 + 0x10007,
	};
	struct gaspace_translation *t = gas_shared_alloc(PAGE_4K);
	struct gaspace_translation want;
	unsigned int i;

	ASSERT_NE(NULL, t);
	populate_two(_metadata, self->s.fd);
	for (i = 0; i < ARRAY_LEN(probes); i++) {
		ASSERT_EQ(0, gas_translate(self->s.fd, probes[i], &want));
		EXPECT_NE(0ULL, want.hpa);
		memset(t, 0xa5, sizeof(*t));
		t->gpa = probes[i];
		ASSERT_EQ(0, gas_ioctl_without_cap(CAP_SYS_ADMIN, self->s.fd,
						   GASPACE_TRANSLATE, t));
		EXPECT_EQ(0, memcmp(&want, t, sizeof(want)))
			TH_LOG("gpa %#llx", (unsigned long long)probes[i]);
	}
	munmap(t, PAGE_4K);
}

TEST_F(sec, get_info_shows_root_to_holders_of_a_privileged_fd)
{
	struct gaspace_info *info = gas_shared_alloc(PAGE_4K);
	struct gaspace_info want;

	ASSERT_NE(NULL, info);
	populate_two(_metadata, self->s.fd);
	ASSERT_EQ(0, gas_get_info(self->s.fd, &want));
	EXPECT_NE(0ULL, want.root_hpa);
	EXPECT_NE(0ULL, want.root_pointer);
	memset(info, 0xa5, sizeof(*info));
	ASSERT_EQ(0, gas_ioctl_without_cap(CAP_SYS_ADMIN, self->s.fd,
					   GASPACE_GET_INFO, info));
	EXPECT_EQ(0, memcmp(&want, info, sizeof(want)));
	munmap(info, PAGE_4K);
}

/*
 * A user namespace's root has every capability there and none over the
 * initial namespace: a space it creates hides hpa and its root, even to
 * the initial namespace's root that receives the fd.  Exit codes: 0
 * hidden, 1 shown, 2 no user namespaces, 3 a call failed.
 */
static int create_in_user_namespace(int dev, int sock)
{
	struct gaspace_translation t;
	struct gaspace_info info;
	int fd;

	if (unshare(CLONE_NEWUSER) || !gas_have_cap(CAP_SYS_ADMIN))
		return 2;
	fd = gas_create(dev, GASPACE_FMT_EPT, 48, BASE, SIZE);
	if (fd < 0 || gas_map_alloc(fd, BASE, PAGE_4K, GAS_PROT_RW,
				    GASPACE_MAP_POPULATE) ||
	    gas_translate(fd, BASE, &t) || gas_get_info(fd, &info) ||
	    gas_send_fd(sock, fd))
		return 3;
	return t.hpa || info.root_hpa || info.root_pointer;
}

TEST_F(sec, space_created_in_user_namespace_hides_hpa)
{
	struct gaspace_translation t;
	struct gaspace_info info;
	int sv[2], dev, fd, ret;
	pid_t pid;

	dev = gas_open_dev();
	ASSERT_LE(0, dev);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(create_in_user_namespace(dev, sv[1]));
	close(sv[1]);
	ret = child_status(pid);
	fd = ret ? -1 : gas_recv_fd(sv[0]);
	close(sv[0]);
	close(dev);
	if (ret == 2)
		SKIP(return, "no user namespaces in this kernel");
	ASSERT_EQ(0, ret);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, gas_translate(fd, BASE, &t));
	EXPECT_EQ(0ULL, t.hpa);
	ASSERT_EQ(0, gas_get_info(fd, &info));
	EXPECT_EQ(0ULL, info.root_hpa);
	EXPECT_EQ(0ULL, info.root_pointer);
	EXPECT_CLOSE_AUDITED(fd);
}

/*
 * Host addresses follow the creator, not the caller: a space created by a
 * task without CAP_SYS_ADMIN hides them from it and from a task with it
 * that receives the fd.  MAP_LINEAR's CAP_SYS_RAWIO is the caller's.
 */
TEST_F(sec, host_addresses_follow_the_creator)
{
	struct gaspace_translation t;
	struct gaspace_info info;
	int sv[2], fd;
	pid_t pid;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int dev = gas_open_dev(), sfd;

		if (dev < 0 || gas_drop_cap(CAP_SYS_ADMIN) ||
		    gas_drop_cap(CAP_SYS_RAWIO))
			_exit(2);
		sfd = gas_create(dev, GASPACE_FMT_NPT, 0, BASE, SIZE);
		if (sfd < 0)
			_exit(3);
		if (gas_map_alloc(sfd, BASE, PAGE_4K, GAS_PROT_RW,
				  GASPACE_MAP_POPULATE))
			_exit(4);
		if (gas_get_info(sfd, &info) || info.root_hpa ||
		    info.root_pointer)
			_exit(5);
		if (gas_translate(sfd, BASE, &t) || t.hpa)
			_exit(6);
		if (gas_map_linear(sfd, BASE + SZ_2M, PAGE_4K, HPA,
				   GAS_PROT_RW, 0) != -EPERM)
			_exit(7);
		_exit(gas_send_fd(sv[1], sfd) ? 8 : 0);
	}
	close(sv[1]);
	fd = gas_recv_fd(sv[0]);
	close(sv[0]);
	EXPECT_EQ(0, child_status(pid));
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, gas_get_info(fd, &info));
	EXPECT_EQ(0ULL, info.root_hpa);
	EXPECT_EQ(0ULL, info.root_pointer);
	ASSERT_EQ(0, gas_translate(fd, BASE + 8, &t));
	EXPECT_EQ(0ULL, t.hpa);
	EXPECT_EQ(PAGE_4K, t.page_size);
	/* the caller's CAP_SYS_RAWIO is what MAP_LINEAR needs */
	EXPECT_EQ(0, gas_map_linear(fd, BASE + SZ_2M, PAGE_4K, HPA,
				    GAS_PROT_RW, 0));
	EXPECT_CLOSE_AUDITED(fd);
}

TEST_F(sec, map_linear_needs_rawio)
{
	struct gaspace_map m = {
		.gpa = BASE, .size = PAGE_4K, .hpa = HPA, .prot = GAS_PROT_RW,
	};
	struct gaspace_map *arg = gas_shared_alloc(PAGE_4K);
	int fd = self->s.fd;

	ASSERT_NE(NULL, arg);
	*arg = m;
	EXPECT_EQ(-EPERM, gas_ioctl_without_cap(CAP_SYS_RAWIO, fd,
						GASPACE_MAP_LINEAR, arg));
	/* -EPERM comes before every -EINVAL and -ERANGE check */
	arg->reserved[1] = 1;
	arg->flags = ~0u;
	arg->prot = GASPACE_PROT_WRITE;
	arg->gpa = BASE + 1;
	arg->size = 0;
	EXPECT_EQ(-EPERM, gas_ioctl_without_cap(CAP_SYS_RAWIO, fd,
						GASPACE_MAP_LINEAR, arg));
	*arg = m;
	arg->gpa = BASE + SIZE;
	EXPECT_EQ(-EPERM, gas_ioctl_without_cap(CAP_SYS_RAWIO, fd,
						GASPACE_MAP_LINEAR, arg));
	/* linear_ram=1 does not stand in for the capability */
	ASSERT_EQ(0, set_linear_ram("1"));
	*arg = m;
	EXPECT_EQ(-EPERM, gas_ioctl_without_cap(CAP_SYS_RAWIO, fd,
						GASPACE_MAP_LINEAR, arg));
	EXPECT_COUNTERS(fd, 0, self->s.root_pages, 0, 0);

	/* nothing else needs it */
	*arg = m;
	arg->hpa = 0;
	EXPECT_EQ(0, gas_ioctl_without_cap(CAP_SYS_RAWIO, fd,
					   GASPACE_MAP_ALLOC, arg));
	/* and CAP_SYS_ADMIN alone is not what MAP_LINEAR checks */
	*arg = m;
	arg->gpa = BASE + SZ_2M;
	EXPECT_EQ(0, gas_ioctl_without_cap(CAP_SYS_ADMIN, fd,
					   GASPACE_MAP_LINEAR, arg));
	EXPECT_COUNTERS(fd, 2, self->s.root_pages + 3, 0, PAGE_4K);
	munmap(arg, PAGE_4K);
}

TEST_F(sec, map_linear_refuses_system_ram)
{
	__u64 ram = gas_ram_address(SZ_2M, false);
	struct gaspace_translation t;
	int fd = self->s.fd;

	if (!ram)
		SKIP(return, "no System RAM found in /proc/iomem");
	ASSERT_EQ(0, set_linear_ram("0"));
	EXPECT_EQ(-EPERM, gas_map_linear(fd, BASE, PAGE_4K, ram, GAS_PROT_RW,
					 0));
	EXPECT_EQ(-EPERM, gas_map_linear(fd, BASE, PAGE_4K, ram, GAS_PROT_R,
					 GASPACE_MAP_DEVICE));
	EXPECT_EQ(-EPERM, gas_map_linear(fd, BASE, PAGE_4K, ram, 0, 0));
	EXPECT_EQ(-EPERM, gas_map_linear(fd, BASE, SZ_2M, ram, GAS_PROT_RW,
					 GASPACE_MAP_NOHUGE));
	EXPECT_COUNTERS(fd, 0, self->s.root_pages, 0, 0);
	/* memory that is not RAM needs no parameter */
	EXPECT_EQ(0, gas_map_linear(fd, BASE, PAGE_4K, HPA, GAS_PROT_RW, 0));

	ASSERT_EQ(0, set_linear_ram("1"));
	EXPECT_EQ(0, gas_map_linear(fd, BASE + PAGE_4K, PAGE_4K, ram,
				    GAS_PROT_RW, 0));
	ASSERT_EQ(0, gas_translate(fd, BASE + PAGE_4K + 3, &t));
	EXPECT_EQ(ram + 3, t.hpa);
	/* read at each call */
	ASSERT_EQ(0, set_linear_ram("0"));
	EXPECT_EQ(-EPERM, gas_map_linear(fd, BASE + 2 * PAGE_4K, PAGE_4K,
					 ram + PAGE_4K, GAS_PROT_RW, 0));
	EXPECT_COUNTERS(fd, 2, self->s.root_pages + 3, 0, 2 * PAGE_4K);
}

/* Host memory behind a linear area is never reachable through the fd. */
TEST_F(sec, linear_ram_is_not_guest_memory_of_the_fd)
{
	__u64 ram = gas_ram_address(SZ_2M, false);
	unsigned char buf[64];
	int fd = self->s.fd;

	if (!ram)
		SKIP(return, "no System RAM found in /proc/iomem");
	ASSERT_EQ(0, set_linear_ram("1"));
	ASSERT_EQ(0, gas_map_linear(fd, BASE, 2 * PAGE_4K, ram, GAS_PROT_RW,
				    0));
	ASSERT_EQ(0, set_linear_ram("0"));
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(-ENXIO, gas_pread(fd, buf, sizeof(buf), BASE));
	EXPECT_EQ(-ENXIO, gas_pwrite(fd, buf, sizeof(buf), BASE + 100));
	EXPECT_EQ(ENXIO, gas_mmap_errno(fd, BASE, PAGE_4K, PROT_READ,
					MAP_SHARED));
	EXPECT_EQ(ENXIO, gas_mmap_errno(fd, BASE, 2 * PAGE_4K,
					PROT_READ | PROT_WRITE, MAP_SHARED));
}

/*
 * A process that got the fd over a socket, as an ordinary user with no
 * capability, uses it fully: everything but MAP_LINEAR, physical addresses
 * included (they follow the fd's privileged creator).  Exit code: the
 * number of the first step that failed.
 */
static int use_handed_fd(int sock)
{
	struct gaspace_translation t;
	struct gaspace_info info;
	unsigned char buf[16], *p;
	int fd;

	if (become_nobody())
		return 1;
	fd = gas_recv_fd(sock);
	if (fd < 0)
		return 2;
	if (gas_map_alloc(fd, BASE + SZ_2M, 4 * PAGE_4K, GAS_PROT_RW, 0))
		return 3;
	if (gas_pwrite(fd, "handed", 6, BASE + SZ_2M) != 6)
		return 4;
	if (gas_pread(fd, buf, 6, BASE) != 6 || memcmp(buf, "parent", 6))
		return 5;
	p = gas_mmap(fd, BASE + SZ_2M, 4 * PAGE_4K, MAP_SHARED);
	if (!p || memcmp(p, "handed", 6))
		return 6;
	p[PAGE_4K] = 'm';
	if (gas_fault(fd, BASE + 2 * SZ_2M - 1, GAS_PROT_RW) != -ENOENT ||
	    gas_fault(fd, BASE + SZ_2M + 2 * PAGE_4K, GAS_PROT_RW))
		return 7;
	/* host addresses follow the fd's creator, privileged here */
	if (gas_translate(fd, BASE + SZ_2M + PAGE_4K, &t) || !t.hpa ||
	    t.page_size != PAGE_4K || t.backend != GASPACE_BACKEND_ALLOC)
		return 8;
	if (gas_get_info(fd, &info) || !info.root_hpa || !info.root_pointer ||
	    info.nr_areas != 2 || info.nr_data_pages != 4)
		return 9;
	if (gas_protect(fd, BASE + SZ_2M, PAGE_4K, GASPACE_PROT_READ))
		return 10;
	if (gas_map_linear(fd, BASE + 4 * SZ_2M, PAGE_4K, HPA, GAS_PROT_RW,
			   0) != -EPERM)
		return 11;
	if (gas_unmap(fd, BASE + SZ_2M + 3 * PAGE_4K, PAGE_4K))
		return 12;
	munmap(p, 4 * PAGE_4K);
	close(fd);
	return 0;
}

TEST_F(sec, fd_handed_to_an_ordinary_user_works_there)
{
	struct gas_run runs[2] = {
		{ BASE, PAGE_4K, 0 }, { BASE + SZ_2M, 3 * PAGE_4K, 0 },
	};
	int sv[2], fd = self->s.fd;
	char c;
	pid_t pid;

	/* the child exists before the space has anything in it */
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(sv[0]);
		close(fd);
		close(self->s.dev);
		_exit(use_handed_fd(sv[1]));
	}
	close(sv[1]);
	ASSERT_EQ(0, gas_map_alloc(fd, BASE, PAGE_4K, GAS_PROT_RW, 0));
	ASSERT_EQ(6, gas_pwrite(fd, "parent", 6, BASE));
	ASSERT_EQ(0, gas_send_fd(sv[0], fd));
	EXPECT_EQ(0, child_status(pid));
	close(sv[0]);

	/* the parent sees what the child did */
	EXPECT_COUNTERS(fd, 3, gas_tables_for(self->s.levels,
					      self->s.root_pages, runs, 2),
			4, 4 * PAGE_4K);
	ASSERT_EQ(1, gas_pread(fd, &c, 1, BASE + SZ_2M + PAGE_4K));
	EXPECT_EQ('m', c);
}

/* Frames another space used come back zeroed, by every path. */
TEST_F(sec, frames_are_zeroed_before_anyone_sees_them)
{
	size_t len = 4 * SZ_2M;
	unsigned char *buf = malloc(len);
	unsigned char *p;
	unsigned int round;
	int fd;

	ASSERT_NE(NULL, buf);
	for (round = 0; round < 3; round++) {
		__u32 flags = round == 1 ? GASPACE_MAP_HUGE : 0;

		/* a space that fills frames, and is gone */
		fd = gas_create(self->s.dev, GASPACE_FMT_EPT, 0, BASE, SIZE);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, gas_map_alloc(fd, BASE, len, GAS_PROT_RW,
					   GASPACE_MAP_POPULATE | flags));
		memset(buf, 0xc3, len);
		ASSERT_EQ((ssize_t)len, gas_pwrite(fd, buf, len, BASE));
		EXPECT_CLOSE_AUDITED(fd);

		/* eager, lazy by pwrite, lazy by a touch, lazy by FAULT */
		fd = self->s.fd;
		ASSERT_EQ(0, gas_map_alloc(fd, BASE, len, GAS_PROT_RW,
					   GASPACE_MAP_POPULATE |
					   GASPACE_MAP_REPLACE | flags));
		ASSERT_EQ((ssize_t)len, gas_pread(fd, buf, len, BASE));
		EXPECT_EQ(-1, gas_bytes_diff(buf, 0, len))
			TH_LOG("round %u", round);
		ASSERT_EQ(0, gas_map_alloc(fd, BASE, len, GAS_PROT_RW,
					   GASPACE_MAP_REPLACE | flags));
		ASSERT_EQ(1, gas_pwrite(fd, "", 1, BASE + 5));
		p = gas_mmap(fd, BASE, len, MAP_SHARED);
		ASSERT_NE(NULL, p);
		EXPECT_EQ(-1, gas_bytes_diff(p + SZ_2M, 0, SZ_2M))
			TH_LOG("round %u", round);
		munmap(p, len);
		ASSERT_EQ(0, gas_fault(fd, BASE + 3 * SZ_2M, GAS_PROT_RW));
		ASSERT_EQ((ssize_t)len, gas_pread(fd, buf, len, BASE));
		EXPECT_EQ(-1, gas_bytes_diff(buf, 0, len))
			TH_LOG("round %u", round);
	}
	free(buf);
}

TEST_HARNESS_MAIN
