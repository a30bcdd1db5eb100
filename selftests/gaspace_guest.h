/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the runners of the sample hypervisors (svm_test,
 * vmx_test, arm64_test, riscv_test): open a sample's device and close a
 * fixture's fds, look at guest memory through the space's fd, UNMAP from
 * another thread while a guest runs, and the cases every runner has.
 *
 * The first ones do not assert.  The cases (gas_guest_*() taking the
 * harness's @_metadata) do: a runner describes its guests once, in a
 * struct gas_guest_ops (the shared programs in its instruction set, the
 * registers they take, how its runs end), and its TEST_F()s call the
 * cases with its struct gas_guest; what only one sample has stays in its
 * runner.  An x86 runner defines GAS_GUEST_X86_CALL (the last byte of its
 * hypercall, 0f 01 xx) before it includes this file, and gets the programs
 * of the 16-bit big real mode guests both x86 samples run.
 */
#ifndef GASPACE_GUEST_H
#define GASPACE_GUEST_H

#include <pthread.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "gaspace_util.h"
#include "kselftest_harness.h"

/*
 * Opens the sample's device @path and reads its GET_INFO (@get_info) into
 * @info, @len bytes zeroed first; @module names the sample module in the
 * reason.  The fd, or -1 with *@why saying why the tests skip.
 */
static inline int gas_guest_open(const char *path, const char *module,
				 unsigned long get_info, void *info,
				 size_t len, const char **why)
{
	static char reason[160];
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		snprintf(reason, sizeof(reason), "no %s: %s is not loaded",
			 path, module);
		*why = reason;
		return -1;
	}
	memset(info, 0, len);
	if (ioctl(fd, get_info, info)) {
		snprintf(reason, sizeof(reason), "GET_INFO of %s failed: %s",
			 path, strerror(errno));
		*why = reason;
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * A fixture's teardown: closes the space @as (audited: the table the guest
 * ran on must still keep every rule), /dev/gaspace @dev and the sample's
 * device @sample, those of them that are open (not negative).
 */
static inline void gas_guest_close(int as, int dev, int sample)
{
	gas_close_audited(as);
	if (dev >= 0)
		close(dev);
	if (sample >= 0)
		close(sample);
}

/* The 32-bit word at @gpa of @as, read through the fd; 0xdeadbeef if none. */
static inline __u32 gas_guest_peek(int as, __u64 gpa)
{
	__u32 v = 0xdeadbeef;

	if (pread(as, &v, sizeof(v), gpa) != sizeof(v))
		return 0xdeadbeef;
	return v;
}

/* Writes the 32-bit word @v at @gpa of @as through the fd, or aborts. */
static inline void gas_guest_poke(int as, __u64 gpa, __u32 v)
{
	if (pwrite(as, &v, sizeof(v), gpa) != sizeof(v))
		abort();
}

/* The data pages of @as (GET_INFO's nr_data_pages); ~0 if GET_INFO fails. */
static inline __u64 gas_guest_data_pages(int as)
{
	struct gaspace_info info;

	if (gas_get_info(as, &info))
		return ~0ULL;
	return info.nr_data_pages;
}

/* What gas_unmap_later() unmaps: the 4 KiB page at @gpa of @as. */
struct gas_unmap_later {
	int as;
	__u64 gpa;
};

/*
 * A thread's function (@arg a struct gas_unmap_later): UNMAPs the page
 * 300 ms after it starts, while the guest spins on it; its result is
 * UNMAP's, 0 or a negative errno, cast to a pointer.
 */
static inline void *gas_unmap_later(void *arg)
{
	struct gas_unmap_later *u = arg;
	struct timespec ts = { .tv_nsec = 300 * 1000 * 1000 };

	nanosleep(&ts, NULL);
	return (void *)(long)gas_unmap(u->as, u->gpa, PAGE_4K);
}

/*
 * The layout every runner's space has: an RWX area for the code from gpa
 * 0, the guest's code at GAS_GUEST_CODE in it, then an RW area the guest
 * may not fetch from; GAS_GUEST_DATA_PAGES lazy RW pages lie elsewhere.
 */
#define GAS_GUEST_CODE_AREA	0x0ULL
#define GAS_GUEST_CODE_SIZE	0x8000ULL
#define GAS_GUEST_CODE		0x1000ULL
#define GAS_GUEST_NX_AREA	0x8000ULL
#define GAS_GUEST_DATA_PAGES	64

/*
 * The programs every sample's guest has, each in its own instruction set;
 * all but SPIN, JUMP and HALT end in the call that hands the guest back
 * to the host (VMMCALL, VMCALL, HVC, ECALL).
 */
enum gas_guest_program {
	GAS_GUEST_SUM,		/* n..1 to n pages from addr; their sum */
	GAS_GUEST_FILL,		/* val, val + 1, ... to n words from addr */
	GAS_GUEST_LOAD,		/* the word at addr */
	GAS_GUEST_STORE,	/* val to the word at addr */
	GAS_GUEST_SPIN,		/* the word at addr, loaded forever */
	GAS_GUEST_JUMP,		/* jumps to addr */
	GAS_GUEST_HALT,		/* HLT or WFI: the guest waits */
	GAS_GUEST_PROGRAMS
};

/* A register a program does not take */
#define GAS_GUEST_NONE		(-1)

/*
 * One program: its code, and the registers (indices into the run
 * structure's registers, GAS_GUEST_NONE if none) of its arguments and of
 * its result.
 */
struct gas_guest_code {
	const void *code;
	size_t len;
	int addr;
	int val;
	int n;
	int result;
};

#define GAS_GUEST_PROGRAM(c, a, v, nr, res) {				\
	.code = (c), .len = sizeof(c),					\
	.addr = (a), .val = (v), .n = (nr), .result = (res),		\
}

