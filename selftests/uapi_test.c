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

#define EXPECT_OFFSET(type, field, off) \
	EXPECT_EQ((size_t)(off), offsetof(struct type, field))

#define EXPECT_FIELD_SIZE(type, field, sz) \
	EXPECT_EQ((size_t)(sz), sizeof(((struct type *)0)->field))

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
	EXPECT_EQ(64UL, sizeof(struct gaspace_create));
	EXPECT_EQ(offsetof(struct u64_field, v),
		  __alignof__(struct gaspace_create));
	EXPECT_OFFSET(gaspace_create, format, 0);
	EXPECT_OFFSET(gaspace_create, gpa_bits, 4);
	EXPECT_OFFSET(gaspace_create, base, 8);
	EXPECT_OFFSET(gaspace_create, size, 16);
	EXPECT_OFFSET(gaspace_create, flags, 24);
	EXPECT_OFFSET(gaspace_create, reserved, 32);
	EXPECT_FIELD_SIZE(gaspace_create, format, 4);
	EXPECT_FIELD_SIZE(gaspace_create, gpa_bits, 4);
	EXPECT_FIELD_SIZE(gaspace_create, base, 8);
	EXPECT_FIELD_SIZE(gaspace_create, size, 8);
	EXPECT_FIELD_SIZE(gaspace_create, flags, 8);
	EXPECT_FIELD_SIZE(gaspace_create, reserved, 32);
}

TEST(struct_gaspace_map)
{
	EXPECT_EQ(48UL, sizeof(struct gaspace_map));
	EXPECT_OFFSET(gaspace_map, gpa, 0);
	EXPECT_OFFSET(gaspace_map, size, 8);
	EXPECT_OFFSET(gaspace_map, hpa, 16);
	EXPECT_OFFSET(gaspace_map, prot, 24);
	EXPECT_OFFSET(gaspace_map, flags, 28);
	EXPECT_OFFSET(gaspace_map, reserved, 32);
	EXPECT_FIELD_SIZE(gaspace_map, gpa, 8);
	EXPECT_FIELD_SIZE(gaspace_map, size, 8);
	EXPECT_FIELD_SIZE(gaspace_map, hpa, 8);
	EXPECT_FIELD_SIZE(gaspace_map, prot, 4);
	EXPECT_FIELD_SIZE(gaspace_map, flags, 4);
	EXPECT_FIELD_SIZE(gaspace_map, reserved, 16);
}

TEST(struct_gaspace_range)
{
	EXPECT_EQ(40UL, sizeof(struct gaspace_range));
	EXPECT_OFFSET(gaspace_range, gpa, 0);
	EXPECT_OFFSET(gaspace_range, size, 8);
	EXPECT_OFFSET(gaspace_range, prot, 16);
	EXPECT_OFFSET(gaspace_range, flags, 20);
	EXPECT_OFFSET(gaspace_range, reserved, 24);
	EXPECT_FIELD_SIZE(gaspace_range, gpa, 8);
	EXPECT_FIELD_SIZE(gaspace_range, size, 8);
	EXPECT_FIELD_SIZE(gaspace_range, prot, 4);
	EXPECT_FIELD_SIZE(gaspace_range, flags, 4);
	EXPECT_FIELD_SIZE(gaspace_range, reserved, 16);
}

TEST(struct_gaspace_translation)
{
	EXPECT_EQ(48UL, sizeof(struct gaspace_translation));
	EXPECT_OFFSET(gaspace_translation, gpa, 0);
	EXPECT_OFFSET(gaspace_translation, hpa, 8);
	EXPECT_OFFSET(gaspace_translation, page_size, 16);
	EXPECT_OFFSET(gaspace_translation, limit, 24);
	EXPECT_OFFSET(gaspace_translation, prot, 32);
	EXPECT_OFFSET(gaspace_translation, backend, 36);
	EXPECT_OFFSET(gaspace_translation, level, 40);
	EXPECT_OFFSET(gaspace_translation, pad, 44);
	EXPECT_FIELD_SIZE(gaspace_translation, gpa, 8);
	EXPECT_FIELD_SIZE(gaspace_translation, hpa, 8);
	EXPECT_FIELD_SIZE(gaspace_translation, page_size, 8);
	EXPECT_FIELD_SIZE(gaspace_translation, limit, 8);
	EXPECT_FIELD_SIZE(gaspace_translation, prot, 4);
	EXPECT_FIELD_SIZE(gaspace_translation, backend, 4);
	EXPECT_FIELD_SIZE(gaspace_translation, level, 4);
	EXPECT_FIELD_SIZE(gaspace_translation, pad, 4);
}

TEST(struct_gaspace_fault)
{
	EXPECT_EQ(16UL, sizeof(struct gaspace_fault));
	EXPECT_OFFSET(gaspace_fault, gpa, 0);
	EXPECT_OFFSET(gaspace_fault, access, 8);
	EXPECT_OFFSET(gaspace_fault, flags, 12);
	EXPECT_FIELD_SIZE(gaspace_fault, gpa, 8);
	EXPECT_FIELD_SIZE(gaspace_fault, access, 4);
	EXPECT_FIELD_SIZE(gaspace_fault, flags, 4);
}

