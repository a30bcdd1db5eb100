// SPDX-License-Identifier: GPL-2.0
/*
 * qemu_test: a space fd where a VMM takes a memfd.  Debian's QEMU 7.2 runs
 * a pc guest whose RAM is the space: QEMU opens mem-path and maps it
 * shared, and its memory-backend-file opens the path with open(2), not
 * through its fd sets, so the path is /proc/self/fd/N, which opens the
 * space's inode again:
 *
 *	qemu-system-x86_64 -M pc,memory-backend=ram0 -m 16M
 *	  -object memory-backend-file,id=ram0,size=16M,share=on,
 *		  mem-path=/proc/self/fd/N
 *	  -bios qemu_bios.bin -device loader,file=qemu_prog.bin,addr=0x100000
 *	  -device isa-debug-exit,iobase=0xf4,iosize=4 ...
 *
 * QEMU's loader writes the guest program into the space, the guest (see
 * qemu_guest.h) checks the seed the test wrote, fills its pages and exits
 * through the debug port; then the test reads the pattern back with pread,
 * TRANSLATEs each page (an alloc leaf, populated by QEMU's touches), lists
 * the pages with SEEK_DATA (exactly those QEMU and the guest touched),
 * discards some as QEMU's discard does (PUNCH_HOLE) and runs the guest
 * again.  A space without an alloc area under all of RAM makes QEMU's mmap
 * fail, and QEMU exits with its error.  These cases skip where
 * qemu-system-x86_64 is absent (or GASPACE_QEMU names none), and on
 * builds for other architectures, which carry no guest.
 *
 * The re-open itself, everywhere: the same space and inode, a mapping
 * zapped by UNMAP through the first fd, the space living on after the
 * first fd closes; read-write only (-EACCES), no O_TRUNC (-EINVAL), and
 * -ENXIO once the space's last file is gone.
 */
#include <fcntl.h>
#include <linux/falloc.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "gaspace_util.h"
#include "qemu_guest.h"
#include "kselftest_harness.h"

#define RAM		QG_RAM_SIZE
#define QEMU_DEFAULT	"/usr/bin/qemu-system-x86_64"
#define QEMU_TIMEOUT	400	/* seconds a run may take: nested TCG */
#define CASE_TIMEOUT	900	/* and a case of up to two runs (debug) */
#define EXIT_STATUS(v)	(((v) << 1) | 1)
#define PAGE		PAGE_4K

/*
 * The guest's two images, assembled from qemu_guest.S and turned into C
 * arrays by the Makefile (x86_64 builds): written to files for QEMU at
 * each run.
 */
#ifdef QG_IMAGES
#include "qemu_images.h"
#define HAVE_GUEST	1
#else
static const unsigned char qg_bios[1], qg_prog[1];
#define HAVE_GUEST	0
#endif

struct range {
	__u64 gpa;
	__u64 pages;
};

static const struct range pattern[QG_NR_RANGES] = {
	{ QG_R0_GPA, QG_R0_PAGES }, { QG_R1_GPA, QG_R1_PAGES },
	{ QG_R2_GPA, QG_R2_PAGES }, { QG_R3_GPA, QG_R3_PAGES },
	{ QG_R4_GPA, QG_R4_PAGES },
};

static __u64 prog_pages(void)
{
	return (sizeof(qg_prog) + PAGE - 1) / PAGE;
}

/*
 * The pages QEMU and the guest touch, in gpa order, none adjacent to
 * another: what SEEK_DATA lists.
 */
static unsigned int touched(struct range *r)
{
	unsigned int i, j, n = 0;
	struct range t;

	r[n++] = (struct range){ QG_SEED_GPA, 1 };
	r[n++] = (struct range){ QG_PROG_GPA, prog_pages() };
	for (i = 0; i < ARRAY_LEN(pattern); i++)
		r[n++] = pattern[i];
	for (i = 1; i < n; i++)
		for (j = i; j && r[j - 1].gpa > r[j].gpa; j--) {
			t = r[j];
			r[j] = r[j - 1];
			r[j - 1] = t;
		}
	return n;
}

FIXTURE(qemu) {
	struct gas_space s;
	char dir[64];
	const char *qemu;
	__u32 seed;
};