/* A program that takes no argument and has no result */
#define GAS_GUEST_PLAIN(c)						\
	GAS_GUEST_PROGRAM(c, GAS_GUEST_NONE, GAS_GUEST_NONE,		\
			  GAS_GUEST_NONE, GAS_GUEST_NONE)

/* Jumps to the address in register @reg */
#define GAS_GUEST_JUMPS(c, reg)						\
	GAS_GUEST_PROGRAM(c, reg, GAS_GUEST_NONE, GAS_GUEST_NONE,	\
			  GAS_GUEST_NONE)

struct gas_guest;

/*
 * What a runner says of its guests: its programs, the bits of a result
 * that count (0: all of them), and its checks of how a run ended, each
 * asserting with the runner's own registers in its log: at the final call
 * of a program of @len bytes; on a fault gaspace refused (the sample's own
 * part: its exit reason and syndrome for an access of @access at @gpa;
 * the error, gpa and access every sample reports are checked by
 * gas_guest_refused()); on HALT.
 */
struct gas_guest_ops {
	struct gas_guest_code prog[GAS_GUEST_PROGRAMS];
	__u64 result_mask;
	void (*at_call)(struct __test_metadata *_metadata,
			const struct gas_guest *g, size_t len);
	void (*refused)(struct __test_metadata *_metadata,
			const struct gas_guest *g, __u64 gpa, __u32 access);
	void (*halted)(struct __test_metadata *_metadata,
		       const struct gas_guest *g);
};

/*
 * A fixture's guest: the fds, the space's format and data pages, and the
 * runner's run structure, with the fields every sample's has.  @self is
 * the fixture's data, for the ops.
 */
struct gas_guest {
	const struct gas_guest_ops *ops;
	void *self;
	int dev;
	int as;
	int sample;
	unsigned int format;
	__u64 data;
	unsigned long run_cmd;
	void *run;
	size_t run_size;
	__u64 *regs;
	__u64 *pc;
	__s32 *as_fd;
	__u32 *flags;
	__u64 *reserved;
	__s32 *error;
	__u32 *access;
	__u64 *gpa;
	__u64 *nr_faults;
	__u64 *nr_exits;
};

/*
 * Sets up @g of the fixture @fixture for the run structure @r (its
 * registers from @first, its program counter @pc_reg) and the RUN ioctl
 * @cmd, with no fd open yet.
 */
#define gas_guest_init(g, guest_ops, fixture, r, first, pc_reg, cmd) do {	\
	__typeof__(r) *_r = &(r);					\
									\
	*(g) = (struct gas_guest){					\
		.ops = (guest_ops), .self = (fixture),			\
		.dev = -1, .as = -1, .sample = -1,			\
		.run_cmd = (cmd), .run = _r, .run_size = sizeof(*_r),	\
		.regs = &_r->regs.first, .pc = &_r->regs.pc_reg,	\
		.as_fd = &_r->as_fd, .flags = &_r->flags,		\
		.reserved = _r->reserved, .error = &_r->error,		\
		.access = &_r->access, .gpa = &_r->gpa,			\
		.nr_faults = &_r->nr_faults, .nr_exits = &_r->nr_exits,	\
	};								\
} while (0)

