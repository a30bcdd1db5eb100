// SPDX-License-Identifier: GPL-2.0
/*
 * The linear backend: guest-physical gpa maps to host-physical gpa + delta,
 * with the largest blocks that the alignment of both and the format's
 * levels allow (4 KiB only with NOHUGE).  It owns no memory, its leaves
 * exist from the map on, and the VMM does not reach it through the fd.
 */
#include "backend.h"

static u32 linear_flags(const struct gaspace_area *a)
{
	return a->flags & GASPACE_MAP_NOHUGE ? GPT_MAP_NOHUGE : 0;
}

static unsigned long linear_map_bound(const struct gpt *pt,
				      const struct gaspace_area *a, u64 gpa,
				      u64 end, const struct gaspace_frames *f)
{
	return gpt_map_bound(pt, gpa, end - gpa, gpa + a->delta,
			     linear_flags(a));
}

static int linear_populate(struct gpt *pt, struct gpt_cache *mc,
			   const struct gaspace_area *a, u64 gpa, u64 end,
			   struct gaspace_frames *f)
{
	return gpt_map(pt, mc, gpa, end - gpa, gpa + a->delta,
		       gaspace_area_gpt_prot(a), linear_flags(a));
}

/* The largest blocks the format has, unless NOHUGE (user.c's too). */
u32 gaspace_leaf_level_nohuge(const struct gaspace_area *a)
{
	return a->flags & GASPACE_MAP_NOHUGE ? 0 : GPT_MAX_LEVELS - 1;
}

const struct gaspace_backend gaspace_backend_linear = {
	.map_bound	= linear_map_bound,
	.populate	= linear_populate,
	.leaf_level	= gaspace_leaf_level_nohuge,
};
