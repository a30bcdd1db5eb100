// SPDX-License-Identifier: GPL-2.0
/*
 * userfault_test: userspace fault delivery (gaspace.rst 5.10-5.11): USERFAULT
 * areas, the userfault fd and FILL.
 *
 * Every access that needs a missing page of a USERFAULT area -- FAULT,
 * pread, pwrite, a VMM load or store through the mmap -- queues one event
 * {page, access} and waits for a FILL of the page, which it then sees as if
 * it had always been there; later accesses wait on the same event.  A wait
 * ends early when the page goes (UNMAP, MAP_REPLACE), on a signal, or when
 * the userfault fd is closed; without one an access fails at once and
 * raises nothing.  FILL's every error path, with nothing changed; the
 * counters (nr_userfaults, nr_demand_faults, nr_data_pages) after each
 * step; the fd's flags, read() sizes, poll, epoll and O_NONBLOCK; many
 * waiters of one page, a FILL racing an UNMAP, a killed waiter; a pread,
 * pwrite or FILL whose own buffer is a missing page of the area (served
 * by a resolver thread, gaspace.rst 10: no lock is held across a user copy).
 *
 * The cases of the page table (FILL, waits and what ends them) run on every
 * format; those of the fd and the races on EPT.  A waiter runs in a thread
 * that the test joins with a timeout, and every event is awaited with
 * poll(), so that a broken kernel fails a case instead of hanging the VM.
 */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "gaspace_util.h"
#include "kselftest_harness.h"

#define BASE		SZ_1G
#define SIZE		SZ_1G
#define UF		BASE			/* USERFAULT, RWX, 64 pages */
#define UF_PAGES	64
#define UF_SIZE		(UF_PAGES * PAGE_4K)
#define UF2		(UF + UF_SIZE)		/* USERFAULT, RW, 16 pages */
#define UF2_SIZE	(16 * PAGE_4K)
#define HOLE		(UF2 + UF2_SIZE)	/* no area, 16 pages */
#define PLAIN		(HOLE + 16 * PAGE_4K)	/* lazy alloc, RW, 16 pages */
#define PLAIN_SIZE	(16 * PAGE_4K)
#define NR_AREAS	3
#define RACE		(BASE + 4 * SZ_2M)	/* FILL against UNMAP */
#define PG(n)		(UF + (n) * PAGE_4K)	/* page n of UF */
#define EV_SIZE		sizeof(struct gaspace_fault_event)
#define TIMEOUT_MS	10000			/* what no working call takes */
#define QUIET_MS	50			/* watched for "nothing happens" */
#define SEED		1			/* the bytes FILL copies */

/* The space of both fixtures and the VMM's mapping of UF. */
static int open_space(struct gas_space *s, unsigned char **mem,
		      unsigned int format, unsigned int bits)
{
	void *p;
	int ret;

	ret = gas_space_open(s, format, bits, BASE, SIZE);
	if (!ret)
		ret = gas_map_alloc(s->fd, UF, UF_SIZE, GAS_PROT_RWX,
				    GASPACE_MAP_USERFAULT);
	if (!ret)
		ret = gas_map_alloc(s->fd, UF2, UF2_SIZE, GAS_PROT_RW,
				    GASPACE_MAP_USERFAULT);
	if (!ret)
		ret = gas_map_alloc(s->fd, PLAIN, PLAIN_SIZE, GAS_PROT_RW, 0);
	if (ret)
		return ret;
	p = mmap(NULL, UF_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd, UF);
	if (p == MAP_FAILED)
		return -errno;
	*mem = p;
	return 0;
}

static atomic_int nr_usr1;

static void on_usr1(int sig)
{
	atomic_fetch_add(&nr_usr1, 1);
}

/* SIGUSR1 interrupts a wait: a handler without SA_RESTART. */
static int catch_usr1(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGUSR1, &sa, NULL) ? -errno : 0;
}

FIXTURE(uf) {
	struct gas_space s;
	unsigned char *mem;	/* the VMM's mapping of UF */
	int ufd;
};

FIXTURE_VARIANT(uf) {
	unsigned int format;
	unsigned int bits;
};

FIXTURE_VARIANT_ADD(uf, ept) GAS_GEOMETRY(EPT, 48);
FIXTURE_VARIANT_ADD(uf, npt) GAS_GEOMETRY(NPT, 48);
FIXTURE_VARIANT_ADD(uf, arm64_s2) GAS_GEOMETRY(ARM64_S2, 40);
FIXTURE_VARIANT_ADD(uf, riscv_g) GAS_GEOMETRY(RISCV_G, 41);

FIXTURE_SETUP(uf)
{
	self->ufd = -1;
	ASSERT_EQ(0, open_space(&self->s, &self->mem, variant->format,
				variant->bits));
	ASSERT_EQ(0, gas_catch_sigbus());
	ASSERT_EQ(0, catch_usr1());
}

FIXTURE_TEARDOWN(uf)
{
	if (self->ufd >= 0)
		close(self->ufd);
	if (self->mem)
		munmap(self->mem, UF_SIZE);
	gas_space_close(&self->s);
}

/* The cases of the fd and of races: one format. */
FIXTURE(ufd) {
	struct gas_space s;
	unsigned char *mem;
	int ufd;
};

FIXTURE_SETUP(ufd)
{
	self->ufd = -1;
	ASSERT_EQ(0, open_space(&self->s, &self->mem, GASPACE_FMT_EPT, 48));
	ASSERT_EQ(0, gas_catch_sigbus());
	ASSERT_EQ(0, catch_usr1());
}

FIXTURE_TEARDOWN(ufd)
{
	if (self->ufd >= 0)
		close(self->ufd);
	if (self->mem)
		munmap(self->mem, UF_SIZE);
	gas_space_close(&self->s);
}

/* ---- small helpers ---- */

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static struct gaspace_info info_of(int fd)
{
	struct gaspace_info info;

	if (gas_get_info(fd, &info))
		memset(&info, 0xff, sizeof(info));
	return info;
}

/* FILL of @n pages at @gpa with the bytes of @seed's pattern. */
static int fill_pattern(int fd, __u64 gpa, unsigned int n, unsigned int seed)
{
	unsigned char *buf = malloc(n * PAGE_4K);
	int ret;

	if (!buf)
		return -ENOMEM;
	gas_pattern(buf, gpa, n * PAGE_4K, seed);
	ret = gas_fill(fd, gpa, n * PAGE_4K, buf);
	free(buf);
	return ret;
}

/* Whether the guest bytes at @gpa are @seed's pattern. */
static bool holds_pattern(int fd, __u64 gpa, size_t len, unsigned int seed)
{
	unsigned char buf[PAGE_4K];

	if (len > sizeof(buf) || gas_pread(fd, buf, len, gpa) != (ssize_t)len)
		return false;
	return gas_pattern_diff(buf, gpa, len, seed) < 0;
}

/* nr_userfaults once it reached @n, or after TIMEOUT_MS. */
static __u64 wait_userfaults(int fd, __u64 n)
{
	__u64 now = info_of(fd).nr_userfaults;
	int i;

	for (i = 0; i < TIMEOUT_MS && now < n; i++) {
		sleep_ms(1);
		now = info_of(fd).nr_userfaults;
	}
	return now;
}

static bool present(int fd, __u64 gpa)
{
	struct gaspace_translation t;

	return !gas_translate(fd, gpa, &t);
}

/* Whether an event is pending within @ms. */
static bool pending(int ufd, int ms)
{
	struct pollfd p = { .fd = ufd, .events = POLLIN };

	return poll(&p, 1, ms) == 1 && (p.revents & POLLIN);
}

/* The next event within @ms: 1 with *@ev, 0 when none came, or -errno. */
static int next_event(int ufd, struct gaspace_fault_event *ev, int ms)
{
	ssize_t n;

	memset(ev, 0xa5, sizeof(*ev));
	if (!pending(ufd, ms))
		return 0;
	n = read(ufd, ev, sizeof(*ev));
	if (n < 0)
		return -errno;
	return n == (ssize_t)sizeof(*ev) ? 1 : -EIO;
}

/*
 * The next event, within @ms: its page and access, flags and reserved 0.
 * EXPECT_EVENT() waits as long as an access may take to raise it.
 */
#define EXPECT_EVENT_WITHIN(ufd, page, acc, ms) do {			\
	struct gaspace_fault_event __ev;				\
									\
	ASSERT_EQ(1, next_event((ufd), &__ev, (ms)));			\
	EXPECT_EQ((__u64)(page), __ev.gpa);				\
	EXPECT_EQ((__u32)(acc), __ev.access);				\
	EXPECT_EQ(0U, __ev.flags);					\
	EXPECT_EQ(0ULL, __ev.reserved[0]);				\
	EXPECT_EQ(0ULL, __ev.reserved[1]);				\
} while (0)

#define EXPECT_EVENT(ufd, page, acc) \
	EXPECT_EVENT_WITHIN(ufd, page, acc, TIMEOUT_MS)

/* ---- waiters: one access in a thread ---- */

enum { W_FAULT, W_PREAD, W_PWRITE, W_LOAD, W_STORE };

struct waiter {
	pthread_t th;
	int fd;
	int kind;
	__u64 gpa;
	__u32 access;		/* W_FAULT */
	size_t len;		/* W_PREAD, W_PWRITE: bytes in buf */
	unsigned char *addr;	/* W_LOAD, W_STORE: in the VMM's mapping */
	unsigned char val;	/* W_STORE */
	unsigned char buf[2 * PAGE_4K];
	pid_t tid;
	long ret;		/* 0, a count, -errno, or SIGBUS (touch) */
	atomic_int done;
	bool joined;
};

static void *waiter_main(void *arg)
{
	struct waiter *w = arg;

	__atomic_store_n(&w->tid, (pid_t)syscall(SYS_gettid), __ATOMIC_SEQ_CST);
	switch (w->kind) {
	case W_FAULT:
		w->ret = gas_fault(w->fd, w->gpa, w->access);
		break;
	case W_PREAD:
		w->ret = gas_pread(w->fd, w->buf, w->len, w->gpa);
		break;
	case W_PWRITE:
		w->ret = gas_pwrite(w->fd, w->buf, w->len, w->gpa);
		break;
	case W_LOAD:
		w->ret = gas_touch(w->addr, false, 0, w->buf);
		break;
	case W_STORE:
		w->ret = gas_touch(w->addr, true, w->val, NULL);
		break;
	}
	atomic_store(&w->done, 1);
	return NULL;
}

static int start(struct waiter *w)
{
	return pthread_create(&w->th, NULL, waiter_main, w);
}

/* Joins @th within @ms: 0, or -ETIMEDOUT while it still runs. */
static int timed_join(pthread_t th, int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return pthread_timedjoin_np(th, NULL, &ts) ? -ETIMEDOUT : 0;
}