/*
 * A fixture's space: /dev/gaspace, a space of @format and @bits over
 * [0, @size), its code area, its NX area of @nx_size bytes and its data
 * pages from @data on.
 */
static inline void gas_guest_space(struct __test_metadata *_metadata,
				   struct gas_guest *g, unsigned int format,
				   unsigned int bits, __u64 size,
				   __u64 nx_size, __u64 data)
{
	g->format = format;
	g->data = data;
	g->dev = gas_open_dev();
	ASSERT_LE(0, g->dev);
	g->as = gas_create(g->dev, format, bits, 0, size);
	ASSERT_LE(0, g->as) TH_LOG("%s space of %u bits",
				   gas_format_name(format), bits);
	ASSERT_EQ(0, gas_map_alloc(g->as, GAS_GUEST_CODE_AREA,
				   GAS_GUEST_CODE_SIZE, GAS_PROT_RWX, 0));
	ASSERT_EQ(0, gas_map_alloc(g->as, GAS_GUEST_NX_AREA, nx_size,
				   GAS_PROT_RW, 0));
	ASSERT_EQ(0, gas_map_alloc(g->as, data,
				   GAS_GUEST_DATA_PAGES * PAGE_4K,
				   GAS_PROT_RW, 0));
}

/* A fixture's teardown, for a struct gas_guest (see gas_guest_close()). */
static inline void gas_guest_teardown(const struct gas_guest *g)
{
	gas_guest_close(g->as, g->dev, g->sample);
}

/* Loads @code at GAS_GUEST_CODE and resets the run to start it there. */
static inline void gas_guest_load_code(struct __test_metadata *_metadata,
				       const struct gas_guest *g,
				       const void *code, size_t len)
{
	ASSERT_EQ((ssize_t)len, pwrite(g->as, code, len, GAS_GUEST_CODE));
	memset(g->run, 0, g->run_size);
	*g->as_fd = g->as;
	*g->pc = GAS_GUEST_CODE;
}

/* Sets register @reg of the run to @v, unless it is GAS_GUEST_NONE. */
static inline void gas_guest_set(const struct gas_guest *g, int reg,
				 __u64 v)
{
	if (reg != GAS_GUEST_NONE)
		g->regs[reg] = v;
}

/* Loads program @p with its arguments, ready to run. */
static inline void gas_guest_load(struct __test_metadata *_metadata,
				  const struct gas_guest *g,
				  enum gas_guest_program p, __u64 addr,
				  __u64 val, __u64 n)
{
	const struct gas_guest_code *c = &g->ops->prog[p];

	gas_guest_load_code(_metadata, g, c->code, c->len);
	gas_guest_set(g, c->addr, addr);
	gas_guest_set(g, c->val, val);
	gas_guest_set(g, c->n, n);
}

/* Runs the guest; 0 or the ioctl's negative errno. */
static inline long gas_guest_run(const struct gas_guest *g)
{
	return gas_ioctl_ptr(g->sample, g->run_cmd, g->run);
}

/* The result of program @p, after its run. */
static inline __u64 gas_guest_result(const struct gas_guest *g,
				     enum gas_guest_program p)
{
	__u64 mask = g->ops->result_mask ?: ~0ULL;

	return g->regs[g->ops->prog[p].result] & mask;
}

/* Runs the loaded program @p: it must end at its final call. */
static inline void gas_guest_go(struct __test_metadata *_metadata,
				const struct gas_guest *g,
				enum gas_guest_program p)
{
	ASSERT_EQ(0, gas_guest_run(g));
	g->ops->at_call(_metadata, g, g->ops->prog[p].len);
}

/* Loads and runs program @p, to its final call. */
static inline void gas_guest_call(struct __test_metadata *_metadata,
				  const struct gas_guest *g,
				  enum gas_guest_program p, __u64 addr,
				  __u64 val, __u64 n)
{
	gas_guest_load(_metadata, g, p, addr, val, n);
	gas_guest_go(_metadata, g, p);
}

/*
 * The run ended on a fault gaspace refused with @err, an access of
 * @access at @gpa.
 */
static inline void gas_guest_refused(struct __test_metadata *_metadata,
				     const struct gas_guest *g, int err,
				     __u64 gpa, __u32 access)
{
	g->ops->refused(_metadata, g, gpa, access);
	EXPECT_EQ(err, *g->error);
	EXPECT_EQ(gpa, *g->gpa);
	EXPECT_EQ(access, *g->access);
}

