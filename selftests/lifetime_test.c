// SPDX-License-Identifier: GPL-2.0
/*
 * lifetime_test: what keeps an address space, and the module, alive
 * (gaspace.rst 8).
 *
 * The module's refcount goes up while an address-space fd lives and back
 * down when it is closed; unload is refused while one lives (tried only when
 * the refcount says the space holds the module, so that it can never
 * succeed under our open fds); a space passed over fork or SCM_RIGHTS works
 * in the other process and outlives the sender's fd; its table pages count
 * in SecPageTables while it lives and not after, and are charged to the
 * memory cgroup of the task that created it; threads that create and close
 * spaces, each closing the others', leave nothing behind.
 */
#include <pthread.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "gaspace_util.h"
#include "kselftest_harness.h"

static int try_unload(void)
{
	return syscall(SYS_delete_module, GASPACE_MODULE, O_NONBLOCK) ?
	       -errno : 0;
}

static bool same_space(const struct gaspace_info *a,
		       const struct gaspace_info *b)
{
	return !memcmp(a, b, sizeof(*a));
}

/*
 * The module's refcount once what earlier tests closed is released: the
 * last reference of a file or of the pseudo filesystem's mount may be
 * dropped a little after the process that held it exited (delayed fput and
 * mntput).  Read until it holds still for three reads 10 ms apart.
 */
static long long refcnt_stable(void)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	long long now = gas_module_refcnt(), prev;
	int i, same = 0;

	for (i = 0; i < 200 && same < 3; i++) {
		nanosleep(&ts, NULL);
		prev = now;
		now = gas_module_refcnt();
		same = now == prev ? same + 1 : 0;
	}
	return now;
}

FIXTURE(life) {
	int dev;
	long long refcnt;	/* with only our /dev/gaspace fd open */
};

FIXTURE_SETUP(life)
{
	self->dev = gas_open_dev();
	ASSERT_LE(0, self->dev) TH_LOG("open %s: %s", GASPACE_DEV,
				       strerror(errno));
	self->refcnt = refcnt_stable();
	ASSERT_LE(0, self->refcnt) TH_LOG("%s: %s", GASPACE_REFCNT,
					  strerror(-self->refcnt));
}

FIXTURE_TEARDOWN(life)
{
	if (self->dev >= 0)
		close(self->dev);
}

TEST_F(life, refcnt_follows_one_space)
{
	unsigned int i;

	for (i = 0; i < ARRAY_LEN(gas_formats); i++) {
		int fd = gas_create(self->dev, gas_formats[i], 0, 0, PAGE_4K);

		ASSERT_LE(0, fd);
		EXPECT_LT(self->refcnt, gas_module_refcnt())
			TH_LOG("%s", gas_format_name(gas_formats[i]));
		EXPECT_CLOSE_AUDITED(fd);
		EXPECT_EQ(self->refcnt, gas_refcnt_settle(self->refcnt))
			TH_LOG("%s", gas_format_name(gas_formats[i]));
	}
}

TEST_F(life, refcnt_counts_every_space)
{
	long long prev = self->refcnt, now;
	int fds[16];
	unsigned int i;

	for (i = 0; i < ARRAY_LEN(fds); i++) {
		fds[i] = gas_create(self->dev, gas_formats[i % 4], 0, 0,
				    PAGE_4K);
		ASSERT_LE(0, fds[i]);
		now = gas_module_refcnt();
		EXPECT_LT(prev, now) TH_LOG("space %u", i);
		prev = now;
	}
	for (i = 0; i < ARRAY_LEN(fds); i++) {
		EXPECT_CLOSE_AUDITED(fds[i]);
		now = gas_module_refcnt();
		EXPECT_GT(prev, now) TH_LOG("close %u", i);
		prev = now;
	}
	EXPECT_EQ(self->refcnt, gas_refcnt_settle(self->refcnt));
}

