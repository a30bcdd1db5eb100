// SPDX-License-Identifier: GPL-2.0
/*
 * life_test: what keeps a space alive once its fd is gone, and races with
 * its last close (gaspace.rst 8, 5).  lifetime_test covers fds (dup,
 * fork, SCM_RIGHTS, refcount, unload refused under an fd); this covers the
 * VMM's mmaps and threads:
 *
 *   - a mapping outlives close(): the bytes stay, a lazy page can still be
 *     touched, and only munmap() frees frames and tables (SecPageTables);
 *   - a MAP_SHARED mapping inherited by fork() is the same memory in both
 *     processes, the last of them to go frees it, and an UNMAP zaps the
 *     range in both (SIGBUS, never a stale frame);
 *   - close() racing ioctls, pread/pwrite and mmap faults of other threads:
 *     each call completes or gets EBADF, nothing is lost;
 *   - unload is refused while a space or only a mapping of one lives, and
 *     once everything is gone the module unloads, loads again and works.
 *     That case loads the module back as the test VM's init does, so the
 *     programs after this one find it;
 *   - the pseudo filesystem's superblock holds the module while a space
 *     file lives, and lets go with the last one; unload racing the last
 *     close of a space, round after round.
 */
#include <dirent.h>
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "gaspace_util.h"
#include "kselftest_harness.h"

#define MODULE_KO	"/gaspace/gaspace.ko"
#define MODULE_PARAMS	"/gaspace/params"
#define AREA		(4 * SZ_2M)
#define NR_THREADS	4

FIXTURE(life) {
	int dev;
	int fd;
	long long refcnt;	/* the module's, with nothing of ours open */
	long long sec_kb;	/* SecPageTables before the space */
	unsigned char *buf;
};

FIXTURE_SETUP(life)
{
	self->fd = -1;
	self->refcnt = gas_module_refcnt();
	ASSERT_LE(0, self->refcnt);
	self->sec_kb = gas_sec_page_tables_kb();
	ASSERT_LE(0, self->sec_kb);
	self->dev = gas_open_dev();
	ASSERT_LE(0, self->dev);
	self->fd = gas_create(self->dev, GASPACE_FMT_EPT, 0, 0, SZ_1G);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, gas_map_alloc(self->fd, 0, AREA, GAS_PROT_RW, 0));
	self->buf = malloc(AREA);
	ASSERT_NE(NULL, self->buf);
	ASSERT_EQ(0, gas_catch_sigbus());
}

FIXTURE_TEARDOWN(life)
{
	gas_close_audited(self->fd);
	if (self->dev >= 0)
		close(self->dev);
	free(self->buf);
}

/*
 * The space (audited) and /dev/gaspace closed: only mappings may hold it
 * now.
 */
static void close_all(struct _test_data_life *self)
{
	gas_close_audited(self->fd);
	close(self->dev);
	self->fd = -1;
	self->dev = -1;
}

/* SecPageTables once the space is gone again. */
static long long sec_kb_settles_at(long long want)
{
	return gas_settle(gas_sec_page_tables_kb, want);
}

TEST_F(life, mapping_outlives_close)
{
	unsigned char *p;
	long off;

	gas_pattern(self->buf, 0, SZ_2M, 1);
	ASSERT_EQ((ssize_t)SZ_2M, gas_pwrite(self->fd, self->buf, SZ_2M, 0));
	p = gas_mmap(self->fd, 0, AREA, MAP_SHARED);
	ASSERT_NE(NULL, p);
	close_all(self);

	/* the bytes are there, and a lazy page still populates */
	off = gas_pattern_diff(p, 0, SZ_2M, 1);
	EXPECT_EQ(-1, off) TH_LOG("byte %#lx", off);
	EXPECT_EQ(0, gas_touch(p + 3 * SZ_2M + 5, true, 0x77, NULL));
	EXPECT_EQ(0x77, p[3 * SZ_2M + 5]);
	EXPECT_EQ(0, p[3 * SZ_2M + 6]);
	EXPECT_LT(self->refcnt, gas_module_refcnt());
	EXPECT_LT(self->sec_kb, gas_sec_page_tables_kb());

	ASSERT_EQ(0, munmap(p, AREA));
	EXPECT_EQ(self->refcnt, gas_refcnt_settle(self->refcnt));
	EXPECT_EQ(self->sec_kb, sec_kb_settles_at(self->sec_kb));
}