/*
 * SUM over @pages pages from @gpa, checked; the data pages of the space
 * once the code is loaded, before the run.
 */
static inline __u64 gas_guest_sum(struct __test_metadata *_metadata,
				  const struct gas_guest *g, __u64 gpa,
				  __u64 pages)
{
	__u64 before;

	gas_guest_load(_metadata, g, GAS_GUEST_SUM, gpa, 0, pages);
	before = gas_guest_data_pages(g->as);
	gas_guest_go(_metadata, g, GAS_GUEST_SUM);
	EXPECT_EQ(pages * (pages + 1) / 2, gas_guest_result(g, GAS_GUEST_SUM));
	return before;
}

/* Every lazy data page is faulted in through the hook, exactly once. */
static inline void gas_guest_sum_lazy_pages(struct __test_metadata *_metadata,
					    const struct gas_guest *g)
{
	unsigned int i;
	__u64 pages;

	pages = gas_guest_sum(_metadata, g, g->data, GAS_GUEST_DATA_PAGES);
	EXPECT_EQ((__u64)GAS_GUEST_DATA_PAGES, *g->nr_faults);
	EXPECT_EQ(pages + GAS_GUEST_DATA_PAGES, gas_guest_data_pages(g->as));
	for (i = 0; i < GAS_GUEST_DATA_PAGES; i++) {
		EXPECT_EQ(GAS_GUEST_DATA_PAGES - i,
			  gas_guest_peek(g->as, g->data + i * PAGE_4K));
	}
}

/* A second run over the same pages takes no fault: they stay mapped. */
static inline void gas_guest_sum_again(struct __test_metadata *_metadata,
				       const struct gas_guest *g)
{
	gas_guest_sum(_metadata, g, g->data, GAS_GUEST_DATA_PAGES);
	EXPECT_EQ(0ULL, *g->nr_faults);
}

/* What the guest writes, pread sees; what pwrite writes, the guest reads. */
static inline void gas_guest_write_then_pread(struct __test_metadata *_metadata,
					      const struct gas_guest *g)
{
	__u64 gpa = g->data + PAGE_4K - 400;	/* across two pages */
	__u32 buf[300];
	unsigned int i;

	gas_guest_call(_metadata, g, GAS_GUEST_FILL, gpa, 0x1000,
		       ARRAY_LEN(buf));
	EXPECT_EQ(2ULL, *g->nr_faults);
	ASSERT_EQ((ssize_t)sizeof(buf), pread(g->as, buf, sizeof(buf), gpa));
	for (i = 0; i < ARRAY_LEN(buf); i++) {
		EXPECT_EQ(0x1000 + i, buf[i]);
	}

	gpa = g->data + 5 * PAGE_4K + 8;
	gas_guest_poke(g->as, gpa, 0xc0ffee11);
	gas_guest_call(_metadata, g, GAS_GUEST_LOAD, gpa, 0, 0);
	EXPECT_EQ(0xc0ffee11ULL, gas_guest_result(g, GAS_GUEST_LOAD));
	EXPECT_EQ(0ULL, *g->nr_faults);
}

/* After UNMAP the guest's access ends the run with -ENOENT at its gpa. */
static inline void gas_guest_access_after_unmap(struct __test_metadata *_metadata,
						const struct gas_guest *g)
{
	__u64 gpa = g->data + 3 * PAGE_4K + 0x124;

	gas_guest_poke(g->as, gpa, 77);
	gas_guest_call(_metadata, g, GAS_GUEST_LOAD, gpa, 0, 0);
	ASSERT_EQ(77ULL, gas_guest_result(g, GAS_GUEST_LOAD));

	ASSERT_EQ(0, gas_unmap(g->as, g->data + 3 * PAGE_4K, PAGE_4K));
	gas_guest_load(_metadata, g, GAS_GUEST_LOAD, gpa, 0, 0);
	ASSERT_EQ(0, gas_guest_run(g));
	gas_guest_refused(_metadata, g, -ENOENT, gpa, GASPACE_PROT_READ);
	EXPECT_EQ(GAS_GUEST_CODE, *g->pc);
	EXPECT_EQ(0ULL, *g->nr_faults);
}

/*
 * UNMAP while the guest spins on the word at @offset of a page: the next
 * access after it faults and ends the run.
 */
