/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small helpers shared by the gaspace selftests.
 *
 * Every helper returns a value or a negative errno; none of them asserts, so
 * each test states its own expectations with the harness macros.  The
 * expected geometry of every format is written out here from gaspace.rst 2.4
 * (not computed the way the module computes it), so the tests pin the
 * contract rather than the implementation.
 *
 * Note for loops: EXPECT_*() and ASSERT_*() expand to two statements (the
 * check and the optional TH_LOG() handler), so a loop body that holds one
 * is always braced, even where checkpatch finds the braces unnecessary.
 */
#ifndef GASPACE_UTIL_H
#define GASPACE_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <linux/gaspace.h>

#define GASPACE_DEV		"/dev/gaspace"
#define GASPACE_MODULE		"gaspace"
#define GASPACE_REFCNT		"/sys/module/gaspace/refcnt"
#define GASPACE_PARAM(name)	"/sys/module/gaspace/parameters/" name

#define PAGE_4K			4096ULL
#define SZ_16K			(16 * 1024ULL)
#define DEFAULT_MAX_AREAS	1048576ULL
#define ALL_FORMATS_MASK	0x1eULL

#define ARRAY_LEN(a)		(sizeof(a) / sizeof((a)[0]))

static const unsigned int gas_formats[] = {
	GASPACE_FMT_EPT, GASPACE_FMT_NPT,
	GASPACE_FMT_ARM64_S2, GASPACE_FMT_RISCV_G,
};

static inline const char *gas_format_name(unsigned int format)
{
	switch (format) {
	case GASPACE_FMT_EPT:
		return "EPT";
	case GASPACE_FMT_NPT:
		return "NPT";
	case GASPACE_FMT_ARM64_S2:
		return "ARM64_S2";
	case GASPACE_FMT_RISCV_G:
		return "RISCV_G";
	}
	return "unknown";
}

/* The width CREATE picks when gpa_bits is 0 (gaspace.rst 2.4). */
static inline unsigned int gas_default_bits(unsigned int format)
{
	switch (format) {
	case GASPACE_FMT_EPT:
	case GASPACE_FMT_NPT:
		return 48;
	case GASPACE_FMT_ARM64_S2:
		return 40;
	case GASPACE_FMT_RISCV_G:
		return 41;
	}
	return 0;
}

/* Whether gaspace.rst 2.4 allows @bits (0 included) for @format. */
static inline bool gas_bits_allowed(unsigned int format, unsigned int bits)
{
	if (bits == 0)
		return true;
	switch (format) {
	case GASPACE_FMT_EPT:
	case GASPACE_FMT_NPT:
		return bits == 48 || bits == 57;
	case GASPACE_FMT_ARM64_S2:
		return bits >= 32 && bits <= 48;
	case GASPACE_FMT_RISCV_G:
		return bits == 41 || bits == 50 || bits == 59;
	}
	return false;
}

/*
 * Expected levels and root pages for a width the format allows.  Arm stage-2
 * follows Linux KVM: levels = (bits - 8) / 9 and the root concatenates
 * 2^(root index bits - 9) tables, written out per width.
 */
struct gas_geometry {
	unsigned int levels;
	unsigned int root_pages;
};

static inline struct gas_geometry
gas_expected_geometry(unsigned int format, unsigned int bits)
{
	static const struct gas_geometry arm[] = {
		/* 32..34: start level 2 */
		{ 2, 4 }, { 2, 8 }, { 2, 16 },
		/* 35..43: start level 1 */
		{ 3, 1 }, { 3, 1 }, { 3, 1 }, { 3, 1 }, { 3, 1 },
		{ 3, 2 }, { 3, 4 }, { 3, 8 }, { 3, 16 },
		/* 44..48: start level 0 */
		{ 4, 1 }, { 4, 1 }, { 4, 1 }, { 4, 1 }, { 4, 1 },
	};
	struct gas_geometry none = { 0, 0 };

	if (!bits)
		bits = gas_default_bits(format);
	switch (format) {
	case GASPACE_FMT_EPT:
	case GASPACE_FMT_NPT:
		if (bits == 48)
			return (struct gas_geometry){ 4, 1 };
		if (bits == 57)
			return (struct gas_geometry){ 5, 1 };
		break;
	case GASPACE_FMT_ARM64_S2:
		if (bits >= 32 && bits <= 48)
			return arm[bits - 32];
		break;
	case GASPACE_FMT_RISCV_G:
		if (bits == 41)
			return (struct gas_geometry){ 3, 4 };
		if (bits == 50)
			return (struct gas_geometry){ 4, 4 };
		if (bits == 59)
			return (struct gas_geometry){ 5, 4 };
		break;
	}
	return none;
}

static inline int gas_open_dev(void)
{
	return open(GASPACE_DEV, O_RDWR | O_CLOEXEC);
}

/*
 * An address that no user pointer can hold: the kernel's half of a 64-bit
 * address space, and for an i386 program (on an x86_64 kernel) the last
 * page of its 4 GiB, above the highest address a compat task can map.
 */
#if __SIZEOF_LONG__ == 8
#define GAS_KERNEL_ADDR		0xffff800000000000UL
#else
#define GAS_KERNEL_ADDR		0xfffff000UL
#endif