/* Two mappings: the space lives until the second munmap. */
TEST_F(life, munmap_after_close_frees_at_last)
{
	unsigned char *a, *b;

	a = gas_mmap(self->fd, 0, SZ_2M, MAP_SHARED);
	b = gas_mmap(self->fd, SZ_2M, SZ_2M, MAP_SHARED);
	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, b);
	EXPECT_EQ(0, gas_touch(a, true, 1, NULL));
	close_all(self);
	ASSERT_EQ(0, munmap(a, SZ_2M));
	/* b still holds the space: it works */
	EXPECT_EQ(0, gas_touch(b + PAGE_4K, true, 2, NULL));
	EXPECT_EQ(2, b[PAGE_4K]);
	EXPECT_LT(self->refcnt, gas_module_refcnt());
	ASSERT_EQ(0, munmap(b, SZ_2M));
	EXPECT_EQ(self->refcnt, gas_refcnt_settle(self->refcnt));
	EXPECT_EQ(self->sec_kb, sec_kb_settles_at(self->sec_kb));
}

/*
 * fork() with a MAP_SHARED mapping: both processes see one memory; the
 * parent drops everything first and the child still works on it.
 */
TEST_F(life, fork_shares_mapping)
{
	unsigned char *p;
	int go[2], status;
	pid_t pid;
	char c;

	p = gas_mmap(self->fd, 0, AREA, MAP_SHARED);
	ASSERT_NE(NULL, p);
	p[0] = 0x11;
	ASSERT_EQ(0, pipe(go));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(go[1]);
		close(self->fd);
		close(self->dev);
		if (p[0] != 0x11)
			_exit(2);
		p[SZ_2M] = 0x22;	/* a lazy page, populated here */
		/* wait until the parent let go of everything */
		if (read(go[0], &c, 1) != 0)
			_exit(3);
		if (p[SZ_2M + 1] != 0x33)
			_exit(4);
		p[2 * SZ_2M] = 0x44;
		_exit(p[0] == 0x11 ? 0 : 5);
	}
	close(go[0]);
	/* what the child writes lands in the space */
	while (!__atomic_load_n(&p[SZ_2M], __ATOMIC_ACQUIRE))
		sched_yield();
	ASSERT_EQ(1, gas_pread(self->fd, &c, 1, SZ_2M));
	EXPECT_EQ(0x22, c);
	p[SZ_2M + 1] = 0x33;
	close_all(self);
	ASSERT_EQ(0, munmap(p, AREA));
	close(go[1]);

	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status)) TH_LOG("child died of %d",
					      WTERMSIG(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(self->refcnt, gas_refcnt_settle(self->refcnt));
	EXPECT_EQ(self->sec_kb, sec_kb_settles_at(self->sec_kb));
}

/* Waits until *@flag reaches @want (or about ten seconds); its value. */
static int wait_flag(int *flag, int want)
{
	struct timespec ts = { 0, 1000 * 1000 };
	int i, now = 0;

	for (i = 0; i < 10000; i++) {
		now = __atomic_load_n(flag, __ATOMIC_ACQUIRE);
		if (now >= want)
			break;
		nanosleep(&ts, NULL);
	}
	return now;
}

/*
 * An UNMAP in the parent zaps the child's inherited mapping too: the
 * child's next touch of the range raises SIGBUS, never a stale frame; the
 * rest of the mapping still works in both.
 */
TEST_F(life, fork_unmap_zaps_child_mapping)
{
	int *flag = gas_shared_alloc(PAGE_4K);
	unsigned char *p, c = 0x66;
	int status;
	pid_t pid;

	ASSERT_NE(NULL, flag);
	ASSERT_EQ(1, gas_pwrite(self->fd, &c, 1, 3 * SZ_2M));
	p = gas_mmap(self->fd, 0, AREA, MAP_SHARED);
	ASSERT_NE(NULL, p);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		unsigned char v = 0;

		close(self->fd);
		close(self->dev);
		/* the child's own PTE for the page, then the parent unmaps */
		if (gas_touch(p + 3 * SZ_2M, false, 0, &v) || v != 0x66)
			_exit(2);
		__atomic_store_n(flag, 1, __ATOMIC_RELEASE);
		if (wait_flag(flag, 2) != 2)
			_exit(3);
		if (gas_touch(p + 3 * SZ_2M, false, 0, &v) != SIGBUS)
			_exit(4);
		if (gas_touch(p + SZ_2M, true, 0x12, NULL))
			_exit(5);
		_exit(0);
	}
	ASSERT_EQ(1, wait_flag(flag, 1));
	ASSERT_EQ(0, gas_unmap(self->fd, 3 * SZ_2M, SZ_2M));
	__atomic_store_n(flag, 2, __ATOMIC_RELEASE);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status)) TH_LOG("child died of %d",
					      WTERMSIG(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(0x12, p[SZ_2M]);
	EXPECT_EQ(SIGBUS, gas_touch(p + 3 * SZ_2M, false, 0, NULL));
	ASSERT_EQ(0, munmap(p, AREA));
	munmap(flag, PAGE_4K);
}

/* ---- close() racing other threads ---- */

struct racer {
	int fd;
	unsigned char *map;	/* a mapping of the space, or NULL */
	unsigned int id;
	bool *stop;
	unsigned long calls;
	unsigned long ebadf;
	unsigned long bad;	/* results the contract does not allow */
	char what[96];
};

static void racer_bad(struct racer *r, const char *call, long ret)
{
	if (!r->bad++)
		snprintf(r->what, sizeof(r->what), "%s: %ld", call, ret);
}

/* ioctls and pread/pwrite on the fd until it is closed under us. */
static void *ioctl_racer(void *arg)
{
	struct racer *r = arg;
	unsigned char buf[64];
	unsigned int i;

	memset(buf, r->id, sizeof(buf));
	for (i = 0; !__atomic_load_n(r->stop, __ATOMIC_ACQUIRE); i++) {
		__u64 gpa = ((i * 7919ULL + r->id) % (AREA / PAGE_4K)) *
			    PAGE_4K;
		struct gaspace_translation t;
		struct gaspace_info info;
		long ret;

		switch (i % 6) {
		case 0:
			ret = gas_fault(r->fd, gpa, GASPACE_PROT_WRITE);
			break;
		case 1:
			ret = gas_translate(r->fd, gpa, &t);
			if (ret == -ENOENT)
				ret = 0;
			break;
		case 2:
			/* the second half of a page: touches take the first */
			ret = gas_pwrite(r->fd, buf, sizeof(buf),
					 gpa + PAGE_4K / 2);
			ret = ret == sizeof(buf) ? 0 : ret ? ret : -EIO;
			break;
		case 3:
			ret = gas_pread(r->fd, buf, sizeof(buf), gpa);
			ret = ret == sizeof(buf) ? 0 : ret ? ret : -EIO;
			break;
		case 4:
			ret = gas_get_info(r->fd, &info);
			break;
		default:
			/* map and unmap a range of this thread's own */
			gpa = AREA + r->id * SZ_2M;
			ret = gas_map_alloc(r->fd, gpa, SZ_2M, GAS_PROT_RW,
					    GASPACE_MAP_POPULATE) ?:
			      gas_unmap(r->fd, gpa, SZ_2M);
			break;
		}
		__atomic_add_fetch(&r->calls, 1, __ATOMIC_RELEASE);
		if (ret == -EBADF) {
			r->ebadf++;
			break;
		}
		if (ret)
			racer_bad(r, "call", ret);
	}
	return NULL;
}

/* Touches of the mapping (which keeps the space) while the fd closes. */
static void *touch_racer(void *arg)
{
	struct racer *r = arg;
	unsigned int i;

	for (i = 0; !__atomic_load_n(r->stop, __ATOMIC_ACQUIRE); i++) {
		__u64 gpa = ((i * 4099ULL + r->id) % (AREA / PAGE_4K)) *
			    PAGE_4K;
		int ret = gas_touch(r->map + gpa + r->id, true, r->id + 1,
				    NULL);

		__atomic_add_fetch(&r->calls, 1, __ATOMIC_RELEASE);
		if (ret)
			racer_bad(r, "touch", ret);
	}
	return NULL;
}

TEST_F_TIMEOUT(life, close_races_ioctls_and_faults, 120)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	static struct racer r[2 * NR_THREADS];
	pthread_t threads[2 * NR_THREADS];
	bool stop = false;
	unsigned char *map;
	unsigned int i, round;

	for (round = 0; round < 8; round++) {
		if (self->fd < 0) {
			self->dev = gas_open_dev();
			ASSERT_LE(0, self->dev);
			self->fd = gas_create(self->dev, round % 4 + 1, 0, 0,
					      SZ_1G);
			ASSERT_LE(0, self->fd);
			ASSERT_EQ(0, gas_map_alloc(self->fd, 0, AREA,
						   GAS_PROT_RW, 0));
		}
		map = gas_mmap(self->fd, 0, AREA, MAP_SHARED);
		ASSERT_NE(NULL, map);
		__atomic_store_n(&stop, false, __ATOMIC_RELEASE);
		for (i = 0; i < 2 * NR_THREADS; i++) {
			memset(&r[i], 0, sizeof(r[i]));
			r[i].fd = self->fd;
			r[i].map = map;
			r[i].id = i;
			r[i].stop = &stop;
			ASSERT_EQ(0, pthread_create(&threads[i], NULL,
						    i < NR_THREADS ?
						    ioctl_racer : touch_racer,
						    &r[i]));
		}
		/* all of them at work, then a while more */
		for (i = 0; i < 2 * NR_THREADS; i++)
			while (!__atomic_load_n(&r[i].calls, __ATOMIC_ACQUIRE))
				sched_yield();
		ts.tv_nsec = (5 + round * 7) * 1000 * 1000;
		nanosleep(&ts, NULL);
		/*
		 * Close under them.  No fd is opened until they are done,
		 * so the number cannot come back as another file.
		 */
		close_all(self);
		nanosleep(&ts, NULL);
		__atomic_store_n(&stop, true, __ATOMIC_RELEASE);
		for (i = 0; i < 2 * NR_THREADS; i++) {
			ASSERT_EQ(0, pthread_join(threads[i], NULL));
		}
		for (i = 0; i < 2 * NR_THREADS; i++) {
			EXPECT_EQ(0UL, r[i].bad)
				TH_LOG("round %u thread %u: %lu bad, first %s",
				       round, i, r[i].bad, r[i].what);
			EXPECT_LT(0UL, r[i].calls);
		}
		/* every touch kept its byte: the mapping held the space */
		for (i = NR_THREADS; i < 2 * NR_THREADS; i++) {
			EXPECT_EQ(i + 1, map[i * PAGE_4K + i])
				TH_LOG("round %u", round);
		}
		ASSERT_EQ(0, munmap(map, AREA));
		EXPECT_EQ(self->refcnt, gas_refcnt_settle(self->refcnt));
		EXPECT_EQ(self->sec_kb, sec_kb_settles_at(self->sec_kb));
	}
}