FIXTURE_SETUP(qemu)
{
	ASSERT_EQ(0, gas_space_open(&self->s, GASPACE_FMT_NPT, 48, 0, RAM));
	self->dir[0] = 0;
	self->qemu = getenv("GASPACE_QEMU");
	if (!self->qemu || !*self->qemu)
		self->qemu = QEMU_DEFAULT;
}

FIXTURE_TEARDOWN(qemu)
{
	char path[96];

	if (self->dir[0]) {
		snprintf(path, sizeof(path), "%s/qemu_bios.bin", self->dir);
		unlink(path);
		snprintf(path, sizeof(path), "%s/qemu_prog.bin", self->dir);
		unlink(path);
		rmdir(self->dir);
	}
	gas_space_close(&self->s);
}

static int write_file(const char *path, const unsigned char *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ssize_t w;

	if (fd < 0)
		return -errno;
	w = write(fd, p, n);
	close(fd);
	return w == (ssize_t)n ? 0 : -EIO;
}

/* Why QEMU cannot run the guest here, or NULL. */
static const char *no_qemu(const char *qemu)
{
	if (!HAVE_GUEST)
		return "the pc guest is built for x86_64 only";
	if (access(qemu, X_OK))
		return "qemu-system-x86_64 not found (GASPACE_QEMU names it)";
	return NULL;
}

/* Write the seed header the guest checks into the space. */
static int put_seed(int fd, __u32 seed)
{
	__u32 h[2] = { QG_SEED_MAGIC, seed };

	return pwrite(fd, h, sizeof(h), QG_SEED_GPA) == sizeof(h) ? 0 : -errno;
}

/*
 * Run QEMU over the space @fd (inherited as fd @fd, opened again through
 * /proc/self/fd); its wait status, or a negative errno.
 */
static int run_qemu(struct __test_metadata *_metadata, const char *qemu,
		    char *dir, int fd)
{
	char mem[160], bios[96], prog[96], loader[160], ram[16];
	struct timespec t0, t1;
	int status, i, null;
	pid_t pid, r;

	if (!dir[0]) {
		strcpy(dir, "/tmp/qemu_test.XXXXXX");
		if (!mkdtemp(dir)) {
			dir[0] = 0;
			return -errno;
		}
	}
	snprintf(bios, sizeof(bios), "%s/qemu_bios.bin", dir);
	snprintf(prog, sizeof(prog), "%s/qemu_prog.bin", dir);
	snprintf(loader, sizeof(loader), "loader,file=%s,addr=%#x,force-raw=on",
		 prog, QG_PROG_GPA);
	if (write_file(bios, qg_bios, sizeof(qg_bios)) ||
	    write_file(prog, qg_prog, sizeof(qg_prog)))
		return -EIO;
	snprintf(mem, sizeof(mem),
		 "memory-backend-file,id=ram0,size=%uM,share=on,mem-path=/proc/self/fd/%d",
		 RAM >> 20, fd);
	snprintf(ram, sizeof(ram), "%uM", RAM >> 20);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		char *const argv[] = {
			(char *)qemu, "-nodefaults", "-no-user-config",
			"-display", "none", "-monitor", "none",
			"-accel", "tcg,tb-size=32",
			"-M", "pc,memory-backend=ram0", "-m", ram,
			"-object", mem, "-bios", bios, "-device", loader,
			"-device", "isa-debug-exit,iobase=0xf4,iosize=4",
			NULL
		};

		/* QEMU goes with the test, if a timeout kills it */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		null = open("/dev/null", O_RDONLY);
		if (null >= 0)
			dup2(null, 0);
		/* the space's fd goes to QEMU: CREATE made it O_CLOEXEC */
		if (fcntl(fd, F_SETFD, 0))
			_exit(126);
		execv(qemu, argv);
		_exit(127);
	}
	for (i = 0; i < QEMU_TIMEOUT * 100; i++) {
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			break;
		if (r < 0)
			return -errno;
		usleep(10000);
	}
	if (r != pid) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		TH_LOG("QEMU ran past %d s", QEMU_TIMEOUT);
		return -ETIMEDOUT;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	TH_LOG("QEMU ran %.2f s, wait status %#x",
	       (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9,
	       status);
	/* the file QEMU opened is gone with it: the space has one file */
	return status;
}

