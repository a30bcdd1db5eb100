// SPDX-License-Identifier: GPL-2.0
/*
 * threads_test: FAULT and TRANSLATE against MAP/UNMAP/PROTECT (gaspace.rst 10).
 *
 * Threads fault and translate while another maps, unmaps and protects
 * other ranges and the same ones; concurrent faults on one page (and on
 * one 2 MiB block) allocate exactly one frame; a fault racing the unmap of
 * its page leaves no frame behind.  Each run is bounded and ends with
 * exact counters, and every frame seen stayed where it was.  The threads
 * only count surprises; the main thread checks them.
 */
#include <pthread.h>
#include <time.h>

#include "gaspace_util.h"
#include "kselftest_harness.h"

#define BASE		SZ_1G
#define SIZE		SZ_1G
#define HPA		BIT_ULL(40)
#define A_PAGES		512			/* stable lazy area, 2 MiB */
#define A_GPA		BASE
#define C_GPA		(BASE + 64 * SZ_2M)	/* churned by the mapper */
#define C_SIZE		(64 * PAGE_4K)
#define B_GPA		(BASE + 128 * SZ_2M)	/* the mapper's alone */
#define FAULTERS	3
#define MAPPER_ITERS	40

FIXTURE(threads) {
	struct gas_space s;
};

FIXTURE_VARIANT(threads) {
	unsigned int format;
	unsigned int bits;
};

FIXTURE_VARIANT_ADD(threads, ept) GAS_GEOMETRY(EPT, 48);
FIXTURE_VARIANT_ADD(threads, npt) GAS_GEOMETRY(NPT, 48);
FIXTURE_VARIANT_ADD(threads, arm64_s2) GAS_GEOMETRY(ARM64_S2, 40);
FIXTURE_VARIANT_ADD(threads, riscv_g) GAS_GEOMETRY(RISCV_G, 41);

FIXTURE_SETUP(threads)
{
	ASSERT_EQ(0, gas_space_open(&self->s, variant->format, variant->bits,
				    BASE, SIZE));
}

FIXTURE_TEARDOWN(threads)
{
	gas_space_close(&self->s);
}

struct race {
	int fd;
	struct gas_race race;
	pthread_barrier_t go;
	__u64 hpa[A_PAGES];	/* first frame seen per page of A, or 0 */
};

struct worker {
	struct race *r;
	unsigned int idx;
};

static void surprise(struct race *r, const char *what, __u64 at, long v)
{
	gas_race_surprise(&r->race, what, at, v);
}

/* Remember the first frame of a page of A; any other later is a move. */
static void check_frame(struct race *r, unsigned int page, __u64 hpa)
{
	__u64 want = 0;

	if (!__atomic_compare_exchange_n(&r->hpa[page], &want, hpa, false,
					 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST) &&
	    want != hpa)
		surprise(r, "frame moved at page", page, (long)(hpa - want));
}

static void *faulter(void *arg)
{
	struct worker *w = arg;
	struct race *r = w->r;
	unsigned int pass;

	pthread_barrier_wait(&r->go);
	for (pass = 0;
	     pass < 1000 && (!pass || !gas_race_stopped(&r->race));
	     pass++) {
		unsigned int i;

		for (i = 0; i < A_PAGES; i++) {
			unsigned int page = (i * 7 + w->idx * 131) % A_PAGES;
			__u64 gpa = A_GPA + page * PAGE_4K +
				    ((w->idx * 0x531 + i) & 0xfff);
			struct gaspace_translation t;
			__u32 access = 1 + (i + w->idx) % 3;	/* R, W, RW */
			long ret;

			ret = gas_fault(r->fd, gpa, access);
			if (ret)
				surprise(r, "fault A", gpa, ret);
			/* exec is allowed only where the mapper toggles RWX */
			ret = gas_fault(r->fd, gpa, GASPACE_PROT_EXEC);
			if (ret != -EACCES && (ret || page != A_PAGES / 2))
				surprise(r, "exec fault A", gpa, ret);
			ret = gas_translate(r->fd, gpa, &t);
			if (ret || t.page_size != PAGE_4K ||
			    t.backend != GASPACE_BACKEND_ALLOC ||
			    t.prot & ~GAS_PROT_RWX || !(t.prot & 3))
				surprise(r, "translate A", gpa, ret);
			else
				check_frame(r, page, t.hpa - (gpa & 0xfff));

			/* C comes and goes under the mapper */
			gpa = C_GPA + (i % (C_SIZE / PAGE_4K)) * PAGE_4K + i;
			ret = gas_fault(r->fd, gpa, access);
			if (ret && ret != -ENOENT && ret != -EACCES)
				surprise(r, "fault C", gpa, ret);
			ret = gas_translate(r->fd, gpa, &t);
			if (ret && ret != -ENOENT)
				surprise(r, "translate C", gpa, ret);
			if (!ret && t.limit > C_SIZE)
				surprise(r, "translate C limit", gpa,
					 (long)t.limit);
		}
	}
	return NULL;
}