/*
 * The module's references: the superblock of its pseudo filesystem holds
 * one (gaspace_fs_type has an owner) while the filesystem is mounted, and
 * it is mounted while /dev/gaspace is open or a space file lives (each
 * pins it); every open file holds one of its own (the fops owner).  A
 * space file's last mntput() comes after __fput() dropped the fops'
 * reference, so only the superblock's keeps the module until ->kill_sb()
 * has run; and with the last file it must go, or the module would never
 * unload.
 */
TEST_F(life, refcnt_counts_the_mount_while_a_space_lives)
{
	long long base;
	unsigned char *p;
	int fd2;

	gas_close_audited(self->fd);
	self->fd = -1;
	base = gas_refcnt_settle(self->refcnt + 2);
	ASSERT_EQ(self->refcnt + 2, base)
		TH_LOG("/dev/gaspace open: its file and the mount");

	self->fd = gas_create(self->dev, GASPACE_FMT_NPT, 0, 0, SZ_1G);
	ASSERT_LE(0, self->fd);
	EXPECT_EQ(base + 1, gas_module_refcnt()) TH_LOG("the space's file");
	fd2 = gas_create(self->dev, GASPACE_FMT_EPT, 0, 0, SZ_1G);
	ASSERT_LE(0, fd2);
	EXPECT_EQ(base + 2, gas_module_refcnt()) TH_LOG("one mount for all");
	ASSERT_EQ(0, gas_map_alloc(fd2, 0, SZ_2M, GAS_PROT_RW, 0));
	p = gas_mmap(fd2, 0, SZ_2M, MAP_SHARED);
	ASSERT_NE(NULL, p);
	EXPECT_EQ(0, gas_touch(p, true, 1, NULL));

	/* the device closed: the spaces' files keep the mount */
	close(self->dev);
	self->dev = -1;
	EXPECT_EQ(base + 1, gas_refcnt_settle(base + 1));
	gas_close_audited(self->fd);
	self->fd = -1;
	EXPECT_EQ(base, gas_refcnt_settle(base));
	EXPECT_CLOSE_AUDITED(fd2);
	EXPECT_EQ(base, gas_module_refcnt()) TH_LOG("the mapping's file");
	ASSERT_EQ(0, munmap(p, SZ_2M));
	EXPECT_EQ(self->refcnt, gas_refcnt_settle(self->refcnt))
		TH_LOG("the pin leaked");

	/* and again from nothing: a new mount, the same count */
	self->dev = gas_open_dev();
	ASSERT_LE(0, self->dev);
	self->fd = gas_create(self->dev, GASPACE_FMT_RISCV_G, 0, 0, SZ_1G);
	ASSERT_LE(0, self->fd);
	EXPECT_EQ(base + 1, gas_module_refcnt());
	gas_close_audited(self->fd);
	self->fd = -1;
	EXPECT_EQ(base, gas_refcnt_settle(base));
}

