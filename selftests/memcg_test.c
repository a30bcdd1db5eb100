// SPDX-License-Identifier: GPL-2.0
/*
 * memcg_test: memory accounting (gaspace.rst 9).
 *
 * A child joins a fresh cgroup v2 with a memory.max and works there:
 *
 *   - below the limit, the cgroup's memory.current grows by the frames and
 *     table pages a space holds (GET_INFO's counters), within the 64-page
 *     charge batch, its memory.stat sec_pagetables is the table pages, and
 *     SecPageTables in /proc/meminfo moves by nr_table_pages exactly;
 *   - at the limit, POPULATE, FAULT and pwrite fail with -ENOMEM (pwrite
 *     after a short count): no task is killed (memory.events shows no OOM),
 *     the failed call leaves the space as it was, and the space works
 *     again once memory is freed.
 *
 * The child must not need memory of its own once it is at the limit (that
 * would be charged and could call the OOM killer, as anonymous memory
 * does): everything it touches is faulted in before it joins, and it
 * reports through memory shared with the parent.
 */
#include <sched.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "gaspace_util.h"
#include "kselftest_harness.h"

#define LIMIT		(16ULL << 20)
#define BIG		(64ULL << 20)	/* well past the limit */
#define BATCH		(64 * PAGE_4K)	/* MEMCG_CHARGE_BATCH */
#define STACK_WARM	(64 << 10)

/* What the child reports; lives in memory shared with the parent. */
struct report {
	int stage;		/* the child's progress, or -line on failure */
	int go;			/* the parent's go-ahead for the next stage */
	long ret[8];
	__u64 n[8];
	struct gaspace_info info[4];
	bool same;		/* a failed call left the space as it was */
};

FIXTURE(memcg) {
	char cg[128];
	struct report *r;
	unsigned char *buf;	/* BIG bytes, faulted in by the parent */
	unsigned char *back;	/* BIG bytes, for reading back */
	pid_t pid;
};

static long long cg_current(const char *cg)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/memory.current", cg);
	return gas_read_number(path);
}

FIXTURE_SETUP(memcg)
{
	char path[256], max[32];
	int ret;

	self->pid = 0;
	ret = gas_memcg_new(self->cg, sizeof(self->cg), "memcg");
	if (ret == -ENOENT)
		SKIP(return, "no cgroup2 memory controller");
	ASSERT_EQ(0, ret) TH_LOG("memory cgroup: %s", strerror(-ret));
	snprintf(path, sizeof(path), "%s/memory.max", self->cg);
	snprintf(max, sizeof(max), "%llu", LIMIT);
	ASSERT_EQ(0, gas_write_string(path, max));

	self->r = gas_shared_alloc(sizeof(*self->r));
	self->buf = gas_shared_alloc(BIG);
	self->back = gas_shared_alloc(BIG);
	ASSERT_NE(NULL, self->r);
	ASSERT_NE(NULL, self->buf);
	ASSERT_NE(NULL, self->back);
	memset(self->r, 0, sizeof(*self->r));
	gas_pattern(self->buf, 0, BIG, 5);
	memset(self->back, 0, BIG);
}

FIXTURE_TEARDOWN(memcg)
{
	if (self->pid > 0) {
		kill(self->pid, SIGKILL);
		waitpid(self->pid, NULL, 0);
	}
	if (self->cg[0])
		rmdir(self->cg);
}

/*
 * In the child: fault in what it will touch (its stack, the shared
 * report and buffers) while still in the parent's cgroup, then join.
 */
static int child_join(struct _test_data_memcg *self)
{
	unsigned char warm[STACK_WARM];
	size_t i;

	memset(warm, 1, sizeof(warm));
	__asm__ __volatile__("" : : "r" (warm) : "memory");
	self->r->stage = 0;
	for (i = 0; i < BIG; i += PAGE_4K) {
		self->back[i] = 0;
		__atomic_load_n(&self->buf[i], __ATOMIC_RELAXED);
	}
	errno = 0;
	return gas_cgroup_join(self->cg);
}

/* Parent: wait for the child to reach @stage (or fail); its stage. */
static int wait_stage(struct _test_data_memcg *self, int stage)
{
	struct timespec ts = { 0, 5 * 1000 * 1000 };
	int i, now = 0;

	for (i = 0; i < 12000; i++) {
		now = __atomic_load_n(&self->r->stage, __ATOMIC_ACQUIRE);
		if (now >= stage || now < 0)
			break;
		nanosleep(&ts, NULL);
	}
	return now;
}