/* Words of [gpa, gpa + pages) that do not hold the guest's pattern. */
static unsigned int pattern_errors(int fd, __u64 gpa, __u64 pages, __u32 seed)
{
	static __u32 buf[16 * 1024];
	unsigned int bad = 0, i;
	size_t len = pages * PAGE;

	if (len > sizeof(buf) || pread(fd, buf, len, gpa) != (ssize_t)len)
		return ~0u;
	for (i = 0; i < len / 4; i++)
		if (buf[i] != qg_pattern(gpa + 4 * i, seed))
			bad++;
	return bad;
}

/*
 * After a run with @seed: the pattern in every filled page, each page an
 * alloc leaf, the program where QEMU's loader put it, and SEEK_DATA
 * listing exactly the touched pages.
 */
static void check_guest_ram(struct __test_metadata *_metadata, int fd,
			    __u32 seed)
{
	struct range want[ARRAY_LEN(pattern) + 2];
	unsigned int i, bad, n = touched(want);
	struct gaspace_translation t;
	unsigned char prog[PAGE];
	struct gaspace_info info;
	__u64 p, pages = 0;
	long long off;

	for (i = 0; i < ARRAY_LEN(pattern); i++) {
		bad = pattern_errors(fd, pattern[i].gpa, pattern[i].pages,
				     seed);
		EXPECT_EQ(0u, bad) {
			TH_LOG("pattern at %#llx", pattern[i].gpa);
		}
		for (p = 0; p < pattern[i].pages; p++) {
			memset(&t, 0, sizeof(t));
			ASSERT_EQ(0, gas_translate(fd, pattern[i].gpa +
						   p * PAGE, &t));
			EXPECT_EQ((__u32)GASPACE_BACKEND_ALLOC, t.backend);
			EXPECT_EQ((__u32)GAS_PROT_RWX, t.prot);
			EXPECT_EQ(PAGE, t.page_size);
			EXPECT_EQ(0u, t.level);
		}
	}
	ASSERT_GE(sizeof(prog), sizeof(qg_prog));
	ASSERT_EQ((ssize_t)sizeof(qg_prog),
		  pread(fd, prog, sizeof(qg_prog), QG_PROG_GPA));
	EXPECT_EQ(0, memcmp(prog, qg_prog, sizeof(qg_prog)));

	off = 0;
	for (i = 0; i < n; i++) {
		off = lseek(fd, off, SEEK_DATA);
		ASSERT_EQ((long long)want[i].gpa, off);
		off = lseek(fd, off, SEEK_HOLE);
		EXPECT_EQ((long long)(want[i].gpa + want[i].pages * PAGE), off);
		pages += want[i].pages;
	}
	EXPECT_EQ(-1, lseek(fd, off, SEEK_DATA));
	EXPECT_EQ(ENXIO, errno);
	ASSERT_EQ(0, gas_get_info(fd, &info));
	EXPECT_EQ(pages, info.nr_data_pages);
	EXPECT_EQ(1ull, info.nr_areas);
}

static __u32 new_seed(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (__u32)(ts.tv_nsec ^ (ts.tv_sec << 20) ^ getpid());
}

/* Seeds the guest with @seed (kept in self->seed) and runs it to its OK exit. */
static void run_guest(struct __test_metadata *_metadata,
		      struct _test_data_qemu *self, int fd, __u32 seed)
{
	self->seed = seed;
	ASSERT_EQ(0, put_seed(fd, seed));
	ASSERT_EQ(EXIT_STATUS(QG_EXIT_OK) << 8,
		  run_qemu(_metadata, self->qemu, self->dir, fd));
}

/* QEMU's RAM is the space: what the guest wrote is in it. */
TEST_F_TIMEOUT(qemu, guest_ram_is_the_space, CASE_TIMEOUT)
{
	const char *why = no_qemu(self->qemu);
	int fd = self->s.fd;

	if (why)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, gas_map_alloc(fd, 0, RAM, GAS_PROT_RWX, 0));
	run_guest(_metadata, self, fd, new_seed());
	check_guest_ram(_metadata, fd, self->seed);
}