/* ---- unload ---- */

static int try_unload(void)
{
	return syscall(SYS_delete_module, GASPACE_MODULE, O_NONBLOCK) ?
	       -errno : 0;
}

/* Loads gaspace.ko with the test VM's parameters; 0 or -errno. */
static int load_module(void)
{
	char params[256] = "";
	int fd, ret;

	gas_read_string(MODULE_PARAMS, params, sizeof(params));
	fd = open(MODULE_KO, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params, 0) ? -errno : 0;
	close(fd);
	return ret;
}

static bool module_loaded(void)
{
	return !access("/sys/module/" GASPACE_MODULE "/refcnt", F_OK);
}

/*
 * Modules that use gaspace's exported API (the SVM sample in the test VM)
 * keep it from unloading whatever its refcount: they go first, by name
 * from sysfs, and come back from /gaspace/<name>.ko after gaspace.
 */
#define MAX_HOLDERS	4
static char holders[MAX_HOLDERS][64];
static int nr_holders;

static int unload_holders(void)
{
	struct dirent *de;
	DIR *dir;
	int ret = 0;

	dir = opendir("/sys/module/" GASPACE_MODULE "/holders");
	if (!dir)
		return 0;
	while ((de = readdir(dir)) && nr_holders < MAX_HOLDERS) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(holders[nr_holders], sizeof(holders[0]), "%.63s",
			 de->d_name);
		if (syscall(SYS_delete_module, de->d_name, O_NONBLOCK)) {
			ret = -errno;
			break;
		}
		nr_holders++;
	}
	closedir(dir);
	return ret;
}