/* Child: report @stage and wait for the parent's go. */
static void child_stage(struct report *r, int stage)
{
	struct timespec ts = { 0, 5 * 1000 * 1000 };

	__atomic_store_n(&r->stage, stage, __ATOMIC_RELEASE);
	while (__atomic_load_n(&r->go, __ATOMIC_ACQUIRE) < stage)
		nanosleep(&ts, NULL);
}

#define CHILD_CHECK(r, cond) do {					\
	if (!(cond)) {							\
		__atomic_store_n(&(r)->stage, -__LINE__, __ATOMIC_RELEASE); \
		_exit(1);						\
	}								\
} while (0)

/* Child: AUDIT finds no error in the space @fd; then it closes. */
static void child_close(struct report *r, int fd)
{
	CHILD_CHECK(r, !gas_audit_clean(fd));
	close(fd);
}

/* Parent: the child exited on its own with 0, and no OOM in the cgroup. */
static void reap(struct __test_metadata *_metadata,
		 struct _test_data_memcg *self)
{
	int status;

	ASSERT_EQ(self->pid, waitpid(self->pid, &status, 0));
	self->pid = 0;
	EXPECT_TRUE(WIFEXITED(status))
		TH_LOG("the child was killed by signal %d", WTERMSIG(status));
	EXPECT_EQ(0, WIFEXITED(status) ? WEXITSTATUS(status) : -1)
		TH_LOG("child failed at line %d", -self->r->stage);
	EXPECT_EQ(0, gas_cg_field(self->cg, "memory.events", "oom"));
	EXPECT_EQ(0, gas_cg_field(self->cg, "memory.events", "oom_kill"));
}

/*
 * Below the limit: memory.current follows frames plus table pages, within
 * the charge batch (and a page of the space's own bookkeeping); the
 * cgroup's sec_pagetables and /proc/meminfo's SecPageTables follow
 * nr_table_pages exactly.
 */
TEST_F_TIMEOUT(memcg, charge_is_frames_plus_tables, 120)
{
	static const struct {
		__u64 gpa, size;
		__u32 flags;
	} maps[] = {
		{ 0, 4 << 20, GASPACE_MAP_POPULATE },
		{ SZ_1G, 4 << 20, GASPACE_MAP_POPULATE | GASPACE_MAP_HUGE },
		{ 3 * SZ_1G + 0x5000, 0x3000, GASPACE_MAP_POPULATE },
	};
	long long cur0, cur1, cur2, sec0, sec1, sec2, stat1;
	struct gaspace_info *info;
	__u64 want;

	if (!self->cg[0])
		return;
	sec0 = gas_sec_page_tables_kb();
	ASSERT_LE(0, sec0);
	self->pid = fork();
	ASSERT_LE(0, self->pid);
	if (!self->pid) {
		struct report *r = self->r;
		unsigned int i;
		int dev, fd;

		CHILD_CHECK(r, !child_join(self));
		dev = gas_open_dev();
		CHILD_CHECK(r, dev >= 0);
		child_stage(r, 1);	/* parent reads memory.current */
		fd = gas_create(dev, GASPACE_FMT_NPT, 0, 0, 4 * SZ_1G);
		CHILD_CHECK(r, fd >= 0);
		for (i = 0; i < ARRAY_LEN(maps); i++)
			CHILD_CHECK(r, !gas_map_alloc(fd, maps[i].gpa,
						      maps[i].size,
						      GAS_PROT_RW,
						      maps[i].flags));
		CHILD_CHECK(r, !gas_get_info(fd, &r->info[0]));
		child_stage(r, 2);	/* parent measures the space */
		child_close(r, fd);
		close(dev);
		child_stage(r, 3);	/* parent measures it gone */
		_exit(0);
	}
	ASSERT_EQ(1, wait_stage(self, 1));
	cur0 = cg_current(self->cg);
	__atomic_store_n(&self->r->go, 1, __ATOMIC_RELEASE);
	ASSERT_EQ(2, wait_stage(self, 2));
	cur1 = cg_current(self->cg);
	sec1 = gas_sec_page_tables_kb();
	stat1 = gas_cg_field(self->cg, "memory.stat", "sec_pagetables");
	__atomic_store_n(&self->r->go, 2, __ATOMIC_RELEASE);
	ASSERT_EQ(3, wait_stage(self, 3));
	cur2 = cg_current(self->cg);
	sec2 = gas_sec_page_tables_kb();
	__atomic_store_n(&self->r->go, 3, __ATOMIC_RELEASE);
	reap(_metadata, self);

	info = &self->r->info[0];
	EXPECT_EQ(2 * 1024ULL + 3, info->nr_data_pages);
	want = (info->nr_table_pages + info->nr_data_pages) * PAGE_4K;
	TH_LOG("memory.current %lld -> %lld -> %lld; frames + tables %llu (%llu tables)",
	       cur0, cur1, cur2, (unsigned long long)want,
	       (unsigned long long)info->nr_table_pages);
	EXPECT_LE(want, (__u64)(cur1 - cur0) + BATCH);
	EXPECT_GE(want + BATCH + 4 * PAGE_4K, (__u64)(cur1 - cur0));
	EXPECT_GE(cur0 + (long long)BATCH, cur2);
	EXPECT_EQ((long long)info->nr_table_pages * 4, sec1 - sec0);
	EXPECT_EQ(sec0, sec2);
	/* memcg statistics may lag their flush; they never overshoot */
	EXPECT_GE((long long)(info->nr_table_pages * PAGE_4K), stat1);
}

