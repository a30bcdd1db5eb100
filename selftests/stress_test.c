// SPDX-License-Identifier: GPL-2.0
/*
 * stress_test: seeded random operations checked against a userspace
 * reference model of the contract (issue 8, part 1).
 *
 * The model knows the areas (range, prot, backend, flags, hpa), which
 * pages of a 16 MiB "zone" have a frame (and which frames are 2 MiB
 * blocks), the frame each page got the first time it was seen, and every
 * guest byte written.  From that it derives what gaspace.rst 3 says
 * each call returns (error order included), what TRANSLATE reports for
 * any byte, and GET_INFO's counters: nr_areas, nr_table_pages (one table
 * for every span holding a leaf, root included), nr_data_pages and
 * mapped_bytes, the present leaves of each size and nr_dirty_pages.  Every
 * call's result and GET_INFO after every call are compared with the model;
 * every SWEEP calls and at the end, every page of the zone is translated
 * and every guest byte read back.
 *
 * Calls: MAP_LINEAR (4 KiB, 2 MiB and 1 GiB leaves, REPLACE across the
 * zone), MAP_ALLOC (lazy, POPULATE, HUGE, REPLACE), UNMAP (holes, the whole
 * space), PROTECT, FAULT, TRANSLATE, pread, pwrite, mmap and touches of
 * mmaps (SIGBUS where the range is no longer an alloc area), with a few
 * invalid arguments of each kind.  One case per format and gpa width.
 *
 * Dirty logging: the model knows which areas are logged and, per zone
 * page, whether it is dirty and whether its leaf got W back (a FAULT with
 * W does that; pwrite and VMM stores only mark the page).  DIRTY_LOG_ENABLE
 * and DISABLE (ranges of the zone, with invalid arguments too) and
 * GET_DIRTY_LOG (report, CLEAR, SET; bad bitmaps) are checked against it:
 * each report bit for bit, GET_INFO's nr_dirty_pages after every call,
 * TRANSLATE's 4 KiB leaves without W for clean logged pages, the blocks
 * back after DISABLE, and a report of one logged area after every call
 * (of all of them at each sweep).  The threaded case logs nothing.  Two
 * bugs it found (a DISABLE that left a block across its edge, a DISABLE
 * of a DEVICE area that gave no W back) are pinned by stress_regress.
 *
 * Userspace fault delivery: MAP_ALLOC makes USERFAULT areas too (with
 * POPULATE or HUGE, and on MAP_LINEAR, -EINVAL), FILL gives their missing
 * pages random bytes or zeros (every error of gaspace.rst 5.10-5.11 in its
 * order, a bad src included), and a userfault fd is opened (-EBUSY while
 * one is, -EINVAL for an unknown flag) and closed now and then.  While it
 * is open a resolver thread reads its events and FILLs each page with a
 * pattern the model knows, so every access to a missing page of a
 * USERFAULT area -- FAULT, pread, pwrite, a touch -- completes, and the
 * events of each call are compared with the model's (page and access, in
 * order); while it is closed such an access fails at once (-EIO, a short
 * count, SIGBUS).  GET_INFO's nr_userfaults is the model's after every
 * call.  The threaded case makes no USERFAULT area.
 *
 * The threaded case: mutator threads run the same model, each on its own
 * part of the zone, while reader threads fault, translate, read and touch
 * mmaps all over it; results stay within the documented ones, the
 * mutators' bytes read back, and once everything is unmapped the counters
 * are back to the empty space's and every table page is freed.
 *
 * GASPACE_STRESS_OPS: calls across the single-threaded cases (default
 * 22000); GASPACE_STRESS_THREAD_OPS: calls of the threaded case's mutators
 * (default 2000); GASPACE_SEED: the seed (printed as a TAP comment), so
 * that a failing run can be replayed.
 */
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <sys/mman.h>

#include "gaspace_util.h"
#include "gaspace_random.h"
#include "kselftest_harness.h"

#define ZONE		(SZ_1G - 8 * SZ_2M)	/* straddles a 1 GiB line */
#define ZONE_PAGES	4096u			/* 16 MiB */
#define SPACE_END	(4 * SZ_1G)
#define HPA0		BIT_ULL(40)		/* not RAM in the VM */
#define MAX_AREAS	16384
#define MAX_MAPS	4
#define SWEEP		5000
#define NR_CASES	11
#define DEF_OPS		22000ULL
#define DEF_THREAD_OPS	2000ULL
#define PAGES_2M	512u
#define HIST		1024
#define UF_EVENTS	128		/* events one call may raise */
#define UF_SEED		77		/* the resolver's bytes */

struct area {
	__u64 start, end, hpa;
	__u32 prot, flags;
	bool linear;
	bool logged;		/* DIRTY_LOG_ENABLE: in the zone only */
};

struct vmap {
	unsigned char *addr;
	__u64 gpa, len;
};

struct uf_event {
	__u64 gpa;
	__u32 access;
	int fill;		/* the resolver's FILL of the page */
};

/* Reads the events of a userfault fd and FILLs their pages. */
struct resolver {
	pthread_t th;
	int fd, ufd;
	int stop;
	unsigned int n, filled;		/* events read; FILLs done */
	struct uf_event got[UF_EVENTS];
};

struct model {
	int fd;
	unsigned int format, bits, levels, root_pages, max_level, pa_bits;
	__u64 base, end;
	bool root;		/* CAP_SYS_ADMIN: TRANSLATE shows hpa */
	bool shared;		/* other threads populate the zone too */
	__u64 zone;		/* this model's part of the zone */
	unsigned int pages;
	__u64 rng;
	/* areas, sorted by start */
	struct area *a;
	int nr;
	/* per zone page */
	unsigned char *pop, *hugef;
	unsigned long *lastop;	/* the op that last gave or took a frame */
	__u64 *phpa;
	unsigned int *hcount;	/* per 2 MiB block: pages of a 2 MiB frame */
	unsigned char *mem;	/* guest bytes */
	unsigned char *dirty;	/* in the dirty log */
	unsigned char *wok;	/* logged, and its leaf got W back */
	__u64 *logbits;		/* GET_DIRTY_LOG's bitmap, and a word */
	struct vmap maps[MAX_MAPS];
	/* userfault: single-threaded cases only */
	int ufd;		/* the userfault fd, or -1 */
	struct resolver *res;	/* while it is open */
	__u64 nr_uf;		/* events raised: nr_userfaults */
	struct uf_event exp[UF_EVENTS];	/* this call's events */
	int nexp;
	unsigned long nok, nerr;	/* calls that succeeded, that failed */
	/* the expected GET_INFO counters */
	__u64 nr_tables, nr_data, mapped, leaves[3], nr_dirty;
	char hist[HIST][160];
	unsigned long ops;
	char msg[512];
	unsigned char *buf;
};

static __u64 rnd(struct model *m)
{
	return gas_rnd(&m->rng);
}

static __u64 rnd_below(struct model *m, __u64 n)
{
	return n ? rnd(m) % n : 0;
}

static void note(struct model *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->hist[m->ops % HIST], sizeof(m->hist[0]), fmt, ap);
	va_end(ap);
}