static void *mapper(void *arg)
{
	struct race *r = ((struct worker *)arg)->r;
	unsigned int it;

	pthread_barrier_wait(&r->go);
	for (it = 0; it < MAPPER_ITERS; it++) {
		int fd = r->fd;
		long ret;

		/* the same range as the faulters: splits, prot unchanged */
		ret = gas_protect(fd, A_GPA + SZ_2M / 2, PAGE_4K,
				  it & 1 ? GAS_PROT_RWX : GAS_PROT_RW);
		if (ret)
			surprise(r, "protect A", A_GPA, ret);
		ret = gas_map_alloc(fd, C_GPA, C_SIZE, GAS_PROT_RW,
				    it % 3 ? 0 : GASPACE_MAP_POPULATE);
		if (ret)
			surprise(r, "map C", C_GPA, ret);
		ret = gas_protect(fd, C_GPA, C_SIZE / 2, GAS_PROT_R);
		if (ret)
			surprise(r, "protect C", C_GPA, ret);
		ret = gas_protect(fd, C_GPA, C_SIZE, it & 1 ? 0 : GAS_PROT_RW);
		if (ret)
			surprise(r, "protect C", C_GPA, ret);
		ret = gas_map_linear(fd, C_GPA + C_SIZE / 2, C_SIZE / 4, HPA,
				     GAS_PROT_RW, GASPACE_MAP_REPLACE);
		if (ret)
			surprise(r, "replace C", C_GPA, ret);
		ret = gas_map_alloc(fd, B_GPA, 16 * PAGE_4K, GAS_PROT_RW,
				    GASPACE_MAP_POPULATE);
		if (ret)
			surprise(r, "map B", B_GPA, ret);
		ret = gas_unmap(fd, C_GPA, C_SIZE);
		if (ret)
			surprise(r, "unmap C", C_GPA, ret);
		ret = gas_unmap(fd, B_GPA, SZ_2M);
		if (ret)
			surprise(r, "unmap B", B_GPA, ret);
	}
	gas_race_stop(&r->race);
	return NULL;
}

static struct race *race_new(int fd, unsigned int threads)
{
	struct race *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->fd = fd;
	pthread_barrier_init(&r->go, NULL, threads);
	return r;
}

/* A stable 2 MiB of 4 KiB pages: tables for it and nothing else. */
static __u64 tables_a(const struct gas_space *s)
{
	struct gas_run run = { A_GPA, A_PAGES * PAGE_4K, 0 };

	return gas_tables_for(s->levels, s->root_pages, &run, 1);
}

TEST_F_TIMEOUT(threads, fault_translate_while_mapping, 300)
{
	struct worker w[FAULTERS + 1];
	pthread_t tid[FAULTERS + 1];
	struct gaspace_translation t;
	struct race *r;
	unsigned int i;

	ASSERT_EQ(0, gas_map_alloc(self->s.fd, A_GPA, A_PAGES * PAGE_4K,
				   GAS_PROT_RW, 0));
	r = race_new(self->s.fd, FAULTERS + 1);
	ASSERT_NE(NULL, r);
	for (i = 0; i <= FAULTERS; i++) {
		w[i].r = r;
		w[i].idx = i;
		ASSERT_EQ(0, pthread_create(&tid[i], NULL,
					    i ? faulter : mapper, &w[i]));
	}
	for (i = 0; i <= FAULTERS; i++)
		pthread_join(tid[i], NULL);
	EXPECT_NO_SURPRISE(&r->race);
	/* A split in three by the PROTECTs, every page faulted, C, B gone */
	EXPECT_COUNTERS(self->s.fd, 3, tables_a(&self->s), A_PAGES,
			A_PAGES * PAGE_4K);
	for (i = 0; i < A_PAGES; i++) {
		ASSERT_EQ(0, gas_translate(self->s.fd, A_GPA + i * PAGE_4K,
					   &t));
		EXPECT_EQ(r->hpa[i], t.hpa) TH_LOG("page %u", i);
	}
	free(r);
}