/* Child: fill what a failed call must not change, in @s. */
static void snap(int fd, struct gas_snapshot *s)
{
	static const __u64 probes[] = {
		0, PAGE_4K, SZ_2M, SZ_2M + 0x5000, SZ_1G, SZ_1G + SZ_2M,
		2 * SZ_1G, 2 * SZ_1G + PAGE_4K,
	};

	gas_snapshot(fd, s, probes, ARRAY_LEN(probes));
}

/* Child: a space with 4 populated pages at 0. */
static int space_new(struct report *r, int dev)
{
	int fd = gas_create(dev, GASPACE_FMT_EPT, 0, 0, 4 * SZ_1G);

	CHILD_CHECK(r, fd >= 0);
	CHILD_CHECK(r, !gas_map_alloc(fd, 0, 4 * PAGE_4K, GAS_PROT_RW,
				      GASPACE_MAP_POPULATE));
	return fd;
}

/*
 * At the limit: POPULATE (4 KiB and HUGE), then FAULT one page at a time,
 * then pwrite, each past the limit and each in a space of its own:
 * -ENOMEM (pwrite: a short count, then -ENOMEM), nothing killed, nothing
 * changed by a failed call, what succeeded all there; once the spaces are
 * closed a new one works.
 */
TEST_F_TIMEOUT(memcg, past_limit_is_enomem, 300)
{
	struct report *r = self->r;
	long off;

	if (!self->cg[0])
		return;
	self->pid = fork();
	ASSERT_LE(0, self->pid);
	if (!self->pid) {
		static struct gas_snapshot before, after;
		int dev, fd, i;
		long ret;

		/* snapshots are touched here, before the cgroup */
		memset(&before, 0, sizeof(before));
		memset(&after, 0, sizeof(after));
		CHILD_CHECK(r, !child_join(self));
		dev = gas_open_dev();
		CHILD_CHECK(r, dev >= 0);

		/* POPULATE */
		fd = space_new(r, dev);
		snap(fd, &before);
		r->ret[0] = gas_map_alloc(fd, SZ_1G, BIG, GAS_PROT_RW,
					  GASPACE_MAP_POPULATE);
		r->ret[1] = gas_map_alloc(fd, SZ_1G, BIG, GAS_PROT_RW,
					  GASPACE_MAP_POPULATE |
					  GASPACE_MAP_HUGE);
		r->ret[2] = gas_map_alloc(fd, 0, BIG, GAS_PROT_RW,
					  GASPACE_MAP_POPULATE |
					  GASPACE_MAP_REPLACE);
		snap(fd, &after);
		r->same = gas_snapshot_equal(&before, &after);
		child_close(r, fd);

		/* FAULT, one page at a time, until the limit */
		fd = space_new(r, dev);
		CHILD_CHECK(r, !gas_map_alloc(fd, SZ_1G, BIG, GAS_PROT_RW, 0));
		for (i = 0, ret = 0; !ret && i < (int)(BIG / PAGE_4K); i++) {
			snap(fd, &before);
			ret = gas_fault(fd, SZ_1G + i * PAGE_4K,
					GASPACE_PROT_WRITE);
		}
		snap(fd, &after);
		r->ret[3] = ret;
		r->n[3] = i - 1;	/* pages faulted in */
		r->same &= gas_snapshot_equal(&before, &after);
		r->ret[4] = gas_fault(fd, SZ_1G + i * PAGE_4K, GASPACE_PROT_READ);
		CHILD_CHECK(r, !gas_get_info(fd, &r->info[0]));
		child_close(r, fd);

		/* pwrite: a short count at the limit, then -ENOMEM */
		fd = space_new(r, dev);
		CHILD_CHECK(r, !gas_map_alloc(fd, 2 * SZ_1G, BIG, GAS_PROT_RW,
					      0));
		r->ret[5] = gas_pwrite(fd, self->buf, BIG, 2 * SZ_1G);
		CHILD_CHECK(r, r->ret[5] > 0 && r->ret[5] < (long)BIG);
		snap(fd, &before);
		r->ret[6] = gas_pwrite(fd, self->buf + r->ret[5], PAGE_4K,
				       2 * SZ_1G + r->ret[5]);
		snap(fd, &after);
		r->same &= gas_snapshot_equal(&before, &after);
		CHILD_CHECK(r, !gas_get_info(fd, &r->info[1]));
		CHILD_CHECK(r, gas_pread(fd, self->back, BIG, 2 * SZ_1G) ==
			       (ssize_t)BIG);
		child_close(r, fd);

		/* all freed: a space works again */
		fd = space_new(r, dev);
		r->ret[7] = gas_map_alloc(fd, SZ_1G, 4 << 20, GAS_PROT_RW,
					  GASPACE_MAP_POPULATE);
		CHILD_CHECK(r, !gas_get_info(fd, &r->info[2]));
		child_close(r, fd);
		close(dev);
		_exit(0);
	}
	reap(_metadata, self);
	/* nothing is left charged once the spaces are gone */
	EXPECT_GT(1LL << 20, cg_current(self->cg));

	EXPECT_EQ(-ENOMEM, r->ret[0]);
	EXPECT_EQ(-ENOMEM, r->ret[1]);
	EXPECT_EQ(-ENOMEM, r->ret[2]);
	EXPECT_EQ(-ENOMEM, r->ret[3]);
	EXPECT_EQ(-ENOMEM, r->ret[4]);
	EXPECT_TRUE(r->same) TH_LOG("a failed call changed the space");
	/* the faults that succeeded are all there, and no more */
	EXPECT_LT(0ULL, r->n[3]);
	EXPECT_EQ(4 + r->n[3], r->info[0].nr_data_pages);
	EXPECT_EQ(4 * PAGE_4K + r->n[3] * PAGE_4K, r->info[0].mapped_bytes);
	/* pwrite: a whole number of pages, all written, nothing after */
	EXPECT_EQ(0, r->ret[5] % (long)PAGE_4K);
	EXPECT_EQ(-ENOMEM, r->ret[6]);
	EXPECT_EQ(4 + r->ret[5] / PAGE_4K, r->info[1].nr_data_pages);
	off = gas_pattern_diff(self->back, 0, r->ret[5], 5);
	EXPECT_EQ(-1, off) TH_LOG("byte %#lx of the pwrite", off);
	off = gas_bytes_diff(self->back + r->ret[5], 0, BIG - r->ret[5]);
	EXPECT_EQ(-1, off) TH_LOG("byte %#lx past the count", off);
	EXPECT_EQ(0, r->ret[7]);
	EXPECT_EQ(4 + 1024ULL, r->info[2].nr_data_pages);
	TH_LOG("%llu pages faulted, pwrite %ld bytes before the limit",
	       (unsigned long long)r->n[3], r->ret[5]);
}

