// SPDX-License-Identifier: GPL-2.0
/*
 * gaspace_bench: gaspace against the kernel's own memory management.
 *
 * Every figure times gaspace and its baseline interleaved, repetition by
 * repetition, in the same boot, and reports the median of each.  The ratio
 * lines come first (what `make bench` checks against its targets), then the
 * scaling runs as CSV between markers for the host to chart:
 *
 *   ratio NAME VALUE
 *     gaspace A UNIT, baseline B UNIT
 *   area_bytes N
 *   GASPACE-BENCH-CSV-BEGIN
 *   series,x,gaspace,baseline,unit
 *   ...
 *   GASPACE-BENCH-CSV-END
 *
 * Environment: BENCH_REPS (5) repetitions per figure, BENCH_SCALE_REPS (3)
 * per scaling point, BENCH_MAX_AREAS (1000000) and BENCH_MAX_MIB (1024) the
 * largest scaling points, BENCH_NOSCALE=1 skips the scaling runs,
 * BENCH_ONLY=populate|populate_2m|fault|fault_parallel|translate_1|
 * translate_100k|unmap|pread|table_pages|dirty_harvest|userfault_rtt|
 * discard|seek_data, or several with commas, runs only those (a
 * profile).  fault_parallel runs one thread per vCPU of the bench VM,
 * which has 2.
 */
#include <fcntl.h>
#include <linux/falloc.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <time.h>
#include <linux/userfaultfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include "gaspace_util.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE	23
#endif

#define MIB		(1024ULL * 1024)
#define SPACE_SIZE	(1024ULL * 1024 * MIB)	/* 1 TiB */
#define MAX_REPS	64

static int dev_fd = -1;
static int reps = 5;
static int scale_reps = 3;

