// SPDX-License-Identifier: GPL-2.0
/*
 * inject_test: every allocation of every call fails in turn (Documentation/
 * gaspace.rst 3: a failed call leaves the address space exactly as it was;
 * 9).
 *
 * With the debug kernel's failslab and fail_page_alloc, the N-th allocation
 * of the calling task fails (/proc/thread-self/fail-nth) for N = 1, 2, ...
 * until a call makes fewer than N allocations.  At each N the call either
 * fails with -ENOMEM and leaves GET_INFO, the TRANSLATE of every page in
 * the range and every guest byte exactly as they were, or succeeds with
 * the state the same call reaches without injection (or, where the
 * contract has a fallback, the state of that fallback: a 2 MiB frame
 * replaced by 4 KiB pages; a short pwrite; a VMM touch that is retried as
 * anonymous memory is).  Leaks show in kmemleak at the end of the run.
 *
 * The knobs are global: each test sets them (ignore-gfp-wait N, min-order
 * 0, verbose 0; fail-nth works whatever the probability) and puts back
 * what it found.  Stock kernels have no fault injection: skipped.
 *
 * GASPACE_INJECT_ROTATE=1 (make check) sweeps every N of each call on one
 * format only, a different one from call to call, and fails just its first
 * allocation on the other three; the formats differ in depth and root
 * size, not in how the walker allocates.  make stress sweeps them all.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include "gaspace_util.h"
#include "kselftest_harness.h"

#define FAILSLAB	"/sys/kernel/debug/failslab/"
#define FAIL_PAGE	"/sys/kernel/debug/fail_page_alloc/"
#define FAIL_NTH	"/proc/thread-self/fail-nth"

#define SPACE_SIZE	(4 * SZ_1G)
#define HPA		BIT_ULL(40)	/* never RAM in the test VM */
/* the pages every check looks at: one 2 MiB block and 4 pages each side */
#define LO		(SZ_2M - 4 * PAGE_4K)
#define HI		(2 * SZ_2M + 4 * PAGE_4K)
#define NR_PAGES	((HI - LO) / PAGE_4K)
#define MID		(SZ_2M + 16 * PAGE_4K)	/* a page inside the block */
#define MAX_NTH		4096

/* The knobs a test changes, and what it found there. */
static const char *const knobs[][2] = {
	{ FAILSLAB "ignore-gfp-wait", "N" },
	{ FAILSLAB "verbose", "0" },
	{ FAIL_PAGE "ignore-gfp-wait", "N" },
	{ FAIL_PAGE "min-order", "0" },
	{ FAIL_PAGE "verbose", "0" },
};

#define NR_KNOBS	ARRAY_LEN(knobs)

/* What the checks compare: GET_INFO, every page's TRANSLATE and bytes. */
struct state {
	struct gaspace_info info;
	int tret[NR_PAGES];
	struct gaspace_translation t[NR_PAGES];
	int rret[NR_PAGES];
	unsigned char bytes[NR_PAGES][PAGE_4K];
};

FIXTURE(inject) {
	int dev;
	int nth_fd;
	char saved[NR_KNOBS][16];
	bool set;
	struct state *before, *after, *ref, *alt;
	unsigned char *buf;
	char msg[256];
};

FIXTURE_VARIANT(inject) {
	unsigned int format;
	unsigned int bits;
};

FIXTURE_VARIANT_ADD(inject, ept) GAS_GEOMETRY(EPT, 48);
FIXTURE_VARIANT_ADD(inject, npt) GAS_GEOMETRY(NPT, 48);
FIXTURE_VARIANT_ADD(inject, arm64_s2) GAS_GEOMETRY(ARM64_S2, 40);
FIXTURE_VARIANT_ADD(inject, riscv_g) GAS_GEOMETRY(RISCV_G, 41);