static int bad(struct model *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->msg, sizeof(m->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- areas ---- */

/* Index of the first area that ends after @gpa. */
static int area_from(struct model *m, __u64 gpa)
{
	int lo = 0, hi = m->nr;

	while (lo < hi) {
		int mid = (lo + hi) / 2;

		if (m->a[mid].end <= gpa)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Index of the area that holds @gpa, or -1. */
static int area_at(struct model *m, __u64 gpa)
{
	int i = area_from(m, gpa);

	return i < m->nr && m->a[i].start <= gpa ? i : -1;
}

static bool overlaps(struct model *m, __u64 s, __u64 e)
{
	int i = area_from(m, s);

	return i < m->nr && m->a[i].start < e;
}

static bool covered(struct model *m, __u64 s, __u64 e)
{
	int i = area_from(m, s);

	for (; s < e; i++) {
		if (i >= m->nr || m->a[i].start > s)
			return false;
		s = m->a[i].end;
	}
	return true;
}

static void split_at(struct model *m, __u64 gpa)
{
	int i = area_at(m, gpa);
	struct area *a;

	if (i < 0 || m->a[i].start == gpa)
		return;
	memmove(&m->a[i + 1], &m->a[i], (m->nr - i) * sizeof(m->a[0]));
	m->nr++;
	a = &m->a[i + 1];
	if (a->linear)
		a->hpa += gpa - a->start;
	a->start = gpa;
	m->a[i].end = gpa;
}

static bool in_zone(struct model *m, __u64 gpa)
{
	return gpa >= m->zone && gpa < m->zone + m->pages * PAGE_4K;
}

static unsigned int zpage(struct model *m, __u64 gpa)
{
	return (gpa - m->zone) / PAGE_4K;
}

static void drop_page(struct model *m, unsigned int p)
{
	if (m->hugef[p])
		m->hcount[p / PAGES_2M]--;
	if (m->pop[p])
		m->lastop[p] = m->ops;
	m->pop[p] = 0;
	m->hugef[p] = 0;
	m->phpa[p] = 0;
	m->dirty[p] = 0;
	m->wok[p] = 0;
	memset(m->mem + (size_t)p * PAGE_4K, 0, PAGE_4K);
}

/* The model's UNMAP of [s, e). */
static void remove_range(struct model *m, __u64 s, __u64 e)
{
	int i, j;
	__u64 g;

	split_at(m, s);
	split_at(m, e);
	i = area_from(m, s);
	for (j = i; j < m->nr && m->a[j].start < e; j++)
		;
	memmove(&m->a[i], &m->a[j], (m->nr - j) * sizeof(m->a[0]));
	m->nr -= j - i;
	if (s < m->zone)
		s = m->zone;
	if (e > m->zone + m->pages * PAGE_4K)
		e = m->zone + m->pages * PAGE_4K;
	for (g = s; g < e; g += PAGE_4K)
		drop_page(m, zpage(m, g));
}

static void insert_area(struct model *m, const struct area *n)
{
	int i = area_from(m, n->start);

	memmove(&m->a[i + 1], &m->a[i], (m->nr - i) * sizeof(m->a[0]));
	m->a[i] = *n;
	m->nr++;
}

/* Does the 2 MiB block of zone page @p lie wholly in area @a? */
static bool block_in_area(struct model *m, unsigned int p, const struct area *a)
{
	__u64 bs = m->zone + (__u64)(p / PAGES_2M) * SZ_2M;

	return !(m->zone & (SZ_2M - 1)) && a->start <= bs &&
	       bs + SZ_2M <= a->end;
}

/*
 * Whether the kernel fell back to a 4 KiB frame for zone page @p where the
 * model expected a 2 MiB one: it does when the order-9 allocation fails
 * (a fragmented VM), which the contract allows.  TRANSLATE tells; a page
 * it cannot see (prot 0) is taken to be in a 2 MiB frame.
 */
static bool huge_frame_failed(struct model *m, unsigned int p)
{
	struct gaspace_translation t = { .gpa = m->zone + (__u64)p * PAGE_4K };

	if (gas_ioctl_ptr(m->fd, GASPACE_TRANSLATE, &t))
		return false;
	return t.page_size != SZ_2M;
}

/* A lazy page gets its frame (FAULT, pwrite, touch, POPULATE). */
static void populate(struct model *m, unsigned int p, const struct area *a)
{
	unsigned int b = p / PAGES_2M, i;

	if (m->pop[p])
		return;
	/*
	 * A 2 MiB block is populated whole only when an order-9 allocation
	 * succeeds and nothing in it is populated yet: with other threads
	 * faulting too, the model knows neither, so it counts only the page
	 * it populated itself (the rest may or may not have a frame).
	 */
	if ((a->flags & GASPACE_MAP_HUGE) && !m->shared && !a->logged &&
	    block_in_area(m, p, a)) {
		bool empty = true;

		for (i = b * PAGES_2M; i < (b + 1) * PAGES_2M; i++)
			empty &= !m->pop[i];
		if (empty && huge_frame_failed(m, p))
			empty = false;
		if (empty) {
			for (i = b * PAGES_2M; i < (b + 1) * PAGES_2M; i++) {
				m->lastop[i] = m->ops;
				m->pop[i] = 1;
				m->hugef[i] = 1;
			}
			m->hcount[b] = PAGES_2M;
			return;
		}
	}
	m->lastop[p] = m->ops;
	m->pop[p] = 1;
}

/*
 * Is zone page @p mapped by a 2 MiB block leaf (its area is @a)?  Never
 * while the area is logged: its leaves are 4 KiB, its frames stay.
 */
static bool block_leaf(struct model *m, unsigned int p, const struct area *a)
{
	return m->hcount[p / PAGES_2M] == PAGES_2M && !a->logged &&
	       block_in_area(m, p, a);
}

/* A page of area @a was written by the guest, pwrite or a VMM store. */
static void mark_dirty(struct model *m, __u64 gpa, const struct area *a,
		       bool guest)
{
	unsigned int p = zpage(m, gpa);

	if (!a->logged)
		return;
	m->dirty[p] = 1;
	if (guest)
		m->wok[p] = 1;
}

/* ---- userfault ---- */

/* Is @gpa a missing page of a USERFAULT area (area @i, or -1)? */
static bool uf_missing(struct model *m, __u64 gpa, int i)
{
	return i >= 0 && !m->a[i].linear &&
	       (m->a[i].flags & GASPACE_MAP_USERFAULT) &&
	       !m->pop[zpage(m, gpa)];
}

/* A page FILLed with @src's bytes (NULL: zeros); FILL marks it dirty. */
static void uf_filled(struct model *m, __u64 gpa, const unsigned char *src)
{
	unsigned int p = zpage(m, gpa);
	const struct area *a = &m->a[area_at(m, gpa)];

	populate(m, p, a);
	if (src)
		memcpy(m->mem + (size_t)p * PAGE_4K, src, PAGE_4K);
	else
		memset(m->mem + (size_t)p * PAGE_4K, 0, PAGE_4K);
	mark_dirty(m, gpa, a, false);
}

/*
 * An access to the missing page of @gpa with the fd open: its event, and
 * the resolver's FILL with the pattern of UF_SEED.
 */
static void uf_access(struct model *m, __u64 gpa, __u32 access)
{
	unsigned char page[PAGE_4K];

	gpa &= ~(PAGE_4K - 1);
	if (m->nexp < UF_EVENTS) {
		m->exp[m->nexp].gpa = gpa;
		m->exp[m->nexp].access = access;
	}
	m->nexp++;
	m->nr_uf++;
	gas_pattern(page, gpa, PAGE_4K, UF_SEED);
	uf_filled(m, gpa, page);
}

static void *resolver_main(void *arg)
{
	struct resolver *r = arg;
	struct gaspace_fault_event ev[8];
	unsigned char page[PAGE_4K];

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		int i, n = gas_ufd_read(r->ufd, ev, ARRAY_LEN(ev), 20);

		for (i = 0; i < n; i++) {
			unsigned int k = __atomic_load_n(&r->n,
							 __ATOMIC_RELAXED);
			struct uf_event *e = &r->got[k < UF_EVENTS ? k :
						     UF_EVENTS - 1];

			e->gpa = ev[i].gpa;
			e->access = ev[i].access;
			__atomic_store_n(&r->n, k + 1, __ATOMIC_RELEASE);
			gas_pattern(page, ev[i].gpa, PAGE_4K, UF_SEED);
			e->fill = gas_fill(r->fd, ev[i].gpa & ~(PAGE_4K - 1),
					   PAGE_4K, page);
			__atomic_store_n(&r->filled, k + 1, __ATOMIC_RELEASE);
		}
	}
	return NULL;
}

static int uf_open(struct model *m, unsigned long flags)
{
	int ufd = gas_userfault_fd(m->fd, flags);

	if (ufd < 0)
		return ufd;
	m->res = calloc(1, sizeof(*m->res));
	if (!m->res) {
		close(ufd);
		return -ENOMEM;
	}
	m->res->fd = m->fd;
	m->res->ufd = ufd;
	if (pthread_create(&m->res->th, NULL, resolver_main, m->res)) {
		free(m->res);
		m->res = NULL;
		close(ufd);
		return -EAGAIN;
	}
	m->ufd = ufd;
	return 0;
}

static void uf_close(struct model *m)
{
	if (m->ufd < 0)
		return;
	__atomic_store_n(&m->res->stop, 1, __ATOMIC_RELEASE);
	pthread_join(m->res->th, NULL);
	free(m->res);
	m->res = NULL;
	close(m->ufd);
	m->ufd = -1;
}

/* The events the last call raised, against the model's. */
static int uf_check(struct model *m)
{
	struct resolver *r = m->res;
	unsigned int n, i;
	int ret = 0;

	if (!r)
		return m->nexp ? bad(m, "model: events without a fd") : 0;
	n = __atomic_load_n(&r->n, __ATOMIC_ACQUIRE);
	/* the access returns once the FILL woke it, maybe before its result */
	for (i = 0; i < 10000 &&
	     __atomic_load_n(&r->filled, __ATOMIC_ACQUIRE) != n; i++) {
		struct timespec ts = { 0, 1000 * 1000 };

		nanosleep(&ts, NULL);
	}
	if (__atomic_load_n(&r->filled, __ATOMIC_ACQUIRE) != n)
		ret = bad(m, "resolver: %u events, %u FILLs", n,
			  __atomic_load_n(&r->filled, __ATOMIC_ACQUIRE));
	else if (n != (unsigned int)m->nexp)
		ret = bad(m, "%u events (first %#llx/%u), model %d (first %#llx/%u)",
			  n, n ? (unsigned long long)r->got[0].gpa : 0ULL,
			  n ? r->got[0].access : 0, m->nexp,
			  m->nexp ? (unsigned long long)m->exp[0].gpa : 0ULL,
			  m->nexp ? m->exp[0].access : 0);
	for (i = 0; !ret && i < n && i < UF_EVENTS; i++) {
		const struct uf_event *e = &r->got[i];

		if (e->gpa != m->exp[i].gpa || e->access != m->exp[i].access ||
		    e->fill)
			ret = bad(m, "event %u: %#llx access %u (FILL %d), model %#llx access %u",
				  i, (unsigned long long)e->gpa, e->access,
				  e->fill, (unsigned long long)m->exp[i].gpa,
				  m->exp[i].access);
	}
	__atomic_store_n(&r->n, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&r->filled, 0, __ATOMIC_RELAXED);
	m->nexp = 0;
	return ret;
}

/* ---- counters ---- */

struct leafrun {
	__u64 gpa, size;
	unsigned int level;
};

struct tcount {
	__u64 last[6];
	bool any[6];
	__u64 total;
	unsigned int levels;
};

/* Leaves come in increasing gpa order: count each table span once. */
static void count_leaves(struct tcount *c, __u64 gpa, __u64 size,
			 unsigned int level)
{
	unsigned int l;

	for (l = level; l + 1 < c->levels; l++) {
		unsigned int shift = 21 + 9 * l;
		__u64 f = gpa >> shift, t = (gpa + size - 1) >> shift;

		if (c->any[l] && f <= c->last[l])
			f = c->last[l] + 1;
		if (f <= t) {
			c->total += t - f + 1;
			c->last[l] = t;
			c->any[l] = true;
		}
	}
}

static void count_linear(struct model *m, struct tcount *c,
			 const struct area *a)
{
	unsigned int max = (a->flags & GASPACE_MAP_NOHUGE) ? 0 : m->max_level;
	__u64 gpa = a->start, hpa = a->hpa, rs = gpa, run = 0;
	unsigned int rl = 0;

	if (a->logged) {	/* 4 KiB leaves while logged */
		count_leaves(c, a->start, a->end - a->start, 0);
		if (a->prot)
			m->leaves[0] += (a->end - a->start) / PAGE_4K;
		return;
	}
	while (gpa < a->end) {
		unsigned int l = max + 1;
		__u64 sz;

		do {
			sz = gas_level_size(--l);
		} while (l && ((gpa | hpa) & (sz - 1) || gpa + sz > a->end));
		if (a->prot)
			m->leaves[l]++;
		if (run && l != rl) {
			count_leaves(c, rs, run, rl);
			run = 0;
		}
		if (!run) {
			rs = gpa;
			rl = l;
		}
		run += sz;
		gpa += sz;
		hpa += sz;
	}
	if (run)
		count_leaves(c, rs, run, rl);
}

static void compute(struct model *m)
{
	struct tcount c = { .levels = m->levels, .total = m->root_pages };
	__u64 data = 0, mapped = 0;
	unsigned int p;
	int i;

	memset(m->leaves, 0, sizeof(m->leaves));
	m->nr_dirty = 0;
	for (p = 0; p < m->pages; p++)
		m->nr_dirty += m->dirty[p];
	for (i = 0; i < m->nr; i++) {
		const struct area *a = &m->a[i];
		__u64 g, run = 0, rs = 0, e;

		if (a->linear) {
			count_linear(m, &c, a);
			if (a->prot)
				mapped += a->end - a->start;
			continue;
		}
		e = a->end;
		for (g = a->start; g < e; g += PAGE_4K) {
			unsigned int p = zpage(m, g);

			if (!m->pop[p]) {
				if (run)
					count_leaves(&c, rs, run, 0);
				run = 0;
				continue;
			}
			data++;
			if (!(g & (SZ_2M - 1)) && block_leaf(m, p, a)) {
				if (run)
					count_leaves(&c, rs, run, 0);
				run = 0;
				count_leaves(&c, g, SZ_2M, 1);
				data += PAGES_2M - 1;
				g += SZ_2M - PAGE_4K;
				if (a->prot)
					m->leaves[1]++;
				continue;
			}
			if (a->prot)
				m->leaves[0]++;
			if (!run)
				rs = g;
			run += PAGE_4K;
		}
		if (run)
			count_leaves(&c, rs, run, 0);
	}
	/* mapped bytes of alloc areas: populated pages at prot != 0 */
	for (i = 0; i < m->nr; i++) {
		const struct area *a = &m->a[i];
		__u64 g;

		if (a->linear || !a->prot)
			continue;
		for (g = a->start; g < a->end; g += PAGE_4K)
			if (m->pop[zpage(m, g)])
				mapped += PAGE_4K;
	}
	m->nr_tables = c.total;
	m->nr_data = data;
	m->mapped = mapped;
}

static int check_info(struct model *m)
{
	struct gaspace_info info;
	static const __u64 zero[ARRAY_LEN(info.reserved)];
	int ret;

	ret = gas_get_info(m->fd, &info);
	if (ret)
		return bad(m, "GET_INFO: %d", ret);
	if (info.format != m->format || info.gpa_bits != m->bits ||
	    info.levels != m->levels || info.root_pages != m->root_pages ||
	    info.base != m->base || info.size != m->end - m->base ||
	    memcmp(info.reserved, zero, sizeof(zero)))
		return bad(m, "GET_INFO: fixed fields changed");
	if (info.nr_userfaults != m->nr_uf)
		return bad(m, "GET_INFO: nr_userfaults %llu, model %llu",
			   (unsigned long long)info.nr_userfaults,
			   (unsigned long long)m->nr_uf);
	if (m->shared)
		return 0;
	compute(m);
	if (info.nr_areas != (__u64)m->nr || info.nr_table_pages != m->nr_tables ||
	    info.nr_data_pages != m->nr_data || info.mapped_bytes != m->mapped)
		return bad(m, "GET_INFO: %llu %llu %llu %#llx; model %d %llu %llu %#llx",
			   (unsigned long long)info.nr_areas,
			   (unsigned long long)info.nr_table_pages,
			   (unsigned long long)info.nr_data_pages,
			   (unsigned long long)info.mapped_bytes, m->nr,
			   (unsigned long long)m->nr_tables,
			   (unsigned long long)m->nr_data,
			   (unsigned long long)m->mapped);
	if (info.nr_leaves_4k != m->leaves[0] ||
	    info.nr_leaves_2m != m->leaves[1] ||
	    info.nr_leaves_1g != m->leaves[2])
		return bad(m, "GET_INFO: leaves 4k %llu 2m %llu 1g %llu; model %llu %llu %llu",
			   (unsigned long long)info.nr_leaves_4k,
			   (unsigned long long)info.nr_leaves_2m,
			   (unsigned long long)info.nr_leaves_1g,
			   (unsigned long long)m->leaves[0],
			   (unsigned long long)m->leaves[1],
			   (unsigned long long)m->leaves[2]);
	if (info.nr_dirty_pages != m->nr_dirty)
		return bad(m, "GET_INFO: nr_dirty_pages %llu, model %llu",
			   (unsigned long long)info.nr_dirty_pages,
			   (unsigned long long)m->nr_dirty);
	return 0;
}

/* ---- TRANSLATE ---- */

/* The leaf level of the linear area @a at @gpa. */
static unsigned int linear_level(struct model *m, const struct area *a,
				 __u64 gpa)
{
	unsigned int l = (a->flags & GASPACE_MAP_NOHUGE) ? 0 : m->max_level;

	for (;; l--) {
		__u64 sz = gas_level_size(l);
		__u64 bs = gpa & ~(sz - 1);

		if (!l || (bs >= a->start && bs + sz <= a->end &&
			   !((bs - a->start + a->hpa) & (sz - 1))))
			return l;
	}
}

static int check_translate(struct model *m, __u64 gpa)
{
	struct gaspace_translation t;
	const struct area *a;
	unsigned int level, p = 0;
	__u64 ps, hpa;
	__u32 prot;
	int ret, want, i;

	ret = gas_translate(m->fd, gpa, &t);
	i = area_at(m, gpa);
	a = i >= 0 ? &m->a[i] : NULL;
	if (gpa < m->base || gpa >= m->end)
		want = -ERANGE;
	else if (!a || !a->prot)
		want = -ENOENT;
	else if (!a->linear && !m->pop[zpage(m, gpa)])
		want = m->shared && !ret ? 0 : -ENOENT;
	else
		want = 0;
	if (ret != want)
		return bad(m, "TRANSLATE %#llx: %d, model %d",
			   (unsigned long long)gpa, ret, want);
	if (ret)
		return 0;
	if (a->logged && !in_zone(m, gpa))
		return bad(m, "model: logged area %#llx+%#llx outside the zone",
			   (unsigned long long)a->start,
			   (unsigned long long)(a->end - a->start));
	if (!a->linear || a->logged)
		p = zpage(m, gpa);
	if (a->logged)
		level = 0;
	else if (a->linear)
		level = linear_level(m, a, gpa);
	else
		level = block_leaf(m, p, a) ? 1 : 0;
	/* a logged page's leaf lacks W until a guest write gives it back */
	prot = a->logged && !m->wok[p] ? a->prot & ~GASPACE_PROT_WRITE :
					 a->prot;
	ps = gas_level_size(level);
	if (m->shared && !a->linear && (a->flags & GASPACE_MAP_HUGE) &&
	    t.level <= 1) {
		level = t.level;	/* a reader may have populated it */
		ps = gas_level_size(level);
	}
	if (t.gpa != gpa || t.page_size != ps || t.level != level ||
	    t.limit != a->end - gpa || t.prot != prot || t.pad ||
	    t.backend != (a->linear ? GASPACE_BACKEND_LINEAR :
				      GASPACE_BACKEND_ALLOC))
		return bad(m, "TRANSLATE %#llx: %#llx %u %#llx %u %u; model %#llx %u %#llx %u %s%s",
			   (unsigned long long)gpa,
			   (unsigned long long)t.page_size, t.level,
			   (unsigned long long)t.limit, t.prot, t.backend,
			   (unsigned long long)ps, level,
			   (unsigned long long)(a->end - gpa), prot,
			   a->linear ? "linear" : "alloc",
			   !a->logged ? "" : m->dirty[p] ? " logged dirty" :
							   " logged clean");
	if (!m->root) {
		if (t.hpa)
			return bad(m, "TRANSLATE %#llx: hpa without CAP_SYS_ADMIN",
				   (unsigned long long)gpa);
		return 0;
	}
	if (a->linear) {
		hpa = a->hpa + gpa - a->start;
		if (t.hpa != hpa)
			return bad(m, "TRANSLATE %#llx: hpa %#llx, model %#llx",
				   (unsigned long long)gpa,
				   (unsigned long long)t.hpa,
				   (unsigned long long)hpa);
		return 0;
	}
	if (!t.hpa || (t.hpa & (ps - 1)) != (gpa & (ps - 1)))
		return bad(m, "TRANSLATE %#llx: hpa %#llx not in a %#llx leaf",
			   (unsigned long long)gpa, (unsigned long long)t.hpa,
			   (unsigned long long)ps);
	hpa = t.hpa & ~(PAGE_4K - 1);
	if (m->phpa[p] && m->phpa[p] != hpa)
		return bad(m, "TRANSLATE %#llx: frame moved from %#llx to %#llx",
			   (unsigned long long)gpa,
			   (unsigned long long)m->phpa[p],
			   (unsigned long long)hpa);
	m->phpa[p] = hpa;
	return 0;
}

/* ---- guest memory ---- */

/* Bytes of [gpa, gpa + len) before the first one outside alloc areas. */
static __u64 alloc_span(struct model *m, __u64 gpa, __u64 len)
{
	__u64 cur = gpa;

	while (cur < gpa + len) {
		int i = area_at(m, cur);

		if (i < 0 || m->a[i].linear)
			break;
		cur = m->a[i].end;
	}
	return (cur < gpa + len ? cur : gpa + len) - gpa;
}

/*
 * Bytes of [gpa, gpa + len) a pread or pwrite transfers: up to the first
 * byte outside alloc areas or, with no userfault fd, the first missing
 * page of a USERFAULT area; *@err is what it returns when that is none
 * (-ENXIO, -EIO).  With the fd open each missing page of a USERFAULT area
 * on the way raises its event, in order, and is FILLed.
 */
static __u64 transfer_span(struct model *m, __u64 gpa, __u64 len,
			   __u32 access, int *err)
{
	__u64 n = alloc_span(m, gpa, len), g;

	*err = -ENXIO;
	for (g = gpa & ~(PAGE_4K - 1); g < gpa + n; g += PAGE_4K) {
		if (!uf_missing(m, g, area_at(m, g)))
			continue;
		if (m->ufd < 0) {
			*err = -EIO;
			return g > gpa ? g - gpa : 0;
		}
		uf_access(m, g, access);
	}
	return n;
}

static int check_bytes(struct model *m, __u64 gpa, const unsigned char *buf,
		       __u64 len, const char *what)
{
	__u64 i;

	for (i = 0; i < len; i++)
		if (buf[i] != m->mem[gpa - m->zone + i])
			return bad(m, "%s %#llx: byte %#x, model %#x", what,
				   (unsigned long long)(gpa + i), buf[i],
				   m->mem[gpa - m->zone + i]);
	return 0;
}

static int do_pread(struct model *m, __u64 gpa, __u64 len)
{
	int err;
	__u64 n = transfer_span(m, gpa, len, GASPACE_PROT_READ, &err);
	ssize_t ret;

	note(m, "pread %#llx+%#llx", (unsigned long long)gpa,
	     (unsigned long long)len);
	ret = gas_pread(m->fd, m->buf, len, gpa);
	if (ret != (n ? (ssize_t)n : err))
		return bad(m, "pread %#llx+%#llx: %zd, model %lld",
			   (unsigned long long)gpa, (unsigned long long)len,
			   ret, n ? (long long)n : err);
	return check_bytes(m, gpa, m->buf, n, "pread");
}

static int do_pwrite(struct model *m, __u64 gpa, __u64 len)
{
	int err;
	__u64 n = transfer_span(m, gpa, len, GASPACE_PROT_WRITE, &err), g, i;
	ssize_t ret;

	note(m, "pwrite %#llx+%#llx", (unsigned long long)gpa,
	     (unsigned long long)len);
	for (i = 0; i < len; i += 8) {
		__u64 r = rnd(m);

		memcpy(m->buf + i, &r, len - i < 8 ? len - i : 8);
	}
	ret = gas_pwrite(m->fd, m->buf, len, gpa);
	if (ret != (n ? (ssize_t)n : err))
		return bad(m, "pwrite %#llx+%#llx: %zd, model %lld",
			   (unsigned long long)gpa, (unsigned long long)len,
			   ret, n ? (long long)n : err);
	if (!n)
		return 0;
	memcpy(m->mem + (gpa - m->zone), m->buf, n);
	for (g = gpa & ~(PAGE_4K - 1); g < gpa + n; g += PAGE_4K) {
		const struct area *a = &m->a[area_at(m, g)];

		populate(m, zpage(m, g), a);
		mark_dirty(m, g, a, false);
	}
	return 0;
}

static int do_mmap(struct model *m, __u64 gpa, __u64 len)
{
	struct vmap *v = &m->maps[rnd_below(m, MAX_MAPS)];
	bool ok = alloc_span(m, gpa, len) == len, mapped;
	void *p;

	note(m, "mmap %#llx+%#llx", (unsigned long long)gpa,
	     (unsigned long long)len);
	if (v->addr)
		munmap(v->addr, v->len);
	v->addr = NULL;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd,
		 (off_t)gpa);
	mapped = p != MAP_FAILED;
	if (ok != mapped || (!ok && errno != ENXIO)) {
		if (p != MAP_FAILED)
			munmap(p, len);
		return bad(m, "mmap %#llx+%#llx: %s, model %s",
			   (unsigned long long)gpa, (unsigned long long)len,
			   p == MAP_FAILED ? strerror(errno) : "mapped",
			   ok ? "mapped" : "ENXIO");
	}
	if (ok) {
		v->addr = p;
		v->gpa = gpa;
		v->len = len;
	}
	return 0;
}

static int do_touch(struct model *m)
{
	struct vmap *v = &m->maps[rnd_below(m, MAX_MAPS)];
	__u64 off, gpa;
	bool write = rnd(m) & 1, ok;
	unsigned char val = rnd(m), got = 0;
	int i, ret;

	if (!v->addr)
		return 0;
	off = rnd_below(m, v->len);
	gpa = v->gpa + off;
	i = area_at(m, gpa);
	ok = i >= 0 && !m->a[i].linear;
	/* a missing page of a USERFAULT area: its event, or SIGBUS */
	if (ok && uf_missing(m, gpa, i)) {
		if (m->ufd < 0)
			ok = false;
		else
			uf_access(m, gpa, write ? GASPACE_PROT_WRITE :
						  GASPACE_PROT_READ);
	}
	note(m, "touch %s %#llx", write ? "write" : "read",
	     (unsigned long long)gpa);
	ret = gas_touch(v->addr + off, write, val, &got);
	if (ret != (ok ? 0 : SIGBUS))
		return bad(m, "touch %s %#llx: %s, model %s",
			   write ? "write" : "read", (unsigned long long)gpa,
			   ret ? "SIGBUS" : "ok", ok ? "ok" : "SIGBUS");
	if (!ok)
		return 0;
	if (!write && got != m->mem[gpa - m->zone])
		return bad(m, "touch read %#llx: %#x, model %#x",
			   (unsigned long long)gpa, got,
			   m->mem[gpa - m->zone]);
	if (write)
		m->mem[gpa - m->zone] = val;
	populate(m, zpage(m, gpa), &m->a[i]);
	if (write)
		mark_dirty(m, gpa, &m->a[i], false);
	if (m->root && !m->shared) {
		long long hpa = gas_pagemap_hpa(v->addr + off);
		unsigned int p = zpage(m, gpa);

		if (hpa <= 0)
			return bad(m, "pagemap %#llx: %lld",
				   (unsigned long long)gpa, hpa);
		hpa &= ~(PAGE_4K - 1);
		if (m->phpa[p] && m->phpa[p] != (__u64)hpa)
			return bad(m, "touch %#llx: VMM frame %#llx, guest frame %#llx",
				   (unsigned long long)gpa, hpa,
				   (unsigned long long)m->phpa[p]);
		m->phpa[p] = hpa;
	}
	return 0;
}

static void unmap_vmaps(struct model *m)
{
	int i;

	for (i = 0; i < MAX_MAPS; i++) {
		if (m->maps[i].addr)
			munmap(m->maps[i].addr, m->maps[i].len);
		m->maps[i].addr = NULL;
	}
}

/* ---- the calls ---- */

static const __u32 good_prots[] = {
	0, GAS_PROT_R, GAS_PROT_RW, GAS_PROT_RX, GAS_PROT_RWX,
	GASPACE_PROT_EXEC,
};

static __u32 random_prot(struct model *m)
{
	return good_prots[rnd_below(m, ARRAY_LEN(good_prots))];
}

/* A page-aligned range in the zone: [*gpa, *gpa + *size). */
static void zone_range(struct model *m, __u64 *gpa, __u64 *size)
{
	__u64 p, n, r = rnd_below(m, 10);

	if (r < 5) {
		p = rnd_below(m, m->pages);
		n = 1 + rnd_below(m, 16);
	} else if (r < 8) {
		p = rnd_below(m, m->pages);
		n = 1 + rnd_below(m, PAGES_2M);
	} else {
		p = rnd_below(m, m->pages / PAGES_2M) * PAGES_2M;
		n = PAGES_2M * (1 + rnd_below(m, 3));
	}
	if (p + n > m->pages)
		n = m->pages - p;
	*gpa = m->zone + p * PAGE_4K;
	*size = n * PAGE_4K;
}

/* One argument made invalid, or none (most of the time). */
enum { BAD_NONE, BAD_RSV, BAD_FLAGS, BAD_PROT, BAD_ALIGN, BAD_ZERO,
	BAD_WRAP, BAD_HPA, BAD_RANGE, BAD_KINDS };

static int spoil(struct model *m)
{
	return rnd_below(m, 100) < 6 ? 1 + rnd_below(m, BAD_KINDS - 1) :
				       BAD_NONE;
}

/*
 * The bad arguments of @how that concern *@gpa and *@size alone, made the
 * way every call makes them: the errno they must get, or 0 (none made, or
 * BAD_RANGE, whose -ERANGE the caller works out).  BAD_RANGE puts the
 * range across the end of the space or just below its base; with
 * @new_size it draws a new size too, else it keeps one that reaches past
 * the end.
 */
static int spoil_range(struct model *m, int how, __u64 *gpa, __u64 *size,
		       bool new_size)
{
	switch (how) {
	case BAD_ALIGN:
		if (rnd(m) & 1)
			*gpa += 1 + rnd_below(m, PAGE_4K - 1);
		else
			*size += 1 + rnd_below(m, PAGE_4K - 1);
		return -EINVAL;
	case BAD_ZERO:
		*size = 0;
		return -EINVAL;
	case BAD_WRAP:
		*size = -*gpa + (*gpa > SZ_16K ? PAGE_4K * rnd_below(m, 4) : 0);
		return -EINVAL;
	case BAD_RANGE:
		if (rnd(m) & 1 || m->base < PAGE_4K) {
			if (new_size) {
				*gpa = m->end - PAGE_4K * (1 + rnd_below(m, 3));
				*size = PAGE_4K * (4 + rnd_below(m, 4));
			} else {
				__u64 k = rnd_below(m, 4);

				*gpa = m->end - PAGE_4K * k;
				if (*size <= PAGE_4K * k)
					*size = PAGE_4K * (k + 1);
			}
		} else {
			*gpa = m->base - PAGE_4K;
			if (new_size)
				*size = PAGE_4K * (1 + rnd_below(m, 4));
		}
		break;
	}
	return 0;
}

static int do_map(struct model *m, bool linear)
{
	struct gaspace_map a = { 0 };
	int how = spoil(m), want = 0, ret;
	__u64 r = rnd_below(m, 100);
	bool replace;

	zone_range(m, &a.gpa, &a.size);
	a.prot = random_prot(m);
	if (linear) {
		__u64 mode = rnd_below(m, 3);

		a.flags = rnd(m) & (GASPACE_MAP_DEVICE | GASPACE_MAP_NOHUGE |
				    GASPACE_MAP_REPLACE);
		if (mode == 0)
			a.hpa = HPA0 + (a.gpa & (SZ_1G - 1));
		else if (mode == 1)
			a.hpa = HPA0 + rnd_below(m, 1 << 18) * PAGE_4K;
		else
			a.hpa = HPA0 + rnd_below(m, 64) * SZ_2M +
				(a.gpa & (SZ_2M - 1));
		if (r < 6 && !m->shared) {
			/* big: 1 GiB leaves, often across the zone */
			a.gpa = m->base + rnd_below(m, 3) * SZ_1G;
			a.gpa &= ~(SZ_1G - 1);
			a.size = SZ_1G * (1 + rnd_below(m, 2));
			a.hpa = HPA0 + rnd_below(m, 4) * SZ_1G;
			a.flags &= ~GASPACE_MAP_NOHUGE;
			if (rnd(m) & 1)
				a.size -= SZ_2M;
		}
	} else {
		a.flags = rnd(m) & (GASPACE_MAP_POPULATE | GASPACE_MAP_HUGE |
				    GASPACE_MAP_REPLACE);
		if (m->shared)
			a.flags &= ~GASPACE_MAP_REPLACE;
		else if (rnd_below(m, 100) < 30)
			a.flags = (a.flags & GASPACE_MAP_REPLACE) |
				  GASPACE_MAP_USERFAULT;
	}
	if (m->shared) {
		a.flags &= ~GASPACE_MAP_REPLACE;
		if (rnd(m) & 1)
			a.flags |= GASPACE_MAP_REPLACE;
	}
	switch (how) {
	case BAD_RSV:
		a.reserved[rnd_below(m, 2)] = 1ULL << rnd_below(m, 64);
		want = -EINVAL;
		break;
	case BAD_FLAGS:
		if (rnd(m) & 1)
			a.flags |= 1u << (6 + rnd_below(m, 26));
		else if (!m->shared && rnd(m) & 1)
			/* on MAP_LINEAR; with POPULATE or HUGE */
			a.flags |= GASPACE_MAP_USERFAULT |
				   (linear ? 0 : rnd(m) & 1 ?
					GASPACE_MAP_POPULATE : GASPACE_MAP_HUGE);
		else if (linear)
			a.flags |= rnd(m) & 1 ? GASPACE_MAP_POPULATE :
						GASPACE_MAP_HUGE;
		else
			a.flags |= rnd(m) & 1 ? GASPACE_MAP_DEVICE :
						GASPACE_MAP_NOHUGE;
		want = -EINVAL;
		break;
	case BAD_PROT:
		a.prot = rnd(m) & 1 ? GASPACE_PROT_WRITE :
				      a.prot | (8u << rnd_below(m, 28));
		want = -EINVAL;
		break;
	case BAD_ALIGN:
		if (rnd(m) & 1)
			a.gpa += 1 + rnd_below(m, PAGE_4K - 1);
		else if (rnd(m) & 1 || !linear)
			a.size += 1 + rnd_below(m, PAGE_4K - 1);
		else
			a.hpa += 1 + rnd_below(m, PAGE_4K - 1);
		want = -EINVAL;
		break;
	case BAD_HPA:
		if (linear)
			a.hpa = BIT_ULL(m->pa_bits) - PAGE_4K *
				rnd_below(m, a.size / PAGE_4K);
		else
			a.hpa = PAGE_4K << rnd_below(m, 40);
		want = -EINVAL;
		break;
	default:
		want = spoil_range(m, how, &a.gpa, &a.size, false);
		break;
	}
	if (!want && (a.gpa < m->base || a.gpa + a.size > m->end))
		want = -ERANGE;
	if (!want && overlaps(m, a.gpa, a.gpa + a.size) &&
	    !(a.flags & GASPACE_MAP_REPLACE))
		want = -EEXIST;
	note(m, "map_%s %#llx+%#llx hpa %#llx prot %u flags %#x rsv %llx/%llx",
	     linear ? "linear" : "alloc", (unsigned long long)a.gpa,
	     (unsigned long long)a.size, (unsigned long long)a.hpa, a.prot,
	     a.flags, (unsigned long long)a.reserved[0],
	     (unsigned long long)a.reserved[1]);
	ret = gas_map_args(m->fd, linear ? GASPACE_MAP_LINEAR :
					   GASPACE_MAP_ALLOC, &a);
	if (ret != want)
		return bad(m, "map: %d, model %d", ret, want);
	if (ret) {
		m->nerr++;
		return 0;
	}
	m->nok++;
	replace = a.flags & GASPACE_MAP_REPLACE;
	if (replace)
		remove_range(m, a.gpa, a.gpa + a.size);
	{
		struct area n = {
			.start = a.gpa, .end = a.gpa + a.size, .hpa = a.hpa,
			.prot = a.prot, .flags = a.flags, .linear = linear,
		};
		__u64 g;
		int i;

		insert_area(m, &n);
		if (!linear && (a.flags & GASPACE_MAP_POPULATE)) {
			i = area_at(m, a.gpa);
			for (g = a.gpa; g < a.gpa + a.size; g += PAGE_4K)
				populate(m, zpage(m, g), &m->a[i]);
		}
	}
	return 0;
}

/* The calls on a struct gaspace_range. */
enum { R_UNMAP, R_PROTECT, R_LOG, R_UNLOG };

static const char *const range_names[] = {
	"unmap", "protect", "dirty_log_enable", "dirty_log_disable",
};

static const unsigned long range_cmds[] = {
	GASPACE_UNMAP, GASPACE_PROTECT, GASPACE_DIRTY_LOG_ENABLE,
	GASPACE_DIRTY_LOG_DISABLE,
};

/* Whether [s, e) lies in logged areas, without a hole. */
static bool logged_all(struct model *m, __u64 s, __u64 e)
{
	int i = area_from(m, s);

	for (; s < e; i++) {
		if (i >= m->nr || m->a[i].start > s || !m->a[i].logged)
			return false;
		s = m->a[i].end;
	}
	return true;
}

/* The model's DIRTY_LOG_ENABLE or DISABLE of the areas in [s, e). */
static void log_range(struct model *m, __u64 s, __u64 e, bool log)
{
	int i;
	__u64 g;

	split_at(m, s);
	split_at(m, e);
	for (i = area_from(m, s); i < m->nr && m->a[i].start < e; i++) {
		struct area *a = &m->a[i];

		if (a->logged == log)
			continue;	/* keeps its state */
		a->logged = log;
		/* starts clean; or its bits go */
		for (g = a->start; g < a->end; g += PAGE_4K) {
			m->dirty[zpage(m, g)] = 0;
			m->wok[zpage(m, g)] = 0;
		}
	}
}

static int do_range(struct model *m, int op)
{
	struct gaspace_range r = { 0 };
	int how = spoil(m), want = 0, ret;
	__u64 x = rnd_below(m, 100);
	bool protect = op == R_PROTECT;

	zone_range(m, &r.gpa, &r.size);
	if (protect)
		r.prot = random_prot(m);
	if (op != R_UNMAP) {
		if (x < 50 && m->nr) {
			/* inside one area, or from one area's start */
			int i = area_from(m, r.gpa);
			const struct area *a;

			if (i >= m->nr)
				i = m->nr - 1;
			a = &m->a[i];
			if (in_zone(m, a->start) && in_zone(m, a->end - 1)) {
				__u64 n = (a->end - a->start) / PAGE_4K;
				__u64 s = rnd_below(m, n);

				r.gpa = a->start + s * PAGE_4K;
				r.size = (1 + rnd_below(m, n - s)) * PAGE_4K;
				if (x < 10) {
					r.gpa = a->start;
					r.size = a->end - a->start;
				}
			}
		}
	} else if (x < 2 && !m->shared) {
		r.gpa = m->base;
		r.size = m->end - m->base;
	}
	switch (how) {
	case BAD_RSV:
		r.reserved[rnd_below(m, 2)] = 1ULL << rnd_below(m, 64);
		want = -EINVAL;
		break;
	case BAD_FLAGS:
		r.flags = 1u << rnd_below(m, 32);
		want = -EINVAL;
		break;
	case BAD_PROT:
		if (protect)
			r.prot = rnd(m) & 1 ? GASPACE_PROT_WRITE :
					      r.prot | (8u << rnd_below(m, 28));
		else
			r.prot = 1 + rnd_below(m, 7);
		want = -EINVAL;
		break;
	default:
		want = spoil_range(m, how, &r.gpa, &r.size, false);
		break;
	}
	if (!want && (r.gpa < m->base || r.gpa + r.size > m->end))
		want = -ERANGE;
	if (!want && op != R_UNMAP && !covered(m, r.gpa, r.gpa + r.size))
		want = -ENOENT;
	note(m, "%s %#llx+%#llx prot %u flags %#x rsv %llx/%llx",
	     range_names[op], (unsigned long long)r.gpa,
	     (unsigned long long)r.size, r.prot, r.flags,
	     (unsigned long long)r.reserved[0],
	     (unsigned long long)r.reserved[1]);
	ret = gas_range_args(m->fd, range_cmds[op], &r);
	if (ret != want)
		return bad(m, "%s: %d, model %d", range_names[op], ret, want);
	if (ret) {
		m->nerr++;
		return 0;
	}
	m->nok++;
	if (op == R_UNMAP) {
		remove_range(m, r.gpa, r.gpa + r.size);
		return 0;
	}
	if (op != R_PROTECT) {
		log_range(m, r.gpa, r.gpa + r.size, op == R_LOG);
		return 0;
	}
	split_at(m, r.gpa);
	split_at(m, r.gpa + r.size);
	{
		int i;
		__u64 g;

		for (i = area_from(m, r.gpa);
		     i < m->nr && m->a[i].start < r.gpa + r.size; i++) {
			struct area *a = &m->a[i];

			a->prot = r.prot;
			/* a logged area's leaves all lose W */
			for (g = a->start; a->logged && g < a->end;
			     g += PAGE_4K)
				m->wok[zpage(m, g)] = 0;
		}
	}
	return 0;
}

/* ---- the dirty log ---- */

/* A random logged area's index, or -1 when none is logged. */
static int random_logged(struct model *m)
{
	int i, n = 0, k;

	for (i = 0; i < m->nr; i++)
		n += m->a[i].logged;
	if (!n)
		return -1;
	k = rnd_below(m, n);
	for (i = 0; i < m->nr; i++)
		if (m->a[i].logged && !k--)
			break;
	return i;
}

/* A report of [gpa, gpa + size) in m->bits against the model's bits. */
static int check_report(struct model *m, __u64 gpa, __u64 size,
			const char *what)
{
	__u64 n = size / PAGE_4K, i, words = (n + 63) / 64;

	for (i = 0; i < words * 64; i++) {
		bool got = m->logbits[i / 64] >> (i % 64) & 1;
		bool want = i < n && m->dirty[zpage(m, gpa + i * PAGE_4K)];

		if (got != want)
			return bad(m, "%s %#llx+%#llx: page %#llx %s, model %s",
				   what, (unsigned long long)gpa,
				   (unsigned long long)size,
				   (unsigned long long)(gpa + i * PAGE_4K),
				   got ? "dirty" : "clean",
				   i >= n ? "past the range, 0" :
				   want ? "dirty" : "clean");
	}
	if (m->logbits[words] != 0x5a5a5a5a5a5a5a5aULL)
		return bad(m, "%s %#llx+%#llx: wrote past the bitmap", what,
			   (unsigned long long)gpa, (unsigned long long)size);
	return 0;
}

/* Report the logged area @i (and the logged ones right after it). */
static int check_log(struct model *m, int i)
{
	__u64 s = m->a[i].start, e = m->a[i].end;
	int ret;

	while (++i < m->nr && m->a[i].logged && m->a[i].start == e)
		e = m->a[i].end;
	memset(m->logbits, 0x5a, (ZONE_PAGES / 64 + 1) * sizeof(__u64));
	ret = gas_get_dirty_log(m->fd, s, e - s, m->logbits, 0);
	if (ret)
		return bad(m, "GET_DIRTY_LOG %#llx+%#llx: %d",
			   (unsigned long long)s, (unsigned long long)(e - s),
			   ret);
	return check_report(m, s, e - s, "GET_DIRTY_LOG");
}

/* Every logged area reported. */
static int check_logs(struct model *m)
{
	int i;

	for (i = 0; i < m->nr; i++)
		if (m->a[i].logged && (!i || !m->a[i - 1].logged ||
				       m->a[i - 1].end != m->a[i].start) &&
		    check_log(m, i))
			return -1;
	return 0;
}

/* GET_DIRTY_LOG: a report, CLEAR or SET, now and then with bad arguments. */
static int do_get_log(struct model *m)
{
	struct gaspace_dirty_log d = { 0 };
	__u64 x = rnd_below(m, 100), n, words, i, g;
	int how = spoil(m), want = 0, ret, k;
	bool bad_bitmap = rnd_below(m, 100) < 3;

	zone_range(m, &d.gpa, &d.size);
	k = x < 80 ? random_logged(m) : -1;
	if (k >= 0) {
		/* in one logged area, sometimes on into the next ones */
		const struct area *a = &m->a[k];
		__u64 pages = (a->end - a->start) / PAGE_4K;
		__u64 s = rnd_below(m, pages), e;

		e = s + 1 + rnd_below(m, pages - s);
		if (x < 20)
			e = pages + rnd_below(m, 64);
		d.gpa = a->start + s * PAGE_4K;
		d.size = (e - s) * PAGE_4K;
		if (d.gpa + d.size > m->zone + m->pages * PAGE_4K)
			d.size = m->zone + m->pages * PAGE_4K - d.gpa;
	}
	x = rnd_below(m, 100);
	d.flags = x < 40 ? 0 : x < 75 ? GASPACE_DIRTY_CLEAR : GASPACE_DIRTY_SET;
	d.bitmap = (uintptr_t)m->logbits;
	if (bad_bitmap)
		d.bitmap = rnd(m) & 1 ? 0 : 0xffff888000000000ULL;
	switch (how) {
	case BAD_RSV:
		d.reserved[rnd_below(m, 2)] = 1ULL << rnd_below(m, 64);
		want = -EINVAL;
		break;
	case BAD_FLAGS:
		d.flags = rnd(m) & 1 ? GASPACE_DIRTY_CLEAR | GASPACE_DIRTY_SET :
				       d.flags | 4u << rnd_below(m, 30);
		want = -EINVAL;
		break;
	case BAD_PROT:		/* the pad */
		d.pad = 1u << rnd_below(m, 32);
		want = -EINVAL;
		break;
	default:
		want = spoil_range(m, how, &d.gpa, &d.size, true);
		break;
	}
	if (!want && (d.gpa < m->base || d.gpa + d.size > m->end))
		want = -ERANGE;
	/* SET reads the bitmap first, a report writes it last */
	if (!want && bad_bitmap && (d.flags & GASPACE_DIRTY_SET))
		want = -EFAULT;
	if (!want && !logged_all(m, d.gpa, d.gpa + d.size))
		want = -ENOENT;
	if (!want && bad_bitmap)
		want = -EFAULT;
	n = d.size / PAGE_4K;
	words = (n + 63) / 64;
	if (d.flags == GASPACE_DIRTY_SET && !want) {
		/* sparse or dense; bits past the range must be ignored */
		__u64 mask = rnd(m) & 1 ? ~0ULL : 0;

		for (i = 0; i < words; i++)
			m->logbits[i] = rnd(m) & (rnd(m) | mask) &
				     (rnd(m) | (rnd(m) & 1 ? 0 : ~0ULL));
	} else {
		memset(m->logbits, 0x5a, (ZONE_PAGES / 64 + 1) * sizeof(__u64));
	}
	note(m, "get_dirty_log %#llx+%#llx flags %#x pad %#x rsv %llx/%llx bitmap %#llx",
	     (unsigned long long)d.gpa, (unsigned long long)d.size, d.flags,
	     d.pad, (unsigned long long)d.reserved[0],
	     (unsigned long long)d.reserved[1], (unsigned long long)d.bitmap);
	ret = gas_ioctl_ptr(m->fd, GASPACE_GET_DIRTY_LOG, &d);
	if (ret != want)
		return bad(m, "get_dirty_log: %d, model %d", ret, want);
	if (ret == -EFAULT && (d.flags & GASPACE_DIRTY_CLEAR)) {
		/* the bits are put back; their leaves lost W on the way */
		for (g = d.gpa; g < d.gpa + d.size; g += PAGE_4K)
			if (m->dirty[zpage(m, g)])
				m->wok[zpage(m, g)] = 0;
	}
	if (ret)
		return 0;
	if (d.flags & GASPACE_DIRTY_SET) {
		for (i = 0; i < n; i++)
			if (m->logbits[i / 64] >> (i % 64) & 1)
				m->dirty[zpage(m, d.gpa + i * PAGE_4K)] = 1;
		return 0;
	}
	if (check_report(m, d.gpa, d.size, "get_dirty_log"))
		return -1;
	if (d.flags & GASPACE_DIRTY_CLEAR) {
		for (g = d.gpa; g < d.gpa + d.size; g += PAGE_4K) {
			m->dirty[zpage(m, g)] = 0;
			m->wok[zpage(m, g)] = 0;
		}
	}
	return 0;
}

/* One call of the dirty log. */
static int do_dirty(struct model *m)
{
	__u64 r = rnd_below(m, 100);

	if (r < 30)
		return do_range(m, R_LOG);
	if (r < 45)
		return do_range(m, R_UNLOG);
	return do_get_log(m);
}

static int do_fault(struct model *m)
{
	__u64 gpa = m->zone + rnd_below(m, m->pages * PAGE_4K);
	__u32 access = 1 + rnd_below(m, 7), flags = 0;
	struct gaspace_fault f;
	int i, want = 0, ret;

	if (rnd_below(m, 100) < 4) {
		if (rnd(m) & 1)
			access = rnd(m) & 1 ? 0 : access | 8u << rnd_below(m, 28);
		else
			flags = 1u << rnd_below(m, 32);
		want = -EINVAL;
	} else if (rnd_below(m, 100) < 3 && !m->shared) {
		gpa = rnd(m) & 1 ? m->end + rnd_below(m, SZ_1G) :
				   rnd_below(m, m->end);
	}
	i = area_at(m, gpa);
	if (want)
		;
	else if (gpa < m->base || gpa >= m->end)
		want = -ERANGE;
	else if (i < 0)
		want = -ENOENT;
	else if (access & ~m->a[i].prot)
		want = -EACCES;
	else if (uf_missing(m, gpa, i) && m->ufd < 0)
		want = -EIO;
	else if (uf_missing(m, gpa, i))
		uf_access(m, gpa, access);
	note(m, "fault %#llx access %u flags %#x", (unsigned long long)gpa,
	     access, flags);
	f.gpa = gpa;
	f.access = access;
	f.flags = flags;
	ret = gas_ioctl_ptr(m->fd, GASPACE_FAULT, &f);
	if (ret != want)
		return bad(m, "fault %#llx access %u flags %#x: %d, model %d",
			   (unsigned long long)gpa, access, flags, ret, want);
	if (!ret && !m->a[i].linear)
		populate(m, zpage(m, gpa), &m->a[i]);
	if (!ret && (access & GASPACE_PROT_WRITE))
		mark_dirty(m, gpa, &m->a[i], true);
	return 0;
}

static int do_translate(struct model *m)
{
	__u64 gpa = m->zone + rnd_below(m, m->pages * PAGE_4K);
	__u64 r = rnd_below(m, 100);

	if (r < 3 && !m->shared)
		gpa = m->end + rnd_below(m, 1ULL << 40);
	else if (r < 6 && !m->shared)
		gpa = rnd_below(m, m->end);
	else if (r < 10 && m->nr)
		gpa = m->a[rnd_below(m, m->nr)].start + rnd_below(m, 3) - 1;
	note(m, "translate %#llx", (unsigned long long)gpa);
	if (m->shared && !in_zone(m, gpa))
		return 0;	/* another thread's part */
	return check_translate(m, gpa);
}

/* A random USERFAULT area's index, or -1 when there is none. */
static int random_userfault(struct model *m)
{
	int i, n = 0, k;

	for (i = 0; i < m->nr; i++)
		n += !!(m->a[i].flags & GASPACE_MAP_USERFAULT);
	if (!n)
		return -1;
	k = rnd_below(m, n);
	for (i = 0; i < m->nr; i++)
		if ((m->a[i].flags & GASPACE_MAP_USERFAULT) && !k--)
			break;
	return i;
}

/* FILL: mostly missing pages of one USERFAULT area, now and then not. */
static int do_fill(struct model *m)
{
	struct gaspace_fill f = { 0 };
	int how = spoil(m), want = 0, ret, k, i;
	__u64 x = rnd_below(m, 100), g;
	bool bad_src = rnd_below(m, 100) < 4, zeros = rnd(m) & 1;

	zone_range(m, &f.gpa, &f.size);
	k = x < 80 ? random_userfault(m) : -1;
	if (k >= 0) {
		/* a run of missing pages from a random one on */
		const struct area *a = &m->a[k];
		__u64 pages = (a->end - a->start) / PAGE_4K, n = 0;
		__u64 max = 1 + rnd_below(m, x < 10 ? pages : 16);

		f.gpa = a->start + rnd_below(m, pages) * PAGE_4K;
		while (f.gpa + n * PAGE_4K < a->end && n < max &&
		       (x < 70 ? !m->pop[zpage(m, f.gpa + n * PAGE_4K)] : 1))
			n++;
		f.size = (n ? n : 1) * PAGE_4K;
	}
	if (f.size > 64 * PAGE_4K)
		zeros = true;	/* more than m->buf holds */
	if (!zeros) {
		for (g = 0; g < f.size; g += 8) {
			__u64 r = rnd(m);

			memcpy(m->buf + g, &r, 8);
		}
		f.src = (uintptr_t)m->buf;
	}
	if (bad_src)
		f.src = rnd(m) & 1 ? 0xffff888000000000ULL : PAGE_4K;
	switch (how) {
	case BAD_RSV:
		f.reserved[rnd_below(m, 2)] = 1ULL << rnd_below(m, 64);
		want = -EINVAL;
		break;
	case BAD_FLAGS:
		f.flags = 1u << rnd_below(m, 32);
		want = -EINVAL;
		break;
	case BAD_PROT:
	case BAD_HPA:		/* the pad */
		f.pad = 1u << rnd_below(m, 32);
		want = -EINVAL;
		break;
	default:
		want = spoil_range(m, how, &f.gpa, &f.size, true);
		break;
	}
	if (!want && (f.gpa < m->base || f.gpa + f.size > m->end))
		want = -ERANGE;
	if (!want && !covered(m, f.gpa, f.gpa + f.size))
		want = -ENOENT;
	i = want ? -1 : area_at(m, f.gpa);
	if (!want && (m->a[i].linear ||
		      !(m->a[i].flags & GASPACE_MAP_USERFAULT) ||
		      m->a[i].end < f.gpa + f.size))
		want = -EINVAL;
	for (g = f.gpa; !want && g < f.gpa + f.size; g += PAGE_4K)
		if (m->pop[zpage(m, g)])
			want = -EEXIST;
	if (!want && bad_src)
		want = -EFAULT;
	note(m, "fill %#llx+%#llx src %#llx flags %#x pad %#x rsv %llx/%llx",
	     (unsigned long long)f.gpa, (unsigned long long)f.size,
	     (unsigned long long)f.src, f.flags, f.pad,
	     (unsigned long long)f.reserved[0],
	     (unsigned long long)f.reserved[1]);
	ret = gas_fill_args(m->fd, &f);
	if (ret != want)
		return bad(m, "fill: %d, model %d", ret, want);
	if (ret) {
		m->nerr++;
		return 0;
	}
	m->nok++;
	for (g = 0; g < f.size; g += PAGE_4K)
		uf_filled(m, f.gpa + g, zeros ? NULL : m->buf + g);
	return 0;
}

/* Open the userfault fd, or close it; -EBUSY and -EINVAL now and then. */
static int do_ufd(struct model *m)
{
	unsigned long flags = rnd(m) & 1 ? GASPACE_UFD_NONBLOCK : 0;
	int want = 0, ret;

	if (rnd_below(m, 100) < 10) {
		flags |= 2UL << rnd_below(m, 8 * sizeof(long) - 1);
		want = -EINVAL;
	} else if (m->ufd >= 0 && rnd(m) & 1) {
		note(m, "userfault fd closed");
		uf_close(m);
		return 0;
	} else if (m->ufd >= 0) {
		want = -EBUSY;
	}
	note(m, "userfault_fd %#lx", flags);
	ret = want ? gas_userfault_fd(m->fd, flags) : uf_open(m, flags);
	if (ret >= 0 && want)
		close(ret);
	if (want ? ret != want : ret != 0)
		return bad(m, "userfault_fd %#lx: %d, model %d", flags, ret,
			   want);
	return 0;
}

static void guest_range(struct model *m, __u64 *gpa, __u64 *len)
{
	__u64 r = rnd_below(m, 10), zsize = m->pages * PAGE_4K;

	*gpa = m->zone + rnd_below(m, zsize);
	if (r < 6)
		*len = 1 + rnd_below(m, 64);
	else if (r < 9)
		*len = 1 + rnd_below(m, 3 * PAGE_4K);
	else
		*len = 1 + rnd_below(m, 64 * PAGE_4K);
	if (*gpa + *len > m->zone + zsize)
		*len = m->zone + zsize - *gpa;
}

static int one_op(struct model *m)
{
	__u64 r, gpa, len;

	/* the threaded case logs nothing: its readers write too */
	if (!m->shared && rnd_below(m, 100) < 10)
		return do_dirty(m);
	/* nor does it make USERFAULT areas: its readers would wait */
	if (!m->shared && rnd_below(m, 100) < 6)
		return rnd_below(m, 100) < 80 ? do_fill(m) : do_ufd(m);
	r = rnd_below(m, 100);

	if (r < 14)
		return do_map(m, false);
	if (r < 20)
		return do_map(m, true);
	if (r < 30)
		return do_range(m, R_UNMAP);
	if (r < 42)
		return do_range(m, R_PROTECT);
	if (r < 54)
		return do_fault(m);
	if (r < 62)
		return do_translate(m);
	guest_range(m, &gpa, &len);
	if (r < 70)
		return do_pread(m, gpa, len);
	if (r < 80)
		return do_pwrite(m, gpa, len);
	if (r < 84) {
		gpa &= ~(PAGE_4K - 1);
		len = (1 + rnd_below(m, 64)) * PAGE_4K;
		if (gpa + len > m->zone + m->pages * PAGE_4K)
			len = m->zone + m->pages * PAGE_4K - gpa;
		return do_mmap(m, gpa, len);
	}
	if (r < 85) {
		unmap_vmaps(m);
		return 0;
	}
	return do_touch(m);
}

/* Every page of the zone translated, every byte read back. */
static int sweep(struct model *m)
{
	__u64 g, len;
	int i;

	for (g = m->zone; g < m->zone + m->pages * PAGE_4K; g += PAGE_4K)
		if (check_translate(m, g + (rnd(m) & (PAGE_4K - 1))))
			return -1;
	for (i = 0; i < m->nr; i++) {
		const struct area *a = &m->a[i];

		if (a->linear || !in_zone(m, a->start))
			continue;
		for (g = a->start; g < a->end; g += len) {
			ssize_t ret;
			__u64 k;

			len = a->end - g < 64 * PAGE_4K ? a->end - g :
							  64 * PAGE_4K;
			/* a missing USERFAULT page would wait: not read */
			for (k = 0; k < len && !uf_missing(m, g + k, i);
			     k += PAGE_4K)
				;
			if (!k) {
				len = PAGE_4K;
				continue;
			}
			len = k;
			ret = gas_pread(m->fd, m->buf, len, g);
			if (ret < (ssize_t)len)
				return bad(m, "full check: pread %#llx+%#llx: %zd",
					   (unsigned long long)g,
					   (unsigned long long)len, ret);
			if (check_bytes(m, g, m->buf, len, "full check: pread"))
				return -1;
		}
	}
	return check_logs(m);
}

static int model_init(struct model *m, const struct gas_space *s, __u64 zone,
		      unsigned int pages, __u64 seed)
{
	memset(m, 0, sizeof(*m));
	m->fd = s->fd;
	m->format = s->format;
	m->bits = s->bits;
	m->levels = s->levels;
	m->root_pages = s->root_pages;
	m->max_level = s->max_level;
	m->pa_bits = s->pa_bits;
	m->base = s->base;
	m->end = s->base + s->size;
	m->root = gas_have_cap(CAP_SYS_ADMIN);
	m->zone = zone;
	m->pages = pages;
	m->rng = seed ? seed : 1;
	m->ufd = -1;
	m->a = calloc(MAX_AREAS, sizeof(*m->a));
	m->pop = calloc(pages, 1);
	m->lastop = calloc(pages, sizeof(*m->lastop));
	m->hugef = calloc(pages, 1);
	m->phpa = calloc(pages, sizeof(*m->phpa));
	m->hcount = calloc(pages / PAGES_2M + 1, sizeof(*m->hcount));
	m->mem = calloc(pages, PAGE_4K);
	m->buf = malloc(64 * PAGE_4K);
	m->dirty = calloc(pages, 1);
	m->wok = calloc(pages, 1);
	m->logbits = calloc(ZONE_PAGES / 64 + 1, sizeof(*m->logbits));
	if (!m->a || !m->pop || !m->hugef || !m->phpa || !m->hcount ||
	    !m->mem || !m->buf || !m->lastop || !m->dirty || !m->wok ||
	    !m->logbits)
		return -ENOMEM;
	return 0;
}

static void model_free(struct model *m)
{
	uf_close(m);
	unmap_vmaps(m);
	free(m->a);
	free(m->pop);
	free(m->lastop);
	free(m->hugef);
	free(m->phpa);
	free(m->hcount);
	free(m->mem);
	free(m->buf);
	free(m->dirty);
	free(m->wok);
	free(m->logbits);
}

static void dump_op(struct model *m, unsigned long op)
{
	if (op + HIST > m->ops)
		fprintf(stderr, "#   op %lu: %s\n", op, m->hist[op % HIST]);
}

static void model_dump(struct model *m)
{
	struct gaspace_translation t;
	unsigned long i;
	unsigned int p, n = 0;

	fprintf(stderr, "# op %lu: %s\n", m->ops, m->msg);
	for (i = m->ops >= 8 ? m->ops - 7 : 0; i <= m->ops; i++)
		dump_op(m, i);
	/* pages whose frame the model and the module disagree on */
	for (p = 0; p < m->pages && n < 4; p++) {
		__u64 g = m->zone + (__u64)p * PAGE_4K;
		int a = area_at(m, g), ret;

		if (a < 0 || m->a[a].linear || !m->a[a].prot)
			continue;
		ret = gas_translate(m->fd, g, &t);
		if (!ret == !!m->pop[p])
			continue;
		n++;
		fprintf(stderr, "# page %#llx: translate %d, model %s since:\n",
			(unsigned long long)g, ret,
			m->pop[p] ? "populated" : "lazy");
		dump_op(m, m->lastop[p]);
	}
}

/* ---- single-threaded cases ---- */

FIXTURE(stress) {
	struct gas_space s;
	struct model m;
};

FIXTURE_VARIANT(stress) {
	unsigned int format;
	unsigned int bits;
	__u64 base;
	unsigned int idx;
};

/* A geometry, the base of its space, what its seed adds: an initializer */
#define STRESS_GEOMETRY(fmt, width, start, i)				\
	{								\
		.format = GASPACE_FMT_##fmt, .bits = (width),		\
		.base = (start), .idx = (i),				\
	}

FIXTURE_VARIANT_ADD(stress, ept)
	STRESS_GEOMETRY(EPT, 48, 0, 0);
FIXTURE_VARIANT_ADD(stress, ept_5level)
	STRESS_GEOMETRY(EPT, 57, SZ_2M, 1);
FIXTURE_VARIANT_ADD(stress, npt)
	STRESS_GEOMETRY(NPT, 48, PAGE_4K, 2);
FIXTURE_VARIANT_ADD(stress, npt_5level)
	STRESS_GEOMETRY(NPT, 57, 0, 3);
FIXTURE_VARIANT_ADD(stress, arm64_s2)
	STRESS_GEOMETRY(ARM64_S2, 40, 0, 4);
/* two levels, a 4-page concatenated root: no 1 GiB leaf */
FIXTURE_VARIANT_ADD(stress, arm64_s2_32)
	STRESS_GEOMETRY(ARM64_S2, 32, PAGE_4K, 5);
FIXTURE_VARIANT_ADD(stress, arm64_s2_39)
	STRESS_GEOMETRY(ARM64_S2, 39, SZ_2M, 6);
FIXTURE_VARIANT_ADD(stress, arm64_s2_48)
	STRESS_GEOMETRY(ARM64_S2, 48, 0, 7);
FIXTURE_VARIANT_ADD(stress, riscv_g)
	STRESS_GEOMETRY(RISCV_G, 41, 0, 8);
FIXTURE_VARIANT_ADD(stress, riscv_g_sv48x4)
	STRESS_GEOMETRY(RISCV_G, 50, PAGE_4K, 9);
FIXTURE_VARIANT_ADD(stress, riscv_g_sv57x4)
	STRESS_GEOMETRY(RISCV_G, 59, SZ_2M, 10);

FIXTURE_SETUP(stress)
{
	ASSERT_EQ(0, gas_space_open(&self->s, variant->format, variant->bits,
				    variant->base, SPACE_END - variant->base));
	ASSERT_EQ(0, gas_catch_sigbus());
}

FIXTURE_TEARDOWN(stress)
{
	gas_space_close(&self->s);
}

TEST_F_TIMEOUT(stress, model_checked, 36000)
{
	unsigned long long total = env_number("GASPACE_STRESS_OPS", DEF_OPS);
	unsigned long long ops = (total + NR_CASES - 1) / NR_CASES, i;
	__u64 seed = the_seed() + variant->idx;
	struct model *m = &self->m;
	struct timespec t0, t1;

	ASSERT_EQ(0, model_init(m, &self->s, ZONE, ZONE_PAGES, seed));
	printf("# stress %s/%u: seed %#llx (GASPACE_SEED=%#llx), %llu ops\n",
	       gas_format_name(variant->format), self->s.bits,
	       (unsigned long long)seed, (unsigned long long)the_seed(), ops);
	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < ops; i++) {
		int ret;

		m->ops = i;
		ret = one_op(m);
		if (!ret)
			ret = uf_check(m);
		if (!ret)
			ret = check_info(m);
		if (!ret && !m->shared) {
			ret = check_translate(m, m->zone +
					      rnd_below(m, m->pages * PAGE_4K));
		}
		if (!ret && !m->shared) {
			int k = random_logged(m);

			if (k >= 0)
				ret = check_log(m, k);
		}
		if (!ret && (i + 1) % SWEEP == 0)
			ret = sweep(m);
		if (ret) {
			model_dump(m);
			ASSERT_EQ(0, ret) {
				TH_LOG("seed %#llx: %s",
				       (unsigned long long)seed, m->msg);
			}
		}
	}
	m->ops = i;
	if (sweep(m)) {
		model_dump(m);
		ASSERT_EQ(0, -1);
	}
	EXPECT_EQ(0, gas_audit_clean(self->s.fd));
	/* all gone: the empty space's counters */
	unmap_vmaps(m);
	ASSERT_EQ(0, gas_unmap(m->fd, m->base, m->end - m->base));
	EXPECT_COUNTERS(m->fd, 0, m->root_pages, 0, 0);
	{
		struct gaspace_info info;

		ASSERT_EQ(0, gas_get_info(m->fd, &info));
		EXPECT_EQ(0ULL, info.nr_dirty_pages);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("# stress %s/%u: %llu ops (map/unmap/protect: %lu ok, %lu errors) in %.1f s\n",
	       gas_format_name(variant->format), self->s.bits, ops, m->nok,
	       m->nerr,
	       (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	printf("# stress %s/%u: %llu userfaults\n",
	       gas_format_name(variant->format), self->s.bits,
	       (unsigned long long)m->nr_uf);
	model_free(m);
}

/* ---- the threaded case ---- */

#define MUTATORS	2
#define READERS		2

struct shared_run {
	int fd;
	int stop;
	unsigned int bad;
	char why[600];
	__u64 seed;
	unsigned long long ops;
	struct gas_space *s;
	pthread_barrier_t go;
	int nr_areas[MUTATORS];
};

struct thread_arg {
	struct shared_run *r;
	unsigned int idx;
};

static void t_surprise(struct shared_run *r, const char *fmt, ...)
{
	va_list ap;

	if (__atomic_fetch_add(&r->bad, 1, __ATOMIC_SEQ_CST))
		return;
	va_start(ap, fmt);
	vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
}

static void *mutator(void *arg)
{
	struct thread_arg *ta = arg;
	struct shared_run *r = ta->r;
	unsigned int part = ZONE_PAGES / MUTATORS;
	struct model *m = calloc(1, sizeof(*m));
	unsigned long long i;

	if (!m || model_init(m, r->s, ZONE + ta->idx * part * PAGE_4K, part,
			     r->seed + 100 + ta->idx)) {
		t_surprise(r, "thread %u: no memory", ta->idx);
		pthread_barrier_wait(&r->go);
		return NULL;
	}
	m->shared = true;
	pthread_barrier_wait(&r->go);
	for (i = 0; i < r->ops / MUTATORS && !r->bad; i++) {
		m->ops = i;
		if (one_op(m) || check_info(m)) {
			char *h = m->hist[i % HIST];

			t_surprise(r, "thread %u op %llu (%s): %s", ta->idx,
				   i, h, m->msg);
			break;
		}
	}
	r->nr_areas[ta->idx] = m->nr;
	/* the bytes written are still there */
	if (!r->bad && sweep(m))
		t_surprise(r, "thread %u: %s", ta->idx, m->msg);
	model_free(m);
	free(m);
	return NULL;
}

static void *reader(void *arg)
{
	struct thread_arg *ta = arg;
	struct shared_run *r = ta->r;
	struct model rm = { .rng = r->seed + 200 + ta->idx };
	unsigned char buf[256];

	pthread_barrier_wait(&r->go);
	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE) && !r->bad) {
		__u64 gpa = ZONE + rnd_below(&rm, ZONE_PAGES * PAGE_4K);
		struct gaspace_translation t;
		__u64 x = rnd_below(&rm, 4);
		long ret;

		if (x == 0) {
			ret = gas_fault(r->fd, gpa, 1 + rnd_below(&rm, 7));
			if (ret && ret != -ENOENT && ret != -EACCES)
				t_surprise(r, "FAULT %#llx: %ld",
					   (unsigned long long)gpa, ret);
		} else if (x == 1) {
			ret = gas_translate(r->fd, gpa, &t);
			if (ret && ret != -ENOENT)
				t_surprise(r, "TRANSLATE %#llx: %ld",
					   (unsigned long long)gpa, ret);
			if (!ret && (t.gpa != gpa || !t.limit ||
				     t.limit > ZONE_PAGES * PAGE_4K + SZ_1G * 2 ||
				     (t.page_size != PAGE_4K &&
				      t.page_size != SZ_2M &&
				      t.page_size != SZ_1G) ||
				     !t.prot || t.prot & ~GAS_PROT_RWX))
				t_surprise(r, "translate %#llx: %#llx %#llx %u",
					   (unsigned long long)gpa,
					   (unsigned long long)t.page_size,
					   (unsigned long long)t.limit, t.prot);
		} else if (x == 2) {
			size_t len = 1 + rnd_below(&rm, sizeof(buf));

			ret = gas_pread(r->fd, buf, len, gpa);
			if (ret != -ENXIO && (ret <= 0 || ret > (long)len))
				t_surprise(r, "pread %#llx: %ld",
					   (unsigned long long)gpa, ret);
		} else {
			size_t len = (1 + rnd_below(&rm, 8)) * PAGE_4K;
			unsigned char *p;
			int i;

			gpa &= ~(PAGE_4K - 1);
			if (gpa + len > ZONE + ZONE_PAGES * PAGE_4K)
				len = ZONE + ZONE_PAGES * PAGE_4K - gpa;
			p = mmap(NULL, len, PROT_READ | PROT_WRITE,
				 MAP_SHARED, r->fd, (off_t)gpa);
			if (p == MAP_FAILED) {
				if (errno != ENXIO)
					t_surprise(r, "mmap %#llx: %d",
						   (unsigned long long)gpa,
						   errno);
				continue;
			}
			for (i = 0; i < 8; i++)
				gas_touch(p + rnd_below(&rm, len), false, 0,
					  NULL);
			munmap(p, len);
		}
	}
	return NULL;
}

FIXTURE(stress_threads) {
	struct gas_space s;
};

FIXTURE_VARIANT(stress_threads) {
	unsigned int format;
	unsigned int bits;
};

FIXTURE_VARIANT_ADD(stress_threads, ept) {
	.format = GASPACE_FMT_EPT, .bits = 48,
};

FIXTURE_VARIANT_ADD(stress_threads, arm64_s2) {
	.format = GASPACE_FMT_ARM64_S2, .bits = 40,
};

FIXTURE_SETUP(stress_threads)
{
	ASSERT_EQ(0, gas_catch_sigbus());
}

FIXTURE_TEARDOWN(stress_threads)
{
	gas_space_close(&self->s);
}

TEST_F_TIMEOUT(stress_threads, map_while_others_fault, 36000)
{
	unsigned long long ops = env_number("GASPACE_STRESS_THREAD_OPS",
					    DEF_THREAD_OPS);
	struct thread_arg ta[MUTATORS + READERS];
	pthread_t th[MUTATORS + READERS];
	struct shared_run *r = calloc(1, sizeof(*r));
	struct gaspace_info info;
	long long sec_before, sec_after;
	struct timespec t0, t1;
	__u64 areas = 0;
	int i;

	ASSERT_NE(NULL, r);
	sec_before = gas_sec_page_tables_kb();
	ASSERT_EQ(0, gas_space_open(&self->s, variant->format, variant->bits,
				    0, SPACE_END));
	r->fd = self->s.fd;
	r->s = &self->s;
	r->seed = the_seed() + 1000 * (variant->format == GASPACE_FMT_EPT);
	r->ops = ops;
	printf("# stress_threads %s: seed %#llx (GASPACE_SEED=%#llx), %llu mutator ops\n",
	       gas_format_name(variant->format), (unsigned long long)r->seed,
	       (unsigned long long)the_seed(), ops);
	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ASSERT_EQ(0, pthread_barrier_init(&r->go, NULL, MUTATORS + READERS));
	for (i = 0; i < MUTATORS + READERS; i++) {
		ta[i].r = r;
		ta[i].idx = i < MUTATORS ? i : i - MUTATORS;
		ASSERT_EQ(0, pthread_create(&th[i], NULL,
					    i < MUTATORS ? mutator : reader,
					    &ta[i]));
	}
	for (i = 0; i < MUTATORS; i++)
		pthread_join(th[i], NULL);
	__atomic_store_n(&r->stop, 1, __ATOMIC_RELEASE);
	for (i = MUTATORS; i < MUTATORS + READERS; i++)
		pthread_join(th[i], NULL);
	EXPECT_EQ(0U, r->bad) {
		TH_LOG("seed %#llx: %s", (unsigned long long)r->seed, r->why);
	}
	for (i = 0; i < MUTATORS; i++)
		areas += r->nr_areas[i];
	ASSERT_EQ(0, gas_get_info(self->s.fd, &info));
	EXPECT_EQ(areas, info.nr_areas);
	EXPECT_EQ(0, gas_audit_clean(self->s.fd));
	/* every frame and table page goes with the areas */
	ASSERT_EQ(0, gas_unmap(self->s.fd, 0, SPACE_END));
	EXPECT_COUNTERS(self->s.fd, 0, self->s.root_pages, 0, 0);
	gas_space_close(&self->s);
	sec_after = gas_sec_page_tables_kb();
	if (sec_before >= 0) {
		EXPECT_EQ(sec_before, sec_after);
	}
	pthread_barrier_destroy(&r->go);
	free(r);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("# stress_threads %s: %llu mutator ops in %.1f s\n",
	       gas_format_name(variant->format), ops,
	       (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
}

/* ---- regression tests for what the random runs found ---- */

FIXTURE(stress_regress) {
	struct gas_space s;
	unsigned char *res;	/* 4 reserved pages of address space */
};

FIXTURE_SETUP(stress_regress)
{
	ASSERT_EQ(0, gas_space_open(&self->s, GASPACE_FMT_EPT, 48, SZ_1G,
				    SZ_1G));
	self->res = mmap(NULL, 4 * PAGE_4K, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->res);
}

FIXTURE_TEARDOWN(stress_regress)
{
	munmap(self->res, 4 * PAGE_4K);
	gas_space_close(&self->s);
}

/*
 * An mmap right below a mapping of the next guest pages was merged into
 * that mapping by mm without asking gaspace: it succeeded on a range that
 * holds no alloc area.  Found by stress (seed 0x18eb64cbc9a1bd28, EPT/48).
 */
TEST_F(stress_regress, stress_mmap_next_to_a_mapping_checks_its_range)
{
	unsigned char *res = self->res, *p;
	int fd = self->s.fd;

	ASSERT_EQ(0, gas_map_alloc(fd, SZ_1G + 2 * PAGE_4K, 2 * PAGE_4K,
				   GAS_PROT_RW, 0));
	p = mmap(res + 2 * PAGE_4K, 2 * PAGE_4K, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED, fd, SZ_1G + 2 * PAGE_4K);
	ASSERT_EQ(res + 2 * PAGE_4K, p);
	ASSERT_EQ(0, munmap(res, 2 * PAGE_4K));
	/* [1 GiB, + 8 KiB) holds no area */
	p = mmap(res, 2 * PAGE_4K, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED_NOREPLACE, fd, SZ_1G);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(ENXIO, errno);
	/* and the mapping above did not grow over it */
	ASSERT_EQ(0, gas_catch_sigbus());
	EXPECT_EQ(0, gas_touch(res + 2 * PAGE_4K, true, 1, NULL));
}

/* Nor does mremap() grow a mapping past its alloc areas. */
TEST_F(stress_regress, stress_mremap_does_not_grow_a_mapping)
{
	unsigned char *res = self->res, *p;
	int fd = self->s.fd;

	ASSERT_EQ(0, gas_map_alloc(fd, SZ_1G, 2 * PAGE_4K, GAS_PROT_RW, 0));
	p = mmap(res, 2 * PAGE_4K, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED, fd, SZ_1G);
	ASSERT_EQ(res, p);
	ASSERT_EQ(0, munmap(res + 2 * PAGE_4K, 2 * PAGE_4K));
	p = mremap(res, 2 * PAGE_4K, 4 * PAGE_4K, 0);
	EXPECT_EQ(MAP_FAILED, p);
}

/*
 * DIRTY_LOG_DISABLE splits the areas at the edges of its range as PROTECT
 * does, even where nothing was logged: the blocks across the edges are
 * split too, so that each leaf lies in one area.  Found by stress
 * (seed 0x18edb56f1fb811c5, EPT/57).
 */
TEST_F(stress_regress, stress_dirty_log_disable_splits_blocks_at_its_edges)
{
	struct gaspace_translation t;
	int fd = self->s.fd;
	int i;

	ASSERT_EQ(0, gas_map_linear(fd, SZ_1G, 2 * SZ_2M, BIT_ULL(40),
				    GAS_PROT_RW, 0));
	ASSERT_EQ(0, gas_dirty_log_disable(fd, SZ_1G + PAGE_4K, PAGE_4K));
	EXPECT_COUNTERS(fd, 3, 4, 0, 2 * SZ_2M);
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, gas_translate(fd, SZ_1G + i * PAGE_4K, &t));
		EXPECT_EQ(PAGE_4K, t.page_size);
		EXPECT_EQ(i == 2 ? 2 * SZ_2M - 2 * PAGE_4K : PAGE_4K,
			  t.limit);
	}
}

/*
 * DIRTY_LOG_DISABLE gives the leaves of a GASPACE_MAP_DEVICE area their W
 * back, as of any other area.  Found by stress (seed 0x18edb53f02f57be8,
 * EPT/48): the kernel warned in gaspace_dirty_stop() and the leaves stayed
 * read-only.
 */
TEST_F(stress_regress, stress_dirty_log_disable_restores_device_areas)
{
	struct gaspace_translation t;
	int fd = self->s.fd;

	ASSERT_EQ(0, gas_map_linear(fd, SZ_1G, SZ_2M, BIT_ULL(40),
				    GAS_PROT_RW, GASPACE_MAP_DEVICE));
	ASSERT_EQ(0, gas_dirty_log_enable(fd, SZ_1G, SZ_2M));
	ASSERT_EQ(0, gas_translate(fd, SZ_1G + SZ_16K, &t));
	EXPECT_EQ(PAGE_4K, t.page_size);
	EXPECT_EQ((__u32)GAS_PROT_R, t.prot);
	ASSERT_EQ(0, gas_dirty_log_disable(fd, SZ_1G, SZ_2M));
	ASSERT_EQ(0, gas_translate(fd, SZ_1G + SZ_16K, &t));
	EXPECT_EQ(SZ_2M, t.page_size);
	EXPECT_EQ((__u32)GAS_PROT_RW, t.prot);
}

TEST_HARNESS_MAIN