static void die(const char *what, long err)
{
	fprintf(stderr, "gaspace_bench: %s: %s\n", what,
		err < 0 ? strerror(-err) : strerror(errno));
	exit(1);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n & 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static long env_long(const char *name, long def)
{
	const char *s = getenv(name);

	return s && *s ? strtol(s, NULL, 0) : def;
}

static int new_space(void)
{
	int fd = gas_create(dev_fd, GASPACE_FMT_EPT, 48, 0, SPACE_SIZE);

	if (fd < 0)
		die("GASPACE_CREATE", fd);
	return fd;
}

/* Closes the space @fd once AUDIT found its table healthy. */
static void close_space(int fd)
{
	int ret = gas_audit_clean(fd);

	if (ret)
		die("GASPACE_AUDIT", ret == -1 ? -EUCLEAN : ret);
	close(fd);
}

static void map_alloc(int fd, __u64 gpa, __u64 size, __u32 flags)
{
	int ret = gas_map_alloc(fd, gpa, size, GAS_PROT_RW, flags);

	if (ret)
		die("GASPACE_MAP_ALLOC", ret);
}

/* Anonymous memory of @size, 2 MiB aligned, with THP on or off. */
static void *anon(size_t size, int advice)
{
	char *p = mmap(NULL, size + SZ_2M, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *a;

	if (p == MAP_FAILED)
		die("mmap", 0);
	a = (char *)(((uintptr_t)p + SZ_2M - 1) & ~(uintptr_t)(SZ_2M - 1));
	if (a != p)
		munmap(p, a - p);
	munmap(a + size, p + SZ_2M - a);
	if (advice && madvise(a, size, advice))
		die("madvise", 0);
	return a;
}

static void populate(void *p, size_t size)
{
	if (madvise(p, size, MADV_POPULATE_WRITE))
		die("MADV_POPULATE_WRITE", 0);
}

/* ---- one measurement of each operation, in ns ---------------------------- */

static double gas_populate(__u64 size, __u32 flags)
{
	int fd = new_space();
	double t = now_ns();

	map_alloc(fd, 0, size, GASPACE_MAP_POPULATE | flags);
	t = now_ns() - t;
	close_space(fd);
	return t;
}

static double anon_populate(size_t size, int advice)
{
	char *p = anon(size, advice);
	double t = now_ns();

	populate(p, size);
	t = now_ns() - t;
	munmap(p, size);
	return t;
}

static double memset_present(size_t size)
{
	char *p = anon(size, MADV_NOHUGEPAGE);
	double t;

	populate(p, size);
	t = now_ns();
	memset(p, 0, size);
	asm volatile("" : : "r"(p) : "memory");
	t = now_ns() - t;
	munmap(p, size);
	return t;
}

static double gas_fault_ioctl(__u64 size)
{
	int fd = new_space();
	__u64 gpa;
	double t;

	map_alloc(fd, 0, size, 0);
	t = now_ns();
	for (gpa = 0; gpa < size; gpa += PAGE_4K) {
		int ret = gas_fault(fd, gpa, GASPACE_PROT_WRITE);

		if (ret)
			die("GASPACE_FAULT", ret);
	}
	t = now_ns() - t;
	close_space(fd);
	return t / (size / PAGE_4K);
}

static double touch_pages(char *p, size_t size)
{
	double t = now_ns();
	size_t off;

	for (off = 0; off < size; off += PAGE_4K) {
		p[off] = 1;
		asm volatile("" : : "r"(p + off) : "memory");
	}
	return now_ns() - t;
}

static double anon_fault(__u64 size)
{
	char *p = anon(size, MADV_NOHUGEPAGE);
	double t = touch_pages(p, size);

	munmap(p, size);
	return t / (size / PAGE_4K);
}

static double gas_fault_mmap(__u64 size)
{
	int fd = new_space();
	char *p;
	double t;

	map_alloc(fd, 0, size, 0);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		die("mmap of the space", 0);
	t = touch_pages(p, size);
	munmap(p, size);
	close_space(fd);
	return t / (size / PAGE_4K);
}

static double gas_unmap_time(__u64 size)
{
	int fd = new_space();
	double t;
	int ret;

	map_alloc(fd, 0, size, GASPACE_MAP_POPULATE);
	t = now_ns();
	ret = gas_unmap(fd, 0, size);
	t = now_ns() - t;
	if (ret)
		die("GASPACE_UNMAP", ret);
	close_space(fd);
	return t;
}

static double anon_unmap_time(__u64 size)
{
	char *p = anon(size, MADV_NOHUGEPAGE);
	double t;

	populate(p, size);
	t = now_ns();
	munmap(p, size);
	return now_ns() - t;
}

static double pread_time(int fd, void *buf, size_t size)
{
	double t = now_ns();
	ssize_t n = pread(fd, buf, size, 0);

	t = now_ns() - t;
	if (n != (ssize_t)size)
		die("pread", n < 0 ? -errno : -EIO);
	return t;
}

/* ---- fault_parallel: two threads on distinct pages of one space ---------- */

#define FAULTERS	2	/* the bench VM's vCPUs */

/*
 * Thread @nr of FAULTERS faults pages nr, nr + FAULTERS, nr + 2 * FAULTERS,
 * ... of @size bytes: through GASPACE_FAULT on @fd, or by a write at @p
 * where @fd is -1.  Interleaved pages rather than halves, so that the
 * threads fault in the same 2 MiB blocks at once and share (and race to
 * build) their table pages: the harder case.
 */
struct faulter {
	pthread_t thread;
	pthread_barrier_t *start;
	int fd;
	char *p;
	__u64 size;
	int nr;
	double t0, t1;	/* out of the barrier, done */
};

static void *faulter_run(void *arg)
{
	struct faulter *f = arg;
	__u64 off;
	int ret;

	pthread_barrier_wait(f->start);
	f->t0 = now_ns();
	for (off = f->nr * PAGE_4K; off < f->size; off += FAULTERS * PAGE_4K) {
		if (f->fd < 0) {
			f->p[off] = 1;
			asm volatile("" : : "r"(f->p + off) : "memory");
			continue;
		}
		ret = gas_fault(f->fd, off, GAS_PROT_RW);
		if (ret)
			die("GASPACE_FAULT", ret);
	}
	f->t1 = now_ns();
	return NULL;
}

/*
 * FAULTERS threads over @size bytes, in ns per page of the wall time from
 * the first thread out of the start barrier to the last one done: thread
 * creation and the joins are not timed.
 */
static double fault_threads(int fd, char *p, __u64 size)
{
	struct faulter f[FAULTERS];
	pthread_barrier_t start;
	double t0, t1;
	int i, ret;

	pthread_barrier_init(&start, NULL, FAULTERS);
	for (i = 0; i < FAULTERS; i++) {
		f[i] = (struct faulter){ .start = &start, .fd = fd, .p = p,
					 .size = size, .nr = i };
		ret = pthread_create(&f[i].thread, NULL, faulter_run, &f[i]);
		if (ret)
			die("pthread_create", -ret);
	}
	for (i = 0; i < FAULTERS; i++)
		pthread_join(f[i].thread, NULL);
	pthread_barrier_destroy(&start);
	t0 = f[0].t0;
	t1 = f[0].t1;
	for (i = 1; i < FAULTERS; i++) {
		t0 = f[i].t0 < t0 ? f[i].t0 : t0;
		t1 = f[i].t1 > t1 ? f[i].t1 : t1;
	}
	return (t1 - t0) / (size / PAGE_4K);
}

static double gas_fault_parallel(__u64 size)
{
	int fd = new_space();
	double t;

	map_alloc(fd, 0, size, 0);
	t = fault_threads(fd, NULL, size);
	close_space(fd);
	return t;
}

static double anon_fault_parallel(__u64 size)
{
	char *p = anon(size, MADV_NOHUGEPAGE);
	double t = fault_threads(-1, p, size);

	munmap(p, size);
	return t;
}

/* ---- translate: @n one-page areas, the translated ones populated --------- */

#define HOT_AREAS	256
#define AREA_STRIDE	(2 * PAGE_4K)

struct tspace {
	int fd;
	long n;
	__u64 hot[HOT_AREAS];
	int nhot;
};

static long long slab_bytes(void)
{
	char line[256];
	long long kb = -1;
	FILE *f;

	gas_write_string("/proc/sys/vm/stat_refresh", "1");
	f = fopen("/proc/meminfo", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Slab: %lld kB", &kb) == 1)
			break;
	fclose(f);
	return kb * 1024;
}

/* Builds the space; *slab_growth gets Slab's growth over the lazy areas. */
static void tspace_build(struct tspace *ts, long n, long long *slab_growth)
{
	long long before = 0;
	long i;

	ts->fd = new_space();
	ts->n = n;
	ts->nhot = n < HOT_AREAS ? n : HOT_AREAS;
	if (slab_growth)
		before = slab_bytes();
	for (i = 0; i < n; i++)
		map_alloc(ts->fd, i * AREA_STRIDE, PAGE_4K, 0);
	if (slab_growth)
		*slab_growth = slab_bytes() - before;
	for (i = 0; i < ts->nhot; i++) {
		int ret;

		ts->hot[i] = (i * (n / ts->nhot)) * AREA_STRIDE;
		ret = gas_fault(ts->fd, ts->hot[i], GASPACE_PROT_WRITE);
		if (ret)
			die("GASPACE_FAULT", ret);
	}
}

#define TRANSLATE_LOOPS	20000

static double translate_time(const struct tspace *ts)
{
	struct gaspace_translation t;
	double start = now_ns();
	int i;

	for (i = 0; i < TRANSLATE_LOOPS; i++) {
		memset(&t, 0, sizeof(t));
		t.gpa = ts->hot[i % ts->nhot] + 8;
		if (ioctl(ts->fd, GASPACE_TRANSLATE, &t))
			die("GASPACE_TRANSLATE", -errno);
	}
	return (now_ns() - start) / TRANSLATE_LOOPS;
}

static double noop_ioctl_time(void)
{
	struct gaspace_translation t;
	double start = now_ns();
	int i;

	for (i = 0; i < TRANSLATE_LOOPS; i++) {
		memset(&t, 0, sizeof(t));
		if (ioctl(dev_fd, GASPACE_GET_API_VERSION, 0) != GASPACE_API_VERSION)
			die("GASPACE_GET_API_VERSION", -errno);
		asm volatile("" : : "r"(&t) : "memory");
	}
	return (now_ns() - start) / TRANSLATE_LOOPS;
}

/* ---- table pages: scattered mappings against the fewest tables ----------- */

static __u64 rng = 0x9e3779b97f4a7c15ULL;

static __u64 next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

/* Distinct values of gpa >> shift over sorted @gpa. */
static long distinct(const __u64 *gpa, int n, int shift)
{
	long count = 0;
	int i;

	for (i = 0; i < n; i++)
		if (!i || gpa[i] >> shift != gpa[i - 1] >> shift)
			count++;
	return count;
}

#define SCATTER	512

/*
 * 2 * SCATTER one-page populated areas at random spots (some close, some
 * far), then every other one unmapped: a table that empties must go.  The
 * minimum for what is left is the root plus one table per distinct 512 GiB,
 * 1 GiB and 2 MiB region (4-level EPT).
 */
static void table_pages(double *got, double *min)
{
	static __u64 gpa[2 * SCATTER], left[SCATTER];
	struct gaspace_info info;
	int fd = new_space(), i, n = 0, ret;

	for (i = 0; i < 2 * SCATTER; i++) {
		__u64 g = next_rand() % (SPACE_SIZE / PAGE_4K) * PAGE_4K;

		if (i & 1)	/* a neighbour: shares tables */
			g = (gpa[i - 1] + (next_rand() % 1024) * PAGE_4K) %
			    SPACE_SIZE;
		if (gas_map_alloc(fd, g, PAGE_4K, GAS_PROT_RW,
				  GASPACE_MAP_POPULATE) == -EEXIST) {
			i--;
			continue;
		}
		gpa[i] = g;
	}
	for (i = 0; i < 2 * SCATTER; i++) {
		if (i & 1) {
			ret = gas_unmap(fd, gpa[i], PAGE_4K);
			if (ret)
				die("GASPACE_UNMAP", ret);
		} else {
			left[n++] = gpa[i];
		}
	}
	ret = gas_get_info(fd, &info);
	if (ret)
		die("GASPACE_GET_INFO", ret);
	qsort(left, n, sizeof(left[0]), cmp_u64);
	*got = info.nr_table_pages;
	*min = 1 + distinct(left, n, 39) + distinct(left, n, 30) +
	       distinct(left, n, 21);
	close_space(fd);
}

/* ---- harvesting a dirty log --------------------------------------------- */

#define HARVEST_SIZE	(1024 * MIB)
#define HARVEST_STRIDE	100		/* 1 % of the pages are written */

/* The writes a round of a migration sees: one byte in every 100th page. */
static void write_one_in_100(char *p, size_t size)
{
	size_t i;

	for (i = 0; i < size / PAGE_4K; i += HARVEST_STRIDE)
		__atomic_fetch_add(&p[i * PAGE_4K], 1, __ATOMIC_RELAXED);
}

static size_t count_bits(const __u64 *w, size_t n)
{
	size_t i, c = 0;

	for (i = 0; i < n; i++)
		c += __builtin_popcountll(w[i]);
	return c;
}

/*
 * GET_DIRTY_LOG with CLEAR over 1 GiB of RAM that the VMM has mapped, after
 * its stores to 1 % of the pages.
 */
static double gas_dirty_harvest(void)
{
	size_t words = HARVEST_SIZE / PAGE_4K / 64;
	__u64 *bits = malloc(words * sizeof(*bits));
	int fd = new_space(), ret;
	char *p;
	double t;

	map_alloc(fd, 0, HARVEST_SIZE, GASPACE_MAP_POPULATE);
	p = mmap(NULL, HARVEST_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (!bits || p == MAP_FAILED)
		die("mmap", 0);
	ret = gas_dirty_log_enable(fd, 0, HARVEST_SIZE);
	if (ret)
		die("GASPACE_DIRTY_LOG_ENABLE", ret);
	if (madvise(p, HARVEST_SIZE, MADV_POPULATE_READ))
		die("MADV_POPULATE_READ", 0);
	write_one_in_100(p, HARVEST_SIZE);
	t = now_ns();
	ret = gas_get_dirty_log(fd, 0, HARVEST_SIZE, bits,
				GASPACE_DIRTY_CLEAR);
	t = now_ns() - t;
	if (ret || count_bits(bits, words) !=
		   (HARVEST_SIZE / PAGE_4K + HARVEST_STRIDE - 1) / HARVEST_STRIDE)
		die("GASPACE_GET_DIRTY_LOG", ret);
	munmap(p, HARVEST_SIZE);
	close_space(fd);
	free(bits);
	return t;
}

#define CLEAR_REFS	"/proc/self/clear_refs"

/* Clear the soft-dirty bits of the whole process ("4"). */
static void soft_dirty_clear(void)
{
	int fd = open(CLEAR_REFS, O_WRONLY);

	if (fd < 0 || write(fd, "4", 1) != 1)
		die(CLEAR_REFS, 0);
	close(fd);
}

/*
 * What a VMM does without a dirty log for anonymous RAM: the soft-dirty
 * bits of /proc/self/pagemap over the same 1 GiB, then clear_refs to start
 * the next round.
 */
static double anon_dirty_harvest(void)
{
	size_t n = HARVEST_SIZE / PAGE_4K, i, dirty = 0;
	__u64 *map = malloc(n * sizeof(*map));
	char *p = anon(HARVEST_SIZE, MADV_NOHUGEPAGE);
	int fd = open("/proc/self/pagemap", O_RDONLY);
	double t;

	if (!map || fd < 0)
		die("/proc/self/pagemap", 0);
	populate(p, HARVEST_SIZE);
	soft_dirty_clear();
	write_one_in_100(p, HARVEST_SIZE);
	t = now_ns();
	if (pread(fd, map, n * sizeof(*map),
		  (uintptr_t)p / PAGE_4K * sizeof(*map)) !=
	    (ssize_t)(n * sizeof(*map)))
		die("pread pagemap", 0);
	for (i = 0; i < n; i++)
		dirty += map[i] >> 55 & 1;
	soft_dirty_clear();
	t = now_ns() - t;
	if (dirty < n / HARVEST_STRIDE)
		die("soft-dirty bits", 0);
	close(fd);
	munmap(p, HARVEST_SIZE);
	free(map);
	return t;
}

/* ---- userfault_rtt: a missing page supplied by another thread ------------ */

#define UF_PAGES	1024

/*
 * The thread that supplies the pages: it reads UF_PAGES events one by one
 * (the faulting thread waits for each) and resolves each with a copy of
 * @src: FILL through gaspace's userfault fd of @as, or UFFDIO_COPY through
 * the userfaultfd @fd where @as is -1.
 */
struct uf_server {
	pthread_t thread;
	int fd;
	int as;
	char *src;
};

static void *uf_serve(void *arg)
{
	struct uf_server *s = arg;
	int i;

	for (i = 0; i < UF_PAGES; i++) {
		struct gaspace_fault_event ev;
		struct gaspace_fill fill = {
			.size = PAGE_4K, .src = (__u64)(uintptr_t)s->src,
		};
		struct uffdio_copy copy = {
			.src = (__u64)(uintptr_t)s->src, .len = PAGE_4K,
		};
		struct uffd_msg msg;

		if (s->as >= 0) {
			if (read(s->fd, &ev, sizeof(ev)) != sizeof(ev))
				die("read of the userfault fd", 0);
			fill.gpa = ev.gpa;
			if (ioctl(s->as, GASPACE_FILL, &fill))
				die("GASPACE_FILL", -errno);
			continue;
		}
		if (read(s->fd, &msg, sizeof(msg)) != sizeof(msg) ||
		    msg.event != UFFD_EVENT_PAGEFAULT)
			die("read of the userfaultfd", 0);
		copy.dst = msg.arg.pagefault.address & ~(PAGE_4K - 1);
		if (ioctl(s->fd, UFFDIO_COPY, &copy))
			die("UFFDIO_COPY", -errno);
	}
	return NULL;
}

static void uf_server_start(struct uf_server *s, int fd, int as, char *src)
{
	int ret;

	*s = (struct uf_server){ .fd = fd, .as = as, .src = src };
	ret = pthread_create(&s->thread, NULL, uf_serve, s);
	if (ret)
		die("pthread_create", -ret);
}

/*
 * GASPACE_FAULT (a store) of each page of a USERFAULT area, each page
 * FILLed by the server thread: ns per page.
 */
static double gas_userfault_rtt(char *src)
{
	__u64 size = UF_PAGES * PAGE_4K, gpa;
	struct uf_server s;
	int fd = new_space();
	long ufd;
	double t;

	map_alloc(fd, 0, size, GASPACE_MAP_USERFAULT);
	ufd = gas_ioctl(fd, GASPACE_USERFAULT_FD, 0);
	if (ufd < 0)
		die("GASPACE_USERFAULT_FD", ufd);
	uf_server_start(&s, ufd, fd, src);
	t = now_ns();
	for (gpa = 0; gpa < size; gpa += PAGE_4K) {
		int ret = gas_fault(fd, gpa, GASPACE_PROT_WRITE);

		if (ret)
			die("GASPACE_FAULT", ret);
	}
	t = now_ns() - t;
	pthread_join(s.thread, NULL);
	close(ufd);
	close_space(fd);
	return t / UF_PAGES;
}

/*
 * A store to each page of anonymous memory registered with a userfaultfd
 * (MISSING), each page UFFDIO_COPYed by the server thread: ns per page.
 */
static double anon_userfault_rtt(char *src)
{
	size_t size = UF_PAGES * PAGE_4K;
	char *p = anon(size, MADV_NOHUGEPAGE);
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = {
		.range = { .start = (__u64)(uintptr_t)p, .len = size },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};
	struct uf_server s;
	int ufd = syscall(SYS_userfaultfd, O_CLOEXEC);
	double t;

	if (ufd < 0)
		die("userfaultfd", 0);
	if (ioctl(ufd, UFFDIO_API, &api) || ioctl(ufd, UFFDIO_REGISTER, &reg))
		die("UFFDIO_API, UFFDIO_REGISTER", -errno);
	uf_server_start(&s, ufd, -1, src);
	t = touch_pages(p, size);
	pthread_join(s.thread, NULL);
	close(ufd);
	munmap(p, size);
	return t / UF_PAGES;
}

/* ---- the fd as a file: discard and SEEK_DATA against a memfd ------------ */

#define SEEK_SIZE	(1024 * MIB)
#define SEEK_STRIDE	100		/* 1 % of the pages have data */

/* fallocate(PUNCH_HOLE) of @size bytes of @fd at @off, populated. */
static double punch_time(int fd, __u64 off, __u64 size)
{
	double t = now_ns();
	int ret = fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			    (off_t)off, (off_t)size);

	t = now_ns() - t;
	if (ret)
		die("fallocate(PUNCH_HOLE)", -errno);
	return t;
}

static double gas_discard_time(__u64 size)
{
	int fd = new_space();
	double t;

	map_alloc(fd, 0, size, GASPACE_MAP_POPULATE);
	t = punch_time(fd, 0, size);
	close_space(fd);
	return t;
}

static double memfd_discard_time(__u64 size)
{
	int fd = memfd_create("bench", 0);
	double t;

	if (fd < 0 || ftruncate(fd, (off_t)size) ||
	    fallocate(fd, 0, 0, (off_t)size))
		die("memfd", -errno);
	t = punch_time(fd, 0, size);
	close(fd);
	return t;
}

/* A byte in every SEEK_STRIDE-th page of [0, SEEK_SIZE) of @fd. */
static void write_sparse(int fd)
{
	__u64 off;

	for (off = 0; off < SEEK_SIZE; off += SEEK_STRIDE * PAGE_4K)
		if (pwrite(fd, "s", 1, (off_t)off) != 1)
			die("pwrite", -errno);
}

/* The data runs of [0, SEEK_SIZE) of @fd, listed with SEEK_DATA/HOLE. */
static double seek_list_time(int fd)
{
	off_t data, hole = 0;
	long runs = 0;
	double t = now_ns();

	while ((data = lseek(fd, hole, SEEK_DATA)) >= 0) {
		hole = lseek(fd, data, SEEK_HOLE);
		if (hole < 0)
			die("lseek(SEEK_HOLE)", -errno);
		runs++;
	}
	t = now_ns() - t;
	if (errno != ENXIO ||
	    runs != (long)((SEEK_SIZE / PAGE_4K + SEEK_STRIDE - 1) /
			   SEEK_STRIDE))
		die("lseek(SEEK_DATA)", -errno);
	return t;
}

/* ---- reporting ---------------------------------------------------------- */

static void report(const char *name, const double *g, const double *b, int n,
		   double scale, const char *unit)
{
	double gv[MAX_REPS], bv[MAX_REPS], mg, mb;

	memcpy(gv, g, n * sizeof(*g));
	memcpy(bv, b, n * sizeof(*b));
	mg = median(gv, n) / scale;
	mb = median(bv, n) / scale;
	printf("ratio %s %.2f\n  gaspace %.*f %s, baseline %.*f %s\n", name,
	       mg / mb, mg < 100 ? 2 : 0, mg, unit, mb < 100 ? 2 : 0, mb,
	       unit);
	fflush(stdout);
}

#define BIG		(256 * MIB)
#define SMALL		(16 * MIB)
#define PREAD_SIZE	(64 * MIB)

static double g[MAX_REPS], b[MAX_REPS];
static double area_bytes = -1;	/* printed last */

static void fig_populate(void)
{
	int i;

	for (i = 0; i < reps; i++) {
		g[i] = gas_populate(BIG, 0);
		b[i] = anon_populate(BIG, MADV_NOHUGEPAGE);
	}
	report("populate_4k", g, b, reps, 1e6, "ms");
	for (i = 0; i < reps; i++)
		b[i] = memset_present(BIG);
	report("populate_floor", g, b, reps, 1e6, "ms");
}

static void fig_populate_2m(void)
{
	int i;

	for (i = 0; i < reps; i++) {
		g[i] = gas_populate(BIG, GASPACE_MAP_HUGE);
		b[i] = anon_populate(BIG, MADV_HUGEPAGE);
	}
	report("populate_2m", g, b, reps, 1e6, "ms");
}

/*
 * Figure @name: @gas and @anon in turn, @reps times each, over @size bytes;
 * their medians reported in @unit (nanoseconds / @scale).
 */
static void compare(const char *name, double (*gas)(__u64),
		    double (*anon)(__u64), __u64 size, double scale,
		    const char *unit)
{
	int i;

	for (i = 0; i < reps; i++) {
		g[i] = gas(size);
		b[i] = anon(size);
	}
	report(name, g, b, reps, scale, unit);
}

static void fig_fault(void)
{
	compare("fault_ioctl", gas_fault_ioctl, anon_fault, SMALL, 1,
		"ns/page");
	compare("fault_mmap", gas_fault_mmap, anon_fault, SMALL, 1, "ns/page");
}

static void fig_fault_parallel(void)
{
	compare("fault_parallel", gas_fault_parallel, anon_fault_parallel,
		SMALL, 1, "ns/page");
}

static void fig_translate_1(void)
{
	struct tspace one;
	int i;

	tspace_build(&one, 1, NULL);
	for (i = 0; i < reps; i++) {
		g[i] = translate_time(&one);
		b[i] = noop_ioctl_time();
	}
	report("translate_1", g, b, reps, 1, "ns");
	close_space(one.fd);
}

static void fig_translate_100k(void)
{
	double s[MAX_REPS];
	struct tspace big, one;
	long long slab;
	int i;

	tspace_build(&one, 1, NULL);
	for (i = 0; i < reps; i++) {
		tspace_build(&big, 100000, &slab);
		s[i] = slab;
		g[i] = translate_time(&big);
		b[i] = translate_time(&one);
		close_space(big.fd);
	}
	report("translate_100k", g, b, reps, 1, "ns");
	close_space(one.fd);
	area_bytes = median(s, reps) / 100000;
}

static void fig_unmap(void)
{
	compare("unmap", gas_unmap_time, anon_unmap_time, BIG, 1e6, "ms");
}

static void fig_pread(void)
{
	int fd = new_space(), mfd, i;
	char *buf;

	map_alloc(fd, 0, PREAD_SIZE, GASPACE_MAP_POPULATE);
	buf = anon(PREAD_SIZE, 0);
	populate(buf, PREAD_SIZE);
	memset(buf, 0x5a, PREAD_SIZE);
	if (pwrite(fd, buf, PREAD_SIZE, 0) != (ssize_t)PREAD_SIZE)
		die("pwrite", 0);
	mfd = memfd_create("bench", 0);
	if (mfd < 0 || pwrite(mfd, buf, PREAD_SIZE, 0) != (ssize_t)PREAD_SIZE)
		die("memfd", 0);
	for (i = 0; i < reps; i++) {
		g[i] = pread_time(fd, buf, PREAD_SIZE);
		b[i] = pread_time(mfd, buf, PREAD_SIZE);
	}
	report("pread", g, b, reps, 1e6, "ms");
	close(mfd);
	close_space(fd);
	munmap(buf, PREAD_SIZE);
}

static void fig_dirty_harvest(void)
{
	int i;

	for (i = 0; i < reps; i++) {
		g[i] = gas_dirty_harvest();
		b[i] = anon_dirty_harvest();
	}
	report("dirty_harvest", g, b, reps, 1e6, "ms");
}

static void fig_userfault_rtt(void)
{
	cpu_set_t all, one;
	char *src;
	int i;

	if (gas_ioctl(dev_fd, GASPACE_CHECK_EXTENSION,
		      GASPACE_CAP_USERFAULT) != 1) {
		printf("userfault_rtt: no GASPACE_CAP_USERFAULT, not measured\n");
		return;
	}
	/*
	 * Both threads on one CPU (the server inherits it): the figure is
	 * the round trip's own work, two context switches included, not
	 * the wake-up of an idle vCPU, which under TCG costs hundreds of
	 * microseconds and varies tenfold from run to run.
	 */
	if (sched_getaffinity(0, sizeof(all), &all))
		die("sched_getaffinity", 0);
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	if (sched_setaffinity(0, sizeof(one), &one))
		die("sched_setaffinity", 0);
	/* page aligned, as UFFDIO_COPY wants its source */
	src = mmap(NULL, PAGE_4K, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (src == MAP_FAILED)
		die("mmap", 0);
	memset(src, 0x5a, PAGE_4K);
	for (i = 0; i < reps; i++) {
		g[i] = gas_userfault_rtt(src);
		b[i] = anon_userfault_rtt(src);
	}
	report("userfault_rtt", g, b, reps, 1, "ns/page");
	munmap(src, PAGE_4K);
	sched_setaffinity(0, sizeof(all), &all);
}

static void fig_table_pages(void)
{
	int i;

	for (i = 0; i < reps; i++)
		table_pages(&g[i], &b[i]);
	report("table_pages", g, b, reps, 1, "pages");
}

static void fig_discard(void)
{
	compare("discard", gas_discard_time, memfd_discard_time, 256 * MIB,
		1e6, "ms");
}

static void fig_seek_data(void)
{
	int fd = gas_create(dev_fd, GASPACE_FMT_EPT, 48, 0, SEEK_SIZE);
	int mfd = memfd_create("bench", 0), i;

	if (fd < 0 || mfd < 0 || ftruncate(mfd, SEEK_SIZE))
		die("seek_data space", fd < 0 ? fd : -errno);
	map_alloc(fd, 0, SEEK_SIZE, 0);
	write_sparse(fd);
	write_sparse(mfd);
	for (i = 0; i < reps; i++) {
		g[i] = seek_list_time(fd);
		b[i] = seek_list_time(mfd);
	}
	report("seek_data", g, b, reps, 1e6, "ms");
	close(mfd);
	close_space(fd);
}

/* In the order of the performance goals; BENCH_ONLY=name runs one. */
static const struct {
	const char *name;
	void (*run)(void);
} figure[] = {
	{ "populate", fig_populate },
	{ "populate_2m", fig_populate_2m },
	{ "fault", fig_fault },
	{ "fault_parallel", fig_fault_parallel },
	{ "translate_1", fig_translate_1 },
	{ "translate_100k", fig_translate_100k },
	{ "unmap", fig_unmap },
	{ "pread", fig_pread },
	{ "table_pages", fig_table_pages },
	{ "dirty_harvest", fig_dirty_harvest },
	{ "userfault_rtt", fig_userfault_rtt },
	{ "discard", fig_discard }, { "seek_data", fig_seek_data },
};

/* Whether @name is one of the comma-separated names of BENCH_ONLY. */
static bool wanted(const char *name)
{
	const char *only = getenv("BENCH_ONLY"), *p;
	size_t len = strlen(name);

	if (!only || !*only)
		return true;
	for (p = only; (p = strstr(p, name)); p += len)
		if ((p == only || p[-1] == ',') && (!p[len] || p[len] == ','))
			return true;
	return false;
}

static void figures(void)
{
	size_t i;

	for (i = 0; i < ARRAY_LEN(figure); i++)
		if (wanted(figure[i].name))
			figure[i].run();
	if (area_bytes >= 0)
		printf("area_bytes %.0f\n", area_bytes);
	fflush(stdout);
}

/* ---- scaling ------------------------------------------------------------ */

static void csv(const char *series, double x, double *g, double *b, int n,
		double scale, const char *unit)
{
	printf("%s,%.0f,%.3f,%.3f,%s\n", series, x, median(g, n) / scale,
	       median(b, n) / scale, unit);
	fflush(stdout);
}

static void scaling(void)
{
	long max_areas = env_long("BENCH_MAX_AREAS", 1000000);
	long max_mib = env_long("BENCH_MAX_MIB", 1024);
	struct tspace one, ts;
	long mib, n;
	int i;

	printf("GASPACE-BENCH-CSV-BEGIN\nseries,x,gaspace,baseline,unit\n");
	for (mib = 16; mib <= max_mib; mib *= 2) {
		for (i = 0; i < scale_reps; i++) {
			g[i] = gas_populate(mib * MIB, 0);
			b[i] = anon_populate(mib * MIB, MADV_NOHUGEPAGE);
		}
		csv("populate_4k", mib, g, b, scale_reps, 1e6, "ms");
		for (i = 0; i < scale_reps; i++) {
			g[i] = gas_populate(mib * MIB, GASPACE_MAP_HUGE);
			b[i] = anon_populate(mib * MIB, MADV_HUGEPAGE);
		}
		csv("populate_2m", mib, g, b, scale_reps, 1e6, "ms");
		for (i = 0; i < scale_reps; i++) {
			g[i] = gas_unmap_time(mib * MIB);
			b[i] = anon_unmap_time(mib * MIB);
		}
		csv("unmap", mib, g, b, scale_reps, 1e6, "ms");
	}
	tspace_build(&one, 1, NULL);
	for (n = 1; n <= max_areas; n *= 10) {
		tspace_build(&ts, n, NULL);
		for (i = 0; i < scale_reps; i++) {
			g[i] = translate_time(&ts);
			b[i] = translate_time(&one);
		}
		csv("translate", n, g, b, scale_reps, 1, "ns");
		close_space(ts.fd);
	}
	close_space(one.fd);
	printf("GASPACE-BENCH-CSV-END\n");
	fflush(stdout);
}

int main(void)
{
	reps = env_long("BENCH_REPS", 5);
	scale_reps = env_long("BENCH_SCALE_REPS", 3);
	if (reps < 1 || reps > MAX_REPS || scale_reps < 1 ||
	    scale_reps > MAX_REPS) {
		fprintf(stderr, "gaspace_bench: BENCH_REPS 1..%d\n", MAX_REPS);
		return 1;
	}
	dev_fd = gas_open_dev();
	if (dev_fd < 0)
		die("open " GASPACE_DEV, -errno);
	figures();
	if (!env_long("BENCH_NOSCALE", 0))
		scaling();
	return 0;
}