/*
 * The discard QEMU does (PUNCH_HOLE) frees exactly the pages, which read
 * as zeros and have no leaf; a second run fills them again.
 */
TEST_F_TIMEOUT(qemu, discard_and_run_again, CASE_TIMEOUT)
{
	const char *why = no_qemu(self->qemu);
	struct gaspace_translation t;
	struct gaspace_info before, after;
	static unsigned char buf[16 * PAGE], zero[16 * PAGE];
	int fd = self->s.fd;

	if (why)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, gas_map_alloc(fd, 0, RAM, GAS_PROT_RWX, 0));
	run_guest(_metadata, self, fd, new_seed());
	ASSERT_EQ(0, gas_get_info(fd, &before));
	ASSERT_EQ(0, fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			       0x200000, sizeof(buf)));
	ASSERT_EQ(0, gas_get_info(fd, &after));
	EXPECT_EQ(before.nr_data_pages - 16, after.nr_data_pages);
	EXPECT_EQ(-ENOENT, gas_translate(fd, 0x200000, &t));
	EXPECT_EQ(-ENOENT, gas_translate(fd, 0x20f000, &t));
	EXPECT_EQ(0x7ff000, lseek(fd, 0x200000, SEEK_DATA));
	ASSERT_EQ((ssize_t)sizeof(buf), pread(fd, buf, sizeof(buf), 0x200000));
	EXPECT_EQ(0, memcmp(buf, zero, sizeof(buf)));

	run_guest(_metadata, self, fd, new_seed() ^ 0x5a5a5a5a);
	check_guest_ram(_metadata, fd, self->seed);
}

/*
 * RAM beyond the alloc areas: QEMU's mmap of the space gets -ENXIO and
 * QEMU exits with status 1 before the guest runs; the space is as it was.
 */
TEST_F_TIMEOUT(qemu, ram_outside_alloc_areas, CASE_TIMEOUT)
{
	const char *why = no_qemu(self->qemu);
	struct gaspace_info before, after;
	int fd = self->s.fd, status;

	if (why)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, gas_map_alloc(fd, 0, RAM / 2, GAS_PROT_RWX, 0));
	ASSERT_EQ(0, put_seed(fd, new_seed()));
	ASSERT_EQ(0, gas_get_info(fd, &before));
	status = run_qemu(_metadata, self->qemu, self->dir, fd);
	ASSERT_EQ(1 << 8, status);
	ASSERT_EQ(0, gas_get_info(fd, &after));
	EXPECT_EQ(before.nr_data_pages, after.nr_data_pages);
	EXPECT_EQ(before.nr_areas, after.nr_areas);
	EXPECT_EQ(before.mapped_bytes, after.mapped_bytes);
}

/* ---- open() of /proc/self/fd/N, on every architecture ---- */

static int reopen(int fd, int flags)
{
	char path[48];
	int r;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	r = open(path, flags | O_CLOEXEC);
	return r < 0 ? -errno : r;
}

/* The same space and inode: what one file changes, the other sees. */
TEST_F(qemu, reopen_is_the_same_space)
{
	struct gaspace_info a, b;
	struct stat st1, st2;
	int fd = self->s.fd, fd2;
	char c = 0;

	ASSERT_EQ(0, gas_map_alloc(fd, 0, RAM / 2, GAS_PROT_RW, 0));
	fd2 = reopen(fd, O_RDWR);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, fstat(fd, &st1));
	ASSERT_EQ(0, fstat(fd2, &st2));
	EXPECT_EQ(st1.st_ino, st2.st_ino);
	EXPECT_EQ(st1.st_dev, st2.st_dev);
	EXPECT_EQ(RAM, st2.st_size);
	EXPECT_EQ(RAM, lseek(fd2, 0, SEEK_END));
	EXPECT_EQ(1, pwrite(fd2, "q", 1, 0x5000));
	EXPECT_EQ(1, pread(fd, &c, 1, 0x5000));
	EXPECT_EQ('q', c);
	/* ioctls through the new file change the same space */
	ASSERT_EQ(0, gas_map_alloc(fd2, RAM / 2, RAM / 2, GAS_PROT_RW, 0));
	ASSERT_EQ(0, gas_get_info(fd, &a));
	ASSERT_EQ(0, gas_get_info(fd2, &b));
	EXPECT_EQ(2ull, a.nr_areas);
	EXPECT_EQ(0, memcmp(&a, &b, sizeof(a)));
	EXPECT_EQ(0x5000, lseek(fd2, 0, SEEK_DATA));
	EXPECT_EQ(0, close(fd2));
	/* the first fd is whole after the second closed */
	EXPECT_EQ(1, pread(fd, &c, 1, 0x5000));
	EXPECT_EQ('q', c);
	EXPECT_EQ(0, gas_map_alloc(fd, RAM / 2, PAGE, GAS_PROT_RW,
				   GASPACE_MAP_REPLACE));
}