/* Concurrent faults on one page allocate one frame; all see the same. */
static void *same_pages(void *arg)
{
	struct worker *w = arg;
	struct race *r = w->r;
	unsigned int i;

	pthread_barrier_wait(&r->go);
	for (i = 0; i < 64; i++) {
		__u64 gpa = A_GPA + i * PAGE_4K + w->idx * 8;
		struct gaspace_translation t;
		long ret;

		ret = gas_fault(r->fd, gpa, w->idx & 1 ? GAS_PROT_R :
				GASPACE_PROT_WRITE);
		if (ret)
			surprise(r, "fault", gpa, ret);
		ret = gas_translate(r->fd, gpa, &t);
		if (ret)
			surprise(r, "translate", gpa, ret);
		else
			check_frame(r, i, t.hpa - w->idx * 8);
	}
	/* the 2 MiB block of the HUGE area, all at once */
	pthread_barrier_wait(&r->go);
	if (gas_fault(r->fd, A_GPA + SZ_2M + w->idx * 0x10000 + 5,
		      GAS_PROT_RW))
		surprise(r, "huge fault", A_GPA + SZ_2M, -1);
	return NULL;
}

TEST_F_TIMEOUT(threads, one_frame_per_page, 300)
{
	struct worker w[4];
	pthread_t tid[4];
	struct gaspace_translation t;
	struct gas_run runs[2];
	struct race *r;
	unsigned int i;
	__u64 frame;

	ASSERT_EQ(0, gas_map_alloc(self->s.fd, A_GPA, 64 * PAGE_4K,
				   GAS_PROT_RW, 0));
	ASSERT_EQ(0, gas_map_alloc(self->s.fd, A_GPA + SZ_2M, SZ_2M,
				   GAS_PROT_RW, GASPACE_MAP_HUGE));
	r = race_new(self->s.fd, 4);
	ASSERT_NE(NULL, r);
	for (i = 0; i < 4; i++) {
		w[i].r = r;
		w[i].idx = i;
		ASSERT_EQ(0, pthread_create(&tid[i], NULL, same_pages, &w[i]));
	}
	for (i = 0; i < 4; i++)
		pthread_join(tid[i], NULL);
	EXPECT_NO_SURPRISE(&r->race);
	ASSERT_EQ(0, gas_translate(self->s.fd, A_GPA + SZ_2M, &t));
	ASSERT_EQ(SZ_2M, t.page_size)
		TH_LOG("no 2 MiB frame (an order-9 allocation failed?)");
	frame = t.hpa;
	ASSERT_EQ(0, gas_translate(self->s.fd, A_GPA + 2 * SZ_2M - 1, &t));
	EXPECT_EQ(frame + SZ_2M - 1, t.hpa);
	runs[0] = (struct gas_run){ A_GPA, 64 * PAGE_4K, 0 };
	runs[1] = (struct gas_run){ A_GPA + SZ_2M, SZ_2M, 1 };
	EXPECT_COUNTERS(self->s.fd, 2,
			gas_tables_for(self->s.levels, self->s.root_pages,
				       runs, 2),
			64 + 512, 64 * PAGE_4K + SZ_2M);
	free(r);
}

/*
 * A fault racing the unmap of its page lands before it (and goes with
 * it) or finds no area: once the area is gone, nothing is left.
 */