static inline void gas_guest_unmap_while_running(struct __test_metadata *_metadata,
						 const struct gas_guest *g,
						 __u64 offset)
{
	struct gas_unmap_later u = {
		.as = g->as, .gpa = g->data + 7 * PAGE_4K,
	};
	pthread_t thread;
	void *ret;

	gas_guest_poke(g->as, u.gpa + offset, 5);
	gas_guest_load(_metadata, g, GAS_GUEST_SPIN, u.gpa + offset, 0, 0);
	ASSERT_EQ(0, pthread_create(&thread, NULL, gas_unmap_later, &u));
	ASSERT_EQ(0, gas_guest_run(g));
	ASSERT_EQ(0, pthread_join(thread, &ret));
	EXPECT_EQ(0, (long)ret);
	gas_guest_refused(_metadata, g, -ENOENT, u.gpa + offset,
			  GASPACE_PROT_READ);
	EXPECT_EQ(5ULL, gas_guest_result(g, GAS_GUEST_SPIN));
	EXPECT_EQ(GAS_GUEST_CODE, *g->pc);
}

/* A write to a page PROTECT made read-only ends the run with -EACCES. */
static inline void gas_guest_write_after_protect(struct __test_metadata *_metadata,
						 const struct gas_guest *g)
{
	__u64 gpa = g->data + 9 * PAGE_4K + 0x40;

	gas_guest_call(_metadata, g, GAS_GUEST_STORE, gpa, 1234, 0);
	ASSERT_EQ(1ULL, *g->nr_faults);

	ASSERT_EQ(0, gas_protect(g->as, g->data + 9 * PAGE_4K, PAGE_4K,
				 GAS_PROT_R));
	gas_guest_load(_metadata, g, GAS_GUEST_STORE, gpa, 5678, 0);
	ASSERT_EQ(0, gas_guest_run(g));
	gas_guest_refused(_metadata, g, -EACCES, gpa, GASPACE_PROT_WRITE);
	EXPECT_EQ(1234U, gas_guest_peek(g->as, gpa));

	/* reading the page is still allowed */
	gas_guest_call(_metadata, g, GAS_GUEST_LOAD, gpa, 0, 0);
	EXPECT_EQ(1234ULL, gas_guest_result(g, GAS_GUEST_LOAD));
}

/* A lazy 2 MiB frame at @gpa comes in on one fault, backs the whole block. */
static inline void gas_guest_huge_frame(struct __test_metadata *_metadata,
					const struct gas_guest *g, __u64 gpa)
{
	struct gaspace_translation t;
	__u64 pages;
	unsigned int i;

	ASSERT_EQ(0, gas_map_alloc(g->as, gpa, SZ_2M, GAS_PROT_RW,
				   GASPACE_MAP_HUGE));
	pages = gas_guest_sum(_metadata, g, gpa, SZ_2M / PAGE_4K);
	ASSERT_EQ(0, gas_translate(g->as, gpa + 0x12345, &t));
	if (t.page_size != SZ_2M)
		SKIP(return, "no order-9 frame was free: 4 KiB pages used");
	EXPECT_EQ(1ULL, *g->nr_faults);
	EXPECT_EQ(pages + 512, gas_guest_data_pages(g->as));
	for (i = 0; i < 512; i += 37) {
		EXPECT_EQ(512 - i, gas_guest_peek(g->as, gpa + i * PAGE_4K));
	}
}

/*
 * A linear area of @flags at @gpa over a host buffer (one populated frame
 * of another space): the guest reads and writes host memory, with no fault.
 */