/* Joins @w within @ms: 0, or -ETIMEDOUT while it still waits. */
static int finish(struct waiter *w, int ms)
{
	if (!w->joined && !timed_join(w->th, ms))
		w->joined = true;
	return w->joined ? 0 : -ETIMEDOUT;
}

/* Whether @w still waits after QUIET_MS. */
static bool still_waits(struct waiter *w)
{
	sleep_ms(QUIET_MS);
	return !atomic_load(&w->done);
}

/* Whether thread @tid sleeps (S or D in its stat). */
static bool sleeping(pid_t tid)
{
	char path[64], buf[256], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && (p[2] == 'S' || p[2] == 'D');
}

/* Waits until @w sleeps in its call; false if it returned or never did. */
static bool asleep(struct waiter *w)
{
	int i;

	for (i = 0; i < TIMEOUT_MS; i++) {
		pid_t tid = __atomic_load_n(&w->tid, __ATOMIC_SEQ_CST);

		if (atomic_load(&w->done))
			return false;
		if (tid && sleeping(tid))
			return true;
		sleep_ms(1);
	}
	return false;
}

/* SIGUSR1 to @w until its call returns: 0, or -ETIMEDOUT. */
static int interrupt(struct waiter *w)
{
	int i;

	for (i = 0; i < TIMEOUT_MS / 20; i++) {
		pthread_kill(w->th, SIGUSR1);
		if (!finish(w, 20))
			return 0;
	}
	return -ETIMEDOUT;
}

/* A waiter of @kind at @gpa (in UF when it touches, through @mem). */
static void waiter_init(struct waiter *w, int fd, unsigned char *mem,
			int kind, __u64 gpa)
{
	memset(w, 0, sizeof(*w));
	w->fd = fd;
	w->kind = kind;
	w->gpa = gpa;
	w->access = GAS_PROT_R;
	w->len = 100;
	if (kind == W_PWRITE)
		gas_pattern(w->buf, gpa, w->len, SEED + 1);
	w->addr = mem + (gpa - UF);
	w->val = 0x5a;
}

/* ---- a resolver: reads events and FILLs their pages ---- */

#define RES_MAX		64

struct resolver {
	pthread_t th;
	int fd, ufd;
	atomic_int stop;
	int nr;
	struct gaspace_fault_event ev[RES_MAX];
	long fill[RES_MAX];
};

static void *resolver_main(void *arg)
{
	struct resolver *r = arg;
	struct gaspace_fault_event ev[4];
	unsigned char page[PAGE_4K];

	while (!atomic_load(&r->stop)) {
		ssize_t n;
		int i;

		if (!pending(r->ufd, 20))
			continue;
		n = read(r->ufd, ev, sizeof(ev));
		for (i = 0; n > 0 && i < n / (ssize_t)EV_SIZE; i++) {
			int k = r->nr < RES_MAX ? r->nr : RES_MAX - 1;

			r->ev[k] = ev[i];
			gas_pattern(page, ev[i].gpa, PAGE_4K, SEED);
			r->fill[k] = gas_fill(r->fd, ev[i].gpa, PAGE_4K, page);
			r->nr++;
		}
	}
	return NULL;
}

static int resolver_start(struct resolver *r, int fd, int ufd)
{
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->ufd = ufd;
	return pthread_create(&r->th, NULL, resolver_main, r);
}

static void resolver_stop(struct resolver *r)
{
	atomic_store(&r->stop, 1);
	pthread_join(r->th, NULL);
}

/* ---- the area ---- */

TEST_F(uf, cap_is_one)
{
	EXPECT_EQ(1, gas_ioctl(self->s.dev, GASPACE_CHECK_EXTENSION,
			       GASPACE_CAP_USERFAULT));
}

TEST_F(uf, area_starts_empty)
{
	struct gaspace_info info = info_of(self->s.fd);
	struct gaspace_translation t;

	EXPECT_EQ((__u64)NR_AREAS, info.nr_areas);
	EXPECT_EQ(0ULL, info.nr_data_pages);
	EXPECT_EQ(0ULL, info.mapped_bytes);
	EXPECT_EQ(0ULL, info.nr_userfaults);
	EXPECT_EQ(0ULL, info.nr_demand_faults);
	EXPECT_EQ(-ENOENT, gas_translate(self->s.fd, PG(3), &t));
}

TEST_F(ufd, map_flag_rules)
{
	int fd = self->s.fd;
	struct gaspace_info before = info_of(fd), after;

	EXPECT_EQ(-EINVAL, gas_map_alloc(fd, RACE, PAGE_4K, GAS_PROT_RW,
					 GASPACE_MAP_USERFAULT |
					 GASPACE_MAP_POPULATE));
	EXPECT_EQ(-EINVAL, gas_map_alloc(fd, RACE, SZ_2M, GAS_PROT_RW,
					 GASPACE_MAP_USERFAULT |
					 GASPACE_MAP_HUGE));
	EXPECT_EQ(-EINVAL, gas_map_linear(fd, RACE, PAGE_4K, BIT_ULL(40),
					  GAS_PROT_RW, GASPACE_MAP_USERFAULT));
	EXPECT_EQ(-EINVAL, gas_map_linear(fd, RACE, PAGE_4K, BIT_ULL(40),
					  GAS_PROT_RW, GASPACE_MAP_USERFAULT |
					  GASPACE_MAP_REPLACE));
	after = info_of(fd);
	EXPECT_EQ(0, memcmp(&before, &after, sizeof(before)));
	/* with REPLACE, over a plain area, and at prot 0 */
	EXPECT_EQ(0, gas_map_alloc(fd, PLAIN, PAGE_4K, GAS_PROT_RW,
				   GASPACE_MAP_USERFAULT |
				   GASPACE_MAP_REPLACE));
	EXPECT_EQ(0, gas_map_alloc(fd, RACE, PAGE_4K, 0,
				   GASPACE_MAP_USERFAULT));
	EXPECT_EQ((__u64)NR_AREAS + 2, info_of(fd).nr_areas);
	EXPECT_EQ(-EIO, gas_fault(fd, PLAIN, GAS_PROT_R));
}

/* ---- without a userfault fd: at once, and no event ---- */

TEST_F(uf, no_fd_fault_fails_at_once)
{
	int fd = self->s.fd;
	struct gaspace_info info;

	EXPECT_EQ(-EIO, gas_fault(fd, PG(1), GAS_PROT_R));
	EXPECT_EQ(-EIO, gas_fault(fd, PG(1) + 9, GASPACE_PROT_WRITE));
	EXPECT_EQ(-EIO, gas_fault(fd, PG(2), GASPACE_PROT_EXEC));
	/* the area's prot is checked first */
	EXPECT_EQ(-EACCES, gas_fault(fd, UF2, GASPACE_PROT_EXEC));
	info = info_of(fd);
	EXPECT_EQ(0ULL, info.nr_userfaults);
	EXPECT_EQ(0ULL, info.nr_data_pages);
	EXPECT_EQ(0ULL, info.nr_demand_faults);
	EXPECT_FALSE(present(fd, PG(1)));
}

TEST_F(uf, no_fd_transfers_fail_at_once)
{
	int fd = self->s.fd;
	unsigned char buf[2 * PAGE_4K];
	struct gaspace_info info;

	memset(buf, 7, sizeof(buf));
	EXPECT_EQ(-EIO, gas_pread(fd, buf, 10, PG(1) + 5));
	EXPECT_EQ(-EIO, gas_pwrite(fd, buf, 10, PG(1) + 5));
	/* up to the missing page: a short count */
	ASSERT_EQ(0, fill_pattern(fd, PG(4), 1, SEED));
	EXPECT_EQ((ssize_t)PAGE_4K - 16,
		  gas_pread(fd, buf, sizeof(buf), PG(4) + 16));
	EXPECT_EQ(-1, gas_pattern_diff(buf, PG(4) + 16, PAGE_4K - 16, SEED));
	EXPECT_EQ((ssize_t)PAGE_4K - 16,
		  gas_pwrite(fd, buf, sizeof(buf), PG(4) + 16));
	info = info_of(fd);
	EXPECT_EQ(0ULL, info.nr_userfaults);
	EXPECT_EQ(1ULL, info.nr_data_pages);
	EXPECT_FALSE(present(fd, PG(1)));
	EXPECT_FALSE(present(fd, PG(5)));
}

TEST_F(uf, no_fd_touch_sigbus)
{
	int fd = self->s.fd;
	struct gaspace_info info;

	EXPECT_EQ(SIGBUS, gas_touch(self->mem + 3 * PAGE_4K, false, 0, NULL));
	EXPECT_EQ(SIGBUS, gas_touch(self->mem + 3 * PAGE_4K, true, 1, NULL));
	info = info_of(fd);
	EXPECT_EQ(0ULL, info.nr_userfaults);
	EXPECT_EQ(0ULL, info.nr_data_pages);
	/* nothing was queued for a later fd */
	self->ufd = gas_userfault_fd(fd, GASPACE_UFD_NONBLOCK);
	ASSERT_LE(0, self->ufd);
	EXPECT_FALSE(pending(self->ufd, 0));
}

/* ---- FILL ---- */

TEST_F(uf, fill_zeros_without_fd)
{
	int fd = self->s.fd;
	struct gaspace_info before = info_of(fd), after;
	struct gaspace_translation t;
	unsigned char buf[3 * PAGE_4K];

	ASSERT_EQ(0, gas_fill(fd, PG(10), 3 * PAGE_4K, NULL));
	after = info_of(fd);
	EXPECT_EQ(before.nr_data_pages + 3, after.nr_data_pages);
	EXPECT_EQ(before.nr_demand_faults + 3, after.nr_demand_faults);
	EXPECT_EQ(before.mapped_bytes + 3 * PAGE_4K, after.mapped_bytes);
	EXPECT_EQ(before.nr_leaves_4k + 3, after.nr_leaves_4k);
	EXPECT_EQ(0ULL, after.nr_userfaults);
	EXPECT_EQ(before.nr_areas, after.nr_areas);
	ASSERT_EQ(0, gas_translate(fd, PG(11) + 5, &t));
	EXPECT_EQ((__u32)GAS_PROT_RWX, t.prot);
	EXPECT_EQ((__u32)GASPACE_BACKEND_ALLOC, t.backend);
	EXPECT_EQ(PAGE_4K, t.page_size);
	EXPECT_EQ(UF_SIZE - 11 * PAGE_4K - 5, t.limit);
	EXPECT_FALSE(present(fd, PG(9)));
	EXPECT_FALSE(present(fd, PG(13)));
	memset(buf, 0xa5, sizeof(buf));
	ASSERT_EQ((ssize_t)sizeof(buf), gas_pread(fd, buf, sizeof(buf), PG(10)));
	EXPECT_EQ(-1, gas_bytes_diff(buf, 0, sizeof(buf)));
	/* present now: FAULT is 0 at once, and populates nothing more */
	EXPECT_EQ(0, gas_fault(fd, PG(12), GAS_PROT_RWX));
	EXPECT_EQ(after.nr_demand_faults, info_of(fd).nr_demand_faults);
}

