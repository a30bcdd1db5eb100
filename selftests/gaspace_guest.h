/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the runners of the sample hypervisors (svm_test,
 * vmx_test, arm64_test, riscv_test): open a sample's device and close a
 * fixture's fds, look at guest memory through the space's fd, and UNMAP
 * from another thread while a guest runs.
 *
 * Like those of gaspace_util.h, none of them asserts: each runner states
 * its own expectations with the harness macros, in its own terms (its run
 * structure, its exit reasons, its registers).
 */
#ifndef GASPACE_GUEST_H
#define GASPACE_GUEST_H

#include <time.h>

#include "gaspace_util.h"

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

#endif /* GASPACE_GUEST_H */