TEST_F(life, dup_keeps_space_until_last_close)
{
	struct gaspace_info a, b;
	int fd, fd2;

	fd = gas_create(self->dev, GASPACE_FMT_ARM64_S2, 0, 0, PAGE_4K);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, gas_get_info(fd, &a));
	fd2 = dup(fd);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, close(fd));
	EXPECT_LT(self->refcnt, gas_module_refcnt());
	ASSERT_EQ(0, gas_get_info(fd2, &b));
	EXPECT_TRUE(same_space(&a, &b));
	EXPECT_CLOSE_AUDITED(fd2);
	EXPECT_EQ(self->refcnt, gas_refcnt_settle(self->refcnt));
}

TEST_F(life, space_holds_module_without_device_fd)
{
	struct gaspace_info info;
	int fd;

	fd = gas_create(self->dev, GASPACE_FMT_EPT, 0, 0, PAGE_4K);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, close(self->dev));
	self->dev = -1;
	/* the space alone holds the module */
	EXPECT_LT(0, gas_module_refcnt());
	EXPECT_EQ(0, gas_get_info(fd, &info));
	EXPECT_CLOSE_AUDITED(fd);
}

TEST_F(life, unload_refused_while_space_lives)
{
	struct gaspace_info info;
	long long refcnt;
	int fd, ret;

	fd = gas_create(self->dev, GASPACE_FMT_NPT, 0, 0, PAGE_4K);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, close(self->dev));
	self->dev = -1;

	/*
	 * Only the space is open now.  Were it not holding the module,
	 * delete_module() could succeed and pull the module from under the
	 * fd: check the refcount first and never try in that case.
	 */
	refcnt = gas_module_refcnt();
	ASSERT_LT(0, refcnt) TH_LOG("an open space does not hold the module");

	ret = try_unload();
	EXPECT_TRUE(ret == -EBUSY || ret == -EAGAIN || ret == -EWOULDBLOCK)
		TH_LOG("delete_module: %d (%s)", ret, strerror(-ret));
	ASSERT_NE(0, ret) TH_LOG("the module was unloaded under a live space");

	/* still loaded, the space still works */
	EXPECT_EQ(refcnt, gas_module_refcnt());
	EXPECT_EQ(0, gas_get_info(fd, &info));
	EXPECT_EQ((__u32)GASPACE_FMT_NPT, info.format);
	EXPECT_CLOSE_AUDITED(fd);
}

TEST_F(life, fork_child_uses_inherited_space)
{
	struct gaspace_info info;
	int fd, status, go[2];
	pid_t pid;

	fd = gas_create(self->dev, GASPACE_FMT_RISCV_G, 0, 1ULL << 30,
			1ULL << 30);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, gas_get_info(fd, &info));
	ASSERT_EQ(0, pipe(go));

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct gaspace_info child;
		char c;

		close(go[1]);
		/* wait until the parent closed its copies */
		if (read(go[0], &c, 1) != 0)
			_exit(2);
		if (gas_get_info(fd, &child))
			_exit(3);
		if (gas_audit_clean(fd))
			_exit(5);
		_exit(same_space(&info, &child) ? 0 : 4);
	}
	close(go[0]);
	EXPECT_CLOSE_AUDITED(fd);
	/* the child's copy still holds the module (until go lets it exit) */
	EXPECT_LT(self->refcnt, gas_module_refcnt());
	ASSERT_EQ(0, close(go[1]));

	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(self->refcnt, gas_refcnt_settle(self->refcnt));
}