/* Pin the calling task to CPU 0: its memcg charge stock lives there only. */
static int pin_cpu0(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

/*
 * Parent: give back the pages the child's memcg holds in CPU 0's charge
 * stock (up to 63 precharged pages memory.current counts but the child can
 * still use): a task of another cgroup charges on CPU 0, which drains it.
 */
static int drain_cpu0_stock(const char *cg)
{
	char drain[160];
	pid_t pid;
	int status, ret;

	snprintf(drain, sizeof(drain), "%s-drain", cg);
	if (mkdir(drain, 0755))
		return -errno;
	pid = fork();
	if (!pid) {
		size_t len = 1 << 20, i;
		unsigned char *p;

		if (pin_cpu0() || gas_cgroup_join(drain))
			_exit(1);
		p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			_exit(1);
		for (i = 0; i < len; i += PAGE_4K)
			p[i] = 1;
		_exit(0);
	}
	ret = pid < 0 || waitpid(pid, &status, 0) != pid ||
	      !WIFEXITED(status) || WEXITSTATUS(status) ? -EIO : 0;
	rmdir(drain);
	return ret;
}

#define TOUCH_BLOCKS	512

/*
 * Issue 12: a VMM touch at the limit behaves as anonymous memory does: the
 * cgroup's OOM killer ends the toucher.  The limit is set one page above
 * what the child has charged, so the frame of its next touch fits and the
 * gaspace table page under it does not: that table page must fail the way
 * the frame would (once it gave VM_FAULT_OOM with no OOM kill, and the
 * fault was retried for ever).  The child's touches each bring a new
 * 2 MiB block, through single-page mappings of the space packed in one
 * 2 MiB window of its own address space, so that its own page table page
 * is there already.
 */
TEST_F_TIMEOUT(memcg, vmm_touch_at_the_limit_is_oom_killed, 120)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	struct report *r = self->r;
	char path[256], max[32];
	int status = 0, i;
	long long usage;
	pid_t got = 0;

	if (!self->cg[0])
		return;
	self->pid = fork();
	ASSERT_LE(0, self->pid);
	if (!self->pid) {
		unsigned char *va, *win;
		int dev, fd;

		CHILD_CHECK(r, !pin_cpu0());
		CHILD_CHECK(r, !child_join(self));
		dev = gas_open_dev();
		CHILD_CHECK(r, dev >= 0);
		fd = gas_create(dev, GASPACE_FMT_EPT, 0, 0, 4 * SZ_1G);
		CHILD_CHECK(r, fd >= 0);
		CHILD_CHECK(r, !gas_map_alloc(fd, 0, TOUCH_BLOCKS * SZ_2M,
					      GAS_PROT_RW, 0));
		va = mmap(NULL, 2 * SZ_2M, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		CHILD_CHECK(r, va != MAP_FAILED);
		win = (unsigned char *)(unsigned long)
			(((unsigned long)va + SZ_2M - 1) & ~(SZ_2M - 1));
		for (i = 0; i < TOUCH_BLOCKS; i++)
			CHILD_CHECK(r, mmap((void *)(win + i * PAGE_4K),
					    PAGE_4K, PROT_READ | PROT_WRITE,
					    MAP_SHARED | MAP_FIXED, fd,
					    (off_t)i * SZ_2M) != MAP_FAILED);
		/* block 0: the window's page table and the space's tables */
		__atomic_store_n(&win[0], 1, __ATOMIC_RELAXED);
		/* the space dies with the child: audit it while it can */
		CHILD_CHECK(r, !gas_audit_clean(fd));
		child_stage(r, 1);
		for (i = 1; i < TOUCH_BLOCKS; i++)
			__atomic_store_n(&win[i * PAGE_4K], 1, __ATOMIC_RELAXED);
		_exit(0);	/* not reached: the limit comes first */
	}
	ASSERT_EQ(1, wait_stage(self, 1))
		TH_LOG("child failed at line %d", -r->stage);
	ASSERT_EQ(0, drain_cpu0_stock(self->cg));
	usage = cg_current(self->cg);
	ASSERT_LT(0, usage);
	snprintf(path, sizeof(path), "%s/memory.max", self->cg);
	snprintf(max, sizeof(max), "%lld", usage + PAGE_4K);
	ASSERT_EQ(0, gas_write_string(path, max));
	__atomic_store_n(&r->go, 1, __ATOMIC_RELEASE);

	for (i = 0; i < 6000 && !got; i++) {
		got = waitpid(self->pid, &status, WNOHANG);
		if (!got)
			nanosleep(&ts, NULL);
	}
	ASSERT_EQ(self->pid, got)
		TH_LOG("the touch at the limit neither failed nor ended in 60 s");
	self->pid = 0;
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
		TH_LOG("status %#x", status);
	EXPECT_LE(1, gas_cg_field(self->cg, "memory.events", "oom_kill"));
}

TEST_HARNESS_MAIN