/* ioctl() as "result or negative errno". */
static inline long gas_ioctl(int fd, unsigned long cmd, unsigned long arg)
{
	long ret = ioctl(fd, cmd, arg);

	return ret < 0 ? -errno : ret;
}

static inline long gas_ioctl_ptr(int fd, unsigned long cmd, const void *arg)
{
	return gas_ioctl(fd, cmd, (unsigned long)arg);
}

static inline int gas_create_args(int dev, const struct gaspace_create *args)
{
	return gas_ioctl_ptr(dev, GASPACE_CREATE, args);
}

/* A new address-space fd, or a negative errno. */
static inline int gas_create(int dev, unsigned int format, unsigned int bits,
			     unsigned long long base, unsigned long long size)
{
	struct gaspace_create args = {
		.format = format,
		.gpa_bits = bits,
		.base = base,
		.size = size,
	};

	return gas_create_args(dev, &args);
}

static inline int gas_get_info(int fd, struct gaspace_info *info)
{
	memset(info, 0xa5, sizeof(*info));
	return gas_ioctl_ptr(fd, GASPACE_GET_INFO, info);
}

/* Reads one unsigned number from a sysfs/proc file; -errno on failure. */
static inline long long gas_read_number(const char *path)
{
	char buf[64];
	ssize_t len;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	len = read(fd, buf, sizeof(buf) - 1);
	if (len < 0) {
		len = -errno;
		close(fd);
		return len;
	}
	close(fd);
	buf[len] = '\0';
	return strtoll(buf, NULL, 0);
}

static inline int gas_write_string(const char *path, const char *value)
{
	ssize_t len;
	int fd;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	len = write(fd, value, strlen(value));
	if (len < 0) {
		len = -errno;
		close(fd);
		return len;
	}
	close(fd);
	return 0;
}

static inline long long gas_module_refcnt(void)
{
	return gas_read_number(GASPACE_REFCNT);
}

/*
 * Removes @cap from the effective and permitted sets of the calling task
 * (raw capget/capset, no libcap in the initramfs).  Tests call it in a child.
 */
static inline int gas_drop_cap(int cap)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];
	unsigned int idx = cap / 32;
	unsigned int bit = 1u << (cap % 32);

	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	data[idx].effective &= ~bit;
	data[idx].permitted &= ~bit;
	data[idx].inheritable &= ~bit;
	if (syscall(SYS_capset, &hdr, data))
		return -errno;
	return 0;
}

/* Whether the calling task has @cap in its effective set. */
static inline bool gas_have_cap(int cap)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return false;
	return data[cap / 32].effective & (1u << (cap % 32));
}

/*
 * ---- Address-space calls (gaspace.rst 5, 3) ----
 *
 * One helper per ioctl, each "0 or a negative errno", and a small model of
 * the leaves and table pages gaspace.rst 3 asks for, written from the contract
 * (the largest block inside the area with gpa and hpa equally aligned; a
 * table below the root for every span that holds a leaf at or under its
 * level), so that the tests compare the module with the rule, not with
 * itself.
 */
#include <sys/mman.h>
#include <sys/wait.h>

#define SZ_2M			(2ULL << 20)
#define SZ_1G			(1024ULL * 1024 * 1024)
#define GAS_PROT_R		GASPACE_PROT_READ
#define GAS_PROT_RW		(GASPACE_PROT_READ | GASPACE_PROT_WRITE)
#define GAS_PROT_RX		(GASPACE_PROT_READ | GASPACE_PROT_EXEC)
#define GAS_PROT_RWX		(GAS_PROT_RW | GASPACE_PROT_EXEC)
#define GAS_MAP_FLAGS		(GASPACE_MAP_POPULATE | GASPACE_MAP_DEVICE | \
				 GASPACE_MAP_HUGE | GASPACE_MAP_NOHUGE | \
				 GASPACE_MAP_REPLACE)

static inline int gas_map_args(int fd, unsigned long cmd,
			       const struct gaspace_map *m)
{
	return gas_ioctl_ptr(fd, cmd, m);
}

static inline int gas_map_linear(int fd, __u64 gpa, __u64 size, __u64 hpa,
				 __u32 prot, __u32 flags)
{
	struct gaspace_map m = {
		.gpa = gpa, .size = size, .hpa = hpa,
		.prot = prot, .flags = flags,
	};

	return gas_map_args(fd, GASPACE_MAP_LINEAR, &m);
}

static inline int gas_map_alloc(int fd, __u64 gpa, __u64 size, __u32 prot,
				__u32 flags)
{
	struct gaspace_map m = {
		.gpa = gpa, .size = size, .prot = prot, .flags = flags,
	};

	return gas_map_args(fd, GASPACE_MAP_ALLOC, &m);
}

static inline int gas_range_args(int fd, unsigned long cmd,
				 const struct gaspace_range *r)
{
	return gas_ioctl_ptr(fd, cmd, r);
}

static inline int gas_unmap(int fd, __u64 gpa, __u64 size)
{
	struct gaspace_range r = { .gpa = gpa, .size = size };

	return gas_range_args(fd, GASPACE_UNMAP, &r);
}