TEST_F(uf, fill_copies_src)
{
	int fd = self->s.fd;
	unsigned char c = 0;

	self->ufd = gas_userfault_fd(fd, 0);
	ASSERT_LE(0, self->ufd);
	ASSERT_EQ(0, fill_pattern(fd, PG(20), 5, SEED));
	EXPECT_TRUE(holds_pattern(fd, PG(20), PAGE_4K, SEED));
	EXPECT_TRUE(holds_pattern(fd, PG(24) + 100, PAGE_4K - 100, SEED));
	/* the VMM sees the same bytes, and no access raises an event */
	EXPECT_EQ(0, gas_touch(self->mem + 22 * PAGE_4K + 77, false, 0, &c));
	EXPECT_EQ(gas_pattern_byte(PG(22) + 77, SEED), c);
	EXPECT_EQ(0, gas_touch(self->mem + 23 * PAGE_4K, true, 3, NULL));
	EXPECT_EQ(0, gas_fault(fd, PG(21), GASPACE_PROT_WRITE));
	EXPECT_FALSE(pending(self->ufd, 0));
	EXPECT_EQ(0ULL, info_of(fd).nr_userfaults);
	EXPECT_EQ(5ULL, info_of(fd).nr_data_pages);
}

TEST_F(uf, fill_maps_with_the_area_prot)
{
	int fd = self->s.fd;
	struct gaspace_translation t;

	ASSERT_EQ(0, gas_protect(fd, PG(8), 2 * PAGE_4K, GAS_PROT_R));
	EXPECT_EQ((__u64)NR_AREAS + 2, info_of(fd).nr_areas);
	/* the split areas are still USERFAULT areas */
	EXPECT_EQ(-EIO, gas_fault(fd, PG(8), GAS_PROT_R));
	ASSERT_EQ(0, gas_fill(fd, PG(8), 2 * PAGE_4K, NULL));
	ASSERT_EQ(0, gas_translate(fd, PG(9), &t));
	EXPECT_EQ((__u32)GAS_PROT_R, t.prot);
	EXPECT_EQ(PAGE_4K, t.limit);
	ASSERT_EQ(0, gas_fill(fd, UF2, PAGE_4K, NULL));
	ASSERT_EQ(0, gas_translate(fd, UF2, &t));
	EXPECT_EQ((__u32)GAS_PROT_RW, t.prot);
	/* prot 0: the frame arrives, its leaf is not present */
	ASSERT_EQ(0, gas_protect(fd, PG(30), PAGE_4K, 0));
	ASSERT_EQ(0, gas_fill(fd, PG(30), PAGE_4K, NULL));
	EXPECT_EQ(-ENOENT, gas_translate(fd, PG(30), &t));
	EXPECT_EQ(-EEXIST, gas_fill(fd, PG(30), PAGE_4K, NULL));
	EXPECT_EQ(4ULL, info_of(fd).nr_data_pages);
	EXPECT_EQ(3 * PAGE_4K, info_of(fd).mapped_bytes);
}

TEST_F(uf, fill_marks_dirty)
{
	int fd = self->s.fd;
	__u64 bits[2] = { 0, 0x5a5a };

	ASSERT_EQ(0, gas_dirty_log_enable(fd, UF, UF_SIZE));
	ASSERT_EQ(0, gas_fill(fd, PG(3), 2 * PAGE_4K, NULL));
	ASSERT_EQ(0, fill_pattern(fd, PG(63), 1, SEED));
	EXPECT_EQ(3ULL, info_of(fd).nr_dirty_pages);
	ASSERT_EQ(0, gas_get_dirty_log(fd, UF, UF_SIZE, bits,
				       GASPACE_DIRTY_CLEAR));
	EXPECT_EQ(BIT_ULL(3) | BIT_ULL(4) | BIT_ULL(63), bits[0]);
	EXPECT_EQ(0x5a5aULL, bits[1]);
	EXPECT_EQ(0ULL, info_of(fd).nr_dirty_pages);
	EXPECT_TRUE(holds_pattern(fd, PG(63), PAGE_4K, SEED));
}

/* ---- FILL's errors: each leaves everything as it was ---- */

static const __u64 probes[] = {
	UF, PG(1), PG(2), PG(3), PG(63), UF2, UF2 + UF2_SIZE - PAGE_4K,
	HOLE, PLAIN,
};

#define EXPECT_FILL_FAILS(fd, f, err) do {				\
	const struct gaspace_fill *__f = (f);				\
	struct gas_snapshot __b, __a;					\
	int __fd = (fd);						\
									\
	gas_snapshot(__fd, &__b, probes, ARRAY_LEN(probes));		\
	EXPECT_EQ(-(err), gas_fill_args(__fd, __f))			\
		TH_LOG("fill %#llx+%#llx src %#llx flags %#x pad %#x",	\
		       (unsigned long long)__f->gpa,			\
		       (unsigned long long)__f->size,			\
		       (unsigned long long)__f->src, __f->flags,	\
		       __f->pad);					\
	gas_snapshot(__fd, &__a, probes, ARRAY_LEN(probes));		\
	EXPECT_TRUE(gas_snapshot_equal(&__b, &__a));			\
} while (0)

TEST_F(ufd, fill_einval_rules)
{
	int fd = self->s.fd;
	const struct gaspace_fill good = { .gpa = PG(1), .size = PAGE_4K };
	struct gaspace_fill f;
	unsigned int bit;

	for (bit = 0; bit < 32; bit++) {
		f = good;
		f.flags = 1u << bit;
		EXPECT_FILL_FAILS(fd, &f, EINVAL);
		f = good;
		f.pad = 1u << bit;
		EXPECT_FILL_FAILS(fd, &f, EINVAL);
	}
	f = good;
	f.reserved[0] = 1;
	EXPECT_FILL_FAILS(fd, &f, EINVAL);
	f = good;
	f.reserved[1] = BIT_ULL(63);
	EXPECT_FILL_FAILS(fd, &f, EINVAL);
	f = good;
	f.size = 0;
	EXPECT_FILL_FAILS(fd, &f, EINVAL);
	f = good;
	f.gpa += 1;
	EXPECT_FILL_FAILS(fd, &f, EINVAL);
	f = good;
	f.size = PAGE_4K + 8;
	EXPECT_FILL_FAILS(fd, &f, EINVAL);
	f = good;
	f.size = -f.gpa;
	EXPECT_FILL_FAILS(fd, &f, EINVAL);
	f.size = ~0ULL & ~(PAGE_4K - 1);
	EXPECT_FILL_FAILS(fd, &f, EINVAL);
	/* before the range, the areas and the source */
	f = good;
	f.flags = 1;
	f.gpa = 0;
	f.src = 8;
	EXPECT_FILL_FAILS(fd, &f, EINVAL);
	EXPECT_EQ(0ULL, info_of(fd).nr_data_pages);
}

TEST_F(ufd, fill_erange_then_enoent)
{
	int fd = self->s.fd;
	struct gaspace_fill f = { .size = PAGE_4K };

	f.gpa = BASE - PAGE_4K;
	EXPECT_FILL_FAILS(fd, &f, ERANGE);
	f.gpa = 0;
	EXPECT_FILL_FAILS(fd, &f, ERANGE);
	f.gpa = BASE + SIZE - PAGE_4K;
	f.size = 2 * PAGE_4K;
	EXPECT_FILL_FAILS(fd, &f, ERANGE);
	f.gpa = BIT_ULL(40);
	f.size = PAGE_4K;
	f.src = 8;		/* the source is not reached */
	EXPECT_FILL_FAILS(fd, &f, ERANGE);
	f.src = 0;
	/* a page in no area */
	f.gpa = HOLE;
	EXPECT_FILL_FAILS(fd, &f, ENOENT);
	f.gpa = UF2 + UF2_SIZE - PAGE_4K;
	f.size = 2 * PAGE_4K;
	EXPECT_FILL_FAILS(fd, &f, ENOENT);
	f.gpa = HOLE + 15 * PAGE_4K;
	EXPECT_FILL_FAILS(fd, &f, ENOENT);
	f.gpa = BASE + SZ_2M;
	f.size = PAGE_4K;
	f.src = 8;
	EXPECT_FILL_FAILS(fd, &f, ENOENT);
	/* no area before "not a USERFAULT area" */
	f.gpa = UF2;
	f.size = UF2_SIZE + 17 * PAGE_4K;
	f.src = 0;
	EXPECT_FILL_FAILS(fd, &f, ENOENT);
}

TEST_F(ufd, fill_needs_one_userfault_area)
{
	int fd = self->s.fd;
	struct gaspace_fill f = { .gpa = PLAIN, .size = PAGE_4K };

	EXPECT_FILL_FAILS(fd, &f, EINVAL);
	/* two USERFAULT areas side by side */
	f.gpa = UF + UF_SIZE - PAGE_4K;
	f.size = 2 * PAGE_4K;
	EXPECT_FILL_FAILS(fd, &f, EINVAL);
	/* one area split in two by PROTECT is two areas */
	ASSERT_EQ(0, gas_protect(fd, PG(8), 8 * PAGE_4K, GAS_PROT_RWX));
	f.gpa = PG(7);
	EXPECT_FILL_FAILS(fd, &f, EINVAL);
	f.gpa = PG(15);
	EXPECT_FILL_FAILS(fd, &f, EINVAL);
	f.gpa = PG(8);
	f.size = 8 * PAGE_4K;
	EXPECT_EQ(0, gas_fill_args(fd, &f));
	/* a linear area */
	ASSERT_EQ(0, gas_map_linear(fd, RACE, PAGE_4K, BIT_ULL(40),
				    GAS_PROT_RW, 0));
	f.gpa = RACE;
	f.size = PAGE_4K;
	f.src = 8;
	EXPECT_FILL_FAILS(fd, &f, EINVAL);
	EXPECT_EQ(8ULL, info_of(fd).nr_data_pages);
}

TEST_F(ufd, fill_of_a_present_page_is_eexist)
{
	int fd = self->s.fd;
	struct gaspace_fill f = { .gpa = PG(2), .size = PAGE_4K };

	ASSERT_EQ(0, fill_pattern(fd, PG(2), 1, SEED));
	EXPECT_FILL_FAILS(fd, &f, EEXIST);
	/* the pages around it stay missing */
	f.gpa = PG(1);
	f.size = 3 * PAGE_4K;
	EXPECT_FILL_FAILS(fd, &f, EEXIST);
	f.gpa = PG(0);
	f.src = 8;		/* before the source is read */
	EXPECT_FILL_FAILS(fd, &f, EEXIST);
	EXPECT_TRUE(holds_pattern(fd, PG(2), PAGE_4K, SEED));
	EXPECT_EQ(1ULL, info_of(fd).nr_data_pages);
	EXPECT_EQ(1ULL, info_of(fd).nr_demand_faults);
}

