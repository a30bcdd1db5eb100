// SPDX-License-Identifier: GPL-2.0
/*
 * uapi_cxx_check: <linux/gaspace.h> compiles as C++ (-std=c++11, -Wall
 * -Wextra -pedantic -Werror) and its numbers hold at compile time there too.
 * Built with -fsyntax-only by `make header-check` (part of `make all` when a
 * C++ compiler is installed).
 */
#include <cstddef>
#include <linux/gaspace.h>

static_assert(sizeof(struct gaspace_create) == 64, "gaspace_create");
static_assert(sizeof(struct gaspace_map) == 48, "gaspace_map");
static_assert(sizeof(struct gaspace_range) == 40, "gaspace_range");
static_assert(sizeof(struct gaspace_translation) == 48, "gaspace_translation");
static_assert(sizeof(struct gaspace_fault) == 16, "gaspace_fault");
static_assert(sizeof(struct gaspace_info) == 152, "gaspace_info");
static_assert(offsetof(struct gaspace_info, nr_leaves_4k) == 88, "info.nr_leaves_4k");
static_assert(offsetof(struct gaspace_info, nr_dirty_pages) == 120, "info.nr_dirty_pages");
static_assert(offsetof(struct gaspace_info, reserved) == 136, "info.reserved");
static_assert(sizeof(struct gaspace_dirty_log) == 48, "gaspace_dirty_log");
static_assert(sizeof(struct gaspace_fault_event) == 32, "gaspace_fault_event");
static_assert(sizeof(struct gaspace_fill) == 48, "gaspace_fill");
static_assert(sizeof(struct gaspace_map_user) == 48, "gaspace_map_user");
static_assert(offsetof(struct gaspace_map_user, reserved) == 32, "map_user.reserved");

static_assert(GASPACE_GET_API_VERSION == 0xBA00, "GET_API_VERSION");
static_assert(GASPACE_CHECK_EXTENSION == 0xBA01, "CHECK_EXTENSION");
static_assert(GASPACE_CREATE == 0x4040BA02, "CREATE");
static_assert(GASPACE_MAP_LINEAR == 0x4030BA10, "MAP_LINEAR");
static_assert(GASPACE_MAP_ALLOC == 0x4030BA11, "MAP_ALLOC");
static_assert(GASPACE_UNMAP == 0x4028BA12, "UNMAP");
static_assert(GASPACE_PROTECT == 0x4028BA13, "PROTECT");
static_assert(GASPACE_TRANSLATE == 0xC030BA14, "TRANSLATE");
static_assert(GASPACE_FAULT == 0x4010BA15, "FAULT");
static_assert(GASPACE_GET_INFO == 0x8098BA16, "GET_INFO");
static_assert(GASPACE_DIRTY_LOG_ENABLE == 0x4028BA17, "DIRTY_LOG_ENABLE");
static_assert(GASPACE_DIRTY_LOG_DISABLE == 0x4028BA18, "DIRTY_LOG_DISABLE");
static_assert(GASPACE_GET_DIRTY_LOG == 0x4030BA19, "GET_DIRTY_LOG");
static_assert(GASPACE_USERFAULT_FD == 0xBA1A, "USERFAULT_FD");
static_assert(GASPACE_FILL == 0x4030BA1B, "FILL");
static_assert(GASPACE_MAP_USER == 0x4030BA1C, "MAP_USER");

static_assert(GASPACE_FMT_EPT == 1 && GASPACE_FMT_NPT == 2 &&
	      GASPACE_FMT_ARM64_S2 == 3 && GASPACE_FMT_RISCV_G == 4,
	      "formats");
static_assert(GASPACE_CAP_MAP_USER == 7, "CAP_MAP_USER");
static_assert(GASPACE_BACKEND_USER == 3, "BACKEND_USER");
static_assert(GASPACE_CAP_FILE == 8, "CAP_FILE");

int main()
{
	enum gaspace_format f = GASPACE_FMT_RISCV_G;
	struct gaspace_create c = {};

	c.format = f;
	return c.format == GASPACE_FMT_RISCV_G ? 0 : 1;
}