static inline int gas_protect(int fd, __u64 gpa, __u64 size, __u32 prot)
{
	struct gaspace_range r = { .gpa = gpa, .size = size, .prot = prot };

	return gas_range_args(fd, GASPACE_PROTECT, &r);
}

static inline int gas_dirty_log_enable(int fd, __u64 gpa, __u64 size)
{
	struct gaspace_range r = { .gpa = gpa, .size = size };

	return gas_range_args(fd, GASPACE_DIRTY_LOG_ENABLE, &r);
}

static inline int gas_dirty_log_disable(int fd, __u64 gpa, __u64 size)
{
	struct gaspace_range r = { .gpa = gpa, .size = size };

	return gas_range_args(fd, GASPACE_DIRTY_LOG_DISABLE, &r);
}

/* GET_DIRTY_LOG of [@gpa, @gpa + @size) into or from @bitmap. */
static inline int gas_get_dirty_log(int fd, __u64 gpa, __u64 size,
				    __u64 *bitmap, __u32 flags)
{
	struct gaspace_dirty_log d = {
		.gpa = gpa, .size = size,
		.bitmap = (__u64)(uintptr_t)bitmap, .flags = flags,
	};

	return gas_ioctl_ptr(fd, GASPACE_GET_DIRTY_LOG, &d);
}

/* USERFAULT_FD with @flags (GASPACE_UFD_*): a new fd, or -errno. */
static inline int gas_userfault_fd(int fd, unsigned long flags)
{
	return gas_ioctl(fd, GASPACE_USERFAULT_FD, flags);
}

/*
 * Waits up to @ms for the userfault fd @ufd to be readable, then reads up
 * to @max events into @ev: how many it read (0 when none came, or the
 * read failed).
 */
static inline int gas_ufd_read(int ufd, struct gaspace_fault_event *ev,
			       int max, int ms)
{
	struct pollfd p = { .fd = ufd, .events = POLLIN };
	ssize_t n;

	if (poll(&p, 1, ms) != 1)
		return 0;
	n = read(ufd, ev, max * sizeof(*ev));
	return n > 0 ? n / (ssize_t)sizeof(*ev) : 0;
}

static inline int gas_fill_args(int fd, const struct gaspace_fill *f)
{
	return gas_ioctl_ptr(fd, GASPACE_FILL, f);
}

/* FILL of [@gpa, @gpa + @size) from @src (NULL: zeros). */
static inline int gas_fill(int fd, __u64 gpa, __u64 size, const void *src)
{
	struct gaspace_fill f = {
		.gpa = gpa, .size = size, .src = (__u64)(uintptr_t)src,
	};

	return gas_fill_args(fd, &f);
}

/* TRANSLATE of @gpa; the output fields start as garbage, as a VMM's may. */
static inline int gas_translate(int fd, __u64 gpa,
				struct gaspace_translation *t)
{
	memset(t, 0xa5, sizeof(*t));
	t->gpa = gpa;
	return gas_ioctl_ptr(fd, GASPACE_TRANSLATE, t);
}

static inline int gas_fault(int fd, __u64 gpa, __u32 access)
{
	struct gaspace_fault f = { .gpa = gpa, .access = access };

	return gas_ioctl_ptr(fd, GASPACE_FAULT, &f);
}

/* Host physical address width for the hpa checks (gaspace.rst 12). */
static inline unsigned int gas_pa_bits(unsigned int format)
{
	switch (format) {
	case GASPACE_FMT_EPT:
	case GASPACE_FMT_NPT:
		return 52;
	case GASPACE_FMT_ARM64_S2:
		return 48;
	case GASPACE_FMT_RISCV_G:
		return 56;
	}
	return 0;
}

#ifndef BIT_ULL
#define BIT_ULL(nr)		(1ULL << (nr))
#endif

static inline __u64 gas_level_size(unsigned int level)
{
	return BIT_ULL(12 + 9 * level);
}

/*
 * The largest leaf level a space of @format and @bits can hold: 1 GiB
 * (level 2) unless the walk has only two levels (Arm 32..34 bits).
 */
static inline unsigned int gas_max_leaf_level(unsigned int format,
					      unsigned int bits)
{
	return gas_expected_geometry(format, bits).levels >= 3 ? 2 : 1;
}

/* A run of leaves of one level: [gpa, gpa + size). */
struct gas_run {
	__u64 gpa;
	__u64 size;
	unsigned int level;
};

/*
 * Appends the leaves of a linear map of [@gpa, @gpa + @size) at @hpa to
 * @runs (gaspace.rst 3, leaf sizes), merging runs of one level; @max_level 0
 * is NOHUGE.  Returns the new number of runs, or -1 when @max_runs is short.
 */
static inline int gas_linear_runs(__u64 gpa, __u64 size, __u64 hpa,
				  unsigned int max_level, struct gas_run *runs,
				  int nr, int max_runs)
{
	__u64 end = gpa + size;

	while (gpa < end) {
		unsigned int l = max_level + 1;
		__u64 sz;

		do {
			sz = gas_level_size(--l);
		} while (l && ((gpa | hpa) & (sz - 1) || gpa + sz > end));
		if (nr && runs[nr - 1].level == l &&
		    runs[nr - 1].gpa + runs[nr - 1].size == gpa) {
			runs[nr - 1].size += sz;
		} else {
			if (nr == max_runs)
				return -1;
			runs[nr].gpa = gpa;
			runs[nr].size = sz;
			runs[nr].level = l;
			nr++;
		}
		gpa += sz;
		hpa += sz;
	}
	return nr;
}