TEST_F(ufd, fill_from_an_unreadable_src_is_efault)
{
	int fd = self->s.fd;
	unsigned char *p = mmap(NULL, 3 * PAGE_4K, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct gaspace_fill f = { .gpa = PG(1), .size = PAGE_4K };

	ASSERT_NE(MAP_FAILED, p);
	memset(p, 0x11, 3 * PAGE_4K);
	ASSERT_EQ(0, mprotect(p + 2 * PAGE_4K, PAGE_4K, PROT_NONE));
	f.src = (uintptr_t)(p + 2 * PAGE_4K);
	EXPECT_FILL_FAILS(fd, &f, EFAULT);
	f.src = 0xffff888000000000ULL;
	EXPECT_FILL_FAILS(fd, &f, EFAULT);
	f.src = 8;
	EXPECT_FILL_FAILS(fd, &f, EFAULT);
	/* the last of three pages unreadable: none of them filled */
	f.src = (uintptr_t)p;
	f.size = 3 * PAGE_4K;
	EXPECT_FILL_FAILS(fd, &f, EFAULT);
	f.src = (uintptr_t)(p + 8);
	f.size = 2 * PAGE_4K;
	EXPECT_FILL_FAILS(fd, &f, EFAULT);
	EXPECT_EQ(0ULL, info_of(fd).nr_data_pages);
	EXPECT_EQ(0ULL, info_of(fd).nr_demand_faults);
	/* and then it works */
	f.src = (uintptr_t)p;
	EXPECT_EQ(0, gas_fill_args(fd, &f));
	EXPECT_EQ(2ULL, info_of(fd).nr_data_pages);
	munmap(p, 3 * PAGE_4K);
}

TEST_F(ufd, fill_struct_unreadable_is_efault)
{
	int fd = self->s.fd;
	unsigned char *p = mmap(NULL, 2 * PAGE_4K, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct gaspace_fill good = { .gpa = PG(1), .size = PAGE_4K };
	struct gas_snapshot b, a;

	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, mprotect(p + PAGE_4K, PAGE_4K, PROT_NONE));
	/* all but the last 8 bytes readable */
	memcpy(p + PAGE_4K - sizeof(good) + 8, &good, sizeof(good) - 8);
	gas_snapshot(fd, &b, probes, ARRAY_LEN(probes));
	EXPECT_EQ(-EFAULT, gas_ioctl(fd, GASPACE_FILL, 0));
	EXPECT_EQ(-EFAULT, gas_ioctl(fd, GASPACE_FILL, 8));
	EXPECT_EQ(-EFAULT, gas_ioctl_ptr(fd, GASPACE_FILL,
					 p + PAGE_4K - sizeof(good) + 8));
	EXPECT_EQ(-EFAULT, gas_ioctl_ptr(fd, GASPACE_FILL, p + PAGE_4K));
	EXPECT_EQ(-EFAULT, gas_ioctl(fd, GASPACE_FILL, GAS_KERNEL_ADDR));
	gas_snapshot(fd, &a, probes, ARRAY_LEN(probes));
	EXPECT_TRUE(gas_snapshot_equal(&b, &a));
	munmap(p, 2 * PAGE_4K);
}

TEST_F(ufd, numbers_match_whole)
{
	static const unsigned long cmds[] = {
		_IO(GASPACE_IO, 0x1b),
		_IOR(GASPACE_IO, 0x1b, struct gaspace_fill),
		_IOWR(GASPACE_IO, 0x1b, struct gaspace_fill),
		_IOC(_IOC_WRITE, GASPACE_IO, 0x1b, 40),
		_IOC(_IOC_WRITE, GASPACE_IO, 0x1b, 56),
		_IOW(GASPACE_IO, 0x1a, __u64),
		_IOR(GASPACE_IO, 0x1a, __u32),
		_IOWR(GASPACE_IO, 0x1a, struct gaspace_fill),
	};
	struct gaspace_fill f = { .gpa = PG(1), .size = PAGE_4K };
	unsigned int i;

	for (i = 0; i < ARRAY_LEN(cmds); i++) {
		EXPECT_EQ(-ENOTTY, gas_ioctl_ptr(self->s.fd, cmds[i], &f))
			TH_LOG("cmd %#lx", cmds[i]);
	}
	/* and /dev/gaspace has neither */
	EXPECT_EQ(-ENOTTY, gas_ioctl(self->s.dev, GASPACE_USERFAULT_FD, 0));
	EXPECT_EQ(-ENOTTY, gas_ioctl_ptr(self->s.dev, GASPACE_FILL, &f));
	EXPECT_EQ(0ULL, info_of(self->s.fd).nr_data_pages);
	/* no fd came into being: one can be opened now */
	self->ufd = gas_userfault_fd(self->s.fd, 0);
	EXPECT_LE(0, self->ufd);
}

/* ---- an access waits for FILL ---- */

TEST_F(uf, fault_waits_for_fill)
{
	int fd = self->s.fd;
	struct gaspace_info before, after;
	struct waiter w;

	self->ufd = gas_userfault_fd(fd, 0);
	ASSERT_LE(0, self->ufd);
	before = info_of(fd);
	waiter_init(&w, fd, self->mem, W_FAULT, PG(5) + 123);
	ASSERT_EQ(0, start(&w));
	EXPECT_EVENT(self->ufd, PG(5), GAS_PROT_R);
	EXPECT_TRUE(still_waits(&w));
	EXPECT_FALSE(present(fd, PG(5)));
	EXPECT_EQ(before.nr_userfaults + 1, info_of(fd).nr_userfaults);
	EXPECT_EQ(before.nr_data_pages, info_of(fd).nr_data_pages);
	ASSERT_EQ(0, fill_pattern(fd, PG(5), 1, SEED));
	ASSERT_EQ(0, finish(&w, TIMEOUT_MS));
	EXPECT_EQ(0, w.ret);
	EXPECT_TRUE(present(fd, PG(5)));
	after = info_of(fd);
	EXPECT_EQ(before.nr_userfaults + 1, after.nr_userfaults);
	EXPECT_EQ(before.nr_data_pages + 1, after.nr_data_pages);
	EXPECT_EQ(before.nr_demand_faults + 1, after.nr_demand_faults);
	EXPECT_EQ(before.mapped_bytes + PAGE_4K, after.mapped_bytes);
	EXPECT_FALSE(pending(self->ufd, 0));
}

TEST_F(uf, pread_waits_and_reads_the_filled_bytes)
{
	int fd = self->s.fd;
	struct waiter w;

	self->ufd = gas_userfault_fd(fd, 0);
	ASSERT_LE(0, self->ufd);
	waiter_init(&w, fd, self->mem, W_PREAD, PG(6) + 50);
	ASSERT_EQ(0, start(&w));
	EXPECT_EVENT(self->ufd, PG(6), GAS_PROT_R);
	EXPECT_TRUE(still_waits(&w));
	ASSERT_EQ(0, fill_pattern(fd, PG(6), 1, SEED));
	ASSERT_EQ(0, finish(&w, TIMEOUT_MS));
	EXPECT_EQ(100, w.ret);
	EXPECT_EQ(-1, gas_pattern_diff(w.buf, PG(6) + 50, 100, SEED));
	EXPECT_EQ(1ULL, info_of(fd).nr_userfaults);
}

TEST_F(uf, pwrite_waits_then_writes)
{
	int fd = self->s.fd;
	unsigned char buf[PAGE_4K];
	struct waiter w;

	self->ufd = gas_userfault_fd(fd, 0);
	ASSERT_LE(0, self->ufd);
	waiter_init(&w, fd, self->mem, W_PWRITE, PG(7) + 50);
	ASSERT_EQ(0, start(&w));
	EXPECT_EVENT(self->ufd, PG(7), GASPACE_PROT_WRITE);
	EXPECT_TRUE(still_waits(&w));
	ASSERT_EQ(0, fill_pattern(fd, PG(7), 1, SEED));
	ASSERT_EQ(0, finish(&w, TIMEOUT_MS));
	EXPECT_EQ(100, w.ret);
	/* the FILL's bytes, then the pwrite's over them */
	ASSERT_EQ((ssize_t)PAGE_4K, gas_pread(fd, buf, PAGE_4K, PG(7)));
	EXPECT_EQ(-1, gas_pattern_diff(buf, PG(7), 50, SEED));
	EXPECT_EQ(-1, gas_pattern_diff(buf + 50, PG(7) + 50, 100, SEED + 1));
	EXPECT_EQ(-1, gas_pattern_diff(buf + 150, PG(7) + 150, PAGE_4K - 150,
				       SEED));
	EXPECT_EQ(1ULL, info_of(fd).nr_data_pages);
}

TEST_F(uf, load_waits_and_sees_the_filled_bytes)
{
	int fd = self->s.fd;
	struct waiter w;

	self->ufd = gas_userfault_fd(fd, 0);
	ASSERT_LE(0, self->ufd);
	waiter_init(&w, fd, self->mem, W_LOAD, PG(9) + 300);
	ASSERT_EQ(0, start(&w));
	EXPECT_EVENT(self->ufd, PG(9), GAS_PROT_R);
	EXPECT_TRUE(still_waits(&w));
	ASSERT_EQ(0, fill_pattern(fd, PG(9), 1, SEED));
	ASSERT_EQ(0, finish(&w, TIMEOUT_MS));
	EXPECT_EQ(0, w.ret);
	EXPECT_EQ(gas_pattern_byte(PG(9) + 300, SEED), w.buf[0]);
}

TEST_F(uf, store_waits_then_stores)
{
	int fd = self->s.fd;
	unsigned char c = 0;
	struct waiter w;

	self->ufd = gas_userfault_fd(fd, 0);
	ASSERT_LE(0, self->ufd);
	waiter_init(&w, fd, self->mem, W_STORE, PG(11) + 300);
	ASSERT_EQ(0, start(&w));
	EXPECT_EVENT(self->ufd, PG(11), GASPACE_PROT_WRITE);
	EXPECT_TRUE(still_waits(&w));
	ASSERT_EQ(0, fill_pattern(fd, PG(11), 1, SEED));
	ASSERT_EQ(0, finish(&w, TIMEOUT_MS));
	EXPECT_EQ(0, w.ret);
	ASSERT_EQ(1, gas_pread(fd, &c, 1, PG(11) + 300));
	EXPECT_EQ(0x5a, c);
	EXPECT_TRUE(holds_pattern(fd, PG(11), 300, SEED));
	EXPECT_TRUE(holds_pattern(fd, PG(11) + 301, PAGE_4K - 301, SEED));
}

TEST_F(uf, fault_event_has_its_own_access)
{
	static const __u32 access[] = {
		GASPACE_PROT_WRITE, GASPACE_PROT_EXEC, GAS_PROT_RW,
		GAS_PROT_RX,
	};
	int fd = self->s.fd;
	unsigned int i;

	self->ufd = gas_userfault_fd(fd, 0);
	ASSERT_LE(0, self->ufd);
	for (i = 0; i < ARRAY_LEN(access); i++) {
		struct waiter w;

		waiter_init(&w, fd, self->mem, W_FAULT, PG(12 + i) + 8);
		w.access = access[i];
		ASSERT_EQ(0, start(&w));
		EXPECT_EVENT(self->ufd, PG(12 + i), access[i]);
		ASSERT_EQ(0, gas_fill(fd, PG(12 + i), PAGE_4K, NULL));
		ASSERT_EQ(0, finish(&w, TIMEOUT_MS));
		EXPECT_EQ(0, w.ret);
	}
	EXPECT_EQ((__u64)ARRAY_LEN(access), info_of(fd).nr_userfaults);
}

TEST_F(uf, a_second_access_waits_on_the_same_event)
{
	int fd = self->s.fd;
	struct waiter w1, w2;

	self->ufd = gas_userfault_fd(fd, 0);
	ASSERT_LE(0, self->ufd);
	waiter_init(&w1, fd, self->mem, W_FAULT, PG(16));
	ASSERT_EQ(0, start(&w1));
	EXPECT_EVENT(self->ufd, PG(16), GAS_PROT_R);
	waiter_init(&w2, fd, self->mem, W_PWRITE, PG(16) + 2000);
	ASSERT_EQ(0, start(&w2));
	EXPECT_TRUE(asleep(&w2));
	EXPECT_FALSE(pending(self->ufd, QUIET_MS));
	EXPECT_TRUE(still_waits(&w1));
	EXPECT_EQ(1ULL, info_of(fd).nr_userfaults);
	ASSERT_EQ(0, gas_fill(fd, PG(16), PAGE_4K, NULL));
	ASSERT_EQ(0, finish(&w1, TIMEOUT_MS));
	ASSERT_EQ(0, finish(&w2, TIMEOUT_MS));
	EXPECT_EQ(0, w1.ret);
	EXPECT_EQ(100, w2.ret);
	EXPECT_EQ(1ULL, info_of(fd).nr_userfaults);
	EXPECT_EQ(1ULL, info_of(fd).nr_data_pages);
}

TEST_F(uf, an_event_stays_pending_until_read)
{
	int fd = self->s.fd;
	struct waiter w1, w2;

	self->ufd = gas_userfault_fd(fd, GASPACE_UFD_NONBLOCK);
	ASSERT_LE(0, self->ufd);
	waiter_init(&w1, fd, self->mem, W_LOAD, PG(17) + 1);
	ASSERT_EQ(0, start(&w1));
	ASSERT_TRUE(pending(self->ufd, TIMEOUT_MS));
	waiter_init(&w2, fd, self->mem, W_PREAD, PG(17) + 2);
	ASSERT_EQ(0, start(&w2));
	EXPECT_TRUE(asleep(&w2));
	/* filled before anyone read the event: it is still there, once */
	ASSERT_EQ(0, fill_pattern(fd, PG(17), 1, SEED));
	ASSERT_EQ(0, finish(&w1, TIMEOUT_MS));
	ASSERT_EQ(0, finish(&w2, TIMEOUT_MS));
	EXPECT_EQ(0, w1.ret);
	EXPECT_EQ(100, w2.ret);
	EXPECT_EVENT_WITHIN(self->ufd, PG(17), GAS_PROT_R, 0);
	EXPECT_FALSE(pending(self->ufd, 0));
	EXPECT_EQ(1ULL, info_of(fd).nr_userfaults);
}

TEST_F(uf, resolver_serves_a_pread_across_pages)
{
	int fd = self->s.fd;
	struct resolver r;
	struct waiter w;
	int i;

	ASSERT_EQ(0, fill_pattern(fd, PG(41), 1, SEED));
	self->ufd = gas_userfault_fd(fd, 0);
	ASSERT_LE(0, self->ufd);
	ASSERT_EQ(0, resolver_start(&r, fd, self->ufd));
	/* pages 40 and 42 missing, 41 there; 8 KiB + 200 bytes from 40 */
	waiter_init(&w, fd, self->mem, W_PREAD, PG(40) + 100);
	w.len = 2 * PAGE_4K;
	ASSERT_EQ(0, start(&w));
	ASSERT_EQ(0, finish(&w, TIMEOUT_MS));
	resolver_stop(&r);
	EXPECT_EQ(2 * (long)PAGE_4K, w.ret);
	EXPECT_EQ(-1, gas_pattern_diff(w.buf, PG(40) + 100, 2 * PAGE_4K,
				       SEED));
	ASSERT_EQ(2, r.nr);
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(PG(40 + 2 * i), r.ev[i].gpa);
		EXPECT_EQ((__u32)GAS_PROT_R, r.ev[i].access);
		EXPECT_EQ(0, r.fill[i]);
	}
	EXPECT_EQ(2ULL, info_of(fd).nr_userfaults);
	EXPECT_EQ(3ULL, info_of(fd).nr_data_pages);
}