FIXTURE_SETUP(inject)
{
	unsigned int i;

	self->dev = -1;
	self->nth_fd = -1;
	if (access(FAILSLAB "ignore-gfp-wait", W_OK) ||
	    access(FAIL_PAGE "min-order", W_OK) || access(FAIL_NTH, W_OK))
		SKIP(return,
		     "no failslab/fail_page_alloc/fail-nth (not the debug kernel)");
	for (i = 0; i < NR_KNOBS; i++) {
		ASSERT_EQ(0, gas_read_string(knobs[i][0], self->saved[i],
					     sizeof(self->saved[i])));
	}
	self->set = true;
	for (i = 0; i < NR_KNOBS; i++) {
		ASSERT_EQ(0, gas_write_string(knobs[i][0], knobs[i][1]))
			TH_LOG("%s", knobs[i][0]);
	}
	self->nth_fd = open(FAIL_NTH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->nth_fd);
	self->dev = gas_open_dev();
	ASSERT_LE(0, self->dev);
	self->before = gas_shared_alloc(4 * sizeof(struct state));
	ASSERT_NE(NULL, self->before);
	self->after = self->before + 1;
	self->ref = self->before + 2;
	self->alt = self->before + 3;
	self->buf = gas_shared_alloc(HI - LO);
	ASSERT_NE(NULL, self->buf);
	/* fault everything in now: no page fault of ours under injection */
	memset(self->before, 0, 4 * sizeof(struct state));
	memset(self->buf, 0, HI - LO);
}

FIXTURE_TEARDOWN(inject)
{
	unsigned int i;

	if (self->nth_fd >= 0)
		close(self->nth_fd);
	if (self->set)
		for (i = 0; i < NR_KNOBS; i++)
			gas_write_string(knobs[i][0], self->saved[i]);
	if (self->dev >= 0)
		close(self->dev);
}

/* Fail the @nth allocation of this task from now on (0: none). */
static void inject_arm(int nth_fd, unsigned int nth)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", nth);

	if (write(nth_fd, buf, len) != len)
		abort();
}

