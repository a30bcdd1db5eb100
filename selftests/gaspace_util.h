/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small helpers shared by the gaspace selftests.
 *
 * Every helper returns a value or a negative errno; none of them asserts, so
 * each test states its own expectations with the harness macros.  The
 * expected geometry of every format is written out here from SPEC section 2
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
#include <stdbool.h>
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

/* The width CREATE picks when gpa_bits is 0 (SPEC section 2). */
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

/* Whether SPEC section 2 allows @bits (0 included) for @format. */
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

#endif /* GASPACE_UTIL_H */