/* ---- what ends a wait early ---- */

TEST_F(uf, unmap_ends_a_fault_with_enoent)
{
	int fd = self->s.fd;
	struct waiter w;

	self->ufd = gas_userfault_fd(fd, 0);
	ASSERT_LE(0, self->ufd);
	waiter_init(&w, fd, self->mem, W_FAULT, PG(20) + 4);
	ASSERT_EQ(0, start(&w));
	ASSERT_TRUE(pending(self->ufd, TIMEOUT_MS));
	EXPECT_TRUE(asleep(&w));
	ASSERT_EQ(0, gas_unmap(fd, PG(20), PAGE_4K));
	ASSERT_EQ(0, finish(&w, TIMEOUT_MS));
	EXPECT_EQ(-ENOENT, w.ret);
	/* the event was not read yet: it stays */
	EXPECT_EVENT_WITHIN(self->ufd, PG(20), GAS_PROT_R, 0);
	EXPECT_EQ(-ENOENT, gas_fill(fd, PG(20), PAGE_4K, NULL));
	EXPECT_EQ(0ULL, info_of(fd).nr_data_pages);
	EXPECT_EQ((__u64)NR_AREAS + 1, info_of(fd).nr_areas);
}

TEST_F(uf, unmap_ends_a_pread_with_enxio)
{
	int fd = self->s.fd;
	struct waiter w;

	self->ufd = gas_userfault_fd(fd, 0);
	ASSERT_LE(0, self->ufd);
	waiter_init(&w, fd, self->mem, W_PREAD, PG(21) + 4);
	ASSERT_EQ(0, start(&w));
	EXPECT_EVENT(self->ufd, PG(21), GAS_PROT_R);
	EXPECT_TRUE(asleep(&w));
	ASSERT_EQ(0, gas_unmap(fd, PG(21), PAGE_4K));
	ASSERT_EQ(0, finish(&w, TIMEOUT_MS));
	EXPECT_EQ(-ENXIO, w.ret);
	EXPECT_EQ(0ULL, info_of(fd).nr_data_pages);
}

TEST_F(uf, unmap_ends_a_pwrite_with_a_short_count)
{
	int fd = self->s.fd;
	struct waiter w;

	self->ufd = gas_userfault_fd(fd, 0);
	ASSERT_LE(0, self->ufd);
	ASSERT_EQ(0, gas_fill(fd, PG(22), PAGE_4K, NULL));
	waiter_init(&w, fd, self->mem, W_PWRITE, PG(23) - 40);
	ASSERT_EQ(0, start(&w));
	EXPECT_EVENT(self->ufd, PG(23), GASPACE_PROT_WRITE);
	EXPECT_TRUE(asleep(&w));
	ASSERT_EQ(0, gas_unmap(fd, PG(23), PAGE_4K));
	ASSERT_EQ(0, finish(&w, TIMEOUT_MS));
	EXPECT_EQ(40, w.ret);
	EXPECT_TRUE(holds_pattern(fd, PG(23) - 40, 40, SEED + 1));
	EXPECT_EQ(1ULL, info_of(fd).nr_data_pages);
}

TEST_F(uf, unmap_ends_a_touch_with_sigbus)
{
	int fd = self->s.fd;
	struct waiter w;

	self->ufd = gas_userfault_fd(fd, 0);
	ASSERT_LE(0, self->ufd);
	waiter_init(&w, fd, self->mem, W_STORE, PG(24) + 4);
	ASSERT_EQ(0, start(&w));
	EXPECT_EVENT(self->ufd, PG(24), GASPACE_PROT_WRITE);
	EXPECT_TRUE(asleep(&w));
	ASSERT_EQ(0, gas_unmap(fd, PG(24), PAGE_4K));
	ASSERT_EQ(0, finish(&w, TIMEOUT_MS));
	EXPECT_EQ(SIGBUS, w.ret);
	EXPECT_EQ(0ULL, info_of(fd).nr_data_pages);
}

TEST_F(uf, replace_ends_a_fault_with_enoent)
{
	int fd = self->s.fd;
	struct waiter w;

	self->ufd = gas_userfault_fd(fd, 0);
	ASSERT_LE(0, self->ufd);
	waiter_init(&w, fd, self->mem, W_FAULT, PG(25));
	w.access = GASPACE_PROT_WRITE;
	ASSERT_EQ(0, start(&w));
	EXPECT_EVENT(self->ufd, PG(25), GASPACE_PROT_WRITE);
	EXPECT_TRUE(asleep(&w));
	ASSERT_EQ(0, gas_map_alloc(fd, PG(25), PAGE_4K, GAS_PROT_RW,
				   GASPACE_MAP_REPLACE));
	ASSERT_EQ(0, finish(&w, TIMEOUT_MS));
	EXPECT_EQ(-ENOENT, w.ret);
	/* a plain lazy page now */
	EXPECT_EQ(0, gas_fault(fd, PG(25), GASPACE_PROT_WRITE));
	EXPECT_EQ(1ULL, info_of(fd).nr_data_pages);
	EXPECT_EQ(1ULL, info_of(fd).nr_userfaults);
}