/* Whether the armed failure was taken; disarms it. */
static bool inject_taken(int nth_fd)
{
	char buf[16];
	ssize_t n = pread(nth_fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		abort();
	buf[n] = '\0';
	inject_arm(nth_fd, 0);
	return strtoul(buf, NULL, 0) == 0;
}

/*
 * GET_INFO, each page's TRANSLATE, and the bytes: one pread of the whole
 * range when it reads whole (every page readable), else page by page.
 */
static void capture(int fd, struct state *s)
{
	bool whole;
	unsigned int i;

	memset(s, 0, sizeof(*s));
	gas_get_info(fd, &s->info);
	whole = gas_pread(fd, s->bytes, HI - LO, LO) == HI - LO;
	if (!whole)
		memset(s->bytes, 0, sizeof(s->bytes));
	for (i = 0; i < NR_PAGES; i++) {
		__u64 gpa = LO + i * PAGE_4K;
		ssize_t n;

		s->tret[i] = gas_translate(fd, gpa, &s->t[i]);
		if (s->tret[i])
			memset(&s->t[i], 0, sizeof(s->t[i]));
		if (whole)
			continue;
		n = gas_pread(fd, s->bytes[i], PAGE_4K, gpa);
		s->rret[i] = n < 0 ? (int)n : (int)(n == PAGE_4K ? 0 : 1);
		if (n < 0)
			memset(s->bytes[i], 0, PAGE_4K);
	}
}

/* What differs between two spaces built alike: where their memory is. */
static void mask_placement(struct state *s)
{
	unsigned int i;

	s->info.root_hpa = 0;
	s->info.root_pointer = 0;
	for (i = 0; i < NR_PAGES; i++)
		if (s->t[i].backend == GASPACE_BACKEND_ALLOC)
			s->t[i].hpa = 0;
}

/* The first difference between two states, in @msg; false when none. */
static bool state_diff(const struct state *a, const struct state *b,
		       char *msg, size_t len)
{
	unsigned int i;

	if (memcmp(&a->info, &b->info, sizeof(a->info))) {
		snprintf(msg, len,
			 "GET_INFO: areas %llu/%llu tables %llu/%llu data %llu/%llu mapped %#llx/%#llx",
			 (unsigned long long)a->info.nr_areas,
			 (unsigned long long)b->info.nr_areas,
			 (unsigned long long)a->info.nr_table_pages,
			 (unsigned long long)b->info.nr_table_pages,
			 (unsigned long long)a->info.nr_data_pages,
			 (unsigned long long)b->info.nr_data_pages,
			 (unsigned long long)a->info.mapped_bytes,
			 (unsigned long long)b->info.mapped_bytes);
		return true;
	}
	for (i = 0; i < NR_PAGES; i++) {
		__u64 gpa = LO + i * PAGE_4K;

		if (a->tret[i] != b->tret[i] ||
		    memcmp(&a->t[i], &b->t[i], sizeof(a->t[i]))) {
			snprintf(msg, len,
				 "TRANSLATE %#llx: %d size %#llx prot %u / %d size %#llx prot %u",
				 (unsigned long long)gpa, a->tret[i],
				 (unsigned long long)a->t[i].page_size,
				 a->t[i].prot, b->tret[i],
				 (unsigned long long)b->t[i].page_size,
				 b->t[i].prot);
			return true;
		}
		if (a->rret[i] != b->rret[i] ||
		    memcmp(a->bytes[i], b->bytes[i], PAGE_4K)) {
			snprintf(msg, len, "bytes of %#llx differ",
				 (unsigned long long)gpa);
			return true;
		}
	}
	return false;
}

/*
 * One case: @setup builds the space the call starts from; @call is the
 * call under test, given @arg; a call that returns more than 0 (a count)
 * is "succeeded" when it equals @full.  @alt_setup, when set, builds the
 * space of the contract's fallback (same call), an accepted outcome too.
 */
struct inject_case {
	int (*setup)(int fd, bool alt);
	long (*call)(int fd, long arg, bool alt);
	long full;
	bool has_alt;
	/* a short count n is accepted when it matches the call with arg n */
	bool partial;
};

static int space_new(struct _test_data_inject *self,
		     const struct _fixture_variant_inject *variant)
{
	return gas_create(self->dev, variant->format, variant->bits, 0,
			  SPACE_SIZE);
}

/* The state @c reaches without injection (call with @arg); 0 or -errno. */
static int reference(struct _test_data_inject *self,
		     const struct _fixture_variant_inject *variant,
		     const struct inject_case *c, bool alt, long arg,
		     struct state *out)
{
	int fd = space_new(self, variant);
	long ret;

	if (fd < 0)
		return fd;
	ret = c->setup(fd, alt);
	if (!ret) {
		ret = c->call(fd, arg, alt);
		ret = ret == arg || (!ret && arg == c->full) ? 0 :
		      ret < 0 ? ret : -EIO;
	}
	if (!ret) {
		capture(fd, out);
		mask_placement(out);
	}
	close(fd);
	return (int)ret;
}

static bool full_sweep(const struct inject_case *c, unsigned int format);

/* Every state a call leaves, failed or not, keeps the table's rules. */
static void audit_close(struct __test_metadata *_metadata, int fd,
			unsigned int nth)
{
	EXPECT_EQ(0, gas_audit_clean(fd)) TH_LOG("nth %u: AUDIT", nth);
	close(fd);
}

static void run_case(struct __test_metadata *_metadata,
		     struct _test_data_inject *self,
		     const struct _fixture_variant_inject *variant,
		     const struct inject_case *c)
{
	unsigned int nth, failed = 0, absorbed = 0, fallbacks = 0;
	bool taken = true, distinct = false, full;
	unsigned int max_nth = MAX_NTH;

	if (!self->set)
		return;	/* skipped in setup */
	full = full_sweep(c, variant->format);
	if (!full)
		max_nth = 2;	/* the first allocation only */
	/* 2 MiB frames for the reference, where compaction can make them */
	if (c->has_alt)
		gas_write_string("/proc/sys/vm/compact_memory", "1");
	ASSERT_EQ(0, reference(self, variant, c, false, c->full, self->ref));
	if (c->has_alt) {
		ASSERT_EQ(0, reference(self, variant, c, true, c->full,
				       self->alt));
		distinct = state_diff(self->ref, self->alt, self->msg,
				      sizeof(self->msg));
		if (!distinct)
			TH_LOG("no 2 MiB frame for the reference: no fallback to tell apart");
	}

	for (nth = 1; taken && nth < max_nth; nth++) {
		int fd = space_new(self, variant);
		const struct state *want;
		long ret;

		ASSERT_LE(0, fd);
		ASSERT_EQ(0, c->setup(fd, false));
		capture(fd, self->before);

		inject_arm(self->nth_fd, nth);
		ret = c->call(fd, c->full, false);
		taken = inject_taken(self->nth_fd);

		capture(fd, self->after);
		if (!taken) {
			EXPECT_TRUE(ret == c->full || (!ret && !c->full))
				TH_LOG("nth %u: no failure injected, got %ld",
				       nth, ret);
		}
		if (ret < 0) {
			failed++;
			EXPECT_EQ(-ENOMEM, ret) TH_LOG("nth %u", nth);
			EXPECT_FALSE(state_diff(self->before, self->after,
						self->msg, sizeof(self->msg)))
				TH_LOG("nth %u: -ENOMEM changed %s", nth,
				       self->msg);
			audit_close(_metadata, fd, nth);
			continue;
		}
		mask_placement(self->after);
		if (ret == c->full) {
			want = self->ref;
		} else {
			ASSERT_TRUE(c->partial && ret > 0 && ret < c->full)
				TH_LOG("nth %u: returned %ld", nth, ret);
			ASSERT_EQ(0, reference(self, variant, c, false, ret,
					       self->alt));
			want = self->alt;
		}
		if (taken)
			absorbed++;
		if (!state_diff(want, self->after, self->msg,
				sizeof(self->msg))) {
			audit_close(_metadata, fd, nth);
			continue;
		}
		if (c->has_alt && ret == c->full &&
		    !state_diff(self->alt, self->after, self->msg,
				sizeof(self->msg))) {
			fallbacks++;
		} else {
			EXPECT_TRUE(false)
				TH_LOG("nth %u: success (%ld) is not the promised state: %s",
				       nth, ret, self->msg);
		}
		audit_close(_metadata, fd, nth);
	}
	if (!full) {
		TH_LOG("first allocation only (GASPACE_INJECT_ROTATE=1)");
		return;
	}
	EXPECT_FALSE(taken) TH_LOG("still failing after %u allocations", nth);
	/* each case has an allocation whose failure the caller sees */
	EXPECT_LT(0U, failed);
	/* and where there is a fallback, some failure took it */
	if (distinct) {
		EXPECT_LT(0U, fallbacks);
	}
	TH_LOG("%u allocations: %u failed with -ENOMEM, %u absorbed (%u by the fallback)",
	       nth - 1, failed, absorbed, fallbacks);
}

/* ---- the cases ---- */

static int setup_empty(int fd, bool alt)
{
	return 0;
}

/*
 * @seed's bytes over [@gpa, @gpa + @size) in [LO, HI), one pwrite.  The
 * pattern is computed once per (@gpa, @size, @seed): every N of a case
 * fills the same bytes, and computing them is slow under TCG.
 */
static int fill(int fd, __u64 gpa, __u64 size, unsigned int seed)
{
	static unsigned char buf[HI - LO];
	static __u64 key_gpa, key_size;
	static unsigned int key_seed;

	if (size > sizeof(buf))
		return -EINVAL;
	if (key_gpa != gpa || key_size != size || key_seed != seed) {
		gas_pattern(buf, gpa, size, seed);
		key_gpa = gpa;
		key_size = size;
		key_seed = seed;
	}
	return gas_pwrite(fd, buf, size, gpa) == (ssize_t)size ? 0 : -EIO;
}

/* A populated HUGE area over [0, 8 MiB) with data in [LO, HI). */
static int setup_huge(int fd, bool alt)
{
	return gas_map_alloc(fd, 0, 4 * SZ_2M, GAS_PROT_RW,
			     GASPACE_MAP_POPULATE | GASPACE_MAP_HUGE) ?:
	       fill(fd, LO, HI - LO, 1);
}

/* A linear area over [0, 8 MiB): 2 MiB leaves. */
static int setup_linear(int fd, bool alt)
{
	return gas_map_linear(fd, 0, 4 * SZ_2M, HPA, GAS_PROT_RW, 0);
}

/* A linear area over [0, 2 GiB): 1 GiB leaves (2 MiB on no format here) */
static int setup_linear_1g(int fd, bool alt)
{
	return gas_map_linear(fd, 0, 2 * SZ_1G, HPA, GAS_PROT_RW, 0);
}

/* A lazy area over [0, 8 MiB) (HUGE unless @alt), a few pages in. */
static int setup_lazy(int fd, bool alt)
{
	return gas_map_alloc(fd, 0, 4 * SZ_2M, GAS_PROT_RW, 0) ?:
	       fill(fd, LO, PAGE_4K, 2) ?: fill(fd, HI - PAGE_4K, PAGE_4K, 3);
}

static int setup_lazy_huge(int fd, bool alt)
{
	return gas_map_alloc(fd, 0, 4 * SZ_2M, GAS_PROT_RW,
			     alt ? 0 : GASPACE_MAP_HUGE);
}

static long call_map_linear(int fd, long arg, bool alt)
{
	return gas_map_linear(fd, LO, HI - LO, HPA + LO, GAS_PROT_RW, 0);
}

static long call_map_lazy(int fd, long arg, bool alt)
{
	return gas_map_alloc(fd, LO, HI - LO, GAS_PROT_RW, 0);
}

/* 8 pages across the 2 MiB boundary: two last-level tables */
static long call_map_populate(int fd, long arg, bool alt)
{
	return gas_map_alloc(fd, SZ_2M - 4 * PAGE_4K, 8 * PAGE_4K,
			     GAS_PROT_RW, GASPACE_MAP_POPULATE);
}

/* HUGE to 4 KiB: the fallback is what a populate without HUGE gives */
static long call_map_huge(int fd, long arg, bool alt)
{
	return gas_map_alloc(fd, LO, HI - LO, GAS_PROT_RW,
			     GASPACE_MAP_POPULATE |
			     (alt ? 0 : GASPACE_MAP_HUGE));
}

/* Over part of the populated block: splits it and frees frames. */
static long call_map_replace(int fd, long arg, bool alt)
{
	return gas_map_alloc(fd, MID, 4 * PAGE_4K, GAS_PROT_R,
			     GASPACE_MAP_POPULATE | GASPACE_MAP_REPLACE);
}

/* A linear area over part of the populated block: frees its frames. */
static long call_linear_replace(int fd, long arg, bool alt)
{
	return gas_map_linear(fd, MID, 4 * PAGE_4K, HPA + MID, GAS_PROT_RX,
			      GASPACE_MAP_REPLACE);
}

static long call_unmap_split(int fd, long arg, bool alt)
{
	return gas_unmap(fd, MID, PAGE_4K);
}

static long call_protect_split(int fd, long arg, bool alt)
{
	return gas_protect(fd, MID, 2 * PAGE_4K, GAS_PROT_R);
}

static long call_fault(int fd, long arg, bool alt)
{
	return gas_fault(fd, MID + 0x123, GASPACE_PROT_WRITE);
}

/* Two lazy pages across the 2 MiB boundary, each in its own table. */
static long call_pwrite(int fd, long arg, bool alt)
{
	static unsigned char buf[2 * PAGE_4K];

	gas_pattern(buf, SZ_2M - PAGE_4K, sizeof(buf), 9);
	return gas_pwrite(fd, buf, arg, SZ_2M - PAGE_4K);
}

/*
 * Issue 12: two areas, A = [MID, MID + 8K) with frames and B after it,
 * behind enough areas to fill a leaf of the area tree, so that splitting
 * each of A and B needs a new tree node; PROTECT of [MID + 4K, MID + 12K)
 * splits both.  When the second split fails, A must be whole again (a
 * TRANSLATE of MID says where it ends), not cut in two.
 */
static int setup_two_areas(int fd, bool alt)
{
	unsigned int i;
	int ret = 0;

	for (i = 0; i < 18 && !ret; i++)
		ret = gas_map_alloc(fd, LO + i * PAGE_4K, PAGE_4K, GAS_PROT_RW,
				    GASPACE_MAP_POPULATE);
	return ret ?:
	       gas_map_alloc(fd, MID, 2 * PAGE_4K, GAS_PROT_RW,
			     GASPACE_MAP_POPULATE) ?:
	       gas_map_alloc(fd, MID + 2 * PAGE_4K, 2 * PAGE_4K, GAS_PROT_RW,
			     GASPACE_MAP_POPULATE) ?:
	       gas_map_alloc(fd, MID + 4 * PAGE_4K, PAGE_4K, GAS_PROT_RW, 0);
}

static long call_protect_two_areas(int fd, long arg, bool alt)
{
	return gas_protect(fd, MID + PAGE_4K, 2 * PAGE_4K, GAS_PROT_R);
}

/* A lazy area and nothing else: a fault links a table at every level. */
static int setup_fresh(int fd, bool alt)
{
	return gas_map_alloc(fd, 0, 4 * SZ_2M, GAS_PROT_RW, 0);
}

static const struct inject_case case_map_linear = {
	.setup = setup_empty, .call = call_map_linear,
};

static const struct inject_case case_map_lazy = {
	.setup = setup_empty, .call = call_map_lazy,
};

static const struct inject_case case_map_populate = {
	.setup = setup_empty, .call = call_map_populate,
};

static const struct inject_case case_map_huge = {
	.setup = setup_empty, .call = call_map_huge, .has_alt = true,
};

static const struct inject_case case_map_replace = {
	.setup = setup_huge, .call = call_map_replace,
};

static const struct inject_case case_linear_replace = {
	.setup = setup_huge, .call = call_linear_replace,
};

static const struct inject_case case_unmap_split_huge = {
	.setup = setup_huge, .call = call_unmap_split,
};

static const struct inject_case case_unmap_split_linear = {
	.setup = setup_linear, .call = call_unmap_split,
};

/* a page out of a 1 GiB block: a table at each of two levels */
static const struct inject_case case_unmap_split_1g = {
	.setup = setup_linear_1g, .call = call_unmap_split,
};

static const struct inject_case case_protect_split_1g = {
	.setup = setup_linear_1g, .call = call_protect_split,
};

static const struct inject_case case_protect_split_huge = {
	.setup = setup_huge, .call = call_protect_split,
};

static const struct inject_case case_protect_split_linear = {
	.setup = setup_linear, .call = call_protect_split,
};

static const struct inject_case case_fault = {
	.setup = setup_lazy, .call = call_fault,
};

static const struct inject_case case_fault_huge = {
	.setup = setup_lazy_huge, .call = call_fault, .has_alt = true,
};

static const struct inject_case case_protect_two_areas = {
	.setup = setup_two_areas, .call = call_protect_two_areas,
};

static const struct inject_case case_fault_fresh = {
	.setup = setup_fresh, .call = call_fault,
};

static const struct inject_case case_pwrite = {
	.setup = setup_lazy, .call = call_pwrite, .full = 2 * PAGE_4K,
	.partial = true,
};

/* In this order, case i sweeps format i % 4 + 1 under rotation. */
static const struct inject_case *const inject_cases[] = {
	&case_map_linear, &case_map_lazy, &case_map_populate, &case_map_huge,
	&case_map_replace, &case_linear_replace, &case_unmap_split_huge,
	&case_unmap_split_linear, &case_unmap_split_1g, &case_protect_split_1g,
	&case_protect_split_huge, &case_protect_split_linear, &case_fault,
	&case_fault_huge, &case_protect_two_areas, &case_fault_fresh,
	&case_pwrite,
};

/* Whether @c sweeps every N on @format (GASPACE_INJECT_ROTATE above). */
static bool full_sweep(const struct inject_case *c, unsigned int format)
{
	const char *rotate = getenv("GASPACE_INJECT_ROTATE");
	unsigned int i;

	if (!rotate || strcmp(rotate, "1"))
		return true;
	for (i = 0; i < ARRAY_LEN(inject_cases); i++)
		if (inject_cases[i] == c)
			return i % 4 == format - 1;
	return true;
}

TEST_F_TIMEOUT(inject, create, 300)
{
	long long refcnt = gas_module_refcnt(), sec = gas_sec_page_tables_kb();
	unsigned int nth, failed = 0;
	bool taken = true;
	int probe, fd;

	if (!self->set)
		return;
	ASSERT_LE(0, refcnt);
	ASSERT_LE(0, sec);
	probe = dup(0);
	ASSERT_LE(0, probe);
	close(probe);
	for (nth = 1; taken && nth < MAX_NTH; nth++) {
		inject_arm(self->nth_fd, nth);
		fd = space_new(self, variant);
		taken = inject_taken(self->nth_fd);
		if (fd >= 0) {
			EXPECT_EQ(probe, fd);
			close(fd);
			continue;
		}
		failed++;
		EXPECT_EQ(-ENOMEM, fd) TH_LOG("nth %u", nth);
		/* no fd, no module reference, no table page left */
		fd = dup(0);
		EXPECT_EQ(probe, fd) TH_LOG("nth %u: an fd was left", nth);
		close(fd);
		EXPECT_EQ(refcnt, gas_refcnt_settle(refcnt)) TH_LOG("nth %u", nth);
		EXPECT_EQ(sec, gas_sec_page_tables_kb()) TH_LOG("nth %u", nth);
	}
	EXPECT_FALSE(taken);
	EXPECT_LT(0U, failed);
	TH_LOG("%u allocations, %u failed", nth - 1, failed);
}

TEST_F_TIMEOUT(inject, map_linear, 300)
{
	run_case(_metadata, self, variant, &case_map_linear);
}

TEST_F_TIMEOUT(inject, map_alloc_lazy, 300)
{
	run_case(_metadata, self, variant, &case_map_lazy);
}

TEST_F_TIMEOUT(inject, map_alloc_populate, 300)
{
	run_case(_metadata, self, variant, &case_map_populate);
}

TEST_F_TIMEOUT(inject, map_alloc_huge_falls_back, 300)
{
	run_case(_metadata, self, variant, &case_map_huge);
}

TEST_F_TIMEOUT(inject, map_replace_splits_huge, 300)
{
	run_case(_metadata, self, variant, &case_map_replace);
}

TEST_F_TIMEOUT(inject, map_linear_replace_splits_huge, 300)
{
	run_case(_metadata, self, variant, &case_linear_replace);
}

TEST_F_TIMEOUT(inject, unmap_splits_huge, 300)
{
	run_case(_metadata, self, variant, &case_unmap_split_huge);
}

TEST_F_TIMEOUT(inject, unmap_splits_linear, 300)
{
	run_case(_metadata, self, variant, &case_unmap_split_linear);
}

TEST_F_TIMEOUT(inject, unmap_splits_1g, 300)
{
	run_case(_metadata, self, variant, &case_unmap_split_1g);
}

TEST_F_TIMEOUT(inject, protect_splits_1g, 300)
{
	run_case(_metadata, self, variant, &case_protect_split_1g);
}

TEST_F_TIMEOUT(inject, protect_splits_huge, 300)
{
	run_case(_metadata, self, variant, &case_protect_split_huge);
}

TEST_F_TIMEOUT(inject, protect_splits_linear, 300)
{
	run_case(_metadata, self, variant, &case_protect_split_linear);
}

TEST_F_TIMEOUT(inject, fault, 300)
{
	run_case(_metadata, self, variant, &case_fault);
}

TEST_F_TIMEOUT(inject, fault_huge_falls_back, 300)
{
	run_case(_metadata, self, variant, &case_fault_huge);
}

/* Issue 12: a failed split of the second area puts the first back whole. */
TEST_F_TIMEOUT(inject, protect_splits_two_areas, 300)
{
	run_case(_metadata, self, variant, &case_protect_two_areas);
}

/*
 * Issue 12: a fault that fails part-way through the tables it needs must
 * change nothing, and (the debug kernel's lockdep checks it) never run the
 * notifiers without the map lock: a fault allocates every table page
 * before it links any.
 */
TEST_F_TIMEOUT(inject, fault_on_a_fresh_space, 300)
{
	run_case(_metadata, self, variant, &case_fault_fresh);
}

/*
 * Issue 12: in a HUGE area whose 2 MiB block already has a 4 KiB page, a
 * fault on another page of it allocates that page and nothing else: the
 * first allocation it makes is the one whose failure it returns.  The 4 KiB
 * page comes from a fault whose 2 MiB allocation was made to fail.
 */
TEST_F_TIMEOUT(inject, fault_in_a_split_block_tries_no_huge_frame, 300)
{
	struct gaspace_translation t;
	int fd;

	if (!self->set)
		return;
	fd = space_new(self, variant);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, setup_lazy_huge(fd, false));
	inject_arm(self->nth_fd, 1);
	ASSERT_EQ(0, gas_fault(fd, MID, GASPACE_PROT_WRITE));
	ASSERT_TRUE(inject_taken(self->nth_fd));
	ASSERT_EQ(0, gas_translate(fd, MID, &t));
	ASSERT_EQ(PAGE_4K, t.page_size);

	capture(fd, self->before);
	inject_arm(self->nth_fd, 1);
	EXPECT_EQ(-ENOMEM, gas_fault(fd, MID + PAGE_4K, GASPACE_PROT_WRITE));
	EXPECT_TRUE(inject_taken(self->nth_fd));
	capture(fd, self->after);
	EXPECT_FALSE(state_diff(self->before, self->after, self->msg,
				sizeof(self->msg))) TH_LOG("%s", self->msg);
	EXPECT_EQ(0, gas_fault(fd, MID + PAGE_4K, GASPACE_PROT_WRITE));
	ASSERT_EQ(0, gas_translate(fd, MID + PAGE_4K, &t));
	EXPECT_EQ(PAGE_4K, t.page_size);
	close(fd);
}