static inline void gas_guest_linear(struct __test_metadata *_metadata,
				    const struct gas_guest *g, __u64 gpa,
				    __u32 flags)
{
	struct gaspace_translation t;
	char old[16] = "";
	int host, ret;

	host = gas_create(g->dev, g->format, 0, 0, SZ_2M);
	ASSERT_LE(0, host);
	ASSERT_EQ(0, gas_map_alloc(host, 0, PAGE_4K, GAS_PROT_RW,
				   GASPACE_MAP_POPULATE));
	ASSERT_EQ(0, gas_translate(host, 0, &t));
	ASSERT_NE(0ULL, t.hpa) TH_LOG("TRANSLATE hides hpa: CAP_SYS_ADMIN?");
	gas_guest_poke(host, 0x10, 0xfeedf00d);

	ASSERT_EQ(0, gas_read_string(GASPACE_PARAM("linear_ram"), old,
				     sizeof(old)));
	ASSERT_EQ(0, gas_write_string(GASPACE_PARAM("linear_ram"), "1"));
	ret = gas_map_linear(g->as, gpa, PAGE_4K, t.hpa, GAS_PROT_RW, flags);
	gas_write_string(GASPACE_PARAM("linear_ram"), old);
	ASSERT_EQ(0, ret);

	gas_guest_call(_metadata, g, GAS_GUEST_LOAD, gpa + 0x10, 0, 0);
	EXPECT_EQ(0xfeedf00dULL, gas_guest_result(g, GAS_GUEST_LOAD));

	gas_guest_call(_metadata, g, GAS_GUEST_STORE, gpa + 0x20, 0x5a5a1234,
		       0);
	EXPECT_EQ(0ULL, *g->nr_faults);	/* linear never faults */
	EXPECT_EQ(0x5a5a1234U, gas_guest_peek(host, 0x20));

	/* unmap the linear view before the frame's owner goes */
	ASSERT_EQ(0, gas_unmap(g->as, gpa, PAGE_4K));
	gas_close_audited(host);
}

/*
 * An instruction fetch from the NX area ends with -EACCES, at a lazy page
 * (no leaf) and at a populated one (a leaf that forbids the fetch).
 */
static inline void gas_guest_fetch_from_nx(struct __test_metadata *_metadata,
					   const struct gas_guest *g)
{
	const struct gas_guest_code *halt = &g->ops->prog[GAS_GUEST_HALT];
	__u64 nx = GAS_GUEST_NX_AREA;

	gas_guest_load(_metadata, g, GAS_GUEST_JUMP, nx, 0, 0);
	ASSERT_EQ(0, gas_guest_run(g));
	gas_guest_refused(_metadata, g, -EACCES, nx, GASPACE_PROT_EXEC);
	EXPECT_EQ(nx, *g->pc);

	ASSERT_EQ((ssize_t)halt->len, pwrite(g->as, halt->code, halt->len, nx));
	gas_guest_load(_metadata, g, GAS_GUEST_JUMP, nx, 0, 0);
	ASSERT_EQ(0, gas_guest_run(g));
	gas_guest_refused(_metadata, g, -EACCES, nx, GASPACE_PROT_EXEC);
	EXPECT_EQ(nx, *g->pc);
}

/* HLT or WFI ends the run, its pc at the instruction. */
static inline void gas_guest_halt_ends_run(struct __test_metadata *_metadata,
					   const struct gas_guest *g)
{
	gas_guest_load(_metadata, g, GAS_GUEST_HALT, 0, 0, 0);
	ASSERT_EQ(0, gas_guest_run(g));
	g->ops->halted(_metadata, g);
	EXPECT_EQ(0, *g->error);
	EXPECT_EQ(GAS_GUEST_CODE, *g->pc);
}

/*
 * Bad input every sample refuses, each with a clear errno and nothing
 * run: flags, a reserved field, an fd that is no space, a space of
 * @other_format.  The run is left ready for the fixture's space.
 */
static inline void gas_guest_bad_run(struct __test_metadata *_metadata,
				     const struct gas_guest *g,
				     unsigned int other_format)
{
	int other;

	gas_guest_load(_metadata, g, GAS_GUEST_HALT, 0, 0, 0);
	*g->flags = 1;
	EXPECT_EQ(-EINVAL, gas_guest_run(g));
	*g->flags = 0;
	g->reserved[3] = 1;
	EXPECT_EQ(-EINVAL, gas_guest_run(g));
	g->reserved[3] = 0;
	*g->as_fd = g->dev;
	EXPECT_EQ(-EBADF, gas_guest_run(g));
	*g->as_fd = -1;
	EXPECT_EQ(-EBADF, gas_guest_run(g));

	other = gas_create(g->dev, other_format, 0, 0, SZ_2M);
	ASSERT_LE(0, other);
	*g->as_fd = other;
	EXPECT_EQ(-EINVAL, gas_guest_run(g));
	gas_close_audited(other);
	*g->as_fd = g->as;
}

/* A child process runs and exits as usual. */
static inline void gas_guest_fork_works(struct __test_metadata *_metadata)
{
	pid_t pid;
	int status;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(getpid() == (pid_t)syscall(SYS_getpid) ? 7 : 1);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(7, WEXITSTATUS(status));
}