TEST_F(life, scm_rights_space_works_in_receiver)
{
	struct gaspace_info info, got;
	int sv[2], fd, status;
	pid_t pid;

	fd = gas_create(self->dev, GASPACE_FMT_ARM64_S2, 36, 1ULL << 32,
			1ULL << 32);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, gas_get_info(fd, &info));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct gaspace_info child;
		int rfd;

		/* a child with no copy of the space: only the socket */
		close(fd);
		close(sv[0]);
		rfd = gas_recv_fd(sv[1]);
		if (rfd < 0)
			_exit(2);
		if (gas_get_info(rfd, &child))
			_exit(3);
		if (write(sv[1], &child, sizeof(child)) != sizeof(child))
			_exit(4);
		/* the received space audits clean too */
		_exit(gas_audit_clean(rfd) ? 5 : 0);
	}
	close(sv[1]);
	ASSERT_EQ(0, gas_send_fd(sv[0], fd));
	/* in flight, the message holds the space */
	EXPECT_CLOSE_AUDITED(fd);

	ASSERT_EQ((ssize_t)sizeof(got), read(sv[0], &got, sizeof(got)));
	EXPECT_TRUE(same_space(&info, &got));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	close(sv[0]);
	EXPECT_EQ(self->refcnt, gas_refcnt_settle(self->refcnt));
}

#define NR_SEC_SPACES 64

TEST_F(life, table_pages_count_in_secpagetables)
{
	long long before, during, after, want_kb = 0;
	int fds[NR_SEC_SPACES];
	unsigned int i;

	before = gas_sec_page_tables_kb();
	ASSERT_LE(0, before) TH_LOG("SecPageTables: %s", strerror(-before));

	for (i = 0; i < NR_SEC_SPACES; i++) {
		unsigned int format = gas_formats[i % 4];
		struct gas_geometry g = gas_expected_geometry(format, 0);

		fds[i] = gas_create(self->dev, format, 0, 0, PAGE_4K);
		ASSERT_LE(0, fds[i]);
		want_kb += g.root_pages * 4;
	}
	during = gas_sec_page_tables_kb();
	for (i = 0; i < NR_SEC_SPACES; i++) {
		EXPECT_CLOSE_AUDITED(fds[i]);
	}
	after = gas_sec_page_tables_kb();

	EXPECT_EQ(want_kb, during - before)
		TH_LOG("SecPageTables %lld kB -> %lld kB with %u empty spaces",
		       before, during, NR_SEC_SPACES);
	EXPECT_EQ(before, after);
}

/* A field of a cgroup's memory.stat, in bytes; -errno if absent. */
static long long memcg_stat(const char *cg, const char *field)
{
	return gas_cg_field(cg, "memory.stat", field);
}

/*
 * memcg statistics are flushed from per-CPU counters every 2 seconds (or
 * after enough updates): wait up to 5 s for @field to read @want.
 */
static long long memcg_stat_settles_at(const char *cg, const char *field,
				       long long want)
{
	struct timespec ts = { 0, 100 * 1000 * 1000 };
	long long now = memcg_stat(cg, field);
	int i;

	for (i = 0; i < 50 && now != want; i++) {
		nanosleep(&ts, NULL);
		now = memcg_stat(cg, field);
	}
	return now;
}

#define NR_CG_SPACES 64

FIXTURE(memcg) {
	int dev;
	char cg[128];
};

FIXTURE_SETUP(memcg)
{
	int ret;

	self->cg[0] = '\0';
	self->dev = gas_open_dev();
	ASSERT_LE(0, self->dev);

	ret = gas_memcg_new(self->cg, sizeof(self->cg), "test");
	if (ret == -ENOENT)
		SKIP(return, "no cgroup2 memory controller");
	ASSERT_EQ(0, ret) TH_LOG("memory cgroup: %s", strerror(-ret));
}

FIXTURE_TEARDOWN(memcg)
{
	if (self->cg[0])
		rmdir(self->cg);
	close(self->dev);
}

/*
 * A child in a fresh cgroup creates spaces: their roots are charged to that
 * cgroup's sec_pagetables while they live, and uncharged when closed.
 */