/* Appends one run; returns the new number of runs, -1 when full. */
static inline int gas_add_run(struct gas_run *runs, int nr, int max_runs,
			      __u64 gpa, __u64 size, unsigned int level)
{
	if (nr < 0 || nr == max_runs)
		return -1;
	runs[nr].gpa = gpa;
	runs[nr].size = size;
	runs[nr].level = level;
	return nr + 1;
}

/*
 * Table pages (root included) that a table of @levels levels and a
 * @root_pages root needs to hold the leaves of @runs and nothing else: one
 * table at level l (spanning 4 KiB << 9 * (l + 1)) for every span that
 * holds a leaf of level l or below.
 */
static inline __u64 gas_tables_for(unsigned int levels,
				   unsigned int root_pages,
				   const struct gas_run *runs, int nr)
{
	__u64 first[64], last[64], total = root_pages;
	unsigned int l;
	int i, j, n;

	for (l = 0; l + 1 < levels; l++) {
		unsigned int shift = 21 + 9 * l;
		__u64 top = 0;
		bool any = false;

		n = 0;
		for (i = 0; i < nr && n < 64; i++) {
			if (runs[i].level > l || !runs[i].size)
				continue;
			first[n] = runs[i].gpa >> shift;
			last[n] = (runs[i].gpa + runs[i].size - 1) >> shift;
			n++;
		}
		/* insertion sort by first index, then count the union */
		for (i = 1; i < n; i++) {
			__u64 f = first[i], t = last[i];

			for (j = i; j > 0 && first[j - 1] > f; j--) {
				first[j] = first[j - 1];
				last[j] = last[j - 1];
			}
			first[j] = f;
			last[j] = t;
		}
		for (i = 0; i < n; i++) {
			__u64 f = first[i];

			if (any && f <= top)
				f = top + 1;
			if (f <= last[i])
				total += last[i] - f + 1;
			if (!any || last[i] > top)
				top = last[i];
			any = true;
		}
	}
	return total;
}

/* Bytes the runs cover. */
static inline __u64 gas_runs_bytes(const struct gas_run *runs, int nr)
{
	__u64 n = 0;
	int i;

	for (i = 0; i < nr; i++)
		n += runs[i].size;
	return n;
}

/*
 * What a failed call must not change: GET_INFO and TRANSLATE (result and
 * output) of a few probe addresses.
 */
#define GAS_SNAP_MAX		16

struct gas_snapshot {
	struct gaspace_info info;
	int nr;
	__u64 gpa[GAS_SNAP_MAX];
	int ret[GAS_SNAP_MAX];
	struct gaspace_translation t[GAS_SNAP_MAX];
};

static inline void gas_snapshot(int fd, struct gas_snapshot *s,
				const __u64 *gpa, int nr)
{
	int i;

	memset(s, 0, sizeof(*s));
	gas_get_info(fd, &s->info);
	s->nr = nr < GAS_SNAP_MAX ? nr : GAS_SNAP_MAX;
	for (i = 0; i < s->nr; i++) {
		s->gpa[i] = gpa[i];
		s->ret[i] = gas_translate(fd, gpa[i], &s->t[i]);
		if (s->ret[i])
			memset(&s->t[i], 0, sizeof(s->t[i]));
	}
}

static inline bool gas_snapshot_equal(const struct gas_snapshot *a,
				      const struct gas_snapshot *b)
{
	return !memcmp(a, b, sizeof(*a));
}

/*
 * A page-aligned System RAM address with at least @bytes of RAM after it,
 * from /proc/iomem (real addresses need CAP_SYS_ADMIN); 0 if none.  With
 * @at_end, the last @bytes of a RAM range instead, so that the next byte
 * is not RAM.
 */
static inline __u64 gas_ram_address(__u64 bytes, bool at_end)
{
	unsigned long long start, end;
	char line[256];
	__u64 found = 0;
	FILE *f;

	f = fopen("/proc/iomem", "re");
	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		__u64 s, e;

		if (line[0] == ' ' || !strstr(line, ": System RAM"))
			continue;
		if (sscanf(line, "%llx-%llx", &start, &end) != 2)
			continue;
		s = (start + PAGE_4K - 1) & ~(PAGE_4K - 1);
		e = (end + 1) & ~(PAGE_4K - 1);
		if (!s || e <= s || e - s < bytes)
			continue;
		found = at_end ? e - bytes : s;
		/* at_end needs a range that ends on a page boundary */
		if (at_end && ((end + 1) & (PAGE_4K - 1)))
			found = 0;
	}
	fclose(f);
	return found;
}

/* The text of a sysfs file, newline dropped; -errno on failure. */
static inline int gas_read_string(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	return 0;
}