TEST_F(uf, replace_ends_a_pread_with_enxio)
{
	int fd = self->s.fd;
	struct waiter w;

	self->ufd = gas_userfault_fd(fd, 0);
	ASSERT_LE(0, self->ufd);
	waiter_init(&w, fd, self->mem, W_PREAD, PG(26));
	ASSERT_EQ(0, start(&w));
	EXPECT_EVENT(self->ufd, PG(26), GAS_PROT_R);
	EXPECT_TRUE(asleep(&w));
	ASSERT_EQ(0, gas_map_alloc(fd, PG(26), PAGE_4K, GAS_PROT_RW,
				   GASPACE_MAP_REPLACE |
				   GASPACE_MAP_USERFAULT));
	ASSERT_EQ(0, finish(&w, TIMEOUT_MS));
	EXPECT_EQ(-ENXIO, w.ret);
	EXPECT_EQ(0ULL, info_of(fd).nr_data_pages);
}

TEST_F(uf, a_page_that_went_and_came_back_raises_a_new_event)
{
	int fd = self->s.fd;
	struct waiter w;

	self->ufd = gas_userfault_fd(fd, 0);
	ASSERT_LE(0, self->ufd);
	waiter_init(&w, fd, self->mem, W_FAULT, PG(27));
	ASSERT_EQ(0, start(&w));
	EXPECT_EVENT(self->ufd, PG(27), GAS_PROT_R);
	ASSERT_EQ(0, gas_unmap(fd, PG(27), PAGE_4K));
	ASSERT_EQ(0, finish(&w, TIMEOUT_MS));
	EXPECT_EQ(-ENOENT, w.ret);
	ASSERT_EQ(0, gas_map_alloc(fd, PG(27), PAGE_4K, GAS_PROT_RW,
				   GASPACE_MAP_USERFAULT));
	waiter_init(&w, fd, self->mem, W_FAULT, PG(27));
	ASSERT_EQ(0, start(&w));
	EXPECT_EVENT(self->ufd, PG(27), GAS_PROT_R);
	ASSERT_EQ(0, gas_fill(fd, PG(27), PAGE_4K, NULL));
	ASSERT_EQ(0, finish(&w, TIMEOUT_MS));
	EXPECT_EQ(0, w.ret);
	EXPECT_EQ(2ULL, info_of(fd).nr_userfaults);
}

TEST_F(uf, a_signal_ends_a_fault_with_eintr)
{
	int fd = self->s.fd;
	struct waiter w;

	self->ufd = gas_userfault_fd(fd, 0);
	ASSERT_LE(0, self->ufd);
	waiter_init(&w, fd, self->mem, W_FAULT, PG(28));
	ASSERT_EQ(0, start(&w));
	ASSERT_TRUE(pending(self->ufd, TIMEOUT_MS));
	ASSERT_EQ(0, interrupt(&w));
	EXPECT_EQ(-EINTR, w.ret);
	/* the event stays, the page stays missing */
	EXPECT_EVENT(self->ufd, PG(28), GAS_PROT_R);
	EXPECT_FALSE(present(fd, PG(28)));
	EXPECT_EQ(1ULL, info_of(fd).nr_userfaults);
	EXPECT_EQ(0ULL, info_of(fd).nr_data_pages);
}

TEST_F(uf, after_a_signal_an_access_waits_without_a_new_event)
{
	int fd = self->s.fd;
	struct waiter w;

	self->ufd = gas_userfault_fd(fd, 0);
	ASSERT_LE(0, self->ufd);
	waiter_init(&w, fd, self->mem, W_FAULT, PG(29));
	ASSERT_EQ(0, start(&w));
	EXPECT_EVENT(self->ufd, PG(29), GAS_PROT_R);
	ASSERT_EQ(0, interrupt(&w));
	EXPECT_EQ(-EINTR, w.ret);
	/* the page's wait is still armed */
	waiter_init(&w, fd, self->mem, W_FAULT, PG(29));
	w.access = GASPACE_PROT_WRITE;
	ASSERT_EQ(0, start(&w));
	EXPECT_TRUE(asleep(&w));
	EXPECT_FALSE(pending(self->ufd, QUIET_MS));
	EXPECT_TRUE(still_waits(&w));
	ASSERT_EQ(0, gas_fill(fd, PG(29), PAGE_4K, NULL));
	ASSERT_EQ(0, finish(&w, TIMEOUT_MS));
	EXPECT_EQ(0, w.ret);
	EXPECT_EQ(1ULL, info_of(fd).nr_userfaults);
}

TEST_F(uf, a_touch_is_retried_after_a_signal)
{
	int fd = self->s.fd, seen, i;
	struct waiter w;

	self->ufd = gas_userfault_fd(fd, 0);
	ASSERT_LE(0, self->ufd);
	waiter_init(&w, fd, self->mem, W_LOAD, PG(31) + 31);
	ASSERT_EQ(0, start(&w));
	EXPECT_EVENT(self->ufd, PG(31), GAS_PROT_R);
	ASSERT_TRUE(asleep(&w));
	seen = atomic_load(&nr_usr1);
	ASSERT_EQ(0, pthread_kill(w.th, SIGUSR1));
	for (i = 0; i < TIMEOUT_MS && atomic_load(&nr_usr1) == seen; i++)
		sleep_ms(1);
	ASSERT_NE(seen, atomic_load(&nr_usr1)) TH_LOG("no handler ran");
	/* the handler ran and the load waits again, without a new event */
	EXPECT_FALSE(pending(self->ufd, QUIET_MS));
	EXPECT_TRUE(still_waits(&w));
	EXPECT_EQ(1ULL, info_of(fd).nr_userfaults);
	ASSERT_EQ(0, fill_pattern(fd, PG(31), 1, SEED));
	ASSERT_EQ(0, finish(&w, TIMEOUT_MS));
	EXPECT_EQ(0, w.ret);
	EXPECT_EQ(gas_pattern_byte(PG(31) + 31, SEED), w.buf[0]);
}

TEST_F(uf, closing_the_fd_ends_the_waits_with_eio)
{
	int fd = self->s.fd, i;
	struct waiter w[3];

	self->ufd = gas_userfault_fd(fd, 0);
	ASSERT_LE(0, self->ufd);
	waiter_init(&w[0], fd, self->mem, W_FAULT, PG(32));
	waiter_init(&w[1], fd, self->mem, W_PREAD, PG(33));
	waiter_init(&w[2], fd, self->mem, W_PWRITE, PG(34));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, start(&w[i]));
	ASSERT_EQ(3ULL, wait_userfaults(fd, 3));
	for (i = 0; i < 3; i++)
		ASSERT_TRUE(asleep(&w[i]));
	close(self->ufd);
	self->ufd = -1;
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, finish(&w[i], TIMEOUT_MS));
		EXPECT_EQ(-EIO, w[i].ret) TH_LOG("waiter %d", i);
	}
	EXPECT_EQ(0ULL, info_of(fd).nr_data_pages);
	/* and without the fd, at once */
	EXPECT_EQ(-EIO, gas_fault(fd, PG(32), GAS_PROT_R));
	EXPECT_EQ(3ULL, info_of(fd).nr_userfaults);
}

TEST_F(uf, closing_the_fd_ends_a_touch_with_sigbus)
{
	int fd = self->s.fd;
	struct waiter w;

	self->ufd = gas_userfault_fd(fd, 0);
	ASSERT_LE(0, self->ufd);
	waiter_init(&w, fd, self->mem, W_LOAD, PG(35));
	ASSERT_EQ(0, start(&w));
	EXPECT_EVENT(self->ufd, PG(35), GAS_PROT_R);
	ASSERT_TRUE(asleep(&w));
	close(self->ufd);
	self->ufd = -1;
	ASSERT_EQ(0, finish(&w, TIMEOUT_MS));
	EXPECT_EQ(SIGBUS, w.ret);
	EXPECT_EQ(0ULL, info_of(fd).nr_data_pages);
}

TEST_F(uf, a_new_fd_after_close_gets_new_events)
{
	int fd = self->s.fd;
	struct waiter w;

	self->ufd = gas_userfault_fd(fd, 0);
	ASSERT_LE(0, self->ufd);
	waiter_init(&w, fd, self->mem, W_FAULT, PG(36));
	ASSERT_EQ(0, start(&w));
	ASSERT_TRUE(pending(self->ufd, TIMEOUT_MS));
	ASSERT_TRUE(asleep(&w));
	close(self->ufd);
	ASSERT_EQ(0, finish(&w, TIMEOUT_MS));
	EXPECT_EQ(-EIO, w.ret);
	self->ufd = gas_userfault_fd(fd, GASPACE_UFD_NONBLOCK);
	ASSERT_LE(0, self->ufd);
	EXPECT_FALSE(pending(self->ufd, 0));
	/* the same page again, and another */
	waiter_init(&w, fd, self->mem, W_FAULT, PG(36));
	ASSERT_EQ(0, start(&w));
	EXPECT_EVENT(self->ufd, PG(36), GAS_PROT_R);
	ASSERT_EQ(0, gas_fill(fd, PG(36), PAGE_4K, NULL));
	ASSERT_EQ(0, finish(&w, TIMEOUT_MS));
	EXPECT_EQ(0, w.ret);
	waiter_init(&w, fd, self->mem, W_PREAD, PG(37));
	ASSERT_EQ(0, start(&w));
	EXPECT_EVENT(self->ufd, PG(37), GAS_PROT_R);
	ASSERT_EQ(0, gas_fill(fd, PG(37), PAGE_4K, NULL));
	ASSERT_EQ(0, finish(&w, TIMEOUT_MS));
	EXPECT_EQ(100, w.ret);
	EXPECT_EQ(3ULL, info_of(fd).nr_userfaults);
}

/* ---- the fd ---- */

TEST_F(ufd, fd_flags)
{
	int fd = self->s.fd, fl;

	self->ufd = gas_userfault_fd(fd, 0);
	ASSERT_LE(0, self->ufd);
	fl = fcntl(self->ufd, F_GETFL);
	EXPECT_EQ(O_RDWR, fl & O_ACCMODE);
	EXPECT_EQ(0, fl & O_NONBLOCK);
	EXPECT_EQ(FD_CLOEXEC, fcntl(self->ufd, F_GETFD));
	close(self->ufd);
	self->ufd = gas_userfault_fd(fd, GASPACE_UFD_NONBLOCK);
	ASSERT_LE(0, self->ufd);
	fl = fcntl(self->ufd, F_GETFL);
	EXPECT_EQ(O_RDWR, fl & O_ACCMODE);
	EXPECT_EQ(O_NONBLOCK, fl & O_NONBLOCK);
	EXPECT_EQ(FD_CLOEXEC, fcntl(self->ufd, F_GETFD));
}

TEST_F(ufd, unknown_arg_bits_are_einval)
{
	int fd = self->s.fd;
	unsigned int bit;

	for (bit = 1; bit < 8 * sizeof(long); bit++) {
		EXPECT_EQ(-EINVAL, gas_userfault_fd(fd, 1UL << bit))
			TH_LOG("bit %u", bit);
	}
	EXPECT_EQ(-EINVAL, gas_userfault_fd(fd, ~0UL));
	/* none of them opened one; with one open, EINVAL still comes first */
	self->ufd = gas_userfault_fd(fd, 0);
	ASSERT_LE(0, self->ufd);
	EXPECT_EQ(-EINVAL, gas_userfault_fd(fd, 2));
}