/* After guests that wrote what the host uses: another guest runs. */
static inline void gas_guest_another_runs(struct __test_metadata *_metadata,
					  const struct gas_guest *g)
{
	gas_guest_sum(_metadata, g, g->data, 8);
	EXPECT_EQ(8ULL, *g->nr_faults);
}

#ifdef GAS_GUEST_X86_CALL
/*
 * The x86 samples' guests: 16-bit "big real mode" code assembled with GNU
 * as (.code16, Intel syntax), listed with the source next to it; "call"
 * is the sample's hypercall, 0f 01 GAS_GUEST_X86_CALL.
 */

/*
 * mov ebx, esi; mov edx, ecx
 * 1: mov [esi], ecx; add esi, 4096; dec ecx; jnz 1b
 * mov esi, ebx; mov ecx, edx; xor eax, eax
 * 2: add eax, [esi]; add esi, 4096; dec ecx; jnz 2b
 * call
 * Writes n..1 to the first dword of @ecx pages from @esi on, then sums them.
 */
static const unsigned char gas_x86_sum[] = {
	0x66, 0x89, 0xf3, 0x66, 0x89, 0xca,
	0x67, 0x66, 0x89, 0x0e, 0x66, 0x81, 0xc6, 0x00, 0x10, 0x00, 0x00,
	0x66, 0x49, 0x75, 0xf1,
	0x66, 0x89, 0xde, 0x66, 0x89, 0xd1, 0x66, 0x31, 0xc0,
	0x67, 0x66, 0x03, 0x06, 0x66, 0x81, 0xc6, 0x00, 0x10, 0x00, 0x00,
	0x66, 0x49, 0x75, 0xf1,
	0x0f, 0x01, GAS_GUEST_X86_CALL
};

/* mov [esi], eax; call */
static const unsigned char gas_x86_store[] = {
	0x67, 0x66, 0x89, 0x06, 0x0f, 0x01, GAS_GUEST_X86_CALL
};

/* mov eax, [esi]; call */
static const unsigned char gas_x86_load[] = {
	0x67, 0x66, 0x8b, 0x06, 0x0f, 0x01, GAS_GUEST_X86_CALL
};

/* 1: mov [esi], eax; add esi, 4; inc eax; dec ecx; jnz 1b; call */
static const unsigned char gas_x86_fill[] = {
	0x67, 0x66, 0x89, 0x06, 0x66, 0x83, 0xc6, 0x04, 0x66, 0x40,
	0x66, 0x49, 0x75, 0xf2, 0x0f, 0x01, GAS_GUEST_X86_CALL
};

/* 1: mov eax, [esi]; jmp 1b */
static const unsigned char gas_x86_spin[] = {
	0x67, 0x66, 0x8b, 0x06, 0xeb, 0xfa,
};

/* jmp bx */
static const unsigned char gas_x86_jump[] = { 0xff, 0xe3 };

/* hlt */
static const unsigned char gas_x86_hlt[] = { 0xf4 };

/*
 * mov ax, 0x1234; mov gs, ax; mov fs, ax; hlt
 * In real mode a segment load sets the base to selector * 16: a CPU that
 * kept the guest's GS at the exit would give the host kernel a per-CPU
 * base of 0x12340.
 */
static const unsigned char gas_x86_load_fs_gs[] = {
	0xb8, 0x34, 0x12, 0x8e, 0xe8, 0x8e, 0xe0, 0xf4,
};

/*
 * mov ax, 0x900; mov gs, ax; mov [esi], eax; mov eax, gs:[0x10]; call
 * GS (base 0x9000, in the NX area) is loaded before a store that exits on
 * a nested fault and used after the next entry: the guest's GS must
 * survive it.
 */
static const unsigned char gas_x86_gs_across_exit[] = {
	0xb8, 0x00, 0x09, 0x8e, 0xe8, 0x67, 0x66, 0x89, 0x06,
	0x65, 0x66, 0xa1, 0x10, 0x00, 0x0f, 0x01, GAS_GUEST_X86_CALL
};

/* The x86 samples' registers, from rax on: the order of their structures */
enum { GAS_X86_RAX, GAS_X86_RBX, GAS_X86_RCX, GAS_X86_RDX, GAS_X86_RSI };

/* The hypercall's length: a run that ends there has rip at it */
#define GAS_X86_CALL_LEN	3