/* Anonymous memory shared with forked children (results travel in it). */
static inline void *gas_shared_alloc(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/*
 * Runs one ioctl in a forked child that dropped @cap first.  Returns the
 * ioctl's result (0 or -errno, an errno below 256), or -ECHILD when the
 * child could not drop @cap or died.  An output argument must live in
 * gas_shared_alloc() memory to come back.
 */
static inline long gas_ioctl_without_cap(int cap, int fd, unsigned long cmd,
					 const void *arg)
{
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		long ret;

		if (gas_drop_cap(cap) || gas_have_cap(cap))
			_exit(255);
		ret = gas_ioctl_ptr(fd, cmd, arg);
		_exit(ret > 0 ? 254 : (int)-ret);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) >= 254)
		return -ECHILD;
	return -WEXITSTATUS(status);
}

/*
 * Runs @n ioctls, in order, in one forked child that dropped @cap first;
 * their results (0 or -errno) land in @ret.  Returns 0, or -ECHILD when
 * the child could not drop @cap or died.
 */
static inline int gas_ioctls_without_cap(int cap, int fd, int n,
					 const unsigned long *cmd,
					 const void *const *arg, long *ret)
{
	long *shared = gas_shared_alloc(n * sizeof(long));
	int status, i;
	pid_t pid;

	if (!shared)
		return -ENOMEM;
	pid = fork();
	if (pid < 0) {
		munmap(shared, n * sizeof(long));
		return -ECHILD;
	}
	if (!pid) {
		if (gas_drop_cap(cap) || gas_have_cap(cap))
			_exit(1);
		for (i = 0; i < n; i++)
			shared[i] = gas_ioctl_ptr(fd, cmd[i], arg[i]);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status)) {
		munmap(shared, n * sizeof(long));
		return -ECHILD;
	}
	memcpy(ret, shared, n * sizeof(long));
	munmap(shared, n * sizeof(long));
	return 0;
}

/* One address space of a fixture variant, with its expected geometry. */
struct gas_space {
	int dev;
	int fd;
	unsigned int format;
	unsigned int bits;
	unsigned int levels;
	unsigned int root_pages;
	unsigned int max_level;		/* largest leaf level */
	unsigned int pa_bits;
	__u64 base;
	__u64 size;
};

/* Opens /dev/gaspace and creates the space; 0 or -errno. */
static inline int gas_space_open(struct gas_space *s, unsigned int format,
				 unsigned int bits, __u64 base, __u64 size)
{
	struct gas_geometry g = gas_expected_geometry(format, bits);

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->dev = gas_open_dev();
	if (s->dev < 0)
		return -errno;
	s->fd = gas_create(s->dev, format, bits, base, size);
	if (s->fd < 0)
		return s->fd;
	s->format = format;
	s->bits = bits ? bits : gas_default_bits(format);
	s->levels = g.levels;
	s->root_pages = g.root_pages;
	s->max_level = gas_max_leaf_level(format, bits);
	s->pa_bits = gas_pa_bits(format);
	s->base = base;
	s->size = size;
	return 0;
}

/*
 * GASPACE_AUDIT of @fd into @a; 0 or -errno.
 */
static inline int gas_audit(int fd, struct gaspace_audit *a)
{
	memset(a, 0, sizeof(*a));
	return ioctl(fd, GASPACE_AUDIT, a) ? -errno : 0;
}

/*
 * 0 when AUDIT finds the table of @fd healthy, -1 (with the first error on
 * stderr) when it finds an error, -errno when the call fails (-ENOMEM: the
 * audit could not run, which the caller may forgive).
 */
static inline int gas_audit_clean(int fd)
{
	struct gaspace_audit a;
	int ret = gas_audit(fd, &a);

	if (ret)
		return ret;
	if (!a.nr_errors)
		return 0;
	fprintf(stderr, "# AUDIT: %llu errors in %llu entries, first at gpa %#llx level %u\n",
		(unsigned long long)a.nr_errors,
		(unsigned long long)a.nr_entries,
		(unsigned long long)a.first_gpa, a.first_level);
	return -1;
}

/*
 * Closes the space fd @fd (if open) after an audit of its table: an error
 * found there fails the test (its process exits 1).  A teardown's close.
 */
static inline void gas_close_audited(int fd)
{
	if (fd < 0)
		return;
	/* a call that could not run (ENOMEM, a closed fd) is forgiven */
	if (gas_audit_clean(fd) == -1) {
		close(fd);
		_exit(1);
	}
	close(fd);
}

/* Closes the space (audited, as above) and its device. */
static inline void gas_space_close(struct gas_space *s)
{
	gas_close_audited(s->fd);
	if (s->dev >= 0)
		close(s->dev);
	s->fd = -1;
	s->dev = -1;
}

/*
 * A module parameter (GASPACE_PARAM() of its name) as it was, to be
 * written back after a test that changes it.
 */
struct gas_param {
	const char *path;
	char val[32];
};

/* Keeps the value of parameter @path in @p; 0 or -errno. */
static inline int gas_param_save(struct gas_param *p, const char *path)
{
	int ret = gas_read_string(path, p->val, sizeof(p->val));

	p->path = ret ? NULL : path;
	return ret;
}

/* Writes the kept value back (nothing when none was kept). */
static inline void gas_param_restore(const struct gas_param *p)
{
	if (p->path)
		gas_write_string(p->path, p->val);
}