/* A mapping of the new file is the inode's: UNMAP through fd zaps it. */
TEST_F(qemu, reopen_mapping_is_zapped)
{
	int fd = self->s.fd, fd2;
	unsigned char *m;
	unsigned char c = 0;

	ASSERT_EQ(0, gas_map_alloc(fd, 0, RAM, GAS_PROT_RW, 0));
	fd2 = reopen(fd, O_RDWR);
	ASSERT_LE(0, fd2);
	m = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd2,
		 0x10000);
	ASSERT_NE(MAP_FAILED, m);
	m[PAGE] = 0xa5;
	ASSERT_EQ(1, pread(fd, &c, 1, 0x11000));
	EXPECT_EQ(0xa5, c);
	ASSERT_EQ(0, gas_unmap(fd, 0x10000, 4 * PAGE));
	ASSERT_EQ(0, gas_map_alloc(fd, 0x10000, 4 * PAGE, GAS_PROT_RW, 0));
	/* a fresh page, never the old frame */
	EXPECT_EQ(0, m[PAGE]);
	EXPECT_EQ(0, munmap(m, 4 * PAGE));
	EXPECT_EQ(0, close(fd2));
}

/* The space lives while any of its files does. */
TEST_F(qemu, reopen_outlives_the_first_fd)
{
	struct gaspace_info info;
	int fd2;
	char c = 0;

	ASSERT_EQ(0, gas_map_alloc(self->s.fd, 0, RAM, GAS_PROT_RW, 0));
	ASSERT_EQ(1, pwrite(self->s.fd, "z", 1, 0x7000));
	fd2 = reopen(self->s.fd, O_RDWR);
	ASSERT_LE(0, fd2);
	EXPECT_EQ(0, close(self->s.fd));
	self->s.fd = fd2;
	EXPECT_EQ(1, pread(fd2, &c, 1, 0x7000));
	EXPECT_EQ('z', c);
	ASSERT_EQ(0, gas_get_info(fd2, &info));
	EXPECT_EQ(1ull, info.nr_data_pages);
	EXPECT_EQ(1ull, info.nr_areas);
}

/*
 * Read-write only, no truncation, and nothing changes: the ioctls change
 * the space whatever a file's mode, and its size is fixed.
 */
TEST_F(qemu, reopen_errors)
{
	struct gaspace_info a, b;
	int fd = self->s.fd;

	ASSERT_EQ(0, gas_map_alloc(fd, 0, RAM, GAS_PROT_RW, 0));
	ASSERT_EQ(1, pwrite(fd, "e", 1, 0x9000));
	ASSERT_EQ(0, gas_get_info(fd, &a));
	EXPECT_EQ(-EACCES, reopen(fd, O_RDONLY));
	EXPECT_EQ(-EACCES, reopen(fd, O_WRONLY));
	EXPECT_EQ(-EINVAL, reopen(fd, O_RDWR | O_TRUNC));
	ASSERT_EQ(0, gas_get_info(fd, &b));
	EXPECT_EQ(0, memcmp(&a, &b, sizeof(a)));
}

/* Once the last file of the space is released, its inode has no space. */
TEST_F(qemu, reopen_after_the_last_close)
{
	int path, r;

	path = reopen(self->s.fd, O_PATH);
	ASSERT_LE(0, path);
	EXPECT_EQ(0, close(self->s.fd));
	self->s.fd = -1;
	r = reopen(path, O_RDWR);
	EXPECT_EQ(-ENXIO, r);
	if (r >= 0)
		close(r);
	EXPECT_EQ(0, close(path));
}

TEST_HARNESS_MAIN