#define GAS_GUEST_X86_PROGRAMS {					\
	[GAS_GUEST_SUM] = GAS_GUEST_PROGRAM(gas_x86_sum, GAS_X86_RSI,	\
			GAS_GUEST_NONE, GAS_X86_RCX, GAS_X86_RAX),	\
	[GAS_GUEST_FILL] = GAS_GUEST_PROGRAM(gas_x86_fill, GAS_X86_RSI,	\
			GAS_X86_RAX, GAS_X86_RCX, GAS_GUEST_NONE),	\
	[GAS_GUEST_LOAD] = GAS_GUEST_PROGRAM(gas_x86_load, GAS_X86_RSI,	\
			GAS_GUEST_NONE, GAS_GUEST_NONE, GAS_X86_RAX),	\
	[GAS_GUEST_STORE] = GAS_GUEST_PROGRAM(gas_x86_store,		\
			GAS_X86_RSI, GAS_X86_RAX, GAS_GUEST_NONE,	\
			GAS_GUEST_NONE),				\
	[GAS_GUEST_SPIN] = GAS_GUEST_PROGRAM(gas_x86_spin, GAS_X86_RSI,	\
			GAS_GUEST_NONE, GAS_GUEST_NONE, GAS_X86_RAX),	\
	[GAS_GUEST_JUMP] = GAS_GUEST_JUMPS(gas_x86_jump, GAS_X86_RBX),	\
	[GAS_GUEST_HALT] = GAS_GUEST_PLAIN(gas_x86_hlt),		\
}

static inline void *gas_x86_thread_gettid(void *arg)
{
	return (void *)(long)syscall(SYS_gettid);
}

/*
 * The host after a guest that loaded FS and GS: the kernel's per-CPU base
 * (GS) and the task's FS must be the host's again, so system calls, a
 * thread, a fork and another guest all work, with no oops in the log.
 */
static inline void gas_guest_x86_segment_loads(struct __test_metadata *_metadata,
					       const struct gas_guest *g)
{
	char stat[256], want[32];
	unsigned int i;
	void *tid;
	pthread_t thread;
	ssize_t n;
	int fd;

	for (i = 0; i < 8; i++) {
		gas_guest_load_code(_metadata, g, gas_x86_load_fs_gs,
				    sizeof(gas_x86_load_fs_gs));
		ASSERT_EQ(0, gas_guest_run(g));
		g->ops->halted(_metadata, g);
		ASSERT_EQ(GAS_GUEST_CODE + sizeof(gas_x86_load_fs_gs) - 1,
			  *g->pc);
		ASSERT_EQ(0x1234ULL, g->regs[GAS_X86_RAX] & 0xffff);
	}

	/* system calls: the kernel's per-CPU data, current, the task's FS */
	ASSERT_EQ(getpid(), (pid_t)syscall(SYS_getpid));
	fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	n = read(fd, stat, sizeof(stat) - 1);
	close(fd);
	ASSERT_LT(0, n);
	stat[n] = '\0';
	snprintf(want, sizeof(want), "%d (", getpid());
	EXPECT_EQ(0, strncmp(stat, want, strlen(want))) TH_LOG("%s", stat);

	/* a thread (its TLS through FS) and a child process */
	ASSERT_EQ(0, pthread_create(&thread, NULL, gas_x86_thread_gettid,
				    NULL));
	ASSERT_EQ(0, pthread_join(thread, &tid));
	EXPECT_NE(getpid(), (pid_t)(long)tid);
	EXPECT_LT(0, (long)tid);
	gas_guest_fork_works(_metadata);

	gas_guest_another_runs(_metadata, g);
}

/* The guest's GS is its own across an exit and the next entry. */
static inline void gas_guest_x86_segments_survive(struct __test_metadata *_metadata,
						  const struct gas_guest *g)
{
	gas_guest_poke(g->as, 0x9000 + 0x10, 0x600dc0de);
	gas_guest_load_code(_metadata, g, gas_x86_gs_across_exit,
			    sizeof(gas_x86_gs_across_exit));
	g->regs[GAS_X86_RSI] = g->data + 0x20;
	ASSERT_EQ(0, gas_guest_run(g));
	g->ops->at_call(_metadata, g, sizeof(gas_x86_gs_across_exit));
	EXPECT_EQ(1ULL, *g->nr_faults);
	EXPECT_EQ(0x600dc0deULL, g->regs[GAS_X86_RAX] & 0xffffffff);
	EXPECT_EQ(0x0900ULL, gas_guest_peek(g->as, g->data + 0x20) & 0xffff);
}
#endif /* GAS_GUEST_X86_CALL */

#endif /* GASPACE_GUEST_H */