TEST_F_TIMEOUT(inject, pwrite, 300)
{
	run_case(_metadata, self, variant, &case_pwrite);
}

/*
 * mmap() of the space: fails with ENOMEM and changes nothing, or maps; the
 * space works either way.
 */
TEST_F_TIMEOUT(inject, mmap, 300)
{
	unsigned int nth, failed = 0, i;
	bool taken = true;
	int fd;

	if (!self->set)
		return;
	fd = space_new(self, variant);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, setup_huge(fd, false));
	for (nth = 1; taken && nth < MAX_NTH; nth++) {
		unsigned char *p;
		int err;

		capture(fd, self->before);
		inject_arm(self->nth_fd, nth);
		p = mmap(NULL, HI - LO, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			 LO);
		err = errno;
		taken = inject_taken(self->nth_fd);
		capture(fd, self->after);
		EXPECT_FALSE(state_diff(self->before, self->after, self->msg,
					sizeof(self->msg)))
			TH_LOG("nth %u: %s", nth, self->msg);
		if (p == MAP_FAILED) {
			failed++;
			EXPECT_EQ(ENOMEM, err) TH_LOG("nth %u", nth);
			continue;
		}
		/* the mapping shows the bytes pread does */
		for (i = 0; i < NR_PAGES; i++) {
			EXPECT_EQ(0, memcmp(p + i * PAGE_4K,
					    self->after->bytes[i], PAGE_4K))
				TH_LOG("nth %u: page %u", nth, i);
		}
		munmap(p, HI - LO);
	}
	EXPECT_FALSE(taken);
	EXPECT_LT(0U, failed);
	close(fd);
	TH_LOG("%u allocations, %u failed", nth - 1, failed);
}