static void *churn(void *arg)
{
	struct worker *w = arg;
	struct race *r = w->r;
	unsigned int it;

	pthread_barrier_wait(&r->go);
	if (!w->idx) {
		for (it = 0; it < 4 * MAPPER_ITERS; it++) {
			long ret = gas_map_alloc(r->fd, C_GPA, C_SIZE,
						 GAS_PROT_RW,
						 it & 1 ? GASPACE_MAP_HUGE : 0);

			if (ret)
				surprise(r, "map", C_GPA, ret);
			ret = gas_unmap(r->fd, C_GPA, it & 2 ? C_SIZE : SZ_2M);
			if (ret)
				surprise(r, "unmap", C_GPA, ret);
		}
		gas_race_stop(&r->race);
		return NULL;
	}
	for (it = 0; !gas_race_stopped(&r->race) && it < 1000000; it++) {
		__u64 gpa = C_GPA + ((it * 13 + w->idx * 5) % 64) * PAGE_4K;
		long ret = gas_fault(r->fd, gpa, GAS_PROT_RW);

		if (ret && ret != -ENOENT)
			surprise(r, "fault", gpa, ret);
	}
	return NULL;
}

TEST_F_TIMEOUT(threads, fault_racing_unmap, 300)
{
	struct worker w[3];
	pthread_t tid[3];
	struct race *r;
	unsigned int i;

	r = race_new(self->s.fd, 3);
	ASSERT_NE(NULL, r);
	for (i = 0; i < 3; i++) {
		w[i].r = r;
		w[i].idx = i;
		ASSERT_EQ(0, pthread_create(&tid[i], NULL, churn, &w[i]));
	}
	for (i = 0; i < 3; i++)
		pthread_join(tid[i], NULL);
	EXPECT_NO_SURPRISE(&r->race);
	EXPECT_COUNTERS(self->s.fd, 0, self->s.root_pages, 0, 0);
	free(r);
}

/*
 * gaspace.rst 10: a long POPULATE allocates without holding what faults on other
 * pages need.  While one thread populates, another keeps faulting pages
 * of another area; some of its faults complete before the populate ends
 * (checked when the populate lasts long enough to tell).
 */
struct slow {
	int fd;
	int done;
	double start, end;
	unsigned int during, faults;
	long ret;
	pthread_barrier_t go;
};

static double seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *populater(void *arg)
{
	struct slow *sl = arg;

	pthread_barrier_wait(&sl->go);
	sl->start = seconds();
	sl->ret = gas_map_alloc(sl->fd, C_GPA, 64 << 20, GAS_PROT_RW,
				GASPACE_MAP_POPULATE);
	sl->end = seconds();
	__atomic_store_n(&sl->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void *side_faulter(void *arg)
{
	struct slow *sl = arg;
	unsigned int i;

	pthread_barrier_wait(&sl->go);
	for (i = 0; i < A_PAGES && !__atomic_load_n(&sl->done,
						    __ATOMIC_ACQUIRE); i++) {
		if (gas_fault(sl->fd, A_GPA + i * PAGE_4K, GAS_PROT_RW))
			break;
		sl->faults++;
		if (!__atomic_load_n(&sl->done, __ATOMIC_ACQUIRE))
			sl->during++;
	}
	return NULL;
}

TEST_F_TIMEOUT(threads, fault_during_long_populate, 300)
{
	struct slow sl = { .fd = self->s.fd };
	struct gas_run runs[2];
	pthread_t a, b;

	ASSERT_EQ(0, gas_map_alloc(self->s.fd, A_GPA, A_PAGES * PAGE_4K,
				   GAS_PROT_RW, 0));
	pthread_barrier_init(&sl.go, NULL, 2);
	ASSERT_EQ(0, pthread_create(&a, NULL, populater, &sl));
	ASSERT_EQ(0, pthread_create(&b, NULL, side_faulter, &sl));
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	ASSERT_EQ(0, sl.ret);
	TH_LOG("populate took %.3f s, %u faults completed during it",
	       sl.end - sl.start, sl.during);
	if (sl.end - sl.start > 0.5) {
		EXPECT_LT(0U, sl.during)
			TH_LOG("faults waited for the whole populate");
	}
	runs[0] = (struct gas_run){ A_GPA, A_PAGES * PAGE_4K, 0 };
	runs[1] = (struct gas_run){ C_GPA, 64 << 20, 0 };
	EXPECT_COUNTERS(self->s.fd, 2,
			gas_tables_for(self->s.levels, self->s.root_pages,
				       runs, 2),
			sl.faults + (64 << 20) / PAGE_4K,
			(sl.faults + (64 << 20) / PAGE_4K) * PAGE_4K);
}

TEST_HARNESS_MAIN