static void reload_holders(void)
{
	char path[128];
	int fd;

	for (; nr_holders > 0; nr_holders--) {
		snprintf(path, sizeof(path), "/gaspace/%s.ko",
			 holders[nr_holders - 1]);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		syscall(SYS_finit_module, fd, "", 0);
		close(fd);
	}
}

/*
 * Unload is refused while a space lives and while only a mapping of one
 * does; once both are gone the module unloads, and loaded again it works.
 */
TEST_F(life, unload_refused_while_mapping_lives_works_after)
{
	struct gaspace_info info;
	unsigned char *p;
	int ret, dev, fd;

	if (access(MODULE_KO, R_OK))
		SKIP(return, "%s: not in the test VM", MODULE_KO);
	ret = unload_holders();
	ASSERT_EQ(0, ret) TH_LOG("unloading gaspace's users: %s",
				 strerror(-ret));
	p = gas_mmap(self->fd, 0, AREA, MAP_SHARED);
	ASSERT_NE(NULL, p);
	p[0] = 0x5a;
	close(self->dev);
	self->dev = -1;

	/* never try while nothing holds the module: it would go */
	ASSERT_LT(0, gas_module_refcnt());
	ret = try_unload();
	EXPECT_TRUE(ret == -EBUSY || ret == -EAGAIN) TH_LOG("%d", ret);
	ASSERT_TRUE(module_loaded());

	gas_close_audited(self->fd);
	self->fd = -1;
	ASSERT_LT(0, gas_module_refcnt())
		TH_LOG("a mapping does not hold the module");
	ret = try_unload();
	EXPECT_TRUE(ret == -EBUSY || ret == -EAGAIN) TH_LOG("%d", ret);
	ASSERT_TRUE(module_loaded());
	EXPECT_EQ(0x5a, p[0]);
	EXPECT_EQ(0, gas_touch(p + SZ_2M, true, 1, NULL));

	ASSERT_EQ(0, munmap(p, AREA));
	ASSERT_EQ(0, gas_refcnt_settle(0));
	ret = try_unload();
	EXPECT_EQ(0, ret) TH_LOG("delete_module: %s", strerror(-ret));
	EXPECT_EQ(self->sec_kb, sec_kb_settles_at(self->sec_kb));

	/* back again, as the VM's init loaded it */
	if (!module_loaded()) {
		ASSERT_EQ(0, load_module());
	}
	reload_holders();
	dev = gas_open_dev();
	ASSERT_LE(0, dev);
	fd = gas_create(dev, GASPACE_FMT_ARM64_S2, 0, 0, SZ_1G);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, gas_map_alloc(fd, 0, SZ_2M, GAS_PROT_RW,
				   GASPACE_MAP_POPULATE));
	EXPECT_EQ(0, gas_get_info(fd, &info));
	EXPECT_EQ(512ULL, info.nr_data_pages);
	EXPECT_CLOSE_AUDITED(fd);
	close(dev);
}