/*
 * A VMM touch of a lazy page behaves as anonymous memory does (gaspace.rst 9): an
 * allocation that fails is VM_FAULT_OOM, and the core mm retries the
 * fault; the touch completes with the page populated once, never SIGBUS.
 */
TEST_F_TIMEOUT(inject, mmap_touch_is_retried, 300)
{
	const size_t len = 4 * SZ_2M;
	unsigned int nth;
	bool taken = true;
	unsigned char *p;
	int fd;

	if (!self->set)
		return;
	ASSERT_EQ(0, gas_catch_sigbus());
	fd = space_new(self, variant);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, setup_lazy(fd, false));
	p = gas_mmap(fd, 0, len, MAP_SHARED);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, gas_touch(p + MID + 5, true, 0x5a, NULL));
	capture(fd, self->ref);
	mask_placement(self->ref);
	munmap(p, len);
	close(fd);

	for (nth = 1; taken && nth < MAX_NTH; nth++) {
		int ret;

		fd = space_new(self, variant);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, setup_lazy(fd, false));
		p = gas_mmap(fd, 0, len, MAP_SHARED);
		ASSERT_NE(NULL, p);

		inject_arm(self->nth_fd, nth);
		ret = gas_touch(p + MID + 5, true, 0x5a, NULL);
		taken = inject_taken(self->nth_fd);

		EXPECT_EQ(0, ret) TH_LOG("nth %u: SIGBUS", nth);
		capture(fd, self->after);
		mask_placement(self->after);
		EXPECT_FALSE(state_diff(self->ref, self->after, self->msg,
					sizeof(self->msg)))
			TH_LOG("nth %u: %s", nth, self->msg);
		munmap(p, len);
		close(fd);
	}
	EXPECT_FALSE(taken);
	TH_LOG("%u allocations", nth - 1);
}

TEST_HARNESS_MAIN