/*
 * The initializer of a variant of a fixture over the table geometries,
 * whose FIXTURE_VARIANT() holds format and bits:
 * FIXTURE_VARIANT_ADD(f, ept) GAS_GEOMETRY(EPT, 48);
 */
#define GAS_GEOMETRY(fmt, width)					\
	{ .format = GASPACE_FMT_##fmt, .bits = (width), }

/*
 * GET_INFO's four counters, each checked (a macro, so that the harness
 * reports the line of the caller).
 */
#define EXPECT_COUNTERS(fd, areas, tables, data, mapped) do {		\
	struct gaspace_info __gi;					\
									\
	ASSERT_EQ(0, gas_get_info((fd), &__gi));			\
	EXPECT_EQ((__u64)(areas), __gi.nr_areas);			\
	EXPECT_EQ((__u64)(tables), __gi.nr_table_pages);		\
	EXPECT_EQ((__u64)(data), __gi.nr_data_pages);			\
	EXPECT_EQ((__u64)(mapped), __gi.mapped_bytes);			\
} while (0)

/*
 * In a test body: AUDIT finds the table of @fd healthy, then @fd closes (a
 * macro, so that the harness reports the line of the caller).
 */
#define EXPECT_CLOSE_AUDITED(fd) do {					\
	int __cfd = (fd);						\
									\
	EXPECT_EQ(0, gas_audit_clean(__cfd));				\
	EXPECT_EQ(0, close(__cfd));					\
} while (0)

/*
 * Checks TRANSLATE against @runs at a few bytes of each run (its first
 * byte, one in its second leaf, its last byte): leaf size and level, limit
 * to @area_end, @prot, @backend, and the hpa: @gpa + @delta for linear
 * (@delta = hpa - gpa), the byte's offset in its leaf for alloc.  Returns
 * 0, or -1 with a message in @msg.
 */
static inline int gas_check_runs(int fd, const struct gas_run *runs, int nr,
				 __u64 area_end, __u64 delta, __u32 prot,
				 __u32 backend, char *msg, size_t len)
{
	struct gaspace_translation t;
	int i, j, ret;

	for (i = 0; i < nr; i++) {
		__u64 ps = gas_level_size(runs[i].level);
		__u64 probe[3] = {
			runs[i].gpa,
			runs[i].gpa + (runs[i].size > ps ? ps : 0) + 0x123,
			runs[i].gpa + runs[i].size - 1,
		};

		for (j = 0; j < 3; j++) {
			__u64 g = probe[j];
			bool hpa_ok;

			ret = gas_translate(fd, g, &t);
			if (ret) {
				snprintf(msg, len, "translate %#llx: %d",
					 (unsigned long long)g, ret);
				return -1;
			}
			if (backend == GASPACE_BACKEND_LINEAR)
				hpa_ok = t.hpa == g + delta;
			else
				hpa_ok = t.hpa && (t.hpa & (ps - 1)) ==
					 (g & (ps - 1));
			if (t.gpa != g || !hpa_ok || t.page_size != ps ||
			    t.level != runs[i].level ||
			    t.limit != area_end - g || t.prot != prot ||
			    t.backend != backend || t.pad) {
				snprintf(msg, len,
					 "translate %#llx: hpa %#llx size %#llx level %u limit %#llx prot %u backend %u; want size %#llx level %u limit %#llx prot %u backend %u",
					 (unsigned long long)g,
					 (unsigned long long)t.hpa,
					 (unsigned long long)t.page_size,
					 t.level, (unsigned long long)t.limit,
					 t.prot, t.backend,
					 (unsigned long long)ps,
					 runs[i].level,
					 (unsigned long long)(area_end - g),
					 prot, backend);
				return -1;
			}
		}
	}
	return 0;
}

/*
 * ---- Guest memory through the fd (gaspace.rst 6, 3) ----
 *
 * pread/pwrite/mmap at offset = gpa, a byte pattern that depends on the
 * guest address (so a byte in the wrong place shows), a touch that
 * reports SIGBUS instead of dying of it, and the host frame of a VMM
 * address from /proc/self/pagemap (real with CAP_SYS_ADMIN).
 */
#include <setjmp.h>
#include <signal.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/uio.h>

static inline ssize_t gas_pread(int fd, void *buf, size_t len, __u64 gpa)
{
	ssize_t n = pread(fd, buf, len, (off_t)gpa);

	return n < 0 ? -errno : n;
}

static inline ssize_t gas_pwrite(int fd, const void *buf, size_t len,
				 __u64 gpa)
{
	ssize_t n = pwrite(fd, buf, len, (off_t)gpa);

	return n < 0 ? -errno : n;
}

/* A shared mapping of [@gpa, @gpa + @len), or NULL with errno set. */
static inline void *gas_mmap(int fd, __u64 gpa, size_t len, int flags)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd,
		       (off_t)gpa);

	return p == MAP_FAILED ? NULL : p;
}

/* mmap()'s errno for a mapping of @fd, or 0 (and it is unmapped again). */
static inline int gas_mmap_errno(int fd, __u64 gpa, size_t len, int prot,
				 int flags)
{
	void *p = mmap(NULL, len, prot, flags, fd, (off_t)gpa);

	if (p == MAP_FAILED)
		return errno;
	munmap(p, len);
	return 0;
}