TEST_F(ufd, one_fd_at_a_time)
{
	int fd = self->s.fd, dup_fd, again;

	self->ufd = gas_userfault_fd(fd, 0);
	ASSERT_LE(0, self->ufd);
	EXPECT_EQ(-EBUSY, gas_userfault_fd(fd, 0));
	EXPECT_EQ(-EBUSY, gas_userfault_fd(fd, GASPACE_UFD_NONBLOCK));
	/* open while any reference to the file is */
	dup_fd = dup(self->ufd);
	ASSERT_LE(0, dup_fd);
	close(self->ufd);
	self->ufd = -1;
	EXPECT_EQ(-EBUSY, gas_userfault_fd(fd, 0));
	close(dup_fd);
	self->ufd = gas_userfault_fd(fd, 0);
	ASSERT_LE(0, self->ufd);
	/* another space has its own */
	again = gas_create(self->s.dev, GASPACE_FMT_NPT, 0, 0, SZ_1G);
	ASSERT_LE(0, again);
	dup_fd = gas_userfault_fd(again, 0);
	EXPECT_LE(0, dup_fd);
	close(dup_fd);
	close(again);
}

TEST_F(ufd, read_needs_room_for_an_event)
{
	int fd = self->s.fd;
	unsigned char buf[2 * EV_SIZE];
	struct waiter w;

	self->ufd = gas_userfault_fd(fd, GASPACE_UFD_NONBLOCK);
	ASSERT_LE(0, self->ufd);
	/* before EAGAIN */
	EXPECT_EQ(-1, read(self->ufd, buf, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, read(self->ufd, buf, EV_SIZE - 1));
	EXPECT_EQ(EINVAL, errno);
	waiter_init(&w, fd, self->mem, W_FAULT, PG(3));
	ASSERT_EQ(0, start(&w));
	ASSERT_TRUE(pending(self->ufd, TIMEOUT_MS));
	EXPECT_EQ(-1, read(self->ufd, buf, 1));
	EXPECT_EQ(EINVAL, errno);
	/* the event is still there: whole events only */
	EXPECT_EQ((ssize_t)EV_SIZE, read(self->ufd, buf, 2 * EV_SIZE - 1));
	EXPECT_EQ(PG(3), ((struct gaspace_fault_event *)buf)->gpa);
	ASSERT_EQ(0, gas_fill(fd, PG(3), PAGE_4K, NULL));
	ASSERT_EQ(0, finish(&w, TIMEOUT_MS));
	EXPECT_EQ(0, w.ret);
}

TEST_F(ufd, a_blocking_fd_checks_the_count_first)
{
	unsigned char buf[EV_SIZE];

	self->ufd = gas_userfault_fd(self->s.fd, 0);
	ASSERT_LE(0, self->ufd);
	alarm(TIMEOUT_MS / 1000);	/* a read that blocks fails the case */
	EXPECT_EQ(-1, read(self->ufd, buf, EV_SIZE - 1));
	EXPECT_EQ(EINVAL, errno);
	alarm(0);
}

TEST_F(ufd, nonblock_read_is_eagain)
{
	struct gaspace_fault_event ev;

	self->ufd = gas_userfault_fd(self->s.fd, GASPACE_UFD_NONBLOCK);
	ASSERT_LE(0, self->ufd);
	EXPECT_EQ(-1, read(self->ufd, &ev, sizeof(ev)));
	EXPECT_EQ(EAGAIN, errno);
	/* a FILL raises none */
	EXPECT_EQ(0, gas_fill(self->s.fd, PG(1), PAGE_4K, NULL));
	EXPECT_EQ(-1, read(self->ufd, &ev, sizeof(ev)));
	EXPECT_EQ(EAGAIN, errno);
}

struct blocked_read {
	int ufd;
	ssize_t ret;
	struct gaspace_fault_event ev;
};

static void *read_one(void *arg)
{
	struct blocked_read *b = arg;

	b->ret = read(b->ufd, &b->ev, sizeof(b->ev));
	return NULL;
}

TEST_F(ufd, read_blocks_until_an_event)
{
	int fd = self->s.fd;
	struct blocked_read b = { .ufd = -1 };
	struct waiter w;
	pthread_t th;

	self->ufd = gas_userfault_fd(fd, 0);
	ASSERT_LE(0, self->ufd);
	b.ufd = self->ufd;
	ASSERT_EQ(0, pthread_create(&th, NULL, read_one, &b));
	EXPECT_EQ(-ETIMEDOUT, timed_join(th, QUIET_MS));
	waiter_init(&w, fd, self->mem, W_FAULT, PG(4));
	ASSERT_EQ(0, start(&w));
	ASSERT_EQ(0, timed_join(th, TIMEOUT_MS));
	EXPECT_EQ((ssize_t)EV_SIZE, b.ret);
	EXPECT_EQ(PG(4), b.ev.gpa);
	EXPECT_EQ((__u32)GAS_PROT_R, b.ev.access);
	ASSERT_EQ(0, gas_fill(fd, PG(4), PAGE_4K, NULL));
	ASSERT_EQ(0, finish(&w, TIMEOUT_MS));
	EXPECT_EQ(0, w.ret);
}

TEST_F(ufd, read_returns_several_events)
{
	int fd = self->s.fd, i, j;
	struct gaspace_fault_event ev[4];
	struct waiter w[3];
	bool seen[3] = { false, false, false };
	ssize_t n;

	self->ufd = gas_userfault_fd(fd, GASPACE_UFD_NONBLOCK);
	ASSERT_LE(0, self->ufd);
	for (i = 0; i < 3; i++) {
		waiter_init(&w[i], fd, self->mem, i == 1 ? W_PWRITE : W_FAULT,
			    PG(50 + i) + 16);
		ASSERT_EQ(0, start(&w[i]));
	}
	ASSERT_EQ(3ULL, wait_userfaults(fd, 3));
	/* 40 bytes: one; then all the rest */
	memset(ev, 0xa5, sizeof(ev));
	EXPECT_EQ((ssize_t)EV_SIZE, read(self->ufd, ev, EV_SIZE + 8));
	n = read(self->ufd, &ev[1], 3 * EV_SIZE);
	EXPECT_EQ(2 * (ssize_t)EV_SIZE, n);
	for (i = 0; i < 3; i++) {
		for (j = 0; j < 3; j++)
			if (ev[i].gpa == PG(50 + j))
				seen[j] = true;
		EXPECT_EQ(0U, ev[i].flags);
		EXPECT_EQ(0ULL, ev[i].reserved[0] | ev[i].reserved[1]);
	}
	for (j = 0; j < 3; j++) {
		EXPECT_TRUE(seen[j]) TH_LOG("page %d", 50 + j);
	}
	EXPECT_FALSE(pending(self->ufd, 0));
	/* one FILL wakes the waiters of all its pages */
	ASSERT_EQ(0, gas_fill(fd, PG(50), 3 * PAGE_4K, NULL));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, finish(&w[i], TIMEOUT_MS));
		EXPECT_EQ(i == 1 ? 100 : 0, w[i].ret);
	}
}

TEST_F(ufd, poll_reports_a_pending_event)
{
	int fd = self->s.fd;
	struct pollfd p;
	struct waiter w;

	self->ufd = gas_userfault_fd(fd, 0);
	ASSERT_LE(0, self->ufd);
	p = (struct pollfd){ .fd = self->ufd, .events = POLLIN };
	EXPECT_EQ(0, poll(&p, 1, 0));
	waiter_init(&w, fd, self->mem, W_FAULT, PG(5));
	ASSERT_EQ(0, start(&w));
	/* a poll that sleeps is woken */
	p.revents = 0;
	ASSERT_EQ(1, poll(&p, 1, TIMEOUT_MS));
	EXPECT_EQ(POLLIN, p.revents & (POLLIN | POLLERR | POLLHUP));
	EXPECT_EQ(1, poll(&p, 1, 0));
	EXPECT_EVENT(self->ufd, PG(5), GAS_PROT_R);
	/* read: not pending any more, though the page still waits */
	EXPECT_EQ(0, poll(&p, 1, 0));
	ASSERT_EQ(0, gas_fill(fd, PG(5), PAGE_4K, NULL));
	ASSERT_EQ(0, finish(&w, TIMEOUT_MS));
	EXPECT_EQ(0, poll(&p, 1, 0));
}

TEST_F(ufd, epoll_reports_a_pending_event)
{
	int fd = self->s.fd, ep;
	struct epoll_event e = { .events = EPOLLIN }, out;
	struct waiter w;

	self->ufd = gas_userfault_fd(fd, 0);
	ASSERT_LE(0, self->ufd);
	ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	e.data.u64 = 42;
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, self->ufd, &e));
	EXPECT_EQ(0, epoll_wait(ep, &out, 1, 0));
	waiter_init(&w, fd, self->mem, W_STORE, PG(6));
	ASSERT_EQ(0, start(&w));
	ASSERT_EQ(1, epoll_wait(ep, &out, 1, TIMEOUT_MS));
	EXPECT_EQ((__u32)EPOLLIN, out.events);
	EXPECT_EQ(42ULL, (unsigned long long)out.data.u64);
	/* level-triggered: still there until read */
	EXPECT_EQ(1, epoll_wait(ep, &out, 1, 0));
	EXPECT_EVENT(self->ufd, PG(6), GASPACE_PROT_WRITE);
	EXPECT_EQ(0, epoll_wait(ep, &out, 1, 0));
	ASSERT_EQ(0, gas_fill(fd, PG(6), PAGE_4K, NULL));
	ASSERT_EQ(0, finish(&w, TIMEOUT_MS));
	EXPECT_EQ(0, w.ret);
	close(ep);
}

/* ---- a user buffer in a page that is itself waited for ---- */

TEST_F(ufd, pwrite_from_a_missing_page)
{
	int fd = self->s.fd;
	unsigned char buf[200];
	struct resolver r;
	ssize_t n;

	self->ufd = gas_userfault_fd(fd, 0);
	ASSERT_LE(0, self->ufd);
	ASSERT_EQ(0, resolver_start(&r, fd, self->ufd));
	n = gas_pwrite(fd, self->mem + 45 * PAGE_4K + 10, sizeof(buf), PLAIN);
	resolver_stop(&r);
	EXPECT_EQ((ssize_t)sizeof(buf), n);
	ASSERT_EQ(1, r.nr);
	EXPECT_EQ(PG(45), r.ev[0].gpa);
	EXPECT_EQ((__u32)GAS_PROT_R, r.ev[0].access);
	ASSERT_EQ((ssize_t)sizeof(buf), gas_pread(fd, buf, sizeof(buf), PLAIN));
	EXPECT_EQ(-1, gas_pattern_diff(buf, PG(45) + 10, sizeof(buf), SEED));
}