TEST(struct_gaspace_info)
{
	EXPECT_EQ(152UL, sizeof(struct gaspace_info));
	EXPECT_OFFSET(gaspace_info, format, 0);
	EXPECT_OFFSET(gaspace_info, gpa_bits, 4);
	EXPECT_OFFSET(gaspace_info, levels, 8);
	EXPECT_OFFSET(gaspace_info, root_pages, 12);
	EXPECT_OFFSET(gaspace_info, base, 16);
	EXPECT_OFFSET(gaspace_info, size, 24);
	EXPECT_OFFSET(gaspace_info, root_hpa, 32);
	EXPECT_OFFSET(gaspace_info, root_pointer, 40);
	EXPECT_OFFSET(gaspace_info, walk_config, 48);
	EXPECT_OFFSET(gaspace_info, nr_areas, 56);
	EXPECT_OFFSET(gaspace_info, nr_table_pages, 64);
	EXPECT_OFFSET(gaspace_info, nr_data_pages, 72);
	EXPECT_OFFSET(gaspace_info, mapped_bytes, 80);
	EXPECT_OFFSET(gaspace_info, nr_leaves_4k, 88);
	EXPECT_OFFSET(gaspace_info, nr_leaves_2m, 96);
	EXPECT_OFFSET(gaspace_info, nr_leaves_1g, 104);
	EXPECT_OFFSET(gaspace_info, nr_demand_faults, 112);
	EXPECT_OFFSET(gaspace_info, nr_dirty_pages, 120);
	EXPECT_OFFSET(gaspace_info, nr_userfaults, 128);
	EXPECT_OFFSET(gaspace_info, reserved, 136);
	EXPECT_FIELD_SIZE(gaspace_info, format, 4);
	EXPECT_FIELD_SIZE(gaspace_info, gpa_bits, 4);
	EXPECT_FIELD_SIZE(gaspace_info, levels, 4);
	EXPECT_FIELD_SIZE(gaspace_info, root_pages, 4);
	EXPECT_FIELD_SIZE(gaspace_info, root_hpa, 8);
	EXPECT_FIELD_SIZE(gaspace_info, root_pointer, 8);
	EXPECT_FIELD_SIZE(gaspace_info, walk_config, 8);
	EXPECT_FIELD_SIZE(gaspace_info, mapped_bytes, 8);
	EXPECT_FIELD_SIZE(gaspace_info, nr_dirty_pages, 8);
	EXPECT_FIELD_SIZE(gaspace_info, reserved, 16);
}

TEST(dirty_log_layout)
{
	EXPECT_EQ(48UL, sizeof(struct gaspace_dirty_log));
	EXPECT_OFFSET(gaspace_dirty_log, gpa, 0);
	EXPECT_OFFSET(gaspace_dirty_log, size, 8);
	EXPECT_OFFSET(gaspace_dirty_log, bitmap, 16);
	EXPECT_OFFSET(gaspace_dirty_log, flags, 24);
	EXPECT_OFFSET(gaspace_dirty_log, pad, 28);
	EXPECT_OFFSET(gaspace_dirty_log, reserved, 32);
	EXPECT_EQ(1u, GASPACE_DIRTY_CLEAR);
	EXPECT_EQ(2u, GASPACE_DIRTY_SET);
	EXPECT_EQ(5, GASPACE_CAP_DIRTY_LOG);
}

TEST(userfault_layout)
{
	EXPECT_EQ(32UL, sizeof(struct gaspace_fault_event));
	EXPECT_OFFSET(gaspace_fault_event, gpa, 0);
	EXPECT_OFFSET(gaspace_fault_event, access, 8);
	EXPECT_OFFSET(gaspace_fault_event, flags, 12);
	EXPECT_OFFSET(gaspace_fault_event, reserved, 16);
	EXPECT_EQ(48UL, sizeof(struct gaspace_fill));
	EXPECT_OFFSET(gaspace_fill, gpa, 0);
	EXPECT_OFFSET(gaspace_fill, size, 8);
	EXPECT_OFFSET(gaspace_fill, src, 16);
	EXPECT_OFFSET(gaspace_fill, flags, 24);
	EXPECT_OFFSET(gaspace_fill, pad, 28);
	EXPECT_OFFSET(gaspace_fill, reserved, 32);
	EXPECT_EQ(0x20u, GASPACE_MAP_USERFAULT);
	EXPECT_EQ(1u, GASPACE_UFD_NONBLOCK);
	EXPECT_EQ(6, GASPACE_CAP_USERFAULT);
}

TEST(map_user_layout)
{
	EXPECT_EQ(48UL, sizeof(struct gaspace_map_user));
	EXPECT_OFFSET(gaspace_map_user, gpa, 0);
	EXPECT_OFFSET(gaspace_map_user, size, 8);
	EXPECT_OFFSET(gaspace_map_user, uaddr, 16);
	EXPECT_OFFSET(gaspace_map_user, prot, 24);
	EXPECT_OFFSET(gaspace_map_user, flags, 28);
	EXPECT_OFFSET(gaspace_map_user, reserved, 32);
	EXPECT_EQ(7, GASPACE_CAP_MAP_USER);
}

/* The fd as a file has a capability and no struct of its own. */
TEST(file_cap)
{
	EXPECT_EQ(8, GASPACE_CAP_FILE);
}

TEST(audit_layout)
{
	EXPECT_EQ(9, GASPACE_CAP_AUDIT);
	EXPECT_EQ(64UL, sizeof(struct gaspace_audit));
	EXPECT_OFFSET(gaspace_audit, nr_entries, 0);
	EXPECT_OFFSET(gaspace_audit, nr_errors, 8);
	EXPECT_OFFSET(gaspace_audit, first_gpa, 16);
	EXPECT_OFFSET(gaspace_audit, first_level, 24);
	EXPECT_OFFSET(gaspace_audit, pad, 28);
	EXPECT_OFFSET(gaspace_audit, reserved, 32);
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
