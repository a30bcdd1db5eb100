// SPDX-License-Identifier: GPL-2.0
/*
 * debugfs_test: gaspace/<ino>/{info,areas,tables} in debugfs.
 *
 * The directory of a space is named by its fd's st_ino and holds three
 * files; for a known layout (a HUGE alloc area split by PROTECT, two lazy
 * pages, a 1 GiB linear block, NOHUGE device pages) the areas and tables
 * dumps are checked line for line, and info against GET_INFO after a few
 * steps; the directory goes with the space.  Skips without debugfs.
 */
#include <sys/mount.h>
#include <sys/stat.h>

#include "gaspace_util.h"
#include "kselftest_harness.h"

#define DEBUGFS		"/sys/kernel/debug"
#define HPA		BIT_ULL(40)

static int read_file(const char *path, char *buf, size_t len)
{
	ssize_t n, got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf + got, len - 1 - got)) > 0)
		got += n;
	close(fd);
	buf[got] = 0;
	return n < 0 ? -errno : 0;
}

static int space_file(char *path, size_t len, unsigned long ino,
		      const char *name)
{
	return snprintf(path, len, DEBUGFS "/gaspace/%lu%s%s", ino,
			name ? "/" : "", name ? name : "");
}

static void info_text(const struct gaspace_info *i, char *buf, size_t len)
{
	snprintf(buf, len,
		 "format: ept\ngpa_bits: %u\nlevels: %u\nroot_pages: %u\n"
		 "base: 0x%llx\nsize: 0x%llx\n"
		 "nr_areas: %llu\nnr_table_pages: %llu\n"
		 "nr_data_pages: %llu\nmapped_bytes: %llu\n"
		 "nr_leaves_4k: %llu\nnr_leaves_2m: %llu\nnr_leaves_1g: %llu\n"
		 "nr_demand_faults: %llu\nnr_dirty_pages: %llu\n"
		 "nr_userfaults: %llu\n",
		 i->gpa_bits, i->levels, i->root_pages,
		 (unsigned long long)i->base, (unsigned long long)i->size,
		 (unsigned long long)i->nr_areas,
		 (unsigned long long)i->nr_table_pages,
		 (unsigned long long)i->nr_data_pages,
		 (unsigned long long)i->mapped_bytes,
		 (unsigned long long)i->nr_leaves_4k,
		 (unsigned long long)i->nr_leaves_2m,
		 (unsigned long long)i->nr_leaves_1g,
		 (unsigned long long)i->nr_demand_faults,
		 (unsigned long long)i->nr_dirty_pages,
		 (unsigned long long)i->nr_userfaults);
}

#define EXPECT_INFO_FILE(fd, ino) do {					\
	struct gaspace_info __i;					\
	char __want[1024], __got[1024], __path[128];			\
									\
	ASSERT_EQ(0, gas_get_info((fd), &__i));				\
	info_text(&__i, __want, sizeof(__want));			\
	space_file(__path, sizeof(__path), (ino), "info");		\
	ASSERT_EQ(0, read_file(__path, __got, sizeof(__got)));		\
	EXPECT_STREQ(__want, __got);					\
} while (0)

TEST(layout)
{
	static const char areas[] =
		"0x0-0x200000 rw- alloc huge\n"
		"0x200000-0x201000 r-- alloc huge\n"
		"0x201000-0x400000 rw- alloc huge\n"
		"0x800000-0xa00000 rw- alloc\n"
		"0x40000000-0x80000000 rwx linear hpa=0x10040000000\n"
		"0xc0000000-0xc0004000 r-- linear hpa=0x10000000000 device nohuge\n";
	static const char tables[] =
		"0x0-0x200000 level=1 rw- alloc\n"
		"0x200000-0x201000 level=0 r-- alloc\n"
		"0x201000-0x400000 level=0 rw- alloc\n"
		"0x801000-0x803000 level=0 rw- alloc\n"
		"0x40000000-0x80000000 level=2 rwx linear\n"
		"0xc0000000-0xc0004000 level=0 r-- linear\n";
	char path[128], buf[4096];
	struct gas_space s;
	unsigned long ino;
	struct stat st;
	int fd;

	if (access(DEBUGFS "/gaspace", F_OK))
		mount("none", DEBUGFS, "debugfs", 0, NULL);
	if (access(DEBUGFS "/gaspace", F_OK))
		SKIP(return, "no " DEBUGFS "/gaspace: no debugfs");
	ASSERT_EQ(0, gas_space_open(&s, GASPACE_FMT_EPT, 48, 0, 4 * SZ_1G));
	fd = s.fd;
	ASSERT_EQ(0, fstat(fd, &st));
	ino = st.st_ino;
	space_file(path, sizeof(path), ino, NULL);
	ASSERT_EQ(0, stat(path, &st));
	EXPECT_TRUE(S_ISDIR(st.st_mode));
	EXPECT_INFO_FILE(fd, ino);

	ASSERT_EQ(0, gas_map_alloc(fd, 0, 2 * SZ_2M, GAS_PROT_RW,
				   GASPACE_MAP_HUGE | GASPACE_MAP_POPULATE));
	ASSERT_EQ(0, gas_map_alloc(fd, 4 * SZ_2M, SZ_2M, GAS_PROT_RW, 0));
	ASSERT_EQ(0, gas_fault(fd, 4 * SZ_2M + PAGE_4K, GASPACE_PROT_WRITE));
	ASSERT_EQ(0, gas_fault(fd, 4 * SZ_2M + 2 * PAGE_4K,
			       GASPACE_PROT_READ));
	EXPECT_INFO_FILE(fd, ino);
	ASSERT_EQ(0, gas_map_linear(fd, SZ_1G, SZ_1G, HPA + SZ_1G,
				    GAS_PROT_RWX, 0));
	ASSERT_EQ(0, gas_map_linear(fd, 3 * SZ_1G, 4 * PAGE_4K, HPA,
				    GAS_PROT_R, GASPACE_MAP_NOHUGE |
				    GASPACE_MAP_DEVICE));
	ASSERT_EQ(0, gas_protect(fd, SZ_2M, PAGE_4K, GAS_PROT_R));
	EXPECT_INFO_FILE(fd, ino);

	space_file(path, sizeof(path), ino, "areas");
	ASSERT_EQ(0, read_file(path, buf, sizeof(buf)));
	EXPECT_STREQ(areas, buf);
	space_file(path, sizeof(path), ino, "tables");
	ASSERT_EQ(0, read_file(path, buf, sizeof(buf)));
	EXPECT_STREQ(tables, buf);

	/* the files are root's alone */
	EXPECT_EQ(0, stat(path, &st));
	EXPECT_EQ(0100400U, st.st_mode);

	ASSERT_EQ(0, gas_unmap(fd, 0, 4 * SZ_1G));
	ASSERT_EQ(0, read_file(path, buf, sizeof(buf)));
	EXPECT_STREQ("", buf);
	EXPECT_INFO_FILE(fd, ino);

	/* the directory goes with the space */
	gas_space_close(&s);
	space_file(path, sizeof(path), ino, NULL);
	EXPECT_EQ(-1, stat(path, &st));
	EXPECT_EQ(ENOENT, errno);
}

TEST_HARNESS_MAIN
