// SPDX-License-Identifier: GPL-2.0
/*
 * uapi_test: the uAPI header pinned to gaspace.rst 3-5, to the bit.
 *
 * Struct sizes and field offsets, every constant, and every ioctl number,
 * both as the header's macros and as literals computed by hand from
 * _IOC(dir, 0xBA, nr, size) on x86-64 (dir: none 0, write 1, read 2 at bit
 * 30; size at bit 16; type at bit 8).  Needs no module.
 */
#include <stddef.h>

#include "gaspace_util.h"
#include "kselftest_harness.h"

/*
 * A field of a uAPI struct: where the compiler put it and how large it is,
 * and what gaspace.rst says.
 */
struct field {
	const char *name;
	size_t off, size;
	size_t want_off, want_size;
};

/*
 * A field's offset and size, both from where the field of a struct at
 * address 0 would be; the tables end with a row of NULL.
 */
#define FIELD_AT(name, p, o, sz)					\
	{ name, (size_t)(p), sizeof((p)[0]), (o), (sz) }

#define FIELD(type, f, o, sz)						\
	FIELD_AT(#f, &((struct type *)0)->f, (o), (sz))

/*
 * The struct is @want bytes and each of its fields @f sits where it
 * should; the table itself leaves no hole (each field starts where the one
 * before it ends, and the last ends the struct), so no field is missed.
 */
static void check_layout(struct __test_metadata *_metadata, const char *type,
			 size_t size, size_t want, const struct field *f)
{
	size_t end = 0;
	unsigned int i;

	EXPECT_EQ(want, size) TH_LOG("sizeof(struct %s)", type);
	for (i = 0; f[i].name; i++) {
		EXPECT_EQ(f[i].want_off, f[i].off)
			TH_LOG("%s.%s: offset", type, f[i].name);
		EXPECT_EQ(f[i].want_size, f[i].size)
			TH_LOG("%s.%s: size", type, f[i].name);
		EXPECT_EQ(end, f[i].want_off)
			TH_LOG("%s.%s: the table skips a field", type,
			       f[i].name);
		end = f[i].want_off + f[i].want_size;
	}
	EXPECT_EQ(want, end) TH_LOG("struct %s: the table ends early", type);
}

#define CHECK_LAYOUT(type, want, fields)				\
	check_layout(_metadata, #type, sizeof(struct type), (want), (fields))

TEST(api_version_and_magic)
{
	EXPECT_EQ(1, GASPACE_API_VERSION);
	EXPECT_EQ(0xBA, GASPACE_IO);
}

TEST(formats)
{
	EXPECT_EQ(1, GASPACE_FMT_EPT);
	EXPECT_EQ(2, GASPACE_FMT_NPT);
	EXPECT_EQ(3, GASPACE_FMT_ARM64_S2);
	EXPECT_EQ(4, GASPACE_FMT_RISCV_G);
	EXPECT_EQ(ALL_FORMATS_MASK,
		  (1ULL << GASPACE_FMT_EPT) | (1ULL << GASPACE_FMT_NPT) |
		  (1ULL << GASPACE_FMT_ARM64_S2) |
		  (1ULL << GASPACE_FMT_RISCV_G));
}

TEST(capabilities)
{
	EXPECT_EQ(1, GASPACE_CAP_FORMATS);
	EXPECT_EQ(2, GASPACE_CAP_HUGE);
	EXPECT_EQ(3, GASPACE_CAP_MMAP);
	EXPECT_EQ(4, GASPACE_CAP_MAX_AREAS);
}

TEST(prot_bits)
{
	EXPECT_EQ(0x1, GASPACE_PROT_READ);
	EXPECT_EQ(0x2, GASPACE_PROT_WRITE);
	EXPECT_EQ(0x4, GASPACE_PROT_EXEC);
}

TEST(map_flags)
{
	EXPECT_EQ(1u << 0, GASPACE_MAP_POPULATE);
	EXPECT_EQ(1u << 1, GASPACE_MAP_DEVICE);
	EXPECT_EQ(1u << 2, GASPACE_MAP_HUGE);
	EXPECT_EQ(1u << 3, GASPACE_MAP_NOHUGE);
	EXPECT_EQ(1u << 4, GASPACE_MAP_REPLACE);
	/* unsigned, so that ~flags masks stay 32-bit */
	EXPECT_EQ(sizeof(unsigned int), sizeof(GASPACE_MAP_REPLACE));
}

TEST(backends)
{
	EXPECT_EQ(1, GASPACE_BACKEND_LINEAR);
	EXPECT_EQ(2, GASPACE_BACKEND_ALLOC);
	EXPECT_EQ(3, GASPACE_BACKEND_USER);
}

/*
 * A struct of __u64 fields is aligned as a __u64 field is: 8 bytes, but 4
 * on i386.  The offsets and sizes, which are what the kernel sees, are the
 * same on both.
 */
struct u64_field {
	char c;
	__u64 v;
};

TEST(struct_gaspace_create)
{
	static const struct field f[] = {
		FIELD(gaspace_create, format, 0, 4),
		FIELD(gaspace_create, gpa_bits, 4, 4),
		FIELD(gaspace_create, base, 8, 8),
		FIELD(gaspace_create, size, 16, 8),
		FIELD(gaspace_create, flags, 24, 8),
		FIELD(gaspace_create, reserved, 32, 32),
		{ NULL },
	};

	CHECK_LAYOUT(gaspace_create, 64, f);
	EXPECT_EQ(offsetof(struct u64_field, v),
		  __alignof__(struct gaspace_create));
}

TEST(struct_gaspace_map)
{
	static const struct field f[] = {
		FIELD(gaspace_map, gpa, 0, 8),
		FIELD(gaspace_map, size, 8, 8),
		FIELD(gaspace_map, hpa, 16, 8),
		FIELD(gaspace_map, prot, 24, 4),
		FIELD(gaspace_map, flags, 28, 4),
		FIELD(gaspace_map, reserved, 32, 16),
		{ NULL },
	};

	CHECK_LAYOUT(gaspace_map, 48, f);
}

TEST(struct_gaspace_range)
{
	static const struct field f[] = {
		FIELD(gaspace_range, gpa, 0, 8),
		FIELD(gaspace_range, size, 8, 8),
		FIELD(gaspace_range, prot, 16, 4),
		FIELD(gaspace_range, flags, 20, 4),
		FIELD(gaspace_range, reserved, 24, 16),
		{ NULL },
	};

	CHECK_LAYOUT(gaspace_range, 40, f);
}

TEST(struct_gaspace_translation)
{
	static const struct field f[] = {
		FIELD(gaspace_translation, gpa, 0, 8),
		FIELD(gaspace_translation, hpa, 8, 8),
		FIELD(gaspace_translation, page_size, 16, 8),
		FIELD(gaspace_translation, limit, 24, 8),
		FIELD(gaspace_translation, prot, 32, 4),
		FIELD(gaspace_translation, backend, 36, 4),
		FIELD(gaspace_translation, level, 40, 4),
		FIELD(gaspace_translation, pad, 44, 4),
		{ NULL },
	};

	CHECK_LAYOUT(gaspace_translation, 48, f);
}

TEST(struct_gaspace_fault)
{
	static const struct field f[] = {
		FIELD(gaspace_fault, gpa, 0, 8),
		FIELD(gaspace_fault, access, 8, 4),
		FIELD(gaspace_fault, flags, 12, 4),
		{ NULL },
	};

	CHECK_LAYOUT(gaspace_fault, 16, f);
}

TEST(struct_gaspace_info)
{
	static const struct field f[] = {
		FIELD(gaspace_info, format, 0, 4),
		FIELD(gaspace_info, gpa_bits, 4, 4),
		FIELD(gaspace_info, levels, 8, 4),
		FIELD(gaspace_info, root_pages, 12, 4),
		FIELD(gaspace_info, base, 16, 8),
		FIELD(gaspace_info, size, 24, 8),
		FIELD(gaspace_info, root_hpa, 32, 8),
		FIELD(gaspace_info, root_pointer, 40, 8),
		FIELD(gaspace_info, walk_config, 48, 8),
		FIELD(gaspace_info, nr_areas, 56, 8),
		FIELD(gaspace_info, nr_table_pages, 64, 8),
		FIELD(gaspace_info, nr_data_pages, 72, 8),
		FIELD(gaspace_info, mapped_bytes, 80, 8),
		FIELD(gaspace_info, nr_leaves_4k, 88, 8),
		FIELD(gaspace_info, nr_leaves_2m, 96, 8),
		FIELD(gaspace_info, nr_leaves_1g, 104, 8),
		FIELD(gaspace_info, nr_demand_faults, 112, 8),
		FIELD(gaspace_info, nr_dirty_pages, 120, 8),
		FIELD(gaspace_info, nr_userfaults, 128, 8),
		FIELD(gaspace_info, reserved, 136, 16),
		{ NULL },
	};

	CHECK_LAYOUT(gaspace_info, 152, f);
}

TEST(dirty_log_layout)
{
	static const struct field f[] = {
		FIELD(gaspace_dirty_log, gpa, 0, 8),
		FIELD(gaspace_dirty_log, size, 8, 8),
		FIELD(gaspace_dirty_log, bitmap, 16, 8),
		FIELD(gaspace_dirty_log, flags, 24, 4),
		FIELD(gaspace_dirty_log, pad, 28, 4),
		FIELD(gaspace_dirty_log, reserved, 32, 16),
		{ NULL },
	};

	CHECK_LAYOUT(gaspace_dirty_log, 48, f);
	EXPECT_EQ(1u, GASPACE_DIRTY_CLEAR);
	EXPECT_EQ(2u, GASPACE_DIRTY_SET);
	EXPECT_EQ(5, GASPACE_CAP_DIRTY_LOG);
}

TEST(userfault_layout)
{
	static const struct field event[] = {
		FIELD(gaspace_fault_event, gpa, 0, 8),
		FIELD(gaspace_fault_event, access, 8, 4),
		FIELD(gaspace_fault_event, flags, 12, 4),
		FIELD(gaspace_fault_event, reserved, 16, 16),
		{ NULL },
	};
	static const struct field fill[] = {
		FIELD(gaspace_fill, gpa, 0, 8),
		FIELD(gaspace_fill, size, 8, 8),
		FIELD(gaspace_fill, src, 16, 8),
		FIELD(gaspace_fill, flags, 24, 4),
		FIELD(gaspace_fill, pad, 28, 4),
		FIELD(gaspace_fill, reserved, 32, 16),
		{ NULL },
	};

	CHECK_LAYOUT(gaspace_fault_event, 32, event);
	CHECK_LAYOUT(gaspace_fill, 48, fill);
	EXPECT_EQ(0x20u, GASPACE_MAP_USERFAULT);
	EXPECT_EQ(1u, GASPACE_UFD_NONBLOCK);
	EXPECT_EQ(6, GASPACE_CAP_USERFAULT);
}

TEST(map_user_layout)
{
	static const struct field f[] = {
		FIELD(gaspace_map_user, gpa, 0, 8),
		FIELD(gaspace_map_user, size, 8, 8),
		FIELD(gaspace_map_user, uaddr, 16, 8),
		FIELD(gaspace_map_user, prot, 24, 4),
		FIELD(gaspace_map_user, flags, 28, 4),
		FIELD(gaspace_map_user, reserved, 32, 16),
		{ NULL },
	};

	CHECK_LAYOUT(gaspace_map_user, 48, f);
	EXPECT_EQ(7, GASPACE_CAP_MAP_USER);
}

/* The fd as a file has a capability and no struct of its own. */
TEST(file_cap)
{
	EXPECT_EQ(8, GASPACE_CAP_FILE);
}

TEST(audit_layout)
{
	static const struct field f[] = {
		FIELD(gaspace_audit, nr_entries, 0, 8),
		FIELD(gaspace_audit, nr_errors, 8, 8),
		FIELD(gaspace_audit, first_gpa, 16, 8),
		FIELD(gaspace_audit, first_level, 24, 4),
		FIELD(gaspace_audit, pad, 28, 4),
		FIELD(gaspace_audit, reserved, 32, 32),
		{ NULL },
	};

	CHECK_LAYOUT(gaspace_audit, 64, f);
	EXPECT_EQ(9, GASPACE_CAP_AUDIT);
}

/*
 * The structs at work: in a space of each format, one populated 4 KiB page
 * is one entry per level, and AUDIT finds them all healthy (skipped when the
 * module is not loaded).
 */
TEST(audit_of_a_used_space_is_clean)
{
	struct gaspace_audit a;
	struct gas_space s;
	unsigned int i;
	int ret;

	for (i = 0; i < ARRAY_LEN(gas_formats); i++) {
		ret = gas_space_open(&s, gas_formats[i], 0, 0, SZ_1G);
		if (ret == -ENOENT)
			SKIP(return, "%s: no such device", GASPACE_DEV);
		ASSERT_EQ(0, ret) TH_LOG("%s: %s",
					 gas_format_name(gas_formats[i]),
					 strerror(-ret));
		EXPECT_EQ(0, gas_audit(s.fd, &a));
		EXPECT_EQ(0ULL, a.nr_entries);
		EXPECT_EQ(0, gas_map_alloc(s.fd, SZ_2M, PAGE_4K,
					   GASPACE_PROT_READ |
					   GASPACE_PROT_WRITE,
					   GASPACE_MAP_POPULATE));
		EXPECT_EQ(0, gas_audit(s.fd, &a));
		EXPECT_EQ((__u64)s.levels, a.nr_entries)
			TH_LOG("%s", gas_format_name(gas_formats[i]));
		EXPECT_EQ(0ULL, a.nr_errors);
		EXPECT_EQ(0ULL, a.first_gpa);
		EXPECT_EQ(0u, a.first_level);
		gas_space_close(&s);
	}
}

/* _IOC(dir, type, nr, size) written out by hand. */
#define IOC(dir, nr, size) \
	((unsigned long)(dir) << 30 | (unsigned long)(size) << 16 | \
	 0xBAul << 8 | (nr))

TEST(device_ioctl_numbers)
{
	EXPECT_EQ(0xBA00ul, GASPACE_GET_API_VERSION);
	EXPECT_EQ(0xBA01ul, GASPACE_CHECK_EXTENSION);
	EXPECT_EQ(0x4040BA02ul, GASPACE_CREATE);

	EXPECT_EQ(IOC(0, 0x00, 0), GASPACE_GET_API_VERSION);
	EXPECT_EQ(IOC(0, 0x01, 0), GASPACE_CHECK_EXTENSION);
	EXPECT_EQ(IOC(1, 0x02, 64), GASPACE_CREATE);

	EXPECT_EQ(_IO(0xBA, 0x00), GASPACE_GET_API_VERSION);
	EXPECT_EQ(_IO(0xBA, 0x01), GASPACE_CHECK_EXTENSION);
	EXPECT_EQ(_IOW(0xBA, 0x02, struct gaspace_create), GASPACE_CREATE);
}

TEST(space_ioctl_numbers)
{
	EXPECT_EQ(0x4030BA10ul, GASPACE_MAP_LINEAR);
	EXPECT_EQ(0x4030BA11ul, GASPACE_MAP_ALLOC);
	EXPECT_EQ(0x4028BA12ul, GASPACE_UNMAP);
	EXPECT_EQ(0x4028BA13ul, GASPACE_PROTECT);
	EXPECT_EQ(0xC030BA14ul, GASPACE_TRANSLATE);
	EXPECT_EQ(0x4010BA15ul, GASPACE_FAULT);
	EXPECT_EQ(0x8098BA16ul, GASPACE_GET_INFO);

	EXPECT_EQ(IOC(1, 0x10, 48), GASPACE_MAP_LINEAR);
	EXPECT_EQ(IOC(1, 0x11, 48), GASPACE_MAP_ALLOC);
	EXPECT_EQ(IOC(1, 0x12, 40), GASPACE_UNMAP);
	EXPECT_EQ(IOC(1, 0x13, 40), GASPACE_PROTECT);
	EXPECT_EQ(IOC(3, 0x14, 48), GASPACE_TRANSLATE);
	EXPECT_EQ(IOC(1, 0x15, 16), GASPACE_FAULT);
	EXPECT_EQ(IOC(2, 0x16, 152), GASPACE_GET_INFO);
	EXPECT_EQ(IOC(1, 0x17, 40), GASPACE_DIRTY_LOG_ENABLE);
	EXPECT_EQ(IOC(1, 0x18, 40), GASPACE_DIRTY_LOG_DISABLE);
	EXPECT_EQ(IOC(1, 0x19, 48), GASPACE_GET_DIRTY_LOG);
	EXPECT_EQ(0xBA1Aul, GASPACE_USERFAULT_FD);
	EXPECT_EQ(0x4030BA1Bul, GASPACE_FILL);
	EXPECT_EQ(IOC(0, 0x1a, 0), GASPACE_USERFAULT_FD);
	EXPECT_EQ(IOC(1, 0x1b, 48), GASPACE_FILL);
	EXPECT_EQ(0x4030BA1Cul, GASPACE_MAP_USER);
	EXPECT_EQ(IOC(1, 0x1c, 48), GASPACE_MAP_USER);
	EXPECT_EQ(_IOW(0xBA, 0x1c, struct gaspace_map_user), GASPACE_MAP_USER);
	EXPECT_EQ(0x8040BA1Dul, GASPACE_AUDIT);
	EXPECT_EQ(IOC(2, 0x1d, 64), GASPACE_AUDIT);

	EXPECT_EQ(_IOW(0xBA, 0x10, struct gaspace_map), GASPACE_MAP_LINEAR);
	EXPECT_EQ(_IOW(0xBA, 0x11, struct gaspace_map), GASPACE_MAP_ALLOC);
	EXPECT_EQ(_IOW(0xBA, 0x12, struct gaspace_range), GASPACE_UNMAP);
	EXPECT_EQ(_IOW(0xBA, 0x13, struct gaspace_range), GASPACE_PROTECT);
	EXPECT_EQ(_IOWR(0xBA, 0x14, struct gaspace_translation),
		  GASPACE_TRANSLATE);
	EXPECT_EQ(_IOW(0xBA, 0x15, struct gaspace_fault), GASPACE_FAULT);
	EXPECT_EQ(_IOR(0xBA, 0x16, struct gaspace_info), GASPACE_GET_INFO);
}

TEST(ioctl_numbers_distinct)
{
	static const unsigned long cmds[] = {
		GASPACE_GET_API_VERSION, GASPACE_CHECK_EXTENSION,
		GASPACE_CREATE, GASPACE_MAP_LINEAR, GASPACE_MAP_ALLOC,
		GASPACE_UNMAP, GASPACE_PROTECT, GASPACE_TRANSLATE,
		GASPACE_FAULT, GASPACE_GET_INFO, GASPACE_DIRTY_LOG_ENABLE,
		GASPACE_DIRTY_LOG_DISABLE, GASPACE_GET_DIRTY_LOG,
		GASPACE_USERFAULT_FD, GASPACE_FILL, GASPACE_MAP_USER, GASPACE_AUDIT,
	};
	unsigned int i, j;

	for (i = 0; i < ARRAY_LEN(cmds); i++) {
		for (j = i + 1; j < ARRAY_LEN(cmds); j++) {
			EXPECT_NE(cmds[i], cmds[j]);
		}
	}
}

TEST_HARNESS_MAIN