/* Drops a space's last file: close() and munmap(), in either order. */
struct last_closer {
	int fd;
	unsigned char *map;
	bool munmap_first;
	bool go;
	bool done;
	int ret;
};

static void *last_closer(void *arg)
{
	struct last_closer *c = arg;

	while (!__atomic_load_n(&c->go, __ATOMIC_ACQUIRE))
		;
	if (c->munmap_first) {
		c->ret = munmap(c->map, SZ_2M) ? -errno : 0;
		if (!c->ret && close(c->fd))
			c->ret = -errno;
	} else {
		c->ret = close(c->fd) ? -errno : 0;
		if (!c->ret && munmap(c->map, SZ_2M))
			c->ret = -errno;
	}
	/* both returned: __fput() ran, from task work, before that */
	__atomic_store_n(&c->done, true, __ATOMIC_RELEASE);
	return NULL;
}

#define UNLOAD_ROUNDS	40

/*
 * rmmod racing the last close of a space, round after round: one thread
 * drops the space's fd and mapping while this one calls delete_module()
 * without pause.  It is refused (EBUSY/EAGAIN) while anything lives, and
 * at the latest once the closer's calls have returned it succeeds (no
 * reference left behind); then the module is loaded again and works.
 *
 * The window this aims at, between __fput() dropping the fops' module
 * reference and its last mntput() (->kill_sb() of the module's
 * filesystem type), is a few instructions wide; a round may or may not
 * land in it, so a pass does not prove the race absent.  What it does
 * check every round: no unload while a file is open, the unload once none
 * is, a working reload, and (make check scans the log) no oops, KASAN or
 * warning from a teardown that ran late.
 */