TEST_F(ufd, pread_into_a_missing_page)
{
	int fd = self->s.fd;
	struct resolver r;
	ssize_t n;

	self->ufd = gas_userfault_fd(fd, 0);
	ASSERT_LE(0, self->ufd);
	ASSERT_EQ(0, resolver_start(&r, fd, self->ufd));
	n = gas_pread(fd, self->mem + 46 * PAGE_4K + 10, 200, PLAIN);
	resolver_stop(&r);
	EXPECT_EQ(200, n);
	ASSERT_EQ(1, r.nr);
	EXPECT_EQ(PG(46), r.ev[0].gpa);
	EXPECT_EQ((__u32)GASPACE_PROT_WRITE, r.ev[0].access);
	/* the FILL's bytes, then the zeros of PLAIN over them */
	EXPECT_TRUE(holds_pattern(fd, PG(46), 10, SEED));
	EXPECT_EQ(-1, gas_bytes_diff(self->mem + 46 * PAGE_4K + 10, 0, 200));
	EXPECT_TRUE(holds_pattern(fd, PG(46) + 210, PAGE_4K - 210, SEED));
}

TEST_F(ufd, fill_from_a_missing_page)
{
	int fd = self->s.fd;
	struct resolver r;
	int ret;

	self->ufd = gas_userfault_fd(fd, 0);
	ASSERT_LE(0, self->ufd);
	ASSERT_EQ(0, resolver_start(&r, fd, self->ufd));
	ret = gas_fill(fd, PG(48), PAGE_4K, self->mem + 47 * PAGE_4K);
	resolver_stop(&r);
	EXPECT_EQ(0, ret);
	ASSERT_EQ(1, r.nr);
	EXPECT_EQ(PG(47), r.ev[0].gpa);
	EXPECT_EQ((__u32)GAS_PROT_R, r.ev[0].access);
	EXPECT_EQ(0, r.fill[0]);
	/* page 48 holds page 47's bytes */
	EXPECT_EQ(-1, gas_pattern_diff(self->mem + 48 * PAGE_4K, PG(47),
				       PAGE_4K, SEED));
	EXPECT_EQ(2ULL, info_of(fd).nr_data_pages);
}

/* ---- many waiters, races, a killed waiter ---- */

#define WAITERS		8

TEST_F(ufd, many_waiters_of_one_page_one_event_one_frame)
{
	static const int kinds[WAITERS] = {
		W_FAULT, W_PREAD, W_LOAD, W_FAULT, W_FAULT, W_PREAD, W_LOAD,
		W_FAULT,
	};
	int fd = self->s.fd, i;
	struct gaspace_info before, after;
	struct waiter *w = calloc(WAITERS, sizeof(*w));

	ASSERT_NE(NULL, w);
	self->ufd = gas_userfault_fd(fd, GASPACE_UFD_NONBLOCK);
	ASSERT_LE(0, self->ufd);
	before = info_of(fd);
	for (i = 0; i < WAITERS; i++) {
		waiter_init(&w[i], fd, self->mem, kinds[i],
			    PG(60) + 7 + 501 * i);
		ASSERT_EQ(0, start(&w[i]));
	}
	for (i = 0; i < WAITERS; i++)
		EXPECT_TRUE(asleep(&w[i])) TH_LOG("waiter %d", i);
	EXPECT_EVENT(self->ufd, PG(60), GAS_PROT_R);
	EXPECT_FALSE(pending(self->ufd, QUIET_MS));
	EXPECT_EQ(before.nr_userfaults + 1, info_of(fd).nr_userfaults);
	ASSERT_EQ(0, fill_pattern(fd, PG(60), 1, SEED));
	for (i = 0; i < WAITERS; i++) {
		__u64 at = PG(60) + 7 + 501 * i;

		ASSERT_EQ(0, finish(&w[i], TIMEOUT_MS));
		if (kinds[i] == W_PREAD) {
			EXPECT_EQ(100, w[i].ret);
			EXPECT_EQ(-1, gas_pattern_diff(w[i].buf, at, 100,
						       SEED));
		} else {
			EXPECT_EQ(0, w[i].ret) TH_LOG("waiter %d", i);
		}
		if (kinds[i] == W_LOAD) {
			EXPECT_EQ(gas_pattern_byte(at, SEED), w[i].buf[0]);
		}
	}
	after = info_of(fd);
	EXPECT_EQ(before.nr_userfaults + 1, after.nr_userfaults);
	EXPECT_EQ(before.nr_data_pages + 1, after.nr_data_pages);
	EXPECT_EQ(before.nr_demand_faults + 1, after.nr_demand_faults);
	EXPECT_FALSE(pending(self->ufd, 0));
	free(w);
}

#define RACE_PAGES	4
#define RACE_ITERS	100

struct fill_race {
	int fd;
	pthread_barrier_t go, done;
	long ret[RACE_ITERS];
};

static void *race_filler(void *arg)
{
	struct fill_race *r = arg;
	int i;

	for (i = 0; i < RACE_ITERS; i++) {
		pthread_barrier_wait(&r->go);
		r->ret[i] = gas_fill(r->fd, RACE, RACE_PAGES * PAGE_4K, NULL);
		pthread_barrier_wait(&r->done);
	}
	return NULL;
}

/*
 * A FILL of four pages against an UNMAP (or a MAP_REPLACE by a plain area)
 * of the second: the FILL either came first (0, three frames left) or
 * second (-ENOENT, or -EINVAL, and no frame), never in between.
 */
TEST_F(ufd, fill_racing_unmap)
{
	int fd = self->s.fd, i, won = 0;
	struct fill_race *r = calloc(1, sizeof(*r));
	struct gaspace_info start_info, before, after;
	pthread_t th;

	ASSERT_NE(NULL, r);
	r->fd = fd;
	ASSERT_EQ(0, pthread_barrier_init(&r->go, NULL, 2));
	ASSERT_EQ(0, pthread_barrier_init(&r->done, NULL, 2));
	start_info = info_of(fd);
	ASSERT_EQ(0, pthread_create(&th, NULL, race_filler, r));
	for (i = 0; i < RACE_ITERS; i++) {
		bool replace = i & 1;
		int ret;

		ASSERT_EQ(0, gas_map_alloc(fd, RACE, RACE_PAGES * PAGE_4K,
					   GAS_PROT_RW,
					   GASPACE_MAP_USERFAULT |
					   GASPACE_MAP_REPLACE));
		before = info_of(fd);
		pthread_barrier_wait(&r->go);
		if (replace)
			ret = gas_map_alloc(fd, RACE + PAGE_4K, PAGE_4K,
					    GAS_PROT_RW, GASPACE_MAP_REPLACE);
		else
			ret = gas_unmap(fd, RACE + PAGE_4K, PAGE_4K);
		pthread_barrier_wait(&r->done);
		ASSERT_EQ(0, ret);
		after = info_of(fd);
		if (!r->ret[i]) {
			won++;
			EXPECT_EQ(before.nr_data_pages + RACE_PAGES - 1,
				  after.nr_data_pages) TH_LOG("iteration %d", i);
			EXPECT_EQ(before.nr_demand_faults + RACE_PAGES,
				  after.nr_demand_faults);
		} else {
			EXPECT_EQ(replace ? -EINVAL : -ENOENT, r->ret[i])
				TH_LOG("iteration %d", i);
			EXPECT_EQ(before.nr_data_pages, after.nr_data_pages)
				TH_LOG("iteration %d", i);
			EXPECT_EQ(before.nr_demand_faults,
				  after.nr_demand_faults);
		}
		EXPECT_EQ(before.nr_areas + (replace ? 2 : 1), after.nr_areas);
		ASSERT_EQ(0, gas_unmap(fd, RACE, RACE_PAGES * PAGE_4K));
	}
	pthread_join(th, NULL);
	after = info_of(fd);
	EXPECT_EQ(start_info.nr_areas, after.nr_areas);
	EXPECT_EQ(start_info.nr_data_pages, after.nr_data_pages);
	EXPECT_EQ(start_info.nr_table_pages, after.nr_table_pages);
	EXPECT_EQ(start_info.mapped_bytes, after.mapped_bytes);
	EXPECT_EQ(0ULL, after.nr_userfaults);
	printf("# FILL first in %d of %d\n", won, RACE_ITERS);
	pthread_barrier_destroy(&r->go);
	pthread_barrier_destroy(&r->done);
	free(r);
}

TEST_F(ufd, a_killed_waiter_leaves_its_event)
{
	int fd = self->s.fd, status = 0, i;
	pid_t pid, got = 0;

	self->ufd = gas_userfault_fd(fd, GASPACE_UFD_NONBLOCK);
	ASSERT_LE(0, self->ufd);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(-gas_fault(fd, PG(10) + 1, GASPACE_PROT_WRITE));
	ASSERT_TRUE(pending(self->ufd, TIMEOUT_MS));
	sleep_ms(QUIET_MS);
	ASSERT_EQ(0, kill(pid, SIGKILL));
	for (i = 0; i < TIMEOUT_MS && !got; i++) {
		got = waitpid(pid, &status, WNOHANG);
		if (!got)
			sleep_ms(1);
	}
	ASSERT_EQ(pid, got) TH_LOG("the waiter did not die");
	EXPECT_TRUE(WIFSIGNALED(status));
	EXPECT_EQ(SIGKILL, WTERMSIG(status));
	EXPECT_EVENT(self->ufd, PG(10), GASPACE_PROT_WRITE);
	EXPECT_EQ(1ULL, info_of(fd).nr_userfaults);
	ASSERT_EQ(0, fill_pattern(fd, PG(10), 1, SEED));
	EXPECT_EQ(0, gas_fault(fd, PG(10), GASPACE_PROT_WRITE));
	EXPECT_TRUE(holds_pattern(fd, PG(10), PAGE_4K, SEED));
	EXPECT_EQ(1ULL, info_of(fd).nr_data_pages);
	EXPECT_FALSE(pending(self->ufd, 0));
}

TEST_F(ufd, the_fd_outlives_the_space_fd)
{
	struct gaspace_fault_event ev;

	self->ufd = gas_userfault_fd(self->s.fd, GASPACE_UFD_NONBLOCK);
	ASSERT_LE(0, self->ufd);
	munmap(self->mem, UF_SIZE);
	self->mem = NULL;
	close(self->s.fd);
	self->s.fd = -1;
	EXPECT_EQ(-1, read(self->ufd, &ev, sizeof(ev)));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(0, close(self->ufd));
	self->ufd = -1;
}

TEST_HARNESS_MAIN