/* The byte the tests keep at guest address @gpa for @seed. */
static inline unsigned char gas_pattern_byte(__u64 gpa, unsigned int seed)
{
	return (unsigned char)(gpa * 7 + (gpa >> 12) * 13 + (gpa >> 21) +
			       seed * 31 + 1);
}

static inline void gas_pattern(void *buf, __u64 gpa, size_t len,
			       unsigned int seed)
{
	unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = gas_pattern_byte(gpa + i, seed);
}

/* Offset of the first byte of @buf that is not @seed's pattern, or -1. */
static inline long gas_pattern_diff(const void *buf, __u64 gpa, size_t len,
				    unsigned int seed)
{
	const unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != gas_pattern_byte(gpa + i, seed))
			return (long)i;
	return -1;
}

/* Offset of the first byte of @buf that is not @c, or -1. */
static inline long gas_bytes_diff(const void *buf, int c, size_t len)
{
	const unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != (unsigned char)c)
			return (long)i;
	return -1;
}

static __thread void *gas_sigbus_jmp;	/* the sigjmp_buf of gas_touch() */

static inline void gas_sigbus_handler(int sig)
{
	if (gas_sigbus_jmp)
		siglongjmp(*(sigjmp_buf *)gas_sigbus_jmp, 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Catch SIGBUS in gas_touch() from now on (threads included). */
static inline int gas_catch_sigbus(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = gas_sigbus_handler;
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGBUS, &sa, NULL) ? -errno : 0;
}

/*
 * Reads the byte at @p (into *@out when non-NULL), or writes @val there
 * when @write.  Returns 0, or SIGBUS when the access raised it (only once
 * gas_catch_sigbus() was called).
 */
static inline int gas_touch(unsigned char *p, bool write, int val,
			    unsigned char *out)
{
	unsigned char c = 0;
	sigjmp_buf env;

	if (sigsetjmp(env, 1)) {
		gas_sigbus_jmp = NULL;
		return SIGBUS;
	}
	gas_sigbus_jmp = &env;
	/* the stores to gas_sigbus_jmp must frame the access */
	__asm__ __volatile__("" : : : "memory");
	if (write)
		*p = (unsigned char)val;
	else
		c = *p;
	__asm__ __volatile__("" : : "r" (c) : "memory");
	gas_sigbus_jmp = NULL;
	if (out)
		*out = c;
	return 0;
}

/*
 * The host physical address behind the VMM address @addr, from
 * /proc/self/pagemap: 0 when the page is not present (or the PFN is
 * hidden), -errno on failure.
 */
static inline long long gas_pagemap_hpa(const void *addr)
{
	unsigned long va = (unsigned long)addr;
	__u64 entry;
	ssize_t n;
	int fd;

	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = pread(fd, &entry, sizeof(entry), (off_t)(va / PAGE_4K) * 8);
	close(fd);
	if (n != sizeof(entry))
		return n < 0 ? -errno : -EIO;
	if (!(entry >> 63))
		return 0;
	entry &= BIT_ULL(55) - 1;
	return (long long)(entry * PAGE_4K + (va & (PAGE_4K - 1)));
}

/* What @get() returns once it returned @want (or after a second). */
static inline long long gas_settle(long long (*get)(void), long long want)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	long long now = get();
	int i;

	for (i = 0; i < 100 && now != want; i++) {
		nanosleep(&ts, NULL);
		now = get();
	}
	return now;
}

/* The module's refcount once it reached @want (or after a second). */
static inline long long gas_refcnt_settle(long long want)
{
	return gas_settle(gas_module_refcnt, want);
}

/* A one-byte message with room for one fd, as SCM_RIGHTS passes it. */
struct gas_fd_msg {
	char data;
	struct iovec iov;
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr msg;
};

static inline struct msghdr *gas_fd_msg_init(struct gas_fd_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->data = 'f';
	m->iov.iov_base = &m->data;
	m->iov.iov_len = 1;
	m->msg.msg_iov = &m->iov;
	m->msg.msg_iovlen = 1;
	m->msg.msg_control = m->u.buf;
	m->msg.msg_controllen = sizeof(m->u.buf);
	return &m->msg;
}

/* Passes @fd over the unix socket @sock (SCM_RIGHTS); 0 or -errno. */
static inline int gas_send_fd(int sock, int fd)
{
	struct gas_fd_msg m;
	struct msghdr *msg = gas_fd_msg_init(&m);
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(msg);

	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	return sendmsg(sock, msg, 0) == 1 ? 0 : -errno;
}

/* The fd that gas_send_fd() passed, or -errno. */
static inline int gas_recv_fd(int sock)
{
	struct gas_fd_msg m;
	struct msghdr *msg = gas_fd_msg_init(&m);
	struct cmsghdr *cmsg;
	int fd;

	if (recvmsg(sock, msg, MSG_CMSG_CLOEXEC) != 1)
		return -EIO;
	cmsg = CMSG_FIRSTHDR(msg);
	if (!cmsg || cmsg->cmsg_level != SOL_SOCKET ||
	    cmsg->cmsg_type != SCM_RIGHTS ||
	    cmsg->cmsg_len != CMSG_LEN(sizeof(int)))
		return -EPROTO;
	memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
	return fd;
}