TEST_F_TIMEOUT(life, unload_races_last_close, 300)
{
	static struct last_closer c;
	struct gaspace_info info;
	unsigned int round;
	pthread_t thread;
	int ret, dev;
	bool done;

	if (access(MODULE_KO, R_OK))
		SKIP(return, "%s: not in the test VM", MODULE_KO);
	ret = unload_holders();
	ASSERT_EQ(0, ret) TH_LOG("unloading gaspace's users: %s",
				 strerror(-ret));
	close_all(self);

	for (round = 0; round < UNLOAD_ROUNDS; round++) {
		if (!module_loaded()) {
			ASSERT_EQ(0, load_module()) TH_LOG("round %u", round);
		}
		memset(&c, 0, sizeof(c));
		dev = gas_open_dev();
		ASSERT_LE(0, dev);
		c.fd = gas_create(dev, round % 4 + 1, 0, 0, SZ_1G);
		ASSERT_LE(0, c.fd);
		close(dev);
		ASSERT_EQ(0, gas_map_alloc(c.fd, 0, SZ_2M, GAS_PROT_RW, 0));
		c.map = gas_mmap(c.fd, 0, SZ_2M, MAP_SHARED);
		ASSERT_NE(NULL, c.map);
		EXPECT_EQ(0, gas_touch(c.map + round * PAGE_4K, true, 1, NULL));
		EXPECT_EQ(0, gas_audit_clean(c.fd)) TH_LOG("round %u", round);
		ret = try_unload();
		EXPECT_TRUE(ret == -EBUSY || ret == -EAGAIN)
			TH_LOG("round %u: %d with a space open", round, ret);
		ASSERT_TRUE(module_loaded());

		c.munmap_first = round & 1;
		ASSERT_EQ(0, pthread_create(&thread, NULL, last_closer, &c));
		__atomic_store_n(&c.go, true, __ATOMIC_RELEASE);
		do {
			done = __atomic_load_n(&c.done, __ATOMIC_ACQUIRE);
			ret = try_unload();
			if (!ret)
				break;
			ASSERT_TRUE(ret == -EBUSY || ret == -EAGAIN)
				TH_LOG("round %u: delete_module: %s", round,
				       strerror(-ret));
		} while (!done);
		EXPECT_EQ(0, ret)
			TH_LOG("round %u: refused after the last close: %s",
			       round, strerror(-ret));
		ASSERT_EQ(0, pthread_join(thread, NULL));
		EXPECT_EQ(0, c.ret) TH_LOG("round %u", round);
		ASSERT_FALSE(module_loaded()) TH_LOG("round %u", round);
	}

	ASSERT_EQ(0, load_module());
	reload_holders();
	dev = gas_open_dev();
	ASSERT_LE(0, dev);
	self->fd = gas_create(dev, GASPACE_FMT_EPT, 0, 0, SZ_1G);
	close(dev);
	ASSERT_LE(0, self->fd);
	EXPECT_EQ(0, gas_map_alloc(self->fd, 0, SZ_2M, GAS_PROT_RW,
				   GASPACE_MAP_POPULATE));
	EXPECT_EQ(0, gas_get_info(self->fd, &info));
	EXPECT_EQ(512ULL, info.nr_data_pages);
}

/* Whatever happened above, leave the module loaded for the next program. */
static void __attribute__((destructor)) reload_module(void)
{
	if (!module_loaded() && !access(MODULE_KO, R_OK))
		load_module();
	if (module_loaded())
		reload_holders();
}

TEST_HARNESS_MAIN