TEST_F(memcg, table_pages_charged_to_creator)
{
	long long want = 0, seen_open, seen_closed;
	int go[2], done[2], status;
	unsigned int i;
	pid_t pid;
	char c;

	if (!self->cg[0])
		return;	/* skipped in setup */
	ASSERT_EQ(0, memcg_stat(self->cg, "sec_pagetables"));
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(done));

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int fds[NR_CG_SPACES];

		close(go[1]);
		close(done[0]);
		if (gas_cgroup_join(self->cg))
			_exit(2);
		for (i = 0; i < NR_CG_SPACES; i++) {
			fds[i] = gas_create(self->dev, gas_formats[i % 4], 0,
					    0, PAGE_4K);
			if (fds[i] < 0)
				_exit(3);
		}
		/* parent measures; then close everything and wait again */
		if (write(done[1], "o", 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(4);
		for (i = 0; i < NR_CG_SPACES; i++) {
			if (gas_audit_clean(fds[i]))
				_exit(6);
			close(fds[i]);
		}
		if (write(done[1], "c", 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(5);
		_exit(0);
	}
	close(go[0]);
	close(done[1]);
	for (i = 0; i < NR_CG_SPACES; i++)
		want += gas_expected_geometry(gas_formats[i % 4], 0).root_pages *
			PAGE_4K;

	ASSERT_EQ(1, read(done[0], &c, 1));
	seen_open = memcg_stat_settles_at(self->cg, "sec_pagetables", want);
	ASSERT_EQ(1, write(go[1], "n", 1));
	ASSERT_EQ(1, read(done[0], &c, 1));
	seen_closed = memcg_stat_settles_at(self->cg, "sec_pagetables", 0);
	ASSERT_EQ(1, write(go[1], "x", 1));

	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(want, seen_open)
		TH_LOG("sec_pagetables of the creator's cgroup with %u spaces",
		       NR_CG_SPACES);
	EXPECT_EQ(0, seen_closed);
}

#define NR_THREADS	4
#define SLOTS		32

struct churn {
	int dev;
	int slots[SLOTS];	/* fds in flight between threads, -1 = empty */
	int errors;
	unsigned int rounds;
};

/*
 * Each thread creates a space, checks it, and swaps it into a random slot,
 * closing whatever fd another thread had left there (one in 16 audited
 * first; those left in the slots at the end all are).
 */
static void *churn_thread(void *arg)
{
	struct churn *c = arg;
	unsigned int seed = (unsigned int)(unsigned long)pthread_self();
	unsigned int i;

	for (i = 0; i < c->rounds; i++) {
		unsigned int format = gas_formats[rand_r(&seed) % 4];
		struct gaspace_info info;
		int fd, old;

		fd = gas_create(c->dev, format, 0, 0, PAGE_4K);
		if (fd < 0 || gas_get_info(fd, &info) ||
		    info.format != format) {
			__atomic_add_fetch(&c->errors, 1, __ATOMIC_RELAXED);
			if (fd >= 0)
				close(fd);
			continue;
		}
		old = __atomic_exchange_n(&c->slots[rand_r(&seed) % SLOTS], fd,
					  __ATOMIC_ACQ_REL);
		if (old >= 0) {
			if (gas_get_info(old, &info) ||
			    (!(i & 15) && gas_audit_clean(old)))
				__atomic_add_fetch(&c->errors, 1,
						   __ATOMIC_RELAXED);
			close(old);
		}
		if (!(i & 15))
			sched_yield();
	}
	return NULL;
}

TEST_F_TIMEOUT(life, threads_create_and_close_each_others, 300)
{
	static struct churn c;
	pthread_t threads[NR_THREADS];
	unsigned int i;

	c.dev = self->dev;
	c.rounds = 2000;
	for (i = 0; i < SLOTS; i++)
		c.slots[i] = -1;
	for (i = 0; i < NR_THREADS; i++) {
		ASSERT_EQ(0, pthread_create(&threads[i], NULL, churn_thread,
					    &c));
	}
	for (i = 0; i < NR_THREADS; i++) {
		ASSERT_EQ(0, pthread_join(threads[i], NULL));
	}
	EXPECT_EQ(0, c.errors);
	for (i = 0; i < SLOTS; i++) {
		if (c.slots[i] >= 0) {
			EXPECT_CLOSE_AUDITED(c.slots[i]);
		}
	}
	EXPECT_EQ(self->refcnt, gas_refcnt_settle(self->refcnt));
}

TEST_HARNESS_MAIN