#include <sys/stat.h>

#define GAS_CGROUP_ROOT		"/sys/fs/cgroup"

/*
 * Makes a fresh cgroup below the cgroup2 root with the memory controller
 * on, named gaspace-@tag-<pid>, its path in @cg: 0, -ENOENT when cgroup2
 * has no memory controller (@cg is then ""), or -errno.
 */
static inline int gas_memcg_new(char *cg, size_t len, const char *tag)
{
	char ctl[256];
	FILE *f;
	int ret;

	cg[0] = '\0';
	f = fopen(GAS_CGROUP_ROOT "/cgroup.controllers", "re");
	if (!f)
		return -ENOENT;
	ret = fgets(ctl, sizeof(ctl), f) && strstr(ctl, "memory") ? 0 :
	      -ENOENT;
	fclose(f);
	if (ret)
		return ret;
	ret = gas_write_string(GAS_CGROUP_ROOT "/cgroup.subtree_control",
			       "+memory");
	if (ret)
		return ret;
	snprintf(cg, len, GAS_CGROUP_ROOT "/gaspace-%s-%d", tag, getpid());
	if (mkdir(cg, 0755)) {
		ret = -errno;
		cg[0] = '\0';
	}
	return ret;
}

/*
 * What the threads of a race test share: a flag that stops them, and the
 * surprises they met (results the contract does not allow): how many, and
 * the first in words.  Threads only count; the test's thread checks.
 */
struct gas_race {
	int stop;
	unsigned int bad;
	char why[160];
};

static inline void gas_race_surprise(struct gas_race *r, const char *what,
				     __u64 at, long v)
{
	if (__atomic_fetch_add(&r->bad, 1, __ATOMIC_SEQ_CST) == 0)
		snprintf(r->why, sizeof(r->why), "%s %#llx: %ld", what,
			 (unsigned long long)at, v);
}

static inline void gas_race_stop(struct gas_race *r)
{
	__atomic_store_n(&r->stop, 1, __ATOMIC_RELEASE);
}

static inline bool gas_race_stopped(struct gas_race *r)
{
	return __atomic_load_n(&r->stop, __ATOMIC_ACQUIRE);
}

/* In the test's thread: the race met no surprise. */
#define EXPECT_NO_SURPRISE(race) do {					\
	const struct gas_race *__r = (race);				\
									\
	EXPECT_EQ(0U, __r->bad) TH_LOG("%u surprises, first: %s",	\
				       __r->bad, __r->why);		\
} while (0)

/*
 * Round @it of the churn that the race tests run on the @pages pages at
 * @gpa while other threads touch them: an alloc area there (lazy,
 * populated, or a 2 MiB HUGE one, by turns; read-write or prot 0), one page
 * of it made read-only, then all of it unmapped in two calls.  Every call
 * is made; 0, or the first one's -errno with its name in *@what.
 */
static inline int gas_churn_round(int fd, __u64 gpa, unsigned int pages,
				  unsigned int it, const char **what)
{
	static const __u32 flags[] = {
		0, GASPACE_MAP_POPULATE, GASPACE_MAP_HUGE,
	};
	static const char *const names[] = {
		"map", "protect", "unmap", "unmap",
	};
	__u64 size = it % 3 == 2 ? SZ_2M : pages * PAGE_4K;
	int ret[4], i;

	ret[0] = gas_map_alloc(fd, gpa, size, it & 1 ? 0 : GAS_PROT_RW,
			       flags[it % 3]);
	ret[1] = gas_protect(fd, gpa + PAGE_4K, PAGE_4K, GAS_PROT_R);
	ret[2] = gas_unmap(fd, gpa + (it & 4 ? PAGE_4K : 0), pages * PAGE_4K);
	ret[3] = gas_unmap(fd, gpa, SZ_2M);
	for (i = 0; i < 4; i++) {
		if (ret[i]) {
			*what = names[i];
			return ret[i];
		}
	}
	return 0;
}

/* Moves the calling task into cgroup @cg (a path); 0 or -errno. */
static inline int gas_cgroup_join(const char *cg)
{
	char path[256], pid[32];

	snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
	snprintf(pid, sizeof(pid), "%d\n", getpid());
	return gas_write_string(path, pid);
}

/*
 * A "name value" line of cgroup @cg's @file (memory.stat, memory.events):
 * the value of @field, or -errno (-ENOENT when the file has no @field).
 */
static inline long long gas_cg_field(const char *cg, const char *file,
				     const char *field)
{
	char path[256], line[256], name[64];
	long long val, ret = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", cg, file);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %lld", name, &val) == 2 &&
		    !strcmp(name, field)) {
			ret = val;
			break;
		}
	}
	fclose(f);
	return ret;
}

/* SecPageTables of /proc/meminfo in kB, per-CPU counters folded first. */
static inline long long gas_sec_page_tables_kb(void)
{
	char line[256];
	long long kb = -ENOENT;
	FILE *f;

	if (gas_write_string("/proc/sys/vm/stat_refresh", "1\n"))
		return -EIO;
	f = fopen("/proc/meminfo", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "SecPageTables: %lld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

#endif /* GASPACE_UTIL_H */
